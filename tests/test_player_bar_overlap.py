"""The player's floating step bar (First / Back / Play / Next / Last, pinned to the foot of the
window while the player's own bar is scrolled away) must not leave a replay's content where the
reader cannot get at it.  A reviewer at 1366x768 found ch.8's replay's "Uplinks" table's
``if2 150.0.0.1`` row under the bar, and a page step later under the page's header.  While the
bar shows, the page's ``scroll-padding-bottom`` is the bar's room: what the browser scrolls into
view (a link, find in page, the keyboard's focus, Page Down and Space) comes to rest above the
bar.  Debian's chromium driven by playwright, on a page served from 127.0.0.1."""
from __future__ import annotations

import pytest

import sim
from helpers import serving
from sim.view import Player
from sim.view.player import standalone_page
from test_browser_player import _need_browser
from view_helpers import need_dot

ROW = "if2 150.0.0.1"
TEXT = "<p>" + "Some text after the replay, for the page to scroll past it. " * 40 + "</p>"

#: the row of the router tables' Uplinks table, its rectangle in the window; the floating bar's
#: top (null: hidden); the page's scroll-padding-bottom (px) and top
PROBE = """(row) => {
  const t = [...document.querySelectorAll('.op1 svg text')].find(x => x.textContent.trim() === row);
  const f = document.querySelector('.op1-float');
  const cs = getComputedStyle(document.documentElement);
  const r = t.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, y: scrollY + r.top, vh: innerHeight,
          bar: f.hidden ? null : f.getBoundingClientRect().top,
          pad: parseFloat(cs.scrollPaddingBottom) || 0, padTop: parseFloat(cs.scrollPaddingTop) || 0};
}"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    need_dot()
    exe = _need_browser()
    # ch.8's replay: equalize behind 2.4's netfilter NAT, its router tables with an Uplinks table
    r = sim.run("equalize-nat", seed=1, nat="netfilter", size=3000)
    p = Player(r, title="Equalize behind netfilter's NAT", max_steps=17)
    d = tmp_path_factory.mktemp("site")
    (d / "index.html").write_text(standalone_page(["<h1>A replay</h1>", TEXT, p.html(), TEXT, TEXT],
                                                  "the bar and the tables"))
    from playwright.sync_api import sync_playwright
    with serving(d) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1366, "height": 768})
        pg.goto(base + "/index.html")
        pg.wait_for_function("document.querySelector('.op1 svg text') !== null")
        yield pg
        browser.close()


def _settle(pg):
    # the bar is checked once a frame, on scroll: two frames and it is where it will be
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    pg.wait_for_timeout(100)


def _with_bar_over_the_row(pg) -> dict:
    """Scrolled so that the row sits under the shown floating bar, as the reviewer found it."""
    pg.evaluate("window.scrollTo(0, 0)")
    _settle(pg)
    y = pg.evaluate(PROBE, ROW)["y"]
    pg.evaluate(f"window.scrollTo(0, {y} - innerHeight + 40)")
    _settle(pg)
    s = pg.evaluate(PROBE, ROW)
    assert s["bar"] is not None, "the floating bar did not show with the player's own bar scrolled away"
    assert s["bottom"] > s["bar"], s                        # under the bar: the case to get out of
    return s


def test_while_the_bar_shows_the_pages_scroll_padding_keeps_its_room(page):
    s = _with_bar_over_the_row(page)
    assert s["pad"] >= s["vh"] - s["bar"], s
    # hidden (the reader scrolled back to the player's own bar), the padding goes with it
    page.evaluate("window.scrollTo(0, 0)")
    _settle(page)
    s = page.evaluate(PROBE, ROW)
    assert s["bar"] is None and s["pad"] == 0, s


def test_a_row_scrolled_into_view_is_not_left_under_the_bar(page):
    """What a link, find in page or the keyboard's focus does: scroll the row into view, the
    nearest way.  It stopped with the row at the window's foot, under the bar."""
    _with_bar_over_the_row(page)
    page.evaluate("""(row) => [...document.querySelectorAll('.op1 svg text')]
                       .find(x => x.textContent.trim() === row).scrollIntoView({block: 'nearest'})""", ROW)
    _settle(page)
    s = page.evaluate(PROBE, ROW)
    assert s["bar"] is not None and s["bottom"] <= s["bar"], s


def test_page_down_brings_what_the_bar_covered_into_view(page):
    """Page Down from the reviewer's position: the row the bar covered shows whole on the next
    page, below the page's header (scroll-padding-top) and above the bar."""
    _with_bar_over_the_row(page)
    page.mouse.click(8, 8)                      # the keyboard's focus on the page, not a button
    page.keyboard.press("PageDown")
    page.wait_for_timeout(700)                  # (a smooth page scroll runs its course)
    _settle(page)
    s = page.evaluate(PROBE, ROW)
    assert s["top"] >= s["padTop"] and (s["bar"] is None or s["bottom"] <= s["bar"]), s
