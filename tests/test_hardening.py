"""A careless or hostile user: every parameter bounded and named, every file complete or
absent, every failing output one line (issue 15)."""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import resource
import stat
import subprocess
import sys

import pytest

import sim
from sim import ParamError
from helpers import cli
from sim._io import OutputError, atomic_open, atomic_write, write_stdout
from sim.scenarios import MAX_SECONDS, MAX_TRANSFER, make_params

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INF, NAN = math.inf, math.nan




# -- the Python API: every bad value is a ParamError naming the parameter and the value ---------

@pytest.mark.parametrize("kw, value", [
    ({"flush_at": [INF]}, "inf"), ({"flush_at": [NAN]}, "nan"), ({"flush_at": [1e300]}, "1e+300"),
    ({"flush_at": NAN}, "nan"), ({"flush_at": [MAX_SECONDS + 1]}, str(MAX_SECONDS + 1)),
    ({"down_at": INF}, "inf"), ({"down_at": NAN}, "nan"), ({"idle": INF}, "inf"), ({"idle": NAN}, "nan"),
    ({"down_kbit": [INF]}, "inf"), ({"down_kbit": 2000}, "2000"), ({"down_kbit": [1e-9]}, "1e-09"),
    ({"up_kbit": [0]}, "0"), ({"delay_ms": [NAN]}, "nan"), ({"delay_ms": [INF]}, "inf"),
    ({"weights": [0.5]}, "0.5"), ({"weights": [INF]}, "inf"), ({"weights": [1000]}, "1000"),
    ({"core_delay_ms": NAN}, "nan"), ({"read_timeout": INF}, "inf"),
    ({"trace": "no"}, "'no'"), ({"equalize": 1}, "1"), ({"seed": 2**63}, str(2**63)),
    ({"size": 10**10}, "10000000000"), ({"size": 1e5}, "100000.0"), ({"connections": 65}, "65"),
    ({"msg_size": 10**8}, "100000000"), ({"nat": ["x"]}, "['x']"),
    ({"uplink_addrs": [1, 2]}, "1"), ({"uplink_addrs": ["127.0.0.1", "150.0.0.1"]}, "'127.0.0.1'"),
    ({"uplink_addrs": ["224.0.0.1", "150.0.0.1"]}, "'224.0.0.1'"),
    ({"uplink_addrs": ["0.0.0.1", "150.0.0.1"]}, "'0.0.0.1'"),
    ({"remote_addrs": ["169.254.1.1", "210.0.0.1"]}, "'169.254.1.1'"),
    ({"remote_addrs": ["240.0.0.1", "210.0.0.1"]}, "'240.0.0.1'"),
    ({"remote_addrs": [" 9.9.9.9", "210.0.0.1"]}, "' 9.9.9.9'"),
])
def test_a_bad_value_is_a_param_error_naming_parameter_value_and_bound(kw, value):
    (name,) = kw
    with pytest.raises(ParamError) as e:
        sim.run("equalize-nat", **kw)
    msg = str(e.value)
    assert e.value.param == name and name in msg.split(":")[0] and value in msg, msg
    assert "allowed" in msg or "must" in msg or "not allowed" in msg, msg


@pytest.mark.parametrize("scenario, kw, name, words", [
    ("equalize-nat", {"size": 2_000_000, "connections": 64}, "size", ["128000000", str(MAX_TRANSFER)]),
    ("cache-expiry", {"size": 60_000_000}, "size", ["2 requests", "120000000"]),
    ("echo", {"messages": 10_000, "msg_size": 10_000_000}, "msg_size", ["messages x msg_size"]),
    ("thought-question", {"size": 11_000_000, "connections": 8}, "size", ["connections + 2"]),
])
def test_what_a_run_moves_is_bounded_together(scenario, kw, name, words):
    with pytest.raises(ParamError) as e:
        make_params(scenario, **kw)
    assert e.value.param == name
    for w in words:
        assert w in str(e.value)


