#!/usr/bin/env python3
"""rfc9162.py - an independent reference for lumbung's Merkle proofs.

Written straight from RFC 9162 section 2.1 (MTH, PATH, SUBPROOF, the
recursive definitions) over Python's hashlib.blake2b(digest_size=32), and
from docs/FORMAT.md / docs/PROOFS.md for the bytes.  It shares no code with
the C implementation, so when both agree on a path neither is checking
itself.

    rfc9162.py roots FILE.lla
        one line per signed head: "SEQ ROOT ok" when MTH(D[0:SEQ]) of the
        archive's entry hashes equals the root the head signs, else
        "SEQ ROOT MISMATCH signed=ROOT" (exit 1)
    rfc9162.py inclusion FILE.lla SEQ SIZE
        PATH(SEQ-1, D[SIZE]), one hex hash per line
    rfc9162.py consistency FILE.lla OLD NEW
        PROOF(OLD, D[NEW]) = SUBPROOF(OLD, D[NEW], true), one hex hash per line
    rfc9162.py decode PROOF
        the proof file as JSON: kind, sizes, leaf seq, hashes, byte offsets of
        its parts (for tests that change one bit of one part)
    rfc9162.py compare PROOF FILE.lla
        recompute the proof's path from the archive and check that it, the
        entry and the head(s) are exactly what the archive gives; exit 0 if so

The archive: magic b"LUMBUNG-LLA\\n\\x01", then frames, each a u32 big-endian
length and one msgpack array [kind, ...] (0 header, 1 entry, 2 head,
3 receipt, 4 fork, 5 trailer).  Only the few msgpack types lumbung's
framing uses are decoded here.
"""
import hashlib
import json
import struct
import sys

MAGIC = b"LUMBUNG-LLA\n\x01"
SIG_BYTES = 64


def H(data):
    return hashlib.blake2b(data, digest_size=32).digest()


# ---- RFC 9162 section 2.1, recursively ------------------------------------

