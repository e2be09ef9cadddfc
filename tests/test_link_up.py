"""A failed line comes back (``up_at``): what 2.4 and today's Linux do when the device is up
again (``NETDEV_UP``), and what that does to the connections made meanwhile."""
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.pcap import pcapng_bytes
from sim.reasons import CtMark, DeadTable, DeviceDown, Flushed, OifChanged
from sim.route_cache import RT_MIN_DELAY
from sim.trace import Ev

from helpers import cli, events, uplink_hops


def _port(c) -> int:
    return int(c["client"].split(", ")[1].rstrip(")"))


def _seen(c) -> str:
    return c["seen_by_server_as"][0].strip("()").split(",")[0]


def test_today_new_connections_use_the_returned_uplink_again():
    r = sim.run("uplink-down", seed=1, size=100_000, cc="reno", up_at=3)
    link = [(e.t, e.dev, e.state) for e in events(r, Ev.LINK, "router")]
    assert link == [(1_000_000, "if2", "down"), (3_000_000, "if2", "up")]
    conns = r.summary["connections"]
    assert len(conns) == 12                          # a third round, one second after the return
    after = conns[8:]
    assert {_seen(c) for c in after} == {"100.0.0.1", "150.0.0.1"} and all(c["complete"] for c in after)
    # the connection marked for table 2 goes by table 2 again: its route is back
    why = [e.why for e in events(r, Ev.FIB, "router") if e.t >= 4_000_000]
    assert any(type(w) is CtMark and w.mark == 2 for w in why) and not any(type(w) is DeadTable for w in why)
    assert "dead" not in r.net["router"].fib.show()
    d = r.summary["link_down"]
    assert d["happened"] and d["came_back"] and d["up_at"] == 3
    assert d["downloads_since"] == 4 and d["downloads_since_by_uplink"] == {"if1": 2, "if2": 2}
    assert d["up_packets_since"] > 0 and d["down_packets_since"] > 0 and d["route_cache_flush_due_s"] is None
    assert sum(dev == "if2" for i, dev, _ in uplink_hops(r) if r.events[i].t > 3_000_000) == d["up_packets_since"]


def test_a_connection_masqueraded_out_of_uplink_1_during_the_outage_keeps_its_binding():
    # during the outage a new connection still draws mark 2, falls through to the main table and
    # leaves by if1, where MASQUERADE binds it; the recipe's postrouting rule makes its ct mark
    # 1 (the uplink it took), so once table 2 has its route back it stays on if1: without that,
    # its next packet went by table 2, and MASQUERADE killed it (nf_nat_oif_changed)
    r = sim.run("uplink-down", seed=1, size=100_000, cc="reno", up_at=3)
    fell = {e.pkt.sport for e in events(r, Ev.FIB, "router")
            if type(e.why) is DeadTable and e.why.marked.new and e.why.marked.mark == 2}
    assert fell
    for c in r.summary["connections"]:
        if _port(c) in fell:
            assert c["complete"] and c["seen_by_server_as"] == [f"(100.0.0.1, {_port(c)})"]
    late = [(dev, p) for i, dev, p in uplink_hops(r) if p.sport in fell and r.events[i].t > 3_000_000]
    assert late and {dev for dev, _ in late} == {"if1"}
    assert not [e for e in events(r, Ev.CT_DEL, "router") if type(e.reason) is OifChanged]
    assert [e.reason for e in events(r, Ev.CT_DEL, "router")] == [DeviceDown("if2")] * 2
    after_up = [e.why for e in events(r, Ev.FIB, "router") if e.pkt.sport in fell and e.t > 3_000_000]
    assert after_up and all(type(w) is CtMark and w.mark == 1 for w in after_up)


def test_snat_bindings_kept_through_the_outage_work_again_when_the_line_returns():
    # SNAT keeps a binding to 150.0.0.1 while if2 is down (its packets leave by if1 from that
    # address); once if2 is back, table 2 routes them there again and the download completes
    r = sim.run("uplink-down", seed=1, size=300_000, cc="reno", nat="snat", up_at=3)
    first = r.summary["connections"][:4]
    bound2 = [c for c in first if _seen(c) == "150.0.0.1"]
    assert bound2 and all(c["complete"] and c["last_data_s"] > 3 for c in bound2)
    ports = {_port(c) for c in bound2}
    during = {dev for i, dev, p in uplink_hops(r) if p.sport in ports and 1_000_000 < r.events[i].t < 3_000_000}
    after = {dev for i, dev, p in uplink_hops(r) if p.sport in ports and r.events[i].t > 3_000_000}
    assert during == {"if1"} and after == {"if2"}
    # ... and the same run that never sees the line again leaves them stalled
    never = sim.run("uplink-down", seed=1, size=300_000, cc="reno", nat="snat")
    assert not any(c["complete"] for c in never.summary["connections"][:4] if _seen(c) == "150.0.0.1")


