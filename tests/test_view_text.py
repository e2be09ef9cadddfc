"""The packet pane highlights exactly the bytes a node changed; the narration says what
happened and why, for every kind of event, including kinds the views do not know."""
import re
from enum import Enum

import pytest

import sim
from sim.reasons import DeviceDown, EqualizeDeleted, Gone
from sim.scenarios import unread
from sim.trace import App, CtDel, Ev, Event
from sim.view import narrate, packet_pane
from sim.view.pktpane import OFFSETS, pane
from view_helpers import equalize_reselect, first_uplink_syn, hops


@pytest.fixture(scope="module")
def eq():
    return sim.run("equalize-nat", seed=1, size=3000)


def _range(layer, field):
    a, b = OFFSETS[layer][field]
    base = 0 if layer == "IP" else 20
    return set(range(base + a, base + b))


def _marked(html_text):
    """The offsets marked in the after and the before hexdumps."""
    dumps = re.findall(r'<pre class="op1-hex (after|before)">(.*?)</pre>', html_text, re.S)
    return {k: {int(x) for x in re.findall(r'data-off="(\d+)"', d)} for k, d in dumps}


def test_snat_highlights_source_address_port_ttl_and_checksums(eq):
    i = first_uplink_syn(eq)
    p = pane(eq, i)
    assert set(p["fields"]) == {"IP.ttl", "IP.chksum", "IP.src", "TCP.sport", "TCP.chksum"}
    allowed = set().union(*(_range(*f.split(".")) for f in p["fields"]))
    assert set(p["changed"]) <= allowed
    assert {8, 12, 13} <= set(p["changed"])          # ttl; 192.168 -> 100 or 150 in the first bytes
    assert _range("IP", "dst").isdisjoint(p["changed"])
    marks = _marked(packet_pane(eq, i))
    assert marks["after"] == marks["before"] == set(p["changed"])
    from sim.pcap import to_bytes
    after = to_bytes(eq.events[i].pkt)
    before = to_bytes(eq.events[[j for j in hops(eq, "lan")][0]].pkt)
    assert set(p["changed"]) == {k for k in range(len(after)) if after[k] != before[k]}


def test_dnat_on_the_way_back_changes_destination_and_port(eq):
    i = next(i for i in hops(eq, "lan", "router:"))
    p = pane(eq, i)
    assert set(p["fields"]) == {"IP.ttl", "IP.chksum", "IP.dst", "TCP.dport", "TCP.chksum"}
    html_text = packet_pane(eq, i)
    assert '◆ </span>dport' in html_text and ("was 7000" in html_text or "was 6000" in html_text)


def test_provider_changes_only_ttl_and_checksum_and_a_send_changes_nothing(eq):
    i = hops(eq, "peer")[0]
    assert set(pane(eq, i)["fields"]) == {"IP.ttl", "IP.chksum"}
    first = hops(eq, "lan")[0]
    p = pane(eq, first)
    assert p["changed"] == [] and "nothing changed yet" in p["html"]


def test_dissection_is_scapys_with_numeric_ports_and_the_payload_cut(eq):
    i = next(i for i in hops(eq, "uplink", "provider") if eq.events[i].pkt.load >= 1000)
    h = packet_pane(eq, i)
    pkt = eq.events[i].pkt
    assert f"<th scope=\"row\">sport</th><td>{pkt.sport}</td>" in h and f"<th scope=\"row\">dport</th><td>{pkt.dport}</td>" in h
    assert f"{pkt.load - 24} more payload bytes" in h


def test_narration_of_the_syn_names_cache_miss_choice_and_nat(eq):
    i = first_uplink_syn(eq)
    dev = eq.events[i].from_.split(":")[1]
    pkt = eq.events[i].pkt
    s = narrate(eq, i)
    assert "route cache miss for 192.168.0.1→200.0.0.1" in s and f"picks {dev}" in s
    assert f"rewrites the source (192.168.0.1, 5000) to ({pkt.ip.src}, {pkt.sport})" in s
    assert s.endswith(".") and "\n" not in s


