"""The site's service worker (book/_live/sw.js, written to the site's root by the build) in
Chromium, against the built site served from 127.0.0.1.

- A new build's worker throws the previous build's copies away, and leaves another site's (the
  instructor edition, served beside the book) alone.
- A captive portal's answer is never kept: a web page sent with 200 OK for a runtime file, or a
  redirect, whether the worker meets it in a page's request or fetching what a page loaded before
  the worker took it.  Offline, the page it stood for says it is not on this device.
- Offline, a chapter never read says so in a page of its own; one read comes back whole.
- A first visit asks the site for each file once: what the page loaded before the worker took
  it is kept from the browser's cache, not asked for again.

The browser tests use the built site (_build/html): ``make book`` first.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import re
import sys
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_inpage import CHROMIUM, HTML, _browser, _skip_or_fail  # noqa: E402

#: what a hotel's Wi-Fi answers for any address until its guest signs in
PORTAL = b"<!DOCTYPE html><html><body><h1>Sign in to the hotel's Wi-Fi</h1></body></html>"


@pytest.fixture(scope="module")
def built():
    if not (HTML / "sw.js").exists() or not (HTML / "book" / "05-nat.html").exists():
        _skip_or_fail("the book is not built: run make book")
    return HTML


class Site:
    """The built site served from 127.0.0.1, as a host that asks browsers to check every file
    again before using a copy (``Cache-Control: no-cache``, as many hosts do).  ``build``: the
    version the served sw.js says (None: the build's); ``portal``: {path: "page" | "redirect"},
    answered as a captive portal does (a 200 OK page, or a redirect to its sign-in page);
    ``log``: the paths asked for; ``down``: the site does not answer (a closed connection), but
    for the paths in ``up``."""

    def __init__(self, root: Path):
        self.root, self.build, self.portal, self.log, self.down, self.up = root, None, {}, [], False, set()
        site = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def end_headers(self):
                self.send_header("Cache-Control", "no-cache")
                super().end_headers()

            def do_GET(self):
                path = urlparse(self.path).path
                if site.down and path not in site.up:
                    self.close_connection = True
                    return
                how = site.portal.get(path)              # (decided when it is logged)
                site.log.append(path)
                if how == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/portal.html")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if how == "page" or path == "/portal.html":
                    return self._send(PORTAL, "text/html")
                if path == "/sw.js" and site.build is not None:
                    text = (site.root / "sw.js").read_text()
                    return self._send(re.sub(r'const BUILD = "[^"]*"', f'const BUILD = "{site.build}"', text).encode(),
                                      "text/javascript")
                return super().do_GET()

            def _send(self, body: bytes, kind: str):
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], ConnectionError):     # (a page left mid-answer: not news)
                    super().handle_error(request, client_address)

        self.srv = Server(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"


@contextlib.contextmanager
def site_served(built):
    """The built site served from 127.0.0.1 (a ``Site``), stopped after."""
    site = Site(built)
    try:
        yield site
    finally:
        site.srv.shutdown()
        site.srv.server_close()


@contextlib.contextmanager
def browser_on(site: Site, route: bool = True, profile: Path | None = None):
    """(context, page) -- a headless Chromium with nothing fetched from elsewhere than ``site``
    (``route``: Playwright's routing, which turns the browser's HTTP cache off), closed after.
    ``profile``: a folder the browser keeps its data in (its service workers and their copies), so
    that a browser opened again on it is the same device the next day; else a new one."""
    sync_playwright = _browser()
    with sync_playwright() as p:
        opts = dict(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        viewport = {"width": 1366, "height": 768}
        if profile is None:
            b = p.chromium.launch(**opts)
            ctx = b.new_context(viewport=viewport)
        else:
            b = ctx = p.chromium.launch_persistent_context(str(profile), viewport=viewport, **opts)
        try:
            if route:
                ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                          else r.abort())
            yield ctx, ctx.new_page()
        finally:
            b.close()


@contextlib.contextmanager
def served(built, route: bool = True):
    """(site, context, page) -- the site served, a headless Chromium with nothing fetched from
    elsewhere (``route``: Playwright's routing, which turns the browser's HTTP cache off)."""
    with site_served(built) as site, browser_on(site, route) as (ctx, pg):
        yield site, ctx, pg


#: the keys of the copies this origin keeps
KEYS = "async () => (await caches.keys()).sort()"
#: whether the worker's copies hold ``url``
KEPT = """async (url) => { for (const k of await caches.keys()) {
  if (k.startsWith('op1-') && await (await caches.open(k)).match(url, {ignoreSearch: true})) return true; }
  return false; }"""


def until(pg, js: str, arg=None, timeout: float = 60):
    """Wait until the page's (async) function ``js`` of ``arg`` gives a true value.  (Playwright's
    wait_for_function takes the promise an async function returns for a true value: it waited
    for nothing.)"""
    for _ in range(int(timeout * 5)):
        if pg.evaluate(js, arg):
            return
        pg.wait_for_timeout(200)
    assert pg.evaluate(js, arg), (js, arg)


def told_loaded(site: Site, pg, chapter: str):
    """A page tells the worker it loaded ``chapter`` (the worker fetches it to keep it), then a
    chapter the site answers as itself: once that one is kept, the worker was done with the first."""
    sentinel = f"{site.url}/book/01-network.html"
    pg.evaluate("us => navigator.serviceWorker.controller.postMessage({keep: us})",
                [f"{site.url}/book/{chapter}.html", sentinel])
    until(pg, KEPT, sentinel)


def _read(site: Site, pg, chapter: str) -> str:
    """Read ``chapter`` with the worker in control, until its copy is kept; its URL."""
    url = f"{site.url}/book/{chapter}.html"
    pg.goto(url, wait_until="load")
    pg.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
    until(pg, KEPT, url)
    return url


def test_a_new_build_throws_the_previous_builds_copies_away_and_no_other_sites(built):
    with served(built) as (site, ctx, pg):
        url = _read(site, pg, "05-nat")
        first = pg.evaluate(KEYS)
        assert len(first) == 1 and first[0] == f"op1-{site.url}/ {_build_of(built)}", first
        # the instructor edition, served beside the book, keeps its own copies by its own scope
        other = f"op1-{site.url}/instructor/ {_build_of(built)}"
        pg.evaluate("k => caches.open(k)", other)
        site.build = _build_of(built) + "-next"
        pg.goto(url, wait_until="load")            # (the page registers the worker again: sw.js is checked)
        now = f"op1-{site.url}/ {site.build}"
        until(pg, f"async () => JSON.stringify(await ({KEYS})()) === JSON.stringify({sorted([now, other])!r})")
        # the new build's worker keeps the page again, in its own copies
        pg.goto(url, wait_until="load")
        until(pg, f"async () => !!(await (await caches.open({now!r})).match({url!r}))")


def _build_of(built: Path) -> str:
    return re.search(r'const BUILD = "([^"]*)"', (built / "sw.js").read_text()).group(1)


def test_a_captive_portals_answer_is_never_kept(built):
    """A hotel's Wi-Fi before its guest signs in answers the runtime's files with its sign-in page
    (200 OK) or a redirect to it, and a chapter with a redirect: none of it is kept, and offline
    that chapter is not on this device (it showed the sign-in page)."""
    live = "/_static/op1-live/"
    files = {f"{live}manifest.json": "page", f"{live}graphviz.mjs": "page",
             f"{live}sim.zip": "redirect", f"{live}pyodide/pyodide.mjs": "redirect"}
    with served(built) as (site, ctx, pg):
        _read(site, pg, "05-nat")
        site.portal.update(files)
        site.portal["/book/07-icmp.html"] = "redirect"
        site.portal["/book/09-modern-linux.html"] = "redirect"
        # the runtime's files asked for by the page (as its worker asks for them on a first Run)
        for path in files:
            pg.evaluate("async u => { await (await fetch(u)).arrayBuffer(); }", site.url + path)
        # a chapter opened, redirected
        pg.goto(f"{site.url}/book/09-modern-linux.html", wait_until="load")
        assert "Sign in" in pg.inner_text("h1")
        # a chapter a page says it loaded before the worker took it (the worker fetches it to
        # keep it), redirected
        told_loaded(site, pg, "07-icmp")
        # (the page's fetches were answered before the sentinel was asked for)
        kept = {p: pg.evaluate(KEPT, site.url + p) for p in [*files, "/book/07-icmp.html", "/book/09-modern-linux.html"]}
        assert not any(kept.values()), kept
        site.down = True
        for chapter in ("07-icmp", "09-modern-linux"):
            pg.goto(f"{site.url}/book/{chapter}.html", wait_until="load")
            assert pg.inner_text("h1") == "This page is not on this device yet", chapter


def test_offline_an_unread_chapter_says_it_is_not_on_this_device_and_a_read_one_comes_back(built):
    with served(built) as (site, ctx, pg):
        url = _read(site, pg, "05-nat")
        title = pg.title()
        site.down = True                          # the site does not answer
        pg.goto(url.replace("05-nat", "07-icmp"), wait_until="load")
        assert pg.inner_text("h1") == "This page is not on this device yet"
        assert "/book/07-icmp.html" in pg.inner_text("body") and "not read on it" in pg.inner_text("body")
        pg.goto(url + "#fragment", wait_until="load")
        assert pg.title() == title
        # (with its styles: the theme's, kept with it)
        assert pg.eval_on_selector("body", "b => getComputedStyle(b).fontFamily") != "Times New Roman"


def test_a_first_visit_asks_the_site_for_each_file_once(built):
    """The worker keeps what the first page loaded before it took the page from the browser's
    cache: each file was asked for again (checked again, under no-cache) right after the
    worker's first registration.  (No routing here: it turns the browser's cache off.)"""
    with served(built, route=False) as (site, ctx, pg):
        _read(site, pg, "06-equalize-nat")
        until(pg, KEPT, f"{site.url}/_static/op1-live/panel.css")
        # every file the page loaded is kept by now (the page's own last)
        loaded = pg.evaluate("performance.getEntriesByType('resource').map(e => e.name)"
                             ".filter(u => u.startsWith(location.origin) && !u.endsWith('/sw.js'))")
        for u in loaded:
            until(pg, KEPT, u)
        twice = {p: n for p, n in Counter(site.log).items() if n > 1 and p != "/sw.js"}
        assert twice == {}, twice
