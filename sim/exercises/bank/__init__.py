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

Chapters: 2 route table and cache, 3 connection-level multipath, 4 equalize,
5 NAT, 6 equalize meets NAT, 7 ICMP, 8 what real kernels did, 9 modern hash
multipath, 10 making two links work.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
from dataclasses import dataclass
from typing import Callable

import sim
from sim.nat import Nat
from sim.scenarios import ParamError, make_params
from sim.observe import uplink_hops
from sim.trace import Ev, event_text

from .model import Instance, normalise
from .variants import (BOOK_STUDENT, addressing, check_student, member, member_name, rng_for, secret_for,
                       two_speeds)


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


NEEDS_PYTHON = "Needs Python (Binder or local)"


def python_note(call: str) -> str:
    """The opening of a prompt that needs the simulator run: where, and the exact code."""
    return (f"**{NEEDS_PYTHON}:** this one runs the simulator, which a static page can't. In Binder (the "
            f"launch button at the top of the chapter) or a local Python at the repository's root, run "
            f"`import sim` and then `{call}`.")


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
    check_student(student)
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


@functools.lru_cache(maxsize=512)
def _instance(ex_id: str, name: str, secret: str, grading: bool = False) -> Instance:
    """Pool variant ``name`` (or ``book``) of ``ex_id``, built by running the simulator."""
    global _GRADING
    spec = BANK[ex_id]
    _GRADING = grading
    try:
        inst = spec.build(name, rng_for(name, ex_id, secret))
    finally:
        _GRADING = False
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
    _run.cache_clear()
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

@functools.lru_cache(maxsize=4096)
def _run(scenario: str, items: tuple) -> "sim.Result":
    return sim.run(scenario, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in items})


def run(scenario: str, **params) -> "sim.Result":
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _run(scenario, items)


def addressed(student: str, rng, scenario: str, params: dict) -> dict:
    """``params`` plus the student's ``uplink_addrs``, ``remote_addrs`` and ``port_base``
    (one draw from ``rng``; as many uplink addresses as the scenario will have uplinks).
    The book's own pages (``BOOK_STUDENT``) keep the article's addresses, the ones the
    chapters' text and replays use; the draw is made all the same, so the rest of the
    variant does not change."""
    n = make_params(scenario, **params).uplinks
    drawn = addressing(rng, n)
    return dict(params) if student == BOOK_STUDENT else {**params, **drawn}


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


def context(r, ask: int, n: int = 8) -> list[str]:
    """The last ``n`` packet-level events before the question's event ``ask``, as trace text."""
    out = []
    for i in range(ask - 1, -1, -1):
        e = r.events[i]
        if e.ev in PACKETS and e.node.startswith(ROUTERISH):
            out.append(line(r, i))
            if len(out) == n:
                break
    return out[::-1] + [line(r, ask) + "   <-- you are here"]


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


def predict(*, scenario, params, r, ask, step, choices, answer, prompt, hint, explanation,
            form="choice", reveal_to=None, why_not=None) -> Instance:
    """A predict-then-reveal instance: the trace stops at event ``ask``; a right answer
    reveals events ``ask..reveal_to`` (default: ``step``, the event that decides it).
    ``why_not``: ``{wrong choice: why it is not what happens here}``, one for each."""
    end = step if reveal_to is None else reveal_to
    rev = lines(r, ask, end, nodes=ROUTERISH + ("local1", "remote", "peer", "internet"))
    text = "" if _GRADING else narration(r, step)
    if text:
        rev.append(text)
    assert normalise(answer, form) in [normalise(c, form) for c in choices], (answer, choices)
    return Instance(ex_id="", chapter=0, kind="", title="", student="", prompt=prompt, form=form,
                    answer=normalise(answer, form), accepted=[normalise(answer, form)], hint=hint,
                    explanation=explanation, choices=list(choices), context=context(r, ask), reveal=rev,
                    reveal_svg="" if _GRADING else reveal_svg(r, step), run=_how(scenario, params), step=step,
                    outcomes=why_not_texts(choices, answer, why_not or {}, form), ask=ask)


def numeric(*, scenario, params, answer: int, prompt, hint, explanation, tolerance: int = 0,
            seeds=None, percent: bool = False, context=()) -> Instance:
    """A count (a whole number), or with ``percent`` a percentage (rounded to a whole one);
    ``seeds``: the answer sums runs of ``params`` over these seeds; ``context``: trace lines
    the page shows with the prompt."""
    accepted = [str(v) for v in range(max(answer - tolerance, 0), answer + tolerance + 1)]
    return Instance(ex_id="", chapter=0, kind="", title="", student="", prompt=prompt,
                    form="percent" if percent else "int",
                    answer=str(answer), accepted=accepted, hint=hint, explanation=explanation,
                    context=list(context), run=_how(scenario, params, seeds))


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


def endpoint_choices(rng, answer: str, cands, n: int = 6) -> list[str]:
    """``answer`` and ``n - 1`` of the other candidates, in address order."""
    others = sorted(set(cands) - {answer}, key=endpoint_order)
    rng.shuffle(others)
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
    and why the packet carries ``answer``'s instead (``why_addr``, ``why_port``)."""
    aa, ap = answer.rsplit(":", 1)
    out = {}
    for c in choices:
        addr, port = c.rsplit(":", 1)
        parts = []
        if addr != aa:
            parts.append(f"{addr} is {who_has(r, addr)}, but {why_addr}")
        if port != ap:
            parts.append(f"port {port} is not the one: {why_port}")
        if parts:
            out[c] = f"Not {c}: " + "; and ".join(parts) + "."
    return out


def uplink_why_not(choices, dev: str, because: str) -> dict[str, str]:
    """One text per wrong uplink: ``because`` says why the packet takes ``dev``."""
    return {c: f"Not {c}: {because}, so it leaves by {dev}." for c in choices if c != dev}


def addresses_text(r, lan: bool = True, port: bool = True) -> str:
    """The run's addresses in words (a sentence without its full stop): Local host 1 and its
    first source port, the router's uplinks, Remote host 1."""
    ups = ", ".join(f"{d} {dev_addr(r, d)}" for d in r.net.uplinks())
    local = r.net["local1"]
    syns = client_syns(r)
    first = syns[0].sport if syns else local.next_port
    head = (f"Local host 1 is {local.addr}" + (f", first source port {first}" if port else "") + "; ") if lan else ""
    return f"{head}the router's uplinks are {ups}; Remote host 1 is {r.net['remote1'].addr}"


# == chapter 2: the route table and the route cache ==========================================

