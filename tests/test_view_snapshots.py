"""The router tables a player shows never run backwards from one step to the next."""
import pytest

import sim
from conftest import skip_or_fail
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
        assert "✖ deleted" not in state_dot(r, snaps[s])
        assert "hl-down" not in topo_frame(r, s).get("hl", {}).values()
    for s in after:
        assert snaps[s].down == {"if2"} and "dead linkdown" in state_dot(r, snaps[s])
        # the connected route on if2 is deleted (fib_flush), drawn struck out and said so
        row = next(l for l in state_dot(r, snaps[s]).split("<TR>") if "150.0.0.0/24 dev if2" in l)
        assert "<S>" in row and "✖ deleted" in row and "dead linkdown" not in row
        fr = topo_frame(r, s)
        assert fr["hl"].get("e_uplink2") in ("hl-down", "hl-link") and fr["cnt"]["d_uplink2"] == "✖ down"
    # the failure's step shows the masquerade entries it forgot, struck out, and only there
    gone = {c for c, m in snaps[li].marks_ct.items() if m == "del:if2 down"}
    assert gone and gone == set(snaps[li].gone_ct)
    assert not any(m == "del:if2 down" for s in after[1:] for m in snaps[s].marks_ct.values())
    assert "if2 down: the line fails" in ladder_svg(r, li, f.steps)


def test_live_player_line_fails_control_reruns_with_and_without_a_failure():
    from sim.trace import Ev
    from sim.view import LivePlayer
    # a download still running at 0.5 s: one that ends first ends the run, and the line never fails
    lp = LivePlayer("mptcp", seed=1, size=300_000, max_steps=2000)
    assert lp.controls["down_at"].value == "none" and "down_at" not in lp.status.value
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
    shown = [s for s in f.steps if "whose only route was deleted" in (snaps[s].why or "")]
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


SCENARIOS = [
    ("equalize-nat", 3, 1), ("equalize-nat", 1, 1), ("connection-level", 2, 1), ("uplink-down", 1, 1),
    ("hash-l4-nat", 2, 1), ("mptcp", 1, 1), ("thought-question", 1, 1), ("cache-expiry", 3, 1),
    ("equalize-nat", 3, 3), ("equalize-public", 1, 1),
]


def _replay(scenario, seed, every):
    from sim.view.model import analysis_of, resolve_steps
    r = sim.run(scenario, seed=seed)
    a = analysis_of(r)
    steps = resolve_steps(r, a)[0][::every]
    return r, a, steps, a.snapshots(steps)


@pytest.mark.parametrize("scenario,seed,every", SCENARIOS)
def test_every_step_shows_the_tables_of_its_own_moment(scenario, seed, every):
    """A step's tables are the router's at the step's own moment (its "t ="): every router
    event up to the step's event, and, for a step that brings a packet to the router, the
    router's handling of it in that same instant -- nothing later.  A packet that waited in a
    queue is routed at one moment and arrives at another: its step says both, and marks its
    own routing with the time it was routed.  (Chapter 4, step 3: "t = 45.731 ms", the tables
    of 35.106 ms, when the ACK was routed; the data segment's entry of 35.117 ms missing.)
    A step whose tables differ from the previous step's never says "no change"."""
    import re
    from sim.trace import Ev
    from sim.view._common import clock as ms
    from sim.view.narration import narrate
    from sim.view.player import changed_html
    r, a, steps, snaps = _replay(scenario, seed, every)
    ev = r.events
    router = [i for i in range(len(ev)) if ev[i].node == "router"]
    prev, waited = None, 0
    for s in steps:
        sn = snaps[s]
        assert sn.t == ev[s].t, (s, sn.t, ev[s].t)
        assert all(j <= sn.at for j in router if j <= s), s          # nothing up to it left out
        later = [j for j in router if s < j <= sn.at]
        if ev[s].ev is Ev.HOP:                                       # only its packet's handling
            assert all(a.proc_of.get(j) == s for j in later), (s, later)
        dec = [j for j in a.decisions(s) if ev[j].node == "router"]
        if ev[s].ev is Ev.HOP and dec and ev[dec[-1]].t != ev[s].t:
            waited += 1
            assert sn.routed_at == ev[dec[-1]].t
            n = narrate(r, s)
            assert f"at {ms(ev[dec[-1]].t)}," in n and n.endswith(f" at {ms(ev[s].t)}."), n
            text = re.sub("<[^>]+>", "", changed_html(r, sn))
            assert f"ROUTED this packet, at {ms(ev[dec[-1]].t)}" in text, text
        else:
            assert getattr(sn, "routed_at", None) is None
        if prev is not None and _tables(sn) != _tables(prev):
            assert "no change" not in re.sub("<[^>]+>", "", changed_html(r, sn)), s
        prev = sn
    if scenario in ("equalize-nat", "equalize-public", "hash-l4-nat"):
        assert waited       # packets queued in an uplink: routed long before they arrive


