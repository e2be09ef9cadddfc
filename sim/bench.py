"""A benchmark that prints figures: ``python -m sim.bench [--events N] [--mem-events M]``.

The workload is a bulk download (scenario ``connection-level``: one TCP
download over two uplinks, random multipath, the article's NAT) sized to give
at least ``N`` hop events (default one million).  It is run twice, timed:

* counters-only (``trace=False``): the engine with the trace reduced to counters;
* trace on (``trace=True``, the default): every event stored.

Alongside, in the same process, a bare ``heapq`` loop pushes and pops as many
entries (of the engine's shape) as the engine ran events: the floor any
heap-based event loop in Python pays.  Memory is measured with ``tracemalloc``
on a run of ``M`` hop events (default ``min(N, 250000)``; ``tracemalloc``
slows allocation-heavy code several times): the peak, and the bytes each
stored trace event costs, measured as the memory freed by dropping the trace
list -- the tuples and the packets only the trace kept alive.  The process's
peak RSS after each full-size run is printed too.

Goals, judged from the measured numbers:

1. engine time per event <= 5x the bare heapq loop's;
2. stored trace <= 200 bytes per event, or a counters-only mode (``trace=False``)
   that stores no events and stays under that bound per event.
"""
from __future__ import annotations

import argparse
import gc
import heapq
import math
import random
import sys
import time
import tracemalloc

from . import run
from .scenarios import MAX_TRANSFER
from .trace import Ev

SCENARIO = "connection-level"
SEED = 1
CALIBRATION_SIZE = 1_000_000       # bytes: a quick run that measures hop events per byte
MARGIN = 1.02                      # size the workload 2 % above the calibrated need
MAX_SIZE = MAX_TRANSFER            # bytes per run (the most Params allows); larger needs more runs
EVENTS_MIN, EVENTS_MAX = 1_000, 5_000_000
MEM_EVENTS_DEFAULT = 250_000
HEAP_PENDING = 64                  # entries kept in the bare heap (about a 32-segment window in flight)

GOAL_RATIO = 5.0
GOAL_BYTES = 200.0


# -- command line --------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:          # one line, exit status 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _count(name: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not EVENTS_MIN <= v <= EVENTS_MAX:
            raise argparse.ArgumentTypeError(f"{v} out of range: allowed {EVENTS_MIN}..{EVENTS_MAX}")
        return v
    parse.__name__ = name          # argparse names the type in some messages
    return parse


def parse_args(argv=None) -> argparse.Namespace:
    p = _Parser(prog="python -m sim.bench",
                description="Print the simulator's speed and memory figures on a bulk download.")
    p.add_argument("--events", type=_count("--events"), default=1_000_000, metavar="N",
                   help="hop events in the timed workload (default 1000000)")
    p.add_argument("--mem-events", type=_count("--mem-events"), default=None, metavar="M",
                   help=f"hop events in the tracemalloc runs (default min(N, {MEM_EVENTS_DEFAULT}))")
    return p.parse_args(argv)


# -- measurements ---------------------------------------------------------------------------------

def _figures(r) -> tuple[int, int, int, int]:
    """(engine events run, trace events, hop events, stored events) of one run."""
    counts = r.sim.trace.counts
    return r.sim.events_run, sum(counts.values()), counts[Ev.HOP], len(r.events)


def calibrate() -> float:
    """Hop events per byte downloaded."""
    r = run(SCENARIO, seed=SEED, size=CALIBRATION_SIZE, trace=False)
    return r.sim.trace.counts[Ev.HOP] / CALIBRATION_SIZE


def size_for(hops: int, rate: float) -> int:
    return max(10_000, math.ceil(hops / rate * MARGIN))


def timed(sizes: list[int] | None, target: int, rate: float, trace: bool) -> dict:
    """Run the workload (``sizes``, or as many runs as reach ``target`` hop events)."""
    plan = list(sizes or ())
    done = []
    tot = {"wall": 0.0, "engine": 0, "trace": 0, "hops": 0, "stored": 0}
    while plan if sizes is not None else tot["hops"] < target:
        size = plan.pop(0) if sizes is not None else min(MAX_SIZE, size_for(target - tot["hops"], rate))
        gc.collect()
        t0 = time.perf_counter()
        r = run(SCENARIO, seed=SEED, size=size, trace=trace)
        wall = time.perf_counter() - t0
        engine, tr, hops, stored = _figures(r)
        if not r.summary["connections"][0]["complete"]:
            raise SystemExit(f"sim.bench: the {size}-byte download did not complete")
        del r
        tot["wall"] += wall
        tot["engine"] += engine
        tot["trace"] += tr
        tot["hops"] += hops
        tot["stored"] += stored
        done.append(size)
    tot["sizes"] = done
    tot["rss_mb"] = _peak_rss_mb()
    return tot


