"""Real bytes: packet records to scapy packets, and the trace to a pcapng file.

The pcapng has one interface per link (named after the link, so Wireshark's
"interface" column says where a packet was seen, with the link's speed and the
device it is captured on: the router's, where the router is at one end); a frame
is a hop of the trace, stamped as tcpdump on that device would stamp it, in
simulated time on a fixed date (``START``), and commented with its event and,
on a packet's last hop, its drop (``Capture``); the frames are in time order.
The section header names the simulator's version and the run's parameters.  A frame is the IPv4 packet with
no link-layer header (``LINKTYPE_RAW``): the simulated network has no MAC
addresses, and a Linux router's PPP uplink has no Ethernet header either.
Checksums are computed from the final fields, so they are right after NAT
rewrote addresses and ports.  The bytes are put together here (``to_bytes``),
the same bytes scapy builds (``to_scapy``, which the packet panes dissect).

scapy is imported here only, lazily: ``import sim`` stays light.
"""
from __future__ import annotations

import functools
import struct
import time

from . import __version__
from .packet import ECHO_REPLY, ECHO_REQUEST, ICMP, TCP, UDP, MpCapable, MpJoin, MptcpOption, Packet
from .trace import Ev

LINKTYPE_RAW = 101            # raw IPv4, no link-layer header
#: Time 0 of a run on the capture's clock: midnight UTC on 22 March 2002, the day the equalize
#: patch the book reads was posted to the Linux kernel mailing list.  A fixed date, so that the
#: same parameters and seed give the same file; midnight, so that a frame's time of day in UTC
#: is its time in the trace (1970-01-01, the clock's own zero, reads as a clock never set).
#: Seconds since the epoch (``tests/test_pcap_reads.py`` checks the date; ``datetime`` would
#: cost the command line's start 10 ms).
START = 1_016_755_200
START_US = START * 1_000_000
START_TEXT = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(START))
#: the section header's shb_userappl: what wrote the file, and which version of it
WRITER = f"1 + 1 < 1 simulator {__version__} (sim.pcap)"
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


def idb(name: str, description: str = "", linktype: int = LINKTYPE_RAW, snaplen: int = 0,
        speed: int | None = None, txspeed: int | None = None, rxspeed: int | None = None) -> bytes:
    """An Interface Description Block: its link type and snap length (0: none), if_name,
    if_description (left out when empty), if_speed (bit/s, when given), if_tsresol of
    microseconds, if_txspeed and if_rxspeed (bit/s, when given: a line whose two directions
    differ, which the format says with these two and no if_speed)."""
    body = struct.pack("<HHI", linktype, 0, snaplen) + option(2, name.encode())
    if description:
        body += option(3, description.encode())
    if speed is not None:
        body += option(8, struct.pack("<Q", speed))
    body += option(9, bytes([6]))
    for code, value in ((16, txspeed), (17, rxspeed)):
        if value is not None:
            body += option(code, struct.pack("<Q", value))
    return block(IDB_TYPE, body + option(0, b""))


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
    return (f"Every hop is its own frame: a packet appears once per link it crosses, so Wireshark's TCP "
            f"analysis flags the copies as retransmissions and duplicate ACKs. To read one link, write "
            f"its frames to a file of their own and open that (a display filter alone hides the copies "
            f"but keeps their flags): tshark -r THIS -Y 'frame.interface_name == \"{link}\"' -w "
            f"{link}.pcapng, or in Wireshark that filter, then File > Export Specified Packets "
            f"(displayed); or take that link alone with --pcap-link {link}. " + tcp_options(wscale))


def tcp_options(wscale: int = 0) -> str:
    """What the simulated TCP puts on the wire, for the section header."""
    options = ("MPTCP's (no MSS, SACK_PERM, timestamps or window scaling)" if not wscale else
               f"MPTCP's and the SYNs' Window Scale (shift {wscale}: the window is above 65535 bytes; no "
               f"MSS, SACK_PERM or timestamps)")
    return f"The simulated TCP puts no options on the wire but {options} and never sets DF."


def clock_note() -> str:
    """What the frames' timestamps are, for the section header."""
    return (f"Time 0 of the run (the trace's 0.000000) is {START_TEXT} on this file's "
            f"clock, a fixed date, so the same parameters and seed give the same file; a frame's time of "
            f"day in UTC is its time in the trace (tshark -t u; in Wireshark, View > Time Display Format > "
            f"UTC Time of Day). Each link's frames are stamped on one device, named in its interface's "
            f"description (the router's, where the router is at one end), as tcpdump there would stamp "
            f"them: a frame coming in when it has arrived, a frame going out when it starts onto the "
            f"wire (after its wait in the queue); the frames are in time order, and each frame's comment "
            f"names its event in the trace. To move the clock: editcap -t SECONDS.")


