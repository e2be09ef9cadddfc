"""The book's live mode: every "Try it live" cell gets a panel that runs the simulator in the
reader's browser, and the built site gets what that needs.  A Sphinx extension
(``_config.yml``: ``sphinx.local_extensions``).

- After each code cell that calls ``LivePlayer(scenario, **params)`` (the cell Binder runs),
  the page gets ``sim.view.inpage.panel_html`` for the same call: form controls made from
  ``sim.view.live.control_specs``, a Run button, a status line; and the panel's small script
  and styles (``book/_live/panel.js``, ``panel.css``).
- When the build finishes, ``_static/op1-live/`` gets: Pyodide (from ``node_modules``, the
  npm registry, installed by ``make``), ``@hpcc-js/wasm-graphviz``'s module, the worker,
  ``sim.zip`` (the package built from this checkout, ``sim/kernel`` left out: it is the only
  part that touches a network) and scapy's pure-Python wheel (``pip download``, the version
  installed here; kept in ``_build/live-wheels``), listed in ``manifest.json``.

Nothing is fetched from any other place at run time; nothing heavy before the reader presses Run.
``python book/op1_inpage.py DIR`` writes the live files into DIR (for the tests).
"""
from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIVE_SRC = ROOT / "book" / "_live"
NODE = ROOT / "node_modules"
WHEELS = ROOT / "_build" / "live-wheels"
STATIC = "_static/op1-live"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")
GRAPHVIZ = NODE / "@hpcc-js" / "wasm-graphviz" / "dist" / "index.js"
ZIP_DATE = (2000, 1, 1, 0, 0, 0)     # fixed: the same checkout gives the same archive


class LiveBuildError(RuntimeError):
    pass


# -- the cell -----------------------------------------------------------------------------------

def live_call(source: str) -> tuple[str, dict] | None:
    """``(scenario, params)`` of the ``LivePlayer(...)`` call in a cell's source, else None."""
    if "LivePlayer(" not in source:
        return None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "LivePlayer":
            try:
                scenario = ast.literal_eval(node.args[0])
                params = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
            except (IndexError, ValueError) as e:
                raise LiveBuildError(f"a LivePlayer call must give the scenario and literal parameters: "
                                     f"{ast.unparse(node)} ({e or 'no scenario'})") from None
            return scenario, params
    return None


# -- the site's files ------------------------------------------------------------------------------

def sim_archive(root: Path = ROOT) -> bytes:
    """The package ``sim`` of this checkout as a zip (sorted, fixed dates: reproducible)."""
    import io
    buf = io.BytesIO()
    files = sorted(p for p in (root / "sim").rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
                   and "kernel" not in p.relative_to(root / "sim").parts[:1])
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in files:
            info = zipfile.ZipInfo(p.relative_to(root).as_posix(), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, p.read_bytes())
    return buf.getvalue()


def scapy_wheel(cache: Path = WHEELS) -> Path:
    """scapy's pure-Python wheel from PyPI, the version installed here (pip's own download)."""
    from importlib.metadata import version
    v = version("scapy")
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"scapy-{v}-py3-none-any.whl"))
    if found:
        return found[0]
    proc = subprocess.run([sys.executable, "-m", "pip", "download", f"scapy=={v}", "--no-deps",
                           "--only-binary=:all:", "-q", "-d", str(cache)], capture_output=True, text=True)
    found = sorted(cache.glob(f"scapy-{v}-py3-none-any.whl"))
    if proc.returncode or not found:
        why = (proc.stderr.strip().splitlines() or ["no pure-Python wheel"])[-1]
        raise LiveBuildError(f"could not fetch scapy {v}'s wheel from PyPI for the live panels: {why}")
    return found[0]


def _copy(src: Path, dst: Path) -> None:
    if dst.exists() and dst.stat().st_size == src.stat().st_size and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    tmp = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


