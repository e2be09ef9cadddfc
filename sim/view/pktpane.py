"""The packet pane: the packet of a step as scapy dissects its real bytes, and a
hexdump with the bytes the last node changed (NAT: addresses, ports, checksums;
every router: TTL and IP checksum) highlighted, before and after.

"Before" is the packet as it arrived at the node that sent it on (found by
``model.Analysis``); a packet a host just sent has no before.

A kernel capture's hop (``capture.CapturedHop``) carries the bytes captured: the pane shows
those (DF, TCP options and all), cut where the capture's snap length cut them, and the
window field with the scale its connection's SYNs negotiated.
"""
from __future__ import annotations

import functools

from ..trace import Ev
from ._common import app_words, clock, flow_text, pkt_name, title
from ._dot import h
from .model import analysis_of, check_step, endpoint_node, info_of

HEX_MAX = 64            # bytes of hexdump shown; the payload is zeros (the simulator moves lengths)

# Byte ranges of each field, relative to its layer (IPv4 without options, TCP without options).
OFFSETS = {
    "IP": {"version": (0, 1), "ihl": (0, 1), "tos": (1, 2), "len": (2, 4), "id": (4, 6), "flags": (6, 8),
           "frag": (6, 8), "ttl": (8, 9), "proto": (9, 10), "chksum": (10, 12), "src": (12, 16),
           "dst": (16, 20)},
    "TCP": {"sport": (0, 2), "dport": (2, 4), "seq": (4, 8), "ack": (8, 12), "dataofs": (12, 13),
            "reserved": (12, 13), "flags": (12, 14), "window": (14, 16), "chksum": (16, 18),
            "urgptr": (18, 20)},
    "UDP": {"sport": (0, 2), "dport": (2, 4), "len": (4, 6), "chksum": (6, 8)},
    "ICMP": {"type": (0, 1), "code": (1, 2), "chksum": (2, 4), "id": (4, 6), "seq": (6, 8)},
}
L4_BASE = 20
PROTO = {1: "icmp", 6: "tcp", 17: "udp"}


def _layers(result, e, raw: bytes) -> list:
    """``dissect(raw)`` with what a capture adds: the window field with the scale its SYNs
    negotiated (RFC 7323 2.3: the field counts units of 2^shift bytes), and a payload the
    snap length cut named as such."""
    layers = dissect(raw)
    shift = result.window_shift(e)
    cut = result.wire_len(e) - len(raw)
    if shift is None and cut <= 0:
        return layers
    out = []
    for lname, fields in layers:
        if lname == "TCP" and shift is not None:
            fields = [(n, f"field {v} × 2^{shift} = {int(v) << shift} bytes (SYNs' scale)"
                       if n == "window" else v, r) for n, v, r in fields]
        elif lname == "Raw" and cut > 0:
            fields = [(n, f"{v.split()[0]} of {int(v.split()[0]) + cut} bytes captured"
                       if n == "load" else v, r) for n, v, r in fields]
        out.append((lname, fields))
    return out


#: RFC 8684 section 3: the subtype in the high nibble of an MPTCP option's first byte.
MPTCP_SUBTYPES = {0: "MP_CAPABLE", 1: "MP_JOIN", 2: "DSS", 3: "ADD_ADDR", 4: "REMOVE_ADDR",
                  5: "MP_PRIO", 6: "MP_FAIL", 7: "MP_FASTCLOSE", 8: "MP_TCPRST"}


def mptcp_option(data: bytes) -> str:
    """An MPTCP option (TCP option kind 30, ``data`` after kind and length) in words."""
    if not data:
        return "MPTCP (empty)"
    sub = data[0] >> 4
    name = MPTCP_SUBTYPES.get(sub, f"subtype {sub}")
    if sub == 0 and len(data) >= 2:              # MP_CAPABLE: version, flags A B C D E F G H
        flags = data[1]
        letters = "".join(c for c, bit in zip("ABCDEFGH", range(7, -1, -1)) if flags >> bit & 1)
        out = f"MPTCP {name} v{data[0] & 0xF}, flags {letters or '-'}"
        if len(data) >= 10:
            out += f", sender key 0x{data[2:10].hex()}"
        if len(data) >= 18:
            out += f", receiver key 0x{data[10:18].hex()}"
        return out + ("" if len(data) > 2 else ", no key (a v1 SYN carries none)")
    if sub == 1 and len(data) == 10:              # MP_JOIN on a SYN: B flag, address id, token, nonce
        backup = " backup," if data[0] & 1 else ""
        return (f"MPTCP {name},{backup} address id {data[1]}, receiver's token 0x{data[2:6].hex()}, "
                f"nonce 0x{data[6:10].hex()}")
    if sub == 1 and len(data) == 14:              # MP_JOIN on the SYN+ACK: truncated HMAC, nonce
        return (f"MPTCP {name}, address id {data[1]}, HMAC (first 64 bits) 0x{data[2:10].hex()}, "
                f"nonce 0x{data[10:14].hex()}")
    if sub == 1 and len(data) == 22:              # MP_JOIN on the third ACK: the HMAC
        return f"MPTCP {name}, HMAC (160 bits) 0x{data[2:22].hex()}"
    if sub == 2 and len(data) >= 2:               # DSS: flags F m M a A, then ACK, mapping
        flags, pos, parts = data[1], 2, []
        if flags & 0x01:
            w = 8 if flags & 0x02 else 4
            parts.append(f"data ACK {int.from_bytes(data[pos:pos + w], 'big')}")
            pos += w
        if flags & 0x04:
            w = 8 if flags & 0x08 else 4
            dsn = int.from_bytes(data[pos:pos + w], "big")
            ssn = int.from_bytes(data[pos + w:pos + w + 4], "big")
            length = int.from_bytes(data[pos + w + 4:pos + w + 6], "big")
            parts.append(f"maps {length} bytes from subflow seq {ssn} to data seq {dsn}")
        if flags & 0x10:
            parts.append("DATA_FIN")
        return f"MPTCP {name}: " + (", ".join(parts) or "empty")
    return f"MPTCP {name} ({len(data) + 2} bytes)"


