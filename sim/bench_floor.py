"""The floors for ``sim.bench``: the bench's download written by hand on a bare ``heapq``.

The bench's workload (scenario ``connection-level``: Local host 1 downloads
``size`` bytes from Remote host 1 through the router, the article's links)
written twice, as tightly as plain Python allows:

``download`` -- *the floor*: a hand-written model of the same download
through the same network.  It does to every packet what the network does to
it, and nothing a reader looks at afterwards:

* packets are records with their headers (addresses, ports, sequence and
  acknowledgement numbers, flags, length, TTL), rewritten in place;
* every device has a drop-tail transmit queue (a router's 64 packets, a host's
  1000: ``Host.tx_queue_len``) and puts a packet on the wire at its rate
  (``start = max(busy, now)``, then ``size * 8e6 // rate`` µs) and the link's
  delay;
* every router checks and decrements the TTL and looks the route up by
  longest prefix in its table; the Linux router first asks its route cache
  (keyed as ``ip_route_input`` keys it: destination, source, TOS, input
  device), and on a miss looks up its table and picks one of the default
  route's two nexthops at random;
* the Linux router masquerades: its connection tracking finds the
  connection of each packet (or makes one for a new one), rewrites the
  source of what leaves by an uplink and the destination of the replies;
* the hosts find the socket of each segment by its addresses and ports; the
  TCP checks sequence and acknowledgement numbers, sends a 32-segment window,
  acknowledges as Linux does (16 quick ACKs, then every second segment or
  after 40 ms), keeps its retransmission deadline up to date (one timer,
  pushed back as ACKs come, as ``mod_timer`` does), and closes with FINs.

What the engine does and this does not: events and drop reasons counted by
kind, per-device packet and byte counters, conntrack and route-cache
timeouts and garbage collection, explanations of choices, the trace, any
event or state a reader can inspect, and the generality of a simulator (any
topology, scenario, TCP profile, NAT model or multipath policy).

``download_bare`` -- the timing alone: the same packets' times on the same
devices, as tuples on the heap, with no headers, routing, NAT or sockets;
the cost of the event loop itself for this download.

Both count the hops and end at the engine's simulated time, to the
microsecond -- the bench checks that before it times anything (``check``).
"""
from __future__ import annotations

import heapq
import random
from collections import deque

MSS = 1460
HDR = 40                    # IP + TCP headers, bytes
WINDOW = 32 * MSS
REQUEST = 100
DELACK = 40_000             # µs
QUICKACKS = 16
RTO = 1_000_000             # µs: the retransmission timeout's floor (never reached here)
QLEN = 64                   # packets a router's device holds waiting
HOST_QLEN = 1000            # ... and a host's (sim.host.DEFAULT_TX_QUEUE_LEN)
TTL = 64

# (bit/s, one-way delay µs) of each device a packet leaves by, from the article's network
LAN = (100_000_000, 100)
UP, DOWN, ADSL_DELAY = 512_000, 2_000_000, 10_000
CORE = (100_000_000, 5_000)
REMOTE = (100_000_000, 2_000)


def _ip(dotted: str) -> int:
    a, b, c, d = (int(x) for x in dotted.split("."))
    return a << 24 | b << 16 | c << 8 | d


LOCAL1, ROUTER_LAN, REMOTE1 = _ip("192.168.0.1"), _ip("192.168.0.254"), _ip("200.0.0.1")
UPLINK_ADDR = {1: _ip("100.0.0.1"), 2: _ip("150.0.0.1")}
CLIENT_PORT, SERVER_PORT = 40000, 80

# a packet: a list, rewritten in place as it goes (a kernel rewrites its sk_buff)
SRC, DST, SPORT, DPORT, SEQ, ACK, FLAGS, LEN, TTL_ = range(9)
F_FIN, F_SYN, F_ACK = 1, 2, 16


