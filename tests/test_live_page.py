"""The in-page live panel as a reader meets it, on a phone and partly offline.

- Each panel starts from the run of the chapter's figure above it: a Run with nothing changed
  runs what the reader has just read (chapter 4's panel ran 20 kB beside a 200 kB replay,
  chapter 6's seed 3 beside the replay of seed 5, chapter 10's 100 kB beside 500 kB).  The
  cell takes them as ``**live_preset``, the dict the chapter glues where it runs its figure.
- The text boxes (per-uplink lists, seconds) are checked in the page before Python is fetched,
  in the simulator's own words: the same bad values give the same messages as
  ``sim.view.inpage.run``, and nothing is downloaded.
- The first start's progress says of how much: "3.1 of 16 MB received".
- On a phone the new run is brought into view and the older ones are folded to a line.
- A page come back to by Back shows the page's values, not half of the last ones typed.

The browser tests use the built site (_build/html): ``make book`` first.
"""
from __future__ import annotations

import contextlib
import html as htmllib
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

import sim
from sim.view import inpage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
import op1_inpage  # noqa: E402
from test_inpage import CHROMIUM, HTML, LIVE, LIVE_CHAPTERS, _browser, _serve, _skip_or_fail  # noqa: E402


@pytest.fixture(scope="module")
def built():
    if not (HTML / "book" / "06-equalize-nat.html").exists() or not (LIVE / "manifest.json").exists():
        _skip_or_fail("the book is not built with its live files: run make book")
    return HTML


def _panel(page: str) -> tuple[str, dict, str]:
    """(scenario, preset, the page before the panel) of a chapter's built page."""
    m = re.search(r'<section class="op1-livepanel" data-live data-scenario="([^"]+)"[^>]*'
                  r'data-preset="([^"]*)"', page)
    return m.group(1), json.loads(htmllib.unescape(m.group(2))), page[:m.start()]


# -- the preset: the figure's run -------------------------------------------------------------------

def test_a_live_call_takes_the_parameters_its_chapter_glued():
    glued = {"live_preset": {"data": {"text/plain": "{'seed': 5, 'size': 20000}"}}}
    src = 'from sim.view import LivePlayer\nLivePlayer("equalize-nat", **live_preset, start_at=0.2)'
    assert op1_inpage.live_call(src, glued) == ("equalize-nat", {"seed": 5, "size": 20000, "start_at": 0.2})
    with pytest.raises(op1_inpage.LiveBuildError, match="the chapter glues no 'live_preset'"):
        op1_inpage.live_call(src, {})
    with pytest.raises(op1_inpage.LiveBuildError, match="not a dict of parameters"):
        op1_inpage.live_call(src, {"live_preset": {"data": {"text/plain": "[5]"}}})


def test_every_panel_starts_from_the_run_of_its_chapters_figure(built):
    """A Run with nothing changed runs the figure's run: the static replays are named after
    their run (``Result.download_stem``: the scenario, the seed, what differs from the
    defaults), and one of them above the panel has the name of the panel's preset run.
    Chapter 8's figure is section 2's table of the drops of the providers' filters: its count
    (glued) is the preset run's."""
    for ch in LIVE_CHAPTERS:
        scenario, preset, before = _panel((built / "book" / f"{ch}.html").read_text())
        r = sim.run(scenario, **preset)
        if ch == "08-real-kernels":
            glued = op1_inpage.page_glue(built, f"book/{ch}")["c8_filter_drops"]["data"]["text/markdown"]
            assert str(r.summary["drops"].get("ingress filter", 0)) == glued, (ch, preset)
            continue
        replays = re.findall(r'download="([^"]+)-events-\d+-\d+\.pcapng"', before)
        assert r.download_stem in replays, (ch, r.download_stem, replays)


# -- the text boxes, checked in the page --------------------------------------------------------------

