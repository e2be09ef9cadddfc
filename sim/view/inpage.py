"""The book page's live panel: the simulator run in the reader's browser.

The built book (``book/op1_inpage.py``) puts a panel after every "Try it live" cell: HTML form
controls made from ``live.control_specs`` (``panel_html``).  On Run the page starts a Web
Worker with Pyodide (CPython compiled to WebAssembly), which unpacks this package and calls
``run`` then ``draw`` below: the same ``sim.run`` and the same ``Player`` HTML as on the static
page, with the DOT diagrams drawn by Graphviz compiled to WebAssembly (``use_renderer``).
Standard library only; nothing here runs on import.
"""
from __future__ import annotations

import json
import re
import time

from .. import scenarios
from ..policies import CACHED_POLICIES
from ._common import clock
from ._dot import h

#: The size box's bound: a browser run of a bigger download takes too long for a page.
SIZE_MAX = 1_000_000

#: A run of more events than this gets no whole-run files made in the page, and ``LivePlayer``
#: writes its own beside the notebook instead of sending them: they take about 600 B an event
#: (pcapng and trace), and a run the boxes allow can have over a million events -- in a
#: notebook, 826 MB of data: links, the kernel at 2.4 GB; in a page, as much again in the
#: worker's memory, which a phone's browser does not give.
WHOLE_MAX_EVENTS = 50_000


def whole_too_large(result) -> bool:
    """Too many events to make the whole run's files in a page or send them from a notebook."""
    return len(result.events) > WHOLE_MAX_EVENTS

_last: dict = {}
#: the frames of the replays drawn, by the page's id of their Run, the newest last, and the
#: panel each Run came from (each panel keeps its own last ``KEEP_RUNS``)
_frames: dict = {}
_panel_of: dict = {}


def panel_specs(scenario: str, **params) -> list[dict]:
    """The panel's controls: ``LivePlayer``'s, with the same workload controls (the download
    size when the call gives one, MPTCP's subflows)."""
    from .live import control_specs, workload_specs
    p = scenarios.make_params(scenario, **params)
    return control_specs(p) + workload_specs(scenario, p, params)


def _control(uid: str, s: dict) -> str:
    """A control's HTML, with the line under it that says what it is (``hint``), or, for a
    choice, what the chosen value is (``hints``: each option carries its line, and the page's
    script shows the chosen one's): one tap away on a phone, where a title= is not.  Each box
    is in a column (``op1-lcg``) where the page's script puts, under the box, why a value was
    refused."""
    from .live import hint_html
    cid = f"{uid}-{s['name']}"
    hint = s["hints"].get(s["value"], "") if "hints" in s else s.get("hint")
    if hint is None:
        return _bare_control(uid, s) if s["kind"] == "bool" else f'<div class="op1-lcg">{_bare_control(uid, s)}</div>'
    return (f'<div class="op1-lcg">{_bare_control(uid, s, f"{cid}-hint")}'
            f'<small id="{cid}-hint" class="op1-lc-hint">{hint_html(hint)}</small></div>')


def _bare_control(uid: str, s: dict, hint_id: str | None = None) -> str:
    name, label, value = s["name"], s["label"], s["value"]
    cid = f"{uid}-{name}"
    described = f' aria-describedby="{hint_id}"' if hint_id else ""
    if s["kind"] == "bool":
        extra = why = ""
        if "only_with" in s:
            (other, allowed), = s["only_with"].items()
            # said beside it and to a screen reader: a box that goes disabled (and out of the Tab
            # order) under another policy said nowhere why (WCAG 3.3.2).  Inside its label, the
            # why is in the box's name, and once only (it was its description too: read twice)
            extra = f' data-only-with="{h(other)}" data-allowed="{h(" ".join(allowed))}"'
            why = f' <small id="{cid}-why" class="op1-lc-why">{h(only_with_words(s))}</small>'
        return (f'<label class="op1-lc op1-lc-bool" for="{cid}"><input type="checkbox" id="{cid}" '
                f'name="{h(name)}"{" checked" if value else ""}{extra}> {h(label)}{why}</label>')
    if s["kind"] == "int":
        # a text box with a digit keypad, not type="number": a number box hides from the page
        # what it cannot read as a number ("1e", "--3" came through as ''), so the message
        # named an empty value beside a box that was not empty; the simulator checks the range
        # its range in its label, before a run is tried ("uplinks (1–4)"; WCAG 3.3.2)
        said = box_label(s)
        # (a box labelled in words: the page's own refusals name it as the simulator's do, box_name)
        from .live import LABELS, box_name
        named = f' data-said="{h(box_name(name))}"' if name in LABELS else ""
        if "upto" in s:         # (its range's top is that box's value: live.live_params)
            named += f' data-upto="{h(s["upto"])}"'
        return (f'<label class="op1-lc" for="{cid}">{h(said)} '
                f'<input type="text" data-int id="{cid}" '
                f'name="{h(name)}" value="{value}" inputmode="numeric" pattern="[0-9]*" '
                f'autocomplete="off" spellcheck="false" required{named}{described}></label>')
    if s["kind"] == "text":
        # its text goes to the simulator as typed, which reads it as python -m sim run reads the
        # option (live.from_text) and names a bad one
        return (f'<label class="op1-lc" for="{cid}">{h(label)} '
                f'<input type="text" data-text id="{cid}" name="{h(name)}" value="{h(value)}" '
                f'autocomplete="off" spellcheck="false"{described}></label>')
    plain = all(isinstance(v, str) for _, v in s["choices"])     # else each value is JSON (null, 0.5)
    hints = s.get("hints", {})
    opts = "".join(f'<option value="{h(v if plain else json.dumps(v))}"{" selected" if v == value else ""}'
                   f'{f" data-hint={chr(34)}{h(hints[v])}{chr(34)}" if v in hints else ""}>'
                   f'{h(t)}</option>' for t, v in s["choices"])
    return (f'<label class="op1-lc" for="{cid}">{h(label)} <select id="{cid}" name="{h(name)}"'
            f'{"" if plain else " data-json"}{described}>{opts}</select></label>')


