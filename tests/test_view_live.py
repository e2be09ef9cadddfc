"""LivePlayer (the Jupyter widget) tells a student as much as the book page's live panel: what
each run did, the router tables' changes at each step, the whole run's files, which box holds a
refused value and why, the boxes' ranges; its step slider counts as its step line does."""
import base64
import json
import re

import pytest

import sim
from sim.view import inpage

pytest.importorskip("ipywidgets")


def live(*args, **kwargs):
    from sim.view import LivePlayer
    from sim.view._dot import have_dot
    if not have_dot():
        pytest.skip("needs graphviz's dot")
    return LivePlayer(*args, **kwargs)


def test_each_run_says_what_it_did_above_its_replay_as_the_page_panel_does():
    """The status line said "348 events (the replay shows ...)" and never how the download
    ended: the simulator's summary (the page panel's, ``Result.summary_text``) is shown above
    the replay, a new one with each run, and a refusal leaves the run shown named."""
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    r = sim.run("equalize-nat", seed=3, size=20_000)
    text = re.sub(r"<[^>]+>", "\n", lp.summary.value)
    assert f"Run 1: {inpage.SUMMARY_HEAD}".replace("'", "&#x27;") in text
    for line in r.summary_text():
        assert line.replace("'", "&#x27;").replace(">", "&gt;") in text, line
    assert "complete in" in text and "kbit/s" in text
    kids = list(lp.widget.children)
    assert kids.index(lp.summary) < [i for i, k in enumerate(kids) if lp.slider in getattr(k, "children", ())][0]
    lp.controls["seed"].value = "4"
    assert "Run 2: " in lp.summary.value and "seed=4" in lp.summary.value
    lp.controls["size"].value = "0"                      # refused: the replay shown is still run 2's
    assert "Run 2: " in lp.summary.value
    assert "the replay below is still run 2&#x27;s: " in lp.status.value and "seed=4" in lp.status.value
    # (the page panel gets the same title from the same place)
    assert inpage.SUMMARY_HEAD in open("book/_live/panel.js").read()


def test_each_step_shows_what_it_did_to_the_router_tables():
    """The static player's "Router tables, this step" strip, step by step."""
    from sim.view.player import changed_html
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    for k in (0, 3):
        lp.step(k)
        assert "Router tables, this step:" in lp.changed.value
        assert changed_html(lp.result, lp.frames._snaps[lp.steps[k]]) in lp.changed.value


def test_downloads_offer_the_whole_run_beside_the_replay():
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    lp.prepare_downloads()
    d = lp.downloads.value
    assert "replay: " in d and "whole run: " in d
    whole = re.search(r'download="([^"]+-whole-run\.pcapng)"[^>]*href="data:[^;]+;base64,([^"]+)"', d)
    assert whole and base64.b64decode(whole[2]) == lp.result.pcapng_bytes()
    trace = re.search(r'download="[^"]+-whole-run\.txt"[^>]*href="data:[^;]+;charset=utf-8;base64,([^"]+)"', d)
    assert trace and base64.b64decode(trace[1]).decode() == lp.result.text()


def test_a_run_too_large_to_send_has_its_whole_run_files_written_beside_the_notebook(tmp_path, monkeypatch):
    """Downloads… sent the whole run as data: links: after a run of 1.4 million events, 826 MB
    through the notebook's connection, the kernel at 2.4 GB (Binder gives 1-2).  Past
    inpage.WHOLE_MAX_EVENTS the files are written into the kernel's folder (the notebook's), the
    same bytes as ``python -m sim run`` writes, and the bar says where and how large."""
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    monkeypatch.setattr(inpage, "WHOLE_MAX_EVENTS", len(lp.result.events) - 1)
    monkeypatch.chdir(tmp_path)
    lp.prepare_downloads()
    d = lp.downloads.value
    stem = lp.result.live_stem(lp.preset) + "-whole-run"
    assert (tmp_path / f"{stem}.pcapng").read_bytes() == lp.result.pcapng_bytes()
    assert (tmp_path / f"{stem}.txt").read_text() == lp.result.text()
    assert f"too many to send through the notebook: written beside it, <code>{stem}.pcapng</code> (" in d, d[-600:]
    assert "download them from the file browser" in d and "replay: " in d
    assert not re.search(r'-whole-run\.[a-z]+"[^>]*href=', d), "the whole run still sent as a link"
    # a file that can't be written is said, and nothing is raised
    lp2 = live("equalize-nat", seed=4, size=20_000, max_steps=20)
    stem2 = lp2.result.live_stem(lp2.preset) + "-whole-run"
    (tmp_path / f"{stem2}.pcapng").mkdir()
    monkeypatch.setattr(inpage, "WHOLE_MAX_EVENTS", 0)
    lp2.prepare_downloads()
    d2 = lp2.downloads.value
    assert "too many to send through the notebook, and they could not be written beside it (Is a directory" in d2, d2[-600:]


