"""The command line.

    python -m sim list
    python -m sim run equalize-nat --nat netfilter --ingress-filter --seed 3 --pcap out.pcapng

Bad input gets one line naming the problem and what is allowed, exit status 2; an output
that can't be written (standard output, the --pcap file) one line, exit status 1.
"""
from __future__ import annotations

import shlex
import sys

try:                                # a Ctrl-C while these load (argparse): one line, as main() gives
    import argparse
    import ipaddress
    import itertools
    import os
    import re

    from . import __file__ as _sim_file, __version__

    from .cli import (NONE, OneLineParser, any_int, default_help, down_uplink_without_down_at, fail, int_in,
                      list_param, mixed_kernels, number_in, pcap_problem, scenario_list, seconds_or_none,
                      today_help, today_values, up_at_without_down_at)
    from ._io import OutputError, ReaderGone, terminated_like_ctrl_c, write_stdout
    from .fib import RouteError
    from .policies import POLICIES, REGISTRY as POLICY_REGISTRY
    from .natmodels import REGISTRY as NAT_REGISTRY, names as nat_models
    from .host import WINDOW
    from .policies import CACHED_POLICIES
    from .scenarios import (INT_BOUNDS, LIST_BOUNDS, MAX_SECONDS, MAX_TRANSFER, SLOW_KBIT,
                            NULLABLE_BOUNDS, NUMBER_BOUNDS, PARAM_HELP, SCENARIOS, SHOWN_ITEMS, UNITS, Params,
                            ParamError, _option_word as _option, check_applies, fmt_value, make_params, run,
                            tick_of, unknown_scenario)
    from .tcp import (CONGESTION_CONTROLS, DEFAULT_TCP_PROFILE, INIT_CWND, MAX_WINDOW, MSS, REMOTE_BEHAVIOURS,
                      REMOTE_HELP, TCP_PROFILES)
    from .topology import REMOTE1, REMOTE2
    from .pcap import START_TEXT as PCAP_START
    from .trace import event_text
except KeyboardInterrupt:
    from ._start import exit_if_starting
    exit_if_starting()
    raise

PROG = "python -m sim"
RUN_PROG = f"{PROG} run"      # what argparse names the run command's errors too


def _count(name: str):
    """An integer option, in the bounds ``sim.run`` allows it (``--size`` -> INT_BOUNDS["size"])."""
    return int_in("--" + name.replace("_", "-"), *INT_BOUNDS[name])


def _as_option(message: str, param: str | None, cli: str | None = None) -> str:
    """A ParamError's message with its parameter named as the option that sets it: ``down_uplink``
    -> ``--down-uplink`` (``cli``: the message as the error words it for the command line, which
    names several options, ``--no-bundle`` for ``bundle=False``)."""
    if cli:
        return cli
    if not param:
        return message
    message = re.sub(rf"(?<![\w-]){re.escape(param)}(?!\w)", _option(param), message)
    return message.replace("--equalize=False", "--no-equalize")


def _list_of(name: str, example: str):
    """A list option (``--flush-at``, ``--down-kbit`` ...): ``cli.list_param`` named as the option."""
    return list_param(name, _option(name), example)


def _number(name: str):
    """A number option (``--core-delay-ms``, ``--idle``) in the bounds ``sim.run`` allows it."""
    lo, hi, lo_excluded = NUMBER_BOUNDS[name]
    assert not lo_excluded
    return number_in(_option(name), lo, hi, UNITS[name], tick_of(name))


def _seconds_or_none(name: str, means: str):
    """``--down-at``, ``--read-timeout``: seconds in the bounds ``sim.run`` allows
    (``NULLABLE_BOUNDS``), or ``none``, one message for any other value."""
    return seconds_or_none(_option(name), *NULLABLE_BOUNDS[name], means, tick=tick_of(name))


def _addrs(name: str, example: str):
    """``--uplink-addrs``, ``--remote-addrs``: IPv4 addresses separated by commas (the simulated
    network has no IPv6), one message naming the first that is not one; ``sim.run`` checks the
    rest (how many, each a unicast address in its own /24)."""
    def conv(text: str) -> list[str]:
        items = [a.strip() for a in text.split(",")]
        for a in items:
            try:
                ipaddress.IPv4Address(a)
            except ValueError:
                got = repr(text) if len(items) == 1 else f"{a!r} in {text!r}"
                raise argparse.ArgumentTypeError(
                    f"{name} takes IPv4 addresses only, four numbers 0-255 separated by dots, the addresses "
                    f"separated by commas (like {example}), got {got}") from None
        return items
    return conv


