"""Chapters 8-10 say what a kernel developer and a phone-reading student found they must say."""
import re
from pathlib import Path

from test_book import book_html, server  # noqa: F401  (the built book, served)

BOOK = Path(__file__).resolve().parent.parent / "book"


def chapter(name: str) -> str:
    return " ".join((BOOK / name).read_text().split())


def prose(name: str) -> str:
    """A chapter's words without its code cells, folded."""
    text = re.sub(r"^```\{code-cell\}.*?^```$", "", (BOOK / name).read_text(), flags=re.S | re.M)
    return " ".join(text.split())


def test_ch9_says_why_a_resilient_group_of_one_moves_flows_at_the_replace():
    """A group left with one member is not multipath (nexthop_num_path() is 1), so the routing of
    a packet never reaches nexthop_select_path_res(), the only place a packet marks its bucket
    used; at the replace the returning nexthop takes the lowest-numbered idle buckets
    (nh_res_table_upkeep() walks them by index), whoever uses them (resil2.sh, Linux 6.18)."""
    text = chapter("09-modern-linux.md")
    i = text.index("When if2's line returns")
    box = text[i:i + 2600]
    for needle in ("nexthop_num_path()", "ip_mkroute_input()", "fib_select_path()", "fib_select_multipath()",
                   "nexthop_select_path_res()", "nh_res_bucket_set_busy()", "nh_res_bucket_idle_point()",
                   "nh_res_table_upkeep()", "lowest-numbered", "never left if2",
                   "A resilient group keeps flows in place only while at least two members remain."):
        assert needle in box, needle
    assert "but with two uplinks it did not:" not in text


def test_ch9_says_which_out_of_window_segments_are_invalid():
    """Of tcp_in_window()'s checks only SEQ_OVER and ACK_OVER give NFCT_TCP_INVALID (-NF_ACCEPT:
    the entry detached, no NAT); an old segment below the window, or a small overshoot, is
    NFCT_TCP_IGNORE and keeps its entry and NAT (tcp_in_window(), nf_conntrack_tcp_packet(),
    Linux 6.12).  An engineer's findings: "Only two kinds of segment are INVALID" read as the whole
    list, while the state table makes others INVALID too (a FIN with no entry, /*fin*/ sNO -> sIV,
    which chapter 10 relies on); and the overshoot does move the entry's record: it returns
    NFCT_TCP_IGNORE but sets sender->td_end = end (Westphal, "netfilter: conntrack: ignore overly
    delayed tcp packets", 2022, Linux 6.1)."""
    text = chapter("09-modern-linux.md")
    assert "after losses it did not see" not in text
    i = text.index("Conntrack follows TCP windows")
    near = text[i:i + 2000]
    for needle in ("tcp_in_window()", "nf_conntrack_tcp_packet()", "`SEQ_OVER`", "`ACK_OVER`", "*ignored*",
                   "keeps its entry and its NAT", "Of its window checks, only two make a segment",
                   "`/*fin*/ sNO -> sIV`", "`td_end`", "{cite}`linuxcttcpignore`",
                   '"SEQ is over upper bound"', '"ACK is over upper bound"'):
        assert needle in near, needle
    assert "Only two kinds of segment are" not in text
    assert "only the entry's record of the window is not moved" not in text
    bib = (BOOK / "references.bib").read_text()
    assert "@misc{linuxcttcpignore," in bib and "20220907154110.8898-3-fw@strlen.de" in bib
    glossary = (BOOK / "back" / "glossary.md").read_text()
    entry = re.search(r"^INVALID\n  (.*)$", glossary, re.M).group(1)
    assert "beyond the window" in entry and "never saw" in entry and "only ignored" in entry


def test_ch9_says_the_hash_key_can_be_fixed_since_6_11_and_what_rss_hashes():
    text = chapter("09-modern-linux.md")
    i = text.index("The real hash includes a per-boot random key")
    near = text[i:i + 700]
    assert "fib_multipath_hash_seed" in near and "6.11" in near and "{cite}`linuxhashseed`" in near
    assert "L4 hash" in near
    assert "computed from the 5-tuple, so a flow arriving" not in text
    assert "with the card's own hash function and key from the packet's addresses and ports" in text
    assert "effectively per packet for forwarded packets" in text
    rss = re.search(r"^receive-side scaling\n  (.*)$", (BOOK / "back" / "glossary.md").read_text(), re.M).group(1)
    assert "4-tuple" in rss and "the card's own hash function and key" in rss


