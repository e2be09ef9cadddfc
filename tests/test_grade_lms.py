"""grade --class writing the LMS's own file back: Moodle's grading worksheet and Canvas's
gradebook export with the scores filled in (an empty grade cell clears a grade in Moodle's
gradebook import), Moodle's feedback folders, and the roster's rows that get no row."""
import csv
import io
import json
import os

from sim.exercises.bank import chapter_ids
from sim.exercises.grade import answer_file, grade_folder, roster_notes
from test_exercises import cli, one_line_error, right_answers, wrong_answer
from sim.exercises import instance

HEADER = ("Identifier,Full name,Username,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
          "Last modified (submission),Last modified (grade),Feedback comments")


TOP = len(chapter_ids(2))          # the maximum the worksheets and exports below say


def _row(pid, name, user, grade="", top=f"{TOP}.00", comment=""):
    return (f'Participant {pid},{name},{user},{user}@uni.example,Submitted for grading,{grade},{top},Yes,'
            f'"Monday, 30 November 2026, 9:00 AM",-,{comment}')


def _worksheet(path, *rows, bom=True, delim=","):
    """Moodle's grading worksheet as it downloads it: a byte order mark, CRLF line ends."""
    lines = [HEADER, *rows]
    if delim != ",":
        lines = [delim.join(next(csv.reader([line]))) for line in lines]
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\r\n".join(lines).encode() + b"\r\n")
    return path


def _class(sub, files: dict):
    """{path: (student the file claims, answers)}."""
    for path, (sid, answers) in files.items():
        (sub / path).parent.mkdir(parents=True, exist_ok=True)
        (sub / path).write_text(json.dumps(answer_file(sid, answers)), encoding="utf-8")
    return sub


def _one_wrong(sid, ids):
    answers = right_answers(sid, ids)
    answers[ids[0]] = wrong_answer(instance(ids[0], sid))
    return answers


