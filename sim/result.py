"""What a run gives back: the trace, a summary of what a user would measure,
and the router's state at any step (rebuilt from the trace)."""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import asdict, dataclass, field
from functools import cached_property

from . import __version__
from .packet import ICMP_PROTO, TCP, TCP_PROTO, fmt_endpoint, parse_endpoint
from .tables import Tables
from .trace import Drop, Ev, event_dict, event_text, fmt_time

#: The JSON trace's form (``"schema"``), raised when a field changes name, type or meaning; what
#: changed from one to the next is in the README's "Trace JSON" section
TRACE_SCHEMA = 2
#: what wrote the JSON trace, and which version of it (as the pcapng's section header says it)
WRITER = f"1 + 1 < 1 simulator {__version__}"
#: The fields of an uplink's summary timed by the stored trace's hops (``Result._down_active``):
#: None in a run without a trace (``trace=False``), where the rest of the summary is the same
TRACE_TIMED = ("down_kbit_active", "down_active_s", "down_pauses", "down_active_from_s", "down_active_to_s",
               "up_untranslated")
#: a connection's (and an echo's) fields read from the stored trace: who reset it and when (None
#: without a trace, ``trace=False``: ``Result._reset_fields``)
TRACE_READ_RESETS = tuple(f"{head}reset_{k}" for head in ("", "server_") for k in ("at_s", "by", "sent_at_s"))
#: A gap this long (µs) or longer with no data down a line is a pause, which an uplink's rate
#: while it carried data leaves out: an idle connection, the time between two pings, a
#: retransmission timeout's wait
PAUSE = 1_000_000
#: The longest download name (without its extension): short enough for any file system.
STEM_MAX = 80
#: the drop reason of a segment answered with a reset (the text summary says it apart: not a loss)
RESET = Drop.RESET.value
#: downloads a note names one by one, at most
SHOWN = 4


def _endpoint(text: str) -> list:
    """``"(192.168.0.1, 5000)"`` -> ``["192.168.0.1", 5000]``; an address alone -> ``[address, None]``."""
    return list(parse_endpoint(text))


def _endpoints(texts: list) -> list:
    return [_endpoint(t) for t in texts]


def _endpoint_list(text: str | None) -> list:
    """One endpoint or none (an MPTCP subflow the server never saw): a list, as every
    ``seen_by_server_as`` is in the JSON."""
    return [] if text is None else [_endpoint(text)]


#: The summary's endpoints, which ``r.summary`` holds as display text (``"(192.168.0.1, 5000)"``,
#: the article's notation, which the book, the exercises and ``sim.kernel`` print) and the JSON as
#: ``[address, port]``, as its events' ``local`` and ``remote``: each a path into the summary
#: (``[]``: every item of a list) and how its value is written.  The one place the JSON's
#: summary differs from ``r.summary``; ``tests/test_trace_json.py`` finds every endpoint here.
JSON_ENDPOINTS = {
    "connections[].client": _endpoint, "connections[].server": _endpoint,
    "connections[].seen_by_server_as": _endpoints,
    "connections[].left_as[].as": _endpoint,
    "echo[].client": _endpoint, "echo[].server": _endpoint,
    # (addresses only: [address, null], see the README)
    "echo[].seen_by_server_as": _endpoints,
    "mptcp[].subflows[].client": _endpoint,
    "mptcp[].subflows[].seen_by_server_as": _endpoint_list,
}


def _converted(v, path: list[str], write):
    """``v`` with the value at ``path`` (from ``JSON_ENDPOINTS``) written by ``write``: the
    dictionaries and lists on the way copied, nothing of ``v`` changed."""
    key, rest = path[0], path[1:]
    name, each = (key[:-2], True) if key.endswith("[]") else (key, False)
    if name not in v:
        return v
    x = v[name]
    if x is None:                   # (a field that may be null: none to convert)
        return v
    if each:
        x = [_converted(item, rest, write) for item in x] if rest else [write(item) for item in x]
    else:
        x = _converted(x, rest, write) if rest else write(x)
    return {**v, name: x}


def json_summary(summary: dict) -> dict:
    """``r.summary`` as the JSON writes it: every endpoint of ``JSON_ENDPOINTS`` as
    ``[address, port]`` (``r.summary`` itself is left as it is)."""
    for path, write in JSON_ENDPOINTS.items():
        summary = _converted(summary, path.split("."), write)
    return summary


def _json_value(v):
    """JSON for what the trace holds beyond JSON's types: bytes (an MPTCP option's HMAC) as hex."""
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    raise TypeError(f"Object of type {type(v).__name__} is not JSON serializable")


def _dumps(obj) -> str:
    return json.dumps(obj, indent=None, separators=(",", ":"), default=_json_value)


def _drops_at(counts) -> dict:
    """``summary["drops_at"]``: for each drop reason, the nodes that dropped for it and how
    many, most first (a name breaks a tie): ``{"queue full": {"provider2": 62}}``."""
    out: dict[str, dict[str, int]] = {}
    for (reason, node), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1])):
        out.setdefault(reason, {})[node] = n
    return out


def _packets(n: int) -> str:
    return f"{n} packet{'' if n == 1 else 's'}"


def _where(nodes: dict) -> str:
    """Where one reason's drops happened, for the text summary: ``provider2`` when one node
    dropped them all, ``provider1 100, router 18`` when several did."""
    if len(nodes) == 1:
        return next(iter(nodes))
    return ", ".join(f"{node} {n}" for node, n in nodes.items())


