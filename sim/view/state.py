"""The router's state as one graphviz diagram: why this packet went where it went.

    route cache entry ──▶ nexthop of the routing table ──▶ uplink (provider's filter)
    conntrack entry ─────────────── bound to ────────────▶ uplink

Entries this step created, hit, used or deleted are marked by a word (NEW,
HIT, SNAT, DNAT, DEL …), a tint and bold or struck-through text, and the
arrows of this step's packet are drawn thick; colour is never the only cue.
"""
from __future__ import annotations

import re
import textwrap

from ..natmodels import translates
from . import _dot
from ._common import clock, uplink_index
from ._dot import FONT, MONO, PURPLE, h, q
from .model import Snapshot, analysis_of, check_step

TINT = {"new": "#d5f0e6", "hit": "#d7ebf7", "snat": "#d7ebf7", "dnat": "#d7ebf7", "del": "#fbe0d0"}
WORD = {"new": "NEW", "hit": "HIT", "snat": "SNAT", "dnat": "DNAT"}


def _mark_word(mark: str) -> str:
    if mark.startswith("del:"):
        reason = mark[4:]
        return {"expired": "EXPIRED"}.get(reason, f"DEL {reason}".strip())
    return WORD.get(mark, mark.upper())


def _tint(mark: str | None) -> str:
    if not mark:
        return "#ffffff"
    return TINT.get(mark.split(":")[0], "#eeeeee")


#: Room after proportional text: graphviz measures it with pango, a browser renders it a few
#: per cent wider or narrower, so a cell sized exactly to its text would clip it.
SLACK = "&#160;" * 3
SLACK_TEXT = "\xa0" * 3             # how it comes back in the SVG, removed there


def _cell(text, mark=None, port=None, mono=False, align="LEFT", bold=False, strike=False) -> str:
    t = h(text)
    p = f' PORT="{port}"' if port else ""
    if not t.strip():
        return f'<TD ALIGN="{align}" BGCOLOR="{_tint(mark)}"{p}></TD>'
    if not mono:
        t += SLACK
    if strike:
        t = f"<S>{t}</S>"
    if bold:
        t = f"<B>{t}</B>"
    if mono:
        t = f'<FONT FACE="{MONO}">{t}</FONT>'
    return f'<TD ALIGN="{align}" BGCOLOR="{_tint(mark)}"{p}>{t}</TD>'


def _lines_cell(parts, mark=None, port=None, mono=False, strike=False) -> str:
    """A cell of several lines, each ``(text, bold)``, one above the other: keeps a
    table narrow (the conntrack entry's two tuples)."""
    out = []
    for text, bold in parts:
        t = h(text) + ("" if mono else SLACK)
        if strike:
            t = f"<S>{t}</S>"
        if bold:
            t = f"<B>{t}</B>"
        if mono:
            t = f'<FONT FACE="{MONO}">{t}</FONT>'
        out.append(t)
    p = f' PORT="{port}"' if port else ""
    return f'<TD ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="{_tint(mark)}"{p}>{"<BR/>".join(out)}</TD>'


def _table(title: str, header: list[str], rows: list[str], note: str = "", cols: int = 0) -> str:
    n = max(1, len(header), cols)
    out = ['<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" COLOR="#444444">',
           f'<TR><TD PORT="top" COLSPAN="{n}" BGCOLOR="#eeeeee" ALIGN="LEFT"><B>{h(title)}{SLACK}</B></TD></TR>']
    if header and rows:
        cells = []
        for c in header:
            if not c:
                cells.append("<TD></TD>")
                continue
            text = "<BR/>".join(h(x) + SLACK for x in c.split("\n"))
            cells.append(f'<TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="10">{text}</FONT></TD>')
        out.append("<TR>" + "".join(cells) + "</TR>")
    rows = list(rows)
    # the table's bottom left corner (port "bot", the first cell of its last row): state_dot
    # hangs the next table from it, so that every table starts at the left edge
    if note:
        text = '<BR ALIGN="LEFT"/>'.join(h(x) + SLACK for x in textwrap.wrap(note, 52))
        rows.append(f'<TR><TD COLSPAN="{n}" ALIGN="LEFT"><I>{text}</I><BR ALIGN="LEFT"/></TD></TR>')
    first = rows[-1].find("<TD") if rows else -1
    if first < 0 or "PORT=" in rows[-1][first:rows[-1].find(">", first)]:
        rows.append(f'<TR><TD COLSPAN="{n}"></TD></TR>')
        first = rows[-1].find("<TD")
    rows[-1] = rows[-1][:first + 3] + ' PORT="bot"' + rows[-1][first + 3:]
    out.extend(rows)
    out.append("</TABLE>")
    return "".join(out)