def test_narration_of_equalize_says_it_deletes_and_reselects(eq):
    i = equalize_reselect(eq)
    dev = eq.events[i].from_.split(":")[1]
    s = narrate(eq, i)
    assert "equalize deletes the cached entry for 192.168.0.1→200.0.0.1" in s
    assert f"the FIB lookup picks {dev}" in s


def test_narration_of_drops_gives_the_reason():
    r = sim.run("equalize-nat", seed=2, size=3000)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.DROP)
    s = narrate(r, i)
    assert "drops" in s and "ignores it" in s and "Remote host 1" in s


@pytest.mark.parametrize("scenario", ["equalize-nat", "icmp-equalize-nat", "hash-l4-nat", "cache-expiry"])
def test_every_event_narrates_as_one_sentence(scenario):
    r = sim.run(scenario, seed=1, **({} if "size" in unread(scenario) else {"size": 5000}))
    for i in range(len(r.events)):
        s = narrate(r, i)
        assert s and s[0].isupper() and s.endswith(".") and "\n" not in s, (i, s)


class _NewEv(str, Enum):
    PROBE = "probe"


class _Probe(Event):
    """An event kind the views have never heard of."""
    __slots__ = ("dev", "n")
    ev, fields = _NewEv.PROBE, ("dev", "n")

    def __init__(self, t, node, pkt, dev, n):
        self.t, self.node, self.pkt, self.dev, self.n = t, node, pkt, dev, n


def test_unknown_event_kinds_and_reasons_are_narrated_generically():
    r = sim.run("icmp-equalize-nat", seed=1, pings=2)
    r.events.append(_Probe(r.events[-1].t, "router", None, "if1", 3))
    r.events.append(CtDel(r.events[-1].t, "router", None, 1, "port reuse"))
    assert narrate(r, len(r.events) - 2) == "Linux router: probe (dev if1, n 3)."
    assert "port reuse" in narrate(r, len(r.events) - 1)
    from sim.view import Player
    p = Player(r, steps=[len(r.events) - 2, len(r.events) - 1, 2])
    assert p.frames == 3 and 'data-replay="icmp-equalize-nat"' in p.html()


def test_narration_reads_the_reason_records_not_their_text():
    # a conntrack entry forgotten because its device went down: the record names the device;
    # the same words as a plain string are only an unknown reason, said as they are
    r = sim.run("icmp-equalize-nat", seed=1, pings=2)
    t = r.events[-1].t
    r.events.append(CtDel(t, "router", None, 7, DeviceDown("if3")))
    r.events.append(CtDel(t, "router", None, 8, "if3 down"))
    r.events.append(CtDel(t, "router", None, 9, Gone.TIMEOUT))
    n = len(r.events)
    assert "conntrack entry 7 is destroyed (MASQUERADE forgets the connections of if3" in narrate(r, n - 3)
    assert "conntrack entry 8 is destroyed (if3 down)" in narrate(r, n - 2)
    assert "conntrack entry 9 is destroyed (it timed out)" in narrate(r, n - 1)


def test_narration_of_an_equalize_miss_names_the_choice_from_its_record(eq):
    i = equalize_reselect(eq)
    miss = next(e for e in reversed(eq.events[:i]) if e.ev is Ev.RT_MISS)
    assert type(miss.why) is EqualizeDeleted
    assert f"picks {miss.dev} ({miss.why.choice});" in narrate(eq, i)
    assert "equalize deleted the cached entry" not in narrate(eq, i)


def test_an_icmp_echo_is_dissected_with_its_own_fields_only():
    r = sim.run("icmp-equalize-nat", seed=1, pings=2)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.HOP and e.pkt.proto == 1)
    from sim.pcap import to_bytes
    from sim.view.pktpane import dissect
    layers = dict(dissect(to_bytes(r.events[i].pkt)))
    assert [name for name, _, _ in layers["ICMP"]] == ["type", "code", "chksum", "id", "seq"]
    html_text = packet_pane(r, i)
    for absent in ("ts_ori", "addr_mask", "extpad", "b&#x27;&#x27;", "None"):
        assert absent not in html_text


