"""Chapters 6-10's exercises ask what the simulator does and leave the reasoning to the reader; the
ladder's "ifN" and a comparison's flag say what they mean (a student reviewer's findings, read on
a 360 px phone)."""
import json
import re
from pathlib import Path

import pytest

import sim
from sim.exercises.bank import BANK, instance, pool_instance
from sim.exercises.variants import POOL
from sim.trace import Ev

ROOT = Path(__file__).resolve().parent.parent
IPV4 = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")


@pytest.fixture(autouse=True)
def practice_mode(monkeypatch):
    """No course secret from the developer's environment."""
    monkeypatch.delenv("SIM_EXERCISES_SECRET", raising=False)


def _variants(ex_id, n=POOL):
    return [instance(ex_id, "book", secret="")] + [pool_instance(ex_id, k) for k in range(n)]


# -- ch.10 exercise 1: its premise is what the simulator does ----------------------------------

def test_the_public_lan_question_says_the_simulators_way_down_and_it_holds():
    """two-links-config (public LAN) said "the Internet spreads the data coming down to the LAN as
    chapter 4's did"; hash-l4 with no NAT then came down one line ("if1 0%, if2 100%"), since the
    simulator's Internet balances per packet only when the router does (sim/topology.py).  The
    prompt says so, and that the real Internet's way down is the providers' routing; the
    simulator's verdicts bear it out: no per-connection policy without NAT is accepted, and the
    hint says the way down follows the way up here."""
    seen = 0
    for inst in _variants("two-links-config", 12):
        if "public addresses" not in inst.prompt:
            continue
        seen += 1
        assert "spreads the data coming down" not in inst.prompt, inst.prompt
        assert ("In this simulator the Internet sends the data coming down to that prefix the way your router "
                "sends it up: per packet when your router balances per packet, one line per connection "
                "otherwise") in inst.prompt, inst.prompt
        assert "On the real Internet the way down is the providers' routing, not your router's choice" in inst.prompt
        assert inst.hint.startswith("In this simulator the way down follows the way up"), inst.hint
        for m in ("hash-l3", "hash-l4", "connmark"):
            norm = f"multipath={m};nat=none"
            assert norm in inst.outcomes and norm not in inst.accepted, (m, inst.accepted)
    assert seen


# -- ch.8 exercise 1: its title asks, its NAT is of the router's era ------------------------------

def test_nf_endpoint_asks_in_its_title_and_runs_24s_nat_on_24s_router():
    """Its title was "netfilter keeps the binding" (the answer), and half its variants put today's
    `snat` on a 2.4 equalize router: 2.4's netfilter NAT (sim/natmodels/netfilter.py) on each."""
    assert BANK["nf-endpoint"].title == "Which source does the ACK carry?"
    for inst in _variants("nf-endpoint"):
        assert inst.title == "Which source does the ACK carry?"
        assert inst.run["params"]["nat"] == "netfilter", inst.run
        assert "`snat`" not in inst.prompt and "2.4's netfilter NAT (`netfilter`" in inst.prompt, inst.prompt


# -- ch.6 "Accept, ignore or reset?": the ACK's endpoint is the reader's to find -----------------------

def test_accept_ignore_or_reset_does_not_give_the_acks_endpoint():
    """The prompt gave both endpoints ("The SYN left by if2 as 150.0.0.1:7000; the handshake's ACK
    left by if2 as 150.0.0.1:7000"): comparing two strings answered it.  It gives the SYN's and
    the ACK's uplink; the ACK's source is for the reader to work out (or read in the trace shown
    with the question), and the hint says so."""
    for inst in _variants("eqnat-remote"):
        r = sim.run("equalize-nat", **inst.run["params"])
        hops = [(i, e) for i, e in enumerate(r.events) if e.ev is Ev.HOP and e.from_.startswith("router:if")
                and e.pkt.proto == 6]
        syn = next(e.pkt for i, e in hops if e.pkt.l4.flags == "S")
        ack = next(e.pkt for i, e in hops if e.pkt.l4.flags == "A" and e.pkt.load == 0)
        syn_ep, ack_ep = f"{syn.ip.src}:{syn.sport}", f"{ack.ip.src}:{ack.sport}"
        assert f"as {syn_ep};" in inst.prompt, inst.prompt
        assert not re.search(r"ACK left by if\d as ", inst.prompt), inst.prompt
        if ack_ep != syn_ep:
            assert ack_ep not in inst.prompt, inst.prompt
        assert "First work out the source endpoint the article's NAT gave the ACK" in inst.hint, inst.hint


