"""A failed line comes back (``--up-at``) on the real kernel, and the simulator's ``up_at`` run
against it.

The first tests need no root: the command line's and the Python API's refusals, the lab's
router set-up and the steps of its harness (with a stand-in lab), the race's branches.  The
kernel tests need root and network namespaces (they skip with the reason, and fail under
CI=true, as tests/test_kernel.py's do); their runs go one at a time (the machine may be shared),
each in its own lab.  What they assert does not depend on the machine's load: a return that
came after the outage's downloads had ended is run again (``scenarios.DOWN_ATTEMPTS``), and the
outcomes a race decides (how the dead line's download ends, which uplink the main table's hash
picks) are the race's branches, not one of them.
"""
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CI = os.environ.get("CI") == "true"


# -- no root: refusals ---------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "sim.kernel", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("args, said", [
    (["run", "uplink-down", "--up-at", "0.5"],
     "python -m sim.kernel run: error: --up-at 0.5 brings back the line that fails at --down-at 1: give a "
     "time after it, up to 60 s, or none: it never comes back"),
    (["compare", "uplink-down", "--down-at", "2", "--up-at", "2"],
     "python -m sim.kernel compare: error: --up-at 2 brings back the line that fails at --down-at 2: give "
     "a time after it, up to 60 s, or none: it never comes back"),
    (["run", "uplink-down", "--down-at", "none", "--up-at", "3"],
     "python -m sim.kernel: error: --up-at 3 brings back the line that fails at --down-at, and --down-at "
     "none fails no line: give --down-at SECONDS, before 3, or leave out --up-at"),
    (["compare", "hash-l4-nat", "--up-at", "3"],
     "python -m sim.kernel: error: --up-at 3 brings back the line that fails at --down-at, and no line "
     "fails in hash-l4-nat: give --down-at SECONDS too, before 3"),
    (["run", "perpacket-snat", "--up-at", "3"],
     "python -m sim.kernel run: error: --up-at works with the download scenarios (hash-l3-nat, "
     "hash-l4-nat, uplink-down), not perpacket-snat (a TCP echo)"),
    (["run", "uplink-down", "--up-at", "61"],
     "python -m sim.kernel run: error: --up-at must be seconds above 0 and at most 60, or none (the line "
     "never comes back), got '61'"),
    (["run", "uplink-down", "--up-at", "nan"],
     "python -m sim.kernel run: error: --up-at must be seconds above 0 and at most 60, or none (the line "
     "never comes back), got 'nan'"),
])
def test_a_bad_up_at_is_one_line_naming_it_and_what_is_allowed(args, said):
    # refused before any namespace is made: no root needed, nothing left behind
    p = _cli(*args)
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stdout, p.stderr)
    assert p.stderr == said + "\n", p.stderr


def test_the_python_api_refuses_a_bad_up_at_with_its_name():
    from sim.kernel.lab import LabError
    from sim.kernel.scenarios import make_options
    for kw, words in (({"up_at": 0.5}, "up_at 0.5 out of range: allowed (1, 60] seconds"),
                      ({"up_at": 3, "down_at": 0}, "up_at 3 brings back the line that fails at down_at"),
                      ({"up_at": float("nan")}, "up_at must be seconds in 0..60, got nan"),
                      ({"up_at": "3"}, "up_at must be seconds in 0..60, got '3'"),
                      ({"up_at": True}, "up_at must be seconds in 0..60, got True")):
        with pytest.raises(LabError) as e:
            make_options("uplink-down", **kw)
        assert e.value.param == "up_at" and str(e.value).startswith(words), (kw, str(e.value))
    with pytest.raises(LabError) as e:
        make_options("mptcp", up_at=3)
    assert e.value.param == "up_at" and "not mptcp (an MPTCP download)" in str(e.value)
    assert make_options("uplink-down", up_at=3).up_at == 3 and make_options("uplink-down").up_at == 0


def test_list_and_help_say_the_line_never_comes_back_by_default():
    p = _cli("list")
    assert p.returncode == 0 and "down_uplink=2 up_at=none" in p.stdout, p.stdout
    p = _cli("compare", "--help")
    assert "--up-at T|none" in p.stdout and "the simulator's --up-at gets it" in " ".join(p.stdout.split())