def test_the_bounds_themselves_are_accepted():
    # (over a 1 kbit/s line a run moves a sixteenth of MAX_TRANSFER at most: tests/test_bounds.py)
    p = make_params("connection-level", size=MAX_TRANSFER // 16, flush_at=[0, MAX_SECONDS], idle=MAX_SECONDS,
                    down_at=MAX_SECONDS, down_kbit=[1, 10_000_000], weights=[1, 256], seed=2**63 - 1)
    assert p.size == MAX_TRANSFER // 16
    assert make_params("connection-level", size=MAX_TRANSFER, down_kbit=[16, 10_000_000]).size == MAX_TRANSFER
    assert make_params("echo", messages=10_000, msg_size=MAX_TRANSFER // 20_000).msg_size == 5000
    # a flush a simulated day away costs only the timers until then
    r = sim.run("connection-level", size=3000, flush_at=[MAX_SECONDS])
    assert r.sim.now >= MAX_SECONDS * 1_000_000 and r.summary["connections"][0]["complete"]


@pytest.mark.parametrize("kw, name, words", [
    ({"remote_addrs": ["100.0.0.1", "210.0.0.1"]}, "remote_addrs",
     ["'100.0.0.1' (remote host 1)", "uplink 1's default address 100.0.0.1"]),
    ({"uplink_addrs": ["200.0.0.1", "150.0.0.1"]}, "uplink_addrs",
     ["'200.0.0.1' (uplink 1)", "remote host 1's default address 200.0.0.1"]),
    ({"uplink_addrs": ["1.2.3.4", "210.0.0.9"]}, "uplink_addrs",
     ["'210.0.0.9' (uplink 2)", "remote host 2's default address 210.0.0.1"]),
    ({"uplinks": 3, "remote_addrs": ["151.0.0.9", "9.9.9.9"]}, "remote_addrs",
     ["uplink 3's default address 151.0.0.1"]),
])
def test_addresses_are_checked_against_the_defaults_too(kw, name, words):
    # before, these ran, and the run was a 9-event reset
    with pytest.raises(ParamError) as e:
        make_params("equalize-nat", **kw)
    assert e.value.param == name
    for w in words:
        assert w in str(e.value), str(e.value)


def test_list_parameters_given_as_tuples_are_lists():
    p = make_params("equalize-nat", down_kbit=(1000, 2000), uplink_addrs=("81.2.3.4", "62.7.8.9"))
    assert p.down_kbit == [1000, 2000] and p.uplink_addrs == ["81.2.3.4", "62.7.8.9"]


def test_down_uplink_message_says_what_to_do_when_the_user_never_gave_it():
    code, out, err = cli(["run", "uplink-down", "--uplinks", "1"])
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "the line of uplink 2 is to fail at 1 s" in err and "--down-uplink 1, or --uplinks 2 or more" in err


# -- the command line -------------------------------------------------------------------------

@pytest.mark.parametrize("argv, words", [
    # named as the option, not flush_at, and quoted as written (not "1e+300 (in [1e+300])")
    (["--flush-at", "inf"], ["--flush-at must be seconds in 0 or 1e-06..86400", "got 'inf'"]),
    (["--flush-at", "nan"], ["--flush-at must be", "got 'nan'"]),
    (["--flush-at", "1e300"], ["--flush-at must be", "got '1e300'"]),
    (["--down-at", "inf"], ["--down-at", "'inf'"]),
    (["--size", "10000000000"], ["--size must be an integer 1..100000000, got '10000000000'"]),
    (["--size", "1e10"], ["'1e10'"]),
    (["--remote-addrs", "100.0.0.1,210.0.0.1"], ["default address 100.0.0.1"]),
    (["--uplink-addrs", "127.0.0.1,150.0.0.1"], ["'127.0.0.1'", "loopback"]),
    (["--pcap", ""], ["--pcap ''"]),
    (["--summary-only", "--format", "json"], ["--summary-only", "--format text"]),
])
def test_cli_refuses_in_one_line_with_exit_2(argv, words):
    code, out, err = cli(["run", "equalize-nat", *argv])
    assert code == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    for w in words:
        assert w in err, err


def _sim(*args, **kw):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, **kw)


