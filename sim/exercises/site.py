"""The shared site: every exercise carries its pool of variants, and each variant of a predict
exercise has a replay, a separate static file the page loads only once it is answered right.

A book build turns this on for its chapters (``book/op1_exercises.py`` sets the environment
before the chapters run): ``OP1_EXERCISE_POOL=1`` makes ``chapter_html`` and ``exercise_html``
carry the pool; ``OP1_EXERCISE_REPLAY_DIR`` is the folder the replays are written to and
``OP1_EXERCISE_REPLAY_URL`` where the pages find them.  A chapter run in a Jupyter kernel
(Binder, a hub) carries the pool too, without the replays (``html.in_kernel``); elsewhere (a
hand-out page, a script) an exercise shows one variant.

The pool never uses a course secret, whatever the environment holds: the pool is
published with the book, and variants made with the secret would publish every
student's graded variant -- their questions, and the hashes that check their answers.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import subprocess
from pathlib import Path

from .bank import pool_instance, run
from .model import Instance
from .variants import POOL, course_for

POOL_ENV = "OP1_EXERCISE_POOL"
REPLAY_DIR_ENV = "OP1_EXERCISE_REPLAY_DIR"
REPLAY_URL_ENV = "OP1_EXERCISE_REPLAY_URL"
BEFORE = 6          # steps of the replay before the question's event
AFTER = 4           # and after the deciding event


#: What a build or a grader without git says of its version (``source_commit``).
UNKNOWN_COMMIT = "unknown"


#: What a version known by its files, not by a commit, starts with (``files_digest``).
FILES = "files-"
FILES_RE = re.compile(rf"{FILES}[0-9a-f]{{12}}")
#: The package's files a digest reads (``files_digest``): what a wheel of it installs, its
#: Python, the players' CSS and JavaScript (not __pycache__, which differs from one run to the next).
_DIGESTED = (".py", ".css", ".js")


@functools.lru_cache(maxsize=None)
def files_digest() -> str:
    """This package's version without git: ``files-`` and the first 12 hexadecimal digits of
    SHA-256 over its files' paths and bytes, in order -- the same for a git checkout and for what
    ``pip install`` copied of it, different as soon as one file differs."""
    pkg = Path(__file__).resolve().parents[1]   # sim/
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*")):
        if p.suffix in _DIGESTED and "__pycache__" not in p.parts and p.is_file():
            h.update(p.relative_to(pkg).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return FILES + h.hexdigest()[:12]


@functools.lru_cache(maxsize=None)
def source_commit(root: str | None = None) -> str:
    """The commit of the repository at ``root`` (default: the one this package is in), as
    ``git rev-parse --short HEAD`` gives it.  Without git, or outside a repository (a
    pip-installed package: its folder is no repository's root, and the one around a virtual
    environment is not its), the digest of this package's files (``files_digest``) where ``root``
    is this package's (the default, or the folder holding it); else ``UNKNOWN_COMMIT``.  The site
    says it in every page's footer and every export (``"built"``), and the grader compares it
    with its own (``grade``)."""
    here = Path(__file__).resolve().parents[2]
    root = Path(root).resolve() if root else here
    fallback = files_digest() if root == here else UNKNOWN_COMMIT
    if not (root / ".git").exists():
        return fallback
    try:
        r = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return fallback
    commit = r.stdout.strip()
    return commit if r.returncode == 0 and re.fullmatch(r"[0-9a-f]{4,40}", commit) else fallback


def same_commit(a: str, b: str) -> bool:
    """Are two commits, each abbreviated to its own length (``source_commit``), the same?  Not
    when either is unknown."""
    if FILES_RE.fullmatch(a) or FILES_RE.fullmatch(b):    # a digest of files is the same, or not
        return a == b
    return UNKNOWN_COMMIT not in (a, b) and (a.startswith(b) or b.startswith(a))


def pool_on() -> bool:
    return os.environ.get(POOL_ENV, "").strip().lower() not in ("", "0", "false", "no")


def pool(ex_id: str) -> list[Instance]:
    """The exercise's ``POOL`` variants for this build's course (``$OP1_COURSE_ID``), made
    without a course secret even when ``$OP1_COURSE_SECRET`` is set: the pool is published."""
    course = course_for(None)
    return [pool_instance(ex_id, k, course, "") for k in range(POOL)]


def replay_html(inst: Instance) -> str:
    """A stand-alone replay of the variant's run around its question, opening at the event that
    decides it (the tables show what that event created, hit or deleted)."""
    from sim.view import Player
    from sim.view.model import DEFAULT_KINDS
    r = run(inst.run["scenario"], **inst.run["params"])
    steps = replay_steps(r.events, inst.ask if inst.ask is not None else inst.step, inst.step,
                         {getattr(k, "value", k) for k in DEFAULT_KINDS})
    title = f"{inst.title}: the replay at event {inst.step}"
    p = Player(r, title=title, steps=steps, at=inst.step)
    from sim.view.player import standalone_page
    return standalone_page([p.html()], title)


def replay_steps(events, ask: int, step: int, kinds: set) -> list[int]:
    """The replay's steps: of the events of ``kinds`` (the player's), the ``BEFORE`` last before
    ``ask``, those from ``ask`` to ``step`` (the first and last six if more than twelve), the
    ``AFTER`` first after ``step``, and ``step``.  Read outwards from ``ask`` and ``step``, so
    a long run's other events are not read."""
    def shown(i: int) -> bool:
        ev = events[i].ev
        return getattr(ev, "value", ev) in kinds
    before, i = [], ask - 1
    while i >= 0 and len(before) < BEFORE:
        if shown(i):
            before.append(i)
        i -= 1
    middle = [i for i in range(max(ask, 0), step + 1) if shown(i)]
    if len(middle) > 12:
        middle = middle[:6] + middle[-6:]
    after, i = [], step + 1
    while i < len(events) and len(after) < AFTER:
        if shown(i):
            after.append(i)
        i += 1
    return sorted(set(before + middle + after + [step]))


def replay_name(inst: Instance) -> str:
    """The file name of the variant's replay on the shared site: derived from its salt and its
    answer, so only a right answer (which decrypts it) tells the page where its replay is."""
    return hashlib.sha256(f"{inst.salt}|replay|{inst.answer}".encode()).hexdigest()[:24] + ".html"


def replay_url() -> str:
    return os.environ.get(REPLAY_URL_ENV, "") if os.environ.get(REPLAY_DIR_ENV) else ""


#: The folder's own page: a web server that lists a folder without an index page (Python's
#: http.server, Apache's and nginx's directory listings) would list every replay, and a replay's
#: title names its exercise and it narrates the outcome -- a student could find their answer by
#: browsing the list.  With this page there, the folder's address shows it instead.
INDEX = "index.html"
INDEX_HTML = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="robots" '
              'content="noindex"><title>Nothing here</title></head>\n<body><p>Nothing here.</p></body></html>\n')


def write_replays(insts: list[Instance]) -> None:
    """Write the replay of each predict variant into ``$OP1_EXERCISE_REPLAY_DIR`` (once: a file's
    name is derived from its variant's salt and answer, see ``replay_name``), and the folder's
    ``INDEX`` page, which keeps a server from listing the replays."""
    from .._io import atomic_write
    folder = os.environ.get(REPLAY_DIR_ENV)
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    if not (Path(folder) / INDEX).exists():
        atomic_write(Path(folder) / INDEX, INDEX_HTML)
    for inst in insts:
        if inst.step is None:
            continue
        path = Path(folder) / replay_name(inst)
        if not path.exists():
            atomic_write(path, replay_html(inst))