@pytest.mark.parametrize("scenario,seed,every", SCENARIOS)
def test_a_packet_routed_is_named_where_the_tables_change(scenario, seed, every):
    """Every packet whose routing a step's tables take in, other than the packet the step
    carries on, is named at that step as the ladder names it, with the step that shows it
    leaving: the packet this step brings to the router as routed now, the packets routed
    before the first step as before the replay begins, the rest as meanwhile.  (Chapter 9,
    hash-l4-nat seed 1: steps 29-32 brought the ACKs and data to the router and said "no
    change"; their routing appeared at step 34 as "MEANWHILE routed at 35.106 ms, a packet a
    later step shows (at 45.731 ms)", naming neither.)"""
    import re
    from sim.view._common import flow_text, short_name
    from sim.view.player import changed_html
    r, a, steps, snaps = _replay(scenario, seed, every)
    ev = r.events
    pos = {s: k + 1 for k, s in enumerate(steps)}
    seen = set()
    nows = 0
    for s in steps:
        sn = snaps[s]
        text = re.sub("<[^>]+>", "", changed_html(r, sn)).replace("&#x27;", "'")
        for p in getattr(sn, "routed", []):
            assert p.arrival is None or p.arrival <= s
            assert not seen & set(p.decisions), (s, p)             # each routing named once
            seen |= set(p.decisions)
            assert p.step == pos.get(p.leaving)
            want = {"now": p.arrival == s, "before": s == steps[0] and p.arrival != s,
                    "meanwhile": s != steps[0] and p.arrival not in pos}[p.when]
            assert want, (s, p)
            if p.when == "now":
                nows += 1
                pkt = ev[s].pkt
                where = (f"shown leaving at step {p.step}" if p.step and ev[p.leaving].ev.value == "hop"
                         else f"shown dropped at step {p.step}" if p.step else "not shown leaving in this replay")
                assert f"ROUTED now" in text and f"the {short_name(pkt)} {flow_text(pkt)}, {where}" in text, text
            elif p.when == "before":
                said = re.findall(r"BEFORE this replay begins, (?:at|from) [^:]*: (\d+) packets? routed, "
                                  r"their (?:route cache, FIB and conntrack|route cache and FIB|FIB and conntrack|FIB) "
                                  r"entries in the tables below", text)
                before = [q for q in sn.routed if q.when == "before"]
                assert said == [str(len(before))], text
            elif p.step is not None:
                assert f"shown leaving at step {p.step}" in text or f"shown dropped at step {p.step}" in text
        # a packet this step brings to the router and the router routes in that instant: named now
        arr = [j for j, i in a.proc_of.items() if i == s and ev[j].node == "router"]
        if arr:
            assert any(p.when == "now" and set(arr) <= set(p.decisions) for p in getattr(sn, "routed", [])), s
    assert nows


