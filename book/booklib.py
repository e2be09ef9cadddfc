"""Helpers shared by the book's chapters: runs, tables, figures, numbers in the text.

Chapters import this module first (``import booklib as bl``).  It puts the
repository root first on ``sys.path``, so the chapters run this repository's
``sim`` even where another copy is installed.  (Binder, ``make venv`` and
``pip install -e ".[live]"`` install the package, so ``import sim`` also works
in a kernel started in ``book/`` before this module is imported.)  Nothing
here needs the book's tool chain (``glue`` shows its value without myst-nb),
and nothing here changes the simulator:
every number on a page comes from ``sim.run()`` when the page is executed.
"""
from __future__ import annotations

import base64
import html
import io
import math
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not sys.path or sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
import sim.runs  # noqa: E402
from sim.route_cache import RtEntry, show_entry  # noqa: E402
from sim.reasons import Gone  # noqa: E402,F401  (chapters: bl.Gone.EQUALIZE)
from sim.trace import Drop, Ev, event_text, fmt_tuple  # noqa: E402


def pyplot():
    """matplotlib's pyplot with the Agg backend and the book's style, imported on first use
    (``bl.plt`` in a chapter): its import is 0.6-0.9 s of CPU, more than the rest of this
    module, and the pages that draw no plot (chapters 1 and 5, the instructor guide) need
    none of it.  Functions here call ``pyplot()``, never a global ``plt``."""
    g = globals()
    if "plt" not in g:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.rcParams.update({
            "figure.figsize": (7.0, 3.6), "figure.dpi": 100, "axes.spines.top": False,
            "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "font.size": 10,
            "svg.hashsalt": "1+1<1", "svg.fonttype": "none",
        })
        g["plt"] = plt          # later ``bl.plt`` reads find it as a plain attribute
    return g["plt"]


def __getattr__(name: str):
    if name == "plt":
        return pyplot()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- runs ------------------------------------------------------------------------------------

# run: ``sim.run`` with a cache, so one page can ask for the same run twice for free (the
# exercise bank's cache: a chapter's exercises and its text share the runs they both ask for)
run = sim.runs.run


def conn(r, k: int = 0) -> dict:
    """``r.summary["connections"][k]`` (made without the rest of the summary if need be)."""
    return r.connection(k)


# -- numbers in the text ---------------------------------------------------------------------

def glue(name: str, value, fmt: str = "") -> None:
    """Glue ``value`` (formatted with ``fmt``) as inline Markdown for ``{glue:md}`name```.

    Without the book's tool chain (a plain Jupyter kernel: Binder, a hub, a laptop) there is
    no myst-nb to glue with, and the Markdown cells show ``{glue:md}`name``` as written, so
    the value is shown under the cell instead: ``name = value``."""
    from IPython.display import Markdown
    text = format(value, fmt) if fmt else str(value)
    _glue(name, Markdown(text), text)


def glue_text(name: str, value) -> None:
    """Glue ``value`` as plain text for ``{glue:text}`name``` (shown, like ``glue``, when
    myst-nb is absent)."""
    _glue(name, value, str(value))


def _glue(name: str, obj, text: str) -> None:
    try:
        myst_glue = _myst_glue()
    except ImportError:                  # a live kernel without the book's tool chain
        from IPython.display import Markdown, display
        display(Markdown(f"`{name}` = {text}"))
        return
    myst_glue(name, obj, display=False)


#: jsonschema's optional format checkers (jsonschema/_format.py): jsonschema imports each one
#: installed (Jupyter's packages bring them all) as it is first imported
_FORMAT_CHECKERS = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "fqdn",
                    "idna", "webcolors", "jsonpointer", "uri_template", "isoduration")


def _myst_glue():
    """myst-nb's ``glue``.  It imports nbformat, for a type; nbformat imports jsonschema, and
    jsonschema, as it is imported, imports every optional package it checks a string format
    with, and builds 38 parsers of one of them, rfc3987-syntax (1-1.5 s of CPU in every
    chapter's kernel; the others, with arrow, ~0.07 s), for format checks that nothing here
    makes: jsonschema leaves a check out when its package cannot be imported, so the packages
    not yet imported are kept out while myst-nb is first imported, and can be imported
    normally afterwards."""
    if "jsonschema" in sys.modules:
        from myst_nb import glue
        return glue
    kept_out = [m for m in _FORMAT_CHECKERS if m not in sys.modules]
    for m in kept_out:
        sys.modules[m] = None
    try:
        from myst_nb import glue
        import myst_nb.ext.glue  # noqa: F401  (what imports nbformat, while the packages are kept out)
    finally:
        for m in kept_out:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]
    return glue


def md(text: str, *, as_cards: bool = False, row_label: bool = False):
    """Display computed Markdown (tables, sentences built from results).  A table of records --
    ``CARD_COLUMNS`` columns or more and a cell of a sentence or more (``cards``) -- is shown as
    the HTML table ``cards`` makes, which a phone shows as one card a row; so is any table given
    ``as_cards`` (``cards``' ``always``, ``row_label``).  (It goes in the Markdown, where a Markdown table
    goes: an HTML output is drawn on a light panel in the theme's dark mode.)"""
    from IPython.display import Markdown, display
    display(Markdown(cards(text, always=as_cards, row_label=row_label) or text))


