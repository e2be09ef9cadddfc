"""Sheets, keys and grading.

An answer file is what the page's export button and the notebook's
``export_answers()`` write::

    {"format": "1+1<1 answers", "version": 1, "student": "alice", "chapter": 4,
     "answers": {"eq-next": {"answer": "if2", "variant": "3f0c...", "attempts": 3},
                 "eq-speed": "about 2000 kbit/s",
                 "two-links-config": {"answer": {"multipath": "numgen", "equalize": false, "nat": "none"}}}}

``version`` (optional, 1 when absent) is the format's version: this grader reads 1
and refuses any other, naming it.  ``exported`` (optional) is when the page or the
notebook wrote the file (ISO 8601, UTC); the gradebook's ``submitted_at`` is it, or
the file's modification time when the file does not say.
An entry may instead be ``{"refused": WHY, "given": TEXT, "variant": ...}``: an answer the
notebook's export could not write (a list where a count was asked), graded as refused,
with ``WHY`` as its feedback.
``variant`` (optional) is the salt of the page the answer was given on; it
tells the grader when a student answered another student's variant (or the
book's).  ``fingerprint`` (optional) is the fingerprint of the question the page
showed (``model.fingerprint``): an answer whose fingerprint is not the grader's own
instance's answered another question -- a newer version of the book changed it -- and
gets no score; a file without fingerprints (a page or notebook made before them) is
graded as before, with a note that its questions could not be checked.
``attempts`` (optional) is how many times the student pressed Check.
``chapter`` (optional) is the chapter graded when no ``--chapter`` is given;
without either, the chapters answered are graded.  The grader recomputes every
answer with the simulator: it trusts nothing in the file.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .._io import atomic_write
from .bank import (BANK, ExerciseError, chapter_ids, chapters, check_chapter, forget_runs, instance,
                   where_to_run)
from .site import FILES_RE, UNKNOWN_COMMIT, files_digest, same_commit, source_commit
from .model import ECHO, FP_LENGTH, REVEAL_TITLE, SCALARS, context_title, echo, salt_for
from .variants import (BOOK_STUDENT, COURSE_ENV, POOL, STUDENT_RE, StudentError, TooLarge, check_student, course_for,
                       member, member_name, read_small, read_text_file, secret_for)

FORMAT = "1+1<1 answers"
RELEASE = "release"         # the variant an nbgrader release notebook carries (notebooks --student's default)
VERSIONS = (1,)             # the versions of the answer file format this grader reads
#: What an answer whose question changed since its page was made is told (``fingerprint``): the
#: report is the student's, who can do nothing about it; the instructor's lines (the run's, the
#: per-file CSV's note, ``changed_advice``) say what to do.
CHANGED = "not graded: this question changed after you answered; your instructor will look at it"


#: The words of the report's note on changed questions (``grade``): the per-file CSV says it in
#: the instructor's words instead (``_fill_scores``).
_CHANGED_TOLD = "changed after you answered"


def built_of(data) -> str | None:
    """The commit the site that exported an answer file was built from (its ``"built"``: a
    short commit hash, or "unknown"), None when the file does not say (an older site's export,
    a notebook's, one written by hand) or says something else."""
    built = data.get("built") if isinstance(data, dict) else None
    return built if isinstance(built, str) and (re.fullmatch(r"[0-9a-f]{4,40}|unknown", built)
                                                 or FILES_RE.fullmatch(built)) else None


def changed_advice(builds) -> str:
    """What the instructor is told of answers whose question changed, exported by sites built
    from ``builds`` (commits, None for a file that does not say): the commit to grade each with,
    where the files name one other than this grader's; for pages made outside a git checkout
    (their version a digest of the package's files, ``files_digest``), which copy to grade with."""
    mine = source_commit()
    builds = [b for b in builds if b and b != UNKNOWN_COMMIT]
    copies = sorted({b for b in builds if FILES_RE.fullmatch(b) and b != files_digest()})
    other = sorted({b for b in builds if not FILES_RE.fullmatch(b) and not same_commit(b, mine)})
    if copies and not other:
        return (f"exported by pages made from an installed copy of the book, not a git checkout, whose files' "
                f"version is {', '.join(copies)} (this grader's: {files_digest()}): grade "
                f"{'those files' if len(copies) > 1 else 'it'} with the copy the pages were made with (each page "
                f"says its version at its foot; python -c \"from sim.exercises.site import files_digest; "
                f"print(files_digest())\" says a copy's)")
    if not other:
        return ""
    first = other[0]
    return (f"exported by the site built from commit {', '.join(other)} (this grader: {mine}): grade "
            f"{'those files' if len(other) > 1 else 'it'} with that version -- in the repository, "
            f"git worktree add ../site-{first} {first}, then run grade with PYTHONPATH=../site-{first}")


def made_by(data) -> str:
    """What exported an answer file: "notebook" for one that names its ``chapter`` (an nbgrader
    notebook's export, ``NotebookSheet.export``: a page's export never does), else "page"."""
    return "notebook" if isinstance(data, dict) and "chapter" in data else "page"


def changed_text(made: str = "page") -> str:
    """``CHANGED``, of a ``made`` ("page" or "notebook", ``made_by``): the same words for both."""
    return CHANGED
_FINGERPRINT = re.compile(rf"^[0-9a-f]{{{FP_LENGTH}}}$")


class GradeError(ValueError):
    """An answer file the grader can't use; the message says why, in one line.  ``student``:
    the same said to the student, where the message names another student or the
    instructor's folders (the report handed back says it; the instructor's CSV the message)."""

    def __init__(self, message: str, student: str | None = None):
        super().__init__(message)
        self.student = student or message

    def __reduce__(self):                       # a worker process gets both texts
        return GradeError, (str(self), self.student)


def plain(text: str) -> str:
    """The bank's small Markdown (``code``, **bold**) as plain text, for a terminal."""
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", re.sub(r"`([^`]+)`", r"\1", text))


@dataclass
class Report:
    student: str
    score: float
    max: int
    items: list[dict] = field(default_factory=list)   # {id, chapter, points, answer, feedback, attempts}
    notes: list[str] = field(default_factory=list)    # what the score does not show (ignored answers ...)
    changed: list[str] = field(default_factory=list)  # ids answered on another question (fingerprint): no score
    # ids answered on another variant's question of this version under the student's own tag: refused
    elsewhere: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # ids answered without a fingerprint (an older page)
    # ids of other chapters than the one asked for, beside answers of it: the browser's export of
    # the shared site carries every chapter answered in it -- not graded, and no note of the report
    outside: list[str] = field(default_factory=list)
    # ids answered and left out of grading (--leave-out): said in the report, once for a class
    left_out: list[str] = field(default_factory=list)
    # the commit of the site that exported the file (``built_of``), when a question changed
    built: str | None = None

    @property
    def attempts(self) -> int | None:
        """Checks the student made before exporting (None: the file does not say)."""
        counts = [it["attempts"] for it in self.items if it.get("attempts") is not None]
        return sum(counts) if counts else None

    def text(self) -> str:
        out = [f"student {self.student}: {self.score:g} / {self.max}"]
        out += [f"  note: {n}" for n in self.notes]
        if self.left_out:
            out.append(f"  note: not graded in this course: {', '.join(self.left_out)}")
        for it in self.items:
            out.extend(item_lines(it))
        return "\n".join(out)

    def json(self) -> dict:
        return {"student": self.student, "score": self.score, "max": self.max, "attempts": self.attempts,
                "notes": self.notes, "changed": self.changed, "outside": self.outside, "left_out": self.left_out,
                "items": [{k: v for k, v in it.items() if k != "said"} for it in self.items]}


def item_lines(it: dict) -> list[str]:
    """One graded item of a report (``Report.items``) as the report's lines: its mark, id, chapter,
    checks and answer, then its feedback, indented."""
    mark = ("question changed" if it.get("changed") else "right" if it["points"]
            else "no answer" if it["answer"] is None
            else "right, not counted" if it.get("late")
            else "refused" if it.get("refused") else "wrong")
    n = it.get("attempts")
    tries = "" if n is None else f", {n} attempt{'' if n == 1 else 's'}"
    said = it["said"] if "said" in it else echo(it["answer"])
    out = [f"  [{mark}] {it['id']} (chapter {it['chapter']}{tries})"
           + ("" if it["answer"] is None else f": answer {said}")]
    out.extend("      " + plain(line) for line in it["feedback"].splitlines() if line.strip())
    return out


def unread_item(ex_id: str, chapter: int, answer, problem: str, attempts: int | None = None) -> dict:
    """The report's item for ``answer`` to ``ex_id``, which the grader cannot read as an answer of
    the asked form (``problem``: why, ``model.resolve``'s): no points, refused, not wrong.  What
    ``grade`` reports, and what a notebook's export says before the file is handed in."""
    return {"id": ex_id, "chapter": chapter, "points": 0, "late": False, "answer": _shown(answer),
            "said": _said(answer), "feedback": problem, "attempts": attempts, "refused": True}


def _cell(v):
    """A CSV cell a spreadsheet shows as text: one starting =, +, -, @ (a formula to Excel,
    LibreOffice and Sheets) gets a leading apostrophe, as OWASP's CSV-injection advice says."""
    return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


class _Constant(Exception):
    pass


def _no_constant(name: str):
    """Python's JSON reader takes NaN and Infinity; an answer file holding one is refused
    (a report echoing it would not be JSON)."""
    raise _Constant(name)


def load_answers(path: str | Path, name: str | None = None) -> dict:
    """The parsed answer file at ``path``; GradeError (one line) if it can't be one, naming
    the file as ``name`` (default: ``path``; a class's reports name the file alone, not the
    instructor's folders)."""
    shown = path if name is None else name
    try:
        raw = read_small(path, "the answer file")
    except TooLarge as e:
        raise GradeError(str(e).replace(str(path), str(shown))) from None
    except OSError as e:
        raise GradeError(f"can't read {shown}: {e.strerror}") from None
    if raw[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip archive (a folder the student compressed)
        raise GradeError(f"{shown} is a zip archive, not an answer file: unzip it and grade the answers-ID.json "
                         f"inside (a student sends that .json file itself, as the page's export button "
                         f"downloaded it)") from None
    try:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):   # UTF-16 with its byte order mark: PowerShell's >, Notepad
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")       # a byte order mark (Windows editors) is fine
    except UnicodeDecodeError:
        raise GradeError(f"{shown} is not a UTF-8 text file: save it as UTF-8 (in Notepad: Save as, "
                         f"Encoding UTF-8), or export the answers with the page's or the notebook's "
                         f"export button") from None
    if not text.strip():
        raise GradeError(f"{shown} is empty: export the answers with the page's or the notebook's export button")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except _Constant as e:
        raise GradeError(f"{shown} is not an answer file: it has {e}, which JSON does not allow "
                         f"(export the answers with the page's or the notebook's export button)") from None
    except json.JSONDecodeError as e:
        # a message like "Unterminated string starting at" ends with its own "at"
        raise GradeError(f"{shown} is not JSON ({e.msg.removesuffix(' at')} at line {e.lineno}): export the answers "
                         f"with the page's or the notebook's export button") from None
    except RecursionError:
        raise GradeError(f"{shown} is not an answer file: its JSON is nested too deeply") from None
    except ValueError as e:                      # e.g. an integer of more than 4300 digits
        raise GradeError(f"{shown} is not an answer file: {e}") from None
    return data


def _unwrap(v):
    """(answer, variant, attempts) of one entry of ``answers``: the attempts a count a page or a
    notebook writes, 1 or more (an answer is written by its first Check; a notebook's answer never
    checked has no count), else None (``_bad_attempts``: 0, "many" -- a hand edit)."""
    if isinstance(v, dict) and ("answer" in v or _refused_entry(v)):
        attempts = v.get("attempts")
        ok = isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 1
        return v.get("answer"), v.get("variant"), attempts if ok else None
    return v, None, None


def _bad_attempts(v):
    """The ``attempts`` of one entry of ``answers`` when it is there but no count a page or a
    notebook writes (a whole number, 1 or more: no page writes an answer it was never checked
    with): ``"many"``, 0, -1, 2.5, true -- a hand edit; else None (a count, or none given: ``null``
    or no key, as a notebook answer never checked)."""
    if isinstance(v, dict) and v.get("attempts") is not None and _unwrap(v)[2] is None:
        return v["attempts"]
    return None


def _as_json(v) -> str:
    """A value of an answer file as the file has it: ``true``, ``2.5``, ``'many'`` (a text quoted,
    shortened as ``echo`` does)."""
    return json.dumps(v) if isinstance(v, (bool, int, float)) else echo(v)


def _fingerprint(v, ex_id: str) -> str | None:
    """The ``fingerprint`` of one entry of ``answers`` (None: it has none, written before them);
    GradeError if it is not one."""
    fp = v.get("fingerprint") if isinstance(v, dict) else None
    if fp is not None and not (isinstance(fp, str) and _FINGERPRINT.match(fp)):
        raise GradeError(f"\"fingerprint\" of the answer to {ex_id!r} is {echo(fp)}: a fingerprint is the "
                         f"{FP_LENGTH} hexadecimal digits the page or the notebook wrote (export the answers again, "
                         f"or leave the fingerprint out)")
    return fp


#: What an answer is told whose fingerprint is another variant's question of this version while its
#: tag is the student's own (``_other_variant``): a page writes the tag and the fingerprint together.
ELSEWHERE = ("refused: answered on another variant (variant tag edited): the question it answers is not "
             "yours; answer your own variant and send the file your page or notebook exported, unedited")


def _other_variant(ex_id: str, fp: str, student: str, secret: str) -> bool:
    """Is ``fp`` the fingerprint of another variant of ``ex_id`` in this version -- one of its
    pool's under ``secret``, or the book's own -- than ``student``'s?  (A fingerprint of no variant
    at all is a question that changed since the page was made.)"""
    from .bank import _for_student
    course = course_for(None)
    own = member(student, ex_id)
    for name in [member_name(k, course) for k in range(POOL)] + [BOOK_STUDENT]:
        if name == own:
            continue
        try:
            if _for_student(ex_id, name, name, "" if name == BOOK_STUDENT else secret, True).fingerprint == fp:
                return True
        except (StudentError, ExerciseError):
            continue
    return False


def _refused_entry(v) -> bool:
    """Is ``v`` (an entry of ``answers``) an answer the notebook's export refused to write?"""
    return isinstance(v, dict) and "answer" not in v and isinstance(v.get("refused"), str)


def variant_salt(student: str, ex_id: str, secret: str = "") -> str:
    """The variant tag of ``student``'s answers to ``ex_id``: the salt of their pool variant."""
    return salt_for(member(student, ex_id), ex_id, secret)


def _pool_tags(ex_id: str, secret: str) -> set[str]:
    """The variant tags of every variant of ``ex_id``'s pool under ``secret``: a page made with
    this secret for any student at all carries one of them."""
    course = course_for(None)
    return {salt_for(member_name(k, course), ex_id, secret) for k in range(POOL)}


#: Where an answer was given whose variant tag is no student's under the grading secret.
OTHER_SECRET = "on a page or notebook made with another course secret?"


def _where(variant, ex_id: str, student: str, secret: str, others=(), for_student: bool = False) -> str:
    """Which page an answer with this ``variant`` tag was given on, in words (``others``:
    student ids to look among; ``for_student``: as the student is told it, naming no one)."""
    if variant == salt_for(BOOK_STUDENT, ex_id):
        return "on the book's own page (variant book)"
    if secret and variant == variant_salt(student, ex_id, ""):
        return "on a practice page or notebook made without the course secret"
    if secret and variant not in _pool_tags(ex_id, secret):
        # no student's page under this secret has it (the pool holds every variant): the page was
        # made with another secret -- most often, the grader was given the wrong one
        if for_student:
            return "on a page or notebook not made with this course's secret"
        return (f"{OTHER_SECRET} (no student's page or notebook has its variant under the secret this grader "
                f"was given: grade with the secret the pages or notebooks were made with"
                + (f", and the course id ({COURSE_ENV}) if they were made with one)" if not course_for(None) else
                   f", and the course id they were made with ({COURSE_ENV}={course_for(None)} here))"))
    if for_student:
        return "on another student's variant"
    owners = [o for o in sorted(others) if o != student and variant == variant_salt(o, ex_id, secret)]
    if len(owners) == 1:
        return f"on {owners[0]}'s page"
    if owners:                      # students share a variant (8 a pool): the page was one of theirs
        if len(owners) <= 3:
            return f"on the page of {', '.join(owners[:-1])} or {owners[-1]} (they share that variant)"
        return f"on another student's page ({len(owners)} students of the class share that variant)"
    return "on another student's page" + ("" if secret else " (or on one made with a course secret: give it "
                                                             "with OP1_COURSE_SECRET or --secret-file)")


def _release_where(variant, ex_id: str, secret: str) -> str:
    """Where an answer of nbgrader's release notebook whose ``variant`` tag is not this run's
    release variant was given, and what to do, in words."""
    if secret and variant == variant_salt(RELEASE, ex_id, ""):
        return ("in a release notebook made without the course secret, and this run grades with one: grade "
                "these files without the secret, or hand out notebooks made with it")
    if not secret:
        return ("in a release notebook this grader cannot place: made with a course secret? give it with "
                "--secret-file or OP1_COURSE_SECRET")
    return ("in a release notebook made with another course secret, or for another variant (notebooks "
            "--student): grade with the secret it was made with")


def _edited(student: str, answers: dict, ex_id: str, variant, secret: str) -> str | None:
    """Why the ``variant`` tag of the answer to ``ex_id``, which no page of this course writes,
    was edited in the file rather than written by a page made with another secret or course,
    in words (None: nothing says so).  A page writes each answer's tag with the fingerprint of
    the question it showed, which holds the variant's salt: a fingerprint of this course's own
    question under another tag, or tags of the student's own beside it in the file, are what a
    hand-edited tag leaves."""
    fp = _fingerprint(answers[ex_id], ex_id)
    if fp is not None:
        try:
            if fp == instance(ex_id, student, secret, grading=True).fingerprint:
                return (f"its fingerprint is that of {student}'s own question, as the page showed it: its "
                        f"\"variant\" was edited in the file")
        except (StudentError, ExerciseError):
            pass
    own = [k for k, v in answers.items() if k != ex_id and _unwrap(v)[1] == variant_salt(student, k, secret)]
    if own:
        return (f"the file's other answers ({', '.join(own[:3])}{', ...' if len(own) > 3 else ''}) carry "
                f"{student}'s own variants under this course's secret: its \"variant\" was edited in the file")
    return None


def _other_course(variant, ex_id: str, secret: str) -> str | None:
    """The course id (or '' for the published book) of a page whose pool has this ``variant``
    tag, among those this grader can name: the published book's when it grades a course
    (OP1_COURSE_ID); None if neither."""
    course = course_for(None)
    if course:
        for sec in ({secret, ""} if secret else {""}):
            if any(variant == salt_for(member_name(k, ""), ex_id, sec) for k in range(POOL)):
                return ""
    return None


def _check_variants(student: str, answers: dict, ids, secret: str, others=(), made: str = "page") -> None:
    """GradeError if an answer of the chapter(s) graded (``ids``) was given on another variant
    than the student's: naming one of those answers (an answer of another chapter, carried
    along by the browser's export, is not graded and decides nothing), or saying "every answer
    in the file" when all of them were given on the same kind of page.  What the student is told
    to do starts with what exported the file (``made``: "page" or "notebook")."""
    own_tag = lambda k: variant_salt(student, k, secret)
    tagged = [k for k, v in answers.items() if _unwrap(v)[1] is not None]
    bad = [k for k in tagged if k in ids and _unwrap(answers[k])[1] != own_tag(k)]
    if not bad:
        return
    k = bad[0]
    variant = _unwrap(answers[k])[1]
    if student == RELEASE:
        # nbgrader's release notebook: made with another secret than this run's, not a page
        raise GradeError(f"the answer to {k!r} was given {_release_where(variant, k, secret)}",
                         f"the answer to {k!r} was given in a notebook this course's grader cannot check "
                         f"as it was made: your instructor will check it")
    # the two routes a course hands out, pages and nbgrader's notebooks: an nbgrader course makes no page
    own = (f"the page made for {student} with the course secret, or in the course's notebook with "
           f"MY_ID = {student!r} (the book's pages are practice)"
           if secret else f"the book with the id {student} entered, a page made for {student}, or a notebook "
                          f"with MY_ID = {student!r}")
    if secret:
        notebook = (f"from the course's notebook, write MY_ID = {student!r} in its id cell, answer the variants it "
                    f"then shows you, run its last cell and submit again")
        page = (f"from a page, send the file exported by the page made for you with the course secret (the "
                f"book's pages are practice)")
    else:
        notebook = (f"from a notebook, write MY_ID = {student!r} in its id cell, answer the variants it then shows "
                    f"you, run its last cell and submit again")
        page = (f"from the book's pages, enter the id {student!r} (or use the page made for you), answer, and "
                f"send the file its export writes")
    # a file a page exported: the page's way first (a course of pages was told of notebooks first)
    mine = f"{page}; {notebook}" if made == "page" else f"{notebook}; {page}"
    in_pool = (variant in _pool_tags(k, secret) if secret
               else variant in _pool_tags(k, ""))
    if not in_pool and variant != salt_for(BOOK_STUDENT, k) and \
            not (secret and variant == variant_salt(student, k, "")):
        edited = _edited(student, answers, k, variant, secret)
        if edited:
            raise GradeError(f"the answer to {k!r} carries a \"variant\" tag that no page or notebook of this "
                             f"course writes, and {edited}: grade the page's own export (ask {student} for it)",
                             f"the answer to {k!r} carries a \"variant\" tag that was changed in the file: "
                             f"send the file your own page exported, unedited")
        course = _other_course(variant, k, secret)
        if course is not None:
            ours = course_for(None)
            raise GradeError(f"the answer to {k!r} was given on a page or notebook made without a course id "
                             f"({COURSE_ENV} unset: the published book's pool), and this grader grades course "
                             f"{ours!r}: grade these files without {COURSE_ENV}, or hand out pages made with it",
                             f"the answer to {k!r} was given on a page not made for this course: answer your own "
                             f"variant -- {mine}")
    wheres = {kk: _where(_unwrap(answers[kk])[1], kk, student, secret, others) for kk in tagged
              if _unwrap(answers[kk])[1] != own_tag(kk)}
    every = len(tagged) > 1 and len(wheres) == len(tagged) and len(set(wheres.values())) == 1
    chs = sorted({BANK[x].chapter for x in tagged})
    what = (f"every answer in the file ({len(tagged)}, of chapter{'s' if len(chs) > 1 else ''} "
            f"{', '.join(map(str, chs))})" if every else f"the answer to {k!r}")
    raise GradeError(f"{what} was given {wheres[k]}, not on {student}'s own: {student} must answer their own "
                     f"variant, on {own}",
                     # the student is not told whose page it was
                     f"{what} was given {_where(variant, k, student, secret, for_student=True)}, not on "
                     f"{student}'s own: answer your own variant -- {mine}")


def check_leave_out(leave_out, chapter: int | None = None) -> tuple[str, ...]:
    """The exercise ids ``leave_out`` names (a list, or text separated by commas), checked: each one
    the bank's, of ``chapter`` when one is given, and not every exercise of it; GradeError otherwise."""
    if isinstance(leave_out, str):
        leave_out = leave_out.split(",")
    ids = tuple(dict.fromkeys(k.strip() for k in (leave_out or ()) if k.strip()))
    for k in ids:
        if k not in BANK:
            raise GradeError(f"--leave-out {k!r}: no such exercise; the bank has {', '.join(BANK)}")
        if chapter is not None and BANK[k].chapter != chapter:
            raise GradeError(f"--leave-out {k!r} is an exercise of chapter {BANK[k].chapter}, not of chapter "
                             f"{chapter}: its exercises are {', '.join(chapter_ids(chapter))}")
    if chapter is not None and ids and set(chapter_ids(chapter)) <= set(ids):
        raise GradeError(f"--leave-out leaves out every exercise of chapter {chapter}: nothing would be graded")
    return ids


def graded_ids(chapter: int, leave_out=()) -> list[str]:
    """The exercises of ``chapter`` that are graded: all but those left out (``--leave-out``)."""
    return [k for k in chapter_ids(chapter) if k not in leave_out]


def grade(student: str, data: dict, chapter: int | None = None, secret: str | None = None,
          others=(), max_attempts: int | None = None, roster=(), leave_out=()) -> Report:
    """Grade one student's answer data (a parsed answer file).  ``chapter``: grade that
    chapter (default: the file's ``chapter``, else every chapter answered).  ``secret``:
    the course secret (None: the environment's).  ``others``: the class's student ids,
    to say whose page an answer given on another's came from.  ``max_attempts``: a right
    answer counts only if the page recorded at most this many checks for it (the page tells
    why a wrong choice is wrong, which often names the right one: ``max_attempts=1`` grades
    a prediction by the first one made); an answer with no count recorded counts.  ``roster``:
    the class's ids (lower case): a file exported under an id it does not have -- a student's
    typo, their email -- is refused naming that id, to the student too (their own input).
    ``leave_out``: exercises not graded (``--leave-out``: one that needs Python, in a course
    whose students have none), out of the maximum, and their answers not read."""
    try:
        student = check_student(student)
        chapter = check_chapter(chapter)
    except (StudentError, ExerciseError) as e:
        raise GradeError(str(e)) from None
    leave_out = check_leave_out(leave_out, chapter)
    secret = secret_for(student, secret)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("answers"), dict):
        raise GradeError(f"not an answer file: expected a JSON object with \"format\": \"{FORMAT}\" "
                         f"and an \"answers\" object")
    version = data.get("version", 1)
    if isinstance(version, bool) or version not in VERSIONS:
        raise GradeError(f"\"version\" in the answer file is {echo(version)}: this grader reads version "
                         f"{', '.join(map(str, VERSIONS))} (export the answers again from the book's page or "
                         f"notebook, or grade with the tool that came with them)")
    if "student" not in data:
        raise GradeError("the answer file names no student (it has no \"student\" field): "
                         "export it again from the student's own page")
    owner = data["student"]
    if isinstance(owner, str) and owner != owner.strip() and owner.strip().lower() == student:
        raise GradeError(f"\"student\" in the answer file is {owner!r}, white space around the id: write "
                         f"{student!r} alone, or export the file again from the page or the notebook")
    if isinstance(owner, str) and roster and owner.lower() != student and owner.lower() not in roster:
        # no classmate's id: what the student typed as theirs (an email, a typo), said back to them
        raise GradeError(f"this answer file belongs to student {echo(owner)}, not to {student!r}: "
                         f"{echo(owner)} is not on the roster",
                         f"this answer file was exported for the id {echo(owner)}, not for yours, {student!r}: "
                         f"answer again with {student!r} as your id (MY_ID = {student!r} in a notebook"
                         + ("; your login, not your email" if "@" in owner and "@" not in student else "") + ") and send that export")
    if not isinstance(owner, str) or owner.lower() != student:
        raise GradeError(f"this answer file belongs to student {echo(owner)}, not to {student!r}",
                         f"this answer file was exported for another student, not for {student!r}: from a "
                         f"notebook, write MY_ID = {student!r} in its id cell, answer the variants it then shows "
                         f"you, run its last cell and submit again; from a page, "
                         + ("send the file the page made for you exported" if secret else
                            # the shared site: the id in its box is whose file the export writes
                            f"enter your own id, {student!r}, in the student id box of an exercise (Change, "
                            f"then your id), answer the variants it then shows you and export again (or send "
                            f"the file the page made for you exported)"))
    if "course" in data:
        given, ours = data["course"], course_for(None)
        if given != ours:
            raise GradeError(f"these answers were given on pages or notebooks of course {echo(given)}, and this "
                             f"grader grades "
                             + (f"course {ours!r}" if ours else "the published book (no course id)")
                             + f": set {COURSE_ENV}={given} to grade that course" if isinstance(given, str)
                             and STUDENT_RE.match(given) else
                             f"\"course\" in the answer file must be a course id, got {echo(given)}")
    answers = data["answers"]
    unknown = sorted(str(k) for k in answers if k not in BANK)
    if unknown:
        raise GradeError(f"unknown exercise {echo(unknown[0])} in the answer file: the bank has {', '.join(BANK)}")
    for k, v in answers.items():
        _fingerprint(v, k)
    notes, outside = [], []
    asked = chapter is not None                 # by the caller (--chapter), not by the file
    if chapter is None and "chapter" in data:
        chapter = data["chapter"]
        if isinstance(chapter, bool) or not isinstance(chapter, int) or chapter not in chapters():
            raise GradeError(f"\"chapter\" in the answer file must be a chapter number "
                             f"({', '.join(map(str, chapters()))}), got {json.dumps(chapter)}")
    if chapter is not None:
        ids = chapter_ids(chapter)
        ignored = [k for k in answers if k not in ids]
        if ignored and asked and set(answers) & set(ids):
            # the export of the book's pages holds every chapter answered in that browser: what is
            # expected needs no word to the student (the caller says it once for a class)
            outside = ignored
        elif ignored:                           # nothing of the chapter asked: the wrong file?
            notes.append(f"{len(ignored)} answer{'s' if len(ignored) > 1 else ''} outside chapter {chapter} "
                         f"not graded: {', '.join(ignored)}")
    else:
        answered = sorted({BANK[k].chapter for k in answers})
        if not answered:
            raise GradeError("the answer file has no answers")
        ids = [k for c in answered for k in chapter_ids(c)]
    if leave_out:                               # not graded in this course: out of the maximum, and said
        ids = [k for k in ids if k not in leave_out]
        if not ids:
            raise GradeError(f"every exercise this file answers is left out (--leave-out "
                             f"{','.join(leave_out)}): nothing to grade")
        skipped = [k for k in leave_out if k in answers]
        answers = {k: v for k, v in answers.items() if k not in leave_out}
    else:
        skipped = []
    _check_variants(student, answers, ids, secret, others, made_by(data))
    rep = Report(student, 0, len(ids), notes=notes, outside=outside, left_out=skipped)
    answered = 0                                # answers graded here, fingerprinted or not
    edited = {}                                 # id -> an attempts value no page writes (a hand edit)
    for ex_id in ids:
        inst = instance(ex_id, student, secret, grading=True)
        if ex_id not in answers:
            rep.items.append({"id": ex_id, "chapter": inst.chapter, "points": 0, "answer": None,
                              "feedback": "no answer", "attempts": None, "refused": False})
            continue
        ans, _, attempts = _unwrap(answers[ex_id])
        if _refused_entry(answers[ex_id]):      # the export could not write it: refused, and why
            given, why = (" ".join(str(answers[ex_id].get(k) or "").split()) for k in ("given", "refused"))
            given = given[:ECHO] or "(not written)"
            rep.items.append({"id": ex_id, "chapter": inst.chapter, "points": 0, "answer": given, "said": given,
                              "attempts": attempts, "refused": True,
                              "feedback": f"refused when the notebook exported it: {why[:4 * ECHO]}"})
            continue
        fp = _fingerprint(answers[ex_id], ex_id)
        answered += 1
        if fp is None:
            rep.unchecked.append(ex_id)
        elif fp != inst.fingerprint and _other_variant(ex_id, fp, student, secret):
            # the question of another variant of this version, under the student's own tag: a copy
            # whose "variant" was edited to the student's (a page writes the two together)
            rep.elsewhere.append(ex_id)
            rep.items.append({"id": ex_id, "chapter": inst.chapter, "points": 0, "late": False, "answer": _shown(ans),
                              "said": _said(ans), "feedback": ELSEWHERE, "attempts": attempts, "refused": True})
            continue
        elif fp != inst.fingerprint:            # another question than this version's: not graded
            rep.changed.append(ex_id)
            rep.items.append({"id": ex_id, "chapter": inst.chapter, "points": None, "answer": _shown(ans),
                              "said": _said(ans), "feedback": changed_text(made_by(data)), "attempts": attempts, "refused": False,
                              "changed": True})
            continue
        problem = inst.resolve(ans)[1]
        if problem:                             # not an answer of the asked form (a count "1e1"): not "wrong"
            rep.items.append(unread_item(ex_id, inst.chapter, ans, problem, attempts))
            continue
        ok, feedback = inst.check(ans)
        bad = _bad_attempts(answers[ex_id])
        if bad is not None:
            edited[ex_id] = bad
        # a count edited into no count ("many") is not "no count recorded": under --max-attempts
        # it would let any number of checks pass, so it counts as over the limit
        late = ok and max_attempts is not None and (bad is not None or (attempts is not None
                                                                         and attempts > max_attempts))
        within = f"this course counts an answer right within {max_attempts} check{'' if max_attempts == 1 else 's'}"
        if late:
            ok, feedback = False, (f"right, but its attempts are {_as_json(bad)}, not a count of checks: {within}, "
                                   f"and an edited count counts as over it" if bad is not None else
                                   f"right, but after {attempts} checks: {within}")
        rep.items.append({"id": ex_id, "chapter": inst.chapter, "points": int(ok), "late": late, "answer": _shown(ans),
                          "said": _said(ans),
                          "feedback": feedback, "attempts": attempts, "refused": False})
        rep.score += int(ok)
    if edited:
        said = ", ".join(f"of {k!r} is {_as_json(v)}" for k, v in edited.items())
        rep.notes.append(f"attempts {said}: the page writes a whole number of checks, 1 or more, so the file was "
                         f"edited by hand"
                         + (f"; with --max-attempts {max_attempts} {'that answer counts' if len(edited) == 1 else 'those answers count'} "
                            f"as over the limit" if max_attempts is not None else
                            "; not counted as checks"))
    if rep.elsewhere:
        n = len(rep.elsewhere)
        rep.notes.append(f"{n} answer{'s' if n > 1 else ''} refused ({', '.join(rep.elsewhere)}): answered on another "
                         f"variant (variant tag edited): {'their' if n > 1 else 'its'} question fingerprint is another "
                         f"variant's of this version, under {student}'s own variant tag")
    if rep.changed:
        n = len(rep.changed)
        rep.notes.append(f"{n} answer{'s' if n > 1 else ''} not graded ({', '.join(rep.changed)}): "
                         f"{'their questions' if n > 1 else 'its question'} {_CHANGED_TOLD}; your "
                         f"instructor will look at {'them' if n > 1 else 'it'}")
        rep.built = built_of(data)
    if rep.unchecked:
        n = len(rep.unchecked)
        rep.notes.append(("this file carries no question fingerprints (written by hand, or exported by a page or "
                          "notebook made before them): its answers are" if n == answered else
                          f"{n} answer{'s' if n > 1 else ''} ({', '.join(rep.unchecked)}) "
                          f"carr{'y' if n > 1 else 'ies'} no question fingerprint (written by hand, or given on a "
                          f"page made before them): "
                          f"{'they are' if n > 1 else 'it is'}")
                         + " graded on this version's questions, which could not be checked against the ones "
                           "the student saw")
    return rep


def _shown(answer):
    """The answer as the report shows it: as given if it is a value or a flat dict of values
    (short text), else shortened (``echo``: a long text cut with its length; a deep or huge
    structure described), so that no answer fills a report."""
    flat = isinstance(answer, SCALARS) or (isinstance(answer, dict) and len(answer) <= 10
                                            and all(isinstance(v, SCALARS) for v in answer.values()))
    return answer if flat and len(json.dumps(answer, default=str)) <= 200 else echo(answer)


def _said(answer) -> str:
    """The answer as a student's report repeats it: settings as ``setting=value; ...`` in
    full (a handful of short words), anything else as feedback repeats an answer (``echo``:
    a text whole up to 80 characters, else its first 80 and its length)."""
    if isinstance(answer, dict) and answer and all(isinstance(v, SCALARS) for v in answer.values()):
        text = "; ".join(f"{k}={json.dumps(v) if isinstance(v, bool) or v is None else v}"
                         for k, v in answer.items())
        if len(text) <= 4 * ECHO:               # settings are short; a dict of essays is not settings
            return text
    return echo(answer)


def grade_file(student: str, path, chapter: int | None = None, secret: str | None = None,
               max_attempts: int | None = None, leave_out=()) -> Report:
    return grade(student, load_answers(path), chapter, secret, max_attempts=max_attempts, leave_out=leave_out)


# -- a class folder --------------------------------------------------------------------------------

#: What the first line of a one-column roster says when it names its column, not a student.
HEADER_WORDS = {"id", "ids", "sid", "username", "user", "login", "netid", "student", "students", "email", "name"}


#: How many bad ids of a roster its error names, line and value (the rest: the lines they are on).
BAD_IDS_SHOWN = 50
#: How many a wrong column's error names (``bad_ids_error``): enough to see what the column holds.
BAD_IDS_HINTED = 5


def suggested_id(raw: str, taken=()) -> str | None:
    """An id the site accepts made from ``raw``, an LMS's login it refuses: accents taken off
    (``josé.garcía``: ``jose.garcia``), each run of white space a ``.`` (``mary ann``: ``mary.ann``),
    other characters left out, lower case; with ``-2``, ``-3`` ... when ``taken`` (lower case) has
    it.  None when nothing is left."""
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9_.@+-]+", "", re.sub(r"\s+", ".", text.strip()))
    text = text.lstrip("_.@+-")[:60]
    if not text:
        return None
    out, k = text, 1
    while out in taken:
        k += 1
        out = f"{text}-{k}"
    return out


def roster_ids(path, column: str | None = None) -> tuple[list[str], list[tuple[int, str]]]:
    """(the roster's student ids, as ``read_roster`` gives them; its bad ids, (line, the cell as
    written)) -- ``grade`` grades the others and leaves those rows untouched."""
    text = read_text_file(path, "the roster", GradeError)
    if column is not None:
        lines = _roster_column(path, text, column)
    else:
        lines = [(n, line.split("#", 1)[0].strip()) for n, line in enumerate(text.splitlines(), 1)]
        first = next((sid for _, sid in lines if sid), "")
        cells = [c.strip() for c in re.split(r"[,;\t]", first)]
        if len(cells) > 1 and not STUDENT_RE.match(first):
            raise GradeError(f"the roster {path} looks like a CSV export (its first line: {echo(first)}): give "
                             f"--roster-column NAME, the column that holds the student ids (one of: "
                             f"{', '.join(c for c in cells if c)})")
    ids, bad, seen = [], [], set()
    for n, sid in lines:
        if not sid:
            continue
        if not STUDENT_RE.match(sid):
            bad.append((n, sid))
        elif sid.lower() not in seen:           # ids are case-insensitive
            seen.add(sid.lower())
            ids.append(sid)
    if not ids and not bad:
        raise GradeError(f"the roster {path} has no student ids: write one id a line")
    return ids, bad


#: The rule of a student id, as the messages say it (``variants.STUDENT_RE``).
ID_RULE = ("an id is 1-64 ASCII letters, digits, '_', '.', '@', '+' or '-', starting with a letter or digit "
           "(what the site's student id box accepts)")


def _moodle_worksheet(path) -> bool:
    """Is the roster at ``path`` Moodle's grading worksheet (its ``PID_COLUMN``)?"""
    header, _ = _csv_rows(read_text_file(path, "the roster", GradeError))
    return PID_COLUMN.lower() in [h.lower() for h in header]


def bad_ids_remedy(path, column: str | None, bad, ids, claimed: dict | None = None) -> str:
    """What to do about a roster's ``bad`` ids (line, cell): an id the site accepts for each
    student, written where the id was -- for one whose file was placed as theirs (``claimed``:
    {line: the ids their files were exported under}), that id, else one made from the cell
    (``suggested_id``) -- and, for Moodle's grading worksheet, why editing its cell is safe."""
    taken = {i.lower() for i in ids}
    said, untold = [], 0
    for n, raw in bad[:5]:
        theirs = sorted((claimed or {}).get(n, ()))
        if theirs:
            said.append(f"line {n}: {theirs[0]!r}, the id {'their file was' if len(theirs) == 1 else 'a file of theirs was'} "
                        f"exported under")
            continue
        untold += 1
        if (new := suggested_id(raw, taken)) is not None:
            taken.add(new)
            said.append(f"line {n}: say {new!r}")
    untold += max(0, len(bad) - 5)
    where = (f"in that row's {column!r} cell" if column else "on that line")
    text = (f"give each of these students an id the site accepts and write it {where}"
            + (f" ({'; '.join(said)})" if said else ""))
    if column and _moodle_worksheet(path):
        text += (f" -- the worksheet's upload matches rows by their {PID_COLUMN}, not their {column} "
                 f"(Moodle's mod/assign/feedback/offline/importgradeslib.php, next()), so that edit changes nothing "
                 f"in Moodle --")
    if untold:
        text += (f" and tell {'that student' if len(bad) == 1 else 'each one'} "
                 + ("their id, to type in the site's student id box" if len(bad) == untold else
                    "who answered under no id of theirs their id, to type in the site's student id box"))
    return text.rstrip(" -")


def _bad_ids_shown(bad) -> str:
    shown = ", ".join(f"line {n} {echo(sid)}" for n, sid in bad[:BAD_IDS_SHOWN])
    if len(bad) > BAD_IDS_SHOWN:                # a whole column of no ids: the rest said by where they are
        rest = [n for n, _ in bad[BAD_IDS_SHOWN:]]
        shown += f" and {len(rest)} more, on lines {rest[0]} to {rest[-1]} of the roster"
    return shown


def _many_bad(bad, ids) -> bool:
    """So many bad ids that the column is not one of ids (a name's, an email's): none good, or a
    quarter of the rows (three at least)."""
    return not ids or (len(bad) >= 3 and 4 * len(bad) >= len(bad) + len(ids))


def bad_ids_error(path, column: str | None, bad, ids) -> GradeError:
    """The refusal of a roster with bad ids: every one at once (not one a run), the rule, and
    what to do -- give those students ids, or, when most are bad, the right column."""
    many = _many_bad(bad, ids)
    if many and column:
        # the hint first, and a few of the column's cells: a whole column of names would fill the screen
        shown = ", ".join(f"line {n} {echo(sid)}" for n, sid in bad[:BAD_IDS_HINTED])
        more = len(bad) - BAD_IDS_HINTED
        return GradeError(f"the roster {path}: is {column!r} the column of the students' ids? (--roster-column): "
                          f"{len(bad)} bad student id{'s' if len(bad) > 1 else ''} in it (e.g. {shown}"
                          + (f", and {more} more" if more > 0 else "") + f"); {ID_RULE}")
    return GradeError(f"the roster {path}: {len(bad)} bad student id{'s' if len(bad) > 1 else ''} "
                      f"({_bad_ids_shown(bad)}): {ID_RULE}; "
                      + (f"is {column!r} the column of the students' ids? (--roster-column)" if many and column else
                         "is it a list of ids, one a line?" if many else
                         bad_ids_remedy(path, column, bad, ids)))


def read_roster(path, column: str | None = None) -> list[str]:
    """Student ids, one a line (blank lines and ``#`` comments ignored), as the roster spells them;
    one id once, whatever its case (ids are case-insensitive).  ``column``: the roster is a CSV
    export (an LMS's), the ids in the column of that name.  A bad id is refused, with what to do
    (``bad_ids_error``)."""
    ids, bad = roster_ids(path, column)
    if bad:
        raise bad_ids_error(path, column, bad, ids)
    return ids


def _csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """A CSV roster's header (its cells stripped) and its rows (comma, semicolon or tab)."""
    sample = text.split("\n", 1)[0]
    delim = max(",;\t", key=sample.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    return ([h.strip() for h in rows[0]] if rows else []), rows[1:]


def _column(path, header: list[str], column: str) -> int:
    """The index of the column named ``column`` (in any case) of a CSV roster's ``header``."""
    found = [k for k, h in enumerate(header) if h.lower() == column.strip().lower()]
    if not found:
        raise GradeError(f"the roster {path} has no column {column!r}: its columns are "
                         f"{', '.join(repr(h) for h in header if h) or 'none'}")
    return found[0]


#: The rows of Canvas's gradebook export that are no students: its "Points Possible" row, and the
#: test student of Canvas's Student View (named "Test Student", sorted as "Student, Test").
CANVAS_NOT_STUDENTS = ("points possible", "student, test", "test student")


#: The cells of the row Canvas's export puts under the header when the gradebook has assignments
#: posted by hand ("Manual Posting", under each such assignment; older exports: "Muted"), its
#: first cell empty: Canvas's importer skips it as no student (gradebook_importer.rb,
#: check_for_non_student_row).
CANVAS_POSTING_CELLS = ("manual posting", "muted")


def _canvas_export(header: list[str]) -> bool:
    """Is ``header`` that of Canvas's gradebook export (its first column ``Student``, a ``SIS Login ID``
    column)?"""
    return bool(header) and header[0].lower() == "student" and CANVAS_MARK_COLUMN.lower() in [h.lower() for h in header]


def _canvas_not_student(header: list[str], row: list[str]) -> bool:
    """Is ``row`` of Canvas's gradebook export one of its rows that are no students
    (``CANVAS_NOT_STUDENTS``, the "Manual Posting" row: ``CANVAS_POSTING_CELLS``)?"""
    if not (_canvas_export(header) and row):
        return False
    first = row[0].strip().lower()
    return first in CANVAS_NOT_STUDENTS or (not first and any(c.strip().lower() in CANVAS_POSTING_CELLS
                                                               for c in row[1:]))


def _roster_column(path, text: str, column: str) -> list[tuple[int, str]]:
    """(line, id) from the column ``column`` of a CSV roster (comma, semicolon or tab); Canvas's
    rows that are no students (``_canvas_not_student``) have no id."""
    header, rows = _csv_rows(text)
    k = _column(path, header, column)
    return [(n, row[k].strip() if k < len(row) and not _canvas_not_student(header, row) else "")
            for n, row in enumerate(rows, 2)]


def roster_notes(path, column: str | None, name_columns: str | None = None, made: str | None = None) -> list[str]:
    """Lines on what a CSV roster's rows give no row of their own (``column``: its ids' column):
    rows with an empty id (no gradebook row: their files go by their names), two rows or more with
    one id (one student to the grader: one gradebook row; two participant numbers of one id
    make both their folders refused), Canvas's test student.  For a roster of ids, one id on
    several lines (in any case).  ``made``: what ``sheet`` or ``page --roster`` writes per
    student ("sheet", "page"), said in place of the gradebook's row."""
    one = f"one student, with one {made}" if made else "one student to the grader, with one gradebook row"
    text = read_text_file(path, "the roster", GradeError)
    if column is None:
        lines: dict[str, list[int]] = {}
        for n, line in enumerate(text.splitlines(), 1):
            sid = line.split("#", 1)[0].strip()
            if STUDENT_RE.match(sid):
                lines.setdefault(sid.lower(), []).append(n)
        twice = {sid: ns for sid, ns in lines.items() if len(ns) > 1}
        if not twice:
            return []
        shown = [f"{sid} on lines {', '.join(map(str, ns))}" for sid, ns in list(twice.items())[:5]]
        return [f"the roster {path}: {len(twice)} id{'s are' if len(twice) > 1 else ' is'} on several lines, "
                f"{one} ({'; '.join(shown)}"
                f"{f' and {len(twice) - 5} more' if len(twice) > 5 else ''}): a typo for another student's id?"]
    header, rows = _csv_rows(text)
    k = _column(path, header, column)
    low = [h.lower() for h in header]
    names = ([low.index(c.strip().lower()) for c in name_columns.split(",") if c.strip().lower() in low]
             if name_columns else next(([low.index(c.lower()) for c in cols] for cols in NAME_COLUMNS
                                        if all(c.lower() in low for c in cols)), []))

    def who(n, row):
        name = " ".join(row[j].strip() for j in names if j < len(row)).strip()
        return f"line {n}" + (f" ({name})" if name else "")
    empty, by_id, test = [], {}, []
    for n, row in enumerate(rows, 2):
        if not any(c.strip() for c in row):
            continue
        if _canvas_not_student(header, row):
            if row[0].strip().lower() in ("student, test", "test student"):
                test.append(f"line {n} ({row[0].strip()})")
            continue
        sid = row[k].strip() if k < len(row) else ""
        if not sid:
            empty.append(who(n, row))
        elif STUDENT_RE.match(sid):
            by_id.setdefault(sid.lower(), []).append(who(n, row))
    notes = []
    if empty:
        notes.append(f"the roster {path}: {len(empty)} row{'s have' if len(empty) > 1 else ' has'} an empty "
                     f"{header[k]!r} and no {made or 'row in the gradebook'} ({', '.join(empty[:5])}"
                     f"{f' and {len(empty) - 5} more' if len(empty) > 5 else ''}): fill in their ids and "
                     f"{'run again' if made else 'grade again'}")
    twice = {sid: lines for sid, lines in by_id.items() if len(lines) > 1}
    if twice:
        shown = [f"{sid} on {', '.join(lines)}" for sid, lines in list(twice.items())[:5]]
        notes.append(f"the roster {path}: {len(twice)} {header[k]!r} value{'s are' if len(twice) > 1 else ' is'} "
                     f"on several rows, which are {one} "
                     f"({'; '.join(shown)}{f' and {len(twice) - 5} more' if len(twice) > 5 else ''}): "
                     f"give each participant their own id, or use a column that has one per row")
    if test:
        notes.append(f"the roster {path}: {', '.join(test)} is Canvas's test student (Student View), not a "
                     f"student: " + (f"no {made}" if made else "no row, and its cell in --lms-file stays as it was"))
    return notes


#: The columns of Moodle's exports (gradebook, participants, users) that make the full name Moodle
#: shows, and names a "submissions in folders" folder after: fullname() is "First name Last name"
#: in English (lib/moodlelib.php, fullname(); $CFG->fullnamedisplay may order it otherwise).
NAME_COLUMNS = (("Full name",), ("Fullname",), ("First name", "Last name"), ("First name", "Surname"),
                ("Firstname", "Lastname"))

#: What Moodle's clean_filename() (PARAM_FILE, lib/moodlelib.php clean_param()) drops from a
#: folder's name: control characters and & < > " ` | ' : \ /.
_CLEAN_FILENAME_DROPS = re.compile(r"[\x00-\x1f\x7f-\x9f&<>\"`|':\\/]")


