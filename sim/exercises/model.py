"""What one exercise is for one student, and the one checker every front end uses.

An exercise in the bank is a function of a student's variant (a seeded
``random.Random``) that runs the simulator and returns an ``Instance``: the
prompt, the choices, the accepted answers *as the simulator computed them*,
a hint shown after a wrong answer and an explanation shown after a right one.

The checker is the same everywhere:

    normalise(answer)  ->  sha256(salt + "|h|" + normalised)  in  instance.hashes ?

The grader and the live notebook call ``Instance.check``; the static page runs
the same normalisation and the same SHA-256 in JavaScript (``_js.py``) against
the salted hashes, so no answer is written in the page as plain text; the
nbgrader notebooks run the page's checker in Python (``open_sealed``).  An
answer that is not one of the expected form (``parse``, ``resolve``) gets why,
not the hint, and is not counted as an attempt.  The
explanation and the revealed trace events are encrypted with a content key
that only a right answer unwraps (``seal``), so they are not in plain text
either.  A determined student can still hash every choice of a small answer
space: the page is for self-checking, the grader recomputes everything.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import reprlib
from dataclasses import dataclass, field

from .variants import keyed

PEPPER = "1+1<1 exercises v1"
KINDS = ("predict", "choice", "numeric", "config", "repair")


def salt_for(student: str, ex_id: str, secret: str = "") -> str:
    """The per-student, per-exercise salt (also the 'variant' tag of an exported answer);
    keyed with the course secret when there is one."""
    return keyed(secret, f"{PEPPER}|{student}|{ex_id}").hex()[:16]


def answer_hash(salt: str, normalised: str) -> str:
    return hashlib.sha256(f"{salt}|h|{normalised}".encode()).hexdigest()


def _wrap_key(salt: str, normalised: str) -> bytes:
    return hashlib.sha256(f"{salt}|k|{normalised}".encode()).digest()


def _keystream(key: bytes, n: int) -> bytes:
    out = bytearray()
    ctr = 0
    while len(out) < n:
        out += hashlib.sha256(key + ctr.to_bytes(4, "big")).digest()
        ctr += 1
    return bytes(out[:n])


def xor(data: bytes, key: bytes) -> bytes:
    """SHA-256 in counter mode; the page does the same in JavaScript."""
    return bytes(a ^ b for a, b in zip(data, _keystream(key, len(data))))


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


SCALARS = (str, int, float, bool, type(None))     # what an answer (or a setting's value) may be


def short(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (safe on deep or huge answers)."""
    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother = 3, limit, limit
    text = r.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


ECHO = 80          # the most characters of an answer that feedback and reports repeat


def echo(value, limit: int = ECHO) -> str:
    """An answer as feedback repeats it: a text (stripped) quoted whole up to ``limit``
    characters, else its first ``limit`` with an ellipsis and its length
    (``'aaaa…' (50,000,000 characters)``); anything else as ``short`` gives it."""
    if not isinstance(value, str):
        return short(value, limit)
    text = value.strip()
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


# -- normalisation: one function per answer form, mirrored in JavaScript -----------------
#
#   choice    case and blanks ignored
#   int       a count: a whole number in digits ("16"); no sign, exponent, decimals or separators
#   percent   a percentage: "33", "33.3", "33,3" (decimal comma), "33 %"; rounded half up
#   endpoint  a.b.c.d:port; (a.b.c.d, port) and tcpdump's a.b.c.d.port too
#   config    a dict, or "k=v; k=v" text (';', ',' or new lines between the settings)

# re.ASCII: \d is 0-9, as in the page's JavaScript (Python's \d also takes other scripts'
# digits, "٥": graded right here, refused on the page)
_COUNT = re.compile(r"^\d{1,15}$", re.ASCII)
_DIGITS = re.compile(r"^\d+$", re.ASCII)
_DECIMAL = re.compile(r"^(\d{1,15}([.,]\d*)?|[.,]\d+)$", re.ASCII)
_ENDPOINT = re.compile(r"^\(?\s*(\d+\.\d+\.\d+\.\d+)\s*[,:.\s]\s*(\d+)\s*\)?$", re.ASCII)
_WORD = re.compile(r"^[a-z0-9_.-]+$")