def test_the_step_slider_counts_from_1_as_the_step_line_does():
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    n = len(lp.steps)
    assert (lp.slider.min, lp.slider.value, lp.slider.max) == (1, 1, n) and f"step 1 / {n}" in lp.pos.value
    lp.buttons["next"].click()
    assert lp.slider.value == 2 and f"step 2 / {n}" in lp.pos.value
    lp.slider.value = n
    assert f"step {n} / {n}" in lp.pos.value
    lp.buttons["first"].click()
    assert lp.slider.value == 1 and f"step 1 / {n}" in lp.pos.value
    assert (lp.play.min, lp.play.max) == (1, n)


def test_a_refused_value_is_said_under_its_box_and_the_box_marked():
    lp = live("hash-l4-nat", seed=1, max_steps=20)
    lp.controls["seed"].value = "x"
    assert "✖ not allowed:" in lp.errors["seed"].value and "seed must be an integer" in lp.errors["seed"].value
    assert "op1-bad" in lp.controls["seed"]._dom_classes and lp.errors["seed"].layout.display is None
    assert "Not run" in lp.status.value
    # every bad box at once, a box among the lines' controls shown (their part opened)
    lp.controls["down_at"].value = "soon"
    assert lp.errors["seed"].value and "“a line fails at” (--down-at)" in lp.errors["down_at"].value
    assert lp.lines.selected_index == 0
    lp.controls["seed"].value = "2"
    lp.controls["down_at"].value = "none"
    assert not any(e.value for e in lp.errors.values()) and "Not run" not in lp.status.value
    assert not any("op1-bad" in c._dom_classes for c in lp.controls.values())
    assert lp.result.params.seed == 2
    # the replay box's too
    lp.controls["start_at"].value = "-1"
    assert "“replay from” must be" in lp.errors["start_at"].value and "Not shown" in lp.status.value


def test_number_boxes_say_their_range_as_the_pages_do():
    lp = live("mptcp", seed=1, size=100_000, max_steps=20)
    d = {k: c.description for k, c in lp.controls.items()}
    assert d["uplinks"] == "uplinks (1–4)" and d["seed"] == "seed (0–2^53−1)"
    assert d["size"] == "size (1–1000000 bytes)" and d["down_uplink"] == "which uplink fails (1 to uplinks)"
    html = inpage.panel_html("mptcp", "./", "t", 1, seed=1, size=100_000)
    for name, words in d.items():
        if name in ("uplinks", "seed", "size", "subflows", "down_uplink"):
            assert f'for="t-{name}">{words} <input' in html, (name, words)


def test_equalize_off_says_why():
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    assert lp.why["equalize"].layout.display == "none"
    lp.controls["multipath"].value = "hash-l4"
    assert lp.controls["equalize"].disabled and lp.why["equalize"].layout.display is None
    assert "(with multipath random or wrr only)" in lp.why["equalize"].value
    assert "(with multipath random or wrr only)" in inpage.panel_html("equalize-nat", "./", "t", 1)
    lp.controls["multipath"].value = "random"
    assert lp.why["equalize"].layout.display == "none"


def test_the_failing_uplinks_range_is_the_uplinks_there_are():
    """With 2 uplinks, 0 was "allowed 1..4" and 3 "allowed 1..2": one range, the uplinks'."""
    lp = live("hash-l4-nat", seed=1, max_steps=20)
    for v in ("0", "3", "9"):
        lp.controls["down_uplink"].value = v
        assert "allowed 1..2 (there are 2 uplinks" in lp.errors["down_uplink"].value, (v, lp.status.value)
        assert "1..4" not in lp.status.value
    got = inpage.run("hash-l4-nat", "{}", '{"down_uplink": 0, "uplinks": 3}', '{"down_uplink": [1, 4], "uplinks": [1, 4]}')
    assert "allowed 1..3 (there are 3 uplinks)" in got


