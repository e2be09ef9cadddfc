"""Accessibility of the built book (issue 18), measured in the browser.

axe-core (npm, ``package.json``'s devDependencies; installed into ``node_modules`` by
``make node_modules/.installed``, never committed, never copied into the site) is injected
into every page of ``_toc.yml`` in headless Chromium, at a laptop's and a phone's size, in the
theme's light and dark modes.  The test fails on any critical or serious violation in the
book's own markup -- what a chapter's article holds: text, tables, figures and their captions,
players, comparisons, live panels, exercises -- and prints the totals by impact for whole
pages, theme included, which must not rise above ``WHOLE_PAGE_CEILING``.

The keyboard tests use no pointer at all: from the top of chapter 6, Tab into its first
player, step it, scroll its ladder, go to a step from the ladder, answer an exercise; on a
phone, the tabs below the network follow the WAI-ARIA tabs pattern.
"""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from urllib.parse import urlparse

import pytest

from conftest import skip_or_fail
from test_book import ROOT, book_html, server, toc_pages  # noqa: F401

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = {"laptop": (1366, 768), "phone": (390, 844)}
MODES = ("light", "dark")
BAD = ("critical", "serious")
#: What the book itself writes: a chapter's article.  Everything else on a page is the theme's.
OWN = "article.bd-article"
#: The live panels (issue 11) and every other component of the book's, looked for on each page.
COMPONENTS = {"player": ".op1-player", "compare": ".op1-compare", "live panel": "[data-live]",
              "exercise": ".sx-exercise", "figure": ".bl-figure", "table": "article.bd-article table"}
#: Nodes in violation on all pages at both sizes in both modes, whole pages (theme included), as
#: measured when this test was written; a change that adds any fails here (lower these when
#: the theme's own count goes down).
WHOLE_PAGE_CEILING = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}

# Set the theme's mode the way its own switch does (pydata-sphinx-theme: data-mode, data-theme).
MODE_JS = """m => { document.documentElement.dataset.mode = m; document.documentElement.dataset.theme = m; }"""
# The theme fades colours over 0.15-0.25 s: axe must read the colours a reader sees, not a fade's.
NO_FADES = "*,*::before,*::after{transition:none !important;animation:none !important}"

# axe on the whole document; each node is reported with whether it lies in the book's own markup.
# (selectors: false -- building a unique CSS selector for every node is most of axe's time on a
# page of SVG replays; the element itself says where it is.)
AXE_JS = """async ([own, rules]) => {
  const opts = {resultTypes: ['violations'], selectors: false, elementRef: true};
  if (rules) opts.runOnly = {type: 'rule', values: rules};
  const r = await axe.run(document, opts);
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const out = [];
  for (const v of r.violations) for (const n of v.nodes) {
    const el = n.element, path = [];
    for (let e = el; e && path.length < 3; e = e.parentElement) path.unshift(name(e));
    out.push({id: v.id, impact: n.impact || v.impact, target: path.join(' > '),
              own: !!(el && el.closest(own)), why: (n.failureSummary || '').split('\\n').slice(0, 2).join(' '),
              html: n.html.slice(0, 160)});
  }
  return out;
}"""
#: In the dark mode only colours change: there axe runs the rules about colour (the light mode
#: runs them all).  Measured on the 2-core machine at a load average of 20: all rules on all 56
#: page x size x mode combinations took 524 s, this choice 349 s (both with the page loads).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def _need_axe():
    if not AXE.exists():
        skip_or_fail(f"{AXE.relative_to(ROOT)} is missing: `make node_modules/.installed` installs axe-core "
                     "from the npm registry (package.json)")


def _context(browser, screen):
    w, h = SCREENS[screen]
    ctx = browser.new_context(viewport={"width": w, "height": h}, service_workers="block")
    ctx.add_init_script(SAID_INIT)
    ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
    return ctx


def _open(pg, url):
    pg.goto(url, wait_until="load")
    pg.wait_for_function("Array.from(document.querySelectorAll('[data-replay]'))"
                         ".every(e => e.hasAttribute('data-op1-live'))", timeout=30_000)
    pg.wait_for_timeout(150)


@pytest.fixture
def chapter_6(chromium, server):
    """``open(screen)``: chapter 6 in a new context at ``screen``'s size -> (context, page);
    every context it opened is closed after the test."""
    page = next(p for p in toc_pages() if p.endswith("06-equalize-nat"))
    opened = []

    def open_(screen):
        ctx = _context(chromium, screen)
        opened.append(ctx)
        pg = ctx.new_page()
        _open(pg, f"{server}/{page}.html")
        return ctx, pg
    yield open_
    for ctx in opened:
        ctx.close()


@pytest.fixture(scope="module")
def axe_report(server, chromium):
    """Every page, at both sizes, in both modes: axe's violations and the components found."""
    _need_axe()
    report = {"nodes": [], "components": Counter(), "runs": 0, "seconds": 0.0}
    t0 = time.monotonic()
    for screen in SCREENS:
        ctx = _context(chromium, screen)
        try:
            pg = ctx.new_page()
            for page in toc_pages():
                _open(pg, f"{server}/{page}.html")
                if screen == "laptop":
                    for name, sel in COMPONENTS.items():
                        report["components"][name] += pg.eval_on_selector_all(sel, "e => e.length")
                pg.add_script_tag(path=str(AXE))
                pg.add_style_tag(content=NO_FADES)
                for mode in MODES:
                    pg.evaluate(MODE_JS, mode)
                    pg.wait_for_timeout(50)
                    rules = COLOUR_RULES if mode == "dark" else None
                    for n in pg.evaluate(AXE_JS, [OWN, rules]):
                        report["nodes"].append(dict(n, page=page, screen=screen, mode=mode))
                    report["runs"] += 1
        finally:
            ctx.close()
    report["seconds"] = time.monotonic() - t0
    return report


def test_axe_ran_on_every_page_size_and_mode(axe_report):
    assert axe_report["runs"] == len(toc_pages()) * len(SCREENS) * len(MODES)
    found = axe_report["components"]
    print(f"axe: {axe_report['runs']} runs in {axe_report['seconds']:.0f} s; components checked: {dict(found)}")
    for name in ("player", "compare", "exercise", "figure", "table"):
        assert found[name] > 0, f"no {name} found on any page: the check would prove nothing about it"
    if not found["live panel"]:
        print("no live panel ([data-live]) on any page yet")


