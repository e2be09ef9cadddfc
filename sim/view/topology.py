"""The network diagram: where the packet of a step is, and how much each uplink carried.

The layout is rendered by ``dot`` once per network (it never changes); a
step only adds classes to a few elements, moves a packet tag and sets the
uplink counters.  ``topo_frame`` computes that small patch, ``apply`` puts
it into the SVG in Python, and the player's JavaScript does the same in the
browser, so a replay carries the diagram once.
"""
from __future__ import annotations

import re

from ..natmodels import translates
from ..trace import Ev
from . import _dot
from ._common import flow_text, short_name, uplink_index
from ._dot import BLUE, FONT, MONO, PURPLE, VERMILLION, h, q
from .model import analysis_of, check_step, endpoint_node, info_of

TAG_FONT = 12
BAND = 36               # pt added under the drawing for the packet tag
LINE = 15               # pt from one line of the tag to the next
CHAR_W = 7.3            # px per character of the tag's monospace font at 12px

STYLE = f"""<style>
svg.op1-topo text{{font-family:{FONT}}}
svg.op1-topo .hl-link path{{stroke:{PURPLE};stroke-width:7px;stroke-dasharray:none;stroke-opacity:.9}}
svg.op1-topo .hl-node polygon,svg.op1-topo .hl-node ellipse,svg.op1-topo .hl-node path{{stroke:{PURPLE};stroke-width:4px;fill:#f6e3ee}}
svg.op1-topo .hl-from polygon,svg.op1-topo .hl-from ellipse,svg.op1-topo .hl-from path{{stroke:{PURPLE};stroke-width:2px;stroke-dasharray:5 3}}
svg.op1-topo .hl-down path{{stroke:{VERMILLION};stroke-width:4px;stroke-dasharray:2 7;stroke-opacity:.9}}
svg.op1-topo .hl-drop polygon,svg.op1-topo .hl-drop ellipse,svg.op1-topo .hl-drop path{{stroke:{VERMILLION};stroke-width:4px;stroke-dasharray:3 2;fill:#fbe0d0}}
svg.op1-topo .op1-tag rect{{fill:#fff;stroke:{PURPLE};stroke-width:2px}}
svg.op1-topo .op1-tag line{{stroke:{PURPLE};stroke-width:1.5px;stroke-dasharray:3 2}}
svg.op1-topo-n .op1-tag rect{{stroke-width:3px}}
svg.op1-topo .op1-tag.drop rect{{stroke:{VERMILLION};stroke-dasharray:4 2}}
svg.op1-topo .op1-tag.drop line{{stroke:{VERMILLION}}}
svg.op1-topo .op1-tag text{{font-family:{MONO};font-size:{TAG_FONT}px;fill:#000}}
svg.op1-topo .op1-cnt{{font-weight:bold}}
</style>"""


# -- the base diagram ------------------------------------------------------------------------

