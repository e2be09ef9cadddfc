"""The exercises of chapter 6, equalize meets NAT (book/06-equalize-nat.md)."""
from __future__ import annotations

from sim.runs import run
from sim.trace import Drop, Ev

from . import (addressed, addresses_text, _config_instance, dealt_answer, _download_ok, exercise, _handshake,
                _how, _judge_runs, numeric, predict, python_note)
from ..model import normalise


def _remote_verdict(r, i_deliver: int) -> tuple[str, int]:
    pkt = r.events[i_deliver].pkt
    for j in range(i_deliver + 1, min(i_deliver + 6, len(r.events))):
        e = r.events[j]
        if e.node == "remote1" and e.ev is Ev.DROP and e.pkt == pkt:
            return ("ignore" if e.reason is Drop.IGNORED else "reset"), j
    return "accept", next((j for j in range(i_deliver + 1, len(r.events))
                           if r.events[j].node == "remote1"), i_deliver)


VERDICTS = ("accept", "ignore", "reset")
#: How many seeds a pool variant of eqnat-remote tries for the verdict it is dealt: each has a
#: chance of 1/3 at least (an ACK by the SYN's uplink, one of 2 or 3), so 200 never run out.
VERDICT_TRIES = 200


def _remote_run(params: dict):
    """(run, its handshake's SYN and ACK, the event the question asks about, the verdict, the
    deciding event) of eqnat-remote's ``params``."""
    r = run("equalize-nat", **params)
    (si, sdev, sp), (ai, adev, ap) = _handshake(r)
    ask = next(j for j in range(ai, len(r.events)) if r.events[j].ev is Ev.DELIVER
               and r.events[j].node == "remote1" and r.events[j].pkt.l4.flags == "A" and r.events[j].pkt.load == 0)
    return (r, (sdev, sp), (adev, ap), ask, *_remote_verdict(r, ask))


@exercise("eqnat-remote", 6, "predict", "Accept, ignore or reset?")
def eqnat_remote(student, rng):
    # each variant of the pool is dealt its verdict (variants.dealt), so that the pool has every
    # one: drawn from the run alone, the book's pool had accept 5 times, reset 3, ignore never (and
    # the article remote's variants were all accept).  The remote model follows from the verdict,
    # and the seeds are tried in the variant's own order until the run gives it.
    want = dealt_answer(student, "eqnat-remote", VERDICTS)     # None: the book's own variant
    remote = rng.choice(["article", "rfc"])
    remote = {"ignore": "article", "reset": "rfc"}.get(want, remote)
    n = rng.choice([2, 3])
    params = addressed(student, rng, "equalize-nat", dict(remote=remote, uplinks=n, seed=rng.randrange(1, 1000), size=4000))
    for _ in range(VERDICT_TRIES):
        r, (sdev, sp), (adev, ap), ask, verdict, step = _remote_run(params)
        if want is None or verdict == want:
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"eqnat-remote {student}: no seed of {VERDICT_TRIES} gives {want!r}")
    syn_ep, ack_ep = f"{sp.ip.src}:{sp.sport}", f"{ap.ip.src}:{ap.sport}"
    stranger = (f"the ACK comes from {ack_ep} but the SYN came from {syn_ep}: Remote host 1 has no connection "
                f"with the ACK's 4-tuple")
    # why not: the rule each wrong verdict needs and whether it holds, not the verdict
    why_not = {c: (f"Not {c}: only a segment that matches no connection is "
                   f"{'ignored, by the article remote' if c == 'ignore' else 'answered with a reset, by an RFC 9293 remote'}"
                   f" (this one is `{remote}`), and a segment matches a connection by its 4-tuple: compare the "
                   f"source endpoint the ACK left the router with (the trace above shows it) with the SYN's."
                   if verdict == "accept" else
                   f"Not accept: {stranger}." if c == "accept" else
                   f"Not {c}: {'only an RFC 9293 stack resets' if c == 'reset' else 'only the article remote ignores'} "
                   f"a segment of no connection, and this remote is `{remote}`.")
               for c in ("accept", "ignore", "reset") if c != verdict}
    return predict(
        scenario="equalize-nat", params=params, r=r, ask=ask, step=step, choices=["accept", "ignore", "reset"],
        answer=verdict, why_not=why_not,
        prompt=(f"Equalize behind NAT (article model), {n} uplinks, remote host model `{remote}`. "
                f"Addresses: {addresses_text(r)}. The SYN left "
                f"by {sdev} as {sp.ip.src}:{sp.sport}; the handshake's ACK left by {adev}. At event {ask} the "
                f"ACK reaches Remote host 1. What does it do: accept it, ignore it, or answer with a reset?"),
        # the ACK's source endpoint is not given (the question gave both, and comparing them answered
        # it): the reader works it out from the article's NAT and the uplink, or reads it in the trace
        hint=("First work out the source endpoint the article's NAT gave the ACK, leaving by its uplink "
              "(the trace above shows it leave). A TCP endpoint matches a segment to a connection by its "
              "4-tuple. If the ACK comes from another (address, port) than the SYN, it belongs to no "
              "connection: the article's remote ignores it, an RFC 9293 stack answers with a reset."),
        explanation=(f"It is **{verdict}**: "
                     + ("the ACK came from the same endpoint as the SYN, so it completes the handshake."
                        if verdict == "accept" else
                        f"{ap.ip.src}:{ap.sport} is not the endpoint that sent the SYN "
                        f"({sp.ip.src}:{sp.sport}), so it matches no connection and the `{remote}` "
                        f"remote {'ignores it (the article)' if verdict == 'ignore' else 'resets it (RFC 9293)'}.")))


