"""What the largest runs the parameter bounds allow cost: wall time, CPU time, peak memory.

    python -m sim.bounds            # every case (several minutes)
    python -m sim.bounds --quick    # the same cases at a tenth of the bytes

Each case is a command line at the edge of ``sim.scenarios``' bounds (MAX_TRANSFER bytes
moved, a simulated day of timers; over a 1 kbit/s line, the slowest allowed, the bytes
``slow_line_transfer`` allows), run in its own process with its output thrown away.
The bounds are meant to keep every accepted run to about a minute of one core and well
under 2 GB; this prints the figures that say whether they do on this machine.  ``--quick``
checks that every case runs, not what it costs: a cost that grows faster than the bytes
(MPTCP's did, with the square of the size) shows only at full size.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from .scenarios import MAX_SECONDS, MAX_TRANSFER, slow_line_transfer

T = MAX_TRANSFER
#: the most a run with a 1 kbit/s line may move, up or down (where a byte costs the most to simulate)
SLOW = slow_line_transfer(1)


def cases(scale: float) -> list[list[str]]:
    n = lambda v: str(max(1, int(v * scale)))
    return [
        ["connection-level", "--size", n(T), "--format", "json"],
        ["hash-l4-nat", "--connections", "64", "--size", n(T // 64), "--format", "json"],
        ["flashget", "--size", n(T // 8)],
        ["cache-expiry", "--size", n(T // 2)],
        ["uplink-down", "--size", n(T // 8)],
        ["thought-question", "--size", n(T // 10)],
        ["mptcp", "--size", n(T)],
        ["mptcp", "--size", n(T), "--format", "json"],
        # the slowest lines: segments overflow the queue and outwait their timers, so each
        # byte is sent several times (the worst measured per byte: flashget, thought-question)
        ["connection-level", "--size", n(SLOW), "--down-kbit", "1", "--up-kbit", "1", "--format", "json"],
        ["flashget", "--size", n(SLOW // 8), "--down-kbit", "1", "--up-kbit", "1"],
        ["thought-question", "--size", n(SLOW // 10), "--down-kbit", "1", "--up-kbit", "1"],
        ["echo", "--nat", "snat", "--messages", "10000", "--msg-size", n(T // 20_000)],
        ["ping", "--pings", "10000"],
        ["connection-level", "--size", "3000", "--flush-at", str(MAX_SECONDS)],
    ]


CHILD = """
import json, resource, sys, time
from sim.__main__ import main
t = time.perf_counter()
code = main(["run", *sys.argv[1:]])          # its output goes to /dev/null, its figures to stderr
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"code": code, "wall": time.perf_counter() - t, "cpu": u.ru_utime + u.ru_stime,
                  "mb": u.ru_maxrss / 1024}), file=sys.stderr)
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.bounds", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the bytes")
    args = ap.parse_args(argv)
    print(f"{'case':<72} {'exit':>4} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}")
    for case in cases(0.1 if args.quick else 1.0):
        out = subprocess.run([sys.executable, "-c", CHILD, *case], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            f = json.loads(out.stderr.strip().splitlines()[-1])
        except (IndexError, ValueError):
            print(f"{' '.join(case):<72} failed: {out.stderr.strip()[-200:]}")
            continue
        print(f"{' '.join(case):<72} {f['code']:>4} {f['wall']:7.1f} {f['cpu']:7.1f} {f['mb']:8.0f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
