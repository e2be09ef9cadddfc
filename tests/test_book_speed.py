"""What makes the book build faster changes none of its numbers.

Chapter 6's Monte Carlo runs its 6,000 simulations through ``booklib.map_runs``,
spread over the cores: the list must be the plain loop's, in order.  And
``booklib.handshake_trial`` must count what the chapter counts: the first two
routing decisions for the connection's packets from the LAN, and the
simulator's verdict on the handshake.  (The build time itself is printed by
``make bench-book``, not asserted.)
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

import sim
from sim.trace import event_dict
from sim.scenarios import unread

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book"))
import booklib  # noqa: E402


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_map_runs_is_the_plain_loop_in_order():
    jobs = list(range(200))
    got = booklib.map_runs(pid_and_square, jobs)
    assert [sq for _, sq in got] == [x * x for x in jobs]
    if (os.cpu_count() or 1) >= 2 and sys.platform == "linux":
        assert os.getpid() not in {pid for pid, _ in got}        # the workers ran them
    assert booklib.map_runs(pid_and_square, [3]) == [(os.getpid(), 9)]   # few jobs: here


def test_map_runs_keeps_to_one_process_when_the_build_says_so(monkeypatch):
    """The book's build runs two chapters at a time and sets SIM_JOBS=1: every run in the
    chapter's own process; a bad value is refused in one line naming it."""
    import sim.runs
    monkeypatch.setattr(sim.runs, "JOBS", None)
    monkeypatch.setenv("SIM_JOBS", "1")
    got = booklib.map_runs(pid_and_square, range(200))
    assert got == [(os.getpid(), x * x) for x in range(200)]
    for bad in ("0", "two", "-3"):
        monkeypatch.setenv("SIM_JOBS", bad)
        with pytest.raises(ValueError, match=f"SIM_JOBS='{bad}'.*1 or more"):
            booklib.map_runs(pid_and_square, range(200))


@pytest.mark.parametrize("jobs", [2, 3])
def test_map_runs_gives_the_same_list_whatever_the_number_of_workers(monkeypatch, jobs):
    import sim.runs
    monkeypatch.setattr(sim.runs, "JOBS", jobs)
    assert [sq for _, sq in booklib.map_runs(pid_and_square, range(200))] == [x * x for x in range(200)]


