"""The ladder (time-sequence) diagram: the whole exchange, one row per step, like
Wireshark's flow graph -- Local host, the Linux router, the providers, the
Internet, the remote host.

An arrow's colour and dash say which uplink the packet's public address
belongs to (if1 blue solid, if2 orange dashed, …; grey for LAN-side
addresses), so the article's stray ACK shows as a blue arrow in an orange
connection.  Drops are a ✖ with the reason, resets are labelled RST, and
the current step has a yellow band and a ▶.  Plain SVG, no graphviz.

In a player (``hide_future=True``) the rows after the current step are hidden
(class ``fut``) and the body is only as tall as the rows shown, so the ladder
never tells what is about to happen (its box, player.js, keeps the height of the
whole exchange, so that nothing under it moves from step to step); every row is a
button (``data-k``) that the player's script moves to.

A phone's player draws the same rows narrower (``ladder_parts_n``, at the end): the LAN
hosts, the providers and the remote hosts one lane each, under its arrow the line the packet
crosses or crossed (if1, in that line's colour) and its addresses.  The two can differ: 2.4's
netfilter NAT sends an ACK by if1 with if2's address, an orange arrow under a blue "if1"
(``LEGEND`` says so beside the ladder).
"""
from __future__ import annotations

import math

from ..trace import Ev
from . import _dot
from ._common import addr_uplink, flow_text, short_name, title, uplink_index
from ._dot import FONT, GREY, MONO, VERMILLION, YELLOW, h, text_colour
from .model import analysis_of, check_result, check_step, endpoint_node, info_of

ROW = 24
LANE = 80
LEFT = 92
MONO_CHAR = 6.93        # the width of one character of the first column (11.5 px, DejaVu Sans Mono: 0.6 em)
RIGHT = 262
HEAD = 42

#: the lanes' dotted lines: 3.7:1 on white (WCAG 1.4.11; #999 was 2.8:1), lighter than the arrows
LANE_GREY = "#858585"

# .evc, .evbg, .evcol: the first column ("event · ms") stays at the box's left edge when a
# phone's ladder scrolls sideways to the step's arrow, as a table's sticky first column: the
# header's title and a copy of the rows' first column (.evcol, hidden from assistive technology:
# each row's own words stay in its name's order) are moved by the scroll (--op1-sl, player.js),
# drawn last on a backing, over the arrows.
STYLE = f"""<style>
svg.op1-ladder text{{font-family:{FONT};font-size:12px}}
svg.op1-ladder .mono{{font-family:{MONO};font-size:11.5px}}
svg.op1-ladder .band{{fill:transparent}}
svg.op1-ladder .op1-row{{cursor:pointer}}
svg.op1-ladder .op1-row:hover .band{{fill:#e8f1f8}}
svg.op1-ladder .op1-row:focus{{outline:none}}
svg.op1-ladder .op1-row:focus-visible .band{{stroke:#0072B2;stroke-width:3px}}
svg.op1-ladder .op1-row.fut{{display:none}}
.op1-all svg.op1-ladder .op1-row.fut{{display:inline}}
.op1-all svg.op1-ladder .op1-row.fut .band{{fill:#f2f2f2}}
.op1-all svg.op1-ladder .op1-row.fut text{{font-style:italic}}
svg.op1-ladder .op1-row.cur .band{{fill:{YELLOW};fill-opacity:.55}}
svg.op1-ladder .op1-row .curm{{visibility:hidden}}
svg.op1-ladder .op1-row.cur .curm{{visibility:visible}}
svg.op1-ladder .op1-row.cur text{{font-weight:bold}}
svg.op1-ladder .op1-row.div .divm{{visibility:visible}}
svg.op1-ladder .divm{{visibility:hidden;fill:{text_colour(VERMILLION)}}}
svg.op1-ladder .lane{{stroke:{LANE_GREY};stroke-width:1;stroke-dasharray:2 3}}
svg.op1-ladder .evc{{transform:translateX(var(--op1-sl,0px))}}
svg.op1-ladder .evbg{{fill:transparent}}
svg.op1-ladder.op1-sl .evbg{{fill:#fff}}
svg.op1-ladder .evcol{{display:none;pointer-events:none}}
svg.op1-ladder.op1-sl .evcol{{display:inline}}
svg.op1-ladder .evcol .curm{{visibility:hidden}}
svg.op1-ladder .evcol .cur .curm{{visibility:visible}}
svg.op1-ladder .evcol .cur text{{font-weight:bold}}
svg.op1-ladder.op1-sl .evcol .cur .evbg{{fill:#f7f097}}
svg.op1-ladder .evcol .div .divm{{visibility:visible}}
svg.op1-ladder .head{{font-weight:bold;text-anchor:middle}}
svg.op1-ladder .drop{{fill:{text_colour(VERMILLION)};font-weight:bold}}
</style>"""


