"""What a network engineer reading ``python -m sim run``'s output needs (a reviewer playing one,
a two-uplink NAT router whose downloads stall): who reset a connection and when, the
handshake named only where it is news, what ``--up-at`` adds to ``uplink-down``'s workload,
and a word when the options put parts of two kernels together (``--today``: today's router in
one go)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.trace import Ev

ROOT = Path(__file__).resolve().parent.parent
NOTE = "python -m sim run: note: "


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True)


def _rst_sent(r, node: str, t_s: float) -> bool:
    """Whether ``node`` sent a RST at ``t_s`` s in run ``r``'s trace."""
    return any(e.ev is Ev.SEND and e.node == node and "R" in e.pkt.l4.flags and e.t == round(t_s * 1e6)
               for e in r.events)


def _closed_by_rst(r, host: str, t_s: float) -> bool:
    """Whether a socket of ``host`` went to CLOSED at ``t_s`` s, right after a RST was delivered."""
    evs = [e for e in r.events if e.node == host and e.t == round(t_s * 1e6)]
    return any(a.ev is Ev.DELIVER and "R" in a.pkt.l4.flags and b.ev is Ev.TCP and b.new == "CLOSED"
               for a, b in zip(evs, evs[1:]))


# -- 1. who reset a connection, and when --------------------------------------------------------


def test_the_echo_says_who_reset_each_end_and_when():
    """The summary said "2 of 10 messages echoed, reset": not that the router's own stack reset
    the server first (MASQUERADE had dropped the entry its data came back by), nor that the
    client then met the server's reset."""
    r = sim.run("echo", seed=1)
    e = r.summary["echo"][0]
    assert e["reset"] is True                                   # kept: readers of the JSON read it
    assert e["reset_by"] == "remote1" and e["server_reset_by"] == "router"
    assert e["server_reset_sent_at_s"] < e["server_reset_at_s"] < e["reset_sent_at_s"] < e["reset_at_s"]
    # the trace says the same: each RST sent where and when the summary says, each socket closed by it
    assert _rst_sent(r, "router", e["server_reset_sent_at_s"]) and _rst_sent(r, "remote1", e["reset_sent_at_s"])
    assert _closed_by_rst(r, "remote1", e["server_reset_at_s"]) and _closed_by_rst(r, "local1", e["reset_at_s"])
    line = next(x for x in r.summary_text() if x.startswith("  echo "))
    assert (f"reset at {e['reset_at_s']:.3f} s by remote1's RST (sent at {e['reset_sent_at_s']:.3f} s to "
            f"(100.0.0.1, 5000)); the server's socket was reset first, at {e['server_reset_at_s']:.3f} s, by "
            f"the router's RST (sent at {e['server_reset_sent_at_s']:.3f} s to (200.0.0.1, 7))") in line, line


def test_a_download_reset_after_its_line_failed_names_the_rst_and_where_it_went():
    """uplink-down's "(..., 5001) ... 128480/300000 bytes, reset": the RST was remote1's answer
    to the download's next segment, which left by the live uplink with that uplink's address,
    one the server's socket did not know."""
    r = sim.run("uplink-down", seed=1)
    conns = r.summary["connections"]
    reset = [c for c in conns if c["reset"]]
    assert reset
    for c in reset:
        assert c["reset_by"] == "remote1" and c["reset_sent_at_s"] < c["reset_at_s"]
        assert _rst_sent(r, "remote1", c["reset_sent_at_s"]) and _closed_by_rst(r, "local1", c["reset_at_s"])
    c = next(c for c in reset if c["client"] == "(192.168.0.1, 5001)")
    line = next(x for x in r.summary_text() if x.startswith("  (192.168.0.1, 5001) "))
    assert (f"reset at {c['reset_at_s']:.3f} s by remote1's RST (sent at {c['reset_sent_at_s']:.3f} s to "
            f"(100.0.0.1, 5001)); server saw (150.0.0.1, 5001)") in line, line
    for c in conns:                                             # nothing said of what was not reset
        if not c["reset"]:
            assert c["reset_at_s"] is c["reset_by"] is c["reset_sent_at_s"] is None


