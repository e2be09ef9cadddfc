"""The receive window (``--rwnd``, ``rwnd=``): a network engineer reproduced a 100 Mbit/s line
and got 10.6 Mbit/s, a 50 Mbit/s one with Reno 3.9 Mbit/s, and nothing but ``--cc none``'s help
said that every connection moved at most 46,720 bytes a round trip.  The window is now a
parameter, announced with RFC 7323's window scaling above 65535 bytes, its default cap is stated
in ``--cc``'s and ``--rwnd``'s help, and the summary says when the window held a download back."""
import json
import os
import subprocess
import sys

import pytest

import sim
from sim.host import WINDOW
from sim.pcap import tcp_option, to_bytes
from sim.scenarios import WIDE_WINDOW_TRANSFER, ParamError, make_params
from sim.tcp import MAX_WINDOW, MSS, window_scale

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAST = {"uplinks": 1, "down_kbit": [100_000], "up_kbit": [100_000]}     # a window, not the line, sets the pace


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT)


def _sender(r):
    """The server's end of the first download: the one that sends the data."""
    c = r.apps["downloads"][0].conn
    return next(ch for ch in r.apps["servers"][c.remote[0]].children if ch.irs == c.iss)


def _tcp(r):
    return [e.pkt for e in r.events if e.ev.value == "hop" and type(e.pkt.l4).__name__ == "TCP"]


def test_the_default_window_is_unchanged_and_sends_no_option():
    r = sim.run("connection-level", size=20_000)
    assert r.params.rwnd == WINDOW == 32 * MSS
    assert _sender(r).window == WINDOW and _sender(r).wscale == 0
    assert {p.l4.window for p in _tcp(r) if "R" not in p.l4.flags} == {WINDOW}
    assert all(p.l4.wscale is None for p in _tcp(r))
    assert all("wscale" not in e.get("pkt", {}) for e in r.to_dict()["events"])
    assert all(r.window_shift(e) is None for e in r.events if e.pkt is not None)


def test_a_window_above_65535_is_scaled_as_rfc_7323_says():
    r = sim.run("connection-level", size=20_000, rwnd=200_000)
    syns = [p for p in _tcp(r) if "S" in p.l4.flags]
    rest = [p for p in _tcp(r) if "S" not in p.l4.flags and "R" not in p.l4.flags]
    # both SYNs carry the shift, and their window field is never scaled (RFC 7323 2.2)
    assert syns and {(p.l4.window, p.l4.wscale) for p in syns} == {(65535, 2)}
    assert {p.l4.window for p in rest} == {200_000 >> 2} and all(p.l4.wscale is None for p in rest)
    # on the wire: NOP and the 3-byte option, which the length on the wire counts
    for p in syns:
        assert tcp_option(to_bytes(p), 3) == bytes([2]) and len(to_bytes(p)) == p.wire_len() == 44
    # in the traces, and the packet pane's window as bytes
    assert "options [nop,wscale 2]" in r.text()
    d = r.to_dict()
    assert {e["pkt"].get("wscale") for e in d["events"] if e.get("pkt", {}).get("flags") in ("S", "SA")} == {2}
    hop = next(e for e in r.events if e.ev.value == "hop" and "S" not in e.pkt.l4.flags)
    syn = next(e for e in r.events if e.ev.value == "hop" and "S" in e.pkt.l4.flags)
    assert r.window_shift(hop) == 2 and r.window_shift(syn) is None
    assert "rwnd=200000" in r.summary_text()[0]


def test_the_window_is_what_its_units_can_say():
    assert window_scale(65535) == 0 and window_scale(65536) == 1 and window_scale(MAX_WINDOW) == 14
    r = sim.run("connection-level", size=5_000, rwnd=1_000_001)
    assert _sender(r).wscale == 4 and _sender(r).window == 1_000_000


def test_a_larger_window_moves_a_fast_line_faster():
    """At the default window a 100 Mbit/s line gives about a window a round trip; a window
    above the path's bytes in flight gives the line."""
    small = sim.run("connection-level", size=2_000_000, **FAST)
    large = sim.run("connection-level", size=2_000_000, rwnd=1_000_000, **FAST)
    ch = _sender(small)
    cap = WINDOW * 8 / ch.rtt_min * 1e3                 # kbit/s: a window per least round trip
    assert 0.8 * cap <= small.summary["throughput_kbit"] <= cap
    assert large.summary["throughput_kbit"] > 4 * small.summary["throughput_kbit"]


def test_the_summary_says_when_the_window_held_a_download_back():
    r = sim.run("connection-level", size=2_000_000, **FAST)
    note = next(line for line in r.summary_text() if "receive window" in line)
    assert note.startswith("  note: the receive window, 46720 bytes, held back (192.168.0.1, 5000)'s sender ")
    assert "at most 46720 bytes a round trip" in note and "--rwnd BYTES" in note
    # the sender measured it: most of the download's time, at a window per round trip
    us, acked = _sender(r).rwnd_limited_time(r.sim.now)
    assert us > 0.5 * r.summary["seconds"] * 1e6 and acked > 0
    assert not any("receive window" in line for line in
                   sim.run("connection-level", size=2_000_000, rwnd=1_000_000, **FAST).summary_text())


