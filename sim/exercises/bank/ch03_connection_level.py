"""The exercises of chapter 3, connection-level multipath (LARTC 4.2.2) (book/03-connection-level.md)."""
from __future__ import annotations

from sim.observe import uplink_hops
from sim.runs import run
from sim.trace import Ev
from ..variants import two_speeds

from . import (addressed, arrival_of, choose, exercise, ExerciseError, ifs, nearest_choice, next_event,
                predict, speed_choices, uplink_why_not)


@exercise("cl-uplink", 3, "predict", "Which uplink does a later packet take?")
def cl_uplink(student, rng):
    n = rng.choice([2, 3, 4])
    params = addressed(student, rng, "connection-level", dict(seed=rng.randrange(1, 1000), uplinks=n, size=8000))
    r = run("connection-level", **params)
    ups = uplink_hops(r)
    step, dev, pkt = ups[rng.randrange(3, min(9, len(ups)))]
    ask = arrival_of(r, step)
    syn_dev = ups[0][1]
    looked = next_event(r, ask, lambda e: e.node == "router" and e.ev in (Ev.RT_HIT, Ev.RT_MISS))
    how = "hit" if r.events[looked].ev is Ev.RT_HIT else "missed"
    why_not = uplink_why_not(ifs(n), dev, f"the router's route cache {how} for it at event {looked}, and the "
                             f"entry for this connection's (destination, source) says dev {dev}: the nexthop is "
                             f"not chosen again for each packet")
    return predict(
        scenario="connection-level", params=params, r=r, ask=ask, step=step, why_not=why_not,
        choices=ifs(n), answer=dev,
        prompt=(f"Connection-level multipath with {n} uplinks: the download's SYN left by {syn_dev}. "
                f"At event {ask} another packet of the same connection reaches the router: "
                f"`{r.events[ask].pkt.summary()}`. By which uplink will it leave?"),
        hint=("Without equalize, the nexthop is chosen only on a cache miss; later packets with the same "
              "(destination, source) key reuse the cached entry until it expires (gc_timeout 300 s)."),
        explanation=(f"It leaves by {dev}: the route cache entry made for the SYN still says dev {syn_dev}, "
                     f"so every packet of this connection takes it -- "
                     + ("the other line stays" if n == 2 else f"the other {('two', 'three')[n - 3]} lines stay")
                     + " idle for this download."))


@exercise("cl-speed", 3, "numeric", "How fast is one download?")
def cl_speed(student, rng):
    # the key is the concept -- the connection is pinned to its SYN's line, so it gets that line's
    # speed -- and the measured speed must be nearest that choice: a variant where it is not
    # (a line too slow for the download to reach its speed, say) is drawn again, never keyed
    # to whichever label a small change of the simulator would make nearest
    for _ in range(20):
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
        if nearest_choice(got, choices) == ans:
            break
    else:                                   # pragma: no cover - every variant tried has one
        raise ExerciseError(f"cl-speed: no variant of {student!r} measured nearest its SYN's line's speed")
    why = {}
    for label, v in choices.items():
        what = [w for w, x in ((f"the speed of {syn_dev}'s line", line_speed[syn_dev]),
                               (f"the other line's speed ({'if2' if syn_dev == 'if1' else 'if1'})",
                                line_speed["if2" if syn_dev == "if1" else "if1"]),
                               ("the sum of both lines, which needs this connection's packets on both", a + b),
                               ("twice the slower line, what a per-packet split over unequal lines gives", 2 * min(a, b)))
                if x == v]
        why[label] = (f"Not {label}: that is {' or '.join(what)}. The simulator measured {got} kbit/s: every "
                      f"packet of the connection followed its SYN's route cache entry to {syn_dev}.")
    return choose(
        scenario="connection-level", params=params, choices=choices, answer=ans, why_not=why,
        prompt=(f"Uplink if1 brings {a} kbit/s down, if2 {b} kbit/s. One 400 kB download, connection-level "
                f"multipath; its SYN left by {syn_dev}. Which throughput will it get?"),
        hint="The whole connection is pinned to the uplink its first packet was routed to.",
        explanation=(f"The simulator measured {got} kbit/s: {ans}. Every packet of the connection uses "
                     f"{syn_dev}, so the download gets that line's speed; the other line is idle."))