def test_a_stalled_download_says_the_servers_socket_was_reset():
    """A download left ESTABLISHED waits for data a server reset by the router will never send:
    the line says so (per-packet balancing behind today's MASQUERADE)."""
    r = sim.run("flashget", seed=1, multipath="numgen", nat="masquerade", remote="rfc")
    stalled = [(c, x) for c, x in zip(r.summary["connections"], r.summary_text()[1:])
               if c["state"] == "ESTABLISHED" and not c["complete"]]
    assert stalled
    for c, line in stalled:
        assert c["server_reset_by"] == "router" and c["reset_at_s"] is None
        assert f"the server's socket was reset, at {c['server_reset_at_s']:.3f} s, by the router's RST" in line


def test_the_json_has_the_reset_fields_and_keeps_the_old_ones():
    out = cli("run", "echo", "--format", "json")
    assert out.returncode == 0, out.stderr
    e = json.loads(out.stdout)["summary"]["echo"][0]
    assert {"client", "server", "messages", "echoed", "reset", "complete", "seconds",
            "seen_by_server_as"} <= set(e)
    assert e["reset_by"] == "remote1" and e["server_reset_by"] == "router"
    assert isinstance(e["reset_at_s"], float) and isinstance(e["server_reset_sent_at_s"], float)
    out = cli("run", "uplink-down", "--format", "json", "--size", "20000", "--connections", "3")
    c = json.loads(out.stdout)["summary"]["connections"][0]
    assert {"reset", "reset_at_s", "reset_by", "reset_sent_at_s", "server_reset_at_s", "server_reset_by",
            "server_reset_sent_at_s", "handshake", "handshake_ok", "state"} <= set(c)


def test_without_a_trace_a_reset_is_said_without_who_or_when():
    """A run that kept no trace (the book's Monte Carlos) has no events to read a reset from: the
    fields are null, the line says "reset" alone, the rest of the summary is the same."""
    with_trace, without = sim.run("echo", seed=1), sim.run("echo", seed=1, trace=False)
    e = without.summary["echo"][0]
    assert e["reset"] and e["reset_at_s"] is e["reset_by"] is e["server_reset_by"] is None
    assert ", reset; server saw" in next(x for x in without.summary_text() if x.startswith("  echo "))
    keep = {k: v for k, v in with_trace.summary["echo"][0].items() if "reset_" not in k}
    assert keep == {k: v for k, v in e.items() if "reset_" not in k}


# -- 1b. the handshake, where it is news ----------------------------------------------------------


def test_a_normal_handshake_is_not_repeated_on_every_line():
    """uplink-down's eight lines each said "handshake completed by the handshake ACK"."""
    r = sim.run("uplink-down", seed=1, size=20_000)
    assert all(c["handshake_ok"] for c in r.summary["connections"])
    lines = [x for x in r.summary_text() if x.startswith("  (192.168.0.1, ")]
    assert len(lines) == len(r.summary["connections"]) and not [x for x in lines if "handshake" in x]
    assert all(c["handshake"] == "completed by the handshake ACK" for c in r.summary["connections"])


def test_a_handshake_that_was_not_completed_by_its_ack_is_said():
    # under connection-level balancing, as anywhere: the other outcomes are kept
    r = sim.run("hash-l4-nat", seed=1, size=20_000, trace=False)
    c = r.summary["connections"][1]
    c.update(handshake="failed", handshake_ok=False)
    lines = r.summary_text()
    assert "handshake failed; " in lines[2] and "handshake" not in lines[1] + lines[3]
    r = sim.run("equalize-nat", seed=5, size=3000)
    assert "handshake completed late, by a data segment; " in r.summary_text()[1]


def test_under_per_packet_balancing_behind_nat_every_handshake_is_named():
    """Where each packet chooses its uplink, the handshake's ACK may leave by the other one:
    chapter 6 asks a reader to count the runs whose summary says "handshake completed by the
    handshake ACK" (its live panel shows the same summary)."""
    for kw in ({"equalize": True}, {"multipath": "numgen", "nat": "masquerade"}):
        r = sim.run("connection-level", seed=1, size=3000, trace=False, **kw)
        c = r.summary["connections"][0]
        assert f": handshake {c['handshake']}; " in r.summary_text()[1], kw
    r = sim.run("equalize-public", seed=1, size=3000, trace=False)       # no NAT: nothing at stake
    assert r.summary["connections"][0]["handshake_ok"] and "handshake" not in r.summary_text()[1]


