"""The article's scenarios, named and parameterised, and ``run()``.

Every scenario starts from the article's assumptions (random multipath, the
article's NAT, a remote host that ignores stray ACKs) and every parameter
can be changed:

    >>> import sim
    >>> r = sim.run("equalize-nat", nat="netfilter", seed=1)
    >>> r.summary["connections"][0]["handshake"]
"""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field, fields
from functools import lru_cache
from operator import attrgetter
from typing import Callable

from .apps import Download, EchoClient, EchoServer, Pinger, UdpEcho, WebServer
from .core import MS, S, Sim
from .fib import in_prefix, parse_prefix
from .policies import CACHED_POLICIES, POLICIES
from .mptcp import MptcpDownload, MptcpServer
from .natmodels import REGISTRY as NAT_REGISTRY, names as nat_models
from .host import WINDOW
from .tcp import CONGESTION_CONTROLS, MAX_WINDOW, MSS, REMOTE_BEHAVIOURS, TCP_PROFILES
from .topology import KBIT, REMOTE1, REMOTE2, NetworkSpec, Uplink, build, describe, uplink_addr
from .result import Result

_CACHED = " or ".join(CACHED_POLICIES)    # the policies with a route cache: "random or wrr"


class ParamError(ValueError):
    """A parameter a reader gave that can't be used; the message names it, the value given
    and what is allowed.  ``param`` is the parameter's name (None when no one is to blame)."""

    def __init__(self, message: str, param: str | None = None, cli: str | None = None):
        super().__init__(message)
        self.param = param
        #: the message as ``python -m sim`` words it (``--no-bundle`` for ``bundle=False``), when it
        #: names parameters beyond ``param``; None: ``param`` named as its option will do
        self.cli = cli

    def _render_traceback_(self) -> list[str]:
        """What IPython (Jupyter, Binder) shows for it: the message alone, as the command line
        says it, not 20-40 lines of the simulator's frames under it (IPython's hook for an
        exception's own traceback)."""
        return [f"{type(self).__name__}: {self}"]


#: a list given longer than this is named in a message by its length and its first few items
SHOWN_ITEMS = 4


def _short(v) -> str:
    """A value given, for a message: short, whatever was given (3000 addresses are said as
    ``3000: ['10.0.0.1', '10.0.1.1', '10.0.2.1', ...]``, not the whole list)."""
    import reprlib
    r = reprlib.Repr()
    r.maxlist, r.maxstring, r.maxother = SHOWN_ITEMS - 1, 40, 40
    if isinstance(v, list) and len(v) > SHOWN_ITEMS:
        return f"{len(v)}: {r.repr(v)}"
    return repr(v) if len(repr(v)) <= 200 else r.repr(v)


def _py_word(name: str) -> str:
    """A parameter as a message to a Python caller names it: ``no_bundle`` -> ``bundle=False``."""
    return name[3:] + "=False" if name.startswith("no_") else name


def _option_word(name: str) -> str:
    """A parameter as the command line's message names it: ``down_at`` -> ``--down-at``,
    ``no_bundle`` -> ``--no-bundle``."""
    return "--" + name.replace("_", "-")


def _said(words: Callable[[Callable[[str], str]], str], param: str) -> ParamError:
    """A ParamError whose message names several parameters: ``words(n)`` writes it with
    ``n(name)`` for each, once for Python (``bundle=False``) and once for the command line
    (``--no-bundle``)."""
    return ParamError(words(_py_word), param, cli=words(_option_word))


# Bounds of the parameters.  Any run they allow finishes in about a minute and under 2 GB on
# a 2-core machine (measured: `python -m sim.bench` and tests/test_hardening.py): the cost
# of a run grows with the bytes its applications move, so those are bounded together
# (MAX_TRANSFER), and a time bounds every timer a parameter adds.
MAX_UPLINKS = 16
MAX_TRANSFER = 100_000_000       # bytes all downloads (or echoes) of one run move, at most
MAX_SECONDS = 86_400             # flush_at, down_at, up_at, idle: one simulated day
# ... except over a slow line: there a byte costs more to simulate (measured, December 2026,
# events per byte moved, against the default lines': up to 17 times at 1 kbit/s (flashget
# moving 6.25 MB), about 6 at 2, 2.7 at 4, 1.5 at 8, 1.3 at 16), as the senders' segments overflow the line's queue
# and outwait their retransmission timers and go again and again.  Below SLOW_KBIT (the
# slowest line of the run, up or down) the bytes are bounded in proportion to the speed:
# slow_line_transfer()
SLOW_KBIT = 16
MAX_FLUSHES = 1_000
# ... and with cc none and a window above the default (rwnd): a sender that never backs off keeps
# the whole window in flight, over a line slower than a window a round trip mostly in queues that
# overflow (measured, December 2026: up to 17 times the events per byte of the default window, a
# 1 GB one over the default lines), so such a run moves at most a sixteenth
WIDE_WINDOW_TRANSFER = MAX_TRANSFER // 16
INT_BOUNDS = {"uplinks": (1, MAX_UPLINKS), "seed": (0, 2**63 - 1), "size": (1, MAX_TRANSFER),
              "connections": (1, 64), "pings": (0, 10_000), "messages": (1, 10_000),
              "msg_size": (1, 10_000_000), "subflows": (1, 8), "port_base": (1024, 60_000),
              "down_uplink": (1, MAX_UPLINKS), "rwnd": (MSS, MAX_WINDOW)}
# The simulation's clock counts whole microseconds: a time is taken as int(value x unit), so a
# time above 0 and below 1 us would be 0 -- a read timeout of none, a failure at once.  The
# bounds say so: a delay or read timeout is at least 1 us, a moment (flush_at, down_at, idle)
# 0 or at least 1 us (TICK; a value between two microseconds is rounded down, as before).
TICK = {"seconds": 1e-6, "ms": 1e-3}        # 1 us in the unit
NUMBER_BOUNDS = {"idle": (0, MAX_SECONDS, False),                 # (lo, hi, lo excluded)
                 "core_delay_ms": (TICK["ms"], 10_000, False), "remote_delay_ms": (TICK["ms"], 10_000, False)}
NULLABLE_BOUNDS = {"down_at": (0, MAX_SECONDS, False), "read_timeout": (TICK["seconds"], 3600, False),
                   # up_at: after down_at too (Params._check_up_at)
                   "up_at": (0, MAX_SECONDS, True)}
