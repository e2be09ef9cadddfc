"""A first-year student read chapters 0-7 on a phone (360x740, then 320x640): what was cut, pushed
away or too small, measured in the built book (``_build/html``) in headless Chromium -- a phone's
viewport (touch, twice the pixels) and, where the fix must leave a laptop as it was or better,
1366x768.

- a code block's long line wraps under a hanging indent instead of being cut at the box's edge
  ("iptables ... -o if1" hid "-j MASQUERADE"); one of aligned columns keeps its lines and scrolls,
  faded at the edge it scrolls to, as a wide code block does on a laptop;
- a table's last column keeps 12em only where it holds sentences (a column of "9" and "0" took
  192 px and pushed the table past its box);
- chapter 6's summary and Monte Carlo tables are a card a row on a phone, still tables to a screen
  reader;
- a right answer's replay in its frame: the whole width of the exercise's box, its pinned step
  counter whole on a 320 px phone;
- a laptop: the pinned step bar rides up with the player's foot once the player ends above the
  window's foot (it covered the beginning of what follows chapter 10's replay);
- a phone's narration box holds five lines, not the replay's tallest narration, and says "more"
  when a step's is longer;
- a phone's router tables start as text;
- a live panel's checkbox labels are 32 px tall targets.
"""
from __future__ import annotations

import re
import sys
from urllib.parse import urlparse

import pytest

from test_book import CARDS_JS, ROOT, book_html, server  # noqa: F401

PHONES = [(320, 640), (360, 740)]
LAPTOP = (1366, 768)


def _page(chromium, server, page: str, w: int, h: int):
    """``page`` (``05-nat``) at ``w`` x ``h`` -- a phone's (touch, twice the pixels) below 800 px --
    from the test's server only, its replays started: (context, page)."""
    phone = w < 800
    ctx = chromium.new_context(viewport={"width": w, "height": h}, is_mobile=phone, has_touch=phone,
                               device_scale_factor=2 if phone else 1, service_workers="block")
    ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
    pg = ctx.new_page()
    pg.goto(f"{server}/book/{page}.html", wait_until="load")
    pg.wait_for_function("Array.from(document.querySelectorAll('[data-replay]'))"
                         ".every(e => e.hasAttribute('data-op1-live'))", timeout=30_000)
    pg.wait_for_timeout(100)
    return ctx, pg


def _frame(pg):
    pg.evaluate("() => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))")


# -- code blocks -----------------------------------------------------------------------------------

# Each code block of the article: whether it scrolls sideways, its text as the page reads it and
# as written, and for each of its lines (as written) the left edge of each row it is laid out in
# that has a character, from the left edge of the block's text.
CODE_JS = r"""() => Array.from(document.querySelectorAll('article.bd-article div.highlight > pre'))
  .filter(p => p.getBoundingClientRect().height && !p.closest('.dropdown')).map(p => {
  const text = p.textContent, rows = [], r = document.createRange();
  const x0 = p.getBoundingClientRect().left + p.clientLeft + parseFloat(getComputedStyle(p).paddingLeft);
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  let line = 0, tops = {};
  rows.push([]);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (let i = 0; i < n.data.length; i++) {
      if (n.data[i] === '\n') { line += 1; rows.push([]); continue; }
      if (n.data[i] === ' ' || n.data[i] === '\t') continue;
      r.setStart(n, i); r.setEnd(n, i + 1);
      const b = r.getClientRects()[0];
      if (!b) continue;
      const key = line + ':' + Math.round(b.top);
      if (!(key in tops)) { tops[key] = b.left; rows[line].push(Math.round(b.left - x0)); }
    }
  }
  return {first: text.split('\n')[0].slice(0, 60), scrolls: p.scrollWidth > p.clientWidth + 1, cols: p.classList.contains('op1-cols'),
          same: p.innerText.replace(/\n+$/, '') === text.replace(/\n+$/, ''), rows: rows,
          mask: getComputedStyle(p).maskImage || getComputedStyle(p).webkitMaskImage || 'none'};
})"""