def box_label(s: dict) -> str:
    """A control's label as the reader sees it, in the page's panel and in ``LivePlayer``: a
    number box's with its range (``uplinks (1–4)``, ``seed (0–2^53−1)``, ``size (1–1000000
    bytes)``; a box whose top is another box's value, as the failing uplink's is the uplinks',
    names that box: ``which uplink fails (1 to uplinks)``), the others' as they are."""
    label = s["label"]
    if s["kind"] != "int":
        return label
    # ("1–uplinks" read as one minus uplinks: words for a top that is another box)
    span = f"{s['min']} to {s['upto']}" if "upto" in s else _range(s["min"], s["max"])
    unit = re.fullmatch(r"(.+) \((\w+)\)", label)        # "size (bytes)": "size (1–1000000 bytes)"
    return f"{unit[1]} ({span} {unit[2]})" if unit else f"{label} ({span})"


def only_with_words(s: dict) -> str:
    """Why a control that needs another's value is off, said beside it (the page's panel and
    ``LivePlayer``): ``(with multipath random or wrr only)``."""
    (other, allowed), = s["only_with"].items()
    return f"(with {other} {' or '.join(allowed)} only)"


def _range(lo: int, hi: int) -> str:
    """A number box's range as its label says it: ``1–4``; the seed's ``0–2^53−1`` (the
    largest integer a browser's number holds exactly, 16 digits too long for a label)."""
    top = f"2^{hi.bit_length()}−1" if hi > 10**6 and (hi + 1) & hi == 0 else str(hi)
    return f"{lo}–{top}"


def fixed_words(fixed: dict) -> str:
    """What a panel runs with and has no control for, said under its title (chapter 9's ran
    Reno senders with no word of it): `` Set here, with no control: cc=reno.``, or ''."""
    from ..scenarios import fmt_value
    if not fixed:
        return ""
    return " Set here, with no control: " + ", ".join(f"{h(k)}={h(fmt_value(v))}" for k, v in fixed.items()) + "."


def text_rules(names) -> dict:
    """The rules of the panel's text boxes among ``names`` (``live.TEXT_BOXES``: the per-uplink
    lists, the seconds-or-none boxes), for the page's script to refuse a bad value before Python
    is fetched, in the words the simulator would use: each message's words are the ones its own
    reader gives (``cli.list_param``, ``cli.seconds_or_none``, through ``live.from_text``) for a
    value it refuses, cut before ", got ", and in the boxes' words (``box_words``).  ``{name:
    {"kind": "list"|"seconds", "lo", "hi", "loExcluded", "integers", "tick", "most", "wants",
    "tooMany", "said"}}``; the simulator checks again after the download and judges the rest."""
    from .live import NONE_MEANS, TEXT_BOXES, box_name, box_words, from_text
    out = {}
    for name in names:
        if name not in TEXT_BOXES:
            continue
        def refusal(text):
            try:
                from_text(None, name, text)
            except scenarios.ParamError as e:
                return box_words(str(e))
            raise AssertionError(f"{name} took {text!r}")      # (never: both are refused)
        wants = refusal("\x7f").rsplit(", got ", 1)[0]
        if name in NONE_MEANS:
            lo, hi, lo_excluded = scenarios.NULLABLE_BOUNDS[name]
            out[name] = {"kind": "seconds", "lo": lo, "hi": hi, "loExcluded": lo_excluded, "integers": False,
                         "tick": scenarios.tick_of(name), "wants": wants}
            if name == "up_at":
                out[name]["after"] = _up_at_words()
            continue
        lo, hi, lo_excluded, integers = scenarios.LIST_BOUNDS[name]
        most = scenarios.MAX_UPLINKS
        out[name] = {"kind": "list", "lo": lo, "hi": hi, "loExcluded": lo_excluded, "integers": integers,
                     "tick": scenarios.tick_of(name), "most": most, "wants": wants,
                     "tooMany": refusal(",".join(["1"] * (most + 1))).rsplit(" ", 1)[0],
                     "said": box_name(name)}
    return out


