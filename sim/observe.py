"""What a user can observe in a trace: which uplink a packet left by, which events
happened where.  Shared by the tests, the exercises and the book."""
from __future__ import annotations

from .trace import Ev


def uplink_hops(result, direction: str = "up") -> list[tuple[int, str, object]]:
    """(event index, uplink device, packet) for every packet the router sent up an uplink
    (``direction="up"``) or received from one (``"down"``)."""
    out = []
    for i, (t, ev, node, pkt, info) in enumerate(result.events):
        if ev is not Ev.HOP or not node.startswith("uplink"):
            continue
        src, dst = info
        if direction == "up" and src.startswith("router:"):
            out.append((i, src.split(":")[1], pkt))
        elif direction == "down" and dst.startswith("router:"):
            out.append((i, dst.split(":")[1], pkt))
    return out


def events(result, ev: Ev, node: str | None = None) -> list[tuple]:
    """The events of kind ``ev`` (at ``node``)."""
    return [e for e in result.events if e[1] is ev and (node is None or e[2] == node)]


def drops(result, reason: str, node: str | None = None) -> list[tuple]:
    """The drops whose reason reads ``reason`` (e.g. "ingress filter")."""
    return [e for e in events(result, Ev.DROP, node) if e[4][0].value == reason]
