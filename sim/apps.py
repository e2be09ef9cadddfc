"""Applications on the hosts: a bulk download (with keep-alive requests and an optional
read timeout), ping, UDP echo, the measured echo experiment, and MPTCP (RFC 8684 v1:
handshake, DSS mappings and data ACKs, re-injection).

Each records what a user would measure: when the connection was
established, how many bytes arrived, when the download finished.
"""
from __future__ import annotations

import hashlib
import hmac

from .trace import Ev

REQUEST = 100        # bytes of a request ("GET /redhat.iso")


class WebServer:
    """Answers every ``REQUEST``-byte request with ``size`` bytes; closes when the client does."""

    def __init__(self, host, port: int, size: int):
        self.host = host
        self.size = size
        self.children = []
        host.listen(port, self._accept)

    def _accept(self, conn) -> None:
        self.children.append(conn)
        got = [0]

        def on_data(c, n):
            got[0] += n
            while got[0] >= REQUEST:
                got[0] -= REQUEST
                c.write(self.size)
        conn.on_data = on_data
        conn.on_fin = lambda c: c.close()


class Download:
    """A client fetching ``size`` bytes ``requests`` times over one connection,
    ``think`` µs apart (an idle gap between requests).  With a ``timeout`` (µs) it gives
    up, like a socket read timeout, when no data has come for that long, and closes."""

    def __init__(self, host, server: str, port: int, size: int, start: int,
                 requests: int = 1, think: int = 0, label: str = "", timeout: int = 0):
        self.host = host
        self.server = server
        self.port = port
        self.size = size
        self.requests = requests
        self.think = think
        self.label = label
        self.start = start
        self.timeout = timeout
        self.timed_out = False
        self.last_data = 0
        self.conn = None
        self.done_at: int | None = None
        self.request_done_at: list[int] = []
        host.sim.at(start, self._go)

    def _go(self) -> None:
        c = self.conn = self.host.connect(self.server, self.port)
        c.on_established = self._established
        c.on_data = self._data
        c.on_fin = lambda c: c.close()

    def _established(self, c) -> None:
        c.write(REQUEST)
        if self.timeout:
            self.last_data = self.host.sim.now
            self.host.sim.at(self.timeout, self._check)

    def _check(self) -> None:
        sim = self.host.sim
        if self.done_at is not None or self.conn.state == "CLOSED":
            return
        if sim.now - self.last_data < self.timeout:
            sim.at(self.last_data + self.timeout - sim.now, self._check)
            return
        self.timed_out = True
        sim.trace.emit(Ev.APP, self.host.name, None, "read timeout: gives up and closes",
                       self.conn.bytes_received)
        self.conn.close()

    def _data(self, c, n) -> None:
        sim = self.host.sim
        self.last_data = sim.now
        while len(self.request_done_at) < self.requests and c.bytes_received >= self.size * (len(self.request_done_at) + 1):
            self.request_done_at.append(sim.now)
            sim.trace.emit(Ev.APP, self.host.name, None, "response complete", self.size)
            if len(self.request_done_at) < self.requests:
                sim.at(self.think, c.write, REQUEST)
            else:
                self.done_at = sim.now
                sim.trace.emit(Ev.APP, self.host.name, None, "download complete",
                               self.size * self.requests)
                c.close()

    @property
    def bytes(self) -> int:
        return self.conn.bytes_received if self.conn else 0


class Pinger:
    """``ping -c count -i interval``: one ICMP id, seq 1..count."""

    def __init__(self, host, dst: str, count: int, interval: int, ident: int = 1, start: int = 0):
        self.host = host
        self.dst = dst
        self.count = count
        self.ident = ident
        self.sent: dict[int, int] = {}
        self.replies: dict[int, int] = {}        # seq -> rtt µs
        host.ping_handlers[ident] = self._reply
        for s in range(1, count + 1):
            host.sim.at(start + (s - 1) * interval, self._send, s)

    def _send(self, seq: int) -> None:
        self.sent[seq] = self.host.sim.now
        self.host.ping(self.dst, self.ident, seq)

    def _reply(self, pkt) -> None:
        seq = pkt.l4.seq
        if seq in self.sent and seq not in self.replies:
            self.replies[seq] = self.host.sim.now - self.sent[seq]