def parse(answer, form: str) -> tuple[str, str]:
    """``(canonical text, "")``, or ``("", why answer is not an answer of this form)``."""
    if form == "config":
        d, problem = config_dict(answer)
        return ("", problem) if problem else (canonical_config(d), "")
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return "", "no answer"
    if isinstance(answer, (list, tuple, dict, set)):
        return "", f"expected text or a number, got {short(answer)}"
    if isinstance(answer, bool):
        return "", f"expected {'a number' if form in ('int', 'percent') else 'text'}, got {answer}"
    if form == "int":
        return _count(answer)
    if form == "percent":
        return _percent(answer)
    s = " ".join(str(answer).lower().split())
    if form == "endpoint":
        m = _ENDPOINT.match(s)
        if not m:
            return "", f"expected address:port (like 10.0.0.1:6000), got {short(str(answer).strip())}"
        return f"{m.group(1)}:{int(m.group(2))}", ""
    return s, ""


def normalise(answer, form: str) -> str:
    """The canonical text of an answer, '' when it is not one of ``form`` (see ``parse``)."""
    return parse(answer, form)[0]


#: What a count is, said for every answer that is none: one wording for "twelve", "13.5", -1 and "+16"
COUNT_IS = "a count is a whole number, 0 or more, written in digits alone (like 16)"


def _count(answer) -> tuple[str, str]:
    if isinstance(answer, (int, float)):        # a number in a file (JSON), not text
        if (isinstance(answer, float) and not (math.isfinite(answer) and answer.is_integer())) or answer < 0:
            return "", f"{COUNT_IS}, got {answer!r}"
        if answer >= 1e15:
            return "", f"a count has at most 15 digits, got {answer!r}"
        return str(int(answer)), ""
    s = str(answer).strip()
    if _COUNT.match(s):
        return str(int(s)), ""
    if _DIGITS.match(s):
        return "", f"a count has at most 15 digits, got {short(s)}"
    return "", f"{COUNT_IS}, got {short(s)}"


def _percent(answer) -> tuple[str, str]:
    if isinstance(answer, (int, float)):
        value, shown, sign = float(answer), repr(answer), False
    else:
        text = str(answer).strip()
        shown, s = short(text), text.lower()
        sign = s.endswith("%") or s.endswith("percent")
        s = s.removesuffix("%").removesuffix("percent").strip()
        if not _DECIMAL.match(s):
            return "", f"expected a percentage (a number like 33 or 33.5), got {shown}"
        value = float(s.replace(",", "."))
    if not math.isfinite(value) or not 0 <= value <= 100:
        return "", f"a percentage is between 0 and 100, got {shown}"
    if 0 < value < 1 and not sign:
        return "", f"answer in percent: {shown} is less than 1% (write 33 for a third)"
    return str(math.floor(value + 0.5)), ""    # half up, as JavaScript rounds


def config_dict(answer, options: dict | None = None) -> tuple[dict | None, str]:
    """The settings of a config answer as ``{name: value}`` (lower case text), or ``(None, why not)``
    (``options``, if known, are named in the why)."""
    if isinstance(answer, str):
        pairs = {}
        for part in re.split(r"[;,\n]", answer):
            if not part.strip():
                continue
            if "=" not in part:
                return None, f"expected setting=value, got {short(part.strip())}"
            k, v = part.split("=", 1)
            if k.strip().lower() in (x.lower() for x in pairs):    # the later would silently win
                return None, f"the setting {short(k.strip().lower())} is given twice: give each setting once"
            pairs[k.strip()] = v.strip()
        answer = pairs
    if not isinstance(answer, dict):
        return None, f"expected the settings as a dict or as 'setting=value; ...', got {short(answer)}"
    if not answer:
        return None, "no settings given"
    # a setting left blank (the page's and the notebook's blank entry, or "nat=" written): no answer
    # yet, said as the page says it (``_js.py``)
    blank = sorted(str(k).strip().lower() for k, v in answer.items() if isinstance(v, str) and not v.strip())
    if blank:
        return None, f"choose the {' and '.join(blank)} setting{'s' if len(blank) > 1 else ''} first"
    out = {}
    for k, v in answer.items():
        if isinstance(v, (list, tuple, dict, set)) or v is None:
            return None, f"the value of {short(k)} must be one word, got {short(v)}"
        key, val = str(k).strip().lower(), str(v).strip().lower()
        if key in out:                          # {"equalize": ..., "Equalize": ...}
            return None, f"the setting {short(key)} is given twice: give each setting once"
        if not _WORD.match(key):
            return None, f"unknown setting {short(k)}" + (f": the settings are {', '.join(options)}" if options else "")
        if not _WORD.match(val):
            vals = (options or {}).get(key)
            if vals:
                return None, f"{key}={short(v)} is not offered: choose one of {', '.join(str(x).lower() for x in vals)}"
            return None, f"{key}={short(v)} is not a setting value"
        out[key] = val
    return out, ""