#: values a reader may type, each set of them refused by the page before Python is fetched
BAD = [
    {"down_kbit": "abc"}, {"down_kbit": "2000,abc"}, {"down_kbit": ""}, {"down_kbit": "2000,"},
    {"down_kbit": "0"}, {"down_kbit": "1e8"}, {"down_kbit": "nan"}, {"down_kbit": "-inf"},
    {"down_kbit": "2000,512,300"}, {"down_kbit": ",".join(["100"] * 17)}, {"down_kbit": "1__0"},
    {"down_kbit": "١٠٠٠"}, {"down_kbit": "it's"}, {"down_kbit": "a\tb"},
    {"up_kbit": "512,256,128"}, {"up_kbit": "512,256.25,128.125"},
    {"uplinks": "3", "down_kbit": "1000,2000"}, {"uplinks": "x", "down_kbit": "1,2,3"},
    {"uplinks": "1", "weights": "2,1"},
    {"weights": "0"}, {"weights": "2.5"}, {"weights": "1,x"}, {"weights": "257"}, {"weights": "+3,1_0,7"},
    {"delay_ms": "0.0001"}, {"delay_ms": "0"}, {"delay_ms": "10000.5"}, {"delay_ms": "1234567.5,1"},
    {"down_at": "soon"}, {"down_at": "-1"}, {"down_at": "0.0000001"}, {"down_at": "86401"},
    {"read_timeout": "0"}, {"read_timeout": "x"},
    # the line's return: its own box, then after the failure (the failure's box, or the page's
    # value for it when that box is refused)
    {"up_at": "soon"}, {"up_at": "0"}, {"up_at": "86400.5"}, {"up_at": "2"}, {"up_at": "0.0000123"},
    {"down_at": "1.5", "up_at": "1"}, {"down_at": "1.5", "up_at": "1.5"}, {"down_at": "1.5", "up_at": "1.5000001"},
    {"down_at": "0.00005", "up_at": "0.000015"}, {"down_at": "2.123456789", "up_at": "0.25"},
    {"down_at": "soon", "up_at": "3"}, {"down_at": "none", "up_at": "4.75"},
    {"down_kbit": "fast", "weights": "0", "down_at": "later", "seed": "-1"},
]

#: the form's values as the page sends them (panel.js valuesJSON), for inpage.run
VALUES_JS = """() => { const f = document.querySelector('[data-live] form'), v = {};
  for (const c of f.elements) { if (!c.name) continue;
    if (c.type === 'checkbox') v[c.name] = c.checked && !c.disabled;
    else if (c.hasAttribute('data-int')) { const t = c.value.trim(); v[c.name] = /^-?\\d+$/.test(t) ? Number(t) : c.value; }
    else if (c.hasAttribute('data-json')) v[c.name] = JSON.parse(c.value);
    else v[c.name] = c.value; }
  return JSON.stringify(v); }"""
