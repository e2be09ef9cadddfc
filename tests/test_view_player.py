"""Static players and Compare: self-contained, deterministic, small, with the right frames,
downloads and divergence flags; the live player re-runs and steps; bad input is named."""
import base64
import json
import re

import pytest

import sim
from sim.trace import Ev
from sim.view import Compare, Player, narrate
from sim.view.player import unpack_downloads
from sim.view.model import analysis_of
from sim.view.player import unpack
from view_helpers import need_dot


@pytest.fixture(autouse=True)
def _dot_needed():
    need_dot()


@pytest.fixture(scope="module")
def article():
    return sim.run("equalize-nat", seed=1)


def _data(html_text):
    return [unpack(m) for m in re.findall(r'<script type="application/octet-stream" class="op1-data"[^>]*>([^<]*)</script>',
                                          html_text)]


def test_player_html_is_self_contained_with_focus_narration_and_downloads(article):
    p = Player(article, title="The article's failure", max_steps=40)
    h = p._repr_html_()
    assert h == p.html()
    assert re.search(r'<div class="op1 op1-player" data-replay="equalize-nat" data-frames="40" tabindex="0"', h)
    assert 'aria-live="polite"' in h and "The article&#x27;s failure" in h
    assert not re.search(r'(src|href)="(https?:)?//', h) and "require" not in h
    assert p.frames == 40 and len(p.steps) == 40


def test_a_40_step_replay_of_the_article_is_at_most_600_kb(article):
    assert len(Player(article, max_steps=40).html().encode()) <= 600_000


def test_same_result_gives_byte_identical_html():
    a = Player(sim.run("equalize-nat", seed=4, size=5000), max_steps=50).html()
    b = Player(sim.run("equalize-nat", seed=4, size=5000), max_steps=50).html()
    assert a == b


def test_frames_carry_each_steps_narration_state_and_packet(article):
    p = Player(article, max_steps=40)
    (d,) = _data(p.html())
    assert [s["i"] for s in d["steps"]] == p.steps
    for s in d["steps"]:
        assert s["n"] == narrate(article, s["i"])
        assert 0 <= s["st"] < len(d["states"]) and 0 <= s["pk"] < len(d["pkts"])
    assert len(d["states"]) < len(d["steps"])            # shared, not repeated per frame
    hop = next(s for s in d["steps"] if article.events[s["i"]].node.startswith("uplink"))
    assert any(c == "hl-link" for c in hop["topo"]["hl"].values())


def test_downloads_are_the_replays_pcapng_and_trace(article):
    from scapy.utils import rdpcap
    p = Player(article, max_steps=30)
    h = p.html()
    files = unpack_downloads(h)
    assert 'href="data:' not in h and len(files) == 2        # deflated in the page (Frames.downloads)
    pcap = next(v for k, v in files.items() if k.endswith(".pcapng"))
    text = next(v for k, v in files.items() if k.endswith(".txt")).decode()
    part = f"x-events-{p.steps[0]}-{p.steps[-1]}"         # (the first 30 steps: part of the run)
    assert unpack_downloads(p._frames.downloads("x")) == {f"{part}.pcapng": pcap, f"{part}.txt": text.encode()}
    import io
    frames = rdpcap(io.BytesIO(pcap))
    hop_steps = [i for i in p.steps if article.events[i].ev is Ev.HOP]
    assert len(frames) == len(hop_steps)
    assert frames[0]["IP"].src == article.events[hop_steps[0]].pkt.ip.src
    assert f"{p.steps[0]:6d} " in text and "scenario equalize-nat" in text


def test_a_replay_of_part_of_its_run_names_its_files_by_the_events_they_hold():
    """Chapter 10 showed two replays of one run (uplink-down, seed 1), the line's failure and a
    client's FIN, and offered their files, 38 and 24 steps, under one name and one accessible
    name: saved, the second replaced the first.  A replay of part of its run -- a list of events,
    a window, a cut at max_steps -- names its files, and says in their links' names, which trace
    events they hold; a replay of the whole run keeps the run's name."""
    r = sim.run("equalize-nat", seed=3, size=3000)
    stem = r.download_stem

    def links(p):
        return re.findall(r'<a download="([^"]+)" aria-label="([^"]+)"', p.html())
    whole = Player(r, max_steps=None)
    assert links(whole) == [(f"{stem}.pcapng", f"pcapng of {stem}"), (f"{stem}.txt", f"trace of {stem}")]
    hops = [i for i, e in enumerate(r.events) if e.ev is Ev.HOP]
    a, b = Player(r, steps=hops[2:12]), Player(r, steps=hops[20:30])
    for p in (a, b, Player(r, start=hops[2], stop=hops[12]), Player(r, max_steps=10)):
        lo, hi = p.steps[0], p.steps[-1]
        assert links(p) == [(f"{stem}-events-{lo}-{hi}.pcapng", f"pcapng of {stem}, trace events {lo} to {hi}"),
                            (f"{stem}-events-{lo}-{hi}.txt", f"trace of {stem}, trace events {lo} to {hi}")], links(p)
        assert f"trace events {lo}..{hi}" in p._frames.trace_text()     # (what the file says it holds)
    fa, fb = unpack_downloads(a.html()), unpack_downloads(b.html())
    assert not set(fa) & set(fb) and set(fa.values()).isdisjoint(fb.values())


