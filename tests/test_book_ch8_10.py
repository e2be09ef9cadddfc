"""Chapters 8-10 say what a kernel developer and a phone-reading student found they must say."""
import re
from pathlib import Path

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
    """Only SEQ_OVER and ACK_OVER give NFCT_TCP_INVALID (-NF_ACCEPT: the entry detached, no NAT);
    an old segment below the window, or a small overshoot, is NFCT_TCP_IGNORE and keeps its entry
    and NAT (tcp_in_window(), nf_conntrack_tcp_packet(), Linux 6.12)."""
    text = chapter("09-modern-linux.md")
    assert "after losses it did not see" not in text
    i = text.index("Conntrack follows TCP windows")
    near = text[i:i + 1100]
    for needle in ("tcp_in_window()", "nf_conntrack_tcp_packet()", "`SEQ_OVER`", "`ACK_OVER`", "*ignored*",
                   "keeps its entry and its NAT"):
        assert needle in near, needle
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


def test_try_it_live_shows_glue_markup_as_an_example_of_the_notebooks_text():
    """"({glue:md}`name`)" read as MyST markup the page failed to render.  Each late chapter shows
    the markup as the notebook's text for a number the page itself shows beside it."""
    for name, glued in (("08-real-kernels.md", "c8_down_nf"), ("09-modern-linux.md", "c9_n"),
                        ("10-two-links.md", "c10_live_size")):
        part = chapter(name).split("## Try it live", 1)[1].split("```{code-cell}", 1)[0]
        assert "(`` {glue:md}`name` ``)" not in part, name
        assert f"`` {{glue:md}}`{glued}` `` where this page says" in part, name
