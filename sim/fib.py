"""The routing table (FIB): routes written in ``ip route`` syntax, longest-prefix match.

    fib.add("default equalize nexthop via 100.0.0.254 dev if1 weight 1 "
            "nexthop via 150.0.0.254 dev if2 weight 1")
    fib.lookup("200.0.0.1")   # -> the multipath default route

``show()`` prints the table the way ``ip route show`` does on the kernel its node runs.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import starmap

from .reasons import OnlyRoute


class RouteError(ValueError):
    """A route or address a reader wrote that can't be used."""


@lru_cache(maxsize=4096)
def addr_int(addr: str) -> int:
    try:
        return int(ipaddress.IPv4Address(addr))
    except (ipaddress.AddressValueError, ValueError):
        raise RouteError(f"bad IPv4 address {addr!r}: expected four numbers 0-255 like 192.168.0.1") from None


@lru_cache(maxsize=4096)
def parse_prefix(text: str) -> tuple[int, int]:
    if text == "default":
        return 0, 0
    try:
        net = ipaddress.IPv4Network(text, strict=True)
    except ValueError as e:
        raise RouteError(f"bad prefix {text!r}: {e}") from None
    return int(net.network_address), net.prefixlen


def in_prefix(addr: str, prefix: int, plen: int) -> bool:
    mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0
    return addr_int(addr) & mask == prefix


@dataclass(slots=True)        # read on every packet's way out: slots are quicker to read
class Nexthop:
    dev: str
    via: str | None = None      # None: on-link, the destination itself is the neighbour
    weight: int = 1
    power: int = 0              # 2.4's nh_power: credits left in this round (wrr)
    dead: bool = False          # RTNH_F_DEAD: its device is down (fib_sync_down)

    def text(self) -> str:
        return (f"via {self.via} " if self.via else "") + f"dev {self.dev}"


@lru_cache(maxsize=1024)
def _dest(prefix: int, plen: int) -> str:
    """A route's destination as ``ip route`` writes it (made once per process: every run of
    the book's Monte Carlos builds the same routes, and ``ipaddress`` formatting is slow)."""
    if plen == 0:
        return "default"
    return f"{ipaddress.IPv4Address(prefix)}/{plen}"


@dataclass
class Route:
    prefix: int
    plen: int
    nexthops: list[Nexthop]
    equalize: bool = False
    src: str | None = None
    power: int = 0              # 2.4's fib_power: credits left over all nexthops
    spec: str = ""

    @property
    def multipath(self) -> bool:
        return len(self.nexthops) > 1

    @property
    def dead(self) -> bool:
        """Every nexthop is dead: lookups pass the route by (``RTNH_F_DEAD`` on the fib_info)."""
        for nh in self.nexthops:        # (a loop, not all() over a generator: read per lookup)
            if not nh.dead:
                return False
        return True

    @property
    def live(self) -> list[Nexthop]:
        """The nexthops not dead: the route's own list when none is (read per multipath
        choice, with equalize per packet; to be read, not changed)."""
        for nh in self.nexthops:
            if nh.dead:
                return [nh for nh in self.nexthops if not nh.dead]
        return self.nexthops

    @cached_property
    def only(self) -> OnlyRoute:
        """Why a lookup that finds this route takes its one nexthop (made once, kept)."""
        return OnlyRoute(self.dest())

    def dest(self) -> str:
        return _dest(self.prefix, self.plen)

    def show(self, down=None, connected: str | None = None, dead: str = " dead linkdown") -> str:
        """Like one entry of ``ip route show`` (a route whose every nexthop is dead is not
        listed there: ``FIB.show``).  ``down``: the devices down (None: as the nexthops are now).
        ``connected``: the address of the device this route is the prefix route of, which the
        kernel added when the address was configured (``fib_add_ifaddr()``: ``proto kernel
        scope link src ADDR``).  ``dead``: what a dead nexthop is marked with (today's
        iproute2 prints the ``RTNH_F_LINKDOWN`` flag too; 2.4 had only ``RTNH_F_DEAD``)."""
        if not self.multipath:
            nh = self.nexthops[0]
            s = f"{self.dest()} {nh.text()}"
            if connected:
                return s + f" proto kernel scope link src {connected}"
            if nh.via is None:
                s += " scope link"
            return s + (f" src {self.src}" if self.src else "")
        head = self.dest() + (" equalize" if self.equalize else "")
        return "\n".join([head] + [f"\tnexthop {nh.text()} weight {nh.weight}"
                                   + (dead if (nh.dead if down is None else nh.dev in down) else "")
                                   for nh in self.nexthops])


def parse_route(spec: str) -> Route:
    """Parse the arguments of ``ip route add``: the subset the book uses.  A new ``Route``
    each time (a route's credits and dead flags change as a run goes); the parse itself is
    done once per text (``_parse``: a run builds its network's twenty routes again)."""
    prefix, plen, hops, equalize, src = _parse(spec)
    return Route(prefix, plen, list(starmap(Nexthop, hops)), equalize, src, 0, spec)


