"""The trace: every hop and every decision is one event.

An event is a small record of its kind (``Hop``, ``RtMiss``, ``Nat`` ...):
``t`` (time in µs), ``node`` (where it happened: a node or link name),
``pkt`` (the packet as it was there, or ``None``) and the kind's own fields,
named as the JSON trace names them (``FIELDS``); ``e.ev`` is its kind.
``event_dict`` turns one into the JSON form documented in the README.

State changes (route cache inserts and deletes, conntrack entries, TCP
states) are events too, so the state of any table at any step can be
rebuilt from the trace alone (``sim.tables``): views read traces, they
never poke the engine.
"""
from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import MutableSequence, Sequence
from enum import Enum
from struct import pack

from .packet import ICMP_PROTO, IP, PROTO_NAMES, Packet
from .reasons import Reason


class Ev(str, Enum):
    SEND = "send"          # a host's stack emits a packet
    HOP = "hop"            # a packet crossed a link (one frame of the pcapng; its comment names the event)
    RT_MISS = "rt_miss"    # route cache miss: FIB lookup, nexthop chosen, entry inserted
    RT_HIT = "rt_hit"      # route cache hit
    RT_DEL = "rt_del"      # route cache entry removed (equalize, expired, flush)
    FIB = "fib"            # FIB lookup on a router without a route cache
    NAT = "nat"            # address/port translation, before -> after
    CT_NEW = "ct_new"      # conntrack entry created
    CT_DEL = "ct_del"      # conntrack entry destroyed
    DROP = "drop"          # packet dropped, with a reason from Drop
    TCP = "tcp"            # TCP state change
    DELIVER = "deliver"    # packet reached its destination host's stack
    APP = "app"            # application milestone (download done, ping sent ...)
    LINK = "link"          # a device went down (its line failed) or came up

    def __str__(self) -> str:
        return self.value


class Drop(str, Enum):
    """The fixed vocabulary of drop reasons."""
    INGRESS_FILTER = "ingress filter"
    NO_ROUTE = "no route"
    RESET = "reset"
    RETRIES = "retries exhausted"
    QUEUE_FULL = "queue full"
    IGNORED = "ignored by remote"
    TTL = "TTL exceeded"
    NO_SOCKET = "no socket"
    NAT_OIF_CHANGED = "nat oif changed"
    LINK_DOWN = "link down"
    DATA_AFTER_CLOSE = "data after close"

    def __str__(self) -> str:
        return self.value


# -- the events, one record type per kind -------------------------------------------------------
#
# Every event has ``t`` (µs), ``node`` (where: a node or link name) and ``pkt`` (the packet as it
# was there, or None); each kind adds its own fields, named as the JSON trace names them (``from``,
# a Python keyword, is the attribute ``from_``).  ``__slots__`` keeps a stored event small: no
# dictionary per event, only its fields.


class Event:
    """One trace event.  ``ev`` (the kind) and ``fields`` (its own fields' JSON names) belong
    to the record type; ``info()`` gives the kind's fields by name."""
    __slots__ = ("t", "node", "pkt")
    ev: Ev
    fields: tuple[str, ...] = ()

    def info(self) -> dict:
        """The kind's own fields by their JSON names: ``{"from": ..., "to": ...}`` for a hop."""
        return {name: getattr(self, _attr(name)) for name in self.fields}

    def __eq__(self, other) -> bool:
        return (type(other) is type(self) and self.t == other.t and self.node == other.node
                and self.pkt == other.pkt and self.info() == other.info())

    __hash__ = None


    def __repr__(self) -> str:
        own = "".join(f", {_attr(n)}={v!r}" for n, v in self.info().items())
        return f"{type(self).__name__}(t={self.t}, node={self.node!r}, pkt={self.pkt!r}{own})"


def _attr(name: str) -> str:
    return "from_" if name == "from" else name


class Send(Event):
    """A host's stack emits ``pkt``."""
    __slots__ = ()
    ev, fields = Ev.SEND, ()

    def __init__(self, t, node, pkt):
        self.t, self.node, self.pkt = t, node, pkt