def test_ch10_says_what_ip_says_of_a_device_that_is_not_there():
    """iproute2 refuses a device that does not exist before asking the kernel (`Cannot find
    device "ppp0"`, exit 1); only a device that is down gets the kernel's "Nexthop has invalid
    gateway"; and a name ifN no device has is read as interface index N (lib/ll_map.c)."""
    text = chapter("10-two-links.md")
    assert 'the route lines that name it fail, each saying so ("Nexthop has invalid gateway")' not in text
    assert '`Cannot find device "ppp0"`, exit status 1' in text
    foot = text[text.index("[^ifn]:"):][:900]
    assert "ll_name_to_index()" in foot and "ll_idx_a2n()" in foot and "lib/ll_map.c" in foot
    assert '"Cannot find device"' in (BOOK / "10-two-links.md").read_text().split("```sh\n", 1)[1].split(
        "\n```", 1)[0].replace("\n# ", " ")


def test_ch10_puts_the_results_right_after_the_recipe_and_deployment_in_its_own_section():
    """~3,760 words (DHCP metrics, PPP ip-up, persistence, IPv6, "Is it working?") came between
    the recipe and the first result.  The results follow the recipe and a few paragraphs; the
    deployment is a section of its own, later, with every one of those facts."""
    raw = (BOOK / "10-two-links.md").read_text()
    sec = raw.index("## Connection-level balancing that sticks")
    first_result = raw.index("```{code-cell}", sec)
    between = re.sub(r"^```sh\n.*?^```$", "", raw[sec:first_result], flags=re.S | re.M)
    assert len(between.split()) < 800, len(between.split())
    deploy = raw.index("## Deploying it")
    assert deploy > raw.index("## When a line fails") and deploy < raw.index("## Try it live")
    part = raw[deploy:raw.index("## Try it live")]
    for needle in ("Each part has its reason.", "```{admonition} Is it working?", "# ip-up:",
                   "/etc/nftables.conf", "All of this is IPv4", "Only connections through the router draw",
                   "A mark lives as long as its conntrack entry", "reverse-path filtering <rp_filter>"):
        assert needle in part, needle


def test_ch9_and_ch10_recipes_fit_a_phone():
    """The recipe's long `#` comments made its block 959 px wide on a phone, and once they were
    wrapped its commands still did (`ip route replace default scope global nexthop ... ||`, the
    `numgen` rule, 104-110 characters), as did the other draws' rules (up to 158) and the uplink
    scripts' route: every line of chapter 9's and 10's `sh` and `text` blocks, comment or command,
    is at most 64 columns, a command wrapped by a backslash at the end of a line, which both the
    shell and nft read as going on in the next (test_recipes runs them so)."""
    from test_recipes import logical_lines
    wrapped = 0
    for name in ("09-modern-linux.md", "10-two-links.md"):
        raw = (BOOK / name).read_text()
        for ind, block in re.findall(r"^( *)```(?:sh|text)\n(.*?)^\1```$", raw, re.S | re.M):
            lines = [l[len(ind):] for l in block.splitlines()]
            for line in lines:
                assert len(line) <= 64, (name, line)
            wrapped += len(lines) - len(logical_lines("\n".join(lines)))
    assert wrapped >= 10, wrapped            # (the commands were wrapped, not cut short)


def test_ch10_explains_the_ip_up_script_where_the_recipe_first_names_it():
    raw = (BOOK / "10-two-links.md").read_text()
    first = raw.index("ip-up")
    assert "the script run when the uplink comes up, its ip-up" in " ".join(raw[first - 200:first + 50].replace(
        "# ", "").split())


def test_ch10_names_what_each_one_line_figure_measures():
    """"chapter 9's figure ... is a mean over many seeds, and differs" -- both were 1838.  The
    comparison with chapter 9's figure is computed, and the chart names the multilink table's."""
    text = prose("10-two-links.md")
    assert "and differs" not in text and "{glue:md}`c10_fg_c9`" in text
    raw = (BOOK / "10-two-links.md").read_text()
    assert 'bl.glue("c10_fg_c9",' in raw and "same_c9 =" in raw
    assert "multilink table's \"one line\", one {glue:md}`c10_ml_size` download" in text


