"""A capture from the real kernel, replayed with the same views as the simulator.

The kernel lab (``sim.kernel``) writes one pcapng per run with one interface per
link, named as the simulator names its links (``lan``, ``uplink1``, ``peer1`` ...).
``captured(path, like)`` reads it back as a result the players accept: one
``hop`` event per captured frame, on the topology of ``like`` -- a simulator run of
the same scenario, which gives the nodes, links and addresses.  A capture shows
only what crossed the links: no route cache, conntrack or drop events, so the
router's tables stay as the simulator would have them, and a packet the router
dropped is simply never seen on an uplink.

Each hop keeps its frame's captured bytes (``CapturedHop``: the IPv4 packet as far as the
capture's snap length kept it, its length on the wire, its capture timestamp): the packet
pane, its hexdump and the replay's pcapng download show those, with the DF bit, the TCP
options and the window field as Linux sent them.  The simulator's record of each packet
(``pkt``: addresses, ports, flags, the raw window field, the payload's length) is what the
ladder, the router's tables and the comparison of steps read.

    k = captured("book/data/kernel/perpacket-masquerade.pcapng", sim.run("echo"))
    Compare(k, sim.run("echo"), labels=("Linux 6.18", "simulator"))
"""
from __future__ import annotations

import os
import struct
from typing import NamedTuple

from ..packet import ICMP, IP, TCP, UDP, Packet
from ..pcap import LINKTYPE_ETHERNET, epb, idb, shb, tcp_option
from ..trace import Hop

RANK = ("local", "router", "provider", "internet", "remote")
ETH_HDR = 14                   # the captures' frames are Ethernet (LINKTYPE_ETHERNET, 1)


class CaptureError(ValueError):
    """A file that is not a pcapng of the kernel lab; the message names it."""


class Frame(NamedTuple):
    """One captured frame: its interface's name, its timestamp (µs since the epoch), the
    bytes captured, and the frame's length on the wire (more than ``len(data)`` when the
    snap length cut it)."""
    link: str
    t: int
    data: bytes
    wire_len: int


class Interface(NamedTuple):
    """An interface of the capture (its IDB): name, description, snap length."""
    name: str
    description: str
    snaplen: int


class CapturedHop(Hop):
    """A hop read from a capture: ``pkt`` is the simulator's record of the packet; ``raw``
    the IPv4 packet as captured (cut at the snap length), ``wire_len`` its length on the
    wire, ``stamp`` the capture's timestamp (µs since the epoch)."""
    __slots__ = ("raw", "wire_len", "stamp")

    def __init__(self, t, node, pkt, from_, to, raw: bytes, wire_len: int, stamp: int):
        super().__init__(t, node, pkt, from_, to)
        self.raw, self.wire_len, self.stamp = raw, wire_len, stamp