class Hop(Event):
    """``pkt`` crossed link ``node`` from interface ``from_`` to ``to`` (``router:if1``)."""
    __slots__ = ("from_", "to")
    ev, fields = Ev.HOP, ("from", "to")

    def __init__(self, t, node, pkt, from_, to):
        self.t, self.node, self.pkt, self.from_, self.to = t, node, pkt, from_, to


class RtMiss(Event):
    """A route cache miss: the FIB chose ``dev`` via ``via`` (``why``), entry ``key`` inserted."""
    __slots__ = ("key", "dev", "via", "why", "equalize")
    ev, fields = Ev.RT_MISS, ("key", "dev", "via", "why", "equalize")

    def __init__(self, t, node, pkt, key, dev, via, why, equalize):
        self.t, self.node, self.pkt = t, node, pkt
        self.key, self.dev, self.via, self.why, self.equalize = key, dev, via, why, equalize


class RtHit(Event):
    """A route cache hit on entry ``key``: ``dev`` via ``via``."""
    __slots__ = ("key", "dev", "via")
    ev, fields = Ev.RT_HIT, ("key", "dev", "via")

    def __init__(self, t, node, pkt, key, dev, via):
        self.t, self.node, self.pkt, self.key, self.dev, self.via = t, node, pkt, key, dev, via


class RtDel(Event):
    """Route cache entry ``key`` (to ``dev``) removed, for ``reason``."""
    __slots__ = ("key", "dev", "reason")
    ev, fields = Ev.RT_DEL, ("key", "dev", "reason")

    def __init__(self, t, node, pkt, key, dev, reason):
        self.t, self.node, self.pkt, self.key, self.dev, self.reason = t, node, pkt, key, dev, reason


class Fib(Event):
    """A FIB lookup on a router without a route cache: ``dev`` via ``via`` (``why``)."""
    __slots__ = ("dev", "via", "why")
    ev, fields = Ev.FIB, ("dev", "via", "why")

    def __init__(self, t, node, pkt, dev, via, why):
        self.t, self.node, self.pkt, self.dev, self.via, self.why = t, node, pkt, dev, via, why


class Nat(Event):
    """Conntrack entry ``ct`` translated ``before`` into ``pkt`` (``dir``: snat or dnat)."""
    __slots__ = ("before", "dir", "ct")
    ev, fields = Ev.NAT, ("before", "dir", "ct")

    def __init__(self, t, node, pkt, before, dir, ct):
        self.t, self.node, self.pkt, self.before, self.dir, self.ct = t, node, pkt, before, dir, ct


class CtNew(Event):
    """Conntrack entry ``ct`` created: tuples ``orig`` and ``reply``, bound to ``dev``."""
    __slots__ = ("ct", "orig", "reply", "dev")
    ev, fields = Ev.CT_NEW, ("ct", "orig", "reply", "dev")

    def __init__(self, t, node, pkt, ct, orig, reply, dev):
        self.t, self.node, self.pkt, self.ct, self.orig, self.reply, self.dev = t, node, pkt, ct, orig, reply, dev


class CtDel(Event):
    """Conntrack entry ``ct`` destroyed, for ``reason``."""
    __slots__ = ("ct", "reason")
    ev, fields = Ev.CT_DEL, ("ct", "reason")

    def __init__(self, t, node, pkt, ct, reason):
        self.t, self.node, self.pkt, self.ct, self.reason = t, node, pkt, ct, reason


class Dropped(Event):
    """``pkt`` dropped at ``node``; ``reason`` is a ``Drop``."""
    __slots__ = ("reason",)
    ev, fields = Ev.DROP, ("reason",)

    def __init__(self, t, node, pkt, reason):
        self.t, self.node, self.pkt, self.reason = t, node, pkt, reason


class TcpState(Event):
    """The connection ``local`` -- ``remote`` (endpoints) went from state ``old`` to ``new``."""
    __slots__ = ("local", "remote", "old", "new")
    ev, fields = Ev.TCP, ("local", "remote", "old", "new")

    def __init__(self, t, node, pkt, local, remote, old, new):
        self.t, self.node, self.pkt = t, node, pkt
        self.local, self.remote, self.old, self.new = local, remote, old, new


