"""The book: it builds with zero warnings, and every chapter works in a real browser, offline.

``make test`` builds the book first (``make book``) and this module uses that build;
run alone, it builds the book when ``_build/html`` is missing or older than the sources.
The browser test opens every page of ``_toc.yml`` in headless Chromium (Debian's
``/usr/bin/chromium`` driven by playwright), with every request that is not to the
local server blocked and counted.  Skipped with a reason when Chromium or playwright
is missing -- except under ``CI=true``, where that is a failure.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import io
import math
import re
import shutil
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS
from conftest import skip_or_fail as _skip_or_fail
from view_helpers import MIN_TEXT_JS

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
MAX_PAGE_BYTES = 3 * 1024 * 1024
KNOWN_CONSOLE_ERRORS = ()     # (JB1 declared THEBE_JS_URL twice on every page: book/op1_thebe.py)


def toc_pages() -> list[str]:
    """The pages of ``_toc.yml``, in order (``book/00-preface`` ...)."""
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)", text, re.M)


def _sources() -> list[Path]:
    return [ROOT / "_config.yml", ROOT / "_toc.yml", *ROOT.glob("book/*.md"), ROOT / "book" / "booklib.py",
            ROOT / "book" / "references.bib"]


def _stale() -> bool:
    pages = [HTML / f"{p}.html" for p in toc_pages()]
    if not all(p.exists() for p in pages):
        return True
    built = min(p.stat().st_mtime for p in pages)
    return any(s.stat().st_mtime > built for s in _sources())


@pytest.fixture(scope="session")
def book_html() -> Path:
    if _stale():
        jb = Path(sys.executable).parent / "jupyter-book"
        if not jb.exists():
            _skip_or_fail("jupyter-book is not installed (pip install -r requirements-book.txt)")
        proc = subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
                              cwd=ROOT, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, "book build failed:\n" + proc.stdout[-4000:] + proc.stderr[-4000:]
    return HTML


def test_toc_pages_built(book_html):
    for page in toc_pages():
        assert (book_html / f"{page}.html").exists(), page


def toc_chapters() -> list[str]:
    """The numbered chapters of ``_toc.yml`` (``book/01-network`` ...): its ``chapters``
    entries named ``NN-...``, so a chapter added there is checked like the others."""
    return [p for p in toc_pages()[1:] if re.match(r"\d+-", Path(p).name)]


def test_toc_lists_the_numbered_chapters():
    assert len(toc_chapters()) >= 10
    on_disk = sorted(f"book/{f.stem}" for f in (ROOT / "book").glob("[0-9]*-*.md") if not f.stem.startswith("00-"))
    assert toc_chapters() == on_disk, "a chapter in book/ is missing from _toc.yml (or out of order)"


def test_chapters_have_their_parts(book_html):
    """Every numbered chapter: a replay, a figure, a "what real kernels do" box and a summary."""
    for page in toc_chapters():
        name = Path(page).name
        html = (book_html / f"{page}.html").read_text()
        assert "data-replay=" in html, f"{name}: no replay"
        assert 'class="bl-figure"' in html, f"{name}: no plot or diagram"
        assert "What real kernels do" in html, f"{name}: no 'what real kernels do' box"
        assert re.search(r"<h2>Summary", html), f"{name}: no summary"


def test_no_cell_errors(book_html):
    """No traceback or stderr output reached a page."""
    for page in toc_pages():
        html = (book_html / f"{page}.html").read_text()
        assert "Traceback (most recent call last)" not in html, page
        assert 'class="output traceback' not in html and 'class="output stderr' not in html, page


def test_no_page_names_a_folder_of_the_machine_that_built_it(book_html):
    """A page's outputs name no scratch folder or checkout of the machine that built it: the
    instructor guide's worksheet example printed "/tmp/tmpq16ovq12/worksheet-graded.csv: column
    'Grade' filled ..." (a student's finding, in Binder and on the site)."""
    import tempfile
    where = [tempfile.gettempdir().rstrip("/") + "/tmp", str(Path(__file__).resolve().parents[1]) + "/"]
    for page in toc_pages():
        text = re.sub(r"<[^>]+>", "", (book_html / f"{page}.html").read_text())
        found = [w for w in where if w in text]
        assert not found, (page, found, [text[max(0, text.index(w) - 80):text.index(w) + 80] for w in found])


# -- the browser ------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(book_html):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(book_html)))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="session")
def browser_report(server):
    """Open every page once; collect what the tests below check."""
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("the playwright Python package is not installed")
    report = {"outside": [], "console": defaultdict(list), "players": {}, "no_alt": defaultdict(list),
              "links": defaultdict(set), "loads": defaultdict(dict), "icons": {}, "glyphs": {}}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = b.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        page_name = {"now": ""}

        def route(r):
            if urlparse(r.request.url).hostname == "127.0.0.1":
                r.continue_()
            else:
                report["outside"].append((page_name["now"], r.request.url))
                r.abort()
        ctx.route("**/*", route)
        pg = ctx.new_page()
        cdp = ctx.new_cdp_session(pg)
        pg.on("console", lambda m: report["console"][page_name["now"]].append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: report["console"][page_name["now"]].append(f"pageerror: {e}"))

        def on_response(resp):
            if urlparse(resp.url).hostname != "127.0.0.1":
                return
            try:
                n = len(resp.body())
            except Exception:
                n = int(resp.headers.get("content-length", 0) or 0)
            report["loads"][page_name["now"]][resp.url.split("#")[0]] = n
        pg.on("response", on_response)

        for page in toc_pages():
            page_name["now"] = page
            pg.goto(f"{server}/{page}.html", wait_until="load")
            pg.wait_for_timeout(300)
            # every image has alt text
            report["no_alt"][page] = pg.eval_on_selector_all(
                "img", "els => els.filter(e => !(e.getAttribute('alt') || '').trim()).map(e => e.src.slice(0, 80))")
            # the theme's icons, as drawn (book/op1_icons.py)
            report["icons"][page] = pg.evaluate(ICONS_JS)
            # the names and text assistive technology reads that hold an icon font's glyph
            report["glyphs"][page] = sorted(
                {(n["role"]["value"], n["name"]["value"]) for n in cdp.send("Accessibility.getFullAXTree")["nodes"]
                 if "name" in n and "role" in n and _PRIVATE_USE.search(str(n["name"].get("value", "")))})
            # every player steps with the keyboard
            steps = []
            for k, el in enumerate(pg.query_selector_all("[data-replay]")):
                el.scroll_into_view_if_needed()
                before = el.get_attribute("data-step")
                el.focus()
                pg.keyboard.press("ArrowRight")
                pg.wait_for_timeout(50)
                steps.append((k, el.get_attribute("data-replay"), before, el.get_attribute("data-step")))
            report["players"][page] = steps
            # internal links
            for href in pg.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                u = urlparse(href)
                if u.scheme in ("http", "https") and u.hostname == "127.0.0.1":
                    report["links"][page].add(href)
        b.close()
    return report


# Each FontAwesome icon the page shows: its classes, whether it is an inline SVG (what
# fontawesome.js makes of it), the glyph its ::before draws and in which font, its width, and
# whether it is hidden from assistive technology.
ICONS_JS = r"""() => Array.from(document.querySelectorAll('i, span, svg')).filter(el => {
    const c = (el.getAttribute('class') || '').split(/\s+/);
    return c.some(k => ['fa', 'fas', 'far', 'fab', 'fa-solid', 'fa-regular', 'fa-brands'].includes(k) || k.startsWith('fa-'));
  }).filter(el => el.getClientRects().length).map(el => {
    const b = getComputedStyle(el, '::before');
    return {cls: el.getAttribute('class'), svg: el.tagName.toLowerCase() === 'svg', glyph: b.content,
            font: b.fontFamily, width: el.getBoundingClientRect().width,
            hidden: el.closest('[aria-hidden=true]') !== null};
  })"""


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")     # Unicode's private use area: where icon fonts draw


def test_no_page_carries_thebes_scripts(book_html):
    """Thebe is off (the pages run live in the browser): no page declares THEBE_JS_URL (JB1 did,
    twice, naming unpkg.com) or loads sphinx-thebe.js (book/op1_thebe.py)."""
    pages = sorted(book_html.rglob("*.html"))
    assert len(pages) > 10
    bad = [p.relative_to(book_html).as_posix() for p in pages
           if "THEBE_JS_URL" in (t := p.read_text(errors="replace")) or "sphinx-thebe.js" in t]
    assert not bad, bad


def test_no_outside_requests(browser_report):
    assert browser_report["outside"] == [], f"requests to other hosts: {browser_report['outside'][:10]}"


def test_no_console_errors(browser_report):
    bad = {p: [m for m in msgs if not any(k in m for k in KNOWN_CONSOLE_ERRORS)]
           for p, msgs in browser_report["console"].items()}
    bad = {p: m for p, m in bad.items() if m}
    assert not bad, bad


def test_theme_icons_are_the_webfonts_glyphs_without_fontawesomes_script(browser_report):
    """No page loads fontawesome.js (1.5 MB, book/op1_icons.py); every icon the theme shows is
    then the webfont's glyph, drawn and hidden from assistive technology."""
    scripts = {p: [u for u in res if "/fontawesome.js" in u] for p, res in browser_report["loads"].items()}
    assert not any(scripts.values()), {p: u for p, u in scripts.items() if u}
    seen, bad = 0, []
    for page, icons in browser_report["icons"].items():
        for icon in icons:
            seen += 1
            drawn = (not icon["svg"] and icon["glyph"] not in ("none", "normal", '""')
                     and "Font Awesome" in icon["font"] and icon["width"] > 0)
            # hidden: aria-hidden, or (the colour-mode button's icons, which hold their mode as
            # hidden text) the glyph given an empty alternative text, content: "\uf185" / ""
            quiet = icon["hidden"] or icon["glyph"].replace(" ", "").endswith('/""')
            if not (drawn and quiet):
                bad.append((page, icon))
    assert seen >= 5 * len(browser_report["icons"]), f"only {seen} icons found on {len(browser_report['icons'])} pages"
    assert not bad, bad[:5]


def test_assistive_technology_reads_no_icon_glyph(browser_report):
    """No name or text in a page's accessibility tree holds a private-use character: the theme's
    icons are hidden (book/op1_icons.py), the admonitions' glyphs have an empty alternative text
    (book/_assets/a11y/op1-a11y.css)."""
    assert len(browser_report["glyphs"]) == len(toc_pages())
    bad = {p: g for p, g in browser_report["glyphs"].items() if g}
    assert not bad, bad


