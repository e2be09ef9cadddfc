"""The chapters' source text: what it says about its subject, and how it says it."""
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(p for p in BOOK.glob("[0-9][0-9]-*.md")) + [BOOK / "back" / "glossary.md"]

# notes about how the text was made, not about its subject
MAKING = re.compile(r"reviewer|not (been )?verified|unverified|was not checked|this book has not|"
                    r"not known to this book|the project\b|the project's|the tests accept|"
                    r"\.venv/bin|as built for this page|not one of the kernel lab's", re.I)

DIFFERS = "Where the simulation and the article differ"


def test_the_text_speaks_of_its_subject_not_of_its_making():
    found = [f"{p.name}:{n}: {line.strip()}" for p in CHAPTERS
             for n, line in enumerate(p.read_text().splitlines(), 1) if MAKING.search(line)]
    assert not found, "\n".join(found)


def test_article_differences_use_one_kind_of_box():
    boxes = []
    for p in CHAPTERS:
        lines = p.read_text().splitlines()
        for n, line in enumerate(lines):
            if DIFFERS in line:
                if line.startswith("```{admonition}"):
                    boxes.append((p.name, lines[n + 1].strip()))
                else:       # mentioned in running text: fine, but not as a box of another kind
                    assert "admonition" not in line, f"{p.name}:{n + 1}"
    assert {name for name, _ in boxes} >= {"00-preface.md", "06-equalize-nat.md", "07-icmp.md"}
    assert {cls for _, cls in boxes} == {":class: note article-differs"}, boxes


def test_the_articles_thesis_is_quoted_word_for_word():
    seed = Path("/work/shared/seed/000_c51d7172ebf89989.txt")
    thesis = "Packet-level TCP/UDP load balancing and NAT (Network Address Translate)\n> cannot coexist."
    preface = (BOOK / "00-preface.md").read_text()
    assert thesis in preface
    if seed.exists():      # the article as the book grew from it
        assert thesis.replace("\n> ", " ") in seed.read_text()


def test_every_citation_is_in_the_bibliography():
    keys = set(re.findall(r"^@\w+\{([^,]+),", (BOOK / "references.bib").read_text(), re.M))
    cited = {k.strip() for p in CHAPTERS for group in re.findall(r"\{cite\}`([^`]+)`", p.read_text())
             for k in group.split(",")}
    assert cited and cited <= keys, sorted(cited - keys)


def test_the_books_event_tables_have_words_for_every_kind_of_event():
    """``booklib.describe`` words every event of a run, a line failure included (the book's
    event tables must not stop at the one kind they never met)."""
    import sys
    import sim
    from sim.trace import Ev
    from helpers import load_booklib
    booklib = load_booklib()
    seen = set()
    for name, kw in (("uplink-down", dict(size=20000)), ("equalize-nat", dict(seed=3, size=20000)),
                     ("connection-level", dict(size=20000)), ("hash-l4-nat", dict(size=20000))):
        for e in sim.run(name, **kw).events:
            text = booklib.describe(e)
            assert text and "None" not in text, (e, text)
            seen.add(e.ev)
            if e.ev is Ev.LINK:
                assert f"**{e.dev}** goes **{e.state}**" in text
    assert Ev.LINK in seen and Ev.FIB in seen and Ev.RT_MISS in seen


def test_every_glossary_entry_is_sorted_and_links_the_chapters_it_names():
    """The glossary is kept in order by Sphinx (``:sorted:``), and the chapter at the end of each
    entry is a link to it, not plain text a reader must look up."""
    text = (BOOK / "back" / "glossary.md").read_text()
    assert "```{glossary}\n:sorted:\n" in text
    entries = re.findall(r"^  (\S.*)$", text, re.M)
    assert len(entries) > 20
    plain = [e[-60:] for e in entries if re.search(r"Chapters? \d", e.replace("{doc}`Chapter", ""))]
    assert not plain, plain
    docs = {p.stem for p in BOOK.glob("[01][0-9]-*.md")}
    named = re.findall(r"\{doc\}`(?:Chapter )?\d+ <\.\./([^>]+)>`", text)
    assert named and set(named) <= docs, set(named) - docs


def test_the_route_cache_listing_before_an_idle_expiry_shows_the_idle_age():
    """Chapter 2 lists the cache just before the garbage collector expires two idle entries:
    read at the event before the expiry it said ``age 0sec``; read at the moment before the
    expiry, the entries have been idle ``gc_timeout``s long, which is why they go."""
    import sys
    import sim
    from helpers import load_booklib
    booklib = load_booklib()
    r = sim.run("cache-expiry", seed=1)
    dels = [i for i, e in booklib.events(r, "rt_del", "router")]
    expiry = r.events[dels[0]].t
    idle = expiry - max(e["lastuse"] for e in r.state_at(dels[0] - 1).cache.values())
    text = booklib.ip_route_show_cache(r, dels[0] - 1, expiry - 1_000)
    ages = {int(a) for a in re.findall(r"age (\d+)sec", text)}
    assert ages and max(ages) == (idle - 1_000) // 1_000_000 and max(ages) >= 300, text
    with pytest.raises(ValueError, match="not before event"):
        booklib.ip_route_show_cache(r, dels[0] - 1, expiry)


SEED = Path("/work/shared/seed/000_c51d7172ebf89989.txt")


