"""Soak the kernel lab's tests: run tests/test_kernel.py several times in a row while
CPU-bound processes keep every core busy, and print each run's result.

    sudo .venv/bin/python tests/kernel_soak.py                 # 5 runs, 4 busy processes
    sudo .venv/bin/python tests/kernel_soak.py --runs 3 --burners 6 -- -k uplink_down

A kernel test that passes on a quiet machine and fails on a loaded one is broken: this is
how to see it.  Not part of ``make test`` (it takes minutes); ``make kernel-soak`` runs it.
The busy processes are this script's children (``while True: pass``): they are killed
when it ends, and die with it if it is killed (PR_SET_PDEATHSIG).  Exit status: 0 when
every run passed.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import platform
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)      # PR_SET_PDEATHSIG


def _burner() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            preexec_fn=_die_with_parent)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kernel_soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="how many runs of the kernel tests")
    p.add_argument("--burners", type=int, default=4, help="CPU-bound processes kept running")
    p.add_argument("--log", metavar="PREFIX", help="write a failed run's output to PREFIX.runN")
    p.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    a = p.parse_args(argv)
    if not 1 <= a.runs <= 100 or not 0 <= a.burners <= 64:
        p.error(f"--runs must be 1..100 and --burners 0..64, got {a.runs} and {a.burners}")
    cmd = [sys.executable, "-m", "pytest", "tests/test_kernel.py", "-q", "-p", "no:cacheprovider",
           *a.pytest_args]
    print(f"kernel soak: {a.runs} run(s) of {' '.join(cmd[2:])} with {a.burners} CPU-bound "
          f"process(es) on {os.cpu_count()} core(s); {platform.node()}, Linux "
          f"{platform.release()}, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}", flush=True)
    burners = [_burner() for _ in range(a.burners)]
    passed = 0
    try:
        for k in range(1, a.runs + 1):
            t0 = time.monotonic()
            r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            secs = time.monotonic() - t0
            tail = [l for l in r.stdout.splitlines() if l.strip()]
            last = tail[-1] if tail else (r.stderr.strip().splitlines() or ["no output"])[-1]
            failed = re.findall(r"^(?:FAILED|ERROR) (.+)$", r.stdout, re.M)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            ok = r.returncode == 0
            passed += ok
            print(f"run {k}: {'passed' if ok else 'FAILED'} in {secs:.0f} s (load average "
                  f"{load}): {last.strip('= ')}", flush=True)
            for line in failed:                          # test name - first line of why
                print(f"  failed: {line[:400]}", flush=True)
            if not ok and a.log:
                with open(f"{a.log}.run{k}", "w") as f:
                    f.write(r.stdout + r.stderr)
                print(f"  full output: {a.log}.run{k}", flush=True)
            if not ok and not failed:
                print("\n".join("  " + l for l in (r.stdout + r.stderr).splitlines()[-20:]),
                      flush=True)
    finally:
        for b in burners:
            b.kill()
        for b in burners:
            b.wait()
    print(f"kernel soak: {passed}/{a.runs} runs passed", flush=True)
    return 0 if passed == a.runs else 1


if __name__ == "__main__":
    sys.exit(main())