def _comments(result, links: list) -> list[str]:
    """The section's comments: the scenario and every parameter of the run; how to read it, and
    what its clock says (none for a kernel capture's frames, a ``sim.view.capture.Captured``:
    not a simulator run)."""
    from .scenarios import full_params_text
    if result.is_capture:
        return []
    server = "remote1_link" if any(l.name == "remote1_link" for l in links) else links[-1].name
    from .tcp import window_scale
    head = f"scenario {result.scenario}: {full_params_text(result.params, result.scenario)}"
    if len(links) == 1:                 # --pcap-link with one link: each packet once, nothing to split
        return [head, f"The frames of one link, {links[0].name}: each packet that crossed it appears "
                      f"once. " + tcp_options(window_scale(result.params.rwnd)) + " " + clock_note()]
    return [head, how_to_read(server, window_scale(result.params.rwnd)) + " " + clock_note()]


def _rate(bits: int) -> str:
    """A line's rate as the command line's options give it: ``512 kbit/s``, ``2000 kbit/s``,
    ``1234567 kbit/s``; ``100 Mbit/s`` from 10 Mbit/s up, in whole megabits."""
    if bits >= 10_000_000 and bits % 1_000_000 == 0:
        return f"{bits // 1_000_000} Mbit/s"
    return f"{bits // 1000} kbit/s" if bits % 1000 == 0 else f"{bits / 1000} kbit/s"


def link_interface(link) -> bytes:
    """The Interface Description Block of ``link``: named as the link (``uplink1``), described
    by its ends, its speed and the device its frames are captured on (``capture_end``, as
    the kernel lab's captures say it: ``(captured on router:if1)``), and the speed in the block's options: if_speed when every end
    sends at one rate, else if_txspeed and if_rxspeed as the first end (the router, on an
    uplink) sends and receives, which Wireshark 4.0 shows only in the description (``512
    kbit/s out of router:if1, 2000 kbit/s into it``)."""
    ends = " <-> ".join(i.label for i in link.ifaces)
    rates = [i.bandwidth for i in link.ifaces]
    bundled = f"{len(link.members)} lines bundled (PPP Multilink), " if link.bundle else ""
    where = f" (captured on {capture_end(link).label})"
    if len(set(rates)) == 1:
        return idb(link.name, f"{ends}{where}, {bundled}{_rate(rates[0])}", speed=rates[0])
    if len(rates) == 2:
        first = link.ifaces[0].label
        return idb(link.name, f"{ends}{where}, {bundled}{_rate(rates[0])} out of {first}, {_rate(rates[1])} into it",
                   txspeed=rates[0], rxspeed=rates[1])
    return idb(link.name, ends + where)     # (no such link: every LAN's ends send at one rate)


def hops(result) -> list:
    """(event index, event) of every hop, in the trace's order (the order the packets reached
    the far end of their links): frame n of the pcapng is the n-th of them in capture order
    (``frame_order``), and every frame's comment names its event."""
    return [(i, e) for i, e in enumerate(result.events) if e.ev is Ev.HOP]


#: the node whose devices a capture is taken on, where it is at one end of a link
CAPTURE_NODE = "router"


def capture_label(link) -> str:
    """``capture_end``'s ``node:dev``."""
    return capture_end(link).label


def capture_end(link):
    """The interface a link's frames are captured on, as tcpdump there would take them: the
    router's device on a link with the router at one end, else the link's first end (the one
    nearer the router in every topology: ``provider1:core`` on ``peer1``, ``internet:r1`` on
    ``remote1_link``)."""
    return next((i for i in link.ifaces if i.node.name == CAPTURE_NODE), link.ifaces[0])


def _key(pkt) -> tuple:
    """A packet, whatever a router did to its TTL."""
    ip, l4 = pkt.ip, pkt.l4
    t = type(l4)
    if t is TCP:
        return (ip.src, ip.dst, ip.id, 6, pkt.load, l4.sport, l4.dport, l4.seq, l4.ack, l4.flags)
    if t is UDP:
        return (ip.src, ip.dst, ip.id, 17, pkt.load, l4.sport, l4.dport)
    return (ip.src, ip.dst, ip.id, 1, pkt.load, getattr(l4, "type", None), getattr(l4, "seq", None))


