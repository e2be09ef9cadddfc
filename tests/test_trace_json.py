"""The JSON trace (schema 2), as a network engineer reads it with jq: one form for one thing, and
every summary field in the README's table.  Each test is a finding of an engineer's on schema 1."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import sim
from sim.result import JSON_ENDPOINTS, TRACE_SCHEMA
from sim.scenarios import workload_of
from helpers import cli
from test_formats import pcapng_frames

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


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


# -- the summary's endpoints ------------------------------------------------------------------------


def _strings(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from _strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from _strings(x)
    elif isinstance(v, str):
        yield v


@pytest.mark.parametrize("scenario", ["equalize-nat", "echo", "mptcp", "thought-question", "uplink-down"])
def test_the_summarys_endpoints_are_address_port_pairs_as_the_events_are(scenario):
    """The summary had "(192.168.0.1, 5000)" where the events have ["192.168.0.1", 5000], and an
    MPTCP subflow's seen_by_server_as was one such text or null, not a list."""
    args = [scenario, "--seed", "2"] + (["--size", "20000"] if "size" in workload_of(scenario) else [])
    d = _json(*args)
    s = d["summary"]
    # no endpoint is left as text: a new one not in JSON_ENDPOINTS would be
    assert not [t for t in _strings(s) if re.fullmatch(r"\(.*, \d+\)", t)]
    locals_ = {tuple(e["local"]) for e in d["events"] if e["ev"] == "tcp"}
    for c in s.get("connections", []) + s.get("echo", []):
        assert tuple(c["client"]) in locals_ and isinstance(c["server"][1], int)
        assert all(type(x) is list and len(x) == 2 for x in c["seen_by_server_as"])
    for m in s.get("mptcp", []):
        for sf in m["subflows"]:
            assert tuple(sf["client"]) in locals_
            assert type(sf["seen_by_server_as"]) is list
            assert all(len(x) == 2 and type(x[1]) is int for x in sf["seen_by_server_as"])
    for c in s.get("connections", []):
        assert all(type(port) is int for _, port in c["seen_by_server_as"])
    for e in s.get("echo", []):                 # addresses only: the port null (the README says why)
        assert e["seen_by_server_as"] and all(port is None for _, port in e["seen_by_server_as"])
    # r.summary, which the book, the exercises and sim.kernel print, keeps the display text
    r = sim.run(*args[:1], seed=2, **({"size": 20000} if "size" in workload_of(scenario) else {}))
    py = r.summary
    for c in py.get("connections", []) + py.get("echo", []):
        assert re.fullmatch(r"\(.*, \d+\)", c["client"])
    for m in py.get("mptcp", []):
        assert all(sf["seen_by_server_as"] is None or isinstance(sf["seen_by_server_as"], str)
                   for sf in m["subflows"])
    assert json.loads(r.to_json())["summary"] == s == r.to_dict()["summary"]


def test_the_endpoints_are_converted_from_one_list():
    assert "mptcp[].subflows[].seen_by_server_as" in JSON_ENDPOINTS
    assert all(p.split(".")[-1] in ("client", "server", "seen_by_server_as", "as") for p in JSON_ENDPOINTS)


# -- the totals and the uplinks' rates --------------------------------------------------------------


def test_an_mptcp_download_counts_in_the_totals():
    """`mptcp`'s totals said 0 bytes, null seconds and rate, while summary.mptcp[0] had its
    500000 bytes in 1.153 s."""
    d = _json("mptcp", "--size", "100000")
    s, m = d["summary"], d["summary"]["mptcp"][0]
    assert m["complete"] and s["bytes_delivered"] == m["bytes"] == 100_000
    assert (s["seconds"], s["throughput_kbit"]) == (m["seconds"], m["throughput_kbit"])
    assert all(u["down_kbit_avg"] is not None for u in s["uplinks"].values())
    code, text, _ = cli(["run", "mptcp", "--size", "100000", "--summary-only"])
    assert f"  total: 100000 bytes in {m['seconds']:.3f} s" in text
    # and one that did not complete is named as a download that did not
    failed = ["mptcp", "--size", "100000", "--subflows", "1", "--down-at", "0.1", "--down-uplink", "1"]
    s = _json(*failed)["summary"]
    assert not s["mptcp"][0]["complete"] and 0 < s["bytes_delivered"] == s["mptcp"][0]["bytes"] < 100_000
    assert s["seconds"] is None and s["throughput_kbit"] is None
    code, text, _ = cli(["run", *failed, "--summary-only"])
    total = next(line for line in text.splitlines() if line.startswith("  total: "))
    assert total.startswith(f"  total: {s['bytes_delivered']}/100000 bytes; 1 of 1 download did not complete "
                            "(MPTCP (192.168.0.1, 5000))")


