"""MPTCP (RFC 8684 v1), reduced to what the book needs: the handshake (MP_CAPABLE, MP_JOIN
with the token, keys and HMACs), DSS mappings and data ACKs, and re-injection at the data
level when a subflow stalls, as Linux's net/mptcp does it (read in mainline as of 2025,
protocol.c at commit 00d46be3: ``__mptcp_retrans()``, ``mptcp_subflow_get_retrans()``,
``mptcp_set_timeout()``; pm.c: the stale logic).  A server (``MptcpServer``) serving one download per session,
and a client (``MptcpDownload``) opening its subflows from one address and several ports.

The options on the wire are the records of ``sim.packet`` (``MpCapable``, ``MpJoin``,
``Dss``); a subflow is a plain ``TcpConn`` whose ``mp_opt`` hook supplies the option of
each segment it sends and whose ``on_mp_opt`` hook sees each option it receives.
"""
from __future__ import annotations

import hashlib
import hmac
from bisect import bisect_right
from dataclasses import dataclass, field
from operator import itemgetter

from .apps import REQUEST
from .packet import Dss, MpCapable, MpJoin
from .tcp import MSS, RTO_MIN, TcpState
from .trace import Ev

# net.mptcp.stale_loss_cnt (mptcp-sysctl.rst): a subflow that still has data out and has heard
# nothing through more than this many passes of the MPTCP retransmission timer is stale
STALE_LOSS_CNT = 4
# ... if another active subflow has been silent through fewer passes than this
# (mptcp_pm_subflows_chk_stale(): active_max_loss_cnt)
ACTIVE_MAX_LOSS_CNT = max(STALE_LOSS_CNT - 1, 1)
# the data the server's sendmsg() copies into one page fragment (struct mptcp_data_frag, 40
# bytes, heads a 32 KiB page, SKB_FRAG_PAGE_ORDER): the unit the data level retransmits.
# Idealised: fragments back to back from the first byte, where the kernel's fall wherever
# sk_page_frag() has room
DFRAG = 32768 - 40
_CAN_SEND = (TcpState.ESTABLISHED, TcpState.CLOSE_WAIT)    # __tcp_can_send()
# the payload of a full subflow segment: the MSS less the option every one carries once the
# connection is established, a DSS with a data ACK and a mapping (20 bytes), as
# tcp_current_mss() takes the established options' length (tcp_established_options():
# mptcp_established_options()) off the MSS -- so that a full segment fits the 1500-byte line
# as plain TCP's does.  (The kernel's, book/data/kernel/mptcp.pcapng, carry 1424 bytes: its
# DSS has an 8-byte data ACK (24 bytes), and its timestamps take 12 more, which the simulated
# TCP keeps as state, not on the wire: sim.packet.TCP)
SUBFLOW_MSS = MSS - Dss(data_ack=0, mapping=((0, 1),)).length()


def _pieces(maps: list, off: int, n: int) -> tuple:
    """The (dsn, length) pieces of subflow bytes ``off``..``off + n`` under ``maps``
    (a list of (subflow offset, dsn, length) in offset order, each starting where the one
    before ends: ``MptcpServer._write``).  The search starts at the mapping holding ``off``,
    found by bisection: a scan from the first made a long download's cost grow with the
    square of its size (called for every segment sent, over a list that grows with each write)."""
    out = []
    end = off + n
    for i in range(max(bisect_right(maps, off, key=_offset) - 1, 0), len(maps)):
        m_off, dsn, length = maps[i]
        if m_off + length <= off:
            continue
        if m_off >= end:
            break
        a, b = max(off, m_off), min(end, m_off + length)
        out.append((dsn + a - m_off, b - a))
    return tuple(out)


_offset = itemgetter(0)


