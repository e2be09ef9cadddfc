"""What the optional, interactive parts of the package need, and one line saying how to
get it when it is missing.

The names here follow ``pyproject.toml``, the one declaration of the dependencies
(``tests/test_install.py`` checks that they agree): the package is ``DIST``; its extra
``LIVE`` is what a kernel needs to run every chapter and widget.
"""
from __future__ import annotations

import html
import importlib

DIST = "one-plus-one-lt-one"
LIVE = "live"
IPYWIDGETS = "ipywidgets>=8"          # as in pyproject.toml's extra `live`


def live_install_line(where: str = "/path/to/the/repository") -> str:
    """The pip command that installs the simulator with everything the chapters need."""
    return f'pip install "{where}[{LIVE}]"'


class MissingDependency(ModuleNotFoundError):
    """An optional module is missing.  IPython shows ``_render_traceback_``'s one line
    instead of a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def missing_message(what: str, module: str, spec: str) -> str:
    return (f"{what} needs {module}, which this Python does not have: pip install \"{spec}\" "
            f"(or everything the book's notebooks need: {live_install_line()}), then restart the kernel")


class Unavailable:
    """Stands in for a widget whose library is missing: a notebook shows the one line that
    says what to install; using it any further raises ``MissingDependency`` with that line."""

    def __init__(self, message: str):
        self._message = message

    def __repr__(self) -> str:
        return self._message

    def _repr_html_(self) -> str:
        return f'<p class="op1-missing" role="note">{html.escape(self._message)}</p>'

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        raise MissingDependency(self._message)


def widgets_or_none():
    """``ipywidgets``, or None when it is not installed."""
    try:
        return importlib.import_module("ipywidgets")
    except ModuleNotFoundError as e:
        if e.name != "ipywidgets":
            raise
        return None
