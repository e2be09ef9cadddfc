"""Real bytes: packet records to scapy packets, and the trace to a pcapng file.

The pcapng has one interface per link (named after the link, so Wireshark's
"interface" column says where a packet was seen) and frame *n* is hop *n*
of the trace, stamped with the simulated time and commented with the hop.
Checksums are computed from the final fields, so they are right after NAT
rewrote addresses and ports.  The bytes are put together here (``to_bytes``),
the same bytes scapy builds (``to_scapy``, which the packet panes dissect).

scapy is imported here only, lazily: ``import sim`` stays light.
"""
from __future__ import annotations

import functools
import struct

from .packet import ECHO_REPLY, ECHO_REQUEST, ICMP, TCP, UDP, MpCapable, MpJoin, MptcpOption, Packet
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
        if l4.wscale is not None:       # RFC 7323's Window Scale, after a NOP (as Linux sends it)
            opts = [("NOP", None), ("WScale", l4.wscale)]
        if l4.mptcp:        # RFC 8684 option 30
            opts.append((30, mptcp_bytes(l4.mptcp)))
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
    """A packet's bytes on the wire: IPv4 and its TCP, UDP or ICMP echo header, checksums
    computed, then ``load`` zero bytes -- the bytes scapy builds from ``to_scapy(pkt)``
    (``tests/test_pcap.py`` checks every packet of every scenario against it), put together
    here with ``struct`` in a few microseconds, where scapy takes about half a millisecond
    (a 10 MB download's capture: 43,000 packets)."""
    ip, l4 = pkt.ip, pkt.l4
    t = type(l4)
    load = pkt.load
    src, dst = _addr(ip.src), _addr(ip.dst)
    if t is TCP:
        opts = b""
        if l4.wscale is not None:                       # NOP, Window Scale (RFC 7323 2.2)
            opts = bytes((1, 3, 3, l4.wscale))
        if l4.mptcp:                                    # RFC 8684 option 30, padded with zeros
            value = mptcp_bytes(l4.mptcp)
            opts += bytes((30, 2 + len(value))) + value
            opts += b"\x00" * (-len(opts) % 4)
        n = 20 + len(opts)
        head = _TCP_HDR.pack(l4.sport, l4.dport, l4.seq, l4.ack, n << 2, _tcp_flags(l4.flags), l4.window,
                             0, 0) + opts
        l4b = head[:16] + _csum(_pseudo(src, dst, 6, n + load) + head).to_bytes(2, "big") + head[18:]
        proto = 6
    elif t is UDP:
        n = 8 + load
        ck = _csum(_pseudo(src, dst, 17, n) + _UDP_HDR.pack(l4.sport, l4.dport, n, 0)) or 0xFFFF   # RFC 768
        l4b, proto = _UDP_HDR.pack(l4.sport, l4.dport, n, ck), 17
    elif t is ICMP and l4.type in (ECHO_REQUEST, ECHO_REPLY):
        ck = _csum(_ICMP_ECHO.pack(l4.type, l4.code, 0, l4.id, l4.seq))
        l4b, proto = _ICMP_ECHO.pack(l4.type, l4.code, ck, l4.id, l4.seq), 1
    else:                                               # (no other packet is made: scapy's bytes)
        return bytes(to_scapy(pkt))
    total = 20 + len(l4b) + load
    head = _IP_HDR.pack(0x45, ip.tos, total, ip.id, 0, ip.ttl, proto, 0, src, dst)
    return (head[:10] + _csum(head).to_bytes(2, "big") + head[12:]) + l4b + b"\x00" * load


# The headers' layouts (network byte order); the Internet checksum (RFC 1071) of a header.  A
# packet's payload is zero bytes, which add nothing to a checksum: only its length counts.
_IP_HDR = struct.Struct("!BBHHHBBH4s4s")      # version+IHL, TOS, length, id, flags+fragment, TTL, proto, sum
_TCP_HDR = struct.Struct("!HHIIBBHHH")        # ports, seq, ack, data offset, flags, window, sum, urgent
_UDP_HDR = struct.Struct("!HHHH")
_ICMP_ECHO = struct.Struct("!BBHHH")
_FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}


@functools.lru_cache(maxsize=64)
def _tcp_flags(letters: str) -> int:
    return sum(_FLAG_BITS[c] for c in set(letters))


@functools.lru_cache(maxsize=256)
def _addr(dotted: str) -> bytes:
    return bytes(int(x) for x in dotted.split("."))