def _article_quotes():
    """(chapter, quote) of every quotation of the article the book makes: its block quotes ending
    "— the article", and the running text's "the article's "..."" and "the article says ..."."""
    out = []
    for p in sorted(BOOK.glob("[0-9][0-9]-*.md")):
        text = p.read_text()
        for m in re.finditer(r"((?:^> .*\n)+)", text, re.M):
            q = " ".join(l[2:] for l in m.group(1).splitlines())
            if "— the article" in q:
                out.append((p.name, q.split("— the article")[0].strip().strip('"')))
        for m in re.finditer(r"the\s+article(?:'s|\s+says(?:\s+of\s[^\"]{0,60})?,?)\s+(?:—\s+)?\"([^\"]+)\"", text):
            if m.group(1).strip():
                out.append((p.name, m.group(1)))
    return out


def test_the_article_is_quoted_word_for_word():
    """A reader's finding: the book put words the article never wrote inside quotation marks
    ("while flashget downloads", "the IP packets of the same TCP/IP connection over both", "it
    searches the route table", "barely maintained, but slow", and "congratulations … However, if
    you are", which joined two sentences).  Every piece of a quotation, between its ellipses,
    is in the article as it is, word for word."""
    quotes = _article_quotes()
    assert len(quotes) >= 8
    if not SEED.exists():
        pytest.skip(f"{SEED} (the article the book grew from) is not on this machine")
    article = " ".join(SEED.read_text().split())
    bad = []
    for chapter, q in quotes:
        for piece in re.split(r"\s*…\s*", q):
            piece = " ".join(piece.replace("\n", " ").split()).strip(" .,;:")
            if piece and piece not in article:
                bad.append((chapter, piece))
    assert not bad, bad


def test_chapters_8_to_10_time_several_downloads_at_once_with_reno():
    """Chapter 1: where the chapters time several downloads at once, the senders run Reno (the
    fixed window's losses would set the speed); a run stopped as soon as the server saw every
    connection (``stop=``) reads only which uplink each took."""
    several = re.compile(r'bl\.run\("(flashget|uplink-down|hash-l4-nat|thought-question)"')
    slips = []
    for p in sorted(BOOK.glob("[0-9][0-9]-*.md")):
        if not "08" <= p.name[:2] <= "10":
            continue
        text = p.read_text()
        for m in several.finditer(text):
            depth, k = 0, text.index("(", m.start())
            for k in range(k, len(text)):
                depth += {"(": 1, ")": -1}.get(text[k], 0)
                if depth == 0:
                    break
            call = text[m.start():k + 1]
            if 'cc="reno"' not in call and "stop=" not in call:
                slips.append(f"{p.name}:{text.count(chr(10), 0, m.start()) + 1}: {' '.join(call.split())}")
    assert not slips, "\n".join(slips)


def _prose(p: Path) -> str:
    """A chapter's text without its code cells (what a reader reads as the chapter's words)."""
    return re.sub(r"^```\{code-cell\}.*?^```$", "", p.read_text(), flags=re.S | re.M)


FIRST_CHAPTERS = [BOOK / f for f in ("00-preface.md", "01-network.md", "02-route-cache.md",
                                     "03-connection-level.md", "04-equalize.md", "05-nat.md")]


@pytest.mark.parametrize("word, target", [
    (r"masquerad|MASQUERADE", "masquerade"), (r"\bSNAT\b|\bsnat\b", "SNAT"), (r"\bDNAT\b|\bdnat\b", "DNAT"),
    (r"BCP 38", "BCP 38"), (r"ingress filter", "ingress filtering"), (r"gc_timeout", "gc_timeout")])
def test_the_first_chapters_link_a_term_to_the_glossary_where_it_is_first_used(word, target):
    """A student's finding: MASQUERADE came in chapter 1's box, chapter 2's and chapter 3's
    (seven times) and was defined only in chapter 5; SNAT and DNAT, BCP 38, the replays'
    "ingress filter" and gc_timeout had no glossary link where a reader first met them.  Read in
    order from the preface, the paragraph of a term's first use links it to the glossary."""
    _first_use_links(word, target, FIRST_CHAPTERS, "chapters 0-5")


def _first_use_links(word: str, target: str, chapters: list, which: str) -> None:
    """Read in order, the paragraph of ``word``'s first use in ``chapters`` links it to the
    glossary's entry ``target``."""
    glossary = (BOOK / "back" / "glossary.md").read_text()
    assert re.search(rf"^{re.escape(target)}$", glossary, re.M), target
    link = re.compile(r"\{term\}`(?:[^`<]*<)?" + re.escape(target) + r">?`")
    for p in chapters:
        paragraphs = re.split(r"\n\s*\n", _prose(p))
        used = [k for k, para in enumerate(paragraphs) if re.search(word, para)]
        if used:
            first = paragraphs[used[0]]
            assert link.search(first), f"{p.name}: first use of {target!r} has no glossary link:\n{first}"
            return
    pytest.fail(f"{target!r} is used nowhere in {which}")



LATE_CHAPTERS = [BOOK / f for f in ("08-real-kernels.md", "09-modern-linux.md", "10-two-links.md")]