@exercise("rc-hit", 2, "predict", "Does the route cache hit?")
def rc_hit(student, rng):
    params = dict(seed=rng.randrange(1, 1000), uplinks=rng.choice([2, 3]), size=6000)
    params = addressed(student, rng, "connection-level", params)
    r = run("connection-level", **params)
    decisions = [i for i, e in enumerate(r.events) if e.node == "router" and e.ev in (Ev.RT_MISS, Ev.RT_HIT)]
    which = rng.choice(["first-up", "later-up", "first-down", "later-down"])
    up = [i for i in decisions if r.events[i].key[3] == "eth0"]
    down = [i for i in decisions if r.events[i].key[3] != "eth0"]
    pool = {"first-up": up[:1], "later-up": up[2:6], "first-down": down[:1], "later-down": down[2:6]}[which]
    step = rng.choice(pool)
    ask = max(i for i, _ in arrivals(r) if i < step)
    hit = r.events[step].ev is Ev.RT_HIT
    pkt = r.events[ask].pkt
    key = r.events[step].key
    said = f"{key[1]} > {key[0]} iif {key[3]}"
    made = next((i for i in range(step) if r.events[i].ev is Ev.RT_MISS and r.events[i].key == key), None)
    if hit:
        why_not = {"miss": f"Not a miss: event {made} (`rt_miss`) inserted the entry for {said}, and nothing "
                           f"removed it since, so `ip_route_input()` finds it in the cache."}
    else:
        held = sorted({f"{e.key[1]} > {e.key[0]} iif {e.key[3]}" for e in r.events[:step]
                       if e.ev is Ev.RT_MISS and e.node == "router"})
        why_not = {"hit": f"Not a hit: no earlier packet had this packet's key, {said}; the cache held "
                          + (", ".join(held) if held else "nothing yet") + " -- ports are not in the key, "
                          "but the input interface is."}
    return predict(
        scenario="connection-level", params=params, r=r, ask=ask, step=step, why_not=why_not,
        choices=["hit", "miss"], answer="hit" if hit else "miss",
        prompt=(f"One download from Local host 1 to Remote host 1, {params['uplinks']} uplinks, no equalize. "
                f"Addresses: {addresses_text(r)}. At event {ask} this packet reaches the router: `{pkt.summary()}`. "
                f"Will the router's route cache **hit** or **miss** for it?"),
        hint=("The 2.4 route cache key is (destination, source, TOS, input interface) -- no ports. "
              "Look back in the trace: was an entry with exactly this key already inserted by an "
              "earlier `rt_miss`? A reply coming in on an uplink has a different key from the request "
              "going out on eth0."),
        explanation=(f"It is a {'hit' if hit else 'miss'}: the key is {key[1]} > {key[0]} iif {key[3]}, and "
                     + ("an earlier packet of the same direction already inserted that entry, so "
                        "`ip_route_input()` finds it in the cache." if hit else
                        "no earlier packet had that key, so `ip_route_input_slow()` looks the FIB up "
                        "and inserts a new entry.")))


@exercise("rc-count", 2, "numeric", "Count the cache hits of one download")
def rc_count(student, rng):
    params = dict(seed=rng.randrange(1, 1000), uplinks=rng.choice([2, 3, 4]),
                  size=rng.choice([3000, 6000, 10000, 15000, 20000]))
    params = addressed(student, rng, "connection-level", params)
    r = run("connection-level", **params)
    rc = r.summary["route_cache"]
    up = len(arrivals(r, "eth0"))                       # every packet the router routes, from the trace
    down = len(arrivals(r)) - up
    return numeric(
        scenario="connection-level", params=params, answer=rc["in_hit"],
        prompt=(f"One download of {params['size']} bytes from Local host 1 to Remote host 1 through the 2.4 "
                f"router, {params['uplinks']} uplinks, no equalize. Over the whole download {up} packets reach "
                f"the router from the LAN (on eth0) and {down} come back from Remote host 1 on an uplink; "
                f"the router routes every one of them. How many route cache **hits** (the kernel's `in_hit`) "
                f"does it count?"),
        hint=("Every packet the router routes is one cache lookup: a hit or a miss. A miss inserts an "
              "entry for the packet's key (destination, source, TOS, input interface -- no ports); how many "
              "different keys do the packets of one download have?"),
        explanation=(f"The router routed {up} + {down} = {up + down} packets: {rc['in_slow_tot']} missed (one "
                     f"per new key, the first packet of each direction) and {rc['in_hit']} hit."))


# == chapter 3: connection-level multipath (LARTC 4.2.2) =====================================

@exercise("cl-uplink", 3, "predict", "Which uplink does a later packet take?")
def cl_uplink(student, rng):
    n = rng.choice([2, 3, 4])
    params = addressed(student, rng, "connection-level", dict(seed=rng.randrange(1, 1000), uplinks=n, size=8000))
    r = run("connection-level", **params)
    ups = uplink_hops(r)
    step, dev, pkt = ups[rng.randrange(3, min(9, len(ups)))]
    ask = max(i for i, _ in arrivals(r, "eth0") if i < step)
    syn_dev = ups[0][1]
    looked = next_event(r, ask, lambda e: e.node == "router" and e.ev in (Ev.RT_HIT, Ev.RT_MISS))
    how = "hit" if r.events[looked].ev is Ev.RT_HIT else "missed"
    why_not = uplink_why_not(ifs(n), dev, f"the router's route cache {how} for it at event {looked}, and the "
                             f"entry for this connection's (destination, source) says dev {dev}: the nexthop is "
                             f"not chosen again for each packet")
    return predict(
        scenario="connection-level", params=params, r=r, ask=ask, step=step, why_not=why_not,
        choices=ifs(n), answer=dev,
        prompt=(f"Connection-level multipath with {n} uplinks: the download's SYN left by {syn_dev}. "
                f"At event {ask} another packet of the same connection reaches the router: "
                f"`{r.events[ask].pkt.summary()}`. By which uplink will it leave?"),
        hint=("Without equalize, the nexthop is chosen only on a cache miss; later packets with the same "
              "(destination, source) key reuse the cached entry until it expires (gc_timeout 300 s)."),
        explanation=(f"It leaves by {dev}: the route cache entry made for the SYN still says dev {syn_dev}, "
                     f"so every packet of this connection takes it -- the second line stays idle for this "
                     f"download."))


@exercise("cl-speed", 3, "numeric", "How fast is one download?")
def cl_speed(student, rng):
    speeds = two_speeds(rng)
    params = addressed(student, rng, "connection-level", dict(seed=rng.randrange(1, 1000), down_kbit=speeds, size=400_000))
    r = run("connection-level", **params)
    syn_dev = uplink_hops(r)[0][1]
    got = r.summary["throughput_kbit"]
    a, b = speeds
    choices = {f"about {a} kbit/s": a, f"about {b} kbit/s": b, f"about {a + b} kbit/s": a + b,
               f"about {2 * min(a, b)} kbit/s": 2 * min(a, b)}
    choices = dict(sorted(choices.items(), key=lambda kv: kv[1]))
    ans = nearest_choice(got, choices)
    line_speed = {"if1": a, "if2": b}
    why = {}
    for label, v in choices.items():
        what = [w for w, x in ((f"the speed of {syn_dev}'s line", line_speed[syn_dev]),
                               (f"the other line's speed ({'if2' if syn_dev == 'if1' else 'if1'})",
                                line_speed["if2" if syn_dev == "if1" else "if1"]),
                               ("the sum of both lines, which needs this connection's packets on both", a + b),
                               ("twice the slower line, what a per-packet split over unequal lines gives", 2 * min(a, b)))
                if x == v]
        why[label] = (f"Not {label}: that is {' or '.join(what)}. The simulator measured {got} kbit/s: every "
                      f"packet of the connection followed its SYN's route cache entry to {syn_dev}.")
    return Instance(
        ex_id="", chapter=0, kind="", title="", student="", form="choice",
        outcomes=why_not_texts(list(choices), ans, why),
        prompt=(f"Uplink if1 brings {a} kbit/s down, if2 {b} kbit/s. One 400 kB download, connection-level "
                f"multipath; its SYN left by {syn_dev}. Which throughput will it get?"),
        choices=list(choices), answer=normalise(ans, "choice"), accepted=[normalise(ans, "choice")],
        hint="The whole connection is pinned to the uplink its first packet was routed to.",
        explanation=(f"The simulator measured {got} kbit/s: {ans}. Every packet of the connection uses "
                     f"{syn_dev}, so the download gets that line's speed; the other line is idle."),
        run=_how("connection-level", params))


