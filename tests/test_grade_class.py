"""An instructor of 300 (Moodle's worksheet, Canvas, nbgrader) through ``grade --class`` and the
instructor guide: what a class's files did that the grader took for something else -- another
assignment's worksheet, a copy with its variant tags edited, a question changed since, a copy
with the id changed, the same file uploaded twice, Canvas's LATE -- and what the guide's boxes
say of it."""
import csv
import io
import json
import re
from pathlib import Path

from sim.exercises import instance
from sim.exercises.bank import chapter_ids
from sim.exercises.grade import answer_file
from sim.exercises.variants import pool_index
from test_exercises import cli, csv_rows, one_line_error, right_answers
from test_grade_shared_site import HEADER, IDS, TOP, _files, _grade, _reports, _upload, _worksheet

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "book" / "instructor-guide.md"


def _class(tmp_path, n=5, pid0=2001):
    """A worksheet of ``n`` students s1..sn (participant numbers from ``pid0``) and each one's own
    right answers uploaded into their Moodle folder."""
    rows = [(pid0 + k, f"Pat Number{k}", f"s{k}", f"s{k}@uni.example") for k in range(1, n + 1)]
    ws = _worksheet(tmp_path / "worksheet-ch2.csv", rows)
    sub = tmp_path / "sub"
    for pid, name, sid, _ in rows:
        _upload(sub, pid, name, f"answers-{sid}.json", sid)
    return ws, sub, rows


def test_another_assignments_worksheet_stops_the_run_unless_forced(tmp_path):
    """Graded with another assignment's worksheet (its participant numbers are the other
    assignment's), the run noted it and wrote the graded worksheet, whose upload matches rows by
    Identifier: it would update nobody, or the other assignment.  Most folders on no row stop the
    run in one line (exit 2, nothing written); --force writes it anyway."""
    ws, sub, rows = _class(tmp_path)
    other = _worksheet(tmp_path / "worksheet-other.csv", [(pid + 500, name, sid, mail) for pid, name, sid, mail in rows])
    graded = tmp_path / "graded.csv"
    r = _grade(tmp_path, sub, other, "--lms-file", str(graded))
    one_line_error(r, "5 of the 5 LMS folders have a participant number no row of the roster's Identifier column has",
                   "another assignment's grading worksheet", "--force")
    assert not graded.exists() and not (tmp_path / "files.csv").exists()
    r = _grade(tmp_path, sub, other, "--lms-file", str(graded), "--force")
    assert r.returncode == 0 and graded.exists(), r.stderr
    # this assignment's worksheet: no word of it; one folder of five on no row (a late enrolment): a note
    r = _grade(tmp_path, sub, ws, "--lms-file", str(graded))
    assert r.returncode == 0 and "participant number" not in r.stderr, r.stderr
    few = _worksheet(tmp_path / "worksheet-few.csv", [(rows[0][0] + 500,) + rows[0][1:]] + rows[1:])
    r = _grade(tmp_path, sub, few, "--lms-file", str(graded))
    assert r.returncode == 0 and "1 LMS folder has a participant number no row" in r.stderr, r.stderr


def _other_variant_student(ex_id, sid, n=400):
    """A student id whose variant of ``ex_id`` is not ``sid``'s."""
    return next(f"t{k}" for k in range(n) if pool_index(f"t{k}", ex_id) != pool_index(sid, ex_id))