#: A table is a table of records, shown as cards on a phone (``cards``), when it has this many
#: columns or more and a cell of CARD_CELL characters or more: the kernel-versus-simulator
#: tables of chapters 8 to 10 (what the remote host saw, what the kernel did: 140-300
#: characters).  The book's other tables have three columns or fewer, or cells of numbers and
#: names (under 70 characters), and are read across their rows: on a phone they scroll sideways
#: with their first column pinned.
CARD_COLUMNS = 4
CARD_CELL = 100


def cards(text: str, *, always: bool = False, row_label: bool = False) -> str | None:
    """HTML for the Markdown table ``text`` (as ``table`` or ``sim.measured.markdown`` write
    it) if it is a table of records (``CARD_COLUMNS``, ``CARD_CELL``) or ``always`` is true,
    else None.  ``always``: a table whose cells a phone must show together, whichever its size:
    chapter 9's kernel-beside-simulator comparison, short cells in pairs that a table scrolling
    sideways would show one of; a table whose columns a phone cannot show side by side (chapter
    6's summary, three columns whose third is a sentence, was 395 px in a 328 px box, every
    reason cut at its edge; its Monte Carlo table of seven short columns, 722 px).  ``row_label``: a card's
    heading names its column too ("uplinks n: 2", not a bare "2"), for a first column of figures.

    At 320 px such a table showed two and a half of its four columns, the hidden fourth's
    sentence set every row's height (the cells in view sat above 400 px of blank), and a
    ping's "5 of 10" read "5 o".  The HTML is the table the book's Markdown would make
    (the theme's scrolling box and classes: a laptop shows it as before), with each row's
    first cell its header (``<th scope="row">``) and each other cell carrying its column's
    name (``data-label``): the book's stylesheet lays each row out on a narrow screen as a
    card, the first cell as its heading and then one "name: value" line a cell, while a
    screen reader still reads a table with its headers.  None too for a cell with Markdown
    other than code spans and bold (its links, roles or emphasis are the book's to render)."""
    rows = _pipe_table(text)
    if not rows or any(_UNRENDERED.search(c) for r in rows for c in r):
        return None
    if not always and (len(rows[0]) < CARD_COLUMNS
                       or not any(len(c) >= CARD_CELL for r in rows[1:] for c in r)):
        return None
    head, body = rows[0], rows[1:]
    out = ['<div class="pst-scrollable-table-container"><table class="table op1-cards">', "<thead>",
           '<tr class="row-odd">' + "".join(f'<th class="head" scope="col"><p>{_inline(c)}</p></th>'
                                            for c in head) + "</tr>", "</thead>", "<tbody>"]
    labels = [html.escape(_smartquotes(_plain(c))) for c in head]     # (the header's "SYN’s", not "SYN's")
    row_attr = f' data-label="{labels[0]}"' if row_label else ""
    for k, r in enumerate(body):
        out.append(f'<tr class="row-{"even" if k % 2 == 0 else "odd"}">'
                   f'<th scope="row"{row_attr}><p>{_inline(r[0])}</p></th>'
                   + "".join(f'<td data-label="{lab}"><p>{_inline(c)}</p></td>' for lab, c in zip(labels[1:], r[1:]))
                   + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return "\n".join(out)


#: Markdown in a cell that ``cards`` does not render: a link, a role, emphasis, math, HTML (a
#: tag: not "< 1", chapter 6's verdict, a less-than sign)
_UNRENDERED = re.compile(r"\]\(|\}`|(?<![*\\])\*(?!\*)|\$|<(?=[A-Za-z/!?])")


def _pipe_table(text: str) -> list[list[str]] | None:
    """The cells of ``text``, a Markdown pipe table and nothing else (header row first, the
    separator row left out, ``\\|`` read as ``|``), or None."""
    lines = text.strip().splitlines()
    if len(lines) < 3 or not all(line.startswith("|") and line.rstrip().endswith("|") for line in lines):
        return None
    if not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[1].replace(" ", "")):
        return None
    rows = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            for k, line in enumerate(lines) if k != 1]
    return rows if len({len(r) for r in rows}) == 1 else None


def _inline(cell: str) -> str:
    """A cell's text as the book's Markdown shows it: code spans as the theme's code, ``**bold**``
    bold, the rest escaped, with typographic quotes and dashes outside code (Sphinx's smartquotes:
    "don't" reads "don’t", as in the book's other tables)."""
    out = []
    for k, part in enumerate(re.split(r"`([^`]+)`", cell)):
        if k % 2:
            words = " ".join(f'<span class="pre">{html.escape(w)}</span>' for w in part.split())
            out.append(f'<code class="docutils literal notranslate">{words}</code>')
            continue
        text = html.escape(part.replace("\\*", "\x02"), quote=False)
        text = re.sub(r"\*\*(.+?)\*\*", lambda m: f"<strong>{m[1]}</strong>", text).replace("\x02", "*")
        out.append(_smartquotes(text))
    return "".join(out)


def _plain(cell: str) -> str:
    """A header's text without its Markdown (the name a card's line gives a value)."""
    return re.sub(r"\*\*(.+?)\*\*", lambda m: m[1], cell.replace("`", "").replace("\\*", "\x02")).replace("\x02", "*")


