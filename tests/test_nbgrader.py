"""The exercise notebooks through real nbgrader: its own ``generate_assignment`` and
``autograde`` on chapter 6's generated notebook, a right and a wrong submission, the
scores read from nbgrader's gradebook (its ``Gradebook`` API), and the release without
the solutions or the hidden tests.

nbgrader comes with the ``dev`` extra (pyproject.toml).  Outside CI a Python without it
skips this test with the reason; under ``CI=true`` (``make test``) it fails instead."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.exercises.bank import chapter_ids, instance
from sim.exercises.notebook import _var
from sim.exercises.variants import SECRET_ENV
from test_exercises import ROOT, wrong_answer

CHAPTER = 6
ASSIGNMENT = f"ch{CHAPTER:02d}"
NOTEBOOK = f"ch{CHAPTER:02d}-exercises.ipynb"

try:
    from nbgrader.api import Gradebook
except ImportError as e:                         # pragma: no cover - nbgrader is in the dev extra
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise ImportError(f"nbgrader is missing ({e}): pip install -r requirements.txt (its dev extra)") from None
    pytest.skip(f"nbgrader is not installed ({e}): pip install -r requirements.txt", allow_module_level=True)


# nbgrader runs `alembic` (its database migrations) from PATH: the one beside this Python
BIN = str(Path(sys.executable).parent)


def nbgrader(course: Path, *args):
    """Run nbgrader's own command line in the course folder (with only its config there)."""
    exe = Path(sys.executable).with_name("nbgrader")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    env.update(JUPYTER_CONFIG_DIR=str(course / ".jupyter"), JUPYTER_DATA_DIR=str(course / ".jupyter-data"))
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    r = subprocess.run(cmd + list(args), cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r


def submit(course: Path, student: str, answers: dict) -> None:
    """The released notebook, with ``answers`` ({id: answer}) typed into its answer cells,
    as nbgrader expects a collected submission: submitted/STUDENT/ASSIGNMENT/."""
    nb = json.loads((course / "release" / ASSIGNMENT / NOTEBOOK).read_text())
    filled = set()
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        ex_id = grade_id.removesuffix("-answer")
        if grade_id.endswith("-answer") and ex_id in answers:
            cell["source"] = f"{_var(ex_id)} = {answers[ex_id]!r}\n"
            filled.add(ex_id)
    assert filled == set(answers)
    where = course / "submitted" / student / ASSIGNMENT
    where.mkdir(parents=True)
    (where / NOTEBOOK).write_text(json.dumps(nb))


def test_nbgrader_generate_assignment_and_autograde(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))    # for the Gradebook API here
    course = tmp_path / "course"
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    r = subprocess.run([sys.executable, "-m", "sim.exercises", "notebooks", "--out", str(course),
                        "--chapter", str(CHAPTER)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'op1'\n"
        "c.ExecutePreprocessor.timeout = 300\n")

    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = (course / "release" / ASSIGNMENT / NOTEBOOK).read_text()
    source = (course / "source" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "BEGIN HIDDEN TESTS" in source and ".verdict(" in source
    assert "BEGIN HIDDEN TESTS" not in released and ".verdict(" not in released   # the hidden tests are gone
    assert "BEGIN SOLUTION" not in released and "raise NotImplementedError()" in released
    assert str(ROOT) not in released and str(ROOT) not in source    # no folder of the instructor's machine
    ids = chapter_ids(CHAPTER)
    key = {ex_id: instance(ex_id, "release", secret="") for ex_id in ids}
    for ex_id, inst in key.items():                                 # no solution line left in the release
        assert f"{_var(ex_id)} = " not in released

    right = {ex_id: inst.accepted[0] for ex_id, inst in key.items()}
    wrong = {ex_id: wrong_answer(inst) for ex_id, inst in key.items()}
    submit(course, "right", right)
    submit(course, "wrong", wrong)
    for student in ("right", "wrong"):
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", ASSIGNMENT)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="op1") as gb:
        assert gb.find_assignment(ASSIGNMENT).max_score == len(ids)
        scores = {s: (gb.find_submission(ASSIGNMENT, s).score, gb.find_submission(ASSIGNMENT, s).max_score)
                  for s in ("right", "wrong")}
        per_cell = {g.name: g.score for g in gb.find_submission_notebook(NOTEBOOK[:-6], ASSIGNMENT, "wrong").grades}
    assert scores == {"right": (len(ids), len(ids)), "wrong": (0, len(ids))}
    assert per_cell == {f"{ex_id}-test": 0 for ex_id in ids}
    # nbgrader kept a copy of each graded notebook: the right one's tests ran without an error
    graded = json.loads((course / "autograded" / "right" / ASSIGNMENT / NOTEBOOK).read_text())
    errors = [o for c in graded["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    # the wrong one's: each test failed with why that answer is wrong, as the page and the grader say
    # it (nbgrader's feedback shows it to the student), not a bare AssertionError
    graded = json.loads((course / "autograded" / "wrong" / ASSIGNMENT / NOTEBOOK).read_text())
    said = {c["metadata"]["nbgrader"]["grade_id"]: o["evalue"] for c in graded["cells"]
            for o in c.get("outputs", []) if o.get("output_type") == "error"}
    for ex_id, inst in key.items():
        assert inst.check(wrong[ex_id])[1] in said[f"{ex_id}-test"], (ex_id, said.get(f"{ex_id}-test"))
    shutil.rmtree(course)
