"""page --roster WORKSHEET --lms moodle -o FILE.zip: every student's page in the folder Moodle's
"Upload multiple feedback files in a zip" gives to their participant number, named as its
"Download all submissions" names it -- and read back by the grader's own parser to the same
student, whose variant the page carries."""
import io
import zipfile
from pathlib import Path

from sim.exercises.grade import LMS_FOLDER, _folder_owner, roster_names, roster_pids
from sim.exercises.html import page_html
from test_exercises import cli, one_line_error

HEADER = "Identifier,Full name,Username,Email address,Status,Grade,Maximum Grade"
SECRET = "handout-test-secret"

#: (Identifier, Full name, Username): a name with a '_' and a "'" (which Moodle's folder name
#: changes), one with an accent, an id spelled in upper case
ROWS = [("Participant 1001", "Liam Chen", "s0001"),
        ("Participant 1002", "Ahmed Nguyễn", "s0002"),
        ("Participant 1004", "Wei O'Brien_Jr", "S0004"),
        ("Participant 1003", "Emma Chen", "s0003")]


def _worksheet(path, rows=ROWS, header=HEADER):
    """Moodle's grading worksheet as it downloads it: a byte order mark, CRLF line ends."""
    lines = [header] + [f"{pid},{name},{user},{user}@uni.example,Submitted for grading,,6.00"
                        for pid, name, user in rows]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    return path


def _secret(tmp_path):
    f = tmp_path / "secret.txt"
    f.write_text(SECRET + "\n")
    return f


def _zip(tmp_path, ws, out="pages-ch2.zip", *more):
    out = tmp_path / out
    r = cli("page", "--roster", str(ws), "--roster-column", "Username", "--chapter", "2", "--lms", "moodle",
            "--secret-file", str(_secret(tmp_path)), "-o", str(out), *more)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert f"{len(ROWS)} pages written into {out} ({out.stat().st_size / 1e6:.1f} MB)" in r.stdout, r.stdout
    # the one name Moodle's folder writes otherwise, said with what it becomes
    assert "1 full name written" in r.stderr and "\"Wei O'Brien_Jr\" as 'Wei OBrien Jr'" in r.stderr, r.stderr
    return out


def _moodle_import(path: str):
    """(participant number, the feedback file's name) as Moodle's importer reads a zip entry's
    path (mod/assign/feedback/file/importziplib.php, is_valid_filename_for_import(): each part of
    the path split at '_' into at most 5 pieces, the first with 4 or more whose second is a number
    places the file; the rest of the path is the file's name), or None."""
    parts = path.split("/")
    if parts[-1].startswith((".", "~")):
        return None
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) < 4 or not info[1].isdigit():
            continue
        return int(info[1]), "/".join([info[4] if len(info) > 4 else ""] + parts).lstrip("/")
    return None


def test_every_folder_is_read_back_by_the_grader_as_the_student_whose_variant_its_page_carries(tmp_path):
    ws = _worksheet(tmp_path / "worksheet-ch2.csv")
    z = zipfile.ZipFile(_zip(tmp_path, ws))
    names = z.namelist()
    assert names == sorted(names) and len(names) == len(ROWS), names
    assert "Wei OBrien Jr_1004_assignsubmission_file_/S0004-ch2.html" in names, names
    pids, full = roster_pids(ws, "Username"), roster_names(ws, "Username")
    owners = {}
    for name in names:
        folder, page = name.split("/")
        assert LMS_FOLDER.search(folder), folder            # the grader's pattern of Moodle's folders
        # the grader's own parser: by the participant number, and by the name alone
        f = tmp_path / "class" / folder / "answers.json"
        by_pid = _folder_owner(f, tmp_path / "class", set(), full, pids)[0]
        by_name = _folder_owner(f, tmp_path / "class", set(), full, {})[0]
        assert by_pid == by_name is not None, (folder, by_pid, by_name)
        owners[by_pid] = page
        # Moodle's importer gives the page to that participant, under the page's own name
        pid, got = _moodle_import(name)
        assert pids[pid] == {by_pid} and got == page, (name, pid, got)
        # the page is the variant of the id the grader grades that folder as
        assert z.read(name) == page_html(2, student=by_pid, secret=SECRET).encode("utf-8"), name
    assert owners == {"s0001": "s0001-ch2.html", "s0002": "s0002-ch2.html", "s0003": "s0003-ch2.html",
                      "s0004": "S0004-ch2.html"}, owners
    assert len({z.read(n) for n in names}) == len(names)          # four students, four pages


