"""What the command lines share (``python -m sim``, ``python -m sim.kernel``, ``python -m sim.bench``).

Bad input gets one line naming the bad value and what is allowed, exit status 2:
``OneLineParser`` prints argparse's own errors that way (no usage block), and the
converters below are argparse ``type``s whose errors quote the value as written.
"""
from __future__ import annotations

import argparse
import functools
import re
import sys


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: ``PROG: error: MESSAGE``, exit 2.

    ``label`` is the word before the message (``"error: "``; ``""`` for a CLI whose every
    message is ``PROG: MESSAGE``); its sub-command parsers get the same label unless given a
    ``parser_class``.  ``rewrite`` maps argparse's own words to the CLI's (say, "the
    following arguments are required: command" to a list of the commands)."""

    def __init__(self, *args, label: str = "error: ", rewrite: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.label, self.rewrite = label, dict(rewrite or {})

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", functools.partial(OneLineParser, label=self.label))
        return super().add_subparsers(**kwargs)

    def error(self, message: str):
        for words, ours in self.rewrite.items():
            message = message.replace(words, ours)
        if message.startswith("unrecognized arguments:"):       # say where the options are listed
            message += f" ({self.prog}{' COMMAND' if self._subparsers is not None else ''} --help lists them)"
        self.exit(2, f"{self.prog}: {self.label}{message}\n")


def fail(prog: str, message: str, code: int = 2) -> int:
    """Print ``PROG: error: MESSAGE`` on standard error; return ``code`` (the exit status)."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return code


def checked(parse, ok, wants: str, bad: str | None = None):
    """An argparse ``type``: ``parse(text)``, kept when ``ok(value)``.  Otherwise the error
    ``wants`` (``bad`` when ``parse`` raises ValueError), formatted with ``got``, the text as
    written (quoted), and ``value``, what ``parse`` made of it."""
    def conv(text: str):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError((bad or wants).format(got=repr(text), value=None)) from None
        if not ok(value):
            raise argparse.ArgumentTypeError(wants.format(got=repr(text), value=value))
        return value
    return conv


def _int(text: str) -> int:
    """An integer written in ASCII digits (Python's int() also reads other scripts' digits,
    '３' or '٣', which nobody means on a command line)."""
    if not re.fullmatch(r"\s*[+-]?[0-9]+(_[0-9]+)*\s*", text):
        raise ValueError(text)
    return int(text, 10)


def any_int(name: str):
    """An integer whose bounds depend on other options (the simulator checks them)."""
    return checked(_int, lambda v: True, f"{name} must be an integer, got {{got}}")


def int_in(name: str, lo: int, hi: int):
    """An integer in ``lo..hi``."""
    return checked(_int, lambda v: lo <= v <= hi, f"{name} must be an integer {lo}..{hi}, got {{got}}")


def seconds_in(name: str, lo: float, hi: float):
    """A number of seconds in ``lo..hi`` (not NaN)."""
    return checked(float, lambda v: lo <= v <= hi, f"{name} must be seconds in {lo}..{hi}, got {{got}}")


# a finite time in seconds >= 0 (argparse names the option before the message)
a_time = checked(float, lambda v: 0 <= v < float("inf"), "wants a time in seconds >= 0 like 1.5, got {got}")


def csv_of(parse, wants: str):
    """Comma-separated values, each ``parse``d; ``wants`` says what is allowed (``{got}``: the text)."""
    return checked(lambda s: [parse(x) for x in s.split(",")], lambda v: True, wants)
