"""--weights for numgen and connmark: nftables' ``numgen inc mod SUM map { 0 : 1, 1 : 1, 2 : 2 }``
(chapter 10's advice for unequal lines), equal weights giving what they always gave."""
from __future__ import annotations

import re
from pathlib import Path

import sim
from sim.fib import Nexthop, Route
from sim.multipath import numgen_marks, select_connmark, select_numgen
from sim.reasons import numgen_expr

ROOT = Path(__file__).resolve().parent.parent


def _route(*weights):
    return Route("0.0.0.0", 0, [Nexthop(f"if{k}", f"{k}.0.0.254", w) for k, w in enumerate(weights, 1)])


def test_numgen_and_connmark_honour_weights_as_nftables_map():
    """--weights was ignored by numgen and connmark ("take the uplinks in turn whatever their
    weights"), so chapter 10's map for unequal lines could not be simulated."""
    assert numgen_marks([2, 1]) == (1, 1, 2) and numgen_marks([4, 2]) == (1, 1, 2)
    assert numgen_marks([1, 1, 1]) is None and numgen_marks([3, 3]) is None
    assert numgen_expr(3, numgen_marks([2, 1])) == "mod 3 map { 0 : 1, 1 : 1, 2 : 2 }"
    r = _route(2, 1)
    picks = [select_numgen(r, c) for c in range(1, 7)]
    assert [nh.dev for nh, _ in picks] == ["if1", "if1", "if2"] * 2
    assert str(picks[2][1]) == "numgen inc = 2, mod 3 map { 0 : 1, 1 : 1, 2 : 2 } -> fwmark 2 -> table 2"
    # equal weights: what they always gave, in the same words
    nh, why = select_numgen(_route(3, 3), 4)
    assert nh.dev == "if2" and str(why) == "numgen inc = 3, mod 2 offset 1 -> fwmark 2 -> table 2"
    marks: dict = {}
    devs = [select_connmark(r, marks, f, c)[0].dev for c, f in enumerate("abcdef", 1)]
    assert devs == ["if1", "if1", "if2"] * 2
    assert str(select_connmark(_route(1, 2, 1), {}, "x", 2)[1]) == \
        "new connection: ct mark set numgen inc mod 4 map { 0 : 1, 1 : 2, 2 : 2, 3 : 3 } = 2 -> table 2"


def test_a_weighted_numgen_run_sends_two_packets_in_three_by_uplink_1():
    from collections import Counter

    from sim.trace import Ev
    for weights, share in (([2, 1], (2, 1)), ([1, 1], (1, 1))):
        r = sim.run("echo", weights=weights)
        n = Counter(e.dev for e in r.events if e.ev is Ev.FIB and e.node == "router" and e.dev != "eth0")
        assert abs(n["if1"] * share[1] - n["if2"] * share[0]) <= share[0], (weights, n)


def test_the_books_map_for_unequal_lines_is_the_one_the_weights_give():
    text = re.sub(r"\s+", " ", (ROOT / "book" / "10-two-links.md").read_text())
    assert f"numgen random {numgen_expr(3, numgen_marks([2, 1]))}" in text
