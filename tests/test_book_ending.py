"""The end of the book as a student read it on a phone (chapters 6, 7, 9 and 10): what to do on a
real router today, why chapter 10's recipe and not chapter 9's hash, the article's own words,
paragraphs and tables a phone can hold, and the recipe's comments on a phone's line."""
import re
from pathlib import Path

import pytest

import sim

from test_book import book_html  # noqa: F401  (the built book)

BOOK = Path(__file__).resolve().parent.parent / "book"


def raw(name: str) -> str:
    return (BOOK / name).read_text()


def folded(text: str) -> str:
    return " ".join(text.split())


def without_cells(text: str) -> str:
    return re.sub(r"^```\{code-cell\}.*?^```$", "", text, flags=re.S | re.M)


def main_paragraphs(name: str) -> list[str]:
    """A chapter's main-text paragraphs: no code cells, no boxes (admonitions), no code blocks."""
    text = without_cells(raw(name))
    text = re.sub(r"^(`{3,4})\{admonition\}.*?^\1$", "", text, flags=re.S | re.M)
    text = re.sub(r"^(`{3,4})[a-z]*\n.*?^\1$", "", text, flags=re.S | re.M)
    return [folded(p) for p in text.split("\n\n") if p.strip()]


def section(text: str, head: str, end: str = "\n## ") -> str:
    i = text.index(head)
    j = text.find(end, i + len(head))
    return text[i:j if j > 0 else len(text)]


def box(text: str, title: str) -> str:
    m = re.search(r"^(`{3,4})\{admonition\} " + re.escape(title) + r"\n(.*?)^\1$", text, re.S | re.M)
    assert m, f"no box {title!r}"
    return m.group(2)


# -- chapter 10: why its recipe, and what to do today -------------------------------------------

def test_ch10_quotes_the_articles_own_words():
    """The text quoted "you are dead, this is impossible" as where the article stops; the article
    opens with "sorry, you are dead. this is impossible." and ends on its ICMP joke."""
    text = folded(raw("10-two-links.md"))
    assert "you are dead, this is impossible" not in text
    assert 'The article opens with "sorry, you are dead. this is impossible."' in text


def test_ch10_says_where_it_opens_why_its_recipe_and_not_chapter_9s_hash():
    """Chapter 9 ends on a two-command set-up that works (the L4 hash and MASQUERADE); chapter 10
    opened on a long recipe without saying what it adds: connections that move when a line comes
    back, and a hash already on a container's packets that its socket redraws after a timeout."""
    opening = folded(without_cells(raw("10-two-links.md")).split("## Connection-level balancing", 1)[0])
    for needle in ("`fib_multipath_hash_policy=1`", "When a line comes back", "MASQUERADE kills them",
                   "retransmission timeout", 'chapter 9\'s box "What real kernels do"'):
        assert needle in opening, needle
    # chapter 9's box says both, which the opening relies on
    ch9 = folded(raw("09-modern-linux.md"))
    assert "for a router's users, connections drop when the line *returns*" in ch9
    assert "Linux draws a new one after a retransmission timeout" in ch9


def test_ch10_ends_with_what_to_do_on_a_two_uplink_nat_router_today():
    text = raw("10-two-links.md")
    summary = section(text, "## Summary")
    # a section of its own after the summary, in the page's contents (an engineer looked for it)
    b = box(section(text, "## On a two-uplink NAT router today"), "On a two-uplink NAT router today")
    items = re.findall(r"^\d\. \*\*(.+?)\*\*", b, re.M)
    assert len(items) == 5, items
    b = folded(b)
    for needle in ("{glue:md}`c10_today_tcp`", "{glue:md}`c10_today_ping`", "`numgen`",
                   "`sysctl -w net.ipv4.fib_multipath_hash_policy=1`", "`fib_multipath_hash_fields=0x0037`",
                   "this chapter's recipe", "MPTCP", "`ignore_routes_with_linkdown`", "Deploying it"):
        assert needle in b, needle
    # its numbers are the simulator's: the cell before it runs chapter 9's echo and chapter 7's pings
    cell = summary[summary.index("```{code-cell}"):]
    assert 'bl.run("echo", seed=1' in cell and 'bl.run("ping", seed=1' in cell


