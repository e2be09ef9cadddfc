"""Static replay players: self-contained HTML (pre-rendered frames + a little vanilla JS).

``Player(result)`` replays the packet-level steps of a run: first, back,
play/pause, next, last, speed, a step slider, keys (←, →, space, Home,
End), a narration of every step in an aria-live region, downloads of the
replay's pcapng and text trace.  No CDN, no require.js, no kernel, no
network: the same HTML works in Jupyter, on a static book page, offline.

What does not change between frames is sent once: the network diagram
(each frame is a small patch of classes, a tag and counters), the ladder
(a frame moves its mark); router state diagrams and packet panes are
stored once per distinct content and frames point at them.

``Compare(a, b)`` steps two runs together and flags the steps where they differ.
"""
from __future__ import annotations

import base64
import functools
import json
import math
import re
import zlib
from pathlib import Path

from ..trace import Ev, event_text
from . import _dot
from ._common import clock, flow_text, short_name, title
from .ladder import ROW as LADDER_ROW
from .ladder import ROW_N as LADDER_ROW_N
from .ladder import crossed_lines, ladder_parts, ladder_parts_n, legend as ladder_legend
from .model import MAX_STEPS, analysis_of, check_result, endpoint_node, info_of, resolve_steps
from .narration import narrate
from .pktpane import pane
from .state import compact, state_dot
from .topology import apply as topo_apply
from .topology import base_svg, topo_frame

HERE = Path(__file__).parent


@functools.lru_cache(maxsize=None)
def _asset(name: str) -> str:
    text = (HERE / name).read_text()
    if name.endswith(".js"):
        lines = [l.strip() for l in text.splitlines()]
        return "\n".join(l for l in lines if l and not l.startswith("//"))
    return text.strip()


def _json(obj) -> str:
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return s.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def pack(obj) -> str:
    """Frame data as the page carries it: JSON, deflated (zlib), base64.  Frames repeat
    most of their markup, so this is 10-20 times smaller than the JSON."""
    return base64.b64encode(zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
                                          .encode(), 9)).decode()


#: A data: link's click handler: the file made a blob URL as it is clicked (a Jupyter widget's
#: HTML runs no <script>, but keeps an element's own handler -- ipywidgets' HTML widget, in
#: JupyterLab).  Chapter 10's live player at 1 MB, three subflows, offered its whole run's
#: pcapng as a 6.15 MB data: URL, a URL of megabytes, which the page's panel does not hand a
#: browser (README: blob URLs; headless Chromium downloaded a 10 MB one, 2026-12-06, other
#: browsers were not tried); a blob URL carries no length.  The data: URL stays the link's own
#: until it is clicked, and again a minute after (the blob let go): a front end that runs no
#: handler still has it.  (In a handler a bare ``URL`` is the document's, a string: window.URL.)
BLOB_ON_CLICK = (
    ' onclick="var a=this,u=a.getAttribute(\'href\')||\'\',i=u.indexOf(\';base64,\');'
    "if(u.slice(0,5)!=='data:'||i<0)return;"
    "var s=atob(u.slice(i+8)),b=new Uint8Array(s.length);for(var k=0;k<s.length;k++)b[k]=s.charCodeAt(k);"
    "var x=window.URL.createObjectURL(new Blob([b],{type:u.slice(5,i)}));a.setAttribute('href',x);"
    "setTimeout(function(){window.URL.revokeObjectURL(x);a.setAttribute('href',u)},60000)\"")


def unpack_downloads(html: str) -> dict[str, bytes]:
    """The files of ``Frames.downloads`` in ``html``, by name, packed or not (for tests and
    tools reading a saved page)."""
    out = {}
    for name, attrs in re.findall(r'<a download="([^"]+)"([^>]*)>', html):
        if (z := re.search(r'data-op1-z="([^"]+)"', attrs)) is not None:
            out[name] = zlib.decompress(base64.b64decode(z.group(1)))
        elif (d := re.search(r'href="data:[^,]*;base64,([^"]*)"', attrs)) is not None:
            out[name] = base64.b64decode(d.group(1))
    return out


def unpack(text: str):
    """The inverse of ``pack`` (for tests and tools reading a saved page)."""
    return json.loads(zlib.decompress(base64.b64decode(text)).decode())