def _tuple(t) -> str:
    proto, src, sport, dst, dport = t
    if proto == 1:
        return f"icmp {src} → {dst} id {sport}"
    return f"{src}:{sport} → {dst}:{dport}"


def state_dot(result, snap: Snapshot) -> str:
    """The DOT source of the router's tables in ``snap``: the routing table, the route cache,
    conntrack and the uplinks, each a table, with arrows from entries to what they use."""
    net = result.net
    router = net.nodes["router"]
    p = result.params
    # (an arrow between two tables' rows does not pull the tables sideways: weight=0)
    lines = ["digraph state {", "rankdir=TB; nodesep=0.3; ranksep=0.22; pad=0.05;",
             f"node [shape=plaintext fontname={q(FONT)} fontsize=10];",
             f"edge [fontname={q(FONT)} fontsize=10 color=\"#888888\" arrowsize=0.7 weight=0];"]
    rt, mp_devs = _routing_table(router, p, snap)
    cache, cache_edges = _route_cache(router, snap, mp_devs)
    ct, ct_edges = _conntrack(p, snap)
    lines += [rt, cache, ct]
    lines += _uplinks(net, router, snap, mp_devs)
    lines += _entry_arrows(router, cache_edges + ct_edges)
    # one column, top to bottom: cache -> routing table -> uplinks <- conntrack, each table
    # hung from the bottom left corner of the one above, so that all start at the left edge (a
    # phone shows their first columns side by side; the longer rows scroll); every arrow
    # leaves and enters a row on its right-hand side, so it never crosses a table
    lines.append("edge [style=invis weight=100]; "
                 "cache:bot:sw -> rt:top:nw; rt:bot:sw -> up:top:nw; up:bot:sw -> ct:top:nw;")
    lines.append("}")
    return "\n".join(lines)


#: The routing table's right-hand column: this step's packet's route (or, on a multipath route,
#: a nexthop's share of the choices: its weight over the live nexthops' total).
HEAD_PACKET = "this packet, or a nexthop's\nshare: weight / total"