class Deliver(Event):
    """``pkt`` reached its destination host's stack."""
    __slots__ = ()
    ev, fields = Ev.DELIVER, ()

    def __init__(self, t, node, pkt):
        self.t, self.node, self.pkt = t, node, pkt


class App(Event):
    """An application milestone: ``what`` happened, with ``value``."""
    __slots__ = ("what", "value")
    ev, fields = Ev.APP, ("what", "value")

    def __init__(self, t, node, pkt, what, value):
        self.t, self.node, self.pkt, self.what, self.value = t, node, pkt, what, value


class Link(Event):
    """Device ``dev`` of ``node`` went ``state`` ("down": its line failed, or "up")."""
    __slots__ = ("dev", "state")
    ev, fields = Ev.LINK, ("dev", "state")

    def __init__(self, t, node, pkt, dev, state):
        self.t, self.node, self.pkt, self.dev, self.state = t, node, pkt, dev, state


RECORDS: dict[Ev, type[Event]] = {c.ev: c for c in (Send, Hop, RtMiss, RtHit, RtDel, Fib, Nat, CtNew,
                                                      CtDel, Dropped, TcpState, Deliver, App, Link)}
FIELDS: dict[Ev, tuple[str, ...]] = {ev: c.fields for ev, c in RECORDS.items()}


_DROP = Ev.DROP      # read once: on Python 3.11 every ``Ev.X`` goes through EnumType.__getattr__'s
                     # slow path, and emit() runs about twice per hop


_NO_COUNTS = dict.fromkeys(Ev, 0)   # every kind, none seen yet (copied by each run)


class Trace:
    """Collects events; with ``keep=False`` only counts them (counters-only mode)."""

    def __init__(self, sim, keep: bool = True):
        self.sim = sim
        self.keep = keep
        self.events = Events()
        # emit() and Link.arrive append here: Events.add without a call
        self.pending = self.events.pending
        self._counts = _NO_COUNTS.copy()     # a plain dict: a Counter's += is 3x slower
        self.drops_at: Counter = Counter()  # (drop reason, node) -> count, kept in both modes

    @property
    def counts(self) -> Counter:
        """Events of each kind so far (kinds not seen are left out).  The events of every
        packet are not emitted but counted where they happen, in both modes, by counters a
        kernel keeps too, and with the trace on only stored (``store``): a hop by the device
        that received it (``rx_packets``; ``Link.arrive`` stores it itself), a packet a
        node's own stack sends or takes in by the node (``out_requests``, ``in_delivers``:
        IPSTATS_MIB_OUTREQUESTS, IPSTATS_MIB_INDELIVERS), a route cache hit by the cache
        (``in_hit``, rt_cache_stat's) and a NAT rewrite by the conntrack table
        (``translated``).  Their sums are the counts of those events."""
        counts = dict(self._counts)
        devices = self.sim.devices
        nodes = list(dict.fromkeys(d.node for d in devices))
        counts[Ev.HOP] = sum(d.rx_packets for d in devices)
        counts[Ev.SEND] += sum(n.out_requests for n in nodes)
        counts[Ev.DELIVER] += sum(n.in_delivers for n in nodes)
        counts[Ev.RT_HIT] += sum(n.cache.in_hit for n in nodes if getattr(n, "cache", None) is not None)
        counts[Ev.NAT] += sum(n.nat.translated for n in nodes if getattr(n, "nat", None) is not None)
        return Counter({ev: n for ev, n in counts.items() if n})

    @property
    def drops(self) -> Counter:
        """Drops by reason: ``drops_at``'s counts summed over the nodes, each reason in the
        order it was first seen (as ``drops_at`` holds its first node's)."""
        drops: Counter = Counter()
        for (reason, _node), n in self.drops_at.items():
            drops[reason] += n
        return drops

    def emit(self, ev: Ev, node: str, pkt=None, *info) -> None:
        self._counts[ev] += 1
        if ev is _DROP:
            self.drops_at[info[0].value, node] += 1
        if self.keep:
            pending = self.pending
            pending += ev, self.sim.now, node, pkt, info
            if len(pending) >= _CHUNK5:
                self.events.flush()

    def store(self, ev: Ev, node: str, pkt=None, *info) -> None:
        """Store an event its node has counted itself (``counts``): called with the trace on
        only, as ``if trace.keep: trace.store(...)``, so that counters-only mode makes no call."""
        pending = self.pending
        pending += ev, self.sim.now, node, pkt, info
        if len(pending) >= _CHUNK5:
            self.events.flush()

    def stop_when(self, stop) -> None:
        """Stop the run (``sim.stop()``) after the first event recorded for which
        ``stop(record)`` is true, its record made from the values recorded (``sim.run``'s
        ``stop=``; the trace must be on).  Every event, a hop too, is appended to the pending
        list: that list makes the records and asks."""
        self.events.flush()
        self.pending = self.events.pending = _StopWhen(self.sim, stop)

    def __len__(self) -> int:
        return len(self.events)


