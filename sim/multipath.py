"""Nexthop selection for multipath routes.

``random``   the article's description: a random nexthop at each route cache miss,
             in proportion to the weights.
``wrr``      what Linux 2.4's ``fib_select_multipath()`` really does: credit-based
             weighted round robin (each nexthop gets ``weight`` credits per round).
``hash-l3``  modern Linux (4.4+): no route cache; a hash of (src, dst) picks the
             nexthop by hash-threshold (RFC 2992).  In 4.4-4.11 that was the only
             behaviour (``jhash_2words(saddr, daddr, fib_multipath_secret)``, not
             symmetric); the ``fib_multipath_hash_policy`` sysctl came in 4.12, and this
             is its default, 0 (since then symmetric: see ``flow_hash``).
``hash-l4``  the same over the 5-tuple (4.12+, ``fib_multipath_hash_policy=1``).
``numgen``   modern per-packet balancing, the stand-in for equalize: nftables
             ``meta mark set numgen inc mod N offset 1`` on the LAN side and one
             ``ip rule fwmark k table k`` per uplink.  A global counter over the
             forwarded LAN packets; no route cache.  Unequal weights make it
             ``numgen inc mod SUM map { 0 : 1, 1 : 1, 2 : 2 }`` (``numgen_marks``):
             the weights divided by their greatest common divisor (4,2 is 2,1: mod 3),
             each uplink takes that many turns a round, in a row (1, 1, 2).
``connmark`` connection-level balancing that no cache expiry can move: nftables
             ``iifname "eth0" fib daddr type unicast ct state new ct mark 0 ct mark set
             numgen inc mod N offset 1`` (``ct mark 0``: a retransmitted SYN keeps its
             draw, book ch.10), then
             ``meta mark set ct mark`` and the same ``ip rule fwmark`` tables (the
             modern form of the 2.4 CONNMARK recipes and Shorewall's "track");
             unequal weights give it the same map as ``numgen``.

``equalize`` is not a policy but a route flag on top of ``random`` or ``wrr``:
see ``sim.route_cache``.

Each returns the nexthop and why it was chosen: a small record of ``sim.reasons``
(its fields are the choice's inputs; its text, made only when read, is the trace's).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache, reduce
from math import gcd

from .fib import Nexthop, Route
from .packet import TCP_PROTO, UDP_PROTO, Packet
from .reasons import CtMark, HashChoice, NumgenMark, RandomDraw, RoundRobin

HZ = 100                                # 2.4 jiffies per second on i386


def select_random(route: Route, rng) -> tuple[Nexthop, RandomDraw]:
    live = route.live
    total = sum(nh.weight for nh in live)
    w = rng.randrange(total)
    for nh in live:
        w -= nh.weight
        if w < 0:
            return nh, RandomDraw(len(live), len(route.nexthops) - len(live))
    raise AssertionError("weights exhausted")


def select_wrr(route: Route, w_source: int, source_name: str) -> tuple[Nexthop, RoundRobin]:
    """Like 2.4 ``fib_select_multipath()``, line by line.

    1. When every credit is spent, refill the live nexthops: ``nh_power = nh_weight``,
       ``fib_power`` = their sum (a dead nexthop gets none).
    2. ``w = jiffies % fib_power`` ("pretty bad approximation" of random, says the
       kernel; the equalize patch uses a global packet counter instead).
    3. Walk the live nexthops subtracting their credits; the first that makes
       ``w <= 0`` is chosen and spends one credit.
    """
    if route.power <= 0:
        for nh in route.nexthops:
            nh.power = 0 if nh.dead else nh.weight
        route.power = sum(nh.power for nh in route.nexthops)
    w = w_source % route.power
    credits = tuple((nh.dev, nh.power) for nh in route.nexthops if not nh.dead)
    for nh in route.nexthops:
        if nh.power and not nh.dead:
            w -= nh.power
            if w <= 0:
                nh.power -= 1
                route.power -= 1
                return nh, RoundRobin(credits, source_name, w_source)
    raise AssertionError("fib_power out of step with nh_power")


def flow_hash(seed: int, pkt: Packet, l4: bool) -> int:
    """A stable, seeded 31-bit hash of the flow, like the kernel's keyed hash of the flow
    keys (``fib_multipath_hash()``; never Python's salted ``hash()``, and not a linear
    one such as CRC32, which would split flows the same way whatever the seed).  For the
    L4 policy the flow dissector gives ports only to protocols that have them: an ICMP
    echo hashes with ports 0, whatever its id.

    Unlike the kernel's, this hash is not symmetric: since 4.12 ``fib_multipath_hash()``
    hashes with ``flow_hash_from_keys()``, whose ``__flow_hash_consistentify()`` orders the
    addresses (and ports) first, so a flow and its reply hash alike.  That changes nothing
    here: only the router's outbound route is multipath, so no reply is ever hashed."""
    ip = pkt.ip
    if not l4:
        return _keyed_hash(seed, ip.src, ip.dst, 0, 0, 0)
    proto = pkt.proto
    if proto in (TCP_PROTO, UDP_PROTO):
        return _keyed_hash(seed, ip.src, ip.dst, proto, pkt.sport, pkt.dport)
    return _keyed_hash(seed, ip.src, ip.dst, proto, 0, 0)


