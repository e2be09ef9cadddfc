"""A benchmark that prints figures: ``python -m sim.bench [--size BYTES] [--repeat N]``.

The workload is one bulk download (scenario ``connection-level``: Local host 1
fetches ``size`` bytes from Remote host 1 over one of the two uplinks,
behind the article's NAT), run four ways, interleaved in one process so
that a busy machine slows them all alike:

* the engine, counters only (``trace=False``);
* the engine with the trace on (every event stored);
* the floor: the same download through the same network written by hand on
  a bare ``heapq`` (``sim.bench_floor.download``): packets with headers, the
  devices' queues, the routers' TTL and route lookups, the Linux router's
  route cache and masquerade, the hosts' sockets and TCP -- what the network
  does to each packet, as tightly as plain Python does it, and none of what
  a reader looks at afterwards (counters, trace, reasons);
* the timing alone (``sim.bench_floor.download_bare``): the same packets'
  times on the same devices and nothing else, the event loop's own cost;
* SimPy, written the way SimPy is meant to be used (``sim.bench_simpy``;
  processes, ``Store`` queues; skipped, and said so, without SimPy).

Before timing anything it checks that all of them model the same download:
the same number of hop events and the same simulated end time, to the
microsecond; a difference stops the bench with exit status 1.  Then it runs
``repeat`` rounds (each round runs every model once, in a rotating order) and
prints, per model, the minimum and median CPU µs per hop and the ratios to the
floor's and to the bare timing's.  Goals, judged from the medians: the engine within 2x the floor
counters-only, 2.5x with the trace on.

Memory: ``tracemalloc`` on one run (``--mem-size`` bytes) with the trace on:
the bytes each stored event holds (the goal: at most 120).

``--parts`` times two more models in the same rounds, to say where the engine's time goes
beyond the floor's: the engine counters-only without NAT (``nat="none"``: public LAN
addresses, the same hops and end time; the difference is what the masquerade costs), and
the engine with the trace on whose events are appended to the pending list but never
compacted (``Events.flush`` empties it: the trace's storing alone; the rest of the trace
on's extra time is the compaction into the columns).  It prints those parts per hop, and
what share of each goal's gap each part is.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc

from . import run
from .cli import OneLineParser, checked
from .bench_floor import download as floor_download, download_bare
from .scenarios import MAX_TRANSFER
from .trace import Ev, Events

SCENARIO = "connection-level"
SEED = 1
SIZE = 10_000_000           # bytes: about 43,000 hop events
REPEAT = 7
MEM_SIZE = 2_000_000
SIZE_MIN, REPEAT_MAX = 10_000, 100

GOAL_COUNTERS = 2.0         # x the floor, counters only
GOAL_TRACE = 2.5            # x the floor, trace on
GOAL_BYTES = 120.0          # per stored trace event

FLOOR = "floor (network by hand)"
BARE = "timing alone (heapq)"


def _int_in(lo: int, hi: int):
    return checked(int, lambda v: lo <= v <= hi, f"{{value}} out of range: allowed {lo}..{hi}",
                   bad="expected an integer, got {got}")


def parse_args(argv=None) -> argparse.Namespace:
    p = OneLineParser(prog="python -m sim.bench",
                      description="Time the engine against a hand-written floor and SimPy on one download.")
    p.add_argument("--size", type=_int_in(SIZE_MIN, MAX_TRANSFER), default=SIZE, metavar="BYTES",
                   help=f"bytes downloaded (default {SIZE}, about 43,000 hop events)")
    p.add_argument("--repeat", type=_int_in(1, REPEAT_MAX), default=REPEAT, metavar="N",
                   help=f"rounds, each running every model once (default {REPEAT})")
    p.add_argument("--mem-size", type=_int_in(SIZE_MIN, MAX_TRANSFER), default=MEM_SIZE,
                   metavar="BYTES", help=f"bytes of the tracemalloc run (default {MEM_SIZE})")
    p.add_argument("--parts", action="store_true",
                   help="also time the engine without NAT and with the trace stored but not compacted, "
                        "and print what each part costs")
    return p.parse_args(argv)


# -- the models: each returns (hop events, simulated end time in µs) ------------------------------

def engine(size: int, trace: bool) -> tuple[int, int]:
    r = run(SCENARIO, seed=SEED, size=size, trace=trace)
    # the download's own summary (Result.connection), not the whole run's: the bench times the
    # engine, and the summary's per-uplink rates read the stored trace afterwards
    if not r.connection(0)["complete"]:
        raise SystemExit(f"sim.bench: the {size}-byte download did not complete")
    return r.sim.trace.counts[Ev.HOP], r.sim.now


def engine_without_nat(size: int) -> tuple[int, int]:
    """The engine counters-only, its LAN on public addresses (``nat="none"``): no masquerade."""
    r = run(SCENARIO, seed=SEED, size=size, trace=False, nat="none")
    if not r.connection(0)["complete"]:
        raise SystemExit(f"sim.bench: the {size}-byte download without NAT did not complete")
    return r.sim.trace.counts[Ev.HOP], r.sim.now


def engine_uncompacted(size: int) -> tuple[int, int]:
    """The engine with the trace on, its events appended to the pending list and then dropped
    (``Events.flush`` only empties it): the storing without the compaction.  Counts are kept
    where the events happen, so the hops are the same."""
    flush = Events.flush
    Events.flush = _drop_pending
    try:
        return engine(size, True)
    finally:
        Events.flush = flush


def _drop_pending(self) -> None:
    self.pending.clear()


NO_NAT = "engine, no NAT"
UNCOMPACTED = "engine, trace stored only"


def models(parts: bool = False) -> dict:
    out = {"engine, counters only": lambda size: engine(size, False),
           "engine, trace on": lambda size: engine(size, True),
           FLOOR: floor_download,
           BARE: download_bare}
    if parts:
        out[NO_NAT] = engine_without_nat
        out[UNCOMPACTED] = engine_uncompacted
    try:
        from .bench_simpy import download as simpy_download
        import simpy  # noqa: F401
    except ImportError:
        return out
    out["SimPy, idiomatic"] = simpy_download
    return out


def check(size: int, ms: dict) -> dict:
    """Every model's (hops, end time) for ``size``; SystemExit if they differ."""
    got = {name: fn(size) for name, fn in ms.items()}
    if len(set(got.values())) != 1:
        lines = "; ".join(f"{name}: {h} hops, end {t} µs" for name, (h, t) in got.items())
        raise SystemExit(f"sim.bench: the models do not agree on the {size}-byte download: {lines}")
    return got


