"""What a stored trace costs in memory: ``python -m sim.bench_trace [--size BYTES]``.

Runs the bulk download of ``python -m sim.bench`` (scenario ``connection-level``, seed 1)
with the trace on, under ``tracemalloc``, and prints the bytes each stored event holds:
the memory freed by dropping the trace -- the event records and every packet only the
trace kept alive -- divided by the number of events.  Then where those bytes go: the
records themselves (``sys.getsizeof``, by kind) and the packets they hold (the packet
records, their IP and layer-4 headers).  The goal (issue 16, item 3) is 120 B per event.
"""
from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from collections import Counter

from . import run

SCENARIO, SEED = "connection-level", 1
GOAL_BYTES = 120.0


def held_per_event(size: int) -> tuple[float, int]:
    """(bytes the stored trace holds per event, number of events) of one run."""
    gc.collect()
    tracemalloc.start()
    try:
        r = run(SCENARIO, seed=SEED, size=size)
        n = len(r.events)
        cur = tracemalloc.get_traced_memory()[0]
        r.sim.trace.events = []
        r.events = None
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (cur - after) / n, n


def breakdown(size: int) -> dict:
    """Bytes per event of the records and of the distinct packets (and headers) they hold."""
    r = run(SCENARIO, seed=SEED, size=size)
    n = len(r.events)
    by_kind: Counter = Counter()
    count: Counter = Counter()
    pkts = {}
    for e in r.events:
        by_kind[e.ev.value] += sys.getsizeof(e)
        count[e.ev.value] += 1
        for p in (e.pkt, getattr(e, "before", None)):
            if p is not None:
                pkts[id(p)] = p
    ips = {id(p.ip): p.ip for p in pkts.values()}
    l4s = {id(p.l4): p.l4 for p in pkts.values()}
    return {"events": n, "records": sum(by_kind.values()) / n,
            "kinds": {k: (count[k], by_kind[k] / count[k]) for k in count},
            "packets": (len(pkts), sum(sys.getsizeof(p) for p in pkts.values()) / n),
            "ip": (len(ips), sum(sys.getsizeof(h) for h in ips.values()) / n),
            "l4": (len(l4s), sum(sys.getsizeof(h) for h in l4s.values()) / n)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.bench_trace", description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=2_000_000, help="bytes downloaded (default 2,000,000)")
    args = ap.parse_args(argv)
    if not 10_000 <= args.size <= 100_000_000:
        ap.error(f"--size must be 10000..100000000 bytes, got {args.size}")
    per, n = held_per_event(args.size)
    b = breakdown(args.size)
    print(f"sim.bench_trace: scenario {SCENARIO}, seed {SEED}, {args.size:,} bytes, {n:,} stored events")
    print(f"stored trace: {per:.1f} B per event (tracemalloc; goal <= {GOAL_BYTES:g} B: "
          f"{'met' if per <= GOAL_BYTES else 'NOT MET'})")
    print(f"  event records  {b['records']:6.1f} B/event (sys.getsizeof)")
    for k, (c, avg) in sorted(b["kinds"].items(), key=lambda kv: -kv[1][0]):
        print(f"    {k:<8} {c:>8,} events, {avg:5.1f} B each")
    for name in ("packets", "ip", "l4"):
        c, avg = b[name]
        print(f"  {name:<14} {avg:6.1f} B/event ({c:,} distinct objects)")
    print("  (the rest: times, sequence numbers and other integers the records and headers hold,"
          " allocator overhead)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
