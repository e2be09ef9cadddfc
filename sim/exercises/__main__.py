"""python -m sim.exercises sheet|grade|page|notebooks -- see ``sim/exercises/__init__.py``.

Run it in the course's folder, every path being relative to it, with the repository installed or on
PYTHONPATH (as the instructor guide says).  Bad input
gets one line naming the problem and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

from .._io import OutputError, ReaderGone, atomic_write, write_stdout
from ..cli import OneLineParser, checked
from .bank import ExerciseError
from .model import echo
from .grade import (GradeError, check_leave_out, check_lms_file, grade_file, grade_folder, graded_ids, read_roster,
                    roster_notes, sheet, sheet_markdown)
from .variants import (BOOK_STUDENT, SECRET_ENV, SecretError, StudentError, check_student, env_secret,
                       read_secret_file)

PROG = "python -m sim.exercises"
COMMANDS = ("sheet", "grade", "page", "notebooks")


# every message of this CLI is "PROG COMMAND: MESSAGE", argparse's too (no "error:")
_MISSING_COMMAND = {"the following arguments are required: command":
                    f"give a command: {', '.join(COMMANDS)} ({PROG} COMMAND --help)"}
_chapter = checked(int, lambda v: True, "wants a chapter number like 6 (2-10), got {got}")
_jobs = checked(int, lambda v: True, "wants a number of processes from 1 to 256, got {got}")
_max_attempts = checked(int, lambda v: 1 <= v <= 1000, "{value} out of range: allowed 1..1000 checks",
                        bad="wants a number of checks from 1 to 1000, got {got}")


def _secret_option(p) -> None:
    p.add_argument("--secret-file", metavar="FILE",
                   help=f"the course secret, on the file's first line (default: ${SECRET_ENV}); without one, "
                        f"practice mode: anybody can compute any student's variant and key")


def parser() -> argparse.ArgumentParser:
    # where to run it, as the instructor guide says: the paths are the current folder's, so the
    # course's folder, with the simulator installed or on PYTHONPATH
    ap = OneLineParser(prog=PROG, description="exercise sheets, keys, pages, notebooks and grading. Run it in "
                                              "your course's folder (every path is relative to it), with the "
                                              "repository pip-installed or PYTHONPATH=PATH-TO-REPOSITORY before "
                                              "the command",
                       label="", rewrite=_MISSING_COMMAND)
    sub = ap.add_subparsers(dest="cmd", metavar="command", required=True)
    student = "the student id: 1-64 ASCII letters, digits, '_', '.', '@', '+' or '-'"
    chapter = "the chapter number (2-10; default: all chapters)"

    roster = ("the class's student ids, one a line (as grade --roster reads it): one file per student, "
              "written into --out-dir")
    roster_column = "the roster is a CSV export (an LMS's): its column NAME holds the student ids"
    s = sub.add_parser("sheet", help="a student's exercise set, or the instructor's key (--key)")
    who = s.add_mutually_exclusive_group(required=True)
    who.add_argument("--student", help=student)
    who.add_argument("--roster", metavar="FILE", help=roster + " (ID-chN.md with --chapter N, else ID.md; "
                                                                 "ID-chN-key.md with --key; .json with --format json)")
    s.add_argument("--roster-column", metavar="NAME", help=roster_column)
    s.add_argument("--chapter", type=_chapter, help=chapter)
    s.add_argument("--key", action="store_true", help="the solution key: answers, explanations, revealed steps")
    s.add_argument("--format", choices=("markdown", "json"), default="markdown")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    s.add_argument("--out-dir", metavar="DIR", help="with --roster: the folder to write the sheets into")
    _secret_option(s)

    g = sub.add_parser("grade", help="grade one answer file, or a class folder (--class) into CSV")
    g.add_argument("--student", help="whose answer file it is (" + student + ")")
    g.add_argument("--class", dest="klass", metavar="DIR",
                   help="grade every *.json answer file in DIR: one CSV row per file")
    g.add_argument("--roster", metavar="FILE",
                   help="with --class: the class's student ids, one a line; who sent nothing gets a row with 0")
    g.add_argument("--roster-column", metavar="NAME",
                   help="with --roster: " + roster_column + "; a roster with an 'Identifier' column ('Participant "
                        "N': Moodle's assignment grading worksheet) makes the Moodle folder 'Full Name_N_"
                        "assignsubmission_file' that row's student's, whatever the name")
    g.add_argument("--roster-name-columns", metavar="COLUMNS",
                   help="with --roster-column: the roster's columns of a student's full name, comma-separated, "
                        "in the order the LMS shows it (default: Moodle's 'Full name', else 'First name,Last name' "
                        "or 'First name,Surname'); an LMS folder per student named after one roster row's full "
                        "name (Moodle's 'Full Name_PID_assignsubmission_file') is that student's")
    g.add_argument("--gradebook", metavar="FILE",
                   help="with --class: also write FILE, one row per student (student, score, max, percent, "
                        "submitted_at), to read or keep -- not for an LMS's import, which may clear a grade on an "
                        "empty score: --lms-file writes the LMS's own export back filled")
    g.add_argument("--lms-file", metavar="FILE",
                   help="with --roster-column: write the --roster file (your LMS's own export: Moodle's grading "
                        "worksheet, Canvas's gradebook export) into FILE with each student's score in its "
                        "--grade-column, to upload back into the LMS; a student without a score keeps the cell as "
                        "it was (not emptied), one who sent nothing gets 0 in an empty cell (a mark there stays), a mark that is "
                        "no number (Canvas's EX) stays, and every other cell, row, separator and encoding stays as it "
                        "was; refused if the export's maximum (Moodle's 'Maximum Grade', Canvas's 'Points Possible') "
                        "is not the chapter's. With --feedback, a Moodle worksheet's 'Feedback comments' gets each "
                        "student's report too, after any text the cell has: a scored student's graded answers, and "
                        "for one without a score, why their files were not graded")
    g.add_argument("--grade-column", metavar="NAME",
                   help="with --lms-file: the column the scores go into (default: 'Grade', Moodle's worksheet's; "
                        "Canvas: the assignment's column, 'Name (id)')")
    g.add_argument("--keep", choices=("latest", "best"), default="latest",
                   help="with --gradebook: of a student's several files, count the latest submitted (default) "
                        "or the best")
    g.add_argument("--max-attempts", type=_max_attempts, metavar="N",
                   help="count a right answer only if the page recorded at most N checks for it (the page "
                        "explains a wrong choice, which often names the right one: 1 grades a prediction by "
                        "the first one made); an answer without a count counts")
    g.add_argument("--feedback", metavar="DIR",
                   help="with --class: also write each student's report into DIR (ID.txt), as grade --student "
                        "prints it, to hand back")
    g.add_argument("--force", action="store_true",
                   help="with --class: write the CSVs and reports even when a quarter of the files or more were "
                        "refused for the course secret (a forgotten or unneeded secret), answer changed questions "
                        "(another version of the book), were exported under ids that are no classmate's, are "
                        "graded for students the roster lacks, or are in two folders that each say they are "
                        "their student's, or when most LMS folders' participant numbers are on no row of the "
                        "roster (another assignment's grading worksheet) (by default nothing is written and the "
                        "exit status is 2)")
    g.add_argument("--score-changed", action="store_true",
                   help="with --lms-file: write the score of a student whose file has answers not graded because "
                        "their question changed since the page was made (by default their cell is kept as it was, "
                        "as a refused file's, and one line names them)")
    g.add_argument("--jobs", type=_jobs, metavar="N",
                   help="with --class: grade in N processes (default: one for fewer than 300 files, where "
                        "starting more costs about what they save; else one per CPU)")
    g.add_argument("--chapter", type=_chapter,
                   help="grade this chapter (default: the file's \"chapter\", else every chapter it answers)")
    g.add_argument("--leave-out", metavar="IDS",
                   help="with --chapter: exercise ids of the chapter not to grade, comma-separated (one that needs "
                        "Python, in a course whose students have none): their answers are not read, and the "
                        "maximum is the chapter's other exercises")
    g.add_argument("--assignment", metavar="NAME",
                   help="with --class, in nbgrader's submitted/ID/ASSIGNMENT/: grade the folders of this "
                        "assignment only (default with --chapter N: chNN, as notebooks names it)")
    g.add_argument("--format", choices=("text", "json"), default="text", help="for one answer file")
    g.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    g.add_argument("answers", nargs="?", metavar="ANSWERS.json",
                   help="the answer file the student's page or notebook exported")
    _secret_option(g)

    p = sub.add_parser("page", help="a self-contained HTML page of a student's exercises, to hand out")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--student", help=student + " (default: the book's own variant, 'book')")
    who.add_argument("--roster", metavar="FILE", help=roster + " (ID.html, or ID-chN.html with --chapter)")
    p.add_argument("--roster-column", metavar="NAME", help=roster_column)
    p.add_argument("--roster-name-columns", metavar="COLUMNS",
                   help="with --lms moodle: the worksheet's columns of a student's full name, comma-separated, in "
                        "the order Moodle shows it (default: 'Full name', else 'First name,Last name' or "
                        "'First name,Surname'), as grade --roster-name-columns")
    p.add_argument("--lms", choices=("moodle", "canvas"),
                   help="with --roster (Moodle's grading worksheet) and -o FILE.zip: one zip for the assignment's "
                        "Upload multiple feedback files in a zip, each student's page in their folder "
                        "('Full Name_PID_assignsubmission_file_', a name the upload takes and grade "
                        "reads back), made for the id of their --roster-column cell; canvas: refused, Canvas "
                        "has no such upload (the instructor guide says why)")
    p.add_argument("--chapter", type=_chapter, help=chapter)
    p.add_argument("--ids", help="comma-separated exercise ids (default: all of the chapter)")
    p.add_argument("--key", action="store_true", help="show the key on the page (for the instructor only)")
    p.add_argument("-o", "--output", metavar="FILE", help="the HTML file to write (one student); with --lms "
                                                          "moodle, the zip")
    p.add_argument("--out-dir", metavar="DIR", help="with --roster: the folder to write the pages into")
    _secret_option(p)

    n = sub.add_parser("notebooks", help="nbgrader-compatible assignment notebooks, one per chapter")
    n.add_argument("--out", required=True, metavar="DIR",
                   help="the nbgrader course folder to write source/chNN/ into: a folder outside the repository "
                        "(refused inside it)")
    n.add_argument("--chapter", type=_chapter, help=chapter)
    n.add_argument("--student", default="release", help="the variant the release notebook shows (default: release; "
                                                        "with --per-student, the id its solution cells answer as)")
    n.add_argument("--per-student", action="store_true",
                   help="the notebook carries every variant of the pool: each student writes their id in its "
                        "second code cell and gets their own variants (with a course secret, the course's; without, "
                        "the ones the book's pages give that id), "
                        "and the export names them")
    n.add_argument("--repo", metavar="DIR",
                   help="a folder the notebook's first cell also looks for the simulator in, when it is not "
                        "installed (default: none -- only $OP1_REPO and the folders above the notebook; the "
                        "notebook names no folder of this machine)")
    _secret_option(n)
    return ap


def _note(text: str) -> None:
    print(f"{PROG}: note: {text}", file=sys.stderr)


def _practice_note(student: str, secret: str) -> None:
    if not secret and student != BOOK_STUDENT:
        _note(f"no course secret (${SECRET_ENV} or --secret-file): practice mode, anybody can compute "
              f"the key of student {student}")


def _grade_practice_note(secret: str) -> None:
    """Grading without a course secret is right for the book's pages (which never use one) and for
    pages or notebooks made without one; said, since with a secret forgotten every file from a
    page made with it is refused."""
    if not secret:
        _note(f"no course secret (${SECRET_ENV} or --secret-file): graded as practice variants, those of the "
              f"book's pages and of pages or notebooks made without a secret, whose keys anybody can compute; "
              f"an answer given on a page or notebook made with a course secret is refused")


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    try:
        if getattr(a, "roster_column", None) is not None and not a.roster:
            raise GradeError("--roster-column NAME names a column of the --roster FILE: give --roster too")
        if getattr(a, "lms_file", None) is not None and not (a.roster and a.roster_column):
            raise GradeError("--lms-file FILE writes the --roster file (your LMS's export) back with the scores: "
                             "give --roster FILE and --roster-column NAME (the column of the ids) too")
        if getattr(a, "score_changed", False) and getattr(a, "lms_file", None) is None:
            raise GradeError("--score-changed writes scores into the --lms-file FILE: give --lms-file too")
        if getattr(a, "grade_column", None) is not None and getattr(a, "lms_file", None) is None:
            raise GradeError("--grade-column NAME names the column --lms-file FILE fills: give --lms-file too")
        if getattr(a, "roster_name_columns", None) is not None and not a.roster:
            raise GradeError("--roster-name-columns names columns of the --roster FILE: give --roster too")
        if a.cmd == "page" and a.lms is None and a.roster_name_columns is not None:
            raise GradeError("--roster-name-columns names the folders of --lms moodle: give --lms moodle too")
        secret = read_secret_file(a.secret_file) if a.secret_file else env_secret()
        if a.cmd == "page" and a.lms is not None:
            _lms_zip(a, secret)
        elif a.cmd in ("sheet", "page") and (a.roster or a.out_dir):
            _for_roster(a, secret)
        elif a.cmd == "sheet":
            if a.format == "json":
                text = json.dumps({"student": a.student, "chapter": a.chapter, "key": a.key,
                                   "exercises": sheet(a.student, a.chapter, a.key, secret)}, indent=1) + "\n"
            else:
                text = sheet_markdown(a.student, a.chapter, a.key, secret)
            _out(text, a.output)
            _practice_note(a.student, secret)
        elif a.cmd == "grade":
            _no_clobber(a)
            if a.leave_out is not None and a.chapter is None:
                raise GradeError("--leave-out IDS names exercises of the chapter graded: give --chapter N too")
            leave_out = check_leave_out(a.leave_out, a.chapter) if a.leave_out is not None else ()
            if a.klass:
                if a.answers or a.student:
                    raise GradeError("--class DIR grades a folder: give no --student and no answer file")
                if a.jobs is not None and not 1 <= a.jobs <= 256:
                    raise GradeError(f"--jobs must be a number of processes from 1 to 256, got {a.jobs}")
                if a.gradebook and a.output and os.path.realpath(a.gradebook) == os.path.realpath(a.output):
                    raise GradeError(f"-o and --gradebook name the same file, {a.output}: the gradebook would "
                                     f"be overwritten by the per-file CSV; give each its own file")
                outs = [(o, f) for o, f in (("-o", a.output), ("--gradebook", a.gradebook), ("--lms-file", a.lms_file))
                        if f]
                for i, (o1, f1) in enumerate(outs):
                    for o2, f2 in outs[i + 1:]:
                        if os.path.realpath(f1) == os.path.realpath(f2):
                            raise GradeError(f"{o1} and {o2} name the same file, {f1}: give each its own file")
                if a.feedback and Path(a.feedback).exists() and not Path(a.feedback).is_dir():
                    raise GradeError(f"--feedback {a.feedback} is a file, not a folder")
                # what can be told before grading is, and nothing is written unless everything can be
                if a.lms_file:
                    check_lms_file(a.roster, a.roster_column, a.grade_column or "Grade",
                                   {len(graded_ids(a.chapter, leave_out))} if a.chapter else (),
                                   f"chapter {a.chapter}" + (f" without {', '.join(leave_out)}" if leave_out else ""))
                for _, f in outs:
                    _can_write(f)
                if a.feedback:
                    _can_make_folder(a.feedback)
                graded = grade_folder(a.klass, a.chapter, a.roster, secret,
                                      a.jobs,                  # None: jobs_default of the class's size
                                      feedback=bool(a.feedback),
                                      roster_column=a.roster_column, max_attempts=a.max_attempts,
                                      roster_name_columns=a.roster_name_columns, assignment=a.assignment,
                                      leave_out=leave_out)
                if graded.alarms and not a.force:
                    # importing such a gradebook would write blanks, or practice work, as the course's grades
                    raise GradeError(f"{graded.alarms[0]}; nothing written (give --force to write the CSVs "
                                     f"and reports anyway)")
                text, notes = graded.csv(), list(graded.notes)
                if (line := graded.summary(a.keep)) is not None:
                    notes.append(line)
                book = data = reports = None
                if a.gradebook:
                    book, book_notes = graded.gradebook(a.keep)
                    notes += book_notes
                if a.lms_file:              # (refused if the export's maximum is not the scores')
                    data, lms_notes = graded.lms_file(a.roster, a.roster_column, a.grade_column or "Grade", a.keep,
                                                     comments=bool(a.feedback), out=a.lms_file, chapter=a.chapter,
                                                     score_changed=a.score_changed)
                    # the same notes as the gradebook's, headed "scores:" (said once, as "gradebook:")
                    notes += [n for n in lms_notes if n not in notes
                              and "gradebook: " + n.removeprefix("scores: ") not in notes]
                if a.feedback:
                    reports = graded.feedback(a.keep)
                if book is not None:
                    _out(book, a.gradebook)
                if data is not None:
                    _out(data, a.lms_file)
                _out(text, a.output)
                if reports is not None:
                    Path(a.feedback).mkdir(parents=True, exist_ok=True)
                    for name, report in reports.items():
                        (Path(a.feedback) / name).parent.mkdir(parents=True, exist_ok=True)
                        _out(report, str(Path(a.feedback) / name))
                    notes.append(f"{len(reports)} reports written into {a.feedback}")
                    moodle = sum(1 for name in reports if "/" in name)
                    if moodle:
                        # the chapter's zip for the chapter's reports (the guide's box: reports-chN, feedback-chN.zip)
                        base = Path(a.feedback).name
                        zipped = f"feedback{base[len('reports'):]}.zip" if base.startswith("reports-") else "feedback.zip"
                        notes.append(f"{moodle} of them in Moodle's folders per participant (Full Name_PID_"
                                     f"assignfeedback_file/): zip the folder (python -m zipfile -c {shlex.quote(zipped)} "
                                     f"{shlex.quote(a.feedback)}) and upload it with the assignment's Upload multiple feedback "
                                     f"files in a zip" + (f"; {graded.outside_moodle(reports)}"
                                                          if moodle < len(reports) else ""))
                    # never deleted (the grader cannot tell its own earlier reports from a
                    # teacher's file), but said: handing the folder out would hand them out too
                    stale = sorted(f.relative_to(a.feedback).as_posix() for f in Path(a.feedback).rglob("*.txt")
                                   if f.relative_to(a.feedback).as_posix() not in reports)
                    if stale:
                        notes.append(f"{len(stale)} other report{'s' if len(stale) > 1 else ''} in {a.feedback} "
                                     f"{'were' if len(stale) > 1 else 'was'} not written by this run (an earlier "
                                     f"run's?), e.g. {stale[0]}: remove {'them' if len(stale) > 1 else 'it'} "
                                     f"before handing the folder out, or give --feedback an empty folder")
                for note in notes:
                    _note(note)
                _grade_practice_note(secret)
            else:
                for opt, given in (("--roster", a.roster), ("--gradebook", a.gradebook), ("--jobs", a.jobs),
                                   ("--lms-file", a.lms_file),
                                   ("--assignment", a.assignment),
                                   ("--feedback", a.feedback), ("--force", a.force or None),
                                   ("--score-changed", a.score_changed or None)):
                    if given is not None:
                        raise GradeError(f"{opt} goes with --class DIR")
                if not a.student or not a.answers:
                    raise GradeError("give --student ID and an answer file, or --class DIR")
                rep = grade_file(a.student, a.answers, a.chapter, secret, max_attempts=a.max_attempts,
                                 leave_out=leave_out)
                if a.format == "json":
                    _out(json.dumps(rep.json(), indent=1, default=str) + "\n", a.output)
                else:
                    _out(rep.text() + "\n", a.output)
                if rep.changed:             # the report tells the student; what to do is the instructor's
                    from .grade import changed_advice
                    _note(f"{len(rep.changed)} answer{'s' if len(rep.changed) > 1 else ''} not graded, the question "
                          f"changed since the file was exported ({', '.join(rep.changed)}): "
                          + (changed_advice([rep.built]) or "re-issue those exercises, or grade with the version "
                                                            "of the book the file came from"))
                if rep.outside:             # the instructor's to know, not the report's (the student's)
                    n = len(rep.outside)
                    _note(f"{n} answer{'s' if n > 1 else ''} outside chapter {a.chapter} not graded (an export of "
                          f"the book's pages carries every chapter answered in that browser): "
                          f"{', '.join(rep.outside)}")
                if a.student.lower() != BOOK_STUDENT:
                    _grade_practice_note(secret)
        elif a.cmd == "page":
            from .html import page_html
            if not a.output:
                raise GradeError("give -o FILE for one page, or --roster FILE --out-dir DIR for a class")
            ids = [k for k in a.ids.split(",") if k.strip()] if a.ids else None
            text = page_html(a.chapter, ids=ids, student=a.student, key=a.key, secret=secret)
            _out(text, a.output)
            write_stdout(a.output + "\n")
            if not a.student:
                _note(f"no --student: the page shows the book's own variant ({BOOK_STUDENT!r}); "
                      f"give --student ID for a student's page")
            else:
                _practice_note(a.student, secret)
        elif a.cmd == "notebooks":
            from .notebook import checkout_holding, write_notebooks
            repo = checkout_holding(a.out)
            if repo is not None:
                raise GradeError(f"--out {a.out} is inside the repository {repo}: the course's notebooks, and later "
                                 f"its students' submissions with the course's variants, would be among the files "
                                 f"git and make book see; give a course folder outside it")
            write_stdout("".join(path + "\n" for path in write_notebooks(a.out, a.chapter, a.student, secret,
                                                                       a.repo and os.path.abspath(a.repo),
                                                                       a.per_student)))
            if a.per_student and a.student != "release":
                # honoured, but only in the source notebook: said, since it reads like "a notebook for alice"
                _note(f"--per-student with --student {a.student}: the source notebook's solution cells answer as "
                      f"{a.student!r} (MY_ID and that id's answers, which nbgrader generate_assignment strips); "
                      f"the release carries every variant, and each student gets the variants of the id they "
                      f"write as MY_ID")
            if a.per_student and not secret:
                _note(f"no course secret (${SECRET_ENV} or --secret-file): practice mode, anybody can compute "
                      f"every student's key")
            else:
                _practice_note(a.student, secret)
            config = Path(a.out) / "nbgrader_config.py"
            try:
                stub = "ClearSolutions.code_stub" in config.read_text(encoding="utf-8", errors="replace")
                there = True
            except OSError:
                stub = there = False
            if not stub:
                _note(f"{config} {'sets no' if there else 'is not there (nbgrader reads it from the course folder) to set'}"
                      f" ClearSolutions.code_stub: nbgrader's default puts "
                      f"`raise NotImplementedError()` in each answer cell, and a student's Run All stops at the "
                      f"first one left blank, before the export cell; add the line "
                      f"c.ClearSolutions.code_stub = {{\"python\": \"# YOUR ANSWER HERE\"}} before nbgrader "
                      f"generate_assignment (and run notebooks again: its answer cells then no longer tell the "
                      f"students to delete that line)")
    except (GradeError, StudentError, ExerciseError, SecretError) as e:
        print(f"{PROG} {a.cmd}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:                 # Ctrl-C while grading a class: nothing was written
        print(f"{PROG} {a.cmd}: interrupted", file=sys.stderr)
        return 130
    except ReaderGone:                        # `| head`: quiet, as a Unix tool
        return ReaderGone.STATUS
    except OutputError as e:                  # a full disk, a file-size limit
        print(f"{PROG} {a.cmd}: {e}", file=sys.stderr)
        return 1
    except OSError as e:                      # a file given with -o, --gradebook ...: named
        where = e.filename or "the output file"
        print(f"{PROG} {a.cmd}: can't write {where}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0


def _for_roster(a, secret: str) -> None:
    """``sheet`` or ``page`` for every student of ``--roster``: one file each in ``--out-dir``
    (made if missing), one process, the variants the students share built once."""
    if not (a.roster and a.out_dir):
        raise GradeError("--roster FILE and --out-dir DIR go together (one file per student)")
    if a.output:
        raise GradeError("-o names one file: with --roster the files go into --out-dir")
    ids = read_roster(a.roster, a.roster_column)
    out = Path(a.out_dir)
    if out.exists() and not out.is_dir():
        raise GradeError(f"--out-dir {a.out_dir} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    for line in roster_notes(a.roster, a.roster_column, made=a.cmd):     # as grade says them
        _note(line)
    if a.cmd == "page":
        from .html import page_html
        pick = [k for k in a.ids.split(",") if k.strip()] if a.ids else None
    replaced = []
    for spelled in ids:
        sid = check_student(spelled)          # the variant's id: case-insensitive, lower case
        # the file is named as the roster spells the id, as the CSVs and reports are, and
        # after the chapter: sheets and pages of several chapters can share one folder
        stem = f"{spelled}{f'-ch{a.chapter}' if a.chapter else ''}{'-key' if a.key else ''}"
        if a.cmd == "sheet":
            name = f"{stem}.{'json' if a.format == 'json' else 'md'}"
            text = (json.dumps({"student": sid, "chapter": a.chapter, "key": a.key,
                                "exercises": sheet(sid, a.chapter, a.key, secret)}, indent=1) + "\n"
                    if a.format == "json" else sheet_markdown(sid, a.chapter, a.key, secret))
        else:
            name = f"{stem}.html"
            text = page_html(a.chapter, ids=pick, student=sid, key=a.key, secret=secret)
        if (out / name).exists():
            replaced.append(name)
        _out(text, str(out / name))
    what = "sheets" if a.cmd == "sheet" else "pages"
    write_stdout(f"{len(ids)} {what} written into {out}{'/' if not str(out).endswith('/') else ''}\n")
    if replaced:
        # never silently: a file of that name was there (an earlier run's, or one of your own)
        n = len(replaced)
        _note(f"{n} of them replaced {'files' if n > 1 else 'a file'} of the same name already in {a.out_dir} "
              f"(e.g. {replaced[0]}): an earlier run's{'' if a.chapter else ' (without --chapter a file holds every chapter)'}; "
              f"give an empty --out-dir to keep {'them' if n > 1 else 'it'}")
    if not secret:
        _note(f"no course secret (${SECRET_ENV} or --secret-file): practice mode, anybody can compute "
              f"any student's key")


#: Why ``page --lms canvas`` is refused: Canvas's one bulk upload of files per student, the
#: assignment's "Re-upload submissions", attaches a file to a student's submission only when its
#: name holds the user id and the id of a file that student already submitted (app/models/
#: assignment.rb, infer_comment_context_from_filename(): other files are ignored), so it cannot
#: hand out a page before the students hand in anything.
CANVAS_NO_HANDOUT = ("Canvas has no upload that hands each student a file of their own before they submit: its "
                     "Re-upload submissions attaches a file only to a file the student already submitted (its "
                     "name must carry that file's id); write the pages with --out-dir DIR and hand each out as "
                     "the instructor guide says")

#: A zip entry's time when it says none of its own (zip's earliest): the same worksheet and
#: secret make the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _lms_zip(a, secret: str) -> None:
    """``page --roster WORKSHEET --roster-column NAME --lms moodle -o FILE.zip``: every student's
    page in the folder Moodle's "Upload multiple feedback files in a zip" gives to their
    participant number (``grade.moodle_folder``, the folder ``grade`` reads back to the same
    student), made for the id of their --roster-column cell, the id ``grade`` grades their folder
    as.  Every row is checked before a page is made; nothing is written unless all are good."""
    import io
    import zipfile

    from .grade import (MOODLE_SUBMISSION_PLUGIN, PID_COLUMN, _column, _csv_rows, moodle_folder, participant_number,
                        read_text_file, worksheet_name_columns)
    if a.lms == "canvas":
        raise GradeError(CANVAS_NO_HANDOUT)
    if not (a.roster and a.roster_column):
        raise GradeError("--lms moodle makes each student's page from Moodle's grading worksheet: give --roster "
                         "WORKSHEET.csv and --roster-column NAME (the column of the ids, as for grade)")
    if a.out_dir:
        raise GradeError("--lms moodle writes one zip: give -o FILE.zip, not --out-dir")
    if not a.output:
        raise GradeError("--lms moodle writes one zip: give -o FILE.zip")
    if not a.output.lower().endswith(".zip"):
        raise GradeError(f"-o {a.output}: Moodle's upload takes a file named .zip only: give -o FILE.zip")
    if a.key:
        raise GradeError("--key shows the key on every page: a zip to hand out to the students takes none")
    for what, given in (("--roster", a.roster), ("--secret-file", a.secret_file)):
        if given and os.path.exists(given) and os.path.realpath(given) == os.path.realpath(a.output):
            raise GradeError(f"-o {a.output} is {what}: it would be overwritten; write to another file")
    _can_write(a.output)                             # said before 300 pages are made, not after
    read_roster(a.roster, a.roster_column)          # a bad id in the column: every one named, with what to do
    text = read_text_file(a.roster, "the roster", GradeError)
    header, rows = _csv_rows(text)
    k_id = _column(a.roster, header, a.roster_column)
    if not any(h.lower() == PID_COLUMN.lower() for h in header):
        raise GradeError(f"the roster {a.roster} has no {PID_COLUMN!r} column (its columns: "
                         f"{', '.join(repr(h) for h in header if h) or 'none'}): --lms moodle places each page by "
                         f"the participant number of Moodle's grading worksheet (the assignment's View all "
                         f"submissions > Download grading worksheet)")
    k_pid = _column(a.roster, header, PID_COLUMN)
    k_names = worksheet_name_columns(a.roster, header, a.roster_name_columns)
    students, empty, bad_pid = [], [], []        # (line, id as spelled, participant number, full name)
    for n, row in enumerate(rows, 2):
        if not any(c.strip() for c in row):
            continue
        cell = lambda k: row[k].strip() if k < len(row) else ""      # noqa: E731
        name = " ".join(cell(k) for k in k_names).strip()
        who = f"line {n}" + (f" ({name})" if name else "")
        pid = participant_number(cell(k_pid))
        if not cell(k_id):
            empty.append(who)
        elif pid is None:
            bad_pid.append(f"{who}: {echo(cell(k_pid))}")
        else:
            students.append((n, cell(k_id), pid, name))
    if empty:
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        raise GradeError(f"the roster {a.roster}: {len(empty)} row{'s have' if len(empty) > 1 else ' has'} an empty "
                         f"{header[k_id]!r} ({', '.join(empty[:5])}{more}): "
                         f"each student's page is made for the id in that cell, the one grade grades their folder "
                         f"as; fill in their ids (1-64 ASCII letters, digits, '_', '.', '@', '+' or '-') and run again")
    if bad_pid:
        are = "cells are" if len(bad_pid) > 1 else "cell is"
        raise GradeError(f"the roster {a.roster}: {len(bad_pid)} {PID_COLUMN!r} {are} "
                         f"no participant number ({'; '.join(bad_pid[:5])}): Moodle's grading worksheet writes "
                         f"'Participant N' (the label in the site's language, then the number) in every row")
    for what, key in (("id", lambda s: s[1].lower()), ("participant number", lambda s: s[2])):
        seen: dict = {}
        for s in students:
            seen.setdefault(key(s), []).append(s)
        twice = [(k, got) for k, got in seen.items() if len(got) > 1]
        if twice:
            shown = "; ".join(f"{got[0][1] if what == 'id' else k} on lines "
                              f"{', '.join(str(s[0]) for s in got)}" for k, got in twice[:5])
            col = header[k_id] if what == "id" else PID_COLUMN
            raise GradeError(f"the roster {a.roster}: {len(twice)} {what}{'s are' if len(twice) > 1 else ' is'} on "
                             f"several rows ({shown}{f' and {len(twice) - 5} more' if len(twice) > 5 else ''}): one "
                             f"page per participant, each with an id of their own: give each row its own {col!r}")
    from .html import page_html
    pick = [k for k in a.ids.split(",") if k.strip()] if a.ids else None
    entries, changed = [], []
    for _, spelled, pid, name in students:
        # the variant of the id grade gives this folder: its row's --roster-column cell (lower case);
        # the file named as the roster spells the id, as --out-dir names it
        sid = check_student(spelled)
        html = page_html(a.chapter, ids=pick, student=sid, key=False, secret=secret)
        stem = f"{spelled}{f'-ch{a.chapter}' if a.chapter else ''}"
        folder = moodle_folder(name, pid)
        written = folder.removesuffix(f"_{pid}_{MOODLE_SUBMISSION_PLUGIN}")
        if written != name:
            changed.append(f"{name!r} as {written!r}")
        entries.append((f"{folder}/{stem}.html", html.encode("utf-8")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, data in sorted(entries):
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3                 # Unix, whatever the system: the same bytes everywhere
            info.external_attr = 0o100644 << 16      # a file, rw-r--r--
            z.writestr(info, data)
    data = buf.getvalue()
    _out(data, a.output)
    # its size: Moodle's upload takes no file larger than the course's maximum upload size
    write_stdout(f"{len(entries)} pages written into {a.output} ({len(data) / 1e6:.1f} MB), one folder per "
                 f"participant: upload it with the assignment's Upload multiple feedback files in a zip (the "
                 f"course's maximum upload size must allow it)\n")
    if changed:
        # said, not refused: Moodle's own download writes them so, and its upload reads the number alone
        _note(f"{len(changed)} full name{'s' if len(changed) > 1 else ''} written into the folder's name as Moodle's "
              f"download writes {'them' if len(changed) > 1 else 'it'}, '_' a space, no & < > \" ` | ' : \\ / "
              f"(e.g. {'; '.join(changed[:3])}): Moodle's upload places a folder by its participant number alone")
    if not secret:
        _note(f"no course secret (${SECRET_ENV} or --secret-file): practice mode, anybody can compute "
              f"any student's key")


def _no_clobber(a) -> None:
    """Refuse an output (-o, --gradebook) that is one of grade's inputs -- the answer file, the
    roster, the secret -- or an answer file in the --class folder: it would be overwritten
    (the next run would grade a CSV as a student's answers)."""
    inputs = {"the answer file": a.answers, "--roster": a.roster, "--secret-file": a.secret_file}
    for opt, out in (("-o", a.output), ("--gradebook", a.gradebook), ("--lms-file", getattr(a, "lms_file", None))):
        if not out:
            continue
        real = os.path.realpath(out)
        for what, given in inputs.items():
            if given and os.path.realpath(given) == real:
                raise GradeError(f"{opt} {out} is {what}: it would be overwritten; write to another file")
        if a.klass:
            folder = os.path.realpath(a.klass)
            if os.path.commonpath([folder, real]) == folder:
                raise GradeError(f"{opt} {out} is inside the --class folder {a.klass}: the next run would "
                                 f"take it for a student's file; write it elsewhere")


def _can_write(path: str) -> None:
    """OSError naming ``path`` if a file cannot be written there (a folder, a missing or read-only
    folder): said before grading, and before any other output is written."""
    p = Path(path)
    if not p.name or p.is_dir():
        raise IsADirectoryError(21, "Is a directory", path)
    if p.exists() and not p.is_file():         # /dev/null, a pipe: written in place
        if not os.access(p, os.W_OK):
            raise PermissionError(13, "Permission denied", path)
        return
    folder = Path(os.path.realpath(p)).parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".check", dir=folder)
    except OSError as e:
        raise OSError(e.errno, e.strerror, path) from None
    os.close(fd)
    os.unlink(tmp)


def _can_make_folder(path: str) -> None:
    """OSError naming ``path`` if the folder cannot be made, or written into."""
    p = Path(path).absolute()
    while not p.exists():
        p = p.parent
    if not p.is_dir():
        raise NotADirectoryError(20, "Not a directory", path)
    if not os.access(p, os.W_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", path)


def _out(text: str | bytes, path: str | None) -> None:
    if path:
        try:
            atomic_write(path, text)         # complete or not at all
        except OSError as e:                 # a device written in place (/dev/full) names no file
            if not e.filename:
                e.filename = path
            raise
    else:
        write_stdout(text)


def _done_ctrl_c(u, hook=sys.unraisablehook) -> None:
    """The command is done: Python's exit still waits for the process pool's threads, and a
    Ctrl-C pressed then, which it can only print as "Exception ignored in ..." and a traceback,
    changes nothing.  It is not printed; any other such error still is."""
    if not isinstance(u.exc_value, KeyboardInterrupt):
        hook(u)


if __name__ == "__main__":
    code = main()
    sys.unraisablehook = _done_ctrl_c
    sys.exit(code)
