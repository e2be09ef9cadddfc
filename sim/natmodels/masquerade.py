"""``masquerade``: today's MASQUERADE.  As ``snat``, and any later packet of the connection
in the original direction -- a retransmitted SYN or an unanswered echo as much as a
mid-stream ACK -- that leaves by another device than the binding's kills the entry and
is dropped (``nf_nat_oif_changed()``, called by ``nf_nat_inet_fn()`` both for
``IP_CT_NEW`` once the binding exists and for established packets).  The connection's
next packet makes a new entry (conntrack picks up a mid-stream TCP segment), bound to
*its* uplink; a reply that arrives meanwhile matches nothing and reaches the router's own
stack, which resets it.  A device going down destroys its entries (``nf_nat_masquerade``'s
device notifier)."""
from .base import NatModel, register


@register
class Masquerade(NatModel):
    name, rank = "masquerade", 4
    help = "today's MASQUERADE: a packet leaving by another uplink than its binding's is dropped"

    def egress_changed(self, ct, oif):
        return True      # nf_nat_oif_changed(): the masqueraded address belongs to another device
