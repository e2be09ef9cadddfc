"""Claims of the chapters' prose that the kernel sources or the simulator settle: each test
pins the claim in the chapter's source and, where the simulator can, checks it there."""
import re
from pathlib import Path

import sim

BOOK = Path(__file__).resolve().parent.parent / "book"


def chapter(name: str) -> str:
    """A chapter's source with its line breaks folded, so a phrase can be looked for whole."""
    return " ".join((BOOK / name).read_text().split())


def test_ch8_says_a_download_behind_2_4_nat_comes_back_over_one_line():
    # the server knows the binding's address alone: under equalize + 2.4 NAT every downloaded
    # packet comes back by that address's uplink, and the download runs at one line's speed
    for seed in (1, 2, 3):
        r = sim.run("equalize-nat", nat="netfilter", seed=seed, size=50_000, trace=False)
        down = [u["down_packets"] for u in r.summary["uplinks"].values()]
        assert sorted(down)[0] == 0 and sorted(down)[1] > 0, (seed, down)
        assert all(u["up_packets"] > 0 for u in r.summary["uplinks"].values())
    text = chapter("08-real-kernels.md")
    for name in ("c8_down_nf", "c8_down_one", "c8_down_pub", "c8_down_split"):
        assert "{glue:md}`%s`" % name in text, name          # the result is computed, not typed
    assert "1 + 1 = 1" in text
    # the patch's documentation describes no NAT: the text must not say NAT was its purpose
    assert "how equalize was meant to be used behind NAT" not in text
    assert "load-balancing.txt" in text
