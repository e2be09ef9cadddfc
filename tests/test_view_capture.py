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


def test_a_captured_replays_pcapng_claims_no_simulator_run(tmp_path):
    # the section header's comments (scenario, parameters, "the simulated TCP ...") are a
    # simulator run's; a kernel capture's frames get none of them
    from sim.pcap import pcapng_bytes
    like = sim.run("echo")
    k = captured(str(MASQ), like)
    assert b"simulated TCP" not in pcapng_bytes(k) and b"simulated TCP" in pcapng_bytes(like)
