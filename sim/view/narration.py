"""One sentence per step: what happened and why, for every reader (and screen readers).

Built from the step's event and, for a packet the router forwarded or
dropped, the router's decisions for it (route cache, FIB, conntrack, NAT),
read from the fields of the event and of its reason records (``sim.reasons``,
``sim.trace.Drop``), never from the trace's text.  Event kinds and reasons this
module does not know get a generic sentence made from the event's own fields
(a reason's own text), so new engine events never break it.
"""
from __future__ import annotations

from ..natmodels import REGISTRY
from ..packet import ICMP, TCP
from ..policies import CACHED_POLICIES
from ..policies import REGISTRY as POLICY_REGISTRY
from ..reasons import DeviceDown, EqualizeDeleted, Gone
from ..trace import Drop, Ev
from ._common import app_words, clock, ep, pkt_name, pkt_words, title
from .model import analysis_of, check_step, endpoint_node, info_of

WHY_DROP = {
    Drop.INGRESS_FILTER: "its provider accepts only its own customer's source address (BCP 38 "
                         "ingress filtering), and this source belongs to the other uplink",
    Drop.NO_ROUTE: "there is no route to its destination",
    Drop.RESET: "no connection matches it, so the host answers with a reset (RFC 9293)",
    Drop.RETRIES: "it was retransmitted too many times without an answer, so TCP gives up",
    Drop.QUEUE_FULL: "the outgoing link's queue is full",
    Drop.IGNORED: "no connection matches its source (address, port), so the remote host "
                  "ignores it, as the article says (a standard TCP would answer with a reset: "
                  "chapter 8)",
    Drop.TTL: "its TTL ran out",
    Drop.NO_SOCKET: "no socket listens for it",
    Drop.NAT_OIF_CHANGED: "the NAT binding was made on another uplink, so it cannot leave by this one",
    Drop.LINK_DOWN: "its line is down: nothing goes out on it, and what was on the wire is lost",
    Drop.DATA_AFTER_CLOSE: "its application has closed the socket and will never read this data, "
                           "so TCP resets the connection (RFC 1122 4.2.2.13)",
}
CT_DEL_WHY = {Gone.TIMEOUT: "it timed out", Gone.ICMP_REPLY: "the echo reply ends an ICMP 'connection'"}


def _ct_gone(reason) -> str:
    """Why a conntrack entry was destroyed, in words."""
    if type(reason) is DeviceDown:
        return f"MASQUERADE forgets the connections of {reason.dev}, whose line is down"
    return CT_DEL_WHY.get(reason, str(reason))


def _key_text(key) -> str:
    dst, src, tos, iif = key
    return f"{src}→{dst}" + (f" tos 0x{tos:02x}" if tos else "")


def _decisions(result, idx: list[int]) -> list[str]:
    """Clauses for the router's decisions, in order."""
    out = []
    ev = result.events
    equalized = False               # an equalize deletion came first: the miss re-selects
    for j in idx:
        e = ev[j]
        k, f = e.ev, info_of(e)
        if k is Ev.RT_DEL:
            reason = f.get("reason", "")
            if reason == Gone.EQUALIZE:
                equalized = True
                out.append(f"equalize deletes the cached entry for {_key_text(f['key'])} (it said {f['dev']})")
            else:
                out.append(f"the cached entry for {_key_text(f['key'])} is removed ({reason})")
        elif k is Ev.RT_MISS:
            why = f.get("why", "")
            why = why.choice if type(why) is EqualizeDeleted else why
            if equalized:
                out.append(f"the FIB lookup picks {f['dev']} ({why})")
            else:
                out.append(f"a route cache miss for {_key_text(f['key'])} sends it to the FIB, "
                           f"which picks {f['dev']} ({why})")
        elif k is Ev.RT_HIT:
            out.append(f"the route cache entry for {_key_text(f['key'])} sends it to {f['dev']}")
        elif k is Ev.FIB:
            out.append(f"the FIB picks {f['dev']} ({f.get('why', '')})")
        elif k is Ev.CT_NEW:
            out.append(f"a new conntrack entry {f['ct']} is bound to {f['dev']}")
        elif k is Ev.CT_DEL:
            out.append(f"conntrack entry {f['ct']} is destroyed ({_ct_gone(f.get('reason'))})")
        elif k is Ev.NAT:
            b, a = f["before"], e.pkt
            if f.get("dir") == "dnat":
                out.append(f"NAT (ct {f['ct']}) rewrites the destination {_nat_ep(b, 'dst')} "
                           f"to {_nat_ep(a, 'dst')}")
            else:
                out.append(f"NAT (ct {f['ct']}) rewrites the source {_nat_ep(b, 'src')} "
                           f"to {_nat_ep(a, 'src')}")
    return out


