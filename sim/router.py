"""The router's forwarding path, in Linux 2.4's order (``ip_rcv`` -> ``ip_route_input``,
then ``ip_forward``; netfilter hooks between).

    receive ─▶ ingress filter ─▶ PREROUTING (de-masquerade) ─▶ local?
            ─▶ route: cache hit, or FIB lookup + fib_select_multipath + cache insert
            ─▶ TTL ─▶ POSTROUTING (masquerade) ─▶ transmit on the chosen device

As in 2.4, the route is looked up before the TTL is checked (``ip_forward()`` reads the
TTL of a packet ``ip_route_input()`` has already routed), so a packet that dies of its
TTL has made or hit a route cache entry first.  2.4 then answers it with an ICMP time
exceeded (``icmp_send(ICMP_TIME_EXCEEDED)``); the simulator only drops it (``Drop.TTL``):
its ICMP is echo only, and no scenario's path is long enough for a TTL to run out.

Providers and the Internet core are routers too, without a route cache and
without showing their FIB lookups in the trace (``explain=False``).
"""
from __future__ import annotations

from .fib import Nexthop, Route, in_prefix, parse_prefix
from .host import Node
from .link import Interface
from .nat import Nat
from .natmodels import translates
from .packet import ECHO_REPLY, ECHO_REQUEST, ICMP, IP, TCP, Packet
from .policies import REGISTRY
from .reasons import EqualizeDeleted, Flushed, Gone, Why
from .route_cache import IPTOS_RT_MASK, RouteCache, RtEntry
from .tcp import rst_for
from .trace import Drop, Ev

# read once: on Python 3.11 every ``Ev.X`` is a slow lookup, and these run for every packet
_DROP, _FIB, _RT_HIT, _RT_MISS = Ev.DROP, Ev.FIB, Ev.RT_HIT, Ev.RT_MISS
_EQUALIZE = Gone.EQUALIZE       # with equalize, a route cache entry goes per packet
_new = tuple.__new__