def topology_dot(result, narrow: bool = False) -> str:
    """The network as DOT; element ids: ``n_<node>``, ``e_<link>``, ``e_<link>_<node>``.
    ``narrow``: top to bottom, for a phone's column, an uplink's address on a line of its
    own (side by side, the two uplinks' labels were wider than a 390 px screen's box)."""
    net = result.net
    p = result.params
    sep = "\n" if narrow else " "
    # (top to bottom, ranks closer: at 0.4 in the drawing was 468 px tall in a 390 px phone's column,
    # and with the narration above it did not fit on the screen; the uplinks' labels still clear.
    # Its nodes as low as their lines (graphviz's default height, 0.5 in, is a least one) and the LAN
    # a low pill: at 0.25 in and those heights it was 411 px tall, 351 now, and on a 375x667 phone a
    # 6-line narration and the drawing did not fit between the page's header and the pinned buttons)
    lines = ["graph topo {", f"rankdir={'TB' if narrow else 'LR'}; nodesep=0.5; ranksep={0.15 if narrow else 0.4}; pad=0.1;",
             f'node [fontname={q(FONT)} fontsize=12 penwidth=1.5 style=filled fillcolor="#ffffff"'
             + (' height=0.3 margin="0.11,0.03"' if narrow else "") + "];",
             # (a phone's, top to bottom, every word 12 px: shown at its own size in a 360 px phone's
             # box, player.py zoomable; at 11 the uplinks' addresses and "LAN" were 10.5 CSS px)
             f"edge [fontname={q(FONT)} fontsize={12 if narrow else 11} penwidth=2];"]
    rooms = counter_rooms(result)
    filt = {}
    for name, node in net.nodes.items():
        for dev, i in node.ifaces.items():
            if getattr(i, "ingress_allow", None):
                filt[name] = dev
    for name, node in net.nodes.items():
        t = getattr(node, "title", name)
        kind = getattr(node, "kind", "node")
        addrs = [i.addr for i in node.ifaces.values()]
        if name == "router":
            mode = p.multipath + (" + equalize" if p.equalize else "")
            nat = f"NAT: {p.nat}" if translates(p.nat) else "no NAT"
            label = f"{t}\n{mode}\n{nat}"
            shape = "box3d"
            if narrow:      # (its 3-D edges take room from the label: at the nodes' margin the text touched them)
                shape += ' margin="0.11,0.07"'
        elif kind == "host":
            label = f"{t}\n{addrs[0]}" if addrs else t
            shape = "box"
        elif name == "internet":
            label, shape = t, "ellipse"
        else:
            label = t + ("\nBCP 38 filter" if name in filt else "")
            shape = "box"
        extra = ' style="rounded,filled"' if name.startswith("provider") else ""
        lines.append(f"{q(name)} [id={q('n_' + name)} shape={shape} label={q(label)}{extra}];")
    ranks = {"local": [], "provider": [], "remote": []}
    for name in net.nodes:
        for pre in ranks:
            if name.startswith(pre):
                ranks[pre].append(name)
    for names in ranks.values():
        if len(names) > 1:
            lines.append("{rank=same; " + " ".join(q(n) for n in names) + "}")
    for lname, link in net.links.items():
        ends = [(i.node.name, i.name, i.addr) for i in link.ifaces]
        if len(ends) == 2:
            (a, adev, aaddr), (b, bdev, baddr) = ends
            k = uplink_index(lname)
            if k is not None:
                colour, style, _ = _dot.uplink_style(k)
                room, fails = rooms.get(lname, ("↑0 ↓0", False))
                room += "\n✖ down" if fails else ""
                label = f"{lname}: {adev}{sep}{aaddr}\n{room}"
                width = 3
                if link.bundle:             # PPP Multilink: one link of several lines (two lines
                    # of label: one was wider than a phone's column, and shrank the wide drawing's text)
                    label = f"{lname}: {adev}{sep}{aaddr},\n{len(link.members)} lines bundled\n{room}"
                    colour, width = f"{colour}:invis:{colour}", 2
                lines.append(f"{q(a)} -- {q(b)} [id={q('e_' + lname)} label={q(label)} color={q(colour)} "
                             f"fontcolor={q(_dot.text_colour(colour.split(':')[0]))} style={style} penwidth={width}];")
            else:
                lines.append(f"{q(a)} -- {q(b)} [id={q('e_' + lname)} color=\"#555555\"];")
        else:
            hub = lname
            shape = 'shape=box style="rounded,filled" width=0.45 height=0.22' if narrow else "shape=circle width=0.45"
            lines.append(f"{q(hub)} [id={q('n_' + hub)} {shape} fixedsize=true "
                         f"label={q(lname.upper())} fontsize={12 if narrow else 11}];")
            router_end = [e for e in ends if e[0] == "router"]
            for node, dev, addr in ends:
                if node == "router":
                    lines.append(f"{q(hub)} -- {q(node)} [id={q(f'e_{lname}_{node}')} color=\"#555555\" "
                                 f"label={q(dev + ' ' + addr)} fontsize={12 if narrow else 11}];")
                else:
                    lines.append(f"{q(node)} -- {q(hub)} [id={q(f'e_{lname}_{node}')} color=\"#555555\"];")
            del router_end
    lines.append("}")
    return "\n".join(lines)


