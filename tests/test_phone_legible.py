"""A reader on a phone reads the players' diagrams without zooming (Debian's chromium driven by
playwright): every word of the network drawing, the ladder and the router tables -- names,
addresses, step names, table cells -- is 12 CSS px or more on a 360x740 phone and 11 or more on a
320x640 one, and the page does not scroll sideways.  (They were 10.5 px on the network drawing
and 8.7 to 10.5 px on the ladder's addresses: a pinch-zoom to read them lost the step buttons and
the narration.)"""
import pytest

import sim
from sim.view import Player
from test_browser_player import CHROMIUM_ARGS, _frame, _need_browser
from test_phone_reader import GO, _player_page
from view_helpers import need_dot

# Each word's size on the screen: its font size times the scale its SVG is drawn at (viewBox to
# box, and the drawing's own transforms), for every SVG text shown in the player's boxes; the
# computed size of the HTML text in the router tables "as text" and in the packet pane.
SIZES_JS = r"""(P) => {
  const out = [];
  const shown = e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden';
  for (const [pane, sel] of [['network', '.op1-topo-box'], ['ladder', '.op1-ladder-box'],
                             ['tables', '.op1-state-box-wrap'], ['packet', '.op1-pkt-wrap']]) {
    const box = P.querySelector(sel);
    if (!box || !shown(box)) continue;
    for (const t of box.querySelectorAll('svg text')) {
      if (!shown(t) || !t.textContent.trim() || !t.getBoundingClientRect().width) continue;
      const m = t.getScreenCTM();
      out.push([pane + ' svg', parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b), t.textContent]);
    }
    for (const e of box.querySelectorAll('td,th,caption,pre,.op1-pkthead,.op1-pktchg')) {
      if (!shown(e) || !e.textContent.trim()) continue;
      out.push([pane + ' html', parseFloat(getComputedStyle(e).fontSize), e.textContent.slice(0, 40)]);
    }
  }
  return out; }"""


@pytest.mark.parametrize("screen,least", [((360, 740), 12), ((320, 640), 11)])
@pytest.mark.parametrize("scenario,seed", [("equalize-public", 1), ("equalize-nat", 5)])
def test_every_word_of_the_diagrams_is_readable_on_a_phone_without_zooming(tmp_path, screen, least, scenario, seed):
    """At 360 x 740 (and 320 x 640), each tab of ch.4's and ch.6's replays: the network drawing
    (top to bottom), the phone's ladder, the router tables as drawn and as text, the packet pane."""
    need_dot()
    exe = _need_browser()
    pl = Player(sim.run(scenario, seed=seed), title=f"{scenario}, seed {seed}", max_steps=30)
    _player_page(tmp_path / "p.html", pl)
    w, h = screen
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": w, "height": h}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
            pg.goto((tmp_path / "p.html").as_uri())
            pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
            P = pg.locator("[data-replay]")
            seen, small = set(), []
            for k in (0, 5, 12):
                P.evaluate(GO, k)
                for tab in ("ladder", "state", "pkt"):
                    P.locator(f'.op1-tabs [data-tab="{tab}"]').click()
                    _frame(pg)
                    # the router tables both ways: as text (a phone's default) and drawn
                    for drawn in ((False, True) if tab == "state" else (None,)):
                        if drawn is not None:
                            P.locator(".op1-text-toggle").set_checked(not drawn)
                            _frame(pg)
                        for pane, px, text in P.evaluate(SIZES_JS):
                            seen.add(pane)
                            if px < least - 0.01:
                                small.append((k, tab, pane, round(px, 2), text))
                        assert pg.evaluate("document.documentElement.scrollWidth") <= w, (k, tab, "the page scrolls sideways")
        finally:
            browser.close()
    assert {"network svg", "ladder svg", "tables svg", "tables html", "packet html"} <= seen, seen
    assert not small, small[:12]


@pytest.mark.parametrize("screen,tall", [((375, 667), 44), ((320, 640), 44), ((320, 568), 32)])
def test_the_pinned_step_buttons_are_a_fingers_44_px_where_the_drawing_leaves_room(tmp_path, screen, tall):
    """On a 375x667 or 320x640 phone the pinned step buttons were 34 px, every other control on a
    touch screen 44: they are 44 px there, and the network drawing's foot stays above them.  On a
    phone 600 px tall or less (320x568) they are 32 px, and the drawing's foot above them too: there
    it was 8 to 12 px under the 34 px buttons, the packet's tag hidden (test_phone_320)."""
    need_dot()
    exe = _need_browser()
    pl = Player(sim.run("equalize-nat", seed=5), title="equalize-nat, seed 5", max_steps=30)
    _player_page(tmp_path / "p.html", pl)
    from playwright.sync_api import sync_playwright
    from test_browser_player import _phone_at_narration
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "p.html", *screen)
            got = []
            for k in range(6):
                if k:
                    P.locator(".op1-float button[data-act=next]").evaluate("b => b.click()")
                _frame(pg)
                got.append(P.evaluate("""el => { const R = e => e.getBoundingClientRect(), f = document.querySelector('.op1-float');
                  const svg = [...el.querySelectorAll('svg.op1-topo')].find(s => R(s).width > 0);
                  return {hidden: f.hidden, buttons: [...f.querySelectorAll('button')].map(b => Math.round(R(b).height)),
                          bar: R(f).top, foot: R(svg).bottom}; }"""))
        finally:
            browser.close()
    for k, s in enumerate(got):
        assert not s["hidden"] and set(s["buttons"]) == {tall}, (k, s)
        assert s["foot"] <= s["bar"], (k, "the drawing's foot under the pinned buttons", s)
