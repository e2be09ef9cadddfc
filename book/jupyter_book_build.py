"""``jupyter-book``, as ``make book`` runs it: ``.venv/bin/python book/jupyter_book_build.py build . ...``

The same command line as ``jupyter-book``; the differences: the site's ``reports/`` (the logs
of chapters that failed) is emptied first, so that it holds this build's alone; and jsonschema, which
jupyter-book imports for its configuration's schema, is imported without the optional package
rfc3987-syntax (book/execute_parallel.py ``_import_nbformat``, as booklib does in the
chapters' kernels): as it is imported, jsonschema builds 38 lark parsers of it for "iri" format
checks that nothing in the build makes, 3-4 s of a build whose Sphinx part is about 14 s.
"""
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_parallel import _import_nbformat  # noqa: E402


def reports_folder(argv: list[str]) -> Path | None:
    """Where ``jupyter-book build SOURCE [--path-output DIR]`` (``argv``, without the program)
    puts the logs of chapters that failed, inside the site: ``DIR/_build/html/reports``
    (``DIR`` defaults to SOURCE, as jupyter-book's own).  None for another command."""
    if not argv or argv[0] != "build":
        return None
    source, output, rest = None, None, iter(argv[1:])
    for arg in rest:
        if arg == "--path-output":
            output = next(rest, None)
        elif arg.startswith("--path-output="):
            output = arg.split("=", 1)[1]
        elif not arg.startswith("-") and source is None:
            source = arg
    base = Path(output) if output else Path(source or ".")
    if not output and base.is_file():               # a single page: built beside it
        base = base.parent
    return base / "_build" / "html" / "reports"


def forget_reports(argv: list[str]) -> None:
    """The site publishes ``reports/`` as it is: the logs an earlier build's failing chapters
    left there (tracebacks, with the builder's paths) would be published by a later build
    that has no failure.  They are removed before the build, so only its own are there."""
    folder = reports_folder(argv)
    if folder is not None and folder.is_dir():
        shutil.rmtree(folder)


if __name__ == "__main__":
    forget_reports(sys.argv[1:])
    _import_nbformat()
    from jupyter_book.cli.main import main
    sys.argv[0] = "jupyter-book"
    sys.exit(main())
