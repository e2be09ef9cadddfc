"""Reading offline, on a device that has read part of the book, after the site was updated.

- A new build keeps what the device had kept: its worker carries the older build's copies over
  into its own (each address asked for again; a file the site says is unchanged is the old copy)
  and only then throws them away.  A student who read chapters 4 and 6 and ran chapter 6's
  panel, then opened one page online after an update, still reads both and runs offline.
- Offline when the new worker came, the older copies stay, and serve, until a page read online
  lets the worker carry them over.
- Offline, a page not on the device is not a dead end: its page of its own (one <main>, a
  heading) links the pages that are, the book's first page first.
- "Save the book for offline reading", at the foot of every page, keeps every page of the book
  (not the live runtime) on the device.

The browser tests use the built site (_build/html): ``make book`` first.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_live_sw import KEPT, KEYS, _build_of, _read, built, browser_on, served, site_served, until  # noqa: E402,F401

#: the live panel's replays shown, ``n`` of them
RUNS_SHOWN = "n => document.querySelectorAll('[data-live] .op1-lp-out [data-replay][data-op1-live]').length === n"
#: the addresses a copy holds (``k``: its key)
HELD = "async k => (await (await caches.open(k)).keys()).map(r => r.url).sort()"
#: the worker has settled: no new one installing or waiting
SETTLED = """async () => { const r = await navigator.serviceWorker.getRegistration();
  return !!r && !r.installing && !r.waiting && !!r.active && r.active.state === 'activated'; }"""
LIVE = "/_static/op1-live/"


def _only(pg, keys: list[str]):
    """Wait until the origin's copies are ``keys``, and no others."""
    until(pg, f"async () => JSON.stringify(await ({KEYS})()) === {json.dumps(json.dumps(sorted(keys)))}", timeout=120)


def settled(pg, timeout: float = 120):
    """Wait until the new worker is active; else say where the registration stands."""
    try:
        until(pg, SETTLED, timeout=timeout)
    except AssertionError:
        state = pg.evaluate("""async () => { const r = await navigator.serviceWorker.getRegistration();
          const s = (w) => w && [w.scriptURL.split('/').pop(), w.state];
          return r && {installing: s(r.installing), waiting: s(r.waiting), active: s(r.active),
                       controller: s(navigator.serviceWorker.controller)}; }""")
        raise AssertionError(f"the new worker is not active after {timeout} s: {state}") from None


def update_offline(built, site, pg, page: str) -> tuple[str, str]:
    """The site updated while the device is offline: it reaches the site's sw.js (the update) and
    nothing else, as ``page`` is read; the new worker is active.  (The older copies' key, the new.)"""
    old = f"op1-{site.url}/ {_build_of(built)}"
    site.build = _build_of(built) + "-next"
    now = f"op1-{site.url}/ {site.build}"
    site.down, site.up = True, {"/sw.js"}
    pg.goto(page, wait_until="load")
    until(pg, f"async () => (await caches.keys()).includes({now!r})")
    settled(pg)
    return old, now


def test_an_update_keeps_the_pages_read_and_the_runtime_for_offline_reading(built, tmp_path):
    with site_served(built) as site:
        with browser_on(site, profile=tmp_path) as (ctx, pg):
            ch4 = _read(site, pg, "04-equalize")
            ch6 = _read(site, pg, "06-equalize-nat")
            pg.click("[data-live] [data-run]")
            pg.wait_for_function(RUNS_SHOWN, arg=1, timeout=300_000)
            pg.wait_for_function("document.querySelector('[data-live] .op1-lp-run').hasAttribute('data-live-complete')",
                                 timeout=300_000)
            for f in ("worker.js", "manifest.json", "sim.zip", "scapy.zip"):
                until(pg, KEPT, f"{site.url}{LIVE}{f}", timeout=120)
            old = f"op1-{site.url}/ {_build_of(built)}"
            pg.wait_for_timeout(1000)                      # (a copy being written)
            held = pg.evaluate(HELD, old)
            assert any(LIVE + "pyodide/" in u for u in held), held
        # the site is updated; the student comes back another day (the browser was closed, and
        # opened again on the same profile) and opens one page online.  (Left for another page in
        # the same browser, a page whose panel had run: in Chromium driven by Playwright the new
        # worker stayed "waiting" behind the older one for minutes, in one run of a few on a busy
        # machine and in most full CI runs, in the same tab and in a new one; a browser started
        # afresh has no older worker still running.  Why it waited is not known.)
        site.build = _build_of(built) + "-next"
        now = f"op1-{site.url}/ {site.build}"
        with browser_on(site, profile=tmp_path) as (ctx, pg):
            pg.goto(f"{site.url}/book/03-connection-level.html", wait_until="load")
            _only(pg, [now])
            assert set(held) <= set(pg.evaluate(HELD, now)), sorted(set(held) - set(pg.evaluate(HELD, now)))
            # the student goes offline later, once the new worker is active (the older copies are
            # thrown away at the end of its install, about a second before it is); the test ends
            # offline, and the browser is closed next
            settled(pg)
            ctx.set_offline(True)
            pg.goto(ch4, wait_until="load")
            assert pg.inner_text("h1") != "This page is not on this device yet"
            assert "4" in pg.title()
            pg.goto(ch6, wait_until="load")
            pg.click("[data-live] [data-run]")
            pg.wait_for_function(RUNS_SHOWN, arg=1, timeout=300_000)
            assert pg.inner_text("[data-live] .op1-lp-status").startswith("Run 1:")