class Captured:
    """A kernel capture as the views take a result: ``events`` (a ``CapturedHop`` per frame),
    ``net``, ``scenario`` and ``params`` of ``like``, and the answers to what the views ask
    of a run (``sim.result.Result``'s section "views") for its capture."""

    is_capture = True       # a packet's bytes are as captured, cut at the snap length
    records_nat = False     # hops alone: model.Analysis finds a translated packet's arrival itself

    def __init__(self, path: str, like, events: list, kernel: str, interfaces: list | None = None):
        self.path = path
        self.like = like
        self.net = like.net
        self.params = like.params
        self.scenario = like.scenario
        self.events = events
        self.kernel = kernel
        self.interfaces = interfaces or [Interface(n, "", 0) for n in dict.fromkeys(e.node for e in events)]
        self.wscale = window_scales(e.raw for e in events)

    @property
    def download_stem(self) -> str:
        """The downloads' file name without its extension: the capture's (it has no seed)."""
        return os.path.splitext(os.path.basename(self.path))[0]

    def params_line(self) -> str:
        """Its file: its set-up is the lab's (the chapter names it), not the simulator run's."""
        return f"the kernel lab's capture {os.path.basename(self.path)}, replayed on the simulator's network"

    def packet_bytes(self, e) -> bytes:
        """Hop ``e``'s IPv4 packet as captured (cut at the snap length)."""
        return e.raw

    def wire_len(self, e) -> int:
        """Hop ``e``'s packet's length on the wire (more than it captured when cut)."""
        return e.wire_len

    def window_shift(self, e) -> int | None:
        """The window scale shift of the TCP segment of hop ``e`` (RFC 7323 2.2-2.3): its
        sender's Window Scale option, when both SYNs of its connection carried one; 0
        when they did not; None for a SYN (its window is never scaled), for anything but
        TCP, or when the capture holds no SYN of its connection."""
        raw = e.raw
        key = _tcp_key(raw)
        if key is None or _tcp_flags(raw) & 0x02:
            return None
        mine, theirs = self.wscale.get(key), self.wscale.get((key[2], key[3], key[0], key[1]))
        if mine is None or theirs is None:
            return None
        return mine if mine >= 0 and theirs >= 0 else 0

    def pcapng_bytes(self, indices=None) -> bytes:
        """The hops of trace ``indices`` (all by default) as a pcapng of the captured bytes:
        the capture's interfaces (names and descriptions) and timestamps, each frame's IPv4
        packet as captured (its Ethernet header left out: LINKTYPE_RAW) with its length on
        the wire, commented ``event i: from > to`` as the simulator's replays are."""
        ifid = {i.name: k for k, i in enumerate(self.interfaces)}
        out = [shb("1 + 1 < 1 kernel lab capture (sim.view.capture)",
                   [f"{self.kernel}: the IPv4 packets of {self.path}, as captured (Ethernet headers left out)"])]
        out += [idb(i.name, i.description, snaplen=max(0, i.snaplen - ETH_HDR)) for i in self.interfaces]
        events = self.events
        for k in (range(len(events)) if indices is None else indices):
            e = events[k]
            out.append(epb(ifid[e.node], e.stamp, e.raw, e.wire_len, f"event {k}: {e.from_} > {e.to}"))
        return b"".join(out)

    def summary_text(self) -> list[str]:
        links = sorted({e.node for e in self.events})
        return [f"captured on {self.kernel}: {len(self.events)} frames on {', '.join(links)}",
                f"  ({self.path}; topology and addresses as in the simulator's {self.scenario!r})"]


def read_pcapng(path: str, interfaces: list | None = None) -> tuple[list[Frame], str]:
    """Every packet (a ``Frame``: link name, µs since the epoch, the bytes captured, its
    length on the wire), and the capture's comment; ``interfaces``, a list, gets the
    capture's ``Interface``s appended."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CaptureError(f"cannot read capture {path!r}: {e.strerror}") from None
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        raise CaptureError(f"{path!r} is not a pcapng file")
    ifaces, out, comment, off = [] if interfaces is None else interfaces, [], "", 0
    per_us = []                                 # each interface's timestamp units per µs
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            raise CaptureError(f"{path!r} is truncated at byte {off}")
        body = data[off + 8:off + blen - 4]
        if btype == 0x0A0D0D0A:
            opts = _options(body[16:])
            comment = opts.get(1, opts.get(4, b"")).decode(errors="replace")
        elif btype == 1:
            linktype, _, snaplen = struct.unpack_from("<HHI", body)
            opts = _options(body[8:])
            if linktype != LINKTYPE_ETHERNET:
                raise CaptureError(f"{path!r} has an interface of link type {linktype}: "
                                   f"the kernel lab's captures are Ethernet (1)")
            tsresol = opts.get(9, b"\x06")[0]
            if tsresol & 0x80 or tsresol < 6:
                raise CaptureError(f"{path!r} has timestamps in units of {tsresol & 0x7F} "
                                   f"({'binary' if tsresol & 0x80 else 'decimal'}) digits: "
                                   f"allowed are decimal units of a microsecond or finer")
            per_us.append(10 ** (tsresol - 6))
            ifaces.append(Interface(opts.get(2, b"?").decode(errors="replace"),
                                    opts.get(3, b"").decode(errors="replace"), snaplen))
        elif btype == 6:
            ifid, hi, lo, caplen, wire_len = struct.unpack_from("<IIIII", body)
            if ifid >= len(ifaces):
                raise CaptureError(f"{path!r} has a packet on interface {ifid} before that interface")
            out.append(Frame(ifaces[ifid].name, ((hi << 32) | lo) // per_us[ifid],
                             body[20:20 + caplen], wire_len))
        off += blen
    return out, comment


def _options(b: bytes) -> dict[int, bytes]:
    opts, i = {}, 0
    while i + 4 <= len(b):
        code, n = struct.unpack_from("<HH", b, i)
        if code == 0:
            break
        opts[code] = b[i + 4:i + 4 + n]
        i += 4 + n + (-n % 4)
    return opts


def window_scales(packets) -> dict[tuple, int]:
    """{(src, sport, dst, dport): the Window Scale option's shift count in that sender's SYN,
    or -1 for a SYN without one} of the TCP SYNs among the IPv4 ``packets``."""
    out = {}
    for ip in packets:
        key = _tcp_key(ip)
        if key is None or not _tcp_flags(ip) & 0x02:
            continue
        ws = tcp_option(ip, 3)
        out[key] = ws[0] if ws else -1
    return out


def _tcp_key(ip: bytes) -> tuple | None:
    if len(ip) < 20 or ip[9] != 6:
        return None
    ihl = (ip[0] & 0x0F) * 4
    if len(ip) < ihl + 20:
        return None
    sport, dport = struct.unpack_from("!HH", ip, ihl)
    return (bytes(ip[12:16]), sport, bytes(ip[16:20]), dport)


def _tcp_flags(ip: bytes) -> int:
    return ip[(ip[0] & 0x0F) * 4 + 13]


def to_packet(frame: bytes) -> Packet | None:
    """An Ethernet frame's IPv4 packet as the simulator's record (payload as a length)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total, ident, ttl, proto = struct.unpack_from("!H H 2x B B", ip, 2)
    src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
    hdr = IP(src, dst, ttl, ident, ip[1])
    l4 = ip[ihl:]
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq, ack, off, fl, win = struct.unpack_from("!HHIIBBH", l4)
        flags = "".join(c for bit, c in ((1, "F"), (2, "S"), (4, "R"), (8, "P"), (16, "A")) if fl & bit)
        return Packet(hdr, TCP(sport, dport, seq, ack, flags, win), total - ihl - (off >> 4) * 4)
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack_from("!HH", l4)
        return Packet(hdr, UDP(sport, dport), total - ihl - 8)
    if proto == 1 and len(l4) >= 8:
        typ, code, _, ident_, seq = struct.unpack_from("!BBHHH", l4)
        return Packet(hdr, ICMP(typ, code, ident_, seq), total - ihl - 8)
    return None


