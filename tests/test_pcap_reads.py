"""A simulator capture reads like one taken on the router, and ``python -m sim run`` talks while
it runs.

The pcapng's clock starts on a fixed date (``sim.pcap.START``), not at 1970-01-01 (a clock
never set); each link's interface carries its speed; the section header names the
simulator's version.  The text trace goes to standard output as the run makes it, the same
bytes as before, only sooner."""
import io
import os
import shutil
import struct
import subprocess
import sys
from datetime import datetime, timezone

import pytest

import sim
from sim.pcap import START, START_TEXT, START_US, Capture, frame_order, hops

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing in CI: `make test` installs tshark's tools with apt-get as root")
        pytest.skip(f"{tool} not installed (apt-get install tshark)")
    return path


def blocks(data: bytes):
    """(type, body) of every block of a pcapng."""
    off = 0
    while off < len(data):
        btype, n = struct.unpack_from("<II", data, off)
        yield btype, data[off + 8:off + n - 4]
        off += n


def options(b: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i + 4 <= len(b):
        code, n = struct.unpack_from("<HH", b, i)
        if code == 0:
            break
        out.append((code, b[i + 4:i + 4 + n]))
        i += 4 + n + (-n % 4)
    return out


def interfaces(data: bytes) -> dict[str, dict[int, bytes]]:
    """Each interface's options by code, by its name."""
    out = {}
    for btype, body in blocks(data):
        if btype == 1:
            opts = dict(options(body[8:]))
            out[opts[2].decode()] = opts
    return out


def _u64(b: bytes) -> int:
    return struct.unpack("<Q", b)[0]


# -- the clock --------------------------------------------------------------------------------

def test_the_capture_starts_on_its_documented_date_not_at_1970():
    """Every frame is stamped START + its time in the trace: the whole run's capture and a
    replay's (the players' download), and START is midnight UTC, so a frame's time of day is
    the trace's time."""
    assert datetime.fromtimestamp(START, timezone.utc) == datetime(2002, 3, 22, tzinfo=timezone.utc)
    assert START_US == START * 1_000_000 and START_TEXT == "2002-03-22 00:00:00 UTC"
    r = sim.run("equalize-nat", seed=3, size=5000)
    hopped = [i for i, _ in hops(r)]
    cap = Capture(r)        # (its time of capture: tests/test_pcap_capture_point.py)
    for data, chosen in ((r.pcapng_bytes(), hopped), (r.pcapng_bytes(hopped[5:9]), hopped[5:9])):
        stamps = [(struct.unpack_from("<II", body, 4)) for btype, body in blocks(data) if btype == 6]
        assert [(hi << 32) | lo for hi, lo in stamps] == [START_US + cap.stamp[i] for i in cap.order(chosen)]


def test_tshark_reads_the_trace_times_as_utc_times_of_day(tmp_path):
    tshark = need("tshark")
    r = sim.run("ping", pings=3)
    path = tmp_path / "p.pcapng"
    r.write_pcap(str(path))
    got = subprocess.run([tshark, "-r", str(path), "-t", "ud", "-T", "fields", "-e", "_ws.col.Time"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    cap = Capture(r)
    want = [f"2002-03-22 00:00:{cap.stamp[i] / 1e6:09.6f}" for i in frame_order(r)]
    assert got[:len(want)] == want and got[len(want):] == [""]
    info = subprocess.run([need("capinfos"), str(path)], capture_output=True, text=True).stdout
    assert "First packet time:   2002-03-22 00:00:00." in info and "1970" not in info
    # the section header says what the clock is, and how to move it
    assert "Time 0 of the run (the trace's 0.000000) is 2002-03-22 00:00:00 UTC" in info
    assert "editcap -t SECONDS" in info


# -- the interfaces ---------------------------------------------------------------------------

def test_each_link_has_its_speed_the_uplinks_one_for_each_direction():
    """if_speed where both directions run at one rate; an uplink's up and down rates (as the
    run sets them) as if_txspeed and if_rxspeed of the router's end, which pcapng wants instead
    of an if_speed -- and in the description, which Wireshark 4.0 shows (it shows no tx/rx)."""
    r = sim.run("hash-l4-nat", uplinks=3, down_kbit=[8000, 4000, 1000], up_kbit=[1000, 512, 256], size=3000)
    ifs = interfaces(r.pcapng_bytes())
    assert list(ifs) == ["lan", "uplink1", "peer1", "uplink2", "peer2", "uplink3", "peer3", "remote1_link",
                         "remote2_link"]
    for name in ("lan", "peer1", "peer3", "remote1_link"):
        assert _u64(ifs[name][8]) == 100_000_000 and 16 not in ifs[name] and 17 not in ifs[name], name
        assert ifs[name][3].decode().endswith(", 100 Mbit/s"), name
    for k, (down, up) in enumerate(((8000, 1000), (4000, 512), (1000, 256)), start=1):
        opts = ifs[f"uplink{k}"]
        assert 8 not in opts and (_u64(opts[16]), _u64(opts[17])) == (up * 1000, down * 1000)
        assert opts[3].decode() == (f"router:if{k} <-> provider{k}:cust (captured on router:if{k}), {up} kbit/s out of router:if{k}, "
                                    f"{down} kbit/s into it")


def test_a_bundle_has_its_lines_speeds_added():
    r = sim.run("multilink", size=3000, down_kbit=[2000, 1000], up_kbit=[512, 256])
    opts = interfaces(r.pcapng_bytes())["uplink1"]
    assert (_u64(opts[16]), _u64(opts[17])) == (768_000, 3_000_000)
    assert "2 lines bundled (PPP Multilink), 768 kbit/s out of router:if1, 3000 kbit/s into it" in opts[3].decode()


def test_a_rate_is_written_in_the_options_unit_whatever_its_size():
    from sim.pcap import _rate
    assert [_rate(b) for b in (512_000, 2_000_000, 100_000_000, 1_234_567_000, 10_000_000_000, 1_500)] == [
        "512 kbit/s", "2000 kbit/s", "100 Mbit/s", "1234567 kbit/s", "10000 Mbit/s", "1.5 kbit/s"]


def test_capinfos_shows_the_speeds_and_the_simulators_version(tmp_path):
    path = tmp_path / "c.pcapng"
    out = subprocess.run([sys.executable, "-m", "sim", "run", "connection-level", "--size", "3000",
                          "--down-kbit", "3000", "--pcap", str(path), "--summary-only"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    info = subprocess.run([need("capinfos"), str(path)], capture_output=True, text=True).stdout
    assert f"Capture application: 1 + 1 < 1 simulator {sim.__version__} (sim.pcap)" in info
    assert "Speed = 100000000" in info
    assert "Description = router:if1 <-> provider1:cust (captured on router:if1), 512 kbit/s out of router:if1, 3000 kbit/s into it" in info
    # still raw IPv4 frames: the simulated network has no MAC addresses to put in Ethernet headers
    assert "File encapsulation:  Raw IP" in info


# -- the command line talks while it runs ------------------------------------------------------

def _run_main(monkeypatch, args, tmp_path=None):
    """``python -m sim run ARGS`` in this process: its exit status, its standard output, and for
    each write to it whether the run had ended (and whether the capture's temporary file was
    there, when ``tmp_path`` holds the capture)."""
    import sim.__main__ as cli_main
    real, ended, writes = cli_main.run, [], []

    def run(*a, **k):
        r = real(*a, **k)
        ended.append(r)
        return r

    class Out(io.StringIO):
        def write(self, s):
            writes.append((bool(ended), tmp_path is not None and any(n.endswith(".part") for n in os.listdir(tmp_path))))
            return super().write(s)
    out = Out()
    monkeypatch.setattr(cli_main, "run", run)
    monkeypatch.setattr(sys, "stdout", out)
    code = cli_main.main(["run", *args])
    return code, out.getvalue(), writes, ended


def test_the_text_trace_goes_out_while_the_run_goes_on(monkeypatch):
    """The trace's lines were written only once the run had ended: seconds of silence in a long
    run.  They go out as it makes them; the bytes are those it wrote before (``Result.text``).
    The JSON (whose head names the network the run builds) and the summary alone still go out
    when the run has ended, as before."""
    code, text, writes, ended = _run_main(monkeypatch, ["connection-level", "--size", "100000"])
    assert code == 0 and text == ended[0].text()
    during = sum(1 for done, _ in writes if not done)
    assert during >= 10 and writes[-1][0], writes[:3]
    monkeypatch.undo()
    code, text, writes, ended = _run_main(monkeypatch, ["echo", "--format", "json"])
    assert code == 0 and text == ended[0].to_json() and all(done for done, _ in writes)
    monkeypatch.undo()
    code, text, _, ended = _run_main(monkeypatch, ["echo", "--summary-only"])
    assert code == 0 and text == "\n".join(ended[0].summary_text()) + "\n"


def test_with_a_capture_the_trace_goes_out_while_its_file_is_made(monkeypatch, tmp_path):
    """... with --pcap too: the capture's temporary file is there while the trace goes out (a
    signal removes it), and the capture appears only once all was written."""
    target = tmp_path / "x.pcapng"
    code, text, writes, ended = _run_main(monkeypatch, ["equalize-nat", "--seed", "3", "--size", "100000",
                                                        "--pcap", str(target)], tmp_path)
    assert code == 0 and text == ended[0].text()
    assert any(not done for done, _ in writes) and all(part for _, part in writes)
    assert os.listdir(tmp_path) == ["x.pcapng"] and target.read_bytes() == ended[0].pcapng_bytes()


#: enough of each scenario's workload for more events than the lines written at a time (echo: a
#: balancing under which the connection lives)
MORE = {"icmp-equalize-nat": ["--pings", "30"], "udp-equalize-nat": ["--pings", "30"], "ping": ["--pings", "30"],
        "echo": ["--messages", "30", "--multipath", "hash-l4"]}


@pytest.mark.parametrize("scenario", list(sim.SCENARIOS))
def test_every_scenarios_trace_goes_out_as_it_runs_byte_for_byte(scenario, monkeypatch):
    """Every scenario: what ``run`` writes as it goes is ``Result.text()`` (the golden
    outputs' text), the summary last."""
    args = [scenario, "--seed", "2", *MORE.get(scenario, ["--size", "30000"])]
    code, text, writes, ended = _run_main(monkeypatch, args)
    assert code == 0 and text == ended[0].text()
    assert not writes[0][0] and writes[-1][0]


def test_a_reader_that_leaves_ends_the_run_there(monkeypatch, tmp_path):
    """``| head``: the first lines written, the reader gone (EPIPE), the command stops there --
    not at the end of a run of seconds -- quietly, with status 141, and leaves no capture."""
    import sim.__main__ as cli_main
    real, ended = cli_main.run, []
    monkeypatch.setattr(cli_main, "run", lambda *a, **k: ended.append(real(*a, **k)))

    class Gone(io.StringIO):
        def write(self, s):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            raise io.UnsupportedOperation("no descriptor")
    monkeypatch.setattr(sys, "stdout", Gone())
    target = tmp_path / "x.pcapng"
    assert cli_main.main(["run", "connection-level", "--size", "1000000", "--pcap", str(target)]) == 141
    assert ended == [] and os.listdir(tmp_path) == []