@pytest.mark.parametrize("word, target", [
    (r"\bjiffies\b", "jiffies"), (r"network\s+namespace", "network namespace"), (r"\bveth\b", "veth pair"),
    (r"RACK-TLP", "RACK-TLP"), (r"TCP_RTO_MIN", "TCP_RTO_MIN"), (r"path manager", "path manager"),
    (r"\borphan", "orphan socket"), (r"DATA_FIN", "DATA_FIN"), (r"\bstale\b", "stale subflow"),
    (r"\bReno\b", "Reno"), (r"slow start", "slow start"), (r"weighted round robin", "weighted round robin"),
    (r"PPPoE", "PPPoE"), (r"\bnumgen\b", "numgen"), (r"\bfwmark\b", "fwmark"), (r"\bINVALID\b", "INVALID"),
    (r"tail loss probe", "tail loss probe"), (r"receive-side scaling", "receive-side scaling"),
    (r"resilient", "resilient nexthop group"), (r"patch-o-matic", "patch-o-matic"), (r"balance-rr", "bonding")])
def test_chapters_8_to_10_link_a_term_to_the_glossary_where_it_is_first_used(word, target):
    """A student's finding: chapters 8-10 used jiffies, network namespaces and veth pairs,
    RACK-TLP, TCP_RTO_MIN, MPTCP's path manager, DATA_FIN and stale subflows, and TCP's orphans
    without saying what they are.  Read in order from chapter 8, the paragraph of a term's first
    use links it to its glossary entry."""
    _first_use_links(word, target, LATE_CHAPTERS, "chapters 8-10")


def test_the_reno_aside_is_said_once_a_chapter():
    """A student's finding: "(the senders run Reno, as wherever the chapters time several
    downloads at once: chapter 1)" came twice in chapter 9: each chapter says it at most once."""
    for p in LATE_CHAPTERS:
        assert " ".join(_prose(p).split()).count("as wherever the chapters time several downloads") <= 1, p.name


def test_chapter_2_says_what_rt_hash_log_and_a_hash_chain_are():
    text = " ".join(_prose(BOOK / "02-route-cache.md").split())
    i = text.index("rt_hash_log")
    assert "base-2 logarithm" in text[i:i + 300] and "{glue:md}`c2_hash_log`" in text[i:i + 300]
    assert text.index("*hash chain*") < text.index("chain, the timeout halves")


def test_a_chapters_summary_names_nothing_its_body_did_not_show():
    """A student's finding: chapter 3's summary taught FTP's IPTOS_LOWDELAY/IPTOS_THROUGHPUT, a PPP
    redial and rt_garbage_collect(), none of them in the chapter; and it gave the cache key as
    (source, destination, TOS) where chapter 2 gives five fields.  Every `code` name a summary
    of chapters 1-5 uses is in the chapter before it, and chapter 3 names the key as chapter 2."""
    for p in FIRST_CHAPTERS[1:]:
        text = p.read_text()
        body, summary = text.split("## Summary\n", 1)
        summary = summary.split("\n## ", 1)[0]
        names = set(re.findall(r"`([^`{}]+)`", summary)) - {"name"}
        missing = [n for n in names if n not in body and not n.startswith("-t nat")]
        assert not missing, (p.name, missing)
    key = "(destination, source, TOS, input interface, firewall mark)"
    ch2 = " ".join((BOOK / "02-route-cache.md").read_text().split())
    ch3 = " ".join((BOOK / "03-connection-level.md").read_text().split("## Summary\n", 1)[1].split())
    assert key in ch2 and key in ch3


#: The boxes of chapters 1-5 an exercise draws on (eq-next: chapter 4's box walks through the
#: credit round robin's credits), by chapter and box (0 = the chapter's first), with their lead.
DRAWN_ON = {("04-equalize.md", 0): "*Kernel detail: the chapter's argument does not need this box, but one "
                                   "of the exercises at the end draws on it.*"}


def test_the_kernel_detail_boxes_of_the_first_chapters_say_they_can_be_skipped():
    """A student's finding: the "What real kernels do" boxes of chapters 2-4 are kernel-code
    detail, and nothing told a first reader they could skip them.  Each box of chapters 1-5 says
    so in its first line, in the same words, and the preface says what the line means -- but a
    box an exercise draws on (chapter 4's, which eq-next sends the reader to for the round
    robin's credits) says that instead, as chapter 7's does: the preface's "can be skipped"
    would not be true of it (a student's finding)."""
    mark = "*Kernel detail: you can skip this box on a first reading.*"
    for p in FIRST_CHAPTERS:
        lines = p.read_text().splitlines()
        boxes = [n for n, l in enumerate(lines) if re.fullmatch(r"`{3,4}\{admonition\} What real kernels do", l)]
        assert boxes, p.name
        for k, n in enumerate(boxes):
            lead = DRAWN_ON.get((p.name, k), mark)
            assert lines[n + 1] == ":class: important" and lines[n + 2] == lead, (p.name, n + 1)
    assert "can be skipped on a first reading" in " ".join((BOOK / "00-preface.md").read_text().split())
    # eq-next: the idea is chapter 4's main text, "One download over both lines", and its box has
    # the credits; chapter 3's box is no longer cited, so it says it can be skipped
    from sim.exercises import instance
    prompt = " ".join(instance("eq-next", "anyone").prompt.split())
    assert ('chapter 4, "One download over both lines"' in prompt and 'box "What real kernels do" walks through '
            "the credits" in prompt and "chapters 3 and 4" not in prompt), prompt
    ch4 = _main_text("04-equalize.md").split("## One download over both lines", 1)[1].split(" ## ", 1)[0]
    assert "one turn a round" in ch4 and "one turn in each round of choices" in ch4


CH7_LEAD = ("*Kernel detail: the chapter's argument does not need this box, but the exercise at the end "
            "draws on it.*")
