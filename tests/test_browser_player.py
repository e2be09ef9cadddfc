"""Two static players on one page in a real browser (Debian's chromium driven by
playwright), served from 127.0.0.1 with every other request blocked: buttons, keys
and the slider step each player on its own, and the visible step, narration,
highlighted network element, marked ladder row and changed hexdump bytes are right.
A screenshot is kept in _build/test-artifacts/."""
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from collections import Counter

import sim
from sim.view import Compare, Player, narrate
from sim.view.player import unpack_downloads
from sim.view.player import standalone_page
from sim.view.pktpane import pane
from sim.view.topology import topo_frame
from view_helpers import MIN_TEXT_JS, contrast, need_dot

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "_build" / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium():
    for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        if p and os.path.exists(p):
            return p
    return None


def _need_browser():
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install playwright)")
    exe = _chromium()
    if exe is None:
        missing.append("chromium (sudo apt-get install chromium)")
    if missing:
        msg = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(msg + " -- `make test` installs them")
        print(f"SKIPPED: {msg}")
        pytest.skip(msg)
    return exe


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    need_dot()
    exe = _need_browser()
    ra = sim.run("equalize-nat", seed=1)
    rb = sim.run("equalize-nat", seed=1, nat="netfilter", size=3000)
    pa = Player(ra, title="Equalize behind the article's NAT", max_steps=40)
    pb = Player(rb, title="The same with netfilter NAT", max_steps=30)
    d = tmp_path_factory.mktemp("site")
    (d / "index.html").write_text(standalone_page([pa.html(), pb.html()], "two players"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(d))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield exe, f"http://127.0.0.1:{server.server_address[1]}/index.html", (ra, pa), (rb, pb)
    finally:
        server.shutdown()
        server.server_close()


def test_two_players_step_independently_in_chromium(served):
    from playwright.sync_api import sync_playwright
    exe, url, (ra, pa), (rb, pb) = served
    errors, blocked = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def gate(route):
                if route.request.url.startswith("http://127.0.0.1:"):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()
            page.route("**/*", gate)
            page.goto(url)
            page.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            page.wait_for_function("document.querySelectorAll('[data-op1-live]').length === 2")
            A, B = page.locator("[data-replay]").nth(0), page.locator("[data-replay]").nth(1)

            def step_of(P):
                return P.locator(".op1-pos").inner_text()

            def expect(P, r, player, k):
                i = player.steps[k]
                assert step_of(P).startswith(f"step {k + 1} / {player.frames}")
                assert P.locator(".op1-narr-t").inner_text() == narrate(r, i)
                # said with the step's place first (the counter under the buttons is not a live region)
                assert P.locator(".op1-narr").text_content() == f"Step {k + 1} of {player.frames}. " + narrate(r, i)
                # (the drawing shown: the other follows the step when it is shown)
                hl = P.evaluate("""el => Array.from(el.querySelectorAll('svg.op1-topo'))
                    .filter(svg => svg.getBoundingClientRect().width > 0)
                    .flatMap(svg => Array.from(svg.querySelectorAll('g[class]')))
                    .filter(g => /\\bhl-/.test(g.getAttribute('class')))
                    .map(g => [g.getAttribute('data-el'), g.getAttribute('class').split(' ').pop()])""")
                assert dict(hl) == topo_frame(r, i)["hl"]
                # (both ladders, the wide one and a phone's, at the step: player.js steps them together)
                assert P.locator(".op1-row.cur").evaluate_all("gs => gs.map(g => g.getAttribute('data-i'))") == [str(i)] * 2
                marks = P.evaluate("""el => Array.from(el.querySelectorAll('.op1-pkt-box pre.after mark'))
                    .map(m => parseInt(m.getAttribute('data-off')))""")
                assert marks == pane(r, i)["changed"]

            expect(A, ra, pa, 0)
            expect(B, rb, pb, 0)
            nxt = A.locator(".op1-bar button[data-act=next]")
            nxt.click()
            nxt.click()
            expect(A, ra, pa, 2)
            expect(B, rb, pb, 0)                      # the other player did not move
            A.locator(".op1-bar button[data-act=prev]").click()
            expect(A, ra, pa, 1)

            # keys, with the player focused
            A.focus()
            page.keyboard.press("ArrowRight")
            expect(A, ra, pa, 2)
            page.keyboard.press("End")
            expect(A, ra, pa, pa.frames - 1)
            page.keyboard.press("ArrowRight")         # stays at the end
            expect(A, ra, pa, pa.frames - 1)

            def inactive(P):                          # the step buttons that say they can't go on
                return P.evaluate("""el => Array.from(el.querySelectorAll('.op1-bar button[aria-disabled=true]'))
                    .map(b => b.getAttribute('data-act')).sort()""")
            assert inactive(A) == ["last", "next"]
            page.keyboard.press("Home")
            expect(A, ra, pa, 0)
            assert inactive(A) == ["first", "prev"]
            page.keyboard.press("ArrowLeft")          # stays at the start
            expect(A, ra, pa, 0)

            # the step where the SYN leaves by an uplink: its link is lit, the NAT bytes marked
            syn = next(k for k, i in enumerate(pa.steps) if ra.events[i].node.startswith("uplink"))
            for _ in range(syn):
                page.keyboard.press("ArrowRight")
            expect(A, ra, pa, syn)
            link = ra.events[pa.steps[syn]].node
            assert A.locator(f'svg.op1-topo:not(.op1-topo-n) [data-el="e_{link}"]').get_attribute("class").endswith("hl-link")
            assert "NEW ct 1" in A.locator(".op1-state-box").inner_text()
            assert A.locator(".op1-pkt-box").inner_text().count("◆") >= 4

            # the slider
            A.locator("input.op1-slider").evaluate("(s) => { s.value = 7; s.dispatchEvent(new Event('input')); }")
            expect(A, ra, pa, 7)

            # space plays and pauses; the play button plays the other player alone
            page.keyboard.press(" ")
            page.wait_for_function("document.querySelectorAll('[data-replay]')[0].getAttribute('data-step') >= 9",
                                   timeout=15_000)
            page.keyboard.press(" ")
            paused = int(A.get_attribute("data-step"))
            page.wait_for_timeout(1200)
            assert int(A.get_attribute("data-step")) == paused
            assert A.locator(".op1-bar button[data-act=play]").get_attribute("aria-label") == "play"
            B.locator(".op1-bar button[data-act=play]").click()
            assert B.locator(".op1-bar button[data-act=play]").get_attribute("aria-label") == "pause"
            assert B.locator(".op1-bar button[data-act=play]").get_attribute("aria-pressed") is None
            # drawn as pressed while it plays (its style once keyed on aria-pressed)
            assert B.locator(".op1-bar button[data-act=play]").evaluate(
                "b => getComputedStyle(b).backgroundColor") == "rgb(0, 114, 178)"
            assert A.locator(".op1-bar button[data-act=play]").evaluate(
                "b => getComputedStyle(b).backgroundColor") != "rgb(0, 114, 178)"
            page.wait_for_function("document.querySelectorAll('[data-replay]')[1].getAttribute('data-step') >= 2",
                                   timeout=15_000)
            B.locator(".op1-bar button[data-act=play]").click()
            assert int(A.get_attribute("data-step")) == paused
            kb = int(B.get_attribute("data-step"))
            expect(B, rb, pb, kb)

            # the downloads come deflated in the page; the script makes them files (blob: URLs), whose
            # bytes are the replay's own
            link = A.locator("a[download$='.pcapng']")
            assert link.get_attribute("href").startswith("blob:") and link.get_attribute("data-op1-z") is None
            got = bytes(link.evaluate("a => fetch(a.href).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)))"))
            assert got == unpack_downloads(pa.html())[link.get_attribute("download")] and got[:4] == b"\x0a\x0d\x0d\x0a"
            with page.expect_download() as dl:
                A.locator("a[download$='.txt']").click()
            assert dl.value.suggested_filename.endswith(".txt")
            assert Path(dl.value.path()).read_bytes() == unpack_downloads(pa.html())[dl.value.suggested_filename]

            # what a student sees: keep a screenshot, at an interesting step
            A.locator(".op1-bar button[data-act=first]").click()
            for _ in range(syn):
                A.locator(".op1-bar button[data-act=next]").click()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser_player.png"), full_page=True)
            assert (ARTIFACTS / "browser_player.png").stat().st_size > 50_000
        finally:
            browser.close()
    assert errors == []
    assert blocked == []


# -- what a reader can read: a comparison in a column as wide as the book's --------------------

BOOK_COLUMN_PX = 935          # a full-width cell of the book at a 1280-px window

# For each <text> of the router's tables, the smallest table cell holding its start: the text
# must end inside it (graphviz sizes cells with its own font measurements).
OVERFLOW_JS = r"""root => {
  const out = [];
  root.querySelectorAll('.op1-state-box svg').forEach(svg => {
    const cells = Array.from(svg.querySelectorAll('polygon')).map(p => {
      const v = p.getAttribute('points').trim().split(/\s+/).map(s => s.split(',').map(Number));
      return [Math.min(...v.map(q => q[0])), Math.min(...v.map(q => q[1])),
              Math.max(...v.map(q => q[0])), Math.max(...v.map(q => q[1]))];
    });
    svg.querySelectorAll('text').forEach(t => {
      const b = t.getBBox(), x = b.x + 1, y = b.y + b.height / 2;
      let best = null;
      for (const c of cells) if (c[0] <= x && x <= c[2] && c[1] <= y && y <= c[3] &&
          (!best || (c[2] - c[0]) * (c[3] - c[1]) < (best[2] - best[0]) * (best[3] - best[1]))) best = c;
      if (best && b.x + b.width > best[2] + 0.5) out.push(t.textContent);
    });
  });
  return out;
}"""

# The smallest rendered font size (CSS px on screen) of the texts in the given views.
FONT_JS = r"""(root, sel) => {
  let least = 1e9;
  root.querySelectorAll(sel).forEach(svg => svg.querySelectorAll('text').forEach(t => {
    if (!t.textContent.trim() || t.getAttribute('visibility') === 'hidden') return;
    const m = t.getScreenCTM(); if (!m) return;
    const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    if (px > 0) least = Math.min(least, px);
  }));
  return least;
}"""


def test_a_comparison_in_a_book_column_is_readable_and_its_tables_fit(tmp_path):
    need_dot()
    exe = _need_browser()
    from playwright.sync_api import sync_playwright
    from sim.view import Compare
    a = sim.run("equalize-nat", seed=1, size=3000)
    b = sim.run("equalize-nat", seed=1, size=3000, nat="netfilter", ingress_filter=True)
    c = Compare(a, b, labels=("article NAT", "netfilter NAT"), max_steps=30)
    page = tmp_path / "cmp.html"
    page.write_text(standalone_page([f'<div style="width:{BOOK_COLUMN_PX}px">{c.html()}</div>'], "compare"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 1000})
            pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                     else route.abort())
            pg.goto(page.as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            root = pg.locator("[data-replay]").first
            # the two runs one above the other, each as wide as the column allows
            boxes = [pane.bounding_box() for pane in root.locator(".op1-pane").all()]
            assert len(boxes) == 2 and boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"]
            assert all(bx["width"] > 0.9 * (BOOK_COLUMN_PX - 30) for bx in boxes)
            syn = next(k for k, i in enumerate(c._frames[0].steps) if a.events[i].node.startswith("uplink"))
            for _ in range(syn + 6):                 # a step with conntrack and route cache entries
                root.locator(".op1-bar button[data-act=next]").click()
            sizes = {sel: root.evaluate(FONT_JS, sel) for sel in
                     (".op1-ladder-box svg", ".op1-topo-box svg", ".op1-state-box svg")}
            print("smallest text, px:", sizes)
            assert sizes[".op1-ladder-box svg"] >= 10.5, sizes
            assert sizes[".op1-topo-box svg"] >= 10, sizes
            assert sizes[".op1-state-box svg"] >= 9, sizes
            assert "NEW" in root.locator(".op1-state-box").first.inner_text() or \
                "ct 1" in root.locator(".op1-state-box").first.inner_text()
            assert root.evaluate(OVERFLOW_JS) == []
            # a screen reader hears, with each pane's step, which run it is; the end of a run too
            # (once the steps stop: steps by hand are said after 400 ms without another, player.js hush)
            pg.wait_for_timeout(700)
            panes = root.locator(".op1-pane").all()
            k = int(root.get_attribute("data-step"))
            for pane, label, pos in zip(panes, ("article NAT", "netfilter NAT"), (f"Step {k + 1} of {c.frames}. ", "")):
                narr = pane.locator(".op1-narr")
                assert narr.get_attribute("aria-live") == "polite" and narr.get_attribute("aria-atomic") == "true"
                # (the step's place said once, by the first pane, before its run's name)
                assert narr.text_content().startswith(f"{pos}{label}: ") and len(narr.text_content()) > len(label) + 10
            # the whole runs (71 and 65 steps): at the last step the shorter has ended, and says so
            whole = Compare(a, b, labels=("article NAT", "netfilter NAT"))
            assert len(whole._frames[0].steps) > len(whole._frames[1].steps)
            page.write_text(standalone_page([f'<div style="width:{BOOK_COLUMN_PX}px">{whole.html()}</div>'], "compare"))
            pg.goto(page.as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            root = pg.locator("[data-replay]").first
            root.locator(".op1-bar button[data-act=last]").click()
            pg.wait_for_timeout(700)
            ends = root.locator(".op1-endnote").all()
            assert all(e.get_attribute("aria-live") == "polite" for e in ends)
            assert [e.text_content() for e in ends] == [
                "", f"netfilter NAT: this run has no step {len(whole._frames[0].steps)}: it ended after "
                    f"{len(whole._frames[1].steps)} steps."]
        finally:
            browser.close()


# -- a phone and a laptop ----------------------------------------------------------------------

# The later-step ladder rows a reader can see; the same check as the book's (tests/test_book.py).
SHOWN_ROWS_JS = r"""root => Array.from(root.querySelectorAll('.op1-ladder-body .op1-row')).filter(g => {
  if (getComputedStyle(g).display === 'none') return false;
  const r = g.getBoundingClientRect(), s = g.ownerSVGElement.getBoundingClientRect();
  return r.height > 0 && r.top < s.bottom - 1;
}).map(g => parseInt(g.getAttribute('data-k')))"""


def _in_view(page, loc) -> bool:
    """Whether ``loc`` is on screen and not covered: the element at its centre is itself."""
    return page.evaluate("""el => { const r = el.getBoundingClientRect();
        if (r.bottom <= 0 || r.top >= innerHeight || r.width === 0) return false;
        const x = r.left + r.width / 2, y = r.top + r.height / 2, hit = document.elementFromPoint(x, y);
        return !!hit && (hit === el || el.contains(hit)); }""", loc.element_handle())


def test_the_player_on_a_phone_and_on_a_laptop():
    """At 390x844: nothing wider than the screen, text >= 10 CSS px, the network drawn top to
    bottom whole in its box, tabs for what is below it, step buttons pinned on screen while the player is;
    ladders show the steps so far,
    rows jump to their step by click or key, a toggle shows the whole exchange. At 1366x768:
    the packet's place and what the step changed in the router's tables on one screen."""
    need_dot()
    exe = _need_browser()
    from playwright.sync_api import sync_playwright
    r = sim.run("equalize-nat", seed=3, size=20_000)
    pl = Player(r, title="equalize-nat, seed 3", stop=40)
    d = ROOT / "_build" / "test-artifacts"
    d.mkdir(parents=True, exist_ok=True)
    page_file = d / "player-screens.html"
    page_file.write_text(standalone_page([pl.html(), "<p>" + "text after the player. " * 400 + "</p>"], "screens"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 390, "height": 844})
            pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                     else route.abort())
            pg.goto(page_file.as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            P = pg.locator("[data-replay]")
            # the help names keys where there is a keyboard, taps on a touch screen
            assert P.locator(".op1-keys").is_visible() and not P.locator(".op1-taps").is_visible()
            touch = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            touch.goto(page_file.as_uri())
            T = touch.locator("[data-replay]")
            assert T.locator(".op1-taps").is_visible() and not T.locator(".op1-keys").is_visible()
            touch.close()
            assert pg.evaluate("document.documentElement.scrollWidth") <= 390
            least, what = P.evaluate(MIN_TEXT_JS)
            assert least >= 10, (least, what)
            # step 1: one ladder row, the first
            assert P.evaluate(SHOWN_ROWS_JS) == [0]
            # the network is drawn top to bottom, whole in its box, the packet's tag in it
            syn = next(k for k, i in enumerate(pl.steps) if r.events[i].node.startswith("uplink"))
            for _ in range(syn):
                P.locator(".op1-bar button[data-act=next]").click()
            assert P.evaluate(SHOWN_ROWS_JS) == list(range(syn + 1))
            box = P.locator(".op1-topo-scroll").bounding_box()
            assert not P.locator("svg.op1-topo:not(.op1-topo-n)").is_visible()
            tag = P.locator('svg.op1-topo-n [data-el="tag"] rect').bounding_box()
            assert pg.evaluate("document.querySelector('.op1-topo-scroll').scrollWidth") <= box["width"]
            assert box["x"] <= tag["x"] and tag["x"] + tag["width"] <= box["x"] + box["width"]
            least, what = P.evaluate(MIN_TEXT_JS)
            assert least >= 10, (least, what)
            # a click on a row goes to its step; Enter on a row too; Up moves between rows
            P.locator('.op1-ladder-body .op1-row[data-k="1"]:visible').click()
            assert P.get_attribute("data-step") == "1"
            assert P.evaluate(SHOWN_ROWS_JS) == [0, 1]
            P.locator('.op1-ladder-body .op1-row[data-k="1"]:visible').focus()
            pg.keyboard.press("ArrowUp")
            pg.keyboard.press("Enter")
            assert P.get_attribute("data-step") == "0"
            # the whole exchange, on request
            P.locator("input.op1-all-toggle").check()
            assert P.evaluate(SHOWN_ROWS_JS) == list(range(pl.frames))
            P.locator("input.op1-all-toggle").uncheck()
            assert P.evaluate(SHOWN_ROWS_JS) == [0]
            # tabs: one of ladder, router tables, packet below the network
            assert P.locator(".op1-ladder-box").is_visible() and not P.locator(".op1-pkt-wrap").is_visible()
            P.locator('.op1-tabs [data-tab="pkt"]').click()
            assert P.locator(".op1-pkt-wrap").is_visible() and not P.locator(".op1-ladder-box").is_visible()
            assert P.locator('.op1-tabs [data-tab="pkt"]').get_attribute("aria-selected") == "true"
            least, what = P.evaluate(MIN_TEXT_JS)
            assert least >= 10, (least, what)
            P.locator('.op1-tabs [data-tab="state"]').click()
            assert P.locator(".op1-state-box-wrap").is_visible() and not P.locator(".op1-pkt-wrap").is_visible()
            least, what = P.evaluate(MIN_TEXT_JS)
            assert least >= 10, (least, what)
            P.locator('.op1-tabs [data-tab="ladder"]').click()
            # scrolled into the player: the pinned buttons are on screen and step it
            float_next = P.locator(".op1-float button[data-act=next]")
            pg.evaluate("window.scrollTo(0, 0)")          # the player's own bar on screen: no copy
            pg.wait_for_timeout(200)
            assert _in_view(pg, P.locator(".op1-bar button[data-act=next]"))
            assert not _in_view(pg, float_next)
            P.locator(".op1-ladder-box").evaluate("e => e.scrollIntoView({block: 'start'})")
            pg.wait_for_timeout(200)
            assert not _in_view(pg, P.locator(".op1-bar button[data-act=next]"))
            assert _in_view(pg, float_next)
            float_next.click()
            assert P.get_attribute("data-step") == "1"
            # only the player's last lines on screen, above what follows it: no pinned buttons over that
            bottom = P.evaluate("e => e.getBoundingClientRect().bottom + window.scrollY")
            pg.evaluate(f"window.scrollTo(0, {bottom} - 120)")
            pg.wait_for_timeout(200)
            assert 0 < P.evaluate("e => e.getBoundingClientRect().bottom") < 200     # (text follows it)
            assert not _in_view(pg, float_next)
            # past the player: no pinned buttons
            pg.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            pg.wait_for_timeout(200)
            assert not _in_view(pg, float_next)
            pg.close()

            pg = browser.new_page(viewport={"width": 1366, "height": 768})
            pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                     else route.abort())
            pg.goto(page_file.as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            P = pg.locator("[data-replay]")
            assert pg.evaluate("document.documentElement.scrollWidth") <= 1366
            for _ in range(syn):
                P.locator(".op1-bar button[data-act=next]").click()
            P.evaluate("e => e.scrollIntoView({block: 'start'})")
            chg = P.locator(".op1-what")
            assert "NEW" in chg.inner_text() and "conntrack entry 1, bound to" in chg.inner_text()
            pg.screenshot(path=str(d / "player-1366x768.png"))
            for loc in (chg, P.locator('svg.op1-topo:not(.op1-topo-n) [data-el="tag"]'), P.locator(".op1-narr"),
                        P.locator(".op1-bar button[data-act=next]")):
                assert _in_view(pg, loc), loc
        finally:
            browser.close()


def _page_with(exe, tmp_path, html: str, viewport: dict, name: str = "page.html", **opts):
    """``html`` in a standalone page, opened in a new Chromium of ``exe`` (file: only); ``opts``:
    the page's other options (``forced_colors``, ``color_scheme``)."""
    from playwright.sync_api import sync_playwright
    page = tmp_path / name
    page.write_text(standalone_page([html], name))
    p = sync_playwright().start()
    browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
    pg = browser.new_page(viewport=viewport, **opts)
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    pg.goto(page.as_uri())
    pg.wait_for_function(f"document.querySelectorAll('[data-op1-live]').length === "
                         f"{html.count('data-replay=')}")
    return p, browser, pg


def test_each_replay_is_named_by_its_title_and_described_by_its_parameters_and_keys(tmp_path):
    """Two replays of one scenario on a page are told apart by a screen reader: each group is
    named by its visible title (aria-labelledby), the line of its parameters and its keys said
    as its description (aria-describedby), not one aria-label of the scenario's name and steps
    alike for both.  (Named by the title and the parameters too, a player's name ran to 200
    characters, read each time the focus came into it.)  The live panel's replays (``Player.heading``) have their title as an h4,
    under the panel's h3; elsewhere it stays a plain line, but on a page of its own, where the
    first replay's title is the page's h1 (``standalone_page``)."""
    need_dot()
    exe = _need_browser()
    ra = sim.run("equalize-nat", seed=1, size=3000)
    rb = sim.run("equalize-nat", seed=2, size=3000, nat="netfilter")
    pa, pb = Player(ra, title="Run 1, in this page", max_steps=20), Player(rb, title="Run 2, in this page", max_steps=20)
    pb.heading = "h4"
    p, browser, pg = _page_with(exe, tmp_path, pa.html() + pb.html(), {"width": 1280, "height": 900})
    try:
        got = pg.evaluate("""() => Array.from(document.querySelectorAll('[data-replay]')).map(el => {
            const text = (ids) => (ids || '').split(' ').filter(Boolean)
                .map(i => document.getElementById(i).textContent).join(' | ');
            return {label: el.getAttribute('aria-label'), named: text(el.getAttribute('aria-labelledby')),
                    described: text(el.getAttribute('aria-describedby')),
                    tag: el.querySelector('.op1-title').tagName}; })""")
        ids = pg.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)")
    finally:
        browser.close()
        p.stop()
    assert len(ids) == len(set(ids)), ids
    assert [g["label"] for g in got] == [None, None]
    assert [g["named"] for g in got] == ["Run 1, in this page", "Run 2, in this page"], got
    assert got[0]["described"].startswith("equalize-nat: multipath=random equalize=True nat=article "
                                          "remote=article ingress_filter=False uplinks=2 seed=1 tcp=2.4 cc=none "
                                          "size=3000 | Keys: left and right arrows step"), got[0]
    assert "nat=netfilter" in got[1]["described"] and "seed=2" in got[1]["described"], got[1]
    assert [g["tag"] for g in got] == ["H1", "H4"]


def _narration_page(tmp_path, title, max_steps):
    """A replay of equalize-nat (seed 1, 3000 bytes) in Chromium at 1280x900, with every change
    of its narration recorded in ``window.__said`` as [aria-live at that moment, text]:
    (result, player, playwright, browser, page)."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1, size=3000)
    pl = Player(r, title=title, max_steps=max_steps)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 1280, "height": 900})
    pg.evaluate("""() => { const n = document.querySelector('.op1-narr'); window.__said = [];
        new MutationObserver(() => window.__said.push([n.getAttribute('aria-live'), n.textContent]))
          .observe(n, {childList: true, characterData: true, subtree: true}); }""")
    return r, pl, p, browser, pg


def test_play_keeps_the_narration_quiet_and_says_the_step_it_stops_at(tmp_path):
    """While a replay plays (a step every 900 ms, 225 ms at 4x) its live regions are off, so a
    screen reader is not handed every step's narration; on pause, and when it stops at the last
    step, the narration is live again and written once more (the same words, never emptied), so
    the step it stopped at is said; at the last step, Play's own end, it is written once, live
    (a screen reader once said it twice)."""
    # 40 steps, 9 s at 4x: a loaded machine's slow polling still finds it playing at step 3 and
    # pauses it well before its end (12 steps, 2.7 s, once ended before the pause, and a string
    # comparison of data-step missed steps 10 and 11)
    r, pl, p, browser, pg = _narration_page(tmp_path, "play", 40)
    try:
        assert pl.frames >= 30, pl.frames
        pg.select_option("select.op1-speed", "4")
        pg.click(".op1-bar button[data-act=play]")
        pg.wait_for_function("Number(document.querySelector('[data-replay]').getAttribute('data-step')) >= 3")
        playing = pg.get_attribute(".op1-narr", "aria-live")
        pg.click(".op1-bar button[data-act=play]")                   # pause
        k = int(pg.get_attribute("[data-replay]", "data-step"))
        pg.wait_for_function("window.__said.length && window.__said[window.__said.length - 1][0] === 'polite'")
        paused = pg.evaluate("window.__said.splice(0)")
        shown_paused = pg.inner_text(".op1-narr-t")
        pg.click(".op1-bar button[data-act=play]")                   # on to the last step: it stops there
        pg.wait_for_function(f"document.querySelector('[data-replay]').getAttribute('data-step') === '{pl.frames - 1}'")
        pg.wait_for_function("window.__said.length && window.__said[window.__said.length - 1][0] === 'polite'")
        pg.wait_for_timeout(1000)              # (a second writing, once 100 ms later, would be in by now)
        ended = pg.evaluate("window.__said.splice(0)")
        after = pg.get_attribute(".op1-narr", "aria-live")
    finally:
        browser.close()
        p.stop()
    assert playing == "off"
    # (said: the step's place, then its narration; shown: the narration)
    shown = [narrate(r, i) for i in pl.steps]
    steps = [f"Step {k + 1} of {pl.frames}. {s}" for k, s in enumerate(shown)]
    # while playing, steps went by unheard; on pause the step shown is written once more, heard
    before = [s for s in paused if s[1] and s[1] != steps[k]]
    assert before and all(live == "off" for live, _ in before), paused
    assert paused[-1] == ["polite", steps[k]], paused
    assert [s for s in paused if s[0] == "polite"] == [["polite", steps[k]]], paused
    assert all(s[1] for s in paused) and shown_paused == shown[k]       # never emptied: nothing flickers
    assert all(live == "off" for live, _ in ended[:-1]), ended
    assert ended[-1] == ["polite", steps[-1]] and after == "polite", ended
    # the last step is written once while heard, not written quiet and then again: said once
    assert [s for s in ended if s[0] == "polite"] == [["polite", steps[-1]]], ended


def test_quick_steps_are_shown_at_once_and_the_step_reached_said_once(tmp_path):
    """→ pressed ten times 40 ms apart: each step is shown at once, but the live regions are
    quiet until the steps stop (a screen reader queued all ten narrations, 2,000 characters);
    then the step reached is said once.  A single step is said too, once."""
    r, pl, p, browser, pg = _narration_page(tmp_path, "steps", 20)
    try:
        pg.focus("[data-replay]")
        # (the presses timed in the page: from here, a loaded machine spaced them 400 ms and more)
        shown = pg.evaluate("""() => new Promise(done => {
            const root = document.querySelector('[data-replay]'), shown = [];
            const press = k => {
              root.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
              shown.push(document.querySelector('.op1-narr-t').innerText);
              if (k < 9) setTimeout(() => press(k + 1), 40); else done(shown);
            };
            press(0); })""")
        pg.wait_for_timeout(1000)
        quick = pg.evaluate("window.__said.splice(0)")
        pg.keyboard.press("ArrowRight")
        pg.wait_for_timeout(1000)
        one = pg.evaluate("window.__said.splice(0)")
        # the last step by End (an accessibility tester heard it twice: the step's own stop() at
        # the last step made the regions live again while a step by hand kept them hushed)
        pg.keyboard.press("End")
        pg.wait_for_timeout(1000)
        end = pg.evaluate("window.__said.splice(0)")
        live = pg.get_attribute(".op1-narr", "aria-live")
    finally:
        browser.close()
        p.stop()
    steps = [narrate(r, i) for i in pl.steps]
    assert shown == steps[1:11]                        # shown at once, step by step
    # said: the step's place, then its narration
    steps = [f"Step {k + 1} of {pl.frames}. {s}" for k, s in enumerate(steps)]
    heard = [s for s in quick if s[0] != "off"]
    assert heard == [["polite", steps[10]]], quick      # said once: the step reached
    assert [s for s in one if s[0] != "off"] == [["polite", steps[11]]], one
    assert [s for s in end if s[0] != "off"] == [["polite", steps[-1]]], end
    assert live == "polite"


def test_in_forced_colours_with_a_dark_theme_the_diagrams_stay_readable(tmp_path):
    """Windows' contrast themes ("Night sky"): forced, the diagrams' text took the theme's colour
    but their cells and rows kept no fill, so the page's black showed through -- the router
    tables' cells and the ladder's rows were black on black.  They keep their own colours on white."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=3, size=3000)
    pl = Player(r, title="forced", max_steps=20)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 1280, "height": 900},
                                forced_colors="active", color_scheme="dark")
    try:
        assert pg.evaluate("matchMedia('(forced-colors: active)').matches")
        # at the first step, First and Back (the player's bar's and the pinned bar's) in the theme's
        # colour for disabled text, Next in a live button's: forced, the bars' own rule for them
        # (more specific than the forced one) drew them as live as Next
        colours = pg.evaluate("""() => {
            const probe = document.createElement('span');
            probe.style.color = 'GrayText';
            document.body.appendChild(probe);
            const grey = getComputedStyle(probe).color, out = {};
            for (const bar of ['.op1-bar', '.op1-float']) for (const act of ['first', 'prev', 'next']) {
              const b = document.querySelector(bar + ' button[data-act=' + act + ']'), c = getComputedStyle(b);
              out[bar + ' ' + act] = [b.getAttribute('aria-disabled') === 'true', c.color === grey, c.borderTopColor === grey];
            }
            return out; }""")
        for _ in range(10):
            pg.click(".op1-bar button[data-act=next]")
        pg.wait_for_timeout(300)
        shots = {}
        for name, sel in (("tables", ".op1-state-box svg"), ("ladder", "svg.op1-ladder-body")):
            el = pg.locator(sel).first
            el.scroll_into_view_if_needed()
            shots[name] = el.screenshot()
    finally:
        browser.close()
        p.stop()
    import io
    from PIL import Image
    for name, png in shots.items():
        grey = Image.open(io.BytesIO(png)).convert("L").histogram()       # pixels by grey level
        light, dark = sum(grey[201:]) / sum(grey), sum(grey[:80]) / sum(grey)
        (ARTIFACTS / f"forced-dark-{name}.png").parent.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"forced-dark-{name}.png").write_bytes(png)
        # a white ground with dark text on it, not a black ground
        assert light > 0.5 and 0.005 < dark < 0.4, (name, light, dark)
    for bar in (".op1-bar", ".op1-float"):
        assert colours[f"{bar} first"] == colours[f"{bar} prev"] == [True, True, True], colours
        assert colours[f"{bar} next"] == [False, False, False], colours


