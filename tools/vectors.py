#!/usr/bin/env python3
"""vectors.py — conformance vectors for docs/FORMAT.md and docs/PROOFS.md.

    python3 tools/vectors.py OUTDIR

writes small log archives (.lla), change sets and proof files, honest and
broken in each way a verifier must catch, and OUTDIR/vectors.json, the
manifest saying for each file what a verifier must answer.

Everything here is built from the documents alone, on purpose without the
project's C code: its own canonical msgpack encoder, BLAKE2b-256 from
hashlib, the RFC 9162 Merkle tree from its recursive definitions (the
project's Python reference, tests/tools/rfc9162.py), Ed25519
from python3-cryptography (deterministic signatures, RFC 8032).  Keys come
from fixed seeds and timestamps are fixed, so every run writes the same
bytes.  Before writing anything it reproduces the worked example of
FORMAT.md §2 (a 91-byte entry and its hash).
"""

import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# ---- canonical msgpack (FORMAT.md §1) ------------------------------------


class Raw:
    """Bytes put into the output as they are (a deliberately broken value)."""

    def __init__(self, b):
        self.b = bytes(b)


class RawMap:
    """A map whose (key, value) pairs are written in the given order, keys
    as given: for unsorted and repeated keys."""

    def __init__(self, pairs):
        self.pairs = list(pairs)


def _hdr(n, fix, fixmax, codes):
    if n <= fixmax and fix is not None:
        return bytes([fix | n])
    for code, size in codes:
        if n < (1 << (8 * size)):
            return bytes([code]) + n.to_bytes(size, "big")
    raise ValueError("too long")


def enc(v):
    if isinstance(v, Raw):
        return v.b
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if v >= 0:
            if v < 0x80:
                return bytes([v])
            for code, size in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8)):
                if v < (1 << (8 * size)):
                    return bytes([code]) + v.to_bytes(size, "big")
            raise ValueError("integer too large")
        if v >= -32:
            return bytes([v & 0xFF])
        for code, size in ((0xD0, 1), (0xD1, 2), (0xD2, 4), (0xD3, 8)):
            if v >= -(1 << (8 * size - 1)):
                return bytes([code]) + v.to_bytes(size, "big", signed=True)
        raise ValueError("integer too small")
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _hdr(len(b), 0xA0, 31, ((0xD9, 1), (0xDA, 2), (0xDB, 4))) + b
    if isinstance(v, (bytes, bytearray)):
        return _hdr(len(v), None, -1, ((0xC4, 1), (0xC5, 2), (0xC6, 4))) + bytes(v)
    if isinstance(v, (list, tuple)):
        return _hdr(len(v), 0x90, 15, ((0xDC, 2), (0xDD, 4))) + b"".join(enc(x) for x in v)
    if isinstance(v, RawMap):
        out = _hdr(len(v.pairs), 0x80, 15, ((0xDE, 2), (0xDF, 4)))
        for k, x in v.pairs:
            out += enc(k) + enc(x)
        return out
    if isinstance(v, dict):
        items = sorted(((k.encode("utf-8"), x) for k, x in v.items()), key=lambda kv: kv[0])
        out = _hdr(len(items), 0x80, 15, ((0xDE, 2), (0xDF, 4)))
        for k, x in items:
            out += enc(k.decode("utf-8")) + enc(x)
        return out
    raise TypeError(type(v))


# ---- hashes, Merkle tree (§3), keys ---------------------------------------


def H(b):
    return hashlib.blake2b(b, digest_size=32).digest()


# RFC 9162 §2.1 (MTH, PATH, PROOF) from the recursive definitions: the
# project's Python reference, which shares no code with the C side either
sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "tools"))
from rfc9162 import MTH as mth, PATH as inclusion_path, PROOF as consistency_path  # noqa: E402


class Key:
    def __init__(self, label):
        self.seed = H(b"lumbung vectors: " + label.encode())
        self.sk = Ed25519PrivateKey.from_private_bytes(self.seed)
        self.pk = self.sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, msg):
        return self.sk.sign(msg)