# -- 2. --up-at's third round of downloads --------------------------------------------------------


def test_up_at_says_it_starts_more_downloads_in_uplink_down():
    """`uplink-down --up-at 3` starts 4 more downloads at 4 s, which neither --help nor list said."""
    from sim.__main__ import parser
    run = next(a for a in parser()._actions if a.dest == "cmd").choices["run"]
    helps = {a.option_strings[-1]: " ".join(a.help.split()) for a in run._actions if a.option_strings}
    assert ("uplink-down also starts a third round of downloads at T+1 s, as many as each round "
            "(--connections)") in helps["--up-at"]
    listed = cli("list").stdout
    line = next(x for x in listed.splitlines() if x.startswith("uplink-down "))
    assert "with --up-at T the line comes back at T s, and 4 more downloads start at T+1 s" in line
    # and it is so: connections=4 by default, a round at T+1
    r = sim.run("uplink-down", seed=1, size=20_000, up_at=3, trace=False)
    starts = [d.start for d in r.apps["downloads"]]
    assert sim.SCENARIOS["uplink-down"].defaults["connections"] == 4
    assert starts.count(4_000_000) == 4 and len(starts) == 12


# -- 3. a router of two kernels, and --today -------------------------------------------------------


def test_a_mixed_set_up_gets_one_note_and_the_same_trace():
    out = cli("run", "flashget", "--nat", "masquerade", "--remote", "rfc", "--size", "20000")
    assert out.returncode == 0
    notes = out.stderr.splitlines()
    assert len(notes) == 1 and notes[0].startswith(NOTE), out.stderr
    assert ("Linux 2.4's multipath=random (its route cache) and tcp=2.4 with today's nat=masquerade "
            "(flashget is the article's 2.4 router: an option of today's changes that part alone); today's "
            "router in one go: --today (multipath=connmark nat=masquerade remote=rfc tcp=linux; an option "
            "given wins)") in notes[0]
    # the note is on standard error alone: the trace is the run's, byte for byte
    assert out.stdout == sim.run("flashget", nat="masquerade", remote="rfc", size=20_000).text()
    js = cli("run", "flashget", "--nat", "masquerade", "--size", "20000", "--format", "json")
    assert js.stderr.startswith(NOTE) and json.loads(js.stdout)["params"]["nat"] == "masquerade"


@pytest.mark.parametrize("args, note", [
    (["hash-l4-nat", "--tcp", "2.4"], "Linux 2.4's tcp=2.4 with today's multipath=hash-l4 and nat=masquerade "
                                      "(hash-l4-nat is today's router: an option of 2.4's changes that part alone)"),
    (["connection-level", "--multipath", "hash-l4"], "Linux 2.4's nat=article and tcp=2.4 with today's "
                                                     "multipath=hash-l4 (connection-level is the article's"),
    (["ping", "--multipath", "random"], "Linux 2.4's multipath=random (its route cache) with today's nat=masquerade"),
    (["flashget", "--today", "--tcp", "2.4"], "Linux 2.4's tcp=2.4 with today's multipath=connmark and "
                                              "nat=masquerade"),
])
def test_each_mix_of_kernels_is_named(args, note):
    out = cli("run", *args, "--summary-only")
    assert out.returncode == 0 and out.stderr.count("\n") == 1 and note in out.stderr, out.stderr


@pytest.mark.parametrize("args", [["flashget"], ["hash-l4-nat"], ["multilink"], ["uplink-down"], ["echo"],
                                  ["flashget", "--today"], ["equalize-nat", "--nat", "none"],
                                  ["hash-l4-nat", "--multipath", "numgen"], ["connection-level", "--nat", "netfilter"]])
def test_one_kernels_set_up_and_a_scenarios_own_get_no_note(args):
    size = [] if args[0] == "echo" else ["--size", "20000"]
    out = cli("run", *args, *size, "--summary-only")
    assert out.returncode == 0 and out.stderr == "", out.stderr