class _StopWhen(list):
    """A pending list that stops ``sim`` after the first event appended to it for which
    ``stop(record)`` is true (``Trace.stop_when``)."""

    def __init__(self, sim, stop):
        super().__init__()
        self.sim, self.stop = sim, stop

    def __iadd__(self, values):
        self.extend(values)
        if not self.sim.stopped:
            ev, t, node, pkt, info = values
            # the record events[-1] reads back, made from the values recorded (reading it
            # back cost as much again, for every event of every stopped run)
            if self.stop(RECORDS[ev](t, node, pkt, *info)):
                self.sim.stop()
        return self


# -- the stored trace -----------------------------------------------------------------------------
#
# A run keeps tens of thousands of events, and most of them are hops of packets that differ from
# the packet one hop earlier only in the TTL.  Kept as records, every event cost about 260 bytes
# (the record, a packet and an IP header per hop, the time).  ``Events`` keeps the same events in
# columns: the kind, time and node of each in arrays, the packet as its fields without the TTL (a
# tuple, the *base*, shared by every hop of the packet) plus the TTL, and the kind's own fields in
# a list, shared between the many events that carry the same ones (a hop's two interfaces, a route
# cache hit's entry).  Reading an event builds its record again: the same class, the same fields,
# equal to the record emitted.
#
# Storing costs the run little: ``Trace.emit`` (and ``Link.arrive``, for a hop) appends the
# event's five values to a pending list, and every ``_CHUNK`` events (or when a reader asks)
# ``flush`` moves the pending events into the columns with C-level passes over the whole chunk
# (slices, ``zip``, ``map``, ``dict.setdefault``, ``struct.pack``) instead of Python work per event.

_CLASSES = tuple(RECORDS.values())
_CODE = {ev: i for i, ev in enumerate(RECORDS)}
_NAT, _HOP, _RT_HIT = _CODE[Ev.NAT], _CODE[Ev.HOP], _CODE[Ev.RT_HIT]
_SHARED = frozenset((_HOP, _RT_HIT))   # kinds whose fields repeat: kept once, shared
# kinds whose fields are kept as they are (not shared): every kind but the shared ones and those
# without fields of their own (a send, a delivery: the empty tuple)
_SPECIAL = bytes(int(c not in _SHARED and bool(RECORDS[ev].fields)) for ev, c in _CODE.items()).ljust(256, b"\0")
_WHOLE = 255                # a record appended whole (``append``), kept as it is
_RECENT = 4096              # packets read lately, remembered so that one packet reads as one object
_CHUNK = 1024               # events pending before they are moved into the columns
_CHUNK5 = 5 * _CHUNK        # ... five items each
_new = tuple.__new__
_NO_L4 = object()                                     # stands for "no packet" in a chunk's pass:
_NO_PKT = (("", "", 0, 0, 0), _NO_L4, 0)              # its base is None


