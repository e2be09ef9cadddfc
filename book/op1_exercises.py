"""Sphinx extension: the book's exercises carry their pool of variants (the shared site).

Before the chapters run it sets the environment their kernels inherit
(``sim/exercises/site.py``): the pool on, and the folder their replays are written to,
``<build>/sx-replays`` beside the HTML, which is copied into the site as ``sx-replays/`` at
the end.  The replays live as long as the executed chapters that wrote them: when one of
the two is missing, the other is thrown away, so a build never has one without the other.
"""
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "sx-replays"


def chapter_environment(build: Path) -> dict[str, str]:
    """What the chapters' kernels find in their environment when the book is built into
    ``build`` (``_build``): build every exercise's pool, write the replays into
    ``build/sx-replays`` (made here).  book/execute_parallel.py executes them with it too."""
    from sim.exercises.site import POOL_ENV, REPLAY_DIR_ENV, REPLAY_URL_ENV
    replays = build / FOLDER
    replays.mkdir(parents=True, exist_ok=True)
    return {POOL_ENV: "1", REPLAY_DIR_ENV: str(replays),
            REPLAY_URL_ENV: f"../{FOLDER}/"}   # the chapters are book/*.html


def setup(app):
    def config_inited(app, config):
        import sys
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        replays = Path(app.outdir).parent / FOLDER
        cache = Path(app.outdir).parent / ".jupyter_cache"        # myst-nb's default, as _config.yml keeps it
        if not replays.is_dir() and cache.exists():
            # the chapters that wrote the replays must run again: forget them (and that they were read)
            shutil.rmtree(cache)
            shutil.rmtree(app.doctreedir, ignore_errors=True)
        if not cache.exists() and replays.exists():
            shutil.rmtree(replays)            # every chapter runs again and writes them anew
        os.environ.update(chapter_environment(Path(app.outdir).parent))

    def build_finished(app, exc):
        if exc is not None or app.builder.format != "html":
            return
        src = Path(app.outdir).parent / FOLDER
        dst = Path(app.outdir) / FOLDER
        dst.mkdir(parents=True, exist_ok=True)
        for f in src.glob("*.html"):
            if not (dst / f.name).exists() or (dst / f.name).stat().st_mtime < f.stat().st_mtime:
                shutil.copy2(f, dst / f.name)

    app.connect("config-inited", config_inited)
    app.connect("build-finished", build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