#: WCAG 1.4.12's text spacing, as a reader's style sheet (or a bookmarklet) sets it
TEXT_SPACING = ("* {line-height:1.5!important; letter-spacing:.12em!important; word-spacing:.16em!important} "
                "p {margin-bottom:2em!important}")
#: each word of the router tables' drawing that lies in a cell: its text, and how far (px) it ends
#: past its cell's right edge (the smallest of the drawn cells round its start)
CELL_OVERRUN_JS = """() => {
  const svg = document.querySelector('.op1-state-box svg');
  const cells = Array.from(svg.querySelectorAll('polygon[stroke="#444444"]')).map(p => p.getBoundingClientRect());
  const out = [];
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect(), x = r.left + 2, y = (r.top + r.bottom) / 2;
    if (!r.width || !t.textContent.trim()) continue;
    const cell = cells.filter(c => x >= c.left && x <= c.right && y >= c.top && y <= c.bottom)
                      .sort((a, b) => a.width * a.height - b.width * b.height)[0];
    if (cell) out.push([t.textContent.trim(), Math.round(r.right - cell.right)]);
  }
  return out; }"""


def test_with_a_readers_text_spacing_the_drawings_keep_theirs_and_the_tables_show_as_text(tmp_path):
    """An accessibility tester's finding (WCAG 1.4.12): with letters 0.12 em and words 0.16 em
    apart, the drawings' words ran out of the boxes graphviz sized for them -- a router table's
    entries over the next column and its edge.  The drawings keep their own spacing (their cells'
    words end inside them), the HTML around them takes the reader's; and "show as text" shows the
    tables as HTML tables in the drawing's place, which take it too, from step to step."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=3, size=3000)
    pl = Player(r, title="spacing", max_steps=20)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 1280, "height": 900})
    try:
        pg.add_style_tag(content=TEXT_SPACING)
        for _ in range(10):
            pg.click(".op1-bar button[data-act=next]")
        spacing = pg.evaluate("""() => [
            [...new Set(Array.from(document.querySelectorAll('.op1 svg text, .op1 svg tspan'))
               .map(t => getComputedStyle(t).letterSpacing + ' ' + getComputedStyle(t).wordSpacing))],
            getComputedStyle(document.querySelector('.op1-narr')).letterSpacing]""")
        overrun = pg.evaluate(CELL_OVERRUN_JS)
        box = ".op1-state-box"
        drawn = pg.evaluate(f"() => [document.querySelector('{box} svg').getBoundingClientRect().width, "
                            f"document.querySelector('{box} .op1-vh').getBoundingClientRect().width]")
        pg.check(".op1-text-toggle")
        pg.click(".op1-bar button[data-act=next]")
        as_text = pg.evaluate(f"""() => {{
            const t = document.querySelector('{box} .op1-vh');
            return [document.querySelector('{box} svg').getBoundingClientRect().width, t.getBoundingClientRect().width,
                    Array.from(t.querySelectorAll('caption')).map(c => c.innerText),
                    getComputedStyle(t.querySelector('td')).letterSpacing,
                    Array.from(t.querySelectorAll('td, th')).filter(c => c.scrollWidth > c.clientWidth + 1).length]; }}""")
    finally:
        browser.close()
        p.stop()
    assert spacing[0] == ["normal 0px"] and spacing[1] == "1.74px", spacing      # 0.12 em of 14.5 px
    assert len(overrun) > 20 and all(d <= 1 for _, d in overrun), [x for x in overrun if x[1] > 1]
    assert drawn[0] > 300 and drawn[1] == 1, drawn           # (the text tables: for a screen reader)
    svg_w, text_w, captions, letters, cut = as_text
    assert svg_w == 0 and text_w > 300, as_text
    assert [c.split(" (")[0] for c in captions] == ["Route cache", "Routing table", "Uplinks", "Conntrack / NAT"]
    assert letters != "normal" and cut == 0, as_text


def test_the_router_tables_are_tables_to_a_screen_reader_in_the_order_shown(tmp_path):
    """A screen reader got the router's diagram as one string ("Routing table … Route cache key:
    src → dst …"), no rows, cells or headers, and the tables in DOT's order, not the screen's
    (route cache first).  The diagram is hidden from it and followed by the same tables as HTML
    tables, hidden from the eye, in the screen's order (WCAG 1.3.1, 1.3.2)."""
    import re
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=3, size=3000)
    pl = Player(r, title="tables", max_steps=20)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 1280, "height": 900})
    try:
        for _ in range(10):
            pg.click(".op1-bar button[data-act=next]")
        snap = pg.locator(".op1-state-box").aria_snapshot()
        hidden = pg.get_attribute(".op1-state-box svg", "aria-hidden")
        box = pg.locator(".op1-state-box table").first.evaluate(
            "e => { const r = e.closest('.op1-vh').getBoundingClientRect(); return [r.width, r.height]; }")
        # the same words as the diagram, in the order it shows its tables, top to bottom
        drawn = pg.evaluate("""() => Array.from(document.querySelectorAll('.op1-state-box svg text'))
            .map(t => [t.getBoundingClientRect().top, t.textContent]).filter(x => /^(Route cache|Routing table|Uplinks|Conntrack)/.test(x[1]))
            .sort((a, b) => a[0] - b[0]).map(x => x[1].split(' (')[0])""")
    finally:
        browser.close()
        p.stop()
    assert hidden == "true" and box == [1, 1]
    said = re.findall(r'- table "([^"(]+?)(?: \(|")', snap)
    assert said == drawn == ["Route cache", "Routing table", "Uplinks", "Conntrack / NAT"], (said, drawn)
    assert 'columnheader "key: src → dst, iif"' in snap and 'columnheader "used, last"' in snap, snap
    assert re.search(r'row "DEL equalize 192\.168\.0\.1 → 200\.0\.0\.1 iif eth0 if2 \(eq\) ×1, [\d.]+ ms"', snap), snap
    assert 'cell "nexthop via 100.0.0.254 dev if1 weight 1"' in snap, snap


def test_a_comparisons_ladder_row_names_the_runs_differing_first():
    """A comparison marks a row where the runs differ with a vermilion "≠", which comes first in
    the row: its accessible name starts by saying so (WCAG's label in name: visible order)."""
    import re
    from sim.view.ladder import ladder_parts
    from sim.view.model import analysis_of
    r = sim.run("equalize-nat", seed=1, size=3000)
    steps = analysis_of(r).default_steps()[:8]
    _, body, _ = ladder_parts(r, steps, steps[0], diverge={steps[3]}, hide_future=True)
    names = dict(re.findall(r'data-i="(\d+)"[^>]*aria-label="([^"]*)"', body))
    assert names[str(steps[3])].startswith("≠ the runs differ here, step 4, event "), names[str(steps[3])]
    assert all(not v.startswith("≠") for k, v in names.items() if k != str(steps[3]))
    assert names[str(steps[2])].startswith("step 3, event ")


#: The width of the live panel's replays in the book at a 1280 px wide window (measured in
#: chapter 6): the player takes its narrow layout there (one column).
LIVE_COLUMN_PX = 662


def _as_drawing(P) -> None:
    """The router tables of the player (or comparison) ``P`` as a drawing: a phone's reader's
    choice ("show as text" unticked), as a phone starts them as text (player.js)."""
    P.evaluate("el => el.querySelectorAll('.op1-text-toggle').forEach(c => { if (c.checked) c.click(); })")


@pytest.mark.parametrize("screen", ["laptop 1280x720", "phone 390x844"])
def test_the_router_tables_are_shown_whole_and_their_marked_row_in_view(tmp_path, screen):
    """Chapter 6's run (and with 4 uplinks, the tallest tables): on a laptop (1280x720, the
    book's column) and a phone (390x844) no row of the router's tables is hidden below the
    bottom of their box (it was capped at 70 % / 60 % of the window's height: the conntrack
    table's last rows, with 4 uplinks all of it, were cut off); on the phone, where the tables
    are wider than their box, drawn (the reader's choice: they start as text), every step shows
    them from their left edge (the rows' keys, the tables' titles), and a row it marks (NEW,
    SNAT, DEL ...) whose words end past the box's faded right edge has an arrow there at its
    height."""
    need_dot()
    exe = _need_browser()
    w, h = (1280, 720) if screen.startswith("laptop") else (390, 844)
    runs = [sim.run("equalize-nat", seed=3, size=20_000, uplinks=u) for u in (2, 4)]
    players = [Player(r, title=f"uplinks {r.params.uplinks}", max_steps=60) for r in runs]
    html = "".join(f'<div style="max-width:{LIVE_COLUMN_PX}px">{pl.html()}</div>' for pl in players)
    p, browser, pg = _page_with(exe, tmp_path, html, {"width": w, "height": h})
    try:
        got = []
        for j, pl in enumerate(players):
            P = pg.locator("[data-replay]").nth(j)
            if w < 500:
                P.locator("[data-tab=state]").click()
                _as_drawing(P)
            marked = [k for k in range(pl.frames) if any(m in pl._frames.states[pl._frames.state_of[k]]
                                                            for m in ('fill="#d5f0e6"', 'fill="#d7ebf7"'))]
            for k in [12] + marked[:4]:
                P.evaluate("(el, k) => { const s = el.querySelector('input.op1-slider'); s.value = k; "
                           "s.dispatchEvent(new Event('input')); }", k)
                pg.wait_for_function("([el, k]) => el.getAttribute('data-step') === String(k)",
                                     arg=[P.element_handle(), k])
                pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                got.append((j, k, k in marked, P.evaluate("""el => {
                    const b = el.querySelector('.op1-state-box');
                    return {hidden: b.scrollHeight - b.clientHeight, wide: b.scrollWidth > b.clientWidth + 1}; }"""),
                    P.evaluate(MARKED_ROWS_JS)))
    finally:
        browser.close()
        p.stop()
    assert all(g[3]["hidden"] <= 1 for g in got), [g for g in got if g[3]["hidden"] > 1]
    marked = [g for g in got if g[2]]
    assert marked
    if w < 500:
        assert all(g[3]["wide"] for g in got)
        # the tables from their left edge; an arrow at each marked row cut by the right edge
        for g in got:
            assert bool(g[4]["rows"]) == g[2], g
            assert g[4]["sl"] == 0, g
            assert not _unpointed(g[4]), g
        assert any(_cut(g[4]) for g in got), "no marked row past the edge: this shows nothing"


