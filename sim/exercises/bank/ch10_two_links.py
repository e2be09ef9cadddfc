"""The exercises of chapter 10, making two links work (book/10-two-links.md)."""
from __future__ import annotations

import math
import re

import sim
from sim.trace import Drop, Ev
from sim.runs import map_runs, run
from sim.stats import wilson

from . import (addressed, addresses_text, _call, _config_instance, data_shares, DEAL_TRIES, dealt_answer, dev_addr,
                _download_ok, exercise, ExerciseError, _handshake, ifs, _lan_port, next_uplink, numeric, predict,
                losses, UPLINKS, uplink_why_not, uplinks_with)


#: The three questions the pool's variants take in turn (``_kind``): one download over every line
#: with public addresses, several downloads over every line behind NAT, one connection's data
#: sent up every line behind NAT
KINDS = ("public-one", "private-many", "private-up")


def _kind(student: str) -> str:
    """Which question variant ``student`` (a pool member, ``pool3`` or ``pool3@course``, or
    ``book``) asks.  The pool's variants take them in turn, so every pool holds all three and a
    classmate's answer is right for another question only where the two share its answer; the
    book's own page asks the first, the one the chapter's chart shows."""
    m = re.match(r"pool(\d+)(?:@|$)", student)
    return KINDS[int(m.group(1)) % len(KINDS)] if m else KINDS[0]


def _downloads_ok(need_every: bool):
    """A run's verdict for several downloads at once: each completed with its handshake, none
    reset, nothing lost on the way; ``need_every``: and every uplink brought down at least 10%
    of their data.  One download: ``_download_ok``'s verdict."""
    one = _download_ok(need_both=need_every)

    def crit(r) -> tuple[bool, str]:
        cs = r.summary["connections"]
        if len(cs) == 1:
            return one(r)
        n, drops, share = len(cs), r.summary["drops"], data_shares(r)
        got = sum(c["bytes"] for c in cs)
        down = ("share of the bytes down " + ", ".join(f"{d} {s:.0%}" for d, s in share.items()) if got else
                "no data received, so no share of it: packets down the uplinks "
                + ", ".join(f"{d} {u['down_packets']}" for d, u in r.summary["uplinks"].items()))
        parts = [f"{n} downloads", f"handshakes completed by their own ACK {sum(c['handshake_ok'] for c in cs)}/{n}",
                 f"{got}/{sum(c['bytes_wanted'] for c in cs)} bytes received",
                 f"complete {sum(bool(c['complete']) for c in cs)}/{n}", f"reset {sum(bool(c['reset']) for c in cs)}",
                 "drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"), down]
        fails = []
        for bad, what in ((lambda c: not c["handshake_ok"], "{} had a handshake not completed by its own ACK"),
                          (lambda c: not c["complete"], "{} did not complete"),
                          (lambda c: c["reset"], "{} ended in a reset")):
            ks = [k for k, c in enumerate(cs, 1) if bad(c)]
            if ks:
                fails.append(what.format(_listed(ks)))
        lost = losses(drops)
        if lost:
            fails.append("packets were lost on the way (" + ", ".join(f"{k} {v}" for k, v in lost.items()) + ")")
        if need_every and got:
            fails += [f"{d} brought down under 10% of the data" for d, s in share.items() if s < 0.10]
        ok = not fails
        return ok, "; ".join(parts) + ("" if ok else ". Fails: " + "; ".join(fails))
    return crit


def _listed(ks: list[int]) -> str:
    """``[2]`` -> "download 2", ``[1, 3]`` -> "downloads 1 and 3"."""
    return (f"download {ks[0]}" if len(ks) == 1 else
            "downloads " + ", ".join(map(str, ks[:-1])) + f" and {ks[-1]}")


def _up_shares(r) -> dict[str, float]:
    """Each uplink's share of the bytes the router sent up the uplinks."""
    ups = r.summary["uplinks"]
    tot = sum(u["up_bytes"] for u in ups.values()) or 1
    return {d: u["up_bytes"] / tot for d, u in ups.items()}


