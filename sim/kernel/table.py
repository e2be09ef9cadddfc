"""Section 3b's table (fidelity.md), measured again on the running kernel.

For every router set-up of ``sim.measured.SETUPS`` (the simulator's rows), two
fresh labs: the echo experiment (one TCP connection, ten 1000-byte messages)
and the ping experiment (ten echo requests, one id).  The rows have the
simulator's keys (``setup``, ``tcp``, ``ping``, ``remote_saw``, ``outcome`` ...)
so ``sim.measured.markdown`` prints either table.

    sudo .venv/bin/python -m sim.kernel table --uplinks 3
"""
from __future__ import annotations

from ..measured import SETUPS, fill_cells, markdown  # noqa: F401  (markdown: the CLI prints with it)
from ..packet import parse_endpoint
from .lab import DEFAULT_CC
from .scenarios import Setup, run_many


def setups() -> dict[str, dict]:
    return dict(SETUPS)


def kernel_setup(p: dict) -> Setup:
    """A simulator set-up (multipath, nat, ingress_filter) as the lab's router set-up."""
    balance = {"numgen": "numgen", "hash-l3": "hash-l3", "hash-l4": "hash-l4"}.get(p.get("multipath"))
    nat = p.get("nat")
    if balance is None or nat not in ("masquerade", "snat"):
        raise ValueError(f"no kernel set-up for {p}: the lab does numgen/hash-l3/hash-l4 "
                         f"with masquerade/snat")
    return Setup(balance, nat, bool(p.get("ingress_filter")))


def measure_all(uplinks: int = 2, timeout: float = 30.0, only: list[str] | None = None,
                parallel: int = 5, cc: str = DEFAULT_CC) -> list[dict]:
    """Run the echo and ping experiments of every set-up on the kernel, its namespaces' TCP on
    congestion control ``cc``; one dict per row."""
    rows_in = [(name, p) for name, p in setups().items() if only is None or name in only]
    jobs = []
    for name, p in rows_in:
        s = kernel_setup(p)
        jobs.append(("perpacket-masquerade", dict(setup=s, experiment="echo", uplinks=uplinks,
                                                  timeout=timeout, linger=0, cc=cc)))
        jobs.append(("ping-perpacket-masquerade", dict(setup=s, experiment="ping",
                                                       uplinks=uplinks, cc=cc)))
    results = run_many(jobs, parallel=parallel)
    rows = []
    for k, (name, p) in enumerate(rows_in):
        echo, ping = results[2 * k], results[2 * k + 1]
        e = echo.summary["echo"][0]
        g = ping.summary["pings"][0]
        eo, go = echo.summary["observed"], ping.summary["observed"]
        rows.append({
            "setup": name, "kernel_setup": kernel_setup(p).describe(), "uplinks": uplinks,
            "tcp_congestion_control": echo.summary["tcp_congestion_control"],
            "echoed": e["echoed"], "messages": e["messages"], "reset": e["reset"],
            "complete": e["complete"], "seconds": e["seconds"], "error": e["error"],
            "tcp_seen": sorted({parse_endpoint(x)[0] for x in e["seen_by_server_as"]}),
            "tcp_remote_saw": sorted({parse_endpoint(a)[0] for f in eo["flows"]
                                      for a in f["remote_saw"]}),
            "tcp_up_packets": eo["upstream_per_uplink"], "tcp_drops": eo["drops"],
            "tcp_resets": eo["resets"],
            "ping_received": g["received"], "ping_sent": g["sent"], "ping_replied": g["replied"],
            "ping_seen": g["seen_by_remote_as"], "ping_drops": go["drops"],
            "ping_up_packets": go["upstream_per_uplink"],
        })
    return cells(rows)


def cells(rows: list[dict]) -> list[dict]:
    """The lab's measured rows with the table's cells filled in (``sim.measured.fill_cells``).
    Slow: it got through only by retransmitting what was lost (the capture shows the drops).
    Not by its time: on a loaded machine a loss-free echo can take longer than one
    retransmission timeout."""
    return fill_cells(rows, slow=lambda r, fastest: bool(r["tcp_drops"]),
                      tcp_from="tcp_remote_saw", dropped=_dropped)


def _dropped(drops: dict) -> list[tuple[int, str]]:
    """Who dropped, from the capture's keys ("router (...)", "router's ...", "isp1 ...")."""
    return [(n, "by the router (oif changed)" if key.startswith("router (") else
             "by the router's own stack (no conntrack)" if key.startswith("router's")
             else f"by {key.split(' ')[0]}'s source filter") for key, n in drops.items()]