@pytest.mark.parametrize("screen", PHONES)
def test_on_a_phone_a_code_blocks_long_line_wraps_under_a_hanging_indent(chromium, server, screen):
    """At 360 px chapter 5's "The rules that set it up" showed `iptables -t nat -A POSTROUTING -o
    if1` at the box's edge, its `-j MASQUERADE` past it (462 px in a 328 px box) with nothing to
    say there was more; chapter 1's `ip route add ... dev i`, chapter 4's `ip route add ...`
    likewise.  On a phone no code block of chapters 1 to 5 scrolls sideways: a line too long for
    the box goes on in the rows below it, each indented past the line's own start, so that a
    wrapped part never reads as a line of its own; the text is as written (the page's text, the
    copy button's, has no line break the wrapping made)."""
    w, h = screen
    seen, bad = 0, []
    for page in ("01-network", "04-equalize", "05-nat"):
        ctx, pg = _page(chromium, server, page, w, h)
        try:
            blocks = pg.evaluate(CODE_JS)
        finally:
            ctx.close()
        for b in blocks:
            seen += 1
            where = f"{page}: {b['first']!r}"
            if b["scrolls"] or b["cols"] or not b["same"]:
                bad.append(f"{where}: scrolls {b['scrolls']}, columns {b['cols']}, text as written {b['same']}")
            for line in b["rows"]:
                if len(line) > 1 and min(line[1:]) < 20:
                    bad.append(f"{where}: a wrapped row at {line[1:]} px from the block's left, its line at {line[0]} px")
        if page == "05-nat":
            rules = [b for b in blocks if b["first"].startswith("iptables -t nat -A POSTROUTING -o if1 -j MASQUERADE")]
            assert rules and len(rules[0]["rows"][0]) >= 2, rules        # it did wrap: this shows something
    assert seen >= 6, seen
    assert not bad, bad


def test_a_code_block_of_aligned_columns_keeps_its_lines_and_fades_where_it_scrolls(chromium, server):
    """Wrapped, a block whose lines are columns aligned with spaces would lose its columns: the
    instructor guide's script with its comments aligned at the right keeps its lines on a phone
    and scrolls sideways, faded at the edge it scrolls to, as a wide table does; so does a code
    block too wide for a laptop's column (chapter 10's nftables rules, up to 1364 px in a 757 px
    box), which showed its cut letters at the box's edge as if the line ended there."""
    ctx, pg = _page(chromium, server, "instructor-guide", 360, 740)
    try:
        phone = [b for b in pg.evaluate(CODE_JS) if b["cols"]]
    finally:
        ctx.close()
    ctx, pg = _page(chromium, server, "10-two-links", *LAPTOP)
    try:
        laptop = [b for b in pg.evaluate(CODE_JS) if b["scrolls"]]
    finally:
        ctx.close()
    assert phone, "no block of aligned columns found"
    for b in phone:
        assert b["scrolls"] and all(len(line) <= 1 for line in b["rows"]), b["first"]
        assert "gradient" in b["mask"], b
    # (chapter 10's recipe now wraps at 64 columns: a laptop may find no block that scrolls)
    assert all("gradient" in b["mask"] for b in laptop), [(b["first"], b["mask"]) for b in laptop]


# -- tables --------------------------------------------------------------------------------------

TABLES_JS = r"""() => Array.from(document.querySelectorAll('article.bd-article .pst-scrollable-table-container > table'))
  .filter(t => t.getBoundingClientRect().height).map(t => {
  const box = t.parentElement, last = Array.from(t.rows).map(r => r.cells[r.cells.length - 1]);
  return {head: Array.from(t.rows[0].cells).map(c => c.textContent.trim()), box: box.clientWidth,
          width: Math.round(t.getBoundingClientRect().width), cards: t.classList.contains('op1-cards'),
          last: Math.round(last[0].getBoundingClientRect().width)};
})"""


