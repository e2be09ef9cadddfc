"""The live player (ipywidgets 8): the static player's views plus controls that
change the scenario's parameters and re-run it.

    from sim.view import LivePlayer
    LivePlayer("equalize-nat", seed=1, size=3000)

Its controls are those of the book page's live panel (``control_specs``, with the download
size when the call gives one) and, for MPTCP, the number of subflows.  A re-run draws only what the reader sees: the first step's router diagram
and packet (its bytes built with scapy), each further step's when it is
first shown, and the pcapng and trace downloads when asked for.  Diagrams
are cached by their DOT text (``_dot.render``), so a diagram drawn before
costs no ``dot`` run.  ``python -m sim.view.bench`` prints the re-run and
per-step latencies.  Needs a running kernel (Python callbacks); on a static
page use ``Player``.
"""
from __future__ import annotations

import functools
import itertools
import re
import time

from .. import scenarios
from ..policies import CACHED_POLICIES, POLICIES
from ..policies import REGISTRY as POLICY_REGISTRY
from ..natmodels import REGISTRY as NAT_REGISTRY
from ..natmodels import names as nat_models
from ..natmodels import translates
from ..tcp import REMOTE_BEHAVIOURS, REMOTE_HELP
from . import _dot
from ._common import clock
from ._dot import h
from .ladder import ladder_parts
from .model import MAX_STEPS, analysis_of, check_result, resolve_steps
from .narration import narrate
from .pktpane import pane
from .player import BUTTONS as _BUTTONS
from .player import Frames, _asset, _where, scroll_box, zoomable
from .state import STATE_CSS, compact, state_dot
from .topology import apply as topo_apply
from .topology import base_svg, topo_frame

MAX_UPLINKS = 4
AHEAD = 16                   # router diagrams drawn per dot run once the reader steps on
SEED_MAX = 2**53 - 1         # the seed box's bound: the largest integer a browser holds exactly
CONNECTIONS_MAX = 8          # the connections box's bound: more parallel downloads take too long in a page
#: the boxes whose text the run reads as ``python -m sim run`` reads its options: the per-uplink
#: lists (``--down-kbit 2000,512``), the moment a line fails, the moment it comes back and the read
#: timeout (``none``: no line fails, it never comes back, no read timeout), with the example each
#: box's words give
TEXT_BOXES = {"down_kbit": "2000,512", "up_kbit": "512,256", "delay_ms": "10,40", "weights": "2,1",
              "down_at": "1.5", "up_at": "3", "read_timeout": "5"}
NONE_WORD = "none"           # the seconds boxes' word for None, the command line's (--down-at none)
#: what ``none`` means in each box that takes it: the command line's words
NONE_MEANS = {"down_at": "no line fails", "up_at": "the line never comes back", "read_timeout": "no read timeout"}
#: each per-uplink list's unit as ``python -m sim run --help`` puts it before the list's range
LIST_UNITS = {"down_kbit": "kbit/s", "up_kbit": "kbit/s", "delay_ms": "ms", "weights": "W"}
#: what a choice's control is, said before the chosen value's line where that line alone names
#: nothing (``remote``'s "ignore it"): ``python -m sim run --help``'s lead-in
CHOICE_LEADS = {"remote": "what a remote host does with a TCP segment of no connection"}
#: the boxes labelled in words, not by their parameter's name (a student reads "down_kbit" as
#: code): each label, its unit after it as the other boxes have theirs.  The box's hint line ends
#: with the command line's option (``as --down-kbit``), so that the panel still maps one to one to
#: ``python -m sim run``; a refusal names the box by its words and the option (``box_words``).
LABELS = {"down_kbit": "download speed of each uplink (kbit/s)", "up_kbit": "upload speed of each uplink (kbit/s)",
          "delay_ms": "one-way delay of each uplink (ms)", "weights": "weight of each uplink",
          "down_at": "a line fails at (s)", "down_uplink": "which uplink fails", "up_at": "the line comes back at (s)",
          "read_timeout": "a download gives up after no data for (s)"}


#: the boxes that set no parameter of the run, named in a refusal by their label's words alone
#: (no option: ``python -m sim run`` has none): the replay's start (``replay_spec``)
SAID = {"start_at": "“replay from”"}


def box_name(name: str) -> str:
    """How a refusal names box ``name``: its label's words, quoted, and the option the command
    line sets it with (``“a line fails at” (--down-at)``); a box labelled by its name, that name."""
    if name not in LABELS:
        return name
    return f"“{re.sub(r' [(][^()]*[)]$', '', LABELS[name])}” ({scenarios._option_word(name)})"


def box_words(message: str) -> str:
    """A refusal in the words of the boxes the reader sees: each parameter whose box is labelled
    in words (``LABELS``) named by them, the option after them the first time
    (``down_uplink 5 out of range ... give down_uplink 1`` -> ``“which uplink fails”
    (--down-uplink) 5 out of range ... give “which uplink fails” 1``), the replay's start by its
    label's (``SAID``: ``start_at`` -> ``“replay from”``); the rest, the simulator's and the
    command line's words, as they are."""
    for name, words in SAID.items():
        message = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", words, message)
    for name in LABELS:
        first = box_name(name)
        later = first.rsplit(" (", 1)[0]
        n = itertools.count()
        message = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])",
                         lambda m: first if next(n) == 0 else later, message)
    return message


def _as(name: str) -> str:
    """The end of a worded box's hint: the option it is on the command line."""
    return f"; as {scenarios._option_word(name)}" if name in LABELS else ""


AUTO = "auto"                # the replay-from box's word for the automatic start (``replay_from``)
START_MAX = 1e6              # check_start_at's bound: a replay starts below a million simulated seconds
# the views' boxes: (attribute, title); each view is a region (WAI-ARIA) labelled by its title,
# which is not a heading: the player sits inside a page whose own headings are h1-h3
BOXES = (("topology", "Network"), ("ladder", "Ladder"), ("state", "Linux router: tables"),
         ("packet", "Packet"))
#: LivePlayer's own styles: a refused box outlined (its why under it, ``✖ not allowed: …``); in
#: a phone's column each box's label above it, the box the column's width (with the labels
#: beside them, JupyterLab left a box's input some 18 px at 375 px)
LIVE_CSS = (".op1-live .op1-ladder-scroll{max-height:460px}"
            # the ladder at its own size, whatever the column's width: a box narrower than it
            # scrolls sideways (at 375 px, squeezed to the column, its text was some 4 px high);
            # as tall as the rows shown (op1-ladder-clip), its newest row at the box's foot
            # (column-reverse: a scroller that starts at its end; the lanes' titles stay on top)
            ".op1-live .op1-ladder-box svg{max-width:none}"
            ".op1-live .op1-lp-view{max-width:100%}.op1-live .op1-lp-view>.widget-html-content{min-width:0}"
            ".op1-live .op1-ladder-scroll{display:flex;flex-direction:column-reverse}"
            ".op1-live .op1-ladder-scroll>*{flex:0 0 auto;width:max-content}"
            ".op1-live .op1-ladder-scroll>svg:first-child{order:2}"
            # the strip of what the step did to the router's tables whole: player.css caps it at
            # 9em on a phone for the static player, whose script fades its foot and makes it a
            # keyboard stop; here it cut a line in half with no cue that it scrolls
            "@media (max-width:600px){.op1-live .op1-what{max-height:none;overflow:visible}"
            # (a phone: the ladder's box half the screen high, as the static player's)
            ".op1-live .op1-ladder-scroll{max-height:50vh}}"
            # (an HTML widget's text has the widgets' 28 px line height: a status line of 3-4 lines
            # read double-spaced)
            ".op1-live .op1-lp-st .widget-html-content{line-height:1.4}"
            ".op1-live .op1-bad input,.op1-live .op1-bad select{border:2px solid #b00020!important}"
            "@media (max-width:640px){"
            ".op1-live .op1-lcg{width:100%!important;margin-right:0!important;box-sizing:border-box}"
            ".op1-live .op1-lc.widget-inline-hbox{flex-direction:column;align-items:stretch;"
            # (the column's width less the box's own margins: 100% ran 2 px past the column)
            "width:calc(100% - 2 * var(--jp-widgets-margin, 2px))!important;"
            "height:auto;box-sizing:border-box}"
            ".op1-live .op1-lc>.widget-label{width:auto!important;max-width:100%!important;text-align:left;"
            "white-space:normal;overflow:visible;line-height:1.3;margin:0 0 2px}"
            ".op1-live .op1-lc>input,.op1-live .op1-lc>select{width:100%!important;flex:0 0 auto;margin:0}}")