def _echo_up_ok(r) -> tuple[bool, str]:
    """A run's verdict for the echo sent up every line: every message echoed, the connection
    never reset, nothing lost on the way, and every uplink carried at least 10% of the bytes the
    router sent up."""
    e = r.summary["echo"][0]
    drops, share = r.summary["drops"], _up_shares(r)
    parts = [f"{e['echoed']}/{e['messages']} messages echoed", "reset" if e["reset"] else
             ("complete" if e["complete"] else "not complete"),
             "seen by the server as " + (", ".join(e["seen_by_server_as"]) or "nothing"),
             "drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"),
             "share of the bytes up " + ", ".join(f"{d} {s:.0%}" for d, s in share.items())]
    fails = []
    if not e["complete"]:
        fails.append(f"{e['messages'] - e['echoed']} messages were not echoed")
    if e["reset"]:
        fails.append("the connection was reset")
    lost = losses(drops)
    if lost:
        fails.append("packets were lost on the way (" + ", ".join(f"{k} {v}" for k, v in lost.items()) + ")")
    fails += [f"{d} carried under 10% of the bytes up" for d, s in share.items() if s < 0.10]
    ok = not fails
    return ok, "; ".join(parts) + ("" if ok else ". Fails: " + "; ".join(fails))


@exercise("two-links-config", 10, "config", "Several lines: a policy and a NAT that work")
def two_links_config(student, rng):
    # Three questions, in turn over the pool (``_kind``), each with its own right answers, the
    # simulator's verdict on every combination:
    # - public-one: public LAN addresses, one download over every line.  Behind NAT one download
    #   has one public address, and the server's data comes back to it by that address's line
    #   whatever the router does (chapter 10) -- NAT is offered, and pins the data to one line;
    #   per-packet numgen without NAT is the answer.
    # - private-many: private LAN addresses (NAT it must be), several downloads at once over every
    #   line: a choice per connection spreads them, each on its NAT binding's line.  The providers
    #   filter sources, so per-packet numgen, whose packets go up lines whose address they do not
    #   carry, loses them (where they pass any source, numgen with SNAT works too: with a port hash
    #   that spreads the downloads, 5 of the 8 choices did).
    # - private-up: private LAN addresses, one connection (chapter 9's echo) whose bytes going up
    #   must use every line: only a per-packet choice spreads one connection, MASQUERADE kills the
    #   entry of a packet that changes lines (chapter 9), and SNAT's one address passes every
    #   line's provider only where they do not filter sources -- so they do not, here, and
    #   numgen with SNAT is the one answer.  (It replaces one download behind NAT that "need only
    #   work", which 6 or 7 of the 8 choices did, the untouched form's among them.)
    # At most half of the choices work in any variant (tests/test_exercises.py).
    # Today's kernel: no equalize patch and no route cache (chapter 9), so the 2.4 answer chapter
    # 8's table and chapter 10's chart show (equalize over the route cache, public LAN) is not on
    # offer: the reader applies what chapters 9 and 10 showed of today's policies to it.  The
    # draws are made in the same order for every question (the public-one variants are those
    # the exercise had when it asked only that one)
    kind = _kind(student)
    filt = rng.choice([False, True])
    n = rng.choice([2, 3])
    s0 = rng.randrange(1, 5000)
    seeds = [s0, s0 + 1, s0 + 2]
    if kind != "public-one":
        filt = kind == "private-many"
    base = dict(uplinks=n, ingress_filter=filt, size=20000, remote="rfc", equalize=False, tcp="linux")
    many = rng.choice([3, 4]) if kind == "private-many" else 1
    if kind == "private-up":
        scenario = "echo"
        fixed = addressed(student, rng, scenario, dict(uplinks=n, ingress_filter=filt, messages=10, msg_size=1000,
                                                       remote="rfc", tcp="linux"))
    else:
        scenario = "connection-level"
        fixed = addressed(student, rng, scenario, dict(base, connections=many) if many > 1 else base)
    providers = f"providers {'filter' if filt else 'do not filter'} source addresses"
    today = ("The router runs today's Linux: no route cache and no equalize patch, so 2.4's equalize is not on "
             "offer.")
    seeds_text = f"for seeds {', '.join(map(str, seeds))}"
    multipath = ["hash-l3", "hash-l4", "numgen", "connmark"]
    if kind == "public-one":
        options = dict(multipath=multipath, nat=["none", "snat", "masquerade"])
        # chapter 4's set-up, said: chapter 10's rule for two IPv6 prefixes (without NAT a packet
        # leaves by the provider its source belongs to) is not this network's.  And how the data comes
        # down, said as the simulator does it (sim/topology.py: its Internet balances per packet when
        # the router does, per flow otherwise): it said "the Internet spreads the data coming down as
        # chapter 4's did", and a hash-l4 run with no NAT then brought everything down one line
        prompt = (f"Your LAN has public addresses, {n} uplinks, an RFC 9293 remote; {providers}. As in chapter 4, "
                  f"the LAN has one prefix, which every provider routes and counts as its customer's (not one "
                  f"prefix per provider, as chapter 10's IPv6 has): without NAT a packet from the LAN may leave "
                  f"by any line. In this simulator the Internet sends the data coming down to that prefix the "
                  f"way your router sends it up: per packet when your router balances per packet, one line per "
                  f"connection otherwise (chapter 4's box \"What real kernels do\"). On the real Internet the way "
                  f"down is the providers' routing, not your router's choice. {today} Choose "
                  f"the multipath policy and the NAT so that **one** 20 kB "
                  f"download completes with its handshake, the connection never reset and no packet lost on the "
                  f"way, and every uplink brings down at least 10% of the download's data (its share of the bytes "
                  f"that come down the uplinks) — {seeds_text}.")
        hint = ("In this simulator the way down follows the way up: a choice made once per connection (a hash "
                "of its addresses or ports, a conntrack mark) keeps the connection on one line, and its data "
                "comes down that one line too. Per-packet balancing uses every line, but then every packet must carry "
                "a source address that the remote host and that line's provider accept — and the data comes "
                "down to the address the server sends it to: a NAT binding is one address, on one line.")
    else:
        options = dict(multipath=multipath, nat=["snat", "masquerade"])
        private = (f"Your LAN has private addresses, so the router must translate them (`snat` or `masquerade`; "
                   f"no router on the Internet carries an answer back to a private address); {n} uplinks, an RFC "
                   f"9293 remote; {providers}. {today}")
        if kind == "private-many":
            prompt = (f"{private} Local host 1 starts **{many}** 20 kB downloads from one server at once. Choose "
                      f"the multipath policy and the NAT so that every download completes with its handshake, "
                      f"none is reset and no packet is lost on the way, and every uplink brings down at least 10% "
                      f"of the downloads' data (its share of the bytes that come down the uplinks) — "
                      f"{seeds_text}.")
            hint = ("Behind NAT each download's data comes down the line of its binding's address, whatever way "
                    "its packets went up: the lines share the data only if the downloads get bindings on "
                    "different lines. A hash of the addresses alone gives one host's downloads from one server "
                    "one line; a hash of the ports spreads them only as the hash falls. Per-packet balancing sends "
                    "a connection's packets up lines whose address they do not carry.")
        else:
            prompt = (f"{private} Local host 1 sends **one** connection's data up: it sends 10 messages of "
                      f"1000 bytes, one after another, to an echo server, which sends each back. Choose the "
                      f"multipath policy and the NAT so that every message is echoed, the connection never reset "
                      f"and no packet lost on the way, and every uplink carries at least 10% of the bytes the "
                      f"router sends up (its share of the bytes that go up the uplinks) — {seeds_text}.")
            hint = ("A choice made once per connection keeps all its packets on one line. Per-packet balancing "
                    "sends them up every line: then each packet must carry a source the remote host and that "
                    "line's provider accept, and the NAT must keep translating it when it changes lines.")
    return _config_instance(
        scenario=scenario, fixed=fixed, options=options, seeds=seeds,
        criterion=_echo_up_ok if kind == "private-up" else _downloads_ok(need_every=True), prompt=prompt,
        hint=hint, explanation="The simulator ran every combination on the three seeds.")


