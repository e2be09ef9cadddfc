"""Writing files and standard output so that a failure leaves nothing half-written.

``atomic_open(path)`` writes into a temporary file in the same directory and renames it
over ``path`` (over the file a symbolic link points to, not the link) only once everything
was written: a full disk, a file-size limit or an
exception on the way leaves ``path`` as it was (absent, or the old file) and no temporary
file behind.  ``write_stdout(text)`` turns a failing standard output (a full disk, a
file-size limit, a reader that went away) into one ``OutputError`` naming it.
"""
from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Iterable


class OutputError(OSError):
    """Standard output could not be written; the message says why, in one line."""


class ReaderGone(OutputError):
    """Standard output's reader went away (EPIPE: ``| head``).  Not a failure to report: the
    command lines stop quietly, as a Unix tool killed by SIGPIPE does, with the status a shell
    gives one (``STATUS``, 128 + SIGPIPE's 13)."""
    STATUS = 141


class Terminated(BaseException):
    """SIGTERM (``kill``, ``timeout``) or SIGHUP (the terminal closed) came: raised where the
    program was, as Ctrl-C's KeyboardInterrupt is, so that what is being written is cleaned up on
    the way out (``atomic_open`` removes its temporary file) and the command line ends with one
    line and ``status``, 128 + the signal's number, as a shell reports a process it killed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.status = 128 + signum


@contextlib.contextmanager
def terminated_like_ctrl_c():
    """Within the block, SIGTERM and SIGHUP raise ``Terminated`` (the first one: a second, while
    the first is cleaned up, is ignored); their handlers are put back after it.  Yields a
    record whose ``status`` is ``Terminated``'s when the signal came after the block's own
    handling (as it returned), else None.  Outside the main thread, where Python takes no
    handler, the block runs as it is."""
    import signal

    class Stopped:
        status = None
    stopped = Stopped()
    signals = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]

    def handler(signum, frame):
        for s in signals:                   # one is enough: let the cleanup finish
            signal.signal(s, signal.SIG_IGN)
        stopped.status = 128 + signum
        raise Terminated(signum)
    try:
        old = {s: signal.signal(s, handler) for s in signals}
    except ValueError:                      # not the main thread
        yield stopped
        return
    try:
        yield stopped
    except Terminated as e:
        stopped.status = e.status
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _through_proc(path) -> bool:
    """Does ``path`` lead through /proc (``/dev/stdout`` -> ``/proc/self/fd/1``, ``/dev/fd/3``)?
    Such a link names an open file descriptor: what it writes to is that descriptor's file,
    which another process holds open, so it is written in place even when it is a regular
    file (a shell's ``> out.txt``), not replaced by a new one the descriptor never sees."""
    p = os.path.abspath(path)
    for _ in range(40):                     # the kernel's own limit on links followed (MAXSYMLINKS)
        p = os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))
        if p == "/proc" or p.startswith("/proc/"):
            return True
        if not os.path.islink(p):
            return False
        p = os.path.join(os.path.dirname(p), os.readlink(p))
    return False


def _own_links(path) -> bool:
    """Is every link on the way from ``path`` to its file the caller's own, in a folder that is
    not sticky (a folder everyone may write to, as /tmp, is)?  True for a path with no link."""
    p = os.path.abspath(path)
    me = os.geteuid()
    for _ in range(40):                     # MAXSYMLINKS
        p = os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            return True
        if not stat.S_ISLNK(st.st_mode):
            return True
        folder = os.stat(os.path.dirname(p))
        if st.st_uid != me or folder.st_mode & stat.S_ISVTX:
            return False
        p = os.path.join(os.path.dirname(p), os.readlink(p))
    return False


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb", encoding: str | None = None):
    """``with atomic_open(p, "w", encoding="utf-8") as f: f.write(...)``: ``p`` appears,
    complete, when the block ends without an exception; otherwise it is left as it was.

    A path that exists and is not a regular file (``/dev/null``, a pipe), or leads through
    /proc (``/dev/stdout``, an open descriptor's file), is written in place: renaming over it would replace a device by a file.  A symbolic
    link is followed: the file it points to is replaced (the temporary file is made in that
    file's folder), the link stays a link -- renaming over the link itself would turn it
    into a plain file (as root, ``-o /dev/stdout`` would replace the machine's
    ``/dev/stdout``) -- if it is the caller's own and not in a sticky folder such as /tmp;
    another's link is replaced by the file (``_own_links``)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes, mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    if not path.name:
        raise IsADirectoryError(21, "Is a directory", str(path))
    try:
        st = os.stat(path)                  # follows links: what a write would reach
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if st is not None and (not stat.S_ISREG(st.st_mode) or _through_proc(path)):
        with open(path, mode, encoding=encoding) as f:
            yield f
        return
    # the file the path leads to (a link's target, through every link; a missing one the
    # link would create) is what is replaced, never a link on the way -- but only a link of
    # the caller's own outside a sticky folder (/tmp) is followed: a rename is not an open,
    # so the kernel's fs.protected_symlinks never asks, and a link someone else planted
    # (in /tmp, in a class's unpacked files) would have root or the grader overwrite its
    # target.  Any other link is replaced by the file, as before links were followed.
    target = Path(os.path.realpath(path)) if _own_links(path) else path
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from None
    try:
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, OutputError) and e.filename in (None, tmp):
            raise OSError(e.errno, e.strerror, str(path)) from None     # name the file asked for
        raise


def atomic_write(path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text as ``encoding``) to ``path`` in one piece; returns the path."""
    if isinstance(data, str):
        data = data.encode(encoding)
    with atomic_open(path, "wb") as f:
        f.write(data)
    return Path(path)


#: standard output is written in pieces of at most this many characters: Python 3.11's
#: ``sys.stdout.write`` of one large string into a pipe whose reader left (``| head -2``) wrote
#: the first 64 KB, lost the rest and reported success (so the status was 0, and a file
#: written with the output appeared); a piece no larger than the output's buffer fails with
#: EPIPE as it should
PIECE = 4096


def write_stdout(text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or strings one after another) to standard output, in pieces
    of at most ``PIECE`` characters, and flush it.  On failure (ENOSPC, EFBIG ...) raise
    ``OutputError`` with one line naming the error, ``ReaderGone`` when the reader went away
    (EPIPE), after pointing standard output at /dev/null so that the interpreter's own flush
    at exit stays quiet."""
    out = sys.stdout
    if out is None:                 # started with standard output closed (``>&-``)
        raise OutputError("cannot write to standard output: it is closed")
    try:
        for text_piece in ([text] if isinstance(text, str) else text):
            for i in range(0, len(text_piece), PIECE):
                out.write(text_piece[i:i + PIECE])
        out.flush()
    except (OSError, ValueError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            fd = out.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        error = ReaderGone if isinstance(e, BrokenPipeError) else OutputError
        raise error(f"cannot write to standard output: {why}") from None


def write_file_then_stdout(path, write, text: str | Iterable[str]) -> None:
    """Write a file with ``write(f)`` and then ``text`` to standard output, so that the file
    appears (whole) only once the output went out too: a failing standard output raises
    ``OutputError`` and leaves no file; a failing file raises ``OSError`` naming ``path``."""
    with atomic_open(path, "wb") as f:
        write(f)
        f.flush()
        write_stdout(text)
