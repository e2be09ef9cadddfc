"""The engine's parts: FIB, route cache, multipath selection, NAT, TCP, trace, state."""
import json
import subprocess
import sys

import pytest

import sim
from sim.core import Sim
from sim.fib import FIB, RouteError, parse_route
from sim.multipath import select_wrr
from sim.tcp import TcpState
from sim.trace import Ev

from helpers import events, uplink_hops

MP = ("default scope global equalize nexthop via 100.0.0.254 dev if1 weight 1 "
      "nexthop via 150.0.0.254 dev if2 weight 1")


def test_fib_longest_prefix_and_ip_route_show():
    fib = FIB()
    fib.add(MP)
    fib.add("192.168.0.0/24 dev eth0")
    fib.add("100.0.0.0/24 dev if1")
    assert fib.lookup("192.168.0.7").nexthops[0].dev == "eth0"
    assert fib.lookup("100.0.0.254").nexthops[0].dev == "if1"
    assert fib.lookup("200.0.0.1").multipath
    assert fib.show().splitlines() == [
        "default equalize",
        "\tnexthop via 100.0.0.254 dev if1 weight 1",
        "\tnexthop via 150.0.0.254 dev if2 weight 1",
        "100.0.0.0/24 dev if1 scope link",
        "192.168.0.0/24 dev eth0 scope link",
    ]


@pytest.mark.parametrize("bad, word", [
    ("default via 300.1.1.1 dev if1", "300.1.1.1"),
    ("10.0.0.0/33 dev x", "10.0.0.0/33"),
    ("default via 1.2.3.4", "dev"),
    ("default nexthop via 1.2.3.4 dev a weight 0", "weight"),
    ("default frobnicate 1 dev a", "frobnicate"),
])
def test_bad_routes_are_named(bad, word):
    with pytest.raises(RouteError, match=word.replace(".", r"\.")):
        parse_route(bad)


def test_wrr_is_2_4_credit_round_robin():
    r = parse_route("default nexthop via 1.0.0.1 dev a weight 2 nexthop via 2.0.0.1 dev b weight 1")
    picks = [select_wrr(r, w, "")[0].dev for w in range(9)]
    # every round of 3 spends a's 2 credits and b's 1
    for k in range(0, 9, 3):
        assert sorted(picks[k:k + 3]) == ["a", "a", "b"]
    r1 = parse_route(MP)
    assert [select_wrr(r1, w, "")[0].dev for w in (5, 7, 0, 3)] == ["if1", "if2", "if1", "if2"]


def test_route_cache_idle_entry_expires_by_gc_and_flushes():
    r = sim.run("cache-expiry", seed=2)
    dels = events(r, Ev.RT_DEL, "router")
    expired = [e for e in dels if e.reason == "expired"]
    assert expired
    # freed by rt_check_expire, which runs every gc_interval, once idle > gc_timeout, at
    # the first visit of its bucket: at most a full sweep (5 runs, 300 s) later
    for gone in expired:
        t, key = gone.t, gone.key
        assert t % 60_000_000 == 0
        last_use = max(e.t for e in r.events if e.ev in (Ev.RT_HIT, Ev.RT_MISS)
                       and e.key == key and e.t < t)
        assert 300_000_000 < t - last_use <= 600_000_000
    router = r.net["router"]
    assert router.cache.entries            # the second request made new entries
    router.cache.flush()
    assert not router.cache.entries
    assert r.sim.trace.events[-1].reason == "flush"


def test_ip_route_show_cache_shape():
    r = sim.run("connection-level", seed=1, size=5_000)
    text = r.net["router"].cache.show()
    assert "200.0.0.1 from 192.168.0.1 via " in text
    assert "iif eth0" in text and "cache" in text


def test_article_nat_uses_per_uplink_ports_6000_and_7000():
    for seed in range(20):
        r = sim.run("equalize-nat", seed=seed, size=3_000)
        seen = {(p.ip.src, p.l4.sport) for _, _, p in uplink_hops(r) if p.proto == 6}
        assert seen <= {("100.0.0.1", 6000), ("150.0.0.1", 7000)}
        if len(seen) == 2:
            return
    raise AssertionError("no seed used both uplinks")


