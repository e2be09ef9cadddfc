"""nbgrader-compatible assignment notebooks, one per chapter, generated from the bank.

``write_notebooks(out)`` writes ``out/source/chNN/chNN-exercises.ipynb``: the
*source* version nbgrader expects (``nbgrader generate_assignment chNN`` strips
what lies between ``### BEGIN SOLUTION``/``### END SOLUTION`` and the hidden
tests).  nbgrader hands every student the same notebook, so a notebook carries
one variant (``student``, default ``release``) -- or, made ``per_student``, every
variant of each exercise's pool: the student writes their id in the cell after the
first (``SHEET.use``), gets their variants, and the export names them -- made without a
course secret, the practice variants the book's pages give that id; made with one, the
course's (those of the student's page made with it), which the book's pages never show.  Answers in the solution cells were computed by the simulator
when the notebook was generated (``student``'s).

The notebook holds its exercises *sealed* (``NotebookSheet``): prompts and
choices, and the page's salted hashes and encrypted explanations -- no answer in
plain text and no course secret.  Its Check buttons and hidden tests run the
page's checker in Python (``model.open_sealed``), so they work in a student's
kernel even when the notebook was made with a course secret.  The notebook
still imports ``sim`` (the checker and the widgets): its first code cell finds
an installed ``sim``, else the repository in ``OP1_REPO``, above the notebook,
or in the folder given as ``repo`` when it was generated (none by default: a
released notebook names no folder of the instructor's machine), and says what to
do when there is none.
"""
from __future__ import annotations

import base64
import json
import math
import os
import re
import textwrap
import zlib
from pathlib import Path

from .._io import atomic_write
from .._needs import live_install_line
from .bank import chapter_ids, chapters, check_chapter, instance, pool_instance, where_to_run
from .html import _widget, record
from .model import SCALARS, context_title, open_sealed, resolve, sealed_fingerprint, short
from .variants import POOL, STUDENT_RE, course_for, pool_index, secret_for

CHAPTERS = {2: "The route table and the route cache", 3: "Connection-level multipath", 4: "Equalize",
            5: "NAT", 6: "Equalize meets NAT", 7: "ICMP", 8: "What real kernels did",
            9: "Modern Linux: hash multipath", 10: "Making two links work"}
REPO = Path(__file__).resolve().parent.parent.parent      # the repository these notebooks are generated from


def _var(ex_id: str) -> str:
    return "answer_" + ex_id.replace("-", "_")


# -- what runs in the student's kernel ------------------------------------------------------------

class SealedExercise:
    """One exercise of a notebook, checked without the simulator or the answer."""

    def __init__(self, data: dict, sheet: "NotebookSheet"):
        self.data, self.sheet = data, sheet

    def check(self, answer) -> tuple[bool, str]:
        """(right?, feedback), counted as an attempt (unless not an answer of the expected form)."""
        ok, text, self._opened = open_sealed(self.data, answer)
        d = self.data
        if not self.resolve(answer)[1]:
            record(self.sheet.checked, d["id"], answer, ok, d["salt"], sealed_fingerprint(d))
        return ok, text

    def verify(self, answer) -> bool:
        """Right? -- not counted as an attempt."""
        return open_sealed(self.data, answer)[0]

    def verdict(self, answer) -> tuple[bool, str]:
        """(right?, why) -- what the hidden test asks, not counted as an attempt: its ``why``
        is the message nbgrader's feedback shows for a wrong or refused answer."""
        ok, text, _ = open_sealed(self.data, answer)
        return ok, text

    def resolve(self, answer) -> tuple[str, str]:
        """``(canonical answer, "")``, or ``("", why this is not an answer to this exercise)``: the
        grader's reading (``model.Instance.resolve``, the same ``model.resolve`` of the same question)."""
        d = self.data
        return resolve(answer, form=d["form"], kind=d["kind"], choices=d.get("choices", ()),
                       options=d.get("options"), start=d.get("start"))

    def canonical(self, answer) -> str:
        """``answer`` as the checker compares it ('' when it is no answer of the asked form)."""
        return self.resolve(answer)[0]

    def hand_in(self, answer) -> str:
        """The line that hands ``answer`` in: ``answer_ID = <answer as Python>``."""
        value = answer
        if self.data["form"] in ("int", "percent") and isinstance(answer, str):
            try:
                value = int(answer.strip())
            except ValueError:
                try:
                    value = float(answer.strip())
                except ValueError:
                    pass
        return f"{_var(self.data['id'])} = {value!r}"

    def widget(self):
        """The Check box: the question is in the Markdown above it (``NotebookSheet.show`` or
        the question's cell), so the box carries its title only.  A right check says what to
        write in the answer cell: the box itself is not handed in."""
        d = self.data

        def check(answer):
            ok, text = self.check(answer)
            if ok:
                text += (f" -- to hand it in, write `{self.hand_in(answer)}` in the answer cell below and "
                         f"run it: the variable, not this box, is what the last cell exports")
            return ok, text
        return _widget(d["title"], "", [], d["form"], d.get("choices", []),
                       d.get("options", {}), d.get("start", {}), check,
                       lambda: getattr(self, "_opened", {}).get("reveal"))