def test_at_320_px_the_router_tables_open_at_their_left_edge(tmp_path):
    """Chapter 6's replay at 320 px: Next ten times with the ladder shown, then the "Router
    tables" tab, drawn (the reader's choice: they start as text) -- the tables open at their left edge (scrollLeft 0), so the route cache's key
    ("192.168.0.1 → 200.0.0.1 iif eth0"), the NAT tuples and the tables' titles read whole; and
    again at the following steps, where the marked rows cut by the right edge have their arrow.
    (Scrolled to the marked words, one offset for the four tables, they read "1 iif eth0" and
    "om, equalize)", and the Uplinks table, with no mark, left the box.)"""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=3, size=20_000)
    pl = Player(r, title="equalize-nat, seed 3", max_steps=40)
    f = pl._frames
    marked = [k for k in range(pl.frames) if 'fill="#d5f0e6"' in f.states[f.state_of[k]]
              or 'fill="#d7ebf7"' in f.states[f.state_of[k]]]
    assert 10 in marked or 11 in marked, marked
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 320, "height": 700})
    try:
        P = pg.locator("[data-replay]").first
        for _ in range(10):
            P.locator(".op1-bar button[data-act=next]").click()
        P.locator("[data-tab=state]").click()
        _as_drawing(P)
        got = []
        for _ in range(3):
            pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            got.append(P.evaluate("""el => {
                const b = el.querySelector('.op1-state-box');
                return [+el.getAttribute('data-step'), b.scrollLeft, b.scrollWidth - b.clientWidth,
                        (el.querySelector('.op1-state-t') || {}).textContent,
                        el.querySelector('.op1-pos').textContent]; }""") + [P.evaluate(MARKED_ROWS_JS)])
            P.locator(".op1-bar button[data-act=next]").click()
        # a reader's swipe, kept through the steps that mark the same rows (the first two such
        # steps), given up at the first that marks others
        go = "(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; s.dispatchEvent(new Event('input', {bubbles: true})); }"
        every = []
        for k in range(pl.frames):
            P.evaluate(go, k)
            _frame(pg)
            every.append(P.evaluate(MARKED_ROWS_JS)["sig"])
        same = next(k for k in range(pl.frames - 1) if every[k] and every[k] == every[k + 1])
        P.evaluate(go, same)
        _frame(pg)
        swiped = [P.evaluate("el => { const b = el.querySelector('.op1-state-box'); b.scrollLeft = 50; return b.scrollLeft; }")]
        sigs = [every[same]]
        while (len(sigs) < 2 or sigs[-1] == sigs[-2]) and len(sigs) < pl.frames:
            P.locator(".op1-bar button[data-act=next]").click()
            _frame(pg)
            m = P.evaluate(MARKED_ROWS_JS)
            swiped.append(m["sl"])
            sigs.append(m["sig"])
    finally:
        browser.close()
        p.stop()
    assert swiped[0] == 50 and sigs[1] == sigs[0] and sigs[-1] != sigs[0], sigs
    for j in range(1, len(sigs)):
        assert swiped[j] == (swiped[j - 1] if sigs[j] == sigs[j - 1] else 0), (j, swiped, sigs)
    assert got[0][0] == 10 and all(g[2] > 20 for g in got), got      # wider than its box
    assert all(g[1] == 0 and not _unpointed(g[5]) for g in got), got
    # every table's title begins in the box
    assert all(g[5]["titles"] and min(g[5]["titles"]) >= 0 for g in got), got
    # the caption says the moment the tables show: the step's own
    assert all(g[3] == ", at " + g[4].rsplit("t = ", 1)[1] for g in got), got


LIT_OUTSIDE_JS = """el => {
  const box = el.querySelector('.op1-topo-scroll').getBoundingClientRect(), out = [];
  let seen = 0;
  el.querySelectorAll('svg.op1-topo :is(g.hl-node, g.hl-from, g.hl-drop), svg.op1-topo [data-el="tag"]:not([visibility])')
    .forEach(g => {
      const b = g.getBoundingClientRect();
      if (!b.width) return;                                   // the drawing this width does not show
      seen += 1;
      if (b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1 || b.bottom > box.bottom + 1)
        out.push(g.getAttribute('data-el') + ' ' + Math.round(b.left - box.left) + '..' +
                 Math.round(b.right - box.left) + ' of ' + Math.round(box.width));
    });
  return [seen, out];
}"""


def test_on_a_phone_the_nodes_a_step_is_about_are_whole_in_the_network_box(tmp_path):
    """At 390 px, at every step of chapter 6's first replay (equalize behind the article's NAT,
    to the answer of the request), the highlighted nodes -- the packet's sender and receiver, or
    where it was sent, delivered or dropped -- and the packet's tag are whole inside the network's
    box: drawn left to right and scrolled to the packet's link, the box cut off both hosts of the
    LAN hop ("ost 1 / 58.0.1") and with them the sender's address, the lesson of NAT."""
    need_dot()
    exe = _need_browser()
    from playwright.sync_api import sync_playwright
    r = sim.run("equalize-nat", seed=1, size=20_000)
    pl = Player(r, title="equalize-nat, seed 1", stop=60)
    page_file = tmp_path / "phone-network.html"
    page_file.write_text(standalone_page([pl.html()], "network on a phone"))
    cut = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                     else route.abort())
            pg.goto(page_file.as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            P = pg.locator("[data-replay]")
            n = int(P.get_attribute("data-frames"))
            for k in range(n):
                if k:
                    P.locator(".op1-bar button[data-act=next]").click()
                pg.wait_for_function("k => document.querySelector('[data-replay]').getAttribute('data-step') == k", arg=k)
                seen, out = P.evaluate(LIT_OUTSIDE_JS)
                assert seen >= 2, (k, seen)                   # a node and the tag, at least
                if out:
                    cut[k + 1] = out
            least, what = P.evaluate(MIN_TEXT_JS)
            assert least >= 10, (least, what)
            P.screenshot(path=str(ARTIFACTS / "player-network-phone.png")) if ARTIFACTS.is_dir() else None
        finally:
            browser.close()
    assert n > 10 and not cut, f"steps whose highlighted nodes or tag the network box cuts off: {cut}"


EDGE_CUES_JS = """el => { const R = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom].map(Math.round); };
  const box = el.querySelector('.op1-topo-scroll'), fig = el.querySelector('.op1-topo-box');
  const cue = side => { const c = el.querySelector('.op1-edge-' + side + ' > span');
    return c && c.getBoundingClientRect().width ? R(c) : null; };
  return {sl: Math.round(box.scrollLeft), max: box.scrollWidth - box.clientWidth, box: R(box), fig: R(fig),
          l: cue('l'), r: cue('r'), y: Math.round(scrollY),
          still: [el.querySelector('.op1-narr'), el.querySelector('.op1-tabs'), el.querySelector('.op1-what')].map(e => R(e))}; }"""


@pytest.mark.parametrize("uplinks", [3, 4])
def test_on_a_phone_a_network_wider_than_its_box_says_it_scrolls_and_at_a_laptop_nothing_changes(tmp_path, uplinks):
    """At 375x667 a network of three or four uplinks, drawn top to bottom, is wider than its box
    (312 and 417 px in 303) and scrolled sideways with no cue but a fade, which over the drawing's
    white edge showed nothing (a phone reader's finding).  An arrow over each edge the box can
    scroll to says so, inside the box and at the drawing's middle, gone at that end; a tap on it
    scrolls the box; showing and hiding it moves nothing.  At 1366x768 the drawing fits: no arrow."""
    need_dot()
    exe = _need_browser()
    pl = Player(sim.run("equalize-nat", seed=1, uplinks=uplinks), title=f"equalize-nat, {uplinks} uplinks", max_steps=12)
    _write_player_page(tmp_path / "wide.html", pl)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "wide.html", 375, 667)
            box = P.locator(".op1-topo-scroll")
            got = {"open": P.evaluate(EDGE_CUES_JS)}
            for at in ("start", "end"):
                box.evaluate(f"b => {{ b.scrollLeft = {'0' if at == 'start' else 'b.scrollWidth'}; }}")
                _frame(pg)
                got[at] = P.evaluate(EDGE_CUES_JS)
            box.evaluate("b => { b.scrollLeft = 0; }")
            _frame(pg)
            P.locator(".op1-edge-r > span").tap()
            pg.wait_for_timeout(600)                   # (a smooth scroll)
            got["tapped"] = P.evaluate(EDGE_CUES_JS)
            pg.screenshot(path=str(tmp_path / "wide-phone.png"))
            lap = browser.new_page(viewport={"width": 1366, "height": 768})
            lap.goto((tmp_path / "wide.html").as_uri())
            lap.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            got["laptop"] = lap.locator("[data-replay]").evaluate(EDGE_CUES_JS)
        finally:
            browser.close()
    s, e, t = got["start"], got["end"], got["tapped"]
    assert s["max"] > 8 and s["l"] is None and s["r"] is not None, s
    assert e["sl"] >= e["max"] - 1 and e["r"] is None and e["l"] is not None, e
    for v in (s, e):
        for c in (v["l"], v["r"]):
            if c:                                      # inside the box, near its edge, at its middle
                assert v["box"][0] <= c[0] and c[2] <= v["box"][2] and v["box"][1] < c[1] and c[3] < v["box"][3], v
                assert min(c[0] - v["box"][0], v["box"][2] - c[2]) <= 10 and c[2] - c[0] >= 24 and c[3] - c[1] >= 24, v
                assert abs((c[1] + c[3]) / 2 - (v["fig"][1] + v["fig"][3]) / 2) < 20, v
    assert t["sl"] > 0 and (t["l"] is not None), t
    assert {(v["y"], str(v["still"]), str(v["box"])) for v in (got["open"], s, e, t)} == {(s["y"], str(s["still"]), str(s["box"]))}, got
    assert got["laptop"]["max"] <= 1 and got["laptop"]["l"] is None and got["laptop"]["r"] is None, got["laptop"]


# each of a player's two network drawings as a step leaves it: its lit elements and their
# class, its counters' text, the packet's tag (shown or not, where, what it says)
DRAWINGS_JS = """el => Array.from(el.querySelectorAll('svg.op1-topo')).map(svg => ({
    narrow: svg.classList.contains('op1-topo-n'),
    shown: svg.getBoundingClientRect().width > 0,
    lit: Array.from(svg.querySelectorAll('[class*=hl-]')).map(g => g.getAttribute('data-el') + ' '
        + Array.from(g.classList).filter(c => c.startsWith('hl-')).sort().join(' ')).sort(),
    cnt: Array.from(svg.querySelectorAll('.op1-cnt')).map(t => t.textContent),
    tag: (t => [t.getAttribute('visibility'), t.getAttribute('class'), t.querySelector('rect').getAttribute('x'),
                t.querySelector('rect').getAttribute('y'), Array.from(t.querySelectorAll('text')).map(x => x.textContent)])
         (svg.querySelector('[data-el=tag]'))}))"""


def test_a_step_redraws_the_network_shown_and_a_turned_phone_shows_the_step(tmp_path):
    """The network is drawn twice, left to right and, under 560 px (player.css), top to bottom;
    a step redraws only the drawing shown (both were redrawn at every step, the hidden one for
    nothing), and the other is brought to the step when it is shown: a phone turned mid-replay
    (390x844 to 844x390, and back) shows the step it is at, lit, counted and tagged as a page
    opened at that width and moved to that step."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1, size=3000)
    pl = Player(r, title="equalize-nat, seed 1", max_steps=40)
    html = pl.html()
    phone, turned = {"width": 390, "height": 844}, {"width": 844, "height": 390}

    def go(pg, k):
        pg.locator("input.op1-slider").evaluate(f"s => {{ s.value = {k}; s.dispatchEvent(new Event('input')); }}")
        pg.wait_for_function("k => document.querySelector('[data-replay]').getAttribute('data-step') == k", arg=k)
        pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return pg.locator("[data-replay]").evaluate(DRAWINGS_JS)

    def opened_at(viewport, k):                      # a page opened at that width, moved to step k
        p, browser, pg = _page_with(exe, tmp_path, html, viewport, "ref.html")
        try:
            return go(pg, k)
        finally:
            browser.close()
            p.stop()

    # two steps where the packet's tag is on a link (HOP events), far enough apart to differ
    hops = [k for k, i in enumerate(pl.steps) if r.events[i].ev.name == "HOP"]
    a, b = hops[2], hops[-1]
    p, browser, pg = _page_with(exe, tmp_path, html, phone)
    try:
        first = pg.locator("[data-replay]").evaluate(DRAWINGS_JS)
        on_phone = go(pg, a)
        pg.set_viewport_size(turned)
        pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        turned_a = pg.locator("[data-replay]").evaluate(DRAWINGS_JS)
        turned_b = go(pg, b)
        pg.set_viewport_size(phone)
        pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        back_b = pg.locator("[data-replay]").evaluate(DRAWINGS_JS)
    finally:
        browser.close()
        p.stop()
    wide, narrow = 0, 1
    assert [d["narrow"] for d in first] == [False, True]
    assert [d["shown"] for d in on_phone] == [False, True] and [d["shown"] for d in turned_a] == [True, False]
    # a step: the drawing shown redrawn, the hidden one left as it was
    assert on_phone[narrow]["tag"] != first[narrow]["tag"]
    assert on_phone[wide] == first[wide], "the hidden drawing was redrawn"
    assert turned_b[narrow] == turned_a[narrow], "the hidden drawing was redrawn"
    # shown, it is at the step, as at that width from the start
    assert turned_a[wide] == opened_at(turned, a)[wide]
    assert back_b[narrow] == opened_at(phone, b)[narrow]
    assert turned_a[wide]["tag"][0] is None and back_b[narrow]["tag"][0] is None      # (the tag shown)


PKT_WORDS_JS = """el => {
  const box = el.querySelector('.op1-pkt-box'), fade = box.getBoundingClientRect().right - 28;
  const broken = [], faded = [];
  el.querySelectorAll('.op1-diss td, .op1-pkthead, .op1-pktchg').forEach(cell => {
    if (!cell.getClientRects().length) return;
    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) {
      let k = 0;
      for (const w of t.data.split(' ')) {
        const r = document.createRange();
        r.setStart(t, k); r.setEnd(t, k + w.length); k += w.length + 1;
        const rs = [...r.getClientRects()].filter(q => q.width);
        if (new Set(rs.map(q => Math.round(q.top))).size > 1) broken.push(w);
        if (!cell.matches('td') && rs.some(q => q.right > fade + 0.5)) faded.push(w);
      }
    }
  });
  return [box.scrollWidth > box.clientWidth, broken, faded];
}"""


@pytest.mark.parametrize("width", [320, 390])
def test_on_a_phone_the_packet_pane_breaks_no_address_and_its_head_clears_the_fade(tmp_path, width):
    """Chapter 1's replay, step 8 (the SYN+ACK after the router's DNAT), Packet tab.  At 320 px
    the fields' values were allowed to break anywhere, so the table sized itself to the
    narrowest pieces and cut addresses mid-number ("192.168.0." above "1"); and the lines above
    the tables ran under the box's faded right edge (the box scrolls: the hexdumps are wider),
    so "IP.chksum," read clipped.  Values and heads wrap at spaces only, and the heads end
    short of the fade."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    syn_in = next(i for i, e in enumerate(r.events) if e.ev.value == "deliver" and e.node == "remote1")
    ack_in = next(i for i, e in enumerate(r.events) if i > syn_in and e.ev.value == "deliver"
                  and e.node == "remote1")
    pl = Player(r, title="connection-level, seed 1: the three-way handshake", stop=ack_in + 1)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": width, "height": 700})
    try:
        P = pg.locator("[data-replay]").first
        for _ in range(7):
            P.locator(".op1-bar button[data-act=next]").click()
        P.locator("[data-tab=pkt]").click()
        pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        assert P.get_attribute("data-step") == "7"
        assert "was 150.0.0.1" in P.locator(".op1-pkt-box").inner_text()
        scrolls, broken, faded = P.evaluate(PKT_WORDS_JS)
        if width == 320:
            pg.screenshot(path=str(tmp_path / "pkt-320.png"))
    finally:
        browser.close()
        p.stop()
    assert scrolls                                  # the hexdumps: the box fades its right edge
    assert broken == [], broken
    assert faded == [], faded


def _fin_page_320(tmp_path, title: str):
    """Chapter 10's replay of the giving-up client's FIN on a 320x640 phone (its narrations run
    past 6 lines): (playwright, browser, page)."""
    need_dot()
    exe = _need_browser()
    from test_view_snapshots import _fin_replay
    r, steps = _fin_replay()
    return _page_with(exe, tmp_path, Player(r, title=title, steps=steps).html(), {"width": 320, "height": 640})


def test_on_a_phone_the_tables_strip_keeps_the_network_drawing_in_place(tmp_path):
    """At 320x640, chapter 10's replay of the giving-up client's FIN: the strip "Router tables,
    this step" was 464 px tall at step 1 (the packets routed before the replay begins), 44 at
    step 5 and 347 at step 8, so the network drawing under it jumped off the screen from one step
    to the next.  On a phone the strip is a box of a few lines; a strip with more text scrolls, is
    faded at its foot until scrolled to its end, and takes the keyboard's focus (to scroll it by its
    arrow keys).  Then readers measured the drawing still moving by up to 128 px from step to step:
    the strip (29 to 117 px), the narration (two to eight lines) and the drawing's caption (one line
    or two) each took their step's height.  Each is now as tall as the replay's tallest, and the
    drawing stays where it is at every step.  (640 px is a short screen: a narration longer than 6
    lines scrolls in its box as the strip does, faded at its foot, a keyboard stop named for it.)"""
    p, browser, pg = _fin_page_320(tmp_path, "uplink-down, seed 1: the giving-up client's FIN")
    try:
        P = pg.locator("[data-replay]")
        n = int(P.get_attribute("data-frames"))
        seen = []
        for k in range(n):
            if k:
                P.locator(".op1-bar button[data-act=next]").click()
            pg.wait_for_function("k => document.querySelector('[data-replay]').getAttribute('data-step') == k", arg=k)
            pg.evaluate("() => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))")
            seen.append(P.evaluate("""el => { const w = el.querySelector('.op1-what');
                const topo = el.querySelector('.op1-topo-box'), narr = el.querySelector('.op1-narr');
                return [Math.round(w.getBoundingClientRect().height),
                        Math.round(topo.querySelector('svg').getBoundingClientRect().top - el.getBoundingClientRect().top),
                        w.scrollHeight > w.clientHeight + 1,
                        w.hasAttribute('data-more'), w.getAttribute('tabindex'),
                        narr.scrollHeight > narr.clientHeight + 1,
                        [narr.hasAttribute('data-more'), narr.getAttribute('tabindex'), narr.getAttribute('aria-label')],
                        Math.round(narr.getBoundingClientRect().height),
                        // (cut by half a line or more: "more" and the fade; less, its padding)
                        [w, narr].map(b => b.scrollHeight - b.clientHeight >= parseFloat(getComputedStyle(b).lineHeight) / 2)]; }"""))
        first = P.evaluate("el => { const w = el.querySelector('.op1-what'); w.scrollTop = w.scrollHeight; "
                           "return new Promise(ok => requestAnimationFrame(() => ok(w.hasAttribute('data-more')))); }")
    finally:
        browser.close()
        p.stop()
    heights = [s[0] for s in seen]
    assert n == 24 and max(heights) <= 130, heights
    assert any(s[2] for s in seen), "no strip longer than its box: this test shows nothing"
    tops = [s[1] for s in seen]
    assert max(tops) - min(tops) <= 2, tops                # the drawing stays at one place
    assert any(s[5] for s in seen), "no narration longer than its box: this shows nothing of its box"
    # (held at what the screen leaves over the network drawing, player.js capNarr: 4 to 8 lines here)
    assert len({s[7] for s in seen}) == 1 and 4 * 14 * 1.4 + 8 <= seen[0][7] <= 8 * 14 * 1.4 + 8 + 1, seen
    for k, (_, _, over, more, tab, n_over, n_attrs, _, (cut, n_cut)) in enumerate(seen):
        assert more == cut and (tab == "0") == over, (k + 1, seen[k])
        # a narration longer than its box: a keyboard stop that says it scrolls, faded at its foot
        # when cut by half a line or more
        assert n_attrs == ([n_cut, "0", "narration, scrolls"] if n_over else [False, None, None]), (k + 1, seen[k])
    assert first is False, "scrolled to its end, the last step's strip is still faded"