def _tables(chromium, server, page, w, h):
    ctx, pg = _page(chromium, server, page, w, h)
    try:
        return {t["head"][0]: t for t in pg.evaluate(TABLES_JS)}
    finally:
        ctx.close()


def test_a_tables_last_column_keeps_a_readable_width_only_for_sentences(chromium, server):
    """On a phone every table's last column was at least 12em (192 px) wide, whatever it held:
    chapter 6's "ignored" column of "9" and "0" pushed "segments received" to the box's edge (403
    px in 328), chapter 1's addresses table was 364 px, chapter 3's table of ports and speeds 464
    px.  A last column of figures and names is as wide as it needs; one of sentences -- what the
    remote host saw (chapter 9), why (chapter 6's summary) -- keeps its readable width between a
    phone's cards and a laptop's column (94 px had one word a line, tables 2800 px tall)."""
    phone = {**_tables(chromium, server, "06-equalize-nat", 360, 740),
             **_tables(chromium, server, "01-network", 360, 740),
             **_tables(chromium, server, "03-connection-level", 360, 740)}
    for first in ("source endpoint", "host"):
        t = phone[first]
        assert t["width"] <= t["box"] + 1, t
    flashget = phone["uplink"]
    assert flashget["last"] < 120 and flashget["width"] < 360, flashget
    mid = {**_tables(chromium, server, "06-equalize-nat", 600, 800),
           **_tables(chromium, server, "09-modern-linux", 600, 800)}
    prose = [t for t in mid.values() if t["head"][-1] in ("why", "what the remote host saw")]
    assert prose, list(mid)     # chapter 9's "what the remote host saw" is now a side-by-side table
    assert all(t["last"] >= 190 for t in prose), prose


@pytest.mark.parametrize("screen", PHONES)
def test_chapter_6s_summary_and_monte_carlo_tables_are_cards_on_a_phone(chromium, server, screen):
    """Chapter 6's summary (395 px in a 328 px box, every "why" cut at the box's edge) and its Monte
    Carlo table (722 px: handshake_ok, completed late and failed off the screen) are a card a row
    on a phone, as chapters 8-10's tables of records: the row's first cell its heading (the Monte
    Carlo's "uplinks n: 2", not a bare "2"), each other cell whole in the box after its column's
    name; nothing scrolls sideways.  A screen reader still reads a table, with its headers."""
    w, h = screen
    ctx, pg = _page(chromium, server, "06-equalize-nat", w, h)
    try:
        tables = {t["head"][0]: t for t in pg.evaluate(CARDS_JS)}
        heads = pg.evaluate("""() => Array.from(document.querySelectorAll('article table.op1-cards')).map(t =>
            Array.from(t.tBodies[0].rows).map(r => { const th = r.cells[0], p = th.querySelector('p');
              return [getComputedStyle(th, '::before').content, th.textContent.trim(),
                      Math.round(p.getClientRects()[0].left - th.getBoundingClientRect().left - parseFloat(getComputedStyle(th).paddingLeft))]; }))""")
        aria = pg.locator("article table.op1-cards").last.aria_snapshot()
    finally:
        ctx.close()
    assert {"NAT model", "uplinks n"} <= set(tables), list(tables)
    bad = []
    for name in ("NAT model", "uplinks n"):
        t = tables[name]
        if t["scrolls"]:
            bad.append(f"{name}: scrolls sideways")
        for r in t["rows"]:
            if r["head"] != "TH/row" or r["out"] or not r["under"] or r["blank"] > 8:
                bad.append(f"{name}: {r}")
            if r["labels"] != [f'"{n}: " / ""' for n in r["names"]] or r["names"] != t["head"][1:]:
                bad.append(f"{name}: {r['name']}: labels {r['labels']}")
    assert not bad, bad[:6]
    mc = next(rows for rows in heads if rows[0][1] == "2")
    # "uplinks n: " drawn before the figure, on its line (the figure starts right of it, not under it)
    assert [r[0] for r in mc] == ['"uplinks n: " / ""'] * 3 and all(r[2] > 40 for r in mc), mc
    summary = next(rows for rows in heads if rows[0][1].startswith("none"))
    assert all(r[0] == "none" for r in summary), summary
    for want in ('columnheader "why"', 'rowheader "article"', 'cell "< 1'):
        assert want in aria, aria[:600]


