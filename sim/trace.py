"""The trace: every hop and every decision is one event.

An event is a plain tuple ``(t, ev, node, pkt, info)`` -- time in µs, the
event kind, where it happened (a node or link name), the packet as it was
there (or ``None``), and a small kind-specific tuple whose fields are
named in ``FIELDS``.  Tuples keep a stored event small; ``event_dict``
turns one into the JSON form documented in the README.

State changes (route cache inserts and deletes, conntrack entries, TCP
states) are events too, so the state of any table at any step can be
rebuilt from the trace alone (``sim.state``): views read traces, they
never poke the engine.
"""
from __future__ import annotations

from collections import Counter
from enum import Enum

from .packet import PROTO_NAMES


class Ev(str, Enum):
    SEND = "send"          # a host's stack emits a packet
    HOP = "hop"            # a packet crossed a link (frame n of the pcapng)
    RT_MISS = "rt_miss"    # route cache miss: FIB lookup, nexthop chosen, entry inserted
    RT_HIT = "rt_hit"      # route cache hit
    RT_DEL = "rt_del"      # route cache entry removed (equalize, expired, flush)
    FIB = "fib"            # FIB lookup on a router without a route cache
    NAT = "nat"            # address/port translation, before -> after
    CT_NEW = "ct_new"      # conntrack entry created
    CT_DEL = "ct_del"      # conntrack entry destroyed
    DROP = "drop"          # packet dropped, with a reason from Drop
    TCP = "tcp"            # TCP state change
    DELIVER = "deliver"    # packet reached its destination host's stack
    APP = "app"            # application milestone (download done, ping sent ...)
    LINK = "link"          # a device went down (its line failed) or came up

    def __str__(self) -> str:
        return self.value


class Drop(str, Enum):
    """The fixed vocabulary of drop reasons."""
    INGRESS_FILTER = "ingress filter"
    NO_ROUTE = "no route"
    RESET = "reset"
    RETRIES = "retries exhausted"
    QUEUE_FULL = "queue full"
    IGNORED = "ignored by remote"
    TTL = "TTL exceeded"
    NO_SOCKET = "no socket"
    NAT_OIF_CHANGED = "nat oif changed"
    LINK_DOWN = "link down"

    def __str__(self) -> str:
        return self.value


FIELDS: dict[Ev, tuple[str, ...]] = {
    Ev.SEND: (),
    Ev.HOP: ("from", "to"),
    Ev.RT_MISS: ("key", "dev", "via", "why", "equalize"),
    Ev.RT_HIT: ("key", "dev", "via"),
    Ev.RT_DEL: ("key", "dev", "reason"),
    Ev.FIB: ("dev", "via", "why"),
    Ev.NAT: ("before", "dir", "ct"),
    Ev.CT_NEW: ("ct", "orig", "reply", "dev"),
    Ev.CT_DEL: ("ct", "reason"),
    Ev.DROP: ("reason",),
    Ev.TCP: ("local", "remote", "old", "new"),
    Ev.DELIVER: (),
    Ev.APP: ("what", "value"),
    Ev.LINK: ("dev", "state"),
}


class Trace:
    """Collects events; with ``keep=False`` only counts them (counters-only mode)."""

    def __init__(self, sim, keep: bool = True):
        self.sim = sim
        self.keep = keep
        self.events: list[tuple] = []
        self.counts: Counter = Counter()
        self.drops: Counter = Counter()     # drop reason -> count, kept in both modes

    def emit(self, ev: Ev, node: str, pkt=None, *info) -> None:
        self.counts[ev] += 1
        if ev is Ev.DROP:
            self.drops[info[0].value] += 1
        if self.keep:
            self.events.append((self.sim.now, ev, node, pkt, info))

    def __len__(self) -> int:
        return len(self.events)


def _jsonable(v):
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


def event_dict(i: int, e: tuple) -> dict:
    """The JSON form of event number ``i``."""
    t, ev, node, pkt, info = e
    d = {"i": i, "t_us": t, "ev": ev.value, "node": node}
    if pkt is not None:
        d["pkt"] = pkt.to_dict()
    for name, v in zip(FIELDS[ev], info):
        if name == "key":
            v = dict(zip(("dst", "src", "tos", "iif"), v))
        elif name in ("orig", "reply"):
            v = dict(zip(("proto", "src", "sport", "dst", "dport"), v))
        d[name] = _jsonable(v)
    return d


def fmt_time(t_us: int) -> str:
    return f"{t_us // 1_000_000}.{t_us % 1_000_000:06d}"


def event_text(e: tuple) -> str:
    """One tcpdump-like line per event."""
    t, ev, node, pkt, info = e
    head = f"{fmt_time(t)} {node:<18} {ev.value:<8}"
    f = dict(zip(FIELDS.get(ev, ()), info))
    if ev is Ev.HOP:
        return f"{head} {f['from']} > {f['to']}  IP {pkt.summary()}"
    if ev in (Ev.SEND, Ev.DELIVER):
        return f"{head} IP {pkt.summary()}"
    if ev is Ev.RT_MISS:
        return f"{head} {fmt_key(f['key'])} -> dev {f['dev']} via {f['via']} ({f['why']})"
    if ev is Ev.RT_HIT:
        return f"{head} {fmt_key(f['key'])} -> dev {f['dev']} via {f['via']}"
    if ev is Ev.RT_DEL:
        return f"{head} {fmt_key(f['key'])} dev {f['dev']} ({f['reason']})"
    if ev is Ev.FIB:
        return f"{head} {pkt.ip.src} > {pkt.ip.dst} -> dev {f['dev']} via {f['via']} ({f['why']})"
    if ev is Ev.NAT:
        b = f["before"]
        return (f"{head} {f['dir']} ct {f['ct']}: {b.ip.src}.{b.sport} > {b.ip.dst}.{b.dport}"
                f" => {pkt.ip.src}.{pkt.sport} > {pkt.ip.dst}.{pkt.dport}")
    if ev is Ev.CT_NEW:
        return f"{head} ct {f['ct']} dev {f['dev']}: {fmt_tuple(f['orig'])} <-> {fmt_tuple(f['reply'])}"
    if ev is Ev.CT_DEL:
        return f"{head} ct {f['ct']} ({f['reason']})"
    if ev is Ev.DROP:
        return f"{head} {f['reason']}: IP {pkt.summary()}"
    if ev is Ev.TCP:
        (la, lp), (ra, rp) = f["local"], f["remote"]
        return f"{head} {la}.{lp} > {ra}.{rp}: {f['old']} -> {f['new']}"
    if ev is Ev.LINK:
        return f"{head} dev {f['dev']} {f['state']}"
    return f"{head} {f['what']} {f['value']}"


def fmt_key(key) -> str:
    dst, src, tos, iif = key
    return f"{src} > {dst} tos 0x{tos:02x} iif {iif}"


def fmt_tuple(t) -> str:
    proto, src, sport, dst, dport = t
    return f"{PROTO_NAMES[proto]} {src}:{sport} > {dst}:{dport}"
