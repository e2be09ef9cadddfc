"""Execute the book's chapters into the jupyter cache, two at a time, before ``jupyter-book build``.

    .venv/bin/python book/execute_parallel.py [CACHE] [-- BUILD COMMAND...]
        (``make book`` runs it with CACHE _build/.jupyter_cache and the jupyter-book build after ``--``)

Jupyter Book 1 executes the chapters one after another while Sphinx reads them, each in its own
kernel: on two cores one of them idles for most of a cold build.  This reads each chapter the
way myst-nb does (its MyST notebook reader, the same code cells and metadata, so the same
jupyter-cache hash), executes the ones the cache lacks in parallel, in the chapter's folder and with the
environment the build gives them (book/op1_exercises.py), and stores them in the cache; the build then finds every chapter there ("Using
cached notebook") and executes none.  A chapter that fails here is not stored: the build
executes it again and reports the failure as it always has.  What a chapter computes does not
depend on what else runs beside it (each kernel is its own process; a run depends on its
parameters and seed alone), so the pages are the sequential build's.

The live panels' slow files (the snapshot: book/op1_inpage.py) are made by a process of their
own (``LiveMaker``) that holds their cache's lock while it makes them.  With a build command
after ``--``, that process starts when a core falls idle at the end of the chapters (or at once
if none is to be executed) and runs while the build command runs: Sphinx uses one core, and
the live files are needed only when it writes the pages with a panel, where it takes the same
lock, waits for them and finds them made.  If that process failed, Sphinx makes them and
reports the failure its way.  The command's exit status is this program's; when it ends (or on
an interrupt, SIGTERM or SIGHUP) a maker still running is stopped with its node process, so none
is left behind.  Without a command, the live files are one of the pool's tasks.  The longest
tasks start first, by the seconds the last run took (``_build/.execute-seconds.json``) or else
``ESTIMATES``; each step's wall and CPU seconds go to ``_build/.execute-steps.json`` (for
book/bench_book.py).
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LIVE = "live files"


def chapters() -> list[Path]:
    """The pages of ``_toc.yml`` that are MyST notebooks, in the table's order."""
    from myst_nb.core.read import is_myst_markdown_notebook
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    paths = [ROOT / f"{f}.md" for f in files]
    return [p for p in paths if is_myst_markdown_notebook(p.read_text())]