def test_every_player_steps(browser_report):
    total = 0
    for page, steps in browser_report["players"].items():
        for k, name, before, after in steps:
            total += 1
            assert before is not None and after is not None, f"{page}: player {k} ({name}) has no data-step"
            assert after != before, f"{page}: player {k} ({name}) did not step on → ({before} -> {after})"
    assert total > 0, "no player found on any page"


def test_every_image_has_alt_text(browser_report):
    bad = {p: v for p, v in browser_report["no_alt"].items() if v}
    assert not bad, bad


def test_no_broken_internal_link(browser_report):
    broken = []
    ids_cache: dict[Path, set] = {}
    for page, links in browser_report["links"].items():
        for href in sorted(links):
            u = urlparse(href)
            path = unquote(u.path).lstrip("/") or "index.html"
            target = HTML / path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append((page, href))
                continue
            if u.fragment and target.suffix == ".html":
                if target not in ids_cache:
                    ids_cache[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text(errors="replace")))
                if unquote(u.fragment) not in ids_cache[target]:
                    broken.append((page, href))
    assert not broken, broken


def test_page_weight(browser_report):
    """HTML plus what a page loads that no other page loads: at most 3 MB."""
    loads = browser_report["loads"]
    users = defaultdict(set)
    for page, res in loads.items():
        for url in res:
            users[url].add(page)
    sizes = {}
    for page, res in loads.items():
        own = sum(n for url, n in res.items() if len(users[url]) == 1 or url.endswith(f"/{page}.html"))
        sizes[page] = own
    print("page weights (bytes):", sizes)
    heavy = {p: n for p, n in sizes.items() if n > MAX_PAGE_BYTES}
    assert not heavy, heavy


# -- a phone and a laptop ------------------------------------------------------------------------

SCREENS = {"phone": (390, 844), "laptop": (1366, 768)}
ARTIFACTS = ROOT / "_build" / "test-artifacts"
MIN_PLAYER_TEXT_PX = 10
PLAYERS = "[data-replay], .op1-live"


# Ladder rows of a step after the current one that a reader can see: drawn (not display:none)
# and inside the part of the ladder's drawing that is shown.  (Each of a player's two ladders,
# the wide one and a phone's, one shown: their rows are counted apart.)
FUTURE_ROWS_JS = r"""root => {
  const out = [];
  root.querySelectorAll('.op1-ladder-box svg.op1-ladder-body').forEach(box => {
    const rows = Array.from(box.querySelectorAll('.op1-row'));
    const cur = rows.findIndex(g => g.classList.contains('cur'));
    rows.forEach((g, j) => {
      if (j <= Math.max(cur, 0) || getComputedStyle(g).display === 'none') return;
      const svg = g.ownerSVGElement, r = g.getBoundingClientRect(), s = svg.getBoundingClientRect();
      if (r.height > 0 && r.top < s.bottom - 1) out.push(g.getAttribute('data-i'));
    });
  });
  return out;
}"""


# A figure (an SVG <img>): its drawn width and the smallest text in it at that width, read from
# a copy of its SVG put in the page at the same width (an <img>'s text cannot be measured).
FIGURE_TEXT_JS = r"""img => {
  const minText = """ + MIN_TEXT_JS + r""";
  const w = img.getBoundingClientRect().width;
  const bytes = Uint8Array.from(atob(img.getAttribute('src').split(',')[1]), c => c.charCodeAt(0));
  const doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes), 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  svg.setAttribute('width', w);
  svg.removeAttribute('height');
  const box = document.createElement('div');
  box.style.cssText = 'position:absolute;left:0;top:0;width:' + w + 'px';
  box.appendChild(svg);
  document.body.appendChild(box);
  try { return [w, ...minText(box)]; } finally { box.remove(); }
}"""


# Every box that scrolls sideways (a figure's, a player's): whether it overflows, where it is
# scrolled to and how far it can go, its tabindex, and the fade at its left and right edges (px).
SCROLL_BOXES_JS = r"""() => Array.from(document.querySelectorAll('.bl-scroll, .op1-kscroll, .pst-scrollable-table-container'))
  .filter(e => e.offsetParent).map(e => {
    const cs = getComputedStyle(e);
    return [e.classList[0], e.scrollWidth > e.clientWidth + 1, e.scrollLeft, e.scrollWidth - e.clientWidth,
            e.getAttribute('tabindex'), parseFloat(cs.getPropertyValue('--op1-fl')) || 0,
            parseFloat(cs.getPropertyValue('--op1-fr')) || 0];
  })"""


# The controls of the players, exercises and live panels a finger must hit, visible and smaller
# than 24 x 24 CSS px (WCAG 2.2's target size, 2.5.8), a check box or radio button with its label
# (which works it too): [what, width, height].
SMALL_TARGETS_JS = r"""() => Array.from(document.querySelectorAll(
    ':is(.op1, .sx-exercise, .op1-livepanel) :is(button, input, select, summary, a[href], [role=button])'))
  .filter(e => e.offsetParent && getComputedStyle(e).visibility !== 'hidden' && !e.closest('svg'))
  .map(e => { // a box or a button inside its label: tapping the label works it too
              const lab = e.closest('label') || (e.labels && e.labels[0]);
              const r = (lab && /^(checkbox|radio)$/.test(e.type) ? lab : e).getBoundingClientRect();
              return [e.tagName.toLowerCase() + (e.type ? '[' + e.type + ']' : '') + '.' + (e.className || '') +
                      ' ' + (e.textContent || e.name || '').trim().slice(0, 24), Math.round(r.width), Math.round(r.height)]; })
  .filter(([, w, h]) => w < 24 || h < 24)"""


# Every plot drawn twice (book/booklib.py ``show``): which drawing is shown, and whether it is
# wider than the page column (its box scrolls).
PLOTS_JS = r"""() => Array.from(document.querySelectorAll('.bl-figure'))
  .filter(f => f.querySelector('.bl-narrow')).map(f => {
    const shown = Array.from(f.querySelectorAll('.bl-wide, .bl-narrow')).filter(d => d.offsetParent);
    return [shown.map(d => d.className), shown.length ? shown[0].scrollWidth > f.clientWidth + 1 : null];
  })"""


