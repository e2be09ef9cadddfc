"""The command line as a reader meets it."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_list_names_every_scenario():
    out = cli("list")
    assert out.returncode == 0
    for name in ("connection-level", "thought-question", "flashget", "cache-expiry",
                 "equalize-public", "equalize-nat", "icmp-equalize-nat", "hash-l4-nat"):
        assert name in out.stdout


def test_version_says_which_copy_runs():
    """An engineer with the package pip-installed and a clone beside it could not tell which
    simulator a shell ran ("python -m sim --version": "give a command").  It says the version
    pyproject.toml takes from sim.__version__, and the folder the package was imported from."""
    import sim
    out = cli("--version")
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.strip() == f"python -m sim {sim.__version__} ({os.path.join(ROOT, 'sim')})"


def test_run_text_has_tcpdump_lines_and_summary():
    out = cli("run", "equalize-nat", "--seed", "3", "--size", "5000")
    assert out.returncode == 0 and out.stderr == ""
    assert "hop      router:if" in out.stdout or "router:if" in out.stdout
    assert "Flags [S]" in out.stdout and "handshake" in out.stdout
    assert "if1 100.0.0.1" in out.stdout and "route cache: in_hit" in out.stdout

    # the summary follows the events after one blank line
    lines = out.stdout.splitlines()
    assert lines[lines.index("") + 1].startswith("scenario equalize-nat:") and lines.count("") == 1


def test_a_run_without_events_prints_its_summary_alone():
    out = cli("run", "ping", "--pings", "0")
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("scenario ping:") and "0 of 0 echoes answered" in out.stdout


def test_run_json_and_pcap(tmp_path):
    pcap = tmp_path / "x.pcapng"
    out = cli("run", "hash-l4-nat", "--format", "json", "--size", "5000", "--pcap", str(pcap))
    assert out.returncode == 0
    d = json.loads(out.stdout)
    assert d["scenario"] == "hash-l4-nat" and d["params"]["multipath"] == "hash-l4"
    assert pcap.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"


@pytest.mark.parametrize("args, words", [
    (["run", "nope"], ["unknown scenario 'nope'", "equalize-nat"]),
    (["run", "equalise-nat"], ["unknown scenario 'equalise-nat': did you mean equalize-nat? allowed are"]),
    (["run", "equalize-nat", "--multipath", "rr"], ["'rr'", "wrr"]),
    (["run", "equalize-nat", "--nat", "x"], ["'x'", "netfilter"]),
    (["run", "equalize-nat", "--remote", "x"], ["'x'", "rfc"]),
    (["run", "equalize-nat", "--seed", "-3"], ["'-3'", "--seed must be an integer 0..9223372036854775807"]),
    (["run", "equalize-nat", "--seed", "abc"], ["'abc'", "--seed must be an integer 0..9223372036854775807"]),
    (["run", "equalize-nat", "--size", "-5"], ["--size must be an integer 1..100000000, got '-5'"]),
    (["run", "equalize-nat", "--seed", "\uff13"], ["'\uff13'", "--seed must be an integer"]),   # a full-width 3
    (["run", "equalize-nat", "--size", "0"], ["--size must be an integer 1..100000000, got '0'"]),
    (["run", "equalize-nat", "--down-uplink", "0", "--down-at", "1"], ["--down-uplink 0 out of range: allowed 1..2"]),
    (["run", "equalize-nat", "--down-uplink", "3", "--down-at", "1"], ["--down-uplink 3 out of range: allowed 1..2"]),
    (["run", "uplink-down", "--down-uplink", "3"], ["--down-uplink 3 out of range: allowed 1..2"]),
    (["run", "equalize-nat", "--down-uplink", "1"], ["--down-uplink 1", "no line fails in equalize-nat",
                                                     "--down-at"]),
    (["run", "equalize-nat", "--pcap", "-"], ["--pcap -: standard output carries the trace"]),
    (["run", "equalize-nat", "--uplinks", "99"], ["'99'", "1..16"]),
    (["run", "equalize-nat", "--format", "xml"], ["'xml'", "json"]),
    (["run", "equalize-nat", "--equalize", "--no-equalize"], ["--equalize"]),
    (["run", "equalize-nat", "--multipath", "hash-l4"], ["equalize", "--no-equalize"]),
    (["frobnicate"], ["'frobnicate'"]),
    # an address the network uses already says which one it is
    (["run", "ping", "--uplink-addrs", "100.0.0.0,150.0.0.1"], ["'100.0.0.0' is the network address of its /24"]),
    (["run", "ping", "--uplink-addrs", "100.0.0.1,150.0.0.255"],
     ["'150.0.0.255' is the broadcast address of its /24"]),
    (["run", "ping", "--uplink-addrs", "100.0.0.254,150.0.0.1"],
     ["'100.0.0.254' is the provider's gateway on uplink 1's /24"]),
    (["run", "ping", "--remote-addrs", "200.0.0.1,210.0.0.254"],
     ["'210.0.0.254' is the Internet core's router on remote host 2's /24"]),
    (["run", "ping", "--remote-addrs", "172.31.9.9,210.0.0.1"], ["'172.31.9.9' is in the core's links"]),
    # a capture with no folder to go in is refused before the run
    (["run", "equalize-nat", "--pcap", "/no/such/dir/x.pcapng"], ["--pcap '/no/such/dir/x.pcapng'",
                                                                  "no folder '/no/such/dir'"]),
    # and so is a folder, which was refused only after the whole run, with status 1
    (["run", "equalize-nat", "--pcap", "sim"], ["--pcap 'sim' is a folder", "'sim/run.pcapng'"]),
    (["run", "equalize-nat", "--pcap", "sim/"], ["--pcap 'sim/' is a folder"]),
    # a converter's message names its option once ("argument --seed: --seed must be ..." had it twice)
    (["run", "equalize-nat", "--seed", "x"], ["error: --seed must be an integer"]),
    (["run", "equalize-nat", "--flush-at", "x"], ["error: --flush-at must be seconds in 0 or 1e-06..86400",
                                                  "got 'x'"]),
    # 100 MB over 1 kbit/s lines was killed at 65 s and 731 MB: there a byte costs up to 17 times as much
    (["run", "connection-level", "--size", "100000000", "--down-kbit", "1", "--up-kbit", "1", "--format", "json"],
     ["--size 100000000 too large for connection-level with a line of 1 kbit/s", "at most 100000000 x 1/16 = 6250000"]),
])
def test_bad_input_is_one_line_exit_2_no_traceback(args, words):
    out = cli(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    for w in words:
        assert w in lines[0]


@pytest.mark.parametrize("scenario, option", [("ping", ["--cc", "reno"]), ("icmp-equalize-nat", ["--remote", "rfc"]),
                                              ("udp-equalize-nat", ["--tcp", "linux"])])
def test_tcp_options_are_refused_where_no_tcp_runs(scenario, option):
    # the JSON's params would record a TCP set-up for a run that has no TCP
    r = cli("run", scenario, *option)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert f"{option[0]} does not apply to {scenario}, which carries no TCP" in r.stderr


def test_a_capture_into_the_file_standard_output_goes_to_is_refused(tmp_path):
    # `run ping --pcap same.out > same.out` ended with the capture alone, status 0: the trace lost
    out = tmp_path / "same.out"
    with open(out, "w") as f:
        r = subprocess.run([sys.executable, "-m", "sim", "run", "ping", "--pcap", str(out)], stdout=f,
                           stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert r.returncode == 2 and "standard output goes to that file already" in r.stderr
    assert out.read_bytes() == b""


@pytest.mark.parametrize("nat, said", [("masquerade", "MASQUERADE forgot 2 conntrack entries with it"),
                                       ("snat", "no conntrack entry was forgotten (NAT model snat)")])
def test_a_line_failure_is_told_as_the_nat_model_does_it(nat, said):
    r = cli("run", "uplink-down", "--nat", nat, "--summary-only")
    assert r.returncode == 0 and said in r.stdout


def test_a_run_without_a_trace_writes_no_empty_capture(tmp_path):
    import sim
    r = sim.run("ping", trace=False)
    with pytest.raises(ValueError, match="kept no trace"):
        r.write_pcap(str(tmp_path / "x.pcapng"))
    assert not (tmp_path / "x.pcapng").exists()


@pytest.mark.parametrize("path", ["/dev/full"])
def test_a_capture_that_cannot_be_written_is_one_line_and_exit_1(path):
    # an output that failed, as a failed standard output: status 1 (2 is bad input)
    out = cli("run", "ping", "--pings", "1", "--pcap", path)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1 and "Traceback" not in out.stderr
    assert f"cannot write pcap '{path}'" in lines[0]
    # the run's trace is not lost with its capture
    assert "the trace went to standard output" in lines[0]
    assert out.stdout.startswith("0.") and "\nscenario ping: " in out.stdout


def test_a_folder_that_cannot_be_written_is_refused_before_the_run(tmp_path, monkeypatch, capsys):
    # as root every folder is writable to os.access: the check is shown with a folder it refuses
    import sim.__main__ as cli_main
    import sim.scenarios
    folder = str(tmp_path)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if p == folder else real_access(p, mode))
    monkeypatch.setattr(sim.scenarios, "run", lambda *a, **k: pytest.fail("the run started"))
    monkeypatch.setattr(cli_main, "run", lambda *a, **k: pytest.fail("the run started"))
    assert cli_main.main(["run", "ping", "--pcap", str(tmp_path / "x.pcapng")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"python -m sim run: error: --pcap '{tmp_path / 'x.pcapng'}': the folder '{folder}' is not "
                   f"writable: give a file in one you may write to"]
    assert list(tmp_path.iterdir()) == []


def test_every_run_option_says_what_it_does():
    # --multipath, --seed, --format ... had no help; --cc's `none` and --tcp's default were unsaid
    from sim.__main__ import parser
    run = next(a for a in parser()._actions if a.dest == "cmd").choices["run"]
    for a in run._actions:
        assert a.help, f"{a.option_strings or a.dest} has no help"
    from sim.host import WINDOW
    helps = {a.option_strings[-1]: " ".join(a.help.split()) for a in run._actions if a.option_strings}
    assert f"none, a fixed window of the receive window in flight (--rwnd, {WINDOW} bytes" in helps["--cc"]
    assert WINDOW == 32 * 1460 and f"(default {WINDOW}: " in helps["--rwnd"]
    assert "default 2.4" in helps["--tcp"] and "scenarios of today's kernel set linux" in helps["--tcp"]
    assert "udp-equalize-nat: UDP echo datagrams" in helps["--pings"]
    out = cli("run", "--help")
    assert out.returncode == 0 and "a fixed window of" in " ".join(out.stdout.split())


def test_run_help_states_the_default_of_what_a_scenario_may_set():
    # --equalize, --bundle, --down-at and --read-timeout did not say that a scenario sets them
    from sim.__main__ import parser
    run = next(a for a in parser()._actions if a.dest == "cmd").choices["run"]
    helps = {a.option_strings[-1]: " ".join(a.help.split()) for a in run._actions if a.option_strings}
    for opt, default in (("--equalize", "False"), ("--bundle", "False"), ("--down-at", "none"),
                         ("--read-timeout", "none"), ("--down-uplink", "2"), ("--ingress-filter", "False")):
        assert f"default {default}, or the scenario's: see list" in helps[opt], (opt, helps[opt])
    assert "none: no line fails" in helps["--down-at"] and "0..86400" in helps["--down-at"]
    assert "1e-06..3600: the simulation counts whole microseconds" in helps["--read-timeout"]


def test_no_bundle_turns_off_the_scenarios_bundle():
    # multilink sets bundle=True; `--no-bundle` was "unrecognized arguments"
    out = cli("run", "multilink", "--no-bundle", "--size", "20000", "--format", "json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["params"]["bundle"] is False and "bundle" not in d["summary"]
    assert cli("run", "multilink", "--bundle", "--no-bundle").returncode == 2


def test_list_prints_what_each_scenario_sets_beyond_the_defaults():
    import sim
    from sim.scenarios import fmt_value
    out = cli("list")
    assert out.returncode == 0 and out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines[0].startswith("defaults: multipath=random equalize=False nat=article remote=article cc=none tcp=2.4")
    for s in sim.SCENARIOS.values():
        at = next(k for k, l in enumerate(lines) if l.startswith(s.name + " "))
        sets = lines[at + 1].split("sets: ", 1)[1]
        assert sets == (" ".join(f"{k}={fmt_value(v)}" for k, v in s.defaults.items())
                        or "nothing (the defaults)")
    assert "sets: multipath=hash-l4" in out.stdout and "connections=4" in out.stdout


@pytest.mark.parametrize("args, has, lacks", [
    # tcp= and cc= always, and a download's size (as a replay's header); what differs from the
    # scenario's defaults too; not what the scenario sets itself
    (["equalize-nat"], "seed=1 tcp=2.4 cc=none size=200000", ["bundle="]),
    (["equalize-nat", "--tcp", "linux", "--cc", "reno", "--bundle"], "seed=1 tcp=linux cc=reno size=200000", []),
    (["flashget"], "seed=1 tcp=2.4 cc=none size=50000", ["connections="]),
    (["flashget", "--size", "1000"], "cc=none size=1000", ["connections="]),
    (["connection-level", "--multipath", "wrr", "--flush-at", "0.3,12"], "flush_at=0.3,12", []),
    (["ping", "--down-at", "1"], "seed=1 down_at=1 down_uplink=2", ["size=", "tcp="]),
    (["hash-l4-nat", "--cc", "reno"], "tcp=linux cc=reno", []),
])
def test_the_summary_header_tells_runs_apart(args, has, lacks):
    out = cli("run", *args, "--summary-only")
    head = out.stdout.splitlines()[0]
    assert out.returncode == 0 and head.startswith(f"scenario {args[0]}: multipath=")
    assert has in head
    for word in lacks:
        assert word not in head


def test_the_capture_names_its_run_and_how_to_read_it(tmp_path):
    # the pcapng's section header carries the scenario, every parameter, and how to read the merged capture
    import shutil
    pcap = tmp_path / "x.pcapng"
    out = cli("run", "equalize-nat", "--cc", "reno", "--size", "3000", "--pcap", str(pcap), "--summary-only")
    assert out.returncode == 0
    if shutil.which("capinfos") is None:
        pytest.skip("capinfos not installed (apt-get install tshark)")
    info = subprocess.run(["capinfos", str(pcap)], capture_output=True, text=True).stdout
    comments = [l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("Capture comment:")]
    assert len(comments) == 2
    assert comments[0].startswith("scenario equalize-nat: multipath=random equalize=True nat=article")
    assert "cc=reno" in comments[0] and "size=3000" in comments[0] and "uplink_addrs=100.0.0.1,150.0.0.1" in comments[0]
    assert 'frame.interface_name == "remote1_link"' in comments[1] and "once per link" in comments[1]
    assert "no options on the wire" in comments[1]
    again = tmp_path / "y.pcapng"
    cli("run", "equalize-nat", "--cc", "reno", "--size", "3000", "--pcap", str(again), "--summary-only")
    assert again.read_bytes() == pcap.read_bytes()          # deterministic


def test_a_refused_workload_option_names_what_the_right_one_counts():
    out = cli("run", "udp-equalize-nat", "--messages", "3")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "its workload options are --pings (UDP echo datagrams to send)" in out.stderr


def test_kernel_help_says_what_each_command_and_option_does():
    # python -m sim.kernel's help (needs no namespaces): compare said only "compare a kernel
    # scenario", table named "section 3b's table", half the options had no help or no default
    from sim.kernel.__main__ import parser
    cmds = next(a for a in parser()._actions if a.dest == "cmd")
    said = {a.dest: " ".join(a.help.split()) for a in cmds._choices_actions}
    assert "the simulator's run of the same set-up" in said["compare"]
    assert said["table"].startswith("the measured table of chapter 9") and "3b" not in said["table"]
    for cmd in ("run", "compare", "table"):
        for a in cmds.choices[cmd]._actions:
            assert a.help, f"{cmd} {a.option_strings or a.dest} has no help"
            if a.option_strings and a.dest not in ("help", "pcap", "summary_only"):
                assert "default" in a.help, f"{cmd} {a.option_strings} states no default"
    helps = {a.option_strings[-1]: " ".join(a.help.split())
             for a in cmds.choices["run"]._actions if a.option_strings}
    assert "mptcp, mptcp-split-access take exactly 2" in helps["--uplinks"]
    assert "a client gives up after T s without data" in helps["--timeout"]


def test_kernel_list_prints_each_scenarios_defaults():
    from sim.kernel.scenarios import SCENARIOS
    out = subprocess.run([sys.executable, "-m", "sim.kernel", "list"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0 and out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines[0] == ("defaults: uplinks=2 connections=1 size=100000 timeout=10 uplink_kbit=0 "
                        "weights=1 down_at=none down_uplink=2 up_at=none cc=reno")
    sets = {lines[i].split()[0]: lines[i + 1].split("sets: ")[1] for i in range(2, len(lines), 3)}
    assert list(sets) == list(SCENARIOS)
    assert sets["uplink-down"] == ("connections=2 size=500000 uplink_kbit=2000 down_at=1 timeout=5 "
                                   "linger=1")
    assert sets["mptcp"] == "size=1000000 uplink_kbit=10000 (uplinks: exactly 2)"


def test_the_summary_names_where_each_drop_happened():
    # `drops: queue full 62` did not say that provider2's 64-packet line buffer overflowed, not a
    # host's own 1000-packet txqueue
    from collections import Counter
    import sim
    r = sim.run("uplink-down")
    seen = Counter((e.reason.value, e.node) for e in r.events if e.ev.value == "drop")
    at = r.summary["drops_at"]
    assert {(reason, node): n for reason, nodes in at.items() for node, n in nodes.items()} == seen
    assert {reason: sum(nodes.values()) for reason, nodes in at.items()} == r.summary["drops"]
    # Trace.drops is drops_at summed: each reason where the trace first shows it, as its JSON was
    assert list(r.summary["drops"]) == list(dict.fromkeys(e.reason.value for e in r.events if e.ev.value == "drop"))
    assert list(at["retries exhausted"].items()) == [("remote1", 2), ("local1", 1)]    # most first
    assert list(at["queue full"]) == ["provider1"]
    line = next(x for x in r.summary_text() if x.startswith("  drops: "))
    assert f"queue full {r.summary['drops']['queue full']} (provider1)" in line
    assert "retries exhausted 3 (remote1 2, local1 1)" in line
    assert sim.run("uplink-down", trace=False).summary["drops_at"] == at      # counters only: the same
    out = cli("run", "hash-l4-nat", "--summary-only")
    assert out.returncode == 0 and "  drops: queue full 62 (provider2)\n" in out.stdout


# A Ctrl-C while a command line still imports the simulator (`import sim` and argparse take a few
# hundred milliseconds before main() catches KeyboardInterrupt) printed a traceback.  A real
# SIGINT, sent by the process to itself as Python starts importing a given module -- a
# sitecustomize on PYTHONPATH adds the import hook -- lands there every time, unlike a signal
# timed from outside on a busy machine.
_SIGINT_AT_IMPORT = '''
import importlib.abc, os, signal, sys
class _Once(importlib.abc.MetaPathFinder):
    fired = False
    def find_spec(self, name, path, target=None):
        if not _Once.fired and name == os.environ["SIGINT_AT_IMPORT"]:
            _Once.fired = True
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, _Once())
'''


def _interrupted_at_import(tmp_path, module: str, *argv: str):
    import signal
    (tmp_path / "sitecustomize.py").write_text(_SIGINT_AT_IMPORT)
    env = dict(os.environ, SIGINT_AT_IMPORT=module, PYTHONPATH=str(tmp_path))
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("module, argv, prog", [
    ("sim.scenarios", ("-m", "sim", "run", "ping"), "python -m sim"),        # in `import sim`
    ("sim.result", ("-m", "sim", "list"), "python -m sim"),
    ("sim.cli", ("-m", "sim", "run", "ping"), "python -m sim"),             # sim/__main__.py's imports
    ("sim.scenarios", ("-m", "sim.kernel", "list"), "python -m sim.kernel"),
    ("sim.cli", ("-m", "sim.kernel", "list"), "python -m sim.kernel"),
    ("sim.kernel.scenarios", ("-m", "sim.kernel", "list"), "python -m sim.kernel"),   # its parser()
    ("sim.scenarios", ("-m", "sim.bench", "--help"), "python -m sim.bench"),
])
def test_ctrl_c_while_a_command_line_starts_is_one_line_and_status_130(tmp_path, module, argv, prog):
    p = _interrupted_at_import(tmp_path, module, *argv)
    assert (p.returncode, p.stdout, p.stderr) == (130, "", f"{prog}: interrupted\n")


def test_ctrl_c_while_a_program_imports_sim_is_its_keyboard_interrupt(tmp_path):
    # a notebook, pytest, python -c: the program gets the KeyboardInterrupt (nothing exits for it)
    p = _interrupted_at_import(tmp_path, "sim.scenarios", "-c",
                               "try:\n import sim\nexcept KeyboardInterrupt:\n print('caught')")
    assert (p.returncode, p.stdout, p.stderr) == (0, "caught\n", "")


@pytest.mark.parametrize("orig_argv, prog", [
    (["python", "-m", "sim", "run", "ping"], "python -m sim"),
    (["python", "-msim.kernel", "list"], "python -m sim.kernel"),
    (["python", "-B", "-X", "importtime", "-W", "error", "-m", "sim.bench"], "python -m sim.bench"),
    (["python", "-m", "simple"], None),
    (["python", "-m", "pytest", "-m", "sim"], None),
    (["python", "script.py", "-m", "sim"], None),
    (["python", "-c", "import sim", "-m", "sim"], None),
    (["python"], None),
])
def test_the_command_line_is_read_from_python_s_own_options(monkeypatch, orig_argv, prog):
    from sim._start import command
    monkeypatch.setattr(sys, "orig_argv", orig_argv)
    assert command() == prog


# -- the lines' speeds, delays and weights (a network engineer's own router) -----------------

def test_line_speeds_delays_and_weights_are_options_recorded_and_shown(tmp_path):
    # sim.run took them; the command line had no way to give them, and `list` never showed them
    args = ["--uplinks", "3", "--down-kbit", "8000,4000,1000", "--up-kbit", "1000,512,256", "--delay-ms",
            "10,20,40", "--core-delay-ms", "7", "--remote-delay-ms", "3.5", "--multipath", "wrr",
            "--weights", "4,2,1", "--size", "20000"]
    pcap = tmp_path / "x.pcapng"
    out = cli("run", "equalize-public", *args, "--format", "json", "--pcap", str(pcap))
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    import sim
    same = sim.run("equalize-public", uplinks=3, down_kbit=[8000, 4000, 1000], up_kbit=[1000, 512, 256],
                   delay_ms=[10, 20, 40], core_delay_ms=7, remote_delay_ms=3.5, multipath="wrr", weights=[4, 2, 1],
                   size=20000)
    assert d == json.loads("".join(same.json_chunks()))            # the same run as sim.run's
    assert d["params"]["down_kbit"] == [8000, 4000, 1000] and d["params"]["weights"] == [4, 2, 1]
    assert d["params"]["delay_ms"] == [10, 20, 40] and d["params"]["core_delay_ms"] == 7
    assert b"down_kbit=8000,4000,1000" in pcap.read_bytes() and b"weights=4,2,1" in pcap.read_bytes()
    head = cli("run", "equalize-public", *args, "--summary-only").stdout.splitlines()[0]
    assert ("down_kbit=8000,4000,1000 up_kbit=1000,512,256 delay_ms=10,20,40 core_delay_ms=7 "
            "remote_delay_ms=3.5 weights=4,2,1") in head
    defaults = cli("list").stdout.splitlines()[0]
    for word in ("down_kbit=2000", "up_kbit=512", "delay_ms=10", "core_delay_ms=5", "remote_delay_ms=2",
                 "weights=1", "idle=660"):
        assert f" {word}" in defaults, defaults


def test_idle_is_an_option_of_the_scenario_that_reads_it():
    out = cli("run", "cache-expiry", "--idle", "30", "--format", "json")
    assert out.returncode == 0 and json.loads(out.stdout)["params"]["idle"] == 30
    refused = cli("run", "equalize-nat", "--idle", "30")
    assert refused.returncode == 2 and "--idle does not apply to equalize-nat" in refused.stderr


@pytest.mark.parametrize("args, said", [
    # each number checked as sim.run checks it, the bad one named as typed
    (["--down-kbit", "8000,0"], "--down-kbit must be kbit/s in 1..10000000, separated by commas, one for every "
                                "uplink or one per uplink (like 8000,4000,1000), got '0' in '8000,0'"),
    (["--up-kbit", "x"], "--up-kbit must be kbit/s in 1..10000000"),
    (["--weights", "4,2.5"], "--weights must be integers in 1..256, separated by commas, one for every uplink or "
                             "one per uplink (like 4,2,1), got '2.5' in '4,2.5'"),
    (["--weights", "257"], "got '257'"),
    (["--delay-ms", "nan"], "--delay-ms must be ms in 0.001..10000"),
    (["--core-delay-ms", "0"], "--core-delay-ms must be ms in 0.001..10000 (the simulation counts whole "
                               "microseconds), got '0'"),
    (["--remote-delay-ms", "inf"], "--remote-delay-ms must be ms in 0.001..10000"),
    # a count that is neither one nor one per uplink: the last value had been repeated, or the
    # extra ones ignored, without a word
    (["--uplinks", "3", "--weights", "4,2"], "--weights gives 2 values (4,2) for 3 uplinks: give one value for "
                                             "every uplink, or 3, one per uplink"),
    (["--down-kbit", "8000,4000,1000"], "--down-kbit gives 3 values (8000,4000,1000) for 2 uplinks"),
])
def test_line_options_are_refused_in_one_line_naming_value_and_rule(args, said):
    out = cli("run", "equalize-public", *args)
    assert out.returncode == 2 and out.stdout == "" and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert said in out.stderr, out.stderr


def test_sim_run_refuses_a_per_uplink_list_of_neither_one_nor_one_per_uplink():
    import sim
    for kw in ({"down_kbit": [8000, 4000]}, {"weights": [1, 2, 3, 4]}, {"delay_ms": [10, 20]}):
        with pytest.raises(sim.ParamError) as e:
            sim.run("equalize-public", uplinks=3, **kw)
        (name,) = kw
        assert e.value.param == name and str(e.value).startswith(f"{name} gives {len(kw[name])} values")
        assert "for 3 uplinks: give one value for every uplink, or 3, one per uplink" in str(e.value)
    assert sim.run("equalize-public", uplinks=3, down_kbit=[8000], size=3000).params.down_kbit == [8000]


# -- times below the clock's microsecond --------------------------------------------------------

@pytest.mark.parametrize("kw", [{"read_timeout": 1e-9}, {"down_at": 1e-7}, {"flush_at": [1, 5e-7]},
                                {"core_delay_ms": 1e-4}, {"delay_ms": [1e-4]}])
def test_a_time_below_one_microsecond_is_refused_by_sim_run(kw):
    # read_timeout 1e-9 was taken as int(1e-9 * 1e6) = 0: no read timeout at all; down_at 1e-7 as 0
    import sim
    (name,) = kw
    with pytest.raises(sim.ParamError) as e:
        sim.run("connection-level", multipath="wrr", **kw)
    assert e.value.param == name and "below the simulation's resolution of 1 microsecond" in str(e.value)
    assert "allowed" in str(e.value)


def test_one_microsecond_and_zero_are_still_times():
    import sim
    assert sim.run("connection-level", size=3000, read_timeout=1e-6, trace=False).params.read_timeout == 1e-6
    assert sim.run("ping", pings=1, down_at=0, trace=False).params.down_at == 0
    assert sim.run("ping", pings=1, down_at=1e-6, trace=False).params.down_at == 1e-6


@pytest.mark.parametrize("args, said", [
    (["--read-timeout", "1e-9"], "--read-timeout must be seconds in 1e-06..3600 (the simulation counts whole "
                                 "microseconds), or none (no read timeout), got '1e-9'"),
    (["--down-at", "1e-7"], "--down-at must be seconds in 0 or 1e-06..86400 (the simulation counts whole "
                            "microseconds), or none (no line fails), got '1e-7'"),
    (["--flush-at", "0.3,1e-7", "--multipath", "wrr"], "got '1e-7' in '0.3,1e-7'"),
    # said as the other options say it, not "--flush-at 1000000000.0 (in [1000000000.0]) out of range"
    (["--flush-at", "1e9"], "--flush-at must be seconds in 0 or 1e-06..86400 (the simulation counts whole "
                            "microseconds), separated by commas (like 0.3,12), got '1e9'"),
])
def test_a_time_below_one_microsecond_is_refused_by_the_command_line(args, said):
    out = cli("run", "connection-level", *args)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and said in out.stderr, out.stderr


# -- messages that name the command line's own options ------------------------------------------

@pytest.mark.parametrize("args, said, unsaid", [
    ([], "python -m sim: error: give a command: list (the scenarios and their parameters) or run SCENARIO",
     "required: cmd"),
    (["run"], "give a scenario to run: one of connection-level, ", "required: scenario"),
    # the flag is --no-bundle, and the scenario set bundle, not the user
    (["run", "multilink", "--down-at", "1"], "--down-at takes a whole uplink down; with --bundle the lines are one "
                                             "link (multilink sets --bundle): give --no-bundle", "bundle=false"),
    # the user never typed --down-at: uplink-down set it (an engineer read "--down-at" as theirs)
    (["run", "uplink-down", "--bundle"], "--down-at takes a whole uplink down; with --bundle the lines are one "
                                         "link, and uplink-down sets --down-at 1: give --down-at none for a run "
                                         "with no failing line, or --no-bundle", "down_at=None"),
    # the bad value is not restated as a fact ("the line of uplink 0 fails at 1 s"), nor "or more uplinks"
    (["run", "uplink-down", "--down-uplink", "0"], "--down-uplink 0 out of range: allowed 1..2 (the uplinks are "
                                                   "numbered from 1)", "uplink 0 fails"),
    (["run", "uplink-down", "--down-uplink", "-1"], "--down-uplink -1 out of range: allowed 1..2", "more uplinks"),
    (["run", "uplink-down", "--down-uplink", "3"], "give --down-uplink 1..2, or --uplinks 3 or more", "more uplinks"),
    # the user never typed --equalize: the scenario set it
    (["run", "equalize-nat", "--multipath", "hash-l4"], "--equalize is a route-cache flag: it needs --multipath "
     "random or wrr, not hash-l4, which has no route cache (equalize-nat sets --equalize: turn it off with "
     "--no-equalize)", "equalize=False"),
    (["run", "connection-level", "--multipath", "numgen", "--flush-at", "1"],
     "--flush-at flushes the route cache: --multipath numgen has none", "flush_at"),
])
def test_messages_name_the_options_of_the_command_line(args, said, unsaid):
    out = cli(*args)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert said in out.stderr and unsaid not in out.stderr, out.stderr


def test_sim_run_messages_name_parameters_as_python_does():
    import sim
    with pytest.raises(sim.ParamError) as e:
        sim.run("multilink", down_at=1)
    assert str(e.value).endswith("(multilink sets bundle): give bundle=False") and e.value.param == "down_at"
    with pytest.raises(sim.ParamError) as e:
        sim.run("equalize-nat", multipath="hash-l4")
    assert str(e.value).endswith("(equalize-nat sets equalize: turn it off with equalize=False)")


# -- addresses for uplinks that are not there ---------------------------------------------------

def test_a_bundle_takes_one_address_and_refuses_more():
    # multilink's lines are one link with one address: the second was silently ignored
    out = cli("run", "multilink", "--uplink-addrs", "203.0.113.2,198.51.100.2")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert ("--uplink-addrs gives 2 addresses, and with --bundle (multilink sets it) the uplinks are one link "
            "with one address: give one, the bundle's (or none for the article's), or --no-bundle") in out.stderr
    assert cli("run", "equalize-nat", "--bundle", "--uplink-addrs", "203.0.113.2,198.51.100.2").returncode == 2
    assert cli("run", "multilink", "--no-bundle", "--uplink-addrs", "203.0.113.2,198.51.100.2", "--size", "20000",
               "--summary-only").returncode == 0
    out = cli("run", "multilink", "--uplink-addrs", "203.0.113.2", "--size", "20000", "--summary-only")
    assert out.returncode == 0 and "server saw (203.0.113.2, " in out.stdout
    # sim.run: one address, or one per uplink as before (the golden multilink/addrs run), nothing else
    import sim
    assert sim.run("multilink", uplink_addrs=["203.0.113.2"], size=3000, trace=False).params.uplink_addrs == [
        "203.0.113.2"]
    with pytest.raises(sim.ParamError, match=r"must list 1 address, the bundle's \(with bundle \(multilink sets "
                                             r"it\) the uplinks are one link\), or 2 addresses"):
        sim.run("multilink", uplink_addrs=["203.0.113.2"] * 3)
    # more addresses than uplinks: refused, as before
    out = cli("run", "equalize-nat", "--uplink-addrs", "203.0.113.2,198.51.100.2,192.0.2.2")
    assert out.returncode == 2 and ("--uplink-addrs gives 3 addresses (203.0.113.2,198.51.100.2,192.0.2.2) for 2 "
                                    "uplinks: give 2, one per uplink") in out.stderr


def test_list_says_that_equalize_nat_depends_on_the_seed():
    # seed 1, the default, finishes at one line's speed: a reader who ran it saw no failure
    out = cli("list").stdout
    at = out.index("\nequalize-nat ")
    assert "the outcome depends on the seed" in " ".join(out[at:out.index("sets:", at)].split())


def test_every_refusal_of_run_names_the_run_command():
    """argparse refuses a bad value as ``python -m sim run: error:``; what the scenario or
    sim.run refuses after parsing says the same, not ``python -m sim:``."""
    says = {}
    for argv in (["--seed", "x"],                       # argparse's type check
                 ["--weights", "1,2,3"],                # sim.run's check of the uplinks
                 ["--pings", "3"]):                     # the scenario's own options
        p = subprocess.run([sys.executable, "-m", "sim", "run", "equalize-nat", *argv], cwd=ROOT,
                           capture_output=True, text=True)
        assert p.returncode == 2, (argv, p.stderr)
        says[argv[0]] = p.stderr.split(": error: ")[0]
    p = subprocess.run([sys.executable, "-m", "sim", "run", "nosuch"], cwd=ROOT, capture_output=True, text=True)
    says["scenario"] = p.stderr.split(": error: ")[0]
    assert set(says.values()) == {"python -m sim run"}, says


def test_a_pcap_where_no_file_can_be_made_is_refused_before_the_run(tmp_path, monkeypatch, capsys):
    """``--pcap /proc/x``: the folder exists and, to root, os.access calls it writable, but no
    file can be made there; the run went to its end and lost the capture.  Now making one (and
    removing it at once) is tried before the run, as ``atomic_open`` will make it."""
    import tempfile

    import sim.__main__ as cli_main
    import sim.scenarios
    from sim.cli import pcap_problem
    monkeypatch.setattr(sim.scenarios, "run", lambda *a, **k: pytest.fail("the run started"))
    monkeypatch.setattr(cli_main, "run", lambda *a, **k: pytest.fail("the run started"))
    if os.path.isdir("/proc"):
        assert cli_main.main(["run", "ping", "--pcap", "/proc/x"]) == 2
        assert capsys.readouterr().err.splitlines() == [
            "python -m sim run: error: --pcap '/proc/x': no file can be made in '/proc' (No such file or "
            "directory): give a file in a folder you may write to"]
    # anywhere a file can't be made (the same without root or /proc), and nothing is left
    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, dir=None, **k: (_ for _ in ()).throw(
        PermissionError(13, "Permission denied")) if dir == str(tmp_path) else real(*a, dir=dir, **k))
    assert pcap_problem(str(tmp_path / "x.pcapng")).startswith(
        f"--pcap '{tmp_path / 'x.pcapng'}': no file can be made in '{tmp_path}' (Permission denied)")
    monkeypatch.setattr(tempfile, "mkstemp", real)
    assert pcap_problem(str(tmp_path / "x.pcapng")) is None
    assert list(tmp_path.iterdir()) == []           # the trial file went with its answer


def test_a_long_list_of_addresses_is_said_by_its_length_not_in_full():
    """3000 --uplink-addrs printed a 40 kB message (the list's repr)."""
    addrs = ",".join(f"10.{i // 250}.{i % 250}.1" for i in range(3000))
    p = cli("run", "equalize-nat", "--uplink-addrs", addrs)
    assert p.returncode == 2 and len(p.stderr) < 300, len(p.stderr)
    assert p.stderr.strip() == ("python -m sim run: error: --uplink-addrs gives 3000 addresses "
                                "(10.0.0.1,10.0.1.1,10.0.2.1,...) for 2 uplinks: give 2, one per uplink (or leave "
                                "it out for the article's)")
    # a short list is still shown whole, as typed (no Python list)
    assert "gives 3 addresses (10.0.0.1,10.0.1.1,10.0.2.1) for 2 uplinks" in cli(
        "run", "equalize-nat", "--uplink-addrs", "10.0.0.1,10.0.1.1,10.0.2.1").stderr


@pytest.mark.parametrize("args, said", [
    (["run", "thought-question", "--seeds", "3"], "(did you mean --seed? python -m sim run --help lists them)"),
    (["run", "thought-question", "--down-kbps", "3"], "(did you mean --down-kbit? python -m sim run --help"),
    (["run", "thought-question", "--frobnicate", "3"], "--frobnicate 3 (python -m sim run --help lists them)"),
    (["list", "--seeds", "2"], "--seeds 2 (python -m sim list --help lists them)"),
])
def test_a_misspelt_option_is_answered_with_the_nearest_and_the_commands_help(args, said):
    """"unrecognized arguments: --seeds 3 (python -m sim COMMAND --help lists them)" left the
    reader to find --seed in a long help; the nearest option of the command given is named (none
    when nothing is near), and the help named is that command's."""
    out = cli(*args)
    assert out.returncode == 2 and said in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


@pytest.mark.parametrize("args", [["--down-kbit", "١٠٠٠,1000"], ["--down-at", "٣"], ["--delay-ms", "１０"]])
def test_numbers_in_other_scripts_digits_are_refused_as_integers_are(args):
    """`--seed ٣` was refused while `--down-kbit ١٠٠٠,1000` ran as 1000,1000 (float() reads any
    script's digits): every number option reads ASCII only, naming the value refused."""
    out = cli("run", "equalize-nat", *args, "--summary-only")
    assert out.returncode == 2 and repr(args[1].split(",")[0]) in out.stderr, out.stderr


def _uplink_lines(text: str) -> dict[str, str]:
    return {line.split()[0]: line for line in text.splitlines() if line.startswith("  if")}


def test_an_uplinks_rate_is_its_rate_while_it_carried_data_and_the_run_average_says_so():
    """`hash-l4-nat --uplinks 3 --down-kbit 8000,4000,1000`: the one flow on if1 had the 8000 kbit/s
    line for 0.2 s of a 10.8 s run, and the summary said only '151.7 kbit/s down', a run-average
    an engineer read as the line's use (38 times too low)."""
    out = cli("run", "hash-l4-nat", "--uplinks", "3", "--down-kbit", "8000,4000,1000", "--summary-only")
    assert out.returncode == 0, out.stderr
    if1 = _uplink_lines(out.stdout)["if1"]
    assert ("205600 bytes down, 8000.0 kbit/s while it carried data (0.204 s, its first data packet down to "
            "its last), 151.7 kbit/s averaged over the downloads' 10.844 s") in if1
    assert "total: 800000 bytes in 10.844 s (the first download's start to the last's end)" in out.stdout
    d = json.loads(cli("run", "hash-l4-nat", "--uplinks", "3", "--down-kbit", "8000,4000,1000",
                       "--format", "json").stdout)["summary"]
    u = d["uplinks"]["if1"]
    assert (u["down_bytes"], u["down_kbit_active"], u["down_kbit_avg"]) == (205600, 8000.0, 151.7)
    # the run-average is what it was (the book's tables read it): all bytes down over the downloads' time
    assert u["down_kbit_avg"] == round(u["down_bytes"] * 8 / d["seconds"] / 1e3, 1)
    assert u["down_active_to_s"] - u["down_active_from_s"] == pytest.approx(0.204, abs=5e-4)
    # no line carries more than its speed while it carries data (the first packet starts the clock)
    for dev, line in zip(("if1", "if2", "if3"), (8000, 4000, 1000)):
        assert d["uplinks"][dev]["down_kbit_active"] is None or d["uplinks"][dev]["down_kbit_active"] <= line
    assert d["uplinks"]["if2"]["down_packets"] == 0 and _uplink_lines(out.stdout)["if2"].endswith(": 0 packets up, 0 down")


def test_a_failed_download_keeps_the_total_and_the_uplinks_figures_and_names_it():
    """With a download that did not complete, the `total:` line and every uplink's rate were gone."""
    out = cli("run", "uplink-down", "--down-at", "0.3", "--summary-only")
    assert out.returncode == 0, out.stderr
    total = next(line for line in out.stdout.splitlines() if line.startswith("  total: "))
    assert total.startswith("  total: 1854020/2400000 bytes; 2 of 8 downloads did not complete "
                            "((192.168.0.1, 5001), (192.168.0.1, 5003))")
    ups = _uplink_lines(out.stdout)
    assert "1961780 bytes down, 1654.6 kbit/s while it carried data (9.477 s" in ups["if1"]
    assert "55660 bytes down" in ups["if2"] and "while it carried data" in ups["if2"]
    assert all("averaged" not in line for line in ups.values())        # no run time to average over
    d = json.loads(cli("run", "uplink-down", "--down-at", "0.3", "--format", "json").stdout)["summary"]
    assert d["throughput_kbit"] is None and all(u["down_kbit_avg"] is None for u in d["uplinks"].values())
    assert all(u["down_kbit_active"] for u in d["uplinks"].values())


@pytest.mark.parametrize("args, noted", [
    (["hash-l4-nat", "--uplinks", "3", "--down-kbit", "8000,4000,1000"], True),     # cc none, queue full
    (["hash-l4-nat", "--uplinks", "3", "--down-kbit", "8000,4000,1000", "--cc", "reno"], False),  # drops, but reno
    (["connection-level"], False),                                                 # cc none, no queue full
    (["ping", "--pings", "3"], False),                                             # no TCP
])
def test_a_fixed_window_that_overflowed_a_queue_is_noted(args, noted):
    """cc=none (the scenarios' default, kept: the book relies on it) overfills a slow line's queue
    ('queue full 181 (provider3)'), which an engineer laid at the balancing's door."""
    out = cli("run", *args, "--summary-only")
    assert out.returncode == 0, out.stderr
    notes = [line for line in out.stdout.splitlines() if line.startswith("  note: ")]
    assert notes == ([
        "  note: cc=none, a fixed window of 32 segments that never backs off, overfills a slow line's queue: the "
        "queue-full drops and the retransmissions after them are that sender's, not the balancing's (cc=reno, "
        "--cc reno: a sender that backs off)"] if noted else [])
    if noted:
        assert "queue full" in out.stdout and "cc=none" in out.stdout.splitlines()[0]


@pytest.mark.parametrize("prog, args, said", [
    ("sim", ["runn"], "python -m sim: error: unknown command 'runn': did you mean run? allowed are list, run"),
    ("sim", ["lsit"], "python -m sim: error: unknown command 'lsit': did you mean list? allowed are list, run"),
    ("sim", ["frob"], "python -m sim: error: unknown command 'frob': allowed are list, run"),
    ("sim", ["run", "equalize-nat", "--nat", "netfilt"],
     "python -m sim run: error: --nat: unknown value 'netfilt': did you mean netfilter? allowed are article, "
     "netfilter, snat, masquerade, none"),
    ("sim.kernel", ["comapre"], "python -m sim.kernel: error: unknown command 'comapre': did you mean compare? "
                                "allowed are list, clean, run, compare, table"),
])
def test_a_mistyped_command_or_choice_is_answered_with_the_nearest_and_the_allowed(prog, args, said):
    """`python -m sim runn` got argparse's "invalid choice: 'runn' (choose from 'list', 'run')",
    without the "did you mean" a mistyped scenario gets."""
    out = subprocess.run([sys.executable, "-m", prog, *args], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and out.stdout == "" and out.stderr.strip() == said


@pytest.mark.parametrize("args, said", [
    (["--remote-addrs", "2001:db8::1"],
     "--remote-addrs takes IPv4 addresses only, four numbers 0-255 separated by dots, the addresses separated by "
     "commas (like 200.0.0.1,210.0.0.1), got '2001:db8::1'"),
    (["--uplink-addrs", "100.0.0.1,2001:db8::1"], "--uplink-addrs takes IPv4 addresses only, four numbers 0-255 "
     "separated by dots, the addresses separated by commas (like 100.0.0.1,150.0.0.1), got '2001:db8::1' in "
     "'100.0.0.1,2001:db8::1'"),
    (["--remote-addrs", "203.0.113.2"], "--remote-addrs gives 1 address (203.0.113.2) for 2 remote hosts: give 2, "
     "one per remote host (or leave it out for the article's 200.0.0.1,210.0.0.1)"),
    (["--uplinks", "3", "--uplink-addrs", "203.0.113.2,198.51.100.2"], "--uplink-addrs gives 2 addresses "
     "(203.0.113.2,198.51.100.2) for 3 uplinks: give 3, one per uplink (or leave it out for the article's)"),
])
def test_address_lists_are_refused_in_words_without_a_python_list(args, said):
    """'--remote-addrs must list 2 addresses (or none for the article's), got ['2001:db8::1']': a
    Python list, and IPv4 only said nowhere."""
    out = cli("run", "equalize-nat", *args)
    assert out.returncode == 2 and out.stderr.strip() == f"python -m sim run: error: {said}"
    assert "[" not in out.stderr


def _main(argv, capsys):
    """``python -m sim ARGV`` in this process: (exit status, standard output, standard error)."""
    from sim.__main__ import main
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args, said", [
    (["--down-kbit", "-100,200"], "--down-kbit must be kbit/s in 1..10000000, separated by commas, one for every "
                                  "uplink or one per uplink (like 8000,4000,1000), got '-100' in '-100,200'"),
    (["--delay-ms", "-1e-3"], "--delay-ms must be ms in 0.001..10000 (the simulation counts whole microseconds), "
                              "separated by commas, one for every uplink or one per uplink (like 10,20,40), got '-1e-3'"),
    (["--down-at", "-inf"], "--down-at must be seconds in 0 or 1e-06..86400 (the simulation counts whole "
                            "microseconds), or none (no line fails), got '-inf'"),
    (["--seed", "-1e3"], "--seed must be an integer 0..9223372036854775807, got '-1e3'"),
    (["--seed", "-1"], "--seed must be an integer 0..9223372036854775807, got '-1'"),        # as before
    (["--size", "-0x10"], "--size must be an integer 1..100000000, got '-0x10'"),
    (["--uplink-addrs", "-1.2.3.4,5.6.7.8"], "--uplink-addrs takes IPv4 addresses only, four numbers 0-255 separated "
                                             "by dots, the addresses separated by commas (like 100.0.0.1,150.0.0.1), "
                                             "got '-1.2.3.4' in '-1.2.3.4,5.6.7.8'"),
    (["--down-k", "-5e3"], "--down-kbit must be kbit/s in 1..10000000, separated by commas, one for every "
                           "uplink or one per uplink (like 8000,4000,1000), got '-5e3'"),       # an abbreviation too
    (["--format", "-json"], "--format: unknown value '-json': did you mean json? allowed are text, json"),
])
def test_a_value_that_starts_with_a_minus_is_read_by_its_option(args, said, capsys):
    """argparse takes a word after an option for its value only when it looks like no option
    (-1 and -0.5 do; -1e-3, -inf, -100,200 do not): "argument --down-kbit: expected one argument"
    named neither the value nor what is allowed.  The option's own message now names both."""
    code, out, err = _main(["run", "equalize-nat", *args], capsys)
    assert code == 2 and out == "" and err == f"python -m sim run: error: {said}\n"


