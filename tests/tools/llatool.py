#!/usr/bin/env python3
"""llatool.py — read and tamper with lumbung log archives (.lla) for the
black-box tests (stdlib only; the format is node/archive.h, docs/FORMAT.md).

  llatool.py list FILE                     one line per frame:
                                           N KIND OFFSET LENGTH [SEQ]
  llatool.py dump FILE KIND                hex of every frame of KIND
                                           (entry, head, receipt, fork), one a line
  llatool.py offset FILE N|trailer         byte offset where frame N starts
  llatool.py flip FILE OUT SEQ WHERE       change one byte of entry SEQ:
                                           WHERE = seq (its seq field), ts, body
                                           (a letter of its longest string value),
                                           prev (its prev hash)
  llatool.py drop FILE OUT SEQ             remove the frame of entry SEQ
  llatool.py swap FILE OUT SEQ             swap the frames of entries SEQ, SEQ+1
  llatool.py strip FILE OUT KIND           remove every frame of KIND
  llatool.py poke FILE OUT N BIN AT        flip one bit of byte AT (negative: from
                                           the end) of bin BIN (0 or 1) of frame N
  llatool.py set-origin FILE OUT HEX       rewrite the origin in the header
  llatool.py tail FILE OUT K               the archive of the log's tail from seq
                                           K: header "from": K, the entries, heads
                                           and receipts of seqs before K left out

Frames: the 13-byte magic, then per frame a u32 big-endian length and a
msgpack array [kind, bin, (bin)]; the header and trailer hold maps.  Every
change keeps the frame lengths valid, so what the verifier sees is a
well-formed archive whose content lies.  Exit 0 on success; errors say why.
"""
import struct
import sys

MAGIC = b"LUMBUNG-LLA\n\x01"
KINDS = {0: "header", 1: "entry", 2: "head", 3: "receipt", 4: "fork", 5: "trailer",
         6: "fork-entry", 7: "succession"}
KIND_OF = {v: k for k, v in KINDS.items()}


def die(msg):
    sys.exit("llatool: " + msg)


# ---- a minimal msgpack reader: (value or None, end offset) -----------------

def mp_skip(b, p):
    """Offset just past the msgpack value at p, and its (kind, start, length)
    for str/bin/uint so callers can find fields."""
    t = b[p]
    if t <= 0x7F or t >= 0xE0:
        return p + 1, ("int", p, 1)
    if 0x80 <= t <= 0x8F:
        return mp_skip_n(b, p + 1, 2 * (t & 0x0F)), ("map", p, t & 0x0F)
    if 0x90 <= t <= 0x9F:
        return mp_skip_n(b, p + 1, t & 0x0F), ("array", p, t & 0x0F)
    if 0xA0 <= t <= 0xBF:
        n = t & 0x1F
        return p + 1 + n, ("str", p + 1, n)
    if t in (0xC0, 0xC2, 0xC3):
        return p + 1, ("nil", p, 1)
    if t in (0xC4, 0xC5, 0xC6):
        w = {0xC4: 1, 0xC5: 2, 0xC6: 4}[t]
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return p + 1 + w + n, ("bin", p + 1 + w, n)
    if t in (0xD9, 0xDA, 0xDB):
        w = {0xD9: 1, 0xDA: 2, 0xDB: 4}[t]
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return p + 1 + w + n, ("str", p + 1 + w, n)
    if t in (0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3, 0xCA, 0xCB):
        w = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8,
             0xCA: 4, 0xCB: 8}[t]
        return p + 1 + w, ("int", p + 1, w)
    if t in (0xDC, 0xDD):
        w = 2 if t == 0xDC else 4
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return mp_skip_n(b, p + 1 + w, n), ("array", p, n)
    if t in (0xDE, 0xDF):
        w = 2 if t == 0xDE else 4
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return mp_skip_n(b, p + 1 + w, 2 * n), ("map", p, n)
    die("unsupported msgpack byte 0x%02x at %d" % (t, p))


def mp_skip_n(b, p, n):
    for _ in range(n):
        p, _ = mp_skip(b, p)
    return p


def mp_uint(b, p):
    t = b[p]
    if t <= 0x7F:
        return t
    w = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[t]
    return int.from_bytes(b[p + 1:p + 1 + w], "big")


# ---- frames ------------------------------------------------------------------

class Frame:
    def __init__(self, n, off, raw):
        self.n, self.off, self.raw = n, off, raw  # raw: length prefix + payload
        pay = raw[4:]
        self.kind = pay[1]
        self.bins = []  # (start, length) within raw of each bin element
        p = 2
        for _ in range((pay[0] & 0x0F) - 1):
            end, (kind, start, length) = mp_skip(pay, p)
            if kind == "bin":
                self.bins.append((4 + start, length))
            p = end

    def data(self, i=0):
        s, n = self.bins[i]
        return self.raw[s:s + n]

    def seq(self):
        if self.kind in (1, 6):  # entry, fork entry: [seq, ...]
            return mp_uint(self.data(), 1)
        if self.kind in (2, 4):  # head: sig(64) || [tag, v, village, origin, seq, ...]
            h = self.data()
            p = mp_skip_n(h, 64 + 1, 4)
            return mp_uint(h, p)
        if self.kind == 3:  # receipt: sig(64) || [tag, v, origin, seq, ...]
            rc = self.data(1)
            return mp_uint(rc, mp_skip_n(rc, 64 + 1, 3))
        return None


