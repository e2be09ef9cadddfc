"""A phone's ladder (``ladder.ladder_parts_n``): at 360 px the wide ladder, 834 px in a 288 px
box, showed two lanes of six at chapter 6's "ACK ... ignored by remote", neither the uplink the
ACK took nor its addresses.  The phone's fits the box, with the LAN hosts, the providers and the
remote hosts one lane each, and under each arrow the packet's uplink and addresses; its rows are
the wide one's (the same steps, classes and buttons).  And a comparison's flag names the ports
that differ."""
import html
import re

import pytest

import sim
from sim.trace import Drop, Ev
from sim.view import Compare, Player
from sim.view.ladder import (ADDR_PX, NAME_PX, ROW_N, ladder_parts, ladder_parts_n, lanes, lanes_n,
                             text_width)
from sim.view.model import analysis_of
from view_helpers import need_dot

#: the ladder's box in a player at 360 px (the player's column less its padding and borders)
BOX_360 = 288


@pytest.fixture(scope="module")
def stray():
    """Chapter 6's story (equalize-nat, seed 3, its live panel's run): the handshake by if2, the
    ACK by if1, ignored by the remote host.  (result, steps, the ignored ACK's trace index)"""
    r = sim.run("equalize-nat", seed=3, size=20_000)
    steps = analysis_of(r).default_steps()[:40]
    ign = next(i for i in steps if r.events[i].ev is Ev.DROP and r.events[i].reason is Drop.IGNORED)
    return r, steps, ign


def _rows(body: str) -> list[str]:
    return re.findall(r'<g class="op1-row[^"]*".*?</g>', body)


def _texts(svg: str) -> list[tuple[dict, str]]:
    """Each <text>'s attributes and its words (its tspans' too)."""
    out = []
    for attrs, inner in re.findall(r"<text([^>]*)>(.*?)</text>", svg):
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        out.append((a, html.unescape(re.sub(r"<[^>]+>", "", inner))))
    return out


def _extent(a: dict, words: str) -> tuple[float, float]:
    """Where a text of the phone's ladder lies, left to right, by its font (ladder.text_width)."""
    cls = a.get("class", "")
    if "textLength" in a:
        w = float(a["textLength"])
    elif "addr" in cls:
        w = text_width(words, ADDR_PX, mono=True)
    elif "mono" in cls:
        w = text_width(words, 11.5, mono=True)
    elif "nl" in cls or "nh" in cls:
        w = text_width(words, NAME_PX, bold="head" in cls or a.get("font-weight") == "bold")
    else:
        w = text_width(words, 12, bold="drop" in cls)
    x = float(a["x"])
    anchor = a.get("text-anchor", "middle" if "head" in cls else "start")
    left = x - w / 2 if anchor == "middle" else x - w if anchor == "end" else x
    return left, left + w


def test_a_phones_ladder_fits_a_360_px_phones_box_and_its_row_names_the_uplink_and_the_addresses(stray):
    """At the stray ACK's drop the phone's row says which uplink (if1) and which addresses the
    ACK carried, every word inside the drawing, the drawing no wider than a 360 px phone's box
    (the wide one, 834 px, put them 450 px apart)."""
    need_dot()
    r, steps, ign = stray
    head, body, width = ladder_parts_n(r, steps, ign, hide_future=True)
    assert ladder_parts(r, steps, ign)[2] == 834
    assert width <= BOX_360, width
    row = next(g for g in _rows(body) if f'data-i="{ign}"' in g)
    words = [w for _, w in _texts(row)]
    assert "ignored by remote" in words and "if1 ACK 100.0.0.1:6000 → 200.0.0.1:80" in words, words
    assert 'class="upl"' in row and 'fill="#00609A"' in row           # "if1" in uplink 1's text colour
    for svg in (head, body):
        for a, w in _texts(svg):
            left, right = _extent(a, w)
            assert -0.5 <= left and right <= width + 0.5, (w, left, right, width)


def test_the_phones_lanes_hold_the_nodes_of_a_kind_together():
    """Chapter 3's thought question, two LAN hosts and two remote hosts: eight lanes wide (994 px),
    five on a phone; the header's titles, on two or three lines, never run into each other."""
    need_dot()
    r = sim.run("thought-question", seed=1)
    steps = analysis_of(r).default_steps(start=1900, stop=2100)
    assert len(lanes(r, steps)) == 8 and ladder_parts(r, steps)[2] == 994
    assert [t for t, _ in lanes_n(r, steps)] == ["Local hosts", "Linux router", "Providers", "Internet",
                                                 "Remote hosts"]
    head, body, width = ladder_parts_n(r, steps)
    assert width <= BOX_360, width
    titles = [(float(a["y"]), _extent(a, w), w) for a, w in _texts(head) if "head" in a.get("class", "")]
    assert len(titles) == 5
    for y, (l1, r1), w1 in titles:
        assert 0 <= l1 and r1 <= width, w1
        for y2, (l2, r2), w2 in titles:
            assert w1 == w2 or y != y2 or r1 + 4 <= l2 or r2 + 4 <= l1, (w1, w2)


