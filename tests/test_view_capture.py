"""A real-kernel capture replayed with the simulator's views (chapters 8-9)."""
from pathlib import Path

import pytest

import sim
from sim.trace import Ev
from sim.view import Compare
from sim.view.capture import CaptureError, captured, read_pcapng

DATA = Path(__file__).resolve().parent.parent / "book" / "data" / "kernel"
MASQ = DATA / "perpacket-masquerade.pcapng"


@pytest.fixture(scope="module")
def like():
    return sim.run("echo", multipath="numgen", nat="masquerade", remote="rfc")


def test_every_captured_frame_becomes_a_hop_in_the_right_direction(like):
    frames, _ = read_pcapng(str(MASQ))
    k = captured(str(MASQ), like)
    ipv4 = [f for f in frames if f[2][12:14] == b"\x08\x00"]        # ARP is left out
    assert len(k.events) == len(ipv4) and all(e.ev is Ev.HOP for e in k.events)
    first = k.events[0]
    assert (first.from_, first.to) == ("local1:eth0", "router:eth0") and first.pkt.l4.flags == "S"
    for e in k.events:
        link, pkt, frm, to = e.node, e.pkt, e.from_, e.to
        if link == "uplink1":       # upstream leaves the router, replies come back to it
            assert (frm, to) == (("router:if1", "provider1:cust") if pkt.ip.src == "100.0.0.1"
                                 else ("provider1:cust", "router:if1"))
    assert [e.t for e in k.events] == sorted(e.t for e in k.events)


def test_the_capture_and_the_simulator_side_by_side(like):
    c = Compare(captured(str(MASQ), like), like, labels=("Linux 6.18", "simulator"))
    html = c._repr_html_()
    assert html.count("data-replay") >= 1 and "Linux 6.18" in html
    # the kernel's run and the simulator's agree on the handshake, then part ways
    assert 0 < c.first_divergence


def test_a_file_that_is_not_a_capture_gets_one_clear_message(like, tmp_path):
    bad = tmp_path / "x.pcapng"
    bad.write_bytes(b"not a capture")
    with pytest.raises(CaptureError, match="is not a pcapng file"):
        captured(str(bad), like)
    with pytest.raises(CaptureError, match="cannot read capture"):
        captured(str(tmp_path / "missing.pcapng"), like)


# -- the captured side shows the bytes captured, not a rebuild from a few header fields ------------

SNAT_FILTER = DATA / "perpacket-snat-filter.pcapng"


@pytest.fixture(scope="module")
def snat_filter():
    from sim import measured
    like = sim.run("echo", multipath="numgen", nat="snat", ingress_filter=True, **measured.LAB)
    return captured(str(SNAT_FILTER), like)


def _data_segment(k) -> int:
    """The trace index of the capture's first 1000-byte segment on the server's link."""
    return next(i for i, e in enumerate(k.events)
                if e.node == "remote1_link" and e.pkt.l4.flags in ("A", "PA") and e.pkt.load == 1000)


def _tshark(path, *fields, where=None) -> list[list[str]]:
    import shutil
    import subprocess
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.fail("tshark is not installed (the captured bytes are checked with it)")
    args = [tshark, "-r", str(path), "-T", "fields", "-E", "separator=|"]
    args += ["-Y", where] if where else []
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines()]


def test_a_captured_hop_keeps_the_frames_ip_bytes_and_timestamp(snat_filter):
    frames, _ = read_pcapng(str(SNAT_FILTER))
    k = snat_filter
    i = _data_segment(k)
    e = k.events[i]
    frame = next(f for f in frames if f.link == e.node and f.data[14:] .startswith(e.raw[:40]))
    assert e.raw == frame.data[14:] and e.stamp == frame.t and e.wire_len == frame.wire_len - 14 == 1052
    assert e.raw[6] & 0x40                                     # DF, as Linux sent it
    assert e.pkt.l4.window == 63 and k.window_shift(e) == 10   # the raw field; the SYNs' scale


def test_the_captured_pane_shows_df_the_options_and_the_scaled_window(snat_filter):
    from sim.view.pktpane import pane
    k = snat_filter
    syn = pane(k, 0)["html"]
    assert "MSS 1460" in syn and "SAckOK" in syn and "Timestamp" in syn and "WScale 10" in syn
    assert "<th scope=\"row\">flags</th><td>DF</td>" in syn
    seg = pane(k, _data_segment(k))["html"]
    assert "<th scope=\"row\">flags</th><td>DF</td>" in seg
    assert "field 63 × 2^10 = 64512 bytes (SYNs&#x27; scale)" in seg
    assert "242 of 1052 bytes captured" in seg and "190 of 1000 bytes captured" in seg and "zeros" not in seg
    # the hexdump is the captured bytes: DF set (0x40 in byte 6) and the payload as sent
    assert "0000</span>  45 00 04 1c" in seg and " 40 00 " in seg.split("0000</span>", 1)[1][:60]


