"""Interfaces and links: bandwidth, propagation delay, a drop-tail queue, counters.

As in Linux, the transmit queue belongs to the sending device: each
interface serialises its own packets onto the link at the link's rate in
its direction, holds at most ``qlen`` packets waiting, and drops the rest
("queue full").  A link joins two interfaces (or several, for a LAN
segment, where the next-hop address picks the receiver).
"""
from __future__ import annotations

from collections import deque
from heapq import heappush

from .trace import _CHUNK5, Drop, Ev

_HOP, _DROP = Ev.HOP, Ev.DROP   # read once: on Python 3.11 every ``Ev.X`` is a slow lookup


class Interface:
    """A network device: ``router:if1`` with address 100.0.0.1/24."""

    __slots__ = ("node", "sim", "trace", "name", "label", "addr", "prefixlen", "link", "peer", "bandwidth",
                 "busy_until", "backlog", "qlen", "tx_packets", "tx_bytes",
                 "rx_packets", "rx_bytes", "tx_dropped", "ingress_allow", "up", "arrive", "rx")

    def __init__(self, node, name: str, addr: str, prefixlen: int = 24):
        self.node = node
        self.sim = node.sim
        self.trace = node.sim.trace
        self.name = name
        self.label = f"{node.name}:{name}"
        self.addr = addr
        self.prefixlen = prefixlen
        self.link: Link | None = None
        self.peer: Interface | None = None  # the other end of a point-to-point link (set by Link)
        self.bandwidth = 0          # bit/s in the direction away from this interface
        self.busy_until = 0
        self.backlog: deque = deque()
        self.qlen = 64
        self.tx_packets = self.tx_bytes = self.rx_packets = self.rx_bytes = self.tx_dropped = 0
        self.ingress_allow = None   # None: no filter; else the set of allowed source addresses/prefixes
        self.up = True              # carrier: a down device sends nothing and receives nothing
        # bound once, not per packet: the link's ``arrive``, which each packet sent here is
        # scheduled to (set by Link), and the node's input routine, which each packet received
        # here is handed to (``netif_receive_skb()`` -> ``ip_rcv()``)
        self.arrive = None
        self.rx = node.receive
        node.sim.devices.append(self)

    def xmit(self, pkt, nexthop: str, size: int = 0) -> bool:
        """Queue ``pkt`` for the neighbour that owns ``nexthop`` on this link; ``size``: its
        length on the wire if the caller knows it (a router forwards what it received, the
        same length), else 0.  False if its queue was full: the queueing discipline drops it
        and ``dev_queue_xmit()`` returns NET_XMIT_DROP, which a local sender's TCP hears (a
        packet lost otherwise -- the device down, no such neighbour -- goes unnoticed)."""
        sim = self.sim
        if not self.up:
            self.tx_dropped += 1
            sim.trace.emit(_DROP, self.node.name, pkt, Drop.LINK_DOWN)
            return True
        now = sim.now
        backlog = self.backlog          # when each packet queued here leaves, oldest first
        if len(backlog) >= self.qlen:
            # the packets already gone are forgotten only when the queue looks full (it holds
            # at most qlen times): it is full if those left still fill it
            while backlog and backlog[0] <= now:
                backlog.popleft()
            if len(backlog) >= self.qlen:
                self.tx_dropped += 1
                sim.trace.emit(_DROP, self.node.name, pkt, Drop.QUEUE_FULL)
                return False
        link = self.link
        peer = self.peer or link.by_addr.get(nexthop)    # on a LAN segment the next hop's owner
        if peer is None:
            sim.trace.emit(_DROP, self.node.name, pkt, Drop.NO_ROUTE)
            return True
        if not size:
            size = pkt.wire_len()
        self.tx_packets += 1
        self.tx_bytes += size
        if link.bundle:
            backlog.append(link.enqueue(self, peer, pkt, size, now))
            return True
        busy = self.busy_until
        self.busy_until = done = (busy if busy > now else now) + (size * 8_000_000) // self.bandwidth
        backlog.append(done)
        # sim.at(done + link.delay - now, link.arrive, self, peer, pkt, size), written out: once per hop
        sim._seq = seq = sim._seq + 1
        sim._live += 1
        heappush(sim._queue, [done + link.delay, seq, 1, self.arrive, (self, peer, pkt, size)])
        return True

    def next_room(self) -> int:
        """When this device's queue next has room: its oldest queued packet's departure."""
        now = self.sim.now
        return next((t for t in self.backlog if t > now), now)

    def __repr__(self) -> str:
        return f"<{self.label} {self.addr}/{self.prefixlen}>"


