"""The configuration recipes of chapters 9 and 10, as a reader copies them.

The static tests read the chapters' ``sh`` blocks and check the pieces that failed on a real
router (iproute2 6.1, nftables 1.0.6, Linux 6.18): a resilient group needs ``buckets``, a default
route may already exist, ``fib_multipath_hash_fields`` is a number, the conntrack-mark recipe must
run twice, also while an uplink is down or not there, the uplink scripts take the address pppd
gives them, and the other draws are whole rules.  ``test_recipes_run_in_namespaces`` runs the blocks themselves in network namespaces;
it needs root, iproute2, nft, conntrack and curl (``make test`` installs them as root), takes
about 2 s, and changes nothing on the host: it builds five namespaces and removes them.  Where it
can't run it skips with the reason, as the kernel lab's tests do; under CI=true it fails instead
(it used to run only when asked, with RECIPES_NETNS=1, and so never ran in CI).
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"


def sh_blocks(name: str) -> list[str]:
    """Every ```sh block of a chapter, dedented (a block may sit inside a list item of a box)."""
    text = (BOOK / name).read_text()
    out = []
    for m in re.finditer(r"^( *)```sh\n(.*?)^\1```$", text, re.S | re.M):
        ind = len(m.group(1))
        out.append("\n".join(l[ind:] for l in m.group(2).splitlines()) + "\n")
    return out


def block_with(name: str, needle: str) -> str:
    found = [b for b in sh_blocks(name) if needle in b]
    assert len(found) == 1, f"{name}: {len(found)} sh blocks contain {needle!r}, want 1"
    return found[0]


def recipe() -> str:
    """Chapter 10's conntrack-mark recipe: the first ``sh`` block of its section."""
    return block_with("10-two-links.md", "ct mark set numgen inc")


def ip_down() -> str:
    """Chapter 10's ip-down script for uplink 2: a block of its own."""
    return block_with("10-two-links.md", "# ip-down:")


def ip_up() -> str:
    """Chapter 10's ip-up script for uplink 2: a block of its own."""
    return block_with("10-two-links.md", "# ip-up:")


def uplink_scripts() -> str:
    """Both uplink scripts, ip-down's then ip-up's."""
    return ip_down() + ip_up()


def logical_spans(block: str) -> list[tuple[str, str]]:
    """A block's lines as the shell and nft read them, each with the text it was written as: a line
    ending in a backslash goes on in the next, as a line of a narrow page is wrapped (the
    backslash, the line break and the next line's indentation read as one space; a comment is
    never continued).  [(logical line, its physical lines with their line breaks)]."""
    out, cur, phys = [], None, ""
    for l in block.splitlines():
        phys += l + "\n"
        if cur is not None:
            l = f"{cur} {l.lstrip()}"
        if l.endswith("\\") and not l.lstrip().startswith("#"):
            cur = l[:-1].rstrip()
            continue
        out.append((l, phys))
        cur, phys = None, ""
    if cur is not None:
        out.append((cur, phys))
    return out


def logical_lines(block: str) -> list[str]:
    """A block's lines with those continued by a backslash joined (``logical_spans``)."""
    return [l for l, _ in logical_spans(block)]


def commands(block: str) -> list[str]:
    """A block's command lines: comments dropped, continued lines (``||`` / ``\\``) joined."""
    lines, cur = [], ""
    for l in logical_lines(block):
        if not l.strip() or l.lstrip().startswith("#"):
            continue
        cur = f"{cur} {l.strip()}" if cur else l.strip()
        if cur.endswith(("||", "&&", "\\")):
            continue
        lines.append(cur)
        cur = ""
    return lines


# -- static: the syntax that bit ----------------------------------------------------------------

def test_ch9_resilient_group_is_a_block_that_runs_as_is():
    # iproute2: "Error: Number of buckets not specified" without buckets; "ip route add default"
    # fails with "File exists" where a DHCP client installed one
    text = " ".join((BOOK / "09-modern-linux.md").read_text().split())
    assert "ip route add default nhid" not in text
    block = block_with("09-modern-linux.md", "type resilient")
    cmds = commands(block)
    # run twice, "ip nexthop add" fails with "RTNETLINK answers: File exists"
    assert not [c for c in cmds if c.startswith("ip nexthop add")], cmds
    assert "iproute2 5.13" in text and "Linux 5.13" in text
    defined = []
    for c in cmds:
        m = re.match(r"ip nexthop replace id (\d+) (.*)", c)
        if m and "group" in m.group(2):
            assert re.search(r"\btype resilient buckets \d+\b", m.group(2)), c
            members = re.search(r"group (\S+)", m.group(2)).group(1).split("/")
            assert all(x.split(",")[0] in defined for x in members), (c, defined)
        if m:
            defined.append(m.group(1))
    assert cmds[-1] == "ip route replace default nhid 10", cmds


def test_hash_fields_are_given_as_the_number_the_kernel_takes():
    # fib_multipath_hash_fields is a bitmask (FIB_MULTIPATH_HASH_FIELD_*): a list of names is
    # refused with EINVAL; 0x0037 = src ip | dst ip | proto | src port | dst port
    bits = {"SRC_IP": 0x01, "DST_IP": 0x02, "IP_PROTO": 0x04, "SRC_PORT": 0x10, "DST_PORT": 0x20}
    found = []
    for name in ("09-modern-linux.md", "10-two-links.md"):
        for b in sh_blocks(name):
            for v in re.findall(r"fib_multipath_hash_fields=(\S+)", b):
                n = int(v, 0)                 # a ValueError is the bug this test is for
                assert n and not n & ~0xFFF, v
                found.append((n, "fib_multipath_hash_policy=3" in b))
    assert (sum(bits.values()), True) in found, found
    text = " ".join((BOOK / "09-modern-linux.md").read_text().split())
    i = text.index("fib_multipath_hash_fields=0x0037")
    assert "bitmask" in text[i - 900:i] and "0x20 the destination port" in text[i - 900:i]


def test_the_recipes_sysctls_are_said_to_be_per_namespace():
    text = " ".join((BOOK / "09-modern-linux.md").read_text().split())
    i = text.index("fib_multipath_hash_fields=0x0037")
    near = text[i:i + 700]
    assert "{term}`network namespace`" in near and "container" in near and "ip_forward" in near


def test_ch10_recipe_is_written_to_run_twice():
    # a second run used to fail on every "ip route add ... table N", every "ip rule add" and
    # "nft add chain" of an existing chain, and to append each nft rule a second time
    cmds = commands(recipe())
    assert not [c for c in cmds if c.startswith(("ip route add", "nft add", "nft insert"))], cmds
    rule_fn = [c for c in cmds if c.startswith("rule()")]
    assert rule_fn and "ip rule del" in rule_fn[0] and rule_fn[0].index("del") < rule_fn[0].index("add")
    assert not [c for c in cmds if c.startswith("ip rule add")]
    body = re.search(r"^nft -f - <<'EOF'\n(.*?)^EOF$", recipe(), re.S | re.M).group(1)
    tables = re.findall(r"^table (\w+ \w+)( \{)?$", body, re.M)
    deleted = re.findall(r"^delete table (\w+ \w+)$", body, re.M)
    assert deleted and [t for t, brace in tables if not brace] == deleted
    for t in deleted:     # declared, then deleted, then defined: in that order
        assert body.index(f"table {t}\n") < body.index(f"delete table {t}") < body.index(f"table {t} {{")
    assert not re.search(r"table (ip|inet) (filter|nat|mangle)\b", body)   # a firewall's own names


def test_ch10_has_the_uplink_scripts_its_text_asks_for():
    cmds = commands(uplink_scripts())
    assert 'ip route replace default via "$5" dev "$1" table 2' in cmds
    assert any(c.startswith('ip route replace default scope global ${nh1:+nexthop $nh1} nexthop '
                            'via "$5" dev "$1" ||') for c in cmds), cmds
    assert 'conntrack -D --reply-dst "$4"' in cmds
    assert "conntrack-tools" in uplink_scripts()


def test_ch10_uplink_scripts_take_the_uplinks_address_from_pppd():
    # an engineer's finding: the scripts named 150.0.0.1 and 150.0.0.254 while the text says a PPP
    # uplink comes back from a redial with a new address; pppd(8) runs ip-up and ip-down with
    # interface-name tty-device speed local-IP-address remote-IP-address ipparam
    cmds = commands(uplink_scripts())
    # ... and named uplink 1's gateway, which a redial can change too: it is read from table 1,
    # where uplink 1's own ip-up put it; the device is named only where each script checks that
    # the link is its own (Debian's ip-up runs every script for every PPP link)
    guard = '[ "$1" = if2 ] || exit 0'
    assert commands(ip_down())[0] == guard and commands(ip_up())[0] == guard
    assert not [c for c in cmds if ("150.0.0." in c or "if2" in c or "100.0.0." in c) and c != guard], cmds
    assert 'ip rule add from "$4" table 2 priority 202' in cmds
    assert cmds.index("while ip rule del priority 202 2>/dev/null; do :; done") < cmds.index(
        'ip rule add from "$4" table 2 priority 202')
    text = " ".join((BOOK / "10-two-links.md").read_text().split())
    assert "`set -- if2 - - 150.0.0.1 150.0.0.254`" in text


def test_ch10_recipe_runs_on_with_an_uplink_down_or_not_there():
    # an engineer's finding: run while if2 was down the recipe's routes by if2 failed ("Nexthop has
    # invalid gateway") and, with if2 not there, "sysctl: cannot stat .../conf/if2/..."; a script
    # under "set -e" stopped there, before the nftables rules
    for c in commands(recipe()):
        if c.startswith("ip route"):
            assert c.endswith("|| :"), c
        if re.search(r"conf[./]if\d", c):
            assert c.startswith("sysctl -e "), c
    main = [c for c in commands(recipe()) if c.startswith("ip route replace default scope global")]
    assert main == ["ip route replace default scope global nexthop via 100.0.0.254 dev if1 nexthop via "
                    "150.0.0.254 dev if2 || ip route replace default via 100.0.0.254 dev if1 || "
                    "ip route replace default via 150.0.0.254 dev if2 || :"], main
    text = " ".join((BOOK / "10-two-links.md").read_text().split())
    assert "With both uplinks up, the whole recipe can run again" in text and "`set -e`" in text
    # a DHCP client's route with a metric is not replaced: only one of the same metric
    assert "in place of any default route a DHCP client installed" not in text
    assert "a default route of metric 0" in recipe()


def nft_body() -> str:
    return re.search(r"^nft -f - <<'EOF'\n(.*?)^EOF$", recipe(), re.S | re.M).group(1)


def test_ch10_recipes_rules_count_their_packets():
    rules = [l.strip() for l in logical_lines(nft_body())
             if l.startswith("    ") and not l.strip().startswith(("#", "type ", "}"))]
    assert len(rules) == 7, rules
    assert all(" counter " in f" {r} " for r in rules), rules


DRAW = 'iifname "eth0" fib daddr type unicast ct state new ct mark 0 counter ct mark set '


def other_draw_spans() -> list[tuple[str, str]]:
    """The draws chapter 10 offers in place of the recipe's: its ``text`` blocks' rules, each
    (the rule, its lines as written: ``logical_spans``)."""
    text = (BOOK / "10-two-links.md").read_text()
    return [(l, phys) for b in re.findall(r"^```text\n(.*?)^```$", text, re.S | re.M)
            for l, phys in logical_spans(b) if l.strip()]


def other_draws() -> list[str]:
    return [l for l, _ in other_draw_spans()]


def test_ch10s_other_draws_are_whole_rules():
    # an engineer's finding: "numgen random mod 3 map { 0 : 1, 1 : 1, 2 : 2 }" and "ct mark set jhash
    # ..." pasted alone in place of the draw rule load, and draw again for every packet
    draws = other_draws()
    assert len(draws) == 4 and all(d.startswith(DRAW) for d in draws), draws
    assert DRAW + "numgen inc mod 2 offset 1" in [l.strip() for l in logical_lines(nft_body())]
    prose = " ".join((BOOK / "10-two-links.md").read_text().split())
    assert "`numgen random mod 3 map" not in prose and "`ct mark set jhash" not in prose


def test_ch10_uplink_scripts_are_two_blocks_each_under_its_file_name():
    # an engineer's finding: ip-down and ip-up shared one block and one copy button, so a copy
    # gave both scripts in one file; each is now a block of its own, a whole script (#!/bin/sh),
    # under the name of the file it goes in, a name run-parts accepts (no dot)
    raw = (BOOK / "10-two-links.md").read_text()
    for kind, block in (("down", ip_down()), ("up", ip_up())):
        assert block.startswith("#!/bin/sh\n"), block
        other = "# ip-up:" if kind == "down" else "# ip-down:"
        assert other not in block
        i = raw.index("```sh\n" + block)
        head = raw[:i].rstrip().splitlines()[-1]
        assert head == f"`/etc/ppp/ip-{kind}.d/uplink2`:", head
    text = " ".join(raw.split())
    assert "named without a dot, since Debian's `run-parts` passes over a name with one" in text


