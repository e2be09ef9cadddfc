"""A simulator capture is taken where tcpdump on one named device would take it, and tells what
became of a packet.

A link's frames were stamped when each reached the far end of the link, so the capture point
flipped with the direction: in ``echo`` the SYN was on ``uplink1`` 10.6 ms after the router
had it, and the SYN -> SYN+ACK round trip read there 24.2 ms where the router's if1 sees
34.8 ms.  Now a link with the router at one end is captured on the router's device (a frame
going out when it starts onto the wire, one coming in when it has arrived), any other link on
its first end, named in the interface's description; the frames are in time order.  A
packet's last frame says where and why it was dropped; a frame the router's own stack made
says so."""
import os
import pty
import shutil
import struct
import subprocess
import sys

import pytest

import sim
from sim.pcap import START_US, Capture, _key, capture_end, frame_order
from sim.trace import Ev

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def frames(data: bytes) -> list[tuple[str, int, str]]:
    """(interface name, µs of the run, comment) of every frame of a pcapng."""
    names, out, off = [], [], 0
    while off < len(data):
        btype, n = struct.unpack_from("<II", data, off)
        body = data[off + 8:off + n - 4]
        if btype == 1:
            names.append(_opts(body[8:])[2].decode())
        elif btype == 6:
            ifid, hi, lo, caplen, _ = struct.unpack_from("<IIIII", body)
            opts = _opts(body[20 + caplen + (-caplen % 4):])
            out.append((names[ifid], ((hi << 32) | lo) - START_US, opts.get(1, b"").decode()))
        off += n
    return out


def descriptions(data: bytes) -> dict[str, str]:
    out, off = {}, 0
    while off < len(data):
        btype, n = struct.unpack_from("<II", data, off)
        if btype == 1:
            o = _opts(data[off + 16:off + n - 4])
            out[o[2].decode()] = o[3].decode()
        off += n
    return out


def _opts(b: bytes) -> dict[int, bytes]:
    out, i = {}, 0
    while i + 4 <= len(b):
        code, n = struct.unpack_from("<HH", b, i)
        if code == 0:
            break
        out[code] = b[i + 4:i + 4 + n]
        i += 4 + n + (-n % 4)
    return out


def by_event(data: bytes) -> dict[int, tuple[str, int, str]]:
    return {int(c.split(":")[0].split()[1]): (link, t, c) for link, t, c in frames(data)}


def test_echo_syn_is_on_the_router_s_two_devices_at_once_and_its_round_trip_reads_as_on_if1():
    r = sim.run("echo")
    got = by_event(r.pcapng_bytes())
    ev = r.events
    hops = {i: e for i, e in enumerate(ev) if e.ev is Ev.HOP}
    syn_lan = next(i for i, e in hops.items() if e.node == "lan" and e.pkt.l4.flags == "S")
    syn_up = next(i for i, e in hops.items() if e.node == "uplink1" and e.pkt.l4.flags == "S")
    synack_up = next(i for i, e in hops.items() if e.node == "uplink1" and e.pkt.l4.flags == "SA")
    synack_lan = next(i for i, e in hops.items() if e.node == "lan" and e.pkt.l4.flags == "SA")
    # the router had the SYN when it reached router:eth0 (its queue on if1 was empty): it is on
    # uplink1 at that time, not when provider1 had it 10.6 ms later
    assert got[syn_lan][1] == got[syn_up][1] == hops[syn_lan].t
    assert hops[syn_up].t - got[syn_up][1] == r.net.links["uplink1"].delay + 40 * 8_000_000 // 512_000
    # the SYN+ACK: in on if1 when it arrived, out on eth0 when it started onto the LAN
    assert got[synack_up][1] == hops[synack_up].t
    assert got[synack_lan][1] == hops[synack_lan].t - 100 - 40 * 8_000_000 // 100_000_000
    # the round trip on uplink1 is the router's: 34.8 ms, not 24.2
    assert got[synack_up][1] - got[syn_up][1] == hops[synack_up].t - hops[syn_lan].t == 34_797


@pytest.mark.parametrize("scenario,kw", [("echo", {}), ("thought-question", {"size": 100_000}),
                                         ("multilink", {"size": 30_000}), ("uplink-down", {"size": 100_000})])
def test_a_frame_leaving_the_router_is_stamped_between_the_router_having_it_and_its_arrival(scenario, kw):
    """Never before the router had the packet, never after the far end had it; later than the
    router had it when it waited in the device's queue (never on a bundle: PPP Multilink's
    device takes it as the router sends it).  Every interface's frames in time order."""
    r = sim.run(scenario, seed=1, **kw)
    cap = Capture(r)
    last, waited, out = {}, 0, 0
    for i, e in enumerate(r.events):
        if e.ev is not Ev.HOP:
            if e.pkt is not None and e.node == "router":
                last[_key(e.pkt)] = e.t
            continue
        assert cap.stamp[i] <= e.t
        if e.from_.startswith("router:"):
            out += 1
            had = last[_key(e.pkt)]
            assert had <= cap.stamp[i], (i, e)
            waited += cap.stamp[i] > had
            if r.net.links[e.node].bundle:
                assert cap.stamp[i] == had
    assert out and (waited > 0) == (scenario == "thought-question" or scenario == "uplink-down")
    seen = {}
    for link, t, _ in frames(r.pcapng_bytes()):
        assert t >= seen.get(link, 0), link
        seen[link] = t
    assert len(frames(r.pcapng_bytes())) == len(cap.stamp)


