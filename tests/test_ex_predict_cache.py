"""Chapter 3's thought question as a predict exercise (``cl-cache``): a packet reaches the router
with the route cache's entries of that moment shown, and the student predicts "hit, keeps ifN" or
"miss, the kernel chooses again".  Its pool deals a new source's miss and a same pair's hit; every
answer is what the variant's own run did; a wrong answer's feedback points at the trace's events,
not at the answer; the page, the notebook and the grader say the same.  And nat-seen, a count
without a bound, states one from its variant (a far count gets the out-of-range message)."""
from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
from helpers import serving

import sim
from sim.exercises import instance
from sim.exercises.bank import BANK, chapter_ids, pool_instance
from sim.exercises.grade import answer_file, grade
from sim.exercises.html import _md
from sim.exercises.model import normalise, open_sealed
from sim.exercises.notebook import NotebookSheet, sealed_sheet
from sim.exercises.variants import BOOK_STUDENT, POOL, SECRET_ENV, pool_index
from sim.trace import Ev

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "book" / "03-connection-level.md"
PAGE = ROOT / "_build" / "html" / "book" / "03-connection-level.html"
EX = "cl-cache"
MISS = "miss, the kernel chooses again"
HITS = ("hit, keeps if1", "hit, keeps if2")
EVENT = re.compile(r"\bevents? (\d+)")


def _named(text: str) -> set[int]:
    """The event numbers a text names: "event 3", "events 12 and 15", "events 3, 12 and 15"."""
    out = {int(x) for x in EVENT.findall(text)}
    for listed in re.findall(r"\bevents (\d+(?:(?:, |,? and )\d+)+)", text):
        out |= {int(x) for x in re.findall(r"\d+", listed)}
    return out


@pytest.fixture(autouse=True)
def practice_mode(monkeypatch):
    """No course secret from the developer's environment."""
    monkeypatch.delenv(SECRET_ENV, raising=False)


def _pool(course: str = "", secret: str = "") -> list:
    return [pool_instance(EX, k, course, secret) for k in range(POOL)]


def _variants() -> list:
    return [instance(EX, BOOK_STUDENT, secret="")] + _pool() + _pool("c1")


def _run(inst):
    return sim.run(inst.run["scenario"], **inst.run["params"])


def _key(pkt) -> tuple:
    """A packet's route cache key as it reaches the router from the LAN (TOS 0 here)."""
    return pkt.ip.dst, pkt.ip.src, 0, "eth0"


def _shown_events(inst) -> set[int]:
    return {int(re.match(r"event (\d+):", line).group(1)) for line in inst.context}


def _ids_for(course: str = "") -> dict[int, str]:
    """A student id for each variant of the pool."""
    out = {}
    for j in range(2000):
        sid = f"s{j:04d}"
        out.setdefault(pool_index(sid, EX, course), sid)
        if len(out) == POOL:
            return out
    raise AssertionError("no id for some variant")


# -- the pool: a new source's miss and a same pair's hit, dealt ---------------------------------------

@pytest.mark.parametrize("course, secret", [("", ""), ("c1", ""), ("", "s3cret"), ("net101", "x")])
def test_the_pool_deals_a_new_sources_miss_and_a_same_pairs_hit(course, secret):
    """Half the pool asks about a new source's first packet to a destination the cache holds (a
    miss), half about a packet of a pair the cache holds (a hit), its uplink if1 or if2 dealt too:
    a student who learnt one answer, or one uplink, is wrong on most variants -- in the book's pool,
    a course's, and with a course secret, whose deal differs."""
    insts = _pool(course, secret)
    assert collections.Counter(i.answer for i in insts) == {MISS: 4, HITS[0]: 2, HITS[1]: 2}
    assert all(i.choices == [*HITS, MISS] for i in insts)
    for inst in insts:
        r = _run(inst)
        pkt = r.events[inst.ask].pkt
        cache = r.state_at(inst.ask).cache
        if inst.answer == MISS:         # a new source: no entry of its, one of another source to its destination
            assert not any(k[1] == pkt.ip.src for k in cache), (inst.variant, cache)
            assert any(k[0] == pkt.ip.dst and k[3] == "eth0" for k in cache), (inst.variant, cache)
        else:                           # the same pair: its entry is there
            assert _key(pkt) in cache, (inst.variant, cache)
    if (course, secret) == ("", ""):
        assert [i.answer for i in insts] != [i.answer for i in _pool("", "s3cret")]   # the secret reshuffles