def _ack_clock(cl: dict, length: int, size: int, ack, fin, delack) -> None:
    """The receiver takes ``length`` new bytes in order and acknowledges as Linux does: its
    first 16 segments at once (quick ACKs), then every second full segment, else after 40 ms
    (``delack()`` arms the timer); ``fin()`` once it has all ``size`` bytes."""
    cl["rcv"] += length
    if cl["quick"] < 0:
        cl["quick"] = QUICKACKS
    if cl["quick"]:
        cl["quick"] -= 1
        ack()
    if cl["rcv"] >= size and not cl["done"]:
        cl["done"] = True
        cl["acked"] = cl["rcv"]
        fin()                                           # the download is complete: close
    if cl["acked"] != cl["rcv"]:
        if cl["rcv"] - cl["acked"] >= 2 * MSS:
            ack()
        elif not cl["delack"]:
            cl["delack"] = True
            delack()


def download(size: int, seed: int = 1, state: dict | None = None) -> tuple[int, int]:
    """Run the download of ``size`` bytes; returns (hop events, simulated end time in µs).
    ``state``, if given, receives the router's route cache and conntrack, the server's
    view of its peer and the bytes each end counted, once the run is over (for tests)."""
    q: list = []
    push, pop = heapq.heappush, heapq.heappop
    rng = random.Random(seed)
    clock = [0, 0]          # now, the heap's tie-breaking sequence

    class Dev:
        """A device: its transmit queue and the link to the device at the other end."""
        __slots__ = ("rate", "delay", "qlen", "busy", "backlog", "rx", "peer")

        def __init__(self, rate: int, delay: int, qlen: int = QLEN):
            self.rate, self.delay, self.qlen, self.busy, self.backlog = rate, delay, qlen, 0, deque()
            self.rx = self.peer = None      # the receiving node's function, and its device

        def xmit(self, pkt: list) -> None:
            now = clock[0]
            backlog = self.backlog
            while backlog and backlog[0] <= now:
                backlog.popleft()
            if len(backlog) >= self.qlen:
                return                                  # queue full: dropped
            start = self.busy if self.busy > now else now
            self.busy = done = start + (HDR + pkt[LEN]) * 8_000_000 // self.rate
            backlog.append(done)
            clock[1] += 1
            push(q, (done + self.delay, clock[1], self, pkt))

    def wire(a: Dev, rx_a, b: Dev, rx_b) -> None:
        a.rx, a.peer, b.rx, b.peer = rx_b, b, rx_a, a

    def table(*routes) -> list:
        """A routing table, longest prefix first: [(mask, {network: device})]."""
        by_len: dict[int, dict] = {}
        for prefix, dev in routes:
            net, plen = prefix.split("/")
            mask = (0xFFFFFFFF << (32 - int(plen))) & 0xFFFFFFFF
            by_len.setdefault(mask, {})[_ip(net) & mask] = dev
        return sorted(by_len.items(), reverse=True)

    def lookup(fib: list, dst: int):
        for mask, nets in fib:
            dev = nets.get(dst & mask)
            if dev is not None:
                return dev
        return None

    # -- the network: local1 - router - provider1|provider2 - internet - remote1 -------------
    host_dev, lan = Dev(*LAN, HOST_QLEN), Dev(*LAN)
    up = {k: Dev(UP, ADSL_DELAY) for k in (1, 2)}                    # router ifK
    cust = {k: Dev(DOWN, ADSL_DELAY) for k in (1, 2)}                # provider K's cust
    p_core = {k: Dev(*CORE) for k in (1, 2)}                         # provider K's core
    core_p = {k: Dev(*CORE) for k in (1, 2)}                         # internet's pK
    core_remote, remote_dev = Dev(*REMOTE), Dev(*REMOTE, HOST_QLEN)

    router_fib = table(("192.168.0.0/24", lan), ("100.0.0.0/24", up[1]), ("150.0.0.0/24", up[2]),
                       ("0.0.0.0/0", "multipath"))
    nexthops = [up[1], up[2]]
    route_cache: dict = {}
    conntrack: dict = {}    # a tuple (src, sport, dst, dport) of either direction -> its binding
    masq = {up[k]: UPLINK_ADDR[k] for k in (1, 2)}
    router_addrs = frozenset((ROUTER_LAN, *UPLINK_ADDR.values()))
    next_port = [CLIENT_PORT]

    def router_rx(pkt: list, iif: Dev) -> None:
        ct = conntrack.get((pkt[SRC], pkt[SPORT], pkt[DST], pkt[DPORT]))
        if ct is not None and ct[0]:                    # PREROUTING: a reply, de-masqueraded
            pkt[DST], pkt[DPORT] = ct[1], ct[2]
        if pkt[DST] in router_addrs or pkt[TTL_] <= 1:
            return                                      # for the router itself / TTL exceeded
        key = (pkt[DST], pkt[SRC], 0, iif)
        dev = route_cache.get(key)
        if dev is None:                                 # ip_route_input_slow()
            dev = lookup(router_fib, pkt[DST])
            if dev is None:
                return
            if dev == "multipath":
                dev = rng.choice(nexthops)
            route_cache[key] = dev
        pkt[TTL_] -= 1
        if dev in masq:                                 # POSTROUTING: masquerade
            if ct is None:                              # a new connection: bind it
                addr, port = masq[dev], next_port[0]
                next_port[0] += 1
                ct = conntrack[(pkt[SRC], pkt[SPORT], pkt[DST], pkt[DPORT])] = (False, addr, port)
                conntrack[(pkt[DST], pkt[DPORT], addr, port)] = (True, pkt[SRC], pkt[SPORT])
            pkt[SRC], pkt[SPORT] = ct[1], ct[2]
        dev.xmit(pkt)

    def plain_router(fib: list):
        def rx(pkt: list, iif: Dev) -> None:
            if pkt[TTL_] <= 1:
                return
            dev = lookup(fib, pkt[DST])
            if dev is not None:
                pkt[TTL_] -= 1
                dev.xmit(pkt)
        return rx

    providers = {k: plain_router(table(("100.0.0.0/24" if k == 1 else "150.0.0.0/24", cust[k]),
                                       ("0.0.0.0/0", p_core[k])))
                 for k in (1, 2)}
    internet = plain_router(table(("100.0.0.0/24", core_p[1]), ("150.0.0.0/24", core_p[2]),
                                  ("200.0.0.0/24", core_remote)))

    # -- the two TCPs ------------------------------------------------------------------------
    cl = {"rcv": 0, "acked": 0, "quick": -1, "delack": False, "done": False, "time_wait": False}
    sv = {"una": 0, "nxt": 0, "end": 0, "rto_at": None, "peer": (0, 0)}

    def client_send(flags: int, length: int = 0) -> None:
        host_dev.xmit([LOCAL1, REMOTE1, CLIENT_PORT, SERVER_PORT, 0, cl["rcv"], flags, length, TTL])

    def server_send(flags: int, seq: int = 0, length: int = 0) -> None:
        addr, port = sv["peer"]
        remote_dev.xmit([REMOTE1, addr, SERVER_PORT, port, seq, 0, flags, length, TTL])

    def client_ack() -> None:
        cl["acked"] = cl["rcv"]
        client_send(F_ACK)

    def timer(at: int, fn) -> None:
        clock[1] += 1
        push(q, (at, clock[1], None, fn))

    def rto_fire(t: int) -> None:
        """The retransmission timer: one heap entry, its deadline pushed back as ACKs come
        (``mod_timer``); an entry whose deadline moved is pushed again, one whose timer
        was stopped is dropped, neither moves the clock."""
        if sv["rto_at"] is None:
            return
        if sv["rto_at"] > t:
            timer(sv["rto_at"], rto_fire)
            return
        clock[0] = t                                    # it expired: go back to the first
        sv["nxt"], sv["rto_at"] = sv["una"], None       # unacknowledged byte (never, here)
        server_push()

    def server_push() -> None:
        limit = sv["una"] + WINDOW
        while sv["nxt"] < sv["end"] and sv["nxt"] < limit:
            n = min(MSS, sv["end"] - sv["nxt"], limit - sv["nxt"])
            server_send(F_ACK, sv["nxt"], n)
            sv["nxt"] += n
        if sv["rto_at"] is None and sv["nxt"] > sv["una"]:
            sv["rto_at"] = clock[0] + RTO
            timer(sv["rto_at"], rto_fire)

    def client_fin() -> None:
        client_send(F_FIN | F_ACK)

    def arm_delack() -> None:
        timer(clock[0] + DELACK, delack_fire)

    def delack_fire(t: int) -> None:
        clock[0] = t
        cl["delack"] = False
        if not cl["time_wait"] and cl["acked"] != cl["rcv"]:
            client_ack()

    def client_rx(pkt: list, iif: Dev) -> None:
        if sockets.get((pkt[DST], pkt[DPORT], pkt[SRC], pkt[SPORT])) is not client_rx:
            return                                      # no socket: (a reset, never here)
        flags, length = pkt[FLAGS], pkt[LEN]
        if flags & F_SYN:
            client_send(F_ACK)                          # the handshake's third segment
            client_send(F_ACK, REQUEST)                 # the request, at once
        elif length:
            if pkt[SEQ] != cl["rcv"]:
                client_ack()                            # out of order: a duplicate ACK
                return
            _ack_clock(cl, length, size, client_ack, client_fin, arm_delack)
        elif flags & F_FIN:                             # the server's FIN: ACK it, TIME_WAIT
            cl["time_wait"] = True
            client_send(F_ACK)
        # a bare ACK (of the request, of our FIN): nothing to send

    def server_rx(pkt: list, iif: Dev) -> None:
        key = (pkt[DST], pkt[DPORT], pkt[SRC], pkt[SPORT])
        if key not in sockets:
            if not (pkt[FLAGS] & F_SYN and pkt[DPORT] == SERVER_PORT):
                return                                  # no socket: (a reset, never here)
            sockets[key] = server_rx                    # the listener's new connection
            sv["peer"] = (pkt[SRC], pkt[SPORT])
        flags, length, ack = pkt[FLAGS], pkt[LEN], pkt[ACK]
        if flags & F_SYN:
            server_send(F_SYN | F_ACK)
        elif length:                                    # the request
            server_send(F_ACK)                          # quick ACK of the request, then the data
            sv["end"] = size
            server_push()
        elif flags & F_FIN:
            sv["una"] = max(sv["una"], ack)
            sv["rto_at"] = None
            server_send(F_FIN | F_ACK)                  # close: our FIN carries the FIN's ACK
            # (tcp_fin() enters ping-pong mode: the ACK waits for, and rides on, the answer)
        elif ack > sv["una"]:                           # the last one, of our FIN, ends it
            sv["una"] = ack
            sv["rto_at"] = None if sv["una"] >= sv["nxt"] else clock[0] + RTO
            server_push()

    sockets: dict = {(LOCAL1, CLIENT_PORT, REMOTE1, SERVER_PORT): client_rx}

    wire(host_dev, client_rx, lan, router_rx)
    for k in (1, 2):
        wire(up[k], router_rx, cust[k], providers[k])
        wire(p_core[k], providers[k], core_p[k], internet)
    wire(core_remote, internet, remote_dev, server_rx)

    hops = 0
    client_send(F_SYN)
    while q:
        t, _, dev, pkt = pop(q)
        if dev is None:                                 # a timer: pkt is its function
            pkt(t)
            continue
        clock[0] = t
        hops += 1
        dev.rx(pkt, dev.peer)
    if state is not None:
        state.update(route_cache=route_cache, conntrack=conntrack, peer=sv["peer"],
                     received=cl["rcv"], acked=sv["una"], rto_at=sv["rto_at"])
    return hops, clock[0]


