"""RFC 7323's timestamps as they set the RTT sample.  Every simulated segment carries
(TSval, TSecr) as simulation state (``TCP.tsval``, ``TCP.tsecr``, no option on the wire).  The receiver
echoes the TSval of the segment at the left edge of the window it last announced
(``tcp_replace_ts_recent()``: ``!after(seq, rcv_wup)``, ``tcp_paws_check()``), and the
sender samples ``now - TSecr`` on an ACK of new data: 2.4 always
(``tcp_ack_saw_tstamp()``), today when the ACK covers a retransmitted segment
(``tcp_ack_update_rtt()``, ``tcp_rtt_tsopt_us()``).  So a resend that the peer's own
retransmission acknowledges is timed from the original, as the kernel lab's capture of
SNAT + BCP 38 shows (book/data/kernel/perpacket-snat-filter.pcapng)."""
from __future__ import annotations

import pytest

import sim
from sim import measured
from sim.core import Sim
from sim.packet import IP, TCP, Packet
from sim.tcp import TcpConn, TcpState
from sim.trace import Ev

from helpers import IRS, established_conn

PROFILES = ["2.4", "linux"]


def _conn(profile):
    return established_conn(profile, ts_recent=1)


def _seg(c, seq, load, tsval, tsecr=None, ack=None):
    ack = c.snd_una if ack is None else ack
    return Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                  TCP(7, 4242, (IRS + 1 + seq) & 0xFFFFFFFF, ack & 0xFFFFFFFF, "PA" if load else "A",
                      65535, None, tsval, tsecr), load)


@pytest.mark.parametrize("profile", PROFILES)
def test_a_held_back_ack_echoes_the_earliest_segment_it_acknowledges(profile):
    c = _conn(profile)
    c.segment(_seg(c, 0, 100, tsval=1000))          # at the left edge: kept
    assert c.ts_recent == 1000 and c.ack_sent < c.rcv_nxt      # its ACK held back
    c.segment(_seg(c, 100, 100, tsval=2000))        # beyond rcv_wup: not kept (RFC 7323 4.3)
    assert c.ts_recent == 1000
    assert c._make("A", c.snd_nxt).l4.tsecr == 1000


@pytest.mark.parametrize("profile", PROFILES)
def test_a_resend_at_the_edge_refreshes_ts_recent_an_older_one_or_one_below_does_not(profile):
    c = _conn(profile)
    c.segment(_seg(c, 0, 100, tsval=1000))
    c._send("A", c.snd_nxt)                         # acknowledged: rcv_wup = rcv_nxt
    c.segment(_seg(c, 0, 100, tsval=900))           # older than TS.Recent (tcp_paws_check())
    assert c.ts_recent == 1000
    c.segment(_seg(c, 0, 100, tsval=5000))          # a resend ending at rcv_wup: acceptable
    assert c.ts_recent == 5000
    c.segment(_seg(c, 100, 100, tsval=6000))
    c._send("A", c.snd_nxt)
    c.segment(_seg(c, 0, 100, tsval=7000))          # wholly below rcv_wup (tcp_sequence())
    assert c.ts_recent == 6000


def _sender(profile):
    """A connection that sent 100 bytes at t = 1000 µs and resent them at t = 300000."""
    c = _conn(profile)
    c.srtt8, c.srtt, c.mdev, c.mdev_max, c.rttvar = 8000, 1000, 2000, 200_000, 200_000
    c.sim.now = 1000
    c.write(100)
    c.sim.now = 300_000
    c._retransmit_first()
    return c


@pytest.mark.parametrize("profile", PROFILES)
def test_an_ack_of_a_resend_echoing_the_original_is_timed_from_the_original(profile):
    c = _sender(profile)
    c.sim.now = 300_500                             # the peer's ACK, sent before the resend reached it
    c.segment(_seg(c, 0, 0, tsval=2000, tsecr=1000, ack=c.iss + 101))
    assert c.snd_una == c.iss + 101
    # the sample is 299.5 ms, not the 0.5 ms since the resend: srtt gains an eighth of the error
    assert c.srtt == 1000 + (299_500 - 1000) // 8
    assert c.rto > 200_000 + c.srtt - 1


def test_without_a_retransmission_today_times_the_segment_and_24_reads_the_timestamp():
    for profile, expected in (("2.4", 600), ("linux", 500)):
        c = _conn(profile)
        c.srtt8, c.srtt, c.mdev, c.mdev_max, c.rttvar = 4000, 500, 1000, 200_000, 200_000
        c.sim.now = 1000
        c.write(100)
        c.sim.now = 1500
        # an echo of a TSval 100 µs older than the segment's send (a stale TS.Recent at the peer)
        c.segment(_seg(c, 0, 0, tsval=1400, tsecr=900, ack=c.iss + 101))
        assert c.srtt == 500 + (expected - 500) // 8, profile


def _lab_run(profile):
    kw = dict(multipath="numgen", nat="snat", ingress_filter=True, uplinks=2, tcp=profile, **measured.LAB)
    return sim.run("echo", **kw)


@pytest.mark.parametrize("profile", PROFILES)
def test_snat_bcp38_the_server_resends_an_echo_only_in_the_first_round(profile):
    """The lab's captures: the server resends an echo at most once, in the first round (a
    race with the client's timeout); every later request the client resends echoes an echo's
    original TSval, the server's RTO grows past the client's, and it resends nothing more.  Timing each ACK from the resend instead made the
    server resend every echo, each one more duplicate for the client to answer."""
    r = _lab_run(profile)
    seen, resends = set(), []
    for e in r.events:
        if e.ev is Ev.SEND and e.node == "remote1" and e.pkt.load:
            if e.pkt.l4.seq in seen:
                resends.append(e.t)
            seen.add(e.pkt.l4.seq)
    assert len(resends) == 1 and resends[0] < 300_000
    echo = r.summary["echo"][0]
    assert echo["complete"] and r.summary["drops"] == {"ingress filter": 13}