def test_an_icmp_echos_nat_and_conntrack_lines_give_its_id_not_ports_on_both_ends():
    """An echo has one identifier, no ports: conntrack keeps it in the tuple's source half
    (the destination half holds type and code), so the text trace must not write it as a port
    of both addresses (``192.168.0.1.1 > 200.0.0.1.1 => 150.0.0.1.7000 > 200.0.0.1.7000``)."""
    from sim.trace import event_text
    r = sim.run("icmp-equalize-nat", nat="article", uplinks=2, seed=1, pings=2)
    nat = next(e for e in r.events if e.ev is Ev.NAT and e.dir == "snat")
    ct = next(e for e in r.events if e.ev is Ev.CT_NEW)
    assert event_text(nat).endswith(f"snat ct {nat.ct}: 192.168.0.1 > 200.0.0.1 id 1 => "
                                    f"{nat.pkt.ip.src} > 200.0.0.1 id {nat.pkt.l4.id}")
    assert event_text(ct).endswith(f"icmp 192.168.0.1 > 200.0.0.1 id 1 <-> "
                                   f"icmp 200.0.0.1 > {nat.pkt.ip.src} id {nat.pkt.l4.id}")
    assert ".1.1 >" not in event_text(nat) and "200.0.0.1:1" not in event_text(ct)


def test_mptcp_options_are_decoded_not_shown_as_python_reprs():
    r = sim.run("mptcp", seed=1, size=20_000)
    syns = [i for i, e in enumerate(r.events) if e.ev is Ev.HOP and e.pkt.proto == 6 and e.pkt.l4.mptcp]
    capable = next(i for i in syns if r.events[i].pkt.l4.mptcp.form == "capable")
    join = next(i for i in syns if r.events[i].pkt.l4.mptcp.form == "join")
    hc, hj = packet_pane(r, capable), packet_pane(r, join)
    assert "MPTCP MP_CAPABLE v1, flags H" in hc and "(30," not in hc     # HMAC-SHA256, no checksums
    token = r.events[join].pkt.l4.mptcp.token
    assert f"MPTCP MP_JOIN, address id 1, receiver&#x27;s token 0x{token:08x}" in hj
    # the option's bytes are marked as the options field: the TCP header is 24 and 32 bytes long
    from sim.pcap import to_bytes
    from sim.view.pktpane import dissect
    tcp = dict(dissect(to_bytes(r.events[join].pkt)))["TCP"]
    assert dict((n, rng) for n, _, rng in tcp)["options"] == (40, 52)
    # every data segment says where its bytes sit in the connection's data (DSS)
    data = next(i for i, e in enumerate(r.events) if e.ev is Ev.HOP and e.pkt.proto == 6
                and e.pkt.load and e.pkt.l4.mptcp.form == "dss" and e.pkt.l4.mptcp.mapping)
    dss = r.events[data].pkt.l4.mptcp
    dack, pieces, ssn = dss.data_ack, dss.mapping, dss.subflow_seq
    hd = packet_pane(r, data)
    assert (f"MPTCP DSS: data ACK {dack}, maps {pieces[0][1]} bytes from subflow seq {ssn} "
            f"to data seq {pieces[0][0]}") in hd


def test_trace_events_are_called_events_and_replay_frames_steps(eq):
    from sim.view import Player, ladder_svg
    i = first_uplink_syn(eq)
    assert f" · event {i} · " in packet_pane(eq, i) and f"step {i}" not in packet_pane(eq, i)
    assert ">event · ms<" in ladder_svg(eq, i) and "step · ms" not in ladder_svg(eq, i)
    p = Player(eq, max_steps=12).html()
    assert "A <i>step</i> is one frame of this replay; an <i>event</i> is a line" in p