L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = b"\x01" + bytes(31)  # the neutral point, encoded
IDENTITY_SIG = IDENTITY + bytes(32)  # R = identity, S = 0


def s_plus_l(sig):
    """The same signature with S + L: accepted by a verifier that does not
    insist on S < L, refused by RFC 8032's strict check."""
    s = int.from_bytes(sig[32:], "little") + L
    return sig[:32] + s.to_bytes(32, "little")


# ---- the records ----------------------------------------------------------

VILLAGE = "33.24.01.2001"
OTHER_VILLAGE = "33.24.01.2002"
T0 = 1795424400000  # 2026-11-23T09:00:00Z, the §2 example's time


def hlc(i):
    return (T0 + i * 60000) << 16


def program(extra=None, anggaran=150000000):
    b = {"kode": "PKH-2026", "nama": "Program Keluarga Harapan", "bidang": "sosial",
         "anggaran": anggaran, "tahun": 2026}
    if extra:
        b.update(extra)
    return b


def penerima(nik, status):
    return {"program": "PKH-2026", "nik": nik, "tanggal": "2026-11-23", "bentuk": "uang",
            "nilai": 750000, "status": status}


# (op, type, id, body); op 0 put, 1 del
SMALL = [
    (0, "program", "PKH-2026", program()),
    (0, "penerima", "pkh-0001", penerima("3324011201900001", "diusulkan")),
    (0, "penerima", "pkh-0002", penerima("3324015203850002", "diverifikasi")),
    (1, "penerima", "pkh-0002", None),
]


def entry_bytes(seq, ts, op, typ, rid, body, prev, schema=1, seq_raw=None):
    return enc([Raw(seq_raw) if seq_raw else seq, ts, op, typ, rid, body, schema, prev])


class Chain:
    """Entries chained by prev, with their hashes; heads over any prefix."""

    def __init__(self, village=VILLAGE, prev_hashes=()):
        self.village = village
        self.entries = []
        self.hashes = list(prev_hashes)  # hashes of the entries before ours
        self.base = len(self.hashes)

    @property
    def seq(self):
        return len(self.hashes)

    def add(self, op, typ, rid, body, ts=None, prev=None, raw=None, **kw):
        seq = self.seq + 1
        if prev is None:
            prev = self.hashes[-1] if self.hashes else bytes(32)
        b = raw if raw is not None else entry_bytes(seq, hlc(seq) if ts is None else ts, op,
                                                    typ, rid, body, prev, **kw)
        self.entries.append(b)
        self.hashes.append(H(b))
        return b

    def entry(self, seq):
        return self.entries[seq - 1 - self.base]

    def ts(self, seq):
        return hlc(seq)

    def head(self, seq, key, village=None, origin=None, ts=None, sig=None):
        msg = enc(["lumbung-head", 1, village or self.village, origin or key.pk, seq,
                   self.hashes[seq - 1], mth(self.hashes[:seq]),
                   self.ts(seq) if ts is None else ts])
        return (sig if sig is not None else key.sign(msg)) + msg

    def receipt(self, seq, agg, at=None):
        msg = enc(["lumbung-receipt", 1, self.origin, seq, self.hashes[seq - 1],
                   mth(self.hashes[:seq]), T0 + 3600000 if at is None else at])
        return agg.sign(msg) + msg


def small_chain(origin, items=SMALL):
    c = Chain()
    c.origin = origin.pk
    for op, typ, rid, body in items:
        c.add(op, typ, rid, body)
    return c


# ---- archives (§9) ----------------------------------------------------------

MAGIC = b"LUMBUNG-LLA\n\x01"


def header(origin, source="node", village=VILLAGE, frm=None):
    h = {"origin": origin, "source": source, "v": 1, "village": village}
    if frm is not None:
        h["from"] = frm
    return [0, h]