# == chapter 4: equalize ======================================================================

@exercise("eq-next", 4, "predict", "Equalize: where does the next packet go?")
def eq_next(student, rng):
    n = rng.choice([2, 3, 4])
    params = addressed(student, rng, "equalize-public",
                       dict(multipath="wrr", uplinks=n, seed=rng.randrange(1, 1000), size=8000))
    r = run("equalize-public", **params)
    ups = uplink_hops(r)
    k = rng.randrange(3, min(10, len(ups)))
    step, dev, pkt = ups[k]
    ask = max(i for i, _ in arrivals(r, "eth0") if i < step)
    before = ", ".join(d for _, d, _ in ups[max(0, k - 3):k])
    why_not = uplink_why_not(ifs(n), dev, f"equalize deleted the cached entry, and `fib_select_multipath()` with "
                             f"equal weights cycles {', '.join(ifs(n))} in turn; the last packets left by {before}")
    return predict(
        scenario="equalize-public", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev,
        why_not=why_not,
        prompt=(f"Equalize with {n} uplinks and 2.4's `fib_select_multipath()` (weights 1). The last "
                f"packets up left by {before}. At event {ask} the next one reaches the router. By which uplink "
                f"will it leave?"),
        hint=("Equalize deletes the cached entry on every hit, so each packet takes the slow path; the "
              "kernel's choice is a credit round robin, not a coin: with equal weights it cycles through "
              "the nexthops in order."),
        explanation=(f"It leaves by {dev}: the entry was deleted (`rt_del ... equalize`) and "
                     f"`fib_select_multipath()` gave the next nexthop in the round robin."))


@exercise("eq-speed", 4, "numeric", "Equalize with public addresses: how fast?")
def eq_speed(student, rng):
    speeds = two_speeds(rng)
    params = addressed(student, rng, "equalize-public", dict(seed=rng.randrange(1, 1000), down_kbit=speeds, size=300_000))
    r = run("equalize-public", **params)
    got = r.summary["throughput_kbit"]
    a, b = speeds
    choices = dict(sorted({f"about {a} kbit/s": a, f"about {b} kbit/s": b, f"about {a + b} kbit/s": a + b,
                           f"about {2 * min(a, b)} kbit/s": 2 * min(a, b)}.items(), key=lambda kv: kv[1]))
    ans = nearest_choice(got, choices)
    why = {}
    for label, v in choices.items():
        what = [w for w, x in (("one line alone", a), ("one line alone", b),
                               ("the sum of both lines, which needs each line to carry data in proportion to "
                                "its speed", a + b),
                               ("twice the slower line", 2 * min(a, b))) if x == v]
        why[label] = (f"Not {label}: that would be {' or '.join(dict.fromkeys(what))}. The simulator measured "
                      f"{got} kbit/s: about half the packets take each line, whatever its speed, and TCP "
                      f"delivers in order, so the download waits for the {min(a, b)} kbit/s line's half.")
    return Instance(
        ex_id="", chapter=0, kind="", title="", student="", form="choice",
        outcomes=why_not_texts(list(choices), ans, why),
        prompt=(f"Public LAN addresses, equalize, random choice per packet. Uplink if1 brings {a} kbit/s down, "
                f"if2 {b} kbit/s; the Internet side spreads the download packet by packet too. One 300 kB "
                f"download: which throughput will it get?"),
        choices=list(choices), answer=normalise(ans, "choice"), accepted=[normalise(ans, "choice")],
        hint=("Half of the packets take each line, whatever its speed, and TCP delivers in order: the "
              "download can't run ahead of the slower line's half."),
        explanation=(f"The simulator measured {got} kbit/s: {ans}. With a per-packet split half the data "
                     f"waits for the {min(a, b)} kbit/s line, so two unequal lines give about twice the "
                     f"slower one, not the sum."),
        run=_how("equalize-public", params))


# == chapter 5: NAT ===========================================================================

@exercise("nat-endpoint", 5, "predict", "The source address and port after NAT")
def nat_endpoint(student, rng):
    nat = rng.choice(["article", "netfilter"])
    c = rng.choice([2, 3, 4])
    n = rng.choice([2, 3])
    params = addressed(student, rng, "flashget",
                       dict(nat=nat, connections=c, uplinks=n, seed=rng.randrange(1, 1000), size=3000))
    r = run("flashget", **params)
    ports = sorted({p.sport for p in client_syns(r)})
    j = rng.randrange(c)
    sport = ports[j]
    step = next(i for i, e in enumerate(r.events) if e.ev is Ev.NAT and e.node == "router"
                and e.dir == "snat" and e.before.sport == sport)
    ask = max(i for i, _ in arrivals(r, "eth0") if i < step)
    after = r.events[step].pkt
    dev = next(d for i, d, p in uplink_hops(r) if i > step)
    ans = f"{after.ip.src}:{after.sport}"
    table = article_ports(r)
    cands = {f"{dev_addr(r, d)}:{p}" for d in ifs(n) for p in [sport] + [table[e] + j for e in ifs(n)]}
    cands.add(f"{r.net['local1'].addr}:{sport}")
    choices = endpoint_choices(rng, ans, cands)
    first_ports = ", ".join(f"{table[d]}.. on {d}" for d in ifs(n))
    why_not = endpoint_why_not(
        r, choices, ans, f"the SYN leaves by {dev}, and NAT gives a connection's first packet the address of the "
                         f"uplink it leaves by, {dev_addr(r, dev)}",
        f"the article's model takes the next free port of {dev}'s own table (its first is {table[dev]})"
        if nat == "article" else f"netfilter keeps the client's port {sport}, since no other connection uses it")
    return predict(
        scenario="flashget", params=params, r=r, ask=ask, step=step, choices=choices, answer=ans,
        form="endpoint", reveal_to=step, why_not=why_not,
        prompt=(f"{c} parallel downloads from Local host 1 (source ports {ports[0]}..{ports[-1]}) to Remote "
                f"host 1, {n} uplinks, NAT model `{nat}`. Addresses: {addresses_text(r, port=False)}. At event {ask} "
                f"the SYN of the connection from port {sport} reaches the router; it will leave by {dev} "
                f"({dev_addr(r, dev)}). What source (address:port) will it carry after NAT?"),
        hint=("The address is always that of the uplink the packet leaves by. The port depends on the NAT "
              f"model: the article's model hands out ports from each uplink's own table ({first_ports}); "
              "netfilter keeps the client's port when the tuple stays unique."),
        explanation=(f"{ans}: `{nat}` NAT on {dev} "
                     + ("took the next port from that uplink's own table." if nat == "article" else
                        "kept the source port, since no other connection uses it.")))


