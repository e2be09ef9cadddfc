"""``sim.tcp._unwrap``: a 32-bit sequence number read as the absolute one nearest the
connection's own (``rcv_nxt`` or ``snd_una``), across the 4 GB wrap in both directions."""
from __future__ import annotations

import random

from sim.tcp import TcpConn, _unwrap

HALF, SPACE = 1 << 31, 1 << 32


def test_nearest_with_the_same_low_32_bits():
    rng = random.Random(7)
    nears = [0, 1, HALF - 1, HALF, HALF + 1, SPACE - 1, SPACE, SPACE + 1, 5 * SPACE + 3]
    nears += [rng.randrange(1 << 40) for _ in range(300)]
    for near in nears:
        offsets = [-HALF + 1, -1, 0, 1, HALF - 1] + [rng.randrange(-HALF + 1, HALF) for _ in range(30)]
        for off in offsets:
            if near + off < 0:
                continue
            got = _unwrap((near + off) & 0xFFFFFFFF, near)
            assert got & 0xFFFFFFFF == (near + off) & 0xFFFFFFFF
            assert got == near + off, (near, off, got)
        # exactly half the space away: either reading is as near; the answer is one of them
        assert _unwrap((near + HALF) & 0xFFFFFFFF, near) in (near + HALF, near - HALF)


def test_wraps_both_ways():
    assert _unwrap(5, SPACE - 10) == SPACE + 5                 # the peer's seq wrapped past 2**32
    assert _unwrap(SPACE - 5, SPACE + 10) == SPACE - 5         # an old segment from before it
    assert TcpConn._unwrap(5, SPACE - 10) == SPACE + 5         # as sim.mptcp calls it