@pytest.mark.parametrize("scenario", sorted(sim.scenarios.SCENARIOS))
def test_consecutive_narrations_tell_every_packet_apart(scenario):
    """A screen reader announces each step's sentence: two steps in a row must never read
    the same, even for back-to-back data segments of one flow, duplicate ACKs or
    retransmissions (the sentence carries seq, ack, length, and what repeats)."""
    from sim.view.model import analysis_of, resolve_steps
    for seed in (1, 3):
        r = sim.run(scenario, seed=seed)
        steps, _ = resolve_steps(r, analysis_of(r), 0, None, None, 400)
        said = [narrate(r, i) for i in steps]
        assert len(said) > 5
        same = [(steps[k], s) for k, s in enumerate(said[1:], 1) if s == said[k - 1]]
        assert not same, f"{scenario} seed {seed}: repeated sentence at events {same[:3]}"


def test_data_segments_acks_and_repeats_are_named_by_their_numbers():
    r = sim.run("equalize-public", seed=1)
    for i, e in enumerate(r.events):
        pkt = e.pkt
        if e.ev is Ev.HOP and pkt is not None and pkt.load and type(pkt.l4).__name__ == "TCP":
            assert f"(seq {pkt.l4.seq}, {pkt.load} bytes)" in narrate(r, i)
            break
    else:
        pytest.fail("no data segment")
    dups = [narrate(r, i) for i, e in enumerate(r.events) if e.ev is Ev.SEND and "duplicate ACK" in narrate(r, i)]
    assert dups and all(re.search(r"\(ack \d+, duplicate ACK \d+\)", s) for s in dups)


def test_an_application_milestone_reads_as_english_in_narration_and_packet_pane():
    r = sim.run("icmp-equalize-nat", seed=1, pings=2)
    r.events.append(App(r.events[-1].t, "remote1", None, "mptcp re-injects data on subflow 1", 32728))
    i = len(r.events) - 1
    assert narrate(r, i) == ("Remote host 1: MPTCP's retransmission timer re-injects 32728 bytes on subflow 1: "
                             "the first fragment not yet data-acknowledged, sent again.")
    html_text = pane(r, i)["html"]
    assert "(what " not in html_text and "value 32728" not in html_text
    assert "no packet at this step; MPTCP&#x27;s retransmission timer re-injects 32728 bytes" in html_text


def test_mptcp_says_the_stale_subflows_bytes_are_queued_not_sent():
    """The stale pass's event read "MPTCP re-injects 302720 bytes of data stranded on a stalled
    subflow onto another subflow": only 46080 sat on the dead subflow, and none of the 302720
    was sent then (``__mptcp_retransmit_pending_data()`` re-queues; pushes send).  Each step
    now says what it did, naming the subflow."""
    r = sim.run("mptcp", seed=1, down_at=0.5)
    said = {narrate(r, i) for i, e in enumerate(r.events) if e.ev is Ev.APP and e.what.startswith("mptcp")}
    assert not any("stranded" in s for s in said)
    stale = [s for s in said if "stale" in s]
    assert stale == ["Remote host 1: MPTCP finds subflow 2 stale (silent through more than stale_loss_cnt "
                     "passes of the data-level retransmission timer): all 302720 bytes not yet "
                     "data-acknowledged are queued to go again on the other subflows, none sent yet."]
    assert "Remote host 1: MPTCP re-injects 46080 bytes of the data queued to go again: it hands them to " \
           "subflow 1." in said