def _up_at_words() -> dict:
    """The simulator's refusals of a return that comes with no failure, or not after it
    (``Params._check_up_at``), in the boxes' words, for the page's script: ``{"none", "order"}``,
    each with ``{up}`` where the return's seconds go and ``{down}`` the failure's."""
    from types import SimpleNamespace
    from .live import box_words
    up, down = 1234.5, 2345.5                  # (written alike by each of its formats)

    def refusal(down_at):
        try:
            scenarios.Params._check_up_at(SimpleNamespace(up_at=up, down_at=down_at))
        except scenarios.ParamError as e:
            return box_words(str(e)).replace(f"{down:g}", "{down}").replace(f"{up:g}", "{up}")
        raise AssertionError(f"up_at {up} after down_at {down_at} taken")    # (never: both refused)
    return {"none": refusal(None), "order": refusal(down)}


KEEP_RUNS = 4                   # replays a panel keeps; the oldest goes when another comes


def panel_html(scenario: str, base: str, uid: str, fetch_bytes: int, max_steps: int = 200,
               start_at: float | None = None, **params) -> str:
    """The panel for ``LivePlayer(scenario, **params)``: its controls, set to those values,
    a Run button and a status line.  ``base`` is the URL of the live files (Pyodide, Graphviz,
    the worker, this package's archive) relative to the page, ``fetch_bytes`` what the worker
    fetches (on the first parameter changed or Run); ``uid`` makes the ids unique."""
    from .live import check_start_at, replay_spec
    start_at = check_start_at(start_at)
    specs = panel_specs(scenario, **params)
    shown = {s["name"] for s in specs}
    specs.append(replay_spec(start_at, max_steps))            # (the replay's, not the run's: no parameter)
    fixed = {k: v for k, v in params.items() if k not in shown}
    said = fixed_words(fixed)
    if start_at:        # (chapter 3's replays begin 200 ms in: said only by the status line after Run)
        said += f" Each replay starts {start_at * 1000:g} ms into its run (start_at={start_at:g})."
    from .live import lines_title
    main = "".join(_control(uid, s) for s in specs if s.get("group", "main") == "main")
    lines = "".join(_control(uid, s) for s in specs if s.get("group") == "lines")
    # the lines' controls one tap away (closed: a phone's panel is not a wall of boxes)
    controls = main + (f'<details class="op1-lp-more"><summary>{h(lines_title(specs))}</summary>'
                       f'<div class="op1-lp-more-in">{lines}</div></details>' if lines else "")
    limits = {s["name"]: [s["min"], s["max"]] for s in specs if s["kind"] == "int"}
    rules = text_rules(s["name"] for s in specs if s["kind"] == "text")
    return (f'<section class="op1-livepanel" data-live data-scenario="{h(scenario)}" '
            f'data-params="{h(json.dumps(fixed, sort_keys=True))}" data-limits="{h(json.dumps(limits))}" '
            f'data-rules="{h(json.dumps(rules, ensure_ascii=False))}" data-fetch-bytes="{fetch_bytes}" '
            f'data-preset="{h(json.dumps(params, sort_keys=True))}" '
            f'data-max-steps="{max_steps}" data-start-at="{json.dumps(start_at)}" '
            f'data-base="{h(base)}" data-keep="{KEEP_RUNS}" aria-labelledby="{uid}-h">'
            f'<h3 class="op1-lp-h" id="{uid}-h">Run it here, in this page</h3>'
            f'<p class="op1-lp-note">The simulator runs in your browser (Python compiled to '
            f'WebAssembly, {fetch_bytes / 1e6:.0f} MB, fetched when you first change a parameter or press Run, '
            f'then kept on this device for offline use). Choose the parameters of '
            f'<code>{h(scenario)}</code> and press Run: a replay of the new run appears below, '
            f'the newest first; the last {KEEP_RUNS} are kept.{said}</p>'
            # autocomplete off, every box of it: a page the browser reloads on Back shows the page's
            # values, as the panel's state is (its runs are gone), not the last ones typed
            f'<form class="op1-lp-controls" aria-label="parameters of the run" novalidate autocomplete="off">{controls}'
            f'<button type="submit" data-run>Run</button></form>'
            # the stages of a Run, shown; a screen reader hears only its outcome, once, from the
            # live region after it (panel.js tell: what ran, how it ended, how long it took), and
            # a choice's new hint line when the choice changes
            f'<p class="op1-lp-status"></p>'
            f'<p class="op1-lp-said" role="status" aria-live="polite" aria-atomic="true"></p>'
            f'<p class="op1-lp-progress"></p>'
            f'<div class="op1-lp-out"></div></section>')