def test_netfilter_keeps_the_source_port_and_shows_conntrack():
    r = sim.run("hash-l4-nat", seed=1, size=5_000, connections=1)
    p = uplink_hops(r)[0][2]
    assert p.l4.sport == 5000 and p.ip.src in ("100.0.0.1", "150.0.0.1")
    ct = events(r, Ev.CT_NEW, "router")[0]
    assert ct.orig == (6, "192.168.0.1", 5000, "200.0.0.1", 80)


def test_netfilter_icmp_entry_dies_with_its_reply():
    r = sim.run("icmp-equalize-nat", nat="netfilter", seed=1)
    news, dels = events(r, Ev.CT_NEW, "router"), events(r, Ev.CT_DEL, "router")
    assert len(news) == 10 and [e.reason for e in dels] == ["icmp reply"] * 10
    assert r.net["router"].nat.entries() == []


def test_conntrack_listing_shape():
    r = sim.run("hash-l4-nat", seed=1, size=5_000, connections=1)
    lines = r.net["router"].nat.show().splitlines()
    assert len(lines) == 1
    ext = r.summary["connections"][0]["seen_by_server_as"][0].strip("()").split(", ")
    assert lines[0].startswith("tcp      6 ")        # print_conntrack(): "%-8s %u %lu "
    assert "dev=" not in lines[0] and lines[0].endswith(" use=1")   # 2.4 printed no device
    assert (f"src=192.168.0.1 dst=200.0.0.1 sport=5000 dport=80 "
            f"src=200.0.0.1 dst={ext[0]} sport=80 dport={ext[1]}") in lines[0]


def test_state_at_rebuilds_the_engine_state_from_the_trace():
    r = sim.run("equalize-nat", seed=4, size=20_000)
    st = r.state_at(len(r.events) - 1)
    engine = r.net["router"].cache
    assert set(st.cache) == set(engine.entries)
    assert st.in_hit == engine.in_hit and st.in_slow_tot == engine.in_slow_tot
    assert set(st.conntrack) == {c.id for c in r.net["router"].nat.entries()}
    first_miss = next(i for i, e in enumerate(r.events) if e.ev is Ev.RT_MISS)
    assert len(r.state_at(first_miss).cache) == 1 and not r.state_at(first_miss - 1).cache
    with pytest.raises(IndexError, match="out of range"):
        r.state_at(len(r.events))


def test_syn_retransmits_back_off_exponentially_until_retries_exhausted():
    from sim.apps import Download, WebServer
    from sim.topology import NetworkSpec, article_network
    s = Sim(seed=0)
    net = article_network(s, NetworkSpec(nat="none"))
    fib = net["router"].fib
    fib.routes[:] = [r for r in fib.routes if r.plen > 0]      # ip route del default
    fib._memo.clear()
    WebServer(net["remote1"], 80, 1000)
    d = Download(net["local1"], "200.0.0.1", 80, 1000, 0)
    net.start()
    s.run()
    reasons = [e.reason.value for e in s.trace.events if e.ev is Ev.DROP]
    assert reasons.count("no route") == 6 and reasons[-1] == "retries exhausted"
    assert d.conn.state is TcpState.CLOSED
    syns = [e.t for e in s.trace.events if e.ev is Ev.SEND and e.node == "local1"]
    assert [b - a for a, b in zip(syns, syns[1:])] == [3_000_000 * 2 ** k for k in range(5)]


def test_same_seed_same_json_and_different_seed_differs():
    a = sim.run("equalize-nat", seed=7, size=5_000).to_json()
    assert a == sim.run("equalize-nat", seed=7, size=5_000).to_json()
    assert a != sim.run("equalize-nat", seed=8, size=5_000).to_json()
    d = json.loads(a)
    assert d["schema"] == 2 and d["events"][0]["i"] == 0
    kinds = {e["ev"] for e in d["events"]}
    assert {"send", "hop", "rt_miss", "rt_hit", "rt_del", "nat", "ct_new", "tcp", "deliver"} <= kinds


