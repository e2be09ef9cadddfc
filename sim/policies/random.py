"""``random``: the article's description of 2.4 multipath -- a random nexthop, in proportion
to the weights, at each route cache miss."""
from ..multipath import select_random
from .base import Policy, register


@register
class Random(Policy):
    name, rank, cached = "random", 1, True
    help = "the article's 2.4: a random uplink at each route cache miss"

    def select(self, route, pkt):
        return select_random(route, self.router.sim.rng)