#: each box the page refused, and its words under it
REFUSED_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-live] [aria-invalid=true]'))
  .map(c => [c.name, document.getElementById(c.id + '-err').textContent]))"""


@contextlib.contextmanager
def _chapter(built, chapter: str, phone: bool = False, requests: list | None = None):
    """A chapter of the built site served from 127.0.0.1 in a headless Chromium (a 360x740 phone,
    or a 1366x768 laptop), nothing fetched from elsewhere; yields (context, page, url)."""
    sync_playwright = _browser()
    srv = _serve(built, {})
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                size = dict(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                            has_touch=True) if phone else dict(viewport={"width": 1366, "height": 768})
                ctx = b.new_context(**size)
                ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                          else r.abort())
                pg = ctx.new_page()
                ctx.on("request", lambda r: requests.append(r.url) if requests is not None else None)
                url = f"http://127.0.0.1:{srv.server_address[1]}/book/{chapter}.html"
                pg.goto(url, wait_until="load")
                yield ctx, pg, url
            finally:
                b.close()
    finally:
        srv.shutdown()
        srv.server_close()


def _set(pg, values: dict) -> None:
    """Type ``values`` into the panel's boxes (the lines' part opened), without an input event
    (which starts Python ahead of Run)."""
    pg.evaluate("""vs => { const f = document.querySelector('[data-live] form');
      f.querySelector('details').open = true;
      for (const [n, v] of Object.entries(vs)) f.elements[n].value = v; }""", values)


def test_the_page_refuses_a_bad_list_or_seconds_box_as_the_simulator_does_before_any_download(built):
    requests: list = []
    page = (built / "book" / "06-equalize-nat.html").read_text()
    fixed = htmllib.unescape(re.search(r'data-params="([^"]*)"', page).group(1))
    limits = htmllib.unescape(re.search(r'data-limits="([^"]*)"', page).group(1))
    scenario, preset, _ = _panel(page)
    with _chapter(built, "06-equalize-nat", requests=requests) as (ctx, pg, url):
        for bad in BAD:
            pg.goto(url, wait_until="load")
            _set(pg, bad)
            pg.click("[data-live] [data-run]")
            pg.wait_for_function("/^Not run/.test(document.querySelector('[data-live] .op1-lp-status').textContent)",
                                 timeout=10_000)
            got = pg.evaluate(REFUSED_JS)
            want = json.loads(inpage.run(scenario, fixed, pg.evaluate(VALUES_JS), limits, json.dumps(preset)))
            assert "errors" in want, bad
            assert got == {e["param"]: e["message"] for e in want["errors"]}, bad
    live = [u for u in requests if "/op1-live/" in u and not urlparse(u).path.endswith(("panel.js", "panel.css"))]
    assert live == [], live                 # refused in the page: nothing of Python fetched


def test_good_list_values_are_not_refused_by_the_page(built):
    """Values the simulator takes (spaces, underscores, a sign, one value for every uplink, one
    per uplink) are not refused in the page: the Run goes on to fetch Python (stopped here)."""
    with _chapter(built, "06-equalize-nat") as (ctx, pg, url):
        ctx.route("**/op1-live/worker.js", lambda r: r.abort())
        for good in [{"down_kbit": " 1_000 , 512 "}, {"weights": "+3,\u00a010"}, {"delay_ms": "1e-3,.5"},
                     {"down_at": " NONE "}, {"down_at": "1.5"}, {"uplinks": "3", "up_kbit": "1,2,3"},
                     {"down_at": "1.5", "up_at": "1.500001"}, {"down_at": "1.5", "up_at": " none "}, {"up_at": "none"}]:
            pg.goto(url, wait_until="load")
            _set(pg, good)
            pg.click("[data-live] [data-run]")
            pg.wait_for_function("/^Not run: (?!.*must)/.test(document.querySelector('[data-live] .op1-lp-status')"
                                 ".textContent)", timeout=30_000)
            assert pg.evaluate(REFUSED_JS) == {}, good


def test_a_line_that_comes_back_is_a_box_of_the_panel_and_its_return_is_in_the_runs_summary():
    """The panel offers ``up_at`` beside ``down_at`` (``python -m sim run --up-at``), read as the
    command line reads it; the run's summary says when the line came back and what crossed it since."""
    html = inpage.panel_html("equalize-nat", "../_static/op1-live/", "p", 1, seed=5, size=20000)
    assert re.search(r'<label class="op1-lc" for="p-up_at">the line comes back at \(s\) <input type="text" data-text '
                     r'id="p-up_at" name="up_at" value="none"', html)
    assert "as --up-at" in html
    got = json.loads(inpage.run("equalize-nat", "{}", json.dumps({"seed": 5, "size": 20000, "down_at": "0.05", "up_at": " 0.2 "}), "{}",
                                json.dumps({"seed": 5, "size": 20000})))
    assert "error" not in got, got
    drawn = json.loads(inpage.draw("t", 200))
    assert "if2's line came back at 0.2 s" in drawn["summary"], drawn["summary"]
    assert drawn["changed"] == "a line fails at 0.05 s, the line comes back at 0.2 s"


def test_the_progress_total_is_what_the_worker_counts(built):
    """"3.1 of 16.4 MB received" counts what the worker fetches through its counter: every live
    file but the worker's own script (the browser's, before it counts) and the page's; it read
    "16.4 of 16.4 MB" at the end, short of its total by the worker's 17 kB."""
    live = built / "_static" / "op1-live"
    fetched = sum(f.stat().st_size for f in live.rglob("*")
                  if f.is_file() and f.name not in ("worker.js", "panel.js", "panel.css"))
    assert int(re.search(r'data-fetch-bytes="(\d+)"', (built / "book" / "06-equalize-nat.html").read_text()).group(1)) \
        == fetched


# -- a Run on a phone ----------------------------------------------------------------------------------

RUNS_SHOWN = "n => document.querySelectorAll('[data-live] .op1-lp-out [data-replay][data-op1-live]').length === n"


