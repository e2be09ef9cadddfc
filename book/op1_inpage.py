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
  installed here) that the replays import, listed in
  ``manifest.json``.

What depends only on installed packages (Pyodide's trimmed standard library, its gzipped
WebAssembly, scapy's wheel and the bytecode of all its modules, Pyodide's memory after its
start-up, from which the snapshot's maker starts) is made at install time into
``node_modules/.op1-live`` (``python book/op1_inpage.py --install``, run by ``make``), each
file named by the hash of what it is made from; what depends on this checkout's ``sim`` (the
snapshot, the list of scapy's modules a replay imports) is made by the build, into ``_build``,
under a lock (``build_lock``): two processes never make them at once, and the one that waits
then finds them made.  ``make book`` makes them in the background while Sphinx runs
(``python book/op1_inpage.py --cache``, started by book/execute_parallel.py), and Sphinx, when
it needs them, waits for that lock.

Nothing is fetched from any other place at run time; nothing heavy before the reader changes a
parameter or presses Run (book/_live/panel.js).
``python book/op1_inpage.py DIR`` writes the live files into DIR (for the tests).
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIVE_SRC = ROOT / "book" / "_live"
NODE = ROOT / "node_modules"
INSTALLED = NODE / ".op1-live"          # made from installed packages only: kept across cold builds
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

def live_call(source: str, glued: dict | None = None) -> tuple[str, dict] | None:
    """``(scenario, params)`` of the ``LivePlayer(...)`` call in a cell's source, else None.
    Its parameters are literals, or ``**NAME``: the dict the chapter glued as ``NAME`` (``glued``,
    the page's glue data, ``{name: {"data": {"text/plain": repr}}}``) where its figure takes
    the same values, so that the panel starts from the run the reader has just seen (chapter 6's
    seed is the first that tells the story: computed, never typed in the panel's cell)."""
    if "LivePlayer(" not in source:
        return None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "LivePlayer":
            try:
                scenario = ast.literal_eval(node.args[0])
                params = {}
                for k in node.keywords:
                    params.update(_glued_params(k.value, glued) if k.arg is None else {k.arg: ast.literal_eval(k.value)})
            except (IndexError, ValueError) as e:
                raise LiveBuildError(f"a LivePlayer call must give the scenario and literal parameters "
                                     f"(or **NAME, a dict the chapter glues as NAME): "
                                     f"{ast.unparse(node)} ({e or 'no scenario'})") from None
            return scenario, params
    return None


def _glued_params(node, glued: dict | None) -> dict:
    """The dict glued under the name of ``**NAME`` (``bl.glue_text("NAME", NAME)``)."""
    if not isinstance(node, ast.Name):
        raise ValueError(f"**{ast.unparse(node)} is not a name")
    cell = (glued or {}).get(node.id)
    if cell is None:
        raise ValueError(f"the chapter glues no {node.id!r} (bl.glue_text({node.id!r}, {node.id}) where its figure "
                         f"is run)" + ("" if glued else ": its glued values were not found"))
    value = ast.literal_eval(cell.get("data", {}).get("text/plain", ""))
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{node.id!r} is glued as {value!r}, not a dict of parameters")
    return value


def page_glue(outdir: Path, docname: str) -> dict:
    """The glue data myst-nb wrote for ``docname`` (``jupyter_execute/DOC.glue.json`` beside the
    builder's output folder), or {}."""
    path = Path(outdir).parent / "jupyter_execute" / f"{docname}.glue.json"
    return json.loads(path.read_text()) if path.is_file() else {}


# -- the caches' lock ------------------------------------------------------------------------------

_held: dict[Path, list] = {}


@contextlib.contextmanager
def _locked(cache: Path):
    """An exclusive ``flock`` on ``cache/.lock`` while files are made there: two processes
    (the build's background maker and Sphinx, two builds, a test) never make the same file at
    once, and the one that waits then finds it made.  Re-entrant within a process."""
    import fcntl
    cache.mkdir(parents=True, exist_ok=True)
    key = cache.resolve()
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    fd = os.open(cache / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held[key] = [fd, 1]
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)            # releases the lock


def build_lock():
    """The lock of the files the build makes from this checkout (the snapshot, scapy's list)."""
    return _locked(SNAPSHOTS)


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


def scapy_wheel(cache: Path = INSTALLED) -> Path:
    """scapy's pure-Python wheel from PyPI, the version installed here (pip's own download)."""
    from importlib.metadata import version
    v = version("scapy")
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"scapy-{v}-py3-none-any.whl"))
    if found:
        return found[0]
    with _locked(cache):
        return _download_scapy(cache, v)