def test_a_captured_replays_pcapng_is_the_capture_with_its_timestamps_and_interfaces(snat_filter, tmp_path):
    from sim.view.player import Frames
    k = snat_filter
    f = Frames(k, steps=["hop"])
    path = tmp_path / "cap.pcapng"
    path.write_bytes(f.pcapng())
    seg = _data_segment(k)
    assert seg in f.steps
    rows = _tshark(path, "frame.time_epoch", "frame.interface_name", "frame.interface_description",
                   "ip.flags.df", "tcp.window_size", "tcp.options.wscale.shift", "tcp.options.mss_val",
                   "frame.len", "frame.comment")
    assert len(rows) == len(f.steps)
    n = f.steps.index(seg)
    t, link, desc, df, win, _, _, length, comment = rows[n]
    e = k.events[seg]
    assert (link, df, win, length) == ("remote1_link", "1", "64512", "1052")
    assert desc.startswith("internet:r1 <-> remote1:eth0") and comment.startswith(f"event {seg}: ")
    assert round(float(t) * 1e6) == e.stamp > 1.7e15            # the capture's clock, not 1970
    syn = rows[0]
    assert syn[5] == "10" and syn[6] == "1460"
    bad = _tshark(path, "frame.number", where="_ws.malformed or _ws.expert.severity >= error")
    assert bad == []


def test_the_captured_pane_shows_what_the_routers_nat_changed(snat_filter):
    """A capture has hops alone, no NAT events: the packet that leaves by an uplink is still
    matched to the one that came in on the LAN, so its pane shows the rewrite (source address,
    TCP checksum), and a reply's the destination's -- not "nothing changed yet"."""
    from sim.view.pktpane import pane
    k = snat_filter
    ev = k.events
    syn_up = next(i for i, e in enumerate(ev) if e.node.startswith("uplink") and e.pkt.l4.flags == "S")
    head = pane(k, syn_up)["html"]
    assert "Linux router changed" in head and "IP.src" in head and "TCP.chksum" in head, head[:600]
    reply = next(i for i, e in enumerate(ev) if e.node == "lan" and e.pkt.l4.flags == "SA")
    assert "Linux router changed" in pane(k, reply)["html"] and "IP.dst" in pane(k, reply)["html"]
    first = next(i for i, e in enumerate(ev) if e.node == "lan")
    assert "nothing changed yet" in pane(k, first)["html"]       # what the host sent has no before


def test_a_captured_replays_pcapng_claims_no_simulator_run(tmp_path):
    # the section header's comments (scenario, parameters, "the simulated TCP ...") are a
    # simulator run's; a kernel capture's frames get none of them
    from sim.pcap import pcapng_bytes
    like = sim.run("echo")
    k = captured(str(MASQ), like)
    assert b"simulated TCP" not in pcapng_bytes(k) and b"simulated TCP" in pcapng_bytes(like)
    from sim.view.player import Frames
    assert b"simulated TCP" not in Frames(k, steps=["hop"]).pcapng()     # the replay's download


def test_a_captured_replays_downloads_are_named_after_the_capture(snat_filter):
    """Chapters 8 and 9 compare two different captures: each download is named after its own
    capture file (a capture has no seed), the simulator's after its scenario, seed and the
    parameters it changed (``Result.download_stem``)."""
    import re
    from sim.view import Compare
    from sim import measured
    like = sim.run("echo", multipath="numgen", nat="snat", ingress_filter=True, **measured.LAB)
    names = re.findall(r'download="([^"]+)"', Compare(snat_filter, like, labels=("Linux 6.18, captured",
                                                                                    "simulator")).html())
    assert names == ["perpacket-snat-filter-Linux_6.18_captured.pcapng", "perpacket-snat-filter-Linux_6.18_captured.txt",
                     f"{like.download_stem}-simulator.pcapng", f"{like.download_stem}-simulator.txt"]
    # the simulator's run is the lab's (measured.LAB), not echo's defaults: its name says so
    assert like.download_stem.startswith("echo-seed-1-nat-snat-ingress_filter-down_kbit-1000000-")


def test_a_captured_sides_header_names_the_capture_not_the_simulators_settings(snat_filter):
    """The captured side of a comparison used to show the simulator run's parameter line
    (seed=1 tcp=linux cc=none delay_ms=0.05 ...), none of it true of the kernel."""
    line = snat_filter.params_line()
    assert line == "the kernel lab's capture perpacket-snat-filter.pcapng, replayed on the simulator's network"
    # the run handed in gives the topology only: its settings are not claimed for the capture
    assert captured(str(SNAT_FILTER), sim.run("echo")).params_line() == line


VIEWS_ASK = ("is_capture", "records_nat", "download_stem", "params_line", "packet_bytes", "wire_len",
             "window_shift", "pcapng_bytes")


def test_a_run_and_a_capture_answer_what_the_views_ask_each_for_itself(snat_filter):
    """The views ask a result (sim.result.Result's section "views") instead of probing it for
    a capture's attributes: a run answers for the simulator, a capture for its frames."""
    from sim.pcap import pcapng_bytes, to_bytes
    run = sim.run("echo", seed=1)
    for r in (run, snat_filter):
        assert all(hasattr(r, name) for name in VIEWS_ASK), type(r)
    e = next(e for e in run.events if e.ev is Ev.HOP)
    assert (run.is_capture, run.records_nat, run.download_stem) == (False, True, "echo-seed-1")
    assert run.packet_bytes(e) == to_bytes(e.pkt) and run.wire_len(e) == len(to_bytes(e.pkt))
    assert run.window_shift(e) is None and run.pcapng_bytes() == pcapng_bytes(run)
    k = snat_filter
    cut = next(e for e in k.events if len(e.raw) < e.wire_len)        # a payload the snap length cut
    assert (k.is_capture, k.records_nat, k.download_stem) == (True, False, "perpacket-snat-filter")
    assert k.packet_bytes(cut) == cut.raw and k.wire_len(cut) == cut.wire_len > len(cut.raw)
