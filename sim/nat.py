"""Connection tracking and masquerade on the uplinks (``struct ip_conntrack`` and the
NAT hooks), for every NAT model.

``Nat`` is the conntrack table: entries keyed by their original tuple (with the device
when the model binds per packet) and by their reply tuple as it arrives from outside;
both tuples are ``(proto, src, sport, dst, dport)``.  Where the models differ -- the
binding's key, the port, the ICMP entry's lifetime, an egress change, a device going
down, which first TCP segments are INVALID -- it asks its model, a ``NatModel`` from
``sim.natmodels`` (one file per model: ``article``, ``netfilter``, ``snat``,
``masquerade``, and ``none``, public addresses, for which the router has no ``Nat``).

A TCP segment that finds no entry starts one by its flags (``tcp_new()``), unless the
model calls it INVALID; an INVALID packet is not translated at all: it leaves with the
LAN host's private source address.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .packet import ICMP_PROTO, PROTO_NAMES, TCP, TCP_PROTO, UDP_PROTO, FlowTuple, Packet
from .natmodels import REGISTRY, NatModel
from .reasons import DeviceDown, Gone, OifChanged, Reason
from .trace import Drop, Ev

_NAT = Ev.NAT       # read once: on Python 3.11 every ``Ev.X`` is a slow lookup

__all__ = ["Nat", "Conn", "CtState", "show_conn"]

S = 1_000_000
# 2.4 ip_conntrack_proto_*.c timeouts (µs)


class CtState(StrEnum):
    """A conntrack entry's state, as ``/proc/net/ip_conntrack`` names it (2.4's
    ``tcp_conntrack`` for TCP; ``NEW`` and ``ASSURED`` for UDP and ICMP, where only the
    timeout depends on it).  A ``str``: it prints and compares as its name."""
    NEW = "NEW"
    SYN_SENT = "SYN_SENT"
    SYN_RECV = "SYN_RECV"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT = "FIN_WAIT"
    TIME_WAIT = "TIME_WAIT"
    CLOSE = "CLOSE"
    ASSURED = "ASSURED"


TCP_TIMEOUTS = {CtState.SYN_SENT: 120 * S, CtState.SYN_RECV: 60 * S,
                CtState.ESTABLISHED: 5 * 24 * 3600 * S, CtState.FIN_WAIT: 120 * S,
                CtState.TIME_WAIT: 120 * S, CtState.CLOSE: 10 * S}
# read once for the per-packet code: on Python 3.11 every ``CtState.X`` is a slow lookup
_SYN_RECV, _ASSURED = CtState.SYN_RECV, CtState.ASSURED
_TCP_TIMEOUT_OTHER = TCP_TIMEOUTS[CtState.SYN_SENT]
UDP_TIMEOUT, UDP_STREAM_TIMEOUT, ICMP_TIMEOUT = 30 * S, 180 * S, 30 * S
# today's nf_conntrack_proto_udp.c: udp_timeouts[UDP_CT_REPLIED] = 120*HZ
# (nf_conntrack_udp_timeout_stream); its UDP_CT_UNREPLIED is 2.4's 30 s
UDP_STREAM_TIMEOUT_TODAY = 120 * S
#: the models whose router is a 2.4 one (2.4's netfilter, and the article's router, a 2.4
#: kernel): an ASSURED UDP entry lives UDP_STREAM_TIMEOUT; every other model is today's
#: nf_conntrack (``NatModel``'s defaults), UDP_STREAM_TIMEOUT_TODAY
MODELS_2_4 = frozenset({"netfilter", "article"})


@dataclass(slots=True)
class Conn:
    """A conntrack entry (``struct ip_conntrack``)."""
    id: int
    orig: FlowTuple          # as sent by the LAN host
    reply: FlowTuple         # as the reply arrives from outside (after the binding)
    dev: str                 # uplink the binding was made on
    state: CtState
    expires: int
    key: object = None       # its key in by_orig
    replied: bool = False
    pending: int = 0         # ICMP: echoes sent and not yet answered (2.4's proto.icmp.count)
    sent: int = 0            # packets masqueraded by it on their way out (the summary's left_as)

    @property
    def ext(self) -> tuple[str, int]:
        """The external (address, port) the remote host sees."""
        return self.reply[3], self.reply[4]


class Nat:
    """Masquerade on a router's uplinks."""

    def __init__(self, router, model: str | type[NatModel], uplinks: dict[str, str]):
        """``model``: a registered model's name, or a ``NatModel`` subclass."""
        self.router = router
        self.uplinks = uplinks                      # dev -> address
        self.by_orig: dict = {}                     # model.key(orig tuple, dev) -> Conn
        self.by_reply: dict[FlowTuple, Conn] = {}
        self._ids = 0
        self.flushed = 0                            # entries forgotten when their device went down
        self.translated = 0                         # packets rewritten: its NAT events (Trace.counts)
        self.made: list[Conn] = []                  # every entry made, gone or not, in order (a summary's)
        self.model: NatModel = (REGISTRY[model] if isinstance(model, str) else model)(self)
        self.udp_stream_timeout = (UDP_STREAM_TIMEOUT if self.model.name in MODELS_2_4
                                   else UDP_STREAM_TIMEOUT_TODAY)

    @property
    def next_port(self) -> dict[str, int]:
        """The port each uplink's table hands out next, for a model that hands them out in
        turn (the article's); empty for the others."""
        return getattr(self.model, "next_port", {})

    # -- the two hooks of the forwarding path -------------------------------------------------

    def prerouting(self, pkt: Packet) -> tuple[Packet, FlowTuple | None]:
        """De-masquerade a reply (``NF_IP_PRE_ROUTING``): reply tuple -> original source.
        Returns the packet and, if it is not a reply, its tuple, which no reply entry holds:
        POSTROUTING is handed it (as the kernel looks the connection up once, on the way in,
        and keeps it with the packet, ``skb->nfct``)."""
        t = pkt.flow()
        ct = self.by_reply.get(t)
        if ct is None:
            return pkt, t
        now = self.router.sim.now
        if ct.expires <= now:
            self.destroy(ct, Gone.TIMEOUT)
            return pkt, t
        _, src, sport, _, _ = ct.orig
        out = pkt.with_dst(src, sport)
        self._update(ct, pkt, True)
        ct.replied = True       # after _update(): 2.4's ip_conntrack_in() sets IPS_SEEN_REPLY after proto->packet()
        self.translated += 1
        trace = self.router.sim.trace
        if trace.keep:
            trace.store(_NAT, self.router.name, out, pkt, "dnat", ct.id)
        if ct.orig[0] == ICMP_PROTO and self.model.icmp_dies_with_reply:
            # 2.4's icmp_packet() as 2.4.32 has it (2.4.21's headers already carry the count;
            # 2.4.0's had none and ended the entry at the first reply, "FIXME: Should keep
            # count of orig - reply packets"): the entry dies with the reply to the last echo
            # still unanswered (atomic_dec_and_test of proto.icmp.count): echoes in flight together
            # share it, and its binding.  An echo that is never answered (lost, or dropped by
            # a provider) keeps the count above zero: the entry then lives until ICMP_TIMEOUT
            # after the last echo, and every echo until then keeps its binding
            ct.pending -= 1
            if ct.pending <= 0:
                self.destroy(ct, Gone.ICMP_REPLY)
        return out, None

    def postrouting(self, pkt: Packet, oif: str, t: FlowTuple | None = None) -> Packet | None:
        """Masquerade on the way out (``NF_IP_POST_ROUTING``); None: the packet is dropped.
        ``t``: the packet's tuple as PREROUTING found it, in no reply entry (None: not known)."""
        if oif not in self.uplinks:
            return pkt
        if t is None:
            t = pkt.flow()
            if self.by_reply.get(t) is not None:
                return pkt                         # a reply in the other direction: no SNAT
        key = self.model.key(t, oif)
        ct = self.by_orig.get(key)
        if ct is not None and ct.expires <= self.router.sim.now:
            self.destroy(ct, Gone.TIMEOUT)
            ct = None
        if ct is not None and ct.dev != oif and self.model.egress_changed(ct, oif):
            self.destroy(ct, OifChanged(ct.dev, oif))
            self.router.sim.trace.emit(Ev.DROP, self.router.name, pkt, Drop.NAT_OIF_CHANGED)
            return None
        if ct is None:
            if type(pkt.l4) is TCP and self.model.invalid_first(pkt.l4.flags):
                return pkt      # INVALID to conntrack: no entry, so no NAT -- it leaves as it came
            ct = self._bind(t, oif, key, pkt)
        _, _, _, addr, port = ct.reply
        out = pkt.with_src(addr, port)
        ct.sent += 1
        if t[0] == ICMP_PROTO:
            ct.pending += 1                      # icmp_packet(): atomic_inc(&ct->proto.icmp.count)
        self._update(ct, pkt, False)
        self.translated += 1
        trace = self.router.sim.trace
        if trace.keep:
            trace.store(_NAT, self.router.name, out, pkt, "snat", ct.id)
        return out

    # -- conntrack ------------------------------------------------------------------------

    def _bind(self, t: FlowTuple, oif: str, key, pkt: Packet) -> Conn:
        proto, src, sport, dst, dport = t
        addr = self.uplinks[oif]
        port = self.model.port(oif, proto, dst, dport, addr, sport)
        self._ids += 1
        reply = (proto, dst, dport, addr, port) if proto != ICMP_PROTO else (proto, dst, port, addr, port)
        if proto != TCP_PROTO:
            state = CtState.NEW
        else:
            state = _first_state(pkt.l4.flags)
        ct = Conn(self._ids, t, reply, oif, state, self.router.sim.now + self._timeout(proto, state), key)
        self.by_orig[key] = ct
        self.by_reply[reply] = ct
        self.made.append(ct)
        self.router.sim.trace.emit(Ev.CT_NEW, self.router.name, None, ct.id, ct.orig, ct.reply, oif)
        return ct

    def free(self, proto: int, dst: str, dport: int, addr: str, port: int) -> bool:
        """Is the reply tuple of a binding to ``addr``:``port`` for a connection to
        ``dst``:``dport`` unused (an expired entry holding it is destroyed)?"""
        ct = self.by_reply.get(_reply_key(proto, dst, dport, addr, port))
        if ct is not None and ct.expires <= self.router.sim.now:
            self.destroy(ct, Gone.TIMEOUT)
            return True
        return ct is None

    def unreplied(self, t: FlowTuple, oif: str) -> bool:
        """Is the LAN flow ``t``, leaving by ``oif``, new to conntrack (``ct state new``): no
        entry yet, or one that has seen no reply?"""
        ct = self.by_orig.get(self.model.key(t, oif))
        return ct is None or not ct.replied

    def invalid(self, pkt: Packet) -> bool:
        """Would conntrack call this LAN packet INVALID (no entry, and it can't start one)?"""
        if type(pkt.l4) is not TCP or not self.model.invalid_first(pkt.l4.flags):
            return False
        t = pkt.flow()
        return t not in self.by_orig and self.by_reply.get(t) is None

    def device_down(self, dev: str) -> bool:
        """The device ``dev`` went down: if the model forgets (``forgets_on_device_down``:
        MASQUERADE's ``masq_device_event()``, today's ``nf_nat_masquerade`` notifier; the
        article's NAT loses that uplink's table), destroy every entry bound to it and
        return True; SNAT keeps its bindings -- to an address that no longer works."""
        if not self.model.forgets_on_device_down:
            return False
        for ct in [c for c in self.entries() if c.dev == dev]:
            self.destroy(ct, DeviceDown(dev))
            self.flushed += 1
        return True

    def destroy(self, ct: Conn, reason: Reason) -> None:
        del self.by_orig[ct.key]
        del self.by_reply[ct.reply]
        self.router.sim.trace.emit(Ev.CT_DEL, self.router.name, None, ct.id, reason)

    def _update(self, ct: Conn, pkt: Packet, reply: bool) -> None:
        """Refresh the entry's timeout; for TCP, first follow the state just enough to pick
        it.  A simplification of 2.4's ``tcp_packet()`` and its ``tcp_conntracks`` table: any
        FIN makes FIN_WAIT (120 s), whoever sends it and in whatever state, where 2.4 moves a
        server's FIN in ESTABLISHED to CLOSE_WAIT (60 s), then LAST_ACK (30 s); it leaves out
        CLOSE_WAIT and LAST_ACK, 2.4's rule that an entry whose only reply is a RST is
        deleted at once, and any check of sequence numbers (2.4 had none; its window
        tracking came later).  A 2.4 ICMP entry is refreshed by its echoes only:
        ``icmp_packet()`` calls ``ip_ct_refresh()`` in the original direction, so a reply
        that leaves echoes unanswered does not extend it (today's ``nf_conntrack_icmp_packet()``
        refreshes on every packet)."""
        proto = ct.orig[0]
        if proto == TCP_PROTO:
            flags = pkt.l4.flags
            if "R" in flags:
                ct.state = CtState.CLOSE
            elif "F" in flags:
                ct.state = CtState.FIN_WAIT
            elif "S" in flags and reply:
                ct.state = CtState.SYN_RECV
            elif "A" in flags and not reply and ct.state is _SYN_RECV:
                ct.state = CtState.ESTABLISHED
            # _timeout(), written out for the commonest case: a TCP segment
            ct.expires = self.router.sim.now + TCP_TIMEOUTS.get(ct.state, _TCP_TIMEOUT_OTHER)
            return
        if reply and proto == ICMP_PROTO and self.model.icmp_dies_with_reply:
            return
        if proto == UDP_PROTO and ct.replied:
            # 2.4's udp_packet() tests IPS_SEEN_REPLY, which ip_conntrack_in() sets only
            # after it: the first reply still gets UDP_TIMEOUT, and the entry turns ASSURED
            # with UDP_STREAM_TIMEOUT on the next datagram either way.  (Today's
            # nf_conntrack_udp_packet() also waits until 2 s after the first datagram, and
            # its stream timeout is nf_conntrack_udp_timeout_stream, 120 s: the
            # udp_stream_timeout of today's models.)
            ct.state = CtState.ASSURED
        ct.expires = self.router.sim.now + self._timeout(proto, ct.state)

    def _timeout(self, proto: int, state: CtState) -> int:
        if proto == TCP_PROTO:
            return TCP_TIMEOUTS.get(state, _TCP_TIMEOUT_OTHER)
        if proto == UDP_PROTO:
            return self.udp_stream_timeout if state is _ASSURED else UDP_TIMEOUT
        return ICMP_TIMEOUT

    def entries(self) -> list[Conn]:
        return sorted(self.by_reply.values(), key=lambda c: c.id)

    def show(self) -> str:
        """The entries as 2.4's ``/proc/net/ip_conntrack`` lists them (``show_conn``)."""
        return "\n".join(show_conn(c, self.router.sim.now) for c in self.entries())