# -- in the worker -------------------------------------------------------------------------------

#: What the worker keeps between runs (a second run mostly redraws the same diagrams and packets).
CACHE_MAX = 4000


def _memo(fn, key=lambda x: x):
    cache: dict = {}

    def memo(x):
        k = key(x)
        if k not in cache:
            if len(cache) >= CACHE_MAX:
                cache.clear()
            cache[k] = fn(x)
        return cache[k]
    return memo


def use_renderer(layout) -> None:
    """Draw DOT with ``layout(dot_text) -> svg_text`` (Graphviz compiled to WebAssembly; ``_dot``
    keeps each drawn DOT text's SVG), and dissect each distinct packet's bytes once (scapy's
    reading, ``pktpane.dissect``, is one of the slowest parts of a replay under Pyodide; the
    result is only read)."""
    from . import _dot, pktpane
    _dot.RENDERER = lambda sources: [wasm_fonts(s, layout) for s in sources]
    pktpane.dissect = _memo(pktpane.dissect)


#: The fonts Graphviz-in-WebAssembly measures text with, for the lists the diagrams name: it has
#: no fontconfig, knows a few families by name, and measures a list (``"DejaVu Sans Mono,Menlo,
#: …"``) as Times -- a third too narrow for the monospace text, which then overflowed its table
#: cells.  Its Courier and DejaVu Sans measure within a few per cent of the ``dot`` program's.
WASM_FONTS = (("MONO", "Courier"), ("FONT", "DejaVu Sans"))


def wasm_fonts(source: str, layout) -> str:
    """``layout(source)`` with the diagrams' font lists named as Graphviz-in-WebAssembly knows
    them, and put back in the SVG (``state.compact`` and the page's styles read them)."""
    from . import _dot
    for const, known in WASM_FONTS:
        source = source.replace(getattr(_dot, const), known)
    svg = str(layout(source))
    for const, known in reversed(WASM_FONTS):        # the proportional name first: not a prefix of another
        full = getattr(_dot, const)
        svg = svg.replace(f'font-family="{known},monospace"', f'font-family="{full}"')
        svg = svg.replace(f'font-family="{known}"', f'font-family="{full}"')
    return svg


def warm(part: str) -> None:
    """Do ahead, while the reader is still choosing parameters, what only a first replay pays
    for: ``"packets"`` imports scapy's layers (one packet built and dissected), ``"diagrams"``
    makes Graphviz's first layout.  Nothing a replay shows depends on it (the memos keep
    results only)."""
    from . import _dot, pktpane
    if part == "packets":
        from .. import pcap
        from ..packet import IP, TCP, Packet
        pktpane.dissect(pcap.to_bytes(Packet(IP("192.168.0.1", "200.0.0.1"), TCP(40000, 80), 0)))
    elif part == "diagrams":
        _dot.render(["digraph { a -> b }"])
    else:
        raise ValueError(f"warm: no part {part!r}: allowed packets, diagrams")


