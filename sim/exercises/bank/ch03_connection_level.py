"""The exercises of chapter 3, connection-level multipath (LARTC 4.2.2) (book/03-connection-level.md)."""
from __future__ import annotations

from sim.observe import uplink_hops
from sim.runs import run
from sim.trace import Ev
from ..variants import two_speeds

from . import (addressed, arrival_before, arrival_of, choose, DEAL_TRIES, dealt_answer, dev_addr, exercise,
                ExerciseError, ifs, line, nearest_choice, next_event, predict, speed_choices, UPLINKS, uplink_why_not,
                uplinks_with)


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
        choices=ifs(n), answer=dev, keep=(syn_lookup(r),), hide=(Ev.RT_HIT,),
        prompt=(f"Connection-level multipath with {n} uplinks, one download from Local host 1 to Remote host 1. "
                f"At event {ask} another packet of the same connection reaches the router: "
                f"`{r.events[ask].pkt.summary()}`. By which uplink will it leave? (The trace below starts "
                f"with the route lookup of the connection's SYN, the `rt_miss` that inserted its entry, then "
                f"shows the last events before the question, without the cache's hits.)"),
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


#: The packets cl-cache asks about: Local host 2's SYN, the first packet of a new source to a destination
#: the cache holds (a miss); another thread's SYN from Local host 1 to Remote host 2, a new connection of
#: a pair the cache holds; a later packet of Local host 2's connection, once its SYN has made its entry
#: (both hits).  The last is the book's own: the thought question's answer above is its SYN's.
CACHE_ASKS = {"miss": ("new-source",), "hit": ("new-thread", "later")}


def _entry(key, dev) -> str:
    """A route cache entry as the prompt and the feedback write it: its key and its ``dev``."""
    dst, src, _tos, iif = key
    return f"`{dst} from {src} iif {iif} dev {dev}`"


def _events(numbers) -> str:
    """``event 19`` or ``events 19 and 23`` (``events 19, 23 and 1001``), in order."""
    ns = sorted(numbers)
    return f"event {ns[0]}" if len(ns) == 1 else f"events {', '.join(map(str, ns[:-1]))} and {ns[-1]}"


