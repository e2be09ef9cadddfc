"""Data for a socket its application has closed: nobody will read it, so TCP resets the
connection and answers the segment with a RST (RFC 1122 4.2.2.13; Linux, 2.4 and today, in
FIN_WAIT1/FIN_WAIT2: ``tcp_rcv_state_process``, TCPAbortOnData).  A client that gave up on a
read timeout therefore never completes its download afterwards."""
from __future__ import annotations

import sim
from sim.trace import Drop, Ev


def test_a_client_that_gave_up_resets_the_data_that_still_comes():
    r = sim.run("connection-level", seed=1, size=200_000, read_timeout=0.001)
    c = r.summary["connections"][0]
    assert c["timed_out"] and not c["complete"] and c["bytes"] < 200_000
    ev = r.events
    gave_up = next(i for i, e in enumerate(ev) if e.ev is Ev.APP and "read timeout" in e.what)
    assert not any(e.ev is Ev.APP and "complete" in e.what for e in ev[gave_up:])
    drops = [i for i, e in enumerate(ev) if e.ev is Ev.DROP and e.reason is Drop.DATA_AFTER_CLOSE]
    assert len(drops) == 1 and drops[0] > gave_up
    seg = ev[drops[0]].pkt
    assert seg.load > 0 and ev[drops[0]].node == "local1"
    # the answer: a RST from local1 whose sequence number is the data segment's acknowledgement
    rst = next(e for e in ev[drops[0]:] if e.ev is Ev.SEND and e.node == "local1")
    assert rst.pkt.l4.flags == "R" and rst.pkt.l4.seq == seg.l4.ack
    closed = next(e for e in ev[drops[0]:] if e.ev is Ev.TCP and e.node == "local1")
    assert (str(closed.old), str(closed.new)) == ("FIN_WAIT_1", "CLOSED")


def test_a_download_that_completes_then_closes_resets_nothing():
    r = sim.run("connection-level", seed=1, size=200_000)
    assert r.summary["connections"][0]["complete"]
    assert not any(e.ev is Ev.DROP and e.reason is Drop.DATA_AFTER_CLOSE for e in r.events)