def test_map_runs_sizes_its_workers_by_the_cpus_this_process_may_use(monkeypatch, tmp_path):
    """In a container os.cpu_count() is the host's: the workers are as many as the affinity
    mask and the cgroup quota (v2's cpu.max, v1's cpu.cfs_quota_us, of the process's cgroup
    and those above it) allow."""
    import sim.runs
    monkeypatch.setattr(sim.runs, "JOBS", None)
    monkeypatch.delenv("SIM_JOBS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    if hasattr(os, "process_cpu_count"):
        monkeypatch.setattr(os, "process_cpu_count", lambda: 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert sim.runs._workers() == 1                          # one CPU allowed, on a 64-core host
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    if hasattr(os, "process_cpu_count"):
        monkeypatch.setattr(os, "process_cpu_count", lambda: 64)
    root, own = tmp_path / "cgroup", tmp_path / "self-cgroup"
    (root / "box" / "kernel").mkdir(parents=True)
    own.write_text("0::/box/kernel\n")
    cpus = lambda: sim.runs.usable_cpus(str(root), str(own))
    assert cpus() == 64                                      # no cpu.max: no quota
    (root / "cpu.max").write_text("max 100000\n")
    assert cpus() == 64
    (root / "box" / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs above the process: 2
    assert cpus() == 2
    (root / "box" / "kernel" / "cpu.max").write_text("50000 100000\n")
    assert cpus() == 1
    own.write_text("0::/\n")                                 # a container's own view: its root
    (root / "cpu.max").write_text("250000 100000\n")
    assert cpus() == 3
    (root / "cpu.max").write_text("garbage\n")
    assert cpus() == 64
    # cgroup v1: the cpu controller's own tree, its quota in cpu.cfs_quota_us (-1: none)
    (root / "cpu.max").unlink()
    v1 = root / "cpu,cpuacct" / "docker" / "abc"
    v1.mkdir(parents=True)
    own.write_text("12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n")
    (v1 / "cpu.cfs_quota_us").write_text("-1\n")
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    assert cpus() == 64
    (v1 / "cpu.cfs_quota_us").write_text("200000\n")        # 2 CPUs
    assert cpus() == 2
    (root / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("100000\n")   # 1 above it
    (root / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpus() == 1


@pytest.mark.parametrize("n", [2, 3, 4])
def test_handshake_trial_counts_what_the_chapter_counts(n):
    seeds = range(1, 41)
    trials = booklib.map_runs(booklib.handshake_trial, [(s, n) for s in seeds] * 2)
    assert trials[:40] == trials[40:]
    for s, (same, ok, how) in zip(seeds, trials):
        r = sim.run("equalize-nat", seed=s, uplinks=n, size=1000)
        d = [event_dict(i, e) for i, e in enumerate(r.events)]
        lan = [x["dev"] for x in d if x["ev"] == "rt_miss" and x["node"] == "router"
               and x["key"]["iif"] == "eth0"]
        c = r.summary["connections"][0]
        assert (same, ok, how) == (lan[0] == lan[1], c["handshake_ok"], c["handshake"])
    assert {same for same, _, _ in trials} == {True, False}       # both outcomes occur


def test_handshake_trial_stops_its_runs_once_decided(monkeypatch):
    """handshake_trial stops its run once the handshake is decided: the stopped runs hold
    fewer events than the whole ones, and a handshake that fails is run to its end."""
    runs = []
    real = sim.run
    monkeypatch.setattr(sim, "run", lambda *a, **k: runs.append(real(*a, **k)) or runs[-1])
    shorter = 0
    for s in range(1, 21):
        _, _, how = booklib.handshake_trial((s, 2))
        whole = real("equalize-nat", seed=s, uplinks=2, size=1000)
        got = list(runs[-1].events)
        assert got == list(whole.events)[:len(got)]
        if how == "failed":
            assert len(got) == len(whole.events)
        shorter += len(got) < len(whole.events)
    assert shorter >= 15


def test_an_estimate_over_the_cores_is_the_plain_loops(monkeypatch):
    """Chapter 10's two-links-chance estimates over 1,000 seeds through ``sim.runs.map_runs``
    (the book builds its 8 pool variants and the book's own): spread over the cores or run in
    one loop, the variant is the same, field for field."""
    import sim.runs
    from sim.exercises.bank import BANK
    from sim.exercises.variants import member_name, rng_for
    name = member_name(3)
    build = BANK["two-links-chance"].build
    spread = build(name, rng_for(name, "two-links-chance", ""))
    monkeypatch.setattr(sim.runs, "JOBS", 1)
    looped = build(name, rng_for(name, "two-links-chance", ""))
    assert spread == looped and spread.answer.isdigit()


@pytest.mark.parametrize("scenario,kind", [("equalize-nat", "rt_miss"), ("connection-level", "deliver"),
                                           ("equalize-public", "nat")])
def test_a_stopped_run_is_the_full_runs_start(scenario, kind):
    """``sim.run(..., stop=f)`` ends with the engine step that recorded the first event for
    which ``f`` is true: its events are the full run's up to that one and what the same step
    recorded after it, not more; a stop that never holds changes nothing."""
    for seed in (1, 2, 7):
        full = sim.run(scenario, seed=seed)
        events = list(full.events)
        firsts = [i for i, e in enumerate(events) if e.ev.value == kind]
        stopped = sim.run(scenario, seed=seed, stop=lambda e: e.ev.value == kind)
        if firsts:
            got = list(stopped.events)
            assert firsts[0] < len(got) < len(events) and got == events[:len(got)]
            assert len(got) - firsts[0] < 8             # that step's own events only
        else:
            assert list(stopped.events) == events
        never = sim.run(scenario, seed=seed, stop=lambda e: False)
        assert never.to_json() == full.to_json()


def test_a_stop_needs_the_trace():
    with pytest.raises(sim.ParamError, match="trace=True"):
        sim.run("equalize-nat", trace=False, stop=lambda e: True)


def test_two_links_chance_stopped_at_the_ack_answers_as_the_whole_run(monkeypatch):
    """Two-links-chance stops each of its runs once the handshake's ACK has left the router:
    for each pool variant's runs (2 to 5 uplinks, the student's addresses; the jobs its build
    hands to map_runs), on many seeds, the answer is the whole run's, and the stop did cut
    the run short."""
    from sim.exercises.bank import BANK
    from sim.exercises.bank import ch10_two_links as ch10
    from sim.exercises.variants import member_name, rng_for
    asked = []
    monkeypatch.setattr(ch10, "map_runs", lambda fn, jobs: asked.append((fn, list(jobs))) or [False])
    for k in range(8):
        name = member_name(k)
        BANK["two-links-chance"].build(name, rng_for(name, "two-links-chance", ""))
    seen, ns = set(), set()
    for fn, jobs in asked:
        assert fn is ch10._same_uplink and len(jobs) == 1000
        params = jobs[0][0]
        ns.add(params["uplinks"])
        for job in jobs[:60]:
            whole = ch10._same_uplink(job, stop=None)
            assert ch10._same_uplink(job) == whole, job
            seen.add(whole)
        r = sim.run("equalize-nat", **params, seed=jobs[0][1], stop=ch10._ack_left)
        assert len(r.events) < len(sim.run("equalize-nat", **params, seed=jobs[0][1]).events)
    assert len(asked) == 8 and seen == {True, False} and len(ns) >= 2


def test_the_build_used_the_chapters_executed_in_parallel():
    """``make book`` executes the chapters into the jupyter cache two at a time
    (book/execute_parallel.py), reading them as myst-nb does; had its notebook differed from
    myst-nb's (another hash), the build would have executed the chapter again and stored a
    newer record for it.  So: every chapter's newest record is the one ``read(path)`` matches."""
    import execute_parallel as ep
    from jupyter_cache import get_cache
    where = Path(__file__).resolve().parent.parent / "_build" / ".jupyter_cache"
    if not where.is_dir():
        why = f"no jupyter cache in {where}: `make book` first (make test does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why + " (CI=true: not skipping)")
        pytest.skip(why)
    cache = get_cache(str(where))
    records = cache.list_cache_records()
    chapters = ep.chapters()
    assert len(chapters) >= 10
    for path in chapters:
        mine = cache.match_cache_notebook(ep.read(path))
        newest = max((r for r in records if Path(r.uri).name == path.name), key=lambda r: r.created)
        assert newest.pk == mine.pk, path.name


def test_the_longest_tasks_start_first():
    """execute_parallel starts the tasks longest first: by the last run's seconds when it has
    them, else by ESTIMATES, else by a chapter's size; the live files are one of the tasks."""
    import execute_parallel as ep
    todo = ep.chapters()
    names = [p.name for p in todo]
    assert "10-two-links.md" in names and "06-equalize-nat.md" in names
    order = [n for n, _ in ep.schedule(todo, {})]
    assert sorted(order) == sorted(names + [ep.LIVE])
    assert order[0] == "10-two-links.md"
    assert order.index("06-equalize-nat.md") < order.index("04-equalize.md") < order.index("01-network.md")
    assert order.index(ep.LIVE) < order.index("01-network.md")
    est = [ep.ESTIMATES[n] for n in order if n in ep.ESTIMATES]
    assert est == sorted(est, reverse=True)
    # the last run's seconds decide over the estimates
    times = {n: 1.0 for n in names} | {"05-nat.md": 99.0, ep.LIVE: 0.5}
    order = [n for n, _ in ep.schedule(todo, times)]
    assert order[0] == "05-nat.md" and order[-1] == ep.LIVE
    # ties keep the table of contents' order
    assert [n for n in order if n not in ("05-nat.md", ep.LIVE)] == [n for n in names if n != "05-nat.md"]


def test_live_files_failing_is_one_line_for_the_build_to_report(monkeypatch):
    """A failure making the live files beside the chapters is one line; the Sphinx build then
    makes them itself, as it did before, and reports a failure its own way."""
    import execute_parallel as ep
    import op1_inpage

    def broken():
        raise op1_inpage.LiveBuildError("node is missing: the test says so\nsecond line")
    monkeypatch.setattr(op1_inpage, "fetched_bytes", broken)
    name, why, seconds = ep.live_files()
    assert name == ep.LIVE and why == "LiveBuildError: node is missing: the test says so" and seconds >= 0


def test_glue_keeps_rfc3987_syntax_out_only_while_myst_nb_is_imported():
    """booklib imports myst-nb's glue without letting jsonschema build rfc3987-syntax's parsers
    (1-1.5 s of every chapter's kernel); the package is importable afterwards, and the glued
    output is myst-nb's own."""
    import importlib.util
    import subprocess
    if importlib.util.find_spec("rfc3987_syntax") is None:
        pytest.skip("rfc3987-syntax is not installed here: nothing to keep out")
    code = (
        "import sys, booklib\n"
        "glue = booklib._myst_glue()\n"
        "import myst_nb, jsonschema\n"
        "assert glue is myst_nb.glue, glue\n"
        "assert 'jsonschema' in sys.modules and 'rfc3987_syntax' not in sys.modules\n"
        "assert 'iri' not in jsonschema.FormatChecker.checkers\n"
        "import rfc3987_syntax\n"
        "assert rfc3987_syntax.is_valid_syntax('iri', 'http://example.org/')\n"
        "print('ok')\n")
    book = Path(booklib.__file__).parent
    out = subprocess.run([sys.executable, "-c", code], cwd=book, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == "ok\n", out.stderr[-2000:]


@pytest.mark.parametrize("scenario", ["equalize-public", "equalize-nat", "thought-question"])
def test_events_at_a_node_are_the_whole_traces_filtered(scenario):
    """booklib.events with a node builds only that node's records (the node column): the
    (index, event) pairs are those of a plain filter over the whole trace, of the same class."""
    r = sim.run(scenario, seed=2, size=20_000)
    whole = list(enumerate(r.events))
    for kinds, node in [(None, "router"), ("send", "local1"), (("deliver", "drop"), "remote1"),
                        ("rt_miss", "router"), ("hop", "lan"), ("send", "nowhere")]:
        ks = None if kinds is None else {kinds} if isinstance(kinds, str) else set(kinds)
        want = [(i, e) for i, e in whole if e.node == node and (ks is None or e.ev.value in ks)]
        got = list(booklib.events(r, kinds, node))
        assert [i for i, _ in got] == [i for i, _ in want]
        assert all(a == b and type(a) is type(b) for (_, a), (_, b) in zip(got, want))
        assert node == "nowhere" or got


@pytest.mark.parametrize("ex_id,k", [("two-links-config", 1), ("two-links-config", 2), ("masq-repair", 0),
                                     ("eqnat-repair", 3)])
def test_a_judge_gives_the_verdict_of_every_seed_run_with_its_trace(ex_id, k):
    """A configuration's judge runs the choice's seeds in order without a trace and stops at
    the first that fails: for every choice the page offers, its verdict is the one of the
    choice run on every seed with the trace kept, the first failing seed named (as the judge
    did before it stopped early)."""
    from sim.exercises.bank import BANK
    from sim.exercises.variants import member_name, rng_for
    name = member_name(k)
    inst = BANK[ex_id].build(name, rng_for(name, ex_id, ""))
    seeds = [int(s) for s in re.search(r"for s in \[([\d, ]+)\]", inst.run["call"]).group(1).split(",")]
    crit = inst.judge.criterion
    fixed = dict(inst.run["params"])
    fixed.pop("seed")
    stopped_early = 0
    for norm, text in inst.outcomes.items():
        params = dict(fixed, **{a: {"true": True, "false": False}.get(b, b)
                                for a, b in (p.split("=", 1) for p in norm.split(";"))})
        try:
            verdicts = [crit(sim.run(inst.run["scenario"], **params, seed=s)) for s in seeds]
        except sim.ParamError as e:
            assert text == f"Not yet. The simulator refuses this router: {e}."
            continue
        bad = [(s, note) for s, (ok, note) in zip(seeds, verdicts) if not ok]
        want = (f"Not yet. With seed {bad[0][0]}: {bad[0][1]}." if bad else
                f"Right. Works for every seed tried ({', '.join(map(str, seeds))}): {verdicts[0][1]}.")
        assert text == want, norm
        stopped_early += bool(bad) and bad[0][0] != seeds[-1]
    assert inst.outcomes and stopped_early


@pytest.mark.parametrize("scenario", ["equalize-nat", "mptcp", "icmp-equalize-nat"])
def test_packet_bytes_are_scapys_and_dissections_kept_by_bytes_are_read_anew(scenario):
    """sim.pcap.to_bytes builds a packet's bytes itself, and pktpane.dissect keeps its reading by
    bytes: asked again (a replay's next step, its pcapng), each gives what scapy builds and
    reads anew, and a packet seen at many hops is read once per distinct record."""
    from sim import pcap
    from sim.view import pktpane
    pktpane.dissect.cache_clear()
    r = sim.run(scenario, seed=3, **({} if "size" in unread(scenario) else {"size": 5000}))
    pkts = [e.pkt for e in r.events if e.pkt is not None]
    for pkt in pkts + pkts[::-1]:
        raw = pcap.to_bytes(pkt)
        assert raw == bytes(pcap.to_scapy(pkt))
        assert pktpane.dissect(raw) == pktpane.dissect.__wrapped__(raw)
    assert pktpane.dissect.cache_info().currsize == len({pcap.to_bytes(p) for p in pkts}) < len(pkts)


def test_a_replays_steps_are_the_plain_filters():
    """An exercise's replay (sim/exercises/site.py) picks its steps reading outwards from the
    question's events: the same steps as filtering the whole trace, for every predict variant
    of chapters 8 to 10 and for made-up questions near both ends of a run."""
    from sim.exercises import site
    from sim.exercises.bank import BANK, _instance, chapter_ids
    from sim.runs import run
    from sim.view.model import DEFAULT_KINDS
    kinds = {getattr(k, "value", k) for k in DEFAULT_KINDS}

    def plain(events, ask, step):
        shown = [i for i, e in enumerate(events) if getattr(e.ev, "value", e.ev) in kinds]
        before = [i for i in shown if i < ask][-site.BEFORE:]
        after = [i for i in shown if i > step][:site.AFTER]
        middle = [i for i in shown if ask <= i <= step]
        if len(middle) > 12:
            middle = middle[:6] + middle[-6:]
        return sorted(set(before + middle + after + [step]))
    questions = 0
    for ex in [e for ch in (8, 9, 10) for e in chapter_ids(ch) if BANK[e].kind == "predict"]:
        for name in ("book", "pool1", "pool6"):
            inst = _instance(ex, name, "", False)
            events = run(inst.run["scenario"], **inst.run["params"]).events
            n = len(events)
            ask = inst.ask if inst.ask is not None else inst.step
            for a, s in ((ask, inst.step), (0, 0), (0, 40), (2, 3), (n - 3, n - 1), (n // 2, n // 2 + 30)):
                assert site.replay_steps(events, a, s, kinds) == plain(events, a, s), (ex, name, a, s)
                questions += 1
    assert questions >= 5 * 3 * 6


def test_chapter9s_histogram_runs_stopped_once_the_server_saw_every_connection():
    """Chapter 9's histogram reads, of each flashget run, only the uplink the server first saw
    each connection by; its runs stop (``booklib.server_saw``) once the server has seen all
    eight.  For the chapter's 60 runs the uplinks read are the whole runs', in order, and every
    run was cut short."""
    def uplinks(r):
        return [c["seen_by_server_as"][0].split(",")[0] if c["seen_by_server_as"] else None
                for c in r.summary["connections"]]
    for mp in ("hash-l3", "hash-l4"):
        for s in range(1, 31):
            kw = dict(seed=s, multipath=mp, nat="masquerade", remote="rfc", size=20_000)
            whole = sim.run("flashget", **kw)
            stopped = sim.run("flashget", **kw, stop=booklib.server_saw(8))
            assert len(uplinks(whole)) == 8 and None not in uplinks(whole)
            assert uplinks(stopped) == uplinks(whole), (mp, s)
            assert len(stopped.events) < len(whole.events) // 10
    # a run in which the server never sees them all is not stopped
    r = sim.run("flashget", seed=1, size=20_000, stop=booklib.server_saw(9))
    assert r.to_json() == sim.run("flashget", seed=1, size=20_000).to_json()


def test_uplink_counts_read_from_the_uplinks_events_are_the_plain_passes():
    """A replay's per-step uplink counters (sim.view's Analysis.uplink_counts) come from the
    uplinks' events up to the last step (the trace's node column picks them): the same
    counts as one pass over every event, for steps anywhere in runs of 1 to 3 uplinks, on a
    stored trace and on a plain list of its events."""
    import types
    from sim.view.model import Analysis, endpoint_node
    from sim.trace import Ev

    def plain(r, steps):
        cnt = {l: [0, 0] for l in r.net.links if l.startswith("uplink")}
        want, out = set(steps), {}
        for i, e in enumerate(r.events):
            if e.ev is Ev.HOP and e.node in cnt:
                cnt[e.node][0 if endpoint_node(e.from_) == "router" else 1] += 1
            if i in want:
                out[i] = {l: tuple(c) for l, c in cnt.items()}
        return out
    for scenario, kw in (("uplink-down", {}), ("equalize-nat", dict(uplinks=3)), ("connection-level", dict(uplinks=1)),
                         ("multilink", dict(size=20_000))):
        r = sim.run(scenario, seed=2, **kw)
        n = len(r.events)
        for steps in ([0], [n - 1], list(range(0, n, 97)), [5, 3, 3, n + 4, -1, n // 2], []):
            got = Analysis(r).uplink_counts(steps)
            assert got == plain(r, steps) and list(got) == list(plain(r, steps)), (scenario, steps[:3])
            listed = types.SimpleNamespace(events=list(r.events), net=r.net, records_nat=r.records_nat)
            assert Analysis(listed).uplink_counts(steps) == got


def test_a_replays_router_tables_fold_only_the_routers_events():
    """sim.view folds the router's tables for a replay's steps from the router's events alone
    (the trace's node column picks them), and finds a device going down the same way: the
    same snapshots and down links as a fold that reads every event (a plain list of them)."""
    import types
    from sim.view.model import Analysis
    from sim.view.topology import _down_links
    for scenario, kw in (("uplink-down", {}), ("equalize-nat", dict(uplinks=3)), ("cache-expiry", {})):
        r = sim.run(scenario, seed=3, **kw)
        n = len(r.events)
        listed = types.SimpleNamespace(events=list(r.events), net=r.net, records_nat=r.records_nat)
        steps = sorted({0, 1, n // 3, n // 2, n - 1} | set(range(7, n, 211)))
        a, b = Analysis(r), Analysis(listed)
        assert a.snapshots(steps) == b.snapshots(steps)
        assert [_down_links(r, a, s) for s in steps] == [_down_links(listed, b, s) for s in steps]
        if scenario == "uplink-down":
            assert any(_down_links(r, a, s) for s in steps)      # the failure is among them