def test_every_option_of_run_that_takes_a_value_reads_one_that_starts_with_a_minus(capsys):
    from sim.__main__ import parser
    run = parser()._subparsers._group_actions[0].choices["run"]
    options = [a.option_strings[0] for a in run._actions if a.option_strings and a.nargs is None
               and a.option_strings[0] != "--pcap"]
    assert len(options) > 20
    for option in options:
        code, out, err = _main(["run", "equalize-nat", option, "-1e-3"], capsys)
        assert code == 2 and "'-1e-3'" in err and "expected one argument" not in err, (option, err)
        assert len(err.splitlines()) == 1, err


def test_a_capture_named_with_a_leading_minus_is_written_as_named(tmp_path, monkeypatch, capsys):
    """``--pcap -x.pcapng`` is a file name, as ``--pcap=-x.pcapng`` always was (it was refused:
    "expected one argument"); an option after ``--pcap`` is still an option, not a name."""
    monkeypatch.chdir(tmp_path)
    code, out, err = _main(["run", "ping", "--pings", "1", "--pcap", "-x.pcapng", "--summary-only"], capsys)
    assert code == 0 and err == "" and (tmp_path / "-x.pcapng").read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    code, out, err = _main(["run", "ping", "--pcap", "--summary-only"], capsys)
    assert code == 2 and "--pcap" in err and list(tmp_path.iterdir()) == [tmp_path / "-x.pcapng"]