def canonical_config(d: dict) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(d.items()))


_SYNONYMS = {"rst": "reset", "y": "yes", "n": "no", "fwd": "forward"}
_INFLECTIONS = ("s", "d", "ed", "es", "ped")
_RATE = re.compile(r"^(?:about |~ ?|approx\.? )?(\d+(?:\.\d+)?) ?([a-z/]*)$", re.ASCII)


def resolve(answer, *, form: str, kind: str, choices=(), options=None, start=None) -> tuple[str, str]:
    """An answer as the checker compares it: ``(canonical text, "")`` or ``("", problem)``.

    More lenient than ``normalise`` with what a person writes by hand: a repair may name
    only the setting it changes (the rest is the broken router), a choice may carry a
    full stop, an inflection (``accepted``), an unambiguous synonym (``RST``) or the
    asked unit (``1500 kbit/s``); an answer of another form shown with choices (an
    endpoint) a full stop too.  An answer that is none of the choices is a problem,
    not a wrong answer."""
    if form == "config":
        d, problem = config_dict(answer, options)
        if problem:
            return "", problem
        if kind == "repair" and start:
            d = {**{k: str(v).lower() for k, v in start.items()}, **d}
        problem = bad_config(d, options or {}, start if kind == "repair" else None)
        return ("", problem) if problem else (canonical_config(d), "")
    norm, problem = parse(answer, form)
    if problem and choices and isinstance(answer, str):
        # a question shown with choices, of any form: a hand-written one may carry a full stop
        # (or quotes) as a choice may (``_choice_for``), "185.27.249.26:8002."
        bare = answer.strip(" \t\r\n.!?'\"`")
        if bare and bare != answer.strip():
            retried = parse(bare, form)
            if not retried[1]:
                norm, problem = retried
    if problem or not choices:
        return norm, problem
    offered = {normalise(c, form): c for c in choices}
    if norm in offered:
        return norm, ""
    if form == "choice":
        hit, problem = _choice_for(norm, offered)
        if hit or problem:
            return hit, problem
    return "", f"{echo(answer)} is not one of: {', '.join(choices)}"


def _choice_for(norm: str, offered: dict) -> tuple[str, str]:
    """The offered choice a hand-written ``norm`` unambiguously means, or ('', a problem) if
    it is a rate in another unit than the choices', or ('', '')."""
    t = norm.strip(" .!?'\"`")
    t = _SYNONYMS.get(t, t)
    if t in offered:
        return t, ""
    squeezed = {o.replace(" ", ""): o for o in offered}
    if t.replace(" ", "") in squeezed:
        return squeezed[t.replace(" ", "")], ""
    inflected = [o for o in offered if t.startswith(o) and t[len(o):] in _INFLECTIONS]
    if len(inflected) == 1:
        return inflected[0], ""
    m = _RATE.match(t)
    rates = {}
    for o in offered:
        om = _RATE.match(o)
        if om and om.group(2):
            rates.setdefault(om.group(2), {})[float(om.group(1))] = o
    if m and len(rates) == 1:
        value, unit = float(m.group(1)), m.group(2)
        asked, by_value = next(iter(rates.items()))
        if unit not in ("", asked, asked.replace("bit/s", "bps")):
            return "", f"answer in {asked}, as the choices are: {', '.join(offered.values())}"
        if value in by_value:
            return by_value[value], ""
    return "", ""