def test_the_first_step_says_what_was_routed_before_the_replay_begins():
    """Chapter 4's replay starts after the handshake: its first step's tables hold the SYN's and
    the SYN+ACK's routing, said to be from before the replay begins (not "decisions for packets
    whose routing no step of this replay shows")."""
    import re
    from sim.trace import Ev
    from sim.view._common import pkt_name
    from sim.view.model import analysis_of
    from sim.view.player import changed_html
    r = sim.run("equalize-public", seed=1)
    a = analysis_of(r)
    ev = r.events
    first = next(i for i, e in enumerate(ev) if e.ev is Ev.HOP and e.node == "lan"
                 and pkt_name(e.pkt) == "ACK" and e.to.startswith("router"))
    steps = [i for i in a.default_steps() if i >= first][:20]
    snap = a.snapshots(steps)[first]
    text = re.sub("<[^>]+>", "", changed_html(r, snap))
    before = [q for q in snap.routed if q.when == "before"]
    t0, t1 = (ev[min(q.decisions[0] for q in before)].t, ev[max(q.decisions[-1] for q in before)].t)
    assert len(before) == 2 and t0 < t1
    assert (f"BEFORE this replay begins, from {t0 / 1000:.3f} ms to {t1 / 1000:.3f} ms: 2 packets routed, "
            "their route cache and FIB entries in the tables below: the SYN ") in text, text
    assert "the SYN+ACK 200.0.0.1:80 → 192.168.0.1:5000 at 34.900 ms → eth0" in text, text


def _fin_replay():
    """Chapter 10's replay of the giving-up client's FIN (uplink-down, seed 1): the 24 hops and
    drops of the stalled downloads' packets from the first FIN on."""
    from sim.trace import Ev
    r = sim.run("uplink-down", seed=1)
    n = r.params.connections
    stalled = {int(c["client"].split(", ")[1].rstrip(")")) for c in r.summary["connections"][:n]
               if not c["seen_by_server_as"][0].startswith("(100.")}
    fin = next(i for i, e in enumerate(r.events) if e.ev is Ev.SEND and e.node == "local1"
               and e.pkt.sport in stalled and "F" in e.pkt.l4.flags)
    steps = [i for i in range(fin, len(r.events)) if r.events[i].ev in (Ev.HOP, Ev.DROP)
             and r.events[i].pkt is not None and stalled & {r.events[i].pkt.sport, r.events[i].pkt.dport}]
    return r, steps[:24]


def test_deletions_from_before_the_replay_are_said_as_before_with_their_time():
    """Chapter 10's FIN replay begins at 5850 ms; its first step listed "DEL conntrack entry 2
    (if2 down)" and "DEL conntrack entry 4 (if2 down)" after the FIN's routing, as if the FIN
    had deleted them, while if2 went down at 1000 ms.  They are said under BEFORE with their
    time, and neither the strip nor the tables mark them as this step's."""
    import re
    from sim.view.model import analysis_of
    from sim.view.player import changed_html
    from sim.view.state import TINT, state_dot
    r, steps = _fin_replay()
    snap = analysis_of(r).snapshots(steps)[steps[0]]
    text = re.sub("<[^>]+>", "", changed_html(r, snap)).replace("&#x27;", "'")
    assert "DEL conntrack" not in text, text
    assert ("BEFORE this replay begins, no packet's doing: at 1000.000 ms, conntrack entry 2 deleted "
            "(if2 down), conntrack entry 4 deleted (if2 down)") in text, text
    assert not snap.gone_ct and not any(m.startswith("del") for m in snap.marks_ct.values()), snap.marks_ct
    assert TINT["del"] not in state_dot(r, snap), "the tables mark a deletion as step 1's"


def test_the_before_line_counts_packets_and_the_named_ones_add_up():
    """Chapter 3's thought question, step 1, said "239 router decisions ... for" four packets
    "and 111 more" (115 packets); chapter 10's FIN replay "3575 router decisions for 1783
    packets", and a reader could not tell what a decision was.  The line counts the packets
    routed (their entries are in the tables), and the packets named and "more" make that count."""
    import re
    from sim.view.model import analysis_of
    from sim.view.player import NAMED, changed_html
    r, steps = _fin_replay()
    snap = analysis_of(r).snapshots(steps)[steps[0]]
    text = re.sub("<[^>]+>", "", changed_html(r, snap))
    before = [q for q in snap.routed if q.when == "before"]
    m = re.search(r"BEFORE this replay begins, from ([\d.]+) ms to ([\d.]+) ms: (\d+) packets routed, their "
                  r"FIB and conntrack entries in the tables below: (.*?); and (\d+) more packets", text)
    assert m, text
    assert "decision" not in text, text
    assert int(m[3]) == len(before) > 1000       # (1783 today)
    assert m[1] == "0.103" and float(m[2]) < r.events[steps[0]].t / 1000
    assert m[4].count(" at ") + int(m[5]) == int(m[3]) and m[4].count(" at ") == NAMED


