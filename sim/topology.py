"""Topology: nodes and links described as data, then built (like Mininet).

``article_network()`` builds the article's figure (LARTC 4.2)::

    Local host 1 192.168.0.1 ─┐                 if1 100.0.0.1 ── Provider 1 ──┐
                               ├─ eth0 Linux router                            ├─ Internet ─ Remote host 1 200.0.0.1
    Local host 2 192.168.0.2 ─┘                 if2 150.0.0.1 ── Provider 2 ──┘          └─ Remote host 2 210.0.0.1

with N uplinks and per-uplink speeds and delays for the scaling chapter.
Nodes are looked up by name: ``net["router"]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .fib import parse_route
from .host import Host, Node
from .link import BundleLink, Link
from .natmodels import translates
from .policies import REGISTRY
from .router import Router
from .tcp import DEFAULT_TCP_PROFILE

KBIT = 1_000
MBIT = 1_000_000
MS = 1_000

LAN_PREFIX = "192.168.0.0/24"
LOCAL1, LOCAL2, ROUTER_LAN = "192.168.0.1", "192.168.0.2", "192.168.0.254"
REMOTE1, REMOTE2 = "200.0.0.1", "210.0.0.1"


def uplink_addr(k: int) -> str:
    """if1 100.0.0.1 and if2 150.0.0.1 as in the article; then 151.0.0.1, 152.0.0.1 ..."""
    return {1: "100.0.0.1", 2: "150.0.0.1"}.get(k, f"{149 + k - 1}.0.0.1")


def gw_of(addr: str) -> str:
    return addr.rsplit(".", 1)[0] + ".254"


def net24(addr: str) -> str:
    return addr.rsplit(".", 1)[0] + ".0/24"


@dataclass
class Uplink:
    """One ADSL line: ``down``/``up`` in bit/s, one-way ``delay`` in µs."""
    down: int = 2 * MBIT
    up: int = 512 * KBIT
    delay: int = 10 * MS
    weight: int = 1


@dataclass
class NetworkSpec:
    """The network to build; its defaults are the article's, and ``sim.scenarios.Params`` starts
    from them."""
    uplinks: list[Uplink] = field(default_factory=lambda: [Uplink(), Uplink()])
    policy: str = "random"
    equalize: bool = False
    nat: str = "article"
    remote: str = "article"
    cc: str = "none"
    tcp: str = DEFAULT_TCP_PROFILE
    uplink_addrs: list[str] = field(default_factory=list)   # if1, if2 ...: the article's if empty
    remote_addrs: list[str] = field(default_factory=list)   # remote1, remote2: the article's if empty
    port_base: int = 5000                                   # first source port of the LAN hosts
    bundle: bool = False        # the uplinks as one PPP Multilink bundle to one provider
    ingress_filter: bool = False
    lan_rate: int = 100 * MBIT
    core_rate: int = 100 * MBIT
    core_delay: int = 5 * MS        # provider <-> Internet
    remote_delay: int = 2 * MS      # Internet <-> remote host
    qlen: int = 64      # packets a router's device holds waiting (a host's: Host.tx_queue_len)


class Network:
    def __init__(self, sim):
        self.sim = sim
        self.nodes: dict[str, Node] = {}
        self.links: dict[str, Link] = {}

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    def add(self, node: Node) -> Node:
        self.nodes[node.name] = node
        return node

    def connect(self, name: str, ends: list[tuple[str, str, str, int]], delay: int,
                qlen: int = 64) -> Link:
        """``ends``: (node, device, address, bit/s away from that device); ``qlen``: packets
        each device holds waiting, unless its node has its own (a host: ``Host.tx_queue_len``)."""
        ifaces = []
        for node_name, dev, addr, rate in ends:
            node = self.nodes[node_name]
            i = node.add_iface(dev, addr)
            i.bandwidth = rate
            i.qlen = node.tx_queue_len or qlen
            ifaces.append(i)
        link = self.links[name] = Link(name, ifaces, delay)
        return link

    def connect_bundle(self, name: str, a: tuple[str, str, str], b: tuple[str, str, str],
                       members: list[tuple[int, int, int]], qlen: int = 64) -> BundleLink:
        """A PPP Multilink bundle between ``a`` and ``b`` (node, device, address);
        ``members``: (bit/s a->b, bit/s b->a, delay µs) per line."""
        ifaces = []
        for node, dev, addr in (a, b):
            i = self.nodes[node].add_iface(dev, addr)
            i.qlen = qlen * len(members)
            ifaces.append(i)
        link = self.links[name] = BundleLink(name, ifaces, members)
        return link

    def start(self) -> None:
        for n in self.nodes.values():
            if isinstance(n, Router):
                n.start()

    def uplinks(self) -> list[str]:
        return [d for d in self.nodes["router"].ifaces if d.startswith("if")]


def article_network(sim, spec: NetworkSpec) -> Network:
    """The article's figure for ``spec``: the nodes, the LAN, the uplinks through their
    providers to the Internet, the router's default route and NAT, the remote hosts.

    Built in two stages: ``describe(spec)`` writes the figure down as steps (nodes, links,
    routes: data only), ``build`` makes the objects of one run from them.  The steps are
    immutable (tuples of strings and numbers): ``sim.run`` makes them once per process for
    each network (a Monte Carlo builds the same network for thousands of seeds), and every
    run gets its own nodes, links and routes."""
    return build(sim, describe(spec))


class Steps:
    """The network as a list of steps, in the order they are taken: each one a tuple
    (what, arguments...) that ``build`` carries out.  Its methods read like building
    the network directly.  The routes come last, each node's in one step in the order
    given (nothing built before them reads a routing table)."""

    def __init__(self):
        self.steps: list[tuple] = []
        self.routes: dict[str, list[str]] = {}      # node -> its routes, in the order given

    def host(self, name: str, title: str, remote: str = "rfc", **attrs) -> None:
        """A ``Host``; ``attrs`` set on it (its congestion control, TCP profile, first port)."""
        self.steps.append(("host", name, title, remote, tuple(attrs.items())))

    def router(self, name: str, title: str, policy: str = "random", route_cache: bool = False,
               explain: bool = False, fib_sync: bool = True, patched: bool = False) -> None:
        self.steps.append(("router", name, title, policy, route_cache, explain, fib_sync, patched))

    def connect(self, name: str, ends: list[tuple[str, str, str, int]], delay: int, qlen: int = 64) -> None:
        """``Network.connect``: ``ends`` are (node, device, address, bit/s away from that device)."""
        self.steps.append(("link", name, tuple(ends), delay, qlen))

    def connect_bundle(self, name: str, a: tuple[str, str, str], b: tuple[str, str, str],
                       members: list[tuple[int, int, int]], qlen: int = 64) -> None:
        self.steps.append(("bundle", name, a, b, tuple(members), qlen))

    def route(self, node: str, spec: str) -> None:
        """``ip route add spec`` on ``node`` (parsed now: a bad route is refused here, not
        when a run first reads the table)."""
        parse_route(spec)
        self.routes.setdefault(node, []).append(spec)

    def filter_ingress(self, node: str, dev: str, allowed: list[str]) -> None:
        self.steps.append(("filter", node, dev, tuple(allowed)))

    def set_nat(self, node: str, model: str, uplinks: dict[str, str]) -> None:
        self.steps.append(("nat", node, model, tuple(uplinks.items())))


def build(sim, steps: tuple) -> Network:
    """The objects of one run, made from ``steps`` (``describe``'s) in their order: every
    run its own nodes, devices, links and routes (a route's credits and dead flags, a
    device's queue and counters change as the run goes)."""
    net = Network(sim)
    nodes = net.nodes
    for step in steps:
        what = step[0]
        if what == "routes":
            nodes[step[1]].fib.add_later(step[2])     # made if a packet is ever routed there
        elif what == "link":
            _, name, ends, delay, qlen = step
            net.connect(name, ends, delay, qlen)
        elif what == "host":
            _, name, title, remote, attrs = step
            host = net.add(Host(sim, name, title, remote=remote))
            for attr, value in attrs:
                setattr(host, attr, value)
        elif what == "router":
            _, name, title, policy, route_cache, explain, fib_sync, patched = step
            router = net.add(Router(sim, name, title, policy, route_cache=route_cache, explain=explain,
                                    patched=patched))
            router.fib_sync = fib_sync
        elif what == "bundle":
            _, name, a, b, members, qlen = step
            net.connect_bundle(name, a, b, list(members), qlen)
        elif what == "filter":
            _, node, dev, allowed = step
            nodes[node].filter_ingress(dev, list(allowed))
        elif what == "nat":
            _, node, model, uplinks = step
            nodes[node].set_nat(model, dict(uplinks))
        else:                                   # pragma: no cover - describe() makes no other
            raise ValueError(f"unknown step {what!r}")
    return net


def describe(spec: NetworkSpec) -> tuple:
    """The article's figure for ``spec`` as steps (``Steps``), in the order they are taken."""
    net = Steps()
    public = not translates(spec.nat)
    _add_nodes(net, spec)
    _connect_lan(net, spec)
    uplink_addrs, nexthops = _connect_uplinks(net, spec, public)
    _route_default(net, spec, uplink_addrs, nexthops)
    net.set_nat("router", spec.nat, uplink_addrs)
    if public:
        _route_lan_back(net, len(uplink_addrs))
    _connect_remotes(net, spec)
    return tuple(net.steps) + tuple(("routes", node, tuple(specs)) for node, specs in net.routes.items())


def _add_nodes(net: Steps, spec: NetworkSpec) -> None:
    """The LAN hosts, the Linux router, the Internet core and the remote hosts."""
    hosts = {"cc": spec.cc, "tcp_profile": spec.tcp}
    net.host("local1", "Local host 1", **hosts, next_port=spec.port_base)
    net.host("local2", "Local host 2", **hosts, next_port=spec.port_base)
    # an equalize route needs the equalize patch's kernel, whose round robin draws by its
    # counter on every multipath route (sim.policies.wrr)
    net.router("router", "Linux router", spec.policy, route_cache=REGISTRY[spec.policy].cached, explain=True,
               patched=spec.equalize)
    # the Internet side mirrors the router for a public LAN prefix: per packet when the
    # router balances per packet (the article's tacit assumption), per flow otherwise; and
    # per packet the way the router does it: at random, or in turn (2.4's credits drawn as
    # the router draws them, numgen)
    per_packet = spec.equalize or REGISTRY[spec.policy].per_packet
    net.router("internet", "Internet", (("random" if spec.policy == "random" else "wrr") if per_packet
                                        else "hash-l3"), patched=spec.equalize)
    for name, title in (("remote1", "Remote host 1"), ("remote2", "Remote host 2")):
        net.host(name, title, remote=spec.remote, **hosts)


def _connect_lan(net: Steps, spec: NetworkSpec) -> None:
    """The LAN 192.168.0.0/24: the router's eth0 and the two hosts, routed by the router."""
    net.connect("lan", [("router", "eth0", ROUTER_LAN, spec.lan_rate),
                        ("local1", "eth0", LOCAL1, spec.lan_rate),
                        ("local2", "eth0", LOCAL2, spec.lan_rate)], 100, spec.qlen)
    for h in ("local1", "local2"):
        net.route(h, f"{LAN_PREFIX} dev eth0")
        net.route(h, f"default via {ROUTER_LAN} dev eth0")
    net.route("router", f"{LAN_PREFIX} dev eth0")


def _connect_uplinks(net: Steps, spec: NetworkSpec, public: bool) -> tuple[dict[str, str], list[str]]:
    """Each uplink ifK: its line to provider K (or, bundled, every line to provider 1),
    the provider's peering with the Internet, and the routes along them (with the LAN
    prefix routed back when it is public, and BCP 38 at the provider when asked).
    Returns the uplinks' addresses (dev -> address) and the router's nexthops."""
    n = len(spec.uplinks)
    nexthops = []
    uplink_addrs = {}
    if spec.bundle:         # every line to provider 1, which bundles them too (RFC 1990)
        n = 1
        addr = spec.uplink_addrs[0] if spec.uplink_addrs else uplink_addr(1)
        net.router("provider1", "Provider 1 (multilink)")
        net.connect_bundle("uplink1", ("router", "if1", addr), ("provider1", "cust", gw_of(addr)),
                           [(up.up, up.down, up.delay) for up in spec.uplinks], spec.qlen)
    for k, up in enumerate(spec.uplinks[:n], start=1):
        addr = spec.uplink_addrs[k - 1] if spec.uplink_addrs else uplink_addr(k)
        prov = f"provider{k}"
        if not spec.bundle:
            # fib_sync off: its access server drops what the line can't take
            net.router(prov, f"Provider {k}", fib_sync=False)
            net.connect(f"uplink{k}", [("router", f"if{k}", addr, up.up),
                                       (prov, "cust", gw_of(addr), up.down)], up.delay, spec.qlen)
        core_addr = f"172.31.{k}."
        net.connect(f"peer{k}", [(prov, "core", core_addr + "1", spec.core_rate),
                                 ("internet", f"p{k}", core_addr + "2", spec.core_rate)],
                    spec.core_delay, spec.qlen)
        net.route("router", f"{net24(addr)} dev if{k}")
        nexthops.append(f"nexthop via {gw_of(addr)} dev if{k} weight {up.weight}")
        uplink_addrs[f"if{k}"] = addr
        net.route(prov, f"{net24(addr)} dev cust")
        net.route(prov, f"default via {core_addr}2 dev core")
        net.route("internet", f"{net24(addr)} via {core_addr}1 dev p{k}")
        if public:
            net.route(prov, f"{LAN_PREFIX} via {addr} dev cust")
        if spec.ingress_filter:
            net.filter_ingress(prov, "cust", [addr] + ([LAN_PREFIX] if public else []))
    return uplink_addrs, nexthops


def _route_default(net: Steps, spec: NetworkSpec, uplink_addrs: dict[str, str],
                   nexthops: list[str]) -> None:
    """The router's default route: via the one uplink, or multipath over all of them
    (``equalize`` when asked)."""
    eq = " equalize" if spec.equalize else ""
    if len(uplink_addrs) == 1:
        net.route("router", f"default via {gw_of(uplink_addrs['if1'])} dev if1")
    else:
        net.route("router", f"default scope global{eq} " + " ".join(nexthops))


def _route_lan_back(net: Steps, n: int) -> None:
    """A public LAN prefix: the Internet routes it back over the ``n`` providers."""
    if n == 1:
        net.route("internet", f"{LAN_PREFIX} via 172.31.1.1 dev p1")
    else:
        net.route("internet", f"{LAN_PREFIX} " + " ".join(f"nexthop via 172.31.{k}.1 dev p{k}"
                                                          for k in range(1, n + 1)))


def _connect_remotes(net: Steps, spec: NetworkSpec) -> None:
    """The two remote hosts, each on its own /24 off the Internet core."""
    remotes = spec.remote_addrs or [REMOTE1, REMOTE2]
    for k, (name, addr) in enumerate(zip(("remote1", "remote2"), remotes)):
        gw = gw_of(addr)
        net.connect(f"{name}_link", [("internet", f"r{k + 1}", gw, spec.core_rate),
                                     (name, "eth0", addr, spec.core_rate)], spec.remote_delay, spec.qlen)
        net.route(name, f"{net24(addr)} dev eth0")
        net.route(name, f"default via {gw} dev eth0")
        net.route("internet", f"{net24(addr)} dev r{k + 1}")