def test_ch10_glues_the_labs_verdict_without_its_words_on_the_race():
    """The recorded verdict said "the simulator models one (...)", and the text then "The simulator
    can take either branch": the text glues the verdict's head and says itself which branch each
    run took."""
    raw = (BOOK / "10-two-links.md").read_text()
    assert 'bl.glue("c10_down_verdict", verdict.split(":", 1)[0])' in raw
    assert "{glue:md}`c10_down_path` The simulator can take either branch" in prose("10-two-links.md")


def test_only_the_preface_says_how_a_notebook_shows_the_numbers_a_chapter_computes():
    """"({glue:md}`name`)" read as MyST markup the page failed to render; then each "Try it live"
    section explained the notebook's markup for a number again, six times, a note on how the
    pages are made rather than on their subject (a student's finding).  The preface's "Live, in
    Binder" says it once, for every chapter: how a number shows in a notebook and where its cell
    is; no "Try it live" section says it again."""
    for p in sorted(BOOK.glob("[0-9][0-9]-*.md")):
        text = " ".join(p.read_text().split())
        if "## Try it live" not in text:
            continue
        part = text.split("## Try it live", 1)[1].split("```{code-cell}", 1)[0]
        # (a number the section itself shows is glued, {glue:md}`c9_n`; the markup shown as
        # text is in a double-backtick code span)
        assert "`` {glue:md}`" not in part and "as its source is written" not in part, p.name
        assert "name = value" not in part and "is shown as written" not in part, p.name
    pre = " ".join((BOOK / "00-preface.md").read_text().split())
    live = pre.split("*Live, in Binder.*", 1)[1].split("3. *Locally.*", 1)[0]
    assert "appears by its name (`` {glue:md}`name` ``)" in live and "`name = value` under the cell" in live


def test_a_table_of_short_cells_is_made_cards_when_asked():
    """book/booklib.py's ``cards(text, always=True)``: chapter 9's kernel-beside-simulator table
    has no cell of a sentence, so it would scroll sideways on a phone, one cell of each pair in
    view; asked, it is a card a row, as the tables of records are.  Unasked, as before."""
    import sys
    from helpers import load_booklib
    bl = load_booklib()
    short = bl.table([{"set-up": "a", "TCP, kernel": "reset", "TCP, simulator": "reset", "ping, kernel": "5 of 10"}])
    assert bl.cards(short) is None
    out = bl.cards(short, always=True)
    assert out and 'class="table op1-cards"' in out
    assert '<td data-label="TCP, kernel"><p>reset</p></td><td data-label="TCP, simulator"><p>reset</p></td>' in out
    page = (BOOK / "09-modern-linux.md").read_text()
    calls = re.findall(r"bl\.md\(side_by_side\(.*", page)
    assert len(calls) >= 2 and all(c.endswith(", as_cards=True)") for c in calls), calls     # every one asked


def _record_tables(page: str) -> list[tuple[list[str], list[tuple[str, dict]]]]:
    """A built page's tables of records (booklib's ``cards``), in page order: (the column names,
    [(a row's header, {column name: cell's text})])."""
    text = lambda h: re.sub(r"<[^>]+>", "", h).strip()
    out = []
    for t in re.findall(r'<table class="table op1-cards"[^>]*>(.*?)</table>', page, re.S):
        heads = [text(h) for h in re.findall(r'<th class="head" scope="col">(.*?)</th>', t, re.S)]
        rows = [(text(re.search(r'<th scope="row">(.*?)</th>', tr, re.S)[1]),
                 {lab: text(v) for lab, v in re.findall(r'<td data-label="([^"]*)">(.*?)</td>', tr, re.S)})
                for tr in re.findall(r'<tr class="row-(?:even|odd)">(.*?)</tr>', t.split("<tbody>")[1], re.S)]
        out.append((heads, rows))
    return out


