"""``connmark``: connection-level balancing kept in conntrack marks, which no cache expiry
moves -- ``iifname "eth0" fib daddr type unicast ct state new ct mark 0 ct mark set numgen inc
mod N offset 1`` (the ``ct mark 0`` guard: a retransmitted SYN keeps its draw; book ch.10),
``meta mark set ct mark``,
``ip rule fwmark k table k``; unequal weights: ``numgen inc mod SUM map {...}``, as ``numgen``."""
from ..multipath import select_connmark, select_hash
from ..reasons import Invalid
from .base import Policy, fwmark_table, register


@register
class Connmark(Policy):
    name, rank, mark_tables = "connmark", 6, True
    help = "conntrack marks: each connection keeps its uplink"

    def __init__(self, router):
        super().__init__(router)
        self.counter = 0         # nftables' "numgen inc" counter, for new connections
        self.marks: dict = {}    # the LAN flow -> its mark (kept in its conntrack entry)
        # the LAN flows new to conntrack that left by another uplink than their mark's, its table
        # having lost its route (fwmark_table): flow -> the mark of the uplink they took, which
        # the recipe's postrouting rule (``ct state new ct mark set oifname map { "if1" : 1,
        # ... }``) made their ct mark.  While that table has no route the two marks route alike
        # (the mark drawn falls through to the main table, which has only the live line); the
        # mark taken decides once the table has its route back (``device_up``)
        self.taken: dict = {}

    def select(self, route, pkt):
        router = self.router
        if router.nat is not None and router.nat.invalid(pkt):
            # INVALID to conntrack: "ct state new" does not match, no ct mark, no fwmark
            nh, why = select_hash(route, pkt, router.sim.seed, False)
            return nh, Invalid(why)
        flow = pkt.flow()
        nh, why = select_connmark(route, self.marks, flow, self.counter + 1)
        self.counter += why.new
        out = fwmark_table(router, route, pkt, nh, why)
        if out[0] is not nh and (router.nat is None and why.new or
                                 router.nat is not None and router.nat.unreplied(flow, out[0].dev)):
            self.taken[flow] = int(out[0].dev[2:])      # "if1" -> 1: the table of that uplink
        return out

    def device_down(self, dev):
        # the ct mark lives in the conntrack entry: it goes with it, and the connection's
        # next packet is a new one that gets a new mark
        for flow in [f for f, mark in self.marks.items() if f"if{mark}" == dev]:
            del self.marks[flow]
            self.taken.pop(flow, None)

    def device_up(self, dev):
        # the ct marks the postrouting rule set while dev's table had no route: a connection
        # that left by the live line (and, under MASQUERADE, was bound there) keeps to it
        for flow, mark in self.taken.items():
            if flow in self.marks:
                self.marks[flow] = mark
        self.taken.clear()