def read(path):
    b = open(path, "rb").read()
    if not b.startswith(MAGIC):
        die(path + ": not a lumbung log archive")
    frames, p, n = [], len(MAGIC), 0
    while p < len(b):
        if p + 4 > len(b):
            die("%s: cut inside the length of frame %d" % (path, n + 1))
        ln = struct.unpack(">I", b[p:p + 4])[0]
        n += 1
        frames.append(Frame(n, p, bytearray(b[p:p + 4 + ln])))
        p += 4 + ln
    return frames


def write(path, frames):
    with open(path, "wb") as f:
        f.write(MAGIC)
        for fr in frames:
            f.write(fr.raw)


def entry_index(frames, seq):
    for i, fr in enumerate(frames):
        if fr.kind == 1 and fr.seq() == seq:
            return i
    die("no entry for seq %d" % seq)


def flip(fr, where):
    s, n = fr.bins[0]
    e = fr.raw  # entry bytes are raw[s:s+n]
    if where == "prev":
        e[s + n - 5] ^= 0x01  # inside the 32-byte prev hash, the last field
        return
    p = s + 1  # past the array header
    seq_end, (_, vs, vl) = mp_skip(e, p)
    if where == "seq":
        e[vs + vl - 1] ^= 0x01
        return
    ts_end, (_, ts, tl) = mp_skip(e, seq_end)
    if where == "ts":
        e[ts + tl - 1] ^= 0x01
        return
    if where != "body":
        die("WHERE is seq, ts, body or prev")
    p, _ = mp_skip(e, ts_end)  # op
    p, _ = mp_skip(e, p)  # type
    p, _ = mp_skip(e, p)  # id
    end, (kind, _, pairs) = mp_skip(e, p)
    if kind != "map":
        die("entry has no body (a del)")
    q = p + 1 if e[p] <= 0x8F else p + 3
    best = None
    for _ in range(pairs):
        q, _ = mp_skip(e, q)  # key
        q, (vk, vs, vl) = mp_skip(e, q)
        letters = vk == "str" and any(chr(c).isalpha() and c < 0x80 for c in e[vs:vs + vl])
        if letters and (best is None or vl > best[1]):
            best = (vs, vl)
    if best is None:
        die("entry body has no string value with a letter")
    for i in range(best[0] + best[1] // 2, best[0] + best[1]):
        if chr(e[i]).isalpha() and e[i] < 0x80:
            e[i] ^= 0x20  # swap case: still valid UTF-8
            return
    for i in range(best[0], best[0] + best[1]):
        if chr(e[i]).isalpha() and e[i] < 0x80:
            e[i] ^= 0x20
            return
    die("no letter to flip in the body")


def main():
    a = sys.argv[1:]
    if len(a) < 2:
        die("usage: see the top of tests/tools/llatool.py")
    cmd, path = a[0], a[1]
    frames = read(path)
    if cmd == "list":
        for fr in frames:
            s = fr.seq()
            print(fr.n, KINDS.get(fr.kind, "?"), fr.off, len(fr.raw), "" if s is None else s)
        sys.stdout.flush()
    elif cmd == "dump":
        k = KIND_OF[a[2]]
        for fr in frames:
            if fr.kind == k:
                print(" ".join(fr.data(i).hex() for i in range(len(fr.bins))))
    elif cmd == "offset":
        if a[2] == "trailer":
            t = [fr for fr in frames if fr.kind == 5]
            if not t:
                die("no trailer")
            print(t[0].off)
        else:
            print(frames[int(a[2]) - 1].off)
    elif cmd == "flip":
        flip(frames[entry_index(frames, int(a[3]))], a[4])
        write(a[2], frames)
    elif cmd == "drop":
        del frames[entry_index(frames, int(a[3]))]
        write(a[2], frames)
    elif cmd == "swap":
        i, j = entry_index(frames, int(a[3])), entry_index(frames, int(a[3]) + 1)
        frames[i], frames[j] = frames[j], frames[i]
        write(a[2], frames)
    elif cmd == "strip":
        k = KIND_OF[a[3]]
        write(a[2], [fr for fr in frames if fr.kind != k])
    elif cmd == "poke":
        fr = frames[int(a[3]) - 1]
        s, n = fr.bins[int(a[4])]
        at = int(a[5])
        fr.raw[s + (at if at >= 0 else n + at)] ^= 0x01
        write(a[2], frames)
    elif cmd == "set-origin":
        h = frames[0]
        at = h.raw.find(b"\xa6origin\xc4\x20")
        if h.kind != 0 or at < 0:
            die("the first frame is not a header with an origin")
        h.raw[at + 9:at + 41] = bytes.fromhex(a[3])
        write(a[2], frames)
    elif cmd == "tail":
        k = int(a[3])
        h = frames[0]
        if h.kind != 0 or h.raw[6] != 0x84:
            die("the first frame is not a header of a whole log")
        kb = bytes([k]) if k < 128 else b"\xcd" + struct.pack(">H", k)
        pay = bytes(h.raw[4:6]) + b"\x85\xa4from" + kb + bytes(h.raw[7:])
        h.raw = bytearray(struct.pack(">I", len(pay)) + pay)
        keep = [h]
        for fr in frames[1:]:
            sq = fr.seq()
            if fr.kind in (1, 2, 3) and sq is not None and sq < k:
                continue
            keep.append(fr)
        write(a[2], keep)
    else:
        die("unknown command " + cmd)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # `llatool.py list | awk '... exit'`
        sys.stderr.close()
        sys.exit(0)