# -- no root: the router's set-up and the harness --------------------------------------------------

def test_the_labs_connmark_has_the_recipes_postrouting_rule():
    # chapter 10's recipe corrects a connection's mark to the uplink it left by; the lab's connmark
    # set-up (and the simulator's connmark, Connmark.taken) has it, unless Setup.oif_mark is off
    from test_kernel_weights_race import _FakeLab
    from sim.kernel.scenarios import Setup, configure
    with open(os.path.join(ROOT, "book", "10-two-links.md"), encoding="utf-8") as f:
        book = f.read()
    assert 'ct mark set oifname map { "if1" : 1, "if2" : 2 }' in book
    # ... and says the lab brings a line back and checks the rule there (the kernel tests below)
    assert "comes back with `up_at` (the lab's `--up-at`)" in " ".join(book.split())
    for oif_mark in (True, False):
        lab = _FakeLab(2)
        configure(lab, Setup("connmark", "masquerade", oif_mark=oif_mark))
        nft = "\n".join(t for kind, node, t in lab.calls if kind == "nft" and "table ip balance" in t)
        post = "type filter hook postrouting priority mangle;" in nft
        rule = 'ct state new ct mark set oifname map { "if1" : 1, "if2" : 2 }' in nft
        assert post is rule is oif_mark, nft
    lab = _FakeLab(3)
    configure(lab, Setup("connmark", "masquerade"))
    assert '{ "if1" : 1, "if2" : 2, "if3" : 3 }' in "\n".join(t for k, n, t in lab.calls if k == "nft")
    assert "postrouting: ct state new ct mark set oifname map" in Setup("connmark", "masquerade").describe()


class _Proc:
    """A started ``ip -batch -`` or agent, as the harness sees it."""
    def __init__(self, log, what):
        self.log, self.what = log, what
        self.stdin = SimpleNamespace(write=lambda text: log.append((what, text)), close=lambda: None)
        self.stderr = SimpleNamespace(read=lambda: "")

    def wait(self, timeout=None):
        return 0


class _HarnessLab:
    """A stand-in for ``Lab`` that records what ``_download_and_fail`` does, on a clock it moves."""
    def __init__(self, clock):
        self.clock, self.log, self.clients = clock, [], 0

    def ip_later(self, node):
        return _Proc(self.log, f"ip {node}")

    def ip(self, node, *args):
        self.log.append((f"ip {node}", " ".join(args), self.clock.now))
        return "default\n\tnexthop via 100.0.0.254 dev if1 weight 1 \n\tnexthop via 150.0.0.254 dev if2 weight 1"

    def start_client(self, node, *args):
        self.clients += 1
        self.log.append(("client", args[args.index("--sport") + 1], round(self.clock.now, 3)))
        return self.clients

    def read_line(self, p, timeout):
        self.log.append(("connected", p, round(self.clock.now, 3)))
        return {"t0": 1000.0}

    def finish_agent(self, p, timeout):
        return {"connections": [{"client": f"c{p}"}]}


def _harness(monkeypatch, scenario="uplink-down", tables=True, **options):
    """What ``_download_and_fail`` does for ``options``, on a clock that only its sleeps move."""
    import sim.kernel.scenarios as sc
    clock = SimpleNamespace(now=1000.0)
    clock.time = lambda: clock.now
    clock.sleep = lambda s: setattr(clock, "now", clock.now + s)
    monkeypatch.setattr(sc, "time", clock)
    lab = _HarnessLab(clock)
    out = sc._download_and_fail(lab, sc.make_options(scenario, **options), 60, tables)
    return lab.log, out