@pytest.fixture(scope="session")
def screens_report(server):
    """Every page at a phone's and a laptop's size: page width, the smallest text in each
    player (phone), the later-step ladder rows visible at step 1; screenshots of chapter 6's
    first player at its middle step."""
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("the playwright Python package is not installed")
    report = {"wide": {}, "text": {}, "future": {}, "shots": {}, "figures": {}, "boxes": {}, "plots": {}, "targets": {}}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for screen, (w, h) in SCREENS.items():
            ctx = b.new_context(viewport={"width": w, "height": h}, service_workers="block")
            ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                      else r.abort())
            pg = ctx.new_page()
            for page in toc_pages():
                pg.goto(f"{server}/{page}.html", wait_until="load")
                pg.wait_for_function("Array.from(document.querySelectorAll('[data-replay]'))"
                                     ".every(e => e.hasAttribute('data-op1-live'))", timeout=20_000)
                pg.wait_for_timeout(200)
                sw, iw = pg.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                report["wide"][(screen, page)] = (sw, iw)
                players = pg.query_selector_all(PLAYERS)
                for k, el in enumerate(players):
                    name = el.get_attribute("data-replay") or "live"
                    report["future"][(screen, page, k, name)] = el.evaluate(FUTURE_ROWS_JS)
                    if screen == "phone":
                        report["text"][(page, k, name)] = el.evaluate(MIN_TEXT_JS)
                report["boxes"][(screen, page)] = pg.evaluate(SCROLL_BOXES_JS)
                for k, img in enumerate(pg.query_selector_all(".bl-figure img")):
                    if img.evaluate("i => i.offsetParent !== null"):        # the drawing this screen shows
                        report["figures"][(screen, page, k)] = img.evaluate(FIGURE_TEXT_JS)
                report["plots"][(screen, page)] = pg.evaluate(PLOTS_JS)
                if screen == "phone":
                    report["targets"][page] = pg.evaluate(SMALL_TARGETS_JS)
                if page.endswith("06-equalize-nat"):
                    el = pg.query_selector("[data-replay]")
                    n = int(el.get_attribute("data-frames"))
                    el.query_selector("input.op1-slider").evaluate(
                        "(s, k) => { s.value = k; s.dispatchEvent(new Event('input')); }", n // 2)
                    el.evaluate("e => e.scrollIntoView({block: 'start'})")
                    pg.wait_for_timeout(100)
                    shot = ARTIFACTS / f"ch06-player-middle-step-{w}x{h}.png"
                    view = ARTIFACTS / f"ch06-player-middle-step-{w}x{h}-screen.png"
                    el.screenshot(path=str(shot))
                    pg.screenshot(path=str(view))
                    report["shots"][screen] = (shot, view, int(el.get_attribute("data-step")), n)
            ctx.close()
        b.close()
    return report


def test_no_page_is_wider_than_a_phone_or_a_laptop(screens_report):
    wide = {k: v for k, v in screens_report["wide"].items() if v[0] > v[1]}
    assert screens_report["wide"] and not wide, f"pages wider than the window (scrollWidth, width): {wide}"


def test_player_text_is_readable_on_a_phone(screens_report):
    text = screens_report["text"]
    assert text, "no player found at 390 px"
    small = {k: v for k, v in text.items() if v[0] < MIN_PLAYER_TEXT_PX}
    print("smallest player text at 390 px:", min(v[0] for v in text.values()))
    assert not small, f"player text under {MIN_PLAYER_TEXT_PX} CSS px at 390 px: {small}"


def test_figure_text_is_readable_on_a_phone_and_a_laptop(screens_report):
    """Every figure's smallest text is at least MIN_PLAYER_TEXT_PX as drawn (book/booklib.py: on
    a phone a wide figure scrolls sideways in its box rather than shrink its text)."""
    figs = screens_report["figures"]
    assert sum(1 for k in figs if k[0] == "phone") >= 10, f"only {len(figs)} figures found"
    small = {k: v for k, v in figs.items() if v[1] < MIN_PLAYER_TEXT_PX}
    print("smallest figure text:", min(v[1] for v in figs.values()))
    assert not small, f"figure text under {MIN_PLAYER_TEXT_PX} CSS px (drawn width, px, text): {small}"


def test_a_box_that_scrolls_sideways_shows_it_and_is_a_keyboard_stop(screens_report):
    """A figure's, a player's or a table's box wider than its content (a phone) fades out on each
    side it can still be scrolled to, and takes the keyboard's focus; a box that does not scroll
    (a laptop) has no fade and is no tab stop."""
    boxes = screens_report["boxes"]
    scrolling = [b for v in boxes.values() for b in v if b[1]]
    fixed = [b for v in boxes.values() for b in v if not b[1]]
    # (no figure need scroll on a phone -- the book's map has a phone drawing of its own -- but
    # wide tables do, and share the figures' fade)
    assert scrolling and any(b[0] == "bl-scroll" for b in fixed), boxes
    bad = []
    for (screen, page), found in boxes.items():
        for kind, scrolls, left, most, tabindex, fade_l, fade_r in found:
            if 0 < most <= 1:
                continue                        # a pixel's rounding: scrolls to CSS, not to the scripts
            want = ((left > 1, left < most - 1) if scrolls else (False, False), scrolls)
            stop = tabindex is not None and int(tabindex) >= 0         # (the theme's tables: -1 when not)
            if ((fade_l > 0, fade_r > 0), stop) != want:
                bad.append((screen, page, kind, f"scrolled {left:.0f} of {most}", f"fade {fade_l}/{fade_r} px",
                            f"tabindex {tabindex}"))
    assert not bad, f"boxes whose fade or tab stop does not match their scrolling: {bad[:8]} ({len(bad)})"


def test_every_control_is_at_least_24_px_to_tap_on_a_phone(screens_report):
    """The players', exercises' and live panels' buttons, boxes, sliders, links and summaries
    are targets of at least 24 x 24 CSS px at 390 px (WCAG 2.2 target size, 2.5.8)."""
    targets = screens_report["targets"]
    assert targets, "no page measured"
    small = {page: v[:6] for page, v in targets.items() if v}
    assert not small, f"controls under 24 x 24 CSS px on a phone ([what, width, height]): {small}"


def test_a_phone_shows_each_plot_whole_in_its_narrow_drawing(screens_report):
    """A plot is drawn twice: a phone shows the drawing made for its width, whole (none of it
    scrolled out of sight: on a phone a wide plot showed only its left part), a laptop the
    chapter's own."""
    plots = screens_report["plots"]
    found = {screen: sum(len(v) for (s, _), v in plots.items() if s == screen) for screen in SCREENS}
    assert found["phone"] >= 10 and found["phone"] == found["laptop"], found
    want = {"phone": ["bl-narrow"], "laptop": ["bl-wide"]}
    bad = [(screen, page, k, shown, wide) for (screen, page), v in plots.items()
           for k, (shown, wide) in enumerate(v) if shown != want[screen] or (screen == "phone" and wide)]
    assert not bad, f"plots not shown whole in the drawing for the screen (shown, wider than the page): {bad}"


def test_a_figures_narrowest_width_is_where_its_smallest_text_is_readable():
    """book/booklib.py's ``readable_width``: the width at which the smallest text is MIN_TEXT_PX,
    never more than the drawing's own width; nothing for a drawing without text."""
    sys.path.insert(0, str(ROOT / "book"))
    import booklib as bl
    big = bl.dot('digraph { node [fontsize=20]; a -> b [label="x" fontsize=28] }')
    small = bl.dot('digraph { rankdir=LR; node [fontsize=5]; a -> b -> c -> d -> e }')
    own = {n: float(re.search(rb'width="([\d.]+)pt"', g).group(1)) * 4 / 3 for n, g in (("big", big), ("small", small))}
    vbw = float(re.search(rb'viewBox="[\d.]+ [\d.]+ ([\d.]+)', big).group(1))
    assert bl.readable_width(big) == math.ceil(bl.MIN_TEXT_PX * vbw / 20) < own["big"]
    assert bl.readable_width(small) == math.ceil(own["small"])        # 5 pt text: as drawn, no narrower
    assert bl.readable_width(b'<svg width="10pt" viewBox="0 0 10 10"><rect/></svg>') is None


def test_a_plots_narrow_drawing_stacks_its_panels_and_wraps_long_names():
    """book/booklib.py's ``narrow``: a phone-wide drawing; side-by-side panels one above the
    other, each with its tick labels; long category names and axis labels wrapped; nothing for
    a plot already that narrow."""
    sys.path.insert(0, str(ROOT / "book"))
    import booklib as bl
    plt = bl.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(8.5, 2.6), sharey=True)
    a.plot([1, 2], [1, 2], label="a long name for a line in the legend of this plot, wrapped")
    a.legend()
    b.barh(["one uplink", "two uplinks, equalize, NAT (the article)"], [1, 2])
    b.set_xlabel("one 300 kB download over two 2000 kbit/s lines, kbit/s (mean of 10 runs)")
    bl._svg(fig)                                    # drawn once, as show() draws the wide one
    svg = bl.narrow(fig).decode()
    assert float(re.search(r'width="([\d.]+)pt"', svg).group(1)) <= bl.NARROW_INCHES * 72 * 1.05
    (ax0, ay0, aw, _), (bx0, by0, bw, _) = a.get_position().bounds, b.get_position().bounds
    assert abs(ax0 - bx0) < 0.1 and ay0 > by0 and aw > 0.6 and bw > 0.4   # one above the other, full width
    assert all(t.get_visible() for t in b.get_yticklabels()) and b.yaxis.get_tick_params()["labelleft"]
    names = [t.get_text() for t in b.get_yticklabels()]
    assert " ".join(names[1].split()) == "two uplinks, equalize, NAT (the article)" and "\n" in names[1]
    assert all(len(line) <= 18 for n in names for line in n.splitlines()) and "article)" in svg
    assert max(len(line) for line in b.get_xlabel().splitlines()) <= 34
    assert all(len(line) <= 30 for t in a.get_legend().get_texts() for line in t.get_text().splitlines())
    plt.close(fig)
    small, _ = plt.subplots(figsize=(3.6, 3))
    assert bl.narrow(small) is None
    plt.close(small)


def test_no_ladder_shows_a_later_step_at_step_1(screens_report):
    fut = screens_report["future"]
    assert fut
    bad = {k: v[:5] for k, v in fut.items() if v}
    assert not bad, f"ladder rows of later steps visible at step 1 (trace events): {bad}"


def test_chapter_6_player_screenshots_at_its_middle_step_are_kept(screens_report):
    shots = screens_report["shots"]
    assert set(shots) == set(SCREENS), shots
    for screen, (shot, view, step, n) in shots.items():
        assert step == n // 2, (screen, step, n)
        for f in (shot, view):
            assert f.exists() and f.stat().st_size > 20_000, f


def test_no_book_replay_says_the_same_sentence_twice_in_a_row(book_html):
    """The narration is what a screen reader announces at each step: two steps in a row
    must never read alike (read from the replays' own data on the built pages)."""
    from sim.view.player import unpack
    replays = 0
    for page in toc_pages():
        html_text = (book_html / f"{page}.html").read_text()
        for packed in re.findall(r'class="op1-data" data-enc="deflate-base64">([^<]+)</script>', html_text):
            said = [s["n"] for s in unpack(packed.strip())["steps"]]
            replays += 1
            same = [s for a, s in zip(said, said[1:]) if a == s]
            assert not same, f"{page}: the same sentence twice in a row: {same[0]}"
    assert replays >= 15, replays


def replay_steps(book_html, page: str, title: str) -> list[int]:
    """The trace indices the replay titled ``title`` (its start) on ``page`` steps through, read
    from the built page's own player data."""
    import html
    from sim.view.player import unpack
    text = (book_html / f"{page}.html").read_text()
    at = text.index(f'class="op1-title">{html.escape(title, quote=True)}')
    packed = re.search(r'class="op1-data" data-enc="deflate-base64">([^<]+)</script>', text[at:]).group(1)
    return [s["i"] for s in unpack(packed.strip())["steps"]]


def test_ch3_download_replay_shows_its_uplinks_counter_climb(book_html):
    """The text says to watch the uplinks' packet counters: one of them moves. The replay ended
    at 72 ms with the server's first window still crossing the Internet's links (84 steps, the
    counter at 3 up and 2 down); it now keeps the router's own links after the request, so the
    counter keeps climbing within a phone-sized replay."""
    import sim
    from sim.view.model import analysis_of
    r = sim.run("connection-level", seed=1)
    steps = replay_steps(book_html, "book/03-connection-level", "connection-level, seed 1: every packet")
    assert len(steps) <= 60
    counts = analysis_of(r).uplink_counts(steps)[steps[-1]]
    moved = [l for l, (up, down) in counts.items() if up or down]
    assert len(moved) == 1 and min(counts[moved[0]]) >= 10, counts


def test_ch8_reset_replay_shows_the_reset_reach_the_client_and_the_clients_reset_reach_the_server(book_html):
    """The replay of the RFC 9293 server ended 12 events after the server's reset, before it
    had crossed a link: the reset reaching the client, the client's connection closing, the
    client's own reset and the server's connection dying of one were all after its end."""
    import sim
    page = "book/08-real-kernels"
    seed = int(re.search(r"equalize-nat, seed (\d+), RFC 9293 server", (book_html / f"{page}.html").read_text()).group(1))
    r = sim.run("equalize-nat", seed=seed, size=20_000, remote="rfc")
    steps = replay_steps(book_html, page, f"equalize-nat, seed {seed}, RFC 9293 server")
    assert len(steps) <= 60
    ev = [r.events[i] for i in steps]
    rst = lambda e: e.pkt is not None and "R" in (getattr(e.pkt.l4, "flags", "") or "")
    said = [(e.ev.value, e.node) for e in ev if rst(e) or e.ev.value == "tcp"]
    server_rst = said.index(("send", "remote1"))
    client_rst = said.index(("send", "local1"))
    assert ("hop", "lan") in said[server_rst:client_rst]                  # the server's reset crosses the LAN
    assert said[server_rst:client_rst].count(("tcp", "local1")) == 1      # the client's connection closes
    assert ("deliver", "remote1") in said[client_rst:]                     # the client's reset reaches the server
    assert ev[-1].ev.value == "tcp" and ev[-1].node == "remote1" and ev[-1].new == "CLOSED"