def _ack_left(e) -> bool:
    """Is ``e`` the hop of a pure TCP ACK out of the router onto an uplink?  The first one is
    the handshake's ACK ``_handshake`` reads: nothing after it changes that answer."""
    if e.ev is not Ev.HOP or not e.node.startswith("uplink") or not e.from_.startswith("router:"):
        return False
    p = e.pkt
    return p.proto == 6 and p.l4.flags == "A" and p.load == 0


def _same_uplink(job: tuple[dict, int], stop=_ack_left) -> bool:
    """Did the handshake's ACK leave by its SYN's uplink in the ``equalize-nat`` run of
    ``job`` = (params, seed)?  The run stops once that ACK has left (``stop=None``: the
    whole run, the same answer -- tests/test_book_speed.py compares them)."""
    params, seed = job
    (_, syn_dev, _), (_, ack_dev, _) = _handshake(sim.run("equalize-nat", **params, seed=seed, stop=stop))
    return syn_dev == ack_dev


#: Unequal nexthop weights (``ip route ... nexthop ... weight W``), as for lines of unequal speed:
#: chapters 6 and 8 ask the chance with equal weights, where it is 1/n
CHANCE_WEIGHTS = [(1, 2), (1, 3), (2, 3), (1, 4), (1, 1, 2), (1, 2, 2), (1, 2, 3)]


