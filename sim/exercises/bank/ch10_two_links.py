"""The exercises of chapter 10, making two links work (book/10-two-links.md)."""
from __future__ import annotations

import math

import sim
from sim.trace import Ev
from sim.runs import map_runs, run
from sim.stats import wilson

from . import (addressed, addresses_text, _call, _config_instance, dev_addr, _download_ok,
                exercise, ExerciseError, _handshake, ifs, _lan_port, next_uplink, numeric, predict,
                uplink_why_not)


@exercise("two-links-config", 10, "config", "Use both uplinks without breaking")
def two_links_config(student, rng):
    # public addresses: behind NAT one download has one public address, and the server's data
    # comes back to it by that address's line whatever the router does (chapter 10) -- NAT is
    # offered, and pins the data to one line
    filt = rng.choice([False, True])
    n = rng.choice([2, 3])
    s0 = rng.randrange(1, 5000)
    seeds = [s0, s0 + 1, s0 + 2]
    fixed = addressed(student, rng, "connection-level", dict(uplinks=n, ingress_filter=filt, size=20000, remote="rfc"))
    options = dict(multipath=["random", "wrr", "hash-l4", "numgen"], equalize=[True, False],
                   nat=["none", "article", "netfilter", "snat", "masquerade"])
    return _config_instance(
        scenario="connection-level", fixed=fixed, options=options, seeds=seeds,
        criterion=_download_ok(need_both=True),
        prompt=(f"Your LAN has public addresses, {n} uplinks, an RFC 9293 remote; providers "
                f"{'filter' if filt else 'do not filter'} source addresses. Choose the multipath policy, equalize "
                f"and the NAT (`none`: the router translates nothing) so that **one** 20 kB download "
                f"completes with its handshake, the connection never reset and no packet lost on the way, and "
                f"every uplink brings down at least 10% of the download's data (its share of the bytes that "
                f"come down the uplinks) — for seeds {', '.join(map(str, seeds))}."),
        hint=("A choice made once per connection pins the download to one line. Per-packet balancing uses "
              "every line, but then every packet must carry a source address that the remote host and "
              "that line's provider accept — and the data comes down to the address the server sends "
              "it to: a NAT binding is one address, on one line."),
        explanation="The simulator ran every combination on the three seeds.")


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


@exercise("two-links-chance", 10, "numeric", "The chance a handshake survives")
def two_links_chance(student, rng):
    n = rng.choice([2, 3, 4, 5])
    s0 = rng.randrange(1, 10000)
    runs = 1000        # enough that 1/n, reasoned out, is within the tolerance of the estimate
    seeds = range(s0, s0 + runs)
    params = addressed(student, rng, "equalize-nat", dict(uplinks=n, size=1000))
    # not through the run cache (a thousand runs would push the others out), over the cores
    same = sum(map_runs(_same_uplink, [(params, s) for s in seeds]))
    pct = (200 * same + runs) // (2 * runs)          # a whole percentage, half up
    lo, hi = wilson(same, runs)
    z_half = 1.96 * (0.25 / runs) ** 0.5               # the widest 95 % half-width, at a chance of 1/2
    # how often an estimate lands at least this far from 1/n (normal approximation, both sides)
    rare = math.erfc(abs(same / runs - 1 / n) / math.sqrt((1 / n) * (1 - 1 / n) / runs) / math.sqrt(2))
    # the reasoned value is right too (a variant's thousand seeds may land several points from
    # it); 2 points either way, no more: 1/4 and 1/5 are 5 apart
    return numeric(
        scenario="equalize-nat", params=params, seeds=seeds, answer=pct, also=(200 + n) // (2 * n),
        tolerance=2, percent=True,
        prompt=(f"The article's router (random equalize, the article's NAT) with {n} uplinks: in what percentage "
                f"of downloads does the handshake's ACK leave by the same uplink as its SYN — so that it "
                f"carries the endpoint the server knows, and the server accepts it? Reason it out, or estimate "
                f"it with the simulator ({_call('equalize-nat', params, 'seed=s')} for many seeds s); answers "
                f"within 2 points of the reasoned percentage, or of the simulator's estimate over the {runs} "
                f"seeds {s0}..{s0 + runs - 1}, or between the two, are accepted."),
        hint="The ACK must leave by the SYN's uplink: each packet's uplink is an independent uniform choice.",
        over=(f"Too high: equalize deletes the cached entry on every hit, so the ACK's uplink is chosen again, "
              f"uniformly among all {n}, whatever the SYN's was."),
        under=("Too low: the SYN's uplink is already chosen when the ACK is routed; only the ACK's own choice "
               "has to land on it, not both choices on one given uplink."),
        explanation=(f"The simulator counted {same} of {runs} seeds {s0}..{s0 + runs - 1} ({pct}%, 95% interval "
                     f"{100 * lo:.0f}-{100 * hi:.0f}%); the reasoning gives 1/{n} = {100 / n:.0f}%. An estimate "
                     f"from {runs} runs lands within about {100 * z_half:.0f} points of the true chance 19 times "
                     f"in 20: " + (f"this one lands {abs(same / runs - 1 / n) * 100:.1f} points away, as about one "
                                  f"variant in {round(1 / rare):,} does by chance." if not lo <= 1 / n <= hi
                                  else "the two agree.")))


