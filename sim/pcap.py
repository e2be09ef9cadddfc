"""Real bytes: packet records to scapy packets, and the trace to a pcapng file.

The pcapng has one interface per link (named after the link, so Wireshark's
"interface" column says where a packet was seen) and frame *n* is hop *n*
of the trace, stamped with the simulated time and commented with the hop.
Checksums are computed by scapy from the final fields, so they are right
after NAT rewrote addresses and ports.

scapy is imported here only, lazily: ``import sim`` stays light.
"""
from __future__ import annotations

import functools
import struct

from .packet import ICMP, TCP, UDP, MpCapable, MpJoin, MptcpOption, Packet
from .trace import Ev

LINKTYPE_RAW = 101            # raw IPv4, no link-layer header
PAYLOAD_BYTE = b"\x00"


def to_scapy(pkt: Packet):
    """The scapy packet for a record: IP / TCP|UDP|ICMP / payload, checksums computed."""
    from scapy.layers.inet import ICMP as S_ICMP
    from scapy.layers.inet import IP as S_IP
    from scapy.layers.inet import TCP as S_TCP
    from scapy.layers.inet import UDP as S_UDP
    from scapy.packet import Raw

    ip, l4 = pkt.ip, pkt.l4
    p = S_IP(src=ip.src, dst=ip.dst, ttl=ip.ttl, id=ip.id, tos=ip.tos)
    if type(l4) is TCP:
        opts = []
        if l4.mptcp:        # RFC 8684 option 30
            opts = [(30, mptcp_bytes(l4.mptcp))]
        p /= S_TCP(sport=l4.sport, dport=l4.dport, seq=l4.seq, ack=l4.ack, flags=l4.flags,
                   window=l4.window, options=opts)
    elif type(l4) is UDP:
        p /= S_UDP(sport=l4.sport, dport=l4.dport)
    elif type(l4) is ICMP:
        p /= S_ICMP(type=l4.type, code=l4.code, id=l4.id, seq=l4.seq)
    if pkt.load:
        p /= Raw(load=PAYLOAD_BYTE * pkt.load)
    return p


def mptcp_bytes(opt: MptcpOption) -> bytes:
    """The bytes of an MPTCP option after kind and length (RFC 8684 section 3): the v1
    handshake -- MP_CAPABLE with no key on the SYN, the server's key on the SYN+ACK, both
    keys on the third ACK (flag H, HMAC-SHA256, and no checksums: Linux's default); MP_JOIN
    with the server's token and a nonce on the SYN, a truncated HMAC and a nonce on the
    SYN+ACK, the full HMAC on the third ACK; MP_CAPABLE with keys and data-level length on
    the client's first data -- then DSS with a 4-byte data ACK and a mapping (4-byte DSN
    counted from the sender's IDSN, relative subflow sequence number, data-level length)."""
    if type(opt) is MpCapable:
        out = b"\x01\x01"
        for key in (opt.sender_key, opt.receiver_key):
            if key is not None:
                out += key.to_bytes(8, "big")
        if opt.data_level_length is not None:   # the first data: keys and data-level length
            out += opt.data_level_length.to_bytes(2, "big")
        return out
    if type(opt) is MpJoin:
        if opt.token is not None:               # SYN: token, nonce
            return b"\x10\x01" + opt.token.to_bytes(4, "big") + opt.nonce.to_bytes(4, "big")
        if opt.nonce is not None:               # SYN+ACK: truncated HMAC, nonce
            return b"\x10\x01" + opt.hmac[:8] + opt.nonce.to_bytes(4, "big")
        return b"\x10\x00" + opt.hmac[:20]     # third ACK: the HMAC
    dack, mapping = opt.data_ack, opt.mapping
    flags = (0x01 if dack is not None else 0) | (0x04 if mapping else 0)
    out = bytes([0x20, flags])
    if dack is not None:
        out += dack.to_bytes(4, "big")
    if mapping:         # one mapping per option: a segment's first (in practice its only) one
        dsn, length = mapping[0]
        out += (dsn.to_bytes(4, "big") + (opt.subflow_seq & 0xFFFFFFFF).to_bytes(4, "big")
                + length.to_bytes(2, "big"))
    return out


def to_bytes(pkt: Packet) -> bytes:
    return _bytes_of(type(pkt.l4), pkt)


@functools.lru_cache(maxsize=4096)
def _bytes_of(l4_type: type, pkt: Packet) -> bytes:
    """A packet's bytes, kept by packet: a record is an immutable value, and a replay asks for
    the same one several times (its step's pane, the next step's "before", the pcapng), at
    about 0.5 ms of scapy each.  Keyed with the layer-4 type: records of two types may be
    equal tuples."""
    return bytes(to_scapy(pkt))


# -- pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html) ------------

def option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def block(btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def _shb() -> bytes:
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    body += option(4, b"1 + 1 < 1 simulator (sim.pcap)") + option(0, b"")
    return block(0x0A0D0D0A, body)


def _idb(name: str, description: str) -> bytes:
    body = struct.pack("<HHI", LINKTYPE_RAW, 0, 0)
    body += option(2, name.encode()) + option(3, description.encode())
    body += option(9, bytes([6])) + option(0, b"")          # if_tsresol: microseconds
    return block(1, body)


def _epb(ifid: int, t_us: int, data: bytes, comment: str) -> bytes:
    body = struct.pack("<IIIII", ifid, t_us >> 32, t_us & 0xFFFFFFFF, len(data), len(data))
    body += data + b"\x00" * (-len(data) % 4)
    body += option(1, comment.encode()) + option(0, b"")
    return block(6, body)


def hops(result) -> list:
    """(event index, event) of every hop: frame n of the pcapng is hops(result)[n-1]."""
    return [(i, e) for i, e in enumerate(result.events) if e.ev is Ev.HOP]


def pcapng_bytes(result, indices=None) -> bytes:
    """The hops of ``result`` (or of the trace ``indices`` given) as a pcapng: one
    interface per link, each frame commented ``event i: from > to``."""
    links = list(result.net.links.values())
    ifid = {l.name: k for k, l in enumerate(links)}
    out = [_shb()]
    for l in links:
        out.append(_idb(l.name, " <-> ".join(i.label for i in l.ifaces)))
    events = result.events
    chosen = hops(result) if indices is None else [(i, events[i]) for i in indices
                                                   if events[i].ev is Ev.HOP]
    for i, e in chosen:
        out.append(_epb(ifid[e.node], e.t, to_bytes(e.pkt), f"event {i}: {e.from_} > {e.to}"))
    return b"".join(out)


def write_pcapng(result, path: str) -> int:
    """Write every hop of ``result`` to ``path``; returns the number of frames."""
    from ._io import atomic_write
    atomic_write(path, pcapng_bytes(result))      # complete or not at all
    return len(hops(result))