CH6_LEAD = ("*Kernel detail: the chapter's argument does not need this box, but one of the exercises at the "
            "end draws on it.*")


def test_the_kernel_detail_boxes_of_chapters_6_to_10_say_whether_a_first_reading_can_skip_them():
    """The boxes of chapters 6, 7, 9 and 10 are kernel detail a first reading can skip, and now
    say so in the preface's words.  Chapter 8's box sums up the chapter itself (it opens with
    what real 2.4 NAT did: "Real 2.4 NAT kept a connection's binding"): it says no such thing, so
    the preface's promise -- a box whose first line says so can be skipped -- stays true of every
    box.  (Its opening sentence, "The whole chapter is about what real kernels do; this box sums
    it up.", spoke of the book, not of networks: a student's finding.)  Chapter 7's box said it
    could be skipped, but the chapter's last exercise (today's kernel: how many echoes are
    answered) sends the reader to it: its lead now says so (a student's finding); so does chapter
    6's, whose "Accept, ignore or reset?" asks what a remote `rfc` does with a stray ACK (a
    lecturer's finding)."""
    mark = "*Kernel detail: you can skip this box on a first reading.*"
    for name in ("06-equalize-nat.md", "07-icmp.md", "08-real-kernels.md", "09-modern-linux.md",
                 "10-two-links.md"):
        lines = (BOOK / name).read_text().splitlines()
        boxes = [n for n, l in enumerate(lines) if re.fullmatch(r"`{3,4}\{admonition\} What real kernels do", l)]
        assert boxes, name
        for n in boxes:
            assert lines[n + 1] == ":class: important", (name, n + 1)
            if name == "08-real-kernels.md":
                body = next(l for l in lines[n + 2:] if l and not l.startswith(":"))
                assert body != mark and body.startswith("Real 2.4 NAT kept a"), (name, n + 1, body)
            elif name in ("06-equalize-nat.md", "07-icmp.md"):
                # their exercises (a stray ACK at an RFC remote; today's kernel: how many echoes
                # answered) need the box: not skippable
                lead = CH6_LEAD if name.startswith("06") else CH7_LEAD
                assert lines[n + 2] == lead and lines[n + 3] == "", (name, n + 1)
            else:
                assert lines[n + 2] == mark and lines[n + 3] == "", (name, n + 1)
    assert (BOOK / "00-preface.md").read_text().count(mark) == 1
    # chapter 7's lead holds while its exercise sends the reader to the box
    from sim.exercises import instance
    prompt = instance("icmp-count", "anyone").prompt
    assert '"What real kernels do"' in prompt, "ch.7's exercise no longer cites its box: say it can be skipped"


def test_a_books_table_says_yes_or_no_and_refuses_a_missing_value():
    """Chapter 9's L3/L4 table showed Python's "True" in its "all complete" column: ``booklib.table``
    writes a truth value as yes or no, and refuses a None (a cell would read "None") naming its row
    and column."""
    import sys
    from helpers import load_booklib
    booklib = load_booklib()
    text = booklib.table([{"policy": "`hash-l3`", "all complete": True}, {"policy": "`hash-l4`", "all complete": False}])
    assert text.splitlines()[2:] == ["| `hash-l3` | yes |", "| `hash-l4` | no |"], text
    assert "True" not in text and "False" not in text
    with pytest.raises(ValueError, match=r"row 2's 'seconds' is None"):
        booklib.table([{"seconds": 1.5}, {"seconds": None}])


def test_a_try_it_live_section_speaks_of_the_panel_below_not_of_a_cell():
    """The book's web page shows no cell: "The panel under this cell runs the simulator in this
    page" sent a phone's reader looking for one.  Each "Try it live" section speaks of the panel
    below (the web page) and of the code below (Binder, Jupyter), true in both."""
    sections = 0
    for p in CHAPTERS:
        text = p.read_text()
        if "## Try it live" not in text:
            continue
        sections += 1
        part = text.split("## Try it live", 1)[1].split("```{code-cell}", 1)[0]
        assert "this cell" not in part and "the cell itself" not in part, p.name
        assert "the panel below" in part and "the code below" in part, p.name
    assert sections >= 6, sections


def test_kernel_captures_in_a_live_kernel_are_html_not_myst(monkeypatch, tmp_path):
    """In JupyterLab (Binder: no myst-nb) chapter 9's kernel captures showed as 2,100 px of their
    MyST source -- ":class: dropdown", "{download}`...`", the fences -- with no dropdown and no
    link.  Without myst-nb each capture is a closed <details> with a link to its pcapng; with it
    (the book's build), the admonition as before."""
    import sys
    from helpers import load_booklib
    booklib = load_booklib()
    (tmp_path / "lab.txt").write_text("router: 3 packets <up>\n")
    (tmp_path / "lab.pcapng").write_bytes(b"\\x0a\\x0d\\x0d\\x0a")
    book = booklib.kernel_captures({"lab": "a run"}, folder=str(tmp_path))
    assert book.startswith("````{admonition} lab: a run") and "{download}`lab.pcapng" in book
    monkeypatch.setitem(sys.modules, "myst_nb", None)           # a kernel without the book's tool chain
    live = booklib.kernel_captures({"lab": "a run"}, folder=str(tmp_path))
    assert "{" not in live and live.startswith("<details><summary>lab: a run</summary>")
    assert f'<a href="{tmp_path.as_posix()}/lab.pcapng" download>lab.pcapng</a>' in live
    assert "&lt;up&gt;" in live and "</pre></details>" in live


