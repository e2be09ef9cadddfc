"""Kernel vs simulator, side by side, on what both can observe.

``compare("perpacket-masquerade")`` runs the kernel scenario in the lab and the
matching simulator scenario (``KScenario.sim``, with links as fast as the
lab's veth pairs), turns both into the same observations
(``observe.observe``) and lines them up:

- the TCP outcome (complete, complete but slow, reset, stalled), messages echoed,
  ping replies, how the handshake completed at the remote host;
- which uplinks each flow's packets used (per-flow stability, not the exact
  hash: the kernel's hash seed and the simulator's differ), whether packets
  left an uplink with another uplink's address;
- the addresses the remote host saw; where packets were dropped; who sent resets.

A difference is either a disagreement or one listed in ``KNOWN_DIFFERENCES``
with the reason (documented, and asserted by the tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .lab import uplink_addr
from .observe import from_sim, observe
from .scenarios import SCENARIOS, SIM_LAB, KernelResult, make_options, run

SLOW_KERNEL = 0.1        # s: the lab's RTT is ~0.1 ms; one retransmission costs >= 200 ms (RTO min)
SLOW_FACTOR = 5          # simulator: "slow" = over 5× the same echo without losses

# (scenario, aspect) -> why kernel and simulator may differ there
_RACE = ("a race of two retransmission timers: when the client's segment carrying the ACK of "
         "an echo lands on the other uplink, the router kills the conntrack entry and drops it; "
         "about 200 ms later (RTO min) both ends retransmit. If the server's retransmitted echo "
         "reaches the router first, it finds no conntrack, goes to the router's own stack, which "
         "answers with a reset: the connection dies (the simulator's server always wins, by "
         "0.4 ms). If the client's retransmission comes first, it makes a new conntrack entry on "
         "the same uplink and the exchange limps on, one RTO per message. On the kernel the two "
         "timers expire within a jiffy of each other, so either happens")
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    ("perpacket-masquerade", "messages echoed"): _RACE,
    ("perpacket-masquerade", "TCP outcome"): _RACE,
    ("perpacket-masquerade", "resets sent by"): _RACE,
    ("perpacket-masquerade", "addresses at the remote"):
        "after the entry is killed, a retransmission that happens to leave by the other uplink "
        "makes a new conntrack entry there and reaches the remote from that uplink's address "
        "(which answers with a reset); whether one does depends on the same timer race",
    ("perpacket-masquerade", "uplinks used per flow"):
        "as for the addresses: a packet passes on the second uplink only when it starts a new "
        "conntrack entry there, which depends on the timer race",
}


@dataclass
class Row:
    aspect: str
    kernel: str
    sim: str
    agree: bool
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.agree:
            return "agree"
        return "differs (documented)" if self.note else "DIFFERS"


@dataclass
class Comparison:
    scenario: str
    uplinks: int
    rows: list[Row] = field(default_factory=list)
    kernel: KernelResult | None = None
    sim: object = None

    @property
    def agrees(self) -> bool:
        """True when every row agrees or differs in a documented way."""
        return all(r.agree or r.note for r in self.rows)

    def undocumented(self) -> list[Row]:
        return [r for r in self.rows if not r.agree and not r.note]

    def text(self) -> str:
        sc = SCENARIOS[self.scenario]
        w = max([len(r.aspect) for r in self.rows] + [6])
        kw = max([len(r.kernel) for r in self.rows] + [6])
        sw = max([len(r.sim) for r in self.rows] + [9])
        sim_name = f"{sc.sim[0]} {_fmt_params(sc.sim[1])}" if sc.sim else "none"
        out = [f"compare {self.scenario} (uplinks={self.uplinks}): {sc.doc}",
               f"  kernel:    {sc.setup.describe()} (Linux {self.kernel.summary['kernel']})",
               f"  simulator: python -m sim run {sim_name}",
               "",
               f"  {'aspect':<{w}}  {'kernel':<{kw}}  {'simulator':<{sw}}  verdict"]
        for r in self.rows:
            out.append(f"  {r.aspect:<{w}}  {r.kernel:<{kw}}  {r.sim:<{sw}}  {r.verdict}")
        notes = [r for r in self.rows if not r.agree and r.note]
        if notes:
            out.append("")
            out += [f"  note on {r.aspect}: {r.note}" for r in notes]
        bad = self.undocumented()
        out.append("")
        out.append("  verdict: " + ("the kernel and the simulator agree" if not bad and not notes
                                    else "agree, with documented differences" if not bad
                                    else f"{len(bad)} undocumented difference(s)"))
        return "\n".join(out) + "\n"


def _fmt_params(p: dict) -> str:
    return " ".join(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}")
                    for k, v in p.items() if v is not False and k in
                    ("multipath", "nat", "remote", "ingress_filter", "uplinks", "connections", "size"))


def sim_run(scenario: str, uplinks: int = 2, **overrides):
    """The simulator's run matching a kernel scenario (or None: no simulator model)."""
    import sim
    sc = SCENARIOS[scenario]
    if sc.sim is None:
        return None
    name, params = sc.sim
    kw = {**SIM_LAB, **params, "uplinks": uplinks, **overrides}
    return sim.run(name, **kw)


