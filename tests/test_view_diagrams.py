"""The diagrams show the right things: the highlighted link and node, the marked cache
and conntrack entries, the chosen nexthop, the ladder's rows, drops and resets."""
import re

import pytest

import sim
from sim.trace import Ev
from sim.view import GraphvizMissing, ladder_svg, state_svg, topology_svg
from sim.view import _dot
from sim.view.model import analysis_of
from view_helpers import (classes_of, equalize_reselect, first_uplink_syn, hops, ladder_band, need_dot, texts,
                          with_class)
from view_helpers import contrast as _contrast
from view_helpers import hue as _hue
from helpers import uplink_hops


@pytest.fixture(scope="module")
def eq():
    return sim.run("equalize-nat", seed=1, size=3000)


@pytest.fixture(autouse=True)
def _dot_needed():
    need_dot()


# -- topology ------------------------------------------------------------------------------------

def test_topology_highlights_the_link_and_node_the_syn_is_on(eq):
    i = first_uplink_syn(eq)
    link = eq.events[i].node
    k = link[len("uplink"):]
    svg = topology_svg(eq, i)
    assert with_class(svg, "hl-link") == {f"e_{link}"}
    assert with_class(svg, "hl-node") == {f"n_provider{k}"}
    assert with_class(svg, "hl-from") == {"n_router"}
    pkt = eq.events[i].pkt
    tag = re.search(r'<g class="op1-tag" data-el="tag">.*?<text[^>]*>([^<]*)</text>', svg).group(1)
    assert f"{pkt.ip.src}:{pkt.sport}" in tag and tag.startswith("SYN")


def test_a_phones_topology_is_drawn_top_to_bottom_with_a_two_line_tag_that_fits_it():
    """The phone's drawing (player.css shows it in a column under 560 px) is no wider than a
    phone's column at its readable size, and every tag -- the longest are drops, "✖ ignored by
    remote: ACK 100.0.0.1:6000 → 200.0.0.1:80" -- fits across it in two lines."""
    from sim.view.player import zoomable
    from sim.view.topology import apply, base_svg, topo_frame
    for name, kw in (("equalize-nat", {"size": 20_000}), ("echo", {}), ("uplink-down", {})):
        r = sim.run(name, seed=1, **kw)
        svg = base_svg(r, narrow=True)
        assert 'class="op1-topo op1-topo-n"' in svg and svg.count("<text x=\"0\"") == 2
        assert svg.count("<style>") == 1         # its own: it is drawn alone where the wide one is not
        # (an uplink's address on a line of its own: side by side the two uplinks' labels made
        # it 292 px, and the live panel's box at 390 px hid "150.0.0.1" behind its fade)
        assert int(re.search(r"--op1-zw:(\d+)px", zoomable(svg)).group(1)) <= 260, name
        assert re.search(r">150\.0\.0\.1</text>", svg), name
        vw, _ = _dot.viewbox(svg)
        n = 0
        for i in range(min(len(r.events), 2000)):
            f = topo_frame(r, i)
            if not f["tagn"]:
                continue
            n += 1
            x, y, w, text, *_ = f["tagn"]
            assert x - w / 2 >= 0 and x + w / 2 <= vw and len(text.split("\n")) == 2, (name, i, f["tagn"], vw)
            if n == 1:
                got = re.findall(r'<g class="op1-tag[^"]*" data-el="tag">.*?</g>', apply(svg, f), re.S)[0]
                assert re.findall(r"<text[^>]*>([^<]*)</text>", got) == [_dot.h(t) for t in text.split("\n")]
        assert n > 10, name


def test_topology_counts_the_packets_each_uplink_carried_so_far(eq):
    for i in hops(eq, "uplink")[:12]:
        svg = topology_svg(eq, i)
        for k in (1, 2):
            up = sum(1 for j, dev, _ in uplink_hops(eq, "up") if j <= i and dev == f"if{k}")
            down = sum(1 for j, dev, _ in uplink_hops(eq, "down") if j <= i and dev == f"if{k}")
            m = re.search(rf'data-el="c_uplink{k}"[^>]*>([^<]*)<', svg)
            assert m.group(1) == f"↑{up} ↓{down}"


def test_topology_marks_a_drop_at_the_node_that_dropped_it():
    r = sim.run("equalize-nat", seed=2, size=3000)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.DROP and e.reason.value == "ignored by remote")
    svg = topology_svg(r, i)
    assert with_class(svg, "hl-drop") == {f"n_{r.events[i].node}"}
    assert with_class(svg, "hl-link") == set()
    assert "ignored by remote" in svg


