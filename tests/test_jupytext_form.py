"""The chapters are in the form JupyterLab saves them in, so that running one changes nothing.

JupyterLab autosaves a chapter it opened through jupytext.  A chapter not already in
jupytext's own form (and without jupytext's version in its header: jupytext.toml) came
back rewritten within two minutes; a student's `git pull` then refused, and nbgitpuller's
merge kept the student's copy over upstream edits.  book/normalize_chapters.py rewrites
the chapters into that form.
"""
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
import normalize_chapters  # noqa: E402

CHAPTERS = normalize_chapters.chapters()


def test_the_chapters_are_found():
    names = {p.name for p in CHAPTERS}
    assert {"00-preface.md", "01-network.md", "10-two-links.md", "instructor-guide.md"} <= names
    assert "glossary.md" not in names            # no jupytext header: not a notebook


def test_the_config_drops_jupytexts_version():
    text = "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n" \
           "    format_version: 0.13\n    jupytext_version: 1.16.4\n---\n\n# A\n"
    out = jupytext.writes(jupytext.reads(text, "md:myst"), "md:myst", config=normalize_chapters.config())
    assert "jupytext_version" not in out and "format_version: 0.13" in out


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_a_chapter_is_a_fixed_point_of_jupytexts_round_trip(path):
    """What JupyterLab's autosave writes for a chapter is the chapter, byte for byte."""
    text = path.read_text(encoding="utf-8")
    cfg = normalize_chapters.config()
    nb = jupytext.reads(text, "md:myst", config=cfg)
    assert nb.metadata["kernelspec"] == normalize_chapters.KERNELSPEC    # as ipykernel's kernel names itself
    assert jupytext.writes(nb, "md:myst", config=cfg) == text, \
        f"{path.name} is not in JupyterLab's form: run python book/normalize_chapters.py"


def test_normalizing_keeps_every_cell(tmp_path):
    """Only the form changes: a normalized chapter has the same cells, sources and tags."""
    text = (ROOT / "book" / "01-network.md").read_text(encoding="utf-8")
    old = text.replace("jupytext_version: 1.19.6", "jupytext_version: 1.16.4")
    new = normalize_chapters.normalized(old)
    assert normalize_chapters.normalized(new) == new

    def cells(t):
        return [(c.cell_type, c.source, c.metadata.get("tags")) for c in jupytext.reads(t, "md:myst").cells]
    assert cells(new) == cells(old)


def test_check_lists_what_differs():
    r = subprocess.run([sys.executable, str(ROOT / "book" / "normalize_chapters.py"), "--check"],
                       capture_output=True, text=True, cwd=ROOT)
    differ = [p for p in CHAPTERS if normalize_chapters.normalized(p.read_text(encoding="utf-8"))
              != p.read_text(encoding="utf-8")]
    assert r.returncode == (1 if differ else 0)
    assert r.stdout.count("differ from JupyterLab's form") == len(differ)