def _how_many_addrs(args) -> str | None:
    """Why ``--uplink-addrs`` or ``--remote-addrs`` gives too many or too few addresses for
    the run, or None: said as the lines' lists say it (``--down-kbit gives 3 values ...``),
    the addresses as typed, before ``sim.run`` words it for a Python caller."""
    defaults = SCENARIOS[args.scenario].defaults
    uplinks = args.uplinks if args.uplinks is not None else defaults.get("uplinks", _G.uplinks)
    bundled = (args.bundle if args.bundle is not None else defaults.get("bundle", _G.bundle)) and uplinks > 1
    for option, given, want, each in (("--uplink-addrs", args.uplink_addrs, uplinks, "uplink"),
                                      ("--remote-addrs", args.remote_addrs, 2, "remote host")):
        if given is None or len(given) == want or (bundled and each == "uplink"):
            continue        # bundled: one address, the bundle's; more are refused with the bundle's reason
        n = len(given)
        default = f"{REMOTE1},{REMOTE2}" if each == "remote host" else ""
        shown = ",".join(given) if n <= SHOWN_ITEMS else ",".join(given[:SHOWN_ITEMS - 1]) + ",..."  # not 3000
        return (f"{option} gives {n} address{'' if n == 1 else 'es'} ({shown}) for {want} "
                f"{each}{'' if want == 1 else 's'}: give {want}, one per {each} (or leave it out for the "
                f"article's{' ' + default if default else ''})")
    return None


_RUN_PARSER: list = [None]      # the run command's parser, the last parser() made
_G = Params()       # the global defaults: a scenario sets some of its own (`sim list`)
#: the parameters `run`'s options set
RUN_PARAMS = ("multipath", "equalize", "nat", "remote", "cc", "tcp", "rwnd", "ingress_filter", "uplinks", "seed",
              "size", "connections", "messages", "msg_size", "pings", "subflows", "uplink_addrs",
              "remote_addrs", "port_base", "bundle", "flush_at", "down_at", "down_uplink", "up_at", "read_timeout",
              "idle", "down_kbit", "up_kbit", "delay_ms", "core_delay_ms", "remote_delay_ms", "weights")