def test_topology_is_deterministic_and_checks_the_step(eq):
    i = first_uplink_syn(eq)
    assert topology_svg(eq, i) == topology_svg(sim.run("equalize-nat", seed=1, size=3000), i)
    with pytest.raises(ValueError, match=rf"step {len(eq.events)} out of range: allowed .*0\.\.{len(eq.events) - 1}"):
        topology_svg(eq, len(eq.events))
    with pytest.raises(ValueError, match="step -1 out of range"):
        topology_svg(eq, -1)


def test_the_articles_figure_names_every_node_and_colours_only_the_path_asked_for(eq):
    from sim.view.topology import figure_dot
    dot = figure_dot(eq)
    for name, node in eq.net.nodes.items():
        assert f'"{name}" [label="{node.title}' in dot
    assert "penwidth=3" not in dot and 'label="uplink1"' in dot and 'label="uplink2"' in dot
    hl = figure_dot(eq, {"uplink2": "#D55E00", "lan:local1": "#D55E00"}, title="a path")
    assert hl.count('color="#D55E00", penwidth=3') == 2
    assert '"local1" -- "lan" [color="#D55E00", penwidth=3];' in hl and '"local2" -- "lan" [];' in hl
    assert 'label="a path"' in hl


def test_missing_dot_says_how_to_install_graphviz(monkeypatch):
    r = sim.run("equalize-nat", seed=3, size=2000)
    monkeypatch.setattr(_dot.shutil, "which", lambda name: None)
    monkeypatch.setattr(_dot, "_cache", {})     # not drawn before: dot itself must be asked
    with pytest.raises(GraphvizMissing, match=r"sudo apt-get install graphviz"):
        topology_svg(r, 2)
    with pytest.raises(GraphvizMissing, match=r"sudo apt-get install graphviz"):
        state_svg(r, 2)


# -- router state -------------------------------------------------------------------------------

def test_state_marks_the_new_conntrack_entry_and_chosen_nexthop_of_the_syn(eq):
    i = first_uplink_syn(eq)
    dev = eq.events[i].from_.split(":")[1]
    pkt = eq.events[i].pkt
    t = texts(state_svg(eq, i))
    k = t.index("NEW ct 1")
    assert t[k + 1] == "192.168.0.1:5000 → 200.0.0.1:80"
    assert t[k + 2] == f"reply 200.0.0.1:80 → {pkt.ip.src}:{pkt.sport}" and t[k + 3] == dev
    c = t.index("◀ chosen")
    assert f"dev {dev} weight 1" in t[c - 1]
    n = t.index("NEW")
    assert t[n + 1] == "192.168.0.1 → 200.0.0.1 iif eth0" and t[n + 2] == f"{dev} (eq)"


def test_state_shows_equalize_deleting_the_entry_and_the_new_choice(eq):
    # the router routes the packet in the instant it reaches it: the step that brings it
    # shows the deletion and the new entry; the step that carries it on names its routing too
    i = equalize_reselect(eq)
    a = analysis_of(eq)
    dev = eq.events[i].from_.split(":")[1]
    came = a.arrival(i)
    snaps = a.snapshots([came, i])
    snap = snaps[came]
    key = ("200.0.0.1", "192.168.0.1", 0, "eth0")
    assert snap.marks_cache[key] == "new" and snap.cache[key]["dev"] == dev
    assert snap.gone_cache[key]["reason"] == "equalize" and snap.nexthop == dev
    out = snaps[i]
    assert out.nexthop == dev and (out.marks_cache.get(key) == "new" or out.since[key][:2] == ("new", dev))
    t = texts(state_svg(eq, came))
    d = t.index("DEL equalize")
    assert t[d + 1] == "192.168.0.1 → 200.0.0.1 iif eth0"
    n = t.index("NEW")
    assert t[n + 2] == f"{dev} (eq)"
    assert "equalize deleted the cached entry;" in " ".join(t)


def test_state_ghost_row_is_struck_through(eq):
    svg = state_svg(eq, equalize_reselect(eq))
    assert re.search(r'text-decoration="line-through"[^>]*>192\.168\.0\.1 → 200\.0\.0\.1 iif eth0<', svg)


