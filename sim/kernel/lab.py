"""The article's network on the running kernel, in network namespaces.

``Lab(uplinks=2)`` builds, as a context manager, the same nodes and links as
``sim.topology.article_network`` (names included), one namespace per node::

    local1 ─┐                    if1 ── cust provider1 core ── p1 ┐
            ├─ lan (switch) ─ eth0 router                          internet ─ r1 ── eth0 remote1
    local2 ─┘                    if2 ── cust provider2 core ── p2 ┘         └ r2 ── eth0 remote2

joined by veth pairs created *inside* the namespaces (nothing is ever added
to, or changed in, the root namespace).  Every namespace is named
``1p1lt1-<pid>-<node>``: the prefix marks it as the lab's, the pid says which
run made it.  A run's captures go to a folder ``1p1lt1-cap-<pid>-*`` in the
temporary directory (``capture_dir()``).  ``sweep()`` removes the namespaces
and capture folders of runs that are no longer alive -- what ``kill -9`` of a
run leaves behind (the namespaces and their veths, the folder; the run's helper
processes die with it through ``PR_SET_PDEATHSIG``).  Every run sweeps at
start, and removes its own namespaces and folder on exit, error, Ctrl-C or
SIGTERM.

The router's NAT and balancing are configured by ``sim.kernel.scenarios``
with nftables and ``ip rule``/``ip route``, as a reader would on a real box.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import itertools
from dataclasses import dataclass, field

from ..topology import (LAN_PREFIX, LOCAL1, LOCAL2, REMOTE1, REMOTE2, ROUTER_LAN,  # noqa: F401
                        gw_of, net24, uplink_addr)

PREFIX = "1p1lt1-"
LOCAL1_ALT = "192.168.0.11"            # local1's second address (MPTCP's second subflow)
MAX_UPLINKS = 8
READY_DEADLINE = 20.0                  # s the lab's links get to come up (warm_up)
#: the TCP congestion control every lab namespace is set to, unless told another
#: (``net.ipv4.tcp_congestion_control``; ``--cc``).  Reno: the simulator's nearest (``cc="reno"``,
#: which ``compare`` gives it), and always built into Linux.  Never the host's: a new network
#: namespace starts with the root namespace's choice (BBR or CUBIC, as the distribution or the
#: administrator set it), and the lab's results would then depend on the machine it ran on.
DEFAULT_CC = "reno"
CC_SYSCTL = "net/ipv4/tcp_congestion_control"
CC_AVAILABLE = "net/ipv4/tcp_available_congestion_control"
CC_ALLOWED = "net/ipv4/tcp_allowed_congestion_control"
AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agent.py")


def _cc_list(name: str, proc_sys: str) -> list[str] | None:
    try:
        with open(os.path.join(proc_sys, name)) as f:
            return f.read().split()
    except OSError:
        return None


def available_ccs(proc_sys: str = "/proc/sys") -> list[str] | None:
    """The congestion controls this kernel has (``net.ipv4.tcp_available_congestion_control``:
    built in or loaded), or None where it can't be read (no Linux: ``check_environment`` says so)."""
    return _cc_list(CC_AVAILABLE, proc_sys)


def allowed_ccs(proc_sys: str = "/proc/sys") -> list[str] | None:
    """The congestion controls a lab namespace may be set to: those of the kernel's that are
    allowed (``net.ipv4.tcp_allowed_congestion_control``, the same in every namespace).  Outside
    the host's own namespace ``tcp_set_default_congestion_control()`` refuses any other with
    EPERM (only the initial namespace may set a restricted one), so a congestion control the
    kernel has but does not allow can't be a lab's.  None where the list can't be read."""
    return _cc_list(CC_ALLOWED, proc_sys)