class NoStudent(ValueError):
    """A per-student notebook without a usable student id: one line in the notebook (IPython
    shows ``_render_traceback_`` instead of a traceback)."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class NotebookSheet:
    """The sealed exercises of one generated notebook (``NotebookSheet.load(blob)``): one
    variant of each (``student``), or, in a per-student notebook, every variant of each
    exercise's pool, of which ``use(student id)`` picks the student's own."""

    def __init__(self, data: dict):
        self.chapter, self.course = data["chapter"], data.get("course", "")
        self.checked: dict[str, dict] = {}      # id -> {"answer", "attempts", "right", "variant"}
        # a per-student notebook: {id: the pool's sealed variants}, none shown before use()
        self.pool = {d["id"]: d["variants"] for d in data["exercises"] if "variants" in d}
        if self.pool:
            self.student, self.exercises = None, {}
        else:
            self.student = data["student"]
            self.exercises = {d["id"]: SealedExercise(d, self) for d in data["exercises"]}

    def use(self, student) -> None:
        """Show ``student``'s own variants (a per-student notebook): the members of the pools the
        notebook carries that ``variants.pool_index`` gives that id (the book's pages pick the same
        member, of their own pool: the same variant when the notebook was made without a course
        secret), which the export then names."""
        if not self.pool:
            raise NoStudent(f"this notebook carries one variant, {self.student}'s: it takes no student id")
        if student is None:
            raise NoStudent("MY_ID is not set: write your student id as MY_ID = '...' in this cell, in place of "
                            "what nbgrader left there, and run it")
        if not isinstance(student, str) or not STUDENT_RE.match(student.strip()):
            raise NoStudent(f"MY_ID is {short(student)}: write your student id between the quotes -- 1-64 ASCII "
                            f"letters, digits, '_', '.', '@', '+' or '-', starting with a letter or digit")
        student = student.strip().lower()          # ids are case-insensitive (variants.check_student)
        if student != self.student:
            self.checked.clear()                   # Check presses on another id's variants don't count
        self.student = student
        self.exercises = {k: SealedExercise(v[pool_index(student, k, self.course)], self) for k, v in self.pool.items()}
        print(f"the exercises below are student {student}'s variants")
        self._warn_id()

    def _warn_id(self) -> None:
        """A line when the id is not the hub's user name (on a JupyterHub: nbgrader keeps what a
        student submits in submitted/HUB-USER/, and the grader grades the file there for that id,
        an email address too when the hub's user names are), or, off a hub, when it looks like an
        email address: the variants and the export are that id's, and the grader refuses them for
        the student's own id.  None when the id is the hub's user name.  Not while nbgrader runs
        the notebook (its autograde runs on the instructor's account)."""
        if not (self.pool and self.student) or os.environ.get("NBGRADER_EXECUTION"):
            return
        hub = os.environ.get("JUPYTERHUB_USER", "").strip().lower()
        if hub == self.student:
            return
        if hub:
            print(f"warning: MY_ID is {self.student!r}, and you are logged in to this hub as {hub!r}: nbgrader "
                  f"hands in your work under the name {hub!r}, so write MY_ID = {hub!r} -- answers exported under another id "
                  f"are not accepted for yours (if your course gave you an id other than your hub user name, "
                  f"ignore this)")
        elif "@" in self.student:
            print(f"warning: MY_ID {self.student!r} looks like an email address: write your id as your course's "
                  f"roster has it (your login, unless your course's ids are email addresses) -- answers given "
                  f"under another id are not accepted for yours")

    def _need_student(self) -> None:
        if self.pool and self.student is None:
            raise NoStudent("no student id yet: write yours as MY_ID in the cell under the first code cell, "
                            "and run that cell")

    def show(self, ex_id: str):
        """The question of ``ex_id`` in this student's variant as Markdown -- the prompt, the trace
        it rests on, the settings, the simulator call, the answer's form: saved with the
        notebook's output, so nbgrader's feedback, its formgrader and a notebook reopened
        without its widgets show what was asked -- and its Check box."""
        ex = self[ex_id]
        from IPython.display import Markdown, display
        display(Markdown("\n".join(_question_md(ex.data, title=False))))
        return ex.widget()

    @classmethod
    def load(cls, blob: str) -> "NotebookSheet":
        return cls(json.loads(zlib.decompress(base64.b64decode("".join(blob.split())))))

    @staticmethod
    def dump(data: dict) -> str:
        return base64.b64encode(zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 9)).decode()

    def __getitem__(self, ex_id: str) -> SealedExercise:
        self._need_student()
        return self.exercises[ex_id]

    def export(self, answers: dict, path: str | None = None) -> str:
        """Write ``answers`` ({exercise id: answer}; None: not answered) as the answer file the
        grader accepts, in one piece (a failed export leaves no truncated file).  An answer that
        no file can hold (a list, a set: not text, a number or a dict of settings) is recorded as
        refused, with why, and the others are written: the grader marks that one refused.
        The file holds the variables' answers, never the Check boxes': a question checked in its
        box but empty in ``answers``, or holding another answer than the one checked, gets a line
        saying so and what to write.  The counts of Check presses are this kernel's, else those an
        earlier export of the same answer recorded (a restarted kernel, nbgrader's validate)."""
        from .grade import _unwrap, answer_file, item_lines, unread_item, write_answer_file
        self._need_student()
        given, refused, unsaid, attempts = {}, {}, [], {}
        for ex_id, value in answers.items():
            if ex_id not in self.exercises:
                raise KeyError(f"{ex_id!r} is not an exercise of this notebook: {', '.join(self.exercises)}")
            rec, ex = self.checked.get(ex_id), self.exercises[ex_id]
            if rec and rec["attempts"]:
                attempts[ex_id] = rec["attempts"]
            if value is None:
                if rec:                         # checked in its box, never written as its variable
                    unsaid.append(f"{_var(ex_id)} is empty, though you checked {short(rec['answer'])} in its "
                                  f"Check box ({'right' if rec['right'] else 'not right'}): the box is not "
                                  f"handed in -- write `{ex.hand_in(rec['answer'])}` (or your answer) in its "
                                  f"answer cell, run it, and run this cell again")
                continue
            flat = isinstance(value, dict) and all(isinstance(v, SCALARS) for v in value.values())
            if not (isinstance(value, SCALARS) or flat):
                refused[ex_id] = (short(value), f"{_var(ex_id)} must be text, a number or a dict of settings, "
                                                f"not {short(value)}")
                continue
            # nan and inf (float('nan'), 0 * inf, a failed computation): JSON has no such number, and
            # the grader refuses a whole file holding one -- so refused here, this answer alone
            odd = [v for v in (value.values() if flat else (value,))
                   if isinstance(v, float) and not math.isfinite(v)]
            if odd:
                refused[ex_id] = (short(value), f"{_var(ex_id)} must be a finite number, not {short(odd[0])}")
                continue
            if rec and ex.canonical(value) != ex.canonical(rec["answer"]):
                unsaid.append(f"{_var(ex_id)} is {short(value)}, not the answer you "
                              f"{'checked right' if rec['right'] else 'last checked'} in its Check box, "
                              f"{short(rec['answer'])}: the file holds {short(value)}, the variable's -- if "
                              f"{short(rec['answer'])} is your answer, write `{ex.hand_in(rec['answer'])}` in its "
                              f"answer cell, run it, and run this cell again")
                if not rec["right"]:            # an answer given after that many wrong checks
                    attempts[ex_id] = rec["attempts"] + 1
            given[ex_id] = value
        path = path or f"answers-{self.student}-ch{self.chapter}.json"
        variants = {k: d.data["salt"] for k, d in self.exercises.items()}
        # the counts an earlier export of these very answers recorded, which a run without the
        # checks (a restarted kernel, nbgrader's validate) would otherwise drop
        try:
            before = json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).is_file() else {}
        except (OSError, ValueError):               # not an answer file of ours: rewritten, no counts kept
            before = {}
        if isinstance(before, dict) and before.get("student") == self.student \
                and isinstance(before.get("answers"), dict):
            for k, value in given.items():
                old = before["answers"].get(k)
                if k not in attempts and isinstance(old, dict) and old.get("variant") == variants[k] \
                        and isinstance(old.get("attempts"), int) and "answer" in old \
                        and self.exercises[k].canonical(old["answer"]) == self.exercises[k].canonical(value):
                    attempts[k] = old["attempts"]
        data = answer_file(self.student, given, chapter=self.chapter, variants=variants,
                           # the questions this notebook asked (none in one made before fingerprints)
                           fingerprints={k: sealed_fingerprint(d.data) for k, d in self.exercises.items()},
                           attempts=attempts, refused=refused, course=self.course)
        write_answer_file(path, data)
        # each answer read as the grader will read it -- from the file's JSON, by the same reading
        # (model.resolve) -- and, when it cannot be read as an answer of the asked form, the line
        # the grader's report will give it: written all the same (graded as refused, as it would be
        # anyway), said now, while it can still be corrected; whether a readable one is right is not said
        written = json.loads(json.dumps(data["answers"]))
        unread = []                                 # (the grader's lines) for each unreadable answer
        for k in given:
            ans, _, tries = _unwrap(written[k])
            problem = self.exercises[k].resolve(ans)[1]
            if problem:
                unread.append(item_lines(unread_item(k, self.chapter, ans, problem, tries)))
        bad = len(unread)
        print(f"wrote {path}: {len(given)} of {len(self.exercises)} answers"
              + (f", {bad} of which the grader cannot read as {'they are' if bad > 1 else 'it is'} (graded as "
                 f"refused, no points: correct {'them' if bad > 1 else 'it'} and run this cell again) -- its "
                 f"report will say:" if bad else ""))
        unread = [line for lines in unread for line in lines]
        for line in unread:
            print(line)
        for line in unsaid:
            print("warning: " + line)
        self._warn_id()
        for _, why in refused.values():
            print(f"not exported, graded as refused: {why} -- correct it and run this cell again")
        return path