TAB_VIEW_JS = """el => { const f = el.querySelector('.op1-float'), t = el.querySelector('.op1-tabs').getBoundingClientRect();
    const panel = el.querySelector('[data-panel="' + el.querySelector('.op1-pane').getAttribute('data-tab') + '"]');
    const h = panel.querySelector('.op1-boxh').getBoundingClientRect(), b = panel.querySelector('.op1-kscroll').getBoundingClientRect();
    return {bar: f.hidden ? null : Math.round(f.getBoundingClientRect().top), head: Math.round(h.bottom),
            tabs: Math.round(t.top), box: [Math.round(b.top), Math.round(b.bottom)], y: Math.round(scrollY)}; }"""


@pytest.mark.parametrize("screen", [(375, 667), (360, 740)])
def test_on_a_phone_a_tab_tapped_under_the_pinned_bar_shows_its_view(tmp_path, screen):
    """At 375x667 (touch), chapter 6's replay: the tabs below the network drawing sat just above
    the pinned buttons, and the Ladder tab, tapped, showed the ladder's head under them; then,
    scrolled up by the view's first 120 px, "Router tables" showed the tables' title and legend
    above the bar and the tables themselves under it.  A tab tapped while the pinned bar shows
    brings its view's box (the ladder, the tables, the packet) up above the bar, whole or as much
    of it as fits with the tabs still on screen under the page's header; and a tab tapped when
    its box is already above the bar scrolls nothing.  (The strip "Router tables, this step"
    keeps the replay's tallest height, empty at a step of "no change": a step's own height moved
    the tabs and the ladder below it from step to step; test_book checks nothing moves.)"""
    need_dot()
    exe = _need_browser()
    pl = Player(sim.run("equalize-nat", seed=3, size=20_000), title="equalize-nat, seed 3", max_steps=19)
    _write_player_page(tmp_path / "ch6.html", pl)
    from playwright.sync_api import sync_playwright
    w, h = screen
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "ch6.html", w, h)
            for _ in range(3):                          # a step with rows in the tables
                P.locator(".op1-float:not([hidden]) [data-act=next]").tap()
            got, again = {}, {}
            for tab in ("Router tables", "Ladder", "Packet"):
                # the tabs just above the pinned bar, as a reader stepping under the drawing has them
                P.evaluate("""el => { const t = el.querySelector('.op1-tabs').getBoundingClientRect(),
                    f = el.querySelector('.op1-float'); window.scrollBy(0, t.bottom - (f.getBoundingClientRect().top - 4)); }""")
                _frame(pg)
                P.get_by_role("tab", name=tab).tap()
                _frame(pg)
                got[tab] = P.evaluate(TAB_VIEW_JS)
                # its box above the bar now (or as far up as the tabs allow): tapped again, nothing moves
                P.get_by_role("tab", name=tab).tap()
                _frame(pg)
                again[tab] = P.evaluate(TAB_VIEW_JS)
            pg.screenshot(path=str(tmp_path / "ch6-tab.png"))
            # the tabs under the header, a short box (the packet's, scrolled to its foot) whole above
            # the bar: the ladder's, chosen, is whole above it too, and nothing scrolls
            P.get_by_role("tab", name="Packet").tap()
            _frame(pg)
            P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-tabs').getBoundingClientRect().top - 60)")
            _frame(pg)
            before = P.evaluate(TAB_VIEW_JS)
            P.get_by_role("tab", name="Ladder").tap()
            _frame(pg)
            still = P.evaluate(TAB_VIEW_JS)
        finally:
            browser.close()
    for tab, v in got.items():
        assert v["bar"] is not None and v["head"] <= v["bar"] - 8 and v["tabs"] >= 56, (tab, v)
        # the box whole above the bar, or the tabs right under the header and the box below them to the bar
        assert v["box"][1] <= v["bar"] - 8 or (v["tabs"] <= 58 and v["box"][0] < v["bar"] - 200), (tab, v)
        assert again[tab] == v, (tab, "tapped again, the page moved", v, again[tab])
    assert got["Router tables"]["box"][1] > got["Router tables"]["bar"] - 8, got      # tables taller than the room
    assert still["box"][1] <= still["bar"] - 8 and still["y"] == before["y"], (before, still)


