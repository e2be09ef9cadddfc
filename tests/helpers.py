"""What a user observes in a trace: which uplink a packet left by, what the remote saw."""
import contextlib
import io

from sim.observe import drops, events, uplink_hops  # noqa: F401  (the tests import them from here)


def cli(argv):
    """``python -m sim`` in this process: (exit status, stdout, stderr)."""
    from sim.__main__ import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


def handshake_ack_uplink(result):
    """(uplink of the SYN, uplink of the handshake's pure ACK) for the first connection."""
    ups = uplink_hops(result)
    syn = next(dev for _, dev, p in ups if p.proto == 6 and p.l4.flags == "S")
    ack = next(dev for _, dev, p in ups if p.proto == 6 and p.l4.flags == "A" and p.load == 0)
    return syn, ack
