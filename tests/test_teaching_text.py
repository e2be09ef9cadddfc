"""What a first reader needs from the preface and chapters 1, 2, 4 and 5 (a student's review).

The narration of a segment the article's remote ignores says what a standard TCP would do
and where the book shows it; the chapters' text (read from book/*.md) keeps the preface at
the lesson's level, leads chapter 5 into chapter 6's question, names the cause of chapter
4's unequal-delay loss as its figure shows it, and ends each chapter with what the reader
can now do.
"""
from __future__ import annotations

from pathlib import Path

import sim
from sim.trace import Drop, Ev
from sim.view import narrate

BOOK = Path(__file__).resolve().parent.parent / "book"


def chapter(name: str) -> str:
    return next(BOOK.glob(f"{name}*.md")).read_text(encoding="utf-8")


def test_an_ignored_segment_says_a_standard_tcp_would_reset_it_and_where():
    r = sim.run("equalize-nat", seed=2, size=3000)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.DROP and e.reason is Drop.IGNORED)
    s = narrate(r, i)
    assert "ignores it, as the article says" in s
    assert "a standard TCP would answer with a reset: chapter 8" in s
    # chapter 8 is where the reset is shown
    assert "## 3. The server answers with a reset" in chapter("08-")