def _nat_ep(pkt, end: str) -> str:
    """The endpoint NAT rewrites: ``(192.168.0.1, 5000)``; an ICMP echo's, whose "port" is its
    identifier, ``(192.168.0.1, id 1)`` (as a port it read like one)."""
    addr = getattr(pkt.ip, end)
    port = pkt.sport if end == "src" else pkt.dport
    if type(pkt.l4) is ICMP:
        return f"({addr}, id {port})"
    return ep(addr, port)


def _repeats(result, a) -> dict[int, str]:
    """Host sends that repeat an earlier packet of their connection, by trace index: a
    segment whose sequence number (with its data, SYN or FIN) was sent before is a
    retransmission; a pure ACK with the same ack number as the host's last one is a
    duplicate ACK (RFC 5681).  Numbered, so a reader can tell the third from the second.
    A segment of data or a FIN the host's own device had no room for was not sent (its TCP
    sends it again): its next tries are its attempts 2, 3, ..., not retransmissions."""
    rep = getattr(a, "_repeats", None)
    if rep is None:
        rep, sent, last_ack, n_ret, n_dup, tries = {}, set(), {}, {}, {}, {}
        events = result.events
        for i, e in enumerate(events):
            pkt = e.pkt
            if e.ev is not Ev.SEND or pkt is None or type(pkt.l4) is not TCP:
                continue
            nxt = events[i + 1] if i + 1 < len(events) else None
            if (pkt.load or "F" in pkt.l4.flags) and (nxt is not None and nxt.ev is Ev.DROP and nxt.node == e.node and nxt.pkt is pkt
                             and nxt.reason is Drop.QUEUE_FULL):
                seg = (e.node, pkt.ip.src, pkt.sport, pkt.ip.dst, pkt.dport, pkt.l4.seq, pkt.load)
                tries[seg] = tries.get(seg, 0) + 1          # refused by its own device: not sent
                if tries[seg] > 1:
                    rep[i] = f"attempt {tries[seg]}"
                continue
            try_n = tries.pop((e.node, pkt.ip.src, pkt.sport, pkt.ip.dst, pkt.dport, pkt.l4.seq, pkt.load), 0)
            if try_n:
                rep[i] = f"attempt {try_n + 1}"
            key = (e.node, pkt.ip.src, pkt.sport, pkt.ip.dst, pkt.dport)
            name = pkt_name(pkt)
            if name == "ACK":
                if last_ack.get(key) == pkt.l4.ack:
                    n_dup[key] = n_dup.get(key, 0) + 1
                    rep[i] = f"duplicate ACK {n_dup[key]}"
                else:
                    n_dup[key] = 0
                last_ack[key] = pkt.l4.ack
            elif name != "RST":
                seg = (key, pkt.l4.seq, pkt.load, name)
                if seg in sent and not try_n:
                    n_ret[seg] = n_ret.get(seg, 0) + 1
                    rep[i] = f"retransmission {n_ret[seg]}"
                sent.add(seg)
        a._repeats = rep
    return rep


