"""SIGTERM and SIGHUP as a user sends them: ``timeout 9 python -m sim run ... --pcap f.pcapng``
left a hidden ``.f.pcapng.XXXX.part`` beside it (only a Python exception unwinding removed it,
and only Ctrl-C was caught), with the interpreter's own death and no word.  They are taken as
Ctrl-C is: one line, status 128 + the signal, no file, whole or partial, left behind."""
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEADLINE = 120          # s: the longest the test waits for what it waits for (no figure is asserted)


def _start(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def _wait_for(what, proc):
    end = time.monotonic() + DEADLINE
    while not what():
        assert proc.poll() is None, f"the command ended first: {proc.returncode} {proc.stderr.read()!r}"
        assert time.monotonic() < end, "waited too long"
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_the_capture_is_written_leaves_no_file(tmp_path, sig):
    """The run's text fills the pipe nobody reads, so the command waits with the capture's
    temporary file open (it appears only once the trace went out): the signal comes then."""
    target = tmp_path / "f.pcapng"
    proc = _start(["run", "connection-level", "--size", "1000000", "--pcap", str(target)])
    _wait_for(lambda: any(n.endswith(".part") for n in os.listdir(tmp_path)), proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=DEADLINE)
    assert err.decode() == "python -m sim: terminated\n"
    assert proc.returncode == 128 + sig
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_the_trace_is_written_is_one_line(sig):
    proc = _start(["run", "connection-level", "--size", "1000000"])
    proc.stdout.read(1)                     # it writes: it is past its start
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=DEADLINE)
    assert err.decode() == "python -m sim: terminated\n" and proc.returncode == 128 + sig


def test_the_handlers_are_put_back_after_main():
    """``main()`` in a program (a test, a notebook) leaves the program's own handlers."""
    from sim.__main__ import main
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    assert main(["list"]) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before