class Frames:
    """Everything a player shows for each step of one run, computed from the trace."""

    def __init__(self, result, start=0, stop=None, steps=None, max_steps=MAX_STEPS):
        check_result(result)
        self.result = result
        self.analysis = a = analysis_of(result)
        if steps is not None and not isinstance(steps, (str, Ev)):
            try:
                steps = list(steps)         # (read twice: resolve_steps and below)
            except TypeError:
                pass                        # (resolve_steps says what is wrong with it)
        self.steps, self.total = resolve_steps(result, a, start, stop, steps, max_steps)
        self.start = start
        # Whether the replay's last step is the run's last (of the kinds it shows): not when it
        # was cut at max_steps, stopped before the trace's end, or given as a list of events.  A
        # comparison's shorter replay says so past its end: "this run ... ended", or "this replay
        # ... ends" (ch.8: "this run has no step 17: it ended after 16 steps" of a run that went on).
        self.to_end = (self.total <= len(self.steps) and (stop is None or stop >= len(result.events))
                       and (steps is None or isinstance(steps, (str, Ev))
                            or (isinstance(steps, list) and all(isinstance(s, (str, Ev)) for s in steps))))
        counts = a.uplink_counts(self.steps)
        snaps = a.snapshots(self.steps)
        self.table_t = [clock(snaps[s].t) for s in self.steps]     # the moment each step's tables show
        self.topo = zoomable(base_svg(result))
        self.topo_n = zoomable(base_svg(result, narrow=True))      # a phone's: top to bottom
        dots = [state_dot(result, snaps[s]) for s in self.steps]
        uniq = list(dict.fromkeys(dots))
        index = {d: k for k, d in enumerate(uniq)}
        # (each with its tables as text for a screen reader, from the same DOT: state.text_tables)
        self.states = [compact(svg, dot) for svg, dot in zip(_dot.render(uniq), uniq)]
        self.state_of = [index[d] for d in dots]
        panes = [pane(result, s)["html"] for s in self.steps]
        pidx: dict[str, int] = {}
        self.pkts: list[str] = []
        self.pkt_of = []
        for p in panes:
            if p not in pidx:
                pidx[p] = len(self.pkts)
                self.pkts.append(p)
            self.pkt_of.append(pidx[p])
        chg = [changed_html(result, snaps[s]) for s in self.steps]
        self.chgs = list(dict.fromkeys(chg))
        cidx = {c: k for k, c in enumerate(self.chgs)}
        self.chg_of = [cidx[c] for c in chg]
        self.states = [zoomable(svg) for svg in self.states]
        self.topo_frames = [topo_frame(result, s, counts[s]) for s in self.steps]
        self.narration = [narrate(result, s) for s in self.steps]
        ev = result.events
        self.where = [_where(result, ev[s]) for s in self.steps]

    def __len__(self) -> int:
        return len(self.steps)

    def data(self) -> dict:
        ev = self.result.events
        steps = [{"i": s, "t": clock(ev[s].t), "n": self.narration[k], "w": self.where[k],
                  "topo": self.topo_frames[k], "st": self.state_of[k], "pk": self.pkt_of[k],
                  "cg": self.chg_of[k], "tt": self.table_t[k]}
                 for k, s in enumerate(self.steps)]
        return {"steps": steps, "states": self.states, "pkts": self.pkts, "chgs": self.chgs}

    #: whether the whole run's pcapng and trace are offered beside the replay's (the live panel's
    #: replays): what a cut replay says of its downloads
    whole_files = False

    def cut(self, short: bool = False) -> str:
        """What a replay cut at ``max_steps`` leaves out, in words ('' when it shows every step
        it chose): how many of the run's steps it shows, to when, when the run's last event is
        (and when its simulated time ends, if its timers run on after it), and what the
        downloads hold -- the replay's the steps shown (``pcapng``, ``trace_text``), not the
        whole run.  ``short``: the live panel's status line's words."""
        n, total, ev = len(self.steps), self.total, self.result.events
        if total <= n:
            return ""
        lo, hi = self.steps[0], self.steps[-1]
        # (its times as the step line writes them, from 10 s on in seconds: clock())
        since = f" from {clock(ev[self.start].t)} on" if self.start else ""
        shown = f"the first {n} of the run's {total} steps{since}, to {clock(ev[hi].t)}"
        # the run's end, truly: "the run goes on to 388.447 ms" was its last event's time, where
        # the trace's summary says "simulated time 0.717485 s" (TIME_WAIT's timer, after it)
        last = ev[-1].t
        end = getattr(getattr(self.result, "sim", None), "now", last)
        ends = f"the run's last event is at {clock(last)}" + (
            f" (its simulated time ends at {clock(end)}, with its last timer)" if end > last else "")
        if short:
            files = ("the replay's downloads hold those steps, the whole run's all of it" if self.whole_files
                     else "the downloads hold those steps")
            return f"the replay shows {shown}; {ends}; {files}"
        what = (f"the pcapng the packets of these steps, the trace events {lo}..{hi} and the summary of the "
                "whole run")
        files = (f"The replay's downloads hold only what is shown ({what}); the whole run's hold all of it, as "
                 "python -m sim run writes them." if self.whole_files else
                 f"The downloads hold only what is shown: {what}.")
        return f"This replay shows {shown}; {ends}. {files}"

    def signature(self, k: int) -> tuple:
        """What must be equal for step ``k`` of two runs to count as the same step: the
        event, where it happened, the packet's addresses, flags and length.  Ports are
        left out: NAT models pick different ports by design (7000 vs 5000), and that
        alone is no divergence worth flagging."""
        e = self.result.events[self.steps[k]]
        f = info_of(e)
        pkt = e.pkt
        p = (pkt.ip.src, pkt.ip.dst, getattr(pkt.l4, "flags", None), pkt.load) if pkt is not None else None
        return (getattr(e.ev, "value", e.ev), e.node, f.get("from"), f.get("to"), str(f.get("reason", "")), p)

    def ports(self, k: int) -> tuple | None:
        pkt = self.result.events[self.steps[k]].pkt
        return None if pkt is None else (pkt.sport, pkt.dport)

    def ends(self, k: int) -> tuple[str, str] | None:
        """Step ``k``'s packet's source and destination, ``150.0.0.1:7000``, or None."""
        pkt = self.result.events[self.steps[k]].pkt
        return None if pkt is None else (f"{pkt.ip.src}:{pkt.sport}", f"{pkt.ip.dst}:{pkt.dport}")

    # -- downloads ---------------------------------------------------------------------------

    def pcapng(self) -> bytes:
        """The replay's hops as a pcapng (one interface per link, comments ``event i: ...``);
        a kernel capture's, its captured bytes with its own interfaces and timestamps."""
        return self.result.pcapng_bytes([s for s in self.steps if self.result.events[s].ev is Ev.HOP])

    def trace_text(self) -> str:
        ev = self.result.events
        lo, hi = self.steps[0], self.steps[-1]
        lines = [f"# {self.result.scenario}: {self.result.params_line()}; trace events {lo}..{hi}"]
        lines += [f"{i:6d} {_event_line(ev[i])}" for i in range(lo, hi + 1)]
        lines += [""] + self.result.summary_text()
        return "\n".join(lines) + "\n"

    def part(self) -> tuple[int, int] | None:
        """The first and last trace event of a replay of part of its run -- a window (start=,
        stop=), a list of events (steps=) or cut at max_steps --, whose files hold that part
        only; None for a replay of the whole run."""
        if self.start == 0 and self.to_end:
            return None
        return self.steps[0], self.steps[-1]

    def downloads(self, stem: str, packed: bool = False) -> str:
        """The replay's pcapng and trace as links, named ``stem`` and, for a replay of part of
        its run, the events they hold (``part``): ``-events-812-1030``, "trace events 812 to
        1030" in their names a screen reader says (chapter 10's two replays of one run offered
        files of 38 and 24 steps under one name).  ``packed``: deflated in the page, as the
        frames are, and made into files by the player's script (a Jupyter widget, which runs
        no script, gets data: URLs, made blob URLs as they are clicked: ``BLOB_ON_CLICK``):
        chapter 10's six replays carried 1.7 MB of base64 files, a trace compresses about tenfold."""
        part, said = self.part(), _dot.h(stem)
        if part:
            stem += f"-events-{part[0]}-{part[1]}"
            said += f", trace events {part[0]} to {part[1]}"
        files = ((f"{stem}.pcapng", f"pcapng of {said}", "application/vnd.tcpdump.pcap", self.pcapng(), "pcapng"),
                 (f"{stem}.txt", f"trace of {said}", "text/plain;charset=utf-8", self.trace_text().encode(), "trace"))
        # named by their run too: a page of six replays had six links named "pcapng" alike
        links = "".join(
            f'<a download="{name}" aria-label="{label}" data-op1-type="{kind}" '
            f'data-op1-z="{base64.b64encode(zlib.compress(data, 9)).decode()}">{word}</a>' if packed else
            f'<a download="{name}" aria-label="{label}" href="data:{kind};base64,{base64.b64encode(data).decode()}"'
            f'{BLOB_ON_CLICK}>{word}</a>'
            for name, label, kind, data, word in files)
        return f'<span class="op1-dl">download {links}</span>'

    # -- HTML ------------------------------------------------------------------------------------

    def pane_html(self, label: str | None = None, diverge: set[int] | None = None, of: int = 0) -> str:
        """One replay's views, drawn at its first step, with its frame data (a comparison's pane:
        ``label``, the steps where the runs differ, and ``of``, the comparison's step count)."""
        r = self.result
        head, body, _ = ladder_parts(r, self.steps, self.steps[0], diverge, hide_future=True)
        # ... and a phone's, narrower, shown in its place in a phone's column (player.css)
        head_n, body_n, _ = ladder_parts_n(r, self.steps, self.steps[0], diverge, hide_future=True)
        # the network twice, left to right and (shown in a phone's column, player.css) top to bottom
        topo0 = topo_apply(self.topo, self.topo_frames[0]) + topo_apply(self.topo_n, self.topo_frames[0])
        lab = f'<div class="op1-panelab">{_dot.h(label)}</div>' if label else ""
        # a comparison's two panes name their boxes by their run: a screen reader's list of
        # groups read "network, scrolls" twice, and not which run each was
        who = f"{_dot.h(label)}: " if label else ""
        sub = f'<div class="op1-sub">{_dot.h(r.params_line())}</div>' if label else ""
        tabs = "".join(f'<button type="button" role="tab" data-tab="{t}" aria-selected="{str(t == "ladder").lower()}" '
                       f'tabindex="{0 if t == "ladder" else -1}">{w}</button>'
                       for t, w in (("ladder", "Ladder"), ("state", "Router tables"), ("pkt", "Packet")))
        # The boxes' titles label them, not the page's outline: a heading per box would put four
        # headings per player into the chapter's table of headings, at a level the player can't know.
        # A box that scrolls takes the keyboard's focus (tabindex) so that its arrow keys scroll it.
        # In a comparison each step is announced in both panes: each says which run it is
        # (read with the step, aria-atomic), and a run that has ended says so aloud too.
        LIVE = ' aria-live="polite"'
        # (the script turns the narration's aria-live off while the replay plays: a step every
        # 225-900 ms would flood a screen reader; the step it stops at is said once)
        # The step's place is said with its narration, before it, in one utterance ("Step 3 of 14.
        # ..."): the step counter under the buttons is not a live region (Play would read it at
        # every step), and Next said only the narration.  player.js writes it (op1-narr-pos) into
        # one pane's narration: a comparison says it once.
        # A comparison's shorter run, past its end, shows its last step's narration: marked in the
        # box as its last step (op1-narr-end, shown while the pane has ended: player.css), which a
        # reader took for a step repeated by mistake.  Hidden from a screen reader: the end note
        # above says it aloud.
        pos = '<span class="op1-vh op1-narr-pos"></span>'
        end = (f'<span class="op1-narr-end" aria-hidden="true">Its last step, {len(self.steps)}: </span>'
               if len(self.steps) < of else "")
        narr = (f'<p class="op1-narr" aria-live="polite" aria-atomic="true">{pos}'
                + (f'<span class="op1-vh">{_dot.h(label)}: </span>' if label else "")
                + f'{end}<span class="op1-narr-t">{_dot.h(self.narration[0])}</span></p>')
        return (f'<div class="op1-pane" data-tab="ladder">{lab}{sub}'
                f'<div class="op1-endnote"{LIVE}></div>'   # (a cut replay's says so at its last step)
                f'{narr}'
                # (the strip of what the step did to the tables: above the network, and on a phone
                # under it, so that the narration sits right above the drawing: player.css)
                f'<div class="op1-grid"><div class="op1-what">{self.chgs[self.chg_of[0]]}</div>'
                f'<figure class="op1-box op1-topo-box"><figcaption class="op1-boxh"><span class="op1-whereh">Network · </span><span class="op1-where">'
                f'{_dot.h(self.where[0])}</span></figcaption>{scroll_box("topo", f"{who}network", topo0)}</figure>'
                f'<div class="op1-tabs" role="tablist" aria-label="{who}what to show below the network">{tabs}</div>'
                f'<div class="op1-box op1-ladder-box" data-panel="ladder" role="group" aria-label="{who}ladder">'
                f'<div class="op1-boxh">Ladder: the steps so far'
                f'<label class="op1-allbox"><input type="checkbox" class="op1-all-toggle"> '
                f'show the whole exchange</label></div>{ladder_legend(r)}'
                f'<div class="op1-ladder-scroll op1-ladder-two op1-kscroll" tabindex="0" role="group" aria-label="{who}ladder, scrolls">'
                f'{head}<div class="op1-ladder-clip" style="height:{LADDER_ROW + 6}px">{body}</div>'
                f'{head_n}<div class="op1-ladder-clip op1-ladder-n" style="height:{LADDER_ROW_N + 4}px">{body_n}</div>'
                '</div></div>'
                # (a group, as the ladder's and the packet's: on a phone a tabpanel, which a
                # <figure> with its <figcaption> may not be -- axe's aria-allowed-role)
                f'<div class="op1-box op1-state-box-wrap" data-panel="state" role="group" aria-label="{who}router tables">'
                f'<div class="op1-boxh">Linux router: tables<span class="op1-state-t">, at '
                f'{self.table_t[0]}</span></div>{LEGEND}{TEXT_TOGGLE}'
                f'{scroll_box("state", f"{who}router tables", self.states[self.state_of[0]])}</div>'
                f'<div class="op1-box op1-pkt-wrap" data-panel="pkt" role="group" aria-label="{who}packet">'
                f'<div class="op1-boxh">Packet: its fields and bytes</div>'
                f'{scroll_box("pkt", f"{who}packet", self.pkts[self.pkt_of[0]])}</div>'
                f'</div><script type="application/octet-stream" class="op1-data" data-enc="deflate-base64">'
                f'{pack(self.data())}</script></div>')