def _rates(text: str) -> dict[str, float]:
    return {line.split()[0]: float(m.group(1)) for line in text.splitlines()
            if line.startswith("  if") and (m := re.search(r"([0-9.]+) kbit/s while it carried data", line))}


@pytest.mark.parametrize("args", [["multilink"], ["connection-level", "--bundle"],
                                  ["multilink", "--seed", "3", "--size", "100000"]])
def test_a_bundles_rate_while_it_carried_data_is_no_more_than_its_lines(args):
    """Two 2000 kbit/s lines bundled said 4006.1 kbit/s while they carried data: the second
    line's first packet, on the wire beside the first line's before the time counted began, was
    counted in it."""
    d = _json(*args)
    n, speeds = len(d["summary"]["bundle"]), d["params"]["down_kbit"]      # (one speed: every line's)
    lines = speeds if len(speeds) == n else speeds * n
    u = d["summary"]["uplinks"]["if1"]
    assert 0.95 * sum(lines) < u["down_kbit_active"] <= sum(lines)
    code, text, _ = cli(["run", *args, "--summary-only"])
    assert _rates(text) == {"if1": u["down_kbit_active"]}          # the text and the JSON agree


def test_pauses_are_not_time_a_line_carried_data():
    """cache-expiry's line said '0.5 kbit/s while it carried data (660.195 s ...)' on a 2000 kbit/s
    line, counting the idle connection; ping's 0.3, counting the seconds between pings."""
    d = _json("cache-expiry")
    u = d["summary"]["uplinks"]["if2"]
    assert u["down_pauses"] == 1 and u["down_active_s"] < 1
    assert 1900 < u["down_kbit_active"] <= 2000
    assert u["down_active_to_s"] - u["down_active_from_s"] > 600
    code, text, _ = cli(["run", "cache-expiry", "--summary-only"])
    assert _rates(text) == {"if2": u["down_kbit_active"]}
    paused = u["down_active_to_s"] - u["down_active_from_s"] - u["down_active_s"]
    assert (f"({u['down_active_s']:.3f} s, its first data packet down to its last, less {paused:.3f} s "
            "in a pause of a second or more with no data)") in text
    # a line's pings a second or more apart: no rate, each echo a stretch of its own
    p = _json("ping")["summary"]["uplinks"]["if1"]
    assert p["down_kbit_active"] is None and p["down_pauses"] == 4 and p["down_bytes"] == 420
    code, text, _ = cli(["run", "ping", "--summary-only"])
    assert "while it carried data" not in text and "420 bytes down\n" in text


# -- every summary field documented ---------------------------------------------------------------

#: objects of the summary keyed by a name a run gives (a device, a drop reason, a node), and the
#: word the README's table writes for it
NAMED = {"uplinks": "IF", "drops": "REASON", "drops_at": "REASON", "drops_at.REASON": "NODE",
         "link_down.downloads_since_by_uplink": "IF", "uplinks.IF.up_untranslated": "ADDR"}


def _fields(v, path: str = ""):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _fields(x, f"{path}.{NAMED.get(path, k)}" if path else k)
    elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        for x in v:
            yield from _fields(x, path + "[]")
    elif not (isinstance(v, list) and not v):       # an empty list: its items' fields, elsewhere
        yield path


def _documented() -> list[str]:
    section = README[README.index("### Trace JSON"):]
    section = section[:section.index("\n### ")]
    table = section[section.index("| summary field |"):]
    rows = table.split("\n\n")[0].splitlines()[2:]
    return [re.match(r"\| `([^`]+)` \|", row).group(1) for row in rows]


def _summaries() -> list[dict]:
    out = []
    for name in sim.SCENARIOS:
        kw = {"seed": 1}
        if "size" in workload_of(name):
            kw["size"] = 20_000
        out.append(sim.run(name, **kw).to_dict()["summary"])
    # a failed line that comes back (up_at): the fields of its return
    out.append(sim.run("uplink-down", seed=1, size=20_000, up_at=2.5).to_dict()["summary"])
    # a FIN that leaves untranslated (the README's example of it)
    out.append(sim.run("uplink-down", seed=1, cc="reno").to_dict()["summary"])
    return out


def test_every_summary_field_is_in_the_readmes_table_and_every_row_is_a_field():
    """The README listed a few of the summary's fields; a jq user had to guess the rest, and
    their units (seconds or µs, a count or a list)."""
    documented = _documented()
    assert len(documented) == len(set(documented)), "a field listed twice"
    found = {f for s in _summaries() for f in _fields(s)}
    assert found - set(documented) == set(), "summary fields the README's Trace JSON table does not list"
    assert set(documented) - found == set(), "rows of the README's table no summary has"


