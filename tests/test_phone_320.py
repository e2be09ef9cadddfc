"""The smallest phones, in the built book (``_build/html``), in headless Chromium (a phone's viewport:
touch, twice the pixels; the book's 56 px sticky header):

- at 320x568 (an iPhone SE, 1st generation), stepping a replay with the pinned step buttons, the
  network drawing is whole above them at every step.  There the narration could not be held at 4
  lines over the drawing, so it took each step's own height and pushed the drawing's foot -- the
  packet's tag, an uplink's row -- 8 to 28 px under the buttons (ch.6, ch.3), 180 px at a 12-line
  step (ch.10).  So at 320x640, 360x640 and 375x667, where it already was;
- at 320 px a phone's ladder fits its box: ch.6's (277 px at 12 px, 254 at its 11 px floor)
  scrolled 6 px sideways in the 248 px box, ch.3's third replay's (290 px) 18 px;
- neither by text below the legibility floor (11 px at 320 px: test_phone_legible).
"""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from test_book import book_html, server  # noqa: F401

FRAME = "() => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))"

# the replay's pinned bar, its shown network drawing's foot, the smallest of its words on the
# screen (font size times the drawing's scale), the narration's top
DRAWING_JS = r"""el => {
  const R = e => e.getBoundingClientRect(), f = el.querySelector('.op1-float');
  const svg = [...el.querySelectorAll('.op1-topo-box svg.op1-topo')].find(s => R(s).width > 0);
  const px = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && R(t).width)
    .map(t => { const m = t.getScreenCTM(); return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); });
  return {hidden: f.hidden, bar: R(f).top, foot: R(svg).bottom, least: Math.min(...px),
          narr: R(el.querySelector('.op1-narr')).top, step: el.getAttribute('data-step')}; }"""

# each shown phone's ladder box of the replay: how far it scrolls sideways, its smallest word
LADDER_JS = r"""el => [...el.querySelectorAll('.op1-ladder-scroll')].filter(b => b.getClientRects().length).map(b => {
  const px = [...b.querySelectorAll('svg text')].filter(t => t.textContent.trim() && t.getBoundingClientRect().width)
    .map(t => { const m = t.getScreenCTM(); return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); });
  const svg = b.querySelector('svg.op1-ladder-n');
  return {over: b.scrollWidth - b.clientWidth, box: b.clientWidth, svg: svg ? svg.getBoundingClientRect().width : null,
          least: Math.min(...px)}; })"""


def _page(chromium, server, page: str, w: int, h: int):
    ctx = chromium.new_context(viewport={"width": w, "height": h}, is_mobile=True, has_touch=True,
                               device_scale_factor=2, service_workers="block")
    ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
    pg = ctx.new_page()
    pg.goto(f"{server}/book/{page}.html", wait_until="load")
    pg.wait_for_function("Array.from(document.querySelectorAll('[data-replay]'))"
                         ".every(e => e.hasAttribute('data-op1-live'))", timeout=60_000)
    pg.evaluate(FRAME)
    return ctx, pg


@pytest.mark.parametrize("page,nth,screen", [
    ("06-equalize-nat", 0, (320, 568)), ("06-equalize-nat", 0, (320, 640)),
    ("06-equalize-nat", 0, (360, 640)), ("06-equalize-nat", 0, (375, 667)),
    ("03-connection-level", 2, (320, 568)),
    ("10-two-links", 1, (320, 568)),            # (its drawing 12 px taller: a third uplink's counter)
], ids=lambda v: "x".join(map(str, v)) if isinstance(v, tuple) else str(v))
def test_stepping_with_the_pinned_buttons_the_whole_drawing_is_above_them(chromium, server, page, nth, screen):
    """The replay scrolled so that its narration is just under the page's header, as a reader
    stepping has it; 12 steps with the pinned Next: at each, the network drawing's foot is at or
    above the pinned bar's top, the narration where it was, the drawing's words 11 px or more."""
    w, h = screen
    ctx, pg = _page(chromium, server, page, w, h)
    try:
        P = pg.locator("[data-replay]").nth(nth)
        P.evaluate("el => window.scrollBy(0, el.querySelector('.op1-narr').getBoundingClientRect().top - 56)")
        pg.evaluate(FRAME)
        got = []
        for k in range(12):
            if k:
                P.locator(".op1-float button[data-act=next]").evaluate("b => b.click()")
            pg.evaluate(FRAME)
            got.append(P.evaluate(DRAWING_JS))
    finally:
        ctx.close()
    assert len({s["step"] for s in got}) == 12, ("the pinned Next did not step", got)
    for s in got:
        assert not s["hidden"], ("the pinned bar did not show", s)
        assert s["foot"] <= s["bar"] + 0.5, ("the drawing's foot under the pinned buttons", s)
        assert s["least"] >= (11 if w < 350 else 12) - 0.01, ("the drawing's text below the floor", s)
        assert abs(s["narr"] - got[0]["narr"]) <= 1, ("the narration moved as the replay stepped", got[0], s)


@pytest.mark.parametrize("page", ["03-connection-level", "06-equalize-nat"])
@pytest.mark.parametrize("screen", [(320, 568), (320, 640)], ids=["320x568", "320x640"])
def test_at_320_px_a_phones_ladder_fits_its_box(chromium, server, page, screen):
    """Each replay of the page, its Ladder tab chosen (each run's, in a comparison), at a few steps:
    the phone's ladder box does not scroll sideways, and its words are 11 px or more."""
    w, h = screen
    ctx, pg = _page(chromium, server, page, w, h)
    try:
        got = []
        for i in range(pg.locator("[data-replay]").count()):
            P = pg.locator("[data-replay]").nth(i)
            P.locator('.op1-tabs [data-tab="ladder"]').evaluate_all("bs => bs.forEach(b => b.click())")
            for k in range(4):
                if k:
                    P.locator(".op1-bar button[data-act=next]").first.evaluate("b => b.click()")
                pg.evaluate(FRAME)
                got += [(i, k, b) for b in P.evaluate(LADDER_JS)]
    finally:
        ctx.close()
    assert got and all(b["svg"] for _, _, b in got), got
    over = [g for g in got if g[2]["over"] > 0]
    assert not over, ("a phone's ladder scrolls sideways in its box", over)
    small = [g for g in got if g[2]["least"] < 11 - 0.01]
    assert not small, ("a ladder's words below 11 px", small)