def test_counters_only_mode_keeps_counts_not_events():
    r = sim.run("connection-level", seed=1, size=20_000, trace=False)
    assert r.events == [] and r.sim.trace.counts[Ev.HOP] > 50
    assert r.summary["connections"][0]["complete"]


def test_import_sim_loads_no_display_library():
    code = ("import sys, sim; sim.run('equalize-nat', size=2000); "
            "print(sorted(m for m in ('scapy','graphviz','ipywidgets','matplotlib','IPython') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("kw, word", [
    ({"nat": "bogus"}, "nat"), ({"multipath": "x"}, "multipath"), ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"), ({"uplinks": 0}, "uplinks"), ({"colour": 1}, "colour"),
    ({"multipath": "hash-l3", "equalize": True}, "equalize"),
])
def test_bad_parameters_say_what_is_allowed(kw, word):
    with pytest.raises(sim.ParamError, match=word):
        sim.run("equalize-nat", **kw)
    with pytest.raises(sim.ParamError, match="allowed are"):
        sim.run("no-such-scenario")


def test_addresses_and_ports_can_be_changed_for_variants():
    r = sim.run("equalize-nat", uplink_addrs=["81.2.3.4", "62.7.8.9"],
                remote_addrs=["198.51.100.7", "203.0.113.9"], port_base=40000, nat="netfilter")
    c = r.summary["connections"][0]
    assert c["client"] == "(192.168.0.1, 40000)" and c["server"] == "(198.51.100.7, 80)"
    assert c["seen_by_server_as"][0] in ("(81.2.3.4, 40000)", "(62.7.8.9, 40000)")
    assert {u["addr"] for u in r.summary["uplinks"].values()} == {"81.2.3.4", "62.7.8.9"}


@pytest.mark.parametrize("bad, message", [
    (dict(uplink_addrs=["1.2.3.4"]), "must list 2 addresses"),
    (dict(uplink_addrs=["1.2.3.4", "1.2.3.5"]), "shares its /24"),
    (dict(remote_addrs=["192.168.0.7", "9.9.9.9"]), "is in the LAN"),
    (dict(uplink_addrs=["1.2.3", "9.9.9.9"]), "bad address '1.2.3'"),
    (dict(port_base=80), "port_base 80 out of range"),
])
def test_bad_addresses_are_refused_with_the_bad_value(bad, message):
    with pytest.raises(sim.ParamError, match=message):
        sim.run("equalize-nat", **bad)


