"""NAT models, one file each: how the router's masquerade on its uplinks binds, picks
ports and forgets.

Each module here defines one ``@register``-ed subclass of ``NatModel`` (``base.py``):
the model's name, its help line, and its behaviours -- a binding per packet or per
connection, the port choice, the ICMP entry's lifetime, what a change of egress device
and a device going down do, which first TCP segments conntrack calls INVALID.  This
package imports every module in it, so adding a model is adding a file here (and its
tests): the CLI, ``Params``, the network, the router and the live player read
``REGISTRY``.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import REGISTRY, NatModel, register

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m != "base":
        importlib.import_module(f"{__name__}.{_m}")


def names() -> tuple[str, ...]:
    """The registered models' names, in the order a reader sees them (by ``rank``)."""
    return tuple(sorted(REGISTRY, key=lambda n: (REGISTRY[n].rank, n)))


#: the models' names, in the order a reader sees them (``names()`` as this package loaded)
NAT_MODELS: tuple[str, ...] = names()


def translates(name: str) -> bool:
    """Does the model ``name`` translate at all (``none``: public LAN addresses)?"""
    return REGISTRY[name].translates


__all__ = ["NatModel", "register", "REGISTRY", "NAT_MODELS", "names", "translates"]