def _download_scapy(cache: Path, v: str) -> Path:
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
        # the error's own line: the last before node's stack ("    at ...") -- a Python error's
        # last line, not the 128 KB source line of pyodide.asm.mjs node prints first -- or
        # else the last line that is neither the stack nor node's version
        lines = proc.stderr.splitlines()
        stack = next((k for k, ln in enumerate(lines) if ln.lstrip().startswith("at ")), len(lines))
        said = [ln for ln in lines[:stack] if ln.strip() and len(ln) < 2000] or [
            ln for ln in lines if ln.strip() and not ln.lstrip().startswith("at ") and not ln.startswith("Node.js v")]
        raise LiveBuildError(f"could not make {what}: {said[-1] if said else 'no output'}")
    return proc.stdout


def scapy_bytecode(cache: Path = INSTALLED) -> Path:
    """scapy's whole wheel with the bytecode of each of its modules added, compiled by Pyodide's
    Python (``_live/compile_pyc.mjs``; 7.6 MB, never shipped whole): made at install time, as
    it depends only on the wheel, Pyodide's standard library and the compiler script; the
    site's ``scapy.zip`` is the part of it a replay imports (``scapy_archive``).  Each entry is
    what compiling only those modules gives (the same source, the same compiler)."""
    import hashlib
    wheel = scapy_wheel(cache)
    key = hashlib.sha256()
    for part in (wheel.name.encode(), (LIVE_SRC / "compile_pyc.mjs").read_bytes(), stdlib_zip().read_bytes()):
        key.update(hashlib.sha256(part).digest())
    out = cache / f"{wheel.name[:-4]}-pyc-{key.hexdigest()[:16]}.zip"
    if out.exists():
        return out
    with _locked(cache):
        if not out.exists():
            _node("compile_pyc.mjs", NODE / "pyodide", stdlib_zip(), wheel, out,
                  what="the bytecode of scapy's modules for the live panels")
            for old in cache.glob(f"{wheel.name[:-4]}-pyc-*.zip"):
                if old != out:
                    old.unlink()
    return out


def scapy_archive(cache: Path = WHEELS) -> bytes:
    """The part of scapy's wheel the live replays use: the files of the modules imported under
    Pyodide when every scenario's first packets are built, dissected and written as a pcapng
    (found beside the snapshot: ``python_snapshot``), each with its bytecode
    (``scapy_bytecode``, 0.9 MB in all; it made importing them under node 1.7-2.7 s -> 0.6-0.9
    s), and scapy's licence: of the wheel's 2.8 MB, 0.3 MB of source.  Kept in ``cache`` by
    that list and the compiled wheel it is taken from."""
    import hashlib
    import io
    used_file = scapy_modules_file(python_snapshot())
    compiled = scapy_bytecode()
    listed = used_file.read_bytes()
    key = hashlib.sha256(hashlib.sha256(listed).digest() + compiled.name.encode()).hexdigest()[:16]
    stem = scapy_wheel().name[:-4]
    out = cache / f"{stem}-live-{key}.zip"
    if out.exists():
        return out.read_bytes()
    used = set(json.loads(listed))
    buf = io.BytesIO()
    with zipfile.ZipFile(compiled) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        have = set(src.namelist())
        missing = sorted(used - have)
        if missing:
            raise LiveBuildError(f"scapy's wheel lacks {missing[0]}, which the live panels import")

        def pyc(n):         # its bytecode: folder/__pycache__/NAME.cpython-3XX.pyc, Pyodide's tag
            folder, _, file = n.rpartition("/")
            return n.endswith(".pyc") and folder.endswith("/__pycache__") and \
                f"{folder[:-len('/__pycache__')]}/{file.split('.')[0]}.py" in used
        names = sorted({*used, *(n for n in have if pyc(n)),
                        *(n for n in have if ".dist-info/" in n and "LICENSE" in n.upper())})
        for n in names:
            info = zipfile.ZipInfo(n, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, src.read(n))
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(f"{stem}-live-*.zip"):
        old.unlink()
    _write(out, buf.getvalue())
    return buf.getvalue()


def scapy_modules_file(snapshot: Path) -> Path:
    """The JSON list of scapy's files a replay imports, made with the snapshot."""
    return snapshot.with_name(snapshot.name.removesuffix(".gz") + ".scapy.json")


