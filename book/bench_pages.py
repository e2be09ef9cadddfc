"""Benchmark of opening the book's pages on a phone (``make bench-pages``; not a test): prints,
per chapter, for a first visit (empty cache) at a phone's size (390 x 844) with the CPU slowed
4x (Lighthouse's preset for a mid-range phone):

- the bytes the page fetches, and the same files gzip-compressed (what a web server that
  compresses sends; the local server here does not);
- when the page is parsed (DOMContentLoaded) and loaded (``load``);
- the main thread's long tasks (over 50 ms) until half a second after ``load``: time in which
  the page does not answer a tap;
- one step of the first player (the median of 20 presses of its next button).

Each page is opened two ways, alternated, ``--rounds`` times each: as the book builds it, and
with the theme's ``fontawesome.js`` put back into its head, as pydata-sphinx-theme ships it
(book/op1_icons.py leaves it out); medians, and the second over the first.

Needs the built book (``make book``), Debian's chromium and playwright.
    python book/bench_pages.py [--pages 01-network 06-equalize-nat] [--rounds 3]
"""
from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import statistics
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
SLOWDOWN = 4
SCRIPT = '<script defer src="../_static/scripts/fontawesome.js"></script>'
WAYS = ("as built", "with fontawesome.js")

LOAD_JS = """() => new Promise(done => {
  let busy = 0;
  new PerformanceObserver(l => { for (const e of l.getEntries()) busy += e.duration; })
    .observe({type: 'longtask', buffered: true});
  setTimeout(() => { const n = performance.getEntriesByType('navigation')[0];
    done({dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, busy}); }, 500);
})"""
STEP_JS = """async () => {
  const next = document.querySelector('.op1-bar button[data-act=next]');
  if (!next) return null;
  const took = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    next.click();
    await new Promise(r => setTimeout(r, 0));
    took.push(performance.now() - t0);
  }
  took.sort((a, b) => a - b);
  return took[10];
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _chapters() -> list[str]:
    return sorted(p.stem for p in (HTML / "book").glob("[0-9][0-9]-*.html"))


def _gzip_size(path: Path, memo: dict) -> int:
    if path not in memo:
        memo[path] = len(gzip.compress(path.read_bytes(), 6)) if path.is_file() else 0
    return memo[path]


def _open(browser, base: str, page: str, way: str, memo: dict) -> dict:
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, service_workers="block")
    fetched: dict[str, int] = {}

    def route(r):
        u = urlparse(r.request.url)
        if u.hostname != "127.0.0.1":
            r.abort()
        elif way == WAYS[1] and u.path.endswith(f"/{page}.html"):
            resp = r.fetch()
            r.fulfill(response=resp, body=resp.text().replace("</head>", SCRIPT + "</head>", 1))
        else:
            r.continue_()
    ctx.route("**/*", route)
    pg = ctx.new_page()
    pg.on("requestfinished", lambda req: fetched.__setitem__(urlparse(req.url).path, 0))
    cdp = ctx.new_cdp_session(pg)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": SLOWDOWN})
    pg.goto(f"{base}/book/{page}.html", wait_until="load")
    out = pg.evaluate(LOAD_JS)
    out["step"] = pg.evaluate(STEP_JS)
    files = [HTML / p.lstrip("/") for p in fetched]
    out["bytes"] = sum(f.stat().st_size for f in files if f.is_file())
    out["gzip"] = sum(_gzip_size(f, memo) for f in files)
    ctx.close()
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", nargs="+", metavar="PAGE", help="chapter pages (default: every chapter)")
    ap.add_argument("--rounds", type=int, default=3, help="times each page is opened each way (default 3)")
    args = ap.parse_args(argv)
    chapters = _chapters()
    if not chapters:
        print(f"bench_pages: no chapter pages in {HTML}: run `make book` first", file=sys.stderr)
        return 1
    pages = args.pages or chapters
    unknown = [p for p in pages if p not in chapters]
    if unknown or not 1 <= args.rounds <= 20:
        print(f"bench_pages: {'unknown page ' + ', '.join(unknown) if unknown else f'--rounds {args.rounds}'}: "
              f"allowed {'pages ' + ', '.join(chapters) if unknown else '1..20'}", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"bench_pages: {CHROMIUM} not found (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HTML)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    memo: dict = {}
    print(f"bench_pages: first visit, {PHONE['width']}x{PHONE['height']}, CPU slowed {SLOWDOWN}x, "
          f"{args.rounds} rounds each way alternated; medians (ms, kB)", flush=True)
    head = (f"{'page':<22}{'way':<21}{'kB':>6}{'kB gz':>7}{'parsed':>8}{'load':>7}{'busy':>7}{'step':>6}")
    print(head)
    print("-" * len(head))
    ratios = []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for page in pages:
                got = {w: [] for w in WAYS}
                for k in range(args.rounds):
                    for way in (WAYS if k % 2 == 0 else WAYS[::-1]):
                        got[way].append(_open(b, base, page, way, memo))
                med = {w: {key: statistics.median(r[key] for r in rs) if rs[0][key] is not None else None
                           for key in rs[0]} for w, rs in got.items()}
                for way in WAYS:
                    m = med[way]
                    step = f"{m['step']:>6.1f}" if m["step"] is not None else f"{'-':>6}"
                    print(f"{page if way == WAYS[0] else '':<22}{way:<21}{m['bytes'] / 1e3:>6.0f}"
                          f"{m['gzip'] / 1e3:>7.0f}{m['dcl']:>8.0f}{m['load']:>7.0f}{m['busy']:>7.0f}{step}", flush=True)
                a, f = med[WAYS[0]], med[WAYS[1]]
                ratios.append((f["gzip"] / a["gzip"], f["load"] / a["load"], f["busy"] / a["busy"] if a["busy"] else None))
            b.close()
    finally:
        srv.shutdown()
    print()
    print("with fontawesome.js over as built, median over the pages: "
          f"gzip bytes {statistics.median(r[0] for r in ratios):.2f}x, load {statistics.median(r[1] for r in ratios):.2f}x"
          + (f", long tasks {statistics.median(r[2] for r in ratios if r[2]):.2f}x" if any(r[2] for r in ratios) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