def run(scenario: str, fixed: str, values: str, limits: str = "{}", preset: str = "{}") -> str:
    """Run the scenario with the panel's values (JSON) over its fixed parameters (JSON), its
    number boxes held to ``limits`` (JSON ``{name: [min, max]}``, as LivePlayer's boxes are).
    ``preset`` (JSON): the cell's parameters, which the downloads' names are relative to
    (``Result.live_stem``).  Returns JSON: ``{"events", "ms"}``, or ``{"error"}`` with the
    simulator's one line."""
    from ..fib import RouteError
    from .live import AUTO, live_params, replay_from
    try:
        given = json.loads(fixed), json.loads(values), json.loads(limits), json.loads(preset)
    except ValueError as e:                     # the page's script writes it: a bug there, named
        return json.dumps({"error": f"the panel's values are not JSON ({e}): {values}"})
    if not all(isinstance(g, dict) for g in given):
        return json.dumps({"error": f"the panel's values are not JSON objects: {fixed} {values} {limits} {preset}"})
    values = dict(given[1])
    replay = values.pop("start_at", AUTO)                   # the replay-from box: where the replay starts
    params = {**given[0], **values}
    if params.get("multipath") is not None and params["multipath"] not in CACHED_POLICIES:
        params["equalize"] = False              # a route-cache flag, as in LivePlayer
    t0 = time.perf_counter()
    bad = _bad_values(scenario, params, values, given[2], given[3])
    try:
        replay = replay_from(replay)
    except scenarios.ParamError as e:
        bad.append((e.param, str(e)))
    if bad:
        return _refused(bad)
    try:
        live_params(scenario, params, given[2], "page's live panel")
        result = scenarios.run(scenario, **params)
        stem = result.live_stem(given[3])       # (the page's preset: checked as the run's values are)
    except (scenarios.ParamError, RouteError) as e:
        return _refused([(getattr(e, "param", None), str(e))])
    _last.clear()
    _last.update(result=result, params=params, stem=stem, replay=replay, preset=given[3])
    return json.dumps({"events": len(result.events), "ms": round((time.perf_counter() - t0) * 1000)})


def _refused(bad: list) -> str:
    """``run``'s answer for the values ``bad`` ``[(name, message)]``: each message in the words
    of the boxes the reader sees (``live.box_words``: "“a line fails at” (--down-at) must be ...")."""
    from .live import box_words
    bad = [(p, box_words(m)) for p, m in bad]
    return json.dumps({"error": "; ".join(m for _, m in bad), "errors": [{"param": p, "message": m} for p, m in bad]})


#: what ``changed_words`` says first when it was changed: a line's failure
FIRST_SAID = ("down_at", "down_uplink", "up_at")


def changed_words(result, preset: dict, most: int = 3) -> str:
    """What a run of the panel changed from the values its page gave it (``preset``), in the
    words of its boxes, for the line that tells the outcome of a Run: ``NAT netfilter, a line
    fails at 0.5 s``; ``the page's values`` when nothing changed; after ``most`` of them, how many
    more."""
    from ..scenarios import fmt_value
    specs = panel_specs(result.scenario, **preset)
    base = scenarios.make_params(result.scenario, **preset)
    words = []
    for s in specs:
        v, was = getattr(result.params, s["name"], None), getattr(base, s["name"], None)
        if v == was or any(getattr(result.params, k) not in allowed for k, allowed in s.get("only_with", {}).items()):
            continue                    # (equalize, off with a policy without a cache: the policy says it)
        label, unit = re.fullmatch(r"(.+?)(?: \(([^()]+)\))?", s["label"]).groups()
        shown = ("on" if v else "off") if isinstance(v, bool) else fmt_value(v)
        words.append((s["name"] not in FIRST_SAID, f"{label} {shown}" + (f" {unit}" if unit in ("kbit/s", "ms", "s", "bytes") else "")))
    # (a line's failure decides most runs: it was folded into "and 2 more" behind line speeds)
    words = [w for _, w in sorted(words, key=lambda x: x[0])]
    if not words:
        return "the page's values"
    more = len(words) - most
    return ", ".join(words[:most]) + (f" and {more} more" if more > 0 else "")


def outcome_words(result) -> str:
    """How a run ended, in a few words, from its summary: ``2 connections: 1 complete, 1 reset``,
    ``MPTCP download complete``, ``ping: 3 of 4 echoes answered``; '' for a run with none."""
    from collections import Counter
    s = result.summary
    out = []
    ends = Counter("complete" if c["complete"] else "reset" if c["reset"] else
                   "gave up (read timeout)" if c["timed_out"] else
                   "stalled" if c["state"] == "ESTABLISHED" else str(c["state"]).lower()
                   for c in s.get("connections", []))
    n = sum(ends.values())
    first = ("complete", "gave up (read timeout)", "reset", "stalled")
    order = sorted(ends, key=lambda e: (first.index(e) if e in first else len(first), e))
    if n == 1:
        out.append(f"1 connection {order[0]}")
    elif len(ends) == 1:
        out.append(f"{n} connections, all {order[0]}")
    elif n:
        out.append(f"{n} connections: " + ", ".join(f"{ends[e]} {e}" for e in order))
    for m in s.get("mptcp", []):
        out.append("MPTCP download " + ("complete" if m["complete"] else "not complete"))
    for e in s.get("echo", []):
        out.append(f"echo: {e['echoed']} of {e['messages']} messages echoed")
    for p in s.get("pings", []):
        out.append(f"ping: {p['received']} of {p['sent']} echoes answered")
    return "; ".join(out)


