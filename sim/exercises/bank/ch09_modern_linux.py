"""The exercises of chapter 9, modern Linux hash multipath (book/09-modern-linux.md)."""
from __future__ import annotations

from sim.observe import uplink_hops
from sim.reasons import HashChoice
from sim.runs import run
from sim.trace import Ev

from . import (addressed, arrival_of, _config_instance, DEAL_TRIES, dealt_answer, exercise, ifs, line, losses,
               numeric, predict, UPLINKS, uplink_why_not, uplinks_with)


@exercise("hash-uplink", 9, "predict", "Where does the hash send it?")
def hash_uplink(student, rng):
    # each variant of the pool is dealt its uplink (variants.dealt): drawn from the hash alone, the
    # book's pool never had if1 for an answer (if2 3, if3 3, if4 2).  Its number of uplinks is drawn
    # from those that have it, and the hash's seed is tried in the variant's own order until the
    # connection the question asks about hashes to it (a chance of 1/n at least)
    want = dealt_answer(student, "hash-uplink", UPLINKS)     # None: the book's own variant
    policy = rng.choice(["hash-l3", "hash-l4"])
    n = rng.choice(uplinks_with(want))
    c = rng.choice([3, 4])
    params = addressed(student, rng, "hash-l4-nat",
                       dict(multipath=policy, uplinks=n, connections=c, seed=rng.randrange(1, 1000), size=4000))
    for _ in range(DEAL_TRIES):
        r = run("hash-l4-nat", **params)
        ups = uplink_hops(r)
        first = {}
        for i, d, p in ups:
            first.setdefault(p.sport, (i, d))
        # the uplink of connection 1's SYN (hash-l3: every connection's), of some connection's (hash-l4)
        if want is None or (first[min(first)][1] == want if policy == "hash-l3" else
                            any(d == want for _, d in first.values())):
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"hash-uplink {student}: no seed of {DEAL_TRIES} gives {want!r}")
    if policy == "hash-l3":
        j = rng.randrange(1, c)
        step, dev, pkt = next((i, d, p) for i, d, p in ups if i > first[min(first)][0]
                              and p.sport == sorted(first)[j] and p.l4.flags == "S")
        known = f"connection 1's SYN left by {first[min(first)][1]}"
        what = f"the SYN of connection {j + 1}"
    else:
        port = rng.choice(sorted(p for p in first if want is None or first[p][1] == want))
        later = [(i, d, p) for i, d, p in ups if p.sport == port and i > first[port][0]]
        step, dev, pkt = rng.choice(later[:4])
        known = f"this connection's SYN left by {first[port][1]}"
        what = "a later packet of that connection"
    ask = arrival_of(r, step)
    # why not: what the hash covers, not where it sends this packet
    why_not = uplink_why_not(ifs(n), dev, lambda c: (
        f"{c} would need another hash than connection 1's SYN had, and the L3 hash covers only the source and "
        f"destination addresses, the same for every connection here" if policy == "hash-l3" else
        f"{c} would need another hash than this connection's SYN had, and the L4 hash covers the 5-tuple, "
        f"the same for every packet of a connection"))
    return predict(
        scenario="hash-l4-nat", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev,
        why_not=why_not,
        prompt=(f"Modern Linux: no route cache, multipath hash policy `{policy}` over {n} uplinks, {c} "
                f"connections from Local host 1 to Remote host 1. {known[0].upper() + known[1:]}. At event {ask} "
                f"{what} reaches the router. By which uplink will it leave?"),
        hint=("The hash covers (source, destination) for L3 and the 5-tuple for L4; same inputs, same "
              "hash, same nexthop."),
        explanation=(f"{dev}: " + ("every connection has the same source and destination address, so the "
                                   "L3 hash is the same for all of them." if policy == "hash-l3" else
                                   "the 5-tuple of a connection never changes, so neither does its hash.")))


