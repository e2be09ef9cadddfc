"""The article's network on the real Linux kernel, in network namespaces (issues 6 and 7).

    sudo .venv/bin/python -m sim.kernel run perpacket-masquerade --pcap masq.pcapng
    sudo .venv/bin/python -m sim.kernel compare perpacket-snat-filter
    sudo .venv/bin/python -m sim.kernel compare perpacket-masquerade --uplinks 3
    sudo .venv/bin/python -m sim.kernel compare mptcp
    sudo .venv/bin/python -m sim.kernel table --uplinks 3

- ``lab``: namespaces, veth pairs, addresses (the simulator's names); cleanup, and the
  sweep of what killed runs left (namespaces, capture folders);
- ``agent``: the traffic programs run inside the namespaces (stdlib only);
- ``capture``: tcpdump on every link, merged into one pcapng with an interface per link;
- ``scenarios``: router set-ups (nftables numgen or ct mark + ip rule, hash policies, split
  access, MASQUERADE/SNAT, BCP 38 at the providers, optional tbf rate limits) and
  experiments (echo, ping, downloads, MPTCP); ``run()``;
- ``observe``: what both the kernel and the simulator let us observe, computed alike;
- ``compare``: the side-by-side report and the documented differences;
- ``table``: fidelity.md section 3b's table, measured on this kernel.

Nothing here is imported by ``import sim``; everything needs root.
"""