def test_ch10_recipes_mark_is_set_last_after_any_chain_at_mangle():
    # an engineer's finding: an old per-packet rule (chapter 9's meta mark set numgen, priority
    # mangle, in a table of its own) left in place re-marked every packet after the recipe's chain,
    # which the kernel put in front of it (of equal priorities the later registered runs first,
    # nf_hook_entries_grow()); conntrack -L still looked right.  The recipe's chain runs at
    # mangle + 1, the text says why and says to delete the old rules first, and how to check
    body = nft_body()
    chain = body[body.index("chain prerouting {"):]
    chain = chain[:chain.index("}")]
    assert re.search(r"^    type filter hook prerouting priority mangle \+ 1;$", chain, re.M), chain
    text = " ".join((BOOK / "10-two-links.md").read_text().split())
    # (said where the recipe's chain priority is explained, under "Deploying it"; the recipe's
    # section points there before the recipe)
    sec = text[text.index("## Deploying it"):text.index("## Try it live")]
    assert "`nft list ruleset | grep -n 'mark set'`" in sec and "its old rules must go first" in sec
    head = text[text.index("## Connection-level balancing that sticks"):text.index("```sh")]
    assert "must first drop its old rules" in head and '"Deploying it"' in head
    # "the recipe's own five lines that set a mark": nft lists one rule a line
    said = re.search(r"lists the recipe's own (\w+) lines that set a mark", sec).group(1)
    rules = [l for l in logical_lines(body) if "mark set" in l and not l.lstrip().startswith("#")]
    assert said == ["zero", "one", "two", "three", "four", "five", "six", "seven"][len(rules)], rules
    deploy = text[text.index("## Deploying it"):]
    for needle in ("`mangle + 1` (-149)", "nf_hook_entries_grow()",
                   "`if (inserted || reg->priority > orig_ops[i]->priority)`", "{cite}`linuxnfhookorder`",
                   "the one registered later runs first"):
        assert needle in deploy, needle
    box = deploy[deploy.index("```{admonition} Is it working?"):]
    box = box[:box.index("```", 10)]
    assert "The list looks as right with a second rule that marks the packets after the recipe's" in box
    # the kernel lab's connmark balancing runs its chain at the recipe's priority
    from sim.kernel.scenarios import CONNMARK_PRIORITY
    assert CONNMARK_PRIORITY == "mangle + 1"


