"""Benchmark of the book's live panels (``make bench-live``; not a test): prints

- the time from pressing Run to the first frame of the replay on a chapter page served from
  127.0.0.1, with a cold browser cache (a fresh Chromium profile), goal <= 8 s; and when that
  frame's packet pane is filled in (scapy is imported after the first frame is shown) and
  when every step and the downloads are ready;
- a second Run of the same page's defaults (Python already loaded), goal <= 1 s;
- the first Run after a reload with the browser's cache warm;
- a reader who changes a parameter and presses Run ``--choose`` seconds later (cold cache
  again): Python starts on the change, so the time from the change until it is ready, then
  from Run to the first frame and to the first step's packet pane;
- with each Run, how the worker's Python started (the panel's data-python): from the snapshot
  made at build time, or in full and why (a figure from such a start is not the fast path's),
  or already running;
- the bytes the live mode adds to the site (``_static/op1-live``), goal <= 20 MB, and to each
  page before Run (the panel's HTML, script and styles), goal <= 50 KB.

Needs the built book (``make book``), Debian's chromium and playwright.
    python book/bench_live.py [--page book/06-equalize-nat] [--runs 3] [--choose 3]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
LIVE = HTML / "_static" / "op1-live"
CHROMIUM = "/usr/bin/chromium"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def page_weights() -> dict[str, int]:
    """Bytes each page with a panel carries before Run: the panel's HTML, panel.js, panel.css."""
    extra = (LIVE / "panel.js").stat().st_size + (LIVE / "panel.css").stat().st_size
    out = {}
    for page in sorted(HTML.glob("book/*.html")):
        panels = re.findall(r'<section class="op1-livepanel".*?</section>', page.read_text(), re.S)
        if panels:
            out[page.stem] = sum(len(p.encode()) for p in panels) + extra
    return out


WATCH = """() => { window.__phases = []; const t0 = performance.now();
  const st = document.querySelector('[data-live] .op1-lp-status');
  if (window.__watch) window.__watch.disconnect();
  window.__watch = new MutationObserver(() => window.__phases.push([performance.now() - t0, st.textContent]));
  window.__watch.observe(st, {childList: true, characterData: true, subtree: true});
  const out = document.querySelector('[data-live] .op1-lp-out');
  if (window.__watch2) window.__watch2.disconnect();
  window.__watch2 = new MutationObserver((ms) => { for (const m of ms) {
    if (m.attributeName === 'data-op1-live') window.__phases.push([performance.now() - t0, 'player started']); } });
  window.__watch2.observe(out, {attributes: true, attributeFilter: ['data-op1-live'], subtree: true}); }"""


def _cpu(profile: str) -> float:
    """CPU seconds (user + system) used so far by the Chromium started with ``profile`` and all
    its descendants (renderer, GPU, network processes): a figure the machine's load does not
    stretch, unlike the wall time."""
    procs = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2:].split()
        procs[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"),
                              profile.encode() in cmd)
    roots = {pid for pid, (_, _, mine) in procs.items() if mine}
    total, seen = 0.0, set()
    for pid in procs:
        chain, q = [], pid
        while q in procs and q not in roots and q not in seen:
            chain.append(q)
            q = procs[q][0]
        if q in roots or q in seen:
            seen.update(chain)
            seen.add(q)
    return sum(procs[pid][1] for pid in seen)


def _run(pg, count: int) -> float:
    pg.evaluate(WATCH)       # the page's clock starts here, just before the click
    t0 = time.perf_counter()
    pg.click("[data-live] [data-run]")
    pg.wait_for_function(
        f"document.querySelectorAll('[data-live] .op1-lp-out [data-replay][data-op1-live]').length >= {count}"
        " || /^Not run/.test(document.querySelector('[data-live] .op1-lp-status').textContent)",
        timeout=600_000)
    took = time.perf_counter() - t0
    newest = "[data-live] .op1-lp-out .op1-lp-run:first-child"
    pg.wait_for_function(f"!document.querySelector('{newest} .op1-pkt-box .op1-wait')", timeout=600_000)
    packet = time.perf_counter() - t0
    pg.wait_for_function(f"document.querySelector('{newest}').hasAttribute('data-live-complete')",
                         timeout=600_000)
    complete = time.perf_counter() - t0
    status = pg.inner_text("[data-live] .op1-lp-status")
    if not status.startswith(f"Run {count}:"):
        raise SystemExit(f"bench_live: the run failed: {status}")
    phases = pg.evaluate("window.__phases")
    python = _python(pg, status)
    # each status line's first clause ("356 events, simulated in 21 ms", not the rest, said below)
    print(f"    run {count}: " + "; ".join(f"{t / 1000:.1f} s {text.split(': ', 1)[-1].split('; ')[0]}"
                                          for t, text in phases)
          + f"; first step's packet {packet:.1f} s; every step and the downloads {complete:.1f} s; {python}",
          flush=True)
    started = [t / 1000 for t, text in phases if text == "player started"]
    return (started[0] if started else took), packet, python


