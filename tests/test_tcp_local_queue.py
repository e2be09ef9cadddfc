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


def _established_on_a_full_device():
    """A connection of local1's, all its data acknowledged, and local1's device with its queue
    full for the next millisecond."""
    from sim.core import Sim
    from sim.tcp import TcpConn, TcpState
    from sim.topology import article_network
    s = Sim(seed=1)
    host = article_network(s, sim.make_params("echo").spec())["local1"]
    c = TcpConn(host, (host.addr, 4242), ("200.0.0.1", 7))
    c.state, c.irs, c.rcv_nxt = TcpState.ESTABLISHED, 70_000, 70_001
    c.snd_una = c.snd_nxt = c.snd_max = c.data_end = c.iss + 1
    host.conns[(4242, "200.0.0.1", 7)] = c
    dev = next(iter(host.ifaces.values()))
    dev.backlog.extend([1_000] * dev.qlen)             # each queued packet leaves at 1 ms
    return s, host, c, dev


def test_a_fin_the_senders_own_device_refused_is_not_sent_and_goes_once_there_is_room():
    """tcp_send_fin() queues the FIN as data and pushes it through tcp_write_xmit(), which does
    not count a segment the device refused as sent: snd_nxt stays, and the FIN goes once the
    device has room -- before, it was counted as sent and only the retransmission timer (3 s)
    sent it again.  Its refused attempt is one IP OutRequest (__ip_local_out() counts before
    the queueing discipline) and one queue-full drop, and the state moves at close()."""
    from sim.tcp import TcpState
    s, host, c, dev = _established_on_a_full_device()
    requests = host.out_requests
    c.close()
    assert c.state is TcpState.FIN_WAIT_1
    assert c.snd_nxt == c.data_end and c.snd_max == c.data_end     # the FIN was not sent
    assert host.out_requests == requests + 1 and dev.tx_dropped == 1 and dev.tx_packets == 0
    s.until = 2_000                                     # the device has room at 1 ms
    s.run()
    assert dev.tx_packets == 1, "the refused FIN was not sent once the device had room"
    assert c.snd_nxt == c.snd_max == c.data_end + 1 and host.out_requests == requests + 2
    fins = [(e.t, e.ev) for e in s.trace.events
            if e.node == "local1" and e.pkt is not None and e.pkt.l4.flags == "FA"]
    assert fins == [(0, Ev.SEND), (0, Ev.DROP), (1_001, Ev.SEND)]
    assert c.deadline is not None                       # the FIN sent: the timer runs for it


def test_the_narration_calls_a_refused_fins_next_try_an_attempt_not_a_retransmission():
    from types import SimpleNamespace
    from sim.view.narration import _repeats
    s, host, c, dev = _established_on_a_full_device()
    c.close()
    s.until = 2_000
    s.run()
    events = list(s.trace.events)
    sends = [i for i, e in enumerate(events) if e.ev is Ev.SEND and e.pkt.l4.flags == "FA"]
    assert len(sends) == 2
    rep = _repeats(SimpleNamespace(events=events), SimpleNamespace())
    assert sends[0] not in rep and rep.get(sends[1]) == "attempt 2", rep
