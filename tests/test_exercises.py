"""The exercise bank: solvable, computed by the simulator, varied per student; the grader;
the page's checker in a real browser."""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import sim
from sim.exercises import BANK, instance, normalise
from sim.exercises.bank import chapter_ids
from sim.exercises.grade import FORMAT, answer_file, grade
from sim.exercises.variants import rng_for
from sim.topology import LOCAL1, REMOTE1, REMOTE2, uplink_addr
from sim.trace import Ev, event_text

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = [f"s{k:03d}" for k in range(10)]
IDS = list(BANK)


def wrong_answer(inst):
    """An answer of the right form that the simulator's answer rules out."""
    if inst.form == "config":
        for combo in inst.outcomes:
            if combo not in inst.accepted:
                return combo
        pytest.skip(f"{inst.ex_id}: every offered choice works for this variant")
    if inst.choices:
        return next(c for c in inst.choices if normalise(c, inst.form) not in inst.accepted)
    return str(int(inst.accepted[-1]) + 1)


def run_of(inst):
    return sim.run(inst.run["scenario"], **inst.run["params"])


# -- the bank ------------------------------------------------------------------------------------

def test_coverage_chapters_2_to_10():
    for ch in range(2, 11):
        ids = chapter_ids(ch)
        assert len(ids) >= 2, f"chapter {ch} has {ids}"
        assert any(BANK[k].kind == "predict" for k in ids), f"chapter {ch} has no predict-then-reveal"
    assert {s.kind for s in BANK.values()} == {"predict", "numeric", "config", "repair"}


@pytest.mark.parametrize("ex_id", IDS)
def test_solvable_and_checker_accepts_only_the_simulators_answer(ex_id):
    for student in STUDENTS[:4]:
        inst = instance(ex_id, student)
        ok, text = inst.check(inst.answer)
        assert ok, (student, text)
        ok, text = inst.check(wrong_answer(inst))
        assert not ok and text


@pytest.mark.parametrize("ex_id", IDS)
def test_at_least_two_of_ten_students_get_different_answers(ex_id):
    answers = {tuple(instance(ex_id, s).accepted) for s in STUDENTS}
    assert len(answers) >= 2, answers


@pytest.mark.parametrize("ex_id", IDS)
def test_variants_are_deterministic(ex_id):
    inst = instance(ex_id, "alice")
    again = BANK[ex_id].build("alice", rng_for("alice", ex_id))     # bypass the cache
    assert (again.accepted, again.prompt) == (inst.accepted, inst.prompt)


PREDICTS = [k for k in IDS if BANK[k].kind == "predict"]


def assert_trace_shows_answer(inst, r):
    """The revealed step is in the trace of ``r`` and shows the answer."""
    e = r.events[inst.step]
    text = " ".join(event_text(e).split()[1:])          # without the time column
    assert f"step {inst.step}: {text}" in inst.reveal
    a = inst.answer
    if a.startswith("if"):
        assert f"router:{a} " in event_text(e)
    elif inst.form == "endpoint":
        addr, port = a.split(":")
        assert e[1] in (Ev.HOP, Ev.NAT) and (e[3].ip.src, e[3].sport) == (addr, int(port))
    elif a in ("hit", "miss"):
        assert e[1] is {"hit": Ev.RT_HIT, "miss": Ev.RT_MISS}[a]
    elif a in ("ignore", "reset"):
        assert e[1] is Ev.DROP and e[4][0].value == {"ignore": "ignored by remote", "reset": "reset"}[a]
    elif a == "accept":
        assert not any(x[1] is Ev.DROP and x[2] == "remote1" for x in r.events[inst.step - 3:inst.step + 3])
    elif a == "drop":
        assert e[1] is Ev.DROP and e[4][0].value == "ingress filter"
    elif a == "forward":
        assert e[1] is Ev.HOP and e[2].startswith("peer")
    elif a == "yes":
        assert e[1] is Ev.DELIVER and e[2] == "local1" and e[3].l4.type == 0
    elif a == "no":
        assert e[1] is Ev.DROP
    else:
        raise AssertionError(f"no evidence rule for answer {a!r}")


