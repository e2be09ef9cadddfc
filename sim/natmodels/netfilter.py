"""``netfilter``: Linux 2.4.0-2.4.22 netfilter MASQUERADE.  The binding is made for the first packet
of a connection (state NEW) with the address of the uplink it leaves by, and kept for
every later packet, whichever uplink it leaves by (``ip_nat_fn`` -> ``do_bindings``).
The source port is kept when the resulting tuple is unique (``get_unique_tuple``).  An
ICMP echo entry dies with its reply.  Entries time out; a device going down flushes its
entries (``masq_device_event``)."""
from .base import NatModel, register


@register
class Netfilter(NatModel):
    name, rank, icmp_dies_with_reply = "netfilter", 2, True
    help = "Linux 2.4.0-2.4.22 MASQUERADE: one binding per connection, an echo entry dies with its reply"

    def invalid_first(self, flags):
        """2.4's ``tcp_new()`` (``ip_conntrack_proto_tcp.c``, ``tcp_conntracks[0][index][sNO]``):
        a SYN, a SYN+ACK, a FIN, an ACK and a RST all start an entry (SYN_SENT, SYN_SENT,
        TIME_WAIT, ESTABLISHED, CLOSE); only a segment with none of those flags is INVALID."""
        return not any(f in flags for f in "SFAR")