def _routing_table(router, p, snap: Snapshot) -> tuple[str, set]:
    """The routing table node: every route; nexthops of a multipath route get a port each.
    Also the devices of multipath nexthops (their arrows start at those ports)."""
    rows = []
    mp_devs = set()
    # a mark's table decided (numgen, connmark), not this table: say so; a route cache hit
    # searched no table -- the entry copied this route when it was made (its arrow shows which)
    picked = (f"◀ by table {snap.table}" if snap.table else "◀ via the cache" if snap.hit
              else "◀ chosen")
    for r in sorted(router.fib.routes, key=lambda r: (r.plen, r.prefix)):
        if r.multipath:
            rows.append(f'<TR>{_cell(r.dest() + (" equalize" if r.equalize else ""), mono=True, bold=True)}'
                        '<TD BGCOLOR="#ffffff"></TD></TR>')
            total = sum(nh.weight for nh in r.nexthops if nh.dev not in snap.down) or 1
            for nh in r.nexthops:
                chosen = snap.nexthop == nh.dev
                dead = nh.dev in snap.down          # fib_sync_down(): RTNH_F_DEAD
                mp_devs.add(nh.dev)
                rows.append("<TR>" + _cell(f" nexthop {nh.text()} weight {nh.weight}"
                                           + (" dead linkdown" if dead else ""),
                                           "hit" if chosen else None, mono=True, bold=chosen, strike=dead)
                            + _cell((picked if chosen else "✖ dead" if dead else f"share {nh.weight}/{total}"),
                                    "hit" if chosen else None, port=f"nh_{nh.dev}", bold=chosen) + "</TR>")
        else:
            nh = r.nexthops[0]
            chosen = snap.nexthop == nh.dev and nh.dev not in mp_devs and not r.multipath
            # its only nexthop dead, the route is gone: fib_sync_down() marks the fib_info dead
            # and fib_flush() deletes it (2.4 and today alike); drawn struck out, so that the
            # reader sees what went
            dead = nh.dev in snap.down
            text = (f"{r.dest()} {nh.text()}" + (" scope link" if nh.via is None else "")
                    + (f" src {r.src}" if r.src else ""))
            rows.append("<TR>" + _cell(text, "hit" if chosen else None, mono=True, bold=chosen, strike=dead)
                        + _cell(picked if chosen else "✖ deleted" if dead else "", "hit" if chosen else None,
                                port=f"rt_{nh.dev}", bold=chosen) + "</TR>")
    mode = p.multipath + (", equalize" if p.equalize else "")
    why = f"this packet: {snap.why}" if snap.why else ""
    return f"rt [label=<{_table(f'Routing table ({mode})', ['route', HEAD_PACKET], rows, why, cols=2)}>];", mp_devs


def _route_cache(router, snap: Snapshot, mp_devs: set) -> tuple[str, list]:
    """The route cache node (or a note that there is none), and an arrow from each entry to
    the route it copies: (from, to, mark, gone)."""
    cache_rows = []
    cache_edges = []
    if getattr(router, "cache", None) is None:
        note = "no route cache: every packet is looked up in the FIB (Linux ≥ 3.6)"
    else:
        note = f"in_hit {snap.in_hit}, in_slow_tot {snap.in_slow_tot}"
        # an entry this step deleted comes just above the one that took its key (the equalize
        # patch deletes the entry a packet hit and caches the nexthop it chose instead), read
        # in the order they happened; one whose key is left empty comes after those kept
        gone = snap.gone_cache
        entries = []
        for k, e in snap.cache.items():
            if k in gone:
                entries.append((k, gone[k], "del:" + gone[k].get("reason", "")))
            entries.append((k, e, snap.marks_cache.get(k)))
        entries += [(k, e, "del:" + e.get("reason", "")) for k, e in gone.items() if k not in snap.cache]
        for n, (key, e, mark) in enumerate(entries):
            dst, src, tos, iif = key
            gone = mark is not None and mark.startswith("del:")
            word = _mark_word(mark) if mark else ""
            eq = " (eq)" if e.get("equalize") else ""
            key_text = f"{src} → {dst} iif {iif}" + (f" tos 0x{tos:02x}" if tos else "")
            cells = [_cell(word, mark, bold=bool(mark)),
                     _cell(key_text, mark, mono=True, strike=gone, bold=bool(mark) and not gone),
                     _cell(f"{e['dev']}{eq}", mark, mono=True, strike=gone),
                     _cell(f"×{e['use']}, {clock(e['lastuse'])}", mark, port=f"c{n}", strike=gone)]
            cache_rows.append("<TR>" + "".join(cells) + "</TR>")
            target = (f"rt:nh_{e['dev']}" if e["dev"] in mp_devs else f"rt:rt_{e['dev']}")
            cache_edges.append((f"cache:c{n}", target, mark, gone))
        if not entries:
            note = "empty; " + note
    head = ['', 'key: src → dst, iif', 'dev', 'used, last']
    return f"cache [label=<{_table('Route cache', head, cache_rows, note)}>];", cache_edges


