"""Why the engine chose or removed something: small records (``sim.reasons``) read by field,
whose text is exactly what the JSON and text traces carried when they were strings."""
import json

import pytest

import sim
from sim.reasons import (CtMark, DeadTable, DeviceDown, EqualizeDeleted, Flushed, Gone, HashChoice,
                         Invalid, NumgenMark, OifChanged, OnlyRoute, RandomDraw, Reason, RoundRobin, Why)
from sim.trace import Ev, event_dict, event_text

from helpers import events

H = HashChoice(False, 0x1234, 0x3fffffff)


@pytest.mark.parametrize("reason,text", [
    (OnlyRoute("default"), "route default"),
    (RandomDraw(2, 0), "random choice among 2 nexthops"),
    (RandomDraw(1, 1), "random choice among 1 nexthops (1 dead)"),
    (RoundRobin((("if1", 1), ("if2", 2)), "counter", 7), "round robin, credits if1:1, if2:2, counter 7"),
    (HashChoice(True, 0xabc, 0x7ffffffe), "hash-l4 of (5-tuple) = 0x00000abc <= bound 0x7ffffffe"),
    (H, "hash-l3 of (src, dst) = 0x00001234 <= bound 0x3fffffff"),
    (NumgenMark(4, 2, 1), "numgen inc = 4, mod 2 offset 1 -> fwmark 1 -> table 1"),
    (CtMark(2), "ct mark 2 -> fwmark 2 -> table 2"),
    (CtMark(1, True, 2), "new connection: ct mark set numgen inc mod 2 offset 1 = 1 -> table 1"),
    (DeadTable(CtMark(1), "if1", H),
     "ct mark 1 -> fwmark 1 -> table 1, whose only route was deleted (if1 down); the main table: "
     "hash-l3 of (src, dst) = 0x00001234 <= bound 0x3fffffff"),
    (Invalid(H), "INVALID to conntrack, so no ct mark: the main table: hash-l3 of (src, dst) = "
                 "0x00001234 <= bound 0x3fffffff"),
    (EqualizeDeleted(RandomDraw(2, 0)), "equalize deleted the cached entry; random choice among 2 nexthops"),
    (Gone.EQUALIZE, "equalize"), (Gone.FLUSH, "flush"), (Gone.ICMP_REPLY, "icmp reply"),
    (Flushed("if2", "down"), "flush (if2 down)"),
    (OifChanged("if1", "if2"), "oif changed if1->if2"),
    (DeviceDown("if2"), "if2 down"),
])
def test_a_reason_reads_as_the_trace_always_said(reason, text):
    assert str(reason) == text


def test_records_are_equal_by_kind_and_fields_only():
    assert DeviceDown("if2") == DeviceDown("if2") and hash(DeviceDown("if2")) == hash(DeviceDown("if2"))
    assert DeviceDown("if2") != DeviceDown("if1")
    assert DeviceDown("if2") != "if2 down"                   # a record is not its text
    assert CtMark(1) != NumgenMark(0, 2, 1)
    assert repr(OifChanged("if1", "if2")) == "OifChanged(old='if1', new='if2')"
    assert EqualizeDeleted(H).choice is H and H.choice is H


@pytest.mark.parametrize("scenario,kw", [
    ("equalize-nat", {}), ("hash-l4-nat", {}), ("uplink-down", {"size": 50_000}),
    ("flashget", {"multipath": "numgen", "nat": "masquerade", "remote": "rfc", "size": 20_000}),
    ("echo", {"multipath": "connmark", "nat": "masquerade", "remote": "rfc", "tcp": "linux",
              "down_at": 0.3, "down_uplink": 1}),
])
def test_every_choice_in_a_trace_is_a_record_and_the_json_carries_its_text(scenario, kw):
    r = sim.run(scenario, seed=1, **kw)
    seen = 0
    for i, e in enumerate(r.events):
        if e.ev in (Ev.RT_MISS, Ev.FIB):
            assert isinstance(e.why, Why), (i, e)
            d = json.loads(json.dumps(event_dict(i, e)))
            assert d["why"] == str(e.why) and f"({e.why})" in event_text(e)
            seen += 1
        elif e.ev in (Ev.RT_DEL, Ev.CT_DEL):
            assert isinstance(e.reason, (Gone, Reason)), (i, e)
            assert event_dict(i, e)["reason"] == str(e.reason)
            seen += 1
    assert seen


def test_an_equalize_miss_says_what_was_deleted_and_what_the_fib_chose():
    r = sim.run("equalize-nat", seed=1, size=5000)
    misses = [e for e in events(r, Ev.RT_MISS, "router") if type(e.why) is EqualizeDeleted]
    dels = [e for e in events(r, Ev.RT_DEL, "router") if e.reason is Gone.EQUALIZE]
    assert misses and len(dels) == len(misses)
    assert all(type(e.why.choice) in (RandomDraw, RoundRobin) for e in misses)