def test_ch10_recipes_sysctls_keep_a_dotted_device_name_whole():
    # an engineer's finding: "sysctl -e -w net.ipv4.conf.up.7.ignore_routes_with_linkdown=1" (a VLAN
    # uplink, eth1.7) prints nothing, returns 0 and leaves 0: sysctl splits the name at its dot
    # and -e hides the error; the slash form keeps the name whole
    lines = [c for c in commands(recipe()) if c.startswith("sysctl") and "conf" in c]
    assert len(lines) == 4 and all(re.search(r" net/ipv4/conf/[^/ ]+/ignore_routes_with_linkdown=1$", c)
                                   for c in lines), lines
    text = " ".join((BOOK / "10-two-links.md").read_text().split())
    assert "`sysctl -e -w net.ipv4.conf.eth1.7.ignore_routes_with_linkdown=1` looks for `conf/eth1/7/`" in text


# -- in namespaces ------------------------------------------------------------------------------

TOOLS = ("ip", "nft", "conntrack", "curl", "sysctl")


CI = os.environ.get("CI") == "true"


def _netns_problem() -> str | None:
    if os.geteuid() != 0:
        return "the recipes run in network namespaces, which need root"
    missing = [t for t in TOOLS if not shutil.which(t)]
    return f"missing tools: {', '.join(missing)} (make test installs them as root)" if missing else None


