"""Multipath policies, one file each: how a router picks the nexthop of a multipath route.

Each module here defines one or more ``@register``-ed subclasses of ``Policy``
(``base.py``): the policy's name, whether the route cache sits in front of it,
whether it balances per packet, its state and its ``select``.  This package
imports every module in it, so adding a policy is adding a file here (and its
tests): the CLI, ``Params``, the network and the live player read ``REGISTRY``.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import REGISTRY, Policy, register

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m != "base":
        importlib.import_module(f"{__name__}.{_m}")

#: the policies' names, in the order a reader sees them
POLICIES: tuple[str, ...] = tuple(sorted(REGISTRY, key=lambda n: (REGISTRY[n].rank, n)))
#: those with the 2.4 route cache in front (equalize needs one)
CACHED_POLICIES: tuple[str, ...] = tuple(n for n in POLICIES if REGISTRY[n].cached)

__all__ = ["Policy", "register", "REGISTRY", "POLICIES", "CACHED_POLICIES"]
