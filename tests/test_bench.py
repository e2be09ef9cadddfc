"""The speed bench's models agree with the engine (not a timed test: nothing here is timed).

``python -m sim.bench`` times the engine against a hand-written floor and SimPy
on one download; the ratios mean something only if all of them model the same
download.  Here, on small sizes: the same hop events and the same simulated end
time, to the microsecond.  And the engine's shortcut for counters-only runs
(no explanation strings built for choices no trace keeps) changes no choice.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

import sim
from sim import bench
from sim.bench_floor import UPLINK_ADDR, download as floor, download_bare as bare
from sim.trace import Ev, event_dict
from sim.result import TRACE_READ_RESETS, TRACE_TIMED

SIZES = (1, 1460, 1461, 2920, 46_720, 46_721, 123_457, 300_000)


def engine(size: int, trace: bool = False) -> tuple[int, int]:
    r = sim.run("connection-level", seed=1, size=size, trace=trace)
    assert r.summary["connections"][0]["complete"]
    return r.sim.trace.counts[Ev.HOP], r.sim.now


@pytest.mark.parametrize("size", SIZES)
def test_floor_models_the_engines_download(size):
    hops, end = floor(size)
    assert (hops, end) == engine(size) == bare(size)
    assert hops % 4 == 0 and hops >= 4 * 9      # four links each way; handshake, request, FINs


@pytest.mark.parametrize("seed", (1, 2, 3, 4))
def test_floor_does_the_networks_work(seed):
    """The floor routes, caches, masquerades and keeps TCP's numbers: the server sees the
    uplink's address, the router cached both directions' routes and bound the connection
    once, every byte was received and acknowledged, and the retransmission timer stopped."""
    st = {}
    floor(123_457, seed=seed, state=st)
    addr, port = st["peer"]
    assert addr in UPLINK_ADDR.values() and port == 40000
    assert len(st["route_cache"]) == 2
    assert sorted(d for d, _, _ in st["conntrack"].values()) == [False, True]
    assert st["received"] == st["acked"] == 123_457 and st["rto_at"] is None


def test_floor_picks_both_uplinks_across_seeds():
    peers = {(lambda st: (floor(3000, seed=s, state=st), st["peer"][0])[1])({}) for s in range(12)}
    assert peers == set(UPLINK_ADDR.values())


def test_simpy_models_the_same_download():
    pytest.importorskip("simpy")
    from sim.bench_simpy import download as simpy_download
    for size in (1, 2920, 46_721, 123_457):
        assert simpy_download(size) == floor(size) == engine(size, trace=True)


def test_check_stops_on_a_model_that_disagrees():
    ms = {"engine": lambda size: engine(size), "off by one": lambda size: (floor(size)[0] + 4, floor(size)[1])}
    with pytest.raises(SystemExit, match="do not agree"):
        bench.check(3000, ms)
    assert bench.check(3000, {"engine": engine, "floor": floor})["floor"] == engine(3000)


@pytest.mark.parametrize("scenario,kw", [("equalize-nat", {}), ("hash-l4-nat", {}),
                                         ("echo", {}), ("uplink-down", {"size": 30_000}),
                                         ("connection-level", {"multipath": "wrr", "equalize": True})])
def test_counters_only_makes_the_same_choices(scenario, kw):
    """Without a trace no why is built; the nexthops, counters and summary are the same, but
    for the uplinks' rates while they carried data, which are timed by the stored trace's hops
    (``Result._down_active``), and who reset a connection and when (``Result._reset_fields``),
    which are None without one."""
    full = sim.run(scenario, seed=2, **kw)
    bare = sim.run(scenario, seed=2, trace=False, **kw)
    assert bare.sim.trace.counts == full.sim.trace.counts
    assert bare.sim.now == full.sim.now and bare.sim.rng.getstate() == full.sim.rng.getstate()
    timed = TRACE_TIMED
    for u in bare.summary["uplinks"].values():
        assert all(u[k] is None for k in timed)
    assert any(u["down_kbit_active"] is not None for u in full.summary["uplinks"].values())

    # (who reset a connection, and when, is read from the stored trace too)
    for key in ("connections", "echo"):
        for c in bare.summary.get(key) or []:
            assert all(c[k] is None for k in TRACE_READ_RESETS if k in c), c

    def untimed(s):
        out = {**s, "uplinks": {d: {k: v for k, v in u.items() if k not in timed}
                                for d, u in s["uplinks"].items()}}
        for key in ("connections", "echo"):
            if s.get(key):
                out[key] = [{k: v for k, v in c.items() if k not in TRACE_READ_RESETS} for c in s[key]]
        return out
    assert untimed(bare.summary) == untimed(full.summary)
    whys = [d["why"] for d in (event_dict(i, e) for i, e in enumerate(full.events))
            if d["ev"] in ("rt_miss", "fib")]
    assert whys and all(whys)                   # the stored choices explain themselves


def test_run_restores_the_garbage_collector():
    import gc
    assert gc.isenabled()
    sim.run("equalize-nat", seed=1, size=3000)
    assert gc.isenabled()
    gc.disable()
    try:
        sim.run("equalize-nat", seed=1, size=3000)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_bench_runs_and_prints_its_figures():
    out = subprocess.run([sys.executable, "-m", "sim.bench", "--size", "20000", "--repeat", "1",
                          "--mem-size", "20000"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "check: every model counts" in out.stdout
    for row in ("engine, counters only", "engine, trace on", bench.FLOOR, bench.BARE):
        assert row in out.stdout
    assert "x floor" in out.stdout and "x timing" in out.stdout and "B (tracemalloc" in out.stdout


@pytest.mark.parametrize("args,word", [(["--size", "5"], "5 out of range"),
                                       (["--repeat", "x"], "'x'"), (["--size", "1e9"], "'1e9'")])
def test_bench_refuses_bad_options_in_one_line(args, word):
    out = subprocess.run([sys.executable, "-m", "sim.bench", *args], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and word in out.stderr


def test_bench_parts_time_the_engine_without_nat_and_without_compaction():
    """``--parts``: the two extra models count the same download (the check passes), the
    uncompacted one leaves ``Events.flush`` as it was, and the parts and their shares of
    each goal's gap are printed (and only with ``--parts``)."""
    from sim.trace import Events
    flush = Events.flush
    ms = bench.models(parts=True)
    assert bench.check(3000, ms)[bench.NO_NAT] == engine(3000)
    assert Events.flush is flush
    out = subprocess.run([sys.executable, "-m", "sim.bench", "--size", "20000", "--repeat", "1",
                          "--mem-size", "20000", "--parts"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    for row in (bench.NO_NAT, bench.UNCOMPACTED, "NAT (counters only - no NAT)", "trace: storing",
                "trace: compacting", "of that gap"):
        assert row in out.stdout
    plain = subprocess.run([sys.executable, "-m", "sim.bench", "--size", "20000", "--repeat", "1",
                            "--mem-size", "20000"], capture_output=True, text=True, timeout=600)
    assert bench.NO_NAT not in plain.stdout and "parts (" not in plain.stdout