def test_the_pinned_bar_gives_way_to_a_box_being_typed_in_below_the_player(tmp_path):
    """In JupyterLab the pinned bar sat over the code cell after the player, on the very lines
    being typed (the editor's cursor under "Next ▶").  While the focus is in something typed into
    outside the player (a text box here, a notebook's editor there) that reaches down to where
    the bar sits, the bar is hidden; it comes back once the focus leaves.  (The bar shows only
    while some of the player is under it, so such a box after the player starts under the bar:
    one that ends above the bar's place, and grows down into it as lines are typed, is after a
    player wholly above the bar, which hides the bar anyway.)"""
    need_dot()
    exe = _need_browser()
    pl = Player(sim.run("equalize-nat", seed=3, size=20_000), title="equalize-nat, seed 3", max_steps=19)
    (tmp_path / "typing.html").write_text(standalone_page(
        [HEADER_56, "<p>intro</p>" * 5, pl.html(),
         '<textarea id="cell" rows="6" cols="40" aria-label="a cell"></textarea>', "<p>" + "text after. " * 400 + "</p>"], "p"))
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1366, "height": 768})
            pg.goto((tmp_path / "typing.html").as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            # the player's own bar scrolled away, its foot under the bar's place, the text box's
            # top 30 px above the window's foot (twice: the bar, once shown, keeps room for itself
            # under the player, which moves the box down)
            for _ in range(2):
                pg.evaluate("""() => { const t = document.getElementById('cell').getBoundingClientRect();
                    window.scrollBy(0, t.top - window.innerHeight + 30); }""")
                _frame(pg)
                _frame(pg)
            shown = lambda: pg.evaluate("() => !document.querySelector('.op1-float').hidden")
            before = shown()
            y0 = pg.evaluate("scrollY")
            pg.locator("#cell").evaluate("el => el.focus({preventScroll: true})")
            pg.keyboard.type("up = r.summary")
            _frame(pg)
            _frame(pg)
            typing = shown()
            pg.locator("#cell").evaluate("el => el.blur()")
            pg.wait_for_timeout(50)
            _frame(pg)
            after = shown()
            y1 = pg.evaluate("scrollY")
        finally:
            browser.close()
    assert before, "the pinned bar did not show with the player's bar scrolled away: this test shows nothing"
    assert y1 == y0, ("the page scrolled as the box was typed in: this test shows nothing", y0, y1)
    assert not typing, "the pinned bar stayed over the box being typed in"
    assert after, "the pinned bar did not come back once the focus left the box"


#: A screen where a player's wide ladder is in a box narrower than it (the player's column 582 px,
#: above the 560 px of a phone's column: a phone on its side, a small tablet).  A player shows the
#: phone's ladder there; without one (``_wide_ladder_only``) the wide one scrolls sideways with its
#: first column kept at the box's left edge
WIDE_IN_NARROW = (640, 667)


def test_a_ladder_scrolled_sideways_keeps_its_whole_first_column_on_its_backing(tmp_path):
    """At 640x667 (``WIDE_IN_NARROW``, the player
    without its phone's ladder: ``_wide_ladder_only``),
    chapter 3's cache-expiry replay (times in seconds, three-digit events): the
    ladder scrolled sideways keeps its first column at the box's left edge, over the arrows, on
    a white backing -- 90 px wide, where "281 · 660.1739" is some 97 px from x=24: the arrows
    and their labels ran through its end ("660.17̶3̶9ignored by remote").  The backing is as wide
    as the column's longest text."""
    need_dot()
    exe = _need_browser()
    r = sim.run("cache-expiry", seed=2)
    from sim.trace import Ev
    gone = next(i for i, e in enumerate(r.events) if e.ev is Ev.RT_DEL)        # the entry's expiry, as ch.3
    pl = Player(r, title="cache-expiry, seed 2", start=gone, stop=gone + 40)
    _write_player_page(tmp_path / "ch3.html", pl, wide_only=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "ch3.html", *WIDE_IN_NARROW)
            P.locator(".op1-bar button[data-act=last]").first.tap()
            _frame(pg)
            P.evaluate("""el => { const b = el.querySelector('.op1-ladder-scroll'); b.scrollLeft = 160;
                b.dispatchEvent(new Event('scroll')); }""")
            _frame(pg)
            _frame(pg)
            cols = P.evaluate("""el => Array.from(el.querySelectorAll('svg.op1-ladder-body .evcol > g'))
                .filter(g => g.style.display !== 'none').map(g => {
                    const t = g.querySelector('text.mono').getBBox(), bg = g.querySelector('.evbg');
                    return [g.querySelector('text.mono').textContent, Math.round(t.x + t.width),
                            Math.round(parseFloat(bg.getAttribute('width')))]; })""")
        finally:
            browser.close()
    assert cols and any(len(text) >= 13 for text, _, _ in cols), cols     # seconds, three-digit events
    assert all(end <= width for _, end, width in cols), [c for c in cols if c[1] > c[2]]


LANE_TITLES_JS = """async el => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const box = el.querySelector('.op1-ladder-scroll'), head = box.querySelector('svg.op1-ladder:not(.op1-ladder-body)');
  const lanes = [...box.querySelectorAll('svg.op1-ladder-body line.lane')];
  const titles = [...head.querySelectorAll('text')].filter(t => !t.closest('.evc'));
  box.scrollLeft = 0;                     // (each title whole there: the page's own words)
  await frame();
  const full = titles.map(t => t.textContent), out = [], seen = {whole: 0, short: 0, hidden: 0};
  for (let sl = 0; sl <= box.scrollWidth - box.clientWidth; sl += 4) {
    box.scrollLeft = sl;
    await frame();
    const edge = head.querySelector('.evc .evbg').getBoundingClientRect().right;
    const shown = [];
    titles.forEach((t, j) => {
      const r = t.getBoundingClientRect(), lane = t.classList.contains('head') &&
        lanes.find(l => Math.abs(parseFloat(l.getAttribute('x1')) - parseFloat(t.getAttribute('x'))) < 0.5);
      const lx = lane ? lane.getBoundingClientRect().left : null;
      if (t.getAttribute('visibility') === 'hidden') {
        seen.hidden++;
        if (lane && lx > edge + 4) out.push(`${sl}: "${full[j]}" hidden, its lane ${Math.round(lx - edge)} px right of the column`);
        return;
      }
      if (sl > 0 && r.left < edge - 0.5) out.push(`${sl}: "${t.textContent}" ${Math.round(edge - r.left)} px under the column`);
      if (t.textContent !== full[j]) {
        seen.short++;
        if (!t.textContent.endsWith('…') || !full[j].startsWith(t.textContent.slice(0, -1)) || t.textContent.length < 3)
          out.push(`${sl}: "${full[j]}" shown as "${t.textContent}"`);
      } else seen.whole++;
      shown.push([r, t.textContent, parseFloat(t.getAttribute('y'))]);
    });
    shown.forEach(([a, ta, ya]) => shown.forEach(([b, tb, yb]) => {
      if (ya === yb && a !== b && a.left < b.left && a.right > b.left - 2) out.push(`${sl}: "${ta}" runs into "${tb}"`);
    }));
  }
  box.scrollLeft = 0;
  return [out, seen]; }"""


@pytest.mark.parametrize("run", ["cache-expiry", "equalize-nat"])
def test_a_ladder_scrolled_sideways_cuts_no_lane_title_at_its_first_column(tmp_path, run):
    """At 640x667 (``WIDE_IN_NARROW``, the player
    without its phone's ladder: ``_wide_ladder_only``)
    the sticky first column's backing, as wide as its longest "event · time"
    (chapter 3's cache-expiry, times in seconds), and at 92 px (chapter 6's equalize-nat), cut the
    lane titles next to it as the ladder was scrolled sideways: "inux / outer", "ovider / 1" (and,
    scrolled to its end, "et as seen on the wire").  Swiped through every position, each lane
    title right of the column is whole beside it or cut short with "…", never under it, never
    over the next title; a title is hidden only with its lane, under the column."""
    need_dot()
    exe = _need_browser()
    if run == "cache-expiry":
        r = sim.run("cache-expiry", seed=2)
        from sim.trace import Ev
        gone = next(i for i, e in enumerate(r.events) if e.ev is Ev.RT_DEL)
        pl = Player(r, title="cache-expiry, seed 2", start=gone, stop=gone + 40)
    else:
        pl = Player(sim.run("equalize-nat", seed=1), title="equalize-nat, seed 1", max_steps=20)
    _write_player_page(tmp_path / "lanes.html", pl, wide_only=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "lanes.html", *WIDE_IN_NARROW)
            P.locator(".op1-bar button[data-act=last]").first.evaluate("b => b.click()")
            _frame(pg)
            out, seen = P.evaluate(LANE_TITLES_JS)
            P.evaluate("el => { el.querySelector('.op1-ladder-scroll').scrollLeft = 90; }")
            _frame(pg)
            P.locator(".op1-ladder-box").screenshot(path=str(tmp_path / "lanes.png"))
        finally:
            browser.close()
    assert not out, out[:12]
    assert seen["whole"] > 50 and seen["hidden"] > 0, seen          # (swiped far enough to hide one)


ROW_WORDS_JS = """async el => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const box = el.querySelector('.op1-ladder-scroll'), body = box.querySelector('svg.op1-ladder-body');
  const left = parseFloat(body.getAttribute('data-left'));
  const words = [...body.querySelectorAll('.op1-row text')].filter(t => !t.closest('.evcol') &&
    !t.classList.contains('mono') && t.textContent !== '✖' && parseFloat(t.getAttribute('x')) > left);
  const out = [], seen = {whole: 0, moved: 0, hidden: 0};
  const mask = [];
  for (let sl = 0; sl <= box.scrollWidth - box.clientWidth; sl += 4) {
    box.scrollLeft = sl;
    await frame();
    const col = box.querySelector('svg.op1-ladder:not(.op1-ladder-body) .evc .evbg').getBoundingClientRect();
    const edge = col.right;
    // the left fade: from the column's right edge (its first stop there), not over the column
    const m = getComputedStyle(box).maskImage.match(/^linear-gradient\\(to right, rgb\\(0, 0, 0\\) ([\\d.]+)px/);
    mask.push(m ? Math.abs(parseFloat(m[1]) - (col.right - box.getBoundingClientRect().left)) : null);
    words.forEach(t => {
      const row = t.closest('.op1-row');
      if (getComputedStyle(row).display === 'none') return;
      const r = t.getBoundingClientRect(), line = row.querySelector('line');
      if (t.getAttribute('visibility') === 'hidden') {
        seen.hidden++;
        // hidden only where there is no room for it right of the column: its arrow's part in view
        const room = line ? line.getBoundingClientRect().right + 8 - edge : 0;
        if (sl === 0 || room > r.width + 8) out.push(`${sl}: "${t.textContent}" hidden with ${Math.round(room)} px of its arrow in view`);
        return;
      }
      if (sl > 0 && r.left < edge - 0.5 && r.right > box.getBoundingClientRect().left)
        out.push(`${sl}: "${t.textContent}" ${Math.round(edge - r.left)} px under the column`);
      if (t.getAttribute('transform')) seen.moved++; else seen.whole++;
      if (line && t.getAttribute('transform')) {
        const lr = line.getBoundingClientRect();
        if (r.right > lr.right + 9) out.push(`${sl}: "${t.textContent}" moved past its arrow's end`);
      }
    });
  }
  box.scrollLeft = 0;
  await frame();
  const back = words.filter(t => t.getAttribute('transform') || t.getAttribute('visibility')).length;
  return [out, seen, mask, back]; }"""


def test_a_ladder_scrolled_sideways_cuts_no_arrows_name_and_fades_right_of_its_first_column(tmp_path):
    """At 640x667 (``WIDE_IN_NARROW``, the player
    without its phone's ladder: ``_wide_ladder_only``),
    swiped sideways, the sticky first column's backing cut the arrows' names
    ("ACK" read "CK", "SYN+ACK" "N-ACK", "data" "ta"), and the box's left fade lay over the column
    itself, dimming its first letters ("e" of "event").  Swiped through every position, each
    arrow's name right of the column is whole, never under it nor past its arrow's end, hidden
    only where too little of its arrow is in view; the fade begins at the column's right edge;
    back at the left edge every name is where the drawing put it."""
    need_dot()
    exe = _need_browser()
    pl = Player(sim.run("equalize-nat", seed=1), title="equalize-nat, seed 1", max_steps=20)
    _write_player_page(tmp_path / "words.html", pl, wide_only=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "words.html", *WIDE_IN_NARROW)
            P.locator(".op1-bar button[data-act=last]").first.evaluate("b => b.click()")
            _frame(pg)
            out, seen, mask, back = P.evaluate(ROW_WORDS_JS)
            P.evaluate("el => { el.querySelector('.op1-ladder-scroll').scrollLeft = 70; }")
            _frame(pg)
            P.locator(".op1-ladder-box").screenshot(path=str(tmp_path / "words.png"))
        finally:
            browser.close()
    assert not out, out[:12]
    assert seen["moved"] > 10 and seen["hidden"] > 0 and seen["whole"] > 100, seen
    assert mask and all(m is not None and m < 1.5 for m in mask), mask
    assert back == 0


def test_a_long_narrations_box_keeps_its_scrolling_keys(tmp_path):
    """A narration too long for its box (a 320x640 phone, more than 6 lines) takes the keyboard's
    focus to scroll: End goes to its end and Home back, as in any box that scrolls (they took the
    replay to its last and first steps, away from the text being read); → still steps."""
    p, browser, pg = _fin_page_320(tmp_path, "uplink-down, seed 1")
    try:
        P = pg.locator("[data-replay]")
        step = lambda: int(P.get_attribute("data-step"))
        narr = P.locator(".op1-narr")
        for k in range(int(P.get_attribute("data-frames"))):
            if narr.get_attribute("tabindex") == "0":
                break
            P.locator(".op1-bar button[data-act=next]").click()
            pg.wait_for_function("k => document.querySelector('[data-replay]').getAttribute('data-step') == k", arg=k + 1)
            _frame(pg)
        assert narr.get_attribute("tabindex") == "0", "no narration longer than its box: this shows nothing"
        k = step()
        narr.focus()
        # (the browser scrolls smoothly: wait for the box to get there, or say where it stayed)
        at_end = "() => { const n = document.querySelector('.op1-narr'); return n.scrollTop + n.clientHeight >= n.scrollHeight - 1; }"
        at_top = "() => document.querySelector('.op1-narr').scrollTop < 1"
        pg.keyboard.press("End")
        pg.wait_for_function(at_end, timeout=5000, polling=100)
        after_end = (step(), narr.evaluate("n => n.scrollTop > 0"))
        pg.keyboard.press("Home")
        pg.wait_for_function(at_top, timeout=5000, polling=100)
        after_home = (step(), narr.evaluate("n => Math.round(n.scrollTop)"))
        pg.keyboard.press("ArrowRight")
        pg.wait_for_function("k => document.querySelector('[data-replay]').getAttribute('data-step') == k", arg=k + 1)
    finally:
        browser.close()
        p.stop()
    assert after_end == (k, True) and after_home == (k, 0), (k, after_end, after_home)


def test_a_comparisons_long_narration_box_says_which_run_it_is(tmp_path):
    """On a 320x640 phone a comparison's narration longer than 6 lines becomes a keyboard stop;
    its name says which run it narrates ("netfilter: narration, scrolls"): both panes' boxes
    were "narration, scrolls", and a screen reader's list of them did not say which was which."""
    need_dot()
    exe = _need_browser()
    a = sim.run("equalize-nat", seed=1, size=3000)
    b = sim.run("equalize-nat", seed=1, size=3000, nat="netfilter")
    c = Compare(a, b, labels=("article", "netfilter"), max_steps=40)
    p, browser, pg = _page_with(exe, tmp_path, c.html(), {"width": 320, "height": 640})
    try:
        P = pg.locator("[data-replay]")
        names = set()
        for k in range(int(P.get_attribute("data-frames"))):
            if k:
                P.locator(".op1-bar button[data-act=next]").click()
            pg.wait_for_function("k => document.querySelector('[data-replay]').getAttribute('data-step') == k", arg=k)
            _frame(pg)
            names |= set(P.evaluate("el => Array.from(el.querySelectorAll('.op1-narr[tabindex], .op1-what[tabindex]'))"
                                    ".map(n => n.getAttribute('aria-label'))"))
    finally:
        browser.close()
        p.stop()
    narr = {n for n in names if n.endswith("narration, scrolls")}
    assert narr, f"no narration longer than its box in 40 steps: this test shows nothing ({names})"
    assert narr <= {"article: narration, scrolls", "netfilter: narration, scrolls"}, names
    assert all(n.split(": ")[0] in ("article", "netfilter") for n in names), names


# a page's sticky header, as the book's theme has on a phone (52 px), above the replay
HEADER_52 = '<div style="position:sticky;top:0;height:52px;background:#ddd;z-index:1030">header</div>'


def _frame(pg):
    pg.evaluate("() => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))")


def _write_player_page(path, pl, wide_only: bool = False) -> None:
    """A page at ``path`` as the phone tests read one: a 56 px header, a short intro, the player
    ``pl`` and a long text after it (room to scroll the player up under the header).
    ``wide_only``: the player without its phone's ladder (``_wide_ladder_only``)."""
    html = _wide_ladder_only(pl.html()) if wide_only else pl.html()
    path.write_text(standalone_page([HEADER_56, "<p>intro</p>" * 5, html, "<p>" + "text after. " * 400 + "</p>"], "p"))


def _wide_ladder_only(html: str) -> str:
    """A player's HTML without its phone's ladder (its header and its body's clip): the wide ladder
    is shown at every width, and scrolls sideways in a box narrower than it, with its sticky first
    column.  (With it, a player shows the phone's ladder wherever the wide one does not fit:
    test_large_text_zoomplayer.)"""
    out, n = re.subn(r'<svg class="op1-ladder op1-ladder-n".*?</svg><div class="op1-ladder-clip op1-ladder-n".*?</svg></div>',
                     "", html, flags=re.S)
    assert n == 1, n
    return out


def _phone_at_narration(browser, page, w: int, h: int):
    """A phone's page (``w`` x ``h``, touch, twice the pixels) of the file ``page``, its player
    live and scrolled so that its narration is just under a 56 px header: (page, player)."""
    pg = browser.new_page(viewport={"width": w, "height": h}, is_mobile=True, has_touch=True, device_scale_factor=2)
    pg.goto(page.as_uri())
    pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
    P = pg.locator("[data-replay]")
    P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-narr').getBoundingClientRect().top - 56)")
    _frame(pg)
    return pg, P


def test_on_a_phone_the_narration_and_the_network_are_on_one_screen(tmp_path):
    """At 390x844 under a 52 px sticky header, chapter 3's replay: a reader stepping with the
    pinned buttons saw the narration or the network drawing, never both -- the drawing began 625
    px below the player's top, under the strip of what the step did to the router's tables, and
    was 527 px tall.  Scrolled to the narration, narration and drawing are both whole between the
    header and the pinned buttons, and stepping moves neither (the narration keeps the replay's
    tallest height)."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=40)
    html = standalone_page([HEADER_52, "<p>intro</p>" * 5, pl.html(), "<p>" + "text after. " * 400 + "</p>"], "p")
    (tmp_path / "one-screen.html").write_text(html)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "one-screen.html", 390, 844)
            seen = []
            for k in range(12):
                if k:
                    pg.locator(".op1-float button[data-act=next]").tap()
                pg.wait_for_function("k => document.querySelector('[data-replay]').getAttribute('data-step') == k", arg=k)
                _frame(pg)
                seen.append(P.evaluate("""el => { const R = e => e.getBoundingClientRect();
                    const f = document.querySelector('.op1-float');
                    const svg = [...el.querySelectorAll('svg.op1-topo')].find(s => R(s).width > 0);
                    return {narr: [R(el.querySelector('.op1-narr')).top, R(el.querySelector('.op1-narr')).bottom],
                            svg: [R(svg).top, R(svg).bottom], float: f.hidden ? null : R(f).top,
                            text: el.querySelector('.op1-narr').textContent}; }"""))
        finally:
            browser.close()
    for k, s in enumerate(seen):
        assert s["float"] is not None, (k, s)                       # stepped with the pinned buttons
        assert 52 <= s["narr"][0] and s["narr"][1] <= s["svg"][0], (k, s)
        assert s["svg"][1] <= s["float"], (k + 1, "the drawing's foot under the pinned buttons", s)
    assert len({s["text"] for s in seen}) > 5
    assert len({(round(s["svg"][0]), round(s["narr"][0])) for s in seen}) == 1, seen    # nothing moved


# the book theme's sticky header on a phone (56 px)
HEADER_56 = '<div style="position:sticky;top:0;height:56px;background:#ddd;z-index:1030">header</div>'


@pytest.mark.parametrize("screen", [(375, 667), (360, 740), (390, 844), (412, 915)])
def test_on_a_short_phone_the_narration_and_the_whole_network_are_on_one_screen(tmp_path, screen):
    """At 375x667 under the book's 56 px header, ch.9's hash-l4-nat replay: stepping with the
    pinned buttons, the network drawing's foot was 53 to 65 px under them (a 6-line narration
    held for 360x740 and 390x844, and a drawing 411 px tall), and the narration was cut in its box
    at 16 of 64 steps (7 to 9 lines), where its end is often the step's point, with nothing to
    say so.  Scrolled to the narration, each step's narration is in its box -- five lines at most:
    held at the replay's tallest, the box left most steps' 3 to 5 lines over 100 px of blank above
    the drawing (chapter 1 at 360x740) -- and a longer one says "more ↓" at its foot; the whole
    drawing is under it above the pinned buttons, and nothing moves; so on the taller phones."""
    need_dot()
    exe = _need_browser()
    w, h = screen
    r = sim.run("hash-l4-nat", seed=1, cc="reno")
    pl = Player(r, title="hash-l4-nat, seed 1", stop=150)
    _write_player_page(tmp_path / "short.html", pl)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "short.html", w, h)
            n = int(P.get_attribute("data-frames"))
            seen = []
            for k in range(n):
                if k:
                    P.locator(".op1-float button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
                seen.append(P.evaluate("""el => { const R = e => e.getBoundingClientRect();
                    const f = document.querySelector('.op1-float'), nb = el.querySelector('.op1-narr');
                    const svg = [...el.querySelectorAll('svg.op1-topo')].find(s => R(s).width > 0);
                    const cue = el.querySelector('.op1-narr + .op1-more > button');
                    return {narr: [R(nb).top, R(nb).bottom], svg: [R(svg).top, R(svg).bottom],
                            float: f.hidden ? null : R(f).top, cut: nb.scrollHeight > nb.clientHeight + 1,
                            more: !!(cue && R(cue).height), shown: Math.round((nb.clientHeight - 8) / parseFloat(getComputedStyle(nb).lineHeight)),
                            lines: Math.round((nb.scrollHeight - 8) / parseFloat(getComputedStyle(nb).lineHeight)),
                            cap: [R(el.querySelector('.op1-topo-box .op1-boxh')).top,
                                  R(el.querySelector('.op1-topo-box .op1-boxh')).bottom],
                            where: el.querySelector('.op1-where').textContent,
                            step: el.getAttribute('data-step')}; }"""))
        finally:
            browser.close()
    assert n > 40 and [s["step"] for s in seen] == [str(k) for k in range(n)]
    assert max(s["lines"] for s in seen) >= 7, "no narration over 6 lines: this shows nothing"
    for k, s in enumerate(seen):
        assert s["float"] is not None, (k + 1, s)                  # stepped with the pinned buttons
        assert 55.5 <= s["narr"][0] and s["narr"][1] <= s["svg"][0], (k + 1, s)
        assert s["svg"][1] <= s["float"], (k + 1, "the drawing's foot under the pinned buttons", s)
        assert s["shown"] <= 5 and s["more"] == s["cut"], (k + 1, "a narration cut with nothing to say so", s)
        # where the packet is, between the narration and the drawing: at 375x667 it was under the
        # drawing, behind the pinned buttons at every step
        assert s["where"] and s["narr"][1] <= s["cap"][0] and s["cap"][1] <= s["svg"][0], (k + 1, s)
    assert len({(round(s["svg"][0]), round(s["narr"][0])) for s in seen}) == 1, seen    # nothing moved


def _shorter_first_compare():
    """A comparison whose first replay is the shorter (55 steps against 56) -> (Compare, its
    first replay's steps)."""
    need_dot()
    a = sim.run("equalize-nat", seed=1, size=3000)
    b = sim.run("equalize-nat", seed=1, size=3000, nat="netfilter", ingress_filter=True)
    c = Compare(a, b, labels=("article NAT", "netfilter NAT"), stop=129)     # (a: 55 steps, b: 56)
    return c, len(c._frames[0].steps)


def test_a_comparisons_shorter_replay_says_it_ends_and_moves_nothing(tmp_path):
    """A comparison's replay shorter than the other, past its last step: its note ("2.4
    netfilter NAT: this run has no step 17: it ended after 16 steps.") came above its narration
    and pushed the pane down 36 px; and it said the run ended where only the replay did (ch.8:
    stopped at an event, the run went on).  Its room is kept from the first step, and it says
    which ended: the run (the whole one, test above) or the replay."""
    exe = _need_browser()
    c, m = _shorter_first_compare()
    assert m < len(c._frames[1].steps) == c.frames
    p, browser, pg = _page_with(exe, tmp_path, c.html(), {"width": 375, "height": 667}, is_mobile=True,
                                has_touch=True)
    try:
        P = pg.locator("[data-replay]")
        got, marks, said = [], [], []
        for k in (0, m - 1, m):
            P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                       "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
            _frame(pg)
            got.append(P.evaluate("""el => Array.from(el.querySelectorAll('.op1-pane')).map(pn =>
                [Math.round(pn.querySelector('.op1-narr').getBoundingClientRect().top - el.getBoundingClientRect().top),
                 Math.round(pn.getBoundingClientRect().top - el.getBoundingClientRect().top),
                 pn.querySelector('.op1-endnote').textContent])"""))
            # the shorter run's narration, past its end, says in its box that it is its last step's
            # (a reader took the same words at steps 51 to 54 for a step repeated by mistake)
            marks.append(P.evaluate("""el => Array.from(el.querySelectorAll('.op1-pane')).map(pn => {
                const e = pn.querySelector('.op1-narr-end'), nb = pn.querySelector('.op1-narr');
                if (!e) return null;
                const r = e.getBoundingClientRect(), b = nb.getBoundingClientRect(), t = pn.querySelector('.op1-narr-t').getBoundingClientRect();
                return [r.width > 0 ? e.textContent : '', e.getAttribute('aria-hidden'),
                        r.width > 0 && r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom &&
                        r.top <= t.top + 1, getComputedStyle(e).fontWeight]; })"""))
            # the step's place is said once, by the pane that has every step: the longer one here
            said.append(P.evaluate("el => Array.from(el.querySelectorAll('.op1-narr')).map(n => n.textContent)"))
    finally:
        browser.close()
        p.stop()
    assert [mk[1] for mk in marks] == [None] * 3, marks                   # (the longer run: none)
    assert [mk[0][0] for mk in marks] == ["", "", f"Its last step, {m}: "], marks
    assert marks[2][0][1:3] == ["true", True], marks        # in its box, before its words; said by the note
    n = c.frames
    assert [s_[1].startswith(f"Step {k + 1} of {n}. netfilter NAT: ") for s_, k in zip(said, (0, m - 1, m))] == [True] * 3, said
    assert not any("Step " in s_[0] for s_ in said), said
    assert said[1][0] == said[2][0], "the ended run's narration changed: a screen reader says it again"
    assert got[2][0][2] == f"article NAT: this replay has no step {m + 1}: it ends after {m} steps; the run goes on.", got
    assert [g[0][2] for g in got[:2]] == ["", ""] and all(g[1][2] == "" for g in got), got
    assert got[0][0][:2] == got[1][0][:2] == got[2][0][:2], ("the shorter pane moved", got)
    assert got[0][1][:2] == got[1][1][:2] == got[2][1][:2], ("the other pane moved", got)


@pytest.mark.parametrize("screen", [(1366, 768), (375, 667)], ids=["laptop", "phone"])
def test_a_comparisons_ended_run_is_framed_not_faded(tmp_path, screen):
    """A comparison's shorter replay past its end: its views were faded to 55 % opacity, their
    text below 4.5:1 (WCAG 1.4.3) and their lines below 3:1 (1.4.11).  Now nothing in them is
    see-through; they are framed in a dashed line (3:1 on white or more) and hatched between
    their boxes, the note above them has a bar as the narration has, and nothing moves."""
    exe = _need_browser()
    c, m = _shorter_first_compare()
    w, h = screen
    p, browser, pg = _page_with(exe, tmp_path, c.html(), {"width": w, "height": h})
    try:
        P = pg.locator("[data-replay]")
        got = []
        for k in (m - 1, m):
            P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                       "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
            _frame(pg)
            got.append(P.evaluate("""el => {
                const pn = el.querySelector('.op1-pane'), g = pn.querySelector('.op1-grid'), cs = getComputedStyle(g);
                const faded = [g, ...g.querySelectorAll('*')].concat((() => { const up = []; let e = g.parentElement;
                    for (; e && e !== document.body; e = e.parentElement) up.push(e); return up; })())
                    .filter(e => getComputedStyle(e).opacity !== '1' || getComputedStyle(e).filter !== 'none')
                    .map(e => e.className.baseVal ?? e.className);
                const o = el.getBoundingClientRect();
                const at = s => { const r = pn.querySelector(s).getBoundingClientRect(); return [Math.round(r.left - o.left), Math.round(r.top - o.top), Math.round(r.width)]; };
                const r = g.getBoundingClientRect(), n = pn.querySelector('.op1-endnote'), ns = getComputedStyle(n);
                return {ended: pn.classList.contains('op1-ended'), faded,
                        border: [cs.borderTopStyle, parseFloat(cs.borderTopWidth), cs.borderTopColor],
                        note: [ns.borderLeftStyle, parseFloat(ns.borderLeftWidth), ns.borderLeftColor, n.textContent],
                        inside: r.left >= o.left && r.right <= o.right,
                        places: ['.op1-narr', '.op1-what', '.op1-topo-box', '.op1-ladder-box'].map(at),
                        next: Math.round(el.querySelectorAll('.op1-pane')[1].getBoundingClientRect().top - o.top),
                        width: document.documentElement.scrollWidth}; }"""))
        if w < 400:
            pg.screenshot(path=str(tmp_path / "ended.png"), full_page=True)
    finally:
        browser.close()
        p.stop()
    before, after = got
    assert not before["ended"] and after["ended"], got
    assert after["faded"] == [], after["faded"]
    rgb = lambda c: "#" + "".join("%02x" % int(v) for v in re.findall(r"\d+", c)[:3])    # noqa: E731
    style, width, colour = after["border"]
    assert style == "dashed" and width >= 2 and contrast(rgb(colour), "#ffffff") >= 3, after["border"]
    style, width, colour, said = after["note"]
    assert style == "solid" and width >= 4 and contrast(rgb(colour), "#ffffff") >= 3, after["note"]
    assert said == f"article NAT: this replay has no step {m + 1}: it ends after {m} steps; the run goes on.", said
    assert before["border"][0] == "none" and before["note"][3] == "", before
    assert after["inside"] and after["width"] == before["width"] == w, got
    assert after["places"] == before["places"] and after["next"] == before["next"], ("the frame moved the views", got)


def test_the_ladder_growing_a_row_moves_nothing_below_it(tmp_path):
    """With no scroll anchoring (Safari; overflow-anchor:none here), each step that added a row to
    a comparison's upper ladder pushed the lower run down by 24 px on a phone (its drawing 80 ->
    104 -> 128 -> 152 -> 176 px over four steps), and a laptop's router tables under a player's
    ladder alike.  The ladder's box keeps one height while stepping."""
    need_dot()
    exe = _need_browser()
    from sim.view import Compare
    r = sim.run("connection-level", seed=1)
    rn = sim.run("connection-level", seed=1, nat="netfilter")
    cmp_ = Compare(r, rn, labels=("article NAT", "netfilter NAT"), stop=40)
    pl = Player(r, title="connection-level, seed 1", max_steps=40)
    from playwright.sync_api import sync_playwright
    NO_ANCHOR = "<style>*{overflow-anchor:none !important}</style>"
    tops = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            for name, html, viewport, sel in (
                    ("cmp", cmp_.html(), {"width": 390, "height": 844}, ".op1-pane:nth-child(2) svg.op1-topo-n"),
                    ("player", pl.html(), {"width": 1366, "height": 768}, ".op1-state-box-wrap")):
                (tmp_path / f"{name}.html").write_text(standalone_page([NO_ANCHOR, html, "<p>after</p>" * 200], name))
                pg = browser.new_page(viewport=viewport)
                pg.goto((tmp_path / f"{name}.html").as_uri())
                pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
                P = pg.locator("[data-replay]")
                P.evaluate(f"el => window.scrollBy(0, el.querySelector('{sel}').getBoundingClientRect().top - 80)")
                _frame(pg)
                tops[name] = []
                for k in range(6):
                    if k:
                        P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
                        _frame(pg)
                    tops[name].append(round(P.evaluate(f"el => el.querySelector('{sel}').getBoundingClientRect().top")))
                assert P.get_attribute("data-step") == "5"
                pg.close()
        finally:
            browser.close()
    assert tops["cmp"] == [80] * 6, tops
    assert tops["player"] == [80] * 6, tops


#: The book theme's layout at 1366x768 (sphinx-book-theme, as built): a sticky header over the
#: article's column only (z-index 1020), a full-width cell 136 % as wide as that column reaching
#: under the "on this page" column at the right, which is sticky too, a 48 px strip beside the
#: header while a full-width cell is on screen (z-index 2, as the full-width cells).
BOOK_LAYOUT = """<style>
body{{margin:0}} .bd-main{{display:flex;align-items:flex-start}}
.bd-sidebar-primary{{flex:0 0 273px}}
.bd-article-container{{flex:0 0 821px;min-width:0}}
.bd-header-article{{position:sticky;top:0;z-index:1020;height:48px;background:#fff}}
.bd-article{{padding:0 32px}}
div.cell.tag_full-width{{position:relative;z-index:2;width:136%;max-width:136%}}
@media (min-width:1200px){{.bd-sidebar-secondary{{position:sticky;top:0;z-index:2;flex:0 0 272px;
  height:48px;overflow:hidden;background:#fff}}}}
</style>
<div class="bd-main"><div class="bd-sidebar-primary">chapters</div>
<div class="bd-article-container"><div class="bd-header-article">header</div><div class="bd-article">
{before}<div class="cell tag_full-width">{player}</div>{after}</div></div>
<div class="bd-sidebar-secondary hide">On this page</div></div>"""


def test_on_a_laptop_the_pinned_bar_hides_no_table_row_and_no_player_text_shows_by_the_header(tmp_path):
    """At 1366x768 in the book's layout, chapter 1's replay: the pinned bar hid the last
    conntrack row and "NAT model: article" (what chapter 1 tells the reader to watch), and the
    player's own bar, scrolled under the header, showed at the top right, where the header does
    not reach, as a step counter cut off ("…:80 · event 7 · t = 15.731 ms"): the cell raised
    for the pinned bar went over the theme's "on this page" strip there.  Now, scrolled to its
    end, every line of the player (the tables' last rows, the help) is above the pinned bar, and
    with its own bar under the header no line of the player shows in the header's band."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1: the three-way handshake", max_steps=14)
    html = standalone_page([BOOK_LAYOUT.format(before="<p>intro</p>" * 30, player=pl.html(),
                                               after="<p>" + "text after the player. " * 300 + "</p>")], "book")
    (tmp_path / "laptop.html").write_text(html)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1366, "height": 768})
            pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                     else route.abort())
            pg.goto((tmp_path / "laptop.html").as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            P = pg.locator("[data-replay]")
            for _ in range(6):                           # step 7: a NEW entry in each table
                P.locator(".op1-bar button[data-act=next]").click()
            # the player's own bar just under the header: the pinned bar shows, and the header's
            # band, header and "on this page" strip, shows nothing of the player
            P.evaluate("e => window.scrollBy(0, e.querySelector('.op1-bar').getBoundingClientRect().top - 20)")
            _frame(pg)
            _frame(pg)
            band = P.evaluate("""el => { const out = [];
                for (let x = 2; x < innerWidth; x += 8) for (const y of [4, 24, 44]) {
                  const h = document.elementFromPoint(x, y);
                  if (h && el.contains(h)) out.push([x, y, (h.textContent || '').slice(0, 40)]); }
                return out; }""")
            assert P.evaluate("e => !e.querySelector('.op1-float').hidden")
            assert band == [], band[:5]
            pos = P.locator(".op1-fpos").bounding_box()
            assert 48 <= pos["y"] and pos["y"] + pos["height"] <= 768
            # scrolled to the player's end: its last lines above the pinned bar
            P.evaluate("e => window.scrollBy(0, e.getBoundingClientRect().bottom - innerHeight)")
            _frame(pg)
            _frame(pg)
            got = P.evaluate("""el => { const R = e => e.getBoundingClientRect();
                const f = el.querySelector('.op1-float');
                const texts = [...el.querySelectorAll('.op1-state-box svg text')];
                const nat = texts.find(t => t.textContent.startsWith('NAT model'));
                const ct = texts.filter(t => /\\bct \\d/.test(t.textContent)).pop();
                const hint = el.querySelector('.op1-hint');
                return {float: f.hidden ? null : R(f).top, nat: R(nat).bottom, ct: R(ct).bottom,
                        hint: hint ? R(hint).bottom : null, bottom: R(el).bottom}; }""")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(ARTIFACTS / "player-laptop-end.png"))
        finally:
            browser.close()
    assert got["float"] is not None, got                 # the pinned bar is over the player's end
    for what in ("ct", "nat", "hint"):
        assert got[what] is not None and got[what] <= got["float"], (what, got)


def test_a_press_that_cannot_move_says_nothing(tmp_path):
    """→ and End at the last step, ← and Home at the first, and their buttons (drawn inactive,
    still pressable): each press wrote the narration again, so a screen reader said the same step
    once a press.  A press that does not change the step does nothing."""
    r, pl, p, browser, pg = _narration_page(tmp_path, "bounds", 8)
    try:
        pg.focus("[data-replay]")
        pg.wait_for_timeout(600)
        pg.evaluate("window.__said.splice(0)")
        for key in ("Home", "ArrowLeft"):
            pg.keyboard.press(key)
        for act in ("first", "prev"):
            pg.locator(f".op1-bar button[data-act={act}]").evaluate("b => b.click()")
        pg.wait_for_timeout(800)
        at_first = pg.evaluate("window.__said.splice(0)")
        pg.keyboard.press("End")
        pg.wait_for_timeout(800)
        pg.evaluate("window.__said.splice(0)")
        for key in ("End", "ArrowRight"):
            pg.keyboard.press(key)
        for act in ("next", "last"):
            pg.locator(f".op1-bar button[data-act={act}]").evaluate("b => b.click()")
        pg.wait_for_timeout(800)
        at_last = pg.evaluate("window.__said.splice(0)")
        step = pg.get_attribute("[data-replay]", "data-step")
        live = pg.get_attribute(".op1-narr", "aria-live")
    finally:
        browser.close()
        p.stop()
    assert at_first == [] and at_last == [], (at_first, at_last)
    assert step == str(pl.frames - 1) and live == "polite"


def test_a_step_back_from_a_focused_ladder_row_keeps_the_focus_in_the_ladder(tmp_path):
    """Tab to the current ladder row, then Home (or ←): the row became a future one, hidden, and
    the focus fell to the page's body, where → did nothing.  The focus goes to the row of the
    step now shown, and → steps on from there."""
    r, pl, p, browser, pg = _narration_page(tmp_path, "ladder-focus", 12)
    try:
        pg.focus("[data-replay]")
        for _ in range(4):
            pg.keyboard.press("ArrowRight")
        got = []
        for key, k in (("Home", 0), ("ArrowLeft", 3)):
            if k:
                pg.keyboard.press("End")
                pg.keyboard.press("ArrowLeft")
                pg.keyboard.press("ArrowLeft")
                k = pl.frames - 3
            pg.focus(".op1-ladder-body .op1-row.cur")
            pg.keyboard.press(key)
            want = 0 if key == "Home" else k - 1
            got.append((pg.get_attribute("[data-replay]", "data-step"),
                        pg.evaluate("() => { const a = document.activeElement; return [a.tagName, "
                                    "a.getAttribute('class'), a.getAttribute('data-k')]; }"), want))
            pg.keyboard.press("ArrowRight")
            got.append((pg.get_attribute("[data-replay]", "data-step"), None, want + 1))
    finally:
        browser.close()
        p.stop()
    for step, act, want in got:
        assert step == str(want), got
        if act is not None:
            assert act[0] == "g" and "cur" in act[1] and act[2] == str(want), got


def test_a_comparisons_flag_moves_nothing_below_it_on_a_phone(tmp_path):
    """On a phone, with no scroll anchoring, ch.9's comparison (an echo) moved all below its bar
    by 24 px from step 9 to 10: "≠ the runs differ at this step" wrapped onto a line of its own
    where "= same step in both runs" had fitted beside the step counter (at 360 px in the book's
    column; here, without the book's margins, at 390 px).  The flag has its own line at every
    step."""
    need_dot()
    exe = _need_browser()
    from sim.view import Compare
    r, rn = sim.run("echo", seed=1), sim.run("echo", seed=1, nat="netfilter")
    cmp_ = Compare(r, rn, labels=("article NAT", "netfilter NAT"))
    assert cmp_.frames >= 12 and not any(cmp_.diverge[:9]) and cmp_.diverge[9]
    NO_ANCHOR = "<style>*{overflow-anchor:none !important}</style>"
    tops = {}
    for width in (360, 390, 412):
        p, browser, pg = _page_with(exe, tmp_path, NO_ANCHOR + cmp_.html() + "<p>after</p>" * 200,
                                    {"width": width, "height": 740})
        try:
            P = pg.locator("[data-replay]")
            P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-bar').getBoundingClientRect().top - 20)")
            tops[width], flags = [], []
            for k in range(12):
                if k:
                    P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
                tops[width].append(round(P.evaluate(
                    "el => el.querySelector('.op1-pane .op1-narr').getBoundingClientRect().top")))
                flags.append(P.locator(".op1-flag").inner_text())
        finally:
            browser.close()
            p.stop()
        assert flags[8].startswith("=") and flags[9].startswith("≠"), flags
    assert all(t == [t[0]] * 12 for t in tops.values()), tops


def test_on_a_phone_the_scrolling_narration_and_tables_strip_show_their_focus_ring(tmp_path):
    """At 360x740 the narration and the tables strip scroll, faded at their foot by a mask, which
    clipped the keyboard's focus ring (drawn outside the box) away: no ring.  Focused, they have
    no mask, as the other scrolling boxes."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1, size=3000)
    pl = Player(r, title="focus", max_steps=60)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 360, "height": 740})
    try:
        P = pg.locator("[data-replay]")
        got = {}
        for sel in (".op1-narr", ".op1-what"):
            # a step whose box scrolls (data-more: faded at its foot)
            for k in range(pl.frames):
                if P.evaluate(f"el => el.querySelector('{sel}').hasAttribute('data-more')"):
                    break
                P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
            pg.keyboard.press("Tab")          # (the keyboard: then a focus() is focus-visible)
            got[sel] = P.evaluate(f"""el => {{ const b = el.querySelector('{sel}'); b.focus();
                const s = getComputedStyle(b);
                return [b.hasAttribute('data-more'), b.matches(':focus-visible'), s.maskImage,
                        s.webkitMaskImage, s.outlineStyle]; }}""")
            pg.locator(".op1-bar button[data-act=first]").evaluate("b => b.click()")
            _frame(pg)
    finally:
        browser.close()
        p.stop()
    for sel, (more, visible, mask, wmask, outline) in got.items():
        assert more and visible and outline == "solid", (sel, got)
        assert mask == "none" and wmask == "none", (sel, got)


