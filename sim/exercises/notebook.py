"""nbgrader-compatible assignment notebooks, one per chapter, generated from the bank.

``write_notebooks(out)`` writes ``out/source/chNN/chNN-exercises.ipynb``: the
*source* version nbgrader expects (``nbgrader generate_assignment chNN`` strips
what lies between ``### BEGIN SOLUTION``/``### END SOLUTION`` and the hidden
tests).  nbgrader hands every student the same notebook, so a notebook carries
one variant (``student``, default ``release``); per-student variants go through
``sheet``/``page`` and ``grade``.  Answers in the solution cells were computed by
the simulator when the notebook was generated; the hidden tests call the same
checker as the page and the grader.
"""
from __future__ import annotations

import json
from pathlib import Path

from .bank import BANK, ExerciseError, chapter_ids, instance

CHAPTERS = {2: "The route table and the route cache", 3: "Connection-level multipath", 4: "Equalize",
            5: "NAT", 6: "Equalize meets NAT", 7: "ICMP", 8: "What real kernels did",
            9: "Modern Linux: hash multipath", 10: "Making two links work"}


def _var(ex_id: str) -> str:
    return "answer_" + ex_id.replace("-", "_")


def _cell(kind: str, source: str, grade_id: str, *, solution=False, grade=False, locked=True, points=0) -> dict:
    meta = {"nbgrader": {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                         "solution": solution, "task": False}}
    if grade:
        meta["nbgrader"]["points"] = points
    c = {"cell_type": kind, "metadata": meta, "source": source}
    if kind == "code":
        c.update(execution_count=None, outputs=[])
    return c


def _literal(inst) -> str:
    if inst.form == "config":
        d = dict(p.split("=", 1) for p in inst.answer.split(";"))
        return repr({k: {"true": True, "false": False}.get(v, v) for k, v in d.items()})
    if inst.form == "int":
        return inst.answer
    return repr(inst.answer)


def chapter_notebook(chapter: int, student: str = "release") -> dict:
    ids = chapter_ids(chapter)
    if not ids:
        raise ExerciseError(f"no exercises in chapter {chapter}")
    cells = [
        _cell("markdown", f"# Chapter {chapter}: {CHAPTERS.get(chapter, '')} -- exercises\n\n"
              "Every answer is checked against the simulator. Put each answer in the variable named in its "
              "cell; `Check` buttons below each question give immediate feedback when a kernel runs. "
              "The last cell writes your answers as a file the grader accepts.", f"ch{chapter}-intro"),
        _cell("code", "import sys\nfrom pathlib import Path\n"
              "for d in [Path.cwd(), *Path.cwd().parents]:   # find the repository with the simulator\n"
              "    if (d / 'sim' / '__init__.py').exists():\n        sys.path.insert(0, str(d))\n        break\n"
              "import sim\nfrom sim.exercises import Exercise, export_answers, instance\n"
              f"STUDENT = {student!r}   # the variant this notebook was released with", f"ch{chapter}-setup"),
    ]
    for ex_id in ids:
        inst = instance(ex_id, student)
        var = _var(ex_id)
        form = {"choice": f"one of {inst.choices!r}", "endpoint": f"one of {inst.choices!r} ('address:port')",
                "int": "a whole number",
                "config": "a dict " + repr({k: v[0] for k, v in inst.options.items()}) + " with your choice"}[inst.form]
        md = [f"## {inst.title} (`{ex_id}`, {inst.kind})", "", inst.prompt, ""]
        if inst.context:
            md += ["Replay up to the question:", "", "```"] + inst.context + ["```", ""]
        if inst.options:
            md += ["Settings: " + "; ".join(f"`{k}` one of " + ", ".join(f"`{v}`" for v in vals)
                                            for k, vals in inst.options.items()), ""]
            if inst.start:
                md += ["Broken router: " + ", ".join(f"`{k}={v}`" for k, v in inst.start.items()), ""]
        md += [f"Reproduce with the simulator: `{inst.run['call']}`"
               + (" (`your_choice`: a dict of your settings)" if inst.form == "config" else ""), ""]
        md += [f"Write your answer as `{var}`: {form}."]
        cells.append(_cell("markdown", "\n".join(md), f"{ex_id}-prompt"))
        cells.append(_cell("code", f"Exercise({ex_id!r}, student=STUDENT).widget()", f"{ex_id}-widget"))
        cells.append(_cell("code", f"### BEGIN SOLUTION\n# computed by the simulator: "
                           f"{inst.run['call']}\n"
                           f"{var} = {_literal(inst)}\n### END SOLUTION",
                           f"{ex_id}-answer", solution=True, locked=False))
        cells.append(_cell("code", f"assert {var} is not None, 'answer {ex_id} first'\n"
                           f"### BEGIN HIDDEN TESTS\nassert instance({ex_id!r}, STUDENT).check({var})[0]\n"
                           f"### END HIDDEN TESTS", f"{ex_id}-test", grade=True, points=1))
    cells.append(_cell("code", "answers = {k[len('answer_'):].replace('_', '-'): v for k, v in dict(globals()).items()\n"
                       "           if k.startswith('answer_')}\n"
                       "from sim.exercises import answer_file\nimport json\n"
                       f"with open(f'answers-{{STUDENT}}-ch{chapter}.json', 'w') as f:\n"
                       f"    json.dump(answer_file(STUDENT, answers, chapter={chapter}), f, indent=1)",
                       f"ch{chapter}-export"))
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def write_notebooks(out, chapter: int | None = None, student: str = "release") -> list[str]:
    chapters = [chapter] if chapter is not None else sorted({s.chapter for s in BANK.values()})
    paths = []
    for ch in chapters:
        d = Path(out) / "source" / f"ch{ch:02d}"
        d.mkdir(parents=True, exist_ok=True)
        nb = chapter_notebook(ch, student)
        for k, c in enumerate(nb["cells"]):
            c["id"] = f"c{k:03d}"
        p = d / f"ch{ch:02d}-exercises.ipynb"
        p.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
        paths.append(str(p))
    return paths
