"""pcapng: real bytes with right checksums after NAT, one interface per link, frame n = the n-th hop in capture order."""
import hashlib
import os
import shutil
import subprocess

import pytest

import sim
from sim.packet import ICMP, TCP, UDP
from sim.pcap import frame_order, hops, to_bytes, to_scapy
from sim.scenarios import unread

TSHARK = shutil.which("tshark")


def need_tshark():
    if TSHARK is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is missing in CI: `make test` installs it with apt-get as root")
        pytest.skip("tshark not installed (apt-get install tshark)")


def test_nat_rewritten_packet_has_correct_checksums():
    from scapy.layers.inet import IP, TCP
    r = sim.run("equalize-nat", seed=2, size=3_000)
    nat = next(e for e in r.events if e.ev.value == "nat")
    raw = bytes(to_scapy(nat.pkt))
    back = IP(raw)
    assert back[IP].src == nat.pkt.ip.src and back[TCP].sport == nat.pkt.l4.sport
    fresh = IP(raw)
    del fresh[IP].chksum, fresh[TCP].chksum
    rebuilt = IP(bytes(fresh))
    assert rebuilt[IP].chksum == back[IP].chksum and rebuilt[TCP].chksum == back[TCP].chksum
    assert back[IP].len == nat.pkt.wire_len()


def test_packet_bytes_are_scapys_byte_for_byte():
    """sim.pcap.to_bytes puts the headers together itself; scapy's bytes (to_scapy) are the
    reference: the first and last packets of every scenario and every MPTCP option kind,
    each checked against them."""
    kinds = set()
    for scenario in sim.SCENARIOS:
        pkts = [e.pkt for e in sim.run(scenario, seed=1).events if e.pkt is not None]
        mptcp = {type(p.l4.mptcp): p for p in pkts if type(p.l4) is TCP and p.l4.mptcp}
        for p in pkts[:120] + pkts[-120:] + list(mptcp.values()):
            assert to_bytes(p) == bytes(to_scapy(p)), (scenario, p)
            kinds.add(type(p.l4).__name__ + (f"+{type(p.l4.mptcp).__name__}" if type(p.l4) is TCP and p.l4.mptcp
                                             else ""))
    assert {"TCP", "UDP", "ICMP", "TCP+MpCapable", "TCP+MpJoin", "TCP+Dss"} <= kinds, kinds


def test_pcap_is_byte_identical_for_the_same_seed(tmp_path):
    digests = []
    for k in range(2):
        path = tmp_path / f"{k}.pcapng"
        sim.run("equalize-nat", seed=5, size=5_000).write_pcap(str(path))
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


@pytest.mark.parametrize("scenario", list(sim.SCENARIOS))
def test_tshark_reads_every_scenario_without_errors(scenario, tmp_path):
    need_tshark()
    workload = {k: v for k, v in {"size": 20_000, "idle": 400.0}.items() if k not in unread(scenario)}
    r = sim.run(scenario, seed=1, **workload)
    path = tmp_path / "t.pcapng"
    n = r.write_pcap(str(path))
    assert n == len(hops(r)) > 0
    checks = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
              "-o", "udp.check_checksum:TRUE"]
    out = subprocess.run([TSHARK, "-n", "-r", str(path), *checks, "-T", "fields",
                          "-e", "frame.number", "-e", "frame.interface_name", "-e", "ip.src",
                          "-e", "frame.comment"], capture_output=True, text=True, check=True)
    rows = [l.split("\t") for l in out.stdout.splitlines()]
    assert len(rows) == n
    for i, row in zip(frame_order(r), rows):     # frame n is the n-th hop in capture order, on its link
        e = r.events[i]
        assert row[1] == e.node and row[2] == e.pkt.ip.src and row[3].startswith(f"event {i}:")
    bad = subprocess.run([TSHARK, "-n", "-r", str(path), *checks, "-Y",
                          "_ws.malformed || ip.checksum.status == 2 || tcp.checksum.status == 2 "
                          "|| udp.checksum.status == 2 || icmp.checksum.status == 2"],
                         capture_output=True, text=True, check=True)
    assert bad.stdout.strip() == ""