@pytest.mark.parametrize("args, said", [
    (["connection-level", "--bundle", "--multipath", "hash-l4"],
     "--multipath hash-l4 chooses among the uplinks' routes, and with --bundle the uplinks are one link, one "
     "route: nothing to choose: leave out --multipath, or give --no-bundle"),
    (["connection-level", "--bundle", "--equalize"],
     "--equalize chooses again for every packet among the uplinks' routes, and with --bundle the uplinks are one "
     "link, one route: nothing to choose: leave out --equalize, or give --no-bundle"),
    (["multilink", "--weights", "3,1"],
     "--weights 3,1 weigh the choice among the uplinks' routes, and with --bundle (multilink sets it) the uplinks "
     "are one link, one route: nothing to choose: leave out --weights, or give --no-bundle"),
])
def test_an_option_that_chooses_among_routes_is_refused_with_the_bundle(args, said, capsys):
    """``--bundle --multipath hash-l4`` and ``--bundle --equalize`` ran, as the run without them:
    bundled, the uplinks are one link and one route, and an option a run does not read is refused."""
    code, out, err = _main(["run", *args], capsys)
    assert code == 2 and out == "" and err == f"python -m sim run: error: {said}\n"


def test_the_bundle_refuses_choices_in_sim_run_too_and_keeps_the_scenarios_own():
    import sim
    with pytest.raises(sim.ParamError) as e:
        sim.run("multilink", multipath="wrr")
    assert e.value.param == "multipath" and str(e.value) == (
        "multipath wrr chooses among the uplinks' routes, and with bundle (multilink sets it) the uplinks are "
        "one link, one route: nothing to choose: leave out multipath, or give bundle=False")
    # what the caller did not give is not refused: equalize-nat's own equalize, --no-equalize,
    # and the choices once the bundle is off
    sim.run("equalize-nat", bundle=True, size=2000)
    sim.run("multilink", equalize=False, size=2000)
    sim.run("multilink", bundle=False, multipath="wrr", equalize=True, weights=[3, 1], size=2000)


