"""python -m sim.exercises.bench: what grading a class costs (a benchmark, not a test).

It writes ``--students`` answer files (default 500) of one chapter (default 6, equalize
meets NAT, the costliest to grade but for chapter 10, whose estimate of a chance runs
a thousand simulations per student), one student each, as students would hand them
in: most predictions and counts right, some wrong, a configuration or repair chosen at
random (the grader runs whatever was chosen).  Then it grades the folder as an
instructor does -- ``python -m sim.exercises grade --class DIR -o grades.csv
--gradebook gradebook.csv`` in a fresh process -- and prints the wall time, the CPU
time and the peak memory of the largest process, and checks the grades: every file
graded, and each prediction and count scored as it was made.

    python -m sim.exercises.bench [--students N] [--chapter C] [--jobs N] [--keep DIR]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .bank import chapter_ids, chapters, forget_runs, instance
from .grade import answer_file, jobs_default, write_answer_file

ROOT = Path(__file__).resolve().parent.parent.parent
# The grader's command line, run so that it reports its own peak memory and its workers'
# (ru_maxrss: kB on Linux) on its last line of standard error.
MEASURED = ("import resource, sys\n"
            "from sim.exercises.__main__ import main\n"
            "rc = main(sys.argv[1:])\n"
            "print('OP1-RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
            "      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(rc)\n")


def student_id(n: int) -> str:
    return f"s{n:05d}"


def wrong_choice(inst, rng) -> str:
    """An answer of the right form that the simulator does not give."""
    if inst.choices:
        return rng.choice([c for c in inst.choices if c.lower() not in inst.accepted])
    return str(max(int(a) for a in inst.accepted) + 1 + rng.randrange(5))


def answers_of(n: int, chapter: int, secret: str) -> tuple[dict, int]:
    """Student ``n``'s answers to ``chapter`` and how many of the predictions and counts are
    right (configurations are judged by the grader, not counted here)."""
    sid, rng = student_id(n), random.Random(n)
    answers, right = {}, 0
    for ex_id in chapter_ids(chapter):
        inst = instance(ex_id, sid, secret, grading=True)
        if inst.form == "config":
            vals = {k: rng.choice(v) for k, v in inst.options.items()}
            if inst.start:                   # a repair changes one setting of the broken router
                k = rng.choice(list(inst.options))
                vals = dict(inst.start, **{k: rng.choice([v for v in inst.options[k] if v != inst.start[k]])})
            answers[ex_id] = "; ".join(f"{k}={v}" for k, v in vals.items())
        elif rng.random() < 0.75:
            answers[ex_id] = inst.accepted[0]
            right += 1
        else:
            answers[ex_id] = wrong_choice(inst, rng)
    forget_runs(keep_variants=True)     # the pool variants are shared by the next students
    return answers, right


def _write(args) -> tuple[str, int]:
    n, chapter, folder, secret = args
    answers, right = answers_of(n, chapter, secret)
    sid = student_id(n)
    stamp = f"2026-12-01T{8 + n % 12:02d}:{n % 60:02d}:00Z"
    write_answer_file(Path(folder) / f"answers-{sid}.json",
                      answer_file(sid, answers, chapter=chapter, secret=secret,
                                  attempts={k: 1 + n % 3 for k in answers}, exported=stamp))
    return sid, right


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.exercises.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=500)
    ap.add_argument("--chapter", type=int, default=6, choices=chapters())
    ap.add_argument("--jobs", type=int, help="the grader's processes (default: one per CPU)")
    ap.add_argument("--keep", metavar="DIR", help="write the answer files here and keep them (default: a temporary folder)")
    a = ap.parse_args(argv)
    if not 1 <= a.students <= 100_000:
        ap.error(f"--students must be 1 to 100000, got {a.students}")
    secret = "bench course secret"
    with tempfile.TemporaryDirectory(prefix="op1-bench-grade-") as tmp:
        folder = Path(a.keep) if a.keep else Path(tmp) / "answers"
        folder.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        with ProcessPoolExecutor(jobs_default()) as pool:
            made = dict(pool.map(_write, [(n, a.chapter, str(folder), secret) for n in range(a.students)],
                                 chunksize=8))
        print(f"wrote {a.students} answer files of chapter {a.chapter} ({len(chapter_ids(a.chapter))} exercises "
              f"each) in {time.perf_counter() - t:.1f} s", flush=True)

        out, book = Path(tmp) / "grades.csv", Path(tmp) / "gradebook.csv"
        cmd = [sys.executable, "-c", MEASURED, "grade", "--class", str(folder), "-o", str(out),
               "--gradebook", str(book)] + (["--jobs", str(a.jobs)] if a.jobs else [])
        env = dict(os.environ, OP1_COURSE_SECRET=secret, PYTHONPATH=str(ROOT))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss = [line.split()[1:] for line in r.stderr.splitlines() if line.startswith("OP1-RSS ")]
        if r.returncode != 0 or not rss:
            print(f"the grader failed (exit {r.returncode}): {r.stderr.strip()}", file=sys.stderr)
            return 1
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        main_kb, worker_kb = map(int, rss[-1])
        jobs = a.jobs or jobs_default(a.students)      # as the grader chose
        print(f"graded {a.students} files in {wall:.1f} s wall, {cpu:.1f} s CPU, {jobs} worker process"
              f"{'es' if jobs > 1 else ''}; peak memory: the grader {main_kb / 1024:.0f} MB"
              + (f", its largest worker {worker_kb / 1024:.0f} MB" if worker_kb else "")
              + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

        rows = list(csv.DictReader(out.read_text().splitlines()))
        errors = [row for row in rows if row["error"]]
        configs = [k for k in chapter_ids(a.chapter)
                   if instance(k, student_id(0), secret, grading=True).form == "config"]
        wrong = [row["student"] for row in rows
                 if sum(int(row[k]) for k in chapter_ids(a.chapter) if k not in configs) != made[row["student"]]]
        gradebook = list(csv.DictReader(book.read_text().splitlines()))
        print(f"checked: {len(rows)} rows, {len(errors)} errors, {len(wrong)} predictions or counts scored "
              f"otherwise than made, gradebook {len(gradebook)} students; mean score "
              f"{sum(float(g['score']) for g in gradebook) / max(len(gradebook), 1):.2f} / {gradebook[0]['max']}")
        if errors or wrong or len(gradebook) != a.students:
            print("the grades are not what the answer files hold", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