def test_incremental_fold_agrees_with_result_state_at(eq):
    a = analysis_of(eq)
    steps = a.default_steps()
    snaps = a.snapshots(steps)
    for s in steps:
        snap = snaps[s]
        ref = eq.state_at(snap.at)
        assert set(snap.cache) == set(ref.cache)
        assert {k: v["dev"] for k, v in snap.cache.items()} == {k: v["dev"] for k, v in ref.cache.items()}
        assert set(snap.conntrack) == set(ref.conntrack)
        assert (snap.in_hit, snap.in_slow_tot) == (ref.in_hit, ref.in_slow_tot)


def test_state_shows_the_providers_filters_and_no_cache_for_modern_linux():
    r = sim.run("equalize-nat", seed=1, size=2000, ingress_filter=True)
    t = " ".join(texts(state_svg(r, 2)))
    assert "only from 100.0.0.1/32 (BCP 38)" in t and "only from 150.0.0.1/32 (BCP 38)" in t
    m = sim.run("hash-l4-nat", seed=1, size=2000)
    i = first_uplink_syn(m)
    t = " ".join(texts(state_svg(m, i)))
    assert "no route cache" in t and "hash-l4" in t and "◀ chosen" in t


# -- ladder -----------------------------------------------------------------------------------

def test_ladder_has_one_row_per_step_and_marks_the_current_one(eq):
    a = analysis_of(eq)
    steps = a.default_steps()[:60]
    i = steps[7]
    svg = ladder_svg(eq, i, steps=steps)
    rows = re.findall(r'<g class="([^"]*)" data-i="(\d+)" data-k="(\d+)"', svg)
    assert [int(r[1]) for r in rows] == steps
    assert [int(r[1]) for r in rows if "cur" in r[0].split()] == [i]


def test_ladder_draws_uplinks_by_colour_and_dash_and_resets_as_rst():
    r = sim.run("equalize-nat", seed=1, size=3000, remote="rfc")
    svg = ladder_svg(r)
    rows = dict(re.findall(r'data-i="(\d+)" data-k="\d+"[^>]*>(.*?)</g>', svg))
    blue, orange = _dot.uplink_style(1), _dot.uplink_style(2)
    for i in hops(r, "uplink", "router:"):
        if "R" in r.events[i].pkt.l4.flags:
            continue                   # resets are drawn in vermillion, checked below
        addr = r.events[i].pkt.ip.src
        colour, _, dash = blue if addr == "100.0.0.1" else orange
        line = re.search(r"<line [^>]*>", rows[str(i)]).group(0)
        assert f'stroke="{colour}"' in line
        assert (f'stroke-dasharray="{dash}"' in line) == bool(dash)
    rst = [i for i, e in enumerate(r.events) if e.ev is Ev.HOP and "R" in getattr(e.pkt.l4, "flags", "")]
    # the label in the same hue, dark enough to read (4.5:1)
    assert rst and all(f'fill="{_dot.text_colour(_dot.VERMILLION)}" font-weight="bold">RST<' in rows[str(i)]
                       for i in rst)
    drop = next(i for i, e in enumerate(r.events) if e.ev is Ev.DROP)
    assert "✖" in rows[str(drop)] and r.events[drop].reason.value in rows[str(drop)]


def test_ladder_checks_the_step(eq):
    with pytest.raises(ValueError, match="out of range"):
        ladder_svg(eq, 10**6)


def test_text_in_a_palette_colour_is_readable():
    """Every text colour the views use for the palette is 4.5:1 (WCAG 1.4.3) on white, on the
    ladder's yellow band (the current step, 55 % of the palette's yellow), on its grey band
    (future rows shown) and on its hover band; the palette's orange itself is 2.3:1."""
    band = ladder_band()
    for colour, text in _dot.TEXT.items():
        for bg in ("#ffffff", band, _dot.YELLOW, "#f2f2f2", "#e8f1f8"):
            assert _contrast(text, bg) >= 4.5, (colour, text, bg, round(_contrast(text, bg), 2))
    assert _contrast(_dot.ORANGE, "#ffffff") < 3
    r = sim.run("equalize-nat", seed=1, size=3000)
    svg = ladder_svg(r) + topology_svg(r, 5)
    fills = {c.lower() for c in re.findall(r'<text[^>]* fill="(#[0-9A-Fa-f]{6})"', svg)}  # dot writes lower case
    assert fills and fills <= {c.lower() for c in _dot.TEXT.values()} | {"#000000"}, fills