def test_on_a_laptop_chapter_6s_card_tables_are_tables_as_before(chromium, server):
    """At 1366x768 the two tables keep their header row and their cells side by side; nothing is
    drawn before a cell or a row's heading."""
    ctx, pg = _page(chromium, server, "06-equalize-nat", *LAPTOP)
    try:
        tables = {t["head"][0]: t for t in pg.evaluate(CARDS_JS)}
        before = pg.evaluate("""() => Array.from(document.querySelectorAll('article table.op1-cards tbody th'))
            .map(th => getComputedStyle(th, '::before').content)""")
        thead = pg.evaluate("""() => Array.from(document.querySelectorAll('article table.op1-cards thead'))
            .map(h => h.getBoundingClientRect().height)""")
    finally:
        ctx.close()
    for name in ("NAT model", "uplinks n"):
        for r in tables[name]["rows"]:
            assert r["inRow"] and all(x == "none" for x in r["labels"]), (name, r)
    assert before and set(before) == {"none"}, before
    assert all(x > 20 for x in thead), thead


def _booklib():
    from helpers import load_booklib
    return load_booklib()


def test_any_table_can_be_made_cards_and_a_less_than_sign_is_text():
    """``cards(always=True)``: a table of three columns or of short cells is made the cards' HTML
    too; ``row_label``: each row's heading carries its column's name (drawn before it on a phone);
    a verdict's "< 1" is a less-than sign, not HTML the cards would not render.  Without
    ``always`` such a table stays Markdown, as before."""
    bl = _booklib()
    text = bl.table([{"NAT model": "`article`", "1 + 1": "< 1 (0.77)", "why": "the server's one endpoint"}])
    assert bl.cards(text) is None
    out = bl.cards(text, always=True)
    assert out and 'class="table op1-cards"' in out
    assert '<td data-label="1 + 1"><p>&lt; 1 (0.77)</p></td>' in out, out
    assert '<th scope="row"><p><code' in out                 # no label: the heading alone
    assert "the server’s one endpoint" in out
    nums = bl.cards(bl.table([{"uplinks n": 2, "runs": 2000, "the SYN's uplink": 978}]), always=True, row_label=True)
    assert '<th scope="row" data-label="uplinks n"><p>2</p></th>' in nums, nums
    assert 'data-label="the SYN’s uplink"' in nums, nums     # as the header reads it
    assert bl.cards("<b>x</b>", always=True) is None
    assert bl.cards(bl.table([{"a": "<b>bold</b>", "b": 1}]), always=True) is None


# -- a right answer's replay ------------------------------------------------------------------------