def test_a_copy_with_its_variant_tags_edited_is_refused_as_answered_on_another_variant(tmp_path):
    """s2 took s1's file and set its student and each variant tag to s2's, keeping the fingerprints:
    graded as "question changed", with the instructor sent to check out an old commit, which gives
    the same.  A fingerprint of another variant of this version is refused as answered on another
    variant (variant tag edited)."""
    ws, sub, rows = _class(tmp_path)
    ex_id = IDS[0]
    src = next(sub.glob(f"*_{rows[0][0]}_*/*.json"))
    data = json.loads(src.read_text())
    thief = _other_variant_student(ex_id, "s1")
    data["student"] = thief
    for k, v in data["answers"].items():
        v["variant"] = answer_file(thief, {k: "x"}, secret="")["answers"][k]["variant"]
    ws = _worksheet(tmp_path / "worksheet-ch2.csv", rows + [(2099, "Tess Thief", thief, "")])
    folder = sub / "Tess Thief_2099_assignsubmission_file_"
    folder.mkdir()
    (folder / f"answers-{thief}.json").write_text(json.dumps(data))
    r = _grade(tmp_path, sub, ws)
    assert r.returncode == 0, r.stderr
    row = _files(tmp_path)[f"answers-{thief}.json"]
    assert "answered on another variant (variant tag edited)" in row["note"], row
    assert "question changed" not in row["note"] and "git worktree" not in r.stderr, (row, r.stderr)
    assert row[ex_id] == "0", row
    assert "s1's" in row["note"] and "a copy with the student id and variant tags changed?" in row["note"], row
    told = _reports(tmp_path)[f"{thief}.txt"]
    assert f"[refused] {ex_id}" in told and "changed after you answered" not in told, told
    # one file on its own says the same
    one = cli("grade", "--student", thief, "--chapter", "2", str(folder / f"answers-{thief}.json"))
    assert one.returncode == 0 and "answered on another variant (variant tag edited)" in one.stdout, one.stdout
    assert "git worktree" not in one.stderr, one.stderr


def _grades(path):
    return {r["Username"]: r["Grade"] for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}


def test_a_file_with_a_changed_question_keeps_its_grade_cell_unless_told_and_is_named(tmp_path):
    """s1's right answer to a question changed since their page was made was not graded, and the
    worksheet still got 2 of 3 where the version the page came from gives 3.  Their cell is kept
    as it was, as a refused file's, one line names them, and their report still goes into the
    comments; --score-changed writes the score."""
    ws, sub, rows = _class(tmp_path)
    old = next(sub.glob(f"*_{rows[0][0]}_*/*.json"))
    data = json.loads(old.read_text())
    fp = data["answers"][IDS[0]]["fingerprint"]
    data["answers"][IDS[0]]["fingerprint"] = ("0" if fp[0] != "0" else "1") + fp[1:]   # another question's
    old.write_text(json.dumps(data))
    graded = tmp_path / "graded.csv"
    r = _grade(tmp_path, sub, ws, "--lms-file", str(graded))
    assert r.returncode == 0, r.stderr
    grades = _grades(graded)
    assert grades["s1"] == "" and grades["s2"] == str(TOP), grades
    said = [line for line in r.stderr.splitlines() if "cell kept as it was for" in line]
    assert len(said) == 1 and "for s1:" in said[0] and "--score-changed" in said[0], r.stderr
    comments = {r["Username"]: r["Feedback comments"]
                for r in csv.DictReader(io.StringIO(graded.read_text(encoding="utf-8-sig")))}
    assert "changed after you answered" in comments["s1"], comments["s1"]
    r = _grade(tmp_path, sub, ws, "--lms-file", str(graded), "--score-changed")
    assert r.returncode == 0 and "cell kept as it was" not in r.stderr, r.stderr
    assert _grades(graded)["s1"] == str(TOP - 1)
    one_line_error(_grade(tmp_path, sub, ws, "--score-changed"), "--score-changed", "--lms-file")


def test_a_copy_with_only_the_student_id_changed_names_the_file_it_was_copied_from(tmp_path):
    """s4's file, s1's with the student id changed, was refused as "given on another student's
    page" without naming s1, though its export time, answers and fingerprints are s1's file's
    (no longer byte for byte the same).  Its note names s1's file, and one line says how many;
    s1's own row is as before."""
    ws, sub, rows = _class(tmp_path)
    src = next(sub.glob(f"*_{rows[0][0]}_*/*.json"))
    mine = next(sub.glob(f"*_{rows[3][0]}_*/*.json"))
    data = json.loads(src.read_text())
    data["student"] = "s4"
    mine.write_text(json.dumps(data))
    r = _grade(tmp_path, sub, ws)
    assert r.returncode == 0, r.stderr
    files = {r["student"]: r for r in csv_rows((tmp_path / "files.csv").read_text())}
    assert files["s4"]["error"] and "s1's" in files["s4"]["note"] and "answers-s1.json" in files["s4"]["note"], files["s4"]
    assert "a copy with the student id changed?" in files["s4"]["note"], files["s4"]
    assert "same export time" not in files["s1"]["note"], files["s1"]             # the source's own row: as before
    assert ("1 answer file refused, or with answers refused, has the export time, answers and question fingerprints "
            "of another student's file") in r.stderr, r.stderr
    assert "s1" not in _reports(tmp_path)["s4.txt"]          # the student is told no one else's name
    # the class's own files, each exported in the same second with the same answers, name nothing
    assert all("same export time" not in f["note"] for k, f in files.items() if k not in ("s1", "s4"))


