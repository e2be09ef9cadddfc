"""An instructor of 300 on the shared site's route (students answer on the book's pages, export an
answer file and upload it to Moodle; the instructor grades the downloads with grade --class): what
they met, each as they met it -- two chapters' downloads in one folder, a roster saved by a
spreadsheet, an id typed as the student's e-mail, two exports of one student, a zip and a
``.json.txt`` sent, a wrong --roster-column, a question that changed since the site was built --
and what the guide's box tells them to do."""
import csv
import io
import json
import os
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from sim.exercises import BANK, instance
from sim.exercises.bank import chapter_ids
from sim.exercises.grade import answer_file
from sim.exercises.site import UNKNOWN_COMMIT, same_commit, source_commit
from sim.exercises.variants import pool_index
from test_exercises import cli, csv_rows, one_line_error, right_answers

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
GUIDE = ROOT / "book" / "instructor-guide.md"
IDS = chapter_ids(2)
TOP = len(IDS)
HEADER = ("Identifier,Full name,Username,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
          "Last modified (submission),Last modified (grade),Feedback comments")


def _worksheet(path, rows):
    """Moodle's grading worksheet: rows of (participant number, full name, username, email)."""
    lines = [HEADER] + [f"Participant {pid},{name},{user},{mail},Submitted for grading,,{TOP}.00,Yes,,-,"
                        for pid, name, user, mail in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _upload(sub, pid, name, file_name, sid, exported="2026-12-04T10:00:00Z", answers=None, **extra):
    """An answer file exported for ``sid`` as the student uploaded it into their Moodle folder."""
    folder = sub / f"{name}_{pid}_assignsubmission_file_"
    folder.mkdir(parents=True, exist_ok=True)
    data = answer_file(sid, answers if answers is not None else right_answers(sid, IDS), secret="",
                       exported=exported)
    data.update(extra)
    (folder / file_name).write_text(json.dumps(data), encoding="utf-8")
    return folder / file_name


def _grade(tmp_path, sub, ws, *more):
    return cli("grade", "--class", str(sub), "--roster", str(ws), "--roster-column", "Username", "--chapter", "2",
               "--feedback", str(tmp_path / "reports"), "-o", str(tmp_path / "files.csv"), *more)


def _files(tmp_path):
    return {Path(r["file"]).name: r for r in csv_rows((tmp_path / "files.csv").read_text())}


def _reports(tmp_path):
    return {p.name: p.read_text() for p in (tmp_path / "reports").rglob("*.txt")}


def _box():
    text = GUIDE.read_text()
    box = text[text.index("In short: the shared site"):]
    return " ".join(box[:box.index("```")].split())


def test_the_shared_site_box_names_every_file_after_its_chapter():
    """The box used fixed names (worksheet.csv, submissions/, reports, feedback.zip, files.csv): a
    second chapter in the same folder was refused with nbgrader's advice, or overwrote the first
    chapter's graded worksheet, and the zip packed both chapters' reports.  Every name is now
    the chapter's, as the nbgrader box's are; the worksheet is edited in a text editor."""
    box = _box()
    for name in ("`worksheet-chN.csv`", "`submissions-chN/`", "--class submissions-chN", "--roster worksheet-chN.csv",
                 "--lms-file worksheet-chN-graded.csv", "--feedback reports-chN", "-o files-chN.csv",
                 "python -m zipfile -c feedback-chN.zip reports-chN", "`feedback-chN.zip`", "`files-chN.csv`"):
        assert name in box, name
    for fixed in ("`worksheet.csv`", "`submissions/`", "--feedback reports ", "feedback.zip reports`",
                  "`files.csv`", "worksheet-graded.csv"):
        assert fixed not in box, fixed
    assert "text editor, not a spreadsheet" in box and "the roster lost its leading zeros" in box


def test_two_assignments_downloads_in_one_folder_are_named_as_such(tmp_path):
    """Chapter 2's and chapter 6's downloads unzipped into one submissions/: every student has two
    Moodle folders (one participant number per assignment).  The refusal said to copy nbgrader's
    submitted/ again ("cp -r submitted COPY"), which this route never did: it names the two
    downloads, with their participant numbers."""
    people = [("Ann Lee", "alee"), ("Bo Chen", "bchen"), ("Cy Dahl", "cdahl"), ("Di Eko", "deko")]
    ws = _worksheet(tmp_path / "worksheet-ch2.csv",
                    [(1001 + k, name, user, f"{user}@uni.example") for k, (name, user) in enumerate(people)])
    sub = tmp_path / "submissions"
    for k, (name, user) in enumerate(people):
        _upload(sub, 1001 + k, name, f"answers-{user}.json", user)        # chapter 2's assignment
        _upload(sub, 1301 + k, name, f"answers-{user}.json", user)        # chapter 6's, beside it
    r = _grade(tmp_path, sub, ws)
    one_line_error(r, "two assignments' downloads unzipped into one folder (participant numbers 1001 and 1301)",
                   "a folder of its own (submissions-chN/)", "nothing written")
    assert "cp -r" not in r.stderr and "nbgrader" not in r.stderr, r.stderr
    # one folder a chapter: graded, and the zip the run names is the chapter's (reports-ch2: feedback-ch2.zip)
    for k, (name, user) in enumerate(people):
        (sub / f"{name}_{1301 + k}_assignsubmission_file_" / f"answers-{user}.json").unlink()
        (sub / f"{name}_{1301 + k}_assignsubmission_file_").rmdir()
    r = cli("grade", "--class", str(sub), "--roster", str(ws), "--roster-column", "Username", "--chapter", "2",
            "--feedback", str(tmp_path / "reports-ch2"), "-o", os.devnull)
    assert r.returncode == 0 and "python -m zipfile -c feedback-ch2.zip " in r.stderr, r.stderr


def test_a_roster_that_lost_its_leading_zeros_is_said_so_and_grades_no_file_by_a_zeros_match(tmp_path):
    """A worksheet opened and saved in a spreadsheet: 0042 became 42, 000815 became 815.  Zoe's
    answers-0042.json was refused as "not on the roster" (9 students with no score, and no word of
    why), and Otto, who had typed 815 on the site, was graded as the roster's 815 -- an id that is
    not his.  Both are refused, saying the roster lost its leading zeros; with the worksheet as
    Moodle wrote it, Otto's 815 is refused for him as his id without its zeros."""
    saved = _worksheet(tmp_path / "saved.csv", [(1001, "Zoe Leading", "42", "0042@uni.example"),
                                                (1002, "Otto Zero", "815", "000815@uni.example"),
                                                (1003, "Ann Lee", "alee", "ann.lee@uni.example")])
    sub = tmp_path / "sub"
    _upload(sub, 1001, "Zoe Leading", "answers-0042.json", "0042")
    _upload(sub, 1002, "Otto Zero", "answers-815.json", "815")
    _upload(sub, 1003, "Ann Lee", "answers-alee.json", "alee")
    r = _grade(tmp_path, sub, saved)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    files = _files(tmp_path)
    for name in ("answers-0042.json", "answers-815.json"):
        assert files[name]["score"] == "", files[name]
        assert files[name]["error"].startswith("the roster lost its leading zeros (opened in a spreadsheet?)"), \
            files[name]["error"]
    assert files["answers-alee.json"]["score"] == str(TOP)
    assert "the roster lost its leading zeros (opened in a spreadsheet?): 2 files" in r.stderr, r.stderr
    assert "edit it in a text editor" in r.stderr
    told = _reports(tmp_path)
    assert "lost the leading zeros of your id" in told["42.txt"] and "not graded yet" in told["42.txt"], told
    # the worksheet as Moodle wrote it: Zoe's file is hers; Otto's 815 is his id without its zeros
    moodle = _worksheet(tmp_path / "worksheet-ch2.csv", [(1001, "Zoe Leading", "0042", "0042@uni.example"),
                                                         (1002, "Otto Zero", "000815", "000815@uni.example"),
                                                         (1003, "Ann Lee", "alee", "ann.lee@uni.example")])
    r = _grade(tmp_path, sub, moodle)
    assert r.returncode == 0, r.stderr
    files = _files(tmp_path)
    assert files["answers-0042.json"]["score"] == str(TOP)
    otto = files["answers-815.json"]
    assert otto["score"] == "" and "'815' is '000815' without its leading zeros" in otto["error"], otto
    assert "the leading zeros are part of your id" in _reports(tmp_path)["000815.txt"]


def test_a_file_exported_under_the_students_own_email_is_graded_on_it_with_a_note(tmp_path):
    """Ann typed her e-mail on the site: her file, in her own Moodle folder, was refused as "not on
    the roster" although the folder says she sent it.  It is graded on the variants she answered
    (her e-mail's), for her, with a note saying what happened; a classmate's e-mail is still
    refused."""
    ws = _worksheet(tmp_path / "worksheet-ch2.csv", [(1001, "Ann Lee", "alee", "ann.lee@uni.example"),
                                                     (1002, "Bo Chen", "bchen", "bo.chen@uni.example")])
    sub = tmp_path / "sub"
    _upload(sub, 1001, "Ann Lee", "answers-ann.lee@uni.example.json", "ann.lee@uni.example")
    _upload(sub, 1002, "Bo Chen", "answers-ann.lee@uni.example.json", "ann.lee@uni.example")
    r = _grade(tmp_path, sub, ws, "--lms-file", str(tmp_path / "graded.csv"))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    rows = {r["student"]: r for r in csv_rows((tmp_path / "files.csv").read_text())}
    assert rows["alee"]["score"] == str(TOP), rows["alee"]
    assert "this is alee's Email address: the student typed their e-mail on the site" in rows["alee"]["note"]
    assert rows["bchen"]["score"] == "" and "ann.lee@uni.example" in rows["bchen"]["error"], rows["bchen"]
    assert "1 file exported under the student's Email address rather than their id" in r.stderr, r.stderr
    report = _reports(tmp_path)["alee.txt"]
    assert f"student alee: {TOP} / {TOP}" in report
    assert "your file was exported under 'ann.lee@uni.example', your Email address, not your id 'alee'" in report
    graded = list(csv.DictReader(open(tmp_path / "graded.csv", encoding="utf-8-sig")))
    assert [g["Grade"] for g in graded] == [str(TOP), ""], graded


def test_each_report_names_its_file_and_export_time_and_whether_it_counted(tmp_path):
    """A student who exported twice got s2300021.txt ("0 / 3", counted) and s2300021--2.txt
    ("2 / 3"), neither naming its file nor saying whether it counted."""
    ws = _worksheet(tmp_path / "worksheet-ch2.csv", [(1001, "Di Jensen", "s2300021", "dj@uni.example")])
    sub = tmp_path / "sub"
    wrong = {k: v for k, v in right_answers("s2300021", IDS).items() if k != IDS[0]}
    _upload(sub, 1001, "Di Jensen", "answers-s2300021.json", "s2300021", exported="2026-12-03T10:00:00Z")
    _upload(sub, 1001, "Di Jensen", "answers-s2300021 (1).json", "s2300021", exported="2026-12-06T23:55:00Z",
            answers=wrong)
    r = _grade(tmp_path, sub, ws)
    assert r.returncode == 0, r.stderr
    told = _reports(tmp_path)
    counted, other = told["s2300021.txt"].splitlines(), told["s2300021--2.txt"].splitlines()
    assert counted[:3] == ["file answers-s2300021 (1).json, exported 2026-12-06T23:55:00Z",
                           "counted: of your files, this one counts (the latest)",
                           f"student s2300021: {TOP - 1} / {TOP}"], counted
    assert other[:3] == ["file answers-s2300021.json, exported 2026-12-03T10:00:00Z",
                         "not counted: your later file answers-s2300021 (1).json counts (your latest file counts)",
                         f"student s2300021: {TOP} / {TOP}"], other
    r = _grade(tmp_path, sub, ws, "--keep", "best")
    told = _reports(tmp_path)
    assert told["s2300021.txt"].startswith("file answers-s2300021.json, exported 2026-12-03T10:00:00Z\ncounted")
    assert "not counted: your file answers-s2300021.json counts (your best file counts" in told["s2300021--2.txt"]


def test_a_zip_and_a_json_txt_are_told_what_to_do(tmp_path):
    """grade --student of answers.zip said "not a UTF-8 text file: save it as UTF-8 (in Notepad
    ...)"; a report for answers-ID.json.txt said "send that file", the file it had just refused."""
    data = json.dumps(answer_file("s1", right_answers("s1", IDS), secret=""))
    with zipfile.ZipFile(tmp_path / "answers.zip", "w") as z:
        z.writestr("answers-s1.json", data)
    r = cli("grade", "--student", "s1", str(tmp_path / "answers.zip"))
    one_line_error(r, "answers.zip is a zip archive, not an answer file: unzip it")
    assert "UTF-8" not in r.stderr and "Notepad" not in r.stderr
    ws = _worksheet(tmp_path / "worksheet-ch2.csv", [(1001, "Al Bee", "s1", "s1@uni.example"),
                                                     (1002, "Cy Dee", "s2", "s2@uni.example"),
                                                     (1003, "Ed Eff", "s3", "s3@uni.example")])
    sub = tmp_path / "sub"
    _upload(sub, 1001, "Al Bee", "answers-s1.json", "s1")
    (sub / "Cy Dee_1002_assignsubmission_file_").mkdir()
    (sub / "Cy Dee_1002_assignsubmission_file_" / "answers-s2.json.txt").write_text(data.replace("s1", "s2"))
    (sub / "Ed Eff_1003_assignsubmission_file_").mkdir()
    (tmp_path / "answers.zip").rename(sub / "Ed Eff_1003_assignsubmission_file_" / "answers.zip")
    r = _grade(tmp_path, sub, ws)
    assert r.returncode == 0, r.stderr
    told = _reports(tmp_path)
    assert "rename it to answers-s2.json" in told["s2.txt"] and "send that file" not in told["s2.txt"], told["s2.txt"]
    assert "it is a zip archive: unzip it and send the answers-ID.json inside" in told["s3.txt"], told["s3.txt"]


def test_a_wrong_roster_column_says_so_first_with_a_few_examples_and_scores_are_not_a_gradebook(tmp_path):
    """--roster-column "Full name" gave a 2 KB line listing 50 names before the hint; and a run that
    writes no gradebook headed its notes "gradebook:"."""
    people = [(1001 + k, f"Student Number{k}", f"s{k:03d}", f"s{k:03d}@uni.example") for k in range(60)]
    ws = _worksheet(tmp_path / "worksheet-ch2.csv", people)
    sub = tmp_path / "sub"
    for pid, name, user, _ in people[:2]:
        _upload(sub, pid, name, f"answers-{user}.json", user)
    _upload(sub, people[2][0], people[2][1], "answers-s002.json", "s002", exported="2026-12-01T10:00:00Z")
    _upload(sub, people[2][0], people[2][1], "answers-s002 (1).json", "s002")
    r = cli("grade", "--class", str(sub), "--roster", str(ws), "--roster-column", "Full name", "--chapter", "2")
    one_line_error(r)
    assert re.search(r"grade: the roster \S+: is 'Full name' the column of the students' ids\? \(--roster-column\)",
                     r.stderr), r.stderr
    assert r.stderr.count("'Student Number") == 5 and len(r.stderr) < 700, r.stderr
    r = _grade(tmp_path, sub, ws, "--lms-file", str(tmp_path / "graded.csv"))
    assert r.returncode == 0, r.stderr
    assert "scores: s002 has 2 files" in r.stderr and "gradebook:" not in r.stderr, r.stderr
    r = _grade(tmp_path, sub, ws, "--lms-file", str(tmp_path / "graded.csv"), "--gradebook", str(tmp_path / "b.csv"))
    assert "gradebook: s002 has 2 files" in r.stderr and "scores: s002" not in r.stderr, r.stderr


def test_a_changed_question_names_the_commit_to_grade_with_and_tells_the_student_plainly(tmp_path, monkeypatch):
    """An old export got "question changed", and the student's report said "re-issue or grade with
    the version the page came from", which a student can't act on.  The export says the commit
    its site was built from ("built"); the report tells the student the question changed after
    they answered and that their instructor will look at it, and the instructor's lines name the
    commit to check out.  An export without "built" (an older site's) is graded as before."""
    # one file in five: fewer than a quarter (which would stop the run: the wrong version for the class)
    ws = _worksheet(tmp_path / "worksheet-ch2.csv", [(1001, "Ole Old", "s1", "s1@uni.example"),
                                                     (1002, "Nia New", "s2", "s2@uni.example")]
                    + [(1002 + k, f"Pat Number{k}", f"s{2 + k}", "") for k in (1, 2, 3)])
    sub = tmp_path / "sub"
    for k in (1, 2, 3):
        _upload(sub, 1002 + k, f"Pat Number{k}", f"answers-s{2 + k}.json", f"s{2 + k}")
    old = _upload(sub, 1001, "Ole Old", "answers-s1.json", "s1", built="0000abc")
    data = json.loads(old.read_text())
    fp = data["answers"][IDS[0]]["fingerprint"]
    data["answers"][IDS[0]]["fingerprint"] = ("0" if fp[0] != "0" else "1") + fp[1:]   # another question's
    old.write_text(json.dumps(data))
    _upload(sub, 1002, "Nia New", "answers-s2.json", "s2")                             # no "built": accepted
    r = _grade(tmp_path, sub, ws)
    assert r.returncode == 0, r.stderr
    told = _reports(tmp_path)["s1.txt"]
    assert "this question changed after you answered; your instructor will look at it" in told, told
    assert "re-issue" not in told and "version" not in told and "0000abc" not in told, told
    assert "git worktree add ../site-0000abc 0000abc" in r.stderr, r.stderr
    rows = _files(tmp_path)
    assert "git worktree add ../site-0000abc 0000abc" in rows["answers-s1.json"]["note"]
    assert rows["answers-s2.json"]["score"] == str(TOP) and "question" not in rows["answers-s2.json"]["note"]
    one = cli("grade", "--student", "s1", "--chapter", "2", str(old))
    assert one.returncode == 0 and "git worktree add ../site-0000abc 0000abc" in one.stderr, one.stderr
    # a file of this grader's own build names no commit: grading with another version is not the way out
    data["built"] = source_commit()
    old.write_text(json.dumps(data))
    one = cli("grade", "--student", "s1", "--chapter", "2", str(old))
    assert one.returncode == 0 and "git worktree" not in one.stderr, one.stderr


def test_the_commit_is_gits_or_unknown_and_compares_by_its_shorter_form(tmp_path):
    assert source_commit(str(tmp_path)) == UNKNOWN_COMMIT            # no repository there
    assert re.fullmatch(r"[0-9a-f]{4,40}|unknown", source_commit())
    assert same_commit("abc1234", "abc1234def") and not same_commit("abc1234", "abd1234")
    assert not same_commit(UNKNOWN_COMMIT, UNKNOWN_COMMIT)


def test_the_guide_says_how_many_students_share_a_whole_chapter_of_variants():
    """"A copied file with the sender's name typed in is refused" was false where two students have
    the same variant of every exercise of the chapter: with 8 variants per exercise, most of a
    class of 300 share their whole set of a two-exercise chapter with someone.  The guide
    qualifies it, with numbers computed when the page is built."""
    text = " ".join(GUIDE.read_text().split())
    assert "A copied file with the sender's name typed in is refused (Carol, below), so" not in text
    assert "is refused (Carol, below) where the two students' variants differ, and only there" in text
    assert "{glue:text}`whole_share`" in text
    page = HTML / "book" / "instructor-guide.html"
    if not page.exists() or "whole set of chapter" not in page.read_text(encoding="utf-8"):
        pytest.skip("the book is not built with this guide (make book)")
    html = " ".join(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")).split())
    klass = [f"example-s{n:03d}" for n in range(1, 301)]
    by_ch = {}
    for k, s in BANK.items():
        by_ch.setdefault(s.chapter, []).append(k)
    shared = {c: sum(n for n in Counter(tuple(pool_index(w, k) for k in ks) for w in klass).values() if n > 1)
              for c, ks in by_ch.items()}
    fewest = min(by_ch, key=lambda c: (len(by_ch[c]), c))
    most = max(by_ch, key=lambda c: (len(by_ch[c]), -c))
    assert f"{shared[fewest]} students have a classmate with their whole set of chapter {fewest}" in html, html[:300]
    assert f"{shared[most]} of chapter {most}" in html


def test_every_page_of_the_site_says_the_same_version_and_its_export_carries_it(tmp_path):
    """The guide says to grade with the version the site was built from, which neither the site
    nor its exports said.  Every page's footer and <meta name="op1-built"> give one commit (git's
    short hash, or "unknown"), the same on every page of one build -- not a fixed value: it is
    the build's -- and the page's export writes it as "built"."""
    pages = sorted((HTML / "book").glob("*.html"))
    if not pages or 'name="op1-built"' not in pages[0].read_text(encoding="utf-8"):
        pytest.skip("the book is not built with the version in its pages (make book)")
    seen = set()
    for p in pages:
        text = p.read_text(encoding="utf-8")
        meta = re.findall(r'<meta name="op1-built" content="([^"]*)"', text)
        foot = re.findall(r'Version <span class="op1-built">([^<]*)</span>', text)
        assert len(meta) == 1 and foot == meta, (p.name, meta, foot)
        seen.add(meta[0])
    assert len(seen) == 1 and re.fullmatch(r"[0-9a-f]{4,40}|unknown", next(iter(seen))), seen


def test_the_pages_export_writes_the_version_its_page_says(site, chromium, tmp_path):
    pg = chromium.new_page(accept_downloads=True)
    try:
        pg.goto(f"{site}/book/02-route-cache.html")
        built = pg.locator('meta[name="op1-built"]').get_attribute("content")
        root = pg.locator(f'[data-exercise="{IDS[0]}"]')
        bar = root.locator(".sx-student")
        bar.locator("input").fill("s1")
        bar.locator(".sx-use").click()
        inst = instance(IDS[0], "s1", secret="")
        _answer(pg, root, inst, inst.choices[0])
        with pg.expect_download() as dl:
            root.locator(".sx-export").click()
        exported = json.loads(Path(dl.value.path()).read_text())
    finally:
        pg.close()
    assert built and exported["built"] == built, exported


from test_exercise_site import _answer, site  # noqa: E402,F401  (the built site, served: a fixture)
