"""The compact stored trace (sim.trace.Events): readers see the records the engine emitted."""
from __future__ import annotations

import copy
import pickle

import pytest

import sim
from sim.trace import RECORDS, CtDel, Ev, Events, Hop

SCENARIOS = [("equalize-nat", {"seed": 2, "size": 20000}), ("mptcp", {"seed": 1, "size": 20000}),
             ("uplink-down", {"seed": 1, "size": 20000}), ("icmp-equalize-nat", {"seed": 1}),
             ("udp-equalize-nat", {"seed": 1}), ("hash-l4-nat", {"seed": 3, "size": 20000})]


def _run_recording(monkeypatch, name, kw):
    """A run, and every event as the record of the values recorded (``Trace.emit``'s, and
    ``Link.arrive``'s for a hop), made beside the store: from the pending list, before each
    flush moves its events into the columns."""
    emitted = []
    flush = Events.flush

    def recording_flush(self):
        pending = self.pending
        for j in range(0, len(pending), 5):
            ev, t, node, pkt, info = pending[j:j + 5]
            emitted.append(RECORDS[ev](t, node, pkt, *info))
        flush(self)

    monkeypatch.setattr(Events, "flush", recording_flush)
    return sim.run(name, **kw), emitted


@pytest.mark.parametrize("name,kw", SCENARIOS)
def test_reading_gives_the_records_emitted(monkeypatch, name, kw):
    r, emitted = _run_recording(monkeypatch, name, kw)
    assert len(r.events) == len(emitted) > 100
    assert {type(e) for e in emitted} >= {Hop}
    # iteration, indexing (both signs) and slices give equal records of the same class
    for i, (got, want) in enumerate(zip(r.events, emitted)):
        assert type(got) is type(want) and got == want, i
    n = len(emitted)
    for i in (0, 1, n // 2, n - 1, -1, -n):
        assert r.events[i] == emitted[i]
    assert r.events[5:40:3] == emitted[5:40:3] and r.events[-10:] == emitted[-10:]
    # the packets themselves, field by field, and a NAT's packet before
    assert [e.pkt for e in r.events] == [e.pkt for e in emitted]
    nats = [(a, b) for a, b in zip(r.events, emitted) if b.ev is Ev.NAT]
    assert all(a.before == b.before and a.before.ip.ttl == b.before.ip.ttl for a, b in nats)


def test_one_packet_object_where_the_engine_emitted_one(monkeypatch):
    r, emitted = _run_recording(monkeypatch, "connection-level", {"seed": 1, "size": 20000})
    read = list(r.events)
    same = [i for i in range(1, len(emitted))
            if emitted[i].pkt is not None and emitted[i].pkt is emitted[i - 1].pkt]
    assert len(same) > 50
    assert all(read[i].pkt is read[i - 1].pkt for i in same)
    # and packets the engine made separately (a router's TTL decrement) stay apart
    hops = [i for i in range(1, len(emitted)) if emitted[i].ev is Ev.HOP and emitted[i - 1].ev is Ev.HOP
            and emitted[i].pkt.ip.ttl != emitted[i - 1].pkt.ip.ttl]
    assert all(read[i].pkt is not read[i - 1].pkt for i in hops)


def test_changing_a_stored_trace():
    r = sim.run("equalize-nat", seed=3, size=5000)
    ev = r.events
    n = len(ev)
    e = ev[10]
    e.node = "elsewhere"
    assert ev[10].node != "elsewhere"            # a record read is a copy
    ev[10] = e
    assert ev[10] is e and len(ev) == n
    extra = CtDel(ev[-1].t, "router", None, 99, "by hand")
    ev.append(extra)
    assert ev[-1] is extra and len(ev) == n + 1
    first = ev[0]
    del ev[0]
    assert len(ev) == n and ev[0] != first and ev.index(extra) == n - 1
    ev.insert(0, first)
    assert ev[0] is first
    with pytest.raises(IndexError, match=f"event {n + 1} out of range: the trace has {n + 1} events"):
        ev[n + 1]


def test_equality_copy_and_pickle():
    r = sim.run("equalize-nat", seed=1, size=5000)
    assert r.events == list(r.events) and r.events != list(r.events)[:-1]
    assert sim.run("equalize-nat", seed=1, size=5000, trace=False).events == []
    for other in (pickle.loads(pickle.dumps(r.events)), copy.deepcopy(r.events)):
        assert other == r.events and list(other) == list(r.events)


def test_a_stored_event_is_small():
    """What the store keeps per event, measured by sys.getsizeof on its parts (the bench,
    python -m sim.bench_trace, measures it with tracemalloc): far below a record's 56-96 B
    plus a packet and header per hop."""
    from sim.bench_trace import breakdown
    b = breakdown(200_000)
    kept = b["columns"] + b["info"][1] + b["bases"][1] + b["l4"][1]
    # a packet's hops share its base: two per packet here (before and after NAT) for its four
    # hops, where every router's TTL decrement made a new packet (1.25 per hop)
    assert b["bases"][0] <= 0.6 * b["kinds"]["hop"]
    assert kept < 100, b


# -- the pending chunk: emit() appends, flush() moves events into the columns -----------------

@pytest.mark.parametrize("chunk", [1, 7, 64])
@pytest.mark.parametrize("name,kw", [("equalize-nat", {"seed": 2, "size": 20000}),
                                     ("uplink-down", {"seed": 1, "size": 20000}),
                                     ("icmp-equalize-nat", {"seed": 1})])
def test_chunks_of_any_size_give_the_same_records(monkeypatch, chunk, name, kw):
    """Flushed every ``chunk`` events (a packet's hops, a NAT and its packet before, events
    without a packet fall on both sides of a chunk's end), the trace reads as emitted."""
    monkeypatch.setattr(sim.trace, "_CHUNK5", 5 * chunk)
    monkeypatch.setattr(sim.link, "_CHUNK5", 5 * chunk)       # Link.arrive stores hops itself
    r, emitted = _run_recording(monkeypatch, name, kw)
    # the run flushed as it went: all but the last chunk's events are in the columns
    assert len(emitted) - chunk <= len(r.events._kind) <= len(emitted)
    got = list(r.events)
    assert len(got) == len(emitted) > 100
    assert all(type(a) is type(b) and a == b for a, b in zip(got, emitted))
    assert [e.pkt for e in got] == [e.pkt for e in emitted]


def test_readers_see_pending_events():
    """Every entry point sees the events not yet flushed: len, index, slice, iteration,
    at_node, insert, del, pickle."""
    whole = sim.run("equalize-nat", seed=1, size=5000).events
    records = list(whole)
    n = len(records)

    def fresh() -> Events:
        ev = Events()
        for e in records:
            ev.add(e.ev, e.t, e.node, e.pkt, tuple(getattr(e, name) for name in ("from_" if f == "from" else f
                                                                                for f in e.fields)))
        assert len(ev.pending) == 5 * n        # nothing flushed yet (n < a chunk)
        return ev

    assert len(fresh()) == n
    assert fresh()[-1] == records[-1] and fresh()[3:9] == records[3:9]
    assert list(fresh()) == records
    ev = fresh()
    assert ev.at_node("router") == [i for i, e in enumerate(records) if e.node == "router"]
    ev = fresh()
    ev.insert(2, records[0])
    assert len(ev) == n + 1 and ev[2] is records[0] and ev[3] == records[2]
    ev = fresh()
    del ev[0]
    assert list(ev) == records[1:]
    assert list(pickle.loads(pickle.dumps(fresh()))) == records
    assert fresh() == records


def test_a_header_shared_by_packets_that_differ():
    """Packets sharing one layer-4 header object but not their other fields (as a NAT that
    keeps the port makes) keep their own fields: a base is shared only where all but the TTL agree."""
    from sim.packet import IP, TCP, Packet
    l4 = TCP(1024, 80, seq=1, flags="A")
    a = Packet(IP("10.0.0.1", "10.0.0.2", 64, 7), l4, 100)
    b = Packet(IP("10.0.0.1", "10.0.0.2", 63, 7), l4, 100)      # a hop later: shares a's base
    c = Packet(IP("150.0.0.1", "10.0.0.2", 63, 7), l4, 100)     # source rewritten, same header
    d = Packet(IP("10.0.0.1", "10.0.0.2", 63, 7), l4, 99)       # another length
    ev = Events()
    for t, p in enumerate((a, b, c, None, d, b, c)):
        ev.add(Ev.SEND if p else Ev.APP, t, "x", p, () if p else ("note", t))
    ev.add(Ev.NAT, 9, "router", c, (b, "snat", 1))
    got = list(ev)
    assert [e.pkt for e in got[:7]] == [a, b, c, None, d, b, c]
    assert got[7].pkt == c and got[7].before == b
    assert ev._base[0] is ev._base[1] is ev._base[5]             # a and b: one base, two TTLs
    assert ev._base[2] is ev._base[6] and ev._base[2] is not ev._base[0] and ev._base[4] is not ev._base[0]


def test_reading_the_last_events_does_not_flush():
    """``events[-k]`` of a pending event (what a stop= hook reads after every event) is the
    record emitted, read without moving the pending events into the columns."""
    records = list(sim.run("equalize-nat", seed=1, size=5000).events)
    ev = Events()
    for e in records[:50]:
        ev.add(e.ev, e.t, e.node, e.pkt, tuple(getattr(e, "from_" if f == "from" else f) for f in e.fields))
    assert ev[-1] == records[49] and ev[-50] == records[0] and ev[-7] == records[43]
    assert type(ev[-1]) is type(records[49]) and len(ev.pending) == 5 * 50 and not ev._kind
    with pytest.raises(IndexError):
        ev[-51]
    assert ev[0] == records[0] and not ev.pending        # any other read flushes