def test_the_same_file_uploaded_twice_gets_one_report(tmp_path):
    """s1 uploaded their export twice (answers-s1.json, answers-s1 (1).json, exported the same
    second): two reports, one saying "your later file answers-s1 (1).json counts".  The same
    file twice is one file: one report, which says nothing of another file."""
    ws, sub, rows = _class(tmp_path)
    src = next(sub.glob(f"*_{rows[0][0]}_*/*.json"))
    (src.parent / "answers-s1 (1).json").write_bytes(src.read_bytes())
    r = _grade(tmp_path, sub, ws)
    assert r.returncode == 0, r.stderr
    reports = _reports(tmp_path)
    assert "s1.txt" in reports and "s1--2.txt" not in reports, sorted(reports)
    assert "counted" not in reports["s1.txt"] and "later file" not in reports["s1.txt"], reports["s1.txt"]
    notes = [_files(tmp_path)[n]["note"] for n in ("answers-s1.json", "answers-s1 (1).json")]
    assert sum("uploaded twice: one report" in n for n in notes) == 1, notes


CANVAS = ("Student,ID,SIS User ID,SIS Login ID,Section,Lab 2 (123)", "    Points Possible,,,,,3.00",
          '"Number1, Pat",5001,,s1,S1,', '"Number2, Pat",5002,,s2,S1,')


