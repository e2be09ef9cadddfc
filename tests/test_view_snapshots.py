"""The router tables a player shows never run backwards from one step to the next."""
import pytest

import sim
from sim.view.player import Frames


@pytest.mark.parametrize("scenario,params", [
    ("thought-question", {}),
    ("equalize-nat", {"size": 20_000}),
    ("flashget", {"size": 20_000}),
])
def test_counters_and_snapshot_times_never_go_back(scenario, params):
    r = sim.run(scenario, seed=1, **params)
    f = Frames(r, start=0, stop=min(len(r.events), 3000), max_steps=400)
    snaps = f.analysis.snapshots(f.steps)
    seq = [snaps[s] for s in f.steps]
    assert len(seq) > 50
    for a, b in zip(seq, seq[1:]):
        assert (b.in_hit, b.in_slow_tot) >= (a.in_hit, a.in_slow_tot)
        assert b.at >= a.at and b.t >= a.t


def test_a_queued_packet_still_shows_its_own_decision():
    # thought-question, seed 1: some packet leaves a queue after the router has routed
    # later ones; its step is drawn with the later tables (not wound back), and still
    # names the nexthop its own packet was given
    r = sim.run("thought-question", seed=1)
    f = Frames(r, start=0, stop=2000, max_steps=400)
    a = f.analysis
    snaps = a.snapshots(f.steps)
    late = []
    for s in f.steps:
        dec = [j for j in a.decisions(s) if r.events[j].node == "router"]
        if dec and r.events[s].node != "router" and snaps[s].at > max(dec):
            late.append((s, dec))
    assert late, "no step whose decision predates the tables shown"
    checked = 0
    for s, dec in late:
        routed = [r.events[j] for j in dec if r.events[j].ev.value in ("rt_miss", "rt_hit")]   
        if routed:
            assert snaps[s].nexthop == routed[-1].dev
            checked += 1
    assert checked


def test_an_entry_replaced_since_its_packet_was_routed_is_not_marked_as_that_packets():
    """Equalize: every packet going up makes its own route cache entry, and by the time it crosses
    its uplink (where its step is drawn) later packets may have replaced it.  The step names the
    entry it made, with the time it was routed; the NEW mark is never put on another packet's
    entry (chapter 4's replay, found by a reader: the FIB chose if1, the row marked NEW said if2).
    A step shows the tables as its packet's decisions left them, so a replaced entry is shown
    only when trace order forces later tables on the step: an ACK routed down to the LAN while
    a data segment routed before it waits in the uplink's queue."""
    import re
    from sim.view.model import analysis_of, resolve_steps
    from sim.view.player import changed_html
    r = sim.run("equalize-public", seed=1)
    a = analysis_of(r)
    # chapter 4's steps: packets reaching the router from the LAN and leaving it by an uplink
    ch4 = [i for i, e in enumerate(r.events) if e.ev.value == "hop"
           and ((e.node == "lan" and e.to.startswith("router"))
                or (e.node.startswith("uplink") and e.from_.startswith("router")))][:60]
    replaced = 0
    for steps in (ch4, resolve_steps(r, a, max_steps=200)[0]):
        snaps = a.snapshots(steps)
        for s in steps:
            sn = snaps[s]
            for key, mark in sn.marks_cache.items():
                if mark == "new":
                    assert sn.cache[key]["dev"] == sn.nexthop, (s, key)
                if key in sn.since:          # the entry there now is a later packet's: not marked at all
                    assert key in sn.cache and not mark, (s, key, mark)
            for key, (mark, dev, t) in sn.since.items():
                assert mark == "new" and dev == sn.nexthop and t < sn.t
                assert f"→ {dev}, when this packet was routed at" in re.sub("<[^>]+>", "", changed_html(r, sn))
                replaced += sn.cache[key]["dev"] != dev
    assert replaced                  # some step's entry now says the other uplink