def full_name(text: str) -> str:
    """A student's full name as the grader compares it: as Moodle writes it into a folder's name
    (mod/assign's download: an '_' becomes a space, then clean_filename()), in Unicode NFC,
    case-folded, runs of white space one space.  Accents stay: "Muller" is not "Müller"."""
    text = unicodedata.normalize("NFC", text).replace("_", " ")
    text = unicodedata.normalize("NFC", _CLEAN_FILENAME_DROPS.sub("", text).casefold())
    return " ".join(text.split())


def roster_names(path, column: str | None, name_columns: str | None = None) -> dict[str, set[str]]:
    """{full name (``full_name``): the ids, in lower case, of the roster's rows with that name}.
    Only a CSV roster (``column``: its ids' column) has names: its ``name_columns`` ("First
    name,Last name": joined with a space, in that order), else the first of Moodle's
    ``NAME_COLUMNS`` it has; none: {} (a folder is then matched by the ids in its name alone)."""
    if column is None:
        if name_columns is not None:
            raise GradeError("--roster-name-columns names columns of a CSV roster: give --roster-column too "
                             "(the column of the student ids)")
        return {}
    header, rows = _csv_rows(read_text_file(path, "the roster", GradeError))
    if name_columns is not None:
        wanted = [c.strip() for c in name_columns.split(",")]
        if not all(wanted):
            raise GradeError(f"--roster-name-columns {name_columns!r}: give the roster's name columns separated "
                             f"by commas, in the order the LMS shows a name (e.g. 'First name,Last name')")
        ks = [_column(path, header, c) for c in wanted]
    else:
        low = [h.lower() for h in header]
        ks = next(([low.index(c.lower()) for c in cols] for cols in NAME_COLUMNS
                   if all(c.lower() in low for c in cols)), [])
        if not ks:
            return {}
    k_id = _column(path, header, column)
    names: dict[str, set[str]] = {}
    for row in rows:
        sid = row[k_id].strip().lower() if k_id < len(row) else ""
        name = full_name(" ".join(row[k] for k in ks if k < len(row)))
        if sid and name:
            names.setdefault(name, set()).add(sid)
    return names


