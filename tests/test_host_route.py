"""A connection's segments leave by the route it keeps (``sk->dst_cache``), looked up again
once the host's routing table has changed."""
import sim
from sim.apps import Download, WebServer
from sim.core import Sim
from sim.topology import article_network
from sim.trace import Ev


def test_a_connection_takes_a_new_route_once_the_table_changes():
    s = Sim(seed=1, until=300_000)
    net = article_network(s, sim.make_params("connection-level").spec())
    local1, local2 = net["local1"], net["local2"]
    WebServer(net["remote1"], 80, 200_000)
    d = Download(local1, "200.0.0.1", 80, 200_000, 0)
    net.start()
    s.run()                                   # the download under way, by the router
    assert d.conn.dst_cache is not None and d.conn.dst_cache[2] == "192.168.0.254"
    assert local2.ifaces["eth0"].rx_packets == 0
    before = local1.ifaces["eth0"].tx_packets
    # ip route add 200.0.0.0/24 via 192.168.0.2: local2 is now the next hop (and drops them)
    local1.fib.add("200.0.0.0/24 via 192.168.0.2 dev eth0")
    s.until = None
    s.run()
    assert local1.ifaces["eth0"].tx_packets > before
    assert d.conn.dst_cache[2] == "192.168.0.2"
    assert local2.ifaces["eth0"].rx_packets == local1.ifaces["eth0"].tx_packets - before
    drops = [e for e in s.trace.events if e.ev is Ev.DROP and e.node == "local2"]
    assert drops and all(e.reason.value == "no route" for e in drops)