@lru_cache(maxsize=4096)
def _keyed_hash(seed: int, src: str, dst: str, proto: int, sport: int, dport: int) -> int:
    h = hashlib.blake2b(f"{src}|{dst}|{proto}|{sport}|{dport}".encode(), digest_size=4,
                        key=str(seed).encode()[:64])
    return int.from_bytes(h.digest(), "big") >> 1


def select_hash(route: Route, pkt: Packet, seed: int, l4: bool) -> tuple[Nexthop, HashChoice]:
    """Hash-threshold (RFC 2992), as ``fib_select_multipath()`` in 4.4+: the first live
    nexthop whose upper bound the hash does not exceed, the bounds as ``fib_rebalance()``
    sets them (``DIV_ROUND_CLOSEST_ULL((u64)w << 31, total) - 1``, ``w`` the weights so far)."""
    h = flow_hash(seed, pkt, l4)
    live = route.live                   # fib_rebalance(): bounds over the live nexthops only
    for nh, bound in zip(live, upper_bounds([nh.weight for nh in live])):
        if h <= bound:
            return nh, HashChoice(l4, h, bound)
    raise AssertionError("hash above every bound")


def upper_bounds(weights: list[int]) -> list[int]:
    """Each nexthop's upper bound in the 31-bit hash space, as ``fib_rebalance()`` sets them:
    ``DIV_ROUND_CLOSEST_ULL((u64)w << 31, total) - 1``, ``w`` the weights so far (the last is
    always 0x7fffffff)."""
    total, acc, out = sum(weights), 0, []
    for w in weights:
        acc += w
        out.append(((acc << 31) + total // 2) // total - 1)
    return out


def numgen_marks(weights) -> tuple[int, ...] | None:
    """The map nftables' ``numgen inc mod SUM map { ... }`` needs for uplinks of ``weights``
    (uplink 1's first): the mark of each value of the counter mod SUM, uplink k taking
    ``weights[k-1]`` values in a row (``[2, 1]``: ``map { 0 : 1, 1 : 1, 2 : 2 }``, as chapter
    10 writes it), the weights first divided by their greatest common divisor (``[4, 2]`` is
    ``[2, 1]``).  None when they are all equal: ``mod N offset 1``, each uplink in turn."""
    weights = list(weights)
    if len(set(weights)) <= 1:
        return None
    g = reduce(gcd, weights)
    return tuple(k for k, w in enumerate(weights, start=1) for _ in range(w // g))


@lru_cache(maxsize=64)
def _marks_of(weights: tuple[int, ...]) -> tuple[int, ...] | None:
    """``numgen_marks``, kept per set of weights: it is asked once per packet."""
    return numgen_marks(weights)


def _numgen(route: Route, counter: int) -> tuple[int, int, tuple[int, ...] | None]:
    """(mod, mark, map) for the counter's ``counter``-th value (from 1) on ``route``."""
    marks = _marks_of(tuple(nh.weight for nh in route.nexthops))
    if marks is None:
        n = len(route.nexthops)
        return n, (counter - 1) % n + 1, None
    return len(marks), marks[(counter - 1) % len(marks)], marks


def select_numgen(route: Route, counter: int) -> tuple[Nexthop, NumgenMark]:
    """``numgen inc mod N offset 1`` (or ``mod SUM map {...}`` for unequal weights: see
    ``numgen_marks``) marks the packet; ``ip rule fwmark k`` picks table k, whose default
    route is the k-th uplink."""
    n, mark, marks = _numgen(route, counter)
    return route.nexthops[mark - 1], NumgenMark(counter - 1, n, mark, marks)


def select_connmark(route: Route, marks: dict, flow, counter: int) -> tuple[Nexthop, CtMark]:
    """The connection's mark picks the table; a new connection gets the next mark
    (``why.new``), by the same ``numgen inc`` expression as ``select_numgen``."""
    mark = marks.get(flow)
    if mark is not None:
        return route.nexthops[mark - 1], CtMark(mark)
    n, mark, by_value = _numgen(route, counter)
    marks[flow] = mark
    return route.nexthops[mark - 1], CtMark(mark, True, n, by_value)