def test_ch10_mptcp_failure_replay_shows_the_jump_back_and_the_data_ack_leap(book_html):
    """The text says to watch the DSS data sequence number jump back to the hole and the
    client's data ACK leap forward once it is filled. The replay's 40 steps ended at 943 ms,
    before any re-sent byte reached the client (1046 ms) and long before the leap (3195 ms)."""
    import sim
    r = sim.run("mptcp", seed=1, down_at=0.5)
    steps = replay_steps(book_html, "book/10-two-links", "mptcp, if2 goes down at 0.5 s")
    assert len(steps) <= 60
    client = r.net["local1"].addr
    rein = [i for i in steps if r.events[i].ev.value == "app" and r.events[i].what.startswith("mptcp re-injects data on")]
    assert rein
    dss = [(i, e.pkt.ip.dst == client, e.pkt.l4.mptcp) for i, e in enumerate(r.events)
           if e.ev.value == "hop" and e.node == "lan" and getattr(e.pkt.l4, "mptcp", None) is not None
           and e.pkt.l4.mptcp.form == "dss"]
    top = max(o.mapping[0][0] + o.mapping[0][1] for i, down, o in dss if down and o.mapping and i < rein[0])
    shown = {i for i in steps}
    # a step after the re-injection whose data seq is below one the client had already had
    hi, back = 0, None
    for i, down, o in dss:
        if down and o.mapping:
            if i > rein[0] and o.mapping[0][0] < hi and i in shown:
                back = i
                break
            hi = max(hi, o.mapping[0][0])
    assert back is not None, "no step shows the data sequence number jump back"
    # the last step is the client's data ACK passing every byte it had before the re-injection
    last = {i: o for i, down, o in dss if not down and o.data_ack is not None}.get(steps[-1])
    assert last is not None and last.data_ack >= top, (steps[-1], last)



def test_ch10_mptcp_failure_replay_shows_the_push_of_the_stale_queue(book_html):
    """A student's finding: the text walks through the stale pass, the push of the queued data
    that follows at once (46080 bytes, at 2388.40 ms) and the pass's own re-injection, but the
    replay left the push out.  It shows all three, in that order, and says which re-injections
    were the timer's and which the queue's."""
    import sim
    r = sim.run("mptcp", seed=1, down_at=0.5)
    steps = replay_steps(book_html, "book/10-two-links", "mptcp, if2 goes down at 0.5 s")
    said = [r.events[i].what for i in steps if r.events[i].ev.value == "app"]
    kinds = [w.removeprefix("mptcp ").split(" on ")[0].split(" subflow")[0] for w in said]
    assert kinds == ["re-injects data", "finds", "re-injects queued data", "re-injects data"], said
    text = (book_html / "book/10-two-links.html").read_text()
    assert re.search(r"of the\s+\S*32\S*\s+re-injections,\s+\S*2\S*\s+are the\s+timer", " ".join(
        re.sub(r"<[^>]+>", "", text).split())), "the text does not split the re-injections"


def test_ch10_uplink_down_replay_shows_the_ack_that_draws_the_reset(book_html):
    """A student's finding: the uplink-down replay ended 26 ms after the failure, while the text
    explains the reset that follows it: the dead line's client's ACK leaves after the failure,
    takes a new MASQUERADE binding (100.0.0.1) and draws the server's reset, which closes the
    client at 1415.6 ms.  The replay shows the failure, that ACK, the new binding, the reset and
    the client's end, within a page's length."""
    import sim
    r = sim.run("uplink-down", seed=1, cc="reno")
    steps = replay_steps(book_html, "book/10-two-links", "uplink-down, seed 1: uplink 2's line fails")
    assert len(steps) <= 60
    ev = [r.events[i] for i in steps]
    kinds = [e.ev.value for e in ev]
    link = kinds.index("link")
    ct = next(k for k, e in enumerate(ev) if e.ev.value == "ct_new" and k > link)
    assert ev[ct].reply[3] == "100.0.0.1"
    port = ev[ct].orig[2]
    sent = [k for k, e in enumerate(ev) if e.ev.value == "send" and e.pkt.l4.flags == "A" and e.pkt.sport == port]
    assert sent and link < max(sent) < ct                           # the client's ACK after the failure
    rst = next(k for k, e in enumerate(ev) if e.ev.value == "send" and "R" in e.pkt.l4.flags)
    assert ct < rst and ev[rst].node == "remote1" and ev[rst].pkt.dport == port
    assert ev[-1].ev.value == "tcp" and ev[-1].node == "local1" and ev[-1].new == "CLOSED"
    assert ev[-1].local[1] == port


# Text in a page's prose cut off at the right: a text line (outside a code block, a table, a
# player, a drawing or a formula, which scroll in their own boxes) that ends past the window or
# past the paragraph, list item or box (an admonition) it is in.
CUT_TEXT_JS = r"""() => {
  const out = [], tw = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  for (let n; (n = tw.nextNode());) {
    const pe = n.parentElement;
    if (!n.textContent.trim() || !pe.offsetParent ||
        pe.closest('pre, table, svg, .op1, .op1-livepanel, .cell_output .output, mjx-container')) continue;
    const box = pe.closest('.admonition, p, li, dd, td') || pe;
    const lim = Math.min(innerWidth, box.getBoundingClientRect().right), rg = document.createRange();
    rg.selectNodeContents(n);
    const r = Array.from(rg.getClientRects()).find(r => r.right > lim + 1);
    if (r) out.push(Math.round(r.right) + ' > ' + Math.round(lim) + ': ' + n.textContent.trim().slice(0, 50));
  }
  return out;
}"""


@contextlib.contextmanager
def local_page(width: int, height: int):
    """A headless Chromium page of ``width`` x ``height`` CSS px that loads from the test's own
    server only (any other host is refused: the site works offline); closed after."""
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx = b.new_context(viewport={"width": width, "height": height}, service_workers="block")
            ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                      else r.abort())
            yield ctx.new_page()
        finally:
            b.close()


def open_with_replays(pg, url: str) -> None:
    """Go to ``url`` and wait until every replay on it has started (``data-op1-live``)."""
    pg.goto(url, wait_until="load")
    pg.wait_for_function("Array.from(document.querySelectorAll('[data-replay]'))"
                         ".every(e => e.hasAttribute('data-op1-live'))", timeout=20_000)


def test_every_page_fits_a_320_px_screen(server):
    """At 320 px (a small phone; a laptop at 400 % zoom, WCAG 1.4.10 reflow) no page of the book
    is wider than the window, and no text of its prose is cut at the right: a long word (a commit
    title quoted whole, an inline code span in a box) breaks where it must; a live panel's NAT
    dropdown (its longest choice "none (no NAT: LAN addresses public)") shrinks to the panel.
    A page wider than the window is zoomed out by a phone, and a player's pinned step bar then
    sits below the screen."""
    wide, cut, panels = {}, {}, 0
    with local_page(320, 640) as pg:
        for page in toc_pages():
            pg.goto(f"{server}/{page}.html", wait_until="load")
            if "data-live" in (HTML / f"{page}.html").read_text():
                pg.wait_for_selector(".op1-livepanel select", state="attached", timeout=20_000)
                panels += 1
            pg.wait_for_function("Array.from(document.querySelectorAll('[data-replay]'))"
                                 ".every(e => e.hasAttribute('data-op1-live'))", timeout=20_000)
            sw, iw = pg.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if sw > iw:
                wide[page] = (sw, iw)
            if lines := pg.evaluate(CUT_TEXT_JS):
                cut[page] = lines
    assert panels, "no page has a live panel"
    assert not wide, f"pages wider than a 320 px window (scrollWidth, width): {wide}"
    assert not cut, f"text cut off at the right at 320 px (right edge > its box's): {cut}"


PINNED_BAR_JS = """async el => {
  const bar = el.querySelector('.op1-bar'), fl = el.querySelector('.op1-float'), out = [];
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const top = bar.getBoundingClientRect().top + scrollY, end = el.getBoundingClientRect().bottom + scrollY;
  for (let y = top; y < end; y += 150) {
    scrollTo(0, y);
    await frame();
    if (fl.hidden) continue;
    const r = fl.getBoundingClientRect(), hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    out.push(hit && fl.contains(hit) ? null : Math.round(y) + ': ' + (hit ? hit.tagName + '.' + hit.className : 'nothing'));
  }
  return out;
}"""


PINNED_BAR_FITS_JS = """async el => {
  const bar = el.querySelector('.op1-bar'), fl = el.querySelector('.op1-float');
  scrollTo(0, bar.getBoundingClientRect().top + scrollY + 400);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  if (fl.hidden) return null;
  fl.querySelector('.op1-fpos').textContent = '200 / 200';   // the widest: a replay holds 200 steps
  const r = fl.getBoundingClientRect();
  return [fl.scrollWidth - fl.clientWidth, Math.round(r.left), Math.round(innerWidth - r.right),
          Math.max(...Array.from(fl.children).map(c => Math.round(c.getBoundingClientRect().right - r.right)))];
}"""


@pytest.mark.parametrize("width", [320, 390])
def test_the_pinned_step_bar_fits_a_small_phone(server, width):
    """The pinned bar holds its five buttons and the step, at its widest "200 / 200" (a live
    run's replay holds 200 steps), in one row: at 320 px it was 22 px wider than the screen's
    room for it with "1 / 17", and the step was cut off at the right ("199 / 20")."""
    with local_page(width, 640) as pg:
        open_with_replays(pg, f"{server}/book/06-equalize-nat.html")
        got = pg.query_selector_all("[data-replay]")[0].evaluate(PINNED_BAR_FITS_JS)
    assert got is not None, "the pinned bar was not shown"
    overflow, left, right, beyond = got
    assert overflow <= 0 and beyond <= 0 and left >= 0 and right >= 0, got


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "laptop"])
def test_the_pinned_step_bar_is_on_top_of_the_next_replay(server, size):
    """Chapter 10's replays follow one another: wherever a player is scrolled to, its pinned step
    bar, once shown, is what the point at its centre hits (not the next replay's title, which
    covered it and took its taps: each full-width cell is its own stacking context)."""
    w, h = size
    with local_page(w, h) as pg:
        open_with_replays(pg, f"{server}/book/10-two-links.html")
        seen = {}
        for k, el in enumerate(pg.query_selector_all("[data-replay]")):
            seen[k] = el.evaluate(PINNED_BAR_JS)
    assert sum(len(v) for v in seen.values()) > 10, seen          # the bar was shown, and looked at
    covered = {k: [c for c in v if c] for k, v in seen.items() if any(v)}
    assert not covered, f"the pinned bar covered (player: scroll offset: element hit): {covered}"


