"""Why the engine did what it did, as small records: read by field, written as text only when
someone reads the text.

A route choice's ``why`` (``rt_miss``, ``fib``) is one of the ``Why`` records below; the
``reason`` of a removed route cache entry (``rt_del``) or conntrack entry (``ct_del``) is a
``Gone`` or one of the records after it.  Building one costs a few attribute stores and no
string formatting, so every choice has one whether or not a trace keeps it.  ``str(r)`` is
the text the JSON and text traces carry (unchanged since they were strings); views and the
book read the fields.  (Drop reasons are the enum ``sim.trace.Drop``.)
"""
from __future__ import annotations

from enum import Enum


class Reason:
    """A record of a few named fields (``__slots__``), equal by type and fields."""
    __slots__ = ()

    def fields(self) -> tuple:
        return tuple(getattr(self, n) for n in self.__slots__)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.fields() == self.fields()

    def __hash__(self) -> int:
        return hash((type(self), self.fields()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"


# -- why a route choice chose its nexthop ---------------------------------------------------------

class Why(Reason):
    """Why a nexthop was chosen.  ``choice``: the selection itself (what is left once an
    equalize deletion is set aside)."""
    __slots__ = ()

    @property
    def choice(self) -> Why:
        return self


class OnlyRoute(Why):
    """Not a multipath route: its one nexthop (``dest``: the route's destination)."""
    __slots__ = ("dest",)

    def __init__(self, dest: str):
        self.dest = dest

    def __str__(self) -> str:
        return f"route {self.dest}"


class RandomDraw(Why):
    """A random nexthop among ``live`` ones, in proportion to their weights; ``dead`` skipped."""
    __slots__ = ("live", "dead")

    def __init__(self, live: int, dead: int):
        self.live, self.dead = live, dead

    def __str__(self) -> str:
        return f"random choice among {self.live} nexthops" + (f" ({self.dead} dead)" if self.dead else "")


class RoundRobin(Why):
    """2.4's weighted round robin: the live nexthops' ``credits`` before the choice
    (``(dev, credits)`` pairs), drawn by ``source`` (``"counter"``: the equalize patch's
    global counter, or ``"jiffies"``) whose value was ``value``."""
    __slots__ = ("credits", "source", "value")

    def __init__(self, credits: tuple, source: str, value: int):
        self.credits, self.source, self.value = credits, source, value

    def __str__(self) -> str:
        credits = ", ".join(f"{dev}:{power}" for dev, power in self.credits)
        return f"round robin, credits {credits}, {self.source} {self.value}"


class HashChoice(Why):
    """Hash-threshold (RFC 2992): the flow's hash ``h`` (of the 5-tuple if ``l4``, else of
    source and destination) fell at or under the chosen nexthop's ``bound``."""
    __slots__ = ("l4", "h", "bound")

    def __init__(self, l4: bool, h: int, bound: int):
        self.l4, self.h, self.bound = l4, h, bound

    @property
    def fields_hashed(self) -> str:
        return "5-tuple" if self.l4 else "src, dst"

    def __str__(self) -> str:
        return (f"hash-{'l4' if self.l4 else 'l3'} of ({self.fields_hashed}) = 0x{self.h:08x}"
                f" <= bound 0x{self.bound:08x}")


def numgen_expr(n: int, marks: tuple[int, ...] | None) -> str:
    """What follows ``numgen inc`` in the nftables rule: ``mod n offset 1`` (each mark in turn),
    or, for unequal weights, ``mod n map { 0 : 1, 1 : 1, 2 : 2 }`` (``marks``: the mark of each
    value of the counter mod n)."""
    if marks is None:
        return f"mod {n} offset 1"
    return f"mod {n} map {{ " + ", ".join(f"{v} : {m}" for v, m in enumerate(marks)) + " }"


class NumgenMark(Why):
    """nftables ``numgen inc mod n offset 1`` (or ``mod n map {...}``, ``marks`` the map's
    values, for unequal weights): the counter read ``counter``, giving ``mark``, whose
    ``ip rule fwmark`` picks table ``mark``."""
    __slots__ = ("counter", "n", "mark", "marks")

    def __init__(self, counter: int, n: int, mark: int, marks: tuple[int, ...] | None = None):
        self.counter, self.n, self.mark, self.marks = counter, n, mark, marks

    def __str__(self) -> str:
        m = self.mark
        return f"numgen inc = {self.counter}, {numgen_expr(self.n, self.marks)} -> fwmark {m} -> table {m}"


class CtMark(Why):
    """The connection's conntrack mark ``mark`` picks table ``mark``; ``new``: the connection
    was new and got the mark now (``ct mark set numgen inc mod n offset 1``, or ``mod n map
    {...}``, ``marks`` the map's values, for unequal weights)."""
    __slots__ = ("mark", "new", "n", "marks")

    def __init__(self, mark: int, new: bool = False, n: int = 0, marks: tuple[int, ...] | None = None):
        self.mark, self.new, self.n, self.marks = mark, new, n, marks

    def __str__(self) -> str:
        m = self.mark
        if self.new:
            return f"new connection: ct mark set numgen inc {numgen_expr(self.n, self.marks)} = {m} -> table {m}"
        return f"ct mark {m} -> fwmark {m} -> table {m}"


class DeadTable(Why):
    """The mark's table (``marked``) has lost its only route (its device ``dev`` down, and
    ``fib_flush()`` deletes a route whose nexthops are all dead): the lookup fell through to
    the main table, which chose by ``fallback``."""
    __slots__ = ("marked", "dev", "fallback")

    def __init__(self, marked: Why, dev: str, fallback: Why):
        self.marked, self.dev, self.fallback = marked, dev, fallback

    def __str__(self) -> str:
        return f"{self.marked}, whose only route was deleted ({self.dev} down); the main table: {self.fallback}"


class Invalid(Why):
    """The packet is INVALID to conntrack, so it gets no ct mark: the main table chose by
    ``fallback``."""
    __slots__ = ("fallback",)

    def __init__(self, fallback: Why):
        self.fallback = fallback

    def __str__(self) -> str:
        return f"INVALID to conntrack, so no ct mark: the main table: {self.fallback}"


class EqualizeDeleted(Why):
    """The equalize patch: the route cache hit an equalize entry, deleted it, and the FIB
    chose again (by ``choice``)."""
    __slots__ = ("choice",)

    def __init__(self, choice: Why):
        self.choice = choice

    def __str__(self) -> str:
        return f"equalize deleted the cached entry; {self.choice}"


# -- why a route cache or conntrack entry went ----------------------------------------------------

class Gone(str, Enum):
    """Reasons without parameters for removing a route cache or conntrack entry."""
    EQUALIZE = "equalize"         # route cache: the equalize patch deletes the entry it hit
    EXPIRED = "expired"           # route cache: idle too long (rt_check_expire)
    FLUSH = "flush"               # route cache: ip route flush cache
    TIMEOUT = "timeout"           # conntrack: the entry timed out
    ICMP_REPLY = "icmp reply"     # conntrack: 2.4's echo reply ends the ICMP "connection"

    def __str__(self) -> str:
        return self.value


class Flushed(Reason):
    """The route cache was flushed because device ``dev`` went ``state`` ("down" or "up")."""
    __slots__ = ("dev", "state")

    def __init__(self, dev: str, state: str):
        self.dev, self.state = dev, state

    def __str__(self) -> str:
        return f"flush ({self.dev} {self.state})"


class OifChanged(Reason):
    """MASQUERADE: the connection's packets now leave by ``new``, not ``old`` (the device its
    binding was made on), so the entry is destroyed."""
    __slots__ = ("old", "new")

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def __str__(self) -> str:
        return f"oif changed {self.old}->{self.new}"


class DeviceDown(Reason):
    """MASQUERADE forgets the connections bound to ``dev``, which went down."""
    __slots__ = ("dev",)

    def __init__(self, dev: str):
        self.dev = dev

    def __str__(self) -> str:
        return f"{self.dev} down"