def test_2_4_keeps_the_routes_cached_during_the_outage_until_min_delay_after_the_return():
    r = sim.run("thought-question", multipath="wrr", nat="netfilter", down_at=0.5, up_at=1.0, size=400_000)
    assert [(e.t, e.dev, e.state) for e in events(r, Ev.LINK, "router")] == [(500_000, "if2", "down"),
                                                                              (1_000_000, "if2", "up")]
    dels = events(r, Ev.RT_DEL, "router")
    up = [e for e in dels if e.reason == Flushed("if2", "up")]
    assert up and {e.t for e in up} == {1_000_000 + RT_MIN_DELAY}
    # until then the entries made while if2 was down keep their packets on if1
    assert {e.dev for e in events(r, Ev.RT_HIT, "router") if 1_000_000 < e.t < 3_000_000} <= {"if1", "eth0"}
    d = r.summary["link_down"]
    assert d["route_cache_flush_due_s"] == 3.0
    assert "flushed 2 s later, at 3 s" in "\n".join(r.summary_text())


def test_today_the_hash_moves_back_at_once_and_masquerade_kills_what_it_moves():
    # hash-threshold over the live nexthops (fib_rebalance() after fib_sync_up()): a connection
    # made during the outage, bound to if1, that hashes to if2 goes there the moment if2 returns,
    # and MASQUERADE kills it (nf_nat_oif_changed) -- where conntrack marks keep it (above)
    r = sim.run("uplink-down", multipath="hash-l4", seed=2, size=300_000, cc="reno", up_at=2.5)
    killed = [e for e in events(r, Ev.CT_DEL, "router") if type(e.reason) is OifChanged]
    assert killed and all(e.reason == OifChanged("if1", "if2") and e.t > 2_500_000 for e in killed)
    moved = {e.pkt.sport for e in events(r, Ev.FIB, "router") if e.t > 2_500_000 and e.dev == "if2"}
    during = {e.pkt.sport for e in events(r, Ev.FIB, "router") if 1_000_000 < e.t < 2_500_000}
    assert moved & during                          # on if1 during the outage, on if2 after it
    assert {e.dev for e in events(r, Ev.FIB, "router") if 1_000_000 < e.t < 2_500_000} <= {"if1", "eth0"}
    assert r.summary["link_down"]["downloads_since_by_uplink"]["if2"] > 0


def test_a_line_that_never_returns_is_what_it_was():
    # no up_at: neither the header, the JSON's params, the pcapng's comment nor the summary say
    # anything of a return, as before up_at was
    r = sim.run("uplink-down", seed=1, size=20_000)
    assert "up_at" not in r.to_dict()["params"] and "up_at" not in r.summary["link_down"]
    assert "up_at" not in r.params_line() and b"up_at" not in pcapng_bytes(r)
    assert not any("came back" in line for line in r.summary_text())


def test_the_return_is_said_in_the_header_params_json_and_pcap():
    r = sim.run("uplink-down", seed=2, size=20_000, up_at=2.5)
    assert r.params_line().endswith("down_at=1 down_uplink=2 up_at=2.5")
    d = r.to_dict()
    assert d["params"]["up_at"] == 2.5 and d["summary"]["link_down"]["came_back"] is True
    assert b"up_at=2.5" in pcapng_bytes(r)
    assert any(line.startswith("  if2's line came back at 2.5 s") for line in r.summary_text())


def test_a_return_after_the_traffic_ended_never_happens_and_the_summary_says_so():
    r = sim.run("ping", pings=2, down_at=0.5, up_at=100)
    d = r.summary["link_down"]
    assert d["happened"] and d["came_back"] is False and d["up_at"] == 100
    assert "up_packets_since" not in d
    text = "\n".join(r.summary_text())
    assert "if2's line was to come back at 100 s, but the run's traffic had ended" in text
    assert r.sim.now < 100_000_000                 # a daemon: it kept nothing going


def test_same_parameters_and_seed_give_the_same_bytes():
    kw = dict(seed=3, size=50_000, up_at=2.2, multipath="random", nat="netfilter", tcp="2.4")
    a, b = sim.run("uplink-down", **kw), sim.run("uplink-down", **kw)
    assert a.text() == b.text() and a.to_json() == b.to_json() and pcapng_bytes(a) == pcapng_bytes(b)