def test_the_replay_from_box_is_named_as_the_reader_sees_it():
    lp = live("hash-l4-nat", seed=1, max_steps=20)
    for bad in ("-1", "5000"):
        lp.controls["start_at"].value = bad
        assert "start_at" not in lp.status.value and "“replay from”" in lp.status.value, lp.status.value
    got = json.loads(inpage.run("mptcp", "{}", '{"seed": 1, "start_at": "soon"}'))
    assert got["errors"][0]["param"] == "start_at" and got["error"].startswith("“replay from” must be")
    assert "start_at" not in got["error"]


def test_play_pauses_where_it_is_and_the_bar_is_greyed_while_running(monkeypatch):
    """The Play widget's three icon buttons had no names, and its stop went back to step 1: one
    worded button plays and pauses; while a run runs, Run, the step buttons, the slider and
    Downloads are disabled with the controls."""
    from sim.view import live as live_mod
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    assert lp.play.layout.display == "none" and lp.playing.description == "▶ Play" and lp.playing.tooltip
    lp.playing.value = True
    assert lp.playing.description == "❚❚ Pause"
    lp.step(4)
    lp.playing.value = False
    assert lp.slider.value == 5 and lp.playing.description == "▶ Play"
    seen = []
    real = live_mod.scenarios.run

    def run(*a, **k):
        seen.append([c.disabled for c in (lp.run_button, lp.slider, lp.prepare, lp.playing, *lp.buttons.values())])
        return real(*a, **k)
    monkeypatch.setattr(live_mod.scenarios, "run", run)
    lp.controls["seed"].value = "4"
    assert seen == [[True] * 8]
    assert not any(c.disabled for c in (lp.run_button, lp.slider, lp.prepare, lp.playing, *lp.buttons.values()))


def test_the_run_button_runs_the_values_in_the_boxes():
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    assert lp.run_now() is False and "these values are the run shown" in lp.status.value
    # a value set without the box's own change (as a box not yet left is, in the page)
    c = lp.controls["seed"]
    c.unobserve(lp._on_param, "value")
    c.value = "5"
    c.observe(lp._on_param, "value")
    assert lp.result.params.seed == 3 and lp.run_now() is True and lp.result.params.seed == 5
    assert "Run button" in open("book/10-two-links.md").read()


def test_a_replay_start_left_from_a_longer_run_does_not_refuse_the_next_run():
    """ch.6 in JupyterLab: "replay from" 0.46 s, valid for the run shown, then a size change whose
    run ends at 0.248 s was refused ("no packet moves from then on"), and so was every later run,
    whatever was changed, with no box marked.  The run is made, replayed as auto, the replay box
    back to auto, and the status line says why."""
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    from sim.view._common import clock
    lp = LivePlayer("equalize-nat", size=20000)
    at = round(lp.result.events[-1].t / 1e6 - 0.01, 3)
    assert lp.replay(at) is True and lp.result.events[lp.frames.steps[0]].t >= at * 1e6
    assert lp.rerun(size=2000) is True
    end = lp.result.events[-1].t / 1e6
    assert end < at and lp.result.params.size == 2000
    assert lp.frames.start == 0 and lp.controls["start_at"].value == "auto"
    assert f"replay from {at:g} s is after this run's last event ({clock(lp.result.events[-1].t)})" in lp.status.value
    assert lp.rerun(size=5000) is True and "after this run's last event" not in lp.status.value


def test_a_replay_start_after_the_runs_last_event_is_refused_even_when_that_event_is_a_drop():
    """ch.10's run ending with a drop at 0.356 s took "replay from" 10 as a one-step replay
    ("355.854 ms to 355.854 ms (1 steps)") where other runs refused it: a start after the run's
    last event is refused, whatever that event is."""
    pytest.importorskip("ipywidgets")
    from sim.trace import Ev
    from sim.view import LivePlayer
    lp = LivePlayer("equalize-nat", seed=2, remote="rfc")
    assert lp.result.events[-1].ev is Ev.DROP, "the run no longer ends with a drop: pick another"
    assert lp.replay(10) is False
    assert "no packet moves from then on" in lp.status.value and lp.frames.start == 0


