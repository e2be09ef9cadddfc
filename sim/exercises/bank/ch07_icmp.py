"""The exercises of chapter 7, ICMP (book/07-icmp.md)."""
from __future__ import annotations

from sim.observe import uplink_hops
from sim.runs import run
from sim.scenarios import make_params
from sim.trace import Ev

from . import (addressed, addresses_text, arrivals, DEAL_TRIES, dealt_answer, dev_addr, exercise, numeric, predict)


#: The slow line of the ``slow`` variant, one-way, one of these: an echo it carries is still
#: unanswered when the next one leaves, a second later, as in chapter 7's last example -- but not
#: that example's delay (600 ms), whose outcome the chapter tells: the question would be answered
#: on the page before it is asked.
SLOW_MS = (700, 800, 900)


@exercise("icmp-answered", 7, "predict", "Will this echo be answered?")
def icmp_answered(student, rng):
    # each variant of the pool is dealt yes or no (variants.dealt) and draws its setup, seed and echo
    # again, in its own order, until the simulator gives it: drawn freely, a course's pool could
    # have "yes" on every variant (the article's and SNAT's echoes are answered)
    want = dealt_answer(student, "icmp-answered", ("yes", "no"))     # None: the book's own variant
    for _ in range(1 if want is None else DEAL_TRIES):
        n = rng.choice([2, 3])
        # no variant with the article's NAT model: chapter 7 says every echo is answered under it, so
        # the question would be answered on the page before it is asked.  In its place, 2.4's
        # netfilter NAT with a slow last line and providers that filter (the chapter's last example)
        variant = rng.choice(["slow", "netfilter", "masquerade", "snat"])
        if variant == "slow":
            fast = make_params("icmp-equalize-nat").delay_ms[0]
            slow = rng.choice(SLOW_MS)
            scenario, params = "icmp-equalize-nat", dict(nat="netfilter", uplinks=n, seed=rng.randrange(1, 1000),
                                                        pings=6, ingress_filter=True,
                                                        delay_ms=[fast] * (n - 1) + [slow])
            setup = (f"equalize with the 2.4 route cache, NAT model `netfilter`, if{n}'s line {slow:g} ms each way "
                     f"and the other{'s' if n > 2 else ''} {fast:g} ms")
        elif variant == "netfilter":
            scenario, params = "icmp-equalize-nat", dict(nat=variant, uplinks=n, seed=rng.randrange(1, 1000),
                                                        pings=6)
            setup = f"equalize with the 2.4 route cache, NAT model `{variant}`"
        else:
            scenario, params = "ping", dict(nat=variant, uplinks=n, seed=rng.randrange(1, 1000), pings=6)
            setup = f"today's per-packet balancing (nftables `numgen`), NAT `{variant}`"
        params = addressed(student, rng, scenario, params)
        r = run(scenario, **params)
        reqs = [(i, p) for i, p in arrivals(r, "eth0") if p.proto == 1]
        every = (r.events[reqs[1][0]].t - r.events[reqs[0][0]].t) / 1e6     # µs -> s, from the trace
        if want is None:
            k = rng.randrange(1, len(reqs))
            break
        answered = {e.pkt.l4.seq for e in r.events if e.ev is Ev.DELIVER and e.node == "local1"
                    and e.pkt.proto == 1 and e.pkt.l4.type == 0}
        ks = [j for j in range(1, len(reqs)) if (reqs[j][1].l4.seq in answered) == (want == "yes")]
        if ks:
            k = rng.choice(ks)
            break
    else:
        raise AssertionError(f"icmp-answered {student}: no draw of {DEAL_TRIES} gives {want!r}")
    ask, pkt = reqs[k]
    seq = pkt.l4.seq
    reply = next((j for j, e in enumerate(r.events) if e.ev is Ev.DELIVER and e.node == "local1"
                  and e.pkt.proto == 1 and e.pkt.l4.type == 0 and e.pkt.l4.seq == seq), None)
    drop = next((j for j, e in enumerate(r.events) if j > ask and e.ev is Ev.DROP and e.pkt.proto == 1
                 and e.pkt.l4.seq == seq), None)
    step = reply if reply is not None else (drop if drop is not None else ask)
    ans = "yes" if reply is not None else "no"
    # the earlier echoes as they left: uplink, source address, and whether answered by event `ask`
    answered = {e.pkt.l4.seq for e in r.events[:ask] if e.ev is Ev.DELIVER and e.node == "local1"
                and e.pkt.proto == 1 and e.pkt.l4.type == 0}
    prev = ", ".join(f"seq {p.l4.seq} by {d} as {p.ip.src} ("
                     + ("answered" if p.l4.seq in answered else "not answered") + ")"
                     for i, d, p in uplink_hops(r) if i < ask and p.proto == 1)
    out = next(((i, d, p) for i, d, p in uplink_hops(r) if i > ask and p.proto == 1 and p.l4.seq == seq), None)
    # 2.4's equalize chooses at random: which uplink this echo takes is given, not asked
    goes = (f" Equalize will send it by {out[1]}." if out and scenario == "icmp-equalize-nat" else "")
    filt = "filter" if r.params.ingress_filter else "do not filter"
    left = f"its request left by {out[1]} as {out[2].ip.src}" if out else "its request never left the router"
    owner = next((d for d in r.net.uplinks() if out and dev_addr(r, d) == out[2].ip.src), None)
    # SNAT kept the binding of another line: whether it is answered is the providers' filter's call
    other = "" if not owner or owner == out[1] else (
        f" It carries {owner}'s address (NAT kept the binding) out of {out[1]}, and {out[1]}'s provider "
        + ("drops it: the providers filter source addresses." if r.params.ingress_filter else
           "passes it: the providers do not filter source addresses."))
    # why not: where to look, not the whole reasoning.  It said it all ("nothing drops this echo or
    # its reply: its request left by if2 as <if2's address>, and the reply ... finds the router's
    # conntrack entry"): with two choices a wrong one already tells which is right, and the steps that
    # decide it are what is left to work out; the explanation, behind the right answer, gives them.
    # The providers' filter is said (the prompt says it too): where the echo leaves with another
    # line's address it decides
    steps = ("which conntrack entry this echo belongs to (is an earlier echo still unanswered when it "
             "arrives?), which source address it leaves with, and whether its provider passes that source "
             f"(the providers {filt} source addresses) and the router translates the reply back")
    if reply is not None:
        why_not = {"no": f"Not no: nothing on the way drops this echo or its reply. Check {steps}."}
    else:
        e = r.events[step]
        where = "by the router" if e.node == "router" else "on the way"
        why_not = {"yes": "Not yes: " + ("it" if e.pkt.l4.type == 8 else "its reply")
                          + f" is dropped {where}. Check {steps}."}
    return predict(
        scenario=scenario, params=params, r=r, ask=ask, step=step, choices=["yes", "no"], answer=ans,
        reveal_to=step, why_not=why_not,
        prompt=(f"Local host 1 pings Remote host 1: {params['pings']} echo requests, one every {every:g} s, "
                f"all with one ICMP id; {setup}, {n} uplinks, providers that {filt} source addresses; "
                f"{addresses_text(r, lan=False)}. "
                f"Earlier echo requests left "
                f"{prev or 'nothing yet'}, as things stood then. At event {ask} echo request seq {seq} reaches "
                f"the router.{goes} Will its reply reach Local host 1?"),
        hint=("An echo request and its reply are one 'connection' to conntrack. In 2.4 the entry died with "
              "the reply to the last echo in flight, so an echo sent when every earlier one had been answered "
              "was new and masqueraded to the uplink it left by; one sent while an earlier echo was still "
              "unanswered belonged to that echo's entry and kept its address. Today the entry "
              "outlives the reply: the next echo belongs to it, and MASQUERADE drops a packet of an existing "
              "entry that leaves by another device. SNAT keeps the binding: an echo that leaves by another "
              "line carries the first line's address, which only a provider that does not filter source "
              "addresses passes."),
        explanation=(f"{'Yes' if ans == 'yes' else 'No'}: "
                     + (f"echo seq {seq} was answered (event {reply})" if reply is not None else
                        f"it was dropped at event {step} ({r.events[step].reason.value})")
                     + f"; {left}.{other}"))