def counter_rooms(result) -> dict[str, tuple[str, bool]]:
    """For each uplink, the text its counter is laid out with -- the widest the run will show --
    and whether its line ever fails.  Laid out as "↑0 ↓0", a counter later filled in ("↑733
    ↓1038", and "↑104 ↓155 ✖ down" once the line failed, on one line) ran into its neighbour's
    (ch.10's uplink-down at 390 px: x 211 against 206).  The counts only grow, so the run's last
    are the widest; a line that fails has its "✖ down" on a line of its own below them (on the
    counter's line, the phone's drawing grew past a phone's column).  _finish writes "↑0 ↓0" in
    the counter's place and empties the "✖ down": each step sets them (topo_frame)."""
    a = analysis_of(result)
    ev = result.events
    last = a.uplink_counts([len(ev) - 1]).get(len(ev) - 1, {}) if len(ev) else {}
    failed = _failed_links(result, a)
    return {l: (f"↑{u} ↓{d}", l in failed) for l, (u, d) in last.items()}


def _failed_links(result, a) -> set[str]:
    """The links whose router end goes down at some step of the run."""
    _down_links(result, a, -1)                       # (fills a._link_changes)
    return {link for _, link, state in a._link_changes if state == "down"}


def figure_dot(r, highlight: dict | None = None, title: str = "") -> str:
    """DOT source for the run's network, drawn like the article's (LARTC's) figure: the
    book's still picture (chapter 1), where ``topology_dot`` is a replay's moving one.

    ``highlight`` maps link names to colours (e.g. the links a packet crossed); for the
    LAN, drawn as a hub, ``"lan:local1"`` colours only Local host 1's edge to it."""
    highlight = highlight or {}
    net = r.net
    out = ['graph net { rankdir=LR; nodesep=0.25; ranksep=0.35; pad=0.1;',
           'node [fontname="Helvetica", fontsize=13, shape=box, style="rounded,filled", fillcolor="#f4f4f4", margin="0.08,0.04"];',
           'edge [fontname="Helvetica", fontsize=11, color="#888888"];']
    if title:
        out.append(f'label="{title}"; labelloc=t; fontname="Helvetica"; fontsize=13;')
    fill = {"router": "#ffe9b3", "internet": "#dde8f7"}
    for name, node in net.nodes.items():
        if name.startswith(("local", "remote")):
            label = node.title + "\\n" + " ".join(i.addr for i in node.ifaces.values())
        elif name == "router":
            label = node.title + "\\n" + "\\n".join(f"{d} {i.addr}" for d, i in node.ifaces.items())
        else:
            label = node.title
        shape = "ellipse" if name == "internet" else "box"
        out.append(f'"{name}" [label="{label}", shape={shape}, fillcolor="{fill.get(name, "#f4f4f4")}"];')
    out.append('"lan" [label="LAN", shape=plaintext, style=""];')
    def style(col):
        return f'color="{col}", penwidth=3' if col else ""
    for lname, link in net.links.items():
        attr = style(highlight.get(lname))
        nodes = [i.label.split(":")[0] for i in link.ifaces]
        if lname == "lan":
            for node in nodes:
                a = style(highlight.get(f"{lname}:{node}", highlight.get(lname)))
                out.append(f'"{node}" -- "lan" [{a}];' if node != "router" else f'"lan" -- "router" [{a}];')
            continue
        label = f'label="{lname}", ' if lname.startswith("uplink") else ""
        out.append(f'"{nodes[0]}" -- "{nodes[1]}" [{label}{attr}];')
    out.append("}")
    return "\n".join(out)


