"""The kernel lab's mptcp comparison when the client resets a subflow after the download: the
late tail of a data-level retransmission (compare's ``_LATE_TAIL``).  No lab needed: the kernel's
side is a recorded run's summary, the simulator's is run.

CI 109 failed ``test_kernel_and_simulator_agree[mptcp]`` on such a run: 'resets sent by' read
[client] against the simulator's [], a case no branch of the race covered.  The summary here is
of a run like it (reproduced with four busy processes on two cores), recorded by
``python -m sim.kernel run mptcp --format json``."""
from __future__ import annotations

import copy
import json
import os

import pytest

from sim.kernel.capture import Pkt
from sim.kernel.compare import AFTER_FIN, CLIENT_RESETS, compare
from sim.kernel.scenarios import SCENARIOS, KernelResult, _mptcp_summary, make_options

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "kernel-mptcp-late-tail.json")


def _recorded() -> dict:
    with open(DATA) as f:
        return json.load(f)


def _compare(summary: dict):
    o = make_options("mptcp")
    k = KernelResult("mptcp", o, SCENARIOS["mptcp"].setup, summary, [], [], [], "")
    return compare("mptcp", kernel=k)


@pytest.fixture(scope="module")
def late():
    return _compare(_recorded())


def test_the_recorded_run_is_the_late_tail():
    """What the run was: complete, both subflows carrying, the first reset by the client only,
    after its own FIN."""
    s = _recorded()
    m = s["mptcp"][0]
    assert m["complete"] and m["throughput_kbit"] > 10_000
    assert s["observed"]["resets"].keys() == {"client"}
    assert [sf["reset"] for sf in m["subflows"]] == [True, False]
    assert [sf["client_reset_after_fin"] for sf in m["subflows"]] == [True, None]


def test_a_client_reset_after_its_fin_is_the_documented_late_tail(late):
    """It was an undocumented difference: no branch had 'resets sent by' [client]."""
    assert late.agrees and not late.undocumented(), late.text()
    rows = {r.aspect: r for r in late.rows}
    assert rows[CLIENT_RESETS].kernel == AFTER_FIN and rows[CLIENT_RESETS].sim == "-"
    assert rows["resets sent by"].note.startswith("the client reset a subflow after the download")
    assert "__mptcp_retrans()" in rows["resets sent by"].note
    assert "tcp_rcv_state_process()" in rows["resets sent by"].note
    verdict = late.text().splitlines()[-1]
    assert "the kernel took one branch of a known race (the client had closed when a " \
           "retransmitted chunk's last segments came" in verdict, verdict
    # three branches now: the simulator's is not 'the other'
    assert "the simulator's run took another (the server accepted the join" in verdict, verdict
    # the late join's note is not given for it
    assert "the server reset the joined subflow" not in late.text()


def test_the_run_says_the_client_reset_it_after_its_fin():
    k = KernelResult("mptcp", make_options("mptcp"), SCENARIOS["mptcp"].setup, _recorded(),
                     [], [], [], "")
    subflows = [line for line in k.summary_text() if line.startswith("    subflow ")]
    assert subflows[0].startswith("    subflow (192.168.0.1, 5000): 553552 bytes, uplink if1, "
                                  "reset by the client after its FIN;"), subflows
    assert ", reset" not in subflows[1], subflows


def _changed(**subflow) -> dict:
    s = copy.deepcopy(_recorded())
    s["mptcp"][0]["subflows"][0].update(subflow)
    return s


@pytest.mark.parametrize("what, summary", [
    # the client reset a subflow before it had closed: mid-download, not the late tail
    ("a reset before its FIN", lambda: _changed(client_reset_after_fin=False)),
    # a summary that does not say when (an older lab's)
    ("no word on when", lambda: _changed(client_reset_after_fin=None)),
])
def test_a_client_reset_not_after_its_fin_is_still_a_disagreement(what, summary):
    c = _compare(summary())
    assert not c.agrees and [r.aspect for r in c.undocumented()] == ["resets sent by"], (what, c.text())


def test_the_late_tail_does_not_excuse_a_slow_download_or_the_servers_reset():
    """Only the reset is the race's: a download no faster than one uplink, or a reset by the
    server too, still disagrees."""
    s = _recorded()
    slow = copy.deepcopy(s)
    slow["mptcp"][0]["throughput_kbit"] = 9_000.0
    c = _compare(slow)
    assert [r.aspect for r in c.undocumented()] == ["resets sent by", "faster than one uplink"], c.text()
    both = copy.deepcopy(s)
    both["observed"]["resets"]["remote host"] = 1
    c = _compare(both)
    assert [r.aspect for r in c.undocumented()] == ["resets sent by"], c.text()


def _pkt(t_us, flags, sender="local1", src=("192.168.0.1", 5000), dst=("200.0.0.1", 80)):
    return Pkt(t_us, "lan", sender, src[0], dst[0], 6, 0, src[1], dst[1], flags, 0, 0, 0)


@pytest.mark.parametrize("flags, want", [
    (["S", "A", "FA", "R"], True),          # FIN, then a reset: it had closed
    (["S", "A", "R", "FA"], False),         # a reset before its FIN
    (["S", "A", "R"], False),               # a reset, and no FIN at all
    (["S", "A", "FA"], None),               # no reset
])
def test_the_summary_says_whether_the_clients_resets_followed_its_fin(flags, want):
    pkts = [_pkt(10 * i, f) for i, f in enumerate(flags)]
    # the server's reset does not count as the client's
    pkts.append(_pkt(5, "R", sender="router:eth1", src=("200.0.0.1", 80), dst=("192.168.0.1", 5000)))
    c = {"bytes": 1, "bytes_wanted": 1, "complete": True, "seconds": 1.0}
    m = _mptcp_summary(c, {"conns": []}, pkts, {"flows": []})
    assert [sf["client_reset_after_fin"] for sf in m["subflows"]] == [want]
