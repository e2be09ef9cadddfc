"""What makes the book build faster changes none of its numbers.

Chapter 6's Monte Carlo runs its 6,000 simulations through ``booklib.map_runs``,
spread over the cores: the list must be the plain loop's, in order.  And
``booklib.handshake_trial`` must count what the chapter counts: the first two
routing decisions for the connection's packets from the LAN, and the
simulator's verdict on the handshake.  (The build time itself is printed by
``make bench-book``, not asserted.)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import sim
from sim.trace import event_dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book"))
import booklib  # noqa: E402


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_map_runs_is_the_plain_loop_in_order():
    jobs = list(range(200))
    got = booklib.map_runs(pid_and_square, jobs)
    assert [sq for _, sq in got] == [x * x for x in jobs]
    if (os.cpu_count() or 1) >= 2 and sys.platform == "linux":
        assert os.getpid() not in {pid for pid, _ in got}        # the workers ran them
    assert booklib.map_runs(pid_and_square, [3]) == [(os.getpid(), 9)]   # few jobs: here


@pytest.mark.parametrize("n", [2, 3, 4])
def test_handshake_trial_counts_what_the_chapter_counts(n):
    seeds = range(1, 41)
    trials = booklib.map_runs(booklib.handshake_trial, [(s, n) for s in seeds] * 2)
    assert trials[:40] == trials[40:]
    for s, (same, ok, how) in zip(seeds, trials):
        r = sim.run("equalize-nat", seed=s, uplinks=n, size=1000)
        d = [event_dict(i, e) for i, e in enumerate(r.events)]
        lan = [x["dev"] for x in d if x["ev"] == "rt_miss" and x["node"] == "router"
               and x["key"]["iif"] == "eth0"]
        c = r.summary["connections"][0]
        assert (same, ok, how) == (lan[0] == lan[1], c["handshake_ok"], c["handshake"])
    assert {same for same, _, _ in trials} == {True, False}       # both outcomes occur


def test_an_estimate_over_the_cores_is_the_plain_loops(monkeypatch):
    """Chapter 10's two-links-chance estimates over 1,000 seeds through ``sim.runs.map_runs``
    (the book builds its 8 pool variants and the book's own): spread over the cores or run in
    one loop, the variant is the same, field for field."""
    import sim.runs
    from sim.exercises.bank import BANK
    from sim.exercises.variants import member_name, rng_for
    name = member_name(3)
    build = BANK["two-links-chance"].build
    spread = build(name, rng_for(name, "two-links-chance", ""))
    monkeypatch.setattr(sim.runs, "JOBS", 1)
    looped = build(name, rng_for(name, "two-links-chance", ""))
    assert spread == looped and spread.answer.isdigit()