class UdpEcho:
    """An echo server (port 7) on ``server`` and a client sending ``count`` datagrams."""

    def __init__(self, client, server, count: int, interval: int, sport: int = 5353, load: int = 64,
                 start: int = 0):
        self.client = client
        self.sent = 0
        self.received = 0
        server.udp[7] = lambda p: server.send_udp(p.ip.src, 7, p.l4.sport, p.load)
        client.udp[sport] = self._reply
        for i in range(count):
            client.sim.at(start + i * interval, self._send, server.addr, sport, load)

    def _send(self, dst, sport, load) -> None:
        self.sent += 1
        self.client.send_udp(dst, sport, 7, load)

    def _reply(self, pkt) -> None:
        self.received += 1


class EchoServer:
    """A TCP echo server: every byte received is written back."""

    def __init__(self, host, port: int = 7):
        self.host = host
        self.children = []
        host.listen(port, self._accept)

    def _accept(self, conn) -> None:
        self.children.append(conn)
        conn.on_data = lambda c, n: c.write(n)
        conn.on_fin = lambda c: c.close()


class EchoClient:
    """One connection sending ``messages`` messages of ``size`` bytes, each after
    the echo of the one before has come back (the measured experiment of
    fidelity.md 3b: ten 1000-byte messages)."""

    def __init__(self, host, server: str, port: int, messages: int, size: int, start: int = 0):
        self.host = host
        self.server = server
        self.messages = messages
        self.size = size
        self.start = start
        self.sent = 0
        self.conn = None
        self.done_at: int | None = None
        host.sim.at(start, self._go, server, port)

    def _go(self, server, port) -> None:
        c = self.conn = self.host.connect(server, port)
        c.on_established = self._next
        c.on_data = self._data

    def _next(self, c) -> None:
        self.sent += 1
        c.write(self.size)

    def _data(self, c, n) -> None:
        if c.bytes_received < self.size * self.sent:
            return
        sim = self.host.sim
        sim.trace.emit(Ev.APP, self.host.name, None, f"echo {self.sent} of {self.messages} back",
                       self.size)
        if self.sent < self.messages:
            self._next(c)
        else:
            self.done_at = sim.now
            c.close()

    @property
    def echoed(self) -> int:
        return self.conn.bytes_received // self.size if self.conn else 0


def _pieces(maps: list, off: int, n: int) -> tuple:
    """The (dsn, length) pieces of subflow bytes ``off``..``off + n`` under ``maps``
    (a list of (subflow offset, dsn, length) in offset order)."""
    out = []
    end = off + n
    for m_off, dsn, length in maps:
        if m_off + length <= off:
            continue
        if m_off >= end:
            break
        a, b = max(off, m_off), min(end, m_off + length)
        out.append((dsn + a - m_off, b - a))
    return tuple(out)


class _DataReceiver:
    """The receiving end of the data level: which DSNs have arrived on any subflow; the
    data ACK is the first one missing.  A byte that comes twice (re-injected) counts once."""

    def __init__(self):
        self.maps: dict = {}                # subflow -> {offset: pieces} from the DSS options
        self.got: list = []                 # sorted, merged [start, end) DSN ranges
        self.data_ack = 0                   # relative: 0 is the peer's first data byte
        self.base = None                    # the peer's IDSN + 1 (from its key), low 32 bits

    def mapping(self, c, pkt, pieces=None) -> None:
        """Record where the data of segment ``pkt`` sits (its DSS mapping, or ``pieces``:
        (relative DSN, length) the caller knows otherwise)."""
        opt = pkt.l4.mptcp
        if pieces is None:
            if opt[0] != "dss" or not opt[2] or not pkt.load or self.base is None:
                return
            pieces = tuple(((dsn - self.base) & 0xFFFFFFFF, n) for dsn, n in opt[2])
        off = c._unwrap(pkt.l4.seq, c.rcv_nxt) - (c.irs + 1)
        self.maps.setdefault(c, {})[off] = pieces

    def ack(self) -> int | None:
        """The data ACK as it goes on the wire (the peer's numbering, low 32 bits)."""
        return None if self.base is None else (self.base + self.data_ack) & 0xFFFFFFFF

    def delivered(self, c, n: int) -> int:
        """``n`` more bytes of subflow ``c`` are in order: fold their DSNs in; returns how
        many bytes the data level gained."""
        a, b = c.bytes_received - n, c.bytes_received
        before = self.data_ack
        for off, pieces in list(self.maps.get(c, {}).items()):
            length = sum(k for _, k in pieces)
            if off + length <= a or off >= b:
                if off + length <= a:
                    del self.maps[c][off]
                continue
            pos = off
            for dsn, k in pieces:
                lo, hi = max(a, pos), min(b, pos + k)
                if lo < hi:
                    self._add(dsn + lo - pos, dsn + hi - pos)
                pos += k
        return self.data_ack - before

    def _add(self, lo: int, hi: int) -> None:
        got = self.got
        got.append([lo, hi])
        got.sort()
        merged = [got[0]]
        for r in got[1:]:
            if r[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], r[1])
            else:
                merged.append(r)
        self.got = merged
        if merged[0][0] <= self.data_ack:
            self.data_ack = max(self.data_ack, merged[0][1])


