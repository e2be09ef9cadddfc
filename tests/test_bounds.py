"""The bounds of what one run may cost, and ``python -m sim.bounds``, which measures the
largest runs they allow (not run here: several minutes; see its docstring)."""
from __future__ import annotations

import pytest

import sim
from sim import bounds
from sim.__main__ import RUN_PARAMS, parser
from sim.scenarios import MAX_TRANSFER, SLOW_KBIT, make_params, slow_line_transfer


def _params(case: list[str]) -> dict:
    args = parser().parse_args(["run", *case])
    return args.scenario, {k: getattr(args, k) for k in RUN_PARAMS if getattr(args, k) is not None}


@pytest.mark.parametrize("case", bounds.cases(1.0), ids=" ".join)
def test_each_case_is_accepted_and_one_byte_more_is_not(case):
    """Each case sits at the edge it measures: accepted as it is, refused with a byte more
    (so that a bound changed without its case, or a case at the wrong size, is noticed)."""
    scenario, given = _params(case)
    make_params(scenario, **given)
    name = "msg_size" if "msg_size" in given else "size" if "size" in given else None
    if name is None or "flush_at" in given:
        return                  # ping's case, and the timers' (a simulated day): not bytes
    with pytest.raises(sim.ParamError, match="too large|out of range") as e:
        make_params(scenario, **{**given, name: given[name] + 1})
    assert e.value.param == name


def test_the_slowest_lines_are_among_the_cases():
    """A 1 kbit/s line costs the most per byte (17 times the default lines' in flashget):
    the bounds are measured there too, and a case at the slow lines' own limit."""
    slow = [c for c in bounds.cases(1.0) if "--down-kbit" in c and c[c.index("--down-kbit") + 1] == "1"
            and "--up-kbit" in c and c[c.index("--up-kbit") + 1] == "1"]
    assert {c[0] for c in slow} >= {"connection-level", "flashget", "thought-question"}


@pytest.mark.parametrize("kbit, most", [(1, MAX_TRANSFER // 16), (1.5, 9_375_000), (8, MAX_TRANSFER // 2),
                                        (SLOW_KBIT, MAX_TRANSFER), (10_000_000, MAX_TRANSFER)])
def test_a_slow_line_bounds_the_bytes_in_proportion_to_its_speed(kbit, most):
    assert slow_line_transfer(kbit) == most


@pytest.mark.parametrize("kw, words", [
    ({"down_kbit": [1], "up_kbit": [1]}, ["size 100000000 too large for connection-level with a line of 1 kbit/s",
                                          "allowed at most 100000000 x 1/16 = 6250000"]),
    # the slowest line of the run, up or down, on any uplink
    ({"up_kbit": [2000, 4]}, ["with a line of 4 kbit/s", "= 25000000"]),
])
def test_a_run_over_a_slow_line_moves_fewer_bytes(kw, words):
    """100 MB over 1 kbit/s lines (connection-level, JSON) was killed at 65 s and 731 MB: each
    segment went several times, its queue overflowing and its timer expiring."""
    with pytest.raises(sim.ParamError) as e:
        make_params("connection-level", size=MAX_TRANSFER, **kw)
    assert e.value.param == "size" and all(w in str(e.value) for w in words), str(e.value)
    make_params("connection-level", size=slow_line_transfer(min(kw.get("down_kbit", [2000]) + kw["up_kbit"])), **kw)


def test_a_slow_line_bounds_echo_by_its_message_size():
    with pytest.raises(sim.ParamError, match="msg_size 5000 too large for echo with a line of 8 kbit/s") as e:
        make_params("echo", messages=10_000, msg_size=5000, down_kbit=[8])
    assert e.value.param == "msg_size"
