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
    from sim.topology import article_network, description
    for params in (dict(uplinks=3), dict(bundle=True, nat="masquerade", remote="rfc"),
                   dict(nat="none", ingress_filter=True, equalize=False)):
        spec = make_params("equalize-nat", **params).spec()
        steps = description(spec)
        hash(steps)                         # tuples of strings and numbers all the way down
        assert description(spec) is steps   # made once
        a, b = article_network(Sim(seed=1), spec), article_network(Sim(seed=2), spec)
        assert not _objects(a) & _objects(b)
        assert [r.show() for r in a["router"].fib.routes] == [r.show() for r in b["router"].fib.routes]


def test_a_description_is_kept_by_the_types_of_the_values_too():
    from sim.topology import NetworkSpec, Uplink, description
    whole, fraction = NetworkSpec(), NetworkSpec(uplinks=[Uplink(delay=10_000.0), Uplink()])
    assert whole == fraction                # equal as dataclasses: 10_000 == 10_000.0
    link = {s[1]: s for s in description(fraction) if s[0] == "link"}["uplink1"]
    assert type(link[3]) is float and link[3] == 10_000.0
    link = {s[1]: s for s in description(whole) if s[0] == "link"}["uplink1"]
    assert type(link[3]) is int
