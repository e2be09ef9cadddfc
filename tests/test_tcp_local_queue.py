"""A sender's own device with a full queue: the segment it drops was never sent.

A host's device holds 1000 packets (Linux's default txqueuelen), more than its connections'
windows fill here; these tests give the servers' devices 64 (``ip link set dev eth0
txqueuelen 64``), as the simulator's hosts had before, so that their queues overflow.

Linux's ``tcp_write_xmit()`` stops when ``tcp_transmit_skb()`` fails (the queueing discipline
dropped the segment, NET_XMIT_DROP) before it counts the segment as sent: ``snd_nxt`` stays, and
the segment goes with the next ACK.  So what leaves a server never skips sequence numbers, however
many of its connections burst at once; before, the simulated server counted the dropped segment
as sent, and the capture on its link jumped over it (a hole no real stack makes)."""
from __future__ import annotations

from collections import defaultdict

import pytest

import sim
from sim.host import Host
from sim.trace import Drop, Ev


@pytest.fixture(autouse=True)
def short_host_queues(monkeypatch):
    monkeypatch.setattr(Host, "tx_queue_len", 64)


def _holes(r, link: str, sender: str) -> list:
    """Data segments on ``link`` from ``sender`` that start past every byte sent before them on
    their connection: (dport, seq, the highest end so far)."""
    top: dict[int, int] = {}
    holes = []
    for e in r.events:
        if e.ev is Ev.HOP and e.node == link and e.from_.startswith(sender) and e.pkt.load:
            port, seq = e.pkt.l4.dport, e.pkt.l4.seq
            hi = top.get(port)
            if hi is not None and 0 < (seq - hi) % 2**32 < 2**31:
                holes.append((port, seq, hi))
            end = (seq + e.pkt.load) % 2**32
            if hi is None or 0 < (end - hi) % 2**32 < 2**31:
                top[port] = end
    return holes


@pytest.mark.parametrize("name, params", [
    ("hash-l4-nat", {"seed": 1}),
    ("uplink-down", {"seed": 1}),
    ("flashget", {"seed": 1, "remote": "rfc"}),
])
def test_a_segment_the_senders_own_device_dropped_is_sent_again_in_order(name, params):
    r = sim.run(name, **params)
    local = [e for e in r.events if e.ev is Ev.DROP and e.node == "remote1" and e.reason is Drop.QUEUE_FULL]
    assert local, "the server's own queue never overflowed: the case is not exercised"
    assert _holes(r, "remote1_link", "remote1:") == []
    # each segment dropped at the server later left it
    left = defaultdict(set)
    for e in r.events:
        if e.ev is Ev.HOP and e.node == "remote1_link" and e.from_.startswith("remote1:") and e.pkt.load:
            left[e.pkt.l4.dport].add(e.pkt.l4.seq)
    lost = [(e.pkt.l4.dport, e.pkt.l4.seq) for e in local if e.pkt.load and e.pkt.l4.seq not in left[e.pkt.l4.dport]]
    assert not lost, f"segments dropped by the server's own queue and never sent: {lost[:5]}"


def test_the_narration_calls_a_refused_segments_next_try_an_attempt_not_a_retransmission():
    from sim.view.narration import narrate
    r = sim.run("hash-l4-nat", seed=1)
    events = r.events
    drop = next(i for i, e in enumerate(events) if e.ev is Ev.DROP and e.node == "remote1"
                and e.reason is Drop.QUEUE_FULL and e.pkt.load)
    key = (events[drop].pkt.l4.dport, events[drop].pkt.l4.seq)
    assert "attempt" not in narrate(r, drop - 1)            # its send, refused: the first attempt
    sent = next(i for i, e in enumerate(events) if i > drop and e.ev is Ev.SEND and e.pkt.load
                and (e.pkt.l4.dport, e.pkt.l4.seq) == key)
    said = narrate(r, sent)
    assert "attempt 2" in said and "retransmission" not in said, said


@pytest.mark.parametrize("name, params", [
    ("hash-l4-nat", {"seed": 1}),
    ("uplink-down", {"seed": 1}),
    ("flashget", {"seed": 1, "remote": "rfc"}),
])
def test_a_segment_the_senders_own_device_refused_is_logged_and_counted_once(name, params):
    """One event can make a host's TCP push twice in the same microsecond (the request's data
    makes the server's application write, then the segment's ACK is processed): a segment its
    device has just refused is not tried again before the device can have room, so the refusal
    is one ``send`` and one ``drop``, and the summary counts it once (the server of hash-l4-nat
    logged seq 403169113 as send, drop, send, drop at 0.054954 s)."""
    r = sim.run(name, **params)
    events = r.events
    refused = [(e.t, e.node, e.pkt.l4.dport, e.pkt.l4.seq, e.pkt.load) for e in events
               if e.ev is Ev.DROP and e.node.startswith("remote") and e.reason is Drop.QUEUE_FULL]
    assert refused, "the server's own queue never overflowed: the case is not exercised"
    twice = sorted({k for k in refused if refused.count(k) > 1})
    assert not twice, f"refused and logged twice in the same microsecond: {twice[:3]}"
    drops = sum(1 for e in events if e.ev is Ev.DROP and e.reason is Drop.QUEUE_FULL)
    assert r.summary["drops"][str(Drop.QUEUE_FULL)] == drops
    for i, e in enumerate(events):       # each refusal right after the send it refused
        if e.ev is Ev.DROP and e.node.startswith("remote") and e.reason is Drop.QUEUE_FULL:
            before = events[i - 1]
            assert (before.ev, before.node, before.t, before.pkt) == (Ev.SEND, e.node, e.t, e.pkt)
