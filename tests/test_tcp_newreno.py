"""Loss recovery of the ``reno`` sender, as Linux 2.4 without SACK recovers (NewReno, RFC
6582): two segments lost in one window are both resent within the one recovery episode --
the second as soon as the partial ACK shows its hole, not three duplicates or a timeout
later -- and duplicates within the episode start no second fast retransmit.  A tail loss
probe (the ``linux`` profile) is armed only when no loss is being recovered, as
``tcp_schedule_loss_probe()`` requires (TCP_CA_Open)."""
from __future__ import annotations

import pytest

import sim
from sim.core import Sim
from sim.packet import IP, TCP, Packet
from sim.tcp import MSS, TcpConn, TcpState

IRS = 70_000
SEGMENTS = 10                       # one window, all sent at once: segments 0 to 9


def _sender(monkeypatch, profile="2.4"):
    """A Reno sender with ten segments in flight (its window opened beforehand); what it
    sends is noted in ``sent`` as (seq, length), relative to its first data byte."""
    from sim.topology import article_network
    host = article_network(Sim(seed=1), sim.make_params("echo").spec())["remote1"]
    c = TcpConn(host, ("200.0.0.1", 7), ("192.168.0.1", 4242), cc="reno", profile=profile)
    c.state, c.irs, c.rcv_nxt = TcpState.ESTABLISHED, IRS, IRS + 1
    c.snd_una = c.snd_nxt = c.snd_max = c.data_end = c.iss + 1
    c.cwnd, c.ssthresh = SEGMENTS * MSS, 64 * MSS
    sent = []

    def send(conn, flags, seq, load=0):
        if load:
            sent.append(((seq - c.iss - 1) // MSS, load))
        return True
    monkeypatch.setattr(TcpConn, "_send", send)
    c.write(SEGMENTS * MSS)
    assert sent == [(i, MSS) for i in range(SEGMENTS)]
    sent.clear()
    c.sim.now = 30_000                  # the ACKs come a round trip later
    return c, sent


def _ack(c, segments):
    """The receiver's ACK of everything before segment ``segments``."""
    c.segment(Packet(IP("192.168.0.1", "200.0.0.1", 64, 1, 0),
                     TCP(4242, 7, (IRS + 1) & 0xFFFFFFFF, (c.iss + 1 + segments * MSS) & 0xFFFFFFFF,
                         "A", 65535), 0))


def test_a_partial_ack_resends_the_second_hole_at_once(monkeypatch):
    c, sent = _sender(monkeypatch)
    # segments 2 and 5 are lost: 0 and 1 are acknowledged, 3, 4, 6.. bring duplicates
    _ack(c, 1)
    _ack(c, 2)
    for _ in range(3):
        _ack(c, 2)
    assert sent == [(2, MSS)] and c.fast_retransmits == 1          # fast retransmit of 2
    for _ in range(3):
        _ack(c, 2)                                                  # (6, 7, 8 arrive)
    assert sent == [(2, MSS)]
    ssthresh = c.ssthresh
    # the resent 2 arrives: the receiver had 3 and 4, so it acknowledges up to 5 -- a partial
    # ACK, short of all that was sent before the fast retransmit (up to 10)
    _ack(c, 5)
    assert sent == [(2, MSS), (5, MSS)], "the partial ACK must resend the next hole, 5, at once"
    assert c.deadline is not None and c.retries == 0                # no timeout was needed
    # more duplicates of the same episode (9 arrives after the resent 5 left) start no
    # second fast retransmit
    for _ in range(3):
        _ack(c, 5)
    assert sent == [(2, MSS), (5, MSS)] and c.fast_retransmits == 1
    # the resent 5 arrives: everything is acknowledged -- the full ACK ends recovery, at the
    # halved window but no more than 3 segments beyond the flight, none (tcp_moderate_cwnd())
    _ack(c, SEGMENTS)
    assert c.snd_una == c.snd_max and c.cwnd == min(ssthresh, 3 * MSS)


def test_without_a_second_loss_a_full_ack_ends_recovery(monkeypatch):
    c, sent = _sender(monkeypatch)
    for _ in range(4):
        _ack(c, 0)                                                  # segment 0 lost
    assert sent == [(0, MSS)]
    ssthresh = c.ssthresh
    assert ssthresh == SEGMENTS * MSS // 2                          # half the window
    _ack(c, SEGMENTS)                                               # the resent 0 fills the hole
    assert sent == [(0, MSS)] and c.cwnd == 3 * MSS                 # (nothing in flight: 3)


def test_the_end_of_a_recovery_sends_no_burst(monkeypatch):
    """A full ACK that leaves nothing in flight: the halved window (5 segments) would send 5
    at once; 2.4 sends at most 3 (tcp_moderate_cwnd(), RFC 6582 3.2 step 3's burst), and slow
    start brings the window back up to ssthresh."""
    c, sent = _sender(monkeypatch)
    for _ in range(4):
        _ack(c, 0)                                                  # segment 0 lost
    c.write(20 * MSS)                       # more to send; the inflated window (9) holds it
    assert sent == [(0, MSS)] and c.ssthresh == 5 * MSS
    _ack(c, SEGMENTS)                                               # the full ACK: none in flight
    assert sent[1:] == [(i, MSS) for i in range(SEGMENTS, SEGMENTS + 3)]
    sent.clear()
    _ack(c, SEGMENTS + 1)                   # slow start: one acknowledged, two more sent
    assert sent == [(13, MSS), (14, MSS)] and c.cwnd == 4 * MSS


@pytest.mark.parametrize("recovering", [False, True])
def test_no_tail_loss_probe_while_recovering(monkeypatch, recovering):
    c, sent = _sender(monkeypatch, profile="linux")
    _ack(c, 1)                                                      # a round trip measured
    if recovering:
        for _ in range(3):
            _ack(c, 1)                                              # segment 1 lost: recovery
        assert sent == [(1, MSS)]
        _ack(c, 3)                                                  # a partial ACK (3 lost too)
        assert sent == [(1, MSS), (3, MSS)]
    now = c.sim.now
    if recovering:          # the retransmission timer, not a probe: the recovery resends
        assert not c.probe_due and c.deadline == now + c.rto
    else:                   # the same ACK without a loss arms the probe (2 x srtt + 2 ms)
        assert c.probe_due and c.deadline == now + 2 * c.srtt + 2_000


def test_reno_sends_whole_segments(monkeypatch):
    # Linux counts the congestion window in segments (snd_cwnd): congestion avoidance's
    # fraction of a segment per ACK sends nothing until it makes a whole one -- no segment
    # shorter than MSS but the last of the data
    short = []
    send = TcpConn._send

    def noted(c, flags, seq, load=0):
        if 0 < load < MSS and seq + load != c.data_end:
            short.append(load)
        return send(c, flags, seq, load)
    monkeypatch.setattr(TcpConn, "_send", noted)
    r = sim.run("flashget", seed=1, cc="reno", trace=False)
    assert all(c["complete"] for c in r.summary["connections"])
    assert short == []


def test_ssthresh_is_halved_once_an_episode_not_on_each_backed_off_timeout(monkeypatch):
    """tcp_enter_loss(): ssthresh is reduced "if it has not yet been made inside this window":
    at the first timeout, and again after an ACK of new data (icsk_retransmits back to 0);
    a second timeout of the same segment holds it (as RFC 5681 3.1 does), and so does a
    timeout in Recovery, whose fast retransmit already halved it (Linux's rule).  A timeout
    in Recovery halved it again, from the flight a partial ACK had already shrunk."""
    c, sent = _sender(monkeypatch)
    c._on_rto()                                     # the first timeout: half the window (10)
    first = c.ssthresh
    assert first == SEGMENTS * MSS // 2
    c._on_rto()                                     # the same segment times out again
    assert c.ssthresh == first
    _ack(c, 1)                                      # new data acknowledged, still in Loss:
    assert c.cwnd == 2 * MSS                        # slow start from one segment
    c._on_rto()                                     # a new timeout: halved afresh -- the window
    # of 2 segments, to 2 (tcp_recalc_ssthresh(): max(2 >> 1, 2)); not the 9 segments still
    # counted in flight, which gave 4.5
    assert c.ssthresh == 2 * MSS and c.retries == 1
    # in Recovery: the fast retransmit halved it; a timeout there, after a partial ACK has
    # shrunk the flight, holds it (halving the smaller flight again cut it to a quarter)
    c, sent = _sender(monkeypatch)
    _ack(c, 1)                                      # (slow start: the window grows to 11)
    for _ in range(3):
        _ack(c, 1)
    halved = c.ssthresh
    assert halved == (SEGMENTS + 1) // 2 * MSS      # 11 >> 1 = 5 whole segments
    _ack(c, 6)                                      # partial: 1 to 5 came, 6 is lost too
    c._on_rto()
    assert c.ssthresh == halved


def test_ssthresh_halves_the_window_not_the_flight(monkeypatch):
    """2.4's tcp_recalc_ssthresh() halves snd_cwnd: a sender that has not filled its window
    (a window of 10, 8 segments in flight) gets 5 at a fast retransmit, not half its flight."""
    c, sent = _sender(monkeypatch)
    _ack(c, 2)                                      # 2 segments acknowledged: 8 in flight
    c.cwnd = SEGMENTS * MSS                         # (the window held at 10, nothing more to send)
    for _ in range(3):
        _ack(c, 2)
    assert sent == [(2, MSS)] and c.ssthresh == SEGMENTS // 2 * MSS


def test_no_tail_loss_probe_after_a_duplicate_ack(monkeypatch):
    """A duplicate ACK puts Linux in Disorder (tcp_add_reno_sack(), tcp_try_to_open()), where
    tcp_schedule_loss_probe() arms no probe (only Open or CWR): new data sent after one is
    timed by the retransmission timer."""
    c, sent = _sender(monkeypatch, profile="linux")
    _ack(c, 1)                                                      # a round trip measured
    assert c.probe_due                                              # Open: a probe is armed
    _ack(c, 1)                                                      # one duplicate: Disorder
    c.write(MSS)                                                    # new data leaves
    assert sent == [(SEGMENTS, MSS)]
    assert not c.probe_due and c.deadline == c.sim.now + c.rto


def test_a_tail_loss_probe_sends_new_data_first(monkeypatch):
    """tcp_send_loss_probe() (RFC 8985 7.3): with data not yet sent, the probe is the next new
    segment, though the congestion window is full -- not the last one sent again, a needless
    duplicate when nothing was lost; with nothing new, the last segment again."""
    c, sent = _sender(monkeypatch, profile="linux")
    c.cwnd = SEGMENTS * MSS                             # the window full with 10 in flight
    c.srtt = c.rto = 20_000                             # (a round trip measured)
    c.write(5 * MSS)                                    # queued behind the full window
    assert sent == []
    c._arm_after_send()
    assert c.probe_due
    c.sim.now = c.deadline
    c._timer()                                          # the probe timeout
    assert sent == [(SEGMENTS, MSS)] and c.loss_probes == 1
    assert not c.probe_due                              # then the retransmission timer
    c, sent = _sender(monkeypatch, profile="linux")     # nothing new to send:
    c.srtt = c.rto = 20_000
    c._arm_after_send()
    c.sim.now = c.deadline
    c._timer()
    assert sent == [(SEGMENTS - 1, MSS)]                # the last segment again