class Link:
    """A wire between interfaces; ``delay`` in µs, ``bandwidth`` per direction in bit/s."""

    __slots__ = ("name", "ifaces", "delay", "by_addr", "bundle")

    def __init__(self, name: str, ifaces: list[Interface], delay: int):
        self.name = name
        self.ifaces = ifaces
        self.delay = delay
        # several lines used as one (BundleLink)?  An attribute of each link, not of the class:
        # read for every packet sent, and Python 3.11 reads a slot faster than a class attribute
        self.bundle = False
        self.by_addr = {i.addr: i for i in ifaces}
        for i in ifaces:
            i.link = self
            i.arrive = self.arrive
        if len(ifaces) == 2:        # point to point: each end's peer is known now, not per packet
            a, b = ifaces
            a.peer, b.peer = b, a

    def set_carrier(self, up: bool) -> None:
        """The line goes down (or comes back), as when an ADSL line's PPP session drops and
        pppd takes the device down (and up again once it has redialled: ``up_at``): both ends
        stop, what is queued or on the wire is lost, and each end's node reacts
        (``NETDEV_DOWN``/``NETDEV_UP``); back up, both ends send again, from an empty queue.  (A bare carrier loss
        on a device left up is milder in today's Linux: ``NETDEV_CHANGE`` marks the nexthop
        ``linkdown`` (``fib_sync_down_dev()``), still used unless ``ignore_routes_with_linkdown``
        is set, and invalidates cached routes (``rt_cache_flush()``), but deletes no route, and
        MASQUERADE, whose notifier acts on ``NETDEV_DOWN``, keeps its entries.  Not modelled.)"""
        for i in self.ifaces:
            i.up = up
            if not up:
                i.backlog.clear()
                i.busy_until = 0
        for i in self.ifaces:
            i.node.carrier_changed(i, up)

    def arrive(self, src: Interface, dst: Interface, pkt, size: int) -> None:
        """``pkt`` (``size`` bytes on the wire, as the sender counted them) reaches ``dst``."""
        if not (src.up and dst.up):                 # the line went down under it
            dst.trace.emit(_DROP, src.node.name, pkt, Drop.LINK_DOWN)
            return
        trace = dst.trace
        if trace.keep:
            # trace.emit(_HOP, self.name, pkt, src.label, dst.label), written out (once per
            # hop): the hop goes straight into the pending events, and is counted by
            # dst.rx_packets, in both modes (Trace.counts)
            pending = trace.pending
            pending += _HOP, dst.sim.now, self.name, pkt, (src.label, dst.label)
            if len(pending) >= _CHUNK5:
                trace.events.flush()
        dst.rx_packets += 1
        dst.rx_bytes += size
        dst.rx(pkt, dst, size)          # dst.node.receive


class BundleLink(Link):
    """Several lines between the same two ends, used as one: PPP Multilink (RFC 1990)
    or bonding.  The sender puts each packet on the member line that will finish it
    first and numbers it; the receiver hands packets on in number order, holding an
    early one until those before it have come (RFC 1990's sequence numbers), so
    the link above sees one faster line and no reordering.  Unlike Linux's
    ``ppp_generic``, packets are not cut into fragments across the lines.

    ``members``: one (bit/s from the first end, bit/s from the second end, delay µs)
    per line.  ``member_packets[label][m]`` counts what each end sent on line m."""

    __slots__ = ("members", "busy", "next_seq", "expect", "pending", "member_packets")

    def __init__(self, name: str, ifaces: list[Interface], members: list[tuple[int, int, int]]):
        super().__init__(name, ifaces, max(d for _, _, d in members))
        self.bundle = True
        self.members = members
        a, b = ifaces
        a.bandwidth, b.bandwidth = sum(m[0] for m in members), sum(m[1] for m in members)
        self.busy = {i.label: [0] * len(members) for i in ifaces}
        self.next_seq = {i.label: 0 for i in ifaces}
        self.expect = {i.label: 0 for i in ifaces}
        self.pending: dict[str, dict] = {i.label: {} for i in ifaces}
        self.member_packets = {i.label: [0] * len(members) for i in ifaces}

    def enqueue(self, src: Interface, dst: Interface, pkt, size: int, now: int) -> int:
        """Queue ``pkt`` on the member that finishes it first; returns when it is sent."""
        side = 0 if src is self.ifaces[0] else 1
        busy = self.busy[src.label]
        best = None
        for m, line in enumerate(self.members):
            done = max(busy[m], now) + (size * 8_000_000) // line[side]
            if best is None or done + line[2] < best[1] + self.members[best[0]][2]:
                best = (m, done)
        m, done = best
        busy[m] = done
        self.member_packets[src.label][m] += 1
        seq = self.next_seq[src.label]
        self.next_seq[src.label] = seq + 1
        src.node.sim.at(done + self.members[m][2] - now, self.reassemble, src, dst, pkt, seq)
        return done

    def reassemble(self, src: Interface, dst: Interface, pkt, seq: int) -> None:
        pending = self.pending[src.label]
        pending[seq] = pkt
        while self.expect[src.label] in pending:
            pkt = pending.pop(self.expect[src.label])
            self.arrive(src, dst, pkt, pkt.wire_len())
            self.expect[src.label] += 1