#: The column of Moodle's assignment grading worksheet ("Download grading worksheet") that holds
#: each row's participant number in the assignment, the PID of its "submissions in folders"
#: folder: "Participant 1001" (mod/assign/gradingtable.php, assign_grading_table::col_recordid():
#: get_string('hiddenuser', 'assign') then assign::get_uniqueid_for_user(); its header
#: get_string('recordid', 'assign'), "Identifier", in lang/en/assign.php).
PID_COLUMN = "Identifier"

#: A participant identifier: the label ("Participant", in the site's language: "Teilnehmer/in",
#: "Participante" ...) then the number, with or without a space between.
_PID_CELL = re.compile(r"(.*?)(\d+)")


def roster_pids(path, column: str | None) -> dict[int, set[str]]:
    """{participant number: the ids, in lower case, of the roster's rows with it}, from the
    ``PID_COLUMN`` of a CSV roster (``column``: its ids' column), as Moodle's grading worksheet
    has it ("Participant 1001": the trailing number, whatever the label before it); {} for a
    roster without that column.  A cell that does not end in a number is refused; an empty one
    (or a row without an id) maps nothing."""
    if column is None:
        return {}
    header, rows = _csv_rows(read_text_file(path, "the roster", GradeError))
    if not any(h.lower() == PID_COLUMN.lower() for h in header):
        return {}
    k_pid, k_id = _column(path, header, PID_COLUMN), _column(path, header, column)
    pids: dict[int, set[str]] = {}
    for n, row in enumerate(rows, 2):
        cell = row[k_pid].strip() if k_pid < len(row) else ""
        sid = row[k_id].strip().lower() if k_id < len(row) else ""
        if not cell:
            continue
        m = _PID_CELL.fullmatch(cell)
        if not m:
            raise GradeError(f"the roster {path} line {n}: its {PID_COLUMN} {echo(cell)} is not a participant "
                             f"number: Moodle's grading worksheet writes 'Participant N' (the label in the site's "
                             f"language, then the number)")
        if sid:
            pids.setdefault(int(m.group(2)), set()).add(sid)
    return pids


#: A roster's columns that name a student another way than the ids' column: what a student may type
#: as their id on the site instead of their login (Moodle's identity fields; ``roster_aliases``).
ALIAS_COLUMNS = ("Username", "Email address", "ID number")


def roster_aliases(path, column: str | None) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[int, str, str]]]:
    """({another id of a row, lower case: (the row's id, lower case, the column it is in)},
    {a row's id, lower case: (its line, the id with leading zeros, the column that has it)}) of a
    CSV roster (``column``: its ids'), from its ``ALIAS_COLUMNS`` other than ``column``: a row's
    Email address (or ID number) is what a student may have typed on the site as their id; and a
    row whose id is digits that another of its cells has with leading zeros (``42``, and
    ``0042@uni.example``) is of a roster that lost them (saved by a spreadsheet).  ({}, {}) for a
    roster of ids alone."""
    if column is None:
        return {}, {}
    header, rows = _csv_rows(read_text_file(path, "the roster", GradeError))
    low = [h.lower() for h in header]
    k_id = _column(path, header, column)
    others = [(low.index(c.lower()), c) for c in ALIAS_COLUMNS if c.lower() in low and low.index(c.lower()) != k_id]
    aliases: dict[str, tuple[str, str]] = {}
    lost: dict[str, tuple[int, str, str]] = {}
    for n, row in enumerate(rows, 2):
        sid = row[k_id].strip().lower() if k_id < len(row) else ""
        if not sid or not STUDENT_RE.match(sid):
            continue
        for k, name in others:
            cell = row[k].strip().lower() if k < len(row) else ""
            if cell and cell != sid and STUDENT_RE.match(cell):
                aliases.setdefault(cell, (sid, name))
            local = cell.split("@", 1)[0]
            if sid.isdigit() and local != sid and local.isdigit() and local.lstrip("0") == sid.lstrip("0") \
                    and len(local) > len(sid):
                lost.setdefault(sid, (n, local, name))
    return aliases, lost


#: What is said of a roster that lost its ids' leading zeros.
LOST_ZEROS = "the roster lost its leading zeros (opened in a spreadsheet?)"


def _same_but_zeros(a: str, b: str) -> bool:
    """Are ids ``a`` and ``b`` one another but for leading zeros (``0042`` and ``42``)?"""
    return a != b and a.lstrip("0") == b.lstrip("0") and a.lstrip("0") != ""


def _claimed_ids(rows: list[dict], loaded: list, aliases: dict, lost: dict) -> list[str]:
    """For each file placed by its folder (``owned``) that claims another id than its student's:
    one that is the student's own id but for leading zeros, or whose roster row lost its zeros
    (``roster_aliases``), is refused, saying so -- never graded as an id it does not claim; one
    that is the student's row's Email address or ID number (``aliases``: the student typed it on
    the site), in the LMS's folder of that row, is graded on that id's variants, for its student,
    with a note.  Notes for the run."""
    roster_lost, file_lost, typed = [], [], []
    for row, (f, data) in zip(rows, loaded):
        claim = data.get("student") if isinstance(data, dict) else None
        owner = row.get("student")
        if not row.get("owned") or "refused" in row or not isinstance(claim, str) or not isinstance(owner, str) \
                or row.get("variant_of"):
            continue
        claim = claim.strip().lower()
        if claim == owner and owner in lost:
            line, full, col = lost[owner]
            roster_lost.append(row["file"])
            row["refused"] = (f"{LOST_ZEROS}: this file was exported as {claim!r}, and the roster's line {line} "
                              f"has {claim!r} where its {col} says {full!r}: not graded as {claim}'s, whose id "
                              f"may be another (grade with the worksheet as the LMS wrote it, edited in a text "
                              f"editor)")
            row["refused_student"] = ("your instructor's class list lost the leading zeros of your id, so this "
                                      "file is not graded yet: your instructor will grade it again")
        elif _same_but_zeros(claim, owner) and len(claim) > len(owner):
            roster_lost.append(row["file"])
            row["refused"] = (f"{LOST_ZEROS}: this file was exported as {claim!r}, and its folder's row of the "
                              f"roster has {owner!r}: not graded as {owner}'s (grade with the worksheet as the "
                              f"LMS wrote it, edited in a text editor)")
            row["refused_student"] = ("your instructor's class list lost the leading zeros of your id, so this "
                                      "file is not graded yet: your instructor will grade it again")
        elif _same_but_zeros(claim, owner):
            file_lost.append(row["file"])
            row["refused"] = (f"this answer file belongs to student {claim!r}, not to {owner!r}: {claim!r} is "
                              f"{owner!r} without its leading zeros, another id with other variants (the student "
                              f"typed their id without them on the site): not graded as {owner}'s")
            row["refused_student"] = (f"this answer file was exported for the id {claim!r}, not for yours, "
                                      f"{owner!r}: the leading zeros are part of your id. Enter {owner!r} in the "
                                      f"student id box of an exercise, answer the variants it then shows you and "
                                      f"export again")
        elif claim in aliases and aliases[claim][0] == owner and LMS_FOLDER.search(row.get("box", "").rsplit("/", 1)[-1]):
            # in the LMS's folder of the student the row is (an nbgrader course says what its ids
            # must be, and refuses another: the nbgrader route's step 4)
            col = aliases[claim][1]
            typed.append((row["file"], col))
            row["variant_of"] = claim
            row["note"].append(f"this is {owner}'s {col}: the student typed their "
                               f"{'e-mail' if col == 'Email address' else col} on the site; graded on the "
                               f"variants of {claim!r}, for {owner}")
            row["told"] = (f"your file was exported under {claim!r}, your {col}, not your id {owner!r}: graded on "
                           f"the variants of {claim!r}; next time enter {owner!r} in the student id box")
    notes = []
    if roster_lost:
        notes.append(f"{LOST_ZEROS}: {len(roster_lost)} file{'s' if len(roster_lost) > 1 else ''} exported under "
                     f"an id with leading zeros that the roster has without them, e.g. {roster_lost[0]}, not "
                     f"graded: download the worksheet again and edit it in a text editor, not a spreadsheet, "
                     f"then grade again (the error column says which)")
    if file_lost:
        notes.append(f"{len(file_lost)} file{'s' if len(file_lost) > 1 else ''} exported under the roster's id "
                     f"without its leading zeros (e.g. {file_lost[0]}): another id, with other variants, so not "
                     f"graded: the students answer again with their whole id")
    if typed:
        notes.append(f"{len(typed)} file{'s' if len(typed) > 1 else ''} exported under the student's "
                     f"{' or '.join(sorted({c for _, c in typed}))} rather than their id (e.g. {typed[0][0]}): the "
                     f"student typed it on the site, and their folder says who sent it: graded on that id's "
                     f"variants, for them, with a note")
    return notes


def _pids_without_id(path, column: str | None) -> dict[int, str]:
    """{participant number: "line N (Full Name)"} of the rows of Moodle's grading worksheet whose id
    (``column``) is empty, which ``roster_pids`` maps to nobody."""
    if column is None:
        return {}
    header, rows = _csv_rows(read_text_file(path, "the roster", GradeError))
    low = [h.lower() for h in header]
    if PID_COLUMN.lower() not in low:
        return {}
    k_pid, k_id = low.index(PID_COLUMN.lower()), _column(path, header, column)
    ks = next(([low.index(c.lower()) for c in cols] for cols in NAME_COLUMNS if all(c.lower() in low for c in cols)), [])
    out = {}
    for n, row in enumerate(rows, 2):
        m = _PID_CELL.fullmatch(row[k_pid].strip()) if k_pid < len(row) else None
        if m and not (row[k_id].strip() if k_id < len(row) else ""):
            name = " ".join(row[k].strip() for k in ks if k < len(row)).strip()
            out[int(m.group(2))] = f"line {n}" + (f" ({name})" if name else "")
    return out


def roster_participants(path, column: str | None, name_columns: str | None = None) -> dict[str, tuple[int, str]]:
    """{id in lower case: (participant number, full name as the roster writes it)} of a Moodle
    grading worksheet's rows (``roster_pids``), for each id that is one participant's, and whose
    number is one id's; {} for another roster."""
    pids = roster_pids(path, column)
    if not pids:
        return {}
    header, rows = _csv_rows(read_text_file(path, "the roster", GradeError))
    low = [h.lower() for h in header]
    ks = ([low.index(c.strip().lower()) for c in name_columns.split(",") if c.strip().lower() in low]
          if name_columns else next(([low.index(c.lower()) for c in cols] for cols in NAME_COLUMNS
                                     if all(c.lower() in low for c in cols)), []))
    k_pid, k_id = low.index(PID_COLUMN.lower()), _column(path, header, column)
    full = {}
    for row in rows:
        sid = row[k_id].strip().lower() if k_id < len(row) else ""
        m = _PID_CELL.fullmatch(row[k_pid].strip()) if k_pid < len(row) else None
        if sid and m:
            full.setdefault(sid, []).append((int(m.group(2)), " ".join(row[k].strip() for k in ks if k < len(row))))
    return {sid: got[0] for sid, got in full.items() if len(got) == 1 and len(pids.get(got[0][0], ())) == 1}


def roster_participant_gaps(path, column: str | None) -> dict[str, str]:
    """{id in lower case: why ``roster_participants`` gives it no participant} for each id of a
    Moodle grading worksheet's rows with a participant number that is not one participant's: on
    several rows with different numbers (a duplicate row), or sharing its number with other ids;
    {} for another roster.  (An id with no number at all is not here: it has none.)"""
    pids = roster_pids(path, column)
    if not pids:
        return {}
    header, rows = _csv_rows(read_text_file(path, "the roster", GradeError))
    k_pid, k_id = _column(path, header, PID_COLUMN), _column(path, header, column)
    seen: dict[str, list[tuple[int, int]]] = {}
    for n, row in enumerate(rows, 2):
        sid = row[k_id].strip().lower() if k_id < len(row) else ""
        m = _PID_CELL.fullmatch(row[k_pid].strip()) if k_pid < len(row) else None
        if sid and m:
            seen.setdefault(sid, []).append((int(m.group(2)), n))
    out = {}
    for sid, got in seen.items():
        numbers = sorted({pid for pid, _ in got})
        if len(numbers) > 1:
            shown = [f"{pid} on line {n}" for pid, n in got]
            out[sid] = (f"{len(numbers)} participant numbers, {', '.join(shown[:-1])} and {shown[-1]} "
                        f"(a duplicate row)")
        elif len(pids.get(numbers[0], ())) > 1:
            others = sorted(pids[numbers[0]] - {sid})
            out[sid] = f"participant number {numbers[0]}, shared with {', '.join(others)}"
    return out


#: The column of Canvas's gradebook export ("Export entire gradebook") with each student's Canvas
#: user id, the number Canvas puts in the name of each file of a submissions download; the
#: export is told from other CSVs by its "SIS Login ID" column (lib/gradebook_exporter.rb:
#: "Student", "ID" (student.id), "SIS User ID", "SIS Login ID", "Section").
CANVAS_ID_COLUMN, CANVAS_MARK_COLUMN = "ID", "SIS Login ID"


def roster_canvas_ids(path, column: str | None) -> dict[int, set[str]]:
    """{Canvas user id: the ids, in lower case, of the roster's rows with it}, from the
    ``CANVAS_ID_COLUMN`` of Canvas's gradebook export (``column``: its ids' column, e.g.
    "SIS Login ID"); {} for another roster.  Its "Points Possible" row, with no id, maps nothing."""
    if column is None:
        return {}
    header, rows = _csv_rows(read_text_file(path, "the roster", GradeError))
    low = [h.lower() for h in header]
    if CANVAS_MARK_COLUMN.lower() not in low or CANVAS_ID_COLUMN.lower() not in low \
            or column.strip().lower() == CANVAS_ID_COLUMN.lower():
        return {}
    k_uid, k_id = low.index(CANVAS_ID_COLUMN.lower()), _column(path, header, column)
    uids: dict[int, set[str]] = {}
    for row in rows:
        cell = row[k_uid].strip() if k_uid < len(row) else ""
        sid = row[k_id].strip().lower() if k_id < len(row) else ""
        if cell.isdigit() and sid:
            uids.setdefault(int(cell), set()).add(sid)
    return uids


#: Canvas's submissions download: every file in one folder, named
#: ``{sortable name}[_LATE]_{user id}_{file id}_{the name the student gave it}`` (lib/content_zipper.rb,
#: ContentZipper#get_filename and #add_upload_submission: the name lower-cased, only word
#: characters kept, each "_digits_" in it taken out), or, anonymous grading,
#: ``[LATE_]anon_{anonymous id}_{file id}_...``, which names nobody.
CANVAS_FILE = re.compile(r"(?=_(?:LATE_)?(\d+)_\d+_.)")
CANVAS_ANONYMOUS = re.compile(r"(?:LATE_)?anon_[A-Za-z0-9]+_\d+_.")


def _canvas_owner(stem: str, uids: dict[int, set[str]],
                  roster_ids=()) -> tuple[str | None, int | None, str | None]:
    """(student, Canvas user id, how the name looks: "canvas", "anonymous" or None) of a file of
    a flat Canvas download.  The name Canvas writes first holds no "_digits_", so its user id is
    at the first place the pattern fits; the places after it are in the part the student chose,
    so the first place whose number is one roster row's user id decides (a name that ends in
    "_3" is passed over), and a later one never does.  A name that starts with a roster id
    (``roster_ids``: lower case) and then numbers -- ``alice_2024_10_ch2`` -- is one an
    instructor gave, not Canvas's (whose first part is a sortable name, never an id)."""
    if CANVAS_ANONYMOUS.match(stem):
        return None, None, "anonymous"
    looks = None
    for m in CANVAS_FILE.finditer(stem):
        if m.start() == 0 or not re.fullmatch(r"\w+", stem[:m.start()]):
            continue
        if stem[:m.start()].lower() in roster_ids:
            return None, None, None
        looks = "canvas"
        ids = uids.get(int(m.group(1)), set())
        if ids:
            return (next(iter(ids)), int(m.group(1)), looks) if len(ids) == 1 else (None, None, looks)
    return None, None, looks


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _by_lower(ids) -> dict[str, list[str]]:
    """{id in lower case: the ids spelled so}: what ``_names`` looks pieces up in."""
    by_lower: dict[str, list[str]] = {}
    for i in ids:
        by_lower.setdefault(i.lower(), []).append(i)
    return by_lower


def _names(stem: str, ids, longest: bool = True) -> set[str]:
    """The ids of ``ids`` that ``stem`` (a file name) contains as a word: a piece of it, in
    any case, with no ASCII letter or digit just before or after -- the longest: an id
    inside another one found there is not named (``answers-jsmith-jones`` names
    ``jsmith-jones``, not ``jsmith`` too; ``longest=False``: both).  Each such piece is looked up (a few hundred for
    a long name), so a class of thousands costs no more per file than a class of ten."""
    by_lower = ids if isinstance(ids, dict) else _by_lower(ids)
    low = stem.lower()
    n = len(low)
    starts = [k for k in range(n) if low[k] in _ALNUM and (k == 0 or low[k - 1] not in _ALNUM)]
    ends = [k for k in range(1, n + 1) if k == n or low[k] not in _ALNUM]    # (an id may end in - or _)
    spans = [(a, b) for a in starts for b in ends if b > a and low[a:b] in by_lower]
    found: set[str] = set()
    for a, b in spans:
        if not longest or not any(a2 <= a and b <= b2 and (a2, b2) != (a, b) for a2, b2 in spans):
            found.update(by_lower[low[a:b]])
    return found