@exercise("two-links-chance", 10, "numeric", "Unequal lines: the chance a handshake survives")
def two_links_chance(student, rng):
    weights = list(rng.choice(CHANCE_WEIGHTS))
    n = len(weights)
    s0 = rng.randrange(1, 10000)
    runs = 1000        # enough that the reasoned chance is within the tolerance of the estimate
    seeds = range(s0, s0 + runs)
    params = addressed(student, rng, "equalize-nat", dict(uplinks=n, size=1000, weights=weights))
    # not through the run cache (a thousand runs would push the others out), over the cores
    same = sum(map_runs(_same_uplink, [(params, s) for s in seeds]))
    pct = (200 * same + runs) // (2 * runs)          # a whole percentage, half up
    lo, hi = wilson(same, runs)
    # each packet's uplink is drawn in proportion to the weights, independently: both on one
    # uplink k with chance (w_k / W)^2, summed over k
    total = sum(weights)
    chance = sum(w * w for w in weights) / total ** 2
    sq, tot2 = sum(w * w for w in weights), total ** 2
    reasoned = (200 * sq + tot2) // (2 * tot2)       # the reasoned percentage, half up
    z_half = 1.96 * (0.25 / runs) ** 0.5               # the widest 95 % half-width, at a chance of 1/2
    # how often an estimate lands at least this far from the chance (normal approximation, both sides)
    rare = math.erfc(abs(same / runs - chance) / math.sqrt(chance * (1 - chance) / runs) / math.sqrt(2))
    shares = ", ".join(f"if{k} {w}" for k, w in enumerate(weights, 1))
    return numeric(
        scenario="equalize-nat", params=params, seeds=seeds, answer=pct, also=reasoned,
        tolerance=2, percent=True,
        prompt=(f"The article's router (random equalize, the article's NAT) with {n} uplinks whose nexthops have "
                f"unequal weights ({shares}: `ip route … nexthop … weight W`, as one sets them for lines of "
                f"unequal speed), each packet's uplink drawn in proportion to its weight. In what percentage of downloads does the handshake's ACK "
                f"leave by the same uplink as its SYN — so that it carries the endpoint the server knows, and "
                f"the server accepts it? Reason it out, or estimate it with the simulator "
                f"({_call('equalize-nat', params, 'seed=s')} for many seeds s); answers within 2 points of "
                f"the reasoned percentage, or of the simulator's estimate over the {runs} seeds "
                f"{s0}..{s0 + runs - 1} (each rounded to a whole percentage), or between the two, are accepted."),
        hint=("Each packet's uplink is an independent choice, in proportion to the weights: the ACK must land "
              "on whichever uplink the SYN took. Add up, over the uplinks, the chance that both take it."),
        over=(f"Too high: equalize deletes the cached entry on every hit, so the ACK's uplink is drawn again, "
              f"among all {n} in proportion to their weights, whatever the SYN's was; the heavier uplink "
              f"makes a match likelier, but not certain."),
        under=lambda v: (
            f"Too low: with equal weights the chance would be 1/{n}; the SYN takes the heavier "
            f"uplinks more often, where the ACK is likelier to follow it, so unequal weights make a match "
            f"likelier, not less likely." if v < 100 / n else
            f"Still too low: above 1/{n}, as it must be, but each uplink counts with its share squared — the "
            f"chance that the SYN takes it times the chance that the ACK takes it too; the heavier uplinks "
            f"weigh in more than that."),
        explanation=(f"The simulator counted {same} of {runs} seeds {s0}..{s0 + runs - 1} ({pct}%, 95% interval "
                     f"{100 * lo:.1f}-{100 * hi:.1f}%); the reasoning gives the sum over the uplinks of "
                     f"(weight / {total})², {sq}/{tot2} = {100 * chance:.1f}%. An estimate from {runs} runs "
                     f"lands within about {100 * z_half:.0f} points of the true chance 19 times in 20: "
                     + (f"this one lands {abs(same / runs - chance) * 100:.1f} points away, as "
                        + (f"about one variant in {round(1 / rare):,}" if rare > 1e-300 else
                           "fewer than one variant in 10^300")      # erfc underflows to 0
                        + " does by chance." if not lo <= chance <= hi
                        else "the two agree.")))


