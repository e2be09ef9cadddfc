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


def _tracked_markdown() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.md", "*jupytext.toml"], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    return out


def test_opening_and_saving_any_markdown_file_in_jupyterlab_changes_nothing(tmp_path):
    """A Binder user's finding: JupyterLab opens every Markdown file through jupytext
    (binder/overrides.json), and README.md, opened to be read, gained a 16-line jupytext
    header at the first autosave once a kernel was chosen: ``git pull`` then refused.  Through
    jupytext's contents manager, as JupyterLab does -- read as a notebook, the kernel set, saved
    -- every tracked Markdown file, chapter or not, comes back byte for byte (the chapters by
    book/jupytext.toml, the other files by the settings that write no metadata)."""
    from jupytext import TextFileContentsManager
    files = _tracked_markdown()
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_bytes((ROOT / f).read_bytes())
    cm = TextFileContentsManager(root_dir=str(tmp_path))
    md = [f for f in files if f.endswith(".md")]
    assert {"README.md", "book/data/kernel/README.md", "book/back/glossary.md", "book/06-equalize-nat.md"} <= set(md)
    changed = []
    for f in md:
        before = (tmp_path / f).read_bytes()
        nb = cm.get(f, type="notebook", content=True)["content"]
        nb.metadata["kernelspec"] = dict(normalize_chapters.KERNELSPEC)
        cm.save({"type": "notebook", "content": nb, "format": "json"}, f)
        if (tmp_path / f).read_bytes() != before:
            changed.append(f)
    assert not changed, f"saved from JupyterLab, these files change: {changed}"
