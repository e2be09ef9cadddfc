"""The exercises of chapter 2, the route table and the route cache (book/02-route-cache.md)."""
from __future__ import annotations

from sim.runs import run
from sim.trace import Ev

from . import (addressed, addresses_text, arrival_before, arrivals, dealt_answer, exercise, numeric, predict)


@exercise("rc-hit", 2, "predict", "Does the route cache hit?")
def rc_hit(student, rng):
    # each variant of the pool is dealt hit or miss (variants.dealt): drawn freely, a course's pool
    # could have only one of them (the first packet of a direction misses, a later one hits)
    want = dealt_answer(student, "rc-hit", ("hit", "miss"))        # None: the book's own variant
    params = dict(seed=rng.randrange(1, 1000), uplinks=rng.choice([2, 3]), size=6000)
    params = addressed(student, rng, "connection-level", params)
    r = run("connection-level", **params)
    decisions = [i for i, e in enumerate(r.events) if e.node == "router" and e.ev in (Ev.RT_MISS, Ev.RT_HIT)]
    which = rng.choice(["first-up", "later-up", "first-down", "later-down"])
    up = [i for i in decisions if r.events[i].key[3] == "eth0"]
    down = [i for i in decisions if r.events[i].key[3] != "eth0"]
    pools = {"first-up": up[:1], "later-up": up[2:6], "first-down": down[:1], "later-down": down[2:6]}
    pool = pools[which]
    if want is not None:
        # the lookups of the kind drawn that give the outcome dealt, or else of the kinds after it
        kinds = list(pools)
        kinds = kinds[kinds.index(which):] + kinds[:kinds.index(which)]
        pool = next(p for p in ([i for i in pools[w] if (r.events[i].ev is Ev.RT_HIT) == (want == "hit")]
                                for w in kinds) if p)
    step = rng.choice(pool)
    ask = arrival_before(r, step, None)
    hit = r.events[step].ev is Ev.RT_HIT
    pkt = r.events[ask].pkt
    key = r.events[step].key
    said = f"{key[1]} > {key[0]} iif {key[3]}"
    made = next((i for i in range(step) if r.events[i].ev is Ev.RT_MISS and r.events[i].key == key), None)
    # the trace shown holds every entry the cache got (and lost) so far: the feedback names the
    # event that inserted the entry, and the hint says to look back for it -- a window of the
    # last events alone (event 63 on) left the student no way to
    cache_events = [i for i, e in enumerate(r.events[:ask])
                    if e.node == "router" and e.ev in (Ev.RT_MISS, Ev.RT_DEL)]
    # a reply's key holds the LAN host's address, not the one on the wire: the router's NAT
    # translates it back before the lookup (chapter 5), which chapter 2 has not taught
    back = (f" (the reply comes addressed to {pkt.ip.dst}; the router's NAT gives it back the LAN host's "
            f"address, {key[0]}, before it looks the route up)" if key[3] != "eth0" else "")
    if hit:
        why_not = {"miss": f"Not a miss: event {made} (`rt_miss`) inserted the entry for {said}, and nothing "
                           f"removed it since{back}."}
    else:
        held = sorted({f"{e.key[1]} > {e.key[0]} iif {e.key[3]}" for e in r.events[:step]
                       if e.ev is Ev.RT_MISS and e.node == "router"})
        why_not = {"hit": f"Not a hit: no earlier packet had this packet's key, {said}; the cache held "
                          + (", ".join(held) if held else "nothing yet") + " — ports are not in the key, "
                          "but the input interface is."}
    return predict(
        scenario="connection-level", params=params, r=r, ask=ask, step=step, why_not=why_not,
        keep=cache_events, hide=(Ev.RT_HIT,), choices=["hit", "miss"], answer="hit" if hit else "miss",
        prompt=(f"One download from Local host 1 to Remote host 1, {params['uplinks']} uplinks, no equalize. "
                f"Addresses: {addresses_text(r)}. At event {ask} this packet reaches the router: `{pkt.summary()}`. "
                f"Will the router's route cache **hit** or **miss** for it? (The trace below shows every "
                f"route cache change so far — each `rt_miss` that inserted an entry, each `rt_del` that "
                f"removed one — then the last events before the question, without the cache's hits.)"),
        hint=("The 2.4 route cache key is destination, source, TOS and input interface (and the firewall "
              "mark, none here), with no ports. "
              "Look back in the trace: was an entry with exactly this key already inserted by an "
              "earlier `rt_miss`? A reply coming in on an uplink has a different key from the request "
              "going out on eth0, and its destination in the key is the LAN host's address: the router's "
              "NAT translates the reply back before the lookup (chapter 5 shows how)."),
        explanation=(f"It is a {'hit' if hit else 'miss'}: the key is {key[1]} > {key[0]} iif {key[3]}, and "
                     + ("an earlier packet of the same direction already inserted that entry, so "
                        "`ip_route_input()` finds it in the cache." if hit else
                        "no earlier packet had that key, so `ip_route_input_slow()` looks the FIB up "
                        "and inserts a new entry.")))


@exercise("rc-count", 2, "numeric", "Count the cache hits of one download")
def rc_count(student, rng):
    params = dict(seed=rng.randrange(1, 1000), uplinks=rng.choice([2, 3, 4]),
                  size=rng.choice([3000, 6000, 10000, 15000, 20000]))
    params = addressed(student, rng, "connection-level", params)
    r = run("connection-level", **params)
    rc = r.summary["route_cache"]
    up = len(arrivals(r, "eth0"))                       # every packet the router routes, from the trace
    down = len(arrivals(r)) - up
    return numeric(
        scenario="connection-level", params=params, answer=rc["in_hit"],
        prompt=(f"One download of {params['size']} bytes from Local host 1 to Remote host 1 through the 2.4 "
                f"router, {params['uplinks']} uplinks, no equalize. Over the whole download {up} packets reach "
                f"the router from the LAN (on eth0) and {down} come back from Remote host 1 on an uplink; "
                f"the router routes every one of them. How many route cache **hits** (the kernel's `in_hit`) "
                f"does it count?"),
        hint=("Every packet the router routes is one cache lookup: a hit or a miss. A miss inserts an "
              "entry for the packet's key (destination, source, TOS, input interface; no ports); how many "
              "different keys do the packets of one download have?"),
        over=("Too many: not every lookup hits. A packet whose key no entry has yet misses (and inserts the "
              "entry): the first packet of each key does."),
        under=("Too few: a miss inserts an entry for its key, and every later packet with that key hits it. "
               "Ports are not in the key, so the packets of one direction share one key."),
        most=up + down, most_why=f"the router routes {up + down} packets, each one cache lookup",
        explanation=(f"The router routed {up} + {down} = {up + down} packets: {rc['in_slow_tot']} missed (one "
                     f"per new key: the first packet of each direction) and {rc['in_hit']} hit."))