def test_state_at_in_any_order_equals_a_fresh_fold():
    r = sim.run("equalize-nat", seed=1)
    n = len(r.events)
    order = [n - 1, 10, n // 2, n // 2 + 1, 3, n - 1]
    got = [r.state_at(i) for i in order]
    got[0].cache.clear()                     # a caller's copy: the kept fold is not touched
    for i, st in zip(order[1:], got[1:]):
        assert st == sim.run("equalize-nat", seed=1).state_at(i)
    assert r.state_at(n - 1) == sim.run("equalize-nat", seed=1).state_at(n - 1)


def test_flush_at_empties_the_route_cache_then():
    r = sim.run("connection-level", flush_at=[0.3], seed=1)
    flushed = [e for e in r.events if e.ev is Ev.RT_DEL and e.reason == "flush"]
    assert flushed and all(abs(e.t - 300_000) < 1 for e in flushed)
    assert r.state_at(r.events.index(flushed[-1])).cache == {}
    with pytest.raises(sim.ParamError, match="multipath hash-l4 has none"):
        sim.run("hash-l4-nat", flush_at=[1])


def test_equalize_and_flush_at_name_the_policies_with_a_route_cache_from_the_registry():
    from sim.policies import CACHED_POLICIES, REGISTRY
    assert CACHED_POLICIES == ("random", "wrr") and all(REGISTRY[n].cached for n in CACHED_POLICIES)
    with pytest.raises(sim.ParamError) as e:
        sim.run("hash-l4-nat", equalize=True)
    assert str(e.value) == ("equalize is a route-cache flag: it needs multipath random or wrr, not "
                            "hash-l4, which has no route cache (use equalize=False)")
    with pytest.raises(sim.ParamError, match=r"has none \(use random or wrr\)"):
        sim.run("hash-l4-nat", flush_at=[1])


def test_rt_check_expire_sweeps_a_fifth_of_the_buckets_per_run():
    from sim.route_cache import rt_hash_code, _le
    # 2.4.18's hash, by hand: 200.0.0.1 -> 192.168.0.1 arriving on eth0 (ifindex 2)
    d, s_ = _le("192.168.0.1"), _le("200.0.0.1") ^ (2 << 5)
    h = (((d & 0xF0F0F0F0) >> 4) | ((d & 0x0F0F0F0F) << 4)) ^ s_
    h ^= h >> 16
    assert rt_hash_code(_le("192.168.0.1"), _le("200.0.0.1") ^ (2 << 5), 0) == h ^ (h >> 8)
    from sim.topology import article_network
    s = Sim(seed=1)
    net = article_network(s, sim.make_params("connection-level").spec())
    net.start()
    cache = net["router"].cache
    keys = [(f"200.{i}.{3 * i % 7}.{j}", f"192.168.0.{j}", 0, "eth0") for i in range(1, 9) for j in range(1, 17)]
    for k in keys:
        cache.insert(k, "if1", "100.0.0.254", False)
    buckets = {}
    for k in keys:
        buckets.setdefault(cache.bucket(k), []).append(k)
    assert len(buckets) > 50
    s.at(700_000_000, lambda: None)          # something to wait for: the GC is a daemon
    s.run()
    gone = {e.key: e.t for e in s.trace.events if e.ev is Ev.RT_DEL}
    assert set(gone) == set(keys)
    alone = sorted(gone[ks[0]] for ks in buckets.values() if len(ks) == 1)
    assert all(300_000_000 < t <= 600_000_000 for t in alone)
    assert alone[0] <= 360_000_000 and alone[-1] >= 540_000_000     # the bucket decides when
    assert len(set(alone)) >= 5                                        # a fifth of the table per run
    # in a chain the timeout halves for every entry kept before it: the entry behind a
    # kept head goes once idle > 150 s, at the bucket's first visit after that
    for ks in buckets.values():
        if len(ks) > 1:
            head, second = ks[-1], ks[-2]       # inserted last = at the head of the chain
            assert gone[second] < gone[head] or gone[head] > 300_000_000
    chained = [gone[ks[-2]] for ks in buckets.values() if len(ks) > 1]
    assert chained and min(chained) <= 300_000_000


@pytest.mark.parametrize("profile,resets", [("2.4", True), ("linux", False)])
def test_an_in_window_rst_off_rcv_nxt_resets_2_4_but_gets_a_challenge_ack_today(profile, resets):
    from sim.packet import IP, TCP, Packet
    from sim.tcp import TcpConn, TcpState
    from sim.topology import article_network
    host = article_network(Sim(seed=1), sim.make_params("echo").spec())["local1"]
    # a connection in ESTABLISHED, fed a RST 100 bytes past rcv_nxt
    c = TcpConn(host, ("192.168.0.1", 4242), ("200.0.0.1", 7), profile=profile)
    c.state, c.rcv_nxt, c.snd_nxt, c.snd_una = TcpState.ESTABLISHED, 1000, 500, 500
    c.segment(Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0), TCP(7, 4242, 1100, 0, "R", 0), 0))
    assert c.reset is resets
    assert c.challenge_acks == (0 if resets else 1)
    c.segment(Packet(IP("200.0.0.1", "192.168.0.1", 64, 2, 0), TCP(7, 4242, 1000, 0, "R", 0), 0))
    assert c.reset                           # exactly rcv_nxt: reset in both


