"""The floor for ``sim.bench``: the same download, written by hand on a bare ``heapq``.

The bench's workload (scenario ``connection-level``: Local host 1 downloads
``size`` bytes from Remote host 1 through the router, one uplink, the
article's links) reduced to what decides its timing and nothing else: each
device's transmit queue (``start = max(busy, now)``, then ``size * 8e6 //
rate`` µs on the wire and the link's delay), the four hops each way, and the
part of the TCP that a loss-free download exercises -- handshake, the
100-byte request, a fixed 32-segment window, the receiver's 16 quick ACKs,
then an ACK every second segment or after 40 ms, and the FIN exchange.

No route cache, NAT, trace, retransmission timer or packet records: plain
tuples on one heap.  It is what a pure-Python event loop needs at least for
this download, so the engine's time per hop is judged against it.  It counts
the hops and ends at the engine's simulated time, to the microsecond -- the
bench checks that before it times anything (``check``).
"""
from __future__ import annotations

import heapq

MSS = 1460
HDR = 40                    # IP + TCP headers, bytes
WINDOW = 32 * MSS
REQUEST = 100
DELACK = 40_000             # µs
QUICKACKS = 16

# (bit/s, one-way delay µs) of each device a packet leaves by, from the article's network
LAN = (100_000_000, 100)
UP, DOWN, ADSL_DELAY = 512_000, 2_000_000, 10_000
CORE = (100_000_000, 5_000)
REMOTE = (100_000_000, 2_000)


def download(size: int) -> tuple[int, int]:
    """Run the download of ``size`` bytes; returns (hop events, simulated end time in µs)."""
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

    def send(path, nbytes: int, kind: str, val: int) -> None:
        nonlocal seq
        dev = path[0]
        start = dev[0] if dev[0] > now else now
        dev[0] = done = start + nbytes * 8_000_000 // dev[1]
        seq += 1
        push(q, (done + dev[2], seq, 0, path, nbytes, kind, val))

    def client_ack() -> None:
        cl["acked"] = cl["rcv"]
        send(up, HDR, "ack", cl["rcv"])

    def server_push() -> None:
        limit = sv["una"] + WINDOW
        while sv["nxt"] < sv["end"] and sv["nxt"] < limit:
            n = min(MSS, sv["end"] - sv["nxt"], limit - sv["nxt"])
            sv["nxt"] += n
            send(down, HDR + n, "data", n)

    def client_rx(kind: str, val: int) -> None:
        nonlocal seq
        if kind == "synack":
            send(up, HDR, "ack", 0)                 # the handshake's third segment
            send(up, HDR + REQUEST, "req", 0)       # the request, at once
        elif kind == "data":
            cl["rcv"] += val
            if cl["quick"] < 0:
                cl["quick"] = QUICKACKS
            if cl["quick"]:
                cl["quick"] -= 1
                client_ack()
            if cl["rcv"] >= size and not cl["done"]:
                cl["done"] = True
                cl["acked"] = cl["rcv"]
                send(up, HDR, "fin", cl["rcv"])     # the download is complete: close
            if cl["acked"] != cl["rcv"]:
                if cl["rcv"] - cl["acked"] >= 2 * MSS:
                    client_ack()
                elif not cl["delack"]:
                    cl["delack"] = True
                    seq += 1
                    push(q, (now + DELACK, seq, -1, None, 0, "delack", 0))
        elif kind == "fin":                         # the server's FIN: ACK it, TIME_WAIT
            cl["time_wait"] = True
            send(up, HDR, "ack", 0)
        # "ack" (of the request, of our FIN): nothing to send

    def server_rx(kind: str, val: int) -> None:
        if kind == "syn":
            send(down, HDR, "synack", 0)
        elif kind == "req":
            send(down, HDR, "ack", 0)               # quick ACK of the request, then the data
            sv["end"] = size
            server_push()
        elif kind == "ack":                         # the last one, of our FIN, ends it
            if val > sv["una"]:
                sv["una"] = val
                server_push()
        elif kind == "fin":
            sv["una"] = max(sv["una"], val)
            send(down, HDR, "ack", 0)               # ACK the FIN at once, then close: our FIN
            send(down, HDR, "fin", 0)

    send(up, HDR, "syn", 0)
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
