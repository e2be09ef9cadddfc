"""What a user observes in a trace: which uplink a packet left by, what the remote saw."""
from sim.trace import Ev


def uplink_hops(result, direction="up"):
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


def events(result, ev, node=None):
    return [e for e in result.events if e[1] is ev and (node is None or e[2] == node)]


def drops(result, reason, node=None):
    return [e for e in events(result, Ev.DROP, node) if e[4][0].value == reason]


def handshake_ack_uplink(result):
    """(uplink of the SYN, uplink of the handshake's pure ACK) for the first connection."""
    ups = uplink_hops(result)
    syn = next(dev for _, dev, p in ups if p.proto == 6 and p.l4.flags == "S")
    ack = next(dev for _, dev, p in ups if p.proto == 6 and p.l4.flags == "A" and p.load == 0)
    return syn, ack
