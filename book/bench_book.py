"""Benchmark the book build: a cold build, then a rebuild with nothing changed.

    .venv/bin/python book/bench_book.py        (or: make bench-book)

The book's sources (``_config.yml``, ``_toc.yml``, ``pyproject.toml``, ``book/``, ``sim/``,
``binder/``; ``node_modules`` linked) are copied to
a temporary directory, so the cold build starts with no ``_build`` (no executed
notebooks, no Sphinx environment, none of the live files made from ``sim``) and the working
tree's ``_build`` is left alone.  "Cold" is "after the installs", as the goal counts it: the
venv, ``node_modules`` and what ``make`` makes from them alone into ``node_modules/.op1-live``
(the live panels' standard library, gzipped WebAssembly, scapy's wheel and bytecode) are there.
Goals: cold <= 60 s on a 2-core machine after the installs (issue 16; issue 4 asked 5 min),
unchanged rebuild <= 30 s.  It prints each build's wall time, its CPU time (every process
the build started: a figure that depends less than the wall time on what else the machine
runs) and how long each page's notebook took to execute in the cold build.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"cold": 60.0, "unchanged": 30.0}


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far, theirs included."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def build(where: Path) -> tuple[float, float, list[tuple[str, float, float]]]:
    """(wall seconds, CPU seconds of the build and every process it started, and the same two
    for each of its steps as book/execute_parallel.py recorded them: executing the chapters,
    the jupyter-book build, the live files made in the background while it ran)."""
    import json
    t, cpu = time.perf_counter(), _children_cpu()
    # what `make book` runs: the chapters executed into the cache in parallel, then the build
    (where / "_build" / ".execute-steps.json").unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, str(where / "book" / "execute_parallel.py"),
                           str(where / "_build" / ".jupyter_cache"), "--",
                           sys.executable, str(where / "book" / "jupyter_book_build.py"), "build",
                           str(where), "-W", "-n", "--keep-going"], cwd=where, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("build failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    dt = time.perf_counter() - t
    try:
        steps = [(k, *v) for k, v in json.loads((where / "_build" / ".execute-steps.json").read_text()).items()]
    except (OSError, ValueError):
        steps = []
    return dt, _children_cpu() - cpu, steps


def executed(where: Path) -> list[tuple[str, float]]:
    """(page, seconds its notebook took to execute) as the build's jupyter-cache recorded them."""
    from jupyter_cache import get_cache
    out = [(Path(r.uri).name, r.data.get("execution_seconds") or 0.0)
           for r in get_cache(where / "_build" / ".jupyter_cache").list_cache_records()]
    return sorted(out)


def main() -> None:
    installed = ROOT / "node_modules" / ".op1-live" / ".installed"
    sys.path.insert(0, str(ROOT / "book"))
    from op1_inpage import python_base_path     # named by the hash of what it is made from
    made = installed.exists() and python_base_path().exists()
    print("cold build: the sources copied to a new directory with no _build; the installs kept (.venv, "
          "node_modules linked, with the live files made from installed packages: "
          + ("node_modules/.op1-live" if made else
             "MISSING, so the build makes them: run .venv/bin/python book/op1_inpage.py --install") + ")",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="book-bench-") as tmp:
        dst = Path(tmp)
        for name in ("_config.yml", "_toc.yml", "pyproject.toml"):     # the hub lines read pyproject
            shutil.copy2(ROOT / name, dst / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
        for name in ("book", "sim", "binder"):
            shutil.copytree(ROOT / name, dst / name, ignore=ignore)
        if (ROOT / "node_modules").is_dir():        # the live panels' Pyodide: installed, not built
            (dst / "node_modules").symlink_to(ROOT / "node_modules")
        cold, cold_cpu, cold_steps = build(dst)
        pages = executed(dst)
        try:        # what execute_parallel recorded of the live files it made beside the chapters
            import json
            live = json.loads((dst / "_build" / ".execute-seconds.json").read_text()).get("live files")
        except (OSError, ValueError):
            live = None
        unchanged, unchanged_cpu, _ = build(dst)
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    verdict = {k: "met" if v <= GOALS[k] else "NOT met" for k, v in (("cold", cold), ("unchanged", unchanged))}
    print(f"book build on {cores} cores (load average {load:.1f} at the end): cold {cold:.1f} s "
          f"(goal <= {GOALS['cold']:.0f} s: {verdict['cold']}), unchanged rebuild {unchanged:.1f} s "
          f"(goal <= {GOALS['unchanged']:.0f} s: {verdict['unchanged']})")
    print(f"CPU time (every process of the build): cold {cold_cpu:.1f} s, unchanged rebuild {unchanged_cpu:.1f} s")
    for name, wall, cpu in cold_steps:
        print(f"  cold build, {name}: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print("where the cold build's notebooks took their time (wall seconds each, as jupyter-cache recorded; "
          f"{sum(t for _, t in pages):.1f} s in all, two at a time):")
    for page, t in pages:
        print(f"  {t:7.1f} s  {page}")
    if live is not None:
        print(f"  {live:7.1f} s  the live panels' files, made beside the chapters (book/execute_parallel.py)")


if __name__ == "__main__":
    main()