LIST_BOUNDS = {"flush_at": (0, MAX_SECONDS, False, False),       # (lo, hi, lo excluded, integers)
               "down_kbit": (1, 10_000_000, False, False), "up_kbit": (1, 10_000_000, False, False),
               "delay_ms": (TICK["ms"], 10_000, False, False), "weights": (1, 256, False, True)}
#: the lists of one value per uplink (or one for every uplink)
PER_UPLINK = ("down_kbit", "up_kbit", "delay_ms", "weights")
UNITS = {"idle": "seconds", "down_at": "seconds", "up_at": "seconds", "read_timeout": "seconds", "flush_at": "seconds",
         "core_delay_ms": "ms", "remote_delay_ms": "ms", "delay_ms": "ms", "down_kbit": "kbit/s",
         "up_kbit": "kbit/s", "size": "bytes", "msg_size": "bytes", "rwnd": "bytes"}

#: what a parameter is, in the words ``python -m sim run --help`` and the live players' hints share
PARAM_HELP = {
    "down_kbit": "each uplink's line speed down (provider to router)",
    "up_kbit": "each uplink's line speed up (router to provider)",
    "delay_ms": "each uplink's one-way delay",
    "weights": "each uplink's nexthop weight, as `ip route ... nexthop ... weight W`: random and the hashes "
               "choose an uplink in proportion to them, wrr, numgen and connmark give each that many "
               "turns a round (numgen's and connmark's as nftables `numgen inc mod SUM map { 0 : 1, 1 : 1, 2 : 2 }` "
               "for weights 2,1, SUM the weights' sum once divided by their greatest common divisor: "
               "4,2 is 2,1, mod 3; equal weights: each in turn)",
    "connections": "parallel downloads",
    "down_uplink": "which uplink's line fails (1-based)",
    "up_at": "its device up again (NETDEV_UP), its nexthop live again, and the routes the kernel deleted "
             "with it put back, as the uplink's ip-up script puts them",
    "rwnd": "the receive window every TCP end announces, in bytes: what a sender may have unacknowledged "
            "whatever its congestion window, so a connection moves at most this much a round trip; "
            "above 65535 announced with RFC 7323's window scaling (the SYNs' Window Scale option), "
            "rounded down to what its units say",
}


#: what a parameter is in one scenario, where it means more than ``PARAM_HELP`` says
PARAM_HELP_IN = {
    ("thought-question", "connections"): "flashget's threads: Local host 1's parallel downloads from Remote "
                                         "host 2 (Realplay's stream and Local host 2's download run besides "
                                         "them: the run has 2 connections more)",
    ("uplink-down", "connections"): "parallel downloads a round: as many start at 0 s, again 1 s after the "
                                    "line fails and, when it comes back, 1 s after that",
}


def param_help(scenario: str, name: str) -> str:
    """What parameter ``name`` is in ``scenario``: its ``PARAM_HELP``, or what it means there."""
    return PARAM_HELP_IN.get((scenario, name), PARAM_HELP[name])


def tick_of(name: str) -> float | None:
    """1 us in the unit of time parameter ``name`` (None for one that is no time)."""
    return TICK.get(UNITS.get(name, ""))


def plain(v):
    """A NumPy scalar (``np.int64`` from ``np.arange``, ``np.float64``, ``np.bool_``) as the
    Python value it holds, so that it is checked and recorded like one; anything else as is."""
    if type(v).__module__ == "numpy" and getattr(v, "ndim", None) == 0:
        return v.item()
    return v


def _given(v, whole) -> str:
    return f"{v!r}" if whole is None else f"{v!r} (in {whole!r})"


def _integer(name: str, v, lo: int, hi: int, whole=None) -> None:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ParamError(f"{name} must be an integer {lo}..{hi}, got {_given(v, whole)}", name)
    if not lo <= v <= hi:
        unit = f" {UNITS[name]}" if name in UNITS else ""
        raise ParamError(f"{name} {_given(v, whole)} out of range: allowed {lo}..{hi}{unit}", name)


def _num(x) -> str:
    """A bound as a message writes it: ``86400``, ``10000000``, ``0.001``, ``1e-06``."""
    return f"{x:g}" if isinstance(x, float) else str(x)


def _number(name: str, v, lo, hi, lo_open: bool, whole=None) -> None:
    number = not isinstance(v, bool) and isinstance(v, (int, float))
    tick = tick_of(name)
    below_tick = number and tick is not None and 0 < v < tick
    if number and math.isfinite(v) and (lo < v if lo_open else lo <= v) and v <= hi and not below_tick:
        return          # (the message below is formatted only for a bad value)
    unit = f" {UNITS[name]}" if name in UNITS else ""
    allowed = f"{'(' if lo_open else '['}{_num(lo)}, {_num(hi)}]{unit}"
    if tick is not None and lo == 0 and not lo_open:
        allowed = f"0 or [{_num(tick)}, {_num(hi)}]{unit}"
    if not number:
        raise ParamError(f"{name} must be a number in {allowed}, got {_given(v, whole)}", name)
    if below_tick:
        raise ParamError(f"{name} {_given(v, whole)} is below the simulation's resolution of 1 microsecond: "
                         f"allowed {allowed}", name)
    raise ParamError(f"{name} {_given(v, whole)} out of range: allowed {allowed}", name)


@lru_cache(maxsize=1024)
def _addr_kind(a: str) -> str | None:
    """``None`` for a string that is no IPv4 address, ``"unicast"`` for an ordinary unicast
    one, else ``"special"`` (loopback, multicast, link-local, reserved or 0/8).  Cached: a
    Monte Carlo of thousands of runs checks the same few addresses each time."""
    try:
        ip = ipaddress.IPv4Address(a)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_multicast or ip.is_link_local or ip.is_reserved \
            or ip in ipaddress.IPv4Network("0.0.0.0/8"):
        return "special"
    return "unicast"


_NET, _UPLINK = NetworkSpec(), Uplink()     # the article's network: Params' defaults are its


