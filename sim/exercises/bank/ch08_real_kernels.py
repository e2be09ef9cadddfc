"""The exercises of chapter 8, what real kernels did (book/08-real-kernels.md)."""
from __future__ import annotations

from sim.observe import uplink_hops
from sim.runs import run
from sim.trace import Ev

from ..variants import BOOK_STUDENT
from . import (addressed, arrival_of, addresses_text, article_ports, DEAL_TRIES, dealt_answer, dev_addr,
                endpoint_choices, endpoint_why_not, exercise, _handshake, ifs, predict, who_has)


@exercise("nf-endpoint", 8, "predict", "Which source does the ACK carry?")
def nf_endpoint(student, rng):
    # the title asks; it said "netfilter keeps the binding", the answer.  The router is 2.4's
    # (equalize over the route cache), so its NAT is 2.4's: half the variants had today's `snat` on
    # it, of another era.  The draw that chose it is still made, so that a variant's other draws
    # (uplinks, seed, policy) stay those it had
    rng.choice(["netfilter", "snat"])
    nat = "netfilter"
    n = rng.choice([2, 3])
    params = addressed(student, rng, "equalize-nat", dict(nat=nat, uplinks=n, seed=rng.randrange(1, 1000), size=4000,
                                                 multipath=rng.choice(["random", "wrr"])))
    # the seeds tried in the variant's own order until the ACK leaves by another uplink than the
    # SYN's: by the same one (3 variants in 8), the answer was the SYN's endpoint, which the
    # prompt names, whatever rule the student held
    for _ in range(DEAL_TRIES):
        r = run("equalize-nat", **params)
        (si, sdev, sp), (ai, adev, ap) = _handshake(r)
        if adev != sdev:
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"nf-endpoint {student}: no seed of {DEAL_TRIES} sends the ACK by another uplink")
    ask = arrival_of(r, ai)
    ans = f"{ap.ip.src}:{ap.sport}"
    client = r.events[ask].pkt.sport
    table = article_ports(r)
    cands = {f"{dev_addr(r, d)}:{p}" for d in ifs(n) for p in [client] + [table[e] for e in ifs(n)]}
    choices = endpoint_choices(rng, ans, cands)
    # why not: the rule (the binding is the SYN's, kept), not the endpoint it gives
    why_not = endpoint_why_not(
        r, choices, ans, f"{nat} made its binding for the connection's SYN and keeps it whichever uplink a later "
                         f"packet leaves by: the uplink this packet leaves by does not choose its address",
        lambda p: (f"{p} is a port of the article model's tables, and {nat} has no such tables: a later packet "
                   f"carries the port of the binding made for its connection's SYN" if p != client else
                   "the port is the binding's, made for the connection's SYN"))
    return predict(
        scenario="equalize-nat", params=params, r=r, ask=ask, step=ai, choices=choices, answer=ans,
        form="endpoint", why_not=why_not,
        prompt=(f"The same equalize router (Linux 2.4), but with 2.4's netfilter NAT (`{nat}`: MASQUERADE as "
                f"2.4.0–2.4.22 did it) in place of the article's model, {n} uplinks, multipath "
                f"`{params['multipath']}`. Addresses: {addresses_text(r)}. The SYN left by {sdev} as "
                f"{sp.ip.src}:{sp.sport}. At event {ask} the handshake's ACK from port {client} reaches the "
                f"router; it will leave by {adev} ({dev_addr(r, adev)}). What source (address:port) will it "
                f"carry?"),
        hint=("netfilter consults the nat table only for a connection's first packet; later packets use the "
              "binding stored in the conntrack entry, whichever uplink they leave by."),
        explanation=f"{ans}: the binding made for the SYN on {sdev} is kept, even though the ACK leaves by "
                    f"{adev} — the address of another line.")


def _what(pkt) -> str:
    """A TCP packet of the connection named without its addresses (the question is which
    source it will carry): its kind, sequence number and length."""
    f = pkt.l4.flags
    kind = ("a FIN" if "F" in f else f"a data segment ({pkt.load} bytes)" if pkt.load else
            "a reset" if "R" in f else "a pure ACK")
    return f"{kind}, seq {pkt.l4.seq}"


