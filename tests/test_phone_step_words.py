"""A phone's reader steps a replay with the pinned buttons, the built book (``_build/html``) in
headless Chromium at 360x740 and 320x568 (touch, twice the pixels, the book's 56 px sticky header).

A reviewer reading as a student scrolled the network drawing into view and tapped the pinned Next
six times: the step's words, above the drawing, stayed under the page's header, so each step was
the drawing or its explanation, not both.  Now a step taken with the pinned buttons brings the
words back under the header, by as little as it takes, while the drawing's top is in view; the
whole drawing stays above the buttons.  A reader lower down (the ladder under the drawing) is not
moved.
"""
from __future__ import annotations

import pytest

from test_book import book_html, server  # noqa: F401
from test_phone_320 import DRAWING_JS, FRAME, _page

HEADER = 56


def _tap_next(P, pg):
    P.locator(".op1-float button[data-act=next]").evaluate("b => b.click()")
    pg.evaluate(FRAME)
    pg.evaluate(FRAME)


@pytest.mark.parametrize("page,screen", [("04-equalize", (360, 740)), ("06-equalize-nat", (360, 740)),
                                         ("06-equalize-nat", (320, 568))],
                         ids=lambda v: "x".join(map(str, v)) if isinstance(v, tuple) else str(v))
def test_a_step_with_the_pinned_buttons_shows_its_words_and_the_whole_drawing(chromium, server, page, screen):
    w, h = screen
    ctx, pg = _page(chromium, server, page, w, h)
    try:
        P = pg.locator("[data-replay]").first
        # the drawing's top just under the header: the words above it are hidden
        P.evaluate(f"""el => {{ const s = [...el.querySelectorAll('.op1-topo-box svg.op1-topo')]
            .find(s => s.getBoundingClientRect().width > 0);
            window.scrollBy(0, s.getBoundingClientRect().top - {HEADER} - 8); }}""")
        pg.evaluate(FRAME)
        pg.evaluate(FRAME)
        before = P.evaluate(DRAWING_JS)
        assert not before["hidden"] and before["narr"] < HEADER - 20, ("the case to get out of", before)
        got = []
        for _ in range(5):
            _tap_next(P, pg)
            got.append(P.evaluate(DRAWING_JS))
    finally:
        ctx.close()
    assert len({s["step"] for s in got}) == 5, got
    for s in got:
        assert not s["hidden"], ("the pinned bar went", s)
        assert HEADER - 1 <= s["narr"] <= HEADER + 2, ("the step's words are not just under the header", s)
        assert s["foot"] <= s["bar"] + 1, ("the drawing's foot is under the pinned bar", s)


def test_a_reader_on_the_ladder_under_the_drawing_is_not_moved(chromium, server):
    ctx, pg = _page(chromium, server, "06-equalize-nat", 360, 740)
    try:
        P = pg.locator("[data-replay]").first
        # the drawing's top 150 px above the header's foot: the reader is on what is under it
        P.evaluate(f"""el => {{ const s = [...el.querySelectorAll('.op1-topo-box svg.op1-topo')]
            .find(s => s.getBoundingClientRect().width > 0);
            window.scrollBy(0, s.getBoundingClientRect().top - {HEADER} + 150); }}""")
        pg.evaluate(FRAME)
        pg.evaluate(FRAME)
        assert not P.evaluate(DRAWING_JS)["hidden"], "the pinned bar did not show: this test shows nothing"
        y0 = pg.evaluate("scrollY")
        for _ in range(3):
            _tap_next(P, pg)
        y1 = pg.evaluate("scrollY")
    finally:
        ctx.close()
    assert y1 == y0, (y0, y1)