@exercise("cl-cache", 3, "predict", "Hit and keep the uplink, or choose again?")
def cl_cache(student, rng):
    # each variant of the pool is dealt a miss (Local host 2's SYN: a new source) or a hit that keeps
    # if1 or if2 (a new thread of Local host 1's ISO, or Local host 2's next packet): drawn freely, a
    # course's pool could ask only one of them, and a student who learnt "miss" was right on all
    want = dealt_answer(student, "cl-cache", ("miss", "if1", "miss", "if2"))   # None: the book's own variant
    ask_of = "later" if want is None else rng.choice(CACHE_ASKS["miss" if want == "miss" else "hit"])
    params = addressed(student, rng, "thought-question", dict(seed=rng.randrange(1, 1000), size=10_000))
    for _ in range(DEAL_TRIES):
        r = run("thought-question", **params)
        local1, local2, remote2 = (r.net[h].addr for h in ("local1", "local2", "remote2"))
        # the router's route lookups for packets from the LAN, in order: (event, key, hit?)
        lookups = [(i, e.key, e.ev is Ev.RT_HIT) for i, e in enumerate(r.events)
                   if e.node == "router" and e.ev in (Ev.RT_MISS, Ev.RT_HIT) and e.key[3] == "eth0"]
        iso = [i for i, k, _ in lookups if k[:2] == (remote2, local1)]
        own = [i for i, k, _ in lookups if k[:2] == (remote2, local2)]
        if ask_of == "new-source":
            step = own[0]
        elif ask_of == "new-thread":     # the SYN of another of the ISO's threads (not the first's)
            step = rng.choice([i for i in iso[1:] if r.events[i].pkt.proto == 6
                               and r.events[i].pkt.l4.flags == "S"][:6])
        else:                            # one of the next packets of Local host 2's own connection
            step = rng.choice(own[1:4])
        hit = r.events[step].ev is Ev.RT_HIT
        if want is None or (not hit if want == "miss" else hit and r.events[step].dev == want):
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"cl-cache {student}: no seed of {DEAL_TRIES} gives {want!r}")
    if hit == (ask_of == "new-source"):     # an entry that expired, or one made before: not this question
        raise ExerciseError(f"cl-cache: the route cache {'hit' if hit else 'missed'} at event {step} in "
                            f"{student!r}'s variant")
    e = r.events[step]
    ask = arrival_before(r, step, "eth0")
    pkt = r.events[ask].pkt
    assert (pkt.ip.dst, pkt.ip.src) == e.key[:2], (ask, step)
    out = next(i for i, _, _ in uplink_hops(r) if i > step and arrival_of(r, i) == ask)
    n = len(r.net.uplinks())
    choices = [f"hit, keeps {d}" for d in ifs(n)] + ["miss, the kernel chooses again"]
    cache = r.state_at(ask).cache              # the entries just before this packet's lookup
    made = {k: max(i for i in range(ask) if r.events[i].ev is Ev.RT_MISS and r.events[i].node == "router"
                   and r.events[i].key == k) for k in cache}      # the rt_miss that inserted each
    listed = "".join(f"\n- {_entry(k, v['dev'])} (inserted at event {made[k]})" for k, v in cache.items())
    lan = {k: v["dev"] for k, v in cache.items() if k[3] == "eth0"}      # the entries a LAN packet could hit
    said = f"`{e.key[0]} from {e.key[1]} iif eth0`"
    # why not: the trace's events and the rule, never the uplink kept (the question) -- nor, for a
    # miss, where the new choice went (the reveal shows it)
    why = {}
    for d in ifs(n):
        label = f"hit, keeps {d}"
        if hit and d == e.dev:
            continue
        others = [k for k, dv in lan.items() if dv == d and k[:2] != e.key[:2]]
        what = ("; ".join(f"{d} is the uplink of the entry event {made[k]} inserted for "
                          f"`{k[0]} from {k[1]}`: "
                          + ("the same destination, another source" if k[0] == e.key[0] else
                             "the same source, another destination" if k[1] == e.key[1] else
                             "another destination and another source") for k in others)
                if others else f"no entry for a packet from the LAN holds {d} (the `rt_miss` at "
                               f"{_events(made[k] for k in lan)} inserted those there are)")
        if hit:
            why[label] = (f"Not a hit that keeps {d}: {what}. A hit keeps the uplink of the entry with the "
                          f"packet's own key, {said}: read the `dev` of the `rt_miss` at event {made[e.key]}, "
                          f"which inserted it.")
        else:
            why[label] = (f"Not a hit that keeps {d}: {what}. A lookup hits only an entry with the packet's "
                          f"whole key, both its destination and its source (and TOS and input interface): "
                          f"which entry has this packet's source, {e.key[1]}, and its destination, {e.key[0]}?")
    if hit:
        why["miss, the kernel chooses again"] = (
            f"Not a miss: the `rt_miss` at event {made[e.key]} inserted an entry with this packet's key, "
            f"{said}, and no `rt_del` removed it since; ports are not in the key.")
    iso_dev = lan.get((remote2, local1, 0, "eth0"))
    who = {local1: "Local host 1", local2: "Local host 2"}[e.key[1]]
    if hit:
        same_dst = [k for k, dv in lan.items() if k[0] == e.key[0] and k[1] != e.key[1] and dv != e.dev]
        # (the explanation names only events the reveal shows: the rt_miss that inserted the entry is
        # in the trace shown with the question, the feedback's pointer)
        explanation = (f"A hit that keeps {e.dev}: the entry {_entry(e.key, e.dev)} has this packet's key. It "
                       f"was inserted when "
                       + ("the SYN of the ISO's first thread missed; this thread is another connection between "
                          "the same two hosts, and ports are not in the key, so it shares the entry"
                          if ask_of == "new-thread" else
                          "Local host 2's SYN missed and the kernel chose; every later packet of the pair hits it")
                       + f". The lookup at event {step} finds it, and the packet leaves by {e.dev}."
                       + (f" Local host 1's entry for the same destination says {lan[same_dst[0]]}: another "
                          f"source, another key, another uplink." if same_dst else ""))
    else:
        explanation = (f"A miss: no entry has the key {said}. The cache's entry for Remote host 2 is Local "
                       f"host 1's ({_entry((remote2, local1, 0, 'eth0'), iso_dev)}), and the source is part of "
                       f"the key, so at event {step} the kernel chooses among the {n} nexthops again, as it "
                       f"did for the ISO's first packet: here it drew {e.dev}, "
                       + ("the ISO's uplink" if e.dev == iso_dev else "the uplink the ISO does not use")
                       + ". The choice may differ from the ISO's: it is made afresh, without looking at the "
                         "entries for the same destination (the article's random choice here; Linux 2.4's "
                         "round robin takes the next nexthop's turn), so another seed may draw the other.")
    return predict(
        scenario="thought-question", params=params, r=r, ask=ask, step=step, reveal_to=out, why_not=why,
        keep=tuple(made.values()), hide=(Ev.RT_HIT,), choices=choices,
        answer=f"hit, keeps {e.dev}" if hit else "miss, the kernel chooses again",
        prompt=(f"The article's thought question in the simulator: Local host 1 ({local1}) watches Realplay "
                f"from Remote host 1 ({r.net['remote1'].addr}) and downloads an ISO from Remote host 2 ({remote2}) "
                f"with flashget's {r.params.connections} threads; 0.2 s later Local host 2 ({local2}) connects to "
                f"Remote host 2. The router has {n} uplinks "
                f"({', '.join(f'{d} {dev_addr(r, d)}' for d in r.net.uplinks())}) and no equalize; on a route "
                f"cache miss the kernel chooses a nexthop at random. At event {ask} this packet from {who} "
                f"reaches the router: `{pkt.summary()}`. Just before it, the route cache "
                f"holds {len(cache)} entries, each written as `ip route show cache` writes it, the destination "
                f"first (`DESTINATION from SOURCE iif DEVICE dev UPLINK`; the packet above reads source > "
                f"destination):{listed}\n\nWill the lookup for this packet **hit** an entry, so that "
                f"it keeps that entry's uplink, or **miss**, so that the kernel chooses again? (The trace below "
                f"shows the `rt_miss` that inserted each entry, then the last events before the question, "
                f"without the cache's hits.)"),
        hint=("The 2.4 route cache key is destination, source, TOS and input interface (and the firewall "
              "mark, none here), with no ports. A lookup hits only an entry with the packet's whole key, "
              "and the packet keeps that entry's uplink; a packet whose key no entry has misses, and the "
              "kernel chooses among the nexthops again. Find the entry whose destination and source are both "
              "this packet's, if there is one."),
        explanation=explanation)
