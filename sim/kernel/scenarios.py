"""Kernel scenarios: a router set-up (balancing + NAT + provider filter) and an experiment.

Router set-ups, configured as a reader would on a real box:

- ``hash-l3`` / ``hash-l4``: ``ip route add default nexthop via ... nexthop via ...``
  with ``net.ipv4.fib_multipath_hash_policy`` 0 / 1 (no route cache since 3.6:
  every packet hashes, a flow stays on one uplink);
- ``numgen``: per-packet balancing, the modern stand-in for the equalize patch --
  ``meta mark set numgen inc mod N offset 1`` on LAN ingress and one
  ``ip rule fwmark k table 100+k`` per uplink (a global counter over forwarded
  LAN packets: consecutive packets leave by consecutive uplinks); with unequal
  ``Options.weights``, ``numgen inc mod SUM map { 0 : 1, 1 : 1, 2 : 2 }`` (weights 2,1:
  ``sim.multipath.numgen_marks``, as the simulator's; SUM after the weights are divided by
  their greatest common divisor, so 4,2 is mod 3), each uplink that many turns a round;
- ``connmark``: per-connection balancing, as the simulator's ``connmark``:
  ``ct state new ct mark 0 ct mark set numgen inc mod N offset 1`` then ``meta mark set ct mark``
  on LAN ingress, and the same ``ip rule fwmark k table 100+k`` (a new connection takes
  the next uplink and keeps it; unequal weights: the same map as ``numgen``);
- ``source``: LARTC 4.2.1 split access (``ip rule from ADDR table``), for MPTCP;
- NAT ``masquerade`` (``oifname { "if1", "if2" } masquerade``) or ``snat``
  (``oifname "if1" snat to 100.0.0.1`` ...);
- provider ``filter``: BCP 38 on every provider, as an nftables rule
  (``iifname "cust" ip saddr != <customer /24> counter drop``); not rp_filter,
  which would also drop the router's ARP (stack-notes.md).

Experiments (Python sockets in the namespaces, ``agent.py``): ``echo`` (one TCP
connection echoing 10 × 1000 bytes, client port 5000, server port 7, like the
simulator's ``echo``), ``ping`` (10 echo requests, one ICMP id), ``download``
(N parallel connections from ports 5000.., server port 80), ``mptcp`` (one MPTCP
download from port 5000; once the server's data arrives the client asks the userspace
path manager (``net.mptcp.path_manager=userspace``; ``pm_type=1`` before Linux 6.15), over
generic netlink, for a second subflow from the same address, port 5001 -- as the simulator's client does), ``mptcp-addrs`` (the in-kernel
path manager, which opens subflows between *addresses*: local1 gets a second address as a
``subflow`` endpoint).  The in-kernel path manager opens no second subflow from the first
one's address: an endpoint on that address (``subflow`` or ``fullmesh``) adds none, and
``ip mptcp endpoint add ... port P subflow`` is refused ("flags must have signal when
using port"); only a server that announces another port (``signal`` endpoint with a port)
gets a join from the same client address.

``Options.uplink_kbit``: a rate limit on each uplink, both ways (``tc qdisc ... tbf`` on
the router's ``if<k>`` and the provider's ``cust``), as the simulator's ``up_kbit`` /
``down_kbit``: one rate for every uplink, or a list of one per uplink (0: that uplink not
limited; ``Options.rates``); the MPTCP scenarios use 10 Mbit/s, so that one uplink cannot carry the
download alone (on bare veth, Linux's scheduler leaves the second subflow next to idle).

``Options.down_at`` (with the ``download`` experiment, scenario ``uplink-down``): that
many seconds after the first download's connect() (as the simulator counts from its first
SYN) the router's ``if<down_uplink>`` is taken down (``ip link set dev ifK down``:
NETDEV_DOWN, what pppd does when an ADSL line's PPP session drops), and one second later
as many new downloads start.  The downloads (500 kB over 2 Mbit/s: 2 s) are sized so the
failure finds them half done, whatever the machine's load.

``Options.up_at`` (with ``down_at``, after it): that many seconds after the first download's
connect() the failed line comes back, as when pppd has redialled: ``ip link set dev ifK up``
(NETDEV_UP), then at once what the book's ip-up script adds (chapter 10, "An uplink's scripts"):
``ip route replace default via GW dev ifK table 100+K``, the per-mark table's route, which the
kernel deleted with the device and does not put back.  The kernel itself puts back the
connected route and wakes the multipath route's dead nexthop: fib_netdev_event() on NETDEV_UP
calls fib_add_ifaddr() for each of the device's addresses and fib_sync_up(dev, RTNH_F_DEAD)
("Dead device goes up. We wake up dead nexthops. It takes sense only on multipath routes",
net/ipv4/fib_frontend.c, net/ipv4/fib_semantics.c) -- so the lab leaves the main table's
two-nexthop route to the kernel and records it as it is after the return
(``summary["link_down"]["main_route_after_return"]``).  (The book's scripts replace that route:
its ip-down script by uplink 1's alone, since a device that is unregistered takes the
two-nexthop route with it, and its ip-up script by the two again; the lab runs neither, and a
device only taken down leaves the route in place, its nexthop marked dead.)  Nothing of NAT
changes on NETDEV_UP: MASQUERADE's device notifier forgets connections on NETDEV_DOWN only
(masq_device_event(), net/netfilter/nf_nat_masquerade.c), so the connections it bound to the
live line during the outage stay bound there; one of them whose packets are routed by the
returned line again is killed by MASQUERADE and its packet dropped (nf_nat_inet_fn() asks
nf_nat_oif_changed(): the entry's masq_index is not the new output device,
include/net/netfilter/nf_nat.h).  What keeps them on the live line is the recipe's postrouting
rule, which the lab's ``connmark`` set-up has (``Setup.oif_mark``): ``ct state new ct mark set
oifname map { "if1" : 1, ... }`` gives a connection that fell through to the main table the mark
of the uplink it took.  One second after the return as many new downloads start again, as the
simulator's third round.

``Options.linger``: seconds the capture goes on after the clients end, so the kernel
shows what the simulator (which runs until no event is left) shows of a half-open
connection: the remote's SYN+ACK retransmission (after 1 s on Linux) and what the
router does with it.
"""
from __future__ import annotations

import dataclasses
import os
import platform
import threading
import time
from dataclasses import asdict, dataclass, field

from ..measured import LINKS
from ..multipath import numgen_marks
from ..reasons import numgen_expr
from ..packet import fmt_endpoint
from ..scenarios import fmt_value
from .capture import Capture, Pkt, fmt
from .lab import (DEFAULT_CC, LOCAL1, LOCAL1_ALT, REMOTE1, Lab, LabError, capture_dir, cc_problem, cleaning_up,
                  gw_of, net24, release_threads, signals_interrupt, stop_labs, uplink_addr)
from .observe import observe

ECHO_PORT, WEB_PORT, CLIENT_PORT = 7, 80, 5000


@dataclass(frozen=True)
class Setup:
    balance: str                      # numgen | connmark | hash-l3 | hash-l4 | source
    nat: str                          # masquerade | snat
    filter: bool = False              # providers drop foreign sources (BCP 38)
    # connmark: the recipe's postrouting rule, ``ct state new ct mark set oifname map { "if1" : 1,
    # ... }`` (book ch.10): a connection's mark is the uplink it left by, not only the one it drew
    oif_mark: bool = True

    def describe(self) -> str:
        b = {"numgen": "per-packet (nftables numgen inc + ip rule fwmark)",
             "connmark": "per-connection (nftables ct state new ct mark set numgen inc, "
                         "meta mark set ct mark + ip rule fwmark"
                         + ("; postrouting: ct state new ct mark set oifname map)" if self.oif_mark
                            else "; no postrouting mark)"),
             "hash-l3": "multipath route, fib_multipath_hash_policy 0 (L3)",
             "hash-l4": "multipath route, fib_multipath_hash_policy 1 (L4)",
             "source": "split access (ip rule from <source>)"}[self.balance]
        f = "providers filter sources (BCP 38)" if self.filter else "providers don't filter"
        return f"{b} + {self.nat.upper()}, {f}"


