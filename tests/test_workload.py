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
        "python -m sim: error: --pings does not apply to equalize-nat, which would run the same without it: "
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