def test_mptcp_v1_handshake_keys_token_and_hmacs():
    import hashlib
    from sim.mptcp import mptcp_hmac
    from sim.packet import Dss, MpCapable, MpJoin
    r = sim.run("mptcp", seed=3, size=20_000)
    opts = {}
    for e in r.events:
        if e.ev is Ev.SEND and e.pkt.proto == 6 and e.pkt.l4.mptcp and type(e.pkt.l4.mptcp) is not Dss:
            opts.setdefault(e.pkt.l4.mptcp.form, e.pkt.l4.mptcp)
    assert list(opts) == ["capable", "capable-synack", "capable-ack", "capable-data", "join",
                          "join-synack", "join-ack"]
    assert opts["capable"] == MpCapable()                           # a v1 SYN carries no key
    key_b = opts["capable-synack"].sender_key
    key_a = opts["capable-ack"].sender_key                          # the third ACK: both keys
    assert opts["capable-ack"].receiver_key == key_b
    assert opts["capable-data"] == MpCapable(key_a, key_b, 100)     # the request: keys and its length
    token, nonce_a = opts["join"].token, opts["join"].nonce         # the SERVER's token
    assert token == int.from_bytes(hashlib.sha256(key_b.to_bytes(8, "big")).digest()[:4], "big")
    mac_b, nonce_b = opts["join-synack"].hmac, opts["join-synack"].nonce
    assert type(opts["join"]) is type(opts["join-synack"]) is type(opts["join-ack"]) is MpJoin
    assert mac_b == mptcp_hmac(key_b, key_a, nonce_b, nonce_a)[:8]
    assert opts["join-ack"].hmac == mptcp_hmac(key_a, key_b, nonce_a, nonce_b)
    # and Wireshark reads them as MPTCP without complaint (test_pcap checks every scenario)


def test_mptcp_join_with_an_unknown_token_is_answered_with_a_reset(monkeypatch):
    """A join the server cannot take (here: a token no session has) is refused with a reset,
    as Linux's subflow_v4_route_req() does when subflow_check_req() fails -- not accepted
    as a plain TCP subflow that nothing feeds.  The download goes on over the first one."""
    import dataclasses
    from sim import mptcp
    from sim.packet import MpJoin
    opened = mptcp.MptcpDownload._open

    def wrong_token(self, opt):
        if type(opt) is MpJoin:
            opt = dataclasses.replace(opt, token=opt.token ^ 1)
        return opened(self, opt)
    monkeypatch.setattr(mptcp.MptcpDownload, "_open", wrong_token)
    r = sim.run("mptcp", seed=3, size=20_000)
    joins = [e for e in r.events if e.ev is Ev.SEND and e.pkt.proto == 6
             and type(e.pkt.l4.mptcp) is MpJoin and e.pkt.l4.flags == "S"]
    assert joins
    port = joins[0].pkt.l4.sport
    refused = [e for e in r.events if e.ev is Ev.DROP and e.node == "remote1" and e.reason == "reset"
               and e.pkt.l4.sport == port and e.pkt.l4.flags == "S"]
    assert refused
    answers = [e.pkt.l4.flags for e in r.events if e.ev is Ev.SEND and e.node == "remote1"
               and e.pkt.proto == 6 and e.pkt.l4.dport == port]
    assert answers and all("R" in f for f in answers), answers
    flow = r.summary["mptcp"][0]
    assert flow["complete"] and flow["subflows"][1]["reset"], flow


def test_a_stop_hook_reads_each_event_as_the_trace_stores_it():
    """``stop=`` is called with each event's record, made from the values emitted: the records
    it saw are the stored trace's, in order (a hook that never stops sees every event)."""
    for scenario, seed in (("equalize-nat", 3), ("mptcp", 1), ("uplink-down", 2)):
        seen = []
        r = sim.run(scenario, seed=seed, size=20_000, stop=lambda e: seen.append(e))
        assert len(seen) == len(r.events) > 100
        assert seen == list(r.events)
        assert [type(e) for e in seen] == [type(e) for e in r.events]