def test_a_syn_ack_sent_again_refreshes_ts_recent_in_24_not_today():
    for profile, kept in (("2.4", 5000), ("linux", 1000)):
        c = _conn(profile)              # its ACK of the first SYN+ACK (TSval 1000) was lost
        c.ts_recent = 1000
        syn_ack = Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                         TCP(7, 4242, IRS, c.snd_una & 0xFFFFFFFF, "SA", 65535, None, 5000, None), 0)
        c.segment(syn_ack)              # 2.4: tcp_replace_ts_recent() before the SYN check
        assert c.ts_recent == kept, profile


def test_an_old_ack_that_fills_a_hole_refreshes_ts_recent_in_24_not_today():
    """Since Linux 3.9 tcp_ack() keeps TS.Recent (FLAG_UPDATE_TS_RECENT) only after its
    old_ack exit; 2.4's tcp_rcv_established() keeps it before tcp_ack()."""
    for profile, kept in (("2.4", 2000), ("linux", 1)):
        c = _conn(profile)
        c.sim.now = 1000
        c.write(100)
        c.segment(_seg(c, 100, 100, tsval=3000, ack=c.iss + 101))    # out of order, acks our 100
        assert c.snd_una == c.iss + 101 and c.ts_recent == 1
        c.segment(_seg(c, 0, 100, tsval=2000, ack=c.iss + 1))        # fills the hole: an old ACK
        assert c.rcv_nxt == IRS + 201
        assert c.ts_recent == kept, profile


def test_a_segment_whose_ack_is_turned_away_refreshes_ts_recent_in_24_not_today():
    """tcp_ack(): after(ack, snd_nxt) -> invalid_ack, before TS.Recent is kept (since 3.9;
    the kernel's selftest tcp_ts_recent_invalid_ack.pkt)."""
    for profile, kept in (("2.4", 5000), ("linux", 1)):
        c = _conn(profile)
        c.segment(_seg(c, 0, 100, tsval=5000, ack=c.iss + 9999))     # acks what was never sent
        assert c.rcv_nxt == IRS + 1                                  # dropped
        assert c.ts_recent == kept, profile


@pytest.mark.parametrize("profile", PROFILES)
def test_in_time_wait_a_fin_sent_again_is_acked_with_the_first_fins_tsval(profile):
    """tcp_timewait_state_process() (2.4 and today) keeps a TSval only from a bare ACK or RST
    at rcv_nxt; a FIN sent again starts below it and is ACKed with the one kept before."""
    c = _conn(profile)
    c.close()
    c.segment(_seg(c, 0, 0, tsval=1000, ack=c.iss + 2))             # our FIN acknowledged
    fin = Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                 TCP(7, 4242, (IRS + 1) & 0xFFFFFFFF, (c.iss + 2) & 0xFFFFFFFF, "FA", 65535,
                     None, 2000, None), 0)
    c.segment(fin)
    assert c.state is TcpState.TIME_WAIT and c.ts_recent == 2000
    sent = []
    c.host.ip_output = lambda pkt, conn=None: sent.append(pkt.l4) or True
    c.segment(fin._replace(l4=fin.l4._replace(tsval=9000)))        # the FIN again
    assert c.ts_recent == 2000 and [t.tsecr for t in sent] == [2000]
    bare = _seg(c, 1, 0, tsval=9500, ack=c.iss + 2)                   # a bare ACK at rcv_nxt
    c.segment(bare)
    assert c.ts_recent == 9500


def test_the_echo_clients_last_ack_echoes_the_servers_first_fin():
    """The lab's capture (lan link): the server's FIN+ACK sent again is ACKed by the client in
    TIME_WAIT with the TSval of the first FIN+ACK (frame 129 echoes frame 122's)."""
    for profile in PROFILES:
        r = _lab_run(profile)
        fins = [e.pkt.l4 for e in r.events if e.ev is Ev.SEND and e.node == "remote1"
                and "F" in e.pkt.l4.flags]
        last = [e.pkt.l4 for e in r.events if e.ev is Ev.SEND and e.node == "local1"][-1]
        assert len(fins) == 2 and last.flags == "A"
        assert last.tsecr == fins[0].tsval != fins[1].tsval, profile


def test_a_syn_sent_again_in_syn_received_keeps_the_first_syns_tsval():
    """tcp_check_req() (2.4 and today) answers a pure retransmitted SYN with the SYN+ACK
    (rtx_syn_ack()) and returns before it keeps a TSval: the SYN+ACK echoes the first SYN's."""
    from sim.topology import article_network
    for profile in PROFILES:
        host = article_network(Sim(seed=1), sim.make_params("echo").spec())["remote1"]
        c = TcpConn(host, ("200.0.0.1", 7), ("100.0.0.1", 5000), profile=profile)

        def syn(tsval):
            return Packet(IP("100.0.0.1", "200.0.0.1", 64, 1, 0),
                          TCP(5000, 7, 1000, 0, "S", 65535, None, tsval, None), 0)
        c.accept_syn(syn(100))
        c.sim.now = 3_000_000
        sent = []
        c.host.ip_output = lambda pkt, conn=None: sent.append(pkt.l4) or True
        c.segment(syn(3_000_000))
        assert c.state is TcpState.SYN_RECEIVED and c.ts_recent == 100, profile
        assert [(t.flags, t.tsecr) for t in sent] == [("SA", 100)], profile
