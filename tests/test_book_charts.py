"""The book's matplotlib charts draw in the book's colours (``sim.view._dot``), each 3:1 on white
or more (WCAG 1.4.11: a line or a dot that tells one series from another), never in a hex typed
in the chapter nor in matplotlib's own colour cycle (its second colour, #ff7f0e, is 2.4:1)."""
import ast
import re
from pathlib import Path

import pytest

from sim.view import _dot
from view_helpers import contrast

BOOK = Path(__file__).resolve().parent.parent / "book"
#: matplotlib's drawing calls that take a colour
DRAWS = {"plot", "scatter", "bar", "barh", "step", "errorbar", "hist", "fill_between", "axhline", "axvline",
         "annotate", "text", "vlines", "hlines", "stem"}
#: the keywords a colour is given by, and the colours that may be typed: black and white
COLOUR_KW = {"color", "c", "colors", "facecolor", "facecolors", "edgecolor", "edgecolors", "ecolor"}
PLAIN = {"k", "black", "white", "w"}
#: calls whose text is matplotlib's default black when no colour is given
TEXT_CALLS = {"annotate", "text"}


def _chart_cells():
    for p in sorted(BOOK.glob("*.md")):
        for m in re.finditer(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", p.read_text(), flags=re.S | re.M):
            code = m.group(1)
            if "plt.subplots" in code:
                code = "\n".join(line for line in code.splitlines() if not line.startswith(":tags:"))
                yield f"{p.name}:{p.read_text()[:m.start()].count(chr(10)) + 1}", ast.parse(code)


CELLS = list(_chart_cells())


def test_the_book_has_charts():
    assert len(CELLS) >= 10, [c for c, _ in CELLS]


def _colours(node, imported: set[str]):
    """The colours an expression names: (name or typed string, is a name from sim.view._dot);
    not the keys it reads them by (``d["answered"]``)."""
    keys = {id(k) for n in ast.walk(node) if isinstance(n, ast.Subscript) for k in ast.walk(n.slice)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in imported:
            yield n.id, True
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in keys:
            yield n.value, False


@pytest.mark.parametrize("where,tree", CELLS, ids=[c for c, _ in CELLS])
def test_a_chart_draws_in_the_books_colours_each_3_to_1_on_white(where, tree):
    imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                and n.module == "sim.view._dot" for a in n.names}
    typed = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and re.fullmatch(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?", n.value)]
    assert not typed, f"{where}: colours typed in the chapter, not sim.view._dot's: {typed}"
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in DRAWS):
            continue
        given = [k for k in call.keywords if k.arg in COLOUR_KW]
        if call.func.attr in TEXT_CALLS and not given:
            continue                                    # black text
        assert given, f"{where}: line {call.lineno}: .{call.func.attr}() in matplotlib's own colours"
        # a see-through mark is lighter than its colour (the dots of chapter 6 at alpha 0.6 were 2.1
        # to 2.2:1); matplotlib's alpha fades the edge too: a see-through fill is an RGBA face colour
        alpha = next((k.value for k in call.keywords if k.arg == "alpha"), None)
        assert alpha is None, f"{where}: line {call.lineno}: alpha={ast.unparse(alpha)}"
        for k in given:
            for name, ours in _colours(k.value, imported):
                if not ours:
                    assert name in PLAIN, f"{where}: line {call.lineno}: {k.arg}={name!r}"
                    continue
                value = getattr(_dot, name)
                if callable(value):                     # text_colour(...): text, 4.5:1 (test_view_diagrams)
                    assert call.func.attr in TEXT_CALLS, (where, call.lineno, name)
                    continue
                assert contrast(value, "#ffffff") >= 3, (where, call.lineno, name, value,
                                                         round(contrast(value, "#ffffff"), 2))


def test_a_charts_text_in_a_colour_is_4_5_to_1_on_white():
    """(text_colour: the palette colour's readable text colour; #D55E00 text was 3.9:1)"""
    for where, tree in CELLS:
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in TEXT_CALLS:
                for k in call.keywords:
                    if k.arg == "color" and isinstance(k.value, ast.Call):
                        assert ast.unparse(k.value.func) == "text_colour", (where, ast.unparse(k.value))
                        colour = getattr(_dot, ast.unparse(k.value.args[0]))
                        assert contrast(_dot.text_colour(colour), "#ffffff") >= 4.5, (where, colour)
                    elif k.arg == "color":
                        assert isinstance(k.value, ast.Constant) and k.value.value in PLAIN, (where, ast.unparse(k.value))
