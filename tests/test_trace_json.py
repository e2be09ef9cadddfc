"""The JSON trace (schema 2), as a network engineer reads it with jq: one form for one thing.
Each test is a finding of an engineer's on schema 1."""
from __future__ import annotations

import json
import re

from sim.result import TRACE_SCHEMA
from helpers import cli
from test_formats import pcapng_frames


def _json(*args: str) -> dict:
    code, out, err = cli(["run", *args, "--format", "json"])
    assert code == 0 and err == "", err
    return json.loads(out)


# -- events -----------------------------------------------------------------------------------------


def test_an_icmp_packets_id_is_its_ip_id_and_its_echo_identifier_is_icmp_id(tmp_path):
    """`id` of an ICMP packet was the echo's identifier, written over the IP ID: after the NAT it
    said 6000, where the capture has IP ID 1 and identifier 6000."""
    pcap = tmp_path / "icmp.pcapng"
    d = _json("icmp-equalize-nat", "--pcap", str(pcap))
    assert d["schema"] == TRACE_SCHEMA == 2
    nat = next(e for e in d["events"] if e["ev"] == "nat" and e["dir"] == "snat")
    assert (nat["before"]["id"], nat["before"]["icmp_id"]) == (1, 1)
    assert (nat["pkt"]["id"], nat["pkt"]["icmp_id"]) == (1, 6000)
    # every ICMP hop's two numbers are the capture's: IP ID and ICMP identifier of frame n
    hops = [e for e in d["events"] if e["ev"] == "hop"]
    frames = pcapng_frames(pcap.read_bytes())
    assert len(frames) == len(hops)
    icmp = [(h["pkt"], raw) for h, (_, raw) in zip(hops, frames) if h["pkt"]["proto"] == "icmp"]
    assert icmp
    for pkt, raw in icmp:
        ihl = (raw[0] & 15) * 4
        assert "id" in pkt and "icmp_id" in pkt
        assert (pkt["id"], pkt["icmp_id"]) == (int.from_bytes(raw[4:6], "big"),
                                                int.from_bytes(raw[ihl + 4:ihl + 6], "big"))
    assert {(p["src"], p["icmp_id"]) for p, _ in icmp} >= {("100.0.0.1", 6000), ("192.168.0.1", 1)}


def test_a_directly_connected_route_has_no_via_and_a_conntrack_tuple_names_its_protocol():
    """`"via": "-"` stood for none, and `ct_new.orig.proto` was 6 where `pkt.proto` is "tcp"."""
    d = _json("equalize-nat", "--size", "3000")
    vias = [e["via"] for e in d["events"] if "via" in e]
    assert None in vias and "-" not in vias
    assert all(v is None or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", v) for v in vias)
    ct = [e for e in d["events"] if e["ev"] == "ct_new"]
    assert ct and all(e[t]["proto"] == "tcp" for e in ct for t in ("orig", "reply"))
    ping = _json("icmp-equalize-nat", "--pings", "2")
    assert {e["orig"]["proto"] for e in ping["events"] if e["ev"] == "ct_new"} == {"icmp"}
