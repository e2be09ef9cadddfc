"""``snat``: today's SNAT (``snat to ADDR`` per uplink).  The binding is kept as in 2.4, but
an ICMP echo entry lives until its timeout, so consecutive echoes with one id are one
connection; a FIN, a RST or a SYN+ACK that finds no entry is INVALID and leaves
untranslated.  A device going down leaves the bindings in place -- to an address that
no longer works (no ``nf_nat_masquerade`` notifier for SNAT)."""
from .base import NatModel, register


@register
class Snat(NatModel):
    name, rank, forgets_on_device_down = "snat", 3, False
    help = "today's SNAT: as 2.4's binding, echo entries live until their timeout"
