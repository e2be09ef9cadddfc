"""An uplink's line fails (``down_at``): what 2.4 and today's Linux do with the routes,
the route cache and the NAT bindings, and what that does to the connections."""
import json
import subprocess
import sys

import pytest

import sim
from sim.pcap import pcapng_bytes
from sim.result import json_summary
from sim.reasons import CtMark, DeadTable, DeviceDown, Flushed, Invalid, RoundRobin
from sim.trace import Drop, Ev

from helpers import events, uplink_hops


def _dev_of(c):
    return "if1" if c["seen_by_server_as"][0].startswith("(100.") else "if2"


def test_connections_on_the_failed_line_stall_the_others_and_new_ones_use_the_live_one():
    r = sim.run("uplink-down", seed=1)
    conns = r.summary["connections"]
    first, later = conns[:4], conns[4:]
    assert {_dev_of(c) for c in first} == {"if1", "if2"}          # conntrack marks spread them
    for c in first:
        if _dev_of(c) == "if1":
            assert c["complete"]
        else:   # no data: it hangs until the client gives up, or its client's next segment is reset
            assert not c["complete"] and c["reset"] != c["timed_out"]
    # a reset one: the client's segment after the failure is no FIN, so today's conntrack picks
    # it up as a new connection (nf_conntrack_tcp_loose): a ct mark for if1, a new binding,
    # and the server resets the stranger through it
    for c in first:
        if _dev_of(c) == "if2" and c["reset"]:
            port = int(c["client"].split(", ")[1].rstrip(")"))
            late = [p for i, dev, p in uplink_hops(r) if r.events[i].t > 1_000_000 and p.sport == port]
            assert late and late[0].ip.src == "100.0.0.1" and "F" not in late[0].l4.flags
            assert any(e.pkt.ip.dst == "100.0.0.1" and e.pkt.dport == port and e.pkt.l4.flags == "R"
                       for e in events(r, Ev.SEND, "remote1"))
    # ... and a quiet one's FIN finds no conntrack entry: INVALID, so no NAT and no ct mark: it
    # leaves by the live uplink from the private address, and the remote host resets the stranger
    stalled = {int(c["client"].split(", ")[1].rstrip(")")) for c in first
               if _dev_of(c) == "if2" and c["timed_out"]}
    fins = [p for i, dev, p in uplink_hops(r) if p.sport in stalled and "F" in p.l4.flags]
    assert fins and {p.ip.src for p in fins} == {"192.168.0.1"}
    assert any(e.pkt.ip.dst == "192.168.0.1" and e.pkt.l4.flags == "R" for e in events(r, Ev.SEND, "remote1"))
    whys = [e.why for e in events(r, Ev.FIB, "router") if e.pkt.sport in stalled and "F" in e.pkt.l4.flags]
    assert whys and all(type(w) is Invalid for w in whys)
    assert str(whys[0]).startswith("INVALID to conntrack, so no ct mark: the main table: hash-l3 of")
    assert all(_dev_of(c) == "if1" and c["complete"] for c in later)
    # the router: carrier lost, the nexthop dead, the masqueraded entries on if2 forgotten
    link = [e for e in events(r, Ev.LINK) if e.node == "router"]
    assert [(e.t, e.dev, e.state) for e in link] == [(1_000_000, "if2", "down")]
    dels = [e for e in events(r, Ev.CT_DEL, "router") if e.reason == DeviceDown("if2")]
    assert len(dels) == sum(_dev_of(c) == "if2" for c in first) == r.summary["link_down"]["conntrack_entries_flushed"]
    assert "dev if2 weight 1 dead linkdown" in r.net["router"].fib.show()
    # the connected route on if2 is gone, as fib_flush() deletes a route whose every nexthop is
    # dead; the table at a step before the failure still has it, and at the failure it goes
    assert "150.0.0.0/24" not in r.net["router"].fib.show()
    down = next(i for i, e in enumerate(r.events) if e.ev is Ev.LINK)
    before, after = r.state_at(down - 1).routes, r.state_at(down).routes
    assert "150.0.0.0/24 dev if2 proto kernel scope link src 150.0.0.1" in before and "dead" not in before
    assert "150.0.0.0/24" not in after and "dev if2 weight 1 dead linkdown" in after
    # nothing the router sends after the failure goes out by if2
    late = [dev for i, dev, p in uplink_hops(r) if r.events[i].t > 1_000_000]
    assert late and set(late) == {"if1"}
    assert r.summary["drops"].get(str(Drop.LINK_DOWN), 0) > 0


