"""The exercise bank: every answer is computed by running the simulator.

Each exercise is a function ``(student, rng) -> Instance`` registered with
``@exercise(id, chapter, kind, title)``.  It draws the student's variant from
``rng`` (seeds, number of uplinks, link speeds, addresses and source ports,
which packet to ask about), runs ``sim.run`` and reads the answer from the
trace or the summary, the way ``tests/helpers.py`` reads observations.
Nothing here types an answer in -- nor an address or a port: those are the
student's (``variants.addressing``, merged into the params by ``addressed``)
and are read back from the Result (``r.net['router'].ifaces['if1'].addr`` ...).
The params an exercise ran with are its ``run``; ``run['call']`` is the
``sim.run(...)`` code shown to students, which reproduces what is graded.

Every exercise can be answered on the book's static page (no Python behind it)
from what the page shows -- the prompt, the trace up to the question, the
chapter's text -- except those registered with ``python=True``: their prompt
opens with ``NEEDS_PYTHON`` and gives the exact code to run (``python_note``).
Event numbers in the texts ("event 22") are indices into ``result.events``, the
book's word for a line of the trace; "step" is a frame of the book's player.

This module holds the registry and what the exercises share; each chapter's
exercises are in the module named after the chapter's page (``ch06_equalize_nat``
for ``book/06-equalize-nat.md``): 2 route table and cache, 3 connection-level
multipath, 4 equalize, 5 NAT, 6 equalize meets NAT, 7 ICMP, 8 what real kernels
did, 9 modern hash multipath, 10 making two links work.  A new exercise is an
``@exercise`` function in its chapter's module.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
from dataclasses import dataclass
from typing import Callable

from sim.nat import Nat
from sim.runs import forget, run  # run: the runs the book's pages remember too
from sim.scenarios import ParamError, make_params, unread
from sim.observe import uplink_hops
from sim.trace import Drop, Ev, event_text

from ..model import Instance, normalise
from ..variants import BOOK_STUDENT, addressing, check_student, dealt, member, member_name, rng_for, secret_for


@dataclass(frozen=True)
class Spec:
    ex_id: str
    chapter: int
    kind: str
    title: str
    build: Callable
    python: bool = False        # needs running the simulator: not answerable on the static page


BANK: dict[str, Spec] = {}


def exercise(ex_id: str, chapter: int, kind: str, title: str, python: bool = False):
    """Register an exercise; ``python``: it needs the simulator run (Binder or a local
    install), its prompt says so with ``python_note``."""
    def deco(fn):
        BANK[ex_id] = Spec(ex_id, chapter, kind, title, fn, python)
        return fn
    return deco


NEEDS_PYTHON = "Needs Python"


def python_note(call: str) -> str:
    """The opening of a prompt that needs the simulator run: the exact code.  Where to run it
    depends on where the prompt is shown, which the prompt (the question, fingerprinted) does
    not know: ``where_to_run`` says it, after the prompt."""
    return (f"**{NEEDS_PYTHON}:** this one runs the simulator from code of your own: run `import sim` and "
            f"then `{call}`.")


#: Where an exercise that needs Python is run, by where it is shown: a chapter of the book (its
#: page, or the chapter opened live), a page made for a student or a sheet (no code runs there),
#: a notebook (a course's nbgrader notebook, or any kernel: its cells run code).
RUN_WHERE = {
    "chapter": ("Run it in Binder (the launch button at the top of the chapter) or a local Python at the "
                "repository's root. The chapter's \"Try it live\" panel, on a phone too, runs the "
                "simulator one run at a time, not code of your own: where its boxes hold every parameter "
                "the call sets, a run a seed there does it too, more slowly."),
    "page": ("Run it in a local Python at the repository's root, or in Binder (the launch button at the top of "
             "the book's chapter): this page runs no code."),
    "sheet": ("Run it in a local Python at the repository's root, or in Binder (the launch button at the top of "
              "the book's chapter)."),
    "notebook": "Run it in a code cell of this notebook: its kernel has the simulator.",
}


def where_to_run(shown: str, needs_python: bool) -> str:
    """The sentence saying where to run an exercise that needs Python, shown on ``shown`` (a key of
    ``RUN_WHERE``: chapter, page, sheet or notebook); '' for one that does not."""
    return RUN_WHERE[shown] if needs_python else ""


class ExerciseError(KeyError):
    def __str__(self):
        return self.args[0]


def instance(ex_id: str, student: str, secret: str | None = None, *, grading: bool = False,
             course: str | None = None) -> Instance:
    """The exercise ``ex_id`` as ``student`` gets it (cached: same id, same instance).
    ``secret``: the course secret; None takes the environment's (``OP1_COURSE_SECRET``),
    '' is practice mode.  The book's own variant (``book``) never uses one.  ``course``:
    the course id (None: ``$OP1_COURSE_ID``); with the student id it picks which variant of
    the exercise's pool is theirs (``variants.member``).

    ``grading``: only what ``Instance.check`` needs -- the same variant, answers and
    feedback, without the page's drawing and narration of the deciding event and, for
    a configuration, without running every combination in advance (the judge runs the
    student's choice).  Such an instance refuses ``sealed()`` and ``key()``."""
    student = check_student(student)
    if ex_id not in BANK:
        raise ExerciseError(f"unknown exercise {ex_id!r}: the bank has {', '.join(BANK)}")
    return _for_student(ex_id, student, member(student, ex_id, course), secret_for(student, secret), grading)


@functools.lru_cache(maxsize=1024)
def _for_student(ex_id: str, student: str, name: str, secret: str, grading: bool) -> Instance:
    """The pool variant ``name`` of ``ex_id``, shown as ``student``'s."""
    inst = _instance(ex_id, name, secret, grading)
    return inst if student == name else dataclasses.replace(inst, student=student)


def pool_instance(ex_id: str, k: int, course: str = "", secret: str = "") -> Instance:
    """Variant ``k`` of the exercise's pool as the shared site carries it (no student yet)."""
    if ex_id not in BANK:
        raise ExerciseError(f"unknown exercise {ex_id!r}: the bank has {', '.join(BANK)}")
    return _instance(ex_id, member_name(k, course), secret, False)


_GRADING = False        # set while a grading instance is built (read by predict, _config_instance)
_SECRET = ""            # the course secret of the variant being built (read by dealt_answer)


def dealt_answer(name: str, ex_id: str, choices) -> str | None:
    """The right answer pool variant ``name`` is built to have (``variants.dealt``: every choice
    is some variant's), shuffled with the course secret of the variant being built; None for
    the book's own variant."""
    return dealt(name, ex_id, choices, _SECRET)


#: The uplinks an exercise asking "by which uplink?" deals its pool variants, two each: with 2 to
#: 4 uplinks a variant's choices are if1 .. if2, 3 or 4, and drawn from the runs alone a pool of 8
#: could leave one that every variant offers out (a student who struck it off lost nothing).
UPLINKS = ("if1", "if2", "if3", "if4")
#: How many seeds (or draws) a pool variant tries for the answer it is dealt: each gives it with
#: a chance of a quarter or more, so 200 never run out (an exercise that ran out would say so).
DEAL_TRIES = 200


def uplinks_with(want: str | None, ns=(2, 3, 4)) -> list[int]:
    """The numbers of uplinks among ``ns`` whose variant has the uplink ``want`` dealt (all of
    them when it is None: the book's own variant)."""
    return list(ns) if want is None else [n for n in ns if n >= int(want[2:])]


@functools.lru_cache(maxsize=512)
def _instance(ex_id: str, name: str, secret: str, grading: bool = False) -> Instance:
    """Pool variant ``name`` (or ``book``) of ``ex_id``, built by running the simulator."""
    global _GRADING, _SECRET
    spec = BANK[ex_id]
    _GRADING, _SECRET = grading, secret
    try:
        inst = spec.build(name, rng_for(name, ex_id, secret))
    finally:
        _GRADING, _SECRET = False, ""
    inst.ex_id, inst.chapter, inst.kind, inst.title, inst.student, inst.variant, inst.secret = (
        spec.ex_id, spec.chapter, spec.kind, spec.title, name, name, secret)
    inst.needs_python = spec.python
    inst.grading_only = grading
    return inst


def _summary_only() -> dict:
    """Extra ``run`` params for runs read only through their summary: while grading, no
    trace is kept (``trace=False``: the summary is the same, the run a little cheaper)."""
    return {"trace": False} if _GRADING else {}


def forget_runs(keep_variants: bool = False) -> None:
    """Empty the caches of runs and instances.  A class grader, after each student, keeps
    the pool variants (``keep_variants``): every student who has that variant shares one,
    so 500 students cost at most the pool's 8 builds per exercise; their runs' traces
    would only take memory, and go."""
    forget()
    _for_student.cache_clear()
    if not keep_variants:
        _instance.cache_clear()


def chapters() -> list[int]:
    return sorted({s.chapter for s in BANK.values()})


def check_chapter(chapter) -> int | None:
    """``chapter`` if the bank has exercises in it (or None: all chapters); else ExerciseError."""
    if chapter is None:
        return None
    if isinstance(chapter, bool) or not isinstance(chapter, int) or chapter not in chapters():
        raise ExerciseError(f"no exercises in chapter {chapter}: the chapters with exercises are "
                            f"{', '.join(map(str, chapters()))}")
    return chapter


def chapter_ids(chapter: int | None = None) -> list[str]:
    return [k for k, s in BANK.items() if chapter is None or s.chapter == chapter]


# -- running and reading the simulator ------------------------------------------------------

def addressed(student: str, rng, scenario: str, params: dict) -> dict:
    """``params`` plus the student's ``uplink_addrs``, ``remote_addrs`` and ``port_base``
    (one draw from ``rng``; as many uplink addresses as the scenario will have uplinks).
    The book's own pages (``BOOK_STUDENT``) keep the article's addresses, the ones the
    chapters' text and replays use; the draw is made all the same, so the rest of the
    variant does not change."""
    n = make_params(scenario, **params).uplinks
    drawn = addressing(rng, n)
    skip = unread(scenario)                 # a ping's run has no TCP source ports to move
    return dict(params) if student == BOOK_STUDENT else {**params, **{k: v for k, v in drawn.items()
                                                                      if k not in skip}}


def _code(scenario: str, params: dict, tail: str = "") -> str:
    args = ", ".join(x for x in (", ".join(f"{k}={v!r}" for k, v in params.items()), tail) if x)
    return f"sim.run({scenario!r}{', ' if args else ''}{args})"


def _call(scenario: str, params: dict, tail: str = "") -> str:
    """The call as Markdown code; ``tail`` is appended as written (e.g. ``seed=s``)."""
    return f"`{_code(scenario, params, tail)}`"


def _how(scenario: str, params: dict, seeds=None, choice: bool = False) -> dict:
    """What the exercise ran: ``scenario``, ``params`` and ``call``, the code that
    reproduces it (over ``seeds`` if given; ``choice``: with the student's settings)."""
    if seeds is None:
        return {"scenario": scenario, "params": dict(params), "call": _code(scenario, params)}
    seeds = list(seeds)
    if len(seeds) > 3 and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        over, shown = f"range({seeds[0]}, {seeds[-1] + 1})", f"{seeds[0]}..{seeds[-1]}"
    else:
        over, shown = repr(seeds), seeds
    tail = ("**your_choice, " if choice else "") + "seed=s"
    return {"scenario": scenario, "params": dict(params, seed=shown),
            "call": f"[{_code(scenario, params, tail)} for s in {over}]"}


def arrivals(r, iface: str | None = None) -> list[tuple[int, object]]:
    """(index, packet) of every hop that brings a packet to the router (``iface``: eth0, if1 ...)."""
    out = []
    for i, e in enumerate(r.events):
        if e.ev is Ev.HOP and e.to.startswith("router:") and (iface is None or e.to == f"router:{iface}"):
            out.append((i, e.pkt))
    return out


def arrival_before(r, step: int, iface: str | None = "eth0") -> int:
    """The event number of the last packet to reach the router (on ``iface``; None: on any
    interface) before event ``step``: where a prediction's trace stops."""
    return max(i for i, _ in arrivals(r, iface) if i < step)


def arrival_of(r, step: int) -> int:
    """The event at which the packet that makes hop ``step`` (out of the router) reached the
    router: where a question about that packet stops the trace.  (The last arrival before the
    hop may be another packet -- of another connection, or sent after it.)"""
    from sim.view.model import analysis_of
    origin = analysis_of(r).origin.get(step)
    if origin is not None and origin.arrival is not None:
        return origin.arrival
    return arrival_before(r, step)


def next_uplink(r, rng, first: int, want: str | None = None) -> tuple[int, str, int, str] | None:
    """The packet a "by which uplink next?" question asks about: the ``k``-th packet to leave
    by an uplink, ``k`` drawn from ``first`` to 9 (``want``: of those that leave by that uplink;
    None if none does).  Returns its event, its uplink, the event of its own arrival at the
    router (where the trace stops) and, as text, the uplinks the router chose for the packets
    before it, in the order it chose them.  (Not the order they reached the providers: a packet
    on a slower or busier line arrives after one chosen later, and the question is about the
    router's choices.)"""
    ups = uplink_hops(r)
    if want is None:
        k = rng.randrange(first, min(10, len(ups)))
    else:
        ks = [k for k in range(first, min(10, len(ups))) if ups[k][1] == want]
        if not ks:
            return None
        k = rng.choice(ks)
    step, dev, _ = ups[k]
    ask = arrival_of(r, step)
    # a router with a route cache says its choice in RT_MISS/RT_HIT, one without (today's) in FIB
    chosen = [e.dev for e in r.events[:ask] if e.node == "router" and e.ev in (Ev.RT_MISS, Ev.RT_HIT, Ev.FIB)
              and e.dev != "eth0"]
    if not chosen:
        raise ExerciseError(f"next_uplink: no uplink chosen by the router before event {ask}")
    return step, dev, ask, ", ".join(chosen[-3:])


def next_event(r, i: int, pred) -> int | None:
    for j in range(i + 1, len(r.events)):
        if pred(r.events[j]):
            return j
    return None


def line(r, i: int) -> str:
    """``event i: node kind what`` -- the trace's text line without its time column
    (``i``: the event number, an index into ``r.events``)."""
    _, rest = event_text(r.events[i]).split(" ", 1)
    return f"event {i}: " + " ".join(rest.split())


def lines(r, a: int, b: int, nodes: tuple[str, ...] | None = None, kinds=None) -> list[str]:
    """The trace from event ``a`` to ``b`` (inclusive) as text, filtered by node prefix / kind."""
    out = []
    for i in range(max(a, 0), min(b, len(r.events) - 1) + 1):
        e = r.events[i]
        if nodes and not e.node.startswith(nodes):
            continue
        if kinds and e.ev not in kinds:
            continue
        out.append(line(r, i))
    return out


ROUTERISH = ("router", "uplink", "provider", "remote1", "lan")
PACKETS = (Ev.HOP, Ev.DROP, Ev.RT_MISS, Ev.RT_HIT, Ev.RT_DEL, Ev.FIB, Ev.NAT, Ev.CT_NEW, Ev.CT_DEL)


def context(r, ask: int, n: int = 8, keep=(), hide=()) -> list[str]:
    """The last ``n`` packet-level events before the question's event ``ask``, as trace text;
    ``keep``: earlier events shown all the same, in order before them (the events a question's
    hint or feedback names -- what inserted a route cache entry -- which the student must be
    able to look back to: the event numbers show the lines left out between); ``hide``: event
    kinds left out (an earlier packet's route cache hit, shown, would answer "will this one
    hit?" before it is asked)."""
    picked = []
    for i in range(ask - 1, -1, -1):
        e = r.events[i]
        if e.ev in PACKETS and e.ev not in hide and e.node.startswith(ROUTERISH):
            picked.append(i)
            if len(picked) == n:
                break
    shown = sorted(set(picked) | {i for i in keep if i < ask})
    return [line(r, i) for i in shown] + [line(r, ask) + "   <-- you are here"]


def reveal_svg(r, step: int) -> str:
    """The network at the deciding event ``step`` drawn by ``sim.view`` when it is there; else ''."""
    try:
        from sim.view import topology_svg
    except Exception:
        return ""
    try:
        return topology_svg(r, step)
    except Exception:
        return ""


def narration(r, step: int) -> str:
    try:
        from sim.view import narrate
    except Exception:
        return ""
    try:
        return str(narrate(r, step))
    except Exception:
        return ""


def why_not_texts(choices, answer, why_not: dict, form: str = "choice") -> dict[str, str]:
    """``{normalised wrong choice: why it is not what happens here}``; every wrong choice must
    have its own text (computed by the caller from the run)."""
    right = normalise(answer, form)
    out = {}
    for c in choices:
        norm = normalise(c, form)
        if norm == right:
            continue
        text = why_not.get(c)
        assert text, f"no explanation for the wrong choice {c!r}"
        out[norm] = text
    return out


def _handled_after(r, i: int) -> int | None:
    """The hop that brought to its node the packet whose handling event ``i`` is (a route
    lookup, NAT, a delivery, a host's answer to it): the node's events after a hop into it, in
    the same instant and before anything else happens, are its handling of that packet
    (``sim.view.model.Analysis`` reads the trace the same way).  None: ``i`` follows no hop
    into its node (a host's timer sent it)."""
    from sim.view.model import endpoint_node
    node = r.events[i].node
    for j in range(i - 1, -1, -1):
        e = r.events[j]
        if e.ev is Ev.HOP:
            return j if endpoint_node(e.to) == node else None
        if e.node != node:
            return None
    return None


def journey(r, ask: int, end: int) -> list[int]:
    """The events that lead from the question's event ``ask`` to the deciding event ``end``:
    ``end``'s packet followed back hop by hop -- each hop's packet to the node that sent it on,
    with that node's handling of it (the router's route lookup, its NAT, its drop) -- and, where
    a host sent a packet in answer to one it had just received (an echo reply, an ACK), on back
    through the packet it answered, as far as event ``ask``.  Only these: a window
    ``ask..end`` also held every other connection's packets that passed meanwhile (a segment
    waits in an uplink's queue while the other downloads' data comes down), which decide nothing."""
    from sim.view.model import analysis_of
    a = analysis_of(r)
    out, todo = set(), [end]
    while todo:
        i = todo.pop()
        if i is None or i < ask or i in out:
            continue
        out.add(i)
        e = r.events[i]
        o = a.origin.get(i) if e.ev in (Ev.HOP, Ev.DROP) else None
        if o is not None and (o.arrival is not None or o.send is not None or o.decisions):
            todo += list(o.decisions) + [o.arrival, o.send]
        elif e.ev is not Ev.HOP:
            j = _handled_after(r, i)
            if j is not None:           # the node's handling of that packet so far, and the hop
                todo += list(range(j, i))
    return sorted(out)


def predict(*, scenario, params, r, ask, step, choices, answer, prompt, hint, explanation,
            form="choice", reveal_to=None, why_not=None, keep=(), hide=()) -> Instance:
    """A predict-then-reveal instance: the trace stops at event ``ask``; a right answer
    reveals the events from ``ask`` to ``reveal_to`` (default: ``step``, the event that decides
    it) that carry the question's packet there (``journey``), not every event between.
    ``why_not``: ``{wrong choice: why it is not what happens here}``, one for each.
    ``keep``: earlier events the trace shown with the prompt holds too, ``hide``: event kinds it
    leaves out (``context``)."""
    end = step if reveal_to is None else reveal_to
    shown = journey(r, ask, end)
    assert ask in shown and step in shown, (scenario, params, ask, step, shown)
    rev = [line(r, i) for i in shown]
    text = "" if _GRADING else narration(r, step)
    if text:
        rev.append(text)
    assert normalise(answer, form) in [normalise(c, form) for c in choices], (answer, choices)
    return Instance(ex_id="", chapter=0, kind="", title="", student="", prompt=prompt, form=form,
                    answer=normalise(answer, form), accepted=[normalise(answer, form)], hint=hint,
                    explanation=explanation, choices=list(choices), context=context(r, ask, keep=keep, hide=hide), reveal=rev,
                    reveal_svg="" if _GRADING else reveal_svg(r, step), run=_how(scenario, params), step=step,
                    outcomes=why_not_texts(choices, answer, why_not or {}, form), ask=ask)


def numeric(*, scenario, params, answer: int, prompt, hint, explanation, tolerance: int = 0,
            seeds=None, percent: bool = False, context=(), also: int | None = None,
            over: str | Callable[[int], str] = "", under: str | Callable[[int], str] = "",
            upto: int | None = None, most: int | None = None, most_why: str = "") -> Instance:
    """A count (a whole number), or with ``percent`` a percentage (rounded to a whole one);
    ``seeds``: the answer sums runs of ``params`` over these seeds; ``context``: trace lines
    the page shows with the prompt; ``also``: a second right value (the reasoned one beside a
    Monte Carlo estimate), accepted within the same tolerance, and so is every value between
    the two (an estimate that lands a few points off leaves no gap of wrong answers between).

    ``over`` and ``under``: why a count above (below) the simulator's is not what happens -- a
    hint that fits the direction of the error, shown before ``hint`` for every wrong value from 0
    to ``upto`` (default: twice the answer, and at least 10 past it; a percentage: 0 to 100).
    Each is sealed under its own value, as a wrong choice's why-not is: the page learns the
    direction of a value only when that value is typed.  Either may be a function of the value
    typed, for a why-not that holds only on part of its side (below 1/n, or above it).

    ``most``: the greatest count the prompt allows (the packets it says were routed, the
    connections it names), and ``most_why`` what in the prompt says so: a count past it is told
    so (``model.beyond``), not only "Not this one." -- on the page, in the notebook and by the
    grader alike, every wrong value up to it has its over text as before."""
    ends = [c for c in (answer, also) if c is not None]
    near = set(range(max(min(ends) - tolerance, 0), max(ends) + tolerance + 1))
    accepted = [str(v) for v in sorted(near)]
    outcomes, said = {}, [t for t in (over, under) if isinstance(t, str) and t]
    if over or under:
        top = 100 if percent else (upto if upto is not None else max(2 * max(ends), max(ends) + 10))
        if most is not None and not percent:
            top = max(top, most)            # every count the prompt allows has its why-not
        # every text a function gives over the whole range is said, whichever values are wrong:
        # the texts the page carries must not tell where the answer lies
        said += [f(v) for f in (over, under) if callable(f) for v in range(0, top + 1) if f(v)]
        for v in range(0, top + 1):
            if v in near:
                continue
            text = over if v > max(near) else under
            text = text(v) if callable(text) else text
            if text:
                outcomes[str(v)] = text
    return Instance(ex_id="", chapter=0, kind="", title="", student="", prompt=prompt,
                    form="percent" if percent else "int",
                    answer=str(answer), accepted=accepted, hint=hint, explanation=explanation,
                    context=list(context), run=_how(scenario, params, seeds), outcomes=outcomes,
                    directions=list(dict.fromkeys(said)), most=most, most_why=most_why)


def choose(*, scenario, params, choices, answer: str, why_not: dict, prompt, hint, explanation,
           context=()) -> Instance:
    """A choice read from a run's summary: ``choices`` the labels, ``answer`` the right one,
    ``why_not`` ``{label: why not}`` for every wrong one; ``context``: trace lines the page shows
    with the prompt (none by default)."""
    right = normalise(answer, "choice")
    return Instance(ex_id="", chapter=0, kind="", title="", student="", prompt=prompt, form="choice",
                    answer=right, accepted=[right], hint=hint, explanation=explanation, choices=list(choices),
                    outcomes=why_not_texts(list(choices), answer, why_not), run=_how(scenario, params),
                    context=list(context))


def speed_choices(a: int, b: int) -> dict[str, int]:
    """What a download over two lines of ``a`` and ``b`` kbit/s might get, labelled and slowest
    first: either line alone, the sum of both, twice the slower line."""
    return dict(sorted({f"about {a} kbit/s": a, f"about {b} kbit/s": b, f"about {a + b} kbit/s": a + b,
                        f"about {2 * min(a, b)} kbit/s": 2 * min(a, b)}.items(), key=lambda kv: kv[1]))


def nearest_choice(value: float, choices: dict[str, float]) -> str:
    """The label whose value is nearest ``value`` (ratio distance: speeds are multiplicative)."""
    import math
    return min(choices, key=lambda k: abs(math.log(max(value, 1e-9) / choices[k])))


def ifs(n: int) -> list[str]:
    return [f"if{k}" for k in range(1, n + 1)]


def dev_addr(r, dev: str) -> str:
    """The address of the router's uplink ``dev`` in this run."""
    return r.net["router"].ifaces[dev].addr


def article_ports(r) -> dict[str, int]:
    """The first port the article's NAT model hands out on each uplink (6000 on if1 ...),
    from the engine's own table."""
    return dict(Nat(None, "article", {d: dev_addr(r, d) for d in r.net.uplinks()}).next_port)


def client_syns(r) -> list:
    """The SYNs the LAN hosts sent, as they reach the router (before NAT), in order."""
    return [p for _, p in arrivals(r, "eth0") if p.proto == 6 and p.l4.flags == "S"]


def endpoint_order(e: str):
    addr, port = e.rsplit(":", 1)
    return tuple(int(x) for x in addr.split(".")), int(port)


def endpoint_choices(rng, answer: str, cands, n: int = 6, must=()) -> list[str]:
    """``answer`` and ``n - 1`` of the other candidates, in address order; ``must``: candidates of
    which one is always among them (a distractor that a half-understood rule does not rule out)."""
    others = sorted(set(cands) - {answer}, key=endpoint_order)
    rng.shuffle(others)
    must = sorted(set(must) - {answer}, key=endpoint_order)
    if must and not set(others[:n - 1]) & set(must):
        pick = rng.choice(must)
        others = [pick] + [o for o in others if o != pick]
    return sorted(others[:n - 1] + [answer], key=endpoint_order)


def who_has(r, addr: str) -> str:
    """Whose address ``addr`` is in this run, in words."""
    if addr == r.net["local1"].addr:
        return "Local host 1's private address"
    for d in r.net.uplinks():
        if dev_addr(r, d) == addr:
            return f"the address of uplink {d}"
    return "an address of this network"


def endpoint_why_not(r, choices, answer: str, why_addr: str, why_port: str) -> dict[str, str]:
    """Why each wrong ``address:port`` choice is not ``answer``: what its address and port are,
    and why the packet does not carry them (``why_addr``; ``why_port``, a text or a function of
    the wrong port).  Neither names the answer's address or port: the feedback explains."""
    aa, ap = answer.rsplit(":", 1)
    out = {}
    for c in choices:
        addr, port = c.rsplit(":", 1)
        parts = []
        if addr != aa:
            parts.append(f"{addr} is {who_has(r, addr)}, but {why_addr}")
        if port != ap:
            parts.append(f"port {port} is not the one: {why_port(int(port)) if callable(why_port) else why_port}")
        if parts:
            out[c] = f"Not {c}: " + "; and ".join(parts) + "."
    return out


def uplink_why_not(choices, dev: str, because) -> dict[str, str]:
    """One text per wrong uplink: ``because`` (a text, or a function of the wrong uplink) says
    why the packet does not take it -- the rule and the trace's facts, not the uplink it takes
    (``dev``, left out: the feedback on a wrong answer explains, it does not answer)."""
    return {c: f"Not {c}: {because(c) if callable(because) else because}." for c in choices if c != dev}


def addresses_text(r, lan: bool = True, port: bool = True) -> str:
    """The run's addresses in words (a sentence without its full stop): Local host 1 and its
    first source port, the router's uplinks, Remote host 1."""
    ups = ", ".join(f"{d} {dev_addr(r, d)}" for d in r.net.uplinks())
    local = r.net["local1"]
    syn = next((e.pkt for e in r.events if e.ev is Ev.HOP and e.to == "router:eth0" and e.pkt.proto == 6
                and e.pkt.l4.flags == "S"), None)        # client_syns(r)[0], without reading the rest
    first = syn.sport if syn else local.next_port
    head = (f"Local host 1 is {local.addr}" + (f", first source port {first}" if port else "") + "; ") if lan else ""
    return f"{head}the router's uplinks are {ups}; Remote host 1 is {r.net['remote1'].addr}"


def _handshake(r):
    """The (index, uplink, packet) of the first SYN and of the handshake's ACK as they leave
    the router (chapters 6, 8 and 10)."""
    ups = uplink_hops(r)
    syn = next((i, d, p) for i, d, p in ups if p.proto == 6 and p.l4.flags == "S")
    ack = next((i, d, p) for i, d, p in ups if p.proto == 6 and p.l4.flags == "A" and p.load == 0)
    return syn, ack


# -- configuration and repair exercises (chapters 6, 8 and 10) ---------------------------------

def _judge_runs(scenario: str, fixed: dict, seeds, criterion: Callable) -> Callable:
    """A judge for configuration answers: run the student's choice on the seeds in order,
    until one fails (the verdict names the first seed that fails, so the later ones would
    change nothing).  The criterion reads the summary only, so no trace is kept
    (``trace=False``: the same summary, a cheaper run), on the page as while grading."""

    def judge(norm: str) -> tuple[bool, str]:
        choice = dict(p.split("=", 1) for p in norm.split(";"))
        params = dict(fixed)
        for k, v in choice.items():
            params[k] = {"true": True, "false": False}.get(v, v)
        notes = []
        for s in seeds:
            try:
                r = run(scenario, **dict(params, seed=s, trace=False))
            except ParamError as e:       # the parameters are refused whatever the seed: at the first
                return False, f"The simulator refuses this router: {e}."
            ok, note = criterion(r)
            if not ok:
                return False, f"With seed {s}: {note}."
            notes.append(note)
        return True, f"Works for every seed tried ({', '.join(map(str, seeds))}): {notes[0]}."
    judge.criterion = criterion         # what it asks of each run (tests/test_book_speed.py reads it)
    return judge


def losses(drops: dict) -> dict:
    """The drops of a summary that lose a packet on the way.  A host refusing a segment that no
    socket wants ("reset") is not one: before the end, the connection's reset or failed
    handshake says so; after both ends have closed (a late duplicate's ACK meets the closed
    server) it harms nothing."""
    return {k: v for k, v in drops.items() if k != Drop.RESET.value}


def data_shares(r) -> dict[str, float]:
    """Each uplink's share of the bytes that came down the uplinks -- a download's data.  Not
    the packets both ways: a connection pinned to one line whose ACKs go up another (public
    addresses: the way back is the internet's choice) has a share of packets on each line
    and all its data on one."""
    ups = r.summary["uplinks"]
    tot = sum(u["down_bytes"] for u in ups.values()) or 1
    return {d: u["down_bytes"] / tot for d, u in ups.items()}


def _download_ok(need_both: bool):
    """A run's verdict: the download completed, handshake whole, never reset, nothing lost on
    the way; ``need_both``: and every uplink brought down at least 10% of its data."""
    def crit(r) -> tuple[bool, str]:
        c = r.summary["connections"][0]
        drops = r.summary["drops"]
        share = data_shares(r)
        # a share of the download's data needs some received: "0/4000 bytes ... share of the bytes
        # down if1 99%, if2 1%" read as shares of nothing (they were of the bytes of whatever came
        # down -- handshake, resets, data the client then refused).  With none received, the
        # packets that came down each uplink say what the lines carried
        got_data = c["bytes"] > 0
        down = ("share of the bytes down " + ", ".join(f"{d} {s:.0%}" for d, s in share.items()) if got_data else
                "no data received, so no share of it: packets down the uplinks "
                + ", ".join(f"{d} {u['down_packets']}" for d, u in r.summary["uplinks"].items()))
        parts = [f"handshake {c['handshake']}", f"{c['bytes']}/{c['bytes_wanted']} bytes received",
                 "reset" if c["reset"] else ("complete" if c["complete"] else "not complete"),
                 "drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"), down]
        # what it fails, named: a "Not yet" that lists the run's facts alone left a student to
        # guess which condition failed (an ACK the remote ignored is no packet lost on the way,
        # but the handshake's own ACK did not complete it)
        fails = []
        if not c["handshake_ok"]:
            fails.append("the handshake was not completed by its own ACK")
        if not c["complete"]:
            fails.append("the download did not complete")
        if c["reset"]:
            fails.append("the connection was reset")
        lost = losses(drops)
        if lost:
            fails.append("packets were lost on the way (" + ", ".join(f"{k} {v}" for k, v in lost.items()) + ")")
        if need_both and got_data:       # with none received, "did not complete" says it
            fails += [f"{d} brought down under 10% of the data" for d, s in share.items() if s < 0.10]
        ok = not fails
        return ok, "; ".join(parts) + ("" if ok else ". Fails: " + "; ".join(fails))
    return crit


