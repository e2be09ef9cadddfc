"""A partially sighted student read chapters 1, 2, 4 and 6 on a phone with large text -- the
browser's text at 150-200 % (here: the root's font size set to 200 % before the page loads) or
the page zoomed (a 360 px phone at 200 %: a 180x370 window, four device pixels a CSS pixel) --;
at 100 % all was well, at 200 % it broke.  Measured in the built book (``_build/html``) in
headless Chromium:

- the article's header row of icons wraps: no page is wider than the phone (it was 535 px on a
  360 px phone, Search and Contents off the screen);
- a code block's address is never split ("192.168.0" / ".1"); an exercise's trace wraps an event
  under a hanging indent;
- a heading breaks between its words only ("1. The networ" / "k");
- an exercise's feedback keeps a readable column at 320 px (it was 153 px), its student id box
  is shorter;
- the live form's boxes are at least 6 characters wide, their text the page's size, inside the
  panel;
- Enter in an exercise's answer box checks the answer;
- a table wider than its box, at the current width and text size, is a card a row, and a table
  again once it fits (a turned phone, a smaller text size); at 100 % a phone's tables are as
  before;
- every table of the text has an accessible name.
"""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from test_book import book_html, server  # noqa: F401

CHAPTERS = ["01-network", "02-route-cache", "04-equalize", "06-equalize-nat"]
# (width, height, root font size, device pixels a CSS pixel): large text on 360 and 320 px phones,
# and a 360 px phone zoomed to 200 %
LARGE = [(360, 740, "200%", 2), (320, 740, "200%", 2), (180, 370, None, 4)]


def _page(chromium, server, page, w, h, text=None, dsf=2):
    """``page`` at ``w`` x ``h`` (a phone's, below 800 px), its root font size ``text`` (None: as
    the browser's) set before the page's own styles apply: (context, page)."""
    phone = w < 800
    ctx = chromium.new_context(viewport={"width": w, "height": h}, is_mobile=phone, has_touch=phone,
                               device_scale_factor=dsf if phone else 1, service_workers="block")
    ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
    pg = ctx.new_page()
    if text:
        pg.add_init_script("(function(){var f=function(){document.documentElement.style.fontSize='%s'};"
                           "if(document.documentElement) f(); document.addEventListener('readystatechange', f);})()" % text)
    pg.goto(f"{server}/book/{page}.html", wait_until="load")
    pg.wait_for_function("Array.from(document.querySelectorAll('[data-replay]'))"
                         ".every(e => e.hasAttribute('data-op1-live'))", timeout=30_000)
    _frame(pg)
    return ctx, pg


def _frame(pg):
    pg.evaluate("() => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))")


def _label(w, h, text, dsf):
    return f"{w}x{h}@{dsf} text {text or '100%'}"


# -- the page's width: the header's icons ---------------------------------------------------------

WIDTH_JS = r"""() => {
  const b = Array.from(document.querySelectorAll('.bd-header-article button, .bd-header-article a.btn'))
    .filter(e => e.getBoundingClientRect().width).map(e => Math.round(e.getBoundingClientRect().right));
  return {page: document.documentElement.scrollWidth, buttons: b, n: b.length,
          header: Math.round(document.querySelector('.bd-header-article').getBoundingClientRect().height)};
}"""


@pytest.mark.parametrize("screen", LARGE, ids=lambda s: _label(*s))
def test_with_large_text_no_page_is_wider_than_the_phone(chromium, server, screen):
    """At 200 % text the header's seven icons needed 535 px in one row: the page was 535 px wide
    on a 360 px phone, Search and Contents were off the screen.  The row wraps; every icon is on
    the screen and the page is the screen's width (chapters 4 and 6's live form too)."""
    w, h, text, dsf = screen
    bad = {}
    for page in CHAPTERS:
        ctx, pg = _page(chromium, server, page, w, h, text, dsf)
        try:
            r = pg.evaluate(WIDTH_JS)
        finally:
            ctx.close()
        if r["page"] > w + 1 or r["n"] < 6 or max(r["buttons"]) > w + 1:
            bad[page] = r
    assert not bad, f"wider than the {w} px screen: {bad}"