@pytest.mark.parametrize("ex_id", PREDICTS)
def test_predict_answer_is_what_the_trace_shows_at_the_revealed_step(ex_id):
    """Re-run the simulator independently: the revealed step is in the trace and shows the answer."""
    for student in STUDENTS[:3]:
        inst = instance(ex_id, student)
        assert_trace_shows_answer(inst, run_of(inst))


def test_numeric_answers_come_from_the_summary():
    inst = instance("rc-count", "alice")
    assert inst.answer == str(run_of(inst).summary["route_cache"]["in_hit"])
    inst = instance("icmp-count", "alice")
    assert inst.answer == str(run_of(inst).summary["pings"][0]["received"])


def test_config_answers_are_judged_by_running_the_simulator(monkeypatch):
    inst = instance("two-links-config", "s001")
    calls = []
    real = sim.run

    def spy(scenario, **kw):
        calls.append((scenario, kw))
        return real(scenario, **kw)
    from sim.exercises import bank
    bank._run.cache_clear()
    monkeypatch.setattr(bank.sim, "run", spy)
    ok, _ = inst.check(inst.accepted[0])
    assert ok and calls and calls[0][0] == "connection-level"


# -- per-student addresses and ports, and the call that reproduces the grading ----------------------

IPV4 = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
ARTICLE_ADDRS = {uplink_addr(k) for k in range(1, 6)} | {REMOTE1, REMOTE2}
# the predict-then-reveal questions about NAT and addresses, and the numeric one about endpoints
ADDRESS_QUESTIONS = ["rc-hit", "nat-endpoint", "eqnat-remote", "nf-endpoint", "nf-filter", "icmp-answered",
                     "nat-seen"]


def addressing_of(inst):
    p = inst.run["params"]
    return tuple(p.get("uplink_addrs", ())), tuple(p.get("remote_addrs", ())), p.get("port_base")


@pytest.mark.parametrize("ex_id", IDS)
def test_students_get_their_own_addresses_and_ports(ex_id):
    seen = set()
    for student in STUDENTS:
        inst = instance(ex_id, student)
        ups, remotes, port = addressing_of(inst)
        assert ups and len(remotes) == 2 and port is not None, inst.run
        assert not ARTICLE_ADDRS & set(ups + remotes)
        assert 1024 <= port <= 60000
        seen.add((ups, remotes, port))
    assert len(seen) == len(STUDENTS), "every student draws their own addressing"
    assert instance(ex_id, "alice").run == BANK[ex_id].build("alice", rng_for("alice", ex_id)).run


@pytest.mark.parametrize("ex_id", ADDRESS_QUESTIONS)
def test_address_questions_show_each_student_their_own_addresses(ex_id):
    shown = set()
    for student in STUDENTS:
        inst = instance(ex_id, student)
        ups, remotes, port = addressing_of(inst)
        visible = " ".join([inst.prompt, *inst.choices, *inst.context])
        addrs = set(IPV4.findall(visible))
        assert not addrs & ARTICLE_ADDRS, addrs
        nets = {a.rsplit(".", 1)[0] for a in (*ups, *remotes, LOCAL1)}   # the student's /24s and the LAN
        assert {a.rsplit(".", 1)[0] for a in addrs} <= nets, addrs
        for a in ups:                                   # the uplinks, in plain words in the prompt
            assert a in inst.prompt, (a, inst.prompt)
        if inst.form == "endpoint":                     # ... and the client's ports
            assert str(port) in inst.prompt
            assert all(c.split(":")[0] in set(ups) | {LOCAL1} for c in inst.choices)
        shown.add((frozenset(addrs), frozenset(inst.choices)))
    assert len(shown) >= 2