@dataclass
class Params:
    multipath: str = _NET.policy        # "random"
    equalize: bool = _NET.equalize
    nat: str = _NET.nat                 # "article"
    remote: str = _NET.remote           # "article"
    cc: str = _NET.cc                   # TCP congestion control: none (fixed window) or reno
    tcp: str = _NET.tcp                 # TCP timers: 2.4 (3 s first RTO) or linux (1 s, loss probes)
    rwnd: int = WINDOW                  # bytes: the receive window every TCP end announces
    ingress_filter: bool = _NET.ingress_filter
    uplinks: int = len(_NET.uplinks)
    seed: int = 1
    size: int = 200_000                 # bytes per download (per request)
    connections: int = 1                # parallel downloads (flashget: 8)
    idle: float = 660.0                 # s between the two requests of cache-expiry (> 2 x gc_timeout
                                        # + gc_interval: the entry is gone whatever its hash bucket)
    pings: int = 10
    messages: int = 10                  # echo: messages on the one connection
    msg_size: int = 1000                # echo: bytes per message
    subflows: int = 2                   # mptcp: subflows of the one connection
    uplink_addrs: list[str] = field(default_factory=list)   # if1, if2 ... (default: the article's)
    remote_addrs: list[str] = field(default_factory=list)   # remote1, remote2 (default: the article's)
    port_base: int = _NET.port_base     # first source port of the LAN hosts
    bundle: bool = _NET.bundle          # the uplinks bundled into one (PPP Multilink) to provider 1
    flush_at: list[float] = field(default_factory=list)     # s: `ip route flush cache` then
    down_at: float | None = None        # s: the line of uplink `down_uplink` goes down then
    down_uplink: int = 2                # which uplink (1-based) goes down at `down_at`
    up_at: float | None = None          # s: ... and comes back then (after `down_at`); None: never
    read_timeout: float | None = None   # s a downloading client waits for data before it closes
    down_kbit: list[int] = field(default_factory=lambda: [_UPLINK.down // KBIT])  # per uplink, or one for all
    up_kbit: list[int] = field(default_factory=lambda: [_UPLINK.up // KBIT])
    delay_ms: list[float] = field(default_factory=lambda: [_UPLINK.delay / MS])
    core_delay_ms: float = _NET.core_delay / MS         # provider <-> Internet, one way
    remote_delay_ms: float = _NET.remote_delay / MS     # Internet <-> remote host, one way
    weights: list[int] = field(default_factory=lambda: [_UPLINK.weight])
    trace: bool = True                  # False: counters only

    def validate(self, set_by: dict[str, str] | None = None) -> None:
        """ParamError for the first parameter that can't be used.  ``set_by``: the parameters a
        scenario set, not the caller (name -> the scenario), which a refusal says."""
        set_by = set_by or {}
        for f in fields(self):
            v = getattr(self, f.name)
            if type(v).__module__ == "numpy" or (type(v) is list and any(type(x).__module__ == "numpy" for x in v)):
                setattr(self, f.name, [plain(x) for x in v] if type(v) is list else plain(v))
        def choice(name, allowed, listed=None):
            v = getattr(self, name)
            if not isinstance(v, str) or v not in allowed:
                allowed = listed() if listed else allowed
                raise ParamError(f"unknown {name} {v!r}: allowed are {', '.join(allowed)}", name)
        choice("multipath", POLICIES)
        # the registry itself (a model registered later is allowed too); its sorted names
        # are made only for the message
        choice("nat", NAT_REGISTRY, nat_models)
        choice("remote", REMOTE_BEHAVIOURS)
        choice("cc", CONGESTION_CONTROLS)
        choice("tcp", TCP_PROFILES)
        for name in ("equalize", "ingress_filter", "bundle", "trace"):
            if not isinstance(getattr(self, name), bool):
                raise ParamError(f"{name} must be true or false, got {getattr(self, name)!r}", name)
        for name, (lo, hi) in INT_BOUNDS.items():
            v = getattr(self, name)
            if name == "down_uplink" and type(v) is int and type(self.uplinks) is int:
                continue                                    # one of the uplinks: checked below
            if type(v) is not int or not lo <= v <= hi:     # else _integer finds nothing wrong
                _integer(name, v, lo, hi)
        for name, (lo, hi, lo_open) in NUMBER_BOUNDS.items():
            _number(name, getattr(self, name), lo, hi, lo_open)
        for name in NULLABLE:
            if getattr(self, name) is not None and name != "up_at":    # up_at: after down_at, below
                _number(name, getattr(self, name), *NULLABLE_BOUNDS[name])
        for name, (lo, hi, lo_open, integer) in LIST_BOUNDS.items():
            v = getattr(self, name)
            if isinstance(v, tuple):
                v = list(v)
                setattr(self, name, v)
            least, most, what = ((0, MAX_FLUSHES, "times in seconds") if name == "flush_at" else
                                 (1, MAX_UPLINKS, "numbers, one for every uplink or one per uplink"))
            if not isinstance(v, list) or not least <= len(v) <= most:
                raise ParamError(f"{name} must be a list of {least}..{most} {what}, got {v!r}", name)
            for x in v:
                if integer:
                    if type(x) is not int or not lo <= x <= hi:
                        _integer(name, x, lo, hi, whole=v)
                else:
                    _number(name, x, lo, hi, lo_open, whole=v)
        n_up = self.uplinks
        for name in PER_UPLINK:             # one value for every uplink, or one per uplink
            v = getattr(self, name)
            if len(v) not in (1, n_up):
                raise _said(lambda n: f"{n(name)} gives {len(v)} values ({fmt_value(v)}) for {n_up} "
                                      f"uplink{'s' if n_up != 1 else ''}: give one value for every uplink"
                                      + (f", or {n_up}, one per uplink" if n_up != 1 else ""), name)
        if self.flush_at and self.multipath not in CACHED_POLICIES:
            raise _said(lambda n: f"{n('flush_at')} flushes the route cache: {n('multipath')} {self.multipath} "
                                  f"has none (use {_CACHED})", "flush_at")
        k = self.down_uplink
        ks = "1" if n_up == 1 else f"1..{n_up}"        # the uplinks' numbers: "1", not "1..1"
        if k < 1:               # not a fact of the run: only what was asked for
            raise _said(lambda n: f"{n('down_uplink')} {k} out of range: allowed {ks} (the uplinks are "
                                  f"numbered from 1)", "down_uplink")
        if k > n_up and (self.down_at is not None or k != 2):
            why = (f"the line of uplink {k} is to fail at {self.down_at:g} s" if self.down_at is not None
                   else "no such uplink")
            raise _said(lambda n: f"{n('down_uplink')} {k} out of range: allowed {ks} (there "
                                  f"{f'is 1 uplink' if n_up == 1 else f'are {n_up} uplinks'}; {why}: give "
                                  f"{n('down_uplink')} {ks}, "
                                  f"or {n('uplinks')} {k} or more)", "down_uplink")
        self._check_up_at()
        if self.down_at is not None and self.bundle:
            by, at = set_by.get("bundle"), set_by.get("down_at")
            # (uplink-down --bundle: the scenario's failing line, not one the reader asked for)
            raise _said(lambda n: f"{n('down_at')} takes a whole uplink down; with {n('bundle')} the lines are "
                                  f"one link" + (f" ({by} sets {n('bundle')})" if by else "")
                                  + (f": give {n('no_bundle')}" if not at else
                                     f", and {at} sets {n('down_at')} {fmt_value(self.down_at)}: give "
                                     f"{n('down_at')} none for a run with no failing line, or {n('no_bundle')}"),
                        "down_at")
        self._check_addrs(set_by)
        if self.equalize and self.multipath not in CACHED_POLICIES:
            by = set_by.get("equalize")
            raise _said(lambda n: f"{n('equalize')} is a route-cache flag: it needs {n('multipath')} {_CACHED}, "
                                  f"not {self.multipath}, which has no route cache "
                                  + (f"(use {n('no_equalize')})" if not by else
                                     f"({by} sets {n('equalize')}: turn it off with {n('no_equalize')})"),
                        "equalize")

    def _check_up_at(self) -> None:
        """``up_at``: only when a line fails (``down_at``), a number of seconds after it -- a
        microsecond or more, as the clock counts -- and within a simulated day."""
        up, down = self.up_at, self.down_at
        if up is None:
            return
        number = not isinstance(up, bool) and isinstance(up, (int, float))
        if down is None:
            shown = fmt_value(up) if number else repr(up)
            raise _said(lambda n: f"{n('up_at')} {shown} brings back the line that fails at {n('down_at')}, and no "
                                  f"line fails ({n('down_at')} none): give {n('down_at')} SECONDS too, before it, or "
                                  f"leave out {n('up_at')}", "up_at")
        hi = NULLABLE_BOUNDS["up_at"][1]
        if number and math.isfinite(up) and down < up <= hi and int(up * S) > int(down * S):
            return
        shown = str(int(up)) if number and math.isfinite(up) and float(up).is_integer() else repr(up)
        allowed = (f"allowed ({down:g}, {hi}] seconds: after {{down_at}} {down:g}, when the line fails (a "
                   f"microsecond or more after: the simulation counts whole microseconds), and within a simulated day")
        if not number:
            raise _said(lambda n: f"{n('up_at')} must be a number of seconds, got {up!r}: "
                                  + allowed.format(down_at=n("down_at")), "up_at")
        raise _said(lambda n: f"{n('up_at')} {shown} out of range: " + allowed.format(down_at=n("down_at")), "up_at")

    def _check_addrs(self, set_by: dict[str, str]) -> None:
        """Uplink and remote addresses, as given or the article's defaults: each an ordinary
        unicast address (not loopback, multicast, link-local, reserved or 0.0.0.0/8) in its
        own /24, clear of the LAN (192.168.0.0/24) and the core's links (172.31.0.0/16);
        .0, .254 (the provider's gateway) and .255 are taken."""
        # bundled, the uplinks are one link with one address, the first (topology._connect_uplinks):
        # one address will do; a list of one per uplink is taken as before (python -m sim, which
        # can tell that the user typed them, refuses more than the bundle uses)
        bundled = self.bundle is True and self.uplinks > 1
        for name, want in (("uplink_addrs", self.uplinks), ("remote_addrs", 2)):
            v = getattr(self, name)
            if isinstance(v, tuple):
                v = list(v)
                setattr(self, name, v)
            if name == "uplink_addrs" and bundled and isinstance(v, list) and len(v) == 1:
                continue
            if not isinstance(v, list) or (v and len(v) != want):
                by = f" ({set_by['bundle']} sets it)" if "bundle" in set_by else ""
                one = (f"1 address, the bundle's (with {{bundle}}{by} the uplinks are one link), or "
                       if name == "uplink_addrs" and bundled else "")
                raise _said(lambda n: f"{n(name)} must list {one.format(bundle=n('bundle'))}{want} addresses "
                                      f"(or none for the article's), got {_short(v)}", name)
        ups, remotes = tuple(self.uplink_addrs), tuple(self.remote_addrs)
        if all(type(a) is str for a in ups + remotes):
            _addrs_ok(ups, remotes, self.uplinks)       # the same addresses: checked once
        else:
            _check_addrs(ups, remotes, self.uplinks)    # raises: each must be a string

    def spec(self) -> NetworkSpec:
        def nth(lst, k):
            return lst[min(k, len(lst) - 1)]
        ups = [Uplink(int(nth(self.down_kbit, k) * KBIT), int(nth(self.up_kbit, k) * KBIT),
                      int(nth(self.delay_ms, k) * MS), int(nth(self.weights, k)))
               for k in range(self.uplinks)]
        return NetworkSpec(uplinks=ups, policy=self.multipath, equalize=self.equalize, nat=self.nat,
                           remote=self.remote, ingress_filter=self.ingress_filter, cc=self.cc, tcp=self.tcp,
                           uplink_addrs=list(self.uplink_addrs), remote_addrs=list(self.remote_addrs),
                           port_base=self.port_base, bundle=self.bundle,
                           core_delay=int(self.core_delay_ms * MS),
                           remote_delay=int(self.remote_delay_ms * MS))


def _check_addrs(uplink_addrs: tuple, remote_addrs: tuple, uplinks: int) -> None:
    """Each address's own checks, for ``Params._check_addrs`` (which checked the lists)."""
    effective = [("uplink_addrs", f"uplink {k + 1}", a, bool(uplink_addrs)) for k, a in
                 enumerate(uplink_addrs or [uplink_addr(k + 1) for k in range(uplinks)])]
    effective += [("remote_addrs", f"remote host {k + 1}", a, bool(remote_addrs)) for k, a in
                  enumerate(remote_addrs or [REMOTE1, REMOTE2])]
    nets: dict[str, tuple] = {}
    for name, who, a, given in effective:
        if not isinstance(a, str) or a != a.strip():
            raise ParamError(f"{name}: bad address {a!r}: allowed are IPv4 addresses, four "
                             "numbers 0-255 like 100.0.0.1",
                             name)
        kind = _addr_kind(a)
        if kind is None:
            raise ParamError(f"{name}: bad address {a!r}: allowed are IPv4 addresses, four "
                             "numbers 0-255 like 100.0.0.1",
                             name)
        if kind != "unicast":
            raise ParamError(f"{name}: address {a!r} is not an ordinary unicast address: loopback "
                             "(127/8), multicast (224/4), link-local (169.254/16), reserved (240/4) "
                             "and 0/8 are not allowed", name)
        net, last = a.rsplit(".", 1)
        taken = _taken(a, int(last), who)
        if taken:
            raise ParamError(f"{name}: address {a!r} is {taken}: use x.y.z.1-253 outside "
                             "192.168.0.0/24 and 172.31.0.0/16", name)
        if net in nets:
            o_name, o_who, o_a, o_given = nets[net]
            if not given:       # blame the address the user gave, not the default it met
                name, who, a, o_name, o_who, o_a, o_given = o_name, o_who, o_a, name, who, a, given
            other = f"{o_who}'s {'' if o_given else 'default '}address {o_a}"
            raise ParamError(f"{name}: address {a!r} ({who}) shares its /24 with {other}; each "
                             f"uplink and remote host needs its own /24", name)
        nets[net] = (name, who, a, given)


def _taken(a: str, last: int, who: str) -> str | None:
    """What an address the network already uses is, or None: each uplink and remote host
    has its own /24, whose .0 and .255 are its network and broadcast addresses and whose
    .254 is the far end's (``topology.gw_of``: the provider's gateway on an uplink, the
    Internet core's router on a remote host's link)."""
    if in_prefix(a, *parse_prefix("192.168.0.0/24")):
        return "in the LAN (192.168.0.0/24)"
    if in_prefix(a, *parse_prefix("172.31.0.0/16")):
        return "in the core's links (172.31.0.0/16)"
    if last == 0:
        return f"the network address of its /24 ({a.rsplit('.', 1)[0]}.0/24)"
    if last == 255:
        return f"the broadcast address of its /24 ({a.rsplit('.', 1)[0]}.0/24)"
    if last == 254:
        far = "the provider's gateway" if who.startswith("uplink") else "the Internet core's router"
        return f"{far} on {who}'s /24 (its default route's next hop)"
    return None


@lru_cache(maxsize=256)
def _addrs_ok(uplink_addrs: tuple, remote_addrs: tuple, uplinks: int) -> None:
    """``_check_addrs`` once per process for the same addresses (a Monte Carlo checks the same
    ones on every run); a bad address raises every time (lru_cache keeps no exception)."""
    _check_addrs(uplink_addrs, remote_addrs, uplinks)


@dataclass
class Scenario:
    name: str
    doc: str
    defaults: dict
    setup: Callable            # (net, params) -> dict of apps for the summary


def _downloads(net, p, client="local1", server="remote1", n=None, start=0, **kw):
    srv = net[server]
    servers = net.apps.setdefault("servers", {})
    if srv.addr not in servers:
        servers[srv.addr] = WebServer(srv, 80, p.size)
    timeout = int(p.read_timeout * S) if p.read_timeout else 0
    return [Download(net[client], srv.addr, 80, p.size, start, label=f"{client}->{server}",
                     timeout=timeout, **kw)
            for _ in range(n or p.connections)]


def _one_download(net, p):
    return {"downloads": _downloads(net, p)}


def _thought(net, p):
    """The article's thought question. Local host 1 watches Realplay from Remote host 1 (one
    connection) and, at the same time, downloads an ISO from Remote host 2, the FTP site, with
    flashget's ``connections`` threads; 0.2 s later, while that download runs, Local host 2
    connects to Remote host 2: a destination already in the route cache, from a new source."""
    return {"downloads": _downloads(net, p, n=1) + _downloads(net, p, "local1", "remote2")
            + _downloads(net, p, "local2", "remote2", n=1, start=200 * MS)}


def _expiry(net, p):
    return {"downloads": _downloads(net, p, requests=2, think=int(p.idle * S))}


def _pings(net, p):
    return {"pings": [Pinger(net["local1"], net["remote1"].addr, p.pings, S)]}


def _echo(net, p):
    EchoServer(net["remote1"], 7)
    return {"echo": [EchoClient(net["local1"], net["remote1"].addr, 7, p.messages, p.msg_size)]}


def _uplink_down(net, p):
    """Connections spread over the uplinks; one line fails at ``down_at``; as many new
    connections start one second later -- and, when the line comes back (``up_at``), as many
    again one second after that."""
    later = int(((p.down_at or 0) + 1) * S)
    downloads = _downloads(net, p) + _downloads(net, p, start=later)
    if p.up_at is not None:
        downloads += _downloads(net, p, start=int((p.up_at + 1) * S))
    return {"downloads": downloads}


def _mptcp(net, p):
    server = MptcpServer(net["remote1"], 80, p.size)
    return {"mptcp": [MptcpDownload(net["local1"], net["remote1"].addr, 80, p.size, p.subflows)],
            "mptcp_servers": [server]}


def _udp(net, p):
    return {"udp": [UdpEcho(net["local1"], net["remote1"], p.pings, S)]}


# The parameters that set a scenario's workload, and which of them each workload reads (the
# command line refuses one that would change nothing; the others -- the network's, its events --
# apply to every scenario).
WORKLOAD = frozenset({"size", "connections", "read_timeout", "idle", "pings", "messages", "msg_size",
                      "subflows"})
_DOWNLOADS = frozenset({"size", "connections", "read_timeout"})
USES = {_one_download: _DOWNLOADS, _thought: _DOWNLOADS, _expiry: _DOWNLOADS | {"idle"},
        _uplink_down: _DOWNLOADS, _pings: frozenset({"pings"}), _udp: frozenset({"pings"}),
        _echo: frozenset({"messages", "msg_size"}), _mptcp: frozenset({"size", "subflows"})}


#: what a workload parameter counts where its name does not say it (a refusal names it so)
MEANS = {(_pings, "pings"): "ICMP echo requests to send", (_udp, "pings"): "UDP echo datagrams to send"}


#: the scenarios' workloads that carry no TCP (ICMP echoes, UDP): --cc, --tcp and --remote change nothing
NO_TCP = frozenset({_pings, _udp})


def uses_tcp(scenario: str) -> bool:
    return SCENARIOS[scenario].setup not in NO_TCP


def workload_of(scenario: str) -> frozenset:
    """The workload parameters ``scenario`` reads."""
    return USES[SCENARIOS[scenario].setup]


#: what only TCP reads: its timers and congestion control, the remote's stack, the LAN hosts'
#: first source port (a ping's ICMP id and the UDP echo's port are fixed)
TCP_ONLY = frozenset({"cc", "tcp", "remote", "port_base", "rwnd"})


def unknown_scenario(name) -> str:
    """The one line for a scenario name that is none: the names it begins (``conn``: did you mean
    connection-level?), else the closest when one is near (``equalise-nat``, ``Equalize-NAT``: did
    you mean equalize-nat?), then every name allowed."""
    from .cli import did_you_mean
    return f"unknown scenario {name!r}: {did_you_mean(name, list(SCENARIOS), cutoff=0.75)}allowed are {', '.join(SCENARIOS)}"


def unread(scenario: str) -> frozenset:
    """The parameters ``scenario`` would run the same without: the other workloads' (``pings``
    for a download), and TCP's in a run that carries none.  ``sim.run`` refuses them; a sweep
    over scenarios passes ``{k: v for k, v in params.items() if k not in unread(scenario)}``.
    (``flush_at`` and ``equalize`` are refused, with their reason, where the multipath policy
    has no route cache: that depends on the run's ``multipath``, not on the scenario alone.)"""
    if scenario not in SCENARIOS:
        raise ParamError(unknown_scenario(scenario))
    return (WORKLOAD - workload_of(scenario)) | (frozenset() if uses_tcp(scenario) else TCP_ONLY)


def check_applies(scenario: str, params: dict, name: Callable[[str], str] = str) -> None:
    """ParamError for the first parameter given (not None) in ``unread(scenario)``.
    ``name(param)``: how the message names a parameter (the command line: ``--msg-size``)."""
    given = sorted(k for k, v in params.items() if v is not None and k in unread(scenario))
    if not given:
        return
    first = min(given, key=lambda k: (k not in TCP_ONLY, k))
    if first in TCP_ONLY:
        raise ParamError(f"{name(first)} does not apply to {scenario}, which carries no TCP (ICMP or "
                         f"UDP only) and would run the same without it", first)
    setup = SCENARIOS[scenario].setup

    def named(k):
        return f"{name(k)} ({MEANS[setup, k]})" if (setup, k) in MEANS else name(k)
    raise ParamError(f"{name(first)} does not apply to {scenario}, which would run the same without "
                     f"it: its workload {'parameters' if name is str else 'options'} are "
                     f"{', '.join(named(k) for k in sorted(workload_of(scenario)))}", first)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("connection-level", "LARTC 4.2.2: one download; its route is cached, so every packet "
             "takes the uplink chosen for the first one", {}, _one_download),
    Scenario("thought-question", "Local host 1 watches Realplay from Remote host 1 and downloads "
             "an ISO from Remote host 2 with flashget's 8 threads; 0.2 s later Local host 2 connects "
             "to Remote host 2 -- a cached destination, a new source: the article's 'please think "
             "about it'", {"connections": 8, "size": 50_000}, _thought),
    Scenario("flashget", "8 parallel connections to one server share one route cache entry, "
             "so one uplink", {"connections": 8, "size": 50_000}, _one_download),
    Scenario("cache-expiry", "a connection idle longer than gc_timeout loses its cache entry; "
             "the next packet may pick the other uplink, and behind NAT break",
             {"size": 20_000}, _expiry),
    Scenario("equalize-public", "equalize with public LAN addresses: one download over both uplinks",
             {"equalize": True, "nat": "none"}, _one_download),
    Scenario("equalize-nat", "equalize behind NAT: the SYN and the ACK may leave by different "
             "uplinks with different source addresses -- 1 + 1 < 1; the outcome depends on the seed (which "
             "uplink each packet draws): some seeds finish at one line's speed, others far slower",
             {"equalize": True}, _one_download),
    Scenario("icmp-equalize-nat", "ping under equalize and NAT: every echo is its own 'connection'",
             {"equalize": True}, _pings),
    Scenario("udp-equalize-nat", "UDP echo under equalize and NAT", {"equalize": True}, _udp),
    Scenario("echo", "today's kernel, as measured (fidelity.md 3b): one TCP connection echoing "
             "ten 1000-byte messages under per-packet balancing (nftables numgen) and MASQUERADE",
             {"multipath": "numgen", "nat": "masquerade", "remote": "rfc", "tcp": "linux"}, _echo),
    Scenario("ping", "today's kernel, as measured: ten pings with one ICMP id under per-packet "
             "balancing and MASQUERADE; the ICMP entry now outlives its reply",
             {"multipath": "numgen", "nat": "masquerade", "remote": "rfc", "tcp": "linux"}, _pings),
    Scenario("mptcp", "MPTCP (RFC 8684) behind the router: one download, two subflows from two "
             "source ports, each its own connection to conntrack (connmark balancing, MASQUERADE), "
             "so each keeps its uplink and its NAT binding, and the download uses both links",
             {"multipath": "connmark", "nat": "masquerade", "remote": "rfc", "size": 500_000,
              "tcp": "linux"},
             _mptcp),
    Scenario("multilink", "PPP Multilink (RFC 1990): both lines bundled into one link to one "
             "provider that bundles them too; one address, one NAT binding, the download uses both "
             "lines", {"bundle": True, "nat": "masquerade", "remote": "rfc", "size": 500_000},
             _one_download),
    Scenario("uplink-down", "today's connection-level balancing (conntrack marks, MASQUERADE): "
             "4 downloads over both uplinks, uplink 2's line fails at 1 s, 4 more start at 2 s; "
             "a client gives up after 5 s without data; with --up-at T the line comes back at T s, "
             "and 4 more downloads start at T+1 s",
             {"multipath": "connmark", "nat": "masquerade", "remote": "rfc", "tcp": "linux",
              "connections": 4, "size": 300_000, "down_at": 1.0, "read_timeout": 5.0}, _uplink_down),
    Scenario("hash-l4-nat", "modern Linux: no route cache, L4 hash multipath, MASQUERADE; "
             "4 connections, each on one uplink", {"multipath": "hash-l4", "nat": "masquerade",
                                                   "remote": "rfc", "connections": 4, "tcp": "linux"},
             _one_download),
]}


NULLABLE = ("down_at", "read_timeout", "up_at")


# -- a run's parameters as a line: the summary's header, the player's, the pcapng's comment ----------

#: named in every header: what tells the book's runs apart, and the TCP a run's numbers rest on
HEADER = ("multipath", "equalize", "nat", "remote", "ingress_filter", "uplinks", "seed", "tcp", "cc")


def fmt_value(v) -> str:
    """A parameter's value as a header writes it: ``0.3,12`` for a list, ``none`` for None
    or an empty list, ``1`` for 1.0 and ``10000000`` for 1e7 (not ``1e+07``)."""
    if isinstance(v, list):
        return ",".join(map(fmt_value, v)) if v else "none"
    if v is None:
        return "none"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))          # 10000000, not "1e+07"
        return f"{v:g}" if "e" not in f"{v:g}" else repr(v)
    return str(v)


