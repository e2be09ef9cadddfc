"""What the command lines share (``python -m sim``, ``python -m sim.kernel``, ``python -m sim.bench``).

Bad input gets one line naming the bad value and what is allowed, exit status 2:
``OneLineParser`` prints argparse's own errors that way (no usage block), and the
converters below are argparse ``type``s whose errors quote the value as written.
"""
from __future__ import annotations

import argparse
import functools
import os
import re
import stat
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
        # "argument --seed: --seed must be an integer ...": a converter's message that names
        # its option already is given once, without argparse's prefix
        if (m := re.match(r"argument ([^ :]+): ", message)) and any(
                message[m.end():].startswith(name + " ") for name in m.group(1).split("/")):
            message = message[m.end():]
        if (m := _INVALID_CHOICE.fullmatch(message)) is not None:
            message = self._choice(m.group("arg"), m.group("got"), m.group("choices"))
        if (m := _AMBIGUOUS.fullmatch(message)) is not None:
            # argparse's "ambiguous option: --uplink could match --uplinks, --uplink-addrs"
            options = m.group("matches").split(", ")
            message = (f"{m.group('option')} is the start of more than one option: "
                       f"{', '.join(options[:-1])} or {options[-1]}? give the one you mean in full "
                       f"({self.prog} --help lists them)")
        if message.startswith("unrecognized arguments:"):       # say where the options are listed
            near, parser = self._near(message[len("unrecognized arguments:"):].split())
            where = parser.prog + (" COMMAND" if parser._subparsers is not None else "")
            message += f" ({'did you mean ' + near + '? ' if near else ''}{where} --help lists them)"
        self.exit(2, f"{self.prog}: {self.label}{message}\n")

    def _choice(self, arg: str, got: str, choices: str) -> str:
        """argparse's "argument cmd: invalid choice: 'runn' (choose from 'list', 'run')" as one
        line that names the bad value, the closest allowed one when one is near (as a mistyped
        scenario's) and every one allowed: "unknown command 'runn': did you mean run? allowed
        are list, run" (an option's: "--nat: unknown value 'netfilt': did you mean ...")."""
        import ast
        import difflib
        names = [c.strip().strip("'") for c in choices.split(",")]
        word = ast.literal_eval(got)                 # argparse wrote it with repr()
        command = any(isinstance(a, argparse._SubParsersAction) and argparse._get_action_name(a) == arg
                      for a in self._actions)
        what = "unknown command" if command else f"{arg}: unknown value"
        return f"{what} {word!r}: {did_you_mean(word, names, cutoff=0.6)}allowed are {', '.join(names)}"

    def _print_message(self, message: str, file=None) -> None:
        """--help, --version: their text on standard output, which may fail (a full disk,
        ``>/dev/full``) as a run's output may: one line on standard error and exit status 1
        (it exited 0 with nothing written); a reader that went away (``| head``) ends the
        command quietly with status 141, as a run's output does."""
        if not message:
            return
        if file is not None and file is not sys.stdout:
            return super()._print_message(message, file)
        from ._io import OutputError, ReaderGone, write_stdout
        try:
            write_stdout(message)
        except ReaderGone:
            self.exit(ReaderGone.STATUS)
        except OutputError as e:
            self.exit(1, f"{self.prog}: {self.label}{e}\n")

    def parse_known_args(self, args=None, namespace=None):
        self._given = list(sys.argv[1:] if args is None else args)     # for _near: which command
        return super().parse_known_args(self._joined(self._given), namespace)

    def _joined(self, args: list[str]) -> list[str]:
        """``args`` with each value that starts with a '-' joined to its option: ``--delay-ms
        -1e-3`` -> ``--delay-ms=-1e-3``.  argparse takes a word after an option for its value
        only when it looks like no option -- ``-1``, ``-0.5``, but not ``-1e-3``, ``-inf``,
        ``-100,200``, ``-1.2.3.4`` or ``-x.pcapng`` -- and said "expected one argument", naming
        neither the value nor what is allowed.  Joined, the option's converter reads it and says
        what is wrong with it, as with any other bad value (a file name is a file name).  A word
        that is an option of this command (``-h``), or starts with ``--``, stays an option."""
        takes_one = {o: a for a in self._actions if a.option_strings and a.nargs in (None, 1)
                     for o in a.option_strings}
        out, it = [], iter(args)
        for word in it:
            out.append(word)
            if word == "--":                        # the end of the options: the rest as given
                out.extend(it)
                break
            if "=" in word or not word.startswith("--") or not self._takes_one(word, takes_one):
                continue
            value = next(it, None)
            if value is None:
                break
            if (len(value) > 1 and value.startswith("-") and not value.startswith("--")
                    and value not in self._option_string_actions):
                out[-1] = f"{word}={value}"
            else:
                out.append(value)
        return out

    def _takes_one(self, word: str, takes_one: dict) -> bool:
        """Whether ``word`` names an option that takes one value: as written, or as argparse
        reads an abbreviation (the one option it begins)."""
        if word in takes_one:
            return True
        if not self.allow_abbrev:
            return False
        starting = {a for o, a in self._option_string_actions.items() if o.startswith(word)}
        return len(starting) == 1 and starting.pop() in takes_one.values()

    def _near(self, words: list[str]) -> tuple[str, argparse.ArgumentParser]:
        """The option closest to the first unrecognised ``--word`` (``--seeds`` -> ``--seed``), or
        '', among the options of the command given, and that command's parser (a sub-command's
        when one was given, else this one)."""
        import difflib
        parser = self
        for a in self._actions:
            if isinstance(a, argparse._SubParsersAction):
                parser = next((a.choices[w] for w in getattr(self, "_given", []) if w in a.choices), self)
        options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
        for w in words:
            if w.startswith("--"):
                close = difflib.get_close_matches(w.split("=", 1)[0], options, n=1, cutoff=0.7)
                return (close[0] if close else ""), parser
        return "", parser