# -- generating the notebooks -----------------------------------------------------------------------

def _cell(kind: str, source: str, grade_id: str, *, solution=False, grade=False, locked=True, points=0) -> dict:
    meta = {"nbgrader": {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                         "solution": solution, "task": False}}
    if grade:
        meta["nbgrader"]["points"] = points
    c = {"cell_type": kind, "metadata": meta, "source": source}
    if kind == "code":
        c.update(execution_count=None, outputs=[])
    return c


def _question_md(d: dict, title: bool = True) -> list[str]:
    """One exercise's question as Markdown lines, from its public data (``Instance.public``);
    ``title=False``: without its heading (the cell above the question has it)."""
    ex_id, var = d["id"], _var(d["id"])
    choices, options = d.get("choices"), d.get("options") or {}
    form = {"choice": f"one of {choices!r}", "endpoint": f"one of {choices!r} ('address:port')",
            "int": "a whole number", "percent": "a percentage (a number, e.g. 33)",
            # (each setting's options, not an example dict: the first options, written as one,
            # read as an answer to copy)
            "config": "a dict with one value for each setting: {" + ", ".join(
                f"{k!r}: one of {v!r}" for k, v in options.items()) + "}"}[d["form"]]
    where = where_to_run("notebook", bool(d.get("needs_python")))
    md = ([f"## {d['title']} (`{ex_id}`, {d['kind']})", ""] if title else []) + [
        d["prompt"] + (" " + where if where else ""), ""]
    if d.get("context"):
        md += [context_title(d["kind"]), "", "```"] + d["context"] + ["```", ""]
    if options:
        md += ["Settings: " + "; ".join(f"`{k}` one of " + ", ".join(f"`{v}`" for v in vals)
                                        for k, vals in options.items()), ""]
        if d.get("start"):
            md += ["Broken router: " + ", ".join(f"`{k}={v}`" for k, v in d["start"].items()), ""]
    md += [f"Reproduce with the simulator: `{d['run']['call']}`"
           + (" (`your_choice`: a dict of your settings)" if d["form"] == "config" else ""), ""]
    md += [f"Write your answer as `{var}` in the cell below: {form} (what the Check box says is not "
           f"handed in: the variable is)."]
    return md


