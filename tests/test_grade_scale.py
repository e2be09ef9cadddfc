"""Grading a class: grading instances agree with the page's, processes change nothing, the
progress bar only on a terminal, the version checked, long answers shortened, every output
whole or absent, and the gradebook (one row per student)."""
import csv
import fcntl
import json
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import termios

import pytest

from sim.exercises import BANK, instance
from sim.exercises.bank import chapter_ids
from sim.exercises.grade import GradeError, answer_file, grade, grade_folder, load_answers
from sim.exercises.variants import SECRET_ENV
from test_exercises import ROOT, cli, one_line_error, right_answers, wrong_answer


@pytest.fixture(autouse=True)
def practice_mode(monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)


def rows(text):
    return list(csv.DictReader(text.splitlines()))


# exercises whose grading instance is built differently (no drawing, no config pre-runs,
# runs read through their summary made without a trace)
DIFFERENT = [k for k, s in BANK.items() if s.kind in ("predict", "config", "repair")] + ["eqnat-survive"]


@pytest.mark.parametrize("ex_id", DIFFERENT)
def test_a_grading_instance_judges_as_the_pages_does(ex_id):
    for student in ("alice", "s007"):
        full, lean = instance(ex_id, student), instance(ex_id, student, grading=True)
        assert lean is not full and lean.grading_only and not full.grading_only
        assert (lean.salt, lean.prompt, lean.choices, lean.options, lean.start, lean.run) == \
               (full.salt, full.prompt, full.choices, full.options, full.start, full.run)
        answers = [full.accepted[0], wrong_answer(full), "nonsense"]
        if full.form == "config":           # every configuration offered, right or wrong
            answers += list(full.outcomes)
        for answer in answers:
            ok_full, text_full = full.check(answer)
            ok_lean, text_lean = lean.check(answer)
            assert ok_full == ok_lean, (answer, text_full, text_lean)
            # a right configuration: the page's explanation adds the list of working choices
            assert text_full == text_lean or (full.form == "config" and text_full.startswith(text_lean))
        with pytest.raises(ValueError, match="built for grading"):
            lean.sealed()
        with pytest.raises(ValueError, match="built for grading"):
            lean.key()


def _class(folder, n=6, chapter=2):
    """``n`` students' answer files of ``chapter``: student k gets k mod (exercises + 1) right."""
    ids = chapter_ids(chapter)
    made = {}
    for k in range(n):
        sid = f"st{k:02d}"
        right = right_answers(sid, ids)
        answers = {ex: (right[ex] if j < k % (len(ids) + 1) else wrong_answer(instance(ex, sid)))
                   for j, ex in enumerate(ids)}
        made[sid] = sum(answers[ex] == right[ex] for ex in ids)
        (folder / f"{sid}.json").write_text(json.dumps(answer_file(sid, answers, chapter=chapter,
                                                                   exported=f"2026-12-0{1 + k % 3}T10:00:00Z")))
    return made


def test_processes_change_nothing_but_the_time(tmp_path):
    made = _class(tmp_path, n=7)
    one = grade_folder(tmp_path, jobs=1, progress=False)
    two = grade_folder(tmp_path, jobs=2, progress=False)
    assert one.csv() == two.csv() and one.gradebook() == two.gradebook()
    assert {r["student"]: int(r["score"]) for r in rows(two.csv())} == made


def test_processes_build_each_variant_once(tmp_path, monkeypatch):
    """Each worker process built every pool variant of the class again: two processes took twice
    the CPU time of one (the reviewer's 300 files of chapter 10).  They are built once, before
    the workers fork."""
    import dataclasses
    from sim.exercises.bank import forget_runs
    from sim.exercises.variants import member
    made = _class(tmp_path, n=12)
    log = tmp_path.parent / f"{tmp_path.name}-builds.txt"
    for ex_id in chapter_ids(2):
        spec = BANK[ex_id]

        def build(name, rng, _build=spec.build):
            with open(log, "a") as f:
                f.write(f"{os.getpid()}\n")
            return _build(name, rng)
        monkeypatch.setitem(BANK, ex_id, dataclasses.replace(spec, build=build))
    forget_runs()
    g = grade_folder(tmp_path, jobs=2, progress=False)
    forget_runs()
    assert {r["student"]: int(r["score"]) for r in rows(g.csv())} == made
    builds = log.read_text().split()
    assert len(builds) == len({(ex, member(sid, ex)) for sid in made for ex in chapter_ids(2)}), builds
    assert set(builds) == {str(os.getpid())}, builds


def _start_on_a_terminal(args):
    """Start the CLI with standard error on a pseudo-terminal 100 wide: (process, terminal fd)."""
    main, sub = pty.openpty()
    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    p = subprocess.Popen([sys.executable, "-m", "sim.exercises", *args], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=sub, stdin=subprocess.DEVNULL)
    os.close(sub)
    return p, main


def _read_to_end(main, shown=b"", limit: float = 300):
    """What the terminal shows until the child closes it (appended to ``shown``); closes it.
    A terminal still open after ``limit`` seconds fails the test (a process left running would
    otherwise hang the whole run)."""
    import select
    import time
    deadline = time.monotonic() + limit
    while True:
        if not select.select([main], [], [], max(0.0, deadline - time.monotonic()))[0]:
            os.close(main)
            pytest.fail(f"the terminal was still open after {limit:g} s: {shown[-300:]!r}")
        try:
            chunk = os.read(main, 4096)
        except OSError:                     # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    return shown


def _on_a_terminal(args):
    """Run the CLI with standard error on a pseudo-terminal; (exit status, what it showed)."""
    p, main = _start_on_a_terminal(args)
    shown = _read_to_end(main)
    p.communicate(timeout=300)
    return p.returncode, shown.decode(errors="replace")


def test_a_progress_bar_on_a_terminal_only(tmp_path):
    pytest.importorskip("tqdm")
    _class(tmp_path, n=4)
    rc, shown = _on_a_terminal(["grade", "--class", str(tmp_path), "--jobs", "1", "-o", str(tmp_path.parent / "g.csv")])
    assert rc == 0, shown
    assert "grading" in shown and "4/4" in shown and "file" in shown
    r = cli("grade", "--class", str(tmp_path), "--jobs", "1")      # stderr a pipe: no bar
    # (graded without a course secret: the practice reminder is the one other line)
    assert r.returncode == 0 and [x for x in r.stderr.splitlines()
                                  if "summary:" not in x and "no course secret" not in x] == []


@pytest.mark.parametrize("version, shown", [(2, "is 2"), ("1", "is '1'"), (True, "is True"), (None, "is None")])
def test_the_answer_files_version_is_checked(tmp_path, version, shown):
    data = answer_file("alice", right_answers("alice", chapter_ids(2)))
    data["version"] = version
    f = tmp_path / "a.json"
    f.write_text(json.dumps(data))
    one_line_error(cli("grade", "--student", "alice", str(f)), '"version" in the answer file ' + shown,
                   "this grader reads version 1")
    del data["version"]                                          # a file written by hand may omit it
    assert grade("alice", data).score == len(chapter_ids(2))


def test_a_huge_answer_is_shortened_in_every_report(tmp_path):
    big = "x" * 2_000_000
    f = tmp_path / "a.json"
    f.write_text(json.dumps(answer_file("alice", {"rc-hit": big, "rc-count": big})))
    for fmt in ("text", "json"):
        r = cli("grade", "--student", "alice", "--format", fmt, str(f))
        assert r.returncode == 0, r.stderr
        assert len(r.stdout) < 3000 and "(2,000,000 characters)" in r.stdout, r.stdout[:3000]
    rep = grade("alice", load_answers(f))
    hit = next(it for it in rep.items if it["id"] == "rc-hit")
    assert hit["feedback"] == f"{'x' * 80!r}… (2,000,000 characters) is not one of: hit, miss"
    data = answer_file("x" * 1000, {"rc-hit": "hit"})
    with pytest.raises(GradeError, match=r"belongs to student 'x{80}'… \(1,000 characters\), not to 'alice'"):
        grade("alice", data)


