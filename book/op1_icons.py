"""The theme's icons drawn by its webfont alone: no page loads FontAwesome's 1.5 MB script.

pydata-sphinx-theme 0.16 and 0.17 load FontAwesome twice on every page: the webfonts, through
the theme's stylesheet, and ``scripts/fontawesome.js`` (1.5 MB, the largest file a page loads),
whose only work on these pages is to replace each ``<i class="fa-...">`` by an inline SVG once
the page is parsed, and to watch every later change of the page for more (the players change it
at every step).  It is there so that a site can add icons of its own; the book adds none.  The
theme's developers track this (pydata-sphinx-theme issues 2115 and 2379; pull request 2494
drops the script for the webfonts).

Every page the book writes (the HTML builder's ``templates.render``, wrapped):

- loads no ``fontawesome.js``: its icons are the webfonts' glyphs, which the stylesheet already
  draws from the ``<i>`` elements;
- has ``aria-hidden="true"`` on each of those icons (an empty ``<i>`` or ``<span>`` with
  FontAwesome's classes), as the script put on its SVGs: a glyph
  is a private-use character, which assistive technology would otherwise read into the name of
  the link or button around it ("Next 7. Why ICMP worked on Linux 2.4 \\uf105").
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

SCRIPT = re.compile(r'[ \t]*<script\b[^>]*\bsrc="[^"]*/fontawesome\.js[^"]*"[^>]*></script>\n?')
#: an empty ``<i>`` or ``<span>``: FontAwesome's icon elements, whose glyph the stylesheet adds
ICON_TAG = re.compile(r"<(i|span)\s([^>]*)>(\s*)</\1>")
CLASS = re.compile(r'\bclass="([^"]*)"')
#: FontAwesome's style classes; an icon's own class is ``fa-`` and its name (``fa-bars``).
STYLES = {"fa", "fas", "far", "fab", "fa-solid", "fa-regular", "fa-brands"}


def _is_icon(classes: str) -> bool:
    return any(c in STYLES or c.startswith("fa-") for c in classes.split())


def _hidden(m: re.Match) -> str:
    tag, attrs, space = m.groups()
    cls = CLASS.search(attrs)
    if cls is None or not _is_icon(cls.group(1)) or "aria-hidden=" in attrs:
        return m.group(0)
    return f'<{tag} {attrs.rstrip()} aria-hidden="true">{space}</{tag}>'


def webfont_icons(html: str) -> str:
    """A rendered page without FontAwesome's script, its icons hidden from assistive
    technology (the glyph stays: the stylesheet draws it)."""
    return ICON_TAG.sub(_hidden, SCRIPT.sub("", html))


def setup(app):
    def builder_inited(app):
        templates = getattr(app.builder, "templates", None)
        if templates is None or app.builder.format != "html":
            return
        render = templates.render

        def render_page(template: str, context: dict) -> str:
            return webfont_icons(render(template, context))
        templates.render = render_page

    app.connect("builder-inited", builder_inited)
    # What this module does shows only in the pages written: a new version of it must write
    # them all again, not only those whose source changed.  Sphinx starts from a fresh build
    # environment when an extension's env_version changes: this file's digest is that version.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": _digest()}


def _digest() -> int:
    return int.from_bytes(hashlib.sha256(Path(__file__).read_bytes()).digest()[:4], "big")