@pytest.mark.parametrize("word, target", [
    (r"equalize`? patch", "equalize"), (r"\bconntrack\b", "conntrack"), (r"slow start", "slow start"),
    (r"congestion control", "congestion control"), (r"\bReno\b", "Reno"), (r"\bfwmark\b", "fwmark")])
def test_chapter_1_links_a_term_to_the_glossary_where_it_is_first_used(word, target):
    """A student's finding: chapter 1 spoke of "the equalize patch", conntrack, slow start and
    congestion control, Reno and the fwmark before any chapter said what they are.  The
    paragraph of each one's first use in chapter 1 links it to the glossary."""
    _first_use_links(word, target, [BOOK / "01-network.md"], "chapter 1")


def test_the_text_names_the_players_step_button_as_the_player_labels_it():
    """"step forward with ▶": the player has "▶ Play" and "Next ▶" (on a phone a bare ▶ after
    Play).  The text names the button by its label."""
    from sim.view.player import BUTTONS
    assert ("next", "next step", "▶", "Next") in BUTTONS
    bare = [f"{p.name}: {m.group(0)}" for p in CHAPTERS for m in re.finditer(r"with ▶ ", _prose(p))]
    assert not bare, bare
    assert "**Next ▶**" in _prose(BOOK / "01-network.md")


def test_chapters_8_to_10_say_something_of_their_subject_not_of_themselves():
    """A student's finding: "The whole chapter is about what real kernels do; this box sums it up."
    and "This chapter is the modern kernel." were slots of a template, not sentences about
    networks; the lab's table verdicts "differs (documented)" and "shown, not judged" sent a reader
    nowhere; "book/data/kernel/..." was a path a web reader cannot follow."""
    for p in LATE_CHAPTERS:
        text = " ".join(p.read_text().split())
        for slot in ("this box sums it up", "This chapter is the modern kernel", "see the note in `book/data",
                     "kept in `book/data", "(`book/data/kernel/"):
            assert slot not in text, (p.name, slot)
    ch10 = (BOOK / "10-two-links.md").read_text()
    assert '"differs (documented)": "differs: a race, see below"' in ch10
    assert '"shown, not judged": "not compared: see below"' in ch10
    ch8 = (BOOK / "08-real-kernels.md").read_text()
    assert ":name: c8-real-kernels" in ch8 and '{ref}`"What real kernels do" <c8-real-kernels>`' in ch8


def test_chapter_10_says_which_run_each_ending_of_a_failed_line_belongs_to():
    """A student's finding: the lab's verdict says "the simulator models one (every download on the
    dead line was reset)", and two sentences later the FIN leaks "as in the simulator's run above",
    whose table shows one download that gave up and one reset.  The text says the verdict is on
    the lab's own pair of runs, and names each ending of the chapter's run by its download."""
    text = " ".join(_prose(BOOK / "10-two-links.md").split())
    assert "as in the simulator's run above" not in text
    assert "not this chapter's seed-1 run above" in text and "{glue:md}`c10_down_endings`" in text
    assert "The replay shows the bundle as a double line" not in text and "2 lines bundled" in text
    assert "One download, every answer in this book." not in (BOOK / "10-two-links.md").read_text()


def test_chapter_9s_echo_replay_reaches_every_event_its_table_lists():
    """A student's finding: the table of ct_del and drop events listed the second connection's
    entry killed (events 56/57) while the replay stopped at event 54.  The replay's stop follows
    the table's last event."""
    text = (BOOK / "09-modern-linux.md").read_text()
    assert "stop=min(len(re_.events), max(listed, default=200) + 2))" in text
    assert "bl.md(bl.steps_table(re_, listed))" in text


def _glossary_entry(term: str) -> str:
    text = (BOOK / "back" / "glossary.md").read_text()
    return re.search(rf"^{re.escape(term)}\n  (.*)$", text, re.M).group(1)


def test_the_glossary_says_what_a_kernel_does_not_less():
    """A kernel developer's findings.  INVALID is also a packet that matches an entry but fails its
    protocol's check (an out-of-window TCP segment: nf_conntrack_in() drops the entry from the skb
    when the tracker returns -NF_ACCEPT), which chapter 9 links to the term.  RSS spreads packets
    over receive queues, and today's multipath hash reuses the card's hash only under policy 1
    (route.c: "short-circuit if we already have L4 hash present", case 1 alone).  PPPoE's session
    runs from the router's ppp0 to the provider's access concentrator (RFC 2516), not from the
    modem to the router."""
    invalid = _glossary_entry("INVALID")
    assert "matches no entry and cannot start one" in invalid and "matches one" in invalid
    assert "window" in invalid
    rss = _glossary_entry("receive-side scaling")
    assert "receive queues" in rss and "policy 1" in rss and "policies 0, 2 and 3 read the header" in rss
    pppoe = _glossary_entry("PPPoE")
    assert "access concentrator" in pppoe and "modem's PPP session reaches the router" not in pppoe


