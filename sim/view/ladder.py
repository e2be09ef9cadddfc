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
"""
from __future__ import annotations

import math

from ..trace import Ev
from . import _dot
from ._common import addr_uplink, flow_text, short_name, title
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

    def rank(n):
        for k, pre in enumerate(("local", "router", "provider", "internet", "remote")):
            if n.startswith(pre):
                return k
        return 5
    keep = [n for n in names if n in used or n == "router" or n.startswith("provider")]
    return sorted(keep, key=lambda n: (rank(n), names.index(n)))


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
