"""Packets as light immutable records.

Headers are named tuples whose fields carry scapy's names (``IP.src``,
``TCP.sport``, ``TCP.flags``, ``ICMP.id`` ...), so ``sim.pcap`` can turn a
record into a real scapy packet field by field.  The engine never builds
scapy objects: a record costs well under a microsecond, a scapy packet
half a millisecond.

A packet is ``Packet(ip, l4, load)``: ``load`` is the payload length in
bytes (the simulator moves lengths, not contents).  A TCP header's MPTCP option is
one of the frozen records ``MpCapable``, ``MpJoin``, ``Dss`` (RFC 8684's names); a SYN that
carries RFC 7323's Window Scale has ``SynOptions``, the shift and its MPTCP option if any.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Union

TCP_PROTO, UDP_PROTO, ICMP_PROTO = 6, 17, 1
PROTO_NAMES = {TCP_PROTO: "tcp", UDP_PROTO: "udp", ICMP_PROTO: "icmp"}

IP_HDR, TCP_HDR, UDP_HDR, ICMP_HDR = 20, 20, 8, 8
ECHO_REQUEST, ECHO_REPLY = 8, 0


# -- MPTCP options (RFC 8684), one record per option, fields as the RFC names them ---------------
# A record's ``form`` is the name the JSON trace gives it; ``as_tuple()`` is the form and the
# values present, as the trace has always written them (``["dss", data_ack, [[dsn, n]], ssn]``).


@dataclass(frozen=True, slots=True)
class MpCapable:
    """MP_CAPABLE (RFC 8684 3.1), version 1: on the SYN no key; on the SYN+ACK the sender's
    (the server's) key; on the third ACK the sender's and the receiver's keys; on the
    client's first data both keys and the data-level length of that data."""
    sender_key: int | None = None
    receiver_key: int | None = None
    data_level_length: int | None = None

    @property
    def form(self) -> str:
        if self.data_level_length is not None:
            return "capable-data"
        if self.sender_key is None:
            return "capable"
        return "capable-synack" if self.receiver_key is None else "capable-ack"

    def as_tuple(self) -> tuple:
        form = self.form
        return (form, self.sender_key, self.receiver_key, self.data_level_length)[:_CAPABLE_FIELDS[form]]

    def length(self) -> int:
        """Bytes in the TCP header: kind, length, subtype and version, flags, the keys
        (8 bytes each), the data-level length (2), padded to 4."""
        return _pad4(_CAPABLE_LEN[self.form])


_CAPABLE_FIELDS = {"capable": 1, "capable-synack": 2, "capable-ack": 3, "capable-data": 4}
_CAPABLE_LEN = {"capable": 4, "capable-synack": 12, "capable-ack": 20, "capable-data": 22}


@dataclass(frozen=True, slots=True)
class MpJoin:
    """MP_JOIN (RFC 8684 3.2): on the SYN the receiver's token and the sender's nonce
    (its "random number"); on the SYN+ACK the sender's truncated HMAC (64 bits) and nonce;
    on the third ACK the sender's HMAC (160 bits)."""
    token: int | None = None
    nonce: int | None = None
    hmac: bytes | None = None

    @property
    def form(self) -> str:
        if self.token is not None:
            return "join"
        return "join-synack" if self.nonce is not None else "join-ack"

    def as_tuple(self) -> tuple:
        if self.token is not None:
            return ("join", self.token, self.nonce)
        if self.nonce is not None:
            return ("join-synack", self.hmac, self.nonce)
        return ("join-ack", self.hmac)

    def length(self) -> int:
        """Bytes in the TCP header (12 on the SYN, 16 on the SYN+ACK, 24 on the third ACK)."""
        return _JOIN_LEN[self.form]


_JOIN_LEN = {"join": 12, "join-synack": 16, "join-ack": 24}


@dataclass(frozen=True, slots=True)
class Dss:
    """DSS, the data sequence signal (RFC 8684 3.3): a data ACK (``None``: flag A clear)
    and a mapping: where this segment's bytes, from relative subflow sequence number
    ``subflow_seq``, sit in the data, as (data sequence number, data-level length) pieces
    (empty: flag M clear).  DATA_FIN is not modelled (the subflows' FINs end a connection)."""
    data_ack: int | None = None
    mapping: tuple = ()
    subflow_seq: int = 0

    form = "dss"

    def as_tuple(self) -> tuple:
        return ("dss", self.data_ack, self.mapping, self.subflow_seq)

    def length(self) -> int:
        """4 bytes, + 4 for a data ACK, + 10 for a mapping (DSN, subflow seq, length)."""
        return _pad4(4 + (4 if self.data_ack is not None else 0) + (10 if self.mapping else 0))


MptcpOption = Union[MpCapable, MpJoin, Dss]


def _pad4(n: int) -> int:
    return (n + 3) // 4 * 4


Endpoint = tuple[str, int]
"""An (IP address, port) pair: the article's notation for a link endpoint."""

FlowTuple = tuple[int, str, int, str, int]
"""(proto, src, sport, dst, dport); for ICMP echo both ports are the echo id."""


class IP(NamedTuple):
    src: str
    dst: str
    ttl: int = 64
    id: int = 0
    tos: int = 0


class TCP(NamedTuple):
    sport: int
    dport: int
    seq: int = 0
    ack: int = 0
    flags: str = "S"          # scapy's letters: F S R P A
    window: int = 65535
    # the options on the wire: an MPTCP option (MpCapable or MpJoin in a handshake, later Dss),
    # or a SYN's options with RFC 7323's Window Scale (SynOptions); read them as ``mptcp`` and
    # ``wscale``.  One field, not one per option: only a SYN can carry the Window Scale, and a
    # field costs 8 bytes in every segment the trace stores
    opt: MptcpOption | SynOptions | None = None
    # RFC 7323's timestamps, TSval and TSecr in µs of the simulation's clock (both None: a RST,
    # which carries none; TSecr None: nothing to echo yet): simulation state that rides with the
    # segment, not an option on the wire -- wire_len, the pcap and the trace leave them out (see
    # sim.tcp.TcpConn._replace_ts_recent).  Two fields, not a pair: no object more per segment
    tsval: int | None = None
    tsecr: int | None = None

    @property
    def mptcp(self) -> MptcpOption | None:
        """The MPTCP option (None: none)."""
        opt = self.opt
        return opt.mptcp if type(opt) is SynOptions else opt

    @property
    def wscale(self) -> int | None:
        """The shift count of RFC 7323's Window Scale option (None: no option)."""
        opt = self.opt
        return opt.wscale if type(opt) is SynOptions else None


class SynOptions(NamedTuple):
    """A SYN's options when it carries RFC 7323's Window Scale, the shift count ``wscale``
    (sent when the window is above 65535 bytes, ``--rwnd``), on the wire as a NOP and the
    3-byte option, as Linux sends it; with the MPTCP option of the handshake, if any."""
    wscale: int
    mptcp: MpCapable | MpJoin | None = None

    def length(self) -> int:
        """Bytes in the TCP header: the NOP and the Window Scale (4), and the MPTCP option."""
        return 4 + (self.mptcp.length() if self.mptcp else 0)


class UDP(NamedTuple):
    sport: int
    dport: int


class ICMP(NamedTuple):
    type: int = ECHO_REQUEST
    code: int = 0
    id: int = 0
    seq: int = 0


L4 = Union[TCP, UDP, ICMP]


class Packet(NamedTuple):
    ip: IP
    l4: L4
    load: int = 0

    @property
    def proto(self) -> int:
        return _PROTO_OF[type(self.l4)]

    @property
    def sport(self) -> int:
        l4 = self.l4
        return l4.id if type(l4) is ICMP else l4.sport

    @property
    def dport(self) -> int:
        l4 = self.l4
        return l4.id if type(l4) is ICMP else l4.dport

    def flow(self) -> FlowTuple:
        """The 5-tuple conntrack and the L4 hash look at (for ICMP echo both ports are its id)."""
        ip, l4 = self.ip, self.l4
        if type(l4) is ICMP:
            return (ICMP_PROTO, ip.src, l4.id, ip.dst, l4.id)
        return (_PROTO_OF[type(l4)], ip.src, l4.sport, ip.dst, l4.dport)

    def wire_len(self) -> int:
        l4 = self.l4
        if type(l4) is TCP:
            return IP_HDR + TCP_HDR + self.load + (l4.opt.length() if l4.opt else 0)
        return IP_HDR + _L4_LEN[type(l4)] + self.load

    # NAT's rewrites build the new headers directly: NamedTuple's _replace(), a keyword dict and
    # a map over every field, cost as much as the rest of the translation; and, as in hop(),
    # by tuple.__new__, without the call to NamedTuple's __new__ (every field is given).  The
    # port is the first field of TCP and UDP (sport) or the second (dport); ICMP echo's is its id
    def with_src(self, src: str, sport: int | None = None) -> "Packet":
        _, dst, ttl, ident, tos = self.ip
        l4 = self.l4
        if sport is not None:
            l4 = l4._replace(id=sport) if type(l4) is ICMP else _new(type(l4), (sport,) + l4[1:])
        return _new(Packet, (_new(IP, (src, dst, ttl, ident, tos)), l4, self.load))

    def with_dst(self, dst: str, dport: int | None = None) -> "Packet":
        src, _, ttl, ident, tos = self.ip
        l4 = self.l4
        if dport is not None:
            l4 = l4._replace(id=dport) if type(l4) is ICMP else _new(type(l4), (l4[0], dport) + l4[2:])
        return _new(Packet, (_new(IP, (src, dst, ttl, ident, tos)), l4, self.load))

    def hop(self) -> "Packet":
        """The same packet after a router decremented its TTL."""
        src, dst, ttl, ident, tos = self.ip
        # tuple.__new__: the records' own constructors, without NamedTuple's keyword handling
        # (once per packet per router, the commonest record the engine makes)
        return _new(Packet, (_new(IP, (src, dst, ttl - 1, ident, tos)), self.l4, self.load))

    def summary(self) -> str:
        """One tcpdump-like line: ``192.168.0.1.5000 > 200.0.0.1.80: Flags [S] ...``."""
        ip, l4 = self.ip, self.l4
        if type(l4) is TCP:
            s = (f"{ip.src}.{l4.sport} > {ip.dst}.{l4.dport}: Flags [{_tcpdump_flags(l4.flags)}], "
                 f"seq {l4.seq}")
            if "A" in l4.flags:
                s += f", ack {l4.ack}"
            opt = l4.mptcp
            if type(opt) is Dss:
                s += (", options [mptcp dss" + (f" ack {opt.data_ack}" if opt.data_ack is not None else "")
                      + (f" seq {opt.mapping[0][0]} len {sum(n for _, n in opt.mapping)}"
                         if opt.mapping else "") + "]")
            elif opt:
                s += f", options [mptcp {opt.form}]"
            if l4.wscale is not None:       # as tcpdump lists the option (after a NOP)
                s = (s[:-1] + "," if opt else s + ", options [") + f"nop,wscale {l4.wscale}]"
            return s + f", length {self.load}"
        if type(l4) is UDP:
            return f"{ip.src}.{l4.sport} > {ip.dst}.{l4.dport}: UDP, length {self.load}"
        kind = {ECHO_REQUEST: "echo request", ECHO_REPLY: "echo reply"}.get(l4.type, f"type {l4.type}")
        return f"{ip.src} > {ip.dst}: ICMP {kind}, id {l4.id}, seq {l4.seq}, length {self.load + ICMP_HDR}"

    def to_dict(self) -> dict:
        """The packet as the JSON trace writes it: ``id`` is the IP header's identification for
        every protocol; an ICMP echo's identifier, a field of its own header, is ``icmp_id`` (it
        had overwritten the IP ID, which the JSON then lost for every ICMP packet)."""
        l4 = self.l4
        d = {"src": self.ip.src, "dst": self.ip.dst, "ttl": self.ip.ttl, "id": self.ip.id,
             "proto": PROTO_NAMES[self.proto]}
        if type(l4) is ICMP:
            d.update(type=l4.type, code=l4.code, icmp_id=l4.id, seq=l4.seq, load=self.load)
            return d
        if type(l4) is UDP:
            d.update(sport=l4.sport, dport=l4.dport)
        else:                               # TCP's timestamps are simulation state, not written
            mptcp, wscale = l4.mptcp, l4.wscale
            d.update(sport=l4.sport, dport=l4.dport, seq=l4.seq, ack=l4.ack, flags=l4.flags,
                     window=l4.window, mptcp=mptcp.as_tuple() if mptcp else ())   # () for none
            if wscale is not None:          # the Window Scale option: only a SYN that has one
                d["wscale"] = wscale
        d["load"] = self.load
        return d


def _tcpdump_flags(flags: str) -> str:
    out = "".join(c for c in flags if c != "A")
    return (out + "." if "A" in flags else out) or "none"


_new = tuple.__new__
_PROTO_OF = {TCP: TCP_PROTO, UDP: UDP_PROTO, ICMP: ICMP_PROTO}
_L4_LEN = {TCP: TCP_HDR, UDP: UDP_HDR, ICMP: ICMP_HDR}




def fmt_endpoint(addr: str, port: int) -> str:
    """The article's (IP, port) notation."""
    return f"({addr}, {port})"


def parse_endpoint(text: str) -> tuple[str, int | None]:
    """The reverse of ``fmt_endpoint``: ``"(10.0.0.1, 5000)"`` -> ``("10.0.0.1", 5000)``; an
    address alone (what an ICMP peer sees: no port) -> ``("10.0.0.1", None)``.  Anything else is
    a ValueError naming the text."""
    if text.startswith("(") and text.endswith(")"):
        addr, sep, port = text[1:-1].rpartition(", ")
        if sep and addr and " " not in addr and port.isascii() and port.isdigit():
            return addr, int(port)
    elif text and not any(c in text for c in "(), "):
        return text, None
    raise ValueError(f"not an endpoint '(address, port)' or an address: {text!r}")