class MptcpServer:
    """The server side of MPTCP (RFC 8684), reduced to what the book needs.  Subflows are
    tied to a session by the token in their SYN's MP_JOIN option -- not by addresses,
    which NAT rewrites.  The session serves ``size`` bytes of data, spread over the subflows, each given
    more whenever it has room in its window.  Every byte gets a DSN; every data segment
    says in its DSS option which DSNs it carries.  When the data ACK has not moved for a
    retransmission timeout, the bytes a stalled subflow holds are re-injected into a
    subflow that still gets its ACKs (``__mptcp_retrans()`` in Linux); a subflow stale
    after ``STALE_LOSS_CNT`` RTOs gives up all it holds.  Not modelled: DATA_FIN (the
    subflows' FINs end the connection)."""

    def __init__(self, host, port: int, size: int):
        self.size = size
        self.sessions: dict[int, dict] = {}
        self.children = []
        self.host = host
        host.listen(port, self._accept)

    def _accept(self, c) -> None:
        """A SYN arrived (its SYN+ACK not sent yet): MP_CAPABLE starts a session, and the
        SYN+ACK carries the server's key; MP_JOIN with a known token joins one, and the
        SYN+ACK carries a truncated HMAC of both keys and both nonces."""
        self.children.append(c)
        opt = c.peer_syn_opt or ("plain",)
        rng = self.host.sim.rng
        if opt[0] == "capable":
            key = rng.randrange(1, 1 << 64)
            token = mptcp_token(key)
            c.syn_opt = ("capable-synack", key)
            s = self.sessions[token] = {"token": token, "key": key, "base": wire_dsn(key, 0),
                                        "subflows": [c], "dsn_next": 0,
                                        "data_una": 0, "wanted": 0, "maps": {}, "rtx": None,
                                        "last_progress": 0, "reinjected": 0, "acked_at": {},
                                        "rx": _DataReceiver()}
        elif opt[0] == "join" and opt[1] in self.sessions and "client_key" in self.sessions[opt[1]]:
            # (a token whose connection is not fully established -- the third ACK, with the
            # client's key, not yet here -- is refused, as Linux refuses it)
            s = self.sessions[opt[1]]
            s["subflows"].append(c)
            nonce = rng.randrange(1 << 32)
            mac = mptcp_hmac(s["key"], s["client_key"], nonce, opt[2])
            c.syn_opt = ("join-synack", mac[:8], nonce)
        else:
            return                          # plain TCP or an unknown token: not ours to feed
        s["maps"][c] = []
        got = [0]

        def on_data(c, n):
            s["rx"].delivered(c, n)
            got[0] += n
            if got[0] >= REQUEST and not s["wanted"]:
                s["wanted"] = self.size
                s["last_progress"] = self.host.sim.now
            self._fill(s)

        def on_mp_opt(c, pkt):
            opt = pkt.l4.mptcp
            if opt[0] in ("capable-ack", "capable-data"):     # the client's key
                s["client_key"] = opt[1]
                s["rx"].base = wire_dsn(opt[1], 0)
                if opt[0] == "capable-data":                   # ... and its first data
                    s["rx"].mapping(c, pkt, ((0, opt[3]),))
                return
            if opt[0] != "dss":
                return
            s["rx"].mapping(c, pkt)
            dack = opt[1]
            if dack is not None:
                rel = (dack - s["base"]) & 0xFFFFFFFF
                if s["data_una"] < rel <= s["dsn_next"]:
                    s["data_una"] = rel
                    s["last_progress"] = self.host.sim.now
        c.on_data = on_data
        c.on_mp_opt = on_mp_opt
        c.mp_opt = lambda c, seq, load: ("dss", s["rx"].ack(), tuple(
            ((s["base"] + dsn) & 0xFFFFFFFF, n) for dsn, n in _pieces(s["maps"][c], seq - (c.iss + 1), load))
            if load else (), seq - c.iss if load else 0)
        c.on_established = lambda c: self._fill(s)

        def on_acked(c):
            s["acked_at"][c] = self.host.sim.now
            self._fill(s)
        c.on_acked = on_acked
        c.on_fin = lambda c: c.close()

    def _write(self, s, sf, dsn: int, n: int) -> None:
        off = sf.data_end - (sf.iss + 1)
        s["maps"][sf].append((off, dsn, n))
        sf.write(n)

    def _fill(self, s) -> None:
        for sf in s["subflows"]:
            if s["dsn_next"] >= s["wanted"]:
                break
            if sf.state != "ESTABLISHED":
                continue
            room = sf.window - (sf.data_end - sf.snd_una)
            n = min(room, s["wanted"] - s["dsn_next"])
            if n > 0:
                self._write(s, sf, s["dsn_next"], n)
                s["dsn_next"] += n
        if s["data_una"] < s["dsn_next"] and s["rtx"] is None:
            s["rtx"] = self.host.sim.at(self._rto(s), self._retrans, s)

    @staticmethod
    def _rto(s) -> int:
        """The MPTCP-level timeout: the largest RTO of the subflows that are not stale
        (``mptcp_set_timeout()``)."""
        live = [sf.rto for sf in s["subflows"] if not _stale(sf)]
        return max(live) if live else 1_000_000

    def _retrans(self, s) -> None:
        """The MPTCP-level retransmission timer: no data ACK progress for an RTO, so the
        oldest unacknowledged data goes out again on a subflow that is still acknowledged."""
        sim = self.host.sim
        s["rtx"] = None
        if s["data_una"] >= s["dsn_next"]:
            return
        if all(sf.state == "CLOSED" for sf in s["subflows"]):
            return      # every subflow is gone (reset or given up): nothing left to send on
        idle = sim.now - s["last_progress"]
        rto = self._rto(s)
        if idle < rto:
            s["rtx"] = sim.at(rto - idle, self._retrans, s)
            return
        lo = max(s["data_una"], s["reinjected"])
        if lo >= s["dsn_next"]:
            lo = s["data_una"]              # re-injected already, still not acknowledged: again
        holder = next((sf for sf in s["subflows"] for off, dsn, k in s["maps"][sf]
                       if dsn <= lo < dsn + k), None)
        # a subflow that is not stale: its ACKs still come, or it has nothing outstanding
        live = [sf for sf in s["subflows"] if sf is not holder and sf.state == "ESTABLISHED"
                and (sim.now - s["acked_at"].get(sf, -rto) < rto or sf.snd_una >= sf.data_end)]
        if live:
            target = live[0]
            # a stale subflow (stale_loss_cnt RTOs without progress) gives up everything it
            # holds (__mptcp_retransmit_pending_data()); otherwise one window's worth
            hi = s["dsn_next"] if holder is not None and _stale(holder) else min(s["dsn_next"],
                                                                                lo + target.window)
            if hi > lo:
                sim.trace.emit(Ev.APP, self.host.name, None, "mptcp re-injects data", hi - lo)
                self._write(s, target, lo, hi - lo)
                s["reinjected"] = hi
        s["last_progress"] = sim.now
        s["rtx"] = sim.at(rto, self._retrans, s)


