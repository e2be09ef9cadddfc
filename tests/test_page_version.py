"""A hand-out page (``python -m sim.exercises page``) says the version it was made from, as the
book's pages do: its exports then carry ``"built"`` (sim/exercises/_js.py reads the page's
<meta name="op1-built">), and the grader can name the version to grade a changed question with.
Before, a per-student page had no such <meta>, so its exports never said their version."""
import re

from sim.exercises.html import page_html
from sim.exercises.site import source_commit


def test_a_hand_out_page_names_the_version_it_was_made_from():
    page = page_html(2, student="s042", secret="")
    meta = re.findall(r'<meta name="op1-built" content="([^"]*)">', page)
    assert meta == [source_commit()], meta
    assert re.fullmatch(r"[0-9a-f]{4,40}|unknown", meta[0])
    assert f"Version {meta[0]}." in page


def test_the_export_script_reads_that_meta():
    """(The page's script, not a copy of it: the same code exports from the book and a page.)"""
    page = page_html(2, student="s042", secret="")
    assert 'querySelector(\'meta[name="op1-built"]\')' in page and "data.built = built.content" in page
