"""Quick-ack mode after a duplicate, as Linux's ``tcp_data_queue()`` enters it: data all
received before means the peer did not hear an ACK, and the receiver then acknowledges
the next data at once, on a segment of its own, even in ping-pong mode (where the ACK
would otherwise wait to ride on the application's answer).  2.4 and today alike; 2.4 (and
Linux until 2018) also for out-of-order data, and it left ping-pong mode when a hole was
filled."""
from __future__ import annotations

import pytest

import sim
from sim import measured
from sim.packet import IP, TCP, Packet
from sim.tcp import DELACK, PINGPONG_THRESH, QUICKACKS, TcpState
from sim.observe import events
from sim.trace import Ev

from helpers import IRS, established_conn

PROFILES = ["2.4", "linux"]


def _conn(profile):
    return established_conn(profile)


def _seg(c, seq, load):
    return Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                  TCP(7, 4242, (IRS + 1 + seq) & 0xFFFFFFFF, (c.iss + 1) & 0xFFFFFFFF, "PA", 65535), load)


def _acked_at_once(c):
    return c.ack_sent == c.rcv_nxt


@pytest.mark.parametrize("profile", PROFILES)
def test_in_ping_pong_mode_the_ack_waits_for_the_answer(profile):
    c = _conn(profile)
    c.segment(_seg(c, 0, 100))
    assert c.rcv_nxt == IRS + 101 and not _acked_at_once(c)     # delayed (tcp_send_delayed_ack)


@pytest.mark.parametrize("profile", PROFILES)
def test_a_duplicate_enters_quickack_mode_and_the_next_data_is_acked_at_once(profile):
    c = _conn(profile)
    c.segment(_seg(c, 0, 100))
    c.segment(_seg(c, 0, 100))                       # again: the peer did not hear the ACK
    assert _acked_at_once(c)                         # the duplicate is acknowledged at once
    # tcp_enter_quickack_mode(): out of ping-pong mode, quick ACKs again (less the one sent)
    assert c.pingpong == 0 and c.quick == QUICKACKS - 1 and c.ato == DELACK
    c.segment(_seg(c, 100, 100))                     # the next data
    assert c.rcv_nxt == IRS + 201 and _acked_at_once(c)


@pytest.mark.parametrize("profile", PROFILES)
def test_data_at_the_windows_right_edge_enters_quickack_mode(profile):
    c = _conn(profile)
    c.segment(_seg(c, c.window, 100))                # a zero-window probe: goto out_of_window
    assert c.pingpong == 0 and c.quick > 0 and not c.ooo


@pytest.mark.parametrize("profile", PROFILES)
def test_data_past_the_windows_right_edge_gets_a_duplicate_ack_and_no_more(profile):
    """tcp_sequence() turns it away before tcp_ack() and tcp_data_queue(): tcp_send_dupack()
    enters quick-ack mode only for data that starts below rcv_nxt."""
    c = _conn(profile)
    c.write(100)                                     # 100 bytes of ours in flight
    c.quick = 3
    c.ack_sent, sent, pingpong = 0, [], c.pingpong
    c.host.ip_output = lambda pkt, conn=None: sent.append(pkt.l4.flags) or True
    past = Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                  TCP(7, 4242, (IRS + 1 + c.window + 100) & 0xFFFFFFFF, (c.iss + 101) & 0xFFFFFFFF,
                      "PA", 65535), 100)
    c.segment(past)
    assert sent == ["A"] and c.ack_sent == c.rcv_nxt          # the duplicate ACK
    assert c.pingpong == pingpong >= PINGPONG_THRESH and c.ato == DELACK and not c.ooo
    assert c.quick == (2 if profile == "2.4" else 3)          # today no ACK was due: none used
    assert c.snd_una == c.iss + 1                             # its ACK field was not read


