"""The book's live mode: every "Try it live" cell gets a panel that runs the simulator in the
reader's browser, and the built site gets what that needs.  A Sphinx extension
(``_config.yml``: ``sphinx.local_extensions``).

- After each code cell that calls ``LivePlayer(scenario, **params)`` (the cell Binder runs),
  the page gets ``sim.view.inpage.panel_html`` for the same call: form controls made from
  ``sim.view.live.control_specs``, a Run button, a status line; and the panel's small script
  and styles (``book/_live/panel.js``, ``panel.css``).
- When the build finishes, ``_static/op1-live/`` gets: Pyodide (from ``node_modules``, the
  npm registry, installed by ``make``; its lock file without the package list), a snapshot of
  its memory after start-up and importing the simulator (made under node, kept in
  ``_build/live-snapshot`` by the bytes of sim.zip among others),
  ``@hpcc-js/wasm-graphviz``'s module, the worker, ``sim.zip`` (the package built from this
  checkout, ``sim/kernel`` left out: it is the only part that touches a network) and
  ``scapy.zip``: the files of scapy's pure-Python wheel (``pip download``, the version
  installed here; kept in ``_build/live-wheels``) that the replays import, listed in
  ``manifest.json``.

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
SNAPSHOTS = ROOT / "_build" / "live-snapshot"
SNAPSHOT = "python.snapshot.gz"
STATIC = "_static/op1-live"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs")      # and pyodide.asm.wasm, gzipped: wasm_gz()
WASM = "pyodide.asm.wasm"
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


def _node(script: str, *args, what: str) -> str:
    node = shutil.which("node")
    if node is None:
        raise LiveBuildError(f"node is missing: {what} is made with it (make system installs nodejs)")
    proc = subprocess.run([node, str(LIVE_SRC / script), *map(str, args)], capture_output=True, text=True,
                          timeout=900)
    if proc.returncode:
        why = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise LiveBuildError(f"could not make {what}: {why}")
    return proc.stdout


def scapy_archive(cache: Path = WHEELS) -> bytes:
    """The part of scapy's wheel the live replays use: the files of the modules imported under
    Pyodide when every scenario's first packets are built, dissected and written as a pcapng
    (``_live/scapy_modules.mjs``), and its licence: 0.3 MB of the wheel's 2.8; with their
    bytecode compiled by Pyodide's Python (``_live/compile_pyc.mjs``, 0.9 MB in all), which
    made importing them under node 1.7-2.7 s -> 0.6-0.9 s.  Kept in
    ``cache`` by what decides that list (the wheel, the packet and pcap code, the scanner)."""
    import hashlib
    import io
    wheel = scapy_wheel(cache)
    key = hashlib.sha256()
    for part in (wheel.name.encode(), *(f.read_bytes() for f in (
            ROOT / "sim" / "pcap.py", ROOT / "sim" / "packet.py", ROOT / "sim" / "view" / "pktpane.py",
            LIVE_SRC / "scapy_modules.mjs", LIVE_SRC / "compile_pyc.mjs", stdlib_zip()))):
        key.update(hashlib.sha256(part).digest())
    out = cache / f"{wheel.name[:-4]}-live-{key.hexdigest()[:16]}.zip"
    if out.exists():
        return out.read_bytes()
    zip_path = cache / "sim-for-scan.zip"
    zip_path.write_bytes(sim_archive())
    used = set(json.loads(_node("scapy_modules.mjs", NODE / "pyodide", zip_path, wheel, stdlib_zip(),
                                what="the list of scapy's modules the live panels use").strip().splitlines()[-1]))
    buf = io.BytesIO()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        names = sorted(n for n in src.namelist()
                       if n in used or (".dist-info/" in n and "LICENSE" in n.upper()))
        missing = used - set(names)
        if missing:
            raise LiveBuildError(f"scapy's wheel lacks {sorted(missing)[0]}, which the live panels import")
        for n in names:
            info = zipfile.ZipInfo(n, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, src.read(n))
    for old in cache.glob(f"{wheel.name[:-4]}-live-*.zip"):
        old.unlink()
    sources = cache / "scapy-sources.zip"
    sources.write_bytes(buf.getvalue())
    _node("compile_pyc.mjs", NODE / "pyodide", stdlib_zip(), sources, out,
          what="the bytecode of scapy's modules for the live panels")
    return out.read_bytes()


#: Top-level parts of Pyodide's standard library that nothing in a live run imports (the REPL,
#: debuggers, profilers, test frameworks, mail and FTP clients, processes Pyodide cannot start):
#: left out of the site's ``python_stdlib.zip``, 0.45 MB.  ``scapy_archive``'s scan runs with the
#: trimmed library, so a run that needed one of them would stop the build.
STDLIB_LEFT_OUT = {"_pyrepl", "__phello__", "cProfile.py", "doctest.py", "ftplib.py", "imaplib.py",
                   "mailbox.py", "multiprocessing", "pdb.py", "pickletools.py", "poplib.py", "profile.py",
                   "pstats.py", "pydoc.py", "smtplib.py", "sqlite3", "tabnanny.py", "timeit.py", "trace.py",
                   "unittest", "wsgiref", "xmlrpc"}


def stdlib_zip(cache: Path = SNAPSHOTS) -> Path:
    """Pyodide's ``python_stdlib.zip`` without ``STDLIB_LEFT_OUT`` (entries otherwise as they are)."""
    import hashlib
    src = NODE / "pyodide" / "python_stdlib.zip"
    key = hashlib.sha256(src.read_bytes() + repr(sorted(STDLIB_LEFT_OUT)).encode()).hexdigest()[:16]
    out = cache / f"python_stdlib-{key}.zip"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(tmp, "w") as b:
        for info in a.infolist():
            if info.filename.split("/")[0] not in STDLIB_LEFT_OUT:
                b.writestr(info, a.read(info), compress_type=info.compress_type)
    tmp.replace(out)
    return out