def _smartquotes(text: str) -> str:
    try:
        from docutils.utils.smartquotes import smartyPants
    except ImportError:          # (a live kernel without docutils: Jupyter's Markdown has none either)
        return text
    return smartyPants(text, "qDe", "en")


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A Markdown table from a list of dicts.  A truth value is written "yes" or "no" (Python's
    True and False are no words of the book's); a missing value (None) is refused, naming its
    column: a cell must say what happened, not leave it blank."""
    columns = columns or list(rows[0])

    def esc(v, c, n):
        if v is None:
            raise ValueError(f"table: row {n}'s {c!r} is None; give a value, or '' for an empty cell")
        if isinstance(v, bool):
            v = "yes" if v else "no"
        return str(v).replace("|", "\\|")
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(esc(r.get(c, ""), c, n) for c in columns) + " |" for n, r in enumerate(rows, 1)]
    return "\n".join(out)


def textwrap_label(text: str, width: int = 28) -> str:
    """A long plot label broken into lines of at most ``width`` characters."""
    import textwrap
    return "\n".join(textwrap.wrap(text, width)) or text


def pct(x: float) -> str:
    return f"{100 * x:.0f} %"


# -- figures ---------------------------------------------------------------------------------

#: A plot's second drawing, for a phone: this many inches wide (at matplotlib's 72 pt per inch,
#: 346 CSS px: a 375 px phone's page column, where its text is drawn at its own size).
NARROW_INCHES = 3.6
#: The narrowest box a figure gets: a 320 px phone's (WCAG 1.4.10's reflow width, a 1280 px
#: window zoomed to 400 %).  A phone's drawing is made to be read whole there.
PHONE_FIGURE_PX = 272
#: The smallest text of a phone's drawing, in points: text of this size is MIN_TEXT_PX at 1 px a
#: point, so the drawing (at most 272 pt wide) can shrink to PHONE_FIGURE_PX and stay readable.
#: With 9 pt text chapter 9's and 10's drawings needed 298 px, and at 320 px their right 26 px --
#: the bars the chapter is about, the 3000 tick -- lay under the box's fade.
PHONE_TEXT_PT = 10
#: Screens at most this wide show a plot's narrow drawing (a phone, upright or on its side).
NARROW_SCREEN = "36em"


def _svg(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


def narrow(fig) -> bytes | None:
    """``fig`` drawn again for a phone's width (NARROW_INCHES), its layout made anew to fit
    (matplotlib's constrained layout): side-by-side panels (one row of axes) go one above the
    other, each with its own tick labels; long labels, names of categories and legend entries
    are wrapped (the legend goes above its plot), more tightly while the drawing is still wider
    than NARROW_INCHES or than a 320 px phone shows at its text's smallest readable size
    (``PHONE_FIGURE_PX``); text under PHONE_TEXT_PT is drawn at that size.  None for a figure
    already that narrow."""
    import warnings
    w, h = fig.get_size_inches()
    if w <= NARROW_INCHES * 1.1:
        return None
    axes = [a for a in fig.axes if a.get_subplotspec() is not None]
    specs = [a.get_subplotspec() for a in axes]
    if len(axes) > 1 and all(s.get_gridspec().nrows == 1 for s in specs):
        grid = fig.add_gridspec(len(axes), 1)
        for k, a in enumerate(sorted(axes, key=lambda a: a.get_subplotspec().colspan.start)):
            a.set_subplotspec(grid[k])
            a.tick_params(labelleft=True)        # a shared y axis hid the inner panels' labels
        h = h * len(axes) * 0.8
    else:
        h = max(h, NARROW_INCHES * 0.75)
    # what is wrapped, as the chapter wrote it (the figure was drawn once: tick labels are known)
    texts = [(a, a.get_xlabel(), a.get_ylabel(), a.get_title(), [_ticks(a.xaxis), _ticks(a.yaxis)],
              _legend_of(a)) for a in axes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # (a figure that had a layout engine of its own)
        fig.set_layout_engine("constrained")
    from matplotlib.text import Text
    for t in fig.findobj(Text):                  # titles, axis labels, a chapter's notes, bar labels
        if t.get_fontsize() < PHONE_TEXT_PT:
            t.set_fontsize(PHONE_TEXT_PT)
    for a, *_, ticks, _legend in texts:
        for axis, _locs, _names, size in ticks:
            if size < PHONE_TEXT_PT:             # (the ticks a new layout makes, too)
                a.tick_params(axis="x" if axis is a.xaxis else "y", labelsize=PHONE_TEXT_PT)
    for squeeze in (1.0, 0.8, 0.65):
        height = h
        for a, xlabel, ylabel, title, ticks, legend in texts:
            a.set_xlabel(_wrap(xlabel, int(34 * squeeze)))
            a.set_ylabel(_wrap(ylabel, 30))
            a.set_title(_wrap(title, int(44 * squeeze)))
            for axis, locs, names, size in ticks:
                if any(len(n) > 18 * squeeze for n in names):     # names of categories, not numbers
                    names = [_wrap(n, int(18 * squeeze)) for n in names]
                    axis.set_ticks(locs, names)
                    if axis is a.yaxis:          # room for each name's lines, one above the other
                        lines = len(names) * max(n.count("\n") + 1 for n in names)
                        height = max(height, lines * max(size, PHONE_TEXT_PT) * 1.4 / 72 + 1.2)
            if legend is not None:               # above the plot, one entry a line
                handles, names, size = legend    # points: about 300 / size characters fit
                size = max(size, PHONE_TEXT_PT)
                a.legend(handles, [_wrap(n, int(300 * squeeze / size)) for n in names], loc="lower left",
                         bbox_to_anchor=(0, 1.02), frameon=False, fontsize=size)
        fig.set_size_inches(NARROW_INCHES, height)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # a layout that cannot fit everything still draws
            svg = _svg(fig)
        if _width_pt(svg) <= NARROW_INCHES * 72 * 1.05 and (readable_width(svg) or 0) <= PHONE_FIGURE_PX:
            break
    return svg


def _ticks(axis):
    """(axis, tick positions, their labels' texts, their font size) of a drawn figure's axis."""
    labels = axis.get_majorticklabels()
    return axis, axis.get_majorticklocs(), [t.get_text() for t in labels], labels[0].get_fontsize() if labels else 10


def _legend_of(a):
    """(handles, names, font size) of the legend of axes ``a``, or None."""
    legend = a.get_legend()
    if legend is None:
        return None
    names = [t.get_text() for t in legend.get_texts()]
    handles, labels = a.get_legend_handles_labels()      # the artists themselves (an error bar's)
    if labels != names:
        handles = legend.legend_handles                   # the chapter named them itself
    return handles, names, legend.get_texts()[0].get_fontsize()


def _width_pt(svg: bytes) -> float:
    m = re.search(rb'<svg\b[^>]*?\swidth="([\d.]+)pt"', svg)
    return float(m.group(1)) if m else 0.0


def _wrap(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters, if it is longer."""
    return "\n".join(textwrap.wrap(" ".join(text.split()), width)) if len(text) > width else text


def show(fig, alt: str, caption: str = "") -> None:
    """Show a matplotlib figure as an SVG ``<img>`` with alt text (and a caption), drawn twice:
    as the chapter drew it, and for a phone's width (``narrow``), shown on a narrow screen."""
    wide = _svg(fig)
    phone = narrow(fig)
    pyplot().close(fig)
    _img(wide, alt, caption, phone)


def show_dot(source: str, alt: str, caption: str = "", phone: str | None = None) -> None:
    """Show a graphviz drawing (DOT ``source``) as an SVG ``<img>``; one laid out left to right
    (``rankdir=LR``) is drawn a second time top to bottom for a phone, shown on a narrow screen
    when the first would be wider than a phone's column (the network, on its side); ``phone``:
    DOT of the phone's drawing, for one that is no graph to turn (a table).  Without graphviz's
    ``dot``, the line saying how to install it, and the cell goes on (``not_drawn``)."""
    from sim.view._dot import GraphvizMissing
    try:
        _show_dot(source, alt, caption, phone)
    except GraphvizMissing as e:
        md(repr(not_drawn("figure", e)))


def _show_dot(source: str, alt: str, caption: str, phone: str | None) -> None:
    wide = dot(source)
    if phone is not None:
        _img(wide, alt, caption, dot(phone))
        return
    if re.search(r"\brankdir\s*=\s*LR\b", source) and (readable_width(wide) or 0) > NARROW_INCHES * 96:
        phone = dot(re.sub(r"\brankdir\s*=\s*LR\b", "rankdir=TB", source, count=1))
    _img(wide, alt, caption, phone)


def show_svg(svg: bytes | str, alt: str, caption: str = "") -> None:
    """Show an SVG (e.g. from graphviz) as an ``<img>`` with alt text."""
    _img(svg.encode() if isinstance(svg, str) else svg, alt, caption)


#: The smallest text a figure shows, in CSS px: a figure is never drawn narrower than the width
#: at which its smallest text is this size (the players' own floor on a phone, tests/test_book.py).
MIN_TEXT_PX = 10


def readable_width(svg: bytes) -> int | None:
    """The width, in CSS px, at which the smallest text of ``svg`` (matplotlib's or graphviz's)
    is ``MIN_TEXT_PX`` -- at most the drawing's own width; None if it has no text or no size.
    Both write their sizes in points over a viewBox in points; graphviz may scale its drawing
    (its first group's ``scale(s s)``)."""
    text = svg.decode("utf-8", "replace")
    box = re.search(r'viewBox="[-\d.]+[ ,]+[-\d.]+[ ,]+([\d.]+)', text)
    width = re.search(r'<svg\b[^>]*?\swidth="([\d.]+)pt"', text)
    sizes = [float(attr or style) for attr, style in
             re.findall(r'font-size(?:="|:\s*)([\d.]+)|font:\s*([\d.]+)px', text)]
    if not (box and width and sizes) or min(sizes) <= 0:
        return None
    scale = re.search(r'transform="scale\(([\d.]+)', text)
    least = min(sizes) * (float(scale.group(1)) if scale else 1.0)      # user units of the viewBox
    own = float(width.group(1)) * 4 / 3                                  # pt -> CSS px
    return math.ceil(min(own, MIN_TEXT_PX * float(box.group(1)) / least))


def _img(svg: bytes, alt: str, caption: str, phone: bytes | None = None) -> None:
    """The figure: an ``<img>`` as wide as the page, but never so narrow that its text is under
    ``MIN_TEXT_PX``: on a phone a wide figure scrolls sideways in its box (a keyboard stop,
    as the players' boxes that scroll) instead of shrinking its text to 5 px.  With ``phone``
    (a drawing for a phone's width), a screen at most NARROW_SCREEN wide shows that one instead
    (a style in the figure itself: the book's stylesheet is not in a notebook)."""
    from IPython.display import HTML, display
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    if phone is None:
        display(HTML(f'<figure class="bl-figure">{_scroll_img(svg, alt)}{cap}</figure>'))
        return
    style = (f"<style>@media (max-width:{NARROW_SCREEN}){{.bl-wide{{display:none}}}}"
             f"@media not all and (max-width:{NARROW_SCREEN}){{.bl-narrow{{display:none}}}}</style>")
    display(HTML(f'<figure class="bl-figure">{style}<div class="bl-wide">{_scroll_img(svg, alt)}</div>'
                 f'<div class="bl-narrow">{_scroll_img(phone, alt)}</div>{cap}</figure>'))


def _scroll_img(svg: bytes, alt: str) -> str:
    # (border-box: the theme's dark mode pads images by 8 px, and the padding must not make the
    # figure wider than its box, which would then scroll and fade its right edge)
    data = base64.b64encode(svg).decode()
    need = readable_width(svg)
    img = (f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}" '
           f'style="max-width:100%;box-sizing:border-box{f";min-width:{need}px" if need else ""}">')
    if need:
        img = (f'<div class="bl-scroll" tabindex="0" role="group" aria-label="figure, scrolls sideways '
               f'on a narrow screen" style="overflow-x:auto">{img}</div>')
    return img


def dot(source: str) -> bytes:
    """Render DOT source to SVG with graphviz's ``dot`` (the SVG python-graphviz's
    ``Source.pipe`` gives).  Without ``dot`` on PATH: ``GraphvizMissing`` with the players'
    install hint (``sim.view._dot``), which a notebook shows as that one line."""
    from sim.view._dot import run_dot
    return run_dot(source.encode(), "-Kdot")


# -- reading a trace -------------------------------------------------------------------------

def events(r, kinds=None, node=None):
    """(index, event) pairs, filtered by kind(s) and node.  With a node, only that node's
    records are built (the stored trace's node column picks them: ``Events.at_node``)."""
    kinds = {Ev(k) for k in ([kinds] if isinstance(kinds, str) else kinds)} if kinds else None
    evs = r.events
    if node is not None and hasattr(evs, "at_node"):
        for i in evs.at_node(node):
            e = evs[i]
            if kinds is None or e.ev in kinds:
                yield i, e
        return
    for i, e in enumerate(evs):
        if (kinds is None or e.ev in kinds) and (node is None or e.node == node):
            yield i, e


def lines(r, start: int = 0, stop: int | None = None, kinds=None, node=None) -> str:
    """The trace's text lines for events ``start``..``stop``."""
    return "\n".join(event_text(e) for i, e in events(r, kinds, node)
                     if start <= i < (stop if stop is not None else len(r.events)))


def ms(t_us: int) -> str:
    """A simulated time for a reader: "17.7 ms", or "360.000 s" when long."""
    return f"{t_us / 1000:.1f} ms" if t_us < 10_000_000 else f"{t_us / 1e6:.3f} s"


def tcp_flags(pkt) -> str:
    """scapy's flag letters of a TCP packet ("" for other protocols)."""
    return getattr(pkt.l4, "flags", "") or ""


def uplink_hops(r, direction: str = "up"):
    """Hops on the uplinks: (index, event, dev) for packets leaving (``up``) or
    arriving at (``down``) the router (``sim.observe.uplink_hops``)."""
    from sim.observe import uplink_hops as hops
    for i, dev, _ in hops(r, direction):
        yield i, r.events[i], dev


def ip_route_show_cache(r, i: int, now: int | None = None) -> str:
    """``ip route show cache`` on the router just after event ``i`` (rebuilt from the trace),
    run at simulated time ``now`` (µs; by default the event's own time): the ages count up
    to ``now`` while nothing else happens."""
    st = r.state_at(i)
    if not st.cache:
        return "(empty)"
    if now is None:
        now = st.t
    elif i + 1 < len(r.events) and now >= r.events[i + 1].t:
        raise ValueError(f"now={now} is not before event {i + 1}, at {r.events[i + 1].t}")
    out = []
    for key, e in st.cache.items():
        ent = RtEntry(key, e["dev"], e["via"], e["equalize"], e["created"], e["lastuse"], e["use"])
        out.append(show_entry(ent, now))
    return "\n".join(out)


def conntrack_show(r, i: int) -> str:
    """The router's conntrack table just after event ``i``, one line per entry."""
    st = r.state_at(i)
    if not st.conntrack:
        return "(empty)"
    return "\n".join(f"ct {ct} dev {c['dev']}: {fmt_tuple(c['orig'])}\n      reply {fmt_tuple(c['reply'])}"
                     for ct, c in st.conntrack.items())


def wrap(text: str, width: int = 86) -> str:
    """``text`` with every line longer than ``width`` broken at spaces, continuation lines
    indented under their first: printed output stays inside the page's code box."""
    import textwrap
    out = []
    for line in text.splitlines():
        lead = line[:len(line) - len(line.lstrip())]
        out.append(textwrap.fill(line, width, subsequent_indent=lead + "    ", break_long_words=False,
                                 break_on_hyphens=False) if len(line) > width else line)
    return "\n".join(out)


def kernel_captures(names: dict[str, str], folder: str = "data/kernel") -> str:
    """Markdown for the kernel lab's captures ``names`` (file stem -> what it is), each in a
    dropdown of its own, closed until opened: the run's summary as the lab printed it (its
    ``.txt``, long lines wrapped) and a download of its pcapng.  A capture whose files are
    missing is left out; none at all gives one line saying so."""
    try:
        _myst_glue()
        book = True
    except ImportError:      # a live kernel (Binder, a hub): JupyterLab renders no MyST, but HTML
        book = False
    out = []
    for stem, what in names.items():
        txt, pcap = Path(folder) / f"{stem}.txt", Path(folder) / f"{stem}.pcapng"
        if not (txt.exists() and txt.stat().st_size):
            continue
        has_pcap = pcap.exists() and pcap.stat().st_size
        if not book:
            # (in JupyterLab the book's admonition showed as a code block of its MyST, ":class:
            # dropdown" and "{download}`...`" as text: a closed <details>, a link beside the notebook)
            from html import escape
            link = (f'<p><a href="{escape(pcap.as_posix())}" download>{escape(pcap.name)}</a> (open it in '
                    "Wireshark)</p>" if has_pcap else "")
            out += [f"<details><summary>{escape(stem)}: {escape(what)}</summary>{link}"
                    f"<pre>{escape(wrap(txt.read_text().rstrip()))}</pre></details>", ""]
            continue
        link = f"{{download}}`{pcap.name} <{pcap.as_posix()}>` (open it in Wireshark)" if has_pcap else ""
        # (a backtick fence's info string may hold no backtick: the name goes in plain)
        out += [f"````{{admonition}} {stem}: {what}", ":class: dropdown", link, "",
                "```text", wrap(txt.read_text().rstrip()), "```", "````", ""]
    return "\n".join(out) if out else f"*(No kernel lab captures in `book/{folder}/` when this page was built.)*"


def cache_size_series(r):
    """(times in s, number of route cache entries) after every cache event."""
    n, ts, ns = 0, [0.0], [0]
    for e in r.events:
        if e.node != "router":
            continue
        if e.ev is Ev.RT_MISS:
            n += 1
        elif e.ev is Ev.RT_DEL:
            n -= 1
        else:
            continue
        ts.append(e.t / 1e6)
        ns.append(n)
    ts.append(r.events[-1].t / 1e6)
    ns.append(n)
    return ts, ns


from sim.stats import wilson  # noqa: E402,F401  (the chapters' bl.wilson)


# -- the network as a diagram ----------------------------------------------------------------

def topology_dot(r, highlight: dict | None = None, title: str = "") -> str:
    """DOT source for the run's network, drawn like the article's (LARTC's) figure
    (``sim.view.topology.figure_dot``).

    ``highlight`` maps link names to colours (e.g. the links a packet crossed); for the
    LAN, drawn as a hub, ``"lan:local1"`` colours only Local host 1's edge to it."""
    from sim.view.topology import figure_dot
    return figure_dot(r, highlight, title)


def path_links(r, first: int, last: int) -> list[str]:
    """Names of the links crossed by hop events ``first``..``last``, for ``topology_dot``'s
    ``highlight``: a hop on the LAN (a hub with several hosts) names the two edges it used,
    ``lan:local1`` and ``lan:router``, not the whole LAN."""
    out = []
    for i, e in events(r, "hop"):
        if first <= i <= last:
            if e.node == "lan":
                out += [f"lan:{end.split(':')[0]}" for end in (e.from_, e.to)]
            else:
                out.append(e.node)
    return out


def describe(e) -> str:
    """One event in words, for the book's event tables."""
    ev, node, pkt = e.ev, e.node, e.pkt
    f = e.info()

    def p(pk):
        if pk.proto == 1:
            return f"ICMP {pk.ip.src} > {pk.ip.dst} (id {pk.l4.id}, seq {pk.l4.seq})"
        # a TCP segment named as the replays' ladders and narration name it (SYN, SYN+ACK, ACK,
        # data, FIN, RST), not by scapy's flag letters ([SA], [PA]), which the book shows nowhere else
        from sim.packet import TCP_PROTO
        from sim.view._common import short_name
        kind = f"{short_name(pk)} " if pk.proto == TCP_PROTO else ""
        return f"{kind}`({pk.ip.src}, {pk.sport})` → `({pk.ip.dst}, {pk.dport})`"
    if ev is Ev.HOP:
        return f"crosses **{node}** ({f['from']} → {f['to']}): {p(pkt)}"
    if ev is Ev.SEND:
        return f"sends {p(pkt)}"
    if ev is Ev.DELIVER:
        return f"receives {p(pkt)}"
    if ev is Ev.RT_MISS:
        return f"route cache **miss** for {fmt_key_short(f['key'])}: chooses **{f['dev']}** ({f['why']}), inserts an entry"
    if ev is Ev.RT_HIT:
        return f"route cache **hit** for {fmt_key_short(f['key'])}: **{f['dev']}**"
    if ev is Ev.RT_DEL:
        return f"route cache entry {fmt_key_short(f['key'])} → {f['dev']} **removed** ({f['reason']})"
    if ev is Ev.FIB:
        return f"FIB lookup (no cache): **{f['dev']}** ({f['why']})"
    if ev is Ev.NAT:
        b = f["before"]
        # the trace says snat/dnat (the kernel's words for the two directions); the book says what
        # was rewritten, so the article's NAT is not mistaken for the `snat` NAT model
        what = {"snat": "source rewritten", "dnat": "destination rewritten"}.get(f["dir"], f["dir"])
        return (f"**{what}** (conntrack {f['ct']}): `({b.ip.src}, {b.sport})` → `({b.ip.dst}, {b.dport})` "
                f"becomes `({pkt.ip.src}, {pkt.sport})` → `({pkt.ip.dst}, {pkt.dport})`")
    if ev is Ev.CT_NEW:
        return f"new conntrack entry {f['ct']} on {f['dev']}: {fmt_tuple(f['orig'])}, reply {fmt_tuple(f['reply'])}"
    if ev is Ev.CT_DEL:
        return f"conntrack entry {f['ct']} destroyed ({f['reason']})"
    if ev is Ev.DROP:
        return f"**drops** {p(pkt)}: {f['reason']}"
    if ev is Ev.TCP:
        (la, lp), (ra, rp) = f["local"], f["remote"]
        return f"TCP `({la}, {lp})`–`({ra}, {rp})`: {f['old']} → **{f['new']}**"
    if ev is Ev.LINK:
        return f"device **{f['dev']}** goes **{f['state']}**"
    return f"{f['what']} {f['value']}"


def fmt_key_short(key) -> str:
    dst, src, tos, iif = key
    return f"{src} → {dst} (iif {iif})"


def steps_table(r, idx) -> str:
    """A Markdown table of the events with indices ``idx``, numbered as in the trace (the
    "event" numbers a replay shows beside its own step count)."""
    # event, time and place in one narrow column: four columns did not fit a phone, and the
    # sentence, the one that matters, was the one cut off
    rows = [{"event · time · where": f"{i} · {ms(r.events[i].t)} · {r.events[i].node}",
             "what": describe(r.events[i])} for i in idx]
    return table(rows)


def replay(r, title: str | None = None, start: int = 0, stop: int | None = None, steps=None):
    """A replay of events ``start``..``stop`` (or of the events ``steps``): ``sim.view.Player``,
    plain HTML that steps on the static page with no kernel behind it.  Without graphviz's
    ``dot``, the line saying how to install it, and the cell goes on (``not_drawn``)."""
    from sim.view import GraphvizMissing, Player
    try:
        return Player(r, title=title, start=start, stop=stop, steps=steps)
    except GraphvizMissing as e:
        return not_drawn("replay", e)


def compare(ra, rb, labels, title: str | None = None, start: int = 0, stop: int | None = None,
            steps=None):
    """Two replays stepping together, one above the other (``sim.view.Compare``); without
    ``dot``, as ``replay``."""
    from sim.view import Compare, GraphvizMissing
    try:
        return Compare(ra, rb, labels=labels, title=title, start=start, stop=stop, steps=steps)
    except GraphvizMissing as e:
        return not_drawn("replay", e)


#: Set in the chapters' environment when the book is built (book/op1_exercises.py
#: ``chapter_environment``): the static site needs every diagram, so there a missing ``dot``
#: fails the chapter, and so the build, instead of leaving a line where a diagram should be.
BUILD_ENV = "OP1_BOOK_BUILD"


def not_drawn(what: str, e: Exception):
    """A diagram that graphviz's ``dot`` (missing: ``e``, a ``GraphvizMissing``) would have
    drawn: in a notebook, an object shown as one line, "The replay is not drawn: <how to
    install graphviz>", so the cell and Run All go on (an exception would stop Run All); in the
    book's build (``BUILD_ENV``), ``e`` raised."""
    import os
    if os.environ.get(BUILD_ENV):
        raise e
    from sim._needs import Unavailable
    return Unavailable(f"The {what} is not drawn: {e}")


def drawn(x) -> bool:
    """Whether ``replay`` or ``compare`` drew ``x`` (not ``not_drawn``'s line)."""
    from sim._needs import Unavailable
    return not isinstance(x, Unavailable)


def first(r, kind: str, node: str | None = None, after: int = 0, pred=None) -> int:
    """Index of the first event of ``kind`` (at ``node``, after index ``after``, matching ``pred``)."""
    for i, e in events(r, kind, node):
        if i >= after and (pred is None or pred(e)):
            return i
    raise LookupError(f"no {kind} event at {node} after {after}")


def _same_packet(pkt):
    """What a packet keeps from its sender to its end: the sender's IP id and its transport
    header's sequence number, flags and length (NAT rewrites addresses and ports, a hop the
    TTL; never these)."""
    l4 = pkt.l4
    return (pkt.ip.id, type(l4), getattr(l4, "seq", None), getattr(l4, "flags", None), pkt.load)


def journey(r, i: int) -> list[int]:
    """The events of the packet at event ``i``, in trace order: its sending, every hop, and its
    delivery or drop (a delivery the host then drops, finding no connection for it, with that
    drop) -- one packet's way through the network, for a replay's ``steps=``."""
    evs = r.events
    key = _same_packet(evs[i].pkt)
    ends = (Ev.DELIVER, Ev.DROP)
    sent = i
    while evs[sent].ev is not Ev.SEND:             # back to where it was sent
        sent -= 1
        while sent >= 0 and (evs[sent].pkt is None or _same_packet(evs[sent].pkt) != key):
            sent -= 1
        if sent < 0:
            raise LookupError(f"event {i}'s packet was never sent")
    out = [sent]
    for j in range(sent + 1, len(evs)):
        e = evs[j]
        if e.ev in (Ev.HOP, *ends) and e.pkt is not None and _same_packet(e.pkt) == key:
            out.append(j)
            if e.ev in ends:
                nxt = evs[j + 1] if j + 1 < len(evs) else None
                if (e.ev is Ev.DELIVER and nxt is not None and nxt.ev is Ev.DROP and nxt.node == e.node
                        and _same_packet(nxt.pkt) == key):
                    out.append(j + 1)
                break
    return out


def run_with_flush(scenario: str, flush_at: float, **params) -> "sim.Result":
    """``sim.run`` with ``ip route flush cache`` on the router at ``flush_at`` seconds."""
    return sim.run(scenario, flush_at=[flush_at], **params)


def retransmissions(r, node: str = "remote1") -> int:
    """Data segments ``node`` sent again (same sequence number): timeouts and fast retransmits."""
    seen, n = set(), 0
    for i, e in events(r, "send", node):
        pkt = e.pkt
        if pkt.proto == 6 and pkt.load:
            k = (pkt.ip.dst, pkt.dport, pkt.l4.seq)
            n += k in seen
            seen.add(k)
    return n


def dupacks(r, node: str = "local1") -> int:
    """Duplicate ACKs ``node`` sent: pure ACKs repeating the previous acknowledgment number."""
    last, n = {}, 0
    for i, e in events(r, "send", node):
        pkt = e.pkt
        if pkt.proto == 6 and not pkt.load and pkt.l4.flags == "A":
            k = (pkt.ip.dst, pkt.dport)
            n += last.get(k) == pkt.l4.ack
            last[k] = pkt.l4.ack
    return n


def routed_dev(r, hop_index: int, node: str = "router") -> str | None:
    """The device ``node`` routed a packet to: the first routing decision after the
    packet's arrival (hop event ``hop_index``)."""
    for e in r.events[hop_index + 1:]:
        if e.node == node and e.ev in (Ev.RT_MISS, Ev.RT_HIT, Ev.FIB):
            return e.dev
    return None


def server_saw(n: int, node: str = "remote1"):
    """A ``stop=`` hook for a run of ``n`` connections to ``node``: true once ``node`` has been
    delivered SYNs from ``n`` different endpoints.  Every connection has then been seen by the
    server, and the endpoint it was first seen as (``seen_by_server_as[0]`` of the summary) is
    decided: a reader of that alone may stop the run there (chapter 9's histogram)."""
    seen = set()

    def stop(e) -> bool:
        if e.ev is Ev.DELIVER and e.node == node and e.pkt.proto == 6 and e.pkt.l4.flags == "S":
            seen.add((e.pkt.ip.src, e.pkt.sport))
        return len(seen) >= n
    return stop


# -- many runs --------------------------------------------------------------------------------

# map_runs(fn, jobs): ``[fn(job) for job in jobs]`` spread over the CPUs this process may use, the same list
# as the plain loop (the exercise bank builds its many-run variants with it too)
map_runs = sim.runs.map_runs


def handshake_trial(job: tuple[int, int]) -> tuple[bool, bool, str]:
    """Chapter 6's Monte Carlo, one run: ``equalize-nat`` with ``job = (seed, uplinks)`` and a
    1000-byte download.  Returns whether the connection's first two routing decisions for
    packets from the LAN chose the same uplink (the handshake's ACK left by the SYN's),
    ``handshake_ok`` and how the handshake ended.

    The run stops (``stop=``) once all three are decided, with the same answers as the whole
    run: the two decisions are recorded, and a connection on Remote host 1 became
    established at time ``t`` and an event later than ``t`` is recorded.  The summary's
    handshake is that of the server's connection established first (``Result``:
    ``min`` by ``established_at``), and the only server connections in this scenario are the
    download's; every one established at ``t`` is so before any later event, and one
    established later cannot come first.  A handshake that never completes stops nothing:
    that run goes to its end, as before."""
    from sim.tcp import ESTABLISHED
    seed, n = job
    devs: list = []
    est: list = []
    RT_MISS, TCP = Ev.RT_MISS, Ev.TCP

    def decided(e) -> bool:
        if est and e.t > est[0] and len(devs) >= 2:
            return True
        ev = e.ev
        if ev is RT_MISS:
            if len(devs) < 2 and e.node == "router" and e.key[3] == "eth0":
                devs.append(e.dev)
        elif ev is TCP and not est and e.node == "remote1" and e.new is ESTABLISHED:
            est.append(e.t)
        return False
    res = sim.run("equalize-nat", seed=seed, uplinks=n, size=1000, stop=decided)
    c = res.connection(0)
    return devs[0] == devs[1], c["handshake_ok"], c["handshake"]
