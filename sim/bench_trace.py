"""What a stored trace costs in memory: ``python -m sim.bench_trace [--size BYTES]``.

Runs the bulk download of ``python -m sim.bench`` (scenario ``connection-level``, seed 1)
with the trace on, under ``tracemalloc``, and prints the bytes each stored event holds:
the memory freed by dropping the trace -- the stored events (``sim.trace.Events``) and
every packet only the trace kept alive -- divided by the number of events.  Then where
those bytes go: the columns, the kinds' own fields, the packets.  The goal (issue 16, item 3) is 120 B per event.
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
    """Bytes per event of the stored trace's parts (``sim.trace.Events``; ``sys.getsizeof``):
    the columns (kind, time, node, TTL: arrays; the packet's base: a list), the list of the
    kinds' own fields and the distinct tuples it holds, the packets' bases (a packet without
    its TTL; a NAT's packet before included) and the distinct layer-4 headers they hold."""
    r = run(SCENARIO, seed=SEED, size=size)
    ev = r.events
    n = len(ev)
    ev.flush()
    count: Counter = Counter(e.ev.value for e in ev)
    infos = {id(x): x for x in ev._info}
    bases = {id(b): b for b in ev._base if b is not None}
    bases.update((id(x[0]), x[0]) for x in infos.values()
                 if isinstance(x, tuple) and x and type(x[0]) is tuple and len(x[0]) == 6)
    l4s = {id(b[4]): b[4] for b in bases.values()}
    return {"events": n, "kinds": count,
            "columns": sum(sys.getsizeof(c) for c in (ev._kind, ev._t, ev._node, ev._ttl, ev._base)) / n,
            "info": (len(infos), (sys.getsizeof(ev._info) + sum(map(sys.getsizeof, infos.values()))) / n),
            "bases": (len(bases), sum(map(sys.getsizeof, bases.values())) / n),
            "l4": (len(l4s), sum(map(sys.getsizeof, l4s.values())) / n)}


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
    print(f"  columns        {b['columns']:6.1f} B/event (kind, time, node, TTL: arrays; the bases: a list)")
    for name, what in (("info", "the kinds' own fields: a list, and the distinct tuples it holds"),
                       ("bases", "packets without their TTL, shared by every hop of a packet"),
                       ("l4", "the layer-4 headers the bases hold")):
        c, avg = b[name]
        print(f"  {name:<14} {avg:6.1f} B/event ({c:,} distinct objects: {what})")
    print("  (the rest: sequence numbers, IP ids and other integers the headers hold, the dicts that"
          " share node names, fields and packets, allocator overhead)")
    print("  events by kind: " + ", ".join(f"{k} {c:,}" for k, c in b["kinds"].most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
