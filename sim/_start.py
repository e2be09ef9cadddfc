"""Ctrl-C while a command line of the simulator starts (``python -m sim``, ``sim.kernel``,
``sim.bench`` ...): its imports -- the ``sim`` package, argparse -- take a few hundred
milliseconds before its ``main()`` catches KeyboardInterrupt.  Standard library only, so that
it is at hand before anything slow."""
from __future__ import annotations

import sys

_TAKES_VALUE = ("-W", "-X")         # python's own options whose value is the next argument


def command() -> str | None:
    """``python -m sim`` (``python -m sim.kernel`` ...) when this process is that command line,
    else None: ``sim`` imported by a program (a notebook, pytest, ``python -c``).  Read from
    ``sys.orig_argv``, the command line as typed: python's options up to ``-m MODULE``."""
    args = getattr(sys, "orig_argv", [])[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in _TAKES_VALUE:
            i += 2
        elif a.startswith("-m"):
            module = a[2:] or (args[i + 1] if i + 1 < len(args) else "")
            return f"python -m {module}" if module == "sim" or module.startswith("sim.") else None
        elif a.startswith("-") and a != "-" and not a.startswith("-c"):
            i += 1                  # -B, -u, -I ...
        else:
            return None             # a script, standard input or -c's code: not one of ours
    return None


def exit_if_starting() -> None:
    """In a command line's start-up, on KeyboardInterrupt: one line and exit status 130, as its
    ``main()`` gives once it runs, instead of a traceback.  Returns when ``sim`` is imported by
    a program (``command()``): the caller re-raises."""
    prog = command()
    if prog is not None:
        print(f"{prog}: interrupted", file=sys.stderr)
        raise SystemExit(130)