def _sim_fast_seconds(uplinks: int) -> float | None:
    """The simulator's echo time with nothing lost (SNAT, no filter): the yardstick for 'slow'."""
    import sim
    r = sim.run("echo", **SIM_LAB, multipath="hash-l4", nat="masquerade", remote="rfc",
                uplinks=uplinks)
    return r.summary["echo"][0]["seconds"]


def tcp_outcome(e: dict, slow_after: float | None) -> str:
    if e.get("complete"):
        if slow_after is not None and e["seconds"] is not None and e["seconds"] > slow_after:
            return "complete, slow"
        return "complete"
    if e.get("reset"):
        return "reset"
    return "stalled"


def _addr(ep: str) -> str:
    return ep.strip("()").split(",")[0].strip()


def _kernel_summary_view(s: dict, slow_after) -> dict:
    v = {}
    if "echo" in s:
        e = s["echo"][0]
        v["tcp"] = tcp_outcome(e, slow_after)
        v["echoed"] = e["echoed"]
        v["server_saw"] = sorted({_addr(x) for x in e["seen_by_server_as"]})
    if "pings" in s:
        v["ping"] = s["pings"][0]["received"]
        v["ping_seen"] = s["pings"][0]["seen_by_remote_as"]
    if "connections" in s:
        v["downloads"] = [tcp_outcome(c, None) for c in s["connections"]]
        v["server_saw"] = sorted({_addr(x) for c in s["connections"] for x in c["seen_by_server_as"]})
    return v


def _sim_summary_view(s: dict, slow_after) -> dict:
    v = {}
    if "echo" in s:
        e = s["echo"][0]
        v["tcp"] = tcp_outcome(e, slow_after)
        v["echoed"] = e["echoed"]
        v["server_saw"] = sorted({_addr(x) for x in e["seen_by_server_as"]})
    if "pings" in s:
        v["ping"] = s["pings"][0]["received"]
        v["ping_seen"] = s["pings"][0].get("seen_by_remote_as", [])
    if s.get("connections"):
        v["downloads"] = [("complete" if c["complete"] else "reset" if c["reset"] else "stalled")
                          for c in s["connections"]]
        v["server_saw"] = sorted({_addr(x) for c in s["connections"] for x in c["seen_by_server_as"]})
    return v


def _flows_view(ob: dict, hashed: bool) -> dict:
    flows = ob["flows"]
    per_flow = sorted(len(f["uplinks_used"]) for f in flows)
    return {
        "uplinks per flow": ", ".join(f"{n}" for n in per_flow) or "-",
        "flow on one uplink": all(f["one_uplink"] for f in flows) if flows else None,
        "foreign source": sorted({x.split(" on ")[0] + " on another uplink"
                                  for f in flows for x in f["foreign_source"]}) or ["none"],
        "handshake": [f.get("handshake") for f in flows if "handshake" in f],
        "remote saw": sorted({_addr(x) if "(" in x else x for f in flows for x in f["remote_saw"]}),
        "remote saw per flow": sorted(len(f["remote_saw"]) for f in flows),
        "drops": sorted(ob["drops"]),
        "resets": sorted(ob["resets"]),
        "sequence": [" ".join(f["uplinks"][:12]) for f in flows][:4],
    }