def _calls_of(fn, monkeypatch):
    """The sim.run calls ``fn`` makes (caches cleared), as comparable keys; and fn's value."""
    from sim.exercises import bank
    calls = []
    real = sim.run

    def spy(scenario, **kw):
        calls.append((scenario, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kw.items()))))
        return real(scenario, **kw)
    bank._run.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(sim, "run", spy)
        value = fn()
    bank._run.cache_clear()
    return calls, value


def _syn_uplinks(r):
    from sim.exercises.bank import uplink_hops
    per = {}
    for i, d, p in uplink_hops(r):
        if p.proto == 6 and p.l4.flags == "S":
            per[p.sport] = d
    return per


NUMERIC_READERS = {
    "rc-count": lambda rs: rs[0].summary["route_cache"]["in_hit"],
    "nat-seen": lambda rs: len({e for c in rs[0].summary["connections"] for e in c["seen_by_server_as"]}),
    "eqnat-survive": lambda rs: sum(r.summary["connections"][0]["handshake_ok"] for r in rs),
    "icmp-count": lambda rs: rs[0].summary["pings"][0]["received"],
    "hash-count": lambda rs: sum(d == "if1" for d in _syn_uplinks(rs[0]).values()),
    "two-links-chance": lambda rs: sum(r.summary["connections"][0]["handshake_ok"] for r in rs),
}


@pytest.mark.parametrize("ex_id", IDS)
def test_the_shown_call_reproduces_what_was_graded(ex_id, monkeypatch):
    """Run the ``sim.run(...)`` code a student is shown: it makes exactly the runs the bank graded
    with (the student's addresses and ports included) and gives the same answer."""
    from sim.exercises.bank import _code, nearest_choice
    for student in STUDENTS[:2]:
        inst = instance(ex_id, student)
        graded, built = _calls_of(lambda: BANK[ex_id].build(student, rng_for(student, ex_id)), monkeypatch)
        assert built.accepted == inst.accepted
        call = inst.run["call"]
        if "seed=s" not in call:                # one run: the call is the run's params, verbatim
            assert call == _code(inst.run["scenario"], inst.run["params"])
        for shown in re.findall(r"`(sim\.run\([^`]*\))`", inst.prompt):   # a call in the prompt is this one
            assert shown in call, (shown, call)
        ns = {"sim": sim}
        if inst.form == "config":
            ns["your_choice"] = {k: {"true": True, "false": False}.get(v, v)
                                 for k, v in (p.split("=") for p in inst.accepted[0].split(";"))}
        ran, value = _calls_of(lambda: eval(call, ns), monkeypatch)
        results = value if isinstance(value, list) else [value]
        if inst.form == "config":
            assert ran and set(ran) <= set(graded)
            assert inst.check(inst.accepted[0])[0]
        else:
            assert sorted(ran) == sorted(graded)
        if inst.kind == "predict":
            assert_trace_shows_answer(inst, results[0])
        elif inst.form == "choice":            # the nearest speed
            got = results[0].summary["throughput_kbit"]
            assert normalise(nearest_choice(got, {c: int(c.split()[1]) for c in inst.choices}), "choice") \
                == inst.answer
        elif inst.form == "int":
            assert str(NUMERIC_READERS[ex_id](results)) == inst.answer


def test_the_bank_types_in_no_address():
    src = (ROOT / "sim" / "exercises" / "bank.py").read_text()
    assert not IPV4.findall(src)
    assert "uplink_addr(" not in src and "REMOTE1" not in src


def test_no_plain_answer_in_the_page():
    from sim.exercises.html import page_html
    for ex_id in IDS:
        inst = instance(ex_id, "alice")
        page = page_html(ids=[ex_id], student="alice", key=False)
        assert inst.explanation[:40] not in page
        data = page.split('class="sx-data">')[1].split("</script>")[0]
        assert json.dumps(inst.answer) not in data and json.loads(data)["accepted"]
        for line in inst.reveal:
            if line not in inst.context and not line.endswith("<-- you are here"):
                assert line not in page
    keyed = page_html(ids=["rc-hit"], student="alice", key=True)
    assert "Instructor key" in keyed


# -- sheets and the grader ------------------------------------------------------------------------

