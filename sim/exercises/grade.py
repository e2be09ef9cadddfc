"""Sheets, keys and grading.

An answer file is what the page's export button and the notebook's
``export_answers()`` write::

    {"format": "1+1<1 answers", "version": 1, "student": "alice", "chapter": 4,
     "answers": {"eq-next": {"answer": "if2", "variant": "3f0c..."},
                 "eq-speed": "about 2000 kbit/s",
                 "two-links-config": {"answer": {"multipath": "numgen", "equalize": false, "nat": "snat"}}}}

``variant`` (optional) is the salt of the page the answer was given on; it
tells the grader when a student answered another student's variant.  The
grader recomputes every answer with the simulator: it trusts nothing in the file.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from .bank import BANK, chapter_ids, instance
from .model import salt_for
from .variants import StudentError, check_student

FORMAT = "1+1<1 answers"


class GradeError(ValueError):
    """An answer file the grader can't use; the message says why, in one line."""


@dataclass
class Report:
    student: str
    score: float
    max: int
    items: list[dict] = field(default_factory=list)   # {id, chapter, points, answer, feedback}

    def text(self) -> str:
        out = [f"student {self.student}: {self.score:g} / {self.max}"]
        for it in self.items:
            mark = "right" if it["points"] else ("no answer" if it["answer"] is None else "wrong")
            out.append(f"  [{mark}] {it['id']} (chapter {it['chapter']}): answer {it['answer']!r}")
            out.extend("      " + line for line in it["feedback"].splitlines() if line.strip())
        return "\n".join(out)