def test_routes_parsed_from_one_text_are_separate_objects():
    """A route's text is parsed once per process, but each ``parse_route`` gives its own
    ``Route`` and ``Nexthop``s: a run's credits and dead flags stay in that run."""
    text = "default equalize nexthop via 100.0.0.254 dev if1 weight 2 nexthop via 150.0.0.254 dev if2"
    a, b = parse_route(text), parse_route(text)
    assert a == b and a is not b and a.nexthops[0] is not b.nexthops[0]
    a.nexthops[0].dead = True
    a.power = 3
    assert not b.nexthops[0].dead and b.power == 0
    assert [(nh.dev, nh.via, nh.weight) for nh in b.nexthops] == [("if1", "100.0.0.254", 2),
                                                                    ("if2", "150.0.0.254", 1)]
    assert b.equalize and b.dest() == "default" and parse_route("10.1.0.0/16 dev eth0").dest() == "10.1.0.0/16"
    with pytest.raises(RouteError, match="weight"):
        parse_route("default via 1.2.3.4 dev if1 weight 0")
    with pytest.raises(RouteError, match="weight"):        # an error is not remembered as a route
        parse_route("default via 1.2.3.4 dev if1 weight 0")


def test_addresses_checked_once_are_still_refused_every_time():
    """The addresses' checks are remembered for addresses that pass; a bad one (or one that
    is no string, which can't be remembered) is refused with its line on every call."""
    for _ in range(2):
        with pytest.raises(sim.ParamError, match=r"uplink_addrs: address '100.0.0.2' \(uplink 2\) shares its /24"):
            sim.make_params("equalize-nat", uplink_addrs=["100.0.0.1", "100.0.0.2"])
        with pytest.raises(sim.ParamError, match=r"remote_addrs: bad address \['x'\]"):
            sim.make_params("equalize-nat", remote_addrs=[["x"], "210.0.0.1"])
        with pytest.raises(sim.ParamError, match="remote host 1's default address 200.0.0.1"):
            sim.make_params("equalize-nat", uplinks=3, uplink_addrs=["100.0.0.1", "150.0.0.1", "200.0.0.9"])
        p = sim.make_params("equalize-nat", uplink_addrs=("100.0.0.1", "160.0.0.1"))
        assert p.uplink_addrs == ["100.0.0.1", "160.0.0.1"]


def test_a_hosts_device_queues_linuxs_default_1000_packets_a_routers_64():
    """A host's Ethernet device holds txqueuelen 1000 packets (ether_setup(): Linux's
    DEFAULT_TX_QUEUE_LEN); with 64, the server of hash-l4-nat refused its own segments
    when its four connections' windows (4 x 32 segments) met on its 100 Mbit/s link."""
    from sim.trace import Drop
    r = sim.run("hash-l4-nat", seed=1)
    qlen = {d.label: d.qlen for d in r.sim.devices}
    assert all(qlen[f"{h}:eth0"] == 1000 for h in ("local1", "local2", "remote1", "remote2"))
    assert {n for label, n in qlen.items() if not label.startswith(("local", "remote"))} == {64}
    at_hosts = [e for e in r.events if e.ev is Ev.DROP and e.reason is Drop.QUEUE_FULL
                and e.node.startswith(("local", "remote"))]
    assert at_hosts == []
    assert r.summary["drops"][str(Drop.QUEUE_FULL)] > 0        # the uplinks' queues still overflow