def _default(name: str) -> str:
    return default_help(fmt_value(getattr(_G, name)))


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=PROG, description="Simulate the article's multipath + NAT router.", rewrite={
        "the following arguments are required: cmd":
            f"give a command: list (the scenarios and their parameters) or run SCENARIO ({PROG} --help)"})
    # which copy of the simulator runs: a chapter opened from the repository imports the
    # repository's, a shell elsewhere the one pip installed
    p.add_argument("--version", action="version",
                   version=f"{PROG} {__version__} ({os.path.dirname(os.path.abspath(_sim_file))})")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    sub.add_parser("list", help="list the scenarios and the parameters each sets beyond the defaults")
    r = _RUN_PARSER[0] = sub.add_parser("run", help="run a scenario", rewrite={
        "the following arguments are required: scenario":
            f"give a scenario to run: one of {', '.join(SCENARIOS)} ({PROG} list says what each shows)"})
    r.add_argument("scenario", help="one of: " + ", ".join(SCENARIOS))
    r.add_argument("--multipath", choices=POLICIES, help="how the router picks an uplink: " + "; ".join(
        f"{n}, {POLICY_REGISTRY[n].help}" if POLICY_REGISTRY[n].help else n for n in POLICIES) + f" ({_default('multipath')})")
    eq = r.add_mutually_exclusive_group()
    eq.add_argument("--equalize", dest="equalize", action="store_const", const=True,
                    help="the route's equalize flag: the uplink is chosen again for every packet (needs "
                         "multipath " + " or ".join(CACHED_POLICIES) + f"; {_default('equalize')})")
    eq.add_argument("--no-equalize", dest="equalize", action="store_const", const=False,
                    help="no equalize flag (turns off a scenario's equalize=True)")
    r.add_argument("--nat", choices=nat_models(), help="NAT model: " + "; ".join(
        f"{n}, {NAT_REGISTRY[n].help}" for n in nat_models()) + f" ({_default('nat')})")
    r.add_argument("--remote", choices=REMOTE_BEHAVIOURS,
                   help="what a remote host does with a TCP segment of no connection: " + "; ".join(
                       f"{n}, {REMOTE_HELP[n]}" for n in REMOTE_BEHAVIOURS) + f" ({_default('remote')})")
    r.add_argument("--cc", choices=CONGESTION_CONTROLS,
                   help=f"TCP congestion control: none, a fixed window of the receive window in flight "
                        f"(--rwnd, {WINDOW} bytes, {WINDOW // MSS} segments, by default); reno, RFC 5681 from "
                        f"{INIT_CWND // MSS} segments with NewReno's recovery (RFC 6582), as 2.4 without SACK, "
                        f"never beyond the receive window. Either way a connection moves at most the receive "
                        f"window a round trip ({_default('cc')})")
    lo, hi = INT_BOUNDS["rwnd"]
    r.add_argument("--rwnd", type=int_in("--rwnd", lo, hi, unit="a whole number of bytes",
                                         why=f"one segment to RFC 7323's largest window, 65535 x 2^14"),
                   metavar="BYTES",
                   help=f"{PARAM_HELP['rwnd']}; {lo}..{hi} (default {WINDOW}: {WINDOW // MSS} segments, at most "
                        f"{WINDOW} bytes a round trip: {WINDOW * 8 / 35e3:.1f} Mbit/s at a 35 ms round trip, whatever the "
                        f"line)")
    r.add_argument("--tcp", choices=TCP_PROFILES,
                   help="TCP timers: 2.4 (3 s first timeout) or today's linux (1 s, tail loss probes); "
                        f"default {DEFAULT_TCP_PROFILE}, but the scenarios of today's kernel set linux: `list` shows "
                        "which")
    r.add_argument("--today", action="store_true", help=today_help())
    r.add_argument("--ingress-filter", action="store_const", const=True, default=None,
                   help="each provider drops a packet from its customer whose source address it does not "
                        f"route to that customer (BCP 38; {_default('ingress_filter')})")
    bundle = r.add_mutually_exclusive_group()
    bundle.add_argument("--bundle", dest="bundle", action="store_const", const=True,
                        help=f"bundle the uplinks into one PPP Multilink link to provider 1 ({_default('bundle')})")
    bundle.add_argument("--no-bundle", dest="bundle", action="store_const", const=False,
                        help="separate uplinks (turns off a scenario's bundle=True)")
    r.add_argument("--uplinks", type=_count("uplinks"),
                   help=f"how many uplinks, {INT_BOUNDS['uplinks'][0]}..{INT_BOUNDS['uplinks'][1]} "
                        f"({_default('uplinks')})")
    r.add_argument("--seed", type=_count("seed"),
                   help=f"the random generator's seed: the same seed, the same run ({_default('seed')})")
    r.add_argument("--size", type=_count("size"), help="bytes per download (all downloads of a run: at most %d bytes, a part of that in "
                                                 "proportion over a line slower than %d kbit/s; %s)"
                   % (MAX_TRANSFER, SLOW_KBIT, _default("size")))
    r.add_argument("--connections", type=_count("connections"),
                   help=f"{PARAM_HELP['connections']}, {INT_BOUNDS['connections'][0]}..{INT_BOUNDS['connections'][1]} "
                        f"({_default('connections')})")
    r.add_argument("--messages", type=_count("messages"), help=f"echo: messages to echo ({_default('messages')})")
    r.add_argument("--msg-size", type=_count("msg_size"), help=f"echo: bytes per message ({_default('msg_size')})")
    r.add_argument("--pings", type=_count("pings"),
                   help="ping, icmp-equalize-nat: ICMP echo requests to send; udp-equalize-nat: UDP echo "
                        f"datagrams to send (one a second either way; {_default('pings')})")
    r.add_argument("--subflows", type=_count("subflows"), help=f"mptcp: subflows ({_default('subflows')})")
    r.add_argument("--uplink-addrs", type=_addrs("--uplink-addrs", "100.0.0.1,150.0.0.1"), metavar="A,B,...",
                   help="the uplinks' IPv4 addresses, one per uplink (default 100.0.0.1,150.0.0.1,...)")
    r.add_argument("--remote-addrs", type=_addrs("--remote-addrs", "200.0.0.1,210.0.0.1"), metavar="A,B",
                   help="the two remote hosts' IPv4 addresses (default 200.0.0.1,210.0.0.1)")
    r.add_argument("--port-base", type=_count("port_base"), help=f"first source port of the LAN hosts ({_default('port_base')})")
    r.add_argument("--down-kbit", type=_list_of("down_kbit", "8000,4000,1000"), metavar="K,K,...",
                   help="%s, kbit/s %d..%d: one value for "
                        "every uplink, or one per uplink (%s)" % (PARAM_HELP["down_kbit"], *LIST_BOUNDS["down_kbit"][:2], _default("down_kbit")))
    r.add_argument("--up-kbit", type=_list_of("up_kbit", "1000,512,256"), metavar="K,K,...",
                   help="%s, kbit/s %d..%d: one value for every "
                        "uplink, or one per uplink (%s)" % (PARAM_HELP["up_kbit"], *LIST_BOUNDS["up_kbit"][:2], _default("up_kbit")))
    r.add_argument("--delay-ms", type=_list_of("delay_ms", "10,20,40"), metavar="MS,MS,...",
                   help="%s, ms %g..%d: one value for every uplink, or one per "
                        "uplink (%s)" % (PARAM_HELP["delay_ms"], *LIST_BOUNDS["delay_ms"][:2], _default("delay_ms")))
    r.add_argument("--core-delay-ms", type=_number("core_delay_ms"), metavar="MS",
                   help="one-way delay from each provider to the Internet core, ms %g..%d (%s)"
                        % (*NUMBER_BOUNDS["core_delay_ms"][:2], _default("core_delay_ms")))
    r.add_argument("--remote-delay-ms", type=_number("remote_delay_ms"), metavar="MS",
                   help="one-way delay from the Internet core to each remote host, ms %g..%d (%s)"
                        % (*NUMBER_BOUNDS["remote_delay_ms"][:2], _default("remote_delay_ms")))
    r.add_argument("--weights", type=_list_of("weights", "4,2,1"), metavar="W,W,...",
                   help="%s; W %d..%d: one value for every uplink, or one per uplink (%s)"
                        % (PARAM_HELP["weights"], *LIST_BOUNDS["weights"][:2], _default("weights")))
    r.add_argument("--idle", type=_number("idle"), metavar="T",
                   help="cache-expiry: seconds between the download's two requests, 0..%d (%s)"
                        % (NUMBER_BOUNDS["idle"][1], _default("idle")))
    r.add_argument("--flush-at", type=_list_of("flush_at", "0.3,12"), metavar="T,T,...",
                   help="flush the route cache at these times (s, 0..%d), at once, as echo 0 > "
                        "/proc/sys/net/ipv4/route/flush does (ip route flush cache waits 2 s)" % MAX_SECONDS)
    r.add_argument("--down-at", type=_seconds_or_none("down_at", "no line fails"), metavar="T|none",
                   help="uplink --down-uplink's line fails at T s (0..%d); none: no line fails (%s)"
                        % (MAX_SECONDS, _default("down_at")))
    r.add_argument("--down-uplink", type=any_int("--down-uplink"), metavar="K",     # one of the uplinks: run() checks
                   help=f"{PARAM_HELP['down_uplink']} at --down-at ({_default('down_uplink')})")
    r.add_argument("--up-at", type=_seconds_or_none("up_at", "the line never comes back"), metavar="T|none",
                   help="the line that failed at --down-at comes back at T s (after --down-at, up to %d): %s; "
                        "none: it never comes back (%s). uplink-down also starts a third round of downloads "
                        "at T+1 s, as many as each round (--connections)"
                        % (MAX_SECONDS, PARAM_HELP["up_at"], _default("up_at")))
    r.add_argument("--read-timeout", type=_seconds_or_none("read_timeout", "no read timeout"), metavar="T|none",
                   help="a downloading client closes after T s without data (%g..%g: the simulation counts "
                        "whole microseconds); none: it waits as long as the run lasts (%s)"
                        % (*NULLABLE_BOUNDS["read_timeout"][:2], _default("read_timeout")))
    r.add_argument("--format", choices=("text", "json"), default="text",
                   help="text, one tcpdump-like line per event and a summary (default); json, the events, "
                        "parameters and summary as one object")
    r.add_argument("--pcap", metavar="FILE",
                   help=f"also write the hops as pcapng, one interface per link, time 0 of the run at "
                        f"{PCAP_START}")
    r.add_argument("--pcap-link", metavar="LINK[,LINK]",
                   help="with --pcap: only these links' frames, each packet once per link (as tcpdump -i "
                        "on that device): a link's name (uplink1), the device it is captured on "
                        "(router:if1) or a router device's name (if1); python -m sim run SCENARIO "
                        "--pcap-link help lists them")
    r.add_argument("--summary-only", action="store_true", help="text: print only the summary")
    return p