def test_whole_page_totals_by_impact_only_go_down(axe_report):
    nodes = axe_report["nodes"]
    total = Counter(n["impact"] for n in nodes)
    by_rule = Counter((n["impact"], n["id"], "own" if n["own"] else "theme") for n in nodes)
    print("axe, whole pages (theme included), nodes by impact over all pages, sizes and modes:",
          {k: total.get(k, 0) for k in WHOLE_PAGE_CEILING})
    for (impact, rule, where), k in sorted(by_rule.items()):
        print(f"  {impact:9} {rule:32} {where:5} {k}")
    over = {k: (total.get(k, 0), c) for k, c in WHOLE_PAGE_CEILING.items() if total.get(k, 0) > c}
    assert not over, f"more axe violations than before (found, ceiling): {over}"


def test_no_critical_or_serious_violation_in_the_books_own_markup(axe_report):
    bad = [n for n in axe_report["nodes"] if n["own"] and n["impact"] in BAD]
    where = defaultdict(list)
    for n in bad:
        where[(n["impact"], n["id"])].append(f"{n['page']} {n['screen']} {n['mode']}: {n['target']} -- {n['why']}")
    assert not bad, "\n".join(f"{k}: {len(v)} nodes, e.g. {v[:3]}" for k, v in where.items())


def test_no_violation_of_any_impact_in_the_books_own_markup(axe_report):
    own = [n for n in axe_report["nodes"] if n["own"]]
    assert not own, [(n["impact"], n["id"], n["page"], n["screen"], n["mode"], n["target"]) for n in own[:10]]


def test_no_two_download_links_of_the_book_share_a_name_for_different_files(book_html):
    """An accessibility tester's finding: chapter 10's two replays of one run (uplink-down, seed 1)
    offered files of 38 and 24 steps under one name, uplink-down-seed-1-cc-reno.pcapng, and one
    accessible name; chapters 1, 2, 3 and 5 three different connection-level-seed-1.pcapng.  Saved
    to one downloads folder, one replaced the other, and a screen reader's list of links could not
    tell them apart.  Over every page and every exercise's replay, a file name, and a link's
    accessible name, stands for one file (a replay of part of its run names its events:
    ``Frames.downloads``)."""
    pages = [book_html / f"{p}.html" for p in toc_pages()] + sorted((book_html / "sx-replays").glob("*.html"))
    by_name, by_label = defaultdict(set), defaultdict(set)
    for page in pages:
        for name, attrs in re.findall(r'<a download="([^"]+)"([^>]*)>', page.read_text(encoding="utf-8")):
            data = re.search(r'(?:data-op1-z|href)="([^"]*)"', attrs)
            label = re.search(r'aria-label="([^"]*)"', attrs)
            assert data and label, (page.name, name, attrs[:200])
            by_name[name].add(data[1])
            by_label[label[1]].add(data[1])
    assert len(by_name) > 50, len(by_name)
    assert not [k for k, v in by_name.items() if len(v) > 1]
    assert not [k for k, v in by_label.items() if len(v) > 1]


def test_citations_become_list_items():
    """docutils' references list: its deprecated doc-biblioentry items become list items (book/op1_a11y.py)."""
    import sys
    sys.path.insert(0, str(ROOT / "book"))
    from op1_a11y import citations_as_list_items
    body = ('<div role="list" class="citation-list">\n<div class="citation" id="id14" role="doc-biblioentry">\n'
            '<span class="label">[1]</span><p>x</p>\n</div>\n</div>')
    out = citations_as_list_items(body)
    assert 'role="doc-biblioentry"' not in out
    assert out.count('role="listitem"') == 1 and '<div class="citation" id="id14" role="listitem">' in out
    assert citations_as_list_items("<p>role=\"doc-biblioentry\" in a sentence</p>") == \
        "<p>role=\"doc-biblioentry\" in a sentence</p>"


def test_icons_hidden_and_fontawesomes_script_left_out():
    """book/op1_icons.py on a page as the theme renders it: the script goes, each empty icon
    element is hidden from assistive technology, and nothing else changes."""
    import sys
    sys.path.insert(0, str(ROOT / "book"))
    from op1_icons import webfont_icons
    page = ('<head>\n  <script defer src="../_static/scripts/fontawesome.js?digest=55c2"></script>\n'
            '  <link rel="preload" as="script" href="../_static/scripts/bootstrap.js?digest=55c2" />\n</head>\n'
            '<a class="right-next" href="07.html"><div>Next</div><i class="fa-solid fa-angle-right"></i></a>\n'
            '<button><span class="fa-solid fa-bars">\n</span></button>\n'
            '<i class="fab fa-github" aria-hidden="true"></i>\n'
            '<span class="fa-note">words, not an icon</span><i>emphasis</i><span class="op1-x"></span>')
    out = webfont_icons(page)
    assert "fontawesome.js" not in out and "bootstrap.js" in out
    assert '<i class="fa-solid fa-angle-right" aria-hidden="true"></i>' in out
    assert '<span class="fa-solid fa-bars" aria-hidden="true">\n</span>' in out
    assert out.count("aria-hidden") == 3        # the one already hidden is left as it was
    assert out.endswith('<span class="fa-note">words, not an icon</span><i>emphasis</i><span class="op1-x"></span>')
    assert webfont_icons(out) == out


# -- the keyboard alone ---------------------------------------------------------------------------

ACTIVE_JS = """sel => { const a = document.activeElement; return !!(a && a.closest(sel) && a.matches(sel)); }"""
INSIDE_JS = """sel => { const a = document.activeElement; return !!(a && a.closest(sel)); }"""

# A focus ring that can be seen: an outline (or, for a ladder row, its band's stroke) at least 2 px.
RING_JS = """() => {
  const a = document.activeElement;
  if (a.matches('.op1-row')) { const b = a.querySelector('.band'), cs = getComputedStyle(b);
    return cs.stroke !== 'none' && parseFloat(cs.strokeWidth) >= 2; }
  const cs = getComputedStyle(a);
  return cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
}"""

