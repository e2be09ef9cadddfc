"""What both the kernel lab and the simulator let us observe, computed the same way.

Input: the packets seen on each link (``capture.Pkt`` records: from the lab's
tcpdump captures, or converted from the simulator's ``hop`` events by
``from_sim``).  Output: a dict of observations:

- ``flows``: per flow (told apart by protocol, client port or ICMP id, and
  destination: NAT here keeps ports), the uplink of every upstream packet in
  order, the source addresses it left with, and what the remote host saw;
- ``drops``: upstream packets that entered the router from the LAN but left by
  no uplink (dropped by the router), packets a provider did not pass on
  (its source filter), replies that reached the router and went to no LAN
  host (the router's own stack took them);
- ``lost``: every packet the captures at both ends of a hop show lost on it, by where:
  ``drops``' places, plus the packets a provider took from the Internet and never put on
  its uplink (its queue: the tbf shaper, the simulator's queue), and, with ``down`` (the
  uplink whose line failed and when), what was lost on that line once it was down, either
  way.  The simulator's hops read the same way give the same places, so the two counts
  compare like with like (the simulator's own drop reasons also count packets no link
  lost, a reset's or a give-up's);
- ``resets``: who sent a TCP reset (client, remote host, the router's own stack);
- ``handshake``: per TCP flow, how the remote's half of the handshake completed.
"""
from __future__ import annotations

from collections import defaultdict, deque
from typing import NamedTuple

from ..packet import fmt_endpoint
from .capture import Pkt

_ORDER = "FSRPAUEC"


def canon_flags(flags: str) -> str:
    return "".join(c for c in _ORDER if c in flags)


def from_sim(result) -> list[Pkt]:
    """The simulator's hops as ``Pkt`` records (same links, same end labels)."""
    from sim.trace import Ev
    out = []
    for e in result.events:
        if e.ev is not Ev.HOP:
            continue
        t, link, pkt, frm = e.t, e.node, e.pkt, e.from_
        ip, l4 = pkt.ip, pkt.l4
        proto = pkt.proto
        if proto == 6:
            out.append(Pkt(t, link, frm, ip.src, ip.dst, 6, ip.id, l4.sport, l4.dport,
                           canon_flags(l4.flags), l4.seq, l4.ack, pkt.load))
        elif proto == 1:
            out.append(Pkt(t, link, frm, ip.src, ip.dst, 1, ip.id, l4.id, l4.id, "", l4.seq,
                           0, pkt.load, type=l4.type))
        else:
            out.append(Pkt(t, link, frm, ip.src, ip.dst, proto, ip.id, l4.sport, l4.dport,
                           "", 0, 0, pkt.load))
    return out


def _local(p: Pkt) -> bool:
    return p.sender.startswith("local")


def _up_fp(p: Pkt) -> tuple:
    return (p.proto, p.dst, p.dport, canon_flags(p.flags), p.seq, p.ack, p.load, p.type)


def _down_fp(p: Pkt) -> tuple:
    return (p.proto, p.src, p.sport, canon_flags(p.flags), p.seq, p.ack, p.load, p.type)


def flow_key(p: Pkt, upstream: bool = True) -> tuple:
    """(proto, client port or ICMP id, remote address, remote port)."""
    if upstream:
        return (p.proto, p.sport, p.dst, p.dport)
    return (p.proto, p.dport, p.src, p.sport)


class _Seen(NamedTuple):
    """The packets by where they were seen, each list in time order."""
    lan_up: list[Pkt]          # a LAN host -> the router, to the Internet
    lan_down: list[Pkt]        # the router -> a LAN host
    up: list[Pkt]              # the router -> a provider, on an uplink
    down: list[Pkt]            # a provider -> the router
    peer_up: list[Pkt]         # a provider -> the Internet (what its filter passed)
    peer_down: list[Pkt]       # the Internet -> a provider
    at_remote: list[Pkt]       # the Internet -> a remote host
    from_remote: list[Pkt]     # a remote host -> the Internet


def _seen(pkts: list[Pkt]) -> _Seen:
    return _Seen(
        lan_up=[p for p in pkts if p.link == "lan" and _local(p) and not p.dst.startswith("192.168.")],
        lan_down=[p for p in pkts if p.link == "lan" and p.sender.startswith("router:")],
        up=[p for p in pkts if p.link.startswith("uplink") and p.sender.startswith("router:")],
        down=[p for p in pkts if p.link.startswith("uplink") and p.sender.startswith("provider")],
        peer_up=[p for p in pkts if p.link.startswith("peer") and p.sender.startswith("provider")],
        peer_down=[p for p in pkts if p.link.startswith("peer") and p.sender.startswith("internet")],
        at_remote=[p for p in pkts if p.link.endswith("_link") and p.sender.startswith("internet")],
        from_remote=[p for p in pkts if p.link.endswith("_link") and p.sender.startswith("remote")])