def scenario_defaults(scenario: str | None) -> Params:
    """The parameters ``scenario`` runs with when none is given: ``Params``' defaults and
    those the scenario sets (``Params()`` alone for a name that is no scenario)."""
    return Params(**SCENARIOS[scenario].defaults) if scenario in SCENARIOS else Params()


def header_params(scenario: str | None, params: Params, always=HEADER) -> list[tuple[str, str]]:
    """(name, value) of the parameters a run's header names: ``always`` (in its order), then
    every other one that differs from the scenario's own default and that the scenario reads
    (in ``Params``' order; ``trace`` aside; with the uplinks bundled into one link, not
    ``equalize``, which then chooses nothing).  A download's size and an MPTCP run's subflows are
    named always (runs of other sizes look alike otherwise), and a failing line comes last,
    with which uplink fails (``down_at=1 down_uplink=2``) and when it comes back (``up_at=3``)."""
    base = scenario_defaults(scenario)
    skip = unread(scenario) if scenario in SCENARIOS else frozenset()
    if params.bundle is True and params.uplinks > 1:
        # one link, one route: nothing for equalize to choose again (a scenario's own
        # equalize=True goes unread: _check_bundle_choices), so the header does not claim it
        skip = skip | {"equalize", "weights"}
    shown = [n for n in ("size", "subflows") if scenario in SCENARIOS and n not in skip]
    out = [(n, fmt_value(getattr(params, n))) for n in always if n not in skip]   # a ping: no tcp=
    for f in fields(Params):
        n = f.name
        v = getattr(params, n)
        if n in ("trace", "down_at", "down_uplink", "up_at") or n in always or n in skip:
            continue
        if n in shown or v != getattr(base, n):
            out.append((n, fmt_value(v)))
    if params.down_at is not None:
        out += [("down_at", fmt_value(params.down_at)), ("down_uplink", fmt_value(params.down_uplink))]
        if params.up_at is not None:
            out.append(("up_at", fmt_value(params.up_at)))
    return out