@exercise("nat-seen", 5, "numeric", "What the server sees")
def nat_seen(student, rng):
    nat = rng.choice(["article", "netfilter"])
    c = rng.choice([2, 3, 4, 5, 6, 8])
    params = addressed(student, rng, "flashget", dict(nat=nat, connections=c, seed=rng.randrange(1, 1000), size=2000))
    r = run("flashget", **params)
    seen = sorted({s for conn in r.summary["connections"] for s in conn["seen_by_server_as"]})
    addrs = sorted({s.split(",")[0].strip("( ") for s in seen})
    return numeric(
        scenario="flashget", params=params, answer=len(seen),
        prompt=(f"A download manager opens {c} parallel connections from Local host 1 to Remote host 1 "
                f"({r.net['remote1'].addr}), through the router's NAT (model `{nat}`, no equalize), whose "
                f"uplinks are {' and '.join(f'{d} {dev_addr(r, d)}' for d in r.net.uplinks())}. How many "
                f"different (address, port) endpoints does Remote host 1 see these connections come from?"),
        hint="NAT must keep connections apart: can two connections share an external (address, port)?",
        explanation=(f"{len(seen)}: one per connection ({', '.join(seen)}); all from {', '.join(addrs)}, since "
                     f"the connections share one route cache entry and so one uplink."))


# == chapter 6: equalize meets NAT ============================================================

def _handshake(r):
    ups = uplink_hops(r)
    syn = next((i, d, p) for i, d, p in ups if p.proto == 6 and p.l4.flags == "S")
    ack = next((i, d, p) for i, d, p in ups if p.proto == 6 and p.l4.flags == "A" and p.load == 0)
    return syn, ack


def _remote_verdict(r, i_deliver: int) -> tuple[str, int]:
    pkt = r.events[i_deliver].pkt
    for j in range(i_deliver + 1, min(i_deliver + 6, len(r.events))):
        e = r.events[j]
        if e.node == "remote1" and e.ev is Ev.DROP and e.pkt == pkt:
            return ("ignore" if e.reason.value == "ignored by remote" else "reset"), j
    return "accept", next((j for j in range(i_deliver + 1, len(r.events))
                           if r.events[j].node == "remote1"), i_deliver)


@exercise("eqnat-remote", 6, "predict", "Accept, ignore or reset?")
def eqnat_remote(student, rng):
    remote = rng.choice(["article", "rfc"])
    n = rng.choice([2, 3])
    params = addressed(student, rng, "equalize-nat", dict(remote=remote, uplinks=n, seed=rng.randrange(1, 1000), size=4000))
    r = run("equalize-nat", **params)
    (si, sdev, sp), (ai, adev, ap) = _handshake(r)
    ask = next(j for j in range(ai, len(r.events)) if r.events[j].ev is Ev.DELIVER
               and r.events[j].node == "remote1" and r.events[j].pkt.l4.flags == "A" and r.events[j].pkt.load == 0)
    verdict, step = _remote_verdict(r, ask)
    syn_ep, ack_ep = f"{sp.ip.src}:{sp.sport}", f"{ap.ip.src}:{ap.sport}"
    stranger = (f"the ACK comes from {ack_ep} but the SYN came from {syn_ep}: Remote host 1 has no connection "
                f"with the ACK's 4-tuple")
    why_not = {c: (f"Not {c}: the ACK left by {adev} as {ack_ep}, the endpoint the SYN came from, so it "
                   f"matches the connection and completes the handshake; only a segment of no connection is "
                   f"{'ignored' if c == 'ignore' else 'answered with a reset'}." if verdict == "accept" else
                   f"Not accept: {stranger}." if c == "accept" else
                   f"Not {c}: {'an RFC 9293 stack resets' if c == 'reset' else 'the article remote ignores'} a "
                   f"segment of no connection, but this remote is `{remote}`, which "
                   f"{'ignores it' if verdict == 'ignore' else 'answers it with a reset'}.")
               for c in ("accept", "ignore", "reset") if c != verdict}
    return predict(
        scenario="equalize-nat", params=params, r=r, ask=ask, step=step, choices=["accept", "ignore", "reset"],
        answer=verdict, why_not=why_not,
        prompt=(f"Equalize behind NAT (article model), {n} uplinks, remote host model `{remote}`. "
                f"Addresses: {addresses_text(r)}. The SYN left "
                f"by {sdev} as {sp.ip.src}:{sp.sport}; the handshake's ACK left by {adev} as "
                f"{ap.ip.src}:{ap.sport}. At event {ask} the ACK reaches Remote host 1. What does it do: "
                f"accept it, ignore it, or answer with a reset?"),
        hint=("A TCP endpoint matches a segment to a connection by its 4-tuple. If the ACK comes from "
              "another (address, port) than the SYN, it belongs to no connection: the article's remote "
              "ignores it, an RFC 9293 stack answers with a reset."),
        explanation=(f"It is **{verdict}**: "
                     + ("the ACK came from the same endpoint as the SYN, so it completes the handshake."
                        if verdict == "accept" else
                        f"{ap.ip.src}:{ap.sport} is not the endpoint that sent the SYN "
                        f"({sp.ip.src}:{sp.sport}), so it matches no connection and the `{remote}` "
                        f"remote {'ignores it (the article)' if verdict == 'ignore' else 'resets it (RFC 9293)'}.")))


@exercise("eqnat-survive", 6, "numeric", "How many handshakes survive?", python=True)
def eqnat_survive(student, rng):
    n = rng.choice([2, 3, 4])
    s0 = rng.randrange(1, 5000)
    seeds = range(s0, s0 + 20)
    params = addressed(student, rng, "equalize-nat", dict(uplinks=n, size=2000))
    ok = sum(run("equalize-nat", **params, seed=s, **_summary_only()).summary["connections"][0]["handshake_ok"]
             for s in seeds)
    how = _how("equalize-nat", params, seeds)
    return numeric(
        scenario="equalize-nat", params=params, seeds=seeds, answer=ok,
        prompt=(python_note(how["call"]) + f" These are 20 runs of the article's router (random equalize, the "
                f"article's NAT, {n} uplinks), for the seeds {s0} .. {s0 + 19}. In how many of them is the "
                f"handshake completed by an ACK (for a run `r`: `r.summary['connections'][0]['handshake_ok']` "
                f"is True)?"),
        hint=(f"Each run is a coin toss: the handshake's first ACK is accepted only when the random "
              f"choice sends it by the SYN's uplink (chance 1/{n}), and the ACK that answers the server's "
              f"retransmitted SYN+ACK gets another chance. So expect somewhere around 20/{n}, give or "
              f"take the scatter of 20 tosses (several either way). But the question asks for these 20 "
              f"seeds exactly -- run them."),
        explanation=(f"{ok} of 20 (the 1/{n} chance for the first ACK predicts {20 / n:.1f})."))