# -- ch.7 "Will this echo be answered?": a wrong first answer gets where to look, not the reasoning -----

def test_icmp_answered_why_not_says_where_to_look_not_the_whole_reasoning():
    """After a wrong "no" it said "nothing drops this echo or its reply: its request left by if2 as
    150.0.0.1, and the reply to that address finds the router's conntrack entry, which translates
    it back": every step of the reasoning.  The why-not names the steps to check, no address, no
    uplink and no event; the explanation behind the right answer keeps them."""
    answers = set()
    for inst in _variants("icmp-answered"):
        answers.add(inst.answer)
        (text,) = inst.outcomes.values()
        assert not IPV4.search(text) and not re.search(r"\bif\d\b|\bevent\b", text), text
        assert "Check which conntrack entry this echo belongs to" in text, text
        assert re.search(r"\bevent \d+", inst.explanation), inst.explanation
    assert answers == {"yes", "no"}


# -- ch.6's needs-Python note: the in-page panel does it, in the words its summary uses -----------------

def test_chapter_6_says_the_live_panel_runs_the_needs_python_question_in_the_summarys_words():
    """Ch.6's note sent a phone reader to Binder ("do it in Binder ... or a local Python"); the
    chapter's "Try it live" panel runs the same runs, one at a time.  The words it quotes for
    handshake_ok are the run summary's (sim/result.py), which the panel shows."""
    text = (ROOT / "book" / "06-equalize-nat.md").read_text()
    note = text[text.index("marked *needs Python*"):text.index("```", text.index("marked *needs Python*"))]
    note = " ".join(note.split())
    assert 'the "Try it live" panel above does it too, on a phone as well' in note, note
    quoted = re.search(r'its summary says "([^"]+)"', note).group(1)
    inst = instance("eqnat-survive", "book", secret="")
    assert set(inst.run["params"]) == {"uplinks", "size", "seed"}, inst.run     # what the panel's boxes hold
    r = sim.run("equalize-nat", uplinks=3, size=2000, seed=1, trace=False)
    said = [line for line in r.summary_text() if "handshake" in line]
    c = r.summary["connections"][0]
    assert said and (f"handshake {c['handshake']}" in said[0])
    # the summary's words for a handshake_ok run are the ones quoted, and no other run's
    for s in range(1, 30):
        c = sim.run("equalize-nat", uplinks=3, size=2000, seed=s, trace=False).summary["connections"][0]
        assert (f"handshake {c['handshake']}" == quoted) == c["handshake_ok"], c


# -- the ladder's ifN and its colours ---------------------------------------------------------------

@pytest.fixture(scope="module")
def netfilter_ack():
    """Chapter 8's replay, equalize-nat seed 3 under 2.4 netfilter NAT: the handshake's ACK leaves
    by if1 carrying if2's address (150.0.0.1), and crosses the Internet to Remote host 1."""
    from sim.view.model import analysis_of
    r = sim.run("equalize-nat", seed=3, size=20_000, nat="netfilter")
    steps = analysis_of(r).default_steps()[:45]
    out = next(i for i in steps if r.events[i].ev is Ev.HOP and r.events[i].from_ == "router:if1")
    beyond = [i for i in steps if i > out and r.events[i].ev is Ev.HOP and r.events[i].pkt.ip == r.events[out].pkt.ip
              ._replace(ttl=r.events[i].pkt.ip.ttl) and r.events[i].pkt.l4 == r.events[out].pkt.l4]
    return r, steps, out, beyond