def main(argv: list[str] | None = None) -> int:
    # SIGTERM (kill, timeout) and SIGHUP (the terminal closed) as Ctrl-C: what is being written
    # is removed on the way out (a capture's temporary file), one line, 128 + the signal
    with terminated_like_ctrl_c() as stopped:
        try:
            return _main(argv)
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
    print(f"{PROG}: terminated", file=sys.stderr)
    return stopped.status


#: the options that take a list, written as one word: items separated by commas
LIST_OPTIONS = ("--down-kbit", "--up-kbit", "--delay-ms", "--weights", "--flush-at", "--uplink-addrs",
                "--remote-addrs")
_ITEM = re.compile(r"[0-9][0-9.,]*")            # a number, an address, a list of them


def _split_list(argv: list[str], run_parser) -> str | None:
    """Why a list option's items were given as separate words (``--down-kbit 8000 4000``), or
    None: argparse took the first as the list and called the rest "unrecognized arguments:
    4000" -- or, before the scenario's name, took the next for the scenario (``unknown scenario
    '4000'``) -- and said nothing of commas."""
    words = list(argv)
    if next((w for w in words if not w.startswith("-")), None) != "run":
        return None                         # (list takes no option of these)
    options = [o for a in run_parser._actions for o in a.option_strings]
    for i, word in enumerate(words):
        if word == "--":
            break
        typed, eq, value = word.partition("=")
        if not typed.startswith("--"):
            continue
        named = [o for o in options if o == typed] or [o for o in options if o.startswith(typed)]
        if len(named) != 1 or named[0] not in LIST_OPTIONS:
            continue
        if not eq:
            if i + 1 >= len(words):
                continue
            value = words[i + 1]
        more = list(itertools.takewhile(_ITEM.fullmatch, words[i + (1 if eq else 2):]))
        if more and _ITEM.fullmatch(value):
            items = [value, *more]
            return (f"{named[0]} takes one comma-separated list: {named[0]} {','.join(x.strip(',') for x in items)} "
                    f"(got {' '.join(items)!r}: a space ends the list)")
    return None