def _literal(inst) -> str:
    if inst.form == "config":
        d = dict(p.split("=", 1) for p in inst.answer.split(";"))
        return repr({k: {"true": True, "false": False}.get(v, v) for k, v in d.items()})
    if inst.form in ("int", "percent"):
        return inst.answer
    return repr(inst.answer)


SETUP = '''\
import os, sys
from pathlib import Path
try:
    import sim                        # installed: {install}
except ModuleNotFoundError:           # else the repository: $OP1_REPO{where}
    _repo = next((Path(d) for d in [os.environ.get("OP1_REPO"), *[Path.cwd(), *Path.cwd().parents]{repo}]
                  if d and (Path(d) / "sim" / "__init__.py").exists()), None)
    if _repo is None:
        raise ModuleNotFoundError("this notebook needs the simulator of '1 + 1 < 1' (the package `sim`): "
                                  "install it with everything its widgets need (" + {install!r} + "), "
                                  "or set OP1_REPO to its folder before starting Jupyter") from None
    sys.path.insert(0, str(_repo))
    import sim
from sim.exercises.notebook import NotebookSheet

# this notebook's exercises, sealed: the answers only as salted hashes, as on the book's pages
SHEET = NotebookSheet.load("""
{blob}
""")
{student_line}'''

ID_CELL = '''\
# your student id, between quotes, on the line below in place of what is there: on a JupyterHub,
# your hub user name (nbgrader hands your work in under it: an email address if the hub's user
# names are), else your id as your course's roster has it -- for example
#     MY_ID = 'jsmith'
# then run this cell: the exercises below are then your own variants, and the last cell exports your
# answers under this id
### BEGIN SOLUTION
MY_ID = {student!r}
### END SOLUTION
SHEET.use(globals().get("MY_ID"))'''