def test_the_phone_ladder_names_the_line_crossed_on_every_hop_of_the_packet(netfilter_ack):
    """The phone ladder said if1 at the ACK's hops onto if1 and to the Internet, then if2 at its hop
    from the Internet to Remote host 1 (the uplink whose address it carries): its ifN is the line
    the packet crossed, on every hop after, and a packet on its way down has crossed none yet."""
    from sim.view.ladder import crossed_lines, ladder_parts_n
    r, steps, out, beyond = netfilter_ack
    assert r.events[out].pkt.ip.src == "150.0.0.1" and beyond
    assert any(r.events[i].from_.startswith("internet") and r.events[i].to.startswith("remote1") for i in beyond)
    crossed = crossed_lines(r, steps)
    assert [crossed.get(i) for i in [out] + beyond] == [1] * (1 + len(beyond)), crossed
    # the server's answers, from Remote host 1 to the Internet: no line crossed yet
    down = [i for i in steps if r.events[i].ev is Ev.HOP and r.events[i].from_.startswith("remote1")]
    assert down and all(i not in crossed for i in down)
    _, body, _ = ladder_parts_n(r, steps, beyond[-1])
    row = re.search(rf'<g class="op1-row[^"]*" data-i="{beyond[-1]}".*?</g>', body).group(0)
    assert re.search(r'<tspan class="upl" fill="#00609A">if1</tspan> 150\.0\.0\.1:5000', row), row


def test_a_players_ladder_says_what_its_colours_and_its_ifN_mean(netfilter_ack):
    """Nothing said that an arrow's colour is the uplink of the packet's address and the phone's
    ifN the line it crossed: an orange-dashed arrow under a blue "if1" read as a mistake."""
    from sim.view import Player
    r, *_ = netfilter_ack
    h = Player(r, max_steps=40).html()
    box = h[h.index('data-panel="ladder"'):h.index('class="op1-ladder-scroll')]
    legend = re.sub(r"<[^>]+>", "", re.search(r'<p class="op1-legend op1-ladder-legend">.*?</p>', box).group(0))
    assert "Arrow colour: the uplink whose address the packet carries (if1 blue solid, if2 orange dashed" in legend
    assert "ifN before the addresses (narrow screens): the line the packet crosses or crossed" in legend, legend


def test_a_comparisons_flag_names_each_runs_step_where_they_differ():
    """Chapter 8's comparison on a phone said only "≠ the runs differ at this step" at step 11, the
    two ACKs (100.0.0.1:6000 and 150.0.0.1:5000) two screens apart: the flag names both."""
    from sim.view import Compare
    ra = sim.run("equalize-nat", seed=3, size=20_000)
    rn = sim.run("equalize-nat", seed=3, size=20_000, nat="netfilter")
    c = Compare(ra, rn, labels=("the article's NAT", "2.4 netfilter NAT"))
    k = c.first_divergence
    assert c.differ_words[k] == ("≠ the article's NAT: ACK 100.0.0.1:6000 → 200.0.0.1:80 by if1 · "
                                 "2.4 netfilter NAT: ACK 150.0.0.1:5000 → 200.0.0.1:80 by if1"), c.differ_words[k]
    assert all((w is None) == (not d) for w, d in zip(c.differ_words, c.diverge))
    js = (ROOT / "sim" / "view" / "player.js").read_text()
    assert '(meta.diffw && meta.diffw[k]) || "≠ the runs differ at this step"' in js
    # the page's meta carries them, for its script
    meta = json.loads(re.search(r'<script type="application/json" class="op1-meta">(.*?)</script>',
                                c.html()).group(1))
    assert meta["diffw"] == c.differ_words