def test_ch10_closing_box_shows_the_simulators_numbers(book_html):
    page = folded(re.sub(r"<[^>]+>", " ", (book_html / "book" / "10-two-links.html").read_text()))
    # the box: its title followed by its first point (the title is also the section's heading and
    # an entry of the page's contents)
    at = [m.start() for m in re.finditer("On a two-uplink NAT router today", page)
          if "Never balance per packet" in page[m.start():m.start() + 200]]
    assert at, "no box titled 'On a two-uplink NAT router today' starting with its first point"
    b = page[at[0]:][:3000]
    e = sim.run("echo", seed=1, trace=False).summary["echo"][0]
    p = sim.run("ping", seed=1, trace=False).summary["pings"][0]
    assert e["reset"] and p["received"] < p["sent"]
    assert f"the TCP echo was reset after {e['echoed']} of its {e['messages']} messages" in b, b[:600]
    assert f"only {p['received']} of {p['sent']} pings were answered" in b, b[:600]


def test_ch10_chart_names_how_many_set_ups_and_why_the_articles_bar_differs():
    """The caption said "each set-up of this book" over six bars, leaving out chapter 9's hash,
    today's per-packet MASQUERADE and 2.4's netfilter NAT; and the article's bar (a 300 kB
    download) read otherwise than chapter 6's figure (100 kB) without a word why."""
    text = raw("10-two-links.md")
    assert "each set-up of this book" not in text
    for label in ("L4 hash + MASQUERADE (ch. 9)", "per packet + MASQUERADE, today",
                  "equalize + 2.4 netfilter NAT"):
        assert f'("{label}", lambda s:' in text, label
    assert "{glue:md}`c10_chart_n` of the set-ups the book has met" in folded(text)
    assert "{glue:md}`c10_chart_art`: chapter 6 gives the same set-up {glue:md}`c10_chart_c6`" in folded(text)


# -- chapter 10's recipe on a phone -------------------------------------------------------------

#: the characters of a code block's line on a 360 px phone (14 px monospace in a 294 px box)
PHONE_COLUMNS = 34


def test_ch10_recipes_comments_fit_a_phone_line_and_the_old_rules_warning_is_under_deploying_it():
    """Wrapped comment lines read as separate commands on a phone: every comment of the recipe
    fits one line there, the long explanations being under "Deploying it"; the warning about a
    router's old per-packet rules, which came before the recipe was shown, is there too."""
    from test_recipes import recipe
    comments = [l for l in recipe().splitlines() if l.lstrip().startswith("#")]
    assert len(comments) > 10
    long = [l for l in comments if len(l) > PHONE_COLUMNS]
    assert not long, long
    text = folded(raw("10-two-links.md"))
    head = text[text.index("## Connection-level balancing that sticks"):text.index("```sh")]
    assert "nft list ruleset | grep" not in head and "/etc/nftables.conf" not in head
    deploy = section(text, "## Deploying it", "## Try it live")
    assert "its old rules must go first, from the rule set loaded and from `/etc/nftables.conf`" in deploy


def test_ch10_deploying_it_is_split_under_sub_heads():
    """"Each part has its reason. ..." was one paragraph of 852 words (3380 px on a phone)."""
    part = section(raw("10-two-links.md"), "## Deploying it")
    heads = re.findall(r"^### (.+)$", part, re.M)
    assert len(heads) >= 8, heads
    for h in ("The routes, run again or with an uplink down", "When the kernel sees a line down",
              "The rules", "The chains' priorities, and a router's old rules"):
        assert h in heads, h


@pytest.mark.parametrize("name", ["07-icmp.md", "09-modern-linux.md", "10-two-links.md"])
def test_no_main_text_paragraph_runs_for_screens_on_a_phone(name):
    """Chapter 9's caution for policy 1 was 536 words, chapter 10's "Each part has its reason"
    852, chapter 7's parting joke 381; the detail went into the boxes or under sub-heads."""
    long = [(len(p.split()), p[:80]) for p in main_paragraphs(name) if len(p.split()) > 300]
    assert not long, long