def test_offline_when_the_update_came_the_older_copies_serve_until_they_are_carried_over(built):
    with served(built) as (site, ctx, pg):
        ch4 = _read(site, pg, "04-equalize")
        old, now = update_offline(built, site, pg, ch4)
        assert old in pg.evaluate(KEYS)
        pg.goto(ch4 + "?again", wait_until="load")
        assert pg.inner_text("h1") != "This page is not on this device yet"
        # online again: a page read carries the older copies over, then they go
        site.down = False
        pg.goto(f"{site.url}/book/03-connection-level.html", wait_until="load")
        _only(pg, [now])
        assert ch4 in pg.evaluate(HELD, now)


def test_offline_a_page_not_on_the_device_links_those_that_are(built):
    with served(built) as (site, ctx, pg):
        preface = _read(site, pg, "00-preface")
        ch4 = _read(site, pg, "04-equalize")
        title4 = pg.title()
        site.down = True
        pg.goto(f"{site.url}/book/07-icmp.html", wait_until="load")
        assert pg.locator("main").count() == 1 and pg.locator("main h1").inner_text() == \
            "This page is not on this device yet"
        links = pg.eval_on_selector_all("main li a", "as => as.map(a => [a.textContent, a.href])")
        assert [u for _, u in links] == [preface, ch4], links
        assert links[1][0] == title4
        # (everything the page says is in its landmark)
        assert pg.evaluate("Array.from(document.body.children).every(e => e.tagName === 'MAIN')")
        pg.click(f"main a[href='{ch4}']")
        pg.wait_for_load_state("load")
        assert pg.title() == title4


def test_save_the_book_keeps_every_page_for_offline_reading(built):
    with served(built) as (site, ctx, pg):
        _read(site, pg, "00-preface")
        button = pg.get_by_role("button", name="Save the book for offline reading")
        button.wait_for(timeout=60_000)
        button.click()
        said = pg.locator(".op1-save-said")
        assert said.get_attribute("role") == "status"
        pg.wait_for_function("/^All \\d+ pages/.test(document.querySelector('.op1-save-said').textContent.trim())",
                             timeout=300_000)
        # not the live runtime: a first Run fetches it
        assert not pg.evaluate(KEPT, f"{site.url}{LIVE}sim.zip")
        site.down = True
        pg.goto(f"{site.url}/book/back/glossary.html", wait_until="load")
        assert pg.inner_text("h1") != "This page is not on this device yet"
        assert "lossary" in pg.title()
        assert pg.eval_on_selector("body", "b => getComputedStyle(b).fontFamily") != "Times New Roman"
        # every page of the book
        for page in json.loads(__import__("re").search(r"const PAGES = (\[[^\]]*\]);",
                                                      (built / "sw.js").read_text()).group(1)):
            assert pg.evaluate(KEPT, f"{site.url}/{page}"), page
        # and the site's own pages: its root (a bookmark's address) sends the reader on to the
        # book's first page, and the header's search button opens the search page
        pg.goto(f"{site.url}/", wait_until="load")
        pg.wait_for_url("**/book/00-preface.html")
        assert pg.inner_text("h1") != "This page is not on this device yet"
        for page, title in (("genindex.html", "Index"), ("search.html", "Search")):
            pg.goto(f"{site.url}/{page}", wait_until="load")
            assert pg.title().startswith(title), (page, pg.title())


# -- the live panel ----------------------------------------------------------------------------------

def test_offline_before_a_first_run_the_panel_says_what_to_do_in_a_few_words(built):
    """A chapter read online, its panel never run: offline, Run says the simulator is not on the
    device yet and how to get it, not which of the runner's files could not be loaded; the panel's
    note, before any Run, says a first Run keeps it for offline use."""
    with served(built) as (site, ctx, pg):
        _read(site, pg, "04-equalize")
        note = pg.inner_text("[data-live] .op1-lp-note")
        assert "kept on this device for offline use" in note, note
        mb = int(pg.get_attribute("[data-live]", "data-fetch-bytes")) / 1e6
        ctx.set_offline(True)             # (and the test ends offline: see the first test)
        pg.click("[data-live] [data-run]")
        pg.wait_for_function("document.querySelector('[data-live] .op1-lp-status').textContent.startsWith('Offline')",
                             timeout=120_000)
        said = pg.inner_text("[data-live] .op1-lp-status")
        assert said == (f"Offline: the simulator ({mb:.0f} MB) is not on this device yet. Connect and press Run "
                        "once; after that it works offline. The replays and exercises on this page work now."), said


def test_a_run_from_the_keyboard_takes_the_focus_to_the_new_run_it_scrolled_to(built):
    """On a phone the new run comes below the form and the page scrolls to it: the focus, left in
    the seed box, went off the screen; it is taken to the new run's heading."""
    with served(built) as (site, ctx, pg):
        pg.set_viewport_size({"width": 360, "height": 740})
        _read(site, pg, "06-equalize-nat")
        seed = pg.locator("[data-live] input[name=seed]")
        seed.scroll_into_view_if_needed()
        seed.focus()
        pg.keyboard.press("Enter")                               # (a form's Enter: Run)
        pg.wait_for_function(RUNS_SHOWN, arg=1, timeout=300_000)
        pg.wait_for_function("!!document.activeElement && !!document.activeElement.closest('.op1-lp-run')",
                             timeout=30_000)
        focused = pg.evaluate("""() => { const a = document.activeElement, r = a.getBoundingClientRect();
          return {text: a.textContent, tabindex: a.getAttribute('tabindex'), top: r.top, bottom: r.bottom}; }""")
        assert focused["text"].startswith("Run 1") and focused["tabindex"] == "-1", focused
        assert 0 <= focused["top"] and focused["bottom"] <= 740, focused