#: ... and player.css's narrow layouts, as the static player has them (its @container rules): the
#: player is their container.  Under 760 px the network and the router's tables at a readable size
#: (``zoomable``'s --op1-zw) in boxes that scroll sideways; under 560 px the network top to bottom
#: and one of ladder, router tables and packet at a time, chosen by tabs (``LivePlayer.tabs``: the
#: player's class op1-lp-tab-<view> says which)
LIVE_CSS += (".op1-live{container-type:inline-size}"
             ".op1-live .op1-lp-tabs{display:none}"
             "@container (max-width:560px){"
             ".op1-live .op1-lp-tabs{display:flex;width:100%;margin:4px 0}"
             ".op1-live .op1-lp-tabs>div{display:flex;width:100%;gap:4px}"
             # (the static player's tabs: the one shown filled, its name underlined)
             ".op1-live .op1-lp-tabs .widget-toggle-button{flex:1 1 auto;width:auto;min-width:0;margin:0;"
             "min-height:40px;padding:0 4px;font-size:13px;border:1px solid #555;border-radius:5px;"
             "background:#f4f4f4;color:#111}"
             ".op1-live .op1-lp-tabs .widget-toggle-button.mod-active{background:#0072B2;border-color:#0072B2;"
             "color:#fff;text-decoration:underline 2px;text-underline-offset:3px}"
             + "".join(f".op1-live:not(.op1-lp-tab-{v}) .op1-lp-box-{v}{{display:none}}"
                       for v in ("ladder", "state", "packet")) + "}")
#: ... and the keyboard's focus ring the book's (player.css: 3 px #0072B2), not ipywidgets' 1 px
#: #64B5F6 (2.08:1 on white), on every control: buttons, boxes, the slider's handle and readout, tabs,
#: the lines' part's title (ipywidgets 8's Collapse header, a keyboard stop by live.js: its ring
#: inset, the title spanning the box that clips it); the phone's tabs inset from their row's ends
#: by the ring's width, or the box around them, which scrolls, cut the ring of the tab at either
#: end (the focused "Packet"'s right side, at 375 px)
LIVE_CSS += (".op1-live .jupyter-button:focus-visible,.op1-live input:focus-visible,.op1-live select:focus-visible,"
             ".op1-live .noUi-handle:focus-visible,.op1-live .widget-readout:focus-visible,"
             ".op1-live .jupyter-widget-Collapse-header:focus-visible,.op1-live a:focus-visible"
             "{outline:3px solid #0072B2!important;outline-offset:1px}"
             # (the lines' title as wide as the player: its ring inside it)
             ".op1-live .jupyter-widget-Collapse-header:focus-visible{outline-offset:-3px}"
             "@container (max-width:560px){.op1-live .op1-lp-tabs>div{padding:0 4px;box-sizing:border-box}}")
#: Play's two labels, the static player's (player.py BUTTONS, player.js): "⏸" (U+23F8) was a
#: missing glyph's box where no font has it and a coloured emoji elsewhere.  The button keeps the
#: width of the wider one (an invisible copy of it under its label, no height, as player.css
#: does for the static player's): Play turning to Pause moved the slider beside it by some 9 px.
PLAY, PAUSE = "▶ Play", "❚❚ Pause"
#: the step buttons' (act, label, tooltip): the static player's labels (player.py's BUTTONS: its
#: symbol before its word, Next's after)
STEP_BUTTONS = tuple((act, f"{word} {sym}" if act == "next" else f"{sym} {word}", tip)
                     for act, tip, sym, word in _BUTTONS if act != "play")
LIVE_CSS += (f'.op1-live .op1-lp-playbtn::after{{content:"{PAUSE}";display:block;height:0;overflow:hidden;'
             "visibility:hidden;white-space:nowrap}")
_players = itertools.count(1)   # the page's element ids of a player's box titles: op1-live<N>-<view>


def a11y_script(W):
    """The player's script (``live.js``), in an Output widget of its own: ipywidgets gives no way
    to set an ARIA attribute, and its HTML widget runs no script, but an Output widget's outputs
    are trusted (JupyterLab, Notebook 7), so a ``<script>`` among them runs each time a view of
    the player is drawn.  It gives the player one live region that says a step when the reader
    stops on it (none while Play plays) and a refusal; the step slider its name and "step 5 of
    14"; the phone's view buttons the roles of tabs; each box its hint and refusal as its
    description; and the keys ← → Home End.  A front end that runs no script shows the player as
    it is, unannounced; the Output holds no text for it to show (``text/plain`` empty)."""
    out = W.Output(layout=W.Layout(height="0px", overflow="hidden", margin="0"))
    out.add_class("op1-lp-a11y")
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"text/html": f"<script>{_asset('live.js')}</script>", "text/plain": ""}},)
    return out


def from_text(scenario: str, name: str, v):
    """A text box's value (``TEXT_BOXES``) as the run takes it: a per-uplink list read as
    ``python -m sim run`` reads ``--down-kbit`` (the same bounds, the same numbers, so the same
    run), the down_at and read_timeout boxes' seconds or ``none`` (None) as it reads
    ``--down-at`` and ``--read-timeout`` (an empty box is refused, as ``--down-at ''`` is).  A
    value that is no text (set from Python) is handed on as it is, for the run to check.  A list
    equal to the scenario's default is the default itself (``[2000]``, not ``[2000.0]``): a
    panel left as it was runs what the command line runs without the option."""
    if not isinstance(v, str):
        return v
    import argparse
    from ..cli import NONE, list_param, seconds_or_none
    if name in NONE_MEANS:
        lo, hi, lo_excluded = scenarios.NULLABLE_BOUNDS[name]
        read = seconds_or_none(name, lo, hi, lo_excluded, NONE_MEANS[name], tick=scenarios.tick_of(name))
        try:
            got = read(v)
        except argparse.ArgumentTypeError as e:
            raise scenarios.ParamError(str(e), name) from None
        return None if got is NONE else got
    try:
        got = list_param(name, name, TEXT_BOXES[name])(v)
    except argparse.ArgumentTypeError as e:
        raise scenarios.ParamError(str(e), name) from None
    default = getattr(scenarios.scenario_defaults(scenario), name)
    return default if got == default else got


def live_params(scenario: str, params: dict, limits: dict | None = None, where: str = "live player"):
    """``scenarios.make_params`` for a live player's controls.  A number box's value must also be
    one the box holds -- the seed box 0..``SEED_MAX``, the others ``limits`` ({name: (min, max)})
    -- and a bad one, whatever is wrong with it, is named with the box's range, not the wider one
    ``sim.run`` allows (seeds up to 2**63 - 1, where a browser's number box holds integers
    exactly only up to 2**53 - 1).  A text box's value (``TEXT_BOXES``) is read (``from_text``)
    and put back in ``params`` as the run takes it."""
    boxes = {"seed": (0, SEED_MAX), **(limits or {})}
    for name, (lo, hi) in boxes.items():
        if name not in params:
            continue
        v = params[name] = scenarios.plain(params[name])
        # the failing uplink's range is the uplinks there are, once the uplinks box holds a
        # number it allows (the simulator's own words for a value the box holds: make_params)
        n = params.get("uplinks", scenarios.scenario_defaults(scenario).uplinks) if name == "down_uplink" else None
        upto = type(n) is int and 1 <= n <= boxes.get("uplinks", (1, MAX_UPLINKS))[1]
        if isinstance(v, bool) or not isinstance(v, int):
            span = uplink_numbers(n) if upto else f"{lo}..{hi}"
            raise scenarios.ParamError(f"{name} must be an integer {span}, got {v!r}", name)
        if not lo <= v <= hi:
            if upto:
                raise scenarios.ParamError(f"{name} {v} out of range: allowed {uplink_numbers(n)}", name)
            raise scenarios.ParamError(f"{name} {v} out of range for this {where}: allowed {lo}..{hi}", name)
    for name in TEXT_BOXES:
        if name in params:
            params[name] = from_text(scenario, name, params[name])
    p = scenarios.make_params(scenario, **params)
    for name, (lo, hi) in boxes.items():        # a default the controls show must fit its box too
        if name not in params and not lo <= getattr(p, name) <= hi:
            raise scenarios.ParamError(f"{name} {getattr(p, name)} out of range for this {where}: "
                                       f"allowed {lo}..{hi}", name)
    return p