def base_svg(result, narrow: bool = False) -> str:
    """The rendered diagram with no step applied (cached on the result's analysis).

    ``narrow``: the same network drawn top to bottom, for a phone's column (as the book's
    figures, booklib.show_dot): laid out left to right it is about three phone screens wide at
    a readable size, and a box that scrolls to the packet's link cut off both hosts it joins,
    and with them the sender's address.  Its packet tag is two lines (the packet, its flow)."""
    a = analysis_of(result)
    if getattr(a, "_topo_svg", None) is None:
        wide, tall = topology_dot(result), topology_dot(result, narrow=True)
        # one run of dot each: in one run for both, graphviz names the second's group
        # "page0,1_graph0", where _finish looks for "graph0"
        svg, svg_n = _dot.render_one(wide), _dot.render_one(tall)
        a._topo_svg, a._topo_svg_n = _finish(svg, result), _finish(svg_n, result, narrow=True)
    return a._topo_svg_n if narrow else a._topo_svg


def _finish(svg: str, result, narrow: bool = False) -> str:
    cls = "op1-topo op1-topo-n" if narrow else "op1-topo"
    svg = svg.replace("<svg ", f'<svg class="{cls}" role="group" aria-label="Network" ', 1)
    # mark each uplink's counter text so a step can set it (laid out at its widest: counter_rooms)
    rooms = counter_rooms(result)
    for lname in result.net.links:
        if uplink_index(lname) is None:
            continue
        room, fails = rooms.get(lname, ("↑0 ↓0", False))
        svg = re.sub(rf'(<g data-el="e_{lname}"[^>]*>.*?)<text ([^>]*)>{re.escape(h(room))}</text>',
                     lambda m: f'{m.group(1)}<text class="op1-cnt" data-el="c_{lname}" aria-hidden="true" {m.group(2)}>↑0 ↓0</text>',
                     svg, count=1, flags=re.S)
        if fails:
            svg = re.sub(rf'(<g data-el="e_{lname}"[^>]*>.*?)<text ([^>]*)>✖ down</text>',
                         lambda m: f'{m.group(1)}<text class="op1-cnt" data-el="d_{lname}" aria-hidden="true" {m.group(2)}></text>',
                         svg, count=1, flags=re.S)
    svg = svg.replace("<g data-el=\"graph0\"", STYLE + "<g data-el=\"graph0\"", 1)
    # a band under the drawing for the packet tag, so it never hides a label
    lines = 2 if narrow else 1
    band = BAND + LINE * (lines - 1)
    vw, vh = _dot.viewbox(svg)
    m = re.search(r'height="([\d.]+)pt"', svg)
    svg = svg.replace(m.group(0), f'height="{float(m.group(1)) + band:.0f}pt"', 1)
    svg = re.sub(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"',
                 lambda m: f'viewBox="{m.group(1)} {m.group(2)} {m.group(3)} {vh + band:.2f}"', svg, count=1)
    # The tag's leader line, from the packet's link or node down to the tag: left to right, a short
    # drop into the band; top to bottom it ran from the link through every rank below it (the router,
    # the uplinks' counters, Internet, a remote host), so there the tag has none: its border has the
    # lit link's colour (purple; vermillion for a drop), as the link's stroke has.
    leader = "" if narrow else '<line x1="0" y1="0" x2="0" y2="0"/>'
    tag = (f'<g class="op1-tag" data-el="tag" visibility="hidden">{leader}'
           f'<rect x="0" y="0" width="10" height="{5 + LINE * lines}" rx="4"/>'
           + '<text x="0" y="0" text-anchor="middle"></text>' * lines + '</g>')
    k = svg.rindex("</g>")
    return svg[:k] + tag + svg[k:]


# -- one step --------------------------------------------------------------------------------

