"""The exercises of chapter 4, equalize (book/04-equalize.md)."""
from __future__ import annotations

from sim.runs import run
from ..variants import two_speeds

from sim.reasons import EqualizeDeleted, RoundRobin
from sim.trace import Ev

from . import (addressed, arrival_of, choose, DEAL_TRIES, dealt_answer, exercise, ExerciseError, ifs,
               nearest_choice, predict, speed_choices, uplink_hops, uplink_why_not)


#: The uplinks eq-next's pool variants are dealt (``variants.dealt``), two variants each, and for
#: each the numbers of uplinks whose runs can give it.  The credits alone decide a choice -- the
#: only kind the question asks about -- when one credit is left (the round's last: always the
#: route's last nexthop, which with a credit of 1 is never reached while another has one) or two
#: (``w`` is 0 or 1, so the first of the two in the route's order).  The patch's counter starts a
#: round of n choices at a multiple of n, so a round's first pick is if1 (w = 0): if1 is a
#: two-left answer only with 2 uplinks, where the round's first choice has two credits left.
#: Drawn from the run alone, every variant was the round's last, ifn: a student who always
#: answered the last uplink was right on all of them, one who ruled out if1 lost nothing.
DEALT_UPLINKS = {"if1": (2,), "if2": (2, 3, 4), "if3": (3, 4), "if4": (4,)}


def _round_robin_choices(r) -> list[tuple[int, str, tuple]]:
    """(event, uplink, credits before the choice) of each of the router's round robin choices."""
    choices = []
    for i, e in enumerate(r.events):
        if e.node == "router" and e.ev is Ev.RT_MISS and e.dev != "eth0":
            why = e.why.choice if isinstance(e.why, EqualizeDeleted) else e.why
            if isinstance(why, RoundRobin):
                choices.append((i, e.dev, why.credits))
    return choices


def _so_far(choices, k: int, n: int, left) -> list[str]:
    """The uplinks of the round robin's choices since the credits were last refilled, before choice ``k``."""
    full = next(j for j in range(k, -1, -1) if left(j) == n)
    return [choices[j][1] for j in range(full, k)]


def _in_order(devs: list[str]) -> bool:
    """Whether the uplinks ``devs`` are the route's first ones in its order (if1, if2 ...)."""
    return devs == [f"if{j}" for j in range(1, len(devs) + 1)]


def _decided_by_credits(r, rng, want: str | None = None):
    """A packet whose uplink the credits alone decide, among the first 14 choices of 2.4's credit
    round robin (from the third on: a round before it to show).  ``want`` None (the book's own
    variant): the last choice of a round (one nexthop has a credit left); else a choice with one
    or two credits left that picks ``want`` (None if the run has none).  Returns the event of
    its hop out of the router, its uplink, the event of its arrival (where the trace stops), the
    uplinks chosen since the credits were last refilled, in order, the credits before its choice,
    how many credits were left then (1 or 2) and the uplinks of the round before, in order.
    (With three or more credits left, which nexthop goes next depends on the counter's value,
    which the question does not give; that each is taken once a round does not.)"""
    choices = _round_robin_choices(r)

    def left(k):
        return sum(c for _, c in choices[k][2])
    if want is None:
        cands = [k for k in range(2, min(14, len(choices))) if left(k) == 1]
        if not cands:
            raise ExerciseError("eq-next: no round of the round robin ends in the run's first 14 choices")
    else:
        cands = [k for k in range(2, min(14, len(choices))) if left(k) <= 2 and choices[k][1] == want]
        if not cands:
            return None
        # a round whose order so far is not the route's, where the run has one: there "the next
        # uplink in order" is wrong (with 2 or 3 uplinks the counter keeps every round in order)
        n = len(choices[0][2])
        mixed = [k for k in cands if not _in_order(_so_far(choices, k, n, left))]
        cands = mixed or cands
    k = rng.choice(cands)
    i, dev, credits = choices[k]
    n = len(credits)
    full = next(j for j in range(k, -1, -1) if left(j) == n)
    pkt = r.events[i].pkt
    step = next(j for j, d, p in uplink_hops(r) if j > i and d == dev and p.ip.id == pkt.ip.id
                and p.ip.src == pkt.ip.src)
    so_far = _so_far(choices, k, n, left)
    before = [choices[j][1] for j in range(max(full - n, 0), full)]
    return (step, dev, arrival_of(r, step), so_far, ", ".join(f"{d}:{c}" for d, c in credits), left(k),
            before)