def _ends_keys(pkt) -> tuple:
    """Two keys for a packet that NAT may have rewritten at a node: one without its
    destination (SNAT changed the source), one without its source (DNAT changed the
    destination); a port is left out where NAT may change it."""
    k = _key(pkt)
    rest = k[2:5] + k[7:]
    ports = len(k) > 7 and k[3] != 1
    return (("s", k[0], k[5] if ports else None) + rest, ("d", k[1], k[6] if ports else None) + rest)


class Capture:
    """Where and when each hop of a run is captured, and what became of its packet: one
    pass over the trace (read only).

    ``stamp[i]``: hop i's timestamp in µs of the run, as tcpdump on its link's capture end
    (``capture_end``) stamps it: when it has arrived, for a frame coming in (the trace's
    time of the hop); when it starts onto the wire, for a frame going out -- Linux hands an
    outgoing packet to its taps (``dev_queue_xmit_nit()``, from ``dev_hard_start_xmit()``)
    as it gives it to the driver, after its wait in the queue: the hop's time less the link's
    delay and the frame's serialization time (``size * 8e6 // bandwidth`` µs, as
    ``sim.link`` computes it).  A bundle of lines (PPP Multilink) has no such queue: the
    bundle's device takes a packet as the router sends it, before the member lines' own
    queues, so a frame going out of it is stamped at the router's last event for that packet.
    A frame between two other ends of a LAN (which a switch would not show the router) is
    stamped when it arrives.

    ``note[i]``: what the frame's comment adds: the drop of its packet after this, its last
    hop (``dropped at router (event 25): nat oif changed; ...``), or that a router's own
    stack made the packet (``router's stack: no socket -> RST``)."""

    def __init__(self, result):
        self.stamp: dict[int, int] = {}
        self.note: dict[int, str] = {}
        self.captured = result.is_capture
        if self.captured:           # a kernel capture's frames (``sim.view.capture``): its own stamps and order
            self.stamp = {i: e.t for i, e in hops(result)}
            return
        links = result.net.links
        end = {name: capture_end(l) for name, l in links.items()}
        routers = {n for n, node in result.net.nodes.items() if type(node).__name__ == "Router"}
        bundled = any(l.bundle for l in links.values())
        # a run with no drop (its summary says) needs no packet's keys for them: the pass is cheaper
        dropping = bool(result.summary.get("drops_at", True))
        last_in: dict[tuple, int] = {}         # (node, ends key) -> the last hop into node
        last_at: dict[tuple, int] = {}         # (node, packet) -> its last event's time there
        ct_gone: dict[str, list] = {}          # node -> the conntrack entries it just deleted
        answer: dict[str, str] = {}            # router -> why its stack sends its next packet
        first_out: dict[tuple, str] = {}       # (router, packet) -> its stack's note
        for i, e in enumerate(result.events):
            ev = e.ev
            if ev is Ev.HOP:
                link = links[e.node]
                cap = end[e.node].label
                t = e.t
                if e.from_ == cap and e.to != cap:
                    if link.bundle:
                        t = last_at.get((cap.split(":")[0], _key(e.pkt)), t)
                    else:
                        dev = end[e.node]
                        t -= link.delay + (e.pkt.wire_len() * 8_000_000) // dev.bandwidth
                self.stamp[i] = t
                if dropping:
                    node = e.to.split(":")[0]
                    for k in _ends_keys(e.pkt):
                        last_in[node, k] = i
                sender = e.from_.split(":")[0]
                why = first_out.pop((sender, _key(e.pkt)), None) if first_out else None
                if why is not None:
                    self.note[i] = why
                continue
            node = e.node
            if bundled and e.pkt is not None and node in routers:
                last_at[node, _key(e.pkt)] = e.t
            if ev is Ev.CT_DEL:
                gone = ct_gone.setdefault(node, [])
                if gone and gone[0][0] != e.t:
                    gone.clear()
                gone.append((e.t, i, e))
            elif ev is Ev.DROP:
                hop = max((last_in.get((node, k), -1) for k in _ends_keys(e.pkt)), default=-1)
                if hop >= 0:
                    text = f"dropped at {node} (event {i}): {e.reason}"
                    gone = ct_gone.get(node, ())
                    if str(e.reason) == "nat oif changed" and gone and gone[0][0] == e.t:
                        text += "".join(f"; ct {c.ct} deleted there ({c.reason}, event {k})" for _, k, c in gone)
                    self.note[hop] = text
                if node in routers and str(e.reason) == "reset":
                    answer[node] = f"{node}'s stack: no socket -> RST (answering event {i})"
            elif ev is Ev.DELIVER and node in routers and type(e.pkt.l4) is ICMP:
                answer[node] = f"{node}'s stack: echo reply (answering event {i})"
            elif ev is Ev.SEND and node in routers:
                first_out[node, _key(e.pkt)] = answer.pop(node, f"{node}'s stack (event {i})")

    def order(self, indices) -> list[int]:
        """The hops ``indices`` in capture order: by timestamp, then by event (every
        interface's frames in time order, as a pcapng reader expects)."""
        stamp = self.stamp
        if self.captured:
            return list(indices)
        return sorted(indices, key=lambda i: (stamp[i], i))


