"""``hash-l3``, ``hash-l4``: modern Linux, no route cache; a hash of (src, dst), or of the
5-tuple, picks the nexthop by hash-threshold.  ``fib_multipath_hash_policy`` 0 or 1 came in 4.12;
4.4-4.11 had the hash of the addresses only (see ``sim.multipath``)."""
from ..multipath import select_hash
from .base import Policy, register


@register
class HashL3(Policy):
    name, rank = "hash-l3", 3
    help = "today's, no cache: a hash of the addresses (fib_multipath_hash_policy=0)"
    l4 = False

    def select(self, route, pkt):
        return select_hash(route, pkt, self.router.sim.seed, self.l4)


@register
class HashL4(HashL3):
    name, rank = "hash-l4", 4
    help = "today's, no cache: a hash of the 5-tuple (fib_multipath_hash_policy=1)"
    l4 = True
