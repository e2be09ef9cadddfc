"""Per-student variants: one seeded ``random.Random`` per (student, exercise).

The same student id always gives the same seeds, uplink counts, link speeds
and question steps, in any process (SHA-256, never Python's salted ``hash()``),
so a sheet, the page, the notebook and the grader agree without storing anything.
"""
from __future__ import annotations

import hashlib
import random
import re

STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class StudentError(ValueError):
    """A student id that can't be used; the message says what is allowed."""


def check_student(student: str) -> str:
    if not isinstance(student, str) or not STUDENT_RE.match(student):
        raise StudentError(f"bad student id {student!r}: use 1-64 letters, digits, '_', '.', '@' or '-', "
                           f"starting with a letter or digit")
    return student


def rng_for(student: str, ex_id: str) -> random.Random:
    seed = int.from_bytes(hashlib.sha256(f"variant|{student}|{ex_id}".encode()).digest()[:8], "big")
    return random.Random(seed)


SPEEDS = (500, 1000, 1500, 2000, 3000, 4000)


def two_speeds(rng: random.Random, ratio: float = 2.0) -> list[int]:
    """Two different downstream speeds (kbit/s), at least ``ratio`` apart."""
    while True:
        a, b = rng.sample(SPEEDS, 2)
        if max(a, b) >= ratio * min(a, b):
            return [a, b]
