"""What a reader meets in a real JupyterLab (the one Binder and a hub give), in headless Chromium.

A static replay is an HTML output there, inside JupyterLab's ``.jp-RenderedHTMLCommon``, whose
own rules for tables, ``pre``, ``p`` and links weigh more than the player's one-class rules: the
packet pane's values were right-aligned, and beside a long TCP options value they ended out of
their box.  Each test opens a notebook of the lab's folder (outputs stored, signed as a run
leaves them: no kernel runs it) or a chapter, with every request to another host blocked.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import jupyterlab_server

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "op1-jupyterlab-test"
#: what is compared, element by element, between a replay in JupyterLab and on a page of its own
PROPS = ["text-align", "padding-top", "padding-right", "padding-bottom", "padding-left", "border-top-width",
         "border-top-style", "border-top-color", "border-left-width", "border-left-style", "background-color",
         "white-space", "font-weight", "font-family", "font-size", "line-height", "margin-top", "margin-right",
         "margin-bottom", "margin-left", "max-width", "table-layout", "vertical-align", "color",
         "text-decoration-line", "display", "overflow-x", "list-style-type"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab on a folder of its own (its settings, data and runtime folders there too),
    its application object reachable from the page (``window.jupyterapp``)."""
    work = tmp_path_factory.mktemp("jlab")
    (work / "root").mkdir()
    with jupyterlab_server(work, TOKEN, "--LabApp.expose_app_in_browser=True",
                           f"--ServerApp.root_dir={work / 'root'}") as base:
        yield base, work


def _signed_notebook(path: Path, htmls: list[str], data_dir: Path) -> None:
    """A notebook whose cells' outputs are ``htmls``, signed as the kernel's outputs of a run are
    (so JupyterLab runs their scripts)."""
    import nbformat
    from nbformat.sign import NotebookNotary
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(f"# replay {k}", execution_count=k + 1, outputs=[
            nbformat.v4.new_output("execute_result", {"text/html": h, "text/plain": "replay"}, execution_count=k + 1)])
        for k, h in enumerate(htmls)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    NotebookNotary(data_dir=str(data_dir)).sign(nb)
    nbformat.write(nb, str(path))