def test_the_ladders_lanes_are_named_by_their_titles():
    """The ladder's header is an image a screen reader names: by the lanes it draws, left to
    right, not "ladder diagram lanes"."""
    from sim.view.ladder import ladder_parts
    from sim.view.model import analysis_of
    r = sim.run("equalize-nat", seed=1, size=3000)
    heads, _, _ = ladder_parts(r, analysis_of(r).default_steps()[:40])
    label = re.search(r'<svg class="op1-ladder"[^>]*role="img" aria-label="([^"]*)"', heads).group(1)
    lanes = label.removeprefix("ladder lanes, left to right: ").removesuffix("; then the packet as seen on the wire")
    assert lanes != label and len(lanes.split(", ")) >= 4, label
    first = lanes.split(", ")[0].split()[0]
    assert f">{first}<" in heads                          # the words drawn are the words said


def _seg_meets_box(p, q, box) -> bool:
    """Whether the segment p-q meets the box (x0, y0, x1, y1) (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p, q
    t0, t1, dx, dy = 0.0, 1.0, x1 - x0, y1 - y0
    for pp, qq in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if pp == 0:
            if qq < 0:
                return False
            continue
        t = qq / pp
        t0, t1 = (max(t0, t), t1) if pp < 0 else (t0, min(t1, t))
        if t0 > t1:
            return False
    return True


def _obstacles(svg) -> dict:
    """The drawing's nodes' boxes, and each edge label's (its counters among them), from the SVG."""
    out = {}
    for el, markup in _dot.groups(svg).items():
        if el.startswith("n_"):
            out[el] = _dot.bbox(_dot.points(markup))
            continue
        for m in re.finditer(r"<text ([^>]*)>([^<]*)</text>", markup):
            a = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
            fs, x, y = float(a.get("font-size", 11)), float(a["x"]), float(a["y"])
            w = len(m.group(2)) * 0.6 * fs
            x0 = {"middle": x - w / 2, "end": x - w}.get(a.get("text-anchor"), x)
            out[f"{el}: {m.group(2)}"] = (x0, y - 0.8 * fs, x0 + w, y + 0.2 * fs)
    return out


def test_a_phones_packet_tag_has_no_leader_line_across_the_drawing():
    """The phone's drawing (top to bottom) has its packet tag in a band under the remote hosts;
    its dotted leader line, from the packet's link to the tag, ran through the router, the
    uplinks' counters (ch. 3: "watch them") and Internet at nearly every step.  No segment of a
    leader line in the narrow drawing meets a node's box or an edge's label (none is drawn there:
    the tag's border has the lit link's colour)."""
    from sim.view import Player
    from sim.view.topology import apply, base_svg
    for name, kw in (("connection-level", {}), ("equalize-nat", {"size": 20_000}),
                     ("icmp-equalize-nat", {"nat": "netfilter"}), ("uplink-down", {})):
        r = sim.run(name, seed=1, **kw)
        f = Player(r, max_steps=120)._frames
        svg = base_svg(r, narrow=True)
        obs = _obstacles(svg)
        assert any(k.endswith("↑0 ↓0") for k in obs) and "n_router" in obs, name    # (found them)
        crossed, tags = {}, 0
        for k, fr in enumerate(f.topo_frames):
            got = re.search(r'<g class="op1-tag[^"]*" data-el="tag">(.*?)</g>', apply(svg, fr), re.S)
            if not got:
                continue
            tags += 1
            for m in re.finditer(r'<line x1="([-\d.]+)" y1="([-\d.]+)" x2="([-\d.]+)" y2="([-\d.]+)"', got.group(1)):
                x1, y1, x2, y2 = map(float, m.groups())
                # (not the element it points at, on whose edge it starts)
                hit = [o for o, b in obs.items() if _seg_meets_box((x1, y1), (x2, y2), b)
                       and not (b[0] <= x1 <= b[2] and b[1] <= y1 <= b[3])]
                if hit:
                    crossed[k + 1] = hit
        assert tags > 10, name
        assert not crossed, (name, dict(list(crossed.items())[:3]))