#: argparse's message for a value not among an argument's choices (Python 3.11 quotes each
#: choice, 3.12.8 and later do not)
_INVALID_CHOICE = re.compile(r"""argument (?P<arg>[^:]+): invalid choice: (?P<got>'.*'|".*") \(choose from (?P<choices>.*)\)""")
#: ... and for an abbreviation that begins several options (``--uplink``; with its value joined,
#: ``--uplink=3``, the value is left out)
_AMBIGUOUS = re.compile(r"ambiguous option: (?P<option>[^=\s]+)(=.*)? could match (?P<matches>.*)")


def did_you_mean(word: str, names, cutoff: float) -> str:
    """``"did you mean masquerade? "`` for a ``word`` that begins one of ``names`` (``masq``; in
    any case), or several (``did you mean netfilter or none? ``), else for the one closest to it
    when one is near (``MASQUERADE``, ``netfilt``: ``difflib``'s ``cutoff``), else ``""``."""
    import difflib
    w = str(word).strip().lower()
    begun = [n for n in names if w and n.lower().startswith(w)]
    if not begun:
        lower = {n.lower(): n for n in names}   # RANDOM, Run: the name in another case is near
        begun = [lower[n] for n in difflib.get_close_matches(w, list(lower), n=1, cutoff=cutoff)]
    if not begun:
        return ""
    return f"did you mean {', '.join(begun[:-1]) + ' or ' if len(begun) > 1 else ''}{begun[-1]}? "


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


def _float(text: str) -> float:
    """A number written in ASCII (float() also reads other scripts' digits, '١٠٠٠', which an
    integer option refused: the lists and the seconds took them)."""
    if not text.isascii():
        raise ValueError(text)
    return float(text)


def any_int(name: str):
    """An integer whose bounds depend on other options (the simulator checks them)."""
    return checked(_int, lambda v: True, f"{name} must be an integer, got {{got}}")


def int_in(name: str, lo: int, hi: int, unit: str = "", why: str = ""):
    """An integer in ``lo..hi`` (of ``unit``; ``why`` the bounds are what they are)."""
    what = f"{unit} " if unit else "an integer "
    return checked(_int, lambda v: lo <= v <= hi,
                   f"{name} must be {what}{lo}..{hi}{f' ({why})' if why else ''}, got {{got}}")


def seconds_in(name: str, lo: float, hi: float):
    """A number of seconds in ``lo..hi`` (not NaN)."""
    return checked(float, lambda v: lo <= v <= hi, f"{name} must be seconds in {lo}..{hi}, got {{got}}")


#: ``--down-at none``, ``--read-timeout none``: the parameter's None (no line fails, no read
#: timeout), given on the command line -- which overrides the scenario's value, where an
#: option left out (None) keeps it
NONE = type("NoneGiven", (), {"__repr__": lambda self: "none"})()