#: each uplink's arrow, said in words (``_dot.UPLINK_STYLES``' colour and dash)
STYLE_WORDS = ("blue solid", "orange dashed", "green dotted", "purple dash-dot")


def legend(result) -> str:
    """What a ladder's colours and its "ifN" say, beside it (a player's ladder box): an arrow's
    colour is the uplink whose address the packet carries, the phone's "ifN" the line it crosses
    or crossed -- the two differ for a packet that leaves by one line with another's address, and
    nothing said which was which."""
    r = result.net.nodes.get("router")
    ups = sorted(k for k in (uplink_index(d) for d in (r.ifaces if r is not None else ())) if k is not None)
    styles = ", ".join(f"if{k} {STYLE_WORDS[(k - 1) % len(STYLE_WORDS)]}" for k in ups)
    return ('<p class="op1-legend op1-ladder-legend">Arrow colour: the uplink whose address the packet carries'
            + (f" ({styles}; grey: none)" if styles else "")
            + "; a reset: vermillion. <b>ifN</b> before the addresses (narrow screens): the line the packet "
            "crosses or crossed.</p>")


def lanes(result, steps: list[int]) -> list[str]:
    """The nodes to draw, left to right: hosts on the LAN, router, providers, Internet, remotes."""
    ev = result.events
    used = set()
    for i in steps:
        e = ev[i]
        if e.ev is Ev.HOP:
            f = info_of(e)
            used.add(endpoint_node(f["from"]))
            used.add(endpoint_node(f["to"]))
        elif e.node in result.net.nodes:
            used.add(e.node)
    names = list(result.net.nodes)
    keep = [n for n in names if n in used or n == "router" or n.startswith("provider")]
    return sorted(keep, key=lambda n: (_rank(n), names.index(n)))


#: the lanes' order, left to right, by the start of a node's name (anything else after them)
RANKS = ("local", "router", "provider", "internet", "remote")


def _rank(n: str) -> int:
    for k, pre in enumerate(RANKS):
        if n.startswith(pre):
            return k
    return len(RANKS)


def _style_of(result, pkt) -> tuple[str, str, int | None]:
    """(colour, dasharray, uplink) of a packet by its public address."""
    k = addr_uplink(result, pkt.ip.src) or addr_uplink(result, pkt.ip.dst)
    if k is None:
        return GREY, "", None
    colour, _, dash = _dot.uplink_style(k)
    return colour, dash, k


