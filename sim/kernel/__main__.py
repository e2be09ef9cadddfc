"""The command line of the kernel lab (needs root: it creates network namespaces).

    sudo .venv/bin/python -m sim.kernel list
    sudo .venv/bin/python -m sim.kernel run perpacket-masquerade --pcap masq.pcapng
    sudo .venv/bin/python -m sim.kernel compare perpacket-snat-filter
    sudo .venv/bin/python -m sim.kernel table --uplinks 3
    sudo .venv/bin/python -m sim.kernel compare uplink-down --cc cubic   # any the kernel allows in a namespace
    sudo .venv/bin/python -m sim.kernel clean        # remove what a killed run left

Bad input: one line and exit status 2 (a --down-at after the downloads have ended is found
only by the run, and said then).  No root or no namespaces: one line, exit 1.
"""
from __future__ import annotations

import os
import sys

try:                                # a Ctrl-C while these load (argparse): one line, as main() gives
    import argparse
    import json
    import re

    from ..cli import (NONE, OneLineParser, default_help, down_uplink_without_down_at, fail, int_in,
                       numbers_in, pcap_problem, scenario_list, seconds_in, seconds_or_none,
                       up_at_without_down_at, write_capture_then_stdout)
except KeyboardInterrupt:
    from .._start import exit_if_starting
    exit_if_starting()
    raise

PROG = "python -m sim.kernel"
_timeout = seconds_in("--timeout", 0.1, 600)


#: the options of ``run`` and ``compare`` that a kernel scenario may set (``list`` shows which)
OPTIONS = ("uplinks", "connections", "size", "timeout", "uplink_kbit", "weights", "down_at", "down_uplink",
           "up_at", "cc")
TABLE_TIMEOUT = 30.0


def _value(name: str, v) -> str:
    """An option's value as ``list`` and --help write it (``down_at`` 0: none, no line fails;
    ``up_at`` 0: none, the line never comes back)."""
    if name in ("down_at", "up_at") and not v:
        return "none"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _default(name: str) -> str:
    from .scenarios import Options
    return default_help(_value(name, getattr(Options(), name)))


def _cc(text: str) -> str:
    """--cc: a TCP congestion control this kernel allows in a namespace (refused before any lab is built)."""
    from .lab import cc_problem
    if (why := cc_problem(text)) is not None:
        raise argparse.ArgumentTypeError("--" + why)
    return text


def _cc_help(what: str) -> str:
    from .lab import DEFAULT_CC, allowed_ccs
    offered = allowed_ccs()
    return (f"the TCP congestion control in every lab namespace ({what}), one this kernel allows there"
            + (f": {', '.join(offered)}" if offered else "")
            + f" (net.ipv4.tcp_allowed_congestion_control); default {DEFAULT_CC}, the "
              f"simulator's, whatever the host's own net.ipv4.tcp_congestion_control")