def test_at_320_px_a_right_answers_replay_fills_the_box_and_its_pinned_counter_is_whole(chromium, server):
    """At 320x640 the replay a right answer opens (chapter 4's "where does the next packet go?")
    sat in a 253 px frame inside the exercise's padding, and scrolled inside it, its pinned step
    bar's counter was cut at the frame's edge ("12 / 13" read "12").  The frame takes the box's
    whole width inside its borders, and the pinned bar that does not fit it puts its counter on a
    line of its own: whole, clear of the buttons, in the frame."""
    from sim.exercises import instance
    from sim.exercises.model import normalise
    from sim.exercises.variants import BOOK_STUDENT
    inst = instance("eq-next", BOOK_STUDENT, secret="")
    right = next(c for c in inst.choices if normalise(c, inst.form) == inst.answer)
    ctx, pg = _page(chromium, server, "04-equalize", 320, 640)
    try:
        root = pg.locator('[data-exercise="eq-next"]')
        root.locator(f'input[type=radio][value="{right}"]').check()
        root.locator(".sx-check").click()
        frame = root.locator("iframe.sx-replay")
        frame.evaluate("f => f.scrollIntoView({block: 'start'})")
        pg.wait_for_function("f => f.contentDocument && f.contentDocument.querySelector('[data-op1-live]')",
                             arg=frame.element_handle(), timeout=60_000)
        fit = frame.evaluate("""f => { const b = f.closest('.sx-exercise'), r = f.getBoundingClientRect(),
            s = getComputedStyle(b), o = b.getBoundingClientRect();
            return [r.left - (o.left + parseFloat(s.borderLeftWidth)), (o.right - parseFloat(s.borderRightWidth)) - r.right]; }""")
        frame.evaluate("f => { const w = f.contentWindow, b = w.document.querySelector('.op1-bar');"
                       " w.scrollTo(0, b.getBoundingClientRect().bottom + w.scrollY + 300); }")
        pg.wait_for_function("f => !f.contentDocument.querySelector('.op1-float').hidden",
                             arg=frame.element_handle(), timeout=10_000)
        pg.wait_for_timeout(200)
        bar = frame.evaluate("""f => { const d = f.contentDocument, fl = d.querySelector('.op1-float');
            const pos = fl.querySelector('.op1-fpos'), r = d.createRange(); r.selectNodeContents(pos);
            const t = r.getBoundingClientRect(), bs = Array.from(fl.querySelectorAll('button')).map(b => b.getBoundingClientRect());
            return {text: pos.textContent, left: t.left, right: t.right, top: t.top, bottom: t.bottom, vw: d.documentElement.clientWidth,
                    over: bs.some(b => b.left < t.right && t.left < b.right && b.top < t.bottom && t.top < b.bottom),
                    buttons: bs.every(b => b.left >= 0 && b.right <= d.documentElement.clientWidth)}; }""")
    finally:
        ctx.close()
    assert all(abs(x) <= 1 for x in fit), ("the frame is not the box's width", fit)
    assert re.fullmatch(r"\d+ / \d+", bar["text"]), bar
    assert 0 <= bar["left"] and bar["right"] <= bar["vw"] and not bar["over"] and bar["buttons"], bar


# -- the pinned step bar on a laptop -----------------------------------------------------------------

def test_on_a_laptop_the_pinned_bar_never_covers_what_follows_the_player(chromium, server):
    """At 1366x768, chapter 10's replay in "When a line fails": scrolled until the player's foot
    was at 612 px, the pinned step bar (its top at 721 px) still showed at the window's foot, over
    the beginning of what follows the player.  The bar shows while the player's own bar is off
    the screen, as before, but once the player ends above the window's foot the bar rides up with
    it, in the room the player keeps for it at its foot: whole inside the player, never over what
    follows it."""
    ctx, pg = _page(chromium, server, "10-two-links", *LAPTOP)
    try:
        k = pg.evaluate("""() => { const s = document.getElementById('when-a-line-fails');
            return Array.from(document.querySelectorAll('.op1-player')).findIndex(p => s.contains(p)); }""")
        assert k >= 0
        seen = []
        for foot in (1200, 900, 800, 760, 700, 612, 500):
            pg.evaluate("([k, y]) => { const r = document.querySelectorAll('.op1-player')[k];"
                        " window.scrollBy(0, r.getBoundingClientRect().bottom - y); }", [k, foot])
            pg.wait_for_timeout(100)
            _frame(pg)
            seen.append(pg.evaluate("""k => { const r = document.querySelectorAll('.op1-player')[k], f = r.querySelector('.op1-float');
                const fr = f.getBoundingClientRect(), pr = r.getBoundingClientRect(), bar = r.querySelector('.op1-bar').getBoundingClientRect();
                const hit = f.hidden ? null : document.elementFromPoint(fr.left + fr.width / 2, fr.top + fr.height / 2);
                return {foot: Math.round(pr.bottom), own: Math.round(bar.bottom), shown: !f.hidden,
                        top: fr.top, bottom: fr.bottom, onTop: !!hit && f.contains(hit)}; }""", k))
    finally:
        ctx.close()
    assert seen[0]["shown"] and seen[0]["own"] < 0 and seen[0]["bottom"] > 740, seen[0]   # at the window's foot
    at = {s["foot"]: s for s in seen}
    assert at[612]["shown"] and at[612]["onTop"], at[612]             # the reader still steps from it
    for s in seen:
        if s["shown"]:
            assert s["bottom"] <= s["foot"] - 8, ("the pinned bar over what follows the player", s)