@pytest.mark.parametrize("profile", PROFILES)
def test_a_fin_in_established_enters_ping_pong_mode_and_its_ack_rides_on_our_fin(profile):
    """tcp_fin(): ESTABLISHED -> CLOSE_WAIT enters ping-pong mode, so __tcp_ack_snd_check()
    takes tcp_send_delayed_ack(), and the FIN the application answers with carries the ACK:
    one segment, where an ACK at once made two."""
    c = _conn(profile)
    c.quick, c.pingpong = 5, 0                       # quick-ack mode, as after a duplicate
    sent = []
    c.host.ip_output = lambda pkt, conn=None: sent.append(pkt.l4.flags) or True
    fin = Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                 TCP(7, 4242, (IRS + 1) & 0xFFFFFFFF, (c.iss + 1) & 0xFFFFFFFF, "FA", 65535), 0)
    c.on_fin = lambda conn: conn.close()             # the echo server: closes at end of file
    c.segment(fin)
    assert c.state is TcpState.LAST_ACK and c.pingpong == PINGPONG_THRESH
    assert sent == ["FA"] and _acked_at_once(c)


@pytest.mark.parametrize("profile", PROFILES)
def test_a_fin_in_established_that_no_answer_follows_is_acked_by_the_timer(profile):
    c = _conn(profile)
    c.quick, c.pingpong = 5, 0
    fin = Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                 TCP(7, 4242, (IRS + 1) & 0xFFFFFFFF, (c.iss + 1) & 0xFFFFFFFF, "FA", 65535), 0)
    c.segment(fin)
    assert c.state is TcpState.CLOSE_WAIT and not _acked_at_once(c) and c.delack_ev is not None
    c._delack_timer()                                # "Delayed ACK missed": out of ping-pong
    assert _acked_at_once(c) and c.pingpong == 0


@pytest.mark.parametrize("profile", PROFILES)
def test_a_fin_in_fin_wait_2_is_acked_at_once(profile):
    c = _conn(profile)
    c.close()                                        # our FIN...
    c.segment(Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                     TCP(7, 4242, (IRS + 1) & 0xFFFFFFFF, (c.iss + 2) & 0xFFFFFFFF, "A", 65535), 0))
    assert c.state is TcpState.FIN_WAIT_2            # ...acknowledged
    c.segment(Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                     TCP(7, 4242, (IRS + 1) & 0xFFFFFFFF, (c.iss + 2) & 0xFFFFFFFF, "FA", 65535), 0))
    assert c.state is TcpState.TIME_WAIT and _acked_at_once(c)     # tcp_fin(): tcp_send_ack()


@pytest.mark.parametrize("profile", PROFILES)
def test_the_echo_server_acks_the_clients_fin_on_its_own_fin(profile):
    """The lab's capture (book/data/kernel/perpacket-snat-filter.pcapng, lan link): the
    server's FIN+ACK acknowledges the client's FIN, with no pure ACK before it."""
    r = sim.run("echo", multipath="numgen", nat="snat", ingress_filter=True, tcp=profile, **measured.LAB)
    client_fin = next(e for e in events(r, Ev.SEND, "local1") if "F" in e.pkt.l4.flags)
    after = [e.pkt.l4.flags for e in events(r, Ev.SEND, "remote1") if e.t >= client_fin.t]
    assert after[0] == "FA", after


def test_out_of_order_data_enters_quickack_mode_in_24_not_today():
    old, new = _conn("2.4"), _conn("linux")
    for c in (old, new):
        c.segment(_seg(c, 100, 100))                 # a hole before it: a duplicate ACK at once
        assert c.ooo and _acked_at_once(c)
    assert old.pingpong == 0 and old.quick > 0        # 2.4: tcp_enter_quickack_mode()
    assert new.pingpong == PINGPONG_THRESH and new.quick == 0   # since 2018: not


def test_a_filled_hole_leaves_ping_pong_mode_in_24_and_is_acked_at_once_in_both():
    for profile, pingpong in (("2.4", 0), ("linux", PINGPONG_THRESH)):
        c = _conn(profile)
        c.segment(_seg(c, 100, 100))
        c.pingpong = PINGPONG_THRESH                 # (2.4 left it above; back in, to see the fill)
        c.segment(_seg(c, 0, 100))                   # fills the hole
        assert not c.ooo and c.rcv_nxt == IRS + 201 and _acked_at_once(c)
        assert c.pingpong == pingpong