#: each view's box that scrolls (player.css: on a narrow screen its drawing at a readable size in
#: it, ``zoomable``): its class, after op1-scroll
SCROLL_CLASS = {"topo": "op1-topo-scroll", "state": "op1-state-box", "pkt": "op1-pkt-box"}


def scroll_box(view: str, name: str, inner: str) -> str:
    """View ``view``'s box that scrolls, holding ``inner``, named ``name`` (", scrolls" after it):
    the static player's (``pane_html``) and ``LivePlayer``'s.  A keyboard stop (tabindex), so
    that its arrow keys scroll it."""
    return (f'<div class="op1-scroll {SCROLL_CLASS[view]} op1-kscroll" tabindex="0" role="group" '
            f'aria-label="{name}, scrolls">{inner}</div>')


#: The router tables as HTML tables in place of the drawing, for the eye too (player.css): the
#: tables a screen reader reads (state.text_tables), which take a reader's own text spacing and
#: wrap, where graphviz laid the drawing's words out once, for normal spacing.
TEXT_TOGGLE = ('<label class="op1-allbox op1-textbox"><input type="checkbox" class="op1-text-toggle"> '
               'show as text</label>')


#: The router tables' kernel words, said once beside them (a reader meets them here first).
LEGEND = ('<p class="op1-legend"><b>iif</b>: the interface the packet came in on · '
          '<b>in_hit</b> / <b>in_slow_tot</b>: the kernel\'s counts of route cache hits and of '
          'lookups in the routing table (the <b>FIB</b>, forwarding information base) · '
          '<b>ct 1</b>: conntrack entry 1, the router\'s record of one connection and its NAT binding</p>')

