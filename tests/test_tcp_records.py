"""The TCP and MPTCP vocabulary as records: MPTCP options (sim.packet), the MPTCP session
(sim.mptcp), TCP profiles and states (sim.tcp)."""
import json

import pytest

import sim
from sim.core import Sim
from sim.mptcp import MptcpSession
from sim.packet import IP, TCP, Dss, MpCapable, MpJoin, Packet
from sim.tcp import RTO_INIT_LINUX, TCP_PROFILES, TcpConn, TcpProfile, TcpState
from sim.trace import Ev


@pytest.fixture(scope="module")
def mptcp_run():
    return sim.run("mptcp", seed=2, size=30_000, subflows=3, uplinks=3)


def _options(r):
    return [(i, e.pkt) for i, e in enumerate(r.events)
            if e.ev is Ev.SEND and e.pkt.proto == 6 and e.pkt.l4.mptcp]


def test_every_mptcp_option_is_a_record_whose_length_is_the_bytes_it_puts_on_the_wire(mptcp_run):
    from sim.pcap import to_bytes
    seen = set()
    for _, p in _options(mptcp_run):
        opt = p.l4.mptcp
        assert type(opt) in (MpCapable, MpJoin, Dss)
        seen.add(opt.form)
        # the length the engine counts (link time, wire_len) is the length scapy writes
        assert p.wire_len() == len(to_bytes(p)), (opt, p.wire_len(), len(to_bytes(p)))
    assert seen == {"capable", "capable-synack", "capable-ack", "capable-data", "join",
                    "join-synack", "join-ack", "dss"}


def test_the_json_trace_writes_an_option_as_its_form_then_its_values(mptcp_run):
    d = json.loads(mptcp_run.to_json())
    for i, p in _options(mptcp_run):
        opt, j = p.l4.mptcp, d["events"][i]["pkt"]["mptcp"]
        assert j[0] == opt.form
        if type(opt) is Dss:
            assert j == ["dss", opt.data_ack, [list(m) for m in opt.mapping], opt.subflow_seq]
        elif type(opt) is MpCapable:
            assert j[1:] == [v for v in (opt.sender_key, opt.receiver_key, opt.data_level_length)
                             if v is not None]
        elif opt.token is not None:
            assert j[1:] == [opt.token, opt.nonce]
        else:
            assert bytes.fromhex(j[1]) == opt.hmac
    plain = json.loads(sim.run("connection-level", seed=1, size=5_000).to_json())["events"]
    tcp = [e["pkt"] for e in plain if e.get("pkt", {}).get("proto") == "tcp"]
    assert tcp and all(p["mptcp"] == [] for p in tcp)     # no option: an empty list, as always


def test_a_session_is_a_record_holding_its_subflows_and_the_data_level(mptcp_run):
    server = mptcp_run.apps["mptcp_servers"][0]
    (s,) = server.sessions.values()
    assert type(s) is MptcpSession and not hasattr(s, "__dict__")
    assert len(s.subflows) == 3 and s.client_key == mptcp_run.apps["mptcp"][0].key
    assert s.wanted == s.dsn_next == s.data_una == 30_000


def test_profiles_are_records_and_their_behaviours_are_separate(monkeypatch):
    assert set(TCP_PROFILES) == {"2.4", "linux"}
    assert not TCP_PROFILES["2.4"].tail_loss_probe and not TCP_PROFILES["2.4"].rfc5961_challenge_ack
    assert TCP_PROFILES["linux"].tail_loss_probe and TCP_PROFILES["linux"].rfc5961_challenge_ack
    # a kernel with tail loss probes but without RFC 5961: a RST in the window resets, as in 2.4
    monkeypatch.setitem(TCP_PROFILES, "tlp-only", TcpProfile("tlp-only", RTO_INIT_LINUX, 6,
                                                             tail_loss_probe=True,
                                                             rfc5961_challenge_ack=False))
    from sim.topology import article_network
    host = article_network(Sim(seed=1), sim.make_params("echo").spec())["local1"]
    c = TcpConn(host, ("192.168.0.1", 4242), ("200.0.0.1", 7), profile="tlp-only")
    assert c.rto == RTO_INIT_LINUX
    c.state, c.rcv_nxt, c.snd_nxt, c.snd_una = TcpState.ESTABLISHED, 1000, 500, 500
    c.segment(Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0), TCP(7, 4242, 1100, 0, "R", 0), 0))
    assert c.reset and c.challenge_acks == 0