class MptcpDownload:
    """A client fetching ``size`` bytes over ``subflows`` subflows: the first with
    MP_CAPABLE, the others joining with the session's token from new source ports
    (one address, several ports: what a host behind the article's router can do).
    The download is complete when the data level has every byte, whichever subflow
    brought it."""

    def __init__(self, host, server: str, port: int, size: int, subflows: int, start: int = 0):
        self.host = host
        self.server = server
        self.port = port
        self.size = size
        self.n = subflows
        self.start = start
        self.key = host.sim.rng.randrange(1, 1 << 64)
        self.base = wire_dsn(self.key, 0)
        self.server_key = None
        self.subflows = []
        self.rx = _DataReceiver()
        self.done_at: int | None = None
        host.sim.at(start, self._go)

    def _go(self) -> None:
        c = self._open(("capable",))                # a v1 SYN carries no key
        c.on_established = self._established

    def _open(self, opt):
        c = self.host.connect(self.server, self.port, syn_opt=opt)
        c.on_data = self._data
        c.on_fin = lambda c: c.close()
        c.on_mp_opt = self._mp_opt_in
        third_ack = [True]

        def mp_opt(c, seq, load):
            peer = c.peer_syn_opt
            if third_ack[0]:                        # the handshake's last word
                third_ack[0] = False
                if opt[0] == "capable" and peer[:1] == ("capable-synack",):
                    self.server_key = peer[1]
                    self.rx.base = wire_dsn(peer[1], 0)
                    return ("capable-ack", self.key, peer[1])
                if opt[0] == "join" and peer[:1] == ("join-synack",):
                    return ("join-ack", mptcp_hmac(self.key, self.server_key, opt[2], peer[2]))
            if load and opt[0] == "capable" and seq == c.iss + 1 and self.rx.data_ack == 0:
                # the first data, before any data ACK: MP_CAPABLE again, keys and length
                return ("capable-data", self.key, self.server_key, load)
            # the request is the client's data: it, too, is mapped (the client writes only
            # once, on the first subflow, so its subflow bytes are its data bytes)
            return ("dss", self.rx.ack(), (((self.base + seq - (c.iss + 1)) & 0xFFFFFFFF, load),)
                    if load else (), seq - c.iss if load else 0)
        c.mp_opt = mp_opt
        self.subflows.append(c)
        return c

    def _established(self, c) -> None:
        c.write(REQUEST)

    def _mp_opt_in(self, c, pkt) -> None:
        """A DSS from the server: the first one says the third ACK arrived -- the connection
        is fully established, and only then does the path manager open the other subflows
        (``mptcp_pm_fully_established()``)."""
        if pkt.l4.mptcp[0] != "dss":
            return
        self.rx.mapping(c, pkt)
        if len(self.subflows) == 1 and self.server_key is not None and self.n > 1:
            for _ in range(self.n - 1):
                self._open(("join", mptcp_token(self.server_key), self.host.sim.rng.randrange(1 << 32)))

    def _data(self, c, n) -> None:
        self.rx.delivered(c, n)
        if self.done_at is None and self.bytes >= self.size:
            self.done_at = self.host.sim.now
            self.host.sim.trace.emit(Ev.APP, self.host.name, None, "download complete", self.bytes)
            for sf in self.subflows:
                sf.close()

    @property
    def bytes(self) -> int:
        """Bytes of the connection's data in order at the data level."""
        return self.rx.data_ack