@pytest.mark.parametrize("screen", [(360, 740), (320, 740), (1366, 768)])
def test_at_100_percent_the_header_is_one_row_as_before(chromium, server, screen):
    """At 100 % the header is one row of icons as tall as before (56 px on a phone, 48 on a laptop)
    and stays at the top of the window."""
    w, h = screen
    ctx, pg = _page(chromium, server, "02-route-cache", w, h)
    try:
        r = pg.evaluate(WIDTH_JS)
        tops = pg.evaluate("""() => new Set(Array.from(document.querySelectorAll('.article-header-buttons > *'))
          .filter(e => e.getBoundingClientRect().width).map(e => Math.round(e.getBoundingClientRect().top))).size""")
        pos = pg.evaluate("() => getComputedStyle(document.querySelector('.bd-header-article')).position")
    finally:
        ctx.close()
    assert r["header"] == (56 if w < 800 else 48), r
    assert tops == 1 and pos == "sticky", (tops, pos)
    assert r["page"] <= w + 1, r


# -- code blocks, an exercise's trace ------------------------------------------------------------

SPLIT_JS = r"""() => {
  const out = [], r = document.createRange();
  for (const p of document.querySelectorAll('article div.highlight > pre')) {
    if (!p.getBoundingClientRect().height) continue;
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    const nodes = []; let text = '';
    for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
    const at = k => { let i = nodes.length - 1; while (nodes[i][1] > k) i--; return [nodes[i][0], k - nodes[i][1]]; };
    for (const m of text.matchAll(/\d+\.\d+\.\d+\.\d+/g)) {
      const tops = new Set();
      for (let k = m.index; k < m.index + m[0].length; k++) {
        const [n, o] = at(k); r.setStart(n, o); r.setEnd(n, o + 1);
        const b = r.getClientRects()[0]; if (b) tops.add(Math.round(b.top));
      }
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("screen", LARGE, ids=lambda s: _label(*s))
def test_with_large_text_a_code_blocks_addresses_are_whole(chromium, server, screen):
    """At 200 % chapter 2's `ip -s route show cache` block held 13 characters a line, under a
    hanging indent of 4, and broke anywhere: "192.168.0" / ".1".  A line breaks at its spaces, the
    indent is 2 characters where a line is that short: no address is split over two lines."""
    w, h, text, dsf = screen
    ctx, pg = _page(chromium, server, "02-route-cache", w, h, text, dsf)
    try:
        split = pg.evaluate(SPLIT_JS)
        n = pg.evaluate("() => document.querySelectorAll('article div.highlight > pre').length")
    finally:
        ctx.close()
    assert n >= 2
    assert not split, f"addresses split over two lines: {split}"


def test_an_exercises_trace_wraps_an_event_under_a_hanging_indent(chromium, server):
    """An exercise's trace (pre.sx-context) wrapped a long event with no indent: its second line
    read as the next event.  Every row of an event after its first begins at least 1.5 characters
    right of the event's first."""
    ctx, pg = _page(chromium, server, "02-route-cache", 320, 740, "200%")
    try:
        rows = pg.evaluate(r"""() => {
          const p = document.querySelector('article pre.sx-context'), r = document.createRange();
          p.scrollIntoView();
          const ch = (() => { const s = document.createElement('span'); s.textContent = '0000000000'; p.appendChild(s);
            const w = s.getBoundingClientRect().width / 10; s.remove(); return w; })();
          const n = p.firstChild, out = []; let start = 0;
          for (const line of n.data.split('\n')) {
            const lefts = {};
            for (let i = start; i < start + line.length; i++) {
              if (n.data[i] === ' ') continue;
              r.setStart(n, i); r.setEnd(n, i + 1); const b = r.getClientRects()[0];
              if (b && !(Math.round(b.top) in lefts)) lefts[Math.round(b.top)] = b.left;
            }
            const l = Object.keys(lefts).map(Number).sort((a, b) => a - b).map(t => lefts[t]);
            if (l.length > 1) out.push(l.slice(1).map(x => (x - l[0]) / ch));
            start += line.length + 1;
          }
          return out; }""")
    finally:
        ctx.close()
    assert rows, "no event of the trace wraps at 320 px and 200 %: the test shows nothing"
    assert all(x >= 1.5 for r in rows for x in r), rows