def uplink_numbers(n: int) -> str:
    """The uplinks' numbers, as a refusal says them: ``1..2 (there are 2 uplinks)``, ``1 (there
    is 1 uplink)`` -- the range of the failing uplink's box (its label: ``1 to uplinks``)."""
    return "1 (there is 1 uplink)" if n == 1 else f"1..{n} (there are {n} uplinks)"


def text_value(name: str, v) -> str:
    """What a text box shows for the value ``v`` of its parameter: ``2000,512``, ``none``."""
    return scenarios.fmt_value(v)


def nat_label(name: str) -> str:
    """A NAT model's name as its choice says it: ``none`` says what it means (no NAT: the LAN's
    addresses are public, and the providers route them back; ``natmodels/none.py``)."""
    return name if translates(name) else f"{name} (no NAT: LAN addresses public)"


def choice_hints(name: str) -> dict:
    """What each choice of a choice control is, in the words of ``python -m sim run --help``
    (the policies' and NAT models' ``help``, ``tcp.REMOTE_HELP``): shown under the control,
    for the value chosen."""
    if name == "multipath":
        return {n: c.help for n, c in POLICY_REGISTRY.items() if c.help}
    if name == "nat":
        return {n: c.help for n, c in NAT_REGISTRY.items() if c.help}
    if name == "remote":
        return dict(REMOTE_HELP)
    return {}


def _list_hint(name: str) -> str:
    """What a per-uplink list box is, in the words of ``python -m sim run --help``, with its
    range (the label says the unit) and an example."""
    from ..cli import _g
    lo, hi = scenarios.LIST_BOUNDS[name][:2]
    sep = "; " if name == "weights" else ", "          # (the weights' help ends in a clause of its own)
    return (f"{scenarios.PARAM_HELP[name]}{sep}{LIST_UNITS[name]} {_g(lo)}..{_g(hi)}: one value for every "
            f"uplink, or one per uplink (like {TEXT_BOXES[name]}){_as(name)}")


def _seconds_hint(name: str, what: str, none: str) -> str:
    """What a seconds box (down_at, up_at, read_timeout) is: ``what`` T, its range as ``--help``
    gives it, an example, and what ``none`` means (``none``)."""
    from ..cli import _g
    lo, hi, lo_excluded = scenarios.NULLABLE_BOUNDS[name]
    tick = scenarios.tick_of(name)
    span = (f"above 0, at most {_g(hi)}" if lo == 0 and lo_excluded else
            f"0 or {_g(tick)}..{_g(hi)}" if lo == 0 else f"{_g(lo)}..{_g(hi)}")
    return f"{what} ({span}; like {TEXT_BOXES[name]}); {NONE_WORD}: {none}{_as(name)}"