#: The smallest text a zoomed diagram shows, in CSS px (a phone: see ``zoomable``); on the
#: narrowest phones (under 350 px: a 320 px one) one shrinks to fit its box down to MIN_TEXT_PX_S.
#: (At 10.5 the phone's network drawing read 10.5 to 11.5 px at 360 px: too small without zooming.)
MIN_TEXT_PX = 12
MIN_TEXT_PX_S = 11


def zoomable(svg: str) -> str:
    """A graphviz SVG with ``--op1-zw``: the width (CSS px) at which its smallest text is
    ``MIN_TEXT_PX``, and ``--op1-zw1``, at which it is ``MIN_TEXT_PX_S``.  On a narrow screen
    the player shows it at that width in a scrolling box (centred on the packet) instead of
    shrinking it until nothing can be read (player.css)."""
    sizes = [float(x) for x in re.findall(r'font-size="([\d.]+)"', svg)]
    m = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"', svg)
    if not sizes or m is None:
        return svg
    width = float(m.group(1)) / min(sizes)
    return svg.replace("<svg ", f'<svg style="--op1-zw:{math.ceil(width * MIN_TEXT_PX)}px;'
                       f'--op1-zw1:{math.ceil(width * MIN_TEXT_PX_S)}px" ', 1)


def changed_html(result, snap) -> str:
    """What this step did to the router's tables, in a line or three: the rows the tables
    diagram marks (NEW, HIT, DNAT, DEL ...), so the reason for the step sits next to the
    packet's place even when the full tables are below the fold."""
    items = []
    for key, e in snap.gone_cache.items():
        dst, src, tos, iif = key
        items.append(("DEL", f"route cache {src} → {dst} iif {iif} (said {e['dev']}; {e.get('reason', '')})"))
    for key, mark in snap.marks_cache.items():
        e = snap.cache.get(key)
        if e is None or mark.startswith("del"):
            continue
        dst, src, tos, iif = key
        items.append((mark.upper(), f"route cache {src} → {dst} iif {iif} → {e['dev']}"))
    for key, (mark, dev, t) in snap.since.items():
        dst, src, tos, iif = key
        now = snap.cache.get(key)
        later = (f"since replaced by a later packet's (now → {now['dev']})" if now is not None
                 else "since deleted")
        items.append((mark.upper(), f"route cache {src} → {dst} iif {iif} → {dev}, when this packet was "
                                    f"routed at {clock(t)}; {later}"))
    if snap.nexthop and snap.why and not snap.hit:
        items.append(("FIB", f"{snap.nexthop}: {snap.why}"))
    elif snap.hit and not any(w == "HIT" for w, _ in items):
        # a route cache hit searched no FIB: the entry's own row says HIT (the one that held
        # the key then, replaced since, included); without one, the hit is said here
        items.append(("HIT", f"route cache → {snap.nexthop}"))
    for cid, e in snap.gone_ct.items():
        items.append(("DEL", f"conntrack entry {cid} ({e.get('reason', '')})"))
    for cid, mark in snap.marks_ct.items():
        e = snap.conntrack.get(cid)
        if e is None or mark.startswith("del"):
            continue
        what = {"new": f"conntrack entry {cid}, bound to {e['dev']}",
                "snat": f"conntrack entry {cid}: source rewritten to its {e['dev']} binding",
                "dnat": f"conntrack entry {cid}: destination rewritten back to the LAN host"}
        items.append((mark.upper(), what.get(mark, f"conntrack entry {cid} ({mark})")))
    if snap.routed_at is not None and items:
        # this packet's own routing, marked on the tables of this step's moment
        at = f" (step {snap.routed_step}, where it reached the router)" if snap.routed_step else ""
        items.insert(0, ("ROUTED", f"this packet, at {clock(snap.routed_at)}{at}:"))
    lead, tail = _routed_others(result, snap)
    items = lead + items + tail
    head = '<span class="op1-whath">Router tables, this step:</span> '
    if not items:
        return head + '<span class="op1-whatnone">no change</span>'
    return head + " ".join(f'<span class="op1-whati"><b>{_dot.h(w)}</b> {_dot.h(t)}</span>' for w, t in items)


