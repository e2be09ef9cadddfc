"""A kernel without graphviz's ``dot``: each diagram says, in one line, how to install it.

A chapter's figure (``booklib.show_dot``) and replay (``booklib.replay``, ``compare``) show
the line in their place and the cell goes on, so Run All goes on too (a cell that raises stops
it); ``sim.view``'s own diagrams raise ``GraphvizMissing``, which IPython shows as that one
line (``_render_traceback_``), as it does a missing ipywidgets; ``LivePlayer`` stands aside
with the line, as it does without ipywidgets.  In the book's build (``booklib.BUILD_ENV``)
a missing ``dot`` fails the chapter: the static site needs every diagram.  Run in a Python
whose PATH has no ``dot``.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_without_dot(code: str, tmp_path) -> str:
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}   # an empty folder: no dot
    env.pop("OP1_BOOK_BUILD", None)     # a reader's notebook, not the book's build (booklib.BUILD_ENV)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                       cwd=ROOT / "book", env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_a_chapters_figure_shows_the_install_line_and_the_cell_goes_on(tmp_path):
    out = run_without_dot("""
        import booklib as bl
        from sim.view._dot import GraphvizMissing, INSTALL_HINT
        shown = []
        bl.md = shown.append
        bl.show_dot("digraph { a -> b }", alt="two nodes")
        print(shown == [f"The figure is not drawn: {INSTALL_HINT}"])
        try:
            bl.dot("digraph { a -> b }")
        except GraphvizMissing as e:
            print(str(e) == INSTALL_HINT)
        print("after")
    """, tmp_path)
    assert out.split() == ["True", "True", "after"]


def test_ipython_shows_a_missing_dot_as_one_line(tmp_path):
    pytest.importorskip("IPython")
    out = run_without_dot("""
        from IPython.core.interactiveshell import InteractiveShell
        sh = InteractiveShell.instance(colors="nocolor")
        sh.run_cell("from sim.view import Player\\nimport sim\\nPlayer(sim.run('connection-level', seed=1), stop=5)")
    """, tmp_path)
    from sim.view._dot import INSTALL_HINT
    assert out.strip() == INSTALL_HINT


def test_a_chapters_replay_and_compare_show_the_line_and_run_all_goes_on(tmp_path):
    """A cell that raises is an error output, and JupyterLab's Run All stops at it: a chapter's
    replay is one line and no error, and the cells after it run."""
    pytest.importorskip("IPython")
    out = run_without_dot("""
        from IPython.core.interactiveshell import InteractiveShell
        sh = InteractiveShell.instance(colors="nocolor")
        for cell in ["import booklib as bl\\nr = bl.run('connection-level', seed=1)",
                     "bl.replay(r, stop=5)",
                     "bl.compare(r, r, labels=('a', 'b'), stop=5)",
                     "print(bl.drawn(bl.replay(r, stop=5)))"]:
            print(sh.run_cell(cell).success)
    """, tmp_path)
    from sim.view._dot import INSTALL_HINT
    line = f"The replay is not drawn: {INSTALL_HINT}"
    assert out.splitlines() == ["True", f"Out[0]: {line}", "True", f"Out[0]: {line}", "True", "False", "True"]


def test_the_books_build_fails_on_a_missing_dot(tmp_path):
    """The build's chapters (their environment says BUILD_ENV) raise instead: the static site
    needs the diagrams, and a line in their place would be published without a word."""
    out = run_without_dot("""
        import os
        from pathlib import Path
        from op1_exercises import BUILD_ENV, chapter_environment
        import booklib as bl
        print(BUILD_ENV == bl.BUILD_ENV and chapter_environment(Path("%s"))[BUILD_ENV] == "1")
        os.environ[BUILD_ENV] = "1"
        from sim.view import GraphvizMissing
        r = bl.run("connection-level", seed=1)
        for draw in (lambda: bl.replay(r, stop=5), lambda: bl.compare(r, r, labels=("a", "b"), stop=5),
                     lambda: bl.show_dot("digraph { a -> b }", alt="two nodes")):
            try:
                draw()
                print("drawn")
            except GraphvizMissing:
                print("raised")
    """ % (tmp_path / "_build"), tmp_path)
    assert out.split() == ["True", "raised", "raised", "raised"]


def test_live_player_without_dot_is_one_line(tmp_path):
    pytest.importorskip("ipywidgets")
    out = run_without_dot("""
        from sim.view import LivePlayer
        from sim._needs import Unavailable
        lp = LivePlayer("equalize-nat", seed=3, size=20_000)
        print(type(lp) is Unavailable)
        print(repr(lp))
    """, tmp_path)
    from sim.view._dot import INSTALL_HINT
    assert out.splitlines() == ["True", f"LivePlayer: {INSTALL_HINT}"]


def test_booklib_dot_draws_what_dot_itself_draws():
    """With dot, a chapter figure is the SVG ``dot -Kdot -Tsvg`` writes for its source, byte for
    byte (as python-graphviz's Source.pipe gave it, before that package was dropped)."""
    import shutil
    import subprocess
    dot = shutil.which("dot")
    if dot is None:
        pytest.fail("graphviz's dot is missing (make test installs it)")
    sys.path.insert(0, str(ROOT / "book"))
    import booklib as bl
    src = 'digraph { rankdir=LR; a [label="if1"]; a -> b [color="#0072B2"] }'
    svg = subprocess.run([dot, "-Kdot", "-Tsvg"], input=src.encode(), capture_output=True, check=True).stdout
    assert bl.dot(src) == svg and svg.startswith(b"<?xml") and b">if1<" in svg
