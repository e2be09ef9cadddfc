"""``--pcap-link``: one link's frames (or a few links'), as ``tcpdump -i if1`` on the router takes
them, instead of every link's in one file.

A merged capture shows a packet once per link it crosses, and Wireshark's TCP analysis counts
the copies as retransmissions; an engineer who wants what the router's if1 saw had to split the
file with tshark first.  ``--pcap-link uplink1`` (or ``if1``, or ``router:if1``) writes that
link's interface and frames alone, the same frames, stamps and comments as the merged file's;
``--pcap-link help`` lists the links of the run's network; a name not in it is one line naming
it and what is allowed, before the run, with no file left behind."""
import os
import struct
import subprocess
import sys

import pytest

import sim
from test_pcap_capture_point import descriptions, frames

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", "run", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def _payloads(data: bytes) -> list[bytes]:
    """The packet bytes of every frame of a pcapng, in order."""
    out, off = [], 0
    while off < len(data):
        btype, n = struct.unpack_from("<II", data, off)
        if btype == 6:
            caplen = struct.unpack_from("<I", data, off + 20)[0]
            out.append(data[off + 28:off + 28 + caplen])
        off += n
    return out


def _shb_comments(data: bytes) -> str:
    n = struct.unpack_from("<I", data, 4)[0]
    return data[:n].decode("utf-8", "replace")


def test_one_link_is_the_merged_captures_frames_on_it_and_nothing_else(tmp_path):
    every, one = tmp_path / "all.pcapng", tmp_path / "if1.pcapng"
    assert _cli("echo", "--pcap", str(every), "--summary-only").returncode == 0
    p = _cli("echo", "--pcap", str(one), "--pcap-link", "uplink1", "--summary-only")
    assert p.returncode == 0, p.stderr
    a, b = every.read_bytes(), one.read_bytes()
    on_uplink1 = [(f, x) for f, x in zip(frames(a), _payloads(a)) if f[0] == "uplink1"]
    assert on_uplink1 and list(zip(frames(b), _payloads(b))) == on_uplink1
    assert len(on_uplink1) < len(frames(a))                  # (the merged file has other links)
    assert list(descriptions(b)) == ["uplink1"]
    assert descriptions(b)["uplink1"] == descriptions(a)["uplink1"]
    # the section header says it is one link, each packet once; the merged one says how to get it
    assert "The frames of one link, uplink1: each packet that crossed it appears once." in _shb_comments(b)
    assert "--pcap-link" in _shb_comments(a) and "--pcap-link" not in _shb_comments(b).split("once.")[1]


def test_a_link_is_named_by_its_name_its_capture_device_or_the_routers_device(tmp_path):
    got = {}
    for name in ("uplink2", "if2", "router:if2", "UpLink2"):
        out = tmp_path / f"{name.replace(':', '_')}.pcapng"
        p = _cli("equalize-nat", "--seed", "3", "--size", "20000", "--pcap", str(out), "--pcap-link", name,
                 "--summary-only")
        assert p.returncode == 0, (name, p.stderr)
        got[name] = out.read_bytes()
    assert len(set(got.values())) == 1, "the same link named four ways gave different files"
    assert {f[0] for f in frames(got["if2"])} == {"uplink2"}
    # several: their interfaces in the network's order, whatever the order given
    out = tmp_path / "two.pcapng"
    assert _cli("equalize-nat", "--seed", "3", "--size", "20000", "--pcap", str(out),
                "--pcap-link", "remote1_link,if1", "--summary-only").returncode == 0
    data = out.read_bytes()
    assert list(descriptions(data)) == ["uplink1", "remote1_link"]
    assert {f[0] for f in frames(data)} == {"uplink1", "remote1_link"}
    assert [f[1] for f in frames(data)] == sorted(f[1] for f in frames(data))     # time order kept


@pytest.mark.parametrize("given,said", [
    ("if9", "--pcap-link 'if9': no such link in echo's network; allowed (comma-separated): lan (router:eth0), "
            "uplink1 (router:if1), peer1 (provider1:core), uplink2 (router:if2)"),
    ("uplink1,uplnk2", "--pcap-link 'uplnk2': no such link in echo's network"),
    (",", "--pcap-link ',': no such link in echo's network"),
])
def test_a_bad_link_is_one_line_naming_it_and_what_is_allowed_and_leaves_no_file(tmp_path, given, said):
    out = tmp_path / "x.pcapng"
    p = _cli("echo", "--pcap", str(out), "--pcap-link", given)
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stdout)
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr, p.stderr
    assert said in p.stderr, p.stderr
    assert not out.exists() and os.listdir(tmp_path) == []


def test_a_third_uplink_is_a_link_only_where_there_is_one(tmp_path):
    out = tmp_path / "x.pcapng"
    p = _cli("echo", "--pcap", str(out), "--pcap-link", "uplink3")
    assert p.returncode == 2 and "'uplink3': no such link" in p.stderr, p.stderr
    p = _cli("echo", "--uplinks", "3", "--pcap", str(out), "--pcap-link", "if3", "--summary-only")
    assert p.returncode == 0, p.stderr
    assert list(descriptions(out.read_bytes())) == ["uplink3"]


def test_without_pcap_it_says_what_it_needs_and_help_lists_the_links():
    p = _cli("echo", "--pcap-link", "if1")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == ("python -m sim run: error: --pcap-link 'if1' chooses the links of the capture "
                                "--pcap FILE writes: give --pcap FILE too (the trace on standard output has "
                                "every link)"), p.stderr
    p = _cli("equalize-nat", "--bundle", "--pcap-link", "help")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("the links of equalize-nat's network, for --pcap-link")
    assert [x.split()[0] for x in lines[1:]] == ["lan", "uplink1", "peer1", "remote1_link", "remote2_link"]
    assert "uplink1        captured on router:if1" in p.stdout


def test_the_python_api_takes_the_same_names_and_refuses_a_bad_one(tmp_path):
    r = sim.run("echo")
    n = r.write_pcap(str(tmp_path / "a.pcapng"), links="if1")
    assert n == len(frames((tmp_path / "a.pcapng").read_bytes())) > 0
    assert n < r.write_pcap(str(tmp_path / "b.pcapng"))
    with pytest.raises(ValueError, match=r"^links='if9': no such link in this network; allowed"):
        r.write_pcap(str(tmp_path / "c.pcapng"), links="if9")
    assert not (tmp_path / "c.pcapng").exists()


def test_the_same_run_gives_the_same_bytes(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"{k}.pcapng"
        assert _cli("equalize-nat", "--seed", "5", "--size", "20000", "--pcap", str(out), "--pcap-link",
                    "if1,if2", "--summary-only").returncode == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