@dataclass(frozen=True)
class KScenario:
    name: str
    doc: str
    setup: Setup
    experiment: str                   # echo | ping | download | mptcp | mptcp-addrs
    sim: tuple | None = None          # (simulator scenario, parameter overrides) or None
    defaults: dict = field(default_factory=dict)
    # the description for a run's options (None: ``doc`` whatever the options); ``doc`` is then
    # its text for the scenario's defaults
    doc_of: object = None

    def doc_for(self, o: Options | None = None) -> str:
        """What the scenario shows, said for options ``o`` (None: its defaults)."""
        if self.doc_of is None:
            return self.doc
        return self.doc_of(o or make_options(self.name))


def _sim_setup(multipath, nat, ingress_filter=False):
    return dict(multipath=multipath, nat=nat, ingress_filter=ingress_filter, remote="rfc")


# MPTCP: 10 Mbit/s uplinks, so one uplink can't carry the download alone
MPTCP_DEFAULTS = {"size": 1_000_000, "uplink_kbit": 10_000}
# echo: keep capturing past the remote's first SYN+ACK retransmission (1 s on Linux)
ECHO_DEFAULTS = {"linger": 1.5}

SCENARIOS: dict[str, KScenario] = {s.name: s for s in [
    KScenario("perpacket-masquerade", "per-packet balancing + MASQUERADE: the first packet that "
              "changes uplink kills the conntrack entry and is dropped; the router's stack resets "
              "the next reply", Setup("numgen", "masquerade"), "echo",
              ("echo", _sim_setup("numgen", "masquerade")), ECHO_DEFAULTS),
    KScenario("perpacket-snat", "per-packet balancing + SNAT, providers don't filter: the binding "
              "is kept, packets on the other uplink carry the first uplink's address and arrive",
              Setup("numgen", "snat"), "echo", ("echo", _sim_setup("numgen", "snat")), ECHO_DEFAULTS),
    KScenario("perpacket-snat-filter", "per-packet + SNAT, providers filter sources (BCP 38): "
              "every packet on the other uplink is dropped; the connection limps on retransmissions",
              Setup("numgen", "snat", True), "echo", ("echo", _sim_setup("numgen", "snat", True)),
              ECHO_DEFAULTS),
    KScenario("ping-perpacket-masquerade", "ten pings with one id under per-packet + MASQUERADE: "
              "the ICMP conntrack entry outlives the reply, every echo that changes uplink is "
              "dropped", Setup("numgen", "masquerade"), "ping",
              ("ping", _sim_setup("numgen", "masquerade"))),
    KScenario("ping-perpacket-snat", "ten pings under per-packet + SNAT, no provider filter",
              Setup("numgen", "snat"), "ping", ("ping", _sim_setup("numgen", "snat"))),
    KScenario("ping-perpacket-snat-filter", "ten pings under per-packet + SNAT with BCP 38 "
              "filtering: the echoes on the other uplinks carry the binding's address and are "
              "dropped", Setup("numgen", "snat", True), "ping",
              ("ping", _sim_setup("numgen", "snat", True))),
    KScenario("hash-l3-nat", "multipath route, hash policy 0 (src, dst) + MASQUERADE: "
              "4 connections to one server, all on one uplink", Setup("hash-l3", "masquerade"),
              "download", ("hash-l4-nat", _sim_setup("hash-l3", "masquerade")),
              {"connections": 4, "size": 100_000}),
    KScenario("hash-l4-nat", "multipath route, hash policy 1 (5-tuple) + MASQUERADE: "
              "4 connections, each on one uplink (which one is the hash's: all on one can happen)",
              Setup("hash-l4", "masquerade"), "download",
              ("hash-l4-nat", _sim_setup("hash-l4", "masquerade")),
              {"connections": 4, "size": 100_000}),
    KScenario("uplink-down", "", Setup("connmark", "masquerade"), "download",
              ("uplink-down", _sim_setup("connmark", "masquerade")),
              {"connections": 2, "size": 500_000, "uplink_kbit": 2000, "down_at": 1.0,
               "timeout": 5.0, "linger": 1.0}, doc_of=lambda o: _uplink_down_doc(o)),
    KScenario("mptcp", "MPTCP download, set up as the simulator's: two subflows from one "
              "address (ports 5000, 5001; userspace path manager), the router balances new "
              "connections by conntrack mark, MASQUERADE: each subflow its own uplink and NAT "
              "binding, tied by a token", Setup("connmark", "masquerade"), "mptcp",
              ("mptcp", _sim_setup("connmark", "masquerade")), MPTCP_DEFAULTS),
    KScenario("mptcp-split-access", "MPTCP download with the in-kernel path manager: local1 has "
              "two addresses, the router sends each by its own NATed uplink (split access, ip "
              "rule from); two subflows, one per uplink, tied by a token, not addresses",
              Setup("source", "masquerade"), "mptcp-addrs",
              ("mptcp", _sim_setup("connmark", "masquerade")), MPTCP_DEFAULTS),
]}

# simulator parameters that make its links like the lab's veth pairs (fast, next to no delay):
# the links of chapter 9's tables (sim.measured), uplinks, core and remote links alike
SIM_LAB = LINKS


# -- router configuration -------------------------------------------------------------------

def _rules(*lines: str) -> str:
    return "\n".join(lines) + "\n"


#: the priority of the connmark balancing's prerouting chain, as chapter 10's recipe has it: one
#: after "mangle", so that its ``meta mark set ct mark`` runs after any other chain at mangle
#: (of two chains of one priority the later registered runs first, nf_hook_entries_grow())
CONNMARK_PRIORITY = "mangle + 1"


def _balance(*rules: str, priority: str = "mangle", postrouting: tuple[str, ...] = ()) -> str:
    """The router's nftables table ``balance``: ``rules`` in its prerouting chain (at ``priority``),
    and ``postrouting`` in a postrouting chain at mangle (none when empty)."""
    post = ("  chain postrouting {", "    type filter hook postrouting priority mangle; policy accept;",
            *postrouting, "  }") if postrouting else ()
    return _rules("table ip balance {", "  chain prerouting {",
                  f"    type filter hook prerouting priority {priority}; policy accept;", *rules, "  }",
                  *post, "}")


def oif_mark_rule(n: int) -> str:
    """The recipe's postrouting rule for ``n`` uplinks: a new connection's ct mark is the uplink
    it left by (book ch.10: "The postrouting rule corrects the draw once routing has spoken")."""
    return ("    ct state new ct mark set oifname map { "
            + ", ".join(f'"if{k}" : {k}' for k in range(1, n + 1)) + " }")


def numgen_rule_expr(n: int, weights: list[int] | None = None) -> str:
    """What follows ``numgen inc`` in the balancing rule for ``n`` uplinks of ``weights`` (None:
    all 1): ``mod N offset 1``, or for unequal weights the map the simulator's numgen and
    connmark draw by (``sim.multipath.numgen_marks``)."""
    marks = numgen_marks(weights or [1] * n)
    return numgen_expr(n if marks is None else len(marks), marks)