def test_the_late_chapters_say_what_a_kernel_setting_does_exactly():
    """A kernel developer's findings.  net.core.txrehash is the default a socket copies when it is
    created (inet_create()), not a switch for every socket of a namespace; tbf holds a rate on
    average and lets a burst out at line speed (tc-tbf(8)); SACK needs both ends' SACK-permitted
    in their SYNs (RFC 2018)."""
    ch9 = " ".join(_prose(BOOK / "09-modern-linux.md").split())
    assert "an administrator for every socket of a namespace" not in ch9
    assert "`net.core.txrehash` sysctl is only the default a socket copies when it is created there" in ch9
    ch10 = " ".join((BOOK / "10-two-links.md").read_text().split())
    assert "no faster than a set rate" not in ch10 and "set rate on average" in ch10 and "burst" in ch10
    assert "SACK-permitted option in their SYNs (RFC 2018)" in ch10


def test_chapter_10_compares_flashget_runs_with_the_same_tcp():
    """A kernel developer's finding: the conntrack-mark flashget ran today's TCP timers, the route
    cache's 2.4's, and the text called one "1.9 times as fast" as the other.  Both now run one TCP,
    and the text says which."""
    ch10 = (BOOK / "10-two-links.md").read_text()
    assert 'rf1 = bl.run("flashget", seed=1, cc="reno", tcp=rf.params.tcp, trace=False)' in ch10
    assert re.search(r'^rf = bl.run\("flashget", seed=1, [^\n]*tcp="linux"\)$', ch10, re.M)
    prose = " ".join(_prose(BOOK / "10-two-links.md").split())
    assert "today's TCP timers" in prose and "the same seed, 1, and the same TCP" in prose
    assert "its hosts running 2.4's TCP timers" not in prose


def test_chapters_9_and_10_glue_the_counts_of_their_runs():
    """A kernel developer's finding: counts of downloads typed in the text ("four downloads at
    once", "two more a second later", "the lab's fast links") beside runs that set them.  They
    are glued from the runs' parameters and the lab's recorded header."""
    ch9 = " ".join(_prose(BOOK / "09-modern-linux.md").split())
    for typed in ("opens four downloads", "Together the four", "four downloads at once fill",
                  "The four downloads are"):
        assert typed not in ch9, typed
    ch10 = " ".join(_prose(BOOK / "10-two-links.md").split())
    for typed in ("fast links", "slower links", "with two downloads", "one second in, two more",
                  "four at once, this chapter's eight", "runs four downloads", "flashget's eight threads"):
        assert typed not in ch10, typed
    for glued in ("c10_down_lab_plan", "c10_down_lab_links", "c10_down_book_links", "c10_chart_c9_n",
                  "c10_fg_n", "c10_down_n"):
        assert f"{{glue:md}}`{glued}`" in ch10, glued


def test_chapter_10s_weighted_map_reads_as_the_simulator_and_the_lab_run_it():
    """A kernel developer's finding: the chapter recommends `numgen random mod 3 map {...}` while
    --weights runs `numgen inc` (turns in a row), and the lab routes mark k by table 100 + k where
    the recipe says table k.  The marks the text lists are the simulator's for weights 2,1, and the
    tables it names the lab's."""
    from sim.multipath import numgen_marks
    ch10 = " ".join((BOOK / "10-two-links.md").read_text().split())
    marks = re.search(r"its turns in a row, marks ((?:\d, )+)…", ch10).group(1)
    listed = [int(x) for x in marks.rstrip(", ").split(", ")]
    cycle = list(numgen_marks([2, 1]))
    assert listed == (cycle * len(listed))[:len(listed)] and len(listed) > len(cycle)
    assert len(numgen_marks([4, 2])) == 3 and "4,2 runs as 2,1" in ch10
    lab = (BOOK.parent / "sim" / "kernel" / "scenarios.py").read_text()
    assert '"fwmark", str(k), "table", str(100 + k)' in lab
    assert "routes marks 1 and 2 by tables 101 and 102" in ch10


@pytest.mark.parametrize("cmd", [("sim", "run"), ("sim.kernel", "compare")])
def test_the_weights_help_says_the_weights_are_divided_by_their_gcd(cmd):
    """A kernel developer's finding: --weights said `numgen inc mod SUM`, but 4,2 runs as mod 3."""
    import subprocess
    import sys
    from sim.multipath import numgen_marks
    out = subprocess.run([sys.executable, "-m", cmd[0], cmd[1], "--help"], cwd=BOOK.parent, capture_output=True,
                         text=True, check=True).stdout
    text = " ".join(out.split())
    assert "greatest common divisor" in text and "4,2 is 2,1" in text and "mod 3" in text
    assert len(numgen_marks([4, 2])) == 3


def test_chapter_10_tells_an_engineer_how_to_see_whether_the_recipe_works():
    """A network engineer's finding: the recipe said nothing of how to diagnose a real router.  A
    box after it names, for each way it fails, the command that shows it, as the engineer saw them
    in network namespaces; and chapter 9 says when `ip route get` names a forwarded connection's
    uplink (policy 3 with the 5-tuple's fields), not only when it does not."""
    text = (BOOK / "10-two-links.md").read_text()
    box = re.search(r"^```\{admonition\} Is it working\?\n:class: tip\n(.*?)^```$", text, re.S | re.M)
    assert box, "no 'Is it working?' box"
    body = " ".join(box.group(1).split())
    assert text.index("ct mark set numgen inc") < box.start()
    for needle in ("`conntrack -L`", "`mark=1`", "`conntrack -E`", "`[NEW]`, `[UPDATE]`, `[DESTROY]`",
                   "`nf_nat_oif_changed()`", "`conntrack -S`", "`invalid=`", "`nstat -az TcpExtIPReversePathFilter`",
                   "`ip route show table all`", "`dead linkdown`", "`tcpdump -ni eth0`",
                   "`ip route get 200.0.0.1 from 192.168.0.1 iif eth0 mark 2`", "`nft list ruleset`"):
        assert needle in body, needle
    ch9 = " ".join(_prose(BOOK / "09-modern-linux.md").split())
    i = ch9.index("Policy 3 reads the header every time")
    assert "ip route get 200.0.0.1 from 192.168.0.1 iif eth0 ipproto tcp sport PORT dport 80" in ch9[i:i + 600]