@exercise("eqnat-survive", 6, "numeric", "How many handshakes does an ACK complete?", python=True)
def eqnat_survive(student, rng):
    n = rng.choice([2, 3, 4])
    s0 = rng.randrange(1, 5000)
    seeds = range(s0, s0 + 20)
    params = addressed(student, rng, "equalize-nat", dict(uplinks=n, size=2000))
    # read only through their summaries: no trace kept (trace=False: the same summary), on the
    # page as while grading
    outcome = [run("equalize-nat", **params, seed=s, trace=False).summary["connections"][0]["handshake"]
               for s in seeds]
    ok = outcome.count("completed by the handshake ACK")    # handshake_ok, in the summary's words
    late = sum(h.startswith("completed late") for h in outcome)
    how = _how("equalize-nat", params, seeds)
    # the scatter of len(seeds) tosses at the first ACK's chance 1/n (the hint's "about")
    sd = (len(seeds) * (1 / n) * (1 - 1 / n)) ** 0.5
    # the direction replies teach (what a count too high or too low forgot), but they let a count
    # of 0..20 be found by halving without a run: the page counts the checks and exports the count,
    # the grader's --max-attempts can hold a right answer to the first check or two, and the prompt
    # says so (the answer form, one number, cannot carry a proof that the runs were made)
    return numeric(
        scenario="equalize-nat", params=params, seeds=seeds, answer=ok,
        most=len(seeds), most_why=f"the question counts among {len(seeds)} runs",
        prompt=(python_note(how["call"]) + f" These are 20 runs of the article's router (random equalize, the "
                f"article's NAT, {n} uplinks), for the seeds {s0} .. {s0 + 19}. In how many of them is the "
                f"handshake completed by an ACK (for a run `r`: `r.summary['connections'][0]['handshake_ok']` "
                f"is True)? Every Check is counted, and the count goes into your export with the answer: "
                f"a course may count a right answer only if it came at the first check or two, so a count "
                f"homed in on from the Too few / Too many replies may not score. Run the seeds first."),
        hint=(f"Each run is a toss: the handshake's first ACK is accepted only when the random choice "
              f"sends it by the SYN's uplink (chance 1/{n}). When it goes astray, a copy of the client's "
              f"request that leaves by the SYN's uplink completes the handshake instead (not a pure ACK: "
              f"not counted), and only when those go astray too does the ACK answering the server's "
              f"retransmitted SYN+ACK get another chance. 1/{n} is the first ACK's chance, not the "
              f"answer's: the chapter's table (\"completed by an ACK\") gives the share of runs for "
              f"{n} uplinks over thousands of runs, and {len(seeds)} runs give about {len(seeds)} times "
              f"it. About: {len(seeds)} tosses at a chance near 1/{n} scatter with a standard deviation "
              f"of {sd:.1f}, so a count one or two standard deviations away from that is nothing unusual. "
              f"The question asks for these {len(seeds)} seeds exactly: run them."),
        over=("Too many: count only the runs whose handshake an ACK completed (`handshake_ok` True); a "
              "handshake completed late, by a data segment that carried the acknowledgment, is not one."),
        under=("Too few: besides the handshake's first ACK, the ACK that answers the server's retransmitted "
               "SYN+ACK can complete a handshake too; a run it completes counts."),
        explanation=(f"{ok} of 20 were completed by a pure ACK; {late} were completed late, by a data "
                     f"segment (the request carried the acknowledgment), and {20 - ok - late} not at all. "
                     f"Each run is a toss whose chance is 1/{n} for the first ACK, plus a little for the "
                     f"ACK that answers a retransmitted SYN+ACK when the request went astray too (the "
                     f"chapter's table gives the rates over thousands of runs): 20 runs give about "
                     f"20 times that on average, and 20 tosses scatter by several either way."))