def test_the_return_takes_the_device_up_and_adds_back_the_per_mark_tables_route(monkeypatch):
    log, out = _harness(monkeypatch, up_at=3.0)
    batches = [e[1] for e in log if e[0] == "ip router" and len(e) == 2]     # what ip -batch was given
    assert batches == ["link set dev if2 down\n",
                       "link set dev if2 up\nroute replace default via 150.0.0.254 dev if2 table 102\n"], log
    # the rounds: the first at once, the outage's one second after the failure, the last one second
    # after the return -- each from the first connect (t0), as the simulator's from its first SYN
    assert [(port, t) for what, port, t in (e for e in log if e[0] == "client")] == \
        [("5000", 1000.0), ("5002", 1002.0), ("5004", 1004.0)], log
    assert out["back_t_us"] == 1003_000_000 and out["down_t_us"] == 1001_000_000 and out["table_route_added"]
    # the return waited for the outage's downloads to connect (client 2: the agent said so)
    assert [e[1] for e in log if e[0] == "connected"] == [1, 2], log
    assert log.index(next(e for e in log if e[0] == "connected" and e[1] == 2)) < \
        log.index(next(e for e in log if e[0] == "ip router" and "up" in e[1])), log
    assert "nexthop via 150.0.0.254 dev if2" in out["main_route_after_return"]
    # without a return: two rounds, nothing brought up
    log, out = _harness(monkeypatch)
    assert [e[1] for e in log if e[0] == "client"] == ["5000", "5002"] and "back_t_us" not in out
    assert [e[1] for e in log if e[0] == "ip router"] == ["link set dev if2 down\n"]
    # a return before the outage's round (up_at < down_at + 1): the steps keep their times
    log, out = _harness(monkeypatch, up_at=1.5)
    assert [(e[1], e[2]) for e in log if e[0] == "client"] == [("5000", 1000.0), ("5002", 1002.0),
                                                              ("5004", 1002.5)]


def test_a_late_failure_keeps_the_return_after_the_outages_downloads(monkeypatch):
    # the failure waits for data to flow on every download: a loaded machine delayed it to 2.648 s
    # (CI's run), so the outage's round, 1 s after it, came after up_at 3 -- the return came first
    # and the "outage's" downloads started on two lines again, hashed onto the returned one, and
    # completed. The return the options put after the outage's round stays after it
    class _Late(_HarnessLab):
        def read_line(self, p, timeout):
            if p == 1:
                self.clock.now += 2.648
            return super().read_line(p, timeout)
    monkeypatch.setattr(sys.modules[__name__], "_HarnessLab", _Late)
    log, out = _harness(monkeypatch, up_at=3.0)
    steps = [(e[0], e[1]) for e in log if e[0] in ("client", "connected") or
             (e[0] == "ip router" and len(e) == 2)]
    assert steps == [("client", "5000"), ("connected", 1), ("ip router", "link set dev if2 down\n"),
                     ("client", "5002"), ("connected", 2),
                     ("ip router", "link set dev if2 up\nroute replace default via 150.0.0.254 dev if2 table 102\n"),
                     ("client", "5004")], log
    assert out["down_t_us"] == 1002_648_000 and out["back_t_us"] == 1003_648_000, out
    assert [e[2] for e in log if e[0] == "client"] == [1000.0, 1003.648, 4.648 + 1000.0], log
    # and the summary says why the line came back later than up_at
    from sim.kernel.scenarios import KernelResult, make_options, Setup
    s = _printable(_summary(back_s=3.648, ends=(4.0, 5.0), down_s=2.648))
    kr = KernelResult("uplink-down", make_options("uplink-down", up_at=3.0), Setup("connmark", "masquerade"),
                      s, [], [], [], "")
    line = next(x for x in kr.summary_text() if "came back" in x)
    assert line.startswith("  if2's line came back at 3.648 s (up_at 3: later, as the line went down late "
                           "and the return waits for the outage's downloads, which start 1 s after it), "), line
    # on time: nothing said
    kr = KernelResult("uplink-down", make_options("uplink-down", up_at=3.0), Setup("connmark", "masquerade"),
                      _printable(_summary()), [], [], [], "")
    assert "later" not in next(x for x in kr.summary_text() if "came back" in x)


def test_a_set_up_without_per_mark_tables_gets_only_its_device_back(monkeypatch):
    log, out = _harness(monkeypatch, "hash-l4-nat", tables=False, down_at=1, up_at=3)
    assert [e[1] for e in log if e[0] == "ip router" and len(e) == 2] == \
        ["link set dev if2 down\n", "link set dev if2 up\n"], log
    assert out["table_route_added"] is False


