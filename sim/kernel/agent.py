"""Traffic programs run inside the lab's namespaces (standard library only).

The lab starts them as ``ip netns exec NS python agent.py ROLE ...``; each
prints one JSON object on stdout (a server prints ``{"ready": true}`` first,
then its report when it gets SIGTERM).

    serve   --port P --mode echo|source [--size N] [--mptcp]
    echo    --dst A --port P [--messages 10] [--size 1000] [--timeout S] [--sport P]
    download --dst A --port P [--size N] [--connections N] [--timeout S] [--mptcp] [--sport P]
             [--join-sport P]
    ping    --dst A [--count 10] [--id 4660] [--interval 0.1] [--timeout S]
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

IPPROTO_MPTCP = 262
SOL_MPTCP, MPTCP_INFO = 284, 1
MPTCP_INFO_FLAG_FALLBACK = 1


def _out(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _sock(mptcp: bool) -> socket.socket:
    if mptcp:
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def _ep(addr) -> str:
    return f"({addr[0]}, {addr[1]})"


# -- server ---------------------------------------------------------------------------------

def serve(a) -> int:
    s = _sock(a.mptcp)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", a.port))
    s.listen(64)
    conns = []
    lock = threading.Lock()

    def handle(c, peer):
        rec = {"peer": _ep(peer), "bytes_in": 0, "bytes_out": 0, "reset": False, "eof": False}
        with lock:
            conns.append(rec)
        try:
            if a.mode == "source":
                left = a.size
                chunk = b"\x00" * 16384
                while left > 0:
                    n = c.send(chunk[:min(left, len(chunk))])
                    left -= n
                    rec["bytes_out"] += n
                c.shutdown(socket.SHUT_WR)
            while True:
                d = c.recv(65536)
                if not d:
                    rec["eof"] = True
                    break
                rec["bytes_in"] += len(d)
                if a.mode == "echo":
                    c.sendall(d)
                    rec["bytes_out"] += len(d)
        except ConnectionResetError:
            rec["reset"] = True
        except OSError as e:
            rec["error"] = e.strerror
        finally:
            c.close()

    def stop(*_):
        with lock:
            _out({"conns": conns})
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    _out({"ready": True})
    while True:
        c, peer = s.accept()
        threading.Thread(target=handle, args=(c, peer), daemon=True).start()


# -- MPTCP: one more subflow, asked of the userspace path manager over generic netlink --------

_NETLINK_GENERIC, _GENL_ID_CTRL, _CTRL_CMD_GETFAMILY = 16, 0x10, 3
_NLM_F_REQUEST, _NLM_F_ACK, _NLMSG_ERROR, _NLA_F_NESTED = 1, 4, 2, 1 << 15
_PM_CMD_SUBFLOW_CREATE = 10                          # linux/mptcp.h enum mptcp_pm_cmd
_PM_ATTR_ADDR, _PM_ATTR_TOKEN, _PM_ATTR_ADDR_REMOTE = 1, 4, 6
_ADDR_FAMILY, _ADDR_ID, _ADDR_ADDR4, _ADDR_PORT = 1, 2, 3, 5


def _nla(kind: int, payload: bytes) -> bytes:
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * (-n % 4)


def _genl(sock, family: int, cmd: int, attrs: bytes, seq: int) -> bytes:
    """One generic-netlink request with an ACK; the reply's payload (b"" if none)."""
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    sock.send(struct.pack("=IHHII", 16 + len(body), family, _NLM_F_REQUEST | _NLM_F_ACK, seq, 0)
              + body)
    reply = b""
    while True:
        data, off = sock.recv(65536), 0
        while off + 16 <= len(data):
            n, kind = struct.unpack_from("=IH", data, off)
            if kind == _NLMSG_ERROR:
                err = struct.unpack_from("=i", data, off + 16)[0]
                if err:
                    raise OSError(-err, os.strerror(-err))
                return reply
            reply = data[off + 20:off + n]
            off += (n + 3) & ~3


