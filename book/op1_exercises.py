"""Sphinx extension: the book's exercises carry their pool of variants (the shared site).

Before the chapters run it sets the environment their kernels inherit
(``sim/exercises/site.py``): the pool on, and the folder their replays are written to,
``<build>/sx-replays`` beside the HTML, which is copied into the site as ``sx-replays/`` at
the end.  The replays live as long as the executed chapters that wrote them: when one of
the two is missing, the other is thrown away, so a build never has one without the other.

The chapters never see a course secret: ``OP1_COURSE_SECRET`` is taken out of the
environment their kernels inherit (``set_chapter_environment``), as the pages are
published (and the pool ignores it anyway, sim/exercises/site.py ``pool``).  jupyter-cache
keys a chapter on its text alone, so a chapter executed by a build that still passed the
secret on would be reused as it is: a cache without the mark ``SECRET_FREE``, which builds
that keep the secret out write beside it, is thrown away with its replays
(``forget_unmarked_runs``).
"""
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "sx-replays"
BUILD_ENV = "OP1_BOOK_BUILD"     # booklib.BUILD_ENV (booklib imports sim: not imported here)
SECRET_FREE = ".chapters-run-without-a-course-secret"    # beside the cache: see forget_unmarked_runs


def chapter_environment(build: Path) -> dict[str, str]:
    """What the chapters' kernels find in their environment when the book is built into
    ``build`` (``_build``): build every exercise's pool, write the replays into
    ``build/sx-replays`` (made here), and fail a chapter whose diagram cannot be drawn
    (``booklib.not_drawn``).  book/execute_parallel.py executes them with it too."""
    from sim.exercises.site import POOL_ENV, REPLAY_DIR_ENV, REPLAY_URL_ENV
    replays = build / FOLDER
    replays.mkdir(parents=True, exist_ok=True)
    return {POOL_ENV: "1", REPLAY_DIR_ENV: str(replays),
            REPLAY_URL_ENV: f"../{FOLDER}/",   # the chapters are book/*.html
            BUILD_ENV: "1"}                    # booklib: a diagram without graphviz fails the build


def set_chapter_environment(build: Path) -> None:
    """Give this process -- and so the chapters' kernels it starts -- the chapters'
    environment (``chapter_environment``), without the course secret."""
    from sim.exercises.variants import SECRET_ENV
    os.environ.pop(SECRET_ENV, None)
    os.environ.update(chapter_environment(build))


def forget_unmarked_runs(build: Path) -> bool:
    """Throw away the executed chapters in ``build/.jupyter_cache`` and their replays unless
    ``build`` has the ``SECRET_FREE`` mark (they may hold variants made with a course secret),
    then mark it: from here on every chapter runs in ``set_chapter_environment``'s environment.
    True when something was thrown away."""
    cache, replays, mark = build / ".jupyter_cache", build / FOLDER, build / SECRET_FREE
    gone = False
    if not mark.exists():
        # and what Sphinx read from those runs (whichever of the two build steps comes first)
        for old in (cache, replays, build / ".doctrees"):
            if old.exists():
                shutil.rmtree(old)
                gone = True
        build.mkdir(parents=True, exist_ok=True)
        mark.write_text("the chapters cached here were executed without OP1_COURSE_SECRET\n")
    return gone


def stamped(html: str, built: str) -> str:
    """``html`` (a replay's page) saying the build's version in ``<meta name="op1-built">``, as
    every chapter does (page_context)."""
    import re
    meta = f'<meta name="op1-built" content="{built}">'
    html = re.sub(r'<meta name="op1-built" content="[^"]*">', "", html)
    return html.replace("<head>", "<head>" + meta, 1)


def setup(app):
    def config_inited(app, config):
        import sys
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        replays = Path(app.outdir).parent / FOLDER
        cache = Path(app.outdir).parent / ".jupyter_cache"        # myst-nb's default, as _config.yml keeps it
        if forget_unmarked_runs(Path(app.outdir).parent):
            shutil.rmtree(app.doctreedir, ignore_errors=True)      # what was read from those runs, too
        if not replays.is_dir() and cache.exists():
            # the chapters that wrote the replays must run again: forget them (and that they were read)
            shutil.rmtree(cache)
            shutil.rmtree(app.doctreedir, ignore_errors=True)
        if not cache.exists() and replays.exists():
            shutil.rmtree(replays)            # every chapter runs again and writes them anew
        set_chapter_environment(Path(app.outdir).parent)

    def build_finished(app, exc):
        if exc is not None or app.builder.format != "html":
            return
        src = Path(app.outdir).parent / FOLDER
        dst = Path(app.outdir) / FOLDER
        dst.mkdir(parents=True, exist_ok=True)
        for f in dst.glob("*.html"):            # the site has this build's replays, no earlier build's
            if not (src / f.name).exists():
                f.unlink()
        for f in src.glob("*.html"):
            # each with this build's version, as the chapters carry it: the site's service worker
            # keeps a web page offline only if it says so (a captive portal's sign-in page, sent
            # for a replay's address, is not kept as the replay); a replay is made once and kept
            # from build to build, so the version is put in as it goes into the site
            # (not the folder's own index page, "Nothing here", which is no page to keep)
            text = f.read_text(encoding="utf-8")
            if f.name != "index.html":
                text = stamped(text, app.op1_built)
            if not (dst / f.name).exists() or (dst / f.name).read_text(encoding="utf-8") != text:
                (dst / f.name).write_text(text, encoding="utf-8")

    def footer(app, config):
        # the version of the repository the site was built from, the same on every page of one
        # build: in the footer for the reader, in a <meta> for the exports (sim/exercises/_js.py)
        from sim.exercises.site import source_commit
        app.op1_built = source_commit(str(ROOT))
        options = dict(config.html_theme_options or {})
        options["extra_footer"] = (f'{options.get("extra_footer", "")} Version '
                                   f'<span class="op1-built">{app.op1_built}</span>.').strip()
        config.html_theme_options = options

    def page_context(app, pagename, templatename, context, doctree):
        context["metatags"] = context.get("metatags", "") + f'\n<meta name="op1-built" content="{app.op1_built}" />'

    app.connect("config-inited", config_inited)
    app.connect("config-inited", footer)
    app.connect("html-page-context", page_context)
    app.connect("build-finished", build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