def _summary(back_s=3.0, ends=(2.5, 3.4), down_s=1.0):
    """A kernel summary with 2 downloads a round; the outage's (second round) ended at ``ends``
    s after the first connect, the line came back at ``back_s``."""
    t0 = 1_000_000.0
    conns = [{"client": "(192.168.0.1, 5000)", "end_t": t0 + 2, "seen_by_server_as": ["(100.0.0.1, 5000)"]},
             {"client": "(192.168.0.1, 5001)", "end_t": t0 + 6, "seen_by_server_as": ["(150.0.0.1, 5001)"]}]
    conns += [{"client": f"(192.168.0.1, {5002 + i})", "end_t": t0 + e,
               "seen_by_server_as": [f"(100.0.0.1, {5002 + i})"]} for i, e in enumerate(ends)]
    going = sum(1 for e in ends if e > back_s)
    return {"connections": conns,
            "link_down": {"uplink": "if2", "at": down_s, "at_epoch_us": int((t0 + down_s) * 1e6),
                          "first_connect_epoch_us": int(t0 * 1e6), "came_back_at": back_s,
                          "back_epoch_us": int((t0 + back_s) * 1e6), "outage_downloads_going": going,
                          "main_route_after_return": "default"}}


def test_a_return_after_the_outages_downloads_ended_is_found_out():
    from sim.kernel.scenarios import _outage_ended_before_return_due, _return_came_late, make_options
    o = make_options("uplink-down", up_at=3.0)
    assert not _return_came_late(_summary(), o)                             # one still going: tested
    assert not _outage_ended_before_return_due(_summary(), o)
    # the harness brought the line back late: both had ended by then -- run again
    late = _return_came_late(_summary(back_s=3.6, ends=(3.1, 3.2)), o)
    assert late.startswith("the downloads started during the outage had ended 0.400 s before the line "
                           "came back, 3.600 s after the first connect"), late
    assert not _outage_ended_before_return_due(_summary(back_s=3.6, ends=(3.1, 3.2)), o)
    # ... but the options' doing, not the machine's: refused, with what would catch them
    o = make_options("uplink-down", up_at=9.0)
    why = _outage_ended_before_return_due(_summary(back_s=9.0, ends=(5.5, 6.25)), o)
    assert why == ("--up-at 9 is after the downloads started during the outage end: they had ended "
                   "6.250 s after the first connect, so the line came back with none of them left to "
                   "move and the run tested only the new ones; give --up-at below 6.25 (and after "
                   "--down-at 1), or a larger --size"), why
    assert not _return_came_late(_summary(), make_options("uplink-down"))   # no return: nothing to say


def _printable(s):
    """``_summary``'s with what ``summary_text`` prints besides."""
    s.update(kernel="6.18", uplinks=2, tcp_congestion_control="reno", observed={"flows": [], "lost": {},
             "resets": {}}, uplinks_stats={})
    for c in s["connections"]:
        c.update(server="(200.0.0.1, 80)", bytes=1, bytes_wanted=1, complete=True, reset=False,
                 error=None, seconds=1.0)
    s["link_down"]["table_route_added"] = True
    return s


def test_the_summary_says_when_the_line_came_back():
    from sim.kernel.scenarios import KernelResult, Setup
    s = _summary()
    s.update(kernel="6.18", uplinks=2, tcp_congestion_control="reno", observed={"flows": [], "lost": {},
             "resets": {}}, uplinks_stats={})
    s["link_down"]["main_route_after_return"] = ("default \n\tnexthop via 100.0.0.254 dev if1 weight 1 "
                                                 "\n\tnexthop via 150.0.0.254 dev if2 weight 1")
    for c in s["connections"]:
        c.update(server="(200.0.0.1, 80)", bytes=1, bytes_wanted=1, complete=True, reset=False,
                 error=None, seconds=1.0)
    s["link_down"]["table_route_added"] = True
    text = "\n".join(KernelResult("uplink-down", None, Setup("connmark", "masquerade"), s, [], [], [],
                                  "").summary_text())
    assert ("if2's line came back at 3.000 s, its table's route added again; 1 download of the outage "
            "still going then; the main table: default nexthop via 100.0.0.254 dev if1 weight 1 nexthop "
            "via 150.0.0.254 dev if2 weight 1") in text, text
    s["link_down"]["table_route_added"] = False          # a hash set-up: no per-mark table
    text = "\n".join(KernelResult("uplink-down", None, Setup("hash-l4", "masquerade"), s, [], [], [],
                                  "").summary_text())
    assert "if2's line came back at 3.000 s; 1 download of the outage still going then" in text, text