#: Top-level parts of Pyodide's standard library that nothing in a live run imports (the REPL,
#: debuggers, profilers, test frameworks, mail and FTP clients, processes Pyodide cannot start):
#: left out of the site's ``python_stdlib.zip``, 0.45 MB.  ``scapy_archive``'s scan runs with the
#: trimmed library, so a run that needed one of them would stop the build.
STDLIB_LEFT_OUT = {"_pyrepl", "__phello__", "cProfile.py", "doctest.py", "ftplib.py", "imaplib.py",
                   "mailbox.py", "multiprocessing", "pdb.py", "pickletools.py", "poplib.py", "profile.py",
                   "pstats.py", "pydoc.py", "smtplib.py", "sqlite3", "tabnanny.py", "timeit.py", "trace.py",
                   "unittest", "wsgiref", "xmlrpc"}


def stdlib_zip(cache: Path = INSTALLED) -> Path:
    """Pyodide's ``python_stdlib.zip`` without ``STDLIB_LEFT_OUT`` (entries otherwise as they are)."""
    import hashlib
    src = NODE / "pyodide" / "python_stdlib.zip"
    key = hashlib.sha256(src.read_bytes() + repr(sorted(STDLIB_LEFT_OUT)).encode()).hexdigest()[:16]
    out = cache / f"python_stdlib-{key}.zip"
    if out.exists():
        return out
    with _locked(cache):
        if not out.exists():
            tmp = out.with_name(out.name + ".part")
            with zipfile.ZipFile(src) as a, zipfile.ZipFile(tmp, "w") as b:
                for info in a.infolist():
                    if info.filename.split("/")[0] not in STDLIB_LEFT_OUT:
                        b.writestr(info, a.read(info), compress_type=info.compress_type)
            tmp.replace(out)
            for old in cache.glob("python_stdlib-*.zip"):
                if old != out:
                    old.unlink()
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


def python_base_path(cache: Path = INSTALLED) -> Path:
    """Where ``python_base`` is kept: named by the hash of what it is made from."""
    import hashlib
    key = hashlib.sha256()
    for part in ((LIVE_SRC / "snapshot.mjs").read_bytes(), (NODE / "pyodide" / "package.json").read_bytes(),
                 (NODE / "pyodide" / WASM).read_bytes(), stdlib_zip().read_bytes()):
        key.update(hashlib.sha256(part).digest())
    return cache / f"python-base-{key.hexdigest()[:16]}.snapshot"


def python_base(cache: Path = INSTALLED) -> Path:
    """Pyodide's memory just after its start-up, with the site's standard library (a snapshot,
    31 MB, not shipped): ``python_snapshot``'s two interpreters restore it instead of starting
    Python, which under node takes 2.3-3.4 s of CPU each.  It depends only on installed packages
    and the maker (``_live/snapshot.mjs --base``): made at install time, kept by their hash."""
    out = python_base_path(cache)
    if out.exists():
        return out
    with _locked(cache):
        if not out.exists():
            _node("snapshot.mjs", "--base", NODE / "pyodide", stdlib_zip(), out,
                  what="Pyodide's memory after its start-up, for the live panels' snapshot")
            if not out.exists():
                raise LiveBuildError("could not make Pyodide's start-up snapshot: node wrote nothing")
            for old in cache.glob("python-base-*.snapshot"):
                if old != out:
                    old.unlink()
    return out


def python_snapshot(cache: Path = SNAPSHOTS) -> Path:
    """Pyodide's memory after start-up and after importing what a run and its first frame
    import from ``sim`` (not scapy), gzipped (``_live/snapshot.mjs`` under node): the worker
    restores it instead of starting the interpreter and compiling the simulator's modules,
    which were most of a cold Run's time.  The same node process lists scapy's files the
    replays import (``scapy_modules_file``, for ``scapy_archive``), from scapy's wheel with its
    bytecode (``scapy_bytecode``: not compiled again there).  Kept in ``cache`` by what they are
    made of (Pyodide, the maker, the standard library, scapy's compiled wheel and this checkout's
    sim.zip).  Both of its interpreters start from ``python_base``."""
    import hashlib
    maker = LIVE_SRC / "snapshot.mjs"
    stdlib = stdlib_zip()
    sim = sim_archive()
    wheel = scapy_bytecode()
    base = python_base()
    key = hashlib.sha256(maker.read_bytes() + (NODE / "pyodide" / "package.json").read_bytes()
                         + (NODE / "pyodide" / "pyodide.asm.wasm").read_bytes() + stdlib.read_bytes()
                         + sim + wheel.name.encode() + base.name.encode()).hexdigest()[:16]
    out = cache / f"{key}.gz"
    if out.exists() and scapy_modules_file(out).exists():
        return out
    with build_lock():
        if out.exists() and scapy_modules_file(out).exists():
            return out
        cache.mkdir(parents=True, exist_ok=True)
        zip_path = cache / "sim-for-snapshot.zip"
        zip_path.write_bytes(sim)
        _node("snapshot.mjs", NODE / "pyodide", stdlib, base, zip_path, sim_key(sim), out, wheel, scapy_modules_file(out),
              what="the live panels' Python snapshot and the list of scapy's modules they use")
        if not (out.exists() and scapy_modules_file(out).exists()):
            raise LiveBuildError("could not make the live panels' Python snapshot: node wrote nothing")
        for old in [*cache.glob("*.gz"), *cache.glob("*.scapy.json")]:
            if old not in (out, scapy_modules_file(out)):
                old.unlink()
    return out


