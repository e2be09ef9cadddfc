"""`pip install ".[live]"` into a fresh venv is enough to run the chapters.

The tree is copied first (the files git would commit), so the test also sees that installing
leaves nothing in the source folder (no build/, no *.egg-info).  Needs the package registry
(pip's cache makes a rerun fast) and graphviz's ``dot``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_binder import clean_env

ROOT = Path(__file__).resolve().parent.parent


def tree_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def copy_tree(dest: Path) -> None:
    """The files git would commit from the working tree (tracked, and untracked but not ignored)."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def test_pip_install_live_runs_chapter_6_from_another_folder(tmp_path):
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("graphviz's dot is missing (make test installs it)")
        pytest.skip("graphviz's dot is missing: apt-get install graphviz")
    src, venv, elsewhere = tmp_path / "src", tmp_path / "venv", tmp_path / "elsewhere"
    for d in (src, elsewhere):
        d.mkdir()
    copy_tree(src)
    before = tree_files(src)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = clean_env(venv)
    py = str(venv / "bin" / "python")
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{src}[live]"],
                       cwd=elsewhere, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert tree_files(src) == before, f"pip install wrote into the source tree: {tree_files(src) - before}"

    # the installed package, from another folder: its metadata, sim.view and its data files
    probe = """if True:
        import importlib.metadata as m, json, sim, sim.view
        from sim.view.player import _asset
        meta = m.metadata("one-plus-one-lt-one")
        print(json.dumps({"file": sim.__file__, "requires": m.requires("one-plus-one-lt-one"),
                          "licence": meta.get("License-Expression") or meta.get("License"),
                          "version": [meta["Version"], sim.__version__],
                          "css": len(_asset("player.css")), "js": len(_asset("player.js"))}))"""
    r = subprocess.run([py, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    assert Path(got["file"]).is_relative_to(venv)
    assert got["css"] > 1000 and got["js"] > 1000
    assert any(q.startswith("ipywidgets") and 'extra == "live"' in q for q in got["requires"])
    assert any(q.startswith("scapy") and "extra" not in q for q in got["requires"])
    # (flit_core 4 dropped `license = { text = ... }` silently: pip show printed "License:" and nothing)
    assert got["licence"] == "GPL-2.0-only", got["licence"]
    # (one version: pyproject's is dynamic, read from sim.__version__)
    assert got["version"][0] == got["version"][1], got["version"]

    # chapter 6, top to bottom, its LivePlayer included, in a kernel started by a Jupyter
    # that runs elsewhere (the kernel, as Jupyter starts it, in the chapter's folder)
    out = tmp_path / "run.json"
    r = subprocess.run([py, str(ROOT / "tests" / "live_run.py"), str(out), str(src / "book" / "06-equalize-nat.md")],
                       cwd=elsewhere, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    (page,) = json.loads(out.read_text())
    assert page["errors"] == [] and page["code_cells"] > 5
    assert page["liveplayer"] and page["widgets"] >= 1
