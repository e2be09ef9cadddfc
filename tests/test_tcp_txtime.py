"""``TcpConn.tx_time`` (when each unacknowledged segment was last sent) stays in sequence
order, so that an ACK removes only its front: checked after every segment a connection
sends or receives, in runs where Reno's odd-sized windows and timeouts make resends with
new segment boundaries (the case that has to sort again)."""
from __future__ import annotations

import pytest

import sim
from sim import tcp


@pytest.mark.parametrize("name, params, resends", [
    ("flashget", {"seed": 1, "size": 200_000, "cc": "reno"}, True),
    ("uplink-down", {"seed": 2, "size": 200_000, "cc": "reno"}, True),
    # today's kernel: tail loss probes resend the last segment (in place)
    ("equalize-public", {"seed": 3, "size": 500_000, "cc": "reno", "tcp": "linux"}, False),
])
def test_tx_time_in_sequence_order(monkeypatch, name, params, resends):
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
    sim.run(name, **params)
    assert seen["checks"] > 500
    if resends:
        assert seen["resorts"] > 0, "the run no longer resends with new boundaries: pick another"