def _bad_values(scenario: str, params: dict, values: dict, limits: dict, preset: dict,
                where: str = "page's live panel") -> list:
    """Every control of the panel whose value can't be used, as ``[(name, message)]``, in the
    order ``live_params`` checks them: each one found is put back to the cell's value (or the
    default) and the rest checked again, so that the reader hears of all of them at once.  A
    problem that is no one control's (``param`` None, or not a control) ends the list."""
    from .live import live_params
    tried, bad = dict(params), []
    for _ in range(len(values) + 1):
        try:
            live_params(scenario, dict(tried), limits, where)
            return bad
        except scenarios.ParamError as e:
            if (e.param, str(e)) in bad:        # the box's default is refused as it was: named once
                return bad
            if e.param not in values or any(p == e.param for p, _ in bad):
                return bad + [(e.param if e.param in values else None, str(e))]
            bad.append((e.param, str(e)))
            if e.param in preset:
                tried[e.param] = preset[e.param]
            else:
                tried.pop(e.param)
    return bad


#: The title of a run's summary (``Result.summary_text``), after "Run N: ", above its replay: the
#: page's panel's (``draw``) and ``LivePlayer``'s.
SUMMARY_HEAD = "what it did (the simulator's summary, which ends its trace)"

#: What a step's router tables or packet shows until the worker has drawn it.
WAIT = '<p class="op1-wait">drawing this step…</p>'
#: What the downloads slot shows until the worker has built the run's pcapng and trace.
DL_WAIT = '<span class="op1-dl op1-dl-wait">download: preparing…</span>'


def _page_frames(result, max_steps: int, start_at: float | None = None, replay: float | None = None):
    """A live replay's frames for the page: everything cheap for every step (narration, the
    network's per-step patch, what changed in the tables), the first step's router diagram
    drawn, every other diagram and every packet pane left for ``fill`` (one per step: the
    page's player asks for a step it has not got, and the worker fills the rest while idle).
    ``replay``: the seconds the reader's replay-from box gives, or None (auto: ``start_at``, the
    cell's, or before a line's failure, ``failure_start``)."""
    from .live import LiveFrames
    from .player import changed_html

    class PageFrames(LiveFrames):
        whole_files = True              # the panel offers the whole run's pcapng and trace too

        def __init__(self):
            super().__init__(result, max_steps=max_steps, start_at=start_at)
            self.lead = lead
            chg = [changed_html(result, self._snaps[s]) for s in self.steps]
            self.chgs = list(dict.fromkeys(chg))
            self.chg_of = [self.chgs.index(c) for c in chg]
            n = len(self.steps)
            self.state_of = self.pkt_of = list(range(n))
            self.states = [self.state_html(0)] + [WAIT] * (n - 1)
            self.pkts = [WAIT] * n

        def data(self) -> dict:
            d = super().data()
            d["states"] = [self._state.get(k) for k in range(len(self))]
            d["pkts"] = [self._pkt.get(k) for k in range(len(self))]
            return d

        def cut(self, short: bool = False) -> str:
            """``Frames.cut``, after what ``lead`` says of where the replay starts (said even when
            the replay then shows every step to the run's end); ``short`` (the status line), when
            the replay shows every step it chose, which moments those are (``window``)."""
            more = super().cut(short) or (self.window() if short else "")
            if not self.lead:
                return more
            lead = self.lead if short else self.lead[0].upper() + self.lead[1:] + "."
            return f"{lead}; {more}" if short and more else f"{lead} {more}".strip()

        def downloads(self, stem: str, packed: bool = False) -> str:
            self.stem = stem
            return DL_WAIT

        def fill(self, ks: list[int]) -> dict:
            ks = [k for k in dict.fromkeys(ks) if 0 <= k < len(self)]
            todo = [k for k in ks if k not in self._state]
            dots = [state_dot(self.result, self._snaps[self.steps[k]]) for k in todo]
            for k, svg, dot in zip(todo, _dot.render(dots), dots):
                self._state[k] = zoomable(compact(svg, dot))
            return {"states": {k: self._state[k] for k in todo},
                    "pkts": {k: self.pkt_html(k) for k in ks}}

    from . import _dot
    from .player import zoomable
    from .state import compact, state_dot
    from .live import check_start_at
    start_at = check_start_at(start_at)
    start_at, lead = failure_start(result, max_steps, start_at) if replay is None else (replay, "")
    return PageFrames()