def archive(frames, trailer=True, counts=None):
    """frames: msgpack-able arrays, header first; the trailer is added with
    the counts of what is there (or `counts` instead)."""
    c = {"entries": 0, "forks": 0, "heads": 0, "receipts": 0}
    for f in frames:
        k = f[0]
        if k in (1, 6):
            c["entries"] += 1
        elif k == 2:
            c["heads"] += 1
        elif k == 3:
            c["receipts"] += 1
        elif k == 4:
            c["forks"] += 1
    if counts:
        c.update(counts)
    if trailer:
        frames = frames + [[5, c]]
    out = MAGIC
    for f in frames:
        p = enc(f)
        out += struct.pack(">I", len(p)) + p
    return out


def log_frames(c, key, heads, receipts=None, succ=None, first=1, last=None):
    """Entry frames first..last with a head after each seq in heads (signed
    by key, or by heads[seq] when heads is a dict), receipts[seq] after it."""
    fr = []
    last = c.seq if last is None else last
    for s in range(first, last + 1):
        fr.append([1, c.entry(s)])
        if s in heads:
            k = heads[s] if isinstance(heads, dict) else key
            fr.append([2, c.head(s, k) if isinstance(k, Key) else k])
            if succ and s in succ:
                fr.append([7, succ[s]])
            for agg, r in (receipts or {}).get(s, []):
                fr.append([3, agg, r])
    return fr


# ---- the vectors ------------------------------------------------------------


def hexs(b):
    return b.hex()


class Out:
    def __init__(self, d):
        self.dir = d
        self.manifest = []

    def add(self, name, data, check, rule, why, ok, error=None, message=None, key=None,
            agg_keys=(), expect=None, write=True, ingest_after=None):
        if write:
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(data)
        m = {"file": name, "check": check, "key": hexs(key) if key else None,
             "agg_keys": [hexs(a) for a in agg_keys], "ok": ok, "error": error,
             "message": message, "expect": expect or {}, "rule": rule, "why": why}
        if ingest_after:
            m["ingest_after"] = ingest_after
        self.manifest.append(m)


def self_check():
    """FORMAT.md §2's worked example, byte for byte."""
    e = entry_bytes(1, 1795424400000 << 16, 0, "penduduk", "3324011201900001",
                    {"rt": "001", "nama": "Siti"}, bytes(32), schema=0)
    assert len(e) == 91, len(e)
    assert e[:10] == bytes.fromhex("9801cf01a207a2328000"), e[:10].hex()
    assert H(e).hex() == "8772fed3f30af435d3dbd5b41562273ebbca325ef21ba7b7ff896332e35dd78d", \
        H(e).hex()
    # §7's example: the same entry as a change set, 143 bytes
    cs = enc({"entries": [Raw(b"\x97" + e[1:-34])], "head": b"\x11" * 3,
              "origin": b"\xaa" * 32, "v": 1, "village": VILLAGE})
    assert len(cs) == 143, len(cs)
    # §9's example: 450 bytes; the head message 141 bytes
    c = Chain()
    c.add(0, "x", "x", None, raw=e)
    k = Key("self-check")
    hd = c.head(1, k, origin=b"\xaa" * 32, ts=1795424400000 << 16)
    assert len(hd) == 205, len(hd)
    a = archive([header(b"\xaa" * 32), [1, e], [2, hd]])
    assert len(a) == 450, len(a)


def nested(depth):
    """A value whose deepest element is at `depth` when the value itself is
    at depth 2 (a field of the body map, which is depth 1): arrays down to
    depth-1, holding the integer 1 at depth `depth`."""
    v = 1
    for _ in range(depth - 2):
        v = [v]
    return v


def changeset(c, first, last, head, origin):
    wire = [Raw(b"\x97" + c.entry(s)[1:-34]) for s in range(first, last + 1)]
    return enc({"entries": wire, "head": head, "origin": origin, "v": 1,
                "village": c.village})