def test_the_uplinks_counters_never_run_into_each_other(tmp_path):
    """Ch.10's uplink-down replays: the drawing was laid out for "↑0 ↓0", and the counters filled
    in later ran into each other ("↑733 ↓1038" ending at x 211, "↑104 ↓155 ✖ down" starting at
    206, narrow drawing at 390 px).  At the run's last counts, the widest it shows, with the failed
    line's "✖ down" (on its own line under its counter), each uplink's texts (as drawn, bold) keep
    clear of the other uplink's, in both drawings."""
    need_dot()
    exe = _need_browser()
    from playwright.sync_api import sync_playwright
    from sim.view.topology import base_svg, topo_frame
    r = sim.run("uplink-down", seed=1, cc="reno")
    last = topo_frame(r, len(r.events) - 1)["cnt"]
    assert any("✖ down" in v for v in last.values()), last
    page = tmp_path / "cnt.html"
    page.write_text("<!doctype html><meta charset=utf-8><body>" + base_svg(r) + base_svg(r, narrow=True))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 390, "height": 844})
            pg.goto(page.as_uri())
            boxes = pg.evaluate("""cnt => Array.from(document.querySelectorAll('svg.op1-topo')).map(svg => {
                svg.querySelectorAll('.op1-cnt').forEach(t => { t.textContent = cnt[t.getAttribute('data-el')]; });
                return Array.from(svg.querySelectorAll('[data-el^="e_uplink"] text')).map(t => {
                  const b = t.getBBox();
                  return [t.closest('[data-el^="e_uplink"]').getAttribute('data-el'), t.textContent,
                          b.x, b.y, b.x + b.width, b.y + b.height]; }); })""", last)
        finally:
            browser.close()
    for drawing in boxes:
        for i, a in enumerate(drawing):
            for b in drawing[i + 1:]:
                if a[0] == b[0]:
                    continue                   # (one uplink's own lines)
                apart = a[4] <= b[2] or b[4] <= a[2] or a[5] <= b[3] or b[5] <= a[3]
                assert apart, (a, b)


@pytest.mark.parametrize("screen", [(375, 667), (360, 740), (320, 568)])
def test_the_pinned_bars_buttons_stay_put_through_a_whole_replay(tmp_path, screen):
    """The pinned bar is centred in the window: Play becoming "❚❚ Pause" (64 -> 86 px at 375 px)
    moved First 11 px left and Next 11 px right under the thumb, and the counter gaining a digit
    ("9 / 10" -> "10 / 10", "99 / 144" -> "100 / 144") moved every button by 4 px; at 3 digits,
    playing, the bar was wider than a 375 px screen.  Paused and playing, at 1, 2 and 3 digits,
    each of the pinned bar's buttons and its counter is where it was at step 1, the bar within
    the window with nothing past its edge; so the player's own bar's buttons."""
    need_dot()
    exe = _need_browser()
    w, h = screen
    r = sim.run("hash-l4-nat", seed=1, cc="reno")
    pl = Player(r, title="hash-l4-nat, seed 1", max_steps=120 if w > 320 else 200)
    _write_player_page(tmp_path / "bar.html", pl)
    from playwright.sync_api import sync_playwright
    where = """el => { const f = el.querySelector('.op1-float'), R = e => e.getBoundingClientRect();
        const at = sel => Array.from(el.querySelectorAll(sel)).map(e => [Math.round(R(e).left * 10) / 10,
                                                                          Math.round(R(e).right * 10) / 10]);
        return {pinned: at('.op1-float > *'), own: at('.op1-bar > button'), hidden: f.hidden,
                over: f.scrollWidth - f.clientWidth, left: R(f).left, right: R(f).right,
                pos: el.querySelector('.op1-fpos').textContent,
                play: el.querySelector('.op1-float [data-act=play]').textContent}; }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "bar.html", w, h)
            n = int(P.get_attribute("data-frames"))
            got = {"step 1": P.evaluate(where)}
            P.locator(".op1-float button[data-act=play]").tap()
            _frame(pg)
            got["playing"] = P.evaluate(where)
            P.locator(".op1-float button[data-act=play]").tap()
            for k in (8, 9, 98, 99, n - 1):
                P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                           "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
                _frame(pg)
                got[f"step {k + 1}"] = P.evaluate(where)
        finally:
            browser.close()
    assert n >= 100 and got[f"step {n}"]["pos"] == f"{n} / {n}", got
    assert "Pause" in got["playing"]["play"] and "Play" in got["step 1"]["play"], got
    first = got["step 1"]
    for when, g in got.items():
        assert not g["hidden"] and g["over"] <= 0 and 0 <= g["left"] and g["right"] <= w, (when, g)
        assert g["pinned"] == first["pinned"], (when, "a pinned button moved", first, g)
        assert g["own"] == first["own"], (when, "a button of the player's bar moved", first, g)


def test_a_narration_longer_than_its_box_says_there_is_more(tmp_path):
    """At 375x667 a narration of 10 or 11 lines scrolls in its box, capped at what the screen
    leaves over the network drawing; only a fade hinted at its cut last line -- often its point,
    "... reaches Provider 2 at 10.728 ms." -- and a reader did not know the box scrolls.  A step
    whose narration is cut shows "more ↓" at the box's foot, over the box and above the pinned
    buttons; a tap on it opens the narration whole (test_phone_reader), and a narration read to
    its end by scrolling shows none; a step whose narration fits shows none."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="equalize-nat, seed 1", max_steps=20)
    _write_player_page(tmp_path / "more.html", pl)
    from playwright.sync_api import sync_playwright
    look = """el => { const nb = el.querySelector('.op1-narr'), m = el.querySelector('.op1-more');
        const R = e => e.getBoundingClientRect(), f = document.querySelector('.op1-float');
        const c = m && m.firstChild;
        return {cut: nb.scrollHeight > nb.clientHeight + 1, top: nb.scrollTop,
                end: nb.scrollTop + nb.clientHeight >= nb.scrollHeight - 1,
                shown: !!(c && c.offsetParent && R(c).height), said: c ? c.textContent : null,
                hidden: c ? c.getAttribute('aria-expanded') : null,
                cue: c ? [R(c).left, R(c).top, R(c).right, R(c).bottom] : null,
                box: [R(nb).left, R(nb).top, R(nb).right, R(nb).bottom], float: f.hidden ? null : R(f).top}; }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "more.html", 375, 667)
            n = int(P.get_attribute("data-frames"))
            seen = []
            for k in range(n):
                if k:
                    P.locator(".op1-float button[data-act=next]").tap()
                _frame(pg)
                seen.append(P.evaluate(look))
            k = next(k for k, s in enumerate(seen) if s["cut"])
            assert seen[k]["shown"], seen[k]            # (else the tap below waits for it 30 s)
            P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                       "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
            _frame(pg)
            # (the page moved by some 120 px as the slider went back from the last step: the
            # narration, five lines tall, is brought back under the header, where it was read)
            P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-narr').getBoundingClientRect().top - 56)")
            _frame(pg)
            # a target a finger can hit: 24 px tall at least (WCAG 2.2, 2.5.8), 3 px past its look
            reach = P.evaluate("""el => { const c = el.querySelector('.op1-narr + .op1-more > button'), r = c.getBoundingClientRect();
                const at = (x, y) => { const h = document.elementFromPoint(x, y); return !!h && (h === c || c.contains(h)); };
                const x = (r.left + r.right) / 2;
                return [r.height, at(x, r.top - 3), at(x, r.bottom + 3), at(r.left - 3, (r.top + r.bottom) / 2)]; }""")
            y0 = pg.evaluate("scrollY")
            P.locator(".op1-narr + .op1-more > button").tap()
            _frame(pg)
            tapped = P.evaluate(look)
            # the tap opens the narration only: the page stays, and scrolls on as the reader
            # goes (the tap focused the player, which was scrolled back to its top, and kept there);
            # folded again ("less ↑"), the box scrolls by itself to its end
            y1 = pg.evaluate("scrollY")
            P.locator(".op1-narr + .op1-more > button").tap()
            _frame(pg)
            yf = pg.evaluate("scrollY")
            pg.mouse.wheel(0, 300)
            pg.wait_for_timeout(300)
            _frame(pg)
            y2 = pg.evaluate("scrollY")
            P.evaluate("el => { const nb = el.querySelector('.op1-narr'); nb.scrollTop = nb.scrollHeight; }")
            pg.wait_for_timeout(100)
            read = P.evaluate(look)
        finally:
            browser.close()
    cut = [k + 1 for k, s in enumerate(seen) if s["cut"]]
    assert cut and len(cut) < n, ("this replay shows nothing: every narration fits, or none", cut)
    assert reach[0] + 6 >= 24 and all(reach[1:]), ("the 'more' cue's tap target", reach)
    assert abs(y1 - y0) <= 1 and y2 >= yf + 250, (y0, y1, yf, y2)
    for k, s in enumerate(seen):
        assert s["shown"] == s["cut"], (k + 1, s)
        if s["cut"]:
            (l, t, r_, b), (bl, bt, br, bb) = s["cue"], s["box"]
            assert s["said"] == "more ↓" and s["hidden"] == "false", s
            assert bl <= l and r_ <= br and bt <= t and b <= bb and b <= s["float"], (k + 1, s)
    assert not tapped["cut"] and tapped["said"] == "less ↑", tapped      # the tap opened it whole
    assert read["end"] and not read["shown"], read       # read to its end: no more to say


def test_inside_a_panel_that_contains_fixed_elements_the_pinned_bar_stays_hidden(tmp_path):
    """In JupyterLab the notebook scrolls inside a panel with ``contain: strict``, which makes
    the panel the containing block of a ``position: fixed`` bar: the pinned bar showed in the
    middle of the notebook and the room kept for it under the player was 2,019 px of white.
    Inside such a panel the pinned bar is never shown and no room is kept; the player's own bar
    still steps it.  (The same page without the panel's containment shows the bar: the test's
    set-up does reach it.)"""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=14)
    body = ("<div id='panel' style='position:fixed;inset:0;overflow:auto;contain:{contain}'>"
            + "<p>intro</p>" * 40 + pl.html() + "<p>" + "text after the player. " * 300 + "</p></div>")
    seen = {}
    for contain in ("strict", "none"):
        p, browser, pg = _page_with(exe, tmp_path, body.replace("{contain}", contain),
                                    {"width": 1366, "height": 768}, name=f"panel-{contain}.html")
        try:
            P = pg.locator("[data-replay]")
            pad0 = P.evaluate("e => parseFloat(getComputedStyle(e).paddingBottom)")
            P.locator(".op1-bar button[data-act=next]").click()
            # the player's own bar scrolled away above the panel's top, the player filling it
            pg.evaluate("""() => { const pn = document.getElementById('panel');
                const bar = pn.querySelector('.op1-bar');
                pn.scrollTop += bar.getBoundingClientRect().bottom + 10;
                window.dispatchEvent(new Event('scroll')); }""")
            _frame(pg)
            _frame(pg)
            seen[contain] = P.evaluate("""e => ({hidden: e.querySelector('.op1-float').hidden,
                pad: parseFloat(getComputedStyle(e).paddingBottom)})""")
            seen[contain]["pad0"] = pad0
        finally:
            browser.close()
            p.stop()
    assert seen["none"]["hidden"] is False, seen            # the set-up does call for the bar
    assert seen["strict"]["hidden"] is True, seen
    assert seen["strict"]["pad"] <= seen["strict"]["pad0"] + 1, seen


def test_in_a_notebook_that_scrolls_inside_a_contained_panel_the_bar_is_pinned_to_its_foot(tmp_path):
    """JupyterLab's notebook (contain: strict, the containing block of a ``position: fixed``
    bar) holds the box that scrolls its cells, with boxes between them and the player that
    scroll nothing (the output area's overflow: auto and hidden): the pinned bar was never shown
    there, and README promised it.  Scrolled in that box until the player's own bar is above
    the notebook's top, the pinned bar shows at the notebook's foot, within the window, centred
    on it, and its Next steps the player; scrolled back, it hides.  No room is kept below the
    player beyond the bar's own.  (The cell round the player contains its content at times, as
    JupyterLab's do: the bar, fixed to the cell, went with its text, cut to its box.)"""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=14)
    body = ("<div id='nb' style='position:fixed;top:60px;left:40px;right:20px;bottom:30px;contain:strict'>"
            "<div id='outer' style='height:100%;overflow:auto'>" + "<p>intro</p>" * 40
            # (JupyterLab 4's cell: contain: content at times, which player.css lifts while the
            # bar shows)
            + "<div class='jp-Cell' style='contain:content;content-visibility:auto'>"
            + "<div style='overflow:auto'><div style='overflow:hidden'>" + pl.html() + "</div></div></div>"
            + "<p>" + "text after the player. " * 300 + "</p></div></div>")
    p, browser, pg = _page_with(exe, tmp_path, body, {"width": 1366, "height": 768}, name="notebook.html")
    try:
        P = pg.locator("[data-replay]")
        pad0 = P.evaluate("e => parseFloat(getComputedStyle(e).paddingBottom)")
        P.locator(".op1-bar button[data-act=next]").click()
        pg.evaluate("""() => { const o = document.getElementById('outer'), nb = document.getElementById('nb');
            o.scrollTop += o.querySelector('.op1-bar').getBoundingClientRect().bottom - nb.getBoundingClientRect().top + 10; }""")
        _frame(pg)
        _frame(pg)
        at = P.evaluate("""e => { const f = e.querySelector('.op1-float'), r = f.getBoundingClientRect(),
            nb = document.getElementById('nb').getBoundingClientRect();
            return {hidden: f.hidden, bottom: nb.bottom - r.bottom, centre: (r.left + r.right) / 2 - (nb.left + nb.right) / 2,
                    inside: r.top >= nb.top && r.bottom <= nb.bottom, pad: parseFloat(getComputedStyle(e).paddingBottom),
                    room: r.height, step: e.dataset.step}; }""")
        assert at["hidden"] is False and at["inside"] and 4 <= at["bottom"] <= 12 and abs(at["centre"]) <= 2, at
        assert at["pad"] <= pad0 + at["room"] + at["bottom"] + 8 + 1, (at, pad0)   # (as on a page: reserve)
        P.locator(".op1-float button[data-act=next]").click()
        _frame(pg)
        assert P.evaluate("e => e.dataset.step") != at["step"], at
        pg.evaluate("() => { document.getElementById('outer').scrollTop = 0; }")
        _frame(pg)
        _frame(pg)
        assert P.evaluate("e => e.querySelector('.op1-float').hidden") is True
    finally:
        browser.close()
        p.stop()


def _touch_drag(pg, x: float, y: float, dy: float):
    """A finger's drag on a phone (Chromium's own touch events, through CDP: a synthetic scroll
    gesture does not move a page): from (x, y) up by ``dy`` px (down if negative), held at its
    end so that nothing flings on."""
    cdp = pg.context.new_cdp_session(pg)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 13):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - dy * i / 12}]})
        pg.wait_for_timeout(16)
    pg.wait_for_timeout(120)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    pg.wait_for_timeout(250)
    cdp.detach()