#: Of a replay moved to show a line's failure, the share of its steps before the failure: the
#: last packets that crossed the line, then the failure, then what the hosts and NAT do after it.
BEFORE_FAILURE = 10


def failure_start(result, max_steps: int, start_at: float | None = None) -> tuple[float | None, str]:
    """Where a replay of ``result`` starts (simulated seconds, or None: from the start) and
    what to say of it.  A run whose line fails (``down_at``) after the ``max_steps`` steps a
    replay from ``start_at`` shows, or too near their end to show what follows, starts instead
    ``max_steps // BEFORE_FAILURE`` steps before the failure, and says so ('' when left as it
    was): chapter 9's failure at 0.5 s came 1183 steps in, and its replays ended at 136 ms.
    (A quarter of the steps before it, 50, left 150 after: 35-100 ms of a run whose hosts
    answer the failure a timeout later; the replay-from box shows that later part.)"""
    from ..trace import Ev
    from .live import first_at
    from .model import analysis_of
    a = analysis_of(result)
    ev = result.events
    fail = next((i for i in range(len(ev)) if ev[i].ev is Ev.LINK and ev[i].node == a.router
                 and ev[i].state == "down"), None)
    start = first_at(result, start_at)
    if fail is None or fail < start:
        return start_at, ""
    steps = a.default_steps(start=start, stop=fail + 1)         # (the failure is a step: default_steps)
    before = max_steps // BEFORE_FAILURE
    if len(steps) <= max_steps - before:                       # shown, and enough of what follows
        return start_at, ""
    first = steps[-1 - before]
    at = ev[first].t
    while first > start and ev[first - 1].t == at:           # (first_at: the first event at that moment)
        first -= 1
    fell = len(a.default_steps(start=first, stop=fail))
    line = f"{ev[fail].dev}'s line" if getattr(ev[fail], "dev", None) else "a line"
    return at / 1e6, (f"replay from auto: the replay starts at {clock(at)}, {fell} steps before {line} fails at "
                      f"{clock(ev[fail].t)} (step {fell + 1}), so as to show it; the "
                      f"{len(steps) - 1 - fell} steps before are not shown (replay from, in seconds, shows any other part)")


def draw(title: str, max_steps: int, start_at: str = "null", run=None, panel=None) -> str:
    """The last run's replay as JSON ``{"html", "steps", "cut", "summary"}``: the static ``Player``'s HTML, with
    its own script and styles, drawn at its first step only (``fill`` draws the others, and
    ``downloads`` the pcapng and trace), or ``{"error"}``: a run with no step to show.
    ``start_at``: JSON, simulated seconds where the replay starts, or null (from the start).
    ``cut``: for the status line, what a replay cut at ``max_steps`` leaves out (``Frames.cut``),
    else '' (and where the replay starts, when it starts before a line's failure: ``failure_start``).
    ``summary``: the run's summary (``Result.summary_text``), which the panel shows above it.
    Its files are named after what differs from the panel's preset (``live_stem``).
    Its frames are kept under ``run`` (the page's id of the Run), with those of the
    ``KEEP_RUNS - 1`` replays ``panel`` (the page's id of the panel) drew before it: the panel
    keeps them, and a reader may still step through one while a newer run is drawn.  Another
    panel's replays on the same page are not counted: each panel keeps its own."""
    from .model import check_result
    from .player import Player
    result, replay = _last["result"], _last.get("replay")
    try:
        check_result(result)
        frames = _page_frames(result, max_steps, json.loads(start_at), replay)
    except (ValueError, TypeError) as e:        # (JSON that is no number: the page's script)
        if replay is not None:                  # the reader's replay-from: its box named and marked
            return _refused([("start_at", str(e))])
        return json.dumps({"error": str(e)})
    player = Player.__new__(Player)          # the static player, over frames drawn when asked
    player.result, player.title, player._frames, player._at, player._html = result, title, frames, 0, None
    player.heading = "h4"                    # under the panel's h3
    player.choose = ""                       # (no stop= on a page: Python's way to choose steps)
    player.stem = _last["stem"]
    html = player.html()
    forget(run)
    _frames[run], _panel_of[run] = frames, panel
    for old in [r for r in _frames if _panel_of[r] == panel][:-KEEP_RUNS]:
        forget(old)
    return json.dumps({"html": html, "steps": len(frames), "cut": frames.cut(short=True),
                       "summary": "\n".join(result.summary_text()), "summaryHead": SUMMARY_HEAD,
                       "changed": _with_replay(changed_words(result, _last.get("preset", {})), replay),
                       "outcome": outcome_words(result)})