def main(outdir):
    self_check()
    os.makedirs(outdir, exist_ok=True)
    o = Out(outdir)
    V, V2 = Key("village"), Key("village 2")
    A1, A2 = Key("aggregator 1"), Key("aggregator 2")
    VN = Key("village new key")
    aggs = sorted([A1, A2], key=lambda k: k.pk)

    c = small_chain(V)
    HEADS = (2, 4)

    # -- honest logs --
    o.add("archive-empty.lla", archive([header(V.pk)]), "verify", "§9 log archive",
          "a log with no entries: header and trailer only", True, key=V.pk,
          expect={"entries": 0})
    small = archive([header(V.pk)] + log_frames(c, V, HEADS))
    o.add("archive-small.lla", small, "verify", "§2 §4 §9 log",
          "four entries (three puts, one del), heads at seq 2 and 4, no receipts", True,
          key=V.pk, expect={"entries": 4, "last_seq": 4, "heads": 2,
                            "last_hash": hexs(c.hashes[3]), "root": hexs(mth(c.hashes))})
    rc = {4: [(a.pk, c.receipt(4, a)) for a in aggs]}
    withr = archive([header(V.pk)] + log_frames(c, V, HEADS, rc))
    why = "the small log with receipts from two aggregators after the head at seq 4"
    o.add("archive-receipts.lla", withr, "verify", "§8 §9 receipts", why + ", no key pinned",
          True, key=V.pk, expect={"receipts_count": 2, "receipts_pinned": 0,
                                  "receipts_unverified": 2})
    o.add("archive-receipts.lla", withr, "verify", "§8 §9 receipts",
          why + ", one aggregator pinned", True, key=V.pk, agg_keys=[A1.pk],
          expect={"receipts_count": 2, "receipts_pinned": 1, "receipts_unverified": 1},
          write=False)
    o.add("archive-receipts.lla", withr, "verify", "§8 §9 receipts",
          why + ", both aggregators pinned", True, key=V.pk, agg_keys=[A1.pk, A2.pk],
          expect={"receipts_count": 2, "receipts_pinned": 2, "receipts_unverified": 0},
          write=False)
    agg_arch = archive([header(V.pk, "aggregator")] + log_frames(c, V, HEADS)
                       + [[3, A1.pk, c.receipt(4, A1)]])
    o.add("archive-aggregator.lla", agg_arch, "verify", "§9 §17 aggregator's archive",
          "an aggregator's copy: entries and heads, one receipt it signed after the last head",
          True, key=V.pk, agg_keys=[A1.pk], expect={"entries": 4, "receipts_count": 1})

    # U+2028 in an id: a separator, not a control character
    c28 = small_chain(V, SMALL[:2] + [(0, "penerima", "pkh\u2028line",
                                       penerima("3324015203850002", "diusulkan"))])
    o.add("archive-id-u2028.lla", archive([header(V.pk)] + log_frames(c28, V, (3,))),
          "verify", "§2 id", "an id holding U+2028 LINE SEPARATOR (not a control character)",
          True, key=V.pk)

    # -- proofs (PROOFS.md) --
    incl = enc({"entry": c.entry(3), "head": c.head(4, V), "kind": "inclusion",
                "path": inclusion_path(2, c.hashes[:4]), "v": 1})
    o.add("proof-inclusion.msgpack", incl, "check-proof", "PROOFS inclusion",
          "entry 3 is in the log the village signed at seq 4 (a path of two hashes)", True,
          key=V.pk)
    cons = enc({"kind": "consistency", "new": c.head(4, V), "old": c.head(2, V),
                "path": consistency_path(2, c.hashes[:4]), "v": 1})
    o.add("proof-consistency.msgpack", cons, "check-proof", "PROOFS consistency",
          "the log signed at seq 4 extends the log signed at seq 2", True, key=V.pk)
    bad = bytearray(incl)
    p = bad.find(b"path") + 4 + 1 + 2  # array header, bin8 header of the first hash
    bad[p] ^= 0x01
    o.add("proof-inclusion-bad-path.msgpack", bytes(bad), "check-proof", "PROOFS inclusion",
          "one bit of the first path hash changed: the path does not lead to the signed root",
          False, "bad_signature", key=V.pk)

    # -- change sets (§7) --
    head4 = c.head(4, V)
    cs = changeset(c, 1, 4, head4, V.pk)
    o.add("changeset-honest.msgpack", cs, "ingest", "§7 change set",
          "entries 1..4 of the small log with the head at seq 4", True, key=V.pk)

    def continued(items):
        d = Chain(prev_hashes=c.hashes)
        d.origin = V.pk
        for op, typ, rid, body in items:
            d.add(op, typ, rid, body)
        return d

    def entry5(name, extra, rule, why, error, anggaran=150000000):
        """A change set continuing the honest one with program PKH-2027 (entry 5)."""
        d = continued([(0, "program", "PKH-2027", program(dict(extra, kode="PKH-2027"),
                                                          anggaran))])
        o.add(name, changeset(d, 5, 5, d.head(5, V), V.pk), "ingest", rule,
              "continues the honest change set with " + why, False, error, key=V.pk,
              ingest_after="changeset-honest.msgpack")

    entry5("changeset-float.msgpack", {}, "§1 canonical msgpack: no floats",
           "an entry whose anggaran is float64 1.0", "malformed",
           Raw(b"\xcb" + struct.pack(">d", 1.0)))
    entry5("changeset-nested-16.msgpack", {"catatan": nested(16)},
           "§1 nesting depth (counted within the body, also in a change set)",
           "a body holding a value nested 16 deep: the msgpack layer takes it as in an "
           "archive, the schema refuses the field", "schema")
    entry5("changeset-nested-17.msgpack", {"catatan": nested(17)}, "§1 nesting depth",
           "a body holding a value nested 17 deep", "malformed")
    d = continued([(0, "penerima", "pkh-0003", penerima("3324011201900001", "diusulkan"))])
    o.add("changeset-head-other-key.msgpack", changeset(d, 5, 5, d.head(5, V2), V.pk),
          "ingest", "§4 §7 head",
          "continues the honest change set, but its head is signed by (and names) another key",
          False, "bad_signature", key=V.pk, ingest_after="changeset-honest.msgpack")

    d = Chain(prev_hashes=c.hashes)
    d.add(0, "penerima", "pkh-0003", penerima("3324011201900001", "diusulkan"), ts=hlc(4))
    d.ts = lambda s: hlc(4)  # the head carries its entry's ts
    o.add("changeset-ts-not-increasing.msgpack", changeset(d, 5, 5, d.head(5, V), V.pk),
          "ingest", "§2 ts; §8 refusals",
          "continues the honest change set with an entry whose ts equals entry 4's", False,
          "schema", key=V.pk, ingest_after="changeset-honest.msgpack")

    # -- fork evidence (§9) --
    def rival(k, items, key=V):
        r = Chain(prev_hashes=c.hashes[:k - 1])
        r.origin = key.pk
        for op, typ, rid, body in items:
            r.add(op, typ, rid, body)
        return r

    alt4 = rival(4, [(0, "penerima", "pkh-0002", penerima("3324015203850002", "disalurkan"))])
    alt3 = rival(3, [(0, "penerima", "pkh-0002", penerima("3324015203850002", "ditolak")),
                     (0, "penerima", "pkh-0003", penerima("3324011201900001", "diusulkan")),
                     (1, "penerima", "pkh-0003", None)])
    alt2 = rival(2, [(0, "penerima", "pkh-0009", penerima("3324011201900001", "diusulkan"))])

    def fork_frames(k, ours_seq, r, with_entries=True):
        fr = [[4, c.head(ours_seq, V), r.head(r.seq, V)]]
        if with_entries:
            fr += [[6, 0, c.entry(s)] for s in range(k, ours_seq + 1)]
            fr += [[6, 1, r.entry(s)] for s in range(k, r.seq + 1)]
        return fr

    FH = header(V.pk, "aggregator")
    o.add("forks-same-seq.lla", archive([FH] + fork_frames(4, 4, alt4, False)), "verify",
          "§9 fork evidence", "two heads of seq 4 signing different hashes, no entries", True,
          key=V.pk, expect={"forks_count": 1, "fork_seq": 4})
    o.add("forks-entries.lla", archive([FH] + fork_frames(3, 4, alt3)), "verify",
          "§9 fork evidence",
          "histories differing at seq 3 with their entries; heads at seq 4 and 5", True,
          key=V.pk, expect={"forks_count": 1, "fork_seq": 3})
    two = fork_frames(2, 2, alt2) + fork_frames(3, 4, alt3)
    o.add("forks-two.lla", archive([FH] + two), "verify", "§9 fork evidence",
          "two pieces of evidence, at seq 2 then seq 3", True, key=V.pk,
          expect={"forks_count": 2})
    o.add("forks-out-of-order.lla",
          archive([FH] + fork_frames(3, 4, alt3) + fork_frames(2, 2, alt2)), "verify",
          "§9 fork evidence: order",
          "the same two pieces of evidence, seq 3 before seq 2", False, "corrupt", key=V.pk)
    o.add("forks-different-seqs.lla", archive([FH] + [[4, c.head(4, V), alt3.head(5, V)]]),
          "verify", "§9 what proves a fork",
          "heads of seq 4 and 5 and no entries: the shorter may be a prefix of the longer",
          False, "corrupt", key=V.pk)
    badprev = Chain(prev_hashes=c.hashes[:2])
    badprev.origin = V.pk
    badprev.add(0, "penerima", "pkh-0002", penerima("3324015203850002", "ditolak"),
                prev=H(b"not the held entry 2"))
    o.add("forks-rival-prev.lla", archive([FH] + fork_frames(3, 4, badprev)), "verify",
          "§9 what proves a fork",
          "the rival branch's first entry names another prev than the held branch's", False,
          "corrupt", key=V.pk)
    logf = log_frames(c, V, HEADS)
    o.add("archive-log-then-forks.lla",
          archive([header(V.pk, "aggregator")] + logf + fork_frames(4, 4, alt4, False)),
          "verify", "§9 order",
          "a whole log with fork evidence after it: both are checked, the fork is proven",
          True, key=V.pk, expect={"entries": 4, "forks_count": 1})
    o.add("archive-log-after-fork.lla",
          archive([header(V.pk, "aggregator")] + logf[:-2] + fork_frames(4, 4, alt4, False)
                  + logf[-2:]), "verify", "§9 order",
          "entry 4 and its head after a fork frame: nothing of a log may follow fork evidence",
          False, "corrupt", "a log frame after fork evidence", key=V.pk)

    # -- depth, floats, encodings, strings --
    def one_bad(name, items, rule, why, error, message=None, heads=None, okv=False,
                village_hdr=VILLAGE):
        cc = small_chain(V, items)
        hs = heads or (cc.seq,)
        o.add(name, archive([header(V.pk, village=village_hdr)] + log_frames(cc, V, hs)),
              "verify", rule, why, okv, error, message, key=V.pk)

    one_bad("archive-nested-16.lla", [(0, "program", "PKH-2026",
                                       program({"catatan": nested(16)}))],
            "§1 nesting depth; schema",
            "a body field nested exactly 16 deep decodes, but the schema has no such field",
            "schema")
    one_bad("archive-nested-17.lla", [(0, "program", "PKH-2026",
                                       program({"catatan": nested(17)}))],
            "§1 nesting depth", "a body field nested 17 deep does not decode", "corrupt",
            "nested deeper than 16")
    one_bad("archive-float64.lla",
            [(0, "program", "PKH-2026", program(anggaran=Raw(b"\xcb" + struct.pack(">d", 1.0))))],
            "§1 canonical msgpack: no floats", "anggaran written as float64 1.0", "corrupt",
            "float")
    one_bad("archive-float32.lla",
            [(0, "program", "PKH-2026", program(anggaran=Raw(b"\xca" + struct.pack(">f", 1.0))))],
            "§1 canonical msgpack: no floats", "anggaran written as float32 1.0", "corrupt",
            "float")
    cseq = Chain()
    cseq.origin = V.pk
    cseq.add(0, "program", "PKH-2026", program(), seq_raw=b"\xcc\x01")
    o.add("archive-noncanon-uint.lla", archive([header(V.pk)] + log_frames(cseq, V, (1,))),
          "verify", "§1 smallest integer form", "entry 1's seq written as cc 01", False,
          "corrupt", key=V.pk)
    one_bad("archive-noncanon-str8.lla",
            [(0, "program", "PKH-2026", program({"bidang": Raw(b"\xd9\x06sosial")}))],
            "§1 smallest header", "a 6-byte string with a str8 header (d9 06)", "corrupt")
    prog = program()
    pairs = sorted(prog.items())
    one_bad("archive-unsorted-keys.lla",
            [(0, "program", "PKH-2026", RawMap([pairs[1], pairs[0]] + pairs[2:]))],
            "§1 sorted map keys", "a body map whose first two keys are swapped", "corrupt")
    one_bad("archive-duplicate-key.lla",
            [(0, "program", "PKH-2026", RawMap(pairs[:1] + pairs))],
            "§1 unique map keys", "a body map with the key anggaran twice", "corrupt")
    one_bad("archive-nul-in-body.lla",
            [(0, "program", "PKH-2026", program({"nama": "Program\x00Keluarga"}))],
            "§1 strings", "a NUL inside a body string value", "corrupt")
    one_bad("archive-id-u007f.lla",
            SMALL[:1] + [(0, "penerima", "pkh\x7f1", penerima("3324011201900001", "diusulkan"))],
            "§2 id: no control characters", "an id holding U+007F DELETE", "corrupt")
    one_bad("archive-id-u0085.lla",
            SMALL[:1] + [(0, "penerima", "pkh\u00851", penerima("3324011201900001", "diusulkan"))],
            "§2 id: no control characters", "an id holding U+0085 NEXT LINE (category Cc)",
            "corrupt")
    # ts not strictly increasing
    cts = Chain()
    cts.origin = V.pk
    cts.add(*SMALL[0])
    cts.add(*SMALL[1], ts=hlc(1))
    cts.ts = lambda s: hlc(1)
    o.add("archive-ts-not-increasing.lla",
          archive([header(V.pk)] + log_frames(cts, V, (2,))), "verify", "§2 ts",
          "entry 2 has the same ts as entry 1", False, "corrupt", key=V.pk)

    # -- signatures --
    hdr = header(V.pk)
    frames = [hdr] + log_frames(c, V, {2: V, 4: (lambda h: s_plus_l(h[:64]) + h[64:])(c.head(4, V))})
    o.add("archive-head-s-plus-l.lla", archive(frames), "verify", "§4 Ed25519 (RFC 8032 S < L)",
          "the head at seq 4 with S + L in place of S", False, "bad_signature", key=V.pk)
    ci = small_chain(V)
    fi = [header(IDENTITY)]
    for s in range(1, 5):
        fi.append([1, ci.entry(s)])
        if s in HEADS:
            fi.append([2, ci.head(s, None, origin=IDENTITY, sig=IDENTITY_SIG)])
    o.add("archive-identity-key.lla", archive(fi), "verify", "§4 Ed25519 small-order key",
          "the village key is the identity point and each head's signature R = identity, S = 0",
          False, "bad_signature", key=IDENTITY)
    o.add("archive-small.lla", small, "verify", "§4 pinned key",
          "the small log checked against another village key", False, "bad_signature",
          key=V2.pk, write=False)
    r1 = c.receipt(4, A1)
    o.add("archive-receipt-identity.lla",
          archive([hdr] + log_frames(c, V, HEADS) + [[3, IDENTITY, IDENTITY_SIG + r1[64:]]]),
          "verify", "§8 receipt signature",
          "a receipt whose aggregator key is the identity point, signature R = identity, S = 0",
          False, "bad_signature", key=V.pk)
    o.add("archive-receipt-s-plus-l.lla",
          archive([hdr] + log_frames(c, V, HEADS) + [[3, A1.pk, s_plus_l(r1[:64]) + r1[64:]]]),
          "verify", "§8 receipt signature (RFC 8032 S < L)",
          "an A1 receipt with S + L in place of S", False, "bad_signature", key=V.pk)
    o.add("archive-receipts-reversed.lla",
          archive([hdr] + log_frames(c, V, HEADS, {4: list(reversed(rc[4]))})), "verify",
          "§9 order of receipts", "the two receipts of seq 4 in reverse order of the key",
          False, "corrupt", key=V.pk)
    o.add("archive-receipt-twice.lla",
          archive([hdr] + log_frames(c, V, HEADS, {4: [rc[4][0], rc[4][0]]})), "verify",
          "§9 order of receipts", "the same receipt twice after the head at seq 4", False,
          "corrupt", key=V.pk)
    o.add("archive-aggregator-receipt-early.lla",
          archive([header(V.pk, "aggregator")]
                  + log_frames(c, V, HEADS, {2: [(A1.pk, c.receipt(2, A1))]})), "verify",
          "§9 §17 aggregator's archive",
          "an aggregator's archive with its receipt after the head at seq 2, before entries 3 and 4",
          False, "corrupt", key=V.pk)
    o.add("archive-aggregator-two-receipts.lla",
          archive([header(V.pk, "aggregator")]
                  + log_frames(c, V, HEADS, {4: [(a.pk, c.receipt(4, a)) for a in aggs]})),
          "verify", "§9 §17 aggregator's archive",
          "an aggregator's archive with two receipts", False, "corrupt", key=V.pk)
    h4 = c.head(4, V, village=OTHER_VILLAGE)
    o.add("archive-head-other-village.lla",
          archive([hdr] + log_frames(c, V, {2: V, 4: h4})), "verify", "§4 §9 village",
          "the head at seq 4 names another village than the header", False, "corrupt",
          key=V.pk)

    # -- damaged archives --
    bad = bytearray(small)
    p = bad.find(b"Program Keluarga Harapan")
    bad[p] = ord("p")
    o.add("archive-altered-entry.lla", bytes(bad), "verify", "§2 hash chain",
          "one byte of entry 1's body changed, nothing else", False, "corrupt", key=V.pk)
    o.add("archive-no-trailer.lla", archive([hdr] + log_frames(c, V, HEADS), trailer=False),
          "verify", "§9 trailer", "the small log without its trailer (cut short)", False,
          "corrupt", key=V.pk)
    o.add("archive-trailer-counts.lla",
          archive([hdr] + log_frames(c, V, HEADS), counts={"entries": 5}), "verify",
          "§9 trailer", "the trailer counts 5 entries where there are 4", False, "corrupt",
          key=V.pk)
    o.add("archive-tail.lla",
          archive([header(V.pk, frm=2)] + log_frames(c, V, HEADS, first=2)), "verify",
          "§9 tail of a log", "entries 2..4 with from: 2: a tail proves nothing alone",
          False, "invalid", key=V.pk)

    # -- succession (§18) --
    cs7 = small_chain(V)
    smsg = enc(["lumbung-succession", 1, A1.pk, "33.24", 1, VILLAGE, V.pk, VN.pk, 4,
                cs7.hashes[3], T0 + 7200000])
    succ = A1.sign(smsg) + smsg
    cs7.add(0, "penerima", "pkh-0003", penerima("3324011201900001", "diusulkan"))
    cs7.add(0, "penerima", "pkh-0004", penerima("3324015203850002", "diusulkan"))
    o.add("archive-succession.lla",
          archive([hdr] + log_frames(cs7, V, {2: V, 4: V, 6: VN}, succ={4: succ})), "verify",
          "§9 §18 succession",
          "entries 1..4 under the first key, a succession signed by A1 at seq 4, entries 5..6 "
          "under the new key", True, key=V.pk, agg_keys=[A1.pk], expect={"last_seq": 6})

    with open(os.path.join(outdir, "vectors.json"), "w") as f:
        json.dump(o.manifest, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: vectors.py OUTDIR")
    main(sys.argv[1])