def test_the_scenarios_description_follows_the_return():
    from sim.kernel.scenarios import SCENARIOS, make_options
    sc = SCENARIOS["uplink-down"]
    assert "comes back" not in sc.doc
    doc = sc.doc_for(make_options("uplink-down", up_at=3))
    assert doc.endswith("; the line comes back 3 s in (its table's route added again, as an ip-up script "
                        "does): the downloads of the outage keep the uplink they took (the postrouting "
                        "rule's mark), 2 new ones take uplink 1, then uplink 2 (after a reset: uplink 2, "
                        "then uplink 1)"), doc


# -- no root: what compare gives the simulator, and how it judges ---------------------------------

def test_compare_gives_the_simulator_the_labs_return():
    from sim.kernel.compare import _sim_overrides, sim_call, sim_problem
    from sim.kernel.scenarios import make_options
    o = make_options("uplink-down", up_at=3.5)
    call = sim_call("uplink-down", 2, **_sim_overrides("download", o, "uplink-down"))
    assert call[1]["up_at"] == 3.5 and call[1]["down_at"] == 1.0 and sim_problem("uplink-down", call) is None
    o = make_options("uplink-down")
    assert "up_at" not in sim_call("uplink-down", 2, **_sim_overrides("download", o, "uplink-down"))[1]


_LEAK = "left without NAT (INVALID: no conntrack entry)"
# the rows of the race as the kernel gave them (stalled) and the simulator (reset), up_at 3
_KERNEL = {_LEAK: "[192.168.0.1 on if1]", "addresses at the remote": "[100.0.0.1; 150.0.0.1; 192.168.0.1]",
           "resets sent by": "[remote host; router's own stack]",
           "downloads started after it, by uplink": "if1: complete ×2",
           "downloads started after the return, by uplink": "if1: complete ×1; if2: complete ×1"}
_SIM = {**_KERNEL, _LEAK: "[none]", "addresses at the remote": "[100.0.0.1; 150.0.0.1]"}


def _judged(kernel: dict, sim: dict, up_at=3.0):
    from sim.kernel.compare import Comparison
    from sim.kernel.scenarios import make_options
    c = Comparison("uplink-down", 2, kernel=SimpleNamespace(summary={"kernel": "6.18"},
                                                            options=make_options("uplink-down", up_at=up_at)))
    for aspect in sim:
        c.add(aspect, kernel[aspect], sim[aspect])
    c.judge()
    return c


def test_the_races_branches_with_a_return():
    c = _judged(_KERNEL, _SIM)
    assert c.agrees and not c.undocumented(), c.text()
    assert "the kernel took one branch of a known race (a download on the dead line stalled" in c.text()
    # once the line is back, the stalled download's FIN may hash to it
    assert _judged({**_KERNEL, _LEAK: "[192.168.0.1 on if2]"}, _SIM).agrees
    # an outage download the return killed, or the last round all on one line: no branch has them
    for bad in ({"downloads started after it, by uplink": "if1: complete ×1, failed ×1"},
                {"downloads started after the return, by uplink": "if1: complete ×2"},
                {"resets sent by": "[router's own stack]"}):
        c = _judged({**_KERNEL, **bad}, _SIM)
        assert not c.agrees and c.undocumented(), (bad, c.text())
    # without a return the FIN cannot leave by the dead line, and the last round's addresses are not
    # the remote's (the comparison has no last round then, and its row is not looked at)
    from sim.kernel.compare import race_of
    from sim.kernel.scenarios import make_options
    race = race_of("uplink-down", 3, make_options("uplink-down", uplinks=3, connections=3))
    assert not any(o[_LEAK] == "[192.168.0.1 on if2]" for b in race.branches for o in b.outcomes)
    assert not _judged({**_KERNEL, _LEAK: "[192.168.0.1 on if2]"}, _SIM, up_at=0).agrees


