"""Accessibility of what the service worker (book/_live/sw.js) and its footer control show: the
page a reader gets offline for a page not on the device, and "Save the book for offline
reading" with its status line, before and after it is pressed.  (tests/test_a11y.py blocks the
service worker: neither appears there.)

- axe-core (node_modules, injected from the file as tests/test_a11y.py does: nothing fetched)
  finds no violation of any impact on either, in the theme's light and dark modes.
- The offline page is in the reader's colours (the theme's switch, else the device's setting),
  its title says what its heading says (a screen reader reads the title first), and the pages
  it links are a landmark of their own.
- With the keyboard only: Tab reaches the button, Enter presses it, the focus stays on it, and
  the status line (a polite live region, there before it speaks) says how many pages are on
  the device; on a page loaded past the worker (a forced reload), it says what to do.

The browser tests use the built site (_build/html): ``make book`` first.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_a11y import AXE, AXE_JS, NO_FADES, _need_axe  # noqa: E402
from test_live_sw import _read, built, served  # noqa: E402,F401

NOT_KEPT = "This page is not on this device yet"
SAVE = ".op1-save button"
SAID = ".op1-save [role=status]"
MODES = ("light", "dark")
#: the theme's switch (pydata-sphinx-theme keeps the reader's choice in localStorage "mode")
SWITCH = "m => localStorage.setItem('mode', m)"
#: the body's background, light (luminance above one half) or not
LIGHT_BODY = """() => { const m = getComputedStyle(document.body).backgroundColor.match(/[\\d.]+/g).map(Number);
  const [r, g, b] = m, a = m.length > 3 ? m[3] : 1;
  return a === 0 || (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 > 0.5; }"""


def _axe(pg, within: str = "html") -> list[dict]:
    """axe's violations (all rules, every impact) on the page, for the nodes within ``within``."""
    if not pg.evaluate("typeof axe !== 'undefined'"):
        pg.add_script_tag(path=str(AXE))
        pg.add_style_tag(content=NO_FADES)
    pg.wait_for_timeout(100)
    return [n for n in pg.evaluate(AXE_JS, [within, None]) if n["own"]]


@pytest.mark.parametrize("mode", MODES)
def test_the_page_not_on_this_device_has_no_axe_violation_in_the_readers_colours(built, mode):
    _need_axe()
    with served(built) as (site, ctx, pg):
        _read(site, pg, "05-nat")
        pg.evaluate(SWITCH, mode)
        site.down = True
        pg.goto(f"{site.url}/book/07-icmp.html", wait_until="load")
        assert pg.inner_text("h1") == NOT_KEPT
        assert pg.evaluate(LIGHT_BODY) == (mode == "light")
        assert _axe(pg) == []
        # (the device's setting, where the theme's switch says "auto")
        pg.evaluate(SWITCH, "auto")
        pg.emulate_media(color_scheme=mode)
        pg.reload(wait_until="load")
        assert pg.evaluate(LIGHT_BODY) == (mode == "light")
        assert _axe(pg) == []


def test_the_page_not_on_this_device_says_which_in_its_title_and_its_links_are_a_landmark(built):
    with served(built) as (site, ctx, pg):
        chapter = _read(site, pg, "05-nat")
        title = pg.title()
        site.down = True
        pg.goto(f"{site.url}/book/07-icmp.html", wait_until="load")
        assert pg.title() == "Not on this device yet: /book/07-icmp.html"
        nav = pg.get_by_role("navigation", name="Pages on this device")
        assert nav.get_by_role("link").all_inner_texts() == [title]
        assert nav.get_by_role("link").get_attribute("href") == chapter


def _tab_to_save(pg):
    """The focus on the element before the save button in the tab order, then Tab."""
    pg.wait_for_selector(SAVE)
    pg.evaluate("""() => { const all = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
      .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length);
      all[all.indexOf(document.querySelector('.op1-save button')) - 1].focus(); }""")
    pg.keyboard.press("Tab")
    assert pg.evaluate(f"document.activeElement === document.querySelector({SAVE!r})")


@pytest.mark.parametrize("mode", MODES)
def test_save_the_book_from_the_keyboard_says_what_it_did_with_no_axe_violation(built, mode):
    _need_axe()
    with served(built) as (site, ctx, pg):
        _read(site, pg, "05-nat")
        pg.evaluate(SWITCH, mode)
        pg.reload(wait_until="load")
        assert pg.evaluate("document.documentElement.dataset.mode") == mode
        _tab_to_save(pg)
        assert pg.get_by_role("button", name="Save the book for offline reading").count() == 1
        # the live region is there, empty, before it speaks (one added with its words is not read)
        said = pg.locator(SAID)
        assert said.count() == 1 and said.inner_text().strip() == ""
        assert _axe(pg, ".bd-footer-content") == []
        pg.keyboard.press("Enter")
        pg.wait_for_function(f"document.querySelector({SAID!r}).textContent.includes('All ')", timeout=300_000)
        assert pg.evaluate(f"document.activeElement === document.querySelector({SAVE!r})")
        assert said.inner_text().strip().startswith("All ")
        assert _axe(pg, ".bd-footer-content") == []


def test_save_the_book_on_a_page_loaded_past_the_worker_says_what_to_do(built):
    """A forced reload (Shift+Reload) loads the page past the worker: no worker to ask; pressing
    said nothing at all."""
    with served(built) as (site, ctx, pg):
        _read(site, pg, "05-nat")
        pg.wait_for_selector(SAVE)
        pg.evaluate("Object.defineProperty(navigator.serviceWorker, 'controller', {get: () => null})")
        _tab_to_save(pg)
        pg.keyboard.press("Enter")
        assert "forced reload): reload it, and press again" in pg.inner_text(SAID)
        assert pg.evaluate(f"document.activeElement === document.querySelector({SAVE!r})")


def test_on_a_phone_save_the_book_is_a_fingers_height_and_says_what_it_did_on_a_line_of_its_own(built):
    """At 360 px the button was 34 px tall, and its status wrapped around it ("All 14" beside
    the button, "pages of the book ..." under it)."""
    with served(built) as (site, ctx, pg):
        pg.set_viewport_size({"width": 360, "height": 740})
        _read(site, pg, "05-nat")
        pg.wait_for_selector(SAVE)
        button = pg.locator(SAVE)
        assert button.bounding_box()["height"] >= 44
        button.click()
        pg.wait_for_function(f"document.querySelector({SAID!r}).textContent.includes('All ')", timeout=300_000)
        b, s = button.bounding_box(), pg.locator(SAID).bounding_box()
        assert s["y"] >= b["y"] + b["height"], (b, s)
        # one box: every line of the status starts at the button's left edge
        lefts = pg.evaluate(f"""() => {{ const r = document.createRange();
          r.selectNodeContents(document.querySelector({SAID!r}));
          return [...r.getClientRects()].map(x => Math.round(x.left)); }}""")
        assert lefts and set(lefts) == {round(b["x"])}, (lefts, b)