@pytest.mark.parametrize("scenario, params, says, denies", [
    # today's kernel (no route cache keyed by flow since 3.6): fib_disable_ip() -> the nexthops die,
    # fib_flush() deletes the routes through the device alone (a mark's table's only route
    # among them, under conntrack marks), rt_cache_flush() bumps the generation id; MASQUERADE forgets
    ("mptcp", dict(down_at=0.2, size=100_000), ["nexthops die in the FIB", "no route cache keyed by flow",
                                                "fib_flush deletes the routes through it alone",
                                                "table 2's only route", "generation id",
                                                "MASQUERADE forgets"], ["cache is flushed", "no route cache to"]),
    ("uplink-down", dict(nat="snat", connections=2, size=20_000), ["no route cache keyed", "generation id",
                                                                   "SNAT keeps"],
     ["cache is flushed", "forgets"]),
    # hash-based multipath has no per-mark tables
    ("hash-l4-nat", dict(down_at=0.2, size=20_000), ["fib_flush deletes the routes through it alone",
                                                     "generation id"], ["table 2", "cache is flushed"]),
    # 2.4 (a route cache): it is flushed
    ("connection-level", dict(down_at=0.2, size=20_000, nat="netfilter"), ["route cache is flushed",
                                                                          "MASQUERADE forgets"],
     ["no route cache"]),
])
def test_a_line_failing_is_narrated_as_the_routers_kernel_handles_it(scenario, params, says, denies):
    r = sim.run(scenario, seed=1, **params)
    i = next(i for i, e in enumerate(r.events) if e.ev is Ev.LINK and e.node == "router")
    s = narrate(r, i)
    assert all(w in s for w in says) and not any(w in s for w in denies), s


def test_nat_of_an_icmp_echo_names_its_identifier_not_a_port():
    """Chapter 7: "rewrites the source (192.168.0.1, 1) to (100.0.0.1, 1)" wrote an echo's
    identifier as if it were a port; it reads "(192.168.0.1, id 1)".  A TCP segment's stays
    "(192.168.0.1, 5000)"."""
    from sim.view import narrate
    r = sim.run("icmp-equalize-nat", seed=1, nat="netfilter")
    nat = [t for t in (narrate(r, i) for i, e in enumerate(r.events) if e.ev.name == "HOP") if "NAT (ct" in t]
    assert len(nat) > 2, nat
    assert re.search(r"rewrites the source \(192\.168\.0\.1, id 1\) to \(1[05]0\.0\.0\.1, id 1\)", nat[0]), nat[0]
    assert all(re.search(r"rewrites the (source|destination) \([\d.]+, id \d+\) to \([\d.]+, id \d+\)", t)
               for t in nat), nat
    t = sim.run("connection-level", seed=1)
    syn = next(narrate(t, i) for i, e in enumerate(t.events) if e.ev.name == "HOP" and e.node.startswith("uplink"))
    assert "rewrites the source (192.168.0.1, 5000) to (150.0.0.1, 7000)" in syn, syn


def test_a_long_runs_step_time_is_in_seconds():
    from sim.view.player import clock
    assert clock(78_506) == "78.506 ms" and clock(9_999_999) == "9999.999 ms"
    assert clock(660_154_718) == "660.154718 s" and clock(10_000_000) == "10.000000 s"


def test_a_long_runs_ladder_counts_seconds_as_its_player_does():
    """From 10 s on a player's clock() says seconds; the ladder's first column turns to
    seconds too (a row read "660154.7" in ms beside a narration in seconds), to 0.1 ms."""
    import html
    from sim.view import ladder_svg
    from sim.view._common import clock
    r = sim.run("cache-expiry")
    late = max(i for i, e in enumerate(r.events) if e.ev is Ev.HOP)
    t = r.events[late].t
    assert t >= 10_000_000 and clock(t).endswith(" s")
    svg = ladder_svg(r, late)
    shown = f"{t // 1_000_000}.{t % 1_000_000 // 100:04d}"
    assert ">event · s<" in svg and f">{late} · {shown}<" in svg
    assert clock(t).startswith(shown)               # the same digits as the narration, cut
    assert f"({shown} s, on {r.events[late].node})" in html.unescape(svg)
    short = ladder_svg(eq_run := sim.run("equalize-nat"), 3)
    assert ">event · ms<" in short and f"{eq_run.events[3].t / 1000:.1f} ms" in html.unescape(short)