def download_bare(size: int) -> tuple[int, int]:
    """The same download's timing alone; returns (hop events, simulated end time in µs)."""
    # a device: [busy_until, bit/s, delay]; a path: the devices a packet leaves by, in order
    up = ([0, LAN[0], LAN[1]], [0, UP, ADSL_DELAY], [0, CORE[0], CORE[1]], [0, REMOTE[0], REMOTE[1]])
    down = ([0, REMOTE[0], REMOTE[1]], [0, CORE[0], CORE[1]], [0, DOWN, ADSL_DELAY], [0, LAN[0], LAN[1]])
    last = len(up) - 1
    q: list = []
    push, pop = heapq.heappush, heapq.heappop
    now = 0
    seq = 0
    hops = 0

    # receiver (the client): bytes received, acknowledged, quick ACKs left, delayed ACK pending
    cl = {"rcv": 0, "acked": 0, "quick": -1, "delack": False, "done": False, "time_wait": False}
    # sender (the server): data acknowledged, sent, queued
    sv = {"una": 0, "nxt": 0, "end": 0}

    def xmit(path, nbytes: int, kind: str, val: int) -> None:
        nonlocal seq
        dev = path[0]
        start = dev[0] if dev[0] > now else now
        dev[0] = done = start + nbytes * 8_000_000 // dev[1]
        seq += 1
        push(q, (done + dev[2], seq, 0, path, nbytes, kind, val))

    def client_ack() -> None:
        cl["acked"] = cl["rcv"]
        xmit(up, HDR, "ack", cl["rcv"])

    def server_push() -> None:
        limit = sv["una"] + WINDOW
        while sv["nxt"] < sv["end"] and sv["nxt"] < limit:
            n = min(MSS, sv["end"] - sv["nxt"], limit - sv["nxt"])
            sv["nxt"] += n
            xmit(down, HDR + n, "data", n)

    def client_fin() -> None:
        xmit(up, HDR, "fin", cl["rcv"])

    def delack() -> None:
        nonlocal seq
        seq += 1
        push(q, (now + DELACK, seq, -1, None, 0, "delack", 0))

    def client_rx(kind: str, val: int) -> None:
        if kind == "synack":
            xmit(up, HDR, "ack", 0)                 # the handshake's third segment
            xmit(up, HDR + REQUEST, "req", 0)       # the request, at once
        elif kind == "data":
            _ack_clock(cl, val, size, client_ack, client_fin, delack)
        elif kind == "fin":                         # the server's FIN: ACK it, TIME_WAIT
            cl["time_wait"] = True
            xmit(up, HDR, "ack", 0)
        # "ack" (of the request, of our FIN): nothing to send

    def server_rx(kind: str, val: int) -> None:
        if kind == "syn":
            xmit(down, HDR, "synack", 0)
        elif kind == "req":
            xmit(down, HDR, "ack", 0)               # quick ACK of the request, then the data
            sv["end"] = size
            server_push()
        elif kind == "ack":                         # the last one, of our FIN, ends it
            if val > sv["una"]:
                sv["una"] = val
                server_push()
        elif kind == "fin":
            sv["una"] = max(sv["una"], val)
            xmit(down, HDR, "fin", 0)               # close: our FIN carries the FIN's ACK

    xmit(up, HDR, "syn", 0)
    while q:
        now, _, k, path, nbytes, kind, val = pop(q)
        if k < 0:                                   # the client's delayed-ACK timer
            cl["delack"] = False
            if not cl["time_wait"] and cl["acked"] != cl["rcv"]:
                client_ack()
            continue
        hops += 1
        if k < last:                                # forwarded at once by the next device
            k += 1
            dev = path[k]
            start = dev[0] if dev[0] > now else now
            dev[0] = done = start + nbytes * 8_000_000 // dev[1]
            seq += 1
            push(q, (done + dev[2], seq, k, path, nbytes, kind, val))
        elif path is up:
            server_rx(kind, val)
        else:
            client_rx(kind, val)
    return hops, now