#: Packets routed since the previous step that a step names one by one; the rest are counted.
NAMED = 4


def _routed_others(result, snap) -> tuple[list, list]:
    """The packets the router routed since the previous step's tables other than this step's
    own (``Snapshot.routed``), each named as the ladder names it, with the step that shows it
    leaving: before the first step, what the router did before the replay begins, and the
    packet this step brings to the router, routed in the same instant (said first); packets
    whose arrival no step shows (said after this step's marks)."""
    ev = result.events
    lead, tail = [], []
    before = [r for r in snap.routed if r.when == "before"]
    if before:
        # packets counted, not the router's events for them ("3575 router decisions for 1783
        # packets" left a reader asking what a decision was): what they left is in the tables
        # (the tables the router has: no route cache since Linux 3.6, no conntrack without NAT)
        from .model import analysis_of
        router = result.net[analysis_of(result).router]
        tables = [t for t, has in (("route cache", router.cache is not None), ("FIB", True),
                                   ("conntrack", router.nat is not None)) if has]
        which = ", ".join(tables[:-1]) + " and " + tables[-1] if len(tables) > 1 else tables[0]
        lead.append(("BEFORE", f"this replay begins, {_span(ev, [r.decisions[0] for r in before])}: "
                               f"{_count(len(before), 'packet')} routed, their {which} entries in the "
                               f"tables below: {_named(ev, before)}"))
    if snap.earlier:
        lead.append(("BEFORE", f"this replay begins, no packet's doing: {_happened(ev, snap.earlier)}"))
    for r in snap.routed:
        if r.when == "now":
            lead.append(("ROUTED", f"now{_to(ev, r)}: {_packet(ev, r)}, {_shown(ev, r)}"))
    later = [r for r in snap.routed if r.when == "meanwhile"]
    for r in later:
        if r.step is not None:
            tail.append(("MEANWHILE", f"routed at {clock(ev[r.decisions[0]].t)}{_to(ev, r)}: {_packet(ev, r)}, "
                                      f"{_shown(ev, r)}"))
    unseen = [r for r in later if r.step is None]
    if unseen:
        n = len(unseen)
        tail.append(("MEANWHILE", f"{n} packet{'s' if n != 1 else ''} this replay does not show: "
                                  f"{_named(ev, unseen)}"))
    return lead, tail


def _named(ev, rs) -> str:
    """Packets routed, each with its time and device, the first ``NAMED`` of them."""
    out = "; ".join(f"{_packet(ev, r)} at {clock(ev[r.decisions[0]].t)}{_to(ev, r)}" for r in rs[:NAMED])
    return out + (f"; and {_count(len(rs) - NAMED, 'more packet')}" if len(rs) > NAMED else "")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _span(ev, js) -> str:
    """``at 1000.000 ms`` or ``from 0.103 ms to 5849.100 ms``: when events ``js`` happened."""
    a, b = min(ev[j].t for j in js), max(ev[j].t for j in js)
    return f"at {clock(a)}" if a == b else f"from {clock(a)} to {clock(b)}"


def _happened(ev, js) -> str:
    """What the router's own events ``js`` (no packet's: a device going down, expiry) did to its
    tables, each with its time, the first ``NAMED`` of them."""
    at: dict = {}                        # time -> what happened then
    for j in js[:NAMED]:
        e = ev[j]
        if e.ev is Ev.CT_DEL:
            what = f"conntrack entry {e.ct} deleted ({e.reason})"
        elif e.ev is Ev.RT_DEL:
            dst, src, tos, iif = e.key
            what = f"route cache {src} → {dst} iif {iif} deleted ({e.reason})"
        else:
            what = event_text(e).split(None, 2)[-1]
        at.setdefault(e.t, []).append(what)
    more = len(js) - NAMED
    return ("; ".join(f"at {clock(t)}, " + ", ".join(w) for t, w in at.items())
            + (f"; and {more} more" if more > 0 else ""))