@exercise("icmp-count", 7, "numeric", "How many pings are answered today?")
def icmp_count(student, rng):
    n = rng.choice([2, 3])
    p = rng.randrange(6, 15)
    nat = rng.choice(["masquerade", "masquerade", "snat"])
    params = addressed(student, rng, "ping", dict(uplinks=n, pings=p, nat=nat, seed=rng.randrange(1, 1000)))
    r = run("ping", **params)
    got = r.summary["pings"][0]["received"]
    first = next(d for _, d, pk in uplink_hops(r) if pk.proto == 1)
    sent = [r.events[i].t for i, pk in arrivals(r, "eth0") if pk.proto == 1]
    every = (sent[1] - sent[0]) / 1e6                   # µs -> s, from the trace
    filt = "filter" if r.params.ingress_filter else "do not filter"
    # hints that fit the direction of the error: the mechanism a too high (too low) count forgets
    if nat == "masquerade":
        over = ("Too many: the ICMP conntrack entry outlives its reply, so the next echo belongs to it; when "
                "that echo leaves by another device than the entry's, MASQUERADE kills the entry and drops "
                "the echo.")
        under = ("Too few: when MASQUERADE drops an echo it kills the entry too, so the echo after it finds no "
                 "entry and starts a new one, bound to the uplink it leaves by.")
    elif r.params.ingress_filter:
        over = ("Too many: SNAT keeps the binding, so an echo that leaves by another line still carries the "
                "first line's address, and that line's provider filters source addresses.")
        under = ("Too few: SNAT drops nothing when an echo leaves by another line; an echo that leaves by the "
                 "binding's own line carries that line's address, which its provider passes.")
    else:
        over = (f"Too many: Local host 1 sends {p} echo requests, and each is answered at most once.")
        under = ("Too few: SNAT keeps the binding, so an echo that leaves by another line carries the first "
                 "line's address, and providers that do not filter source addresses pass it; the reply comes "
                 "back to that address, which the router translates.")
    return numeric(
        scenario="ping", params=params, answer=got,
        prompt=(f"Today's kernel: per-packet balancing with nftables `numgen inc` over {n} uplinks (the first "
                f"echo request leaves by {first}), NAT `{nat}`, providers that {filt} source addresses. "
                f"Local host 1 sends Remote host 1 {p} echo requests, one every {every:g} s, all with one "
                f"ICMP id. How many are answered? (This question draws on chapter 7's box \"What real kernels "
                f"do\", which a first reading may skip: if you skipped it, read it before answering. It says "
                f"what MASQUERADE and SNAT do with an echo that leaves by another uplink than its entry's.)"),
        hint=("numgen sends consecutive echoes by consecutive uplinks. The ICMP conntrack entry outlives its "
              "reply; MASQUERADE kills the entry and drops the packet when an existing entry's packet leaves "
              "by another device, SNAT keeps the binding."),
        over=over, under=under, upto=2 * p, most=p, most_why=f"Local host 1 sends {p} echo requests",
        explanation=f"{got} of {p}, as the simulator counted them: " + (
            "an echo that leaves by another device than its conntrack entry's is dropped by MASQUERADE, "
            "which kills the entry too, so the echo after it starts a new entry on its own uplink and is "
            "answered." if nat == "masquerade" else
            "SNAT keeps the first echo's binding, so an echo that leaves by another line carries the first "
            "line's address, which that line's provider drops; the echoes that leave by the binding's own "
            "line are answered." if r.params.ingress_filter else
            "SNAT keeps the first echo's binding and drops nothing, the providers pass every echo whatever "
            "line it takes, and every reply comes back to the binding's address, which the router "
            "translates."))