def test_on_a_phone_the_new_run_comes_into_view_the_older_fold_and_the_download_says_of_how_much(built):
    with _chapter(built, "06-equalize-nat", phone=True) as (ctx, pg, url):
        pg.evaluate("""() => { window.__said = []; const p = document.querySelector('[data-live] .op1-lp-progress');
          new MutationObserver(() => window.__said.push(p.textContent))
            .observe(p, {childList: true, characterData: true, subtree: true}); }""")
        pg.click("[data-live] [data-run]")
        pg.wait_for_function(RUNS_SHOWN, arg=1, timeout=300_000)
        counts = [t for t in pg.evaluate("window.__said") if t]
        total = int(re.search(r'data-fetch-bytes="(\d+)"', pg.content()).group(1))
        assert counts and all(re.fullmatch(rf"\d+\.\d of {total / 1e6:.1f} MB received", t) for t in counts), counts
        # the reader scrolled on to read the first run's replay; Run again, from its button
        pg.evaluate("document.querySelector('[data-live] [data-run]').scrollIntoView({block: 'end'})")
        pg.click("[data-live] [data-run]")
        pg.wait_for_function(RUNS_SHOWN, arg=2, timeout=300_000)
        pg.wait_for_function("(() => { const t = document.querySelector('.op1-lp-run').getBoundingClientRect().top;"
                             " return t >= 0 && t < innerHeight / 2; })()", timeout=10_000)
        old = pg.locator(".op1-lp-run.op1-lp-old")
        assert old.count() == 1
        assert old.bounding_box()["height"] < 200                  # folded: a head, a line and a button
        assert "1 connection" in old.locator(".op1-lp-foldsaid").inner_text()
        button = old.locator(".op1-lp-unfold")
        assert button.get_attribute("aria-expanded") == "false" and button.inner_text() == "show run 1's replay"
        button.click()
        assert button.get_attribute("aria-expanded") == "true" and old.bounding_box()["height"] > 1000
        pg.screenshot(path=str(ROOT / "_build" / "test-live-page-phone.png"))


def test_a_run_of_too_many_events_offers_its_replays_files_and_says_why_not_the_whole_runs(built):
    """Eight 1 MB downloads, which the boxes allow: over 50,000 events (inpage.WHOLE_MAX_EVENTS),
    whose whole-run files would be as large again in the worker's memory as the run.  The worker
    makes none and sends the downloads alone; the page says why and how to get them, and the
    replay's own files are there."""
    with _chapter(built, "06-equalize-nat") as (ctx, pg, url):
        _set(pg, {"connections": "8", "size": "1000000"})
        pg.click("[data-live] [data-run]")
        pg.wait_for_function(RUNS_SHOWN, arg=1, timeout=300_000)
        pg.wait_for_function("document.querySelector('[data-live] .op1-lp-run').hasAttribute('data-live-complete')",
                             timeout=300_000)
        run = pg.locator("[data-live] .op1-lp-run").first
        said = run.locator(".op1-dl").inner_text()
        assert re.search(r"whole run: [\d,]+ events, too many for files made in the page: python -m sim run with "
                         r"the run's parameters", said), said
        assert run.locator("a[data-whole]").count() == 0 and not run.get_attribute("data-whole-ms")
        assert run.locator('a[download$="-replay.pcapng"]').get_attribute("href").startswith("data:")


def test_on_a_laptop_older_runs_stay_whole(built):
    with _chapter(built, "06-equalize-nat") as (ctx, pg, url):
        for n in (1, 2):
            pg.click("[data-live] [data-run]")
            pg.wait_for_function(RUNS_SHOWN, arg=n, timeout=300_000)
        old = pg.locator(".op1-lp-run.op1-lp-old")
        assert old.bounding_box()["height"] > 1000 and not old.locator(".op1-lp-unfold").is_visible()


# -- Back ---------------------------------------------------------------------------------------------

#: every control of the panel: [name, shown as the page gave it]
AS_GIVEN_JS = """() => Array.from(document.querySelector('[data-live] form').elements).filter(c => c.name).map(c =>
  [c.name, c.type === 'checkbox' ? c.checked === c.defaultChecked
           : c.tagName === 'SELECT' ? Array.from(c.options).every(o => o.selected === o.defaultSelected)
           : c.value === c.defaultValue])"""