def _judge_runs(scenario: str, fixed: dict, seeds, criterion: Callable) -> Callable:
    """A judge for configuration answers: run the student's choice on every seed (the
    criterion reads the summary only)."""
    extra = _summary_only()

    def judge(norm: str) -> tuple[bool, str]:
        choice = dict(p.split("=", 1) for p in norm.split(";"))
        params = dict(fixed)
        for k, v in choice.items():
            params[k] = {"true": True, "false": False}.get(v, v)
        try:
            results = [run(scenario, **dict(params, seed=s, **extra)) for s in seeds]
        except ParamError as e:
            return False, f"The simulator refuses this router: {e}."
        oks, notes = zip(*(criterion(r) for r in results))
        if all(oks):
            return True, f"Works for every seed tried ({', '.join(map(str, seeds))}): {notes[0]}."
        bad = next(k for k, ok in enumerate(oks) if not ok)
        return False, f"With seed {seeds[bad]}: {notes[bad]}."
    return judge


def _download_ok(need_both: bool):
    def crit(r) -> tuple[bool, str]:
        c = r.summary["connections"][0]
        drops = r.summary["drops"]
        ups = r.summary["uplinks"]
        tot = sum(u["up_packets"] + u["down_packets"] for u in ups.values()) or 1
        share = {d: (u["up_packets"] + u["down_packets"]) / tot for d, u in ups.items()}
        parts = [f"handshake {c['handshake']}", f"{c['bytes']}/{c['bytes_wanted']} bytes",
                 "reset" if c["reset"] else ("complete" if c["complete"] else "not complete"),
                 "drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"),
                 "uplink share " + ", ".join(f"{d} {s:.0%}" for d, s in share.items())]
        ok = c["handshake_ok"] and c["complete"] and not c["reset"] and not drops
        if need_both:
            ok = ok and all(s >= 0.10 for s in share.values())
        return ok, "; ".join(parts)
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
    expl = explanation + (" Choices that work here: " + " | ".join(a.replace(";", ", ") for a in accepted) + "."
                          if accepted else "")
    return Instance(ex_id="", chapter=0, kind="", title="", student="", prompt=prompt, form="config",
                    answer=accepted[0] if accepted else "", accepted=accepted, hint=hint, explanation=expl,
                    options={k: [str(v).lower() for v in vals] for k, vals in options.items()},
                    start={k: str(v).lower() for k, v in (start or {}).items()},
                    run=_how(scenario, fixed, seeds, choice=True), outcomes=outcomes, judge=judge)


@exercise("eqnat-repair", 6, "repair", "Repair the article's router")
def eqnat_repair(student, rng):
    remote = rng.choice(["article", "rfc"])
    filt = rng.choice([False, True])
    s0 = rng.randrange(1, 5000)
    seeds = [s0, s0 + 1, s0 + 2]
    fixed = addressed(student, rng, "equalize-nat", dict(remote=remote, ingress_filter=filt, size=4000))
    start = dict(multipath="random", equalize=True, nat="article")
    options = dict(multipath=["random", "wrr", "hash-l3", "hash-l4", "numgen"], equalize=[True, False],
                   nat=["article", "netfilter", "snat", "masquerade"])
    return _config_instance(
        scenario="equalize-nat", fixed=fixed, options=options, seeds=seeds, start=start,
        criterion=_download_ok(need_both=False),
        prompt=(f"The article's router: multipath random, equalize on, NAT in the article's model; remote host "
                f"`{remote}`, providers {'filter' if filt else 'do not filter'} source addresses. Its download "
                f"fails or crawls. Change **exactly one** setting so that one 4 kB download completes with its "
                f"handshake, no reset and no drop, for seeds {seeds[0]}, {seeds[1]} and {seeds[2]}."),
        hint=("Either stop the packets of one connection from changing uplinks, or make the NAT keep one "
              "source address whatever uplink they leave by -- and then ask what a provider that filters "
              "sources does with that address on the other line."),
        explanation="The simulator ran every single change on the three seeds.")


# == chapter 7: ICMP ==========================================================================

@exercise("icmp-answered", 7, "predict", "Will this echo be answered?")
def icmp_answered(student, rng):
    n = rng.choice([2, 3])
    variant = rng.choice(["article", "netfilter", "masquerade", "snat"])
    if variant in ("article", "netfilter"):
        scenario, params = "icmp-equalize-nat", dict(nat=variant, uplinks=n, seed=rng.randrange(1, 1000), pings=6)
        setup = f"equalize with the 2.4 route cache, NAT model `{variant}`"
    else:
        scenario, params = "ping", dict(nat=variant, uplinks=n, seed=rng.randrange(1, 1000), pings=6)
        setup = f"today's per-packet balancing (nftables `numgen`), NAT `{variant}`"
    params = addressed(student, rng, scenario, params)
    r = run(scenario, **params)
    reqs = [(i, p) for i, p in arrivals(r, "eth0") if p.proto == 1]
    k = rng.randrange(1, len(reqs))
    ask, pkt = reqs[k]
    seq = pkt.l4.seq
    reply = next((j for j, e in enumerate(r.events) if e.ev is Ev.DELIVER and e.node == "local1"
                  and e.pkt.proto == 1 and e.pkt.l4.type == 0 and e.pkt.l4.seq == seq), None)
    drop = next((j for j, e in enumerate(r.events) if j > ask and e.ev is Ev.DROP and e.pkt.proto == 1
                 and e.pkt.l4.seq == seq), None)
    step = reply if reply is not None else (drop if drop is not None else ask)
    ans = "yes" if reply is not None else "no"
    prev = ", ".join(f"seq {p.l4.seq} by {d}" for i, d, p in uplink_hops(r) if i < ask and p.proto == 1)
    out = next(((i, d, p) for i, d, p in uplink_hops(r) if i > ask and p.proto == 1 and p.l4.seq == seq), None)
    left = f"its request left by {out[1]} as {out[2].ip.src}" if out else "its request never left the router"
    if reply is not None:
        why_not = {"no": f"Not no: {left}, and the reply to that address was translated back and reached "
                         f"Local host 1 at event {reply}."}
    else:
        e = r.events[step]
        why_not = {"yes": f"Not yes: {left}; at event {step} {e.node} dropped "
                          + ("it" if e.pkt.l4.type == 8 else "the reply") + f" ({e.reason.value})."}
    return predict(
        scenario=scenario, params=params, r=r, ask=ask, step=step, choices=["yes", "no"], answer=ans,
        reveal_to=step, why_not=why_not,
        prompt=(f"Ten-second pinging, {setup}, {n} uplinks, one ICMP id; {addresses_text(r, lan=False)}. "
                f"Earlier echo requests left "
                f"{prev or 'nothing yet'}. At event {ask} echo request seq {seq} reaches the router. Will "
                f"its reply reach Local host 1?"),
        hint=("An echo request and its reply are one 'connection' to conntrack. In 2.4 the entry died with "
              "the reply, so every echo was new and masqueraded to the uplink it left by. Today the entry "
              "outlives the reply: the next echo belongs to it -- and MASQUERADE drops a packet of a replied "
              "entry that leaves by another device."),
        explanation=(f"{'Yes' if ans == 'yes' else 'No'}: "
                     + (f"echo seq {seq} was answered (event {reply})." if reply is not None else
                        f"it was dropped at event {step} ({r.events[step].reason.value}).")))


