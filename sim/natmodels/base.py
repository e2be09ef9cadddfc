"""What every NAT model is, and the registry of them."""
from __future__ import annotations

from ..packet import FlowTuple


class NatModel:
    """The named behaviours of one NAT model; one instance per conntrack table
    (``sim.nat.Nat``), which asks it whenever the models differ, and which holds the
    model's own state (the article's port counters).  The defaults are today's
    nf_conntrack with SNAT (``nf_nat_inet_fn``); a model overrides what differs.

    ``name``, ``help``: what the CLI and the live player show; ``rank``: its place in
    those lists.  ``translates``: False only for public LAN addresses (the router then
    has no NAT at all, and the Internet routes the LAN prefix back to it).
    ``per_packet``: each packet is bound by the uplink it leaves by, in that uplink's own
    table, keyed ``(tuple, oif)`` (the article's stateless NAT); otherwise one binding per
    connection, made by its first packet and keyed by its tuple (``do_bindings``).
    ``icmp_dies_with_reply``: an ICMP echo entry is destroyed by the reply to the last echo
    still unanswered (``icmp_packet`` of 2.4.32, which counts them; 2.4.0's destroyed the entry
    at the first reply, and which release between brought the count is not established here),
    rather than living until its timeout.
    ``forgets_on_device_down``: a device going down destroys the entries bound to it
    (``masq_device_event``, ``nf_nat_masquerade``'s notifier) -- SNAT's are kept."""
    name: str = ""
    help: str = ""
    rank: int = 100
    translates: bool = True
    per_packet: bool = False
    icmp_dies_with_reply: bool = False
    forgets_on_device_down: bool = True

    def __init__(self, nat):
        self.nat = nat

    def key(self, t: FlowTuple, oif: str):
        """The key of the entry ``t`` leaving by ``oif`` finds or makes in ``by_orig``."""
        return (t, oif) if self.per_packet else t

    def port(self, oif: str, proto: int, dst: str, dport: int, addr: str, sport: int) -> int:
        """The external port of a new binding to ``addr`` (``oif``'s address):
        ``get_unique_tuple`` keeps the source port if the reply tuple is unique, else takes
        the first free port of the same class (1-511, 600-1023, 1024-65535).

        "First free" is the simulator's simplification; which free port a kernel takes
        differs.  2.4's ``tcp_unique_tuple()``/``udp_unique_tuple()`` start from a static
        counter that every search moves on (``port++``) and that is shared by all
        connections, so successive clashes get ports spread through the class; today's
        ``nf_nat_l4proto_unique_tuple()`` starts at a random offset (``get_random_u16()``,
        earlier ``prandom_u32()``) and tries at most ``NF_NAT_MAX_ATTEMPTS``; and 2.4's
        ``icmp_unique_tuple()`` searches the whole 16-bit id range from its own static
        counter, with no classes.  So the number a clashing connection gets here is not
        the one a kernel would give; which connections clash, and that each gets a port of
        its own, are."""
        free = self.nat.free
        if free(proto, dst, dport, addr, sport):
            return sport
        lo, hi = (1, 511) if sport < 512 else (600, 1023) if sport < 1024 else (1024, 65535)
        for port in range(lo, hi + 1):
            if free(proto, dst, dport, addr, port):
                return port
        raise RuntimeError("no free port")   # 64k live connections to one server: not in our scenarios

    def invalid_first(self, flags: str) -> bool:
        """``tcp_new()``: is a TCP segment with ``flags`` that finds no entry INVALID (it
        starts none and is not translated: it leaves with its private source address)?
        Today (``nf_conntrack_proto_tcp.c``, window tracking since 2.6.9) a RST, a FIN or a
        SYN+ACK is; a SYN starts an entry and a bare ACK is picked up mid-stream
        (``nf_conntrack_tcp_loose``)."""
        return "R" in flags or "F" in flags or ("S" in flags and "A" in flags)

    def egress_changed(self, ct, oif: str) -> bool:
        """A later packet of ``ct`` in the original direction leaves by ``oif``, not by
        the binding's device ``ct.dev``: True kills the entry and drops the packet.
        By default the binding is kept: the packet leaves ``oif`` with ``ct.dev``'s address."""
        return False


REGISTRY: dict[str, type[NatModel]] = {}


def register(cls: type[NatModel]) -> type[NatModel]:
    """Class decorator: make the NAT model known by its ``name``."""
    if not cls.name or cls.name in REGISTRY:
        raise ValueError(f"NAT model name {cls.name!r} missing or taken")
    REGISTRY[cls.name] = cls
    return cls
