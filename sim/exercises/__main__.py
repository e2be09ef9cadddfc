"""python -m sim.exercises sheet|grade|page|notebooks -- see ``sim/exercises/__init__.py``.

Bad input gets one line naming the problem and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .bank import ExerciseError
from .grade import GradeError, grade_class, grade_file, sheet, sheet_markdown
from .variants import StudentError


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def main(argv=None) -> int:
    ap = _Parser(prog="python -m sim.exercises", description="exercise sheets, keys, pages and grading")
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("sheet", help="a student's exercise set, or the instructor's key (--key)")
    s.add_argument("--student", required=True)
    s.add_argument("--chapter", type=int)
    s.add_argument("--key", action="store_true", help="the solution key: answers, explanations, revealed steps")
    s.add_argument("--format", choices=("markdown", "json"), default="markdown")
    s.add_argument("-o", "--output")

    g = sub.add_parser("grade", help="grade one answer file, or a class folder (--class) into CSV")
    g.add_argument("--student")
    g.add_argument("--class", dest="klass", metavar="DIR")
    g.add_argument("--chapter", type=int)
    g.add_argument("--format", choices=("text", "json"), default="text")
    g.add_argument("-o", "--output")
    g.add_argument("answers", nargs="?")

    p = sub.add_parser("page", help="a self-contained HTML page of a student's exercises")
    p.add_argument("--student")
    p.add_argument("--chapter", type=int)
    p.add_argument("--ids", help="comma-separated exercise ids (default: all of the chapter)")
    p.add_argument("--key", action="store_true")
    p.add_argument("-o", "--output", required=True)

    n = sub.add_parser("notebooks", help="nbgrader-compatible assignment notebooks, one per chapter")
    n.add_argument("--out", default="exercises-nbgrader")
    n.add_argument("--chapter", type=int)
    n.add_argument("--student", default="release", help="the variant the release notebook shows")

    a = ap.parse_args(argv)
    try:
        if a.cmd == "sheet":
            if a.format == "json":
                text = json.dumps({"student": a.student, "chapter": a.chapter, "key": a.key,
                                   "exercises": sheet(a.student, a.chapter, a.key)}, indent=1) + "\n"
            else:
                text = sheet_markdown(a.student, a.chapter, a.key)
            _out(text, a.output)
        elif a.cmd == "grade":
            if a.klass:
                if a.answers or a.student:
                    raise GradeError("--class DIR grades a folder: give no --student and no answer file")
                _out(grade_class(a.klass, a.chapter), a.output)
            else:
                if not a.student or not a.answers:
                    raise GradeError("give --student ID and an answer file, or --class DIR")
                rep = grade_file(a.student, a.answers, a.chapter)
                if a.format == "json":
                    _out(json.dumps({"student": rep.student, "score": rep.score, "max": rep.max,
                                     "items": rep.items}, indent=1, default=str) + "\n", a.output)
                else:
                    _out(rep.text() + "\n", a.output)
        elif a.cmd == "page":
            from .html import page_html
            ids = a.ids.split(",") if a.ids else None
            Path(a.output).write_text(page_html(a.chapter, ids=ids, student=a.student, key=a.key), encoding="utf-8")
            print(a.output)
        elif a.cmd == "notebooks":
            from .notebook import write_notebooks
            for path in write_notebooks(a.out, a.chapter, a.student):
                print(path)
    except (GradeError, StudentError, ExerciseError) as e:
        print(f"python -m sim.exercises {a.cmd}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"python -m sim.exercises {a.cmd}: can't write {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


def _out(text: str, path: str | None) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    sys.exit(main())
