"""Nodes and end hosts: an IP stack with TCP, UDP and ICMP echo.

A remote host's answer to a TCP segment that matches no connection is
selectable: ``rfc`` (RFC 9293: a reset) or ``article`` (silently ignored,
the article's simplification).
"""
from __future__ import annotations

from typing import Callable

from .fib import FIB
from .link import Interface
from .packet import _PROTO_OF, ECHO_REPLY, ECHO_REQUEST, ICMP, IP, TCP, UDP, MptcpOption, Packet
from .tcp import DEFAULT_TCP_PROFILE, MSS, TcpConn, rst_for
from .trace import Drop, Ev

# read once: on Python 3.11 every ``Ev.X`` is a slow lookup, and these run for every packet
_DELIVER, _DROP, _SEND = Ev.DELIVER, Ev.DROP, Ev.SEND
_new = tuple.__new__

#: bytes a TCP end advertises, and with congestion control ``none`` keeps in flight: 32 segments
WINDOW = 32 * MSS


# A Linux host's Ethernet device holds up to 1000 packets in its transmit queue: ether_setup()
# (net/ethernet/eth.c) sets dev->tx_queue_len = DEFAULT_TX_QUEUE_LEN, 1000 (include/net/
# pkt_sched.h), the length of its default queueing discipline (pfifo_fast).  (Linux 2.2's
# ether_setup(), drivers/net/net_init.c, set 100.)
DEFAULT_TX_QUEUE_LEN = 1000


class Node:
    """Anything with interfaces and a routing table."""

    kind = "node"
    # its devices' transmit queue length (packets); None: the link's (``Network.connect``'s qlen)
    tx_queue_len: int | None = None

    def __init__(self, sim, name: str, title: str = ""):
        self.sim = sim
        self.name = name
        self.title = title or name
        self.ifaces: dict[str, Interface] = {}
        self.local_addrs: frozenset[str] = frozenset()   # its interfaces' addresses
        self.fib = FIB(self)
        self._ip_id = 0
        # packets its own stack sent and took in (IPSTATS_MIB_OUTREQUESTS, _INDELIVERS): the
        # counts of its send and deliver events, in both modes (Trace.counts)
        self.out_requests = self.in_delivers = 0

    def add_iface(self, name: str, addr: str, prefixlen: int = 24) -> Interface:
        again = name in self.ifaces         # a device added again: its old address goes
        i = self.ifaces[name] = Interface(self, name, addr, prefixlen)
        self.local_addrs = frozenset(self.addrs) if again else self.local_addrs | {addr}
        return i

    def ifindex(self, name: str) -> int:
        """The device's ``ifindex``: ``lo`` is 1, the others follow in the order added."""
        return list(self.ifaces).index(name) + 2

    @property
    def addrs(self) -> list[str]:
        return [i.addr for i in self.ifaces.values()]

    def ip_header(self, src: str, dst: str) -> IP:
        self._ip_id = ident = (self._ip_id + 1) & 0xFFFF
        return _new(IP, (src, dst, 64, ident, 0))     # every field given: NamedTuple's __new__ skipped

    def carrier_changed(self, iface: Interface, up: bool) -> None:
        """The device ``iface`` lost (or regained) its carrier."""
        self.sim.trace.emit(Ev.LINK, self.name, None, iface.name, "up" if up else "down")

    def receive(self, pkt: Packet, iif: Interface, size: int) -> None:  # pragma: no cover - abstract
        """``pkt``, ``size`` bytes on the wire, arrived on ``iif``."""
        raise NotImplementedError


