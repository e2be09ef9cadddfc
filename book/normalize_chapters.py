"""Rewrite the chapters (book/*.md with a jupytext header) exactly as JupyterLab saves them.

    python book/normalize_chapters.py            # rewrite the chapters that differ
    python book/normalize_chapters.py --check    # list them; exit 1 if any differs

JupyterLab opens a chapter through jupytext's contents manager and, when it autosaves,
writes it back in jupytext's own MyST format: a blank line after each cell's options, the
header without jupytext's version (book/jupytext.toml) and the kernel
as ipykernel names it.  A chapter already in that form is left byte-identical by a run in
Jupyter, so a student's clone still pulls and nbgitpuller drops no upstream edit.
Only the form changes: every cell keeps its source and tags (what the book's build reads).
"""
import argparse
import sys
from pathlib import Path

import jupytext
from jupytext.config import load_jupytext_configuration_file

ROOT = Path(__file__).resolve().parent.parent
# As ipykernel's kernel.json names the kernel, in the order JupyterLab writes it.
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def config():
    return load_jupytext_configuration_file(str(ROOT / "book" / "jupytext.toml"))


def chapters(book: Path = ROOT / "book") -> list[Path]:
    """The book's notebooks: the Markdown files whose header is jupytext's."""
    return sorted(p for p in book.glob("*.md") if p.read_text(encoding="utf-8").startswith("---\njupytext:"))


def normalized(text: str) -> str:
    nb = jupytext.reads(text, fmt="md:myst", config=config())
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return jupytext.writes(nb, fmt="md:myst", config=config())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only list the chapters that differ; exit 1 if any")
    args = ap.parse_args(argv)
    differ = []
    for path in chapters():
        text = path.read_text(encoding="utf-8")
        new = normalized(text)
        if new != text:
            differ.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "differ from" if args.check else "rewritten in"
    for path in differ:
        print(f"{path.relative_to(ROOT)}: {verb} JupyterLab's form")
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
