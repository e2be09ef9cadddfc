"""``article``: the article's model, a stateless NAT per uplink.  Every packet that leaves
uplink *k* gets uplink *k*'s address and a port from uplink *k*'s own table (the
article's 6000 on if1, 7000 on if2, ports handed out in turn); replies are translated back
by the uplink they arrive on.  No connection tracking decides anything: no segment is
INVALID, and an egress change just finds (or makes) the binding in the other table."""
from .base import NatModel, register

PORT_BASE = 5000      # if1 -> 6000, if2 -> 7000, if3 -> 8000 ...


@register
class Article(NatModel):
    name, rank, per_packet = "article", 1, True
    help = "the article's per-uplink NAT: each packet bound by the uplink it leaves by"

    def __init__(self, nat):
        super().__init__(nat)
        #: the next port each uplink's table hands out
        self.next_port = {dev: PORT_BASE + 1000 * (i + 1) for i, dev in enumerate(nat.uplinks)}

    def port(self, oif, proto, dst, dport, addr, sport):
        """The uplink's next free port, in turn."""
        while True:
            port = self.next_port[oif]
            self.next_port[oif] += 1
            if self.nat.free(proto, dst, dport, addr, port):
                return port

    def invalid_first(self, flags):
        return False