def _down_links(result, a, step: int) -> set[str]:
    """The links whose router end is down after event ``step``."""
    changes = getattr(a, "_link_changes", None)
    if changes is None:
        router = result.net.nodes.get("router")
        ev = result.events
        at = ev.at_node("router") if hasattr(ev, "at_node") else range(len(ev))   # the router's events
        changes = a._link_changes = [
            (i, router.ifaces[e.dev].link.name, e.state) for i, e in ((i, ev[i]) for i in at)
            if e.ev is Ev.LINK and e.node == "router"]
    down: set[str] = set()
    for i, link, state in changes:
        if i > step:
            break
        (down.add if state == "down" else down.discard)(link)
    return down


def topo_frame(result, step: int, counts: dict | None = None) -> dict:
    """The patch for ``step``: {"hl": {element: class}, "tag": [x, y, w, text, cls, ax, ay] | None,
    "tagn": [x, y, w, text, cls] for the narrow drawing (its text two lines, split by a newline;
    no leader line, so no point it starts from),
    "cnt": {counter element: text}}."""
    a = analysis_of(result)
    geo = _geometry(a, base_svg(result))
    geo_n = _geometry(a, base_svg(result, narrow=True), narrow=True)
    e = result.events[step]
    k = e.ev
    f = info_of(e)
    hl: dict[str, str] = {}
    tag = tagn = None
    pkt = e.pkt
    if k is Ev.HOP:
        link = e.node
        src, dst = endpoint_node(f["from"]), endpoint_node(f["to"])
        if f"e_{link}" in geo:
            edges = [f"e_{link}"]
        else:
            edges = [x for x in (f"e_{link}_{src}", f"e_{link}_{dst}") if x in geo]
        for el in edges:
            hl[el] = "hl-link"
        hl[f"n_{dst}"] = "hl-node"
        hl[f"n_{src}"] = "hl-from"
        anchor = edges[-1] if edges else f"n_{dst}"
        tag = _place(geo, anchor, f"{short_name(pkt)} {flow_text(pkt)}", "", edge=bool(edges))
        tagn = _place(geo_n, anchor, f"{short_name(pkt)}\n{flow_text(pkt)}", "", edge=bool(edges))
    elif pkt is not None or e.node in result.net.nodes:
        node = e.node if e.node in result.net.nodes else None
        if node is not None:
            if k is Ev.DROP:
                hl[f"n_{node}"] = "hl-drop"
                reason = str(f.get("reason", "dropped"))
                text = f"✖ {reason}: {short_name(pkt)} {flow_text(pkt)}" if pkt else f"✖ {reason}"
                tag = _place(geo, f"n_{node}", text, "drop", edge=False)
                text = f"✖ {reason}: {short_name(pkt)}\n{flow_text(pkt)}" if pkt else f"✖ {reason}"
                tagn = _place(geo_n, f"n_{node}", text, "drop", edge=False)
            else:
                hl[f"n_{node}"] = "hl-node"
                if pkt is not None:
                    tag = _place(geo, f"n_{node}", f"{short_name(pkt)} {flow_text(pkt)}", "", edge=False)
                    tagn = _place(geo_n, f"n_{node}", f"{short_name(pkt)}\n{flow_text(pkt)}", "", edge=False)
    if tagn is not None:
        tagn = tagn[:5]
    if counts is None:
        counts = a.uplink_counts([step])[step]
    cnt = {f"c_{l}": f"↑{u} ↓{d}" for l, (u, d) in counts.items()}
    down = _down_links(result, a, step)
    for link in down:                                 # a failed line stays marked
        if f"e_{link}" in geo:
            hl.setdefault(f"e_{link}", "hl-down")
    for link in _failed_links(result, a):             # (its own line under the counter)
        if f"c_{link}" in cnt:
            cnt[f"d_{link}"] = "✖ down" if link in down else ""
    return {"hl": {k: v for k, v in hl.items() if k in geo}, "tag": tag, "tagn": tagn, "cnt": cnt,
            "name": _name(result, e, counts, down)}


