"""The Linux 2.4 route cache (net/ipv4/route.c), for forwarded packets.

Key: (daddr, saddr, tos, iif) -- no ports, so two connections between the
same two hosts share one entry.  A miss goes to the FIB and inserts an
entry; idle entries are freed by ``rt_check_expire()`` every
``gc_interval`` once unused for ``gc_timeout``.

The equalize patch marks entries made from an ``equalize`` route; a hit on
such an entry deletes it and takes the slow path again, so every packet
gets a fresh nexthop choice.
"""
from __future__ import annotations

from dataclasses import dataclass

from .trace import Ev

GC_TIMEOUT = 300_000_000      # µs: /proc/sys/net/ipv4/route/gc_timeout = 300 s
GC_INTERVAL = 60_000_000      # µs: /proc/sys/net/ipv4/route/gc_interval = 60 s

RtKey = tuple[str, str, int, str]
"""(daddr, saddr, tos, iif) -- like ``rt_hash_code(daddr, saddr ^ (iif<<5), tos)``."""


@dataclass(slots=True)
class RtEntry:
    key: RtKey
    dev: str
    via: str
    equalize: bool
    created: int
    lastuse: int
    use: int = 1


class RouteCache:
    def __init__(self, router, gc_timeout: int = GC_TIMEOUT, gc_interval: int = GC_INTERVAL):
        self.router = router
        self.entries: dict[RtKey, RtEntry] = {}
        self.gc_timeout = gc_timeout
        self.gc_interval = gc_interval
        self.in_hit = self.in_slow_tot = self.in_no_route = 0

    def start_gc(self) -> None:
        self.router.sim.at(self.gc_interval, self.rt_check_expire, daemon=True)

    def get(self, key: RtKey) -> RtEntry | None:
        return self.entries.get(key)

    def insert(self, key: RtKey, dev: str, via: str, equalize: bool) -> RtEntry:
        now = self.router.sim.now
        e = self.entries[key] = RtEntry(key, dev, via, equalize, now, now)
        return e

    def delete(self, e: RtEntry, reason: str) -> None:
        del self.entries[e.key]
        self.router.sim.trace.emit(Ev.RT_DEL, self.router.name, None, e.key, e.dev, reason)

    def rt_check_expire(self) -> None:
        now = self.router.sim.now
        for e in [e for e in self.entries.values() if now - e.lastuse > self.gc_timeout]:
            self.delete(e, "expired")
        self.router.sim.at(self.gc_interval, self.rt_check_expire, daemon=True)

    def flush(self) -> None:
        """``ip route flush cache``."""
        for e in list(self.entries.values()):
            self.delete(e, "flush")

    def show(self) -> str:
        """Like ``ip route show cache`` (2.4 style)."""
        now = self.router.sim.now
        return "\n".join(show_entry(e, now) for e in self.entries.values())


def show_entry(e: RtEntry, now: int) -> str:
    dst, src, tos, iif = e.key
    flags = " <equalize>" if e.equalize else ""
    tos_s = f" tos 0x{tos:02x}" if tos else ""
    return (f"{dst} from {src}{tos_s} via {e.via} dev {e.dev}\n"
            f"    cache{flags} used {e.use} age {(now - e.lastuse) // 1_000_000}sec iif {iif}")
