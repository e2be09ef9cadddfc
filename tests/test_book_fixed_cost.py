"""What each chapter pays before and after its cells, kept small without changing what it shows.

``import booklib`` leaves matplotlib out until a page draws (``bl.plt``), and then gives the
same pyplot as before (the Agg backend, the book's style).  The build stops a chapter's kernel
at once after its last cell (book/execute_parallel.py): every output, the last cell's too, is
already in the notebook, and no kernel is left running.  (The seconds are printed by
book/time_chapter.py and ``make bench-book``, not asserted.)
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "book", capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_booklib_imports_matplotlib_only_when_a_page_draws():
    out = json.loads(_python(
        "import json, sys\n"
        "import booklib as bl\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')\n"
        "plt = bl.plt\n"
        "print(json.dumps({'before': before, 'backend': plt.get_backend(), 'same': bl.plt is plt,\n"
        "                  'pyplot': bl.pyplot() is plt and plt is sys.modules['matplotlib.pyplot'],\n"
        "                  'salt': plt.rcParams['svg.hashsalt'], 'fonttype': plt.rcParams['svg.fonttype'],\n"
        "                  'size': list(plt.rcParams['figure.figsize']), 'grid': plt.rcParams['axes.grid']}))\n"))
    assert out["before"] == []
    assert out["backend"].lower() == "agg" and out["same"] and out["pyplot"]
    assert (out["salt"], out["fonttype"], out["size"], out["grid"]) == ("1+1<1", "none", [7.0, 3.6], True)


def test_booklib_shows_a_figure_as_before_and_closes_it():
    out = _python(
        "import booklib as bl\n"
        "from unittest import mock\n"
        "fig, ax = bl.plt.subplots()\n"
        "ax.plot([0, 1], [1, 0])\n"
        "with mock.patch('IPython.display.display') as shown:\n"
        "    bl.show(fig, alt='a line')\n"
        "html = shown.call_args[0][0].data\n"
        "print(bl.plt.get_fignums(), 'alt=\"a line\"' in html, 'data:image/svg+xml;base64,' in html)\n")
    assert out.split() == ["[]", "True", "True"]


def test_booklib_names_a_missing_attribute():
    out = _python("import booklib as bl\n"
                  "try:\n    bl.no_such_thing\nexcept AttributeError as e:\n    print(e)\n")
    assert out.strip() == "module 'booklib' has no attribute 'no_such_thing'"


def test_a_chapter_stopped_at_once_keeps_every_output(tmp_path):
    """execute_parallel.execute, as the build runs a chapter: the kernel is killed after the
    last cell, whose outputs (a print, a display, one written late) are all in the notebook."""
    page = tmp_path / "page.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n# A page\n\n"
        "```{code-cell} ipython3\nimport os, time\nprint('first')\n```\n\n"
        "```{code-cell} ipython3\nfrom IPython.display import Markdown, display\n"
        "display(Markdown('**shown**'))\ntime.sleep(0.2)\nprint('last', flush=False)\nos.getpid()\n```\n")
    sys.path[:0] = [str(ROOT), str(ROOT / "book")]
    try:
        import execute_parallel as ep
        ep._import_nbformat()
        path, nb, seconds = ep.execute(page)
    finally:
        del sys.path[:2]
    assert not isinstance(nb, str), nb
    first, last = [c for c in nb.cells if c.cell_type == "code"]
    assert [o.get("text") for o in first.outputs] == ["first\n"]
    kinds = [(o["output_type"], o.get("text") or o.get("data", {}).get("text/markdown")) for o in last.outputs]
    assert kinds[:2] == [("display_data", "**shown**"), ("stream", "last\n")]
    assert kinds[2][0] == "execute_result"
    pid = int(last.outputs[2]["data"]["text/plain"])
    try:                            # the kernel is gone (or its pid is another process's now)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        cmdline = b""
    assert b"ipykernel" not in cmdline


def test_an_exercise_shown_again_elsewhere_has_the_same_html_without_writing_replays(tmp_path, monkeypatch):
    """The instructor guide shows chapter 6's eqnat-remote with write_replays=False: the same
    HTML (the pool, the replays' folder) as with writing, and no file written; the replays it
    points to are written by chapter 6's page, which shows every exercise of its chapter."""
    from sim.exercises import exercise_html, instance
    from sim.exercises.variants import BOOK_STUDENT
    from sim.exercises.bank import chapter_ids
    from sim.exercises.site import POOL_ENV, REPLAY_DIR_ENV, REPLAY_URL_ENV, replay_name, pool
    guide = (ROOT / "book" / "instructor-guide.md").read_text()
    assert 'exercise_html(6, "eqnat-remote", write_replays=False)' in guide
    assert "eqnat-remote" in chapter_ids(6) and "HTML(chapter_html(6))" in (ROOT / "book" / "06-equalize-nat.md").read_text()
    monkeypatch.setenv(POOL_ENV, "1")
    monkeypatch.setenv(REPLAY_URL_ENV, "../sx-replays/")
    monkeypatch.setenv(REPLAY_DIR_ENV, str(tmp_path / "none"))
    quiet = exercise_html(6, "eqnat-remote", write_replays=False)
    assert not (tmp_path / "none").exists()
    monkeypatch.setenv(REPLAY_DIR_ENV, str(tmp_path / "written"))
    assert exercise_html(6, "eqnat-remote") == quiet
    written = {p.name for p in (tmp_path / "written").iterdir()}
    insts = [instance("eqnat-remote", BOOK_STUDENT, None), *pool("eqnat-remote")]
    # (and the folder's index page, which keeps a server from listing them: test_exercise_site)
    assert written == {replay_name(i) for i in insts if i.step is not None} | {"index.html"} and len(written) > 2


def test_glue_keeps_jsonschemas_format_packages_out_only_while_myst_nb_is_imported():
    """The first glue imports myst-nb with jsonschema's optional format packages kept out
    (each one installed would be imported for checks nothing here makes); afterwards each is
    importable as usual, and glue is myst-nb's own."""
    out = json.loads(_python(
        "import importlib, importlib.util, json, sys\n"
        "import booklib as bl\n"
        "glue = bl._myst_glue()\n"
        "import jsonschema, myst_nb\n"
        "installed = [m for m in bl._FORMAT_CHECKERS if importlib.util.find_spec(m) is not None]\n"
        "blocked = [m for m in bl._FORMAT_CHECKERS if m in sys.modules and sys.modules[m] is None]\n"
        "for m in installed:\n"
        "    importlib.import_module(m)\n"
        "print(json.dumps({'glue': glue is myst_nb.glue, 'blocked': blocked, 'installed': installed,\n"
        "                  'checks': sorted(jsonschema.FormatChecker.checkers)}))\n"))
    assert out["glue"] and out["blocked"] == []
    # what jsonschema checks without them: nothing that needs one of the packages kept out
    assert not {"iri", "color", "json-pointer", "uri-template", "duration"} & set(out["checks"])
    assert "email" in out["checks"]               # its own checks are there


def test_the_build_publishes_no_earlier_builds_failure_logs(tmp_path):
    """A build's failing chapter leaves its traceback (with the builder's paths) in the site's
    reports/ folder; a later build without a failure published it still.  The build script
    empties reports/ before it builds, for the output folder the command line names."""
    sys.path.insert(0, str(ROOT / "book"))
    try:
        from jupyter_book_build import reports_folder
    finally:
        sys.path.remove(str(ROOT / "book"))
    assert reports_folder(["build", ".", "-W", "-n", "--keep-going"]) == Path("_build/html/reports")
    assert reports_folder(["build", ".", "--path-output", "_build/instructor"]) == \
        Path("_build/instructor/_build/html/reports")
    assert reports_folder(["build", "--path-output=out", "src"]) == Path("out/_build/html/reports")
    assert reports_folder(["clean", "."]) is None
    for out in (None, tmp_path / "instructor"):
        base = out or tmp_path / "src"
        stale = base / "_build" / "html" / "reports" / "book" / "06-equalize-nat.err.log"
        stale.parent.mkdir(parents=True)
        stale.write_text("Traceback (most recent call last):\n  File \"/home/someone/op1/book/x.py\"\n")
        page = base / "_build" / "html" / "index.html"
        page.write_text("the site")
        args = ["build", str(tmp_path / "src")] + (["--path-output", str(out)] if out else []) + ["--help"]
        r = subprocess.run([sys.executable, str(ROOT / "book" / "jupyter_book_build.py"), *args], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert not (base / "_build" / "html" / "reports").exists() and page.read_text() == "the site"