def bare_heapq(n: int, repeat: int = 3) -> float:
    """Seconds for ``n`` pushes and ``n`` pops of engine-shaped entries, best of ``repeat``."""
    rng = random.Random(SEED)
    delays = [rng.randrange(1, 20_000) for _ in range(1024)]
    pending = min(HEAP_PENDING, n)
    best = math.inf
    for _ in range(repeat):
        push, pop = heapq.heappush, heapq.heappop
        q: list = []
        gc.collect()
        t0 = time.perf_counter()
        seq = 0
        for i in range(pending):
            seq += 1
            push(q, [delays[i & 1023], seq, False, None, ()])
        for i in range(n - pending):
            t, _, _, _, _ = pop(q)
            seq += 1
            push(q, [t + delays[i & 1023], seq, False, None, ()])
        while q:
            pop(q)
        best = min(best, time.perf_counter() - t0)
    return best


def memory(size: int, trace: bool) -> dict:
    """tracemalloc peak of one run; for a stored trace, the bytes it holds per event."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        r = run(SCENARIO, seed=SEED, size=size, trace=trace)
        cur, peak = tracemalloc.get_traced_memory()
        engine, tr, hops, stored = _figures(r)
        # drop the trace list -- and with it every packet only the trace kept alive
        r.sim.trace.events = []
        r.events = None
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        del r
    finally:
        tracemalloc.stop()
    return {"peak": peak - base, "held": cur - after, "engine": engine, "trace": tr, "hops": hops,
            "stored": stored, "per_stored": (cur - after) / stored if stored else 0.0}


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:                      # not on this platform
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10     # bytes on macOS, KiB elsewhere


# -- output -----------------------------------------------------------------------------------------

def _n(v) -> str:
    return f"{v:,.0f}"


def _mb(b: float) -> str:
    return f"{b / 2**20:,.1f} MB"


def main(argv=None) -> int:
    args = parse_args(argv)
    n_target = args.events
    m_target = args.mem_events if args.mem_events is not None else min(n_target, MEM_EVENTS_DEFAULT)
    out = sys.stdout
    t_start = time.perf_counter()

    def say(line: str = "") -> None:
        out.write(line + "\n")
        out.flush()

    say(f"sim.bench: bulk download, scenario {SCENARIO} (1 TCP download, 2 uplinks, random "
        f"multipath, article NAT), seed {SEED}")
    rate = calibrate()
    say(f"calibration: {rate * 1000:.3f} hop events per kB downloaded")

    counters = timed(None, n_target, rate, trace=False)
    full = timed(counters["sizes"], n_target, rate, trace=True)
    if (full["hops"], full["engine"]) != (counters["hops"], counters["engine"]):
        say("warning: the two modes ran different workloads "
            f"({counters['hops']} vs {full['hops']} hop events)")
    n_engine = counters["engine"]
    t_heap = bare_heapq(n_engine)

    sizes = ", ".join(_n(s) for s in counters["sizes"])
    runs = len(counters["sizes"])
    say(f"workload: {_n(counters['hops'])} hop events (target {_n(n_target)}), "
        f"{_n(n_engine)} engine events, {_n(counters['trace'])} trace events; "
        f"{runs} run{'s' if runs > 1 else ''} of {sizes} bytes")
    say()
    head = (f"{'mode':<15}{'wall s':>9}{'engine ev/s':>14}{'trace ev/s':>14}{'hop ev/s':>13}"
            f"{'µs/engine ev':>15}{'x heapq':>10}")
    say(head)
    say("-" * len(head))
    per_heap = t_heap / n_engine
    rows = {}
    for name, m in (("counters-only", counters), ("trace on", full)):
        per = m["wall"] / m["engine"]
        rows[name] = per / per_heap
        say(f"{name:<15}{m['wall']:>9.2f}{_n(m['engine'] / m['wall']):>14}"
            f"{_n(m['trace'] / m['wall']):>14}{_n(m['hops'] / m['wall']):>13}"
            f"{per * 1e6:>15.2f}{rows[name]:>10.1f}")
    say(f"{'bare heapq':<15}{t_heap:>9.2f}{_n(n_engine / t_heap):>14}{'-':>14}{'-':>13}"
        f"{per_heap * 1e6:>15.2f}{1.0:>10.1f}")
    say(f"  (bare heapq: {_n(n_engine)} pushes and pops of engine-shaped entries, "
        f"{HEAP_PENDING} pending, best of 3)")
    say()

    mem_size = size_for(m_target, rate)
    mt = memory(mem_size, trace=True)
    mc = memory(mem_size, trace=False)
    mc_small = memory(max(10_000, mem_size // 4), trace=False)
    say(f"memory (tracemalloc, one run of {_n(mem_size)} bytes = {_n(mt['hops'])} hop events, "
        f"{_n(mt['engine'])} engine events)")
    head = f"{'mode':<15}{'peak':>12}{'stored events':>16}{'trace held':>13}{'B/stored ev':>13}{'peak B/engine ev':>18}"
    say(head)
    say("-" * len(head))
    for name, m in (("counters-only", mc), ("trace on", mt)):
        per_stored = f"{m['per_stored']:.1f}" if m["stored"] else "-"
        held = _mb(m["held"]) if m["stored"] else "-"
        say(f"{name:<15}{_mb(m['peak']):>12}{_n(m['stored']):>16}{held:>13}"
            f"{per_stored:>13}{m['peak'] / m['engine']:>18.1f}")
    diff = (mt["peak"] - mc["peak"]) / mt["stored"] if mt["stored"] else 0.0
    say(f"  cross-check: (peak trace on - peak counters-only) / stored events = {diff:.1f} B/event")
    # counters-only memory per event: the growth of the peak between a run and one 4x smaller
    d_ev = mc["engine"] - mc_small["engine"]
    slope = (mc["peak"] - mc_small["peak"]) / d_ev if d_ev > 0 else math.inf
    say(f"  counters-only growth: peak {_mb(mc_small['peak'])} at {_n(mc_small['engine'])} engine "
        f"events, {_mb(mc['peak'])} at {_n(mc['engine'])}: {slope:+.2f} B per engine event")
    rss = [counters["rss_mb"], full["rss_mb"]]
    if None not in rss:
        say(f"  process peak RSS after the full-size runs: counters-only {rss[0]:,.1f} MB, "
            f"trace on {rss[1]:,.1f} MB ({_n(full['stored'])} events stored)")
    say()

    # -- verdicts, from the numbers above ------------------------------------------------------
    r_c, r_t = rows["counters-only"], rows["trace on"]
    if r_c <= GOAL_RATIO and r_t <= GOAL_RATIO:
        v1 = "met"
    elif r_c <= GOAL_RATIO or r_t <= GOAL_RATIO:
        v1 = "met in " + ("counters-only" if r_c <= GOAL_RATIO else "trace-on") + " mode only"
    else:
        v1 = "NOT MET"
    trace_ok = mt["stored"] > 0 and mt["per_stored"] <= GOAL_BYTES
    counters_ok = mc["stored"] == 0 and mc_small["stored"] == 0 and slope <= GOAL_BYTES
    if trace_ok:
        v2 = "met"
    elif counters_ok:
        v2 = "met by counters-only mode"
    else:
        v2 = "NOT MET"
    g1 = f"engine time per event <= {GOAL_RATIO:g}x bare heapq loop"
    g2 = f"stored trace <= {GOAL_BYTES:g} B/event, or counters-only mode"
    w = max(len(g1), len(g2))
    say(f"goal 1  {g1:<{w}} : {v1}")
    say(f"        {'':<{w}}   counters-only {r_c:.1f}x, trace on {r_t:.1f}x")
    say(f"goal 2  {g2:<{w}} : {v2}")
    say(f"        {'':<{w}}   trace on {mt['per_stored']:.1f} B/stored event "
        f"({'met' if trace_ok else 'not met'}); counters-only {mc['stored']} stored, "
        f"{slope:+.2f} B/engine event ({'met' if counters_ok else 'not met'})")
    say(f"total bench time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
