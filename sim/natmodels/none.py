"""``none``: public LAN addresses, nothing is translated.  The router gets no conntrack
table at all, and the providers and the Internet route the LAN prefix back to it."""
from .base import NatModel, register


@register
class NoNat(NatModel):
    name, rank, translates = "none", 5, False
    help = "no NAT: the LAN's addresses are public"