def _main(argv: list[str] | None) -> int:
    p = parser()
    if (why := _split_list(sys.argv[1:] if argv is None else argv, _RUN_PARSER[0])) is not None:
        return _fail(why)
    args, extra = p.parse_known_args(argv)
    if extra:
        # `list equalize-nat` was "unrecognized arguments: equalize-nat", as if list had an option
        # of that name: list takes no word, and says where a scenario's name goes
        if args.cmd == "list" and not any(w.startswith("-") for w in extra):
            return fail(f"{PROG} list", _list_takes_no_word(extra[0]))
        # as parse_args() says it, by the command's parser: "python -m sim run: error: ...", as
        # every other message of the command's options is (it said "python -m sim: error:")
        commands = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices
        commands.get(args.cmd, p).error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.cmd == "list":
            write_stdout(_list())
            return 0
        return _run(args)
    except ReaderGone:                       # `| head`: quiet, as a Unix tool
        return ReaderGone.STATUS
    except OutputError as e:                 # a full disk, a file-size limit
        return fail(PROG if args.cmd == "list" else RUN_PROG, str(e), 1)


def _list_takes_no_word(word: str) -> str:
    """Why ``list WORD`` is refused: list lists every scenario; a scenario's name goes after
    ``run`` (the name as ``run`` would take it, when it is one in another case)."""
    name = word.lower().replace("_", "-")
    if name in SCENARIOS:
        return (f"list takes no scenario: it lists every one and what each sets beyond the defaults "
                f"({PROG} list); to run {name}: {PROG} run {name} (its options: {PROG} run --help)")
    return (f"list takes no scenario or other word, got {word!r}: {PROG} list lists every scenario, "
            f"{PROG} run SCENARIO runs one")