def test_ch9_sets_each_set_ups_kernel_and_simulator_cells_side_by_side(book_html):
    """On a phone each row of chapter 9's kernel and simulator tables is a card, and the two
    tables' cards of a set-up were about 1300 px apart: no reader compares them.  After the
    sentence that compares them, for two uplinks and three, one table gives each set-up's TCP
    exchange and pings on the kernel and in the simulator in one row (a phone's card), the
    cells of the two tables above, and whether outcome and pings are the same."""
    page = (book_html / "book" / "09-modern-linux.html").read_text()
    tables = _record_tables(page)
    assert [("TCP, kernel" in h) for h, _ in tables] == [False, False, True, False, False, True], \
        [h for h, _ in tables]
    (_, kernel2), (_, sim2), (_, cmp2), (_, sim3), (_, kernel3), (_, cmp3) = tables
    flat = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    agree = [int(re.search(r"In (\d+) of \d+ rows the simulator", flat)[1]),
             int(re.search(r"agree in (\d+) of \d+ set-ups", flat)[1])]
    for cmp, sim, kernel, n in ((cmp2, dict(sim2), dict(kernel2), agree[0]), (cmp3, dict(sim3), dict(kernel3), agree[1])):
        # (every set-up the kernel measured, in the simulator's order; the simulator's others not measured)
        assert [name for name in sim if name in kernel] == [name for name, _ in cmp if name in kernel]
        assert len(kernel) and {name for name, _ in cmp} <= set(sim)
        for name, c in cmp:
            if name not in kernel:
                assert c["TCP, kernel"] == c["ping, kernel"] == "not measured", c
                continue
            assert c["TCP, kernel"] == kernel[name]["TCP (10 echoed messages)"]
            assert c["TCP, simulator"] == sim[name]["TCP (10 echoed messages)"]
            assert c["ping, kernel"] == kernel[name]["ping (one id)"]
            assert c["ping, simulator"] == sim[name]["ping (one id)"]
            if c["outcome and pings"] == "the same":
                assert c["ping, kernel"] == c["ping, simulator"]
        assert sum(c["outcome and pings"] == "the same" for _, c in cmp) == n
    i = flat.index("the two tables’ cells side by side")
    assert flat[i:].split(":", 1)[1].split()[:3] == ["router", "set-up", "TCP,"]
    # an engineer's finding: the BCP 38 row read "1421× the fastest" on the kernel and "152×" in
    # the simulator, each a multiple of its own side's fastest echo (1.2 ms against 10.7 ms), which
    # the text did not say; where each side-by-side table is introduced, it says so, with both
    def fastest(table):
        t = [re.fullmatch(r"all \d+ in ([0-9.]+) (ms|s)", c["TCP (10 echoed messages)"]) for _, c in table]
        return min((float(m[1]) / (1000 if m[2] == "ms" else 1), f"{m[1]} {m[2]}") for m in t if m)[1]
    for intro, kernel, sim in (("side by side", kernel2, sim2), ("set-ups", kernel3, sim3)):
        j = flat.index("the two tables’ cells side by side") if intro == "side by side" else \
            flat.index("With three uplinks the outcome and the pings answered agree")
        clause = flat[j:flat.index(":", j)].replace("’", "'")
        assert (f"is a multiple of its own side's fastest echo, {fastest(kernel)} on the kernel and "
                f"{fastest(sim)} in the simulator") in clause, clause
        assert "a wait of the same length is a larger multiple on the kernel" in clause, clause


def test_on_a_phone_ch9_shows_a_set_ups_kernel_and_simulator_cells_in_one_screen(server):
    """At 360 x 740 px each card of chapter 9's side-by-side tables holds a set-up's kernel and
    simulator cells, and the card fits in one screen."""
    from test_book import local_page
    with local_page(360, 740) as pg:
        pg.goto(f"{server}/book/09-modern-linux.html", wait_until="load")
        cards = pg.evaluate("""() => Array.from(document.querySelectorAll('article table.op1-cards'))
          .filter(t => Array.from(t.tHead.rows[0].cells).some(c => c.textContent.trim() === 'TCP, kernel'))
          .flatMap(t => Array.from(t.tBodies[0].rows).map(tr => {
            const r = tr.getBoundingClientRect(), cell = l => tr.querySelector(`td[data-label="${l}"]`);
            const tops = ['TCP, kernel', 'TCP, simulator', 'ping, kernel', 'ping, simulator']
              .map(l => cell(l).getBoundingClientRect()).map(c => [Math.round(c.top - r.top), Math.round(c.bottom - r.top)]);
            return {name: tr.cells[0].textContent.trim(), height: Math.round(r.height), width: Math.round(r.width), tops};
          }))""")
    assert len(cards) >= 8, cards
    for c in cards:
        assert c["height"] < 740 - 60 and c["width"] <= 360, c          # (the theme's header: 56 px)
        assert all(0 <= top < bottom <= c["height"] for top, bottom in c["tops"]), c
