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


def _entries() -> dict[str, str]:
    text = (BOOK / "references.bib").read_text()
    return {m.group(1): m.group(0) for m in re.finditer(r"^@\w+\{([^,]+),.*?^\}", text, re.S | re.M)}


def test_kernel_commits_and_lkml_messages_have_links():
    """A student's finding: the references named kernel commits by hash and LKML messages by
    Message-ID with nothing to click.  A commit the reference names by hash links to that commit
    in the mainline tree; an LKML message to lore.kernel.org's copy of it; a kernel source file
    and a manual page to a copy one can read."""
    entries = _entries()
    for key, entry in entries.items():
        flat = " ".join(entry.split())
        url = re.search(r"\burl\s*=\s*\{([^}]*)\}", flat)
        kind = re.search(r"howpublished\s*=\s*\{([^}]*)\}", flat)
        kind = kind.group(1) if kind else ""
        if kind in ("Linux kernel commit",) and re.search(r"commit [0-9a-f]{12}", flat):
            assert url and url.group(1).startswith(
                "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id="), key
            linked = url.group(1).rsplit("=", 1)[1]
            assert any(h.startswith(linked) or linked.startswith(h)
                       for h in re.findall(r"commit ([0-9a-f]{12,40})", flat)), (key, linked)
        if kind == "LKML":
            assert url and url.group(1).startswith("https://lore.kernel.org/lkml/"), key
            assert url.group(1).split("/lkml/")[1].rstrip("/") in flat.replace("<", "").replace(">", ""), key
        if kind in ("Linux kernel source", "Linux kernel documentation") or kind.endswith("manual page"):
            assert url, key
    # the four commits and the two LKML threads the student could not follow
    for key in ("linuxhashpolicy", "linuxlinkdownall", "linux36", "linuxhashcustom", "equalizepatch", "masq2423"):
        assert "url " in entries[key], key
