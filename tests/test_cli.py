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
    (["run", "equalize-nat", "--flush-at", "x"], ["error: --flush-at wants seconds"]),
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
    assert err == [f"python -m sim: error: --pcap '{tmp_path / 'x.pcapng'}': the folder '{folder}' is not "
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
    assert f"none, a fixed window of {WINDOW} bytes" in helps["--cc"] and WINDOW == 32 * 1460
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
    assert "above 0, at most 3600" in helps["--read-timeout"]


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
                        "down_at=none down_uplink=2")
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