def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim.exercises", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_sheet_and_key():
    s = cli("sheet", "--student", "alice", "--chapter", "4")
    assert s.returncode == 0 and "Exercise sheet" in s.stdout and "**Answer:**" not in s.stdout
    k = cli("sheet", "--student", "alice", "--chapter", "4", "--key")
    assert k.returncode == 0 and "**Answer:**" in k.stdout
    for ex_id in chapter_ids(4):
        assert f"`{instance(ex_id, 'alice').answer}`" in k.stdout
    j = cli("sheet", "--student", "alice", "--key", "--format", "json")
    data = json.loads(j.stdout)
    assert [e["id"] for e in data["exercises"]] == IDS
    bad = cli("sheet", "--student", "no spaces allowed")
    assert bad.returncode == 2 and "bad student id" in bad.stderr and "Traceback" not in bad.stderr


def right_answers(student, ids):
    return {k: instance(k, student).answer for k in ids}


def test_grade_round_trip(tmp_path):
    ids = chapter_ids(6) + chapter_ids(7)
    right = tmp_path / "right.json"
    right.write_text(json.dumps(answer_file("alice", right_answers("alice", ids))))
    r = cli("grade", "--student", "alice", str(right))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"student alice: {len(ids)} / {len(ids)}")

    answers = right_answers("alice", ids)
    wrong_ids = ids[:2]
    for k in wrong_ids:
        answers[k] = wrong_answer(instance(k, "alice"))
    del answers[ids[-1]]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(answer_file("alice", answers)))
    r = cli("grade", "--student", "alice", str(partial), "--format", "json")
    rep = json.loads(r.stdout)
    assert (rep["score"], rep["max"]) == (len(ids) - 3, len(ids))
    assert {it["id"] for it in rep["items"] if not it["points"]} == set(wrong_ids) | {ids[-1]}
    assert all(it["feedback"] for it in rep["items"])


@pytest.mark.parametrize("content, message", [
    ("not json {", "is not JSON"),
    (json.dumps({"answers": {}}), "not an answer file"),
    (json.dumps(answer_file("bob", {"rc-hit": "hit"})), "belongs to student 'bob'"),
    (json.dumps({"format": FORMAT, "student": "alice",
                 "answers": {"rc-hit": {"answer": "hit", "variant": "0123456789abcdef"}}}),
     "another student's variant"),
    (json.dumps({"format": FORMAT, "student": "alice", "answers": {"nope": "1"}}), "unknown exercise 'nope'"),
])
def test_grade_rejects_malformed_and_foreign_files(tmp_path, content, message):
    f = tmp_path / "a.json"
    f.write_text(content)
    r = cli("grade", "--student", "alice", str(f))
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_grade_class_csv(tmp_path):
    ids = chapter_ids(2)
    for s in ("alice", "bob"):
        (tmp_path / f"{s}.json").write_text(json.dumps(answer_file(s, right_answers(s, ids))))
    (tmp_path / "carol.json").write_text("{oops")
    r = cli("grade", "--class", str(tmp_path))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("student,file,score,max,error," + ",".join(ids))
    rows = {l.split(",")[0]: l for l in lines[1:]}
    assert rows["alice"].startswith(f"alice,alice.json,{len(ids)},{len(ids)},,")
    assert "is not JSON" in rows["carol"]


# -- notebooks -------------------------------------------------------------------------------------

def test_nbgrader_notebooks(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    r = cli("notebooks", "--out", str(tmp_path), "--chapter", "5")
    assert r.returncode == 0, r.stderr
    nb = nbformat.read(next(tmp_path.rglob("*05*.ipynb")), as_version=4)
    nbformat.validate(nb)
    src = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN SOLUTION" in src and "### END SOLUTION" in src and "### BEGIN HIDDEN TESTS" in src
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded) == len(chapter_ids(5))
    ids = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata}
    assert len(ids) == len([c for c in nb.cells if "nbgrader" in c.metadata])
    # the source version (with solutions) runs, and its hidden tests pass with the simulator's answers
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    export = next(tmp_path.glob("answers-release-ch5.json"))
    rep = grade("release", json.loads(export.read_text()))
    assert rep.score == rep.max == len(chapter_ids(5))


