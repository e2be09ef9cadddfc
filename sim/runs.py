"""Runs remembered by their parameters, one cache for every reader of many runs.

The book's pages ask for the same run more than once (a number in the text, then its
table), and a chapter's exercises ask for the runs of their variants again when the
grader rebuilds them; ``run`` answers a repeated request from the cache.  A run depends
on its scenario, parameters and seed alone, so a remembered run is the one ``sim.run``
would give.  ``forget()`` empties the cache (the class grader does after each student).
``map_runs`` spreads many runs (a Monte Carlo, an estimate over a thousand seeds) over the
CPUs this process may use, with the plain loop's result.
"""
from __future__ import annotations

import functools

import sim


@functools.lru_cache(maxsize=4096)
def _run(scenario: str, items: tuple) -> "sim.Result":
    return sim.run(scenario, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in items})


def run(scenario: str, **params) -> "sim.Result":
    """``sim.run(scenario, **params)``, remembered (a list parameter is remembered as a tuple)."""
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _run(scenario, items)


def forget() -> None:
    """Empty the cache of runs."""
    _run.cache_clear()


JOBS: int | None = None     # processes map_runs may use (None: SIM_JOBS, else one per usable CPU, at most 4; 1: none)
JOBS_ENV = "SIM_JOBS"       # the same from the environment: the book's build, which already runs two
                            # chapters at a time on two cores, sets it to 1 (book/execute_parallel.py)


def usable_cpus(cgroup_root: str = "/sys/fs/cgroup", proc_cgroup: str = "/proc/self/cgroup") -> int:
    """The CPUs this process may use, which in a container is not ``os.cpu_count()`` (the
    host's): those its affinity mask allows (``os.process_cpu_count()`` from Python 3.13,
    else ``os.sched_getaffinity``), at most its cgroup v2 CPU quota rounded up (``cpu.max``,
    "QUOTA PERIOD" or "max PERIOD", of its cgroup and every cgroup above it; the kernel's
    Documentation/admin-guide/cgroup-v2.rst, "CPU Interface Files"), or on cgroup v1 its
    ``cpu`` controller's (``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``, -1 for none, under
    ``cpu,cpuacct/`` or ``cpu/``; Documentation/scheduler/sched-bwc.rst)."""
    import math
    import os
    if hasattr(os, "process_cpu_count"):
        n = os.process_cpu_count() or 1
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0)) or 1
    else:
        n = os.cpu_count() or 1
    try:
        with open(proc_cgroup) as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
    except OSError:
        lines = []
    # "0::/user.slice/..." on cgroup v2; "4:cpu,cpuacct:/docker/..." for v1's cpu controller
    own = next((path for _, ctl, path in (x for x in lines if len(x) == 3) if ctl == ""), "/")
    v1 = next((path for _, ctl, path in (x for x in lines if len(x) == 3) if "cpu" in ctl.split(",")), None)

    def quota_of(*path):
        """The quota in CPUs of the cgroup at ``path`` under the root, or None: no limit."""
        try:
            with open(os.path.join(cgroup_root, *path, "cpu.max")) as f:
                quota, period = f.read().split()[:2]
        except (OSError, ValueError):
            try:
                with open(os.path.join(cgroup_root, *path, "cpu.cfs_quota_us")) as f:
                    quota = f.read().strip()
                with open(os.path.join(cgroup_root, *path, "cpu.cfs_period_us")) as f:
                    period = f.read().strip()
            except OSError:
                return None
        if quota.isdigit() and period.isdigit() and int(quota) > 0 and int(period) > 0:
            return max(1, math.ceil(int(quota) / int(period)))
        return None                                    # "max", -1, or what is not a number

    trees = [((), own)]
    if v1 is not None:
        trees += [(("cpu,cpuacct",), v1), (("cpu",), v1)]
    for mount, path in trees:
        parts = [p for p in path.split("/") if p and p != ".."]
        for depth in range(len(parts), -1, -1):       # the process's cgroup, then each above it
            q = quota_of(*mount, *parts[:depth])
            if q is not None:
                n = min(n, q)
    return n


def _workers() -> int:
    """The processes map_runs may use: ``JOBS``, else ``$SIM_JOBS``, else one per usable CPU
    (``usable_cpus``; at most 4)."""
    import os
    if JOBS is not None:
        return JOBS
    value = os.environ.get(JOBS_ENV, "")
    if not value:
        return min(usable_cpus(), 4)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{JOBS_ENV}={value!r}: expected a whole number of processes, 1 or more")
    return int(value)


def map_runs(fn, jobs) -> list:
    """``[fn(job) for job in jobs]``, spread over the CPUs this process may use (``_workers``).
    A run depends on its own parameters and seed alone, so the list -- every number computed
    from it -- is the plain loop's, whatever the number of workers; only the wall time changes.  ``fn`` must
    be a module-level function (the workers are sent its name).  Without ``fork`` (not
    Linux, or in a browser), with fewer than 64 jobs or with one process allowed (``JOBS = 1``
    or ``SIM_JOBS=1``) the loop runs here."""
    import sys
    jobs = list(jobs)
    workers = _workers()
    if workers < 2 or len(jobs) < 64 or sys.platform != "linux":
        return [fn(job) for job in jobs]
    import concurrent.futures
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as ex:
        return list(ex.map(fn, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
