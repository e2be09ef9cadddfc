"""Multipath policies as objects (sim/policies/): one file each, found by the package, read
through the registry by the CLI, Params, the network and the live player."""
import pkgutil

import pytest

import sim
import sim.policies as policies
from sim.trace import Ev
from sim.policies import CACHED_POLICIES, POLICIES, REGISTRY, Policy


def test_every_file_in_the_package_brings_its_policies_and_nothing_else_lists_them():
    modules = {m.name for m in pkgutil.iter_modules(policies.__path__)} - {"base"}
    from_files = {cls.__module__.rsplit(".", 1)[1] for cls in REGISTRY.values()}
    assert from_files == modules                      # every file registers at least one
    assert set(POLICIES) == set(REGISTRY) == {"random", "wrr", "hash-l3", "hash-l4", "numgen", "connmark"}
    assert POLICIES[:2] == ("random", "wrr") and CACHED_POLICIES == ("random", "wrr")
    assert all(issubclass(c, Policy) and c.name == n for n, c in REGISTRY.items())


@pytest.mark.parametrize("name", POLICIES)
def test_the_network_is_built_from_the_policys_flags(name):
    r = sim.run("flashget", multipath=name, connections=2, size=5_000, nat="masquerade")
    router = r.net["router"]
    assert type(router.policy) is REGISTRY[name]
    assert (router.cache is not None) == REGISTRY[name].cached
    # the Internet side mirrors a per-packet router per packet (in turn, as numgen does), else per flow
    assert type(r.net["internet"].policy).name == ("wrr" if REGISTRY[name].per_packet else "hash-l3")


@pytest.mark.parametrize("name", CACHED_POLICIES)
def test_with_equalize_the_internet_splits_as_the_router_does(name):
    """At random when the router draws at random, in turn when it alternates (2.4's credits): the
    downloaded data then alternates too, and two equal lines deliver it in order."""
    r = sim.run("equalize-public", multipath=name, size=60_000, seed=1)
    assert type(r.net["internet"].policy).name == name
    lines = [e.node for e in r.events if e.ev is Ev.HOP and e.node.startswith("uplink")
             and e.pkt.ip.dst.startswith("192.168.") and e.pkt.load == 1460]    # full segments: a
    # shorter one is serialised sooner and can arrive before the one routed just before it
    assert len(lines) > 30
    changes = sum(a != b for a, b in zip(lines, lines[1:]))
    if name == "wrr":
        assert changes == len(lines) - 1            # every full segment by the other line
    else:
        assert 0 < changes < len(lines) - 1
    assert r.summary["bytes_delivered"] > 0


def test_the_equalize_patchs_counter_draws_for_every_multipath_route_of_its_kernel():
    """equalize_2.4.18.patch: ``w = mp_counter++ % fi->fib_power`` replaced ``jiffies`` in
    ``fib_select_multipath()`` itself, for every route.  An equalize run's kernel is patched:
    the Internet that mirrors it over a plain multipath route draws by a counter too, in the
    router's order at three lines; a stock kernel (no equalize) keeps ``jiffies``."""
    from sim.reasons import RoundRobin
    r = sim.run("equalize-public", multipath="wrr", uplinks=3, size=30_000, seed=1)
    router, internet = r.net["router"], r.net["internet"]
    assert router.patched and internet.patched
    assert not any(rt.equalize for rt in internet.fib.routes if len(rt.nexthops) > 1)
    assert internet.policy.counter > 20 and router.policy.counter > 20
    r = sim.run("connection-level", multipath="wrr", uplinks=3, connections=3, size=5_000, seed=1)
    draws = [e.why for e in r.events if e.ev is Ev.RT_MISS and type(e.why) is RoundRobin]
    assert draws and {w.source for w in draws} == {"jiffies"}
    assert not r.net["router"].patched and r.net["router"].policy.counter == 0


def test_the_cli_and_params_offer_the_registry():
    from helpers import cli
    code, out, err = cli(["run", "flashget", "--multipath", "nosuch"])
    assert code == 2 and all(n in err for n in POLICIES)
    with pytest.raises(sim.ParamError, match="allowed are " + ", ".join(POLICIES)):
        sim.run("flashget", multipath="nosuch")
    with pytest.raises(sim.ParamError, match="equalize"):
        sim.run("flashget", multipath=[n for n in POLICIES if not REGISTRY[n].cached][0], equalize=True)


def test_a_policy_keeps_its_state_on_itself():
    r = sim.run("echo", multipath="numgen")
    assert r.net["router"].policy.counter > 0           # nftables' numgen inc, one per LAN packet
    r = sim.run("flashget", multipath="connmark", connections=3, size=5_000, nat="masquerade")
    marks = r.net["router"].policy.marks
    assert len(marks) == 3 and set(marks.values()) == {1, 2}   # three connections, marks 1, 2, 1