def parser() -> argparse.ArgumentParser:
    from .scenarios import KBIT_BOUNDS, SCENARIOS, WEIGHT_BOUNDS
    p = OneLineParser(prog=PROG, description="The article's network on the running Linux kernel, "
                      "in network namespaces (root needed).")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    sub.add_parser("list", help="list the kernel scenarios, the options' defaults and what each "
                   "scenario sets beyond them")
    sub.add_parser("clean", help="remove the lab namespaces and capture folders left by runs "
                  "that were killed")
    lo, hi = KBIT_BOUNDS
    # read as python -m sim run reads --down-kbit: one value, or one per uplink (how many the
    # uplinks take is checked with them, by make_options)
    _rates = numbers_in("--uplink-kbit", lo, hi, integers=True, unit="kbit/s", most=8,
                        shape=", one for every uplink or one per uplink", example="8000,2000")
    _weights = numbers_in("--weights", *WEIGHT_BOUNDS, integers=True, most=8,
                          shape=", one for every uplink or one per uplink", example="2,1")
    mptcp = ", ".join(n for n, s in SCENARIOS.items() if s.experiment.startswith("mptcp"))
    for cmd, what in (("run", "run a kernel scenario in network namespaces and print what each link "
                              "carried, then a summary"),
                      ("compare", "run a kernel scenario and the simulator's run of the same set-up "
                                  "(its sim.run call is printed), and line up what each saw; exit "
                                  "status 1 when they disagree")):
        r = sub.add_parser(cmd, help=what, description=what)
        r.add_argument("scenario", help="one of: " + ", ".join(SCENARIOS))
        r.add_argument("--uplinks", type=int_in("--uplinks", 1, 8),
                       help=f"how many uplinks, 1..8; {mptcp} take exactly 2 (one per subflow) "
                            f"({_default('uplinks')})")
        r.add_argument("--connections", type=int_in("--connections", 1, 64),
                       help=f"download scenarios: parallel downloads, 1..64 ({_default('connections')})")
        r.add_argument("--size", type=int_in("--size", 1, 10**9),
                       help=f"download and mptcp scenarios: bytes per download, 1..10^9 ({_default('size')})")
        r.add_argument("--timeout", type=_timeout, metavar="T",
                       help=("echo and download scenarios" if cmd == "run" else
                             "download scenarios (the simulator's other clients never give up)")
                            + f": a client gives up after T s without data, 0.1..600 ({_default('timeout')})")
        r.add_argument("--uplink-kbit", type=_rates, metavar="K,K,...",
                       help=f"each uplink's rate limit, kbit/s {lo}..{hi} (0: none), the same both ways "
                            f"(a tc tbf on the router's end and on the provider's; the simulator's "
                            f"--down-kbit and --up-kbit both get it): one value for every uplink, or "
                            f"one per uplink ({_default('uplink_kbit')})")
        r.add_argument("--weights", type=_weights, metavar="W,W,...",
                       help=f"each uplink's weight, {WEIGHT_BOUNDS[0]}..{WEIGHT_BOUNDS[1]}: the multipath "
                            f"route's nexthop weights, and for numgen and connmark, when unequal, "
                            f"nftables' numgen inc mod SUM map {{ 0 : 1, 1 : 1, 2 : 2 }} (weights 2,1), "
                            f"the weights first divided by their greatest common divisor (4,2 is 2,1: "
                            f"mod 3), each uplink as many turns a round as its weight then"
                            + ("; the simulator's --weights gets them" if cmd == "compare" else "")
                            + f": one value for every uplink, or one per uplink ({_default('weights')})")
        r.add_argument("--down-at", type=seconds_or_none("--down-at", 0, 60, True, "no line fails"),
                       metavar="T|none",
                       help="download scenarios: take the router's uplink --down-uplink down T s in, "
                            f"above 0 and at most 60, or none: no line fails ({_default('down_at')})")
        r.add_argument("--down-uplink", type=int_in("--down-uplink", 1, 8), metavar="K",
                       help=f"which uplink goes down at --down-at, 1-based ({_default('down_uplink')})")
        r.add_argument("--up-at", type=seconds_or_none("--up-at", 0, 60, True, "the line never comes back"),
                       metavar="T|none",
                       help="download scenarios: the line that failed at --down-at comes back T s in "
                            "(ip link set dev ifK up, and its table's route added again, as an ip-up "
                            "script does), after --down-at and at most 60, and one second later as many "
                            "new downloads start; or none: it never comes back"
                            + (" (the simulator's --up-at gets it)" if cmd == "compare" else "")
                            + f" ({_default('up_at')})")
        r.add_argument("--cc", type=_cc, metavar="NAME",
                       help=_cc_help("echo, download and mptcp scenarios"
                                     + ("; the simulator runs reno with any, the nearest it has"
                                        if cmd == "compare" else "")))
        r.add_argument("--format", choices=("text", "json"), default="text",
                       help="text, for a reader (default); json, " + (
                           "the summary as one object" if cmd == "run" else
                           "the scenario, uplinks, whether they agree and the rows as one object"))
        if cmd == "run":
            r.add_argument("--pcap", metavar="FILE", help="write every link's capture as pcapng")
            r.add_argument("--summary-only", action="store_true",
                           help="text: print only the summary, not each link's packets")
    what = ("the measured table of chapter 9 (chapter 8's experiment: a TCP echo and ten pings under "
            "per-packet balancing, one row per NAT set-up), measured on this kernel")
    t = sub.add_parser("table", help=what, description=what)
    t.add_argument("--uplinks", type=int_in("--uplinks", 2, 8), default=2,
                   help="how many uplinks, 2..8 (default 2)")
    t.add_argument("--timeout", type=_timeout, default=TABLE_TIMEOUT, metavar="T",
                   help=f"the echo's client gives up after T s without data, 0.1..600 "
                        f"(default {TABLE_TIMEOUT:g})")
    t.add_argument("--cc", type=_cc, metavar="NAME", help=_cc_help("the echoes'"))
    t.add_argument("--format", choices=("markdown", "json"), default="markdown",
                   help="markdown, the table as chapter 9 shows it (default); json, one object per row")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        from .._io import OutputError, ReaderGone
        from .lab import Interrupted, LabError
    except KeyboardInterrupt:               # while the scenarios load: no namespace made yet
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    try:
        if (why := _refused(args)) is not None:
            return fail(*why, 2) if isinstance(why, tuple) else _fail(why, 2)
        return {"list": _list, "clean": _clean, "run": _run, "compare": _compare,
                "table": _table}[args.cmd](args)
    except ReaderGone:                       # `| head`: quiet, as a Unix tool
        return ReaderGone.STATUS
    except OutputError as e:                 # a full disk, a file-size limit
        return _fail(str(e), 1)
    except LabError as e:               # one naming an option: its value, found wanting by the run
        return _fail(str(e), 2 if getattr(e, "param", None) in OPTIONS else 1)
    except KeyboardInterrupt:
        return _fail(_stopped("interrupted"), 130)
    except Interrupted as e:
        return _fail(_stopped(f"stopped by {e}"), 128 + e.signum)


