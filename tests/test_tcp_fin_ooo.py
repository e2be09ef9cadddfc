"""A FIN that arrives before the data it follows (reordered on the way) waits in the
out-of-order queue; once the missing data fills the hole, the connection takes the FIN:
it moves to CLOSE_WAIT, tells the application, and counts no byte for it."""
from __future__ import annotations

import sim
from sim.core import Sim
from sim.packet import IP, TCP, Packet
from sim.tcp import TcpConn, TcpState

IRS = 70_000


def _conn():
    from sim.topology import article_network
    host = article_network(Sim(seed=1), sim.make_params("echo").spec())["local1"]
    c = TcpConn(host, ("192.168.0.1", 4242), ("200.0.0.1", 7))
    c.state, c.irs, c.rcv_nxt = TcpState.ESTABLISHED, IRS, IRS + 1
    c.snd_una = c.snd_nxt = c.snd_max = c.data_end = c.iss + 1
    return c


def _seg(c, flags, seq, load=0):
    return Packet(IP("200.0.0.1", "192.168.0.1", 64, 1, 0),
                  TCP(7, 4242, seq, (c.iss + 1) & 0xFFFFFFFF, flags, 65535), load)


def test_a_fin_before_its_data_is_taken_when_the_hole_fills():
    c = _conn()
    fins, got = [], []
    c.on_fin = fins.append
    c.on_data = lambda conn, n: got.append(n)
    c.segment(_seg(c, "FA", IRS + 1 + 100))             # the FIN, 100 bytes early
    assert c.state is TcpState.ESTABLISHED and c.rcv_nxt == IRS + 1 and not fins
    c.segment(_seg(c, "PA", IRS + 1, 100))              # the 100 bytes
    assert c.rcv_nxt == IRS + 1 + 100 + 1               # the data and the FIN acknowledged
    assert c.bytes_received == 100 and got == [100]     # the FIN is no byte
    assert c.state is TcpState.CLOSE_WAIT and fins == [c]
    assert c.ack_sent == c.rcv_nxt                      # acknowledged at once
    assert not c.ooo and c.ooo_fin is None


def test_a_fin_with_data_after_a_hole_too():
    c = _conn()
    c.segment(_seg(c, "A", IRS + 1 + 50, 50))           # bytes 50..99, early
    c.segment(_seg(c, "FA", IRS + 1 + 100, 30))         # bytes 100..129 and the FIN, early
    c.segment(_seg(c, "PA", IRS + 1, 50))               # bytes 0..49: everything in order
    assert c.bytes_received == 130 and c.rcv_nxt == IRS + 1 + 130 + 1
    assert c.state is TcpState.CLOSE_WAIT