# What the page says, from before its first script runs (a context's init script: a player
# starts as the page loads), in ``window.__said`` as [the region's class, its words]: each live
# region (aria-live not "off" -- a player's are quiet while steps come quickly, player.js hush() --
# or a status, alert or log) whose content changed, once per batch of changes.  The same words
# written again count (a new text node: a screen reader says them again; player.js sayAgain()
# counts on it); a region emptied does not (nothing to say), nor one that came into the page with
# its words (as a page's replays do, and a live Run's: not read out for them).
SAID_INIT = """(() => {
  window.__said = [];
  const LIVE = '[aria-live], [role=status], [role=alert], [role=log]';
  const level = r => r.getAttribute('aria-live') || 'polite';
  new MutationObserver(recs => {
    const fresh = new Set(), hit = new Set();
    for (const m of recs) for (const n of m.addedNodes) if (n.nodeType === 1) fresh.add(n);
    const arrived = el => { for (let e = el; e; e = e.parentElement) if (fresh.has(e)) return true; return false; };
    for (const m of recs) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const r = el && el.closest(LIVE);
      if (r && !arrived(r) && level(r) !== 'off') hit.add(r);
    }
    for (const r of hit) {
      const t = r.textContent.trim().replace(/\\s+/g, ' ');
      if (t) window.__said.push([(r.getAttribute('class') || r.tagName.toLowerCase()).split(' ')[0], t]);
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})()"""
WORDS_JS = "e => e.textContent.trim().replace(/\\s+/g, ' ')"
#: How long a player waits after a step by hand before it says it (player.js HUSH, 400 ms), and more.
SAID_MS = 700


def _tab_to(pg, sel, limit=600, js=ACTIVE_JS, back=False):
    for k in range(limit):
        if pg.evaluate(js, sel):
            return k
        pg.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{sel} not reached with {limit} presses of Tab")


def test_chapter_6_by_keyboard_alone(chapter_6):
    """Tab into chapter 6's first player, step it, scroll its ladder, go to a step from the
    ladder, answer an exercise; a focus ring on every stop; each step announced once."""
    _, pg = chapter_6("laptop")
    P = pg.locator("[data-replay]").first
    # the theme's first stop skips to the content
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.textContent.trim().toLowerCase()").startswith("skip")
    pg.keyboard.press("Enter")
    # into the first player: its own stop comes first
    _tab_to(pg, "[data-replay]")
    assert pg.evaluate("document.activeElement === document.querySelector('[data-replay]')")
    assert pg.evaluate(RING_JS), "no visible focus ring on the player"
    assert pg.evaluate("window.__said.splice(0)") == [], "said unasked"
    narr0 = P.locator(".op1-narr").inner_text()
    pg.keyboard.press("ArrowRight")
    assert P.get_attribute("data-step") == "1"
    assert P.locator(".op1-narr").inner_text() != narr0          # shown at once
    pg.wait_for_timeout(SAID_MS)
    said = pg.evaluate("window.__said.splice(0)")
    assert [c for c, _ in said] == ["op1-narr"], ("one step must be announced once", said)
    # its Next button, by Tab, pressed with Enter and with Space, quickly: the step reached said once
    _tab_to(pg, "[data-replay] .op1-bar button[data-act=next]")
    assert pg.evaluate(RING_JS), "no visible focus ring on the Next button"
    pg.keyboard.press("Enter")
    pg.keyboard.press(" ")
    assert P.get_attribute("data-step") == "3"
    pg.wait_for_timeout(SAID_MS)
    said = pg.evaluate("window.__said.splice(0)")
    assert said == [["op1-narr", P.locator(".op1-narr").evaluate(WORDS_JS)]], said
    # the step's place said first, with its narration ("step 4 / 14" under the buttons is not live)
    n = P.get_attribute("data-frames")
    assert said[0][1].startswith(f"Step 4 of {n}. ") and said[0][1].count(" of ") >= 1, said
    # the whole exchange (a checkbox, Space), then the ladder's box scrolls by keyboard
    _tab_to(pg, "[data-replay] input.op1-all-toggle")
    pg.keyboard.press(" ")
    assert P.locator("input.op1-all-toggle").is_checked()
    pg.wait_for_timeout(150)
    _tab_to(pg, "[data-replay] .op1-ladder-scroll")
    assert pg.evaluate(RING_JS), "no visible focus ring on the ladder's box"
    box = P.locator(".op1-ladder-scroll")
    top0 = box.evaluate("e => e.scrollTop")
    assert box.evaluate("e => e.scrollHeight > e.clientHeight"), "the ladder does not scroll"
    pg.keyboard.press("PageDown")
    pg.keyboard.press("ArrowDown")
    pg.wait_for_timeout(300)
    assert box.evaluate("e => e.scrollTop") > top0, "the ladder's box did not scroll"
    assert P.get_attribute("data-step") == "3", "scrolling the ladder must not step the replay"
    # a ladder row: Tab to the current one, ↓ to the next, Enter goes to its step
    _tab_to(pg, "[data-replay] .op1-row")
    assert pg.evaluate("document.activeElement.getAttribute('data-k')") == "3"
    assert pg.evaluate(RING_JS), "no visible focus ring on the ladder row"
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("Enter")
    assert P.get_attribute("data-step") == "5"
    pg.wait_for_timeout(SAID_MS)
    said = pg.evaluate("window.__said.splice(0)")
    assert said == [["op1-narr", P.locator(".op1-narr").evaluate(WORDS_JS)]], said
    # an exercise (the book's own variant): its first choice, by Tab (past the student id
    # field on a shared site); ↓ moves through the choices; Check with Enter
    ex = pg.locator(".sx-exercise").first
    ex_id = ex.get_attribute("id")
    _tab_to(pg, f"#{ex_id} .sx-body input, #{ex_id} .sx-body select", js=INSIDE_JS)
    assert pg.evaluate(RING_JS), "no visible focus ring on the exercise's input"
    kind = pg.evaluate("document.activeElement.type")
    if kind == "radio":
        pg.keyboard.press("Space")
        pg.keyboard.press("ArrowDown")
        assert ex.locator("input:checked").count() == 1
    elif kind == "text":
        pg.keyboard.type("1")
    else:
        pg.keyboard.press("ArrowDown")
    pg.evaluate("window.__said.splice(0)")
    _tab_to(pg, f"#{ex_id} button.sx-check")
    assert pg.evaluate(RING_JS), "no visible focus ring on the Check button"
    pg.keyboard.press("Enter")
    fb = ex.locator(".sx-feedback")
    pg.wait_for_function("id => document.querySelector('#' + id + ' .sx-feedback').textContent.trim()",
                         arg=ex_id, timeout=5_000)
    assert fb.locator("[role=status]").count() == 1 and fb.inner_text().strip()
    # (its verdict, alone: the explanation follows it in the page, not said -- test_phone_reader)
    assert [c for c, _ in pg.evaluate("window.__said")] == ["sx-verdict"], pg.evaluate("window.__said")


