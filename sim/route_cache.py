"""The Linux 2.4 route cache (net/ipv4/route.c), for forwarded packets.

Key: (daddr, saddr, tos, iif) -- no ports, so two connections between the
same two hosts share one entry.  The TOS is the header's masked with ``IPTOS_RT_MASK``, as
``ip_route_input()`` masks it before hashing and comparing: precedence and the two low
(ECN) bits never make an entry of their own.  2.4 also compares ``key.fwmark`` under
``CONFIG_IP_ROUTE_FWMARK``; the simulator's key leaves it out because no packet that reaches
its 2.4 route cache carries a mark (the policies that stand for marking, ``numgen`` and
``connmark``, model today's kernels, which have no route cache, and no scenario has
iptables ``MARK`` rules), so every entry's mark would be 0.  A miss goes to the FIB and inserts an
entry at the head of its hash chain.  Idle entries are freed by
``rt_check_expire()``, which runs every ``gc_interval`` (60 s) but visits only
103 of the 512 hash buckets per run (``(gc_interval << rt_hash_log) / gc_timeout
+ 1`` = 30720 / 300 + 1), so a bucket is looked at again five runs (300 s) later --
except that five runs visit 515 buckets, so the first three buckets of every five
runs' sweep are visited again in its fifth run, 240 s after the first: an idle
entry goes between ``gc_timeout`` and twice that after its last use, depending on
its bucket.  Further down a chain the timeout halves for every
entry kept before it.  The hash is 2.4.18's ``rt_hash_code()`` over the
addresses as the kernel holds them (network byte order on a little-endian
i386), with 512 buckets (a router with 64 MB of memory).

The equalize patch marks entries made from an ``equalize`` route; a hit on
such an entry deletes it and takes the slow path again, so every packet
gets a fresh nexthop choice.
"""
from __future__ import annotations

from dataclasses import dataclass

from .reasons import Gone, Reason
from .trace import Ev

_RT_DEL = Ev.RT_DEL     # read once (``Ev.X`` is a slow lookup on 3.11): equalize deletes per packet

# include/net/route.h: IPTOS_RT_MASK = IPTOS_TOS_MASK & ~3 = 0x1E & ~3 (include/linux/ip.h)
IPTOS_RT_MASK = 0x1C
# ip_rt_min_delay and ip_rt_max_delay (2 * HZ and 10 * HZ): how long rt_cache_flush(-1) waits,
# and how late a delayed flush may be pushed back (/proc/sys/net/ipv4/route/{min,max}_delay)
RT_MIN_DELAY = 2_000_000      # µs
RT_MAX_DELAY = 10_000_000     # µs
GC_TIMEOUT = 300_000_000      # µs: /proc/sys/net/ipv4/route/gc_timeout = 300 s
GC_INTERVAL = 60_000_000      # µs: /proc/sys/net/ipv4/route/gc_interval = 60 s
# ip_rt_init(): one page of buckets on a 64 MB i386 box (goal = num_physpages >> 14 = 1 page)
# = 512.  A bucket (``struct rt_hash_bucket``: the chain and its rwlock_t) is declared
# ``__attribute__((__aligned__(8)))``, so it takes 8 bytes even on a uniprocessor kernel
# built with gcc 3, whose rwlock_t is an empty struct: 4096 / 8 = 512 either way, not 1024
# (read in 2.4's route.c, both before and after the jhash rt_hash_code() of 2.4.2x)
RT_HASH_LOG = 9