def load_answers(path: str | Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise GradeError(f"can't read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise GradeError(f"{path} is not a UTF-8 text file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise GradeError(f"{path} is not JSON ({e.msg} at line {e.lineno}): export the answers "
                         f"with the page's or the notebook's export button") from None
    return data


def _unwrap(v):
    if isinstance(v, dict) and "answer" in v:
        return v["answer"], v.get("variant")
    return v, None


def grade(student: str, data: dict, chapter: int | None = None) -> Report:
    """Grade one student's answer data (a parsed answer file)."""
    try:
        check_student(student)
    except StudentError as e:
        raise GradeError(str(e)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("answers"), dict):
        raise GradeError(f"not an answer file: expected a JSON object with \"format\": \"{FORMAT}\" "
                         f"and an \"answers\" object")
    owner = data.get("student")
    if owner != student:
        raise GradeError(f"this answer file belongs to student {owner!r}, not {student!r}")
    answers = data["answers"]
    unknown = sorted(k for k in answers if k not in BANK)
    if unknown:
        raise GradeError(f"unknown exercise {unknown[0]!r} in the answer file: the bank has {', '.join(BANK)}")
    for k, v in answers.items():
        _, variant = _unwrap(v)
        if variant is not None and variant != salt_for(student, k):
            raise GradeError(f"the answer to {k!r} was given on another student's variant, not {student!r}'s: "
                             f"answer on your own page (…?student={student})")
    if chapter is None:
        chapter = data.get("chapter")
    if chapter is not None and not isinstance(chapter, int):
        raise GradeError(f"\"chapter\" must be a chapter number, got {chapter!r}")
    if chapter is not None:
        ids = chapter_ids(chapter)
        if not ids:
            raise GradeError(f"no exercises in chapter {chapter}: chapters are "
                             f"{', '.join(map(str, sorted({s.chapter for s in BANK.values()})))}")
    else:
        chapters = sorted({BANK[k].chapter for k in answers})
        if not chapters:
            raise GradeError("the answer file has no answers")
        ids = [k for c in chapters for k in chapter_ids(c)]
    rep = Report(student, 0, len(ids))
    for ex_id in ids:
        inst = instance(ex_id, student)
        if ex_id not in answers:
            rep.items.append({"id": ex_id, "chapter": inst.chapter, "points": 0, "answer": None,
                              "feedback": "no answer"})
            continue
        ans, _ = _unwrap(answers[ex_id])
        ok, feedback = inst.check(ans)
        rep.items.append({"id": ex_id, "chapter": inst.chapter, "points": int(ok), "answer": ans,
                          "feedback": feedback})
        rep.score += int(ok)
    return rep


def grade_file(student: str, path, chapter: int | None = None) -> Report:
    return grade(student, load_answers(path), chapter)


def grade_class(folder, chapter: int | None = None) -> str:
    """Every ``*.json`` in ``folder`` -> CSV: student, file, score, max, error, one column per exercise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradeError(f"{folder} is not a folder")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise GradeError(f"no *.json answer files in {folder}")
    rows, ids = [], []
    for f in files:
        row = {"file": f.name}
        try:
            data = load_answers(f)
            student = data.get("student") if isinstance(data, dict) else None
            row["student"] = student if isinstance(student, str) else f.stem
            rep = grade(row["student"], data, chapter)
            row.update(score=rep.score, max=rep.max, error="")
            for it in rep.items:
                row[it["id"]] = it["points"]
                if it["id"] not in ids:
                    ids.append(it["id"])
        except GradeError as e:
            row.setdefault("student", f.stem)
            row.update(score="", max="", error=str(e))
        rows.append(row)
    order = [k for k in BANK if k in ids]
    buf = io.StringIO()
    w = csv.DictWriter(buf, ["student", "file", "score", "max", "error"] + order, extrasaction="ignore",
                       lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow(row)
    return buf.getvalue()


def answer_file(student: str, answers: dict, chapter: int | None = None) -> dict:
    """The answer file for ``answers`` ({id: answer}), tagged with the student's variants."""
    d = {"format": FORMAT, "version": 1, "student": student,
         "answers": {k: {"answer": v, "variant": salt_for(student, k)} for k, v in answers.items()}}
    if chapter is not None:
        d["chapter"] = chapter
    return d


# -- sheets -------------------------------------------------------------------------------------

def sheet(student: str, chapter: int | None = None, key: bool = False) -> list[dict]:
    check_student(student)
    if chapter is not None and not chapter_ids(chapter):
        raise GradeError(f"no exercises in chapter {chapter}: chapters are "
                         f"{', '.join(map(str, sorted({s.chapter for s in BANK.values()})))}")
    return [(instance(k, student).key() if key else instance(k, student).public()) for k in chapter_ids(chapter)]


def sheet_markdown(student: str, chapter: int | None = None, key: bool = False) -> str:
    items = sheet(student, chapter, key)
    title = "Solution key" if key else "Exercise sheet"
    out = [f"# {title} for student `{student}`" + (f", chapter {chapter}" if chapter else ""), "",
           "Every answer is computed by the simulator (`sim.run`) for this student's variant. "
           + ("Answer in the book's pages (export the answers) or write an answer file; "
              f"`python -m sim.exercises grade --student {student} answers.json` grades it."
              if not key else "Grade with `python -m sim.exercises grade`."), ""]
    current = None
    for n, it in enumerate(items, 1):
        if it["chapter"] != current:
            current = it["chapter"]
            out += [f"## Chapter {current}", ""]
        out += [f"### {n}. {it['title']} (`{it['id']}`, {it['kind']})", "", it["prompt"], ""]
        if it.get("context"):
            out += ["Replay up to the question:", "", "```"] + it["context"] + ["```", ""]
        if it.get("choices"):
            out += [f"Choices: " + " · ".join(f"`{c}`" for c in it["choices"]), ""]
        if it.get("options"):
            if it.get("start"):
                out += ["Broken setting: " + ", ".join(f"`{k}={v}`" for k, v in it["start"].items()), ""]
            out += ["Settings: " + "; ".join(f"`{k}` one of " + ", ".join(f"`{v}`" for v in vals)
                                             for k, vals in it["options"].items()), ""]
        if key:
            acc = it["accepted"]
            shown = it["answer"] if it["form"] != "int" or len(acc) == 1 else f"{it['answer']} (accepted {acc[0]}..{acc[-1]})"
            out += [f"**Answer:** `{shown}`", ""]
            if it["form"] == "config" and len(acc) > 1:
                out += ["Also accepted: " + " · ".join(f"`{a}`" for a in acc[1:]), ""]
            out += [f"**Why:** {it['explanation']}", ""]
            if it.get("reveal"):
                out += ["The step, revealed:", "", "```"] + it["reveal"] + ["```", ""]
        call = it["run"].get("call") or f"sim.run({it['run']['scenario']!r}, **{it['run']['params']!r})"
        out += [f"Reproduce: `{call}`"
                + (" (`your_choice`: a dict of the settings you chose)" if "your_choice" in call else ""), ""]
    return "\n".join(out)
