"""The exercises of chapter 3, connection-level multipath (LARTC 4.2.2) (book/03-connection-level.md)."""
from __future__ import annotations

from sim.observe import uplink_hops
from sim.runs import run
from sim.trace import Ev
from ..variants import two_speeds

from . import (addressed, arrival_of, choose, DEAL_TRIES, dealt_answer, exercise, ExerciseError, ifs, line,
                nearest_choice, next_event, predict, speed_choices, UPLINKS, uplink_why_not, uplinks_with)


def syn_lookup(r) -> int:
    """The event of the route lookup the download's SYN made: the router's first cache miss for a
    packet from the LAN, the ``rt_miss`` that chose the connection's uplink and inserted its entry.
    The question shows it in the trace rather than saying in the prompt which uplink the SYN took
    (a student's finding: "its SYN left by if2" in the prompt left only the rule to apply, and
    reading the lookup's ``dev`` is what the chapter teaches)."""
    return next(i for i, e in enumerate(r.events)
                if e.node == "router" and e.ev is Ev.RT_MISS and e.key[3] == "eth0")


@exercise("cl-uplink", 3, "predict", "Which uplink does a later packet take?")
def cl_uplink(student, rng):
    # each variant of the pool is dealt its uplink (variants.dealt), its number of uplinks drawn from
    # those that have it and its seed tried in its own order until the SYN takes it: drawn from the
    # runs alone, a course's pool could leave one every variant offers out
    want = dealt_answer(student, "cl-uplink", UPLINKS)      # None: the book's own variant
    n = rng.choice(uplinks_with(want))
    params = addressed(student, rng, "connection-level", dict(seed=rng.randrange(1, 1000), uplinks=n, size=8000))
    for _ in range(DEAL_TRIES):
        r = run("connection-level", **params)
        ups = uplink_hops(r)
        step, dev, pkt = ups[rng.randrange(3, min(9, len(ups)))]
        ask = arrival_of(r, step)
        syn_dev = ups[0][1]
        looked = next_event(r, ask, lambda e: e.node == "router" and e.ev in (Ev.RT_HIT, Ev.RT_MISS))
        if want is None or (dev == want and r.events[looked].ev is Ev.RT_HIT):
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"cl-uplink {student}: no seed of {DEAL_TRIES} gives {want!r}")
    if r.events[looked].ev is not Ev.RT_HIT:      # an expired entry would choose again: not this question
        raise ExerciseError(f"cl-uplink: the route cache missed at event {looked} in {student!r}'s variant")
    # why not: the rule and the trace's fact, not the uplink it takes (that is the question); and
    # no event past the trace shown (the lookup at event `looked` is one the student cannot see)
    assert r.events[syn_lookup(r)].dev == syn_dev, "the SYN's lookup is not the first uplink hop's"
    why_not = uplink_why_not(ifs(n), dev, lambda c: (
        f"that would need the router to choose a nexthop again for this packet, and it does not: the "
        f"route cache still holds the entry for this connection's (destination, source) that its SYN's "
        f"route lookup made, so the lookup for this packet hits it"))
    return predict(
        scenario="connection-level", params=params, r=r, ask=ask, step=step, why_not=why_not,
        choices=ifs(n), answer=dev, keep=(syn_lookup(r),),
        prompt=(f"Connection-level multipath with {n} uplinks, one download from Local host 1 to Remote host 1. "
                f"At event {ask} another packet of the same connection reaches the router: "
                f"`{r.events[ask].pkt.summary()}`. By which uplink will it leave? (The trace below starts "
                f"with the route lookup of the connection's SYN, the `rt_miss` that inserted its entry, then "
                f"shows the last events before the question.)"),
        hint=("Without equalize, the nexthop is chosen only on a cache miss; later packets with the same "
              "(destination, source) key reuse the cached entry until the garbage collector drops it, "
              "after one to two gc_timeouts (300 s each) of not being used."),
        explanation=(f"It leaves by {dev}: the route cache entry made for the SYN still says dev {syn_dev}, "
                     f"so every packet of this connection takes it; "
                     + ("the other line stays" if n == 2 else f"the other {('two', 'three')[n - 3]} lines stay")
                     + " idle for this download."))


@exercise("cl-speed", 3, "choice", "How fast is one download?")
def cl_speed(student, rng):
    # the key is the concept -- the connection is pinned to its SYN's line, so it gets that line's
    # speed -- and the measured speed must be nearest that choice: a variant where it is not
    # (a line too slow for the download to reach its speed, say) is drawn again, never keyed
    # to whichever label a small change of the simulator would make nearest.  Each variant of the pool
    # is dealt the line its SYN takes, the slower or the faster (variants.dealt), and draws until it
    # gets it: drawn freely, a course's pool could have the faster line's speed on every variant
    want = dealt_answer(student, "cl-speed", ("slower", "faster"))     # None: the book's own variant
    for _ in range(20 if want is None else DEAL_TRIES):
        speeds = two_speeds(rng)
        params = addressed(student, rng, "connection-level", dict(seed=rng.randrange(1, 1000), down_kbit=speeds,
                                                                  size=400_000))
        r = run("connection-level", **params)
        syn_dev = uplink_hops(r)[0][1]
        got = r.summary["throughput_kbit"]
        a, b = speeds
        choices = speed_choices(a, b)
        line_speed = {"if1": a, "if2": b}
        ans = f"about {line_speed[syn_dev]} kbit/s"
        if nearest_choice(got, choices) == ans and (want is None or
                                                     (line_speed[syn_dev] == min(a, b)) == (want == "slower")):
            break
    else:                                   # pragma: no cover - every variant tried has one
        raise ExerciseError(f"cl-speed: no variant of {student!r} measured nearest its SYN's line's speed")
    other = "if2" if syn_dev == "if1" else "if1"
    pinned = "the route cache keeps every packet of a connection on the line its SYN's route lookup chose"
    why = {}
    for label, v in choices.items():
        # why not: what the wrong speed would need, and the rule that rules it out -- not the
        # measured speed (it names the answer)
        what = [w for w, x in ((None, line_speed[syn_dev]),
                               (f"the other line's speed: the download would get it only if its packets took "
                                f"{other}, and {pinned}", line_speed[other]),
                               (f"the sum of both lines, which needs this connection's packets on both, and "
                                f"{pinned}", a + b),
                               (f"twice the slower line: the download would get it only if both lines carried its "
                                f"packets, the slower one half of them, and {pinned}", 2 * min(a, b)))
                if x == v and w]
        if what:
            why[label] = f"Not {label}: that is {'; or '.join(what)}."
    looked = syn_lookup(r)
    assert r.events[looked].dev == syn_dev, "the SYN's lookup is not the first uplink hop's"
    return choose(
        scenario="connection-level", params=params, choices=choices, answer=ans, why_not=why,
        context=[line(r, looked - 1), line(r, looked)],
        prompt=(f"Uplink if1 brings {a} kbit/s down, if2 {b} kbit/s. One 400 kB download, connection-level "
                f"multipath; the trace below shows its SYN reaching the router and the router's route lookup "
                f"for it. Which throughput will the download get?"),
        hint="The whole connection is pinned to the uplink its first packet was routed to.",
        explanation=(f"The simulator measured {got} kbit/s: {ans}. Every packet of the connection uses "
                     f"{syn_dev}, so the download gets that line's speed; the other line is idle."))