def test_a_failed_line_is_drawn_from_its_step_on_and_not_before():
    from sim.trace import Ev
    from sim.view.ladder import ladder_svg
    from sim.view.state import state_dot
    from sim.view.topology import topo_frame
    r = sim.run("uplink-down", seed=1)
    li = next(i for i, e in enumerate(r.events) if e.ev is Ev.LINK and e.node == "router")
    f = Frames(r, start=li - 30, stop=li + 40)
    assert li in f.steps                                   # the failure is a step of its own
    snaps = f.analysis.snapshots(f.steps)
    before = [s for s in f.steps if s < li]
    after = [s for s in f.steps if s >= li]
    for s in before:
        assert not snaps[s].down and "dead linkdown" not in state_dot(r, snaps[s])
        assert "hl-down" not in topo_frame(r, s).get("hl", {}).values()
    for s in after:
        assert snaps[s].down == {"if2"} and "dead linkdown" in state_dot(r, snaps[s])
        fr = topo_frame(r, s)
        assert fr["hl"].get("e_uplink2") in ("hl-down", "hl-link") and fr["cnt"]["c_uplink2"].endswith("✖ down")
    # the failure's step shows the masquerade entries it forgot, struck out, and only there
    gone = {c for c, m in snaps[li].marks_ct.items() if m == "del:if2 down"}
    assert gone and gone == set(snaps[li].gone_ct)
    assert not any(m == "del:if2 down" for s in after[1:] for m in snaps[s].marks_ct.values())
    assert "if2 down: the line fails" in ladder_svg(r, li, f.steps)


def test_live_player_line_fails_control_reruns_with_and_without_a_failure():
    from sim.trace import Ev
    from sim.view import LivePlayer
    lp = LivePlayer("mptcp", seed=1, size=50_000, max_steps=2000)
    assert lp.controls["down_at"].value is None and "down_at" not in lp.status.value
    lp.controls["down_at"].value = 0.5
    assert "down_at=0.5 down_uplink=2" in lp.status.value
    assert any(lp.result.events[s].ev is Ev.LINK for s in lp.frames.steps)
    assert lp.result.summary["mptcp"][0]["complete"]          # re-injected over uplink 1
    lp.controls["down_at"].value = None
    assert "down_at" not in lp.status.value and "link_down" not in lp.result.summary


def test_a_marks_table_decision_is_not_drawn_as_the_main_tables():
    """connmark: a new connection's mark picks table 1 or 2; the panel draws the main table
    only, so the nexthop it leaves by is marked "by table k", not "chosen" (chapter 10's
    flashget replay said the main table chose, the prose that table 1 did)."""
    from sim.view.state import state_dot
    r = sim.run("flashget", seed=1, multipath="connmark", nat="masquerade", remote="rfc", cc="reno", size=20_000)
    f = Frames(r, start=0, stop=min(len(r.events), 400))
    snaps = f.analysis.snapshots(f.steps)
    by_table = [s for s in f.steps if "-> table" in (snaps[s].why or "")]
    assert by_table
    for s in by_table:
        dot = state_dot(r, snaps[s])
        k = snaps[s].why.rsplit("table ", 1)[1].split()[0]
        assert f"◀ by table {k}" in dot and "◀ chosen" not in dot


def test_a_dead_marks_table_leaves_the_choice_to_the_main_table():
    """connmark with uplink 1 down: a connection marked for table 1 finds its route dead and
    the main table chooses (DeadTable) -- the main table's nexthop is "chosen" then, not "by
    table 1" (the label was read from the explanation's text, which names table 1 too)."""
    from sim.trace import Ev
    from sim.view.model import info_of
    from sim.view.state import state_dot
    r = sim.run("uplink-down", seed=1, multipath="connmark", down_uplink=1)
    dead = next(i for i, e in enumerate(r.events) if e.ev is Ev.FIB
                and type(info_of(e)["why"]).__name__ == "DeadTable")
    f = Frames(r, start=dead - 5, stop=min(len(r.events), dead + 400))
    snaps = f.analysis.snapshots(f.steps)
    shown = [s for s in f.steps if "whose route is dead" in (snaps[s].why or "")]
    assert shown
    for s in shown:
        assert snaps[s].table is None
        dot = state_dot(r, snaps[s])
        assert "◀ chosen" in dot and "◀ by table" not in dot