def test_every_output_is_whole_or_absent_and_named(tmp_path):
    (tmp_path / "class").mkdir()
    _class(tmp_path / "class", n=2)
    one_line_error(cli("grade", "--class", str(tmp_path / "class"), "-o", "/dev/full"),
                   "can't write /dev/full: No space left on device")
    one_line_error(cli("grade", "--class", str(tmp_path / "class"), "--gradebook", "/dev/full",
                       "-o", str(tmp_path / "g.csv")), "can't write /dev/full")
    assert not (tmp_path / "g.csv").exists()                    # nothing written after a failed output
    f = tmp_path / "class" / "st01.json"
    one_line_error(cli("grade", "--student", "st01", str(f), "-o", "/dev/full"), "can't write /dev/full")
    one_line_error(cli("grade", "--student", "st01", str(f), "-o", str(tmp_path / "no" / "r.txt")),
                   f"can't write {tmp_path / 'no' / 'r.txt'}")
    # a file-size limit: the CSV can't be written whole, so it is not there at all
    r = subprocess.run([sys.executable, "-c", "import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, "
                        "(100, 100)); from sim.exercises.__main__ import main; sys.exit(main(sys.argv[1:]))",
                        "grade", "--class", str(tmp_path / "class"), "-o", str(tmp_path / "big.csv"),
                        "--jobs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    one_line_error(r, f"can't write {tmp_path / 'big.csv'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class"]
    one_line_error(cli("grade", "--student", "st01", str(f), "--gradebook", "g.csv"), "--gradebook goes with --class")
    one_line_error(cli("grade", "--class", str(tmp_path / "class"), "--jobs", "0"), "--jobs must be", "got 0")


def test_the_gradebook_has_one_row_per_student(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    made = _class(folder, n=4)
    later = answer_file("st00", right_answers("st00", chapter_ids(2)), chapter=2, exported="2026-12-05T09:30:00+01:00")
    (folder / "st00-again.json").write_text(json.dumps(later))   # st00 sent a better file later
    (folder / "zed.json").write_text("{broken")
    plain = answer_file("st03", {"rc-hit": "hit"}, chapter=2)
    del plain["exported"]                   # a hand-written file: its time stamp is the unzip's, so it is the oldest
    (folder / "st03-late.json").write_text(json.dumps(plain))
    os.utime(folder / "st03-late.json", (1_800_000_000, 1_800_000_000))
    (folder / "eve.json").write_text(json.dumps(answer_file("eve", {"rc-hit": "hit"}, chapter=2)))  # not enrolled
    roster = tmp_path / "roster.txt"
    roster.write_text("st00\nst01\nst02\nst03\nnobody\nzed\n")
    book = tmp_path / "gradebook.csv"
    r = cli("grade", "--class", str(folder), "--roster", str(roster), "--gradebook", str(book),
            "-o", str(tmp_path / "grades.csv"))
    assert r.returncode == 0, r.stderr
    text = book.read_text()
    assert text.splitlines()[0] == "student,score,max,percent,submitted_at"
    got = {row["student"]: row for row in rows(text)}
    assert list(got) == ["nobody", "st00", "st01", "st02", "st03", "zed"]
    assert got["st00"] == {"student": "st00", "score": "2", "max": "2", "percent": "100.0",
                           "submitted_at": "2026-12-05T08:30:00Z"}
    assert (got["st01"]["score"], got["st01"]["submitted_at"]) == (str(made["st01"]), "2026-12-02T10:00:00Z")
    assert got["st02"]["percent"] == f"{100 * made['st02'] / 2:.1f}"
    assert got["st03"]["submitted_at"] == "2026-12-01T10:00:00Z"       # the exported file, not the 2027 one
    assert got["nobody"] == {"student": "nobody", "score": "0", "max": "2", "percent": "0.0", "submitted_at": ""}
    assert (got["zed"]["score"], got["zed"]["max"], got["zed"]["percent"]) == ("", "2", "")  # no 0 over a grade
    assert "gradebook: st00 has 2 files, st00-again.json counted (the latest submitted; of two submitted together, the better)" in r.stderr
    assert "gradebook: no score for zed" in r.stderr
    assert "gradebook: left out, not on the roster: eve (their rows are in the per-file CSV)" in r.stderr
    per_file = rows((tmp_path / "grades.csv").read_text())
    assert len(per_file) == 9 and {row["file"] for row in per_file} >= {"st00.json", "st00-again.json", "zed.json",
                                                                        "eve.json"}
    # st00 sends a worse file later still: counted by default; --keep best keeps the better one
    worse = answer_file("st00", {k: wrong_answer(instance(k, "st00")) for k in chapter_ids(2)}, chapter=2,
                        exported="2026-12-06T09:00:00Z")
    (folder / "st00-last.json").write_text(json.dumps(worse))
    for keep, score in (("latest", "0"), ("best", "2")):
        r = cli("grade", "--class", str(folder), "--roster", str(roster), "--gradebook", str(book), "--keep", keep,
                "-o", os.devnull)
        assert r.returncode == 0, r.stderr
        assert {row["student"]: row for row in rows(book.read_text())}["st00"]["score"] == score, keep
    assert "st00-again.json counted (the best score; of two as good, the later submitted: --keep best)" in r.stderr


def test_ctrl_c_stops_the_class_in_one_line_and_writes_nothing(tmp_path):
    pytest.importorskip("tqdm")
    import signal
    folder = tmp_path / "class"
    folder.mkdir()
    data = answer_file("st00", right_answers("st00", chapter_ids(6)), chapter=6)
    for k in range(300):                       # one file copied: each is graded again, as another student's would be
        (folder / f"copy{k:03d}.json").write_text(json.dumps(data))
    out = tmp_path / "grades.csv"
    p, main = _start_on_a_terminal(["grade", "--class", str(folder), "-o", str(out), "--jobs", "2"])
    shown = b""
    while b"/300" not in shown:                # the bar is up: grading has begun
        chunk = os.read(main, 4096)
        assert chunk, shown
        shown += chunk
    p.send_signal(signal.SIGINT)
    shown = _read_to_end(main, shown)
    p.communicate(timeout=120)
    text = shown.decode(errors="replace")
    assert p.returncode == 130, text
    assert text.rstrip().endswith("python -m sim.exercises grade: interrupted") and "Traceback" not in text, text
    assert sorted(x.name for x in tmp_path.iterdir()) == ["class"]


def test_submitted_at_is_the_export_time_else_the_files(tmp_path):
    from sim.exercises.grade import submitted_at
    f = tmp_path / "a.json"
    f.write_text("{}")
    os.utime(f, (1_800_000_000, 1_800_000_000))
    mtime = "2027-01-15T08:00:00Z"
    assert submitted_at({"exported": "2026-12-03T10:11:12Z"}, f) == "2026-12-03T10:11:12Z"
    assert submitted_at({"exported": "2026-12-03T10:11:12.345+02:00"}, f) == "2026-12-03T08:11:12Z"
    assert submitted_at({"exported": "2026-12-03T10:11:12"}, f) == "2026-12-03T10:11:12Z"      # taken as UTC
    for bad in ("yesterday", 17, None, "2026-12-03T10:11:12Z" + " " * 100):
        assert submitted_at({"exported": bad}, f) == mtime
    assert submitted_at(GradeError("not JSON"), f) == mtime
    assert submitted_at({}, tmp_path / "gone.json") == ""


def test_a_ctrl_c_python_could_not_raise_is_remembered_and_not_printed(monkeypatch):
    """A Ctrl-C that lands where Python cannot raise it (a fork handler; here, as
    deterministically, an object's ``__del__``) is not printed as "Exception ignored in ...":
    it is remembered, and the grading stops as for any Ctrl-C.  Other unraisable errors
    still go to the hook as before."""
    import signal
    import importlib
    g = importlib.import_module("sim.exercises.grade")   # (sim.exercises.grade is also a function)
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)

    class PressedInDel:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):               # the handler runs at the next check, inside __del__
                pass

    class FailsInDel:
        def __del__(self):
            raise ValueError("not a Ctrl-C")

    def rows(items, jobs, task, bar, ctrl_c):
        FailsInDel()
        PressedInDel()
        return []
    monkeypatch.setattr(g, "_graded_rows", rows)
    with pytest.raises(KeyboardInterrupt):
        g._graded([], 1, {}, None)
    assert [type(u.exc_value) for u in seen] == [ValueError]
    assert sys.unraisablehook == seen.append and signal.getsignal(signal.SIGINT) is signal.default_int_handler


EXIT_CTRL_C = """
import os, signal, sys, threading, time
from sim.exercises.__main__ import _done_ctrl_c
if sys.argv[1] == "hooked":
    sys.unraisablehook = _done_ctrl_c

def press_at_exit():
    while threading.main_thread().is_alive():   # until Python's exit waits for this thread
        time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.5)                             # still waited for when the Ctrl-C is handled
threading.Thread(target=press_at_exit).start()
"""


def test_a_ctrl_c_while_python_exits_after_the_command_prints_nothing():
    """After the command, Python's exit waits for the pool's threads; a Ctrl-C pressed then
    would print "Exception ignored in: <module 'threading'>" and a traceback.  With the CLI's
    hook it prints nothing (the control run, without it, shows what it would print)."""
    got = {how: subprocess.run([sys.executable, "-c", EXIT_CTRL_C, how], cwd=ROOT, capture_output=True,
                               text=True, timeout=60) for how in ("plain", "hooked")}
    assert "Exception ignored" in got["plain"].stderr and "KeyboardInterrupt" in got["plain"].stderr
    assert got["hooked"].stderr == "", got["hooked"].stderr


START_CTRL_C = """
import importlib, os, signal
from concurrent.futures import process
g = importlib.import_module("sim.exercises.grade")
fired = []
spawn = process.ProcessPoolExecutor._spawn_process

def spawn_then_press(self):                    # the Ctrl-C comes once the first worker is started
    spawn(self)
    if not fired:
        fired.append(1)
        os.kill(os.getpid(), signal.SIGINT)
process.ProcessPoolExecutor._spawn_process = spawn_then_press
items = [(f"st{k:02d}", g.GradeError("unread")) for k in range(40)]
try:
    g._graded(items, 2, {"chapter": 6, "secret": "s", "known": ()}, None)
    print("graded to the end")
except KeyboardInterrupt:
    print("interrupted")
"""


def test_a_ctrl_c_while_the_pool_starts_its_workers_leaves_none_behind():
    """A Ctrl-C that comes while the pool is starting its workers (here, once the first one is
    started) stops the grading, and every worker started ends: before, the first was left
    waiting for work that never came, and the grader (or whatever read its output) with it."""
    p = subprocess.Popen([sys.executable, "-c", START_CTRL_C], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=120)     # the end of its output: no process holds it open
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail("a worker was left running after the Ctrl-C")
    assert (out, err, p.returncode) == ("interrupted\n", "", 0)


def test_student_ids_are_case_insensitive_from_the_roster_to_the_gradebook(tmp_path):
    """An instructor's roster says ``S101``, the student typed ``s101`` in the book (or the other
    way round): one student, one variant; the gradebook spells them as the roster does."""
    from sim.exercises.variants import pool_index
    assert all(pool_index("S101", k) == pool_index("s101", k) for k in BANK)
    ids = chapter_ids(2)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "answers-s101.json").write_text(json.dumps(answer_file("s101", right_answers("s101", ids))))
    (tmp_path / "sub" / "answers-S102.json").write_text(json.dumps(answer_file("S102", right_answers("s102", ids))))
    (tmp_path / "roster.txt").write_text("S101\ns102\nS103\ns101\n")
    r = cli("grade", "--class", str(tmp_path / "sub"), "--chapter", "2", "--roster", str(tmp_path / "roster.txt"),
            "--gradebook", str(tmp_path / "gb.csv"), "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row for row in csv.DictReader((tmp_path / "gb.csv").open())}
    n = len(ids)
    assert {s: (b["score"], b["max"]) for s, b in book.items()} == {
        "S101": (str(n), str(n)), "s102": (str(n), str(n)), "S103": ("0", str(n))}, book
    assert "not on the roster" not in r.stderr and "another student" not in (tmp_path / "files.csv").read_text()
    # one student whatever the case they are graded as
    assert grade("S101", load_answers(tmp_path / "sub" / "answers-s101.json"), chapter=2).score == n


def test_a_class_graded_with_the_wrong_chapter_or_secret_is_told_so(tmp_path, monkeypatch):
    """A wrong --chapter would have written 0 for everyone: refused, naming the chapters the files
    answer.  A forgotten (or unneeded) course secret refuses most files: one line says which, and
    nothing is written unless --force (a gradebook of blanks was written, exit status 0)."""
    ids = chapter_ids(2)
    (tmp_path / "sub").mkdir()
    for sid in ("s1", "s2", "s3"):
        (tmp_path / "sub" / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, right_answers(sid, ids))))
    one_line_error(cli("grade", "--class", str(tmp_path / "sub"), "--chapter", "7", "--gradebook",
                       str(tmp_path / "gb.csv")), "no answer file in", "answers chapter 7 (they answer chapter 2)",
                   "check --chapter")
    assert not (tmp_path / "gb.csv").exists()
    # practice files graded with a secret
    monkeypatch.setenv(SECRET_ENV, "course-secret-1")          # (the command inherits the environment)
    one_line_error(cli("grade", "--class", str(tmp_path / "sub"), "--chapter", "2", "--gradebook",
                       str(tmp_path / "gb.csv"), "--feedback", str(tmp_path / "fb")),
                   "3 of 3 files were answered on practice pages", "nothing written", "--force")
    assert not (tmp_path / "gb.csv").exists() and not (tmp_path / "fb").exists()
    r = cli("grade", "--class", str(tmp_path / "sub"), "--chapter", "2", "--force", "--gradebook",
            str(tmp_path / "gb.csv"))
    assert r.returncode == 0 and "3 of 3 files were answered on practice pages" in r.stderr, r.stderr
    assert (tmp_path / "gb.csv").exists() and r.stdout.startswith("student,file,")
    # files made with a secret, graded without it
    (tmp_path / "sec").mkdir()
    for sid in ("s1", "s2", "s3", "s4"):
        (tmp_path / "sec" / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, right_answers(sid, ids))))
    monkeypatch.delenv(SECRET_ENV)
    r = cli("grade", "--class", str(tmp_path / "sec"), "--chapter", "2", "-o", str(tmp_path / "files.csv"))
    one_line_error(r, "4 of 4 files were answered on pages or notebooks this grader cannot place", "--secret-file")
    assert not (tmp_path / "files.csv").exists() and r.stdout == ""
    # below a quarter: written, as before (a student or two on the wrong page is theirs to fix)
    (tmp_path / "sec" / "answers-s1.json").write_text(json.dumps(answer_file("s1", right_answers("s1", ids))))
    for sid in ("s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17"):
        (tmp_path / "sec" / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, right_answers(sid, ids))))
    r = cli("grade", "--class", str(tmp_path / "sec"), "--chapter", "2", "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0 and (tmp_path / "files.csv").exists(), r.stderr
    one_line_error(cli("grade", "--student", "s1", str(tmp_path / "sec" / "answers-s1.json"), "--force"),
                   "--force goes with --class DIR")


def test_files_in_an_lms_folder_per_student_are_graded_and_a_skipped_ones_owner_keeps_no_score(tmp_path):
    """Moodle's "submissions in folders" puts each upload in a folder of its own: graded.  A
    roster student whose only file was skipped (``answers-s175.txt``) gets no score, not 0, so
    that an import leaves their grade alone."""
    ids = chapter_ids(2)
    sub = tmp_path / "sub"
    (sub / "Jane Doe176_12345_assignsubmission_file_").mkdir(parents=True)
    (sub / "Jane Doe176_12345_assignsubmission_file_" / "answers-s176.json").write_text(
        json.dumps(answer_file("s176", right_answers("s176", ids))))
    (sub / "answers-s175.txt").write_text(json.dumps(answer_file("s175", right_answers("s175", ids))))
    (tmp_path / "roster.txt").write_text("s175\ns176\ns177\n")
    # a roster of ids places no Moodle folder: nothing is written unless the instructor insists
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(tmp_path / "roster.txt"),
                       "--gradebook", str(tmp_path / "gb.csv")), "a roster of ids places none of them",
                   "grading worksheet", "nothing written")
    assert not (tmp_path / "gb.csv").exists()
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(tmp_path / "roster.txt"),
            "--gradebook", str(tmp_path / "gb.csv"), "-o", str(tmp_path / "files.csv"), "--force")
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())}
    assert book == {"s175": "", "s176": str(len(ids)), "s177": "0"}, book
    files = {row["student"]: row for row in csv.DictReader((tmp_path / "files.csv").open())}
    assert "answers-s175.txt was skipped" in files["s175"]["note"]
    assert files["s176"]["file"] == "Jane Doe176_12345_assignsubmission_file_/answers-s176.json"


def _report_body(text):
    """A report of --feedback without its first lines -- its file and export time, and for a student
    with several files whether it counted (test_grade_shared_site.py): what grade --student prints."""
    lines = text.split("\n")
    assert lines[0].startswith("file "), text
    skip = 2 if lines[1].startswith(("counted: ", "not counted: ")) else 1
    return "\n".join(lines[skip:])


def test_a_class_gets_each_students_report_to_hand_back(tmp_path):
    """``--feedback DIR``: the report ``grade --student`` prints, one file per student, from the
    one grading of the class (handing feedback back took one call per student)."""
    ids = chapter_ids(2)
    sub = tmp_path / "sub"
    sub.mkdir()
    wrong = right_answers("s2", ids)
    wrong[ids[0]] = wrong_answer(instance(ids[0], "s2"))
    for sid, ans in (("s1", right_answers("s1", ids)), ("s2", wrong)):
        (sub / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, ans)))
    (sub / "answers-s3.json").write_text("{not json")
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--feedback", str(tmp_path / "fb"), "-o", os.devnull)
    assert r.returncode == 0 and "3 reports written into" in r.stderr, r.stderr
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == ["s1.txt", "s2.txt", "s3.txt"]
    for sid in ("s1", "s2"):
        one = cli("grade", "--student", sid, "--chapter", "2", str(sub / f"answers-{sid}.json"))
        assert _report_body((tmp_path / "fb" / f"{sid}.txt").read_text()) == one.stdout
    assert "could not be graded" in (tmp_path / "fb" / "s3.txt").read_text()
    one_line_error(cli("grade", "--student", "s1", str(sub / "answers-s1.json"), "--feedback", str(tmp_path / "x")),
                   "--feedback goes with --class DIR")
    # two files of s1: ID.txt is the report of the one the gradebook counts (--keep), the other is
    # ID--2.txt (a script handing reports out by roster id once found no s1.txt; a name made of the
    # file's path named the LMS folder, the student who uploaded it)
    worse = right_answers("s1", ids)
    worse[ids[0]] = wrong_answer(instance(ids[0], "s1"))
    (sub / "answers-s3.json").unlink()
    (sub / "late-s1.json").write_text(json.dumps(answer_file("s1", worse, exported="2099-01-01T00:00:00Z")))
    (sub / "answers-s1.json").write_text(json.dumps(answer_file("s1", right_answers("s1", ids),
                                                                exported="2026-01-01T00:00:00Z")))
    for keep, counted in (("latest", "late-s1.json"), ("best", "answers-s1.json")):
        fb = tmp_path / f"fb-{keep}"
        r = cli("grade", "--class", str(sub), "--chapter", "2", "--feedback", str(fb), "--keep", keep,
                "-o", os.devnull)
        assert r.returncode == 0, r.stderr
        other = "answers-s1.json" if counted == "late-s1.json" else "late-s1.json"
        assert sorted(p.name for p in fb.iterdir()) == sorted(["s1.txt", "s1--2.txt", "s2.txt"]), keep
        assert _report_body((fb / "s1--2.txt").read_text()) == cli("grade", "--student", "s1", "--chapter", "2",
                                                                    str(sub / other)).stdout, keep
        one = cli("grade", "--student", "s1", "--chapter", "2", str(sub / counted))
        assert _report_body((fb / "s1.txt").read_text()) == one.stdout, keep


def test_feedback_counts_the_reports_it_did_not_write_and_names_files_alone(tmp_path):
    """Re-grading one file into a folder of earlier reports said "1 reports written" and left the
    others, stale, to be handed out: they are left alone (the grader never deletes what it
    cannot tell is its own) and counted in one line.  A report of a broken file names the file
    as the student named it, not the instructor's folders, and reads "starting at line 1"
    (it read "starting at at line 1")."""
    ids = chapter_ids(2)
    sub = tmp_path / "work" / "subs"
    (sub / "s020").mkdir(parents=True)
    (sub / "answers-s1.json").write_text(json.dumps(answer_file("s1", right_answers("s1", ids))))
    (sub / "s020" / "answers-s020.json").write_text('{"student": "s020", "answers": {"rc-hit": "unterminated')
    fb = tmp_path / "fb"
    fb.mkdir()
    for old in ("s2.txt", "s3.txt"):
        (fb / old).write_text("an earlier run's report\n")
    (fb / "README.md").write_text("the teacher's own note\n")
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--feedback", str(fb), "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    assert "2 reports written into" in r.stderr
    said = [line for line in r.stderr.splitlines() if "not written by this run" in line]
    assert len(said) == 1 and "2 other reports in" in said[0] and "s2.txt" in said[0], r.stderr
    assert sorted(p.name for p in fb.iterdir()) == ["README.md", "s020.txt", "s1.txt", "s2.txt", "s3.txt"]
    report = _report_body((fb / "s020.txt").read_text())
    assert report.startswith("answers-s020.json: could not be graded: answers-s020.json is not JSON "
                             "(Unterminated string starting at line 1)"), report
    assert str(tmp_path) not in report and "work/subs" not in report and "at at" not in report
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--feedback", str(tmp_path / "new"), "-o", os.devnull)
    assert r.returncode == 0 and "not written by this run" not in r.stderr, r.stderr
    with pytest.raises(GradeError, match=r"starting at line 1\)") as e:
        load_answers(sub / "s020" / "answers-s020.json")
    assert "at at" not in str(e.value)


def _release_file(where, wrong=()):
    """What a student's copy of nbgrader's release notebook exports (student "release"), where
    nbgrader or an LMS keeps it; ``wrong``: exercises answered wrong."""
    ids = chapter_ids(6)
    ans = {k: wrong_answer(instance(k, "release")) if k in wrong else instance(k, "release").answer for k in ids}
    where.mkdir(parents=True, exist_ok=True)
    (where / "answers-release-ch6.json").write_text(json.dumps(answer_file("release", ans, chapter=6)))