# The packet's tag of a player's network drawing: where it lies in the network's box (px from the
# box's left edge), when it is shown, in the drawing this width shows -- once the player has
# settled the step (it scrolls the box in the next animation frame).
TAG_IN_BOX_JS = """async el => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const box = el.querySelector('.op1-topo-scroll'), b = box.getBoundingClientRect();
  const tag = Array.from(el.querySelectorAll('svg.op1-topo [data-el="tag"]:not([visibility])'))
    .map(t => t.getBoundingClientRect()).find(r => r.width);
  return tag ? [Math.round(tag.left - b.left), Math.round(tag.right - b.left), Math.round(b.width), box.scrollLeft]
             : null;
}"""


def test_at_320_px_the_packets_tag_is_inside_the_network_box_at_every_step(server):
    """At 320 px, chapter 10's replay of uplink 2's line failing: at every step the packet's tag
    is whole inside the network's box.  The steps whose lit nodes are wider than the box fall back
    to the first lit node, which must be one of the drawing shown (top to bottom), not of the
    hidden wide one -- whose zero-size box left the network unscrolled, the tag half outside."""
    cut, seen = {}, 0
    with local_page(320, 640) as pg:
        open_with_replays(pg, f"{server}/book/10-two-links.html")
        el = pg.query_selector_all("[data-replay]")[3]
        assert "line fails" in el.get_attribute("data-replay") + el.inner_text()[:200]
        el.scroll_into_view_if_needed()
        n = int(el.get_attribute("data-frames"))
        for k in range(n):
            if k:
                el.query_selector(".op1-bar button[data-act=next]").evaluate("b => b.click()")
            el.wait_for_element_state("stable")
            pg.wait_for_function("([e, k]) => e.getAttribute('data-step') == k", arg=[el, k])
            got = el.evaluate(TAG_IN_BOX_JS)
            if got is None:
                continue
            seen += 1
            left, right, width, _ = got
            if left < -1 or right > width + 1:
                cut[k + 1] = got
    # (most steps show a packet's tag: the replay's 38 steps, 32 of them with a tag)
    assert seen > 20 and seen >= n * 3 // 4, (seen, n)
    assert not cut, f"steps whose tag the box cuts (tag left, right, box width, scrollLeft): {cut}"


# A player's packet panes (a comparison has two): how far each table of fields ends past its box's
# right edge (px), and the left edges of the tables stacked one under another (a new row of the
# pane's columns).  The hexdump under them is not measured: it scrolls in the box by design.
PKT_TABLES_JS = """el => Array.from(el.querySelectorAll('.op1-pkt-box')).filter(b => b.offsetParent).map(box => {
  const right = box.getBoundingClientRect().right, lefts = [];
  let bottom = -Infinity;
  const out = Array.from(box.querySelectorAll('table.op1-diss')).map(t => {
    const r = t.getBoundingClientRect();
    if (r.top >= bottom) lefts.push(Math.round(r.left));
    bottom = Math.max(bottom, r.bottom);
    return Math.round(r.right - right);
  });
  return [out, lefts];
})"""


@pytest.mark.parametrize("page", ["08-real-kernels", "09-modern-linux"])
def test_on_a_phone_the_captured_packets_fields_fit_their_box(server, page):
    """At 390 px the packet pane of the replay of a capture (Linux 6.18's own packets): at the SYN
    (its TCP options "MSS 1460; SAckOK; Timestamp (...); NOP; WScale 10", one line 400-645 px
    wide in a 318 px box) and at a data segment, every table of fields fits its box, so the NAT
    rewrite's "was 0x14e1" is on screen; the tables line up at the box's left edge."""
    bad = {}
    with local_page(390, 844) as pg:
        open_with_replays(pg, f"{server}/book/{page}.html")
        el = next(e for e in pg.query_selector_all("[data-replay]") if "captured" in e.inner_text())
        el.scroll_into_view_if_needed()
        for tab in el.query_selector_all(".op1-tabs button"):
            if tab.inner_text().strip().startswith("Packet"):
                tab.evaluate("t => t.click()")
        for k in (0, 7):                                   # the SYN; a data segment
            el.query_selector("input.op1-slider").evaluate(
                "(s, k) => { s.value = k; s.dispatchEvent(new Event('input')); }", k)
            pg.wait_for_function("([e, k]) => e.getAttribute('data-step') == k", arg=[el, k])
            panes = el.evaluate(PKT_TABLES_JS)
            assert panes, "no packet pane shown"
            for rights, lefts in panes:
                if max(rights) > 1 or max(lefts) - min(lefts) > 1:
                    bad.setdefault(k, []).append((rights, lefts))
    assert not bad, f"steps whose packet tables do not fit (tables' right past the box's, stacked tables' lefts): {bad}"


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "laptop"])
def test_the_multilink_network_is_whole_on_a_phone_and_readable_on_a_laptop(server, size):
    """Chapter 10's multilink replay: its bundled uplink's label ("uplink1: if1 100.0.0.1, 2
    lines bundled") is two lines, so on a phone the network drawn top to bottom is whole in its
    box (one line, it was 328 px in a 318 px box: the label and Remote host 2 cut) and on a
    laptop the drawing left to right keeps its smallest text at least 10 px (it was 9.4)."""
    w, h = size
    with local_page(w, h) as pg:
        open_with_replays(pg, f"{server}/book/10-two-links.html")
        el = next(e for e in pg.query_selector_all("[data-replay]")
                  if (e.get_attribute("data-replay") or "").startswith("multilink"))
        el.scroll_into_view_if_needed()
        box = el.query_selector(".op1-topo-scroll")
        over = box.evaluate("b => b.scrollWidth - b.clientWidth")
        least, what = el.query_selector(".op1-topo-box").evaluate(MIN_TEXT_JS)
    if w < 560:
        assert over <= 1, f"the network is {over} px wider than its box"
    assert least >= MIN_PLAYER_TEXT_PX, (least, what)


# Each player's ladder as a phone shows it, at its last step: the drawings shown (their class),
# the box's width and how far the ladder overflows it, and the current row's words.
PHONE_LADDERS_JS = r"""() => Array.from(document.querySelectorAll('[data-replay] .op1-pane')).map(pane => {
  const box = pane.querySelector('.op1-ladder-scroll');
  const shown = Array.from(box.querySelectorAll('svg.op1-ladder')).filter(s => s.getBoundingClientRect().width > 0);
  const row = shown.map(s => s.querySelector('.op1-row.cur')).find(g => g);
  return {shown: shown.map(s => s.getAttribute('class')), box: box.clientWidth, over: box.scrollWidth - box.clientWidth,
          words: row ? Array.from(row.querySelectorAll('text')).map(t => t.textContent) : null,
          arrow: !!(row && row.querySelector('line'))};
})"""


def test_on_a_phone_every_players_ladder_fits_its_box(server):
    """At 360x740 the wide ladder was 834 to 994 px in a 288 px box (chapter 6's and chapter 3's
    replays) and showed two or three of its lanes, the packet's addresses off the box: every
    replay of the book (each run of a comparison) shows a phone's ladder instead, which fits its
    box, its last step's row (a hop's) with the packet's addresses, as the wide one's column had them."""
    bad, seen = {}, 0
    with local_page(360, 740) as pg:
        for page in toc_pages():
            open_with_replays(pg, f"{server}/{page}.html")
            if not pg.query_selector("[data-replay]"):
                continue
            for el in pg.query_selector_all("[data-replay]"):
                el.query_selector(".op1-bar button[data-act=last]").evaluate("b => b.click()")
                for t in el.query_selector_all(".op1-tabs [data-tab=ladder]"):
                    t.evaluate("t => t.click()")
            pg.wait_for_timeout(200)
            for k, got in enumerate(pg.evaluate(PHONE_LADDERS_JS)):
                seen += 1
                if (got["shown"] != ["op1-ladder op1-ladder-n", "op1-ladder op1-ladder-n op1-ladder-body"]
                        or got["over"] > 1 or not got["words"]
                        or got["arrow"] and not any(re.search(r"\d+\.\d+\.\d+\.\d+", w) for w in got["words"])):
                    bad[(page, k)] = got
    assert seen >= 20, seen
    assert not bad, bad


def test_on_a_narrow_screen_a_ladder_wider_than_its_box_gives_way_to_the_phones(server):
    """At 640 px (a small tablet, a phone on its side) chapter 3's thought question, two remote
    hosts, had its wide ladder (994 px) in a 568 px box, scrolled sideways to each step's arrow,
    its "event · ms" kept at the box's left edge: the packets' column, at the drawing's far
    right, was out of the box (a laptop at 200 % zoom, its box 611 px, cut it at "100.0").  The
    phone's ladder is shown in its place, whole in its box: at every step the row's event, its
    arrow (or mark) and the packet's addresses in view."""
    bad, steps = {}, 0
    with local_page(640, 844) as pg:
        open_with_replays(pg, f"{server}/book/03-connection-level.html")
        el = next(e for e in pg.query_selector_all("[data-replay]") if e.get_attribute("data-replay") == "thought-question")
        for k in range(int(el.get_attribute("data-frames"))):
            if k:
                el.query_selector(".op1-bar button[data-act=next]").evaluate("b => b.click()")
            pg.wait_for_function("([e, k]) => e.getAttribute('data-step') == k", arg=[el, k])
            el.evaluate("e => e.querySelector('.op1-ladder-n .op1-row.cur').scrollIntoView({block: 'center', inline: 'nearest'})")
            pg.wait_for_timeout(50)
            got = el.evaluate("""e => { const box = e.querySelector('.op1-ladder-scroll'), b = box.getBoundingClientRect();
              const shown = Array.from(box.querySelectorAll('svg.op1-ladder')).filter(s => s.getBoundingClientRect().width > 0);
              const row = box.querySelector('svg.op1-ladder-n .op1-row.cur');
              const out = Array.from(row.querySelectorAll('text, line')).map(t => [t.textContent, t.getBoundingClientRect()])
                .filter(([w, r]) => r.width && (r.left < b.left - 1 || r.right > b.right + 1)).map(([w]) => w);
              return {shown: shown.map(s => s.getAttribute('class')), over: box.scrollWidth - box.clientWidth, out: out,
                      addr: !!row.querySelector('text.addr')}; }""")
            steps += got["addr"]
            if got["shown"] != ["op1-ladder op1-ladder-n", "op1-ladder op1-ladder-n op1-ladder-body"] or got["over"] > 1 or got["out"]:
                bad[k + 1] = got
    assert steps >= 5, f"{steps} steps with a packet's line: the test shows nothing"
    assert not bad, f"steps whose ladder is not the phone's, or has words out of its box: {bad}"


