"""Applications on the hosts: a bulk download (with keep-alive requests and an optional
read timeout), ping, UDP echo and the measured echo experiment (MPTCP is ``sim.mptcp``).

Each records what a user would measure: when the connection was
established, how many bytes arrived, when the download finished.
"""
from __future__ import annotations

from .tcp import TcpState
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
        if self.done_at is not None or self.conn.state == TcpState.CLOSED:
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
        done = self.request_done_at
        # a response is complete once ``size`` more bytes have come (most calls: not yet)
        while c.bytes_received >= self.size * (len(done) + 1) and len(done) < self.requests:
            done.append(sim.now)
            sim.trace.emit(Ev.APP, self.host.name, None, "response complete", self.size)
            if len(done) < self.requests:
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
