"""The article's scenarios, named and parameterised, and ``run()``.

Every scenario starts from the article's assumptions (random multipath, the
article's NAT, a remote host that ignores stray ACKs) and every parameter
can be changed:

    >>> import sim
    >>> r = sim.run("equalize-nat", nat="netfilter", seed=1)
    >>> r.summary["connections"][0]["handshake"]
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable

from .apps import (Download, EchoClient, EchoServer, MptcpDownload, MptcpServer, Pinger, UdpEcho,
                   WebServer)
from .core import MS, S, Sim
from .fib import RouteError, addr_int, in_prefix, parse_prefix
from .multipath import CACHED_POLICIES, POLICIES
from .nat import NAT_MODELS
from .tcp import CONGESTION_CONTROLS, REMOTE_BEHAVIOURS, TCP_PROFILES
from .topology import KBIT, NetworkSpec, Uplink, article_network
from .result import Result


class ParamError(ValueError):
    """A parameter a reader gave that can't be used; the message says what is allowed."""


@dataclass
class Params:
    multipath: str = "random"
    equalize: bool = False
    nat: str = "article"
    remote: str = "article"
    cc: str = "none"                    # TCP congestion control: none (fixed window) or reno
    tcp: str = "2.4"                    # TCP timers: 2.4 (3 s first RTO) or linux (1 s, loss probes)
    ingress_filter: bool = False
    uplinks: int = 2
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
    port_base: int = 5000               # first source port of the LAN hosts
    bundle: bool = False                # the uplinks bundled into one (PPP Multilink) to provider 1
    flush_at: list[float] = field(default_factory=list)     # s: `ip route flush cache` then
    down_at: float | None = None        # s: the line of uplink `down_uplink` goes down then
    down_uplink: int = 2                # which uplink (1-based) goes down at `down_at`
    read_timeout: float | None = None   # s a downloading client waits for data before it closes
    down_kbit: list[int] = field(default_factory=lambda: [2000])   # per uplink, last repeats
    up_kbit: list[int] = field(default_factory=lambda: [512])
    delay_ms: list[float] = field(default_factory=lambda: [10.0])
    core_delay_ms: float = 5.0          # provider <-> Internet, one way
    remote_delay_ms: float = 2.0        # Internet <-> remote host, one way
    weights: list[int] = field(default_factory=lambda: [1])
    trace: bool = True                  # False: counters only

    def validate(self) -> None:
        def choice(name, allowed):
            v = getattr(self, name)
            if v not in allowed:
                raise ParamError(f"unknown {name} {v!r}: allowed are {', '.join(allowed)}")
        choice("multipath", POLICIES)
        choice("nat", NAT_MODELS)
        choice("remote", REMOTE_BEHAVIOURS)
        choice("cc", CONGESTION_CONTROLS)
        choice("tcp", TCP_PROFILES)
        for name, lo, hi in (("uplinks", 1, 16), ("seed", 0, 2**63 - 1), ("size", 1, 10**10),
                             ("connections", 1, 64), ("pings", 0, 10_000),
                             ("messages", 1, 10_000), ("msg_size", 1, 10**7), ("subflows", 1, 8)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ParamError(f"{name} must be an integer, got {v!r}")
            if not lo <= v <= hi:
                raise ParamError(f"{name} {v} out of range: allowed {lo}..{hi}")
        if not isinstance(self.flush_at, list) or any(
                isinstance(x, bool) or not isinstance(x, (int, float)) or x < 0 for x in self.flush_at):
            raise ParamError(f"flush_at must be a list of times in seconds >= 0, got {self.flush_at!r}")
        if self.flush_at and self.multipath not in CACHED_POLICIES:
            raise ParamError(f"flush_at flushes the route cache: multipath {self.multipath} has none "
                             f"(use random or wrr)")
        if self.down_at is not None and (isinstance(self.down_at, bool)
                                         or not isinstance(self.down_at, (int, float)) or self.down_at < 0):
            raise ParamError(f"down_at must be a time in seconds >= 0 (or none), got {self.down_at!r}")
        if isinstance(self.down_uplink, bool) or not isinstance(self.down_uplink, int) \
                or not 1 <= self.down_uplink <= max(2, self.uplinks) \
                or (self.down_at is not None and self.down_uplink > self.uplinks):
            raise ParamError(f"down_uplink {self.down_uplink!r} out of range: allowed 1..{self.uplinks} "
                             f"(one of the {self.uplinks} uplinks)")
        if self.read_timeout is not None and (isinstance(self.read_timeout, bool) or not isinstance(
                self.read_timeout, (int, float)) or not 0 < self.read_timeout <= 3600):
            raise ParamError(f"read_timeout must be seconds in (0, 3600] (or none), got {self.read_timeout!r}")
        if self.down_at is not None and self.bundle:
            raise ParamError("down_at takes a whole uplink down; with bundle the lines are one link "
                             "(use bundle=false)")
        for name in ("core_delay_ms", "remote_delay_ms"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 10_000:
                raise ParamError(f"{name} must be a number of milliseconds in (0, 10000], got {v!r}")
        if not isinstance(self.idle, (int, float)) or self.idle < 0:
            raise ParamError(f"idle must be a number of seconds >= 0, got {self.idle!r}")
        for name in ("down_kbit", "up_kbit", "delay_ms", "weights"):
            v = getattr(self, name)
            if not v or any(isinstance(x, bool) or not isinstance(x, (int, float)) or x <= 0 for x in v):
                raise ParamError(f"{name} must be a list of positive numbers, got {v!r}")
        if isinstance(self.port_base, bool) or not isinstance(self.port_base, int) \
                or not 1024 <= self.port_base <= 60000:
            raise ParamError(f"port_base {self.port_base!r} out of range: allowed 1024..60000")
        self._check_addrs()
        for name in ("equalize", "ingress_filter", "bundle"):
            if not isinstance(getattr(self, name), bool):
                raise ParamError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.equalize and self.multipath not in CACHED_POLICIES:
            raise ParamError(f"equalize is a route-cache flag: it needs multipath random or wrr, "
                             f"not {self.multipath}, which has no route cache (use --no-equalize)")

    def _check_addrs(self) -> None:
        """Uplink and remote addresses: each in its own /24, clear of the LAN
        (192.168.0.0/24) and the core's links (172.31.0.0/16); .0, .254, .255 are taken."""
        for name, want in (("uplink_addrs", self.uplinks), ("remote_addrs", 2)):
            v = getattr(self, name)
            if not isinstance(v, list) or (v and len(v) != want):
                raise ParamError(f"{name} must list {want} addresses (or none for the article's), got {v!r}")
        nets = set()
        for a in self.uplink_addrs + self.remote_addrs:
            try:
                addr_int(a)
            except (RouteError, AttributeError, TypeError):
                raise ParamError(f"bad address {a!r}: expected four numbers 0-255 like 100.0.0.1") from None
            net, last = a.rsplit(".", 1)
            if int(last) in (0, 254, 255) or in_prefix(a, *parse_prefix("192.168.0.0/24")) \
                    or in_prefix(a, *parse_prefix("172.31.0.0/16")):
                raise ParamError(f"address {a!r} is taken: use x.y.z.1-253 outside 192.168.0.0/24 "
                                 "and 172.31.0.0/16")
            if net in nets:
                raise ParamError(f"address {a!r} shares its /24 with another uplink or remote host; "
                                 "each needs its own")
            nets.add(net)

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
    return {"downloads": _downloads(net, p) + _downloads(net, p, "local2", "remote2", n=1, start=200 * MS)}


def _expiry(net, p):
    return {"downloads": _downloads(net, p, requests=2, think=int(p.idle * S))}


def _pings(net, p):
    return {"pings": [Pinger(net["local1"], net["remote1"].addr, p.pings, S)]}


def _echo(net, p):
    EchoServer(net["remote1"], 7)
    return {"echo": [EchoClient(net["local1"], net["remote1"].addr, 7, p.messages, p.msg_size)]}


def _uplink_down(net, p):
    """Connections spread over the uplinks; one line fails at ``down_at``; as many new
    connections start one second later."""
    later = int(((p.down_at or 0) + 1) * S)
    return {"downloads": _downloads(net, p) + _downloads(net, p, start=later)}


def _mptcp(net, p):
    server = MptcpServer(net["remote1"], 80, p.size)
    return {"mptcp": [MptcpDownload(net["local1"], net["remote1"].addr, 80, p.size, p.subflows)],
            "mptcp_servers": [server]}


def _udp(net, p):
    return {"udp": [UdpEcho(net["local1"], net["remote1"], p.pings, S)]}


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("connection-level", "LARTC 4.2.2: one download; its route is cached, so every packet "
             "takes the uplink chosen for the first one", {}, _one_download),
    Scenario("thought-question", "Local host 1 downloads from Remote host 1 while Local host 2 "
             "connects to Remote host 2: the article's 'please think about it'", {}, _thought),
    Scenario("flashget", "8 parallel connections to one server share one route cache entry, "
             "so one uplink", {"connections": 8, "size": 50_000}, _one_download),
    Scenario("cache-expiry", "a connection idle longer than gc_timeout loses its cache entry; "
             "the next packet may pick the other uplink, and behind NAT break",
             {"size": 20_000}, _expiry),
    Scenario("equalize-public", "equalize with public LAN addresses: one download over both uplinks",
             {"equalize": True, "nat": "none"}, _one_download),
    Scenario("equalize-nat", "equalize behind NAT: the SYN and the ACK may leave by different "
             "uplinks with different source addresses -- 1 + 1 < 1", {"equalize": True}, _one_download),
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
             "a client gives up after 5 s without data",
             {"multipath": "connmark", "nat": "masquerade", "remote": "rfc", "tcp": "linux",
              "connections": 4, "size": 300_000, "down_at": 1.0, "read_timeout": 5.0}, _uplink_down),
    Scenario("hash-l4-nat", "modern Linux: no route cache, L4 hash multipath, netfilter NAT; "
             "4 connections, each on one uplink", {"multipath": "hash-l4", "nat": "netfilter",
                                                   "remote": "rfc", "connections": 4, "tcp": "linux"},
             _one_download),
]}


NULLABLE = ("down_at", "read_timeout")


def make_params(scenario: str, **overrides) -> Params:
    if scenario not in SCENARIOS:
        raise ParamError(f"unknown scenario {scenario!r}: allowed are {', '.join(SCENARIOS)}")
    known = {f.name for f in fields(Params)}
    bad = sorted(set(overrides) - known)
    if bad:
        raise ParamError(f"unknown parameter {bad[0]!r}: allowed are {', '.join(sorted(known))}")
    # None means "the scenario's default", except for what None itself means: no line fails
    # (down_at), no read timeout (read_timeout)
    values = {**SCENARIOS[scenario].defaults,
              **{k: v for k, v in overrides.items() if v is not None or k in NULLABLE}}
    p = Params(**values)
    p.validate()
    return p


def run(scenario: str, **overrides) -> Result:
    """Run a named scenario: ``sim.run("equalize-nat", nat="article", seed=1)``."""
    p = make_params(scenario, **overrides)
    sim = Sim(seed=p.seed, trace=p.trace)
    net = article_network(sim, p.spec())
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
    sim.run()
    return Result(scenario, p, sim, net, apps)
