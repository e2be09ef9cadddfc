"""What every multipath policy is, and the registry of them."""
from __future__ import annotations

from ..fib import Nexthop, Route
from ..multipath import select_hash
from ..packet import Packet
from ..reasons import DeadTable, Why


class Policy:
    """How a router picks the nexthop of a multipath route; one instance per router, which
    holds the policy's state (counters, marks).

    ``cached``: the 2.4 route cache sits in front of it (only then can a route be
    ``equalize``); ``per_packet``: it balances each packet, not each flow (the Internet
    side then answers over every line too); ``mark_tables``: it routes by a mark through
    ``ip rule fwmark k table k``, table k holding one route, by uplink k; ``rank``: its
    place in the lists a reader sees (the CLI, the live player); ``help``: what it is, in one
    line, which ``python -m sim run --help`` and the live players' hints show."""
    name: str = ""
    help: str = ""
    rank: int = 100
    cached: bool = False
    per_packet: bool = False
    mark_tables: bool = False

    def __init__(self, router):
        self.router = router

    def select(self, route: Route, pkt: Packet) -> tuple[Nexthop, Why]:
        """The nexthop for ``pkt`` on the multipath ``route`` and why (a ``sim.reasons``
        record)."""
        raise NotImplementedError

    def device_down(self, dev: str) -> None:
        """Masquerade forgot the connections of ``dev``: forget what was kept with them."""

    def device_up(self, dev: str) -> None:
        """``dev`` came back up (its nexthops live again): what the policy does about it."""


REGISTRY: dict[str, type[Policy]] = {}


def register(cls: type[Policy]) -> type[Policy]:
    """Class decorator: make the policy known by its ``name``."""
    if not cls.name or cls.name in REGISTRY:
        raise ValueError(f"policy name {cls.name!r} missing or taken")
    REGISTRY[cls.name] = cls
    return cls


def fwmark_table(router, route: Route, pkt: Packet, nh: Nexthop, why: Why) -> tuple[Nexthop, Why]:
    """The nexthop a mark chose, through ``ip rule fwmark k table k``: when table k has lost
    its only route (its device down: ``fib_flush()`` deletes a route whose nexthops are all
    dead; the simulator keeps it marked dead, which a lookup passes by just the same), the
    lookup falls through to the main table's hash."""
    if nh.dead:
        nh2, why2 = select_hash(route, pkt, router.sim.seed, False)
        return nh2, DeadTable(why, nh.dev, why2)
    return nh, why
