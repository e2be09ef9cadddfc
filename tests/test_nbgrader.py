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


def nbgrader(course: Path, *args, env_extra=None):
    """Run nbgrader's own command line in the course folder (with only its config there)."""
    exe = Path(sys.executable).with_name("nbgrader")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    env.update(env_extra or {})
    env.update(JUPYTER_CONFIG_DIR=str(course / ".jupyter"), JUPYTER_DATA_DIR=str(course / ".jupyter-data"))
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    r = subprocess.run(cmd + list(args), cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r


def handed_in(where: Path) -> None:
    """What nbgrader 0.9.6's exchange submit writes beside the notebook (and collect keeps), in
    submitted/STUDENT/ASSIGNMENT/: timestamp.txt and submission_secret.txt."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "timestamp.txt").write_text("2026-12-01 10:01:00.000000 UTC")
    (where / "submission_secret.txt").write_text("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")


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
    handed_in(where)
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


def test_nbgrader_per_student_notebook(tmp_path):
    """``notebooks --per-student`` through nbgrader: generate_assignment strips the id cell's
    solution (the release asks each student for theirs) but keeps the example above it, and
    autograde grades each submission on the variants of the id its student wrote; grade --class
    checks that id against the folder nbgrader keeps the file in (a classmate's id is refused).
    Autograde runs the export cell again: autograded/ holds a new file, not the student's (the
    instructor's finding: the guide called it a copy)."""
    from sim.exercises.grade import answer_file, variant_salt
    course = tmp_path / "course"
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    r = subprocess.run([sys.executable, "-m", "sim.exercises", "notebooks", "--out", str(course),
                        "--chapter", str(CHAPTER), "--per-student"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'op1'\n")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = json.loads((course / "release" / ASSIGNMENT / NOTEBOOK).read_text())
    id_cell = next(c for c in released["cells"] if c["metadata"]["nbgrader"]["grade_id"] == f"ch{CHAPTER}-student")
    said = "".join(id_cell["source"])
    assert "raise NotImplementedError()" in said and "MY_ID = 'release'" not in said
    # what to write survives the stripping, as a comment (the instructor's finding: the cell read
    # only `# YOUR CODE HERE`, `raise NotImplementedError()`, `SHEET.use(MY_ID)`)
    assert "#     MY_ID = 'jsmith'\n" in said and said.index("MY_ID = 'jsmith'") < said.index("\nraise NotImplementedError()")
    ids = chapter_ids(CHAPTER)
    for student, as_id in (("s01", "s01"), ("s02", "s01")):    # s02 writes s01's id and answers
        nb = json.loads(json.dumps(released))
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
            if gid == f"ch{CHAPTER}-student":
                cell["source"] = f"MY_ID = {as_id!r}\nSHEET.use(MY_ID)\n"
            elif gid.endswith("-answer"):
                ex_id = gid.removesuffix("-answer")
                cell["source"] = f"{_var(ex_id)} = {instance(ex_id, as_id, secret='').accepted[0]!r}\n"
        where = course / "submitted" / student / ASSIGNMENT
        handed_in(where)
        (where / NOTEBOOK).write_text(json.dumps(nb))
        # the file the student's own run of the export cell wrote, with its Check counts
        answers = {k: instance(k, as_id, secret="").accepted[0] for k in ids}
        (where / f"answers-{as_id}-ch6.json").write_text(json.dumps(answer_file(
            as_id, answers, chapter=CHAPTER, secret="", exported="2026-12-01T10:00:00Z",
            attempts={k: 2 for k in ids})))
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", ASSIGNMENT, env_extra={"PYTHONPATH": str(ROOT)})   # this repository's sim
    graded = json.loads((course / "autograded" / "s01" / ASSIGNMENT / NOTEBOOK).read_text())
    errors = [o for c in graded["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    # the notebook's export ran in autograde too: its file names the id the student wrote
    data = json.loads((course / "autograded" / "s01" / ASSIGNMENT / "answers-s01-ch6.json").read_text())
    assert {k: v["variant"] for k, v in data["answers"].items()} == {k: variant_salt("s01", k, "") for k in ids}
    # a new file, exported by autograde's run (not the student's, though it keeps the counts the
    # student's export recorded for these very answers)
    assert data["exported"] != "2026-12-01T10:00:00Z"
    assert {k: v.get("attempts") for k, v in data["answers"].items()} == {k: 2 for k in ids}
    # and the questions it asked: the grader's own instances fingerprint them alike
    assert {k: v["fingerprint"] for k, v in data["answers"].items()} == \
        {k: instance(k, "s01", secret="", grading=True).fingerprint for k in ids}
    # grade --class on what the students handed in: the course folder is graded by its submitted/
    r = subprocess.run([sys.executable, "-m", "sim.exercises", "grade", "--class", str(course), "--chapter",
                        str(CHAPTER), "-o", str(tmp_path / "files.csv"), "--feedback", str(tmp_path / "reports")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "skipped: the notebook, timestamp.txt and submission_secret.txt of 2 submissions" in r.stderr, r.stderr
    assert "submission_secret.txt," not in r.stderr and "/submission_secret.txt" not in r.stderr, r.stderr
    import csv
    files = {row["file"].split("/")[0]: row for row in csv.DictReader((tmp_path / "files.csv").open())}
    assert files["s01"]["score"] == str(len(ids)), files["s01"]
    assert files["s02"]["score"] == "" and "this answer file belongs to student 's01', not to 's02'" \
        in files["s02"]["error"], files["s02"]
    # s02's report says what to do in a notebook: set MY_ID to their own id
    told = (tmp_path / "reports" / "s02.txt").read_text()
    assert "from a notebook, write MY_ID = 's02' in its id cell" in told, told
    shutil.rmtree(course)


def test_a_blank_answer_with_the_courses_code_stub_runs_all_to_the_export(tmp_path, monkeypatch):
    """An instructor's finding: a student left one answer blank and pressed Run All; the answer
    cell kept nbgrader's `raise NotImplementedError()`, Run All stopped there, the export cell never
    ran, and the notebook was handed in "without its exported answers" (no score).  With the
    guide's fourth line of nbgrader_config.py (a code stub that does not raise) Run All -- which
    stops at the first error, as nbclient does -- reaches the export; the blank scores 0 in
    nbgrader's autograde and in grade --class, the others are graded.  A hub user name with an '@'
    as MY_ID runs without a warning."""
    pytest.importorskip("nbclient")
    import csv
    import nbformat
    from nbclient import NotebookClient
    from sim.exercises.grade import answer_file
    course = tmp_path / "course"
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    r = subprocess.run([sys.executable, "-m", "sim.exercises", "notebooks", "--out", str(course),
                        "--chapter", str(CHAPTER), "--per-student"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    guide = " ".join((ROOT / "book" / "instructor-guide.md").read_text().split())
    stub = 'c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}'
    assert f"`{stub}`" in guide                    # the line the guide's Step 2 gives
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'op1'\n"
        f"{stub}\n")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = (course / "release" / ASSIGNMENT / NOTEBOOK).read_text()
    ids = chapter_ids(CHAPTER)
    student, blank = "s01@uni.example", ids[1]
    nb = nbformat.reads(released, 4)
    assert not [c.source for c in nb.cells if c.cell_type == "code" and "\nraise " in "\n" + c.source]
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid == f"ch{CHAPTER}-student":
            cell.source = cell.source.replace("# YOUR ANSWER HERE", f"MY_ID = {student!r}")
        elif gid.endswith("-answer") and gid.removesuffix("-answer") != blank:
            ex_id = gid.removesuffix("-answer")
            cell.source += f"\n{_var(ex_id)} = {instance(ex_id, student, secret='').accepted[0]!r}"
    where = course / "submitted" / student / ASSIGNMENT
    handed_in(where)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("JUPYTERHUB_USER", student)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(where)}}).execute()
    said = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "warning" not in said and f"no answer to {blank} yet" in said, said
    nbformat.write(nb, where / NOTEBOOK)
    data = json.loads((where / f"answers-{student}-ch{CHAPTER}.json").read_text())
    assert sorted(data["answers"]) == sorted(k for k in ids if k != blank)
    r = subprocess.run([sys.executable, "-m", "sim.exercises", "grade", "--class", str(course), "--chapter",
                        str(CHAPTER), "-o", str(tmp_path / "files.csv")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    row = next(csv.DictReader((tmp_path / "files.csv").open()))
    assert (row["student"], row["score"], row[blank]) == (student, str(len(ids) - 1), "0"), row
    nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", ASSIGNMENT, env_extra={"PYTHONPATH": str(ROOT)})
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="op1") as gb:
        per_cell = {g.name: g.score for g in gb.find_submission_notebook(NOTEBOOK[:-6], ASSIGNMENT, student).grades}
    assert per_cell == {f"{k}-test": 0 if k == blank else 1 for k in ids}, per_cell
    shutil.rmtree(course)
