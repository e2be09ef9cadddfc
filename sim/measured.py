"""The experiment measured on Linux 6.18 (fidelity.md, section 3b), run in the simulator.

One TCP connection echoes ten 1000-byte messages; ten pings share one ICMP id.
Each router set-up is a row; the columns are what was observed: how the TCP
exchange ended, how many pings were answered, what the remote host saw.

    >>> from sim import measured
    >>> rows = measured.table(uplinks=2)
    >>> print(measured.markdown(rows))

The links are set up like the namespace lab's veth pairs (fast, next to no
delay), so a stall of retransmissions stands out as it did on the kernel.
Used by the book's chapter on what real kernels do, and by ``sim.kernel``.
"""
from __future__ import annotations

from .scenarios import run, unread

# The set-ups of section 3b, as simulator parameters (today's kernel).
SETUPS: dict[str, dict] = {
    "per-packet + MASQUERADE": dict(multipath="numgen", nat="masquerade"),
    "per-packet + SNAT, providers don't filter": dict(multipath="numgen", nat="snat"),
    "per-packet + SNAT, providers filter sources (BCP 38)":
        dict(multipath="numgen", nat="snat", ingress_filter=True),
    "multipath route, hash policy 0 + MASQUERADE": dict(multipath="hash-l3", nat="masquerade"),
    "multipath route, hash policy 1 + MASQUERADE": dict(multipath="hash-l4", nat="masquerade"),
}

# The same experiment in the article's model and in Linux 2.4.0-2.4.22's, for the book's
# comparison.  2.4.23's MASQUERADE dropped these packets (its route lookup without the output
# device), so the netfilter rows stop at 2.4.22; their hosts are 2002's too: 2.4's TCP timers
# (tcp="2.4"), as chapter 6's runs of the same network, not today's of the echo scenario.
BESIDE: dict[str, dict] = {
    "the article's model: equalize + per-uplink NAT":
        dict(multipath="random", equalize=True, nat="article", remote="article", tcp="2.4"),
    "Linux 2.4.0-2.4.22: equalize (round robin) + netfilter":
        dict(multipath="wrr", equalize=True, nat="netfilter", tcp="2.4"),
    "Linux 2.4.0-2.4.22: equalize (round robin) + netfilter, providers filter":
        dict(multipath="wrr", equalize=True, nat="netfilter", ingress_filter=True, tcp="2.4"),
}

# The lab's links (its veth pairs: fast, next to no delay), every link of the simulator's path
# to the remote hosts; ``sim.kernel``'s compare runs the simulator with these too
LINKS = dict(delay_ms=[0.05], up_kbit=[1_000_000], down_kbit=[1_000_000],
             core_delay_ms=0.05, remote_delay_ms=0.05)
LAB = dict(remote="rfc", **LINKS)
SLOW = 5          # "complete but slow": over SLOW times the fastest complete set-up


def measure(setup: dict, uplinks: int = 2, seed: int = 1) -> dict:
    """Run the echo and the ping experiments under one set-up; what a user would see."""
    params = {**LAB, **setup, "uplinks": uplinks, "seed": seed}
    echo = run("echo", **params)
    ping = run("ping", **{k: v for k, v in params.items() if k not in unread("ping")})
    e = echo.summary["echo"][0]
    p = ping.summary["pings"][0]
    return {
        "params": params,
        "echoed": e["echoed"], "messages": e["messages"], "reset": e["reset"],
        "complete": e["complete"], "seconds": e["seconds"],
        "tcp_seen": e["seen_by_server_as"],
        "tcp_up_packets": {dev: u["up_packets"] for dev, u in echo.summary["uplinks"].items()},
        "tcp_drops": echo.summary["drops"],
        "ping_received": p["received"], "ping_sent": p["sent"],
        "ping_seen": p["seen_by_remote_as"],
        "ping_drops": ping.summary["drops"],
    }


def table(uplinks: int = 2, seed: int = 1, setups: dict | None = None) -> list[dict]:
    """One row per set-up (section 3b's rows by default), with the cells filled in."""
    rows = [dict(setup=name, **measure(s, uplinks, seed)) for name, s in (setups or SETUPS).items()]
    return fill_cells(rows, slow=lambda r, fastest: r["seconds"] > SLOW * fastest,
                      tcp_from="tcp_seen", dropped=_dropped)


# the drop reasons the table names, in this order, and the words it uses for them
DROPS = (("nat oif changed", "by the router (oif changed)"),
         ("ingress filter", "by the providers' source filter"))


def _dropped(drops: dict) -> list[tuple[int, str]]:
    return [(drops[reason], where) for reason, where in DROPS if drops.get(reason)]


def fill_cells(rows: list[dict], slow, tcp_from: str, dropped) -> list[dict]:
    """Fill in the cells (``outcome``, ``tcp``, ``ping``, ``remote_saw``) of rows measured by
    the simulator or the kernel lab.  ``slow(row, fastest)``: a complete echo counts as slow;
    ``tcp_from``: the key of the addresses the remote host saw the TCP connection from;
    ``dropped(drops)``: (count, "by whom") for a row's drop counts."""
    fastest = min((r["seconds"] for r in rows if r["complete"]), default=None)
    for r in rows:
        if r["complete"]:
            r["outcome"] = "slow" if slow(r, fastest) else "complete"
        else:
            r["outcome"] = "reset" if r["reset"] else "incomplete"
        r["tcp"] = tcp_cell(r, fastest)
        r["ping"] = f"{r['ping_received']} of {r['ping_sent']}"
        r["remote_saw"] = saw_cell(r, r[tcp_from], dropped)
    return rows


def tcp_cell(r: dict, fastest: float | None) -> str:
    """The TCP column: how the echo exchange ended (also for the kernel lab's rows)."""
    if r["outcome"] == "reset":
        return f"reset after {r['echoed']} of {r['messages']} messages"
    if r["outcome"] == "incomplete":
        why = f" ({r['error']})" if r.get("error") else ""
        return f"{r['echoed']} of {r['messages']} messages, then stalled{why}"
    t = secs(r["seconds"])
    then = ", then reset while closing" if r["reset"] else ""
    if r["outcome"] == "slow":
        return (f"all {r['messages']}, but in {t} ({r['seconds'] / fastest:.0f}× the fastest: "
                f"retransmissions){then}")
    return f"all {r['messages']} in {t}{then}"


def saw_cell(r: dict, tcp_from: list[str], dropped) -> str:
    """The column "what the remote host saw": sources, the upstream split, the drops."""
    parts = [f"TCP from {' and '.join(tcp_from) or 'nobody'}",
             f"ping from {' and '.join(r['ping_seen']) or 'nobody'}"]
    ups = list(r["tcp_up_packets"].values())
    if sum(1 for n in ups if n) > 1:
        parts.append("TCP upstream split " + "/".join(map(str, ups)) + " over the providers")
    for what, drops in (("TCP", r["tcp_drops"]), ("ping", r["ping_drops"])):
        for n, where in dropped(drops):
            parts.append(f"{n} {what} packet{'s' if n != 1 else ''} dropped {where}")
    return "; ".join(parts)


def secs(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.1f} s"


def markdown(rows: list[dict]) -> str:
    """The table as Markdown, with section 3b's columns."""
    out = ["| router set-up | TCP (10 echoed messages) | ping (one id) | what the remote host saw |",
           "|---|---|---|---|"]
    out += [f"| {r['setup']} | {r['tcp']} | {r['ping']} | {r['remote_saw']} |" for r in rows]
    return "\n".join(out)