def _stopped(what: str) -> str:
    """``what`` and what the stop left: said after the lab's cleanup ran, as it is."""
    from .lab import cleanup_state
    made, left = cleanup_state()
    if left:
        return (f"{what}; {len(left)} of the lab's namespaces are left ({', '.join(left)}): "
                f"{PROG} clean removes them")
    if made:
        return f"{what}; the lab's namespaces were removed"
    return f"{what} before any lab namespace was made"


def _overrides(args) -> dict:
    """The options given (None: the scenario's); ``--down-at none`` is ``down_at`` 0, no line fails."""
    return {k: 0.0 if v is NONE else v for k in OPTIONS for v in [getattr(args, k)]}


def _refused(args) -> str | tuple[str, str] | None:
    """Why ``run`` or ``compare`` can't go with these arguments (checked before any
    namespace is made), or None; (prog, why) for one option's value, which argparse's own
    checks of it report as ``python -m sim.kernel compare: error: --OPTION ...``."""
    from .lab import LabError
    from .scenarios import SCENARIOS, make_options
    if args.cmd not in ("run", "compare"):
        return None
    if args.scenario not in SCENARIOS:
        return f"unknown kernel scenario {args.scenario!r}: allowed are {', '.join(SCENARIOS)}"
    experiment = SCENARIOS[args.scenario].experiment
    for opt in ("size", "connections"):     # an echo or a ping moves no download's bytes
        if getattr(args, opt) is not None and experiment in ("echo", "ping"):
            what = "an echo" if experiment == "echo" else "a ping"
            return (f"--{opt} does not apply to {args.scenario} ({what}), which would run the same "
                    f"without it: it sets the downloads of the download scenarios"
                    + (" and the bytes of the mptcp ones" if opt == "size" else ""))
    if args.cc is not None and experiment == "ping":
        return (f"--cc does not apply to {args.scenario} (a ping), which carries no TCP and would "
                f"run the same without it: it sets the TCP of the echo, download and mptcp scenarios")
    if args.connections is not None and experiment.startswith("mptcp"):
        return (f"--connections does not apply to {args.scenario} (one MPTCP download, whose "
                f"subflows the client opens itself): --size sets its bytes")
    if args.down_uplink is not None and args.down_at is NONE:
        return (f"--down-uplink {args.down_uplink} names the uplink whose line fails, and --down-at none "
                f"fails no line: give --down-at SECONDS, or leave out --down-uplink")
    if args.down_uplink is not None and args.down_at is None and \
            not SCENARIOS[args.scenario].defaults.get("down_at"):
        return down_uplink_without_down_at(args.down_uplink, args.scenario)
    if args.up_at is not None and args.up_at is not NONE:
        # the one option that needs another's value: said as python -m sim says it
        no_down = args.down_at is NONE or (args.down_at is None and
                                           not SCENARIOS[args.scenario].defaults.get("down_at"))
        if no_down and experiment == "download":
            return up_at_without_down_at(args.up_at, args.scenario, args.down_at is NONE)
        down = args.down_at if args.down_at not in (None, NONE) else \
            SCENARIOS[args.scenario].defaults.get("down_at")
        if not no_down and args.up_at <= down:
            return (f"{PROG} {args.cmd}", f"--up-at {args.up_at:g} brings back the line that fails at "
                    f"--down-at {down:g}: give a time after it, up to 60 s, or none: it never comes back")
    try:
        make_options(args.scenario, **_overrides(args))
    except LabError as e:
        if getattr(e, "param", None) in OPTIONS:
            # one option's value: said as argparse says it, its flag and this command named
            flag = "--" + e.param.replace("_", "-")
            said = re.sub(rf"^{re.escape(e.param)}\b", flag, str(e))
            # another option named in it, "(down_uplink)", by its flag too
            said = re.sub(r"\((\w+)\)", lambda m: f"(--{m[1].replace('_', '-')})" if m[1] in OPTIONS else m[0], said)
            return f"{PROG} {args.cmd}", said
        return str(e)
    if args.cmd == "compare":
        from .compare import _sim_overrides, sim_call, sim_problem, timeout_problem
        if (why := timeout_problem(args.scenario, args.timeout, "--timeout")) is not None:
            return why
        sc = SCENARIOS[args.scenario]
        o = make_options(args.scenario, **_overrides(args))
        call = sim_call(args.scenario, o.uplinks, **_sim_overrides(experiment, o, sc.sim and sc.sim[0]))
        if (why := sim_problem(args.scenario, call)) is not None:
            return (f"{PROG} compare", why[1]) if why[0] else why[1]
    if args.cmd == "run":
        if args.summary_only and args.format != "text":
            return "--summary-only is for --format text: the JSON is the summary"
        if args.pcap is not None:
            return pcap_problem(args.pcap)
    return None