class Host(Node):
    kind = "host"
    tx_queue_len = DEFAULT_TX_QUEUE_LEN     # its Ethernet device's default (ip link ... txqueuelen)

    def __init__(self, sim, name: str, title: str = "", remote: str = "rfc"):
        super().__init__(sim, name, title)
        self.remote = remote
        self.conns: dict[tuple, TcpConn] = {}     # (lport, raddr, rport) -> conn
        self.listeners: dict[int, Callable] = {}  # port -> on_accept(conn)
        self.udp: dict[int, Callable] = {}        # port -> handler(pkt)
        self.ping_handlers: dict[int, Callable] = {}
        self.next_port = 5000
        self.window = WINDOW
        self.cc = "none"                          # congestion control of new connections
        self.tcp_profile = DEFAULT_TCP_PROFILE    # 2.4 or linux (sim.tcp.TCP_PROFILES)
        # packets received, by (proto, source address): a plain dict (a Counter's += is 3x slower)
        self.seen: dict[tuple[int, str], int] = {}
        self.addr: str | None = None              # its address: its first interface's

    def add_iface(self, name: str, addr: str, prefixlen: int = 24) -> Interface:
        i = super().add_iface(name, addr, prefixlen)
        if self.addr is None:
            self.addr = addr
        return i

    # -- output -----------------------------------------------------------------------------

    def ip_output(self, pkt: Packet, sk: TcpConn | None = None) -> bool:
        """Like the kernel's ip_output(): route a locally made packet and transmit it.  A
        connection's segment (``sk``: the connection) takes the route the connection keeps,
        as ip_queue_xmit() takes ``sk->dst_cache``: looked up for its first segment, and
        again once the routing table has changed since.  False if the device's queue was full
        (``Interface.xmit``)."""
        self.out_requests += 1
        trace = self.sim.trace
        if trace.keep:
            trace.store(_SEND, self.name, pkt)
        fib = self.fib
        dst = sk.dst_cache if sk is not None else None
        if dst is None or dst[0] != fib.genid:
            route = fib.lookup(pkt.ip.dst)
            if route is None:
                trace.emit(_DROP, self.name, pkt, Drop.NO_ROUTE)
                return True
            nh = route.nexthops[0]
            dst = (fib.genid, self.ifaces[nh.dev], nh.via or pkt.ip.dst)   # (genid, device, next hop)
            if sk is not None:
                sk.dst_cache = dst
        return dst[1].xmit(pkt, dst[2])

    # -- sockets ----------------------------------------------------------------------------

    def connect(self, dst: str, dport: int, sport: int | None = None,
                syn_opt: MptcpOption | None = None) -> TcpConn:
        if sport is None:
            sport = self.next_port
            self.next_port += 1
        c = TcpConn(self, (self.addr, sport), (dst, dport), self.window, self.cc, self.tcp_profile)
        c.syn_opt = syn_opt
        self.conns[(sport, dst, dport)] = c
        c.connect()
        return c

    def listen(self, port: int, on_accept: Callable) -> None:
        self.listeners[port] = on_accept

    def tcp_forget(self, c: TcpConn) -> None:
        self.conns.pop((c.local[1], c.remote[0], c.remote[1]), None)

    def ping(self, dst: str, ident: int, seq: int, load: int = 56) -> None:
        self.ip_output(Packet(self.ip_header(self.addr, dst), ICMP(ECHO_REQUEST, 0, ident, seq), load))

    def send_udp(self, dst: str, sport: int, dport: int, load: int) -> None:
        self.ip_output(Packet(self.ip_header(self.addr, dst), UDP(sport, dport), load))

    # -- input ------------------------------------------------------------------------------

    def receive(self, pkt: Packet, iif: Interface, size: int) -> None:
        trace = self.sim.trace
        if pkt.ip.dst != self.addr:
            trace.emit(_DROP, self.name, pkt, Drop.NO_ROUTE)
            return
        self.in_delivers += 1
        if trace.keep:
            trace.store(_DELIVER, self.name, pkt)
        l4, src = pkt.l4, pkt.ip.src
        key = (_PROTO_OF[type(l4)], src)              # (pkt.proto, without the property's call)
        self.seen[key] = self.seen.get(key, 0) + 1
        if type(l4) is TCP:
            # tcp_v4_rcv(): the connection's socket first (nearly every segment has one)
            c = self.conns.get((l4.dport, src, l4.sport))
            if c is not None:
                c.segment(pkt)
            else:
                self._tcp_no_conn(pkt)
        elif type(l4) is ICMP:
            if l4.type == ECHO_REQUEST:
                self.ip_output(Packet(self.ip_header(self.addr, pkt.ip.src),
                                 ICMP(ECHO_REPLY, 0, l4.id, l4.seq), pkt.load))
            elif l4.type == ECHO_REPLY and l4.id in self.ping_handlers:
                self.ping_handlers[l4.id](pkt)
        elif type(l4) is UDP and l4.dport in self.udp:
            self.udp[l4.dport](pkt)
        else:
            trace.emit(_DROP, self.name, pkt, Drop.NO_SOCKET)

    def _tcp_no_conn(self, pkt: Packet) -> None:
        """A TCP segment that no connection claims: a listener's SYN, else a reset or nothing."""
        tcp = pkt.l4
        flags = tcp.flags
        on_accept = self.listeners.get(tcp.dport)
        if on_accept is not None and flags == "S":
            c = TcpConn(self, (self.addr, tcp.dport), (pkt.ip.src, tcp.sport), self.window, self.cc, self.tcp_profile)
            self.conns[(tcp.dport, pkt.ip.src, tcp.sport)] = c
            c.peer_syn_opt = tcp.mptcp
            # before the SYN+ACK: the listener may set what that carries, or refuse the SYN
            # (False), which is then answered with a reset, as MPTCP answers a join it cannot
            # take (subflow_v4_route_req() sends one when subflow_check_req() fails)
            if on_accept(c) is False:
                del self.conns[(tcp.dport, pkt.ip.src, tcp.sport)]
                self.sim.trace.emit(_DROP, self.name, pkt, Drop.RESET)
                self.ip_output(rst_for(pkt, self.ip_header(self.addr, pkt.ip.src)))
                return
            c.accept_syn(pkt)
            return
        if "R" in flags:
            self.sim.trace.emit(_DROP, self.name, pkt, Drop.NO_SOCKET)
            return
        if self.remote == "article" and "S" not in flags:
            # The article: "The only reasonable measure is to ignore it."
            self.sim.trace.emit(_DROP, self.name, pkt, Drop.IGNORED)
            return
        # RFC 9293 3.10.7.1/3.10.7.2: a segment for no connection is answered with a reset
        self.sim.trace.emit(_DROP, self.name, pkt, Drop.RESET)
        self.ip_output(rst_for(pkt, self.ip_header(self.addr, pkt.ip.src)))