def test_the_books_own_variant_asks_about_local_host_2s_next_packet():
    """The chapter's answer above it gives Local host 2's SYN: the book's own variant asks about
    a later packet of Local host 2's connection, which its SYN's entry decides."""
    inst = instance(EX, BOOK_STUDENT, secret="")
    r = _run(inst)
    pkt = r.events[inst.ask].pkt
    assert pkt.ip.src == r.net["local2"].addr and pkt.ip.dst == r.net["remote2"].addr and pkt.l4.flags != "S"
    assert inst.answer.startswith("hit, keeps ")


# -- the answer is the run's ---------------------------------------------------------------------------

def test_each_variants_answer_is_what_its_run_did():
    """Run the call each variant shows: the prompt's packet and cache entries are the run's just
    before the packet reaches the router, the deciding event is the router's lookup for that
    packet, and the answer is its outcome -- a hit keeps the uplink of the entry with the packet's
    key, a miss is a lookup whose key no entry had."""
    for inst in _variants():
        r = _run(inst)
        pkt = r.events[inst.ask].pkt
        arrival = r.events[inst.ask]
        assert arrival.ev is Ev.HOP and arrival.to == "router:eth0", arrival
        assert f"At event {inst.ask} " in inst.prompt and f"`{pkt.summary()}`" in inst.prompt
        cache = r.state_at(inst.ask).cache
        for (dst, src, _tos, iif), v in cache.items():
            assert f"`{dst} from {src} iif {iif} dev {v['dev']}`" in inst.prompt, (inst.variant, dst, src)
        assert inst.prompt.count(" (inserted at event ") == len(cache)
        # the page lists the entries one under the other, each an item (a phone showed them as
        # one paragraph of three to five screens)
        items = re.findall(r"<li>(.*?)</li>", _md(inst.prompt))
        assert len(items) == len(cache) and all(" (inserted at event " in i for i in items), items
        e = r.events[inst.step]
        assert e.node == "router" and e.ev in (Ev.RT_HIT, Ev.RT_MISS) and e.key == _key(pkt), e
        assert not any(x.node == "router" and x.ev in (Ev.RT_HIT, Ev.RT_MISS) for x in r.events[inst.ask + 1:inst.step])
        if _key(pkt) in cache:
            assert e.ev is Ev.RT_HIT and e.dev == cache[_key(pkt)]["dev"]
            assert inst.answer == f"hit, keeps {e.dev}"
        else:
            assert e.ev is Ev.RT_MISS and inst.answer == MISS
        # the reveal carries the lookup and the packet leaving by the uplink it got
        assert any(line.startswith(f"event {inst.step}: router rt_") for line in inst.reveal)
        assert any(f"hop router:{e.dev} > " in line for line in inst.reveal), inst.reveal


# -- a wrong answer's feedback ---------------------------------------------------------------------------