def _packet(ev, r) -> str:
    """The packet as the ladder names it, as it reached the router (before NAT)."""
    e = ev[r.arrival] if r.arrival is not None else ev[r.decisions[0]]
    if e.pkt is None:
        return "a packet"
    return f"the {short_name(e.pkt)} {flow_text(e.pkt)}"


def _to(ev, r) -> str:
    """`` → if2``: the device its routing chose, if it chose one."""
    devs = [ev[j].dev for j in r.decisions if ev[j].ev in (Ev.RT_MISS, Ev.RT_HIT, Ev.FIB)]
    return f" → {devs[-1]}" if devs else ""


def _shown(ev, r) -> str:
    """Where the replay carries the packet on."""
    if r.step is None:
        return "not shown leaving in this replay"
    return f"shown {'dropped' if ev[r.leaving].ev is Ev.DROP else 'leaving'} at step {r.step}"


def _event_line(e) -> str:
    """``event_text``, or a generic line for an event kind it does not know yet."""
    try:
        return event_text(e)
    except (KeyError, AttributeError, TypeError, ValueError):
        t, k, node, pkt = e.t, e.ev, e.node, e.pkt
        fields = " ".join(f"{n}={v}" for n, v in info_of(e).items())
        return (f"{t // 1_000_000}.{t % 1_000_000:06d} {node:<18} {getattr(k, 'value', k):<8} {fields}"
                + (f"  IP {pkt.summary()}" if pkt is not None else ""))


def _where(result, e) -> str:
    f = info_of(e)
    if e.ev is Ev.HOP:
        return f"on {e.node}: {f['from']} → {f['to']}"
    return f"{getattr(e.ev, 'value', e.ev)} at {e.node}"


BUTTONS = (("first", "first step", "⇤", "First"), ("prev", "back one step", "◀", "Back"),
           ("play", "play", "▶", "Play"), ("next", "next step", "▶", "Next"),
           ("last", "last step", "⇥", "Last"))


def _buttons() -> str:
    """The step buttons: a symbol and a word (the word hidden on a narrow screen; the
    aria-label always names the action)."""
    out = []
    for act, aria, sym, word in BUTTONS:
        cls = "op1-pw" if act == "play" else "op1-bw"       # Play/Pause keeps its word: ▶ alone reads as Next
        label = (f'<span aria-hidden="true">{sym}</span><span class="{cls}"> {word}</span>' if act != "next"
                 else f'<span class="op1-bw">{word} </span><span aria-hidden="true">{sym}</span>')
        out.append(f'<button type="button" data-act="{act}" aria-label="{aria}">{label}</button>')
    return "".join(out)


def _bar(frames: int, downloads: str, flag: bool) -> str:
    speeds = "".join(f'<option value="{v}"{" selected" if v == "1" else ""}>{t}</option>'
                     for v, t in (("0.25", "¼×"), ("0.5", "½×"), ("1", "1×"), ("2", "2×"), ("4", "4×")))
    return ('<div class="op1-bar" role="group" aria-label="replay controls">' + _buttons() +
            f'<label class="op1-spd">speed <select class="op1-speed" aria-label="speed">{speeds}</select></label>'
            f'<input class="op1-slider" type="range" min="0" max="{frames - 1}" value="0" step="1" '
            f'aria-label="step" aria-valuetext="step 1 of {frames}">'
            f'<span class="op1-pos" aria-live="off">step 1 / {frames}</span>'
            + ('<span class="op1-flag" aria-live="polite"></span>' if flag else "")
            + downloads + "</div>")


def _float_bar(frames: int) -> str:
    """The same buttons, pinned to the bottom of the window while the player is on screen
    and its own bar has scrolled away (shown by the script)."""
    return ('<div class="op1-float" role="group" aria-label="replay controls, pinned" hidden>' + _buttons()
            + f'<span class="op1-fpos" aria-live="off">1 / {frames}</span></div>')


HINT = ('<div class="op1-hint"><span class="op1-keys">Keys (click the player or Tab into it): ← → step · '
        'space play/pause · Home/End first/last. A ladder row goes to its step when clicked (or Enter on '
        'it; ↑ ↓ move between rows). In a box that scrolls, Tab to it and the arrow keys scroll it. </span>'
        '<span class="op1-taps">A ladder row goes to its step when tapped; a box that fades at an edge '
        'scrolls sideways. </span>A <i>step</i> is one frame of this replay; an <i>event</i> is a line of the '
        "simulator's trace (numbered from 0), as in the ladder and the downloads. The pcapng opens in "
        "Wireshark, each frame's comment giving its event number; a packet is a frame on each link it "
        "crosses (Wireshark calls the copies retransmissions): to read one link, filter "
        "frame.interface_name == \"remote1_link\" and export the displayed frames to a file of "
        "their own (File › Export Specified Packets).</div>")


def _page(body: str) -> str:
    return (f"<style>{_asset('player.css')}\n{_dot_styles()}</style>{body}"
            f"<script>{_asset('player.js')}</script>")


def _dot_styles() -> str:
    from .state import STATE_CSS
    return STATE_CSS


#: The player's keys, its group's description (a screen reader says it on entering the player;
#: the script points aria-describedby at it, and aria-labelledby at the visible title and the
#: line under it, so that two replays on a page are told apart by their own words).
KEYS = ("Keys: left and right arrows step, space plays or pauses, Home and End go to the first "
        "and last step.")