def tcp_options(opts) -> str:
    """scapy's list of TCP options, e.g. ``[(30, b'\\x01\\x81')]``, in words."""
    if not opts:
        return "none"
    out = []
    for kind, value in opts:
        if kind == 30 and isinstance(value, bytes):
            out.append(mptcp_option(value))
        elif isinstance(value, bytes):
            out.append(f"{kind} 0x{value.hex()}" if value else str(kind))
        elif value is None or value == b"":
            out.append(str(kind))
        else:
            out.append(f"{kind} {value}")
    return "; ".join(out)


def _fmt(layer: str, name: str, v) -> str:
    if name == "chksum":
        return f"0x{v:04x}"
    if name == "proto":
        return f"{v} ({PROTO.get(v, '?')})"
    if name in ("tos",):
        return f"0x{v:02x}"
    if name == "options":
        return tcp_options(v) if layer == "TCP" else ("none" if not v else str(v))
    if name == "flags" and not str(v):          # IP's, none set (scapy writes them as '')
        return "none"
    return str(v)


def _on_wire(layer, fld) -> bool:
    """Whether ``fld`` is part of this packet: scapy lists every field an ICMP message of
    any type could have (timestamps, gateway, address mask ...); only those whose
    condition holds for this type are in the bytes.  Empty fields are left out too."""
    cond = getattr(fld, "_evalcond", None)
    if cond is not None:
        try:
            if not cond(layer):
                return False
        except Exception:
            pass
    v = layer.getfieldval(fld.name)
    return v is not None and not (isinstance(v, bytes) and not v)


@functools.lru_cache(maxsize=4096)
def dissect(raw: bytes) -> list[tuple[str, list[tuple[str, str, tuple[int, int] | None]]]]:
    """[(layer, [(field, value, (start, end) byte range in the packet)])] as scapy reads ``raw``
    (kept by the bytes: a replay dissects a packet again as the next step's "before"; the
    list is only read)."""
    from scapy.layers.inet import IP
    p = IP(raw)
    out = []
    base = 0
    layer = p
    while layer is not None and layer.__class__.__name__ not in ("NoPayload",):
        name = layer.__class__.__name__
        offs = OFFSETS.get(name, {})
        fields = []
        if name == "Raw":
            n = len(layer.load)
            fields.append(("load", f"{n} bytes", (base, base + n)))
        else:
            hlen = 20
            if name == "TCP":
                hlen = (layer.dataofs or 5) * 4
                offs = dict(offs, options=(20, hlen)) if hlen > 20 else offs
            for fld in layer.fields_desc:
                if not _on_wire(layer, fld):
                    continue
                v = layer.getfieldval(fld.name)
                r = offs.get(fld.name)
                fields.append((fld.name, _fmt(name, fld.name, v), (base + r[0], base + r[1]) if r else None))
        out.append((name, fields))
        base = L4_BASE if name == "IP" else base + (hlen if name == "TCP" else 8)
        layer = layer.payload if layer.payload is not None else None
        if layer is not None and layer.__class__.__name__ == "NoPayload":
            break
    return out


def changed_bytes(before: bytes | None, after: bytes) -> list[int]:
    if before is None:
        return []
    return [k for k in range(min(len(before), len(after))) if before[k] != after[k]]


def _hexdump(raw: bytes, marks: set[int], cls: str, captured: bool = False) -> str:
    lines = []
    shown = raw[:HEX_MAX]
    for off in range(0, len(shown), 16):
        cells = []
        for k in range(off, min(off + 16, len(shown))):
            b = f"{shown[k]:02x}"
            cells.append(f'<mark data-off="{k}">{b}</mark>' if k in marks else b)
        lines.append(f"<span class=\"op1-off\">{off:04x}</span>  " + " ".join(cells))
    more = len(raw) - len(shown)
    if more > 0:
        lines.append(f"<span class=\"op1-off\">…</span>  {more} more bytes captured" if captured else
                     f"<span class=\"op1-off\">…</span>  {more} more payload bytes (zeros: the simulator "
                     "moves lengths, not contents)")
    return f'<pre class="op1-hex {cls}">' + "\n".join(lines) + "</pre>"


