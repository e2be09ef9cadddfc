"""A small but honest TCP (RFC 9293): states, handshake, data with a fixed
window, cumulative ACKs, delayed ACKs, retransmission timeout with exponential
backoff and a retry limit, fast retransmit on three duplicate ACKs, RST, FIN.

Congestion control is a choice: ``none`` (a fixed window, the default, which
keeps the article's arithmetic plain; its fast retransmit resends one segment,
and any new ACK ends the episode) or ``reno``, as Linux 2.4 without SACK: RFC
5681's slow start from two segments (``tcp_init_cwnd()``), congestion avoidance,
fast retransmit and fast recovery, with NewReno's answer to partial ACKs (RFC
6582): recovery lasts until all sent before it is acknowledged (``high_seq``),
and each partial ACK resends the next hole at once (``tcp_fastretrans_alert()``).
The window counts whole segments, as Linux's ``snd_cwnd`` does.  It shows how
reordering over unequal links eats the gain of per-packet balancing.  What 2.4
had besides, left out: SACK, rate halving (``tcp_cwnd_down()`` lowers the window
by one segment every second ACK in Recovery, where NewReno inflates and deflates
it) and the undo of a reduction that timestamps prove needless (``tcp_may_undo()``,
``tcp_try_undo_partial()``), with the ``tcp_reordering`` it raises: under reordering, where a
hole is often a late segment rather than a lost one, the simulated Reno resends on partial ACKs
and keeps reductions that 2.4 with timestamps would have undone.
Timestamps (RFC 7323) are modelled as what they do to the RTT estimate: every segment carries
(TSval, TSecr) as simulation state, no option on the wire (``TCP.tsval``, ``TCP.tsecr``); the receiver echoes the
TSval of the segment at the left edge of the window it last announced (``_replace_ts_recent``),
and the sender's sample is the time since the TSval echoed, 2.4 on every ACK of new data, today
when the ACK covers a retransmitted segment (``_sample_rtt``).  Not modelled: PAWS, and the
undo of a reduction that the echo proves needless (above).
ACKs are delayed with quick-ack and ping-pong modes, as in 2.4 and today; a duplicate
segment re-enters quick-ack mode, and in 2.4 out-of-order data too (``_receive_data``), as does
data after a gap longer than the RTO (``_event_data_recv``); a delayed-ACK timer that fires in
ping-pong mode leaves it (``_delack_timer``); a FIN in ESTABLISHED enters it, so its ACK rides
on the application's answer (``tcp_fin()``).  Two
profiles (``TCP_PROFILES``, a ``TcpProfile`` record each): ``2.4`` (3 s first timeout, 5 SYN retries, a RST anywhere in the window
resets) and ``linux``, today's kernel (1 s first timeout, 6 SYN retries, tail loss
probes in the Open state, RFC 5961: only a RST at exactly ``rcv_nxt`` resets, one elsewhere in the
window gets a challenge ACK).  What it leaves out, on
purpose: SACK and other options (RFC 7323's Window Scale goes on the SYNs only when the receive
window, ``--rwnd``, is above 65535 bytes), the adaptive delayed-ACK timeout (``ato`` grows
from 40 ms towards 200 ms), IW10 and CUBIC.  Every state change (a ``TcpState``) is a
trace event.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable

from .packet import IP, TCP, MptcpOption, Packet, SynOptions

_new = tuple.__new__
from .trace import Drop, Ev

MSS = 1460
RTO_INIT = 3_000_000        # µs, RFC 1122 and Linux 2.4's TCP_TIMEOUT_INIT
# Today's Linux (the ``linux`` profile): RFC 6298's 1 s first timeout, and a tail loss
# probe (``tcp_schedule_loss_probe()``): 2 x srtt after the last send, plus RTO_MIN when
# one segment is out (room for a delayed ACK), else plus TCP_TIMEOUT_MIN (2 ms).
RTO_INIT_LINUX = 1_000_000
TLP_MIN = 2_000
RTO_MIN = 200_000           # µs, Linux's TCP_RTO_MIN: the least variance term (rttvar) of a timeout
RTO_MAX = 120_000_000       # µs
TIME_WAIT_LEN = 60_000_000  # µs, Linux's TCP_TIMEWAIT_LEN
SYN_RETRIES = 5             # 2.4 tcp_syn_retries
SYN_RETRIES_LINUX = 6       # today's default (since 3.7)
SYN_LINEAR_TIMEOUTS = 4     # tcp_syn_linear_timeouts (since 6.5): the first 4 SYN retries 1 s apart
SYNACK_RETRIES = 5          # 2.4 tcp_synack_retries
RETRIES2 = 15               # 2.4 tcp_retries2
ORPHAN_RETRIES = 8          # tcp_orphan_retries: 0, which tcp_orphan_retries() reads as 8
DELACK = 40_000             # µs, Linux's TCP_DELACK_MIN: how long an ACK may wait for data
                            # (and TCP_ATO_MIN, the same HZ/25: ato's least value)
QUICKACKS = 16              # TCP_MAX_QUICKACKS
PINGPONG_THRESH = 1         # TCP_PINGPONG_THRESH (Linux 6.x)

REMOTE_BEHAVIOURS = ("article", "rfc")
#: what a remote host does with a TCP segment of no connection, per ``remote``: one line each, which
#: ``python -m sim run --help`` and the live players' hints show
REMOTE_HELP = {"article": "ignore it (the article's simplification)",
               "rfc": "answer with a reset (RFC 9293)"}
CONGESTION_CONTROLS = ("none", "reno")
# Linux 2.4's tcp_init_cwnd() (RFC 2414's numbers): two segments when the handshake's RTT is
# over 20 ms (HZ/50) or unknown, as on the book's lines; three (an MSS over 1095 bytes) on a
# faster path, which the simulator does not distinguish: it always starts from two
INIT_CWND = 2 * MSS
#: RFC 7323 2.3: a Window Scale shift is at most 14, so a window at most 65535 x 2^14 bytes
MAX_WSCALE = 14
MAX_WINDOW = 65535 << MAX_WSCALE


def window_scale(window: int) -> int:
    """The least Window Scale shift that announces ``window`` bytes in the header's 16 bits
    (0: no option needed): ``tcp_select_initial_window()``'s ``ilog2(space) - 15``, here for
    the window itself (Linux's ``space`` is the largest receive buffer allowed)."""
    return max(0, window.bit_length() - 16)


@dataclass(frozen=True, slots=True)
class TcpProfile:
    """What differs between the kernels the book compares (``--tcp``)."""
    name: str
    rto_init: int                       # µs, the first retransmission timeout
    syn_retries: int                    # tcp_syn_retries
    tail_loss_probe: bool               # tcp_schedule_loss_probe() (RFC 8985's TLP)
    rfc5961_challenge_ack: bool         # a RST in the window but not at rcv_nxt gets an ACK
    retries_by_time: bool = False       # give up by elapsed time, not count (retransmits_timed_out())
    syn_linear_timeouts: int = 0        # SYN retries before the timeout starts doubling
    ofo_quickack: bool = False          # out-of-order data enters quick-ack mode and a
                                        # filled hole leaves ping-pong (2.4's tcp_data_queue())
    quickack_every_ack: bool = False    # every segment with ACK set uses a quick ACK (2.4's
                                        # tcp_dec_quickack_mode(); today only one sent while an ACK
                                        # is due: new data, a duplicate, a FIN)
    rtt_by_tsecr: bool = False          # every RTT sample from the echoed timestamp (2.4's
                                        # tcp_ack_saw_tstamp()); today's only when the ACK covers
                                        # a retransmitted segment (see TcpConn._sample_rtt)
    ts_recent_before_ack: bool = False  # TS.Recent kept before the ACK field is checked (2.4's
                                        # tcp_rcv_established()); since 3.9 only from an ACK that
                                        # tcp_ack() accepts (see TcpConn._replace_ts_recent)


TCP_PROFILES: dict[str, TcpProfile] = {p.name: p for p in (
    TcpProfile("2.4", RTO_INIT, SYN_RETRIES, tail_loss_probe=False, rfc5961_challenge_ack=False,
               ofo_quickack=True, rtt_by_tsecr=True, quickack_every_ack=True, ts_recent_before_ack=True),
    TcpProfile("linux", RTO_INIT_LINUX, SYN_RETRIES_LINUX, tail_loss_probe=True,
               rfc5961_challenge_ack=True, retries_by_time=True, syn_linear_timeouts=SYN_LINEAR_TIMEOUTS),
)}
"""The profiles by name, as ``--tcp`` and ``Params.tcp`` give them."""
DEFAULT_TCP_PROFILE = "2.4"         # the article's kernel: the profile wherever none is given


class TcpState(StrEnum):
    """RFC 9293's connection states, as the trace writes them (a member is its own name)."""
    CLOSED = "CLOSED"
    SYN_SENT = "SYN_SENT"
    SYN_RECEIVED = "SYN_RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN_WAIT_1"
    FIN_WAIT_2 = "FIN_WAIT_2"
    CLOSE_WAIT = "CLOSE_WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST_ACK"
    TIME_WAIT = "TIME_WAIT"


class TcpCaState(StrEnum):
    """The sender's loss-recovery state, Linux's ``icsk_ca_state`` (``tcp_fastretrans_alert()``),
    the three of its five the simulated TCP names.  Disorder it has as ``dupacks`` > 0 in Open:
    without SACK too, Linux counts duplicate ACKs as segments that left the network
    (``tcp_add_reno_sack()``: ``sacked_out``) and ``tcp_try_to_open()`` enters Disorder while
    any are counted.  It has no CWR (the reduction ECN, a congested local device or, today, a
    tail loss probe that repaired a loss asks for)."""
    OPEN = "Open"                   # TCP_CA_Open: no loss being recovered
    RECOVERY = "Recovery"           # TCP_CA_Recovery: fast retransmit, until high_seq is acked
    LOSS = "Loss"                   # TCP_CA_Loss: after a retransmission timeout, until high_seq


CA_OPEN, CA_RECOVERY, CA_LOSS = TcpCaState


# the members by bare name, for this module's comparisons (by identity: ``state`` is always one)
(CLOSED, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING,
 LAST_ACK, TIME_WAIT) = TcpState


def _unwrap(v: int, near: int) -> int:
    """32-bit sequence number -> the absolute one closest to ``near``."""
    cand = (near & ~0xFFFFFFFF) | v         # in near's 4 GB
    d = cand - near
    if d > 1 << 31:
        return cand - (1 << 32)             # closer in the one below
    if d < -(1 << 31):
        return cand + (1 << 32)             # closer in the one above
    return cand


class TcpConn:
    """One end of a connection.  ``local`` and ``remote`` are (addr, port) endpoints."""

    # its fields, all set in __init__ (slots: no dictionary per connection, and faster to read
    # and write on every segment)
    __slots__ = ("host", "sim", "local", "remote", "state", "window", "reno", "cwnd", "ssthresh",
                 "ca_state", "high_seq", "fast_retransmits", "iss", "snd_una", "snd_nxt", "snd_max", "data_end",
                 "fin_queued", "irs", "rcv_nxt", "ooo", "ooo_fin", "profile", "rto", "challenge_acks",
                 "probe_due", "probed", "last_seg", "loss_probes", "ato", "quick", "pingpong",
                 "lrcvtime", "ack_scheduled", "ts_recent", "retransmitted", "srtt", "srtt8", "mdev", "mdev_max", "rttvar", "rtt_round", "rtt_seq", "tx_time",
                 "rtt_start", "retries", "retrans_stamp",
                 "deadline", "timer_ev", "dupacks", "bytes_received", "synack_retransmits",
                 "established_by", "established_at", "reset", "ack_sent", "delack_ev",
                 "on_established", "on_data", "on_rx", "on_fin", "on_close", "on_acked", "syn_opt",
                 "peer_syn_opt", "mp_opt", "on_mp_opt", "dst_cache", "wake_ev", "refused_at", "mss",
                 "wscale", "window_field", "rtt_min", "rwnd_limited", "rwnd_since", "rwnd_una", "rwnd_acked")

    def __init__(self, host, local, remote, window: int = 32 * MSS, cc: str = "none",
                 profile: str = DEFAULT_TCP_PROFILE):
        self.host = host
        self.sim = host.sim
        self.local = local
        self.remote = remote
        self.state: TcpState = CLOSED
        # RFC 7323's window scale: a window above 65535 bytes is announced in units of 2^wscale
        # bytes (the shift its SYN carries, at most 14), so the window is what such units can say
        self.wscale = window_scale(window)
        self.window = window >> self.wscale << self.wscale
        # the window field of every segment but a SYN, computed once: one int object shared by
        # all of them (``window >> 0`` is a new one each time): 28 bytes less a segment stored
        self.window_field = window >> self.wscale
        # the payload of a full segment, sent or expected: MSS less the options every segment
        # carries (tcp_current_mss(); the receiver's rcv_mss, tcp_measure_rcv_mss(), learns the
        # same from the peer's segments).  The simulated TCP puts none on the wire but MPTCP's,
        # whose subflows set their own (sim.mptcp.SUBFLOW_MSS); its timestamps are state, not
        # option bytes (sim.packet.TCP).  Windows are in bytes, in whole segments of it
        self.mss = MSS
        self.reno = cc == "reno"
        self.cwnd = INIT_CWND if self.reno else self.window
        self.ssthresh = self.window
        self.ca_state = CA_OPEN
        self.fast_retransmits = 0
        self.iss = host.sim.rng.randrange(1 << 32)
        # snd_max when Recovery or Loss began: the episode ends when snd_una reaches it
        # (RFC 6582's "recover", which starts at the ISN)
        self.high_seq = self.iss
        self.snd_una = self.snd_nxt = self.snd_max = self.iss
        self.data_end = self.iss + 1        # sequence number just past the data queued so far
        self.fin_queued = False
        self.irs = self.rcv_nxt = 0
        self.ooo: dict[int, int] = {}      # out-of-order segments: seq -> length
        self.ooo_fin: int | None = None     # the sequence number of a FIN among them
        self.profile = TCP_PROFILES[profile]
        self.rto = self.profile.rto_init
        self.challenge_acks = 0
        self.probe_due = False              # the pending timer is a loss probe, not the RTO
        self.probed = False                 # one probe per flight, until an ACK advances
        self.last_seg: tuple | None = None  # (flags, seq, length) of the last data segment sent
        self.loss_probes = 0
        self.ato = 0                        # delayed-ACK time, set by the first data
        self.quick = 0                      # quick ACKs left
        self.pingpong = 0                   # answers sent within ato of receiving
        self.lrcvtime = 0                   # when data last arrived in order
        self.ack_scheduled = False          # data or a FIN came that no ACK sent yet answered
        self.ts_recent: int | None = None  # the peer's TSval our segments echo (RFC 7323's TS.Recent)
        self.srtt = 0                       # µs (srtt8 >> 3)
        self.srtt8 = self.mdev = self.mdev_max = self.rttvar = self.rtt_round = 0   # tcp_rtt_estimator()'s
        self.rtt_min = RTO_MAX              # µs, the least RTT sample (tcp_min_rtt(), ss's minrtt)
        # Linux's TCP_CHRONO_RWND_LIMITED (tcp_chrono_start(), ss's rwnd_limited): µs the sender had
        # data to send that the receive window, not cwnd, held back; since when (-1: not now), and
        # the bytes acknowledged in that time (rwnd_una: snd_una when it began)
        self.rwnd_limited = self.rwnd_acked = self.rwnd_una = 0
        self.rwnd_since = -1
        self.rtt_seq: int | None = None     # the segment being timed (Karn: never a retransmission)
        # end seq of an unacked data segment -> when last sent (its TSval), in sequence order
        # (``_sent_at``), so that an ACK removes only the front
        self.tx_time: dict[int, int] = {}
        self.retransmitted: set[int] = set()   # end seqs of unacked segments sent more than once
                                                # (today's TCPCB_RETRANS)
        self.rtt_start = 0
        self.retries = 0
        self.retrans_stamp = 0
        self.deadline: int | None = None    # retransmission timer
        self.timer_ev: list | None = None
        self.wake_ev: list | None = None    # _push again once the device has room (see _push)
        self.refused_at = -1                # when this host's device last refused a segment of it
        self.dupacks = 0
        self.bytes_received = 0
        self.synack_retransmits = 0
        self.established_by: str | None = None
        self.established_at: int | None = None
        self.reset = False
        self.ack_sent = 0                   # rcv_nxt carried by the last segment we sent
        self.delack_ev: list | None = None
        # application callbacks
        self.on_established: Callable | None = None
        self.on_data: Callable | None = None
        self.on_rx: Callable | None = None      # in-order bytes, before the ACK (MPTCP's data level)
        self.on_fin: Callable | None = None
        self.on_close: Callable | None = None
        self.on_acked: Callable | None = None       # new data acknowledged: room to send more
        self.syn_opt: MptcpOption | None = None     # MPTCP option for our SYN / SYN+ACK
        self.peer_syn_opt: MptcpOption | None = None  # ...and the one the peer's SYN (+ACK) carried
        self.mp_opt: Callable | None = None         # MPTCP: (conn, seq, load) -> option, later
        self.on_mp_opt: Callable | None = None      # MPTCP: (conn, packet), for each one received
        self.dst_cache: tuple | None = None         # its route: (FIB genid, device, next hop),
                                                    # kept by Host.ip_output (sk->dst_cache)

    # -- helpers ----------------------------------------------------------------------------

    def _set_state(self, new: TcpState) -> None:
        old, self.state = self.state, new
        self.sim.trace.emit(Ev.TCP, self.host.name, None, self.local, self.remote, old, new)

    def _make(self, flags: str, seq: int, load: int = 0) -> Packet:
        ack = self.rcv_nxt if "A" in flags else 0
        # the window field: a SYN's is never scaled (RFC 7323 2.2), and carries the Window Scale
        # option when the window needs one; every later segment's counts units of 2^wscale bytes
        if "S" in flags:
            opt, win = self.syn_opt, min(self.window, 65535)
            if self.wscale:
                opt = SynOptions(self.wscale, opt)
        else:
            win = self.window_field
            opt = self.mp_opt(self, seq, load) if self.mp_opt is not None and "R" not in flags else None
        # every segment but a RST carries timestamps (tcp_established_options(), RFC 7323 3.2):
        # now as TSval, and TS.Recent as TSecr
        tsval, tsecr = (None, None) if "R" in flags else (self.sim.now, self.ts_recent)
        # tuple.__new__, as Packet.hop(): every field is given, NamedTuple's __new__ is skipped
        return _new(Packet, (self.host.ip_header(self.local[0], self.remote[0]),
                             _new(TCP, (self.local[1], self.remote[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                                        flags, win, opt, tsval, tsecr)), load))

    def _send(self, flags: str, seq: int, load: int = 0) -> bool:
        """Send a segment by the route the connection keeps; False if this host's device
        had no room for it (``tcp_transmit_skb()`` failed with NET_XMIT_DROP).  Only data and
        the FIN (``_push``) are then not counted as sent; as in Linux, a SYN is (``tcp_connect()``
        moves snd_nxt whatever tcp_transmit_skb() returned, and its timer sends it again), and an
        ACK is not sent again (``__tcp_send_ack()`` ignores the result)."""
        if "A" in flags:
            if self.quick:
                self._dec_quickack_mode()
            self.ack_scheduled = False          # (tcp_event_ack_sent(): no ACK pending now)
            self.ack_sent = self.rcv_nxt        # every segment with ACK set acknowledges
        return self.host.ip_output(self._make(flags, seq, load), self)

    def _delayed_ack(self) -> None:
        """RFC 1122 4.2.3.2 / Linux ``tcp_send_delayed_ack()``: hold the ACK of one
        segment up to ``DELACK`` so it can ride on the data the application sends in
        reply; acknowledge at once when two full segments are unacknowledged."""
        if self.rcv_nxt - self.ack_sent >= 2 * self.mss:
            self._send("A", self.snd_nxt)
        elif self.delack_ev is None:
            self.delack_ev = self.sim.at(DELACK, self._delack_timer)

    def _incr_quickack(self) -> None:
        """``tcp_incr_quickack()`` (2.4 and today): allow up to ``rcv_wnd / (2 * rcv_mss)``
        quick ACKs, at least 2, at most ``TCP_MAX_QUICKACKS``; never fewer than are left."""
        quick = min(QUICKACKS, self.window // (2 * self.mss) or 2)
        if quick > self.quick:
            self.quick = quick

    def _enter_quickack_mode(self) -> None:
        """``tcp_enter_quickack_mode()`` (2.4 and today): quick ACKs again
        (``tcp_incr_quickack()``), out of ping-pong mode (``inet_csk_exit_pingpong_mode()``;
        2.4: ``tp->ack.pingpong = 0``) and ``ato`` back to ``TCP_ATO_MIN``.  So the next
        data is acknowledged at once, on a segment of its own, even where the application
        answers it at once and its answer would have carried the ACK."""
        self._incr_quickack()
        self.pingpong = 0
        self.ato = DELACK

    def _dec_quickack_mode(self) -> None:
        """``tcp_event_ack_sent()`` -> ``tcp_dec_quickack_mode()``: a segment with ACK set
        uses one quick ACK; the last leaves quick-ack mode with ``ato`` at ``TCP_ATO_MIN``.  In
        2.4 (and until 2023) every such segment counts, an answer carrying the ACK too; today
        only one sent while an ACK is due ("How many ACKs S/ACKing new data have we sent?":
        ``inet_csk_ack_scheduled()``, "tcp: fix quick-ack counting to count actual ACKs of new
        data")."""
        if self.ack_scheduled or self.profile.quickack_every_ack:
            self.quick -= 1
            if not self.quick:
                self.ato = DELACK

    def _event_data_recv(self) -> None:
        """``tcp_event_data_recv()`` (2.4 and today), for every segment that brings data in
        order (a filled hole's too): the first data starts quick-ack mode (``tcp_incr_quickack()``,
        up to 16 ACKs sent at once); data after a gap longer than the RTO too ("Too long gap.
        Apparently sender failed to restart window, so that we send ACKs quickly"); and
        ``lrcvtime`` is now, which ping-pong mode reads (``_push``).  Left out: ``ato``'s
        adaptation to the gaps between segments (the delayed ACK here always waits ``DELACK``)."""
        now = self.sim.now
        if self.ato == 0:
            self._incr_quickack()
            self.ato = DELACK
        elif now - self.lrcvtime > self.rto:
            self._incr_quickack()
        self.lrcvtime = now

    def _ack_snd_check(self) -> None:
        """``__tcp_ack_snd_check()``: in quick-ack mode -- quick ACKs left, and not in ping-pong
        mode, where the answer the application sends at once should carry the ACK -- the ACK
        goes now, before the application has read the data; else it waits (``_delayed_ack``)."""
        if self.quick and self.pingpong < PINGPONG_THRESH:
            self._send("A", self.snd_nxt)

    def _delack_timer(self) -> None:
        """The delayed-ACK timer: the ACK held back goes alone.  In ping-pong mode the answer
        it waited for did not come within ``ato``: "Delayed ACK missed: leave pingpong mode and
        deflate ATO" (2.4's ``tcp_delack_timer()``, today's ``tcp_delack_timer_handler()``:
        ``inet_csk_exit_pingpong_mode()``, ``ato = TCP_ATO_MIN``).  Outside ping-pong mode the
        kernel doubles ``ato`` (up to the RTO), which the fixed delay here leaves out."""
        self.delack_ev = None
        st = self.state
        if not (st is CLOSED or st is TIME_WAIT or st is SYN_SENT) and self.ack_sent != self.rcv_nxt:
            if self.pingpong >= PINGPONG_THRESH:
                self.pingpong = 0
                self.ato = DELACK
            self._send("A", self.snd_nxt)

    def _first_unacked(self) -> tuple[str, int, int]:
        """(flags, seq, length) of the oldest unacknowledged segment."""
        if self.state is SYN_SENT:
            return "S", self.iss, 0
        if self.state is SYN_RECEIVED:
            return "SA", self.iss, 0
        if self.snd_una < self.data_end:
            n = min(self.mss, self.data_end - self.snd_una)
            return ("PA" if self.snd_una + n == self.data_end else "A"), self.snd_una, n
        return "FA", self.data_end, 0

    def _arm(self, after: int | None = None) -> None:
        """(Re)start the retransmission timer (in ``after`` µs, default the RTO).
        Restarting only moves ``deadline``: the one pending event, when it fires
        early, sleeps again until it."""
        sim = self.sim
        self.probe_due = False
        self.deadline = sim.now + (self.rto if after is None else after)
        tev = self.timer_ev
        if tev is not None and tev[0] > self.deadline:
            sim.cancel(tev)
            tev = None
        if tev is None:
            self.timer_ev = sim.at(self.deadline - sim.now, self._timer)

    def _timer(self) -> None:
        sim = self.sim
        self.timer_ev = None
        if self.deadline is None or self.state is CLOSED or self.state is TIME_WAIT:
            return
        if sim.now < self.deadline:
            self.timer_ev = sim.at(self.deadline - sim.now, self._timer)
            return
        if self.probe_due:
            self._loss_probe()
        else:
            self._on_rto()

    def _arm_after_send(self) -> None:
        """Linux: after new data leaves, or an ACK leaves data outstanding, arm a tail
        loss probe if one is allowed, else the retransmission timer.  A probe only in the
        Open state, with no duplicate ACK counted: ``tcp_schedule_loss_probe()`` allows none in
        Disorder (see ``TcpCaState``), Recovery or Loss.  It also requires SACK, which the simulated
        TCP does not have; the ``linux`` profile probes anyway, as today's kernel, which
        always has SACK with a peer of today, does: with SACK the probe's ACK reveals a
        loss anywhere in the flight, here only the loss of the last segment (which the
        probe itself repairs) -- the model's probes go at the kernel's times, and repair
        fewer losses."""
        if not (self.profile.tail_loss_probe and self.srtt and not self.probed and self.last_seg
                and self.ca_state is CA_OPEN and not self.dupacks
                and (self.state is ESTABLISHED or self.state is CLOSE_WAIT)):
            self._arm()
            return
        out = self.snd_max - self.snd_una
        pto = 2 * self.srtt + (RTO_MIN if out <= self.mss else TLP_MIN)
        self._arm(min(pto, self.rto))
        self.probe_due = True

    def _loss_probe(self) -> None:
        """``tcp_send_loss_probe()`` (RFC 8985 7.3): a new segment if there is data not yet
        sent and the receiver's window has room for it, whatever the congestion window says
        (``tcp_write_xmit()``'s ``push_one`` = 2: "Force out a loss probe pkt"); else the last
        segment sent again.  Its ACK (or its absence) tells the sender about the tail of the
        flight; then the retransmission timer, not backed off.  Left out: when the probe's
        ACK shows it repaired a loss, today's kernel reduces the window (``tcp_process_tlp_ack()``,
        the CWR state; RFC 8985 7.4); the simulated sender keeps it."""
        self.probed = True
        self.loss_probes += 1
        nxt = self.snd_nxt
        if nxt < self.data_end and nxt + min(self.mss, self.data_end - nxt) <= self.snd_una + self.window:
            self._push(probe=True)              # new data (tcp_snd_wnd_test()): one segment
        else:
            flags, seq, n = self.last_seg
            if seq + n > self.snd_una:
                self._send(flags, seq, n)
                self._sent_at(seq + n)
        self._arm()

    def _sent_at(self, end: int) -> None:
        """Note when the data segment ending at ``end`` was sent again, and that it was
        (``retransmitted``, which today's RTT sample asks, ``_sample_rtt``).  ``tx_time`` stays in sequence
        order: new data ends past ``snd_max`` and goes last; a resend updates its segment's
        entry in place, and only one with new boundaries (after a timeout) sorts it again."""
        tx = self.tx_time
        tx[end] = self.sim.now
        self.retransmitted.add(end)
        if end < self.snd_max and next(reversed(tx)) == end:
            # it was new, and went last: sort in place (_push holds this dict)
            entries = sorted(tx.items())
            tx.clear()
            tx.update(entries)

    def _stop_timer(self) -> None:
        self.deadline = None
        if self.timer_ev is not None:
            self.sim.cancel(self.timer_ev)
            self.timer_ev = None

    # -- opening ----------------------------------------------------------------------------

    def connect(self) -> None:
        self.snd_nxt = self.snd_max = self.iss + 1
        self.rtt_seq, self.rtt_start = self.iss + 1, self.sim.now
        self._set_state(SYN_SENT)
        self._send("S", self.iss)
        self._arm()

    def accept_syn(self, pkt: Packet) -> None:
        """A listening socket's child: SYN received, answer SYN+ACK."""
        self.irs = pkt.l4.seq
        self.rcv_nxt = self.irs + 1
        if pkt.l4.tsval is not None:
            self.ts_recent = pkt.l4.tsval       # tcp_openreq_init(): the SYN's TSval
        self.snd_nxt = self.snd_max = self.iss + 1
        self.rtt_seq, self.rtt_start = self.iss + 1, self.sim.now
        self._set_state(SYN_RECEIVED)
        self._send("SA", self.iss)
        self._arm()

    # -- sending data -----------------------------------------------------------------------

    def write(self, nbytes: int) -> None:
        self.data_end += nbytes
        self._push()

    def close(self) -> None:
        if self.fin_queued or self.state is CLOSED or self.state is TIME_WAIT:
            return
        self.fin_queued = True
        self._push()

    def _push(self, probe: bool = False) -> None:
        """Send what the windows allow (``tcp_write_xmit()``); a loss ``probe``: one new
        segment, whatever the congestion window allows."""
        if self.snd_nxt >= self.data_end and not self.fin_queued:
            return                                  # nothing to send (most calls, at a receiver)
        if self.state not in _CAN_SEND:
            return
        nxt, data_end = self.snd_nxt, self.data_end
        # the data, the window: the congestion window in whole segments, as Linux counts it
        # (snd_cwnd is in packets, tcp_cwnd_test()): none shorter than mss for lack of a few bytes
        cwnd, mss = self.cwnd, self.mss
        if probe:
            stop = min(data_end, nxt + mss, self.snd_una + self.window)
        else:
            stop = self.snd_una + min(self.window, cwnd - cwnd % mss)
            # held back by the receive window: more data than it lets out, and a congestion window
            # as large (cc none's is the window itself) outside recovery
            if stop < data_end and cwnd >= self.window and self.ca_state is CA_OPEN:
                if self.rwnd_since < 0:
                    self.rwnd_since, self.rwnd_una = self.sim.now, self.snd_una
            else:
                if self.rwnd_since >= 0:
                    self._rwnd_chrono_stop()
                if stop > data_end:
                    stop = data_end
        sent = nxt < stop
        if sent:
            now = self.sim.now
            if self.refused_at == now:
                # The device refused a segment of this connection at this very microsecond
                # (below), and has no room before its oldest packet leaves, later: not tried
                # again now (one event can call _push twice -- the application's write, then
                # the ACK's), which would be refused again, one refusal logged twice.
                stop, sent = nxt, self.snd_nxt > self.snd_una
            # tcp_event_data_sent(): data sent within ato of receiving is an interactive answer
            answer = self.ato and now - self.lrcvtime < self.ato
            tx_time, snd_max = self.tx_time, self.snd_max
            while nxt < stop:
                n = min(mss, stop - nxt)
                end = nxt + n
                flags = "PA" if end == data_end else "A"
                if not self._send(flags, nxt, n):
                    self.refused_at = now
                    # This host's own device dropped it (its queue full): as tcp_write_xmit()
                    # stops when tcp_transmit_skb() fails, the segment is not sent -- snd_nxt
                    # stays, and it goes with the next ACK's _push, or, with nothing in flight
                    # to bring one, once the device has room.
                    sent = self.snd_nxt > self.snd_una
                    if not sent and self.wake_ev is None:
                        self.wake_ev = self.sim.at(self.dst_cache[1].next_room() - now + 1, self._wake)
                    break
                if answer:
                    self.pingpong += 1
                self.last_seg = (flags, nxt, n)
                if end > snd_max:
                    tx_time[end] = now              # new data: last in tx_time (see _sent_at)
                else:
                    self._sent_at(end)
                if self.rtt_seq is None:
                    self.rtt_seq, self.rtt_start = end, now
                self.snd_nxt = nxt = end
        if self.snd_nxt > self.snd_max:
            self.snd_max = self.snd_nxt
        if self.fin_queued and self.snd_nxt == self.data_end:
            now = self.sim.now
            # tcp_send_fin() queues the FIN like data and pushes it through tcp_write_xmit(): one
            # this host's device refuses is not sent either -- snd_nxt stays, and it goes as a
            # refused data segment does (above).  (Still counted as an IP OutRequest, as
            # __ip_local_out() counts each packet before the queueing discipline can drop it.)
            if self.refused_at != now and self._send("FA", self.snd_nxt):
                self.snd_nxt += 1
                self.snd_max = max(self.snd_max, self.snd_nxt)
                sent = True
            else:
                self.refused_at = now
                sent = self.snd_nxt > self.snd_una
                if not sent and self.wake_ev is None:
                    self.wake_ev = self.sim.at(self.dst_cache[1].next_room() - now + 1, self._wake)
            # tcp_close() moved the state (tcp_close_state()) before it called tcp_send_fin()
            if self.state is ESTABLISHED:
                self._set_state(FIN_WAIT_1)
            elif self.state is CLOSE_WAIT:
                self._set_state(LAST_ACK)
        if sent and (self.deadline is None or self.probe_due):
            self._arm_after_send()

    def _rwnd_chrono_stop(self) -> None:
        """The receive window no longer holds the sender back: count the time it did."""
        self.rwnd_limited += self.sim.now - self.rwnd_since
        self.rwnd_acked += self.snd_una - self.rwnd_una
        self.rwnd_since = -1

    def rwnd_limited_time(self, until: int) -> tuple[int, int]:
        """(µs, bytes acknowledged in them) the receive window held the sender back, an
        episode not yet over counted to ``until``."""
        if self.rwnd_since < 0:
            return self.rwnd_limited, self.rwnd_acked
        return (self.rwnd_limited + max(0, until - self.rwnd_since),
                self.rwnd_acked + self.snd_una - self.rwnd_una)

    def _wake(self) -> None:
        self.wake_ev = None
        self._push()

    def _retransmit_first(self) -> None:
        """Resend the oldest unacknowledged segment (or SYN, SYN+ACK, FIN)."""
        self.rtt_seq = None
        if self.state is SYN_RECEIVED:
            self.synack_retransmits += 1
        if self.state in _OPENING or self.snd_una < self.data_end or self.fin_queued:
            flags, seq, n = self._first_unacked()
            self._send(flags, seq, n)               # (a SYN or SYN+ACK sent again is timed by
            if n:                                   # the TSecr of its answer, _sample_rtt)
                self._sent_at(seq + n)

    def _on_rto(self) -> None:
        self.retries += 1
        if self.rwnd_since >= 0:            # the wait was the timer's, not the window's
            self._rwnd_chrono_stop()
        if self.retries == 1:               # tp->retrans_stamp: when the segment now resent first left
            tx = self.tx_time
            self.retrans_stamp = tx[next(iter(tx))] if tx else self.sim.now - self.rto
        linear = self.profile.syn_linear_timeouts if self.state is SYN_SENT else 0
        # tcp_write_timeout(): a SYN is retried tcp_syn_retries times more after its linear ones
        limit = {SYN_SENT: self.profile.syn_retries + linear, SYN_RECEIVED: SYNACK_RETRIES}.get(self.state, RETRIES2)
        if self.fin_queued and self.state in (FIN_WAIT_1, CLOSING, LAST_ACK):
            limit = ORPHAN_RETRIES          # the application closed it: an orphan (tcp_orphan_retries)
        if self.profile.retries_by_time and self.state not in _OPENING:
            # today's tcp_write_timeout(): the time the limit's backoff would take, from the first
            # retransmission's segment (retransmits_timed_out(), tcp_model_timeout())
            expired = self.retries > 1 and self.sim.now - self.retrans_stamp >= model_timeout(limit)
        else:
            expired = self.retries > limit  # 2.4, and the handshake today: a count
        if expired:
            self.sim.trace.emit(Ev.DROP, self.host.name, self._make(*self._first_unacked()),
                                     Drop.RETRIES)
            self._abort()
            return
        if self.retries > linear:                   # tcp_retransmit_timer(): icsk_backoff is
            self.rto = min(self.rto * 2, RTO_MAX)   # past tcp_syn_linear_timeouts: exponential backoff
        if self.reno:                               # RFC 5681 (7): back to one segment
            # tcp_enter_loss() (2.4 and today): ssthresh is halved once an episode ("if it has
            # not yet been made inside this window"): in Open, or in Loss at its first timeout
            # (icsk_retransmits still 0), or once all before the episode is acknowledged; not
            # again on a backed-off timeout (as RFC 5681 3.1 holds it when the segment was
            # already resent by the timer), nor in Recovery, whose fast retransmit halved it
            # (Linux's rule: the RFC would halve again)
            if (self.ca_state is CA_OPEN or self.snd_una >= self.high_seq
                    or (self.ca_state is CA_LOSS and self.retries == 1)):
                self.ssthresh = self._recalc_ssthresh()
            self.cwnd = self.mss
        # tcp_enter_loss(): the Loss state until all that was sent is acknowledged; with reno
        # its duplicate ACKs start no fast retransmit (RFC 6582 3.2, steps 4 and 2)
        self.ca_state, self.high_seq = CA_LOSS, self.snd_max
        self._retransmit_first()
        if self.state not in _OPENING:
            self.snd_nxt = min(self.snd_nxt, self.snd_una + self.mss) if self.snd_una < self.data_end else self.snd_nxt
        self._arm()

    def _abort(self) -> None:
        self._stop_timer()
        self._set_state(CLOSED)
        self.host.tcp_forget(self)
        if self.on_close:
            self.on_close(self)

    # -- receiving --------------------------------------------------------------------------

    def segment(self, pkt: Packet) -> None:
        """Process an arriving segment (RFC 9293 section 3.10.7, in brief): in SYN-SENT
        (3.10.7.3); otherwise check the RST bit, the SYN bit, the ACK field, then take
        the segment text and the FIN (3.10.7.4)."""
        tcp = pkt.l4
        flags = tcp.flags
        st = self.state
        if st is SYN_SENT:
            self._syn_sent_arrives(tcp, flags)
            return
        # the 32-bit number read as an absolute one; most segments carry the one expected next
        # (the test of the kernel's header prediction), which is rcv_nxt itself
        rcv_nxt = self.rcv_nxt
        seq = rcv_nxt if tcp.seq == rcv_nxt & 0xFFFFFFFF else _unwrap(tcp.seq, rcv_nxt)
        if "R" in flags:
            self._check_rst(seq)
            return
        if "S" in flags:
            if tcp.tsval is not None and not self.profile.rfc5961_challenge_ack and st is not SYN_RECEIVED:
                # 2.4 keeps TS.Recent before it looks at the SYN bit (tcp_rcv_established()), so
                # the ACK of a SYN+ACK sent again echoes it; today the SYN is turned away first
                # (tcp_validate_incoming(): RFC 5961 4.2's challenge ACK) and tcp_ack(), which
                # keeps TS.Recent, is not reached.  In SYN_RECEIVED, 2.4 as today, the connection
                # is an open_request, and tcp_check_req() answers a SYN sent again with the
                # SYN+ACK (rtx_syn_ack()) and returns before it keeps a TSval (req->ts_recent):
                # the SYN+ACK still echoes the first SYN's
                self._replace_ts_recent(seq, seq + 1, tcp.tsval)
            self._check_syn(st, seq)
            return
        if "A" not in flags:
            return
        load, fin = pkt.load, "F" in flags
        if seq > rcv_nxt + self.window:
            # tcp_sequence() (2.4 and today): it starts past the window's right edge, and goes no
            # further than tcp_send_dupack(), which enters quick-ack mode only for data that
            # starts below rcv_nxt: a duplicate ACK, and the ACK field is not read
            self._send("A", self.snd_nxt)
            return
        if self.on_mp_opt is not None and tcp.mptcp:
            self.on_mp_opt(self, pkt)               # before the data: its mapping comes first
        if tcp.tsval is not None and self.profile.ts_recent_before_ack:
            self._replace_ts_recent(seq, seq + load + fin, tcp.tsval)
        if not self._check_ack(st, tcp, seq, load, fin) or self.state is CLOSED:
            return
        if load and self.fin_queued and self.state in _CLOSED_TO_READ and seq + load > self.rcv_nxt:
            self._data_after_close(pkt)
            return
        if load or fin:
            self._receive_data(seq, load, fin)
        if self.snd_nxt < self.data_end or self.fin_queued:
            self._push()                            # (at a receiver, mostly nothing to send)

    def _data_after_close(self, pkt: Packet) -> None:
        """New data for a socket its application has closed (``close()``, which here shuts
        both ways): nobody will ever read it.  RFC 1122 4.2.2.13 (the TCP "SHOULD send a RST
        to show that data was lost"); Linux, 2.4 as today, in FIN_WAIT1/FIN_WAIT2
        (``tcp_rcv_state_process``, counted as TCPAbortOnData): the connection is reset and
        the segment answered with a RST."""
        self.sim.trace.emit(Ev.DROP, self.host.name, pkt, Drop.DATA_AFTER_CLOSE)
        self.host.ip_output(rst_for(pkt, self.host.ip_header(self.local[0], self.remote[0])))
        self._abort()

    def _syn_sent_arrives(self, tcp: TCP, flags: str) -> None:
        """RFC 9293 3.10.7.3: an unacceptable ACK gets a RST; a RST with an acceptable
        ACK means refused; a SYN+ACK establishes the connection."""
        if "A" in flags and tcp.ack != (self.iss + 1) & 0xFFFFFFFF:
            if "R" not in flags:
                self._send("R", tcp.ack)
            return
        if "R" in flags:
            if "A" in flags:        # acceptable ACK (checked above): the peer refused
                self.reset = True
                self._abort()
            return                  # a RST without ACK is dropped (RFC 9293 3.10.7.3)
        if "S" in flags and "A" in flags:
            self.irs = tcp.seq
            self.peer_syn_opt = tcp.mptcp
            self.rcv_nxt = tcp.seq + 1
            self.snd_una = self.iss + 1
            if tcp.tsval is not None:           # tcp_rcv_synsent_state_process()
                self.ts_recent = tcp.tsval
            self._sample_rtt(self.iss + 1, tcp.tsecr)
            self.retries = 0
            self._stop_timer()
            self._established("syn+ack")
            self._send("A", self.snd_nxt)
            if self.on_established:
                self.on_established(self)
            self._push()

    def _check_rst(self, seq: int) -> None:
        """A RST in the window: 2.4 resets wherever it falls; with RFC 5961 (3.2,
        ``tcp_validate_incoming()``) only one at exactly ``rcv_nxt`` does, another gets a
        challenge ACK.  In TIME-WAIT (``tcp_timewait_state_process()``, 2.4 as today) a RST at
        exactly ``rcv_nxt`` kills the socket -- "TIME_WAIT assassination", RFC 1337, as
        ``tcp_rfc1337`` is 0 by default -- and any other is ignored; the application closed
        the connection before, and hears nothing: the connection was not reset."""
        if self.state is TIME_WAIT:
            if seq == self.rcv_nxt:
                self._set_state(CLOSED)
                self.host.tcp_forget(self)
            return
        if self.rcv_nxt <= seq < self.rcv_nxt + self.window:
            if seq == self.rcv_nxt or not self.profile.rfc5961_challenge_ack:
                self.reset = True
                self._abort()
            else:
                self.challenge_acks += 1
                self._send("A", self.snd_nxt)

    def _check_syn(self, st: TcpState, seq: int) -> None:
        if st is SYN_RECEIVED and seq == self.irs:
            self._retransmit_first()            # a retransmitted SYN: answer again
        else:
            self._send("A", self.snd_nxt)       # e.g. a duplicate SYN+ACK: re-ACK it

    def _check_ack(self, st: TcpState, tcp: TCP, seq: int, load: int, fin: bool) -> bool:
        """The ACK field: the handshake's last ACK, new data acknowledged, or a duplicate
        ACK.  False when the segment goes no further.  Today's kernel keeps the segment's TSval
        here (``_replace_ts_recent``), once the ACK is accepted."""
        # (a receiver's segments acknowledge nothing new: their ACK field is snd_una itself)
        snd_una = self.snd_una
        ack = snd_una if tcp.ack == snd_una & 0xFFFFFFFF else _unwrap(tcp.ack, snd_una)
        ts_in_ack = tcp.tsval is not None and not self.profile.ts_recent_before_ack
        if st is SYN_RECEIVED:
            if ack != self.iss + 1:
                self._send("R", tcp.ack)
                return False
            if ts_in_ack:                           # tcp_check_req(): once the ACK is checked
                self._replace_ts_recent(seq, seq + load + fin, tcp.tsval)
            self._sample_rtt(ack, tcp.tsecr)
            self.snd_una = ack
            self.retries = 0
            self._stop_timer()
            self._established("ack" if load == 0 and not fin else "data")
            if self.on_established:
                self.on_established(self)
        elif ack > self.snd_max:
            self._send("A", self.snd_nxt)           # acks something never sent
            return False
        else:
            if ts_in_ack and ack >= snd_una:        # tcp_ack(): not an old ACK (see _replace_ts_recent)
                self._replace_ts_recent(seq, seq + load + fin, tcp.tsval)
            if ack > snd_una:
                self._new_ack(ack, tcp.tsecr)
            elif ack == snd_una and load == 0 and snd_una < self.snd_max and not fin:
                self._dup_ack()
        return True

    def _new_ack(self, ack: int, tsecr: int | None = None) -> None:
        """``ack`` acknowledges new data (its segment echoed the timestamp ``tsecr``): the RTT,
        the recovery state and the window, the timer, then the owner."""
        self._sample_rtt(ack, tsecr)
        acked = ack - self.snd_una
        self.snd_una = ack
        if self.snd_nxt < ack:
            self.snd_nxt = ack
        self.retries = 0
        self.dupacks = 0
        self.probed = False
        ca_state = self.ca_state
        if ca_state is not CA_OPEN:
            if ack >= self.high_seq or not self.reno:
                self._end_recovery()            # (``none``: any new ACK ends an episode)
            elif ca_state is CA_RECOVERY:
                self._partial_ack(acked)
        if self.reno and ca_state is not CA_RECOVERY:
            self._open_cwnd()
        if self.snd_una >= self.snd_max:
            self._stop_timer()
        else:
            self._arm_after_send()
        if self.fin_queued:
            self._acked()                       # our FIN may be acknowledged: the state moves
        if self.on_acked:
            self.on_acked(self)

    def _dup_ack(self) -> None:
        """A duplicate ACK.  The third starts fast retransmit and fast recovery (RFC 5681,
        ``tcp_fastretrans_alert()``'s ``tcp_time_to_recover()`` for a sender without SACK), but
        only when the cumulative ACK is past ``high_seq``, the end of the last episode (RFC
        6582 3.2, step 2): the duplicates of segments sent before a retransmission timeout, or
        of a recovery just over, say nothing new (2.4's "Hold old state until something *above*
        high_seq is ACKed.  For Reno it is MUST to prevent false fast retransmits"); ``none``,
        whose episodes end at any new ACK, does not check.  In Recovery each duplicate
        inflates Reno's window: a segment has left the network."""
        self.dupacks += 1
        if self.ca_state is CA_RECOVERY:
            if self.reno:
                self.cwnd += self.mss
        elif self.dupacks == 3 and (self.snd_una > self.high_seq or not self.reno):
            self.fast_retransmits += 1
            self.ca_state, self.high_seq = CA_RECOVERY, self.snd_max
            if self.reno:                       # halve the window, inflated by the three
                self.ssthresh = self._recalc_ssthresh()                         # duplicates
                self.cwnd = self.ssthresh + 3 * self.mss
            self._retransmit_first()

    def _recalc_ssthresh(self) -> int:
        """The slow-start threshold after a loss: half the congestion window in whole segments,
        at least two -- 2.4's ``tcp_recalc_ssthresh()``, today's ``tcp_reno_ssthresh()``
        (``max(snd_cwnd >> 1, 2)``).  RFC 5681's equation (4) halves the data in flight instead;
        the two differ when the window is not full: a sender with less to send, or one in Loss,
        whose window regrows from one segment while all sent before the timeout counts as
        still in flight."""
        return max((self.cwnd // self.mss >> 1) * self.mss, 2 * self.mss)

    def _partial_ack(self, acked: int) -> None:
        """NewReno (RFC 6582 3.2, step 3, partial acknowledgments): an ACK in Recovery that
        acknowledges new data but not all up to ``high_seq`` shows the next hole: resend it at
        once, without waiting for three more duplicates or the timeout, and stay in Recovery.
        2.4 does the same without SACK (``tcp_try_undo_partial()``: "Partial ACK arrived.
        Force Hoe's retransmit"), unless its timestamps show the first resend was needless
        (``tcp_may_undo()``): then it undoes the reduction and resends nothing.  Not modelled
        (the echoed timestamps are there, but not the undo's bookkeeping -- ``retrans_stamp``
        compared with the echo, ``tcp_undo_cwr()``): here every partial ACK resends.  The window deflates by the data acknowledged and
        gains one segment back: what it lets out stays about what has left the network."""
        if self.reno:
            self.cwnd = max(self.cwnd - acked + (self.mss if acked >= self.mss else 0), self.mss)
        self._retransmit_first()

    def _end_recovery(self) -> None:
        """The end of a Recovery or Loss episode.  With ``reno``, a full ACK: all sent before it
        began is acknowledged (RFC 6582 3.2, step 3, full acknowledgments), and a Recovery's
        window deflates to the halved one (``ssthresh``, the RFC's second choice), but to no
        more than three segments beyond what is still in flight: the RFC asks that choice to
        avoid a burst, and 2.4 never sends one here -- when the ACK ends exactly at
        ``high_seq``, ``tcp_try_undo_recovery()`` caps the window at the flight plus
        ``tcp_max_burst()`` (3 segments, ``tcp_moderate_cwnd()``); past it,
        ``tcp_complete_cwr()`` takes ``min(snd_cwnd, snd_ssthresh)`` of a window that
        ``tcp_cwnd_down()`` has held at the flight plus one on every ACK of the recovery.  Slow
        start then takes the window back up to ``ssthresh``.  A Loss's window has grown from
        one segment by slow start."""
        if self.reno and self.ca_state is CA_RECOVERY:
            in_flight = self.snd_max - self.snd_una
            self.cwnd = min(self.ssthresh, in_flight + 3 * self.mss, self.window)
        self.ca_state = CA_OPEN

    def _open_cwnd(self) -> None:
        """RFC 5681 outside fast recovery: slow start below ssthresh, one segment per round
        trip above it."""
        if self.cwnd < self.ssthresh:
            self.cwnd += self.mss
        else:
            self.cwnd += max(1, self.mss * self.mss // self.cwnd)
        self.cwnd = min(self.cwnd, self.window)

    def _established(self, by: str) -> None:
        self.established_by = by
        self.established_at = self.sim.now
        self._set_state(ESTABLISHED)

    def _acked(self) -> None:
        fin_acked = self.fin_queued and self.snd_una == self.data_end + 1
        if fin_acked:
            if self.state is FIN_WAIT_1:
                self._set_state(FIN_WAIT_2)
            elif self.state is CLOSING:
                self._time_wait()
            elif self.state is LAST_ACK:
                self._stop_timer()
                self._set_state(CLOSED)
                self.host.tcp_forget(self)
                if self.on_close:
                    self.on_close(self)

    def _receive_data(self, seq: int, n: int, fin: bool) -> None:
        """``tcp_data_queue()``: data in order is taken (with what it lets out of the
        out-of-order queue), other data is queued out of order, or dropped as a duplicate;
        then the ACK, at once or delayed (``__tcp_ack_snd_check()``).  A duplicate -- data
        all received before: the peer did not hear our ACK -- and data that starts exactly at
        the window's right edge (a zero-window probe; ``tcp_sequence()`` turned away any that
        starts past it, ``segment``) enter quick-ack mode, 2.4 and today
        (``out_of_window: tcp_enter_quickack_mode()``).
        In 2.4 (and until 2018: "tcp: do not force quickack when receiving out-of-order
        packets") out-of-order and partly new data entered it too, and the data that filled
        the hole left ping-pong mode (``tp->ack.pingpong = 0`` once the out-of-order queue
        is empty; today it is ACKed at once, ``ICSK_ACK_NOW``): the profile's
        ``ofo_quickack``.  A FIN is acknowledged at once in FIN_WAIT_1 and FIN_WAIT_2
        (``tcp_fin()``: ``tcp_send_ack()``); in ESTABLISHED ``tcp_fin()`` enters ping-pong
        mode instead (2.4: ``tp->ack.pingpong = 1``; today ``inet_csk_enter_pingpong_mode()``),
        so its ACK is delayed like any other and rides on the FIN the application answers
        with, as the lab's capture shows (the server's FIN+ACK, no ACK of its own)."""
        # every path schedules an ACK (inet_csk_schedule_ack(): tcp_event_data_recv(),
        # tcp_data_queue_ofo(), out_of_window, tcp_fin())
        self.ack_scheduled = True
        rcv_nxt, ooo = self.rcv_nxt, self.ooo
        if seq > rcv_nxt:
            if seq < rcv_nxt + self.window:
                ooo[seq] = max(ooo.get(seq, 0), n)
                if fin:
                    self.ooo_fin = seq + n
                if self.profile.ofo_quickack:
                    self._enter_quickack_mode()
            else:                                   # at the right edge: out_of_window too
                self._enter_quickack_mode()
            self._send("A", self.snd_nxt)           # duplicate ACK
            return
        if seq + n + fin <= rcv_nxt:                # all of it received before
            self._enter_quickack_mode()
            self._send("A", self.snd_nxt)
            return
        new = seq + n - rcv_nxt                     # bytes not received before
        got = 0
        if new > 0:
            rcv_nxt += new
            got = new
        if seq < self.rcv_nxt and self.profile.ofo_quickack:
            self._enter_quickack_mode()             # 2.4: a partial packet, too
        end_fin = fin and seq + n == rcv_nxt
        filled = False
        if ooo:
            while rcv_nxt in ooo:                   # fill from the out-of-order queue
                m = ooo.pop(rcv_nxt)
                rcv_nxt += m
                got += m
            for s in [s for s in ooo if s < rcv_nxt]:
                del ooo[s]
            if rcv_nxt == self.ooo_fin:             # the FIN that came early is reached:
                end_fin, self.ooo_fin = True, None  # one sequence number, taken below, no byte
            filled = not ooo
        if end_fin:
            rcv_nxt += 1
            if self.state is ESTABLISHED:
                self.pingpong = PINGPONG_THRESH     # tcp_fin(): the answer should carry the ACK
        self.rcv_nxt = rcv_nxt
        if filled and self.profile.ofo_quickack:
            self.pingpong = 0                       # 2.4: the hole is filled (after tcp_fin())
        if got:
            self.bytes_received += got
            if self.on_rx:      # MPTCP's data level takes the bytes before this ACK is built
                self.on_rx(self, got)               # (mptcp_data_ready(), then the DSS's ack)
        if new > 0:
            self._event_data_recv()
        if ooo or got > new or (end_fin and self.state is not ESTABLISHED):
            # out-of-order data still queued, a filled hole, a FIN in FIN_WAIT_1/2: at once
            self._send("A", self.snd_nxt)
        elif got or end_fin:                        # quick-ack mode (2.4 and today)
            self._ack_snd_check()
        if got:
            if self.on_data:
                self.on_data(self, got)             # the application may answer with data...
        if end_fin:
            self._peer_fin()
        if self.ack_sent != self.rcv_nxt and self.state is not CLOSED:
            self._delayed_ack()                     # ...which carries the ACK; else delay it

    def _peer_fin(self) -> None:
        if self.state is ESTABLISHED:
            self._set_state(CLOSE_WAIT)
        elif self.state is FIN_WAIT_1:
            self._set_state(CLOSING)
        elif self.state is FIN_WAIT_2:
            self._time_wait()
        if self.on_fin:
            self.on_fin(self)

    def _time_wait(self) -> None:
        self._stop_timer()
        self._set_state(TIME_WAIT)
        self.sim.at(TIME_WAIT_LEN, self._time_wait_done, daemon=True)
        if self.on_close:
            self.on_close(self)

    def _time_wait_done(self) -> None:
        if self.state is TIME_WAIT:
            self._set_state(CLOSED)
            self.host.tcp_forget(self)

    def _replace_ts_recent(self, seq: int, end_seq: int, tsval: int) -> None:
        """``tcp_replace_ts_recent()`` (2.4 and today; RFC 7323 4.3): keep as TS.Recent, the
        timestamp our segments echo, the TSval of an acceptable segment that covers the left edge
        of the window we last announced -- Last.ACK.sent, Linux's ``rcv_wup``, here ``ack_sent``
        (``!after(seq, rcv_wup)``; ``tcp_sequence()`` turns away one that ends before it) -- and
        never an older one than is kept (``tcp_paws_check()``).  So an ACK held back echoes the
        earliest segment it acknowledges, not the latest; and a duplicate that reaches the edge,
        a resend, refreshes it.  (The kernel's header-prediction path, ``tcp_rcv_established()``,
        stores it under the same rule: ``rcv_nxt == rcv_wup`` for a segment at ``rcv_nxt``.)
        When: 2.4 keeps it before it reads the ACK field (``tcp_rcv_established()`` calls
        ``tcp_replace_ts_recent()`` before ``tcp_ack()``: the profile's ``ts_recent_before_ack``);
        since Linux 3.9 ("tcp: call tcp_replace_ts_recent() from tcp_ack()") ``tcp_ack()`` keeps
        it (``FLAG_UPDATE_TS_RECENT``) only after its two early exits, an old ACK (below
        ``snd_una``, ``old_ack``) and one for data never sent (``invalid_ack``): a segment whose
        ACK is turned away, or an old ACK that fills a hole, leaves TS.Recent as it was
        (``_check_ack``).  That is the kernel the lab ran (6.18.44); "tcp: refresh TS.Recent for
        accepted old ACKs" (1b92780ae4fc, September 2026, queued for the stable kernels in
        October) keeps it on ``old_ack`` too.  In TIME_WAIT, 2.4 as today,
        ``tcp_timewait_state_process()`` keeps it only from a bare ACK at ``rcv_nxt`` (a FIN
        sent again, below it, is ACKed with the TSval kept before).
        Not modelled: PAWS discarding a segment whose TSval is older than TS.Recent
        (``tcp_paws_discard()``), which the kernel's coarse clock and one-tick allowance rarely
        do within a connection's lifetime here."""
        if self.state is TIME_WAIT and not seq == end_seq == self.rcv_nxt:
            return
        ack_sent = self.ack_sent
        if seq <= ack_sent <= end_seq and (self.ts_recent is None or tsval >= self.ts_recent):
            self.ts_recent = tsval

    def _sample_rtt(self, ack: int, tsecr: int | None = None) -> None:
        """A round-trip sample from an ACK of new data (``FLAG_ACKED``), then Linux's estimator.
        The simulated TCP sends RFC 7323's timestamps with every segment (``_make``; they are
        simulation state, not an option on the wire) and ``tsecr`` is the one this ACK echoed.
        2.4 takes every sample from it, ``now - TSecr`` (``tcp_ack_update_rtt()``,
        ``tcp_ack_saw_tstamp()``); today's kernel times the oldest segment the ACK covers from
        when it was sent (``tcp_clean_rtx_queue()``'s ``seq_rtt_us``) unless one of them was
        retransmitted (``FLAG_RETRANS_DATA_ACKED``), and then reads the timestamp
        (``tcp_ack_update_rtt()``: ``tcp_rtt_tsopt_us()``).  Either way a retransmission is no
        obstacle -- Karn's rule is not needed -- so the backed-off timer is recomputed at once
        ("only reset backoff on valid RTT measurement").  Since the peer echoes the TSval of the
        segment at its left edge (``_replace_ts_recent``), an ACK that a retransmission of the
        peer's carries can echo a segment of ours sent long before: the sample is that long,
        though this end resent the segment a moment ago (a loss probe).  The timestamp clock is
        the simulation's, in µs; the kernel's ticks are 1 ms (today's ``TCP_TS_HZ``) or a
        jiffy (2.4: 10 ms at HZ=100), left out.  Without a timestamp (a segment not from a
        ``TcpConn``), Karn's rule: one segment at a time."""
        r = None
        now = self.sim.now
        if self.rtt_seq is not None and ack >= self.rtt_seq:
            r = now - self.rtt_start
            self.rtt_seq = None
        tx = self.tx_time
        retrans_acked = False
        if tx:
            first = next(iter(tx))              # tx_time is in sequence order
            if first <= ack:
                r = now - tx[first]
            retransmitted = self.retransmitted
            while tx and (end := next(iter(tx))) <= ack:
                del tx[end]
                if end in retransmitted:
                    retransmitted.discard(end)
                    retrans_acked = True
        if tsecr is not None and (r is None or retrans_acked or self.profile.rtt_by_tsecr):
            r = now - tsecr
        if r is not None:
            if r < self.rtt_min:                # tcp_update_rtt_min(), then the estimator
                self.rtt_min = r
            self._rtt_estimator(r, ack)

    def _rtt_estimator(self, m: int, ack: int) -> None:
        """Linux's ``tcp_rtt_estimator()`` and ``__tcp_set_rto()`` (2.4's are the same), in µs:
        srtt gains 1/8 of each error; ``mdev`` (4 x the mean deviation) 1/4, or 1/32 when the
        RTT fell; ``rttvar`` is the largest ``mdev`` of the current round trip, at least
        TCP_RTO_MIN, and falls by a quarter of its excess once a round (when the ACK passes
        ``rtt_round``); the timeout is srtt + rttvar -- srtt + 200 ms on a steady path, where
        RFC 6298 has max(1 s, srtt + 4 x rttvar)."""
        if self.srtt8:
            m -= self.srtt8 >> 3                # the error
            self.srtt8 += m
            if m < 0:
                m = -m - (self.mdev >> 2)
                if m > 0:
                    m >>= 3                     # the RTT fell: don't let it raise mdev much
            else:
                m -= self.mdev >> 2
            self.mdev += m
            if self.mdev > self.mdev_max:
                self.mdev_max = self.mdev
                if self.mdev_max > self.rttvar:
                    self.rttvar = self.mdev_max
            if ack > self.rtt_round:            # a round trip is over
                if self.mdev_max < self.rttvar:
                    self.rttvar -= (self.rttvar - self.mdev_max) >> 2
                self.rtt_round = self.snd_nxt
                self.mdev_max = RTO_MIN
        else:                                   # the first sample: rto = 3 x rtt, or rtt + 200 ms
            self.srtt8 = m << 3
            self.mdev = m << 1
            self.rttvar = self.mdev_max = max(self.mdev, RTO_MIN)
            self.rtt_round = self.snd_nxt
        self.srtt8 = max(1, self.srtt8)
        self.srtt = self.srtt8 >> 3
        self.rto = min(RTO_MAX, self.srtt + self.rttvar)

    _unwrap = staticmethod(_unwrap)         # (as sim.mptcp reads a subflow's sequence numbers)


_CAN_SEND = (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK)   # states that send data/FIN
_OPENING = (SYN_SENT, SYN_RECEIVED)
_CLOSED_TO_READ = (FIN_WAIT_1, FIN_WAIT_2)        # closed first by the application: it reads no more


def model_timeout(boundary: int, rto_base: int = RTO_MIN) -> int:
    """µs that ``boundary`` timeouts take, doubling from ``rto_base`` up to RTO_MAX: Linux's
    ``tcp_model_timeout()`` (tcp_retries2 = 15: 924.6 s)."""
    thresh = (RTO_MAX // rto_base).bit_length() - 1             # ilog2(TCP_RTO_MAX / rto_base)
    if boundary <= thresh:
        return ((2 << boundary) - 1) * rto_base
    return ((2 << thresh) - 1) * rto_base + (boundary - thresh) * RTO_MAX


def rst_for(pkt: Packet, ip: IP) -> Packet:
    """RFC 9293's answer to a segment that matches no connection."""
    tcp = pkt.l4
    if "A" in tcp.flags:
        l4 = TCP(tcp.dport, tcp.sport, tcp.ack, 0, "R", 0)
    else:
        seg_len = pkt.load + ("S" in tcp.flags) + ("F" in tcp.flags)
        l4 = TCP(tcp.dport, tcp.sport, 0, (tcp.seq + seg_len) & 0xFFFFFFFF, "RA", 0)
    return Packet(ip, l4, 0)