def exported_at(data) -> str:
    """An answer file's ``exported``, ISO 8601 in UTC, when it is a valid time, else ''."""
    stamp = data.get("exported") if isinstance(data, dict) else None
    if isinstance(stamp, str) and len(stamp) <= 40:
        try:
            t = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            t = t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
            return t.strftime("%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, OverflowError):     # not a time; or year 1 moved out of range by UTC
            pass
    return ""


def submitted_at(data, path) -> str:
    """When an answer file was handed in, ISO 8601 in UTC: its ``exported`` when that is
    a valid time, else the file's modification time ('' if neither is known)."""
    if stamp := exported_at(data):
        return stamp
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OSError:
        return ""


def nbgrader_timestamp(f: Path, folder: Path, box: str) -> str:
    """When nbgrader received the submission ``f`` belongs to, ISO 8601 in UTC, from the
    ``timestamp.txt`` its submit writes (and collect keeps) in submitted/ID/ASSIGNMENT/
    (``box``: submitted/ID, from ``folder``): "2026-12-01 10:01:00.000000 UTC", nbgrader's
    ``timestamp_format`` in its default ``timezone``, UTC (nbgrader/exchange/abc/exchange.py,
    Exchange.set_timestamp); '' if there is none, or it is not such a time (a zone named otherwise,
    CET, is not read).  Only the one at the assignment's top counts: one deeper is the student's."""
    rel = f.relative_to(folder / box).parts
    if len(rel) < 2:
        return ""
    try:
        with open(folder / box / rel[0] / "timestamp.txt", "rb") as fh:
            text = fh.read(100).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    text = re.sub(r"\s*(UTC|Z)$", "", text)
    return exported_at({"exported": text}) if re.fullmatch(r"[\d:. T+-]+", text) else ""


# A worker of the class grader: the task's constant part is set once per process.
_TASK: dict = {}


def _set_task(task: dict, worker: bool = False) -> None:
    _TASK.clear()
    _TASK.update(task)
    if worker:                                  # Ctrl-C is the parent's to handle: it stops the pool
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _grade_row(item):
    """Grade one loaded file (``item``: (the student whose variants grade it, data or the GradeError
    reading it gave[, the student the report names, when another])) ->
    ("ok", score, max, attempts, notes, [(id, points)]) or ("error", message).  The runs
    are forgotten afterwards; the pool variants built are kept for the next students who
    have them."""
    student, data, *named = item
    shown = named[0] if named else student
    try:
        if isinstance(data, GradeError):
            raise data
        rep = grade(student, data, _TASK["chapter"], _TASK["secret"], others=_TASK["known"],
                    max_attempts=_TASK.get("max_attempts"), roster=_TASK.get("roster", ()),
                    leave_out=_TASK.get("leave_out", ()))
        rep.student = shown                     # a release notebook's answers: the student who sent them
        return ("ok", rep.score, rep.max, rep.attempts, rep.notes, [(it["id"], it["points"]) for it in rep.items],
                rep.text() if _TASK.get("feedback") else "", rep.changed, bool(rep.unchecked), len(rep.outside),
                rep.elsewhere)
    except GradeError as e:
        return "error", str(e), e.student
    finally:
        forget_runs(keep_variants=True)


#: From this many files on, a class is graded by worker processes (``jobs_default``); below it,
#: starting them costs about what they save, and more when the machine is busy.  Measured on 2
#: CPUs shared with other work (load average 3.7), ``grade --class`` of python -m
#: sim.exercises.bench's chapter-6 files, median of 7 runs, one process / two: 100 files 0.75 /
#: 0.90 s; 200: 1.01 / 1.18; 300: 1.17 / 1.05; 400: 1.27 / 1.08; 1000: 3.15 / 2.47.  An
#: instructor's class of 250 (Moodle folders, practice mode): 1.11 / 2.05 s in their run,
#: 1.01 / 0.84 in a quieter one.
WORKERS_FROM = 300


def jobs_default(files: int | None = None) -> int:
    """How many processes grade a class of ``files`` answer files: one below ``WORKERS_FROM``,
    else one per CPU this process may use (``sim.runs.usable_cpus``: its affinity, and a
    container's CPU quota, which a hub sets and ``sched_getaffinity`` does not show).
    ``files`` None: as for a large class."""
    from ..runs import usable_cpus
    return 1 if files is not None and files < WORKERS_FROM else usable_cpus()


def _progress(total: int, show: bool | None):
    """A progress bar on standard error (tqdm) when it is a terminal (``show`` None), or
    as ``show`` says; None when there is none (not a terminal, or no tqdm)."""
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="grading", unit="file", file=sys.stderr, leave=True, dynamic_ncols=True)


class _CtrlC:
    """Ctrl-C while a class is graded (the SIGINT handler): it is remembered (``pressed``), and
    raised as KeyboardInterrupt unless ``held``.  It is held while the pool starts its workers:
    raised between two of them, it would leave a started worker that nobody tells to stop (the
    pool's manager thread not started yet), and that Python, exiting, waits for forever."""

    def __init__(self):
        self.pressed = False
        self.held = False

    def __call__(self, signum, frame):
        self.pressed = True
        if not self.held:
            raise KeyboardInterrupt


def _graded(items: list, jobs: int, task: dict, bar) -> list:
    """``_grade_row`` over ``items``, in order, in ``jobs`` processes (1: in this one).
    A Ctrl-C is also remembered: Python drops a KeyboardInterrupt raised where it cannot
    raise one (a fork handler, a ``__del__``), and the class would then be graded to the end
    as if nobody had pressed it.  Python would also print the dropped one's traceback
    ("Exception ignored in ..."): as it is remembered, it is not printed, and the reader sees
    the one line that says the grading was interrupted."""
    import signal
    import threading
    ctrl_c = _CtrlC()
    if threading.current_thread() is not threading.main_thread():
        return _graded_rows(items, jobs, task, bar, ctrl_c)
    hook = sys.unraisablehook

    def unraisable(u):
        if not (ctrl_c.pressed and isinstance(u.exc_value, KeyboardInterrupt)):
            hook(u)
    old = signal.signal(signal.SIGINT, ctrl_c)
    sys.unraisablehook = unraisable
    try:
        out = _graded_rows(items, jobs, task, bar, ctrl_c)
    finally:
        signal.signal(signal.SIGINT, old)
        sys.unraisablehook = hook
    if ctrl_c.pressed:
        raise KeyboardInterrupt
    return out


def _build_variants(items: list, task: dict) -> None:
    """Build, in this process, the pool variants the class's files are graded on (one student
    of each), before the workers fork: each worker built every variant again on its own, and two
    processes took twice the CPU time of one (300 files of chapter 10: 8.5 s against 4.1 s)."""
    seen = set()
    for student, data, *_ in items:
        if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
            continue
        ex_ids = (chapter_ids(task["chapter"]) if task["chapter"] is not None else
                  [k for c in sorted({BANK[k].chapter for k in data["answers"] if k in BANK}) for k in chapter_ids(c)])
        ex_ids = [k for k in ex_ids if k not in task.get("leave_out", ())]
        try:
            for ex_id in ex_ids:
                if (ex_id, member(student, ex_id)) not in seen:
                    seen.add((ex_id, member(student, ex_id)))
                    instance(ex_id, student, task["secret"], grading=True)
        except (StudentError, ExerciseError):   # not an id: the worker says so, in its row
            continue
    forget_runs(keep_variants=True)