def test_the_packet_panes_tables_are_captioned_and_a_changed_fields_mark_is_not_read():
    """An accessibility tester's finding: the packet pane's tables (one a layer) had no caption,
    the layer's name heading them no scope, and a changed field's row header began with its mark,
    read "diamond ttl".  Each table is captioned (for a screen reader; the eye has the layer's name
    above it), the layer's name heads its three columns, the mark is for the eye only."""
    from sim.view.pktpane import pane
    r = sim.run("equalize-nat", seed=3, size=3000)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.HOP and e.node.startswith("uplink") and e.pkt.load)
    h = pane(r, i)["html"]
    tables = re.findall(r'<table class="op1-diss">(.*?)</table>', h)
    assert [re.match(r'<caption class="op1-vh">([^<]+)</caption>', t)[1] for t in tables] == \
        ["IP header", "TCP header", "payload"]
    assert all(re.search(r'<colgroup span="3"></colgroup><tr class="op1-layer"><th colspan="3" scope="colgroup">'
                         r'(IP|TCP|Raw)</th></tr>', t) for t in tables), tables
    changed = re.findall(r'<tr class="op1-chg"><th scope="row">(.*?)</th>', h)
    assert "<span aria-hidden=\"true\">◆ </span>src" in changed and "<span aria-hidden=\"true\">◆ </span>sport" in changed
    assert all(c.startswith('<span aria-hidden="true">◆ </span>') for c in changed), changed


def test_downloads_name_what_differs_from_the_scenarios_defaults():
    """Chapter 6's Run with NAT set to netfilter offered equalize-nat-seed3.pcapng, the name of
    the default run's download (and of the static replay's on the same page): a download names
    the scenario, the seed and the parameters that differ from the scenario's defaults, those
    the header names (scenarios.header_params), file-name-safe, short and the same every time;
    every parameter, the seed too, as its name and value joined by "-" (the names once mixed
    seed7 with uplinks-3)."""
    assert sim.run("equalize-nat", seed=3).download_stem == "equalize-nat-seed-3"
    assert sim.run("equalize-nat", seed=3, nat="article").download_stem == "equalize-nat-seed-3"   # the default, given
    netfilter = sim.run("equalize-nat", seed=3, nat="netfilter")
    assert netfilter.download_stem == "equalize-nat-seed-3-nat-netfilter"
    p = Player(netfilter, max_steps=3)
    part = f"events-{p.steps[0]}-{p.steps[-1]}"          # (its first 3 steps: test_a_replay_of_part_...)
    assert re.findall(r'download="([^"]+)"', p.html()) == [f"equalize-nat-seed-3-nat-netfilter-{part}.pcapng",
                                                           f"equalize-nat-seed-3-nat-netfilter-{part}.txt"]
    r = sim.run("equalize-nat", seed=3, nat="netfilter", size=3000, down_at=0.01)
    assert r.download_stem == "equalize-nat-seed-3-nat-netfilter-size-3000-down_at-0.01"
    # a switch: its name when turned on, no- and its name when turned off
    assert sim.run("equalize-nat", seed=3, equalize=False).download_stem == "equalize-nat-seed-3-no-equalize"
    assert sim.run("echo", seed=1, ingress_filter=True).download_stem == "echo-seed-1-ingress_filter"
    r = sim.run("equalize-nat", seed=3, size=3000, uplink_addrs=["100.0.0.7", "150.0.0.9"])
    assert r.download_stem == "equalize-nat-seed-3-size-3000-uplink_addrs-100.0.0.7_150.0.0.9"
    assert sim.run("equalize-public", seed=7, uplinks=3).download_stem == "equalize-public-seed-7-uplinks-3"
    # many parameters: cut, with a checksum of the whole name that keeps two such runs apart
    from sim import measured
    from sim.result import STEM_MAX
    lab = {**measured.LAB, "multipath": "numgen", "nat": "snat", "ingress_filter": True}
    a, b = sim.run("echo", **lab), sim.run("echo", **{**lab, "remote_delay_ms": 0.5})
    for stem in (a.download_stem, b.download_stem):
        assert re.fullmatch(r"echo-seed-1-[A-Za-z0-9_.-]+-[0-9a-f]{8}", stem) and len(stem) <= STEM_MAX
    assert a.download_stem != b.download_stem
    assert a.download_stem == sim.run("echo", **lab).download_stem
    # cut between two words: what is kept is the uncut name's beginning up to a "-"
    import sim.result as result_module
    for r in (a, b):
        stem = r.download_stem
        result_module.STEM_MAX, keep = 10_000, result_module.STEM_MAX
        try:
            uncut = r.download_stem
        finally:
            result_module.STEM_MAX = keep
        assert len(uncut) > STEM_MAX and uncut.startswith(stem[:-9] + "-"), (stem, uncut)


#: the book's live cells' presets (book/*.md, LivePlayer(...)) with runs a reader makes from them
LIVE_PRESETS = {
    "equalize-public": ({"seed": 1, "size": 20_000},
                        [{"seed": 7, "uplinks": 3}, {"seed": 1}, {"size": 200_000}, {"uplinks": 2}]),
    "hash-l4-nat": ({"seed": 1, "size": 200_000, "cc": "reno"},
                    [{"seed": 4}, {"seed": 1}, {"size": 20_000}, {"nat": "netfilter"}]),
    "equalize-nat": ({"seed": 3, "size": 20_000, "nat": "netfilter", "ingress_filter": True},
                     [{"seed": 3}, {"nat": "article"}, {"ingress_filter": False}, {"seed": 4, "size": 200_000}]),
}