def _pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The IPv4 pseudo-header TCP's and UDP's checksums cover (RFC 9293 3.1, RFC 768)."""
    return src + dst + struct.pack("!BBH", 0, proto, length)


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# -- pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html) ------------
#
# The project's one pcapng writer: a simulator run's capture (below), a kernel capture's replay
# (``sim.view.capture.Captured.pcapng_bytes``) and the kernel lab's merged capture
# (``sim.kernel.capture.pcapng_bytes``) are one section header, an interface per link and a
# packet block per frame, made by ``shb``, ``idb`` and ``epb``.

LINKTYPE_ETHERNET = 1         # the kernel lab's veth frames
SHB_TYPE, IDB_TYPE, EPB_TYPE = 0x0A0D0D0A, 1, 6


def option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def block(btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def shb(userappl: str, comments=()) -> bytes:
    """The Section Header Block: byte-order magic, version 1.0, section length unknown (-1);
    one opt_comment per comment, then the writer (shb_userappl)."""
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    body += b"".join(option(1, c.encode()) for c in comments)
    body += option(4, userappl.encode()) + option(0, b"")
    return block(SHB_TYPE, body)


def idb(name: str, description: str = "", linktype: int = LINKTYPE_RAW, snaplen: int = 0) -> bytes:
    """An Interface Description Block: its link type and snap length (0: none), if_name,
    if_description (left out when empty), if_tsresol of microseconds."""
    body = struct.pack("<HHI", linktype, 0, snaplen) + option(2, name.encode())
    if description:
        body += option(3, description.encode())
    body += option(9, bytes([6])) + option(0, b"")
    return block(IDB_TYPE, body)


def epb(ifid: int, t_us: int, data: bytes, wire_len: int | None = None, comment: str = "") -> bytes:
    """An Enhanced Packet Block: interface ``ifid``, the timestamp in µs, the bytes captured and
    the packet's length on the wire (``wire_len``, all of ``data`` when None); an opt_comment
    when ``comment`` is given, else no options."""
    body = struct.pack("<IIIII", ifid, t_us >> 32, t_us & 0xFFFFFFFF, len(data),
                       len(data) if wire_len is None else wire_len)
    body += data + b"\x00" * (-len(data) % 4)
    if comment:
        body += option(1, comment.encode()) + option(0, b"")
    return block(EPB_TYPE, body)


def how_to_read(link: str, wscale: int = 0) -> str:
    """How to read a merged capture, for a Wireshark user (the SHB says it, chapter 1 too); a run
    whose window is above 65535 bytes (``--rwnd``) sends RFC 7323's Window Scale option,
    shift ``wscale``."""
    options = ("MPTCP's (no MSS, SACK_PERM, timestamps or window scaling)" if not wscale else
               f"MPTCP's and the SYNs' Window Scale (shift {wscale}: the window is above 65535 bytes; no "
               f"MSS, SACK_PERM or timestamps)")
    return (f"Every hop is its own frame: a packet appears once per link it crosses, so Wireshark's TCP "
            f"analysis flags the copies as retransmissions and duplicate ACKs. To read one link, write "
            f"its frames to a file of their own and open that (a display filter alone hides the copies "
            f"but keeps their flags): tshark -r THIS -Y 'frame.interface_name == \"{link}\"' -w "
            f"{link}.pcapng, or in Wireshark that filter, then File > Export Specified Packets "
            f"(displayed). The simulated TCP puts no options on the wire but {options} "
            f"and never sets DF.")


def _comments(result, links: list) -> list[str]:
    """The section's comments: the scenario and every parameter of the run, and how to read it
    (none for a kernel capture's frames, a ``sim.view.capture.Captured``: not a simulator run)."""
    from .scenarios import full_params_text
    if result.is_capture:
        return []
    server = "remote1_link" if any(l.name == "remote1_link" for l in links) else links[-1].name
    from .tcp import window_scale
    return [f"scenario {result.scenario}: {full_params_text(result.params, result.scenario)}",
            how_to_read(server, window_scale(result.params.rwnd))]


def hops(result) -> list:
    """(event index, event) of every hop: frame n of the pcapng is hops(result)[n-1]."""
    return [(i, e) for i, e in enumerate(result.events) if e.ev is Ev.HOP]


def pcapng_blocks(result, indices=None):
    """The hops of ``result`` (or of the trace ``indices`` given) as pcapng blocks, one after
    another: one interface per link, each frame commented ``event i: from > to``.  Written as
    they come, a large capture never sits whole in memory."""
    links = list(result.net.links.values())
    ifid = {l.name: k for k, l in enumerate(links)}
    yield shb("1 + 1 < 1 simulator (sim.pcap)", _comments(result, links))
    for l in links:
        yield idb(l.name, " <-> ".join(i.label for i in l.ifaces))
    events = result.events
    chosen = hops(result) if indices is None else [(i, events[i]) for i in indices
                                                   if events[i].ev is Ev.HOP]
    for i, e in chosen:
        yield epb(ifid[e.node], e.t, to_bytes(e.pkt), comment=f"event {i}: {e.from_} > {e.to}")


def pcapng_bytes(result, indices=None) -> bytes:
    """``pcapng_blocks`` as one bytes object (a replay's capture, a download)."""
    return b"".join(pcapng_blocks(result, indices))


def write_pcapng(result, path: str) -> int:
    """Write every hop of ``result`` to ``path``; returns the number of frames."""
    from ._io import atomic_open
    with atomic_open(path, "wb") as f:            # complete or not at all
        f.writelines(pcapng_blocks(result))
    return len(hops(result))


def tcp_option(ip: bytes, kind: int) -> bytes | None:
    """The value of TCP option ``kind`` (after kind and length) in the IPv4 packet ``ip``."""
    ihl = (ip[0] & 0x0F) * 4
    tcp = ip[ihl:ihl + (ip[ihl + 12] >> 4) * 4]
    i = 20
    while i < len(tcp):
        k = tcp[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(tcp) or tcp[i + 1] < 2:
            break
        n = tcp[i + 1]
        if k == kind:
            return bytes(tcp[i + 2:i + n])
        i += n
    return None