def test_uplink_down_counts_its_third_round_against_the_bound():
    with pytest.raises(sim.ParamError) as e:
        sim.run("uplink-down", size=10_000_000, connections=4, up_at=3)
    assert "size x connections x 3 rounds = 120000000 bytes" in str(e.value)
    sim.make_params("uplink-down", size=10_000_000, connections=4)       # two rounds: allowed


@pytest.mark.parametrize("kw,words", [
    (dict(down_at=None, up_at=3), "up_at 3 brings back the line that fails at down_at, and no line fails "
                                  "(down_at none): give down_at SECONDS too, before it, or leave out up_at"),
    (dict(up_at=1), "up_at 1 out of range: allowed (1, 86400] seconds: after down_at 1"),
    (dict(up_at=0.5), "up_at 0.5 out of range: allowed (1, 86400] seconds"),
    (dict(up_at=1.0000001), "up_at 1.0000001 out of range: allowed (1, 86400] seconds"),
    (dict(up_at=86_400.5), "up_at 86400.5 out of range: allowed (1, 86400] seconds"),
    (dict(up_at=float("nan")), "up_at nan out of range"),
    (dict(up_at="3"), "up_at must be a number of seconds, got '3': allowed (1, 86400] seconds"),
    (dict(up_at=True), "up_at must be a number of seconds, got True"),
])
def test_sim_run_refuses_a_bad_up_at_naming_it(kw, words):
    with pytest.raises(sim.ParamError) as e:
        sim.run("uplink-down", **kw)
    assert str(e.value).startswith(words) and e.value.param == "up_at"


def test_a_scenario_without_a_failing_line_refuses_up_at():
    with pytest.raises(sim.ParamError) as e:
        sim.run("ping", up_at=3)
    assert e.value.param == "up_at" and "no line fails" in str(e.value)


@pytest.mark.parametrize("argv,words", [
    (["ping", "--up-at", "3"], "--up-at 3 brings back the line that fails at --down-at, and no line fails "
                               "in ping: give --down-at SECONDS too, before 3"),
    (["uplink-down", "--down-at", "none", "--up-at", "3"],
     "--up-at 3 brings back the line that fails at --down-at, and --down-at none fails no line: give "
     "--down-at SECONDS, before 3, or leave out --up-at"),
    (["uplink-down", "--up-at", "1"], "--up-at 1 out of range: allowed (1, 86400] seconds: after --down-at 1, "
                                      "when the line fails"),
    (["ping", "--down-at", "2", "--up-at", "0.5"], "--up-at 0.5 out of range: allowed (2, 86400] seconds: "
                                                   "after --down-at 2"),
    (["uplink-down", "--up-at", "99999"], "--up-at must be seconds above 0 and at most 86400 (the simulation "
                                          "counts whole microseconds), or none (the line never comes back), "
                                          "got '99999'"),
    (["uplink-down", "--up-at", "soon"], "--up-at must be seconds above 0 and at most 86400"),
    (["uplink-down", "--up-at", "-1"], "got '-1'"),
])
def test_cli_refuses_a_bad_up_at_in_one_line(argv, words):
    code, out, err = cli(["run", *argv])
    assert code == 2 and out == "" and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and words in err, err


def test_cli_up_at_runs_and_its_json_says_the_return():
    p = subprocess.run([sys.executable, "-m", "sim", "run", "uplink-down", "--up-at", "2.5", "--size", "20000",
                        "--format", "json"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["params"]["up_at"] == 2.5
    d = out["summary"]["link_down"]
    assert d["came_back"] is True and d["downloads_since"] == 4
    assert set(d["downloads_since_by_uplink"]) == {"if1", "if2"}
    code, out, err = cli(["run", "uplink-down", "--up-at", "none", "--size", "20000", "--summary-only"])
    assert code == 0 and "came back" not in out and "up_at" not in out


times = st.one_of(st.floats(0, 5).map(lambda v: f"{v:g}"),
                  st.sampled_from(["0", "1", "1.000001", "-1", "nan", "inf", "1e9", "x", "", "none"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=st.sampled_from(["ping", "uplink-down", "flashget"]), down=st.one_of(st.none(), times),
       up=times)
def test_any_down_at_and_up_at_exit_0_or_2_with_one_line(scenario, down, up):
    argv = ["run", scenario, "--summary-only", "--up-at", up] + ([] if down is None else ["--down-at", down])
    argv += ["--pings", "2"] if scenario == "ping" else ["--size", "3000"]
    code, out, err = cli(argv)
    assert "Traceback" not in err and code in (0, 2), (argv, err)
    if code == 2:
        assert out == "" and len(err.strip().splitlines()) == 1, (argv, err)