def test_the_worksheet_comes_back_with_its_grades_filled_and_every_other_byte_as_it_was(tmp_path):
    """Moodle's gradebook import clears a grade on an empty cell; the grading worksheet's upload
    skips it.  --lms-file writes the worksheet itself back: each scored student's Grade (and,
    with --feedback, their report in 'Feedback comments'), a student without a score keeps the
    grade the worksheet had (2.00 here, not emptied), and the byte order mark, CRLF, quoting,
    and the rows of students who sent nothing (0) stay where they were."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "worksheet.csv", _row(1001, "Liam Chen", "s0001"),
                    _row(1002, "Ahmed Nguyễn", "s0002"), _row(1003, "Emma Chen", "s0003", "2.00"),
                    _row(1004, "Wei O'Brien", "s0004"), _row(1005, "Ann_Lee", "s0005"))
    sub = _class(tmp_path / "sub", {
        "Liam Chen_1001_assignsubmission_file_/answers-s0001.json": ("s0001", right_answers("s0001", ids)),
        # (today's Moodle names the folder without a '_' at its end, downloader.php; the others here end with one)
        "Ahmed Nguyễn_1002_assignsubmission_file/answers-s0002.json": ("s0002", _one_wrong("s0002", ids)),
        "Ann_Lee_1005_assignsubmission_file_/answers-s0005.json": ("s0005", right_answers("s0005", ids))})
    (sub / "Emma Chen_1003_assignsubmission_file_").mkdir()
    (sub / "Emma Chen_1003_assignsubmission_file_" / "answers-s0003.json").write_text("{not json")
    out = tmp_path / "out"
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(ws), "--roster-column", "Username",
            "--lms-file", str(tmp_path / "filled.csv"), "--feedback", str(out), "-o", os.devnull)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    before, after = ws.read_bytes(), (tmp_path / "filled.csv").read_bytes()
    assert after.startswith(b"\xef\xbb\xbfIdentifier,") and after.count(b"\r\n") == before.count(b"\r\n")
    rows = list(csv.DictReader(io.StringIO(after.decode("utf-8-sig"))))
    n = len(ids)
    assert [r["Grade"] for r in rows] == [str(n), str(n - 1), "2.00", "0", str(n)], rows
    # every other cell as it was
    old = list(csv.DictReader(io.StringIO(before.decode("utf-8-sig"))))
    for o, a in zip(old, rows):
        assert {k: v for k, v in o.items() if k not in ("Grade", "Feedback comments")} == \
               {k: v for k, v in a.items() if k not in ("Grade", "Feedback comments")}
    # Emma's, whose file could not be graded: her grade as it was, and why in her feedback (it was left
    # empty: the student who most needs the reason got none in the worksheet)
    assert after.decode("utf-8-sig").splitlines()[3].startswith(before.decode("utf-8-sig").splitlines()[3])
    assert rows[0]["Feedback comments"].startswith(f"student s0001: {n} / {n}<br>")
    assert rows[2]["Feedback comments"].startswith("student s0003: no score<br>answers-s0003.json: could not be "
                                                   "graded: answers-s0003.json is not JSON"), rows[2]
    # Wei sent nothing: his 0 says why, worded as a report is (his comment was left empty: a 0
    # with no word of why, an instructor's finding)
    assert rows[3]["Feedback comments"] == f"student s0004: 0 / {n}<br>&nbsp;&nbsp;no answer file received for chapter 2", rows[3]
    assert "'Grade' filled for 4 students" in r.stderr, r.stderr
    # the reports in the folders Moodle's "Upload multiple feedback files in a zip" places by
    # participant number: Full Name_PID_assignfeedback_file/ (a '_' in the name would split it)
    got = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt"))
    assert got == ["Ahmed Nguyễn_1002_assignfeedback_file/s0002.txt", "Ann Lee_1005_assignfeedback_file/s0005.txt",
                   "Emma Chen_1003_assignfeedback_file/s0003.txt", "Liam Chen_1001_assignfeedback_file/s0001.txt",
                   "Wei OBrien_1004_assignfeedback_file/s0004.txt"], got
    assert (out / "Wei OBrien_1004_assignfeedback_file" / "s0004.txt").read_text() == \
        f"student s0004: 0 / {n}\n  no answer file received for chapter 2\n"
    assert "Upload multiple feedback files in a zip" in r.stderr, r.stderr


def test_a_semicolon_worksheet_without_a_bom_keeps_its_separator(tmp_path):
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001"), _row(1002, "Ahmed Nguyễn", "s0002"),
                    bom=False, delim=";")
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    g = grade_folder(sub, 2, ws, "", roster_column="Username")
    data, notes = g.lms_file(ws, "Username", "Grade", comments=False)
    lines = data.decode().split("\r\n")
    assert lines[0] == ws.read_text().split("\n")[0].rstrip("\r") and not data.startswith(b"\xef\xbb\xbf")
    assert lines[1].split(";")[5] == str(len(ids)) and lines[2].split(";")[5] == "0", lines
    sent = ws.read_bytes().decode().split("\r\n")
    assert lines[1] == sent[1].replace(f";;{TOP}.00;", f";{len(ids)};{TOP}.00;") and lines[3:] == sent[3:], lines


CANVAS = ['Student,ID,SIS User ID,SIS Login ID,Section,Chapter 2 exercises (4321),Current Points,Final Points',
          f'    Points Possible,,,,,{TOP}.00,(read only),(read only)',
          '"Nguyễn, Ahmed",50001,SIS1,s0002,Section A,,0,0',
          '"Chen, Liam",50000,SIS0,s0001,Section A,1.5,0,0',
          '"Chen, Emma",50002,SIS2,s0003,Section A,2,0,0',
          '"Student, Test",99999,,b1f6a0c3e0@test,Section A,,,']


def test_canvas_export_gets_each_score_on_its_own_students_row_and_the_test_student_none(tmp_path):
    """Canvas refuses our gradebook.csv (its first columns must be Student, ID) and pasting our
    column (sorted by id) into its export (sorted by name) put scores on the wrong students.
    Its own export comes back with the assignment's column filled, row by row; the Points
    Possible row and Canvas's test student keep their cells (no 0 for the test student), and
    the roster says the test student is no student."""
    ids = chapter_ids(2)
    export = tmp_path / "canvas.csv"
    export.write_text("\n".join(CANVAS) + "\n", encoding="utf-8")
    sub = _class(tmp_path / "sub", {
        "chenliam_50000_70001_answers-s0001.json": ("s0001", right_answers("s0001", ids)),
        "nguyenahmed_50001_70002_answers-s0002.json": ("s0002", _one_wrong("s0002", ids))})
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(export), "--roster-column",
            "SIS Login ID", "--lms-file", str(tmp_path / "back.csv"), "--grade-column", "Chapter 2 exercises (4321)",
            "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    back = (tmp_path / "back.csv").read_text(encoding="utf-8").splitlines()
    n = len(ids)
    assert back == [CANVAS[0], CANVAS[1], CANVAS[2].replace("Section A,,", f"Section A,{n - 1},"),
                    CANVAS[3].replace(",1.5,", f",{n},"), CANVAS[4], CANVAS[5]], back
    # Emma sent nothing, and her cell has a grade (given by hand): it stays, named
    assert "1 student who sent nothing keeps the 'Chapter 2 exercises (4321)' the cell had, not 0: s0003 ('2')" \
        in r.stderr, r.stderr
    # the cell replaced is named, as the cells left are (a reviewer's finding: "1 of them" said not whose)
    assert f"(1 of them had another number there, replaced: s0001 ('1.5', now {n}))" in r.stderr, r.stderr
    assert "line 6 (Student, Test) is Canvas's test student" in r.stderr, r.stderr
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(export), "--roster-column",
                       "SIS Login ID", "--lms-file", str(tmp_path / "x.csv"), "--grade-column", "Chapter 2"),
                   "--grade-column 'Chapter 2'", "Chapter 2 exercises (4321)")
    assert not (tmp_path / "x.csv").exists()
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(export),
                       "--lms-file", str(tmp_path / "x.csv")), "--roster-column")


def test_roster_rows_without_an_id_or_sharing_one_are_named_and_left_unfilled(tmp_path):
    """A worksheet row with an empty id got no gradebook row, and two participants with one id
    were merged, both silently: one line each names the rows; --lms-file fills neither of two
    rows sharing an id (whose score it is cannot be told) and says so."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001"), _row(1021, "Müller Müller", ""),
                    _row(1023, "Jean-Luc Łukasz", "S0001"), _row(1002, "Ahmed Nguyễn", "s0002"))
    notes = roster_notes(ws, "Username")
    assert len(notes) == 2 and "line 3 (Müller Müller)" in notes[0] and "empty 'Username'" in notes[0], notes
    assert "s0001 on line 2 (Liam Chen), line 4 (Jean-Luc Łukasz)" in notes[1], notes
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    g = grade_folder(sub, 2, ws, "", roster_column="Username")
    assert all(n in g.notes for n in notes), g.notes
    data, more = g.lms_file(ws, "Username", "Grade", comments=False)
    grades = [r["Grade"] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]
    assert grades == ["", "", "", "0"], grades
    assert "1 id is on several rows, whose cells stay as they were (s0001)" in more[-1], more
    assert roster_notes(tmp_path / "ws.csv", None) == []