# -- the kernel ----------------------------------------------------------------------------------

def _lab_problem():
    from sim.kernel.lab import LabError, check_environment
    try:
        check_environment()
    except LabError as e:
        return str(e)
    if subprocess.run(["which", "tcpdump"], capture_output=True).returncode:
        return "tcpdump is not installed (make test installs it as root)"
    return None


@pytest.fixture(scope="module")
def lab():
    if (problem := _lab_problem()):
        msg = f"kernel lab unavailable: {problem}"
        if CI:
            pytest.fail(msg + " (CI=true: the kernel tests must run)")
        pytest.skip(msg)


UP_AT = 3.0


@pytest.fixture(scope="module")
def compared(lab):
    """uplink-down with the line back at 3 s, the kernel's run and the simulator's, lined up."""
    from sim.kernel.compare import compare
    return compare("uplink-down", up_at=UP_AT)


def test_kernel_and_simulator_agree_on_the_return(compared):
    c = compared
    print(c.text())
    assert not c.undocumented() and c.agrees, c.text()
    rows = {r.aspect: r for r in c.rows}
    # with 2 uplinks and 2 downloads a round, these agree whichever branch the race took
    for aspect, value in (("downloads started before the failure, by uplink", "if1: complete ×1; if2: failed ×1"),
                          ("downloads started after it, by uplink", "if1: complete ×2"),
                          ("downloads started after the return, by uplink", "if1: complete ×1; if2: complete ×1"),
                          ("downloads of the outage that changed uplink", "0")):
        assert rows[aspect].kernel == rows[aspect].sim == value, c.text()


def test_the_kernel_wakes_the_multipath_routes_nexthop_and_the_outage_keeps_its_line(compared):
    s = compared.kernel.summary
    d = s["link_down"]
    assert d["came_back_at"] >= UP_AT and d["outage_downloads_going"] >= 1, d
    # fib_sync_up(): the main table's route has both nexthops again, neither dead nor linkdown
    route = " ".join(d["main_route_after_return"].split())
    assert "nexthop via 100.0.0.254 dev if1" in route and "nexthop via 150.0.0.254 dev if2" in route, route
    assert "dead" not in route and "linkdown" not in route, route
    # the outage's downloads left by uplink 1 only, and completed; the last round used uplink 2 again
    flows = {f["client"]: f for f in s["observed"]["flows"]}
    outage, last = s["connections"][2:4], s["connections"][4:]
    assert all(c["complete"] and flows[c["client"]]["uplinks_used"] == ["if1"] for c in outage), outage
    assert sorted(flows[c["client"]]["uplinks_used"][0] for c in last) == ["if1", "if2"]


def test_without_the_postrouting_rule_the_return_kills_the_outage_download_that_drew_the_dead_mark(lab):
    # chapter 10: "Left with the mark they drew, they would be routed by the dead line's table again
    # once it had its route back ..., and MASQUERADE would kill them". During the outage one of the
    # two new downloads draws mark 2 (whichever branch the race took), falls through to the main
    # table and is bound to uplink 1; at the return table 102 sends it to if2 and MASQUERADE drops
    # the packet and kills the entry (nf_nat_oif_changed()): the router's upstream drop
    from sim.kernel.scenarios import Setup, run
    kr = run("uplink-down", setup=Setup("connmark", "masquerade", oif_mark=False), up_at=UP_AT)
    s = kr.summary
    print("\n".join(kr.summary_text()))
    outage = s["connections"][2:4]
    assert sorted(c["complete"] for c in outage) == [False, True], outage
    killed = next(c for c in outage if not c["complete"])
    assert killed["seen_by_server_as"][0].startswith("(100.0.0.1,"), killed     # bound to uplink 1
    assert any(k.startswith("router (upstream)") for k in s["observed"]["lost"]), s["observed"]["lost"]
    assert all(c["complete"] for c in s["connections"][4:])


