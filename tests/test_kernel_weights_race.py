"""The kernel lab's comparison of uplink-down with any number of uplinks, and --weights for
numgen and connmark (simulator and lab alike).  No lab needed: the comparisons are built
from rows, the lab's rules from a stand-in for the lab."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import sim
from sim.kernel.compare import _LEAK, Comparison, _sim_overrides, sim_call
from sim.kernel.scenarios import SCENARIOS, make_options

ADDRS = "addresses at the remote"
AFTER = "downloads started after it, by uplink"


def _down(kernel: dict, simulator: dict, **options) -> Comparison:
    """uplink-down's race rows compared, the kernel's run having ``options``."""
    o = make_options("uplink-down", **options)
    c = Comparison("uplink-down", o.uplinks,
                   kernel=SimpleNamespace(summary={"kernel": "6.18"}, options=o))
    for aspect in (AFTER, _LEAK, ADDRS, "resets sent by"):
        c.add(aspect, kernel[aspect], simulator[aspect])
    c.judge()
    return c


# compare uplink-down --uplinks 3 --uplink-kbit 8000,4000,1000, as the engineer saw it (and the
# simulator gives it): both stalled, the un-NATed FIN left by if1 in the kernel, by if3 in the
# simulator -- each main table's hash picked its own live line
_STALLED3 = {AFTER: "if1: complete ×1; if3: complete ×1", _LEAK: "[192.168.0.1 on if3]",
             ADDRS: "[100.0.0.1; 150.0.0.1; 151.0.0.1; 192.168.0.1]", "resets sent by": "[remote host]"}


def test_three_uplinks_the_fin_by_any_live_line_is_the_known_race():
    """It exited 1: the branches were written for two uplinks ("[192.168.0.1 on if1]")."""
    c = _down({**_STALLED3, _LEAK: "[192.168.0.1 on if1]"}, _STALLED3,
              uplinks=3, uplink_kbit=[8000, 4000, 1000])
    assert c.agrees and not c.undocumented(), c.text()
    assert "both took the same branch of a known race (a download on the dead line stalled" in \
        c.text().splitlines()[-1]
    # the other branch on the kernel: the dead line's download reset, its owed ACK took mark 3
    # (if3), the new downloads marks 1 and 2 (if2's table is empty: the main table's hash)
    for h in (1, 3):
        reset = {AFTER: "if1: complete ×2" if h == 1 else "if1: complete ×1; if3: complete ×1",
                 _LEAK: "[none]", ADDRS: "[100.0.0.1; 150.0.0.1; 151.0.0.1]",
                 "resets sent by": "[remote host]"}
        c = _down(reset, _STALLED3, uplinks=3)
        assert c.agrees and "the kernel took one branch" in c.text(), c.text()


def test_three_uplinks_a_real_difference_still_fails_and_says_whose_rows_and_why():
    # a FIN can't leave by the dead line (if2)
    c = _down({**_STALLED3, _LEAK: "[192.168.0.1 on if2]"}, _STALLED3, uplinks=3)
    assert not c.agrees and [r.aspect for r in c.undocumented()] == [_LEAK], c.text()
    verdict = c.text().splitlines()[-1]
    assert "the kernel's rows fit no branch of the known race" in verdict, verdict
    assert "simulator's rows fit no branch" not in verdict, verdict
    assert f"'{_LEAK}' is [192.168.0.1 on if2], not [192.168.0.1 on if1] or [192.168.0.1 on if3]" \
        in verdict, verdict
    # rows that agree and fit are not blamed: only the misfit is named for the stalled branch
    stalled = verdict.split("'a download on the dead line stalled")[1].split("; 'every")[0]
    assert ADDRS not in stalled and AFTER not in stalled, verdict
    # both sides outside the race: both named (it named the kernel's only)
    odd = {**_STALLED3, "resets sent by": "[router's own stack]"}
    c = _down(odd, {**odd, _LEAK: "[192.168.0.1 on if1]"}, uplinks=3)
    verdict = c.text().splitlines()[-1]
    assert "the kernel's rows fit no branch" in verdict and "the simulator's rows fit no branch" in verdict
    assert "'resets sent by' is [router's own stack], not [remote host]" in verdict, verdict
    # a mix of two branches' outcomes: each value is some outcome's, but not of one outcome
    mix = {**_STALLED3, _LEAK: "[none]"}
    c = _down(mix, _STALLED3, uplinks=3)
    assert c.undocumented(), c.text()


def test_two_uplinks_keep_their_branches():
    """The two-uplink values the branches were written with are what the derived ones give."""
    base = {AFTER: "if1: complete ×2", "resets sent by": "[remote host]"}
    stalled = {**base, _LEAK: "[192.168.0.1 on if1]", ADDRS: "[100.0.0.1; 150.0.0.1; 192.168.0.1]"}
    reset = {**base, _LEAK: "[none]", ADDRS: "[100.0.0.1; 150.0.0.1]"}
    assert _down(stalled, reset).agrees and _down(reset, stalled).agrees
    assert not _down({**stalled, ADDRS: "[100.0.0.1; 192.168.0.1]"}, reset).agrees


@pytest.mark.parametrize("options", [dict(uplinks=3), dict(uplinks=3, uplink_kbit=[8000, 4000, 1000]),
                                     dict(uplinks=4, connections=3, down_uplink=1),
                                     dict(uplinks=3, weights=[1, 2, 1])])
def test_the_simulators_own_rows_fit_a_branch(options):
    """Whatever the uplinks, downloads, dead line and weights, the simulator's run is one of the
    branches derived for them (the rows as compare makes them, the simulator on both sides)."""
    from sim.kernel.compare import _compare_down, sim_down
    from sim.kernel.lab import uplink_addr
    from sim.kernel.observe import from_sim, observe
    o = make_options("uplink-down", **options)
    name, params = sim_call("uplink-down", o.uplinks, **_sim_overrides("download", o, "uplink-down"))
    r = sim.run(name, **params)
    addrs = {f"if{k}": uplink_addr(k) for k in range(1, o.uplinks + 1)}
    k = {"connections": r.summary["connections"], "observed": observe(from_sim(r), addrs, sim_down(r))}
    c = Comparison("uplink-down", o.uplinks, kernel=SimpleNamespace(summary=k, options=o))
    _compare_down(c, k, r, addrs, o.connections)
    c.judge()
    assert c.sim_branch is not None and c.agrees, c.text()


def test_uplink_downs_description_is_derived_from_the_uplinks():
    """'2 new ones both take uplink 1' was typed: with three uplinks they took if3 and if1."""
    doc = SCENARIOS["uplink-down"].doc
    assert doc.endswith("2 new ones both take uplink 1"), doc
    three = SCENARIOS["uplink-down"].doc_for(make_options("uplink-down", uplinks=3))
    assert "both take uplink 1" not in three
    assert "2 new ones take uplink 3, then uplink 1" in three, three
    c = _down(_STALLED3, _STALLED3, uplinks=3)
    c.sim_call = None
    assert c.text().splitlines()[0] == f"compare uplink-down (uplinks=3): {three}"


# -- weights ------------------------------------------------------------------------------

class _FakeLab:
    def __init__(self, uplinks):
        self.uplinks, self.calls = uplinks, []

    def uplink_devs(self):
        return [f"if{k}" for k in range(1, self.uplinks + 1)]

    def ip(self, node, *args):
        self.calls.append(("ip", node, " ".join(args)))

    def nft(self, node, text):
        self.calls.append(("nft", node, text))

    def sysctls(self, *a):
        pass

    def exec(self, *a, **k):
        pass


@pytest.mark.parametrize("balance", ["numgen", "connmark"])
def test_the_labs_rules_draw_by_the_same_map(balance):
    from sim.kernel.scenarios import Setup, configure
    lab = _FakeLab(2)
    configure(lab, Setup(balance, "masquerade"), [2, 1])
    rules = "\n".join(t for kind, node, t in lab.calls if kind == "nft")
    assert "numgen inc mod 3 map { 0 : 1, 1 : 1, 2 : 2 }" in rules, rules
    route = next(t for kind, node, t in lab.calls if kind == "ip" and "nexthop" in t)
    assert "dev if1 weight 2" in route and "dev if2 weight 1" in route, route
    lab = _FakeLab(2)
    configure(lab, Setup(balance, "masquerade"))
    assert "numgen inc mod 2 offset 1" in "\n".join(t for kind, node, t in lab.calls if kind == "nft")


def test_compare_gives_the_simulator_the_labs_weights():
    o = make_options("uplink-down", weights=[2, 1])
    assert sim_call("uplink-down", 2, **_sim_overrides("download", o, "uplink-down"))[1]["weights"] == [2, 1]
    o = make_options("uplink-down", weights=3)            # equal: the simulator's default
    assert "weights" not in _sim_overrides("download", o, "uplink-down")


@pytest.mark.parametrize("argv, message", [
    (["compare", "perpacket-snat", "--weights", "2,1,1"],
     "--weights gives 3 values (2,1,1) for 2 uplinks: give one value for every uplink, or 2, one per uplink"),
    (["run", "perpacket-snat", "--weights", "0"],
     "--weights must be integers in 1..256, separated by commas, one for every uplink or one per "
     "uplink (like 2,1), got '0'"),
    (["compare", "mptcp-split-access", "--weights", "2,1"],
     "--weights do not apply to mptcp-split-access (split access: each source address goes by its own "
     "uplink, whatever the weights), got 2,1")])
def test_bad_weights_are_one_line(capsys, argv, message):
    from sim.kernel.__main__ import main
    try:
        rc = main(argv)
    except SystemExit as e:                 # argparse's own check of the value
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"python -m sim.kernel {argv[0]}: error: {message}"], err