def _main_text(name: str) -> str:
    """A chapter's words without its code cells and its boxes (admonitions), folded: what a
    reader who skips every box reads."""
    text = re.sub(r"^```\{code-cell\}.*?^```$", "", (BOOK / name).read_text(), flags=re.S | re.M)
    text = re.sub(r"^(`{3,4})\{admonition\}.*?^\1$", "", text, flags=re.S | re.M)
    return " ".join(text.split())


def _boxes(name: str) -> str:
    """A chapter's "What real kernels do" boxes, folded."""
    text = (BOOK / name).read_text()
    return " ".join(" ".join(m.group(0).split()) for m in
                    re.finditer(r"^(`{3,4})\{admonition\} What real kernels do\n.*?^\1$", text, re.S | re.M))


#: Kernel internals a student met in the main text of chapters 1-7, where the preface promises
#: that a reader who skips the kernel boxes misses nothing the argument needs: each is in its
#: chapter's box, and no longer outside one.
INTERNALS = {"01-network.md": ("IPTOS_RT_MASK", "CONFIG_IP_ROUTE_FWMARK", "`nfmark`", "order of its hash buckets"),
             "02-route-cache.md": ("(gc_interval << rt_hash_log) / gc_timeout + 1", "{glue:md}`c2_buckets_of`",
                                   "the timeout halves"),
             "04-equalize.md": ("ip_route_output_slow()", "ip_route_output_key()"),
             "05-nat.md": ("ip_nat_setup_info()",),
             "06-equalize-nat.md": ("tcp_rtt_estimator()", "HZ=100", "jiffies"),
             "07-icmp.md": ("proto.icmp.count", "FIXME: Should keep count", "2.4.21")}


@pytest.mark.parametrize("name", sorted(INTERNALS))
def test_kernel_internals_of_chapters_1_to_7_are_in_their_boxes(name):
    """A student's finding: the preface says a box marked "Kernel detail" can be skipped, yet
    the main text of chapters 1-7 went into IPTOS_RT_MASK, rt_hash_log's arithmetic,
    ip_route_output_slow(), ip_nat_setup_info(), tcp_rtt_estimator() at HZ=100 and the
    release history of proto.icmp.count.  They are in the chapters' boxes; the main text keeps
    the idea in a plain sentence."""
    main, boxes = _main_text(name), _boxes(name)
    for needle in INTERNALS[name]:
        assert needle not in main, (name, needle)
        assert needle in boxes, (name, needle)


def test_the_main_text_says_the_idea_the_boxes_detail():
    """What stays in the main text when the detail goes to the box: the cache key's five
    fields (chapter 1), how late an idle entry goes (2), that equalize also covers the router's
    own packets (4), that 2.4 ends an ICMP entry when the reply passes (7)."""
    ch1 = _main_text("01-network.md")
    assert ("keyed by destination, source, {term}`TOS` (the IP header's type of service), input interface"
            in ch1 and "and firewall mark ({term}`fwmark`" in ch1)
    ch2 = _main_text("02-route-cache.md")
    assert "an idle entry goes between one and two `gc_timeout`s after its last use" in ch2
    # (the scan's bucket count went to the box too: tests/test_teaching_text.py)
    assert "whether the router forwards it or sends it itself" in _main_text("04-equalize.md")
    assert "Linux 2.4 destroys an ICMP conntrack entry when the reply to its echo passes" in _main_text("07-icmp.md")


def test_the_round_robin_and_the_nat_models_are_said_in_the_main_text_where_a_table_uses_them():
    """A student's finding: chapter 3's table of an expiring entry has rows `netfilter` and "2.4's
    round robin", and the text after it says "With 2.4's round robin (multipath="wrr") the move is
    no chance at all" -- both explained only in skippable boxes.  Chapter 4's "these two hold even
    2.4's round robin" and chapter 8's "as chapter 4 showed" (in a box) the same."""
    ch3 = _main_text("03-connection-level.md")
    part = ch3.split("## An expiring entry moves a connection", 1)[1]
    said = part.index("consecutive misses alternate between them")
    assert said < part.index("With 2.4's round robin")
    assert "which keeps the address the connection's first packet got" in part[:part.index("With 2.4's round robin")]
    ch4 = _main_text("04-equalize.md")
    assert ch4.index("each line gets one turn in each round of choices") < ch4.index("The round robin does better")
    assert "these two hold even 2.4's round robin" not in ch4
    ch8 = " ".join(_prose(BOOK / "08-real-kernels.md").split())
    assert "as chapter {doc}`04-equalize` showed" not in ch8
    assert "the choice goes to the first that still has its credit" in ch8


