"""mpmini.py — the minimal msgpack codec the test tools share (stdlib only).

mp_read(buf, pos) -> (value, next pos) reads maps, arrays, strings, bin and
unsigned ints, what an aggregator says; mp_write(value) writes them back
(maps with sorted keys, as the aggregator does), and Raw(bytes) is written
as it is, for a test that hands the client malformed msgpack.
"""


class Raw:
    def __init__(self, data):
        self.data = data


def mp_read(b, p):
    t = b[p]
    if t <= 0x7f:
        return t, p + 1
    if 0x80 <= t <= 0x8f or t in (0xde, 0xdf):
        if t <= 0x8f:
            n, p = t & 0x0f, p + 1
        elif t == 0xde:
            n, p = int.from_bytes(b[p + 1:p + 3], "big"), p + 3
        else:
            n, p = int.from_bytes(b[p + 1:p + 5], "big"), p + 5
        m = {}
        for _ in range(n):
            k, p = mp_read(b, p)
            v, p = mp_read(b, p)
            m[k] = v
        return m, p
    if 0x90 <= t <= 0x9f or t in (0xdc, 0xdd):
        if t <= 0x9f:
            n, p = t & 0x0f, p + 1
        elif t == 0xdc:
            n, p = int.from_bytes(b[p + 1:p + 3], "big"), p + 3
        else:
            n, p = int.from_bytes(b[p + 1:p + 5], "big"), p + 5
        a = []
        for _ in range(n):
            v, p = mp_read(b, p)
            a.append(v)
        return a, p
    if 0xa0 <= t <= 0xbf:
        n = t & 0x1f
        return b[p + 1:p + 1 + n].decode(), p + 1 + n
    sizes = {0xd9: 1, 0xda: 2, 0xdb: 4}
    if t in sizes:
        w = sizes[t]
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return b[p + 1 + w:p + 1 + w + n].decode(), p + 1 + w + n
    sizes = {0xc4: 1, 0xc5: 2, 0xc6: 4}
    if t in sizes:
        w = sizes[t]
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return bytes(b[p + 1 + w:p + 1 + w + n]), p + 1 + w + n
    sizes = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}
    if t in sizes:
        w = sizes[t]
        return int.from_bytes(b[p + 1:p + 1 + w], "big"), p + 1 + w
    raise ValueError("msgpack byte 0x%02x not expected in a reply" % t)


def mp_write(v):
    if isinstance(v, dict):
        assert len(v) < 16
        out = bytes([0x80 | len(v)])
        for k in sorted(v):
            out += mp_write(k) + mp_write(v[k])
        return out
    if isinstance(v, list):
        assert len(v) < 16
        return bytes([0x90 | len(v)]) + b"".join(mp_write(x) for x in v)
    if isinstance(v, Raw):
        return v.data
    if isinstance(v, str):
        s = v.encode()
        if len(s) < 32:
            return bytes([0xa0 | len(s)]) + s
        if len(s) < 256:
            return bytes([0xd9, len(s)]) + s
        return b"\xda" + len(s).to_bytes(2, "big") + s
    if isinstance(v, bytes):
        if len(v) < 256:
            return bytes([0xc4, len(v)]) + v
        return b"\xc5" + len(v).to_bytes(2, "big") + v
    if v < 0x80:
        return bytes([v])
    for tag, w in ((0xcc, 1), (0xcd, 2), (0xce, 4), (0xcf, 8)):
        if v < 1 << (8 * w):
            return bytes([tag]) + v.to_bytes(w, "big")
    raise ValueError(v)