# -- headings --------------------------------------------------------------------------------------

BROKEN_WORDS_JS = r"""() => { const out = [];
  document.querySelectorAll('article h1, article h2, article h3').forEach(el => {
    const tw = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = tw.nextNode(); n; n = tw.nextNode()) {
      if (n.parentElement.closest('.headerlink')) continue;
      for (const m of n.data.matchAll(/[^\s\-\u2010\u2013]{2,}/g)) {      // (a hyphen is a break)
        const r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
        if (new Set(Array.from(r.getClientRects()).filter(x => x.width).map(x => Math.round(x.top))).size > 1) out.push(m[0]);
      }
    }
  }); return out; }"""


@pytest.mark.parametrize("screen", LARGE, ids=lambda s: _label(*s))
def test_with_large_text_a_heading_breaks_between_words(chromium, server, screen):
    """At 200 % a heading broke inside its words: "1. The networ" / "k", "Summar" / "y".  A heading
    is at most the size that fits its words to the column (still larger than the text), and
    breaks between them (or after a hyphen, "connection-" / "level")."""
    w, h, text, dsf = screen
    bad = {}
    for page in CHAPTERS:
        ctx, pg = _page(chromium, server, page, w, h, text, dsf)
        try:
            words = pg.evaluate(BROKEN_WORDS_JS)
            sizes = pg.evaluate("""() => ['h1', 'h2', 'p'].map(t => parseFloat(getComputedStyle(
              document.querySelector('article ' + t)).fontSize))""")
        finally:
            ctx.close()
        if words:
            bad[page] = words
        assert sizes[0] > sizes[1] > sizes[2], (page, sizes)      # h1 > h2 > the text
    assert not bad, f"words broken inside: {bad}"


@pytest.mark.parametrize("screen", [(360, 740), (1366, 768)])
def test_at_100_percent_a_heading_keeps_the_themes_size(chromium, server, screen):
    ctx, pg = _page(chromium, server, "01-network", *screen)
    try:
        sizes = pg.evaluate("""() => ['h1', 'h2'].map(t => parseFloat(getComputedStyle(
          document.querySelector('article ' + t)).fontSize))""")
    finally:
        ctx.close()
    assert sizes == [42, 34], sizes          # the theme's 2.625rem and 2.125rem


# -- exercises -------------------------------------------------------------------------------------

def test_at_320_px_and_200_percent_an_exercises_feedback_is_a_readable_column(chromium, server):
    """At 320 px and 200 % the exercise's box and its feedback took paddings of 1em and .6em of
    their text (30 px and 18 px a side): the feedback was a column of 153 px ("matches / a /
    connection / by its 4- / tuple:"), the student id box 930 px tall.  Their side paddings are at
    most 12 and 8 px on a narrow screen."""
    ctx, pg = _page(chromium, server, "02-route-cache", 320, 740, "200%")
    try:
        ex = pg.locator(".sx-exercise").first
        ex.locator("input[type=radio]").first.check()
        ex.locator(".sx-check").click()
        pg.wait_for_function("document.querySelector('.sx-feedback').textContent.length > 0")
        r = pg.evaluate("""() => { const w = e => { const cs = getComputedStyle(e);
            return e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight); };
          const ex = document.querySelector('.sx-exercise');
          return {fb: w(ex.querySelector('.sx-feedback')), box: w(ex),
                  sid: ex.querySelector('.sx-student').getBoundingClientRect().height}; }""")
    finally:
        ctx.close()
    assert r["fb"] >= 230 and r["box"] >= 250, r
    assert r["sid"] < 800, r


