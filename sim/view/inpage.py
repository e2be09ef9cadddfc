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
import time

from .. import scenarios
from ..policies import CACHED_POLICIES
from ._dot import h

#: The size box's bound: a browser run of a bigger download takes too long for a page.
SIZE_MAX = 1_000_000

_last: dict = {}


def panel_specs(scenario: str, **params) -> list[dict]:
    """The panel's controls: ``LivePlayer``'s, and the download size when the call gives one."""
    from .live import control_specs
    p = scenarios.make_params(scenario, **params)
    specs = control_specs(p)
    if "size" in params:
        specs.append({"name": "size", "label": "size (bytes)", "kind": "int", "value": p.size, "min": 1,
                      "max": max(SIZE_MAX, p.size)})
    return specs


def _control(uid: str, s: dict) -> str:
    name, label, value = s["name"], s["label"], s["value"]
    cid = f"{uid}-{name}"
    if s["kind"] == "bool":
        extra = ""
        if "only_with" in s:
            (other, allowed), = s["only_with"].items()
            extra = f' data-only-with="{h(other)}" data-allowed="{h(" ".join(allowed))}"'
        return (f'<label class="op1-lc op1-lc-bool" for="{cid}"><input type="checkbox" id="{cid}" '
                f'name="{h(name)}"{" checked" if value else ""}{extra}> {h(label)}</label>')
    if s["kind"] == "int":
        return (f'<label class="op1-lc" for="{cid}">{h(label)} <input type="number" id="{cid}" '
                f'name="{h(name)}" value="{value}" min="{s["min"]}" max="{s["max"]}" step="1" '
                f'inputmode="numeric" required></label>')
    plain = all(isinstance(v, str) for _, v in s["choices"])     # else each value is JSON (null, 0.5)
    opts = "".join(f'<option value="{h(v if plain else json.dumps(v))}"{" selected" if v == value else ""}>'
                   f'{h(t)}</option>' for t, v in s["choices"])
    return (f'<label class="op1-lc" for="{cid}">{h(label)} <select id="{cid}" name="{h(name)}"'
            f'{"" if plain else " data-json"}>{opts}</select></label>')


def panel_html(scenario: str, base: str, uid: str, fetch_bytes: int, max_steps: int = 200,
               **params) -> str:
    """The panel for ``LivePlayer(scenario, **params)``: its controls, set to those values,
    a Run button and a status line.  ``base`` is the URL of the live files (Pyodide, Graphviz,
    the worker, this package's archive) relative to the page, ``fetch_bytes`` what the first
    Run fetches; ``uid`` makes the ids unique."""
    specs = panel_specs(scenario, **params)
    shown = {s["name"] for s in specs}
    fixed = {k: v for k, v in params.items() if k not in shown}
    controls = "".join(_control(uid, s) for s in specs)
    limits = {s["name"]: [s["min"], s["max"]] for s in specs if s["kind"] == "int"}
    return (f'<section class="op1-livepanel" data-live data-scenario="{h(scenario)}" '
            f'data-params="{h(json.dumps(fixed, sort_keys=True))}" data-limits="{h(json.dumps(limits))}" '
            f'data-max-steps="{max_steps}" '
            f'data-base="{h(base)}" aria-labelledby="{uid}-h">'
            f'<h3 class="op1-lp-h" id="{uid}-h">Run it here, in this page</h3>'
            f'<p class="op1-lp-note">The simulator runs in your browser (Python compiled to '
            f'WebAssembly, {fetch_bytes / 1e6:.0f} MB fetched on the first Run). Choose the parameters of '
            f'<code>{h(scenario)}</code> and press Run: a replay of the new run appears below, '
            f'the newest first.</p>'
            f'<form class="op1-lp-controls" aria-label="parameters of the run" novalidate>{controls}'
            f'<button type="submit" data-run>Run</button></form>'
            f'<p class="op1-lp-status" role="status" aria-live="polite"></p>'
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
    keeps each drawn DOT text's SVG), and build and dissect each distinct packet once (scapy's
    ``sim.pcap.to_bytes`` and ``pktpane.dissect`` are the slowest parts of a replay under
    Pyodide; a ``Packet`` is an immutable value, and both results are only read)."""
    from .. import pcap
    from . import _dot, pktpane
    _dot.RENDERER = lambda sources: [str(layout(s)) for s in sources]
    pcap.to_bytes = _memo(pcap.to_bytes, key=lambda pkt: (type(pkt.l4), pkt))
    pktpane.dissect = _memo(pktpane.dissect)


def run(scenario: str, fixed: str, values: str, limits: str = "{}") -> str:
    """Run the scenario with the panel's values (JSON) over its fixed parameters (JSON), its
    number boxes held to ``limits`` (JSON ``{name: [min, max]}``, as LivePlayer's boxes are).
    Returns JSON: ``{"events", "ms"}``, or ``{"error"}`` with the simulator's one line."""
    from ..fib import RouteError
    from .live import _check_live
    params = {**json.loads(fixed), **json.loads(values)}
    if params.get("multipath") is not None and params["multipath"] not in CACHED_POLICIES:
        params["equalize"] = False              # a route-cache flag, as in LivePlayer
    t0 = time.perf_counter()
    try:
        p = scenarios.make_params(scenario, **params)
        _check_live(p)
        for name, (lo, hi) in json.loads(limits).items():
            if not lo <= getattr(p, name) <= hi:
                raise scenarios.ParamError(f"{name} {getattr(p, name)} out of range for this page's live "
                                           f"panel: allowed {lo}..{hi}", name)
        result = scenarios.run(scenario, **params)
    except (scenarios.ParamError, RouteError) as e:
        return json.dumps({"error": str(e)})
    _last.clear()
    _last.update(result=result, params=params)
    return json.dumps({"events": len(result.events), "ms": round((time.perf_counter() - t0) * 1000)})


def draw(title: str, max_steps: int) -> str:
    """The last run's replay as JSON ``{"html"}``: the static ``Player``'s HTML, with its own
    script and styles (or ``{"error"}``: a run with no step to show)."""
    from .player import Player
    try:
        return json.dumps({"html": Player(_last["result"], title=title, max_steps=max_steps).html()})
    except ValueError as e:
        return json.dumps({"error": str(e)})