def test_the_phones_ladder_has_the_wide_ones_rows_and_buttons(stray):
    """The player steps both ladders alike (player.js): the same rows in the same order, with the
    same step, classes (the current step, the steps to come hidden, where two runs differ) and
    buttons; each row's name says the words it shows, in their order (WCAG's label in name)."""
    need_dot()
    r, steps, ign = stray
    div = {steps[3], ign}
    _, wide, _ = ladder_parts(r, steps, ign, div, hide_future=True)
    _, body, _ = ladder_parts_n(r, steps, ign, div, hide_future=True)
    key = r'<g class="([^"]*)" data-i="(\d+)" data-k="(\d+)" role="button" tabindex="(-?\d)"'
    assert re.findall(key, body) == re.findall(key, wide) and len(re.findall(key, body)) == len(steps)
    assert re.search(rf'class="op1-row cur div" data-i="{ign}"', body)
    assert body.count('class="op1-row fut') == len(steps) - steps.index(ign) - 1
    for row in _rows(body):
        name = html.unescape(re.search(r'aria-label="([^"]*)"', row).group(1))
        at = 0
        for _, w in _texts(row):
            if w in ("▶", "≠", "✖"):
                continue
            at = name.index(w, at) + len(w)        # (raises if a shown word is missing or out of order)


def test_a_player_carries_both_ladders_the_phones_in_its_own_clip(stray):
    """The player's ladder box holds the wide ladder and the phone's (player.css shows one of
    them by the player's width); the phone's body in its own clip, a row high at the first step."""
    need_dot()
    r, steps, ign = stray
    h = Player(r, max_steps=40).html()
    box = h[h.index('class="op1-ladder-scroll'):]
    box = box[:box.index('data-panel="state"')]
    assert 'class="op1-ladder-scroll op1-ladder-two op1-kscroll"' in box
    assert box.count('<svg class="op1-ladder op1-ladder-body"') == 1
    assert box.count('<svg class="op1-ladder op1-ladder-n op1-ladder-body"') == 1
    assert re.search(rf'<div class="op1-ladder-clip op1-ladder-n" style="height:{ROW_N + 4}px"><svg class="op1-ladder '
                     r'op1-ladder-n op1-ladder-body"', box)


def test_a_comparisons_flag_names_the_ports_that_differ():
    """Chapter 5's two NAT models, step by step: where the packets take the same path with other
    ports, the flag shared by both runs says which endpoints differ (at 360 px the second run's
    ladder starts 1700 px below the first's), from the runs: the SYN leaving from 150.0.0.1:7000
    (the article's NAT) or 150.0.0.1:5000 (netfilter's, which keeps the port), and the SYN+ACK
    coming back to them."""
    need_dot()
    ra = sim.run("connection-level", seed=1, nat="article")
    rn = sim.run("connection-level", seed=1, nat="netfilter")
    c = Compare(ra, rn, labels=("article NAT", "netfilter NAT"), max_steps=30)
    fa = c._frames[0]
    out = next(k for k, s in enumerate(fa.steps) if ra.events[s].node.startswith("uplink"))
    back = next(k for k, s in enumerate(fa.steps) if k > out and ra.events[s].node.startswith("uplink"))
    assert c.port_words[out] == ("≈ same path, other ports: article NAT from 150.0.0.1:7000 · "
                                 "netfilter NAT from 150.0.0.1:5000")
    assert c.port_words[back] == ("≈ same path, other ports: article NAT to 150.0.0.1:7000 · "
                                  "netfilter NAT to 150.0.0.1:5000")
    assert c.port_words[0] is None and not c.port_diff[0]             # on the LAN: the same ports
    assert all((w is None) == (not p) for w, p in zip(c.port_words, c.port_diff))
    meta = re.search(r'<script type="application/json" class="op1-meta">([^<]*)</script>', c.html()).group(1)
    import json
    assert json.loads(meta)["portw"] == c.port_words


def test_the_phones_words_too_long_beside_their_mark_go_under_it():
    """Chapter 10's failing line: "if2 down: the line fails", too long for either side of its ✖
    in a phone's ladder, ran over the ✖ ("if2 down:✖the line fails"), as did "mptcp re-injects
    data on subflow 1" over its dot.  Such words go on the row's second line (no packet's line
    there), and no word on a mark's line crosses its mark."""
    need_dot()
    r = sim.run("uplink-down", seed=1)
    down = next(i for i, e in enumerate(r.events) if e.ev is Ev.LINK and e.node == "router" and e.state == "down")
    # (the LAN's hops before it: packets' lines no wider than the lanes, the drawing as narrow
    # as a phone's box, 294 px)
    lan = [i for i in range(down) if r.events[i].ev is Ev.HOP and r.events[i].node == "lan"][-6:]
    _, body, width = ladder_parts_n(r, lan + [down])
    assert width <= 300, width
    seen = 0
    for row in _rows(body):
        texts = _texts(row)
        marks = [(float(a["x"]), float(a["y"])) for a, w in texts if w == "✖"]
        marks += [(float(cx), float(cy) + 4) for cx, cy in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', row)]
        for mx, my in marks:
            for a, w in texts:
                if w == "✖" or abs(float(a["y"]) - my) > 2:
                    continue
                left, right = _extent(a, w)
                assert not left < mx < right, (w, left, right, mx)
        for a, w in texts:
            if w == "if2 down: the line fails":
                seen += 1
                assert "textLength" not in a and _extent(a, w)[1] <= width
    assert seen == 1, seen