def test_a_phones_tabs_by_keyboard(chapter_6):
    """At 390 px the boxes below the network are tabs: ← → move between them (and no longer
    step the replay), each tab controls its panel, one tab stop for the tab list."""
    _, pg = chapter_6("phone")
    P = pg.locator("[data-replay]").first
    P.focus()
    _tab_to(pg, "[data-replay] [role=tab]")
    assert pg.evaluate("document.activeElement.getAttribute('data-tab')") == "ladder"
    assert pg.evaluate(RING_JS), "no visible focus ring on the tab"
    tabs = P.locator(".op1-pane").first.locator("[role=tab]")
    assert [tabs.nth(k).get_attribute("tabindex") for k in range(3)] == ["0", "-1", "-1"]
    for k in range(3):
        t = tabs.nth(k)
        panel = pg.locator(f"#{t.get_attribute('aria-controls')}")
        assert panel.get_attribute("role") == "tabpanel"
        assert panel.get_attribute("aria-labelledby") == t.get_attribute("id")
    step = P.get_attribute("data-step")
    pg.keyboard.press("ArrowRight")
    assert pg.evaluate("document.activeElement.getAttribute('data-tab')") == "state"
    assert tabs.nth(1).get_attribute("aria-selected") == "true"
    assert P.locator(".op1-state-box-wrap").is_visible() and not P.locator(".op1-ladder-box").is_visible()
    # each panel shown may be a tabpanel: no <figure> with its <figcaption> (axe's aria-allowed-role,
    # which a phone reader's axe flagged with the router tables' tab chosen)
    _need_axe()
    pg.add_script_tag(path=str(AXE))
    for k in (0, 2, 1):                         # (the router tables' last, as chosen above)
        tabs.nth(k).evaluate("b => b.click()")
        bad = P.evaluate("""async el => (await axe.run(el, {runOnly: {type: 'rule', values:
          ['aria-allowed-role', 'aria-required-parent', 'aria-required-children', 'aria-prohibited-attr']}}))
          .violations.map(v => v.id + ': ' + v.nodes.map(n => n.html.slice(0, 80)).join(' | '))""")
        assert bad == [], (tabs.nth(k).get_attribute("data-tab"), bad)
    assert P.locator("figure[role=tabpanel]").count() == 0
    tabs.nth(1).evaluate("b => b.focus()")
    pg.keyboard.press("End")
    assert pg.evaluate("document.activeElement.getAttribute('data-tab')") == "pkt"
    assert P.locator(".op1-pkt-wrap").is_visible()
    pg.keyboard.press("ArrowRight")                 # wraps to the first
    assert pg.evaluate("document.activeElement.getAttribute('data-tab')") == "ladder"
    pg.keyboard.press("ArrowLeft")
    pg.keyboard.press("Home")
    assert P.get_attribute("data-step") == step, "the tabs' arrow keys stepped the replay"
    # one stop: Tab leaves the tab list
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.getAttribute('role')") != "tab"
    # at a laptop's width there are no tabs: the boxes are plain groups, not tabpanels
    _, pg = chapter_6("laptop")
    assert pg.locator("[data-replay] [role=tabpanel]").count() == 0
    assert not pg.locator("[data-replay] [role=tab]").first.is_visible()


# A ring drawn by the theme's own rules: an outline, or a box-shadow with a spread of 2 px or more.
ANY_RING_JS = """() => {
  const cs = getComputedStyle(document.activeElement);
  if (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) return true;
  return /\\d+px \\d+px \\d+px [2-9]\\d*px|\\d+px \\d+px \\d+px \\d{2,}px/.test(cs.boxShadow);
}"""


@pytest.mark.parametrize("screen", SCREENS)
def test_every_stop_from_the_top_to_the_chapter_shows_where_the_focus_is(chapter_6, screen):
    """The skip link, the theme's header buttons (sidebars, launch, repository, download, colour
    mode, search) and the navigation: each Tab stop before the chapter's text has a visible
    ring (the header's buttons had none); the colour-mode button's name says the mode."""
    _, pg = chapter_6(screen)
    missing, seen = [], 0
    for _ in range(40):
        pg.keyboard.press("Tab")
        if pg.evaluate("() => !!document.activeElement.closest('article')"):
            break
        seen += 1
        if not pg.evaluate(ANY_RING_JS):
            missing.append(pg.evaluate("() => document.activeElement.outerHTML.slice(0, 120)"))
    assert seen >= 5 and missing == [], missing
    name = pg.locator(".theme-switch-button").first.aria_snapshot()
    assert re.search(r'button "Color mode:\s+(Light|Dark|System Settings)"', name), name


def test_the_pinned_bar_never_covers_the_focused_ladder_row(chapter_6):
    """A phone, the whole exchange shown, the ladder walked down by keyboard: each focused row
    is scrolled into view above the pinned bar, not under it (it once sat under the bar)."""
    _, pg = chapter_6("phone")
    P = pg.locator("[data-replay]").first
    P.locator("input.op1-all-toggle").first.check()
    P.locator(".op1-row[tabindex='0']:visible").first.focus()      # (the ladder shown: a phone's)
    covered = []
    for k in range(16):
        pg.keyboard.press("ArrowDown")
        pg.wait_for_timeout(60)         # the bar shows or hides in the next animation frame
        got = pg.evaluate("""() => {
          const a = document.activeElement, r = a.getBoundingClientRect();
          const f = [...document.querySelectorAll('.op1-float')].find(e => !e.hidden);
          if (!f) return null;
          const b = f.getBoundingClientRect();
          return r.bottom > b.top && r.top < b.bottom ? [a.getAttribute('data-k'), r.top, r.bottom, b.top] : null;
        }""")
        if got:
            covered.append(got)
    assert pg.evaluate("document.activeElement.classList.contains('op1-row')")
    assert covered == [], covered


FLOAT_SHOWN_JS = "e => !e.querySelector('.op1-float').hidden"
BAR_BUTTON_JS = "e => e.querySelector('.op1-bar button').getBoundingClientRect().top"