@exercise("numgen-next", 10, "predict", "numgen: the next uplink")
def numgen_next(student, rng):
    n = rng.choice([2, 3, 4])
    params = addressed(student, rng, "echo", dict(nat="snat", uplinks=n, messages=rng.choice([4, 6, 8]),
                                         seed=rng.randrange(1, 1000)))
    r = run("echo", **params)
    step, dev, ask, before = next_uplink(r, rng, 2)
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
        prompt=(f"Today's stand-in for equalize: nftables `meta mark set numgen inc mod {n}` on the LAN side "
                f"and one routing table per mark, SNAT, {n} uplinks. The last packets up left by {before}, in that order. At "
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


@exercise("down-fin", 10, "predict", "A line fails: which address does the next segment leave with?")
def down_fin(student, rng):
    nat = rng.choice(["masquerade", "netfilter", "snat"])
    down = rng.choice([1, 2])
    size = rng.choice([300_000, 400_000])
    down_at = rng.choice([0.4, 0.5, 0.6])
    for seed in (rng.randrange(1, 1000) for _ in range(40)):
        params = addressed(student, rng, "uplink-down", dict(nat=nat, down_uplink=down, seed=seed,
                                                             connections=2, size=size, down_at=down_at))
        r = run("uplink-down", **params)
        t_down = int(r.params.down_at * 1_000_000)
        dead, live = f"if{down}", f"if{3 - down}"
        # the download that was on the dead line, and its first segment out after the failure
        ports = {int(c["client"].split(", ")[1].rstrip(")")) for c in r.summary["connections"][:2]
                 if c["seen_by_server_as"] and c["seen_by_server_as"][0].startswith(f"({dev_addr(r, dead)},")}
        first = next(((i, d, p) for i, d, p in _uplink_hops_after(r, t_down) if _lan_port(r, i) in ports), None)
        if first:
            break
    else:                                   # pragma: no cover - every variant tried has one
        raise ExerciseError(f"no segment after the failure in the uplink-down variants of {student!r}")
    step, dev, pkt = first
    port = _lan_port(r, step)
    ask = _arrival_of(r, step, port)        # this segment, as it reached the router from the LAN
    fin = "F" in pkt.l4.flags
    what = (f"its client heard nothing more, gave up after {r.params.read_timeout:g} s and closed, "
            f"sending a FIN" if fin else "it still owed an ACK for data that came just before the failure")
    lan = r.net["local1"].addr
    choices = [dev_addr(r, dead), dev_addr(r, live), lan]
    ans = pkt.ip.src
    model = {"masquerade": "today's MASQUERADE", "netfilter": "2.4's MASQUERADE",
             "snat": "today's SNAT"}[nat]
    if nat == "snat":
        why = ("SNAT keeps its bindings when a device goes down, so the segment carries the dead line's "
               "address, out of the live line — and the answer goes back to the dead line")
    elif ans == lan:
        why = ("MASQUERADE forgot the connection with the device, and today's conntrack calls a FIN that "
               "finds no entry INVALID: an INVALID packet is not translated, so it leaves with the private "
               "source")
    else:
        why = ("MASQUERADE forgot the connection with the device; conntrack starts a new entry from this "
               "segment (2.4 from any ACK or FIN, today from a mid-stream ACK), and MASQUERADE binds it to "
               "the live line's address — which the server has never seen, so it resets the connection")
    why_not = {}
    for c in choices:
        if c == dev_addr(r, dead):
            why_not[c] = (f"Not {c}, the dead line's address: MASQUERADE forgot this connection's entry, and its "
                          f"binding with it, when {dead} went down.")
        elif c == dev_addr(r, live):
            why_not[c] = (f"Not {c}, the live line's address: " + (
                "SNAT keeps its bindings when a device goes down, so nothing binds the connection anew." if nat == "snat"
                else "today's conntrack starts no entry from a FIN that finds none (it is INVALID), so MASQUERADE "
                     "never binds it to the live line."))
        else:
            why_not[c] = (f"Not {c}, the private address: " + (
                "SNAT still has the connection's entry, so the segment is translated with its binding."
                if nat == "snat" else
                "conntrack starts a new entry from this segment, and MASQUERADE translates it to the address "
                "of the line it leaves by."))
    # the scenario starts as many downloads again one second after the failure (``_uplink_down``)
    n = {1: "one", 2: "two", 3: "three", 4: "four"}.get(r.params.connections, str(r.params.connections))
    return predict(
        scenario="uplink-down", params=params, r=r, ask=ask, step=step, choices=choices, answer=ans,
        why_not=why_not,
        prompt=(f"Conntrack marks spread {n} downloads over the uplinks, with {model} (`{nat}`). Addresses: "
                f"{addresses_text(r)}. At {r.params.down_at:g} s uplink {dead}'s line fails: its device goes "
                f"down; at {r.params.down_at + 1:g} s {n} more downloads start. The download that was on "
                f"{dead}: {what}. At event {ask} that segment reaches the "
                f"router; it will leave by {dev}. With which source address?"),
        hint=("What does the router still know about this connection once the device went down? Think of "
              "what MASQUERADE and SNAT do with their entries then, and what conntrack does with a segment "
              "that finds none."),
        explanation=f"{ans}: {why}.")