def test_chapter_6_equalize_deletion_shows_at_the_step_that_brings_the_packet():
    """Chapter 6's replay, seed 3: the equalize deletion and the new entry of the ACK show at
    the step that brings the ACK to the router, which routes it in that instant; the step that
    carries it out of the router, later, says when it was routed and which step showed it."""
    import re
    from sim.view.model import analysis_of, resolve_steps
    from sim.view.player import changed_html
    r = sim.run("equalize-nat", seed=3)
    a = analysis_of(r)
    steps = resolve_steps(r, a)[0][:12]
    snaps = a.snapshots(steps)
    key = ("200.0.0.1", "192.168.0.1", 0, "eth0")
    dels = [k for k, s in enumerate(steps) if key in snaps[s].gone_cache]
    out = [k for k in dels if r.events[steps[k]].node.startswith("uplink")]
    assert out, dels
    k = out[0]
    came = steps.index(a.arrival(steps[k]))
    sn = snaps[steps[came]]
    assert sn.gone_cache[key]["reason"] == "equalize" and sn.marks_cache[key] == "new"
    assert [p.when for p in sn.routed] == ["now"] and sn.routed[0].step == k + 1
    text = re.sub("<[^>]+>", "", changed_html(r, snaps[steps[k]]))
    assert f"(step {came + 1}, where it reached the router)" in text, text


def test_an_equalize_deletion_is_listed_above_the_entry_that_took_its_key():
    """The route cache's table lists what happened in the order it happened: the entry the
    equalize patch deleted, then the new one for the same key (chapter 4's tables had the NEW
    row, last used at 35.117 ms, above the DEL row, last used at 35.106 ms)."""
    import re
    from sim.view.model import analysis_of, resolve_steps
    from sim.view.state import state_dot, text_tables
    r = sim.run("equalize-nat", seed=3)
    a = analysis_of(r)
    steps = resolve_steps(r, a)[0][:40]
    snaps = a.snapshots(steps)
    both = [s for s in steps if set(snaps[s].gone_cache) & set(snaps[s].cache)]
    assert both
    for s in both:
        sn = snaps[s]
        cache = re.search(r"<caption>Route cache.*?</table>", text_tables(state_dot(r, sn))).group(0)
        rows = re.findall(r"<tr>(.*?)</tr>", cache)
        for key in set(sn.gone_cache) & set(sn.cache):
            dst, src, _, iif = key
            mine = [re.sub("<[^>]+>", " ", row) for row in rows if f"{src} → {dst} iif {iif}" in row]
            assert len(mine) == 2 and "DEL" in mine[0] and "DEL" not in mine[1], (s, mine)