def _match(srcs, dsts, fp):
    """Pair each packet of ``srcs`` with the first unpaired one of ``dsts`` with the same
    fingerprint (in time order): (paired, unpaired srcs, unpaired dsts)."""
    pool = defaultdict(deque)
    for q in dsts:
        pool[fp(q)].append(q)
    pairs, lost = [], []
    for p in srcs:
        cands = pool.get(fp(p))
        while cands and cands[0].t_us < p.t_us:
            cands.popleft()                   # stale copies (can't precede their origin)
        if cands:
            pairs.append((p, cands.popleft()))
        else:
            lost.append(p)
    used = {id(q) for _, q in pairs}
    return pairs, lost, [q for q in dsts if id(q) not in used]


def observe(pkts: list[Pkt], uplink_addrs: dict[str, str],
            down: tuple[str, int, int | None] | None = None) -> dict:
    """``uplink_addrs``: {"if1": "100.0.0.1", ...}; ``down``: ("if2", t_us, back_t_us), the
    uplink whose line went down, when, and when it came back (None: it did not), on the
    packets' clock; or None."""
    addr_dev = {a: d for d, a in uplink_addrs.items()}
    s = _seen(pkts)
    # upstream: LAN -> router -> uplink; what left by no uplink the router dropped
    up_pairs, dropped_router, router_own = _match(s.lan_up, s.up, _up_fp)
    upstream = {d: sum(1 for p in s.up if "if" + p.link[len("uplink"):] == d) for d in uplink_addrs}
    return {"flows": _flows(s, up_pairs, dropped_router, addr_dev),
            "drops": _drops(s, dropped_router, uplink_addrs, addr_dev),
            "lost": _lost(s, dropped_router, uplink_addrs, addr_dev, down),
            "resets": _resets(s, router_own),
            "upstream_per_uplink": upstream,
            "router_sent_on_its_own": len(router_own)}


def _drops(s: _Seen, dropped_router: list[Pkt], uplink_addrs: dict[str, str],
           addr_dev: dict[str, str]) -> dict[str, int]:
    """Who dropped how many: the router upstream, a provider's source filter (uplink ->
    provider -> peer link), the router's own stack (a reply that found no LAN host)."""
    drops: dict[str, int] = {}
    if dropped_router:
        drops["router (upstream)"] = len(dropped_router)
    for k, dev in enumerate(uplink_addrs, start=1):
        sent = [p for p in s.up if p.link == f"uplink{k}"]
        passed = [p for p in s.peer_up if p.link == f"peer{k}"]
        _, lost, _ = _match(sent, passed, lambda p: (p.src,) + _up_fp(p))
        if lost:
            drops[f"provider{k} (source filter)"] = len(lost)
    _, to_router_stack, _ = _match(s.down, s.lan_down, _down_fp)
    to_stack = [p for p in to_router_stack if p.dst in addr_dev]
    if to_stack:
        drops["router's own stack (downstream, no conntrack)"] = len(to_stack)
    return drops


#: a packet lost on the line that failed counts as the line's when it came after the last one
#: the line carried and at most this long before the failure (what a queue can hold: the
#: simulator's and the lab's shapers hold well under it)
LINE_QUEUE_US = 2_000_000


def _lost(s: _Seen, dropped_router: list[Pkt], uplink_addrs: dict[str, str],
          addr_dev: dict[str, str], down: tuple[str, int, int | None] | None) -> dict[str, int]:
    """Every packet lost between the two ends of a hop, by where (``observe``'s ``lost``)."""
    lost: dict[str, int] = {}

    def add(where: str, n: int) -> None:
        if n:
            lost[where] = lost.get(where, 0) + n
    add("router (upstream)", len(dropped_router))
    for k, dev in enumerate(uplink_addrs, start=1):
        dead = down is not None and down[0] == dev

        back = down[2] if dead and down[2] is not None else float("inf")

        def split(srcs: list[Pkt], dsts: list[Pkt], fp, where: str, way: str) -> None:
            """The packets sent towards this line that never came off it.  On the line that
            went down: what was sent while it was down, and what was lost after the last packet
            it carried before (queued when it failed), is the line's; the rest, before the
            failure and once it is back, ``where``'s.  Before the failure and after the return
            are paired apart: a copy sent again after the return (the same segment) was taken
            for one lost before it, and the loss put after the return, as the queue's."""
            if not dead:
                add(where, len(_match(srcs, dsts, fp)[1]))
                return
            t_down = down[1]
            pairs, pkts, _ = _match([p for p in srcs if p.t_us < t_down], [q for q in dsts if q.t_us < back], fp)
            last = max((p.t_us for p, _ in pairs), default=-1)
            line = [p for p in pkts if p.t_us > last and p.t_us >= t_down - LINE_QUEUE_US]
            outage = [p for p in srcs if t_down <= p.t_us < back]
            after_return = _match([p for p in srcs if p.t_us >= back], [q for q in dsts if q.t_us >= back], fp)[1]
            add(where, len(pkts) - len(line) + len(after_return))
            add(f"{dev}'s dead line ({way})", len(line) + len(outage))
        split([p for p in s.up if p.link == f"uplink{k}"], [p for p in s.peer_up if p.link == f"peer{k}"],
              lambda p: (p.src,) + _up_fp(p), f"provider{k}'s source filter (upstream)", "upstream")
        split([p for p in s.peer_down if p.link == f"peer{k}"], [p for p in s.down if p.link == f"uplink{k}"],
              lambda p: (p.dst,) + _down_fp(p), f"provider{k}'s queue (downstream)", "downstream")
    # the Internet's router: between the providers and the remote hosts (a reply to the LAN's
    # private address, which a packet that left un-NATed gets, has no route)
    add("the Internet (upstream)", len(_match(s.peer_up, s.at_remote, lambda p: (p.src,) + _up_fp(p))[1]))
    add("the Internet (downstream: no route)", len(_match(s.from_remote, s.peer_down,
                                                lambda p: (p.dst,) + _down_fp(p))[1]))
    _, to_router_stack, _ = _match(s.down, s.lan_down, _down_fp)
    add("router's own stack (downstream: no conntrack)", sum(1 for p in to_router_stack if p.dst in addr_dev))
    return lost