def test_at_320_px_a_live_runs_replay_shows_the_packets_tag_whole(server):
    """At 320 px the live panel's replay (chapter 6, its default run): the panel and the player in
    it take less padding, so the network's box (250 px, was 222, inside both) holds the two-line packet tag
    (229 px) whole at every one of its first 60 steps -- it lost 3-4 px at each side at 11 of them."""
    cut, seen = {}, 0
    with local_page(320, 640) as pg:
        pg.goto(f"{server}/book/06-equalize-nat.html", wait_until="load")
        pg.click("[data-live] [data-run]")
        pg.wait_for_function("document.querySelector('[data-live] .op1-lp-run')?.hasAttribute('data-live-complete')"
                             " || /^Not run/.test(document.querySelector('[data-live] .op1-lp-status').textContent)",
                             timeout=300_000)
        el = pg.query_selector("[data-live] .op1-lp-out [data-replay]")
        assert el, pg.inner_text("[data-live] .op1-lp-status")
        el.scroll_into_view_if_needed()
        for k in range(min(60, int(el.get_attribute("data-frames")))):
            if k:
                el.query_selector(".op1-bar button[data-act=next]").evaluate("b => b.click()")
            pg.wait_for_function("([e, k]) => e.getAttribute('data-step') == k", arg=[el, k])
            got = el.evaluate(TAG_IN_BOX_JS)
            if got is None:
                continue
            seen += 1
            if got[0] < -1 or got[1] > got[2] + 1:
                cut[k + 1] = got
    assert seen > 30 and not cut, f"steps whose tag the box cuts (tag left, right, box width, scrollLeft): {cut}"


@contextlib.contextmanager
def phone_page(width: int, height: int):
    """``local_page`` as a phone: a touch screen, device pixel ratio 2."""
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx = b.new_context(viewport={"width": width, "height": height}, service_workers="block",
                                is_mobile=True, has_touch=True, device_scale_factor=2)
            ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                      else r.abort())
            yield ctx.new_page()
        finally:
            b.close()


PHONE_STEP_JS = """el => { const R = e => e.getBoundingClientRect();
  const f = el.querySelector('.op1-float'), nb = el.querySelector('.op1-narr');
  const svg = [...el.querySelectorAll('.op1-topo-box svg.op1-topo')].find(s => R(s).width > 0);
  return {narr: [Math.round(R(nb).top), Math.round(R(nb).bottom)], svg: [Math.round(R(svg).top), Math.round(R(svg).bottom)],
          float: f.hidden ? null : Math.round(R(f).top), pos: Math.round(R(el.querySelector('.op1-pos')).height),
          tabs: Math.round(R(el.querySelector('.op1-tabs')).top), over: nb.scrollHeight > nb.clientHeight + 1,
          stop: nb.getAttribute('tabindex'), text: el.querySelector('.op1-pos').textContent}; }"""


@pytest.mark.parametrize("page", ["02-route-cache", "04-equalize", "06-equalize-nat"])
def test_at_360x740_the_narration_and_the_network_fit_above_the_pinned_bar_and_nothing_moves(server, page):
    """A 360x740 phone, the chapter's first replay scrolled to its narration under the page's
    header, stepped with the pinned buttons, with no scroll anchoring (Safari): the narration was
    held at the replay's tallest (228 px in chapter 2, 189 in 4, 248 in 6) while most steps were
    4 lines, and the network drawing's foot (the packet's tag, the remote hosts) was under the
    pinned bar (its top 678 px, the drawing's foot 757, 718, 776); the step line wrapped once its
    text was long ("ms" alone on a second line) and moved the narration, the drawing and the tabs
    18 px at that step.  The narration keeps room for 6 lines at most here (a longer one scrolls
    in its box, a keyboard stop while it does), the step line two: at every step the narration
    and the drawing are whole between the header and the pinned bar, and nothing moves."""
    with phone_page(360, 740) as pg:
        open_with_replays(pg, f"{server}/book/{page}.html")
        pg.add_style_tag(content="*{overflow-anchor:none !important}")
        el = pg.query_selector("[data-replay]")
        head = pg.evaluate("() => document.querySelector('.bd-header-article').getBoundingClientRect().bottom")
        el.evaluate("(e, h) => window.scrollBy(0, e.querySelector('.op1-narr').getBoundingClientRect().top - h - 4)", head)
        pg.wait_for_timeout(300)
        seen = []
        for k in range(int(el.get_attribute("data-frames"))):
            if k:
                pg.locator("[data-replay] >> nth=0").locator(".op1-float:not([hidden]) [data-act=next]").tap()
            pg.wait_for_function("([e, k]) => e.getAttribute('data-step') == k", arg=[el, k])
            pg.evaluate("() => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))")
            seen.append(el.evaluate(PHONE_STEP_JS))
    assert len(seen) > 5 and max(len(s["text"]) for s in seen) > 38, seen    # a step line long enough to wrap
    for k, s in enumerate(seen):
        assert s["float"] is not None, (k + 1, "stepped with the pinned buttons", s)
        assert head <= s["narr"][0] and s["narr"][1] <= s["svg"][0], (k + 1, s)
        assert s["svg"][1] <= s["float"], (k + 1, "the drawing's foot under the pinned bar", s)
        assert (s["stop"] == "0") == s["over"], (k + 1, "a narration that scrolls is a keyboard stop", s)
    moved = {(s["narr"][0], s["narr"][1], s["svg"][0], s["tabs"], s["pos"]) for s in seen}
    assert len(moved) == 1, f"the narration, drawing, tabs or step line moved from step to step: {seen}"


TABS_JS = """el => { const t = el.querySelector('.op1-tabs');
  return [Math.round(t.getBoundingClientRect().top + scrollY)].concat(
    [...t.querySelectorAll('button')].map(b => Math.round(b.getBoundingClientRect().height))); }"""


@pytest.mark.parametrize("width", [360, 390])
def test_on_a_phone_choosing_a_tab_changes_no_tabs_size(server, width):
    """Chosen, "Router tables" was bold, wrapped to two lines, and all three tabs grew from 40 to
    50 px, the row moving 5 px (at 360 and 390 px, every chapter): the tab chosen is marked
    otherwise, and the tabs keep one size whichever is chosen."""
    changed, pages = {}, 0
    with phone_page(width, 800) as pg:
        for page in toc_pages():
            if 'data-replay="' not in (HTML / f"{page}.html").read_text():
                continue
            open_with_replays(pg, f"{server}/{page}.html")
            pg.add_style_tag(content="*{overflow-anchor:none !important}")
            el = pg.query_selector("[data-replay]")
            tabs = el.query_selector_all(".op1-tabs button")
            if not tabs or not tabs[0].is_visible():
                continue
            pages += 1
            el.query_selector(".op1-tabs").scroll_into_view_if_needed()
            got = []
            for b in tabs + tabs[:1]:
                b.tap()
                pg.wait_for_timeout(100)
                got.append(el.evaluate(TABS_JS))
            if len({tuple(g) for g in got}) != 1 or len(set(got[0][1:])) != 1:
                changed[page] = got
    assert pages >= 5, pages
    assert not changed, f"tab row (top, each tab's height) as each tab is chosen: {changed}"


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)], ids=["1024", "1280"])
def test_on_a_small_laptop_a_full_width_cell_keeps_the_page_within_the_window(server, size):
    """At 1024 px the theme's full-width cells (136 % of the text column from 992 px on) reached
    240 px past the window, and the whole page scrolled sideways (scrollWidth 1264).  No chapter
    page is wider than the window, with the left sidebar shown or hidden (at 1280 px, hidden, 136 %
    of the wider column was 36 px past it)."""
    wide, cells = {}, 0
    with local_page(*size) as pg:
        for page in toc_pages():
            pg.goto(f"{server}/{page}.html", wait_until="load")
            cells += pg.evaluate("() => document.querySelectorAll('div.cell.tag_full-width').length")
            for hidden in (False, True):
                if hidden:
                    pg.evaluate("() => document.querySelector('.bd-sidebar-primary').classList.add('pst-sidebar-hidden')")
                    pg.wait_for_timeout(400)           # (the theme's transition: .25 s)
                sw, iw = pg.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                if sw > iw:
                    wide[(page, "sidebar hidden" if hidden else "sidebar shown")] = (sw, iw)
    assert cells > 10, cells
    assert not wide, f"pages wider than the window (scrollWidth, width): {wide}"


STICKY_FIRST_COLUMN_JS = r"""async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const alpha = c => { const m = c.match(/rgba?\(([^)]*)\)/); const v = m ? m[1].split(',') : [];
                       return v.length < 4 ? 1 : parseFloat(v[3]); };
  const out = [];
  let wide = 0;
  for (const box of document.querySelectorAll('article .pst-scrollable-table-container')) {
    if (box.scrollWidth <= box.clientWidth + 1) continue;
    wide++;
    box.scrollIntoView({block: 'start'});
    box.scrollLeft = box.scrollWidth;
    await frame();
    const bl = box.getBoundingClientRect().left, t = box.querySelector('table');
    const head = (t.rows[0].cells[0].textContent || '').trim().slice(0, 30);
    Array.from(t.rows).forEach((row, k) => {
      const c = row.cells[0], r = c.getBoundingClientRect(), bg = getComputedStyle(c).backgroundColor;
      if (Math.abs(r.left - bl) > 1) out.push(`${head}: row ${k} first cell at ${Math.round(r.left - bl)} px`);
      else if (alpha(bg) < 1) out.push(`${head}: row ${k} first cell's background ${bg}: cells show through`);
    });
    for (const k of [0, 1]) {            // the header's and the first row's name cover what is swiped under them
      const c = t.rows[k].cells[0], r = c.getBoundingClientRect();
      const hit = document.elementFromPoint(bl + 2, Math.max(r.top, 0) + Math.min(r.height, 20) / 2);
      if (!hit || !c.contains(hit)) out.push(`${head}: row ${k}: ${hit ? hit.textContent.trim().slice(0, 20) : 'nothing'} over its name`);
    }
    box.scrollLeft = 0;
  }
  return [wide, out];
}"""


