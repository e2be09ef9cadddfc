"""A partially sighted student read the replays on a phone with a larger text (the browser's text
size at 150 to 200 %: the root's font size) and with the browser's zoom (a 360 px phone at 200 %
is a 180x370 window, four device pixels a CSS pixel), and on a laptop at 200 % zoom (683x384),
with TalkBack.  At 100 % all was well; larger, the players broke.  Measured here in headless
Chromium on a standalone page of chapter 6's replay (``equalize-nat``, seed 1):

- the phone's ladder grows with the text (its text was 9.6 px beside 32 px at 200 %) and is never
  shrunk below 8 px text to fit its box (4 CSS px under zoom): past that its box scrolls sideways;
  at 100 % on a 360 px phone it fits its box as before;
- the phone's ladder is shown wherever the wide one does not fit (a laptop at 200 % zoom cut the
  wide one's packets column at "100.0");
- the lanes' dotted lines pass under the packet's line, not through its digits;
- the ladder's box on a phone grows with the steps, from the first row (285 px of blank at step 1);
- the tabs wrap rather than cut their names ("Packe");
- a narration that cannot have even 4 lines over the drawing is not capped (a 169 px box of a
  404 px narration);
- a box that does not scroll is not named "..., scrolls" to a screen reader.
"""
from __future__ import annotations

import pytest

import sim
from sim.view import Player
from sim.view.player import standalone_page
from view_helpers import need_dot

#: the phones: (name, viewport, device pixels a CSS pixel, the root's font size)
PHONE = {"360": ((360, 740), 2, None), "360 at 200 % text": ((360, 740), 2, "200%"),
         "360 at 150 % text": ((360, 740), 2, "150%"), "320 at 200 % text": ((320, 640), 2, "200%"),
         "360 at 200 % zoom": ((180, 370), 4, None), "320": ((320, 640), 2, None)}


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    need_dot()
    r = sim.run("equalize-nat", seed=1)
    d = tmp_path_factory.mktemp("large-text")
    f = d / "player.html"
    f.write_text(standalone_page([Player(r, title="Equalize behind the article's NAT", max_steps=30).html()]))
    return f


def _open(chromium, page_file, viewport, dsf=2, font=None, phone=True):
    ctx = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=dsf,
                               is_mobile=phone, has_touch=phone)
    if font:         # the reader's text size: the root's font size, before the page is laid out
        ctx.add_init_script("document.documentElement && (document.documentElement.style.fontSize = '%s');"
                            "document.addEventListener('readystatechange', function () {"
                            "document.documentElement.style.fontSize = '%s'; });" % (font, font))
    pg = ctx.new_page()
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    pg.goto(page_file.as_uri())
    pg.wait_for_function("document.querySelector('[data-op1-live]') !== null")
    _frame(pg)
    return ctx, pg


def _frame(pg):
    pg.evaluate("() => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))")


def _step(pg, n):
    """``n`` steps on from the step shown."""
    at = int(pg.locator("[data-replay]").get_attribute("data-step"))
    for _ in range(n):
        pg.locator(".op1-bar button[data-act=next]").dispatch_event("click")
    pg.wait_for_function("n => document.querySelector('[data-replay]').getAttribute('data-step') == n", arg=at + n)
    _frame(pg)


# The ladder shown: which one, its box's width and scroll width, and the size (CSS px) of its
# smallest and largest text as drawn (its font size times the drawing's scale).
LADDER_JS = r"""() => {
  const box = document.querySelector('.op1-ladder-scroll');
  const shown = [...box.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().width > 0);
  const sizes = shown.flatMap(s => [...s.querySelectorAll('text')].filter(t => t.getBoundingClientRect().height > 0)
    .map(t => parseFloat(getComputedStyle(t).fontSize) * s.getBoundingClientRect().width / s.viewBox.baseVal.width));
  return {phone: shown.length > 0 && shown.every(s => s.classList.contains('op1-ladder-n')), n: shown.length,
          box: box.clientWidth, scroll: box.scrollWidth, min: Math.min(...sizes), max: Math.max(...sizes),
          body: parseFloat(getComputedStyle(document.body).fontSize)};
}"""


@pytest.mark.parametrize("phone", ["360 at 200 % text", "360 at 150 % text", "320 at 200 % text", "360 at 200 % zoom"])
def test_the_phones_ladder_grows_with_the_text_and_scrolls_rather_than_shrinks(chromium, page_file, phone):
    """At 200 % on a 360 px phone the phone's ladder was scaled down to its box: its text 9.6 px
    beside the page's 32 px; under the browser's zoom it shrank to 4 CSS px in a 108 px box.  Its
    text is now at least half the text size's 16 px (8 px at 16 px) and grows with it: the
    drawing is wider than its box, which scrolls sideways."""
    viewport, dsf, font = PHONE[phone]
    ctx, pg = _open(chromium, page_file, viewport, dsf, font)
    try:
        _step(pg, 3)
        got = pg.evaluate(LADDER_JS)
    finally:
        ctx.close()
    root = {"200%": 32, "150%": 24, None: 16}[font]
    assert got["phone"] and got["n"] == 2, got                # the phone's: its header and its body
    assert got["min"] >= 0.5 * root - 0.05, got             # 9.6 px at 200 %, 3.8 px under zoom
    assert got["scroll"] > got["box"] + 8, got                # wider than its box: it scrolls


