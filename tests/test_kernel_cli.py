"""The kernel lab's command line and reports, without a lab: what is refused before any
namespace is made, what a run's summary and ``compare`` say.  (The tests that build labs
are in test_kernel.py, which needs root.)"""
import sys

import pytest

from sim.kernel import __main__ as kmain
from sim.kernel import scenarios as ksc
from sim.kernel.capture import Pkt

NO_LAB = "a lab was built"


@pytest.fixture
def no_lab(monkeypatch):
    """Any lab run fails the test: what is checked must be checked before one."""
    def refuse(*a, **kw):
        raise AssertionError(NO_LAB)
    monkeypatch.setattr(ksc, "_run_once", refuse)
    monkeypatch.setattr(ksc, "run", refuse)
    import sim.kernel.compare as kc
    monkeypatch.setattr(kc, "run", refuse)


def _main(capsys, *argv):
    rc = kmain.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# -- 1. compare checks the simulator's parameters before the lab ------------------------------

def test_compare_refuses_what_the_simulator_refuses_before_building_a_lab(capsys, no_lab):
    rc, out, err = _main(capsys, "compare", "hash-l4-nat", "--size", "30000000")
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("python -m sim.kernel compare: error: --size 30000000 too large for hash-l4-nat")
    assert "python -m sim.kernel run hash-l4-nat runs the kernel alone" in err
    # the Python API too: a LabError naming the option, no lab
    from sim.kernel.compare import compare
    from sim.kernel.lab import LabError
    with pytest.raises(LabError, match=r"^--size 30000000 too large") as e:
        compare("hash-l3-nat", size=30_000_000)
    assert e.value.param == "size"


# -- 2. a --down-at after the downloads end: said once, not retried as a busy machine ---------

def _summary(end_s: float, down_s: float, first=10.0) -> dict:
    """uplink-down's summary: the dead line's (if2's) download ended ``end_s`` after the first
    connect, the line went down ``down_s`` after it."""
    conns = [{"client": "(192.168.0.1, 5000)", "seen_by_server_as": ["(100.0.0.1, 5000)"],
              "complete": True, "end_t": first + end_s},
             {"client": "(192.168.0.1, 5001)", "seen_by_server_as": ["(150.0.0.1, 5001)"],
              "complete": True, "end_t": first + end_s}]
    return {"connections": conns,
            "link_down": {"uplink": "if2", "at": down_s, "at_epoch_us": int((first + down_s) * 1e6),
                          "first_connect_epoch_us": int(first * 1e6)}}


def test_a_down_at_after_the_downloads_end_is_said_once_with_what_would_work(monkeypatch):
    runs = []

    class Fake:
        def __init__(self, summary):
            self.summary = summary

    monkeypatch.setattr(ksc, "_run_once", lambda *a: runs.append(1) or Fake(_summary(1.93, 5.0)))
    with pytest.raises(ksc.LabError) as e:
        ksc.run("uplink-down", down_at=5.0)
    assert len(runs) == 1                                   # not run again: it would end the same
    msg = str(e.value)
    assert e.value.param == "down_at"
    assert msg.startswith("--down-at 5 is after the downloads end: the download on if2 (--size 500000) "
                          "had ended 1.930 s after the first connect")
    assert "give --down-at below 1.93" in msg and "--size 2500000 or more" in msg   # 2000 kbit/s × 5 s × 2
    assert "too busy" not in msg
    # a harness late by a second, the downloads ending after the failure was due: still retried
    runs.clear()
    monkeypatch.setattr(ksc, "_run_once", lambda *a: runs.append(1) or Fake(_summary(1.5, 2.0)))
    with pytest.raises(ksc.LabError, match="too busy"):
        ksc.run("uplink-down", down_at=1.0)
    assert len(runs) == ksc.DOWN_ATTEMPTS
    # a download over at once (--size 1): no earlier --down-at would catch it, a larger --size would
    o = ksc.make_options("uplink-down", size=1)
    msg = ksc._downloads_ended_before_due(_summary(0.001, 1.0), o)
    assert "give --size 500000 or more" in msg and "--down-at below" not in msg
    # a few ms early is the harness's timing, not the options'
    assert ksc._downloads_ended_before_due(_summary(0.99, 1.2), ksc.make_options("uplink-down")) == ""