def _conntrack(p, snap: Snapshot) -> tuple[str, list]:
    """The conntrack / NAT node, and an arrow from each entry to the uplink it is bound to."""
    ct_rows = []
    ct_edges = []
    if not translates(p.nat):
        ct_note = "no NAT: the LAN's addresses are public"
    else:
        ct_note = f"NAT model: {p.nat}"
        entries = [(c, e, snap.marks_ct.get(c)) for c, e in snap.conntrack.items()]
        entries += [(c, e, "del:" + e.get("reason", "")) for c, e in snap.gone_ct.items()]
        for n, (cid, e, mark) in enumerate(entries):
            gone = mark is not None and mark.startswith("del:")
            word = _mark_word(mark) if mark else ""
            cells = [_cell(f"{word} ct {cid}".strip(), mark, bold=bool(mark), strike=gone),
                     _lines_cell([(_tuple(e["orig"]), False),
                                  ("reply " + _tuple(e["reply"]), bool(mark) and not gone)],
                                 mark, mono=True, strike=gone),
                     _cell(e["dev"], mark, port=f"t{n}", strike=gone)]
            ct_rows.append("<TR>" + "".join(cells) + "</TR>")
            ct_edges.append((f"ct:t{n}", f"up:u_{e['dev']}", mark, gone))
        if not entries:
            ct_note = "empty; " + ct_note
    ct_head = ["", "original (as the LAN host sent it)\nreply (as the answers arrive)", "dev"]
    return f"ct [label=<{_table('Conntrack / NAT', ct_head, ct_rows, ct_note)}>];", ct_edges


def _uplinks(net, router, snap: Snapshot, mp_devs: set) -> list[str]:
    """The arrows from the routing table to the uplinks, then the uplinks node: each uplink
    with its provider's ingress filter."""
    lines = []
    up_rows = []
    for dev, i in router.ifaces.items():
        k = uplink_index(dev)
        if k is None:
            continue
        prov = net.nodes.get(f"provider{k}")
        cust = prov.ifaces.get("cust") if prov is not None else None
        allow = getattr(cust, "ingress_allow", None)
        if allow:
            filt = "only from " + ", ".join(_prefix(a, l) for a, l in allow) + " (BCP 38)"
        else:
            filt = "no filter"
        colour, _, _ = _dot.uplink_style(k)
        chosen = snap.nexthop == dev
        down = dev in snap.down
        up_rows.append("<TR>" + _cell(f"{dev} {i.addr}" + (" ✖ down" if down else ""),
                                      "hit" if chosen else None, mono=True, bold=True, strike=down)
                       + _cell(f"{getattr(prov, 'title', 'provider')}: {filt}",
                               "hit" if chosen else None, port=f"u_{dev}", strike=down) + "</TR>")
        dash = " style=dashed" if down else ""
        lines.append(f"rt:nh_{dev}:e -> up:u_{dev}:e [color={q(colour)} penwidth={3 if chosen else 1.5}{dash}];"
                     if dev in mp_devs else f"rt:rt_{dev}:e -> up:u_{dev}:e [color={q(colour)}{dash}];")
    head = ["device, address", "provider's ingress filter"]
    lines.append(f"up [label=<{_table('Uplinks', head, up_rows, cols=2)}>];")
    return lines


def _entry_arrows(router, edges: list) -> list[str]:
    """The arrows of route cache and conntrack entries: marked ones purple, gone ones dashed."""
    lines = []
    for src, dst, mark, gone in edges:
        if "u_eth" in dst or (dst.startswith("up:") and dst[5:] not in router.ifaces):
            continue
        style = "dashed" if gone else ("solid" if src.startswith("cache") else "dotted")
        attrs = f"style={style}"
        if mark:
            attrs += f" color={q(PURPLE)} penwidth=2.5"
        if src.startswith("ct:"):         # drawn from the uplink down to the entry below it
            lines.append(f"{dst}:e -> {src}:e [{attrs} dir=back];")
        else:
            lines.append(f"{src}:e -> {dst}:e [{attrs}];")
    return lines


def _prefix(a: int, l: int) -> str:
    return f"{a >> 24 & 255}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}/{l}"