class Net:
    """LAN host / router (eth0, if1 100.0.0.1, if2 150.0.0.1) / two providers / server 200.0.0.1."""

    def __init__(self):
        self.p = f"rcp{os.getpid()}"
        self.ns = [f"{self.p}-{n}" for n in ("lan", "rt", "p1", "p2", "srv")]
        self.lan, self.rt, self.p1, self.p2, self.srv = self.ns
        self.procs = []

    def run(self, *cmd, ns=None, check=True, input=None):
        full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
        r = subprocess.run(full, capture_output=True, text=True, input=input, timeout=60)
        if check and r.returncode:
            raise AssertionError(f"{' '.join(full)}: rc {r.returncode}: {r.stderr.strip()}")
        return r

    def sh(self, script: str, ns: str, args: tuple = (), errexit: bool = False):
        """A block as a reader pastes it, or as a script runs it (its arguments ``args``, under
        ``set -e`` if ``errexit``), in the namespace: bash, or for a script that starts with
        ``#!/bin/sh`` that shell (Debian's is dash); (rc, stderr)."""
        shell = "sh" if script.startswith("#!/bin/sh\n") else "bash"
        r = self.run(shell, *(["-e"] if errexit else []), "-c", script, "script", *args, ns=ns, check=False)
        return r.returncode, r.stderr

    def up(self):
        ip = lambda *a: self.run("ip", *a)
        for n in self.ns:
            ip("netns", "add", n)
            ip("-n", n, "link", "set", "lo", "up")
        ip("-n", self.lan, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", self.rt)
        ip("-n", self.rt, "link", "add", "if1", "type", "veth", "peer", "name", "cust", "netns", self.p1)
        ip("-n", self.rt, "link", "add", "if2", "type", "veth", "peer", "name", "cust", "netns", self.p2)
        ip("-n", self.p1, "link", "add", "core", "type", "veth", "peer", "name", "p1", "netns", self.srv)
        ip("-n", self.p2, "link", "add", "core", "type", "veth", "peer", "name", "p2", "netns", self.srv)
        for n, a, d in [(self.lan, "192.168.0.1/24", "eth0"), (self.rt, "192.168.0.254/24", "eth0"),
                        (self.rt, "100.0.0.1/24", "if1"), (self.rt, "150.0.0.1/24", "if2"),
                        (self.p1, "100.0.0.254/24", "cust"), (self.p1, "10.1.0.1/30", "core"),
                        (self.p2, "150.0.0.254/24", "cust"), (self.p2, "10.2.0.1/30", "core"),
                        (self.srv, "10.1.0.2/30", "p1"), (self.srv, "10.2.0.2/30", "p2"),
                        (self.srv, "200.0.0.1/32", "lo")]:
            ip("-n", n, "addr", "add", a, "dev", d)
        for n, devs in [(self.lan, ["eth0"]), (self.rt, ["eth0", "if1", "if2"]), (self.p1, ["cust", "core"]),
                        (self.p2, ["cust", "core"]), (self.srv, ["p1", "p2"])]:
            for d in devs:
                ip("-n", n, "link", "set", d, "up")
        ip("-n", self.lan, "route", "add", "default", "via", "192.168.0.254")
        for k, p in ((1, self.p1), (2, self.p2)):
            self.run("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=p)
            ip("-n", p, "route", "add", "200.0.0.0/24", "via", f"10.{k}.0.2")
        ip("-n", self.srv, "route", "add", "100.0.0.0/24", "via", "10.1.0.1")
        ip("-n", self.srv, "route", "add", "150.0.0.0/24", "via", "10.2.0.1")
        # a distribution's strict reverse-path filtering on the router
        self.run("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.default.rp_filter=1", ns=self.rt)
        # providers that filter sources (BCP 38)
        for p, net in ((self.p1, "100.0.0.0/24"), (self.p2, "150.0.0.0/24")):
            self.run("nft", "-f", "-", ns=p, input="table ip bcp38 { chain pre { type filter hook prerouting "
                     f"priority -300; iifname \"cust\" ip saddr != {net} drop\n}}\n}}\n")
        self.www = tempfile.mkdtemp(prefix="rcp-www-")
        Path(self.www, "small").write_text("ok\n")
        self.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", self.srv, "python3", "-m", "http.server", "80", "--bind", "200.0.0.1",
             "--directory", self.www], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(50):
            if self.run("curl", "-s", "-o", "/dev/null", "--max-time", "1", "http://200.0.0.1/small",
                        ns=self.srv, check=False).returncode == 0:
                break
            time.sleep(0.1)

    def down(self):
        for pr in self.procs:
            pr.kill()
            pr.wait()
        for n in self.ns:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        if getattr(self, "www", None):
            shutil.rmtree(self.www, ignore_errors=True)

    def state(self) -> str:
        return "\n".join(self.run(*c, ns=self.rt).stdout for c in
                         (["ip", "-4", "rule"], ["ip", "-4", "route", "show", "table", "all"], ["nft", "list", "ruleset"]))

    def six(self) -> list[tuple[str, str]]:
        """Six connections from the LAN: (the address the server saw them from, their mark)."""
        self.run("conntrack", "-F", ns=self.rt, check=False)
        ports = []
        for _ in range(6):
            r = self.run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{local_port}", "--max-time", "5",
                         "http://200.0.0.1/small", ns=self.lan, check=False)
            code, port = r.stdout.split()
            assert code == "200", r.stdout
            ports.append(port)
        ct = self.run("conntrack", "-L", "-p", "tcp", "--dport", "80", ns=self.rt).stdout
        out = []
        for port in ports:
            line = next(l for l in ct.splitlines() if f"sport={port} dport=80 " in l)
            out.append((re.findall(r"dst=(\S+)", line)[1], re.search(r"mark=(\d+)", line).group(1)))
        return out


