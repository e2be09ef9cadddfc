"""What one exercise is for one student, and the one checker every front end uses.

An exercise in the bank is a function of a student's variant (a seeded
``random.Random``) that runs the simulator and returns an ``Instance``: the
prompt, the choices, the accepted answers *as the simulator computed them*,
a hint shown after a wrong answer and an explanation shown after a right one.

The checker is the same everywhere:

    normalise(answer)  ->  sha256(salt + "|h|" + normalised)  in  instance.hashes ?

The grader and the notebook call ``Instance.check``; the static page runs the
same normalisation and the same SHA-256 in JavaScript (``html.py``) against
the salted hashes, so no answer is written in the page as plain text.  The
explanation and the revealed replay step are encrypted with a content key
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
from dataclasses import dataclass, field

PEPPER = "1+1<1 exercises v1"
KINDS = ("predict", "numeric", "config", "repair")


def salt_for(student: str, ex_id: str) -> str:
    """The per-student, per-exercise salt (also the 'variant' tag of an exported answer)."""
    return hashlib.sha256(f"{PEPPER}|{student}|{ex_id}".encode()).hexdigest()[:16]


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


# -- normalisation: one function per answer kind, mirrored in JavaScript -----------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ENDPOINT = re.compile(r"^\(?\s*(\d+\.\d+\.\d+\.\d+)\s*[,:.\s]\s*(\d+)\s*\)?$")


def normalise(answer, form: str) -> str:
    """The canonical text of an answer.  ``form`` is ``choice`` (case and blanks
    ignored), ``int``, ``endpoint`` (``a.b.c.d:port``; ``(a.b.c.d, port)`` and
    tcpdump's ``a.b.c.d.port`` too) or ``config`` (a dict or ``k=v;k=v`` text)."""
    if form == "config":
        if isinstance(answer, str):
            pairs = [p.split("=", 1) for p in answer.split(";") if "=" in p]
            answer = {k.strip(): v.strip() for k, v in pairs}
        if not isinstance(answer, dict):
            return ""
        return ";".join(f"{k}={str(v).strip().lower()}" for k, v in sorted(answer.items()))
    s = ("" if answer is None else str(answer)).strip().lower()
    if form == "int":
        s = s.rstrip("%").strip().replace(",", "")
        if not _NUMBER.match(s):
            return ""
        f = float(s)
        return str(math.floor(f + 0.5)) if abs(f) < 1e15 else ""   # half up, as JavaScript rounds
    if form == "endpoint":
        m = _ENDPOINT.match(s)
        return f"{m.group(1)}:{int(m.group(2))}" if m else ""
    return " ".join(s.split())


@dataclass
class Instance:
    """One exercise as one student sees it; every answer here came from a simulator run."""
    ex_id: str
    chapter: int
    kind: str                       # predict | numeric | config | repair
    title: str
    student: str
    prompt: str                     # Markdown
    form: str                       # choice | int | endpoint | config
    answer: str                     # the canonical answer (for the key)
    accepted: list[str]             # every normalised answer the checker accepts
    hint: str                       # shown after a wrong answer: why, not what
    explanation: str                # shown after a right answer (and in the key)
    choices: list[str] = field(default_factory=list)          # predict: the options
    options: dict[str, list] = field(default_factory=dict)    # config/repair: field -> values
    start: dict = field(default_factory=dict)                 # repair: the broken setting
    context: list[str] = field(default_factory=list)          # the replay before the question
    reveal: list[str] = field(default_factory=list)           # the step(s) the answer plays
    reveal_svg: str = ""                                      # the revealed step drawn, if sim.view can
    run: dict = field(default_factory=dict)                   # {"scenario":..., "params":...}
    step: int | None = None                                   # trace index of the revealed step
    outcomes: dict[str, str] = field(default_factory=dict)    # config/repair: choice -> what the sim did
    judge: object = None                                      # config/repair: choice -> (ok, text), runs sim

    @property
    def salt(self) -> str:
        return salt_for(self.student, self.ex_id)

    @property
    def hashes(self) -> list[str]:
        return [answer_hash(self.salt, a) for a in self.accepted]

    def check(self, answer) -> tuple[bool, str]:
        """(right?, feedback).  Config and repair answers are judged by running the
        simulator on the student's choice; the rest against the simulator's answer."""
        norm = normalise(answer, self.form)
        if not norm:
            return False, f"not an answer of the expected form ({self.form}): {answer!r}"
        if self.kind in ("config", "repair") and self.judge is not None:
            bad = self._bad_config(norm)
            if bad:
                return False, bad
            ok, text = self.judge(norm)
            return ok, (text + ("\n\n" + self.explanation if ok else "\n\n" + self.hint))
        if norm in self.accepted:
            return True, self.explanation
        return False, self.hint

    def _bad_config(self, norm: str) -> str:
        got = dict(p.split("=", 1) for p in norm.split(";"))
        for k, vals in self.options.items():
            if k not in got:
                return f"missing setting {k!r}: choose one of {', '.join(map(str, vals))}"
            if got[k] not in [str(v).lower() for v in vals]:
                return f"{k}={got[k]!r} is not offered: choose one of {', '.join(map(str, vals))}"
        extra = sorted(set(got) - set(self.options))
        if extra:
            return f"unknown setting {extra[0]!r}: the settings are {', '.join(self.options)}"
        if self.kind == "repair":
            changed = [k for k in self.options if got[k] != str(self.start[k]).lower()]
            if len(changed) != 1:
                return (f"a repair changes exactly one setting; you changed {len(changed)}"
                        + (f" ({', '.join(changed)})" if changed else ""))
        return ""

    # -- what the page needs ---------------------------------------------------------------

    def sealed(self) -> dict:
        """The page's data: salted hashes, a content key wrapped for each right answer,
        and the explanation and reveal encrypted with it.  No answer in plain text."""
        salt = self.salt
        content_key = hashlib.sha256(f"{salt}|content|{self.answer}".encode()).digest()
        secret = json.dumps({"explanation": self.explanation, "reveal": self.reveal,
                             "svg": self.reveal_svg, "answer": self.answer}).encode()
        pairs = [[answer_hash(salt, a), b64(xor(content_key, _wrap_key(salt, a)))] for a in self.accepted]
        d = {"salt": salt, "form": self.form, "accepted": pairs, "secret": b64(xor(secret, content_key))}
        if self.outcomes:
            d["outcomes"] = {answer_hash(salt, "o|" + c): b64(xor(t.encode(), _wrap_key(salt, "o|" + c)))
                             for c, t in self.outcomes.items()}
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
        return d

    def key(self) -> dict:
        """What the instructor's key adds."""
        d = self.public()
        d.update(answer=self.answer, accepted=self.accepted, explanation=self.explanation,
                 reveal=self.reveal, step=self.step)
        return d