def _fresh(p, profile: str):
    """A headless Chromium with a new profile (its cache cold) that fetches from 127.0.0.1 only,
    and its page."""
    ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM,
                                               args=["--no-sandbox", "--disable-gpu"], headless=True)
    ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
              else r.abort())
    return ctx, ctx.new_page()


def _python(pg, status: str) -> str:
    """How the worker's Python started, as the panel tells it (panel.js: data-python, and the status
    line of the Run that started it): restored from the build's snapshot, or started in full (a
    slower start, not the fast path's figure), and why; or already running before this Run."""
    how, why = (pg.get_attribute("[data-live]", a) for a in ("data-python", "data-python-why"))
    if how not in ("snapshot", "no-snapshot"):
        raise SystemExit(f"bench_live: the panel does not say how Python started (data-python={how!r})")
    said = "from its snapshot" if how == "snapshot" else f"NOT from its snapshot ({why})"
    return f"Python started {said}" if "Python started" in status else f"Python already running, started {said}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page", default="book/06-equalize-nat")
    ap.add_argument("--runs", type=int, default=3, help="second runs to time (default 3)")
    ap.add_argument("--choose", type=float, default=3.0,
                    help="seconds from a parameter changed to Run (default 3)")
    args = ap.parse_args(argv)
    if not (LIVE / "manifest.json").exists() or not (HTML / f"{args.page}.html").exists():
        print(f"bench_live: {HTML / args.page}.html or its live files are missing: run make book", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("bench_live: playwright is not installed (pip install -e .[dev])", file=sys.stderr)
        return 2
    site = sum(p.stat().st_size for p in LIVE.rglob("*") if p.is_file())
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HTML)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/{args.page}.html"
    fetched = {"n": 0, "bytes": 0}
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
            ctx, pg = _fresh(p, profile)
            pg.on("requestfinished", lambda r: fetched.update(n=fetched["n"] + 1))
            pg.goto(url, wait_until="load")
            c0 = _cpu(profile)
            cold, cold_pkt, cold_py = _run(pg, 1)
            cold_cpu = _cpu(profile) - c0
            c0 = _cpu(profile)
            seconds, second_py = [], set()
            for k in range(2, 2 + args.runs):
                took, _, python = _run(pg, k)
                seconds.append(took)
                second_py.add(python)
            second_cpu = (_cpu(profile) - c0) / args.runs
            pg.reload(wait_until="load")
            warm, _, warm_py = _run(pg, 1)
            ctx.close()
        with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
            ctx, pg = _fresh(p, profile)
            pg.goto(url, wait_until="load")
            t0 = time.perf_counter()
            # the reader types the seed (the default again, so the run is the cold Run's)
            seed = pg.input_value("[data-live] input[name=seed]")
            pg.fill("[data-live] input[name=seed]", seed)
            pg.wait_for_function("document.querySelector('[data-live]').hasAttribute('data-python')",
                                 timeout=600_000)
            ready = time.perf_counter() - t0
            time.sleep(max(0.0, args.choose - ready))
            ahead, ahead_pkt, ahead_py = _run(pg, 1)
            ctx.close()
    finally:
        srv.shutdown()
        srv.server_close()
    load = os.getloadavg()
    print(f"live panel of {args.page}, Chromium headless, served from 127.0.0.1, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"  Run -> first frame, cold cache:  {cold:6.2f} s   (goal <= 8 s; the page's clock, from the click "
          f"to the player started); "
          f"Chromium's CPU time to the whole replay {cold_cpu:.2f} s; the first step's packet pane "
          f"(scapy imported then) at {cold_pkt:.2f} s; {cold_py}")
    print(f"  second Run, same parameters:     {min(seconds):6.2f} s best, "
          f"{sorted(seconds)[len(seconds) // 2]:.2f} s median of {len(seconds)}   (goal <= 1 s); "
          f"CPU time {second_cpu:.2f} s a run (to the whole replay); {'; '.join(sorted(second_py))}")
    print(f"  first Run after a reload, warm cache: {warm:6.2f} s; {warm_py}")
    print(f"  a parameter changed, Run {args.choose:g} s later, cold cache: Python ready {ready:.2f} s after "
          f"the change; Run -> first frame {ahead:.2f} s, the first step's packet pane at {ahead_pkt:.2f} s; "
          f"{ahead_py}")
    print(f"  bytes added to the site: {site:,} ({site / 2**20:.1f} MiB; goal <= 20 MB)")
    for page, n in page_weights().items():
        print(f"  bytes added to {page} before Run: {n:,} ({n / 1024:.1f} KiB; goal <= 50 KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