def test_nbgraders_submitted_files_are_graded_for_the_student_of_their_folder(tmp_path):
    """Every released notebook exports "student": "release", and nbgrader keeps each student's
    in submitted/ID/ch06/: graded as the guide advises (grade --class), every file was
    "release ... not on the roster" and the gradebook gave every student 0.  The student is
    the folder's (graded on the release variant); a file in no student's folder is not graded,
    and then nobody gets a 0 they may not deserve."""
    ids = chapter_ids(6)
    course = tmp_path / "course"
    _release_file(course / "submitted" / "s001" / "ch06")
    _release_file(course / "submitted" / "s002" / "ch06", wrong=ids[:1])
    roster = tmp_path / "roster.txt"
    roster.write_text("s001\ns002\ns003\n")
    for graded in (course / "submitted", course):
        r = cli("grade", "--class", str(graded), "--chapter", "6", "--roster", str(roster), "--gradebook",
                str(tmp_path / "gb.csv"), "--feedback", str(tmp_path / "fb"), "-o", str(tmp_path / "files.csv"))
        assert r.returncode == 0, r.stderr
        book = {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())}
        assert book == {"s001": "3", "s002": "2", "s003": "0"}, (graded, book)
        files = {row["student"]: row for row in csv.DictReader((tmp_path / "files.csv").open())}
        assert "graded for s001, named by its folder s001/ (nbgrader's submitted/ID/)" in files["s001"]["note"]
        assert "not on the roster" not in r.stderr
        assert _report_body((tmp_path / "fb" / "s002.txt").read_text()).startswith("student s002: 2 / 3\n")
    # a folder named exactly after a roster id (one per student, as the instructor laid them out)
    lms = tmp_path / "lms"
    _release_file(lms / "s003")
    r = cli("grade", "--class", str(lms), "--chapter", "6", "--roster", str(roster), "-o", str(tmp_path / "f.csv"))
    files = {row["student"]: row for row in csv.DictReader((tmp_path / "f.csv").open())}
    assert r.returncode == 0 and files["s003"]["score"] == "3" and files["s001"]["score"] == "0", r.stderr
    # in no student's folder: not graded, and no 0 for anyone
    flat = tmp_path / "flat"
    _release_file(flat)
    r = cli("grade", "--class", str(flat), "--chapter", "6", "--roster", str(roster),
            "--gradebook", str(tmp_path / "gb.csv"), "-o", str(tmp_path / "f.csv"))
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())}
    assert book == {"s001": "", "s002": "", "s003": ""}, book
    files = list(csv.DictReader((tmp_path / "f.csv").open()))
    assert files[0]["student"] == "release" and "in no student's folder" in files[0]["error"]
    assert "1 file of nbgrader's release notebook (student 'release') in no student's folder" in r.stderr


def _handed_in(where, stamp="2026-12-01 10:01:00.000000 UTC"):
    """What nbgrader's submit/collect leaves beside the export: the notebook, timestamp.txt and
    submission_secret.txt (nbgrader 0.9.6's exchange submit writes both, its collect keeps them)."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "ch06-exercises.ipynb").write_text("{}")
    (where / "timestamp.txt").write_text(stamp)
    (where / "submission_secret.txt").write_text("8a5d1f0c-5a8e-4b1e-9f3e-0c1d2e3f4a5b")


def test_a_notebook_handed_in_without_its_exported_answers_gets_no_score_not_0(tmp_path):
    """The reviewer's finding 3: nbgrader's submitted/s002/ch06/ held the notebook (its loop never
    let the export cell run) and no answer file: s002 got 0 "no answer file", which an import
    writes over the work nbgrader graded.  Their own folder holds their notebook: no score, and
    a note saying the exported answers are missing."""
    course = tmp_path / "course"
    _release_file(course / "submitted" / "s001" / "ch06")
    _handed_in(course / "submitted" / "s001" / "ch06")
    _handed_in(course / "submitted" / "s002" / "ch06")
    roster = tmp_path / "roster.txt"
    roster.write_text("s001\ns002\ns003\n")
    r = cli("grade", "--class", str(course / "submitted"), "--chapter", "6", "--roster", str(roster),
            "--gradebook", str(tmp_path / "gb.csv"), "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())}
    assert book == {"s001": "3", "s002": "", "s003": "0"}, book
    files = {row["student"]: row for row in csv.DictReader((tmp_path / "files.csv").open())}
    assert files["s002"]["note"].startswith("notebook handed in without its exported answers: "
                                            "s002/ch06/ch06-exercises.ipynb"), files["s002"]["note"]
    assert files["s003"]["note"] == "no answer file"


def test_nbgraders_own_files_are_counted_not_listed(tmp_path):
    """The reviewer's finding 9: the skipped-files line listed every notebook and timestamp.txt
    of submitted/ (500 paths in one line for a class of 250).  nbgrader's own files are counted
    by submission; anything else skipped is still named."""
    sub = tmp_path / "submitted"
    for sid in ("s001", "s002", "s003"):
        _release_file(sub / sid / "ch06")
        _handed_in(sub / sid / "ch06")
    (sub / "s003" / "ch06" / "notes.txt").write_text("mine")
    r = cli("grade", "--class", str(sub), "--chapter", "6", "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    assert "note: skipped (not *.json answer files): s003/ch06/notes.txt\n" in r.stderr, r.stderr
    assert "note: skipped: the notebook, timestamp.txt and submission_secret.txt of 3 submissions in nbgrader's " \
           "submitted/ID/ASSIGNMENT/ (nbgrader's own files)" in r.stderr
    assert "timestamp.txt," not in r.stderr and "exercises.ipynb" not in r.stderr
    assert "/submission_secret.txt" not in r.stderr, r.stderr       # (the exchange's: listed, 250 of them)


def test_an_nbgrader_course_folder_is_graded_by_its_submitted_folder(tmp_path):
    """The reviewer's finding 5: --class given the course folder after autograde and
    generate_feedback (feedback/ID/ch06/ holds a copy of each answer file): every student was
    refused as "2 folders each say they are s001's", no score for anyone, exit status 0.  A
    course folder is graded by its submitted/ alone, and a line says so."""
    course = tmp_path / "course"
    for where in ("submitted", "autograded", "feedback"):
        _release_file(course / where / "s001" / "ch06")
    (course / "gradebook.db").write_bytes(b"")
    roster = tmp_path / "roster.txt"
    roster.write_text("s001\ns002\n")
    r = cli("grade", "--class", str(course), "--chapter", "6", "--roster", str(roster),
            "--gradebook", str(tmp_path / "gb.csv"), "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())}
    assert book == {"s001": "3", "s002": "0"}, (book, r.stderr)
    assert f"note: {course} is an nbgrader course folder (gradebook.db, autograded/, feedback/): graded its " \
           f"submitted/ folder only, {course / 'submitted'} (the files the students handed in; autograded/ and " \
           f"feedback/ hold the files nbgrader's runs of their notebooks exported again)" in r.stderr
    assert [row["file"] for row in csv.DictReader((tmp_path / "files.csv").open()) if row["file"]] == \
        ["s001/ch06/answers-release-ch6.json"]


def test_in_nbgraders_submitted_folder_submitted_at_is_nbgraders_timestamp(tmp_path):
    """The reviewer's finding 8: submitted_at was the file's ``exported``, the student's kernel
    clock, though nbgrader's own timestamp.txt is beside it in submitted/ID/ASSIGNMENT/.  It is
    now nbgrader's, and a line says so; a timestamp.txt deeper down (the student's) is not."""
    sub = tmp_path / "submitted"
    _release_file(sub / "s001" / "ch06")
    _handed_in(sub / "s001" / "ch06", "2026-12-01 10:01:00.123456 UTC")
    _release_file(sub / "s002" / "ch06" / "mine")
    _handed_in(sub / "s002" / "ch06" / "mine", "2020-01-01 00:00:00.000000 UTC")
    roster = tmp_path / "roster.txt"
    roster.write_text("s001\ns002\n")
    r = cli("grade", "--class", str(sub), "--chapter", "6", "--roster", str(roster),
            "--gradebook", str(tmp_path / "gb.csv"), "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row["submitted_at"] for row in csv.DictReader((tmp_path / "gb.csv").open())}
    exported = json.loads((sub / "s002" / "ch06" / "mine" / "answers-release-ch6.json").read_text())["exported"]
    assert book == {"s001": "2026-12-01T10:01:00Z", "s002": exported}, book
    assert "note: submitted_at of 1 file in nbgrader's submitted/ID/ASSIGNMENT/: nbgrader's timestamp.txt " \
           "there (when the student submitted), not the file's exported time (the student's own clock)" in r.stderr


def test_a_release_notebook_of_another_secret_is_named_a_notebook_not_a_page(tmp_path):
    """The reviewer's finding 9: release notebooks made without the course secret, graded with it,
    were refused (rightly) as "answered on practice pages", though no page was involved."""
    sub = tmp_path / "submitted"
    for sid in ("s001", "s002"):
        _release_file(sub / sid / "ch06")
    (tmp_path / "secret.txt").write_text("course-secret-1\n")
    r = cli("grade", "--class", str(sub), "--chapter", "6", "--secret-file", str(tmp_path / "secret.txt"),
            "-o", str(tmp_path / "files.csv"), "--force")
    assert r.returncode == 0, r.stderr
    errors = {row["error"] for row in csv.DictReader((tmp_path / "files.csv").open())}
    assert errors == {"the answer to 'eqnat-remote' was given in a release notebook made without the course "
                      "secret, and this run grades with one: grade these files without the secret, or hand "
                      "out notebooks made with it"}, errors
    assert "2 of 2 files were exported by release notebooks made without the course secret" in r.stderr
    assert "practice page" not in r.stderr
    # the other way round: made with the secret, graded without it
    sub2 = tmp_path / "keyed" / "submitted"
    (sub2 / "s001" / "ch06").mkdir(parents=True)
    keyed = answer_file("release", {k: instance(k, "release", secret="course-secret-1").answer
                                    for k in chapter_ids(6)}, chapter=6, secret="course-secret-1")
    (sub2 / "s001" / "ch06" / "answers-release-ch6.json").write_text(json.dumps(keyed))
    r = cli("grade", "--class", str(sub2), "--chapter", "6", "-o", str(tmp_path / "files.csv"), "--force")
    assert "1 of 1 files were exported by release notebooks this grader cannot place: made with a course " \
           "secret? give it with --secret-file" in r.stderr, r.stderr


def test_byte_identical_files_of_two_students_are_flagged(tmp_path):
    """The reviewer's finding 2: on nbgrader's release notebook everyone has one variant, and
    a byte-identical copy of s01's file scored 3 / 3 for s16 with no note."""
    import shutil
    sub = tmp_path / "submitted"
    _release_file(sub / "s001" / "ch06")
    (sub / "s016" / "ch06").mkdir(parents=True)
    shutil.copy(sub / "s001" / "ch06" / "answers-release-ch6.json", sub / "s016" / "ch06")
    _release_file(sub / "s002" / "ch06", wrong=chapter_ids(6)[:1])
    r = cli("grade", "--class", str(sub), "--chapter", "6", "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    notes = {row["student"]: row["note"] for row in csv.DictReader((tmp_path / "files.csv").open())}
    assert "byte for byte the same file as s016's s016/ch06/answers-release-ch6.json: a copy?" in notes["s001"]
    assert "byte for byte the same file as s001's s001/ch06/answers-release-ch6.json: a copy?" in notes["s016"]
    assert "byte for byte" not in notes["s002"]
    assert "note: 2 answer files are byte for byte the same as another student's (the note column names " \
           "them): a copy?" in r.stderr


def test_an_lms_csv_roster_is_read_by_its_column_and_a_header_line_is_named(tmp_path):
    ids = chapter_ids(2)
    sub = tmp_path / "sub"
    sub.mkdir()
    for sid in ("s101", "s102"):
        (sub / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, right_answers(sid, ids))))
    canvas = tmp_path / "canvas.csv"
    canvas.write_text('\ufeffStudent,ID,SIS User ID,Section\r\n"Doe, Jane",123,S101,A\r\n"Roe, Rich",124,s102,A\r\n'
                      '"Poe, Ann",125,s103,B\r\n', encoding="utf-8")
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(canvas)),
                   "looks like a CSV export", "--roster-column NAME", "SIS User ID")
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(canvas), "--roster-column", "sis user id",
            "--gradebook", str(tmp_path / "gb.csv"), "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())}
    assert book == {"S101": str(len(ids)), "s102": str(len(ids)), "s103": "0"}, book
    one_line_error(cli("grade", "--class", str(sub), "--roster", str(canvas), "--roster-column", "Email"),
                   "has no column 'Email'", "'SIS User ID'")
    one_line_error(cli("grade", "--class", str(sub), "--roster-column", "ID"), "give --roster too")
    r = cli("sheet", "--roster", str(canvas), "--roster-column", "SIS User ID", "--out-dir", str(tmp_path / "sheets"))
    assert r.returncode == 0 and sorted(p.name for p in (tmp_path / "sheets").iterdir()) == [
        "S101.md", "s102.md", "s103.md"], r.stderr
    (tmp_path / "one.txt").write_text("username\ns101\ns102\n")
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(tmp_path / "one.txt"), "-o", os.devnull)
    assert r.returncode == 0 and "'username' looks like its column's name" in r.stderr, r.stderr


def test_an_answer_file_too_big_or_not_a_file_is_refused_unread(tmp_path):
    # answer files are a few kB: a 6 MB one is refused before it is read, and so is what is
    # no regular file (a FIFO would block the grader, /dev/zero never end)
    f = tmp_path / "a.json"
    f.write_text(json.dumps(answer_file("alice", {"rc-hit": "x" * 6_000_000})))
    one_line_error(cli("grade", "--student", "alice", str(f)), f"the answer file {f} has 6,",
                   "at most 5,000,000")
    one_line_error(cli("grade", "--student", "alice", "/dev/zero"), "/dev/zero is not a regular file")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "answers-alice.json").write_text(json.dumps(answer_file("alice", {})))
    one_line_error(cli("grade", "--class", str(tmp_path / "c"), "--roster", "/dev/zero"),
                   "the roster /dev/zero is not a regular file")


def test_grading_writes_no_report_outside_its_folder_and_no_formula(tmp_path):
    # a file whose name names nobody is whoever it claims inside -- a claim that is no id
    # names no report file (it was a path: ../x.txt), and reaches the CSV as quoted text
    c = tmp_path / "class"
    c.mkdir()
    for n, claim in enumerate(("../escaped", "/tmp/escaped-abs", "=1+1")):
        (c / f"upload{n}.json").write_text(json.dumps(answer_file("alice", {}) | {"student": claim}))
    r = cli("grade", "--class", str(c), "--feedback", str(tmp_path / "fb"), "-o", str(tmp_path / "out.csv"))
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "escaped.txt").exists() and not os.path.exists("/tmp/escaped-abs.txt")
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == [
        f"not-an-id--upload{n}.json.txt" for n in range(3)]
    cells = [row[0] for row in csv.reader((tmp_path / "out.csv").read_text().splitlines()[1:])]
    assert cells == ["'../escaped'", "'/tmp/escaped-abs'", "'=1+1'"]