def _list() -> str:
    """Each scenario, what it shows and the parameters it sets beyond the defaults (the
    options of ``run``, given first)."""
    given = [(n, getattr(_G, n)) for n in RUN_PARAMS]
    return scenario_list([(n, fmt_value(v)) for n, v in given if v not in (None, [])],
                         [(s.name, s.doc, " ".join(f"{k}={fmt_value(v)}" for k, v in s.defaults.items()))
                          for s in SCENARIOS.values()])


def _run(args) -> int:
    if args.scenario not in SCENARIOS:
        return _fail(unknown_scenario(args.scenario))
    if args.pcap is not None and (why := pcap_problem(args.pcap)) is not None:
        return _fail(why)               # bad input, told before the run (a late write failure: status 1)
    no_line_fails = args.down_at is NONE or (args.down_at is None
                                             and SCENARIOS[args.scenario].defaults.get("down_at") is None)
    if args.down_uplink is not None and args.down_at is NONE:
        return _fail(f"--down-uplink {args.down_uplink} names the uplink whose line fails, and --down-at none "
                     f"fails no line: give --down-at SECONDS, or leave out --down-uplink")
    if args.down_uplink is not None and no_line_fails:
        return _fail(down_uplink_without_down_at(args.down_uplink, args.scenario))
    if args.up_at is not None and args.up_at is not NONE and no_line_fails:
        return _fail(up_at_without_down_at(args.up_at, args.scenario, args.down_at is NONE))
    if args.summary_only and args.format != "text":
        return _fail("--summary-only is for --format text: the JSON always holds the summary "
                     "(read its \"summary\")")
    bundle_by = args.scenario if args.bundle is None and SCENARIOS[args.scenario].defaults.get("bundle") else None
    if (args.bundle or bundle_by) and args.uplink_addrs and len(args.uplink_addrs) > 1:
        # sim.run takes one per uplink too, and the bundle the first: typed, the others would be ignored
        return _fail(f"--uplink-addrs gives {len(args.uplink_addrs)} addresses, and with --bundle"
                     f"{f' ({bundle_by} sets it)' if bundle_by else ''} the uplinks are one link with one "
                     f"address: give one, the bundle's (or none for the article's), or --no-bundle")
    if (why := _how_many_addrs(args)) is not None:
        return _fail(why)
    if args.today:                      # today's router, in what the options left to the scenario
        bundled = args.bundle if args.bundle is not None else bool(bundle_by)
        for k, v in today_values(args.scenario, bundled).items():
            if getattr(args, k) is None:
                setattr(args, k, v)
    given = {k: getattr(args, k) for k in RUN_PARAMS if getattr(args, k) is not None}
    overrides = {k: None if v is NONE else v for k, v in given.items()}     # None: no line fails ...
    try:
        check_applies(args.scenario, given, name=lambda k: "--" + k.replace("_", "-"))
    except ParamError as e:
        return _fail(str(e))
    links = None
    if args.pcap_link is not None:
        try:
            links = _pcap_links(args, overrides)
        except ParamError as e:
            return _fail(_as_option(str(e), e.param, e.cli))
        if isinstance(links, str):
            return _fail(links)
        if not links:                   # --pcap-link help: the list
            return write_stdout([_links_help(args, overrides)]) or 0
    # the text trace goes out as the run makes it (a long run talks at once); the JSON, whose
    # head names the network the run builds, and the summary alone once the run has ended
    stream = StreamedTrace() if args.format == "text" and not args.summary_only else None

    def rest(result):
        """What goes to standard output once the run has ended."""
        if stream is not None:
            return stream.rest(result)
        if args.format == "json":
            return result.json_chunks()
        return ["\n".join(result.summary_text()) + "\n"]
    try:
        # (before the run, which may take a while; the trace and the JSON are left as they were)
        if (note := mixed_kernels(make_params(args.scenario, **overrides), args.scenario, given)) is not None:
            print(f"{RUN_PROG}: note: {note}", file=sys.stderr)
        if not args.pcap:
            write_stdout(rest(run(args.scenario, stop=stream, **overrides)))
            return 0
        ran = []
        why = _run_with_capture(args.pcap, lambda: ran.append(run(args.scenario, stop=stream, **overrides))
                                or ran[0], rest, links)
    except ParamError as e:
        return _fail(_as_option(str(e), e.param, e.cli))
    except RouteError as e:
        return _fail(str(e))
    if why is not None:
        return fail(RUN_PROG, f"cannot write pcap {args.pcap!r}: {why} (the trace went to standard output)", 1)
    if len(links or ran[0].net.links) > 1 and sys.stderr.isatty():      # for a person, not for a script
        print(split_hint(args.pcap, ran[0]), file=sys.stderr)
    return 0