def test_2_4_route_cache_is_flushed_and_the_round_robin_skips_the_dead_nexthop():
    r = sim.run("thought-question", multipath="wrr", nat="netfilter", down_at=0.5, size=400_000)
    flushed = [e for e in events(r, Ev.RT_DEL, "router") if e.reason == Flushed("if2", "down")]
    assert flushed and all(e.t == 500_000 for e in flushed)
    misses = [e for e in events(r, Ev.RT_MISS, "router") if e.t > 500_000]
    assert misses and {e.dev for e in misses} <= {"if1", "eth0"}
    wrr = [e.why.choice for e in misses if type(e.why.choice) is RoundRobin]
    assert wrr and all([dev for dev, _ in why.credits] == ["if1"] for why in wrr)   # if2 has no credits
    assert all("if1:" in str(why) and "if2:" not in str(why) for why in wrr)


@pytest.mark.parametrize("policy", ["hash-l3", "hash-l4", "random", "numgen"])
def test_every_policy_avoids_a_dead_nexthop(policy):
    kw = {"equalize": False} if policy == "random" else {}
    r = sim.run("flashget", multipath=policy, nat="masquerade", remote="rfc", down_at=0.0,
                size=20_000, **kw)
    assert {dev for _, dev, _ in uplink_hops(r)} == {"if1"}
    assert all(c["complete"] for c in r.summary["connections"])


@pytest.mark.parametrize("nat,reset", [("netfilter", True), ("masquerade", True), ("snat", False)])
def test_a_talking_client_is_reset_under_masquerade_but_hangs_under_snat(nat, reset):
    # The echo client keeps sending after its line (if1) fails.  MASQUERADE forgot the
    # binding, so its next segment gets a new one on if2 and the server resets the
    # stranger; SNAT kept the binding, so it leaves by if2 with if1's address and the
    # echo comes back to a line that is down.
    r = sim.run("echo", multipath="connmark", nat=nat, remote="rfc", tcp="linux",
                down_at=0.3, down_uplink=1)
    e = r.summary["echo"][0]
    assert 0 < e["echoed"] < e["messages"] and not e["complete"]
    assert e["reset"] is reset
    seen = set(e["seen_by_server_as"])
    assert seen == ({"100.0.0.1", "150.0.0.1"} if reset else {"100.0.0.1"})
    # the ct mark lives in the conntrack entry: MASQUERADE's flush takes it along, and the
    # next segment is marked afresh; SNAT's entry keeps mark 1, whose table is now dead
    after = [e.why for e in events(r, Ev.FIB, "router")
             if e.t > 300_000 and e.pkt.ip.src == "192.168.0.1"]
    assert after
    if reset:
        assert type(after[0]) is CtMark and after[0].new
        assert str(after[0]).startswith("new connection: ct mark set")
    else:
        assert all(w == DeadTable(CtMark(1), "if1", w.fallback) for w in after)
        assert all(str(w).startswith("ct mark 1 -> fwmark 1 -> table 1, whose only route was deleted (if1 down)")
                   for w in after)


def test_down_at_is_deterministic_and_in_the_pcap():
    a = sim.run("uplink-down", seed=3, size=50_000)
    b = sim.run("uplink-down", seed=3, size=50_000)
    assert a.to_json() == b.to_json()
    assert pcapng_bytes(a) == pcapng_bytes(b)