def test_the_cli_says_a_down_at_after_the_downloads_in_one_line_status_2(capsys, monkeypatch):
    def early(*a, **kw):
        raise ksc.LabError("--down-at 5 is after the downloads end: ...", "down_at")
    monkeypatch.setattr(ksc, "run", early)
    rc, out, err = _main(capsys, "run", "uplink-down", "--down-at", "5", "--summary-only")
    assert rc == 2 and err == "python -m sim.kernel: error: --down-at 5 is after the downloads end: ...\n"


# -- 3, 4. what the run's summary says: losses by where, when the line went down -----------------

def _pkt(t, link, sender, src, dst, seq):
    return Pkt(t, link, sender, src, dst, 6, 0, 80, 5000, "A", seq, 1, 1448)


def test_losses_are_counted_by_where_from_both_ends_of_each_hop():
    from sim.kernel.observe import observe
    addrs = {"if1": "100.0.0.1", "if2": "150.0.0.1"}
    pkts = []
    for k, dst in ((1, "100.0.0.1"), (2, "150.0.0.1")):
        for i in range(6):       # the Internet hands 6 to each provider
            pkts.append(_pkt(1000 * i, f"peer{k}", f"internet:p{k}", "200.0.0.1", dst, i))
        for i in (0, 2, 3, 4, 5) if k == 1 else (0, 1, 2):   # provider1's queue lost seq 1
            pkts.append(_pkt(1000 * i + 10, f"uplink{k}", f"provider{k}:cust", "200.0.0.1", dst, i))
            pkts.append(_pkt(1000 * i + 20, "lan", "router:eth0", "200.0.0.1", "192.168.0.1", i))
    ob = observe(pkts, addrs, ("if2", 2500, None))           # if2's line went down at 2.5 ms
    assert ob["lost"] == {"provider1's queue (downstream)": 1, "if2's dead line (downstream)": 3}
    assert ob["drops"] == {}          # the judged rows' places: none of these
    assert observe(pkts, addrs)["lost"] == {"provider1's queue (downstream)": 1,
                                            "provider2's queue (downstream)": 3}


@pytest.mark.parametrize("up_at", [None, 1.5, 3.0, 6.0])
def test_the_simulators_losses_read_from_its_hops_are_its_own_drop_counts(up_at):
    """Like with like: ``lost``, read from the simulator's hops as from the kernel's captures,
    counts what the simulator's own drop reasons say for the same places.  With the line back
    (``--up-at``), what it lost while down is still the dead line's: it was all counted as
    provider2's queue's, the line's last packet carried being one after its return."""
    import sim
    from sim.kernel.compare import sim_down
    from sim.kernel.observe import from_sim, observe
    r = sim.run("uplink-down", up_at=up_at)
    lost = observe(from_sim(r), {"if1": "100.0.0.1", "if2": "150.0.0.1"}, sim_down(r))["lost"]
    at = r.summary["drops_at"]
    assert lost["if2's dead line (downstream)"] == at["link down"]["provider2"]
    assert lost.get("provider2's queue (downstream)", 0) == at.get("queue full", {}).get("provider2", 0)
    assert lost["provider1's queue (downstream)"] == at["queue full"]["provider1"]
    assert lost["the Internet (downstream: no route)"] == at["no route"]["internet"]


def _kernel_result(lost: dict, link_down: bool = True):
    s = {"uplinks": 2, "kernel": "6.18", "observed": {"flows": [], "lost": lost, "drops": {},
                                                       "resets": {}},
         "uplinks_stats": {}, "connections": [
             {"client": "(192.168.0.1, 5000)", "server": "(200.0.0.1, 80)", "bytes": 500000,
              "bytes_wanted": 500000, "complete": True, "reset": False, "error": None,
              "seconds": 2.0761, "seen_by_server_as": ["(100.0.0.1, 5000)"]}]}
    if link_down:
        s["link_down"] = {"uplink": "if2", "at": 1.001, "at_epoch_us": 1_700_000_001_001_000,
                          "first_connect_epoch_us": 1_700_000_000_000_000}
    return ksc.KernelResult("uplink-down", ksc.make_options("uplink-down"),
                            ksc.SCENARIOS["uplink-down"].setup, s, [], [], [], "")


