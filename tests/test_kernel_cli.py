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
    ob = observe(pkts, addrs, ("if2", 2500))                 # if2's line went down at 2.5 ms
    assert ob["lost"] == {"provider1's queue (downstream)": 1, "if2's dead line (downstream)": 3}
    assert ob["drops"] == {}          # the judged rows' places: none of these
    assert observe(pkts, addrs)["lost"] == {"provider1's queue (downstream)": 1,
                                            "provider2's queue (downstream)": 3}


def test_the_simulators_losses_read_from_its_hops_are_its_own_drop_counts():
    """Like with like: ``lost``, read from the simulator's hops as from the kernel's captures,
    counts what the simulator's own drop reasons say for the same places."""
    import sim
    from sim.kernel.compare import sim_down
    from sim.kernel.observe import from_sim, observe
    r = sim.run("uplink-down")
    lost = observe(from_sim(r), {"if1": "100.0.0.1", "if2": "150.0.0.1"}, sim_down(r))["lost"]
    at = r.summary["drops_at"]
    assert lost["if2's dead line (downstream)"] == at["link down"]["provider2"]
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
