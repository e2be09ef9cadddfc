"""The 2.4 route cache against net/ipv4/route.c and fib_frontend.c: what its key holds
(``ip_route_input()`` masks the TOS) and when it is flushed (``rt_cache_flush()``'s delay)."""
import sim
from sim.core import Sim
from sim.link import Link
from sim.packet import IP, TCP, Packet
from sim.reasons import Flushed
from sim.route_cache import IPTOS_RT_MASK, RT_MIN_DELAY, RouteCache
from sim.trace import Drop, Ev

from helpers import events


def test_iptos_rt_mask_is_2_4s():
    # include/net/route.h: IPTOS_RT_MASK = IPTOS_TOS_MASK & ~3, IPTOS_TOS_MASK = 0x1E
    assert IPTOS_RT_MASK == 0x1E & ~3 == 0x1C


def test_packets_differing_only_in_precedence_and_ecn_bits_share_one_entry():
    r = sim.run("connection-level", seed=1, size=5_000)
    router = r.net["router"]
    cache, eth0 = router.cache, router.ifaces["eth0"]
    dst, src = r.net["remote1"].addr, "192.168.0.9"      # a source the run never used

    def route(tos):
        pkt = Packet(IP(src, dst, 64, 0, tos), TCP(5000, 80))
        return router.route_input(pkt, dst, src, tos, eth0)

    n, slow, hit = len(cache.entries), cache.in_slow_tot, cache.in_hit
    route(0x10)                                         # IPTOS_LOWDELAY: a miss, an entry
    assert (len(cache.entries), cache.in_slow_tot) == (n + 1, slow + 1)
    route(0x10 | 0xE0 | 0x03)                           # precedence 7, ECN CE: the same entry
    assert (len(cache.entries), cache.in_slow_tot, cache.in_hit) == (n + 1, slow + 1, hit + 1)
    assert (dst, src, 0x10, "eth0") in cache.entries
    route(0x08)                                         # IPTOS_THROUGHPUT: an entry of its own
    assert (len(cache.entries), cache.in_slow_tot) == (n + 2, slow + 2)


class _Router:
    """What RouteCache needs of its router."""
    name = "router"

    def __init__(self):
        self.sim = Sim(seed=1, trace=False)

    def ifindex(self, dev):
        return 1


def _flush_times(requests, until=20_000_000):
    """Run a cache holding one entry, re-inserted every 100 ms, with ``requests`` ((time,
    "later" or "now")) made of it; the times at which the cache was found empty, that is just
    after each flush (each check runs 1 µs after an insertion)."""
    router = _Router()
    s = router.sim
    cache = RouteCache(router)
    key = ("200.0.0.1", "192.168.0.1", 0, "eth0")
    empty = []

    def insert():
        cache.insert(key, "if1", "150.0.0.254", False)

    def check():
        if not cache.entries:
            empty.append(s.now)
        insert()

    insert()
    for t in range(100_000, until, 100_000):
        s.at(t, check)
    for t, how in requests:
        if how == "later":
            s.at(t, cache.flush_later, Flushed("if2", "up"))
        else:
            s.at(t, cache.flush, Flushed("if2", "down"))
    s.run()
    return [t - t % 100_000 for t in empty]     # the check's slot: the flush came in the 100 ms before


def test_rt_cache_flush_minus_one_waits_min_delay():
    assert RT_MIN_DELAY == 2_000_000
    # requested at 0.05 s: the entry is gone at 2.05 s, found so by the check at 2.1 s
    assert _flush_times([(50_000, "later")]) == [2_100_000]


def test_a_second_request_soon_after_postpones_the_flush_a_later_one_runs_it_at_once():
    # 2nd request 1 s after the 1st: the deadline (10 s after the 1st) is more than max_delay -
    # min_delay away, so the flush moves to 2 s after the 2nd request
    assert _flush_times([(50_000, "later"), (1_050_000, "later")]) == [3_100_000]
    # a 3rd 2.5 s after the 1st: the deadline is now less than 8 s away, so rt_cache_flush()
    # (called from process context) flushes at once
    assert _flush_times([(50_000, "later"), (1_050_000, "later"), (2_550_000, "later")]) == [2_600_000]


