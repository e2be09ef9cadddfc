"""Benchmark of the players: ``python -m sim.view.bench [--steps N] [--no-browser]``.

Prints

* replay sizes: the article's scenario (equalize-nat, seed 1) as a static
  player of 40, 100 and 400 steps, split into frame data and downloads, and
  every scenario at 40 steps (goal: 40 steps of the article <= 600 KB);
* the static player's build time;
* the live player's per-step latency (the Python callback that swaps the
  pre-rendered views into the widgets; goal: median <= 50 ms), and for
  chapter 6's live player the time from a parameter change to its first step
  on screen (goal: median <= 300 ms) and to a step not shown before;
* with chromium and playwright: the static player's per-step latency in a
  real browser (JavaScript step + style and layout), goal median <= 50 ms.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

from .. import SCENARIOS, run
from ..scenarios import unread
from .._io import atomic_write
from .player import Player, standalone_page

GOAL_BYTES = 600_000
GOAL_MS = 50.0
GOAL_RERUN_MS = 300.0
CH6_LIVE = ("equalize-nat", {"seed": 3, "size": 20_000})     # book/06-equalize-nat.md's LivePlayer
RERUNS = [{"seed": 4}, {"nat": "netfilter"}, {"multipath": "wrr"}, {"equalize": False},
          {"remote": "rfc"}, {"uplinks": 3}, {"seed": 5}, {"ingress_filter": True}]
SCENARIO, SEED = "equalize-nat", 1


def _kb(n: int) -> str:
    return f"{n / 1000:.1f} KB"


def _stats(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, max {ms[-1]:.2f} ms over {len(ms)} steps"


def sizes() -> None:
    r = run(SCENARIO, seed=SEED)
    print(f"replay sizes ({SCENARIO}, seed {SEED}, {len(r.events)} events):")
    for n in (40, 100, 400):
        t0 = time.perf_counter()
        p = Player(r, max_steps=n)
        h = p.html()
        dt = time.perf_counter() - t0
        data = sum(len(m) for m in re.findall(r'class="op1-data"[^>]*>([^<]*)<', h))
        dls = sum(len(m) for m in re.findall(r'href="(data:[^"]*)"', h))
        goal = f"  (goal <= {_kb(GOAL_BYTES)}: {'met' if len(h.encode()) <= GOAL_BYTES else 'NOT met'})" if n == 40 else ""
        print(f"  {p.frames:4d} steps: {_kb(len(h.encode()))} total = {_kb(data)} frames (deflated) + "
              f"{_kb(dls)} downloads + {_kb(len(h.encode()) - data - dls)} first frame, script, style; "
              f"built in {dt * 1000:.0f} ms{goal}")
    print("  every scenario at 40 steps:")
    for name in SCENARIOS:
        rr = run(name, seed=SEED, **({} if "size" in unread(name) else {"size": 20_000}))   # pings: no size
        h = Player(rr, max_steps=40).html()
        print(f"    {name:<20} {_kb(len(h.encode()))}")


def live(steps: int) -> None:
    try:
        from .live import LivePlayer
    except ImportError as e:
        print(f"live player: skipped ({e}; pip install 'ipywidgets>=8,<9')")
        return
    t0 = time.perf_counter()
    lp = LivePlayer(SCENARIO, seed=SEED, max_steps=steps)
    first = time.perf_counter() - t0
    n = len(lp.steps)
    lat = []
    order = list(range(1, n)) + list(range(n - 2, -1, -1))       # forward then back
    for k in order:
        t = time.perf_counter()
        lp.step(k)
        lat.append((time.perf_counter() - t) * 1000)
    med = statistics.median(lat)
    print(f"live player ({SCENARIO}, {n} steps): per-step latency {_stats(lat)} "
          f"(goal median <= {GOAL_MS:.0f} ms: {'met' if med <= GOAL_MS else 'NOT met'})")
    print(f"  first build {first * 1000:.0f} ms")
    # chapter 6's LivePlayer, as the book creates it: from a parameter change to its first
    # step on screen (the run, the first step's diagram and packet; nothing else is drawn)
    lp = LivePlayer(CH6_LIVE[0], **CH6_LIVE[1])
    reruns, cpu = [], []
    for change in RERUNS:
        c, t = os.times(), time.perf_counter()
        for k, v in change.items():
            lp.controls[k].value = v
        reruns.append((time.perf_counter() - t) * 1000)
        c2 = os.times()        # this process and the dot it ran: what the machine's load does not stretch
        cpu.append((c2.user + c2.system + c2.children_user + c2.children_system
                    - c.user - c.system - c.children_user - c.children_system) * 1000)
    lat = []
    for k in range(1, min(40, len(lp.steps))):        # steps never shown before
        t = time.perf_counter()
        lp.step(k)
        lat.append((time.perf_counter() - t) * 1000)
    med = statistics.median(reruns)
    args = ", ".join([repr(CH6_LIVE[0])] + [f"{k}={v!r}" for k, v in CH6_LIVE[1].items()])
    print(f"  chapter 6's LivePlayer({args}): re-run to first step after a parameter change: "
          f"median {med:.0f} ms, max {max(reruns):.0f} ms over {len(reruns)} changes "
          f"(goal median <= {GOAL_RERUN_MS:.0f} ms: {'met' if med <= GOAL_RERUN_MS else 'NOT met'}), "
          f"CPU time median {statistics.median(cpu):.0f} ms (with dot's), load average {os.getloadavg()[0]:.1f}; "
          f"then a step not shown before: {_stats(lat)}")


def browser() -> None:
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        exe = None
    if exe is None:
        print("static player in a browser: skipped (needs chromium and playwright)")
        return
    r = run(SCENARIO, seed=SEED)
    p = Player(r, max_steps=100)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.html")
        atomic_write(path, standalone_page([p.html()]))
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--headless"])
            try:
                page = b.new_page(viewport={"width": 1440, "height": 1000})
                t0 = time.perf_counter()
                page.goto("file://" + path)
                page.wait_for_selector("[data-op1-live]", state="attached")
                load = (time.perf_counter() - t0) * 1000
                lat = page.evaluate("""() => {
                    const root = document.querySelector('[data-replay]');
                    const next = root.querySelector('button[data-act=next]');
                    const prev = root.querySelector('button[data-act=prev]');
                    const n = parseInt(root.getAttribute('data-frames'));
                    const out = [];
                    for (const btn of [next, prev]) {
                      for (let k = 1; k < n; k++) {
                        const t = performance.now();
                        btn.click();
                        void root.offsetHeight;          // force style and layout
                        out.push(performance.now() - t);
                      }
                    }
                    return out;
                }""")
            finally:
                b.close()
    med = statistics.median(lat)
    print(f"static player in chromium ({p.frames} steps): page ready in {load:.0f} ms; per-step latency "
          f"{_stats(lat)} (goal median <= {GOAL_MS:.0f} ms: {'met' if med <= GOAL_MS else 'NOT met'})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.view.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200, help="steps of the live player (default 200)")
    ap.add_argument("--no-browser", action="store_true", help="skip the in-browser measurement")
    a = ap.parse_args(argv)
    if a.steps < 1:
        ap.error(f"--steps must be >= 1, got {a.steps}")
    sizes()
    live(a.steps)
    if not a.no_browser:
        browser()
    return 0


if __name__ == "__main__":
    sys.exit(main())