def cc_problem(cc, proc_sys: str = "/proc/sys") -> str | None:
    """Why the lab can't set congestion control ``cc`` (one line naming it and what this kernel
    allows), or None."""
    if not isinstance(cc, str) or not cc:
        return f"cc must be the name of a TCP congestion control, got {cc!r}"
    allowed = allowed_ccs(proc_sys)
    if allowed is None or cc in allowed:
        return None
    name = cc if re.fullmatch(r"[A-Za-z0-9_]+", cc) else repr(cc)
    may = f"a lab's namespaces may use {', '.join(allowed)} (net.ipv4.tcp_allowed_congestion_control"
    if cc in (available_ccs(proc_sys) or ()):
        return (f"cc {name} is on this kernel but not allowed outside the host's own namespace: {may}; "
                f"as root, sysctl -w net.ipv4.tcp_allowed_congestion_control=\"{' '.join(allowed + [cc])}\" "
                f"allows it)")
    return f"cc {name} is not available on this kernel: {may})"


class LabError(RuntimeError):
    """The lab can't be built or used; the message says why and what to do.  ``param``: the
    option (``Options`` field) whose value is refused, named first in the message."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


# -- processes that die with us -------------------------------------------------------------

_libc = None
# The lab's helper processes get SIGKILL when the run dies, even by SIGKILL: setpriv sets
# PR_SET_PDEATHSIG, then execs the command (the signal outlives execve).  Not a preexec_fn:
# that runs Python in the child between fork and exec, where a Ctrl-C sent to the whole
# process group printed a traceback ("Exception ignored in ... _after_fork"), and where a
# lock held by another of the run's threads at the fork could hang the child.  (setpriv sets
# it after its exec: a run killed in that first millisecond leaves the helper running in its
# namespace, where the next sweep kills it.)
DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "KILL"]
# Every command the lab starts runs in a session of its own (setsid, done by Popen in C: no
# Python in the child), so that a terminal's Ctrl-C, sent to the whole foreground process
# group, reaches the run alone: the run stops them itself.  When tcpdump shared the group it
# ended on the same Ctrl-C, and a run that ignores SIGINT (a shell's background job: Python
# installs no KeyboardInterrupt then) carried on to find its capture cut short: "tcpdump ...
# ended during the run (exit status 0)".  PR_SET_PDEATHSIG still kills them with the run.
OWN_SESSION = {"start_new_session": True}


def _run(cmd: list[str], input: str | None = None, check: bool = True) -> str:
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, **OWN_SESSION,
                       **({"stdin": subprocess.DEVNULL} if input is None else {}))
    if check and p.returncode != 0:
        raise LabError(f"command failed: {' '.join(cmd)}: {p.stderr.strip() or p.stdout.strip()}")
    return p.stdout


# -- namespaces -----------------------------------------------------------------------------

def lab_namespaces() -> list[str]:
    out = _run(["ip", "-j", "netns", "list"], check=False).strip()
    try:
        names = [n["name"] for n in json.loads(out or "[]")]
    except (ValueError, KeyError, TypeError):
        names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [n for n in names if n.startswith(PREFIX)]


def _owner_pid(ns: str) -> int | None:
    m = re.match(re.escape(PREFIX) + r"(\d+)-", ns)
    return int(m.group(1)) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# the namespaces this process made (``ip netns add`` returned), so that a run stopped early can
# say what is true: that it made none yet, or that it removed them (``cleanup_state``)
_made_namespaces: set[str] = set()


def _add_namespace(ns: str) -> subprocess.CompletedProcess:
    p = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, **OWN_SESSION)
    if p.returncode == 0:
        _made_namespaces.add(ns)
    return p


def cleanup_state() -> tuple[bool, list[str]]:
    """(whether this process made any lab namespace, the ones of this process still there --
    also one an interrupted ``ip netns add`` made without its name being recorded)."""
    mine = [n for n in lab_namespaces() if _owner_pid(n) == os.getpid()]
    return bool(_made_namespaces) or bool(mine), mine


def remove_namespace(ns: str) -> None:
    """Kill what still runs in ``ns`` (only ever the lab's own helpers) and delete it;
    its veths go with it."""
    for pid in _run(["ip", "netns", "pids", ns], check=False).split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    _run(["ip", "netns", "del", ns], check=False)


# -- capture folders -------------------------------------------------------------------------

CAPTURE_PREFIX = PREFIX + "cap-"
LEGACY_MAX_AGE = 3600.0     # s: a folder named without its pid, untouched this long, is left over


def capture_dir() -> tempfile.TemporaryDirectory:
    """The run's folder for its captures, ``<tmp>/1p1lt1-cap-<pid>-XXXXXXXX``: removed when
    the run ends; if the run is killed, by the next ``sweep()`` (the pid says it is gone)."""
    return tempfile.TemporaryDirectory(prefix=f"{CAPTURE_PREFIX}{os.getpid()}-")


def _newest_mtime(path: str) -> float:
    t = os.lstat(path).st_mtime
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            try:
                t = max(t, os.lstat(os.path.join(root, n)).st_mtime)
            except OSError:
                pass
    return t


def stale_capture_dirs(all_runs: bool = False, tmpdir: str | None = None) -> list[str]:
    """Capture folders of runs that are gone: ``1p1lt1-cap-<pid>-*`` whose pid is not alive,
    and folders named before the pid was part of the name (``1p1lt1-cap-XXXXXXXX``) that
    nothing has written to for an hour.  Only directories this user owns, never a link."""
    tmpdir = tmpdir or tempfile.gettempdir()
    try:
        names = os.listdir(tmpdir)
    except OSError:
        return []
    out = []
    for name in sorted(names):
        if not name.startswith(CAPTURE_PREFIX):
            continue
        path = os.path.join(tmpdir, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            continue
        m = re.match(re.escape(CAPTURE_PREFIX) + r"(\d+)-", name)
        if all_runs:
            stale = True
        elif m:
            stale = not _alive(int(m.group(1)))
        else:
            stale = time.time() - _newest_mtime(path) > LEGACY_MAX_AGE
        if stale:
            out.append(path)
    return out


def sweep(all_runs: bool = False, tmpdir: str | None = None) -> list[str]:
    """Remove the lab namespaces and capture folders left by runs that are gone (or by every
    run: ``all_runs``); the names of what was removed."""
    gone = []
    for ns in lab_namespaces():
        pid = _owner_pid(ns)
        if all_runs or pid is None or not _alive(pid):
            remove_namespace(ns)
            gone.append(ns)
    for path in stale_capture_dirs(all_runs, tmpdir):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            gone.append(path)
    return gone


_checked = False


def check_environment() -> None:
    """One clear message when the lab can't run here (checked once per process)."""
    global _checked
    if _checked:
        return
    if os.name != "posix" or not os.path.exists("/proc/self/ns/net"):
        raise LabError("the kernel lab needs Linux with network namespaces")
    if os.geteuid() != 0:
        raise LabError("the kernel lab creates network namespaces and needs root: "
                       "run it with sudo (e.g. sudo .venv/bin/python -m sim.kernel run ...)")
    for tool, pkg in (("ip", "iproute2"), ("nft", "nftables"), ("setpriv", "util-linux")):
        if shutil.which(tool) is None:
            raise LabError(f"the kernel lab needs '{tool}': apt-get install {pkg}")
    probe = f"{PREFIX}{os.getpid()}-0-probe-{threading.get_ident()}"
    try:
        p = _add_namespace(probe)
        if p.returncode != 0:
            raise LabError("cannot create a network namespace here (ip netns add: "
                           f"{p.stderr.strip()}); the kernel lab needs netns support and CAP_SYS_ADMIN")
    finally:
        _run(["ip", "netns", "del", probe], check=False)
    _checked = True


# -- cleanup on signals ---------------------------------------------------------------------

class Interrupted(BaseException):
    """SIGTERM/SIGHUP turned into an exception, so ``finally`` blocks remove the lab;
    ``signum``: the signal (the command line exits 128 + it, as a shell reports a process
    the signal killed)."""

    def __init__(self, what: str, signum: int = signal.SIGTERM):
        super().__init__(what)
        self.signum = int(signum)


def _raise_interrupted(signum, frame):
    raise Interrupted(signal.Signals(signum).name, signum)


class _signal_handlers:
    """Sets ``handler`` for ``signals`` on entry and puts back the handlers found on exit;
    nothing is done outside the main thread, where Python runs no signal handler.  With
    ``only_default`` a handler a caller set (e.g. pytest's) stays."""
    signals: tuple = ()
    handler = signal.SIG_DFL
    only_default = False

    def __enter__(self):
        self._old = {}
        if threading.current_thread() is threading.main_thread():
            for s in self.signals:
                if not self.only_default or signal.getsignal(s) is signal.SIG_DFL:
                    self._old[s] = signal.signal(s, self.handler)
        return self

    def __exit__(self, *exc) -> None:
        for s, h in self._old.items():
            signal.signal(s, h)


class signals_interrupt(_signal_handlers):
    """``with signals_interrupt():`` SIGTERM and SIGHUP raise ``Interrupted`` in the main
    thread; only handlers left at the default are replaced."""
    signals = (signal.SIGTERM, signal.SIGHUP)
    handler = staticmethod(_raise_interrupted)
    only_default = True


class cleaning_up(_signal_handlers):
    """``with cleaning_up():`` what the lab made is being removed, and a signal that would stop
    the run (SIGINT, SIGTERM, SIGHUP) is ignored until it is: a second Ctrl-C -- pressed again,
    or sent by ``timeout``, which signals the run and then its process group -- stopped the
    removal half-way, and the namespaces it had not reached yet were left."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    handler = signal.SIG_IGN


# labs open in worker threads, so that an interrupted main thread can stop them (run_many)
_open_labs: dict[int, tuple["Lab", int]] = {}     # id(lab) -> (lab, thread ident)
_stopped_threads: set[int] = set()
_labs_lock = threading.Lock()


def stop_labs(threads: set[int]) -> None:
    """Close the labs that the threads ``threads`` (idents) have open, and make every later
    use of a lab in those threads raise ``Interrupted``: their runs end at once, and their
    ``finally`` blocks find nothing left to remove.  ``release_threads`` undoes the mark."""
    with _labs_lock:
        _stopped_threads.update(threads)
        labs = [lab for lab, t in _open_labs.values() if t in threads]
    for lab in labs:
        lab.close()


def release_threads(threads: set[int]) -> None:
    with _labs_lock:
        _stopped_threads.difference_update(threads)


def _check_not_stopped() -> None:
    if threading.get_ident() in _stopped_threads:
        raise Interrupted("the run was stopped")


_lab_ids = itertools.count(1)


# -- the network ----------------------------------------------------------------------------

@dataclass
class LinkInfo:
    name: str                         # as in the simulator: lan, uplink1, peer1, remote1_link
    ends: list[tuple[str, str]]       # (node, dev) of every end, simulator labels
    capture: tuple[str, str]          # (node, dev) where tcpdump listens


@dataclass
class Lab:
    uplinks: int = 2
    keep_signals: bool = False        # True: leave the caller's signal handlers alone
    cc: str = DEFAULT_CC              # TCP congestion control of every namespace (cc_sysctl)
    nodes: list[str] = field(default_factory=list)
    links: list[LinkInfo] = field(default_factory=list)
    macs: dict = field(default_factory=dict)        # mac -> "node:dev"
    procs: list = field(default_factory=list)
    built: bool = False

    def __post_init__(self):
        if isinstance(self.uplinks, bool) or not isinstance(self.uplinks, int) \
                or not 1 <= self.uplinks <= MAX_UPLINKS:
            raise LabError(f"uplinks must be 1..{MAX_UPLINKS}, got {self.uplinks!r}")
        if (why := cc_problem(self.cc)) is not None:
            raise LabError(why, "cc")
        # several labs in one run (threads) don't collide
        self.tag = f"{PREFIX}{os.getpid()}-{next(_lab_ids)}-"

    def ns(self, node: str) -> str:
        return self.tag + node

    # context manager: build, and always remove
    def __enter__(self) -> "Lab":
        check_environment()
        with _labs_lock:
            _check_not_stopped()
            _open_labs[id(self)] = (self, threading.get_ident())
        sweep()
        self._old = {}
        if not self.keep_signals and threading.current_thread() is threading.main_thread():
            for s in (signal.SIGTERM, signal.SIGHUP):
                self._old[s] = signal.signal(s, _raise_interrupted)
        try:
            self.build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with _labs_lock:
            _open_labs.pop(id(self), None)
        with cleaning_up():
            for p in list(self.procs):
                if p.poll() is None:
                    p.kill()
            for p in list(self.procs):
                try:
                    p.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
            self.procs.clear()
            for n in self.nodes:
                remove_namespace(self.ns(n))
            for ns in lab_namespaces():              # anything half-made under our tag
                if ns.startswith(self.tag):
                    remove_namespace(ns)
        for s, h in getattr(self, "_old", {}).items():
            signal.signal(s, h)
        self._old = {}

    # -- commands inside the lab
    def ip(self, node: str, *args: str, check: bool = True) -> str:
        _check_not_stopped()
        return _run(["ip", "-n", self.ns(node), *args], check=check)

    def ip_batch(self, node: str, lines: list[str]) -> None:
        _run(["ip", "-n", self.ns(node), "-batch", "-"], input="\n".join(lines) + "\n")

    def exec(self, node: str, *cmd: str, input: str | None = None, check: bool = True) -> str:
        _check_not_stopped()
        return _run(["ip", "netns", "exec", self.ns(node), *cmd], input=input, check=check)

    def nft(self, node: str, ruleset: str) -> None:
        self.exec(node, "nft", "-f", "-", input=ruleset)

    def sysctls(self, node: str, settings: list[str]) -> None:
        """``settings``: "net/ipv4/ip_forward=1" ...; written under the node's /proc/sys."""
        self.exec(node, "sysctl", "-q", "-w", *settings)

    def popen(self, node: str, *cmd: str, **kw) -> subprocess.Popen:
        """A helper process inside ``node``; it dies with this run, and close() kills it."""
        _check_not_stopped()
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen([*DIE_WITH_PARENT, "ip", "netns", "exec", self.ns(node), *cmd],
                             **OWN_SESSION, **kw)
        self.procs.append(p)
        return p

    # -- building
    def _mac(self, node: str, dev: str) -> str:
        k = len(self.macs) + 1
        mac = f"02:00:00:00:{k >> 8:02x}:{k & 0xff:02x}"
        self.macs[mac] = f"{node}:{dev}"
        return mac

    def _veth(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        (na, da), (nb, db) = a, b
        self.ip(na, "link", "add", da, "address", self._mac(na, da), "type", "veth",
                "peer", "name", db, "address", self._mac(nb, db), "netns", self.ns(nb))

    def build(self) -> None:
        n = self.uplinks
        self.nodes = ["lan", "local1", "local2", "router", "internet", "remote1", "remote2"] + \
                     [f"provider{k}" for k in range(1, n + 1)]
        for node in self.nodes:
            p = _add_namespace(self.ns(node))
            if p.returncode != 0:
                raise LabError(f"command failed: ip netns add {self.ns(node)}: {p.stderr.strip()}")
        base = ["net/ipv6/conf/all/disable_ipv6=1", "net/ipv6/conf/default/disable_ipv6=1",
                "net/ipv4/conf/all/rp_filter=0", "net/ipv4/conf/default/rp_filter=0",
                cc_sysctl(self.cc)]
        fwd = ["net/ipv4/ip_forward=1"]
        for node in self.nodes:
            self.sysctls(node, base + (fwd if node in ("router", "internet") or
                                       node.startswith("provider") else []))
        self.check_cc()
        self.ip("router", "link", "set", "lo", "up")
        # the LAN: a switch (bridge) the router and both local hosts plug into
        self.ip("lan", "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        lan_ends = [("router", "eth0"), ("local1", "eth0"), ("local2", "eth0")]
        for k, (node, dev) in enumerate(lan_ends):
            self._veth(("lan", f"port{k}"), (node, dev))
            self.ip_batch("lan", [f"link set port{k} master br0", f"link set port{k} up"])
        self.ip("lan", "link", "set", "br0", "up")
        self.links.append(LinkInfo("lan", [("router", "eth0"), ("local1", "eth0"),
                                           ("local2", "eth0")], ("lan", "br0")))
        self.ip_batch("router", [f"addr add {ROUTER_LAN}/24 dev eth0", "link set eth0 up"])
        for node, addr in (("local1", LOCAL1), ("local2", LOCAL2)):
            self.ip_batch(node, [f"addr add {addr}/24 dev eth0", "link set eth0 up",
                                 "link set lo up", f"route add default via {ROUTER_LAN} dev eth0"])
        # uplinks: router if<k> -- provider<k> cust; provider<k> core -- internet p<k>
        for k in range(1, n + 1):
            addr, prov = uplink_addr(k), f"provider{k}"
            self._veth(("router", f"if{k}"), (prov, "cust"))
            self._veth((prov, "core"), ("internet", f"p{k}"))
            self.links.append(LinkInfo(f"uplink{k}", [("router", f"if{k}"), (prov, "cust")],
                                       ("router", f"if{k}")))
            self.links.append(LinkInfo(f"peer{k}", [(prov, "core"), ("internet", f"p{k}")],
                                       ("internet", f"p{k}")))
            self.ip_batch("router", [f"addr add {addr}/24 dev if{k}", f"link set if{k} up"])
            # ARP from the uplink's own address (the trap in stack-notes: the article's PPPoE had no ARP)
            self.sysctls("router", [f"net/ipv4/conf/if{k}/arp_announce=2"])
            self.ip_batch(prov, [f"addr add {gw_of(addr)}/24 dev cust", "link set cust up",
                                 f"addr add 172.31.{k}.1/24 dev core", "link set core up",
                                 f"route add default via 172.31.{k}.2 dev core", "link set lo up"])
            self.ip_batch("internet", [f"addr add 172.31.{k}.2/24 dev p{k}", f"link set p{k} up",
                                       f"route add {net24(addr)} via 172.31.{k}.1 dev p{k}"])
        for k, (name, addr) in enumerate(((("remote1", REMOTE1)), ("remote2", REMOTE2)), start=1):
            self._veth(("internet", f"r{k}"), (name, "eth0"))
            self.links.append(LinkInfo(f"{name}_link", [("internet", f"r{k}"), (name, "eth0")],
                                       (name, "eth0")))
            self.ip_batch("internet", [f"addr add {gw_of(addr)}/24 dev r{k}", f"link set r{k} up"])
            self.ip_batch(name, [f"addr add {addr}/24 dev eth0", "link set eth0 up", "link set lo up",
                                 f"route add default via {gw_of(addr)} dev eth0"])
        self.ip("internet", "link", "set", "lo", "up")
        self._offload_off()
        self.built = True

    def _offload_off(self) -> None:
        """veth leaves TCP/UDP checksums to be filled in later; turn that off so captures
        show correct checksums: ``ethtool -K DEV tx off`` (SIOCETHTOOL, ETHTOOL_STXCSUM)
        on every device, through a socket in its namespace."""
        import array
        import fcntl
        SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
        devs: dict[str, list[str]] = {}
        for l in self.links:
            for node, dev in l.ends:
                devs.setdefault(node, []).append(dev)
        devs.setdefault("lan", []).extend(f"port{k}" for k in range(3))
        for node, ds in devs.items():
            with self.socket(node, socket.AF_INET, socket.SOCK_DGRAM) as sk:
                for dev in ds:
                    val = array.array("I", [ETHTOOL_STXCSUM, 0])
                    ifr = struct.pack("16sP", dev.encode(), val.buffer_info()[0])
                    try:
                        fcntl.ioctl(sk.fileno(), SIOCETHTOOL, ifr)
                    except OSError:             # as before: a capture then shows veth's
                        pass                    # unfilled checksums (the tshark test says so)

    def cc_of(self, node: str) -> str:
        """The congestion control a new TCP socket in ``node`` gets (``TCP_CONGESTION`` of a
        fresh socket: the namespace's default, as every connection of the lab starts with it)."""
        with self.socket(node, socket.AF_INET, socket.SOCK_STREAM) as sk:
            return sk.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\0")[0].decode()

    def check_cc(self) -> None:
        """Every namespace's new sockets get ``self.cc`` (the sysctl took, not the host's)."""
        got = {node: self.cc_of(node) for node in self.nodes}
        wrong = {n: c for n, c in got.items() if c != self.cc}
        if wrong:
            raise LabError(f"the lab set TCP congestion control {self.cc} ({CC_SYSCTL.replace('/', '.')}) "
                           f"but new sockets get another: " + ", ".join(f"{n} {c}" for n, c in wrong.items()))

    # -- facts
    def link(self, name: str) -> LinkInfo:
        for l in self.links:
            if l.name == name:
                return l
        raise KeyError(name)

    def uplink_devs(self) -> list[str]:
        return [f"if{k}" for k in range(1, self.uplinks + 1)]

    # -- traffic (sim/kernel/agent.py inside a namespace)
    def agent(self, node: str, *args: str, timeout: float = 60.0) -> dict:
        """Run a client role of the agent to completion; its JSON report."""
        return self.finish_agent(self.start_client(node, *args), timeout)

    def start_client(self, node: str, *args: str) -> subprocess.Popen:
        """Start a client role of the agent; ``finish_agent`` collects its report."""
        p = self.popen(node, sys.executable, AGENT, *args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
        p.what = f"agent {' '.join(args)} in {node}"
        return p

    @staticmethod
    def read_line(p: subprocess.Popen, timeout: float) -> dict:
        """The next JSON line a started agent prints (it must come within ``timeout`` s)."""
        fd, buf, end = p.stdout.fileno(), b"", time.monotonic() + timeout
        while not buf.endswith(b"\n"):          # byte by byte: leave the rest in the pipe
            r, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            if not r:
                raise LabError(f"{p.what} said nothing in {timeout} s")
            b = os.read(fd, 1)
            if not b:
                break
            buf += b
        line = buf.decode(errors="replace")
        if not line.startswith("{"):
            p.kill()
            raise LabError(f"{p.what} failed: {(line + p.communicate()[1]).strip()[-500:]}")
        return json.loads(line)

    @staticmethod
    def finish_agent(p: subprocess.Popen, timeout: float) -> dict:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise LabError(f"{p.what} did not finish in {timeout} s")
        if p.returncode != 0 or not out.strip():
            raise LabError(f"{p.what} failed: {err.strip()[-500:]}")
        return json.loads(out.strip().splitlines()[-1])

    def ip_later(self, node: str) -> subprocess.Popen:
        """``ip -batch -`` in ``node``, started now, so that a command written to its stdin
        later runs at once (no process start-up in the way of the timing)."""
        p = subprocess.Popen([*DIE_WITH_PARENT, "ip", "-n", self.ns(node), "-batch", "-"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, **OWN_SESSION)
        self.procs.append(p)
        return p

    def start_agent(self, node: str, *args: str) -> "Server":
        """Start a server role; returns when it listens."""
        p = self.popen(node, sys.executable, AGENT, *args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        if not line.startswith('{"ready"'):
            p.kill()
            raise LabError(f"agent {' '.join(args)} in {node} did not start: "
                           f"{p.stderr.read().strip()[-500:]}")
        return Server(p)

    def socket(self, node: str, family: int, kind: int, proto: int = 0) -> socket.socket:
        """A socket inside ``node``'s namespace, made here without starting a process."""
        return socket_in(self.ns(node), family, kind, proto)

    def warm_up(self, deadline: float = READY_DEADLINE) -> None:
        """Every link carries packets and every neighbour is resolved before the experiment:
        the router reaches every provider, every provider both remote hosts (over its peer
        link and the Internet's), both LAN hosts the router.  A link just set up passes
        nothing until the kernel has activated its queue (linkwatch, which a loaded machine
        runs late): an experiment that started then would lose its first packets (a SYN
        retransmitted a second later, per-packet counters shifted by one).  Done before the
        router is configured, so no conntrack entry and no balancing counter sees it."""
        jobs = [("router", [gw_of(uplink_addr(k)) for k in range(1, self.uplinks + 1)]),
                ("local1", [ROUTER_LAN]), ("local2", [ROUTER_LAN])] + \
               [(f"provider{k}", [REMOTE1, REMOTE2]) for k in range(1, self.uplinks + 1)]
        socks = {node: self.socket(node, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                 for node, _ in jobs}
        try:
            left = {(node, d) for node, dsts in jobs for d in dsts}
            ident, seq = (os.getpid() ^ id(self)) & 0xFFFF, 0
            end = time.monotonic() + deadline
            while left and time.monotonic() < end:
                for node, dst in sorted(left):            # one echo request each, every 0.1 s
                    seq = (seq + 1) & 0xFFFF
                    try:
                        socks[node].sendto(_echo_request(ident, seq), (dst, 0))
                    except OSError:                       # no route yet: the link isn't up
                        pass
                until = min(end, time.monotonic() + 0.1)
                while left and (wait := until - time.monotonic()) > 0:
                    ready, _, _ = select.select(list(socks.values()), [], [], wait)
                    if not ready:
                        break
                    for node, sk in socks.items():
                        if sk in ready:
                            data, src = sk.recvfrom(2048)
                            ihl = (data[0] & 0x0F) * 4
                            typ, _, _, rid = struct.unpack("!BBHH", data[ihl:ihl + 6])
                            if typ == 0 and rid == ident:
                                left.discard((node, src[0]))
        finally:
            for sk in socks.values():
                sk.close()
        if left:
            raise LabError(f"the lab's network did not come up in {deadline} s: no answer on "
                           + ", ".join(f"{n} -> {d}" for n, d in sorted(left)))


def cc_sysctl(cc: str) -> str:
    """The setting that gives a namespace's new TCP sockets congestion control ``cc`` (per
    namespace since Linux 4.15), as ``Lab.sysctls`` writes it."""
    return f"{CC_SYSCTL}={cc}"


def _echo_request(ident: int, seq: int) -> bytes:
    from .agent import _icmp_checksum
    body = b"1p1lt1 warm-up"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, _icmp_checksum(hdr + body), ident, seq) + body


_CLONE_NEWNET = 0x40000000


def socket_in(ns: str, family: int, kind: int, proto: int = 0) -> socket.socket:
    """A socket in the network namespace ``ns``: a short-lived thread enters the namespace
    (setns changes only the calling thread's), makes the socket and ends -- no other thread
    of this process ever changes namespace.  The socket stays in ``ns``."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    out: dict = {}

    def enter():
        try:
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, _CLONE_NEWNET) != 0:
                    e = ctypes.get_errno()
                    raise OSError(e, f"setns into {ns}: {os.strerror(e)}")
            finally:
                os.close(fd)
            out["sock"] = socket.socket(family, kind, proto)
        except OSError as e:
            out["error"] = e
    t = threading.Thread(target=enter, name=f"setns {ns}")
    t.start()
    t.join()
    if "error" in out:
        raise LabError(f"cannot open a socket in namespace {ns}: {out['error']}")
    return out["sock"]


class Server:
    def __init__(self, proc):
        self.proc = proc

    def stop(self) -> dict:
        """SIGTERM: the server prints what it saw (peers, bytes, resets) and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        lines = [l for l in out.splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {"conns": []}