def read(path: Path):
    """The notebook myst-nb makes of ``path`` (its reader, as ``myst_nb.sphinx_`` calls it)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig
    return read_myst_markdown_notebook(path.read_text(), config=MdParserConfig(), add_source_map=True,
                                       path=str(path))


def execute(path: Path, record_timing: bool = False):
    """(path, executed notebook or the failure's last line, seconds): the chapter run as
    myst-nb runs it (``record_timing``: each cell's start and end in its metadata, for
    book/time_chapter.py).

    The kernel is stopped at once (``shutdown_kernel="immediate"``) when the last cell is done:
    by then nbclient has every output, and a graceful stop only waits, 0.4-1.4 s of wall time
    and ~0.5 s of CPU a chapter, for the kernel's Python to tear its heap down (the chapters
    start no process that outlives its cell and register nothing to run at exit).  A build
    that executes a chapter itself (myst-nb, when this one failed) stops it gracefully: the
    outputs are the same."""
    from jupyter_cache.executors.utils import single_nb_execution
    conf = yaml.safe_load((ROOT / "_config.yml").read_text()).get("execute", {})
    nb = read(path)
    result = single_nb_execution(nb, cwd=str(path.parent), allow_errors=bool(conf.get("allow_errors")),
                                 timeout=conf.get("timeout", 30), meta_override=True,
                                 record_timing=record_timing, shutdown_kernel="immediate")
    if result.err is not None:
        return path, (result.exc_string or repr(result.err)).strip().splitlines()[-1], result.time
    return path, nb, result.time


#: Seconds each task took in a cold build from nothing on the 2-core development machine
#: (make bench-book, 2026-12-04 03:40 UTC, at a load average of 6-7 from other work, so about
#: twice a quiet machine's; the live files, a task only when execute_parallel runs no build
#: command: 23 s of CPU, made alone): the order tasks start in when this build has no timings
#: of its own yet (``TIMES``, written by every run).  Longest first: the two cores then finish
#: close together.  Any other chapter: its size at 2 kB a second.
ESTIMATES = {"10-two-links.md": 98.0, "06-equalize-nat.md": 56.0, "04-equalize.md": 32.0,
             "03-connection-level.md": 27.0, LIVE: 25.0, "08-real-kernels.md": 24.0, "09-modern-linux.md": 22.0,
             "instructor-guide.md": 12.0, "07-icmp.md": 12.0, "02-route-cache.md": 10.0, "05-nat.md": 9.0,
             "00-preface.md": 8.0, "01-network.md": 4.0}
TIMES = ".execute-seconds.json"       # beside the cache: the last run's seconds per task


def live_files():
    """(LIVE, None or why it failed, seconds): the live panels' files that take long to make
    (Pyodide's memory snapshot, scapy's modules and their bytecode, the gzipped WebAssembly:
    book/op1_inpage.py), made into their caches in ``_build/`` now, beside the chapters, instead
    of afterwards in the single-process Sphinx build, which then finds them made.  They depend
    on node_modules, the live sources and ``sim``, never on a chapter."""
    import time
    t = time.perf_counter()
    try:
        import op1_inpage
        op1_inpage.fetched_bytes()
    except Exception as e:        # the build makes them again and reports the failure its way
        return LIVE, f"{type(e).__name__}: {e}".splitlines()[0], time.perf_counter() - t
    return LIVE, None, time.perf_counter() - t


def _children_cpu() -> float:
    """CPU seconds (user + system) of the child processes reaped so far, theirs included."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class LiveMaker:
    """``python book/op1_inpage.py --cache`` in a process group of its own (its node process
    with it), started by ``start``; ``stop`` ends the group if it is still running.  Its CPU
    time is read when it is reaped (``os.wait4``), so that each step's CPU is its own."""

    ARGV = [sys.executable, str(ROOT / "book" / "op1_inpage.py"), "--cache"]

    def __init__(self, log: Path):
        self.log, self.proc, self.started = log, None, 0.0
        self.cpu = 0.0      # its CPU seconds and its node process's, once it has ended

    def _reap(self, block: bool) -> bool:
        """True if the maker has ended (reaped here, its CPU time read: ``os.wait4``)."""
        if self.proc.returncode is None:
            pid, status, usage = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
            if pid == 0:
                return False
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            self.cpu = usage.ru_utime + usage.ru_stime
        return True

    def start(self) -> None:
        if self.proc is None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self.started = time.time()
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(self.ARGV, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             process_group=0)

    def running(self) -> bool:
        return self.proc is not None and not self._reap(block=False)

    def wait(self) -> None:
        if self.proc is not None:
            self._reap(block=True)

    def stop(self) -> None:
        if self.running():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                for _ in range(200):        # 10 s to end, then killed
                    if not self.running():
                        break
                    time.sleep(0.05)
                else:
                    os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.wait()

    def outcome(self) -> str | None:
        """None if the maker made the files, else the last line of what it said."""
        if self.proc.returncode == 0:
            return None
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {self.proc.returncode}"


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def schedule(todo: list[Path], times: dict[str, float], live: bool = True) -> list[tuple[str, Path | None]]:
    """The tasks, ``(name, chapter)`` (``(LIVE, None)`` for the live files if ``live``), longest first
    (longest-processing-time-first list scheduling): each core takes the next task when it is
    free, so the last to end is a short one and the cores finish close together.  A task's
    length is its seconds in ``times`` (the last run's), else in ``ESTIMATES``, else a
    chapter's size at 2 kB a second; ties keep the table of contents' order."""
    def seconds(task):
        name, path = task
        if name in times:
            return times[name]
        if name in ESTIMATES:
            return ESTIMATES[name]
        return path.stat().st_size / 2000 if path is not None else 5.0
    return sorted([(p.name, p) for p in todo] + [(LIVE, None)] * live, key=lambda t: -seconds(t))


def _import_nbformat() -> None:
    """Import nbformat (myst-nb's reader and jupyter-cache use it) with the optional package
    rfc3987-syntax kept out, as booklib does in the kernels: jsonschema, which nbformat
    imports, would build 38 parsers of it (1-1.5 s, before any chapter starts) for "iri"
    format checks that nothing here makes."""
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None
    try:
        import nbformat  # noqa: F401
    finally:
        if sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    if "--" in argv and not command:
        print("execute_parallel: nothing follows '--'; give the build command after it", file=sys.stderr)
        return 2
    argv = argv[:argv.index("--")] if "--" in argv else argv
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(f"execute_parallel: {argv[-1]!r} is not an argument it takes; usage: execute_parallel.py "
              "[CACHE] [-- BUILD COMMAND...]", file=sys.stderr)
        return 2
    where = Path(argv[0] if argv else ROOT / "_build" / ".jupyter_cache").resolve()  # the kernels run in book/
    maker = LiveMaker(where.parent / "live-maker.log") if command else None
    handlers = {sig: signal.signal(sig, _interrupted) for sig in (signal.SIGTERM, signal.SIGHUP)}
    steps: dict[str, list[float]] = {}
    try:
        execute_chapters(where, maker, steps)
        if not command:
            return 0
        maker.start()           # if no chapter was executed
        t, cpu = time.perf_counter(), _children_cpu()
        reaped = maker.cpu
        rc = subprocess.run(command).returncode
        steps["the build command"] = [time.perf_counter() - t, _children_cpu() - cpu - (maker.cpu - reaped)]
        if rc == 0:
            maker.wait()        # the build did not need them (no page with a panel)
        maker.stop()
        # its wall time: from its start to its last line (its log's time)
        steps["live files (in the background)"] = [maker.log.stat().st_mtime - maker.started, maker.cpu]
        why = maker.outcome()
        if why is not None and rc == 0:
            print(f"execute_parallel: making the live files in the background failed ({why}); "
                  "the build made them", file=sys.stderr)
        return rc
    finally:
        if maker is not None:
            maker.stop()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if steps:
            tmp = where.parent / ".execute-steps.json.part"
            tmp.write_text(json.dumps({k: [round(x, 1) for x in v] for k, v in steps.items()}, indent=1) + "\n")
            tmp.replace(where.parent / ".execute-steps.json")


