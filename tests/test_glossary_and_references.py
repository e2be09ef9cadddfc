"""The back matter a reader follows from the chapters: the glossary's chapter pointers and the
references' links."""
import re
from pathlib import Path

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = {int(p.name[:2]): p for p in BOOK.glob("[0-9][0-9]-*.md") if not p.name.startswith("00")}


def _glossary() -> dict[str, set[int]]:
    """Each glossary entry's name (an entry may have several, one a line) -> the chapters its
    definition points to."""
    body = (BOOK / "back" / "glossary.md").read_text().split("```{glossary}", 1)[1].split("\n```", 1)[0]
    entries, names = {}, []
    for line in body.splitlines():
        if line.startswith("  "):
            pointed = {int(n) for n in re.findall(r"\{doc\}`[^`]*<\.\./(\d\d)-", line)}
            entries.update({n: pointed for n in names})
            names = []
        elif line and not line.startswith(":"):
            names.append(line.strip())
    return entries


def _linked() -> dict[str, set[int]]:
    """Each glossary term -> the chapters whose text links it with ``{term}``."""
    used = {}
    for n, p in CHAPTERS.items():
        for role in re.findall(r"\{term\}`([^`]*)`", p.read_text()):
            target = re.search(r"<([^>]*)>$", role)
            used.setdefault((target.group(1) if target else role).strip(), set()).add(n)
    return used


def test_the_glossary_points_to_every_chapter_that_links_a_term():
    """A student's finding: numgen's entry listed chapters 7, 9 and 10, though chapter 8 links
    it, and jiffies' listed chapter 8 alone, though chapter 2 links it first.  A reader who
    follows a term from a chapter finds that chapter among the entry's pointers."""
    glossary, linked = _glossary(), _linked()
    assert "numgen" in glossary and "jiffies" in glossary
    missing = {term: sorted(chapters - glossary.get(term, set())) for term, chapters in linked.items()
               if not chapters <= glossary.get(term, set())}
    assert not missing, f"glossary entries that do not point to the chapters linking them: {missing}"


def test_the_glossary_points_to_no_chapter_that_never_names_the_term():
    glossary = _glossary()
    stale = {}
    for term, chapters in glossary.items():
        for n in chapters:
            text = CHAPTERS[n].read_text().lower()
            words = {"ingress filtering": "filter", "nat binding": "binding"}.get(term.lower(), term.lower())
            if words not in text:
                stale.setdefault(term, []).append(n)
    assert not stale, stale
