"""``sim.run`` and the command line refuse a workload parameter its scenario does not read
(``pings`` for a download): here, each such parameter is checked to change nothing in the
scenario's run (the check switched off), so that the refusal never turns away a value that
mattered."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim import scenarios
from sim.scenarios import ParamError, SCENARIOS, WORKLOAD, workload_of

ROOT = Path(__file__).resolve().parent.parent
OTHER = {"size": 12_345, "connections": 3, "read_timeout": 0.05, "idle": 7.0, "pings": 4, "messages": 3,
         "msg_size": 777, "subflows": 3}


def _trace(scenario, **params) -> str:
    return "".join(sim.run(scenario, seed=1, **params).text_chunks())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_workload_parameter_a_scenario_does_not_read_changes_nothing(scenario, monkeypatch):
    monkeypatch.setattr(scenarios, "check_applies", lambda *a, **k: None)
    assert set(OTHER) == WORKLOAD
    unread = sorted(WORKLOAD - workload_of(scenario))
    assert unread, scenario
    base = _trace(scenario)
    for name in unread:
        assert _trace(scenario, **{name: OTHER[name]}) == base, (scenario, name)


def test_the_command_line_refuses_one_in_one_line():
    p = subprocess.run([sys.executable, "-m", "sim", "run", "equalize-nat", "--pings", "3"], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip().splitlines() == [
        "python -m sim run: error: --pings does not apply to equalize-nat, which would run the same without it: "
        "its workload options are --connections, --read-timeout, --size"]


@pytest.mark.parametrize("scenario, params, message", [
    ("equalize-nat", {"pings": 3}, "pings does not apply to equalize-nat, which would run the same without it: "
                                   "its workload parameters are connections, read_timeout, size"),
    ("ping", {"size": 1000}, "size does not apply to ping, which would run the same without it: its workload "
                             "parameters are pings (ICMP echo requests to send)"),
    ("udp-equalize-nat", {"cc": "reno"}, "cc does not apply to udp-equalize-nat, which carries no TCP (ICMP or "
                                         "UDP only) and would run the same without it"),
])
def test_sim_run_refuses_one_too(scenario, params, message):
    """In a notebook, ``sim.run("ping", size=10**6)`` would otherwise run ten pings and say
    nothing of the size."""
    with pytest.raises(ParamError) as e:
        sim.run(scenario, **params)
    assert str(e.value) == message
    sim.run(scenario, **{k: None for k in params})      # None: the scenario's default, accepted


def test_a_refusal_names_its_parameter_and_a_sweep_can_ask_first():
    with pytest.raises(ParamError) as e:
        sim.run("ping", size=1000)
    assert e.value.param == "size"
    with pytest.raises(ParamError) as e:
        sim.run("equalize-nat", colour="red")
    assert e.value.param == "colour"
    # a ping's ICMP id and the UDP echo's port are fixed: the LAN hosts' first TCP port moves nothing
    for scenario in ("ping", "icmp-equalize-nat", "udp-equalize-nat"):
        assert "port_base" in scenarios.unread(scenario)
        with pytest.raises(ParamError, match="carries no TCP") as e:
            sim.run(scenario, port_base=6000)
        assert e.value.param == "port_base"
    assert "port_base" not in scenarios.unread("echo")
    with pytest.raises(ParamError, match="unknown scenario 'nosuch'"):
        scenarios.unread("nosuch")
    sweep = {"size": 5000, "pings": 2, "port_base": 6000, "cc": "reno"}
    for scenario in SCENARIOS:
        sim.run(scenario, **{k: v for k, v in sweep.items() if k not in scenarios.unread(scenario)})


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if not scenarios.uses_tcp(s)])
def test_tcps_parameters_change_nothing_where_no_tcp_runs(scenario, monkeypatch):
    """The refusal of cc, tcp, remote, port_base and rwnd for a run without TCP turns away nothing
    that mattered: each, set to a value other than the default, leaves the events as they were."""
    import json
    monkeypatch.setattr(scenarios, "check_applies", lambda *a, **k: None)

    def events(**kw):
        return json.loads(sim.run(scenario, seed=1, **kw).to_json())["events"]
    base = events()
    p = scenarios.scenario_defaults(scenario)
    other = {"cc": "reno" if p.cc == "none" else "none", "tcp": "2.4" if p.tcp == "linux" else "linux",
             "remote": "rfc" if p.remote == "article" else "article", "port_base": p.port_base + 1000,
             "rwnd": 2 * p.rwnd}
    assert set(other) == scenarios.TCP_ONLY
    for name, value in other.items():
        assert events(**{name: value}) == base, (scenario, name)


def test_headers_and_the_captures_comment_name_only_what_the_run_reads(tmp_path):
    """A ping's summary header and capture comment name no TCP setting and no download size: a
    Wireshark reader takes the comment's words as facts about the capture."""
    from sim.pcap import pcapng_bytes
    r = sim.run("ping", seed=1)
    head = r.summary_text()[0]
    assert "tcp=" not in head and "cc=" not in head and "remote=" not in head and "nat=masquerade" in head
    comment = pcapng_bytes(r)[:2000]
    assert b"scenario ping: " in comment and b"pings=10" in comment
    for word in (b"size=", b"cc=", b"tcp=", b"remote=", b"messages=", b"subflows=", b"port_base="):
        assert word not in comment, word
    d = pcapng_bytes(sim.run("connection-level", seed=1, size=3000))[:2000]
    assert b"size=3000" in d and b"tcp=2.4" in d and b"pings=" not in d


@pytest.mark.parametrize("scenario", sorted(s for s in SCENARIOS if "connections" in workload_of(s)))
def test_the_connections_hint_says_how_many_connections_a_run_has(scenario):
    """The live players' hint under "connections": where a run has more connections than the
    box says (chapter 3's thought question adds Realplay's stream and Local host 2's download;
    uplink-down starts a round after the failure), the hint says so in that scenario's words."""
    from sim.view.live import workload_specs
    (spec,) = [s for s in workload_specs(scenario, scenarios.scenario_defaults(scenario), {}) if s["name"] == "connections"]
    hint = spec["hint"]
    runs = {n: len(sim.run(scenario, seed=1, connections=n, size=20_000, trace=False).summary["connections"])
            for n in (1, 2)}
    if runs == {1: 1, 2: 2}:
        assert hint == scenarios.PARAM_HELP["connections"]
    elif runs[2] - runs[1] == 1:        # one more connection besides the box's
        extra = runs[1] - 1
        assert f"the run has {extra} connections more" in hint, (scenario, runs, hint)
    else:                                # a round of downloads each time
        assert runs[2] == 2 * runs[1] and "a round" in hint, (scenario, runs, hint)