@pytest.mark.parametrize("args, said", [
    (["list", "equalize-nat"], "python -m sim list: error: list takes no scenario: it lists every one and what each "
                               "sets beyond the defaults (python -m sim list); to run equalize-nat: python -m sim run "
                               "equalize-nat (its options: python -m sim run --help)"),
    (["list", "Equalize_NAT"], "to run equalize-nat: python -m sim run equalize-nat"),
    (["list", "foo"], "python -m sim list: error: list takes no scenario or other word, got 'foo': python -m sim "
                      "list lists every scenario, python -m sim run SCENARIO runs one"),
    # an option is still one list does not have
    (["list", "--seeds", "2"], "python -m sim list: error: unrecognized arguments: --seeds 2 (python -m sim list "
                               "--help"),
])
def test_list_says_it_takes_no_scenario(args, said, capsys):
    """``list equalize-nat`` said "unrecognized arguments: equalize-nat (python -m sim list --help
    lists them)", as if list had options of that name."""
    code, out, err = _main(args, capsys)
    assert code == 2 and out == "" and said in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("args, said", [
    (["run", "Equalize-NAT"], "unknown scenario 'Equalize-NAT': did you mean equalize-nat? allowed are"),
    (["run", "EQUALISE-NAT"], "unknown scenario 'EQUALISE-NAT': did you mean equalize-nat? allowed are"),
    (["run", "equalize-nat", "--multipath", "RANDOM"], "--multipath: unknown value 'RANDOM': did you mean random?"),
    (["RUN"], "unknown command 'RUN': did you mean run? allowed are list, run"),
])
def test_a_name_in_another_case_is_the_nearest(args, said, capsys):
    """``run equalize_nat`` got "did you mean equalize-nat?", ``run Equalize-NAT`` only the list."""
    code, out, err = _main(args, capsys)
    assert code == 2 and said in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("args, prog", [(["run", "--help"], "python -m sim run"), (["--help"], "python -m sim"),
                                        (["--version"], "python -m sim"), (["list", "-h"], "python -m sim list")])
