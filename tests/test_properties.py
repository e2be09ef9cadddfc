"""Property tests over random topologies, policies and traffic (hypothesis).

Each property is checked on the trace of a real run (``sim.run``), never by
poking the engine, except where a property is *about* the engine's own view
(the conntrack table at the end, the event queue at the end):

1. conservation: every packet that enters the network (a ``send``) ends in
   exactly one ``deliver`` or one ``drop`` with a reason from ``Drop``, and no
   packet appears out of nowhere;
2. replies translate back: every packet delivered to a LAN host is addressed
   to that host and answers a flow that host opened;
3. conntrack: no two live entries share a reply (external) tuple, at every
   step, and ``Result.state_at`` agrees with the fold;
4. determinism: the same parameters give the same JSON trace, also in another
   interpreter with another ``PYTHONHASHSEED``.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim import scenarios
from sim.scenarios import SCENARIOS as SCENARIOS_BY_NAME, unread
from sim.result import TRACE_TIMED
from sim.trace import Drop, Ev

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = ("connection-level", "thought-question", "flashget", "equalize-public",
             "equalize-nat", "icmp-equalize-nat", "udp-equalize-nat", "hash-l4-nat",
             "echo", "ping", "mptcp", "multilink")
EQUALIZE_SCENARIOS = {"equalize-public", "equalize-nat", "icmp-equalize-nat", "udp-equalize-nat"}
MULTIPATH = ("random", "wrr", "hash-l3", "hash-l4", "numgen", "connmark")
CACHED = ("random", "wrr")            # the only policies equalize is valid with
LAN_HOSTS = ("local1", "local2")

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# -- the random configurations -------------------------------------------------------------

@st.composite
def configs(draw) -> dict:
    """A valid (scenario, params) combination; equalize only with random/wrr."""
    scenario = draw(st.sampled_from(SCENARIOS))
    multipath = draw(st.sampled_from(CACHED if scenario in EQUALIZE_SCENARIOS else MULTIPATH))
    uplinks = draw(st.integers(1, 4))
    kw = {
        "multipath": multipath,
        "nat": draw(st.sampled_from(("article", "netfilter", "snat", "masquerade", "none"))),
        "remote": draw(st.sampled_from(("article", "rfc"))),
        "cc": draw(st.sampled_from(("none", "reno"))),
        "ingress_filter": draw(st.booleans()),
        "uplinks": uplinks,
        "seed": draw(st.integers(0, 10**6)),
        "size": draw(st.integers(2000, 30000)),
        "connections": draw(st.integers(1, 3)),
        "pings": draw(st.integers(1, 6)),
        # a random topology: per-uplink speeds, delays and weights
        "down_kbit": draw(st.lists(st.sampled_from([256, 512, 2000, 8000]), min_size=uplinks,
                                   max_size=uplinks)),
        "up_kbit": draw(st.lists(st.sampled_from([64, 128, 512, 1000]), min_size=uplinks,
                                 max_size=uplinks)),
        "delay_ms": draw(st.lists(st.sampled_from([1.0, 5.0, 10.0, 40.0]), min_size=uplinks,
                                  max_size=uplinks)),
        "weights": draw(st.lists(st.integers(1, 3), min_size=uplinks, max_size=uplinks)),
    }
    if scenario not in EQUALIZE_SCENARIOS and multipath in CACHED:
        # the equalize flag on top of a cached policy, in any scenario (None: scenario default)
        kw["equalize"] = draw(st.sampled_from((None, True)))
    if SCENARIOS_BY_NAME[scenario].defaults.get("bundle"):
        # a bundled scenario (multilink): its uplinks are one link, one route, and sim.run refuses
        # what chooses among routes (multipath, equalize, weights) unless the bundle is undone
        if draw(st.booleans()):
            kw["bundle"] = False
        else:
            for k in ("multipath", "equalize", "weights"):
                kw.pop(k, None)
    # only what the scenario reads: sim.run refuses the rest (a download's pings, a ping's TCP)
    return {"scenario": scenario, **{k: v for k, v in kw.items() if k not in unread(scenario)}}


def run(cfg: dict) -> sim.Result:
    cfg = dict(cfg)
    r = sim.run(cfg.pop("scenario"), **cfg)
    assert r.events, "empty trace"
    return r


# -- 1. conservation ---------------------------------------------------------------------------

def _node(label: str) -> str:
    return label.split(":", 1)[0]


def _ttl_plus_one(pkt):
    return pkt._replace(ip=pkt.ip._replace(ttl=pkt.ip.ttl + 1))


def check_conservation(r: sim.Result) -> dict:
    """Follow every packet through the trace.

    A packet is a token ``(node, packet value)``.  ``send`` creates one where it
    is sent; ``hop`` moves it from the sending node to the receiving one; ``nat``
    replaces ``before`` by the translated packet at the router; a router's TTL
    decrement (``Packet.hop``, which emits no event) is matched by accepting the
    value with TTL + 1 at a router; ``deliver`` and ``drop`` end it.  Packets are
    immutable and compare by value, and two tokens with one value at one node are
    interchangeable, so a multiset is exact.

    A ``drop`` right after the ``deliver`` of the same packet (by value: the stored trace keeps
    one object per distinct packet within a chunk of 1024 events, so a deliver and its drop on
    either side of a chunk's edge hold two equal objects) is the stack refusing a delivered
    packet (no socket, reset, ignored): not a second end.
    A ``retries exhausted`` drop names a segment the stack gave up on, never sent.
    """
    routers = {name for name, n in r.net.nodes.items() if n.kind == "router"}
    live: Counter = Counter()
    sent = delivered = dropped = 0
    reasons: Counter = Counter()

    def take(node, pkt, i):
        key = (node, pkt)
        if live[key] > 0:
            live[key] -= 1
            return
        if node in routers:
            key = (node, _ttl_plus_one(pkt))       # the router decremented the TTL
            if live[key] > 0:
                live[key] -= 1
                return
        raise AssertionError(f"event {i} {r.events[i].ev.value} at {node}: packet "
                             f"{pkt.summary()} (ttl {pkt.ip.ttl}) is not in the network there")

    prev = None
    for i, e in enumerate(r.events):
        ev, node, pkt = e.ev, e.node, e.pkt
        if ev is Ev.SEND:
            live[(node, pkt)] += 1
            sent += 1
        elif ev is Ev.HOP:
            src, dst = _node(e.from_), _node(e.to)
            take(src, pkt, i)
            live[(dst, pkt)] += 1
        elif ev is Ev.NAT:
            take(node, e.before, i)
            live[(node, pkt)] += 1
        elif ev is Ev.DELIVER:
            take(node, pkt, i)
            delivered += 1
        elif ev is Ev.DROP:
            reason = e.reason
            assert isinstance(reason, Drop), f"event {i}: drop without a reason: {reason!r}"
            reasons[reason] += 1
            if reason is Drop.RETRIES:
                assert live[(node, pkt)] == 0, f"event {i}: a given-up segment is in the network"
            elif (prev is not None and prev.ev is Ev.DELIVER and prev.node == node and prev.pkt == pkt):
                assert reason in (Drop.RESET, Drop.NO_SOCKET, Drop.IGNORED), \
                    f"event {i}: {reason} of a packet just delivered"
            else:
                take(node, pkt, i)
                dropped += 1
        elif ev in (Ev.RT_HIT, Ev.RT_MISS, Ev.FIB):
            # routing decisions are about a packet that is at that router right now
            assert live[(node, pkt)] > 0, f"event {i}: route lookup for a packet not at {node}"
        prev = e
    leftover = +live
    # The simulation runs until no non-daemon event remains, so nothing should be in
    # flight at the end.  Check that assumption on the engine's queue rather than
    # trusting it: every pending, uncancelled link arrival is a packet on a wire.
    in_flight: Counter = Counter()
    for entry in getattr(r.sim, "_queue", ()):
        fn, args = entry[3], entry[4]
        if fn is not None and getattr(fn, "__name__", "") == "arrive":
            src_iface, _dst_iface, p = args[:3]      # (src, dst, pkt, wire size)
            in_flight[(src_iface.node.name, p)] += 1
    lost = Counter(leftover)
    for (node, p), n in in_flight.items():
        # a router's token may still hold the value before its TTL decrement
        for key in ((node, p), (node, _ttl_plus_one(p))):
            k = min(n, lost[key])
            lost[key] -= k
            n -= k
    lost = +lost
    assert not lost, ("packets neither delivered nor dropped: " + "; ".join(
        f"{n} at {node}: {p.summary()}" for (node, p), n in list(lost.items())[:5]))
    assert not in_flight, (f"the run ended with {sum(in_flight.values())} packets still on a "
                           "wire: it stopped before the network drained")
    assert getattr(r.sim, "_live", 0) == 0, "the run ended with live events pending"
    assert sent == delivered + dropped, (sent, delivered, dropped)
    return {"sent": sent, "delivered": delivered, "dropped": dropped, "reasons": reasons}


@SETTINGS
@given(configs())
def test_every_packet_is_delivered_or_dropped(cfg):
    r = run(cfg)
    c = check_conservation(r)
    assert c["sent"] > 0 and c["delivered"] > 0
    assert r.sim.trace.counts[Ev.HOP] > 0
    # the trace's counters agree with the stored trace
    assert Counter(e.ev for e in r.events) == +r.sim.trace.counts


# -- 2. replies translate back -----------------------------------------------------------------

def check_replies(r: sim.Result) -> int:
    addrs = {h: r.net[h].addr for h in LAN_HOSTS}
    assert all(a.startswith("192.168.0.") for a in addrs.values()), addrs
    sent_eps = {h: set() for h in LAN_HOSTS}        # (proto, src, sport) each host sent from
    sent_flows = {h: set() for h in LAN_HOSTS}      # full 5-tuples each host sent
    checked = 0
    for i, e in enumerate(r.events):
        ev, node, pkt = e.ev, e.node, e.pkt
        if node not in addrs:
            continue
        if ev is Ev.SEND:
            sent_eps[node].add((pkt.proto, pkt.ip.src, pkt.sport))
            sent_flows[node].add(pkt.flow())
        elif ev is Ev.DELIVER:
            assert pkt.ip.dst == addrs[node], \
                f"event {i}: {node} got a packet for {pkt.ip.dst}: {pkt.summary()}"
            assert (pkt.proto, pkt.ip.dst, pkt.dport) in sent_eps[node], \
                f"event {i}: {node} got {pkt.summary()}, for an endpoint it never sent from"
            proto, src, sport, dst, dport = pkt.flow()
            assert (proto, dst, dport, src, sport) in sent_flows[node], \
                f"event {i}: {node} got {pkt.summary()}, the reverse of no flow it opened"
            checked += 1
    return checked


@SETTINGS
@given(configs())
def test_replies_translate_back_to_the_lan_host(cfg):
    r = run(cfg)
    assert check_replies(r) > 0, "no packet was delivered to a LAN host"


# -- 3. conntrack: reply tuples unique --------------------------------------------------------

def check_conntrack(r: sim.Result, steps: list[int]) -> int:
    live: dict[int, tuple] = {}
    snapshots = {}
    created = 0
    want = set(i % len(r.events) for i in steps)
    for i, e in enumerate(r.events):
        if e.ev is Ev.CT_NEW:
            assert e.node == "router", f"event {i}: conntrack on {e.node}"
            ct, reply = e.ct, e.reply
            assert ct not in live, f"event {i}: ct {ct} created twice"
            clash = [c for c, rep in live.items() if rep == reply]
            assert not clash, f"event {i}: ct {ct} reply {reply} is also live ct {clash[0]}'s"
            live[ct] = reply
            created += 1
        elif e.ev is Ev.CT_DEL:
            assert e.ct in live, f"event {i}: ct {e.ct} destroyed but not live"
            del live[e.ct]
        assert len(set(live.values())) == len(live)
        if i in want:
            snapshots[i] = dict(live)
    # the trace-folded table agrees with state_at() and, at the end, with the engine
    for i, live_i in snapshots.items():
        st_i = r.state_at(i)
        assert {c: v["reply"] for c, v in st_i.conntrack.items()} == live_i, f"state_at({i})"
    nat = r.net["router"].nat
    engine = {} if nat is None else {c.id: c.reply for c in nat.entries()}
    assert engine == live, "the engine's conntrack table differs from the trace's"
    return created


@SETTINGS
@given(configs(), st.lists(st.integers(0, 10**9), min_size=3, max_size=3))
def test_conntrack_reply_tuples_are_unique(cfg, steps):
    r = run(cfg)
    created = check_conntrack(r, steps + [-1])
    if cfg["nat"] == "none":
        assert created == 0 and not any(e.ev in (Ev.CT_NEW, Ev.NAT) for e in r.events)
    else:
        assert created > 0, "NAT on but no conntrack entry was made"


def test_conntrack_check_catches_a_duplicate():
    """The conntrack check is not vacuous: a trace with two live entries sharing a
    reply tuple fails it."""
    r = sim.run("equalize-nat", seed=3, size=5000)
    news = [i for i, e in enumerate(r.events) if e.ev is Ev.CT_NEW]
    assert len(news) >= 2
    e = r.events[news[1]]
    e.reply = r.events[news[0]].reply
    r.events[news[1]] = e              # a record read is a copy: put it back
    with pytest.raises(AssertionError, match="is also live"):
        check_conntrack(r, [-1])


def test_conservation_check_catches_a_lost_packet():
    r = sim.run("connection-level", seed=1, size=5000)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.DELIVER and e.node == "local1")
    del r.events[i]
    with pytest.raises(AssertionError, match="neither delivered nor dropped"):
        check_conservation(r)


def test_reply_check_catches_a_wrong_translation():
    r = sim.run("connection-level", seed=1, size=5000)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.DELIVER and e.node == "local1")
    e = r.events[i]
    e.pkt = e.pkt.with_dst(e.pkt.ip.dst, e.pkt.dport + 1)
    r.events[i] = e                    # a record read is a copy: put it back
    with pytest.raises(AssertionError, match="never sent from"):
        check_replies(r)


def test_equalize_needs_a_cached_policy():
    for mp in ("hash-l3", "hash-l4"):
        with pytest.raises(sim.ParamError):
            sim.run("equalize-nat", multipath=mp)


# -- 4. determinism -----------------------------------------------------------------------------

DETERMINISM_CASES = [
    ("equalize-nat", {"seed": 7, "size": 20000, "nat": "netfilter", "remote": "rfc"}),
    ("thought-question", {"seed": 42, "size": 15000, "uplinks": 3, "multipath": "wrr"}),
    ("hash-l4-nat", {"seed": 5, "size": 10000, "connections": 3, "ingress_filter": True}),
]


@pytest.mark.parametrize("scenario,kw", DETERMINISM_CASES, ids=[c[0] for c in DETERMINISM_CASES])
def test_same_seed_same_trace(scenario, kw):
    a = sim.run(scenario, **kw).to_json()
    b = sim.run(scenario, **kw).to_json()
    assert len(json.loads(a)["events"]) > 0
    assert a == b
    code = ("import hashlib, json, sys, sim; "
            "kw = json.loads(sys.argv[2]); "
            "sys.stdout.write(hashlib.sha256(sim.run(sys.argv[1], **kw).to_json().encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", code, scenario, json.dumps(kw)], env=env,
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == hashlib.sha256(a.encode()).hexdigest(), \
        "another PYTHONHASHSEED gave another trace"


def test_different_seeds_differ():
    """The determinism test is not vacuous: the seed does change the trace."""
    a = sim.run("equalize-nat", seed=1, size=20000).to_json()
    b = sim.run("equalize-nat", seed=2, size=20000).to_json()
    assert a != b


def _run_until(scenario: str, until: int, **kw) -> sim.Result:
    """``sim.run`` stopped at ``until`` µs: a run that ends with packets on the wires."""
    from sim.core import Sim
    from sim.scenarios import SCENARIOS, make_params
    from sim.topology import article_network
    p = make_params(scenario, **kw)
    s = Sim(seed=p.seed, trace=True, until=until)
    net = article_network(s, p.spec())
    net.apps = {}
    net.apps.update(SCENARIOS[scenario].setup(net, p))
    net.start()
    s.run()
    return sim.Result(scenario, p, s, net, net.apps)


def test_conservation_check_sees_packets_in_flight():
    """The end-of-run check is not vacuous: a run cut short fails it."""
    r = _run_until("connection-level", 100_000, size=20000)
    with pytest.raises(AssertionError, match="still on a wire"):
        check_conservation(r)


def test_a_run_cut_short_and_resumed_conserves_packets():
    r = _run_until("connection-level", 100_000, size=20000)
    r.sim.until = None
    r.sim.run()                      # the rest of the run, appended to the same trace
    assert r.summary["connections"] and r.apps["downloads"][0].done_at is not None
    check_conservation(r)


# -- counters-only mode ---------------------------------------------------------------------

COUNTERS_CASES = [("flashget", {"seed": 1}), ("equalize-nat", {"seed": 3, "size": 20000})]


@pytest.mark.parametrize("scenario,kw", COUNTERS_CASES, ids=[c[0] for c in COUNTERS_CASES])
def test_counters_only_mode_counts_the_same_events(scenario, kw):
    full = sim.run(scenario, **kw)
    counters = sim.run(scenario, trace=False, **kw)
    assert counters.events == [] and full.events
    assert counters.sim.trace.counts == full.sim.trace.counts
    assert full.summary["drops"], "the case must have drops"
    # (an uplink's rate while it carried data is timed by the stored trace: None without one)
    def untimed(s):
        return {**s, "uplinks": {d: {k: v for k, v in u.items() if k not in TRACE_TIMED}
                                 for d, u in s["uplinks"].items()}}
    f, c = untimed(full.summary), untimed(counters.summary)
    same = {k for k in f if k != "drops" and f[k] == c[k]}
    assert same == set(f) - {"drops"}


@pytest.mark.parametrize("scenario", sorted(scenarios.SCENARIOS))
def test_counters_only_counts_each_hop_once_by_its_device(scenario):
    """Counters-only, a hop is counted by the device that received it, not emitted: the
    count of hop events is the same as the trace's, in every scenario (the bundle's,
    the failed line's...), and so is every other kind's."""
    full = sim.run(scenario, seed=4)
    counters = sim.run(scenario, seed=4, trace=False)
    hops = sum(1 for e in full.events if e.ev is Ev.HOP)
    assert hops and counters.sim.trace.counts[Ev.HOP] == hops
    assert counters.sim.trace.counts == full.sim.trace.counts == Counter(e.ev for e in full.events)


def test_counters_only_counts_a_router_own_stack_as_a_host_stack():
    """Packets sent and taken in are counted by the node (``out_requests``, ``in_delivers``),
    NAT rewrites by the conntrack table: a router's own stack too (here it answers a reply
    that lost its NAT entry with a reset), in both modes, as many as the stored trace holds."""
    kw = {"nat": "masquerade", "multipath": "numgen"}
    full = sim.run("echo", **kw)
    counters = sim.run("echo", trace=False, **kw)
    tally = Counter(e.ev for e in full.events)
    own = {e.ev for e in full.events if e.node == "router" and e.ev in (Ev.SEND, Ev.DELIVER)}
    assert own == {Ev.SEND, Ev.DELIVER} and tally[Ev.NAT]
    assert counters.sim.trace.counts == full.sim.trace.counts == tally


def test_counters_only_mode_reports_the_same_drops():
    full = sim.run("flashget", seed=1)
    counters = sim.run("flashget", seed=1, trace=False)
    assert full.summary["drops"]
    assert counters.summary["drops"] == full.summary["drops"]