def wasm_gz(cache: Path = INSTALLED) -> Path:
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
    with _locked(cache):
        if not out.exists():
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


def install() -> list[Path]:
    """The files made from installed packages only (``INSTALLED``): what ``make`` runs after
    ``npm ci`` and the venv, so that a cold build (no ``_build``) finds them made."""
    return [stdlib_zip(), wasm_gz(), scapy_wheel(), scapy_bytecode(), python_base()]


def fetched_bytes() -> int:
    """What the first Run fetches and counts as it arrives (the panel's "3.1 of 16.3 MB"): Pyodide,
    Graphviz, the archives, the manifest.  Not the worker's own script, which the browser fetches
    before the worker counts anything (the count ended short of its total, "16.2 of 16.3 MB")."""
    files = [*(NODE / "pyodide" / f for f in PYODIDE_FILES), wasm_gz(), GRAPHVIZ, python_snapshot(), stdlib_zip()]
    return (sum(f.stat().st_size for f in files if f.exists()) + len(sim_archive()) + len(scapy_archive())
            + len(lock_file()) + len(manifest_bytes()))


def shipped_js(src: Path) -> bytes:
    """The page's script as every page with a panel loads it, before any Run: without its lines
    that are only a comment (a third of its bytes: the page's cost before Run stays within
    its goal, tests/test_inpage.py); the code and its line comments as written."""
    lines = src.read_text().splitlines(keepends=True)
    return "".join(line for line in lines if not line.lstrip().startswith("//")).encode()


def shipped_css(src: Path) -> bytes:
    """The panel's styles as every page with a panel loads them, before any Run: without their
    comments (half their bytes; the page's cost before Run stays within its goal, as the
    script's does: ``shipped_js``), the rules as written."""
    return re.sub(r"\n{2,}", "\n", re.sub(r"/\*.*?\*/\n?", "", src.read_text(), flags=re.S)).encode()


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
    _copy(LIVE_SRC / "worker.js", dest / "worker.js")
    _write(dest / "panel.css", shipped_css(LIVE_SRC / "panel.css"))
    _write(dest / "panel.js", shipped_js(LIVE_SRC / "panel.js"))
    _write(dest / "pyodide" / "pyodide-lock.json", lock_file())
    _copy(stdlib_zip(), dest / "pyodide" / "python_stdlib.zip")
    _write(dest / "sim.zip", sim_archive())
    _write(dest / "scapy.zip", scapy_archive())
    _copy(python_snapshot(), dest / SNAPSHOT)
    for old in dest.glob("scapy-*.whl"):            # the whole wheel, shipped before scapy.zip
        old.unlink()
    _write(dest / "manifest.json", manifest_bytes())
    return json.loads(manifest_bytes())


def manifest_bytes() -> bytes:
    """The live files' manifest.json: the archives the worker unpacks, the snapshot, sim.zip's key."""
    # scapy is first imported when a packet is drawn: the worker unpacks it after the first frame
    manifest = {"archives": [{"file": "sim.zip"}, {"file": "scapy.zip", "later": True}], "snapshot": SNAPSHOT,
                "sim": sim_key()}
    return json.dumps(manifest, indent=1).encode() + b"\n"


# -- the service worker -------------------------------------------------------------------------------

