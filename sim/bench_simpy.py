"""The bench's download written the way SimPy is meant to be used (``python -m sim.bench``).

The same packets on the same devices as ``sim.bench_floor.download_bare``, in
SimPy's idiom: every device is a process that takes packets from its
``Store`` (its transmit queue) and holds each for its time on the wire; a
packet's trip along a link is a process of its own; the two hosts are
processes reading their inboxes, and a delayed ACK is a timer process.
It needs SimPy (the ``dev`` extra); nothing else in the project does.
"""
from __future__ import annotations

from .bench_floor import (ADSL_DELAY, CORE, DELACK, DOWN, HDR, LAN, MSS, QUICKACKS, REMOTE, REQUEST,
                          UP, WINDOW)


def download(size: int) -> tuple[int, int]:
    """Run the download of ``size`` bytes; returns (hop events, simulated end time in µs)."""
    import simpy

    env = simpy.Environment()
    hops = 0
    client_in, server_in = simpy.Store(env), simpy.Store(env)

    def device(queue, rate: int, delay: int, then) -> object:
        """A transmit queue: one packet at a time on the wire, then the link's delay."""
        while True:
            pkt = yield queue.get()
            yield env.timeout(pkt[0] * 8_000_000 // rate)
            env.process(wire(pkt, delay, then))

    def wire(pkt, delay: int, then) -> object:
        nonlocal hops
        yield env.timeout(delay)
        hops += 1
        then.put(pkt)

    def path(devices, last) -> simpy.Store:
        then = last
        for rate, delay in reversed(devices):
            queue = simpy.Store(env)
            env.process(device(queue, rate, delay, then))
            then = queue
        return then

    up = path([LAN, (UP, ADSL_DELAY), CORE, REMOTE], server_in)
    down = path([REMOTE, CORE, (DOWN, ADSL_DELAY), LAN], client_in)
    cl = {"rcv": 0, "acked": 0, "delack": False, "time_wait": False}

    def delayed_ack() -> object:
        yield env.timeout(DELACK)
        cl["delack"] = False
        if not cl["time_wait"] and cl["acked"] != cl["rcv"]:
            cl["acked"] = cl["rcv"]
            up.put((HDR, "ack", cl["rcv"]))

    def client() -> object:
        quick, done = QUICKACKS, False
        up.put((HDR, "syn", 0))
        while True:
            _, kind, val = yield client_in.get()
            if kind == "synack":
                up.put((HDR, "ack", 0))
                up.put((HDR + REQUEST, "req", 0))
            elif kind == "data":
                cl["rcv"] += val
                if quick:
                    quick -= 1
                    cl["acked"] = cl["rcv"]
                    up.put((HDR, "ack", cl["rcv"]))
                if cl["rcv"] >= size and not done:
                    done = True
                    cl["acked"] = cl["rcv"]
                    up.put((HDR, "fin", cl["rcv"]))
                if cl["acked"] != cl["rcv"]:
                    if cl["rcv"] - cl["acked"] >= 2 * MSS:
                        cl["acked"] = cl["rcv"]
                        up.put((HDR, "ack", cl["rcv"]))
                    elif not cl["delack"]:
                        cl["delack"] = True
                        env.process(delayed_ack())
            elif kind == "fin":
                cl["time_wait"] = True
                up.put((HDR, "ack", 0))

    def server() -> object:
        una = nxt = end = 0
        while True:
            _, kind, val = yield server_in.get()
            if kind == "syn":
                down.put((HDR, "synack", 0))
                continue
            if kind == "req":
                down.put((HDR, "ack", 0))
                end = size
            elif kind == "ack":
                una = max(una, val)
            elif kind == "fin":                 # close: our FIN carries the FIN's ACK
                down.put((HDR, "fin", 0))
                continue
            while nxt < end and nxt < una + WINDOW:
                n = min(MSS, end - nxt, una + WINDOW - nxt)
                nxt += n
                down.put((HDR + n, "data", n))

    env.process(client())
    env.process(server())
    env.run()                    # until only processes waiting on empty queues are left
    return hops, env.now
