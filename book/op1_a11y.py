"""Accessibility fixes the book makes to its theme and extensions (issue 18), where a template,
a stylesheet or a small change of the rendered page can make them; what remains is listed in the
README with the upstream issue it belongs to.

- ``_templates/``: the theme's search button, colour-mode button and logo link (their accessible
  names contain their visible text; the logo link sits in a landmark).
- ``_assets/a11y/op1-a11y.css``: colours the theme's dark mode gets wrong on the book's own output,
  the theme's icon glyphs with an empty alternative text, and the fade at the edge of a figure that
  scrolls sideways.
- ``_assets/a11y/op1-a11y.js``: a figure's box is a keyboard stop only while it scrolls.
- the references page: docutils writes its citations as ``<div role="list">`` of
  ``role="doc-biblioentry"`` items, a role DPUB-ARIA 1.1 deprecated (it is not a list item), so the
  list had no valid items; they become ``role="listitem"``.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSS = "op1-a11y.css"
JS = "op1-a11y.js"


def citations_as_list_items(body: str) -> str:
    """docutils' citation list with valid items: ``role="doc-biblioentry"`` -> ``role="listitem"``."""
    return re.sub(r'(<div class="citation"[^>]*?) role="doc-biblioentry"', r'\1 role="listitem"', body)


def setup(app):
    def config_inited(app, config):
        config.templates_path.insert(0, str(HERE / "_templates"))
        config.html_static_path.append(str(HERE / "_assets" / "a11y"))

    def page_context(app, pagename, templatename, context, doctree):
        body = context.get("body")
        if body and "doc-biblioentry" in body:
            context["body"] = citations_as_list_items(body)

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
