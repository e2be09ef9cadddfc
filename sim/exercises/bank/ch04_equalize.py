"""The exercises of chapter 4, equalize (book/04-equalize.md)."""
from __future__ import annotations

from sim.runs import run
from ..variants import two_speeds

from . import (addressed, choose, exercise, ifs, nearest_choice, next_uplink, predict, speed_choices,
                uplink_why_not)


@exercise("eq-next", 4, "predict", "Equalize: where does the next packet go?")
def eq_next(student, rng):
    n = rng.choice([2, 3, 4])
    params = addressed(student, rng, "equalize-public",
                       dict(multipath="wrr", uplinks=n, seed=rng.randrange(1, 1000), size=8000))
    r = run("equalize-public", **params)
    step, dev, ask, before = next_uplink(r, rng, 3)
    why_not = uplink_why_not(ifs(n), dev, f"equalize deleted the cached entry, and `fib_select_multipath()` with "
                             f"equal weights gives each of {', '.join(ifs(n))} one turn a round (the patch's "
                             f"counter orders the turns within a round); the router sent the last packets "
                             f"up by {before}")
    return predict(
        scenario="equalize-public", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev,
        why_not=why_not,
        prompt=(f"Equalize with {n} uplinks and 2.4's `fib_select_multipath()` (weights 1). The router "
                f"sent the last packets up by {before}, in that order. At event {ask} the next one reaches the "
                f"router. By which uplink will it leave?"),
        hint=("Equalize deletes the cached entry on every hit, so each packet takes the slow path; the "
              "kernel's choice is a credit round robin, not a coin: with equal weights each nexthop gets "
              "one turn a round. With two that is a strict alternation; with more, the order within a round "
              "can change from one round to the next."),
        explanation=(f"It leaves by {dev}: the entry was deleted (`rt_del ... equalize`) and "
                     f"`fib_select_multipath()` gave the next nexthop in the round robin."))


@exercise("eq-speed", 4, "numeric", "Equalize with public addresses: how fast?")
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
        what = [w for w, x in (("one line alone", a), ("one line alone", b),
                               ("the sum of both lines, which needs each line to carry data in proportion to "
                                "its speed", a + b),
                               ("twice the slower line", 2 * min(a, b))) if x == v]
        why[label] = (f"Not {label}: that would be {' or '.join(dict.fromkeys(what))}. The simulator measured "
                      f"{got} kbit/s: about half the packets take each line, whatever its speed, so the "
                      f"{min(a, b)} kbit/s line carries half the download and it can go no faster than "
                      f"twice that line.")
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