def rounds(size: int, repeat: int, ms: dict) -> dict[str, list[float]]:
    """CPU seconds per run of every model, ``repeat`` rounds, the order rotating each round.
    CPU time, not wall time: on a machine shared with other jobs, a run that waits for a
    core is not charged for the wait (wall times of short runs swung tenfold at a load of 20)."""
    names = list(ms)
    times: dict[str, list[float]] = {n: [] for n in names}
    for i in range(repeat):
        for name in names[i % len(names):] + names[:i % len(names)]:
            gc.collect()
            t0 = time.process_time()
            ms[name](size)
            times[name].append(time.process_time() - t0)
    return times


def memory(size: int) -> dict:
    """tracemalloc on one trace-on run: the bytes the stored events hold, per event."""
    gc.collect()
    tracemalloc.start()
    try:
        r = run(SCENARIO, seed=SEED, size=size, trace=True)
        cur = tracemalloc.get_traced_memory()[0]
        stored = len(r.events)
        # drop the trace -- and with it every packet only the trace kept alive
        r.sim.trace.events = []
        r.events = None
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        del r
    finally:
        tracemalloc.stop()
    return {"stored": stored, "per_event": (cur - after) / stored if stored else 0.0}


# -- output ---------------------------------------------------------------------------------------

def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def say_check(size: int, ms: dict) -> int:
    """What is run, and that every model counts the same hops: returns their number."""
    say(f"sim.bench: scenario {SCENARIO}, seed {SEED}: one {size:,}-byte download "
        f"(1 TCP connection, 2 uplinks, random multipath, the article's NAT)")
    if "SimPy, idiomatic" not in ms:
        say("  SimPy is not installed (pip install -e '.[dev]'): its row is left out")
    hops, end = next(iter(check(size, ms).values()))
    say(f"check: every model counts {hops:,} hop events and ends at {end / 1e6:.6f} s simulated")
    return hops