def test_the_reading_advice_names_real_links_and_wireshark_notes_as_they_are(tmp_path):
    """Chapter 1 and the player tell a Wireshark user that a packet is a frame on every link it
    crosses and to filter one link by a name the capture has; the README says the missing-MSS
    note comes only on MPTCP's SYNs (a SYN with no option gets none) -- checked with tshark."""
    import re
    from pathlib import Path
    from sim.view.player import HINT
    need_tshark()
    root = Path(__file__).resolve().parent.parent
    chapter = (root / "book" / "01-network.md").read_text()
    readme = (root / "README.md").read_text()
    r = sim.run("connection-level", seed=1, size=3000)
    path = tmp_path / "c.pcapng"
    r.write_pcap(str(path))
    names = set(subprocess.run([TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.interface_name"],
                               capture_output=True, text=True, check=True).stdout.split())
    for text in (chapter, HINT):
        said = re.findall(r'frame\.interface_name == (?:\\)?"([\w-]+)', text)
        assert said and set(said) <= names, (said, names)
    assert "once for every link it crosses" in chapter and "no options on the wire" in chapter
    assert "Wireshark notes the\nmissing MSS" not in readme and "no options on the wire" in readme

    def mss_notes(scenario):
        f = tmp_path / f"{scenario}.pcapng"
        sim.run(scenario, seed=1, size=3000).write_pcap(str(f))
        out = subprocess.run([TSHARK, "-r", str(f), "-q", "-z", "expert"], capture_output=True, text=True).stdout
        return "does not contain a MSS option" in out
    assert not mss_notes("connection-level") and mss_notes("mptcp")


def test_the_captures_advice_on_reading_one_link_leaves_no_false_retransmissions(tmp_path):
    """The section header (and chapter 1, and the players' hint) tell a Wireshark user how to read
    one link: the frames written to a file of their own.  A display filter alone keeps the
    flags Wireshark's TCP analysis put on the copies; the advice's command line must not."""
    import re
    import shlex
    need_tshark()
    from sim.pcap import how_to_read
    path = tmp_path / "en.pcapng"
    sim.run("equalize-nat", seed=3, tcp="linux", cc="reno", size=5000).write_pcap(str(path))
    flagged = "tcp.analysis.retransmission or tcp.analysis.duplicate_ack"
    shown = subprocess.run([TSHARK, "-n", "-r", str(path), "-Y", f'frame.interface_name == "remote1_link" '
                            f"and ({flagged})"], capture_output=True, text=True, check=True).stdout
    assert shown.strip(), "the merged capture should show false retransmissions on one link too"
    cmd = re.search(r"(tshark -r THIS .*? -w \S+?\.pcapng)", how_to_read("remote1_link")).group(1)
    argv = [TSHARK if a == "tshark" else str(path) if a == "THIS" else
            str(tmp_path / a) if a.endswith(".pcapng") else a for a in shlex.split(cmd)]
    subprocess.run(argv, capture_output=True, check=True)
    one = tmp_path / "remote1_link.pcapng"
    left = subprocess.run([TSHARK, "-n", "-r", str(one), "-Y", flagged], capture_output=True, text=True,
                          check=True).stdout
    assert left == "" and subprocess.run([TSHARK, "-n", "-r", str(one)], capture_output=True, text=True,
                                         check=True).stdout.count("\n") > 5


def test_the_kernel_labs_captures_are_written_by_sim_pcaps_blocks():
    """One pcapng writer: the kernel lab's merged capture (``sim.kernel.capture.pcapng_bytes``)
    is made of ``sim.pcap``'s blocks, and rebuilds every capture the book ships byte for byte
    from the frames and interfaces read back from it."""
    import glob
    import re
    from collections import namedtuple

    from sim.kernel import capture as kcap
    from sim.pcap import LINKTYPE_ETHERNET, block, epb, idb, option, shb
    from sim.view.capture import read_pcapng
    Link = namedtuple("Link", "name ends capture")
    files = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "book", "data", "kernel", "*.pcapng")))
    assert files
    for path in files:
        interfaces = []
        frames, _ = read_pcapng(path, interfaces)
        links = []
        for i in interfaces:
            ends, on = re.fullmatch(r"(.*) \(captured on (.*)\)", i.description).groups()
            links.append(Link(i.name, [tuple(e.split(":")) for e in ends.split(" <-> ")], tuple(on.split(":"))))
        rebuilt = kcap.pcapng_bytes(links, [kcap.Frame(f.t, f.link, f.data, f.wire_len) for f in frames])
        with open(path, "rb") as f:
            assert rebuilt == f.read(), path
    # the blocks themselves: a frame without a comment has no options, a cut one its length on
    # the wire; an empty description is left out; comments come before the writer's name
    import struct
    assert epb(0, 1, b"abcd") == (struct.pack("<IIIIIII", 6, 36, 0, 0, 1, 4, 4) + b"abcd"
                                  + struct.pack("<I", 36))
    assert epb(0, 1, b"ab", wire_len=9, comment="c") == block(6, struct.pack("<IIIII", 0, 0, 1, 2, 9) + b"ab\0\0"
                                                              + option(1, b"c") + option(0, b""))
    assert idb("lan", "", LINKTYPE_ETHERNET, 256) == block(1, struct.pack("<HHI", 1, 0, 256) + option(2, b"lan")
                                                           + option(9, b"\x06") + option(0, b""))
    assert shb("w", ["c"]) == block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option(1, b"c")
                                    + option(4, b"w") + option(0, b""))