def test_a_wrong_answers_feedback_points_at_the_trace_not_at_the_answer():
    """Each wrong choice has its own why, before the hint, on the grader's check: it names the
    `rt_miss` events shown with the question that inserted the entries it speaks of -- for a hit,
    the one that inserted the packet's own entry -- and never the uplink kept (nor another uplink
    than the choice's), nor the right choice.  Every variant's why names its own events and
    addresses: no text serves another variant."""
    seen: dict[str, str] = {}
    for inst in _variants():
        r = _run(inst)
        pkt = r.events[inst.ask].pkt
        shown = _shown_events(inst)
        inserted = {e.key: i for i, e in enumerate(r.events[:inst.ask])
                    if e.node == "router" and e.ev is Ev.RT_MISS}
        hit = inst.answer != MISS
        for choice in inst.choices:
            if normalise(choice, "choice") == inst.answer:
                continue
            ok, feedback = inst.check(choice)
            why = inst.outcomes[normalise(choice, "choice")]
            assert not ok and feedback == f"{why}\n\n{inst.hint}", feedback
            named = _named(why)
            assert named and named <= shown, (inst.variant, named, shown)
            assert named <= set(inserted.values()), (inst.variant, why)
            if hit:
                assert inserted[_key(pkt)] in named, (inst.variant, why)
            else:                       # the packet's source and destination, to look the entries up by
                assert pkt.ip.src in why and pkt.ip.dst in why, why
            uplinks = set(re.findall(r"\bif\d\b", why))
            assert uplinks <= set(re.findall(r"\bif\d\b", choice)), (inst.variant, choice, why)
            assert inst.answer not in why.lower()
            assert why not in seen, (inst.variant, seen.get(why), why)
            seen[why] = inst.variant


def test_the_hint_says_the_rule_and_no_variants_facts():
    """The hint, the same on every variant, says the key and what a hit and a miss do; it names no
    event, address or uplink."""
    hints = {i.hint for i in _variants()}
    assert len(hints) == 1
    (hint,) = hints
    assert "destination, source, TOS and input interface" in hint and "no ports" in hint
    assert not EVENT.search(hint) and not re.search(r"\d+\.\d+\.\d+\.\d+|\bif\d\b", hint)


def test_a_misss_explanation_says_why_the_new_choice_may_differ():
    """A right "miss" opens the why: the source is in the key, and the kernel's new choice is made
    afresh, without the entries for the same destination -- here it drew the uplink the run shows."""
    for inst in [i for i in _variants() if i.answer == MISS]:
        r = _run(inst)
        ok, text = inst.check(MISS)
        assert ok and "the source is part of the key" in text and "made afresh" in text, text
        assert f"here it drew {r.events[inst.step].dev}" in text


# -- the page, the notebook and the grader agree -----------------------------------------------------

def test_the_notebook_and_the_grader_say_what_the_check_says():
    """For one student of each variant and every choice: the grader's verdict and feedback, and the
    per-student notebook's (the page's sealed checker, in Python), are ``Instance.check``'s."""
    sheet = NotebookSheet(sealed_sheet(3, per_student=True, secret=""))
    assert EX in chapter_ids(3) and EX in sheet.pool
    for k, sid in sorted(_ids_for().items()):
        inst = instance(EX, sid, secret="")
        assert inst.answer == pool_instance(EX, k).answer
        sheet.use(sid)
        for choice in inst.choices:
            want = inst.check(choice)
            assert sheet[EX].verdict(choice) == want, (sid, choice)
            rep = grade(sid, answer_file(sid, {EX: choice}, secret=""), chapter=3, secret="")
            (item,) = [it for it in rep.items if it["id"] == EX]
            assert (bool(item["points"]), item["feedback"]) == want, (sid, choice, item)