def test_an_output_that_is_an_input_is_refused(tmp_path):
    c = tmp_path / "class"
    c.mkdir()
    f = c / "answers-alice.json"
    f.write_text(json.dumps(answer_file("alice", {})))
    roster = tmp_path / "roster.csv"
    roster.write_text("alice\n")
    one_line_error(cli("grade", "--student", "alice", str(f), "-o", str(f)), "is the answer file")
    one_line_error(cli("grade", "--class", str(c), "--roster", str(roster), "--gradebook", str(roster)),
                   f"--gradebook {roster} is --roster")
    one_line_error(cli("grade", "--class", str(c), "-o", str(c / "grades.csv")), "inside the --class folder")
    assert f.read_text().startswith("{") and roster.read_text() == "alice\n"


def test_an_exported_time_out_of_range_falls_back_to_the_files_time(tmp_path):
    c = tmp_path / "class"
    c.mkdir()
    (c / "answers-alice.json").write_text(json.dumps(answer_file("alice", {}) | {"exported": "0001-01-01T00:00:00+14:00"}))
    r = cli("grade", "--class", str(c), "--gradebook", str(tmp_path / "book.csv"))
    assert r.returncode == 0, r.stderr
    from datetime import datetime, timezone
    mtime = datetime.fromtimestamp(os.stat(c / "answers-alice.json").st_mtime, timezone.utc)
    row, = csv.DictReader((tmp_path / "book.csv").read_text().splitlines())
    assert row["student"] == "alice" and row["submitted_at"] == mtime.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_id_with_a_trailing_newline_is_no_id():
    from sim.exercises.variants import STUDENT_RE
    assert STUDENT_RE.match("alice") and not STUDENT_RE.match("alice\n")


def test_a_file_under_another_id_that_names_a_roster_student_gives_them_no_zero(tmp_path):
    # the roster says 1234 (a spreadsheet dropped the leading zeros) and JSmith; the files were
    # exported as 0001234 and jsmith@uni.edu: the gradebook must not import 0 over their work
    ids = chapter_ids(2)
    c = tmp_path / "c"
    c.mkdir()
    for name, sid in (("Last_1_2_answers-0001234.json", "0001234"),
                      ("Smith John_55_assignsubmission_file_answers-jsmith@uni.edu.json", "jsmith@uni.edu")):
        (c / name).write_text(json.dumps(answer_file(sid, right_answers(sid, ids))))
    (tmp_path / "roster.txt").write_text("1234\nJSmith\nalice\n")
    # (Last_1_2_... is named as Canvas's flat download names a file: without Canvas's gradebook
    # export as roster that run is an alarm, written only with --force)
    r = cli("grade", "--class", str(c), "--roster", str(tmp_path / "roster.txt"), "--chapter", "2",
            "--gradebook", str(tmp_path / "gb.csv"), "-o", str(tmp_path / "out.csv"), "--force")
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row for row in csv.DictReader((tmp_path / "gb.csv").read_text().splitlines())}
    assert book["1234"]["score"] == "" and book["JSmith"]["score"] == ""
    assert book["alice"]["score"] == "0"                    # sent nothing, and no file is hers
    per = {row["student"]: row for row in csv.DictReader((tmp_path / "out.csv").read_text().splitlines())}
    assert "Last_1_2_answers-0001234.json (graded as 0001234" in per["1234"]["note"]
    assert "graded as jsmith@uni.edu" in per["JSmith"]["note"]


def test_a_class_is_summed_up_in_one_line(tmp_path):
    ids = chapter_ids(2)
    c = tmp_path / "c"
    c.mkdir()
    (c / "answers-alice.json").write_text(json.dumps(answer_file("alice", right_answers("alice", ids))))
    bob = dict(right_answers("bob", ids), **{ids[0]: wrong_answer(instance(ids[0], "bob"))})
    (c / "answers-bob.json").write_text(json.dumps(answer_file("bob", bob)))
    r = cli("grade", "--class", str(c), "--chapter", "2", "-o", str(tmp_path / "o.csv"))
    assert r.returncode == 0
    line = next(x for x in r.stderr.splitlines() if "summary:" in x)
    n = len(ids)
    assert f"2 files graded, mean score {(2 * n - 1) / 2:.2f} of {n}" in line
    assert f"{ids[0]} 50%" in line and f"{ids[1]} 100%" in line
    # bob sends again, all right, later: his counted file is the new one, and the class's mean is
    # of its 2 students (it was of the 3 files, his older one among them)
    (c / "answers-bob-2.json").write_text(json.dumps(answer_file("bob", right_answers("bob", ids),
                                                                   exported="2099-01-01T00:00:00Z")))
    r = cli("grade", "--class", str(c), "--chapter", "2", "-o", str(tmp_path / "o.csv"))
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stderr.splitlines() if "summary:" in x)
    assert f"3 files graded, of 2 students (each student's counted file: the latest); mean score {n:.2f} of {n}" \
        in line, line
    assert f"{ids[0]} 100%" in line, line
    r = cli("grade", "--class", str(c), "--chapter", "2", "--keep", "best", "-o", str(tmp_path / "o.csv"))
    assert "(each student's counted file: the best)" in r.stderr, r.stderr


def _copied(victim, ids, exported="2026-12-01T00:00:00Z"):
    """``victim``'s own export, every answer changed, exported later: what a classmate sends as theirs."""
    data = answer_file(victim, {k: wrong_answer(instance(k, victim)) for k in ids}, exported=exported)
    return json.dumps(data)


def _grades(folder, roster):
    g = grade_folder(folder, 2, roster, "", feedback=True)
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    return g, book


@pytest.mark.parametrize("layout", ["lms", "nbgrader", "renamed", "two names"])
def test_a_file_a_student_sends_never_replaces_anothers_grade(tmp_path, layout):
    """zobrien sends mmuller's export, answers changed and exported later: uploaded in her own
    LMS folder, in her nbgrader folder, or renamed answers-zobrien-final.json.  The file's name
    (or the claim inside it) won over the folder the LMS authenticated, and with --keep latest
    mmuller's grade became 0.  The folder decides; a file is never counted for a student its
    folder or its name does not name; mmuller's report names no one."""
    ids = chapter_ids(2)
    roster = tmp_path / "roster.txt"
    roster.write_text("mmuller\nzobrien\n")
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = tmp_path / "sub"
    maria, zoe = {"lms": ("Maria Müller_1001_assignsubmission_file_/answers-mmuller.json",
                          "Zoë O'Brien_1005_assignsubmission_file_/answers-mmuller.json"),
                  "nbgrader": ("submitted/mmuller/ch02/answers-mmuller.json",
                               "submitted/zobrien/ch02/answers-mmuller.json"),
                  "renamed": ("answers-mmuller.json", "answers-zobrien-final.json"),
                  "two names": ("answers-mmuller.json", "answers-mmuller-zobrien.json")}[layout]
    for path, text in ((maria, own), (zoe, _copied("mmuller", ids))):
        (sub / path).parent.mkdir(parents=True, exist_ok=True)
        (sub / path).write_text(text)
    g, book = _grades(sub, roster)
    rows = {r["file"]: r for r in g.rows if r["file"]}
    copy = rows[zoe]
    assert copy["score"] == "" and copy["error"], copy             # refused, never graded for mmuller
    assert book["mmuller"] in (str(len(ids)), ""), book           # never the copy's 0
    if layout == "lms":                  # the folders name no roster id: which is mmuller's is not known
        assert book["mmuller"] == "" and "2 students' folders" in copy["error"]
    else:
        assert book["mmuller"] == str(len(ids)) and copy["student"] != "mmuller"
        assert "mmuller has another file" not in " ".join(rows[maria]["note"])
    if layout in ("nbgrader", "renamed"):
        assert copy["student"] == "zobrien" and "belongs to student 'mmuller'" in copy["error"]
    for name, text in g.feedback().items():                      # what is handed back names no one else
        if name.startswith("mmuller"):
            assert "Zo" not in name + text and "zobrien" not in text, (name, text)
        if name.startswith("zobrien"):
            assert "student 'mmuller'" not in text and "mmuller's" not in text, (name, text)
    # folders named exactly after the students' ids: the folder decides, mmuller's file counts
    if layout == "lms":
        lms = tmp_path / "lms"
        for path, text in (("mmuller/answers-mmuller.json", own),
                           ("zobrien/answers-mmuller.json", _copied("mmuller", ids))):
            (lms / path).parent.mkdir(parents=True)
            (lms / path).write_text(text)
        g, book = _grades(lms, roster)
        assert book == {"mmuller": str(len(ids)), "zobrien": ""}, book
        copy = next(r for r in g.rows if r["file"].startswith("zobrien/"))
        assert copy["student"] == "zobrien" and "belongs to student 'mmuller'" in copy["error"]


def test_a_hand_written_file_in_utf16_is_read_and_a_latin1_one_is_told_how_to_save_it(tmp_path):
    """PowerShell's ``>`` and old Notepad write UTF-16 with a byte order mark: such a file was
    refused as "not a UTF-8 text file", with no hint what to do (28 of 300 hand-written files)."""
    ids = chapter_ids(2)
    text = json.dumps(answer_file("zstergaard", right_answers("zstergaard", ids)),
                      ensure_ascii=False)
    for codec in ("utf-16", "utf-16-be"):
        f = tmp_path / f"answers-{codec}.json"
        f.write_bytes(text.encode(codec) if codec == "utf-16" else b"\xfe\xff" + text.encode(codec))
        assert grade("zstergaard", load_answers(f), chapter=2).score == len(ids), codec
    latin = tmp_path / "answers-zstergaard.json"
    latin.write_bytes(('{"format": "1+1<1 answers", "student": "zstergaard", "answers": {"rc-hit": "Übersetzt"}}')
                      .encode("latin-1"))
    with pytest.raises(GradeError, match=r"answers-zstergaard.json is not a UTF-8 text file: save it as UTF-8 "
                                         r"\(in Notepad: Save as, Encoding UTF-8\)"):
        load_answers(latin, latin.name)


def _right_answers_at(sub, ids, files: dict):
    """``sub`` with, at each path of ``files``, the right answers of the student it names."""
    for path, sid in files.items():
        (sub / path).parent.mkdir(parents=True, exist_ok=True)
        (sub / path).write_text(json.dumps(answer_file(sid, right_answers(sid, ids))))
    return sub


def test_without_a_roster_a_claim_cannot_make_a_folder_name_another_student(tmp_path):
    """Without a roster the ids known are the files' claims: a classmate claiming "maria" (a word
    of Maria's Moodle folder name) made that folder "maria's", and Maria's own file was refused.
    A folder names a student only of the roster."""
    ids = chapter_ids(2)
    sub = _right_answers_at(tmp_path / "sub", ids, {
        "Maria Müller_1001_assignsubmission_file_/answers-mmuller.json": "mmuller",
        "Zoë O'Brien_1005_assignsubmission_file_/answers-maria.json": "maria"})
    g = grade_folder(sub, 2, None, "")
    assert {r["student"]: r["score"] for r in g.rows} == {"mmuller": len(ids), "maria": len(ids)}


MOODLE_ROSTER = ("First name,Last name,ID number,Username,Email address",
                 "Maria,Müller,0000002,mmuller,maria.muller@uni.example.edu",
                 "Zoë,O'Brien,0000006,zobrien,zoe.obrien@uni.example.edu")


def _moodle_roster(path, *lines):
    """A roster as Moodle's export writes it: a byte order mark, CRLF line ends."""
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _moodle_class(sub, files):
    """Moodle's "submissions in folders" download: {folder "Full Name_PID_assignsubmission_file_": file text}."""
    for path, text in files.items():
        (sub / path).parent.mkdir(parents=True, exist_ok=True)
        (sub / path).write_text(text)
    return sub


def test_a_moodle_folder_named_after_one_roster_students_full_name_is_theirs(tmp_path):
    """The reviewer's rep3: zobrien uploads mmuller's export, answers changed, in her own Moodle
    folder.  Moodle's folders carry the full name, not the login, so with a roster of ids only
    neither file counted and mmuller's grade was left blank.  A roster with Moodle's name
    columns says whose each folder is: mmuller's own file counts, and the copy is refused for
    zobrien, the student whose folder it was uploaded in."""
    ids = chapter_ids(2)
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {
        "Maria Müller_1001_assignsubmission_file_/answers-mmuller.json": own,
        "Zoë O'Brien_1005_assignsubmission_file_/answers-mmuller.json": _copied("mmuller", ids)})
    roster = _moodle_roster(tmp_path / "roster.csv", *MOODLE_ROSTER)
    g = grade_folder(sub, 2, roster, "", feedback=True, roster_column="Username")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"mmuller": str(len(ids)), "zobrien": ""}, book
    copy = next(r for r in g.rows if r["file"].startswith("Zo"))
    assert copy["student"] == "zobrien" and "belongs to student 'mmuller'" in copy["error"], copy
    assert "named after one roster student's full name" in " ".join(copy["note"])
    assert not any("Zo" in name + text or "zobrien" in text for name, text in g.feedback().items()
                   if name.startswith("mmuller"))
    # the command line reads the same roster, and the folders' names are compared as Moodle writes
    # them: clean_filename() drops the apostrophe, a Mac's unzip writes ü decomposed
    (sub / "Zoë O'Brien_1005_assignsubmission_file_").rename(sub / "ZOË  OBrien_1005_assignsubmission_file_")
    (sub / "Maria Müller_1001_assignsubmission_file_").rename(sub / "Maria Mu\u0308ller_1001_assignsubmission_file_")
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(roster), "--roster-column", "username",
            "--gradebook", str(tmp_path / "gb.csv"), "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    assert {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())} == book


def test_a_full_name_two_roster_students_share_decides_nothing_and_accents_matter(tmp_path):
    """Two "Maria García" on the roster: their folders say nothing of whose their files are, and
    the grader falls back on the files' names (as without names: a copy in another folder of
    the same name leaves the grade blank), saying so.  "Maria Muller" is not "Maria Müller":
    each folder is its own student's, so a copy in Muller's folder is refused for Muller."""
    ids = chapter_ids(2)
    roster = _moodle_roster(tmp_path / "roster.csv", *MOODLE_ROSTER,
                            "Maria,García,0000011,mgarcia,maria.garcia@uni.example.edu",
                            "Maria,García,0000012,mgarcia2,maria.garcia2@uni.example.edu",
                            "Maria,Muller,0000013,mmuller2,maria.muller2@uni.example.edu")
    own = {sid: json.dumps(answer_file(sid, right_answers(sid, ids), exported="2026-11-30T09:00:00Z"))
           for sid in ("mmuller", "mgarcia", "mgarcia2")}
    sub = _moodle_class(tmp_path / "sub", {
        "Maria García_1011_assignsubmission_file_/answers-mgarcia.json": own["mgarcia"],
        "Maria García_1012_assignsubmission_file_/answers-mgarcia2.json": own["mgarcia2"],
        "Maria Müller_1001_assignsubmission_file_/answers-mmuller.json": own["mmuller"],
        "Maria Muller_1013_assignsubmission_file_/answers-mmuller.json": _copied("mmuller", ids)})
    g = grade_folder(sub, 2, roster, "", roster_column="Username")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"mmuller": str(len(ids)), "zobrien": "0", "mgarcia": str(len(ids)),
                    "mgarcia2": str(len(ids)), "mmuller2": ""}, book
    rows = {r["file"]: r for r in g.rows if r["file"]}
    assert not any(r.get("owned") for f, r in rows.items() if "García" in f)
    copy = rows["Maria Muller_1013_assignsubmission_file_/answers-mmuller.json"]
    assert copy["student"] == "mmuller2" and "belongs to student 'mmuller'" in copy["error"], copy
    assert any("2 LMS folders are named after a full name that several roster students share" in n
               for n in g.notes), g.notes
    # the other García's folder holds a copy of mgarcia's file instead: which is hers is not known,
    # as without names -- neither counts
    (sub / "Maria García_1012_assignsubmission_file_" / "answers-mgarcia2.json").unlink()
    _moodle_class(sub, {"Maria García_1012_assignsubmission_file_/answers-mgarcia.json": _copied("mgarcia", ids)})
    g = grade_folder(sub, 2, roster, "", roster_column="Username")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book["mgarcia"] == "" and book["mmuller"] == str(len(ids)), book
    assert all("2 students' folders" in r["error"] for r in g.rows if r["student"] == "mgarcia"), g.rows