def test_enter_in_an_exercises_answer_box_checks_it(chromium, server):
    """Enter in the answer box did nothing: a keyboard user expects it to check the answer, as a
    form's box does.  It does, as Check does: the feedback says "not yet" for a wrong number and
    marks the box of what is no number."""
    ctx, pg = _page(chromium, server, "02-route-cache", 1366, 768)
    try:
        box = pg.locator(".sx-exercise input.sx-input").first
        root = pg.locator(".sx-exercise:has(input.sx-input)").first
        box.fill("not a number")
        box.press("Enter")
        pg.wait_for_function("el => el.textContent.length > 0", arg=root.locator(".sx-feedback").element_handle())
        assert box.get_attribute("aria-invalid") == "true"
        box.fill("999999")
        box.press("Enter")
        pg.wait_for_function("el => el.getAttribute('aria-invalid') === null", arg=box.element_handle())
        fb = root.locator(".sx-feedback")
        assert re.search(r"\bsx-(right|wrong)\b", fb.get_attribute("class")), fb.get_attribute("class")
        fb = fb.text_content()
    finally:
        ctx.close()
    assert fb.strip(), fb


# -- the live form ---------------------------------------------------------------------------------

@pytest.mark.parametrize("screen", LARGE, ids=lambda s: _label(*s))
def test_with_large_text_the_live_forms_boxes_are_wide_enough_and_inside_the_panel(chromium, server, screen):
    """At 200 % the seed's and size's boxes shrank to 12 px, "size (1-1000000 bytes)" ran past the
    panel and the boxes' text stayed 16 px beside 32 px labels.  Every box is at least 6 of its
    characters wide, its text the page's size (16 px at least), every control inside the panel."""
    w, h, text, dsf = screen
    ctx, pg = _page(chromium, server, "04-equalize", w, h, text, dsf)
    try:
        r = pg.evaluate("""() => { const p = document.querySelector('.op1-livepanel'), pr = p.getBoundingClientRect();
          const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
          const ctl = Array.from(p.querySelectorAll('.op1-lc :is(input[data-int], input[data-text], select)')).filter(e => e.offsetParent);
          return {n: ctl.length, rem: rem,
            narrow: ctl.filter(e => e.getBoundingClientRect().width < 3 * parseFloat(getComputedStyle(e).fontSize)).map(e => e.name),
            small: ctl.filter(e => parseFloat(getComputedStyle(e).fontSize) < Math.max(16, rem) - 0.5).map(e => e.name),
            out: Array.from(p.querySelectorAll('.op1-lc, .op1-lcg')).filter(e => e.offsetParent
              && e.getBoundingClientRect().right > pr.right + 1).map(e => e.textContent.trim().slice(0, 30))}; }""")
    finally:
        ctx.close()
    assert r["n"] >= 4, r
    assert not r["narrow"] and not r["small"] and not r["out"], r


# -- tables ----------------------------------------------------------------------------------------

TABLES_JS = r"""() => Array.from(document.querySelectorAll('article .pst-scrollable-table-container'))
  .filter(b => b.getBoundingClientRect().height).map(b => { const t = b.querySelector('table');
    return {head: t.rows[0].cells[0].textContent.trim(), scrolls: b.scrollWidth > b.clientWidth + 1,
            cards: getComputedStyle(t).display === 'block', fit: t.classList.contains('op1-cards-fit'),
            labels: Array.from(t.tBodies[0].rows[0].cells).map(c => c.getAttribute('data-label'))}; })"""


@pytest.mark.parametrize("screen", LARGE, ids=lambda s: _label(*s))
def test_with_large_text_no_table_scrolls_sideways(chromium, server, screen):
    """At 200 % 11 of the 13 tables of chapters 1, 2, 4 and 6 scrolled sideways, 29-84 % of their
    width in view (chapter 1's "Addresses" hid its addresses).  A table wider than its box is a
    card a row: each cell on its own line after its column's name (from the header row, for a
    table the theme made from Markdown too)."""
    w, h, text, dsf = screen
    bad, cards = {}, 0
    for page in CHAPTERS:
        ctx, pg = _page(chromium, server, page, w, h, text, dsf)
        try:
            tables = pg.evaluate(TABLES_JS)
        finally:
            ctx.close()
        if any(t["scrolls"] for t in tables):
            bad[page] = [t["head"] for t in tables if t["scrolls"]]
        cards += sum(t["cards"] for t in tables)
        if page == "01-network":
            addr = tables[0]
            assert addr["fit"] and addr["cards"] and addr["labels"][1:] and all(addr["labels"][1:]), addr
    assert not bad, f"tables that scroll sideways: {bad}"
    assert cards >= 8, cards