@exercise("numgen-next", 10, "predict", "numgen: the next uplink")
def numgen_next(student, rng):
    # each variant of the pool is dealt its uplink (variants.dealt), its number of uplinks drawn from
    # those that have it and its seed tried in its own order until a packet asked about takes it:
    # drawn from the runs alone, if2 was rare (the packets asked about fall on the counter unevenly)
    want = dealt_answer(student, "numgen-next", UPLINKS)     # None: the book's own variant
    n = rng.choice(uplinks_with(want))
    params = addressed(student, rng, "echo", dict(nat="snat", uplinks=n, messages=rng.choice([4, 6, 8]),
                                         seed=rng.randrange(1, 1000)))
    for _ in range(DEAL_TRIES):
        r = run("echo", **params)
        got = next_uplink(r, rng, 2, want)
        if got is not None:
            break
        params["seed"] = rng.randrange(1, 1000)
    else:
        raise AssertionError(f"numgen-next {student}: no seed of {DEAL_TRIES} gives {want!r}")
    step, dev, ask, before = got
    # why not: where the wrong uplink's turn is, not which uplink's turn it is
    last = before.split(", ")

    def why(c: str) -> str:
        rule = ("`numgen inc` gives every packet from the LAN the next mark, modulo the number of uplinks, and "
                "each mark has its routing table: a line's turn comes again only after every other line's")
        if c not in last:
            return rule
        ago = len(last) - max(k for k, d in enumerate(last) if d == c)
        return rule + (f", and {c} took the last packet up" if ago == 1 else
                       f", and {c} took the packet {ago} before this one")
    why_not = uplink_why_not(ifs(n), dev, why)
    return predict(
        scenario="echo", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev, why_not=why_not,
        prompt=(f"Today's stand-in for equalize: nftables `meta mark set numgen inc mod {n} offset 1` on the LAN side "
                f"(marks 1..{n}) and one routing table per mark, SNAT, {n} uplinks. The last packets up left by {before}, in that order. At "
                f"event {ask} the next packet from the LAN reaches the router. By which uplink will it leave?"),
        hint="`numgen inc` is a counter: every packet from the LAN gets the next mark, modulo the number of uplinks.",
        explanation=f"{dev}: the counter moved on by one, so the mark — and the routing table — is the next one.")


def _uplink_hops_after(r, t: int):
    """``uplink_hops(r)`` from the first event after time ``t`` on, in order: read from the
    uplinks' events alone (the trace's node column finds them), not from the whole trace."""
    events = r.events
    at = sorted(i for name in r.net.links if name.startswith("uplink") for i in events.at_node(name))
    for i in at:
        e = events[i]
        if e.ev is Ev.HOP and e.from_.startswith("router:") and e.t > t:
            yield i, e.from_.split(":")[1], e.pkt


def _arrival_of(r, step: int, port: int) -> int:
    """The last event before ``step`` that brought a packet from source port ``port`` to the
    router's LAN side: ``max(i for i, p in arrivals(r, "eth0") if i < step and p.sport == port)``,
    looked for backwards from ``step``."""
    events = r.events
    for i in range(step - 1, -1, -1):
        e = events[i]
        if e.ev is Ev.HOP and e.to == "router:eth0" and e.pkt.sport == port:
            return i
    raise ValueError(f"no packet from port {port} reached the router before event {step}")


#: What becomes of the dead line's segment once it has left by the live line (``down-fin``)
FATES = ("dropped by the provider", "taken by the server", "reset by the server")