def test_a_roster_without_names_leaves_moodle_folders_unplaced_and_says_so(tmp_path):
    """A CSV roster without name columns (or a roster of ids) places no Moodle folder, as before:
    mmuller's files in two folders leave her grade blank.  Nothing warned with a roster of ids,
    though any student could blank any classmate's grade so: both rosters now make the run one
    not to import (the command line writes nothing without --force), saying what to export.
    --roster-name-columns names the columns, in the order Moodle shows a name."""
    ids = chapter_ids(2)
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {
        "Maria Müller_1001_assignsubmission_file_/answers-mmuller.json": own,
        "Zoë O'Brien_1005_assignsubmission_file_/answers-mmuller.json": _copied("mmuller", ids)})
    ids_only = _moodle_roster(tmp_path / "ids.csv", "Username,Email address", "mmuller,maria.muller@uni.example.edu",
                              "zobrien,zoe.obrien@uni.example.edu")
    plain = tmp_path / "roster.txt"
    plain.write_text("mmuller\nzobrien\n")
    for roster, column in ((ids_only, "Username"), (plain, None)):
        g = grade_folder(sub, 2, roster, "", roster_column=column)
        book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
        assert book == {"mmuller": "", "zobrien": "0"}, (roster, book)
        # and the run is not to be imported: the command line writes nothing without --force
        assert len(g.alarms) == 1 and ("no participant numbers ('Identifier') and no names" if column else
                                       "a roster of ids places none of them") in g.alarms[0], g.alarms
    # Moodle set to show "Last name First name": the instructor says so
    (sub / "Maria Müller_1001_assignsubmission_file_").rename(sub / "Müller Maria_1001_assignsubmission_file_")
    (sub / "Zoë O'Brien_1005_assignsubmission_file_").rename(sub / "O'Brien Zoë_1005_assignsubmission_file_")
    roster = _moodle_roster(tmp_path / "names.csv", *MOODLE_ROSTER)
    g = grade_folder(sub, 2, roster, "", roster_column="Username", roster_name_columns="Last name, First name")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"mmuller": str(len(ids)), "zobrien": ""}, book
    one_line_error(cli("grade", "--class", str(sub), "--roster", str(roster), "--roster-column", "Username",
                       "--roster-name-columns", "Nachname,Vorname"), "has no column 'Nachname'", "'Last name'")
    one_line_error(cli("grade", "--class", str(sub), "--roster", str(roster), "--roster-column", "Username",
                       "--roster-name-columns", "Last name,"), "--roster-name-columns 'Last name,'",
                   "separated by commas")
    one_line_error(cli("grade", "--class", str(sub), "--roster", str(plain), "--roster-name-columns", "Last name"),
                   "give --roster-column too")
    one_line_error(cli("grade", "--class", str(sub), "--roster-name-columns", "Last name"), "give --roster too")


def test_a_moodle_folders_participant_number_is_not_a_student_id(tmp_path):
    """Moodle names a folder "Full Name_PID_...": PID is the student's participant number in
    the assignment, not their id.  With numeric roster ids it named another student: Zoë
    (1002), whose folder's PID was 1001, had her own answers-1002.json graded for 1001."""
    ids = chapter_ids(2)
    sub = _right_answers_at(tmp_path / "sub", ids, {
        "Zoë Brien_1001_assignsubmission_file_/answers-1002.json": "1002",
        "Ann Lee_1002_assignsubmission_file_/answers-1001.json": "1001"})
    roster = tmp_path / "roster.txt"
    roster.write_text("1001\n1002\n")
    g = grade_folder(sub, 2, roster, "")
    assert {r["student"]: r["score"] for r in g.rows} == {"1001": len(ids), "1002": len(ids)}


#: Moodle's assignment grading worksheet ("Download grading worksheet"), as mod/assign/gradingtable.php
#: writes it: the participant number ("Participant N", get_string('hiddenuser', 'assign')) under
#: "Identifier", the full name, the site's identity fields ($CFG->showuseridentity), then the grading columns.
WORKSHEET_HEADER = ("Identifier,Full name,Username,Email address,Status,Grade,Maximum grade,Grade can be changed,"
                    "Last modified (submission),Last modified (grade),Feedback comments")


def _worksheet_row(pid, name, username, email):
    return (f'{pid},{name},{username},{email},Submitted for grading,,100.00,Yes,'
            f'"Monday, 30 November 2026, 9:00 AM",-,')


def test_the_grading_worksheets_participant_number_places_folders_of_a_name_two_students_share(tmp_path):
    """Two "Maria García" in a big class: the full name decides nothing, so when the second
    uploaded a copy of the first's export in her own folder, the first's files were in two
    folders and her grade was left blank.  The grading worksheet, given as the roster, has each
    row's participant number, the PID of its folder's name: each folder is its row's student's,
    so the first's own file counts and the copy is refused for the one who uploaded it.  Any
    identity column can be the ids' (here the email addresses)."""
    ids = chapter_ids(2)
    g1, g2 = "maria.garcia@uni.example.edu", "maria.garcia2@uni.example.edu"
    roster = _moodle_roster(tmp_path / "worksheet.csv", WORKSHEET_HEADER,
                            _worksheet_row("Participant 1011", "Maria García", "mgarcia", g1),
                            _worksheet_row("Participant 1012", "Maria García", "mgarcia2", g2),
                            _worksheet_row("Participant 1005", "Zoë O'Brien", "zobrien", "zoe.obrien@uni.example.edu"))
    own = json.dumps(answer_file(g1, right_answers(g1, ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {
        f"Maria García_1011_assignsubmission_file_/answers-{g1}.json": own,
        f"Maria García_1012_assignsubmission_file_/answers-{g1}.json": _copied(g1, ids)})
    g = grade_folder(sub, 2, roster, "", roster_column="Email address")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {g1: str(len(ids)), g2: "", "zoe.obrien@uni.example.edu": "0"}, book
    copy = next(r for r in g.rows if r["file"].startswith("Maria García_1012"))
    assert copy["student"] == g2 and f"belongs to student '{g1}'" in copy["error"], copy
    assert "participant 1012 of the roster's Identifier column" in " ".join(copy["note"]), copy["note"]
    assert not any("share" in n or "participant number" in n for n in g.notes), g.notes
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(roster), "--roster-column",
            "email address", "--gradebook", str(tmp_path / "gb.csv"), "-o", os.devnull)
    assert r.returncode == 0 and "share" not in r.stderr, r.stderr
    assert {row["student"]: row["score"] for row in csv.DictReader((tmp_path / "gb.csv").open())} == book


def test_a_folders_participant_number_decides_before_its_full_name(tmp_path):
    """The participant number stays a student's in an assignment, a full name need not (a name
    changed between the download of the submissions and of the worksheet): a folder named after
    Maria Müller whose PID is Zoë's row's is Zoë's, so mmuller's export in it is refused for
    Zoë -- by the name alone it was counted for mmuller, the later copy over her own file."""
    ids = chapter_ids(2)
    roster = _moodle_roster(tmp_path / "worksheet.csv", WORKSHEET_HEADER,
                            _worksheet_row("Participant 1001", "Maria Müller", "mmuller", "maria.muller@uni.example.edu"),
                            _worksheet_row("Participant 1005", "Zoë O'Brien", "zobrien", "zoe.obrien@uni.example.edu"))
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {
        "Maria Müller_1001_assignsubmission_file_/answers-mmuller.json": own,
        "Maria Müller_1005_assignsubmission_file_/answers-mmuller.json": _copied("mmuller", ids)})
    g = grade_folder(sub, 2, roster, "", roster_column="Username")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"mmuller": str(len(ids)), "zobrien": ""}, book
    copy = next(r for r in g.rows if "_1005_" in r["file"])
    assert copy["student"] == "zobrien" and "belongs to student 'mmuller'" in copy["error"], copy


def test_a_participant_number_the_worksheet_lacks_or_shares_falls_back_on_the_full_name(tmp_path):
    """A folder whose PID no row of the roster has (a worksheet of one group only, or another
    assignment's), or several rows with different ids share, is placed by its full name as
    before, and one line on standard error says so for each; an Identifier that does not end in
    a number is refused in one line; the label before the number is the site's language's."""
    ids = chapter_ids(2)
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {
        "Maria Müller_1001_assignsubmission_file_/answers-mmuller.json": own,
        "Zoë O'Brien_1005_assignsubmission_file_/answers-mmuller.json": _copied("mmuller", ids)})
    roster = _moodle_roster(tmp_path / "worksheet.csv", WORKSHEET_HEADER,
                            _worksheet_row("Participant 1002", "Maria Müller", "mmuller", "maria.muller@uni.example.edu"),
                            _worksheet_row("Participant 1005", "Zoë O'Brien", "zobrien", "zoe.obrien@uni.example.edu"),
                            _worksheet_row("Teilnehmer/in1005", "Ann Lee", "alee", "ann.lee@uni.example.edu"),
                            _worksheet_row("", "Bo Chen", "bchen", "bo.chen@uni.example.edu"))
    g = grade_folder(sub, 2, roster, "", roster_column="Username")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"mmuller": str(len(ids)), "zobrien": "", "alee": "0", "bchen": "0"}, book
    copy = next(r for r in g.rows if r["file"].startswith("Zo"))
    assert "named after one roster student's full name" in " ".join(copy["note"]), copy["note"]
    lines = [n for n in g.notes if "participant number" in n]
    assert len(lines) == 2 and "no row of the roster's Identifier" in lines[0] and "Maria Müller_1001" in lines[0] \
        and "several rows (different ids)" in lines[1] and "O'Brien_1005" in lines[1], g.notes
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(roster), "--roster-column", "Username",
            "-o", os.devnull)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert sum("participant number" in line for line in r.stderr.splitlines()) == 2, r.stderr
    bad = _moodle_roster(tmp_path / "bad.csv", WORKSHEET_HEADER,
                         _worksheet_row("Participant 1001", "Maria Müller", "mmuller", "maria.muller@uni.example.edu"),
                         _worksheet_row("Participant", "Zoë O'Brien", "zobrien", "zoe.obrien@uni.example.edu"))
    one_line_error(cli("grade", "--class", str(sub), "--roster", str(bad), "--roster-column", "Username"),
                   "line 3", "Identifier 'Participant'", "'Participant N'")


def _hand_written(student, ids, right=True):
    """A file written by hand: the answers alone, no variant, no ``exported`` -- what the sheet's
    "How to answer" allows, and all a student needs to claim a classmate's id."""
    return json.dumps({"format": "1+1<1 answers", "version": 1, "student": student,
                       "answers": {k: instance(k, student).answer if right else wrong_answer(instance(k, student))
                                   for k in ids}})


def _worksheet(path):
    return _moodle_roster(path, WORKSHEET_HEADER,
                          _worksheet_row("Participant 1001", "Maria Müller", "mmuller", "maria.muller@uni.example.edu"),
                          _worksheet_row("Participant 1005", "Zoë O'Brien", "zobrien", "zoe.obrien@uni.example.edu"))


MARIA, ZOE = "Maria Müller_1001_assignsubmission_file_", "Zoë O'Brien_1005_assignsubmission_file_"


def test_a_folder_a_student_uploads_names_no_owner(tmp_path):
    """The reviewer's T1: Moodle's file submission keeps sub-folders, and Zoë uploaded
    submitted/mmuller/answers.json (hand-written, answers wrong) beside her own file: nbgrader's
    submitted/ID/ was looked for anywhere on the path, the file was Maria's, and, later, it
    replaced her grade -- with the worksheet as roster.  Only the outermost per-student folder
    speaks (nbgrader's submitted/ only at the class folder's top): the file is Zoë's, refused."""
    ids = chapter_ids(2)
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    zoe = json.dumps(answer_file("zobrien", right_answers("zobrien", ids), exported="2026-11-30T09:00:00Z"))
    for inside in ("submitted/mmuller", "autograded/mmuller/ch02", "mmuller"):
        sub = _moodle_class(tmp_path / inside.replace("/", "-"), {
            f"{MARIA}/answers-mmuller.json": own, f"{ZOE}/answers-zobrien.json": zoe,
            f"{ZOE}/{inside}/answers.json": _hand_written("mmuller", ids, right=False)})
        g = grade_folder(sub, 2, _worksheet(tmp_path / "ws.csv"), "", roster_column="Username")
        book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
        assert book == {"mmuller": str(len(ids)), "zobrien": str(len(ids))}, (inside, book)
        planted = next(r for r in g.rows if r["file"].endswith(f"{inside}/answers.json"))
        assert planted["student"] == "zobrien" and "belongs to student 'mmuller'" in planted["error"], planted
    # a file beside the Moodle folders (put there by hand: Moodle's download has none) is said so
    (sub / "answers.json").write_text(_hand_written("mmuller", ids, right=False))
    g = grade_folder(sub, 2, _worksheet(tmp_path / "ws.csv"), "", roster_column="Username")
    assert any("1 file is in no per-student folder beside the LMS's folders (e.g. answers.json)" in n
               for n in g.notes), g.notes


def test_a_word_or_sub_folder_of_a_moodle_folder_names_no_owner(tmp_path):
    """The reviewer's T2, T3, T9, with a roster of ids: an id as a word of the full name in a
    Moodle folder's name ("Zoë mmuller", a display name a student may be able to edit; "Ana
    Dubois" for the roster's ana) or a sub-folder of it named after an id made the folder that
    student's.  Maria's own file was refused, ana got adubois's file.  A Moodle folder is placed
    by the roster's participant numbers or names alone; unplaced, it is one student's, and
    nothing inside it says whose."""
    ids = chapter_ids(2)
    own = {sid: json.dumps(answer_file(sid, right_answers(sid, ids), exported="2026-11-30T09:00:00Z"))
           for sid in ("mmuller", "zobrien", "ana", "adubois")}
    roster = tmp_path / "roster.txt"
    roster.write_text("mmuller\nzobrien\n")
    sub = _moodle_class(tmp_path / "t2", {f"{MARIA}/answers-mmuller.json": own["mmuller"],
                                          f"{ZOE}/answers-zobrien.json": own["zobrien"],
                                          f"{ZOE}/mmuller/answers-mmuller.json": _hand_written("mmuller", ids, False)})
    g = grade_folder(sub, 2, roster, "")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book["mmuller"] == str(len(ids)), book               # her own file counts; Zoë's folder names two
    assert all(r["error"] for r in g.rows if r["file"].startswith("Zo")), g.rows
    sub = _moodle_class(tmp_path / "t3", {f"{MARIA}/answers-mmuller.json": own["mmuller"],
                                          "Zoë mmuller_1005_assignsubmission_file_/answers-mmuller.json":
                                              _hand_written("mmuller", ids, False)})
    g = grade_folder(sub, 2, roster, "")
    assert not any(r.get("owned") for r in g.rows), g.rows
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book["mmuller"] == "", book                          # never the planted 0
    roster.write_text("ana\nadubois\n")
    sub = _moodle_class(tmp_path / "t9", {"Ana Dubois_1027_assignsubmission_file_/answers-adubois.json": own["adubois"],
                                          "Ana Smith_1050_assignsubmission_file_/answers-ana.json": own["ana"]})
    g = grade_folder(sub, 2, roster, "")
    assert {r["student"]: r["score"] for r in g.rows} == {"ana": len(ids), "adubois": len(ids)}, g.rows