class Result:
    """A simulator run: ``scenario``, ``params``, ``net``, ``events`` (the trace), ``summary``.

    What the views ask of a result (``sim.view``: players, ladder, packet pane), besides
    ``scenario``, ``params``, ``net``, ``events`` and ``summary_text()``, is the section
    "views" below; a kernel capture replayed on the simulator's network
    (``sim.view.capture.Captured``) answers the same for its capture."""

    def __init__(self, scenario, params, sim, net, apps):
        self.scenario = scenario
        self.params = params
        self.sim = sim
        self.net = net
        self.apps = apps
        self.events = sim.trace.events

    # -- summary ----------------------------------------------------------------------------

    @cached_property
    def summary(self) -> dict:
        """What a user would measure (made when first read: the book's Monte Carlos make
        thousands of runs and many read only their traces)."""
        return self._summarize()

    def connection(self, k: int = 0) -> dict:
        """``summary["connections"][k]``: download ``k``'s summary, made alone when the whole
        summary has not been (a Monte Carlo reads one connection of each of thousands of
        runs, a fifth of the summary's work)."""
        if "summary" in self.__dict__:          # made already (cached_property keeps it there)
            return self.summary["connections"][k]
        return self._download_summary(self.apps.get("downloads", [])[k])

    def _summarize(self) -> dict:
        sim, router = self.sim, self.net["router"]
        downloads = self.apps.get("downloads", [])
        conns = [self._download_summary(d) for d in downloads]
        # the totals count every download: the plain ones and the MPTCP ones (their data-level
        # bytes, what the application received, not each subflow's)
        transfers = downloads + self.apps.get("mptcp", [])
        starts = [d.start for d in transfers]
        ends = [d.done_at for d in transfers if d.done_at is not None]
        duration = (max(ends) - min(starts)) if ends and len(ends) == len(starts) else None
        delivered = sum(d.bytes for d in transfers)
        s = {
            "scenario": self.scenario,
            "connections": conns,
            "bytes_delivered": delivered,
            "seconds": None if duration is None else duration / 1e6,
            "throughput_kbit": None if not duration else round(delivered * 8 / duration * 1e3, 1),
            "uplinks": self._uplinks_summary(duration),
            "drops": dict(sim.trace.drops),
            "drops_at": _drops_at(sim.trace.drops_at),
            "event_count": sum(sim.trace.counts.values()),
            "end_time_s": sim.now / 1e6,
        }
        if (bundle := self._bundle_summary()) is not None:
            s["bundle"] = bundle
        if self.params.down_at is not None:
            # the failure is a daemon event (sim.scenarios.run): a run whose traffic ended
            # first never reaches it, and the line never went down
            # (down now, or back up since: up_at)
            dev = f"if{self.params.down_uplink}"
            went = not self.net.links[f"uplink{self.params.down_uplink}"].ifaces[0].up or dev in router.came_up
            s["link_down"] = {"uplink": f"if{self.params.down_uplink}", "at": self.params.down_at,
                              "happened": went,
                              "conntrack_entries_flushed": router.nat.flushed if router.nat else 0}
            if self.params.up_at is not None:
                s["link_down"].update(self._line_back(conns))
        if router.cache is not None:
            s["route_cache"] = {"in_hit": router.cache.in_hit, "in_slow_tot": router.cache.in_slow_tot,
                                "in_no_route": router.cache.in_no_route,
                                "entries": len(router.cache.entries)}
        if "pings" in self.apps:
            seen = sorted({src for (proto, src) in self.net["remote1"].seen if proto == ICMP_PROTO})
            s["pings"] = [{"sent": len(p.sent), "received": len(p.replies), "seen_by_remote_as": seen}
                          for p in self.apps["pings"]]
        if "echo" in self.apps:
            s["echo"] = [self._echo_summary(e) for e in self.apps["echo"]]
        if "mptcp" in self.apps:
            s["mptcp"] = [self._mptcp_summary(m) for m in self.apps["mptcp"]]
        if "udp" in self.apps:
            s["udp"] = [{"sent": u.sent, "received": u.received} for u in self.apps["udp"]]
        return s

    def _line_back(self, conns: list[dict]) -> dict:
        """The failed line's return (``up_at``): whether it came back, what went up and came down
        it since, and the downloads started since, by the uplink each took (the one its first
        address the server saw belongs to; a download the server never saw is in none)."""
        dev = f"if{self.params.down_uplink}"
        router = self.net["router"]
        back = router.came_up.get(dev)
        out = {"up_at": self.params.up_at, "came_back": back is not None}
        if back is None:
            return out
        t, tx, rx, flush = back
        i = router.ifaces[dev]
        by_addr = {router.ifaces[u].addr: u for u in self.net.uplinks()}
        later = [(d, c) for d, c in zip(self.apps.get("downloads", []), conns)
                 if d.start >= t]
        took: dict[str, int] = {u: 0 for u in self.net.uplinks()}
        for _, c in later:
            if c["seen_by_server_as"]:
                addr = c["seen_by_server_as"][0].strip("()").split(",")[0]
                if addr in by_addr:
                    took[by_addr[addr]] += 1
        out.update({"up_packets_since": i.tx_packets - tx, "down_packets_since": i.rx_packets - rx,
                    "route_cache_flush_due_s": None if flush is None else flush / 1e6,
                    "downloads_since": len(later), "downloads_since_by_uplink": took})
        return out

    def _download_summary(self, d) -> dict:
        """One download: its endpoints, how the server saw it, its handshake and outcome."""
        c = d.conn
        children = self._server_sockets(c, self.apps["servers"][d.server])
        first = min(children, key=lambda ch: ch.established_at or 1 << 62, default=None)
        if first is not None and first.established_by == "ack":
            hs = "completed by the handshake ACK"
        elif first is not None and first.established_by is not None:
            hs = f"completed late, by a {first.established_by} segment"
        else:
            hs = "failed"
        elapsed = (d.done_at - d.start) if d.done_at is not None else None
        return {
            "client": fmt_endpoint(*c.local), "server": fmt_endpoint(*c.remote),
            "seen_by_server_as": [fmt_endpoint(*ch.remote) for ch in children],
            "handshake": hs,
            "handshake_ok": first is not None and first.established_by == "ack",
            "established": c.established_at is not None,
            "state": str(c.state), "reset": c.reset, **self._reset_fields(c, children),
            "timed_out": d.timed_out,
            "bytes": d.bytes, "bytes_wanted": d.size * d.requests,
            "complete": d.done_at is not None,
            "seconds": None if elapsed is None else elapsed / 1e6,
            "throughput_kbit": None if not elapsed else round(d.bytes * 8 / elapsed * 1e3, 1),
            # when its last data came (None: none came): of a download left ESTABLISHED without
            # all its bytes, when it stalled
            "last_data_s": d.last_data / 1e6 if d.bytes else None,
            "left_as": self._left_as(c),
        }

    def _left_as(self, c) -> list[dict]:
        """The endpoints client socket ``c``'s segments left the router under, masqueraded, in
        the order first used, each with the uplink whose address it is and how many segments:
        two under per-packet balancing behind NAT (chapter 6), the one connection the server
        sees as two.  Counted by the conntrack entries that masqueraded them (``Conn.sent``),
        those since gone included; empty: none masqueraded (no NAT)."""
        nat = self.net["router"].nat
        if nat is None:
            return []
        out: dict[tuple, dict] = {}
        for ct in nat.made:
            proto, src, sport, dst, dport = ct.orig
            if proto != TCP_PROTO or (src, sport) != tuple(c.local) or (dst, dport) != tuple(c.remote) or not ct.sent:
                continue
            x = out.setdefault(ct.ext, {"as": fmt_endpoint(*ct.ext), "uplink": ct.dev, "segments": 0})
            x["segments"] += ct.sent
        return list(out.values())

    def _uplinks_summary(self, duration) -> dict:
        """Each uplink's counters and two rates of what came down it (bytes on the wire, headers
        and ACKs included), which differ as much as a line's speed and its share of a run.

        ``up_packets`` and ``up_bytes`` are the packets put on the line, a packet lost when the
        line fails included: the router's device counts a packet when it sends it
        (``Interface.xmit``), and one still on the line when the line goes down never becomes a
        hop (``Link.arrive`` drops it, "link down"), so a capture of the line shows fewer.
        The rates:

        - ``down_kbit_avg``: all its bytes down averaged over the downloads' ``duration`` (the
          first start to the last end; None unless every download completed), as the book's
          tables show it;
        - ``down_kbit_active``: its rate while it carried data, from its first packet with a
          payload to its last, pauses of ``PAUSE`` or more with no data left out
          (``_down_active`` says which bytes and which time): over ``down_active_s``;
          ``down_pauses`` the pauses left out; ``down_active_from_s``, ``down_active_to_s``: the
          first and the last data packet's arrivals at the router -- the line's use while it
          was used, which a run-average hides when one flow of many took the line for a moment
          (None: no two data packets came within ``PAUSE`` of each other, or the run kept no
          trace to time them by)."""
        active = self._down_active()
        leaked = self._untranslated()
        ups = {}
        for dev in self.net.uplinks():
            i = self.net["router"].ifaces[dev]
            first, last, busy, nbytes, pauses = active.get(dev, (None, None, 0, 0, None))
            ups[dev] = {"addr": i.addr, "up_packets": i.tx_packets, "up_bytes": i.tx_bytes,
                        "up_untranslated": None if leaked is None else leaked.get(dev, {}),
                        "down_packets": i.rx_packets, "down_bytes": i.rx_bytes,
                        "down_kbit_avg": None if not duration else round(i.rx_bytes * 8 / duration * 1e3, 1),
                        "down_kbit_active": round(nbytes * 8 / busy * 1e3, 1) if busy else None,
                        "down_active_s": busy / 1e6 if busy else None,
                        "down_pauses": pauses,
                        "down_active_from_s": None if first is None else first / 1e6,
                        "down_active_to_s": None if last is None else last / 1e6}
        return ups

    def _records_at(self, node: str):
        """The trace's events at ``node`` (a link's: its hops): from the stored trace only that
        node's records are built (``Events.at_node``); a plain list of records is filtered."""
        events = self.events
        if hasattr(events, "at_node"):
            return (events[j] for j in events.at_node(node))
        return (e for e in events if e.node == node)

    def _untranslated(self) -> dict[str, dict[str, int]] | None:
        """For each uplink, the packets the router put on it with a LAN host's source address
        behind a NAT that should have masqueraded them, by that address: a segment conntrack
        took for INVALID (today's kernel: a FIN with no entry left, after the line it was bound
        to failed) leaves as it came, and the Internet has no way back to a private address.
        Read from the trace's hops off the router ({} for each: none, or no NAT); None: no trace."""
        if not self.sim.trace.keep:
            return None
        router = self.net["router"]
        if router.nat is None:
            return {}
        ours = {router.ifaces[u].addr for u in self.net.uplinks()}
        out = {}
        for dev in self.net.uplinks():
            i = router.ifaces[dev]
            if i.link is None:
                continue
            for e in self._records_at(i.link.name):
                if e.ev is Ev.HOP and e.from_ == i.label and e.pkt.ip.src not in ours:
                    per = out.setdefault(dev, {})
                    per[e.pkt.ip.src] = per.get(e.pkt.ip.src, 0) + 1
        return out

    def _down_active(self) -> dict[str, tuple[int, int, int, int, int]]:
        """For each uplink that brought a packet with a payload down: when the first and the last
        such packet reached the router (µs), the time it carried data (µs) and the bytes on the
        wire it carried in that time, and the pauses left out, read from the trace's hops onto
        the router's device (nothing without a trace).

        The data packets come in stretches, parted by pauses: a gap of ``PAUSE`` or more with no
        data down (cache-expiry's idle connection, the time between two pings).  A stretch's time
        runs from its first data packet's arrival to its last's, and its bytes are those of every
        packet that came down in that time, ACKs and handshakes too, but the first packet of each
        line of the link: they were on the wire before the time began.  A plain line has one; a
        PPP Multilink bundle's lines each begin a packet at once (counting all but the first
        packet had given two 2000 kbit/s lines 4006 kbit/s).  A stretch of no more packets than
        the link has lines has no rate of its own, and is left out."""
        router = self.net["router"]
        out = {}
        for dev in self.net.uplinks():
            i = router.ifaces[dev]
            if not i.rx_packets or i.link is None:
                continue
            link, label = i.link, i.label
            lines = len(link.members) if link.bundle else 1
            hops = self._records_at(link.name)
            down = [(e.t, e.pkt) for e in hops if e.ev is Ev.HOP and e.to == label]
            data = [k for k, (_, pkt) in enumerate(down) if pkt.load]
            if not data:
                continue
            stretches = [[data[0], data[0]]]
            for k in data[1:]:
                if down[k][0] - down[stretches[-1][1]][0] >= PAUSE:
                    stretches.append([k, k])
                else:
                    stretches[-1][1] = k
            busy = nbytes = 0
            for a, b in stretches:
                if b + 1 - a > lines and down[b][0] > down[a][0]:
                    busy += down[b][0] - down[a][0]
                    nbytes += sum(pkt.wire_len() for _, pkt in down[a + lines:b + 1])
            out[dev] = (down[data[0]][0], down[data[-1]][0], busy, nbytes, len(stretches) - 1)
        return out

    def _bundle_summary(self) -> list[dict] | None:
        """PPP Multilink: what each line of the bundle carried (None: no bundle)."""
        link = self.net.links.get("uplink1")
        if link is None or not link.bundle:
            return None
        up, down = (link.member_packets[i.label] for i in link.ifaces)
        return [{"line": m + 1, "up_packets": u, "down_packets": d}
                for m, (u, d) in enumerate(zip(up, down))]

    def _mptcp_summary(self, m) -> dict:
        children = {ch.irs: ch for srv in self.apps["mptcp_servers"] for ch in srv.children}
        subflows = []
        for sf in m.subflows:
            ch = children.get(sf.iss)
            subflows.append({"client": fmt_endpoint(*sf.local),
                             "seen_by_server_as": fmt_endpoint(*ch.remote) if ch else None,
                             "bytes": sf.bytes_received, "state": str(sf.state), "reset": sf.reset})
        elapsed = None if m.done_at is None else m.done_at - m.start
        return {"subflows": subflows, "bytes": m.bytes, "bytes_wanted": m.size,
                "complete": m.done_at is not None,
                "seconds": None if elapsed is None else elapsed / 1e6,
                "throughput_kbit": None if not elapsed else round(m.bytes * 8 / elapsed * 1e3, 1)}

    def _echo_summary(self, e) -> dict:
        c = e.conn
        remote = self.net["remote1"]
        seen = sorted({src for (proto, src) in remote.seen if proto == TCP_PROTO})
        children = self._server_sockets(c, self._echo_server(c))
        return {"client": fmt_endpoint(*c.local), "server": fmt_endpoint(*c.remote),
                "messages": e.messages, "echoed": e.echoed, "reset": c.reset,
                **self._reset_fields(c, children),
                "complete": e.done_at is not None,
                "seconds": None if e.done_at is None else (e.done_at - e.start) / 1e6,
                "seen_by_server_as": seen}

    def _server_sockets(self, c, server) -> list:
        """The sockets of ``server`` (a ``WebServer``, an ``EchoServer``) that client socket ``c``'s
        SYNs made (a socket's IRS is the client's ISS): one per SYN that reached the server by
        another address (a SYN sent again by the other uplink)."""
        return [] if c is None else [ch for ch in getattr(server, "children", []) if ch.irs == c.iss]

    def _echo_server(self, c):
        """The echo server client socket ``c`` connected to: remote1's listener on its port."""
        return getattr(self.net["remote1"].listeners.get(c.remote[1]), "__self__", None)

    def _reset_fields(self, c, children: list) -> dict:
        """Who reset a connection, and when: the client's socket ``c`` and, apart, the server's
        (``children``: the server's sockets of it), each as the JSON's ``reset_at_s``,
        ``reset_by`` (the node whose RST it was: a host, or the router's own stack) and
        ``reset_sent_at_s`` (when that node sent it) -- ``server_`` before them for the server's
        socket, the first reset of several.  None where a socket was not reset, or the run kept
        no trace to read it from (``trace=False``)."""
        mine = self._reset_of(c) if c is not None else None
        theirs = min(filter(None, map(self._reset_of, children)), default=None)
        out = {}
        for head, r in (("", mine), ("server_", theirs)):
            out.update({f"{head}reset_at_s": None if r is None else r[0] / 1e6,
                        f"{head}reset_by": None if r is None else r[1],
                        f"{head}reset_sent_at_s": None if r is None else r[2] / 1e6})
        return out

    def _reset_of(self, conn) -> tuple[int, str, int, str] | None:
        """How socket ``conn`` was reset, read from the trace: when (µs), by whose RST (the node
        that sent it), when that node sent it (µs) and to which endpoint (the text summary's);
        None: not reset, or no trace."""
        if not conn.reset:
            return None
        found = self.__dict__.setdefault("_resets", {})
        key = (conn.host.name, tuple(conn.local), tuple(conn.remote))
        if key not in found:
            found[key] = self._find_reset(*key)
        return found[key]

    def _find_reset(self, host: str, local: tuple, remote: tuple) -> tuple[int, str, int, str] | None:
        """The socket ``local`` -- ``remote`` of ``host`` closed by a RST (``_reset_of``): its
        last ``tcp`` event to CLOSED, right after the delivery of that RST; then back through
        the trace to where the RST was sent (a ``send`` of a RST with the same IP ID, sequence
        and acknowledgment numbers: a NAT on the way rewrites its addresses and ports, not
        those)."""
        events = self.events
        if not len(events):
            return None
        at = (events.at_node(host) if hasattr(events, "at_node")
              else [i for i, e in enumerate(events) if e.node == host])
        for k in range(len(at) - 1, 0, -1):
            e = events[at[k]]
            if (e.ev is not Ev.TCP or e.new != "CLOSED" or tuple(e.local) != local
                    or tuple(e.remote) != remote):
                continue
            d = events[at[k - 1]]
            if d.ev is not Ev.DELIVER or d.t != e.t or type(d.pkt.l4) is not TCP or "R" not in d.pkt.l4.flags:
                return None
            rst = d.pkt
            for j in range(at[k - 1] - 1, -1, -1):
                s = events[j]
                if s.ev is Ev.SEND and type(s.pkt.l4) is TCP and "R" in s.pkt.l4.flags and \
                        (s.pkt.ip.id, s.pkt.l4.seq, s.pkt.l4.ack) == (rst.ip.id, rst.l4.seq, rst.l4.ack):
                    return e.t, s.node, s.t, fmt_endpoint(s.pkt.ip.dst, s.pkt.l4.dport)
            return None
        return None

    # -- outputs ----------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The JSON trace as Python values (``to_json()`` is its text)."""
        return {**self._head(), "events": [event_dict(i, e) for i, e in enumerate(self.events)],
                "summary": self._json_summary()}

    def _json_summary(self) -> dict:
        """The summary as the JSON writes it, with the text summary's notes (``note:`` lines:
        a sender without congestion control, a receive window that held a download back)."""
        notes = [n for n in (self._window_note(), self._rwnd_note()) if n is not None]
        return {**json_summary(self.summary), "notes": [n.removeprefix("  note: ") for n in notes]}

    def _head(self) -> dict:
        p = asdict(self.params)
        p.pop("trace")
        if p["up_at"] is None:          # no line comes back: said by its absence, as before up_at was
            p.pop("up_at")
        # the addresses as the network has them, as the capture's section header names them: the
        # article's when none were given (an empty list said nothing of them), a bundle's one
        router = self.net["router"]
        p["uplink_addrs"] = [router.ifaces[dev].addr for dev in self.net.uplinks()]
        p["remote_addrs"] = [self.net[h].addr for h in ("remote1", "remote2")]
        return {"schema": TRACE_SCHEMA, "simulator": WRITER, "scenario": self.scenario, "params": p,
                "links": [{"name": l.name, "ifaces": [i.label for i in l.ifaces]}
                          for l in self.net.links.values()]}

    def json_chunks(self):
        """``to_json()`` in pieces (the head, each event, the summary), so that a long trace
        is written without holding all of it in memory twice."""
        yield _dumps(self._head())[:-1] + ',"events":['
        for i, e in enumerate(self.events):
            yield ("," if i else "") + _dumps(event_dict(i, e))
        yield '],"summary":' + _dumps(self._json_summary()) + "}\n"

    def to_json(self) -> str:
        return "".join(self.json_chunks())

    def text_chunks(self):
        """``text()`` line by line."""
        for e in self.events:
            yield event_text(e) + "\n"
        # the summary, after a blank line that parts it from the events (if any)
        yield ("\n" if len(self.events) else "") + "\n".join(self.summary_text()) + "\n"

    def text(self) -> str:
        return "".join(self.text_chunks())

    def summary_text(self) -> list[str]:
        s = self.summary
        # the header: what tells runs apart (tcp= and cc= too), and whatever differs from the
        # scenario's defaults
        out = [f"scenario {s['scenario']}: " + self.params_line()]
        at_stake = self._handshake_at_stake()
        for c, d in zip(s["connections"], self.apps.get("downloads", [])):
            state = "complete" if c["complete"] else ("reset" if c["reset"] else
                                                       "gave up (read timeout)" if c["timed_out"] else c["state"])
            if state == "ESTABLISHED":      # it did not survive: it waits, and nothing comes
                state = ("stalled: still ESTABLISHED, its last data at "
                         f"{c['last_data_s']:.3f} s" if c["last_data_s"] is not None else
                         "stalled: still ESTABLISHED, no data came")
            t = f" in {c['seconds']:.3f} s ({c['throughput_kbit']} kbit/s)" if c["complete"] else ""
            # the handshake's outcome where it is news: not the normal one, or a run whose packets
            # each choose an uplink, where the handshake's ACK may leave by another (chapter 6)
            hs = f"handshake {c['handshake']}; " if at_stake or not c["handshake_ok"] else ""
            # one connection under two addresses (chapter 6's crux): said, as a capture shows it
            two = c["left_as"] if c["left_as"] and len(c["left_as"]) > 1 else None
            left = ("; left the router as " + ", ".join(
                f"{x['as']} by {x['uplink']} ({x['segments']} segment{'' if x['segments'] == 1 else 's'})"
                for x in two) if two else "")
            out.append(f"  {c['client']} -> {c['server']}: {hs}"
                       f"{c['bytes']}/{c['bytes_wanted']} bytes, {state}"
                       f"{self._reset_words(d.conn, self.apps['servers'][d.server])}{t}; server saw "
                       + (", ".join(c["seen_by_server_as"]) or "nothing") + left)
        if "link_down" in s:
            d = s["link_down"]
            n, nat = d["conntrack_entries_flushed"], self.params.nat
            if not d["happened"]:
                out.append(f"  {d['uplink']}'s line was to go down at {d['at']} s, but the run's traffic "
                           f"had ended, at {fmt_time(self.sim.now)} s: no line failed (make it fail earlier, "
                           f"or download more, to see it fail during the run)")
            elif n and nat == "article":    # (the article's NAT keeps bindings, not conntrack entries)
                out.append(f"  {d['uplink']}'s line went down at {d['at']} s; the article's NAT forgot {n} "
                           f"binding{'' if n == 1 else 's'} with it")
            elif n:
                who = "MASQUERADE" if nat in ("masquerade", "netfilter") else "conntrack"
                out.append(f"  {d['uplink']}'s line went down at {d['at']} s; {who} forgot {n} "
                           f"conntrack entr{'y' if n == 1 else 'ies'} with it")
            else:
                out.append(f"  {d['uplink']}'s line went down at {d['at']} s; no conntrack entry was "
                           f"forgotten (NAT model {nat})")
            if d["happened"]:
                out += self._line_back_text(d)
        for p in s.get("pings", []):
            out.append(f"  ping: {p['received']} of {p['sent']} echoes answered")
        for e, app in zip(s.get("echo", []), self.apps.get("echo", [])):
            t = f" in {e['seconds']:.3f} s" if e["complete"] else ""
            end = "complete" if e["complete"] else ("reset" if e["reset"] else "not complete")
            out.append(f"  echo {e['client']} -> {e['server']}: {e['echoed']} of {e['messages']} "
                       f"messages echoed, {end}{self._reset_words(app.conn, self._echo_server(app.conn))}{t}; "
                       f"server saw {', '.join(e['seen_by_server_as'])}")
        for m in s.get("mptcp", []):
            t = f" in {m['seconds']:.3f} s ({m['throughput_kbit']} kbit/s)" if m["complete"] else ""
            out.append(f"  mptcp: {m['bytes']}/{m['bytes_wanted']} bytes"
                       f"{', complete' + t if m['complete'] else ', not complete'}")
            for sf in m["subflows"]:
                out.append(f"    subflow {sf['client']}: {sf['bytes']} bytes, {sf['state']}; "
                           f"server saw {sf['seen_by_server_as'] or 'nothing'}")
            if sum(sf["bytes"] for sf in m["subflows"]) > m["bytes"]:
                out.append("    (the subflows' bytes add up to more than the connection's: data sent "
                           "again on another subflow is counted on each that carried it)")
        for u in s.get("udp", []):
            out.append(f"  udp echo: {u['received']} of {u['sent']} datagrams answered")
        # every download, plain or MPTCP (named by its first subflow), as the totals count them
        downloads = [(c["client"], c["complete"], c["bytes_wanted"]) for c in s["connections"]] + [
            ("MPTCP " + (m["subflows"][0]["client"] if m["subflows"] else "download"), m["complete"],
             m["bytes_wanted"]) for m in s.get("mptcp", [])]
        if s["throughput_kbit"] is not None:
            out.append(f"  total: {s['bytes_delivered']} bytes in {s['seconds']:.3f} s (the first download's "
                       f"start to the last's end) = {s['throughput_kbit']} kbit/s")
        elif downloads:                     # a download failed: what came, and which did not
            failed = [name for name, complete, _ in downloads if not complete]
            wanted = sum(w for _, _, w in downloads)
            n = len(downloads)
            out.append(f"  total: {s['bytes_delivered']}/{wanted} bytes; {len(failed)} of {n} "
                       f"download{'' if n == 1 else 's'} did not complete ({', '.join(failed)}), "
                       f"so the run has no time of its own and no average rate; each uplink's rate below "
                       f"is over the time it carried data")
        transfers = self.apps.get("downloads", []) + self.apps.get("mptcp", [])
        ended = (max(d.done_at for d in transfers) / 1e6
                 if s["seconds"] and all(d.done_at is not None for d in transfers) else None)
        for dev, u in s["uplinks"].items():
            leaked = u["up_untranslated"]
            n = sum(leaked.values()) if leaked else 0
            out.append(f"  {dev} {u['addr']}: {_packets(u['up_packets'])} up"
                       + (f" ({n} of them untranslated, with a LAN source address: "
                          f"{', '.join(f'{a} ({k})' if len(leaked) > 1 else a for a, k in leaked.items())}; "
                          f"no conntrack entry masqueraded them)" if n else "")
                       + f", {u['down_packets']} down" + self._uplink_down_text(u, s["seconds"], ended))
        for b in s.get("bundle", []):
            out.append(f"    multilink line {b['line']}: {_packets(b['up_packets'])} up, "
                       f"{b['down_packets']} down")
        if "route_cache" in s:
            rc = s["route_cache"]
            out.append(f"  route cache: in_hit {rc['in_hit']}, in_slow_tot {rc['in_slow_tot']}")
        lost = {k: v for k, v in s["drops"].items() if k != RESET}
        if lost:
            out.append("  drops: " + ", ".join(f"{k} {v} ({_where(s['drops_at'][k])})"
                                               for k, v in lost.items()))
        if RESET in s["drops"]:
            # (the trace's drop reason "reset": a segment that reached a host, or the router's own
            # stack, and matched no connection there; it was answered, not lost on the way)
            n = s["drops"][RESET]
            out.append(f"  answered with a reset: {n} segment{'' if n == 1 else 's'} "
                       f"({_where(s['drops_at'][RESET])}) that no connection took where "
                       f"{'it' if n == 1 else 'they'} arrived: not lost on the way")
        if (note := self._window_note()) is not None:
            out.append(note)
        if (note := self._rwnd_note()) is not None:
            out.append(note)
        out.append(f"  {s['event_count']} events, simulated time {fmt_time(self.sim.now)} s")
        return out

    def _handshake_at_stake(self) -> bool:
        """Whether each packet of a connection chooses its uplink behind a NAT (equalize, or a
        per-packet policy such as numgen): the handshake's ACK may then leave by another uplink
        than the SYN, and complete nothing (chapter 6), so even its normal outcome is news."""
        from .natmodels import translates
        from .policies import REGISTRY
        p = self.params
        return (not p.bundle and (p.equalize or REGISTRY[p.multipath].per_packet)
                and translates(p.nat))

    def _reset_words(self, c, server) -> str:
        """Who reset a connection, and when, for its summary line: `` at 1.399 s by remote1's RST
        (sent at 1.040 s to (100.0.0.1, 5001))`` after its "reset", and the server's socket's
        reset, first or not (``""``: no reset, or no trace to tell it by)."""
        def said(r) -> str:
            at, by, sent, to = r
            return (f"at {at / 1e6:.3f} s by {'the router' if by == 'router' else by}'s RST (sent at "
                    f"{sent / 1e6:.3f} s to {to})")
        mine = self._reset_of(c) if c is not None else None
        theirs = min(filter(None, map(self._reset_of, self._server_sockets(c, server))), default=None)
        words = f" {said(mine)}" if mine is not None else ""
        if theirs is not None:
            first = " first" if mine is not None and theirs[0] < mine[0] else ""
            at, rest = said(theirs).split(" by ", 1)
            words += f"; the server's socket was reset{first}, {at}, by {rest}"
        return words

    def _line_back_text(self, d: dict) -> list[str]:
        """The failed line's return, for the text summary (nothing when it was not to return)."""
        if "up_at" not in d:
            return []
        dev = d["uplink"]
        if not d["came_back"]:
            return [f"  {dev}'s line was to come back at {d['up_at']} s, but the run's traffic had ended, "
                    f"at {fmt_time(self.sim.now)} s: it never came back (bring it back earlier, or download "
                    f"more)"]
        flush = d["route_cache_flush_due_s"]
        how = ("its nexthop live again; the route cache, which keeps the routes made while it was down, "
               f"flushed {flush - d['up_at']:g} s later, at {flush:g} s" if flush is not None
               else "its nexthop live again at once")
        line = (f"  {dev}'s line came back at {d['up_at']} s ({how}); since then "
                f"{_packets(d['up_packets_since'])} up it, {d['down_packets_since']} down")
        n = d["downloads_since"]
        if n:
            took = ", ".join(f"{k} by {u}" for u, k in d["downloads_since_by_uplink"].items() if k)
            line += (f"; of the {n} download{'' if n == 1 else 's'} started since, {took or 'none seen by a server'}")
        return [line]

    @staticmethod
    def _uplink_down_text(u: dict, seconds: float | None, ended: float | None = None) -> str:
        """What came down an uplink, for its summary line: the bytes, their rate over the time
        the uplink carried them and, when every download completed, over the downloads' time
        (a run-average, which reads as the line's use only when the line was used throughout).
        ``ended``: when the last download completed (s).  Data that kept coming down after it (a
        server resending what was acknowledged to it by another uplink, from another address,
        which it never saw) is said: its time spreads the first rate thin, and the second counts
        its bytes over a time that ended before them (a 2000 kbit/s line read 19.7 kbit/s while
        it carried data, 349.8 kbit/s averaged)."""
        if not u["down_packets"]:
            return ""
        words = f"; {u['down_bytes']} bytes down"
        late = ended is not None and u["down_active_to_s"] is not None and u["down_active_to_s"] > ended
        if u["down_kbit_active"] is not None:
            n = u["down_pauses"]
            paused = u["down_active_to_s"] - u["down_active_from_s"] - u["down_active_s"]
            left = "" if not n else (f", less {paused:.3f} s in {'a pause' if n == 1 else f'{n} pauses'} "
                                     f"of a second or more with no data")
            last = (f", at {u['down_active_to_s']:.3f} s, after the downloads had ended at {ended:.3f} s"
                    if late else "")
            words += (f", {u['down_kbit_active']} kbit/s while it carried data ({u['down_active_s']:.3f} s, "
                      f"its first data packet down to its last{last}{left})")
        elif late:
            words += f", data until {u['down_active_to_s']:.3f} s, after the downloads had ended at {ended:.3f} s"
        if u["down_kbit_avg"] is not None and seconds:
            words += (f", {u['down_kbit_avg']} kbit/s averaged over the downloads' {seconds:.3f} s"
                      + (" (all its bytes, the late ones too)" if late else ""))
        return words

    def _window_note(self) -> str | None:
        """One line when a TCP sender without congestion control (``cc=none``, the default)
        overflowed a queue: the drops, and the retransmissions and stalls after them, are that
        sender's, which a reader would otherwise lay at the balancing's door."""
        s = self.summary
        tcp = s["connections"] or s.get("echo") or s.get("mptcp")
        if self.params.cc != "none" or not tcp or not s["drops"].get("queue full"):
            return None
        from .tcp import MSS, window_scale
        shift = window_scale(self.params.rwnd)
        w = self.params.rwnd >> shift << shift              # (TcpConn.window)
        return (f"  note: cc=none, a fixed window of {f'{w // MSS} segments' if w % MSS == 0 else f'{w} bytes'} "
                f"that never backs off, overfills "
                f"a slow line's queue: the queue-full drops and the retransmissions after them are that "
                f"sender's, not the balancing's (cc=reno, --cc reno: a sender that backs off)")

    def _rwnd_held(self) -> list[tuple[str, int, float, int]]:
        """The downloads whose sender the receive window held back most of the download's time
        (the start to the last byte), and whose pace it set: (client, window bytes, that share of
        the time, the sender's least round trip in µs).  Measured in the sender: the time it had
        data the window, not cwnd, kept from going (``TcpConn.rwnd_limited_time``, Linux's
        ``rwnd_limited``), and the bytes acknowledged in that time, which must come to about a
        window per least round trip (75 % or more): a sender whose window only filled a slow
        line's queue (a longer round trip, the line's pace) is not held back by it."""
        held = []
        for d in self.apps.get("downloads", []):
            c = d.conn
            end = d.done_at if d.done_at is not None else (d.last_data if d.bytes else None)
            if c is None or end is None or end <= d.start:
                continue
            for ch in self.apps["servers"][d.server].children:
                if ch.irs != c.iss or not ch.rtt_min or ch.srtt8 == 0:
                    continue
                us, acked = ch.rwnd_limited_time(end)
                if us * 2 > end - d.start and acked * ch.rtt_min >= 0.75 * ch.window * us:
                    held.append((fmt_endpoint(*c.local), ch.window, us / (end - d.start), ch.rtt_min))
                    break
        return held

    def _rwnd_note(self) -> str | None:
        """One line naming the downloads the receive window held back (``_rwnd_held``): a
        connection moves at most a window a round trip, whatever the line (46720 bytes by
        default: 10.7 Mbit/s at 35 ms), and ``--rwnd`` sets it."""
        held = self._rwnd_held()
        if not held:
            return None
        from .tcp import MAX_WINDOW
        w = held[0][1]
        how = (f"--rwnd BYTES sets it (up to {MAX_WINDOW}, announced with RFC 7323 window scaling above "
               f"65535)")
        if len(held) == 1:
            client, _, share, rtt = held[0]
            return (f"  note: the receive window, {w} bytes, held back {client}'s sender {share:.0%} of the "
                    f"download's time: at most {w} bytes a round trip, {w * 8 / rtt * 1e3:.0f} kbit/s at its "
                    f"least round trip ({rtt / 1e3:.1f} ms), whatever the line's speed; {how}")
        n = len(self.apps.get("downloads", []))
        shown = ", ".join(f"{client} {share:.0%}" for client, _, share, _ in held[:SHOWN])
        return (f"  note: the receive window, {w} bytes, held back the senders of {len(held)} of {n} downloads "
                f"most of their time ({shown}{', ...' if len(held) > SHOWN else ''}): each at most {w} bytes "
                f"a round trip, whatever the line's speed; {how}")

    def write_pcap(self, path: str, links: str | None = None) -> int:
        """Write the run's hops to ``path`` as pcapng, one interface per link; ``links``: only
        those (``"uplink1"``, ``"if1,if2"``: as ``--pcap-link``).  Returns the frames written."""
        if not self.params.trace:
            raise ValueError("this run kept no trace (trace=False), so it has no packets to write: "
                             "run with trace=True")
        from .pcap import capture_label, pick_links, write_pcapng
        chosen = None
        if links is not None:
            chosen = pick_links(links, [(l.name, capture_label(l)) for l in self.net.links.values()])
            if isinstance(chosen, str):
                raise ValueError(chosen.replace("--pcap-link ", "links=", 1))
        return write_pcapng(self, path, chosen)

    # -- views: what a player asks of a run and of a kernel capture alike ----------------------

    is_capture = False      # a packet's bytes are put together from the record, its payload zeros
    records_nat = True      # the trace has the router's NAT events, which tie a hop to its arrival

    @property
    def download_stem(self) -> str:
        """The downloads' file name without its extension: the scenario, the seed and each
        parameter the header names that differs from the scenario's default
        (``scenarios.header_params``), each as its name and value joined by ``-``, so runs set up
        differently save under different names: ``equalize-nat-seed-3`` with the defaults,
        ``equalize-nat-seed-3-nat-netfilter`` with netfilter's NAT, ``...-no-equalize`` without
        equalize (a switch turned on: its name).  Characters a file name cannot hold become
        ``_``; a name too long for one is cut, with a checksum of all of it (``zlib.crc32``) to
        keep it apart."""
        from .scenarios import scenario_defaults
        return self._stem(scenario_defaults(self.scenario), self.scenario)

    def live_stem(self, preset: dict) -> str:
        """The downloads' name of a run made by a live player (the book page's panel,
        ``LivePlayer``) whose call gave ``preset`` (``sim.run``'s keywords): ``live``, the seed
        and what differs from the preset -- what the reader changed, not what the call set
        (chapter 9's panel, its size preset to 20000, named a run where only the seed changed
        ``...-size-20000``).  ``live`` keeps these names apart from the static replays' on the
        same page, which are named against the scenario's defaults: ``hash-l4-nat-live-seed-4``
        is never the name of another run than the panel's with seed 4."""
        from .scenarios import make_params
        return self._stem(make_params(self.scenario, **preset), f"{self.scenario}-live")

    def _stem(self, base, head: str) -> str:
        from .scenarios import fmt_value, header_params
        mine = dict(header_params(self.scenario, self.params, always=()))
        theirs = dict(header_params(self.scenario, base, always=()))
        words = []
        for n in dict.fromkeys([*mine, *theirs]):
            v = mine.get(n, fmt_value(getattr(self.params, n)))
            if n == "seed" or v == theirs.get(n, fmt_value(getattr(base, n))):
                continue
            words.append(n if v == "True" else f"no-{n}" if v == "False" else f"{n}-{v}")
        stem = "-".join([f"{head}-seed-{self.params.seed}"] + words)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)
        if len(safe) > STEM_MAX:
            # cut between two words (``...-remote-rfc``, not ``...-remote-rfc-ingress_``)
            cut = safe[:STEM_MAX - 9]
            if safe[len(cut)] != "-" and "-" in cut:
                cut = cut.rsplit("-", 1)[0]
            safe = f"{cut}-{zlib.crc32(stem.encode()):08x}"
        return safe

    def params_line(self) -> str:
        """The summary's header (``scenarios.header_params``): what the run was set up with."""
        from .scenarios import params_text
        return params_text(self.scenario, self.params)

    def packet_bytes(self, e) -> bytes:
        """The bytes of event ``e``'s packet (``sim.pcap.to_bytes``)."""
        from .pcap import to_bytes
        return to_bytes(e.pkt)

    def wire_len(self, e) -> int:
        """Event ``e``'s packet's length on the wire: all of ``packet_bytes(e)``."""
        return len(self.packet_bytes(e))

    def window_shift(self, e) -> int | None:
        """The window scale shift of event ``e``'s TCP segment: None for a SYN (never scaled),
        anything but TCP, or a run whose window fits 16 bits (no Window Scale option: the field
        is bytes); else the shift every end's SYN announced (``--rwnd`` above 65535)."""
        from .tcp import window_scale
        shift = window_scale(self.params.rwnd)
        pkt = e.pkt
        if not shift or pkt is None or type(pkt.l4) is not TCP or "S" in pkt.l4.flags:
            return None
        return shift

    def pcapng_bytes(self, indices=None) -> bytes:
        """The hops of trace ``indices`` (all by default) as a pcapng (``sim.pcap``)."""
        from .pcap import pcapng_bytes
        return pcapng_bytes(self, indices)

    # -- state at a step --------------------------------------------------------------------

    def state_at(self, i: int, node: str = "router") -> "RouterState":
        """The route cache, conntrack and counters of ``node`` just after event ``i``,
        rebuilt by folding the trace with ``sim.tables.Tables`` (no engine state is read).
        The fold is kept, so stepping forward costs only the events in between."""
        if not -len(self.events) <= i < len(self.events):
            raise IndexError(f"step {i} out of range: the trace has {len(self.events)} events")
        i %= len(self.events)
        folds = self.__dict__.setdefault("_folds", {})
        done, tables = folds.get(node, (-1, None))
        if tables is None or done > i:
            done, tables = -1, Tables()
        events = self.events
        if hasattr(events, "at_node"):          # the stored trace: only this node's records
            for j in events.at_node(node, done + 1, i + 1):
                tables.apply(events[j])
        else:
            for e in events[done + 1:i + 1]:
                if e.node == node:
                    tables.apply(e)
        folds[node] = (i, tables)
        return RouterState(t=self.events[i].t, routes=self.net[node].fib.show(tables.down),
                           cache={k: dict(v) for k, v in tables.cache.items()},
                           conntrack={k: dict(v) for k, v in tables.conntrack.items()},
                           in_hit=tables.in_hit, in_slow_tot=tables.in_slow_tot)


@dataclass
class RouterState:
    t: int
    routes: str
    cache: dict = field(default_factory=dict)
    conntrack: dict = field(default_factory=dict)
    in_hit: int = 0
    in_slow_tot: int = 0
