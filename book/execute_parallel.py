"""Execute the book's chapters into the jupyter cache, two at a time, before ``jupyter-book build``.

    .venv/bin/python book/execute_parallel.py [CACHE]      (``make book`` runs it; CACHE:
                                                             _build/.jupyter_cache)

Jupyter Book 1 executes the chapters one after another while Sphinx reads them, each in its own
kernel: on two cores one of them idles for most of a cold build.  This reads each chapter the
way myst-nb does (its MyST notebook reader, the same code cells and metadata, so the same
jupyter-cache hash), executes the ones the cache lacks in parallel, in the chapter's folder and with the
environment the build gives them (book/op1_exercises.py), and stores them in the cache; the build then finds every chapter there ("Using
cached notebook") and executes none.  A chapter that fails here is not stored: the build
executes it again and reports the failure as it always has.  What a chapter computes does not
depend on what else runs beside it (each kernel is its own process; a run depends on its
parameters and seed alone), so the pages are the sequential build's.
"""
from __future__ import annotations

import concurrent.futures
import os
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def chapters() -> list[Path]:
    """The pages of ``_toc.yml`` that are MyST notebooks, in the table's order."""
    from myst_nb.core.read import is_myst_markdown_notebook
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    paths = [ROOT / f"{f}.md" for f in files]
    return [p for p in paths if is_myst_markdown_notebook(p.read_text())]


def read(path: Path):
    """The notebook myst-nb makes of ``path`` (its reader, as ``myst_nb.sphinx_`` calls it)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig
    return read_myst_markdown_notebook(path.read_text(), config=MdParserConfig(), add_source_map=True,
                                       path=str(path))


def execute(path: Path):
    """(path, executed notebook or the failure's last line, seconds): the chapter run as
    myst-nb runs it."""
    from jupyter_cache.executors.utils import single_nb_execution
    conf = yaml.safe_load((ROOT / "_config.yml").read_text()).get("execute", {})
    nb = read(path)
    result = single_nb_execution(nb, cwd=str(path.parent), allow_errors=bool(conf.get("allow_errors")),
                                 timeout=conf.get("timeout", 30), meta_override=True)
    if result.err is not None:
        return path, (result.exc_string or repr(result.err)).strip().splitlines()[-1], result.time
    return path, nb, result.time


def main(argv: list[str]) -> int:
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    where = Path(argv[0] if argv else ROOT / "_build" / ".jupyter_cache").resolve()  # the kernels run in book/
    sys.path[:0] = [str(ROOT), str(ROOT / "book")]
    from op1_exercises import FOLDER, chapter_environment
    if where.exists() and not (where.parent / FOLDER).is_dir():
        shutil.rmtree(where)        # as the build would (op1_exercises): the replays must be written anew
    cache = get_cache(str(where))
    todo = []
    for path in chapters():
        try:
            cache.match_cache_notebook(read(path))
        except KeyError:
            todo.append(path)
    jobs = min(len(todo), os.cpu_count() or 1, 4)
    if jobs < 2:
        return 0            # nothing to gain: the build executes what is left, as always
    # the environment the build gives the chapters' kernels (book/op1_exercises.py): the pools
    # built, the replays written beside the cache, where the build expects them
    os.environ.update(chapter_environment(where.parent))
    # the longest chapters first (by their size), so that the cores finish together
    todo.sort(key=lambda p: -p.stat().st_size)
    with concurrent.futures.ProcessPoolExecutor(jobs) as ex:
        for path, nb, seconds in ex.map(execute, todo):
            if isinstance(nb, str):
                print(f"execute_parallel: {path.name} failed ({nb}); the build runs it again", file=sys.stderr)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"execute_parallel: {path.name} {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