def _flows(s: _Seen, up_pairs, dropped_router: list[Pkt], addr_dev: dict[str, str]) -> list[dict]:
    """One dict per flow the LAN started: its uplinks, sources, what the remote saw."""
    flows: dict[tuple, dict] = {}
    for p in s.lan_up:
        k = flow_key(p)
        if k not in flows:
            flows[k] = {"proto": {6: "tcp", 1: "icmp", 17: "udp"}.get(p.proto, str(p.proto)),
                        "client": fmt_endpoint(p.src, p.sport) if p.proto != 1 else f"{p.src} id {p.sport}",
                        "server": fmt_endpoint(p.dst, p.dport) if p.proto != 1 else p.dst,
                        "lan_packets": 0, "uplinks": [], "sources": defaultdict(set),
                        "remote_saw": set(), "dropped_by_router": 0}
        flows[k]["lan_packets"] += 1
    for lp, q in up_pairs:
        f = flows[flow_key(lp)]
        dev = "if" + q.link[len("uplink"):]
        f["uplinks"].append(dev)
        f["sources"][dev].add(q.src)
    for p in dropped_router:
        flows[flow_key(p)]["dropped_by_router"] += 1
    for p in s.at_remote:
        k = flow_key(p)
        if k in flows:
            f = flows[k]
            f["remote_saw"].add(fmt_endpoint(p.src, p.sport) if p.proto != 1 else p.src)
    for k, f in flows.items():
        f["uplinks_used"] = sorted(set(f["uplinks"]))
        f["one_uplink"] = len(f["uplinks_used"]) == 1
        f["foreign_source"] = sorted({f"{a} on {d}" for d, ss in f["sources"].items()
                                      for a in ss if addr_dev.get(a) != d})
        f["sources"] = {d: sorted(s) for d, s in sorted(f["sources"].items())}
        f["remote_saw"] = sorted(f["remote_saw"])
        if f["proto"] == "tcp":                 # the handshake, seen from the remote host
            f["handshake"] = _handshake(k, s.at_remote, s.from_remote)
    return list(flows.values())


def _resets(s: _Seen, router_own: list[Pkt]) -> dict[str, int]:
    """Who sent a TCP reset: the client, the remote host, the router's own stack."""
    resets: dict[str, int] = defaultdict(int)
    for p in s.lan_up:
        if "R" in p.flags:
            resets["client"] += 1
    for p in s.from_remote:
        if "R" in p.flags:
            resets["remote host"] += 1
    for p in router_own:
        if "R" in p.flags:
            resets["router's own stack"] += 1
    return dict(resets)


def _handshake(k, at_remote, from_remote) -> str:
    """How the remote host's side got established: by the handshake ACK, late by data, or not."""
    proto, sport, dst, dport = k
    ins = [p for p in at_remote if p.proto == 6 and p.sport == sport and p.dst == dst
           and p.dport == dport]
    syn = next((p for p in ins if p.flags == "S"), None)
    if syn is None:
        return "failed (no SYN reached the remote)"
    ins = [p for p in ins if p.src == syn.src]           # the client as the remote knows it
    outs = [p for p in from_remote if p.proto == 6 and p.dport == sport and p.src == dst
            and p.sport == dport and p.dst == syn.src]
    synack = next((p for p in outs if p.flags == "SA"), None)
    if synack is None:
        return "failed (no SYN+ACK)"
    for p in ins:
        if p.t_us < synack.t_us or "S" in p.flags:
            continue
        if "R" in p.flags:
            return "failed (reset)"
        if p.ack == (synack.seq + 1) & 0xFFFFFFFF:
            return "completed by the handshake ACK" if p.load == 0 else \
                "completed late, by a data segment"
        return f"failed (an ACK that matches no SYN+ACK: ack {p.ack})"
    return "failed (no ACK reached the remote)"