class _DataReceiver:
    """The receiving end of the data level: which DSNs have arrived on any subflow; the
    data ACK is the first one missing.  A byte that comes twice (re-injected) counts once."""

    def __init__(self):
        self.maps: dict = {}                # subflow -> {offset: pieces} from the DSS options
        self.got: list = []                 # sorted, merged [start, end) DSN ranges
        self.data_ack = 0                   # relative: 0 is the peer's first data byte
        self.base = None                    # the peer's IDSN + 1 (from its key), low 32 bits

    def mapping(self, c, pkt, pieces=None) -> None:
        """Record where the data of segment ``pkt`` sits (its DSS mapping, or ``pieces``:
        (relative DSN, length) the caller knows otherwise)."""
        if pieces is None:
            opt = pkt.l4.mptcp
            if type(opt) is not Dss or not opt.mapping or not pkt.load or self.base is None:
                return
            pieces = tuple(((dsn - self.base) & 0xFFFFFFFF, n) for dsn, n in opt.mapping)
        off = c._unwrap(pkt.l4.seq, c.rcv_nxt) - (c.irs + 1)
        self.maps.setdefault(c, {})[off] = pieces

    def ack(self) -> int | None:
        """The data ACK as it goes on the wire (the peer's numbering, low 32 bits)."""
        return None if self.base is None else (self.base + self.data_ack) & 0xFFFFFFFF

    def delivered(self, c, n: int) -> int:
        """``n`` more bytes of subflow ``c`` are in order: fold their DSNs in; returns how
        many bytes the data level gained."""
        a, b = c.bytes_received - n, c.bytes_received
        before = self.data_ack
        for off, pieces in list(self.maps.get(c, {}).items()):
            length = sum(k for _, k in pieces)
            if off + length <= a or off >= b:
                if off + length <= a:
                    del self.maps[c][off]
                continue
            pos = off
            for dsn, k in pieces:
                lo, hi = max(a, pos), min(b, pos + k)
                if lo < hi:
                    self._add(dsn + lo - pos, dsn + hi - pos)
                pos += k
        return self.data_ack - before

    def _add(self, lo: int, hi: int) -> None:
        got = self.got
        got.append([lo, hi])
        got.sort()
        merged = [got[0]]
        for r in got[1:]:
            if r[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], r[1])
            else:
                merged.append(r)
        self.got = merged
        if merged[0][0] <= self.data_ack:
            self.data_ack = max(self.data_ack, merged[0][1])


@dataclass(slots=True, eq=False)
class MptcpSession:
    """One MPTCP connection as the server holds it (Linux's ``struct mptcp_sock``, in brief).
    Data sequence numbers here are relative: 0 is the server's first data byte."""
    token: int                          # the key's token: how an MP_JOIN names the session
    key: int                            # the server's key
    base: int                           # the wire DSN of data byte 0 (IDSN + 1, low 32 bits)
    subflows: list                      # the TcpConns, in the order they came
    client_key: int | None = None       # known from the third ACK: then joins are accepted
    wanted: int = 0                     # data bytes to send (set by the request)
    dsn_next: int = 0                   # the next data byte to give a subflow (first_pending)
    snd_nxt: int = 0                    # past the highest data byte given to any subflow
    data_una: int = 0                   # the first data byte not data-acknowledged (snd_una)
    timer_ival: int = RTO_MIN           # the data-level retransmission timeout (µs)
    rtx_due: int | None = None          # when the data-level retransmission timer expires
    rtx: list | None = None             # ... and its pending event
    maps: dict = field(default_factory=dict)        # subflow -> [(subflow offset, dsn, length)]
    rcv_tstamp: dict = field(default_factory=dict)  # subflow -> when it last heard a segment
    stale_count: dict = field(default_factory=dict)     # subflow -> timer passes without a word
    stale_rcv_tstamp: dict = field(default_factory=dict)    # ... its rcv_tstamp when they began
    stale: set = field(default_factory=set)         # subflows given up as stale
    closed: bool = False                # the client's FIN came: every subflow closed
    rx: _DataReceiver = field(default_factory=_DataReceiver)   # the client's data (its request)