def bad_config(got: dict, options: dict, start: dict | None) -> str:
    """Why the settings ``got`` are not a configuration of ``options`` ('' if they are); a
    ``start`` (a repair) must differ from it in exactly one setting."""
    extra = sorted(set(got) - set(options))
    if extra:
        return f"unknown setting {extra[0]!r}: the settings are {', '.join(options)}"
    for k, vals in options.items():
        vals = [str(v).lower() for v in vals]
        if k not in got:
            return f"missing setting {k!r}: choose one of {', '.join(vals)}"
        if got[k] not in vals:
            return f"{k}={got[k]} is not offered: choose one of {', '.join(vals)}"
    if start:
        changed = [k for k in options if got[k] != str(start[k]).lower()]
        if len(changed) != 1:
            return (f"a repair changes exactly one setting; you changed {len(changed)}"
                    + (f" ({', '.join(changed)})" if changed else ""))
    return ""


def context_title(kind: str) -> str:
    """What the trace lines shown with a prompt are: a predict question's trace stops at it."""
    return "The trace, up to the question:" if kind == "predict" else "From the trace:"


REVEAL_TITLE = "The events that decide it:"     # over the trace lines a right answer reveals


def shared_outcome(data: dict, outcome: str) -> str:
    """An opened outcome that refers to one of the sealed data's ``directions`` ("#1"): that text."""
    shared = data.get("directions") or []
    if re.fullmatch(r"#\d+", outcome) and int(outcome[1:]) < len(shared):
        return shared[int(outcome[1:])]
    return outcome


def beyond(norm: str, form: str, most) -> str:
    """Why a count past what its question allows is wrong (``most``: ``[the greatest count the
    prompt allows, why]``, as ``Instance.sealed`` carries it), '' for any other answer.  A value
    that far off has no sealed why-not of its own (those go only a little past the answer), and
    "Not this one." told a student who typed 999 for a count of 36 packets nothing: this says the
    question's own bound, which the prompt states, and nothing of the answer."""
    if form != "int" or not most or not _COUNT.match(norm or "") or int(norm) <= most[0]:
        return ""
    return most[1]


def out_of_range_text(most: int, why: str = "") -> str:
    """The one text of a count past ``most`` (``why``: what in the prompt bounds it)."""
    if why:
        return f"More than this question allows: {why}, so the count is at most {most}."
    return f"More than this question allows: the count it asks for is at most {most}."


def open_sealed(data: dict, answer) -> tuple[bool, str, dict]:
    """The page's checker, in Python: check ``answer`` against a sealed exercise (``data``:
    what ``Instance.sealed`` and ``Instance.public`` give, and the hint) without the
    simulator or the answer.  Returns (right?, feedback, the opened secret or {})."""
    norm, problem = resolve(answer, form=data["form"], kind=data["kind"], choices=data.get("choices", ()),
                            options=data.get("options"), start=data.get("start"))
    if problem:
        return False, problem, {}
    salt = data["salt"]
    outcome = ""
    sealed_outcome = data.get("outcomes", {}).get(answer_hash(salt, "o|" + norm))
    if sealed_outcome:
        outcome = xor(base64.b64decode(sealed_outcome), _wrap_key(salt, "o|" + norm)).decode()
        outcome = shared_outcome(data, outcome)
    outcome = outcome or beyond(norm, data["form"], data.get("most"))
    h = answer_hash(salt, norm)
    hit = next((wrapped for hashed, wrapped in data["accepted"] if hashed == h), None)
    if hit is None:
        return False, (outcome + "\n\n" if outcome else "") + data["hint"], {}
    content = xor(base64.b64decode(hit), _wrap_key(salt, norm))
    secret = json.loads(xor(base64.b64decode(data["secret"]), content).decode())
    return True, (outcome + "\n\n" if outcome else "") + secret["explanation"], secret


# -- the fingerprint of an exercise instance: which question an exported answer answered ----------
#
# An answer file names the variant (the salt) an answer was given on, not the question: a newer
# version of the book can ask another question of the same variant (a reworded prompt, other
# choices, a simulator fix that moves a number).  Each exported answer carries the fingerprint
# of the instance its page showed, and the grader compares it with its own instance's:
#
#   question     = sha256 of the JSON of [id, form, prompt, choices, options, start, context, call]
#   fingerprint  = sha256("fp|" + question + "|" + salt + "|" + the sorted salted answer hashes)[:16]
#
# The page holds ``question`` (in its sealed data: a hash of text it shows anyway) and the salted
# hashes, and computes the same in JavaScript (``_js.py``): it gains no answer.  A configuration's
# key is the simulator's verdict on the settings chosen (the grader runs them again), so its
# fingerprint has no answer hashes: its question, the simulator call with its seeds, is hashed.