# -- the page in a real browser ----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def _need_browser():
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install playwright)"
    if reason is None and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        reason = "chromium is not installed (apt-get install chromium)"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test needs: {reason}")
        print(f"skipping browser test: {reason}")
        pytest.skip(reason)


@pytest.fixture
def served(tmp_path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield tmp_path, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


BROWSER_IDS = ["rc-hit", "eqnat-remote", "nat-endpoint", "eqnat-survive", "eqnat-repair"]


def test_page_in_browser_predict_reveal_and_export(served):
    _need_browser()
    from playwright.sync_api import sync_playwright
    from sim.exercises.html import page_html
    folder, base = served
    student = "s003"
    (folder / "ex.html").write_text(page_html(ids=BROWSER_IDS, student=student), encoding="utf-8")
    blocked = []

    def guard(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            ctx = b.new_context(accept_downloads=True)
            ctx.route("**/*", guard)
            pg = ctx.new_page()
            errors = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(f"{base}/ex.html")
            answers = {}
            for ex_id in ("rc-hit", "eqnat-remote", "nat-endpoint"):
                inst = instance(ex_id, student)
                root = pg.locator(f'[data-exercise="{ex_id}"]')
                assert root.locator(".sx-reveal").is_hidden()
                wrong = wrong_answer(inst)
                root.locator(f'input[type=radio][value="{wrong}"]').check()
                root.locator(".sx-check").click()
                fb = root.locator(".sx-feedback")
                assert inst.hint[:30] in fb.inner_text().replace("`", "")
                assert root.get_attribute("data-result") == "wrong"
                assert root.locator(".sx-reveal").is_hidden()
                right = next(c for c in inst.choices if normalise(c, inst.form) == inst.answer)
                root.locator(f'input[type=radio][value="{right}"]').check()
                root.locator(".sx-check").click()
                assert root.get_attribute("data-result") == "right"
                rev = root.locator(".sx-reveal")
                assert rev.is_visible() and f"step {inst.step}:" in rev.inner_text()
                answers[ex_id] = right
            # a numeric answer typed in, and a repair left wrong
            num = pg.locator('[data-exercise="eqnat-survive"]')
            num.locator("input.sx-input").fill(instance("eqnat-survive", student).answer)
            num.locator(".sx-check").click()
            assert num.get_attribute("data-result") == "right"
            rep = pg.locator('[data-exercise="eqnat-repair"]')
            inst = instance("eqnat-repair", student)
            bad = dict(p.split("=") for p in wrong_answer(inst).split(";"))
            for k, v in bad.items():
                rep.locator(f'select[data-option="{k}"]').select_option(v)
            rep.locator(".sx-check").click()
            assert rep.get_attribute("data-result") == "wrong"
            assert "With seed" in rep.locator(".sx-feedback").inner_text()
            with pg.expect_download() as dl:
                pg.locator('[data-exercise="rc-hit"] .sx-export').click()
            exported = json.loads(Path(dl.value.path()).read_text())
            pg.screenshot(path=str(folder / "page.png"), full_page=True)
        finally:
            b.close()
    assert not errors, errors
    assert not blocked, blocked
    rep = grade(student, exported)
    got = {it["id"]: it["points"] for it in rep.items}
    assert all(got[k] == 1 for k in answers) and got["eqnat-survive"] == 1 and got["eqnat-repair"] == 0
    assert rep.score == 4


def test_the_books_own_pages_use_the_articles_addresses():
    from sim.exercises.bank import BANK, instance
    from sim.exercises.variants import BOOK_STUDENT
    for ex_id in BANK:
        params = instance(ex_id, BOOK_STUDENT).run["params"]
        assert "uplink_addrs" not in params and "port_base" not in params, ex_id
    assert "100.0.0.1" in instance("nat-endpoint", BOOK_STUDENT).prompt