@exercise("icmp-count", 7, "numeric", "How many pings are answered today?")
def icmp_count(student, rng):
    n = rng.choice([2, 3])
    p = rng.randrange(6, 15)
    nat = rng.choice(["masquerade", "masquerade", "snat"])
    params = addressed(student, rng, "ping", dict(uplinks=n, pings=p, nat=nat, seed=rng.randrange(1, 1000)))
    r = run("ping", **params)
    got = r.summary["pings"][0]["received"]
    first = next(d for _, d, pk in uplink_hops(r) if pk.proto == 1)
    sent = [r.events[i].t for i, pk in arrivals(r, "eth0") if pk.proto == 1]
    every = (sent[1] - sent[0]) / 1e6                   # µs -> s, from the trace
    filt = "filter" if r.params.ingress_filter else "do not filter"
    return numeric(
        scenario="ping", params=params, answer=got,
        prompt=(f"Today's kernel: per-packet balancing with nftables `numgen inc` over {n} uplinks (the first "
                f"echo request leaves by {first}), NAT `{nat}`, providers that {filt} source addresses. "
                f"Local host 1 sends Remote host 1 {p} echo requests, one every {every:g} s, all with one "
                f"ICMP id. How many are answered?"),
        hint=("numgen sends consecutive echoes by consecutive uplinks. The ICMP conntrack entry outlives its "
              "reply; MASQUERADE kills the entry and drops the packet when a replied entry's packet leaves "
              "by another device, SNAT keeps the binding."),
        explanation=f"{got} of {p} (the simulator's `summary['pings'][0]['received']`).")


# == chapter 8: what real kernels did ==========================================================

@exercise("nf-endpoint", 8, "predict", "netfilter keeps the binding")
def nf_endpoint(student, rng):
    nat = rng.choice(["netfilter", "snat"])
    n = rng.choice([2, 3])
    params = addressed(student, rng, "equalize-nat", dict(nat=nat, uplinks=n, seed=rng.randrange(1, 1000), size=4000,
                                                 multipath=rng.choice(["random", "wrr"])))
    r = run("equalize-nat", **params)
    (si, sdev, sp), (ai, adev, ap) = _handshake(r)
    ask = max(i for i, _ in arrivals(r, "eth0") if i < ai)
    ans = f"{ap.ip.src}:{ap.sport}"
    client = r.events[ask].pkt.sport
    table = article_ports(r)
    cands = {f"{dev_addr(r, d)}:{p}" for d in ifs(n) for p in [client] + [table[e] for e in ifs(n)]}
    choices = endpoint_choices(rng, ans, cands)
    why_not = endpoint_why_not(
        r, choices, ans, f"{nat} made its binding for the connection's SYN, which left by {sdev} as "
                         f"{sp.ip.src}:{sp.sport}, and keeps it whichever uplink a later packet leaves by",
        f"the binding made for the SYN keeps its port, {sp.sport}")
    return predict(
        scenario="equalize-nat", params=params, r=r, ask=ask, step=ai, choices=choices, answer=ans,
        form="endpoint", why_not=why_not,
        prompt=(f"The same equalize router, but with real netfilter NAT (`{nat}`), {n} uplinks, multipath "
                f"`{params['multipath']}`. Addresses: {addresses_text(r)}. The SYN left by {sdev} as "
                f"{sp.ip.src}:{sp.sport}. At event {ask} the handshake's ACK from port {client} reaches the "
                f"router; it will leave by {adev} ({dev_addr(r, adev)}). What source (address:port) will it "
                f"carry?"),
        hint=("netfilter consults the nat table only for a connection's first packet; later packets use the "
              "binding stored in the conntrack entry, whichever uplink they leave by."),
        explanation=(f"{ans}: the binding made for the SYN on {sdev} is kept"
                     + (f", even though the ACK leaves by {adev} -- the address of another line."
                        if adev != sdev else ".")))


@exercise("nf-filter", 8, "predict", "Does the provider forward it?")
def nf_filter(student, rng):
    n = rng.choice([2, 3])
    params = addressed(student, rng, "equalize-nat", dict(nat="netfilter", ingress_filter=True, uplinks=n,
                                                 seed=rng.randrange(1, 1000), size=6000))
    r = run("equalize-nat", **params)
    ups = uplink_hops(r)
    mismatched = [(i, d, p) for i, d, p in ups if p.ip.src != dev_addr(r, d)]
    matched = [(i, d, p) for i, d, p in ups if p.ip.src == dev_addr(r, d)]
    pool = mismatched if (mismatched and (rng.random() < 0.5 or not matched)) else matched
    hop, dev, pkt = rng.choice(pool[:8])
    k = dev[2:]
    drop = next((j for j in range(hop + 1, len(r.events)) if r.events[j].ev is Ev.DROP
                 and r.events[j].node == f"provider{k}" and r.events[j].pkt.l4 == pkt.l4), None)
    fwd = next((j for j in range(hop + 1, len(r.events)) if r.events[j].ev is Ev.HOP
                and r.events[j].node == f"peer{k}" and r.events[j].pkt.l4 == pkt.l4), None)
    ans, step = ("drop", drop) if drop is not None and (fwd is None or drop < fwd) else ("forward", fwd)
    why_not = ({"forward": f"Not forward: its source {pkt.ip.src} is {who_has(r, pkt.ip.src)}, not Provider {k}'s "
                           f"customer address {dev_addr(r, dev)}; the provider's filter drops it at event {step}."}
               if ans == "drop" else
               {"drop": f"Not drop: its source {pkt.ip.src} is the address Provider {k} gave this line, so its "
                        f"filter lets it through (event {step}); netfilter's binding happened to match the "
                        f"uplink this time."})
    return predict(
        scenario="equalize-nat", params=params, r=r, ask=hop, step=step, choices=["forward", "drop"],
        answer=ans, reveal_to=step, why_not=why_not,
        prompt=(f"netfilter NAT (the binding is kept), equalize over {n} uplinks, and providers that filter "
                f"source addresses (BCP 38). Addresses: {addresses_text(r, lan=False)}. At event {hop} this packet "
                f"crosses uplink {dev} to Provider {k}: "
                f"`{pkt.summary()}`. Does Provider {k} forward it or drop it?"),
        hint=f"Provider {k} accepts from its customer only packets whose source is the address it gave: {dev_addr(r, dev)}.",
        explanation=(f"It is **{'dropped' if ans == 'drop' else 'forwarded'}**: the source {pkt.ip.src} "
                     + ("is" if ans == "forward" else "is not") + f" Provider {k}'s customer address {dev_addr(r, dev)}."))


@exercise("masq-repair", 8, "repair", "Repair today's router")
def masq_repair(student, rng):
    filt = rng.choice([False, True])
    n = rng.choice([2, 3])
    s0 = rng.randrange(1, 5000)
    seeds = [s0, s0 + 1]
    fixed = dict(ingress_filter=filt, uplinks=n, messages=rng.choice([6, 8, 10]))
    fixed["remote"] = "rfc"
    fixed = addressed(student, rng, "echo", fixed)
    start = dict(multipath="numgen", nat="masquerade")
    options = dict(multipath=["numgen", "random", "wrr", "hash-l3", "hash-l4"],
                   nat=["masquerade", "snat", "netfilter", "article"])

    def crit(r):
        e = r.summary["echo"][0]
        drops = r.summary["drops"]
        ok = e["complete"] and not e["reset"] and not drops
        return ok, (f"{e['echoed']} of {e['messages']} messages echoed, "
                    + ("reset" if e["reset"] else ("complete" if e["complete"] else "not complete"))
                    + "; drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"))
    return _config_instance(
        scenario="echo", fixed=fixed, options=options, seeds=seeds, start=start, criterion=crit,
        prompt=(f"Today's kernel as measured: nftables `numgen` per-packet balancing over {n} uplinks, "
                f"MASQUERADE, an RFC 9293 remote; providers {'filter' if filt else 'do not filter'} sources. "
                f"The echo connection is reset. Change **exactly one** setting so that all "
                f"{fixed['messages']} messages are echoed with no reset and no drop (seeds {seeds[0]} and "
                f"{seeds[1]})."),
        hint=("MASQUERADE kills a replied connection whose packet leaves by another device. Either keep the "
              "connection on one device (a per-flow multipath) or use a NAT that keeps the binding -- and "
              "think about what a filtering provider does with the other line's address."),
        explanation="The simulator ran every single change on both seeds.")