def lock_file() -> bytes:
    """Pyodide's lock file without its package list: the worker loads no Pyodide package (the
    full list is 0.12 MB that a Run would fetch for nothing)."""
    info = json.loads((NODE / "pyodide" / "pyodide-lock.json").read_text())["info"]
    return json.dumps({"info": info, "packages": {}}, sort_keys=True).encode() + b"\n"


def sim_key(archive: bytes | None = None) -> str:
    """The hash of ``sim.zip`` that the snapshot keeps and the manifest names: the worker
    restores the snapshot only for the sim.zip it was made with."""
    import hashlib
    return hashlib.sha256(sim_archive() if archive is None else archive).hexdigest()[:16]


def python_snapshot(cache: Path = SNAPSHOTS) -> Path:
    """Pyodide's memory after start-up and after importing what a run and its first frame
    import from ``sim`` (not scapy), gzipped (``_live/snapshot.mjs`` under node): the worker
    restores it instead of starting the interpreter and compiling the simulator's modules,
    which were most of a cold Run's time.  Kept in ``cache`` by what it is made of (Pyodide,
    the maker, the standard library and this checkout's sim.zip)."""
    import hashlib
    maker = LIVE_SRC / "snapshot.mjs"
    stdlib = stdlib_zip(cache)
    sim = sim_archive()
    key = hashlib.sha256(maker.read_bytes() + (NODE / "pyodide" / "package.json").read_bytes()
                         + (NODE / "pyodide" / "pyodide.asm.wasm").read_bytes() + stdlib.read_bytes()
                         + sim).hexdigest()[:16]
    out = cache / f"{key}.gz"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    zip_path = cache / "sim-for-snapshot.zip"
    zip_path.write_bytes(sim)
    _node("snapshot.mjs", NODE / "pyodide", stdlib, zip_path, sim_key(sim), out,
          what="the live panels' Python snapshot")
    if not out.exists():
        raise LiveBuildError("could not make the live panels' Python snapshot: node wrote nothing")
    for old in cache.glob("*.gz"):
        if old != out and not old.name.startswith(WASM):
            old.unlink()
    return out


def wasm_gz(cache: Path = SNAPSHOTS) -> Path:
    """Pyodide's WebAssembly (9.6 MB) gzipped: 3.5 MB in the site.  Pyodide fetches
    ``pyodide.asm.wasm`` by name; the worker answers that one fetch with this file unzipped
    as it arrives (``DecompressionStream``), so the browser still compiles it while it
    streams.  Kept in ``cache`` by the content it is made from; the same bytes every build."""
    import gzip
    import hashlib
    src = (NODE / "pyodide" / WASM).read_bytes()
    out = cache / f"{WASM}.{hashlib.sha256(src).hexdigest()[:16]}.gz"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    _write(out, gzip.compress(src, compresslevel=9, mtime=0))
    for old in cache.glob(f"{WASM}.*.gz"):
        if old != out:
            old.unlink()
    return out


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
    files = [*(NODE / "pyodide" / f for f in PYODIDE_FILES), wasm_gz(), GRAPHVIZ, LIVE_SRC / "worker.js",
             python_snapshot(), stdlib_zip()]
    return (sum(f.stat().st_size for f in files if f.exists()) + len(sim_archive()) + len(scapy_archive())
            + len(lock_file()))


def build_live(dest: Path) -> dict:
    """Write the live files into ``dest``; returns the manifest."""
    missing = [p for p in [*(NODE / "pyodide" / f for f in (*PYODIDE_FILES, WASM)), GRAPHVIZ] if not p.exists()]
    if missing:
        raise LiveBuildError(f"{missing[0].relative_to(ROOT)} is missing: the live panels need the npm "
                             "packages of package.json (make node_modules/.installed runs npm ci)")
    (dest / "pyodide").mkdir(parents=True, exist_ok=True)
    for f in PYODIDE_FILES:
        _copy(NODE / "pyodide" / f, dest / "pyodide" / f)
    _copy(wasm_gz(), dest / "pyodide" / f"{WASM}.gz")
    (dest / "pyodide" / WASM).unlink(missing_ok=True)     # shipped whole before it was gzipped
    _copy(GRAPHVIZ, dest / "graphviz.mjs")
    for f in ("worker.js", "panel.js", "panel.css"):
        _copy(LIVE_SRC / f, dest / f)
    _write(dest / "pyodide" / "pyodide-lock.json", lock_file())
    _copy(stdlib_zip(), dest / "pyodide" / "python_stdlib.zip")
    _write(dest / "sim.zip", sim_archive())
    _write(dest / "scapy.zip", scapy_archive())
    _copy(python_snapshot(), dest / SNAPSHOT)
    for old in dest.glob("scapy-*.whl"):            # the whole wheel, shipped before scapy.zip
        old.unlink()
    # scapy is first imported when a packet is drawn: the worker unpacks it after the first frame
    manifest = {"archives": [{"file": "sim.zip"}, {"file": "scapy.zip", "later": True}], "snapshot": SNAPSHOT,
                "sim": sim_key()}
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