def say_times(times: dict[str, list[float]], hops: int) -> dict[str, float]:
    """The table of CPU µs per hop; returns each model's median over the floor's."""
    say(f"{len(next(iter(times.values())))} rounds, each model once per round, order rotating; "
        "CPU time of this process")
    say()
    floor = statistics.median(times[FLOOR]) / hops
    bare = statistics.median(times[BARE]) / hops
    head = f"{'model':<24}{'min µs/hop':>12}{'median µs/hop':>15}{'x floor':>9}{'x timing':>10}"
    say(head)
    say("-" * len(head))
    ratio = {}
    for name, ts in times.items():
        lo, med = min(ts) / hops, statistics.median(ts) / hops
        ratio[name] = med / floor
        say(f"{name:<24}{lo * 1e6:>12.2f}{med * 1e6:>15.2f}{ratio[name]:>9.2f}{med / bare:>10.2f}")
    say("  (x floor, x timing: median over the floor's, over the timing alone's median)")
    say()
    return ratio


def say_parts(times: dict[str, list[float]], hops: int) -> None:
    """Where the engine's time goes beyond the floor's, from the medians (µs per hop), and
    each part's share of each goal's gap (the engine's time above the goal's)."""
    med = {name: statistics.median(ts) / hops * 1e6 for name, ts in times.items()}
    counters, trace, floor = med["engine, counters only"], med["engine, trace on"], med[FLOOR]
    nat = counters - med[NO_NAT]
    storing = med[UNCOMPACTED] - counters
    compacting = trace - med[UNCOMPACTED]
    say("parts (differences of medians, µs/hop):")
    say(f"  NAT (counters only - no NAT)                  {nat:6.2f}")
    say(f"  trace: storing (stored only - counters only)  {storing:6.2f}")
    say(f"  trace: compacting (trace on - stored only)    {compacting:6.2f}")
    say(f"  the rest of counters only, over the floor      {counters - nat - floor:6.2f}"
        "  (per-hop machinery, routers, TCP and hosts)")
    for text, value, goal, own in (("counters only", counters, GOAL_COUNTERS, (("NAT", nat),)),
                                   ("trace on", trace, GOAL_TRACE,
                                    (("NAT", nat), ("storing", storing), ("compacting", compacting)))):
        gap = value - goal * floor
        if gap <= 0:
            say(f"  {text}: within {goal:g} x floor")
            continue
        shares = ", ".join(f"{name} {part / gap:.0%}" for name, part in own)
        say(f"  {text}: {gap:.2f} µs/hop over {goal:g} x floor; of that gap: {shares}; "
            f"the rest of the engine {1 - sum(p for _, p in own) / gap:.0%}")
    say()


def say_goals(ratio: dict[str, float], per_event: float) -> None:
    for text, value, goal, unit in (
            ("engine counters only", ratio["engine, counters only"], GOAL_COUNTERS, "x floor"),
            ("engine trace on", ratio["engine, trace on"], GOAL_TRACE, "x floor"),
            ("stored event", per_event, GOAL_BYTES, "B")):
        verdict = "met" if value <= goal else "NOT MET"
        say(f"goal: {text} <= {goal:g} {unit}: {value:.2f} {unit}, {verdict}")


def main(argv=None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    ms = models(args.parts)
    hops = say_check(args.size, ms)
    times = rounds(args.size, args.repeat, ms)
    ratio = say_times(times, hops)
    if args.parts:
        say_parts(times, hops)
    mem = memory(args.mem_size)
    say(f"memory: a stored trace event holds {mem['per_event']:.0f} B "
        f"(tracemalloc, {mem['stored']:,} events, {args.mem_size:,}-byte download)")
    say()
    say_goals(ratio, mem["per_event"])
    say(f"total bench time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