def _in_each_theme(page, snapshot: str) -> dict:
    """``snapshot``'s computed styles (of PROPS) in JupyterLab's light theme and in its dark one."""
    themes = {}
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        page.evaluate("t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme)
        page.wait_for_function("t => document.body.dataset.jpThemeName === t", arg=theme, timeout=30_000)
        page.wait_for_timeout(500)
        themes[theme] = page.evaluate(snapshot, PROPS)
    return themes


def _page(browser, base: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    blocked = []

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()
    page.route("**/*", route)
    return page, blocked


#: the computed styles of every element of every player, in document order
SNAPSHOT = """(props) => {
  const out = [];
  for (const o of document.querySelectorAll('.op1'))
    for (const e of o.querySelectorAll('*')) {
      const cs = getComputedStyle(e);
      out.push([e.tagName.toLowerCase() + [...e.classList].map(c => '.' + c).join(''),
                props.map(p => cs.getPropertyValue(p)), e.closest('svg') ? 1 : 0,
                cs.getPropertyValue('width') === e.parentElement.getBoundingClientRect().width + 'px']);
    }
  return out; }"""

#: each dissection value whose text starts outside its packet box (its scroll box): [value, x, box]
OUTSIDE = """() => {
  const out = [];
  for (const t of document.querySelectorAll('.op1-diss')) {
    const box = t.closest('.op1-pkt-box').getBoundingClientRect();
    for (const c of t.querySelectorAll('td')) {
      if (!c.textContent.trim()) continue;
      const r = document.createRange(); r.selectNodeContents(c);
      const x = r.getClientRects()[0].left;
      if (!(x >= box.left && x < box.right - 8)) out.push([c.textContent.slice(0, 30), Math.round(x), Math.round(box.left), Math.round(box.right)]);
    }
  }
  return out; }"""


def test_a_static_replay_in_jupyterlab_is_drawn_as_on_its_own_page(lab, chromium):
    """A captured SYN's options ("MSS 1460; SAckOK; Timestamp (...); NOP; WScale 10", chapter 9)
    and an MPTCP SYN's (chapter 10) widen the packet pane's value column: in JupyterLab every
    value was right-aligned in it, "5000" began at x = 962 beyond the 381 px box, and the TCP
    table showed names without values.  Every value starts inside its box; and no style of
    JupyterLab's reaches the player: each element of a replay and of a comparison has the
    computed style it has on a page of its own, in JupyterLab's light theme and in its dark one
    (whose light table text stood on the player's white)."""
    import sim
    from sim import measured
    from sim.view import Compare, Player
    from sim.view.capture import captured
    base, work = lab
    r_mp = sim.run("mptcp", seed=1)
    r_masq = sim.run("echo", multipath="numgen", nat="masquerade", **measured.LAB)
    cap = captured(str(ROOT / "book" / "data" / "kernel" / "perpacket-masquerade.pcapng"), r_masq)
    htmls = [Player(r_mp, title="mptcp, seed 1", stop=40).html(),
             Compare(cap, r_masq, labels=("Linux 6.18, captured", "simulator"), title="per-packet + MASQUERADE",
                     stop=30).html()]
    assert "MP_CAPABLE" in htmls[0] and "WScale" in htmls[1]          # the long options, at step 1
    _signed_notebook(work / "root" / "replays.ipynb", htmls, work / "data")
    page, blocked = _page(chromium, base)
    try:
        page.goto(f"{base}/lab/workspaces/replays/tree/replays.ipynb?reset&token={TOKEN}")
        page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output .op1 .op1-diss').length >= 3",
                               timeout=90_000)
        page.wait_for_timeout(1500)                 # the players' scripts lay out their boxes
        assert page.evaluate("() => [...document.querySelectorAll('.op1')].every(o =>"
                             " o.closest('.jp-RenderedHTMLCommon.jp-mod-trusted'))")
        outside = page.evaluate(OUTSIDE)
        assert not outside, f"packet values that start outside their box in JupyterLab: {outside[:6]}"
        width = page.evaluate("() => document.querySelector('.op1').getBoundingClientRect().width")
        themes = _in_each_theme(page, SNAPSHOT)
        own = chromium.new_page(viewport={"width": 1400, "height": 1000})
        own.set_content('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body style="margin:0">'
                        f'<div style="width:{width}px">' + "".join(htmls) + "</div></body></html>")
        own.wait_for_timeout(1500)
        alone = own.evaluate(SNAPSHOT, PROPS)
        own.close()
    finally:
        page.close()
    assert not blocked, blocked[:5]
    for theme, there in themes.items():
        assert [e[0] for e in there] == [e[0] for e in alone], f"{theme}: the players' elements differ"
        differ = {}
        for (tag, got, in_svg, full), (_, want, _, _) in zip(there, alone):
            for prop, a, b in zip(PROPS, got, want):
                if a == b or (prop == "text-align" and {a, b} == {"left", "start"}):   # the same, left to right
                    continue
                if prop == "max-width" and in_svg + full and a == "100%":      # a drawing already as wide as its box
                    continue
                differ.setdefault((tag, prop, a, b), 0)
                differ[(tag, prop, a, b)] += 1
        assert not differ, f"{theme}: styles of JupyterLab's in the players (element, property, " \
                           f"in JupyterLab, alone: count): {dict(list(differ.items())[:12])}"


def test_a_chapter_opened_in_jupyterlab_is_marked_changed_and_saved_back_as_it_was(lab, chromium):
    """A Binder user opened chapter 5, edited nothing, ran nothing: its tab showed it changed, and
    closing it asked to save.  JupyterLab adds the kernel's ``language_info`` to a notebook as it
    opens it, and a chapter's Markdown keeps none (jupytext writes no such header; a file that kept
    it would change with each Python version, and ``git pull`` would refuse): nothing in the
    repository's files can keep the tab clean.  The preface says so, and that saving such a
    chapter -- by hand or JupyterLab's autosave -- writes it back byte for byte; so it does, through
    the jupytext of this environment and the chapters' own settings (book/jupytext.toml)."""
    base, work = lab
    book = work / "root" / "book"
    book.mkdir(exist_ok=True)
    for f in ("jupytext.toml", "book/jupytext.toml", "book/05-nat.md"):
        shutil.copyfile(ROOT / f, work / "root" / f)
    before = (book / "05-nat.md").read_bytes()
    page, blocked = _page(chromium, base)
    try:
        page.goto(f"{base}/lab/workspaces/chapter/tree?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=90_000)
        page.evaluate("""async () => {
          const app = window.jupyterapp; await app.restored;
          window.chapter = await app.commands.execute('docmanager:open',
            {path: 'book/05-nat.md', factory: 'Jupytext Notebook'});
          await window.chapter.context.ready; }""")
        page.wait_for_function("() => { const w = window.chapter; return w.sessionContext.kernelDisplayStatus === 'idle'"
                               " && (w.context.model.getMetadata('language_info') || {}).name === 'python'; }",
                               timeout=120_000)
        got = page.evaluate("""async () => {
          const c = window.chapter.context, was = c.model.dirty;
          await c.save();
          return [was, c.model.dirty, c.model.getMetadata('language_info').version]; }""")
    finally:
        page.close()
    assert not blocked, blocked[:5]
    assert got[0] is True, "JupyterLab no longer marks an untouched chapter changed: the preface's sentence can go"
    assert got[1] is False and got[2].startswith(f"{sys.version_info[0]}.")
    assert (book / "05-nat.md").read_bytes() == before, "saved from JupyterLab, the chapter changed"
    preface = " ".join((ROOT / "book" / "00-preface.md").read_text().split())
    assert "marks a chapter as changed as soon as it opens it" in preface
    assert "saved without an edit, the chapter is written back byte for byte" in preface


def test_the_live_players_downloads_are_blob_urls_when_clicked(lab, chromium):
    """Chapter 10's live player at 1 MB with three subflows offered its whole run's pcapng as a
    6.15 MB data: URL (a widget's HTML runs no script), where the page's panel moved to blob URLs
    because a browser may refuse a URL of megabytes.  Clicked, each link of the widget is a blob
    URL of the same bytes, under the same name; before the click, and for a front end that runs
    no handler, it is the data: URL it was."""
    import nbformat
    base, work = lab
    cell = ("import sys; sys.path.insert(0, %r)\n"
            "from sim.view import LivePlayer\n"
            "LivePlayer('equalize-nat', seed=3, size=3000, max_steps=40)" % str(ROOT))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, str(work / "root" / "live.ipynb"))
    page = chromium.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    blocked, errors = [], []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((base, "data:", "blob:"))
               else (blocked.append(r.request.url), r.abort()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/lab/workspaces/live/tree/live.ipynb?reset&token={TOKEN}")
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=90_000)
        page.locator(".jp-Notebook .jp-Cell").first.click()
        for _ in range(3):            # a run asked for while the kernel still connects is lost
            page.keyboard.press("Control+Enter")
            try:
                page.locator(".op1-live").wait_for(timeout=60_000)
                break
            except Exception:
                continue
        page.get_by_role("button", name="Downloads…").click()
        links = page.locator(".op1-live .op1-dl a[download]")
        links.first.wait_for(timeout=60_000)
        assert links.count() == 4
        got = {}
        for k in range(4):
            a = links.nth(k)
            name, href = a.get_attribute("download"), a.get_attribute("href")
            assert href.startswith("data:"), (name, href[:40])
            with page.expect_download() as dl:
                a.click()
            got[name] = (href, dl.value.url, Path(dl.value.path()).read_bytes(), a.get_attribute("href"))
    finally:
        page.close()
    assert not blocked and not errors, (blocked[:5], errors)
    import base64
    stem = next(n for n in got if n.endswith("-replay.pcapng"))[:-len("-replay.pcapng")]
    assert set(got) == {f"{stem}-{part}.{ext}" for part in ("replay", "whole-run") for ext in ("pcapng", "txt")}
    for name, (href, url, data, after) in got.items():
        assert url.startswith("blob:") and after == url, (name, url[:40])
        assert data == base64.b64decode(href.split(";base64,", 1)[1]), name


#: the computed styles of every element of every exercise, in document order (JupyterLab's own
#: additions to a heading -- its number, its anchor link -- left out)
EXERCISE_SNAPSHOT = """(props) => {
  const out = [];
  for (const o of document.querySelectorAll('.sx-exercise'))
    for (const e of o.querySelectorAll('*')) {
      if (e.closest('svg, .numbering-entry, .jp-InternalAnchorLink')) continue;
      const cs = getComputedStyle(e);
      out.push([e.tagName.toLowerCase() + [...e.classList].map(c => '.' + c).join(''), props.map(p => cs.getPropertyValue(p))]);
    }
  return out; }"""


def test_a_chapters_exercises_in_jupyterlab_keep_their_own_look(lab, chromium):
    """A chapter's exercises run in JupyterLab (their id box, their traces): JupyterLab's rules for
    an output's pre and code drew the trace and the code in the theme's colours -- white on black
    in the dark theme, inside the exercise's light box --, at 15 px, without the box's frame and
    padding; its heading rule moved the title down.  Each element has the style it has on a page
    of its own, light and dark, but for what the host rightly decides: its monospace and buttons'
    fonts, and the margins around a trace (the book's theme and JupyterLab give none)."""
    from sim.exercises.html import chapter_html
    base, work = lab
    html = chapter_html(2, pool=True)            # what a kernel's chapter_html(2) gives: test_exercises
    _signed_notebook(work / "root" / "exercises.ipynb", [html], work / "data")
    page, blocked = _page(chromium, base)
    try:
        page.goto(f"{base}/lab/workspaces/exercises/tree/exercises.ipynb?reset&token={TOKEN}")
        page.wait_for_selector(".jp-OutputArea-output .sx-exercise .sx-student .sx-sid-input", timeout=90_000)
        width = page.evaluate("() => document.querySelector('.sx-exercise').getBoundingClientRect().width")
        themes = _in_each_theme(page, EXERCISE_SNAPSHOT)
        own = chromium.new_page(viewport={"width": 1400, "height": 1000})
        own.set_content('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body style="margin:0">'
                        f'<div style="width:{width}px">{html}</div></body></html>')
        own.wait_for_selector(".sx-student .sx-sid-input")
        alone = own.evaluate(EXERCISE_SNAPSHOT, PROPS)
        own.close()
    finally:
        page.close()
    assert not blocked, blocked[:5]
    for theme, there in themes.items():
        assert [e[0] for e in there] == [e[0] for e in alone], f"{theme}: the exercises' elements differ"
        differ = {}
        for (tag, got), (_, want) in zip(there, alone):
            for prop, a, b in zip(PROPS, got, want):
                if a == b or prop == "font-family" or (prop in ("margin-top", "margin-bottom") and tag.startswith("pre")):
                    continue
                differ[(tag, prop, a, b)] = differ.get((tag, prop, a, b), 0) + 1
        assert not differ, f"{theme}: styles of JupyterLab's in the exercises (element, property, " \
                           f"in JupyterLab, alone: count): {dict(list(differ.items())[:12])}"
