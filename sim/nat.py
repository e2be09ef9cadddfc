"""Connection tracking and masquerade on the uplinks, in the models of three eras.

``article``     the article's model, a stateless NAT per uplink: every packet that
                leaves uplink *k* gets uplink *k*'s address and a port from
                uplink *k*'s own table (the article's 6000 on if1, 7000 on if2);
                replies are translated back by the uplink they arrive on.
``netfilter``   Linux 2.4 netfilter MASQUERADE: the binding is made for
                the first packet of a connection (state NEW) with the address of
                the uplink it leaves by, and kept for every later packet, whichever
                uplink it leaves by (``ip_nat_fn`` -> ``do_bindings``).  The source
                port is kept when the resulting tuple is unique (``get_unique_tuple``).
                An ICMP echo entry dies with its reply.  Entries time out.
``snat``        today's SNAT: the binding is kept as in 2.4, but an ICMP echo entry
                lives until its timeout, so consecutive echoes with one id are one
                connection.
``masquerade``  today's MASQUERADE: as ``snat``, and any later packet of the
                connection in the original direction -- a retransmitted SYN or an
                unanswered echo as much as a mid-stream ACK -- that leaves by another
                device than the binding's kills the entry and is dropped
                (``nf_nat_oif_changed()``, called by ``nf_nat_inet_fn()`` both for
                ``IP_CT_NEW`` once the binding exists and for established packets).  The connection's next packet makes a new entry
                (conntrack picks up a mid-stream TCP segment), bound to *its* uplink;
                a reply that arrives meanwhile matches nothing and reaches the router's
                own stack, which resets it.

A TCP segment that finds no entry starts one by its flags, as ``tcp_new()`` looks
them up in ``tcp_conntracks[0][index][sNO]``.  In 2.4 (``netfilter``) a SYN, a
SYN+ACK, a FIN, an ACK and a RST all start an entry (SYN_SENT, SYN_SENT, TIME_WAIT,
ESTABLISHED, CLOSE) and are masqueraded; only a segment with none of those flags
is INVALID.  Today (``snat``, ``masquerade``; nf_conntrack with window tracking,
2.6.9+) only a SYN or a bare ACK (``nf_conntrack_tcp_loose``) starts one; a FIN, a
RST or a SYN+ACK is INVALID, and an INVALID packet is not translated at all: it
leaves with the LAN host's private source address.
``none``        public LAN addresses: nothing is translated.

Conntrack entries are keyed by their original tuple and by their reply
tuple as it arrives from outside; both are ``(proto, src, sport, dst, dport)``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .packet import ICMP_PROTO, PROTO_NAMES, TCP, TCP_PROTO, UDP_PROTO, FlowTuple, Packet
from .trace import Drop, Ev

NAT_MODELS = ("article", "netfilter", "snat", "masquerade", "none")
ICMP_DIES_WITH_REPLY = ("netfilter",)   # 2.4; today's entry lives until its timeout

S = 1_000_000
# 2.4 ip_conntrack_proto_*.c timeouts (µs)
TCP_TIMEOUTS = {"SYN_SENT": 120 * S, "SYN_RECV": 60 * S, "ESTABLISHED": 5 * 24 * 3600 * S,
                "FIN_WAIT": 120 * S, "TIME_WAIT": 120 * S, "CLOSE": 10 * S}
UDP_TIMEOUT, UDP_STREAM_TIMEOUT, ICMP_TIMEOUT = 30 * S, 180 * S, 30 * S

ARTICLE_PORT_BASE = 5000      # if1 -> 6000, if2 -> 7000, if3 -> 8000 ...


@dataclass(slots=True)
class Conn:
    """A conntrack entry (``struct ip_conntrack``)."""
    id: int
    orig: FlowTuple          # as sent by the LAN host
    reply: FlowTuple         # as the reply arrives from outside (after the binding)
    dev: str                 # uplink the binding was made on
    state: str
    expires: int
    key: object = None       # its key in by_orig
    replied: bool = False

    @property
    def ext(self) -> tuple[str, int]:
        """The external (address, port) the remote host sees."""
        return self.reply[3], self.reply[4]


class Nat:
    """Masquerade on a router's uplinks."""

    def __init__(self, router, model: str, uplinks: dict[str, str]):
        self.router = router
        self.model = model
        self.uplinks = uplinks                      # dev -> address
        self.by_orig: dict = {}                     # orig tuple (+dev for article) -> Conn
        self.by_reply: dict[FlowTuple, Conn] = {}
        self.next_port = {dev: ARTICLE_PORT_BASE + 1000 * (i + 1) for i, dev in enumerate(uplinks)}
        self._ids = 0
        self.flushed = 0                            # entries forgotten when their device went down

    # -- the two hooks of the forwarding path -------------------------------------------------

    def prerouting(self, pkt: Packet) -> Packet:
        """De-masquerade a reply (``NF_IP_PRE_ROUTING``): reply tuple -> original source."""
        t = pkt.flow()
        ct = self.by_reply.get(t)
        if ct is None:
            return pkt
        now = self.router.sim.now
        if ct.expires <= now:
            self.destroy(ct, "timeout")
            return pkt
        _, src, sport, _, _ = ct.orig
        out = pkt.with_dst(src, sport)
        ct.replied = True
        self._update(ct, pkt, reply=True)
        self.router.sim.trace.emit(Ev.NAT, self.router.name, out, pkt, "dnat", ct.id)
        if ct.orig[0] == ICMP_PROTO and self.model in ICMP_DIES_WITH_REPLY:
            self.destroy(ct, "icmp reply")       # 2.4: the echo reply ends the ICMP "connection"
        return out

    def postrouting(self, pkt: Packet, oif: str) -> Packet | None:
        """Masquerade on the way out (``NF_IP_POST_ROUTING``); None: the packet is dropped."""
        if oif not in self.uplinks or self.model == "none":
            return pkt
        t = pkt.flow()
        if self.by_reply.get(t) is not None:
            return pkt                             # a reply in the other direction: no SNAT
        key = (t, oif) if self.model == "article" else t
        ct = self.by_orig.get(key)
        if ct is not None and ct.expires <= self.router.sim.now:
            self.destroy(ct, "timeout")
            ct = None
        if ct is not None and self.model == "masquerade" and ct.dev != oif:
            # nf_nat_oif_changed(): the masqueraded address belongs to another device
            self.destroy(ct, f"oif changed {ct.dev}->{oif}")
            self.router.sim.trace.emit(Ev.DROP, self.router.name, pkt, Drop.NAT_OIF_CHANGED)
            return None
        if ct is None:
            if self.model != "article" and type(pkt.l4) is TCP and _invalid_first(pkt.l4.flags,
                                                                                  self.model):
                return pkt      # INVALID to conntrack: no entry, so no NAT -- it leaves as it came
            ct = self._bind(t, oif, key, pkt)
        _, _, _, addr, port = ct.reply
        out = pkt.with_src(addr, port)
        self._update(ct, pkt, reply=False)
        self.router.sim.trace.emit(Ev.NAT, self.router.name, out, pkt, "snat", ct.id)
        return out

    # -- conntrack ------------------------------------------------------------------------

    def _bind(self, t: FlowTuple, oif: str, key, pkt: Packet) -> Conn:
        proto, src, sport, dst, dport = t
        addr = self.uplinks[oif]
        if self.model == "article":
            port = self._article_port(oif, proto, dst, dport, addr)
        else:
            port = self._unique_port(proto, dst, dport, addr, sport)
        self._ids += 1
        reply = (proto, dst, dport, addr, port) if proto != ICMP_PROTO else (proto, dst, port, addr, port)
        if proto != TCP_PROTO:
            state = "NEW"
        else:
            state = _first_state(pkt.l4.flags)
        ct = Conn(self._ids, t, reply, oif, state, self.router.sim.now + self._timeout(proto, state), key)
        self.by_orig[key] = ct
        self.by_reply[reply] = ct
        self.router.sim.trace.emit(Ev.CT_NEW, self.router.name, None, ct.id, ct.orig, ct.reply, oif)
        return ct

    def _free(self, reply: FlowTuple) -> bool:
        ct = self.by_reply.get(reply)
        if ct is not None and ct.expires <= self.router.sim.now:
            self.destroy(ct, "timeout")
            return True
        return ct is None

    def _article_port(self, oif, proto, dst, dport, addr) -> int:
        while True:
            port = self.next_port[oif]
            self.next_port[oif] += 1
            if self._free(_reply_key(proto, dst, dport, addr, port)):
                return port

    def _unique_port(self, proto, dst, dport, addr, sport) -> int:
        """``get_unique_tuple``: keep the source port if the tuple is unique, else
        the first free port of the same class (1-511, 512-1023, 1024-65535)."""
        if self._free(_reply_key(proto, dst, dport, addr, sport)):
            return sport
        lo, hi = (1, 511) if sport < 512 else (600, 1023) if sport < 1024 else (1024, 65535)
        for port in range(lo, hi + 1):
            if self._free(_reply_key(proto, dst, dport, addr, port)):
                return port
        raise RuntimeError("no free port")   # 64k live connections to one server: not in our scenarios

    def invalid(self, pkt: Packet) -> bool:
        """Would conntrack call this LAN packet INVALID (no entry, and it can't start one)?"""
        if self.model in ("article", "none") or type(pkt.l4) is not TCP:
            return False
        t = pkt.flow()
        return t not in self.by_orig and self.by_reply.get(t) is None \
            and _invalid_first(pkt.l4.flags, self.model)

    def device_down(self, dev: str) -> None:
        """The device ``dev`` went down.  MASQUERADE forgets every connection it masqueraded
        to that device's address (2.4's ``masq_device_event()``, today's
        ``nf_nat_masquerade`` device notifier); the article's per-uplink NAT loses that
        uplink's table; SNAT keeps its bindings -- to an address that no longer works."""
        if self.model == "snat":
            return
        for ct in [c for c in self.entries() if c.dev == dev]:
            self.destroy(ct, f"{dev} down")
            self.flushed += 1

    def destroy(self, ct: Conn, reason: str) -> None:
        del self.by_orig[ct.key]
        del self.by_reply[ct.reply]
        self.router.sim.trace.emit(Ev.CT_DEL, self.router.name, None, ct.id, reason)

    def _update(self, ct: Conn, pkt: Packet, reply: bool) -> None:
        """Follow the TCP state just enough to pick the timeout, as 2.4 conntrack does."""
        proto = ct.orig[0]
        if proto == TCP_PROTO:
            flags = pkt.l4.flags
            if "R" in flags:
                ct.state = "CLOSE"
            elif "F" in flags:
                ct.state = "FIN_WAIT"
            elif "S" in flags and reply:
                ct.state = "SYN_RECV"
            elif "A" in flags and not reply and ct.state == "SYN_RECV":
                ct.state = "ESTABLISHED"
        elif proto == UDP_PROTO and reply:
            ct.state = "ASSURED"
        ct.expires = self.router.sim.now + self._timeout(proto, ct.state)

    @staticmethod
    def _timeout(proto: int, state: str) -> int:
        if proto == TCP_PROTO:
            return TCP_TIMEOUTS.get(state, TCP_TIMEOUTS["SYN_SENT"])
        if proto == UDP_PROTO:
            return UDP_STREAM_TIMEOUT if state == "ASSURED" else UDP_TIMEOUT
        return ICMP_TIMEOUT

    def entries(self) -> list[Conn]:
        return sorted(self.by_reply.values(), key=lambda c: c.id)

    def show(self) -> str:
        """Like ``/proc/net/ip_conntrack``."""
        return "\n".join(show_conn(c, self.router.sim.now) for c in self.entries())


