"""The routing table (FIB): routes written in ``ip route`` syntax, longest-prefix match.

    fib.add("default equalize nexthop via 100.0.0.254 dev if1 weight 1 "
            "nexthop via 150.0.0.254 dev if2 weight 1")
    fib.lookup("200.0.0.1")   # -> the multipath default route

``show()`` prints the table the way ``ip route show`` does.
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

    def show(self, down=None) -> str:
        """Like one entry of ``ip route show`` (a route whose every nexthop is dead is not
        listed there: ``Fib.show``).  ``down``: the devices down (None: as the nexthops are now)."""
        if not self.multipath:
            nh = self.nexthops[0]
            s = f"{self.dest()} {nh.text()}"
            if nh.via is None:
                s += " scope link"
            return s + (f" src {self.src}" if self.src else "")
        head = self.dest() + (" equalize" if self.equalize else "")
        return "\n".join([head] + [f"\tnexthop {nh.text()} weight {nh.weight}"
                                   + (" dead linkdown" if (nh.dead if down is None else nh.dev in down) else "")
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

    def __init__(self):
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
        Simplified: Linux revives multipath nexthops so, but a route whose only nexthop was
        on the device was deleted and comes back only if it is the connected route; no
        scenario brings a line back yet (``Link.set_carrier(True)``)."""
        n = 0
        for r in self.routes:
            for nh in r.nexthops:
                if nh.dev == dev and nh.dead:
                    nh.dead = False
                    n += 1
        self._changed()
        return n

    def show(self, down=None) -> str:
        """Like ``ip route show``: most specific last, default first, as iproute2 orders by prefix.
        A route whose every nexthop is dead is left out: the kernel deletes it (``fib_flush()``
        after ``fib_sync_down()``, 2.4 and today alike); here it stays, passed by every lookup,
        so that a replay can draw the table as it was before the device went down.  ``down``:
        the table when exactly these devices are down (None: as it is now)."""
        def gone(r):
            return r.dead if down is None else all(nh.dev in down for nh in r.nexthops)
        return "\n".join(r.show(down) for r in sorted(self.routes, key=lambda r: (r.plen, r.prefix))
                         if not gone(r))