def mptcp_subflow_create(token: int, local: tuple[str, int], remote: tuple[str, int],
                         local_id: int = 1) -> None:
    """``MPTCP_PM_CMD_SUBFLOW_CREATE`` (what mptcpd does): a subflow of the connection
    ``token`` from ``local`` (address, port) to ``remote``.  Needs the namespace's
    userspace path manager (``net.mptcp.path_manager=userspace``; ``pm_type=1``
    before Linux 6.15) and CAP_NET_ADMIN."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_GENERIC) as s:
        s.bind((0, 0))
        r = _genl(s, _GENL_ID_CTRL, _CTRL_CMD_GETFAMILY, _nla(2, b"mptcp_pm\0"), 1)
        family = None
        while len(r) >= 4:                           # CTRL_ATTR_FAMILY_ID = 1
            n, kind = struct.unpack_from("=HH", r)
            if kind == 1:
                family = struct.unpack_from("=H", r, 4)[0]
            r = r[(n + 3) & ~3:]
        if family is None:
            raise OSError(errno.ENOENT, "no mptcp_pm generic netlink family")
        fam = _nla(_ADDR_FAMILY, struct.pack("=H", socket.AF_INET))
        loc = (fam + _nla(_ADDR_ID, struct.pack("=B", local_id))
               + _nla(_ADDR_ADDR4, socket.inet_aton(local[0]))
               + _nla(_ADDR_PORT, struct.pack("=H", local[1])))
        rem = (fam + _nla(_ADDR_ADDR4, socket.inet_aton(remote[0]))
               + _nla(_ADDR_PORT, struct.pack("=H", remote[1])))
        _genl(s, family, _PM_CMD_SUBFLOW_CREATE,
              _nla(_PM_ATTR_TOKEN, struct.pack("=I", token)) + _nla(_PM_ATTR_ADDR | _NLA_F_NESTED, loc)
              + _nla(_PM_ATTR_ADDR_REMOTE | _NLA_F_NESTED, rem), 2)


def mptcp_info(s) -> dict:
    """struct mptcp_info's first fields (getsockopt SOL_MPTCP, MPTCP_INFO)."""
    b = s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)
    if len(b) < 16:
        return {}
    return {"subflows": b[0], "flags": struct.unpack_from("=I", b, 8)[0],
            "token": struct.unpack_from("=I", b, 12)[0]}


def _join(s, a) -> dict:
    """Open the second subflow from the first one's address and port ``a.join_sport`` to the
    same server address and port -- as the simulator's MPTCP client does.  The connection
    must be fully established first (the server's first data): retried for up to 1 s."""
    local = (s.getsockname()[0], a.join_sport)
    rec = {"client": _ep(local), "error": None}
    deadline = time.monotonic() + 1.0
    while True:
        try:
            info = mptcp_info(s)
            if info.get("flags", 0) & MPTCP_INFO_FLAG_FALLBACK:
                rec["error"] = "the connection fell back to plain TCP"
                return rec
            mptcp_subflow_create(info["token"], local, (a.dst, a.port))
            return rec
        except OSError as e:
            if time.monotonic() > deadline:
                rec["error"] = e.strerror or str(e)
                return rec
            time.sleep(0.002)


# -- clients --------------------------------------------------------------------------------

def _connect(a, mptcp=False, sport=0):
    s = _sock(mptcp)
    s.settimeout(a.timeout)
    if sport:                          # fixed client ports, like the simulator's 5000, 5001 ...
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", sport))
    t0 = time.monotonic()
    s.connect((a.dst, a.port))
    return s, time.monotonic() - t0


@contextlib.contextmanager
def _outcome(rec: dict):
    """Note in ``rec`` how a client's exchange failed: reset, timed out, or the OS's error."""
    try:
        yield
    except ConnectionResetError:
        rec["reset"] = True
    except socket.timeout:
        rec["error"] = "timeout"
    except OSError as e:
        rec["error"] = e.strerror or str(e)


def echo(a) -> int:
    rec = {"client": None, "server": _ep((a.dst, a.port)), "messages": a.messages, "echoed": 0,
           "reset": False, "connected": False, "seconds": None, "error": None}
    t0 = time.monotonic()
    with _outcome(rec):
        s, _ = _connect(a, sport=a.sport)
        rec["connected"] = True
        rec["client"] = _ep(s.getsockname())
        msg = b"m" * a.size
        for _ in range(a.messages):
            s.sendall(msg)
            got = 0
            while got < a.size:
                d = s.recv(a.size - got)
                if not d:
                    raise ConnectionError("closed by the server")
                got += len(d)
            rec["echoed"] += 1
        rec["seconds"] = round(time.monotonic() - t0, 4)
        s.close()
    rec["elapsed"] = round(time.monotonic() - t0, 4)
    _out(rec)
    return 0