def test_a_live_runs_downloads_name_what_the_reader_changed_from_the_cells_preset():
    """Chapter 9's panel, its size preset to 20000, named a run where only the seed changed
    hash-l4-nat-seed4-size-20000: the size was the panel's, not the reader's.  A live run's
    files name what differs from the cell's own parameters (Result.live_stem), and "live"
    keeps them apart from the static replays' names on the same page, which are named against
    the scenario's defaults: two different runs never share a name."""
    r = sim.run("hash-l4-nat", seed=4, size=20_000)
    assert r.download_stem == "hash-l4-nat-seed-4-size-20000"
    assert r.live_stem({"seed": 1, "size": 20_000}) == "hash-l4-nat-live-seed-4"
    assert (sim.run("equalize-public", seed=7, uplinks=3, size=20_000).live_stem({"seed": 1, "size": 20_000})
            == "equalize-public-live-seed-7-uplinks-3")
    # a parameter set back to the scenario's default, away from the preset's: named
    r = sim.run("equalize-nat", seed=3, size=20_000)
    assert r.live_stem(LIVE_PRESETS["equalize-nat"][0]) == "equalize-nat-live-seed-3-nat-article-no-ingress_filter"
    from sim.scenarios import full_params_text
    for scenario, (preset, changes) in LIVE_PRESETS.items():
        runs = [sim.run(scenario, trace=False, **{**preset, **c}) for c in [{}] + changes]
        # the static replays' runs of the same scenario: the defaults, and each live run's own
        static = [sim.run(scenario, seed=preset["seed"], trace=False)] + runs
        named = {}
        for x in runs:
            named.setdefault(x.live_stem(preset), set()).add(full_params_text(x.params))
        for x in static:
            named.setdefault(x.download_stem, set()).add(full_params_text(x.params))
        assert all(len(ps) == 1 for ps in named.values()), {k: len(v) for k, v in named.items()}
        assert runs[0].live_stem(preset) == f"{scenario}-live-seed-{preset['seed']}"


def test_live_players_downloads_are_named_after_the_run():
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    lp = LivePlayer("equalize-nat", seed=3, max_steps=5)
    lp.prepare_downloads()
    # (the page panel's names: the replay's and the whole run's, inpage.downloads_html)
    assert 'download="equalize-nat-live-seed-3-replay.pcapng"' in lp.downloads.value
    assert 'download="equalize-nat-live-seed-3-whole-run.pcapng"' in lp.downloads.value
    lp.controls["nat"].value = "netfilter"
    lp.prepare_downloads()
    assert 'download="equalize-nat-live-seed-3-nat-netfilter-replay.pcapng"' in lp.downloads.value
    # named against the call's own parameters: its size is not a change the reader made
    lp = LivePlayer("equalize-nat", seed=3, size=20_000, max_steps=5)
    lp.controls["seed"].value = 4
    lp.prepare_downloads()
    assert 'download="equalize-nat-live-seed-4-replay.pcapng"' in lp.downloads.value


def test_windows_explicit_steps_and_kinds(article):
    hop_drop = Player(article, max_steps=None)
    assert hop_drop.frames == sum(1 for e in article.events if e.ev in (Ev.HOP, Ev.DROP))
    w = Player(article, start=10, stop=60)
    assert all(10 <= i < 60 for i in w.steps) and w.frames > 0
    assert Player(article, steps=[5, 3, 9]).steps == [3, 5, 9]
    sends = Player(article, steps=("send",), max_steps=10)
    assert all(article.events[i].ev is Ev.SEND for i in sends.steps)


@pytest.mark.parametrize("kw, msg", [
    ({"steps": [10**7]}, r"step 10000000 out of range: allowed are trace indices 0\.\.\d+"),
    ({"steps": ["hops"]}, r"unknown event kind 'hops': allowed are send, hop"),
    ({"start": 50, "stop": 20}, r"empty window: start 50 must be below stop 20"),
    ({"stop": 10**9}, r"stop 1000000000 out of range: allowed 0\.\.\d+"),
    ({"max_steps": 0}, r"max_steps must be a positive integer, got 0"),
])
def test_bad_windows_are_named(article, kw, msg):
    with pytest.raises(ValueError, match=msg):
        Player(article, **kw)