# == chapter 9: modern Linux hash multipath ===================================================

@exercise("hash-uplink", 9, "predict", "Where does the hash send it?")
def hash_uplink(student, rng):
    policy = rng.choice(["hash-l3", "hash-l4"])
    n = rng.choice([2, 3, 4])
    c = rng.choice([3, 4])
    params = addressed(student, rng, "hash-l4-nat",
                       dict(multipath=policy, uplinks=n, connections=c, seed=rng.randrange(1, 1000), size=4000))
    r = run("hash-l4-nat", **params)
    ups = uplink_hops(r)
    first = {}
    for i, d, p in ups:
        first.setdefault(p.sport, (i, d))
    if policy == "hash-l3":
        j = rng.randrange(1, c)
        step, dev, pkt = next((i, d, p) for i, d, p in ups if i > first[min(first)][0]
                              and p.sport == sorted(first)[j] and p.l4.flags == "S")
        known = f"connection 1's SYN left by {first[min(first)][1]}"
        what = f"the SYN of connection {j + 1}"
    else:
        port = rng.choice(sorted(first))
        later = [(i, d, p) for i, d, p in ups if p.sport == port and i > first[port][0]]
        step, dev, pkt = rng.choice(later[:4])
        known = f"this connection's SYN left by {first[port][1]}"
        what = "a later packet of that connection"
    ask = max(i for i, _ in arrivals(r, "eth0") if i < step)
    why_not = uplink_why_not(ifs(n), dev, (
        f"the L3 hash covers only the source and destination addresses, the same for every connection here, "
        f"and connection 1's SYN hashed to {dev}" if policy == "hash-l3" else
        f"the L4 hash covers the 5-tuple, which is the same for every packet of a connection, and this "
        f"connection's SYN hashed to {dev}"))
    return predict(
        scenario="hash-l4-nat", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev,
        why_not=why_not,
        prompt=(f"Modern Linux: no route cache, multipath hash policy `{policy}` over {n} uplinks, {c} "
                f"connections from Local host 1 to Remote host 1. {known[0].upper() + known[1:]}. At event {ask} "
                f"{what} reaches the router. By which uplink will it leave?"),
        hint=("The hash covers (source, destination) for L3 and the 5-tuple for L4; same inputs, same "
              "hash, same nexthop."),
        explanation=(f"{dev}: " + ("every connection has the same source and destination address, so the "
                                   "L3 hash is the same for all of them." if policy == "hash-l3" else
                                   "the 5-tuple of a connection never changes, so neither does its hash.")))


@exercise("hash-count", 9, "numeric", "How many connections on if1?")
def hash_count(student, rng):
    n = rng.choice([2, 3])
    c = rng.choice([4, 6, 8])
    params = addressed(student, rng, "hash-l4-nat",
                       dict(multipath="hash-l4", uplinks=n, connections=c, seed=rng.randrange(1, 1000), size=3000))
    r = run("hash-l4-nat", **params)
    per, syns = {}, []
    for i, d, p in uplink_hops(r):
        if p.proto == 6 and p.l4.flags == "S":
            per[p.sport] = d
            syns.append(i)
    on1 = sum(1 for d in per.values() if d == "if1")
    return numeric(
        scenario="hash-l4-nat", params=params, answer=on1, context=[line(r, i) for i in syns],
        prompt=(f"Modern Linux: no route cache, multipath hash policy `hash-l4` over {n} uplinks, NAT; "
                f"{c} connections from Local host 1 download from Remote host 1. The trace below shows each "
                f"connection's SYN as it leaves the router. Over the whole download, how many of the {c} "
                f"connections send their packets by if1?"),
        hint=("The L4 hash covers the 5-tuple (addresses, ports, protocol): what changes in it between a "
              "connection's SYN and its later packets?"),
        explanation=f"{on1} of {c}: " + ", ".join(f"port {k} on {d}" for k, d in sorted(per.items()))
                    + ": each connection stays on its SYN's uplink.")


# == chapter 10: making two links work =========================================================

@exercise("two-links-config", 10, "config", "Use both uplinks without breaking")
def two_links_config(student, rng):
    public = rng.choice([False, True])
    # behind NAT with filtering providers nothing can use both lines for one download (chapter 10):
    # that variant would have no answer, so a private LAN gets providers that don't filter
    filt = rng.choice([False, True]) if public else False
    n = rng.choice([2, 3])
    s0 = rng.randrange(1, 5000)
    seeds = [s0, s0 + 1, s0 + 2]
    fixed = addressed(student, rng, "connection-level", dict(uplinks=n, ingress_filter=filt, size=20000, remote="rfc"))
    nats = ["none"] if public else ["article", "netfilter", "snat", "masquerade"]
    options = dict(multipath=["random", "wrr", "hash-l4", "numgen"], equalize=[True, False], nat=nats)
    return _config_instance(
        scenario="connection-level", fixed=fixed, options=options, seeds=seeds,
        criterion=_download_ok(need_both=True),
        prompt=(f"Your LAN has {'public addresses (no NAT)' if public else 'private addresses behind NAT'}, "
                f"{n} uplinks, an RFC 9293 remote; providers {'filter' if filt else 'do not filter'} source "
                f"addresses. Choose the multipath policy, equalize and the NAT so that **one** 20 kB download "
                f"completes with its handshake, no reset and no drop, and every uplink carries at least 10% "
                f"of the packets crossing the uplinks -- for seeds {', '.join(map(str, seeds))}."),
        hint=("A choice made once per connection pins the download to one line. Per-packet balancing uses "
              "every line, but then every packet must carry a source address that the remote host and "
              "that line's provider accept."),
        explanation="The simulator ran every combination on the three seeds.")


