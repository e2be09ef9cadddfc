"""``netfilter``: Linux 2.4.0-2.4.22 netfilter MASQUERADE.  The binding is made for the first packet
of a connection (state NEW) with the address of the uplink it leaves by, and kept for
every later packet, whichever uplink it leaves by (``ip_nat_fn`` -> ``do_bindings``).
The source port is kept when the resulting tuple is unique (``get_unique_tuple``).  An
ICMP echo entry dies with the reply to the last echo still unanswered (an echo never
answered keeps it until its timeout): ``icmp_packet()`` counting the echoes in flight
(``proto.icmp.count``), as 2.4.32 does and 2.4.21's headers already provide for.  2.4.0's
``icmp_packet()`` had no count ("FIXME: Should keep count of orig - reply packets") and
destroyed the entry at the first reply; which release between brought the count is not
established here, so for ICMP echoes in flight together this model is the counting 2.4,
not 2.4.0 (one echo at a time, the two are the same).  Entries time out; a device going down flushes its
entries (``masq_device_event``).  That last is MASQUERADE's alone: 2.4's SNAT made and kept
its bindings the same way, but kept them when a device went down (it has no device
notifier), so a run of this model with a failing line shows MASQUERADE, not 2.4 SNAT."""
from .base import NatModel, register


@register
class Netfilter(NatModel):
    name, rank, icmp_dies_with_reply = "netfilter", 2, True
    help = ("Linux 2.4.0-2.4.22 MASQUERADE: one binding per connection, an echo entry dies with the reply "
            "to the last echo in flight (counted as later 2.4 does; 2.4.0 ended it at the first reply); "
            "a line going down forgets its bindings (2.4 SNAT kept them)")

    def invalid_first(self, flags):
        """2.4's ``tcp_new()`` (``ip_conntrack_proto_tcp.c``, ``tcp_conntracks[0][index][sNO]``):
        a SYN, a SYN+ACK, a FIN, an ACK and a RST all start an entry (SYN_SENT, SYN_SENT,
        TIME_WAIT, ESTABLISHED, CLOSE); only a segment with none of those flags is INVALID."""
        return not any(f in flags for f in "SFAR")
