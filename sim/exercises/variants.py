"""Per-student variants: one seeded ``random.Random`` per (student, exercise).

The same student id always gives the same seeds, uplink counts, link speeds
and question steps, in any process (SHA-256, never Python's salted ``hash()``),
so a sheet, the page, the notebook and the grader agree without storing anything.

The pool.  A student's variant of an exercise is one of ``POOL`` variants, the *pool*:
``pool_index(student, ex_id, course)`` picks it by SHA-256 of the course id, the student id and
the exercise, a rule simple enough to run in a web page too (``_js.py`` computes the same).  So
the shared static book can carry every variant of the pool, pre-computed, and show each student
theirs, while the grader, the per-student page and the notebooks compute the same one.  The
variant is the *member* ``member(student, ex_id, course)`` ("pool3", "pool3@course") whose seeds
and salt everything else is drawn from; the student id no longer enters them.  Two students
share an exercise's variant with chance 1/``POOL``.  ``course`` (``$OP1_COURSE_ID``, '' for the
published book) gives a course its own pool and mapping.

The course secret.  Without one (practice mode) a variant depends only on the
student id and constants in this source, so anybody -- a student too -- can
compute anybody's key.  With a secret (the environment variable
``OP1_COURSE_SECRET``, or ``--secret-file FILE`` on the command line) the
variant and the salts are keyed with it (HMAC-SHA-256): only who holds the
secret can make a student's sheet, key, page or grade.  The book's own pages
(student ``book``) never use it.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import random
import re
import stat
from pathlib import Path

BOOK_STUDENT = "book"      # the variant the book's pages show: the article's addresses
STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}\Z")  # \Z: "alice\n" is no id; + for maria+net@uni.edu
SECRET_ENV = "OP1_COURSE_SECRET"
COURSE_ENV = "OP1_COURSE_ID"
POOL = 8                   # variants per exercise: the shared site carries them all


class StudentError(ValueError):
    """A student id that can't be used; the message says what is allowed."""


class SecretError(ValueError):
    """A course secret that can't be used; the message says why."""


def env_secret() -> str:
    """The course secret from the environment (``OP1_COURSE_SECRET``), or '' (practice mode)."""
    return os.environ.get(SECRET_ENV, "").strip()


MAX_FILE = 5_000_000        # bytes: rosters, secrets and answer files are a few kB


class TooLarge(Exception):
    pass


def read_small(path, what: str) -> bytes:
    """The bytes of the regular file ``path``, refused (TooLarge, naming it) if it is
    something else -- a FIFO would block, a device never end -- or over MAX_FILE bytes."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise TooLarge(f"{what} {path} is not a regular file" if not stat.S_ISDIR(st.st_mode)
                       else f"{what} {path} is a folder, not a file")
    if st.st_size > MAX_FILE:
        raise TooLarge(f"{what} {path} has {st.st_size:,} bytes: it can't be one "
                       f"(at most {MAX_FILE:,}; they are a few kB)")
    with open(path, "rb") as f:
        data = f.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise TooLarge(f"{what} {path} grew past {MAX_FILE:,} bytes while it was read")
    return data


def read_text_file(path, what: str, error: type) -> str:
    """An instructor's small text file (``what``: "the roster", "the secret file"), read
    as UTF-8 (a BOM from Notepad is fine); a problem is one ``error`` naming the file."""
    try:
        return read_small(path, what).decode("utf-8-sig")
    except TooLarge as e:
        raise error(str(e)) from None
    except OSError as e:
        raise error(f"can't read {what} {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        sheet = (f"in Excel: Save as, 'CSV UTF-8 (Comma delimited)'; in LibreOffice: Save as, Text CSV, "
                 f"character set Unicode (UTF-8); " if str(path).lower().endswith((".csv", ".txt", ".tsv")) else "")
        raise error(f"{what} {path} is not a UTF-8 text file: save it as UTF-8 ({sheet}in Notepad: Save as, "
                    f"Encoding UTF-8)") from None


def read_secret_file(path) -> str:
    """The course secret in ``path`` (its first line, blanks stripped)."""
    text = read_text_file(path, "the secret file", SecretError)
    lines = text.strip().splitlines()
    if not lines or not lines[0].strip():
        raise SecretError(f"the secret file {path} is empty: put the course secret on its first line")
    return lines[0].strip()


def secret_for(student: str, secret: str | None = None) -> str:
    """The secret a variant of ``student`` uses: ``secret``, or the environment's when it is
    None; never one for the book's own pages."""
    if student == BOOK_STUDENT:
        return ""
    return env_secret() if secret is None else secret


def keyed(secret: str, text: str) -> bytes:
    """SHA-256 of ``text`` without a secret, HMAC-SHA-256 keyed with it otherwise."""
    if not secret:
        return hashlib.sha256(text.encode()).digest()
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()


def check_student(student: str) -> str:
    """``student`` as the exercises know it: ids are case-insensitive (``S101`` is ``s101``, as a
    roster, an LMS and a student typing it may spell it), so the lower-case id."""
    if not isinstance(student, str) or not STUDENT_RE.match(student):
        raise StudentError(f"bad student id {student!r}: use 1-64 ASCII letters, digits, '_', '.', '@', '+' or '-', "
                           f"starting with a letter or digit")
    return student.lower()