def configure(lab: Lab, s: Setup, weights: list[int] | None = None) -> None:
    """``weights``: each uplink's (None: all 1), the main table's nexthop weights and, for
    numgen and connmark, the numgen map's."""
    n = lab.uplinks
    weights = weights or [1] * n
    expr = numgen_rule_expr(n, weights)
    devs = lab.uplink_devs()
    if s.balance not in ("numgen", "connmark", "hash-l3", "hash-l4", "source"):
        raise LabError(f"unknown balancing {s.balance!r}")
    if s.balance in ("hash-l3", "hash-l4"):
        lab.sysctls("router", [f"net/ipv4/fib_multipath_hash_policy={0 if s.balance == 'hash-l3' else 1}"])
        # a fixed hash seed (Linux >= 6.11): the L3 hash of a flow is the same every run.  Not the
        # L4 one here: fib_multipath_hash() (policy 1) uses a forwarded packet's own L4 hash when
        # it has one ("short-circuit"), and over a veth pair that is the sending socket's random
        # sk_txhash -- each flow keeps one uplink, but which one changes from run to run (a NIC's
        # RSS hash plays that part on a real router; chapter 9 says so)
        lab.exec("router", "sysctl", "-q", "-w", "net/ipv4/fib_multipath_hash_seed=1", check=False)
    if n == 1:
        lab.ip("router", "route", "add", "default", "via", gw_of(uplink_addr(1)), "dev", "if1")
    else:
        hops = []
        for k in range(1, n + 1):
            hops += ["nexthop", "via", gw_of(uplink_addr(k)), "dev", f"if{k}", "weight", str(weights[k - 1])]
        lab.ip("router", "route", "add", "default", "scope", "global", *hops)
    if s.balance in ("numgen", "connmark", "source"):
        for k in range(1, n + 1):
            lab.ip("router", "route", "add", "default", "via", gw_of(uplink_addr(k)), "dev",
                   f"if{k}", "table", str(100 + k))
    if s.balance == "numgen":
        lab.nft("router", _balance(
            f'    iifname "eth0" fib daddr type unicast meta mark set numgen inc {expr}'))
    if s.balance == "connmark":
        lab.nft("router", _balance(
            # "ct mark 0": only a connection's first packet draws (until a reply every packet of it
            # is "new", and a retransmitted SYN would draw the next mark: chapter 10's recipe)
            f'    iifname "eth0" fib daddr type unicast ct state new ct mark 0 ct mark set numgen inc {expr}',
            '    iifname "eth0" meta mark set ct mark', priority=CONNMARK_PRIORITY,
            postrouting=(oif_mark_rule(n),) if s.oif_mark else ()))
    if s.balance in ("numgen", "connmark"):
        for k in range(1, n + 1):
            lab.ip("router", "rule", "add", "fwmark", str(k), "table", str(100 + k),
                   "priority", str(100 + k))
    if s.balance == "source":
        for k, src in ((1, LOCAL1), (2, LOCAL1_ALT)):
            if k <= n:
                lab.ip("router", "rule", "add", "from", src, "table", str(100 + k),
                       "priority", str(100 + k))
    if s.nat == "masquerade":
        nat = ["    oifname { " + ", ".join(f'"{d}"' for d in devs) + " } masquerade"]
    elif s.nat == "snat":
        nat = [f'    oifname "if{k}" snat to {uplink_addr(k)}' for k in range(1, n + 1)]
    else:
        raise LabError(f"unknown NAT {s.nat!r}")
    lab.nft("router", _rules("table ip nat {", "  chain postrouting {",
                             "    type nat hook postrouting priority srcnat; policy accept;",
                             *nat, "  }", "}"))
    if s.filter:
        for k in range(1, n + 1):
            lab.nft(f"provider{k}", _rules(
                "table ip bcp38 {", "  chain prerouting {",
                "    type filter hook prerouting priority raw; policy accept;",
                f'    iifname "cust" ip saddr != {net24(uplink_addr(k))} counter drop',
                "  }", "}"))


def _sources(by_dev: dict) -> str:
    """The source addresses a flow left with, per uplink: ``if1 100.0.0.1; if2 100.0.0.1``."""
    return "; ".join(f"{dev} {', '.join(addrs)}" for dev, addrs in by_dev.items()) or "nothing"


#: the shaper's ``latency``: tbf turns it into its queue's limit, what the rate sends in that time
#: plus the burst (tc-tbf(8): "the maximum amount of time a packet can sit in the TBF")
TBF_LATENCY_MS = 50


def tbf_queue_bytes(kbit: int) -> int:
    """The bytes a tbf shaper of ``kbit`` kbit/s holds waiting: ``limit``, which tc sets from
    ``latency`` as rate x latency + burst."""
    return kbit * 1000 // 8 * TBF_LATENCY_MS // 1000 + tbf_burst(kbit)


