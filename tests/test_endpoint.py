"""``parse_endpoint``, the reverse of ``fmt_endpoint`` (the article's "(IP, port)"), which the
kernel lab's comparison and table read the simulator's and the kernel's summaries with."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.packet import fmt_endpoint, parse_endpoint

ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))


@given(ipv4, st.integers(0, 65535))
def test_round_trip(addr, port):
    assert parse_endpoint(fmt_endpoint(addr, port)) == (addr, port)


@pytest.mark.parametrize("text, parsed", [
    ("(100.0.0.1, 40000)", ("100.0.0.1", 40000)),
    ("(10.0.0.2, 0)", ("10.0.0.2", 0)),
    ("150.0.0.1", ("150.0.0.1", None)),          # an ICMP peer: an address, no port
])
def test_with_and_without_port(text, parsed):
    assert parse_endpoint(text) == parsed


@pytest.mark.parametrize("text", ["", "()", "(1.2.3.4)", "(1.2.3.4, )", "(, 80)", "(1.2.3.4,80)",
                                  "(1.2.3.4, x)", "(1.2.3.4, ٣)", "(1.2.3.4, 80", "1.2.3.4, 80",
                                  "1.2.3.4 id 7", "(1.2.3.4 id 7, 80)"])
def test_anything_else_is_named(text):
    with pytest.raises(ValueError) as e:
        parse_endpoint(text)
    assert repr(text) in str(e.value)


def test_the_kernel_views_read_endpoints_with_it():
    """The comparison's summary view: the server saw addresses, whatever the ports."""
    from sim.kernel.compare import _flows_view, _summary_view
    s = {"echo": [{"echoed": 3, "seen_by_server_as": ["(100.0.0.1, 40000)", "(150.0.0.1, 40001)",
                                                       "(100.0.0.1, 40002)"],
                   "complete": True, "reset": False, "error": None, "seconds": 0.1, "messages": 3}]}
    assert _summary_view(s, None)["server_saw"] == ["100.0.0.1", "150.0.0.1"]
    ob = {"flows": [{"uplinks_used": ["if1"], "one_uplink": True, "foreign_source": [], "uplinks": ["if1"],
                     "remote_saw": ["(100.0.0.1, 40000)", "150.0.0.1"]}], "drops": [], "resets": []}
    assert _flows_view(ob, False)["remote saw"] == ["100.0.0.1", "150.0.0.1"]
