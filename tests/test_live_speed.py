"""The live player draws only what the reader looks at, and draws it as the static
player does; diagrams are cached by their DOT text.  (Speed is printed by
``python -m sim.view.bench``, not asserted here.)"""
from __future__ import annotations

import shutil

import pytest

import sim
from sim.view import _dot
from sim.view.player import Frames

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


def test_render_draws_each_dot_source_once(monkeypatch):
    calls = []
    real = _dot._render

    def counting(sources):
        calls.append(list(sources))
        return real(sources)
    monkeypatch.setattr(_dot, "_render", counting)
    monkeypatch.setattr(_dot, "_cache", {})
    a, b = "digraph { a -> b }", "digraph { b -> c }"
    first = _dot.render([a, b, a])
    assert calls == [[a, b]] and first[0] == first[2] != first[1]
    assert _dot.render([b, a]) == [first[1], first[0]] and len(calls) == 1      # no dot run
    monkeypatch.setattr(_dot, "CACHE_MAX", 1)
    _dot.render(["digraph { x }"])
    assert len(_dot._cache) == 1 and _dot.render([a]) == [first[0]] and len(calls) == 3


def test_live_player_draws_a_step_when_shown_and_as_the_static_player_does():
    pytest.importorskip("ipywidgets")
    from sim.view import LivePlayer
    lp = LivePlayer("equalize-nat", seed=3, size=20_000, max_steps=60)
    f = lp.frames
    assert set(f._state) == {0} and set(f._pkt) == {0}         # only the first step drawn
    assert lp.downloads.value == ""                              # the downloads when asked for
    static = Frames(lp.result, max_steps=60)
    assert static.steps == f.steps
    for k in (0, 7, 59, 30):
        lp.step(k)
        assert f.state_html(k) == static.states[static.state_of[k]]
        assert f.pkt_html(k) == static.pkts[static.pkt_of[k]]
        assert f.state_html(k) in lp.state.value and f.pkt_html(k) in lp.packet.value
        assert f.narration[k] == static.narration[k] and f.where[k] == static.where[k]
        assert f.topo_frames[k] == static.topo_frames[k]
    assert len(f._pkt) == 4 and len(f._state) < 60
    lp.prepare_downloads()
    # (the page panel's links: the replay's files and the whole run's, inpage.downloads_html)
    from sim.view.inpage import downloads_html
    assert downloads_html(static, "equalize-nat-live-seed-3", whole=True) in lp.downloads.value
    lp.controls["seed"].value = 4                               # a re-run: downloads withdrawn
    assert lp.downloads.value == "" and lp.result.params.seed == 4
    assert set(lp.frames._state) == {0} and set(lp.frames._pkt) == {0}
