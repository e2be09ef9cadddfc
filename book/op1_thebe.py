"""No Thebe on the book's pages: they run live without it.

Jupyter Book 1 always loads ``sphinx_thebe``, even with ``launch_buttons: thebe: false`` (this
book's setting: its pages run the simulator in the reader's browser, ``op1_inpage``, and open in
Binder).  It still puts on every page ``sphinx-thebe.js`` and an inline script declaring
``const THEBE_JS_URL`` (Thebe's script on the unpkg CDN) -- twice, so that every page logged
"Identifier 'THEBE_JS_URL' has already been declared" -- naming a CDN the offline site must never
use.  With Thebe off nothing reads them: each page's scripts leave them out.
"""
from __future__ import annotations


def is_thebe(js) -> bool:
    """A script of sphinx-thebe's: its file, or its inline configuration."""
    name = str(getattr(js, "filename", "") or "")
    body = getattr(js, "attributes", {}).get("body", "")
    return name.rsplit("/", 1)[-1].startswith("sphinx-thebe") or "THEBE_JS_URL" in body


def setup(app):
    def page_context(app, pagename, templatename, context, doctree):
        if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
            return                              # Thebe on: its scripts stay
        scripts = context.get("script_files")
        if scripts:
            context["script_files"] = [js for js in scripts if not is_thebe(js)]

    app.connect("html-page-context", page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