def test_ip_route_show_prints_in_the_order_the_modelled_kernel_dumps():
    """iproute2 sorts nothing: 2.4's fn_hash_dump() walks the prefix lengths most specific
    first and a zone's hash buckets in turn (fn_hash(): 150.0.0.0/24 in bucket 5, 192.168.0.0/24
    in 7, 100.0.0.0/24 in 14), so the default route comes last; today's fib_trie dumps in key
    order, the default first.  A connected route is the kernel's: proto kernel, src its address."""
    old = sim.run("connection-level", seed=1, size=2_000).net["router"]
    assert old.fib.kernel == "2.4"
    assert old.fib.show().splitlines() == [
        "150.0.0.0/24 dev if2 proto kernel scope link src 150.0.0.1",
        "192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.254",
        "100.0.0.0/24 dev if1 proto kernel scope link src 100.0.0.1",
        "default",
        "\tnexthop via 100.0.0.254 dev if1 weight 1",
        "\tnexthop via 150.0.0.254 dev if2 weight 1",
    ]
    new = sim.run("connection-level", seed=1, size=2_000, multipath="hash-l3").net["router"]
    assert new.fib.kernel == "today"
    assert new.fib.show().splitlines() == [
        "default",
        "\tnexthop via 100.0.0.254 dev if1 weight 1",
        "\tnexthop via 150.0.0.254 dev if2 weight 1",
        "100.0.0.0/24 dev if1 proto kernel scope link src 100.0.0.1",
        "150.0.0.0/24 dev if2 proto kernel scope link src 150.0.0.1",
        "192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.254",
    ]
    # a zone of more than 32 routes has grown to 256 buckets (fn_rehash_zone): the order follows
    fib = FIB(old)
    for k in range(40):
        fib.add(f"10.{k}.0.0/16 via 100.0.0.254 dev if1")
    from sim.fib import _fn_hash, parse_prefix
    keys = [r.prefix for r in fib.routes]
    want = sorted(keys, key=lambda p: (_fn_hash(p, 16, 255), p))
    assert [parse_prefix(line.split()[0])[0] for line in fib.show().splitlines()] == want
    assert want != sorted(keys, key=lambda p: (_fn_hash(p, 16, 15), p))


def test_hash_threshold_bounds_round_to_closest_as_fib_rebalance():
    """fib_rebalance(): upper_bound = DIV_ROUND_CLOSEST_ULL((u64)w << 31, total) - 1.  Three
    equal nexthops: 2**31 / 3 = 715827882.67, so the first bound is 715827882 (truncating
    would give 715827881), the second 1431655765 - 1, the last 2**31 - 1."""
    from sim.multipath import select_hash
    from sim.packet import IP, UDP, Packet
    route = parse_route("default nexthop via 1.0.0.1 dev a nexthop via 2.0.0.1 dev b nexthop via 3.0.0.1 dev c")
    bounds = {}
    for k in range(200):
        nh, why = select_hash(route, Packet(IP(f"10.0.{k}.1", "200.0.0.1"), UDP(1, 2)), 1, False)
        bounds[nh.dev] = why.bound
    assert bounds == {"a": 715827882, "b": 1431655764, "c": 2**31 - 1}


def test_a_router_without_route_cache_follows_a_changed_table():
    """A router without a route cache keeps where each destination's route leads (``fwd``), as
    long as its table is unchanged: a route added meanwhile takes the next packet."""
    from sim.apps import Download, WebServer
    from sim.topology import article_network
    s = Sim(seed=1, until=300_000)
    net = article_network(s, sim.make_params("connection-level").spec())
    internet, remote2 = net["internet"], net["remote2"]
    WebServer(net["remote1"], 80, 200_000)
    Download(net["local1"], "200.0.0.1", 80, 200_000, 0)
    net.start()
    s.run()                                   # the download under way: its ACKs cross the Internet
    assert "200.0.0.1" in internet.fwd
    sent_r1 = internet.ifaces["r1"].tx_packets
    assert sent_r1 > 0 and remote2.ifaces["eth0"].rx_packets == 0
    # ip route add 200.0.0.1/32 via 210.0.0.1 dev r2: remote2 is now the next hop (and drops them)
    internet.fib.add("200.0.0.1/32 via 210.0.0.1 dev r2")
    s.until = None
    s.run()
    assert remote2.ifaces["eth0"].rx_packets > 0
    assert internet.ifaces["r1"].tx_packets == sent_r1


def test_a_dropped_run_is_freed_by_a_young_collection():
    """What a run kept (its network, its stored trace: a graph with cycles, freed by the cyclic
    collector) is left in the collector's young generations: once the run's result is dropped,
    a young collection frees it.  Handed straight to the oldest generation (gc.freeze() then
    gc.unfreeze(), which spares the young collection after a run its walk over the trace), it
    waited for a full collection, which such objects never trigger: a Monte Carlo of 200
    small runs grew from 25 to 80 MB."""
    import gc
    import weakref
    gc.collect()
    r = sim.run("connection-level", seed=1, size=200_000, trace=True)
    kept = weakref.ref(r.sim)
    del r
    gc.collect(1)
    assert kept() is None