def tbf_burst(kbit: int) -> int:
    """The token bucket's burst, bytes: at least one MTU, ~4 ms at the rate.  A transfer not
    much larger goes through at the veth's speed, whatever the rate."""
    return max(4096, kbit * 1000 // 8 // 250)


def shape(lab: Lab, rates: int | list[int]) -> None:
    """Uplink k carries ``rates[k-1]`` kbit/s each way (``rates`` an integer: every uplink; 0:
    not limited): a token bucket on both of its ends, the router's (upstream) and the
    provider's (downstream)."""
    for k in range(1, lab.uplinks + 1):
        kbit = rates[k - 1] if isinstance(rates, list) else rates
        if not kbit:
            continue
        burst = tbf_burst(kbit)
        for node, dev in (("router", f"if{k}"), (f"provider{k}", "cust")):
            try:
                lab.exec(node, "tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate",
                         f"{kbit}kbit", "burst", str(burst), "latency", f"{TBF_LATENCY_MS}ms")
            except LabError as e:
                raise LabError(f"limiting the uplinks' rate needs tc and the tbf qdisc "
                               f"(--uplink-kbit 0 runs without): {e}") from None


def router_ruleset(lab: Lab) -> str:
    return lab.exec("router", "nft", "list", "ruleset")


# -- run ------------------------------------------------------------------------------------

@dataclass
class Options:
    uplinks: int = 2
    connections: int = 1
    size: int = 100_000
    messages: int = 10
    msg_size: int = 1000
    pings: int = 10
    interval: float = 0.05            # s between pings
    timeout: float = 10.0             # s a client waits on one read (echo/download)
    linger: float = 0.0               # s the capture goes on after the clients end
    uplink_kbit: int | list[int] = 0  # rate limit of every uplink, or a list, one per uplink;
                                      # both ways (0: none)
    down_at: float = 0.0              # s into a download experiment: if<down_uplink> goes down
    down_uplink: int = 2
    up_at: float = 0.0                # s into it: that line comes back (after down_at; 0: never)
    cc: str = DEFAULT_CC              # TCP congestion control of every namespace (never the host's)
    weights: int | list[int] = 1      # each uplink's nexthop weight, or one for every uplink:
                                      # the main route's, and numgen's and connmark's map

    @property
    def rates(self) -> list[int]:
        """Each uplink's rate limit, kbit/s both ways (0: none), uplink 1 first."""
        v = self.uplink_kbit
        if isinstance(v, (list, tuple)):
            return [v[min(k, len(v) - 1)] for k in range(self.uplinks)]
        return [v] * self.uplinks

    @property
    def weight_list(self) -> list[int]:
        """Each uplink's weight, uplink 1 first."""
        v = self.weights
        if isinstance(v, (list, tuple)):
            return [v[min(k, len(v) - 1)] for k in range(self.uplinks)]
        return [v] * self.uplinks


class KernelResult:
    """What a kernel run gives back: the app reports, the captured packets, observations."""

    def __init__(self, scenario, options, setup, summary, packets, frames, lab_links, ruleset):
        self.scenario, self.options, self.setup = scenario, options, setup
        self.summary, self.packets, self.frames = summary, packets, frames
        self.lab_links, self.ruleset = lab_links, ruleset

    def text(self) -> str:
        t0 = self.packets[0].t_us if self.packets else 0
        lines = [fmt(p, t0) for p in self.packets]
        return "\n".join(lines + [""] + self.summary_text()) + "\n"

    def summary_text(self) -> list[str]:
        s = self.summary
        out = [f"kernel scenario {self.scenario}: {self.setup.describe()}; uplinks={s['uplinks']} "
               f"({kernel_text(s)})"]
        for e in s.get("echo", []):
            end = ("complete" if e["complete"] else "reset" if e["reset"] else
                   f"not complete ({e['error']})")
            t = f" in {e['seconds']:.4f} s" if e["complete"] else ""
            out.append(f"  echo {e['client']} -> {e['server']}: {e['echoed']} of {e['messages']} "
                       f"messages echoed, {end}{t}; server saw "
                       f"{', '.join(e['seen_by_server_as']) or 'nothing'}")
        for p in s.get("pings", []):
            out.append(f"  ping: {p['received']} of {p['sent']} echoes answered "
                       f"(seq {p['replied']}); remote saw {', '.join(p['seen_by_remote_as'])}")
        for c in s.get("connections", []):
            end = ("complete" if c["complete"] else "reset" if c["reset"] else
                   f"not complete ({c['error']})")
            t = f" in {c['seconds']:.3f} s" if c["complete"] and c.get("seconds") is not None else ""
            out.append(f"  {c['client']} -> {c['server']}: {c['bytes']}/{c['bytes_wanted']} bytes, "
                       f"{end}{t}; server saw {', '.join(c['seen_by_server_as']) or 'nothing'}")
        if "link_down" in s:
            d = s["link_down"]
            out.append(f"  {d['uplink']}'s line went down at {d['at']:.3f} s (after the first "
                       f"download's connect)")
            if "came_back_at" in d:
                n = d["outage_downloads_going"]
                late = ""
                up_at = self.options.up_at if self.options is not None else 0
                if up_at and d["came_back_at"] > up_at + 0.5:
                    late = (f" (up_at {up_at:g}: later, as the line went down late and the "
                            f"return waits for the outage's downloads, which start 1 s after it)")
                out.append(f"  {d['uplink']}'s line came back at {d['came_back_at']:.3f} s{late}"
                           + (", its table's route added again" if d.get("table_route_added", True) else "")
                           + f"; {n} download{'' if n == 1 else 's'} of the outage still going then; "
                           f"the main table: {' '.join(d['main_route_after_return'].split())}")
        for m in s.get("mptcp", []):
            t = f" in {m['seconds']:.4f} s ({m['throughput_kbit']} kbit/s)" if m["complete"] else ""
            out.append(f"  mptcp: {m['bytes']}/{m['bytes_wanted']} bytes"
                       f"{', complete' + t if m['complete'] else ', not complete'}; the server "
                       f"accepted {m['server_accepted']} connection(s)"
                       + (f"; second subflow not opened: {m['join_error']}" if m["join_error"] else ""))
            for sf in m["subflows"]:
                reset = ("" if not sf["reset"] else ", reset by the client after its FIN"
                         if sf.get("client_reset_after_fin") else ", reset")
                out.append(f"    subflow {sf['client']}: {sf['bytes']} bytes, uplink "
                           f"{'/'.join(sf['uplinks']) or '-'}{reset}"
                           f"{'' if sf['mptcp_option'] else ', no MPTCP option'}; server saw "
                           f"{sf['seen_by_server_as'] or 'nothing'}")
        ob = s["observed"]
        for f in ob["flows"]:
            ups = f["uplinks"]          # (the first 24, and how many in all: compare's _first says it so)
            seq = " ".join(ups[:24]) + (f" ... ({len(ups)} in all)" if len(ups) > 24 else "")
            out.append(f"  flow {f['proto']} {f['client']} -> {f['server']}: uplinks [{seq}]; "
                       f"left with {_sources(f['sources'])}; remote saw {', '.join(f['remote_saw']) or 'nothing'}"
                       + (f"; handshake {f['handshake']}" if "handshake" in f else ""))
        # each uplink's rate limit, when the run set any (--uplink-kbit)
        limited = any(u.get("rate_kbit") for u in s["uplinks_stats"].values())
        # and each one's weight, when the run gave them unequal ones (--weights)
        weighted = len({u.get("weight", 1) for u in s["uplinks_stats"].values()}) > 1
        for dev, u in s["uplinks_stats"].items():
            rate = (f" ({u['rate_kbit']} kbit/s each way)" if u.get("rate_kbit") else " (no rate limit)"
                    ) if limited else ""
            rate += f" (weight {u.get('weight', 1)})" if weighted else ""
            up = f"{u['up_packets']} packet{'' if u['up_packets'] == 1 else 's'}"
            out.append(f"  {dev} {u['addr']}{rate}: {up} up, {u['down_packets']} down")
        out.append("  packets lost (both ends of each hop captured): "
                   + ("; ".join(f"{k} {v}" for k, v in ob["lost"].items()) or "none"))
        if ob["resets"]:
            out.append("  resets sent by: " + ", ".join(f"{k} {v}" for k, v in ob["resets"].items()))
        return out

    def write_pcap(self, path: str) -> int:
        """The capture as pcapng at ``path``, written whole or not at all; frames written."""
        from .._io import atomic_open
        with atomic_open(path, "wb") as f:
            return self.write_pcap_to(f)

    def write_pcap_to(self, f) -> int:
        from .capture import pcapng_bytes
        f.write(pcapng_bytes(self.lab_links, self.frames))
        return len(self.frames)


def kernel_text(s: dict) -> str:
    """``Linux 6.18.4, TCP congestion control reno``: the kernel a summary ``s`` ran on, and
    its TCP's congestion control where TCP ran (a summary recorded before the lab set one
    says nothing of it)."""
    cc = s.get("tcp_congestion_control")
    tcp = any(s.get(k) for k in ("echo", "connections", "mptcp"))
    return f"Linux {s['kernel']}" + (f", TCP congestion control {cc}" if cc and tcp else "")


def make_options(scenario: str, **overrides) -> Options:
    if scenario not in SCENARIOS:
        raise LabError(f"unknown kernel scenario {scenario!r}: allowed are {', '.join(SCENARIOS)}")
    values = {**SCENARIOS[scenario].defaults, **{k: v for k, v in overrides.items() if v is not None}}
    known = set(Options.__dataclass_fields__)
    bad = sorted(set(values) - known)
    if bad:
        raise LabError(f"unknown option {bad[0]!r}: allowed are {', '.join(sorted(known))}")
    for name in ("uplink_kbit", "weights"):
        if isinstance(values.get(name), tuple):
            values[name] = list(values[name])
    o = Options(**values)
    for name, lo, hi in (("uplinks", 1, 8), ("connections", 1, 64), ("size", 1, 10**9),
                         ("messages", 1, 10_000), ("msg_size", 1, 60_000), ("pings", 1, 1000)):
        v = getattr(o, name)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise LabError(f"{name} must be an integer in {lo}..{hi}, got {v!r}", name)
    _check_per_uplink(o, "uplink_kbit", KBIT_BOUNDS)
    _check_per_uplink(o, "weights", WEIGHT_BOUNDS)
    for name, lo, hi in (("linger", 0, 60), ("down_at", 0, 60), ("up_at", 0, 60), ("timeout", 0.1, 600),
                         ("interval", 0.001, 10)):
        v = getattr(o, name)                  # (a NaN fails every comparison: refused too)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise LabError(f"{name} must be seconds in {lo}..{hi}, got {v!r}", name)
    if (why := cc_problem(o.cc)) is not None:
        raise LabError(why, "cc")
    if isinstance(o.down_uplink, bool) or not isinstance(o.down_uplink, int):
        raise LabError(f"down_uplink must be an integer, got {o.down_uplink!r}", "down_uplink")
    if o.down_at and not 1 <= o.down_uplink <= o.uplinks:
        if overrides.get("down_uplink") is None:        # the scenario's own, and fewer uplinks given
            raise LabError(f"{scenario} fails uplink {o.down_uplink}'s line at {o.down_at:g} s unless told "
                           f"another, and there {'is 1 uplink' if o.uplinks == 1 else f'are {o.uplinks} uplinks'}: "
                           f"name {'it' if o.uplinks == 1 else 'one of them'} as the one to fail (down_uplink), "
                           f"or give {o.down_uplink} uplinks or more", "uplinks")
        raise LabError(f"down_uplink must be one of the uplinks {'1' if o.uplinks == 1 else f'1..{o.uplinks}'}, "
                       f"got {o.down_uplink!r}", "down_uplink")
    experiment = SCENARIOS[scenario].experiment
    if SCENARIOS[scenario].setup.balance == "source" and len(set(o.weight_list)) > 1:
        raise LabError(f"weights do not apply to {scenario} (split access: each source address goes by "
                       f"its own uplink, whatever the weights), got {fmt_value(o.weights)}", "weights")
    for name in ("down_at", "up_at"):
        if getattr(o, name) and experiment != "download":
            downloads = ", ".join(n for n, s in SCENARIOS.items() if s.experiment == "download")
            what = {"echo": "a TCP echo", "ping": "pings"}.get(experiment, "an MPTCP download")
            raise LabError(f"{name} works with the download scenarios ({downloads}), not {scenario} "
                           f"({what})", name)
    if o.up_at and not o.down_at:
        raise LabError(f"up_at {o.up_at:g} brings back the line that fails at down_at, and no line fails "
                       f"(down_at 0, none): give down_at too, before it, or leave out up_at", "up_at")
    if o.up_at and o.up_at <= o.down_at:
        raise LabError(f"up_at {o.up_at:g} out of range: allowed ({o.down_at:g}, 60] seconds, after down_at "
                       f"{o.down_at:g}, when the line fails (0: it never comes back)", "up_at")
    if experiment.startswith("mptcp") and o.uplinks != 2:
        raise LabError(f"uplinks must be 2 for {scenario} (one per subflow), got {o.uplinks!r}",
                       "uplinks")
    if experiment.startswith("mptcp") and o.connections != 1:
        raise LabError(f"connections must be 1 for {scenario} (one MPTCP download, whose subflows "
                       f"the client opens itself), got {o.connections!r}", "connections")
    return o


#: ``uplink_kbit``'s bounds, kbit/s (0: that uplink is not limited)
KBIT_BOUNDS = (0, 10_000_000)


#: ``weights``' bounds, as ``ip route``'s (and the simulator's)
WEIGHT_BOUNDS = (1, 256)


def _check_per_uplink(o: Options, name: str, bounds: tuple[int, int]) -> None:
    """Option ``name`` (``uplink_kbit``, ``weights``): one value for every uplink, or a list of
    one per uplink (as the simulator's ``down_kbit``, ``up_kbit`` and ``weights`` are read), each
    an integer in ``bounds``."""
    lo, hi = bounds
    v = getattr(o, name)

    def ok(x):
        return not isinstance(x, bool) and isinstance(x, int) and lo <= x <= hi
    if not isinstance(v, list):
        if not ok(v):
            raise LabError(f"{name} must be an integer in {lo}..{hi} or a list of them, one for "
                           f"every uplink or one per uplink, got {v!r}", name)
        return
    if not v or not all(ok(x) for x in v):
        got = repr(v) if not v else f"{next(x for x in v if not ok(x))!r} in {v!r}"
        raise LabError(f"{name} must be integers in {lo}..{hi}, one for every uplink or one per "
                       f"uplink, got {got}", name)
    n = o.uplinks
    if len(v) not in (1, n):        # the words of the simulator's --down-kbit, --up-kbit
        raise LabError(f"{name} gives {len(v)} values ({fmt_value(v)}) for {n} "
                       f"uplink{'s' if n != 1 else ''}: give one value for every uplink"
                       + (f", or {n}, one per uplink" if n != 1 else ""), name)


def rates_text(rates: list[int]) -> str:
    """The uplinks' rate limits as ``list`` and the summaries write them: ``8000`` (every
    uplink), ``8000,2000`` (one per uplink)."""
    return str(rates[0]) if len(set(rates)) == 1 else ",".join(map(str, rates))


# A line failure that came only after the dead line's downloads had all ended tests nothing:
# the harness was late (a busy machine can hold it up for a second), not the kernel wrong.
# Such a run is repeated, up to this many runs in all, and the summary says so.
DOWN_ATTEMPTS = 3
# ... unless the downloads had ended this long before the failure was due (down_at after the
# first connect): then no punctual harness would have caught them -- down_at is after the
# downloads' end (or size too small), and running again would only end the same way
ENDED_BEFORE_DUE_S = 0.05


def run(scenario: str, pcap: str | None = None, setup: Setup | None = None,
        experiment: str | None = None, **overrides) -> KernelResult:
    """Build the lab, configure the router, run the experiment with every link captured,
    remove the lab.  ``setup``/``experiment`` override the scenario's (for the table);
    ``pcap``: also write the capture there (``KernelResult.write_pcap``).
    With ``down_at``, a run whose line failed too late to test anything is run again
    (``DOWN_ATTEMPTS``); ``summary["link_down"]["late_runs"]`` lists why each was repeated.
    One whose downloads on the dead line ended before the failure was due is not: a
    ``LabError`` on ``down_at`` says when they ended and what would catch them."""
    o = make_options(scenario, **overrides)
    late = []
    while True:
        kr = _run_once(scenario, o, setup, experiment)
        if (early := _downloads_ended_before_due(kr.summary, o)):
            raise LabError(early, "down_at")
        if (early := _outage_ended_before_return_due(kr.summary, o)):
            raise LabError(early, "up_at")
        why = _failure_came_late(kr.summary, o)
        back_why = "" if why else _return_came_late(kr.summary, o)
        if not (why or back_why) or len(late) + 1 >= DOWN_ATTEMPTS:
            break
        late.append(why or back_why)
    if o.down_at:
        kr.summary["link_down"]["late_runs"] = late
        if why:
            raise LabError(f"{scenario}: in {DOWN_ATTEMPTS} runs the line never failed while its "
                           f"downloads were still going ({why}): the machine is too busy to "
                           f"time this experiment; try again when it is quieter")
        if back_why:
            raise LabError(f"{scenario}: in {DOWN_ATTEMPTS} runs the line never came back while the "
                           f"outage's downloads were still going ({back_why}): the machine is too busy "
                           f"to time this experiment; try again when it is quieter")
    if pcap:
        kr.write_pcap(pcap)
    return kr


def _on_dead_line(s: dict, o: Options) -> list[dict]:
    """The first round's downloads the server first saw from the dead uplink's address."""
    dead = f"({uplink_addr(o.down_uplink)},"
    return [c for c in s["connections"][:o.connections]
            if c["seen_by_server_as"] and c["seen_by_server_as"][0].startswith(dead)]


def _failure_came_late(s: dict, o: Options) -> str:
    """Why this run's line failure tested nothing, or ''.  It tested nothing when every
    download the dead line carried had already ended before the line went down."""
    if not o.down_at or "link_down" not in s:
        return ""
    down_us = s["link_down"]["at_epoch_us"]
    on_dead = _on_dead_line(s, o)
    ended = [c for c in on_dead if c.get("end_t") is not None and c["end_t"] * 1e6 <= down_us]
    if on_dead and len(ended) == len(on_dead):
        c = ended[-1]
        return (f"the download {c['client']} on if{o.down_uplink} had ended "
                f"{(down_us - c['end_t'] * 1e6) / 1e6:.3f} s before the line went down, "
                f"{(down_us - s['link_down']['first_connect_epoch_us']) / 1e6:.3f} s after the first "
                f"connect")
    return ""


def _downloads_ended_before_due(s: dict, o: Options) -> str:
    """Why the line failure could not test anything whatever the harness did, or '': every
    download on the dead line had ended ``ENDED_BEFORE_DUE_S`` or more before the failure was
    due (``down_at`` s after the first connect) -- the options', not the machine's, doing."""
    if not o.down_at or "link_down" not in s:
        return ""
    t0 = s["link_down"]["first_connect_epoch_us"] / 1e6
    on_dead = _on_dead_line(s, o)
    ends = [c["end_t"] - t0 for c in on_dead if c.get("end_t") is not None]
    if not on_dead or len(ends) < len(on_dead) or max(ends) > o.down_at - ENDED_BEFORE_DUE_S:
        return ""
    end = max(ends)
    kbit = o.rates[o.down_uplink - 1]       # the dead line's own rate
    if kbit:
        # the scenario's own sizing: a download alone on its line, half done at the failure
        size = min(10**9, -(-kbit * 125 * 2 * o.down_at // 1000) * 1000)
        bigger = (f"--size {int(size)} or more (twice what if{o.down_uplink}'s {kbit} kbit/s carries in "
                  f"{o.down_at:g} s: half done when the line fails)")
    else:
        bigger = "a larger --size (or --uplink-kbit, to slow the lines down)"
    n = len(on_dead)
    # a download over in a moment: an earlier --down-at would not catch it either
    sooner = f"--down-at below {end:.3g}, or " if end >= 0.1 else ""
    return (f"--down-at {o.down_at:g} is after the downloads end: the {'download' if n == 1 else f'{n} downloads'} "
            f"on if{o.down_uplink} (--size {o.size}) had ended {end:.3f} s after the first connect, "
            f"so the line failed with nothing on it and the run tested nothing; give {sooner}{bigger}")


def _outage_downloads(s: dict, o: Options) -> list[dict]:
    """The downloads that started during the outage (the second round)."""
    return s["connections"][o.connections:2 * o.connections]


def _return_came_late(s: dict, o: Options) -> str:
    """Why this run's return tested nothing, or '': every download started during the outage
    had already ended when the line came back (the harness was late)."""
    d = s.get("link_down") or {}
    if not o.up_at or "back_epoch_us" not in d or d["outage_downloads_going"]:
        return ""
    ends = [c["end_t"] for c in _outage_downloads(s, o) if c.get("end_t") is not None]
    last = max(ends, default=d["back_epoch_us"] / 1e6)
    return (f"the downloads started during the outage had ended {d['back_epoch_us'] / 1e6 - last:.3f} s "
            f"before the line came back, {d['came_back_at']:.3f} s after the first connect")


def _outage_ended_before_return_due(s: dict, o: Options) -> str:
    """Why the return could not test the outage's downloads whatever the harness did, or '':
    every one of them had ended ``ENDED_BEFORE_DUE_S`` or more before the return was due
    (``up_at`` s after the first connect) -- the options', not the machine's, doing."""
    d = s.get("link_down") or {}
    if not o.up_at or "back_epoch_us" not in d:
        return ""
    t0 = d["first_connect_epoch_us"] / 1e6
    conns = _outage_downloads(s, o)
    ends = [c["end_t"] - t0 for c in conns if c.get("end_t") is not None]
    if not conns or len(ends) < len(conns) or max(ends) > o.up_at - ENDED_BEFORE_DUE_S:
        return ""
    return (f"--up-at {o.up_at:g} is after the downloads started during the outage end: they had "
            f"ended {max(ends):.3f} s after the first connect, so the line came back with none of them "
            f"left to move and the run tested only the new ones; give --up-at below {max(ends):.3g} "
            f"(and after --down-at {o.down_at:g}), or a larger --size")


def _run_once(scenario: str, o: Options, setup: Setup | None,
              experiment: str | None) -> KernelResult:
    sc = SCENARIOS[scenario]
    setup = setup or sc.setup
    experiment = experiment or sc.experiment
    with capture_dir() as tmp, Lab(uplinks=o.uplinks, cc=o.cc) as lab:
        lab.warm_up()
        configure(lab, setup, o.weight_list)
        if any(o.rates):
            shape(lab, o.rates)
        apps = {}
        server = None
        if experiment == "echo":
            server = lab.start_agent("remote1", "serve", "--port", str(ECHO_PORT), "--mode", "echo")
        elif experiment in ("download", "mptcp", "mptcp-addrs"):
            mptcp = experiment.startswith("mptcp")
            if mptcp:
                _mptcp_endpoints(lab, experiment)
            server = lab.start_agent("remote1", "serve", "--port", str(WEB_PORT), "--mode", "source",
                                     "--size", str(o.size), *(["--mptcp"] if mptcp else []))
        elif experiment != "ping":
            raise LabError(f"unknown experiment {experiment!r}")
        wait = o.timeout * 3 + 30
        with Capture(lab, tmp) as cap:
            if experiment == "echo":
                apps["echo"] = lab.agent("local1", "echo", "--dst", REMOTE1, "--port", str(ECHO_PORT),
                                         "--messages", str(o.messages), "--size", str(o.msg_size),
                                         "--timeout", str(o.timeout), "--sport", str(CLIENT_PORT),
                                         timeout=wait + o.messages * o.timeout)
            elif experiment == "ping":
                apps["ping"] = lab.agent("local1", "ping", "--dst", REMOTE1, "--count", str(o.pings),
                                         "--interval", str(o.interval),
                                         "--timeout", str(min(o.timeout, 1.0)), timeout=wait)
            elif o.down_at:
                apps["download"] = _download_and_fail(lab, o, wait + o.size / 1e5,
                                                      setup.balance in ("numgen", "connmark", "source"))
            else:
                apps["download"] = lab.agent("local1", "download", "--dst", REMOTE1, "--port",
                                             str(WEB_PORT), "--size", str(o.size), "--connections",
                                             str(o.connections), "--timeout", str(o.timeout),
                                             "--sport", str(CLIENT_PORT),
                                             *(["--mptcp"] if mptcp else []),
                                             *(["--join-sport", str(CLIENT_PORT + 1)]
                                               if experiment == "mptcp" else []),
                                             timeout=wait + o.size / 1e5)
            if o.linger:
                time.sleep(o.linger)
            srv = server.stop() if server else {"conns": []}
        ruleset = router_ruleset(lab)
        result = _summarize(scenario, o, setup, lab, apps, srv, cap.packets, experiment)
        return KernelResult(scenario, o, setup, result, cap.packets, cap.frames,
                            list(lab.links), ruleset)


def _download_and_fail(lab: Lab, o: Options, timeout: float, tables: bool = True) -> dict:
    """``o.connections`` downloads; ``o.down_at`` s after the first of them began (as the
    simulator counts from its first SYN -- not from when the agent was started, which a
    loaded machine can make take over a second), and not before data flows on every one of
    them (a tenth of each received), the router's uplink ``o.down_uplink`` goes down; one
    second later as many new downloads start (ports after the first ones).  With ``o.up_at``
    the line comes back then (``ip link set dev ifK up``, and the per-mark table's route the
    book's ip-up script adds), and one second later as many new downloads start again
    (``tables``: the set-up routes by per-mark tables, whose route the return adds again; the
    hash set-ups have none); the return waits for the outage's downloads to have connected,
    so that they did so during the outage, whatever the machine's load.  Each step is timed
    from the first connect, as the simulator's are from its first SYN (a step the machine
    delayed does not delay the ones after it).
    The ``ip`` that takes it down is started beforehand, so no process start-up delays it."""
    def args(sport):
        return ("download", "--dst", REMOTE1, "--port", str(WEB_PORT), "--size", str(o.size),
                "--connections", str(o.connections), "--timeout", str(o.timeout),
                "--sport", str(sport))
    down = lab.ip_later("router")
    back = lab.ip_later("router") if o.up_at else None
    first = lab.start_client("local1", *args(CLIENT_PORT), "--announce",
                             "--announce-bytes", str(max(1, o.size // 10)))
    up = lab.read_line(first, timeout)                 # every connection is receiving data
    t0 = up["t0"]

    def at(t):
        time.sleep(max(0.0, t0 + t - time.time()))
    at(o.down_at)
    _ip_now(down, f"link set dev if{o.down_uplink} down")
    down_t_us = int(time.time() * 1e6)
    clients, back_t_us, route = [first], None, None
    # the steps after the failure, in the order they come: the outage's downloads one second
    # after it, the return (which may come before them), the last round one second after it.
    # A return the options put after the outage's downloads stays after them when the machine
    # delayed the failure (which waits for data to flow on every download): a return before
    # them would leave no download of the outage to test, the "outage's" ones starting on two
    # lines again.  Then it comes as they have connected, later than up_at, as the summary says
    during = max(o.down_at + 1.0, (down_t_us / 1e6 - t0) + 1.0)
    steps = [(during, "during")]
    if o.up_at:
        returns = max(o.up_at, during) if o.up_at > o.down_at + 1.0 else o.up_at
        steps += [(returns, "back"), (returns + 1.0, "after")]
    for t, what in sorted(steps, key=lambda x: x[0]):      # (stable: "during" before a "back" at its time)
        at(t)
        if what == "back":
            k = o.down_uplink
            _ip_now(back, f"link set dev if{k} up" + (
                f"\nroute replace default via {gw_of(uplink_addr(k))} dev if{k} table {100 + k}"
                if tables else ""))
            back_t_us = int(time.time() * 1e6)
            route = lab.ip("router", "route", "show", "default").strip()
        else:
            wait = what == "during" and o.up_at and o.up_at > o.down_at + 1.0
            clients.append(lab.start_client("local1", *args(CLIENT_PORT + len(clients) * o.connections),
                                            *(["--announce"] if wait else [])))
            if wait:
                # the outage's downloads must have connected before the line comes back (a loaded
                # machine can hold an agent's start-up for a second): the return waits for them
                lab.read_line(clients[-1], timeout)
    reports = [lab.finish_agent(c, timeout) for c in clients]
    out = {"connections": [c for r in reports for c in r["connections"]],
           "down_t_us": down_t_us, "down_uplink": f"if{o.down_uplink}",
           "first_connect_t_us": int(t0 * 1e6)}
    if o.up_at:
        out.update(back_t_us=back_t_us, main_route_after_return=route, table_route_added=tables)
    return out


def _ip_now(p, commands: str) -> None:
    """Run ``commands`` (lines of ``ip -batch``) in the started ``ip`` ``p`` (``Lab.ip_later``)."""
    p.stdin.write(commands + "\n")
    p.stdin.close()
    err = p.stderr.read()
    if p.wait(timeout=30) != 0:
        raise LabError(f"ip {commands.splitlines()[0]} failed: {err.strip()}")


def userspace_pm_sysctl(proc_sys: str = "/proc/sys") -> str:
    """The setting that selects MPTCP's userspace path manager for new sockets: the string
    ``net.mptcp.path_manager`` since Linux 6.15 (net/mptcp/ctrl.c, proc_path_manager();
    Documentation/networking/mptcp-sysctl.rst: pm_type is "deprecated since v6.15, use
    path_manager instead"), the number ``net.mptcp.pm_type`` (1) on 5.19-6.14.  The
    kernel's sysctl table is the same in every namespace, so the host's /proc/sys says."""
    if os.path.exists(os.path.join(proc_sys, "net/mptcp/path_manager")):
        return "net/mptcp/path_manager=userspace"
    return "net/mptcp/pm_type=1"


def _mptcp_endpoints(lab: Lab, experiment: str) -> None:
    """``mptcp``: local1's subflows are asked for by the agent (userspace path manager);
    ``mptcp-addrs``: local1 gets a second address, an in-kernel ``subflow`` endpoint.
    The server accepts up to 2 more subflows either way."""
    for node in ("local1", "remote1"):
        lab.ip(node, "mptcp", "limits", "set", "subflow", "2", "add_addr_accepted", "2")
    if experiment == "mptcp":
        try:
            lab.sysctls("local1", [userspace_pm_sysctl()])
        except LabError as e:
            raise LabError(f"the mptcp scenario needs MPTCP's userspace path manager "
                           f"(net.mptcp.path_manager=userspace, Linux >= 6.15; before, "
                           f"net.mptcp.pm_type=1, Linux >= 5.19); mptcp-split-access needs only "
                           f"the in-kernel one ({e})") from None
    else:
        lab.ip("local1", "addr", "add", f"{LOCAL1_ALT}/24", "dev", "eth0")
        lab.ip("local1", "mptcp", "endpoint", "add", LOCAL1_ALT, "dev", "eth0", "subflow")


def _summarize(scenario, o: Options, setup: Setup, lab: Lab, apps, srv, pkts: list[Pkt],
               experiment: str = "") -> dict:
    addrs = {f"if{k}": uplink_addr(k) for k in range(1, lab.uplinks + 1)}
    d = apps.get("download") or {}
    ob = observe(pkts, addrs, (d["down_uplink"], d["down_t_us"], d.get("back_t_us"))
                 if "down_t_us" in d else None)
    peers = [c["peer"] for c in srv.get("conns", [])]
    s = {"scenario": scenario, "setup": asdict(setup), "setup_text": setup.describe(),
         "uplinks": lab.uplinks, "kernel": platform.release(),
         # set in every namespace, and read back from a new socket in each (Lab.check_cc)
         "tcp_congestion_control": o.cc, "observed": ob}
    if "echo" in apps:
        e = apps["echo"]
        e["complete"] = e["echoed"] == e["messages"]
        e["seen_by_server_as"] = peers
        s["echo"] = [e]
    if "ping" in apps:
        p = apps["ping"]
        p["seen_by_remote_as"] = sorted({q.src for q in pkts if q.link == "remote1_link"
                                         and q.proto == 1 and q.type == 8
                                         and q.sender.startswith("internet")})
        s["pings"] = [p]
    if "download" in apps:
        conns = apps["download"]["connections"]
        for c in conns:
            port = c["client"].split(", ")[1].rstrip(")") if c["client"] else None
            c["seen_by_server_as"] = [q for q in peers if port and q.endswith(f", {port})")]
        s["connections"] = conns
        if "down_t_us" in apps["download"]:
            d = apps["download"]
            # "at": seconds after the first download's connect(), the simulator's "at" (its
            # clock starts with its first SYN); the wall-clock microseconds as measured
            s["link_down"] = {"uplink": d["down_uplink"],
                              "at": round((d["down_t_us"] - d["first_connect_t_us"]) / 1e6, 3),
                              "at_epoch_us": d["down_t_us"],
                              "first_connect_epoch_us": d["first_connect_t_us"]}
            if d.get("back_t_us"):
                # the return (up_at): as "at", seconds after the first download's connect()
                n = o.connections
                s["link_down"].update(
                    came_back_at=round((d["back_t_us"] - d["first_connect_t_us"]) / 1e6, 3),
                    back_epoch_us=d["back_t_us"], main_route_after_return=d["main_route_after_return"],
                    table_route_added=d["table_route_added"],
                    # the outage's downloads still going when the line came back: what the return tests
                    outage_downloads_going=sum(1 for c in conns[n:2 * n]
                                               if c.get("end_t") is None or c["end_t"] * 1e6 > d["back_t_us"]))
        if experiment.startswith("mptcp"):
            s["mptcp"] = [_mptcp_summary(conns[0], srv, pkts, ob)]
    stats = {}
    for k in range(1, lab.uplinks + 1):
        stats[f"if{k}"] = {"addr": uplink_addr(k),
                           # the tbf rate on both of its ends, kbit/s; None: not limited
                           "rate_kbit": o.rates[k - 1] or None,
                           # its nexthop weight (the main route's; numgen's and connmark's map)
                           "weight": o.weight_list[k - 1],
                           "up_packets": sum(1 for q in pkts if q.link == f"uplink{k}"
                                             and q.sender == f"router:if{k}"),
                           "down_packets": sum(1 for q in pkts if q.link == f"uplink{k}"
                                               and q.sender != f"router:if{k}")}
    s["uplinks_stats"] = stats
    return s


def _mptcp_summary(c: dict, srv: dict, pkts: list[Pkt], ob: dict) -> dict:
    """The MPTCP download in the simulator's shape (``summary["mptcp"]``), its subflows
    read from the capture: every SYN local1 sent is one subflow."""
    flows = {f["client"]: f for f in ob["flows"] if f["proto"] == "tcp"}
    syns, subflows = {}, []
    for q in pkts:
        if q.link == "lan" and q.sender.startswith("local") and q.proto == 6 and q.flags == "S":
            syns.setdefault((q.src, q.sport), q)
    for (addr, port), syn in syns.items():
        ep = fmt_endpoint(addr, port)
        down = {q.seq: q.load for q in pkts if q.link == "lan" and q.sender.startswith("router:")
                and q.proto == 6 and q.dst == addr and q.dport == port and q.load}
        f = flows.get(ep, {})
        mine = [q for q in pkts if q.link == "lan" and q.sender.startswith("local") and q.proto == 6
                and (q.src, q.sport) == (addr, port)]
        fin = min((q.t_us for q in mine if "F" in q.flags), default=None)
        rsts = [q.t_us for q in mine if "R" in q.flags]
        subflows.append({
            "client": ep, "seen_by_server_as": (f.get("remote_saw") or [None])[0],
            "bytes": sum(down.values()), "uplinks": f.get("uplinks_used", []),
            "mptcp_option": syn.mptcp,
            "reset": any("R" in q.flags for q in pkts if q.link == "lan" and q.proto == 6
                         and ((q.src, q.sport) == (addr, port) or (q.dst, q.dport) == (addr, port))),
            # the client's resets on it: None (it sent none), True (every one after its own FIN
            # on it: the download had ended and the client had closed), False (one before)
            "client_reset_after_fin": (None if not rsts else
                                       fin is not None and min(rsts) > fin)})
    secs = c.get("seconds")
    return {"subflows": subflows, "bytes": c["bytes"], "bytes_wanted": c["bytes_wanted"],
            "complete": c["complete"], "seconds": secs,
            "throughput_kbit": round(c["bytes"] * 8 / secs / 1e3, 1) if secs else None,
            "server_accepted": len(srv.get("conns", [])),
            "join_error": (c.get("join") or {}).get("error")}


def run_many(jobs: list[tuple[str, dict]], parallel: int = 4) -> list:
    """Run several kernel scenarios at once, each in its own lab (the experiments mostly wait).

    The labs run in worker threads, where Python runs no signal handler: so SIGTERM and SIGHUP
    raise ``Interrupted`` here, in the main thread (``signals_interrupt``), as in a single run.
    When the main thread is interrupted (those, or Ctrl-C), it closes the workers' labs,
    waits for the workers, and re-raises: nothing is left behind."""
    out = [None] * len(jobs)
    errors = []
    sem = threading.Semaphore(parallel)

    def one(i, name, kw):
        with sem:
            try:
                out[i] = run(name, **kw)
            except BaseException as e:          # reported in the caller's thread
                errors.append(e)
    threads = [threading.Thread(target=one, args=(i, n, kw)) for i, (n, kw) in enumerate(jobs)]
    with signals_interrupt():
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        except BaseException:
            mine = {t.ident for t in threads if t.ident is not None}
            with cleaning_up():          # (a second Ctrl-C would leave the workers' labs behind)
                stop_labs(mine)
                for t in threads:
                    if t.ident is not None:
                        t.join()
                release_threads(mine)
            raise
    if errors:
        raise errors[0]
    return out


# -- uplink-down: which uplink each download takes ----------------------------------------------

#: in ``DownPlan.after``: the live uplink the main table's hash picks
HASHED = "hashed"


@dataclass(frozen=True)
class DownPlan:
    """Where ``uplink-down``'s downloads go, as the router's conntrack marks send them
    (``ct mark set numgen inc ...``, ``Options.weights`` its map): the first round's uplinks
    (``before``, all up then); ``dead``, the uplink that fails, and ``on_dead``, how many of
    the first round it carried; ``live``, the uplinks left.  After the failure a new
    connection draws the next mark; one whose table was the dead line's (its route deleted
    with the device) falls through to the main table, whose hash of the addresses -- the same
    for every packet from the LAN host to the server, so the same live uplink for all of them
    (``HASHED``) -- picks it.  So does an INVALID packet, which draws no mark: a FIN whose
    entry went with the device.  Each download on the dead line either stalls (its client gives
    up: its FIN leaves un-NATed) or is reset (an ACK it owed draws a new mark first: a
    mid-stream pick-up, which the server resets) -- ``after(reset)``."""
    before: tuple[int, ...]
    dead: int
    live: tuple[int, ...]
    marks: tuple[int, ...]        # the marks the counter gives from its first value on, a round

    @property
    def on_dead(self) -> int:
        return self.before.count(self.dead)

    def mark(self, i: int) -> int:
        """The mark of the counter's ``i``-th value (from 1)."""
        return self.marks[(i - 1) % len(self.marks)]

    def uplink(self, mark: int, hashed: int | str) -> int | str:
        return hashed if mark == self.dead else mark

    def acks(self, reset: int, hashed: int | str = HASHED) -> list:
        """The uplinks of the ACKs ``reset`` downloads on the dead line owed (drawn first)."""
        n = len(self.before)
        return [self.uplink(self.mark(i), hashed) for i in range(n + 1, n + reset + 1)]

    def back(self, reset: int) -> list:
        """The uplinks of the downloads started after the line came back (``up_at``): the marks
        they draw, every table having its route again (``reset`` as in ``after``)."""
        n = len(self.before)
        return [self.mark(i) for i in range(2 * n + reset + 1, 3 * n + reset + 1)]

    def after(self, reset: int, hashed: int | str = HASHED) -> list:
        """The new downloads' uplinks, ``reset`` of the dead line's downloads having been
        reset (their ACKs drew marks first); ``hashed``: what stands for the main table's
        choice (an uplink, or ``HASHED``)."""
        n = len(self.before)
        return [self.uplink(self.mark(i), hashed) for i in range(n + reset + 1, 2 * n + reset + 1)]


def down_plan(o: Options) -> DownPlan:
    """``uplink-down``'s plan for options ``o`` (``o.down_uplink`` fails)."""
    from ..multipath import numgen_marks
    marks = numgen_marks(o.weight_list) or tuple(range(1, o.uplinks + 1))
    before = tuple(marks[i % len(marks)] for i in range(o.connections))
    return DownPlan(before, o.down_uplink,
                    tuple(k for k in range(1, o.uplinks + 1) if k != o.down_uplink), marks)


def _uplinks_text(ks: list, live: tuple[int, ...]) -> str:
    """``both take uplink 1``, ``take uplink 3, then uplink 1``: ``ks`` (``HASHED``: the main
    table's pick, which with one live uplink is that one)."""
    ks = [live[0] if k == HASHED and len(live) == 1 else k for k in ks]
    if len(set(ks)) == 1 and ks[0] != HASHED:
        return ("takes" if len(ks) == 1 else "both take" if len(ks) == 2 else "all take") + f" uplink {ks[0]}"
    return "take " + ", then ".join("the main table's pick" if k == HASHED else f"uplink {k}" for k in ks)


def _uplink_down_doc(o: Options) -> str:
    """uplink-down's description, derived from the options (uplinks, downloads, which fails,
    weights): which uplink the new downloads take follows from the marks they draw."""
    p = down_plan(o)
    n, d = o.connections, p.on_dead
    head = (f"per-connection balancing (conntrack marks) + MASQUERADE, {n} download{'s' if n > 1 else ''}; "
            f"uplink {p.dead} goes down {o.down_at:g} s in: ")
    if d == 0:
        fate = "none of them is on it, they finish"
    else:
        fate = ("its download stalls or is reset (a race)" if d == 1 else
                f"its {d} downloads each stall or are reset (a race)")
        if n - d:
            fate += ", the other finishes" if n - d == 1 else f", the other {n - d} finish"
    stalled = _uplinks_text(p.after(0), p.live)
    text = f"{head}{fate}, {n} new one{'s' if n > 1 else ''} {stalled}"
    if d and (reset := _uplinks_text(p.after(d), p.live)) != stalled:
        text += f" (after a reset, whose owed ACK draws the next mark{'s' if d > 1 else ''} first: {reset[5:]})"
    if HASHED in p.after(0) + p.after(d) and len(p.live) > 1:
        text += (f"; the main table's hash picks a live uplink for mark {p.dead}, whose table lost "
                 f"its route")
    if o.up_at:
        back = _uplinks_text(p.back(0), tuple(range(1, o.uplinks + 1)))
        text += (f"; the line comes back {o.up_at:g} s in (its table's route added again, as an ip-up "
                 f"script does): the downloads of the outage keep the uplink they took (the postrouting "
                 f"rule's mark), {n} new one{'s' if n > 1 else ''} {back}")
        if d and (reset := _uplinks_text(p.back(d), tuple(range(1, o.uplinks + 1)))) != back:
            text += f" (after a reset: {reset[5:]})"
    return text


for _name, _sc in list(SCENARIOS.items()):
    if _sc.doc_of is not None:
        SCENARIOS[_name] = dataclasses.replace(_sc, doc=_sc.doc_for())
