"""Building a run's network the cheap way gives the network the plain way would.

The Monte Carlo chapters build thousands of networks; what their set-up keeps from one run
to the next must be immutable, and what it builds must be what it built before."""
from __future__ import annotations

import random

from sim.fib import FIB, parse_route


def test_fib_keeps_longest_prefix_first_and_equal_prefixes_in_the_order_added():
    rng = random.Random(7)
    for _ in range(200):
        specs = []
        for k in range(rng.randrange(1, 12)):
            a = rng.randrange(1, 4)        # a few prefixes only: some are added twice
            prefix = rng.choice(["default", f"{a}.0.0.0/8", f"10.{a}.0.0/16", f"10.{a}.{a}.0/24",
                                 f"10.{a}.{a}.{a}/32"])
            specs.append(f"{prefix} dev if{k}")
        fib = FIB()
        for s in specs:
            fib.add(s)
        # what a stable sort by prefix length, longest first, gives after all of them
        want = sorted((parse_route(s) for s in specs), key=lambda r: -r.plen)
        assert [r.spec for r in fib.routes] == [r.spec for r in want]
        # routes added later (made when the table is first read), mixed with routes added
        # now and lookups in between: the same table, the same answers
        later, now = FIB(), FIB()
        for s in specs:
            now.add(s)
            if rng.random() < 0.7:
                later.add_later([s])
            else:
                later.add(s)
            for dst in ("10.1.1.1", "10.2.2.2", "10.3.0.9", "2.0.0.1", "99.0.0.1"):
                if rng.random() < 0.2:
                    got, want_r = later.lookup(dst), now.lookup(dst)
                    assert (got and got.spec) == (want_r and want_r.spec)
        assert [r.show() for r in later.routes] == [r.show() for r in fib.routes]


def test_a_bad_route_is_refused_when_described_not_when_a_run_reads_the_table():
    import pytest
    from sim.fib import RouteError
    from sim.topology import Steps
    with pytest.raises(RouteError, match="unknown word"):
        Steps().route("router", "default via 1.2.3.4 dev if1 mtu 1400")


def _objects(net):
    """Every mutable object a run's network is made of, by id."""
    objs = [net.nodes, net.links]
    for node in net.nodes.values():
        objs += [node, node.ifaces, node.fib, node.fib.routes]
        for r in node.fib.routes:
            objs += [r, r.nexthops, *r.nexthops]
        objs += list(node.ifaces.values())
        if getattr(node, "nat", None) is not None:
            objs += [node.nat, node.nat.uplinks]
    for link in net.links.values():
        objs += [link] + ([link.members] if link.bundle else [])
    return {id(o) for o in objs}


def test_a_network_description_is_immutable_and_every_build_is_its_own():
    from sim import make_params
    from sim.core import Sim
    from sim.scenarios import _network_steps
    from sim.topology import build, describe
    for params in (dict(uplinks=3), dict(bundle=True, nat="masquerade", remote="rfc"),
                   dict(nat="none", ingress_filter=True, equalize=False)):
        p = make_params("equalize-nat", **params)
        steps = _network_steps(p)
        hash(steps)                         # tuples of strings and numbers all the way down
        assert steps == describe(p.spec())
        assert _network_steps(make_params("equalize-nat", **params, seed=9, size=5)) is steps  # made once
        a, b = build(Sim(seed=1), steps), build(Sim(seed=2), steps)
        assert not _objects(a) & _objects(b)
        assert [r.show() for r in a["router"].fib.routes] == [r.show() for r in b["router"].fib.routes]


# a value other than the default for each parameter (each valid with the others' defaults)
OTHER = {"multipath": "wrr", "equalize": False, "nat": "netfilter", "remote": "rfc", "cc": "reno",
         "tcp": "linux", "ingress_filter": True, "uplinks": 3, "seed": 2, "size": 5000, "connections": 2,
         "idle": 1.0, "pings": 3, "messages": 2, "msg_size": 10, "subflows": 3,
         "uplink_addrs": ["100.0.0.2", "150.0.0.2"], "remote_addrs": ["200.0.0.2", "210.0.0.2"],
         "port_base": 6000, "bundle": True, "flush_at": [1.0], "down_at": 1.0, "down_uplink": 1, "up_at": 2.0,
         "read_timeout": 2.0, "down_kbit": [1000], "up_kbit": [100], "delay_ms": [20],
         "core_delay_ms": 3, "remote_delay_ms": 4, "weights": [2], "trace": False,
         "rwnd": 100_000}


def test_the_network_key_holds_every_parameter_the_network_depends_on():
    """A parameter left out of the key (RUN_ONLY) must change nothing in the network, and
    every other one must: else two runs would share a network they don't have."""
    from dataclasses import fields
    from sim import Params, make_params
    from sim.scenarios import RUN_ONLY
    from sim.topology import describe
    assert set(OTHER) == {f.name for f in fields(Params)}
    base = make_params("equalize-nat")
    for name, value in OTHER.items():
        # (a line comes back only where one fails)
        p = make_params("equalize-nat", **{name: value}, **({"down_at": 1.0} if name == "up_at" else {}))
        if name in RUN_ONLY:
            assert p.spec() == base.spec(), name
        else:
            assert describe(p.spec()) != describe(base.spec()), name


def test_equal_numbers_of_another_type_make_the_same_network():
    """The key takes 10 and 10.0 as one: the network made from either is the same."""
    from sim import make_params
    from sim.topology import describe
    for name, whole, fraction in (("delay_ms", [10], [10.0]), ("down_kbit", [2000], [2000.0]),
                                  ("core_delay_ms", 5, 5.0), ("remote_delay_ms", 2, 2.0)):
        a = make_params("equalize-nat", **{name: whole}).spec()
        b = make_params("equalize-nat", **{name: fraction}).spec()
        assert a == b and describe(a) == describe(b)
        assert _types(describe(a)) == _types(describe(b))


def _types(x) -> list:
    return [t for y in x for t in _types(y)] if isinstance(x, tuple) else [type(x)]


def test_one_connection_is_the_summarys_whether_made_before_or_after_it():
    import sim
    for scenario, kw in (("equalize-nat", dict(seed=3, size=1000)), ("flashget", dict(seed=2)),
                         ("thought-question", dict(seed=1, size=5000)), ("cache-expiry", dict(seed=4))):
        first = sim.run(scenario, **kw)
        alone = [first.connection(k) for k in range(len(first.apps["downloads"]))]
        assert "summary" not in first.__dict__                  # made alone
        assert alone == first.summary["connections"]
        again = sim.run(scenario, **kw)
        again.summary
        assert [again.connection(k) for k in range(len(alone))] == alone


def test_a_routes_live_and_dead_nexthops():
    fib = FIB()
    r = fib.add("default nexthop via 1.0.0.254 dev if1 nexthop via 2.0.0.254 dev if2")
    assert [nh.dev for nh in r.live] == ["if1", "if2"] and not r.dead
    fib.sync_down("if1")
    assert [nh.dev for nh in r.live] == ["if2"] and not r.dead
    assert [nh.dev for nh in r.nexthops] == ["if1", "if2"]        # live is a list of its own
    fib.sync_down("if2")
    assert r.live == [] and r.dead and fib.lookup("9.9.9.9") is None