def _rank(node: str) -> int:
    return next((k for k, p in enumerate(RANK) if node.startswith(p)), len(RANK))


def _ends(net, link: str, pkt: Packet) -> tuple[str, str]:
    """(from, to) labels: the packet goes toward the end nearer its destination."""
    ifaces = net.links[link].ifaces
    for i in ifaces:                           # the destination itself is on this link
        if i.addr == pkt.ip.dst:
            to = i
            break
    else:                                      # else toward the Internet, or back toward the LAN
        inward = pkt.ip.dst.startswith("192.168.") or any(
            i.addr == pkt.ip.dst for i in net["router"].ifaces.values())
        to = min(ifaces, key=_rank_of) if inward else max(ifaces, key=_rank_of)
    senders = [i for i in ifaces if i is not to]
    frm = next((i for i in senders if i.addr == pkt.ip.src), None) or \
        (max(senders, key=_rank_of) if _rank_of(to) < max(map(_rank_of, senders)) else min(senders, key=_rank_of))
    return frm.label, to.label


def _rank_of(iface) -> int:
    return _rank(iface.label.split(":")[0])


def captured(path: str, like) -> Captured:
    """The kernel lab's capture at ``path`` as a replayable result on ``like``'s topology."""
    interfaces: list[Interface] = []
    frames, comment = read_pcapng(path, interfaces)
    if not frames:
        raise CaptureError(f"{path!r} holds no packets")
    unknown = sorted({f.link for f in frames} - set(like.net.links))
    if unknown:
        raise CaptureError(f"{path!r} has links {unknown} that {like.scenario!r} does not: "
                           f"it has {', '.join(like.net.links)}")
    t0 = min(f.t for f in frames)
    events = []
    for f in sorted(frames, key=lambda f: f.t):
        pkt = to_packet(f.data)
        if pkt is not None:
            total = struct.unpack_from("!H", f.data, ETH_HDR + 2)[0]     # the IP packet, not the padding
            events.append(CapturedHop(f.t - t0, f.link, pkt, *_ends(like.net, f.link, pkt),
                                      raw=f.data[ETH_HDR:ETH_HDR + total], wire_len=total, stamp=f.t))
    return Captured(path, like, events, comment or "the real kernel", interfaces)