@pytest.mark.parametrize("scenario,params", [
    ("equalize-nat", {"size": 3000}),
    ("cache-expiry", {}),
    ("uplink-down", {"size": 3000}),
])
def test_the_router_tables_all_start_at_the_left_edge(scenario, params):
    """The four router tables are one column, each starting at the drawing's left edge, where a
    phone's box opens (the key column of each in view without scrolling).  The arrows from the
    rows' right ends used to pull the narrower tables to the right: on a 390 px phone the Uplinks
    table began 530 px in, off the screen."""
    import shutil
    import subprocess
    from sim.view.model import analysis_of
    from sim.view.state import state_dot
    if shutil.which("dot") is None:
        skip_or_fail("Graphviz's dot is missing (make .venv/.installed installs it)")
    r = sim.run(scenario, seed=1, **params)
    a = analysis_of(r)
    steps = a.default_steps()
    for step in steps[::max(1, len(steps) // 3)]:
        plain = subprocess.run(["dot", "-Tplain"], input=state_dot(r, a.snapshots([step])[step]),
                               capture_output=True, text=True, check=True)
        assert not plain.stderr, plain.stderr
        left = {f[1]: float(f[2]) - float(f[4]) / 2
                for f in (line.split() for line in plain.stdout.splitlines()) if f[0] == "node"}
        assert set(left) == {"cache", "rt", "up", "ct"}
        assert max(left.values()) - min(left.values()) < 0.02, (step, left)    # inches


def test_every_router_table_read_as_text_has_column_headings():
    """The screen-reader copy of the router's tables (state.text_tables) heads every table's
    columns: the routing table's and the uplinks' had rows and no headings (WCAG 1.3.1)."""
    import re
    from sim.trace import Ev
    from sim.view.state import state_dot, text_tables
    r = sim.run("thought-question", multipath="wrr", nat="netfilter", down_at=0.5, size=400_000)
    li = next(i for i, e in enumerate(r.events) if e.ev is Ev.LINK and e.node == "router")
    f = Frames(r, start=li, stop=li + 1)
    html = text_tables(state_dot(r, f.analysis.snapshots(f.steps)[li]))
    tables = re.findall(r"<table><caption>(.*?)</caption>(.*?)</table>", html)
    assert [c.split(" (")[0] for c, _ in tables] == ["Route cache", "Routing table", "Uplinks", "Conntrack / NAT"]
    for caption, body in tables:
        assert "<th scope=\"col\"" in body.split("</tr>")[0], (caption, body[:120])
    rt = dict(tables)[next(c for c, _ in tables if c.startswith("Routing table"))]
    assert ("<th scope=\"col\">route</th><th scope=\"col\">this packet, or a nexthop&#x27;s share: "
            "weight / total</th>") in rt
    assert "<td>150.0.0.0/24 dev if2 scope link</td><td>✖ deleted</td>" in rt


def test_a_route_cache_hit_is_not_drawn_as_a_fib_choice():
    """On a route cache hit the router searches no routing table (chapter 1: "searches it only
    when its route cache has no answer"): the routing table marks the route the entry copied
    "via the cache", not "chosen", and the strip names no FIB; a miss's route is "chosen".
    Chapter 3's replay, step 20, said "◀ chosen" beside "this packet: route cache hit".  A
    multipath nexthop not taken shows its share of the choices, "share 1/2", which the column's
    heading explains (a bare "1/2" was read as nothing)."""
    import re
    from sim.view.player import changed_html
    from sim.view.state import state_dot, text_tables
    r = sim.run("connection-level", seed=1)
    f = Frames(r, start=0, stop=min(len(r.events), 400))
    snaps = f.analysis.snapshots(f.steps)
    hits = [s for s in f.steps if snaps[s].why == "route cache hit"]
    misses = [s for s in f.steps if snaps[s].why and snaps[s].why != "route cache hit"]
    assert hits and misses
    for s in hits:
        sn = snaps[s]
        assert sn.hit
        dot = state_dot(r, sn)
        assert "◀ via the cache" in dot and "◀ chosen" not in dot, s
        strip = changed_html(r, sn)
        assert "<b>FIB</b>" not in strip and "<b>HIT</b>" in strip, (s, strip)
    for s in misses:
        sn = snaps[s]
        assert not sn.hit
        dot = state_dot(r, sn)
        assert "◀ chosen" in dot and "◀ via the cache" not in dot, s
        assert "<b>FIB</b>" in changed_html(r, sn)
        rt = re.search(r"<caption>Routing table.*?</table>", text_tables(dot)).group(0)
        assert "share: weight / total</th>" in rt
        assert re.search(r"weight 1</td><td>share 1/2</td>", rt), rt


def test_what_was_routed_before_a_replay_names_only_the_tables_the_router_has():
    """Chapter 10's MPTCP replay began "221 packets routed, their route cache, FIB and conntrack
    entries in the tables below" beside a tables pane saying "no route cache (Linux >= 3.6)"."""
    import re
    from sim.view import Player
    said = {}
    for scen, kw in (("mptcp", {"down_at": 0.5}), ("equalize-nat", {}), ("equalize-public", {})):
        r = sim.run(scen, seed=1, **kw)
        from sim.trace import Ev
        steps = [i for i, e in enumerate(r.events) if e.ev is Ev.HOP][60:80]    # packets routed before
        html = re.sub("<[^>]+>", "", Player(r, steps=steps).html())
        m = re.search(r"packets? routed, their ([A-Za-z ,]+) entries in the tables below", html)
        assert m, scen
        said[scen] = (m.group(1), r.net["router"].cache is not None, r.net["router"].nat is not None)
    assert said == {"mptcp": ("FIB and conntrack", False, True),
                    "equalize-nat": ("route cache, FIB and conntrack", True, True),
                    "equalize-public": ("route cache and FIB", True, False)}, said
