"""Words shared by the views: packet names, endpoints, node titles."""
from __future__ import annotations

from ..packet import ECHO_REPLY, ECHO_REQUEST, ICMP, TCP, UDP
from ..packet import fmt_endpoint as ep      # the article's notation: (192.168.0.1, 5000)


def pkt_name(pkt) -> str:
    """What a reader calls this packet: SYN, SYN+ACK, ACK, data, FIN, RST, echo request ..."""
    l4 = pkt.l4
    if type(l4) is TCP:
        f = l4.flags
        if "R" in f:
            return "RST"
        if "S" in f:
            return "SYN+ACK" if "A" in f else "SYN"
        if "F" in f:
            return "FIN"
        if pkt.load:
            return "data segment"
        return "ACK"
    if type(l4) is UDP:
        return "UDP datagram"
    if type(l4) is ICMP:
        return {ECHO_REQUEST: "echo request", ECHO_REPLY: "echo reply"}.get(l4.type, f"ICMP type {l4.type}")
    return "packet"


def short_name(pkt) -> str:
    n = pkt_name(pkt)
    return {"data segment": "data", "UDP datagram": "UDP", "echo request": "ping",
            "echo reply": "pong"}.get(n, n)


def pkt_detail(pkt) -> str:
    """What tells this packet from its neighbours of the same kind and flow: the numbers
    tcpdump prints (seq, ack, length), so two data segments or two pings never read alike."""
    l4 = pkt.l4
    if type(l4) is TCP:
        n = pkt_name(pkt)
        if n == "data segment":
            d = f"seq {l4.seq}, {pkt.load} bytes"
        elif n == "ACK":
            d = f"ack {l4.ack}"
        elif n in ("FIN", "SYN+ACK"):
            d = f"seq {l4.seq}, ack {l4.ack}"
        else:
            d = f"seq {l4.seq}"
        # an MPTCP subflow's segment: where its bytes sit in the data, and the data ACK
        # (RFC 8684 3.3's DSS), which tell the connection's progress the subflow's numbers don't
        dss = l4.mptcp if l4.mptcp is not None and l4.mptcp.form == "dss" else None
        if dss is not None and dss.mapping:
            d += f", data seq {dss.mapping[0][0]}"
        if dss is not None and dss.data_ack is not None:
            d += f", data ack {dss.data_ack}"
        return d
    if type(l4) is UDP:
        return f"{pkt.load} bytes"
    if type(l4) is ICMP:
        return f"id {l4.id}, seq {l4.seq}"
    return ""


def pkt_words(pkt, again: str = "") -> str:
    """The packet in a sentence: ``the data segment (seq 1001, 1448 bytes) from (a, p) to (b, q)``;
    ``again`` says what repeats an earlier packet ("retransmission 1", "duplicate ACK 2")."""
    d = ", ".join(x for x in (pkt_detail(pkt), again) if x)
    ip = pkt.ip
    ends = (f"{ip.src} to {ip.dst}" if type(pkt.l4) is ICMP
            else f"{ep(ip.src, pkt.sport)} to {ep(ip.dst, pkt.dport)}")
    return f"the {pkt_name(pkt)}" + (f" ({d})" if d else "") + f" from {ends}"


#: Application milestones (``Ev.APP``: what, value) in words; value is a byte count.
APP_WORDS = {
    "download complete": "the download is complete: {v} bytes received",
    "response complete": "a response is complete: {v} bytes",
    "read timeout: gives up and closes": "no data for too long: it gives up and closes, after {v} bytes",
}

#: MPTCP's data-level steps (``sim.mptcp``), each naming a subflow by its number: what -> words
MPTCP_WORDS = {
    "mptcp re-injects data on subflow": "MPTCP's retransmission timer re-injects {v} bytes on subflow {k}: the "
                                        "first fragment not yet data-acknowledged, sent again",
    "mptcp re-injects queued data on subflow": "MPTCP re-injects {v} bytes of the data queued to go again: "
                                               "it hands them to subflow {k}",
    "mptcp finds subflow": "MPTCP finds subflow {k} stale (silent through more than stale_loss_cnt passes "
                           "of the data-level retransmission timer): all {v} bytes not yet data-acknowledged are queued to go again "
                           "on the other subflows, none sent yet",
    "mptcp loses subflow": "subflow {k} has closed: all {v} bytes MPTCP has not yet had data-acknowledged are "
                           "queued to go again on the other subflows, none sent yet",
}


def app_words(what: str, value) -> str:
    """An application milestone as a phrase: ``mptcp re-injects data on subflow 1`` with
    32728 reads "MPTCP's retransmission timer re-injects 32728 bytes on subflow 1: ..."."""
    what = str(what)
    if what in APP_WORDS:
        return APP_WORDS[what].format(v=value)
    head, _, k = what.removesuffix(" stale").rpartition(" ")
    if head in MPTCP_WORDS and k.isdigit():
        return MPTCP_WORDS[head].format(v=value, k=k)
    if what.startswith("echo ") and " back" in what:
        return f"{what}: {value} bytes"
    return f"{what} ({value})" if value not in (None, "") else what


def flow_text(pkt, arrow: str = "→") -> str:
    ip = pkt.ip
    if type(pkt.l4) is ICMP:
        return f"{ip.src} {arrow} {ip.dst} id {pkt.l4.id}"
    return f"{ip.src}:{pkt.sport} {arrow} {ip.dst}:{pkt.dport}"


def title(result, node: str) -> str:
    n = result.net.nodes.get(node)
    return getattr(n, "title", None) or node


def uplink_index(link_or_dev: str) -> int | None:
    """uplink2 / if2 -> 2."""
    for p in ("uplink", "if"):
        if link_or_dev.startswith(p) and link_or_dev[len(p):].isdigit():
            return int(link_or_dev[len(p):])
    return None


def addr_uplink(result, addr: str) -> int | None:
    """The uplink whose address this is (100.0.0.1 -> 1), or None."""
    r = result.net.nodes.get("router")
    if r is None:
        return None
    for dev, i in r.ifaces.items():
        if i.addr == addr:
            return uplink_index(dev)
    return None


def clock(t_us: int) -> str:
    """Every time a player shows (narration, tables strip and caption, step line, packet pane):
    ``78.506 ms``; from 10 s on in seconds, ``660.154718 s`` -- the same digits ("t = 660154.718
    ms" was a long run's, hard to read; one formatter, so that no step shows "660.166905 s" next
    to "at 660154.718 ms")."""
    return f"{t_us / 1000:.3f} ms" if t_us < 10_000_000 else f"{t_us // 1_000_000}.{t_us % 1_000_000:06d} s"