def test_canvas_late_marker_is_carried_into_the_note_and_a_line(tmp_path):
    """Canvas names work submitted after the due date NAME_LATE_USERID_FILEID_...; the grader
    dropped the marker, and submitted_at is the file's own export time, which the student can
    edit.  The per-file CSV's note says Canvas marked it LATE, and one line names those files."""
    sub = tmp_path / "sub"
    sub.mkdir()
    for sid, name in (("s1", "number1pat_5001_11_answers-s1.json"), ("s2", "number2pat_LATE_5002_12_answers-s2.json")):
        (sub / name).write_text(json.dumps(answer_file(sid, right_answers(sid, IDS), secret="",
                                                       exported="2026-12-04T10:00:00Z")))
    roster = tmp_path / "canvas.csv"
    roster.write_text("\n".join(CANVAS) + "\n", encoding="utf-8")
    r = cli("grade", "--class", str(sub), "--roster", str(roster), "--roster-column", "SIS Login ID", "--chapter", "2",
            "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    files = {f["student"]: f for f in csv_rows((tmp_path / "files.csv").read_text())}
    assert "Canvas marked it LATE" in files["s2"]["note"] and "LATE" not in files["s1"]["note"], files
    said = [line for line in r.stderr.splitlines() if "Canvas marked LATE" in line]
    assert len(said) == 1 and "s2 (number2pat_LATE_5002_12_answers-s2.json)" in said[0], r.stderr


def test_notebook_cells_speak_of_raise_not_implemented_only_where_the_stub_has_it(tmp_path):
    """With the guide's nbgrader_config.py (a code stub that does not raise), every answer cell still
    said "left blank, delete a line raise NotImplementedError()".  The notebooks of a course folder
    whose config sets such a stub say nothing of it; without the line (nbgrader's default stub)
    they say it, as before."""
    def written(course):
        r = cli("notebooks", "--out", str(course), "--chapter", "2")
        assert r.returncode == 0, r.stderr
        return (course / "source" / "ch02" / "ch02-exercises.ipynb").read_text(), r.stderr
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    (quiet / "nbgrader_config.py").write_text('c = get_config()\n'
                                              'c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}\n'
                                              "c.CourseDirectory.course_id = 'op1'\n")
    nb, err = written(quiet)
    assert "NotImplementedError" not in nb and "(left blank: no answer)" in nb, nb[:2000]
    assert "code_stub" not in err, err
    nb, err = written(tmp_path / "default")
    assert nb.count("delete a line `raise NotImplementedError()`") == len(IDS) and "ClearSolutions.code_stub: nbgrader's default puts" in err
    loud = tmp_path / "loud"
    loud.mkdir()
    (loud / "nbgrader_config.py").write_text('c = get_config()\n'
                                             'c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\n'
                                             'raise NotImplementedError()"}\n')
    nb, _ = written(loud)
    assert nb.count("delete a line `raise NotImplementedError()`") == len(IDS)


def test_a_page_made_outside_a_git_checkout_says_its_version_and_the_grader_names_it(tmp_path):
    """Made from a pip-installed copy (the guide's pip install PATH), a page said "Version unknown.",
    its exports "built": "unknown", and a changed question's line could not say which copy to grade
    with.  Without git the version is a digest of the package's own files, the same for the copy as
    for the checkout it came from, and the grader's line names it."""
    import shutil
    from sim.exercises.site import files_digest
    copy = tmp_path / "installed"
    shutil.copytree(ROOT / "sim", copy / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    page = tmp_path / "page.html"
    r = cli("page", "--student", "s1", "--chapter", "2", "-o", str(page), cwd=copy)
    assert r.returncode == 0, r.stderr
    text = page.read_text()
    assert "Version unknown." not in text and re.search(r"Version files-[0-9a-f]{12}\.", text), text[-400:]
    assert f'<meta name="op1-built" content="{files_digest()}">' in text
    # a file exported by such a page whose question changed since: the line says which copy to grade with
    data = answer_file("s1", right_answers("s1", IDS), secret="")
    fp = data["answers"][IDS[0]]["fingerprint"]
    data["answers"][IDS[0]]["fingerprint"] = ("0" if fp[0] != "0" else "1") + fp[1:]
    data["built"] = "files-0123456789ab"
    f = tmp_path / "answers-s1.json"
    f.write_text(json.dumps(data))
    one = cli("grade", "--student", "s1", "--chapter", "2", str(f))
    assert one.returncode == 0 and "installed copy of the book, not a git checkout" in one.stderr \
        and "files-0123456789ab" in one.stderr and "git worktree" not in one.stderr, one.stderr


def _boxes():
    """The guide's three "In short" boxes, each as one line of text."""
    text = GUIDE.read_text()
    out = {}
    for title in ("In short: the shared site", "In short: per-student pages", "In short: nbgrader"):
        box = text[text.index(title):]
        out[title] = " ".join(box[:box.index("```")].split())
    return out


def test_the_pages_box_names_every_file_after_its_chapter_as_the_others_do():
    """The pages box said to download the worksheet once (worksheet.csv) and reused submissions/,
    reports and files.csv for every chapter, while the shared site's box said one worksheet per
    chapter ("their participant numbers differ"): a second chapter graded with the first one's
    worksheet.  Its names are now the chapter's, as the other boxes' are."""
    box = _boxes()["In short: per-student pages"]
    for name in ("`worksheet-chN.csv`", "one for each chapter's assignment", "--roster worksheet-chN.csv",
                 "--class submissions-chN", "`submissions-chN/`", "--lms-file worksheet-chN-graded.csv",
                 "--feedback reports-chN", "-o files-chN.csv", "feedback-chN.zip reports-chN", "`files-chN.csv`"):
        assert name in box, name
    for fixed in ("`worksheet.csv`", "`submissions/`", "--feedback reports ", "feedback.zip reports`", "`files.csv`",
                  "worksheet-graded.csv", "--class submissions "):
        assert fixed not in box, fixed


def test_every_box_that_uploads_feedback_says_after_the_deadline_and_late_work():
    """Uploaded feedback gives a variant's key away (a wrong answer's feedback often names the right
    one, for every classmate sharing the variant); the guide warned only in the nbgrader section,
    while the pages and shared-site boxes said to upload right away."""
    for title, box in _boxes().items():
        assert "Upload multiple feedback files in a zip" in box, title
        assert "After the deadline, once every extension's late work is in and graded" in box, title
        assert "every classmate who shares that variant can read it as the key" in box, title
    flat = " ".join(GUIDE.read_text().split())
    assert "Hand the reports back after the deadline, once every extension's late work is in" in flat