def test_on_a_phone_a_wide_tables_first_column_stays_when_it_is_swiped(server):
    """At 375 px chapter 9's set-up tables (516 px in a 343 px box) and chapter 8's "All together"
    (597 px) scroll sideways in their boxes, and swiped to the right their rows lost their names:
    "hash policy 0" and "hash policy 1" both read "TCP from 150.0.0.1; ping from 150.0.0.1".  In
    every table that scrolls, every row's first cell stays at the box's left edge, on an opaque
    background, on top of the cells swiped under it."""
    bad, wide = {}, 0
    with local_page(375, 667) as pg:
        for page in toc_pages():
            pg.goto(f"{server}/{page}.html", wait_until="load")
            n, out = pg.evaluate(STICKY_FIRST_COLUMN_JS)
            wide += n
            if out:
                bad[page] = out[:6]
        # drawn, not only laid out: with the tables' collapsed borders Chrome painted the sticky cell a
        # border's width short of the box's edge, and the swiped cells' letters showed in that strip
        pg.goto(f"{server}/book/09-modern-linux.html", wait_until="load")
        strips = pg.evaluate("""async () => {
          const box = Array.from(document.querySelectorAll('article .pst-scrollable-table-container'))
            .find(b => b.scrollWidth > b.clientWidth + 1 && b.querySelectorAll('tr').length > 4);
          box.scrollIntoView({block: 'start'});
          box.scrollLeft = box.scrollWidth;
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          const left = box.getBoundingClientRect().left, t = box.querySelector('table');
          return [0, 1, 2, 3].map(k => { const r = t.rows[k].cells[0].getBoundingClientRect();
            return {x: left, y: r.top + 3, width: 5, height: Math.min(r.height, 120) - 6}; });
        }""")
        from PIL import Image
        for clip in strips:
            img = Image.open(io.BytesIO(pg.screenshot(clip=clip))).convert("L")
            lo, hi = img.getextrema()
            if hi - lo > 24:
                bad.setdefault("book/09-modern-linux (drawn)", []).append(f"letters in the strip {clip}: {lo}..{hi}")
    # (11 since a last column of figures takes only its width, op1-a11y.css: 20 when every last
    # column took 12em)
    assert wide >= 8, f"{wide} tables scroll sideways at 375 px: the test shows nothing"
    assert not bad, f"a first column that scrolls away or lets cells show through: {bad}"


@pytest.mark.parametrize("width", [320, 360])
def test_on_a_small_phone_a_swiped_tables_last_column_is_whole_beside_the_pinned_one(server, width):
    """At 320 px a pinned first column of up to 134 px and a last column of 192 px did not fit the
    288 px box: swiped to its end, the last column's first letters stayed under the pinned one,
    and "kbit/s" read "it/s", 1783.9 read "3.9" -- other numbers, not cut ones.  Scrolled to its
    end, every row's last cell begins right of its first."""
    bad, wide = {}, 0
    with local_page(width, 640) as pg:
        for page in toc_pages():
            pg.goto(f"{server}/{page}.html", wait_until="load")
            n, out = pg.evaluate("""() => { let n = 0; const out = [];
              for (const box of document.querySelectorAll('article .pst-scrollable-table-container')) {
                if (box.scrollWidth <= box.clientWidth + 1) continue;
                n++; box.scrollLeft = box.scrollWidth;
                for (const tr of box.querySelectorAll('tr')) {
                  const f = tr.firstElementChild, l = tr.lastElementChild;
                  if (!f || f === l) continue;
                  const under = f.getBoundingClientRect().right - l.getBoundingClientRect().left;
                  if (under > 0.5) { out.push(`${l.textContent.trim().slice(0, 16)}: ${Math.round(under)} px under`); break; }
                }
                box.scrollLeft = 0;
              }
              return [n, out]; }""")
            wide += n
            if out:
                bad[page] = out[:4]
    assert wide >= 10, f"{wide} tables scroll sideways at {width} px: the test shows nothing"
    assert not bad, f"last columns partly under the pinned first one, scrolled to their end: {bad}"


def test_no_table_shows_pythons_truth_values_or_two_tables_without_words_between(book_html):
    """Chapter 9's L3/L4 table said "True" in its "all complete" column (a reader's word is yes or
    no), and its "Three uplinks" section showed the simulator's table and the kernel's back to
    back, each 1100-1300 px tall on a phone, with nothing saying which was which."""
    cells, unlabelled = {}, {}
    for page in toc_pages():
        text = (book_html / f"{page}.html").read_text()
        for table in re.findall(r"<table.*?</table>", text, re.S):
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", table, re.S):
                if re.sub(r"<[^>]+>|\s", "", cell) in ("True", "False", "None"):
                    cells.setdefault(page, []).append(re.sub(r"<[^>]+>", "", cell).strip())
        parts = text.split('<div class="pst-scrollable-table-container">')
        for k, part in enumerate(parts[1:-1], 1):
            if not re.sub(r"<[^>]+>|\s", "", part[part.index("</table>"):]):
                unlabelled.setdefault(page, []).append(k)
    assert not cells, f"table cells showing Python's True, False or None: {cells}"
    assert not unlabelled, f"tables (their index on the page) following another with no words between: {unlabelled}"


# -- a phone: tables of records, boxes, the charts of chapters 9 and 10 --------------------------

def _booklib():
    from helpers import load_booklib
    return load_booklib()


def test_a_phones_drawing_of_a_plot_is_read_whole_at_320_px():
    """book/booklib.py's ``narrow``: chapter 9's and 10's plots had 9 pt text, so their phone
    drawings needed 298 px, and a 320 px phone's 272 px box cut their right 26 px under its fade
    (the bars the chapter is about, the 3000 tick).  A phone's drawing draws its text at 10 pt or
    more and is readable in PHONE_FIGURE_PX."""
    bl = _booklib()
    plt = bl.pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    names = ["one uplink", "route cache (LARTC 4.2.2)", "equalize + NAT (the article)",
             "MPTCP, 2 subflows + conntrack marks"]
    bars = ax.barh(range(4), [1600, 1650, 900, 2860])
    ax.set_yticks(range(4), names, fontsize=9)
    ax.bar_label(bars, labels=["1.00×", "1.03×", "0.56×", "1.79×"], fontsize=8)
    ax.legend([bars], ["a legend at 9 pt"], fontsize=9)
    ax.set_xlabel("one 300 kB download over two 2000 kbit/s lines, kbit/s (mean of 10 runs)")
    bl._svg(fig)
    svg = bl.narrow(fig)
    plt.close(fig)
    sizes = [float(a or b) for a, b in re.findall(rb'font-size(?:="|:\s*)([\d.]+)|font:\s*([\d.]+)px', svg)]
    assert sizes and min(sizes) >= bl.PHONE_TEXT_PT, sorted(set(sizes))
    assert bl.readable_width(svg) <= bl.PHONE_FIGURE_PX, bl.readable_width(svg)
    assert "1.79×" in svg.decode() and "a legend at 9 pt" in svg.decode()


def test_at_320_px_every_plot_shows_whole_in_its_phone_drawing(server):
    """At 320 px chapter 9's "L3 hashes pairs of hosts" and chapter 10's "One 300 kB download"
    plots needed 298 px in a 272 px box: their right 26 px -- chapter 10's two bars the chapter
    is about, its 3000 tick, chapter 9's "8" bars -- lay under the box's fade (chapters 2, 3, 4
    and 6 had plots of 298-335 px too: 9 pt text).  Every plot's phone drawing fits the box."""
    cut, found = {}, 0
    with local_page(320, 640) as pg:
        for page in toc_pages():
            if "bl-narrow" not in (HTML / f"{page}.html").read_text():
                continue
            pg.goto(f"{server}/{page}.html", wait_until="load")
            boxes = pg.evaluate("""() => Array.from(document.querySelectorAll('.bl-figure .bl-narrow'))
              .filter(d => d.offsetParent).map(d => { const b = d.querySelector('.bl-scroll') || d, i = d.querySelector('img');
                return [i.alt.slice(0, 40), b.scrollWidth, b.clientWidth]; })""")
            found += len(boxes)
            if wide := [b for b in boxes if b[1] > b[2] + 1]:
                cut[page] = wide
    assert found >= 10, found
    assert not cut, f"phone drawings wider than their box at 320 px ([alt, width, box]): {cut}"


def test_the_speed_and_hash_charts_say_each_bars_value_at_its_end(book_html):
    """Chapter 10's chart of one download's speed in six set-ups labels each bar's end with its
    speed as a multiple of one uplink's (the multiples its alt text says, 1.79 and 1.78 for the
    bars the chapter is about), and chapter 9's hash chart each bar with its number of runs (the
    counts its alt text says), in both drawings."""
    import base64
    import html
    found = 0
    for page, start in (("10-two-links", "Horizontal bars of one download"), ("09-modern-linux", "Bar chart over")):
        text = (book_html / f"book/{page}.html").read_text()
        for src, alt in re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"', text):
            alt = html.unescape(alt)
            if not alt.startswith(start):
                continue
            found += 1
            svg = base64.b64decode(src).decode()
            drawn = [t.strip() for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)]
            if page == "10-two-links":       # "...: one uplink 1.00; route cache (LARTC 4.2.2) 1.03; ..."
                want = [f"{v}×" for v in re.findall(r" (\d+\.\d\d)(?=[;.])", alt)]
            else:                            # "With the L3 hash: 0 in 15 runs, 8 in 15 runs. ..."
                want = re.findall(r"\d+ in (\d+) runs?", alt)
            assert len(want) >= 4 and all(w in drawn for w in want), (page, want, drawn)
    assert found == 4, found


def test_chapter_8s_bar_chart_says_each_bars_speed_and_the_bar_it_cannot_draw(book_html):
    """The alt text said "Bars below one uplink are orange and hatched, above are plain green":
    the green bars reach one uplink's speed by 2 or 3 kbit/s (1441 and 1442 against 1439), and the
    set-up whose downloads all fail has a bar of length 0, drawn as nothing and named nowhere (a
    student's finding).  It names one uplink's speed and each set-up's, and says which has no bar."""
    import html
    text = (book_html / "book/08-real-kernels.html").read_text()
    alts = [html.unescape(a) for a in re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]*)"', text)]
    alt = next(a for a in alts if a.startswith("Horizontal bar chart of the mean speed"))
    assert "above are plain green" not in alt
    line = re.search(r"a dashed line at one uplink's (\d+) kbit/s: (.*?)\. Bars below", alt)
    assert line, alt
    bars = line.group(2).split("; ")
    assert len(bars) == 8 and all(re.search(r", \d+ kbit/s( \(no bar\))?$", b) for b in bars), bars
    assert all(b.endswith(" 0 kbit/s (no bar)") for b in bars if re.search(r", 0 kbit/s", b)), bars
    assert any(b.endswith("(no bar)") for b in bars), bars