def test_up_packets_counts_a_packet_the_failing_line_lost_and_the_readme_says_so():
    """An engineer's finding: `run uplink-down --cc reno` gave if2 105 up_packets while the pcap's
    uplink2 had 104 -- an ACK put on the line as it failed (event 4539, dropped "link down") is
    counted when sent and never becomes a hop.  The README's table says what the count counts,
    and the count is that: the hops onto the line plus the packets the failing line lost."""
    from sim.trace import Drop, Ev
    r = sim.run("uplink-down", cc="reno")
    dev = r.net["router"].ifaces["if2"]
    hops = sum(1 for e in r.events if e.ev is Ev.HOP and e.node == dev.link.name and e.from_ == dev.label)
    down = sum(1 for e in r.events if e.ev is Ev.DROP and e.node == "router" and e.reason is Drop.LINK_DOWN)
    lost = down - dev.tx_dropped            # on the line when it failed (a down device's refusals aside)
    assert r.summary["uplinks"]["if2"]["up_packets"] == hops + lost and lost == 1, (hops, down, dev.tx_dropped)
    row = next(l for l in README.splitlines() if l.startswith("| `uplinks.IF.up_packets` |"))
    assert "a packet lost when the line fails included" in row
    assert "`run uplink-down --cc reno` counts one more on `if2` than its pcap shows the router sending on `uplink2`" in row
    assert "--cc reno" in next(l for l in README.splitlines() if l.startswith(".venv/bin/python -m sim run uplink-down"))


def test_the_readme_says_what_changed_from_schema_1():
    section = README[README.index(f"### Trace JSON (schema {TRACE_SCHEMA})"):]
    said = section[section.index("What changed from schema 1"):section.index("\n### ")]
    for word in ("icmp_id", "via", "[address, port]", "event_count", "end_time_s", "down_kbit_avg",
                 "MPTCP", "down_active_s", "down_pauses"):
        assert word in said, word


# -- the parameters as the network has them --------------------------------------------------------

@pytest.mark.parametrize("scenario, kw, uplinks, remotes", [
    ("equalize-nat", {}, ["100.0.0.1", "150.0.0.1"], ["200.0.0.1", "210.0.0.1"]),
    ("echo", {"uplinks": 3}, ["100.0.0.1", "150.0.0.1", "151.0.0.1"], ["200.0.0.1", "210.0.0.1"]),
    ("multilink", {}, ["100.0.0.1"], ["200.0.0.1", "210.0.0.1"]),      # bundled: one link, one address
    ("connection-level", {"uplink_addrs": ["11.0.0.1", "12.0.0.1"], "remote_addrs": ["13.0.0.1", "14.0.0.1"]},
     ["11.0.0.1", "12.0.0.1"], ["13.0.0.1", "14.0.0.1"]),
])
def test_the_params_name_the_addresses_the_capture_names(scenario, kw, uplinks, remotes):
    """``"uplink_addrs": [], "remote_addrs": []`` while the pcap's section header named
    100.0.0.1,150.0.0.1 and 200.0.0.1,210.0.0.1: a jq user could not tell the addresses from
    the JSON.  It names the addresses the network has, and its params run the same run again."""
    from sim.pcap import pcapng_bytes
    size = {} if scenario == "echo" else {"size": 3000}
    r = sim.run(scenario, **size, **kw)
    p = r.to_dict()["params"]
    assert p["uplink_addrs"] == uplinks and p["remote_addrs"] == remotes
    if scenario != "multilink":         # (the capture names the parameter: one per uplink)
        head = pcapng_bytes(r)[:2000]
        assert f"uplink_addrs={','.join(uplinks)} remote_addrs={','.join(remotes)}".encode() in head
    again = sim.run(scenario, **size, **{**kw, "uplink_addrs": uplinks, "remote_addrs": remotes})
    assert again.to_json() == r.to_json()
    assert (again.pcapng_bytes() == r.pcapng_bytes()) is (scenario != "multilink")    # (its header, above)


def test_the_json_says_what_wrote_it_and_has_the_text_summarys_notes():
    """An engineer's finding: the text summary's "note:" lines (cc=none's fixed window, a receive
    window that held a download back) were not in the JSON, nor which simulator wrote it."""
    code, text, _ = cli(["run", "flashget", "--seed", "1", "--size", "20000"])
    notes = [line.removeprefix("  note: ") for line in text.splitlines() if line.startswith("  note: ")]
    d = _json("flashget", "--seed", "1", "--size", "20000")
    assert notes and d["summary"]["notes"] == notes
    assert d["simulator"] == f"1 + 1 < 1 simulator {sim.__version__}"
    assert _json("equalize-nat", "--seed", "5", "--size", "3000")["summary"]["notes"] == []