def _write(dst: Path, data: bytes) -> None:
    if dst.exists() and dst.read_bytes() == data:
        return
    tmp = dst.with_name(dst.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(dst)


def fetched_bytes() -> int:
    """What the first Run fetches: Pyodide, Graphviz, the worker, the archives."""
    files = [*(NODE / "pyodide" / f for f in PYODIDE_FILES), GRAPHVIZ, LIVE_SRC / "worker.js", scapy_wheel()]
    return sum(f.stat().st_size for f in files if f.exists()) + len(sim_archive())


def build_live(dest: Path) -> dict:
    """Write the live files into ``dest``; returns the manifest."""
    missing = [p for p in [*(NODE / "pyodide" / f for f in PYODIDE_FILES), GRAPHVIZ] if not p.exists()]
    if missing:
        raise LiveBuildError(f"{missing[0].relative_to(ROOT)} is missing: the live panels need the npm "
                             "packages of package.json (make node_modules/.installed runs npm ci)")
    (dest / "pyodide").mkdir(parents=True, exist_ok=True)
    for f in PYODIDE_FILES:
        _copy(NODE / "pyodide" / f, dest / "pyodide" / f)
    _copy(GRAPHVIZ, dest / "graphviz.mjs")
    for f in ("worker.js", "panel.js", "panel.css"):
        _copy(LIVE_SRC / f, dest / f)
    _write(dest / "sim.zip", sim_archive())
    wheel = scapy_wheel()
    _copy(wheel, dest / wheel.name)
    manifest = {"archives": [{"file": "sim.zip"}, {"file": wheel.name}]}
    _write(dest / "manifest.json", json.dumps(manifest, indent=1).encode() + b"\n")
    return manifest


# -- Sphinx ------------------------------------------------------------------------------------------

def setup(app):
    from docutils import nodes
    from sphinx.errors import ExtensionError

    pages: set[str] = set()

    def doctree_resolved(app, doctree, docname):
        from sim.view.inpage import panel_html
        base = "../" * docname.count("/") + STATIC + "/"
        size = None
        k = 0
        for cell in list(doctree.findall(nodes.container)):
            if cell.get("nb_element") != "cell_code":
                continue
            src = "".join(b.astext() for b in cell.findall(nodes.literal_block)
                          if b.parent.get("nb_element") == "cell_code_source")
            try:
                call = live_call(src)
            except (LiveBuildError, SyntaxError) as e:
                raise ExtensionError(f"{docname}: {e}") from None
            if call is None:
                continue
            scenario, params = call
            k += 1
            try:
                size = size or fetched_bytes()
                html = panel_html(scenario, base, f"op1-live-{k}", size, **params)
            except (LiveBuildError, ValueError) as e:
                raise ExtensionError(f"{docname}: the live panel for {scenario!r}: {e}") from None
            cell.parent.insert(cell.parent.index(cell) + 1, nodes.raw("", html, format="html"))
            pages.add(docname)

    def doctree_read(app, doctree):
        # a page with a panel is written again when the panel's makers change
        if any("LivePlayer(" in b.astext() for b in doctree.findall(nodes.literal_block)):
            for dep in (Path(__file__), ROOT / "sim" / "view" / "inpage.py", ROOT / "sim" / "view" / "live.py"):
                app.env.note_dependency(str(dep))

    def page_context(app, pagename, templatename, context, doctree):
        if pagename in pages:
            app.add_css_file("op1-live/panel.css")
            app.add_js_file("op1-live/panel.js", loading_method="defer")

    def finished(app, exception):
        if exception is None and app.builder.format == "html":
            try:
                build_live(Path(app.outdir) / STATIC)
            except LiveBuildError as e:
                raise ExtensionError(str(e)) from None

    app.connect("doctree-read", doctree_read)
    app.connect("doctree-resolved", doctree_resolved)
    app.connect("html-page-context", page_context)
    app.connect("build-finished", finished)
    return {"parallel_read_safe": True, "parallel_write_safe": False}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python book/op1_inpage.py DIR   (writes the live files into DIR)", file=sys.stderr)
        sys.exit(2)
    try:
        print(json.dumps(build_live(Path(sys.argv[1]))))
    except LiveBuildError as e:
        print(f"op1_inpage: {e}", file=sys.stderr)
        sys.exit(1)