def test_a_window_that_only_fills_a_slow_lines_queue_gets_no_note():
    """On the default 2 Mbit/s lines the window is larger than a round trip's bytes: the sender
    waits on it (cc none has no other limit) but the line sets the pace, and the note would send
    the reader after the wrong cause."""
    r = sim.run("connection-level", size=1_000_000)
    us, _ = _sender(r).rwnd_limited_time(r.sim.now)
    assert us > 0.5 * r.summary["seconds"] * 1e6                # held, literally...
    assert not any("receive window" in line for line in r.summary_text())   # ...but not its pace


def test_time_limited_by_the_congestion_window_is_not_counted():
    """Reno in slow start is held by cwnd: a short download never fills the window."""
    r = sim.run("connection-level", size=20_000, cc="reno", **FAST)
    assert _sender(r).rwnd_limited_time(r.sim.now) == (0, 0)
    assert not any("receive window" in line for line in r.summary_text())


def test_reno_never_grows_beyond_the_window():
    r = sim.run("connection-level", size=1_000_000, cc="reno", rwnd=100_000, **FAST)
    ch = _sender(r)
    assert ch.cwnd <= ch.window == 100_000 and ch.ssthresh == 100_000


@pytest.mark.parametrize("value", ["100", "1459", "1073725441", "2e6", "1000.5", "lots"])
def test_a_bad_window_is_one_line_naming_it_and_the_range(value):
    out = cli("run", "connection-level", "--rwnd", value)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == (f"python -m sim run: error: --rwnd must be a whole number of bytes 1460..1073725440 "
                          f"(one segment to RFC 7323's largest window, 65535 x 2^14), got '{value}'\n")


def test_a_bad_window_from_python_names_it_and_the_range():
    with pytest.raises(ParamError, match=r"rwnd 100 out of range: allowed 1460..1073725440 bytes"):
        make_params("connection-level", rwnd=100)


def test_the_window_does_not_apply_without_tcp():
    out = cli("run", "ping", "--rwnd", "100000")
    assert out.returncode == 2 and "--rwnd does not apply to ping, which carries no TCP" in out.stderr


def test_the_help_states_the_default_cap():
    out = cli("run", "--help")
    text = " ".join(out.stdout.split())
    assert out.returncode == 0
    assert "none, a fixed window of the receive window in flight (--rwnd, 46720 bytes, 32 segments, by default)" in text
    assert "Either way a connection moves at most the receive window a round trip" in text
    assert "--rwnd BYTES the receive window every TCP end announces" in text
    assert "(default 46720: 32 segments, at most 46720 bytes a round trip: 10.7 Mbit/s at a 35 ms round trip" in text


def test_cc_none_with_a_wide_window_moves_less_reno_the_full_bound():
    """A sender that never backs off, with a window above the default, overfills a slow line's
    queue, and a run costs up to 17 times the events per byte: bounded as a slow line is."""
    with pytest.raises(ParamError, match=r"size 7000000 too large for connection-level with cc none and rwnd "
                                         r"100000: .* allowed at most 6250000 .*cc reno backs off"):
        make_params("connection-level", size=7_000_000, rwnd=100_000)
    assert make_params("connection-level", size=WIDE_WINDOW_TRANSFER, rwnd=100_000).size == WIDE_WINDOW_TRANSFER
    assert make_params("connection-level", size=7_000_000, rwnd=100_000, cc="reno").size == 7_000_000
    assert make_params("connection-level", size=7_000_000).size == 7_000_000
    out = cli("run", "connection-level", "--rwnd", "100000", "--size", "7000000")
    assert out.returncode == 2 and "--size 7000000 too large" in out.stderr and "--cc reno backs off" in out.stderr


def test_the_capture_says_the_window_is_scaled(tmp_path):
    f = tmp_path / "w.pcapng"
    out = cli("run", "connection-level", "--rwnd", "200000", "--size", "5000", "--pcap", str(f), "--summary-only")
    assert out.returncode == 0, out.stderr
    data = f.read_bytes()
    assert b"rwnd=200000" in data and b"the SYNs' Window Scale (shift 2" in data
    d = json.loads(cli("run", "connection-level", "--size", "5000", "--format", "json").stdout)
    assert d["params"]["rwnd"] == WINDOW


def test_the_readme_says_what_the_window_gives():
    """The README's example of a fast line held to a window a round trip, run as written."""
    import re
    readme = " ".join(open(os.path.join(ROOT, "README.md"), encoding="utf-8").read().split())
    m = re.search(r"`run (connection-level --uplinks 1 [^`]*)` moves ([0-9.]+) kbit/s", readme)
    out = cli("run", *m.group(1).split(), "--summary-only")
    assert out.returncode == 0, out.stderr
    assert f"= {m.group(2)} kbit/s" in out.stdout
    assert "  note: the receive window, 46720 bytes, held back (192.168.0.1, 5000)'s sender" in out.stdout