def _fate(r, step: int, pkt) -> tuple[str, int]:
    """(one of ``FATES``, the event that decides it) for the packet that left the router at
    ``step``: the live line's provider drops it (its source filter), or it reaches the remote,
    which answers it with a reset (a stranger's segment) or takes it (its connection's)."""
    events = r.events
    same = lambda e: e.pkt is not None and e.pkt.l4 == pkt.l4 and e.pkt.ip.src == pkt.ip.src
    for j in range(step + 1, len(events)):
        e = events[j]
        if e.ev is Ev.DROP and same(e):
            if e.reason is Drop.INGRESS_FILTER:
                return FATES[0], j
            raise ExerciseError(f"the segment at event {step} was dropped at {e.node} ({e.reason})")
        if e.ev is Ev.DELIVER and e.node == "remote1" and same(e):
            answer = next((k for k in range(j + 1, len(events)) if events[k].ev is Ev.SEND
                           and events[k].node == "remote1" and events[k].pkt.ip.dst == pkt.ip.src
                           and events[k].pkt.dport == pkt.sport), None)
            reset = answer is not None and "R" in events[answer].pkt.l4.flags
            return FATES[2 if reset else 1], j
    raise ExerciseError(f"the segment at event {step} neither reached the server nor was dropped")


#: The NAT models and source filters (``nat``, ``ingress_filter``) whose runs can give each fate of
#: ``down-fin``: a provider that filters drops the dead line's address (SNAT keeps it) or a private
#: one (today's MASQUERADE leaves a FIN that finds no entry untranslated); SNAT's binding without a
#: filter reaches the server as the connection's own; a MASQUERADE's new binding to the live line's
#: address is a stranger to the server.
SETUPS_OF = {FATES[0]: (("snat", True), ("masquerade", True)),
             FATES[1]: (("snat", False),),
             FATES[2]: (("masquerade", False), ("netfilter", False), ("netfilter", True), ("masquerade", True))}