@pytest.mark.parametrize("screen", ["phone", "laptop"])
def test_the_pinned_bar_shows_while_the_players_buttons_are_under_the_header(chapter_6, screen):
    """The theme's sticky header covers the player's own bar for a while as the reader scrolls
    down into the player: its buttons can't be pressed then, so the pinned bar shows."""
    _, pg = chapter_6(screen)
    P = pg.locator("[data-replay]").first
    # how far down the header covers the page where the player's buttons are (scrolled down to
    # the player: at the page's top the header is taller)
    P.evaluate("e => e.scrollIntoView({block: 'center'})")
    x = P.evaluate("e => { const r = e.querySelector('.op1-bar button').getBoundingClientRect();"
                   " return r.left + r.width / 2; }")
    header = pg.evaluate(f"""() => {{ let y = 0;
        while (y < innerHeight && document.elementFromPoint({x}, y).closest('.bd-header, .bd-header-article')) y++;
        return y; }}""")
    assert header > 20
    y, h = P.evaluate("e => { const r = e.querySelector('.op1-bar button').getBoundingClientRect();"
                      " return [r.top + scrollY, r.height]; }")
    pg.evaluate(f"scrollTo(0, {y} - {header} + {h} + 4)")    # the buttons wholly under the header
    pg.wait_for_timeout(150)
    assert 0 < P.evaluate(BAR_BUTTON_JS) < header - h
    assert P.evaluate(FLOAT_SHOWN_JS)
    pg.evaluate(f"scrollTo(0, {y} - {header} - 60)")         # the buttons just below it: no copy
    pg.wait_for_timeout(150)
    assert P.evaluate(BAR_BUTTON_JS) > header and not P.evaluate(FLOAT_SHOWN_JS)


def test_the_pinned_bar_shows_after_a_jump_past_the_players_bar(chapter_6):
    """Opened at an anchor below the first player, then scrolled back up into it: the bar was
    never crossed by the window's edge, and the pinned bar shows all the same."""
    _, pg = chapter_6("laptop")
    P = pg.locator("[data-replay]").first
    below = P.evaluate("e => e.getBoundingClientRect().bottom + scrollY + 400")
    pg.evaluate(f"scrollTo(0, {below})")                      # a jump: no edge crossed on the way
    pg.wait_for_timeout(150)
    mid = P.evaluate("e => { const r = e.getBoundingClientRect(); return r.top + scrollY + r.height / 2; }")
    pg.evaluate(f"scrollTo(0, {mid} - innerHeight / 2)")
    pg.wait_for_timeout(150)
    assert P.evaluate(BAR_BUTTON_JS) < 0 and P.evaluate(FLOAT_SHOWN_JS)


@pytest.mark.parametrize("chapter", ["02-route-cache", "04-equalize", "06-equalize-nat"])
def test_a_page_says_nothing_until_asked_and_a_step_once(chromium, server, chapter):
    """Each player's first step was said as the page loaded, unasked (~30 ms after the load: its
    first show() wrote the narration again, the same words, into its live region): a chapter
    now says nothing until the reader does something; a step by hand is said once."""
    page = next(p for p in toc_pages() if p.endswith(chapter))
    ctx = _context(chromium, "laptop")
    try:
        pg = ctx.new_page()
        _open(pg, f"{server}/{page}.html")
        pg.wait_for_timeout(SAID_MS)
        unasked = pg.evaluate("window.__said.splice(0)")
        P = pg.locator("[data-replay]").first
        P.focus()
        pg.keyboard.press("ArrowRight")
        pg.wait_for_timeout(SAID_MS)
        stepped = pg.evaluate("window.__said.splice(0)")
        words = P.locator(".op1-narr").evaluate(WORDS_JS)
    finally:
        ctx.close()
    assert unasked == [], unasked
    assert stepped == [["op1-narr", words]], stepped


def test_a_step_by_the_slider_is_said_once_by_the_slider_and_by_next_with_its_place(chapter_6):
    """Moved by its slider, a step was said as the slider's value ("step 4 of 29") and again at
    the head of its narration ("Step 4 of 29. ..."): from the slider, the narration now says
    what happened only; from Next, whose name says no place, it still starts with the place."""
    _, pg = chapter_6("laptop")
    P = pg.locator("[data-replay]").first
    slider = P.locator("input.op1-slider")
    slider.focus()
    pg.keyboard.press("ArrowRight")
    pg.wait_for_timeout(SAID_MS)
    by_slider = pg.evaluate("window.__said.splice(0)")
    assert slider.get_attribute("aria-valuetext") == f"step 2 of {int(slider.get_attribute('max')) + 1}"
    assert by_slider and not any(re.search(r"Step \d+ of \d+", t) for _, t in by_slider), by_slider
    P.locator(".op1-bar button[data-act=next]").click()
    pg.wait_for_timeout(SAID_MS)
    by_next = pg.evaluate("window.__said.splice(0)")
    assert any(t.startswith("Step 3 of ") for _, t in by_next), by_next


def test_the_pinned_bar_hands_the_focus_to_the_players_bar_as_it_hides(chapter_6):
    """A pinned button that had the focus as the pinned bar hid (the player's own bar scrolled
    back into view) took the focus with it, to the page: the next Tab went to the page's top.
    It goes to the same button of the player's own bar, and the page is not scrolled for it."""
    _, pg = chapter_6("laptop")
    P = pg.locator("[data-replay]").first
    P.locator(".op1-ladder-box").evaluate("e => e.scrollIntoView({block: 'start'})")
    pg.wait_for_timeout(150)
    assert P.evaluate(FLOAT_SHOWN_JS)
    P.locator(".op1-float button[data-act=next]").focus()
    pg.keyboard.press("Enter")
    assert P.get_attribute("data-step") == "1"
    y = P.evaluate("e => e.getBoundingClientRect().top + scrollY") - 200
    pg.evaluate(f"scrollTo(0, {y})")                          # the player's own bar in view
    pg.wait_for_timeout(150)
    assert not P.evaluate(FLOAT_SHOWN_JS)
    assert pg.evaluate("document.activeElement.closest('.op1-bar') !== null && "
                       "document.activeElement.getAttribute('data-act')") == "next"
    assert abs(pg.evaluate("scrollY") - y) <= 1
    pg.keyboard.press("Enter")                                # still the player's, from its own bar
    assert P.get_attribute("data-step") == "2"
    pg.keyboard.press("Tab")
    assert pg.evaluate("!!document.activeElement.closest('[data-replay]')")


