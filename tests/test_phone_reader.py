"""A reader on a 360x740 phone, and one with a keyboard and a screen reader: the players' and the
exercises' controls in a real browser (Debian's chromium driven by playwright).

- "more ↓" under a cut box is a button that opens the box whole, for the steps that follow too,
  and "less ↑" folds it; folded (the default) the box keeps its height from step to step.
- On a touch or narrow screen every control is 44 px tall at least; a laptop keeps its lighter
  controls; nothing scrolls sideways at 320 px.
- A Check says its verdict alone; the explanation follows it in the page.
- The network diagram is named by its step, its counters in words."""
import html as _html
import re

import pytest

import sim
from sim.view import Player
from sim.view.player import standalone_page
from sim.view.topology import topology_svg
from test_browser_player import CHROMIUM_ARGS, HEADER_56, _frame, _need_browser, _phone_at_narration
from view_helpers import need_dot

PHONE = {"width": 360, "height": 740}
GO = ("(el, k) => { const s = el.querySelector('.op1-slider'); s.value = k; "
      "s.dispatchEvent(new Event('input', {bubbles: true})); }")


def _player_page(path, pl) -> None:
    path.write_text(standalone_page([HEADER_56, "<p>intro</p>" * 5, pl.html(),
                                     "<p>" + "text after. " * 400 + "</p>"], "p"))


# a box (narration, tables strip), its button under it and its height
BOX_JS = """(el, sel) => { const b = el.querySelector(sel), m = b.nextElementSibling;
  const c = m && m.classList.contains('op1-more') ? m.firstElementChild : null;
  const R = c && c.getBoundingClientRect(), B = b.getBoundingClientRect();
  return {cut: b.scrollHeight > b.clientHeight + 1, h: Math.round(B.height),
          tag: c ? c.tagName : null, said: c ? c.textContent : null,
          expanded: c ? c.getAttribute('aria-expanded') : null, controls: c ? c.getAttribute('aria-controls') : null,
          shown: !!(c && c.offsetParent && R.height), hidden: m ? m.getAttribute('aria-hidden') : null,
          id: b.id, rect: R ? [R.left, R.top, R.right, R.bottom] : null, box: [B.top, B.bottom],
          step: el.getAttribute('data-step')}; }"""