def compare(scenario: str, uplinks: int = 2, kernel: KernelResult | None = None,
            **overrides) -> Comparison:
    """Run both sides (or reuse ``kernel``) and line them up."""
    o = make_options(scenario, uplinks=uplinks, **overrides)
    sc = SCENARIOS[scenario]
    if kernel is None:
        kernel = run(scenario, uplinks=uplinks, **overrides)
    c = Comparison(scenario, uplinks, kernel=kernel)
    k = kernel.summary
    sim_over = {}
    if sc.experiment == "download":
        sim_over = {"connections": o.connections, "size": o.size}
    r = sim_run(scenario, uplinks, **sim_over)
    c.sim = r
    addrs = {f"if{i}": uplink_addr(i) for i in range(1, uplinks + 1)}
    hashed = sc.setup.balance.startswith("hash")

    def add(aspect, kv, sv, agree=None):
        ks, ss = _s(kv), _s(sv)
        ok = (ks == ss) if agree is None else agree
        c.rows.append(Row(aspect, ks, ss, ok, "" if ok else KNOWN_DIFFERENCES.get((scenario, aspect), "")))

    if r is None:
        for line in kernel.summary_text()[1:]:
            c.rows.append(Row("kernel only", line.strip(), "(no simulator model of MPTCP)", True))
        return c
    fast = _sim_fast_seconds(uplinks) if sc.experiment == "echo" else None
    kv = _kernel_summary_view(k, SLOW_KERNEL)
    sv = _sim_summary_view(r.summary, None if fast is None else SLOW_FACTOR * fast)
    kf = _flows_view(k["observed"], hashed)
    sf = _flows_view(observe(from_sim(r), addrs), hashed)

    if "tcp" in kv:
        add("TCP outcome", kv["tcp"], sv.get("tcp"))
        add("messages echoed", kv["echoed"], sv.get("echoed"))
    if "downloads" in kv:
        add("downloads", kv["downloads"], sv.get("downloads"))
    if "ping" in kv:
        add("ping replies (of 10)", kv["ping"], sv.get("ping"))
    if kf["handshake"] or sf["handshake"]:
        add("handshake at the remote", kf["handshake"], sf["handshake"])
    if hashed:
        # the hash seeds differ: compare stability, and how many addresses the remote saw
        add("each flow on one uplink", kf["flow on one uplink"], sf["flow on one uplink"])
        add("addresses per flow at the remote", kf["remote saw per flow"], sf["remote saw per flow"])
        if sc.setup.balance == "hash-l3":
            add("addresses at the remote", len(kf["remote saw"]), len(sf["remote saw"]))
        c.rows.append(Row("(which uplink: hash seed)", _s(kf["remote saw"]), _s(sf["remote saw"]),
                          True))
    else:
        add("uplinks used per flow", kf["uplinks per flow"], sf["uplinks per flow"])
        add("left with another uplink's address", kf["foreign source"], sf["foreign source"])
        add("addresses at the remote", kf["remote saw"], sf["remote saw"])
        c.rows.append(Row("(uplink of each passed packet)", _s(kf["sequence"]), _s(sf["sequence"]),
                          True))
    if "server_saw" in kv and not hashed:
        add("server accepted from", kv["server_saw"], sv.get("server_saw"))
    add("drops at", kf["drops"], sf["drops"])
    add("resets sent by", kf["resets"], sf["resets"])
    kd = ", ".join(f"{a} {n}" for a, n in k["observed"]["drops"].items()) or "none"
    so = observe(from_sim(r), addrs)
    sd = ", ".join(f"{a} {n}" for a, n in so["drops"].items()) or "none"
    c.rows.append(Row("(drop counts)", kd, sd, True))
    ku = "/".join(str(n) for n in k["observed"]["upstream_per_uplink"].values())
    su = "/".join(str(n) for n in so["upstream_per_uplink"].values())
    c.rows.append(Row("(upstream packets per uplink)", ku, su, True))
    return c


def _s(v) -> str:
    if isinstance(v, list):
        return "[" + "; ".join(_s(x) for x in v) + "]" if v else "[]"
    if v is None:
        return "-"
    return str(v)