def test_a_laptops_packet_tag_leader_line_crosses_no_other_node():
    """The laptop's drawing (left to right) has its packet tag in a band under it and a leader
    line from the element to the tag.  Straight down from a host, a provider or a drop's node it
    ran through the node under it (a send by Local host 1 through Local host 2, a drop at
    Provider 1 through Provider 2), pointing at the wrong one.  No leader line meets another
    node's box or an edge's label; where no line can, the tag has none (its node is lit)."""
    from sim.view import Player
    from sim.view.topology import apply, base_svg
    lines = 0
    for name, kw in (("connection-level", {}), ("equalize-nat", {"size": 20_000, "remote": "rfc"}),
                     ("icmp-equalize-nat", {"nat": "netfilter"}), ("uplink-down", {}),
                     ("equalize-nat", {"ingress_filter": True, "nat": "snat", "size": 20_000})):
        r = sim.run(name, seed=1, **kw)
        f = Player(r, max_steps=150)._frames
        svg = base_svg(r)
        obs = _obstacles(svg)
        crossed = {}
        for k, fr in enumerate(f.topo_frames):
            got = re.search(r'<g class="op1-tag[^"]*" data-el="tag">(.*?)</g>', apply(svg, fr), re.S)
            if not got:
                continue
            for m in re.finditer(r'<line x1="([-\d.]+)" y1="([-\d.]+)" x2="([-\d.]+)" y2="([-\d.]+)"', got.group(1)):
                x1, y1, x2, y2 = map(float, m.groups())
                if (x1, y1) == (x2, y2):
                    continue                            # no line drawn
                lines += 1
                hit = [o for o, b in obs.items() if _seg_meets_box((x1, y1), (x2, y2), b)
                       and not (b[0] - 1 <= x1 <= b[2] + 1 and b[1] - 1 <= y1 <= b[3] + 1)]
                if hit:
                    crossed[k + 1] = hit
        assert not crossed, (name, kw, dict(list(crossed.items())[:3]))
    assert lines > 100                                  # most tags keep their line


def test_the_uplinks_lines_and_the_ladders_lanes_stand_out_from_white():
    """WCAG 1.4.11 (non-text contrast, 3:1): the uplinks' arrows and links, and the ladder's
    dotted lanes, on white and on the ladder's yellow band of the current step.  Uplink 2's
    were the palette's orange, 2.25:1, the lanes #999, 2.85:1; uplinks 3 and 4's the palette's
    green and purple, 2.9 and 2.6:1 on the band.  Each uplink keeps its palette colour's hue
    (darker), its own dashes, and a hue of its own beside the others'."""
    from sim.view.ladder import LANE_GREY
    band = ladder_band()
    for colour, _, _ in _dot.UPLINK_STYLES:
        for bg in ("#ffffff", band):
            assert _contrast(colour, bg) >= 3, (colour, bg, round(_contrast(colour, bg), 2))
    for bg in ("#ffffff", band):
        assert _contrast(LANE_GREY, bg) >= 3, (bg, round(_contrast(LANE_GREY, bg), 2))
    palette = (_dot.BLUE, _dot.ORANGE, _dot.GREEN, _dot.PURPLE)
    assert len(_dot.UPLINK_STYLES) == len(palette)
    for (colour, _, _), own in zip(_dot.UPLINK_STYLES, palette):
        assert abs(_hue(colour) - _hue(own)) < 2, (colour, own)
    assert len({dash for _, _, dash in _dot.UPLINK_STYLES}) == len(palette)
    hues = [_hue(c) for c, _, _ in _dot.UPLINK_STYLES]
    for a in range(len(hues)):
        for b in range(a):
            apart = abs(hues[a] - hues[b])
            assert min(apart, 360 - apart) > 30, (_dot.UPLINK_STYLES[a], _dot.UPLINK_STYLES[b])
    orange = _dot.uplink_style(2)[0]
    assert abs(_hue(orange) - _hue(_dot.uplink_style(1)[0])) > 120          # orange beside blue
    # the views draw them: the ladder's arrows, its lanes, the network's uplinks (four of them)
    r = sim.run("equalize-nat", seed=1, size=3000, uplinks=4)
    svg = ladder_svg(r) + topology_svg(r, 5)
    for colour in [c for c, _, _ in _dot.UPLINK_STYLES] + [LANE_GREY]:
        assert colour.lower() in svg.lower(), colour
    strokes = {c.lower() for c in re.findall(r'stroke="(#[0-9A-Fa-f]{6})"', svg)}
    assert not strokes & {c.lower() for c in palette[1:]}, strokes
    assert _dot.ORANGE.lower() not in svg.lower() and "#999;" not in svg