@pytest.mark.parametrize("args,msg", [
    (["--down-uplink", "3"], "--down-uplink 3 out of range: allowed 1..2"),
    (["--down-at", "soon"], "--down-at must be seconds in 0 or 1e-06..86400 (the simulation counts whole "
                            "microseconds), or none (no line fails), got 'soon'"),
    (["--down-at", "1e9"], "--down-at must be seconds in 0 or 1e-06..86400 (the simulation counts whole "
                           "microseconds), or none (no line fails), got '1e9'"),
    # one rule, one message: -2 had said ">= 0", and 0 was then refused as "allowed (0, 3600]"
    (["--read-timeout", "-2"], "--read-timeout must be seconds in 1e-06..3600 (the simulation counts whole "
                               "microseconds), or none (no read timeout), got '-2'"),
    (["--read-timeout", "0"], "--read-timeout must be seconds in 1e-06..3600 (the simulation counts whole "
                              "microseconds), or none (no read timeout), got '0'"),
    (["--down-at", "none", "--down-uplink", "1"], "--down-at none fails no line"),
    (["--down-at", "0.5", "--bundle"], "with --bundle the lines are one link: give --no-bundle"),
])
def test_cli_refuses_bad_down_options_in_one_line(args, msg):
    p = subprocess.run([sys.executable, "-m", "sim", "run", "uplink-down", *args],
                       capture_output=True, text=True)
    assert p.returncode == 2 and msg in p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_cli_none_turns_off_the_scenarios_line_failure_and_read_timeout():
    # uplink-down sets down_at=1 and read_timeout=5; `--down-at none` had been refused
    p = subprocess.run([sys.executable, "-m", "sim", "run", "uplink-down", "--down-at", "none", "--read-timeout",
                        "none", "--size", "20000", "--format", "json"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["params"]["down_at"] is None and out["params"]["read_timeout"] is None
    assert "link_down" not in out["summary"]
    same = sim.run("uplink-down", down_at=None, read_timeout=None, size=20_000)
    assert out["summary"] == json.loads(same.to_json())["summary"]
    assert {k: v for k, v in out["summary"].items() if k != "notes"} == json.loads(
        json.dumps(json_summary(same.summary)))                           # (endpoints as [address, port])


@pytest.mark.parametrize("args,msg", [
    (["run", "uplink-down", "--down-at", "x"], "--down-at must be seconds above 0 and at most 60, or none (no "
                                                "line fails), got 'x'"),
    (["run", "perpacket-snat", "--down-at", "1"], "--down-at works with the download scenarios"),
    (["compare", "uplink-down", "--down-uplink", "3"], "--down-uplink must be one of the uplinks 1..2, got 3"),
    # 0 meant "no failure" inside the lab, silently overriding uplink-down's own 1 s
    (["run", "uplink-down", "--down-at", "0"], "--down-at must be seconds above 0 and at most 60, or none (no "
                                                "line fails), got '0'"),
    (["run", "perpacket-masquerade", "--down-uplink", "2"], "no line fails in perpacket-masquerade"),
    # the scenario's own uplink to fail, with fewer uplinks: "--down-uplink must be one of the
    # uplinks 1..1, got 2" named an option not given
    (["run", "uplink-down", "--uplinks", "1"], "python -m sim.kernel run: error: uplink-down fails uplink 2's "
                                               "line at 1 s unless told another, and there is 1 uplink: name it "
                                               "as the one to fail (--down-uplink), or give 2 uplinks or more\n"),
    (["compare", "uplink-down", "--uplinks", "1", "--down-uplink", "2"],
     "python -m sim.kernel compare: error: --down-uplink must be one of the uplinks 1, got 2\n"),
])
def test_kernel_cli_refuses_bad_down_options_before_touching_the_network(args, msg):
    p = subprocess.run([sys.executable, "-m", "sim.kernel", *args], capture_output=True, text=True)
    assert p.returncode == 2 and msg in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_kernel_cli_gives_one_message_for_every_down_at_outside_its_rule():
    # one rule, seconds above 0 and at most 60: 0 had a message of its own, another prefix
    # ("python -m sim.kernel: error: --down-at 0: give the seconds ...") than -1 or 61
    said = set()
    # (none is taken, as python -m sim takes it: no line fails; test_kernel_cli.py)
    for cmd, value in [("run", "0"), ("run", "0.0"), ("compare", "0"), ("run", "-1"), ("run", "61"),
                       ("run", "x")]:
        p = subprocess.run([sys.executable, "-m", "sim.kernel", cmd, "uplink-down", "--down-at", value],
                           capture_output=True, text=True)
        assert p.returncode == 2 and p.stdout == "" and len(p.stderr.splitlines()) == 1, p.stderr
        said.add(p.stderr.replace(f"got {value!r}", "got V").replace(" compare:", " run:"))
    assert said == {"python -m sim.kernel run: error: --down-at must be seconds above 0 and at most 60, "
                    "or none (no line fails), got V\n"}


def test_both_command_lines_refuse_a_down_uplink_without_a_failing_line_in_the_same_words():
    sim_says = subprocess.run([sys.executable, "-m", "sim", "run", "ping", "--down-uplink", "2"],
                              capture_output=True, text=True)
    kernel_says = subprocess.run([sys.executable, "-m", "sim.kernel", "run", "ping-perpacket-snat",
                                  "--down-uplink", "2"], capture_output=True, text=True)
    assert sim_says.returncode == kernel_says.returncode == 2
    words = "--down-uplink 2 names the uplink whose line fails at --down-at, and no line fails in {}: " \
            "give --down-at SECONDS too\n"
    assert sim_says.stderr == "python -m sim run: error: " + words.format("ping")
    assert kernel_says.stderr == "python -m sim.kernel: error: " + words.format("ping-perpacket-snat")


@pytest.mark.parametrize("uplink", [1, 2])
def test_mptcp_survives_a_failed_line_by_re_injecting_at_the_data_level(uplink):
    r = sim.run("mptcp", seed=1, down_at=0.4, down_uplink=uplink)
    m = r.summary["mptcp"][0]
    assert m["complete"] and m["bytes"] == m["bytes_wanted"]
    dead = f"({'100' if uplink == 1 else '150'}.0.0.1"
    sfs = {sf["seen_by_server_as"][:len(dead)] == dead: sf for sf in m["subflows"]}
    assert sfs[True]["bytes"] < m["bytes_wanted"] / 2 < sfs[False]["bytes"]    # the live one did most
    assert sum(sf["bytes"] for sf in m["subflows"]) > m["bytes_wanted"]      # some bytes came twice
    rein = [e for e in events(r, Ev.APP, "remote1") if e.what.startswith("mptcp re-injects")]
    assert rein and all(e.t > 400_000 for e in rein)
    # without the failure: no re-injection, and every byte once
    ok = sim.run("mptcp", seed=1).summary["mptcp"][0]
    assert ok["complete"] and sum(sf["bytes"] for sf in ok["subflows"]) == ok["bytes_wanted"]
    assert not [e for e in events(sim.run("mptcp", seed=1), Ev.APP, "remote1")
                if e.what.startswith("mptcp")]


def test_every_mptcp_data_segment_maps_its_bytes_and_acks_the_data_level():
    from sim.mptcp import wire_dsn
    from sim.packet import Dss
    r = sim.run("mptcp", seed=1, size=50_000)
    client = r.apps["mptcp"][0]
    server_key = client.server_key
    data = [e.pkt for e in events(r, Ev.SEND, "remote1") if e.pkt.load]
    assert data
    seen = set()
    for p in data:
        opt = p.l4.mptcp
        dack, pieces, ssn = opt.data_ack, opt.mapping, opt.subflow_seq
        # numbered from each side's IDSN (RFC 8684 3.1): the client's request acknowledged
        assert type(opt) is Dss and dack == wire_dsn(client.key, 100)
        assert sum(n for _, n in pieces) == p.load and ssn >= 1
        for dsn, n in pieces:
            rel = (dsn - wire_dsn(server_key, 0)) & 0xFFFFFFFF
            seen.update(range(rel, rel + n))
    assert seen == set(range(50_000))                           # every byte of the data, mapped
    acks = [(e.pkt.l4.mptcp.data_ack - wire_dsn(server_key, 0)) & 0xFFFFFFFF
            for e in events(r, Ev.SEND, "local1") if type(e.pkt.l4.mptcp) is Dss]
    assert acks == sorted(acks) and acks[-1] == 50_000          # data ACKs only grow, to the end


def test_today_a_dead_connection_is_given_up_by_time_not_count():
    # Linux's tcp_write_timeout(): retransmits_timed_out() with tcp_model_timeout(tcp_retries2 =
    # 15) = 924.6 s from the first send of the segment resent -- 2.4 counted 15 retransmissions
    from sim.tcp import model_timeout
    assert model_timeout(15) == 924_600_000 and model_timeout(8) == 102_200_000
    r = sim.run("uplink-down", seed=1)                  # tcp="linux"
    gave_up = [e for e in events(r, Ev.DROP, "remote1") if e.reason is Drop.RETRIES]
    assert gave_up
    for e in gave_up:
        seq = e.pkt.l4.seq
        sends = [x.t for x in events(r, Ev.SEND, "remote1") if x.pkt.dport == e.pkt.dport and x.pkt.l4.seq == seq
                 and x.t <= e.t]
        first, last = sends[0], sends[-1]
        assert last - first < model_timeout(15) <= e.t - first    # the last resend was in time, the next not


def test_a_failure_after_the_traffic_ended_is_not_said_to_have_happened():
    """The failure is a daemon event: a run whose downloads end first never reaches it.  The
    summary said "if2's line went down at 0.5 s" of a run that ended at 0.467 s."""
    from sim.trace import Ev
    late = sim.run("equalize-nat", seed=3, size=20_000, down_at=0.5)
    assert late.sim.now < 500_000 and not any(e.ev is Ev.LINK for e in late.events)
    assert late.summary["link_down"]["happened"] is False
    text = "\n".join(late.summary_text())
    assert "line went down" not in text
    assert (f"if2's line was to go down at 0.5 s, but the run's traffic had ended, at "
            f"{late.sim.now / 1e6:.6f} s: no line failed") in text
    early = sim.run("equalize-nat", seed=3, size=20_000, down_at=0.1)
    assert early.summary["link_down"]["happened"] is True
    assert any(e.ev is Ev.LINK for e in early.events)
    assert "if2's line went down at 0.1 s" in "\n".join(early.summary_text())


@pytest.mark.parametrize("uplink", [1, 2])
def test_mptcp_re_injects_as_linux_only_on_an_idle_subflow_and_all_once_one_is_stale(uplink, monkeypatch):
    """Linux's ``__mptcp_retrans()`` re-sends only the first fragment not data-acknowledged,
    only on a subflow with nothing outstanding (``mptcp_subflow_get_retrans()``); the rest
    goes again when the dead subflow has been silent through more than stale_loss_cnt passes
    (``__mptcp_retransmit_pending_data()``).  The simulator re-sent a window's worth on any
    subflow acknowledged within an RTO, with data of its own still outstanding."""
    import sim.mptcp as mptcp
    passes = []
    pick_of = mptcp.MptcpServer._get_retrans

    def watched(self, s):
        busy = [sf.snd_una < sf.data_end for sf in s.subflows]
        pick = pick_of(self, s)
        passes.append((self.host.sim.now, pick and s.subflows.index(pick), busy, s.data_una,
                       dict(s.stale_count), set(s.stale)))
        return pick
    monkeypatch.setattr(mptcp.MptcpServer, "_get_retrans", watched)
    r = sim.run("mptcp", seed=1, down_at=0.4, down_uplink=uplink)
    assert r.summary["mptcp"][0]["complete"]
    said = [e for e in events(r, Ev.APP, "remote1") if e.what.startswith("mptcp")]
    rein = [e for e in said if e.what.startswith("mptcp re-injects data on")]        # the timer's
    at = {t: p for t, *p in passes}
    assert passes[0][0] < rein[0].t and all(p[0] is None for t, *p in passes if t < rein[0].t)
    (stale,) = [e for e in said if e.what.endswith("stale")]
    assert at[stale.t][4] and stale.value > mptcp.DFRAG     # everything from the data ACK on, queued
    for e in rein:                                  # a fragment, on a subflow that was idle
        pick, busy, una = at[e.t][:3]
        assert e.what.endswith(f"subflow {pick + 1}") and not busy[pick]
        assert e.value <= mptcp.DFRAG - una % mptcp.DFRAG


def test_mptcp_traces_only_bytes_handed_to_a_subflow_as_re_injected():
    """The stale pass traced "mptcp re-injects data" with every byte not data-acknowledged
    (302720) before any was sent; only 158928 were ever handed to a subflow again.  Now the
    stale declaration says what it queued, and each re-injection what it handed, and to which
    subflow: their sum is every byte given to a subflow a second time."""
    import sim.mptcp as mptcp
    again, write = [], mptcp.MptcpServer._write

    def watched(self, s, sf, dsn, n, *a):
        if dsn < s.snd_nxt:
            again.append((self.host.sim.now, s.subflows.index(sf) + 1, min(n, s.snd_nxt - dsn)))
        write(self, s, sf, dsn, n, *a)
    mptcp.MptcpServer._write = watched
    try:
        r = sim.run("mptcp", seed=1, down_at=0.5)
    finally:
        mptcp.MptcpServer._write = write
    rein = [(e.t, int(e.what.rpartition(" ")[2]), e.value) for e in events(r, Ev.APP, "remote1")
            if e.what.startswith("mptcp re-injects")]
    assert rein == again and sum(v for *_, v in rein) == 158928
    (stale,) = [e for e in events(r, Ev.APP, "remote1") if e.what == "mptcp finds subflow 2 stale"]
    assert stale.value == 302720 and stale.value > sum(v for *_, v in rein)


def test_mptcp_server_closes_every_subflow_when_the_session_ends():
    """The server's side of the dead subflow was never closed (only a FIN arriving on a
    subflow closed it, and none came on the dead line): it retransmitted until tcp_retries2,
    955 s.  Linux closes every subflow once the connection is closed (__mptcp_destroy_sock()
    -> __mptcp_close_ssk() -> __tcp_close()): the dead one is an orphan, and gives up after
    tcp_orphan_retries (8: 102.2 s of backoff)."""
    from sim.tcp import model_timeout
    r = sim.run("mptcp", seed=1, down_at=0.5)
    (gave_up,) = [e for e in events(r, Ev.DROP, "remote1") if e.reason is Drop.RETRIES]
    port = gave_up.pkt.dport
    went = [(e.old, e.new) for e in events(r, Ev.TCP, "remote1") if e.remote[1] == port]
    assert went[-2:] == [("ESTABLISHED", "FIN_WAIT_1"), ("FIN_WAIT_1", "CLOSED")], went   # closed, then gave up
    first = min(x.t for x in events(r, Ev.SEND, "remote1") if x.pkt.dport == gave_up.pkt.dport
                and x.pkt.l4.seq == gave_up.pkt.l4.seq)
    assert model_timeout(8) <= gave_up.t - first < model_timeout(15)
    assert r.sim.now / 1e6 < 200


def test_mptcp_re_queues_everything_when_a_subflow_closes_with_data_out(monkeypatch):
    """A subflow that closes (a reset, TCP giving up) while data is not data-acknowledged:
    Linux's mptcp_close_ssk() -> __mptcp_close_ssk(MPTCP_CF_PUSH) re-queues the whole rtx
    queue (__mptcp_retransmit_pending_data()) and pushes it; the simulator did nothing."""
    import sim.mptcp as mptcp
    attach = mptcp.MptcpServer._attach

    def reset_later(self, s, c):
        attach(self, s, c)
        if len(s.subflows) == 2:                    # the server's subflow 2 is reset at 0.9 s
            self.host.sim.at(900_000 - self.host.sim.now, lambda: (setattr(c, "reset", True), c._abort()))
    monkeypatch.setattr(mptcp.MptcpServer, "_attach", reset_later)
    r = sim.run("mptcp", seed=1, down_at=0.5)
    said = [e for e in events(r, Ev.APP, "remote1") if e.what.startswith("mptcp")]
    assert said[0].what == "mptcp loses subflow 2" and said[0].t == 900_000 and said[0].value > 0
    assert said[1].what == "mptcp re-injects queued data on subflow 1"
    assert not [e for e in said if e.what.endswith("stale")]
    monkeypatch.setattr(mptcp.MptcpServer, "_attach", attach)
    plain = sim.run("mptcp", seed=1, down_at=0.5).summary["mptcp"][0]["seconds"]
    assert r.summary["mptcp"][0]["complete"] and r.summary["mptcp"][0]["seconds"] < plain


def test_the_summary_says_which_connections_stalled_and_what_the_article_nat_forgot():
    """A download left ESTABLISHED without its bytes read "7300/200000 bytes, ESTABLISHED": an
    engineer read that as survived.  It says it stalled and when its last data came; the article's
    NAT forgets bindings, not "conntrack entries"."""
    r = sim.run("hash-l4-nat", down_at=0.3)
    text = "\n".join(r.summary_text())
    stalled = [c for c in r.summary["connections"] if c["state"] == "ESTABLISHED" and not c["complete"]]
    assert stalled and ", ESTABLISHED;" not in text
    for c in stalled:
        assert 0 < c["last_data_s"] < 0.3 + 0.1
        assert f"{c['bytes']}/{c['bytes_wanted']} bytes, stalled: still ESTABLISHED, its last data at " \
               f"{c['last_data_s']:.3f} s;" in text
    done = [c for c in r.summary["connections"] if c["complete"]]
    assert done and all(c["last_data_s"] is not None for c in done)
    art = sim.run("uplink-down", nat="article")
    n = art.summary["link_down"]["conntrack_entries_flushed"]
    assert n > 1 and f"the article's NAT forgot {n} bindings with it" in "\n".join(art.summary_text())
    mp = sim.run("mptcp", down_at=0.5, size=1_000_000).summary["mptcp"][0]
    assert sum(sf["bytes"] for sf in mp["subflows"]) > mp["bytes"]