def test_a_page_come_back_to_shows_its_panel_as_it_is(built):
    """Back to a page the browser loads again (not kept whole in its back-forward cache): the
    runs are gone, and so every box shows the page's value (a choice and a box kept the last
    ones, beside a panel whose Python and runs were gone).  Kept whole, runs and boxes both."""
    with _chapter(built, "06-equalize-nat", phone=True) as (ctx, pg, url):
        ctx.route("**/op1-live/worker.js", lambda r: r.abort())        # (a change starts Python ahead)
        pg.evaluate("""() => { addEventListener('pagehide', () => sessionStorage.setItem('left', '1'));
          window.__kept = 'yes'; }""")
        pg.select_option("[data-live] select[name=nat]", "netfilter")
        pg.check("[data-live] input[name=ingress_filter]")
        _set(pg, {"seed": "7", "down_kbit": "1000,500"})
        pg.goto(url.replace("06-equalize-nat", "05-nat"), wait_until="load")
        pg.go_back(wait_until="load")
        pg.wait_for_timeout(300)
        if pg.evaluate("window.__kept") == "yes":                    # (the back-forward cache)
            assert pg.eval_on_selector("[data-live] select[name=nat]", "s => s.value") == "netfilter"
            return
        assert all(same for _, same in pg.evaluate(AS_GIVEN_JS)), pg.evaluate(AS_GIVEN_JS)


# -- offline -------------------------------------------------------------------------------------------

def test_offline_a_page_read_and_the_live_runtime_once_fetched_still_work(built):
    """The site's service worker (sw.js, at its root, registered by every page) keeps what a
    reader has read and the live runtime once a Run fetched it: offline, the page reloads, a Run
    runs, and a chapter never read says so in a page of its own (the browser's "no internet"
    page before).  Online, every request goes to the site first."""
    sw = (built / "sw.js").read_text()
    built_as = re.search(r'<span class="op1-built">([^<]+)</span>', (built / "book" / "05-nat.html").read_text())
    assert f'const BUILD = "{built_as.group(1)}-' in sw                    # keyed by the footer's version
    with _chapter(built, "06-equalize-nat", phone=True) as (ctx, pg, url):
        pg.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
        pg.click("[data-live] [data-run]")
        pg.wait_for_function(RUNS_SHOWN, arg=1, timeout=300_000)
        pg.wait_for_function("document.querySelector('[data-live] .op1-lp-run').hasAttribute('data-live-complete')",
                             timeout=300_000)
        # what the page loaded before the worker took it is kept too (the page said what it was)
        # (polled here: wait_for_function takes an async function's promise for a true value)
        kept = """async () => { const k = (await caches.keys()).find(k => k.startsWith('op1-'));
          if (!k) return false; const c = await caches.open(k);
          return !!(await c.match(location.href)) && !!(await c.match(new URL('../_static/op1-live/panel.css', location.href).href,
                                                                     {ignoreSearch: true})); }"""
        for _ in range(300):
            if pg.evaluate(kept):
                break
            pg.wait_for_timeout(200)
        assert pg.evaluate(kept)
        ctx.set_offline(True)
        try:
            pg.reload(wait_until="load")
            assert pg.locator("[data-live] [data-run]").count() == 1
            styled = pg.eval_on_selector("[data-live]", "e => getComputedStyle(e).borderTopStyle")
            assert styled == "solid", styled                              # its styles came too
            pg.click("[data-live] [data-run]")
            pg.wait_for_function(RUNS_SHOWN, arg=1, timeout=300_000)
            assert pg.inner_text("[data-live] .op1-lp-status").startswith("Run 1:")
            pg.goto(url.replace("06-equalize-nat", "07-icmp"), wait_until="load")
            assert "This page is not on this device yet" in pg.inner_text("h1")
        finally:
            ctx.set_offline(False)


def test_a_page_opened_as_a_file_says_where_to_serve_the_book_from_and_this_pages_address(built):
    """A student who double-clicked a chapter of a downloaded copy presses Run: the panel says to
    serve the book, in which folder (the one that holds the site's root, not a build's
    _build/html that a downloaded copy does not have), and the address this chapter then has."""
    sync_playwright = _browser()
    page = built / "book" / "06-equalize-nat.html"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            pg = b.new_page()
            pg.goto(page.as_uri(), wait_until="load")
            pg.click("[data-live] [data-run]")
            pg.wait_for_function("/^Live runs need/.test(document.querySelector('[data-live] .op1-lp-status').textContent)",
                                 timeout=60_000)
            said = pg.text_content("[data-live] .op1-lp-status")
        finally:
            b.close()
    assert f"in the folder {built.resolve()}/ run  python3 -m http.server  and open " \
        "http://localhost:8000/book/06-equalize-nat.html " in said, said
    assert "_build/html" not in said.replace(str(built.resolve()), ""), said