def test_a_refusal_names_the_boxes_in_the_order_they_stand_in():
    """"Not run: ..." named every refused box in the order the checks ran (the seed before the
    uplinks, which stands before it): in the boxes' order, the main ones before the lines'."""
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    lp.controls["down_at"].value = "soon"
    lp.controls["seed"].value = "-1"
    lp.controls["uplinks"].value = "0"
    said = lp.status.value
    at = [said.find(w) for w in ("uplinks 0", "seed -1", "“a line fails at”")]
    assert all(i >= 0 for i in at) and at == sorted(at), (at, said)


def test_the_views_are_the_static_players_boxes_that_scroll():
    """The network (both drawings: left to right, and top to bottom for a phone's column), the
    router's tables and the packet stand in the static player's boxes that scroll (``scroll_box``),
    which player.css sizes on a narrow screen as it does the static player's (their drawings at a
    readable size, not squeezed to the column); the tabs that choose one view on a phone set the
    player's class that shows it."""
    from sim.view.player import scroll_box
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    for k in (0, 5):
        lp.step(k)
        topo = lp.topology.value
        assert 'class="op1-scroll op1-topo-scroll op1-kscroll"' in topo
        assert re.search(r'<svg [^>]*class="op1-topo"', topo) and re.search(r'<svg [^>]*class="op1-topo op1-topo-n"', topo)
        assert scroll_box("state", "router tables", lp.frames.state_html(k)) in lp.state.value
        assert scroll_box("pkt", "packet", lp.frames.pkt_html(k)) in lp.packet.value
    assert "op1-lp-tab-ladder" in lp.widget._dom_classes
    lp.tabs.value = "state"
    assert "op1-lp-tab-state" in lp.widget._dom_classes and "op1-lp-tab-ladder" not in lp.widget._dom_classes


def test_the_player_carries_its_accessibility_script_and_the_hooks_it_reads():
    """ipywidgets gives no ARIA API: each step replaced the narration's HTML, live region and all
    (a region made holding its words is not read: nothing was said), the tabs were no tabs, the
    slider had no name, a refused box was not marked invalid.  The player carries ``live.js`` in
    an Output widget (trusted outputs: JupyterLab runs its script), which gives the player one
    live region of its own and the ARIA ipywidgets cannot; it finds each part by a class set
    here, so each class it reads is on its widget; the narration itself is no live region; the
    focus ring is the book's (3 px #0072B2), not ipywidgets' 1 px #64B5F6."""
    from sim.view.live import LIVE_CSS
    from sim.view.player import _asset
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    js = _asset("live.js")
    assert lp.a11y in lp.widget.children and "op1-lp-a11y" in lp.a11y._dom_classes
    (out,) = lp.a11y.outputs
    assert out["output_type"] == "display_data" and out["data"]["text/html"] == f"<script>{js}</script>"
    assert out["data"]["text/plain"] == "" and "</script>" not in js
    assert lp.a11y.layout.display != "none"        # (a live region in a box not drawn is never read)
    for k in (0, 1):
        lp.step(k)
        assert "aria-live" not in lp.narration.value and 'class="op1-narr"' in lp.narration.value
    hooks = {"op1-lp-narr": [lp.narration], "op1-lp-st": [lp.status], "op1-lp-playbtn": [lp.playing],
             "op1-lp-slider": [lp.slider], "op1-lp-tabs": [lp.tabs],
             "op1-lc-errw": list(lp.errors.values()), "op1-lc-hint": list(lp.hints.values()),
             "op1-lc-why": list(lp.why.values()),
             **{f"op1-lp-act-{n}": [lp.buttons[n]] for n in ("first", "prev", "next", "last")}}
    for cls, widgets in hooks.items():
        # (a step button's class is made from the key's act: "op1-lp-act-" + "next")
        stem, act = cls.rsplit("-", 1) if cls.startswith("op1-lp-act-") else (cls, None)
        assert stem in js and (act is None or f'"{act}"' in js), cls
        assert widgets and all(cls in w._dom_classes for w in widgets), cls
    assert set(lp.why) == {"equalize"} and lp.hints["multipath"] and lp.hints["down_kbit"]
    for cls in ("op1-lp-box-ladder", "op1-lp-box-state", "op1-lp-box-packet"):
        assert cls.rsplit("-", 1)[0] in js      # (the tabs' panels: "op1-lp-box-" + view)
    ring = re.search(r"([^{}]*)\{outline:3px solid #0072B2!important", LIVE_CSS)
    assert ring and all(s in ring[1] for s in (".jupyter-button:focus-visible", "input:focus-visible",
                                               "select:focus-visible", ".noUi-handle:focus-visible"))


