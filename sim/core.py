"""The event core: a heap of (time, seq, callback), one seeded RNG, the trace.

Like SimPy's core, ties in time are broken by a sequence number, so the
order of events never depends on anything but the order they were
scheduled in.  Time is an integer number of microseconds, so it never
rounds differently between machines.

Some events are *daemons* (garbage-collection ticks, TIME_WAIT timers):
they run while other work remains but do not keep the simulation alive.
"""
from __future__ import annotations

import gc
import random
from heapq import heappop, heappush
from typing import Any, Callable

from .trace import Trace

US = 1
MS = 1_000
S = 1_000_000


class Sim:
    """One run: the clock, the event queue, the RNG and the trace."""

    def __init__(self, seed: int = 0, trace: bool = True, until: int | None = None):
        self.now = 0
        self.seed = seed
        self.rng = random.Random(seed)
        self.trace = Trace(self, keep=trace)
        self.until = until
        self.stopped = False    # stop(): the run ends after the event running now
        # the queue's entries: [time, seq, live, fn, args], ``live`` 1 for an event that keeps
        # the run going and 0 for a daemon; ``fn`` None once cancelled
        self._queue: list = []
        self._seq = 0
        self._live = 0          # scheduled events that are not daemons
        self.devices: list = []  # every network device (sim.link.Interface) made for this run

    def at(self, delay: int, fn: Callable, *args: Any, daemon: bool = False) -> list:
        """Run ``fn(*args)`` ``delay`` microseconds from now; returns a handle for ``cancel``."""
        self._seq = seq = self._seq + 1
        live = 0 if daemon else 1
        self._live += live
        ev = [self.now + delay, seq, live, fn, args]
        heappush(self._queue, ev)
        return ev

    def cancel(self, ev: list) -> None:
        if ev[3] is not None:
            ev[3] = None
            self._live -= ev[2]

    def stop(self) -> None:
        """End the run once the event running now returns (what is still queued never runs)."""
        self.stopped = True

    def run(self) -> None:
        # Python's cyclic garbage collector is off while the events run: it would walk the
        # growing trace again and again (a fifth of a run with the trace on), and the engine
        # leaves no reference cycles behind to collect.  Restored however the run ends.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._run()
            self.trace.events.flush()   # the last events still pending go into the stored trace
        finally:
            if collecting:
                gc.enable()

    def _run(self) -> None:
        # ``_live`` counts the live events still queued and not cancelled: while it is
        # positive the queue is not empty
        queue, until = self._queue, self.until
        if until is None:
            while self._live and not self.stopped:
                t, _, live, fn, args = heappop(queue)
                if fn is not None:
                    self._live -= live
                    self.now = t
                    fn(*args)
            return
        while self._live and not self.stopped:
            if queue[0][0] > until:
                break                     # left in the queue: a later run() resumes it
            t, _, live, fn, args = heappop(queue)
            if fn is not None:
                self._live -= live
                self.now = t
                fn(*args)