SW = "sw.js"
#: "Save the book for offline reading", a line at the foot of every page once the worker is
#: active: the worker keeps every page of the book (not the live runtime) and says how many of
#: them are on the device, in a status line after the button (a polite live region, there before
#: it speaks: a screen reader says each of its words; the focus stays on the button).  A page
#: loaded past the worker (a forced reload) has none to ask: the line says so.  The button's
#: height and the status's own line are op1-a11y.css's (a phone's 44 px; on a 360 px phone the
#: status wrapped around a 34 px button).
SAVE_CONTROL = (
    "function op1Save() { var f = document.querySelector('.bd-footer-content__inner') || "
    "document.querySelector('footer'); if (!f || document.querySelector('.op1-save')) return; "
    "var p = document.createElement('p'), b = document.createElement('button'), s = document.createElement('span'); "
    "p.className = 'op1-save footer-item'; b.type = 'button'; b.textContent = 'Save the book for offline reading'; "
    "b.style.cssText = 'font:inherit;padding:.25em .6em'; "
    "s.className = 'op1-save-said'; s.setAttribute('role', 'status'); "
    "b.onclick = function () { var w = navigator.serviceWorker.controller; if (!w) { s.textContent = ' This page was "
    "loaded without the book\u2019s offline copies (a forced reload): reload it, and press again.'; return; } "
    "s.textContent = ' Saving the book\u2019s pages\u2026'; var c = new MessageChannel(); "
    "c.port1.onmessage = function (e) { s.textContent = ' ' + (e.data.newer ? 'A new version of the book is "
    "being installed: reload the page, and press again.' : e.data.saved === e.data.of ? 'All ' + e.data.of + "
    "' pages of the book are on this device: they open offline.' : e.data.saved + ' of ' + e.data.of + "
    "' pages saved: the others did not come from the book\u2019s site (the device is offline, or the network "
    "asks to sign in first); connect, and press again.'); }; "
    "w.postMessage({save: true}, [c.port2]); }; "
    "p.appendChild(b); p.appendChild(s); f.appendChild(p); }")
#: what each page runs to register it (``%s``: its URL, relative to the page)
SW_REGISTER = ("if ('serviceWorker' in navigator && location.protocol !== 'file:') addEventListener('load', "
               "function () { navigator.serviceWorker.register(%s).then(function () { "
               "return navigator.serviceWorker.ready; }).then(function (r) { r.active.postMessage({keep: "
               "[location.href.split('#')[0]].concat(performance.getEntriesByType('resource').map("
               "function (e) { return e.name; }))}); "
               # (and what the page loads after that: a favicon asked for late, on a loaded machine
               # after the list was sent, and by the browser itself, not through the worker)
               "if (window.PerformanceObserver) new PerformanceObserver(function (l) { "
               "var w = navigator.serviceWorker.controller || r.active; "
               "if (w) w.postMessage({keep: l.getEntries().map(function (e) { return e.name; })}); "
               "}).observe({type: 'resource'}); "
               "op1Save(); }).catch(function (e) { "
               "console.info('no service worker: the site works online only (' + e.message + ')'); }); });"
               + SAVE_CONTROL)


def service_worker(built: str, live: Path, pages: list[str] = ()) -> str:
    """book/_live/sw.js with its build: the version the pages' footer says (``built``) and a digest
    of the live files of ``live`` (a build of changed files at the same commit is another build);
    the version alone (VERSION: a web page is kept only if its <meta name="op1-built"> says it);
    and the book's ``pages`` (from the site's root, in the book's order), which "Save the book for
    offline reading" keeps."""
    import hashlib
    digest = hashlib.sha256()
    for f in sorted(p for p in live.rglob("*") if p.is_file()):
        st = f.stat()
        digest.update(f"{f.relative_to(live).as_posix()} {st.st_size}\n".encode())
        if st.st_size < 1_000_000:                  # (the big files are named by their size: Pyodide's)
            digest.update(f.read_bytes())
    text = (LIVE_SRC / SW).read_text()
    return (text.replace("__OP1_BUILD__", f"{built}-{digest.hexdigest()[:12]}").replace("__OP1_VERSION__", built)
            .replace("__OP1_PAGES__", json.dumps(list(pages))))


def write_service_worker(outdir: Path, built: str, pages: list[str] = ()) -> Path:
    """The service worker at the site's root (its scope: every page)."""
    dst = outdir / SW
    _write(dst, service_worker(built, outdir / STATIC, pages).encode())
    return dst