@lru_cache(maxsize=1024)
def _parse(spec: str) -> tuple:
    """``spec`` parsed, immutable: (prefix, plen, ((dev, via, weight), ...), equalize, src)."""
    words = spec.split()
    if not words:
        raise RouteError("empty route")
    prefix, plen = parse_prefix(words[0])
    nexthops: list[Nexthop] = []
    equalize = False
    src = None
    cur: Nexthop | None = None
    i = 1
    while i < len(words):
        w = words[i]
        arg = words[i + 1] if i + 1 < len(words) else None
        if w == "equalize":
            equalize = True
            i += 1
            continue
        if w == "nexthop":
            cur = Nexthop(dev="")
            nexthops.append(cur)
            i += 1
            continue
        if w in ("scope", "proto", "metric"):
            i += 2
            continue
        if arg is None:
            raise RouteError(f"route {spec!r}: {w!r} needs a value")
        if cur is None:
            cur = Nexthop(dev="")
            nexthops.append(cur)
        if w == "via":
            addr_int(arg)
            cur.via = arg
        elif w == "dev":
            cur.dev = arg
        elif w == "weight":
            if not arg.isdigit() or not 1 <= int(arg) <= 256:
                raise RouteError(f"route {spec!r}: weight {arg!r} must be an integer 1-256")
            cur.weight = int(arg)
        elif w == "src":
            addr_int(arg)
            src = arg
        else:
            raise RouteError(f"route {spec!r}: unknown word {w!r} (allowed: via, dev, weight, "
                             "nexthop, equalize, src, scope, proto, metric)")
        i += 2
    if not nexthops or any(not nh.dev for nh in nexthops):
        raise RouteError(f"route {spec!r}: every nexthop needs 'dev NAME'")
    return prefix, plen, tuple((nh.dev, nh.via, nh.weight) for nh in nexthops), equalize, src