def test_chapter_2s_trace_line_box_shows_real_lines(book_html):
    """Chapter 2's "How to read a trace line" box shows one line of each kind as the exercises
    show them (``event N: node kind ...``), filled in from the chapter's runs."""
    text = (book_html / "book/02-route-cache.html").read_text()
    i = text.index('id="trace-lines"')
    box = re.sub(r"<[^>]+>", "", text[i:text.index("The trace the command line prints", i)])   # a word a span
    shown = re.findall(r"event \d+: (?:router|lan|remote1|provider\d) (\w+)", box)
    assert {"hop", "rt_miss", "rt_hit", "rt_del", "ct_new", "ct_del", "nat", "fib", "deliver", "drop"} <= set(shown), shown


def test_a_table_of_records_is_made_a_table_whose_cells_carry_their_columns_names():
    """book/booklib.py's ``cards``: the kernel-versus-simulator tables (four columns, a sentence in
    a cell) become an HTML table whose rows are headed by their first cell and whose every other
    cell carries its column's name (what a phone's card shows beside the value); the text reads
    as the book's Markdown would show it (its quotes, code spans); other tables stay Markdown."""
    from sim import measured
    bl = _booklib()
    rows = measured.table(uplinks=2)
    out = bl.cards(measured.markdown(rows))
    assert out and 'class="table op1-cards"' in out and out.startswith('<div class="pst-scrollable-table-container">')
    heads = re.findall(r'<th class="head" scope="col"><p>(.*?)</p></th>', out)
    assert heads == ["router set-up", "TCP (10 echoed messages)", "ping (one id)", "what the remote host saw"]
    body = re.findall(r"<tr class=\"row-(?:even|odd)\">(.*?)</tr>", out.split("<tbody>")[1])
    assert len(body) == len(rows)
    for r, tr in zip(rows, body):
        assert re.match(r'<th scope="row"><p>(.*?)</p></th>', tr)[1] == r["setup"].replace("'", "’")
        cells = re.findall(r'<td data-label="([^"]*)"><p>(.*?)</p></td>', tr)
        assert [c[0] for c in cells] == heads[1:]
        assert [c[1] for c in cells] == [html_unquote(r[k]) for k in ("tcp", "ping", "remote_saw")]
    assert "don’t" in out and "don't" not in out          # smartquotes, as the theme's tables
    # a table of numbers, of three columns, or with Markdown cards does not render: Markdown
    long = "a sentence " * 10
    assert bl.cards(bl.table([{"a": 1, "b": 2, "c": 3, "d": 4}])) is None
    assert bl.cards(bl.table([{"a": long, "b": 2, "c": 3}])) is None
    assert bl.cards(bl.table([{"a": long, "b": "[x](y)", "c": 3, "d": 4}])) is None
    assert bl.cards(bl.table([{"a": long, "b": "{term}`NAT`", "c": 3, "d": 4}])) is None
    assert bl.cards("A sentence, no table.") is None
    code = bl.cards(bl.table([{"a": long, "`b`": "`ip route` **x** a|b", "c": 3, "d": 4}]))
    assert ('<td data-label="b"><p><code class="docutils literal notranslate"><span class="pre">ip</span> '
            '<span class="pre">route</span></code> <strong>x</strong> a|b</p></td>') in code, code


def html_unquote(text: str) -> str:
    """``text`` as a table's cell shows it: escaped, with Sphinx's typographic apostrophes."""
    import html
    return html.escape(text, quote=False).replace("'", "’")


# Each table of records (``cards``) in view, at the window's width: whether it scrolls, each row's
# heading and cells' places, the label drawn before each cell, and rows whose cells sit side by side.
CARDS_JS = r"""() => Array.from(document.querySelectorAll('article table.op1-cards')).map(t => {
  const box = t.closest('.pst-scrollable-table-container'), b = box.getBoundingClientRect();
  const rows = Array.from(t.tBodies[0].rows).map(tr => {
    const head = tr.cells[0], cells = Array.from(tr.cells).slice(1);
    const hr = head.getBoundingClientRect();
    return {name: head.textContent.trim().slice(0, 30), head: head.tagName + '/' + head.getAttribute('scope'),
      out: cells.filter(c => { const r = c.getBoundingClientRect(); return r.left < b.left - 1 || r.right > b.right + 1; }).length,
      under: cells.every(c => c.getBoundingClientRect().top >= hr.bottom - 1),
      inRow: cells.every(c => Math.abs(c.getBoundingClientRect().top - hr.top) < 2),
      labels: cells.map(c => getComputedStyle(c, '::before').content),
      names: cells.map(c => c.dataset.label),
      // the tallest blank under a cell's text (the hidden column's sentence set a row's height)
      blank: Math.max(...cells.map(c => { const p = c.querySelector('p'); return p ? c.getBoundingClientRect().bottom - p.getBoundingClientRect().bottom : 0; }))};
  });
  return {head: Array.from(t.tHead.rows[0].cells).map(c => c.textContent.trim()), scrolls: box.scrollWidth > box.clientWidth + 1,
          output: !!t.closest('.output'), back: getComputedStyle(box.parentElement).backgroundColor,
          height: Math.round(t.getBoundingClientRect().height), rows};
})"""

RECORD_PAGES = ("08-real-kernels", "09-modern-linux", "10-two-links")


@pytest.mark.parametrize("width", [320, 360, 375])
def test_on_a_phone_a_table_of_records_is_a_card_a_row(server, width):
    """At 320 px chapter 9's kernel and simulator tables showed 2.5 of their 4 columns, cells above
    400 px of blank (the hidden "what the remote host saw" set the row's height), "5 of 10" cut to
    "5 o".  On a phone each row of chapter 8's, 9's and 10's tables of records is a card: its
    set-up a heading, every other cell under it, whole in the box, after its column's name, with
    no blank under its text; nothing scrolls sideways.  The table keeps its headers for a screen
    reader (a column header for each column, a row header for each set-up)."""
    bad, found = [], 0
    with local_page(width, 700) as pg:
        for page in RECORD_PAGES:
            pg.goto(f"{server}/book/{page}.html", wait_until="load")
            # (chapter 9's full tables are folded in a closed <details>: opened, as a reader would)
            pg.evaluate("document.querySelectorAll('article details.op1-full-tables').forEach(d => d.open = true)")
            for t in pg.evaluate(CARDS_JS):
                found += 1
                where = f"{page}: {t['head'][0]}"
                if t["scrolls"]:
                    bad.append(f"{where}: scrolls sideways")
                for r in t["rows"]:
                    if r["head"] != "TH/row" or r["out"] or not r["under"] or r["blank"] > 8:
                        bad.append(f"{where}: {r}")
                    if r["names"] != t["head"][1:] or r["labels"] != [f'"{n}: " / ""' for n in r["names"]]:
                        bad.append(f"{where}: {r['name']}: labels {r['labels']}")
            if page == "09-modern-linux" and pg.locator("article table.op1-cards").count():
                aria = pg.locator("article table.op1-cards").first.aria_snapshot()
                for want in ('columnheader "ping (one id)"', 'rowheader "per-packet + MASQUERADE"', 'cell "5 of 10"'):
                    if want not in aria:
                        bad.append(f"{page}: no {want} for a screen reader: {aria[:400]}")
    assert found >= 6, f"{found} tables of records on chapters 8-10"
    assert not bad, bad[:6]


def test_on_a_laptop_a_table_of_records_is_a_table(server):
    """At 1366 px the tables of records are laid out as before: a header row drawn, each row's
    cells side by side, nothing drawn before a cell; in the theme's dark mode too, where the
    table is not put on a light panel (as an HTML output is: it sits where a Markdown table does)."""
    bad, found = [], 0
    with local_page(1366, 768) as pg:
        for page in RECORD_PAGES:
            pg.goto(f"{server}/book/{page}.html", wait_until="load")
            pg.evaluate("() => { document.documentElement.dataset.mode = 'dark'; document.documentElement.dataset.theme = 'dark'; }")
            for t in pg.evaluate(CARDS_JS):
                found += 1
                if t["output"] or t["back"] != "rgba(0, 0, 0, 0)":
                    bad.append(f"{page}: {t['head'][0]} in an HTML output, on {t['back']}")
                for r in t["rows"]:
                    if not r["inRow"] or any(x != "none" for x in r["labels"]):
                        bad.append(f"{page}: {r}")
            if pg.evaluate("() => Array.from(document.querySelectorAll('article table.op1-cards thead'))"
                           ".some(h => h.getBoundingClientRect().height < 20)"):
                bad.append(f"{page}: a header row not drawn")
    assert found >= 6, f"{found} tables of records on chapters 8-10"
    assert not bad, bad[:6]


@pytest.mark.parametrize("width", [320, 375])
def test_on_a_phone_an_admonitions_text_is_nearly_as_wide_as_the_pages(server, width):
    """The theme indents an admonition's text 1.4rem on each side, inside its .6rem padding: at
    320 px "What real kernels do" had a 221 px column (the page's 288 px), its boxes were over
    4000 px tall, and chapter 9's `ip nexthop` block was 187 px wide.  On a phone an admonition's
    paragraphs and code blocks are at most 36 px narrower than the page's paragraphs."""
    bad, found = {}, 0
    with local_page(width, 700) as pg:
        for page in RECORD_PAGES:
            pg.goto(f"{server}/book/{page}.html", wait_until="load")
            page_w, widths = pg.evaluate("""() => {
              const p = Array.from(document.querySelectorAll('article.bd-article section > p')).find(p => p.offsetParent);
              return [p.getBoundingClientRect().width, Array.from(document.querySelectorAll(
                'article .admonition:not(.dropdown) > :is(p:not(.admonition-title), div[class*=highlight])'))
                .filter(e => e.offsetParent).map(e => [e.textContent.trim().slice(0, 30), Math.round(e.getBoundingClientRect().width)])];
            }""")
            found += len(widths)
            narrow = [w for w in widths if w[1] < page_w - 36]
            if narrow:
                bad[page] = (round(page_w), narrow[:3])
    assert found >= 10, found
    assert not bad, f"admonition text narrower than the page's paragraphs (page's width, [text, width]): {bad}"