@pytest.mark.parametrize("phone", ["360", "320"])
def test_at_100_percent_the_phones_ladder_fits_its_box_as_before(chromium, page_file, phone):
    """At 100 % on a phone the ladder still fits its box, its text at least 8 px: no sideways
    scrolling where there was none."""
    viewport, dsf, font = PHONE[phone]
    ctx, pg = _open(chromium, page_file, viewport, dsf, font)
    try:
        _step(pg, 3)
        got = pg.evaluate(LADDER_JS)
    finally:
        ctx.close()
    assert got["phone"] and got["scroll"] <= got["box"] + 1, got
    assert got["min"] >= 8 and got["max"] <= 12.5, got


def test_a_laptop_at_200_percent_zoom_shows_the_ladder_that_fits(chromium, page_file):
    """A laptop at 200 % zoom (683x384, two device pixels a CSS pixel): the player is 611 px wide,
    over the phone's 560 px, and showed the wide ladder (834 px) in its box, the packets' column
    cut at "100.0".  It shows the phone's, which fits; at 1366x768 the wide one, as before."""
    got = {}
    for name, viewport, dsf in (("zoomed", (683, 384), 2), ("laptop", (1366, 768), 1)):
        ctx, pg = _open(chromium, page_file, viewport, dsf, phone=False)
        try:
            _step(pg, 3)
            got[name] = pg.evaluate(LADDER_JS)
        finally:
            ctx.close()
    assert got["zoomed"]["phone"] and got["zoomed"]["scroll"] <= got["zoomed"]["box"] + 1, got
    assert not got["laptop"]["phone"] and got["laptop"]["scroll"] <= got["laptop"]["box"] + 1, got


# Each packet's line of the phone's ladder shown: its bounding box, and the backing right before it
# (its box and colour), in the drawing's units; and the colour of its row's band.
WIRE_JS = r"""() => [...document.querySelectorAll('svg.op1-ladder-n.op1-ladder-body .op1-row')]
  .filter(g => g.getBoundingClientRect().height > 0).flatMap(g => [...g.querySelectorAll('text.addr')].map(t => {
    const bg = t.previousElementSibling, b = t.getBBox();
    const r = bg && bg.tagName === 'rect' ? bg.getBBox() : null;
    return {words: t.textContent, cur: g.classList.contains('cur'), text: [b.x, b.y, b.x + b.width, b.y + b.height],
            bg: r && [r.x, r.y, r.x + r.width, r.y + r.height], fill: bg && getComputedStyle(bg).fill,
            opacity: bg && getComputedStyle(bg).fillOpacity};
  }))"""


def test_the_lanes_dotted_lines_pass_under_the_packets_line(chromium, page_file):
    """The phone's lanes ran through the packet's line ("200.0.0|.1:80", "192:.168" where a lane
    crossed a dot): each line has a backing under it, as wide and tall as its words, opaque, in
    its row's colour (white; the current step's yellow band as it shows over white)."""
    ctx, pg = _open(chromium, page_file, (360, 740), 2)
    try:
        _step(pg, 3)
        lines = pg.evaluate(WIRE_JS)
    finally:
        ctx.close()
    assert len(lines) >= 4, lines
    for ln in lines:
        assert ln["bg"] is not None, ln
        (tx0, ty0, tx1, ty1), (bx0, by0, bx1, by1) = ln["text"], ln["bg"]
        # (the glyphs' ink lies within the text's box, less its line gap above and below)
        assert bx0 <= tx0 + 0.5 and bx1 >= tx1 - 0.5 and by0 <= ty0 + 3 and by1 >= ty1 - 3, ln
        assert float(ln["opacity"]) == 1 and ln["fill"] == ("rgb(247, 240, 151)" if ln["cur"] else "rgb(255, 255, 255)"), ln
    assert sum(ln["cur"] for ln in lines) == 1, lines


def test_a_phones_ladder_box_grows_with_the_steps(chromium, page_file):
    """On a 360x740 phone the ladder's box was as tall as the whole exchange (half the screen,
    370 px) from the first step: 285 px of blank under its first row.  It is as tall as its rows
    shown, a third of the screen at the least (the pinned step buttons show while the player fills
    that much of the screen), and grows as steps are added."""
    ctx, pg = _open(chromium, page_file, (360, 740), 2)
    try:
        js = ("() => { const b = document.querySelector('.op1-ladder-scroll'), h = b.querySelector('svg.op1-ladder-n');"
              " const c = b.querySelector('.op1-ladder-clip.op1-ladder-n');"
              " return [b.getBoundingClientRect().height, h.getBoundingClientRect().height + c.getBoundingClientRect().height]; }")
        first = pg.evaluate(js)
        _step(pg, 5)        # (6 rows of 50 px, under the box's cap of half the screen)
        later = pg.evaluate(js)
    finally:
        ctx.close()
    assert first[1] < 740 / 3 and abs(first[0] - 740 / 3) <= 3, first
    assert later[0] > first[0] + 50 and abs(later[0] - later[1]) <= 4, (first, later)