def test_on_a_phone_a_drag_on_the_narration_scrolls_the_page(tmp_path):
    """At 375x667 the narration box sits mid-screen, where a thumb lands to scroll the page on;
    a drag that started on it moved nothing (20 drags, scrollY stayed), even at a step whose
    narration fits its box: overscroll-behavior:contain kept every drag in the box.  A drag on a
    narration that fits scrolls the page; on one cut by its box it scrolls the narration first,
    and once the narration is read to its end the next drag scrolls the page; at the narration's
    top, a drag down scrolls the page back up."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="equalize-nat, seed 1", max_steps=20)
    _write_player_page(tmp_path / "drag.html", pl)
    from playwright.sync_api import sync_playwright
    mid = "el => { const b = el.querySelector('.op1-narr').getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; }"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "drag.html", 375, 667)
            n = int(P.get_attribute("data-frames"))
            cuts = []
            for k in range(n):
                P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                           "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
                _frame(pg)
                cuts.append(P.evaluate("el => { const nb = el.querySelector('.op1-narr'); "
                                       "return nb.scrollHeight > nb.clientHeight + 1; }"))
            assert False in cuts and True in cuts, cuts
            got = {}
            for kind in ("fits", "cut"):
                k = cuts.index(kind == "cut")
                P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                           "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
                _frame(pg)
                # the narration mid-screen (under the header, over the pinned buttons)
                P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-narr').getBoundingClientRect().top - 200)")
                _frame(pg)
                seen = []
                for dy in (150, 150, 150, 150, 150, -150):
                    x, y = P.evaluate(mid)
                    y0 = pg.evaluate("scrollY")
                    top0 = P.evaluate("el => el.querySelector('.op1-narr').scrollTop")
                    _touch_drag(pg, x, y, dy if y - dy < 600 else 0)
                    seen.append((round(pg.evaluate("scrollY") - y0),
                                 round(P.evaluate("el => el.querySelector('.op1-narr').scrollTop") - top0),
                                 P.evaluate("el => { const nb = el.querySelector('.op1-narr'); "
                                            "return nb.scrollTop + nb.clientHeight >= nb.scrollHeight - 1; }")))
                    if dy > 0 and seen[-1][0] > 50:
                        # the page moved: one drag back down on the narration's top line
                        P.evaluate("el => el.querySelector('.op1-narr').scrollTop = 0")
                        x, y = P.evaluate(mid)
                        y0 = pg.evaluate("scrollY")
                        _touch_drag(pg, x, y, -100)
                        seen.append(("down", round(pg.evaluate("scrollY") - y0)))
                        break
                got[kind] = seen
        finally:
            browser.close()
    fits, cut = got["fits"], got["cut"]
    assert fits[0][0] >= 100 and fits[1] == ("down", fits[1][1]) and fits[1][1] <= -60, got
    # the cut narration: scrolled first (the page still), to its end, then the page moves
    assert cut[0][1] > 0 and abs(cut[0][0]) <= 2, got
    assert cut[-1][0] == "down" and cut[-1][1] <= -60, got
    assert cut[-2][0] >= 100 and cut[-2][1] == 0, got


def test_a_tap_on_a_player_draws_no_focus_ring_round_it_and_the_keyboards_focus_does(tmp_path):
    """A tap on a player's narration text or its drawing focuses the player (tabindex 0), and
    `.op1:focus` drew a 3 px blue ring round the whole player at each tap on a phone.  The ring is
    the keyboard's (:focus-visible): Tab to the player shows it, a tap does not."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="ring", max_steps=10)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 375, "height": 667}, is_mobile=True,
                                has_touch=True)
    ring = """() => { const a = document.activeElement, s = getComputedStyle(a);
        return [a.hasAttribute('data-replay'), s.outlineStyle, s.outlineWidth, a.tagName + "." + a.className]; }"""
    try:
        P = pg.locator("[data-replay]")
        got = {}
        for what in (".op1-narr", ".op1-title"):
            P.locator(what).scroll_into_view_if_needed()
            b = P.locator(what).bounding_box()
            pg.touchscreen.tap(b["x"] + 20, b["y"] + b["height"] / 2)
            _frame(pg)
            got[what] = pg.evaluate(ring)
        pg.keyboard.press("Tab")                 # (into the player's buttons, and back to it)
        for _ in range(40):
            if pg.evaluate("() => document.activeElement.hasAttribute('data-replay')"):
                break
            pg.keyboard.press("Shift+Tab")
        _frame(pg)
        got["Tab"] = pg.evaluate(ring)
    finally:
        browser.close()
        p.stop()
    assert got[".op1-narr"][0] and got[".op1-title"][0], got     # (the tap did focus the player)
    assert got[".op1-narr"][1] == got[".op1-title"][1] == "none", got
    assert got["Tab"][:3] == [True, "solid", "3px"], got


def test_on_a_phone_a_tap_on_the_ladder_does_not_scroll_the_page(tmp_path):
    """At 375x667 with the pinned buttons shown, a tap on the ladder's header or its blank part
    focuses the ladder's box, and the page scrolled by itself (28 to 105 px) to lift the box from
    under the pinned buttons -- the keyboard's rule (its focus never hidden under the bar) run for
    a finger's tap.  A tap leaves the page where it is; Tab to the box still lifts it."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="equalize-nat, seed 1", max_steps=20)
    _write_player_page(tmp_path / "ladder-tap.html", pl)
    from playwright.sync_api import sync_playwright
    box = "el => { const b = el.querySelector('.op1-ladder-scroll').getBoundingClientRect(); return [b.left, b.top, b.width, b.bottom]; }"
    state = """el => { const f = document.querySelector('.op1-float'), a = document.activeElement;
        return [scrollY, f.hidden ? null : f.getBoundingClientRect().top, a.className && (a.className.baseVal ?? a.className),
                el.querySelector('.op1-ladder-scroll').getBoundingClientRect().bottom]; }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "ladder-tap.html", 375, 667)
            P.locator(".op1-bar button[data-act=last]").evaluate("b => b.click()")
            _frame(pg)
            got = []
            for dx in (30, -20, None):
                # the ladder's box with its foot 40 px under the pinned buttons
                P.evaluate("el => { const f = document.querySelector('.op1-float'); "
                           "window.scrollBy(0, el.querySelector('.op1-ladder-scroll').getBoundingClientRect().bottom - "
                           "f.getBoundingClientRect().top - 40); }")
                pg.wait_for_timeout(100)
                _frame(pg)
                before = P.evaluate(state)
                if dx is None:                   # the keyboard: Tab into the box
                    pg.focus("[data-replay] .op1-ladder-scroll")
                    pg.keyboard.press("Shift+Tab")
                    pg.keyboard.press("Tab")
                else:
                    x, y, w, _ = P.evaluate(box)
                    pg.touchscreen.tap(x + dx if dx > 0 else x + w + dx, y + 20)
                pg.wait_for_timeout(300)
                _frame(pg)
                got.append((before, P.evaluate(state)))
        finally:
            browser.close()
    for (y0, f0, _, b0), (y1, f1, act, b1) in got[:2]:
        assert f0 is not None and b0 > f0, got                 # (the bar shown, over the box's foot)
        assert "op1-ladder-scroll" in act, got                 # (the tap focused the box)
        assert abs(y1 - y0) <= 1, ("a tap scrolled the page", got)
    (y0, f0, _, b0), (y1, f1, act, b1) = got[2]
    assert "op1-ladder-scroll" in act and f1 is not None and b1 <= f1 and y1 > y0, got


def test_more_is_said_only_for_a_narration_cut_by_half_a_line_or_more(tmp_path):
    """"more ↓" (and the fade) showed for a narration 2 px taller than its box (scrollHeight 182,
    clientHeight 180: its bottom padding, every word shown) -- a cue to scroll for nothing.  It
    shows when at least half a line is below the box's foot."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="more", max_steps=10)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 375, "height": 667}, is_mobile=True,
                                has_touch=True)
    try:
        P = pg.locator("[data-replay]")
        got = {}
        for cut in (2, 40):
            # the box cut ``cut`` px short of its text, then told of it (a scroll: fitBox)
            got[cut] = P.evaluate("""(el, cut) => { const nb = el.querySelector('.op1-narr');
                nb.style.setProperty('min-height', '0', 'important');
                nb.style.setProperty('max-height', 'none', 'important');
                const h = nb.scrollHeight;
                nb.style.setProperty('max-height', (h - cut) + 'px', 'important');
                nb.scrollTop = 0; nb.dispatchEvent(new Event('scroll'));
                return [nb.scrollHeight - nb.clientHeight, nb.hasAttribute('data-more')]; }""", cut)
    finally:
        browser.close()
        p.stop()
    assert got[2] == [2, False] and got[40] == [40, True], got


# The router tables' box on a phone: its scrollLeft, how far it scrolls, its rectangle, each row
# a step marks (NEW, HIT, SNAT, DEL...: state.py's tints; "sig": each one's first two words, its
# mark and key) with the span of its
# marked cells' words [top, bottom, left, right], the arrows shown (player.js markCues: side, y
# and its tap target's rectangle) and how far right of the box's left edge each table's title
# begins -- all in the viewport's px.
MARKED_ROWS_JS = """el => {
  const b = el.querySelector('.op1-state-box'), r = b.getBoundingClientRect(), rows = [], titles = [];
  const poly = Array.from(b.querySelectorAll('svg polygon'));
  poly.forEach(c => {
    if (!['#d5f0e6', '#d7ebf7', '#fbe0d0'].includes(c.getAttribute('fill'))) return;
    const q = c.getBoundingClientRect();
    let row = rows.find(o => Math.abs(o.top - q.top) < 2 && Math.abs(o.bottom - q.bottom) < 2);
    if (!row) rows.push(row = {top: q.top, bottom: q.bottom, cells: [], words: [], lo: Infinity, hi: -Infinity});
    row.cells.push(q);
  });
  const heads = poly.filter(c => c.getAttribute('fill') === '#eeeeee').map(c => c.getBoundingClientRect());
  b.querySelectorAll('svg text').forEach(t => {
    const w = t.getBoundingClientRect(), y = (w.top + w.bottom) / 2;
    if (!w.width) return;
    rows.forEach(row => {
      if (y > row.top && y < row.bottom && row.cells.some(c => w.left >= c.left - 1 && w.left < c.right)) {
        row.lo = Math.min(row.lo, w.left); row.hi = Math.max(row.hi, w.right);
        row.words.push([Math.round(w.left), Math.round(w.top), t.textContent]); }
    });
    if (heads.some(c => y > c.top && y < c.bottom && w.left >= c.left - 1 && w.left < c.right)) titles.push(w.left - r.left);
  });
  const cues = Array.from(el.querySelectorAll('.op1-mark')).filter(c => !c.hidden && c.offsetParent).map(c => {
    const q = c.firstElementChild.getBoundingClientRect();
    return {side: c.classList.contains('op1-mark-r') ? 'r' : 'l', y: (q.top + q.bottom) / 2, rect: [q.left, q.top, q.right, q.bottom]}; });
  return {sl: b.scrollLeft, max: b.scrollWidth - b.clientWidth, box: [r.left, r.top, r.left + b.clientWidth, r.bottom],
          rows: rows.map(o => [o.top, o.bottom, o.lo, o.hi]), cues: cues, titles: titles,
          sig: rows.map(o => o.words.sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, 2).map(w => w[2]).join(' ')).join('|')}; }"""


def _cut(m) -> list:
    """The marked rows whose words end past the box's clear part (its 28 px fade at the right,
    while it scrolls further right): what an arrow must point at."""
    right = m["box"][2] - (28 if m["sl"] < m["max"] - 1 else 0) + 1
    return [row for row in m["rows"] if row[3] > right and m["sl"] < m["max"] - 1]


def _unpointed(m) -> list:
    """What is wrong with the arrows in ``m`` (MARKED_ROWS_JS): a cut row with no arrow at its
    right edge at its height (give or take half an arrow: one points at two rows less than its
    height apart), or a right arrow at no cut row's height."""
    cut, right = _cut(m), [c for c in m["cues"] if c["side"] == "r"]
    near = lambda c, row: row[0] - 16 <= c["y"] <= row[1] + 16
    bad = [("no arrow", row) for row in cut if not any(near(c, row) for c in right)]
    bad += [("stray arrow", c) for c in right if not any(near(c, row) for row in cut)]
    bad += [("arrow off the box's right edge", c) for c in right if abs(c["rect"][2] - m["box"][2]) > 8]
    return bad


def test_on_a_phone_the_router_tables_stay_at_their_left_edge_and_point_at_marks_past_it(tmp_path):
    """Chapter 1's replay at 375x667: each step scrolled the router tables right to its marked
    words, one offset for the four stacked tables: the titles read "andom)", the keys ".0.1 →
    200.0.0.1 iif eth0", a HIT tag left of the words was hidden, and a reader's swipe back was
    undone at the next step.  Drawn (the reader's choice: they start as text), the tables stay
    at their left edge (titles and keys whole); a
    marked row whose words end past the box's right edge, or under its fade, has an arrow there
    at its height, and a tap on it scrolls the box until they end clear of the fade.  A reader's
    own scroll is kept through a change of tab, and through steps that mark the same rows; new
    marks show the tables from their left edge again."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=14)
    _write_player_page(tmp_path / "tables.html", pl)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "tables.html", 375, 667)
            P.locator(".op1-tabs [data-tab=state]").tap()
            _as_drawing(P)
            seen = []
            for k in range(10):
                if k:
                    P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
                seen.append(P.evaluate(MARKED_ROWS_JS))
            # back to step 2, whose marks are cut: a tap on the arrow of its first cut row
            P.evaluate("el => { const s = el.querySelector('.op1-slider'); s.value = 1; "
                       "s.dispatchEvent(new Event('input', {bubbles: true})); }")
            P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-state-box').getBoundingClientRect().top - 80)")
            _frame(pg)
            at = P.evaluate(MARKED_ROWS_JS)
            row = _cut(at)[0]
            cue = next(c for c in at["cues"] if c["side"] == "r" and row[0] - 16 <= c["y"] <= row[1] + 16)
            pg.touchscreen.tap((cue["rect"][0] + cue["rect"][2]) / 2, (cue["rect"][1] + cue["rect"][3]) / 2)
            pg.wait_for_timeout(700)                                      # (a smooth scroll)
            tapped = P.evaluate(MARKED_ROWS_JS)
            # the reader's scroll through a change of tab
            P.locator(".op1-tabs [data-tab=ladder]").evaluate("b => b.click()")
            _frame(pg)
            P.locator(".op1-tabs [data-tab=state]").evaluate("b => b.click()")
            _frame(pg)
            kept = P.evaluate(MARKED_ROWS_JS)
            # and through the steps after: kept while the marks are the same, else the left edge
            after = []
            for _ in range(6):
                P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
                after.append(P.evaluate(MARKED_ROWS_JS))
        finally:
            browser.close()
    assert all(s["max"] > 20 for s in seen), seen                      # wider than its box
    assert any(_cut(s) for s in seen), ("no marked row past the box's edge: this shows nothing", seen)
    for k, s in enumerate(seen):
        assert s["sl"] == 0, (k + 1, "the tables scrolled by themselves", s)
        assert not _unpointed(s), (k + 1, _unpointed(s), s)
        assert s["titles"] and min(s["titles"]) >= 0, (k + 1, "a title cut", s["titles"])
    moved = [t for t in tapped["rows"] if abs(t[0] - row[0]) < 2][0]
    assert tapped["sl"] > 0 and moved[3] <= tapped["box"][2] - 28 + 1, ("the tap did not bring the words in", row, tapped)
    assert kept["sl"] == tapped["sl"], (kept, tapped)
    prev, sl = tapped["sig"], tapped["sl"]
    for k, a in enumerate(after):
        if a["sig"] != prev:
            sl = 0
        assert a["sl"] == sl, (k, a["sl"], sl)
        prev = a["sig"]


def test_in_a_comparison_on_a_phone_both_panes_tables_point_at_their_marks(tmp_path):
    """A comparison at 375 px (chapter 8's kind), its router tables drawn (the reader's choice:
    they start as text): both runs' tables stay at their left edge at every step, each with its
    arrows at its marked rows cut by the right edge."""
    need_dot()
    exe = _need_browser()
    a = sim.run("equalize-nat", seed=1, size=3000)
    b = sim.run("equalize-nat", seed=1, size=3000, nat="netfilter")
    c = Compare(a, b, labels=("article NAT", "netfilter NAT"), max_steps=16)
    p, browser, pg = _page_with(exe, tmp_path, c.html(), {"width": 375, "height": 667},
                                is_mobile=True, has_touch=True)
    try:
        P = pg.locator("[data-replay]").first
        for j in range(2):
            P.locator(".op1-pane").nth(j).locator(".op1-tabs [data-tab=state]").evaluate("b => b.click()")
        _as_drawing(P)
        got = []
        for k in range(16):
            if k:
                P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
            _frame(pg)
            got.append([P.locator(".op1-pane").nth(j).evaluate(MARKED_ROWS_JS) for j in range(2)])
    finally:
        browser.close()
        p.stop()
    for j in range(2):
        assert any(_cut(g[j]) for g in got), (j, "no marked row past the box's edge: this shows nothing")
    for k, g in enumerate(got):
        for j in range(2):
            assert g[j]["sl"] == 0 and not _unpointed(g[j]), (k + 1, j, _unpointed(g[j]), g[j])


def test_on_a_phone_the_pinned_bar_shows_while_the_open_tab_is_in_view(tmp_path):
    """Chapter 1 at 375x667: scrolled past the replay, its bottom at y = 367, the pinned step
    buttons stayed at the window's foot over the chapter's text (a link, "6. Equalize meets NAT").
    Then hidden once the player's bottom was above them, they hid on the Router tables tab with
    the conntrack table mid-screen, the help under the tabs (270 px) ending above them.  They
    show while a third of the window above them shows the player down to the foot of its open
    tab, and hide once less does."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=14)
    _write_player_page(tmp_path / "past.html", pl)
    from playwright.sync_api import sync_playwright
    look = """el => { const f = document.querySelector('.op1-float');
        return {hidden: f.hidden, top: f.hidden ? null : f.getBoundingClientRect().top,
                bottom: el.getBoundingClientRect().bottom,
                panel: el.querySelector('[data-panel=state]').getBoundingClientRect().bottom}; }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "past.html", 375, 667)
            P.locator(".op1-tabs [data-tab=state]").tap()
            P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
            P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-tabs').getBoundingClientRect().top - 60)")
            _frame(pg)
            _frame(pg)
            at = P.evaluate(look)
            seen = {}
            for name, key, y in (("player's bottom at 367", "bottom", 367),
                                 # (310: the player's foot above the bar, 44 px buttons at 375x667)
                                 ("tables' bottom mid-screen", "panel", 310),
                                 ("tables' bottom at 250", "panel", 250),
                                 ("tables' bottom at 180", "panel", 180)):
                P.evaluate("(el, [key, y]) => window.scrollBy(0, (key === 'panel' ? el.querySelector('[data-panel=state]') : el)"
                           ".getBoundingClientRect().bottom - y)", [key, y])
                _frame(pg)
                _frame(pg)
                seen[name] = P.evaluate(look)
        finally:
            browser.close()
    assert at["hidden"] is False and at["top"] > 600, at           # the set-up shows the bar
    mid = seen["tables' bottom mid-screen"]
    assert mid["bottom"] < at["top"], ("the player's foot under the bar: this shows nothing", mid)
    assert mid["hidden"] is False, seen
    assert seen["tables' bottom at 250"]["hidden"] is False, seen
    assert seen["tables' bottom at 180"]["hidden"] is True, seen
    assert seen["player's bottom at 367"]["hidden"] is True and abs(seen["player's bottom at 367"]["bottom"] - 367) < 1, seen


def test_on_a_phone_at_a_larger_font_the_pinned_bar_fits(tmp_path):
    """At 375x667 with the root's font size at 150 % (a reader's larger default), chapter 1's
    pinned bar ran past the screen's right edge, its step counter ("1 / 142") cut off: its
    closer spacing (op1-float-tight) was tried in a notebook only.  The bar fits the screen,
    counter and all, with nothing scrolled out of it."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=142)
    assert pl.frames >= 100, pl.frames
    _write_player_page(tmp_path / "big.html", pl)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, device_scale_factor=2)
            pg.goto((tmp_path / "big.html").as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            pg.evaluate("document.documentElement.style.fontSize = '150%'")
            _frame(pg)
            P = pg.locator("[data-replay]")
            P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-narr').getBoundingClientRect().top - 56)")
            _frame(pg)
            _frame(pg)
            got = pg.evaluate("""() => { const f = document.querySelector('.op1-float'), c = f.querySelector('.op1-fpos');
                const r = f.getBoundingClientRect(), q = c.getBoundingClientRect();
                return {hidden: f.hidden, left: r.left, right: r.right, over: f.scrollWidth - f.clientWidth,
                        pos: [q.left, q.right], text: c.textContent, size: parseFloat(getComputedStyle(c).fontSize),
                        buttons: Array.from(f.querySelectorAll('button')).map(b => b.getBoundingClientRect().width)}; }""")
        finally:
            browser.close()
    assert got["hidden"] is False, got
    assert got["left"] >= 0 and got["right"] <= 375, ("the bar past the screen's edge", got)
    assert got["over"] <= 1, ("the bar's content wider than the bar", got)
    assert got["pos"][1] <= got["right"] - 1 and got["text"].endswith(f"/ {pl.frames}"), got
    assert got["size"] >= 14 and min(got["buttons"]) >= 24, got


# the pixels of a box's rectangle [left, top, right, bottom] (CSS px) in a screenshot at twice
# the pixels: how many differ from the commonest colour by more than a trace
def _off_colour(pg, rect) -> int:
    import io
    from PIL import Image
    l, t, r_, b = rect
    png = pg.screenshot(clip={"x": l, "y": t, "width": r_ - l, "height": b - t})
    raw = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3]))
    top = Counter(pixels).most_common(1)[0][0]
    return sum(1 for px in pixels if max(abs(a - c) for a, c in zip(px, top)) > 12)


