"""Views of a run: diagrams, packet panes, narration and replay players.

    >>> import sim
    >>> from sim.view import Player
    >>> Player(sim.run("equalize-nat", seed=1), stop=200)     # in Jupyter: an interactive replay

Everything here reads a ``sim.Result`` (its trace and the network's static
configuration) and never the engine's live state.  A *step* is a trace
index, as in the pcapng comments.  Diagrams need graphviz's ``dot``
program; ``LivePlayer`` needs ipywidgets 8 (imported only when used).

=================  ==========================================================
``topology_svg``   the network, the packet of a step highlighted, uplink counts
``state_svg``      routing table, route cache, conntrack/NAT, providers' filters
``ladder_svg``     the exchange as a time-sequence diagram, a step marked
``packet_pane``    scapy's dissection and a hexdump with the changed bytes
``narrate``        one sentence: what happened and why
``Player``         static HTML replay (no kernel, no network)
``Compare``        two runs stepping together, divergent steps flagged
``LivePlayer``     ipywidgets player that re-runs the scenario with new parameters
=================  ==========================================================
"""
from ._dot import GraphvizMissing
from .ladder import ladder_svg
from .narration import narrate
from .player import Compare, Player
from .pktpane import packet_pane
from .state import state_svg
from .topology import topology_svg

__all__ = ["Player", "Compare", "LivePlayer", "topology_svg", "state_svg", "ladder_svg",
           "packet_pane", "narrate", "GraphvizMissing"]


def __getattr__(name):
    if name == "LivePlayer":            # ipywidgets is imported only by those who use it
        from .live import LivePlayer
        return LivePlayer
    raise AttributeError(f"module 'sim.view' has no attribute {name!r}")