def _graded_rows(items: list, jobs: int, task: dict, bar, ctrl_c: _CtrlC) -> list:
    jobs = max(1, min(jobs, len(items)))
    out = []
    if jobs == 1:
        _set_task(task)
        for item in items:
            if ctrl_c.pressed:
                raise KeyboardInterrupt
            out.append(_grade_row(item))
            if bar is not None:
                bar.update(1)
        return out
    _build_variants(items, task)                # once, here: the workers fork with them
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_set_task, initargs=(task, True))
    try:
        ctrl_c.held = True                      # map() starts the workers, then submits every chunk
        try:
            rows = pool.map(_grade_row, items, chunksize=max(1, min(8, len(items) // (4 * jobs))))
        finally:
            ctrl_c.held = False
        for row in rows:
            if ctrl_c.pressed:
                raise KeyboardInterrupt
            out.append(row)
            if bar is not None:
                bar.update(1)
    except BaseException:                       # Ctrl-C, or a bug: don't grade the rest first
        # (the chunks not started are cancelled; waiting for the few running ones lets the pool's
        # manager thread end here: left running, it could close its wake-up pipe while the
        # interpreter's exit hook wrote to it -- "Exception ignored ... Bad file descriptor",
        # once in a CI run on a busy machine, Python 3.11)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return out


@dataclass
class ClassGrades:
    """What ``grade_folder`` found: a row per file (and per roster student who sent
    nothing), the exercise ids graded, and notes that concern no row."""
    rows: list[dict]
    ids: list[str]
    notes: list[str]
    roster: list[str] = field(default_factory=list)     # the roster's ids ([]: none given)
    spelled: dict[str, str] = field(default_factory=dict)   # id -> as the roster spells it (S101)
    # notes that say the run itself is wrong (a quarter of the files or more refused for the course
    # secret): its grades are not to be imported (the command line writes nothing without --force)
    alarms: list[str] = field(default_factory=list)
    # id -> (participant number, full name): a Moodle grading worksheet's rows ({}: another roster)
    participants: dict[str, tuple[int, str]] = field(default_factory=dict)
    # id -> why the worksheet gives it no participant (``roster_participant_gaps``)
    participant_gaps: dict[str, str] = field(default_factory=dict)

    def csv(self) -> str:
        """One row per file: student, file, submitted_at, score, max, attempts, error, note, one column
        per exercise.  ``submitted_at`` is the gradebook's, for each file: whether it came in late is
        to be read there (nbgrader's timestamp.txt), not only with --gradebook."""
        order = [k for k in BANK if k in self.ids]
        buf = io.StringIO()
        w = csv.DictWriter(buf, ["student", "file", "submitted_at", "score", "max", "attempts", "error", "note"]
                           + order,
                           extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for row in self.rows:
            who = self.spelled.get(row["student"], row["student"])
            out = dict(row, student=who if STUDENT_RE.match(who) else echo(who), note="; ".join(row["note"]),
                       attempts="" if row.get("attempts") is None else row["attempts"])
            w.writerow({k: _cell(v) for k, v in out.items()})
        return buf.getvalue()

    def summary(self, keep: str = "latest") -> str | None:
        """One line for the instructor: how many files were graded, the mean score, and the
        share of those files that got each exercise right (None when no file was graded) --
        of the answers graded, said where some files' were not (an answer to a question that
        changed since its page was made: "two-links-config 100%" read as every file's when 27
        of 40 were not graded).  A student who sent several files is counted once, by the file
        the gradebook counts (``keep``): the mean is the class's, not the files'."""
        files = [r for r in self.rows if r["file"] and r["score"] != "" and r["max"] != ""]
        if not files:
            return None
        by: dict[str, list] = {}
        for r in files:
            by.setdefault(r["student"], []).append(r)
        graded = [_counted(rows, keep) for rows in by.values()]
        if len(graded) < len(files):
            mean = sum(r["score"] for r in graded) / len(graded)
            top = {r["max"] for r in graded}
            of = f" of {next(iter(top))}" if len(top) == 1 else ""
            head = (f"summary: {len(files)} files graded, of {len(graded)} students (each student's counted "
                    f"file: {'the latest' if keep == 'latest' else 'the best'}); mean score {mean:.2f}{of}")
            return head + self._right_per_exercise(graded)
        mean = sum(r["score"] for r in graded) / len(graded)
        top = {r["max"] for r in graded}
        of = f" of {next(iter(top))}" if len(top) == 1 else ""
        return (f"summary: {len(graded)} file{'s' if len(graded) != 1 else ''} graded, mean score "
                f"{mean:.2f}{of}" + self._right_per_exercise(graded))

    def _right_per_exercise(self, graded: list[dict]) -> str:
        right = []
        for k in (k for k in BANK if k in self.ids):
            marks = [r[k] for r in graded if r.get(k) not in (None, "")]
            if marks:
                right.append(f"{k} {100 * sum(marks) / len(marks):.0f}%"
                             + (f" of {len(marks)} graded" if len(marks) < len(graded) else ""))
        return f"; right, per exercise: {', '.join(right)}"

    def feedback(self, keep: str = "latest") -> dict[str, str]:
        """What each student is told: {file name: report} for every answer file (graded with
        ``feedback=True``), named ``ID.txt``; a student who sent several gets ``ID.txt`` for the
        file the gradebook counts (``keep``) and ``ID--2.txt``, ``ID--3.txt`` ... for the others,
        in the CSV's order.  A report names no other student and none of the instructor's
        folders (an LMS folder is named after the student who uploaded into it): the per-file
        CSV says whose a refused file is."""
        by: dict[str, list] = {}
        for r in self.rows:
            if r["file"] and not r.get("same_as"):     # the same file uploaded twice is one file, one report
                by.setdefault(r["student"], []).append(r)
        counted = {id(_counted(rows, keep) or rows[0]) for rows in by.values()}
        out, extra = {}, Counter()
        for r in self.rows:
            if not r["file"]:
                # a roster student's skipped file, or no file at all (their 0, and why)
                told = r.get("report") or r.get("feedback")
                if told and r["student"] in self.roster:
                    who = self.spelled.get(r["student"], r["student"])
                    out[self._in_folder(r["student"], who)] = told + "\n"
                continue
            if r.get("bad_id") or r.get("same_as"):     # a roster row without an id: graded again once it has
                continue                                # one; a file uploaded twice: its first copy's report
            who = self.spelled.get(r["student"], r["student"])
            if not STUDENT_RE.match(who):       # what a file claims, not an id: never a path
                name = f"not-an-id--{re.sub(r'[^A-Za-z0-9_.@-]+', '_', r['file'])}"
            elif id(r) in counted:
                name = who
            else:
                extra[who] += 1
                name = f"{who}--{extra[who] + 1}"
            # the file as the student named it: the instructor's folders are none of their business
            said = Path(r["file"]).name
            error = r.get("error_student") or r["error"]
            text = r.get("feedback") or (f"{said}: could not be graded: {error}" if r["error"] else "")
            head = [_file_line(r)]
            theirs = by.get(r["student"], [])
            if len(theirs) > 1 and STUDENT_RE.match(who):
                head.append(_counted_line(r, _counted(theirs, keep), keep))
            out[self._in_folder(r["student"], name) if STUDENT_RE.match(who) else f"{name}.txt"] = \
                "\n".join(head + [text]) + "\n"
        return out

    def _in_folder(self, student: str, name: str) -> str:
        """A report's path in the feedback folder: ``NAME.txt``, or, for a participant of a Moodle
        grading worksheet, in the folder Moodle's "Upload multiple feedback files in a zip" places
        by its participant number, ``Full Name_PID_assignfeedback_file/NAME.txt``
        (mod/assign/feedback/file/importziplib.php, is_valid_filename_for_import(): the folder's
        name split at '_' into the full name, the number, the plugin's type and name)."""
        if student not in self.participants:
            return f"{name}.txt"
        pid, full = self.participants[student]
        return f"{moodle_folder(full, pid, MOODLE_FEEDBACK_PLUGIN)}/{name}.txt"

    def outside_moodle(self, reports: dict[str, str]) -> str:
        """Whose ``feedback()``'s reports outside Moodle's folders are, and why the worksheet
        places them for no participant ('' when all are in one)."""
        whys: dict[str, list[str]] = {}
        ids = {self.spelled.get(sid, sid): sid for sid in set(self.participants) | set(self.roster)}
        for name in reports:
            if "/" in name:
                continue
            stem = name.removesuffix(".txt")
            base, _, n = stem.rpartition("--")
            stem = base if base and n.isdigit() else stem
            sid = ids.get(stem, stem.lower())
            if stem.startswith("not-an-id--"):
                why = "files that claim no student id"
            elif sid in self.participant_gaps:
                why = self.participant_gaps[sid]
            elif self.roster and sid not in self.roster:
                why = "not on the worksheet"
            else:
                why = "no participant number"
            whys.setdefault(why, [])
            if stem not in whys[why]:
                whys[why].append(stem)
        if not whys:
            return ""
        n = sum(1 for name in reports if "/" not in name)
        return (f"the other {n} {'are' if n > 1 else 'is'} not placed by Moodle -- "
                + "; ".join(f"{_listed(who, 5)}: {why}" for why, who in whys.items()))

    def maximum(self):
        """The maximum every graded row shares ('' if they differ or none was graded)."""
        maxima = {r["max"] for r in self.rows if r["max"] != ""}
        return next(iter(maxima)) if len(maxima) == 1 else ""

    def kept(self, keep: str = "latest", label: str = "gradebook") -> tuple[list[tuple[str, dict]], list[str]]:
        """([(student, the row that counts)], notes): one entry per student, sorted, as the gradebook
        has them.  A student with several files gets the latest submitted (then the best), or with
        ``keep="best"`` the best (then the latest: a later file cannot lower a grade); one whose files
        could not be graded has an empty score (and the common maximum); one on the roster who
        sent nothing gets 0.  Only student ids are rows, and with a roster only the roster's: a
        file named after nobody, or a student the roster does not have, is in the per-file CSV
        alone (noted).  ``label`` heads the notes: "gradebook" for ``--gradebook``, "scores" for
        ``--lms-file`` alone (a run that writes no gradebook)."""
        by_student: dict[str, list[dict]] = {}
        left_out: dict[str, list[str]] = {"not student ids": [], "not on the roster": []}
        roster = set(self.roster)
        for row in self.rows:
            who = row["student"]
            if row.get("bad_id"):               # said once, with what to do (grade_folder's notes)
                continue
            if not STUDENT_RE.match(who):
                left_out["not student ids"].append(echo(who))
            elif roster and who not in roster:
                left_out["not on the roster"].append(who)
            else:
                by_student.setdefault(who, []).append(row)
        notes, out = [], []
        for why, who in left_out.items():
            if who:
                notes.append(f"{label}: left out, {why}: {', '.join(sorted(set(who), key=str.lower))} "
                             f"(their rows are in the per-file CSV)")
        ungraded = []
        for student in sorted(by_student, key=str.lower):
            rows = by_student[student]
            best = _counted(rows, keep)
            if best is not None:
                if len(rows) > 1:
                    notes.append(f"{label}: {student} has {len(rows)} files, {best['file']} counted "
                                 + ("(the latest submitted; of two submitted together, the better)"
                                    if keep == "latest" else
                                    "(the best score; of two as good, the later submitted: --keep best)"))
            else:
                best = next((r for r in rows if not r["file"]), None)      # on the roster, nothing sent
                if best is None:
                    ungraded.append(student)
                    best = {"score": "", "max": self.maximum(), "submitted_at": rows[0].get("submitted_at", "")}
            out.append((student, best))
        if ungraded:
            notes.append(f"{label}: no score for {', '.join(ungraded)}: their files could not be graded "
                         f"(the per-file CSV's error column says why)")
        return out, notes

    def gradebook(self, keep: str = "latest") -> tuple[str, list[str]]:
        """(CSV, notes): one row per student -- ``student,score,max,percent,submitted_at`` --
        as ``kept`` chooses them.  An empty score is a student with no score (their files could
        not be graded): an LMS's gradebook import may clear their grade on it (Moodle's *Import
        grades: CSV file* does), so ``lms_file`` is the way back into an LMS."""
        kept, notes = self.kept(keep)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["student", "score", "max", "percent", "submitted_at"])
        for student, best in kept:
            score, top = best["score"], best["max"]
            # 0 is 0 % of any maximum: one who sent nothing, when the files' maximums differ
            pct = (f"{100 * score / top:.1f}" if score != "" and top not in ("", 0) else
                   "0.0" if score == 0 and score != "" else "")
            w.writerow([self.spelled.get(student, student), "" if score == "" else f"{score:g}", top, pct,
                        best.get("submitted_at", "")])
        return buf.getvalue(), notes

    def _unscored_report(self, student: str) -> str:
        """What a student without a score is told in the LMS's feedback column: why each of their
        files was not graded, as ``feedback`` says it ('' when nothing needs saying).  It starts
        "student ID:", as a report does, so that a run again replaces it."""
        said = []
        for r in self.rows:
            if r["student"] != student:
                continue
            if r["file"] and r.get("error"):
                said.append(f"{Path(r['file']).name}: could not be graded: {r.get('error_student') or r['error']}")
            elif not r["file"] and r.get("report"):
                said.append(r["report"])
        return f"student {student}: no score\n" + "\n".join(said) if said else ""

    def lms_file(self, path, column: str, grade_column: str, keep: str = "latest",
                 comments: bool = True, out=None, chapter: int | None = None,
                 score_changed: bool = False) -> tuple[bytes, list[str]]:
        """(the roster file at ``path`` -- the LMS's own export -- with each student's score in its
        ``grade_column``, notes naming ``out``, the file written): a student without a score keeps
        their cell as it was, and one who sent nothing a mark their cell has, every other cell, row
        and byte too (``fill_lms_file``); with ``comments``, a Moodle worksheet's
        ``FEEDBACK_COLUMN`` gets each student's report (graded with ``feedback=True``), and one
        without a score why their files were not graded (``_unscored_report``).
        GradeError if the export's maximum is not the scores' (``chapter``: the one graded).
        A student whose file that counts has answers not graded because their question changed
        since the page was made keeps their cell as it was too (a part of the score, where the
        version the file came from may give it all), and one line names them; ``score_changed``
        writes their score anyway."""
        kept, notes = self.kept(keep, "scores")
        # their reports go into the comments as a scored student's: what was graded, and what was not
        told = {s: best.get("feedback", "") for s, best in kept if best["score"] != ""}
        changed = [s for s, best in kept if best["score"] != "" and best.get("file") and best.get("changed")]
        if changed and not score_changed:
            notes.append(f"scores: cell kept as it was for {', '.join(self.spelled.get(s, s) for s in changed)}: "
                         f"{'their files have' if len(changed) > 1 else 'the file has'} answers not graded, the "
                         f"question changed since the page was made, so the score is a part of what the version "
                         f"{'they' if len(changed) > 1 else 'it'} came from may give -- grade "
                         f"{'them' if len(changed) > 1 else 'it'} with that version, or give --score-changed to "
                         f"write these scores")
            kept = [(s, dict(best, score="") if s in changed else best) for s, best in kept]
        scores = {s: f"{best['score']:g}" for s, best in kept if best["score"] != ""}
        absent = {s for s, best in kept if best["score"] != "" and not best["file"]}
        maxima = {best["max"] for s, best in kept if best["score"] != "" and s not in absent} or \
            {best["max"] for s, best in kept if best["score"] != ""}
        reports = {s: told[s] for s, best in kept if best["score"] != "" or s in changed} if comments else None
        if reports is not None:                 # one with no score most needs to be told why
            reports.update((s, why) for s, best in kept if best["score"] == "" and s not in changed
                           and (why := self._unscored_report(s)))
        data, more = fill_lms_file(path, column, grade_column, scores, reports, absent=absent, maxima=maxima,
                                   what=f"chapter {chapter}" if chapter else "the class", out=out)
        return data, notes + more


def _file_line(row: dict) -> str:
    """A report's first line: which file it is of, as the student named it, and when it was
    exported (the student's own page's clock), or handed in (nbgrader's record)."""
    name, when = Path(row["file"]).name, row.get("submitted_at", "")
    if row.get("stamped"):
        return f"file {name}, submitted {when}"
    return f"file {name}, exported {when}" if row.get("exported") and when else \
        f"file {name} (it does not say when it was exported)"


def _counted_line(row: dict, counted: dict | None, keep: str) -> str:
    """A report's second line, for a student who sent several files: whether this one counts,
    and if not, which does (``_counted``, by ``keep``)."""
    if counted is row:
        return ("counted: of your files, this one counts (the latest)" if keep == "latest" else
                "counted: of your files, this one counts (the best, then the latest)")
    if counted is None:
        return "not counted: none of your files could be graded"
    other = Path(counted["file"]).name
    if row.get("score", "") == "":
        return f"not counted: this file could not be graded; your file {other} counts"
    return (f"not counted: your later file {other} counts (your latest file counts)" if keep == "latest" else
            f"not counted: your file {other} counts (your best file counts, then the latest)")


def _counted(rows: list[dict], keep: str) -> dict | None:
    """Of one student's graded files, the one that counts: the latest submitted (then the best),
    or with ``keep="best"`` the best (then the latest); a file without ``exported`` is older than
    every file with it; None if none could be graded."""
    graded = [r for r in rows if r["score"] != "" and r["file"]]
    if not graded:
        return None
    # a file that does not say when it was exported (one written by hand) is the oldest: its
    # time is when the folder was unpacked, later than every exported one
    return max(graded, key=(lambda r: (r.get("exported", True), r.get("submitted_at", ""), r["score"]))
               if keep == "latest" else (lambda r: (r["score"], r.get("exported", True), r.get("submitted_at", ""))))


#: What nbgrader keeps in a course's root folder beside submitted/: its gradebook, its copies of
#: every submission (autograded/ by autograde, feedback/ by generate_feedback), the instructor's
#: source/ and release/, its config (nbgrader's CourseDirectory, nbgrader/coursedir.py).
NBGRADER_COURSE = ("gradebook.db", "nbgrader_config.py", "autograded", "feedback", "source", "release")


def _nbgrader_course(folder: Path) -> tuple[Path, list[str]]:
    """(the folder to grade, a note): an nbgrader course's root folder (a ``submitted/`` beside
    any of ``NBGRADER_COURSE``) is graded by its ``submitted/`` alone -- autograded/ and
    feedback/ hold nbgrader's copies of the same answer files, which would make every student
    two folders' owner, and source/ the instructor's key."""
    sub = folder / "submitted"
    seen = [n for n in NBGRADER_COURSE if (folder / n).exists()]
    if not sub.is_dir() or not seen:
        return folder, []
    return sub, [f"{folder} is an nbgrader course folder ({', '.join(n + '/' if (folder / n).is_dir() else n for n in seen)}): "
                 f"graded its submitted/ folder only, {sub} (the files the students handed in; autograded/ and "
                 f"feedback/ hold the files nbgrader's runs of their notebooks exported again)"]


#: The folders of nbgrader's course that hold a folder per student, ID/ASSIGNMENT/.
NBGRADER_BOXES = ("submitted", "autograded")
#: The files nbgrader itself puts in each submission, submitted/ID/ASSIGNMENT/, beside the notebook:
#: its submit (the exchange's) writes both, its collect keeps them.
NBGRADER_OWN = ("timestamp.txt", "submission_secret.txt")


def nbgrader_layout(folder: Path) -> tuple[bool, bool]:
    """(is nbgrader's ``submitted/ID/ASSIGNMENT/`` layout in ``folder``, is it there by content
    alone): ``folder`` is named ``submitted`` (or ``autograded``) or holds one; or it is a copy of
    ``submitted/`` under another name -- a folder per student, ``ID/``, each holding a folder per
    assignment with the ``timestamp.txt`` that ``nbgrader submit`` writes there (and ``collect``
    keeps)."""
    if folder.name.lower() in NBGRADER_BOXES or any((folder / n).is_dir() for n in NBGRADER_BOXES):
        return True, False
    return (True, True) if _submissions(folder) else (False, False)


def _submissions(folder: Path) -> list[str]:
    """The folders of ``folder`` that are nbgrader's per-student folders by their content, ``ID/``
    holding an ``ASSIGNMENT/timestamp.txt`` (``nbgrader submit`` writes it, ``collect`` keeps it)."""
    out = []
    try:
        students = sorted(d for d in folder.iterdir() if d.is_dir() and STUDENT_RE.match(d.name)
                          and d.name.lower() not in NBGRADER_BOXES)
    except OSError:
        return out
    for d in students:
        try:
            if any((a / "timestamp.txt").is_file() for a in d.iterdir() if a.is_dir()):
                out.append(d.name)
        except OSError:
            continue
    return out


def check_one_copy(folder: Path) -> None:
    """GradeError if ``folder`` holds nbgrader's per-student folders (``ID/ASSIGNMENT/timestamp.txt``)
    and, beside them, a ``submitted/`` holding more: two copies of nbgrader's ``submitted/``, one
    inside the other -- what ``cp -r submitted COPY`` does when run again, for the next chapter, while
    ``COPY`` exists (cp then copies into it, as ``COPY/submitted/``).  Graded as it is, every student
    in both is two folders' owner, and neither folder counts (a class of 300: 510 files refused, and
    an LMS file of 31 grades, with status 0)."""
    try:
        nested = [d for d in folder.iterdir() if d.is_dir() and d.name.lower() == "submitted"]
    except OSError:                             # not a folder, or unreadable: said where it is read
        return
    if not nested:
        return
    inner, outer = _submissions(nested[0]), _submissions(folder)
    if not inner or not outer:
        return
    shown = ", ".join(f"{n}/" for n in outer[:3]) + (", ..." if len(outer) > 3 else "")
    inside = folder / nested[0].name
    raise GradeError(
        f"{folder} holds two copies of nbgrader's submitted/: {len(outer)} students' folders ({shown}) and "
        f"{inside}/ with {len(inner)} more -- `cp -r submitted {folder}` run again while {folder} existed (for "
        f"another chapter?) copies into it, as {inside}/. Graded so, each student would have two folders and be "
        f"counted in neither: make a new copy for each chapter (in the course folder: rm -rf ../copy-chNN && "
        f"cp -r submitted ../copy-chNN) and grade it, or grade {inside}/ alone")


def _answer_files(folder: Path, nbgrader: bool = False, assignment: str | None = None,
                  layout: bool = False) -> tuple[list[Path], list[str], list[str]]:
    """The ``*.json`` files of ``folder`` and of the folders in it (an LMS may put each
    student's upload in a folder of its own, as Moodle's "submissions in folders" download
    does), hidden entries (``.*``, an archive's ``__MACOSX``) left out; a note naming the
    files skipped, and their paths (from ``folder``).  ``nbgrader``: ``folder`` is nbgrader's
    ``submitted/`` by its content (``nbgrader_layout``); ``assignment``: in nbgrader's
    submitted/ID/ASSIGNMENT/, only that assignment's folders are read -- another assignment's
    files (a later chapter, exported empty) are none of this one's business."""
    if not folder.is_dir():
        raise GradeError(f"{folder} is not a folder")
    files, skipped, assignments = [], [], set()
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        for name in sorted(names):
            f = Path(top) / name
            if name.startswith("."):
                continue
            if assignment is not None or layout:
                _, why, box = _folder_owner(f, folder, {}, nbgrader=nbgrader)
                rel = f.relative_to(folder / box).parts if "(nbgrader's " in why else ()
                if len(rel) >= 2:               # in submitted/ID/ASSIGNMENT/
                    assignments.add(rel[0])
                    if assignment is not None and rel[0] != assignment:
                        continue
            if f.suffix.lower() == ".json" and f.is_file():
                files.append(f)
            else:
                skipped.append(f.relative_to(folder).as_posix())
    if assignment is not None and assignments and assignment not in assignments:
        raise GradeError(f"no nbgrader assignment {assignment!r} in {folder}: its students' folders hold "
                         f"{', '.join(sorted(assignments))} (give --assignment NAME, the assignment's name in "
                         f"nbgrader)")
    if assignment is None and len(assignments) > 1:
        # each student's latest file of any of them would be their one score: a later chapter's
        # for some, an earlier one's for others
        raise GradeError(f"{folder} holds {len(assignments)} nbgrader assignments ({', '.join(sorted(assignments))}): "
                         f"grade one at a time, with --chapter N (its folder chNN) or --assignment NAME")
    # nbgrader's own files of each submission (its notebook, the timestamp.txt and submission_secret.txt
    # its exchange's submit writes there): counted, not listed (a class of 250 listed 500 paths in one line)
    submissions, listed = set(), []
    for x in skipped:
        owner, why, box = _folder_owner(folder / x, folder, {}, nbgrader=nbgrader)
        if owner is not None and "(nbgrader's " in why and (x.lower().endswith(".ipynb")
                                                             or x.rsplit("/", 1)[-1] in NBGRADER_OWN):
            submissions.add("/".join(x.split("/")[:len(box.split("/")) + 1]))
        else:
            listed.append(x)
    shown = [x + (" (a link to nothing)" if (folder / x).is_symlink() and not (folder / x).exists() else "")
             for x in listed]
    notes = [f"skipped (not *.json answer files): {', '.join(shown)}"] if listed else []
    if submissions:
        notes.append(f"skipped: the notebook, timestamp.txt and submission_secret.txt of {len(submissions)} submission"
                     f"{'s' if len(submissions) > 1 else ''} in nbgrader's submitted/ID/ASSIGNMENT/ "
                     f"(nbgrader's own files)")
    if not files and not submissions:         # (nbgrader's notebooks alone: each student's row says so)
        raise GradeError(f"no *.json answer files in {folder}"
                         + (f"'s {assignment}/ folders" if assignments else ""))
    return files, notes, skipped


#: The name the export gives an answer file, ``answers-ID.json`` (a browser's second download of
#: it ``answers-ID (1).json``), at the end of whatever an LMS puts in front of it.
EXPORTED_AS = re.compile(r"(?:^|[^A-Za-z0-9])answers-([A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}?)(?: \(\d+\))?$")


def _named(stem: str, known) -> set[str]:
    """The students a file name names: the ids of ``known`` it contains as a word, else the
    id of the export's own name (``answers-ID``; an id ``known`` does not have is named only
    when none of its is: ``answers-zobrien-final`` names zobrien)."""
    named = _names(stem, known)
    m = EXPORTED_AS.search(stem)
    if m and not named:
        named.add(m.group(1).lower())
    return named


# -- writing the LMS's own file back -------------------------------------------------------------

def _csv_spans(text: str, delim: str) -> list[list[tuple[int, int]]]:
    """Each record of ``text`` (CSV with ``delim``, RFC 4180 quoting, any line ends) as the
    (start, end) of each of its cells in ``text`` -- quotes included --, so that one cell can be
    replaced and every other byte kept as it was.  A record of no cells (an empty line) is []."""
    records, cells, n, k = [], [], len(text), 0
    start = 0
    while k <= n:
        if k < n and text[k] == '"' and k == start:          # a quoted cell: to its closing quote
            k += 1
            while k < n:
                if text[k] == '"':
                    if k + 1 < n and text[k + 1] == '"':
                        k += 2
                        continue
                    break
                k += 1
            k += 1                                           # past the closing quote
            while k < n and text[k] not in (delim, "\r", "\n"):   # (text after it: kept in the cell)
                k += 1
            continue
        if k < n and text[k] == delim:
            cells.append((start, k))
            k += 1
            start = k
            continue
        if k == n or text[k] in "\r\n":
            if k > start or cells:
                cells.append((start, k))
            if k < n or cells:
                records.append(cells)
            cells = []
            if k < n and text[k] == "\r" and k + 1 < n and text[k + 1] == "\n":
                k += 1
            k += 1
            start = k
            if k >= n:
                break
            continue
        k += 1
    return records


def _csv_value(cell: str) -> str:
    """A cell's text as a CSV reader gives it (its quotes taken off)."""
    if cell.startswith('"'):
        end = cell.rfind('"')
        return cell[1:end if end > 0 else None].replace('""', '"') + (cell[end + 1:] if end > 0 else "")
    return cell


def _csv_quoted(value: str, delim: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in (delim, '"', "\r", "\n")) else value


#: The column of Moodle's grading worksheet with each row's feedback comment: the feedback text
#: of the assignment's "Feedback comments" plugin, HTML (assignfeedback_comments, FORMAT_HTML).
FEEDBACK_COLUMN = "Feedback comments"


def _same_html(a: str, b: str) -> bool:
    """Are two comment cells' HTML the same report, whatever an LMS made of its line breaks
    (``<br>``, ``<br />``) and the spaces around them?"""
    norm = lambda t: re.sub(r"\s*<br\s*/?>\s*", "<br>", t.strip(), flags=re.I)
    return bool(a.strip()) and norm(a) == norm(b)


def _html_report(text: str) -> str:
    """A report as one line of HTML (a worksheet's comment cell): lines joined by <br>, leading
    spaces kept."""
    import html
    out = []
    for line in text.rstrip("\n").splitlines():
        body = line.lstrip(" ")
        out.append("&nbsp;" * (len(line) - len(body)) + html.escape(body, quote=False))
    return "<br>".join(out)


#: Moodle's grading worksheet's column of the assignment's maximum grade, and the columns its
#: upload does not take grades from (mod/assign/feedback/offline/importgradeslib.php reads the
#: grade from 'Grade' alone).
MOODLE_MAX_COLUMN = "Maximum Grade"
MOODLE_NOT_GRADES = ("identifier", "full name", "email address", "status", "maximum grade", "grade can be changed",
                     "last modified (submission)", "last modified (grade)", "feedback comments")
#: Canvas's gradebook export: its columns of who a student is, and the cell its "Points Possible"
#: row has under a column the import does not read (totals: "Current Points", "Final Score" ...).
CANVAS_NOT_GRADES = ("student", "id", "sis user id", "sis login id", "integration id", "root account", "section")
CANVAS_READ_ONLY = "(read only)"


def _number(cell: str) -> float | None:
    """A grade cell's number ('2.50', '2,50'), None for an empty cell or a mark that is no number ('EX')."""
    import math
    try:
        v = float(cell.strip().replace(",", "."))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _listed(items: list[str], cap: int = 10) -> str:
    return ", ".join(items[:cap]) + (f" and {len(items) - cap} more" if len(items) > cap else "")


def _lms_columns(path, column: str, grade_column: str):
    """(text, byte order mark?, separator, records (``_csv_spans``), header, the ids' column, the grade
    column) of the LMS export at ``path``; GradeError for a ``grade_column`` it has not, or one
    the LMS's import does not take grades from (Moodle's ``Maximum Grade``, Canvas's totals)."""
    text = read_text_file(path, "the roster", GradeError)
    bom = read_small(path, "the roster").startswith(b"\xef\xbb\xbf")
    delim = max(",;\t", key=text.split("\n", 1)[0].count)
    records = _csv_spans(text, delim)
    if not records:
        raise GradeError(f"the roster {path} is empty")
    header = [_csv_value(text[a:b]).strip() for a, b in records[0]]
    k_id = _column(path, header, column)
    try:
        k_grade = _column(path, header, grade_column)
    except GradeError:
        raise GradeError(f"--grade-column {grade_column!r}: the roster {path} has no such column: its columns are "
                         + ", ".join(repr(h) for h in header if h)) from None
    if k_grade == k_id:
        raise GradeError(f"--grade-column {grade_column!r} is the ids' column (--roster-column): give the column "
                         f"the scores go into")
    low = [h.lower() for h in header]
    if PID_COLUMN.lower() in low or MOODLE_MAX_COLUMN.lower() in low:      # Moodle's grading worksheet
        if low[k_grade] in MOODLE_NOT_GRADES:
            raise GradeError(f"--grade-column {grade_column!r} is a column of the grading worksheet that Moodle's "
                             f"upload takes no grade from"
                             + (" (the assignment's maximum grade)" if low[k_grade] == MOODLE_MAX_COLUMN.lower() else "")
                             + ": give the column of the grades, 'Grade' (the default)")
    elif _canvas_export(header):
        points = _canvas_points(text, records)
        cell = _csv_value(text[slice(*points[k_grade])]).strip() if points and k_grade < len(points) else ""
        if low[k_grade] in CANVAS_NOT_GRADES or cell.lower() == CANVAS_READ_ONLY:
            assignments = [repr(h) for h, c in zip(header, points or []) if re.search(r"\(\d+\)$", h)
                           and _csv_value(text[slice(*c)]).strip().lower() != CANVAS_READ_ONLY]
            raise GradeError(f"--grade-column {grade_column!r} is "
                             + (f"read-only in Canvas's export (its Points Possible row says {CANVAS_READ_ONLY})"
                                if cell.lower() == CANVAS_READ_ONLY else "a column of who a student is")
                             + ": give an assignment's column, 'Name (id)'"
                             + (f": {', '.join(assignments)}" if assignments else ""))
    return text, bom, delim, records, header, k_id, k_grade


def _canvas_points(text: str, records: list) -> list | None:
    """The cells of the "Points Possible" row of Canvas's gradebook export (None: it has none)."""
    for cells in records[1:4]:
        if cells and _csv_value(text[slice(*cells[0])]).strip().lower() == "points possible":
            return cells
    return None


def check_lms_file(path, column: str, grade_column: str, maxima=(), what: str = "the class") -> None:
    """GradeError (one line) for an LMS export that ``fill_lms_file`` would fill wrongly: no such
    ``grade_column``, or one the import takes no grade from (``_lms_columns``), or a maximum the
    export says -- Moodle's worksheet's ``Maximum Grade`` (a new assignment's: 100), Canvas's
    ``Points Possible`` -- other than the scores' (``maxima``: the maximums they are out of;
    ``what``: "chapter 6"), where a score of 3 would read as 3 of 100."""
    text, _, _, records, header, k_id, k_grade = _lms_columns(path, column, grade_column)
    maxima = {m for m in maxima if m != ""}
    if not maxima:
        return
    low = [h.lower() for h in header]
    if MOODLE_MAX_COLUMN.lower() in low:
        k = low.index(MOODLE_MAX_COLUMN.lower())
        cells = [_csv_value(text[slice(*c[k])]).strip() for c in records[1:] if k < len(c)]
        where, how = (f"its {header[k]!r}", "set the assignment's maximum grade to {m} in Moodle (the assignment's "
                      "settings: Grade, Maximum grade), download the grading worksheet again and grade with it")
    elif _canvas_export(header) and (points := _canvas_points(text, records)) and k_grade < len(points):
        cells = [_csv_value(text[slice(*points[k_grade])]).strip()]
        where, how = (f"the Points Possible of {header[k_grade]!r}", "set the assignment's points to {m} in Canvas "
                      "(edit the assignment: Points), export the gradebook again and grade with it")
    else:
        return
    lms = sorted({v for c in cells if (v := _number(c)) is not None})
    if not lms:
        return
    if len(maxima) > 1:
        raise GradeError(f"the scores are out of different maximums ({', '.join(f'{m:g}' for m in sorted(maxima))}) "
                         f"and the roster {path} has one, {where}: give --chapter N to grade one chapter")
    m = next(iter(maxima))
    wrong = [v for v in lms if abs(v - m) > 1e-9]
    if wrong:
        raise GradeError(f"the roster {path}: {where} is {wrong[0]:g} and {what} is graded out of {m:g}, so a full "
                         f"score would read as {m:g} of {wrong[0]:g}: " + how.format(m=f"{m:g}"))


def fill_lms_file(path, column: str, grade_column: str, scores: dict[str, str],
                  comments: dict[str, str] | None = None, *, absent=(), maxima=(), what: str = "the class",
                  out=None) -> tuple[bytes, list[str]]:
    """(the bytes of the CSV file at ``path`` -- an LMS's own export, the roster -- with each
    student's score in its ``grade_column``, notes naming ``out``, the file written).  ``column``:
    the ids' column; ``scores``: {id in lower case: the score as text}; ``absent``: the ids of
    ``scores`` of students who sent nothing (their 0).  A cell is left as it was: a student's
    without a score (not emptied: an empty grade cell clears the grade in some imports), one
    with a mark that is no number (Canvas's ``EX``, excused, a letter), one of a student who
    sent nothing that has a mark already (a grade given by hand) -- each named in the notes.
    ``comments``: {id: report}, written as HTML into Moodle's worksheet's ``FEEDBACK_COLUMN``
    when it has one, after the text a cell has.  ``maxima``: the scores' maximums, which the
    export's own maximum must be (``check_lms_file``).  Every other byte stays as it was: its
    byte order mark, separator, quoting and line ends."""
    check_lms_file(path, column, grade_column, maxima, what)
    text, bom, delim, records, header, k_id, k_grade = _lms_columns(path, column, grade_column)
    out = path if out is None else out
    low = [h.lower() for h in header]
    k_comment = low.index(FEEDBACK_COLUMN.lower()) if comments is not None and FEEDBACK_COLUMN.lower() in low else None
    edits = []                                  # (start, end, new text), in order
    filled = changed = commented = appended = replaced = same = same_report = 0
    unscored, kept_mark, not_number, replaced_mark = [], [], [], []
    rows = [[_csv_value(text[a:b]) for a, b in cells] for cells in records[1:]]
    ids = [row[k_id].strip().lower() if k_id < len(row) else "" for row in rows]
    # an id on several rows is several participants to the LMS and one student to the grader:
    # whose score it is cannot be told, so none of those rows is filled
    shared = {sid for sid, n in Counter(ids).items() if sid and n > 1 and (sid in scores or sid in (comments or {}))}

    def edit(cells, k, new):
        if k < len(cells):
            edits.append((*cells[k], new))
            return cells
        end = cells[-1][1]                      # a short row: the cells it lacks, up to this one
        edits.append((end, end, delim * (k - len(cells) + 1) + new))
        return cells + [(end, end)] * (k - len(cells) + 1)

    for sid, cells, row in zip(ids, records[1:], rows):
        if not sid or sid in shared or not STUDENT_RE.match(sid) or _canvas_not_student(header, row):
            continue
        who = row[k_id].strip()
        old = row[k_grade].strip() if k_grade < len(row) else ""
        score = scores.get(sid)
        if score is None or score == "":
            unscored.append(who)                # its grade cell stays; the report says why, if any
        elif old and sid in absent:
            if _number(old) != 0:
                kept_mark.append(f"{who} ({old!r})")
            continue
        elif old and _number(old) is None:
            not_number.append(f"{who} ({old!r})")
            continue
        elif not old or _number(old) != _number(score):
            cells = edit(cells, k_grade, _csv_quoted(score, delim))
            filled += 1
            if old:                             # named, as the cells left are: a grade given by hand?
                changed += 1
                replaced_mark.append(f"{who} ({old!r}, now {score})")
        else:
            same += 1                           # the score is there already: nothing to write
        report = (comments or {}).get(sid) if k_comment is not None else None
        if report:
            html = _html_report(report)
            said = row[k_comment] if k_comment < len(row) else ""
            # a report this grader wrote before (a worksheet downloaded again after an upload,
            # graded again after late files) is replaced, not followed by a second one: it starts
            # "student ID:", whatever Moodle made of its <br>s; the instructor's text before it stays
            before = re.search(rf"(?:\s|<br\s*/?>)*student\s+{re.escape(sid)}:", said, re.I)
            mine = said[before.start():] if before else ""
            keep = said[:before.start()] if before else said
            if not said.strip():
                cells = edit(cells, k_comment, _csv_quoted(html, delim))
                commented += 1
            elif _same_html(mine, html):
                same_report += 1                # graded again, the same report: there already
            else:                               # the instructor's text first, the report after it
                keep = keep.rstrip()
                sep = "" if not keep or keep.lower().endswith(("</p>", "</div>")) else "<br><br>"
                cells = edit(cells, k_comment, _csv_quoted(keep + sep + html, delim))
                commented += 1
                appended += bool(keep)
                replaced += bool(mine)
    result, last = [], 0
    for a, b, new in sorted(edits, key=lambda e: (e[0], e[1])):
        result.append(text[last:a])
        result.append(new)
        last = b
    result.append(text[last:])
    col = header[k_grade]
    notes = [f"{out}: column {col!r} filled for {filled} student{'s' if filled != 1 else ''}"
             + (f" ({changed} of them had another number there, replaced: {_listed(replaced_mark)})"
                if changed else "")
             + (f"; {same} had their score there already" if same else "")
             + (f", {header[k_comment]!r} with {commented} report{'s' if commented != 1 else ''}"
                + (f" ({appended} after the text the cell had)" if appended else "")
                + (f" ({replaced} in place of this grader's earlier report)" if replaced else "")
                + (f"; {same_report} had theirs there already"
                   if same_report else "")
                if k_comment is not None else "")
             + (f" ({FEEDBACK_COLUMN!r} left as it was: give --feedback DIR to put each student's report there)"
                if comments is None and FEEDBACK_COLUMN.lower() in low else "")]
    if unscored:
        notes.append(f"{out}: {len(unscored)} student{'s' if len(unscored) > 1 else ''} without a score keep"
                     f"{'' if len(unscored) > 1 else 's'} {col!r} as it was: {_listed(unscored)} (the per-file CSV "
                     f"and their reports say why: a file that could not be graded, or was skipped)")
    if kept_mark:
        notes.append(f"{out}: {len(kept_mark)} student{'s' if len(kept_mark) > 1 else ''} who sent nothing keep"
                     f"{'' if len(kept_mark) > 1 else 's'} the {col!r} the cell had, not 0: {_listed(kept_mark)}")
    if not_number:
        notes.append(f"{out}: {len(not_number)} {col!r} cell{'s' if len(not_number) > 1 else ''} with a mark that "
                     f"is no number (excused, a letter) left as {'they were' if len(not_number) > 1 else 'it was'}, "
                     f"the score not written: {_listed(not_number)}")
    if shared:
        notes.append(f"{out}: {len(shared)} id{'s are' if len(shared) > 1 else ' is'} on several rows, whose cells "
                     f"stay as they were ({_listed(sorted(shared), 5)}): fill them by hand")
    return (b"\xef\xbb\xbf" if bom else b"") + "".join(result).encode("utf-8"), notes


#: Moodle's "submissions in folders" download: a folder per student, "Full Name_PID_assignsubmission_file"
#: (PID: the student's participant number in the assignment; mod/assign/classes/downloader.php), made by
#: the LMS, which knows who uploaded; read with a '_' at its end too, as this program writes its own.
LMS_FOLDER = re.compile(r"_(\d+)_(?:assignsubmission_[A-Za-z]+|onlinetext)_?$")

#: The plugin part of a Moodle folder per participant (``moodle_folder``): the file submissions'
#: as the "Download all submissions" zip names it (which ``LMS_FOLDER`` reads back), and the
#: feedback files' (``feedback``'s reports).  Moodle's "Upload multiple feedback files in a zip"
#: takes either: it splits the folder's name at '_' into the name, the participant number and
#: the plugin's type and name, and gives the files inside to that participant as feedback files
#: (mod/assign/feedback/file/importziplib.php, is_valid_filename_for_import()).
MOODLE_SUBMISSION_PLUGIN = "assignsubmission_file_"
MOODLE_FEEDBACK_PLUGIN = "assignfeedback_file"


def moodle_folder(full: str, pid: int, plugin: str = MOODLE_SUBMISSION_PLUGIN) -> str:
    """The folder Moodle names a participant's files after: ``Full Name_PID_PLUGIN``, the name as
    Moodle's download writes it (an '_' a space, so that the name stays one part of the folder's
    name; then what clean_filename() drops left out: ``_CLEAN_FILENAME_DROPS``), runs of white
    space one space, "Participant" for a name with nothing left.  ``_folder_owner`` reads it back
    (``LMS_FOLDER``, ``full_name``)."""
    full = " ".join(_CLEAN_FILENAME_DROPS.sub("", full.replace("_", " ")).split()) or "Participant"
    return f"{full}_{pid}_{plugin}"


def participant_number(cell: str) -> int | None:
    """The participant number of a grading worksheet's ``PID_COLUMN`` cell ("Participant 1001":
    the trailing number, whatever the label before it), as ``roster_pids`` reads it; None for a
    cell that is none."""
    m = _PID_CELL.fullmatch(cell.strip())
    return int(m.group(2)) if m else None


def worksheet_name_columns(path, header: list[str], name_columns: str | None = None) -> list[int]:
    """The indexes of a CSV roster's columns of a full name, as ``roster_names`` picks them:
    ``name_columns`` ("First name,Last name"), else the first of ``NAME_COLUMNS`` the header has;
    [] for none."""
    if name_columns is not None:
        wanted = [c.strip() for c in name_columns.split(",")]
        if not all(wanted):
            raise GradeError(f"--roster-name-columns {name_columns!r}: give the roster's name columns separated "
                             f"by commas, in the order the LMS shows a name (e.g. 'First name,Last name')")
        return [_column(path, header, c) for c in wanted]
    low = [h.lower() for h in header]
    return next(([low.index(c.lower()) for c in cols] for cols in NAME_COLUMNS if all(c.lower() in low for c in cols)),
                [])


def _folder_owner(f: Path, folder: Path, roster, names=None, pids=None,
                  nbgrader: bool = False) -> tuple[str | None, str, str | None]:
    """Who handed ``f`` in, as the folder it was handed in in says (an LMS or nbgrader made that
    folder for the student it authenticated): (student or None, how the folder says so, the
    per-student folder from ``folder`` or None).  Only the outermost per-student folder on the
    path speaks: what a student uploaded into theirs (sub-folders included, which Moodle's file
    submission allows and its download keeps) is theirs, whatever its folders are called.
    The per-student folders:

    - nbgrader's ``submitted/ID/`` (or ``autograded/ID/``), with ``submitted`` the class folder
      itself or a folder in it -- deeper, it is a folder a student uploaded; ``nbgrader``: the
      class folder is a ``submitted/`` by its content, whatever its name (``nbgrader_layout``: a
      copy of it);
    - an LMS's folder per student (Moodle's ``Full Name_PID_assignsubmission_file_``): the
      student of the one roster row with its participant number (``pids``, from ``roster_pids``,
      whatever name several rows share), else of the one roster row with its full name
      (``names``, from ``roster_names``); else nobody known: (None, "", that folder) -- one
      student's, not known whose.  An id that is a word of the full name names no one (the
      display name is one a student may be able to edit);
    - a folder whose name is exactly one ``roster`` id (``mmuller/``: a layout the instructor made)."""
    folders = list(f.relative_to(folder).parts[:-1])
    chain = [folder.name] + folders
    for k, part in enumerate(chain[:2]):
        if (part.lower() in ("submitted", "autograded") or (k == 0 and nbgrader)) and k + 1 < len(chain) \
                and STUDENT_RE.match(chain[k + 1]) and not _is_release(chain[k + 1].lower()):
            part = part if part.lower() in ("submitted", "autograded") else "submitted"
            return (chain[k + 1].lower(), f"its folder {chain[k + 1]}/ (nbgrader's {part}/ID/)",
                    "/".join(folders[:k + 1]))
    for k, part in enumerate(folders):
        box = "/".join(folders[:k + 1])
        lms = LMS_FOLDER.search(part)
        if lms:
            pid = int(lms.group(1))
            ids = pids.get(pid, set()) if pids else set()
            if len(ids) == 1:                   # the one roster row of that participant number
                return (next(iter(ids)), f"its folder {part}/ (participant {pid} of the roster's "
                                         f"{PID_COLUMN} column)", box)
            ids = names.get(full_name(part[:lms.start()]), set()) if names else set()
            if len(ids) == 1:                   # the one roster row of that full name
                return next(iter(ids)), f"its folder {part}/ (named after one roster student's full name)", box
            return None, "", box                # one student's folder, not known whose
        if roster and part.lower() in roster:
            return part.lower(), f"its folder {part}/", box
    return None, "", None


def _whose(loaded, known: set[str], folder: Path, roster=(), names=None, pids=None, uids=None,
           nbgrader: bool = False) -> list[dict]:
    """A row per loaded file: whose it is, and when it was submitted.  The folder a file was
    handed in in decides whose it is, when there is one (``_folder_owner``: nbgrader's
    submitted/ID/ at the top, an LMS folder with the participant number (``pids``) or named after
    the full name (``names``) of one row of the roster, a folder named exactly after a ``roster``
    id -- not one of ``known``: without a roster those are the files' own claims, which any
    student chooses; or, in a flat Canvas download, the user id Canvas put first in the file's
    name, of one row of the roster (``uids``, ``_canvas_owner``)); else the
    one student its name names (an LMS names what a student uploaded after them; the export
    names it ``answers-ID.json``); else, when its name names nobody, the one it names inside.
    Either way the file is graded as that student's, whatever it claims: a file that names
    another student inside is refused for its sender, and is never counted for the student
    it names.  A file whose name names several students is refused: the claim inside does
    not choose among them.  An LMS's folder per student that names no id holds one
    student's files (``_one_student_per_folder``).  A file of nbgrader's release notebook (it
    claims student ``release``) is graded on that variant for the student its folder or its
    name names (``_release_row``)."""
    rows = []
    lookup = _by_lower(known)                   # built once for the class
    owners = _by_lower(set(roster))            # a folder names a student of the roster (none without one)
    for f, data in loaded:
        student = data.get("student") if isinstance(data, dict) else None
        named = _named(f.stem, lookup)
        owner, why, box = _folder_owner(f, folder, owners, names, pids, nbgrader)
        canvas, uid = False, None
        if box is None and len(f.relative_to(folder).parts) == 1:      # a flat download: Canvas's?
            sid, uid, canvas = _canvas_owner(f.stem, uids or {}, owners)
            if sid is not None:
                owner, why, box = sid, f"its Canvas user id {uid} (the roster's {CANVAS_ID_COLUMN} column)", \
                    f"Canvas user {uid}"
        row = {"file": f.relative_to(folder).as_posix(), "note": [], "named": named,
               # every id in its name, an id inside another one too: whose it may be
               "mentions": named | _names(f.stem, lookup, longest=False),
               "submitted_at": submitted_at(data, f),
               # a file that does not say when it was exported: its time is the unzip's, not the student's
               "exported": bool(exported_at(data)),
               "built": built_of(data)}
        if box is not None:
            row["box"] = box
            # nbgrader's own record of when the student submitted, not the student's kernel clock
            stamp = nbgrader_timestamp(f, folder, box) if "(nbgrader's " in why else ""
            if stamp:
                row.update(submitted_at=stamp, exported=True, stamped=True)
        if canvas:
            row["canvas"] = canvas
            if re.search(r"(?:^|_)LATE_", f.stem[:f.stem.find(f"_{uid}_") + 1] if uid is not None else f.stem):
                # Canvas's own record that it came after the due date (the export time is the student's)
                row["canvas_late"] = True
                row["note"].append("Canvas marked it LATE (its name: submitted after the due date)")
        others = sorted(n for n in named if n != owner and not _is_release(n))
        if isinstance(student, str) and student.lower() == RELEASE:
            _release_row(row, named, owner, why)
        elif owner is not None:
            row["student"] = owner
            row["owned"] = True
            if others:
                row["note"].append(f"the file name names {', '.join(others)}, but {why} is {owner}'s: "
                                   f"graded for {owner}")
        elif len(named) == 1:
            row["student"] = next(iter(named))
        elif named:                             # which of them sent it is not known: none of them
            row["student"] = f.stem
            row["refused"] = (f"the file name names {', '.join(sorted(named))}: whose it is is not known, so it "
                              f"is not graded (grade it with grade --student ID FILE)")
            row["refused_student"] = ("this file's name names more than one student, so it is not graded: send "
                                      "the file your page or notebook exported, as it named it")
        elif isinstance(student, str):
            row["student"] = student.lower() if STUDENT_RE.match(student) else student
        else:                                   # the file does not say whose it is
            row["student"] = f.stem
        rows.append(row)
    _one_student_per_folder(rows)
    return rows


def _bad_rows(rows: list[dict], loaded: list, roster, column: str | None, bad, good) -> str:
    """A roster's rows whose ids are no ids (``bad``: (line, cell)), a few among good ones: the
    files their folders place as theirs (their participant number, their full name) are refused,
    with no report (``bad_id``: the instructor gives them ids and grades again), and their rows get
    no score, so their LMS cells stay as they were.  The line that says so, and what to do, with
    the id each one's file was exported under, when there is one."""
    line_of = {raw.lower(): n for n, raw in bad}
    claimed: dict[int, set[str]] = {}
    for row, (f, data) in zip(rows, loaded):
        n = line_of.get(row["student"]) if row.get("owned") else None
        if n is None:
            continue
        row["bad_id"] = True
        row["note"] = []                        # ("the file name names ... graded for" them: it is not)
        row["refused"] = row["refused_student"] = (
            f"the roster's id of this folder's student, {row['student']!r} (line {n}), is no id the site "
            f"accepts: not graded -- give them one on the roster and grade again")
        said = data.get("student") if isinstance(data, dict) else None
        if isinstance(said, str) and STUDENT_RE.match(said):
            claimed.setdefault(n, set()).add(said.lower())
    who = ", ".join(f"line {n} {echo(raw)}"
                    + (f" (exported as {', '.join(repr(c) for c in sorted(claimed[n]))})" if n in claimed else "")
                    for n, raw in bad[:BAD_IDS_SHOWN])
    more = f" and {len(bad) - BAD_IDS_SHOWN} more" if len(bad) > BAD_IDS_SHOWN else ""
    return (f"the roster {roster}: {len(bad)} bad student id{'s' if len(bad) > 1 else ''} ({who}{more}), "
            f"not graded: their files are refused, they get no report and no gradebook row, and their "
            f"--lms-file cells stay as they were; {ID_RULE}. To grade them, "
            + bad_ids_remedy(roster, column, bad, good, claimed) + "; then grade again")


def _one_student_per_folder(rows: list[dict]) -> None:
    """An LMS folder per student holds one student's uploads: its files, graded as the students
    their names (or claims) name, are refused when they name several students, or when a
    student's files are in two such folders, or in one and in the folder that names them --
    one of those folders is another student's, whose upload must never be counted for them."""
    boxes: dict[str, list[dict]] = {}
    for r in rows:
        if "box" in r and not r.get("owned") and "refused" not in r:
            boxes.setdefault(r["box"], []).append(r)
    student_text = ("which student uploaded this file is not certain, so it is not graded: your instructor "
                    "will check it")
    for box, box_rows in boxes.items():
        who = sorted({str(r["student"]) for r in box_rows})
        if len(who) > 1:
            for r in box_rows:
                r["refused"] = (f"the folder {box}/ holds the files of one student, and its files name "
                                f"{', '.join(who)}: not graded (grade the right one with grade --student ID FILE)")
                r["refused_student"] = student_text
    where: dict[str, set] = {}
    for r in rows:
        if "box" in r and "refused" not in r:
            where.setdefault(r["student"], set()).add((r["box"], bool(r.get("owned"))))
    # one student, two folders that each say they are theirs (two participant numbers of one name,
    # a folder named after their id and their Moodle folder): a student has one folder (Moodle gives
    # each participant one number, assign::get_uniqueid_for_user()), so one is someone else's
    for r in rows:
        if not r.get("owned") or "refused" in r or "box" not in r:
            continue
        own = sorted({_nbgrader_or(b) for b, owned in where.get(r["student"], ()) if owned})
        if len(own) > 1:
            r["two_folders"] = own
            r["refused"] = (f"{len(own)} folders each say they are {r['student']}'s ("
                            + ", ".join(f"{b}/" for b in own)
                            + f"): a student has one, so one of them is another student's, and neither is "
                              f"counted (grade the right one with grade --student ID FILE)")
            r["refused_student"] = student_text
    for box_rows in boxes.values():
        for r in box_rows:
            places = where.get(r["student"], set())
            if "refused" in r or len(places) < 2:
                continue
            own = sorted(b for b, owned in places if owned)
            r["refused"] = (f"files for {r['student']} are in {len(places)} students' folders ("
                            + ", ".join(sorted(f"{b}/" for b, _ in places))
                            + (f"; {own[0]}/ names {r['student']}" if own else "")
                            + f"): the folder an LMS made says who uploaded a file, and {r['box']}/ does not "
                              f"name {r['student']}, so it is not graded for them (grade the right one with "
                              f"grade --student ID FILE)")
            r["refused_student"] = student_text


def _identical(rows: list[dict], loaded: list) -> list[str]:
    """Answer files of different students that are byte for byte the same: each row's note names
    the others, and a line says how many.  Exported by two students' own pages or notebooks, two
    files differ in their export time (unless made in the same second); the same file twice is
    most likely one student's copy (the
    only way to tell on nbgrader's release notebook, where everyone has the same variant).
    ``loaded``: (file, its data or the GradeError reading it gave); a file that is no answer file
    (empty, not JSON) is nobody's copy -- every empty upload is the same as every other.  One
    student's file there twice (uploaded twice: ``answers-ID (1).json``) is one file: the later
    rows' ``same_as`` is the first, and ``ClassGrades.feedback`` writes its report once."""
    import hashlib
    by_digest: dict[str, list[dict]] = {}
    for row, (f, data) in zip(rows, loaded):
        if isinstance(data, GradeError):
            continue
        try:
            digest = hashlib.sha256(read_small(f, "the answer file")).hexdigest()
        except (OSError, TooLarge):
            continue
        by_digest.setdefault(digest, []).append(row)
    copies = 0
    for same in by_digest.values():
        first: dict[str, dict] = {}
        for r in same:                          # one student's file uploaded twice: one report (feedback)
            if str(r["student"]) in first:
                r["same_as"] = first[str(r["student"])]
                r["note"].append(f"byte for byte the same file as {r['same_as']['file']}, uploaded twice: one report")
            else:
                first[str(r["student"])] = r
        if len(first) < 2:
            continue
        copies += len(same)
        for r in same:
            others = [f"{o['student']}'s {o['file']}" for o in same if o is not r]
            r["note"].append(f"byte for byte the same file as {', '.join(others)}: a copy?")
    if not copies:
        return []
    return [f"{copies} answer files are byte for byte the same as another student's (the note column names "
            f"them): a copy?"]


def _same_export(rows: list[dict], loaded: list) -> list[str]:
    """Answer files of different students that are not byte for byte the same (``_identical``
    says those) but have the same ``exported`` time and the same answers with the same question
    fingerprints and checks -- a classmate's file with its ``student`` id (and maybe its
    ``variant`` tags) changed: the note of each such file that was refused, or had answers refused
    as given on another variant (graded rows: ``_fill_scores``), names the other file, and a line
    says how many.  Two students' own pages export in the same second with every answer and
    fingerprint the same hardly ever."""
    def answers_of(data) -> str | None:
        when, answers = exported_at(data), data.get("answers")
        if not when or not isinstance(answers, dict) or not answers:
            return None
        kept = {k: {kk: vv for kk, vv in v.items() if kk != "variant"} if isinstance(v, dict) else v
                for k, v in answers.items()}
        return json.dumps([when, kept], sort_keys=True, default=str)
    groups: dict[str, list[tuple[dict, dict]]] = {}
    for row, (f, data) in zip(rows, loaded):
        if isinstance(data, dict) and (key := answers_of(data)) is not None:
            groups.setdefault(key, []).append((row, data))
    named = 0
    for same in groups.values():
        for r, d in same:
            others = [(o, od) for o, od in same if str(o["student"]) != str(r["student"]) and od != d]
            if not others or not (r.get("error") or r.get("elsewhere")):
                continue
            named += 1
            tags = any(od.get("answers") != d.get("answers") for _, od in others)
            r["note"].append(f"the same export time ({exported_at(d)}), answers and question fingerprints as "
                             + ", ".join(f"{o['student']}'s {o['file']}" for o, _ in others)
                             + f": a copy with the student id{' and variant tags' if tags else ''} changed?")
    if not named:
        return []
    return [f"{named} answer file{'s' if named > 1 else ''} refused, or with answers refused, "
            f"{'have' if named > 1 else 'has'} the export time, answers and question fingerprints of another "
            f"student's file, with the student id changed (the note column names that file): a copy?"]


def _nbgrader_or(box: str) -> str:
    """A per-student folder as ``_one_student_per_folder`` tells them apart: nbgrader's
    ``submitted/ID`` and ``autograded/ID`` are one student's one folder."""
    parts = box.split("/")
    if len(parts) >= 2 and parts[-2].lower() in ("submitted", "autograded"):
        return "/".join(parts[:-2] + ["submitted", parts[-1]])
    return box


def _other_chapters(rows: list[dict], loaded: list, chapter: int) -> None:
    """A file that says it is another chapter's (its ``chapter``: the notebook's export, even with
    no answer in it), or answers exercises, none of them of ``chapter`` (another assignment's
    export beside this one's), is not counted for ``chapter``: graded 0 and exported later, it
    replaced the student's grade under --keep latest."""
    ids = set(chapter_ids(chapter))
    for row, (f, data) in zip(rows, loaded):
        answers = data.get("answers") if isinstance(data, dict) else None
        if "refused" in row or not isinstance(answers, dict):
            continue
        said = data.get("chapter")
        if isinstance(said, int) and not isinstance(said, bool) and said in chapters() and said != chapter:
            row["refused"] = row["refused_student"] = (
                f"this file is chapter {said}'s export (its \"chapter\" is {said}): not counted for chapter "
                f"{chapter}")
            continue
        theirs = sorted({BANK[k].chapter for k in answers if k in BANK})
        if theirs and not ids & set(answers):
            row["refused"] = row["refused_student"] = (
                f"this file answers chapter{'s' if len(theirs) > 1 else ''} {', '.join(map(str, theirs))}, "
                f"no exercise of chapter {chapter}: not counted for chapter {chapter}")


def _unnamed_folders(rows: list[dict], names: dict[str, set[str]], pids: dict[int, set[str]],
                     roster_column: str | None, on_roster: bool) -> tuple[list[str], list[str]]:
    """(notes, alarms) on the LMS folders per student (Moodle's) that the roster could not give a
    student.  A note: named after a full name several roster students share.  An alarm (the
    command line writes nothing without --force): a roster with neither participant numbers nor
    names, or none -- then no Moodle folder is placed, and each file goes by its own name, which
    the student chose."""
    lms = {}                                    # folder -> the full name in its name
    for r in rows:
        last = r.get("box", "").rsplit("/", 1)[-1]
        if not r.get("owned") and (m := LMS_FOLDER.search(last)):
            lms[r["box"]] = last[:m.start()]
    shown = sorted(lms)
    if not lms:
        return [], []
    if names or pids:
        shared = [b for b in shown if len(names.get(full_name(lms[b]), ())) > 1]
        if shared:
            return [f"{len(shared)} LMS folder{'s are' if len(shared) > 1 else ' is'} named after a full name that "
                    f"several roster students share (e.g. {shared[0]}/): such a folder does not say whose its "
                    f"files are; their names do"], []
        return [], []
    what = ("the roster has no participant numbers ('Identifier') and no names ('Full name', or 'First name' "
            "and 'Last name')" if roster_column is not None else
            "a roster of ids places none of them" if on_roster else "no roster was given")
    return [], [f"{len(lms)} LMS folder{'s' if len(lms) > 1 else ''} per student (e.g. {shown[0]}/) "
                f"{'say' if len(lms) > 1 else 'says'} whose {'their' if len(lms) > 1 else 'its'} files are by a "
                f"full name and a participant number, and {what}: each file would be "
                f"placed by its own name, which the student chose, so any student could leave a classmate's "
                f"grade blank -- give the assignment's grading worksheet as --roster, with --roster-column "
                f"Username (or the column of your students' ids)"]


def _flat_download(rows: list[dict], uids: dict[int, set[str]]) -> list[str]:
    """An alarm (the command line writes nothing without --force) for files named as Canvas's
    submissions download names them that the roster's Canvas user ids did not place: each is
    then placed by the rest of its name, which the student chose."""
    alarms = []
    anonymous = sorted(r["file"] for r in rows if r.get("canvas") == "anonymous" and not r.get("owned"))
    if anonymous:
        # (no roster can place them: the name holds no user id)
        alarms.append(f"{len(anonymous)} file{'s are' if len(anonymous) > 1 else ' is'} named as Canvas's "
                      f"download names them under anonymous grading, anon_ID_FILEID_... (e.g. {anonymous[0]}), "
                      f"which names nobody: each would be placed by the rest of its name, which the student chose "
                      f"-- download them again with the students' names shown (turn anonymous grading off, or "
                      f"unhide the names), or grade with --force and check each by hand")
    flat = sorted(r["file"] for r in rows if r.get("canvas") == "canvas" and not r.get("owned"))
    if flat:
        what = (f"the roster's {CANVAS_ID_COLUMN} column has not their user ids" if uids else
                f"the roster is not Canvas's gradebook export (with its {CANVAS_ID_COLUMN} and {CANVAS_MARK_COLUMN} "
                f"columns)")
        alarms.append(f"{len(flat)} file{'s are' if len(flat) > 1 else ' is'} named as Canvas's submissions download "
                      f"names them, NAME_USERID_FILEID_... (e.g. {flat[0]}), and {what}: each would be placed by the "
                      f"rest of its name, which the student chose, so a student could hand in as a classmate -- give "
                      f"Canvas's gradebook export as --roster, with --roster-column \"{CANVAS_MARK_COLUMN}\" (or the "
                      f"column of your students' ids)")
    return alarms


def _other_worksheet(rows: list[dict], pids: dict[int, set[str]]) -> list[str]:
    """An alarm when most of the LMS folders (more than half of those with a participant number)
    have a number no row of the roster's ``PID_COLUMN`` has: the roster is another assignment's
    grading worksheet (each assignment numbers its participants anew), and Moodle's upload of it,
    which matches rows by that column, would update nobody's grade, or another assignment's."""
    if not pids:
        return []
    boxes = sorted({r["box"] for r in rows if LMS_FOLDER.search(r.get("box", "").rsplit("/", 1)[-1])})
    unknown = [b for b in boxes if not pids.get(int(LMS_FOLDER.search(b.rsplit("/", 1)[-1]).group(1)))]
    if not unknown or len(unknown) * 2 <= len(boxes):
        return []
    return [f"{len(unknown)} of the {len(boxes)} LMS folders have a participant number no row of the roster's "
            f"{PID_COLUMN} column has (e.g. {unknown[0]}/): the roster is another assignment's grading worksheet "
            f"(each assignment numbers its participants anew), and Moodle's upload matches rows by "
            f"{PID_COLUMN}: it would update nobody's grade here, or another assignment's -- download this "
            f"assignment's own worksheet (View all submissions, Download grading worksheet: worksheet-chN.csv, one "
            f"for each chapter's assignment) and grade with it"]


def _pid_notes(rows: list[dict], pids: dict[int, set[str]], blank: dict[int, str] | None = None,
               unknown_said: bool = False) -> list[str]:
    """A line for the LMS folders per student whose participant number the roster's
    ``PID_COLUMN`` could not place (so their full names, or the ids in their names, were
    tried instead): a number of a row whose id is empty (``blank``: {number: "line N (name)"}),
    a number no row has (a worksheet of another assignment, or of one group only), or one
    several rows with different ids share."""
    if not pids and not blank:
        return []
    unknown, shared, empty = set(), set(), {}
    for r in rows:
        last = r.get("box", "").rsplit("/", 1)[-1]
        if m := LMS_FOLDER.search(last):
            pid = int(m.group(1))
            ids = pids.get(pid, set())
            if not ids and pid in (blank or {}):
                empty[r["box"]] = blank[pid]
            elif not ids:
                unknown.add(r["box"])
            elif len(ids) > 1:
                shared.add(r["box"])
    notes = []
    if empty:
        shown = [f"{b}/ ({where})" for b, where in sorted(empty.items())]
        notes.append(f"{len(shown)} LMS folder{'s have' if len(shown) > 1 else ' has'} the participant number of a "
                     f"roster row whose id is empty ({_listed(shown, 5)}): {'their files go' if len(shown) > 1 else 'its files go'} "
                     f"by {'their' if len(shown) > 1 else 'its'} own names -- fill in the row's id and grade again")
    if unknown_said:                            # most folders: the alarm of another assignment's worksheet says it
        unknown = set()
    for boxes, what in ((unknown, "no row of the roster's"), (shared, "several rows (different ids) of the roster's")):
        if boxes:
            shown = sorted(boxes)
            notes.append(f"{len(shown)} LMS folder{'s have' if len(shown) > 1 else ' has'} a participant number "
                         f"{what} {PID_COLUMN} column has (e.g. {shown[0]}/): placed by the full name in "
                         f"{'their names' if len(shown) > 1 else 'its name'} instead, when one roster row has it "
                         f"(is the roster this assignment's grading worksheet?)")
    return notes


def _is_release(name: str) -> bool:
    """Is ``name`` (an id a file name names) the release notebook's own, ``release`` or the
    ``release-chN`` of its export's name ``answers-release-chN.json``?"""
    return name == RELEASE or re.fullmatch(re.escape(RELEASE) + r"-ch\d+", name) is not None


def _release_row(row: dict, named: set[str], owner: str | None, why: str) -> None:
    """Whose a file of nbgrader's release notebook is: it claims student ``release`` (nbgrader
    hands everyone the same notebook, so its export says so for every student), and nbgrader
    keeps each student's copy in ``submitted/ID/ASSIGNMENT/``.  The student is the one its
    folder names (``_folder_owner``: nbgrader's layout, or an LMS's per-student folder naming
    an id), else the one the file name names; the file is graded on the ``release`` variant,
    for that student.  Otherwise it is not graded (``refused``, ``unplaced``): 0 for a student
    who sent it would be wrong."""
    by_name = {n for n in named if not _is_release(n)}
    who = owner
    if who is None and len(by_name) == 1:
        who, why = next(iter(by_name)), "its file name"
    if who is not None:
        row.update(student=who, variant_of=RELEASE, owned=owner is not None)
        row["note"].append(f"nbgrader's release notebook (variant {RELEASE}), graded for {who}, named by {why}")
    else:
        row.update(student=RELEASE, unplaced=True,
                   refused=f"an answer file of nbgrader's release notebook (it claims student {RELEASE!r}) "
                           f"in no student's folder: whose it is is not known (nbgrader keeps each "
                           f"student's in submitted/ID/ASSIGNMENT/; or grade it with --student ID)")


def _fill_scores(rows: list[dict], results) -> list[str]:
    """Each row's score, maximum, attempts, notes and points per exercise from its grading
    result (or its error); the exercise ids graded, in the order met."""
    ids = []
    for row, res in zip(rows, results):
        if res[0] == "ok":
            _, score, top, attempts, rep_notes, points, text, changed, unchecked, outside, elsewhere = res
            if text and row.get("told"):        # what the student is told of their file's id (_claimed_ids)
                first, _, rest = text.partition("\n")
                text = "\n".join([first, f"  note: {row['told']}"] + ([rest] if rest else []))
            row.update(score=score, max=top, error="", attempts=attempts, feedback=text, changed=changed,
                       unchecked=unchecked, outside=outside, elsewhere=elsewhere)
            if changed:                         # the report's words are the student's: the CSV's, the instructor's
                n = len(changed)
                rep_notes = [x for x in rep_notes if _CHANGED_TOLD not in x]
                rep_notes.append(f"{n} answer{'s' if n > 1 else ''} not graded, {'their' if n > 1 else 'its'} question "
                                 f"changed since the {row.get('made', 'page')} was made ({', '.join(changed)})")
            row["note"] += rep_notes
            for ex_id, pts in points:
                row[ex_id] = pts
                if ex_id not in ids:
                    ids.append(ex_id)
        else:
            row.update(score="", max="", error=res[1], error_student=res[2])
    return ids


#: Why files were refused, as the per-file CSV's error column says it -> what to do, when many were.
_WHY_REFUSED = (
    ("on a practice page or notebook made without the course secret",
     "were answered on practice pages or notebooks, made without the course secret (the book's own pages "
     "never use one): grade them without the secret, or hand out pages or notebooks made with it "
     "(page --student ID, notebooks --secret-file)"),
    ("or on one made with a course secret",
     "were answered on pages or notebooks this grader cannot place: made with a course secret? give it with "
     "--secret-file or OP1_COURSE_SECRET"),
    (OTHER_SECRET,
     "were answered on pages or notebooks made with another course secret than the one given (no student's "
     "page has their variants under it): is --secret-file (or OP1_COURSE_SECRET) the secret they were made "
     "with?"),
    # a course id (OP1_COURSE_ID) that differs between the pages and the grader: left set in the
    # shell after ``OP1_COURSE_ID=net101 make book``, or unset where the pages were made with one
    ("made without a course id",
     f"were answered on pages or notebooks made without a course id ({COURSE_ENV} unset: the published "
     f"book's variants), and this grader grades a course's: grade them with {COURSE_ENV} unset, or hand "
     f"out pages made with it"),
    ("were given on pages or notebooks of course",
     f"were answered on pages or notebooks of another course id than this grader's: set {COURSE_ENV} to "
     f"the course they were made for (each file names it: \"course\")"),
    ("in a release notebook made without the course secret",
     "were exported by release notebooks made without the course secret: grade them without it, "
     "or hand out notebooks made with it"),
    ("in a release notebook this grader cannot place",
     "were exported by release notebooks this grader cannot place: made with a course secret? give it "
     "with --secret-file or OP1_COURSE_SECRET"),
)


def _refusals(rows: list[dict]) -> list[str]:
    """A note for each reason that refused many of the files (a forgotten or unneeded secret)."""
    notes = []
    for words, what in _WHY_REFUSED:
        n = sum(1 for r in rows if words in r.get("error", ""))
        if n and n * 4 >= len(rows):               # a quarter of the class or more
            notes.append(f"{n} of {len(rows)} files {what}")
    return notes


def _two_folders_alarm(rows: list[dict]) -> list[str]:
    """An alarm when a quarter of the files or more (three at least) were refused because two
    folders each say they are their student's: not students' doing but the class folder's -- two
    copies of the class in it (a copy of nbgrader's submitted/ made into a folder that held one,
    an export of the LMS unzipped over another layout).  Imported, the run would leave all those
    students without a grade."""
    files = [r for r in rows if r["file"]]
    two = [r for r in files if r.get("two_folders")]
    if len(two) < 3 or len(two) * 4 < len(files):
        return []
    r = two[0]
    boxes = [LMS_FOLDER.search(b.rsplit("/", 1)[-1]) for b in r["two_folders"]]
    if all(boxes):                              # an LMS's folders: its downloads, not a copy of nbgrader's
        numbers = [m.group(1) for m in boxes]
        return [f"{len(two)} of {len(files)} files were refused because two folders each say they are one "
                f"student's (e.g. {', '.join(f'{b}/' for b in r['two_folders'])} for {r['student']}): two "
                f"assignments' downloads unzipped into one folder (participant numbers "
                f"{', '.join(numbers[:-1])} and {numbers[-1]})? Unzip each assignment's download into a folder of "
                f"its own (submissions-chN/) and grade it with that assignment's worksheet (worksheet-chN.csv)"]
    return [f"{len(two)} of {len(files)} files were refused because two folders each say they are one "
            f"student's (e.g. {', '.join(f'{b}/' for b in r['two_folders'])} for {r['student']}): the class "
            f"folder holds two copies of the class's folders -- a copy made into a folder that existed? "
            f"(cp -r submitted COPY, run again while COPY exists, copies into COPY/submitted/); grade a "
            f"folder that holds each student's folder once (a new copy for each chapter: rm -rf COPY-chNN "
            f"&& cp -r submitted COPY-chNN)"]


_BELONGS = re.compile(r"^this answer file belongs to student '([^']+)', not to '([^']+)'")


def _id_alarms(rows: list[dict], roster: list[str], nbgrader: bool) -> list[str]:
    """Alarms when the class's files and the ids they are graded for do not meet: a quarter of the
    files or more (three at least) refused as exported under an id that is no classmate's (no
    row's student: not a copy, the kind of id the class wrote -- logins, where nbgrader's folders
    are the hub's user names, email addresses), or, with a ``roster``, graded for students it does
    not have (the roster's column is not the one holding the ids of the files and folders).
    Either way every such student gets no score: importing the run would import nothing for them."""
    files = [r for r in rows if r["file"]]
    students = {str(r["student"]).lower() for r in files}
    odd = [(r, m.group(1), m.group(2)) for r in files
           if (m := _BELONGS.match(r.get("error") or "")) and m.group(1).lower() not in students]
    alarms = []
    n = len(odd)
    if n >= 3 and n * 4 >= len(files):
        r, claimed, owner = odd[0]
        where = r["file"].rsplit("/", 1)[0] + "/" if "/" in r["file"] else r["file"]
        alarms.append(
            f"{n} of {len(files)} files were refused as exported under an id that is no classmate's (e.g. "
            f"{claimed!r} in {where}, graded for {owner!r}): the students wrote another kind of id than the one "
            f"their files are graded for -- "
            + ("nbgrader hands a student's work in under their hub user name (submitted/ID/), the id the "
               "notebook's MY_ID must be; to grade these files as they are, grade a copy whose folders are "
               "renamed to the ids the files name, with a roster of those ids" if nbgrader else
               "each student exports under the id they are graded for (their folder's, or the roster's)"))
    if roster:
        on = set(roster)
        stray = sorted({str(r["student"]) for r in files if r.get("score", "") != "" and r["student"] not in on})
        graded = {str(r["student"]) for r in files if r.get("score", "") != ""}
        if len(stray) >= 3 and len(stray) * 4 >= len(graded):
            alarms.append(f"{len(stray)} of the {len(graded)} students graded are not on the roster (e.g. "
                          f"{stray[0]!r}): give --roster-column the roster's column holding the ids the files are "
                          f"graded for" + (" (nbgrader's folder names, the hub's user names: 'Email address' where "
                                           "those are emails)" if nbgrader else ""))
    return alarms


#: How many files without fingerprints the run's line names (student and file).
UNCHECKED_NAMED = 10


def _changed_notes(rows: list[dict]) -> tuple[list[str], list[str]]:
    """(notes, alarms): one line naming how many answers were not graded because their question
    changed since their page was made (``fingerprint``), and of which exercises; one saying how
    many files carry no fingerprints.  A quarter of the files or more with changed questions is an
    alarm: the class was graded with another version of the book than the one it answered."""
    graded = [r for r in rows if r["file"] and r.get("score", "") != ""]
    per = Counter(k for r in graded for k in r.get("changed") or ())
    notes, alarms = [], []
    if per:
        files = sum(1 for r in graded if r.get("changed"))
        n = sum(per.values())
        made = {r.get("made", "page") for r in graded if r.get("changed")}     # made_by: page, notebook
        one = " or ".join(sorted(made))
        advice = changed_advice(r.get("built") for r in graded if r.get("changed"))
        line = (f"{n} answer{'s' if n > 1 else ''} in {files} file{'s' if files > 1 else ''} not graded, the question "
                f"changed since the {one} was made: " + ", ".join(f"{k} ({c})" for k, c in per.items())
                + (f": {advice}" if advice else
                   f": re-issue those exercises, or grade with the version of the book the "
                   f"{' and '.join(m + 's' for m in sorted(made))} came from")
                + " (the per-file CSV leaves their cells empty)")
        for r in graded:
            if r.get("changed") and (said := changed_advice([r.get("built")])):
                r["note"].append(f"question changed: {said}")
        notes.append(line)
        if files * 4 >= len(graded):            # a quarter of the class or more: the wrong version
            alarms.append(line)
    old = [r for r in graded if r.get("unchecked")]
    if old:
        n, many = len(old), len(old) > 1
        named = "; ".join(f"{r['student']} ({r['file']})" for r in old[:UNCHECKED_NAMED])
        if n > UNCHECKED_NAMED:
            named += f"; and {n - UNCHECKED_NAMED} more (the per-file CSV's note column says which)"
        notes.append(f"{n} file{'s' if many else ''} carr{'y' if many else 'ies'} no question fingerprints, "
                     f"written by hand or exported by pages or notebooks of an older version of the book: {named}: "
                     f"{'their' if many else 'its'} answers were graded on this version's questions, so an answer "
                     f"right on the student's page is marked wrong here if its question changed since; ask "
                     f"{'those students' if many else 'the student'} which version of the book they answered on, "
                     f"and grade {'those files' if many else 'that file'} again with it (the instructor guide's "
                     f"\"One version of the book\")")
    return notes, alarms


def _skipped_by_folder(skipped: list[str], folder: Path, roster, names, pids,
                       nbgrader: bool = False) -> dict[str, list[str]]:
    """{student: the skipped files (paths from ``folder``) in their per-student folder}, as
    ``_folder_owner`` places a file: nbgrader's submitted/ID/, an LMS folder of one roster row, a
    folder named after one ``roster`` id."""
    owners = _by_lower(set(roster))
    out: dict[str, list[str]] = {}
    for x in skipped:
        owner = _folder_owner(folder / x, folder, owners, names, pids, nbgrader)[0]
        if owner is not None:
            out.setdefault(owner, []).append(x)
    return out



#: What a roster student's row without a score says of it.
NO_SCORE = "no score (--lms-file keeps their cell as it was; an empty score imported may clear a grade)"


def _unscored(sid: str, note: str, top="", report: str = "") -> dict:
    """A roster student's row with no score and why (``top``: the maximum the others are graded
    out of; ``report``: what the student is told, when it names no one else): no 0 written
    over their grade -- ``--lms-file`` keeps their cell as it was."""
    row = {"student": sid, "file": "", "score": "", "submitted_at": "", "max": top, "error": "",
           "attempts": "", "note": [note]}
    if report:
        row["report"] = report
    return row

def _skipped_report(files: list[str]) -> str:
    """What a student whose only files were skipped (not ``*.json``) is told: for each, what to do
    with it -- a ``.json.txt`` renamed back to ``.json``, a zip unzipped -- and what to send."""
    said = []
    for x in files:
        name = x.rsplit("/", 1)[-1]
        low = name.lower()
        if low.endswith(".json.txt"):
            said.append(f"{name}: not graded: its name ends in .txt, which the grader does not read: rename it to "
                        f"{name[:-4]} (remove the .txt your computer added; with file extensions shown) and "
                        f"send it again")
        elif low.endswith(".zip"):
            said.append(f"{name}: not graded: it is a zip archive: unzip it and send the answers-ID.json inside "
                        f"(the file your page's export button downloaded, as it is)")
        else:
            said.append(f"{name}: not graded: the grader reads the answer file your page's or notebook's export "
                        f"button writes, answers-ID.json, as it is; send that file")
    return "\n".join(said)


def _roster_rows(rows: list[dict], expected: list[str], named_in_files: set[str], chapter: int | None,
                 maxima: set, skipped: list[str] = (), skipped_by: dict[str, list[str]] | None = None,
                 leave_out=()) -> None:
    """Notes on students with several files or not on the roster, and a row (score 0) for
    each student on the roster who sent nothing (out of the graded rows' ``maxima`` when
    they share one) -- no score, rather than 0, for one whose name a skipped file bears
    (``answers-s175.txt``), or whose own folder holds only skipped files (``skipped_by``:
    nbgrader's submitted/ID/ with the notebook but not the answer file its last cell exports):
    no 0 over their work (``--lms-file`` keeps their cell as it was), and a report saying why."""
    per_student = Counter(r["student"] for r in rows)
    on_roster = set(expected)
    for row in rows:
        who = row["student"]
        if per_student[who] > 1:
            others = [r["file"] for r in rows if r["student"] == who and r is not row]
            row["note"].append(f"{who} has another file: {', '.join(others)}")
        if expected and who not in on_roster and who in named_in_files:
            row["note"].append(f"{who} is not on the roster")
    # files graded for an id the roster doesn't have (built once: the roster may be thousands)
    strays = [r for r in rows if r["file"] and r["student"] not in on_roster]
    # a student's own LMS folder the roster could not place, holding only files refused as another's
    unknown_boxes = sorted({r["box"] for r in rows if r.get("box") and not r.get("owned") and "refused" in r
                            and LMS_FOLDER.search(r["box"].rsplit("/", 1)[-1])})
    unplaced = [r["file"] for r in rows if r.get("unplaced")]
    top = len(graded_ids(chapter, leave_out)) if chapter else (next(iter(maxima)) if len(maxima) == 1 else "")
    for sid in expected:
        if sid not in per_student and unplaced:
            # a release notebook's file in no student's folder may be theirs: 0 could be wrong
            rows.append(_unscored(sid, f"no file of theirs found, but {len(unplaced)} file{'s' if len(unplaced) > 1 else ''} "
                                  f"of nbgrader's release notebook could not be placed ({', '.join(unplaced[:3])}"
                                  f"{', ...' if len(unplaced) > 3 else ''}): {NO_SCORE}", top))
            continue
        if sid not in per_student:
            misnamed = [r["file"] for r in rows if sid in r.get("named", ())]
            in_folder = (skipped_by or {}).get(sid, [])
            notebooks = [x for x in in_folder if x.lower().endswith(".ipynb")]
            if notebooks:
                # the work is there, its answers not exported: a 0 imported would overwrite it
                rows.append(_unscored(sid, f"notebook handed in without its exported answers: {', '.join(notebooks)} "
                                      f"(its last cell writes the answer file; the student runs it before "
                                      f"nbgrader submit): {NO_SCORE} -- grade the notebook by hand, or by nbgrader's score", top,
                                      f"{notebooks[0].rsplit('/', 1)[-1]}: your notebook was handed in without "
                                      f"its exported answers (run its last cell after your last change, then "
                                      f"submit): not graded yet"))
                continue
            theirs = in_folder + [x for x in skipped if x not in in_folder and (
                _names(Path(x).stem, {sid}) or _names(Path(x).parent.name, {sid}))]
            if theirs:
                rows.append(_unscored(sid, f"no answer file graded: {', '.join(theirs)} "
                                      f"{'were' if len(theirs) > 1 else 'was'} skipped (not a *.json "
                                      f"answer file); {NO_SCORE}", top,
                                      _skipped_report(theirs)))
                continue
            # a file graded for an id the roster doesn't have, whose name names this student or
            # whose id is theirs but for leading zeros (a spreadsheet strips them): probably theirs,
            # typed under another id -- no score, so that no 0 is written over their work
            maybe = [r for r in strays if sid in r.get("mentions", ()) or (isinstance(r["student"], str)
                                                                          and r["student"].lstrip("0") == sid.lstrip("0"))]
            if maybe:
                rows.append(_unscored(sid, f"no file under this id, but {', '.join(r['file'] for r in maybe)} (graded as "
                                      f"{', '.join(sorted({str(r['student']) for r in maybe}))}, not on the roster) "
                                      f"may be theirs: {NO_SCORE}. If it "
                                      f"is, they worked under that id (its variants): put it on the roster "
                                      f"for them and grade again", top))
                continue
            # told as a graded file's report is ("student ID: score / max", which a run again
            # replaces in the LMS's feedback column): an empty comment next to a 0 explains nothing
            told = (f"student {sid}: 0" + (f" / {top}" if top != "" else "")
                    + f"\n  no answer file received" + (f" for chapter {chapter}" if chapter else ""))
            rows.append({"student": sid, "file": "", "score": 0, "submitted_at": "", "max": top,
                         "error": "", "attempts": "", "feedback": told, "note": ["no answer file" + (
                             f" of their own ({', '.join(misnamed)} is another student's)" if misnamed else "")
                             + (f"; files in LMS folders the roster places for no one were refused ("
                                + ", ".join(f"{b}/" for b in unknown_boxes[:3])
                                + (", ..." if len(unknown_boxes) > 3 else "")
                                + "): if one is theirs, it holds another student's file" if unknown_boxes else "")]})


def grade_folder(folder, chapter: int | None = None, roster=None, secret: str | None = None,
                 jobs: int | None = 1, progress: bool | None = None, feedback: bool = False,
                 roster_column: str | None = None, max_attempts: int | None = None,
                 roster_name_columns: str | None = None, assignment: str | None = None,
                 leave_out=()) -> ClassGrades:
    """Grade every ``*.json`` in ``folder``; with a ``roster`` (a file of ids), a row for
    each student who sent nothing; a CSV roster's participant numbers (``roster_pids``: Moodle's
    grading worksheet's ``PID_COLUMN``), else its names (``roster_names``:
    ``roster_name_columns``, else Moodle's columns) say whose an LMS folder per student is.
    ``jobs``: worker processes (1: none, this process grades; None, as the command line gives:
    ``jobs_default`` of the number of files); ``progress``: a progress bar on standard error (default: when it
    is a terminal).  In nbgrader's ``submitted/ID/ASSIGNMENT/`` (``nbgrader_layout``) only the
    folders of ``assignment`` are read (default with a ``chapter``: ``chNN``, the name
    ``notebooks`` gives it; neither: the one assignment there, and two or more are refused).
    ``leave_out``: exercises not graded (``grade``), out of every maximum."""
    try:
        chapter = check_chapter(chapter)
    except ExerciseError as e:
        raise GradeError(str(e)) from None
    leave_out = check_leave_out(leave_out, chapter)
    secret = secret_for("", secret)              # the environment's, read once here
    folder, course = _nbgrader_course(Path(folder))
    check_one_copy(folder)
    layout, nbgrader = nbgrader_layout(folder) if folder.is_dir() else (False, False)
    if assignment is not None and not layout:
        raise GradeError(f"--assignment {assignment} names an nbgrader assignment, and {folder} is not nbgrader's "
                         f"submitted/ folder (ID/ASSIGNMENT/timestamp.txt): give --class nbgrader's submitted/ "
                         f"folder, or a copy of it")
    if assignment is None and chapter is not None and layout:
        assignment = f"ch{chapter:02d}"         # as notebooks names it: source/ch06/
    files, notes, skipped = _answer_files(folder, nbgrader, assignment, layout)
    notes = course + notes
    if leave_out:                               # once for the class; each report says it to its student
        kept = graded_ids(chapter, leave_out) if chapter else []
        notes.append(f"left out of grading (--leave-out): {', '.join(leave_out)}, whose answers are not read"
                     + (f"; the scores are out of {len(kept)}, chapter {chapter}'s other exercises "
                        f"({', '.join(kept)})" if chapter else ""))
    good, bad = roster_ids(roster, roster_column) if roster else ([], [])
    if bad and _many_bad(bad, good):            # not a column of ids: nothing to grade by
        raise bad_ids_error(roster, roster_column, bad, good)
    spelled = {sid.lower(): sid for sid in good}
    notes += roster_notes(roster, roster_column, roster_name_columns) if roster else []
    names = roster_names(roster, roster_column, roster_name_columns) if roster else {}
    pids = roster_pids(roster, roster_column) if roster else {}
    uids = roster_canvas_ids(roster, roster_column) if roster else {}
    expected = list(spelled)                    # the roster's ids, as the exercises know them
    loaded = []                                 # (file, data or the GradeError that reading it gave)
    for f in files:
        try:
            loaded.append((f, load_answers(f, f.name)))     # an error names the file, not its folders
        except GradeError as e:
            loaded.append((f, e))
    if chapter is not None:                     # a wrong --chapter would give every student 0
        answered = {BANK[k].chapter for f, d in loaded if isinstance(d, dict) and isinstance(d.get("answers"), dict)
                    for k in d["answers"] if k in BANK}
        if answered and chapter not in answered:
            raise GradeError(f"no answer file in {folder} answers chapter {chapter} (they answer chapter"
                             f"{'s' if len(answered) > 1 else ''} {', '.join(map(str, sorted(answered)))}): "
                             f"check --chapter")
    named_in_files = {d["student"].lower() for f, d in loaded if isinstance(d, dict)
                      and isinstance(d.get("student"), str) and STUDENT_RE.match(d["student"])}
    known = set(expected) | named_in_files
    rows = _whose(loaded, known, folder, expected, names, pids, uids, nbgrader)
    if roster:
        notes += _claimed_ids(rows, loaded, *roster_aliases(roster, roster_column))
    if bad:
        notes.append(_bad_rows(rows, loaded, roster, roster_column, bad, good))
    late = [f"{r['student']} ({r['file']})" for r in rows if r.get("canvas_late")]
    if late:
        n = len(late)
        notes.append(f"{n} file{'s' if n > 1 else ''} Canvas marked LATE in {'their names' if n > 1 else 'its name'}, "
                     f"submitted after the due date: {_listed(late)} (the per-file CSV's note says it; "
                     f"submitted_at is the file's own export time, which the student can edit)")
    notes += _identical(rows, loaded)
    if chapter is not None:
        _other_chapters(rows, loaded, chapter)
    bar = _progress(len(loaded), progress)
    if jobs is None:
        jobs = jobs_default(len(loaded))
    try:
        results = _graded([(row.get("variant_of", row["student"]),
                            GradeError(row["refused"], row.get("refused_student")) if "refused" in row
                            else data, row["student"])
                           for row, (f, data) in zip(rows, loaded)],
                          jobs,
                          {"chapter": chapter, "secret": secret, "known": known, "feedback": feedback,
                           "max_attempts": max_attempts, "roster": set(expected), "leave_out": leave_out}, bar)
    finally:
        if bar is not None:
            bar.close()
    for row, (f, data) in zip(rows, loaded):
        row["made"] = made_by(data)
    ids = _fill_scores(rows, results)
    notes += _same_export(rows, loaded)
    stamped = sum(1 for r in rows if r.get("stamped"))
    if stamped:
        notes.append(f"submitted_at of {stamped} file{'s' if stamped > 1 else ''} in nbgrader's submitted/ID/"
                     f"ASSIGNMENT/: nbgrader's timestamp.txt there (when the student submitted), not the "
                     f"file's exported time (the student's own clock)")
    alarms = _two_folders_alarm(rows) + _refusals(rows)
    notes += alarms
    id_alarms = _id_alarms(rows, expected, layout)
    notes += id_alarms
    alarms += id_alarms
    changed_notes, changed_alarms = _changed_notes(rows)
    notes += changed_notes
    outside = sum(1 for r in rows if r.get("outside"))
    if outside:                                 # once for the class, not in every row and report
        notes.append(f"{outside} file{'s' if outside > 1 else ''} also hold{'' if outside > 1 else 's'} answers of "
                     f"other chapters than chapter {chapter} (an export of the book's pages carries every chapter "
                     f"answered in that browser): not graded, and not said in the rows or the reports")
    alarms += changed_alarms
    unplaced = [r["file"] for r in rows if r.get("unplaced")]
    if unplaced:
        notes.append(f"{len(unplaced)} file{'s' if len(unplaced) > 1 else ''} of nbgrader's release notebook "
                     f"(student {RELEASE!r}) in no student's folder, e.g. {unplaced[0]}: not graded, and "
                     f"no score for the roster's students who sent nothing -- grade nbgrader's submitted/ "
                     f"folder, where each is in submitted/ID/ASSIGNMENT/")
    release = [r for r in rows if r.get("variant_of") == RELEASE and r["score"] != ""]
    if release and not layout:
        # outside nbgrader's submitted/: a course that handed out per-student pages may have no
        # release notebook at all, and then such a file is no export of its course's work
        n = len(release)
        notes.append(f"{n} file{'s' if n > 1 else ''} of nbgrader's release notebook (student {RELEASE!r}: one "
                     f"variant, the same for every student) graded, e.g. {release[0]['file']} for "
                     f"{release[0]['student']}: if your course handed out no release notebook, "
                     f"{'they were' if n > 1 else 'it was'} not made for "
                     f"{'these students' if n > 1 else 'this student'}; the note column says which")
    if expected and expected[0] in HEADER_WORDS and expected[0] not in named_in_files \
            and not any(expected[0] in r["named"] for r in rows):
        notes.append(f"the roster's first id {spelled[expected[0]]!r} looks like its column's name, not a "
                     f"student: it has a row (take that line out of the roster)")
    worksheet_alarm = _other_worksheet(rows, pids)
    notes += _pid_notes(rows, pids, _pids_without_id(roster, roster_column) if roster else {}, bool(worksheet_alarm))
    notes += worksheet_alarm
    alarms += worksheet_alarm
    unnamed, unplaced_alarms = _unnamed_folders(rows, names, pids, roster_column, bool(expected))
    unplaced_alarms += _flat_download(rows, uids)
    loose = sorted(r["file"] for r in rows if "box" not in r and not r.get("canvas"))
    lms = any(LMS_FOLDER.search(r.get("box", "").rsplit("/", 1)[-1]) for r in rows)
    if loose and (lms or layout):
        # an LMS download, or nbgrader, puts every upload in a per-student folder: these were put here by hand
        who = "the LMS's" if lms else "nbgrader's ID/ASSIGNMENT/"
        notes.append(f"{len(loose)} file{'s are' if len(loose) > 1 else ' is'} in no per-student folder beside "
                     f"{who} folders (e.g. {loose[0]}): {'the LMS' if lms else 'nbgrader'} did not place "
                     f"{'them' if len(loose) > 1 else 'it'}, so {'each goes' if len(loose) > 1 else 'it goes'} by "
                     f"its name, or the id it claims")
    notes += unnamed + unplaced_alarms
    alarms += unplaced_alarms
    maxima = {r["max"] for r in rows if r["max"] != ""}
    _roster_rows(rows, expected, named_in_files, chapter, maxima, skipped,
                 _skipped_by_folder(skipped, folder, expected, names, pids, nbgrader), leave_out)
    if len(maxima) > 1:
        notes.append(f"rows are graded out of different maximums ({', '.join(map(str, sorted(maxima)))}): "
                     f"each file is graded on the chapters it answers; give --chapter N to grade one chapter")
    return ClassGrades(rows, ids, notes, expected, spelled, alarms,
                       roster_participants(roster, roster_column, roster_name_columns) if roster else {},
                       roster_participant_gaps(roster, roster_column) if roster else {})


def grade_class(folder, chapter: int | None = None, roster=None, secret: str | None = None,
                jobs: int = 1, progress: bool | None = None) -> tuple[str, list[str]]:
    """Every ``*.json`` in ``folder`` -> (CSV, notes).  The CSV has a row per file -- student,
    file, submitted_at, score, max, attempts, error, note, one column per exercise -- and, with a
    ``roster`` (a file of ids), a row for each student who sent nothing.  The notes are
    what concerns no row: entries skipped, rows with different maximums."""
    g = grade_folder(folder, chapter, roster, secret, jobs, progress)
    return g.csv(), g.notes


# -- writing answer files -----------------------------------------------------------------------------

def answer_file(student: str, answers: dict, chapter: int | None = None, secret: str | None = None,
                attempts: dict | None = None, variants: dict | None = None, exported: str | None = None,
                refused: dict | None = None, fingerprints: dict | bool = True, course: str | None = None) -> dict:
    """The answer file for ``answers`` ({id: answer}), tagged with the student's variants
    (computed with ``secret``, or taken from ``variants``), the questions answered
    (``fingerprints``: {id: fingerprint}, an id without one written without; True: this
    version's questions of the student's own variants; False: none, as a page made before
    fingerprints wrote the file) and ``attempts`` ({id: n});
    ``exported``: when it is written (ISO 8601 UTC; default now); ``refused``: {id: (the
    answer as text, why it could not be written)}, graded as refused; ``course``: the course id the
    variants are of (None: ``$OP1_COURSE_ID``), named in the file when there is one, as a page of
    that course names it."""
    if isinstance(student, str) and STUDENT_RE.match(student):
        student = student.lower()               # ids are case-insensitive (check_student)
    secret = secret_for(student, secret)
    out = {}
    for k, v in answers.items():
        rec = {"answer": v, "variant": (variants or {}).get(k) or variant_salt(student, k, secret)}
        fp = _question_of(student, k, secret, rec["variant"]) if fingerprints is True else \
            (fingerprints or {}).get(k)
        if fp:
            rec["fingerprint"] = fp
        if attempts and attempts.get(k):
            rec["attempts"] = attempts[k]
        out[k] = rec
    for k, (given, why) in (refused or {}).items():
        rec = {"refused": why, "given": given, "variant": (variants or {}).get(k) or variant_salt(student, k, secret)}
        if attempts and attempts.get(k):
            rec["attempts"] = attempts[k]
        out[k] = rec
    if exported is None:
        exported = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    d = {"format": FORMAT, "version": 1, "student": student, "exported": exported, "answers": out}
    if chapter is not None:
        d["chapter"] = chapter
    course = course_for(course)
    if course and student != BOOK_STUDENT:
        d["course"] = course
    return d


def _question_of(student, ex_id, secret: str, variant) -> str | None:
    """The fingerprint of this version's question ``ex_id`` for ``student`` if ``variant`` is theirs
    (None: not an exercise, not a student id, another variant)."""
    try:
        if ex_id not in BANK or variant != variant_salt(student, ex_id, secret):
            return None
        return instance(ex_id, student, secret, grading=True).fingerprint
    except (StudentError, ExerciseError, TypeError):
        return None


def write_answer_file(path, data: dict) -> str:
    """Write ``data`` as JSON to ``path`` in one piece: into a temporary file that replaces
    ``path`` only once complete, so a failed export never leaves a truncated file."""
    text = json.dumps(data, indent=1) + "\n"      # fails before anything is written
    return str(atomic_write(path, text))


# -- what copying scores -----------------------------------------------------------------------

def copy_share(ex_id: str, secret: str = "", course: str = "") -> float:
    """The share of ordered pairs of two different variants of ``ex_id``'s pool in which the first
    variant's right answer (its key's) is right for the second too: what a blind copy of a
    classmate's right answer scores when the two have different variants.  Small answer spaces
    (a choice of two, a few settings) make it large."""
    if ex_id not in BANK:
        raise ExerciseError(f"unknown exercise {ex_id!r}: the bank has {', '.join(BANK)}")
    from .bank import _instance, pool_instance
    judges = [_instance(ex_id, member_name(k, course), secret, True) for k in range(POOL)]
    # a configuration's grading instance has no key (its judge runs the choice): the page's has
    keys = [j.answer if j.answer not in ("", None) else pool_instance(ex_id, k, course, secret).answer
            for k, j in enumerate(judges)]
    hits = sum(judges[b].check(keys[a])[0] for a in range(POOL) for b in range(POOL) if a != b)
    return hits / (POOL * (POOL - 1))


def copied_marks(ex_id: str, secret: str = "", course: str = "") -> float:
    """The expected share of ``ex_id``'s mark a student gets by handing in a classmate's right
    answer as their own: the two share the variant with chance 1/``POOL`` (right), else the answer
    is right with ``copy_share``."""
    return 1 / POOL + (1 - 1 / POOL) * copy_share(ex_id, secret, course)


# -- sheets -------------------------------------------------------------------------------------

def sheet(student: str, chapter: int | None = None, key: bool = False, secret: str | None = None) -> list[dict]:
    student = check_student(student)
    check_chapter(chapter)
    return [(instance(k, student, secret).key() if key else instance(k, student, secret).public())
            for k in chapter_ids(chapter)]


HOW_TO_ANSWER = """\
## How to answer

{where} Check each answer
there and press *Export my answers*: it downloads `answers-{student}.json`; send
that file. {not_there}

You may also write the answer file by hand (UTF-8 JSON):

```json
{{"format": "1+1<1 answers", "version": 1, "student": "{student}",
 "answers": {{{example}}}}}
```

One entry per exercise id (the id is in each title). A choice as written in the
list (`if2`, `reset`, `about 2000 kbit/s`); a count as a whole number in digits
(`16`); a percentage as a number (`33`, `33.5` or `33,5`); an address and port
as `address:port`; settings as `setting=value; setting=value` (a repair may give
just the setting it changes).
"""


def _example(items: list[dict]) -> str:
    """The answers of the sheet's hand-written example: up to four of the sheet's own exercises
    (one of each answer form first), each with an answer of the asked form -- the form, not the
    answer (a repair's changes one setting of the broken router)."""
    picked, forms = [], set()
    for it in items:
        if it["form"] not in forms:
            forms.add(it["form"])
            picked.append(it)
    picked += [it for it in items if it not in picked]
    out = []
    for it in picked[:4]:
        if it.get("choices"):
            value = it["choices"][0]
        elif it["form"] == "int":
            value = 12
        elif it["form"] == "percent":
            value = 33
        elif it["form"] == "endpoint":
            value = "10.0.0.1:6000"
        elif it.get("start"):
            k, vals = next((k, vals) for k, vals in it["options"].items()
                           if any(str(v).lower() != str(it["start"][k]).lower() for v in vals))
            value = f"{k}={next(v for v in vals if str(v).lower() != str(it['start'][k]).lower())}".lower()
        else:
            value = "; ".join(f"{k}={vals[0]}" for k, vals in it["options"].items()).lower()
        out.append(f"{json.dumps(it['id'])}: {json.dumps(value)}")
    return ",\n             ".join(out)


def sheet_markdown(student: str, chapter: int | None = None, key: bool = False, secret: str | None = None) -> str:
    student = check_student(student)
    items = sheet(student, chapter, key, secret)
    title = "Solution key" if key else "Exercise sheet"
    out = [f"# {title} for student `{student}`" + (f", chapter {chapter}" if chapter else ""), "",
           "Every answer is computed by the simulator (`sim.run`) for this student's variant."
           + (" Grade with `python -m sim.exercises grade`." if key else ""), ""]
    if not key:
        if secret_for(student, secret):         # the course's own variants: not the book's
            where = ("Answer on **your own variant**, on the HTML page your instructor made for you, "
                     "which shows this sheet's variants.")
            not_there = ("The book's chapters show practice variants, made without your course's secret: "
                         f"answers given there are not accepted for `{student}`.")
        else:
            where = (f"Answer on **your own variant**: in the book's chapters, once you have entered "
                     f"your student id `{student}` (each exercise asks for it; the browser keeps it), "
                     f"or on the HTML page your instructor made for you -- the two show the "
                     f"same variants.")
            not_there = (f"Answers given before you entered your id (the book's own example) are not "
                         f"accepted for `{student}`.")
        out += [HOW_TO_ANSWER.format(student=student, where=where, not_there=not_there, example=_example(items))]
    current = None
    for n, it in enumerate(items, 1):
        if it["chapter"] != current:
            current = it["chapter"]
            out += [f"## Chapter {current}", ""]
        out += [f"### {n}. {it['title']} (`{it['id']}`, {it['kind']}"
                + (", needs Python" if it.get("needs_python") else "") + ")", "",
                it["prompt"] + (" " + where_to_run("sheet", True) if it.get("needs_python") else ""), ""]
        if it.get("context"):
            out += [context_title(it["kind"]), "", "```"] + it["context"] + ["```", ""]
        if it.get("choices"):
            out += ["Choices: " + " · ".join(f"`{c}`" for c in it["choices"]), ""]
        if it.get("options"):
            if it.get("start"):
                out += ["Broken setting: " + ", ".join(f"`{k}={v}`" for k, v in it["start"].items()), ""]
            out += ["Settings: " + "; ".join(f"`{k}` one of " + ", ".join(f"`{v}`" for v in vals)
                                             for k, vals in it["options"].items()), ""]
        if it["form"] in ("int", "percent") and not key:
            out += ["Answer: " + ("a whole number." if it["form"] == "int" else "a percentage."), ""]
        if key:
            acc = it["accepted"]
            shown = (it["answer"] if it["form"] not in ("int", "percent") or len(acc) == 1
                     else f"{it['answer']} (accepted {acc[0]}..{acc[-1]})")
            out += [f"**Answer:** `{shown}`", ""]
            if it["form"] == "config" and len(acc) > 1:
                out += ["Also accepted: " + " · ".join(f"`{a}`" for a in acc[1:]), ""]
            out += [f"**Why:** {it['explanation']}", ""]
            if it.get("reveal"):
                out += [REVEAL_TITLE, "", "```"] + it["reveal"] + ["```", ""]
        call = it["run"].get("call") or f"sim.run({it['run']['scenario']!r}, **{it['run']['params']!r})"
        out += [f"Reproduce: `{call}`"
                + (" (`your_choice`: a dict of the settings you chose)" if "your_choice" in call else ""), ""]
    return "\n".join(out)