def _name(result, e, counts: dict, down: set) -> str:
    """The drawing's accessible name at event ``e``: where the packet is, then each uplink's
    counters in words ("↑0 ↓2" was read as "up arrow 0 down arrow 2"), as the drawing shows them."""
    nodes = result.net.nodes
    title = lambda n: nodes[n].title if n in nodes else n          # noqa: E731
    pkt, f = e.pkt, info_of(e)
    what = short_name(pkt) if pkt is not None else "packet"
    if e.ev is Ev.HOP:
        where = f"{what} on {e.node}, {title(endpoint_node(f['from']))} to {title(endpoint_node(f['to']))}"
    elif e.ev is Ev.DROP and e.node in nodes:
        where = f"{what} dropped at {title(e.node)}: {f.get('reason', 'dropped')}"
    elif pkt is not None and e.node in nodes:
        where = f"{what} at {title(e.node)}"
    elif e.node in nodes:
        where = f"at {title(e.node)}"
    else:
        where = "no packet shown"
    said = [f"{l} sent {u}, received {d}" + (", down" if l in down else "") for l, (u, d) in counts.items()]
    return "Network: " + where + ("; " + "; ".join(said) if said else "")


def _geometry(a, svg, narrow: bool = False) -> dict:
    attr = "_topo_geo_n" if narrow else "_topo_geo"
    geo = getattr(a, attr, None)
    if geo is None:
        geo = {}
        for el, markup in _dot.groups(svg).items():
            pts = _dot.path_points(markup) if el.startswith("e_") else _dot.points(markup)
            if pts:
                geo[el] = (_dot.bbox(pts), _midpoint(pts) if el.startswith("e_") else None)
        geo["_view"] = _dot.viewbox(svg)
        if not narrow:                  # (the narrow drawing's tag has no leader line to route)
            geo["_obstacles"] = _obstacles(svg)
        setattr(a, attr, geo)
    return geo