def hint_html(text: str) -> str:
    """A hint's text as HTML: escaped, its `code` (``ip route ... weight W``, Markdown's
    backticks in ``PARAM_HELP``) set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", h(text))


#: the controls' groups: ``main`` shown, ``lines`` in a part the reader opens (the page's
#: "Lines ..." <details>, LivePlayer's Accordion)
GROUPS = ("main", "lines")


def control_specs(p) -> list[dict]:
    """The parameters a live player offers for ``p`` (a ``Params``), one dict each: ``name``
    (``sim.run``'s keyword), ``label``, ``kind`` (``choice``, ``bool``, ``int`` or ``text``, a
    box whose text the run reads: ``TEXT_BOXES``), ``value`` (a text box's: its text), ``group``
    (``GROUPS``), ``hint`` (what it is, in a line) or for a choice ``hints`` {value: line}, and
    ``choices`` [(label, value)] or ``min``/``max``.  The book page's in-browser panel
    (``sim.view.inpage``) is made from this list and the same lists ``LivePlayer`` uses."""
    policies = tuple(dict.fromkeys(POLICIES + ((p.multipath,) if p.multipath not in POLICIES else ())))
    text = lambda name, label, hint: {"name": name, "label": label, "kind": "text", "group": "lines",
                                      "value": text_value(name, getattr(p, name)), "hint": hint}
    led = lambda name: {v: f"{CHOICE_LEADS[name]}: {t}" for v, t in choice_hints(name).items()}
    return [
        {"name": "multipath", "label": "multipath", "kind": "choice", "value": p.multipath,
         "choices": [(x, x) for x in policies], "hints": choice_hints("multipath"), "group": "main"},
        {"name": "equalize", "label": "equalize", "kind": "bool", "value": p.equalize,
         "only_with": {"multipath": list(CACHED_POLICIES)}, "group": "main"},
        {"name": "nat", "label": "NAT", "kind": "choice", "value": p.nat,
         "choices": [(nat_label(x), x) for x in nat_models()], "hints": choice_hints("nat"), "group": "main"},
        {"name": "remote", "label": "remote", "kind": "choice", "value": p.remote,
         "choices": [(x, x) for x in REMOTE_BEHAVIOURS], "hints": led("remote"), "group": "main"},
        {"name": "ingress_filter", "label": "ingress filter (BCP 38)", "kind": "bool",
         "value": p.ingress_filter, "group": "main"},
        {"name": "uplinks", "label": "uplinks", "kind": "int", "value": p.uplinks, "min": 1,
         "max": max(MAX_UPLINKS, p.uplinks), "group": "main"},
        {"name": "seed", "label": "seed", "kind": "int", "value": p.seed, "min": 0, "max": SEED_MAX,
         "group": "main"},
        text("down_kbit", LABELS["down_kbit"], _list_hint("down_kbit")),
        text("up_kbit", LABELS["up_kbit"], _list_hint("up_kbit")),
        text("delay_ms", LABELS["delay_ms"], _list_hint("delay_ms")),
        text("weights", LABELS["weights"], _list_hint("weights")),
        text("down_at", LABELS["down_at"], _seconds_hint(
            "down_at", f"the line of the uplink chosen under {box_name('down_uplink').split(' (')[0]} goes down at T s",
            NONE_MEANS["down_at"])),
        # (its range is the uplinks there are: ``upto``, the box whose value is its top)
        {"name": "down_uplink", "label": LABELS["down_uplink"], "kind": "int", "value": p.down_uplink, "min": 1,
         "max": max(MAX_UPLINKS, p.down_uplink), "upto": "uplinks", "group": "lines",
         "hint": f"{scenarios.PARAM_HELP['down_uplink']}, at {box_name('down_at').split(' (')[0]}{_as('down_uplink')}"},
        text("up_at", LABELS["up_at"], _seconds_hint(
            "up_at", f"the line that failed comes back at T s, after {box_name('down_at').split(' (')[0]}: "
                     f"{scenarios.PARAM_HELP['up_at']}", NONE_MEANS["up_at"])),
    ]


def size_spec(p) -> dict:
    """The download size's control, up to the page panel's bound (``inpage.SIZE_MAX``): the
    page's panel and ``LivePlayer`` offer it when the call gives a size."""
    from .inpage import SIZE_MAX
    return {"name": "size", "label": "size (bytes)", "kind": "int", "value": p.size, "min": 1,
            "max": max(SIZE_MAX, p.size), "group": "main"}


def workload_specs(scenario: str, p, given) -> list[dict]:
    """A live player's controls of the workload: the download size when the call (``given``,
    its parameters) gives one, the number of subflows of a workload that has them (MPTCP:
    a subflow per uplink is what puts traffic on a third or fourth uplink), and the number of
    parallel downloads of one that has them."""
    specs = [size_spec(p)] if "size" in given else []
    if "subflows" in scenarios.workload_of(scenario):
        lo, hi = scenarios.INT_BOUNDS["subflows"]
        specs.append({"name": "subflows", "label": "subflows", "kind": "int", "value": p.subflows,
                      "min": lo, "max": max(hi, p.subflows), "group": "main"})
    if "connections" in scenarios.workload_of(scenario):
        specs.append({"name": "connections", "label": "connections", "kind": "int", "value": p.connections,
                      "min": 1, "max": max(CONNECTIONS_MAX, p.connections), "group": "lines",
                      "hint": scenarios.param_help(scenario, "connections")})
    if "read_timeout" in scenarios.workload_of(scenario):
        specs.append({"name": "read_timeout", "label": LABELS["read_timeout"], "kind": "text", "group": "lines",
                      "value": text_value("read_timeout", p.read_timeout),
                      "hint": _seconds_hint("read_timeout", "a downloading client closes after T s without data",
                                            "it waits as long as the run lasts")})
    return specs


def replay_spec(start_at: float | None, max_steps: int) -> dict:
    """The control of where a replay starts (``start_at``, simulated seconds; ``AUTO``: before a
    line's failure the replay would not reach, else ``start_at``, the call's): the page's panel
    and LivePlayer offer it, after the run's controls.  Read by ``replay_from``."""
    from .inpage import BEFORE_FAILURE
    then = f"from {start_at:g} s" if start_at else "from the run's start"
    return {"name": "start_at", "label": "replay from (s)", "kind": "text", "value": AUTO, "group": "main",
            "hint": f"the simulated second the replay starts at (0 or more, below {START_MAX:.0f}; like 0.9), to "
                    f"see a later part of the run; {AUTO}: {max_steps // BEFORE_FAILURE} steps before a line's "
                    f"failure the replay would not reach, else {then}"}


def replay_from(v) -> float | None:
    """The replay-from box's value (``replay_spec``): its seconds (``check_start_at``'s bounds),
    or None for ``AUTO``; a bad one is a ParamError naming ``start_at``."""
    if isinstance(v, str):
        t = v.strip()
        if t.lower() == AUTO:
            return None
        try:
            x = float(t)
        except ValueError:
            x = None
        if x is None or not 0 <= x < START_MAX:
            raise scenarios.ParamError(f"start_at must be simulated seconds, 0 or more and below "
                                       f"{START_MAX:.0f} (like 0.9), or {AUTO} (before a late line failure, else "
                                       f"where this panel's replays start), got {v!r}", "start_at")
        return x
    try:
        return check_start_at(v)
    except ValueError as e:
        raise scenarios.ParamError(str(e), "start_at") from None


def lines_title(specs: list[dict]) -> str:
    """The title of the part of the controls a reader opens (group ``lines``)."""
    names = {s["name"] for s in specs}
    more = (", connections" if "connections" in names else "") + (", a read timeout" if "read_timeout" in names else "")
    return f"Lines: speeds, delays, weights, a failure{more}"


class _PerStep:
    """``fn(event index)`` for each step, computed when first read: ``x[k]``, ``len(x)``."""

    def __init__(self, steps, fn):
        self._steps, self._fn, self._got = steps, fn, {}

    def __len__(self) -> int:
        return len(self._steps)

    def __getitem__(self, k: int):
        if k not in self._got:
            self._got[k] = self._fn(self._steps[k])
        return self._got[k]

    def __iter__(self):
        return (self[k] for k in range(len(self)))


def check_start_at(start_at) -> float | None:
    """``start_at`` (simulated seconds; None: from the start), checked."""
    if start_at is None:
        return None
    start_at = scenarios.plain(start_at)
    if isinstance(start_at, bool) or not isinstance(start_at, (int, float)) or not 0 <= start_at < START_MAX:
        raise ValueError(f"start_at must be simulated seconds, 0 or more and below {START_MAX:.0f} (like 0.2), "
                         f"got {start_at!r}")
    return float(start_at)


def first_at(result, start_at: float | None) -> int:
    """The first event at ``start_at`` seconds or later (0 for None; the last event if the run
    ended before): where a replay that starts there begins."""
    if start_at is None:
        return 0
    t = round(start_at * 1_000_000)
    ev = result.events
    return next((i for i in range(len(ev)) if ev[i].t >= t), max(len(ev) - 1, 0))


class LiveFrames(Frames):
    """A live player's frames: what is cheap for every step at once (narration, where, the
    network diagram's per-step counters), the router diagram and the packet pane of a step
    only when it is first shown.  ``Frames`` draws every step of a static player up front."""

    def __init__(self, result, max_steps=MAX_STEPS, start_at: float | None = None):
        check_result(result)
        start_at = check_start_at(start_at)
        self.result = result
        self.analysis = a = analysis_of(result)
        self.start = first_at(result, start_at)
        try:
            # a start after the run's last event has no step (first_at gives the last event, which
            # a drop would have made a replay of one step)
            if start_at is not None and (not len(result.events) or result.events[-1].t < round(start_at * 1e6)):
                raise ValueError("after the run's end")
            self.steps, self.total = resolve_steps(result, a, self.start, None, None, max_steps)
        except ValueError:
            if start_at is None:
                raise
            # (the last event's time as the status line's cut says it: ``clock``, one formatter)
            end = clock(result.events[-1].t if len(result.events) else 0)
            raise ValueError(f"start_at {start_at:g} s: no packet moves from then on (the run's last event is "
                             f"at {end}): give a start_at before that") from None
        counts = a.uplink_counts(self.steps)
        self._snaps = a.snapshots(self.steps)
        self.table_t = [clock(self._snaps[s].t) for s in self.steps]     # the moment each step's tables show
        self.topo = zoomable(base_svg(result))
        self.topo_n = zoomable(base_svg(result, narrow=True))
        ev = result.events
        self.topo_frames = _PerStep(self.steps, lambda s: topo_frame(result, s, counts[s]))
        self.narration = _PerStep(self.steps, lambda s: narrate(result, s))
        self.where = _PerStep(self.steps, lambda s: _where(result, ev[s]))
        self._state: dict[int, str] = {}
        self._pkt: dict[int, str] = {}

    def window(self) -> str:
        """The moments the replay shows, for a status line: ``the replay shows 490.387 ms to
        533.093 ms (200 steps)``."""
        ev = self.result.events
        n = len(self.steps)
        return (f"the replay shows {clock(ev[self.steps[0]].t)} to {clock(ev[self.steps[-1]].t)} "
                f"({n} step{'' if n == 1 else 's'})")

    def state_html(self, k: int) -> str:
        """Step ``k``'s router diagram, drawn if never shown: the first step's alone (the
        reader waits for it), a later one with the next ``AHEAD`` in the same ``dot`` run."""
        svg = self._state.get(k)
        if svg is None:
            ks = [j for j in range(k, min(len(self.steps), k + (1 if k == 0 else AHEAD)))
                  if j not in self._state]
            dots = [state_dot(self.result, self._snaps[self.steps[j]]) for j in ks]
            for j, one, dot in zip(ks, _dot.render(dots), dots):
                self._state[j] = zoomable(compact(one, dot))
            svg = self._state[k]
        return svg

    def pkt_html(self, k: int) -> str:
        """Step ``k``'s packet pane (its bytes built now if never shown)."""
        p = self._pkt.get(k)
        if p is None:
            p = self._pkt[k] = pane(self.result, self.steps[k])["html"]
        return p


@functools.lru_cache(maxsize=None)
def _number_box(W):
    """A text box for a whole number (one class, made the first time ipywidgets is there): what the reader typed reaches the run as typed, and a bad
    value is named as the box shows it.  Its value is the text typed, or a number set from Python."""
    import traitlets

    class NumberBox(W.Text):
        value = traitlets.Union([traitlets.Unicode(), traitlets.Int()], default_value="",
                                help="the text typed, or a number set from Python").tag(sync=True)
    return NumberBox


@functools.lru_cache(maxsize=None)
def _text_box(W):
    """A box whose text the run reads (``TEXT_BOXES``: ``2000,512``, ``none``), as typed; its value
    may also be set from Python as the parameter itself (``[2000, 512]``, ``0.5``, None)."""
    import traitlets

    class TextBox(W.Text):
        value = traitlets.Union([traitlets.Unicode(), traitlets.Int(), traitlets.Float(), traitlets.List()],
                                default_value="", allow_none=True,
                                help="the text typed, or the parameter's value set from Python").tag(sync=True)
    return TextBox


def _typed_int(v):
    """A number box's value as the run takes it: digits (a sign, spaces around) are the
    integer they write, exactly; anything else is handed on as typed, for the run to name."""
    if isinstance(v, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", v):
        return int(v)
    return v


class LivePlayer:
    """``LivePlayer(scenario, **params)``: ``params`` are ``sim.run``'s (``seed=2``,
    ``nat="netfilter"``, ``size=3000`` …); ``max_steps`` caps the replay (200); ``start_at``
    (simulated seconds) starts it at the first event from then on, where a run's moment of
    interest comes after more steps than the replay shows (the thought question's 0.2 s).  Its
    "replay from (s)" box (``replay_spec``) moves the replay of the run shown, without a re-run:
    ``auto`` starts it before a line's failure the replay would not reach, else at ``start_at``.
    A control changed re-runs it (a box's text once the reader presses Enter or leaves the box),
    and so does its Run button, as the page's panel's; above the replay, what the run did (the
    simulator's summary, as the page's panel shows it)."""

    def __new__(cls, *args, **kwargs):
        from .._needs import IPYWIDGETS, Unavailable, missing_message, widgets_or_none
        if widgets_or_none() is None:        # one line saying what to install, not a traceback
            return Unavailable(missing_message("LivePlayer", "ipywidgets", IPYWIDGETS))
        if not _dot.have_dot():              # every step draws the router's tables with dot
            return Unavailable(f"LivePlayer: {_dot.INSTALL_HINT}")
        return super().__new__(cls)

    def __init__(self, scenario: str, max_steps: int = 200, start_at: float | None = None, **params):
        import ipywidgets as W
        from .inpage import box_label, only_with_words

        p = live_params(scenario, params)                    # ParamError names a bad value
        max_steps = scenarios.plain(max_steps)
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        self.start_at = check_start_at(start_at)
        self.scenario = scenario
        self.max_steps = max_steps
        self.params = dict(params)
        self.preset = dict(params)           # what the call set: the downloads name what differs
        self.result = None
        self.frames: LiveFrames | None = None
        self.runs = 0                        # the runs made: the summary's "Run N"
        self._tried = None                   # the controls' values last run from them, and whether it ran
        self._said = ""                      # the status line of the run shown
        self._uid = f"op1-live{next(_players)}"
        style = {"description_width": "initial"}
        # each box as wide as its label (shown whole: description_width initial) and its input
        # (ems: some ten characters where a list is typed), never wider than the notebook's
        # column; in a phone's column the label goes above its box (the style below)
        inputs = {"uplinks": 4, "seed": 11, "size": 8, "subflows": 4, "down_uplink": 4, "connections": 4,
                  "down_at": 6, "up_at": 6, "read_timeout": 6, "start_at": 6, "down_kbit": 10, "up_kbit": 10,
                  "delay_ms": 8, "weights": 6}

        def widget(s):                     # one widget per control_specs entry
            label = box_label(s)           # (a number box's with its range, as the page's panel's)
            lay = W.Layout(width=f"calc({len(label)}ch + {inputs.get(s['name'], 12)}em)", max_width="100%")
            if s["kind"] == "bool":
                return W.Checkbox(value=s["value"], description=label, indent=False, layout=W.Layout(width="auto"))
            if s["kind"] == "int":
                # not a BoundedIntText, which puts a value out of its range back in silently:
                # the run refuses it, naming the range (self._limits), as the page's panel does;
                # and not an IntText, whose browser box hands on what it makes of the text (2.5
                # ran seed 2, 99999999999999999999 was named as 100000000000000000000)
                c = _number_box(W)(value=s["value"], description=label, style=style, layout=lay,
                                   continuous_update=False)
            elif s["kind"] == "text":
                c = _text_box(W)(value=s["value"], description=label, style=style, layout=lay,
                                 continuous_update=False)
            else:
                c = W.Dropdown(options=s["choices"], value=s["value"], description=label, style=style,
                               layout=W.Layout(width="auto", max_width="100%"))
            c.add_class("op1-lc")          # (a phone's column: its label above it)
            return c
        specs = control_specs(p) + workload_specs(scenario, p, params) + [replay_spec(self.start_at, max_steps)]
        self.replay_at: float | None = None      # the replay box's seconds (None: auto)
        self.controls = {s["name"]: widget(s) for s in specs}
        # what each control is, in a line under it: for a choice, the one chosen (``hints``)
        self._hints = {s["name"]: s["hints"] for s in specs if "hints" in s}
        self.hints = {s["name"]: W.HTML(self._hint_html(s["name"], s.get("hint")))
                      for s in specs if "hints" in s or "hint" in s}
        # why a value was refused, under its box (the page's panel's words: "✖ not allowed")
        self.errors = {s["name"]: W.HTML(layout=W.Layout(display="none")) for s in specs}
        # (live.js: each box described by its hint line and its refusal, the way panel.js does it)
        for name, w in self.hints.items():
            w.add_class("op1-lc-hint")
        for name, w in self.errors.items():
            w.add_class("op1-lc-errw")
        # why a box is off (equalize, a route-cache flag, under a policy without a cache)
        self._only_with = {s["name"]: s["only_with"] for s in specs if "only_with" in s}
        self.why = {s["name"]: W.HTML(f'<span style="font-size:12px;color:#555">{h(only_with_words(s))}</span>',
                                      layout=W.Layout(margin="0 0 0 6px"))
                    for s in specs if "only_with" in s}
        for w in self.why.values():
            w.add_class("op1-lc-why")          # (live.js: in the box's name, as the page's panel has it)

        def column(name):
            c = self.controls[name]
            head = W.HBox([c, self.why[name]], layout=W.Layout(align_items="center")) if name in self.why else c
            parts = [head, self.errors[name]] + ([self.hints[name]] if name in self.hints else [])
            col = W.VBox(parts, layout=W.Layout(max_width="100%", margin="0 1.6em 6px 0"))
            col.add_class("op1-lcg")
            return col
        self._group = {s["name"]: s.get("group", "main") for s in specs}
        groups = {g: [column(s["name"]) for s in specs if s.get("group", "main") == g] for g in GROUPS}
        row = W.Layout(flex_flow="row wrap", align_items="flex-start")
        # the lines' controls (speeds, delays, weights, a failure, connections): one tap away, so
        # that the controls a chapter is about are not lost among them
        self.lines = W.Accordion(children=[W.HBox(groups["lines"], layout=row)], titles=(lines_title(specs),),
                                 selected_index=None)
        self._limits = {s["name"]: (s["min"], s["max"]) for s in specs if s["kind"] == "int"}
        self.controls["equalize"].disabled = p.multipath not in CACHED_POLICIES
        self.run_button = W.Button(description="Run", button_style="primary", layout=W.Layout(width="auto"),
                                   tooltip="run the simulator with these values (a box's new text runs it "
                                           "too, on Enter or on leaving the box)")
        self.run_button.on_click(lambda _b: self.run_now())
        self.status = W.HTML()
        self.status.add_class("op1-lp-st")      # (LIVE_CSS: single-spaced)
        self.summary = W.HTML()
        # the step slider counts from 1, as the step line does ("step 1 / 200")
        self.slider = W.IntSlider(value=1, min=1, max=1, description="step", continuous_update=True,
                                  layout=W.Layout(width="420px", max_width="100%"))
        self.slider.add_class("op1-lp-slider")   # (live.js: named "step", its value "step 5 of 14")
        # the browser plays the replay (a Play widget, hidden: its icon buttons had no names, and
        # its stop went back to step 1); the reader's button plays and pauses where it is
        self.play = W.Play(value=1, min=1, max=1, interval=900, show_repeat=False,
                           layout=W.Layout(display="none"))
        W.jslink((self.play, "value"), (self.slider, "value"))
        self.playing = W.ToggleButton(value=False, description=PLAY, layout=W.Layout(width="auto"),
                                      tooltip="play the replay from this step, a step every 0.9 s "
                                              "(from the last step: from step 1)")
        W.jslink((self.play, "playing"), (self.playing, "value"))
        self.playing.add_class("op1-lp-playbtn")  # (live.js: no step said while it plays)
        self.playing.observe(self._on_playing, "value")
        # (the static player's words: player.py's BUTTONS, "⇥ Last" where this said "Last ⇥")
        self.buttons = {name: W.Button(description=label, layout=W.Layout(width="auto"), tooltip=tip)
                        for name, label, tip in STEP_BUTTONS}
        for name, b in self.buttons.items():
            b.on_click(lambda _b, name=name: self._button(name))
            b.add_class(f"op1-lp-act-{name}")     # (live.js: the keys ← → Home End press them)
        self.pos = W.HTML()
        # each step's words; said by live.js's one live region (this widget's HTML is new at each
        # step, and a live region made holding its words is not read)
        self.narration = W.HTML()
        self.narration.add_class("op1-lp-narr")
        self.changed = W.HTML()              # the static player's "Router tables, this step"
        self.topology = W.HTML()
        self.state = W.HTML()
        self.ladder = W.HTML()
        self.packet = W.HTML()
        for view in (self.topology, self.state, self.ladder, self.packet):
            view.add_class("op1-lp-view")          # (LIVE_CSS: as wide as the column, its box scrolls)
        # a phone's column: one of ladder, router tables and packet below the network, as the
        # static player's tabs choose (shown only there: LIVE_CSS)
        self.tabs = W.ToggleButtons(options=[("Ladder", "ladder"), ("Router tables", "state"), ("Packet", "packet")],
                                    value="ladder", tooltips=["the ladder: the steps so far",
                                                              "the router's tables at this step",
                                                              "the packet: its fields and bytes"],
                                    style={"button_width": "auto"})
        self.tabs.add_class("op1-lp-tabs")
        self.tabs.observe(self._on_tab, "value")
        self.downloads = W.HTML()
        # the pcapng and the trace are built when asked for: a packet's bytes take scapy
        # about a millisecond, too long to spend on every hop of every re-run
        self.prepare = W.Button(description="Downloads…", layout=W.Layout(width="auto"),
                                tooltip="prepare this replay's and the whole run's pcapng and trace for download")
        self.prepare.on_click(lambda _b: self.prepare_downloads())
        css = W.HTML(f"<style>{_asset('player.css')}{STATE_CSS}{LIVE_CSS}</style>")
        self.a11y = a11y_script(W)
        titles = dict(BOXES)
        def box(view):
            b = W.VBox([W.HTML(f'<div id="{self._uid}-{view}" class="op1-live-boxh" '
                               f'style="margin:2px 0;font-size:.75rem;font-weight:bold;'
                               f'letter-spacing:.03em;color:#555">{titles[view]}</div>'),
                        getattr(self, view)],
                       layout=W.Layout(max_width="100%"))   # (a wider view scrolls in it)
            b.add_class(f"op1-lp-box-{view}")               # (a phone's tabs show one: LIVE_CSS)
            return b
        self.widget = W.VBox([
            css,
            self.a11y,
            W.HBox(groups["main"], layout=row),
            self.lines,
            W.HBox([self.run_button]),         # (as wide as its word, not the column)
            self.status,
            self.summary,
            W.HBox([self.buttons["first"], self.buttons["prev"], self.playing, self.buttons["next"],
                    self.buttons["last"], self.slider, self.pos, self.prepare, self.downloads, self.play],
                   layout=W.Layout(flex_flow="row wrap", align_items="center")),
            self.narration,
            self.changed,
            box("topology"),
            self.tabs,
            W.HBox([box("ladder"), box("state")], layout=W.Layout(flex_flow="row wrap")),
            box("packet"),
        ])
        self.widget.add_class("op1-live")
        self.widget.add_class("op1-lp-tab-ladder")
        for name, c in self.controls.items():
            c.observe(self._on_replay if name == "start_at" else self._on_param, "value")
        self.slider.observe(self._on_step, "value")
        self._sync_why()
        self._run()
        self._show_run()
        self._tried = (self._values(), True)

    # -- parameters ------------------------------------------------------------------------

    def _hint_html(self, name: str, hint: str | None = None) -> str:
        """The line under control ``name``: what it is, or, for a choice, what the chosen value is."""
        if name in self._hints:
            hint = self._hints[name].get(self.controls[name].value, "")
        return f'<div style="font-size:12px;line-height:1.3;color:#333;max-width:26em">{hint_html(hint or "")}</div>'

    def _values(self) -> dict:
        v = {k: _typed_int(c.value) if k in self._limits else c.value for k, c in self.controls.items()
             if k != "start_at"}
        if v["multipath"] not in CACHED_POLICIES:
            v["equalize"] = False          # equalize is a route-cache flag
        return v

    def _sync_why(self) -> None:
        """A box off for another's value says why beside it (``only_with_words``), while it is off."""
        for name, why in self.why.items():
            off = any(self.controls[other].value not in allowed for other, allowed in self._only_with[name].items())
            why.layout.display = None if off else "none"

    def _on_param(self, change=None) -> None:
        # equalize is a route-cache flag: shown off under a policy without a cache, and back as
        # it was when the policy has one again (as the page's live panel does)
        eq = self.controls["equalize"]
        off = self.controls["multipath"].value not in CACHED_POLICIES
        if off != eq.disabled:
            eq.unobserve(self._on_param, "value")
            if off:
                self._equalize_was, eq.value = eq.value, False
            else:
                eq.value = getattr(self, "_equalize_was", eq.value)
            eq.disabled = off
            eq.observe(self._on_param, "value")
        self._sync_why()
        for name in self._hints:
            self.hints[name].value = self._hint_html(name)
        self._rerun(self._values(), typed=True)

    def run_now(self) -> bool:
        """The Run button: a run with the controls' values -- unless they are those of the run
        shown (a box's text left by a click on Run has just run it: a run with the same values
        is the same run), which the status line then says.  Returns whether a run was made."""
        if self._tried == (self._values(), True):
            self.status.value = self._said.replace(
                "</span>", " · Run: these values are the run shown (the same values make the same run)</span>", 1)
            return False
        self._on_param()
        return self._tried is not None and self._tried[1]

    def _on_replay(self, change=None) -> None:
        """The replay box changed: the run shown replayed from there (no re-run), or, for a
        value it cannot take, the status line says why (the replay shown kept)."""
        self.replay(self.controls["start_at"].value)

    def replay(self, start_at) -> bool:
        """Replay the run shown from ``start_at`` (simulated seconds, or ``"auto"``: ``replay_spec``);
        a bad value, or one after the run's last step, is said on the status line and under the
        box.  Returns whether the replay was made."""
        self._unmark()
        try:
            at = replay_from(start_at)
            self._t_run = time.perf_counter()
            self._frame(self.result, at)
        except ValueError as e:            # ParamError, or a start with no step after it
            self._mark([("start_at", str(e))])
            self.status.value = (f'<span style="color:#8a3300"><b>Not shown:</b> {h(box_words(str(e)))}; '
                                 f"{h(self._still())}</span>")
            return False
        self.replay_at = at
        box = self.controls["start_at"]
        shown = AUTO if at is None else f"{at:g}"
        if box.value != shown and replay_from(box.value) != at:
            box.unobserve(self._on_replay, "value")
            box.value = shown
            box.observe(self._on_replay, "value")
        self._show_run(new=False)
        return True

    def rerun(self, **changes) -> bool:
        """Re-run with ``changes`` applied; a bad value is shown in the status line and under its
        box (and the last good run kept).  Returns whether the run was made.  A number given here
        beyond its box's range widens the box (as building the player with it does); one typed
        into the box is held to it."""
        return self._rerun(changes, typed=False)

    def _still(self) -> str:
        """What a refusal says of the replay still shown: which run it is."""
        return f"the replay below is still run {self.runs}'s: {self.result.params_line()}"

    def _bad(self, params: dict, changes: dict, limits: dict, e: Exception) -> list:
        """Every control whose value can't be used, as ``[(name, message)]`` (the page's panel's
        ``_bad_values``: all of them at once), or the one problem ``e`` is, when it is no box's."""
        from .inpage import _bad_values
        values = {k: v for k, v in changes.items() if k in self.controls}
        try:
            bad = _bad_values(self.scenario, dict(params), values, limits, self.preset, "live player")
        except Exception:                  # (a value no check can read: the one message)
            bad = []
        # in the order the boxes stand in, the main ones before the lines' (the checks' order put
        # the seed before the uplinks); a problem that is no box's last
        shown = sorted(self.controls, key=lambda n: GROUPS.index(self._group.get(n, "main")))
        order = {name: i for i, name in enumerate(shown)}
        bad = sorted(bad, key=lambda b: order.get(b[0], len(order)))
        return bad or [(getattr(e, "param", None), str(e))]

    def _mark(self, bad: list) -> None:
        """Each refused box outlined, with why under it (``✖ not allowed:``, the page's words);
        one among the lines' controls, their part opened."""
        for name, message in bad:
            if name not in self.errors:
                continue
            self.errors[name].value = (f'<div class="op1-lc-err" style="font-size:12px;line-height:1.3;color:#b00020;'
                                       f'max-width:26em"><b>✖ not allowed:</b> {h(box_words(message))}</div>')
            self.errors[name].layout.display = None
            self.controls[name].add_class("op1-bad")
            if self._group.get(name) == "lines":
                self.lines.selected_index = 0

    def _unmark(self) -> None:
        for name, err in self.errors.items():
            if err.value:
                err.value, err.layout.display = "", "none"
                self.controls[name].remove_class("op1-bad")

    def _rerun(self, changes: dict, typed: bool) -> bool:
        params = {**self.params, **changes}
        limits = dict(self._limits)
        if not typed:
            for k, (lo, hi) in self._limits.items():
                v = changes.get(k)
                if k != "seed" and type(v) is int and v > hi:
                    limits[k] = (lo, v)        # sim.run's own bound still applies
        self._unmark()
        try:
            p = live_params(self.scenario, params, limits)
            self._busy(True)
            try:
                self._run(params)          # changes nothing unless the run and its frames succeed
            finally:
                self._busy(False)
        except ValueError as e:            # ParamError, or a run with no step to show
            # (named by the boxes' words: the box a message names is the one the reader sees),
            # each box's under it too
            bad = self._bad(params, changes, limits, e)
            self._mark(bad)
            said = "; ".join(box_words(m) for _, m in bad)
            self.status.value = (f'<span style="color:#8a3300"><b>Not run:</b> {h(said)}; '
                                 f"{h(self._still())}</span>")
            if typed:
                self._tried = (changes, False)
            return False
        if typed:
            self._tried = (changes, True)
        self._limits = limits
        for k in changes:                  # the controls show the values the run used
            c = self.controls.get(k)
            v = getattr(p, k, None)
            if k in TEXT_BOXES and c is not None and c.value != v:
                v = text_value(k, v)        # (a value set from Python, equal to the run's, is kept)
            if c is None or c.value == v:
                continue
            c.unobserve(self._on_param, "value")
            c.value = v
            c.observe(self._on_param, "value")
        for name in self._hints:            # (a choice set by rerun())
            self.hints[name].value = self._hint_html(name)
        self._sync_why()
        self._show_run()
        return True

    def _busy(self, on: bool) -> None:
        """While a re-run runs (seconds, on a loaded machine): the status line says so and the
        controls, Run, the step buttons and Downloads are disabled.  ipywidgets sends each of
        these to the browser as it is set, while the run goes on; the browser's changes wait
        until the run is over (the kernel handles one message at a time), so a control left
        enabled would queue a run per click.  Equalize, off under a policy without a route
        cache, stays disabled there.  (The browser takes the focus off a control disabled under
        it; live.js gives it back when the control is enabled again.)"""
        if on:
            self.playing.value = False
            # (op1-lp-running: live.js says no step drawn meanwhile, the run's outcome instead)
            self.status.value = ('<span class="op1-lp-running" style="font-family:monospace;font-size:12px" '
                                 f'role="status">{h(self.scenario)}: running…</span>')
        no_cache = self.controls["multipath"].value not in CACHED_POLICIES
        for name, c in self.controls.items():
            c.disabled = on or (name == "equalize" and no_cache)
        for c in (self.run_button, self.playing, self.slider, self.prepare, *self.buttons.values()):
            c.disabled = on

    def _run(self, params: dict | None = None) -> None:
        """Run with ``params`` (default: the current ones) and keep the run, its frames and
        the parameters only if all of it succeeds."""
        params = self.params if params is None else params
        self._t_run = time.perf_counter()
        result = scenarios.run(self.scenario, **params)
        at = getattr(self, "replay_at", None)
        self._frame(result, at, keep_run=True)
        self.params = params
        if at is not None and self.replay_at is None:    # (the run ends before it: replayed as auto)
            box = self.controls["start_at"]
            box.unobserve(self._on_replay, "value")
            box.value = AUTO
            box.observe(self._on_replay, "value")

    def _frame(self, result, at: float | None, keep_run: bool = False) -> None:
        """The replay of ``result`` from ``at`` (the replay box's seconds), or, for None (``auto``),
        from ``start_at`` -- or, when a line fails after the steps that replay shows, from before the
        failure, as the page's panel does (``inpage.failure_start``; the status line says so).
        ``keep_run``: a new run whose last event comes before that start is replayed from its own
        start, and the status line says why (a start left in the replay box from a longer run
        refused every later run, whatever was changed); else such a start is refused."""
        from .inpage import failure_start
        start_at, lead = failure_start(result, self.max_steps, self.start_at) if at is None else (at, "")
        try:
            f = LiveFrames(result, max_steps=self.max_steps, start_at=start_at)
        except ValueError:
            if not keep_run or start_at is None:
                raise
            end = clock(result.events[-1].t if len(result.events) else 0)
            start_at, lead = failure_start(result, self.max_steps, None)
            f = LiveFrames(result, max_steps=self.max_steps, start_at=start_at)
            lead = (f"replay from {at if at is not None else self.start_at:g} s is after this run's last event "
                    f"({end}): the replay starts as auto" + (f"; {lead}" if lead else ""))
            self.replay_at = None
        self.result, self.frames, self.lead = result, f, lead

    def prepare_downloads(self) -> None:
        """Put this replay's and the whole run's pcapng and trace links in the step bar (the
        page's panel's: ``inpage.downloads_html``).  A run ``inpage.whole_too_large`` has its
        whole-run files written beside the notebook instead (``_write_whole``): as data: links, a
        run's files are a third larger again, all through the notebook's connection."""
        from .inpage import downloads_html, whole_too_large
        stem = self.result.live_stem(self.preset)
        if not whole_too_large(self.result):
            html = downloads_html(self.frames, stem, whole=True)
        else:
            html = downloads_html(self.frames, stem, whole_note=self._write_whole(f"{stem}-whole-run"))
        self.downloads.value = f'<span class="op1">{html}</span>'
        self.prepare.layout.display = "none"

    def _write_whole(self, stem: str) -> str:
        """Write the whole run's pcapng and trace into the kernel's folder (the notebook's, in
        JupyterLab and Binder), each streamed to its file as ``python -m sim run`` writes it,
        and say where (HTML): sent as data: links, a run of a million events was 826 MB
        through the notebook's connection, and building them took the kernel past 2 GB."""
        from pathlib import Path
        from .._io import atomic_open
        r = self.result
        pcap, text = Path(f"{stem}.pcapng"), Path(f"{stem}.txt")
        too_many = f"{len(r.events):,} events, too many to send through the notebook"
        try:
            r.write_pcap(str(pcap))
            with atomic_open(text, "w", encoding="utf-8") as f:
                f.writelines(r.text_chunks())
        except OSError as e:
            return (f"{too_many}, and they could not be written beside it ({h(e.strerror or str(e))}: "
                    f"{h(str(e.filename or pcap))}): the player's <code>.result.write_pcap(PATH)</code> "
                    "writes the pcapng, and its <code>.result.text()</code> is the trace")
        size = lambda p: f"{p.stat().st_size / 1e6:,.1f} MB"      # noqa: E731
        return (f"{too_many}: written beside it, <code>{h(pcap.name)}</code> ({size(pcap)}) and "
                f"<code>{h(text.name)}</code> ({size(text)}); download them from the file browser")

    def _summary_html(self) -> str:
        """What the run did, as the page's panel shows it above its replay: the simulator's
        summary (``Result.summary_text``, the end of its trace), under "Run N: ..."."""
        from .inpage import SUMMARY_HEAD
        lines = "".join(f'<div style="white-space:pre-wrap;overflow-wrap:anywhere;padding-left:4ch;'
                        f'text-indent:-4ch">{h(line)}</div>' for line in self.result.summary_text())
        return (f'<div class="op1-lp-sum" role="group" aria-labelledby="{self._uid}-sum" style="margin:4px 0 6px;'
                f'padding:6px 8px;border:1px solid #b8c4d0;border-radius:4px;background:#fff">'
                f'<div id="{self._uid}-sum" style="margin:0 0 4px;font-size:13px;font-weight:bold">'
                f"Run {self.runs}: {h(SUMMARY_HEAD)}</div>"
                f'<div style="font-family:\'DejaVu Sans Mono\',Menlo,Consolas,monospace;font-size:12px;'
                f'line-height:1.4">{lines}</div></div>')

    def _show_run(self, new: bool = True) -> None:
        f = self.frames
        if new:                           # a run (not the run shown replayed from elsewhere)
            self.runs += 1
            self.summary.value = self._summary_html()
        self.downloads.value = ""
        self.prepare.layout.display = None
        n = len(f)
        self.playing.value = False
        self.slider.unobserve(self._on_step, "value")
        self.play.value = self.slider.value = 1
        self.slider.max = self.play.max = n
        self.slider.observe(self._on_step, "value")
        self.show(0)
        # The status line is written last: when it names the new parameters, the views show them.
        more = f" ({self.lead})" if self.lead else ""
        more += f" ({f.cut(short=True)})" if f.cut() else f" ({f.window()})"
        self.last_shown_s = time.perf_counter() - self._t_run
        self.told = self._told(new)
        self.status.value = self._said = (
            f'<span style="font-family:monospace;font-size:12px">{h(self.scenario)}: '
            f"{h(self.result.params_line())} · {len(self.result.events)} events{more} · "
            f"run and drawn in {self.last_shown_s * 1000:.0f} ms</span>"
            f'<span class="op1-vh op1-lp-told">{h(self.told)}</span>')

    def _told(self, new: bool) -> str:
        """What a screen reader is told of a run made, once (live.js: in place of its first step,
        which may read as the last run's did), in the page's panel's form (panel.js) -- ``Run 2:
        seed 5; 1 connection complete; run and drawn in 34 ms.`` -- what the run changed from the
        values the player was made with, how it ended, where its replay starts when not where
        asked (``lead``), how long it took (the kernel's time, as the status line says it); for
        the run shown replayed from elsewhere, where its replay starts."""
        from .inpage import _with_replay, changed_words, outcome_words
        lead = f"{self.lead}; " if self.lead else ""
        took = f"{lead}run and drawn in {self.last_shown_s * 1000:.0f} ms."
        if not new:
            at = AUTO if self.replay_at is None else f"{self.replay_at:g} s"
            return f"Run {self.runs} replayed from {at}; {took}"
        changed = changed_words(self.result, self.preset)
        if changed == "the page's values":      # (the page's panel's words for its page's values)
            changed = "the values the player was made with"
        changed = _with_replay(changed, self.replay_at)
        outcome = outcome_words(self.result)
        return f"Run {self.runs}: {changed}; " + (f"{outcome}; " if outcome else "") + took

    # -- stepping --------------------------------------------------------------------------

    def _on_playing(self, change) -> None:
        self.playing.description = PAUSE if change["new"] else PLAY
        self.playing.tooltip = ("pause at this step" if change["new"] else
                                "play the replay from this step, a step every 0.9 s (from the last step: from step 1)")

    def _button(self, name: str) -> None:
        k, n = self.slider.value - 1, len(self.frames)
        self.step({"first": 0, "prev": k - 1, "next": k + 1, "last": n - 1}[name])

    def step(self, k: int) -> None:
        """Go to step ``k`` (0-based, clamped to the replay; the slider shows ``k + 1``, as the
        step line does)."""
        k = max(0, min(len(self.frames) - 1, k))
        if self.slider.value != k + 1:
            self.slider.value = k + 1      # the observer shows it
        else:
            self.show(k)

    def _on_tab(self, change) -> None:
        """A phone's tab chosen: the player shows that view below the network (LIVE_CSS)."""
        self.widget.remove_class(f"op1-lp-tab-{change['old']}")
        self.widget.add_class(f"op1-lp-tab-{change['new']}")

    def _on_step(self, change) -> None:
        self.show(change["new"] - 1)

    def show(self, k: int) -> None:
        """Show step ``k`` (0-based)."""
        from .player import changed_html
        f = self.frames
        k = scenarios.plain(k)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(f):
            raise ValueError(f"step {k!r} out of range: allowed 0..{len(f) - 1}")
        i = f.steps[k]
        self.pos.value = (f'<span style="font-family:monospace">step {k + 1} / {len(f)} · event {i} · '
                          f"{h(f.where[k])}</span>")
        self.narration.value = f'<p class="op1-narr">{h(f.narration[k])}</p>'
        # what this step did to the router's tables, above the network (the static player's strip)
        self.changed.value = (f'<div class="op1" style="border:0;padding:0"><div class="op1-what">{changed_html(self.result, f._snaps[i])}'
                              f"</div></div>")
        # the network twice, left to right and (a phone's column: player.css) top to bottom, in
        # the static player's box that scrolls: on a narrow screen each drawing is shown at a
        # readable size (``zoomable``), not squeezed to the column (at 375 px: 255 px wide, its
        # text some 3 px high)
        topo = topo_apply(f.topo, f.topo_frames[k]) + topo_apply(f.topo_n, f.topo_frames[k])
        self.topology.value = self._region("topology", f'<div class="op1 op1-topo-box" style="border:0;padding:0">'
                                                       f'{scroll_box("topo", "network", topo)}</div>')
        self.state.value = self._region("state", f'<div class="op1">'
                                                 f'{scroll_box("state", "router tables", f.state_html(k))}</div>')
        # only the rows up to this step: the ladder must not tell what is about to happen
        head, body, _ = ladder_parts(self.result, f.steps, i, hide_future=True, buttons=False)
        # the drawing cut to the rows shown (the static player's op1-ladder-clip): below them the
        # box was empty, to its 460 px
        shown = re.search(r'data-shown="(\d+)"', body)[1]
        clip = f'<div class="op1-ladder-clip" style="height:{shown}px">{body}</div>'
        self.ladder.value = self._region("ladder", f'<div class="op1 op1-ladder-box" style="padding:0">'
                                                   f'<div class="op1-ladder-scroll">{head}{clip}</div></div>')
        self.packet.value = self._region("packet", f'<div class="op1">{scroll_box("pkt", "packet", f.pkt_html(k))}</div>')

    def _region(self, view: str, inner: str) -> str:
        """A view's HTML as a region named by its box's title (the title's element id)."""
        return f'<div role="region" aria-labelledby="{self._uid}-{view}">{inner}</div>'

    @property
    def steps(self) -> list[int]:
        return list(self.frames.steps)

    # -- display ---------------------------------------------------------------------------

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
