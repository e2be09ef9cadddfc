"""What the views show, computed from a Result's trace in one forward pass.

A *step* is one trace event shown as one frame of a replay (by default the
packet-level events: every hop and every drop).  Steps are named by their
trace index ``i``, as in the pcapng comments (``step i: from > to``).

``Analysis`` walks the trace once and links each hop to where its packet
came from: the host's ``send``, or the packet's arrival at the router that
forwarded it together with the router's decisions in between (route cache
hit/miss/delete, FIB choice, conntrack, NAT).  It also folds the router's
route cache and conntrack table in one pass, with the same fold as
``Result.state_at`` (``sim.tables.Tables``), so a player gets the state at
every step in O(trace).

Only the Result is read: its trace, its parameters and the network's static
configuration (names, addresses, routes); never the engine's live state.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from ..scenarios import plain
from ..tables import Tables
from ..reasons import CtMark, NumgenMark
from ..trace import Ev

#: Event kinds a replay shows by default: a packet on a link, a packet dropped.
DEFAULT_KINDS = (Ev.HOP, Ev.DROP)
#: Events of the router that change or explain its tables.
DECISIONS = (Ev.RT_MISS, Ev.RT_HIT, Ev.RT_DEL, Ev.FIB, Ev.NAT, Ev.CT_NEW, Ev.CT_DEL)
MAX_STEPS = 400


def info_of(e) -> dict:
    """The kind-specific fields of an event by their JSON names; works for kinds added later."""
    return e.info()


def kind(e) -> str:
    return getattr(e.ev, "value", str(e.ev))


def endpoint_node(label: str) -> str:
    """``router:if1`` -> ``router``."""
    return label.split(":", 1)[0]


def _claim(q: deque | None, taken: set[int]):
    """The oldest origin in ``q`` no hop has claimed yet (then claimed), or None."""
    while q:
        o = q.popleft()
        if id(o) not in taken:
            taken.add(id(o))
            return o
    return None


def _discard(q: deque, item) -> None:
    for k, x in enumerate(q):
        if x is item:
            del q[k]
            return


def _pkey(pkt):
    """A packet's identity while it crosses a node: everything but the TTL."""
    return (pkt.ip.src, pkt.ip.dst, pkt.ip.id, pkt.ip.tos, pkt.l4, pkt.load)


def _nat_key(pkt):
    """What NAT leaves alone of a packet: all but its addresses, ports and ICMP id (and the
    TTL).  A capture has no NAT events, so the router's rewrite is found by this."""
    l4 = pkt.l4
    rest = tuple(v for name, v in zip(l4._fields, l4) if name not in ("sport", "dport", "id"))
    return (pkt.ip.id, pkt.ip.tos, type(l4), rest, pkt.load)


@dataclass(eq=False)
class Origin:
    """Where the packet of a hop (or drop) came from."""
    send: int | None = None          # trace index of the host's send
    arrival: int | None = None       # trace index of its arrival hop at the node it leaves
    decisions: list[int] = field(default_factory=list)   # that node's events for it


@dataclass(frozen=True)
class Routed:
    """A packet the router routed whose decisions a step's tables include, though that step does
    not carry it on: ``when`` is "now" (the step brings it to the router, which routes it in the
    same instant), "before" (before the replay's first step) or "meanwhile"."""
    arrival: int | None              # trace index of its hop into the router
    decisions: tuple                 # the router's events for it
    leaving: int | None              # trace index of its hop out of the router or its drop
    step: int | None                 # that hop's (or drop's) step number (1-based) here, None: not shown
    when: str


@dataclass
class Snapshot:
    """The router's tables at one step, with what this step did to them."""
    t: int
    at: int                          # trace index the tables are taken after
    cache: dict                      # key -> {dev, via, created, lastuse, use, equalize}
    conntrack: dict                  # ct -> {orig, reply, dev, created, used}
    gone_cache: dict                 # entries removed by this step: key -> entry + reason
    gone_ct: dict
    marks_cache: dict                # key -> "new" | "hit" | "del:<reason>"
    marks_ct: dict                   # ct -> "new" | "snat" | "dnat" | "del:<reason>"
    nexthop: str | None              # device chosen for this step's packet
    why: str                         # the router's own words for that choice
    # packets the router routed since the previous step's tables, other than this step's own
    # (the packet this step brings to the router, routed at once; packets whose arrival no step
    # shows; before the first step, what the router did before the replay begins)
    routed: list = field(default_factory=list)
    # this step's packet was routed before this step's moment (it waited in the uplink's queue):
    # when, and the step (1-based) that shows it reaching the router, if one does
    routed_at: int | None = None
    routed_step: int | None = None
    in_hit: int = 0
    in_slow_tot: int = 0
    down: frozenset = frozenset()    # the router's devices that are down at this step
    # route cache entries this step's packet made or hit when it was routed, replaced since by
    # later packets' (equalize: every packet makes its own): key -> ("new" | "hit", dev, t)
    since: dict = field(default_factory=dict)
    table: int | None = None         # the mark's routing table that decided (numgen, connmark)
    # the route cache answered for this step's packet (a hit): the FIB was not searched, the
    # nexthop is the one the cache entry copied when it was made
    hit: bool = False
    # at the replay's first step: what befell the tables before the replay begins that was no
    # packet's doing (a device going down, expiry), trace indexes: said as before, with its
    # time, never marked as this step's
    earlier: tuple = ()