FP_LENGTH = 16


def question_digest(ex_id: str, form: str, prompt: str, choices=(), options=None, start=None, context=(),
                    call: str = "") -> str:
    """The hash of what an exercise asks, as its page shows it."""
    text = json.dumps([ex_id, form, prompt, list(choices or ()), {k: list(v) for k, v in (options or {}).items()},
                       dict(start or {}), list(context or ()), call or ""],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(question: str, salt: str, form: str, hashes) -> str:
    """The fingerprint of an instance from its ``question_digest``, salt and salted answer hashes
    (none for a configuration); the page's ``SX.fingerprint`` computes the same."""
    keyed_hashes = [] if form == "config" else sorted(hashes)
    return hashlib.sha256(f"fp|{question}|{salt}|{','.join(keyed_hashes)}".encode()).hexdigest()[:FP_LENGTH]


def sealed_fingerprint(data: dict) -> str | None:
    """The fingerprint of a sealed exercise (``Instance.sealed``, as a page or a notebook holds it),
    None when it predates fingerprints (no ``question`` in it)."""
    if not isinstance(data.get("question"), str):
        return None
    return fingerprint(data["question"], data["salt"], data["form"], [h for h, _ in data["accepted"]])


@dataclass
class Instance:
    """One exercise as one student sees it; every answer here came from a simulator run."""
    ex_id: str
    chapter: int
    kind: str                       # predict | choice | numeric | config | repair
    title: str
    student: str
    prompt: str                     # Markdown
    form: str                       # choice | int (a count) | percent | endpoint | config
    answer: str                     # the canonical answer (for the key)
    accepted: list[str]             # every normalised answer the checker accepts
    hint: str                       # shown after a wrong answer: why, not what
    explanation: str                # shown after a right answer (and in the key)
    choices: list[str] = field(default_factory=list)          # predict: the options
    options: dict[str, list] = field(default_factory=dict)    # config/repair: field -> values
    start: dict = field(default_factory=dict)                 # repair: the broken setting
    context: list[str] = field(default_factory=list)          # trace lines shown with the prompt
    reveal: list[str] = field(default_factory=list)           # the trace events a right answer reveals
    reveal_svg: str = ""                                      # the deciding event drawn, if sim.view can
    run: dict = field(default_factory=dict)                   # {"scenario":..., "params":...}
    step: int | None = None                                   # the deciding event (index into r.events)
    ask: int | None = None                                    # predict: the event the trace stops at
    outcomes: dict[str, str] = field(default_factory=dict)    # config/repair: choice -> what the sim did;
                                                              # a choice: wrong choice -> why not, here
    judge: object = None                                      # config/repair: choice -> (ok, text), runs sim
    needs_python: bool = False                                # not answerable on the static page: run sim
    directions: list[str] = field(default_factory=list)       # a count: the why-nots of a value too high
                                                              # and too low (``outcomes`` holds them by value)
    most: int | None = None                                   # a count: the greatest the prompt allows
    most_why: str = ""                                        # what in the prompt bounds it (``out_of_range_text``)

    variant: str = ""               # the pool variant ("pool3", or "book"): what seeds and salt come from
    secret: str = field(default="", repr=False, compare=False)  # the course secret ('' practice)
    grading_only: bool = False      # built for the grader: check() only (bank.instance(grading=True))

    @property
    def salt(self) -> str:
        return salt_for(self.variant or self.student, self.ex_id, self.secret)

    @property
    def hashes(self) -> list[str]:
        return [answer_hash(self.salt, a) for a in self.accepted]

    @property
    def question(self) -> str:
        """The hash of what this instance asks (``question_digest``)."""
        return question_digest(self.ex_id, self.form, self.prompt, self.choices, self.options, self.start,
                               self.context, self.run.get("call", ""))

    @property
    def fingerprint(self) -> str:
        """Which question this is, for an exported answer (see ``fingerprint``): the same for the
        page's instance and the grader's (``grading_only``), as a configuration's key is not in it."""
        return fingerprint(self.question, self.salt, self.form, self.hashes)

    def resolve(self, answer) -> tuple[str, str]:
        """``(canonical answer, "")``, or ``("", why this is not an answer to this exercise)``."""
        return resolve(answer, form=self.form, kind=self.kind, choices=self.choices, options=self.options,
                       start=self.start)

    def check(self, answer) -> tuple[bool, str]:
        """(right?, feedback).  Config and repair answers are judged by running the
        simulator on the student's choice; the rest against the simulator's answer.
        An answer that is not one of the expected form gets why, not the hint."""
        norm, problem = self.resolve(answer)
        if problem:
            return False, problem
        if self.kind in ("config", "repair") and self.judge is not None:
            ok, text = self.judge(norm)
            return ok, (text + ("\n\n" + self.explanation if ok else "\n\n" + self.hint))
        if norm in self.accepted:
            return True, self.explanation
        why = self.outcomes.get(norm) or beyond(norm, self.form, self._most())
        return False, (why + "\n\n" if why else "") + self.hint

    def _most(self) -> list | None:
        """``[most, its text]`` for a count with a bound (``beyond``), as the page gets it."""
        return None if self.most is None else [self.most, out_of_range_text(self.most, self.most_why)]

    # -- what the page needs ---------------------------------------------------------------

    def _not_grading_only(self, what: str) -> None:
        if self.grading_only:
            raise ValueError(f"{self.ex_id}: an instance built for grading has no {what}(): "
                             f"build it with bank.instance(..., grading=False)")

    def sealed(self, svg: bool = True, replay: str = "") -> dict:
        """The page's data: salted hashes, a content key wrapped for each right answer,
        and the explanation and reveal encrypted with it.  No answer in plain text
        (``svg=False``: without the drawing of the deciding event, for notebooks;
        ``replay``: the file name of the replay that opens at the deciding event)."""
        self._not_grading_only("sealed")
        salt = self.salt
        content_key = hashlib.sha256(f"{salt}|content|{self.answer}".encode()).digest()
        secret = json.dumps({"explanation": self.explanation, "reveal": self.reveal,
                             "svg": self.reveal_svg if svg else "", "answer": self.answer,
                             **({"replay": replay} if replay else {})}).encode()
        pairs = [[answer_hash(salt, a), b64(xor(content_key, _wrap_key(salt, a)))] for a in self.accepted]
        d = {"salt": salt, "form": self.form, "accepted": pairs, "secret": b64(xor(secret, content_key)),
             "question": self.question}
        if self.outcomes:
            # a count's why-nots are a few texts (too many, too few) over many values: each value seals
            # a reference ("#0") to its text, and the texts are said once ("directions": hints, no
            # answer in them) -- the page learns a value's direction only when that value is typed
            # (both directions are said, whichever the values reach: "too few" missing would say the answer is 0)
            shared = sorted(set(self.directions))
            ref = {t: f"#{k}" for k, t in enumerate(shared)}
            d["outcomes"] = {answer_hash(salt, "o|" + c): b64(xor(ref.get(t, t).encode(), _wrap_key(salt, "o|" + c)))
                             for c, t in self.outcomes.items()}
            if shared:
                d["directions"] = shared
        if self.most is not None:           # the prompt's own bound: public, and no answer in it
            d["most"] = self._most()
        return d

    def public(self) -> dict:
        """What a student sheet shows (no answer, no explanation)."""
        d = {"id": self.ex_id, "chapter": self.chapter, "kind": self.kind, "title": self.title,
             "prompt": self.prompt, "form": self.form, "variant": self.salt, "run": self.run}
        if self.choices:
            d["choices"] = self.choices
        if self.options:
            d["options"] = self.options
        if self.start:
            d["start"] = self.start
        if self.context:
            d["context"] = self.context
        if self.needs_python:
            d["needs_python"] = True
        return d

    def key(self) -> dict:
        """What the instructor's key adds."""
        self._not_grading_only("key")
        d = self.public()
        d.update(answer=self.answer, accepted=self.accepted, explanation=self.explanation,
                 reveal=self.reveal, step=self.step)
        return d
