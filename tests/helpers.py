"""What a user observes in a trace: which uplink a packet left by, what the remote saw."""
import contextlib
import io

from sim.observe import drops, events, uplink_hops  # noqa: F401  (the tests import them from here)


@contextlib.contextmanager
def serving(directory):
    """``directory`` served over HTTP on 127.0.0.1 (a free port), without a log line a request,
    while the block runs: its base URL, for a browser test."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


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


#: the peer's initial sequence number in established_conn's connections
IRS = 70_000


def established_conn(profile: str, ts_recent=None):
    """A TCP connection of the LAN host to 200.0.0.1:7, established (its peer's ISN ``IRS``,
    nothing in flight) and in ping-pong mode with no quick ACK left, as a connection that has
    answered data is: its ACKs wait for the answer.  ``profile``: sim.tcp's, "2.4" or "linux"."""
    import sim
    from sim.core import Sim
    from sim.tcp import DELACK, PINGPONG_THRESH, TcpConn, TcpState
    from sim.topology import article_network
    host = article_network(Sim(seed=1), sim.make_params("echo").spec())["local1"]
    c = TcpConn(host, ("192.168.0.1", 4242), ("200.0.0.1", 7), profile=profile)
    c.state, c.irs, c.rcv_nxt = TcpState.ESTABLISHED, IRS, IRS + 1
    c.snd_una = c.snd_nxt = c.snd_max = c.data_end = c.iss + 1
    c.ack_sent = c.rcv_nxt
    c.ato, c.quick, c.pingpong = DELACK, 0, PINGPONG_THRESH
    c.ts_recent = ts_recent
    return c


def load_booklib():
    """The book's ``book/booklib.py`` module, imported as a chapter does (``book/`` on the path
    only while it is imported)."""
    import sys
    from pathlib import Path
    book = str(Path(__file__).resolve().parent.parent / "book")
    sys.path.insert(0, book)
    try:
        import booklib
    finally:
        sys.path.remove(book)
    return booklib