def book_pages(env, builder) -> list[str]:
    """Every page of the book, as the site's root names it: the table of contents' order from
    its first page, then any page it does not list."""
    order: list[str] = []

    def walk(doc):
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)
    walk(env.config.root_doc)
    order += sorted(set(env.found_docs) - set(order))
    return [builder.get_target_uri(d) for d in order if d in env.found_docs]


# -- Sphinx ------------------------------------------------------------------------------------------

def setup(app):
    from docutils import nodes
    from sphinx.errors import ExtensionError

    pages: set[str] = set()
    fetched: list[int] = []      # fetched_bytes(), once per build: the files do not change during it

    def doctree_resolved(app, doctree, docname):
        from sim.view.inpage import panel_html
        base = "../" * docname.count("/") + STATIC + "/"
        k = 0
        for cell in list(doctree.findall(nodes.container)):
            if cell.get("nb_element") != "cell_code":
                continue
            src = "".join(b.astext() for b in cell.findall(nodes.literal_block)
                          if b.parent.get("nb_element") == "cell_code_source")
            try:
                call = live_call(src, page_glue(app.outdir, docname))
            except (LiveBuildError, SyntaxError) as e:
                raise ExtensionError(f"{docname}: {e}") from None
            if call is None:
                continue
            scenario, params = call
            k += 1
            try:
                if not fetched:
                    fetched.append(fetched_bytes())
                html = panel_html(scenario, base, f"op1-live-{k}", fetched[0], **params)
            except (LiveBuildError, ValueError) as e:
                raise ExtensionError(f"{docname}: the live panel for {scenario!r}: {e}") from None
            # as wide as the chapters' replays, cells tagged full-width (the theme's class, panel.css)
            cell.parent.insert(cell.parent.index(cell) + 1,
                               nodes.raw("", f'<div class="full-width">{html}</div>', format="html"))
            pages.add(docname)

    def doctree_read(app, doctree):
        # a page with a panel is written again when the panel's makers change
        if any("LivePlayer(" in b.astext() for b in doctree.findall(nodes.literal_block)):
            for dep in (Path(__file__), ROOT / "sim" / "view" / "inpage.py", ROOT / "sim" / "view" / "live.py"):
                app.env.note_dependency(str(dep))

    def page_context(app, pagename, templatename, context, doctree):
        if app.builder.format == "html":
            # every page registers the site's service worker (book/_live/sw.js, at the site's root:
            # its scope), once the page has loaded; not from a file:// page, where there is none
            root = "../" * pagename.count("/")
            app.add_js_file(None, body=SW_REGISTER % json.dumps(root + SW), priority=900)
        if pagename in pages:
            app.add_css_file("op1-live/panel.css")
            app.add_js_file("op1-live/panel.js", loading_method="defer")

    def finished(app, exception):
        if exception is None and app.builder.format == "html":
            try:
                build_live(Path(app.outdir) / STATIC)
            except LiveBuildError as e:
                raise ExtensionError(str(e)) from None
            write_service_worker(Path(app.outdir), getattr(app, "op1_built", "unknown"),
                                 book_pages(app.env, app.builder))

    app.connect("doctree-read", doctree_read)
    app.connect("doctree-resolved", doctree_resolved)
    app.connect("html-page-context", page_context)
    app.connect("build-finished", finished)
    # every page registers the service worker: a new version of this module writes every page
    # (Sphinx reads the whole environment again when an extension's env_version changes)
    import hashlib
    version = int.from_bytes(hashlib.sha256(Path(__file__).read_bytes()).digest()[:4], "big")
    return {"parallel_read_safe": True, "parallel_write_safe": False, "env_version": version}


USAGE = ("usage: python book/op1_inpage.py DIR | --install | --cache   (the live files written into DIR; "
         "those made from installed packages, into node_modules/.op1-live; those the build makes, into _build)")

if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1].startswith("-") and sys.argv[1] not in ("--install", "--cache"):
        print(f"op1_inpage: unknown option {sys.argv[1]!r}; {USAGE}", file=sys.stderr)
        sys.exit(2)
    try:
        if sys.argv[1] == "--install":
            print("op1_inpage: made from the installed packages: "
                  + ", ".join(p.relative_to(ROOT).as_posix() for p in install()))
        elif sys.argv[1] == "--cache":
            with build_lock():
                print(f"op1_inpage: the live files' caches are made ({fetched_bytes()} bytes fetched on a first Run)")
        else:
            print(json.dumps(build_live(Path(sys.argv[1]))))
    except LiveBuildError as e:
        print(f"op1_inpage: {e}", file=sys.stderr)
        sys.exit(1)