def test_the_run_summary_says_what_was_lost_where_and_when_the_line_went_down():
    text = "\n".join(_kernel_result({"provider1's queue (downstream)": 202,
                                     "if2's dead line (downstream)": 17}).summary_text())
    assert ("  packets lost (both ends of each hop captured): provider1's queue (downstream) 202; "
            "if2's dead line (downstream) 17") in text
    assert "  if2's line went down at 1.001 s (after the first download's connect)" in text
    assert "500000/500000 bytes, complete in 2.076 s" in text
    text = "\n".join(_kernel_result({}, link_down=False).summary_text())
    assert "packets lost (both ends of each hop captured): none" in text and "went down" not in text


def test_compare_shows_both_sides_losses_under_one_name():
    from sim.kernel.compare import LOST, Comparison, _show_counts
    c = Comparison("uplink-down", 2)
    _show_counts(c, {"lost": {"if2's dead line (downstream)": 102}, "upstream_per_uplink": {"if1": 3}},
                 {"lost": {}, "upstream_per_uplink": {"if1": 3}})
    assert (c.rows[0].aspect, c.rows[0].kernel, c.rows[0].sim) == (LOST, "if2's dead line (downstream) 102", "none")
    assert "drop counts" not in LOST


# -- 5. --down-at none -------------------------------------------------------------------------

def test_down_at_none_runs_with_no_line_failing_on_both_sides(capsys, monkeypatch):
    from sim.kernel.compare import _sim_overrides, sim_call
    seen = {}
    monkeypatch.setattr(ksc, "run", lambda scenario, **kw: seen.update(kw) or (_ for _ in ()).throw(
        ksc.LabError("stop here")))
    rc, out, err = _main(capsys, "run", "uplink-down", "--down-at", "none")
    assert seen["down_at"] == 0.0 and ksc.make_options("uplink-down", **seen).down_at == 0.0
    assert err == "python -m sim.kernel: error: stop here\n"          # it got past the parser
    # compare: the simulator's uplink-down, whose line fails at 1 s by default, fails none either
    o = ksc.make_options("uplink-down", down_at=0.0)
    name, params = sim_call("uplink-down", 2, **_sim_overrides("download", o, "uplink-down"))
    assert params["down_at"] is None
    rc, out, err = _main(capsys, "run", "uplink-down", "--down-at", "none", "--down-uplink", "1")
    assert rc == 2 and "--down-at none fails no line" in err
    assert "or none" in kmain.parser()._subparsers._group_actions[0].choices["run"].format_help()


# -- 7. --pcap where no file can be made -------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_a_pcap_where_no_file_can_be_made_is_refused_before_the_run(capsys, no_lab):
    rc, out, err = _main(capsys, "run", "hash-l4-nat", "--pcap", "/proc/x")
    assert rc == 2 and err.startswith("python -m sim.kernel: error: --pcap '/proc/x': no file can be made in '/proc'")


# -- 8. uplinks of different speeds: --uplink-kbit 8000,2000 ------------------------------------

def _stop_at_run(monkeypatch, module, name):
    """Replace ``module.name`` (the lab's run, or compare) by one that records its keywords and
    stops with a LabError: what the command line handed on, no lab built."""
    seen = {}

    def stop(scenario, **kw):
        seen.update(kw)
        raise ksc.LabError("stop here")
    monkeypatch.setattr(module, name, stop)
    return seen


def test_uplink_kbit_takes_one_rate_per_uplink_as_the_simulators_lists(capsys, monkeypatch):
    """``--uplink-kbit 8000,2000`` was refused ("must be an integer 0..10000000"): the lab shaped
    every uplink alike.  Now it is read as ``python -m sim run`` reads ``--down-kbit``: one value
    for every uplink, or one per uplink."""
    seen = _stop_at_run(monkeypatch, ksc, "run")
    rc, out, err = _main(capsys, "run", "hash-l4-nat", "--uplink-kbit", "8000,2000", "--connections", "4")
    assert err == "python -m sim.kernel: error: stop here\n", err       # it got past every check
    assert seen["uplink_kbit"] == [8000, 2000]
    assert ksc.make_options("hash-l4-nat", **seen).rates == [8000, 2000]
    assert ksc.make_options("hash-l4-nat", uplinks=3, uplink_kbit=[5000]).rates == [5000] * 3
    assert ksc.make_options("hash-l4-nat", uplinks=3, uplink_kbit=5000).rates == [5000] * 3
    assert ksc.make_options("hash-l4-nat", uplink_kbit=(8000, 0)).rates == [8000, 0]
    assert ksc.make_options("mptcp").rates == [10_000, 10_000]          # the scenario's default