def _filter_verdict(r, hop: int, dev: str, pkt) -> tuple[str, int]:
    """("drop" or "forward", the event that decides it) for the packet that left the router by
    ``dev`` at event ``hop``: its provider's source filter drops it, or its peer passes it on."""
    k = dev[2:]
    drop = next((j for j in range(hop + 1, len(r.events)) if r.events[j].ev is Ev.DROP
                 and r.events[j].node == f"provider{k}" and r.events[j].pkt.l4 == pkt.l4), None)
    fwd = next((j for j in range(hop + 1, len(r.events)) if r.events[j].ev is Ev.HOP
                and r.events[j].node == f"peer{k}" and r.events[j].pkt.l4 == pkt.l4), None)
    return ("drop", drop) if drop is not None and (fwd is None or drop < fwd) else ("forward", fwd)


@exercise("nf-filter", 8, "predict", "Does the provider forward it?")
def nf_filter(student, rng):
    # each variant of the pool is dealt forward or drop (variants.dealt) and tries seeds, in its own
    # order, until its run has a packet that gets it: drawn freely, a course's pool could have one only
    want = dealt_answer(student, "nf-filter", ("forward", "drop"))     # None: the book's own variant
    n = rng.choice([2, 3])
    params = addressed(student, rng, "equalize-nat", dict(nat="netfilter", ingress_filter=True, uplinks=n,
                                                 seed=rng.randrange(1, 1000), size=6000))
    for _ in range(DEAL_TRIES):
        r = run("equalize-nat", **params)
        (si, sdev, sp), _ = _handshake(r)
        # a later packet of the connection (not a SYN: its source is its own uplink's, which the
        # trace shows), asked where it reaches the router from the LAN, before NAT gives it its
        # source: the reader applies the binding rule and the filter's, not a comparison of two
        # addresses the question shows.  The first such packet on each uplink: a later one repeats
        # a case the trace above the question already shows decided
        seen, ups = set(), []
        for i, d, p in uplink_hops(r):
            if p.proto == 6 and "S" not in p.l4.flags and i > si and d not in seen:
                seen.add(d)
                ups.append((i, d, p))
        mismatched = [(i, d, p) for i, d, p in ups if p.ip.src != dev_addr(r, d)]
        matched = [(i, d, p) for i, d, p in ups if p.ip.src == dev_addr(r, d)]
        pool = mismatched if (mismatched and (rng.random() < 0.5 or not matched)) else matched
        if student == BOOK_STUDENT and mismatched:
            # the book's own example asks the case the chapter is about, a packet leaving by another
            # line than its binding's (the draws above are made all the same: a student's variant
            # keeps its random choice)
            pool = mismatched
        if want is not None:        # another source than its line's is what the filter drops
            pool = mismatched if want == "drop" else matched
        if pool:
            hop, dev, pkt = rng.choice(pool)
            ans, step = _filter_verdict(r, hop, dev, pkt)
            if want is None or ans == want:
                break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"nf-filter {student}: no seed of {DEAL_TRIES} gives {want!r}")
    ask = arrival_of(r, hop)
    k = dev[2:]
    # why not: the filter's rule and the binding's, not the address that decides it; the hint
    # says where to look
    why_not = ({"forward": f"Not forward: Provider {k}'s filter passes only packets whose source is the address "
                           f"it gave this line; netfilter keeps the binding made for a connection's first packet, "
                           f"whichever line a later packet takes."}
               if ans == "drop" else
               {"drop": f"Not drop: Provider {k}'s filter drops only packets whose source is not the address it "
                        f"gave this line; netfilter's binding is the address of the line the connection's first "
                        f"packet took."})
    return predict(
        scenario="equalize-nat", params=params, r=r, ask=ask, step=step, choices=["forward", "drop"],
        answer=ans, reveal_to=step, why_not=why_not,
        prompt=(f"netfilter NAT, equalize over {n} uplinks, and providers that filter source addresses "
                f"(BCP 38). Addresses: {addresses_text(r, lan=False)}. The connection's SYN left by {sdev}. "
                f"At event {ask} a later packet of the same connection, {_what(pkt)}, reaches the router from "
                f"the LAN; it will leave by {dev}, to Provider {k}. Does Provider {k} forward it or drop it?"),
        hint=(f"First work out the source this packet will carry once NAT has translated it: which binding "
              f"does netfilter give a connection's later packets? Then Provider {k} accepts from its customer "
              f"only packets whose source is the address it gave uplink {dev}."),
        explanation=(f"It is **{'dropped' if ans == 'drop' else 'forwarded'}**: netfilter keeps the binding made "
                     f"for the SYN on {sdev}, so the packet leaves with the source {pkt.ip.src}, which "
                     + ("is" if ans == "forward" else "is not") + f" Provider {k}'s customer address "
                     f"{dev_addr(r, dev)}."))