RtKey = tuple[str, str, int, str]
"""(daddr, saddr, tos, iif) -- like ``rt_hash_code(daddr, saddr ^ (iif<<5), tos)``; ``tos``
already masked with ``IPTOS_RT_MASK``.  No ``fwmark``: see the module's docstring."""


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
        self.rt_hash_mask = (1 << RT_HASH_LOG) - 1
        self.rover = 0               # the last bucket rt_check_expire() visited
        self.in_hit = self.in_slow_tot = self.in_no_route = 0
        self.flush_timer: list | None = None     # rt_flush_timer, when a delayed flush is pending
        self.deadline = 0                        # rt_deadline: 0, or the latest the pending flush may run

    def start_gc(self) -> None:
        self.router.sim.at(self.gc_interval, self.rt_check_expire, daemon=True)

    def insert(self, key: RtKey, dev: str, via: str, equalize: bool) -> RtEntry:
        now = self.router.sim.now
        e = self.entries[key] = RtEntry(key, dev, via, equalize, now, now)
        return e

    def delete(self, e: RtEntry, reason: Reason) -> None:
        del self.entries[e.key]
        self.router.sim.trace.emit(_RT_DEL, self.router.name, None, e.key, e.dev, reason)

    def bucket(self, key: RtKey) -> int:
        """``rt_hash_code(daddr, saddr ^ (iif << 5), tos)``."""
        dst, src, tos, iif = key
        return rt_hash_code(_le(dst), _le(src) ^ (self.router.ifindex(iif) << 5), tos) & self.rt_hash_mask

    def rt_check_expire(self) -> None:
        """Visit the next ``(gc_interval << rt_hash_log) / gc_timeout + 1`` buckets from
        the rover; in each chain (newest entry first) free an entry idle longer than
        ``tmo``, which starts at ``gc_timeout`` and halves for every entry kept."""
        now = self.router.sim.now
        chains: dict[int, list[RtEntry]] = {}
        for e in reversed(self.entries.values()):       # rt_intern_hash() inserts at the head
            chains.setdefault(self.bucket(e.key), []).append(e)
        i = self.rover
        t = self.gc_interval << RT_HASH_LOG
        while t >= 0:
            i = (i + 1) & self.rt_hash_mask
            tmo = self.gc_timeout
            for e in chains.get(i, ()):
                if now - e.lastuse <= tmo:              # rt_may_expire() says no
                    tmo >>= 1
                    continue
                self.delete(e, Gone.EXPIRED)
            t -= self.gc_timeout
        self.rover = i
        self.router.sim.at(self.gc_interval, self.rt_check_expire, daemon=True)

    def flush(self, reason: Reason = Gone.FLUSH) -> None:
        """``ip route flush cache`` (or the kernel's own ``rt_cache_flush(0)``, for ``reason``):
        every entry goes now, and a delayed flush still pending is cancelled (``rt_cache_flush()``
        deletes ``rt_flush_timer`` whatever the delay; ``rt_run_flush()`` clears ``rt_deadline``)."""
        if self.flush_timer is not None:
            self.router.sim.cancel(self.flush_timer)
            self.flush_timer = None
        self.deadline = 0
        for e in list(self.entries.values()):
            self.delete(e, reason)

    def flush_later(self, reason: Reason, delay: int = RT_MIN_DELAY) -> None:
        """``rt_cache_flush(delay)`` with ``delay > 0`` (``rt_cache_flush(-1)`` is ``RT_MIN_DELAY``),
        called from process context (``user_mode``), as ``fib_netdev_event()`` is on ``NETDEV_UP``:
        the flush runs ``delay`` from now.  A delayed flush already pending is not pushed back: if
        its deadline (``RT_MAX_DELAY`` after the first request) is less than ``RT_MAX_DELAY -
        RT_MIN_DELAY`` away, the cache is flushed at once; else no later than ``delay`` from now."""
        sim = self.router.sim
        now = sim.now
        if self.flush_timer is not None:                 # del_timer(&rt_flush_timer) found one
            sim.cancel(self.flush_timer)
            self.flush_timer = None
            if self.deadline:
                tmo = self.deadline - now
                if tmo < RT_MAX_DELAY - RT_MIN_DELAY:    # user_mode
                    tmo = 0
                delay = min(delay, tmo)
        if delay <= 0:
            self.flush(reason)
            return
        if not self.deadline:
            self.deadline = now + RT_MAX_DELAY
        # a daemon: a flush due after everything else has ended changes nothing
        self.flush_timer = sim.at(delay, self.flush, reason, daemon=True)

    def show(self) -> str:
        """Like ``ip -s route show cache`` (2.4 style)."""
        now = self.router.sim.now
        return "\n".join(show_entry(e, now) for e in self.entries.values())


def rt_hash_code(daddr: int, saddr: int, tos: int) -> int:
    """2.4.18 ``rt_hash_code()`` before the mask."""
    h = ((daddr & 0xF0F0F0F0) >> 4) | ((daddr & 0x0F0F0F0F) << 4)
    h ^= saddr ^ tos
    h ^= h >> 16
    return h ^ (h >> 8)


def _le(addr: str) -> int:
    """An address as a ``u32`` in network byte order reads on a little-endian CPU."""
    return int.from_bytes(bytes(int(x) for x in addr.split(".")), "little")


def show_entry(e: RtEntry, now: int) -> str:
    """One entry as ``ip -s route show cache`` printed it in 2.4 (``-s`` adds the counters),
    abridged: the key, the device, the gateway, the counters.  ``rt_fill_info()`` also sent the
    preferred source (``src``), the metrics (``mtu 1500 advmss 1460``) and flags such as
    ``<src-direct>``; ``<equalize>`` is how an iproute2 built against the patched headers named
    ``RTCF_EQUALIZE`` (stock headers: a bare number).  An on-link entry (the LAN) has no
    gateway, and no ``via`` (``RTA_GATEWAY`` only when it differs from the destination)."""
    dst, src, tos, iif = e.key
    flags = " <equalize>" if e.equalize else ""
    tos_s = f" tos 0x{tos:02x}" if tos else ""
    via = f" via {e.via}" if e.via and e.via != "-" else ""
    return (f"{dst} from {src}{tos_s}{via} dev {e.dev}\n"
            f"    cache{flags} used {e.use} age {(now - e.lastuse) // 1_000_000}sec iif {iif}")