def test_every_interface_names_the_device_it_is_captured_on():
    r = sim.run("connection-level")
    d = descriptions(r.pcapng_bytes())
    assert d["lan"] == "router:eth0 <-> local1:eth0 <-> local2:eth0 (captured on router:eth0), 100 Mbit/s"
    assert d["uplink2"].startswith("router:if2 <-> provider2:cust (captured on router:if2), ")
    assert d["peer1"].startswith("provider1:core <-> internet:p1 (captured on provider1:core), ")
    assert d["remote1_link"].startswith("internet:r1 <-> remote1:eth0 (captured on internet:r1), ")
    assert {capture_end(l).label for l in r.net.links.values()} >= {"router:eth0", "router:if1", "router:if2"}


def test_a_dropped_packet_s_last_frame_says_where_why_and_which_event():
    r = sim.run("echo")
    got = by_event(r.pcapng_bytes())
    ev = r.events
    drop = next(i for i, e in enumerate(ev) if e.ev is Ev.DROP and str(e.reason) == "nat oif changed")
    gone = next(i for i in range(drop, 0, -1) if ev[i].ev is Ev.CT_DEL)
    last = max(i for i, e in enumerate(ev[:drop]) if e.ev is Ev.HOP and e.to.startswith("router:")
               and e.pkt.l4.seq == ev[drop].pkt.l4.seq and e.pkt.l4.flags == ev[drop].pkt.l4.flags)
    assert got[last][2] == (f"event {last}: local1:eth0 > router:eth0; dropped at router (event {drop}): "
                            f"nat oif changed; ct {ev[gone].ct} deleted there ({ev[gone].reason}, event {gone})")
    # the packet made no hop after it: no other frame of it
    assert ev[drop].pkt.l4.seq not in [e.pkt.l4.seq for i, e in enumerate(ev) if i > drop and e.ev is Ev.HOP
                                       and e.node == "uplink2" and e.pkt.l4.flags == "A"]
    # the router's own reset, and what it answers
    reset = next(i for i, e in enumerate(ev) if e.ev is Ev.DROP and e.node == "router" and str(e.reason) == "reset")
    rst = next(i for i, e in enumerate(ev) if i > reset and e.ev is Ev.HOP and e.from_ == "router:if1")
    assert got[rst][2] == f"event {rst}: router:if1 > provider1:cust; router's stack: no socket -> RST (answering event {reset})"
    came = max(i for i in got if i < reset and got[i][0] == "uplink1")
    assert got[came][2].endswith(f"; dropped at router (event {reset}): reset")


def test_every_drop_of_a_packet_that_crossed_a_link_is_on_its_last_frame():
    r = sim.run("uplink-down", seed=1, size=100_000)
    comments = [c for _, _, c in frames(r.pcapng_bytes())]
    drops = [(i, e) for i, e in enumerate(r.events) if e.ev is Ev.DROP and str(e.reason) != "retries exhausted"]
    assert len(drops) > 100
    for i, e in drops:
        assert sum(f"; dropped at {e.node} (event {i}): {e.reason}" in c for c in comments) == 1, (i, e)


def test_the_order_is_deterministic_and_the_command_line_writes_the_same_bytes(tmp_path):
    r = sim.run("equalize-nat", seed=3, size=5000)
    assert r.pcapng_bytes() == sim.run("equalize-nat", seed=3, size=5000).pcapng_bytes()
    order = frame_order(r)
    assert order != sorted(order)           # the router's frames going out come before their arrival
    assert [int(c.split()[1].rstrip(":")) for _, _, c in frames(r.pcapng_bytes())] == order
    path = tmp_path / "e.pcapng"
    out = subprocess.run([sys.executable, "-m", "sim", "run", "equalize-nat", "--seed", "3", "--size", "5000",
                          "--pcap", str(path)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stderr == ""         # a script hears nothing more
    assert path.read_bytes() == r.pcapng_bytes()


def test_on_a_terminal_the_command_line_says_once_how_to_read_one_link(tmp_path):
    path = tmp_path / "e.pcapng"
    main, sub = pty.openpty()
    try:
        p = subprocess.run([sys.executable, "-m", "sim", "run", "echo", "--pcap", str(path), "--summary-only"],
                           stdout=subprocess.PIPE, stderr=sub, cwd=ROOT, timeout=300)
        os.close(sub)
        said = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(main)
    assert p.returncode == 0 and path.exists()
    text = said.decode().replace("\r\n", "\n")
    assert text.count("\n") == 1 and text.startswith("python -m sim run: note: ")
    assert "holds 7 links' frames, a packet once on each link it crosses" in text
    assert f"tshark -r {path} -Y 'frame.interface_name == \"uplink1\"' -w uplink1.pcapng" in text


def test_one_link_written_apart_reads_the_router_s_round_trip_in_tshark(tmp_path):
    tshark = shutil.which("tshark")
    if tshark is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is missing in CI")
        pytest.skip("tshark not installed")
    r = sim.run("echo")
    whole, one = tmp_path / "all.pcapng", tmp_path / "uplink1.pcapng"
    r.write_pcap(str(whole))
    subprocess.run([tshark, "-r", str(whole), "-Y", 'frame.interface_name == "uplink1"', "-w", str(one)],
                   capture_output=True, check=True)
    rows = subprocess.run([tshark, "-r", str(one), "-T", "fields", "-e", "tcp.flags.str", "-e", "tcp.analysis.ack_rtt"],
                          capture_output=True, text=True, check=True).stdout.splitlines()
    synack = next(row for row in rows if "A" in row.split("\t")[0] and "S" in row.split("\t")[0])
    assert synack.split("\t")[1] == "0.034797000"