@pytest.mark.parametrize("sel", [".op1-narr", ".op1-what"])
def test_more_opens_the_box_whole_for_the_following_steps_and_less_folds_it(tmp_path, sel):
    """At 360x740 half the steps of ch.4's replay hid their point behind "more ↓", whose tap
    scrolled a small box inside the scrolling page (10 of 20 narrations, all 20 tables strips
    cut).  It is a button (aria-expanded): a tap opens the box to its whole height, and it stays
    open as the reader steps on; "less ↑" folds it.  Folded, as the page opens, the box keeps one
    height at every step (the buttons under it do not jump)."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="equalize-nat, seed 1", max_steps=20)
    _player_page(tmp_path / "more.html", pl)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            pg, P = _phone_at_narration(browser, tmp_path / "more.html", 360, 740)
            n = int(P.get_attribute("data-frames"))
            folded = []
            for k in range(n):
                P.evaluate(GO, k)
                _frame(pg)
                folded.append(P.evaluate(BOX_JS, sel))
            k0 = next(k for k, s in enumerate(folded) if s["cut"])
            P.evaluate(GO, k0)
            _frame(pg)
            P.evaluate("(el, sel) => el.querySelector(sel).scrollIntoView({block: 'center'})", sel)
            _frame(pg)
            cue = P.locator(f"{sel} + .op1-more > button")
            cue.tap()
            _frame(pg)
            opened = [P.evaluate(BOX_JS, sel)]
            for k in range(k0 + 1, n):
                P.evaluate(GO, k)
                _frame(pg)
                opened.append(P.evaluate(BOX_JS, sel))
            # the keyboard: the button takes Enter (and the replay does not step)
            P.evaluate(GO, k0)
            _frame(pg)
            cue.focus()
            pg.keyboard.press("Enter")
            _frame(pg)
            closed = P.evaluate(BOX_JS, sel)
            pg.keyboard.press(" ")
            _frame(pg)
            again = P.evaluate(BOX_JS, sel)
        finally:
            browser.close()
    assert 0 < sum(s["cut"] for s in folded) < n or sel == ".op1-what", folded
    assert len({s["h"] for s in folded}) == 1, ("folded, the box's height changed from step to step", folded)
    for s in folded:
        assert s["shown"] == s["cut"], s
        if s["cut"]:
            assert (s["tag"], s["said"], s["expanded"], s["hidden"]) == ("BUTTON", "more ↓", "false", None), s
            assert s["controls"] == s["id"], s
    # open: every step's text whole, "less ↑" shown where folding would cut it
    for s in opened:
        assert not s["cut"], ("open, the box still cuts its text", s)
        assert s["expanded"] == "true" and s["said"] == "less ↑", s
    assert opened[0]["shown"]
    l, t, r_, b = opened[0]["rect"]
    assert opened[0]["box"][0] < t and b <= opened[0]["box"][1] + 1, opened[0]
    assert closed["step"] == again["step"] == str(k0)
    assert closed["cut"] and closed["expanded"] == "false" and closed["said"] == "more ↓", closed
    assert closed["h"] == folded[k0]["h"], (closed, folded[k0])
    assert not again["cut"] and again["expanded"] == "true", again


# every control's size (the visible ones), by what it is
SIZES_JS = """() => Array.from(document.querySelectorAll(
    '.op1-bar button, .op1-bar select, .op1-float button, .op1-allbox, .op1-dl a, .op1-tabs button, ' +
    '.sx-exercise button, .sx-exercise label, .sx-exercise select, .sx-exercise input.sx-input, .sx-exercise summary, ' +
    '.op1-lc select, .op1-lc input[data-int], .op1-lc input[data-text], .op1-lp-controls button[data-run], .op1-lc-bool'))
  .filter(e => e.getClientRects().length && e.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}))
  .map(e => { const r = e.getBoundingClientRect();
    return [e.className || e.tagName, (e.textContent || '').trim().slice(0, 24), Math.round(r.width), Math.round(r.height * 10) / 10,
            [r.left, r.top, r.right, r.bottom]]; })"""


def _controls_page(tmp_path) -> str:
    """A page with a player, a live panel's controls and two exercises of chapter 4 (its styles as
    the book gives them), the way a phone lays them out."""
    from pathlib import Path
    from sim.exercises.html import page_html
    from sim.view.inpage import panel_html
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="equalize-nat, seed 1", max_steps=20)
    css = (Path(__file__).resolve().parent.parent / "book" / "_live" / "panel.css").read_text()
    panel = panel_html("equalize-nat", "live/", "lp1", 30_000_000)
    ex = page_html(4)
    body = ex[ex.index(">", ex.index("<body")) + 1:ex.rindex("</body>")]
    page = standalone_page([f"<style>{css}</style>", panel, pl.html(), body], "controls")
    (tmp_path / "controls.html").write_text(page)
    return (tmp_path / "controls.html").as_uri()


def test_on_a_phone_every_control_is_a_fingers_size_and_a_laptop_keeps_its_own(tmp_path):
    """At 360 px the panel's boxes were 32-34 px tall, Run 36, an exercise's Check, "Use it" and
    its choices' rows 32, "Reproduce with the simulator" 28, "show the whole exchange" 28, the
    download links 29, the step buttons 40.  On a touch screen each is 44 px tall at the least,
    nothing scrolls sideways at 320 px and no two controls overlap; on a laptop (a mouse, 1280 px)
    they keep their lighter height."""
    need_dot()
    exe = _need_browser()
    url = _controls_page(tmp_path)
    from playwright.sync_api import sync_playwright
    got = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            for name, vp, touch in (("phone", PHONE, True), ("small", {"width": 320, "height": 640}, True),
                                    ("laptop", {"width": 1280, "height": 800}, False)):
                pg = browser.new_page(viewport=vp, is_mobile=touch, has_touch=touch)
                pg.goto(url)
                pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
                pg.wait_for_selector(".sx-exercise[data-sx-ready]", state="attached")
                _frame(pg)
                got[name] = {"sizes": pg.evaluate(SIZES_JS),
                             "wide": pg.evaluate("document.documentElement.scrollWidth"),
                             "vw": pg.evaluate("document.documentElement.clientWidth")}
                pg.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
                pg.close()
        finally:
            browser.close()
    for name in ("phone", "small"):
        sizes = got[name]["sizes"]
        kinds = {s[0].split()[0] for s in sizes}
        assert {"op1-allbox", "sx-check", "SELECT", "INPUT"} <= kinds and any(s[1] == "Run" for s in sizes), kinds
        small = [s[:4] for s in sizes if s[3] < 44 - 0.5]
        assert not small, (name, "under 44 px tall", small)
        assert got[name]["wide"] <= got[name]["vw"], (name, "the page scrolls sideways", got[name]["wide"])
        rects = [s[4] for s in sizes if not s[0].startswith("op1-lc-bool")]
        over = [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:]
                if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1
                and not (a[0] <= b[0] and b[2] <= a[2] and a[1] <= b[1] and b[3] <= a[3])
                and not (b[0] <= a[0] and a[2] <= b[2] and b[1] <= a[1] and a[3] <= b[3])]
        assert not over, (name, "controls overlap", over[:3])
    laptop = got["laptop"]["sizes"]
    light = [s for s in laptop if s[0] in ("sx-check", "op1-allbox") or s[0].startswith("sx-check")]
    assert light and all(s[3] < 44 for s in light), ("the laptop's controls grew", light)


def _chapter_4_page(tmp_path):
    from sim.exercises.html import page_html
    (tmp_path / "ex.html").write_text(page_html(4))
    return (tmp_path / "ex.html").as_uri()


# every status region's words as they change (as test_a11y's SAID_INIT): [its class, its words]
SAID_INIT = """(() => {
  window.__said = [];
  new MutationObserver(recs => {
    const hit = new Set();
    for (const m of recs) { const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const r = el && el.closest('[aria-live], [role=status], [role=alert], [role=log]');
      if (r && (r.getAttribute('aria-live') || 'polite') !== 'off') hit.add(r); }
    for (const r of hit) { const t = r.textContent.trim();
      if (t) window.__said.push([(r.getAttribute('class') || '').split(' ')[0], t]); }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})()"""


@pytest.mark.parametrize("which", ["wrong", "right"])
def test_a_check_says_its_verdict_alone_and_shows_the_explanation_after_it(tmp_path, which):
    """Ch.4's first exercise: after Check the feedback, a status region, was said whole, 834
    characters.  The verdict ("Not if2:", "It leaves by if3:") is said, alone, by a status region
    of its own; the explanation follows it in the same box, in the page, not said; the box's text
    is the checker's, unchanged (the grader and the notebook say the same)."""
    exe = _need_browser()
    from sim.exercises.bank import chapter_ids, instance
    from sim.exercises.html import Exercise
    from sim.exercises.variants import BOOK_STUDENT
    ex_id = chapter_ids(4)[0]
    inst = instance(ex_id, BOOK_STUDENT)
    choice = inst.answer if which == "right" else next(c for c in inst.choices if c != inst.answer)
    ok, text = Exercise(ex_id).check(choice)
    assert ok == (which == "right") and len(text) > 200
    plain = text.replace("`", "")
    url = _chapter_4_page(tmp_path)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport=PHONE)
            ctx.add_init_script(SAID_INIT)
            pg = ctx.new_page()
            pg.goto(url)
            root = pg.locator(f'[data-exercise="{ex_id}"]')
            pg.wait_for_selector(f'[data-exercise="{ex_id}"][data-sx-ready]', state="attached")
            pg.evaluate("window.__said.splice(0)")
            root.locator(f'input[type=radio][value="{choice}"]').check()
            root.locator(".sx-check").click()
            pg.wait_for_function("e => e.textContent.trim()", arg=root.locator(".sx-feedback").element_handle())
            pg.wait_for_timeout(100)
            said = pg.evaluate("window.__said.splice(0)")
            fb = root.locator(".sx-feedback")
            verdict = root.locator(".sx-feedback > [role=status]")
            got = {"text": fb.text_content(), "role": fb.get_attribute("role"), "live": fb.get_attribute("aria-live"),
                   "verdict": verdict.text_content(), "order": fb.evaluate(
                       "e => Array.from(e.children).map(c => [c.className, c.getAttribute('role')])")}
        finally:
            browser.close()
    # (a right answer's text, whose checker names no outcome, opens with "Right.", as before)
    shown = plain if which == "wrong" else "Right.\n\n" + plain
    assert got["text"] == shown, (got["text"][:120], shown[:120])
    assert got["role"] is None and got["live"] is None, got
    head = plain.split(":")[0] + ":" if which == "wrong" else "Right."
    assert got["verdict"] == head and len(head) < 40, got["verdict"]
    assert said == [["sx-verdict", head]], said
    assert got["order"] == [["sx-verdict", "status"], ["sx-explain", None]], got["order"]


def test_the_network_is_named_by_its_step_and_its_counters_said_in_words(tmp_path):
    """Every player's network diagram was a group named "network diagram", its counters read
    "↑0 ↓2".  It is named by its step -- where the packet is, each uplink's counters in words --
    in the page's player as the step changes, the same name the LivePlayer's drawing
    (topology_svg, topology.apply) has; the counters' arrows are hidden from a screen reader."""
    need_dot()
    exe = _need_browser()
    r = sim.run("equalize-nat", seed=1)
    pl = Player(r, title="names", max_steps=40)
    _player_page(tmp_path / "names.html", pl)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            names, trees = [], []
            for vp in ({"width": 1280, "height": 900}, PHONE):
                pg = browser.new_page(viewport=vp)
                pg.goto((tmp_path / "names.html").as_uri())
                pg.wait_for_selector("[data-replay][data-op1-live]", state="attached")
                P = pg.locator("[data-replay]")
                for k in (0, 3, 30, pl.frames - 1):
                    P.evaluate(GO, k)
                    _frame(pg)
                    # (the drawing shown: the wide one, or a phone's top to bottom)
                    names.append(P.evaluate("""el => Array.from(el.querySelectorAll('svg.op1-topo'))
                        .filter(s => s.getBoundingClientRect().width).map(s => s.getAttribute('aria-label'))"""))
                    trees.append(P.locator(".op1-topo-box").aria_snapshot())
                pg.close()
        finally:
            browser.close()
    for k, got, tree in zip((0, 3, 30, pl.frames - 1) * 2, names, trees):
        i = pl.steps[k]
        want = _html.unescape(re.search(r'<svg class="op1-topo"[^>]*aria-label="([^"]*)"', topology_svg(r, i)).group(1))
        assert got == [want], (k, got, want)
        assert want.startswith("Network: ") and "uplink1 sent" in want and "received" in want, want
        assert f'group "{want}"' in tree, tree[:300]
        assert "↑" not in tree and "↓" not in tree, tree
    assert any(" on lan, Local host 1 to Linux router" in n[0] for n in names), names
    assert len({n[0] for n in names}) >= 3 and names[:4] == names[4:], names