class FIB:
    """The main routing table.

    A run's network is built with ``add_later``: those routes are made when the table is
    first read (a network has some twenty-five routes, and a run that stops early sends no
    packet through some of its nodes: their tables are never made)."""

    def __init__(self, owner=None):
        """``owner``: the node whose table it is (its devices' addresses and its kernel are
        what ``show`` prints by); None: a bare table, printed as today's kernel dumps it."""
        self.owner = owner
        self._routes: list[Route] = []
        self._later: list[str] = []         # routes given to add_later, not made yet
        self._memo: dict = {}
        # the table's generation, one more at each change (when the lookups remembered are
        # forgotten): a route kept outside the table (a connection's, ``sk->dst_cache``) is
        # good while the generation is the one it was looked up in (today's ``rt_genid``)
        self.genid = 0

    @property
    def routes(self) -> list[Route]:
        """The routes, longest prefix first (equal prefixes in the order added)."""
        if self._later:
            self._make_later()
        return self._routes

    def add(self, spec: str) -> Route:
        r = parse_route(spec)
        if self._later:
            self._make_later()          # they were added before it
        self._insert(r)
        return r

    def add_later(self, specs) -> None:
        """``add`` each of ``specs`` in turn when the table is first read.  They must parse
        (as the routes of ``sim.topology.describe`` do, checked when described)."""
        self._later.extend(specs)
        self._changed()

    def _make_later(self) -> None:
        later, self._later = self._later, []
        for spec in later:
            self._insert(parse_route(spec))

    def _insert(self, r: Route) -> None:
        # kept longest prefix first, equal prefixes in the order added: the new route goes
        # after every route at least as long (a run builds its tables route by route, and
        # re-sorting the whole list after each one cost more than parsing the route)
        routes = self._routes
        plen = r.plen
        i = len(routes)
        while i and routes[i - 1].plen < plen:
            i -= 1
        routes.insert(i, r)
        self._changed()

    def _changed(self) -> None:
        """The table changed: the lookups remembered are forgotten, and a route kept outside
        it is looked up again (its generation is no longer ``genid``)."""
        self._memo.clear()
        self.genid += 1

    def lookup(self, dst: str) -> Route | None:
        """Longest-prefix match (``fib_lookup``)."""
        try:
            return self._memo[dst]
        except KeyError:
            pass
        a = addr_int(dst)
        found = None
        for r in self.routes:       # (the property: makes the routes added later first)
            mask = (0xFFFFFFFF << (32 - r.plen)) & 0xFFFFFFFF if r.plen else 0
            if a & mask == r.prefix and not r.dead:
                found = r
                break
        self._memo[dst] = found
        return found

    def sync_down(self, dev: str) -> int:
        """``fib_sync_down()``: mark the nexthops on ``dev`` dead and take back their
        round-robin credits; returns how many died."""
        n = 0
        for r in self.routes:
            for nh in r.nexthops:
                if nh.dev == dev and not nh.dead:
                    nh.dead = True
                    r.power -= nh.power
                    nh.power = 0
                    n += 1
        self._changed()
        return n

    def sync_up(self, dev: str) -> int:
        """``fib_sync_up()``: the nexthops on ``dev`` live again (credits refill next round).
        Linux revives only multipath nexthops so; a route whose only nexthop was on the
        device was deleted, and comes back by itself only if it is the connected route
        (``fib_add_ifaddr()``): the others (a per-mark table's default, a lone default route)
        are here taken to be put back at once by the uplink's ip-up script, as the book's
        recipe has it (``Router.carrier_changed``; a line comes back at ``up_at``)."""
        n = 0
        for r in self.routes:
            for nh in r.nexthops:
                if nh.dev == dev and nh.dead:
                    nh.dead = False
                    n += 1
        self._changed()
        return n

    @property
    def kernel(self) -> str:
        """The kernel whose dump ``show`` prints: "2.4" for a router with 2.4's route cache,
        "today" for any other node (the simulator's routers without one model Linux 3.6 and
        later)."""
        return "2.4" if getattr(self.owner, "cache", None) is not None else "today"

    def show(self, down=None) -> str:
        """Like ``ip route show`` (the main table) on the owner's kernel.  iproute2 prints the
        routes in the order the kernel dumps them, and sorts nothing itself:

        * 2.4's ``fn_hash_dump()`` walks ``fn_zone_list``, the prefix lengths most specific
          first, and in each zone its hash buckets in turn (``fn_hash()``), each bucket in
          key order -- so the default route comes last, and routes of one length come in
          an order only the hash explains;
        * today's ``fib_table_dump()`` walks the trie in key order: the default route first,
          then by address (of equal addresses, the longer prefix first).

        A prefix route of one of the owner's own addresses is printed as the kernel added it
        when the address was configured: ``proto kernel scope link src ADDR``.  (iproute2 of
        2002 put two spaces between some fields; this prints today's single ones.)

        A route whose every nexthop is dead is left out: the kernel deletes it (``fib_flush()``
        after ``fib_sync_down()``, 2.4 and today alike); here it stays, passed by every lookup,
        so that a replay can draw the table as it was before the device went down.  ``down``:
        the table when exactly these devices are down (None: as it is now)."""
        def gone(r):
            return r.dead if down is None else all(nh.dev in down for nh in r.nexthops)
        old = self.kernel == "2.4"
        routes = _fn_hash_order(self.routes) if old else sorted(self.routes, key=lambda r: (r.prefix, -r.plen))
        mine = {}
        for i in getattr(self.owner, "ifaces", {}).values():
            net = ipaddress.IPv4Network(f"{i.addr}/{i.prefixlen}", strict=False)
            mine[(i.name, int(net.network_address), net.prefixlen)] = i.addr
        dead = " dead" if old else " dead linkdown"
        return "\n".join(r.show(down, _connected(r, mine), dead) for r in routes if not gone(r))


def _connected(r: Route, mine: dict) -> str | None:
    """The owner's address whose prefix route ``r`` is (``mine``: (device, prefix, plen) ->
    address), or None."""
    if r.multipath or r.src or r.nexthops[0].via is not None:
        return None
    return mine.get((r.nexthops[0].dev, r.prefix, r.plen))


def _fn_hash(prefix: int, order: int, mask: int) -> int:
    """2.4's ``fn_hash()``: the bucket of the key ``prefix`` in the zone of prefix length
    ``order`` whose hash mask is ``mask``."""
    h = prefix >> (32 - order) if order else 0
    h ^= h >> 20
    h ^= h >> 10
    h ^= h >> 5
    return h & mask


def _fn_hash_order(routes: list[Route]) -> list[Route]:
    """``routes`` (in the order added) as 2.4's ``fn_hash_dump()`` walks them: zones most
    specific first; in a zone, buckets in turn, each in key order.  A zone has 16 buckets
    (the default route's, 1); ``fn_hash_insert()`` grows it (``fn_rehash_zone()``: 16 -> 256
    -> 1024 -> twice as many) when, before an insert, it holds more than twice as many
    routes as buckets and its prefix length has more prefixes than that."""
    zones: dict[int, list[tuple[int, Route]]] = {}
    for n, r in enumerate(routes):
        zones.setdefault(r.plen, []).append((n, r))
    out = []
    for plen in sorted(zones, reverse=True):
        divisor = 16 if plen else 1
        for nent in range(len(zones[plen])):
            if nent > divisor << 1 and (plen == 32 or (1 << plen) > divisor):
                divisor = {16: 256, 256: 1024}.get(divisor, divisor << 1)
        out += [r for _, r in sorted(zones[plen], key=lambda nr: (_fn_hash(nr[1].prefix, plen, divisor - 1),
                                                                   nr[1].prefix, nr[0]))]
    return out