def test_no_answer_is_given_before_its_question_is_asked():
    """A student's finding: chapter 2 said, before the thought question is asked (chapter 3),
    that Local host 2's "SYN adds the entry of its own direction"; chapter 3's box right below the
    closed "Answer" said in how many runs Local host 2 got the ISO's uplink.  Those counts are
    inside the answer."""
    ch2 = " ".join(_prose(BOOK / "02-route-cache.md").split())
    assert "adds the entry of its own direction" not in ch2
    text = (BOOK / "03-connection-level.md").read_text()
    answer = re.search(r"^````\{admonition\} Answer.*?^````$", text, re.S | re.M)
    assert answer
    outside = text[:answer.start()] + text[answer.end():]
    for name in ("c3_q_same", "c3_q_wrr", "c3_wrr_seq"):
        assert "{glue:md}`%s`" % name in answer.group(0), name
        assert "{glue:md}`%s`" % name not in outside, name


def test_chapter_4_says_its_measured_gains_and_its_table_what_it_counts():
    """Chapter 4's summary said "close to n times faster" where the chapter measured 1.82 with two
    lines and 2.73 with four; its table's per-line "kbit/s down" (headers included) added up to
    more than the download's speed without a word; and its replay "ended at the last change, so
    the last 3 packets to arrive are not shown leaving", which read as packets lost."""
    text = " ".join((BOOK / "04-equalize.md").read_text().split())
    summary = text.split("## Summary", 1)[1].split("## Exercises", 1)[0]
    assert "close to n times" not in summary
    assert "{glue:md}`c4_gain2`" in summary and "{glue:md}`c4_gain4`" in summary and "{glue:md}`c4_size_n`" in summary
    assert '"line kbit/s down, headers included"' in text and "{glue:md}`c4_lines_kbit` kbit/s, more than" in text
    assert "400 kB download" not in text and 'bl.glue("c4_size_n"' in text
    assert "not shown leaving" not in text and "arriving and each of them leaving" in text


def test_the_preface_summary_names_the_download_size_of_its_speeds():
    """The preface promises that the book names the download's size with every speed; its
    summary gave 1.61 times (100 kB) where chapter 4 opens with 1.82 times (400 kB)."""
    text = " ".join((BOOK / "00-preface.md").read_text().split())
    summary = text.split("## Summary", 1)[1]
    assert "One {glue:md}`pre_size` download over two lines" in summary
    assert "{glue:md}`pre_nat` times one line for the same {glue:md}`pre_size` download" in summary


def test_the_pages_do_not_say_how_they_were_built():
    """"nothing was typed in by hand", "Every number here is recomputed from the simulator when
    the book is built" and the footer's "computed by the simulator when the book was built" spoke
    of how the book is made, not of its subject (a student's finding)."""
    made = re.compile(r"typed in by hand|when (the|this) book (is|was) built|when these pages were built|"
                      r"recomputed from the simulator", re.I)
    for p in CHAPTERS:
        assert not made.search(" ".join(p.read_text().split())), p.name
    config = (BOOK.parent / "_config.yml").read_text()
    footer = re.search(r"^\s*extra_footer:\s*(.*)$", config, re.M).group(1)
    assert not made.search(footer) and "computed" not in footer, footer


def test_chapter_2_explains_a_trace_line_before_the_first_exercise():
    """A student's finding: the exercises of chapters 2-7 are built on trace lines (`hop`,
    `rt_miss`, `Flags [S.]`, `nat snat`, `via -`, endpoints written 192.168.0.1.5000) that the
    book never explained.  Chapter 2, whose exercises come first, has a box that shows a line of
    every kind those exercises show, as they show it, before its exercises; the glossary points
    to it."""
    from sim.exercises import chapter_ids, instance
    text = (BOOK / "02-route-cache.md").read_text()
    box = re.search(r"^```\{admonition\} How to read a trace line\n:class: tip\n:name: trace-lines\n(.*?)^```$",
                    text, re.S | re.M)
    assert box and box.start() < text.index("HTML(chapter_html(2))")
    body = " ".join(box.group(1).split())
    for flag in ("`S` SYN", "`.` ACK", "`P` push", "`F` FIN", "`R` reset", "`[S.]`"):
        assert flag in body, flag
    assert "`192.168.0.1.5000`" in body and "`(192.168.0.1, 5000)`" in body and "`192.168.0.1:5000`" in body
    kinds = set()       # what a dozen students' variants show (today's router's `fib`, `ct_del` among them)
    for ex in (ex for ch in range(2, 8) for ex in chapter_ids(ch)):
        for student in ["anyone"] + [f"s{k}" for k in range(12)]:
            for ln in instance(ex, student).context or []:
                m = re.match(r"event \d+: \S+ (\S+)(?: (snat|dnat))?", ln)
                kinds.add(m.group(1) + (" " + m.group(2) if m.group(2) else ""))
    assert {"hop", "rt_miss", "nat snat", "fib", "ct_del"} <= kinds, kinds
    shown = {"hop": "c2_tl_hop", "rt_miss": "c2_tl_miss", "rt_hit": "c2_tl_hit", "rt_del": "c2_tl_del",
             "ct_new": "c2_tl_ct", "nat snat": "c2_tl_snat", "nat dnat": "c2_tl_dnat",
             "deliver": "c2_tl_deliver", "drop": "c2_tl_drop", "fib": "c2_tl_fib", "ct_del": "c2_tl_ctdel"}
    for kind in kinds:
        assert kind in shown, f"the exercises show {kind!r} lines, which the box does not explain"
        assert "{glue:md}`%s`" % shown[kind] in body, kind
    assert "`via -`" in body
    glossary = " ".join((BOOK / "back" / "glossary.md").read_text().split())
    assert "trace line One event of a run" in glossary and "{ref}`How to read one <trace-lines>`" in glossary