def test_an_excel_saved_roster_is_told_how_to_save_it_as_utf8(tmp_path):
    ids = chapter_ids(2)
    ws = tmp_path / "ws.csv"
    ws.write_bytes(("\r\n".join([HEADER, _row(1001, "Chloé Chen", "s0001")]) + "\r\n").encode("cp1252"))
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(ws), "--roster-column",
                       "Username"), "is not a UTF-8 text file", "CSV UTF-8 (Comma delimited)")


def test_a_roster_student_whose_only_file_was_skipped_has_the_common_maximum_and_a_report(tmp_path):
    """s0016's only file, answers-s0016.txt, was skipped: their row was ``s0016,,,,`` while other
    rows without a score had the maximum; it has the maximum now, and a report saying why."""
    ids = chapter_ids(2)
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    (sub / "answers-s0016.txt").write_text("accept, 10")
    roster = tmp_path / "roster.txt"
    roster.write_text("s0001\ns0016\n")
    g = grade_folder(sub, 2, roster, "", feedback=True)
    book = {r["student"]: r for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book["s0016"]["score"] == "" and book["s0016"]["max"] == str(len(ids)), book
    assert "answers-s0016.txt: not graded" in g.feedback()["s0016.txt"]


def test_an_lms_maximum_other_than_the_chapters_is_refused_before_anything_is_written(tmp_path):
    """A new Moodle assignment's maximum grade is 100: 3 written into it reads as 3 of 100.  The
    worksheet's 'Maximum Grade', Canvas's Points Possible, must be the chapter's maximum; with
    --chapter it is refused before grading, without it once graded, and nothing is written."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001", top="100.00"),
                    _row(1002, "Ahmed Nguyễn", "s0002", top="100.00"))
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    book, filled = tmp_path / "gradebook.csv", tmp_path / "filled.csv"
    for chapter in (["--chapter", "2"], []):
        r = cli("grade", "--class", str(sub), *chapter, "--roster", str(ws), "--roster-column", "Username",
                "--lms-file", str(filled), "--gradebook", str(book), "-o", os.devnull)
        one_line_error(r, "'Maximum Grade' is 100", f"graded out of {TOP}",
                       f"set the assignment's maximum grade to {TOP} in Moodle")
        assert not book.exists() and not filled.exists()
    export = tmp_path / "canvas.csv"
    export.write_text("\n".join([CANVAS[0], CANVAS[1].replace(f"{TOP}.00", "10.00")] + CANVAS[2:]) + "\n")
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(export), "--roster-column",
                       "SIS Login ID", "--lms-file", str(filled), "--grade-column", "Chapter 2 exercises (4321)"),
                   "Points Possible of 'Chapter 2 exercises (4321)' is 10", f"set the assignment's points to {TOP}")
    assert not filled.exists()


def test_a_mark_in_the_cell_is_kept_where_no_score_replaces_it_and_each_is_named(tmp_path):
    """'Sent nothing gets 0' wrote 0 over a grade given by hand and over Canvas's EX (excused);
    a student whose only file was skipped was left, unnamed.  An empty cell of one who sent
    nothing gets 0; a mark there stays, and so does a mark that is no number even under a
    score; a number a score replaces is counted; each cell left is named."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001", "1.00"), _row(1002, "Ahmed Nguyễn", "s0002", "2.50"),
                    _row(1003, "Emma Chen", "s0003", "EX"), _row(1004, "Wei OBrien", "s0004", "EX"),
                    _row(1005, "Ann Lee", "s0005"), _row(1006, "Noah Ali", "s0006", "0.00"),
                    _row(1007, "Maria Kim", "s0007", "2.00"), _row(1008, "Olivia Ali", "s0008", f"{TOP}.00"))
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids)),
                                    "answers-s0004.json": ("s0004", right_answers("s0004", ids)),
                                    "answers-s0008.json": ("s0008", right_answers("s0008", ids))})
    (sub / "answers-s0007.txt").write_text("accept, 10")
    filled = tmp_path / "filled.csv"
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(ws), "--roster-column", "Username",
            "--lms-file", str(filled), "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    grades = [row["Grade"] for row in csv.DictReader(io.StringIO(filled.read_text(encoding="utf-8-sig")))]
    assert grades == [str(TOP), "2.50", "EX", "EX", "0", "0.00", "2.00", f"{TOP}.00"], grades
    assert (f"{filled}: column 'Grade' filled for 2 students (1 of them had another number there, replaced: "
            f"s0001 ('1.00', now {TOP}))") in r.stderr, r.stderr
    assert "2 students who sent nothing keep the 'Grade' the cell had, not 0: s0002 ('2.50'), s0003 ('EX')" in r.stderr
    assert "1 'Grade' cell with a mark that is no number (excused, a letter) left as it was, the score not " \
           "written: s0004 ('EX')" in r.stderr, r.stderr
    assert "1 student without a score keeps 'Grade' as it was: s0007" in r.stderr, r.stderr
    assert str(ws) + "'s column" not in r.stderr         # the note names the file written, not the roster