class Events(MutableSequence):
    """The stored trace: a sequence of event records (``Hop``, ``RtMiss`` ...), kept in columns.

    ``events[i]``, slices and iteration give records equal to those emitted, of the same
    class and with the same fields.  A record read is a new object: to change the stored trace
    (as tests do, to show a check is not vacuous), put a record back (``events[i] = e``),
    ``del events[i]``, ``append`` or ``insert`` one; those are kept as they are."""

    def __init__(self):
        self._kind = bytearray()      # index in _CLASSES, or _WHOLE
        self._t = array("q")          # time, µs
        self._node = array("H")       # index in _names
        self._base: list = []         # the packet without its TTL: (src, dst, id, tos, l4, load),
                                      # shared by every hop of the packet; None: no packet
        self._ttl = bytearray()       # the packet's TTL
        self._info = []               # the kind's own fields (a tuple), or a whole record
        self._names: list[str] = []
        self._name_ix: dict[str, int] = {}
        self._shared: dict[tuple, tuple] = {}
        self._made: dict[int, Packet] = {}         # packets read lately, by id(base) and TTL
        self.pending: list = []       # events not yet in the columns: ev, t, node, pkt, info, ...

    def add(self, ev: Ev, t: int, node: str, pkt, info: tuple) -> None:
        """Store the event ``RECORDS[ev](t, node, pkt, *info)`` (``Trace.emit`` appends to
        ``pending`` itself, and calls ``flush`` when it is ``_CHUNK`` long)."""
        pending = self.pending
        pending += ev, t, node, pkt, info
        if len(pending) >= _CHUNK5:
            self.flush()

    def flush(self) -> None:
        """Move the pending events into the columns.  Every reader calls it first."""
        pending = self.pending
        if not pending:
            return
        evs, ts, nodes, pkts, infos = (pending[0::5], pending[1::5], pending[2::5],
                                       pending[3::5], pending[4::5])
        pending.clear()
        n = len(evs)
        codes = bytes(map(_CODE.__getitem__, evs))
        self._kind += codes
        # struct packs the integers faster than an array converts them one by one
        self._t.frombytes(pack(f"{n}q", *ts))
        ix = self._name_ix
        try:
            self._node.frombytes(pack(f"{n}H", *map(ix.__getitem__, nodes)))
        except KeyError:                                  # a node not seen before
            for node in dict.fromkeys(nodes):
                self._name(node)
            self._node.frombytes(pack(f"{n}H", *map(ix.__getitem__, nodes)))
        # The kinds' own fields: those of a hop, a route cache hit, a send or a delivery are
        # shared with equal ones stored before; the other kinds' are kept as they are, and a
        # NAT's packet before is stored as a base and a TTL like the event's packet.
        special = codes.translate(_SPECIAL)
        kept = []
        i = special.find(1)
        while i >= 0:
            kept.append((i, infos[i]))
            infos[i] = ()
            i = special.find(1, i + 1)
        infos = list(map(self._shared.setdefault, infos, infos))
        nats = [i for i, info in kept if codes[i] == _NAT]
        if nats:
            pkts += [info[0] for i, info in kept if codes[i] == _NAT]
        # The packets: a packet's base is shared with the packets of this chunk whose fields but
        # the TTL are equal (a router's TTL decrement changes only the TTL).
        try:
            ips, l4s, loads = zip(*pkts)
            empty = ()
        except TypeError:                                 # events without a packet
            empty = [j for j, p in enumerate(pkts) if p is None]
            pkts = [_NO_PKT if p is None else p for p in pkts]
            ips, l4s, loads = zip(*pkts)
        srcs, dsts, ttls, idents, toss = zip(*ips)
        built = list(zip(srcs, dsts, idents, toss, l4s, loads))
        bases = list(map({}.setdefault, built, built))
        for j in empty:
            bases[j] = None
        self._base += bases[:n]
        self._ttl += bytes(ttls[:n])
        for i, info in kept:
            infos[i] = info
        for k, i in enumerate(nats, n):               # the packet before: (base, TTL)
            infos[i] = (bases[k], ttls[k]) + infos[i][1:]
        self._info += infos

    def insert(self, i: int, record: Event) -> None:
        """Add a record as it is (a reader's own, or one made by hand) before event ``i``."""
        self.flush()
        self._kind.insert(i, _WHOLE)
        self._t.insert(i, record.t)
        self._node.insert(i, self._name(record.node))
        self._base.insert(i, None)
        self._ttl.insert(i, 0)
        self._info.insert(i, record)

    def append(self, record: Event) -> None:
        self.insert(len(self), record)

    def __setitem__(self, i: int, record: Event) -> None:
        i = self._index(i)
        del self[i]
        self.insert(i, record)

    def __delitem__(self, i: int) -> None:
        self.flush()
        if isinstance(i, slice):
            for j in sorted(range(*i.indices(len(self._kind))), reverse=True):
                del self[j]
            return
        i = self._index(i)
        for column in (self._kind, self._t, self._node, self._base, self._ttl, self._info):
            del column[i]
        self._made.clear()      # a base may be gone, and its id taken by another

    def _name(self, node: str) -> int:
        n = self._name_ix.get(node)
        if n is None:
            n = self._name_ix[node] = len(self._names)
            self._names.append(node)
        return n

    def _packet(self, base: tuple, ttl: int) -> Packet:
        """The packet of ``base`` and ``ttl``; the same object for events read close together,
        so a reader sees one packet where the engine emitted one (``prev.pkt is e.pkt``)."""
        key = id(base) << 8 | ttl
        pkt = self._made.get(key)
        if pkt is None:
            if len(self._made) >= _RECENT:
                self._made.clear()
            src, dst, ident, tos, l4, load = base
            pkt = self._made[key] = _new(Packet, (_new(IP, (src, dst, ttl, ident, tos)), l4, load))
        return pkt

    def _record(self, i: int) -> Event:
        code, info = self._kind[i], self._info[i]
        if code == _WHOLE:
            return info
        base = self._base[i]
        if code == _NAT:
            info = (self._packet(info[0], info[1]),) + info[2:]
        if base is None:
            pkt = None
        else:
            ttl = self._ttl[i]
            pkt = self._made.get(id(base) << 8 | ttl) or self._packet(base, ttl)
        return _CLASSES[code](self._t[i], self._names[self._node[i]], pkt, *info)

    def __len__(self) -> int:
        return len(self._kind) + len(self.pending) // 5

    def at_node(self, node: str, start: int = 0, stop: int | None = None) -> list[int]:
        """The indices in ``[start, stop)`` of the events at ``node``, read from the node
        column alone: a fold of one router's tables builds only that router's records."""
        self.flush()
        n = self._name_ix.get(node)
        if n is None:
            return []
        col = self._node
        return [i for i in range(start, len(col) if stop is None else stop) if col[i] == n]

    def _index(self, i: int) -> int:
        if self.pending:
            self.flush()
        n = len(self._kind)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"event {i} out of range: the trace has {n} events")
        return i

    def __getitem__(self, i):
        if isinstance(i, slice):
            self.flush()
            return [self._record(j) for j in range(*i.indices(len(self._kind)))]
        pending = self.pending
        if pending and (-len(pending) // 5 <= i < 0):
            # a pending event, read from its values as emitted, without flushing: a stop=
            # hook reads every event as it is recorded (``events[-1]``)
            j = len(pending) + 5 * i
            ev, t, node, pkt, info = pending[j:j + 5]
            return RECORDS[ev](t, node, pkt, *info)
        return self._record(self._index(i))

    def __iter__(self):
        self.flush()
        names, packet, made = self._names, self._packet, self._made
        for code, t, node, base, ttl, info in zip(self._kind, self._t, self._node, self._base,
                                                  self._ttl, self._info):
            if code == _WHOLE:
                yield info
                continue
            if code == _NAT:
                info = (packet(info[0], info[1]),) + info[2:]
            if base is None:
                pkt = None
            else:       # the packet read lately, without a call (most events): as _packet
                pkt = made.get(id(base) << 8 | ttl) or packet(base, ttl)
            yield _CLASSES[code](t, names[node], pkt, *info)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None

    def __getstate__(self) -> dict:
        """For pickle and deepcopy: the columns, without the packets read lately (they are
        found by the ids of this process's objects) and with a plain pending list (a stopped
        run's, ``_StopWhen``, holds its run)."""
        self.flush()
        return {**self.__dict__, "_made": {}, "pending": []}

    def __repr__(self) -> str:
        return f"<Events: {len(self)} stored events>"


def _jsonable(v):
    if isinstance(v, Reason):
        return str(v)
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


def event_dict(i: int, e: Event) -> dict:
    """The JSON form of event number ``i``.  Where the records hold a placeholder or a code the
    JSON writes what it means: a route's ``via`` is null for a directly connected one (the
    records' and the text trace's ``-``), and a conntrack tuple's ``proto`` is the protocol's
    name, as a packet's ``proto`` is (``tcp``, not 6)."""
    d = {"i": i, "t_us": e.t, "ev": e.ev.value, "node": e.node}
    if e.pkt is not None:
        d["pkt"] = e.pkt.to_dict()
    for name in e.fields:
        v = getattr(e, _attr(name))
        if name == "key":
            v = dict(zip(("dst", "src", "tos", "iif"), v))
        elif name in ("orig", "reply"):
            v = dict(zip(("proto", "src", "sport", "dst", "dport"), v))
            v["proto"] = PROTO_NAMES.get(v["proto"], v["proto"])
        elif name == "via" and v == "-":
            v = None
        d[name] = _jsonable(v)
    return d


def fmt_time(t_us: int) -> str:
    return f"{t_us // 1_000_000}.{t_us % 1_000_000:06d}"


def event_text(e: Event) -> str:
    """One tcpdump-like line per event."""
    ev, pkt = e.ev, e.pkt
    head = f"{fmt_time(e.t)} {e.node:<18} {ev.value:<8}"
    if ev is Ev.HOP:
        return f"{head} {e.from_} > {e.to}  IP {pkt.summary()}"
    if ev in (Ev.SEND, Ev.DELIVER):
        return f"{head} IP {pkt.summary()}"
    if ev is Ev.RT_MISS:
        return f"{head} {fmt_key(e.key)} -> dev {e.dev} via {e.via} ({e.why})"
    if ev is Ev.RT_HIT:
        return f"{head} {fmt_key(e.key)} -> dev {e.dev} via {e.via}"
    if ev is Ev.RT_DEL:
        return f"{head} {fmt_key(e.key)} dev {e.dev} ({e.reason})"
    if ev is Ev.FIB:
        return f"{head} {pkt.ip.src} > {pkt.ip.dst} -> dev {e.dev} via {e.via} ({e.why})"
    if ev is Ev.NAT:
        return f"{head} {e.dir} ct {e.ct}: {fmt_ends(e.before)} => {fmt_ends(pkt)}"
    if ev is Ev.CT_NEW:
        return f"{head} ct {e.ct} dev {e.dev}: {fmt_tuple(e.orig)} <-> {fmt_tuple(e.reply)}"
    if ev is Ev.CT_DEL:
        return f"{head} ct {e.ct} ({e.reason})"
    if ev is Ev.DROP:
        return f"{head} {e.reason}: IP {pkt.summary()}"
    if ev is Ev.TCP:
        (la, lp), (ra, rp) = e.local, e.remote
        return f"{head} {la}.{lp} > {ra}.{rp}: {e.old} -> {e.new}"
    if ev is Ev.LINK:
        return f"{head} dev {e.dev} {e.state}"
    return f"{head} {e.what} {e.value}"


def fmt_key(key) -> str:
    dst, src, tos, iif = key
    return f"{src} > {dst} tos 0x{tos:02x} iif {iif}"


def fmt_ends(pkt: Packet) -> str:
    """A packet's two ends as NAT sees them: ``src.sport > dst.dport``, or for an ICMP echo,
    which has no ports, ``src > dst id N`` (its identifier is the one number NAT rewrites)."""
    if pkt.proto == ICMP_PROTO:
        return f"{pkt.ip.src} > {pkt.ip.dst} id {pkt.sport}"
    return f"{pkt.ip.src}.{pkt.sport} > {pkt.ip.dst}.{pkt.dport}"


def fmt_tuple(t) -> str:
    """A conntrack tuple.  An ICMP echo's has no ports: the kernel keeps its identifier in the
    source half (``src.u.icmp.id``) and its type and code in the destination half
    (include/net/netfilter/nf_conntrack_tuple.h; icmp_pkt_to_tuple in
    net/netfilter/nf_conntrack_proto_icmp.c), and ``conntrack -L`` prints it as ``id=N``: so
    ``icmp 192.168.0.1 > 200.0.0.1 id 1``, not a port on both ends."""
    proto, src, sport, dst, dport = t
    if proto == ICMP_PROTO:
        return f"icmp {src} > {dst} id {sport}"
    return f"{PROTO_NAMES[proto]} {src}:{sport} > {dst}:{dport}"