def _fold(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def test_the_page_says_what_the_grader_says(tmp_path, chromium):
    """In Chromium, on a page made for a student of a hit variant and one of a miss variant: each
    choice's feedback is the grader's (code marks aside); a right answer opens the reveal.  On the
    same page nat-seen's far count says its bound."""
    from sim.exercises.html import page_html
    ids = _ids_for()
    students = {}
    for k, sid in ids.items():
        kind = "miss" if pool_instance(EX, k).answer == MISS else "hit"
        students.setdefault(kind, sid)
    errors = []
    with serving(tmp_path) as url:
        pg = chromium.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        for kind, sid in sorted(students.items()):
            (tmp_path / f"{sid}.html").write_text(page_html(ids=[EX, "nat-seen"], student=sid, secret=""),
                                                  encoding="utf-8")
            pg.goto(f"{url}/{sid}.html")
            inst = instance(EX, sid, secret="")
            root = pg.locator(f'[data-exercise="{EX}"]')
            right = next(c for c in inst.choices if normalise(c, "choice") == inst.answer)
            for choice in [c for c in inst.choices if c != right] + [right]:
                root.locator(f'input[type=radio][value="{choice}"]').check()
                root.locator(".sx-check").click()
                want = "right" if choice == right else "wrong"
                pg.wait_for_function("([r, w]) => r.getAttribute('data-result') === w",
                                     arg=[root.element_handle(), want])
                shown = _fold(root.locator(".sx-feedback").inner_text())
                assert shown.endswith(_fold(inst.check(choice)[1])), (kind, choice, shown)
            assert root.locator(".sx-reveal").is_visible()
            assert f"event {inst.step}:" in root.locator(".sx-reveal").inner_text()
            seen = instance("nat-seen", sid, secret="")
            num = pg.locator('[data-exercise="nat-seen"]')
            num.locator("input.sx-input").fill("999")
            num.locator(".sx-check").click()
            pg.wait_for_function("r => r.getAttribute('data-result') === 'wrong'", arg=num.element_handle())
            shown = _fold(num.locator(".sx-feedback").inner_text())
            assert shown.startswith("More than this question allows:") and f"at most {seen.most}." in shown, shown
            assert shown.endswith(_fold(seen.check("999")[1]))
        pg.close()
    assert not errors, errors


# -- the chapter ------------------------------------------------------------------------------------------

def test_the_chapter_shows_it_after_the_thought_question_and_once():
    """The exercise follows the thought question's answer (its replay stays, before it), inside the
    section, and the chapter's closing exercises leave it out: on the built page it is there once,
    between the thought question's heading and the next section's."""
    text = CHAPTER.read_text()
    section = text.split("## The thought question", 1)[1].split("\n## ", 1)[0]
    assert 'bl.replay(rt, title="thought-question, seed 1: local host 2 joins", steps=q_steps)' in section
    answer = section.index("````{admonition} Answer")
    cell = section.index(f'HTML(exercise_html(3, "{EX}"))')
    assert answer < cell
    closing = text.split("## Exercises", 1)[1]
    assert f'if k != "{EX}"' in closing and "chapter_ids(3)" in closing
    if not PAGE.exists():
        pytest.skip("the book is not built (make book)")
    html = PAGE.read_text()
    assert html.count(f'data-exercise="{EX}"') == 1
    at = html.index(f'data-exercise="{EX}"')
    assert html.index('id="the-thought-question"') < at < html.index('id="an-expiring-entry-moves-a-connection"')
    for other in chapter_ids(3):
        assert html.count(f'data-exercise="{other}"') == 1, other
        if other != EX:
            assert html.index(f'data-exercise="{other}"') > html.index('id="exercises"')


# -- nat-seen: a bound from its variant -------------------------------------------------------------------

def test_nat_seens_far_count_gets_its_bound_everywhere():
    """nat-seen's prompt said no bound, and 999 got the hint alone: it says "at most" its
    connections times its uplinks, and a count past that is told so by the grader and by the
    sealed checker alike, naming nothing of the answer; counts up to the bound keep their why."""
    for inst in [instance("nat-seen", BOOK_STUDENT, secret="")] + [pool_instance("nat-seen", k) for k in range(POOL)]:
        r = _run(inst)
        c, n = len(r.summary["connections"]), len(r.net.uplinks())
        assert inst.most == c * n and f"(At most {c * n}: " in inst.prompt, inst.prompt
        data = dict(inst.sealed(svg=False), hint=inst.hint, kind=inst.kind)
        for far in (c * n + 1000, 999_999):
            ok, feedback = inst.check(str(far))
            assert not ok and feedback.startswith("More than this question allows:") and f"at most {c * n}." in feedback
            assert open_sealed(data, str(far))[:2] == (False, feedback)
        for v in range(c * n + 1):
            if str(v) not in inst.accepted:
                assert inst.check(str(v))[1].startswith(("Too many", "Too few")), (v, inst.check(str(v)))
    assert BANK["nat-seen"].kind == "numeric"