def test_the_echo_client_acks_on_its_own_after_the_servers_duplicate():
    """Chapter 9's SNAT + BCP 38 over two uplinks, as the kernel lab captured it
    (book/data/kernel/perpacket-snat-filter.pcapng): after the server's loss probe resends
    an echo the client had, the client answers the duplicate with a pure ACK, then sends a
    pure ACK of the next echo before its next request -- it does not ride on the request."""
    r = sim.run("echo", multipath="numgen", nat="snat", ingress_filter=True, **measured.LAB)
    sent = ["data" if e.pkt.load else "ack" for e in events(r, Ev.SEND, "local1")
            if "S" not in e.pkt.l4.flags and "F" not in e.pkt.l4.flags]
    # the handshake's ACK, request 1, the quick ACK of the first echo, requests 2 and 3
    assert sent[:5] == ["ack", "data", "ack", "data", "data"]
    # request 3 is lost (provider 2's filter): its retransmission, then the duplicate's ACK,
    # then the next echo's ACK at once (quick-ack mode), then request 4
    assert sent[5:9] == ["data", "ack", "ack", "data"]


@pytest.mark.parametrize("profile", PROFILES)
def test_a_delayed_ack_timer_that_fires_in_ping_pong_mode_leaves_it(profile):
    """2.4's tcp_delack_timer(), today's tcp_delack_timer_handler(): "Delayed ACK missed:
    leave pingpong mode and deflate ATO" -- the answer the ACK waited for did not come."""
    c = _conn(profile)
    c.segment(_seg(c, 0, 100))
    assert not _acked_at_once(c) and c.delack_ev is not None
    c._delack_timer()
    assert _acked_at_once(c) and c.pingpong == 0 and c.ato == DELACK


@pytest.mark.parametrize("profile", PROFILES)
def test_every_segment_in_order_notes_its_arrival_a_filled_hole_too(profile):
    """tcp_event_data_recv() runs for each segment tcp_data_queue() takes in order: lrcvtime,
    which decides whether an answer is interactive (ping-pong mode), is its arrival."""
    c = _conn(profile)
    c.sim.now = 1_000
    c.segment(_seg(c, 100, 100))                     # out of order: not in order, not noted
    assert c.lrcvtime == 0
    c.sim.now = 2_000
    c.segment(_seg(c, 0, 100))                       # fills the hole
    assert c.rcv_nxt == IRS + 201 and c.lrcvtime == 2_000


@pytest.mark.parametrize("profile", PROFILES)
def test_data_after_a_gap_longer_than_the_rto_gets_quick_acks_again(profile):
    """tcp_event_data_recv(): "Too long gap. Apparently sender failed to restart window, so
    that we send ACKs quickly" -- tcp_incr_quickack()."""
    c = _conn(profile)
    c.rto, c.lrcvtime = 200_000, 1_000
    c.sim.now = 100_000
    c.segment(_seg(c, 0, 100))                       # within the RTO: no quick ACKs
    assert c.quick == 0
    c.sim.now = 100_000 + 200_001
    c.segment(_seg(c, 100, 100))
    assert c.quick > 0


@pytest.mark.parametrize("profile", PROFILES)
def test_an_ack_the_delayed_ack_timer_sends_uses_a_quick_ack(profile):
    """tcp_event_ack_sent() -> tcp_dec_quickack_mode(): every ACK of new data counts, not only
    the ones __tcp_ack_snd_check() sends at once."""
    c = _conn(profile)
    c.quick = 5
    c.segment(_seg(c, 0, 100))                       # ping-pong mode: the ACK waits
    assert c.quick == 5
    c._delack_timer()
    assert c.quick == 4


def test_an_answer_that_carries_no_new_ack_uses_a_quick_ack_in_24_not_today():
    """2.4's tcp_dec_quickack_mode() counts every segment with ACK set (tcp_transmit_skb() ->
    tcp_event_ack_sent()); today only one sent while an ACK is due (inet_csk_ack_scheduled(),
    since 2023)."""
    for profile, left in (("2.4", 3), ("linux", 4)):
        c = _conn(profile)
        c.quick, c.pingpong = 5, 0
        c.segment(_seg(c, 0, 100))                   # quick-ack mode: acknowledged at once
        assert _acked_at_once(c) and c.quick == 4
        c.write(100)                                 # the answer: its ACK acknowledges nothing new
        assert c.quick == left, profile