def _list(args) -> int:
    """Each scenario, what it shows and what it sets beyond the options' defaults (as
    ``python -m sim list`` does)."""
    from .._io import write_stdout
    from .scenarios import SCENARIOS, Options
    base = Options()
    write_stdout(scenario_list(
        [(n, _value(n, getattr(base, n))) for n in OPTIONS],
        [(s.name, s.doc, " ".join(f"{k}={_value(k, v)}" for k, v in s.defaults.items())
          + (" (uplinks: exactly 2)" if s.experiment.startswith("mptcp") else "")) for s in SCENARIOS.values()]))
    return 0


def _clean(args) -> int:
    from .._io import write_stdout
    from .lab import check_environment, sweep
    check_environment()
    gone = sweep()
    dirs = [g for g in gone if os.path.isabs(g)]
    write_stdout(f"removed {len(gone) - len(dirs)} stale lab namespace(s) and {len(dirs)} "
                 "capture folder(s)" + (": " + " ".join(gone) if gone else "") + "\n")
    return 0



def _run(args) -> int:
    from .._io import write_stdout
    from .scenarios import run
    r = run(args.scenario, **_overrides(args))
    if args.format == "json":
        out = json.dumps(r.summary) + "\n"
    elif args.summary_only:
        out = "\n".join(r.summary_text()) + "\n"
    else:
        out = r.text()
    if not args.pcap:
        write_stdout(out)
        return 0
    # the capture appears only once the report was written: a failing standard output leaves
    # no file; a failing capture leaves the report on standard output, status 1
    why = write_capture_then_stdout(args.pcap, r.write_pcap_to, out)
    if why is not None:
        return _fail(f"cannot write pcap {args.pcap!r}: {why} (the report went to standard output)", 1)
    return 0


def _compare(args) -> int:
    from .._io import write_stdout
    from .compare import compare
    c = compare(args.scenario, **{k: v for k, v in _overrides(args).items() if v is not None})
    if args.format == "json":
        # which branch of the scenario's known race each side took (None: fits none of them)
        race = None if c.race() is None else {
            "kernel": c.kernel_branch and c.kernel_branch.name,
            "simulator": c.sim_branch and c.sim_branch.name}
        write_stdout(json.dumps({"scenario": c.scenario, "uplinks": c.uplinks, "agrees": c.agrees,
                                 "tcp_congestion_control": c.ccs(), "race_branches": race,
                                 "rows": [r.__dict__ | {"verdict": r.verdict} for r in c.rows]}) + "\n")
    else:
        write_stdout(c.text())
    return 0 if c.agrees else 1


#: what the table's cells count, said under it (the book says it in chapter 9's text)
TABLE_NOTE = ("A slow echo's \"× the fastest\" is its time over the fastest complete echo's in this table. "
              "\"What the remote host saw\" also counts the packets lost on the way, by who dropped them; "
              "the upstream split is the echo's packets by the uplink they left by.")


def _table(args) -> int:
    from .._io import write_stdout
    from .table import markdown, measure_all
    from .lab import DEFAULT_CC
    rows = measure_all(uplinks=args.uplinks, timeout=args.timeout, cc=args.cc or DEFAULT_CC)
    if args.format == "json":
        write_stdout(json.dumps(rows) + "\n")
    else:
        ccs = ", ".join(sorted({r["tcp_congestion_control"] for r in rows}))
        write_stdout(f"Measured on this kernel, {args.uplinks} uplinks, TCP congestion control "
                     f"{ccs}:\n\n" + markdown(rows) + "\n\n" + TABLE_NOTE + "\n")
    return 0


def _fail(msg: str, code: int) -> int:
    return fail(PROG, msg, code)


if __name__ == "__main__":
    sys.exit(main())
