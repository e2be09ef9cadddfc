"""A capture from the real kernel, replayed with the same views as the simulator.

The kernel lab (``sim.kernel``) writes one pcapng per run with one interface per
link, named as the simulator names its links (``lan``, ``uplink1``, ``peer1`` ...).
``captured(path, like)`` reads it back as a result the players accept: one
``hop`` event per captured frame, on the topology of ``like`` -- a simulator run of
the same scenario, which gives the nodes, links and addresses.  A capture shows
only what crossed the links: no route cache, conntrack or drop events, so the
router's tables stay as the simulator would have them, and a packet the router
dropped is simply never seen on an uplink.

    k = captured("book/data/kernel/perpacket-masquerade.pcapng", sim.run("echo"))
    Compare(k, sim.run("echo"), labels=("Linux 6.18", "simulator"))
"""
from __future__ import annotations

import struct

from ..packet import ICMP, IP, TCP, UDP, Packet
from ..trace import Hop

RANK = ("local", "router", "provider", "internet", "remote")


class CaptureError(ValueError):
    """A file that is not a pcapng of the kernel lab; the message names it."""


class Captured:
    """What the views need of a result (``events``, ``net``, ``scenario``, ``params``)."""

    def __init__(self, path: str, like, events: list, kernel: str):
        self.path = path
        self.like = like
        self.net = like.net
        self.params = like.params
        self.scenario = like.scenario
        self.events = events
        self.kernel = kernel

    def summary_text(self) -> list[str]:
        links = sorted({e.node for e in self.events})
        return [f"captured on {self.kernel}: {len(self.events)} frames on {', '.join(links)}",
                f"  ({self.path}; topology and addresses as in the simulator's {self.scenario!r})"]


def read_pcapng(path: str) -> tuple[list[tuple[str, int, bytes]], str]:
    """(link name, µs, frame bytes) of every packet, and the capture's hardware/OS comment."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CaptureError(f"cannot read capture {path!r}: {e.strerror}") from None
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        raise CaptureError(f"{path!r} is not a pcapng file")
    names, out, comment, off = [], [], "", 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            raise CaptureError(f"{path!r} is truncated at byte {off}")
        body = data[off + 8:off + blen - 4]
        if btype == 0x0A0D0D0A:
            opts = _options(body[16:])
            comment = opts.get(1, opts.get(4, b"")).decode(errors="replace")
        elif btype == 1:
            names.append(_options(body[8:]).get(2, b"?").decode())
        elif btype == 6:
            ifid, hi, lo, caplen, _ = struct.unpack_from("<IIIII", body)
            out.append((names[ifid], (hi << 32) | lo, body[20:20 + caplen]))
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
    frames, comment = read_pcapng(path)
    if not frames:
        raise CaptureError(f"{path!r} holds no packets")
    unknown = sorted({link for link, _, _ in frames} - set(like.net.links))
    if unknown:
        raise CaptureError(f"{path!r} has links {unknown} that {like.scenario!r} does not: "
                           f"it has {', '.join(like.net.links)}")
    t0 = min(t for _, t, _ in frames)
    events = []
    for link, t, data in sorted(frames, key=lambda f: f[1]):
        pkt = to_packet(data)
        if pkt is not None:
            events.append(Hop(t - t0, link, pkt, *_ends(like.net, link, pkt)))
    return Captured(path, like, events, comment or "the real kernel")
