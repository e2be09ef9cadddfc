"""A router's tables, rebuilt from the trace: the one fold of route cache and conntrack.

``Tables.apply(e)`` takes the router's next event and changes the tables as the
engine did: a cache miss inserts an entry, a hit uses one, a delete removes one;
a new conntrack entry appears, a NAT translation uses it, a destroy removes it;
a device goes down or up.  ``Result.state_at`` (the tables after any event) and
the players' snapshots (``sim.view.model.Analysis``) both fold with it, so the
two can never disagree.  Only the trace is read, never the engine.
"""
from __future__ import annotations

from .trace import Ev


class Tables:
    """The route cache and conntrack table of one node, as its events left them."""

    def __init__(self):
        self.cache: dict = {}        # key -> {dev, via, created, lastuse, use, equalize}
        self.conntrack: dict = {}    # ct -> {orig, reply, dev, created}
        self.used: dict = {}         # ct -> packets NAT translated with it
        self.in_hit = 0              # the route cache's counters (rt_cache_stat)
        self.in_slow_tot = 0
        self.down: set = set()       # devices that are down

    def apply(self, e) -> tuple | None:
        """Fold event ``e`` (of this node) in.  For a delete, returns what it removed:
        ``("cache", key, entry)`` or ``("ct", ct, entry)``, the entry as it was; else None."""
        ev, t = e.ev, e.t
        if ev is Ev.RT_MISS:
            self.cache[e.key] = {"dev": e.dev, "via": e.via, "created": t, "lastuse": t, "use": 1,
                                 "equalize": e.equalize}
            self.in_slow_tot += 1
        elif ev is Ev.RT_HIT:
            entry = self.cache.get(e.key)
            if entry is not None:
                entry["lastuse"], entry["use"] = t, entry["use"] + 1
            self.in_hit += 1
        elif ev is Ev.RT_DEL:
            entry = self.cache.pop(e.key, None)
            if entry is not None:
                return "cache", e.key, entry
        elif ev is Ev.CT_NEW:
            self.conntrack[e.ct] = {"orig": e.orig, "reply": e.reply, "dev": e.dev, "created": t}
            self.used[e.ct] = 0
        elif ev is Ev.NAT:
            if e.ct in self.used:
                self.used[e.ct] += 1
        elif ev is Ev.CT_DEL:
            entry = self.conntrack.pop(e.ct, None)
            if entry is not None:
                return "ct", e.ct, dict(entry, used=self.used.pop(e.ct, 0))
        elif ev is Ev.LINK:
            (self.down.add if e.state == "down" else self.down.discard)(e.dev)
        return None