#: Which single changes of the article's router repair a pool variant of eqnat-repair, dealt round
#: the pool (``variants.dealt``): only equalize off (the providers filter sources, so a NAT that
#: keeps one source address is dropped on the other line), only the netfilter NAT (the route cache
#: is flushed during the download: with equalize off the connection's next lookup draws its uplink
#: afresh, and the article's NAT changes its source address with it) or both.  Drawn freely,
#: equalize off worked in every variant: a student who always answered it was right.
REPAIRS = ("equalize", "nat", "both")
#: When a "nat" variant's cache is flushed (seconds): during its 4 kB download.
FLUSH_AT = (0.03, 0.04, 0.05)
#: How many first seeds a pool variant tries for its repairs: a flush moves the connection on
#: most seeds, and the other repairs hold on every one, so 200 never run out.
REPAIR_TRIES = 200
EQUALIZE_OFF = dict(multipath="random", equalize=False, nat="article")
NETFILTER = dict(multipath="random", equalize=True, nat="netfilter")


@exercise("eqnat-repair", 6, "repair", "Repair the article's router")
def eqnat_repair(student, rng):
    want = dealt_answer(student, "eqnat-repair", REPAIRS)     # None: the book's own variant
    remote = rng.choice(["article", "rfc"])
    filt = rng.choice([False, True])
    s0 = rng.randrange(1, 5000)
    seeds = [s0, s0 + 1, s0 + 2]
    fixed = addressed(student, rng, "equalize-nat", dict(remote=remote, ingress_filter=filt, size=4000))
    flush = None
    if want is not None:
        # the providers follow from the repairs dealt, and the first seed is tried in the variant's
        # own order until the two repairs do what was dealt (the simulator's verdicts, run here)
        fixed["ingress_filter"] = filt = want == "equalize"
        if want == "nat":
            flush = rng.choice(FLUSH_AT)
            fixed["flush_at"] = [flush]
        crit = _download_ok(need_both=False)
        for _ in range(REPAIR_TRIES):
            works = {k: _judge_runs("equalize-nat", fixed, seeds, crit)(normalise(c, "config"))[0]
                     for k, c in (("equalize", EQUALIZE_OFF), ("nat", NETFILTER))}
            if works == {"equalize": want != "nat", "nat": want != "equalize"}:
                break
            s0 = rng.randrange(1, 5000)
            seeds = [s0, s0 + 1, s0 + 2]
        else:
            raise AssertionError(f"eqnat-repair {student}: no first seed of {REPAIR_TRIES} gives {want!r}")
    start = dict(multipath="random", equalize=True, nat="article")
    # what chapters 1-6 have taught: 2.4's route cache policies, equalize, the two NAT models of chapter 5
    options = dict(multipath=["random", "wrr"], equalize=[True, False], nat=["article", "netfilter"])
    flushed = (f" The router's route cache is flushed {flush:g} s into the download (`echo 0 > "
               f"/proc/sys/net/ipv4/route/flush`, chapter 2)." if flush is not None else "")
    return _config_instance(
        scenario="equalize-nat", fixed=fixed, options=options, seeds=seeds, start=start,
        criterion=_download_ok(need_both=False),
        prompt=(f"The article's router: multipath random, equalize on, NAT in the article's model; remote host "
                f"`{remote}`, providers {'filter' if filt else 'do not filter'} source addresses.{flushed} Its "
                f"download fails or crawls. Change **exactly one** setting so that one 4 kB download completes "
                f"with its handshake, the connection never reset and no packet lost on the way, for seeds "
                f"{seeds[0]}, {seeds[1]} and {seeds[2]}."),
        # the hint's second step fits the variant's providers (it asked what a filtering provider does
        # where the question says they do not filter)
        hint=("Either stop the packets of one connection from changing uplinks, or make the NAT keep one "
              "source address whatever uplink they leave by — and then ask "
              + ("what these providers, which filter sources, do with that address on the other line." if filt else
                 "whether anything on the way refuses that address on the other line: these providers pass any "
                 "source.")
              + (" And ask what the flush does to a connection whose packets the route cache kept on one "
                 "uplink (chapter 3)." if flush is not None else "")),
        explanation="The simulator ran every single change on the three seeds.")