STATE_CSS = (f"svg.op1-state text{{font-family:{FONT}}}"
             f"svg.op1-state text.m{{font-family:{MONO}}}")


def compact(svg: str, dot: str | None = None) -> str:
    """The rendered diagram, its repeated font attributes replaced by two CSS rules
    (``STATE_CSS``, which a player's page carries once).  With its ``dot`` (a player's), the
    diagram is hidden from assistive technology and followed by its tables as HTML tables,
    hidden from the eye (``text_tables``)."""
    svg = svg.replace(f' font-family="{FONT}"', "").replace(f' font-family="{MONO}"', ' class="m"')
    svg = svg.replace(SLACK_TEXT + "</text>", "</text>")        # room laid out, not shown
    if dot is None:
        return svg.replace("<svg ", '<svg class="op1-state" role="group" aria-label="router tables" ', 1)
    return (svg.replace("<svg ", '<svg class="op1-state" aria-hidden="true" ', 1)
            + f'<div class="op1-vh" role="group" aria-label="router tables">{text_tables(dot)}</div>')


#: The tables in the order the diagram shows them, top to bottom (state_dot's layout).
SCREEN_ORDER = ("cache", "rt", "up", "ct")
_LABEL = re.compile(r"^(\w+) \[label=<(.*)>\];$", re.M)


def text_tables(dot: str) -> str:
    """The tables of ``state_dot``'s ``dot`` as HTML tables, in the order the diagram shows
    them: each titled by a caption, its column headings <th scope=col>, a row per entry with
    its mark's word (NEW, DEL …) as drawn.  A screen reader read the diagram's text as one
    string, the tables in DOT's order, no rows or headers (WCAG 1.3.1, 1.3.2)."""
    labels = dict(_LABEL.findall(dot))
    return "".join(_text_table(labels[n]) for n in SCREEN_ORDER if n in labels)


#: The words of a column the diagram leaves without a heading (its cells say what they are:
#: "NEW", "HIT ct 1"), by the table's title: in the text a screen reader reads, every column is
#: headed (a blank heading was read as nothing, and its cells with no column's name).
UNHEADED = {"Route cache": "this step", "Conntrack / NAT": "entry, this step"}


def _text_table(label: str) -> str:
    rows = re.findall(r"<TR>(.*?)</TR>", label)
    out = ["<table>"]
    title = ""
    for k, row in enumerate(rows):
        cells = re.findall(r"<TD([^>]*)>(.*?)</TD>", row)
        words = [re.sub(r"\s+", " ", re.sub(r"<BR[^>]*/>", " ", re.sub(r"</?(?:B|I|S|FONT)\b[^>]*>", "", t))
                        .replace("&#160;", " ")).strip() for _, t in cells]
        if k == 0:
            out.append(f"<caption>{words[0]}</caption>")
            title = words[0]
            continue
        if not any(words):
            continue                                    # (the empty row a table may end with)
        head = "POINT-SIZE" in row                      # (_table's column headings, small print)
        tds = []
        for (attrs, _), w in zip(cells, words):
            span = re.search(r'COLSPAN="(\d+)"', attrs)
            span = f' colspan="{span.group(1)}"' if span else ""
            if head and not w:
                w = UNHEADED.get(title, "")
            tds.append(f'<th scope="col"{span}>{w}</th>' if head and w else f"<td{span}>{w}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "".join(out)


def finish(svg: str) -> str:
    """A standalone diagram: compact, with its style inside."""
    svg = compact(svg)
    k = svg.index(">", svg.index("<svg")) + 1
    return svg[:k] + f"<style>{STATE_CSS}</style>" + svg[k:]


def state_svg(result, step: int) -> str:
    """The router's routing table, route cache, conntrack/NAT table and the providers'
    filters at ``step`` (a trace index), with what this step did to them marked."""
    check_step(result, step)
    snap = analysis_of(result).snapshots([step])[step]
    return finish(_dot.render_one(state_dot(result, snap)))