@exercise("hash-count", 9, "numeric", "How many connections on if1?")
def hash_count(student, rng):
    n = rng.choice([2, 3])
    c = rng.choice([4, 6, 8])
    params = addressed(student, rng, "hash-l4-nat",
                       dict(multipath="hash-l4", uplinks=n, connections=c, seed=rng.randrange(1, 1000), size=3000))
    r = run("hash-l4-nat", **params)
    # the router's routing decision for each connection's SYN: its hash, shown; the nexthop it
    # chose and that nexthop's bound, not shown (the SYNs' uplinks, shown, were the answer to
    # count).  The reader places each hash in if1's share, the lowest n-th of the hash space
    # (chapter 9: fib_rebalance()), and knows that a connection's packets all hash like its SYN
    syns = [(i, e) for i, e in enumerate(r.events) if e.ev is Ev.FIB and isinstance(e.why, HashChoice)
            and e.pkt is not None and e.pkt.proto == 6 and e.pkt.l4.flags == "S"]
    per = {e.pkt.sport: e.dev for i, e in syns}
    assert len(per) == c, f"{len(per)} SYN routing decisions for {c} connections"
    on1 = sum(1 for d in per.values() if d == "if1")
    shown = [f"event {i}: router fib {e.pkt.ip.src}:{e.pkt.sport} > {e.pkt.ip.dst}:{e.pkt.dport} [S]: "
             f"hash-l4 of (5-tuple) = 0x{e.why.h:08x}" for i, e in syns]
    bound1 = next(e.why.bound for i, e in syns if e.dev == "if1") if on1 else None
    share = "half" if n == 2 else "third"
    return numeric(
        scenario="hash-l4-nat", params=params, answer=on1, context=shown,
        most=c, most_why=f"there are {c} connections",
        prompt=(f"Modern Linux: no route cache, multipath hash policy `hash-l4` over {n} uplinks of equal "
                f"weight, NAT; {c} connections from Local host 1 download from Remote host 1. The trace below "
                f"shows the router's routing decision for each connection's SYN: the hash of its 5-tuple "
                f"(which nexthop it chose is left out). Over the whole download, how many of the {c} "
                f"connections send their packets by if1?"),
        hint=(f"The kernel's hash is 31 bits, 0 to 0x7fffffff, and with {n} nexthops of equal weight each owns "
              f"a {share} of it, in order: if1 the lowest (chapter 9). And the L4 hash covers the 5-tuple "
              f"(addresses, ports, protocol): what changes in it between a connection's SYN and its later "
              f"packets?"),
        over=(f"Too many: only a hash in if1's share, the lowest {share} of the hash space, takes if1, and a "
              f"connection's packets all hash like its SYN (the 5-tuple does not change)."),
        under=(f"Too few: every hash in if1's share, the lowest {share} of the hash space, takes if1, and a "
               f"connection whose SYN took if1 sends all its packets by if1 (the 5-tuple does not change)."),
        explanation=f"{on1} of {c}: "
                    + (f"if1 owns the hashes up to 0x{bound1:08x}; " if bound1 is not None else "")
                    + ", ".join(f"port {k} on {d}" for k, d in sorted(per.items()))
                    + ": each connection stays on its SYN's uplink.")


@exercise("masq-repair", 9, "repair", "Repair today's router")
def masq_repair(student, rng):
    # providers that filter sources: with ones that don't, every change offered would work
    filt = True
    n = rng.choice([2, 3])
    s0 = rng.randrange(1, 5000)
    seeds = [s0, s0 + 1]
    fixed = dict(ingress_filter=filt, uplinks=n, messages=rng.choice([6, 8, 10]))
    fixed["remote"] = "rfc"
    fixed = addressed(student, rng, "echo", fixed)
    nat = rng.choice(["masquerade", "snat"])
    start = dict(multipath="numgen", nat=nat)
    # today's kernel: no route cache (random, wrr) and no 2.4 NAT models in the options
    options = dict(multipath=["numgen", "hash-l3", "hash-l4"], nat=["masquerade", "snat"])

    def crit(r):
        e = r.summary["echo"][0]
        drops = r.summary["drops"]
        lost = losses(drops)
        ok = e["complete"] and not e["reset"] and not lost
        run = (f"{e['echoed']} of {e['messages']} messages echoed, "
               + ("reset" if e["reset"] else ("complete" if e["complete"] else "not complete")))
        if ok:
            return ok, run + "; drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none")
        # a wrong repair leads with what failed: "8 of 8 messages echoed, complete; drops: ingress
        # filter 11" read as a success until its last words
        failed = []
        if e["reset"]:
            failed.append("the connection was reset")
        elif not e["complete"]:
            failed.append("the echo did not complete")
        if e["reset"] or not e["complete"]:     # (said first: not again in the rest)
            run = f"{e['echoed']} of {e['messages']} messages echoed"
        if lost:
            n = sum(lost.values())
            failed.append(f"{n} packet{'s' if n != 1 else ''} lost on the way, where none may be ("
                          + ", ".join(f"{k} {v}" for k, v in lost.items()) + ")")
        rest = {k: v for k, v in drops.items() if k not in lost}
        return ok, ("not repaired: " + "; ".join(failed) + ". The rest of the run: " + run
                    + ("; other drops: " + ", ".join(f"{k} {v}" for k, v in rest.items()) if rest else ""))
    return _config_instance(
        scenario="echo", fixed=fixed, options=options, seeds=seeds, start=start, criterion=crit,
        prompt=(f"Today's kernel as measured: nftables `numgen` per-packet balancing over {n} uplinks, "
                f"{'MASQUERADE' if nat == 'masquerade' else 'SNAT'}, an RFC 9293 remote; providers "
                f"{'filter' if filt else 'do not filter'} sources. "
                + ("The echo connection is reset. " if nat == "masquerade" else
                   "The echo crawls: segments are lost on the way. ")
                + f"Change **exactly one** setting so that all "
                f"{fixed['messages']} messages are echoed, the connection never reset and no packet lost on the way (seeds {seeds[0]} and "
                f"{seeds[1]})."),
        hint=("MASQUERADE kills a connection whose later packet leaves by another device; SNAT keeps the "
              "binding, so a packet that leaves by another uplink carries the first uplink's address, and a "
              "provider that filters sources drops it. What keeps each connection on one device?"),
        explanation="The simulator ran every single change on both seeds.")