# -- a phone's narration -------------------------------------------------------------------------

def test_on_a_phone_the_narration_holds_five_lines_and_says_more(chromium, server):
    """At 360x740 the narration box held the replay's tallest narration at every step (208 px for
    the 75 px of most steps' text, chapter 1's first replay), and the network drawing began 385 px
    or more under the player's buttons.  It holds five lines; a longer narration scrolls in it
    with "more ↓" at its foot, and the box keeps its height from step to step, so the drawing
    under it stays where it is."""
    ctx, pg = _page(chromium, server, "01-network", 360, 740)
    try:
        P = pg.locator(".op1-player").first
        n = int(P.get_attribute("data-frames"))
        seen = []
        for s in range(n):
            if s:
                P.locator(".op1-bar button[data-act=next]").evaluate("b => b.click()")
            _frame(pg)
            seen.append(P.evaluate("""el => { const nb = el.querySelector('.op1-narr'), cs = getComputedStyle(nb);
                const svg = Array.from(el.querySelectorAll('svg.op1-topo')).find(s => s.getBoundingClientRect().width);
                const cue = el.querySelector('.op1-narr + .op1-more > button');
                return {h: nb.getBoundingClientRect().height, line: parseFloat(cs.lineHeight),
                        pad: parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom),
                        cut: nb.scrollHeight > nb.clientHeight + 1, more: !!(cue && cue.getBoundingClientRect().height),
                        draw: Math.round(svg.getBoundingClientRect().top - el.querySelector('.op1-bar').getBoundingClientRect().bottom)}; }"""))
    finally:
        ctx.close()
    assert any(s["cut"] for s in seen) and not all(s["cut"] for s in seen), seen
    for k, s in enumerate(seen):
        assert s["h"] <= 5 * s["line"] + s["pad"] + 2, (k + 1, s)
        assert s["more"] == s["cut"], (k + 1, s)
    assert len({round(s["h"]) for s in seen}) == 1 and len({s["draw"] for s in seen}) == 1, seen


# -- a phone's router tables -----------------------------------------------------------------------

def test_on_a_phone_the_router_tables_start_as_text(chromium, server):
    """At 360x740 the "Router tables" tab showed the tables' drawing, 475 px wide in a 288 px box,
    read by swiping it sideways.  On a phone they start as text ("show as text" ticked), which
    wraps in the box; the reader can switch back to the drawing.  A laptop starts with the
    drawing, as before."""
    ctx, pg = _page(chromium, server, "06-equalize-nat", 360, 740)
    look = """el => { const b = el.querySelector('.op1-state-box'), svg = b.querySelector('svg');
        return {ticked: el.querySelector('.op1-text-toggle').checked, sw: b.scrollWidth, cw: b.clientWidth,
                svg: svg.getBoundingClientRect().width, text: b.querySelector('.op1-vh').getBoundingClientRect().width}; }"""
    try:
        P = pg.locator(".op1-player").first
        P.locator("[data-tab=state]").evaluate("b => b.click()")
        _frame(pg)
        phone = P.evaluate(look)
        P.locator(".op1-text-toggle").evaluate("c => c.click()")
        _frame(pg)
        drawn = P.evaluate(look)
    finally:
        ctx.close()
    ctx, pg = _page(chromium, server, "06-equalize-nat", *LAPTOP)
    try:
        laptop = pg.locator(".op1-player").first.evaluate(look)
    finally:
        ctx.close()
    assert phone["ticked"] and phone["svg"] == 0 and phone["text"] > 200 and phone["sw"] <= phone["cw"] + 1, phone
    assert not drawn["ticked"] and drawn["svg"] > drawn["cw"], drawn
    assert not laptop["ticked"] and laptop["svg"] > 300, laptop


