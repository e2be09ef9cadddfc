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


def test_the_narration_calls_a_refused_segments_next_tries_attempts_not_retransmissions():
    from sim.view.narration import narrate
    r = sim.run("hash-l4-nat", seed=1)
    tries: dict = {}
    for i, e in enumerate(r.events):
        if e.ev is Ev.DROP and e.node == "remote1" and e.reason is Drop.QUEUE_FULL and e.pkt.load:
            tries.setdefault((e.pkt.l4.dport, e.pkt.l4.seq), []).append(i)
    key, drops = next((k, v) for k, v in tries.items() if len(v) >= 2)
    assert "attempt" not in narrate(r, drops[0]) and "attempt 2" in narrate(r, drops[1]), narrate(r, drops[1])
    sent = next(i for i, e in enumerate(r.events) if i > drops[-1] and e.ev is Ev.SEND and e.pkt.load
                and (e.pkt.l4.dport, e.pkt.l4.seq) == key)
    said = narrate(r, sent)
    assert f"attempt {len(drops) + 1}" in said and "retransmission" not in said, said