def test_more_opens_the_narration_by_keyboard_and_says_so(chapter_6):
    """The narration's "more ↓" scrolled it (smoothly, even for a reader who asked for less
    motion); it is a button now, which opens the box whole: Enter on it opens it and says so
    (aria-expanded), and the replay does not step.  Each such button names its box: a list of
    the page's buttons read "more" three times a player."""
    _, pg = chapter_6("phone")
    P = pg.locator("[data-replay]").first
    b = P.locator(".op1-narr + .op1-more > button")
    nb = P.locator(".op1-narr")
    nb.evaluate("e => { e.style.minHeight = '0'; e.style.maxHeight = '20px'; e.scrollTop = 0; e.dispatchEvent(new Event('scroll')); }")
    pg.wait_for_function("e => e.hasAttribute('data-more')", arg=nb.element_handle())
    names = P.locator(".op1-more-b").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert names == ["more of the narration", "more of the tables' changes", "more of the packet"], names
    assert P.get_by_role("button", name="more of the narration", exact=True).count() == 1
    step = P.get_attribute("data-step")
    b.focus()
    pg.keyboard.press("Enter")
    pg.wait_for_function("e => e.getAttribute('aria-expanded') === 'true'", arg=b.element_handle())
    assert nb.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), "open, the narration still scrolls"
    assert P.get_attribute("data-step") == step and b.text_content() == "less ↑"
    assert P.get_by_role("button", name="less of the narration", exact=True).count() == 1


def test_the_router_tables_and_the_network_are_read_as_text(chromium, server):
    """A screen reader reads the router's tables and the network of a step, not an image named
    "router state": the network is a group whose text is in the accessibility tree; the router's
    tables are tables (state.text_tables: captions, column headers, a row per entry), in the
    order the diagram shows them, and the diagram itself is hidden from it."""
    page = next(p for p in toc_pages() if p.endswith("05-nat"))
    ctx = _context(chromium, "laptop")
    try:
        pg = ctx.new_page()
        _open(pg, f"{server}/{page}.html")
        P = pg.locator("[data-replay]").first
        for _ in range(6):
            P.locator(".op1-bar button[data-act=next]").click()
        tables = P.locator(".op1-state-box").aria_snapshot()
        assert P.locator(".op1-state-box svg").get_attribute("aria-hidden") == "true"
        assert '- group "router tables":' in tables, tables[:80]
        order = [re.search(rf'table "{re.escape(t)}', tables) for t in ("Route cache", "Routing table", "Uplinks",
                                                                      "Conntrack / NAT")]
        assert all(order) and [m.start() for m in order] == sorted(m.start() for m in order), tables
        assert 'columnheader "route"' in tables and 'columnheader "provider\'s ingress filter"' in tables, tables
        assert 'columnheader "dev"' in tables and 'cell "192.168.0.1 → 200.0.0.1 iif eth0"' in tables, tables
        # every column headed: the route cache's and conntrack's first (a mark's word, an
        # entry's number) had a blank heading cell (state.UNHEADED)
        assert 'columnheader "this step"' in tables and 'columnheader "entry, this step"' in tables, tables
        assert 'cell ""' not in tables.split('table "Routing table')[0], tables
        assert re.search(r'row "([A-Z]+ )*ct 1 192\.168\.0\.1:5000 → 200\.0\.0\.1:80', tables), tables
        net = P.locator(".op1-topo-scroll svg:not(.op1-topo-n)").aria_snapshot()
        assert re.match(r"""- '?group "Network: [^"]*uplink2 sent \d+, received \d+""", net) and "uplink2: if2 150.0.0.1" in net, net
    finally:
        ctx.close()


# Headings in an article, in order: [level, text, whether it is a replay's title].
HEADINGS_JS = """() => Array.from(document.querySelectorAll('article.bd-article :is(h1,h2,h3,h4,h5,h6)'))
  .map(e => [parseInt(e.tagName[1], 10), e.textContent.trim().slice(0, 60), e.classList.contains('op1-title')])"""


def test_a_replays_title_is_a_heading_under_its_section(chapter_6):
    """Heading navigation reaches each of the chapter's replays (their titles were plain lines;
    only the live panel's replays had one): one level under the heading before it, so the page's
    outline never skips a level."""
    _, pg = chapter_6("laptop")
    heads = pg.evaluate(HEADINGS_JS)
    titles = pg.evaluate("Array.from(document.querySelectorAll('article.bd-article .op1-title'))"
                         ".map(e => e.tagName)")
    assert titles and all(t in ("H2", "H3", "H4", "H5", "H6") for t in titles), titles
    assert sum(t for *_, t in heads) == len(titles)
    section = heads[0][0]
    for (a, _, _), (b, text, replay) in zip(heads, heads[1:]):
        assert b <= a + 1, (a, b, text)                                 # no level skipped
        if replay:
            assert b == section + 1, (section, b, text)                 # under its section's heading
        else:
            section = b


def test_each_exercises_buttons_say_which_exercise_and_a_bad_answer_its_message(chapter_6):
    """Chapter 6 has three exercises, each with a Check and an Export: each button is described by
    its exercise's heading.  A typed answer that is not a number is marked invalid and described
    by the message saying so; a fixed one is neither."""
    _, pg = chapter_6("laptop")
    described = pg.evaluate("""() => Array.from(document.querySelectorAll('.sx-exercise')).map(ex =>
        Array.from(ex.querySelectorAll('button.sx-check, button.sx-export')).map(b => {
          const d = document.getElementById(b.getAttribute('aria-describedby'));
          return !!d && d === ex.querySelector('h3'); }))""")
    assert len(described) >= 2 and all(d == [True, True] for d in described), described
    ex = pg.locator(".sx-exercise:has(input.sx-input)").first
    box = ex.locator("input.sx-input")
    box.fill("many")
    ex.locator("button.sx-check").click()
    pg.wait_for_function("e => e.getAttribute('aria-invalid') === 'true'", arg=box.element_handle(), timeout=5_000)
    said = box.evaluate("e => (document.getElementById(e.getAttribute('aria-describedby')) || {}).textContent")
    assert said and said == ex.locator(".sx-feedback").inner_text(), said
    box.fill("3")
    ex.locator("button.sx-check").click()
    pg.wait_for_function("e => !e.hasAttribute('aria-invalid')", arg=box.element_handle(), timeout=5_000)
    assert box.get_attribute("aria-describedby") is None