def _first_state(flags: str) -> CtState:
    """The state of an entry a segment starts (2.4's ``get_conntrack_index()`` order:
    RST, then SYN, then FIN, then ACK)."""
    if "R" in flags:
        return CtState.CLOSE
    if "S" in flags:
        return CtState.SYN_SENT
    if "F" in flags:
        return CtState.TIME_WAIT
    return CtState.ESTABLISHED


def _reply_key(proto, dst, dport, addr, port) -> FlowTuple:
    if proto == ICMP_PROTO:
        return (proto, dst, port, addr, port)
    return (proto, dst, dport, addr, port)


def show_conn(c: Conn, now: int) -> str:
    """One entry as 2.4's ``print_conntrack()`` writes it to ``/proc/net/ip_conntrack``: the
    protocol (``%-8s``) and its number, the seconds left, the TCP state, the original tuple,
    ``[UNREPLIED]`` until a reply was seen, the reply tuple, ``use=``.  Left out: the
    ``[ASSURED]`` flag (the simulator keeps no such status bit; a UDP entry's state says it).
    The device a masqueraded entry is bound to (``Conn.dev``) is not in the line: 2.4 never
    printed it."""
    p, s, sp, d, dp = c.orig
    rp, rs, rsp, rd, rdp = c.reply
    name = PROTO_NAMES[p]
    ports = ("type=8 code=0 id={}".format if p == ICMP_PROTO else "sport={} dport={}".format)
    o = f"src={s} dst={d} " + (ports(sp) if p == ICMP_PROTO else ports(sp, dp))
    r = f"src={rs} dst={rd} " + (f"type=0 code=0 id={rsp}" if p == ICMP_PROTO else ports(rsp, rdp))
    state = f"{c.state} " if p == TCP_PROTO else ""
    flag = "" if c.replied else "[UNREPLIED] "
    return f"{name:<8} {p} {max(0, (c.expires - now) // 1_000_000)} {state}{o} {flag}{r} use=1"