def layer_caption(name: str) -> str:
    """The caption of a layer's table in the packet pane, by scapy's name for the layer: "IP
    header", "TCP header"; the bytes after the headers "payload"; a header an ICMP error quotes
    (scapy's ``IPerror``, ``TCPerror``) "... quoted in the ICMP error"."""
    if name == "Raw":
        return "payload"
    if name == "Padding":
        return "padding"
    if name.endswith("error") and len(name) > 5:
        return f"{name[:-5]} header quoted in the ICMP error"
    return f"{name} header"


def pane(result, step: int) -> dict:
    """The pane's content for ``step``: html, the changed byte offsets and field names."""
    e = result.events[step]
    pkt = e.pkt
    if pkt is None:
        f = info_of(e)
        if e.ev is Ev.APP:
            text = app_words(f.get("what", ""), f.get("value", ""))
        else:
            text = ", ".join(f"{k} {v}" for k, v in f.items())
        kind = getattr(e.ev, "value", e.ev)
        return {"html": f'<div class="op1-pkthead">Event {step} · {h(kind)} at {h(title(result, e.node))}: '
                        f'no packet at this step' + (f'; {h(text)}' if text else '') + '.</div>',
                "changed": [], "fields": []}
    a = analysis_of(result)
    j = a.arrival(step)
    before_e = result.events[j] if j is not None else None
    before_pkt = before_e.pkt if before_e is not None else None
    after = result.packet_bytes(e)
    before = result.packet_bytes(before_e) if before_e is not None else None
    chg = changed_bytes(before, after)
    marks = set(chg)
    layers = _layers(result, e, after)
    old = {(l, n): v for l, fs in _layers(result, before_e, before) for n, v, _ in fs} if before is not None else {}
    changed_fields = []
    tables = []
    for lname, fields in layers:
        # Each layer a table captioned by what it is (for the eye, its first row says the same),
        # its name heading the three columns (colgroup: the value and what it was), a changed
        # field's mark a glyph only the eye gets: a screen reader said "diamond ttl", and after
        # it "was 64" says it changed.
        rows = [f'<caption class="op1-vh">{h(layer_caption(lname))}</caption><colgroup span="3"></colgroup>'
                f'<tr class="op1-layer"><th colspan="3" scope="colgroup">{h(lname)}</th></tr>']
        for name, v, rng in fields:
            was = old.get((lname, name))
            changed = before is not None and was is not None and was != v
            if changed:
                changed_fields.append(f"{lname}.{name}")
                rows.append(f'<tr class="op1-chg"><th scope="row"><span aria-hidden="true">◆ </span>{h(name)}</th><td>{h(v)}</td>'
                            f'<td>was {h(was)}</td></tr>')
            else:       # (the field's name heads its row: a screen reader says it with the value)
                rows.append(f'<tr><th scope="row">{h(name)}</th><td>{h(v)}</td><td></td></tr>')
        tables.append(f'<table class="op1-diss">{"".join(rows)}</table>')
    k = e.ev
    f = info_of(e)
    if k is Ev.HOP:
        where = f"on {e.node} ({f['from']} → {f['to']})"
        who = title(result, endpoint_node(f["from"]))
    else:
        where = f"{getattr(k, 'value', k)} at {title(result, e.node)}"
        who = title(result, e.node)
    if before is None:
        change = f"as {who} sent it: nothing changed yet"
    elif changed_fields:
        change = f"{who} changed " + ", ".join(changed_fields)
    else:
        change = f"{who} changed nothing"
    head = (f'<div class="op1-pkthead"><b>{h(pkt_name(pkt))}</b> {h(flow_text(pkt))} · event {step} · '
            f"t = {clock(e.t)} · {h(where)}</div>"
            f'<div class="op1-pktchg">{h(change)}</div>')
    cap, wire = result.is_capture, result.wire_len(e)
    size = f"{len(after)} bytes" if len(after) >= wire else f"{len(after)} of {wire} bytes captured"
    hexes = [f'<div class="op1-hexlab">after ({size})</div>' + _hexdump(after, marks, "after", cap)]
    if before is not None:
        hexes.append(f'<div class="op1-hexlab">before, as it arrived at {h(who)}: '
                     f'{h(flow_text(before_pkt))}</div>' + _hexdump(before, marks, "before", cap))
    body = (f'<div class="op1-pktcols">{"".join(tables)}</div>'
            f'<div class="op1-hexes">{"".join(hexes)}</div>')
    return {"html": head + body, "changed": chg, "fields": changed_fields}


def packet_pane(result, step: int) -> str:
    """HTML: the packet of ``step`` (a trace index) dissected by scapy from its real bytes,
    and its hexdump with the bytes the last node changed highlighted, before and after."""
    check_step(result, step)
    return f'<div class="op1-pkt">{pane(result, step)["html"]}</div>'
