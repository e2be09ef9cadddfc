"""What a first reader needs from the preface and chapters 1, 2, 4 and 5 (a student's review).

The narration of a segment the article's remote ignores says what a standard TCP would do
and where the book shows it; the chapters' text (read from book/*.md) keeps the preface at
the lesson's level, leads chapter 5 into chapter 6's question, names the cause of chapter
4's unequal-delay loss as its figure shows it, and ends each chapter with what the reader
can now do.
"""
from __future__ import annotations

import re
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


def _folded(name: str) -> str:
    return " ".join(chapter(name).split())


def _main_text(name: str) -> str:
    """The words a reader who skips every box and code cell reads, folded."""
    text = re.sub(r"^```\{code-cell\}.*?^```$", "", chapter(name), flags=re.S | re.M)
    text = re.sub(r"^(`{3,4})\{admonition\}.*?^\1$", "", text, flags=re.S | re.M)
    return " ".join(text.split())


def _boxes(name: str) -> str:
    return " ".join(" ".join(m.group(0).split()) for m in
                    re.finditer(r"^(`{3,4})\{admonition\} What real kernels do\n.*?^\1$", chapter(name),
                                re.S | re.M))


def _summary(name: str) -> str:
    return " ".join(chapter(name).split("## Summary\n", 1)[1].split("\n## ", 1)[0].split())


def test_the_preface_keeps_to_the_lesson_and_leaves_the_kernel_releases_to_chapter_6():
    """Finding 1: under the bar chart the preface spoke of stray ACKs, SNAT and MASQUERADE
    releases 2.4.0-2.4.22 and 2.4.23, before chapter 1; a reader was left unsure whether the
    connections break.  It says they limp (the cell asserts it), what that costs, and sends the
    details to chapters 6 and 8; its numbers stay glued."""
    pre = _folded("00-")
    body = pre[pre.index("That last bar"):pre.index("## How to read this book")]
    for gone in ("stray ACK", "2.4.22", "2.4.23", "SNAT", "MASQUERADE"):
        assert gone not in body, gone
    assert "stray ACK" not in pre and "2.4.22" not in pre
    assert "The connections limp rather than break ({glue:md}`pre_hs_failed`)" in body
    assert "rewrite the paragraph under the chart" in chapter("00-")       # the cell checks the claim
    for name in ("pre_nat", "pre_nf", "pre_nf_filt"):
        assert "{glue:md}`%s`" % name in body, name
    assert "{doc}`Chapter 6 <06-equalize-nat>`" in body and "{doc}`chapter 8 <08-real-kernels>`" in body
    # finding 4: the article's silent server, and where a standard TCP's reset is shown
    art = pre[pre.index("**Equalize meets NAT.**"):pre.index("That last bar")]
    assert "ignores it (a standard TCP would answer with a reset: {doc}`chapter 8 <08-real-kernels>`)" in art


def test_chapter_5_leads_into_chapter_6s_question_and_ends_on_it():
    """Finding 2: "first without any equalize" promised a second part the chapter never has, and
    the summary never asked chapter 6's question (nor said why ICMP survives)."""
    ch5 = _folded("05-")
    assert "first without any equalize" not in ch5
    assert "stays without equalize, where NAT works" in ch5
    assert "the server knows a connection only by its two endpoints" in ch5
    summary = _summary("05-")
    assert "two different public endpoints" in summary and "chapter {doc}`6 <06-equalize-nat>`" in summary
    assert "each echo stands alone" in summary


def test_chapter_5_says_which_nat_its_replays_run():
    """Finding 3: the iptables rules were "this chapter's router", whose replays run the article's
    model, which is no iptables rule at all."""
    ch5 = _folded("05-")
    assert "For this chapter's router they read" not in ch5
    assert "For this network's two uplinks they read" in ch5
    assert "The simulated router in this chapter's replays runs it too, unless a run says `nat=netfilter`" in ch5


def test_chapter_5_replays_bindings_not_chapter_1s_run_again():
    """Finding 11: chapter 5's replay was chapter 1's (connection-level, seed 1) step for step.
    It replays the flashget run's first connections: one binding and one public port each."""
    text = chapter("05-")
    calls = re.findall(r"bl\.replay\((\w+),", text)
    assert calls == ["rf"], calls
    assert 'rf = bl.run("flashget", seed=1)' in text
    r = sim.run("flashget", seed=1)
    ports = [e.pkt.sport for e in r.events if e.ev is Ev.NAT and e.dir == "snat"
             and e.pkt.l4.flags == "S"][:3]
    assert len(set(ports)) == 3, ports