class Router(Node):
    kind = "router"

    def __init__(self, sim, name: str, title: str = "", policy: str = "random",
                 route_cache: bool = False, explain: bool = False, patched: bool = False):
        super().__init__(sim, name, title)
        self.patched = patched       # the equalize patch's kernel: 2.4's round robin draws by its
                                     # global counter, not jiffies, on every multipath route
        self.policy = REGISTRY[policy](self)     # the multipath policy, with its state
        self.cache = RouteCache(self) if route_cache else None
        self.explain = explain
        self.nat: Nat | None = None
        self.fib_sync = True         # react to a device going down (an ISP's access server
                                     # instead just drops what it can no longer deliver)
        # without a route cache: where each destination's route leads, (FIB genid, device,
        # its xmit, next hop), when the route is a single nexthop's and there is nothing to
        # explain; good while the table's generation is the one it was found in (as a
        # socket's ``dst_cache``, Host.ip_output)
        self.fwd: dict[str, tuple] = {}
        # each device that came back up (a line's return): (when, its tx_packets and rx_packets
        # then, when the route cache's flush is due: None without one)
        self.came_up: dict[str, tuple[int, int, int, int | None]] = {}

    def carrier_changed(self, iface: Interface, up: bool) -> None:
        """``NETDEV_DOWN``/``NETDEV_UP`` on one of this router's devices: the nexthops on it
        die or live again (``fib_sync_down``/``fib_sync_up``), the route cache is flushed, and
        masquerade forgets the connections bound to a device that went down.  2.4's
        ``fib_netdev_event()`` flushes at once on ``NETDEV_DOWN`` (``fib_disable_ip()``:
        ``rt_cache_flush(0)``) but ``rt_cache_flush(-1)`` on ``NETDEV_UP``, ``min_delay`` (2 s)
        later: until then the entries made while the device was down keep their packets off it.
        Today's kernel has no such cache: on ``NETDEV_UP`` ``fib_sync_up()`` wakes the dead
        nexthops of the multipath routes and ``fib_rebalance()`` spreads the hash over them
        again, at once.

        What the kernel deleted when the device went down (a route whose only nexthop was on
        it: a per-mark table's default, a lone default route) it does not put back, bar the
        connected route (``fib_add_ifaddr()``); the recipe's ip-up script does (book ch.10,
        "Deploying it"), and the simulator takes it to run at once: those routes come back
        with the device.  Nothing of NAT changes on ``NETDEV_UP``: MASQUERADE's notifier acts
        on ``NETDEV_DOWN`` only, and the bindings made on the other uplink meanwhile stay
        there.  ``came_up[dev]``: when the device last came back, its packet counters (sent,
        received) then, and when the route cache's flush it asked for is due."""
        super().carrier_changed(iface, up)
        if not self.fib_sync:
            return
        if up:
            self.fib.sync_up(iface.name)
        else:
            self.fib.sync_down(iface.name)
        if self.cache is not None:
            if up:
                self.cache.flush_later(Flushed(iface.name, "up"))
            else:
                self.cache.flush(Flushed(iface.name, "down"))
        if self.nat is not None and not up and self.nat.device_down(iface.name):
            self.policy.device_down(iface.name)
        if up:
            self.policy.device_up(iface.name)
            timer = self.cache.flush_timer if self.cache is not None else None
            due = None if self.cache is None else timer[0] if timer is not None else self.sim.now
            self.came_up[iface.name] = (self.sim.now, iface.tx_packets, iface.rx_packets, due)

    def set_nat(self, model: str, uplinks: dict[str, str]) -> None:
        """Masquerade on ``uplinks`` (dev -> address) by the NAT model ``model``; none
        when the model translates nothing (public LAN addresses)."""
        self.nat = Nat(self, model, uplinks) if translates(model) else None

    def filter_ingress(self, dev: str, allowed: list[str]) -> None:
        """BCP 38 on ``dev``: drop packets whose source is not in ``allowed`` (prefixes)."""
        self.ifaces[dev].ingress_allow = [parse_prefix(p if "/" in p else p + "/32") for p in allowed]

    def start(self) -> None:
        if self.cache is not None:
            self.cache.start_gc()

    # -- the forwarding path ----------------------------------------------------------------

    def receive(self, pkt: Packet, iif: Interface, size: int) -> None:
        allow = iif.ingress_allow
        if allow is not None and not any(in_prefix(pkt.ip.src, p, l) for p, l in allow):
            self.sim.trace.emit(_DROP, self.name, pkt, Drop.INGRESS_FILTER)
            return
        nat = self.nat
        if nat is not None:
            pkt, flow = nat.prerouting(pkt)
        src, dst, ttl, ident, tos = pkt.ip
        if dst in self.local_addrs:
            self.local_input(pkt)
            return
        if self.cache is None:          # no route cache (an ISP's router): the FIB at once
            out = self.fwd.get(dst)
            if out is None or out[0] != self.fib.genid:
                out = self.fib_output(pkt, dst)
                if out is None:
                    return
            _, dev, xmit, via = out
        else:
            nh = self.route_input(pkt, dst, src, tos, iif)
            if nh is None:
                return
            dev = nh.dev
            xmit, via = self.ifaces[dev].xmit, nh.via or dst
        if ttl <= 1:                    # ip_forward(), after the route lookup: too_many_hops
            self.sim.trace.emit(_DROP, self.name, pkt, Drop.TTL)
            return
        # the TTL decremented: Packet.hop() written out, as it runs once per packet per router
        pkt = _new(Packet, (_new(IP, (src, dst, ttl - 1, ident, tos)), pkt.l4, pkt.load))
        if nat is not None:
            pkt = nat.postrouting(pkt, dev, flow)
            if pkt is None:
                return
        # (masquerade changes no destination, nor the length on the wire)
        xmit(pkt, via, size)

    def fib_output(self, pkt: Packet, dst: str) -> tuple | None:
        """A router without a route cache looks ``dst`` up in its FIB (``fib_lookup()``) and
        picks the nexthop: (FIB genid, device, its xmit, next hop); None: no route.  Kept in
        ``fwd`` for the next packet when the route has one nexthop and nothing is explained."""
        fib = self.fib
        route = fib.lookup(dst)
        if route is None:
            self._no_route(pkt)
            return None
        if len(route.nexthops) == 1 and not self.explain:
            nh = route.nexthops[0]          # one way on, nothing to explain
            out = self.fwd[dst] = (fib.genid, nh.dev, self.ifaces[nh.dev].xmit, nh.via or dst)
            return out
        nh, why = self.select(route, pkt)
        if self.explain:
            self.sim.trace.emit(_FIB, self.name, pkt, nh.dev, nh.via or "-", why)
        return fib.genid, nh.dev, self.ifaces[nh.dev].xmit, nh.via or dst

    def route_input(self, pkt: Packet, dst: str, src: str, tos: int,
                    iif: Interface) -> RtEntry | Nexthop | None:
        """``ip_route_input(skb, daddr, saddr, tos, dev)``: the route cache in front of the FIB,
        handed the header's fields the caller has read.  Returns where the packet goes (its
        ``dev`` and ``via``): the cache entry hit or the nexthop chosen; None: no route.
        The TOS is masked first (``tos &= IPTOS_RT_MASK``), as 2.4 does before the hash."""
        cache = self.cache
        key = (dst, src, tos & IPTOS_RT_MASK, iif.name)
        e = cache.entries.get(key)
        deleted = False
        if e is not None:
            if not e.equalize:
                cache.in_hit += 1
                e.lastuse = self.sim.now
                e.use += 1
                trace = self.sim.trace
                if trace.keep:          # (counted by in_hit)
                    trace.store(_RT_HIT, self.name, pkt, key, e.dev, e.via or "-")
                return e
            cache.delete(e, _EQUALIZE)         # the equalize patch: a hit re-selects
            deleted = True
        route = self.fib.lookup(dst)           # ip_route_input_slow()
        if route is None:
            self._no_route(pkt)
            cache.in_no_route += 1
            return None
        cache.in_slow_tot += 1                 # counted once fib_lookup() found a route, as 2.4 does
        nh, why = self.select(route, pkt)
        cache.insert(key, nh.dev, nh.via, route.equalize)
        self.sim.trace.emit(_RT_MISS, self.name, pkt, key, nh.dev, nh.via or "-",
                            EqualizeDeleted(why) if deleted else why, route.equalize)
        return nh

    def _no_route(self, pkt: Packet) -> None:
        """The FIB has no route for ``pkt``: it is dropped."""
        self.sim.trace.emit(_DROP, self.name, pkt, Drop.NO_ROUTE)

    def select(self, route: Route, pkt: Packet) -> tuple[Nexthop, Why]:
        """``fib_select_multipath()`` by this router's policy (``sim.policies``), and why."""
        if len(route.nexthops) == 1:        # not multipath
            return route.nexthops[0], route.only
        return self.policy.select(route, pkt)

    # -- the router's own stack -------------------------------------------------------------

    def local_input(self, pkt: Packet) -> None:
        """Packets addressed to the router itself that no NAT binding claimed."""
        trace = self.sim.trace
        self.in_delivers += 1
        if trace.keep:
            trace.store(Ev.DELIVER, self.name, pkt)
        l4 = pkt.l4
        if type(l4) is TCP and "R" not in l4.flags:
            # no socket: the router's own TCP answers with a reset
            trace.emit(Ev.DROP, self.name, pkt, Drop.RESET)
            self.local_output(rst_for(pkt, self.ip_header(pkt.ip.dst, pkt.ip.src)))
        elif type(l4) is ICMP and l4.type == ECHO_REQUEST:
            self.local_output(Packet(self.ip_header(pkt.ip.dst, pkt.ip.src),
                                     ICMP(ECHO_REPLY, 0, l4.id, l4.seq), pkt.load))
        else:
            trace.emit(Ev.DROP, self.name, pkt, Drop.NO_SOCKET)

    def local_output(self, pkt: Packet) -> None:
        self.out_requests += 1
        if self.sim.trace.keep:
            self.sim.trace.store(Ev.SEND, self.name, pkt)
        route = self.fib.lookup(pkt.ip.dst)
        if route is None:
            self._no_route(pkt)
            return
        # an output route bound to the source address leaves by that address's device.  That
        # is LARTC 4.2.1's split access (``ip rule add from $IP table T``, a table per uplink),
        # not what a kernel does by itself for unicast: 2.4's ip_route_output_slow() only checks
        # that the source is local and then selects among the nexthops as for any packet, and
        # today's fib_select_path() hashes the flow.  The simulated router has no such rules
        # (the kernel lab's ``source`` set-up has them): this pinning is the simulator's
        # assumption, for the router's own answers (resets, echo replies), so that each leaves
        # by the line its source address belongs to
        by_src = [nh for nh in route.nexthops if self.ifaces[nh.dev].addr == pkt.ip.src]
        nh = by_src[0] if by_src else self.select(route, pkt)[0]
        self.ifaces[nh.dev].xmit(pkt, nh.via or pkt.ip.dst)