def params_text(scenario: str | None, params: Params, always=HEADER) -> str:
    """``header_params`` as ``name=value`` words: ``multipath=random equalize=True ... cc=reno``."""
    return " ".join(f"{n}={v}" for n, v in header_params(scenario, params, always))


def full_params_text(params: Params, scenario: str | None = None) -> str:
    """Every parameter of a run (``trace`` aside, those ``scenario`` does not read: ``unread``,
    ``rwnd`` when it is the default, which every segment's window field says, and ``up_at``
    when no line comes back) as
    ``name=value`` words, the addresses as the network has them (the article's when none were
    given)."""
    addrs = {"uplink_addrs": params.uplink_addrs or [uplink_addr(k + 1) for k in range(params.uplinks)],
             "remote_addrs": params.remote_addrs or [REMOTE1, REMOTE2]}
    skip = unread(scenario) if scenario in SCENARIOS else frozenset()
    if params.rwnd == WINDOW:
        skip |= {"rwnd"}
    if params.up_at is None:
        skip |= {"up_at"}
    return " ".join(f"{f.name}={fmt_value(addrs.get(f.name, getattr(params, f.name)))}"
                    for f in fields(Params) if f.name != "trace" and f.name not in skip)
_KNOWN = frozenset(f.name for f in fields(Params))      # the parameters make_params accepts