def test_today_sets_todays_router_and_an_option_given_wins():
    def params(*args):
        out = cli("run", *args, "--format", "json")
        assert out.returncode == 0 and out.stderr == "", out.stderr
        return json.loads(out.stdout)["params"]
    p = params("flashget", "--today", "--size", "20000")
    assert (p["multipath"], p["equalize"], p["nat"], p["remote"], p["tcp"]) == \
        ("connmark", False, "masquerade", "rfc", "linux")
    p = params("flashget", "--today", "--nat", "snat", "--multipath", "hash-l4", "--size", "20000")
    assert (p["multipath"], p["nat"], p["tcp"]) == ("hash-l4", "snat", "linux")
    # the article's equalize flag went with the route cache: --today turns the scenario's off
    p = params("equalize-nat", "--today", "--size", "20000")
    assert (p["multipath"], p["equalize"]) == ("connmark", False)
    # a run without TCP, a bundle: only what the run reads (the others would be refused)
    p = params("icmp-equalize-nat", "--today", "--pings", "2")
    assert (p["multipath"], p["equalize"], p["nat"], p["tcp"], p["remote"]) == \
        ("connmark", False, "masquerade", "2.4", "article")
    p = params("multilink", "--today", "--size", "20000")
    assert (p["bundle"], p["nat"], p["tcp"]) == (True, "masquerade", "linux")


def test_today_with_an_option_it_cannot_take_is_refused_in_one_line():
    out = cli("run", "equalize-nat", "--today", "--equalize")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [out.stderr.strip()] and "--equalize" in out.stderr
    assert "connmark" in out.stderr and "Traceback" not in out.stderr


def test_today_is_in_the_help_and_the_readme():
    from sim.__main__ import parser
    run = next(a for a in parser()._actions if a.dest == "cmd").choices["run"]
    helps = {a.option_strings[-1]: " ".join(a.help.split()) for a in run._actions if a.option_strings}
    assert helps["--today"].startswith("today's router in one go: multipath=connmark nat=masquerade "
                                       "remote=rfc tcp=linux and no equalize flag")
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "`--today` asks for today's router in one go" in readme
    assert re.search(r"Options of `run`: .*`--today`", readme)


# -- an uplink's data after the downloads ended ----------------------------------------------------

def test_an_uplinks_data_after_the_downloads_ended_is_said_beside_its_two_rates():
    """An engineer's finding: equalize-nat, seed 2, 3000 bytes: "complete in 0.084 s", and if1
    "19.7 kbit/s while it carried data (0.757 s ...), 349.8 kbit/s averaged over the downloads'
    0.084 s" -- a line's rate over its whole run above its rate while it carried data, read as a
    slow line or wrong numbers.  The server went on resending on if1 after the download was done
    (the client's ACKs left by if2, from another address): the line says when its last data
    came, after the downloads had ended, and that the average counts those bytes too.  A line
    whose data all came in time says nothing of it."""
    r = sim.run("equalize-nat", seed=2, size=3000)
    ended = max(d.done_at for d in r.apps["downloads"])
    u = r.summary["uplinks"]["if1"]
    assert u["down_active_to_s"] * 1e6 > ended
    late = [e for e in r.events if e.ev is Ev.HOP and e.to == "router:if1" and e.pkt.load and e.t > ended]
    assert late                                      # data, after the download was done
    line = next(x for x in r.text().splitlines() if x.startswith("  if1 "))
    assert (f"its first data packet down to its last, at {u['down_active_to_s']:.3f} s, after the downloads had "
            f"ended at {ended / 1e6:.3f} s)") in line, line
    assert line.endswith("(all its bytes, the late ones too)"), line
    ok = sim.run("connection-level", seed=1)
    assert not any("after the downloads had ended" in x for x in ok.text().splitlines()), ok.text()


# -- one connection under two addresses ------------------------------------------------------------