def test_a_full_disk_on_stdout_is_one_line_and_exit_1(tmp_path):
    with open("/dev/full", "w") as full:
        p = _sim("run", "equalize-nat", "--pcap", str(tmp_path / "x.pcapng"), stdout=full,
                 stderr=subprocess.PIPE, text=True)
    assert p.returncode == 1 and p.stderr.strip().splitlines() == [
        "python -m sim run: error: cannot write to standard output: No space left on device"]
    assert list(tmp_path.iterdir()) == []          # the capture waits for the trace: no file


def test_a_closed_stdout_is_one_line_and_exit_1(tmp_path):
    """Started with standard output closed (``>&-``): Python has no sys.stdout at all."""
    close_stdout = lambda: os.close(1)          # noqa: E731 - in the child, before Python starts
    for cmd, args in (("sim", ("list",)), ("sim", ("run", "equalize-nat", "--pcap", str(tmp_path / "x.pcapng"))),
                      ("sim.exercises", ("sheet", "--student", "alice", "--chapter", "2"))):
        p = subprocess.run([sys.executable, "-m", cmd, *args], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                           preexec_fn=close_stdout)
        assert p.returncode == 1, (cmd, args, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and "cannot write to standard output: it is closed" \
            in p.stderr, p.stderr
    assert list(tmp_path.iterdir()) == []          # the capture waits for the trace: no file


def _fsize(limit):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_file_size_limit_on_stdout_is_one_line_and_exit_1(tmp_path):
    with open(tmp_path / "t.json", "w") as f:
        p = _sim("run", "equalize-nat", "--format", "json", stdout=f, stderr=subprocess.PIPE, text=True,
                 preexec_fn=_fsize(20_000))
    assert p.returncode == 1 and "cannot write to standard output: File too large" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_a_pcap_that_cannot_be_written_leaves_no_file(tmp_path):
    p = _sim("run", "connection-level", "--size", "300000", "--pcap", str(tmp_path / "x.pcapng"),
             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=_fsize(50_000))
    # an output that failed: status 1, as a failed standard output (status 2 is bad input)
    assert p.returncode == 1 and "cannot write pcap" in p.stderr and "File too large" in p.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_goes_away_stops_the_command_quietly_with_status_141(tmp_path):
    """`python -m sim run equalize-nat | head -2`: as a Unix tool killed by SIGPIPE, no error
    and 128 + 13 (what a shell reports for one); a capture asked for is not written (it
    appears only once the trace went out).  A full disk or a file-size limit is still an
    error (test_a_file_size_limit_on_stdout_is_one_line_and_exit_1)."""
    for cmd, args in (("sim", ("run", "connection-level")),
                      ("sim", ("run", "connection-level", "--pcap", str(tmp_path / "x.pcapng"))),
                      ("sim", ("list",)), ("sim.kernel", ("list",)),
                      ("sim.exercises", ("sheet", "--student", "alice", "--chapter", "2"))):
        p = subprocess.Popen([sys.executable, "-m", cmd, *args], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdout.read(10) if args[0] == "run" else None
        p.stdout.close()                               # `| head -c 10`
        err = p.stderr.read()
        assert (p.wait(), err) == (141, ""), (cmd, args)
    assert list(tmp_path.iterdir()) == []



def test_one_large_write_to_a_reader_that_went_away_is_noticed(tmp_path):
    """write_stdout of one string larger than the pipe's buffer (a class's grade CSV, a long
    trace) into `| head -c 1`: Python 3.11 wrote the first 64 KB, lost the rest and reported
    success (status 0, the output cut).  Written in pieces, the reader's leaving is noticed."""
    script = tmp_path / "big.py"
    script.write_text("import sys\nfrom sim._io import ReaderGone, write_stdout\n"
                      "try:\n    write_stdout('x' * 100 + '\\n' + ('y' * 99 + '\\n') * 3000)\n"
                      "except ReaderGone:\n    sys.exit(141)\n")
    p = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    p.stdout.read(1)
    p.stdout.close()                                   # `| head -c 1`
    err = p.stderr.read()
    assert (p.wait(), err) == (141, "")

# -- files: complete or absent ----------------------------------------------------------------

def test_atomic_write_replaces_only_when_complete(tmp_path):
    target = tmp_path / "page.html"
    atomic_write(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_open(target, "w", encoding="utf-8") as f:
            f.write("half of the new")
            raise RuntimeError("disk gone")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_atomic_write_names_the_target_and_writes_devices_in_place(tmp_path):
    with pytest.raises(OSError) as e:
        atomic_write(tmp_path / "no" / "x.csv", "a,b\n")
    assert e.value.filename == str(tmp_path / "no" / "x.csv")
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path, "x")
    atomic_write(os.devnull, b"nothing")               # not replaced by a regular file
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_atomic_write_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    """-o LINK writes the file the link points to: the link stays a link (it was replaced by a
    plain file, and as root ``-o /dev/stdout`` replaced the machine's /dev/stdout), and the
    temporary file is made beside the target, not in the link's folder."""
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    target = tmp_path / "data" / "grades.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    link = tmp_path / "out" / "grades.csv"
    link.symlink_to(target)
    chain = tmp_path / "out" / "latest.csv"             # a link to a link
    chain.symlink_to(link)
    atomic_write(chain, "new\n")
    assert chain.is_symlink() and link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["grades.csv", "latest.csv"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["grades.csv"]
    dangling = tmp_path / "out" / "new.csv"             # a link to a file not made yet: made
    dangling.symlink_to(tmp_path / "data" / "new.csv")
    atomic_write(dangling, "x")
    assert dangling.is_symlink() and (tmp_path / "data" / "new.csv").read_text() == "x"


def test_atomic_write_through_a_link_to_an_open_descriptor_writes_in_place(tmp_path):
    """/dev/stdout is a link to /proc/self/fd/1, which leads to a pipe or a terminal: a link
    like it, made in a temporary folder, is written through and stays a link."""
    r, w = os.pipe()
    try:
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{w}")
        atomic_write(link, "through the pipe\n")
        assert link.is_symlink() and os.readlink(link) == f"/proc/self/fd/{w}"
        assert os.read(r, 100) == b"through the pipe\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]
    finally:
        os.close(r)
        os.close(w)
    # standard output redirected to a file (``> out.txt``): written through the descriptor,
    # in place -- the link stays, and the file the descriptor holds gets the text
    with open(tmp_path / "out.txt", "w") as held:
        link = tmp_path / "to-fd"
        link.symlink_to(f"/proc/self/fd/{held.fileno()}")
        atomic_write(link, "into the held file\n")
        assert link.is_symlink()
    assert (tmp_path / "out.txt").read_text() == "into the held file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "stdout", "to-fd"]


def test_write_stdout_turns_an_error_into_one_output_error():
    class Full(io.StringIO):
        def write(self, s):
            raise OSError(28, "No space left on device")
    with contextlib.redirect_stdout(Full()):
        with pytest.raises(OutputError, match="^cannot write to standard output: No space left on device$"):
            write_stdout(["a", "b"])


def test_every_writer_of_the_project_uses_the_shared_helper():
    """No module writes a file by itself (the kernel lab's captures are its own business)."""
    import pathlib
    import re
    bad = []
    for path in pathlib.Path(ROOT, "sim").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("sim/kernel/") or rel == "sim/_io.py":
            continue
        text = path.read_text()
        for m in re.finditer(r"\.write_text\(|\.write_bytes\(|(?<![\w.])open\([^)]*['\"][wa]b?['\"]", text):
            bad.append(f"{rel}: {m.group(0)}")
    assert bad == []


# -- JSON of every scenario, MPTCP's bytes included --------------------------------------------

def test_mptcp_json_carries_the_hmacs_as_hex_the_pcap_carries_as_bytes():
    from sim.pcap import mptcp_bytes
    r = sim.run("mptcp", seed=3, size=20_000)
    d = json.loads(r.to_json())
    joins = [(i, e["pkt"]["mptcp"]) for i, e in enumerate(d["events"])
             if e.get("pkt", {}).get("mptcp", [None])[0] in ("join-synack", "join-ack")]
    assert joins
    for i, opt in joins:
        raw = r.events[i].pkt.l4.mptcp
        assert bytes.fromhex(opt[1]) == raw.hmac
        assert bytes.fromhex(opt[1])[:8] in mptcp_bytes(raw)


def test_json_in_pieces_is_the_json_in_one():
    r = sim.run("equalize-nat", seed=2, size=3000)
    assert json.loads(r.to_json()) == json.loads(json.dumps(r.to_dict()))
    assert "".join(r.text_chunks()) == r.text()


# -- views ------------------------------------------------------------------------------------

def test_players_say_what_they_were_given():
    from sim.view import Compare, Player
    r = sim.run("equalize-nat", seed=1, size=3000)
    with pytest.raises(TypeError, match="expected the result of sim.run"):
        Player(None)
    with pytest.raises(TypeError, match="expected the result of sim.run"):
        Compare(r, "a run")
    assert Player(r, steps="hop").steps == Player(r, steps=("hop",)).steps
    with pytest.raises(ValueError, match="the run produced no events"):
        Player(sim.run("ping", pings=0))
    with pytest.raises(ValueError, match=r"run with trace=True"):
        Player(sim.run("ping", trace=False))


def test_the_live_player_never_keeps_a_rejected_value():
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    lp = LivePlayer("equalize-nat", seed=2**40, size=3000)
    assert lp.controls["seed"].value == 2**40 and lp.result.params.seed == 2**40
    before = dict(lp.params)
    assert lp.rerun(flush_at=[NAN]) is False and "flush_at nan" in lp.status.value
    assert lp.params == before
    assert lp.rerun(nat="netfilter") is True and lp.result.params.nat == "netfilter"
    assert lp.rerun(pings=0, seed=3) is False and "pings does not apply to equalize-nat" in lp.status.value
    assert lp.rerun(seed=3) is True
    assert lp.rerun(uplinks=6) is True and lp.controls["uplinks"].value == 6
    with pytest.raises(ParamError, match=r"seed 1152921504606846976 out of range for this live player: "
                                         r"allowed 0\.\.9007199254740991"):
        LivePlayer("equalize-nat", seed=2**60)
    for bad in (-5, ""):                  # named with the seed box's range, not sim.run's wider one
        assert lp.rerun(seed=bad) is False and "0..9007199254740991" in lp.status.value
        assert "9223372036854775807" not in lp.status.value
    ping = LivePlayer("ping")
    assert ping.rerun(pings=0) is False and "no events" in ping.status.value
    assert ping.params.get("pings") is None and ping.rerun(seed=4) is True


def test_the_exercise_tool_says_in_one_line_when_its_output_fails(tmp_path):
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "sim.exercises", "sheet", "--student", "alice",
                            "--chapter", "3"], cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines() == [
        "python -m sim.exercises sheet: cannot write to standard output: No space left on device"]
    p = subprocess.run([sys.executable, "-m", "sim.exercises", "sheet", "--student", "alice", "--chapter",
                        "3", "-o", str(tmp_path / "s.md")], cwd=ROOT, capture_output=True, text=True,
                       preexec_fn=_fsize(200))
    assert p.returncode == 2 and "s.md: File too large" in p.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_diagram_says_what_it_was_given():
    from sim.view import ladder_svg, narrate, packet_pane, state_svg, topology_svg
    for draw in (lambda: topology_svg(None, 3), lambda: state_svg(None, 3), lambda: ladder_svg(None),
                 lambda: ladder_svg(None, 3), lambda: packet_pane(None, 3), lambda: narrate(None, 3)):
        with pytest.raises(TypeError, match=r"expected the result of sim\.run\(\.\.\.\) or a kernel capture, got None"):
            draw()


def test_an_mptcp_session_whose_subflows_all_died_ends_the_run():
    """Per-packet balancing under MASQUERADE kills both of MPTCP's subflows at the server;
    its data-level retransmission timer then has nothing to send on and must stop, or the
    run never ends (it re-armed itself every simulated second, forever).  In a subprocess
    with a generous limit, so a regression fails instead of hanging the suite."""
    code = ("import sim; r = sim.run('mptcp', multipath='wrr', equalize=True, size=20000); "
            "print(r.summary['mptcp'][0]['complete'])")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert p.returncode == 0, p.stderr[-500:]
    assert p.stdout.split()[0] == "False"           # the download failed: it did not limp on


def test_numpy_numbers_are_the_numbers_they_hold():
    # np.arange, np.argmax and np.where give NumPy integers: a run, a step and a player take
    # them as the Python numbers they hold, and record the same trace
    np = pytest.importorskip("numpy")
    from sim.view import Player, narrate
    a = sim.run("equalize-nat", seed=np.int64(3), size=np.int64(3000), weights=[np.int64(2)],
                delay_ms=[np.float32(5)], equalize=np.True_)
    b = sim.run("equalize-nat", seed=3, size=3000, weights=[2], delay_ms=[5.0], equalize=True)
    assert a.to_json() == b.to_json()
    assert narrate(a, np.int64(2)) == narrate(b, 2)
    assert Player(a, start=np.int64(3), steps=list(np.arange(5, 20))).frames == \
        Player(b, start=3, steps=list(range(5, 20))).frames
    with pytest.raises(sim.ParamError, match="seed must be an integer .* got 3.5"):
        sim.run("equalize-nat", seed=np.float64(3.5))


def test_a_replay_from_after_the_run_says_so_in_the_players_words():
    # "pass steps= or widen start/stop" named options LivePlayer does not have
    from sim.view.inpage import draw, run as page_run
    from sim.view.live import LiveFrames
    r = sim.run("equalize-nat", seed=3, size=20_000)
    with pytest.raises(ValueError, match=r"start_at 5 s: no packet moves from then on \(the run's last event is at"):
        LiveFrames(r, start_at=5)
    assert json.loads(page_run("equalize-nat", '{"size": 20000}', '{"seed": 3}'))["events"] == len(r.events)
    assert "no packet moves from then on" in json.loads(draw("t", 200, "5"))["error"]
    assert "start_at must be simulated seconds" in json.loads(draw("t", 200, '"x"'))["error"]
    assert "not JSON objects" in json.loads(page_run("equalize-nat", "{}", "[1, 2]"))["error"]


def test_a_link_someone_else_planted_is_replaced_not_followed(tmp_path):
    """atomic_open follows only the caller's own links outside a sticky folder: a rename is
    not an open, so fs.protected_symlinks never asks, and root writing --pcap /tmp/x.pcapng
    through a link another user planted there (or the grader writing into a folder a class's
    archive unpacked links into) would overwrite the link's target."""
    import os
    import stat as st
    from sim._io import atomic_write
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    (sticky / "out").symlink_to(victim)
    atomic_write(sticky / "out", "written")
    assert victim.read_text() == "keep me"
    assert not (sticky / "out").is_symlink() and (sticky / "out").read_text() == "written"
    assert st.S_ISVTX & os.stat(sticky).st_mode


def test_a_bad_parameter_in_a_notebook_cell_shows_its_message_not_a_traceback():
    """In Jupyter or Binder, ``LivePlayer("nope")`` or ``sim.run(..., sed=1)`` showed the
    clear ParamError under 20-42 lines of the simulator's frames (a student's finding).  IPython
    shows what an exception's ``_render_traceback_`` gives: the message alone, one line."""
    InteractiveShell = pytest.importorskip("IPython.core.interactiveshell").InteractiveShell
    sh = InteractiveShell.instance()
    for code, said in (("import sim\nsim.run('nope')", "ParamError: unknown scenario 'nope': allowed are connection-level, "),
                       ("import sim\nsim.run('equalize-nat', sed=1)", "ParamError: unknown parameter 'sed': allowed are "),
                       ("from sim.view import LivePlayer\nLivePlayer('equalize-nat', seed=-1)",
                        "ParamError: seed -1 out of range for this live player: allowed 0..")):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            sh.run_cell(code)
        shown = out.getvalue()
        assert shown.startswith(said) and shown.count("\n") == 1 and "Traceback" not in shown, shown[-600:]