class Analysis:
    """One forward pass over ``result``'s trace."""

    def __init__(self, result, router: str = "router"):
        self.result = result
        self.router = router
        ev = result.events
        self.n = len(ev)
        self.origin: dict[int, Origin] = {}
        self.proc_of: dict[int, int] = {}          # decision event -> arrival index
        pending: dict = defaultdict(deque)       # (node, packet key) -> origins, FIFO
        # a capture (sim.view.capture) records hops alone, no NAT events: a packet the router
        # translated is matched to its arrival by what NAT leaves alone (_nat_key)
        by_nat_key = None if result.records_nat else defaultdict(deque)
        taken: set[int] = set()                  # ids of the origins a hop has claimed
        open_node, proc, pkey = None, None, None
        for i, e in enumerate(ev):
            k, node, pkt = e.ev, e.node, e.pkt
            if k is Ev.HOP:
                from_node = endpoint_node(e.from_)
                o = _claim(pending.get((from_node, _pkey(pkt))), taken)
                if o is None and by_nat_key is not None:
                    o = _claim(by_nat_key.get((from_node, _nat_key(pkt))), taken)
                self.origin[i] = o or Origin()
                # the packet arrives at the far node: what that node does next, in the same
                # instant and before anything else happens, is its handling of this packet
                open_node, proc = endpoint_node(e.to), Origin(arrival=i)
                pkey = (open_node, _pkey(pkt))
                pending[pkey].append(proc)
                if by_nat_key is not None:
                    by_nat_key[(open_node, _nat_key(pkt))].append(proc)
                continue
            if k is Ev.DROP and i and ev[i - 1].ev is Ev.SEND and ev[i - 1].node == node and ev[i - 1].pkt is pkt:
                # what the node has just sent, dropped by its own device (its queue full): the send
                # is this drop's origin, and no hop will carry it
                q = pending.get((node, _pkey(pkt)))
                self.origin[i] = q.pop() if q and q[-1].send == i - 1 else Origin(send=i - 1)
                continue
            if node != open_node:
                open_node = proc = None
                if k is Ev.SEND:
                    pending[(node, _pkey(pkt))].append(Origin(send=i))
                elif k is Ev.DROP:
                    self.origin[i] = Origin()
                continue
            if k is Ev.SEND:
                pending[(node, _pkey(pkt))].append(Origin(send=i))
            elif k is Ev.DROP:
                self.origin[i] = Origin(arrival=proc.arrival, decisions=list(proc.decisions))
                _discard(pending[pkey], proc)
                open_node = proc = None
            else:
                proc.decisions.append(i)
                if k in DECISIONS:
                    self.proc_of[i] = proc.arrival
                if k is Ev.NAT:               # it leaves with the translated addresses
                    _discard(pending[pkey], proc)
                    pkey = (node, _pkey(pkt))
                    pending[pkey].append(proc)
        # the hop (or drop) that carries each decision's packet on: the step that narrates it
        self.told_at: dict[int, int] = {}
        for i, o in self.origin.items():
            for j in o.decisions:
                if j in self.proc_of:
                    self.told_at[j] = i

    # -- steps ------------------------------------------------------------------------------

    def default_steps(self, kinds=DEFAULT_KINDS, start=0, stop=None) -> list[int]:
        """Events of ``kinds``, and (with the defaults) the moment a router's line fails."""
        stop = self.n if stop is None else stop
        ks = set(kinds)
        ev = self.result.events
        link = kinds == DEFAULT_KINDS
        return [i for i in range(start, min(stop, self.n))
                if ev[i].ev in ks or (link and ev[i].ev is Ev.LINK and ev[i].node == self.router)]

    def arrival(self, i: int) -> int | None:
        """The trace index of the hop that brought this step's packet to the node that sent
        it on, or None (a host sent it)."""
        o = self.origin.get(i)
        return None if o is None else o.arrival

    def before(self, i: int):
        """The packet as it arrived at the node that sent this step's packet, or None."""
        j = self.arrival(i)
        return None if j is None else self.result.events[j].pkt

    def decisions(self, i: int) -> list[int]:
        o = self.origin.get(i)
        return list(o.decisions) if o else []

    # -- counts ----------------------------------------------------------------------------

    def uplink_counts(self, steps: list[int]) -> dict[int, dict[str, tuple[int, int]]]:
        """For each step, {uplink link name: (packets up, packets down)} so far (inclusive)."""
        ups = [l for l in self.result.net.links if l.startswith("uplink")]
        cnt = {l: [0, 0] for l in ups}
        ev = self.result.events
        want = sorted(i for i in set(steps) if 0 <= i < len(ev))
        if not want:
            return {}
        last = want[-1]
        if hasattr(ev, "at_node"):      # the uplinks' events up to the last step, from the node column
            at = sorted(i for l in ups for i in ev.at_node(l, 0, last + 1))
        else:
            at = [i for i in range(last + 1) if ev[i].node in cnt]
        out = {}
        k = 0
        for s in want:
            while k < len(at) and at[k] <= s:
                e = ev[at[k]]
                if e.ev is Ev.HOP:
                    cnt[e.node][0 if endpoint_node(e.from_) == self.router else 1] += 1
                k += 1
            out[s] = {l: tuple(c) for l, c in cnt.items()}
        return out

    # -- router state, folded incrementally --------------------------------------------------

    def snapshots(self, steps: list[int]) -> dict[int, Snapshot]:
        """The router's tables for each step, folded in one pass.

        Every step shows the tables at one moment, its own: the router's events up to this
        step's event, and, for a step that brings a packet to the router, the router's
        handling of it in that same instant (its route cache hit, miss or delete, FIB choice,
        conntrack, NAT: ``Snapshot.routed``, "now").  A packet that then waits in an uplink's
        queue is carried on by a later step; that step's tables are those of its own moment,
        with the packet's own decisions marked on them (an entry later packets have replaced
        since named with the time it was routed, ``Snapshot.since``) and the time it was
        routed (``Snapshot.routed_at``).  Packets routed since the previous step that this
        step does not bring (their arrival is not a step of the replay, or came before its
        first step) are named in ``Snapshot.routed`` too.
        """
        ev = self.result.events
        at_of, told = self._fold_points(steps)
        pos = {s: k + 1 for k, s in enumerate(sorted(steps))}
        want = defaultdict(list)
        for s, (at, _, _) in at_of.items():
            want[at].append(s)
        tables = Tables()
        gone_c: dict = {}
        gone_t: dict = {}
        out: dict[int, Snapshot] = {}
        fresh: list[int] = []    # the router's decisions folded in since the last snapshot
        changed: dict = {}       # route cache key -> the last event that made or deleted its entry
        mine = set(self._router_events(max(want) if want else -1))
        # the steps' fold points: no other event changes the tables or is shown here
        for i in [-1] + sorted(mine.union(i for i in want if i >= 0)):
            if i in mine:
                e = ev[i]
                gone = tables.apply(e)
                if e.ev is Ev.RT_MISS or e.ev is Ev.RT_DEL:
                    changed[e.key] = i
                if gone is not None:
                    table, key, entry = gone
                    reason = str(getattr(e, "reason", ""))
                    (gone_c if table == "cache" else gone_t)[i] = (key, dict(entry, reason=reason))
                if e.ev in DECISIONS:
                    fresh.append(i)
            for s in want.get(i, ()):
                out[s] = self._snapshot(s, i, tables, gone_c, gone_t, at_of[s][1], at_of[s][2], fresh,
                                        told, changed, pos)
                fresh = []
        return out

    def _router_events(self, last: int) -> list[int]:
        """The router's events up to trace index ``last``, in order (the stored trace's node
        column picks them)."""
        ev = self.result.events
        if hasattr(ev, "at_node"):
            return sorted(ev.at_node(self.router, 0, last + 1))
        return [i for i in range(last + 1) if ev[i].node == self.router]

    def _fold_points(self, steps: list[int]) -> tuple[dict, dict]:
        """Where the fold stops for each step: ``{step: (event index, the router's decisions
        for the packet it carries on, those for the packet it brings to the router)}``, and for
        each router event the trace index of the step that carries its packet on (its hop out
        or drop; a device going down for what the router does about it at that instant; none
        for the rest: expiry, timeouts)."""
        ev = self.result.events
        router = self.router
        order = sorted(steps)
        told = dict(self.told_at)
        dec_of = {}
        for s in order:
            dec = [j for j in self.decisions(s) if ev[j].node == router]
            if ev[s].ev is Ev.LINK:
                # a device going down: what the router does about it at that instant
                # (flushes, forgotten NAT bindings) belongs to this step
                j = s + 1
                while j < len(ev) and ev[j].t == ev[s].t and ev[j].node == router \
                        and ev[j].ev in (Ev.RT_DEL, Ev.CT_DEL):
                    dec.append(j)
                    told[j] = s
                    j += 1
            dec_of[s] = dec
        arr_of = defaultdict(list)           # arrival hop -> the router's decisions for its packet
        for j, i in self.proc_of.items():
            if ev[j].node == router:
                arr_of[i].append(j)
        at_of = {}
        floor = -1
        for s in order:
            dec = dec_of[s]
            arr = sorted(arr_of.get(s, ())) if ev[s].ev is Ev.HOP else []
            if ev[s].node == router:             # its drop, a device going down
                at = max(dec + [s])
            elif arr:                            # a packet reaches it: routed in the same instant
                at = max(arr)
            else:                                # up to this event
                at = s
            floor = max(floor, at)
            at_of[s] = (floor, dec, arr)
        return at_of, told

    def _snapshot(self, s, at, tables, gone_c, gone_t, dec, arr, fresh, told, changed, pos) -> Snapshot:
        ev = self.result.events
        own = set(dec)
        last_own = max(own, default=-1)
        # folded in since the previous step, besides this step's own: what happened to no packet
        # (expiry, timeouts) is this step's to show; packets routed, named one by one (Routed)
        others = [j for j in fresh if j not in own]
        background = [j for j in others if j not in told and j not in self.proc_of]
        packets: dict = {}
        for j in others:
            if j not in background:
                packets.setdefault(self.proc_of.get(j), []).append(j)
        first = min(pos, key=pos.get) if pos else s
        earlier = tuple(j for j in background if s == first and j < s)
        if earlier:
            background = [j for j in background if j >= s]
        routed = []
        for i, js in packets.items():
            leaving = told.get(js[0])
            when = "now" if i == s else ("before" if s == first and (i is None or i < s) else "meanwhile")
            routed.append(Routed(i, tuple(js), leaving, pos.get(leaving), when))
        routed_at = routed_step = None
        if own and ev[s].ev is Ev.HOP and ev[last_own].t != ev[s].t:
            routed_at = ev[last_own].t
            routed_step = pos.get(self.arrival(s))
        since: dict = {}
        marks_c: dict = {}
        marks_t: dict = {}
        g_c: dict = {}
        g_t: dict = {}
        nexthop, why, table, hit = None, "", None, False
        for j in sorted(set(dec) | set(background) | set(arr)):
            k = ev[j].ev
            f = info_of(ev[j])
            if k is Ev.RT_MISS or k is Ev.RT_HIT:
                hit = k is Ev.RT_HIT
                if k is Ev.RT_MISS:
                    nexthop, why, table = f["dev"], str(f.get("why", "")), _marks_table(f.get("why"))
                else:
                    nexthop, why, table = f["dev"], "route cache hit", None
                if j in own and changed.get(f["key"], j) > j:     # replaced since: not that entry
                    since[f["key"]] = ("new" if k is Ev.RT_MISS else "hit", f["dev"], ev[j].t)
                elif k is Ev.RT_MISS:
                    marks_c[f["key"]] = "new"
                else:
                    marks_c.setdefault(f["key"], "hit")
            elif k is Ev.FIB:
                nexthop, why, table, hit = f["dev"], str(f.get("why", "")), _marks_table(f.get("why")), False
            elif k is Ev.RT_DEL:
                if j in gone_c:
                    key, e = gone_c[j]
                    g_c[key] = e
                # (not on the entry that holds the key now, if a later packet made it: the gone
                # row shows this packet's deletion)
                if not (j in own and changed.get(f["key"], j) > last_own):
                    marks_c.setdefault(f["key"], f"del:{f.get('reason', '')}")
            elif k is Ev.CT_NEW:
                marks_t[f["ct"]] = "new"
            elif k is Ev.NAT:
                marks_t.setdefault(f["ct"], str(f.get("dir", "nat")))
            elif k is Ev.CT_DEL:
                if j in gone_t:
                    cid, e = gone_t[j]
                    g_t[cid] = e
                marks_t[f["ct"]] = f"del:{f.get('reason', '')}"
        return Snapshot(t=ev[at].t if at >= 0 else 0, at=at, routed=routed, routed_at=routed_at,
                        routed_step=routed_step,
                        cache={k: dict(v) for k, v in tables.cache.items()},
                        conntrack={k: dict(v, used=tables.used[k]) for k, v in tables.conntrack.items()},
                        gone_cache=g_c, gone_ct=g_t, marks_cache=marks_c, marks_ct=marks_t,
                        nexthop=nexthop, why=why, in_hit=tables.in_hit, in_slow_tot=tables.in_slow_tot,
                        down=frozenset(tables.down), since=since, table=table, hit=hit,
                        earlier=earlier)


