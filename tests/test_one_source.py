"""What is written once and used in two places stays one: the network's defaults (the
simulator's parameters start from them) and section 3b's table cells (the simulator's rows
and the kernel lab's are filled in by the same code)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sim.kernel.table import cells
from sim.scenarios import Params
from sim.tcp import DEFAULT_TCP_PROFILE, TCP_PROFILES
from sim.topology import NetworkSpec

KERNEL_DATA = Path(__file__).resolve().parent.parent / "book" / "data" / "kernel"
CELLS = ("outcome", "tcp", "ping", "remote_saw")


def test_the_default_parameters_build_the_default_network():
    assert Params().spec() == NetworkSpec()
    assert DEFAULT_TCP_PROFILE in TCP_PROFILES and Params().tcp == DEFAULT_TCP_PROFILE


@pytest.mark.parametrize("uplinks", [2, 3])
def test_the_recorded_kernel_table_is_what_the_shared_cells_make_of_its_measurements(uplinks):
    """The lab recorded rows with their cells; recomputed from the measurements alone, the
    cells come out the same (the kernel's "slow": got through only by retransmitting)."""
    rows = json.loads((KERNEL_DATA / f"table-{uplinks}.json").read_text())
    bare = [{k: v for k, v in r.items() if k not in CELLS} for r in rows]
    filled = cells(copy.deepcopy(bare))
    assert [{k: r[k] for k in CELLS} for r in filled] == [{k: r[k] for k in CELLS} for r in rows]
    assert any("dropped by" in r["remote_saw"] for r in filled)      # the drop words are used