TABS_JS = r"""() => { const t = document.querySelector('.op1-tabs'), r = t.getBoundingClientRect();
  return [...t.querySelectorAll('button')].map(b => { const q = b.getBoundingClientRect();
    return {name: b.textContent, cut: b.scrollWidth > b.clientWidth + 1, inside: q.left >= r.left - 0.5 && q.right <= r.right + 0.5,
            top: Math.round(q.top - r.top)}; }); }"""


@pytest.mark.parametrize("phone", ["360 at 200 % text", "320 at 200 % text", "360 at 200 % zoom", "360"])
def test_the_tabs_wrap_rather_than_cut_their_names(chromium, page_file, phone):
    """At 200 % on a 360 px phone the three tabs needed 299 px in 270: "Packet" read "Packe" at the
    box's edge, "Pa" at 320 px.  Each is whole, in the row; the row wraps.  At 100 % the three
    stay on one line."""
    viewport, dsf, font = PHONE[phone]
    ctx, pg = _open(chromium, page_file, viewport, dsf, font)
    try:
        tabs = pg.evaluate(TABS_JS)
    finally:
        ctx.close()
    assert [t["name"] for t in tabs] == ["Ladder", "Router tables", "Packet"], tabs
    assert all(t["inside"] and not t["cut"] for t in tabs), tabs
    if phone == "360":
        assert len({t["top"] for t in tabs}) == 1, tabs
    else:
        assert len({t["top"] for t in tabs}) > 1, tabs             # (it did wrap: this shows something)


NARR_JS = r"""() => { const n = document.querySelector('.op1-narr');
  return {h: n.clientHeight, sh: n.scrollHeight, more: n.hasAttribute('data-more'), max: n.style.maxHeight,
          line: parseFloat(getComputedStyle(n).lineHeight), tab: n.getAttribute('tabindex')}; }"""


def test_a_narration_with_no_room_for_4_lines_over_the_drawing_is_not_capped(chromium, page_file):
    """At 200 % on a 360x740 phone a narration of 404 px showed in a box capped at 4 lines (169 px),
    "more" over its last line shown, three taps and more a step.  Where not even 4 lines fit over
    the drawing, the box is as tall as the step's words; at 100 % it stays capped as it was (5
    lines, "more" below a longer one)."""
    got = {}
    for phone in ("360 at 200 % text", "360 at 200 % zoom", "360"):
        viewport, dsf, font = PHONE[phone]
        ctx, pg = _open(chromium, page_file, viewport, dsf, font)
        try:
            got[phone] = []
            for _ in range(6):
                got[phone].append(pg.evaluate(NARR_JS))
                _step(pg, 1)
        finally:
            ctx.close()
    for phone in ("360 at 200 % text", "360 at 200 % zoom"):
        assert all(n["max"] == "none" and n["h"] >= n["sh"] - 1 and not n["more"] and n["tab"] is None
                   for n in got[phone]), (phone, got[phone])
        assert max(n["h"] for n in got[phone]) > 4.5 * got[phone][0]["line"], got[phone]   # (longer than 4 lines)
    assert all(n["max"].endswith("px") for n in got["360"]), got["360"]


KSCROLL_JS = r"""() => [...document.querySelectorAll('.op1-kscroll')].filter(b => b.offsetParent).map(b => ({
  cls: b.className, scrolls: b.scrollWidth > b.clientWidth + 8 || b.scrollHeight > b.clientHeight + 8,
  over: b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight,
  role: b.getAttribute('role'), name: b.getAttribute('aria-label'), tab: b.getAttribute('tabindex')}))"""


def test_a_box_that_does_not_scroll_is_not_named_scrolls(chromium, page_file):
    """TalkBack said "network, scrolls" and "ladder, scrolls" of boxes that showed all they held
    (their keyboard stop was already gone).  A box that does not scroll has no role, name or
    keyboard stop; one that scrolls has all three -- at 100 % and at 200 % on a 360 px phone."""
    seen = {}
    for phone in ("360", "360 at 200 % text"):
        viewport, dsf, font = PHONE[phone]
        ctx, pg = _open(chromium, page_file, viewport, dsf, font)
        try:
            _step(pg, 3)
            seen[phone] = pg.evaluate(KSCROLL_JS)
        finally:
            ctx.close()
    both = seen["360"] + seen["360 at 200 % text"]
    for b in both:
        if b["scrolls"]:
            assert b["role"] == "group" and b["name"].endswith(", scrolls") and b["tab"] == "0", b
        else:   # (a few px over: out of the Tab order, where Chromium would put any scroller, unnamed)
            assert b["role"] is None and b["name"] is None and b["tab"] == ("-1" if b["over"] else None), b
    assert any(not b["scrolls"] for b in seen["360"]), seen               # (each kind shows up)
    assert any(b["scrolls"] and "ladder" in b["cls"] for b in seen["360 at 200 % text"]), seen
