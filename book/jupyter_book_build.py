"""``jupyter-book``, as ``make book`` runs it: ``.venv/bin/python book/jupyter_book_build.py build . ...``

The same command line as ``jupyter-book``; the one difference is that jsonschema, which
jupyter-book imports for its configuration's schema, is imported without the optional package
rfc3987-syntax (book/execute_parallel.py ``_import_nbformat``, as booklib does in the
chapters' kernels): as it is imported, jsonschema builds 38 lark parsers of it for "iri" format
checks that nothing in the build makes, 3-4 s of a build whose Sphinx part is about 14 s.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_parallel import _import_nbformat  # noqa: E402

if __name__ == "__main__":
    _import_nbformat()
    from jupyter_book.cli.main import main
    sys.argv[0] = "jupyter-book"
    sys.exit(main())