def _sealed(inst) -> dict:
    return dict(inst.public(), **inst.sealed(svg=False), hint=inst.hint, id=inst.ex_id)


def sealed_sheet(chapter: int, student: str = "release", secret: str | None = None,
                 per_student: bool = False) -> dict:
    """What ``NotebookSheet`` loads: the chapter's exercises for ``student``, public and sealed;
    ``per_student``: every variant of each exercise's pool instead (the course's, made with
    ``secret``), of which the notebook shows each student theirs."""
    check_chapter(chapter)
    if per_student:
        course, secret = course_for(None), secret_for("", secret)
        return {"student": None, "chapter": chapter, "course": course, "exercises": [
            {"id": k, "variants": [_sealed(pool_instance(k, i, course, secret)) for i in range(POOL)]}
            for k in chapter_ids(chapter)]}
    return {"student": student, "chapter": chapter, "exercises": [
        _sealed(instance(k, student, secret)) for k in chapter_ids(chapter)]}


def stub_raises(out) -> bool:
    """Does the stub nbgrader's ``generate_assignment`` puts in each answer cell raise, as the course
    folder ``out``'s ``nbgrader_config.py`` sets it?  True without the file or without a
    ``ClearSolutions.code_stub`` line (nbgrader's default stub, ``raise NotImplementedError()``), or
    with one that names it; False for a stub that does not (the guide's ``# YOUR ANSWER HERE``)."""
    try:
        text = (Path(out) / "nbgrader_config.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    sets = [m.start() for m in re.finditer(r"(?m)^[ \t]*c\.ClearSolutions\.code_stub\b", text)]
    if not sets:
        return True
    rest = text[sets[-1]:]                      # the last one set wins: to the next setting
    nxt = re.search(r"(?m)^[ \t]*c\.", rest[1:])
    return "NotImplementedError" in rest[:nxt.start() + 1 if nxt else len(rest)]


def chapter_notebook(chapter: int, student: str = "release", secret: str | None = None,
                     repo: str | None = None, per_student: bool = False, raises: bool = True) -> dict:
    """The chapter's notebook for ``student``; ``repo``: a folder its first cell also looks for
    the simulator in (None: only ``$OP1_REPO`` and the folders above the notebook -- a
    notebook handed to students carries no path of the machine it was made on).
    ``per_student``: the notebook carries every variant of the pool, and each student enters
    their id in the cell after the first (its solution, and the solution cells', are
    ``student``'s).  ``raises``: nbgrader's stub in a blank answer cell raises (``stub_raises``), and
    the notebook says to delete it; False: the course's stub does not, and it says nothing of it."""
    check_chapter(chapter)
    ids = chapter_ids(chapter)
    keyed = bool(secret_for("", secret))
    insts = [instance(k, student, secret) for k in ids]
    blob = "\n".join(textwrap.wrap(NotebookSheet.dump(sealed_sheet(chapter, student, secret, per_student)), 100))
    cells = [
        _cell("markdown", f"# Chapter {chapter}: {CHAPTERS.get(chapter, '')} -- exercises\n\n"
              "Every answer is checked against the simulator. Below each question, its `Check` button gives "
              "immediate feedback; **what is handed in is the answer cell under it** (the variable named there, "
              "`answer_...`), not the Check box: once a check says *Right*, write that answer in the answer cell "
              "(the check says what to write) and run it. The last cell exports what the variables hold, and "
              "names each question checked in its box but left empty in its cell. "
              + ("Write your student id as `MY_ID` in the cell under the first code cell and run it: the "
                 "exercises are then your own variants"
                 + (" for this course (the book's pages show other, practice variants: answer these here)"
                 if keyed else " (the ones the book's pages give your id)")
                 + ", and your answers are exported under your id.\n\n" if per_student else "")
              + "The last cell writes your answers as a file the grader accepts: **run it after your last "
              "change, before you submit** (`nbgrader submit`, or *Submit* in the Assignments tab). "
              "The grade is read from that file: a notebook handed in without it is not graded, and one "
              "handed in with an older one is graded on the older answers.\n\n"
              + ("**A question you leave blank**: if its answer cell still holds `raise NotImplementedError()`, "
                 "delete that line (or write `answer_... = None`). *Run All* stops at the first cell that raises "
                 "an error, so the cells below it -- the last one, which exports your answers, among them -- "
                 "would not run; if it stopped, run the last cell on its own.\n\n" if raises else
                 "**A question you leave blank** is no answer: leave its answer cell as it is, and the last "
                 "cell still exports the others.\n\n")
              + "The first code cell needs the simulator (the package `sim` of *1 + 1 < 1*): it is found when "
              "installed (`" + live_install_line() + "`), or in the folder named by the environment "
              "variable `OP1_REPO`.", f"ch{chapter}-intro"),
        _cell("code", SETUP.format(repo=f", {str(repo)!r}" if repo else "",
                                   where=", above this notebook, or where it was made" if repo
                                   else " or above this notebook",
                                   blob=blob, install=live_install_line(),
                                   student_line="" if per_student else
                                   "STUDENT = SHEET.student   # the variant this notebook was released with\n"),
                   f"ch{chapter}-setup"),
    ]
    if per_student:
        cells.append(_cell("code", ID_CELL.format(student=student), f"ch{chapter}-student",
                           solution=True, locked=False))
    for inst in insts:
        ex_id, var = inst.ex_id, _var(inst.ex_id)
        if per_student:                         # the question is the student's variant: shown by show()
            md = [f"## {inst.title} (`{ex_id}`, {inst.kind})", "",
                  f"Your variant of this question is shown below, once the cell with your student id "
                  f"(`MY_ID`) has run. Write your answer as `{var}` in the answer cell under its Check box: "
                  f"that cell, not the box, is handed in."]
            cells.append(_cell("markdown", "\n".join(md), f"{ex_id}-prompt"))
            cells.append(_cell("code", f"SHEET.show({ex_id!r})", f"{ex_id}-widget"))
        else:
            cells.append(_cell("markdown", "\n".join(_question_md(dict(inst.public(), id=ex_id))), f"{ex_id}-prompt"))
            cells.append(_cell("code", f"SHEET[{ex_id!r}].widget()", f"{ex_id}-widget"))
        cells.append(_cell("code", f"# your answer, as the variable {var}, on the line below in place of what is there"
                           + (f";\n# left blank, delete a line `raise NotImplementedError()` (Run All would stop here)\n"
                              if raises else " (left blank: no answer)\n")
                           + f"### BEGIN SOLUTION\n# computed by the simulator: "
                           f"{inst.run['call']}\n"
                           f"{var} = {_literal(inst)}\n### END SOLUTION",
                           f"{ex_id}-answer", solution=True, locked=False))
        # the message of a failed test is what nbgrader's feedback shows the student: the answer
        # missing, or why this one is wrong or is no answer of the asked form
        # the visible part only says (a failed assert would stop Run All before the export cell);
        # the hidden tests, which autograde puts back, fail
        missing = f"no answer to {ex_id}: give {var} a value in the cell above"
        cells.append(_cell("code", f"if globals().get({var!r}) is None:\n    print({missing.replace(':', ' yet:', 1)!r})\n"
                           f"### BEGIN HIDDEN TESTS\nassert globals().get({var!r}) is not None, {missing!r}\n"
                           f"_ok, _why = SHEET[{ex_id!r}].verdict({var})\n"
                           f"assert _ok, _why\n### END HIDDEN TESTS", f"{ex_id}-test", grade=True, points=1))
    pick = ",\n".join(f"    {k!r}: globals().get({_var(k)!r})" for k in ids)
    cells.append(_cell("code", f"# your answers, as a file for the grader "
                       f"(answers-{'ID' if per_student else student}-ch{chapter}.json):\n"
                       f"# run this cell after your last change, before you submit -- the grade is read from it;\n"
                       f"# it writes what the variables answer_... hold, not what the Check boxes were given\n"
                       f"SHEET.export({{\n{pick},\n}})", f"ch{chapter}-export"))
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _is_checkout(folder: Path) -> bool:
    """Is ``folder`` a checkout of this project: the simulator's package and the book's source?"""
    return (folder / "sim" / "exercises" / "__init__.py").is_file() and (folder / "_config.yml").is_file()


def checkout_holding(out) -> Path | None:
    """The checkout of this project -- the repository, which is also the book's source -- that the
    folder ``out`` would be inside, symlinks followed: the one this ``sim`` runs from (not an
    installed copy), or any found above ``out``; None if none.  A course folder there puts the
    course's notebooks, and later its students' submissions, among the files git and ``make book``
    see."""
    real = Path(os.path.realpath(os.path.expanduser(str(out))))
    found = [REPO] if _is_checkout(REPO) else []
    found += [d for d in real.parents if _is_checkout(d)]
    for repo in found:
        root = Path(os.path.realpath(repo))
        if real == root or root in real.parents:
            return repo
    return None


def write_notebooks(out, chapter: int | None = None, student: str = "release", secret: str | None = None,
                    repo: str | None = None, per_student: bool = False) -> list[str]:
    check_chapter(chapter)
    paths = []
    for ch in ([chapter] if chapter is not None else chapters()):
        d = Path(out) / "source" / f"ch{ch:02d}"
        d.mkdir(parents=True, exist_ok=True)
        nb = chapter_notebook(ch, student, secret, repo, per_student, stub_raises(out))
        for k, c in enumerate(nb["cells"]):
            c["id"] = f"c{k:03d}"
        p = d / f"ch{ch:02d}-exercises.ipynb"
        atomic_write(p, json.dumps(nb, indent=1) + "\n")
        paths.append(str(p))
    return paths