@pytest.mark.parametrize("argv, said", [
    (("--uplink-kbit", "8000,2000,1000"),
     "--uplink-kbit gives 3 values (8000,2000,1000) for 2 uplinks: give one value for every uplink, "
     "or 2, one per uplink"),
    (("--uplinks", "3", "--uplink-kbit", "8000,2000"),
     "--uplink-kbit gives 2 values (8000,2000) for 3 uplinks: give one value for every uplink, "
     "or 3, one per uplink"),
    (("--uplinks", "1", "--uplink-kbit", "8000,2000"),
     "--uplink-kbit gives 2 values (8000,2000) for 1 uplink: give one value for every uplink"),
    (("--uplink-kbit", "8000,fast"),
     "--uplink-kbit must be integers in 0..10000000 kbit/s, separated by commas, one for every "
     "uplink or one per uplink (like 8000,2000), got 'fast' in '8000,fast'"),
    (("--uplink-kbit", "10000001"), "got '10000001'"),
    (("--uplink-kbit", "5,-1"), "got '-1' in '5,-1'"),
    (("--uplink-kbit", "1.5"), "got '1.5'"),
    (("--uplink-kbit", ",".join(["1"] * 9)), "--uplink-kbit takes at most 8 values, got 9"),
])
@pytest.mark.parametrize("cmd", ["run", "compare"])
def test_a_bad_uplink_kbit_list_is_one_line_naming_it(capsys, no_lab, cmd, argv, said):
    try:                                # argparse's own refusals exit; make_options' are returned
        rc = kmain.main([cmd, "hash-l4-nat", *argv])
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"python -m sim.kernel {cmd}: error: --uplink-kbit "), err
    assert said in err, err


def test_the_python_api_checks_uplink_kbit_with_its_name():
    for bad, said in (([8000, 2000, 1000], "uplink_kbit gives 3 values (8000,2000,1000) for 2 uplinks"),
                      ([8000, -1], "got -1 in [8000, -1]"), ([], "got []"), ([True], "got True"),
                      ("8000", "got '8000'"), (2.5, "got 2.5")):
        with pytest.raises(ksc.LabError) as e:
            ksc.make_options("hash-l4-nat", uplink_kbit=bad)
        assert e.value.param == "uplink_kbit" and said in str(e.value), (bad, str(e.value))


def test_compare_hands_the_simulator_each_uplinks_own_rate(capsys, monkeypatch):
    """compare gave the simulator ``up_kbit=[K], down_kbit=[K]``, every uplink alike: now the
    lab's rate of each uplink, both ways; one value when they are all the same (the call as
    before); an uplink the lab does not limit, as fast as the lab's links."""
    import sim.kernel.compare as kc
    seen = _stop_at_run(monkeypatch, kc, "compare")
    rc, out, err = _main(capsys, "compare", "mptcp", "--uplink-kbit", "8000,2000")
    assert err == "python -m sim.kernel: error: stop here\n", err       # the simulator takes it too
    assert seen["uplink_kbit"] == [8000, 2000]

    def params(scenario, **kw):
        o = ksc.make_options(scenario, **kw)
        sc = ksc.SCENARIOS[scenario]
        return kc.sim_call(scenario, o.uplinks, **kc._sim_overrides(sc.experiment, o, sc.sim[0]))[1]
    p = params("mptcp", uplink_kbit=[8000, 2000])
    assert (p["down_kbit"], p["up_kbit"]) == ([8000, 2000], [8000, 2000])
    assert "down_kbit=[8000, 2000]" in kc._fmt_call("mptcp", p)       # the sim.run line compare prints
    p = params("hash-l4-nat", uplinks=3, uplink_kbit=[1000, 2000, 3000])
    assert (p["down_kbit"], p["up_kbit"]) == ([1000, 2000, 3000], [1000, 2000, 3000])
    assert params("mptcp")["down_kbit"] == [10_000]                   # alike: one value, as before
    assert params("hash-l4-nat", uplink_kbit=[3000, 3000])["up_kbit"] == [3000]
    lab_speed = ksc.SIM_LAB["down_kbit"][0]
    assert params("uplink-down", uplink_kbit=[8000, 0])["down_kbit"] == [8000, lab_speed]
    assert params("hash-l4-nat")["down_kbit"] == ksc.SIM_LAB["down_kbit"]   # none limited