def _with_replay(changed: str, replay: float | None) -> str:
    """The outcome line's "what ran", with where the reader's replay starts when it is not auto:
    a Run that moved only the replay said the run's sentence again, word for word."""
    if replay is None:
        return changed
    return f"replay from {replay:g} s" + ("" if changed == "the page's values" else f", {changed}")


def _frames_of(run):
    try:
        return _frames[run]
    except KeyError:
        raise LookupError(f"this replay was let go for newer runs' (the page keeps the last {KEEP_RUNS}): "
                          "run it again to see every step") from None


def fill(ks: str, run=None) -> str:
    """The router diagrams and packet panes of the steps ``ks`` (JSON list of positions) of
    the replay drawn for ``run``, as JSON ``{"states": {k: svg}, "pkts": {k: html}}`` for the
    page's player.  The first packet imports scapy."""
    return json.dumps(_frames_of(run).fill(json.loads(ks)))


def downloads(run=None) -> str:
    """The downloads of the replay drawn for ``run`` (JSON ``{"html"}``): the replay's pcapng
    and trace, as the static player has them, and the whole run's (``whole``), whose links the
    page points at the files the worker sends it (their ``data-whole``: ``pcapng``, ``trace``).
    Each file is named by what it holds: ``…-replay``, ``…-whole-run``."""
    f = _frames_of(run)
    if whole_too_large(f.result):
        note = (f"{len(f.result.events):,} events, too many for files made in the page: "
                "<code>python -m sim run</code> with the run's parameters (the first line of its summary) "
                "writes them, the pcapng with <code>--pcap FILE</code>")
        return json.dumps({"html": downloads_html(f, f.stem, whole_note=note)})
    return json.dumps({"html": downloads_html(f, f.stem)})


def downloads_html(f, stem: str, whole: bool = False, whole_note: str | None = None) -> str:
    """``downloads``' links for the frames ``f``, their files named after ``stem``: the page's
    script points the whole run's at the files the worker sends it; ``whole``: they are data:
    URLs too (``LivePlayer``, a Jupyter widget, which runs no script; made when asked for), each
    made a blob URL as it is clicked (``player.BLOB_ON_CLICK``); ``whole_note`` (HTML): said
    after "whole run:" in place of its links (``LivePlayer``: a run too large to send)."""
    import base64
    a, b = h(f"{stem}-replay"), h(f"{stem}-whole-run")
    pcap = base64.b64encode(f.pcapng()).decode()
    text = base64.b64encode(f.trace_text().encode()).decode()
    hrefs, click = {"pcapng": "", "trace": ""}, ""
    if whole:
        from .player import BLOB_ON_CLICK as click     # a widget's data: links, blob URLs when clicked
        r = f.result
        hrefs = {"pcapng": f' href="data:application/vnd.tcpdump.pcap;base64,{base64.b64encode(r.pcapng_bytes()).decode()}"{click}',
                 "trace": f' href="data:text/plain;charset=utf-8;base64,{base64.b64encode(r.text().encode()).decode()}"{click}'}
    # one box in the replay's bar, its two pairs kept whole when it wraps (a phone)
    return (
        f'<span class="op1-dl"><span class="op1-dl-set">replay: <a download="{a}.pcapng" '
        f'aria-label="pcapng of the replay, {a}" href="data:application/vnd.tcpdump.pcap;base64,{pcap}"{click}>pcapng</a>'
        f'<a download="{a}.txt" aria-label="trace of the replay, {a}" '
        f'href="data:text/plain;charset=utf-8;base64,{text}"{click}>trace</a></span> '
        f'<span class="op1-dl-set">whole run: '
        + (whole_note if whole_note is not None else
           f'<a download="{b}.pcapng" data-whole="pcapng" aria-label="pcapng of the whole run, {b}"{hrefs["pcapng"]}>pcapng</a>'
           f'<a download="{b}.txt" data-whole="trace" aria-label="trace of the whole run, {b}"{hrefs["trace"]}>trace</a>')
        + '</span></span>')


def whole(run=None):
    """The whole run of the replay drawn for ``run``: its pcapng (bytes) and its text trace
    (str), each as ``python -m sim run`` writes it (``--pcap FILE``; the trace and summary on
    standard output), for the links ``downloads`` gives; None for a run ``whole_too_large``."""
    r = _frames_of(run).result
    if whole_too_large(r):
        return None                 # (downloads says why)
    return r.pcapng_bytes(), r.text()


def forget(run) -> None:
    """Let the frames of ``run``'s replay go (the page removed it)."""
    _frames.pop(run, None)
    _panel_of.pop(run, None)