ALTERNATE = [("100.0.0.1", "1"), ("150.0.0.1", "2")] * 3


def pppd_args(addr: str = "150.0.0.1") -> tuple:
    """ip-up's and ip-down's arguments for uplink 2, as pppd(8) gives them."""
    return ("if2", "/dev/ttyS1", "38400", addr, "150.0.0.254", "")


@pytest.fixture
def net():
    why = _netns_problem()
    if why:
        if CI:
            pytest.fail(why + " (CI=true: the recipes must run on the kernel)")
        pytest.skip(why)
    n = Net()
    try:
        n.up()
        yield n
    finally:
        n.down()


def test_recipes_run_in_namespaces(net):
    rt = net.rt
    # chapter 9: the resilient group, on a router whose DHCP client already installed a default
    # route, and a second time
    net.run("ip", "route", "add", "default", "via", "100.0.0.254", "dev", "if1", ns=rt)
    for _ in range(2):
        rc, err = net.sh(block_with("09-modern-linux.md", "type resilient"), rt)
        assert (rc, err) == (0, ""), err
    assert "nhid 10" in net.run("ip", "route", "show", "default", ns=rt).stdout
    assert "type resilient buckets 128" in net.run("ip", "nexthop", "show", "id", "10", ns=rt).stdout
    # the text's way back once a line returns: the block again, whole.  A member's device down
    # takes the member; both down take the group and the route (an engineer's finding: the text
    # said to replace the group without its buckets, refused once the group was gone)
    net.run("ip", "link", "set", "if2", "down", ns=rt)
    assert net.run("ip", "nexthop", "show", "id", "2", ns=rt, check=False).returncode != 0
    net.run("ip", "link", "set", "if1", "down", ns=rt)
    assert net.run("ip", "nexthop", "show", "id", "10", ns=rt, check=False).returncode != 0
    assert net.run("ip", "route", "show", "default", ns=rt).stdout == ""
    net.run("ip", "link", "set", "if1", "up", ns=rt)
    net.run("ip", "link", "set", "if2", "up", ns=rt)
    # (the old way, the group replaced alone, fails: its members went with their devices)
    refused = net.run("ip", "nexthop", "replace", "id", "10", "group", "1/2", "type", "resilient", ns=rt, check=False)
    assert refused.returncode != 0, refused.stdout
    rc, err = net.sh(block_with("09-modern-linux.md", "type resilient"), rt)
    assert (rc, err) == (0, ""), err
    assert "nhid 10" in net.run("ip", "route", "show", "default", ns=rt).stdout
    assert "type resilient buckets 128" in net.run("ip", "nexthop", "show", "id", "10", ns=rt).stdout
    text = " ".join((BOOK / "09-modern-linux.md").read_text().split())
    assert "When if2's line returns, a script must run the block again, whole" in text
    net.run("ip", "route", "del", "default", ns=rt)
    net.run("ip", "nexthop", "flush", ns=rt)
    rc, err = net.sh(block_with("09-modern-linux.md", "fib_multipath_hash_fields"), rt)
    assert rc == 0, err
    assert net.run("sysctl", "-n", "net.ipv4.fib_multipath_hash_fields", ns=rt).stdout.strip() == "55"
    net.run("sysctl", "-qw", "net.ipv4.fib_multipath_hash_policy=0", "net.ipv4.fib_multipath_hash_fields=7", ns=rt)

    # chapter 10: the recipe twice, the same state, connections alternating uplinks; beside it a
    # DHCP client's default route with a metric, which it leaves, and the text's command deletes
    net.run("ip", "route", "add", "default", "via", "150.0.0.254", "dev", "if2", "proto", "dhcp", "metric", "100",
            ns=rt)
    rc, err = net.sh(recipe(), rt, errexit=True)
    assert (rc, err) == (0, ""), err
    first = net.state()
    rc, err = net.sh(recipe(), rt, errexit=True)
    assert (rc, err) == (0, ""), err
    assert net.state() == first
    assert net.six() == ALTERNATE
    assert "proto dhcp metric 100" in net.run("ip", "route", "show", "default", ns=rt).stdout
    net.run("ip", "route", "del", "default", "proto", "dhcp", ns=rt)
    assert "nexthop via 150.0.0.254 dev if2" in net.run("ip", "route", "show", "default", ns=rt).stdout
    assert "proto dhcp" not in net.run("ip", "route", "show", "default", ns=rt).stdout
    # the counters count: six connections drew, were bound, and none was INVALID
    nft = net.run("nft", "list", "chain", "ip", "twolinks", "nat", ns=rt).stdout
    assert "counter packets 6 " in nft, nft

    # the other draws, each in place of the draw rule: they load, and each connection's address
    # is its mark's uplink
    # (pasted as they are written, their lines continued by backslashes, indented as the draw)
    draw = next(phys for l, phys in logical_spans(nft_body()) if "numgen inc" in l)
    assert recipe().count(draw) == 1
    for other, lines in other_draw_spans():
        pasted = "".join("    " + l + "\n" for l in lines.splitlines())
        rc, err = net.sh(recipe().replace(draw, pasted), rt)
        assert (rc, err) == (0, ""), (other, err)
        assert set(net.six()) <= set(ALTERNATE), other
    rc, err = net.sh(recipe(), rt)
    assert (rc, err) == (0, ""), err
    assert net.six() == ALTERNATE

    # an uplink's device down (ip-down), the recipe run again while it is down (its route lines
    # say why they fail, the rest goes in), up again (ip-up): its table's route back, alternation back
    down, up = ip_down(), ip_up()
    net.run("ip", "link", "set", "if2", "down", ns=rt)
    net.sh(down, rt, pppd_args())
    assert [a for a, _ in net.six()] == ["100.0.0.1"] * 6
    rc, err = net.sh(recipe(), rt, errexit=True)
    assert rc == 0 and "Nexthop has invalid gateway" in err, err
    assert net.run("nft", "list", "table", "ip", "twolinks", ns=rt).returncode == 0
    assert [a for a, _ in net.six()] == ["100.0.0.1"] * 6
    net.run("ip", "link", "set", "if2", "up", ns=rt)
    rc, err = net.sh(up, rt, pppd_args(), errexit=True)
    assert (rc, err) == (0, ""), err
    assert net.six() == ALTERNATE
    # Debian's ip-up and ip-down run every script for every PPP link: uplink 2's, run for uplink
    # 1's link, change nothing (they put if1 in table 2 and a rule from 100.0.0.1 to it, and
    # every connection left from 100.0.0.1)
    before = net.state()
    for script in (up, down):
        rc, err = net.sh(script, rt, ("if1", "/dev/ttyS0", "38400", "100.0.0.1", "100.0.0.254", ""), errexit=True)
        assert (rc, err) == (0, ""), err
    assert net.state() == before and net.six() == ALTERNATE
    # uplink 1's gateway as table 1 has it, not as the script was written: a redial of uplink 1
    # brought another (its ip-up put it in table 1), then uplink 2's ip-up ran
    net.run("ip", "-n", net.p1, "addr", "add", "100.0.0.253/24", "dev", "cust")
    net.run("ip", "route", "replace", "default", "via", "100.0.0.253", "dev", "if1", "table", "1", ns=rt)
    rc, err = net.sh(up, rt, pppd_args(), errexit=True)
    assert (rc, err) == (0, ""), err
    main = net.run("ip", "route", "show", "default", ns=rt).stdout
    assert "nexthop via 100.0.0.253 dev if1" in main and "150.0.0.254" in main, main
    net.run("ip", "route", "replace", "default", "via", "100.0.0.254", "dev", "if1", "table", "1", ns=rt)
    net.sh(up, rt, pppd_args())
    # the device destroyed (a PPP uplink's redial): the multipath route went with it; the recipe
    # runs while it is not there; made anew with another address, which ip-up's rule follows
    net.run("ip", "-n", rt, "link", "del", "if2")
    assert net.run("ip", "route", "show", "default", ns=rt).stdout == ""
    net.sh(down, rt, pppd_args())
    assert [a for a, _ in net.six()] == ["100.0.0.1"] * 6
    rc, err = net.sh(recipe(), rt, errexit=True)
    assert rc == 0 and "cannot stat" not in err, err
    assert [a for a, _ in net.six()] == ["100.0.0.1"] * 6
    net.run("ip", "-n", rt, "link", "add", "if2", "type", "veth", "peer", "name", "cust", "netns", net.p2)
    net.run("ip", "-n", rt, "addr", "add", "150.0.0.7/24", "dev", "if2")
    net.run("ip", "-n", net.p2, "addr", "add", "150.0.0.254/24", "dev", "cust")
    net.run("ip", "-n", rt, "link", "set", "if2", "up")
    net.run("ip", "-n", net.p2, "link", "set", "cust", "up")
    rc, err = net.sh(up, rt, pppd_args("150.0.0.7"), errexit=True)
    assert (rc, err) == (0, ""), err
    assert net.six() == [("100.0.0.1", "1"), ("150.0.0.7", "2")] * 3
    rules = net.run("ip", "-4", "rule", ns=rt).stdout
    assert "202:\tfrom 150.0.0.7 lookup 2" in rules and "150.0.0.1" not in rules, rules
    assert "table 2" in net.run("ip", "route", "get", "200.0.0.1", "from", "150.0.0.7", ns=rt).stdout