def test_a_table_is_cards_while_it_does_not_fit_and_a_table_again_once_it_does(chromium, server):
    """Chapter 1's "Addresses" at 360 px: a table at 100 % (the phone's, as before: it fits), cards
    at 200 %, a table again once the phone is turned (740 px wide) or the text is 100 % again."""
    ctx, pg = _page(chromium, server, "01-network", 360, 740)
    try:
        first = lambda: pg.evaluate(TABLES_JS)[0]     # noqa: E731
        assert not first()["cards"] and not first()["scrolls"]
        pg.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
        pg.wait_for_function("document.querySelector('article table').classList.contains('op1-cards-fit')")
        _frame(pg)
        assert first()["cards"] and not first()["scrolls"]
        pg.set_viewport_size({"width": 740, "height": 360})
        pg.wait_for_function("!document.querySelector('article table').classList.contains('op1-cards-fit')")
        _frame(pg)
        assert not first()["cards"]
        pg.set_viewport_size({"width": 360, "height": 740})
        pg.wait_for_function("document.querySelector('article table').classList.contains('op1-cards-fit')")
        pg.evaluate("() => { document.documentElement.style.fontSize = ''; }")
        pg.wait_for_function("!document.querySelector('article table').classList.contains('op1-cards-fit')")
        _frame(pg)
        assert not first()["cards"] and not first()["scrolls"]
    finally:
        ctx.close()


def test_at_100_percent_a_phones_wide_tables_still_scroll_with_their_first_column_pinned(chromium, server):
    """At 100 % on a 320 px phone the tables that do not fit scroll sideways, their first column
    pinned, as before: only a box narrower than 17 times the text's size makes a table cards."""
    ctx, pg = _page(chromium, server, "06-equalize-nat", 320, 740)
    try:
        tables = pg.evaluate(TABLES_JS)
    finally:
        ctx.close()
    assert any(t["scrolls"] for t in tables), tables
    assert not any(t["fit"] for t in tables), tables


def test_every_table_of_the_text_has_a_name(book_html):
    """A screen reader's list of tables said "table" for each: each table of the text is named by
    the sentence that introduces it, or its section's heading."""
    names = {}
    for page in CHAPTERS:
        text = (book_html / "book" / f"{page}.html").read_text()
        tables = re.findall(r'<table class="table[^"]*"[^>]*>', text)
        assert tables, page
        unnamed = [t for t in tables if "aria-label=" not in t]
        assert not unnamed, (page, unnamed)
        names[page] = re.findall(r'<table class="table[^"]*" aria-label="([^"]*)"', text)
    assert names["01-network"][:2] == ["Addresses", "The article’s own table of endpoints"], names
    assert all(len(n) <= 91 for ns in names.values() for n in ns), names


def test_a_tables_name_is_its_sentence_or_its_heading():
    import sys
    from test_book import ROOT
    sys.path.insert(0, str(ROOT / "book"))
    try:
        from op1_a11y import tables_named
    finally:
        sys.path.remove(str(ROOT / "book"))
    body = ('<h2>Flush<a class="headerlink" href="#f">#</a></h2><p>Long text. The cache &amp; more:</p>'
            '<div><table class="table">x</table></div><p>Then.</p><div class="pst-scrollable-table-container">'
            '<table class="table op1-cards">y</table></div><table class="table">z</table>'
            '<table class="op1-diss">w</table>')
    out = tables_named(body)
    assert '<table class="table" aria-label="The cache &amp; more">x' in out
    assert '<table class="table op1-cards" aria-label="Flush, table 1">y' in out
    assert '<table class="table" aria-label="Flush, table 2">z' in out
    assert '<table class="op1-diss">w' in out