def _invalid_first(flags: str, model: str) -> bool:
    """``tcp_new()``: can a segment that finds no entry start one?

    2.4 (``ip_conntrack_proto_tcp.c``): every segment with a SYN, FIN, ACK or RST flag
    can; today (``nf_conntrack_proto_tcp.c``) a RST, a FIN or a SYN+ACK is INVALID (a
    SYN starts an entry; a bare ACK is picked up mid-stream, ``nf_conntrack_tcp_loose``)."""
    if model == "netfilter":
        return not any(f in flags for f in "SFAR")
    return "R" in flags or "F" in flags or ("S" in flags and "A" in flags)


def _first_state(flags: str) -> str:
    """The state of an entry a segment starts (2.4's ``get_conntrack_index()`` order:
    RST, then SYN, then FIN, then ACK)."""
    if "R" in flags:
        return "CLOSE"
    if "S" in flags:
        return "SYN_SENT"
    if "F" in flags:
        return "TIME_WAIT"
    return "ESTABLISHED"


def _reply_key(proto, dst, dport, addr, port) -> FlowTuple:
    if proto == ICMP_PROTO:
        return (proto, dst, port, addr, port)
    return (proto, dst, dport, addr, port)


def show_conn(c: Conn, now: int) -> str:
    p, s, sp, d, dp = c.orig
    rp, rs, rsp, rd, rdp = c.reply
    name = PROTO_NAMES[p]
    ports = ("type=8 code=0 id={}".format if p == ICMP_PROTO else "sport={} dport={}".format)
    o = f"src={s} dst={d} " + (ports(sp) if p == ICMP_PROTO else ports(sp, dp))
    r = f"src={rs} dst={rd} " + (f"type=0 code=0 id={rsp}" if p == ICMP_PROTO else ports(rsp, rdp))
    state = f"{c.state} " if p == TCP_PROTO else ""
    flag = "" if c.replied else "[UNREPLIED] "
    return (f"{name:<5} {p} {max(0, (c.expires - now) // 1_000_000)} {state}{o} {flag}{r} "
            f"dev={c.dev} use=1")