def ladder_parts(result, steps: list[int], current: int | None = None,
                 diverge: set[int] | None = None, hide_future: bool = False,
                 buttons: bool = True) -> tuple[str, str, int]:
    """(header SVG, body SVG, width): the lane titles, and one row per step.  With
    ``hide_future`` the rows after ``current`` are hidden (a player at that step);
    ``buttons`` makes each row a button (the static player's script moves to its step)."""
    ev = result.events
    cur_k = steps.index(current) if current in steps else len(steps) - 1
    unit, at = _time_column(result, steps)
    fut = (lambda k: k > cur_k) if hide_future else (lambda k: False)
    names = lanes(result, steps)
    x = {n: LEFT + LANE // 2 + k * LANE for k, n in enumerate(names)}
    width = LEFT + LANE * len(names) + RIGHT
    height = ROW * len(steps) + 6
    # the sticky first column's width (its backing when a phone's ladder scrolls sideways): LEFT,
    # or as wide as its longest "event · time" (mono 11.5 px from x=24: "16413 · 5985.9" ran past
    # LEFT and the arrows drew over its end)
    col = max([LEFT] + [math.ceil(24 + len(f"{i} · {at(ev[i].t)}") * MONO_CHAR + 4) for i in steps])
    # a player cuts the drawing to the rows shown by the height of a box around it (changing
    # the SVG's own viewBox at every step would lay out all its text again)
    shown = ROW * (cur_k + 1) + 6 if hide_future else height
    body = [f'<svg class="op1-ladder op1-ladder-body" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" data-row="{ROW}" data-left="{col}" data-shown="{shown}" '
            f'role="group" aria-label="ladder diagram, one row per step'
            + ('; a row is a button that goes to its step">' if buttons else '">'),
            STYLE]
    for n in names:
        body.append(f'<line class="lane" x1="{x[n]}" y1="0" x2="{x[n]}" y2="{height}"/>')
    for k, i in enumerate(steps):
        e = ev[i]
        y = k * ROW + ROW // 2 + 3
        cls = ("op1-row" + (" cur" if i == current else "") + (" fut" if fut(k) else "")
               + (" div" if diverge and i in diverge else ""))
        said = [f"{i} · {at(e.t)}"]                 # the row's words, in the order they are drawn
        row = [f'<rect class="band" x="0" y="{y - ROW // 2}" width="{width}" height="{ROW}"/>',
               f'<text class="curm" x="2" y="{y + 4}">▶</text><text class="divm" x="14" y="{y + 4}">≠</text>',
               f'<text class="mono" x="24" y="{y + 4}">{said[0]}</text>']
        f = info_of(e)
        if e.ev is Ev.HOP:
            _hop_row(result, e, f, x, y, width, row, said)
        elif e.ev is Ev.DROP:
            _drop_row(e, f, x, y, width, row, said)
        elif e.ev is Ev.LINK and f.get("state") == "down":
            _down_row(e, f, x, y, row, said)
        else:
            _other_row(e, f, x, y, width, row, said)
        aria = (f' role="button" tabindex="{0 if i == current else -1}" '
                f'aria-label="{h(_row_label(result, k, i, e, said, unit, bool(diverge and i in diverge)))}"' if buttons else "")
        # spaces between the texts: a screen reader (and axe) reads them as separate words
        body.append(f'<g class="{cls}" data-i="{i}" data-k="{k}"{aria}>' + " ".join(row) + "</g>")
    body.append("</svg>")
    return _ladder_head(result, names, x, width, unit, col), "".join(body), width


def _time_column(result, steps: list[int]):
    """(unit, format) of the first column's times: ms to 0.1 ms, or, when the ladder reaches
    10 s (the player's clock() turns to seconds there), seconds to 0.1 ms -- a row of ch.2's
    cache expiry read "412 · 660154.7" beside a narration "at 660.154718 s"."""
    if steps and result.events[steps[-1]].t >= 10_000_000:
        return "s", lambda t: f"{t // 1_000_000}.{t % 1_000_000 // 100:04d}"
    return "ms", lambda t: f"{t / 1000:.1f}"


def _ladder_head(result, names: list[str], x: dict, width: int, unit: str = "ms", col: int = LEFT) -> str:
    """The header SVG: the columns' titles and one title per lane."""
    # named by what it shows: a screen reader said "ladder diagram lanes" and not which lanes
    lanes = ", ".join(title(result, n) for n in names)
    head = [f'<svg class="op1-ladder" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEAD}" '
            f'viewBox="0 0 {width} {HEAD}" role="img" '
            f'aria-label="{h(f"ladder lanes, left to right: {lanes}; then the packet as seen on the wire")}">', STYLE,
            f'<text x="{width - RIGHT + 8}" y="{HEAD - 8}">'
            'packet as seen on the wire</text>']
    for n in names:
        words = title(result, n).split()
        if len(words) > 1:               # "Remote" over "host 1": two short lines fit a lane
            a, b = words[0], " ".join(words[1:])
            head.append(f'<text class="head" x="{x[n]}" y="{HEAD - 22}">{h(a)}</text>'
                        f'<text class="head" x="{x[n]}" y="{HEAD - 8}">{h(b)}</text>')
        else:
            head.append(f'<text class="head" x="{x[n]}" y="{HEAD - 8}">{h(words[0])}</text>')
    head.append(f'<g class="evc"><rect class="evbg" x="0" y="0" width="{col - 2}" height="{HEAD}"/>'
                f'<text x="6" y="{HEAD - 8}">event · {unit}</text></g></svg>')
    return "".join(head)


# Each kind of row adds its drawing to ``row`` and the words it shows to ``said``.

def _hop_row(result, e, f, x: dict, y: int, width: int, row: list, said: list) -> None:
    """A hop: an arrow between two lanes, coloured by uplink (a reset in vermillion), named."""
    pkt = e.pkt
    a, b = endpoint_node(f["from"]), endpoint_node(f["to"])
    colour, dash, _ = _style_of(result, pkt)
    rst = type(pkt.l4).__name__ == "TCP" and "R" in pkt.l4.flags
    if rst:
        colour = VERMILLION
    xa, xb = x.get(a), x.get(b)
    if xa is not None and xb is not None:
        d = 1 if xb > xa else -1
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        row.append(f'<line x1="{xa}" y1="{y}" x2="{xb - d * 7}" y2="{y}" stroke="{colour}" '
                   f'stroke-width="2.2"{dash_attr}/>')
        row.append(f'<polygon points="{xb},{y} {xb - d * 8},{y - 4} {xb - d * 8},{y + 4}" '
                   f'fill="{colour}"/>')
        label = short_name(pkt)
        bold = ' font-weight="bold"' if rst else ""
        row.append(f'<text x="{(xa + xb) / 2}" y="{y - 3}" text-anchor="middle" '
                   f'font-size="11" fill="{text_colour(colour)}"{bold}>{h(label)}</text>')
        said.append(label)
    row.append(f'<text class="mono" x="{width - RIGHT + 8}" y="{y + 4}">{h(flow_text(pkt))}</text>')
    said.append(flow_text(pkt))


def _drop_row(e, f, x: dict, y: int, width: int, row: list, said: list) -> None:
    """A drop: a ✖ on the lane of the node that dropped it, with the reason."""
    pkt = e.pkt
    node = e.node
    xn = x.get(node, LEFT)
    reason = str(f.get("reason", "dropped"))
    row.append(f'<text class="drop" x="{xn}" y="{y + 5}" text-anchor="middle" font-size="15">✖</text>')
    anchor = "end" if xn > width - RIGHT - LANE else "start"
    dx = -10 if anchor == "end" else 10
    row.append(f'<text class="drop" x="{xn + dx}" y="{y + 4}" text-anchor="{anchor}">'
               f"{h(reason)}</text>")
    said.append(reason)
    if pkt is not None:
        row.append(f'<text class="mono" x="{width - RIGHT + 8}" y="{y + 4}">'
                   f"{h(short_name(pkt) + ' ' + flow_text(pkt))}</text>")
        said.append(short_name(pkt) + " " + flow_text(pkt))


def _down_row(e, f, x: dict, y: int, row: list, said: list) -> None:
    """A device going down: a ✖ on its node's lane."""
    xn = x.get(e.node, LEFT)
    row.append(f'<text class="drop" x="{xn}" y="{y + 5}" text-anchor="middle" font-size="15">✖</text>'
               f'<text class="drop" x="{xn + 10}" y="{y + 4}">{h(f.get("dev", ""))} down: the line fails</text>')
    said.append(f'{f.get("dev", "")} down: the line fails')


def _other_row(e, f, x: dict, y: int, width: int, row: list, said: list) -> None:
    """Any other event: a dot on its node's lane with the event's kind (an app's milestone)."""
    pkt = e.pkt
    node = e.node
    xn = x.get(node, LEFT)
    kind = str(f.get("what", "")) if e.ev is Ev.APP else getattr(e.ev, "value", str(e.ev))
    anchor = "end" if xn > width - RIGHT - LANE else "start"
    row.append(f'<circle cx="{xn}" cy="{y}" r="4" fill="{GREY}"/>'
               f'<text x="{xn + (-8 if anchor == "end" else 8)}" y="{y + 4}" '
               f'text-anchor="{anchor}">{h(kind)}</text>')
    said.append(kind)
    if pkt is not None:
        row.append(f'<text class="mono" x="{width - RIGHT + 8}" y="{y + 4}">{h(flow_text(pkt))}</text>')
        said.append(flow_text(pkt))


def _row_label(result, k: int, i: int, e, said: list[str], unit: str = "ms", differs: bool = False) -> str:
    """A row's accessible name: the step it goes to, then the words the row shows, in the
    order it shows them (a reader who sees the row and one who hears it get the same
    words: WCAG's "label in name"), then what they stand for, in brackets.  A comparison's
    row where the runs differ shows "≠" first: its name says so first."""
    where = f"on {e.node}" if e.ev is Ev.HOP else f"at {e.node}"
    mark = "≠ the runs differ here, " if differs else ""
    return f"{mark}step {k + 1}, event {' '.join(said)} ({said[0].split(' · ')[1]} {unit}, {where})"


def ladder_svg(result, step: int | None = None, steps: list[int] | None = None) -> str:
    """The exchange as a ladder diagram, one row per step (by default every hop and drop,
    at most 400), with ``step`` (a trace index) marked."""
    check_result(result)
    a = analysis_of(result)
    if step is not None:
        check_step(result, step)
    if steps is None:
        steps = a.default_steps()[:400]
        if step is not None and step not in steps:
            steps = sorted(set(steps) | {step})
    head, body, width = ladder_parts(result, steps, step)
    # one SVG: the header's contents above the body's
    inner_head = head[head.index(">", head.index("<svg")) + 1:-len("</svg>")]
    inner_body = body[body.index(">", body.index("<svg")) + 1:-len("</svg>")]
    hb = int(body.split('height="', 1)[1].split('"', 1)[0])
    total = HEAD + hb
    return (f'<svg class="op1-ladder" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total}" '
            f'viewBox="0 0 {width} {total}" role="img" aria-label="ladder diagram">{inner_head}'
            f'<g transform="translate(0 {HEAD})">{inner_body.replace(STYLE, "", 1)}</g></svg>')


# -- a phone's ladder ---------------------------------------------------------------------------
#
# The ladder above is 834 px wide for chapter 6's replay (994 px with two remote hosts), in a
# phone's box of 288 px: scrolled to the step's arrow, it showed two lanes of six, neither the
# uplink the packet took nor the packet's addresses (in the column at the far right).  A phone
# gets this one instead (player.css shows one of the two by the player's width; the other is not
# displayed, so a screen reader meets one): the LAN hosts in one lane, the providers in one (the
# uplink named under the arrow), the remote hosts in one, LANE_N px apart, each row three lines --
# the arrow or mark and its name, the first column's time under its event, then the packet as seen
# on the wire, from the left edge, after the uplink it crosses or whose address it carries
# ("if1 100.0.0.1:6000 → 200.0.0.1:80", in that uplink's colour).  At most 288 px wide: the box's
# width at 360 px; player.css draws it at that width times the reader's text size (its style's
# --op1-lw), scaled down to a narrower box only so far (its text 11 px at the least).  Its rows are the same steps, classes and
# buttons as the wide one's (player.js steps both); its styles are the wide one's (STYLE, in the
# same page) and player.css's.

ROW_N = 50            # a row: the arrow (or mark) and its name; the time; the packet's line
LANE_N = 42
HEAD_N = 38           # the header, its lanes' titles on two lines (14 px more for a third)
HEAD_LINE = 14        # px from one line of the header to the next
GAP = 12              # px between two titles on a line of the header
SHIFT = 6             # px a title may move off its lane to keep clear of the one before it
LEFT_N = 12           # where the first column's event and time begin (▶ and ≠ left of them)
WIRE_X = 1            # where the packet's line begins: under the first column, the row's width
ADDR_PX = 12          # the packet's line: DejaVu Sans Mono, 0.6 em a character
NAME_PX = 12          # an arrow's name, a lane's title (bold)
COL_PX = 12           # the first column's event and time (DejaVu Sans Mono)
# Every word at 12 px or more, drawn at its size on a 360 px phone (its box 288 px wide): at 10.5
# and 11 px (the packet's line right of the first column, 35 characters, made the drawing 300 to
# 369 px, scaled down to fit) its addresses were 8.7 to 10.5 CSS px, too small to read without
# zooming, and a zoom lost the step buttons and the narration.  So the packet's line has a line of
# its own, the row's third, from the drawing's left edge under the first column: the drawing is as
# wide as its lanes, 281 px for the book's replays.

#: DejaVu Sans's advance widths (regular, bold) of ASCII 32..126, in hundredths of an em: the
#: phone's ladder places its words by them (a word that would run past the drawing's edge or into
#: the first column is moved, or its lane's title, beside its lane); another character counts 0.84 em
_SANS = (32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64,
         64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79,
         60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63,
         63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84)
_SANS_B = (35, 46, 52, 84, 70, 100, 87, 31, 46, 46, 52, 84, 38, 42, 38, 37, 70, 70, 70, 70, 70, 70, 70,
           70, 70, 70, 40, 40, 84, 84, 84, 58, 100, 77, 76, 73, 83, 68, 68, 82, 84, 37, 37, 77, 64, 100,
           84, 85, 73, 85, 77, 72, 68, 81, 77, 110, 77, 72, 73, 46, 37, 46, 84, 50, 50, 67, 72, 59, 72,
           68, 44, 72, 71, 34, 34, 67, 34, 104, 71, 69, 72, 72, 49, 60, 48, 71, 65, 92, 65, 65, 58, 71,
           37, 71, 84)


def text_width(s: str, size: float, bold: bool = False, mono: bool = False) -> float:
    """The width in px of ``s`` at ``size`` px in DejaVu Sans (bold), or DejaVu Sans Mono."""
    if mono:
        return len(s) * 0.602 * size
    w = _SANS_B if bold else _SANS
    return size * sum(w[ord(c) - 32] if 32 <= ord(c) < 127 else 84 for c in s) / 100


#: a lane's title where it holds several nodes of a kind
GROUP_TITLES = {0: "Local hosts", 2: "Providers", 4: "Remote hosts"}


def lanes_n(result, steps: list[int]) -> list[tuple[str, list[str]]]:
    """The phone's lanes, left to right, as (title, nodes): the wide ladder's lanes (``lanes``)
    with the nodes of a kind -- LAN hosts, providers, remote hosts -- in one lane each."""
    groups: dict = {}
    for n in lanes(result, steps):
        r = _rank(n)
        groups.setdefault(r if r < len(RANKS) else n, []).append(n)
    return [(title(result, ns[0]) if len(ns) == 1 else
             GROUP_TITLES.get(key, " / ".join(title(result, n) for n in ns)), ns) for key, ns in groups.items()]


def hop_uplink(result, f, pkt=None) -> int | None:
    """The uplink a hop crosses (router:if2 or a provider2 at one end), else None.  (``pkt`` is
    not read: the line a packet crossed before a hop is ``crossed_lines``'s.)"""
    for end in (f.get("from"), f.get("to")):
        node, _, dev = str(end).partition(":")
        if node == "router" and uplink_index(dev) is not None:
            return uplink_index(dev)
        if node.startswith("provider") and node[len("provider"):].isdigit():
            return int(node[len("provider"):])
    return None


def _same_packet(pkt):
    """What one packet keeps from hop to hop (all but its TTL), or None if it cannot be told."""
    try:
        key = (pkt.ip.src, pkt.ip.dst, pkt.ip.id, pkt.ip.tos, pkt.l4, pkt.load)
        hash(key)
    except (AttributeError, TypeError):
        return None
    return key


def crossed_lines(result, steps: list[int]) -> dict[int, int]:
    """``{event: uplink}`` for the steps whose packet crosses an uplink there (``hop_uplink``) or
    crossed one before, on its way (the same packet, all but its TTL: no NAT since): the line it
    crossed, which an address need not tell (an ACK that left by if1 with if2's address, chapter
    8's netfilter NAT: its hops beyond the providers said if2, by the address).  A packet that has
    crossed no uplink yet (on the LAN, on its way down before its provider) has none."""
    ev = result.events
    last = max(steps, default=-1)
    out, seen = {}, {}
    want = set(steps)
    for i in range(last + 1):
        e = ev[i]
        pkt = getattr(e, "pkt", None)
        if pkt is None:
            continue
        key = _same_packet(pkt)
        k = hop_uplink(result, info_of(e)) if e.ev is Ev.HOP else None
        if k is not None and key is not None:
            seen[key] = k
        elif key is not None:
            k = seen.get(key)
        if k is not None and i in want:
            out[i] = k
    return out


def _line_words(line: tuple) -> str:
    """The words of a packet's line (``_row_n``): "if1 100.0.0.1:6000 → 200.0.0.1:80"."""
    return (f"if{line[0]} " if line[0] is not None else "") + line[1]


def _wire_n(k: int | None, words: str, x: float, y: float) -> str:
    """The packet's line under a row: the uplink (if1, in its colour, bold) then ``words``, on a
    backing of the row's colour (player.css) that the lanes' dotted lines pass under: drawn
    through it, a lane read as a character ("200.0.0|.1:80", "192:.168")."""
    tag = ""
    if k is not None:
        tag = f'<tspan class="upl" fill="{text_colour(_dot.uplink_style(k)[0])}">if{k}</tspan> '
    w = text_width(_line_words((k, words)), ADDR_PX, mono=True)
    return (f'<rect class="addrbg" x="{x - 1:g}" y="{y - 10:g}" width="{w + 2:.0f}" height="13"/>'
            f'<text class="addr" x="{x}" y="{y}">{tag}{h(words)}</text>')


def _place(w: float, xn: float, lo: float, hi: float) -> tuple[float, str, str]:
    """(x, anchor, squeeze) of words ``w`` px wide beside a mark at ``xn``, between ``lo`` and
    ``hi``: right of it if they fit there, else left of it, else from ``lo`` (pressed to fit)."""
    if xn + 10 + w <= hi:
        return xn + 10, "start", ""
    if xn - 10 - w >= lo:
        return xn - 10, "end", ""
    return lo, "start", (f' textLength="{hi - lo:.0f}" lengthAdjust="spacingAndGlyphs"' if w > hi - lo else "")


def ladder_parts_n(result, steps: list[int], current: int | None = None,
                   diverge: set[int] | None = None, hide_future: bool = False,
                   buttons: bool = True) -> tuple[str, str, int]:
    """The phone's ladder (see above) as ``ladder_parts``'s (header SVG, body SVG, width), the
    same rows: their classes (``cur``, ``fut``, ``div``), ``data-i`` and ``data-k``, buttons."""
    ev = result.events
    cur_k = steps.index(current) if current in steps else len(steps) - 1
    unit, at = _time_column(result, steps)
    fut = (lambda k: k > cur_k) if hide_future else (lambda k: False)
    groups = lanes_n(result, steps)
    col = max([44] + [math.ceil(LEFT_N + max(len(str(i)), len(at(ev[i].t))) * 0.602 * COL_PX + 6) for i in steps])
    x = {}
    for k, (_, ns) in enumerate(groups):
        for n in ns:
            x[n] = col + LANE_N // 2 + k * LANE_N
    # each row's words, laid out first: the drawing is as wide as its lanes or its widest
    # packet's line (player.css sizes it to the box and the reader's text size)
    crossed = crossed_lines(result, steps)
    rows = [_row_n(result, ev[i], x, col, crossed.get(i)) for i in steps]
    width = math.ceil(max([col + LANE_N * len(groups) + 4]
                          + [WIRE_X + text_width(_line_words(r[1]), ADDR_PX, mono=True) + 1 for r in rows if r[1]]))
    height = ROW_N * len(steps) + 4
    shown = ROW_N * (cur_k + 1) + 4 if hide_future else height
    body = [f'<svg class="op1-ladder op1-ladder-n op1-ladder-body" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" style="--op1-lw:{width}" data-row="{ROW_N}" '
            f'data-shown="{shown}" role="group" aria-label="ladder diagram, one row per step'
            + ('; a row is a button that goes to its step">' if buttons else '">')]
    for n in dict.fromkeys(x.values()):
        body.append(f'<line class="lane" x1="{n}" y1="0" x2="{n}" y2="{height}"/>')
    for k, i in enumerate(steps):
        e = ev[i]
        y0 = k * ROW_N
        cls = ("op1-row" + (" cur" if i == current else "") + (" fut" if fut(k) else "")
               + (" div" if diverge and i in diverge else ""))
        draw, line, said = rows[k]
        wire = _wire_n(line[0], line[1], WIRE_X, y0 + 46) if line else ""
        parts = [f'<rect class="band" x="0" y="{y0}" width="{width}" height="{ROW_N}"/>',
                 f'<text class="curm" x="1" y="{y0 + 20}">▶</text><text class="divm" x="1" y="{y0 + 33}">≠</text>',
                 f'<text class="mono" x="{LEFT_N}" y="{y0 + 20}">{i}</text>',
                 f'<text class="mono" x="{LEFT_N}" y="{y0 + 33}">{at(e.t)}</text>']
        parts += [d(y0, width) for d in draw] + ([wire] if wire else [])
        said = [f"{i} · {at(e.t)}"] + said
        aria = (f' role="button" tabindex="{0 if i == current else -1}" '
                f'aria-label="{h(_row_label(result, k, i, e, said, unit, bool(diverge and i in diverge)))}"' if buttons else "")
        body.append(f'<g class="{cls}" data-i="{i}" data-k="{k}"{aria}>' + " ".join(parts) + "</g>")
    body.append("</svg>")
    return _head_n(result, groups, x, col, width, unit), "".join(body), width


def _row_n(result, e, x: dict, col: int, line_k: int | None = None):
    """One row of the phone's ladder: (drawers, (uplink, packet's line) or None, words said):
    each drawer takes the row's top and the drawing's width and gives its SVG.  The uplink is
    ``line_k``, the line the packet crosses or crossed (``crossed_lines``); the arrow's colour is
    the uplink whose address it carries."""
    f = info_of(e)
    pkt = e.pkt
    draw, said = [], []
    if e.ev is Ev.HOP:
        a, b = endpoint_node(f["from"]), endpoint_node(f["to"])
        colour, dash, _ = _style_of(result, pkt)
        rst = type(pkt.l4).__name__ == "TCP" and "R" in pkt.l4.flags
        colour = VERMILLION if rst else colour
        xa, xb, label = x.get(a), x.get(b), short_name(pkt)
        if xa is not None and xb is not None:
            draw.append(lambda y0, width: _arrow_n(xa, xb, y0 + 16, colour, dash, label, rst, col, width))
            said.append(label)
        line = (line_k, flow_text(pkt))
    else:
        xn = x.get(e.node, col)
        if e.ev is Ev.DROP:
            words, mark = str(f.get("reason", "dropped")), "drop"
        elif e.ev is Ev.LINK and f.get("state") == "down":
            words, mark = f'{f.get("dev", "")} down: the line fails', "drop"
        else:
            words = str(f.get("what", "")) if e.ev is Ev.APP else getattr(e.ev, "value", str(e.ev))
            mark = "dot"
        draw.append(lambda y0, width: _mark_n(xn, y0 + 16, mark, words, col, width, pkt is None))
        said.append(words)
        line = None
        if pkt is not None:
            line = (line_k, (short_name(pkt) + " " if e.ev is Ev.DROP else "") + flow_text(pkt))
    if line is not None:
        said.append(_line_words(line))
    return draw, line, said


def _arrow_n(xa: float, xb: float, y: int, colour: str, dash: str, label: str, bold: bool,
             col: int, width: int) -> str:
    """An arrow between two lanes with its name above it (within the drawing, right of the
    first column); between two nodes of one lane, a dot."""
    if xa == xb:
        return (f'<circle cx="{xa}" cy="{y}" r="4" fill="{colour}"/>'
                f'<text class="nl" x="{xa + 8}" y="{y - 4}" fill="{text_colour(colour)}">{h(label)}</text>')
    d = 1 if xb > xa else -1
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    w = text_width(label, NAME_PX, bold)
    mid = min(max((xa + xb) / 2, col + w / 2), width - 2 - w / 2)
    return (f'<line x1="{xa}" y1="{y}" x2="{xb - d * 7}" y2="{y}" stroke="{colour}" stroke-width="2.2"{dash_attr}/>'
            f'<polygon points="{xb},{y} {xb - d * 8},{y - 4} {xb - d * 8},{y + 4}" fill="{colour}"/>'
            f'<text class="nl" x="{mid:g}" y="{y - 4}" text-anchor="middle" fill="{text_colour(colour)}"'
            + (' font-weight="bold"' if bold else "") + f">{h(label)}</text>")


def _mark_n(xn: float, y: int, mark: str, words: str, col: int, width: int, free: bool = False) -> str:
    """A mark on a lane (a drop's or a line's ✖, an event's dot) and its words beside it; words
    too long for either side of it, under it, on the row's second line when it is ``free`` (no
    packet's line: "if2 down: the line fails", "mptcp re-injects data on subflow 1" ran over
    the mark), else from the first column's edge."""
    if mark == "drop":
        out = f'<text class="drop" x="{xn}" y="{y + 5}" text-anchor="middle">✖</text>'
        w, cls = text_width(words, 12, bold=True), ' class="drop"'
    else:
        out = f'<circle cx="{xn}" cy="{y}" r="4" fill="{GREY}"/>'
        w, cls = text_width(words, 12), ""
    tx, anchor, squeeze = _place(w, xn, col + 2, width - 2)
    below = free and anchor == "start" and tx == col + 2
    return out + (f'<text{cls} x="{tx:g}" y="{y + 15 if below else y + 4}" text-anchor="{anchor}"{squeeze}>'
                  f'{h(words)}</text>')


def _head_n(result, groups, x: dict, col: int, width: int, unit: str) -> str:
    """The phone's header: "event" over its unit, and the lanes' titles on two lines (three if
    they need them), each on the lowest line where it keeps GAP px from the title before it, moved
    in from the drawing's edges as far as it must (else SHIFT px off its lane at most), and
    joined to its lane by the lane's line."""
    names = ", ".join(t for t, _ in groups)
    # the first column's words on the lowest lines: a title keeps clear of them
    ends = [LEFT_N + text_width(unit, 12) + 6 - GAP, LEFT_N + text_width("event", 12) + 6 - GAP, -GAP]
    placed = []
    for t, ns in groups:
        lx, w = x[ns[0]], text_width(t, NAME_PX, bold=True)
        for j in range(3):
            # (off its lane by SHIFT px at most for the title before it; more only at the edges)
            cx = min(max(lx, min(ends[j] + GAP + w / 2, lx + SHIFT)), width - 2 - w / 2)
            if cx - w / 2 >= ends[j] + GAP or j == 2:
                break
        ends[j] = cx + w / 2
        placed.append((t, lx, cx, j))
    lines = 1 + max([1] + [j for *_, j in placed])
    height = HEAD_N + HEAD_LINE * (lines - 2)
    base = [height - 9 - HEAD_LINE * j for j in range(3)]          # each line's baseline, from the lowest
    out = [f'<svg class="op1-ladder op1-ladder-n" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" style="--op1-lw:{width}" role="img" '
           f'aria-label="{h(f"ladder lanes, left to right: {names}; under each step the packet as seen on the wire, after the uplink it crosses or crossed")}">'
           f'<text x="{LEFT_N}" y="{base[1]}">event</text><text x="{LEFT_N}" y="{base[0]}">{unit}</text>']
    for t, lx, cx, j in placed:
        out.append(f'<line class="lane" x1="{lx}" y1="{base[j] + 3}" x2="{lx}" y2="{height}"/>'
                   f'<text class="head nh" x="{cx:g}" y="{base[j]}">{h(t)}</text>')
    out.append("</svg>")
    return "".join(out)