def test_with_a_roster_of_ids_the_run_is_refused_and_a_silent_student_is_pointed_at_the_refused_folders(tmp_path):
    """The reviewer's rep3, with a roster of ids: Zoë's copy of Maria's file in her own folder
    left Maria's grade blank, Zoë got '0, no answer file', and nothing warned.  The command line
    now writes nothing without --force, saying what to export; with it, Zoë's row names the
    folders whose files were refused."""
    ids = chapter_ids(2)
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {f"{MARIA}/answers-mmuller.json": own,
                                           f"{ZOE}/answers-mmuller.json": _copied("mmuller", ids)})
    roster = tmp_path / "roster.txt"
    roster.write_text("mmuller\nzobrien\n")
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(roster), "-o",
                       str(tmp_path / "g.csv")), "2 LMS folders per student", "a roster of ids places none",
                   "--roster-column Username", "nothing written")
    assert not (tmp_path / "g.csv").exists()
    g = grade_folder(sub, 2, roster, "")
    zoe = next(r for r in g.rows if r["student"] == "zobrien")
    assert zoe["score"] == 0 and f"{ZOE}/" in " ".join(zoe["note"]), zoe
    # no roster at all: the same
    assert grade_folder(sub, 2, None, "").alarms


def test_one_student_owned_by_two_folders_counts_neither(tmp_path):
    """The reviewer's T4: two Moodle folders named after Maria Müller with different participant
    numbers, with a roster of names: both were hers, and the later, a classmate's, counted.
    Moodle gives each participant one number (assign::get_uniqueid_for_user()): neither counts."""
    ids = chapter_ids(2)
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {f"{MARIA}/answers-mmuller.json": own,
                                           "Maria Müller_1005_assignsubmission_file_/answers-mmuller.json":
                                               _hand_written("mmuller", ids, False)})
    roster = _moodle_roster(tmp_path / "names.csv", *MOODLE_ROSTER)
    g = grade_folder(sub, 2, roster, "", roster_column="Username")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"mmuller": "", "zobrien": "0"}, book
    assert all("2 folders each say they are mmuller's" in r["error"] for r in g.rows if r["file"]), g.rows


def test_a_file_of_another_chapter_is_not_counted_for_this_one(tmp_path):
    """The reviewer's T5: nbgrader's submitted/zobrien/ holds ch06/ (3 / 3) and a later ch04/
    export; graded with --chapter 6, the ch04 file was graded 0 / 3 on chapter 6 and, the latest,
    counted.  In nbgrader's layout only ch06/ is read; elsewhere a file that answers no exercise
    of the chapter is listed, not graded."""
    sub = tmp_path / "submitted"
    flat = tmp_path / "flat"
    flat.mkdir()
    for chapter, exported in ((6, "2026-11-30T09:00:00Z"), (4, "2026-12-01T09:00:00Z")):
        ids = chapter_ids(chapter)
        (sub / "zobrien" / f"ch0{chapter}").mkdir(parents=True)
        (sub / "zobrien" / f"ch0{chapter}" / "answers-zobrien.json").write_text(json.dumps(
            answer_file("zobrien", right_answers("zobrien", ids), chapter=chapter, exported=exported)))
        # a page's export: no "chapter", the chapter is what it answers
        (flat / f"answers-zobrien-{chapter}.json").write_text(json.dumps(
            answer_file("zobrien", right_answers("zobrien", ids), exported=exported)))
    g = grade_folder(sub, 6, None, "")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"zobrien": str(len(chapter_ids(6)))}, book
    assert [r["file"] for r in g.rows] == ["zobrien/ch06/answers-zobrien.json"], g.rows
    g = grade_folder(flat, 6, None, "")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"zobrien": str(len(chapter_ids(6)))}, book
    other = next(r for r in g.rows if r["file"] == "answers-zobrien-4.json")
    assert other["score"] == "" and "answers chapter 4, no exercise of chapter 6" in other["error"], other


def _per_student(where, student, chapter, answers=None, stamp=None, claim=None):
    """What a per-student notebook exports (answers-ID-chN.json, ``claim``: the id written as
    MY_ID), in nbgrader's submitted/ID/chNN/ with its notebook, timestamp.txt and submission_secret.txt; ``answers``:
    None, every answer right; {}, none (only the export cell run)."""
    claim = claim or student
    ids = chapter_ids(chapter)
    where.mkdir(parents=True, exist_ok=True)
    ans = right_answers(claim, ids) if answers is None else answers
    (where / f"answers-{claim}-ch{chapter}.json").write_text(json.dumps(
        answer_file(claim, ans, chapter=chapter, secret="", exported=stamp or "2026-12-05T12:00:00Z")))
    _handed_in(where, stamp=f"{(stamp or '2026-12-05T12:00:00Z')[:10]} {(stamp or 'T12:00:00')[11:19]}.000000 UTC")
    (where / "ch06-exercises.ipynb").rename(where / f"ch{chapter:02d}-exercises.ipynb")


def test_in_nbgraders_layout_only_the_chapters_assignment_is_graded(tmp_path):
    """The TA's findings 1 and 3: s16 answered ch06 (3 / 3), then submitted ch10 having run only
    its export cell ({"answers": {}, "chapter": 10}): graded with --chapter 6 the empty ch10 file,
    the latest, counted 0 / 3.  With ch06/ and ch10/ in every student's folder each got "has 2
    files" and a second report, the copy and secret counts counted both chapters, and s30 (ch10's
    notebook without its export, beside a ch06 file) got "answers chapter 6" instead of the
    notebook note, with ch06's timestamp.  Only the assignment's folders are read."""
    sub = tmp_path / "course" / "submitted"
    roster = tmp_path / "roster.txt"
    roster.write_text("s01\ns08\ns16\ns30\n")
    for sid in ("s01", "s16", "s30"):
        _per_student(sub / sid / "ch06", sid, 6, stamp="2026-12-01T10:00:00Z")
    _per_student(sub / "s01" / "ch10", "s01", 10, stamp="2026-12-05T10:00:00Z")
    _per_student(sub / "s16" / "ch10", "s16", 10, answers={}, stamp="2026-12-05T12:25:06Z")
    _handed_in(sub / "s30" / "ch10", "2026-12-05 11:00:00.000000 UTC")
    (sub / "s30" / "ch10" / "ch06-exercises.ipynb").rename(sub / "s30" / "ch10" / "ch10-exercises.ipynb")
    import shutil
    for chapter in ("ch06", "ch10"):            # s08: a byte copy of s01's files
        shutil.copytree(sub / "s01" / chapter, sub / "s08" / chapter)
    out = tmp_path / "out"
    out.mkdir()
    r = cli("grade", "--class", str(sub), "--chapter", "6", "--roster", str(roster), "--gradebook",
            str(out / "gb.csv"), "--feedback", str(out / "fb"), "-o", str(out / "files.csv"))
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row for row in csv.DictReader((out / "gb.csv").open())}
    assert {s: row["score"] for s, row in book.items()} == {"s01": "3", "s08": "", "s16": "3", "s30": "3"}, book
    assert book["s16"]["submitted_at"] == "2026-12-01T10:00:00Z"
    assert "has 2 files" not in r.stderr and "ch10" not in r.stderr, r.stderr
    assert "note: 2 answer files are byte for byte the same" in r.stderr, r.stderr
    assert sorted(p.name for p in (out / "fb").iterdir()) == ["s01.txt", "s08.txt", "s16.txt", "s30.txt"]
    assert all("/ch10/" not in row["file"] for row in csv.DictReader((out / "files.csv").open()))
    # chapter 10: s30's notebook without its export, and ch10's own timestamp
    r = cli("grade", "--class", str(sub), "--chapter", "10", "--roster", str(roster), "--gradebook",
            str(out / "gb.csv"), "-o", str(out / "files.csv"))
    assert r.returncode == 0, r.stderr
    files = {row["student"]: row for row in csv.DictReader((out / "files.csv").open())}
    assert files["s30"]["note"].startswith("notebook handed in without its exported answers: "
                                           "s30/ch10/ch10-exercises.ipynb ("), files["s30"]
    book = {row["student"]: row for row in csv.DictReader((out / "gb.csv").open())}
    assert (book["s30"]["score"], book["s16"]["score"], book["s01"]["score"]) == ("", "0", "4"), book
    assert book["s01"]["submitted_at"] == "2026-12-05T10:00:00Z"
    # neither --chapter nor --assignment: each student's latest file of either assignment would
    # be their one score (s01's ch10 for s01, s16's ch10 0 / 3 over ch06's 3 / 3): refused
    r = cli("grade", "--class", str(sub), "--roster", str(roster), "--gradebook", str(out / "none.csv"),
            "-o", str(out / "none-files.csv"))
    one_line_error(r, "holds 2 nbgrader assignments (ch06, ch10): grade one at a time, with --chapter N")
    assert not (out / "none.csv").exists() and not (out / "none-files.csv").exists()
    # an assignment named otherwise: said, and --assignment names it
    (sub.parent / "week6").mkdir()
    for sid in ("s01", "s08", "s16", "s30"):
        for chapter in ("ch06", "ch10"):
            if (sub / sid / chapter).exists():
                shutil.move(sub / sid / chapter, sub.parent / "week6" / sid / f"week{chapter[2:]}")
    r = cli("grade", "--class", str(sub.parent / "week6"), "--chapter", "6", "-o", os.devnull)
    one_line_error(r, "no nbgrader assignment 'ch06' in", "week06, week10", "--assignment NAME")
    r = cli("grade", "--class", str(sub.parent / "week6"), "--chapter", "6", "--assignment", "week06",
            "--roster", str(roster), "--gradebook", str(out / "gb.csv"), "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    book = {row["student"]: row["score"] for row in csv.DictReader((out / "gb.csv").open())}
    assert book == {"s01": "3", "s08": "", "s16": "3", "s30": "3"}, book


def test_a_file_whose_chapter_is_another_is_not_counted_outside_nbgraders_layout_too(tmp_path):
    """The TA's finding 1, in a flat folder: an export with no answers that says "chapter": 10,
    exported later than the chapter 6 file, was graded 0 for chapter 6 and counted."""
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "answers-s16-ch6.json").write_text(json.dumps(answer_file(
        "s16", right_answers("s16", chapter_ids(6)), chapter=6, secret="", exported="2026-12-01T10:00:00Z")))
    (flat / "answers-s16-ch10.json").write_text(json.dumps(answer_file(
        "s16", {}, chapter=10, secret="", exported="2026-12-05T10:00:00Z")))
    g = grade_folder(flat, 6, None, "")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"s16": "3"}, book
    other = next(r for r in g.rows if r["file"] == "answers-s16-ch10.json")
    assert other["score"] == "" and other["error"] == ("this file is chapter 10's export (its \"chapter\" is 10): "
                                                       "not counted for chapter 6"), other


def test_a_copy_of_nbgraders_submitted_folder_by_any_name_is_its_layout(tmp_path):
    """The TA's finding 4: the guide's "a copy of submitted/", copied as ps-copy/, was no longer
    nbgrader's layout: every notebook and timestamp.txt listed in one line, submitted_at the
    student's clock.  The layout is known by ID/ASSIGNMENT/timestamp.txt, whatever the name."""
    import shutil
    sub = tmp_path / "submitted"
    for sid in ("s01", "s02"):
        _per_student(sub / sid / "ch06", sid, 6, stamp="2026-12-01T10:00:00Z")
        (sub / sid / "ch06" / f"answers-{sid}-ch6.json").write_text(json.dumps(answer_file(
            sid, right_answers(sid, chapter_ids(6)), chapter=6, secret="", exported="2030-01-01T00:00:00Z")))
    roster = tmp_path / "roster.txt"
    roster.write_text("s01\ns02\n")
    shutil.copytree(sub, tmp_path / "ps-copy")
    out = {}
    for graded in (sub, tmp_path / "ps-copy"):
        r = cli("grade", "--class", str(graded), "--chapter", "6", "--roster", str(roster), "--gradebook",
                str(tmp_path / "gb.csv"), "-o", str(tmp_path / "files.csv"))
        assert r.returncode == 0, r.stderr
        assert "skipped: the notebook, timestamp.txt and submission_secret.txt of 2 submissions" in r.stderr, r.stderr
        assert "ch06-exercises.ipynb" not in r.stderr and "timestamp.txt," not in r.stderr, r.stderr
        out[graded.name] = ((tmp_path / "gb.csv").read_text(), (tmp_path / "files.csv").read_text())
    assert out["ps-copy"] == out["submitted"], out
    assert "s01,3,3,100.0,2026-12-01T10:00:00Z" in out["ps-copy"][0], out


def test_an_id_not_on_the_roster_is_named_to_its_student(tmp_path, capsys, monkeypatch):
    """The TA's finding 5: s14 wrote their email as MY_ID; the report said "exported for another
    student, not for 's14'", though the id was their own typing.  An id the roster lacks is
    named, to the student too (a classmate's id still is not); the notebook warns of an '@'."""
    sub = tmp_path / "submitted"
    _per_student(sub / "s14" / "ch06", "s14", 6, claim="s14@uni.example")
    _per_student(sub / "s05" / "ch06", "s05", 6, claim="s01")
    _per_student(sub / "s01" / "ch06", "s01", 6)
    roster = tmp_path / "roster.txt"
    roster.write_text("s01\ns05\ns14\n")
    g = grade_folder(sub, 6, roster, "", feedback=True)
    rows = {r["student"]: r for r in g.rows}
    assert rows["s14"]["error"] == ("this answer file belongs to student 's14@uni.example', not to 's14': "
                                    "'s14@uni.example' is not on the roster"), rows["s14"]
    reports = g.feedback()
    assert _report_body(reports["s14.txt"]) == ("answers-s14@uni.example-ch6.json: could not be graded: this answer file was "
                                  "exported for the id 's14@uni.example', not for yours, 's14': answer again with "
                                  "'s14' as your id (MY_ID = 's14' in a notebook; your login, not your email) and send "
                                  "that export\n")
    assert "s01" not in _report_body(reports["s05.txt"]).split(":", 1)[1] and "another student" in reports["s05.txt"]
    from sim.exercises.notebook import NotebookSheet, sealed_sheet
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)         # off a hub
    sheet = NotebookSheet.load(NotebookSheet.dump(sealed_sheet(6, per_student=True, secret="")))
    warning = ("warning: MY_ID 's14@uni.example' looks like an email address: write your id as your course's "
               "roster has it (your login, unless your course's ids are email addresses) -- answers given under "
               "another id are not accepted for yours\n")
    sheet.use("s14@uni.example")
    assert capsys.readouterr().out.endswith(warning)
    sheet.export({}, str(tmp_path / "x.json"))
    assert capsys.readouterr().out.endswith(warning)
    sheet.use("s14")
    sheet.export({}, str(tmp_path / "y.json"))
    assert "warning" not in capsys.readouterr().out