class MptcpServer:
    """The server side of MPTCP (RFC 8684), reduced to what the book needs.  Subflows are
    tied to a session by the token in their SYN's MP_JOIN option -- not by addresses,
    which NAT rewrites.  The session serves ``size`` bytes of data, spread over the subflows, each given
    more whenever it has room in its window.  Every byte gets a DSN; every data segment
    says in its DSS option which DSNs it carries.  When the data ACK has not moved for the
    data-level timeout, the first fragment not data-acknowledged goes again on a subflow with
    nothing outstanding, if there is one (``__mptcp_retrans()``); a subflow that has data out
    and hears nothing for more than ``STALE_LOSS_CNT`` such timeouts is stale, and all the
    data not data-acknowledged is queued to go again on the others -- as it is when a
    subflow closes (a reset, or TCP giving up: ``mptcp_close_ssk()``).

    The trace says each step (``Ev.APP``, the subflow by its number, 1 the first): "mptcp
    re-injects data on subflow N" (the timer re-sent a fragment: Linux's
    ``mptcpi_bytes_retrans``), "mptcp finds subflow N stale" and "mptcp loses subflow N" (the
    bytes queued to go again, none sent yet), "mptcp re-injects queued data on subflow N"
    (bytes of that queue handed to a subflow).

    Simplified: DATA_FIN.  The client's FIN on any subflow ends the session, and the server
    closes every subflow (a FIN each, after any data still unacknowledged): what Linux does
    once the DATA_FIN exchange has closed the connection (``mptcp_check_data_fin_ack()``:
    ``mptcp_shutdown_subflows()``; ``__mptcp_destroy_sock()``: ``__mptcp_close_ssk()``,
    ``__tcp_close()``), so that a subflow whose line is dead is an orphan and gives up after
    ``tcp_orphan_retries``.  So the data-level timer stops with the last data ACK, where
    Linux keeps it while its DATA_FIN is unacknowledged (``mptcp_data_fin_enabled()``) and
    re-sends the DATA_FIN at each expiry; and ``net.mptcp.close_timeout`` (60 s: a session
    whose DATA_FIN exchange never completes is fast-closed, ``mptcp_close_tout_expired()``)
    never comes into it.  Not modelled: backup subflows, the data-level receive window, and the
    subflows' send queues beyond their windows: each subflow is handed what its window can send
    now, in subflow order, where Linux's scheduler (``mptcp_subflow_get_send()``: the lowest
    linger time) hands bursts of up to ``MPTCP_SEND_BURST_SIZE`` (64 KB) that wait in the chosen
    subflow's send queue.  So with the slow line's subflow first, the kernel lab's download
    (``sim.kernel compare mptcp --uplink-kbit 2000,8000``) can end slower than the fast line alone,
    its last bytes queued behind the slow subflow while the fast one is idle; the simulator's
    does not.  Modelling the scheduler alone does not close that gap: send queues, the linger
    time from each subflow's pacing rate, 64 KB bursts and the send buffers (tried, December
    2026) made the simulator's slow-first and fast-first downloads end within a tenth of each
    other whatever the variant, where the kernel's slow-first runs ran at 5300-7300 kbit/s and
    its fast-first ones at 9100-9400.  In ``ss`` samples of a slow-first kernel run the slow
    subflow keeps about 110 KB queued throughout and the fast one is often idle, its data held
    at the MPTCP socket's send buffer; here each subflow's window stops at 32 segments and a
    line queues 64 packets, where the lab's shaped lines queue 16.6 and 54 KB.  So the order's
    effect looks like one of the TCP and line-queue models first (an inference from those
    samples, not a run that shows it)."""

    def __init__(self, host, port: int, size: int):
        self.size = size
        self.sessions: dict[int, MptcpSession] = {}
        self.children = []
        self.host = host
        host.listen(port, self._accept)

    # -- a SYN arrives -------------------------------------------------------------------------

    def _accept(self, c) -> bool | None:
        """A SYN arrived (its SYN+ACK not sent yet): MP_CAPABLE starts a session, MP_JOIN
        with the token of a fully established one joins it, plain TCP is not ours to feed.
        A join we cannot take -- an unknown token, or a session whose first subflow is not
        fully established (the third ACK, with the client's key, not here yet) -- is refused
        (False: the host answers with a reset), as Linux refuses it: subflow_check_req()
        fails (MPTCP_MIB_JOINNOTOKEN, or !mptcp_can_accept_new_subflow()) and
        subflow_v4_route_req() sends a reset (RFC 8684 3.2)."""
        opt = c.peer_syn_opt
        if type(opt) is MpJoin:
            s = self.sessions.get(opt.token)
            if s is None or s.client_key is None:
                return False
        self.children.append(c)
        if type(opt) is MpJoin:
            self._attach(self._join(c, s, opt), c)
        elif type(opt) is MpCapable:
            self._attach(self._new_session(c), c)
        return None

    def _new_session(self, c) -> MptcpSession:
        """MP_CAPABLE: a new session; the SYN+ACK carries the server's key."""
        key = self.host.sim.rng.randrange(1, 1 << 64)
        token = mptcp_token(key)
        c.syn_opt = MpCapable(sender_key=key)
        s = self.sessions[token] = MptcpSession(token, key, wire_dsn(key, 0), [c])
        return s

    def _join(self, c, s: MptcpSession, opt: MpJoin) -> MptcpSession:
        """MP_JOIN: the SYN+ACK carries a truncated HMAC of both keys and both nonces."""
        s.subflows.append(c)
        nonce = self.host.sim.rng.randrange(1 << 32)
        mac = mptcp_hmac(s.key, s.client_key, nonce, opt.nonce)
        c.syn_opt = MpJoin(hmac=mac[:8], nonce=nonce)
        return s

    def _attach(self, s: MptcpSession, c) -> None:
        """Hook subflow ``c`` to session ``s``: its data, options, ACKs and FIN."""
        s.maps[c] = []
        c.mss = SUBFLOW_MSS
        c.on_rx = lambda c, n: s.rx.delivered(c, n)
        c.on_data = lambda c, n: self._on_data(s, c, n)
        c.on_mp_opt = lambda c, pkt: self._on_option(s, c, pkt)
        c.mp_opt = lambda c, seq, load: self._option_for(s, c, seq, load)
        c.on_established = lambda c: self._fill(s)
        c.on_acked = lambda c: self._on_acked(s, c)
        c.on_fin = lambda c: self._close(s)
        c.on_close = lambda c: self._subflow_closed(s, c)

    # -- what a subflow hears ------------------------------------------------------------------

    def _on_data(self, s: MptcpSession, c, n: int) -> None:
        """Bytes in order on subflow ``c`` (the data level has them: ``on_rx``): the first
        whole request starts the download."""
        if c.bytes_received >= REQUEST and not s.wanted:
            s.wanted = self.size
        self._fill(s)

    def _on_option(self, s: MptcpSession, c, pkt) -> None:
        """An MPTCP option from the client: its key (third ACK, or first data), or a DSS:
        a mapping of its data and a data ACK of ours."""
        opt = pkt.l4.mptcp
        s.rcv_tstamp[c] = self.host.sim.now           # tcp_ack(): tp->rcv_tstamp
        if type(opt) is MpCapable and opt.receiver_key is not None:
            s.client_key = opt.sender_key
            s.rx.base = wire_dsn(opt.sender_key, 0)
            if opt.data_level_length is not None:           # ... and its first data
                s.rx.mapping(c, pkt, ((0, opt.data_level_length),))
            return
        if type(opt) is not Dss:
            return
        s.rx.mapping(c, pkt)
        if opt.data_ack is not None:
            self._data_acked(s, (opt.data_ack - s.base) & 0xFFFFFFFF)

    def _data_acked(self, s: MptcpSession, rel: int) -> None:
        """The data ACK moved (``__mptcp_clean_una()``): the timer starts again, or stops
        once every byte is acknowledged and none is left to send."""
        if s.data_una < rel <= s.snd_nxt:
            s.data_una = rel
            s.dsn_next = max(s.dsn_next, rel)       # re-sent data acknowledged meanwhile
            if rel == s.snd_nxt and s.dsn_next >= s.wanted:
                self._stop_timer(s)
            else:
                self._reset_timer(s)

    def _on_acked(self, s: MptcpSession, c) -> None:
        self._fill(s)

    def _close(self, s: MptcpSession) -> None:
        """The client's FIN: the session is over, and every subflow is closed (its FIN queued
        behind whatever it still has unacknowledged; one whose line is dead is an orphan and
        gives up after ``tcp_orphan_retries``) -- Linux's ``__mptcp_destroy_sock()`` once
        the DATA_FIN exchange is done (DATA_FIN itself is not modelled: see the class)."""
        s.closed = True
        self._stop_timer(s)
        for sf in s.subflows:
            sf.close()

    def _subflow_closed(self, s: MptcpSession, c) -> None:
        """Subflow ``c`` is CLOSED.  Reset or given up while the session runs, with data not
        data-acknowledged: ``mptcp_close_ssk()`` -> ``__mptcp_close_ssk(MPTCP_CF_PUSH)``
        queues all of it to go again (``__mptcp_retransmit_pending_data()``) and pushes it
        on the subflows left."""
        if s.closed or s.data_una >= s.snd_nxt:
            return
        self._requeue(s, f"mptcp loses subflow {s.subflows.index(c) + 1}")
        self._fill(s)

    def _requeue(self, s: MptcpSession, what: str) -> None:
        """``__mptcp_retransmit_pending_data()``: every byte not data-acknowledged is to go
        again (``first_pending`` = the rtx queue's head); nothing is sent yet."""
        self.host.sim.trace.emit(Ev.APP, self.host.name, None, what, s.snd_nxt - s.data_una)
        s.dsn_next = s.data_una

    def _option_for(self, s: MptcpSession, c, seq: int, load: int) -> Dss:
        """The DSS of a segment subflow ``c`` sends: the data ACK, and where its bytes
        sit in the data."""
        if not load:
            return Dss(s.rx.ack(), (), 0)
        return Dss(s.rx.ack(), tuple(((s.base + dsn) & 0xFFFFFFFF, n)
                                     for dsn, n in _pieces(s.maps[c], seq - (c.iss + 1), load)),
                   seq - c.iss)

    # -- sending -------------------------------------------------------------------------------

    def _write(self, s: MptcpSession, sf, dsn: int, n: int, what: str = "mptcp re-injects queued data") -> None:
        """Hand ``n`` data bytes from ``dsn`` on to subflow ``sf``; those sent before (below
        ``snd_nxt``) are traced as a re-injection (``what``, and the subflow's number)."""
        again = min(n, s.snd_nxt - dsn)
        if again > 0:
            self.host.sim.trace.emit(Ev.APP, self.host.name, None,
                                     f"{what} on subflow {s.subflows.index(sf) + 1}", again)
        off = sf.data_end - (sf.iss + 1)
        s.maps[sf].append((off, dsn, n))
        sf.write(n)

    def _fill(self, s: MptcpSession) -> None:
        """``__mptcp_push_pending()``: give each active subflow data from the send head
        (``dsn_next``) up to its window -- new data, or data queued to go again after a
        subflow went stale or closed -- and start the data-level timer if it does not run."""
        if s.closed or s.dsn_next >= s.wanted:
            return
        self._set_timeout(s)                    # the scheduler's pass over the subflows
        sent = False
        for sf in s.subflows:
            if s.dsn_next >= s.wanted:
                break
            if not self._active(s, sf):
                continue
            # its window in whole segments, as the subflow sends it (TcpConn._push: snd_cwnd
            # is in packets): a 32-segment window of MSS-sized bytes is 32 subflow segments and
            # 640 bytes, which would wait unsent -- and keep a closing subflow from its FIN
            room = sf.window - sf.window % sf.mss - (sf.data_end - sf.snd_una)
            n = min(room, s.wanted - s.dsn_next)
            if n > 0:
                self._write(s, sf, s.dsn_next, n)
                s.dsn_next += n
                s.snd_nxt = max(s.snd_nxt, s.dsn_next)
                sent = True
        if sent and s.rtx_due is None:
            self._reset_timer(s)

    # -- the data-level retransmission timer -----------------------------------------------------

    def _set_timeout(self, s: MptcpSession) -> None:
        """``mptcp_set_timeout()``: the time left on the retransmission timer of each subflow
        not yet silent through a data-level pass (``mptcp_timeout_from_subflow()``: its
        timer pending and ``!stale_count``), the longest of them; with none, 200 ms
        (``__mptcp_set_timeout()``: TCP_RTO_MIN)."""
        now = self.host.sim.now
        left = [sf.deadline - now for sf in s.subflows if sf.deadline is not None
                and sf.state in _CAN_SEND and not s.stale_count.get(sf, 0)]
        tout = max(left, default=0)
        s.timer_ival = tout if tout > 0 else RTO_MIN

    def _reset_timer(self, s: MptcpSession) -> None:
        """``mptcp_reset_rtx_timer()``: expire ``timer_ival`` from now.  Only the deadline
        moves; the pending event, when it fires early, sleeps again until it."""
        sim = self.host.sim
        s.rtx_due = sim.now + s.timer_ival
        if s.rtx is not None and s.rtx[0] > s.rtx_due:
            sim.cancel(s.rtx)
            s.rtx = None
        if s.rtx is None:
            s.rtx = sim.at(s.timer_ival, self._retrans, s)

    def _stop_timer(self, s: MptcpSession) -> None:
        s.rtx_due = None
        if s.rtx is not None:
            self.host.sim.cancel(s.rtx)
            s.rtx = None

    def _retrans(self, s: MptcpSession) -> None:
        """The timer fired: the data ACK has not moved for ``timer_ival``
        (``__mptcp_retrans()``).  Pick a subflow with nothing outstanding -- the pick counts
        a silent pass against every other one, and may declare one stale -- and send the
        first fragment not data-acknowledged again on it; with none, send nothing.  Then
        the timer starts again, and whatever is waiting to be sent is pushed."""
        sim = self.host.sim
        s.rtx = None
        if s.rtx_due is None:
            return
        if sim.now < s.rtx_due:
            s.rtx = sim.at(s.rtx_due - sim.now, self._retrans, s)
            return
        s.rtx_due = None
        if all(sf.state == TcpState.CLOSED for sf in s.subflows):
            return      # every subflow is gone (reset or given up): nothing left to send on
        if s.data_una < s.snd_nxt:                      # mptcp_rtx_head(): a fragment sent
            ssk = self._get_retrans(s)
            # the fragment holding data_una, trimmed to it, up to what has been sent of it
            # (its already_sent: after a stale pass, what the push in it sent)
            hi = min((s.data_una // DFRAG + 1) * DFRAG, s.dsn_next)
            if ssk is not None and hi > s.data_una:
                self._write(s, ssk, s.data_una, hi - s.data_una, "mptcp re-injects data")
        elif s.dsn_next >= s.wanted:
            return                                      # nothing sent, nothing to send
        self._reset_timer(s)
        self._fill(s)

    def _get_retrans(self, s: MptcpSession):
        """``mptcp_subflow_get_retrans()``: the first subflow that can send and has nothing
        unacknowledged or unsent (``tcp_rtx_and_write_queues_empty()``); each one that has is
        skipped, its silent passes counted (``mptcp_pm_subflow_chk_stale()``)."""
        pick = None
        for sf in s.subflows:
            if sf.state not in _CAN_SEND:
                continue
            if sf.snd_una < sf.data_end:
                self._chk_stale(s, sf)
                continue
            pick = pick or sf
        return pick

    def _chk_stale(self, s: MptcpSession, sf) -> None:
        """``mptcp_pm_subflow_chk_stale()``: one more data-level pass in which subflow ``sf``
        had data out; if it has heard a segment since the count began, the count starts
        over (and a stale subflow is active again)."""
        n = s.stale_count.get(sf, 0)
        if not n:
            s.stale_rcv_tstamp[sf] = s.rcv_tstamp.get(sf)
            s.stale_count[sf] = 1
        elif s.stale_rcv_tstamp[sf] == s.rcv_tstamp.get(sf):
            s.stale_count[sf] = n + 1
            self._subflows_chk_stale(s, sf)
        else:
            s.stale_count[sf] = 0
            s.stale.discard(sf)

    def _subflows_chk_stale(self, s: MptcpSession, sf) -> None:
        """``mptcp_pm_subflows_chk_stale()``: past ``STALE_LOSS_CNT`` silent passes, and with
        another active subflow silent through fewer than ``ACTIVE_MAX_LOSS_CNT``, ``sf`` is
        stale: the whole data-level retransmission queue is to go again
        (``__mptcp_retransmit_pending_data()``), and is pushed (``__mptcp_push_pending()``)."""
        if sf in s.stale or s.stale_count[sf] <= STALE_LOSS_CNT:
            return
        if not any(o is not sf and self._active(s, o) and s.stale_count.get(o, 0) < ACTIVE_MAX_LOSS_CNT
                   for o in s.subflows):
            return
        if sf.snd_una < sf.data_end:
            s.stale.add(sf)
            if s.data_una < s.snd_nxt:
                self._requeue(s, f"mptcp finds subflow {s.subflows.index(sf) + 1} stale")
        self._fill(s)

    @staticmethod
    def _active(s: MptcpSession, sf) -> bool:
        """``mptcp_subflow_active()``: it can send, and is not stale -- or was, and has heard
        a segment since."""
        if sf in s.stale:
            if s.rcv_tstamp.get(sf) == s.stale_rcv_tstamp.get(sf):
                return False
            s.stale.discard(sf)                         # mptcp_subflow_set_active()
        return sf.state in _CAN_SEND


class MptcpDownload:
    """A client fetching ``size`` bytes over ``subflows`` subflows: the first with
    MP_CAPABLE, the others joining with the session's token from new source ports
    (one address, several ports: what a host behind the article's router can do).
    The download is complete when the data level has every byte, whichever subflow
    brought it."""

    def __init__(self, host, server: str, port: int, size: int, subflows: int, start: int = 0):
        self.host = host
        self.server = server
        self.port = port
        self.size = size
        self.n = subflows
        self.start = start
        self.key = host.sim.rng.randrange(1, 1 << 64)
        self.base = wire_dsn(self.key, 0)
        self.server_key = None
        self.subflows = []
        self.rx = _DataReceiver()
        self.done_at: int | None = None
        host.sim.at(start, self._go)

    def _go(self) -> None:
        c = self._open(MpCapable())                 # a v1 SYN carries no key
        c.on_established = self._established

    def _open(self, opt: MpCapable | MpJoin):
        c = self.host.connect(self.server, self.port, syn_opt=opt)
        c.mss = SUBFLOW_MSS
        c.on_rx = self.rx.delivered
        c.on_data = self._data
        c.on_fin = lambda c: c.close()
        c.on_mp_opt = self._mp_opt_in
        third_ack = [True]

        def mp_opt(c, seq, load):
            if third_ack[0]:                        # the handshake's last word
                third_ack[0] = False
                last = self._third_ack(opt, c.peer_syn_opt)
                if last is not None:
                    return last
            return self._option_for(opt, c, seq, load)
        c.mp_opt = mp_opt
        self.subflows.append(c)
        return c

    def _third_ack(self, opt: MpCapable | MpJoin, peer) -> MpCapable | MpJoin | None:
        """The option of a subflow's third ACK: both keys after MP_CAPABLE (the server's
        learnt from its SYN+ACK), the full HMAC after MP_JOIN."""
        if type(opt) is MpCapable and type(peer) is MpCapable and peer.form == "capable-synack":
            self.server_key = peer.sender_key
            self.rx.base = wire_dsn(peer.sender_key, 0)
            return MpCapable(self.key, peer.sender_key)
        if type(opt) is MpJoin and type(peer) is MpJoin and peer.form == "join-synack":
            return MpJoin(hmac=mptcp_hmac(self.key, self.server_key, opt.nonce, peer.nonce))
        return None

    def _option_for(self, opt: MpCapable | MpJoin, c, seq: int, load: int) -> MpCapable | Dss:
        if load and type(opt) is MpCapable and seq == c.iss + 1 and self.rx.data_ack == 0:
            # the first data, before any data ACK: MP_CAPABLE again, keys and length
            return MpCapable(self.key, self.server_key, load)
        # the request is the client's data: it, too, is mapped (the client writes only
        # once, on the first subflow, so its subflow bytes are its data bytes)
        if not load:
            return Dss(self.rx.ack(), (), 0)
        return Dss(self.rx.ack(), (((self.base + seq - (c.iss + 1)) & 0xFFFFFFFF, load),),
                   seq - c.iss)

    def _established(self, c) -> None:
        c.write(REQUEST)

    def _mp_opt_in(self, c, pkt) -> None:
        """A DSS from the server: the first one says the third ACK arrived -- the connection
        is fully established, and only then does the path manager open the other subflows
        (``mptcp_pm_fully_established()``)."""
        if type(pkt.l4.mptcp) is not Dss:
            return
        self.rx.mapping(c, pkt)
        if len(self.subflows) == 1 and self.server_key is not None and self.n > 1:
            for _ in range(self.n - 1):
                self._open(MpJoin(token=mptcp_token(self.server_key),
                                  nonce=self.host.sim.rng.randrange(1 << 32)))

    def _data(self, c, n) -> None:
        if self.done_at is None and self.bytes >= self.size:
            self.done_at = self.host.sim.now
            self.host.sim.trace.emit(Ev.APP, self.host.name, None, "download complete", self.bytes)
            for sf in self.subflows:
                sf.close()

    @property
    def bytes(self) -> int:
        """Bytes of the connection's data in order at the data level."""
        return self.rx.data_ack


def wire_dsn(key: int, rel: int) -> int:
    """Data sequence number ``rel`` (0: the first data byte) as it goes on the wire: from
    the IDSN, the least significant 64 bits of SHA-256(key) (RFC 8684 3.1), plus one,
    in the 4 bytes of a DSS option without the 'm' flag."""
    idsn = int.from_bytes(hashlib.sha256(key.to_bytes(8, "big")).digest()[-8:], "big")
    return (idsn + 1 + rel) & 0xFFFFFFFF


def mptcp_token(key: int) -> int:
    """RFC 8684 3.2: the token is the most significant 32 bits of SHA-256(key)."""
    return int.from_bytes(hashlib.sha256(key.to_bytes(8, "big")).digest()[:4], "big")


def mptcp_hmac(key_a: int, key_b: int, nonce_a: int, nonce_b: int) -> bytes:
    """RFC 8684 3.2: HMAC-SHA256 keyed with ``key_a || key_b`` over ``nonce_a || nonce_b``
    (the SYN+ACK sends its first 64 bits, the third ACK all 160 it has room for)."""
    return hmac.new(key_a.to_bytes(8, "big") + key_b.to_bytes(8, "big"),
                    nonce_a.to_bytes(4, "big") + nonce_b.to_bytes(4, "big"), hashlib.sha256).digest()[:20]
