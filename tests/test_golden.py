"""Golden hashes: every scenario's outputs are byte-identical to those recorded.

For every scenario (small sizes, a few seeds) and the main option variants (NAT
models, multipath policies, equalize, the remote's behaviour, ingress filtering,
TCP profiles, congestion control, more uplinks, PPP Multilink, cache flushes, a
line going down, MPTCP subflows), ``tests/data/golden.json`` holds the sha256 of

- ``text``: the text trace and summary (``python -m sim run ... --format text``),
- ``json``: the JSON trace (``--format json``),
- ``pcapng``: the capture (``--pcap``),
- ``state``: the router's tables rebuilt from the trace (``Result.state_at``) at
  every tenth event and the last,
- ``views`` (some cases): every event in words (``sim.view.narrate`` for every
  event, the book's ``booklib.describe``) and the players' router snapshots.

A change to the engine's internals (how events are stored, how state is folded,
how policies are dispatched) must leave all of them unchanged: a difference fails
the case and names the output that changed.  When an output *should* change (it
was wrong), regenerate the file from the fixed code and say why in the commit:

    GOLDEN_RECORD=1 .venv/bin/python -m pytest tests/test_golden.py -q

(recording rewrites every case and then passes; without the variable the test
only compares).

The book's numbers: ``tests/data/golden-book.json`` holds every value a chapter
glues into its text (``booklib.glue``), as the executed chapters of a build
left them in ``_build/jupyter_execute/book/*.glue.json``; ``make test`` builds
the book first, and the test compares each recorded value with the build's (a
value added since is not checked; one changed or gone fails).  Record them from
a book built from the same commit:

    GOLDEN_RECORD=1 GOLDEN_BOOK=_build/jupyter_execute .venv/bin/python -m pytest tests/test_golden.py -q -k book
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from enum import Enum
from pathlib import Path

import pytest

import sim

GOLDEN = Path(__file__).parent / "data" / "golden.json"
GOLDEN_BOOK = Path(__file__).parent / "data" / "golden-book.json"
BUILT = Path(os.environ.get("GOLDEN_BOOK") or Path(__file__).resolve().parent.parent / "_build" / "jupyter_execute")
RECORD = os.environ.get("GOLDEN_RECORD") == "1"

SMALL = {"size": 20_000}


def _cases() -> dict[str, dict]:
    cases: dict[str, dict] = {}
    for name in sim.SCENARIOS:
        for seed in (1, 2, 3):
            p = dict(SMALL, seed=seed)
            if name == "mptcp":
                p["size"] = 100_000
            if name in ("thought-question", "flashget", "uplink-down", "hash-l4-nat"):
                p["connections"] = 3
            if name in ("echo", "ping", "icmp-equalize-nat", "udp-equalize-nat"):
                p.pop("size")
            cases[f"{name}/seed{seed}"] = (name, p)
    for nat in ("article", "netfilter", "snat", "masquerade", "none"):
        for seed in (1, 2):
            cases[f"equalize-nat/nat={nat}/seed{seed}"] = ("equalize-nat", dict(SMALL, nat=nat, seed=seed))
        cases[f"connection-level/nat={nat}"] = ("connection-level", dict(SMALL, nat=nat, seed=4))
        cases[f"icmp-equalize-nat/nat={nat}"] = ("icmp-equalize-nat", {"nat": nat, "seed": 2})
        cases[f"udp-equalize-nat/nat={nat}"] = ("udp-equalize-nat", {"nat": nat, "seed": 2})
        cases[f"echo/nat={nat}"] = ("echo", {"nat": nat, "seed": 1})
    for policy in ("random", "wrr", "hash-l3", "hash-l4", "numgen", "connmark"):
        for nat in ("article", "masquerade"):
            cases[f"flashget/multipath={policy}/nat={nat}"] = (
                "flashget", dict(SMALL, multipath=policy, nat=nat, seed=2, connections=3))
        cases[f"ping/multipath={policy}"] = ("ping", {"multipath": policy, "seed": 1})
    for policy in ("random", "wrr"):
        cases[f"equalize-public/multipath={policy}/uplinks=3"] = (
            "equalize-public", dict(SMALL, multipath=policy, uplinks=3, seed=1))
    cases["equalize-nat/remote=rfc"] = ("equalize-nat", dict(SMALL, remote="rfc", seed=2))
    cases["equalize-nat/ingress-filter"] = ("equalize-nat", dict(SMALL, ingress_filter=True, seed=2))
    cases["equalize-nat/netfilter/rfc/filter"] = (
        "equalize-nat", dict(SMALL, nat="netfilter", remote="rfc", ingress_filter=True, seed=3))
    cases["equalize-public/cc=reno/tcp=linux"] = (
        "equalize-public", dict(SMALL, cc="reno", tcp="linux", seed=1))
    cases["hash-l4-nat/tcp=2.4/cc=reno"] = ("hash-l4-nat", dict(SMALL, tcp="2.4", cc="reno", seed=1))
    cases["echo/snat/filter/uplinks=3"] = ("echo", {"nat": "snat", "ingress_filter": True, "uplinks": 3})
    cases["echo/masquerade/uplinks=3"] = ("echo", {"uplinks": 3, "seed": 2})
    cases["ping/snat/uplinks=3"] = ("ping", {"nat": "snat", "uplinks": 3})
    cases["connection-level/bundle"] = ("connection-level", dict(SMALL, bundle=True, nat="masquerade"))
    cases["cache-expiry/nat=netfilter"] = ("cache-expiry", dict(SMALL, nat="netfilter", seed=3))
    cases["connection-level/flush_at"] = ("connection-level", dict(SMALL, size=60_000, flush_at=[0.1, 0.2]))
    cases["connection-level/down_at"] = (
        "connection-level", dict(SMALL, size=100_000, multipath="connmark", nat="masquerade",
                                 down_at=0.3, read_timeout=3.0, connections=2))
    cases["uplink-down/down_uplink=1/snat"] = (
        "uplink-down", dict(SMALL, size=40_000, connections=2, down_uplink=1, nat="snat", seed=2))
    cases["mptcp/subflows=3/uplinks=3"] = ("mptcp", {"size": 100_000, "subflows": 3, "uplinks": 3})
    cases["mptcp/down_at"] = ("mptcp", {"size": 150_000, "down_at": 0.3, "seed": 2})
    cases["thought-question/wrr"] = ("thought-question", dict(SMALL, multipath="wrr", size=10_000, connections=2))
    cases["multilink/addrs"] = ("multilink", dict(SMALL, uplink_addrs=["11.0.0.1", "12.0.0.1"],
                                                  remote_addrs=["13.0.0.1", "14.0.0.1"], port_base=20000))
    return cases


CASES = _cases()
# the cases whose every event is also rendered by the views (narration, book, snapshots)
VIEW_CASES = [k for k in CASES if k.endswith("/seed1")] + [
    "equalize-nat/nat=netfilter/seed1", "echo/nat=snat", "connection-level/down_at",
    "connection-level/flush_at", "flashget/multipath=connmark/nat=masquerade",
    "echo/snat/filter/uplinks=3", "equalize-nat/ingress-filter"]


def _canon(v):
    """A value as JSON with a stable order (sets sorted, enums by value, packets by summary)."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: _canon(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, dict):
        return [[_canon(k), _canon(x)] for k, x in v.items()]
    if isinstance(v, (list, tuple)):
        return [_canon(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return sorted(_canon(x) for x in v)
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return v


def _sha(s: str | bytes) -> str:
    return hashlib.sha256(s.encode() if isinstance(s, str) else s).hexdigest()


def _digests(name: str, params: dict, tmp: Path, views: bool) -> dict[str, str]:
    r = sim.run(name, **params)
    out = {"text": _sha(r.text()), "json": _sha(r.to_json())}
    pcap = tmp / "g.pcapng"
    r.write_pcap(str(pcap))
    out["pcapng"] = _sha(pcap.read_bytes())
    n = len(r.events)
    steps = sorted(set(range(0, n, 10)) | {n - 1})
    out["state"] = _sha(json.dumps([_canon(r.state_at(i)) for i in steps]))
    if views:
        from sim.view.model import analysis_of
        from sim.view.narration import narrate
        from helpers import load_booklib
        booklib = load_booklib()
        out["narration"] = _sha("\n".join(narrate(r, i) for i in range(n)))
        # (booklib.describe has no words for a device going down: LINK events left out)
        out["describe"] = _sha("\n".join(booklib.describe(e) for e in r.events if e.ev.value != "link"))
        a = analysis_of(r)
        snaps = a.snapshots(a.default_steps())
        out["snapshots"] = _sha(json.dumps([[s, _canon(x)] for s, x in sorted(snaps.items())]))
    return out


def _stored() -> dict:
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


_recorded: dict = {}


@pytest.mark.parametrize("case", list(CASES))
def test_outputs_byte_identical(case, tmp_path):
    name, params = CASES[case]
    got = _digests(name, params, tmp_path, case in VIEW_CASES)
    if RECORD:
        _recorded[case] = {"scenario": name, "params": params, **got}
        data = {k: _recorded.get(k, v) for k, v in _stored().items() if k in CASES}
        data.update(_recorded)
        GOLDEN.parent.mkdir(exist_ok=True)
        tmp = GOLDEN.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: data[k] for k in CASES if k in data}, indent=1, sort_keys=True) + "\n")
        tmp.replace(GOLDEN)
        return
    want = _stored().get(case)
    assert want is not None, f"no golden hashes for {case}: record them (see the module's docstring)"
    assert (want["scenario"], want["params"]) == (name, params), f"{case}: the case changed; record again"
    changed = [k for k in got if got[k] != want.get(k)]
    assert not changed, f"{case}: {', '.join(changed)} differ from the recorded outputs"


