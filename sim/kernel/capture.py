"""Capture every link of the lab with tcpdump, merge into one pcapng, read packets back.

One tcpdump per link, on one end of its veth pair (a veth end sees both
directions); the merged pcapng has one interface per link named as in the
simulator's capture (``lan``, ``uplink1``, ``peer1``, ``remote1_link`` ...),
so Wireshark's interface column says where a packet was seen.  Frames are
Ethernet (the lab's links are veth), ordered by capture time.

Which end is captured: ``lan`` on the switch's bridge (every LAN frame once),
``uplink<k>`` on the router's ``if<k>`` (what the router sent, even if the
provider drops it), ``peer<k>`` on the Internet's ``p<k>`` (what the provider
let through), ``remote<k>_link`` on the remote host's ``eth0``.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import time
from typing import NamedTuple

from ..pcap import LINKTYPE_ETHERNET, epb, idb, shb, tcp_option
from .lab import Lab, LabError

SNAPLEN = 256                  # headers and a little payload: small files for the book
DRAIN_DEADLINE = 30.0          # s every capture gets to write what it saw (Capture.stop)
MARK_ETHERTYPE = 0x88B5        # IEEE 802 local experimental: the marker frames that end a capture
MARK_MAGIC = b"1p1lt1 capture mark "



def _signal_name(n: int) -> str:
    """SIGTERM for 15; "signal 35" for a number with no name (a real-time signal)."""
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"

class Frame(NamedTuple):
    t_us: int
    link: str
    data: bytes
    orig_len: int


class Pkt(NamedTuple):
    """One IPv4 packet seen on a link: who sent it on that link, and its header fields
    (scapy's names)."""
    t_us: int
    link: str
    sender: str                # "router:if1" ...: the end that put it on the link
    src: str
    dst: str
    proto: int
    id: int
    sport: int                 # TCP/UDP ports; for ICMP echo both are the echo id
    dport: int
    flags: str                 # TCP flags as scapy's letters (FSRPA), "" otherwise
    seq: int                   # TCP seq, or ICMP echo seq
    ack: int
    load: int                  # L4 payload length (from the IP total length)
    type: int = -1             # ICMP type
    code: int = -1             # ICMP code
    mptcp: bool = False        # TCP option 30 present


class Capture:
    """``with Capture(lab, workdir) as cap: ...``; then ``cap.frames`` and ``cap.packets``."""

    def __init__(self, lab: Lab, workdir: str):
        if shutil.which("tcpdump") is None:
            raise LabError("capturing needs tcpdump: apt-get install tcpdump")
        self.lab, self.dir = lab, workdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.frames: list[Frame] = []
        self.packets: list[Pkt] = []

    def __enter__(self) -> "Capture":
        self.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.stop()
        else:                       # the run failed or was stopped: nothing will read the capture
            self._end(check=False, read=False)

    def _file(self, link: str) -> str:
        return os.path.join(self.dir, f"{link}.pcap")

    def start(self) -> None:
        for l in self.lab.links:
            node, dev = l.capture
            self.procs[l.name] = self.lab.popen(
                node, "tcpdump", "-i", dev, "-w", self._file(l.name), "-U", "-s", str(SNAPLEN),
                "-Z", "root", "--immediate-mode", stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 5
        for name, p in self.procs.items():       # "listening on": the capture is open
            buf = b""
            while b"listening on" not in buf:
                left = deadline - time.monotonic()
                r, _, _ = select.select([p.stderr], [], [], max(left, 0))
                if not r:
                    raise LabError(f"tcpdump on {name} did not start: {buf.decode(errors='replace')}")
                chunk = os.read(p.stderr.fileno(), 4096)
                if not chunk:
                    raise LabError(f"tcpdump on {name} failed: {buf.decode(errors='replace')}")
                buf += chunk

    def stop(self) -> None:
        if not self.procs:
            return
        try:
            self._drain()
        except BaseException:
            self._end(check=False, read=False)
            raise
        self._end()

    def _drain(self) -> None:
        """Wait until every tcpdump has written all it saw.  On SIGTERM tcpdump leaves what
        is still in its ring buffer unwritten, and on a loaded machine it runs late: a
        fixed pause lost the last packets of a link (a packet seen on ``uplink1`` but not
        on ``peer1`` then looked like a drop by provider1).  So a marker frame is sent on
        every captured device, again every 0.2 s, and each capture is stopped once its file
        holds it: a packet capture keeps its order, everything before is written."""
        token = f"{os.getpid()}-{id(self)}-{time.monotonic_ns()}"
        needle = MARK_MAGIC + token.encode()
        socks = {}
        try:
            for name in self.procs:
                self._check_running(name)
            for l in self.lab.links:
                if l.name in self.procs:
                    node, dev = l.capture
                    sk = self.lab.socket(node, socket.AF_PACKET, socket.SOCK_RAW)
                    socks[l.name] = sk
                    try:
                        sk.bind((dev, 0))
                    except OSError:
                        pass                           # sending fails below: seen as down
            payload = needle.ljust(46, b"\0")
            waiting, seen = set(socks), {name: 0 for name in socks}
            deadline = time.monotonic() + DRAIN_DEADLINE
            next_mark = 0.0
            while waiting:
                if time.monotonic() >= next_mark:
                    for name in sorted(waiting):
                        try:
                            src = socks[name].getsockname()[4]
                            socks[name].send(b"\xff" * 6 + src + struct.pack("!H", MARK_ETHERTYPE)
                                             + payload)
                        except OSError:                 # the device is down: its capture is
                            waiting.discard(name)       # over, nothing more can come
                    next_mark = time.monotonic() + 0.2
                for name in sorted(waiting):
                    if self._holds(name, needle, seen):
                        waiting.discard(name)
                    else:
                        self._check_running(name)
                if waiting and time.monotonic() > deadline:
                    raise LabError(f"the capture of {', '.join(sorted(waiting))} did not catch "
                                   f"up in {DRAIN_DEADLINE:.0f} s (tcpdump starved of CPU?)")
                time.sleep(0.01)
        finally:
            for sk in socks.values():
                sk.close()

    def _check_running(self, name: str) -> None:
        """A tcpdump that ended before its marker frame came missed packets: the run's
        report would take them for drops.  (A device that goes down does not end it.)"""
        rc = self.procs[name].poll()
        if rc is None:
            return
        node, dev = next(l.capture for l in self.lab.links if l.name == name)
        how = (f"killed by {_signal_name(-rc)}" if rc < 0 else f"exit status {rc}")
        raise LabError(f"tcpdump -i {dev} in namespace {self.lab.ns(node)} ended during the run "
                       f"({how}): the capture of {name} is incomplete, so no result is reported")

    def _holds(self, name: str, needle: bytes, seen: dict) -> bool:
        """Has the capture file of ``name`` got ``needle``?  (Reads only what is new.)"""
        try:
            with open(self._file(name), "rb") as f:
                f.seek(max(0, seen[name] - len(needle)))
                data = f.read()
        except OSError:
            return False
        seen[name] = max(0, seen[name] - len(needle)) + len(data)
        return needle in data

    def _end(self, check: bool = True, read: bool = True) -> None:
        """Stop every tcpdump; ``read``: take in what they wrote (``frames``, ``packets``) --
        not when the run failed or was stopped, which then ends at once (parsing a long
        capture took seconds after a Ctrl-C)."""
        if not self.procs:
            return
        if not read:
            for p in self.procs.values():
                if p.poll() is None:
                    p.kill()
            for p in self.procs.values():
                try:
                    p.communicate(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            self.procs = {}
            return
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        self.stats = {}
        for name, p in self.procs.items():
            try:
                err = p.communicate(timeout=5)[1]
            except subprocess.TimeoutExpired:
                p.kill()
                err = p.communicate()[1]
            self.stats[name] = _tcpdump_stats(err.decode(errors="replace"))
        frames = []
        for name in self.procs:
            path = self._file(name)
            if os.path.exists(path):
                frames += [Frame(t, name, d, n) for t, d, n in read_pcap(path)
                           if not _is_mark(d)]
        frames.sort(key=lambda f: f.t_us)
        lost = {n: st["dropped"] for n, st in self.stats.items() if st.get("dropped")}
        if lost and check:
            self.procs = {}
            raise LabError("the capture lost packets (tcpdump's buffer was full): " + ", ".join(
                f"{n} {k}" for n, k in sorted(lost.items())))
        self.frames = frames
        self.packets = [p for p in (parse(f, self.lab.macs) for f in frames) if p is not None]
        self.procs = {}


def _is_mark(d: bytes) -> bool:
    return d[12:14] == struct.pack("!H", MARK_ETHERTYPE) and d[14:].startswith(MARK_MAGIC)


def _tcpdump_stats(err: str) -> dict:
    """tcpdump's closing report: packets captured (written), received by filter (handed to
    it by the kernel), dropped by kernel (its buffer was full)."""
    out = {}
    for key, pat in (("captured", r"(\d+) packets? captured"),
                     ("received", r"(\d+) packets? received by filter"),
                     ("dropped", r"(\d+) packets? dropped by kernel")):
        m = re.search(pat, err)
        if m:
            out[key] = int(m.group(1))
    return out


# -- pcap in, pcapng out --------------------------------------------------------------------

def read_pcap(path: str) -> list[tuple[int, bytes, int]]:
    """(µs timestamp, captured bytes, original length) of every record of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        us = sec * 1_000_000 + (frac // 1000 if nano else frac)
        out.append((us, data[off:off + incl], orig))
        off += incl
    return out


def pcapng_bytes(links: list, frames: list[Frame]) -> bytes:
    """One interface per link (name = link, description = its ends and where it was
    captured), the Ethernet frames as captured, each on its link's interface."""
    ifid = {l.name: k for k, l in enumerate(links)}
    out = [shb("1 + 1 < 1 kernel lab (sim.kernel)")]
    out += [idb(l.name, " <-> ".join(f"{n}:{d}" for n, d in l.ends) + f" (captured on {':'.join(l.capture)})",
                LINKTYPE_ETHERNET, SNAPLEN) for l in links]
    out += [epb(ifid[f.link], f.t_us, f.data, f.orig_len) for f in frames]
    return b"".join(out)


# -- parsing --------------------------------------------------------------------------------

_FLAG_LETTERS = ((0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "A"))


def _ip(b: bytes) -> str:
    return ".".join(map(str, b))


def parse(f: Frame, macs: dict) -> Pkt | None:
    d = f.data
    if len(d) < 34 or d[12:14] != b"\x08\x00":
        return None
    sender = macs.get(":".join(f"{x:02x}" for x in d[6:12]), "?")
    ip = d[14:]
    ihl = (ip[0] & 0x0F) * 4
    total, ipid = struct.unpack("!HH", ip[2:6])
    proto = ip[9]
    src, dst = _ip(ip[12:16]), _ip(ip[16:20])
    l4 = ip[ihl:]
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq, ack, off, fl = struct.unpack("!HHIIBB", l4[:14])
        thl = (off >> 4) * 4
        flags = "".join(c for bit, c in _FLAG_LETTERS if fl & bit)
        mptcp = tcp_option(ip, 30) is not None          # RFC 8684's option kind
        return Pkt(f.t_us, f.link, sender, src, dst, 6, ipid, sport, dport, flags, seq, ack,
                   total - ihl - thl, mptcp=mptcp)
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack("!HH", l4[:4])
        return Pkt(f.t_us, f.link, sender, src, dst, 17, ipid, sport, dport, "", 0, 0,
                   total - ihl - 8)
    if proto == 1 and len(l4) >= 8:
        typ, code, _, iid, iseq = struct.unpack("!BBHHH", l4[:8])
        return Pkt(f.t_us, f.link, sender, src, dst, 1, ipid, iid, iid, "", iseq, 0,
                   total - ihl - 8, type=typ, code=code)
    return Pkt(f.t_us, f.link, sender, src, dst, proto, ipid, 0, 0, "", 0, 0, total - ihl)


#: RFC 792's (and RFC 1812's) names of the ICMP messages a router or host here may send
_ICMP_TYPES = {3: "destination unreachable", 4: "source quench", 5: "redirect", 11: "time exceeded",
               12: "parameter problem"}
_UNREACHABLE = {0: "net unreachable", 1: "host unreachable", 2: "protocol unreachable",
                3: "port unreachable", 4: "fragmentation needed", 9: "net administratively prohibited",
                10: "host administratively prohibited", 13: "communication administratively prohibited"}


def icmp_kind(typ: int, code: int) -> str:
    """An ICMP message other than an echo in words: "destination unreachable (host unreachable)"."""
    kind = _ICMP_TYPES.get(typ, f"type {typ}")
    if typ == 3 and code in _UNREACHABLE:
        return f"{kind} ({_UNREACHABLE[code]})"
    return kind if code in (0, -1) and typ in _ICMP_TYPES else f"{kind}, code {code}"


def fmt(p: Pkt, t0: int = 0) -> str:
    """A tcpdump-like line, as the simulator prints hops."""
    t = (p.t_us - t0) / 1e6
    where = f"{p.link:<13} {p.sender:<15}"
    if p.proto == 6:
        what = (f"IP {p.src}.{p.sport} > {p.dst}.{p.dport}: Flags [{p.flags}], seq {p.seq}, "
                f"ack {p.ack}, length {p.load}" + (" mptcp" if p.mptcp else ""))
    elif p.proto == 1:
        if p.type in (0, 8):
            kind = "echo request" if p.type == 8 else "echo reply"
            what = f"IP {p.src} > {p.dst}: ICMP {kind}, id {p.sport}, seq {p.seq}, length {p.load}"
        else:                   # an error (or another message): no echo's id and seq to show
            what = f"IP {p.src} > {p.dst}: ICMP {icmp_kind(p.type, p.code)}, length {p.load}"
    else:
        what = f"IP {p.src}.{p.sport} > {p.dst}.{p.dport}: proto {p.proto}, length {p.load}"
    return f"{t:9.6f} {where} {what}"