def test_the_guides_differences_script_says_why_a_row_has_no_score(tmp_path):
    """The TA's finding 2: rule 7 of the guide's nbgrader route ("where grade --class has none
    ... take nbgrader's score") gave copiers nbgrader's 3 / 3, as its script printed no reason:
    it now prints files.csv's error or note beside each row without a score."""
    import io
    import re
    import runpy
    import textwrap
    from contextlib import redirect_stdout
    guide = (ROOT / "book" / "instructor-guide.md").read_text()
    rule = guide[guide.index("7. **Which score to import**"):guide.index("(hub)=")]
    script = textwrap.dedent(re.search(r"```python\n(.*?)```", rule, re.S).group(1))
    (tmp_path / "script.py").write_text(script)
    sub = tmp_path / "submitted"
    _per_student(sub / "s01" / "ch06", "s01", 6)
    _per_student(sub / "s05" / "ch06", "s05", 6, claim="s01")
    _handed_in(sub / "s06" / "ch06")
    roster = tmp_path / "roster.txt"
    roster.write_text("s01\ns05\ns06\n")
    r = cli("grade", "--class", str(sub), "--chapter", "6", "--roster", str(roster), "--gradebook",
            str(tmp_path / "gradebook-ch06.csv"), "-o", str(tmp_path / "files-ch06.csv"))
    assert r.returncode == 0, r.stderr
    (tmp_path / "grades.csv").write_text("assignment,student_id,score\nch06,s01,3.0\nch06,s05,3.0\nch06,s06,3.0\n")
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        buf = io.StringIO()
        with redirect_stdout(buf):
            runpy.run_path(str(tmp_path / "script.py"))
    finally:
        os.chdir(here)
    lines = buf.getvalue().splitlines()
    assert lines == ["s05: nbgrader 3.0, grade --class - (this answer file belongs to student 's01', not to 's05')",
                     "s06: nbgrader 3.0, grade --class - (notebook handed in without its exported answers: "
                     "s06/ch06/ch06-exercises.ipynb (its last cell writes the answer file; the student runs it "
                     "before nbgrader submit): no score (--lms-file keeps their cell as it was; an empty score "
                     "imported may clear a grade) -- grade the notebook by hand, or by nbgrader's score)"], lines
    # the fallback on nbgrader's score is for that note alone; a refused file is followed up
    rule = " ".join(rule.split())
    assert "only for the note \"notebook handed in without its exported answers\" open" in rule, rule
    assert "A refused file" in rule and "never nbgrader's score" in rule, rule


def test_a_claim_with_spaces_is_named_so_and_a_file_without_exported_is_the_oldest(tmp_path):
    """The reviewer's 8: a claim 'zobrien ' was refused as "belongs to student 'zobrien', not to
    'zobrien'"; a file without ``exported`` (hand-written) had the unzip's time, later than every
    exported file, so --keep latest counted it."""
    ids = chapter_ids(2)
    data = answer_file("zobrien", right_answers("zobrien", ids))
    data["student"] = "zobrien "
    with pytest.raises(GradeError, match=r"\"student\" in the answer file is 'zobrien ', white space around"):
        grade("zobrien", data, 2, "")
    sub = tmp_path / "sub"
    (sub / "zobrien").mkdir(parents=True)
    (sub / "zobrien" / "answers-zobrien.json").write_text(json.dumps(
        answer_file("zobrien", right_answers("zobrien", ids), exported="2026-11-30T09:00:00Z")))
    (sub / "zobrien" / "mine.json").write_text(_hand_written("zobrien", ids, right=False))
    roster = tmp_path / "roster.txt"
    roster.write_text("zobrien\n")
    g = grade_folder(sub, 2, roster, "")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook("latest")[0].splitlines())}
    assert book == {"zobrien": str(len(ids))}, book


def test_one_who_sent_nothing_is_0_percent_whatever_the_maximum(tmp_path):
    """Without --chapter, files of chapters with different maximums: a roster student who sent
    nothing had 'zobrien,0,,,' in the gradebook, an empty percent for a 0."""
    for sid, chapter in (("mmuller", 2), ("alee", 6)):
        (tmp_path / f"answers-{sid}.json").write_text(json.dumps(
            answer_file(sid, right_answers(sid, chapter_ids(chapter)), chapter=chapter)))
    roster = tmp_path.parent / f"{tmp_path.name}-roster.txt"
    roster.write_text("mmuller\nalee\nzobrien\n")
    g = grade_folder(tmp_path, None, roster, "")
    book = {r["student"]: r for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book["zobrien"]["score"] == "0" and book["zobrien"]["percent"] == "0.0", book


#: Canvas's gradebook export ("Export entire gradebook", lib/gradebook_exporter.rb): the Canvas user id
#: under "ID", the login under "SIS Login ID", and a "Points Possible" row with no student.
CANVAS_GRADEBOOK = ("Student,ID,SIS User ID,SIS Login ID,Section,Lab 2 (123)", "    Points Possible,,,,,3.00",
                    '"Müller, Maria",1001,,mmuller,S1,', "\"O'Brien, Zoë\",1005,,zobrien,S1,")


def test_a_flat_canvas_download_is_placed_by_the_user_id_canvas_put_in_each_name(tmp_path):
    """The reviewer's T8: Canvas's download names each file NAME_USERID_FILEID_<the student's name
    for it> in one folder, and the file name the student chose decided: Zoë's later
    answers-mmuller.json was counted for Maria.  With Canvas's gradebook export as roster its ID
    column places each file by the user id Canvas wrote first (one the student writes after it
    never decides); without it, the run is an alarm, as for Moodle's folders."""
    ids = chapter_ids(2)
    own = json.dumps(answer_file("mmuller", right_answers("mmuller", ids), exported="2026-11-30T09:00:00Z"))
    sub = _moodle_class(tmp_path / "sub", {"mullermaria_1001_2002_answers-mmuller.json": own,
                                           "obrienzoe_1005_2003_answers-mmuller.json": _copied("mmuller", ids),
                                           "obrienzoe_LATE_1005_2004_x_1001_5_answers.json": _copied("mmuller", ids)})
    roster = _moodle_roster(tmp_path / "canvas.csv", *CANVAS_GRADEBOOK)
    g = grade_folder(sub, 2, roster, "", roster_column="SIS Login ID")
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"mmuller": str(len(ids)), "zobrien": ""}, book
    assert all(r["student"] == "zobrien" and "belongs to student 'mmuller'" in r["error"]
               for r in g.rows if r["file"].startswith("obrienzoe")), g.rows
    assert not g.alarms, g.alarms
    plain = tmp_path / "roster.txt"
    plain.write_text("mmuller\nzobrien\n")
    one_line_error(cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(plain), "-o",
                       str(tmp_path / "g.csv")), "3 files are named as Canvas's submissions download names them",
                   "--roster-column \"SIS Login ID\"", "nothing written")
    assert not (tmp_path / "g.csv").exists()
    # anonymous grading names nobody: an alarm even with the gradebook export
    anon = _moodle_class(tmp_path / "anon", {"anon_ab12c_2002_answers-mmuller.json": own})
    alarms = grade_folder(anon, 2, roster, "", roster_column="SIS Login ID").alarms
    # ... said as what it is: no roster can place them (it told to give the export already given)
    assert len(alarms) == 1 and "anonymous grading" in alarms[0] and "--roster-column" not in alarms[0], alarms


def test_a_file_an_instructor_named_id_then_numbers_is_not_taken_for_canvas(tmp_path):
    """alice_2024_10_ch2.json, in a folder an instructor laid out by hand, fits Canvas's
    NAME_USERID_FILEID_ pattern, and stopped the whole run as a Canvas download the roster could
    not place (exit 2, nothing written).  Canvas's first part is a sortable name, never an id:
    a name that starts with a roster id is the instructor's, and its id places it."""
    ids = chapter_ids(2)
    sub = _moodle_class(tmp_path / "sub", {
        "alice_2024_10_ch2.json": json.dumps(answer_file("alice", right_answers("alice", ids))),
        "answers-bob.json": json.dumps(answer_file("bob", right_answers("bob", ids)))})
    roster = tmp_path / "roster.txt"
    roster.write_text("alice\nbob\n")
    g = grade_folder(sub, 2, roster, "")
    assert not g.alarms, g.alarms
    book = {r["student"]: r["score"] for r in csv.DictReader(g.gradebook()[0].splitlines())}
    assert book == {"alice": str(len(ids)), "bob": str(len(ids))}, book


def test_grading_counts_the_cpus_a_containers_quota_allows(monkeypatch):
    """grade --class ran one process per CPU of the affinity mask, which in a container limited by
    a CPU quota (a hub's --cpus=2 on a 64-core host) is the host's: 64 workers.  It asks
    sim.runs.usable_cpus, as map_runs does, which reads the quota too."""
    from sim import runs
    from sim.exercises.grade import jobs_default
    monkeypatch.setattr(runs, "usable_cpus", lambda: 3)
    assert jobs_default() == 3


def test_a_class_of_a_few_hundred_is_graded_in_one_process_by_default(monkeypatch, tmp_path):
    """grade --class started one worker per CPU for any class: 250 files on 2 CPUs took 2.05 s
    where one process took 1.11 s.  Below WORKERS_FROM files the default is one process (the
    measurements are in WORKERS_FROM's comment and sim.exercises.bench, not timed here)."""
    from sim import runs
    g = sys.modules["sim.exercises.grade"]         # the package's name grade is the function
    monkeypatch.setattr(runs, "usable_cpus", lambda: 4)
    assert g.WORKERS_FROM >= 250
    assert g.jobs_default(250) == g.jobs_default(g.WORKERS_FROM - 1) == 1
    assert g.jobs_default(g.WORKERS_FROM) == g.jobs_default() == 4
    ids = chapter_ids(2)
    for sid in ("alice", "bob", "carol"):
        (tmp_path / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, right_answers(sid, ids))))
    used = []
    real = g._graded
    monkeypatch.setattr(g, "_graded", lambda items, jobs, task, bar: used.append(jobs) or real(items, jobs, task, bar))
    g.grade_folder(tmp_path, 2, secret="", jobs=None, progress=False)     # the command line's default
    assert used == [1]


def test_a_class_graded_with_another_course_secret_is_stopped_and_a_classmates_page_still_named(tmp_path):
    """Pages made with one course secret, graded with another: no variant tag is any student's
    under the given secret.  Each file says so ("made with another course secret?"), not "another
    student's page" (which told 240 students to answer the variant they had answered), and
    a quarter of the class or more stops the run: nothing written (it wrote a gradebook of blanks
    and marked hand-written files against the wrong variants, exit status 0).  A tag that is a
    classmate's under the secret given stays "on their page"."""
    ids = chapter_ids(2)
    sub = tmp_path / "sub"
    sub.mkdir()
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("the-right-secret\n")
    bad.write_text("a-mistyped-secret\n")
    students = [f"s{i}" for i in range(1, 9)]
    for sid in students:
        answers = {k: instance(k, sid, secret="the-right-secret").answer for k in ids}
        (sub / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, answers, secret="the-right-secret")))
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--secret-file", str(bad),
            "--gradebook", str(tmp_path / "gb.csv"), "--feedback", str(tmp_path / "fb"))
    one_line_error(r, "8 of 8 files were answered on pages or notebooks made with another course secret", "nothing written")
    assert not (tmp_path / "gb.csv").exists() and not (tmp_path / "fb").exists()
    with pytest.raises(GradeError, match=r"made with another course secret\?") as e:
        grade("s1", load_answers(sub / "answers-s1.json"), chapter=2, secret="a-mistyped-secret", others=students)
    assert "another student's page" not in str(e.value) and "another student" not in e.value.student
    # with the right secret: all graded; a classmate's page is named as theirs
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--secret-file", str(good))
    assert r.returncode == 0 and {b["score"] for b in rows(r.stdout)} == {str(len(ids))}, r.stderr
    theirs = json.loads((sub / "answers-s2.json").read_text())
    theirs["student"] = "s1"
    with pytest.raises(GradeError, match="given on the page of s2, s4 or s7 .they share that variant.") as e:
        grade("s1", theirs, chapter=2, secret="the-right-secret", others=students)
    assert "another course secret" not in str(e.value)


def test_empty_or_broken_files_are_not_flagged_as_copies_of_each_other(tmp_path):
    """Eight students' empty (0-byte) uploads were "10 answer files byte for byte the same ...
    a copy?", each empty file's note naming 7 others: a file that is no answer file (empty, not
    JSON) is refused for that, and copies nothing (a real copy still is:
    test_byte_identical_files_of_two_students_are_flagged)."""
    ids = chapter_ids(2)
    sub = tmp_path / "sub"
    sub.mkdir()
    for sid in ("s1", "s2", "s3"):
        (sub / f"answers-{sid}.json").write_bytes(b"")
    for sid in ("s4", "s5"):
        (sub / f"answers-{sid}.json").write_text('{"format": "1+1<1 ans')
    copied = json.dumps(answer_file("s6", right_answers("s6", ids)))
    (sub / "answers-s6.json").write_text(copied)
    (sub / "answers-s7.json").write_text(copied.replace('"s6"', '"s7"', 1))    # ... an edited copy
    g = grade_folder(sub, chapter=2)
    notes = {r["file"]: " ".join(r["note"]) for r in g.rows}
    for sid in ("s1", "s2", "s3", "s4", "s5", "s6", "s7"):
        assert "byte for byte" not in notes[f"answers-{sid}.json"], notes
    assert not any("byte for byte" in n for n in g.notes), g.notes


def test_a_loose_file_at_the_top_of_nbgraders_submitted_folder_is_noted(tmp_path):
    """A file at the top of nbgrader's submitted/, in no student's ID/ASSIGNMENT/ folder, was graded
    by its name with no note (one beside an LMS's folders gets one): nbgrader did not put it there."""
    sub = tmp_path / "submitted"
    for sid in ("s01", "s02"):
        _per_student(sub / sid / "ch06", sid, 6)
    (sub / "answers-s03-ch6.json").write_text(json.dumps(answer_file("s03", right_answers("s03", chapter_ids(6)),
                                                                     chapter=6, secret="")))
    g = grade_folder(sub, chapter=6)
    assert any(n.startswith("1 file is in no per-student folder beside nbgrader's ID/ASSIGNMENT/ folders "
                            "(e.g. answers-s03-ch6.json): nbgrader did not place it") for n in g.notes), g.notes


def test_the_guides_checksum_script_names_the_student_who_edited_a_test_cell(tmp_path):
    """The instructor's finding 5: a locked test cell changed to ``pass`` warned "Attribute
    'checksum' for cell ... has changed! (... got: ...)", worded as the nbgrader #1961 warnings the
    guide says to ignore.  The guide's script tells them apart by the ``got:`` value: the same in
    every untouched submission, another in the edited one (lines as nbgrader 0.9.6 logs them)."""
    import io
    import re
    import runpy
    import textwrap
    from contextlib import redirect_stdout
    guide = (ROOT / "book" / "instructor-guide.md").read_text()
    part = guide[guide.index("[#1961]"):guide.index("(nbgrader-route)=")]
    script = textwrap.dedent(re.search(r"```python\n(.*?)```", part, re.S).group(1))
    log, warn = [], ("[AutogradeApp | WARNING] Attribute 'checksum' for cell {} has changed! "
                     "(should be: 796c3016596e14541c22b7bca4628c78, got: {})")
    for sid in ("s001", "s002", "s003", "s004", "s005", "s006", "s007"):
        log.append(f"[AutogradeApp | INFO] Converting notebook /op1/submitted/{sid}/ch06/ch06-exercises.ipynb")
        log.append(warn.format("eqnat-remote-test", "801766b8" if sid == "s004" else "2537e584"))
        log.append(warn.format("eqnat-repair-test", "2e94be3c"))
    (tmp_path / "autograde.log").write_text("\n".join(log) + "\n")
    (tmp_path / "script.py").write_text(script)
    out = io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        with redirect_stdout(out):
            runpy.run_path(str(tmp_path / "script.py"))
    finally:
        os.chdir(cwd)
    assert out.getvalue().splitlines() == ["eqnat-remote-test 2537e584 6 ", "eqnat-remote-test 801766b8 1 s004",
                                           "eqnat-repair-test 2e94be3c 7 "], out.getvalue()