def test_chapter_4_names_the_cause_its_figure_shows_for_unequal_delays():
    """Finding 5: "Unequal delays: reordering eats the gain" -- but the fixed-window download loses
    half its speed while its sender resends a few segments at most; the loss is the wait for the
    slow line, and reordering's resends bite under Reno.  Checked here on three seeds."""
    runs = [sim.run("equalize-public", seed=s, delay_ms=[10, 160]) for s in (1, 2, 3)]
    one = [sim.run("connection-level", seed=s, uplinks=1, delay_ms=[10], trace=False) for s in (1, 2, 3)]
    assert sum(x.connection(0)["throughput_kbit"] for x in runs) < sum(x.connection(0)["throughput_kbit"] for x in one)
    assert not any(x.summary["drops"].get(str(Drop.QUEUE_FULL)) for x in runs)
    ch4 = _folded("04-")
    assert "reordering eats the gain" not in ch4 and "1 + 1 < 1 already, without any NAT" not in ch4
    assert "## Unequal delays: the slow line sets the pace" in chapter("04-")
    assert ("With the fixed window the loss comes from that waiting, not from resends: at "
            "{glue:md}`c4_worst_d` a download sent {glue:md}`c4_rtx_worst` segments again") in ch4
    assert "reordering triggers fast retransmits that were never needed" in ch4
    assert "segments again that no queue had dropped" in ch4.split("{glue:md}`c4_rtx_reno_worst`", 1)[1][:60]
    assert "{glue:md}`c4_rtx_reno_worst`" in ch4
    assert "This is a different 1 + 1 < 1 from the article's, and it needs no NAT." in ch4


def test_chapter_2s_idle_expiry_keeps_the_scan_arithmetic_in_its_box():
    """Finding 9: the main text of "Idle expiry" counted buckets, scans and 299.85 s; it says when
    an idle entry goes, and the box has the scan and why these entries went when they did."""
    main, box = _main_text("02-"), _boxes("02-")
    assert "an idle entry goes between one and two `gc_timeout`s after its last use" in main
    for needle in ("{glue:md}`c2_scan`", "{glue:md}`c2_prev_idle`", "{glue:md}`c2_prev_scan`",
                   "{glue:md}`c2_revisit`", "*hash chain*", "*buckets*", "so the scan kept them"):
        assert needle not in main, needle
        assert needle in box, needle


def test_chapter_2s_trace_box_names_the_uplinks_exercises_may_add():
    """Finding 13: exercises use `if3` (and `if4`), which no chapter showed; the trace-reading box
    names them with their addresses, glued from a run."""
    text = chapter("02-")
    box = text[text.index(":name: trace-lines"):]
    assert "{glue:md}`c2_tl_more`" in box
    r = sim.run("connection-level", seed=1, uplinks=4, size=1000, trace=False)
    assert list(r.summary["uplinks"])[2:] == ["if3", "if4"]


def test_the_glossary_has_nat_slow_path_and_cache_hit_and_miss():
    """Finding 13: the glossary lacked NAT, slow path and cache hit/miss; the chapters link them."""
    glossary = (BOOK / "back" / "glossary.md").read_text()
    for term in ("NAT", "slow path", "cache hit", "cache miss"):
        assert re.search(rf"^{re.escape(term)}$", glossary, re.M), term
    assert "{term}`NAT`" in chapter("00-")
    assert "{term}`miss <cache miss>`" in chapter("02-") and "{term}`hit <cache hit>`" in chapter("02-")
    assert "{term}`slow path`" in chapter("04-")


MINE = ("02-", "04-", "05-", "06-", "07-", "08-", "09-")


def test_the_exercises_say_a_replay_opens_only_where_there_is_one():
    """Finding 12: "Predict first, then let the replay show you" where half the exercises have no
    replay; a replay opens on a right answer (sim/exercises/site.py)."""
    for name in MINE:
        text = _folded(name)
        assert "then let the replay show you" not in text, name
        assert "where a question has a replay, a right answer opens it" in text, name
    assert "a right answer opens it" in _folded("00-")


def test_chapters_1_2_4_5_end_with_what_the_reader_can_now_do():
    for name in ("01-", "02-", "04-", "05-"):
        assert "You can now " in _summary(name), name
