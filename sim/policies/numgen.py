"""``numgen``: today's per-packet balancing, the stand-in for equalize -- nftables
``meta mark set numgen inc mod N offset 1`` on the LAN side, ``ip rule fwmark k table k``;
unequal weights: ``numgen inc mod SUM map { 0 : 1, 1 : 1, 2 : 2 }`` (``sim.multipath.numgen_marks``)."""
from ..multipath import select_numgen
from .base import Policy, fwmark_table, register


@register
class Numgen(Policy):
    name, rank, per_packet, mark_tables = "numgen", 5, True, True
    help = "nftables numgen: each packet in turn (as many turns as its weight)"

    def __init__(self, router):
        super().__init__(router)
        self.counter = 0         # nftables' "numgen inc" counter

    def select(self, route, pkt):
        self.counter += 1
        nh, why = select_numgen(route, self.counter)
        return fwmark_table(self.router, route, pkt, nh, why)