def make_params(scenario: str, **overrides) -> Params:
    if scenario not in SCENARIOS:
        raise ParamError(unknown_scenario(scenario))
    known = _KNOWN
    bad = sorted(set(overrides) - known)
    if bad:
        raise ParamError(f"unknown parameter {bad[0]!r}: allowed are {', '.join(sorted(known))}", bad[0])
    # None means "the scenario's default", except for what None itself means: no line fails
    # (down_at), no read timeout (read_timeout)
    values = {**SCENARIOS[scenario].defaults,
              **{k: v for k, v in overrides.items() if v is not None or k in NULLABLE}}
    p = Params(**values)
    set_by = {k: scenario for k in SCENARIOS[scenario].defaults if overrides.get(k) is None
              and not (k in NULLABLE and k in overrides)}
    p.validate(set_by=set_by)
    _check_bundle_choices(p, overrides, set_by)
    formula, bytes_of = TRANSFER.get(scenario, TRANSFER[None])
    if callable(formula):
        formula = formula(p)
    moved = bytes_of(p)
    if moved > MAX_TRANSFER:
        name = "msg_size" if "msg_size" in formula else "size"
        raise ParamError(f"{name} {getattr(p, name)} too large for {scenario}: {formula} = {moved} bytes "
                         f"to simulate; allowed at most {MAX_TRANSFER} (about a minute)", name)
    slowest = min(p.down_kbit + p.up_kbit)
    if moved > (most := slow_line_transfer(slowest)):
        name = "msg_size" if "msg_size" in formula else "size"
        raise ParamError(f"{name} {getattr(p, name)} too large for {scenario} with a line of {slowest:g} "
                         f"kbit/s: {formula} = {moved} bytes to simulate; with a line slower than {SLOW_KBIT} "
                         f"kbit/s (up or down) allowed at most {MAX_TRANSFER} x {slowest:g}/{SLOW_KBIT} = {most} "
                         f"(about a minute: on a line that slow the senders' segments overflow its queue and "
                         f"outwait their retransmission timers, and each goes several times)", name)
    if p.cc == "none" and p.rwnd > WINDOW and moved > WIDE_WINDOW_TRANSFER and uses_tcp(scenario):
        name = "msg_size" if "msg_size" in formula else "size"
        raise _said(lambda n: f"{n(name)} {getattr(p, name)} too large for {scenario} with {n('cc')} none and "
                              f"{n('rwnd')} {p.rwnd}: {formula} = {moved} bytes to simulate; with {n('cc')} none and a "
                              f"window above {WINDOW} bytes allowed at most {WIDE_WINDOW_TRANSFER} (about a minute: "
                              f"a sender that never backs off overfills the queue of a line slower than its window "
                              f"a round trip, and its segments go several times); {n('cc')} reno backs off, and "
                              f"moves up to {MAX_TRANSFER}", name)
    return p