STALE_LOSS_CNT = 4          # net.mptcp.stale_loss_cnt: RTOs without progress make a subflow stale


def _stale(sf) -> bool:
    return sf.state != "ESTABLISHED" or sf.retries >= STALE_LOSS_CNT


def wire_dsn(key: int, rel: int) -> int:
    """Data sequence number ``rel`` (0: the first data byte) as it goes on the wire: from
    the IDSN, the least significant 64 bits of SHA-256(key) (RFC 8684 3.1), plus one,
    in the 4 bytes of a DSS option without the 'm' flag."""
    idsn = int.from_bytes(hashlib.sha256(key.to_bytes(8, "big")).digest()[-8:], "big")
    return (idsn + 1 + rel) & 0xFFFFFFFF


def mptcp_token(key: int) -> int:
    """RFC 8684 3.2: the token is the most significant 32 bits of SHA-256(key)."""
    return int.from_bytes(hashlib.sha256(key.to_bytes(8, "big")).digest()[:4], "big")


def mptcp_hmac(key_a: int, key_b: int, nonce_a: int, nonce_b: int) -> bytes:
    """RFC 8684 3.2: HMAC-SHA256 keyed with ``key_a || key_b`` over ``nonce_a || nonce_b``
    (the SYN+ACK sends its first 64 bits, the third ACK all 160 it has room for)."""
    return hmac.new(key_a.to_bytes(8, "big") + key_b.to_bytes(8, "big"),
                    nonce_a.to_bytes(4, "big") + nonce_b.to_bytes(4, "big"), hashlib.sha256).digest()[:20]