def _config_instance(*, scenario, fixed, options, seeds, criterion, prompt, hint, explanation, start=None):
    judge = _judge_runs(scenario, fixed, seeds, criterion)
    keys = list(options)
    combos = [dict(zip(keys, vals)) for vals in itertools.product(*(options[k] for k in keys))]
    if start is not None:   # a repair changes exactly one setting
        combos = [c for c in combos if sum(str(c[k]) != str(start[k]) for k in keys) == 1]
    outcomes, accepted = {}, []
    for c in ([] if _GRADING else combos):     # grading: the judge runs the one choice given
        norm = normalise(c, "config")
        ok, text = judge(norm)
        outcomes[norm] = ("Right. " if ok else "Not yet. ") + text
        if ok:
            accepted.append(norm)
    assert accepted or _GRADING, f"no working answer for {scenario} {fixed}"
    if start is None:
        expl = explanation + (" Choices that work here: " + " | ".join(a.replace(";", ", ") for a in accepted)
                              + "." if accepted else "")
    else:                   # a repair: the one setting each working answer changes, not whole configurations
        was = {k: str(v).lower() for k, v in start.items()}
        changes = [next(kv for kv in a.split(";") if kv.split("=", 1)[1] != was[kv.split("=", 1)[0]])
                   for a in accepted]
        expl = explanation + (" Changes that work: " + "; or ".join(changes) + "." if changes else "")
    return Instance(ex_id="", chapter=0, kind="", title="", student="", prompt=prompt, form="config",
                    answer=accepted[0] if accepted else "", accepted=accepted, hint=hint, explanation=expl,
                    options={k: [str(v).lower() for v in vals] for k, vals in options.items()},
                    start={k: str(v).lower() for k, v in (start or {}).items()},
                    run=_how(scenario, fixed, seeds, choice=True), outcomes=outcomes, judge=judge)


def _lan_port(r, i: int) -> int | None:
    """The LAN host's source port of the packet that left the router at event ``i`` (NAT
    may have changed it): the port it had when it arrived from the LAN."""
    pkt = r.events[i].pkt
    for j in range(i - 1, max(-1, i - 400), -1):
        e = r.events[j]
        if e.ev is Ev.NAT and e.pkt == pkt:
            return e.before.sport
    return pkt.sport


# == the chapters' exercises, registered in the book's order ====================================

from . import (ch02_route_cache, ch03_connection_level, ch04_equalize, ch05_nat, ch06_equalize_nat,  # noqa: E402,F401
               ch07_icmp, ch08_real_kernels, ch09_modern_linux, ch10_two_links)
