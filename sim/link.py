"""Interfaces and links: bandwidth, propagation delay, a drop-tail queue, counters.

As in Linux, the transmit queue belongs to the sending device: each
interface serialises its own packets onto the link at the link's rate in
its direction, holds at most ``qlen`` packets waiting, and drops the rest
("queue full").  A link joins two interfaces (or several, for a LAN
segment, where the next-hop address picks the receiver).
"""
from __future__ import annotations

from collections import deque

from .trace import Drop, Ev


class Interface:
    """A network device: ``router:if1`` with address 100.0.0.1/24."""

    __slots__ = ("node", "name", "label", "addr", "prefixlen", "link", "bandwidth",
                 "busy_until", "backlog", "qlen", "tx_packets", "tx_bytes",
                 "rx_packets", "rx_bytes", "tx_dropped", "ingress_allow")

    def __init__(self, node, name: str, addr: str, prefixlen: int = 24):
        self.node = node
        self.name = name
        self.label = f"{node.name}:{name}"
        self.addr = addr
        self.prefixlen = prefixlen
        self.link: Link | None = None
        self.bandwidth = 0          # bit/s in the direction away from this interface
        self.busy_until = 0
        self.backlog: deque = deque()
        self.qlen = 64
        self.tx_packets = self.tx_bytes = self.rx_packets = self.rx_bytes = self.tx_dropped = 0
        self.ingress_allow = None   # None: no filter; else the set of allowed source addresses/prefixes

    def xmit(self, pkt, nexthop: str) -> None:
        """Queue ``pkt`` for the neighbour that owns ``nexthop`` on this link."""
        link, sim = self.link, self.node.sim
        now = sim.now
        backlog = self.backlog
        while backlog and backlog[0] <= now:
            backlog.popleft()
        if len(backlog) >= self.qlen:
            self.tx_dropped += 1
            sim.trace.emit(Ev.DROP, self.node.name, pkt, Drop.QUEUE_FULL)
            return
        peer = link.peer(self, nexthop)
        if peer is None:
            sim.trace.emit(Ev.DROP, self.node.name, pkt, Drop.NO_ROUTE)
            return
        size = pkt.wire_len()
        start = self.busy_until if self.busy_until > now else now
        self.busy_until = done = start + (size * 8_000_000) // self.bandwidth
        backlog.append(done)
        self.tx_packets += 1
        self.tx_bytes += size
        sim.at(done + link.delay - now, link.arrive, self, peer, pkt)

    def __repr__(self) -> str:
        return f"<{self.label} {self.addr}/{self.prefixlen}>"


class Link:
    """A wire between interfaces; ``delay`` in µs, ``bandwidth`` per direction in bit/s."""

    __slots__ = ("name", "ifaces", "delay", "by_addr")

    def __init__(self, name: str, ifaces: list[Interface], delay: int):
        self.name = name
        self.ifaces = ifaces
        self.delay = delay
        self.by_addr = {i.addr: i for i in ifaces}
        for i in ifaces:
            i.link = self

    def peer(self, src: Interface, nexthop: str) -> Interface | None:
        if len(self.ifaces) == 2:
            a, b = self.ifaces
            return b if src is a else a
        return self.by_addr.get(nexthop)

    def arrive(self, src: Interface, dst: Interface, pkt) -> None:
        sim = dst.node.sim
        sim.trace.emit(Ev.HOP, self.name, pkt, src.label, dst.label)
        dst.rx_packets += 1
        dst.rx_bytes += pkt.wire_len()
        dst.node.receive(pkt, dst)