def test_enter_on_a_choice_checks_it_as_enter_in_a_typed_box_does(chapter_6):
    """Enter in a typed answer's box checked it; Enter on a chosen radio did nothing (a student's
    finding): a keyboard user had to Tab on to Check.  It checks now."""
    _, pg = chapter_6("laptop")
    ex = pg.locator(".sx-exercise:has(.sx-choices input[type=radio])").first
    radio = ex.locator(".sx-choices input[type=radio]").first
    radio.check()
    radio.focus()
    pg.keyboard.press("Enter")
    pg.wait_for_function("e => e.textContent.trim() !== ''", arg=ex.locator(".sx-feedback").element_handle(),
                         timeout=5_000)
    assert pg.evaluate("document.activeElement.type") == "radio"


def test_a_check_with_no_choice_marks_the_choices_invalid_until_one_is_made(chapter_6):
    """Check with no radio chosen said "Choose or type an answer first." and left the radios
    as they were, where a typed box is marked invalid (WCAG 3.3.1): each radio now is, described
    by the message, until a choice is checked."""
    _, pg = chapter_6("laptop")
    ex = pg.locator(".sx-exercise:has(.sx-choices input[type=radio])").first
    ex.locator("button.sx-check").click()
    radios = ex.locator(".sx-choices input[type=radio]")
    pg.wait_for_function("e => e.getAttribute('aria-invalid') === 'true'", arg=radios.first.element_handle(),
                         timeout=5_000)
    states = radios.evaluate_all("rs => rs.map(r => [r.getAttribute('aria-invalid'), "
                                 "(document.getElementById(r.getAttribute('aria-describedby')) || {}).textContent])")
    assert len(states) >= 2 and all(st == ["true", "Choose or type an answer first."] for st in states), states
    radios.first.check()
    ex.locator("button.sx-check").click()
    pg.wait_for_function("e => !e.hasAttribute('aria-invalid')", arg=radios.first.element_handle(), timeout=5_000)
    assert radios.evaluate_all("rs => rs.filter(r => r.hasAttribute('aria-invalid') || "
                               "r.hasAttribute('aria-describedby')).length") == 0


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_sidebar_toggles_a_reader_sees_open_and_hide_the_sidebars(chromium, server, screen):
    """The theme binds only the first .primary-toggle and .secondary-toggle of a page
    (pydata-sphinx-theme 0.17, its issue #2451), a hidden one in the top bar: the article
    header's, which a reader sees, did nothing -- on a phone the chapters' list and the page's
    contents could not be opened.  Pressed by keyboard here: on a phone each opens its dialog,
    on a laptop the primary one hides the chapters' list and shows it again."""
    ctx, pg = _chapter(chromium, server, "06-equalize-nat", screen)
    try:
        toggles = {k: pg.locator(f".{k}-toggle").filter(visible=True) for k in ("primary", "secondary")}
        assert toggles["primary"].count() == 1, "no visible toggle of the chapters' list"
        if screen == "phone":
            for k, dialog in (("primary", "#pst-primary-sidebar-modal"), ("secondary", "#pst-secondary-sidebar-modal")):
                if toggles[k].count() == 0:
                    continue
                toggles[k].first.focus()
                pg.keyboard.press("Enter")
                pg.wait_for_function("s => document.querySelector(s).open", arg=dialog, timeout=5_000)
                pg.keyboard.press("Escape")
                pg.wait_for_function("s => !document.querySelector(s).open", arg=dialog, timeout=5_000)
        else:
            side = pg.locator("#pst-primary-sidebar")
            assert side.is_visible()
            toggles["primary"].first.focus()
            pg.keyboard.press("Enter")
            pg.wait_for_function("() => document.querySelector('#pst-primary-sidebar')"
                                 ".classList.contains('pst-sidebar-hidden')", timeout=5_000)
            assert not pg.evaluate("document.querySelector('#pst-primary-sidebar-modal').open")
            pg.keyboard.press("Enter")
            pg.wait_for_function("() => !document.querySelector('#pst-primary-sidebar')"
                                 ".classList.contains('pst-sidebar-hidden')", timeout=5_000)
    finally:
        ctx.close()


def test_a_packets_field_names_head_their_rows(chapter_6):
    """The packet pane: each field's name is its row's header (a screen reader says it with the
    value), and IP's flags, none set, say "none" (the cell was empty).  Each layer's table is
    captioned, and a changed field's row header is its name, its mark (◆) for the eye only (an
    accessibility tester heard "diamond ttl")."""
    _, pg = chapter_6("laptop")
    P = pg.locator("[data-replay]").first
    tables = P.locator(".op1-pkt-box").aria_snapshot()
    assert 'rowheader "flags"' in tables and 'rowheader "sport"' in tables, tables
    ip = P.locator(".op1-pkt-box table.op1-diss").first.aria_snapshot()
    assert re.search(r'rowheader "flags"\n\s*- cell "none"', ip), ip
    # each table captioned by its layer, whose name heads its columns; a changed field's row read
    # by its name, not its mark's glyph ("diamond ttl")
    assert ip.startswith('- table "IP header":\n  - caption: IP header\n') and 'columnheader "IP"' in ip, ip
    for _ in range(12):
        if P.locator(".op1-pkt-box tr.op1-chg").count():
            break
        P.locator(".op1-bar button[data-act=next]").click()
    ip = P.locator(".op1-pkt-box table.op1-diss").first.aria_snapshot()
    assert re.search(r'row "ttl \d+ was \d+":\n\s*- rowheader "ttl"\n', ip) and "◆" not in ip, ip
    assert P.locator(".op1-pkt-box tr.op1-chg th").first.inner_text().startswith("◆ ")      # (the eye's mark)