def _title(text: str, heading: str | None) -> str:
    """The player's visible title: a heading ``heading`` (``"h4"``) where the page's outline
    has its place (the live panel's replays, under its h3), else a plain line."""
    tag = heading or "div"
    return f'<{tag} class="op1-title">{_dot.h(text)}</{tag}>'


def _wrap(kind: str, scenario: str, frames: int, aria: str, inner: str, meta: dict) -> str:
    return (f'<div class="op1 op1-{kind}" data-replay="{_dot.h(scenario)}" data-frames="{frames}" '
            f'tabindex="0" role="group" aria-label="{_dot.h(aria)}">{inner}'
            f'<span class="op1-keyhelp" hidden>{_dot.h(KEYS)}</span>'
            f'<script type="application/json" class="op1-meta">{_json(meta)}</script>'
            + _page("") + "</div>")


class _Page:
    """What both players share: their HTML in Jupyter, and a standalone page."""

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path) -> Path:
        """Write a standalone page with this player."""
        from .._io import atomic_write
        return atomic_write(path, standalone_page([self.html()], self.title))


class Player(_Page):
    """A static replay of ``result``: ``Player(sim.run("equalize-nat", seed=1), stop=200)``.

    Steps are trace indices (as in the pcapng comments).  By default the replay
    shows every hop and drop; ``start``/``stop`` window the trace like a slice;
    ``steps`` is an explicit list of trace indices or of event kinds
    (``("hop", "drop", "send")``); ``max_steps`` caps the count (400);
    ``at``: the step (a trace index among those shown) the replay opens at, else its first.
    """

    #: the title's heading level (``"h4"``), where the page's outline has a place for it; None: a
    #: plain line (a notebook's output, a chapter's figure: no heading the outline cannot know)
    heading: str | None = None
    #: said after a replay cut at ``max_steps`` (``Frames.cut``): how to choose other steps
    choose = " (A replay holds at most a few hundred steps; in Python, stop=, steps= or max_steps= choose which.)"
    #: the downloads' name without extension; None: the run's (``Result.download_stem``)
    stem: str | None = None

    def __init__(self, result, title: str | None = None, start: int = 0, stop: int | None = None,
                 steps=None, max_steps: int | None = MAX_STEPS, at: int | None = None):
        check_result(result)
        self.result = result
        self.title = title or f"{result.scenario}"
        self._frames = Frames(result, start, stop, steps, max_steps)
        if at is not None and at not in self._frames.steps:
            raise ValueError(f"at={at!r} is not a step of this replay: its steps are trace indices "
                             f"{self._frames.steps[0]}..{self._frames.steps[-1]} (Player.steps)")
        self._at = 0 if at is None else list(self._frames.steps).index(at)
        self._html: str | None = None

    @property
    def frames(self) -> int:
        """The number of steps the replay shows."""
        return len(self._frames)

    @property
    def steps(self) -> list[int]:
        """The trace index of each step."""
        return list(self._frames.steps)

    def html(self) -> str:
        if self._html is None:
            f = self._frames
            r = self.result
            n = len(f)
            cut = f.cut()
            note = f'<div class="op1-note">{_dot.h(cut)}{_dot.h(self.choose)}</div>' if cut else ""
            stem = self.stem or r.download_stem
            inner = (_title(self.title, self.heading) +
                     f'<div class="op1-sub">{_dot.h(r.scenario)}: {_dot.h(r.params_line())}</div>'
                     + _bar(n, f.downloads(stem, packed=True), False) + note + f.pane_html() + HINT + _float_bar(n))
            aria = f"Replay of {r.scenario}, {n} steps. {KEYS}"      # (the script names it by its title)
            # said at the last step too: a replay cut short must not look like the run's end
            meta = {"frames": n, **({"at": self._at} if self._at else {}), **({"more": cut} if cut else {})}
            self._html = _wrap("player", r.scenario, n, aria, inner, meta)
        return self._html



def _other_ports(a: tuple[str, str], b: tuple[str, str], labels) -> str:
    """The comparison's flag at a step whose packets take the same path with other ports: each
    run's endpoint that differs, its source or its destination (or both) -- "≈ same path, other
    ports: article NAT from 150.0.0.1:7000 · netfilter NAT from 150.0.0.1:5000"."""
    src, dst = a[0] != b[0], a[1] != b[1]

    def end(e):
        return " ".join(([f"from {e[0]}"] if src else []) + ([f"to {e[1]}"] if dst else []))
    return f"≈ same path, other ports: {labels[0]} {end(a)} · {labels[1]} {end(b)}"


def _step_words(frames, k: int, crossed: dict, where: bool = False) -> str:
    """A comparison's run at step ``k`` in a few words, for the flag where the runs differ (on a
    phone the two runs' ladders are 1700 px apart, and the flag said only "≠ the runs differ at
    this step"): "ACK 100.0.0.1:6000 → 200.0.0.1:80 by if1"; ``where``: the hop's lanes too (for
    two steps whose packets read alike but go elsewhere)."""
    if k >= len(frames.steps):
        return "ended"
    r = frames.result
    i = frames.steps[k]
    e, f = r.events[i], info_of(r.events[i])
    pkt = e.pkt
    said = f"{short_name(pkt)} {flow_text(pkt)}" if pkt is not None else ""
    if e.ev is Ev.HOP:
        words = said + (f" by if{crossed[i]}" if i in crossed else "")
        if where:
            words += f" ({title(r, endpoint_node(f['from']))} → {title(r, endpoint_node(f['to']))})"
        return words
    what = (f"dropped by {title(r, e.node)} ({f.get('reason', '')})" if e.ev is Ev.DROP else
            f"{title(r, e.node)}: {f.get('what') or getattr(e.ev, 'value', e.ev)}")
    return f"{said} {what}" if said else what


