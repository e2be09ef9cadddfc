"""``wrr``: what 2.4's ``fib_select_multipath()`` really does -- credit-based weighted round
robin over the route's credits, drawn by ``jiffies`` in a stock kernel.  The equalize patch
(equalize_2.4.18.patch) replaced ``w = jiffies % fi->fib_power`` with ``w = mp_counter++ %
fi->fib_power`` in ``fib_select_multipath()`` itself, so a patched kernel draws by the global
counter for every multipath route, equalize or not: here a router whose ``patched`` is set (the
Linux router of an equalize run, and the Internet that mirrors it).  With two nexthops of weight
1 the draw changes nothing: the first nexthop with a credit left wins (``(w -= nh_power) <= 0``
with w 0 or 1), so the credits alone make it alternate; with three or more the draw orders them
within each round (w can be 2: the first is skipped), each still taken once a round."""
from ..multipath import HZ, select_wrr
from .base import Policy, register


@register
class Wrr(Policy):
    name, rank, cached = "wrr", 2, True
    help = "2.4's fib_select_multipath(): weighted round robin at each cache miss"

    def __init__(self, router):
        super().__init__(router)
        self.counter = 0         # the equalize patch's global counter (replaces jiffies)

    def select(self, route, pkt):
        if self.router.patched:     # the patch: w = mp_counter++ % fib_power, for every route
            c = self.counter
            self.counter += 1
            return select_wrr(route, c, "counter")
        return select_wrr(route, self.router.sim.now * HZ // 1_000_000, "jiffies")