def test_tcp_states_are_members_in_the_trace_and_plain_names_in_its_text_json_and_summary():
    r = sim.run("connection-level", seed=1, size=20_000)
    tcp = [e for e in r.events if e.ev is Ev.TCP]
    assert tcp and all(type(e.old) is TcpState and type(e.new) is TcpState for e in tcp)
    assert {e.new for e in tcp} >= {TcpState.SYN_SENT, TcpState.ESTABLISHED}
    d = json.loads(r.to_json())
    assert all(type(e["new"]) is str for e in d["events"] if e["ev"] == Ev.TCP.value)
    assert "SYN_SENT -> ESTABLISHED" in r.text() and "TcpState" not in r.text()
    # the summary (glued into the book) holds plain strings: no enum repr can reach a page
    assert all(type(c["state"]) is str for c in r.summary["connections"])


def test_the_timeout_is_linuxs_estimator_sample_by_sample():
    # tcp_rtt_estimator() and __tcp_set_rto() (2.4's are the same), fed the samples by hand:
    # the first sets rto = 3 x rtt (or rtt + 200 ms); a jump holds the round's largest mdev;
    # a fall raises mdev by 1/32 only
    from sim.tcp import RTO_MIN, TcpConn

    c = TcpConn.__new__(TcpConn)
    c.srtt = c.srtt8 = c.mdev = c.mdev_max = c.rttvar = c.rtt_round = 0
    c.snd_nxt = 1000
    c._rtt_estimator(150_000, 1)
    assert (c.srtt, c.rto) == (150_000, 450_000)              # 3 x rtt
    c._rtt_estimator(150_000, 1)                              # the same round: rttvar held
    assert c.rto == 150_000 + 300_000
    c.snd_nxt = 2000
    c._rtt_estimator(150_000, 1500)       # the first round over: its largest mdev was rttvar, kept
    assert c.rttvar == 300_000 and c.mdev_max == RTO_MIN
    c._rtt_estimator(150_000, 2500)       # the second: mdev stayed under 200 ms, so rttvar falls by
    assert c.rttvar == 300_000 - (300_000 - RTO_MIN) // 4     # a quarter of its excess
    assert c.rto == 150_000 + 275_000
    d = TcpConn.__new__(TcpConn)
    d.srtt = d.srtt8 = d.mdev = d.mdev_max = d.rttvar = d.rtt_round = 0
    d.snd_nxt = 1000
    d._rtt_estimator(35_000, 1)
    for _ in range(50):
        d._rtt_estimator(35_000, 1)
    assert d.rto == 35_000 + RTO_MIN                          # steady: srtt + 200 ms


def test_a_handshake_resent_is_timed_by_its_timestamp():
    # the server resent its SYN+ACK (3 s, backed off to 6 s); the ACK that completes the
    # handshake echoes the resent one's timestamp, so the timer starts from that round trip
    # (tcp_synack_rtt_meas -> tcp_ack_update_rtt with TSecr), not from the backed-off 6 s
    import sim
    from sim.tcp import RTO_MIN, TcpState
    from sim.trace import Ev

    def established(e):
        return e.ev is Ev.TCP and e.node == "remote1" and e.new is TcpState.ESTABLISHED
    r = sim.run("equalize-nat", seed=8, size=3000, stop=established)
    servers = r.apps["servers"]
    child, = (next(iter(servers.values())) if isinstance(servers, dict) else servers[0]).children
    assert child.synack_retransmits == 1 and child.established_by == "ack"
    assert 0 < child.srtt < 100_000 and child.rto == child.srtt + RTO_MIN