def test_faster_than_one_uplink_is_judged_against_the_fastest_uplinks_own_rate():
    from sim.kernel.compare import JUDGE_BURSTS, _faster_not_judged
    assert _faster_not_judged([10_000, 10_000], 1_000_000) == ""
    assert _faster_not_judged([8000, 2000], 1_000_000) == ""
    assert _faster_not_judged([0, 0], 5000) == ""                       # nothing limited: no row
    # the fastest uplink's burst sets the size judged: 20 bursts of 50000 kbit/s's, not 20000's
    small = JUDGE_BURSTS * ksc.tbf_burst(50_000) - 1
    assert small >= JUDGE_BURSTS * ksc.tbf_burst(20_000)
    assert "tbf bursts" in _faster_not_judged([50_000, 20_000], small)
    assert "tbf bursts" in _faster_not_judged([20_000, 50_000], small)
    assert _faster_not_judged([20_000, 50_000], small + 1) == ""
    # a second uplink that adds little: both carrying is within the headers' share of one line
    assert "add under 25% of the fastest's 10000 kbit/s" in _faster_not_judged([10_000, 1000], 10**6)
    assert "without a rate limit" in _faster_not_judged([8000, 0], 10**6)


def test_the_run_summary_and_its_json_say_each_uplinks_rate():
    from types import SimpleNamespace
    o = ksc.make_options("hash-l4-nat", uplink_kbit=[8000, 2000])
    s = ksc._summarize("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, SimpleNamespace(uplinks=2),
                       {}, {}, [], "download")
    assert [u["rate_kbit"] for u in s["uplinks_stats"].values()] == [8000, 2000]
    text = ksc.KernelResult("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, s, [], [], [], "").summary_text()
    assert "  if1 100.0.0.1 (8000 kbit/s each way): 0 packets up, 0 down" in text
    assert "  if2 150.0.0.1 (2000 kbit/s each way): 0 packets up, 0 down" in text
    s["uplinks_stats"]["if1"]["up_packets"] = 1                      # one: "1 packet up", as sim's summary says
    text = ksc.KernelResult("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, s, [], [], [], "").summary_text()
    assert "  if1 100.0.0.1 (8000 kbit/s each way): 1 packet up, 0 down" in text
    o = ksc.make_options("hash-l4-nat", uplink_kbit=[8000, 0])
    s = ksc._summarize("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, SimpleNamespace(uplinks=2),
                       {}, {}, [], "download")
    assert s["uplinks_stats"]["if2"]["rate_kbit"] is None
    assert "  if2 150.0.0.1 (no rate limit): 0 packets up, 0 down" in ksc.KernelResult(
        "hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, s, [], [], [], "").summary_text()
    o = ksc.make_options("hash-l4-nat")                                  # none limited: as before
    s = ksc._summarize("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, SimpleNamespace(uplinks=2),
                       {}, {}, [], "download")
    text = ksc.KernelResult("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, s, [], [], [], "").summary_text()
    assert "  if1 100.0.0.1: 0 packets up, 0 down" in text


def test_uplink_downs_sizing_advice_uses_the_dead_lines_own_rate():
    o = ksc.make_options("uplink-down", size=1, uplink_kbit=[8000, 1000])
    msg = ksc._downloads_ended_before_due(_summary(0.001, 1.0), o)
    assert "give --size 250000 or more (twice what if2's 1000 kbit/s carries in 1 s" in msg, msg


# -- 9. the lab's TCP congestion control: set in every namespace, never the host's ----------

@pytest.fixture
def offers(monkeypatch):
    """This kernel has reno, bbr, cubic and vegas and allows reno, bbr and cubic in a namespace
    (whatever the machine running the tests loaded and allowed)."""
    from sim.kernel import lab
    monkeypatch.setattr(lab, "available_ccs", lambda proc_sys="/proc/sys": ["reno", "bbr", "cubic", "vegas"])
    monkeypatch.setattr(lab, "allowed_ccs", lambda proc_sys="/proc/sys": ["reno", "bbr", "cubic"])


@pytest.mark.parametrize("argv", [("run", "perpacket-snat"), ("compare", "uplink-down"), ("table",)])
def test_a_cc_the_kernel_does_not_allow_is_one_line_naming_what_it_does(capsys, no_lab, offers,
                                                                        monkeypatch, argv):
    import sim.kernel.table as kt
    monkeypatch.setattr(kt, "measure_all", lambda **kw: (_ for _ in ()).throw(AssertionError(NO_LAB)))
    said = {
        "westwood": "--cc westwood is not available on this kernel: a lab's namespaces may use reno, bbr, cubic "
                    "(net.ipv4.tcp_allowed_congestion_control)",
        # one the kernel has but keeps to the host's own namespace: setting it in a lab's fails
        # with EPERM once the lab is built (it did: "sysctl: setting key ... Operation not permitted")
        "vegas": "--cc vegas is on this kernel but not allowed outside the host's own namespace: a lab's "
                 "namespaces may use reno, bbr, cubic (net.ipv4.tcp_allowed_congestion_control; as root, "
                 "sysctl -w net.ipv4.tcp_allowed_congestion_control=\"reno bbr cubic vegas\" allows it)"}
    for cc, words in said.items():
        try:                            # refused by argparse, before any lab: it exits
            rc = kmain.main([*argv, "--cc", cc])
        except SystemExit as e:
            rc = e.code
        out, err = capsys.readouterr()
        assert (rc, out, err) == (2, "", f"python -m sim.kernel {argv[0]}: error: {words}\n"), err


def test_cc_is_read_from_what_the_kernel_lists_and_checked_by_the_python_api(tmp_path):
    from sim.kernel.lab import DEFAULT_CC, LabError, allowed_ccs, available_ccs, cc_problem
    (tmp_path / "net/ipv4").mkdir(parents=True)
    (tmp_path / "net/ipv4/tcp_available_congestion_control").write_text("reno bbr cubic\n")
    (tmp_path / "net/ipv4/tcp_allowed_congestion_control").write_text("reno cubic\n")
    assert available_ccs(str(tmp_path)) == ["reno", "bbr", "cubic"]
    assert allowed_ccs(str(tmp_path)) == ["reno", "cubic"]
    assert cc_problem("cubic", str(tmp_path)) is None
    assert cc_problem("bbr", str(tmp_path)).startswith(
        "cc bbr is on this kernel but not allowed outside the host's own namespace: a lab's namespaces "
        "may use reno, cubic (net.ipv4.tcp_allowed_congestion_control; as root")
    assert cc_problem("vegas", str(tmp_path)) == (
        "cc vegas is not available on this kernel: a lab's namespaces may use reno, cubic "
        "(net.ipv4.tcp_allowed_congestion_control)")
    assert cc_problem("", str(tmp_path)).startswith("cc must be the name of a TCP congestion control")
    assert DEFAULT_CC == "reno" and ksc.make_options("mptcp").cc == "reno"
    with pytest.raises(LabError, match=r"^cc 'no such' is not available on this kernel") as e:
        ksc.make_options("hash-l4-nat", cc="no such")
    assert e.value.param == "cc"


def test_cc_does_not_apply_to_a_ping(capsys, no_lab, offers):
    rc, out, err = _main(capsys, "run", "ping-perpacket-snat", "--cc", "cubic")
    assert rc == 2 and err.startswith("python -m sim.kernel: error: --cc does not apply to "
                                      "ping-perpacket-snat (a ping), which carries no TCP")


def test_the_command_line_hands_its_cc_to_the_run_and_the_table(capsys, monkeypatch, offers):
    seen = _stop_at_run(monkeypatch, ksc, "run")
    _main(capsys, "run", "perpacket-snat", "--cc", "cubic")
    assert seen["cc"] == "cubic"
    seen.clear()
    _main(capsys, "run", "perpacket-snat")
    assert seen["cc"] is None and ksc.make_options("perpacket-snat", **seen).cc == "reno"
    import sim.kernel.table as kt
    got = {}
    monkeypatch.setattr(kt, "run_many", lambda jobs, parallel: got.setdefault("jobs", jobs) and
                        (_ for _ in ()).throw(ksc.LabError("stop here")))
    _main(capsys, "table", "--cc", "bbr")
    assert {kw["cc"] for _, kw in got["jobs"]} == {"bbr"}


def test_the_lab_sets_its_cc_in_every_namespace_it_builds(monkeypatch, offers):
    """The lab wrote no ``net.ipv4.tcp_congestion_control``: its namespaces ran the host's (BBR
    on the machine where the book's runs were recorded), not the simulator's Reno."""
    import subprocess
    from sim.kernel import lab as klab
    written: dict[str, list[str]] = {}
    monkeypatch.setattr(klab, "_add_namespace", lambda ns: subprocess.CompletedProcess([], 0, "", ""))
    monkeypatch.setattr(klab.Lab, "sysctls", lambda self, node, settings:
                        written.setdefault(node, []).extend(settings))
    for name in ("ip", "ip_batch", "_veth", "_offload_off"):
        monkeypatch.setattr(klab.Lab, name, lambda self, *a, **kw: "")
    checked = []
    monkeypatch.setattr(klab.Lab, "check_cc", lambda self: checked.append(self.cc))
    for cc in (None, "cubic"):
        written.clear()
        lab = klab.Lab(uplinks=2) if cc is None else klab.Lab(uplinks=2, cc=cc)
        lab.build()
        want = f"net/ipv4/tcp_congestion_control={cc or 'reno'}"
        assert klab.cc_sysctl(cc or "reno") == want
        assert set(written) == set(lab.nodes) and len(lab.nodes) == 9
        assert all(want in settings for settings in written.values()), written
    assert checked == ["reno", "cubic"]             # and read back, every build
    with pytest.raises(klab.LabError, match="^cc westwood is not available"):
        klab.Lab(cc="westwood")
    with pytest.raises(klab.LabError, match="^cc vegas is on this kernel but not allowed"):
        klab.Lab(cc="vegas")


def test_compare_gives_the_simulator_reno_where_tcp_runs_and_says_so(offers):
    """``compare`` ran the simulator with its default cc, ``none`` (a fixed window), against the
    kernel's senders; now both run Reno, and the summary, the header and the JSON say so."""
    from types import SimpleNamespace
    from sim.kernel.compare import SIM_CC, Comparison, _sim_overrides, sim_call
    for name, sc in ksc.SCENARIOS.items():
        o = ksc.make_options(name)
        call = sim_call(name, 2, **_sim_overrides(sc.experiment, o, sc.sim and sc.sim[0]))
        assert call[1].get("cc") == (None if sc.experiment == "ping" else "reno") and SIM_CC == "reno", name
    o = ksc.make_options("hash-l4-nat", cc="cubic")
    s = ksc._summarize("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, SimpleNamespace(uplinks=2),
                       {"download": {"connections": []}}, {}, [], "download")
    assert s["tcp_congestion_control"] == "cubic"
    kr = ksc.KernelResult("hash-l4-nat", o, ksc.SCENARIOS["hash-l4-nat"].setup, s, [], [], [], "")
    s["connections"] = [{"client": "(192.168.0.1, 5000)", "server": "(200.0.0.1, 80)", "bytes": 1,
                         "bytes_wanted": 1, "complete": True, "reset": False, "error": None,
                         "seconds": 0.1, "seen_by_server_as": []}]
    assert kr.summary_text()[0].endswith(f"(Linux {s['kernel']}, TCP congestion control cubic)")
    c = Comparison("hash-l4-nat", 2, kernel=kr)
    c.sim_call = sim_call("hash-l4-nat", 2, **_sim_overrides("download", o, "hash-l4-nat"))
    assert c.ccs() == {"kernel": "cubic", "simulator": "reno"}
    text = c.text()
    assert ", TCP congestion control cubic)\n" in text and "cc='reno'" in text
    assert "(the kernel's TCP ran cubic, the simulator's reno: it has only none" in text
    s["tcp_congestion_control"] = "reno"
    assert c.cc_mismatch() == "" and "the kernel's TCP ran" not in c.text()


def test_an_icmp_error_in_the_labs_trace_is_named_as_tcpdump_and_tshark_name_it():
    """The Internet's router answers a reset sent to a LAN address (a packet that left un-NATed)
    with a host unreachable: the lab's trace printed "ICMP type 3, id 0, seq 0", an echo's
    fields read from an error's header.  Built here with scapy and read back by ``parse``."""
    from scapy.layers.inet import ICMP, IP, TCP
    from scapy.layers.l2 import Ether
    from sim.kernel.capture import Frame, fmt, parse
    inner = IP(src="200.0.0.1", dst="192.168.0.1") / TCP(sport=80, dport=5000, flags="R")
    err = Ether(src="02:00:00:00:00:07", dst="02:00:00:00:00:08") / IP(src="172.31.2.1", dst="200.0.0.1") \
        / ICMP(type=3, code=1) / bytes(inner)
    data = bytes(err)
    p = parse(Frame(2_500_000, "peer2", data, len(data)), {"02:00:00:00:00:07": "internet:p2"})
    assert (p.type, p.code) == (3, 1)
    assert fmt(p).endswith("IP 172.31.2.1 > 200.0.0.1: ICMP destination unreachable (host unreachable), "
                           f"length {len(bytes(inner))}"), fmt(p)
    echo = Ether() / IP(src="192.168.0.1", dst="200.0.0.1") / ICMP(type=8, id=7, seq=3) / (b"x" * 56)
    data = bytes(echo)
    q = parse(Frame(0, "lan", data, len(data)), {})
    assert fmt(q).endswith("ICMP echo request, id 7, seq 3, length 56"), fmt(q)


def test_tables_text_says_what_its_cells_count(capsys, no_lab, monkeypatch):
    """An engineer's reading: "682× the fastest" did not say the fastest of what, and the column
    "what the remote host saw" also listed what the router and the providers dropped.  The
    table's text now says both under it; the fastest is the table's fastest complete echo."""
    import sim.kernel.table as kt
    from sim import measured
    rows = measured.table()
    monkeypatch.setattr(kt, "measure_all", lambda **kw: [dict(r, tcp_congestion_control="reno") for r in rows])
    rc, out, err = _main(capsys, "table")
    assert (rc, err) == (0, "")
    assert out.rstrip().endswith(kmain.TABLE_NOTE)
    slow = [r for r in rows if r["outcome"] == "slow"]
    fastest = min(r["seconds"] for r in rows if r["complete"])
    assert slow and all(f"({r['seconds'] / fastest:.0f}× the fastest" in r["tcp"] for r in slow)
    assert any("dropped by" in r["remote_saw"] for r in rows)


def test_a_flows_uplinks_cut_in_the_runs_summary_say_how_many_in_all():
    """A run's flow line cut its uplink sequence at 24 with "...", no total, where compare says
    "(30 in all)"."""
    from sim.kernel.scenarios import SCENARIOS, KernelResult
    flow = {"proto": "tcp", "client": "192.168.0.1:5000", "server": "200.0.0.1:7", "uplinks": ["if1", "if2"] * 15,
            "sources": {"if1": ["100.0.0.1"], "if2": ["100.0.0.1"]}, "remote_saw": ["100.0.0.1"]}
    up = {"addr": "100.0.0.1", "up_packets": 15, "down_packets": 15}
    s = {"uplinks": 2, "kernel": "6.18", "observed": {"flows": [flow], "lost": {}, "drops": {}, "resets": {}},
         "uplinks_stats": {"if1": up, "if2": dict(up, addr="150.0.0.1")}}
    text = KernelResult("perpacket-snat", None, SCENARIOS["perpacket-snat"].setup, s, [], [], [], "").summary_text()
    (line,) = [t for t in text if t.startswith("  flow ")]
    assert "uplinks [" + "if1 if2 " * 12 + "... (30 in all)]" in line, line
