"""``TcpConn.tx_time`` (when each unacknowledged segment was last sent) stays in sequence
order, so that an ACK removes only its front: checked after every segment a connection
sends or receives, in runs with Reno's resends and timeouts, and where a resend has new
segment boundaries (the case that has to sort again: a short last segment, then more data
written, then a timeout)."""
from __future__ import annotations

import pytest

import sim
from sim import tcp


@pytest.mark.parametrize("name, params", [
    ("flashget", {"seed": 1, "size": 200_000, "cc": "reno"}),
    ("uplink-down", {"seed": 2, "size": 200_000, "cc": "reno"}),
    # today's kernel: tail loss probes resend the last segment (in place)
    ("equalize-public", {"seed": 3, "size": 500_000, "cc": "reno", "tcp": "linux"}),
])
def test_tx_time_in_sequence_order(monkeypatch, name, params):
    _check_tx_time(monkeypatch, lambda: sim.run(name, **params))


def test_a_resend_with_new_boundaries_sorts_tx_time(monkeypatch):
    # 1000 bytes go as one short segment; 3000 more follow as segments of their own; the
    # timeout resends from the first byte a full segment, which ends where none did
    from sim.core import Sim
    from sim.topology import article_network
    host = article_network(Sim(seed=1), sim.make_params("echo").spec())["remote1"]
    c = tcp.TcpConn(host, ("200.0.0.1", 7), ("192.168.0.1", 4242))
    c.state, c.irs, c.rcv_nxt = tcp.TcpState.ESTABLISHED, 70_000, 70_001
    c.snd_una = c.snd_nxt = c.snd_max = c.data_end = c.iss + 1

    def run():
        c.write(1000)
        c.write(3000)
        c._on_rto()
    seen = _check_tx_time(monkeypatch, run, runs=False)
    assert seen["resorts"] == 1 and list(c.tx_time) == sorted(c.tx_time)
    first = c.iss + 1
    assert list(c.tx_time)[:3] == [first + 1000, first + tcp.MSS, first + 1000 + tcp.MSS]


def _check_tx_time(monkeypatch, run, runs=True):
    seen = {"checks": 0, "resorts": 0}
    data_sent: dict[tcp.TcpConn, set] = {}  # conn -> the end seq of every data segment it sent

    def check(c):
        keys = list(c.tx_time)
        assert keys == sorted(keys), f"tx_time out of order: {keys}"
        # everything acknowledged is gone: the ACK pruned the front
        assert all(k > c.snd_una for k in keys), (c.snd_una, keys)
        # ...and every segment not yet acknowledged has its time
        missing = {e for e in data_sent.get(c, ()) if e > c.snd_una} - set(keys)
        assert not missing, f"segments sent without a time in tx_time: {sorted(missing)}"
        seen["checks"] += 1

    sent_at, segment, send = tcp.TcpConn._sent_at, tcp.TcpConn.segment, tcp.TcpConn._send

    def send_noted(c, flags, seq, load=0):
        taken = send(c, flags, seq, load)
        if load and taken:                  # (a segment its own device had no room for is not sent)
            data_sent.setdefault(c, set()).add(seq + load)
        return taken

    def sent_at_checked(c, end):
        if end < c.snd_max and end not in c.tx_time:
            seen["resorts"] += 1                # a resend with new boundaries
        sent_at(c, end)
        check(c)

    def segment_checked(c, pkt):
        segment(c, pkt)
        check(c)

    monkeypatch.setattr(tcp.TcpConn, "_sent_at", sent_at_checked)
    monkeypatch.setattr(tcp.TcpConn, "segment", segment_checked)
    monkeypatch.setattr(tcp.TcpConn, "_send", send_noted)
    run()
    if runs:
        assert seen["checks"] > 500
    return seen