def _tables(sn):
    """What a reader sees in the tables diagram, minus the marks."""
    return ({k: (v["dev"], v["use"]) for k, v in sn.cache.items()},
            {k: (v["dev"], v["used"]) for k, v in sn.conntrack.items()},
            sn.in_hit, sn.in_slow_tot, sn.down)


@pytest.mark.parametrize("scenario,seed,every", [
    ("equalize-nat", 3, 1), ("equalize-nat", 1, 1), ("connection-level", 2, 1), ("uplink-down", 1, 1),
    ("hash-l4-nat", 2, 1), ("mptcp", 1, 1), ("thought-question", 1, 1), ("cache-expiry", 3, 1),
    ("equalize-nat", 3, 3),
])
def test_the_tables_show_what_the_narration_has_reached(scenario, seed, every):
    """The tables at step k are the fold of the router's decisions that steps <= k narrate
    (a packet's routing is narrated by its hop out of the router or its drop), of what no
    step narrates, and of a later step's packet only when trace order forces it (this step's
    own decisions come after it) -- and then the step names it (``ahead``).  A step whose
    tables differ from the previous step's never says "no change".  (Chapter 6, seed 3: step
    10, a LAN hop, showed the equalize deletion and in_slow_tot 3 of the ACK routed with it,
    labelled "no change", a step before the step that narrates it.)"""
    import re
    from sim.trace import Ev
    from sim.view.model import analysis_of, resolve_steps
    from sim.view.player import changed_html
    r = sim.run(scenario, seed=seed)
    a = analysis_of(r)
    ev = r.events
    steps = resolve_steps(r, a)[0][::every]
    snaps = a.snapshots(steps)
    told = {}                   # router decision -> the shown step that narrates it
    for s in steps:
        for j in a.decisions(s):
            if ev[j].node == "router":
                told.setdefault(j, s)
    need = -1                   # the latest router event a step so far must show
    prev_at, prev = -1, None
    early = 0
    for s in steps:
        sn = snaps[s]
        dec = [j for j in a.decisions(s) if ev[j].node == "router"]
        need = max([need] + dec + ([s] if ev[s].node == "router" else []))
        assert sn.at >= need, (s, sn.at, need)
        for j in range(prev_at + 1, sn.at + 1):
            if j in told and told[j] > s:           # a later step's packet: only if forced, and named
                assert j < need and getattr(sn, "ahead", {}).get(j) == told[j], (s, j, told[j])
                early += 1
        if every == 1 and ev[s].ev is not Ev.LINK:  # nothing folds in past this step's event
            assert sn.at <= s
        if prev is not None and _tables(sn) != _tables(prev):
            assert "no change" not in re.sub("<[^>]+>", "", changed_html(r, sn)), (s, prev.at, sn.at)
        prev_at, prev = max(prev_at, sn.at), sn
    if (scenario, seed, every) == ("equalize-nat", 3, 1):
        assert early      # the ACKs routed while a data segment waits in the uplink's queue


def test_chapter_6_equalize_deletion_shows_at_the_step_that_narrates_it():
    """Chapter 6's replay, seed 3: the data segment's step (a LAN hop) shows the tables as the
    previous step left them; the equalize deletion and the new entry come with the step that
    carries the ACK routed at that instant out of the router."""
    import re
    from sim.view.model import analysis_of, resolve_steps
    from sim.view.player import changed_html
    r = sim.run("equalize-nat", seed=3)
    a = analysis_of(r)
    steps = resolve_steps(r, a)[0][:12]
    snaps = a.snapshots(steps)
    key = ("200.0.0.1", "192.168.0.1", 0, "eth0")
    s9, s10, s11 = (snaps[steps[k]] for k in (8, 9, 10))
    assert r.events[steps[9]].node == "lan" and r.events[steps[10]].node.startswith("uplink")
    assert _tables(s10) == _tables(s9) and s10.cache[key]["dev"] == s9.cache[key]["dev"]
    assert (s9.in_slow_tot, s10.in_slow_tot, s11.in_slow_tot) == (2, 2, 3)
    assert s11.gone_cache[key]["reason"] == "equalize" and s11.marks_cache[key] == "new"
    assert "no change" in re.sub("<[^>]+>", "", changed_html(r, s10))