def test_every_scenario_has_a_case():
    assert {n for n, _ in CASES.values()} == set(sim.SCENARIOS)
    assert set(VIEW_CASES) <= set(CASES)


def _repository_prefix() -> str:
    """What a link to a repository file starts with in this build (``op1_live.repo_file``):
    the repository's web address and branch, which depend on where the book is built from
    (a fork's origin, OP1_REPOSITORY_URL), not on the simulator."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book"))
    try:
        import op1_live
    finally:
        sys.path.pop(0)
    link = op1_live.repo_file("PATH")
    return link[link.index("](") + 2:link.rindex("PATH)")]


def _glued(where: Path) -> dict[str, str]:
    """{chapter/name: the glued value as the page shows it} of one build, a link to a
    repository file written with ``{repository}/`` for the repository's address and branch."""
    prefix = _repository_prefix()
    out = {}
    for f in sorted((where / "book").glob("*.glue.json")):
        for name, cell in json.loads(f.read_text()).items():
            data = cell.get("data", {})
            text = data.get("text/markdown", data.get("text/plain"))
            if text is None or set(data) - {"text/markdown", "text/plain"}:
                text = "sha256:" + _sha(json.dumps(data, sort_keys=True))
            out[f"{f.name.removesuffix('.glue.json')}/{name}"] = text.replace(prefix, "{repository}/")
    return out


def test_book_numbers_unchanged():
    if not (BUILT / "book").is_dir():
        why = f"no executed chapters in {BUILT}: `make book` first (make test does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why + " (CI=true: not skipping)")
        pytest.skip(why)
    got = _glued(BUILT)
    assert got, f"no glued values in {BUILT}"
    if RECORD:
        GOLDEN_BOOK.write_text(json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        return
    want = json.loads(GOLDEN_BOOK.read_text())
    changed = [k for k in want if got.get(k) != want[k]]
    assert not changed, ("the book's numbers changed: " + "; ".join(
        f"{k}: {want[k]!r:.60} -> {got.get(k, '(gone)')!r:.60}" for k in changed[:8]))