def _again(result, a, step: int) -> str:
    """``_repeats`` for the packet of a hop or drop, traced back to the host that sent it."""
    o, seen = a.origin.get(step), 0
    while o is not None and o.send is None and o.arrival is not None and seen < 64:
        o, seen = a.origin.get(o.arrival), seen + 1
    if o is None or o.send is None:
        return ""
    return _repeats(result, a).get(o.send, "")


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def narrate(result, step: int) -> str:
    """One sentence saying what happened at ``step`` (a trace index) and why."""
    check_step(result, step)
    a = analysis_of(result)
    e = result.events[step]
    k, node, pkt = e.ev, e.node, e.pkt
    f = info_of(e)
    kind = getattr(k, "value", str(k))
    if k is Ev.HOP:
        src, dst = endpoint_node(f["from"]), endpoint_node(f["to"])
        o = a.origin.get(step)
        what = pkt_words(pkt, _again(result, a, step))
        crossing = f"{what} crosses {node} from {title(result, src)} to {title(result, dst)}"
        if o is not None and o.send is not None:
            s = f"{title(result, src)} sends {what} over {node} to {title(result, dst)}"
        elif o is not None and o.arrival is not None:
            mine = [j for j in o.decisions if result.events[j].node == src]
            dec = _decisions(result, mine)
            routed = result.events[mine[-1]].t if mine else e.t
            if dec and routed != e.t:
                # it waited (the uplink's queue, the line's delay): two moments, each said
                s = (f"At {title(result, src)}, at {clock(routed)}, " + _join(dec) + f"; {what} crosses {node} "
                     f"and reaches {title(result, dst)} at {clock(e.t)}")
            elif dec:
                s = f"At {title(result, src)}, " + _join(dec) + f"; {crossing}"
            else:
                s = f"{title(result, src)} forwards {what} over {node} to {title(result, dst)}"
        else:
            s = crossing[0].upper() + crossing[1:]
        return _sentence(s)
    if k is Ev.DROP:
        reason = f.get("reason", "")
        why = WHY_DROP.get(reason, f"reason: {reason}")
        dec = _decisions(result, [j for j in a.decisions(step) if result.events[j].node == node])
        lead = (f"At {title(result, node)}, " + _join(dec) + "; then ") if dec else f"{title(result, node)} "
        verb = "drops" if not dec else "it drops"
        what = pkt_words(pkt, _again(result, a, step)) if pkt is not None else "a packet"
        return _sentence(f"{lead}{verb} {what}: {why}")
    if k in (Ev.RT_MISS, Ev.RT_HIT, Ev.RT_DEL, Ev.FIB, Ev.NAT, Ev.CT_NEW, Ev.CT_DEL):
        return _sentence(f"At {title(result, node)}, " + _join(_decisions(result, [step])))
    if k is Ev.SEND:
        return _sentence(f"{title(result, node)}'s stack emits {pkt_words(pkt, _repeats(result, a).get(step, ''))}")
    if k is Ev.DELIVER:
        return _sentence(f"{pkt_words(pkt)} reaches {title(result, node)}'s stack")
    if k is Ev.TCP:
        (la, lp), (ra, rp) = f["local"], f["remote"]
        return _sentence(f"{title(result, node)}'s connection {ep(la, lp)}–{ep(ra, rp)} goes from "
                         f"{f['old']} to {f['new']}")
    if k is Ev.LINK:
        if f.get("state") == "down":
            tail = " (NETDEV_DOWN): " + _device_down(result, f.get("dev")) if node == "router" else ""
            return _sentence(f"The line fails: {title(result, node)}'s {f.get('dev')} goes down{tail}")
        return _sentence(f"{title(result, node)}'s {f.get('dev')} is up again")
    if k is Ev.APP:
        return _sentence(f"{title(result, node)}: {app_words(f.get('what', ''), f.get('value', ''))}")
    fields = ", ".join(f"{n} {v}" for n, v in f.items())
    return _sentence(f"{title(result, node)}: {kind}" + (f" ({fields})" if fields else ""))


def _device_down(result, dev: str | None = None) -> str:
    """What the router does when one of its devices goes down, by its run's parameters: the
    route cache is flushed only where there is one (2.4's policies).  Today's kernel has had
    no route cache keyed by flow since 3.6: ``fib_disable_ip()`` marks the nexthops on the
    device dead, ``fib_flush()`` deletes the routes whose nexthops are all dead (a per-mark
    table's only route among them) and every cached route is invalidated (``rt_cache_flush()``
    bumps the generation id that sockets' and nexthops' cached routes are checked against).
    MASQUERADE (2.4's and today's) and the article's NAT forget the connections bound to the
    device; SNAT keeps them."""
    p = getattr(result, "params", None)
    multipath, nat = getattr(p, "multipath", None), getattr(p, "nat", None)
    if multipath in CACHED_POLICIES:
        s = "its nexthops die and the route cache is flushed"
    else:
        policy = POLICY_REGISTRY.get(multipath)
        mark = ""
        if policy is not None and policy.mark_tables and dev and dev[2:].isdigit():
            mark = f" (table {dev[2:]}'s only route among them)"    # ip rule fwmark k table k, by ifk
        s = (f"its nexthops die in the FIB, fib_flush deletes the routes through it alone{mark}, and "
             f"rt_cache_flush bumps the generation id, invalidating every cached route (no route cache "
             f"keyed by flow since 3.6)")
    # what NAT does comes first: on a short phone the narration's box shows its first lines, and
    # a reader who saw only the FIB's part missed that the connections were forgotten
    model = REGISTRY.get(nat) if nat else None
    if model is None or not model.translates:
        return s
    if not model.forgets_on_device_down:
        return "SNAT keeps the bindings made on it, with an address that no longer works; " + s
    if nat == "article":
        return "the article's NAT forgets the bindings made on it; " + s
    return "MASQUERADE forgets the connections bound to it; " + s


def _sentence(s: str) -> str:
    s = " ".join(s.split())
    s = s[0].upper() + s[1:]
    return s if s.endswith(".") else s + "."