def split_hint(path: str, result) -> str:
    """What ``--pcap`` says on standard error, when that is a terminal, once its file is
    written and holds more than one link: that a packet is a frame on every link it crosses, which Wireshark's
    statistics count each time, and how to read one link alone (the section header says it
    too)."""
    from .pcap import capture_end
    links = list(result.net.links.values())
    link = next((l for l in links if l.name == "uplink1"), links[0])
    return (f"{RUN_PROG}: note: {path} holds {len(links)} links' frames, a packet once on each link it "
            f"crosses, so Wireshark's statistics count it that many times; one link alone (here "
            f"{link.name}, captured on {capture_end(link).label}): tshark -r {shlex.quote(path)} -Y "
            f"'frame.interface_name == \"{link.name}\"' -w {link.name}.pcapng")


def _captures(args, overrides: dict) -> list[tuple[str, str]]:
    """(link, where captured) of the network this run builds, known before it runs."""
    from .pcap import link_captures
    from .scenarios import _network_steps
    return link_captures(_network_steps(make_params(args.scenario, **overrides)))


def _links_help(args, overrides: dict) -> str:
    """``--pcap-link help``: the links of this run's network, and the device each is captured on."""
    return (f"the links of {args.scenario}'s network, for --pcap-link (a name, or the device it is "
            f"captured on; several comma-separated):\n"
            + "".join(f"  {n:<14} captured on {w}\n" for n, w in _captures(args, overrides)))


def _pcap_links(args, overrides: dict) -> list[str] | str:
    """The links ``--pcap-link`` names in the network this run builds, in its order, or one
    line saying why not; ``[]`` for ``help`` (``_links_help``)."""
    from .pcap import pick_links
    if args.pcap_link.strip().lower() == "help":
        return []
    if args.pcap is None:
        return (f"--pcap-link {args.pcap_link!r} chooses the links of the capture --pcap FILE writes: give "
                f"--pcap FILE too (the trace on standard output has every link)")
    return pick_links(args.pcap_link, _captures(args, overrides), f"{args.scenario}'s network")


def _run_with_capture(path: str, simulate, rest, links=None) -> str | None:
    """Run (``simulate()``, which may write the trace as it goes) and write its capture to
    ``path`` and ``rest(result)`` to standard output.  The capture's file is open from the
    start, so that a signal during the run removes it, and appears only once standard output
    was written: a failing standard output leaves no file (``OutputError``).  A failing
    capture (a full disk) leaves the trace on standard output all the same, and its reason
    (``strerror``) is returned; None when all was written."""
    from ._io import atomic_open
    from .pcap import pcapng_blocks
    ran, sent = [], []
    try:
        with atomic_open(path, "wb") as f:
            ran.append(simulate())
            f.writelines(pcapng_blocks(ran[0], links=links))
            f.flush()
            sent.append(True)
            write_stdout(rest(ran[0]))
    except OutputError:
        raise
    except OSError as e:
        if not sent:            # (the run first, when the file could not even be made)
            result = ran[0] if ran else simulate()
            write_stdout(rest(result))
        return e.strerror or str(e)
    return None


class StreamedTrace:
    """The text trace written while the run makes it: called with each event as it is recorded
    (``sim.run``'s ``stop``, which it never asks for), it keeps the event's line and writes the
    lines ``LINES`` at a time; ``rest(result)`` is what is left once the run has ended, the
    summary last.  The bytes are ``Result.text_chunks()``'s, only sooner."""

    LINES = 256

    def __init__(self):
        self.lines: list[str] = []
        self.seen = 0

    def __call__(self, record) -> bool:
        self.lines.append(event_text(record) + "\n")
        self.seen += 1
        if len(self.lines) >= self.LINES:
            lines, self.lines = self.lines, []
            write_stdout(lines)
        return False

    def rest(self, result):
        lines, self.lines = self.lines, []
        yield from lines
        events = result.events
        for e in events[self.seen:]:            # (every event is recorded as it happens: none)
            yield event_text(e) + "\n"
        yield ("\n" if len(events) else "") + "\n".join(result.summary_text()) + "\n"


def _fail(msg: str) -> int:
    return fail(RUN_PROG, msg)


if __name__ == "__main__":
    sys.exit(main())
