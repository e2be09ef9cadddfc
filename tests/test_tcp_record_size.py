"""What a stored TCP segment costs (issue 16's goal 3: at most 120 bytes a stored trace event).
Only a SYN can carry RFC 7323's Window Scale, so the option rides in the record's options field
(``TCP.opt``, read as ``wscale`` and ``mptcp``), not in a field of every segment; and the window
field of every segment after the SYN is one int shared by all of them, not a new one each."""
import sys

import sim
from sim.bench import GOAL_BYTES, memory
from sim.packet import TCP, MpCapable, SynOptions
from sim.pcap import tcp_option, to_bytes


def _segments(r):
    return [e.pkt for e in r.events if e.ev.value == "send" and type(e.pkt.l4) is TCP]


def test_a_segment_has_no_field_of_its_own_for_the_window_scale():
    assert "wscale" not in TCP._fields
    seg = TCP(5000, 80, 1, 0, "A", 46720, None, 7, 3)
    assert sys.getsizeof(seg) == sys.getsizeof(tuple(range(len(TCP._fields)))) == sys.getsizeof(tuple(range(9)))
    assert seg.wscale is None and seg.mptcp is None


def test_a_syn_with_mptcp_and_the_window_scale_keeps_both_options():
    r = sim.run("mptcp", size=20_000, rwnd=200_000)
    syn = next(p for p in _segments(r) if p.l4.flags == "S")
    assert type(syn.l4.opt) is SynOptions and syn.l4.wscale == 2 and type(syn.l4.mptcp) is MpCapable
    # NOP and Window Scale (4 bytes), MP_CAPABLE (4): both on the wire, and in the length
    raw = to_bytes(syn)
    assert syn.wire_len() == len(raw) == 20 + 20 + 4 + 4
    assert tcp_option(raw, 3) == bytes([2]) and tcp_option(raw, 30) is not None
    assert "options [mptcp capable,nop,wscale 2]" in syn.summary()
    d = syn.to_dict()
    assert list(d)[-4:] == ["window", "mptcp", "wscale", "load"] and d["mptcp"] == ("capable",) and d["wscale"] == 2
    # the segments after the handshake carry MPTCP's option alone, as the field itself
    data = [p for p in _segments(r) if p.load]
    assert data and all(p.l4.wscale is None and p.l4.opt is p.l4.mptcp is not None for p in data)
    assert {p.l4.mptcp.form for p in data} == {"capable-data", "dss"}


def test_every_segment_after_the_syn_shares_one_window_int():
    for rwnd in (None, 200_000):
        r = sim.run("connection-level", size=50_000, **({"rwnd": rwnd} if rwnd else {}))
        c = r.apps["downloads"][0].conn
        rest = [p for p in _segments(r) if "S" not in p.l4.flags and "R" not in p.l4.flags
                and (p.ip.src, p.l4.sport) == c.local]
        assert len(rest) > 10 and {p.l4.window for p in rest} == {c.window >> c.wscale}
        assert len({id(p.l4.window) for p in rest}) == 1


def test_a_stored_event_is_within_the_goal_with_room_to_spare():
    """The bench's own measure (tracemalloc, a 2 MB download with the trace on): 113.97 bytes on
    2026-12-06; 119.96 with the Window Scale a field of every segment and a new window int each."""
    assert memory(2_000_000)["per_event"] <= GOAL_BYTES - 4