def test_help_that_cannot_be_written_is_one_line_and_exit_1(args, prog):
    """``run --help >/dev/full`` exited 0 with nothing written; a run's or list's output that
    can't be written is one line and status 1, and so is the help's now."""
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "sim", *args], stdout=full, stderr=subprocess.PIPE,
                             text=True, cwd=ROOT)
    assert out.returncode == 1
    assert out.stderr == f"{prog}: error: cannot write to standard output: No space left on device\n"


def test_a_whole_float_is_written_with_its_digits_not_in_exponent_form():
    """sim.scenarios.fmt_value (the pcap's header, a live panel's "what this run changed"): a
    download speed typed as 10000000 came back as "1e+07 kbit/s"."""
    from sim.scenarios import fmt_value
    assert fmt_value(1e7) == "10000000" and fmt_value(10_000_000) == "10000000"
    assert [fmt_value(v) for v in (1.0, 0.3, 12.5, [0.3, 12.0], None, [])] == ["1", "0.3", "12.5", "0.3,12", "none", "none"]
    assert fmt_value(1.5e-7) == "1.5e-07"         # (a fraction keeps its exponent: no digit made up)


# -- an engineer reproducing a router's problem (s45): messages as met -----------------------------

@pytest.mark.parametrize("args, said", [
    (["run", "uplink-down", "--down-kbit", "8000", "4000"],
     "--down-kbit takes one comma-separated list: --down-kbit 8000,4000 (got '8000 4000': a space ends the list)"),
    # before the scenario's name argparse took 4000 for it: "unrecognized arguments: uplink-down"
    (["run", "--down-kbit", "8000", "4000", "uplink-down"],
     "--down-kbit takes one comma-separated list: --down-kbit 8000,4000 (got '8000 4000': a space ends the list)"),
    (["run", "--down-kbit", "8000", "4000"],          # ... and with no name: "unknown scenario '4000'"
     "--down-kbit takes one comma-separated list: --down-kbit 8000,4000 (got '8000 4000': a space ends the list)"),
    (["run", "equalize-nat", "--weights=4", "2,", "1"],
     "--weights takes one comma-separated list: --weights 4,2,1 (got '4 2, 1': a space ends the list)"),
    (["run", "equalize-nat", "--remote-a", "13.0.0.1", "14.0.0.1"],
     "--remote-addrs takes one comma-separated list: --remote-addrs 13.0.0.1,14.0.0.1 (got '13.0.0.1 14.0.0.1': "
     "a space ends the list)"),
    (["run", "connection-level", "--nat", "masq"],
     "--nat: unknown value 'masq': did you mean masquerade? allowed are article, netfilter, snat, masquerade, none"),
    (["run", "connection-level", "--nat", "n"],
     "--nat: unknown value 'n': did you mean netfilter or none? allowed are article, netfilter, snat, masquerade, none"),
    (["run", "connection-level", "--multipath", "Hash"], "--multipath: unknown value 'Hash': did you mean hash-l3 or "
     "hash-l4? allowed are random, wrr, hash-l3, hash-l4, numgen, connmark"),
    (["run", "conn"], "unknown scenario 'conn': did you mean connection-level? allowed are connection-level, "),
    (["run", "equalize"], "unknown scenario 'equalize': did you mean equalize-public or equalize-nat? allowed are "),
    (["run", "connection-level", "--uplink", "3"], "--uplink is the start of more than one option: --uplinks or "
     "--uplink-addrs? give the one you mean in full (python -m sim run --help lists them)"),
    (["run", "connection-level", "--uplink=3"], "--uplink is the start of more than one option: --uplinks or "
     "--uplink-addrs? give the one you mean in full (python -m sim run --help lists them)"),
    (["run", "connection-level", "--d", "3"], "--d is the start of more than one option: --down-kbit, --delay-ms, "
     "--down-at or --down-uplink? give the one you mean in full (python -m sim run --help lists them)"),
])
def test_messages_an_engineer_met(args, said):
    """``--down-kbit 8000 4000`` got "unrecognized arguments: 4000"; ``--nat masq`` no suggestion
    where ``--nat MASQUERADE`` got one; ``--uplink 3`` argparse's raw "ambiguous option: --uplink
    could match --uplinks, --uplink-addrs"."""
    out = cli(*args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("python -m sim run: error: " + said), out.stderr
    assert out.stderr.count("\n") == 1


def test_an_unknown_option_is_named_by_its_commands_parser():
    """An engineer's finding: `run equalize-nat --bogus` said "python -m sim: error:" where every
    other message of run's options says "python -m sim run: error:"."""
    out = cli("run", "equalize-nat", "--bogus")
    assert out.returncode == 2 and out.stderr.startswith(
        "python -m sim run: error: unrecognized arguments: --bogus (python -m sim run --help lists them)"), out.stderr


def test_a_list_option_is_left_to_list_to_refuse():
    out = cli("list", "--down-kbit", "8000", "4000")
    assert out.returncode == 2 and "unrecognized arguments: --down-kbit 8000 4000" in out.stderr


def test_one_packet_is_one_packet():
    out = cli("run", "udp-equalize-nat", "--nat", "masquerade", "--seed", "2", "--summary-only")
    assert out.returncode == 0 and ": 1 packet up, " in out.stdout and "1 packets" not in out.stdout


def test_segments_answered_with_a_reset_are_not_counted_as_lost():
    """``drops: reset 10 (remote1)`` read as ten packets lost; they arrived, and the host that had
    no connection for them answered each with a reset."""
    import sim
    r = sim.run("equalize-nat", remote="rfc", seed=2, size=20_000)
    n = r.summary["drops"]["reset"]                 # (the JSON's reason stays "reset")
    text = r.summary_text()
    assert not any("reset" in line for line in text if line.startswith("  drops: "))
    assert r.summary["drops_at"]["reset"] == {"local1": 15, "remote1": 1} and n == 16
    assert ("  answered with a reset: 16 segments (local1 15, remote1 1) that no connection took where they "
            "arrived: not lost on the way") in text