def _g(x: float) -> str:
    """A bound as a message writes it: ``86400``, ``10000000``, ``1e-06``."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _span(lo: float, hi: float, lo_excluded: bool, tick: float | None) -> str:
    """``lo..hi`` in words: ``in 0..86400``, ``above 0 and at most 60``, and with ``tick`` (the
    finest time the simulation counts) from ``lo`` 0 ``in 0 or 1e-06..86400``."""
    if lo_excluded:
        return f"above {_g(lo)} and at most {_g(hi)}"
    if tick is not None and lo == 0:
        return f"in 0 or {_g(tick)}..{_g(hi)}"
    return f"in {_g(lo)}..{_g(hi)}"


def _within(v: float, lo: float, hi: float, lo_excluded: bool, tick: float | None) -> bool:
    return (lo < v if lo_excluded else lo <= v) and v <= hi and not (tick is not None and 0 < v < tick)


def seconds_or_none(name: str, lo: float, hi: float, lo_excluded: bool, means: str, none: bool = True,
                    tick: float | None = None):
    """Seconds in ``lo..hi`` (above ``lo`` when ``lo_excluded``; not NaN; with ``tick``, the
    simulation's finest time, none above 0 and below it), or, when ``none``, the word ``none``
    (``NONE``): one message for any other value, saying what ``none`` -- or, for an option
    that has no ``none``, leaving the option out -- ``means``."""
    other = f", or none ({means})" if none else f" (without it {means})"
    finest = " (the simulation counts whole microseconds)" if tick is not None else ""
    return checked(lambda t: NONE if none and t.strip().lower() == "none" else _float(t),
                   lambda v: v is NONE or _within(v, lo, hi, lo_excluded, tick),
                   f"{name} must be seconds {_span(lo, hi, lo_excluded, tick)}{finest}{other}, got {{got}}")


def number_in(name: str, lo: float, hi: float, unit: str, tick: float | None = None):
    """A number of ``unit`` in ``lo..hi`` (not NaN; with ``tick``, none above 0 and below it)."""
    finest = " (the simulation counts whole microseconds)" if tick is not None else ""
    return checked(float, lambda v: _within(v, lo, hi, False, tick),
                   f"{name} must be {unit} {_span(lo, hi, False, tick)}{finest}, got {{got}}")


def numbers_in(name: str, lo: float, hi: float, lo_excluded: bool = False, *, integers: bool = False,
               unit: str = "", tick: float | None = None, most: int | None = None, shape: str = "",
               example: str = ""):
    """Comma-separated numbers (integers when ``integers``), each in ``lo..hi`` as
    ``seconds_or_none`` reads that, at most ``most`` of them: a list.  One message for any other
    value, naming the bad number (and the list it is in), what is allowed (``unit``; ``shape``,
    how many, in words) and an ``example``."""
    kind = "integers" if integers else (unit or "numbers")
    finest = " (the simulation counts whole microseconds)" if tick is not None else ""
    wants = (f"{name} must be {kind} {_span(lo, hi, lo_excluded, tick)}{' ' + unit if integers and unit else ''}"
             f"{finest}, separated by commas{shape}{f' (like {example})' if example else ''}")

    def conv(text: str):
        items = text.split(",")
        values = []
        for item in items:
            try:
                v = _int(item) if integers else _float(item)
            except ValueError:
                v = None
            if v is None or not _within(v, lo, hi, lo_excluded, tick):
                got = repr(text) if len(items) == 1 else f"{item!r} in {text!r}"
                raise argparse.ArgumentTypeError(f"{wants}, got {got}")
            values.append(v)
        if most is not None and len(values) > most:
            raise argparse.ArgumentTypeError(f"{name} takes at most {most} values, got {len(values)}")
        return values
    return conv


def list_param(name: str, shown: str, example: str):
    """A list parameter of ``sim.run`` (``flush_at``, ``down_kbit`` ...) read from text as
    ``python -m sim run`` reads it, whose bad value is named ``shown`` (``--down-kbit`` there,
    ``down_kbit`` in the live players' boxes): each number in the bounds ``sim.run`` allows it
    (``LIST_BOUNDS``), one message naming the bad one.  How many values a per-uplink list may
    have (one, or one per uplink) depends on the uplinks: ``sim.run`` checks it."""
    from .scenarios import LIST_BOUNDS, MAX_FLUSHES, MAX_UPLINKS, UNITS, tick_of
    lo, hi, lo_excluded, integers = LIST_BOUNDS[name]
    most, shape = ((MAX_FLUSHES, "") if name == "flush_at" else
                   (MAX_UPLINKS, ", one for every uplink or one per uplink"))
    return numbers_in(shown, lo, hi, lo_excluded, integers=integers, unit=UNITS.get(name, ""),
                      tick=tick_of(name), most=most, shape=shape, example=example)


def pcap_problem(path: str) -> str | None:
    """Why ``--pcap path`` can't take the capture, or None: checked before the run, creating
    nothing, so that a run of minutes is not refused only at its end (bad input, status 2).
    A write that fails later (a full disk, ``/dev/full``) is an output failure (status 1)."""
    if not path.strip():
        return f"--pcap {path!r}: give the name of the file to write"
    if path == "-":
        return ("--pcap -: standard output carries the trace; give the capture a file name "
                "(--pcap run.pcapng, then tshark -r run.pcapng)")
    try:
        out = os.fstat(1)
        same = stat.S_ISREG(out.st_mode) and os.path.samestat(out, os.stat(path))   # not /dev/null
    except OSError:
        same = False
    if same:
        return (f"--pcap {path}: standard output goes to that file already (the trace): give "
                f"the capture another name")
    if os.path.isdir(path):
        return (f"--pcap {path!r} is a folder: give the name of a file to write "
                f"(such as {os.path.join(path, 'run.pcapng')!r})")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"--pcap {path!r}: no folder {folder!r} to write it in: give a file in an existing folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--pcap {path!r}: the folder {folder!r} is not writable: give a file in one you may write to"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"--pcap {path!r}: the file is not writable: give another name"
    return _cannot_create(path)


def _cannot_create(path: str) -> str | None:
    """Why the capture's file can't be made where ``atomic_open`` will make it, tried as it
    will (a temporary file in the target's folder, removed at once), or None.  ``os.access``
    answers yes to root for /proc, which takes no new file: only making one tells."""
    import tempfile
    from ._io import _own_links, _through_proc
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and (not stat.S_ISREG(st.st_mode) or _through_proc(path)):
        return None                     # written in place (/dev/null, an open descriptor's file)
    target = os.path.realpath(path) if _own_links(path) else os.path.abspath(path)
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part", dir=folder)
    except OSError as e:
        return (f"--pcap {path!r}: no file can be made in {folder!r} ({e.strerror or e}): give a file "
                f"in a folder you may write to")
    os.close(fd)
    os.unlink(tmp)
    return None


def write_capture_then_stdout(path: str, write, text) -> str | None:
    """Write the capture with ``write(f)`` (a file that appears whole, only once ``text`` went
    to standard output too: ``sim._io.write_file_then_stdout``).  When the capture alone
    fails, ``text`` still goes to standard output -- the run's trace is not lost with its
    capture -- and the reason (``strerror``) is returned; None when all was written.  A
    failing standard output raises ``OutputError``."""
    from ._io import OutputError, write_file_then_stdout, write_stdout
    sent = []

    def chunks():
        sent.append(True)
        yield from ([text] if isinstance(text, str) else text)
    try:
        write_file_then_stdout(path, write, chunks())
    except OutputError:
        raise
    except OSError as e:
        if not sent:                        # the capture failed before the trace went out
            write_stdout(text)
        return e.strerror or str(e)
    return None


# -- what ``python -m sim`` and ``python -m sim.kernel`` say alike ---------------------------

def default_help(value: str) -> str:
    """The end of a ``run`` option's --help: its default (as ``list`` writes it), which a
    scenario may change."""
    return f"default {value}, or the scenario's: see list"


def scenario_list(defaults: list[tuple[str, str]], scenarios: list[tuple[str, str, str]]) -> str:
    """``list``'s text: the options' ``defaults`` (name, value as written), then each of the
    ``scenarios`` (name, what it shows, what it sets beyond the defaults), the names in a
    column one wider than the longest."""
    w = max(len(name) for name, _, _ in scenarios) + 1
    out = ["defaults: " + " ".join(f"{n}={v}" for n, v in defaults) + "\n"]
    for name, doc, sets in scenarios:
        out.append(f"\n{name:<{w}} {doc}\n{'':<{w}} sets: {sets.strip() or 'nothing (the defaults)'}\n")
    return "".join(out)


def down_uplink_without_down_at(uplink: int, scenario: str) -> str:
    """Why ``--down-uplink`` is refused for a scenario in which no line fails and no
    ``--down-at`` was given."""
    return (f"--down-uplink {uplink} names the uplink whose line fails at --down-at, and no line "
            f"fails in {scenario}: give --down-at SECONDS too")


def up_at_without_down_at(up_at: float, scenario: str, none_given: bool) -> str:
    """Why ``--up-at`` is refused when no line fails: ``--down-at none`` was given
    (``none_given``), or ``scenario`` fails none and no ``--down-at`` was given."""
    t = f"{up_at:g}"
    if none_given:
        return (f"--up-at {t} brings back the line that fails at --down-at, and --down-at none fails no "
                f"line: give --down-at SECONDS, before {t}, or leave out --up-at")
    return (f"--up-at {t} brings back the line that fails at --down-at, and no line fails in {scenario}: "
            f"give --down-at SECONDS too, before {t}")


# -- the kernels a run's parts come from: run's --today and its note on a mixed set-up -----------

#: today's router in one go (``python -m sim run --today``): chapter 10's recipe (conntrack marks,
#: MASQUERADE), a remote host that answers a stray segment with a reset (RFC 9293) and today's
#: TCP timers; no equalize flag, which went with the route cache (Linux 3.6)
TODAY = {"multipath": "connmark", "equalize": False, "nat": "masquerade", "remote": "rfc", "tcp": "linux"}
#: the kernel each NAT model and TCP profile is of: Linux 2.4 (the article's) or today's
#: (``none``, public addresses, is of both)
NAT_KERNEL = {"article": "2.4", "netfilter": "2.4", "snat": "today", "masquerade": "today"}
TCP_KERNEL = {"2.4": "2.4", "linux": "today"}


def _shown(values: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items() if k != "equalize")


def today_help() -> str:
    """``--today``'s help."""
    return (f"today's router in one go: {_shown(TODAY)} and no equalize flag (chapter 10's recipe: "
            f"conntrack marks, MASQUERADE; an RFC 9293 server; today's TCP timers), where the defaults "
            f"are the article's Linux 2.4 router; an option given wins (--today --nat snat), and a "
            f"scenario without TCP or with --bundle takes only what it reads (default off)")


def today_values(scenario: str, bundled: bool) -> dict:
    """What ``--today`` sets in ``scenario``: ``TODAY``, less what the run would refuse as
    unread -- TCP's parameters in a run without TCP, the uplinks' choice (``multipath``,
    ``equalize``) when they are bundled into one link."""
    from .scenarios import TCP_ONLY, uses_tcp
    return {k: v for k, v in TODAY.items()
            if not (k in TCP_ONLY and not uses_tcp(scenario)) and not (bundled and k in ("multipath", "equalize"))}


def kernels(p, scenario: str) -> dict[str, tuple[str, str]]:
    """Run parameters ``p``'s parts that are of one kernel, each as (that kernel, ``2.4`` or
    ``today``; the part as a note names it): the multipath policy (2.4's with the route cache in
    front, else today's; none with --bundle, one route), the NAT model (none without NAT) and
    TCP's timers (none in a run without TCP)."""
    from .policies import REGISTRY
    from .scenarios import uses_tcp
    out = {}
    if not p.bundle:
        cached = REGISTRY[p.multipath].cached
        out["multipath"] = ("2.4" if cached else "today",
                            f"multipath={p.multipath}{' (its route cache)' if cached else ''}")
    if p.nat in NAT_KERNEL:
        out["nat"] = (NAT_KERNEL[p.nat], f"nat={p.nat}")
    if uses_tcp(scenario) and p.tcp in TCP_KERNEL:
        out["tcp"] = (TCP_KERNEL[p.tcp], f"tcp={p.tcp}")
    return out


def mixed_kernels(p, scenario: str, given: dict) -> str | None:
    """The note for a run whose options (``given``: the parameters set on the command line)
    put parts of two kernels together -- ``flashget --nat masquerade``: today's MASQUERADE
    behind 2.4's route cache and timers -- or None (one kernel, or the scenario's own set-up,
    which ``list`` shows)."""
    parts = kernels(p, scenario)
    if len({era for era, _ in parts.values()}) < 2 or not any(k in given for k in (*parts, "equalize")):
        return None
    from .scenarios import scenario_defaults
    old = " and ".join(words for era, words in parts.values() if era == "2.4")
    new = " and ".join(words for era, words in parts.values() if era == "today")
    # (what the scenario itself is: an option changes its own part of it alone)
    own = {era for era, _ in kernels(scenario_defaults(scenario), scenario).values()}
    was = ({"2.4": f" ({scenario} is the article's 2.4 router: an option of today's changes that part alone)",
            "today": f" ({scenario} is today's router: an option of 2.4's changes that part alone)"}
           .get(own.pop(), "") if len(own) == 1 else "")
    return (f"this router mixes two kernels: Linux 2.4's {old} with today's {new}{was}; today's router in "
            f"one go: --today ({_shown(TODAY)}; an option given wins)")