def test_snat_stalls_the_dead_lines_download_and_the_return_completes_it_as_in_the_simulator(lab):
    # SNAT forgets nothing when the device goes down: the download bound to 150.0.0.1 goes on
    # leaving by uplink 1 from that address, its server's answers go to uplink 2's line and are
    # lost; once the line is back they arrive, and it completes -- in the simulator too
    import sim
    from sim.kernel.compare import _sim_overrides, sim_call
    from sim.kernel.scenarios import Setup, run
    kr = run("uplink-down", setup=Setup("connmark", "snat"), up_at=UP_AT)
    call = sim_call("uplink-down", 2, **_sim_overrides("download", kr.options, "uplink-down"))
    r = sim.run(call[0], **{**call[1], "nat": "snat"})
    print("\n".join(kr.summary_text()))
    for s, side in ((kr.summary, "kernel"), (r.summary, "simulator")):
        conns = s["connections"]
        assert all(c["complete"] for c in conns), (side, conns)
        dead = [c for c in conns[:2] if c["seen_by_server_as"][0].startswith("(150.0.0.1,")]
        assert len(dead) == 1, (side, conns)
        # it ended after the return: it could not before (its answers had no way back)
        assert dead[0]["seconds"] > UP_AT - 0.2, (side, dead)
    assert r.summary["link_down"]["conntrack_entries_flushed"] == 0


def _moved(s, n):
    """The outage's downloads (the second round of ``n``) that left by uplink 2 at any time."""
    flows = {f["client"]: f for f in s["observed"]["flows"]}
    return [c for c in s["connections"][n:2 * n] if c["client"] in flows
            and "if2" in flows[c["client"]]["uplinks_used"]]


def test_the_hash_moves_the_outage_back_at_once_and_masquerade_kills_what_it_moves(lab):
    # hash-threshold balancing (policy 1) picks among the live nexthops: during the outage every new
    # download leaves by uplink 1 and is bound there; fib_sync_up() makes uplink 2's nexthop live
    # again, and a download whose hash points at it goes there at once -- MASQUERADE drops the
    # packet and kills the entry (nf_nat_oif_changed()). Which downloads hash there is the socket's
    # random hash (see scenarios.configure); a run in which none did tests nothing: run again
    from sim.kernel.scenarios import Setup, run
    n = 3
    for attempt in range(4):
        kr = run("uplink-down", setup=Setup("hash-l4", "masquerade"), connections=n, timeout=10.0,
                 up_at=UP_AT)
        s = kr.summary
        if _moved(s, n):
            break
    print("\n".join(kr.summary_text()))
    # the outage's downloads began while only uplink 1 was live: each left by it first
    flows = {f["client"]: f for f in s["observed"]["flows"]}
    assert all(flows[c["client"]]["uplinks_used"][0] == "if1" for c in s["connections"][n:2 * n]), \
        (s["link_down"], s["connections"][n:2 * n])
    moved = _moved(s, n)
    assert moved, f"in {attempt + 1} runs no outage download hashed to the returned line"
    assert not any(c["complete"] for c in moved), moved
    stayed = [c for c in s["connections"][n:2 * n] if c not in moved]
    assert all(c["complete"] for c in stayed), stayed
    assert any(k.startswith("router (upstream)") for k in s["observed"]["lost"]), s["observed"]["lost"]
    # the simulator's run of the same set-up: the same (its hash is its own, so which ones differ)
    import sim
    from sim.kernel.compare import _sim_overrides, sim_call
    from sim.kernel.observe import from_sim, observe
    from sim.kernel.lab import uplink_addr
    call = sim_call("uplink-down", 2, **_sim_overrides("download", kr.options, "uplink-down"))
    r = sim.run(call[0], **{**call[1], "multipath": "hash-l4"})
    addrs = {f"if{k}": uplink_addr(k) for k in (1, 2)}
    ss = dict(r.summary, observed=observe(from_sim(r), addrs))
    sim_moved = _moved(ss, n)
    assert sim_moved and not any(c["complete"] for c in sim_moved), ss["connections"]
    assert all(c["complete"] for c in ss["connections"][n:2 * n] if c not in sim_moved)


def test_zz_no_namespaces_left_by_these_tests(lab):
    from sim.kernel.lab import PREFIX, lab_namespaces
    assert not [ns for ns in lab_namespaces() if ns.startswith(f"{PREFIX}{os.getpid()}-")]