# -- a live panel ------------------------------------------------------------------------------------

def test_a_live_panels_checkboxes_are_32_px_targets(chromium, server):
    """At 360 px chapter 3's live panel: the "ingress filter (BCP 38)" label was 23.8 px tall
    around a 20 px box, a tap just above or below it missed.  Each checkbox's label is at least
    32 px tall, as the panel's other controls are (WCAG 2.5.8 asks 24)."""
    ctx, pg = _page(chromium, server, "03-connection-level", 360, 740)
    try:
        got = pg.evaluate("""() => Array.from(document.querySelectorAll('.op1-lc-bool')).filter(l => l.offsetParent)
            .map(l => [l.textContent.trim().slice(0, 30), l.getBoundingClientRect().height])""")
    finally:
        ctx.close()
    assert len(got) >= 2, got
    assert all(h >= 32 for _, h in got), got


# -- an exercise's choices -----------------------------------------------------------------------------

def test_at_320_px_a_choices_words_stay_beside_its_radio(chromium, server):
    """Chapter 3's "miss, the kernel chooses again" went under its radio at 320 px, the radio
    alone on its line a choice without words.  Every choice's first line of words is beside its
    radio, on its right, in every chapter with choices."""
    got = []
    for chapter in ("03-connection-level", "05-nat", "06-equalize-nat", "09-modern-linux"):
        ctx, pg = _page(chromium, server, chapter, 320, 640)
        try:
            got += pg.evaluate("""() => Array.from(document.querySelectorAll('.sx-choices label')).map(l => {
                const i = l.querySelector('input[type=radio]').getBoundingClientRect(), r = document.createRange();
                r.setStart(l.querySelector('input').nextSibling, 0); r.setEndAfter(l.lastChild);
                const w = r.getClientRects()[0];
                return [l.textContent.trim(), w.left >= i.right, w.top < i.bottom && w.bottom > i.top]; })""")
        finally:
            ctx.close()
    assert len(got) >= 8, got
    assert [g for g in got if not (g[1] and g[2])] == [], got


# -- the page's foot ------------------------------------------------------------------------------------

@pytest.mark.parametrize("screen", PHONES)
def test_on_a_phone_the_previous_and_next_chapters_are_named_whole(chromium, server, screen):
    """At 360 px chapter 6's link to chapter 5 read "masqueradin": each link was a 45 % column
    that cut what did not fit.  On every chapter, each link shows its whole title, inside the
    screen."""
    w, h = screen
    got = {}
    for page in ("01-network", "05-nat", "06-equalize-nat", "10-two-links"):
        ctx, pg = _page(chromium, server, page, w, h)
        try:
            got[page] = pg.evaluate("""() => Array.from(document.querySelectorAll('.prev-next-area a')).map(a => {
                const t = a.querySelector('.prev-next-title').getBoundingClientRect();
                return [a.scrollWidth <= a.clientWidth + 1, t.left >= 0 && t.right <= innerWidth + 1]; })""")
        finally:
            ctx.close()
    assert all(got.values()) and all(ok for links in got.values() for l in links for ok in l), got