def download(a) -> int:
    recs = [None] * a.connections
    started: list[float] = []          # wall-clock time of each connect() call
    flowing: set[int] = set()          # connections past --announce-bytes, or ended
    lock = threading.Lock()

    def announce_if_ready():
        """``--announce``: one line once every connection is up (or has failed) and, with
        ``--announce-bytes N``, has received N bytes (or ended): the time the first
        connect() began -- what the harness times a failure from -- and the time now."""
        if (a.announce and len(started) == a.connections
                and len(flowing) == a.connections):
            a.announce = False
            _out({"connected": a.connections, "t0": min(started), "t": time.time()})

    def connect_done(began: float):
        with lock:
            started.append(began)
            announce_if_ready()

    def flows(k: int):
        with lock:
            flowing.add(k)
            announce_if_ready()

    def one(k):
        rec = {"client": None, "server": _ep((a.dst, a.port)), "bytes": 0, "bytes_wanted": a.size,
               "connected": False, "complete": False, "reset": False, "seconds": None,
               "error": None}
        t0 = time.monotonic()
        began = time.time()
        s = None
        try:
            with _outcome(rec):
                try:
                    s, _ = _connect(a, a.mptcp, a.sport + k if a.sport else 0)
                finally:
                    connect_done(began)
                rec["connected"] = True
                rec["client"] = _ep(s.getsockname())
                if a.announce_bytes <= 0:
                    flows(k)
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    rec["bytes"] += len(d)
                    if rec["bytes"] >= a.announce_bytes > rec["bytes"] - len(d):
                        flows(k)
                    if a.join_sport and k == 0 and "join" not in rec:
                        rec["join"] = _join(s, a)
                rec["complete"] = rec["bytes"] >= a.size
                rec["seconds"] = round(time.monotonic() - t0, 4)
                s.close()
        finally:
            rec["end_t"] = time.time()      # wall clock, as t0: when this download ended
            if s is not None:       # a client that gives up closes at once (its FIN goes now)
                s.close()
            flows(k)                # an ended download no longer holds up the announcement
        recs[k] = rec

    threads = [threading.Thread(target=one, args=(k,)) for k in range(a.connections)]
    for t in threads:
        t.start()
        time.sleep(a.stagger)
    for t in threads:
        t.join()
    _out({"connections": recs})
    return 0


def _icmp_checksum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(a) -> int:
    """ICMP echo with one id for every request (like one ``ping`` process)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sent, replies = [], []
    deadline_extra = a.timeout
    for seq in range(1, a.count + 1):
        body = struct.pack("!d", time.time()) + b"1+1<1" * 8
        hdr = struct.pack("!BBHHH", 8, 0, 0, a.id, seq)
        pkt = struct.pack("!BBHHH", 8, 0, _icmp_checksum(hdr + body), a.id, seq) + body
        s.sendto(pkt, (a.dst, 0))
        sent.append(seq)
        end = time.monotonic() + (a.interval if seq < a.count else deadline_extra)
        while True:
            left = end - time.monotonic()
            if left <= 0 or (seq == a.count and len(replies) == len(sent)):
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                continue
            data, src = s.recvfrom(2048)
            ihl = (data[0] & 0x0F) * 4
            typ, _, _, pid, pseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and pid == a.id and src[0] == a.dst and pseq not in replies:
                replies.append(pseq)
    _out({"dst": a.dst, "id": a.id, "sent": len(sent), "received": len(replies),
          "replied": sorted(replies)})
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="agent")
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--mode", choices=("echo", "source"), default="echo")
    s.add_argument("--size", type=int, default=0)
    s.add_argument("--mptcp", action="store_true")
    e = sub.add_parser("echo")
    e.add_argument("--dst", required=True)
    e.add_argument("--port", type=int, required=True)
    e.add_argument("--messages", type=int, default=10)
    e.add_argument("--size", type=int, default=1000)
    e.add_argument("--timeout", type=float, default=5.0)
    e.add_argument("--sport", type=int, default=0)
    d = sub.add_parser("download")
    d.add_argument("--dst", required=True)
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--size", type=int, default=200_000)
    d.add_argument("--connections", type=int, default=1)
    d.add_argument("--stagger", type=float, default=0.0)
    d.add_argument("--timeout", type=float, default=5.0)
    d.add_argument("--mptcp", action="store_true")
    d.add_argument("--sport", type=int, default=0)
    d.add_argument("--join-sport", type=int, default=0,
                   help="MPTCP: open a second subflow from this port (userspace path manager)")
    d.add_argument("--announce", action="store_true",
                   help='print {"connected": N, "t0": T, "t": NOW} once every connection is up')
    d.add_argument("--announce-bytes", type=int, default=0, metavar="N",
                   help="--announce only once every connection has also received N bytes "
                        "(or ended): data is flowing on each")
    g = sub.add_parser("ping")
    g.add_argument("--dst", required=True)
    g.add_argument("--count", type=int, default=10)
    g.add_argument("--id", type=int, default=0x1234)
    g.add_argument("--interval", type=float, default=0.1)
    g.add_argument("--timeout", type=float, default=1.0)
    a = p.parse_args(argv)
    return {"serve": serve, "echo": echo, "download": download, "ping": ping}[a.role](a)


if __name__ == "__main__":
    sys.exit(main())