#: what chooses among the uplinks' routes: with the uplinks bundled into one link (one route)
#: nothing is chosen (_check_bundle_choices)
_CHOOSERS = {"multipath": "chooses", "equalize": "chooses again for every packet",
             "weights": "weigh the choice"}


def _check_bundle_choices(p: Params, given: dict, set_by: dict) -> None:
    """ParamError for a parameter the caller gave that chooses among the uplinks' routes
    (``multipath``, ``equalize=True``, ``weights``) when the uplinks are bundled into one link,
    one route: the outcome is the same without it (``multipath`` changes only whether the
    router looks the one route up in a route cache), and an option a run does not read is
    refused.  One a scenario sets itself (``equalize-nat``'s equalize) is the scenario's, and
    goes unread without a word."""
    if p.bundle is not True:
        return
    for name, does in _CHOOSERS.items():
        v = given.get(name)
        if v is None or v is False:                 # not given, or --no-equalize: nothing asked
            continue
        by = set_by.get("bundle")
        shown = "" if v is True else f" {fmt_value(v)}"
        raise _said(lambda n: f"{n(name)}{shown} {does} among the uplinks' routes, and with {n('bundle')}"
                              + (f" ({by} sets it)" if by else "")
                              + f" the uplinks are one link, one route: nothing to choose: leave out {n(name)}, "
                              f"or give {n('no_bundle')}", name)