def test_the_same_worksheet_and_secret_make_the_same_bytes(tmp_path):
    ws = _worksheet(tmp_path / "worksheet-ch2.csv")
    a = _zip(tmp_path, ws, "a.zip").read_bytes()
    # the rows in another order: the same zip
    b = _zip(tmp_path, _worksheet(tmp_path / "shuffled.csv", ROWS[::-1]), "b.zip").read_bytes()
    assert a == b
    for info in zipfile.ZipFile(io.BytesIO(a)).infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.create_system == 3, info
        assert info.compress_type == zipfile.ZIP_DEFLATED and (info.external_attr >> 16) == 0o100644, info


def _refused(tmp_path, ws, *words, extra=(), lms="moodle", out="p.zip", column="Username"):
    target = tmp_path / out
    r = cli("page", "--roster", str(ws), "--roster-column", column, "--chapter", "2", "--lms", lms,
            "-o", str(target), *extra)
    one_line_error(r, *words)
    assert not target.exists() and not list(tmp_path.glob(".p.zip*")), "nothing written"
    return r


def test_bad_worksheets_are_refused_naming_the_value_and_nothing_is_written(tmp_path):
    good = _worksheet(tmp_path / "good.csv")
    # no such column
    _refused(tmp_path, good, "no column 'Login'", "'Username'", column="Login")
    # an empty id: the row named, and what an id may be
    _refused(tmp_path, _worksheet(tmp_path / "empty.csv", ROWS + [("Participant 1005", "Ann Lee", "")]),
             "line 6 (Ann Lee)", "empty 'Username'", "1-64 ASCII letters")
    # an id that is none: named, with the rule
    _refused(tmp_path, _worksheet(tmp_path / "bad.csv", ROWS + [("Participant 1005", "Ann Lee", "ann lee")]),
             "'ann lee'", "1-64 ASCII letters")
    # two rows with one id, in any case
    _refused(tmp_path, _worksheet(tmp_path / "twice.csv", ROWS + [("Participant 1005", "Sam Chen", "s0001")]),
             "s0001 on lines 2, 6", "own 'Username'")
    _refused(tmp_path, _worksheet(tmp_path / "case.csv", ROWS + [("Participant 1005", "Sam Chen", "S0002")]),
             "on lines 3, 6")
    # two rows with one participant number
    _refused(tmp_path, _worksheet(tmp_path / "pid.csv", ROWS + [("Participant 1001", "Sam Chen", "s0009")]),
             "1001 on lines 2, 6", "'Identifier'")
    # a participant cell that is no number, and a roster that is no grading worksheet
    _refused(tmp_path, _worksheet(tmp_path / "cell.csv", ROWS + [("Participant", "Sam Chen", "s0009")]),
             "line 6 (Sam Chen): 'Participant'", "'Participant N'")
    _refused(tmp_path, _worksheet(tmp_path / "plain.csv", header=HEADER.replace("Identifier", "Number")),
             "no 'Identifier' column", "Download grading worksheet")
    # what a zip for the students cannot be
    _refused(tmp_path, good, "Moodle's upload takes a file named .zip", out="p.tar")
    _refused(tmp_path, good, "--key", extra=("--key",))
    _refused(tmp_path, good, "not --out-dir", extra=("--out-dir", str(tmp_path / "pages")))
    _refused(tmp_path, good, "--roster-column", column="")
    # a zip that cannot be written: said before any page is made
    r = cli("page", "--roster", str(good), "--roster-column", "Username", "--chapter", "2", "--lms", "moodle",
            "-o", str(tmp_path / "no-such-folder" / "p.zip"))
    one_line_error(r, "can't write", "no-such-folder")
    # Canvas: no such upload, said plainly
    _refused(tmp_path, good, "Canvas has no upload", "Re-upload submissions", lms="canvas")


def test_the_moodle_importer_model_reads_both_folder_forms_and_skips_hidden_files():
    # the model the round trip above relies on, against the forms importziplib.php's comment names
    assert _moodle_import("Ann Lee_1005_assignsubmission_file_/ann-ch2.html") == (1005, "ann-ch2.html")
    assert _moodle_import("Ann Lee_1005_assignsubmission_file/ann-ch2.html") == (1005, "ann-ch2.html")
    assert _moodle_import("top/Ann Lee_1005_assignfeedback_file/ann.txt") == (1005, "ann.txt")
    assert _moodle_import("Ann Lee_1005_assignsubmission_file_/.hidden") is None
    assert _moodle_import("Ann_Lee_1005_assignsubmission_file_/ann.html") is None     # why '_' becomes ' '



def test_the_guide_and_readme_say_the_zip_route():
    root = Path(__file__).resolve().parents[1]
    guide = (root / "book" / "instructor-guide.md").read_text(encoding="utf-8")
    assert "--lms moodle -o pages-chN.zip" in guide and "Upload multiple feedback files in a zip" in guide
    assert "Re-upload submissions" in guide                  # Canvas: why not, plainly
    assert "--lms moodle" in (root / "README.md").read_text(encoding="utf-8")