def test_the_runs_last_event_is_said_at_one_precision():
    """ch.10: the status line's cut said "the run's last event is at 63.090970 s" and the refusal
    of "replay from 99" "(the run's last event is at 63.091 s)": both say ``clock``'s."""
    from sim.view._common import clock
    lp = live("mptcp", seed=1, size=100_000, subflows=2, down_at=0.1, down_uplink=2)
    last = clock(lp.result.events[-1].t)
    assert last == "63.090970 s", "the run no longer lasts past 10 s: pick another"
    assert f"the run's last event is at {last}" in lp.status.value
    assert lp.replay(99) is False
    assert f"last event is at {last}): give" in lp.status.value


def test_play_and_pause_are_the_static_players_words_in_a_button_as_wide_as_either():
    """Pause was "⏸" (U+23F8): a missing glyph's box where no font has it, a coloured emoji
    elsewhere.  The step buttons say what the static player's say (player.py's BUTTONS, Pause
    player.js's "❚❚"), and Play keeps room for "❚❚ Pause" (player.css's trick): Play turning
    to Pause moved the slider beside it by some 9 px."""
    from sim.view.live import LIVE_CSS, PAUSE
    from sim.view.player import BUTTONS, _asset
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    words = {act: (f"{word} {sym}" if act == "next" else f"{sym} {word}") for act, _, sym, word in BUTTONS}
    assert {n: b.description for n, b in lp.buttons.items()} == {n: words[n] for n in ("first", "prev", "next", "last")}
    assert lp.playing.description == words["play"]
    lp.playing.value = True
    assert lp.playing.description == PAUSE == "❚❚ Pause" and '"❚❚"' in _asset("player.js")
    assert f'.op1-live .op1-lp-playbtn::after{{content:"{PAUSE}";display:block;height:0' in LIVE_CSS
    assert "⏸" not in LIVE_CSS + _asset("live.js")


def test_a_run_tells_its_outcome_in_the_page_panels_words():
    """A re-run whose first step read as the last run's (another NAT model, another remote) was
    not said at all: each run made carries its outcome, the page's panel's sentence ("Run 2: seed
    5; 1 connection complete; ..."), on the status line for live.js to say once (op1-lp-told,
    visually hidden); a replay of the run shown from elsewhere says where it starts.  While a
    run runs the status line is marked (op1-lp-running) so that no step drawn meanwhile is said."""
    from sim.view._dot import h
    from sim.view.inpage import outcome_words
    lp = live("equalize-nat", seed=3, size=20_000, max_steps=20)
    assert lp.told.startswith("Run 1: the values the player was made with; ")
    seen = []
    lp.status.observe(lambda ch: seen.append(ch["new"]), "value")
    lp.controls["seed"].value = "5"
    assert any('class="op1-lp-running"' in v for v in seen)
    assert re.fullmatch(r"Run 2: seed 5; 1 connection complete; run and drawn in \d+ ms\.", lp.told), lp.told
    assert outcome_words(lp.result) == "1 connection complete"
    assert f'<span class="op1-vh op1-lp-told">{h(lp.told)}</span>' in lp.status.value
    lp.controls["nat"].value = "netfilter"
    assert lp.told.startswith("Run 3: NAT netfilter, seed 5; ")
    assert lp.replay(0.01) and lp.told.startswith("Run 3 replayed from 0.01 s; ")
    lp.controls["uplinks"].value = "9"                   # refused: no outcome, the refusal said
    assert "op1-lp-told" not in lp.status.value and "Not run:" in lp.status.value
    js = open("sim/view/live.js").read()
    assert "op1-lp-told" in js and "op1-lp-running" in js