def _midpoint(pts):
    """The point half-way along graphviz's path of cubic Béziers (M p0 C p1 p2 p3 ...)."""
    n = (len(pts) - 1) // 3
    if n < 1:
        return pts[len(pts) // 2]
    p0, p1, p2, p3 = pts[3 * (n // 2): 3 * (n // 2) + 4] if n > 1 else pts[:4]
    if n > 1 and n % 2 == 0:
        return p0
    return tuple((a + 3 * b + 3 * c + d) / 8 for a, b, c, d in zip(p0, p1, p2, p3))


def _obstacles(svg: str) -> dict:
    """What a leader line must not cross: each node's box, and each edge label's (an uplink's
    counters among them), from the drawing's own SVG."""
    out = {}
    for el, markup in _dot.groups(svg).items():
        if el.startswith("n_"):
            pts = _dot.points(markup)
            if pts:
                out[el] = _dot.bbox(pts)
            continue
        for m in re.finditer(r"<text ([^>]*)>([^<]*)</text>", markup):
            a = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
            fs, x, y = float(a.get("font-size", 11)), float(a.get("x", 0)), float(a.get("y", 0))
            w = len(m.group(2)) * 0.6 * fs
            x0 = {"middle": x - w / 2, "end": x - w}.get(a.get("text-anchor"), x)
            out[f"{el}:{m.start()}"] = (x0, y - 0.8 * fs, x0 + w, y + 0.2 * fs)
    return out


def _meets(p, q, box) -> bool:
    """Whether the segment p-q meets ``box`` (x0, y0, x1, y1) (Liang-Barsky clipping)."""
    (px, py), (qx, qy) = p, q
    t0, t1, dx, dy = 0.0, 1.0, qx - px, qy - py
    for a, b in ((-dx, px - box[0]), (dx, box[2] - px), (-dy, py - box[1]), (dy, box[3] - py)):
        if a == 0:
            if b < 0:
                return False
            continue
        t = b / a
        if a < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _place(geo, anchor, text, cls, edge: bool) -> list:
    """[x, y, w, text, cls, ax, ay]: the tag centred at x in the band under the drawing
    (text baseline y of its first line; a newline in ``text`` starts a second), pointing at
    (ax, ay) on the element: its middle (an edge), else the middle of the node's bottom, right
    or left side, the first from which the leader line to the tag crosses no other node or
    edge label (straight down from Local host 1 it ran through Local host 2, pointing at the
    wrong host).  Where none is clear, (ax, ay) is the tag's own top: no line, the lit element
    and the tag's colour tell."""
    (x0, y0, x1, y1), mid = geo[anchor]
    w = round(max(len(line) for line in text.split("\n")) * CHAR_W + 14)
    vw, vh = geo["_view"]
    if edge and mid is not None:
        starts = [mid]
    else:
        cy = (y0 + y1) / 2
        starts = [((x0 + x1) / 2, y1), (x1, cy), (x0, cy)]
    obstacles = [b for el, b in geo.get("_obstacles", {}).items() if el != anchor]
    y = BAND - 10
    for ax, ay in starts:
        x = min(max(ax, w / 2 + 2), vw - 12 - w / 2)
        top = (x, y - 15)
        if not any(_meets((ax, ay), top, b) and not (b[0] - 1 <= ax <= b[2] + 1 and b[1] - 1 <= ay <= b[3] + 1)
                   for b in obstacles):
            return [round(x, 1), y, w, text, cls, round(ax, 1), round(ay, 1)]
    x = min(max(starts[0][0], w / 2 + 2), vw - 12 - w / 2)
    return [round(x, 1), y, w, text, cls, round(x, 1), y - 15]


def apply(svg: str, frame: dict) -> str:
    """``svg`` (``base_svg``, wide or narrow) with the patch ``frame`` applied (what the
    player's JavaScript does)."""
    for el, cls in frame["hl"].items():
        svg = re.sub(rf'(<g data-el="{re.escape(el)}" class=")([^"]*)"', rf'\1\2 {cls}"', svg, count=1)
    for el, text in frame["cnt"].items():
        svg = re.sub(rf'(<text class="op1-cnt" data-el="{re.escape(el)}"[^>]*>)[^<]*(</text>)',
                     lambda m: m.group(1) + h(text) + m.group(2), svg, count=1)
    if frame.get("name"):
        svg = svg.replace('role="group" aria-label="Network"', f'role="group" aria-label="{h(frame["name"])}"', 1)
    narrow = 'class="op1-topo op1-topo-n"' in svg
    if frame["tagn" if narrow else "tag"]:
        x, y, w, text, cls, *a = frame["tagn" if narrow else "tag"]
        lines = text.split("\n") + [""] * (2 if narrow else 1)
        texts = "".join(f'<text x="{x}" y="{y + LINE * i}" text-anchor="middle">{h(line)}</text>'
                        for i, line in enumerate(lines[:2 if narrow else 1]))
        leader = "" if narrow else f'<line x1="{a[0]}" y1="{a[1]}" x2="{x}" y2="{y - 15}"/>'
        tag = (f'<g class="op1-tag{" " + cls if cls else ""}" data-el="tag">{leader}'
               f'<rect x="{x - w / 2:.1f}" y="{y - 15}" width="{w}" '
               f'height="{5 + LINE * (2 if narrow else 1)}" rx="4"/>{texts}</g>')
        svg = re.sub(r'<g class="op1-tag" data-el="tag".*?</text></g>', lambda m: tag, svg, count=1, flags=re.S)
    return svg


def topology_svg(result, step: int) -> str:
    """The network with the packet of ``step`` (a trace index) highlighted and labelled,
    and each uplink's packet counts so far."""
    check_step(result, step)
    return apply(base_svg(result), topo_frame(result, step))
