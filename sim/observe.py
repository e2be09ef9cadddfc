"""What a user can observe in a trace: which uplink a packet left by, which events
happened where.  Shared by the tests, the exercises and the book."""
from __future__ import annotations

from .trace import Ev


def uplink_hops(result, direction: str = "up") -> list[tuple[int, str, object]]:
    """(event index, uplink device, packet) for every packet the router sent up an uplink
    (``direction="up"``) or received from one (``"down"``)."""
    out = []
    for i, e in enumerate(result.events):
        if e.ev is not Ev.HOP or not e.node.startswith("uplink"):
            continue
        if direction == "up" and e.from_.startswith("router:"):
            out.append((i, e.from_.split(":")[1], e.pkt))
        elif direction == "down" and e.to.startswith("router:"):
            out.append((i, e.to.split(":")[1], e.pkt))
    return out


def events(result, ev: Ev, node: str | None = None) -> list:
    """The events of kind ``ev`` (at ``node``)."""
    return [e for e in result.events if e.ev is ev and (node is None or e.node == node)]


def drops(result, reason: str, node: str | None = None) -> list:
    """The drops whose reason reads ``reason`` (e.g. "ingress filter")."""
    return [e for e in events(result, Ev.DROP, node) if e.reason.value == reason]