def _marks_table(why) -> int | None:
    """The table a packet's mark picked, when that table decided (not when its route was dead
    and the main table chose: ``DeadTable``)."""
    return why.mark if isinstance(why, (NumgenMark, CtMark)) else None


def resolve_steps(result, analysis: Analysis, start=0, stop=None, steps=None,
                  max_steps=MAX_STEPS) -> tuple[list[int], int]:
    """The trace indices a replay shows, and how many it would show without ``max_steps``.

    ``steps``: None (hops and drops), an iterable of event kinds
    (``("hop", "drop", "send")``), or an explicit list of trace indices.
    ``start``/``stop`` window the trace like a slice; ``max_steps`` caps the count.
    """
    check_result(result)
    n = len(result.events)
    if n == 0:
        why = ("run with trace=True" if not result.params.trace
               else "the run produced no events: give it something to do")
        raise ValueError(f"scenario {result.scenario!r} produced an empty trace ({why})")
    start, stop = plain(start), plain(stop)
    for name, v in (("start", start), ("stop", stop)):
        if v is None and name == "stop":
            continue
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= n:
            raise ValueError(f"{name} {v!r} out of range: allowed 0..{n} (the trace has {n} events)")
    stop = n if stop is None else stop
    if stop <= start:
        raise ValueError(f"empty window: start {start} must be below stop {stop}")
    if steps is None:
        chosen = analysis.default_steps(DEFAULT_KINDS, start, stop)
    else:
        if isinstance(steps, (str, Ev)):         # steps="hop": one kind, not the letters h, o, p
            steps = [steps]
        try:
            steps = list(steps)
        except TypeError:
            raise ValueError(f"steps must be event kinds like ('hop', 'drop') or trace indices, "
                             f"got {steps!r}") from None
        if steps and all(isinstance(s, (str, Ev)) for s in steps):
            allowed = {e.value: e for e in Ev}
            bad = [s for s in steps if str(getattr(s, "value", s)) not in allowed]
            if bad:
                raise ValueError(f"unknown event kind {bad[0]!r}: allowed are {', '.join(allowed)}")
            chosen = analysis.default_steps([allowed[str(getattr(s, 'value', s))] for s in steps],
                                            start, stop)
        else:
            steps = [check_step(result, s) for s in steps]
            chosen = sorted({s for s in steps if start <= s < stop})
    if not chosen:
        raise ValueError(f"no step to show in events {start}..{stop - 1} of scenario "
                         f"{result.scenario!r}: pass steps= or widen start/stop")
    total = len(chosen)
    if max_steps is not None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        chosen = chosen[:max_steps]
    return chosen, total


def check_result(result) -> None:
    """Views draw what ``sim.run`` returned: say so when given anything else."""
    from ..result import Result
    from .capture import Captured       # a kernel capture replayed with the simulator's topology
    if not isinstance(result, (Result, Captured)):
        raise TypeError(f"expected the result of sim.run(...) or a kernel capture, got {result!r:.60}")


def check_step(result, step) -> int:
    check_result(result)
    n = len(result.events)
    step = plain(step)
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < n:
        raise ValueError(f"step {step!r} out of range: allowed are trace indices 0..{n - 1} "
                         f"(scenario {result.scenario!r} has {n} events)")
    return step


_CACHE_ATTR = "_view_analysis"


def analysis_of(result) -> Analysis:
    """The Analysis of ``result``, computed once and kept on it."""
    a = getattr(result, _CACHE_ATTR, None)
    if a is None or a.n != len(result.events):
        a = Analysis(result)
        try:
            setattr(result, _CACHE_ATTR, a)
        except AttributeError:
            pass
    return a
