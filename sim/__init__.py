"""1 + 1 < 1: a small simulator of Linux multipath routing, the 2.4 route cache,
equalize, NAT and TCP -- the network of the article "About dual-connection
server load balancer".

    >>> import sim
    >>> r = sim.run("equalize-nat", seed=1)
    >>> print(r.text())

``import sim`` loads no display library; ``sim.pcap`` imports scapy lazily.
"""
#: The package's version (pyproject.toml reads it here; ``python -m sim --version`` says it).
__version__ = "0.1.0"

try:
    from .scenarios import SCENARIOS, ParamError, Params, make_params, run
    from .result import Result
except KeyboardInterrupt:           # Ctrl-C while `python -m sim ...` starts: no traceback
    from ._start import exit_if_starting
    exit_if_starting()
    raise

__all__ = ["__version__", "run", "SCENARIOS", "Params", "ParamError", "make_params", "Result"]