def test_an_immediate_flush_cancels_the_pending_one():
    assert _flush_times([(50_000, "later"), (1_050_000, "now")]) == [1_100_000]


def test_a_line_back_up_flushes_the_route_cache_min_delay_later(monkeypatch):
    # no scenario brings a line back up: the line that fails at 0.5 s comes back 0.5 s later
    set_carrier = Link.set_carrier

    def down_then_up(link, up):
        set_carrier(link, up)
        if not up:
            link.ifaces[0].node.sim.at(500_000, set_carrier, link, True, daemon=True)

    monkeypatch.setattr(Link, "set_carrier", down_then_up)
    r = sim.run("thought-question", multipath="wrr", nat="netfilter", down_at=0.5, size=400_000)
    link = [(e.t, e.dev, e.state) for e in events(r, Ev.LINK) if e.node == "router"]
    assert link == [(500_000, "if2", "down"), (1_000_000, "if2", "up")]
    dels = events(r, Ev.RT_DEL, "router")
    assert {e.t for e in dels if e.reason == Flushed("if2", "down")} == {500_000}
    up = [e for e in dels if e.reason == Flushed("if2", "up")]
    assert up and {e.t for e in up} == {1_000_000 + RT_MIN_DELAY}
    # until then the entries made while if2 was down keep their packets on if1
    assert {e.dev for e in events(r, Ev.RT_HIT, "router") if 1_000_000 < e.t < 3_000_000} <= {"if1", "eth0"}


def test_a_packet_whose_ttl_runs_out_is_routed_first_as_2_4_does():
    # 2.4: ip_rcv_finish() calls ip_route_input() (a cache miss makes an entry, in_slow_tot)
    # and only then does ip_forward() read the TTL (too_many_hops): the route cache sees the
    # packet the TTL then kills
    r = sim.run("connection-level", seed=1, size=5_000)
    router = r.net["router"]
    cache, eth0 = router.cache, router.ifaces["eth0"]
    dst, src = r.net["remote1"].addr, "192.168.0.9"      # a source the run never used
    n, slow = len(cache.entries), cache.in_slow_tot
    drops = len(list(events(r, Ev.DROP, "router")))
    router.receive(Packet(IP(src, dst, 1, 0, 0), TCP(5000, 80)), eth0, 40)
    assert (len(cache.entries), cache.in_slow_tot) == (n + 1, slow + 1)
    assert (dst, src, 0, "eth0") in cache.entries
    new = list(events(r, Ev.DROP, "router"))[drops:]
    assert [e.reason for e in new] == [Drop.TTL]


def test_rt_check_expire_revisits_a_bucket_after_300_s_or_240_s_as_the_docstring_says():
    # (60 s << 9) / 300 s + 1 = 103 buckets a run: five runs visit 515 of the 512, so three
    # buckets of every sweep come round again after four runs (240 s), the rest after five
    import sim.route_cache as rc
    router = _Router()
    cache = RouteCache(router)
    cache.start_gc()
    rovers = []
    for k in range(1, 200):
        router.sim.at(k * cache.gc_interval + 1, lambda: rovers.append(cache.rover))
    router.sim.run()
    per_run = {(b - a) % (cache.rt_hash_mask + 1) for a, b in zip(rovers, rovers[1:])}
    assert per_run == {103} and cache.rt_hash_mask + 1 == 512
    last, gaps = {}, set()
    for run, (a, b) in enumerate(zip(rovers, rovers[1:]), 1):
        for j in range(1, 104):
            i = (a + j) % 512
            if i in last:
                gaps.add((run - last[i]) * cache.gc_interval // 1_000_000)
            last[i] = run
    assert gaps == {240, 300}
    doc = " ".join(rc.__doc__.split())
    assert "103 of the 512 hash buckets per run" in doc and "240 s after the first" in doc
