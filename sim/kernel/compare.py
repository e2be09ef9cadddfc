"""Kernel vs simulator, side by side, on what both can observe.

``compare("perpacket-masquerade")`` runs the kernel scenario in the lab and the
matching simulator scenario (``KScenario.sim``, with links as fast as the
lab's veth pairs), turns both into the same observations
(``observe.observe``) and lines them up:

- the TCP outcome (complete, complete but slow, reset, stalled), messages echoed,
  ping replies, how the handshake completed at the remote host;
- which uplinks each flow's packets used (per-flow stability, not the exact
  hash: the kernel's hash seed and the simulator's differ), whether packets
  left an uplink with another uplink's address;
- the addresses the remote host saw; where packets were dropped; who sent resets.

For ``uplink-down`` the rows are each download's outcome (complete or failed) by its
uplink, before and after the failure, the packets that left without NAT (a FIN whose
conntrack entry went with the device is INVALID), the remote's addresses and resets.

For MPTCP (``mptcp``, ``mptcp-split-access``) the rows are what does not depend on
how the subflows were made: the download completes, one MPTCP connection of two
subflows, each subflow on one uplink, the two on different uplinks, one NAT binding
per subflow at the remote (the first subflow's uplink address, then the joined
one's), the handshakes, drops and resets; and, for ``mptcp`` (set up as the
simulator is), the subflows' client endpoints.

The kernel's capture goes on ``Options.linger`` seconds after the clients end
(the echo scenarios' default): the simulator runs until no event is left, so
without it a half-open connection's SYN+ACK retransmission, and the router's
answer to it, would be seen on one side only.

A difference is either a disagreement or one listed in ``KNOWN_DIFFERENCES``
with the reason (documented, and asserted by the tests).  Where the reason is a
race on the kernel, ``RACE_OUTCOMES`` gives the race's branches (or, for ``uplink-down``,
derives them from the run's options: ``_down_race``), each with the kernel's values of the
race's rows that come together in it: the difference is
documented only when the kernel's rows, taken together, are one of those (and the
simulator's one of a branch too); the verdict says which branch each took.  Any
other value, or a mix of two branches' values, is a disagreement.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..packet import parse_endpoint
from ..scenarios import SCENARIOS as SIM_SCENARIOS
from ..scenarios import unread
from .lab import LabError, uplink_addr
from .observe import from_sim, observe
from .scenarios import (SCENARIOS, SIM_LAB, KernelResult, down_plan, kernel_text, make_options, run,
                        tbf_burst)

#: the simulator's congestion control wherever its side of a comparison carries TCP: Reno, as the
#: lab's namespaces run by default (``lab.DEFAULT_CC``).  Its other, ``none``, a fixed window, has
#: no counterpart in Linux; with the lab on another (``--cc cubic``) Reno is still the nearest the
#: simulator has, and the comparison's header says so.
SIM_CC = "reno"

# "complete, slow": the exchange got through only by retransmitting what was lost.  The
# kernel's: its capture shows drops (not its time: ten loss-free echoes take ~2 ms here, but
# over 0.2 s -- one retransmission timeout -- on a loaded machine); the simulator's (whose
# time is simulated, so load can't touch it): over SLOW_FACTOR times the echo without losses
SLOW_FACTOR = 5

# (scenario, aspect) or (scenario, aspect, uplinks) -> why kernel and simulator may differ there
_RACE = ("a race of two retransmission timers: when the client's segment carrying the ACK of "
         "an echo lands on the other uplink, the router kills the conntrack entry and drops it; "
         "about 200 ms later (RTO min) both ends retransmit. If the server's retransmitted echo "
         "reaches the router first, it finds no conntrack, goes to the router's own stack, which "
         "answers with a reset: the connection dies (the simulator's server always wins, by "
         "0.4 ms). If the client's retransmission comes first, it makes a new conntrack entry on "
         "the same uplink and the exchange limps on, one RTO per message. On the kernel the two "
         "timers expire within a jiffy of each other, so either happens (and then keeps happening: "
         "no run has been seen to limp for a few messages and then be reset)")
_SPLIT = ("the in-kernel path manager opens subflows between addresses (an endpoint per local "
          "address; it opens none from the first subflow's address), so this set-up gives local1 "
          "a second address and routes each address by its own uplink; the simulator's client, "
          "like the kernel's userspace path manager in the mptcp scenario, opens its second "
          "subflow from another port of the one address, balanced by conntrack marks")
_INVALID_FIN = ("when the exchange limps to the end (the race above), the client's FIN can take the "
                "other uplink: the router kills the entry and drops it; its retransmission finds no "
                "entry, and Linux's conntrack starts none from a FIN (tcp_new(): FIN, RST or "
                "SYN+ACK as a first packet is INVALID), so it is forwarded without NAT and leaves "
                "with the LAN's private source, 192.168.0.1, by whichever uplink numgen picks (why "
                "rulesets 'ct state invalid drop'). The simulator's conntrack does the same (NatModel.invalid_first, sim/natmodels/), "
                "but its run never reaches this end: its server wins the race")
_LATE_JOIN = ("the server reset the joined subflow (the row '(joined subflow reset)'; seen only with "
              "a small --size: the default 1 MB over 10 Mbit/s uplinks never shows it, and the tests "
              "assert no reset by the server, both subflows used, more than one uplink's rate): the "
              "server's socket buffer takes the whole download at once, its application shuts its side "
              "(DATA_FIN queued) before the join arrives, and Linux accepts new subflows only while "
              "the MPTCP connection is ESTABLISHED -- the server resets the joined subflow after "
              "its third ACK, and the first subflow carries everything. The simulator's server "
              "accepts joins to the end. Without that reset, a subflow left next to idle or a "
              "download no faster than one uplink is a disagreement")
_DOWN_RACE = ("a race at the moment of the failure: if the client still owes an ACK for data "
              "that came just before, that ACK goes out by a live uplink, MASQUERADE binds it "
              "afresh (a mid-stream pick-up) and the server resets the stranger, so no FIN ever "
              "follows; if not, the client waits, gives up and closes, and its FIN, whose "
              "conntrack entry went with the device, is INVALID and leaves un-NATed from "
              "192.168.0.1, by the live uplink the main table's hash picks (the kernel's hash and the "
              "simulator's differ: with two live uplinks or more they may pick different ones). Which "
              "happens depends on when the last segment arrived")
_DOWN_AFTER = ("a new download whose mark is the dead line's finds that table without its route (the "
               "kernel deleted it with the device) and goes by the main table's multipath route, whose "
               "hash picks a live uplink: the kernel's hash and the simulator's (select_hash) differ, "
               "so with two live uplinks or more they may pick different ones; and a reset download's "
               "owed ACK draws a mark before the new downloads do (the race above), moving theirs on")
_DOWN_BACK_RESET = (
    "with a return (up_at): the server's side of the dead line's download outlives the outage (it "
    "retransmits, backing off, for minutes: tcp_retries2), and its first retransmission after the "
    "return reaches the router from the returned line, addressed to that line's address, with no "
    "conntrack entry (MASQUERADE forgot it with the device, masq_device_event()); it is the "
    "router's own address, the router's stack has no such socket, and resets it -- if that "
    "retransmission comes before the capture ends, which its backed-off timer decides")
# the row of the addresses a flow left with that are not its uplink's: another uplink's (SNAT's
# binding kept), or none at all -- the LAN's private address, not NATed (an INVALID packet)
FOREIGN = "left with a source not its uplink's"
NOT_NATED = " (not NATed)"

KNOWN_DIFFERENCES: dict[tuple, str] = {
    ("uplink-down", "left without NAT (INVALID: no conntrack entry)"): _DOWN_RACE,
    ("uplink-down", "addresses at the remote"): _DOWN_RACE,
    ("uplink-down", "resets sent by"): _DOWN_RACE + "; and " + _DOWN_BACK_RESET,
    ("uplink-down", "downloads started after it, by uplink"): _DOWN_AFTER,
    ("uplink-down", "downloads started after the return, by uplink"): _DOWN_AFTER,
    # with 2 uplinks only: with 3 the client's data follows the dropped ACK on a third uplink at
    # once, the remote resets it, and there is no race (both sides: reset, nothing echoed)
    ("perpacket-masquerade", "messages echoed", 2): _RACE,
    ("perpacket-masquerade", "TCP outcome", 2): _RACE,
    ("perpacket-masquerade", "resets sent by", 2): _RACE,
    ("perpacket-masquerade", "addresses at the remote", 2):
        "after the entry is killed, a retransmission that happens to leave by the other uplink "
        "makes a new conntrack entry there and reaches the remote from that uplink's address "
        "(which answers with a reset), and a retransmitted FIN that finds no entry leaves "
        "un-NATed, from 192.168.0.1 (see the row 'left with a source not its uplink's'); whether "
        "either happens depends on the same timer race",
    ("perpacket-masquerade", FOREIGN, 2): _INVALID_FIN,
    ("perpacket-masquerade", "uplinks used per flow", 2):
        "as for the addresses: a packet passes on the second uplink only when it starts a new "
        "conntrack entry there, which depends on the timer race",
    ("mptcp", "resets sent by"): _LATE_JOIN,
    ("mptcp", "every subflow carries over 10% of the data"): _LATE_JOIN,
    ("mptcp", "faster than one uplink"): _LATE_JOIN,
    ("mptcp-split-access", "resets sent by"): _LATE_JOIN,
    ("mptcp-split-access", "every subflow carries over 10% of the data"): _LATE_JOIN,
    ("mptcp-split-access", "faster than one uplink"): _LATE_JOIN,
    ("mptcp-split-access", "subflow clients"): _SPLIT,
    ("mptcp-split-access", "client addresses"): _SPLIT,
}


# "faster than one uplink" is judged only for a download of at least this many of the shaper's
# bursts (a 5,000-byte one at 10 Mbit/s fits in one burst, and went through at the veth's speed);
# with uplinks of different rates, of the largest burst (the fastest uplink's)
JUDGE_BURSTS = 20
# ... and only when the other uplinks add at least this share of the fastest one's rate: with
# less, both subflows together are within the headers' share (what tbf counts and the download's
# throughput doesn't) of the fastest line alone, and the row would read False with both carrying
JUDGE_ADDED_SHARE = 0.25


def _faster_not_judged(rates: list[int], size: int) -> str:
    """Why "faster than one uplink" can't be judged for uplinks of ``rates`` kbit/s (0: not
    limited) and a download of ``size`` bytes, or '' (it can; or no uplink is limited)."""
    if not any(rates):
        return ""
    if not all(rates):
        return "an uplink without a rate limit carries at the veth's speed"
    fastest = max(rates)
    if size < JUDGE_BURSTS * tbf_burst(fastest):
        # the shaper lets its burst through at the veth's speed: a download not much larger
        # looks faster than the line however many subflows carry it
        return f"under {JUDGE_BURSTS} tbf bursts"
    if sum(rates) - fastest < JUDGE_ADDED_SHARE * fastest:
        return (f"the other uplinks add under {JUDGE_ADDED_SHARE:.0%} of the fastest's "
                f"{fastest} kbit/s")
    return ""

# in a branch's outcome: the kernel's value must be the simulator's (the race does not excuse
# a difference in that row when it goes this way)
SAME = "(the simulator's value)"


@dataclass(frozen=True)
class Branch:
    """One way a race on the kernel can go.  ``outcomes``: the values of the race's rows that
    come together in it, each a dict {aspect: value}; a value is the row's text, a set of texts
    (any of them), or ``SAME``.  A row the comparison does not have (one judged only for some
    options) is not looked at."""
    name: str
    outcomes: tuple[dict, ...]
    # why the race's rows differ when the kernel took this branch, if not the rows' own note
    # (KNOWN_DIFFERENCES): a branch whose cause is another than the others'
    note: str = ""

    def fits(self, values: dict[str, str], sim: dict[str, str]) -> bool:
        """Do the rows ``values`` (one side's) fit this branch, ``sim`` being the simulator's?"""
        def ok(want, v, a):
            if want is SAME:
                return v == sim.get(a)
            return v in want if isinstance(want, frozenset) else v == want
        return any(all(a not in values or ok(want, values[a], a) for a, want in o.items())
                   for o in self.outcomes)


@dataclass(frozen=True)
class Race:
    """A race on the kernel behind documented differences: its branches.  A difference in one
    of its rows is documented only when the kernel's rows fit a branch, all together, and the
    simulator's fit one too (``branch``)."""
    branches: tuple[Branch, ...]

    @property
    def aspects(self) -> set[str]:
        return {a for b in self.branches for o in b.outcomes for a in o}

    def branch(self, values: dict[str, str], sim: dict[str, str]) -> Branch | None:
        return next((b for b in self.branches if b.fits(values, sim)), None)


_MASQ_RESETS = "[remote host; router's own stack]"
# the first binding is if1's (the SYN is the first packet numgen counts)
_SERVER_WON = Branch(
    "the server's retransmission won: the router's stack reset the connection after 2 echoes, "
    "as the simulator's always does",
    # a retransmission of the client's that then left by if2 made a new binding there, the
    # remote saw if2's address and reset it
    tuple({"TCP outcome": "reset", "messages echoed": "2", "uplinks used per flow": n, FOREIGN: "[none]",
           "addresses at the remote": seen, "resets sent by": _MASQ_RESETS}
          for n, seen in (("1", "[100.0.0.1]"), ("2", "[100.0.0.1; 150.0.0.1]"))))
_CLIENT_WON = Branch(
    "the client's retransmission won: the exchange limped to the end, one RTO per message, and "
    "its FIN, which killed the entry, was retransmitted un-NATed",
    ({"TCP outcome": "complete, slow", "messages echoed": "10", "uplinks used per flow": "2",
      FOREIGN: f"[192.168.0.1{NOT_NATED}]", "addresses at the remote": "[100.0.0.1; 192.168.0.1]",
      "resets sent by": _MASQ_RESETS},))
_LEAK = "left without NAT (INVALID: no conntrack entry)"
AFTER = "downloads started after it, by uplink"
#: with a return (up_at): the downloads started one second after the line came back, and the
#: outage's downloads that left by more than one uplink (the return moved them)
BACK = "downloads started after the return, by uplink"
MOVED = "downloads of the outage that changed uplink"
# the row of when the client's resets came, each against its own FIN on that subflow
CLIENT_RESETS = "(client's resets on a subflow)"
AFTER_FIN = "after its own FIN"
_LATE_TAIL = (
    "the client reset a subflow after the download had ended: every reset it sent came after its "
    "own FIN on that subflow (the row '" + CLIENT_RESETS + "'). Earlier, its MPTCP level had "
    "discarded segments one subflow had acknowledged, as beyond its receive window "
    "(net/mptcp/protocol.c, mptcp_data_queue_ofo(): MPTcpExtNoDSSInWindow), and only the data "
    "level repairs that: the data ACK stood still until the server's MPTCP retransmission timer "
    "sent the oldest unacknowledged chunk again, whole, on one subflow (__mptcp_retrans(): "
    "mptcp_rtx_head(), every byte of it already sent; MPTcpExtMPTCPRetrans). Its first segments "
    "filled the hole, the client read the rest and the DATA_FIN and closed; the chunk's other "
    "segments, copies of data it had, were still queued behind the 10 Mbit/s shaper, and data "
    "for a subflow its application has closed gets a reset (net/ipv4/tcp_input.c, "
    "tcp_rcv_state_process(): TCPAbortOnData; the first reset carries MP_RST, reason 0, "
    "unspecified). The stall, 0.2 to 0.35 s, slows the download, which in every such run still "
    "beat one uplink (that row must agree). "
    "The simulator's run loses no segment and sends nothing twice. Seen only on a loaded machine "
    "(the lab's processes sharing the CPU with busy ones and other labs)")
_MPTCP_RACE = Race((
    # how much each subflow carries then is no part of the race: the kernel's must be the
    # simulator's (a joined subflow left idle without a reset is a disagreement)
    Branch("the server accepted the join, as the simulator's always does",
           ({"(joined subflow reset)": "no", "resets sent by": "[]",
             "every subflow carries over 10% of the data": SAME, "faster than one uplink": SAME},)),
    # the client answers the server's reset with one of its own
    Branch("the join came after the server had shut its side: it reset the joined subflow, and "
           "the first carried everything",
           ({"(joined subflow reset)": "yes",
             "resets sent by": frozenset({"[remote host]", "[client; remote host]"}),
             "every subflow carries over 10% of the data": "False",
             "faster than one uplink": "False"},)),
    # the download is over and both subflows carried their share: only the reset differs
    Branch("the client had closed when a retransmitted chunk's last segments came: it reset "
           "that subflow, after the download",
           ({CLIENT_RESETS: AFTER_FIN, "resets sent by": "[client]",
             "every subflow carries over 10% of the data": SAME, "faster than one uplink": SAME},),
           note=_LATE_TAIL)))

# (scenario, uplinks) or (scenario,) -> the race behind its documented differences (if any), or
# a function of the kernel's Options that gives it
RACE_OUTCOMES: dict[tuple, object] = {
    # with 2 uplinks only: with 3 the client's data follows the dropped ACK on a third uplink at
    # once, the remote resets it, and there is no race (both sides: reset, nothing echoed)
    ("perpacket-masquerade", 2): Race((_SERVER_WON, _CLIENT_WON)),
    # derived from the run's options: its uplinks, downloads, which line fails, weights
    ("uplink-down",): lambda o: _down_race(o),
    ("mptcp",): _MPTCP_RACE,
    ("mptcp-split-access",): _MPTCP_RACE,
}


def race_of(scenario: str, uplinks: int, options=None) -> Race | None:
    """The race behind ``scenario``'s documented differences, for a run of ``uplinks`` and
    ``options`` (the kernel's ``Options``; None: the scenario's defaults with ``uplinks``)."""
    race = RACE_OUTCOMES.get((scenario, uplinks)) or RACE_OUTCOMES.get((scenario,))
    if callable(race):
        if options is None:
            options = make_options(scenario, uplinks=uplinks)
        race = race(options)
    return race


_DOWN_RESET = ("every download on the dead line was reset: an ACK it still owed left by a live line "
               "and the server reset the stranger")
_DOWN_STALLED = ("a download on the dead line stalled: its client gave up, and its FIN left un-NATed "
                 "by the line the main table's hash picks (a live one; once the line is back, any)")
_DOWN_NONE = "no download was on the dead line: no race"
#: the LAN host's address: what a packet that left without NAT carries
LAN_HOST = "192.168.0.1"


def _down_race(o) -> Race | None:
    """``uplink-down``'s race for the kernel's options ``o``, its branches' outcomes derived from
    where the conntrack marks send each download (``down_plan``): for each number of the dead
    line's downloads that were reset (the rest stalled) and each live uplink the main table's
    hash may pick (the simulator's hash and the kernel's differ: which live line a packet with
    no mark takes is no modelling error), the rows ``_LEAK`` (the stalled ones' FINs, by the
    hashed line), 'addresses at the remote', 'resets sent by' and 'downloads started after it,
    by uplink'.  None when no line fails."""
    if not o.down_at:
        return None
    p = down_plan(o)
    addrs = {k: uplink_addr(k) for k in range(1, o.uplinks + 1)}
    d = p.on_dead
    by: dict[str, list[dict]] = {}

    def complete(ks):
        counts = {f"if{k}": ks.count(k) for k in sorted(set(ks))}
        return "; ".join(f"{dev}: complete ×{c}" for dev, c in sorted(counts.items()))
    # the resets: the remote host's (of a stranger: a reset download's ACK, or a stalled one's
    # un-NATed FIN); with a return, maybe the router's own stack's too (_DOWN_BACK_RESET)
    resets = [_s(["remote host"] if d else [])]
    if o.up_at and d:
        resets.append(_s(["remote host", "router's own stack"]))
    for reset in range(d + 1):
        for h in p.live:
            acks, after = p.acks(reset, h), p.after(reset, h)
            back = p.back(reset)
            stalled = d - reset
            seen = sorted({addrs[k] for k in (*p.before, *acks, *after, *(back if o.up_at else ()))}
                          | ({LAN_HOST} if stalled else set()))
            # the stalled download's FIN goes by the main table's hash: over the live uplinks,
            # or, once the line is back (the client gives up timeout s after its last data), over
            # every uplink -- the hash of an unmarked packet need not be the outage's pick
            for leak_h in (range(1, o.uplinks + 1) if o.up_at and stalled else (h,)):
                for r in resets:
                    outcome = {_LEAK: _s([f"{LAN_HOST} on if{leak_h}"] if stalled else ["none"]),
                               "addresses at the remote": _s(seen), "resets sent by": r,
                               # (the last round's row is there only with a return: without
                               # one, the comparison has no such row, and it is not looked at)
                               AFTER: complete(after), BACK: complete(back)}
                    name = _DOWN_NONE if not d else _DOWN_RESET if not stalled else _DOWN_STALLED
                    if outcome not in by.setdefault(name, []):
                        by[name].append(outcome)
    return Race(tuple(Branch(name, tuple(outs)) for name, outs in by.items()))


def known_difference(scenario: str, aspect: str, uplinks: int) -> str:
    """Why the kernel and the simulator may differ in ``aspect`` ("": they may not).  A
    difference in a row of a race (``race_of``) is documented only when the rows fit one of its
    branches: ``Comparison.judge`` checks that."""
    for key in ((scenario, aspect, uplinks), (scenario, aspect)):
        if key in KNOWN_DIFFERENCES:
            return KNOWN_DIFFERENCES[key]
    return ""


@dataclass
class Row:
    """One aspect, both sides.  ``judged=False``: shown for the reader (counts, timings,
    which of two racing outcomes happened), not compared."""
    aspect: str
    kernel: str
    sim: str
    agree: bool
    note: str = ""
    judged: bool = True

    @property
    def verdict(self) -> str:
        if not self.judged:
            return "shown, not judged"
        if self.agree:
            return "agree"
        return "differs (documented)" if self.note else "DIFFERS"


@dataclass
class Comparison:
    scenario: str
    uplinks: int
    rows: list[Row] = field(default_factory=list)
    kernel: KernelResult | None = None
    sim: object = None
    sim_call: tuple[str, dict] | None = None     # (scenario, parameters) of the simulator's run
    # the branch of the scenario's race (``race_of``) each side's rows fit (``judge``)
    kernel_branch: Branch | None = None
    sim_branch: Branch | None = None

    @property
    def agrees(self) -> bool:
        """True when every row agrees or differs in a documented way."""
        return all(r.agree or r.note for r in self.rows)

    def undocumented(self) -> list[Row]:
        return [r for r in self.rows if not r.agree and not r.note]

    def add(self, aspect: str, kv, sv, agree: bool | None = None) -> None:
        """A judged row: the kernel's and the simulator's value (they agree when their texts
        are equal, or as ``agree`` says); a difference gets its documented note, if any
        (``judge`` withdraws it where a race's rows fit none of its branches)."""
        ks, ss = _s(kv), _s(sv)
        ok = (ks == ss) if agree is None else agree
        self.rows.append(Row(aspect, ks, ss, ok,
                             "" if ok else known_difference(self.scenario, aspect, self.uplinks)))

    def show(self, aspect: str, kernel: str, sim: str) -> None:
        """A row shown for the reader, not judged."""
        self.rows.append(Row(aspect, kernel, sim, True, judged=False))

    def options(self):
        """The kernel's options (None: a comparison made without them, as the tests make)."""
        return getattr(self.kernel, "options", None)

    def race(self) -> Race | None:
        return race_of(self.scenario, self.uplinks, self.options())

    def ccs(self) -> dict[str, str | None]:
        """The TCP congestion control of each side (None: that side ran no TCP)."""
        k = self.kernel.summary if self.kernel else {}
        tcp = any(k.get(x) for x in ("echo", "connections", "mptcp"))
        sim_cc = self.sim_call[1].get("cc") if self.sim_call else None
        return {"kernel": k.get("tcp_congestion_control") if tcp else None, "simulator": sim_cc}

    def cc_mismatch(self) -> str:
        """'' when both sides' TCP ran the same congestion control; else what each ran."""
        c = self.ccs()
        if c["kernel"] is None or c["simulator"] is None or c["kernel"] == c["simulator"]:
            return ""
        return (f"the kernel's TCP ran {c['kernel']}, the simulator's {c['simulator']}: it has "
                f"only none (a fixed window) and reno, and reno is the nearest")

    def judge(self) -> None:
        """Once every row is in: a difference in a row of the scenario's race is documented
        only when the kernel's rows, all together, fit one of the race's branches and the
        simulator's fit one too; otherwise it is an undocumented difference."""
        race = self.race()
        if race is None:
            return
        sim = {r.aspect: r.sim for r in self.rows}
        self.kernel_branch = race.branch({r.aspect: r.kernel for r in self.rows}, sim)
        self.sim_branch = race.branch(sim, sim)
        if self.kernel_branch is None or self.sim_branch is None:
            for r in self.rows:
                if r.aspect in race.aspects and not r.agree:
                    r.note = ""
        elif self.kernel_branch.note:
            for r in self.rows:
                if r.aspect in race.aspects and not r.agree and r.note:
                    r.note = self.kernel_branch.note

    def race_line(self) -> str | None:
        """What the race did, for the verdict (None: no race, or it made no difference)."""
        race = self.race()
        rows = [r for r in self.rows if race and r.aspect in race.aspects and not r.agree]
        if not rows:
            return None
        k, s = self.kernel_branch, self.sim_branch
        if k is None or s is None:
            if not race.branches:
                return "the known race has no branch for these options (no live uplink)"
            sim = {r.aspect: r.sim for r in self.rows}
            sides = [(name, {r.aspect: getattr(r, attr) for r in self.rows})
                     for name, attr, b in (("kernel", "kernel", k), ("simulator", "sim", s)) if b is None]
            return "; ".join(f"the {name}'s rows fit no branch of the known race ({misfit(race, v, sim)})"
                             for name, v in sides)
        if k is not s:
            # the simulator may model one branch (perpacket-masquerade: its server always wins) or
            # either (uplink-down: whether an ACK is still owed at the failure): this run's is said
            other = "the other" if len(race.branches) == 2 else "another"
            return (f"the kernel took one branch of a known race ({k.name}); the simulator's run "
                    f"took {other} ({s.name})")
        return f"both took the same branch of a known race ({k.name}), whose outcomes vary"

    def text(self) -> str:
        sc = SCENARIOS[self.scenario]
        w = max([len(r.aspect) for r in self.rows] + [6])
        kw = max([len(r.kernel) for r in self.rows] + [6])
        sw = max([len(r.sim) for r in self.rows] + [9])
        # the call compare ran, all of it: the lab's fast links (SIM_LAB) and workload included
        sim_name = _fmt_call(*self.sim_call) if self.sim_call else "none"
        o = self.options() or make_options(self.scenario, uplinks=self.uplinks)
        out = [f"compare {self.scenario} (uplinks={self.uplinks}): {sc.doc_for(o)}",
               f"  kernel:    {sc.setup.describe()} ({kernel_text(self.kernel.summary)})",
               f"  simulator: {sim_name}"]
        if (why := self.cc_mismatch()):
            out.append(f"  ({why})")
        out += ["",
               f"  {'aspect':<{w}}  {'kernel':<{kw}}  {'simulator':<{sw}}  verdict"]
        for r in self.rows:
            out.append(f"  {r.aspect:<{w}}  {r.kernel:<{kw}}  {r.sim:<{sw}}  {r.verdict}")
        notes = [r for r in self.rows if not r.agree and r.note]
        if notes:
            out.append("")
            # rows that differ for one reason share one note, which names them all
            by_note: dict[str, list[str]] = {}
            for r in notes:
                by_note.setdefault(r.note, []).append(r.aspect)
            for note, aspects in by_note.items():
                end = "" if note.endswith(".") else "."
                out.append(f"  note on {' and '.join(aspects)}: {note}{end}")
        bad = self.undocumented()
        race = self.race_line()
        out.append("")
        out.append("  verdict: " + ("the kernel and the simulator agree" if not bad and not notes
                                    else "agree, with documented differences" if not bad
                                    else f"{len(bad)} undocumented difference(s)")
                   + (f": {race}" if race else ""))
        return "\n".join(out) + "\n"


def misfit(race: Race, values: dict[str, str], sim: dict[str, str]) -> str:
    """Why the rows ``values`` (one side's) fit none of ``race``'s branches: for each branch, the
    rows whose value none of its outcomes has, or, when each row's value is one of them, that
    they come from different outcomes (a mix no run gives)."""
    def allowed(want, a):
        if want is SAME:
            return {sim.get(a)}
        return set(want) if isinstance(want, frozenset) else {want}
    out = []
    for b in race.branches:
        wants = {}
        for o in b.outcomes:
            for a, want in o.items():
                wants.setdefault(a, set()).update(allowed(want, a))
        bad = [a for a in wants if a in values and values[a] not in wants[a]]
        if not bad:
            out.append(f"'{b.name}': each row's value is one of its outcomes', but not all of one outcome")
            continue
        said = []
        for a in bad:
            w = sorted(wants[a])
            shown = (" or ".join(w) if len(w) <= 3 else f"one of {len(w)} values, such as {w[0]}")
            said.append(f"'{a}' is {values[a]}, not {shown}")
        out.append(f"'{b.name}': " + ", ".join(said))
    return "; ".join(out)


def _fmt_call(name: str, kw: dict) -> str:
    """``sim.run(...)`` as Python, the arguments as given: the links' delay and rates (the lab's
    veth-like links, ``SIM_LAB``) have no command-line flags."""
    return f"sim.run({name!r}, " + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")"


def sim_call(scenario: str, uplinks: int = 2, **overrides) -> tuple[str, dict] | None:
    """The simulator's scenario and parameters matching a kernel scenario (None: no model)."""
    sc = SCENARIOS[scenario]
    if sc.sim is None:
        return None
    name, params = sc.sim
    kw = {**SIM_LAB, **params, "uplinks": uplinks, **overrides}
    kw = {k: v for k, v in kw.items() if k not in unread(name)}    # a ping's remote: no TCP to answer
    return name, {k: kw[k] for k in sorted(kw, key=lambda k: k in SIM_LAB)}   # the links' last


#: the simulator's parameters set from a kernel option: that option (``Options`` field)
SIM_PARAM_OPTION = {"size": "size", "connections": "connections", "read_timeout": "timeout",
                    "uplinks": "uplinks", "down_at": "down_at", "down_uplink": "down_uplink", "up_at": "up_at",
                    "up_kbit": "uplink_kbit", "down_kbit": "uplink_kbit", "weights": "weights"}


def sim_problem(scenario: str, call: tuple[str, dict] | None) -> tuple[str | None, str] | None:
    """Why the simulator's run ``call`` (``sim_call``) of kernel ``scenario`` would be refused,
    or None: (the kernel option to blame or None, the message, naming that option as the
    kernel's command line does).  Checked before the lab is built: ``sim.run`` checks the same."""
    from ..scenarios import ParamError, check_applies, make_params
    if call is None:
        return None
    name, params = call
    try:
        make_params(name, **params)
        check_applies(name, params)
    except ParamError as e:
        opt = SIM_PARAM_OPTION.get(e.param or "")
        msg = str(e)
        if opt is not None and e.param and msg.startswith(e.param + " "):
            msg = "--" + opt.replace("_", "-") + msg[len(e.param):]
        return opt, (f"{msg} (compare runs the simulator's {name} too, and checks it before building "
                     f"the lab; python -m sim.kernel run {scenario} runs the kernel alone)")
    return None


def sim_run(scenario: str, uplinks: int = 2, **overrides):
    """The simulator's run matching a kernel scenario (or None: no simulator model)."""
    import sim
    call = sim_call(scenario, uplinks, **overrides)
    return None if call is None else sim.run(call[0], **call[1])


def _sim_fast_seconds(uplinks: int) -> float | None:
    """The simulator's echo time with nothing lost (SNAT, no filter): the yardstick for 'slow'."""
    import sim
    r = sim.run("echo", **SIM_LAB, multipath="hash-l4", nat="masquerade", remote="rfc",
                uplinks=uplinks)
    return r.summary["echo"][0]["seconds"]


def tcp_outcome(e: dict, slow_after: float | None, lost: bool | None = None) -> str:
    """``slow_after``: seconds beyond which a complete exchange is slow (the simulator's);
    ``lost``: whether packets of it were lost (the kernel's, from its capture)."""
    if e.get("complete"):
        if lost is not None:
            return "complete, slow" if lost else "complete"
        if slow_after is not None and e["seconds"] is not None and e["seconds"] > slow_after:
            return "complete, slow"
        return "complete"
    if e.get("reset"):
        return "reset"
    return "stalled"


def _addr(ep: str) -> str:
    """The address of an endpoint "(addr, port)", or of an address alone (an ICMP peer)."""
    return parse_endpoint(ep)[0]


def _summary_view(s: dict, slow_after, lost: bool | None = None) -> dict:
    """What a run's summary says, in the same words for the kernel and the simulator."""
    v = {}
    if "echo" in s:
        e = s["echo"][0]
        v["tcp"] = tcp_outcome(e, slow_after, lost)
        v["echoed"] = e["echoed"]
        v["server_saw"] = sorted({_addr(x) for x in e["seen_by_server_as"]})
    if "pings" in s:
        v["ping"] = s["pings"][0]["received"]
        v["ping_seen"] = s["pings"][0]["seen_by_remote_as"]
    if s.get("connections"):
        v["downloads"] = [tcp_outcome(c, None) for c in s["connections"]]
        v["server_saw"] = sorted({_addr(x) for c in s["connections"] for x in c["seen_by_server_as"]})
    return v


def _foreign(source: str, uplink_addrs) -> str:
    """A source a packet left an uplink with that is not the uplink's ("A on ifK", from
    ``observe``): another uplink's address, or one no uplink has (the LAN's: not NATed)."""
    addr = source.split(" on ")[0]
    return f"{addr} on another uplink" if addr in uplink_addrs else addr + NOT_NATED


def _flows_view(ob: dict, hashed: bool, addrs: dict | None = None) -> dict:
    """``addrs``: {"if1": "100.0.0.1", ...} (default: the topology's uplink addresses)."""
    flows = ob["flows"]
    per_flow = sorted(len(f["uplinks_used"]) for f in flows)
    uplink_addrs = set((addrs or {k: uplink_addr(k) for k in range(1, 9)}).values())
    return {
        "uplinks per flow": ", ".join(f"{n}" for n in per_flow) or "-",
        "flow on one uplink": all(f["one_uplink"] for f in flows) if flows else None,
        "foreign source": sorted({_foreign(x, uplink_addrs)
                                  for f in flows for x in f["foreign_source"]}) or ["none"],
        "handshake": [f.get("handshake") for f in flows if "handshake" in f],
        "remote saw": sorted({_addr(x) for f in flows for x in f["remote_saw"]}),
        "remote saw per flow": sorted(len(f["remote_saw"]) for f in flows),
        "drops": sorted(ob["drops"]),
        "resets": sorted(ob["resets"]),
        "sequence": [_first(f["uplinks"], SEQUENCE_SHOWN) for f in flows[:FLOWS_SHOWN]]
                    + ([f"... ({len(flows)} flows)"] if len(flows) > FLOWS_SHOWN else []),
    }


#: the row of the packets lost (``_show_counts``)
LOST = "(packets lost, by where they were lost)"

SEQUENCE_SHOWN, FLOWS_SHOWN = 12, 4     # the row "(uplink of each passed packet)" shows these


def _first(words: list[str], n: int) -> str:
    """The first ``n`` words, and if there are more, "..." and how many in all."""
    return " ".join(words[:n]) + (f" ... ({len(words)} in all)" if len(words) > n else "")


def timeout_problem(scenario: str, timeout, name: str = "timeout") -> str | None:
    """Why ``compare`` can't take a client timeout for ``scenario`` (None: it can).  Only the
    simulator's downloads have one (``read_timeout``); its echo, pings and MPTCP download
    wait forever, so a kernel client that gave up would read as a disagreement."""
    if timeout is None or SCENARIOS[scenario].experiment == "download":
        return None
    allowed = ", ".join(n for n, s in SCENARIOS.items() if s.experiment == "download")
    return (f"{name} {timeout:g} does not apply to comparing {scenario}: the simulator's client "
            f"there never gives up, so a kernel client that did would read as a disagreement "
            f"(compare takes it for {allowed}; run takes it for every scenario)")


def compare(scenario: str, uplinks: int = 2, kernel: KernelResult | None = None,
            **overrides) -> Comparison:
    """Run both sides (or reuse ``kernel``) and line them up."""
    o = make_options(scenario, uplinks=uplinks, **overrides)
    if (why := timeout_problem(scenario, overrides.get("timeout"))) is not None:
        raise LabError(why)
    sc = SCENARIOS[scenario]
    call = sim_call(scenario, uplinks, **_sim_overrides(sc.experiment, o, sc.sim and sc.sim[0]))
    # the simulator's refusal before the lab's run, not after it (seconds of namespaces lost)
    if (why := sim_problem(scenario, call)) is not None:
        raise LabError(why[1], why[0])
    if kernel is None:
        kernel = run(scenario, uplinks=uplinks, **overrides)
    c = Comparison(scenario, uplinks, kernel=kernel)
    c.sim_call = call
    import sim
    r = c.sim = None if call is None else sim.run(call[0], **call[1])
    addrs = {f"if{i}": uplink_addr(i) for i in range(1, uplinks + 1)}
    if r is None:
        for line in kernel.summary_text()[1:]:
            c.rows.append(Row("kernel only", line.strip(), "(no simulator model)", True))
    elif sc.experiment.startswith("mptcp"):
        _compare_mptcp(c, kernel.summary, r, addrs)
    elif o.down_at:
        _compare_down(c, kernel.summary, r, addrs, o.connections, bool(o.up_at))
    else:
        _compare_flows(c, kernel, r, addrs)
    c.judge()
    return c


def _sim_overrides(experiment: str, o, sim_name: str | None = None) -> dict:
    """The simulator's parameters for the lab's options ``o`` (``sim_name``: the simulator's
    scenario, whose own line failure ``down_at`` 0 turns off)."""
    over = {}
    if experiment == "download":
        # the kernel's clients give up after o.timeout s without data; so do the simulator's
        over = {"connections": o.connections, "size": o.size, "read_timeout": o.timeout}
        if o.down_at:
            over.update(down_at=o.down_at, down_uplink=o.down_uplink)
            if o.up_at:                         # ... and comes back
                over.update(up_at=o.up_at)
        elif sim_name is not None and SIM_SCENARIOS[sim_name].defaults.get("down_at") is not None:
            over.update(down_at=None)           # --down-at none: the simulator's line fails not either
    elif experiment.startswith("mptcp"):
        over = {"size": o.size}
    if experiment != "ping":
        over["cc"] = SIM_CC                     # the kernel's senders run o.cc, Reno by default
    if any(o.rates):
        # each uplink's own rate, both ways; one not limited in the lab is as fast as the lab's
        # links (SIM_LAB); one value when every uplink has the same
        rates = [r or SIM_LAB["down_kbit"][0] for r in o.rates]
        rates = rates[:1] if len(set(rates)) == 1 else rates
        over.update(up_kbit=list(rates), down_kbit=list(rates))
    if len(set(o.weight_list)) > 1:
        # the lab's nexthop weights and numgen map; equal ones are the simulator's default
        over["weights"] = list(o.weight_list)
    return over


def _compare_flows(c: Comparison, kernel: KernelResult, r, addrs: dict) -> None:
    """Echo, ping and download scenarios: the outcomes, then each flow's path."""
    sc, k = SCENARIOS[c.scenario], kernel.summary
    hashed = sc.setup.balance.startswith("hash")
    fast = _sim_fast_seconds(c.uplinks) if sc.experiment == "echo" else None
    kv = _summary_view(k, None, lost=bool(k["observed"]["drops"]))
    sv = _summary_view(r.summary, None if fast is None else SLOW_FACTOR * fast)
    sob = observe(from_sim(r), addrs)
    kf, sf = _flows_view(k["observed"], hashed, addrs), _flows_view(sob, hashed, addrs)
    if "tcp" in kv:
        c.add("TCP outcome", kv["tcp"], sv.get("tcp"))
        c.add("messages echoed", kv["echoed"], sv.get("echoed"))
    if "downloads" in kv:
        c.add("downloads", kv["downloads"], sv.get("downloads"))
    if "ping" in kv:
        c.add("ping replies (of 10)", kv["ping"], sv.get("ping"))
        c.add("echoes answered (seq)", _echo_replies(kernel.packets), _echo_replies(from_sim(r)))
    if kf["handshake"] or sf["handshake"]:
        c.add("handshake at the remote", kf["handshake"], sf["handshake"])
    if hashed:
        # the hash seeds differ: compare stability, and how many addresses the remote saw
        c.add("each flow on one uplink", kf["flow on one uplink"], sf["flow on one uplink"])
        c.add("addresses per flow at the remote", kf["remote saw per flow"], sf["remote saw per flow"])
        if sc.setup.balance == "hash-l3":
            c.add("addresses at the remote", len(kf["remote saw"]), len(sf["remote saw"]))
        c.show("(which uplink: hash seed)", _s(kf["remote saw"]), _s(sf["remote saw"]))
    else:
        c.add("uplinks used per flow", kf["uplinks per flow"], sf["uplinks per flow"])
        c.add(FOREIGN, kf["foreign source"], sf["foreign source"])
        c.add("addresses at the remote", kf["remote saw"], sf["remote saw"])
        c.show("(uplink of each passed packet)", _s(kf["sequence"]), _s(sf["sequence"]))
    if "tcp" in kv and not hashed:
        # the kernel's server program: the connections accept() returned; the simulator's
        # remote host: the connections that reached ESTABLISHED (what accept() would return)
        c.add("server accepted from", kv["server_saw"], _sim_accepted(r))
    c.add("drops at", kf["drops"], sf["drops"])
    c.add("resets sent by", kf["resets"], sf["resets"])
    _show_counts(c, k["observed"], sob)
    if "tcp" in kv:
        ks_ = k["echo"][0]["seconds"]
        ss_ = r.summary["echo"][0]["seconds"]
        c.show("(echo seconds)", "-" if ks_ is None else f"{ks_:.3f}", "-" if ss_ is None else f"{ss_:.3f}")


def _show_counts(c: Comparison, kob: dict, sob: dict, drops: bool = True) -> None:
    """The packets lost, by where, and the upstream packets per uplink, shown, not judged.
    Both sides' losses are read the same way, from what each hop's two ends saw (``observe``'s
    ``lost``: the simulator's hops as a capture), so they count the same things."""
    if drops:
        c.show(LOST, *("; ".join(f"{a} {n}" for a, n in ob["lost"].items()) or "none"
                       for ob in (kob, sob)))
    c.show("(upstream packets per uplink)",
           *("/".join(str(n) for n in ob["upstream_per_uplink"].values()) for ob in (kob, sob)))


def _by_uplink(conns: list[dict], addrs: dict, how: bool = False) -> str:
    """'if1: complete ×2; if2: failed ×2' -- each download's outcome by the uplink whose
    address the server first saw it from (``how``: stalled or reset, for a failed one)."""
    dev_of = {a: d for d, a in addrs.items()}
    out: dict = {}
    for c in conns:
        seen = c["seen_by_server_as"]
        dev = dev_of.get(_addr(seen[0]), "?") if seen else "-"
        o = tcp_outcome(c, None)
        out.setdefault(dev, []).append(o if how or o == "complete" else "failed")
    return "; ".join(f"{d}: " + ", ".join(f"{o} ×{v.count(o)}" for o in sorted(set(v)))
                     for d, v in sorted(out.items()))


def _compare_down(c: Comparison, k: dict, r, addrs: dict, n: int, back: bool = False) -> None:
    """``uplink-down``: what each download did by its uplink, before and after the failure
    (and after the line's return: ``back``), where the stalled ones' last packets went, who
    reset what."""
    kc, sc_ = k["connections"], r.summary["connections"]
    c.add("downloads started before the failure, by uplink", _by_uplink(kc[:n], addrs),
          _by_uplink(sc_[:n], addrs))
    # how a download on the dead line fails is a race (_DOWN_RACE): shown, not judged
    c.show("(how: stalled, or reset by an ACK owed from before)",
           _by_uplink(kc[:n], addrs, True), _by_uplink(sc_[:n], addrs, True))
    # with a return: whether the outage's downloads survive it (MASQUERADE kills one that the
    # returned line's table takes back: the postrouting rule's mark keeps them where they were)
    c.add(AFTER, _by_uplink(kc[n:2 * n], addrs), _by_uplink(sc_[n:2 * n], addrs))
    if back:
        c.add(BACK, _by_uplink(kc[2 * n:], addrs), _by_uplink(sc_[2 * n:], addrs))
        c.add(MOVED, _moved(k["observed"], kc[n:2 * n]), _moved(observe(from_sim(r), addrs), sc_[n:2 * n]))
        d = k["link_down"]
        c.show("(the return, s after the first connect; the outage's downloads still going then)",
               f"{d['came_back_at']:.3f}; {d['outage_downloads_going']}",
               f"{r.params.up_at:g}; {_going_at(r, n)}")
    kob, sob = k["observed"], observe(from_sim(r), addrs, sim_down(r))

    def leaked(ob):
        return sorted({f"{src} on {dev}" for f in ob["flows"] for dev, srcs in f["sources"].items()
                       for src in srcs if src not in addrs.values()}) or ["none"]
    c.add("left without NAT (INVALID: no conntrack entry)", leaked(kob), leaked(sob))
    c.add("addresses at the remote", sorted({_addr(x) for f in kob["flows"] for x in f["remote_saw"]}),
          sorted({_addr(x) for f in sob["flows"] for x in f["remote_saw"]}))
    c.add("resets sent by", sorted(kob["resets"]), sorted(sob["resets"]))
    _show_counts(c, kob, sob)


def _moved(ob: dict, conns: list[dict]) -> str:
    """How many of ``conns`` (downloads) left by more than one uplink: those the return moved."""
    ports = {c["client"] for c in conns if c["client"]}
    return str(sum(1 for f in ob["flows"] if f["client"] in ports and len(f["uplinks_used"]) > 1))


def _going_at(r, n: int) -> int:
    """The simulator's outage downloads (its second round) still going when the line came back."""
    up_us = int(r.params.up_at * 1e6)
    # (the last data it received after the return; a download with none yet is still going)
    return sum(1 for c in r.summary["connections"][n:2 * n]
               if c["last_data_s"] is None or c["last_data_s"] * 1e6 > up_us)


def sim_down(r) -> tuple[str, int, int | None] | None:
    """The simulator's line failure as ``observe`` takes it: (uplink, µs, µs it came back or
    None), or None."""
    d = r.summary.get("link_down")
    if not (d and d.get("happened", True)):
        return None
    return d["uplink"], int(d["at"] * 1e6), int(d["up_at"] * 1e6) if d.get("came_back") else None


def _sim_accepted(r) -> list[str]:
    """The addresses of the connections the simulator's remote1 took to ESTABLISHED."""
    from sim.trace import Ev
    return sorted({e.remote[0] for e in r.events
                   if e.ev is Ev.TCP and e.node == "remote1" and e.new == "ESTABLISHED"})


def _echo_replies(pkts) -> list[int]:
    """The ICMP echo replies the router passed to the LAN host, by sequence number."""
    return sorted({p.seq for p in pkts if p.link == "lan" and p.sender.startswith("router:")
                   and p.proto == 1 and p.type == 0})


def _mptcp_view(m: dict, ob: dict) -> dict:
    """An MPTCP download (``summary["mptcp"][0]``, kernel or simulator) and its flows."""
    flows = {f["client"]: f for f in ob["flows"] if f["proto"] == "tcp"}
    subs = [sf for sf in m["subflows"] if sf["client"] in flows]
    fl = [flows[sf["client"]] for sf in subs]
    return {
        "download": "complete" if m["complete"] else "not complete",
        "subflows": len(m["subflows"]),
        "clients": [sf["client"] for sf in subs],
        "client addresses": len({_addr(sf["client"]) for sf in subs}),
        "one uplink": all(f["one_uplink"] for f in fl) if fl else None,
        "different uplinks": len({f["uplinks_used"][0] for f in fl if f["uplinks_used"]}) == len(fl),
        "bindings per subflow": [len(f["remote_saw"]) for f in fl],
        "remote saw": [_addr(f["remote_saw"][0]) if f["remote_saw"] else "-" for f in fl],
        "handshake": [f.get("handshake") for f in fl],
        "bytes": " / ".join(str(sf["bytes"]) for sf in subs),
    }


def _joined_reset(m: dict) -> str:
    """Whether the second subflow of an MPTCP download was reset: yes, no, or - (none)."""
    subs = m["subflows"]
    return "-" if len(subs) < 2 else "yes" if subs[1]["reset"] else "no"


def _client_resets(m: dict, ob: dict) -> str:
    """When the client's resets on an MPTCP download's subflows came: '-' (it sent none),
    ``AFTER_FIN`` (each after its own FIN on that subflow: it had closed), or 'not all after its
    own FIN' (one before, or a side that does not say: the simulator's summary has no such
    field)."""
    if not ob["resets"].get("client"):
        return "-"
    when = [sf.get("client_reset_after_fin") for sf in m["subflows"]]
    return (AFTER_FIN if any(when) and all(w is not False for w in when)
            else f"not all {AFTER_FIN}")


def _shares(m: dict) -> bool:
    total = sum(sf["bytes"] for sf in m["subflows"]) or 1
    return all(sf["bytes"] > total / 10 for sf in m["subflows"])


def _compare_mptcp(c: Comparison, k: dict, r, addrs: dict) -> None:
    km = k["mptcp"][0]
    sm = r.summary["mptcp"][0]
    kob, sob = k["observed"], observe(from_sim(r), addrs)
    kv, sv = _mptcp_view(km, kob), _mptcp_view(sm, sob)
    c.add("download", kv["download"], sv["download"])
    # connections the server accepted (kernel: accept() returned; simulator: MP_CAPABLE sessions)
    sessions = sum(len(srv.sessions) for srv in r.apps.get("mptcp_servers", []))
    c.add("MPTCP connections (subflows)", f"{km['server_accepted']} ({kv['subflows']})",
          f"{sessions} ({sv['subflows']})")
    c.add("subflow clients", kv["clients"], sv["clients"])
    c.add("client addresses", kv["client addresses"], sv["client addresses"])
    c.add("each subflow on one uplink", kv["one uplink"], sv["one uplink"])
    c.add("subflows on different uplinks", kv["different uplinks"], sv["different uplinks"])
    c.add("NAT bindings per subflow at the remote", kv["bindings per subflow"],
          sv["bindings per subflow"])
    c.add("remote saw (first subflow, joined)", kv["remote saw"], sv["remote saw"])
    c.add("handshake at the remote", kv["handshake"], sv["handshake"])
    c.add("drops at", sorted(kob["drops"]), sorted(sob["drops"]))
    c.add("resets sent by", sorted(kob["resets"]), sorted(sob["resets"]))
    c.add("every subflow carries over 10% of the data", _shares(km), _shares(sm))
    # what the late join (_LATE_JOIN) does: the server resets the joined subflow
    c.show("(joined subflow reset)", *(_joined_reset(m) for m in (km, sm)))
    # ... and what a late tail of a retransmission does (_LATE_TAIL): the client resets a subflow
    c.show(CLIENT_RESETS, *(_client_resets(m, ob) for m, ob in ((km, kob), (sm, sob))))
    rates, size = c.kernel.options.rates, c.kernel.options.size
    # faster than one uplink: faster than the fastest could carry alone (the uplinks' rates may
    # differ, and which one the first subflow takes is the balancer's pick)
    kbit = max(rates)
    faster = [str((m["throughput_kbit"] or 0) > kbit) for m in (km, sm)]
    why_not = _faster_not_judged(rates, size)
    if kbit and not why_not:
        c.add("faster than one uplink", *faster)
    elif kbit:
        c.show(f"(faster than one uplink: not judged, {why_not})", *faster)
    one = (f"one uplink: {rates[0] or 'unlimited'}" if len(set(rates)) == 1 else
           "the uplinks: " + ", ".join(str(r or "unlimited") for r in rates))
    c.show(f"(throughput, kbit/s; {one})", str(km["throughput_kbit"]), str(sm["throughput_kbit"]))
    c.show("(bytes per subflow)", kv["bytes"], sv["bytes"])
    _show_counts(c, kob, sob, drops=False)


def _s(v) -> str:
    if isinstance(v, list):
        return "[" + "; ".join(_s(x) for x in v) + "]" if v else "[]"
    if v is None:
        return "-"
    return str(v)