#: chapter 9's per-packet balancing, as a router that used it would have it: its own table, its
#: chain at mangle
PER_PACKET = """table ip perpacket {
  chain prerouting {
    type filter hook prerouting priority mangle;
    iifname "eth0" counter meta mark set numgen inc mod 2 offset 1
  }
}
"""


def test_recipe_marks_last_and_names_a_dotted_device_in_namespaces(net):
    rt = net.rt
    assert "`meta mark set numgen inc mod 2 offset 1`" in " ".join((BOOK / "09-modern-linux.md").read_text().split())
    # an old per-packet rule loaded before the recipe, then after it: either way every connection
    # leaves by the uplink of its mark, and is bound once (a packet re-marked to the other uplink
    # had MASQUERADE kill the entry, and the next packet made a new one: 12 bindings for 6)
    for first in ("old", "recipe"):
        net.run("nft", "flush", "ruleset", ns=rt)
        if first == "old":
            net.run("nft", "-f", "-", ns=rt, input=PER_PACKET)
        rc, err = net.sh(recipe(), rt)
        assert (rc, err) == (0, ""), err
        if first == "recipe":
            net.run("nft", "-f", "-", ns=rt, input=PER_PACKET)
        assert net.six() == ALTERNATE, first
        nat = net.run("nft", "list", "chain", "ip", "twolinks", "nat", ns=rt).stdout
        assert "counter packets 6 " in nat, (first, nat)
        old = net.run("nft", "list", "table", "ip", "perpacket", ns=rt).stdout
        assert not re.search(r"counter packets 0 ", old), old          # the old rule ran, and re-marked
    net.run("nft", "delete", "table", "ip", "perpacket", ns=rt)
    mine = [l for l in net.run("nft", "list", "ruleset", ns=rt).stdout.splitlines() if "mark set" in l]
    assert len(mine) == 5, mine                  # the text's "the recipe's own five lines"
    # a device whose name has a dot (a VLAN's eth1.7), made while "default" is 0 (a device the
    # recipe found there, not one that copied the recipe's "default"): the per-device sysctl, for it
    net.run("sysctl", "-qw", "net.ipv4.conf.default.ignore_routes_with_linkdown=0", ns=rt)
    net.run("ip", "-n", rt, "link", "add", "up.7", "type", "veth", "peer", "name", "pe7")
    assert net.run("sysctl", "-n", "net/ipv4/conf/up.7/ignore_routes_with_linkdown", ns=rt).stdout.strip() == "0"
    line = next(c for c in commands(recipe()) if c.startswith("sysctl -e") and "if1" in c)
    rc, err = net.sh(line.replace("if1", "up.7"), rt, errexit=True)
    assert (rc, err) == (0, ""), err
    got = net.run("sysctl", "-n", "net/ipv4/conf/up.7/ignore_routes_with_linkdown", ns=rt).stdout.strip()
    assert got == "1", got
