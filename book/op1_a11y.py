"""Accessibility fixes the book makes to its theme and extensions (issue 18), where a template,
a stylesheet or a small change of the rendered page can make them; what remains is listed in the
README with the upstream issue it belongs to.

- ``_templates/``: the theme's search button, colour-mode button and logo link (their accessible
  names contain their visible text; the logo link sits in a landmark).
- ``_assets/a11y/op1-a11y.css``: colours the theme's dark mode gets wrong on the book's own output,
  the theme's icon glyphs with an empty alternative text, the fade at the edge of a figure that
  scrolls sideways, and full-width cells kept within the window on a small laptop (992-1199 px:
  the theme's 136 % of the column scrolled the whole page sideways).
- ``_assets/a11y/op1-a11y.js``: a figure's box is a keyboard stop only while it scrolls; the sidebars'
  toggle buttons a reader sees work (the theme binds only the first of each, a hidden one).
- a replay's title (``sim.view.player``: a plain line, as the player can't know the page's outline)
  becomes a heading one level below the section it is in, so that a screen reader's heading
  navigation reaches each replay, as it reaches the live panel's (h4 under the panel's h3).
- a table of the text (the theme's, booklib's cards) is named, ``aria-label``, by the sentence
  that introduces it or its section's heading: a screen reader's list of tables said only "table".
- the references page: docutils writes its citations as ``<div role="list">`` of
  ``role="doc-biblioentry"`` items, a role DPUB-ARIA 1.1 deprecated (it is not a list item), so the
  list had no valid items; they become ``role="listitem"``.
"""
from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSS = "op1-a11y.css"
JS = "op1-a11y.js"


def citations_as_list_items(body: str) -> str:
    """docutils' citation list with valid items: ``role="doc-biblioentry"`` -> ``role="listitem"``."""
    return re.sub(r'(<div class="citation"[^>]*?) role="doc-biblioentry"', r'\1 role="listitem"', body)


PLAYER_TITLE = '<div class="op1-title">'
_HEADING_OR_TITLE = re.compile(r'<h([1-6])[\s>]|<div class="op1-title">(.*?)</div>', re.S)


def player_titles_as_headings(body: str) -> str:
    """Each ``<div class="op1-title">`` as a heading one level below the heading before it
    (h6 at most; h2 before any heading)."""
    level = 1

    def one(m):
        nonlocal level
        if m.group(1):
            level = int(m.group(1))
            return m.group(0)
        n = min(level + 1, 6)
        return f'<h{n} class="op1-title">{m.group(2)}</h{n}>'
    return _HEADING_OR_TITLE.sub(one, body)


_TABLE = re.compile(r'<table class="table\b[^"]*"(?![^>]*\baria-label)[^>]*>')
_HEADING = re.compile(r'<h[1-6]\b[^>]*>(.*?)</h[1-6]>', re.S)
_PARA = re.compile(r'<p\b[^>]*>((?:(?!<p\b).)*?)</p>((?:\s|<[^>]+>)*)\Z', re.S)
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
NAME_MAX = 90


def _words(fragment: str) -> str:
    """The text of an HTML fragment, on one line (a heading's link mark "#" left out)."""
    text = re.sub(r"<[^>]+>", "", _HEADERLINK.sub("", fragment))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def tables_named(body: str) -> str:
    """Each table of the page's text (the theme's ``<table class="table">``, booklib's cards) named
    (``aria-label``) for a screen reader's list of tables, which said only "table" for each: by the
    sentence that introduces it -- the last of the paragraph just before it, when that ends in a
    colon and is at most NAME_MAX characters ("The article's own table of endpoints") -- or else by
    its section's heading ("Addresses"; "Flush, table 2" where a section has more than one)."""
    found = []
    for m in _TABLE.finditer(body):
        before = body[:m.start()]
        name = ""
        p = _PARA.search(before[-4000:])
        if p:
            last = re.split(r"(?<=[.!?])\s+", _words(p.group(1)))[-1]
            if last.endswith(":") and len(last) <= NAME_MAX + 1:
                name = last[:-1].rstrip()
        heading = ""
        for h in _HEADING.finditer(before):
            heading = _words(h.group(1))
        found.append((m, name, heading))
    count: dict[str, int] = {}
    for _, name, heading in found:
        if not name and heading:
            count[heading] = count.get(heading, 0) + 1
    seen: dict[str, int] = {}
    out, at = [], 0
    for m, name, heading in found:
        if not name and heading:
            seen[heading] = seen.get(heading, 0) + 1
            name = heading if count[heading] == 1 else f"{heading}, table {seen[heading]}"
        out.append(body[at:m.end() - 1])
        if name:
            out.append(f' aria-label="{html.escape(name)}"')
        out.append(">")
        at = m.end()
    out.append(body[at:])
    return "".join(out)

def setup(app):
    def config_inited(app, config):
        config.templates_path.insert(0, str(HERE / "_templates"))
        config.html_static_path.append(str(HERE / "_assets" / "a11y"))

    def page_context(app, pagename, templatename, context, doctree):
        body = context.get("body")
        if body and "doc-biblioentry" in body:
            context["body"] = body = citations_as_list_items(body)
        if body and '<table class="table' in body:
            context["body"] = body = tables_named(body)
        if body and PLAYER_TITLE in body:
            context["body"] = player_titles_as_headings(body)

    def doctree_read(app, doctree):
        # the page whose citations this rewrites is written again when this file changes
        from docutils import nodes
        if next(iter(doctree.findall(nodes.citation)), None) is not None:
            app.env.note_dependency(__file__)

    app.connect("config-inited", config_inited)
    app.connect("doctree-read", doctree_read)
    app.connect("html-page-context", page_context)
    app.add_css_file(CSS)
    app.add_js_file(JS, loading_method="defer")
    # Sphinx copies the static files only when some page is written: an edit of the stylesheet,
    # the script or a template alone would leave the site as it was ("no targets are out of
    # date").  Their digest is this extension's env_version, so such an edit writes every page.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": _digest()}


def _digest() -> int:
    files = [Path(__file__), *sorted((HERE / "_assets" / "a11y").glob("*")), *sorted((HERE / "_templates").rglob("*.html"))]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return int.from_bytes(h.digest()[:4], "big")