def test_ch9_keeps_the_caution_for_policy_1_short_and_its_detail_in_the_box():
    paras = main_paragraphs("09-modern-linux.md")
    (caution,) = [p for p in paras if p.startswith("A caution for policy 1 on a real router.")]
    assert len(caution.split()) < 120, len(caution.split())
    assert "{term}`receive-side scaling`" in caution and "MASQUERADE kills it" in caution
    kernel = folded(box(raw("09-modern-linux.md"), "What real kernels do"))
    for needle in ('"short-circuit if we already have L4 hash present"', "`sk_rethink_txhash()`",
                   "`SO_TXREHASH`", "7788174e8726", "939463016b7a", "{glue:md}`c9_l4_runs`"):
        assert needle in kernel, needle


# -- chapter 9's tables -------------------------------------------------------------------------

def test_ch9_folds_the_full_tables_and_shows_the_side_by_side_ones(book_html):
    """Kernel table, simulator table and side-by-side table, for two uplinks and three: some nine
    phone screens that repeat each other.  The side-by-side tables are shown; the full ones
    (with what the remote host saw) are in a closed <details> before each."""
    page = (book_html / "book" / "09-modern-linux.html").read_text()
    folds = re.findall(r'<details class="op1-full-tables">(.*?)</details>', page, re.S)
    assert len(folds) == 2
    for f in folds:
        assert f.count('<table class="table op1-cards"') == 2
        assert "what the remote host saw" in f and "TCP, kernel" not in f
    outside = re.sub(r'<details class="op1-full-tables">.*?</details>', "", page, flags=re.S)
    assert outside.count("TCP, kernel") >= 2 and "what the remote host saw</p></th>" not in outside
    # closed until opened
    assert '<details class="op1-full-tables" open' not in page


# -- chapter 7 ----------------------------------------------------------------------------------

def test_ch7_title_and_opening_say_what_the_article_said_and_what_the_chapter_finds():
    """"7. Why ICMP still works" and "`ping` works perfectly": the article says ICMP "can work",
    and the chapter finds a modern kernel answering half the pings."""
    text = raw("07-icmp.md")
    assert re.search(r"^# 7\. Why ICMP worked on Linux 2\.4$", text, re.M)
    assert "still works" not in text and "works perfectly" not in text
    opening = folded(text[text.index("The article ends on a curious note"):text.index("## Every echo")])
    assert 'ICMP "can work"' in opening
    assert "{glue:md}`c7_mod_recv` of {glue:md}`c7_mod_sent`" in opening
    # the quote is the article's
    assert '"The last good news is that the ICMP protocol can work in this case.' in text


def test_ch7_parting_joke_has_its_section_and_the_2_4_0_hypothetical_is_in_the_box():
    text = raw("07-icmp.md")
    joke = section(text, "## The article's parting joke")
    assert "{glue:md}`c7_lost_seq`" in joke and "neither would happen as described" not in joke
    kernel = folded(box(text, "What real kernels do"))
    assert "On 2.4.0, which ends an ICMP entry at its first reply, the flood and the lost echo" in kernel


def test_no_page_names_chapter_7_by_its_old_title():
    for p in [*BOOK.rglob("*.md"), *BOOK.glob("*.py"), *BOOK.parent.joinpath("tests").glob("*.py")]:
        if p.name == "test_book_ending.py":
            continue
        assert "Why ICMP still works" not in p.read_text(), p


# -- chapter 6 ----------------------------------------------------------------------------------

def test_ch6_says_its_two_figures_for_one_gap_are_one_rounded():
    """"less 0.6 ms (the 0.001 s between the last two columns)" read as two figures."""
    text = folded(raw("06-equalize-nat.md"))
    assert "(the {glue:md}`c6_gap_shown` between the last two columns)" not in text
    assert ("less {glue:md}`c6_gap_ms` ms (which the table's columns, rounded to the millisecond, show as "
            "{glue:md}`c6_gap_shown` between the last two)") in text