def test_save_writes_a_standalone_page(article, tmp_path):
    path = Player(article, max_steps=5).save(tmp_path / "p.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and 'data-replay="equalize-nat"' in text


def test_compare_flags_the_step_where_article_and_netfilter_nat_diverge():
    a = sim.run("equalize-nat", seed=1, size=3000)
    b = sim.run("equalize-nat", seed=1, size=3000, nat="netfilter")
    c = Compare(a, b, labels=("article", "netfilter"), max_steps=80)
    k = c.first_divergence
    assert k is not None and all(not c.diverge[j] for j in range(k))
    ea, eb = a.events[c._frames[0].steps[k]], b.events[c._frames[1].steps[k]]
    assert (ea.ev, ea.node) == (eb.ev, eb.node)          # the same hop ...
    assert ea.pkt.ip.src != eb.pkt.ip.src                # ... leaving with another address
    assert {ea.pkt.ip.src, eb.pkt.ip.src} == {"100.0.0.1", "150.0.0.1"}
    syn = next(j for j, i in enumerate(c._frames[0].steps) if a.events[i].node.startswith("uplink"))
    assert syn < k and c.port_diff[syn] and not c.diverge[syn]     # 7000 vs 5000: noted, not flagged
    h = c._repr_html_()
    assert 'data-replay="equalize-nat"' in h and h.count('class="op1-pane"') == 2
    assert "take the same path with other ports (≈ next to the step number; not counted as a difference)" in h
    # ... and the ≈ flag is where it says: in the bar, right after the step number (it said "in the
    # bar below", and a reader looked under the runs)
    bar = h[h.index('class="op1-bar"'):]
    assert re.search(r'<span class="op1-pos"[^>]*>[^<]*</span><span class="op1-flag"', bar)
    n = len(c.divergent_steps)
    assert f"{n} of {c.frames} steps differ, marked ≠ in the ladders; the first is step {k + 1}" in h
    assert re.search(r'"diverge":\[(0,){%d}1' % k, h)
    # (each pane's two ladders, the wide one and a phone's, mark them alike)
    assert len(re.findall(r'class="op1-row[^"]* div"', h)) == 2 * sum(
        1 for f in c._frames for j, d in enumerate(c.diverge) if d and j < len(f))


def test_a_comparisons_boxes_are_named_by_their_run():
    """A screen reader's list of groups read "network, scrolls" twice: each pane's boxes say
    which run they show; a lone player's do not."""
    a = sim.run("equalize-nat", seed=1, size=3000)
    b = sim.run("equalize-nat", seed=1, size=3000, nat="netfilter")
    h = Compare(a, b, labels=("article", "netfilter"), max_steps=20)._repr_html_()
    names = re.findall(r'aria-label="([^"]*scrolls)"', h)
    assert sorted(names) == sorted(f"{run}: {box}, scrolls" for run in ("article", "netfilter")
                                   for box in ("network", "ladder", "router tables", "packet"))
    lone = Player(a, max_steps=20).html()
    assert sorted(re.findall(r'aria-label="([^"]*scrolls)"', lone)) == [
        "ladder, scrolls", "network, scrolls", "packet, scrolls", "router tables, scrolls"]


def test_compare_of_a_run_with_itself_has_no_divergence():
    a = sim.run("icmp-equalize-nat", seed=1, pings=3)
    c = Compare(a, sim.run("icmp-equalize-nat", seed=1, pings=3))
    assert c.divergent_steps == [] and c.first_divergence is None
    with pytest.raises(ValueError, match="labels must be two names"):
        Compare(a, a, labels=("x",))


# -- live player ------------------------------------------------------------------------------

def test_live_player_steps_and_reruns_with_new_parameters():
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    lp = LivePlayer("equalize-nat", seed=1, size=3000, max_steps=60)
    assert lp.widget is not None and lp.slider.max == len(lp.steps)      # (counted from 1, as "step 1 / N")
    lp.step(5)
    i = lp.steps[5]
    from html import escape
    assert escape(narrate(lp.result, i)) in lp.narration.value
    assert f'class="op1-row cur" data-i="{i}"' in lp.ladder.value
    lp.buttons["next"].click()
    assert lp.slider.value == 7
    lp.controls["nat"].value = "netfilter"
    assert lp.result.params.nat == "netfilter" and lp.slider.value == 1
    lp.controls["multipath"].value = "hash-l4"
    assert lp.result.params.multipath == "hash-l4" and lp.result.params.equalize is False
    assert lp.controls["equalize"].disabled and lp.controls["equalize"].value is False
    assert lp.rerun(uplinks=99) is False and "uplinks 99 out of range" in lp.status.value
    assert lp.result.params.uplinks == 2
    # a number typed out of its box's range is refused and named, not silently put back in range
    lp.controls["seed"].value = -5
    assert "seed -5 out of range for this live player: allowed 0.." in lp.status.value
    assert lp.result.params.seed == 1
    lp.controls["seed"].value = 1
    lp.controls["uplinks"].value = 9
    assert "uplinks 9 out of range for this live player: allowed 1..4" in lp.status.value
    lp.controls["uplinks"].value = 2
    # back to a policy with a route cache: equalize comes back as it was (it stayed off, and
    # the article's failure with it)
    lp.controls["multipath"].value = "random"
    assert not lp.controls["equalize"].disabled and lp.controls["equalize"].value is True
    assert lp.result.params.equalize is True


def test_live_player_says_it_is_running_and_takes_no_new_parameter_meanwhile(monkeypatch):
    """A re-run takes seconds on a loaded machine: the status line says "running…" and the
    controls are disabled while it runs (ipywidgets sends both to the browser at once), and
    enabled again after it, equalize as its policy allows; after a refused run as well."""
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer, live
    lp = LivePlayer("equalize-nat", seed=1, size=3000, max_steps=60)
    seen = []
    real_run = live.scenarios.run

    def run(*args, **kwargs):
        seen.append((lp.status.value, {k: c.disabled for k, c in lp.controls.items()}))
        return real_run(*args, **kwargs)
    monkeypatch.setattr(live.scenarios, "run", run)
    lp.controls["seed"].value = 2
    lp.controls["multipath"].value = "hash-l4"
    assert len(seen) == 2 and all("running…" in status and all(disabled.values()) for status, disabled in seen)
    assert lp.result.params.seed == 2 and "running" not in lp.status.value
    assert [k for k, c in lp.controls.items() if c.disabled] == ["equalize"]      # hash-l4: no cache
    monkeypatch.setattr(live.scenarios, "run", lambda *a, **k: (_ for _ in ()).throw(ValueError("no step")))
    assert lp.rerun(multipath="random") is False and "no step" in lp.status.value
    assert not any(c.disabled for k, c in lp.controls.items() if k != "equalize")


def test_live_player_boxes_are_labelled_regions_not_headings():
    """The player sits in a page whose headings are h1-h3: its box titles are no headings
    (axe's heading-order), each view is a region (WAI-ARIA) labelled by its box's title, and a
    second player on the page labels its own."""
    pytest.importorskip("ipywidgets")
    import ipywidgets as W
    from sim.view import LivePlayer

    def htmls(w):
        if isinstance(w, W.HTML):
            yield w.value
        for c in getattr(w, "children", ()):
            yield from htmls(c)

    ids = []
    for lp in (LivePlayer("equalize-nat", seed=1, size=3000, max_steps=20),
               LivePlayer("ping", pings=2, max_steps=20)):
        lp.step(3)
        text = "".join(htmls(lp.widget))
        assert not re.search(r"<h[1-6][\s>]", text), re.findall(r"<h[1-6][^>]*>[^<]*", text)
        for view, title in (("topology", "Network"), ("ladder", "Ladder"), ("state", "Linux router: tables"),
                            ("packet", "Packet")):
            label = re.match(r'<div role="region" aria-labelledby="([^"]+)">', getattr(lp, view).value)
            assert label, (view, getattr(lp, view).value[:120])
            assert re.findall(rf'id="{label[1]}"[^>]*>([^<]*)<', text) == [title]
            ids.append(label[1])
    assert len(set(ids)) == len(ids) == 8


def test_live_player_names_a_bad_scenario_or_parameter():
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    with pytest.raises(ValueError, match=r"unknown scenario 'nope': allowed are .*equalize-nat"):
        LivePlayer("nope")
    with pytest.raises(ValueError, match=r"unknown parameter 'colour': allowed are .*multipath"):
        LivePlayer("equalize-nat", colour="red")
    with pytest.raises(ValueError, match=r"unknown nat 'cgnat': allowed are article"):
        LivePlayer("equalize-nat", nat="cgnat")


def test_live_player_starts_its_replay_at_start_at_and_keeps_it_on_a_rerun():
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    from sim.view.live import first_at
    lp = LivePlayer("thought-question", seed=1, start_at=0.2, max_steps=20)
    assert lp.result.events[lp.frames.steps[0]].t >= 200_000
    assert lp.frames.steps[0] >= first_at(lp.result, 0.2)
    assert lp.rerun(seed=2) is True
    assert lp.result.events[lp.frames.steps[0]].t >= 200_000
    with pytest.raises(ValueError, match="start_at must be simulated seconds"):
        LivePlayer("thought-question", start_at="soon")
    assert "from 0.2 s" in lp.hints["start_at"].value           # its replay box's auto


def test_import_sim_view_does_not_load_ipywidgets():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "import sys, sim.view; print('ipywidgets' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_live_player_has_the_panels_size_box_and_mptcps_subflows():
    """The page's panel offers the download size when the call gives one; so does the
    LivePlayer, in the same range.  MPTCP sends by as many uplinks as it has subflows:
    with a third uplink and a third subflow, the third uplink carries packets."""
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    from sim.view.inpage import SIZE_MAX
    lp = LivePlayer("mptcp", seed=1, size=100_000, max_steps=20)
    assert lp.controls["size"].value == 100_000 and lp.controls["subflows"].value == 2
    lp.controls["size"].value = 60_000
    assert lp.result.params.size == 60_000 and "size=60000 subflows=2" in lp.status.value
    lp.controls["size"].value = SIZE_MAX + 1
    assert f"size {SIZE_MAX + 1} out of range for this live player: allowed 1..{SIZE_MAX}" in lp.status.value
    assert lp.result.params.size == 60_000
    lp.controls["size"].value = 60_000

    def carried(r):                       # packets each uplink carried in the whole run
        counts = analysis_of(r).uplink_counts([len(r.events) - 1])[len(r.events) - 1]
        return {k: sum(v) for k, v in counts.items()}
    lp.controls["uplinks"].value = 3
    assert lp.result.params.subflows == 2 and carried(lp.result)["uplink3"] == 0
    lp.controls["subflows"].value = 3
    assert lp.result.params.subflows == 3 and carried(lp.result)["uplink3"] > 0
    assert "uplinks=3" in lp.status.value and "subflows=3" in lp.status.value
    lp.controls["subflows"].value = 9
    assert "subflows 9 out of range for this live player: allowed 1..8" in lp.status.value
    # no size given, no size box (as the page's panel); no subflows where the workload has none
    assert "size" not in LivePlayer("thought-question", seed=1, max_steps=5).controls
    assert "subflows" not in LivePlayer("equalize-nat", seed=1, size=3000, max_steps=5).controls


def test_a_replays_header_names_its_tcp_and_what_differs_from_the_scenario():
    line = sim.run("equalize-nat", seed=1, size=3000, cc="reno", tcp="linux").params_line()
    assert line.startswith("multipath=random equalize=True nat=article remote=article ingress_filter=False "
                           "uplinks=2 seed=1 tcp=linux cc=reno")
    assert line.endswith(" size=3000") and line.count("size=") == 1
    assert "down_at=1 down_uplink=2" in sim.run("uplink-down", size=3000, trace=False).params_line()


def test_a_replay_cut_at_max_steps_says_how_far_it_goes_and_what_its_downloads_hold():
    """A replay of 200 of a run's 608 steps said "Showing 200 of the run's 608 steps" above the
    views, and nothing at its last step, an ordinary ACK in mid-download: a reader took it for
    the end.  The note says to when the replay goes and when the run ends, and what the
    downloads hold (the steps shown, not the run); the last step says it again (meta "more",
    shown by player.js)."""
    from sim.trace import Ev
    from sim.view.player import Frames, unpack
    r = sim.run("hash-l4-nat", seed=4, size=20_000)
    f = Frames(r, max_steps=200)
    cut = f.cut()
    lo, hi = f.steps[0], f.steps[-1]
    to, end = r.events[hi].t / 1000, r.events[-1].t / 1000      # (608 steps, 86.153 ms of 292.176 once)
    assert f.total > 200 and to < end
    assert r.sim.now == r.events[-1].t                # (no timer runs on after its last event)
    assert cut == (f"This replay shows the first 200 of the run's {f.total} steps, to {to:.3f} ms; the run's last "
                   f"event is at {end:.3f} ms. The downloads hold only what is shown: the pcapng the packets of "
                   f"these steps, the trace events {lo}..{hi} and the summary of the whole run.")
    # what it says of the downloads is what they hold
    trace = f.trace_text().splitlines()
    events = trace[1:trace.index("")]                 # then the summary
    numbered = [int(x.split()[0]) for x in events]
    assert numbered == list(range(lo, hi + 1)) and hi < len(r.events) - 1
    assert r.summary_text()[0] in trace
    from scapy.utils import rdpcap
    import io
    shown_hops = [s for s in f.steps if r.events[s].ev is Ev.HOP]
    assert len(rdpcap(io.BytesIO(f.pcapng()))) == len(shown_hops) < sum(e.ev is Ev.HOP for e in r.events)
    html = Player(r, max_steps=200).html()
    import html as html_mod
    assert html_mod.escape(cut) in html and "stop=, steps= or max_steps=" in html
    meta = json.loads(re.search(r'<script type="application/json" class="op1-meta">(.*?)</script>', html).group(1))
    assert meta["more"] == cut
    # a window that starts later says from when; a replay of every step says nothing
    later = Frames(r, start=400, max_steps=50)
    assert later.cut().startswith(f"This replay shows the first 50 of the run's {later.total} steps from ")
    whole = Player(r, max_steps=None).html()
    whole_meta = json.loads(re.search(r'<script type="application/json" class="op1-meta">(.*?)</script>',
                                      whole).group(1))
    # (the meta's key, not the word: the player's script now says "more" for its fold button)
    assert Frames(r, max_steps=None).cut() == "" and 'class="op1-note"' not in whole and "more" not in whole_meta


def test_a_cut_replay_says_when_the_run_ends_not_only_its_last_events_time():
    """Chapter 10's panel said "the run goes on to 388.447 ms" where the run's trace says
    "simulated time 0.717485 s": that was its last event's time, and its TIME_WAIT timers ran on
    after it.  The cut says the last event's time as that, and when the simulated time ends."""
    from sim.view.player import Frames, clock
    r = sim.run("mptcp", seed=1)
    ev = r.events
    # (every scenario's run now ends with its last event: MPTCP's data-level timer, which ran
    # on after it, stops with the last data ACK, as Linux's does)
    assert r.sim.now == ev[-1].t
    f = Frames(r, max_steps=200)
    ends = f"the run's last event is at {clock(ev[-1].t)}"
    assert f"; {ends}. " in f.cut() and f"; {ends}; " in f.cut(short=True)
    assert "goes on to" not in f.cut() + f.cut(short=True) and "simulated time ends" not in f.cut()
    assert f"simulated time {r.sim.now // 1_000_000}.{r.sim.now % 1_000_000:06d} s" in r.summary_text()[-1]
    r.sim.now = ev[-1].t + 329_038                      # a timer firing after the last event
    f = Frames(r, max_steps=200)
    ends = f"{ends} (its simulated time ends at {clock(r.sim.now)}, with its last timer)"
    assert f"; {ends}. " in f.cut() and f"; {ends}; " in f.cut(short=True)


def test_a_cut_replays_times_from_10_s_on_are_in_seconds_as_its_step_line_writes_them():
    """The live panel's status line said "to 20535.621 ms of 165538.546 ms" (165.5 s) where the
    replay's step line says "t = 660.154718 s": what a cut replay says of its times, in its note
    and the status line, writes them as the step line does (``clock``), from 10 s on in seconds."""
    from sim.view.player import Frames, clock
    r = sim.run("cache-expiry", seed=1)                 # idle past gc_timeout: it ends at 660 s
    ev = r.events
    f = Frames(r, max_steps=20)
    hi = f.steps[-1]
    assert ev[hi].t < 10_000_000 <= ev[-1].t
    assert r.sim.now == ev[-1].t
    assert f.cut(short=True) == (f"the replay shows the first 20 of the run's {f.total} steps, to {clock(ev[hi].t)}; "
                                 f"the run's last event is at {clock(ev[-1].t)}; the downloads hold those steps")
    assert "the run's last event is at 660." in f.cut() and f.cut().count(" s.") == 1
    late = Frames(r, start=len(ev) - 30, max_steps=10)
    said = late.cut(short=True)
    assert re.search(r" steps from 660\.\d{6} s on, to 660\.\d{6} s; the run's last event is at 660\.\d{6} s;",
                     said), said
    for text in (f.cut(), f.cut(short=True), said, late.cut()):
        assert not re.search(r"\d{5,}\.\d{3} ms", text), text   # no time of 10 s or more in ms
    meta = json.loads(re.search(r'class="op1-meta">(.*?)</script>', Player(r, max_steps=20).html()).group(1))
    assert meta["more"] == f.cut()


def test_an_mptcp_segments_narration_names_its_data_seq_and_data_ack():
    """A subflow's sequence numbers don't tell an MPTCP connection's progress; its DSS does.
    Chapter 10 asks the reader to watch the data sequence number jump back and the data ACK
    leap: the narration names both (they were only in the packet pane)."""
    from sim.view._common import pkt_words
    r = sim.run("mptcp", seed=1, size=20_000)
    data = next(e.pkt for e in r.events if e.pkt is not None and e.pkt.load
                and e.pkt.l4.mptcp is not None and e.pkt.l4.mptcp.form == "dss" and e.pkt.l4.mptcp.mapping)
    dss = data.l4.mptcp
    assert f"data seq {dss.mapping[0][0]}" in pkt_words(data)
    acks = [e.pkt for e in r.events if e.pkt is not None and not e.pkt.load and e.pkt.l4.flags == "A"
            and e.pkt.l4.mptcp is not None and e.pkt.l4.mptcp.form == "dss" and e.pkt.l4.mptcp.data_ack is not None]
    assert acks and all(f"data ack {p.l4.mptcp.data_ack}" in pkt_words(p) for p in acks)
    plain = next(e.pkt for e in sim.run("equalize-nat", seed=1, size=3000).events if e.pkt is not None)
    assert "data" not in pkt_words(plain).replace("data segment", "")


def test_the_live_players_number_boxes_name_what_was_typed():
    """A Binder user's finding: the seed box was an IntText, whose browser box hands on what it
    makes of the text -- "2.5" silently ran seed 2, 99999999999999999999 was refused as
    100000000000000000000.  What is typed reaches the run as typed: a bad value is named as the
    box shows it, and whole numbers (spaces around) run."""
    need_dot()
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    lp = LivePlayer("equalize-nat", seed=1, size=20_000)
    for typed, said in (("2.5", "got &#x27;2.5&#x27;"), ("99999999999999999999", "seed 99999999999999999999 out of"),
                        ("٣", "got &#x27;٣&#x27;")):
        lp.controls["seed"].value = typed
        assert "Not run" in lp.status.value and said in lp.status.value, (typed, lp.status.value)
        assert lp.result.params.seed == 1 and lp.controls["seed"].value == typed
    lp.controls["seed"].value = " 7 "
    assert lp.result.params.seed == 7 and "Not run" not in lp.status.value
    lp.controls["uplinks"].value = "3"
    assert lp.result.params.uplinks == 3


def test_a_replays_download_links_are_named_by_their_run():
    """An accessibility tester's finding: chapter 10's six replays had six links named "pcapng"
    and six "trace", which a screen reader's list of links could not tell apart.  Each is named
    by its run too, its visible word first (WCAG 2.5.3)."""
    need_dot()
    pl = Player(sim.run("equalize-nat", seed=1, size=3000), title="t", max_steps=5)
    html = pl._frames.downloads("equalize-nat-seed-1")
    part = f"trace events {pl.steps[0]} to {pl.steps[-1]}"      # (its first 5 steps, part of the run)
    assert (f'aria-label="pcapng of equalize-nat-seed-1, {part}"' in html
            and f'aria-label="trace of equalize-nat-seed-1, {part}"' in html), html[:400]


def test_every_time_a_long_replay_shows_is_written_one_way():
    """Chapter 3's cache-expiry replay at 660 s: its step line said "t = 660.166905 s", its tables'
    caption ", at 660166.905 ms" and its narration and strip "at 660154.718 ms".  Every time a
    player shows -- step line, narration, the strip of what changed, the tables' caption and
    their lastuse cells, the packet pane -- is written by one ``clock``: seconds from 10 s on."""
    import html as html_
    from sim.trace import Ev
    from sim.view.player import Frames, clock
    r = sim.run("cache-expiry", seed=1)
    ev = r.events
    d = next(i for i, e in enumerate(ev) if e.ev is Ev.RT_DEL and e.node == "router")
    f = Frames(r, start=d, stop=min(len(ev), d + 40))
    data = f.data()
    assert all(ev[s].t >= 10_000_000 for s in f.steps)
    texts = ([s["t"] for s in data["steps"]] + [s["tt"] for s in data["steps"]] + [s["n"] for s in data["steps"]]
             + [html_.unescape(c) for c in data["chgs"]] + [html_.unescape(x) for x in data["states"] if x]
             + [html_.unescape(x) for x in data["pkts"] if x])
    long_ms = [m for t in texts for m in re.findall(r"\b\d{5,}\.\d{3} ms\b", t)]
    assert not long_ms, long_ms[:5]
    assert data["steps"][0]["t"] == clock(ev[f.steps[0]].t) and data["steps"][0]["t"].endswith(" s")
    assert all(s["tt"].endswith(" s") for s in data["steps"])
    assert any(re.search(r"\bat \d{3}\.\d{6} s\b", s["n"]) for s in data["steps"])


def test_live_player_sets_the_lines_and_says_what_each_choice_is():
    """A network engineer's two uplinks of different speeds: the live player had no line speeds,
    delays, weights, failing uplink or number of connections, and bare words for its choices.
    It has the page panel's controls (control_specs): the lines' in an Accordion, closed, each box
    read as `python -m sim run` reads its option; each choice with its --help line under it, the
    one of the value chosen."""
    pytest.importorskip("ipywidgets")
    import ipywidgets as W
    from sim.view import LivePlayer
    from sim.view.live import choice_hints
    from html import escape
    lp = LivePlayer("equalize-nat", seed=3, size=20_000, max_steps=20)
    assert isinstance(lp.lines, W.Accordion) and lp.lines.selected_index is None
    inside = {w for box in lp.lines.children[0].children for w in (box.children if isinstance(box, W.VBox) else [box])}
    assert {lp.controls[n] for n in ("down_kbit", "up_kbit", "delay_ms", "weights", "down_at", "down_uplink",
                                     "connections")} <= inside
    assert lp.controls["down_kbit"].value == "2000" and lp.controls["down_at"].value == "none"
    assert lp.controls["read_timeout"].value == "none" and lp.controls["read_timeout"] in inside
    assert escape(choice_hints("multipath")["random"]) in lp.hints["multipath"].value
    lp.controls["multipath"].value = "wrr"
    assert escape(choice_hints("multipath")["wrr"]) in lp.hints["multipath"].value
    for name, typed in (("down_kbit", "2000, 512"), ("weights", "4,1"), ("down_uplink", "1"), ("down_at", "0.35")):
        lp.controls[name].value = typed
        assert "Not run" not in lp.status.value, (name, lp.status.value)
    p = lp.result.params
    assert (p.multipath, p.down_kbit, p.weights, p.down_uplink, p.down_at) == ("wrr", [2000, 512], [4, 1], 1, 0.35)
    assert lp.controls["down_kbit"].value == "2000,512"          # the values the run used
    assert lp.result.summary["link_down"]["uplink"] == "if1"
    lp.controls["up_kbit"].value = "512,256,128"
    assert "“upload speed of each uplink” (--up-kbit) gives 3 values (512,256,128) for 2 uplinks" in lp.status.value
    assert lp.result.params.up_kbit == [512]
    lp.controls["up_kbit"].value = "512"
    lp.controls["down_at"].value = "later"
    assert ("“a line fails at” (--down-at) must be seconds in 0 or 1e-06..86400 (the simulation counts whole "
            "microseconds), or none (no line fails), got &#x27;later&#x27;") in lp.status.value
    lp.controls["down_at"].value = ""                           # empty: refused, as --down-at '' is
    assert "or none (no line fails), got &#x27;&#x27;" in lp.status.value and lp.result.params.down_at == 0.35
    lp.controls["down_at"].value = "none"
    assert lp.result.params.down_at is None and "Not run" not in lp.status.value
    lp.controls["read_timeout"].value = "0.05"
    assert lp.result.params.read_timeout == 0.05 and "Not run" not in lp.status.value
    lp.controls["connections"].value = "9"
    assert "connections 9 out of range for this live player: allowed 1..8" in lp.status.value


def test_a_live_player_whose_line_fails_late_starts_its_replay_before_the_failure():
    """As the page's panel does (inpage.failure_start): ch.9's failure at 0.5 s came some 1,200
    steps in, after the 200 a replay shows; the Jupyter player's replay began at 0 and never
    showed it."""
    from sim.trace import Ev
    from sim.view import LivePlayer
    lp = LivePlayer("hash-l4-nat", down_at=0.5, max_steps=200)
    steps = [lp.result.events[i] for i in lp.frames.steps]
    assert any(e.ev is Ev.LINK and getattr(e, "state", None) == "down" for e in steps)
    assert steps[0].t < 500_000 < steps[-1].t
    assert "steps before if2's line fails at 500.000 ms" in lp.status.value
    never = LivePlayer("hash-l4-nat", max_steps=200)
    assert never.frames.steps[0] < 20 and "line fails" not in never.status.value


def test_a_live_players_replay_from_box_shows_any_part_of_the_run():
    """LivePlayer's "replay from (s)" box (the page panel's): the run shown replayed from there,
    no re-run; ``auto`` back to the start before the failure; a bad value said on the status line,
    the replay shown kept; the status line says which moments the replay shows."""
    from sim.view import LivePlayer
    from sim.view.live import first_at
    pytest.importorskip("ipywidgets")
    lp = LivePlayer("hash-l4-nat", down_at=0.5, max_steps=100)
    result, auto = lp.result, lp.frames.steps
    assert lp.controls["start_at"].value == "auto" and "replay from auto: " in lp.status.value
    lp.controls["start_at"].value = "0.7"
    assert lp.result is result and lp.frames.steps[0] >= first_at(result, 0.7) > auto[-1]
    assert "replay from auto" not in lp.status.value and " from 7" in lp.status.value
    lp.controls["start_at"].value = "-1"
    assert "“replay from” must be simulated seconds" in lp.status.value and lp.frames.steps[0] > auto[-1]
    lp.controls["start_at"].value = "5000"
    assert "give a “replay from” before that" in lp.status.value and lp.frames.steps[0] > auto[-1]
    assert lp.rerun(seed=2) is True                # a re-run keeps the last start the replay took
    assert first_at(lp.result, 0.7) <= lp.frames.steps[0] and lp.result.params.seed == 2
    assert lp.replay("auto") is True and lp.frames.steps[0] < first_at(lp.result, 0.5)
    assert lp.controls["start_at"].value == "auto"
    lp.rerun(seed=1, down_at=None)                              # nothing fails: all of it from the start
    assert lp.frames.steps[0] < 20 and "the replay shows" in lp.status.value


def test_a_replays_page_of_its_own_has_a_main_landmark_and_a_heading():
    """A replay opened in its own page (an exercise's "Open this replay in its own page") had no
    heading and no landmark: a screen reader's lists of them were empty (WCAG 1.3.1, 2.4.6)."""
    from sim.view.player import standalone_page
    r = sim.run("equalize-nat", seed=1, size=3000)
    page = standalone_page([Player(r, title="Equalize behind NAT", max_steps=5).html()], "Equalize behind NAT")
    body = page.split("<body>", 1)[1]
    assert body.startswith("<main>") and body.rstrip().endswith("</main></body></html>")
    assert re.findall(r"<h(\d)[ >]", body) == ["1"]
    assert '<h1 class="op1-title">Equalize behind NAT</h1>' in body
    assert '<div class="op1-title">' not in body
    two = standalone_page(["<h1>Two replays</h1>", Player(r, max_steps=5).html(), Player(r, max_steps=5).html()])
    assert re.findall(r"<h(\d)[ >]", two) == ["1", "2", "2"]
