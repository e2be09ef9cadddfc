"""Finding steps in a trace by what a reader sees, for the view tests."""
import os
import re
import shutil

import pytest

from sim.trace import Ev


def need_dot():
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("graphviz's dot is missing in CI: `make test` installs it with apt-get as root")
        pytest.skip("graphviz not installed (sudo apt-get install graphviz)")


def hops(result, link_prefix="", frm=None):
    out = []
    for i, e in enumerate(result.events):
        if e.ev is Ev.HOP and e.node.startswith(link_prefix) and (frm is None or e.from_.startswith(frm)):
            out.append(i)
    return out


def first_uplink_syn(result):
    """Trace index of the SYN leaving the router on an uplink."""
    return next(i for i in hops(result, "uplink", "router:")
                if result.events[i].pkt.proto == 6 and result.events[i].pkt.l4.flags == "S")


def equalize_reselect(result, dev=None):
    """An uplink hop whose routing deleted an equalize entry and chose again (on ``dev``)."""
    from sim.view.model import analysis_of
    a = analysis_of(result)
    for i in hops(result, "uplink", "router:"):
        dec = [result.events[j] for j in a.decisions(i)]
        kinds = [e.ev for e in dec]
        if Ev.RT_DEL in kinds and Ev.RT_MISS in kinds:
            if dev is None or result.events[i].from_ == f"router:{dev}":
                return i
    return None


def texts(svg: str) -> list[str]:
    """The text of every <text> element, in document order, entities decoded."""
    import html
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def classes_of(svg: str, el: str) -> set[str]:
    m = re.search(rf'<g data-el="{re.escape(el)}" class="([^"]*)"', svg)
    return set(m.group(1).split()) if m else set()


def with_class(svg: str, cls: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r'<g data-el="([^"]*)" class="([^"]*)"', svg)
            if cls in m.group(2).split()}


# The smallest text rendered in ``root``, in CSS px on the screen (SVG text scaled by its
# transform), skipping what is not rendered: display:none, visibility:hidden, empty.
MIN_TEXT_JS = r"""root => {
  let least = 1e9, what = "";
  const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const n = w.currentNode, el = n.parentElement;
    if (!el || !n.textContent.trim() || el.closest('script,style,title,option')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || parseFloat(cs.opacity) === 0) continue;
    let px = parseFloat(cs.fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      if (!m) continue;
      px *= Math.hypot(m.a, m.b);
    }
    if (px < least) { least = px; what = n.textContent.trim().slice(0, 50); }
  }
  return [least, what];
}"""


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    def lum(c):
        r, g, b_ = (int(c[k:k + 2], 16) / 255 for k in (1, 3, 5))
        f = lambda v: v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4    # noqa: E731
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b_)
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def hue(c: str) -> float:
    """The hue of a ``#rrggbb`` colour, in degrees."""
    import colorsys
    return 360 * colorsys.rgb_to_hsv(*(int(c[k:k + 2], 16) / 255 for k in (1, 3, 5)))[0]


def ladder_band() -> str:
    """The ladder's band of the current step as drawn on white: its fill at its opacity, both
    read from the ladder's style (``svg.op1-ladder .op1-row.cur .band{fill:...;fill-opacity:...}``)."""
    from sim.view.ladder import STYLE
    fill, opacity = re.search(r"\.op1-row\.cur \.band\{fill:(#[0-9A-Fa-f]{6});fill-opacity:([0-9.]+)\}",
                              STYLE).groups()
    a = float(opacity)
    return "#%02x%02x%02x" % tuple(round(int(fill[k:k + 2], 16) * a + 255 * (1 - a)) for k in (1, 3, 5))
