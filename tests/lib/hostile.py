#!/usr/bin/env python3
"""Helpers of tests/hostile.sh (hostile and broken files): data generators,
a truncation during a scan, peak memory of a run, damaged gzip and index
files. Each subcommand is documented in its function; run without
arguments for the list. Not a suite itself (tests/run.sh runs tests/*.sh
only)."""
import json
import os
import random
import resource
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import zlib

BASE = 1772161200          # 2026-02-27T03:00:00Z


def line(i, t=None, lat=None, variant=None, extra=""):
    """One valid record: a second apart from BASE, request rNNNNNN."""
    t = BASE + i if t is None else t
    tm = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    lat = (i * 37) % 500 + 1 if lat is None else lat
    variant = ("prod", "canary", "shadow")[i % 3] if variant is None else variant
    return ('{"timestamp":"%s","request_id":"r%06d","correlation_id":"c%d",'
            '"service":"api","log_level":"%s","inference_metrics":{"latency_ms":%s},'
            '"model_metadata":{"serving_variant":"%s"}%s}'
            % (tm, i, i // 5, "ERROR" if i % 50 == 0 else "INFO", lat, variant, extra))


def cmd_gen(args):
    """gen OUT N [FIRST] [PAD]: N records (numbers FIRST.., default 0), each
    padded with a "pad" field of PAD bytes (default 0), LF line ends."""
    out, n = args[0], int(args[1])
    first = int(args[2]) if len(args) > 2 else 0
    pad = int(args[3]) if len(args) > 3 else 0
    extra = ',"pad":"%s"' % ("p" * pad) if pad else ""
    with open(out, "w", newline="\n") as f:
        for i in range(first, first + n):
            f.write(line(i, extra=extra) + "\n")


def cmd_append(args):
    """append OUT FIRST N [BATCH] [DELAY]: append records FIRST.. in batches
    of BATCH lines, each batch one write() of whole lines, DELAY seconds
    apart (an application logging while logdive reads)."""
    out, first, n = args[0], int(args[1]), int(args[2])
    batch = int(args[3]) if len(args) > 3 else n
    delay = float(args[4]) if len(args) > 4 else 0
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    i = first
    while i < first + n:
        k = min(batch, first + n - i)
        os.write(fd, "".join(line(j) + "\n" for j in range(i, i + k)).encode())
        i += k
        if delay:
            time.sleep(delay)
    os.close(fd)


def cmd_rec(args):
    """rec PANELS.json: the records counters of a panels -f json output as
    "total=N invalid_json=N ..." in a fixed order ("none" if unreadable)."""
    try:
        r = json.load(open(args[0]))["records"]
    except (OSError, ValueError, KeyError):
        print("none")
        return
    keys = ["total", "invalid_json", "no_time", "naive_time", "bad_type",
            "invalid_utf8", "too_long", "unparsed"]
    print(" ".join("%s=%s" % (k, r.get(k)) for k in keys))


def cmd_ids(args):
    """ids JSONL: the request_id of each record of a requests -f jsonl
    output, space-separated, in order ("bad" if a line is not JSON)."""
    out = []
    for ln in open(args[0], "rb"):
        try:
            out.append(str(json.loads(ln).get("request_id")))
        except ValueError:
            out.append("bad")
    print(" ".join(out))


def cmd_panels_eq(args):
    """panels-eq A.json B.json: exit 0 if the two panels outputs are equal
    but for "source" (the file names)."""
    a, b = (json.load(open(p)) for p in args[:2])
    for d in (a, b):
        d.pop("source", None)
    sys.exit(0 if a == b else 1)


def rchar(pid):
    with open("/proc/%d/io" % pid) as f:
        for ln in f:
            if ln.startswith("rchar:"):
                return int(ln.split()[1])
    return 0


def cmd_truncate_during(args):
    """truncate-during FILE SIZE AFTER OUT ERR CMD...: run CMD (stdout to
    OUT, stderr to ERR); once it has read AFTER bytes (/proc/PID/io rchar)
    stop it, truncate FILE to SIZE, let it go on. Prints "mid-scan" if the
    truncation came while the command was reading, "late" if it had ended;
    exits with the command's status."""
    path, size = args[0], int(args[1])
    during(args[2:], lambda: os.truncate(path, size))


def cmd_append_during(args):
    """append-during FILE DATA AFTER OUT ERR CMD...: as truncate-during,
    but append the bytes of file DATA to FILE."""
    path, data = args[0], open(args[1], "rb").read()

    def act():
        with open(path, "ab") as f:
            f.write(data)
    during(args[2:], act)


def during(args, act):
    after, out, err = int(args[0]), args[1], args[2]
    cmd = args[3:]
    p = subprocess.Popen(cmd, stdout=open(out, "wb"), stderr=open(err, "wb"))
    how = "late"
    while p.poll() is None:
        try:
            n = rchar(p.pid)
        except (OSError, ValueError):
            n = 0
        if n >= after:
            p.send_signal(signal.SIGSTOP)
            act()
            p.send_signal(signal.SIGCONT)
            how = "mid-scan"
            break
        time.sleep(0.0005)
    if how == "late":
        act()
    st = p.wait()
    print(how)
    sys.exit(st if st >= 0 else 128 - st)


def cmd_bigline(args):
    """bigline OUT BYTES: 3 records, one record whose message is BYTES
    bytes (written 8 MiB at a time, never held whole), 2 records."""
    out, size = args[0], int(args[1])
    chunk = b"x" * (8 << 20)
    with open(out, "wb") as f:
        for i in range(3):
            f.write((line(i) + "\n").encode())
        f.write(b'{"timestamp":"2026-02-27T03:00:03Z","request_id":"huge","message":"')
        left = size
        while left > 0:
            k = min(left, len(chunk))
            f.write(chunk[:k])
            left -= k
        f.write(b'"}\n')
        for i in range(4, 6):
            f.write((line(i) + "\n").encode())


def cmd_rss(args):
    """rss OUT ERR CMD...: run CMD (stdout to OUT, stderr to ERR); print its
    peak resident set in KiB and exit with its status."""
    out, err = args[0], args[1]
    p = subprocess.run(args[2:], stdout=open(out, "wb"), stderr=open(err, "wb"))
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)


def member(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def cmd_gzip_cases(args):
    """gzip-cases DIR SRC: damaged gzip files made of SRC's lines (at least
    1000), each with the plain file of what must be read from it
    (NAME.gz and NAME.want):
      two     two members (lines 1-400, 401-1000): read whole
      hdr     the second member's first block type bits flipped: lines 1-400
      stored  one stored (level 0) member, a bit flipped in line 500's '{':
              CRC error at the end, every line read, line 500 invalid JSON
      crc     the second member's CRC flipped: every line, a warning
      cut     cut in the middle of the second member: what zlib can
              decompress of the prefix (a cut last line)
      garbage "garbage" bytes between the members: lines 1-400
      padded  1000 zero bytes after the members: every line, no warning
    Prints the compressed byte offsets the warnings name, as NAME=N."""
    d, src = args[0], args[1]
    lines = open(src, "rb").read().split(b"\n")[:1000]
    a = b"\n".join(lines[:400]) + b"\n"
    b = b"\n".join(lines[400:]) + b"\n"
    m1, m2 = member(a), member(b)
    cases = {}
    cases["two"] = (m1 + m2, a + b)
    x = bytearray(m2)
    x[10] |= 0x06          # BTYPE 11: reserved, "invalid block type"
    cases["hdr"] = (m1 + bytes(x), a)
    s = bytearray(member(a + b, 0))
    at = bytes(s).index(lines[499])
    s[at] ^= 0x01          # '{' -> 'z'
    bad = bytearray(a + b)
    bad[bytes(bad).index(lines[499])] ^= 0x01
    cases["stored"] = (bytes(s), bytes(bad))
    x = bytearray(m2)
    x[-8] ^= 0x01          # CRC32 of the second member
    cases["crc"] = (m1 + bytes(x), a + b)
    cut = m1 + m2[: len(m2) // 2]
    z = zlib.decompressobj(31)
    got = z.decompress(m1)
    z2 = zlib.decompressobj(31)
    got += z2.decompress(m2[: len(m2) // 2])
    cases["cut"] = (cut, got)
    cases["garbage"] = (m1 + b"garbage\n" + m2, a)
    cases["padded"] = (m1 + m2 + b"\0" * 1000, a + b)
    for name, (gz, want) in cases.items():
        open(os.path.join(d, name + ".jsonl.gz"), "wb").write(gz)
        open(os.path.join(d, name + ".want.jsonl"), "wb").write(want)
    print("m1=%d total_two=%d cut=%d" % (len(m1), len(m1) + len(m2), len(cut)))


# the index's checksum (backends/fileindex.c sum64), to write blobs that
# are garbage yet carry a valid checksum
M64 = (1 << 64) - 1


def fnv(h, data):
    for c in data:
        h ^= c
        h = (h * 0x100000001b3) & M64
    return h


def sum64(data):
    m = 0x9fb21c651e98df25
    a = [0, 0, 0, 0]
    c = [0, 0, 0, 0]
    n = len(data)
    i = 0
    while i + 32 <= n:
        w = struct.unpack_from("<4Q", data, i)
        for k in range(4):
            a[k] = (a[k] + w[k]) & M64
            c[k] = (c[k] + a[k]) & M64
        i += 32
    r = (n * m) & M64
    for k in range(4):
        r = ((r ^ a[k]) * m) & M64
        r ^= r >> 29
        r = ((r ^ c[k]) * m) & M64
        r ^= r >> 31
    return fnv(r, data[i:])


def signed(v):
    return v - (1 << 64) if v >= (1 << 63) else v


def cmd_index_damage(args):
    """index-damage DB HOW: damage the index database the way HOW says:
      garbage-recs   every record blob random bytes, with a valid checksum
      garbage-tmap   every correlation map blob random, valid checksum
      swap-recs      two records of a chunk swapped, valid checksum
      hot-journal    leave a hot rollback journal of a writer killed in
                     the middle of rewriting every blob (SQLite must roll
                     it back)
    Exits 1 if there was nothing to damage."""
    db, how = args
    rnd = random.Random(6)
    if how == "hot-journal":
        # a writer that dies with its transaction open: copy the files
        # while it is in the middle, then put the copies in place
        con = sqlite3.connect(db, isolation_level=None)
        con.execute("PRAGMA cache_size=1")      # spill pages to the file
        con.execute("BEGIN IMMEDIATE")
        rows = con.execute("SELECT id, length(recs) FROM chunk").fetchall()
        if not rows:
            sys.exit(1)
        for i, n in rows:
            con.execute("UPDATE chunk SET recs = ? WHERE id = ?",
                        (bytes(rnd.getrandbits(8) for _ in range(n)), i))
        con.execute("UPDATE source SET nrecs = nrecs + 1")
        jr = db + "-journal"
        if not os.path.exists(jr):
            sys.exit(1)
        dbc, jrc = open(db, "rb").read(), open(jr, "rb").read()
        con.execute("ROLLBACK")
        con.close()
        open(db, "wb").write(dbc)
        open(jr, "wb").write(jrc)
        return
    con = sqlite3.connect(db)
    if how in ("garbage-recs", "swap-recs"):
        rows = con.execute("SELECT id, recs FROM chunk").fetchall()
        for i, blob in rows:
            if how == "garbage-recs":
                new = bytes(rnd.getrandbits(8) for _ in range(len(blob)))
            else:
                if len(blob) < 2 * 72:
                    continue
                new = blob[72:144] + blob[:72] + blob[144:]
            con.execute("UPDATE chunk SET recs = ?, sum = ? WHERE id = ?",
                        (new, signed(sum64(new)), i))
    elif how == "garbage-tmap":
        rows = con.execute("SELECT id, ents FROM tmap").fetchall()
        for i, blob in rows:
            new = bytes(rnd.getrandbits(8) for _ in range(len(blob)))
            con.execute("UPDATE tmap SET ents = ?, sum = ? WHERE id = ?",
                        (new, signed(sum64(new)), i))
    else:
        sys.exit("unknown damage " + how)
    if not rows:
        sys.exit(1)
    con.commit()
    con.close()


def cmd_hostile_values(args):
    """values OUT: NUL bytes, invalid UTF-8 and escapes in keys and values
    (see tests/hostile.sh for what each line must count as)."""
    t = '{"timestamp":"2026-02-27T03:00:0%dZ","request_id":"v%d","message":%s}'
    ls = [
        (t % (0, 0, '"nul\\u0000in"')).encode(),                 # escaped NUL: valid
        (t % (1, 1, '"lone\\ud800x"')).encode(),                 # lone surrogate: valid
        (t % (2, 2, '"esc\\u001b[31mred"')).encode(),            # escaped ESC: valid
        (t % (3, 3, '"caf\xc3\xa9"')).encode("latin1"),          # UTF-8: valid
        (t % (4, 4, '"bad\xff"')).encode("latin1"),              # invalid_utf8
        b'{"timestamp":"2026-02-27T03:00:05Z","k\xfe":1}',       # invalid_utf8 (key)
        b'{"timestamp":"2026-02-27T03:00:06Z","message":"nul\x00raw"}',  # raw NUL: invalid_json
        b"\x00\x00\x00\x00",                                     # a line of NULs: invalid_json
        (t % (7, 7, '"ok"')).encode() + b"\x00",                 # NUL after: invalid_json
        b"\x00" + (t % (8, 8, '"ok"')).encode(),                 # NUL before: invalid_json
        (t % (9, 9, '"\xed\xa0\x80"')).encode("latin1"),         # raw surrogate: invalid_utf8
        (t % (9, 10, '"\xc0\xaf"')).encode("latin1"),            # overlong: invalid_utf8
    ]
    with open(args[0], "wb") as f:
        f.write(b"\n".join(ls) + b"\n")
        # NULs between records, then a valid record
        f.write(b"\x00" * 16 + b"\n" + (t % (9, 11, '"after"')).encode() + b"\n")


COMMANDS = {
    "gen": cmd_gen, "append": cmd_append, "rec": cmd_rec, "ids": cmd_ids,
    "panels-eq": cmd_panels_eq, "truncate-during": cmd_truncate_during,
    "append-during": cmd_append_during,
    "bigline": cmd_bigline, "rss": cmd_rss, "gzip-cases": cmd_gzip_cases,
    "index-damage": cmd_index_damage, "values": cmd_hostile_values,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        for name, fn in COMMANDS.items():
            print(fn.__doc__.strip().splitlines()[0])
        sys.exit(2)
    COMMANDS[sys.argv[1]](sys.argv[2:])