def link_captures(steps) -> list[tuple[str, str]]:
    """(link name, the interface its frames are captured on, ``capture_end``'s ``node:dev``) of
    every link the network's ``steps`` (``sim.topology.describe``) make, in their order: what
    ``--pcap-link`` may name, known before the run."""
    out = []
    for step in steps:
        if step[0] == "link":
            ends = [e[:2] for e in step[2]]
        elif step[0] == "bundle":
            ends = [step[2][:2], step[3][:2]]
        else:
            continue
        node, dev = next((e for e in ends if e[0] == CAPTURE_NODE), ends[0])
        out.append((step[1], f"{node}:{dev}"))
    return out


def pick_links(given: str, captures: list[tuple[str, str]], network: str = "this network") -> list[str] | str:
    """The links ``--pcap-link given`` names (comma-separated; each a link's name, ``uplink1``,
    or the interface it is captured on, ``router:if1``, or a router device's name, ``if1``,
    as ``tcpdump -i if1`` on the router takes it), in the network's order; or why not, one
    line naming the bad value and what is allowed."""
    names = {}
    for name, where in captures:
        names[name.lower()] = names[where.lower()] = name
        node, dev = where.split(":")
        if node == CAPTURE_NODE:
            names[dev.lower()] = name
    chosen = set()
    for word in given.split(","):
        w = word.strip().lower()
        if w not in names:
            allowed = ", ".join(f"{n} ({w_})" for n, w_ in captures)
            shown = word.strip() or given
            return (f"--pcap-link {shown!r}: no such link in {network}; allowed (comma-separated): "
                    f"{allowed}, or the router's device alone (if1)")
        chosen.add(names[w])
    return [n for n, _ in captures if n in chosen]


def frame_order(result) -> list[int]:
    """The event index of every frame of ``result``'s pcapng, in order."""
    cap = Capture(result)
    return cap.order(list(cap.stamp))


def pcapng_blocks(result, indices=None, links=None):
    """The hops of ``result`` (or of the trace ``indices`` given) as pcapng blocks, one after
    another: one interface per link (or per link named in ``links``, and only their frames:
    ``--pcap-link``), each frame stamped ``START`` + its time of capture (``Capture``) and
    commented ``event i: from > to`` (and its packet's fate, ``Capture.note``), the frames in
    time order.  Written as they come, a large capture's bytes never sit whole in memory."""
    every = list(result.net.links.values())
    shown = every if links is None else [l for l in every if l.name in links]
    ifid = {l.name: k for k, l in enumerate(shown)}
    yield shb(WRITER, _comments(result, shown))
    for l in shown:
        yield link_interface(l)
    events = result.events
    cap = Capture(result)
    chosen = list(cap.stamp) if indices is None else [i for i in indices if i in cap.stamp]
    if links is not None:
        chosen = [i for i in chosen if events[i].node in ifid]
    note = cap.note
    for i in cap.order(chosen):
        e = events[i]
        comment = f"event {i}: {e.from_} > {e.to}"
        if i in note:
            comment += f"; {note[i]}"
        yield epb(ifid[e.node], START_US + cap.stamp[i], to_bytes(e.pkt), comment=comment)


def pcapng_bytes(result, indices=None) -> bytes:
    """``pcapng_blocks`` as one bytes object (a replay's capture, a download)."""
    return b"".join(pcapng_blocks(result, indices))


def write_pcapng(result, path: str, links=None) -> int:
    """Write every hop of ``result`` (on the ``links`` named, or every link) to ``path``;
    returns the number of frames."""
    from ._io import atomic_open
    with atomic_open(path, "wb") as f:            # complete or not at all
        f.writelines(pcapng_blocks(result, links=links))
    return sum(1 for _, e in hops(result) if links is None or e.node in links)


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
