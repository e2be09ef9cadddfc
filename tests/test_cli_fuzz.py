"""Generated command lines, valid and invalid mixed (issue 15): every one ends with exit 0,
or exit 2 and one line on stderr; never a traceback, never a run beyond its bound.

Valid values are drawn small (sizes, pings, messages), so an accepted run takes well under a
second; the bound below is a hundred times that, so it holds on a busy machine too."""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim import SCENARIOS
from sim.__main__ import main
from sim.policies import POLICIES
from sim.natmodels import NAT_MODELS
from sim.tcp import CONGESTION_CONTROLS, REMOTE_BEHAVIOURS, TCP_PROFILES

BOUND_S = 120          # seconds one generated command may take, at most

num = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                st.sampled_from(["0", "0.3", "1", "2.5", "-1", "1e300", "inf", "nan", "-inf", "x", "", "1,2"]))
times = st.one_of(st.floats(0, 30).map(lambda v: f"{v:g}"), num)


def ints(lo, hi, small_hi):
    """Valid and small, or just out of range (either side), or far out, or not a number.
    (A valid large value would be a long run: the bounds themselves are measured by
    ``python -m sim.bounds``, not here.)"""
    return st.one_of(st.integers(lo, small_hi).map(str),
                     st.one_of(st.integers(lo - 5, lo - 1), st.integers(hi + 1, hi + 5)).map(str),
                     st.sampled_from(["-1", "1e3", "abc", "", "0x10", "9" * 30, "٣", str(10**12)]))


ADDRS = ["100.0.0.1", "150.0.0.1", "200.0.0.1", "210.0.0.1", "81.2.3.4", "62.7.8.9", "198.51.100.7",
         "127.0.0.1", "224.0.0.1", "0.0.0.1", "255.255.255.255", "192.168.0.9", "172.31.1.1",
         "10.0.0.254", "1.2.3", "1.2.3.4.5", "", " 9.9.9.9", "a.b.c.d", "300.1.1.1"]
addrs = st.lists(st.sampled_from(ADDRS), min_size=0, max_size=4).map(",".join)

OPTIONS = {
    "--multipath": st.sampled_from(list(POLICIES) + ["rr", ""]),
    "--equalize": None, "--no-equalize": None, "--ingress-filter": None, "--bundle": None,
    "--no-bundle": None,
    "--summary-only": None,
    "--nat": st.sampled_from(list(NAT_MODELS) + ["masq"]),
    "--remote": st.sampled_from(list(REMOTE_BEHAVIOURS) + ["bsd"]),
    "--cc": st.sampled_from(list(CONGESTION_CONTROLS) + ["cubic"]),
    "--tcp": st.sampled_from(list(TCP_PROFILES) + ["2.6"]),
    "--uplinks": ints(1, 16, 4),
    "--seed": st.one_of(st.integers(0, 2**64).map(str), st.sampled_from(["-3", "1.5", "x"])),
    "--size": ints(1, 10**10, 20_000),
    "--connections": ints(1, 64, 6),
    "--messages": ints(1, 10_000, 20),
    "--msg-size": ints(1, 10**7, 3000),
    "--pings": ints(0, 10_000, 12),
    "--subflows": ints(1, 8, 4),
    "--uplink-addrs": addrs, "--remote-addrs": addrs,
    "--port-base": ints(1024, 60_000, 60_000),
    "--flush-at": st.lists(times, min_size=1, max_size=3).map(",".join),
    "--down-at": st.one_of(times, st.just("none")), "--read-timeout": st.one_of(times, st.just("none")),
    "--down-uplink": ints(1, 16, 3),
    # line speeds, delays, weights: one value, one per uplink, or a count that fits neither
    "--down-kbit": st.lists(st.sampled_from(["2000", "8000", "500", "0", "x", "2e7", "nan", ""]),
                            min_size=1, max_size=3).map(",".join),
    "--up-kbit": st.lists(st.sampled_from(["512", "1000", "0.5", "-1", "inf"]), min_size=1, max_size=3).map(",".join),
    "--delay-ms": st.lists(st.sampled_from(["10", "0.5", "0.001", "0.0001", "0", "-1", "inf"]),
                           min_size=1, max_size=3).map(",".join),
    "--weights": st.lists(st.sampled_from(["1", "4", "256", "257", "0", "2.5"]), min_size=1, max_size=3).map(",".join),
    "--core-delay-ms": st.one_of(st.sampled_from(["5", "0.001", "1e-9"]), num),
    "--remote-delay-ms": st.one_of(st.sampled_from(["2", "0.0005"]), num),
    "--idle": st.one_of(st.sampled_from(["0", "1e-7", "30"]), num),
    "--format": st.sampled_from(["text", "json", "xml"]),
    "--pcap": st.sampled_from(["PCAP", "", "/no/such/dir/x.pcapng"]),
    "--frobnicate": None,
}


@st.composite
def argvs(draw):
    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([["list"], [], ["run"], ["nope"], ["list", "extra"]]))
    scenario = draw(st.sampled_from(list(SCENARIOS) + ["nope", ""]))
    argv = ["run", scenario]
    for opt in draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=6, unique=True)):
        strategy = OPTIONS[opt]
        argv.append(opt)
        if strategy is not None:
            argv.append(draw(strategy))
    if "--size" not in argv:          # the scenarios' own sizes go up to 500000: keep runs small
        argv += ["--size", draw(st.sampled_from(["3000", "20000"]))]
    return argv


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argvs())
def test_any_command_line_exits_0_or_2_with_one_line(argv):
    with tempfile.TemporaryDirectory() as tmp:
        argv = [os.path.join(tmp, "x.pcapng") if a == "PCAP" else a for a in argv]
        out, err = io.StringIO(), io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:
                code = e.code
        elapsed = time.perf_counter() - t0
        left = sorted(os.listdir(tmp))
    err = err.getvalue()
    event(f"exit {code}")              # --hypothesis-show-statistics: how many runs were accepted
    assert "Traceback" not in err, (argv, err)
    assert code in (0, 2), (argv, code, err)
    assert elapsed < BOUND_S, (argv, elapsed)
    if code == 2:
        assert out.getvalue() == "" and len(err.strip().splitlines()) == 1, (argv, err)
        assert left == [], (argv, left)                     # a refused run writes nothing
    else:
        assert out.getvalue(), argv
        assert left in ([], ["x.pcapng"]), (argv, left)
