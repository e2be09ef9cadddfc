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
