"""The shared site (issue 14, items 1 and 2): one mapping from a student id to a variant of the
pool, in Python and in the page's JavaScript; each wrong choice explained from the simulator;
a right prediction opening the replay at the deciding event -- and, in Chromium on the built
book, a student who enters an id, answers on two pages, exports and is graded."""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import serving

from sim.exercises import grade, instance
from sim.exercises._js import JS
from sim.exercises.bank import BANK, pool_instance
from sim.exercises.grade import answer_file
from sim.exercises.html import exercise_html, page_html
from sim.exercises.model import normalise, open_sealed, parse
from sim.exercises.site import replay_name
from sim.exercises.variants import BOOK_STUDENT, POOL, STUDENT_RE, member, member_name, pool_index

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() == "true"
CHOICE_IDS = [k for k in BANK if BANK[k].kind in ("predict", "choice")]


def _need(what: str, ok: bool):
    if not ok:
        if CI:
            pytest.fail(f"{what} is needed (CI=true: not skipping)")
        pytest.skip(f"{what} is not installed")


def _node(script: str, payload) -> object:
    """Run ``script`` in node with the page's checker loaded (``SX``) and ``INPUT`` = payload."""
    node = shutil.which("node")
    _need("node", node is not None)
    prog = ("globalThis.window = globalThis;\n" + JS + "\nconst INPUT = " + json.dumps(payload) + ";\n"
            + "process.stdout.write(JSON.stringify((function () {" + script + "})()));")
    r = subprocess.run([node, "-"], input=prog, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_python_and_the_page_map_ids_to_the_same_variant():
    rng = random.Random(14)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-"
    cases = []
    for n in range(3000):
        sid = rng.choice("abcXYZ019") + "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 63)))
        cases.append([rng.choice(["", "net101", "CS-2027.b"]), sid, rng.choice(list(BANK))])
    cases.append(["", "é-student", "rc-hit"])        # not an id the grader accepts, but hashed alike
    got = _node("return INPUT.map(c => SX.poolIndex(c[0], c[1], c[2], %d));" % POOL, cases)
    assert got == [pool_index(s, e, c) for c, s, e in cases]
    assert len(set(got)) == POOL                   # every variant of the pool is somebody's


def test_python_and_the_page_fingerprint_the_same_question():
    """Each exported answer names the question its page showed: the page computes the fingerprint
    from what it holds (the hash of its question, its salt, its salted answer hashes -- no answer),
    the grader from its own instance, built for grading (a configuration without its answers): they
    agree for every exercise, on the book's variant, a student's with a course secret and the
    pool's; a question changed, or data made before fingerprints, gives another (none)."""
    from sim.exercises.model import sealed_fingerprint
    datas, want = [], []
    for k in BANK:
        for inst, graded in ((instance(k, BOOK_STUDENT, secret=""), instance(k, BOOK_STUDENT, secret="", grading=True)),
                             (instance(k, "s017", secret="c0urse"), instance(k, "s017", secret="c0urse", grading=True)),
                             (pool_instance(k, 3), None)):
            data = dict(inst.sealed(svg=False), hint=inst.hint)
            assert sealed_fingerprint(data) == inst.fingerprint == (graded or inst).fingerprint, k
            datas.append(data)
            want.append(inst.fingerprint)
    changed = dict(datas[0], question=instance(next(iter(BANK)), "s017", secret="").question)
    before = {k: v for k, v in datas[0].items() if k != "question"}
    got = _node("return INPUT.map(d => SX.fingerprint(d));", datas + [changed, before])
    assert got[:-2] == want
    assert len(set(want)) == len(want)
    assert got[-2] not in ("", want[0]) and got[-1] == ""


def test_the_page_accepts_the_ids_the_grader_accepts():
    ids = ["alice", "s001", "A", "a" * 64, "a" * 65, "jo.doe@uni-x.org", "x_y-z", "-lead", ".dot", "", "a b",
           "al/ice", "<b>", "名前", "book", "Book", "maria.muller+net@uni.example.edu", "+lead"]
    got = _node("return INPUT.map(s => SX.checkStudent(s));", ids)
    assert got[ids.index("maria.muller+net@uni.example.edu")] == ""      # an email with a +tag is an id
    for sid, why in zip(ids, got):
        graded = bool(STUDENT_RE.match(sid)) and sid.lower() != BOOK_STUDENT    # ids are case-insensitive
        assert (why == "") == graded, (sid, why)
        if why:                                      # one line naming the value (or asking for one)
            assert "\n" not in why and (sid in why or not sid or sid.lower() == "book" or len(sid) > 60), why


def test_grader_page_and_pool_give_a_student_the_same_variant():
    for sid in ("alice", "bob", "s042", "jo.doe@uni-x.org"):
        for ex_id in BANK:
            k = pool_index(sid, ex_id)
            if ex_id in ("two-links-chance",) and sid not in ("alice",):
                continue                               # 1000 runs per variant: one student is enough
            inst, pooled = instance(ex_id, sid, secret=""), pool_instance(ex_id, k)
            assert inst.variant == member(sid, ex_id) == member_name(k) == pooled.variant
            assert (inst.salt, inst.prompt, inst.accepted) == (pooled.salt, pooled.prompt, pooled.accepted)
            assert inst.student == sid
    page = page_html(chapter=6, student="alice", secret="")
    for ex_id in ("eqnat-remote", "eqnat-survive", "eqnat-repair"):
        assert instance(ex_id, "alice", secret="").salt in page


def test_a_second_id_gets_other_variants_for_most_exercises():
    ids = [f"student{n:03d}" for n in range(40)]
    for a, b in zip(ids, ids[1:]):
        differ = sum(pool_index(a, k) != pool_index(b, k) for k in BANK)
        assert differ >= len(BANK) / 2, (a, b, differ)
    for ex_id in ("rc-hit", "eqnat-remote", "nat-endpoint", "eqnat-repair"):   # the pool's variants differ
        prompts = {pool_instance(ex_id, k).prompt for k in range(POOL)}
        assert len(prompts) == POOL, ex_id


@pytest.mark.parametrize("ex_id", CHOICE_IDS)
def test_every_wrong_choice_has_its_own_explanation(ex_id):
    for name in (BOOK_STUDENT, "alice", "bob"):
        inst = instance(ex_id, name, secret="")
        wrong = [c for c in inst.choices if normalise(c, inst.form) != inst.answer]
        assert wrong
        texts = []
        for c in wrong:
            why = inst.outcomes[normalise(c, inst.form)]
            assert why.startswith(f"Not {c}") or why.startswith("Not a ") or why.startswith("Not "), why
            ok, feedback = inst.check(c)                   # the grader's feedback carries it
            assert not ok and feedback.startswith(why) and inst.hint in feedback
            data = dict(inst.sealed(svg=False), hint=inst.hint, choices=inst.choices, kind=inst.kind)
            ok, page_feedback, _ = open_sealed(data, c)    # and the page's, sealed
            assert not ok and page_feedback == feedback
            texts.append(why)
        assert len(set(texts)) == len(texts), texts        # one per choice
        ok, text = inst.check(next(c for c in inst.choices if normalise(c, inst.form) == inst.answer))
        assert ok and text == inst.explanation


def test_explanations_come_from_the_run():
    """The texts name what the simulator did in this variant: the uplink, the address, the event."""
    # (a variant the remote accepts names no address: the question gives both endpoints, and two
    # equal ones side by side were the answer; its texts name the run's remote model)
    who = next(w for w in ("alice", "bob", "carol", "dan", "erin", "frank", "gina", "hal")
               if instance("eqnat-remote", w, secret="").answer != "accept")
    inst = instance("eqnat-remote", who, secret="")
    ups = inst.run["params"].get("uplink_addrs")
    assert any(any(a in t for a in ups) for t in inst.outcomes.values()), inst.outcomes
    who = next(w for w in ("alice", "bob", "carol", "dan", "erin", "frank", "gina", "hal")
               if instance("eqnat-remote", w, secret="").answer == "accept")
    inst = instance("eqnat-remote", who, secret="")
    assert all(f"`{inst.run['params']['remote']}`" in t for t in inst.outcomes.values()), inst.outcomes
    inst = instance("rc-hit", "alice", secret="")
    for t in inst.outcomes.values():
        assert "event" in t or "iif" in t, t
    inst = instance("cl-uplink", "bob", secret="")          # (the hit is past the trace shown: no event named)
    assert all("the lookup for this packet hits it" in t and "event" not in t for t in inst.outcomes.values())


def test_a_replay_opens_at_the_deciding_event():
    from sim.exercises.site import replay_html
    for ex_id in ("rc-hit", "eqnat-remote", "nat-endpoint"):
        inst = pool_instance(ex_id, 3)
        page = replay_html(inst)
        meta = json.loads(page.split('class="op1-meta">')[1].split("</script>")[0])
        assert meta["frames"] >= 2 and 0 < meta.get("at", 0) < meta["frames"], meta
        assert f"event {inst.step}" in page
    from sim.view import Player
    import sim
    r = sim.run("equalize-nat", seed=1)
    with pytest.raises(ValueError, match="not a step of this replay"):
        Player(r, stop=40, at=0)


def test_the_site_module_does_not_import_the_page_module():
    """The page (``html``) uses the site (``site``: the pool, the replays and their names), never
    the other way round: no import of ``html`` in ``site``, lazy or not, and either can be
    imported first in a fresh interpreter."""
    import ast
    tree = ast.parse((ROOT / "sim" / "exercises" / "site.py").read_text())
    imported = set()                   # "from .html import x" -> html; "from . import html" -> html
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            imported |= {n.module.split(".")[-1]} if n.module else {a.name for a in n.names}
        elif isinstance(n, ast.Import):
            imported |= {a.name.split(".")[-1] for a in n.names}
    assert "html" not in imported, imported
    for first, second in (("site", "html"), ("html", "site")):
        code = (f"import sim.exercises.{first} as a, sim.exercises.{second} as b; "
                f"from sim.exercises.site import replay_name; from sim.exercises import html; "
                f"assert html.site.replay_name is replay_name")
        r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (first, second, r.stderr)


def test_the_shared_page_carries_the_pool_light():
    html = exercise_html(2, "rc-hit", pool=True)
    pool = json.loads(html.split('class="sx-pool">')[1].split("</script>")[0])
    assert len(pool["variants"]) == POOL and pool["course"] == ""
    assert "<svg" not in html.split('class="sx-pool">')[1]        # no drawing inlined per variant
    for k, v in enumerate(pool["variants"]):
        inst = pool_instance("rc-hit", k)
        assert v["data"]["salt"] == inst.salt and inst.prompt.split("`")[0][:40] in v["html"].replace("&#x27;", "'")
        ok, _, opened = open_sealed(dict(v["data"], choices=inst.choices, kind=inst.kind), inst.answer)
        assert ok and "replay" not in opened                        # no replay folder: none named
    # what grows with the pool -- each variant's prompt, hashes and sealed explanation -- stays a few kB a
    # variant (34 kB for 8 when this was written); the page around it (the checker script, 24 kB, and
    # the form) is carried once, and may grow by a little without the pool growing
    assert len(json.dumps(pool)) < 5_000 * POOL, len(json.dumps(pool))
    assert len(html) < 90_000, len(html)


def test_an_export_from_the_pool_is_graded_for_its_student():
    """What the shared page exports for a student (their pool variants' tags) gets full marks."""
    sid = "carol"
    answers = {k: instance(k, sid, secret="").answer for k in ("rc-hit", "rc-count")}
    tags = {k: pool_instance(k, pool_index(sid, k)).salt for k in answers}
    data = answer_file(sid, answers, variants=tags)
    rep = grade(sid, data, chapter=2, secret="")
    assert rep.score == rep.max == 2
    other = next(s for s in (f"x{n}" for n in range(100)) if pool_index(s, "rc-hit") != pool_index(sid, "rc-hit"))
    with pytest.raises(Exception, match="given on"):
        grade(other, dict(data, student=other), chapter=2, secret="")


# -- the built book in Chromium --------------------------------------------------------------------

HTML = ROOT / "_build" / "html"


@pytest.fixture(scope="module")
def site():
    page = HTML / "book" / "02-route-cache.html"
    if not page.exists() or 'class="sx-pool"' not in page.read_text(encoding="utf-8"):
        if CI:
            pytest.fail("the book is not built with the exercises' pool (make book)")
        pytest.skip("the book is not built with the exercises' pool (make book)")

    with serving(HTML) as url:
        yield url


def _answer(pg, root, inst, choice):
    root.locator(f'input[type=radio][value="{choice}"]').check()
    root.locator(".sx-check").click()


#: (in the page) whether one of the replay frame's step buttons -- the player's own or its pinned
#: bar's -- shows, whole, where the page is on screen and the frame is not under the page's header:
#: the element at its middle, in the page, is the frame, and in the frame, the button
STEP_BUTTON_SHOWN_JS = """f => {
  const fr = f.getBoundingClientRect(), doc = f.contentDocument, out = [];
  for (const b of doc.querySelectorAll('.op1-bar button[data-act=next], .op1-float button[data-act=next]')) {
    const r = b.getBoundingClientRect();
    if (!r.height) continue;
    const x = fr.left + f.clientLeft + r.left + r.width / 2, top = fr.top + f.clientTop + r.top;
    const onScreen = top >= 0 && top + r.height <= innerHeight && x >= 0 && x <= innerWidth;
    const hit = onScreen && document.elementFromPoint(x, top + r.height / 2) === f &&
                doc.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    out.push([b.closest('.op1-float') ? 'pinned' : 'own', !!hit && (hit === b || b.contains(hit))]);
  }
  return out; }"""


@pytest.mark.parametrize("screen", [(360, 740), (1366, 768)])
def test_a_right_answers_replay_has_a_step_button_on_screen(site, chromium, screen):
    """An accessibility tester's finding: the replay shown after a right answer was a frame 880 px
    tall, taller than the screen; its pinned step buttons, at the foot of the frame's window, were
    below the screen, and the player's own scrolled away inside the frame: no step button in view.
    The frame is no taller than the screen under the page's header: scrolled into view, at its
    top the player's own buttons show, scrolled on inside it the pinned ones.  A link above it opens
    the replay as a page of its own."""
    inst = instance("rc-hit", BOOK_STUDENT, secret="")
    ctx = chromium.new_context(viewport={"width": screen[0], "height": screen[1]})
    pg = ctx.new_page()
    pg.goto(f"{site}/book/02-route-cache.html")
    root = pg.locator('[data-exercise="rc-hit"]')
    _answer(pg, root, inst, next(c for c in inst.choices if normalise(c, inst.form) == inst.answer))
    frame, own = root.locator("iframe.sx-replay"), root.locator("a.sx-replay-open")
    shown = {}
    for block in ("start", "end"):
        frame.evaluate(f"f => f.scrollIntoView({{block: '{block}'}})")
        pg.wait_for_function("f => f.contentDocument && f.contentDocument.querySelector('[data-op1-live]')",
                             arg=frame.element_handle(), timeout=60_000)
        frame.evaluate("f => f.contentWindow.scrollTo(0, 0)")
        pg.wait_for_timeout(200)
        shown[block, "top"] = frame.evaluate(STEP_BUTTON_SHOWN_JS)
        # scrolled inside the frame past the player's own bar: the pinned bar shows instead
        frame.evaluate("f => { const w = f.contentWindow, b = w.document.querySelector('.op1-bar');"
                       " w.scrollTo(0, b.getBoundingClientRect().bottom + w.scrollY + 40); }")
        pg.wait_for_function("f => !f.contentDocument.querySelector('.op1-float').hidden",
                             arg=frame.element_handle(), timeout=10_000)
        shown[block, "scrolled"] = frame.evaluate(STEP_BUTTON_SHOWN_JS)
    link = [own.is_visible(), own.get_attribute("href"), frame.get_attribute("src")]
    ctx.close()
    for (block, where), buttons in shown.items():
        assert ["own" if where == "top" else "pinned", True] in buttons, (screen, block, where, buttons)
    assert link[0] and link[1] == link[2] and link[1].endswith(replay_name(inst)), link


def test_a_student_on_the_shared_site(site, chromium, tmp_path):
    sid, other = "alice.w", "bob-7"
    pages = {"rc-hit": "book/02-route-cache.html", "eqnat-remote": "book/06-equalize-nat.html"}
    blocked, errors = [], []

    def guard(route):
        url = route.request.url
        if url.startswith((site, "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()
    ctx = chromium.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    ctx.route("**/*", guard)
    pg = ctx.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(f"{site}/{pages['rc-hit']}")
    root = pg.locator('[data-exercise="rc-hit"]')
    # no id yet: the book's own example, and a request for an id on every exercise
    assert root.get_attribute("data-variant") == "book"
    n_ex = pg.locator("[data-exercise]").count()
    assert pg.locator(".sx-student input.sx-sid-input").count() == n_ex >= 2
    # ... whose why is said once, by the page's first exercise (some 330 px in every one, on a phone)
    msgs = pg.locator(".sx-student .sx-sid-msg").all_inner_texts()
    assert msgs[0].startswith("Enter the id your instructor gave you") and msgs[1:] == [""] * (n_ex - 1), msgs
    bar = root.locator(".sx-student")
    bar.locator("input").fill("al ice")
    bar.locator(".sx-use").click()
    assert "Not a student id: 'al ice'" in bar.inner_text()
    assert root.get_attribute("data-variant") == "book"
    bar.locator("input").fill(sid)
    bar.locator("input").press("Enter")
    # every exercise of the page now shows alice.w's variant and names her
    for ex in pg.locator("[data-exercise]").all():
        ex_id = ex.get_attribute("data-exercise")
        assert ex.get_attribute("data-variant") == str(pool_index(sid, ex_id)), ex_id
        assert sid in ex.locator(".sx-student").inner_text()
        assert ex.get_attribute("data-student") == sid
    results = {}
    for n, (ex_id, path) in enumerate(pages.items()):
        if n:
            pg.goto(f"{site}/{path}")            # the id is kept: entered once
        root = pg.locator(f'[data-exercise="{ex_id}"]')
        assert root.get_attribute("data-student") == sid
        inst = instance(ex_id, sid, secret="")
        assert inst.prompt.split("`")[0][:50] in root.locator(".sx-prompt").inner_text().replace("`", "")
        wrong = next(c for c in inst.choices if normalise(c, inst.form) != inst.answer)
        _answer(pg, root, inst, wrong)
        assert root.get_attribute("data-result") == "wrong"
        fb = root.locator(".sx-feedback").inner_text()
        why = inst.outcomes[normalise(wrong, inst.form)].replace("`", "")
        assert why in fb, (why, fb)                   # the choice's own explanation
        right = next(c for c in inst.choices if normalise(c, inst.form) == inst.answer)
        _answer(pg, root, inst, right)
        assert root.get_attribute("data-result") == "right"
        frame = root.locator("iframe.sx-replay")
        assert frame.count() == 1
        src = frame.get_attribute("src")
        assert src.endswith(replay_name(inst))
        fr = pg.frame_locator(f'[data-exercise="{ex_id}"] iframe.sx-replay')
        player = fr.locator("[data-replay]")
        player.wait_for(timeout=60_000)
        pg.wait_for_function(
            "id => { const f = document.querySelector('[data-exercise=\"' + id + '\"] iframe.sx-replay');"
            " return f && f.contentDocument && f.contentDocument.querySelector('[data-op1-live]'); }",
            arg=ex_id, timeout=60_000)
        replay = (HTML / src.split("/", 1)[1] if src.startswith("../") else HTML / "book" / src)
        text = replay.resolve().read_text(encoding="utf-8")
        meta = json.loads(text.split('class="op1-meta">')[1].split("</script>")[0])
        assert meta.get("at", 0) > 0                  # not the replay's first step ...
        pos = fr.locator(".op1-pos").first.inner_text()
        assert pos.startswith(f"step {meta['at'] + 1} / {meta['frames']} · event {inst.step} "), pos
        results[ex_id] = right
    with pg.expect_download() as dl:
        pg.locator('[data-exercise="eqnat-remote"] .sx-export').click()
    exported = json.loads(Path(dl.value.path()).read_text())
    # a second student on the same browser gets other variants for most exercises
    bar = pg.locator('[data-exercise="eqnat-remote"] .sx-student')
    bar.locator(".sx-change").click()
    bar.locator("input").fill(other)
    bar.locator(".sx-use").click()
    shown = {ex.get_attribute("data-exercise"): ex.get_attribute("data-variant")
             for ex in pg.locator("[data-exercise]").all()}
    assert all(ex.get_attribute("data-student") == other for ex in pg.locator("[data-exercise]").all())
    assert shown == {k: str(pool_index(other, k)) for k in shown}
    pg.screenshot(path=str(tmp_path / "site.png"), full_page=False)
    ctx.close()
    assert not errors, errors
    assert not blocked, blocked
    assert exported["student"] == sid and set(exported["answers"]) == set(pages)
    answers = tmp_path / f"answers-{sid}.json"
    answers.write_text(json.dumps(exported))
    env = {k: v for k, v in os.environ.items() if k not in ("OP1_COURSE_SECRET", "OP1_COURSE_ID")}
    r = subprocess.run([sys.executable, "-m", "sim.exercises", "grade", "--student", sid, str(answers),
                        "--format", "json"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    got = {it["id"]: it["points"] for it in rep["items"]}
    assert all(got[k] == 1 for k in pages), got
    assert rep["score"] == len(pages)
    # each answer names the question its page showed, as the grader's own instance fingerprints it
    assert {k: v["fingerprint"] for k, v in exported["answers"].items()} == \
        {k: instance(k, sid, secret="", grading=True).fingerprint for k in pages}
    assert not rep["changed"] and not rep["notes"], rep["notes"]
    differ = sum(pool_index(sid, k) != pool_index(other, k) for k in BANK)
    assert differ >= len(BANK) / 2


def test_a_course_id_gets_its_own_pool_and_the_grader_checks_it(monkeypatch):
    from sim.exercises.grade import GradeError
    base = {k: instance(k, "dora", secret="") for k in ("rc-hit", "rc-count")}
    monkeypatch.setenv("OP1_COURSE_ID", "net101")
    mine = {k: instance(k, "dora", secret="") for k in base}
    assert all(mine[k].variant.endswith("@net101") and mine[k].salt != base[k].salt for k in base)
    data = answer_file("dora", {k: v.answer for k, v in mine.items()})
    data["course"] = "net101"
    assert grade("dora", data, chapter=2, secret="").score == 2
    monkeypatch.delenv("OP1_COURSE_ID")
    with pytest.raises(GradeError, match="course 'net101'.*OP1_COURSE_ID=net101"):
        grade("dora", data, chapter=2, secret="")
    monkeypatch.setenv("OP1_COURSE_ID", "bad id")
    with pytest.raises(Exception, match="bad course id 'bad id'"):
        instance("rc-hit", "dora", secret="")


def test_a_book_built_with_a_course_secret_publishes_no_graded_variant(monkeypatch, tmp_path):
    """A book built while OP1_COURSE_SECRET was exported carried every student's graded variant
    in its pool (and answers hashed from the page graded 3/3 under the secret): the pool is made
    without the secret, and the chapters' kernels do not see it at all."""
    from sim.exercises.grade import variant_salt
    from sim.exercises.site import POOL_ENV, REPLAY_DIR_ENV, REPLAY_URL_ENV
    from sim.exercises.variants import SECRET_ENV
    secret = "the-course-secret-of-net101"
    monkeypatch.setenv(SECRET_ENV, secret)
    monkeypatch.setenv("OP1_COURSE_ID", "net101")
    html = exercise_html(2, "rc-hit", pool=True, write_replays=False)
    salts = {v["data"]["salt"] for v in json.loads(html.split('class="sx-pool">')[1].split("</script>")[0])["variants"]}
    assert salts == {pool_instance("rc-hit", k, "net101", "").salt for k in range(POOL)}
    graded = {variant_salt(sid, "rc-hit", secret) for sid in ("s001", "alice", "bob")}
    assert not salts & graded and secret not in html
    # the environment the build gives the chapters' kernels (book/op1_exercises.py) has no secret
    monkeypatch.syspath_prepend(str(ROOT / "book"))
    from op1_exercises import BUILD_ENV, set_chapter_environment
    # restored after the test, as the secret is (BUILD_ENV left set made every later test's
    # notebook reader a book build, where a missing dot fails: test_no_dot, CI run 64)
    for name in (POOL_ENV, REPLAY_DIR_ENV, REPLAY_URL_ENV, BUILD_ENV):
        monkeypatch.setenv(name, "")
    set_chapter_environment(tmp_path)
    assert SECRET_ENV not in os.environ and os.environ[POOL_ENV] == "1"


def test_a_cache_not_marked_secret_free_is_thrown_away_and_make_says_the_secret_is_ignored(monkeypatch, tmp_path):
    """jupyter-cache keys a chapter on its text alone: chapters executed by a build that passed
    the course secret on would be reused as they are.  A cache without the mark is thrown away
    with its replays, once; and ``make book`` says in one line that it ignores the secret."""
    monkeypatch.syspath_prepend(str(ROOT / "book"))
    from op1_exercises import FOLDER, SECRET_FREE, forget_unmarked_runs
    build = tmp_path / "_build"
    for old in (build / ".jupyter_cache" / "global.db", build / FOLDER / "0123abcd.html"):
        old.parent.mkdir(parents=True)
        old.write_text("executed with the secret")
    assert forget_unmarked_runs(build) is True
    assert not (build / ".jupyter_cache").exists() and not (build / FOLDER).exists()
    assert (build / SECRET_FREE).exists()
    (build / ".jupyter_cache").mkdir()                  # executed since, without the secret: kept
    assert forget_unmarked_runs(build) is False and (build / ".jupyter_cache").is_dir()
    make = shutil.which("make")
    _need("make", make is not None)
    env = {k: v for k, v in os.environ.items() if k not in ("OP1_COURSE_SECRET", "MAKEFLAGS", "MAKELEVEL")}
    quiet = subprocess.run([make, "-s", "book-secret-notice"], cwd=ROOT, env=env, capture_output=True, text=True)
    said = subprocess.run([make, "-s", "book-secret-notice"], cwd=ROOT, env=dict(env, OP1_COURSE_SECRET="s3cret"),
                          capture_output=True, text=True)
    assert quiet.returncode == said.returncode == 0 and quiet.stdout == ""
    assert said.stdout.count("\n") == 1 and "OP1_COURSE_SECRET is set: the book ignores it" in said.stdout
    assert "s3cret" not in said.stdout
    makefile = (ROOT / "Makefile").read_text()
    assert "book: book-secret-notice " in makefile and "book-instructor: book-secret-notice " in makefile


def test_the_instructor_edition_keys_every_variant_of_the_pool():
    html = exercise_html(4, "eq-next", key=True, pool=True)
    pool = json.loads(html.split('class="sx-pool">')[1].split("</script>")[0])
    for k, v in enumerate(pool["variants"]):
        assert f"<b>Key:</b> <code>{pool_instance('eq-next', k).answer}</code>" in v["key"]
    student = json.loads(exercise_html(4, "eq-next", pool=True).split('class="sx-pool">')[1].split("</script>")[0])
    assert all("key" not in v for v in student["variants"])       # the student edition carries none


def test_focus_other_tabs_and_a_reload_on_the_shared_site(site, chromium):
    """What a keyboard user, a student with a tab per chapter, and one who comes back meet:
    the id bar's controls hand the focus on and say what changed; an answer given in another
    tab is kept when this one records its own (each page once wrote back the answers it had read
    when it loaded); a page loaded again shows the answer checked before, and counts nothing."""
    sid = "carol.k"
    ctx = chromium.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    errors = []
    a = ctx.new_page()
    a.on("pageerror", lambda e: errors.append(str(e)))
    a.goto(f"{site}/book/02-route-cache.html")
    root = a.locator('[data-exercise="rc-hit"]')
    # an empty feedback box takes no room but is in the accessibility tree, ready to be read out
    assert root.locator(".sx-feedback").evaluate("e => getComputedStyle(e).display") != "none"
    # no id yet: the export says why it writes no file (it once saved the book's own answers,
    # which the grader credited to a student named "book")
    downloads = []
    a.on("download", lambda d: downloads.append(d))
    root.locator(".sx-export").click()
    assert root.locator(".sx-export-msg").inner_text().startswith("Enter your student id above first")
    bar = root.locator(".sx-student")
    # a refused id: its box is marked invalid (WCAG 3.3.1), described by why, until it is changed
    bar.locator("input").fill("x y!")
    bar.locator("input").press("Enter")
    assert bar.locator("input").get_attribute("aria-invalid") == "true"
    assert bar.locator("input").evaluate(
        "e => document.getElementById(e.getAttribute('aria-describedby')).textContent") != ""
    bar.locator("input").fill(sid)
    assert bar.locator("input").get_attribute("aria-invalid") is None
    bar.locator("input").press("Enter")
    focused = "() => [document.activeElement.className, document.activeElement.closest('[data-exercise]')" \
              " && document.activeElement.closest('[data-exercise]').getAttribute('data-exercise')]"
    assert a.evaluate(focused) == ["sx-change", "rc-hit"]
    k = pool_index(sid, "rc-hit")
    n = len(json.loads(root.locator("script.sx-pool").text_content())["variants"])
    assert root.locator(".sx-sid-said").inner_text() == f"Showing variant {k + 1} of {n}, for {sid}."
    root.locator(".sx-export").click()                          # an id, but nothing checked yet
    assert root.locator(".sx-export-msg").inner_text().startswith(f"Nothing to export yet for {sid}")
    a.wait_for_timeout(200)
    assert downloads == []
    bar.locator(".sx-change").focus()
    # the other exercises of the page changed too, silently (one announcement, where the id was entered)
    others = a.locator('[data-exercise]:not([data-exercise="rc-hit"]) .sx-sid-said')
    assert all(t == "" for t in others.all_inner_texts())
    a.keyboard.press("Enter")                                   # Change: the id's box, focused
    assert a.evaluate(focused) == ["sx-sid-input", "rc-hit"]
    a.keyboard.press("Enter")                                   # the same id again
    assert a.evaluate(focused) == ["sx-change", "rc-hit"]
    # another tab, another chapter: an answer there ...
    b = ctx.new_page()
    b.on("pageerror", lambda e: errors.append(str(e)))
    b.goto(f"{site}/book/03-connection-level.html")
    cl = instance("cl-uplink", sid, secret="")
    rb = b.locator('[data-exercise="cl-uplink"]')
    _answer(b, rb, cl, cl.answer)
    assert rb.get_attribute("data-result") == "right"
    # ... then one in the first tab, which loaded before it
    inst = instance("rc-hit", sid, secret="")
    wrong = next(c for c in inst.choices if normalise(c, inst.form) != inst.answer)
    _answer(a, root, inst, wrong)
    assert root.get_attribute("data-result") == "wrong"
    with a.expect_download() as dl:
        root.locator(".sx-export").click()
    exported = json.loads(Path(dl.value.path()).read_text())
    assert set(exported["answers"]) == {"rc-hit", "cl-uplink"}, exported["answers"]
    assert root.locator(".sx-export-msg").inner_text().startswith(f"Saved 2 answers for {sid}")
    assert exported["answers"]["rc-hit"]["attempts"] == 1
    # loaded again: the answer is back in its box, judged as before, and not counted again
    a.reload()
    root = a.locator('[data-exercise="rc-hit"]')
    assert root.get_attribute("data-result") == "wrong"
    assert root.locator(f'input[type=radio][value="{wrong}"]').is_checked()
    assert root.locator(".sx-feedback").inner_text().startswith("Your last answer, checked before: Not")
    with a.expect_download() as dl:
        root.locator(".sx-export").click()
    assert json.loads(Path(dl.value.path()).read_text())["answers"]["rc-hit"]["attempts"] == 1
    # right at the second check, then checked again: two checks counted, the way to it, not the
    # exploring after it (--max-attempts 2 once took the credit away)
    right = next(c for c in inst.choices if normalise(c, inst.form) == inst.answer)
    _answer(a, root, inst, right)
    _answer(a, root, inst, right)
    _answer(a, root, inst, wrong)
    # (and the page says at once that the right one is kept: it said so only once loaded again)
    assert root.locator(".sx-feedback").inner_text().startswith(
        f"Your right answer ({right}) stays in your export; this one is not kept. Not"), root.locator(".sx-feedback").inner_text()
    with a.expect_download() as dl:
        root.locator(".sx-export").click()
    rec = json.loads(Path(dl.value.path()).read_text())["answers"]["rc-hit"]
    assert rec["attempts"] == 2 and normalise(rec["answer"], inst.form) == inst.answer, rec
    a.reload()
    root = a.locator('[data-exercise="rc-hit"]')
    assert root.get_attribute("data-result") == "right"
    assert root.locator(".sx-feedback").inner_text().startswith("Your right answer, kept for your export (2 checks):")
    ctx.close()
    assert not errors, errors


def test_python_and_the_page_read_hand_written_numbers_alike():
    """Python's \\d takes any script's digits: a hand-written "٥" was a right count of 5 for the
    grader while the page refused it ("the guide says answers are read alike everywhere")."""
    cases = [[text, form] for form in ("int", "percent", "endpoint")
             for text in ("5", "16", "٥", "١٢", "５", "৩", "1٥", "33,5", "٣٣", "33 %", "1e1", "+16", "0.33",
                          "10.0.0.1:6000", "10.0.0.1:٦٠٠٠", "١٠.0.0.1:6000", "10.0.0.1.6000", "abc",
                          "-1", "twelve", "1234567890123456")]
    got = _node("return INPUT.map(c => SX.parse(c[0], c[1]));", cases)
    assert [list(parse(text, form)) for text, form in cases] == got
    assert parse("٥", "int") == ("", "a count is a whole number, 0 or more, written in digits alone (like 16), got '٥'")
    assert not instance("eqnat-survive", "alice", secret="").check("٥")[0]


def test_an_answer_kept_from_a_page_without_fingerprints_is_not_this_questions():
    """A reviewer's finding: a browser's answer kept from a page made before fingerprints (none
    recorded) was taken as the new page's -- a right answer to last week's question stood for
    this week's, which the student could then not answer, and was exported as this one's.  To
    a page with a fingerprint it is another question's: a new record."""
    got = _node("""const st = SX.store("t");
        st.record("eq-next", "if2", "v1", true, "");             // last week's page: no fingerprint
        const now = st.record("eq-next", "if3", "v1", false, "0123456789abcdef");
        const same = SX.store("u"); same.record("eq-next", "if2", "v1", false, "");
        const again = same.record("eq-next", "if1", "v1", true, "");   // both without: the same question
        return [now.answer, now.attempts, now.fp, again.attempts];""", None)
    assert got == ["if3", 1, "0123456789abcdef", 2]


def test_the_replay_files_names_answer_a_prediction_and_the_guide_says_so(monkeypatch, tmp_path):
    """The guide told instructors to serve the site "with directory listings off" as if the list
    were what gave the replays away; but a replay file's name is a hash of the salt, which the
    page holds, and of the right answer: asking the site for each choice's name finds the right
    one (the others are not there).  Checked here from what the page holds, and the guide says it
    and that listings off do not close it."""
    from sim.exercises.site import REPLAY_DIR_ENV, REPLAY_URL_ENV
    monkeypatch.setenv(REPLAY_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(REPLAY_URL_ENV, "sx-replays/")
    html = exercise_html(2, "rc-hit", pool=True)
    written = {p.name for p in tmp_path.iterdir()}
    variants = json.loads(html.split('class="sx-pool">')[1].split("</script>")[0])["variants"]
    for v in variants:
        data = v["data"]                                   # what a student's browser has, no answer in it
        choices = {c: hashlib.sha256(f"{data['salt']}|replay|{normalise(c, data['form'])}".encode())
                   .hexdigest()[:24] + ".html" for c in ("hit", "miss")}
        found = [c for c, name in choices.items() if name in written]
        inst = next(pool_instance("rc-hit", k, "", "") for k in range(POOL)
                    if pool_instance("rc-hit", k, "", "").salt == data["salt"])
        assert found == [inst.answer], (found, inst.answer)
    guide = " ".join((ROOT / "book" / "instructor-guide.md").read_text().split())
    assert "directory listings off hide the list, not the names" in guide
    assert "asks the site for the name each choice would give gets the replay for the right choice" in guide


def _get(url: str) -> str:
    import urllib.request
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode("utf-8")


def test_the_replays_folder_has_an_index_page_so_a_server_lists_no_replay(monkeypatch, tmp_path):
    """An instructor's finding: http://SITE/sx-replays/ listed every replay file on Python's
    http.server (Apache's and nginx's listings alike), and each replay's title names its exercise
    and it narrates the outcome: a student could find their answer by browsing.  The folder gets
    an index page when the replays are written, which a server shows at the folder's address in
    place of a listing; the built site has it, and the guide says why."""
    from sim.exercises.site import INDEX, INDEX_HTML, REPLAY_DIR_ENV, REPLAY_URL_ENV
    replays = tmp_path / "sx-replays"
    monkeypatch.setenv(REPLAY_DIR_ENV, str(replays))
    monkeypatch.setenv(REPLAY_URL_ENV, "sx-replays/")
    exercise_html(2, "rc-hit", pool=True)
    names = {p.name for p in replays.iterdir()} - {INDEX}
    assert names and (replays / INDEX).read_text() == INDEX_HTML

    with serving(tmp_path) as url:
        shown = _get(f"{url}/sx-replays/")
    assert shown == INDEX_HTML and not any(n in shown for n in names), shown[:300]
    assert "Nothing here" in shown
    guide = " ".join((ROOT / "book" / "instructor-guide.md").read_text().split())
    assert "without it, a server that lists folders would list every replay" in guide
    # and the built site has it beside its replays (the build copies the folder)
    built = HTML / "sx-replays"
    if built.is_dir() and any(built.glob("*.html")):
        assert (built / INDEX).read_text() == INDEX_HTML


def test_the_guide_opens_with_a_route_chooser_whose_boxes_stand_alone():
    """An instructor of 300 on the shared site: the guide was one page of 12,680 words whose shared
    site box came 85% down, after the whole nbgrader route, and leant on two other sections (the
    worksheet's feedback type, the maximum grade); one paragraph of rules ran 1,116 words.  The
    three routes' boxes now come before the bank, each with the Moodle settings it needs; the
    shared site's says what to do about an exercise that needs Python (Binder, a local Python, or
    --leave-out, grade's option) and about logins the site refuses; the bank's table marks the
    exercises that need Python from the bank's own flag; and no block of prose runs past 300 words."""
    from sim.exercises.__main__ import parser
    text = (ROOT / "book" / "instructor-guide.md").read_text()
    top = text[:text.index("## The bank")]
    assert "## Choose a route" in top
    boxes = {}
    for title in ("In short: the shared site", "In short: per-student pages", "In short: nbgrader and Moodle"):
        assert title in top, title
        box = text[text.index(title):]
        boxes[title] = box = " ".join(box[:box.index("```")].split())
        for setting in ("*Maximum grade*", "*Offline grading worksheet*", "*Download grading worksheet*"):
            assert setting in box, (title, setting)
    shared = boxes["In short: the shared site"]
    assert "Binder" in shared and "a local Python" in shared and "add `--leave-out` and its id" in shared, shared
    assert ("the worksheet's upload matches rows by `Identifier`, not by `Username` (Moodle's "
            "`mod/assign/feedback/offline/importgradeslib.php`, `next()`)") in shared, shared
    assert parser().parse_args(["grade", "--class", "x", "--chapter", "6", "--leave-out", "eqnat-survive"]).leave_out
    assert "{' (**needs Python**)' if s.python else ''}" in text          # the table's mark: the bank's flag
    prose = re.sub(r"```\{code-cell\}.*?\n```\n", "", text, flags=re.S)
    blocks = [b for para in prose.split("\n\n") for b in re.split(r"\n(?=\s*(?:- |\d+\. ))", para)]
    longest = max(blocks, key=lambda b: len(b.split()))
    assert len(longest.split()) <= 300, longest[:200]
    page = HTML / "book" / "instructor-guide.html"
    if page.exists() and "Choose a route" in page.read_text(encoding="utf-8"):
        html = page.read_text(encoding="utf-8")
        for spec in BANK.values():
            row = html[html.index(f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{spec.ex_id}</span>"):]
            row = row[:row.index("</tr>")]
            assert ("needs Python" in row) == spec.python, (spec.ex_id, row[:300])


def test_the_guides_shared_site_box_says_where_to_run_max_attempts_and_one_version(tmp_path):
    """An instructor's findings on the shared site's route: the guide said to run the commands
    "from the repository's root folder", while the box's paths (submissions/, -o files.csv,
    --feedback reports) are the current folder's -- the course's files would go into the
    repository; the box never named --max-attempts, nor pinning the version the site was built
    from.  The text says where the paths go, and a run as it says (PYTHONPATH, in a course's
    folder) writes there; the option it names is grade's; the section it points to exists."""
    import re
    import shlex
    from sim.exercises.__main__ import parser
    text = (ROOT / "book" / "instructor-guide.md").read_text()
    flat = " ".join(text.split())
    assert "Run the commands below from the repository's root folder" not in flat
    assert ("every path they read or write (a roster, `--class`, `-o`, `--out-dir`, `--feedback`, `--lms-file`) "
            "is relative to the folder you run them in") in flat
    assert "put `PYTHONPATH=PATH-TO-REPOSITORY` before each command" in flat
    box = text[text.index("In short: the shared site"):]
    box = " ".join(box[:box.index("```")].split())
    assert "Run them in your course's folder" in box
    opt = re.search(r"With `(--max-attempts \d+)` added, a right answer counts only if the student's page recorded "
                    r"at most \d+ checks for it", box)
    assert opt, box
    assert parser().parse_args(["grade", "--class", "x", *shlex.split(opt.group(1))]).max_attempts == 2
    assert "{ref}`one version of the book <one-version>`" in box
    assert "(one-version)=\n### One version of the book for a course" in text
    # as the text says: in a course's folder, the package found through PYTHONPATH, every
    # relative path is that folder's (none lands in the repository)
    (tmp_path / "submissions").mkdir()
    ids = [k for k in BANK if BANK[k].chapter == 2]
    data = answer_file("ann", {k: instance(k, "ann", secret="").answer for k in ids}, secret="")
    (tmp_path / "submissions" / "answers-ann.json").write_text(json.dumps(data))
    env = {k: v for k, v in os.environ.items() if k != "OP1_COURSE_SECRET"}
    env["PYTHONPATH"] = str(ROOT)
    before = set(os.listdir(ROOT))
    r = subprocess.run([sys.executable, "-m", "sim.exercises", "grade", "--class", "submissions", "--chapter", "2",
                        "--feedback", "reports", "-o", "files.csv"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "files.csv").is_file() and (tmp_path / "reports" / "ann.txt").is_file()
    assert set(os.listdir(ROOT)) == before
    # and the command's own help says the same (it said "run from the repository's root")
    said = " ".join(parser().format_help().split())
    assert "repository's root" not in said and "Run it in your course's folder" in said, said
    assert "PYTHONPATH=PATH-TO-REPOSITORY before the command" in said, said


def test_the_guide_says_what_the_config_exercise_asks():
    """The guide said the config kind asks "so that one download uses every uplink without
    breaking"; two-links-config's variants ask three questions (one download, several at once,
    one connection's data going up), and its settings start blank.  The guide names each, and
    every one is asked in the pool."""
    from sim.exercises import BANK
    from sim.exercises.bank import pool_instance
    from sim.exercises.variants import POOL
    flat = " ".join((ROOT / "book" / "instructor-guide.md").read_text().split())
    assert "so that one download uses every uplink without breaking" not in flat
    said = re.search(r"config : choose the router's settings .*? the traffic the question names — (.*?) — uses "
                     r"every uplink without breaking; .*? The settings start blank", flat)
    assert said and said.group(1) == "one download, several at once, or one connection's data going up", flat
    configs = [k for k, e in BANK.items() if e.kind == "config"]
    assert configs == ["two-links-config"]
    prompts = [pool_instance(configs[0], k).prompt for k in range(POOL)]
    for asked in (r"\*\*one\*\* \d+ kB download", r"\*\*\d\*\* \d+ kB downloads", r"\*\*one\*\* connection's data up"):
        assert any(re.search(asked, t) for t in prompts), asked


def test_a_page_writes_an_answer_with_one_check_or_more_so_a_zero_is_a_hand_edit():
    """An instructor's finding: a student of the shared site set "attempts": 0 on a right
    answer in the downloaded file and it was taken silently ("0 attempts", right).  The page's
    store writes an answer at its first Check, with 1 (never 0); the grader says 0 as it says
    "many": edited by hand."""
    got = _node("""
        const st = SX.store("zero");
        const rec = st.record("rc-hit", "hit", "v1", true, "");
        return rec.attempts;""", None)
    assert got == 1
    ids = [k for k in BANK if BANK[k].chapter == 2]
    data = answer_file("ann", {k: instance(k, "ann", secret="").answer for k in ids}, secret="",
                       attempts={k: 1 for k in ids})
    data["answers"][ids[0]]["attempts"] = 0
    rep = grade("ann", data, 2, secret="")
    assert rep.score == len(ids)                        # no --max-attempts: the count decides nothing
    assert [n for n in rep.notes if n.startswith("attempts ")] == [
        f"attempts of {ids[0]!r} is 0: the page writes a whole number of checks, 1 or more, so the file was "
        f"edited by hand; not counted as checks"], rep.notes
    rep = grade("ann", data, 2, secret="", max_attempts=1)
    assert rep.score == len(ids) - 1 and rep.items[0]["late"], rep.items[0]


def test_a_right_answer_offline_says_its_replay_comes_once_connected(site, chromium):
    """A student on a train answers right: the replay, a file of the site, cannot come, and its
    frame showed the browser's "no internet" page (722x672 px).  Offline the place says why and
    that the deciding events are below; back online the replay comes."""
    inst = instance("rc-hit", BOOK_STUDENT, secret="")
    ctx = chromium.new_context(viewport={"width": 360, "height": 740})
    try:
        pg = ctx.new_page()
        pg.goto(f"{site}/book/02-route-cache.html")
        root = pg.locator('[data-exercise="rc-hit"]')
        ctx.set_offline(True)
        _answer(pg, root, inst, next(c for c in inst.choices if normalise(c, inst.form) == inst.answer))
        note = root.locator(".sx-replay-offline").inner_text()
        frames_offline = root.locator("iframe.sx-replay").count()
        trace = root.locator("pre.sx-trace").inner_text()
        ctx.set_offline(False)
        # (waits, not time limits: at load 18 the replay's page came later than 30 s)
        root.locator("iframe.sx-replay").wait_for(timeout=300_000)
        pg.wait_for_function("f => f.contentDocument && f.contentDocument.querySelector('[data-op1-live]')",
                             arg=root.locator("iframe.sx-replay").element_handle(), timeout=300_000)
        left = root.locator(".sx-replay-offline").count()
    finally:
        ctx.close()
    assert frames_offline == 0 and "this device is offline" in note and "once you are connected" in note, note
    assert trace.strip()                                   # the deciding events still shown
    assert left == 0
