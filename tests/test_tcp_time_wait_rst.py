"""A RST that reaches a socket in TIME-WAIT (``tcp_timewait_state_process()``): at exactly
``rcv_nxt`` it kills the socket (TIME-WAIT assassination, ``tcp_rfc1337`` = 0), else it is
ignored; the application closed the connection before and is told nothing, so the
connection's summary does not say "reset"."""
import sim
from sim.exercises import instance
from sim.trace import Ev

# Three uplinks, random equalize, public addresses (the Internet splits the download at random
# too): a reordered segment makes the server retransmit one the client already has; the client,
# in TIME-WAIT by then, ACKs it, and the server, closed, answers that ACK with a RST.  (With
# numgen the Internet alternates, and equal lines no longer reorder: that case is gone.)
PARAMS = dict(uplinks=3, ingress_filter=True, size=20000, remote="rfc", multipath="random", equalize=True,
              nat="none", uplink_addrs=["82.127.129.56", "151.97.169.60", "94.186.113.32"],
              remote_addrs=["31.244.114.117", "193.246.213.57"], port_base=51531, seed=1320)


def test_a_rst_in_time_wait_closes_the_socket_and_resets_nothing():
    r = sim.run("connection-level", **PARAMS)
    ev = r.events
    tw = [i for i, e in enumerate(ev) if e.ev is Ev.TCP and e.node == "local1" and str(e.new) == "TIME_WAIT"]
    rst = [i for i, e in enumerate(ev) if e.ev is Ev.DELIVER and e.node == "local1" and "R" in e.pkt.l4.flags]
    assert tw and rst and rst[0] > tw[0], (tw, rst)           # the case this test is about
    after = [e for e in ev[rst[0] + 1:] if e.ev is Ev.TCP and e.node == "local1"]
    assert [(str(e.old), str(e.new)) for e in after][:1] == [("TIME_WAIT", "CLOSED")]
    c = r.summary["connections"][0]
    assert c["complete"] and not c["reset"] and c["state"] == "CLOSED", c


def test_a_late_refusal_after_both_ends_closed_does_not_fail_a_working_router():
    """``two-links-config``: per-packet numgen with public addresses works; a seed whose run ends
    with that harmless RST once marked it wrong."""
    inst = instance("two-links-config", "s101", secret="")
    assert "multipath=numgen;nat=none" in inst.accepted, inst.accepted
    ok, text = inst.judge("multipath=numgen;nat=none")
    assert ok, text
