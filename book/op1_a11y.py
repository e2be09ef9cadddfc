"""Accessibility fixes the book makes to its theme and extensions (issue 18), where a template,
a stylesheet or a small change of the rendered page can make them; what remains is listed in the
README with the upstream issue it belongs to.

- ``_templates/``: the theme's search button, colour-mode button and logo link (their accessible
  names contain their visible text; the logo link sits in a landmark).
- ``_assets/a11y/op1-a11y.css``: colours the theme's dark mode gets wrong on the book's own output.
- the references page: docutils writes its citations as ``<div role="list">`` of
  ``role="doc-biblioentry"`` items, a role DPUB-ARIA 1.1 deprecated (it is not a list item), so the
  list had no valid items; they become ``role="listitem"``.
"""
from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSS = "op1-a11y.css"


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

    app.connect("config-inited", config_inited)
    app.connect("html-page-context", page_context)
    app.add_css_file(CSS)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
