"""Rendering DOT to SVG with graphviz's ``dot`` program, and small SVG helpers.

Several graphs go to one ``dot`` process (it renders every graph of its
input in turn), so a player pays the process start once, not per frame.
The SVG is made compact and safe to inline many times on one page: no XML
prologue, comments or ``<title>`` tooltips, and graphviz's ``id``
attributes become ``data-el`` (ids must be unique in a page; two players
would repeat them).
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess

INSTALL_HINT = ("graphviz's `dot` program was not found on PATH; the diagrams need it: "
                "install graphviz with `sudo apt-get install graphviz` (Debian/Ubuntu), "
                "`brew install graphviz` (macOS) or `conda install graphviz`")

#: Okabe & Ito's colour-blind-safe palette.
BLUE, ORANGE, GREEN, SKY, VERMILLION, PURPLE, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#F0E442", "#666666")
#: The palette's orange darkened, its hue kept (41 degrees): uplink 2's lines and arrows, 3.6:1 on
#: white and 3.1:1 on the ladder's yellow band of the current step (WCAG 1.4.11, 3:1 for what
#: tells the uplinks apart); the palette's own orange is 2.3:1.  Still an orange beside the blue
#: of uplink 1 (hue, not lightness, tells them apart, for every kind of colour blindness: the
#: palette's pair), and dashed.
ORANGE_LINE = "#B37C00"
#: Uplinks 3 and 4's: the palette's green and purple darkened the same way, their hues kept (164
#: and 327 degrees), 4.1:1 on white and 3.5:1 on the yellow band (the palette's own were 3.4 and
#: 3.1:1 on white, 2.9 and 2.6:1 on the band).  Uplink 3's line is dotted, thinner than a dash:
#: more than 3:1.  Each still the palette's hue beside the others', and each has its own dashes.
GREEN_LINE = "#008F68"
PURPLE_LINE = "#AD678E"
#: Uplink k's colour and line style, the same in every view (colour is never the only cue).
UPLINK_STYLES = [(BLUE, "solid", ""), (ORANGE_LINE, "dashed", "7 4"), (GREEN_LINE, "dotted", "2 3"),
                 (PURPLE_LINE, "bold", "10 3 2 3")]
#: The colour of text drawn in a palette colour: the same hue, dark enough to read (WCAG 1.4.3,
#: 4.5:1 on white and on the ladder's yellow band of the current step, even where a reader's
#: browser draws that band in solid yellow; the palette's orange is 2.3:1, its vermillion
#: 3.9:1).  Lines and shapes keep the palette.
TEXT = {BLUE: "#00609A", ORANGE: "#855300", ORANGE_LINE: "#855300", GREEN: "#006B52", GREEN_LINE: "#006B52",
        PURPLE: "#8E4473", PURPLE_LINE: "#8E4473", VERMILLION: "#9E4200", GREY: "#595959"}


def text_colour(colour: str) -> str:
    """The readable text colour of a palette colour (another colour is kept)."""
    return TEXT.get(colour, colour)


FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
MONO = "DejaVu Sans Mono,Menlo,Consolas,monospace"


class GraphvizMissing(RuntimeError):
    """graphviz's ``dot`` is not installed.  IPython shows ``_render_traceback_``'s one line
    (the install hint) instead of a traceback, as for a missing ipywidgets."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def have_dot() -> bool:
    """Whether diagrams can be drawn: graphviz's ``dot`` on PATH, or a ``RENDERER`` set."""
    return RENDERER is not None or shutil.which("dot") is not None


def uplink_style(k: int) -> tuple[str, str, str]:
    """(colour, graphviz style, SVG dash array) of uplink ``k`` (1-based)."""
    return UPLINK_STYLES[(k - 1) % len(UPLINK_STYLES)]


def dot_path() -> str:
    path = shutil.which("dot")
    if path is None:
        raise GraphvizMissing(INSTALL_HINT)
    return path


#: The render hook: a function from a list of DOT sources to graphviz's SVG for each, used
#: instead of the ``dot`` program when set.  The book's in-page live mode (``sim.view.inpage``)
#: sets it to Graphviz compiled to WebAssembly; the SVG still goes through ``clean``.
RENDERER = None


#: Rendered SVG by (renderer, DOT source): a re-run, a second player or a step seen again
#: draws a diagram it has drawn before without running ``dot`` (graphviz's output depends on
#: the source alone).  The oldest entries go first beyond ``CACHE_MAX``.
CACHE_MAX = 2048
_cache: dict[tuple, str] = {}