@exercise("two-links-chance", 10, "numeric", "The chance a handshake survives")
def two_links_chance(student, rng):
    n = rng.choice([2, 3, 4, 5])
    s0 = rng.randrange(1, 10000)
    runs = 1000        # enough that 1/n, reasoned out, is within the tolerance of the estimate
    seeds = range(s0, s0 + runs)
    params = addressed(student, rng, "equalize-nat", dict(uplinks=n, size=1000))
    same = 0
    for s in seeds:     # not through the run cache: a thousand runs would push the others out
        (_, syn_dev, _), (_, ack_dev, _) = _handshake(sim.run("equalize-nat", **params, seed=s))
        same += syn_dev == ack_dev
    pct = (200 * same + runs) // (2 * runs)          # a whole percentage, half up
    return numeric(
        scenario="equalize-nat", params=params, seeds=seeds, answer=pct,
        tolerance=6, percent=True,
        prompt=(f"The article's router (random equalize, the article's NAT) with {n} uplinks: in what percentage "
                f"of downloads does the handshake's ACK leave by the same uplink as its SYN -- so that it "
                f"carries the endpoint the server knows, and the server accepts it? Reason it out, or estimate "
                f"it with the simulator ({_call('equalize-nat', params, 'seed=s')} for many seeds s); answers "
                f"within 6 points of the simulator's estimate over the {runs} seeds {s0}..{s0 + runs - 1} are "
                f"accepted."),
        hint="The ACK must leave by the SYN's uplink: each packet's uplink is an independent uniform choice.",
        explanation=(f"The simulator counted {same} of {runs} seeds {s0}..{s0 + runs - 1} ({pct}%); the "
                     f"reasoning gives 1/{n} = {100 / n:.0f}%."))


@exercise("numgen-next", 10, "predict", "numgen: the next uplink")
def numgen_next(student, rng):
    n = rng.choice([2, 3, 4])
    params = addressed(student, rng, "echo", dict(nat="snat", uplinks=n, messages=rng.choice([4, 6, 8]),
                                         seed=rng.randrange(1, 1000)))
    r = run("echo", **params)
    ups = uplink_hops(r)
    k = rng.randrange(2, min(10, len(ups)))
    step, dev, pkt = ups[k]
    ask = max(i for i, _ in arrivals(r, "eth0") if i < step)
    before = ", ".join(d for _, d, _ in ups[max(0, k - 3):k])
    why_not = uplink_why_not(ifs(n), dev, f"`numgen inc` gives every packet from the LAN the next mark, and each "
                             f"mark has its routing table; the last packets up left by {before}")
    return predict(
        scenario="echo", params=params, r=r, ask=ask, step=step, choices=ifs(n), answer=dev, why_not=why_not,
        prompt=(f"Today's stand-in for equalize: nftables `meta mark set numgen inc mod {n}` on the LAN side "
                f"and one routing table per mark, SNAT, {n} uplinks. The last packets up left by {before}. At "
                f"event {ask} the next packet from the LAN reaches the router. By which uplink will it leave?"),
        hint="`numgen inc` is a counter: every packet from the LAN gets the next mark, modulo the number of uplinks.",
        explanation=f"{dev}: the counter moved on by one, so the mark -- and the routing table -- is the next one.")


@exercise("down-fin", 10, "predict", "A line fails: which address does the next segment leave with?")
def down_fin(student, rng):
    nat = rng.choice(["masquerade", "netfilter", "snat"])
    down = rng.choice([1, 2])
    size = rng.choice([300_000, 400_000])
    down_at = rng.choice([0.4, 0.5, 0.6])
    for seed in (rng.randrange(1, 1000) for _ in range(40)):
        params = addressed(student, rng, "uplink-down", dict(nat=nat, down_uplink=down, seed=seed,
                                                             connections=2, size=size, down_at=down_at))
        r = run("uplink-down", **params)
        t_down = int(r.params.down_at * 1_000_000)
        dead, live = f"if{down}", f"if{3 - down}"
        # the download that was on the dead line, and its first segment out after the failure
        ports = {int(c["client"].split(", ")[1].rstrip(")")) for c in r.summary["connections"][:2]
                 if c["seen_by_server_as"] and c["seen_by_server_as"][0].startswith(f"({dev_addr(r, dead)},")}
        out = [(i, d, p) for i, d, p in uplink_hops(r)
               if r.events[i].t > t_down and _lan_port(r, i) in ports]
        if out:
            break
    else:                                   # pragma: no cover - every variant tried has one
        raise ExerciseError(f"no segment after the failure in the uplink-down variants of {student!r}")
    step, dev, pkt = out[0]
    port = _lan_port(r, step)
    ask = max(i for i, p in arrivals(r, "eth0") if i < step and p.sport == port)   # this segment
    fin = "F" in pkt.l4.flags
    what = (f"its client heard nothing more, gave up after {r.params.read_timeout:g} s and closed, "
            f"sending a FIN" if fin else "it still owed an ACK for data that came just before the failure")
    lan = r.net["local1"].addr
    choices = [dev_addr(r, dead), dev_addr(r, live), lan]
    ans = pkt.ip.src
    model = {"masquerade": "today's MASQUERADE", "netfilter": "2.4's MASQUERADE",
             "snat": "today's SNAT"}[nat]
    if nat == "snat":
        why = ("SNAT keeps its bindings when a device goes down, so the segment carries the dead line's "
               "address, out of the live line -- and the answer goes back to the dead line")
    elif ans == lan:
        why = ("MASQUERADE forgot the connection with the device, and today's conntrack calls a FIN that "
               "finds no entry INVALID: an INVALID packet is not translated, so it leaves with the private "
               "source")
    else:
        why = ("MASQUERADE forgot the connection with the device; conntrack starts a new entry from this "
               "segment (2.4 from any ACK or FIN, today from a mid-stream ACK), and MASQUERADE binds it to "
               "the live line's address -- which the server has never seen, so it resets the connection")
    why_not = {}
    for c in choices:
        if c == dev_addr(r, dead):
            why_not[c] = (f"Not {c}, the dead line's address: MASQUERADE forgot this connection's entry, and its "
                          f"binding with it, when {dead} went down.")
        elif c == dev_addr(r, live):
            why_not[c] = (f"Not {c}, the live line's address: " + (
                "SNAT keeps its bindings when a device goes down, so nothing binds the connection anew." if nat == "snat"
                else "today's conntrack starts no entry from a FIN that finds none (it is INVALID), so MASQUERADE "
                     "never binds it to the live line."))
        else:
            why_not[c] = (f"Not {c}, the private address: " + (
                "SNAT still has the connection's entry, so the segment is translated with its binding."
                if nat == "snat" else
                "conntrack starts a new entry from this segment, and MASQUERADE translates it to the address "
                "of the line it leaves by."))
    return predict(
        scenario="uplink-down", params=params, r=r, ask=ask, step=step, choices=choices, answer=ans,
        why_not=why_not,
        prompt=(f"Conntrack marks spread two downloads over the uplinks, with {model} (`{nat}`). Addresses: "
                f"{addresses_text(r)}. At {r.params.down_at:g} s uplink {dead}'s line fails: its device goes "
                f"down. The download that was on {dead}: {what}. At event {ask} that segment reaches the "
                f"router; it will leave by {dev}. With which source address?"),
        hint=("What does the router still know about this connection once the device went down? Think of "
              "what MASQUERADE and SNAT do with their entries then, and what conntrack does with a segment "
              "that finds none."),
        explanation=f"{ans}: {why}.")


def _lan_port(r, i: int) -> int | None:
    """The LAN host's source port of the packet that left the router at event ``i`` (NAT
    may have changed it): the port it had when it arrived from the LAN."""
    pkt = r.events[i].pkt
    for j in range(i - 1, max(-1, i - 400), -1):
        e = r.events[j]
        if e.ev is Ev.NAT and e.pkt == pkt:
            return e.before.sport
    return pkt.sport