def test_on_a_phone_a_box_that_scrolls_says_more_with_a_cue_that_hides_no_text(tmp_path):
    """Chapter 1's replay at 375x667: the narration's "more ↓" was 20 px tall (WCAG 2.2 gives a
    finger 24) and covered the last line left in view ("…crosses uplink2 and reaches Provider 2
    at 10.728 ms."); the strip of what the step did to the router's tables only faded at its foot
    ("NEW conntrack entry 1, bound to if2" unread) and the Packet tab scrolled with no cue at all
    (ack, flags, bytes below).  Each, cut, shows the cue, at least 24 px tall, on a band where no
    text shows (the cue hidden, its rectangle one colour); a tap on it opens its box whole, and a
    box scrolled to its end shows no cue."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=14)
    _write_player_page(tmp_path / "cues.html", pl)
    from playwright.sync_api import sync_playwright
    cue = """(el, sel) => { const b = el.querySelector(sel), m = b.nextElementSibling;
        const c = m && m.classList.contains('op1-more') ? m.firstChild : null, R = c && c.getBoundingClientRect();
        return {more: b.hasAttribute('data-more'), top: b.scrollTop, cut: b.scrollHeight - b.clientHeight,
                shown: !!(c && c.offsetParent && R.height), rect: R ? [R.left, R.top, R.right, R.bottom] : null,
                box: [b.getBoundingClientRect().top, b.getBoundingClientRect().bottom]}; }"""
    seen, blank, after = {}, {}, {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "cues.html", 375, 667)
            for sel, k, tab in ((".op1-narr", 1, "ladder"), (".op1-what", 1, "ladder"), (".op1-pkt-box", 3, "pkt")):
                P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                           "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
                P.locator(f".op1-tabs [data-tab={tab}]").evaluate("b => b.click()")
                _frame(pg)
                P.locator(sel).evaluate("b => window.scrollBy(0, b.getBoundingClientRect().bottom - 500)")
                _frame(pg)
                seen[sel] = s = P.evaluate(cue, sel)
                if not s["shown"]:
                    continue
                P.locator(sel).evaluate("b => { b.nextElementSibling.firstChild.style.visibility = 'hidden'; }")
                _frame(pg)
                blank[sel] = _off_colour(pg, s["rect"])
                P.locator(sel).evaluate("b => { b.nextElementSibling.firstChild.style.visibility = ''; }")
                P.locator(sel).evaluate("b => b.nextElementSibling.firstChild.click()")
                _frame(pg)
                tapped = P.evaluate(cue, sel)["cut"]
                P.locator(sel).evaluate("b => b.nextElementSibling.firstChild.click()")      # (folded again)
                _frame(pg)
                P.locator(sel).evaluate("b => { b.scrollTop = b.scrollHeight; }")
                _frame(pg)
                after[sel] = (tapped, P.evaluate(cue, sel))
        finally:
            browser.close()
    for sel, s in seen.items():
        assert s["cut"] > 30 and s["more"] and s["shown"], (sel, "no cue for a box cut", s)
        l, t, r_, b = s["rect"]
        assert b - t >= 24, (sel, "the cue's height", s)
        assert s["box"][0] < t and b <= s["box"][1], (sel, "the cue at the box's foot", s)
        assert blank[sel] == 0, (sel, "text shows under the cue", blank[sel])
        tapped, end = after[sel]
        assert tapped <= 1, (sel, "the tap did not open the box whole", tapped)
        assert not end["more"] and not end["shown"], (sel, "read to its end, still 'more'", end)


# A box's lines of text (the client rectangles of its words, one per line: [top, bottom], in the
# viewport's px), its rectangle [top, bottom, inner top], how far it scrolls and is scrolled,
# the height of the band at its foot that its "more ↓" sits on (player.css), its font size.
BOX_LINES_JS = """(el, sel) => {
  const b = el.querySelector(sel), r = b.getBoundingClientRect(), lines = [];
  const walk = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    if (!t.textContent.trim() || !t.parentElement.offsetParent || t.parentElement.closest('.op1-vh')) continue;
    const g = document.createRange(); g.selectNodeContents(t);
    for (const q of g.getClientRects()) {
      if (!q.height || !q.width) continue;
      const l = lines.find(o => Math.abs(o[0] - q.top) < 2);
      if (l) l[1] = Math.max(l[1], q.bottom); else lines.push([q.top, q.bottom]);
    }
  }
  const m = b.nextElementSibling;
  return {lines: lines.sort((x, y) => x[0] - y[0]), box: [r.top, r.bottom, r.top + b.clientTop],
          cut: b.scrollHeight - b.clientHeight, top: b.scrollTop, client: b.clientHeight,
          band: parseFloat(getComputedStyle(m, '::before').height), size: parseFloat(getComputedStyle(b).fontSize),
          more: b.hasAttribute('data-more')}; }"""


def test_on_a_phone_more_opens_the_box_and_skips_no_line(tmp_path):
    """Chapter 6's replay at 375x667: a tap on "more ↓" scrolled the box by its height less two
    lines, and a line that sat under the fade went past the top unread (step 11's tables strip);
    then by its clear part, a few lines a tap.  For the strip (375x667) and the narration (320x640,
    where it is cut most; at 320x568 not even 4 lines fit over the drawing, and the narration is not
    cut: test_large_text_zoomplayer), at a step that cuts it by about a box's height: the tap opens
    the box whole, every line of it inside the box, none under the cue."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=3, size=20_000)
    pl = Player(r, title="equalize-nat, seed 3", max_steps=40)
    _write_player_page(tmp_path / "more.html", pl)
    from playwright.sync_api import sync_playwright
    go = "(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; s.dispatchEvent(new Event('input', {bubbles: true})); }"
    got = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            for sel, w, h in ((".op1-what", 375, 667), (".op1-narr", 320, 640)):
                pg, P = _phone_at_narration(browser, tmp_path / "more.html", w, h)
                for k in range(pl.frames):
                    P.evaluate(go, k)
                    _frame(pg)
                    b = P.evaluate(BOX_LINES_JS, sel)
                    if b["more"] and b["cut"] >= b["client"] - 2.8 * b["size"]:
                        break
                else:
                    continue
                P.locator(sel).evaluate("b => window.scrollBy(0, b.getBoundingClientRect().bottom - 450)")
                _frame(pg)
                before = P.evaluate(BOX_LINES_JS, sel)
                P.locator(sel).evaluate("b => b.nextElementSibling.firstChild.click()")
                _frame(pg)
                got[sel] = (k, before, P.evaluate(BOX_LINES_JS, sel))
        finally:
            browser.close()
    assert set(got) == {".op1-narr", ".op1-what"}, ("no box cut by its height: this shows nothing", list(got))
    for sel, (k, before, after) in got.items():
        assert after["cut"] <= 1 and after["top"] == 0 and not after["more"], (sel, k + 1, after)
        assert len(after["lines"]) == len(before["lines"]), (sel, k + 1, before["lines"], after["lines"])
        clear = after["box"][1] - after["band"]          # (the band "less ↑" sits on, under the text)
        hidden = [l for l in after["lines"] if l[1] > clear + 0.5 or l[0] < after["box"][2] - 0.5]
        assert not hidden, (sel, k + 1, "lines outside the open box or under its cue", hidden, clear)


def test_on_a_phone_a_new_packet_opens_at_its_top(tmp_path):
    """Chapter 1's Packet tab at 375x667: read to the end of one step's packet, Next showed the
    next packet scrolled as far, at its end, with no cue that there was more above.  Each new
    packet opens at its top, its "more ↓" shown."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=20)
    _write_player_page(tmp_path / "pkt.html", pl)
    f = pl._frames
    k = next(j for j in range(2, pl.frames - 1) if f.pkt_of[j] != f.pkt_of[j + 1])
    from playwright.sync_api import sync_playwright
    look = "el => { const b = el.querySelector('.op1-pkt-box'); return [b.scrollTop, b.scrollHeight - b.clientHeight, b.hasAttribute('data-more')]; }"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "pkt.html", 375, 667)
            P.evaluate("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
                       "s.dispatchEvent(new Event('input', {bubbles: true})); }", k)
            P.locator(".op1-tabs [data-tab=pkt]").evaluate("b => b.click()")
            _frame(pg)
            P.evaluate("el => { const b = el.querySelector('.op1-pkt-box'); b.scrollTop = b.scrollHeight; }")
            _frame(pg)
            read = P.evaluate(look)
            P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
            _frame(pg)
            nxt = P.evaluate(look)
        finally:
            browser.close()
    assert read[0] > 30 and not read[2], ("the packet not scrolled to its end: this shows nothing", read)
    assert nxt[1] > 30, ("the next packet fits its box: this shows nothing", nxt)
    assert nxt[0] == 0 and nxt[2], ("the next packet opened scrolled", nxt)


def test_the_boxes_titles_keep_the_case_of_their_words(tmp_path):
    """The boxes' titles were in capitals (text-transform): "24.740 ms" read "MS" and the packet's
    place "ROUTER:IF2", whose interface names are the trace's, case and all.  No title is
    transformed, at a laptop's width or a phone's."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=14)
    got = {}
    for w, h in ((1280, 800), (375, 667), (375, 900)):
        p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": w, "height": h}, name=f"case-{w}x{h}.html")
        try:
            got[(w, h)] = pg.evaluate("""() => {
                const t = Array.from(document.querySelectorAll('.op1-boxh'));
                return [t.length, t.map(e => getComputedStyle(e).textTransform),
                        document.querySelector('.op1-state-box-wrap .op1-boxh').innerText]; }""")
        finally:
            browser.close()
            p.stop()
    for screen, (n, how, tables) in got.items():
        assert n == 4 and set(how) == {"none"}, (screen, how)
        assert tables.startswith("Linux router: tables, at ") and tables.endswith(" ms"), (screen, tables)


def test_the_players_text_follows_the_readers_font_size(tmp_path):
    """A reader who sets a larger default font size got the book's text larger and the players'
    not (every size in px).  With the root's font size doubled, so are the narration's, the
    buttons', the packet's fields', the boxes' titles' and the tables strip's; at the default
    size, the narration is 14.5 px, as it was."""
    need_dot()
    exe = _need_browser()
    r = sim.run("connection-level", seed=1)
    pl = Player(r, title="connection-level, seed 1", max_steps=14)
    p, browser, pg = _page_with(exe, tmp_path, pl.html(), {"width": 1280, "height": 800})
    sizes = """() => ['.op1-narr', '.op1-bar button', '.op1-diss', '.op1-boxh', '.op1-what', '.op1-sub', '.op1-title']
        .map(s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"""
    try:
        one = pg.evaluate(sizes)
        pg.evaluate("() => { document.documentElement.style.fontSize = '32px'; }")
        two = pg.evaluate(sizes)
    finally:
        browser.close()
        p.stop()
    assert one[0] == 14.5, one
    assert [round(b / a, 3) for a, b in zip(one, two)] == [2.0] * len(one), (one, two)


# -- a phone's ladder ----------------------------------------------------------------------------

# The ladder box of a player: its width, how far it scrolls sideways, each ladder drawing's
# width (0: not displayed), and the current row of the ladder shown -- its words, where it is
# across the box -- and the rows of later steps drawn (none: they must not tell what comes).
PHONE_LADDER_JS = r"""el => {
  const box = el.querySelector('.op1-ladder-scroll'), b = box.getBoundingClientRect();
  const svgs = [...box.querySelectorAll('svg.op1-ladder')].map(s => [s.getAttribute('class'), Math.round(s.getBoundingClientRect().width)]);
  const row = [...box.querySelectorAll('.op1-row.cur')].find(g => g.getBoundingClientRect().height > 0);
  const r = row.getBoundingClientRect(), k = parseInt(row.getAttribute('data-k'));
  const texts = [...row.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()]);
  const later = [...row.ownerSVGElement.querySelectorAll('.op1-row')].filter(g =>
    parseInt(g.getAttribute('data-k')) > k && getComputedStyle(g).display !== 'none').length;
  return {box: Math.round(b.width), over: box.scrollWidth - box.clientWidth, svgs, later,
          words: texts.map(t => t[0]), inside: texts.every(([w, t]) => t.left >= b.left - 1 && t.right <= b.right + 1),
          row: [Math.round(r.left - b.left), Math.round(r.right - b.left)]};
}"""


@pytest.mark.parametrize("screen", [(360, 740), (320, 640), (1366, 768)], ids=["360", "320", "laptop"])
def test_on_a_phone_the_ladder_fits_its_box_and_its_row_names_the_uplink_and_addresses(tmp_path, screen):
    """At 360x740, chapter 6's "ACK ... ignored by remote": the wide ladder, 834 px in a 288 px box,
    scrolled to the step showed the Internet and Remote host 1 only, not the uplink the ACK took
    (Provider 1, off the box's left) nor its addresses (in the column off its right).  A phone's
    ladder is shown instead: no wider than its box (at 320 px scaled to it), the current row's
    words all in view, "if1" and the ACK's addresses among them, later rows hidden, its text
    10 px or more at 360 px; a screen reader meets one row of the step, not two.  On a laptop the
    wide ladder, as it was (834 px), and not the phone's."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=3, size=20_000)
    from sim.trace import Drop, Ev
    pl0 = Player(r, max_steps=40)
    ign = next(i for i in pl0.steps if r.events[i].ev is Ev.DROP and r.events[i].reason is Drop.IGNORED)
    pl = Player(r, title="equalize-nat, seed 3", max_steps=40, at=ign)
    _write_player_page(tmp_path / "ch6.html", pl)
    from playwright.sync_api import sync_playwright
    w, h = screen
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "ch6.html", w, h)
            if w < 600:
                P.get_by_role("tab", name="Ladder").tap()
            P.locator(".op1-ladder-box").evaluate("e => e.scrollIntoView({block: 'start'})")
            _frame(pg)
            got = P.evaluate(PHONE_LADDER_JS)
            least, what = P.locator(".op1-ladder-box").evaluate(MIN_TEXT_JS)
            named = P.get_by_role("button", name=re.compile(rf"^step {pl.steps.index(ign) + 1}, event {ign} ")).count()
            P.locator(".op1-ladder-box").screenshot(path=str(tmp_path / f"ladder-{w}.png"))
        finally:
            browser.close()
    shown = {c: sw for c, sw in got["svgs"] if sw}
    assert named == 1, named
    assert got["later"] == 0, got
    if w > 600:
        assert shown == {"op1-ladder": 834, "op1-ladder op1-ladder-body": 834}, got["svgs"]
        return
    assert set(shown) == {"op1-ladder op1-ladder-n", "op1-ladder op1-ladder-n op1-ladder-body"}, got["svgs"]
    assert got["over"] <= 1 and all(sw <= got["box"] for sw in shown.values()), got
    assert "ignored by remote" in got["words"] and "if1 ACK 100.0.0.1:6000 → 200.0.0.1:80" in got["words"], got
    assert got["inside"], got
    assert least >= (10 if w >= 360 else 9), (least, what)


def test_on_a_phone_the_phones_ladder_steps_and_goes_to_a_tapped_row(tmp_path):
    """At 360x740 the phone's ladder follows the replay: at each step its current row is the
    step's and no later row is drawn; a tapped row goes to its step; "show the whole exchange"
    shows every row; back from a focused row with ←, the focus goes to the row shown, not to
    the page."""
    need_dot()
    exe = _need_browser()
    pl = Player(sim.run("equalize-nat", seed=3, size=20_000), title="equalize-nat, seed 3", max_steps=12)
    _write_player_page(tmp_path / "steps.html", pl)
    from playwright.sync_api import sync_playwright
    rows = "svg.op1-ladder-n.op1-ladder-body .op1-row"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "steps.html", 360, 740)
            P.get_by_role("tab", name="Ladder").tap()
            seen = []
            for k in range(pl.frames):
                if k:
                    P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
                seen.append(P.evaluate(SHOWN_ROWS_JS))
            assert seen == [list(range(k + 1)) for k in range(pl.frames)], seen
            P.locator(f'{rows}[data-k="2"]').tap()
            _frame(pg)
            assert P.get_attribute("data-step") == "2"
            assert P.evaluate(SHOWN_ROWS_JS) == [0, 1, 2]
            P.locator("input.op1-all-toggle").check()
            _frame(pg)
            assert P.evaluate(SHOWN_ROWS_JS) == list(range(pl.frames))
            P.locator("input.op1-all-toggle").uncheck()
            P.locator(f'{rows}[data-k="2"]').focus()
            pg.keyboard.press("ArrowLeft")
            _frame(pg)
            assert P.get_attribute("data-step") == "1"
            assert pg.evaluate("document.activeElement.matches('svg.op1-ladder-n .op1-row.cur')")
            assert pg.evaluate("document.activeElement.getAttribute('data-k')") == "1"
        finally:
            browser.close()


def test_on_a_phone_a_comparisons_flag_names_the_ports_and_moves_nothing(tmp_path):
    """Chapter 5's two NAT models at 360x740: the second run starts some 1700 px below the first,
    and the flag over both said only "≈ same path, other ports".  It names the endpoints that
    differ, and keeps the height of its longest words from the first step, so that nothing under
    the bar moves as it changes."""
    need_dot()
    exe = _need_browser()
    ra = sim.run("connection-level", seed=1, nat="article")
    rn = sim.run("connection-level", seed=1, nat="netfilter")
    c = Compare(ra, rn, labels=("article NAT", "netfilter NAT"), max_steps=14)
    (tmp_path / "cmp.html").write_text(standalone_page([c.html()], "cmp"))
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
            pg.goto((tmp_path / "cmp.html").as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            P = pg.locator("[data-replay]")
            got = []
            for k in range(8):
                if k:
                    P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
                got.append(P.evaluate("""el => [el.querySelector('.op1-flag').textContent,
                    Math.round(el.querySelector('.op1-cmp').getBoundingClientRect().top - el.getBoundingClientRect().top)]"""))
        finally:
            browser.close()
    flags = [f for f, _ in got]
    assert "≈ same path, other ports: article NAT from 150.0.0.1:7000 · netfilter NAT from 150.0.0.1:5000" in flags, flags
    assert "≈ same path, other ports: article NAT to 150.0.0.1:7000 · netfilter NAT to 150.0.0.1:5000" in flags, flags
    assert "= same step in both runs" in flags, flags
    assert len({top for _, top in got}) == 1, got
