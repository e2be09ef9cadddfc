"""The article's network on the real Linux kernel, in network namespaces (issues 6 and 7).

    sudo .venv/bin/python -m sim.kernel run perpacket-masquerade --pcap masq.pcapng
    sudo .venv/bin/python -m sim.kernel compare perpacket-snat-filter
    sudo .venv/bin/python -m sim.kernel table --uplinks 3

- ``lab``: namespaces, veth pairs, addresses (the simulator's names); cleanup and the
  stale-namespace sweep;
- ``agent``: the traffic programs run inside the namespaces (stdlib only);
- ``capture``: tcpdump on every link, merged into one pcapng with an interface per link;
- ``scenarios``: router set-ups (nftables numgen + ip rule, hash policies, MASQUERADE/SNAT,
  BCP 38 at the providers) and experiments; ``run()``;
- ``observe``: what both the kernel and the simulator let us observe, computed alike;
- ``compare``: the side-by-side report and the documented differences;
- ``table``: fidelity.md section 3b's table, measured on this kernel.

Nothing here is imported by ``import sim``; everything needs root.
"""