def largest_pow2_below(n):
    """k such that k < n <= 2k (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def MTH(D):
    n = len(D)
    if n == 0:
        return H(b"")
    if n == 1:
        return H(b"\x00" + D[0])
    k = largest_pow2_below(n)
    return H(b"\x01" + MTH(D[:k]) + MTH(D[k:]))


def PATH(m, D):
    n = len(D)
    if n == 1:
        return []
    k = largest_pow2_below(n)
    if m < k:
        return PATH(m, D[:k]) + [MTH(D[k:])]
    return PATH(m - k, D[k:]) + [MTH(D[:k])]


def SUBPROOF(m, D, b):
    n = len(D)
    if m == n:
        return [] if b else [MTH(D)]
    k = largest_pow2_below(n)
    if m <= k:
        return SUBPROOF(m, D[:k], b) + [MTH(D[k:])]
    return SUBPROOF(m - k, D[k:], False) + [MTH(D[:k])]


def PROOF(m, D):
    return SUBPROOF(m, D, True)


# ---- a minimal msgpack reader ---------------------------------------------

class Reader:
    def __init__(self, buf, pos=0):
        self.buf = buf
        self.pos = pos

    def take(self, n):
        if self.pos + n > len(self.buf):
            raise ValueError("msgpack: truncated at byte %d" % self.pos)
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def uint(self, n):
        return int.from_bytes(self.take(n), "big")

    def value(self):
        """One value; bin and str come back as (type, bytes, offset)."""
        c = self.take(1)[0]
        if c <= 0x7f:
            return c
        if 0x80 <= c <= 0x8f:
            return self.map(c & 0x0f)
        if 0x90 <= c <= 0x9f:
            return [self.value() for _ in range(c & 0x0f)]
        if 0xa0 <= c <= 0xbf:
            return self.blob("str", c & 0x1f)
        if c == 0xc0:
            return None
        if c in (0xc2, 0xc3):
            return c == 0xc3
        if c in (0xc4, 0xc5, 0xc6):
            return self.blob("bin", self.uint(1 << (c - 0xc4)))
        if c in (0xcc, 0xcd, 0xce, 0xcf):
            return self.uint(1 << (c - 0xcc))
        if c in (0xd9, 0xda, 0xdb):
            return self.blob("str", self.uint(1 << (c - 0xd9)))
        if c in (0xdc, 0xdd):
            return [self.value() for _ in range(self.uint(2 << (c - 0xdc)))]
        if c in (0xde, 0xdf):
            return self.map(self.uint(2 << (c - 0xde)))
        raise ValueError("msgpack: type 0x%02x is not used by lumbung framing" % c)

    def blob(self, kind, n):
        at = self.pos
        return (kind, self.take(n), at)

    def map(self, n):
        out = {}
        for _ in range(n):
            k = self.value()
            out[k[1].decode()] = self.value()
        return out


def blob(v, kind="bin"):
    if not (isinstance(v, tuple) and v[0] == kind):
        raise ValueError("expected %s, got %r" % (kind, v))
    return v[1]


def entry_seq(entry):
    """seq is the first element of the entry array (FORMAT.md section 2)."""
    r = Reader(entry)
    c = r.take(1)[0]
    if c != 0x98:
        raise ValueError("entry is not an array of 8")
    return r.value()


def head_fields(head):
    """(village, origin, seq, hash, root, offset of root in head)."""
    r = Reader(head, SIG_BYTES)
    msg = r.value()
    if len(msg) != 8 or blob(msg[0], "str") != b"lumbung-head" or msg[1] != 1:
        raise ValueError("not a lumbung head")
    return (blob(msg[2], "str").decode(), blob(msg[3]), msg[4], blob(msg[5]),
            blob(msg[6]), msg[6][2])


def read_archive(path):
    """The entry bytes in file order and the heads as (seq, bytes)."""
    data = open(path, "rb").read()
    if not data.startswith(MAGIC):
        raise ValueError("%s: not a lumbung log archive" % path)
    pos, entries, heads = len(MAGIC), [], []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        frame = Reader(data[pos + 4:pos + 4 + n]).value()
        pos += 4 + n
        if frame[0] == 1:
            e = blob(frame[1])
            if entry_seq(e) != len(entries) + 1:
                raise ValueError("entry seq %d out of order" % entry_seq(e))
            entries.append(e)
        elif frame[0] == 2:
            h = blob(frame[1])
            heads.append((head_fields(h)[2], h))
    return entries, heads


def leaves(entries, n):
    return [H(e) for e in entries[:n]]


def decode_proof(path):
    buf = open(path, "rb").read()
    r = Reader(buf)
    m = r.value()
    if r.pos != len(buf):
        raise ValueError("trailing bytes after the proof map")
    if m.get("v") != 1:
        raise ValueError("proof version is not 1")
    kind = blob(m["kind"], "str").decode()
    p = {"kind": kind, "path": [blob(h) for h in m["path"]],
         "path_offsets": [h[2] for h in m["path"]]}
    if kind == "inclusion":
        p["entry"], p["entry_offset"] = blob(m["entry"]), m["entry"][2]
        p["head"], p["head_offset"] = blob(m["head"]), m["head"][2]
        p["seq"] = entry_seq(p["entry"])
        p["size"] = head_fields(p["head"])[2]
    elif kind == "consistency":
        p["old"], p["old_offset"] = blob(m["old"]), m["old"][2]
        p["head"], p["head_offset"] = blob(m["new"]), m["new"][2]
        p["old_size"] = head_fields(p["old"])[2]
        p["size"] = head_fields(p["head"])[2]
    else:
        raise ValueError("unknown proof kind %r" % kind)
    return p


# ---- commands ---------------------------------------------------------------

def cmd_roots(lla):
    entries, heads = read_archive(lla)
    bad = 0
    for seq, h in heads:
        root = MTH(leaves(entries, seq))
        signed = head_fields(h)[4]
        if root == signed:
            print(seq, root.hex(), "ok")
        else:
            bad += 1
            print(seq, root.hex(), "MISMATCH signed=" + signed.hex())
    return 1 if bad else 0


def cmd_inclusion(lla, seq, size):
    entries, _ = read_archive(lla)
    for h in PATH(int(seq) - 1, leaves(entries, int(size))):
        print(h.hex())
    return 0


def cmd_consistency(lla, old, new):
    entries, _ = read_archive(lla)
    for h in PROOF(int(old), leaves(entries, int(new))):
        print(h.hex())
    return 0


def cmd_decode(proof):
    p = decode_proof(proof)
    out = {}
    for k, v in p.items():
        if isinstance(v, bytes):
            out[k] = v.hex()
        elif k == "path":
            out[k] = [h.hex() for h in v]
        else:
            out[k] = v
    for part in ("head", "old"):
        if part in p:
            out[part + "_root_offset"] = p[part + "_offset"] + head_fields(p[part])[5]
    print(json.dumps(out, sort_keys=True))
    return 0


def cmd_compare(proof, lla):
    p = decode_proof(proof)
    entries, heads = read_archive(lla)
    stored = dict((seq, h) for seq, h in heads)
    problems = []
    if stored.get(p["size"]) != p["head"]:
        problems.append("the head is not the archive's signed head at seq %d" % p["size"])
    D = leaves(entries, p["size"])
    if len(D) != p["size"]:
        problems.append("the archive has only %d entries" % len(D))
    elif MTH(D) != head_fields(p["head"])[4]:
        problems.append("the head's root is not MTH of the archive's entries")
    if p["kind"] == "inclusion":
        if entries[p["seq"] - 1] != p["entry"]:
            problems.append("the entry is not the archive's entry %d" % p["seq"])
        want = PATH(p["seq"] - 1, D)
    else:
        if stored.get(p["old_size"]) != p["old"]:
            problems.append("the old head is not the archive's head at seq %d" % p["old_size"])
        want = PROOF(p["old_size"], D)
    if want != p["path"]:
        problems.append("path differs from RFC 9162: proof has %d hashes %s, reference %d %s"
                        % (len(p["path"]), [h.hex()[:8] for h in p["path"]],
                           len(want), [h.hex()[:8] for h in want]))
    for msg in problems:
        print("MISMATCH:", msg)
    if not problems:
        print("same: %s proof, %d hashes, tree size %d" % (p["kind"], len(want), p["size"]))
    return 1 if problems else 0


def main(argv):
    cmds = {"roots": (cmd_roots, 1), "inclusion": (cmd_inclusion, 3),
            "consistency": (cmd_consistency, 3), "decode": (cmd_decode, 1),
            "compare": (cmd_compare, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    try:
        return cmds[argv[1]][0](*argv[2:])
    except (ValueError, KeyError, IndexError, OSError) as e:
        sys.stderr.write("rfc9162.py: %s\n" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