def env_course() -> str:
    """The course id from the environment (``OP1_COURSE_ID``), or '' (the published book)."""
    return os.environ.get(COURSE_ENV, "").strip()


def check_course(course: str) -> str:
    if course and (not isinstance(course, str) or not STUDENT_RE.match(course)):
        raise StudentError(f"bad course id {course!r}: use 1-64 ASCII letters, digits, '_', '.', '@', '+' or '-', "
                           f"starting with a letter or digit")
    return course


def course_for(course: str | None = None) -> str:
    """``course``, or the environment's when it is None; checked."""
    return check_course(env_course() if course is None else course)


def pool_index(student: str, ex_id: str, course: str = "") -> int:
    """Which of the ``POOL`` variants of ``ex_id`` is ``student``'s: the first four bytes of
    SHA-256("pool|course|student|ex_id"), big-endian, modulo ``POOL``, with the id in lower case
    (ids are case-insensitive: ``check_student``; the page's JavaScript computes the same; never
    keyed with the secret, which a page doesn't have)."""
    digest = hashlib.sha256(f"pool|{course}|{student.lower()}|{ex_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % POOL


def member_name(k: int, course: str = "") -> str:
    """The name of pool variant ``k`` (what seeds and salts are drawn from)."""
    return f"pool{k}" + (f"@{course}" if course else "")


def member(student: str, ex_id: str, course: str | None = None) -> str:
    """The variant ``student`` gets of ``ex_id``: ``book`` for the book's own pages, else the
    name of their pool variant (``course``: None takes ``$OP1_COURSE_ID``)."""
    if student == BOOK_STUDENT:
        return BOOK_STUDENT
    course = course_for(course)
    return member_name(pool_index(student, ex_id, course), course)


_MEMBER = re.compile(r"pool(\d+)(?:@(.+))?")


def dealt(name: str, ex_id: str, choices, secret: str = "") -> str | None:
    """The right answer pool variant ``name`` of ``ex_id`` is built to have, for an exercise
    whose variant can be searched for one (a seed whose run gives it): the ``choices`` dealt
    round the pool (each to ``POOL // len(choices)`` variants or one more), so that every
    choice is the right answer of some variant -- drawn freely, a pool of 8 could leave one
    out (eqnat-remote's never had "ignore": a student who knew it struck it off).  Which
    variants get which is shuffled with the course secret (``keyed``), as a variant's own
    draws are: with one, nobody can tell from the public pool index whose answers agree.
    None for a name that is no pool variant (the book's own, ``book``)."""
    m = _MEMBER.fullmatch(name)
    if not m:
        return None
    k, course = int(m.group(1)), m.group(2) or ""
    deal = [choices[i % len(choices)] for i in range(POOL)]
    random.Random(int.from_bytes(keyed(secret, f"deal|{course}|{ex_id}")[:8], "big")).shuffle(deal)
    return deal[k % POOL]


def rng_for(student: str, ex_id: str, secret: str = "") -> random.Random:
    """The variant's random source (``secret``: the course secret, '' in practice mode)."""
    seed = int.from_bytes(keyed(secret, f"variant|{student}|{ex_id}")[:8], "big")
    return random.Random(seed)


SPEEDS = (500, 1000, 1500, 2000, 3000, 4000)


def two_speeds(rng: random.Random, ratio: float = 2.0) -> list[int]:
    """Two different downstream speeds (kbit/s), more than ``ratio`` apart: exactly twice apart,
    "twice the slower line" would be the faster line's speed, and a student who thought the
    second line useless would pick the right number."""
    while True:
        a, b = rng.sample(SPEEDS, 2)
        if max(a, b) > ratio * min(a, b):
            return [a, b]


# First octets of ordinary unicast space that ISPs and hosters hand out: none is private
# (10/8, 172.16/12, 192.168/16), shared (100.64/10), loopback, link-local, benchmarking,
# documentation, multicast or reserved, and none is the engine's own (192.168.0.0/24, 172.31/16).
PUBLIC_FIRST_OCTETS = (31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92,
                       93, 94, 95, 109, 130, 141, 145, 151, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217)
EPHEMERAL_PORTS = (32768, 59000)     # Linux's ip_local_port_range starts at 32768; the engine allows <= 60000


def addressing(rng: random.Random, uplinks: int) -> dict:
    """The student's addresses and ports for a ``sim.run`` call::

        dict(uplink_addrs=[one per uplink], remote_addrs=[remote1, remote2], port_base=N)

    Public-looking addresses, each in its own /24 with its own first octet (so two are told
    apart at a glance), host part 1..253 (the provider's gateway is .254); ``port_base`` is
    the LAN hosts' first source port, drawn from the Linux ephemeral range, clear of the
    article NAT model's 6000, 7000 ... .  One draw from ``rng`` seeds all of it, so the rest
    of a variant doesn't depend on how many tries an address took.
    """
    sub = random.Random(rng.getrandbits(64))
    firsts = sub.sample(PUBLIC_FIRST_OCTETS, uplinks + 2)
    addrs = [f"{a}.{sub.randrange(1, 255)}.{sub.randrange(0, 256)}.{sub.randrange(1, 254)}" for a in firsts]
    return dict(uplink_addrs=addrs[:uplinks], remote_addrs=addrs[uplinks:],
                port_base=sub.randrange(*EPHEMERAL_PORTS))