def render(sources: list[str]) -> list[str]:
    """SVG for each DOT source, in one ``dot`` run (or through ``RENDERER``) for those not
    drawn before."""
    if not sources:
        return []
    renderer = RENDERER
    todo = list(dict.fromkeys(s for s in sources if (renderer, s) not in _cache))
    got = dict(zip(todo, _render(todo))) if todo else {}
    for s in sources:
        if s not in got:
            got[s] = _cache.pop((renderer, s))          # re-inserted below: recently used
    for s, svg in got.items():
        _cache[(renderer, s)] = svg
    while len(_cache) > CACHE_MAX:
        del _cache[next(iter(_cache))]
    return [got[s] for s in sources]


def run_dot(source: bytes, *options: str) -> bytes:
    """graphviz's ``dot -Tsvg`` (with ``options`` before it) on ``source``: its SVG bytes as
    ``dot`` writes them.  ``GraphvizMissing`` with the install hint when there is no ``dot``."""
    try:
        return subprocess.run([dot_path(), *options, "-Tsvg"], input=source, capture_output=True,
                              check=True, timeout=120).stdout
    except FileNotFoundError:
        raise GraphvizMissing(INSTALL_HINT) from None
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"dot failed: {e.stderr.decode(errors='replace').strip()}") from None


def _render(sources: list[str]) -> list[str]:
    if RENDERER is not None:
        svgs = [clean(s) for s in RENDERER(list(sources))]
        if len(svgs) != len(sources):
            raise RuntimeError(f"the renderer gave {len(svgs)} graphs for {len(sources)} sources")
        return svgs
    out = run_dot("\n".join(sources).encode()).decode()
    svgs = [clean(s) for s in re.split(r"(?=<\?xml )", out) if s.strip()]
    if len(svgs) != len(sources):
        raise RuntimeError(f"dot rendered {len(svgs)} graphs for {len(sources)} sources")
    return svgs


def render_one(source: str) -> str:
    return render([source])[0]


_COMMENT = re.compile(r"<!--.*?-->\s*", re.S)
_TITLE = re.compile(r"<title>.*?</title>\s*", re.S)


def clean(svg: str) -> str:
    svg = svg[svg.index("<svg"):]
    svg = _COMMENT.sub("", svg)
    svg = _TITLE.sub("", svg)
    svg = re.sub(r'\sid="([^"]*)"', lambda m: f' data-el="{html.unescape(m.group(1))}"', svg)
    svg = re.sub(r'<polygon fill="white" stroke="transparent" points="[^"]*"/>\s*', "", svg, count=1)
    # white cell backgrounds on a white page: drop them; shorten coordinates
    svg = re.sub(r'<polygon fill="#ffffff" stroke="transparent" points="[^"]*"/>', "", svg)
    svg = re.sub(r'\s(points|d|x|y|cx|cy|rx|ry|viewBox|transform)="([^"]*)"',
                 lambda m: f' {m.group(1)}="{_short(m.group(2))}"', svg)
    svg = re.sub(r">\s+<", "><", svg)
    return svg.strip()


def _short(numbers: str) -> str:
    """Coordinates to one decimal (a tenth of a point is far below a pixel)."""
    s = re.sub(r"(\d+\.\d)\d+", r"\1", numbers)
    return re.sub(r"(\d+)\.0(?!\d)", r"\1", s)


def q(text) -> str:
    """A DOT double-quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def h(text) -> str:
    """Text for an HTML-like DOT label or HTML."""
    return html.escape(str(text), quote=True)


# -- reading coordinates back out of graphviz's SVG -------------------------------------------

_NUM = re.compile(r"-?\d+(?:\.\d+)?")


def groups(svg: str) -> dict[str, str]:
    """data-el -> the markup of that ``<g>`` (graphviz does not nest node and edge groups)."""
    out = {}
    for m in re.finditer(r'<g data-el="([^"]*)" class="(?:node|edge)[^"]*">(.*?)</g>', svg, re.S):
        out[m.group(1)] = m.group(2)
    return out


def points(markup: str) -> list[tuple[float, float]]:
    pts = []
    for attr in re.findall(r'(?:points|d)="([^"]*)"', markup):
        nums = [float(x) for x in _NUM.findall(attr)]
        pts.extend(zip(nums[0::2], nums[1::2]))
    for cx, cy, rx, ry in re.findall(r'cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)" ry="([-\d.]+)"',
                                     markup):
        cx, cy, rx, ry = map(float, (cx, cy, rx, ry))
        pts += [(cx - rx, cy - ry), (cx + rx, cy + ry)]
    return pts


def path_points(markup: str) -> list[tuple[float, float]]:
    m = re.search(r'<path[^>]* d="([^"]*)"', markup)
    if not m:
        return points(markup)
    nums = [float(x) for x in _NUM.findall(m.group(1))]
    return list(zip(nums[0::2], nums[1::2]))


def bbox(pts) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def viewbox(svg: str) -> tuple[float, float]:
    m = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg)
    return float(m.group(1)), float(m.group(2))