@exercise("eq-next", 4, "predict", "Equalize: where does the next packet go?")
def eq_next(student, rng):
    # each variant of the pool is dealt its uplink (variants.dealt), so that every uplink is some
    # variant's answer; the number of uplinks follows from it, and the seeds are tried in the
    # variant's own order until the run has a choice that the credits alone give it
    want = dealt_answer(student, "eq-next", tuple(DEALT_UPLINKS))      # None: the book's own variant
    n = rng.choice([2, 3, 4] if want is None else list(DEALT_UPLINKS[want]))
    params = addressed(student, rng, "equalize-public",
                       dict(multipath="wrr", uplinks=n, seed=rng.randrange(1, 1000), size=8000))
    for _ in range(DEAL_TRIES):
        r = run("equalize-public", **params)
        got = _decided_by_credits(r, rng, want)
        if got is not None:
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"eq-next {student}: no seed of {DEAL_TRIES} gives {want!r}")
    step, dev, ask, so_far, credits, left, last_round = got
    spent = set(so_far)
    # why not: the wrong uplink's own credit, not which one is left (that is the question)
    why_not = uplink_why_not(ifs(n), dev, lambda c: (
        f"equalize deleted the cached entry, so `fib_select_multipath()` chooses again, and it gives each "
        f"nexthop one credit a round (its weight): {c} spent its credit of this round on one of the packets "
        f"since the credits were refilled" if c in spent else
        f"{c} still has its credit in this round, but with two credits left `w`, the counter modulo the "
        f"credits left, is 0 or 1, and the walk takes the first nexthop in the route's order that has a "
        f"credit: one before {c} has one too"))
    history = (f"Since the nexthops' credits were last refilled, the router sent packets up by "
               f"{', '.join(so_far)}, in that order." if so_far else
               f"The router's last {n} choices, by {', '.join(last_round)} in that order, spent every credit "
               f"of a round: the next choice finds the credits refilled.")
    return predict(
        scenario="equalize-public", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev,
        why_not=why_not,
        prompt=(f"Equalize with {n} uplinks and 2.4's `fib_select_multipath()` (weights 1), the credit round "
                f"robin: each nexthop gets one turn a round (chapter 4, \"One download over both lines\"; the "
                f"chapter's box \"What real kernels do\" walks through the credits). {history} "
                f"At event {ask} the next one reaches the router. By which uplink will it leave? "
                f"(In the trace, the `credits` a `round robin` choice lists are the nexthops' credits "
                f"before that choice: the uplink it picks then has one fewer.)"),
        hint=("Equalize deletes the cached entry on every hit, so each packet takes the slow path; the "
              "kernel's choice is a credit round robin, not a coin: each nexthop has as many credits a "
              "round as its weight, a choice spends one, and the credits are refilled only when all are "
              "spent. With three or more nexthops the order within a round can change, but no nexthop is "
              "taken twice in one round. The pick walks the nexthops in the route's order, subtracting "
              "each one's credits from `w` (the counter modulo the credits left), and takes the first "
              "that brings `w` to 0 or less: with two credits left, `w` is 0 or 1."),
        explanation=(f"It leaves by {dev}: the entry was deleted (`rt_del ... equalize`) and "
                     f"`fib_select_multipath()` found the credits {credits} (as the trace line of its "
                     f"choice shows them, before the pick): " +
                     (f"{dev} was the only nexthop with one left in this round, and spent it." if left == 1 else
                      f"two nexthops had one left, so `w`, the counter modulo 2, was 0 or 1, and the first "
                      f"of them in the route's order, {dev}, brought it to 0 or less and spent its credit.")))


#: Where eq-speed's answer, about twice the slower line, falls among its choices (slowest first),
#: dealt round the pool (``variants.dealt``): below the faster line (lines more than twice apart,
#: ``two_speeds``) or above it (two close lines, ``CLOSE``).  Drawn from ``two_speeds`` alone,
#: it was the second choice of every variant: a student who always took the second was right.
PLACES = ("below", "above")
#: Close lines whose per-packet download the simulator measures nearest twice the slower line
#: for most seeds (faster pairs run into the simulated TCP's fixed window first); a variant
#: tries seeds, in its own order, until the measurement is nearest it.
CLOSE = ((1000, 1500), (1500, 2000))


@exercise("eq-speed", 4, "choice", "Equalize with public addresses: how fast?")
def eq_speed(student, rng):
    want = dealt_answer(student, "eq-speed", PLACES)       # None: the book's own variant
    speeds = two_speeds(rng)
    if want == "above":
        speeds = list(rng.choice(CLOSE))
        rng.shuffle(speeds)
    params = addressed(student, rng, "equalize-public", dict(seed=rng.randrange(1, 1000), down_kbit=speeds, size=300_000))
    a, b = speeds
    choices = speed_choices(a, b)
    for _ in range(DEAL_TRIES):
        r = run("equalize-public", **params, trace=False)     # read only through its summary: the same
        got = r.summary["throughput_kbit"]
        ans = nearest_choice(got, choices)
        if want is None or choices[ans] == 2 * min(a, b):
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"eq-speed {student}: no seed of {DEAL_TRIES} measures about {2 * min(a, b)} kbit/s")
    why = {}
    for label, v in choices.items():
        # why not: what the wrong speed would need, and what a random choice per packet does
        # instead -- not the measured speed (it names the answer)
        what = [w for w, x in (("one line alone, and the download comes down by both lines", a),
                               ("one line alone, and the download comes down by both lines", b),
                               ("the sum of both lines, which needs each line to carry data in proportion to "
                                "its speed, and a random choice per packet does not look at speeds", a + b),
                               ("twice the slower line", 2 * min(a, b))) if x == v]
        why[label] = f"Not {label}: that would be {'; or '.join(dict.fromkeys(what))}."
    return choose(
        scenario="equalize-public", params=params, choices=choices, answer=ans, why_not=why,
        prompt=(f"Public LAN addresses, equalize, random choice per packet. Uplink if1 brings {a} kbit/s down, "
                f"if2 {b} kbit/s; the Internet side spreads the download packet by packet too. One 300 kB "
                f"download: which throughput will it get? (The choices are round figures: pick the nearest "
                f"to what it gets, its handshake included.)"),
        hint=("Half of the packets take each line, whatever its speed: the slower line carries half the "
              "download, and the download can't run ahead of it."),
        explanation=(f"The simulator measured {got} kbit/s: {ans}. With a per-packet split half the data "
                     f"waits for the {min(a, b)} kbit/s line, so two unequal lines give about twice the "
                     f"slower one, not the sum. Splitting the download in proportion to the lines' speeds "
                     f"would be up to whoever sends it towards the LAN (here the Internet side): this "
                     f"router's nexthop weights split only what it sends up the lines."))