def test_a_class_that_wrote_logins_where_nbgraders_folders_are_emails_stops_the_run(tmp_path):
    """An instructor's finding (a hub whose logins are email addresses): nbgrader kept each
    student's work in submitted/ID@uni.example/, the students wrote their login as MY_ID, as
    Step 4 said, and grade --class refused 249 of 252 files ("belongs to student '0042', not to
    '0042@uni.example'"), wrote a gradebook and an LMS file "filled for 0 students", and exited 0.
    A quarter of the files or more exported under ids that are no classmate's stop the run:
    status 2, nothing written, one line saying what to do.  Likewise a roster whose column is not
    the folders' ids (every graded student "not on the roster").  A copy of a classmate's file
    is not such a refusal, and a class whose MY_ID is the hub user name is graded."""
    sub = tmp_path / "submitted"
    logins = ["0042", "s001", "s002", "s003"]
    for who in logins:                               # MY_ID = the login, folder = the hub user name
        _per_student(sub / f"{who}@uni.example" / "ch06", f"{who}@uni.example", 6, claim=who)
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text("Identifier,Full name,Username,Email address,Grade,Maximum Grade\n" + "".join(
        f"Participant {1000 + k},{w.upper()} Student,{w},{w}@uni.example,,3.00\n" for k, w in enumerate(logins)))
    out = tmp_path / "out"
    out.mkdir()
    for column in ("Username", "Email address"):
        r = cli("grade", "--class", str(sub), "--chapter", "6", "--roster", str(worksheet), "--roster-column",
                column, "--lms-file", str(out / "ws.csv"), "--gradebook", str(out / "gb.csv"), "-o",
                str(out / "files.csv"))
        assert r.returncode == 2 and not any(out.iterdir()), (column, r.stderr)
        line = r.stderr.strip().splitlines()[-1]
        assert "4 of 4 files were refused as exported under an id that is no classmate's (e.g. '0042' in " \
               "0042@uni.example/ch06/, graded for '0042@uni.example')" in line, line
        assert "nbgrader hands a student's work in under their hub user name (submitted/ID/)" in line, line
        assert line.endswith("nothing written (give --force to write the CSVs and reports anyway)"), line
    # the way out the line gives: the folders renamed to the ids the files name, a roster of logins
    for d in list(sub.iterdir()):
        d.rename(sub / d.name.split("@")[0])
    r = cli("grade", "--class", str(sub), "--chapter", "6", "--roster", str(worksheet), "--roster-column",
            "Username", "--lms-file", str(out / "ws.csv"), "-o", str(out / "files.csv"))
    assert r.returncode == 0, r.stderr
    assert {g["Username"]: g["Grade"] for g in csv.DictReader(open(out / "ws.csv"))} == dict.fromkeys(logins, "3")
    # MY_ID = the hub user name (an email address): graded -- unless the roster's column is the logins
    sub2 = tmp_path / "submitted2"
    for who in logins:
        _per_student(sub2 / f"{who}@uni.example" / "ch06", f"{who}@uni.example", 6)
    r = cli("grade", "--class", str(sub2), "--chapter", "6", "--roster", str(worksheet), "--roster-column",
            "Username", "-o", str(out / "f2.csv"))
    assert r.returncode == 2 and not (out / "f2.csv").exists(), r.stderr
    assert ("4 of the 4 students graded are not on the roster (e.g. '0042@uni.example'): give --roster-column "
            "the roster's column holding the ids the files are graded for (nbgrader's folder names, the hub's "
            "user names: 'Email address' where those are emails)") in r.stderr, r.stderr
    r = cli("grade", "--class", str(sub2), "--chapter", "6", "--roster", str(worksheet), "--roster-column",
            "Email address", "--lms-file", str(out / "ws2.csv"), "-o", str(out / "f2.csv"))
    assert r.returncode == 0, r.stderr
    assert [g["Grade"] for g in csv.DictReader(open(out / "ws2.csv"))] == ["3"] * 4
    # copies of classmates' files are refusals of another kind: graded, no stop
    sub3 = tmp_path / "submitted3"
    for k, who in enumerate(logins):
        _per_student(sub3 / who / "ch06", who, 6, claim=logins[0] if k else None)
    g = grade_folder(sub3, 6, None, "")
    assert not g.alarms and sum(1 for r in g.rows if "belongs to student '0042'" in r["error"]) == 3, g.alarms


def test_a_notebooks_changed_question_is_said_to_have_changed_since_the_notebook_was_made(tmp_path):
    """An instructor's finding: a notebook's answer to a changed question was told "its question
    changed since the page was made".  A notebook's export names its chapter (a page's never does):
    its report and the class's line say notebook."""
    ids = chapter_ids(6)
    for made, chapter in (("notebook", 6), ("page", None)):
        data = answer_file("s01", right_answers("s01", ids), chapter=chapter, secret="")
        data["answers"][ids[0]]["fingerprint"] = "0" * len(data["answers"][ids[0]]["fingerprint"])
        rep = grade("s01", data, chapter=6, secret="")
        said = rep.text()
        # the student's report: what happened, in words the student can act on (test_grade_shared_site.py)
        assert "this question changed after you answered; your instructor will look at it" in said, said
        assert "was made" not in said and "re-issue" not in said, said
        (tmp_path / made).mkdir()
        (tmp_path / made / "answers-s01.json").write_text(json.dumps(data))
        g = grade_folder(tmp_path / made, 6, None, "")
        assert any(f"not graded, the question changed since the {made} was made" in n
                   and f"the version of the book the {made}s came from" in n for n in g.notes), g.notes


def test_a_copy_of_submitted_made_again_into_the_same_folder_is_refused(tmp_path):
    """An instructor's run of the nbgrader box for a second chapter: its `cp -r submitted ../copy`,
    run again while ../copy existed, put the new copy in copy/submitted/; `grade --class copy
    --chapter 4` refused 510 files as "2 folders each say they are s240001's (s240001/,
    submitted/s240001/)", wrote an LMS file of 31 grades among 300 students, and exited 0.  Such a
    folder is refused in one line naming it and the likely cause, and nothing is written; a new
    copy per chapter, as the guide's box makes it, grades every student."""
    op1 = tmp_path / "op1"
    sub = op1 / "submitted"
    ids = [f"s{k:02d}" for k in range(1, 7)]
    (tmp_path / "roster.txt").write_text("".join(f"{sid}\n" for sid in ids))
    for sid in ids:
        _per_student(sub / sid / "ch02", sid, 2, stamp="2026-12-01T10:00:00Z")
    subprocess.run(["cp", "-r", "submitted", "../copy"], cwd=op1, check=True)      # chapter 2's copy
    for sid in ids:
        _per_student(sub / sid / "ch04", sid, 4, stamp="2026-12-08T10:00:00Z")
    subprocess.run(["cp", "-r", "submitted", "../copy"], cwd=op1, check=True)      # chapter 4's: copy/submitted/
    assert (tmp_path / "copy" / "submitted" / "s01" / "ch04").is_dir()
    outs = {"-o": "files.csv", "--gradebook": "gradebook.csv", "--feedback": "reports"}
    copy = tmp_path / "copy"
    r = cli("grade", "--class", str(copy), "--chapter", "4", "--roster", str(tmp_path / "roster.txt"),
            *(x for o, f in outs.items() for x in (o, str(tmp_path / f))))
    one_line_error(r, f"{copy} holds two copies of nbgrader's submitted/: 6 students' folders (s01/, s02/, s03/, "
                      f"...) and {copy}/submitted/ with 6 more", f"`cp -r submitted {copy}` run again while {copy} "
                      f"existed", "rm -rf ../copy-chNN && cp -r submitted ../copy-chNN",
                   f"or grade {copy}/submitted/ alone")
    assert not [f for f in outs.values() if (tmp_path / f).exists()]
    # the same, with the copy named as nbgrader's own folder
    (tmp_path / "back").mkdir()
    for _ in range(2):
        subprocess.run(["cp", "-r", "submitted", "../back/submitted"], cwd=op1, check=True)
    one_line_error(cli("grade", "--class", str(tmp_path / "back" / "submitted"), "--chapter", "4"),
                   "holds two copies of nbgrader's submitted/")
    # the box's step, run for each chapter, twice for one of them: a new copy each time
    for ch in ("02", "04", "04"):
        subprocess.run(["bash", "-c", f"rm -rf ../copy-ch{ch} && cp -r submitted ../copy-ch{ch}"], cwd=op1, check=True)
    assert not (tmp_path / "copy-ch04" / "submitted").exists()
    r = cli("grade", "--class", str(tmp_path / "copy-ch04"), "--chapter", "4", "--roster", str(tmp_path / "roster.txt"),
            "--gradebook", str(tmp_path / "gradebook.csv"), "-o", str(tmp_path / "files.csv"))
    assert r.returncode == 0, r.stderr
    book = list(csv.DictReader(open(tmp_path / "gradebook.csv")))
    assert [(b["student"], b["score"]) for b in book] == [(sid, str(len(chapter_ids(4)))) for sid in ids], book


def test_a_class_whose_students_are_two_folders_each_is_refused(tmp_path):
    """The same mistake in another layout (folders named after the roster's ids, as a course may
    lay its files out, and nbgrader's submitted/ copied beside them): every student's files are
    refused as "2 folders each say they are theirs", which is the class folder's fault, not the
    students'.  A quarter of the files or more (three at least) so refused stops the run, as a
    forgotten course secret does: nothing written without --force.  One student so is told in the
    row alone, as before."""
    ids = [f"s{k:02d}" for k in range(1, 9)]
    roster = tmp_path / "roster.txt"
    roster.write_text("".join(f"{sid}\n" for sid in ids))
    klass = tmp_path / "class"
    two = ids[:3]
    for sid in ids:
        (klass / sid).mkdir(parents=True)
        (klass / sid / f"answers-{sid}.json").write_text(json.dumps(answer_file(
            sid, right_answers(sid, chapter_ids(2)), chapter=2, secret="")))
    for sid in two:
        _per_student(klass / "submitted" / sid / "ch02", sid, 2)
    out = tmp_path / "files.csv"
    r = cli("grade", "--class", str(klass), "--chapter", "2", "--roster", str(roster), "-o", str(out))
    one_line_error(r, "6 of 11 files were refused because two folders each say they are one student's (e.g. s01/, "
                      "submitted/s01/ for s01)", "cp -r submitted COPY, run again while COPY exists",
                   "nothing written (give --force")
    assert not out.exists()
    r = cli("grade", "--class", str(klass), "--chapter", "2", "--roster", str(roster), "-o", str(out), "--force")
    assert r.returncode == 0, r.stderr
    refused = {row["student"] for row in csv.DictReader(open(out)) if "2 folders each say" in row["error"]}
    assert refused == set(two)
    # one student in two folders: their rows say so, and the others are graded
    for sid in two[1:]:
        shutil.rmtree(klass / "submitted" / sid)
    r = cli("grade", "--class", str(klass), "--chapter", "2", "--roster", str(roster), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert {row["student"] for row in csv.DictReader(open(out)) if "2 folders each say" in row["error"]} == {"s01"}


def test_the_per_file_csv_says_when_each_file_was_submitted(tmp_path):
    """An instructor's finding: in the nbgrader box's route nothing showed a late submission --
    files.csv had no time, and only --gradebook (which the box did not write) had submitted_at.
    The per-file CSV has it too, for every file: in nbgrader's submitted/ID/ASSIGNMENT/ nbgrader's
    own timestamp.txt, not the exported time the student's kernel wrote."""
    sub = tmp_path / "submitted"
    _per_student(sub / "s01" / "ch02", "s01", 2, stamp="2026-12-01T10:00:00Z")
    _per_student(sub / "s02" / "ch02", "s02", 2, stamp="2026-12-01T10:00:00Z")
    (sub / "s02" / "ch02" / "timestamp.txt").write_text("2026-12-08 23:59:30.123456 UTC")     # late, by nbgrader's clock
    roster = tmp_path / "roster.txt"
    roster.write_text("s01\ns02\ns03\n")
    out = tmp_path / "files-ch02.csv"
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--roster", str(roster), "-o", str(out))
    assert r.returncode == 0, r.stderr
    got = {row["student"]: row["submitted_at"] for row in csv.DictReader(open(out))}
    assert got == {"s01": "2026-12-01T10:00:00Z", "s02": "2026-12-08T23:59:30Z", "s03": ""}, got
    assert next(csv.reader(open(out)))[:4] == ["student", "file", "submitted_at", "score"]


def test_a_class_graded_with_another_course_id_is_stopped_and_says_which(tmp_path, monkeypatch):
    """An instructor's finding: pages made without a course id, graded with OP1_COURSE_ID left set
    (or the other way round), refused every page's file one by one, yet the run wrote its
    worksheet and exited 0, hand-written files marked against the other course's variants.  A
    quarter of the class or more so refused stops the run, as another secret does: one line
    saying which way round, nothing written."""
    monkeypatch.delenv("OP1_COURSE_ID", raising=False)
    ids = chapter_ids(2)
    sub, net = tmp_path / "sub", tmp_path / "net"
    sub.mkdir()
    net.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("the-right-secret\n")
    students = [f"s{i}" for i in range(1, 5)]
    for sid in students:
        answers = {k: instance(k, sid, secret="the-right-secret").answer for k in ids}
        (sub / f"answers-{sid}.json").write_text(json.dumps(answer_file(sid, answers, secret="the-right-secret")))
        (net / f"answers-{sid}.json").write_text(json.dumps(
            answer_file(sid, answers, secret="the-right-secret", course="net101")))
    monkeypatch.setenv("OP1_COURSE_ID", "net101")
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--secret-file", str(secret),
            "--gradebook", str(tmp_path / "gb.csv"))
    one_line_error(r, "4 of 4 files were answered on pages or notebooks made without a course id",
                   "OP1_COURSE_ID unset", "nothing written")
    assert not (tmp_path / "gb.csv").exists()
    monkeypatch.delenv("OP1_COURSE_ID")
    r = cli("grade", "--class", str(net), "--chapter", "2", "--secret-file", str(secret),
            "--gradebook", str(tmp_path / "gb.csv"))
    one_line_error(r, "4 of 4 files were answered on pages or notebooks of another course id",
                   "set OP1_COURSE_ID", "nothing written")
    assert not (tmp_path / "gb.csv").exists()
    # each with its own course id: graded
    r = cli("grade", "--class", str(sub), "--chapter", "2", "--secret-file", str(secret))
    assert r.returncode == 0 and {b["score"] for b in rows(r.stdout)} == {str(len(ids))}, r.stderr
