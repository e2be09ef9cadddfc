"""Every scenario in every output format (issue 15): text, summary, JSON and pcapng from the
command line agree with each other on one run."""
from __future__ import annotations

import json
import struct

import pytest

import sim
from sim import SCENARIOS
from sim.pcap import frame_order
from sim.scenarios import workload_of
from helpers import cli

# a small run of each scenario: the workload options it reads (the CLI refuses the others)
SIZES = {"size": "5000", "pings": "3", "messages": "3", "msg_size": "500"}


def small(scenario: str) -> list[str]:
    return ["--seed", "2"] + [x for k, v in SIZES.items() if k in workload_of(scenario)
                              for x in ("--" + k.replace("_", "-"), v)]




def pcapng_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(interface id, packet bytes) of every enhanced packet block."""
    frames, pos = [], 0
    assert data[:4] == b"\x0a\x0d\x0d\x0a"
    while pos < len(data):
        btype, blen = struct.unpack_from("<II", data, pos)
        assert blen >= 12 and blen % 4 == 0 and struct.unpack_from("<I", data, pos + blen - 4)[0] == blen
        if btype == 6:
            ifid, _, _, caplen, origlen = struct.unpack_from("<IIIII", data, pos + 8)
            assert caplen == origlen
            frames.append((ifid, data[pos + 28:pos + 28 + caplen]))
        pos += blen
    assert pos == len(data)
    return frames


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_scenario_in_text_json_and_pcapng(scenario, tmp_path):
    code, text, err = cli(["run", scenario, *small(scenario)])
    assert code == 0 and err == "", err
    code, summary, err = cli(["run", scenario, *small(scenario), "--summary-only"])
    assert code == 0 and err == ""
    pcap = tmp_path / f"{scenario}.pcapng"
    code, js, err = cli(["run", scenario, *small(scenario), "--format", "json", "--pcap", str(pcap)])
    assert code == 0 and err == "", err
    d = json.loads(js)
    assert d["schema"] == 2 and d["scenario"] == scenario and d["params"]["seed"] == 2
    events = d["events"]
    assert events and [e["i"] for e in events] == list(range(len(events)))
    assert d["summary"]["event_count"] == len(events)
    # the text is one line per event, then the summary, the same as --summary-only
    lines = text.split("\n")
    assert lines[:len(events)] and all(l.split()[2] == e["ev"] for l, e in zip(lines, events))
    assert text.endswith("\n" + summary) and summary.startswith(f"scenario {scenario}:")
    # frame n of the pcapng is the n-th hop in capture order (sim.pcap.frame_order), on the link the hop crossed
    run = sim.run(scenario, seed=2, **{k: int(v) for k, v in SIZES.items() if k in workload_of(scenario)})
    hops = [events[i] for i in frame_order(run)]
    frames = pcapng_frames(pcap.read_bytes())
    links = [l["name"] for l in d["links"]]
    assert [links[ifid] for ifid, _ in frames] == [h["node"] for h in hops]
    for (_, raw), h in zip(frames, hops):
        src, dst = (".".join(str(b) for b in raw[o:o + 4]) for o in (12, 16))
        assert (src, dst) == (h["pkt"]["src"], h["pkt"]["dst"])
    assert [p.name for p in tmp_path.iterdir()] == [pcap.name]   # no temporary file left