def execute_chapters(where: Path, maker: LiveMaker | None, steps: dict) -> None:
    """Execute the chapters the cache at ``where`` lacks into it; ``maker``: the live files'
    background maker, started when a core falls idle (else they are one of the pool's tasks).
    Started at once at the lowest priority instead (nice 19), to take only what the chapters
    leave idle, it was no faster (bench-book, 2026-12-04 03:55-04:06 UTC, alternated, load
    1.6-3.3: cold 81.7 s against 68.6 s in the same window; in a session of its own, where the
    scheduler's autogroups make its nice value moot, 75.5 and 75.8 s against 82.7 and 73.8 s)."""
    _import_nbformat()
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    sys.path[:0] = [str(ROOT), str(ROOT / "book")]
    from op1_exercises import FOLDER, forget_unmarked_runs, set_chapter_environment
    forget_unmarked_runs(where.parent)      # as the build would: chapters perhaps run with a course secret
    if where.exists() and not (where.parent / FOLDER).is_dir():
        shutil.rmtree(where)        # as the build would (op1_exercises): the replays must be written anew
    cache = get_cache(str(where))
    todo = []
    for path in chapters():
        try:
            cache.match_cache_notebook(read(path))
        except KeyError:
            todo.append(path)
    jobs = min(len(todo) + (maker is None), os.cpu_count() or 1, 4)
    if not todo or jobs < 2:
        return              # nothing to gain: the build executes what is left, as always
    # the environment the build gives the chapters' kernels (book/op1_exercises.py): the pools
    # built, the replays written beside the cache, where the build expects them; no course secret
    set_chapter_environment(where.parent)
    # two chapters already run at a time, one per core: a chapter's Monte Carlo spread over
    # forked workers (sim.runs.map_runs) would only add their start-up and hand-over (chapter
    # 10's 9,000 runs: 12.0-13.6 s of CPU in two workers, 9.4-11.1 s in the loop, load 5-6)
    os.environ.setdefault("SIM_JOBS", "1")
    try:
        times = {k: float(v) for k, v in json.loads((where.parent / TIMES).read_text()).items()}
    except (OSError, ValueError, AttributeError):
        times = {}
    tasks = schedule(todo, times, live=maker is None)
    t, cpu = time.perf_counter(), _children_cpu()
    with concurrent.futures.ProcessPoolExecutor(jobs) as ex:
        futures = [ex.submit(live_files) if path is None else ex.submit(execute, path) for _, path in tasks]
        pending = len(futures)
        for fut in concurrent.futures.as_completed(futures):
            pending -= 1
            if maker is not None and pending < jobs:
                maker.start()       # a core is idle from now on: the live files take it
            path, nb, seconds = fut.result()
            name = path if path == LIVE else path.name
            times[name] = round(seconds, 1)
            if path == LIVE:
                print(f"execute_parallel: {LIVE} " + (f"{seconds:.1f} s" if nb is None else
                      f"failed ({nb}); the build makes them again"), file=sys.stderr if nb else sys.stdout)
                continue
            if isinstance(nb, str):
                print(f"execute_parallel: {path.name} failed ({nb}); the build runs it again", file=sys.stderr)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"execute_parallel: {path.name} {seconds:.1f} s", flush=True)
    # the maker's CPU, if it ended meanwhile, is its own step's
    steps["executing the chapters"] = [time.perf_counter() - t, _children_cpu() - cpu - (maker.cpu if maker else 0.0)]
    tmp = where.parent / (TIMES + ".part")
    tmp.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    tmp.replace(where.parent / TIMES)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