@exercise("down-fin", 10, "predict", "A line fails: what becomes of the dead line's next segment?")
def down_fin(student, rng):
    # the chapter's table gives the source address each NAT model gives this segment, with
    # providers that do not filter; here the reader applies it: with or without a source filter
    # on the live line, what happens to the segment, at the provider or at the server.  Each variant
    # of the pool is dealt its fate (variants.dealt) and draws, in its own order, a NAT model and
    # providers that can give it, a line, a size and a moment of the failure (whether the segment is
    # a FIN or an ACK follows from them) and a seed, until its run gives it: drawn freely, a course's
    # pool could leave one of the three out
    want = dealt_answer(student, "down-fin", FATES)     # None: the book's own variant
    nat = rng.choice(["masquerade", "netfilter", "snat"])
    down = rng.choice([1, 2])
    size = rng.choice([300_000, 400_000])
    down_at = rng.choice([0.4, 0.5, 0.6])
    filt = rng.choice([False, True])

    def draws(drawn):
        if want is None:            # the book's own variant: the setup drawn, seeds until one has a segment
            for _ in range(40):
                yield (*drawn, rng.randrange(1, 1000))
            return
        for _ in range(DEAL_TRIES):
            yield (*rng.choice(SETUPS_OF[want]), rng.choice([1, 2]), rng.choice([300_000, 400_000]),
                   rng.choice([0.4, 0.5, 0.6]), rng.randrange(1, 1000))

    def fate(r, first):
        try:
            return _fate(r, first[0], first[2])[0]
        except ExerciseError:       # neither dropped by a filter nor delivered: no fate of the three
            return None
    for nat, filt, down, size, down_at, seed in draws((nat, filt, down, size, down_at)):
        params = addressed(student, rng, "uplink-down", dict(nat=nat, down_uplink=down, seed=seed,
                                                             connections=2, size=size, down_at=down_at,
                                                             ingress_filter=filt))
        r = run("uplink-down", **params)
        t_down = int(r.params.down_at * 1_000_000)
        dead, live = f"if{down}", f"if{3 - down}"
        # the download that was on the dead line, and its first segment out after the failure
        ports = {int(c["client"].split(", ")[1].rstrip(")")) for c in r.summary["connections"][:2]
                 if c["seen_by_server_as"] and c["seen_by_server_as"][0].startswith(f"({dev_addr(r, dead)},")}
        first = next(((i, d, p) for i, d, p in _uplink_hops_after(r, t_down) if _lan_port(r, i) in ports), None)
        if first and (want is None or fate(r, first) == want):
            break
    else:                                   # pragma: no cover - every variant tried has one
        raise ExerciseError(f"no segment after the failure in the uplink-down variants of {student!r}"
                            + (f" is {want}" if want else ""))
    step, dev, pkt = first
    port = _lan_port(r, step)
    ask = _arrival_of(r, step, port)        # this segment, as it reached the router from the LAN
    fin = "F" in pkt.l4.flags
    what = (f"its client heard nothing more, gave up after {r.params.read_timeout:g} s and closed, "
            f"sending a FIN" if fin else "it still owed an ACK for data that came just before the failure")
    lan = r.net["local1"].addr
    ans, end = _fate(r, step, pkt)
    src = pkt.ip.src
    k = dev[2:]
    model = {"masquerade": "today's MASQUERADE", "netfilter": "2.4's MASQUERADE",
             "snat": "today's SNAT"}[nat]
    # the source it leaves with, and why: the chapter's rule for this NAT model and this segment
    if nat == "snat":
        why_src = (f"SNAT keeps its bindings when a device goes down, so it leaves with the dead line's address "
                   f"{src}")
    elif src == lan:
        why_src = (f"MASQUERADE forgot the connection with the device, and today's conntrack calls a FIN that "
                   f"finds no entry INVALID, which is not translated: it leaves with the private source {src}")
    else:
        why_src = (f"MASQUERADE forgot the connection with the device; conntrack starts a new entry from this "
                   f"segment (2.4 from any ACK or FIN, today from a mid-stream ACK), and MASQUERADE binds it to "
                   f"the live line's address {src}")
    why_end = {FATES[0]: f"Provider {k} filters sources and {src} is not the address it gave {dev}",
               FATES[1]: (f"Provider {k} " + ("filters sources, but" if filt else "does not filter sources, and")
                          + f" the server knows {src} as this connection's endpoint: it takes the segment, and "
                          f"its answers go to {src}, by the dead line"),
               FATES[2]: (f"Provider {k} " + ("filters sources, but " + src + " is its own customer's address"
                                              if filt else "does not filter sources")
                          + f", and to the server {src} is a stranger: it answers with a reset"
                          + (", which no router on the Internet carries back to a private address"
                             if src == lan else ""))}
    why_not = {
        FATES[0]: (f"Not dropped by the provider: Provider {k} "
                   + ("filters sources, but passes its own customer's address, and that is what this segment "
                      "carries." if filt else "does not filter source addresses.")),
        FATES[1]: ("Not taken by the server: " + ("the segment never reaches it." if ans == FATES[0] else
                                                 "the server knows only the endpoint the connection's first "
                                                 "packet had, and this segment does not carry it.")),
        FATES[2]: ("Not reset by the server: " + ("the segment never reaches it." if ans == FATES[0] else
                                                 "it carries the endpoint the server knows for this connection.")),
    }
    # the scenario starts as many downloads again one second after the failure (``_uplink_down``)
    n = {1: "one", 2: "two", 3: "three", 4: "four"}.get(r.params.connections, str(r.params.connections))
    return predict(
        scenario="uplink-down", params=params, r=r, ask=ask, step=end, choices=list(FATES), answer=ans,
        why_not=why_not,
        prompt=(f"Conntrack marks spread {n} downloads over the uplinks, with {model} (`{nat}`); the providers "
                f"{'filter' if filt else 'do not filter'} source addresses (BCP 38). Addresses: "
                f"{addresses_text(r)}. At {r.params.down_at:g} s uplink {dead}'s line fails: its device goes "
                f"down; at {r.params.down_at + 1:g} s {n} more downloads start. The download that was on "
                f"{dead}: {what}. At event {ask} that segment reaches the "
                f"router; it will leave by {dev}, to Provider {k}. What becomes of it: dropped by the provider, "
                f"taken by the server (as its connection's), or reset by the server?"),
        hint=("First work out the source address it leaves with: what the router still knows about this "
              "connection once the device went down (MASQUERADE's and SNAT's entries), and what conntrack does "
              "with a segment that finds none. Then ask whether the provider passes that source, and whether "
              "the server knows it."),
        explanation=f"{ans[0].upper() + ans[1:]}: {why_src}; {why_end[ans]}.")
