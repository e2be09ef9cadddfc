"""The exercises of chapter 4, equalize (book/04-equalize.md)."""
from __future__ import annotations

from sim.runs import run
from ..variants import two_speeds

from sim.reasons import EqualizeDeleted, RoundRobin
from sim.trace import Ev

from . import (addressed, arrival_of, choose, exercise, ExerciseError, ifs, nearest_choice, predict,
               speed_choices, uplink_hops, uplink_why_not)


def _last_of_a_round(r, rng) -> tuple[int, str, int, list[str], str]:
    """A packet whose uplink the credits alone decide: the last choice of a round of 2.4's
    credit round robin (one nexthop has a credit left).  Returns the event of its hop out of the
    router, its uplink, the event of its arrival (where the trace stops), the uplinks chosen
    since the credits were last refilled, in order, and the credits before its choice.  (With
    three or more nexthops the order within a round depends on the counter's value, which the
    page does not show; that each is taken once a round, it does.)"""
    choices = []                    # (event, dev, credits before the choice)
    for i, e in enumerate(r.events):
        if e.node == "router" and e.ev is Ev.RT_MISS and e.dev != "eth0":
            why = e.why.choice if isinstance(e.why, EqualizeDeleted) else e.why
            if isinstance(why, RoundRobin):
                choices.append((i, e.dev, why.credits))
    last = [k for k, (_, _, credits) in enumerate(choices[:14])
            if k >= 2 and sum(c for _, c in credits) == 1]
    if not last:
        raise ExerciseError("eq-next: no round of the round robin ends in the run's first 14 choices")
    k = rng.choice(last)
    i, dev, credits = choices[k]
    full = next(j for j in range(k, -1, -1) if sum(c for _, c in choices[j][2]) == len(credits))
    pkt = r.events[i].pkt
    step = next(j for j, d, p in uplink_hops(r) if j > i and d == dev and p.ip.id == pkt.ip.id
                and p.ip.src == pkt.ip.src)
    so_far = [choices[j][1] for j in range(full, k)]
    return step, dev, arrival_of(r, step), so_far, ", ".join(f"{d}:{c}" for d, c in credits)


@exercise("eq-next", 4, "predict", "Equalize: where does the next packet go?")
def eq_next(student, rng):
    n = rng.choice([2, 3, 4])
    params = addressed(student, rng, "equalize-public",
                       dict(multipath="wrr", uplinks=n, seed=rng.randrange(1, 1000), size=8000))
    r = run("equalize-public", **params)
    step, dev, ask, so_far, credits = _last_of_a_round(r, rng)
    before = ", ".join(so_far)
    # why not: the wrong uplink's own credit, not which one is left (that is the question)
    why_not = uplink_why_not(ifs(n), dev, lambda c: (
        f"equalize deleted the cached entry, so `fib_select_multipath()` chooses again, and it gives each "
        f"nexthop one credit a round (its weight): {c} spent its credit of this round on one of the packets "
        f"since the credits were refilled"))
    return predict(
        scenario="equalize-public", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev,
        why_not=why_not,
        prompt=(f"Equalize with {n} uplinks and 2.4's `fib_select_multipath()` (weights 1), the credit round "
                f"robin described in the boxes \"What real kernels do\" of chapters 3 and 4. Since the "
                f"nexthops' credits were last refilled, the router sent packets up by {before}, in that "
                f"order. At event {ask} the next one reaches the router. By which uplink will it leave? "
                f"(In the trace, the `credits` a `round robin` choice lists are the nexthops' credits "
                f"before that choice: the uplink it picks then has one fewer.)"),
        hint=("Equalize deletes the cached entry on every hit, so each packet takes the slow path; the "
              "kernel's choice is a credit round robin, not a coin: each nexthop has as many credits a "
              "round as its weight, a choice spends one, and the credits are refilled only when all are "
              "spent. With three or more nexthops the order within a round can change, but no nexthop is "
              "taken twice in one round."),
        explanation=(f"It leaves by {dev}: the entry was deleted (`rt_del ... equalize`) and "
                     f"`fib_select_multipath()` found the credits {credits} (as the trace line of its "
                     f"choice shows them, before the pick): {dev} was the only nexthop with one left in "
                     f"this round, and spent it."))


@exercise("eq-speed", 4, "choice", "Equalize with public addresses: how fast?")
def eq_speed(student, rng):
    speeds = two_speeds(rng)
    params = addressed(student, rng, "equalize-public", dict(seed=rng.randrange(1, 1000), down_kbit=speeds, size=300_000))
    r = run("equalize-public", **params, trace=False)     # read only through its summary: the same
    got = r.summary["throughput_kbit"]
    a, b = speeds
    choices = speed_choices(a, b)
    ans = nearest_choice(got, choices)
    why = {}
    for label, v in choices.items():
        # why not: what the wrong speed would need, and what a random choice per packet does
        # instead -- not the measured speed (it names the answer)
        what = [w for w, x in (("one line alone, and the router sends packets by both lines", a),
                               ("one line alone, and the router sends packets by both lines", b),
                               ("the sum of both lines, which needs each line to carry data in proportion to "
                                "its speed, and a random choice per packet does not look at speeds", a + b),
                               ("twice the slower line", 2 * min(a, b))) if x == v]
        why[label] = f"Not {label}: that would be {'; or '.join(dict.fromkeys(what))}."
    return choose(
        scenario="equalize-public", params=params, choices=choices, answer=ans, why_not=why,
        prompt=(f"Public LAN addresses, equalize, random choice per packet. Uplink if1 brings {a} kbit/s down, "
                f"if2 {b} kbit/s; the Internet side spreads the download packet by packet too. One 300 kB "
                f"download: which throughput will it get?"),
        hint=("Half of the packets take each line, whatever its speed: the slower line carries half the "
              "download, and the download can't run ahead of it."),
        explanation=(f"The simulator measured {got} kbit/s: {ans}. With a per-packet split half the data "
                     f"waits for the {min(a, b)} kbit/s line, so two unequal lines give about twice the "
                     f"slower one, not the sum (route weights in proportion to the lines' speeds would "
                     f"split the packets that way instead)."))