def test_a_tables_numbers_and_headers_never_break_on_a_phone(chapter_6):
    """A phone reader's finding: ``overflow-wrap:anywhere`` on every paragraph let each column of a
    table shrink to one character -- chapter 6's Monte Carlo table showed "2000" a digit a line
    and "failed" as "fa il e d".  At 360 px every cell's words are whole (no word spread over
    lines), the table scrolls in its own box, and the page is no wider than the screen."""
    ctx, pg = chapter_6("phone")
    pg.set_viewport_size({"width": 360, "height": 740})
    pg.wait_for_timeout(200)
    broken = pg.evaluate("""() => {
      const out = [];
      for (const cell of document.querySelectorAll('article.bd-article table :is(td,th)')) {
        // a word broken inside: its letters drawn on more than one line
        const r = document.createRange();
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
          // a word: what lies between two places a line may break (spaces, after a dash)
          const re = /[^\\s\u2013\u2014-]+/g; let m;
          while ((m = re.exec(t.data))) {
            r.setStart(t, m.index); r.setEnd(t, m.index + m[0].length);
            const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
            if (rects.length > 1) out.push(m[0]);
          }
        }
      }
      return out;
    }""")
    tables = pg.eval_on_selector_all("article.bd-article table", "e => e.length")
    assert tables >= 2                      # chapter 6 has its Monte Carlo and cost tables
    assert not broken, f"words broken over lines in table cells at 360 px: {broken[:12]}"
    assert pg.evaluate("document.documentElement.scrollWidth") <= 360


def test_each_dropdowns_button_is_named_by_its_title(chromium, server):
    """A keyboard reader's finding: the eight capture dropdowns of chapter 9 each had a button
    named "Toggle hidden content", so a screen reader's list of buttons could not tell them
    apart.  Each button is named by its box's title."""
    page = next(p for p in toc_pages() if p.endswith("09-modern-linux"))
    ctx = _context(chromium, "laptop")
    try:
        pg = ctx.new_page()
        _open(pg, f"{server}/{page}.html")
        pg.wait_for_function("document.querySelectorAll('.toggle-button').length > 0")
        pg.wait_for_timeout(100)
        names = pg.eval_on_selector_all(".toggle-button", "bs => bs.map(b => b.getAttribute('aria-label'))")
    finally:
        ctx.close()
    assert len(names) >= 3
    assert all(n and n.startswith("Show or hide: ") and len(n) > len("Show or hide: ") + 3 for n in names), names
    assert len(set(names)) == len(names), names


def _chapter(chromium, server, ending, screen="laptop"):
    page = next(p for p in toc_pages() if p.endswith(ending))
    ctx = _context(chromium, screen)
    pg = ctx.new_page()
    _open(pg, f"{server}/{page}.html")
    return ctx, pg


def test_at_320_px_an_exercises_answer_box_wraps_instead_of_scrolling(chromium, server):
    """A low-vision reader's finding (WCAG 1.4.10, reflow at 400 % zoom = 320 CSS px): chapter
    10's "Your answer [box] a percentage (%)" label was one flex line 300 px wide, so its
    notebook output box scrolled sideways and the scrolled state cut "Your answer" off.  At
    320x256 no exercise, nor the output box around it, is wider than its box."""
    ctx, pg = _chapter(chromium, server, "10-two-links")
    try:
        pg.set_viewport_size({"width": 320, "height": 256})
        pg.wait_for_timeout(200)
        wide = pg.evaluate("""() => Array.from(document.querySelectorAll('.sx-exercise')).flatMap(x => {
            const out = [];
            for (let e = x; e && !e.matches('article'); e = e.parentElement)
              if (e.scrollWidth > e.clientWidth + 1) out.push((x.querySelector('h3') || x).textContent.slice(0, 60)
                                                               + ' | ' + e.tagName + '.' + e.className);
            return out; })""")
        exercises = pg.eval_on_selector_all(".sx-exercise", "e => e.length")
    finally:
        ctx.close()
    assert exercises >= 3
    assert not wide, wide


def test_in_the_dark_theme_a_figure_that_fits_does_not_scroll(chromium, server):
    """The theme's dark mode pads every image by 8 px: chapter 4's second figure (653 px in its
    656 px box) then scrolled sideways, became a Tab stop and faded its right edge.  In both
    modes at a laptop's size, no figure box scrolls whose image is drawn at its own width."""
    ctx, pg = _chapter(chromium, server, "04-equalize")
    try:
        pg.add_style_tag(content=NO_FADES)
        out = {}
        for mode in MODES:
            pg.evaluate(MODE_JS, mode)
            pg.wait_for_timeout(100)
            out[mode] = pg.eval_on_selector_all(
                ".bl-wide .bl-scroll", "bs => bs.map(b => [b.scrollWidth, b.clientWidth])")
    finally:
        ctx.close()
    assert len(out["light"]) >= 2, out
    for mode, boxes in out.items():
        assert all(sw <= cw for sw, cw in boxes), (mode, boxes)


def test_an_exercises_text_follows_the_readers_font_size(chromium, server):
    """A reader who sets a larger default font in the browser (low vision) got the book's text
    at that size and the exercises' at fixed pixel sizes (15, 13, 12 px).  With the root font
    size doubled, an exercise's text, its notes and its buttons double too."""
    ctx, pg = _chapter(chromium, server, "10-two-links")
    try:
        sizes = {}
        for root in ("100%", "200%"):
            pg.evaluate("r => document.documentElement.style.fontSize = r", root)
            pg.wait_for_timeout(100)
            sizes[root] = pg.evaluate("""() => ['.sx-exercise', '.sx-exercise .sx-meta', '.sx-exercise button']
                .map(s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))""")
    finally:
        ctx.close()
    assert all(b >= 1.9 * a for a, b in zip(sizes["100%"], sizes["200%"])), sizes


def test_a_box_a_few_px_too_narrow_is_out_of_the_tab_order(chapter_6):
    """At 1280 px the packet pane's box held 395 px in 391: too little to be a keyboard stop
    (player.js), but Chromium puts any scroller without a tabindex in the Tab order itself,
    unnamed, so Tab reached it and a screen reader read the whole packet dump as its name.
    Every player box that overflows without being a stop is tabindex -1."""
    ctx, pg = chapter_6("laptop")
    seen = []
    for width in (1280, 1366, 1100):
        pg.set_viewport_size({"width": width, "height": 800})
        pg.wait_for_timeout(300)
        seen += pg.evaluate("""() => [...document.querySelectorAll('.op1-kscroll')].filter(b => b.offsetParent)
          .map(b => [b.className, b.scrollWidth - b.clientWidth, b.scrollHeight - b.clientHeight,
                     b.getAttribute('tabindex'), b.getAttribute('aria-label')])""")
    bad = [b for b in seen if (b[1] > 0 or b[2] > 0) and b[3] is None]
    assert not bad, bad
    assert all(b[3] == "0" and b[4] for b in seen if b[1] > 8 or b[2] > 8), seen