def slow_line_transfer(kbit: float) -> int:
    """The bytes a run may move when its slowest line (up or down) runs at ``kbit`` kbit/s:
    ``MAX_TRANSFER``, or a part of it below ``SLOW_KBIT`` in proportion to the speed."""
    return MAX_TRANSFER if kbit >= SLOW_KBIT else int(MAX_TRANSFER * kbit / SLOW_KBIT)


# What a run costs grows with the bytes its applications move: per scenario, how many.
def _rounds(p: Params) -> int:
    """``uplink-down``'s rounds of downloads: before the failure, after it, and after the
    line's return when it comes back (``up_at``)."""
    return 2 if p.up_at is None else 3


# (a formula may depend on the parameters: a callable, given them)
TRANSFER: dict[str | None, tuple[str | Callable[[Params], str], Callable[[Params], int]]] = {
    None: ("size x connections", lambda p: p.size * p.connections),
    "thought-question": ("size x (connections + 2)", lambda p: p.size * (p.connections + 2)),
    "cache-expiry": ("size x connections x 2 requests", lambda p: p.size * p.connections * 2),
    "uplink-down": (lambda p: f"size x connections x {_rounds(p)} rounds",
                    lambda p: p.size * p.connections * _rounds(p)),
    "mptcp": ("size", lambda p: p.size),
    "echo": ("messages x msg_size x 2 ways", lambda p: p.messages * p.msg_size * 2),
    "ping": ("pings", lambda p: 0), "icmp-equalize-nat": ("pings", lambda p: 0),
    "udp-equalize-nat": ("pings", lambda p: 0),
}


# The parameters that change nothing in the network (``Params.spec`` reads none of them): a
# run's network is described once for every value of these.  Any other field, a new one
# too, is part of the network's key.
RUN_ONLY = frozenset({"seed", "size", "connections", "idle", "pings", "messages", "msg_size",
                      "subflows", "flush_at", "down_at", "down_uplink", "up_at", "read_timeout", "trace",
                      "rwnd"})      # (the hosts' window: set on them once built, run())
_NETWORK = [f.name for f in fields(Params) if f.name not in RUN_ONLY]
_NETWORK_LISTS = [n for n in _NETWORK if isinstance(getattr(Params(), n), list)]
_network_scalars = attrgetter(*[n for n in _NETWORK if n not in _NETWORK_LISTS])
_network_lists = attrgetter(*_NETWORK_LISTS)
_STEPS: dict[tuple, tuple] = {}     # the network's key -> its steps, at most _KEEP of them
_KEEP = 256


def _network_steps(p: Params) -> tuple:
    """``describe(p.spec())``: the steps ``build`` makes a run's network from, described
    once per process for each network.  The key is the network's parameters as given:
    validated, so 10 and 10.0 (equal keys) are the same network (``spec`` takes
    ``int(x * unit)`` of every number), and 1 and True never both pass."""
    key = _network_scalars(p), tuple(map(tuple, _network_lists(p)))
    steps = _STEPS.get(key)
    if steps is None:
        steps = describe(p.spec())
        if len(_STEPS) >= _KEEP:
            del _STEPS[next(iter(_STEPS))]          # the oldest
        _STEPS[key] = steps
    return steps


def run(scenario: str, *, stop: Callable | None = None, **overrides) -> Result:
    """Run a named scenario: ``sim.run("equalize-nat", nat="article", seed=1)``.

    ``stop(event)``: called with each event recorded (the trace must be on); the run ends with
    the engine step that recorded the first event for which it is true.  The events up to
    it (and the rest of that step's) are the full run's, the later ones never happen: for a
    reader that needs only the start of a run (a handshake).  A stopped run's summary
    describes the run up to the stop."""
    p = make_params(scenario, **overrides)
    check_applies(scenario, overrides)
    sim = Sim(seed=p.seed, trace=p.trace)
    if stop is not None:
        _stop_when(sim, stop)
    net = build(sim, _network_steps(p))         # article_network(sim, p.spec())
    if p.rwnd != WINDOW:
        for node in net.nodes.values():
            if node.kind == "host":
                node.window = p.rwnd            # each TCP end's receive window (Host.window)
    net.apps = {}
    net.apps.update(SCENARIOS[scenario].setup(net, p))
    apps = net.apps
    net.start()
    for t in p.flush_at:                     # ip route flush cache
        sim.at(int(t * S), net["router"].cache.flush)
    if p.down_at is not None:                # the line fails: carrier lost at both ends
        # a daemon: a failure after everything else has ended changes nothing, and does
        # not keep the simulation going until then
        sim.at(int(p.down_at * S), net.links[f"uplink{p.down_uplink}"].set_carrier, False, daemon=True)
        if p.up_at is not None:             # ... and comes back (a daemon too)
            sim.at(int(p.up_at * S), net.links[f"uplink{p.down_uplink}"].set_carrier, True, daemon=True)
    sim.run()
    return Result(scenario, p, sim, net, apps)


def _stop_when(sim: Sim, stop: Callable) -> None:
    """Stop ``sim`` after the first event recorded for which ``stop(event)`` is true."""
    trace = sim.trace
    if not trace.keep:
        raise ParamError("stop= reads the recorded events: it needs trace=True")
    trace.stop_when(stop)