def test_a_connection_that_left_under_two_addresses_is_said_with_each_uplink_and_count():
    """An engineer's finding: equalize-nat seed 5 said only "handshake completed late ... server
    saw (150.0.0.1, 7000)"; the 8 segments that left by if1 as 100.0.0.1:6000 were "8 packets up"
    on if1's line and "ignored by remote 8", nothing tying them to the connection or its second
    address.  The connection's line names both, with the uplink and the segments of each, as
    the trace's snat events have them (its conntrack entries count them: the same without a
    trace); the JSON has them as left_as."""
    r = sim.run("equalize-nat", seed=5, size=3000)
    c = r.summary["connections"][0]
    snat = {}
    for e in r.events:
        if e.ev is Ev.NAT and e.dir == "snat":
            k = (e.pkt.ip.src, e.pkt.l4.sport)
            snat[k] = snat.get(k, 0) + 1
    assert [(x["as"], x["segments"]) for x in c["left_as"]] == [(f"({a}, {p})", n) for (a, p), n in snat.items()]
    assert {x["uplink"]: x["segments"] for x in c["left_as"]} == {
        dev: u["up_packets"] for dev, u in r.summary["uplinks"].items()}          # (only this connection)
    line = next(x for x in r.text().splitlines() if x.startswith("  (192.168.0.1, 5000) -> "))
    assert line.endswith("; left the router as (150.0.0.1, 7000) by if2 (6 segments), (100.0.0.1, 6000) by if1 "
                         "(8 segments)"), line
    d = json.loads(r.to_json())["summary"]["connections"][0]["left_as"]
    assert d[0] == {"as": ["150.0.0.1", 7000], "uplink": "if2", "segments": 6}, d
    # one address: nothing said; no NAT: empty; no trace: null
    one = sim.run("connection-level", seed=1)
    assert len(one.summary["connections"][0]["left_as"]) == 1 and "left the router as" not in one.text()
    assert sim.run("equalize-public", seed=5, size=3000).summary["connections"][0]["left_as"] == []
    # counted by the conntrack entries, not read from the trace: the same without one
    assert sim.run("equalize-nat", seed=5, size=3000, trace=False).summary["connections"][0]["left_as"] == c["left_as"]


# -- LAN addresses on the Internet ---------------------------------------------------------------

def test_packets_that_left_an_uplink_untranslated_are_said_on_its_line():
    """An engineer's finding: in run uplink-down --cc reno 9 retransmitted FINs left uplink1 with
    the LAN's source 192.168.0.1 (INVALID to conntrack once their entry went with the failed
    line) -- in the trace and the pcap, but in the summary only as "no route 9 (internet)".  The
    uplink's line says how many left untranslated and with which LAN address; the JSON has them
    as up_untranslated.  A run whose packets were all masqueraded says nothing of it."""
    r = sim.run("uplink-down", seed=1, cc="reno")
    hops = [e for e in r.events if e.ev is Ev.HOP and e.from_ == "router:if1" and e.pkt.ip.src == "192.168.0.1"]
    assert hops and all("F" in e.pkt.l4.flags for e in hops)
    assert r.summary["uplinks"]["if1"]["up_untranslated"] == {"192.168.0.1": len(hops)}
    assert r.summary["uplinks"]["if2"]["up_untranslated"] == {}
    line = next(x for x in r.text().splitlines() if x.startswith("  if1 "))
    assert (f"packets up ({len(hops)} of them untranslated, with a LAN source address: 192.168.0.1; no conntrack "
            f"entry masqueraded them)") in line, line
    assert "untranslated" not in sim.run("equalize-nat", seed=5, size=3000).text()
    assert sim.run("equalize-public", seed=5, size=3000).summary["uplinks"]["if1"]["up_untranslated"] == {}
    assert sim.run("uplink-down", seed=1, cc="reno", trace=False).summary["uplinks"]["if1"]["up_untranslated"] is None


def test_a_bundled_runs_header_does_not_claim_equalize():
    """An engineer's finding: run equalize-nat --bundle, accepted (the scenario's own equalize goes
    unread: one link, one route), had a header saying "multipath=random equalize=True ...
    bundle=True", and multilink's "equalize=False": a choice the run never makes."""
    head = cli("run", "equalize-nat", "--bundle", "--size", "3000", "--summary-only").stdout.splitlines()[0]
    assert "equalize=" not in head and "bundle=True" in head, head
    assert "equalize=" not in cli("run", "multilink", "--size", "3000", "--summary-only").stdout.splitlines()[0]
    assert "equalize=True" in cli("run", "equalize-nat", "--size", "3000", "--summary-only").stdout.splitlines()[0]