def test_feedback_comments_keep_the_instructors_text_before_the_report(tmp_path):
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001", comment='"<p>Great ""work"", see me</p>"'),
                    _row(1002, "Ahmed Nguyễn", "s0002", comment="Talked in office hours"),
                    _row(1003, "Emma Chen", "s0003"))
    sub = _class(tmp_path / "sub", {f"answers-{s}.json": (s, right_answers(s, ids)) for s in ("s0001", "s0002", "s0003")})
    g = grade_folder(sub, 2, ws, "", roster_column="Username", feedback=True)
    data, notes = g.lms_file(ws, "Username", "Grade", out="filled.csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    report = f"student s0001: {len(ids)} / {len(ids)}<br>"
    assert rows[0]["Feedback comments"].startswith('<p>Great "work", see me</p>' + report), rows[0]
    assert rows[1]["Feedback comments"].startswith("Talked in office hours<br><br>student s0002: "), rows[1]
    assert rows[2]["Feedback comments"].startswith("student s0003: "), rows[2]
    assert "'Feedback comments' with 3 reports (2 after the text the cell had)" in notes[0], notes
    # the worksheet filled once, given again: no report twice
    again = tmp_path / "filled.csv"
    again.write_bytes(data)
    assert g.lms_file(again, "Username", "Grade")[0] == data


def test_a_bad_grade_column_or_an_unwritable_output_is_said_before_anything_is_written(tmp_path):
    """--gradebook was written, then --lms-file failed (a column it has not, a folder that is
    not there): every output is checked before grading, and written only if all can be."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001"))
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    book = tmp_path / "gradebook.csv"
    base = ("grade", "--class", str(sub), "--chapter", "2", "--roster", str(ws), "--roster-column", "Username",
            "--gradebook", str(book))
    one_line_error(cli(*base, "--lms-file", str(tmp_path / "x.csv"), "--grade-column", "Grades"),
                   "--grade-column 'Grades'")
    one_line_error(cli(*base, "--lms-file", str(tmp_path / "nope" / "x.csv")), "can't write", "nope/x.csv")
    one_line_error(cli(*base, "--lms-file", str(tmp_path / "x.csv"), "-o", str(tmp_path)), "can't write")
    assert not book.exists() and not (tmp_path / "x.csv").exists()


def test_grade_column_refuses_the_columns_the_lms_takes_no_grade_from(tmp_path):
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001"))
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    one_line_error(cli("grade", "--class", str(sub), "--roster", str(ws), "--roster-column", "Username",
                       "--lms-file", str(tmp_path / "x.csv"), "--grade-column", "maximum grade"),
                   "--grade-column 'maximum grade'", "maximum grade", "'Grade'")
    export = tmp_path / "canvas.csv"
    export.write_text("\n".join(CANVAS) + "\n")
    for column in ("Current Points", "Section"):
        one_line_error(cli("grade", "--class", str(sub), "--roster", str(export), "--roster-column", "SIS Login ID",
                           "--lms-file", str(tmp_path / "x.csv"), "--grade-column", column),
                       f"--grade-column {column!r}", "'Chapter 2 exercises (4321)'")
    assert not (tmp_path / "x.csv").exists()


def test_canvas_manual_posting_row_and_an_empty_worksheet_id_are_told_as_what_they_are(tmp_path):
    """Canvas's "Manual Posting" row (its importer skips it) was told as a row with an empty
    'SIS Login ID'; a worksheet row with an empty id made its folder 'a participant number no
    row has (is the roster this assignment's grading worksheet?)'."""
    ids = chapter_ids(2)
    export = tmp_path / "canvas.csv"
    export.write_text("\n".join([CANVAS[0], ",,,,,Manual Posting,,"] + CANVAS[1:]) + "\n")
    sub = _class(tmp_path / "sub", {"answers-s0001.json": ("s0001", right_answers("s0001", ids))})
    assert roster_notes(export, "SIS Login ID") == [
        f"the roster {export}: line 7 (Student, Test) is Canvas's test student (Student View), not a student: no "
        f"row, and its cell in --lms-file stays as it was"]
    g = grade_folder(sub, 2, export, "", roster_column="SIS Login ID")
    data, notes = g.lms_file(export, "SIS Login ID", "Chapter 2 exercises (4321)")
    assert data.decode().splitlines()[1] == ",,,,,Manual Posting,,"
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001"), _row(1002, "Ahmed Nguyễn", ""))
    sub = _class(tmp_path / "moodle", {"Ahmed Nguyễn_1002_assignsubmission_file_/answers-s0002.json":
                                       ("s0002", right_answers("s0002", ids))})
    notes = grade_folder(sub, 2, ws, "", roster_column="Username").notes
    assert any("the participant number of a roster row whose id is empty (Ahmed Nguyễn_1002_assignsubmission_file_/ "
               "(line 3 (Ahmed Nguyễn)))" in n for n in notes), notes
    assert not any("is the roster this assignment's grading worksheet" in n for n in notes), notes


def test_gradebook_help_says_it_is_not_for_an_lms_import():
    out = " ".join(cli("grade", "--help").stdout.split())
    assert "not for an LMS's import" in out and "for an LMS gradebook's CSV import" not in out


def test_grading_again_replaces_the_earlier_report_in_the_feedback_comments(tmp_path):
    """A reviewer's finding: graded once, uploaded, the worksheet downloaded again and graded again
    after late files, every report that changed was put after the old one -- two reports in one
    cell ("2 / 3" then "3 / 3"), and the same when Moodle had stored <br> as <br />.  The earlier
    report is replaced; the instructor's text before it stays."""
    ids = chapter_ids(2)
    old_report = "student s0001: 1 / 3<br />  rc-hit: wrong"
    ws = _worksheet(tmp_path / "ws.csv",
                    _row(1001, "Liam Chen", "s0001", comment=f'"<p>See me</p>{old_report}"'),
                    _row(1002, "Ahmed Nguyen", "s0002", comment="student s0002: 0 / 3"))
    sub = _class(tmp_path / "sub", {f"answers-{s}.json": (s, right_answers(s, ids)) for s in ("s0001", "s0002")})
    g = grade_folder(sub, 2, ws, "", roster_column="Username", feedback=True)
    data, notes = g.lms_file(ws, "Username", "Grade", out="filled.csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    first = rows[0]["Feedback comments"]
    assert first.startswith(f"<p>See me</p>student s0001: {len(ids)} / {len(ids)}<br>"), first
    assert first.count("student s0001:") == 1 and "1 / 3" not in first
    assert rows[1]["Feedback comments"].count("student s0002:") == 1
    assert "2 in place of this grader's earlier report" in notes[0], notes
    # Moodle stored the new report with <br />: given again, nothing changes
    again = tmp_path / "again.csv"
    again.write_bytes(data.replace(b"<br>", b"<br />"))
    data2, notes2 = g.lms_file(again, "Username", "Grade")
    assert data2 == again.read_bytes(), notes2
    assert "had their score there already" in notes2[0], notes2
    # and says the reports are there, not "with 0 reports" alone (read as reports lost)
    assert "'Feedback comments' with 0 reports; 2 had theirs there already" in notes2[0], notes2


def test_reports_moodle_does_not_place_say_why_each_student_is_not_placed(tmp_path):
    """After ch.2 the note said "the other 1, of students the worksheet has no participant number
    for, are not placed by Moodle" -- of s020, who had TWO (a duplicate row).  It says which reason
    is each student's: two numbers (a duplicate row), a number shared with another id, none."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "ws.csv", _row(1001, "Liam Chen", "s0001"), _row(1002, "Ahmed Khan", "s0002"),
                    _row(1009, "Dup Person", "s0002"), _row(1003, "Emma Chen", "s0003"),
                    _row(1003, "Emma Chen", "s0004"), "Participant 1005,Ann Lee,s0005,,,,,,,,",
                    ",No Number,s0006,,,,,,,,")
    sub = _class(tmp_path / "sub", {f"answers-s000{k}.json": (f"s000{k}", right_answers(f"s000{k}", ids))
                                    for k in range(1, 7)})
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(ws), "--roster-column", "Username",
            "--feedback", str(tmp_path / "fb"), "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stderr.splitlines() if "not placed by Moodle" in x)
    assert "no participant number for" not in line
    assert "the other 4 are not placed by Moodle -- s0002: 2 participant numbers, 1002 on line 3 and 1009 on " \
           "line 4 (a duplicate row); s0003: participant number 1003, shared with s0004; s0004: participant " \
           "number 1003, shared with s0003; s0006: no participant number" in line, line


def test_an_id_twice_in_a_plain_roster_is_noted_as_a_csv_rosters_is(tmp_path):
    """A CSV roster's duplicate id got a note; a roster of ids passed one silently."""
    roster = tmp_path / "roster.txt"
    roster.write_text("s0001\ns0002\n# a comment\nS0001\ns0003\n")
    assert roster_notes(roster, None) == [
        f"the roster {roster}: 1 id is on several lines, one student to the grader, with one gradebook row "
        f"(s0001 on lines 1, 4): a typo for another student's id?"]
    (tmp_path / "ok.txt").write_text("s0001\ns0002\n")
    assert roster_notes(tmp_path / "ok.txt", None) == []


def test_sheet_and_page_for_a_roster_say_an_id_on_two_lines_as_grade_does(tmp_path):
    """``sheet --roster`` with an id on two lines wrote one sheet fewer than the roster's lines,
    silently, where ``grade`` says which lines share it: the same line now, and for ``page``."""
    roster = tmp_path / "roster.txt"
    roster.write_text("s0001\ns0002\nS0001\n\ns0003\n")
    r = cli("sheet", "--roster", str(roster), "--chapter", "2", "--out-dir", str(tmp_path / "sheets"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "sheets").iterdir()) == ["s0001-ch2.md", "s0002-ch2.md", "s0003-ch2.md"]
    assert f"note: the roster {roster}: 1 id is on several lines, one student, with one sheet (s0001 on lines 1, 3): " \
           f"a typo for another student's id?" in r.stderr, r.stderr
    ws = tmp_path / "ws.csv"
    ws.write_text("Identifier,Full name,Username\nParticipant 1,Ann A,s0001\nParticipant 2,Bob B,\n"
                  "Participant 3,Cy C,s0001\n")
    assert roster_notes(ws, "Username", made="page") == [
        f"the roster {ws}: 1 row has an empty 'Username' and no page (line 3 (Bob B)): fill in their ids and run again",
        f"the roster {ws}: 1 'Username' value is on several rows, which are one student, with one page (s0001 on "
        f"line 2 (Ann A), line 4 (Cy C)): give each participant their own id, or use a column that has one per row"]


def test_the_shared_sites_export_of_every_chapter_graded_per_chapter_tells_the_students_nothing_of_the_others(
        tmp_path):
    """An instructor's finding (the shared site, 300 students): the site's export carries every
    chapter answered in that browser, so grading chapter 2 began every student's report and
    Moodle comment with "note: N answers outside chapter 2 not graded: rc-..., ...", and filled
    every row's note.  Expected on this route: the reports, the comments and the rows say
    nothing of it; the run says it once.  A file with no answer of the chapter still says so
    (test_exercises: the wrong file sent)."""
    ids, other = chapter_ids(2), chapter_ids(3)
    ws = _worksheet(tmp_path / "worksheet.csv", _row(1001, "Liam Chen", "s0001"), _row(1002, "Emma Chen", "s0002"))
    sub = _class(tmp_path / "sub", {
        f"{name}_{pid}_assignsubmission_file_/answers-{sid}.json": (sid, {**right_answers(sid, ids),
                                                                          **right_answers(sid, other)})
        for pid, name, sid in ((1001, "Liam Chen", "s0001"), (1002, "Emma Chen", "s0002"))})
    r = cli("grade", "--class", str(sub), "--roster", str(ws), "--roster-column", "Username", "--chapter", "2",
            "--lms-file", str(tmp_path / "graded.csv"), "--feedback", str(tmp_path / "reports"),
            "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    reports = [p.read_text() for p in (tmp_path / "reports").rglob("*.txt")]
    comments = [row["Feedback comments"] for row in csv.DictReader(open(tmp_path / "graded.csv", encoding="utf-8-sig"))]
    notes = [row["note"] for row in csv.DictReader(open(tmp_path / "files.csv"))]
    assert len(reports) == 2 and all(f"{TOP} / {TOP}" in t for t in reports), reports
    for text in reports + comments + notes:
        assert "outside chapter" not in text and other[0] not in text, text
    said = [line for line in r.stderr.splitlines() if "other chapters" in line]
    assert said == ["python -m sim.exercises: note: 2 files also hold answers of other chapters than chapter 2 (an "
                    "export of the book's pages carries every chapter answered in that browser): not graded, and "
                    "not said in the rows or the reports"], r.stderr
    # one file, --student: the report (the student's) without it, the instructor's line on stderr
    one = next(sub.rglob("answers-s0001.json"))
    r = cli("grade", "--student", "s0001", "--chapter", "2", str(one))
    assert r.returncode == 0 and "outside chapter" not in r.stdout and other[0] not in r.stdout, r.stdout
    assert (f"{len(other)} answers outside chapter 2 not graded (an export of the book's pages carries every "
            f"chapter answered in that browser): {', '.join(other)}") in r.stderr, r.stderr


def test_a_file_of_an_older_version_of_the_book_is_named_with_what_to_do(tmp_path):
    """An instructor's finding: a student answered every question right on pages of an older
    version (no question fingerprints) and got 1 of 4, the questions having changed since; the
    run said only "1 file carries no question fingerprints".  The line names the student and
    the file, says their answers were graded on this version's questions, and to ask the
    student which version and grade again with it ("One version of the book")."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "worksheet.csv", _row(1001, "Liam Chen", "s0001"), _row(1002, "Emma Chen", "s0002"))
    sub = tmp_path / "sub"
    for pid, name, sid, fps in ((1001, "Liam Chen", "s0001", True), (1002, "Emma Chen", "s0002", False)):
        f = sub / f"{name}_{pid}_assignsubmission_file_" / f"answers-{sid}.json"
        f.parent.mkdir(parents=True)
        f.write_text(json.dumps(answer_file(sid, right_answers(sid, ids), fingerprints=fps)))
    r = cli("grade", "--class", str(sub), "--roster", str(ws), "--roster-column", "Username", "--chapter", "2",
            "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    said = [line for line in r.stderr.splitlines() if "fingerprints" in line]
    assert len(said) == 1, r.stderr
    assert ("1 file carries no question fingerprints, written by hand or exported by pages or notebooks of an older "
            "version of the book: s0002 (Emma Chen_1002_assignsubmission_file_/answers-s0002.json): its answers "
            "were graded on this version's questions") in said[0], said
    assert ("ask the student which version of the book they answered on, and grade that file again with it (the "
            "instructor guide's \"One version of the book\")") in said[0], said
    assert "s0001" not in said[0]
    from pathlib import Path
    guide = (Path(__file__).resolve().parent.parent / "book" / "instructor-guide.md").read_text()
    assert "### One version of the book" in guide       # the section the line sends the instructor to


def test_an_exercise_left_out_is_not_graded_and_the_maximum_is_the_others(tmp_path):
    """An instructor's finding: on the shared site chapter 6's eqnat-survive needs Python, and a
    class without Binder or a local install could not answer it -- 1 mark in 3 out of reach,
    with no way to grade without it.  grade --leave-out ID grades the chapter's other exercises:
    the answer to it is not read (a wrong one costs nothing), each report says it was not graded,
    the maximum is the others' (the worksheet's must be that one: 3 out of 3 is refused as it
    would read as 2 of 3), and an id not of the chapter, or leaving every one out, is one line."""
    ids = chapter_ids(2)
    left, kept = ids[-1], ids[:-1]
    answers = right_answers("s0001", ids)
    answers[left] = wrong_answer(instance(left, "s0001"))
    sub = _class(tmp_path / "sub", {"Liam Chen_1001_assignsubmission_file_/answers-s0001.json": ("s0001", answers)})
    one = sub / "Liam Chen_1001_assignsubmission_file_" / "answers-s0001.json"
    r = cli("grade", "--student", "s0001", "--chapter", "2", "--leave-out", left, str(one))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"student s0001: {len(kept)} / {len(kept)}\n  note: not graded in this course: {left}\n")
    assert f"] {left} " not in r.stdout, r.stdout
    ws = _worksheet(tmp_path / "worksheet.csv", _row(1001, "Liam Chen", "s0001", top=f"{len(kept)}.00"),
                    _row(1002, "Ahmed Nguyen", "s0002", top=f"{len(kept)}.00"))
    args = ["grade", "--class", str(sub), "--chapter", "2", "--roster", str(ws), "--roster-column", "Username",
            "--lms-file", str(tmp_path / "filled.csv"), "-o", str(tmp_path / "files.csv")]
    r = cli(*args, "--leave-out", left)
    assert r.returncode == 0, r.stderr
    assert [row["Grade"] for row in csv.DictReader(open(tmp_path / "filled.csv", encoding="utf-8-sig"))] == \
        [str(len(kept)), "0"]
    files = list(csv.DictReader(open(tmp_path / "files.csv")))
    assert list(files[0])[8:] == kept and files[0]["max"] == str(len(kept)), files[0]
    assert f"left out of grading (--leave-out): {left}, whose answers are not read; the scores are out of " \
           f"{len(kept)}" in r.stderr, r.stderr
    one_line_error(cli(*args), f"'Maximum Grade' is {len(kept)} and chapter 2 is graded out of {len(ids)}")
    full = _worksheet(tmp_path / "full.csv", _row(1001, "Liam Chen", "s0001"))
    one_line_error(cli(*args[:6], str(full), *args[7:], "--leave-out", left),
                   f"chapter 2 without {left} is graded out of {len(kept)}", f"maximum grade to {len(kept)}")
    one_line_error(cli(*args, "--leave-out", "eqnat-survive"), "'eqnat-survive' is an exercise of chapter 6, not of "
                                                               "chapter 2")
    one_line_error(cli(*args, "--leave-out", ",".join(ids)), "every exercise of chapter 2")
    one_line_error(cli(*args, "--leave-out", "nope"), "--leave-out 'nope': no such exercise")
    one_line_error(cli("grade", "--class", str(sub), "--leave-out", left), "give --chapter N too")


def test_bad_ids_on_the_worksheet_leave_their_rows_untouched_and_say_what_to_do(tmp_path):
    """An instructor's finding: two logins the site refuses ('josé.garcía', 'mary ann') stopped
    sheet and grade with nothing written, and neither the message nor the guide said what to do.
    sheet still refuses (before the course, each such student needs an id), naming an id to give
    each; grade grades the others, refuses the files their folders hold (never graded for an id
    that is none), gives those rows no report and leaves their cells as they were, and says what to
    do: write an id the site accepts in that row's Username cell -- the one their file was exported
    under -- since Moodle's worksheet upload matches rows by Identifier.  Done, they are graded."""
    ids = chapter_ids(2)
    ws = _worksheet(tmp_path / "worksheet.csv", _row(1001, "Liam Chen", "s0001"),
                    _row(1002, "José García", "josé.garcía"), _row(1003, "Mary Ann Lee", "mary ann"),
                    _row(1004, "Wei Li", "s0004"))
    sub = _class(tmp_path / "sub", {
        "Liam Chen_1001_assignsubmission_file_/answers-s0001.json": ("s0001", right_answers("s0001", ids)),
        "José García_1002_assignsubmission_file_/answers-jose.garcia.json":
            ("jose.garcia", right_answers("jose.garcia", ids))})
    r = cli("sheet", "--roster", str(ws), "--roster-column", "Username", "--chapter", "2", "--out-dir",
            str(tmp_path / "keys"))
    one_line_error(r, "2 bad student ids (line 3 'josé.garcía', line 4 'mary ann')", "ASCII letters",
                   "write it in that row's 'Username' cell (line 3: say 'jose.garcia'; line 4: say 'mary.ann')",
                   "the worksheet's upload matches rows by their Identifier, not their Username (Moodle's "
                   "mod/assign/feedback/offline/importgradeslib.php, next())",
                   "tell each one their id, to type in the site's student id box")
    assert not (tmp_path / "keys").exists()
    out, filled = tmp_path / "reports", tmp_path / "filled.csv"
    args = ["grade", "--class", str(sub), "--chapter", "2", "--roster-column", "Username", "--lms-file", str(filled),
            "--feedback", str(out), "--gradebook", str(tmp_path / "book.csv"), "-o", str(tmp_path / "files.csv")]
    r = cli(*args, "--roster", str(ws))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert ("2 bad student ids (line 3 'josé.garcía' (exported as 'jose.garcia'), line 4 'mary ann'), not graded: "
            "their files are refused, they get no report and no gradebook row, and their --lms-file cells stay as "
            "they were") in r.stderr, r.stderr
    assert ("(line 3: 'jose.garcia', the id their file was exported under; line 4: say 'mary.ann')") in r.stderr
    rows = list(csv.DictReader(open(filled, encoding="utf-8-sig")))
    assert [(row["Username"], row["Grade"], row["Feedback comments"] != "") for row in rows] == \
        [("s0001", str(len(ids)), True), ("josé.garcía", "", False), ("mary ann", "", False), ("s0004", "0", True)]
    files = {row["file"]: row for row in csv.DictReader(open(tmp_path / "files.csv"))}
    jose = files["José García_1002_assignsubmission_file_/answers-jose.garcia.json"]
    assert jose["score"] == "" and "is no id the site accepts: not graded" in jose["error"] and not jose["note"], jose
    assert [row["student"] for row in csv.DictReader(open(tmp_path / "book.csv"))] == ["s0001", "s0004"]
    assert sorted(p.name for p in out.rglob("*.txt")) == ["s0001.txt", "s0004.txt"]
    # as the line says: the id in the Username cell, and José's file counts
    ws.write_text(ws.read_text(encoding="utf-8-sig").replace(",josé.garcía,", ",jose.garcia,")
                  .replace(",mary ann,", ",mary.ann,"), encoding="utf-8")
    r = cli(*args, "--roster", str(ws))
    assert r.returncode == 0 and "bad student id" not in r.stderr, r.stderr
    rows = list(csv.DictReader(open(filled, encoding="utf-8-sig")))
    assert [row["Grade"] for row in rows] == [str(len(ids)), str(len(ids)), "0", "0"], rows
    # most of the column no ids (the names' column given for the ids'): nothing graded, the column named
    r = cli(*args, "--roster", str(ws), "--roster-column", "Full name")
    one_line_error(r, "4 bad student ids", "is 'Full name' the column of the students' ids? (--roster-column)")