def _differ_words(fa, fb, k: int, labels, crossed) -> str:
    """The flag at a step where the two runs differ: each run's step ("≠ article NAT: ACK
    100.0.0.1:6000 → 200.0.0.1:80 by if1 · netfilter NAT: ACK 150.0.0.1:5000 → 200.0.0.1:80 by if1")."""
    a, b = _step_words(fa, k, crossed[0]), _step_words(fb, k, crossed[1])
    if a == b:
        a, b = _step_words(fa, k, crossed[0], True), _step_words(fb, k, crossed[1], True)
    return f"≠ {labels[0]}: {a} · {labels[1]}: {b}"


def standalone_page(bodies: list[str], title: str = "1 + 1 < 1") -> str:
    """A page of its own for players (``bodies``): in a ``main`` landmark, the first player's
    title its heading (an ``h1``; each later one's an ``h2``), so that a screen reader's lists of
    landmarks and headings find them, as on the book's pages (book/op1_a11y.py)."""
    heads, n = [], 2 if any("<h1" in b for b in bodies) else 1
    for b in bodies:
        b, made = re.subn(r'<div class="op1-title">(.*?)</div>', rf'<h{n} class="op1-title">\1</h{n}>', b,
                          count=1, flags=re.S)
        n = 2 if made else n
        heads.append(b)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_dot.h(title)}</title>'
            '<style>body{margin:16px;background:#fff}</style></head><body><main>\n'
            + "\n".join(heads) + "\n</main></body></html>\n")


class Compare(_Page):
    """Two runs of a scenario side by side, stepping together, with the steps where
    they differ flagged: ``Compare(sim.run(s, nat="article"), sim.run(s, nat="netfilter"),
    labels=("article NAT", "netfilter NAT"))``."""

    def __init__(self, result_a, result_b, labels=("a", "b"), title: str | None = None,
                 start: int = 0, stop: int | None = None, steps=None, max_steps: int | None = MAX_STEPS):
        check_result(result_a)
        check_result(result_b)
        labels = tuple(labels)
        if len(labels) != 2:
            raise ValueError(f"labels must be two names, got {labels!r}")
        self.results = (result_a, result_b)
        self.labels = labels
        self.title = title or (f"{result_a.scenario}: {labels[0]} vs {labels[1]}")
        stop_b = None if stop is None else min(stop, len(result_b.events))
        stop_a = None if stop is None else min(stop, len(result_a.events))
        self._frames = (Frames(result_a, start, stop_a, steps, max_steps),
                        Frames(result_b, start, stop_b, steps, max_steps))
        fa, fb = self._frames
        self.frames = max(len(fa), len(fb))
        self.diverge = [k >= len(fa) or k >= len(fb) or fa.signature(k) != fb.signature(k)
                        for k in range(self.frames)]
        # the same step but other ports (NAT models choose them differently): noted, not flagged
        self.port_diff = [not d and fa.ports(k) != fb.ports(k) for k, d in enumerate(self.diverge)]
        # ... and which endpoints differ, said in the flag shared by both runs: the second run's
        # ladder is 1700 px below the first's on a phone
        self.port_words = [_other_ports(fa.ends(k), fb.ends(k), labels) if p else None
                           for k, p in enumerate(self.port_diff)]
        # ... and at a step where they differ, what each run does there
        crossed = (crossed_lines(result_a, fa.steps), crossed_lines(result_b, fb.steps))
        self.differ_words = [_differ_words(fa, fb, k, labels, crossed) if d else None
                             for k, d in enumerate(self.diverge)]
        self._html: str | None = None

    @property
    def divergent_steps(self) -> list[int]:
        """Positions (0-based) of the steps where the two runs differ."""
        return [k for k, d in enumerate(self.diverge) if d]

    @property
    def first_divergence(self) -> int | None:
        return next((k for k, d in enumerate(self.diverge) if d), None)

    def html(self) -> str:
        if self._html is None:
            panes = []
            for f, lab in zip(self._frames, self.labels):
                div = {s for k, s in enumerate(f.steps) if self.diverge[k]}
                panes.append(f.pane_html(lab, div, self.frames))
            ra = self.results[0]
            first = self.first_divergence
            summary = ("the two runs take the same steps" if first is None else
                       f"{len(self.divergent_steps)} of {self.frames} steps differ, marked ≠ in the ladders; "
                       f"the first is step {first + 1}")
            nports = sum(self.port_diff)
            if nports:
                summary += (f"; at {nports} {'step' if nports == 1 else 'steps'} the packets take the same "
                            "path with other ports (≈ next to the step number; not counted as a difference)")
            dls = "".join(f.downloads(f"{r.download_stem}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', lab)}", packed=True)
                          .replace('download <a', f'{_dot.h(lab)}: <a')
                          for f, lab, r in zip(self._frames, self.labels, self.results))
            inner = (_title(self.title, None) +
                     f'<div class="op1-sub">{_dot.h(summary[0].upper() + summary[1:])}.</div>'
                     + _bar(self.frames, dls, True) + f'<div class="op1-cmp">{"".join(panes)}</div>' + HINT
                     + _float_bar(self.frames))
            aria = (f"Comparison of two runs of {ra.scenario}: {self.labels[0]} and {self.labels[1]}, "
                    f"{self.frames} steps; {summary}.")
            self._html = _wrap("compare", ra.scenario, self.frames, aria, inner,
                               {"frames": self.frames,
                                "ends": [1 if f.to_end else 0 for f in self._frames],
                                "diverge": [1 if d else 0 for d in self.diverge],
                                "ports": [1 if d else 0 for d in self.port_diff],
                                "portw": self.port_words, "diffw": self.differ_words})
        return self._html

