"""Hostile input at the file level: compressed dumps (decompression bombs,
size limits, a full temporary directory, compressed minidumps) and a dump
file that shrinks while coroner reads it.

  io.py CASE --coroner PATH [--shrinklib PATH]

Every case runs coroner with TMPDIR set to a directory of its own and
checks that nothing is left in it afterwards.  Exit 0 pass, 1 fail, 77 skip.
"""

import os
import random
import shutil
import subprocess
import struct
import sys
import zlib
import lzma
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
sys.path.insert(0, HERE)
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402
import corewriter as CW  # noqa: E402
import mdwriter as MW  # noqa: E402

STACK = 0x7ffd0000


def run(opts, wd, args, env_extra=None, timeout=60):
    """Run coroner ARGS with TMPDIR=WD/tmp; return (exit, stdout, stderr,
    seconds, max RSS in MiB).  Fails when a file is left in TMPDIR."""
    tmp = os.path.join(wd, "tmp")
    os.makedirs(tmp, exist_ok=True)
    env = dict(L.sanitizer_env())
    env["TMPDIR"] = tmp
    env.update(env_extra or {})
    # Outputs to files and os.wait4(): the max RSS of this one process.
    with open(os.path.join(wd, "stdout"), "w+b") as so, open(os.path.join(wd, "stderr"), "w+b") as se:
        t0 = time.monotonic()
        p = subprocess.Popen([opts.coroner] + args, cwd=wd, env=env, stdin=subprocess.DEVNULL,
                             stdout=so, stderr=se)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        secs = time.monotonic() - t0
        check(secs < timeout, "coroner %s did not finish within %d s" % (" ".join(args), timeout))
        so.seek(0)
        se.seek(0)
        out, err = so.read().decode(errors="replace"), se.read().decode(errors="replace")
    rss = ru.ru_maxrss
    check(p.returncode >= 0, "coroner %s was killed by signal %d" % (" ".join(args), -p.returncode),
          err[-3000:])
    check("Sanitizer" not in err and "runtime error:" not in err,
          "coroner %s: sanitizer report" % " ".join(args), err[-6000:])
    left = os.listdir(tmp)
    check(not left, "files left in TMPDIR: %s" % left)
    return p.returncode, out, err, secs, rss / 1024


def one_line(err):
    lines = L.stderr_lines(err)
    check(len(lines) == 1, "stderr has %d lines, expected one" % len(lines), err[-2000:])
    return lines[0]


def small_core(data_len=0x1000, seed=1):
    """A crashed x86_64 core: one thread, its stack, DATA_LEN bytes of
    random memory."""
    c = CW.Core("x86_64")
    c.thread(tid=100, regs={"rip": 0x401000, "rsp": STACK + 0x800}, signo=11)
    c.psinfo(pid=100, fname="victim", args="victim")
    c.siginfo(signo=11, code=1, addr=0)
    c.load(STACK, b"\0" * 0x1000)
    rnd = random.Random(seed)
    c.load(0x10000000, bytes(rnd.getrandbits(8) for _ in range(data_len)), flags="rw")
    return c.bytes()


def compress(tool, data, wd, name):
    """DATA compressed by the command-line TOOL (zstd, xz, lz4) into WD/NAME."""
    if not shutil.which(tool):
        L.skip("%s is not installed (tests/setup.sh installs it)" % tool)
    path = os.path.join(wd, name)
    with open(path, "wb") as f:
        subprocess.run([tool, "-c", "-q"], input=data, stdout=f, check=True)
    return path


# ----------------------------------------------------------- bombs

def zeros_frame(tool, mib):
    """One compressed frame of MIB MiB of zeros, from the CLI TOOL reading
    /dev/zero (this process never holds the zeros: a child's max RSS counts
    its parent's at fork time)."""
    if not shutil.which(tool):
        L.skip("%s is not installed (tests/setup.sh installs it)" % tool)
    r = subprocess.run("head -c %d /dev/zero | %s -c -q -1" % (mib << 20, tool), shell=True,
                       stdout=subprocess.PIPE, check=True)
    return r.stdout


def case_bomb(opts, wd, tool):
    """A small file that inflates to gigabytes of zeros: zstd and xz
    frames/streams and gzip members concatenated (the decoders read on across them) to
    8 GiB; lz4 one frame of 1 GiB.  coroner must say "not a dump" at once,
    writing nothing."""
    if tool == "lz4":
        blob = zeros_frame(tool, 1024)
        total = 1 << 30
    else:
        frame = zeros_frame(tool, 64)
        blob = frame * 128
        total = 128 * (64 << 20)
    path = os.path.join(wd, "bomb." + {"zstd": "zst", "gzip": "gz"}.get(tool, tool))
    with open(path, "wb") as f:
        f.write(blob)
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", os.path.join(wd, "out")])
    line = one_line(err)
    print("%s bomb: %d bytes inflating to %d: exit %d in %.3f s, max RSS %.0f MiB: %s"
          % (tool, len(blob), total, st, secs, rss, line))
    check(st == 4, "exit %d, expected 4 (not a dump)" % st)
    check("not a dump" in line and tool in line, "the error does not say not a dump (%s)" % tool, line)
    check(secs < 5, "took %.1f s" % secs)
    check(rss < 512, "max RSS %.0f MiB" % rss)
    check(not os.path.exists(os.path.join(wd, "out")) or not os.listdir(os.path.join(wd, "out")),
          "reports written for a bomb")


def case_bomb_behind_header(opts, wd):
    """A real core followed by 8 GiB of zeros (zstd frames concatenated):
    it is a dump, so it is decompressed, but the zeros become holes in the
    temporary file, and the analysis ends in bounded time and memory."""
    core = small_core(0x1000)
    frame = zeros_frame("zstd", 64)
    path = os.path.join(wd, "core.zst")
    with open(compress("zstd", core, wd, "head.zst"), "rb") as f:
        head = f.read()
    with open(path, "wb") as f:
        f.write(head + frame * 128)
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", os.path.join(wd, "out"),
                                            "-f", "json", "-q"])
    print("core + 8 GiB of zeros, %d bytes compressed: exit %d in %.2f s, max RSS %.0f MiB"
          % (os.path.getsize(path), st, secs, rss))
    check(st in (0, 1), "exit %d" % st, err[-2000:])
    check(secs < 20, "took %.1f s" % secs)
    check(rss < 1024, "max RSS %.0f MiB" % rss)


# ----------------------------------------------------------- limits

def case_limit(opts, wd):
    """A compressed core above --max-decompressed: exit 6, one line naming
    the limit, the free space and the option; below it a report."""
    core = small_core(4 << 20)
    path = compress("zstd", core, wd, "core.zst")
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "--max-decompressed", "1M",
                                            "-o", os.path.join(wd, "out")])
    line = one_line(err)
    print("limit 1M on a %d-byte core: exit %d in %.3f s: %s" % (len(core), st, secs, line))
    check(st == 6, "exit %d, expected 6 (limit reached)" % st)
    for word in ("--max-decompressed", "1.0 MiB", "free", "core.zst"):
        check(word in line, "the error does not name %r" % word)
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "--max-decompressed", "5M",
                                            "-o", os.path.join(wd, "out"), "-f", "json", "-q"])
    check(st in (0, 1), "exit %d under a limit of 5M" % st, err[-2000:])
    print("limit 5M: exit %d, report written" % st)
    for bad in ("0", "12X", "-5M", "99999999999999999999"):
        st, so, err, secs, rss = run(opts, wd, ["analyze", path, "--max-decompressed", bad])
        check(st == 2, "--max-decompressed %s: exit %d, expected 2 (usage)" % (bad, st))


def case_xz_dictionary(opts, wd):
    """An xz stream whose header asks for a 4 GiB dictionary (the LZMA2
    property byte patched, the block header's CRC32 fixed): the decoder
    would allocate it; coroner refuses with exit 6 and bounded memory."""
    xz = bytearray(lzma.compress(small_core(0x1000), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32))
    hdr = 12                                    # after the stream header
    size = (xz[hdr] + 1) * 4
    flags = xz[hdr + 1]
    pos = hdr + 2

    def varint(p):
        while xz[p] & 0x80:
            p += 1
        return p + 1
    if flags & 0x40:
        pos = varint(pos)
    if flags & 0x80:
        pos = varint(pos)
    check(xz[pos] == 0x21 and xz[pos + 1] == 1, "unexpected xz block header %s" % xz[hdr:hdr + size].hex())
    xz[pos + 2] = 40                            # dictionary 4 GiB - 1
    xz[hdr + size - 4:hdr + size] = struct.pack("<I", zlib.crc32(bytes(xz[hdr:hdr + size - 4])))
    path = os.path.join(wd, "dict.xz")
    with open(path, "wb") as f:
        f.write(xz)
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", os.path.join(wd, "out")])
    line = one_line(err)
    print("xz asking for a 4 GiB dictionary: exit %d in %.3f s, max RSS %.0f MiB: %s"
          % (st, secs, rss, line))
    check(st == 6, "exit %d, expected 6" % st)
    check("memory" in line, "the error does not say memory")
    check(rss < 512, "max RSS %.0f MiB" % rss)


def case_tmpfs_full(opts, wd):
    """TMPDIR on a 1 MiB tmpfs: a 4 MiB core cannot be decompressed there;
    exit 6 naming the temporary directory, and nothing left in it."""
    core = small_core(4 << 20)
    path = compress("xz", core, wd, "core.xz")
    tmp = os.path.join(wd, "tmp")
    L.small_tmpfs(tmp, "1m")
    try:
        st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", os.path.join(wd, "out")])
        line = one_line(err)
        print("1 MiB tmpfs: exit %d in %.3f s: %s" % (st, secs, line))
        check(st == 6, "exit %d, expected 6" % st)
        for word in (tmp, "TMPDIR", "free", "--max-decompressed"):
            check(word in line, "the error does not name %r" % word)
    finally:
        subprocess.run(["umount", tmp])


def case_compressed_minidump(opts, wd):
    """A minidump compressed with zstd is read like the plain one."""
    m = MW.Minidump()
    m.thread(tid=7, rip=0x401000, rsp=STACK + 0x800, stack_addr=STACK, stack=b"\0" * 0x1000)
    path = compress("zstd", m.bytes(), wd, "app.dmp.zst")
    out = os.path.join(wd, "out")
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", out, "-f", "json", "-q"])
    check(st in (0, 1), "exit %d" % st, err[-2000:])
    import json
    rep = json.load(open(os.path.join(out, "app.dmp.zst.coroner.json")))
    fmt = json.dumps(rep.get("dump", rep))
    check("minidump" in fmt.lower() and "zstd" in fmt, "the report does not name a zstd-compressed minidump",
          rep.get("dump"))
    print("compressed minidump: exit %d, %s" % (st, rep.get("dump", {}).get("format")))


# ----------------------------------------------------------- shrinking

def shrink_core(wd):
    """A crashed core of about 32 MiB: a 32 MiB mapping first, then the
    crashing thread's stack (a frame-pointer chain) and AT_EXECFN's string
    at the end of the file, so that cutting the file at 16 MiB loses them."""
    c = CW.Core("x86_64")
    sp = STACK + 0x800
    c.thread(tid=100, regs={"rip": 0x401000, "rsp": sp, "rbp": sp + 0x10}, signo=11)
    c.psinfo(pid=100, fname="victim", args="victim")
    c.siginfo(signo=11, code=1, addr=0)
    c.auxv([(CW.AT_EXECFN, STACK + 0xf00), (CW.AT_PAGESZ, 0x1000)])
    c.load(0x10000000, b"\1" * (32 << 20))
    stack = bytearray(0x1000)
    for i in range(0x10, 0x700, 0x10):       # rbp chain: [rbp] next, [rbp+8] ra
        struct.pack_into("<QQ", stack, 0x800 + i, STACK + 0x800 + i + 0x10, 0x401000 + i)
    stack[0xf00:0xf00 + 13] = b"/usr/bin/vic\0"
    c.load(STACK, bytes(stack))
    path = os.path.join(wd, "core")
    with open(path, "wb") as f:
        f.write(c.bytes())
    return path


def case_shrink(opts, wd, when, to):
    """The dump file is cut to TO bytes while coroner reads it (by the
    test-only LD_PRELOAD library): right after it is mapped (WHEN=mmap:
    the reader touches the lost part), or when the analysis starts
    (WHEN=dwfl_begin: the unwinder does).  No SIGBUS death: a report that
    says the file shrank (exit 1), or one line (exit 3) when nothing is
    left."""
    if not opts.shrinklib or not os.path.exists(opts.shrinklib):
        L.skip("no --shrinklib")
    path = shrink_core(wd)
    size = os.path.getsize(path)
    env = {"LD_PRELOAD": opts.shrinklib, "CR_TEST_SHRINK_PATH": os.path.realpath(path),
           "CR_TEST_SHRINK_TO": str(to), "CR_TEST_SHRINK_AT": when,
           # an ASan coroner must accept a library loaded before its runtime
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "exitcode=86:detect_leaks=1")
           + ":verify_asan_link_order=0"}
    out = os.path.join(wd, "out")
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", out, "-f", "json", "-q"],
                                 env_extra=env)
    now = os.path.getsize(path)
    check(now == to, "the test library did not cut the file (%d bytes, expected %d)" % (now, to))
    print("cut at %s from %d to %d bytes: exit %d in %.2f s, max RSS %.0f MiB"
          % (when, size, to, st, secs, rss))
    check(secs < 20, "took %.1f s" % secs)
    want = "shrank from %d to %d bytes" % (size, to)
    if to < 4096:
        line = one_line(err)
        print(line)
        check(st == 3, "exit %d, expected 3" % st)
        check(want in line, "the error does not say %r" % want)
        return
    check(st == 1, "exit %d, expected 1 (report with problems)" % st, err[-2000:])
    import json
    rep = json.load(open(os.path.join(out, "core.coroner.json")))
    print("problems: %s" % rep["problems"][:4])
    check(any(want in p for p in L.problem_texts(rep)), "no problem says %r" % want, rep["problems"])
    check(rep["crash"].get("signal") == "SIGSEGV", "the crash is lost", rep["crash"])


def case_lz4_frames(opts, wd):
    """A core compressed as two lz4 frames one after the other (what `cat`
    of two .lz4 files gives; the lz4 tool reads it whole): all of it is
    read, not only the first frame."""
    core = small_core(0x10000)
    half = len(core) // 2
    a = compress("lz4", core[:half], wd, "a.lz4")
    b = compress("lz4", core[half:], wd, "b.lz4")
    path = os.path.join(wd, "core.lz4")
    with open(path, "wb") as f:
        for part in (a, b):
            with open(part, "rb") as g:
                f.write(g.read())
    out = os.path.join(wd, "out")
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", out, "-f", "json", "-q"])
    import json
    rep = json.load(open(os.path.join(out, "core.lz4.coroner.json")))
    print("two lz4 frames: exit %d, problems %s" % (st, rep["problems"]))
    check(st == 0 and not rep["problems"], "the second frame was not read", rep["problems"])


def case_xz_no_memory(opts, wd):
    """An xz -9 core (a 64 MiB dictionary) under an address-space limit too
    small for the dictionary: exit 6 (out of memory), not 4 (the decoder's
    LZMA_MEM_ERROR was reported as a damaged stream)."""
    with open(opts.coroner, "rb") as f:
        if b"__asan_init" in f.read():
            L.skip("an ASan build reserves terabytes of address space")
    import resource
    path = os.path.join(wd, "core.xz")
    with open(path, "wb") as f:
        f.write(lzma.compress(small_core(), preset=9))
    seen = {}
    for mib in (64, 80, 96, 112):
        def limit(mib=mib):
            resource.setrlimit(resource.RLIMIT_AS, (mib << 20, mib << 20))
        r = subprocess.run([opts.coroner, "analyze", path, "-o", wd, "-q"], preexec_fn=limit,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = r.stderr.decode(errors="replace")
        print("RLIMIT_AS %d MiB: exit %d %s" % (mib, r.returncode, err.strip()[:200]))
        check(r.returncode >= 0, "killed by signal %d" % -r.returncode, err)
        check(r.returncode != 4, "out of memory reported as a damaged dump (exit 4)", err)
        seen[r.returncode] = err
    if 6 not in seen:
        L.skip("no limit tried made the xz dictionary fail (%s)" % sorted(seen))
    check("out of memory" in seen[6], "exit 6 without saying out of memory", seen[6])


# ----------------------------------------------------------- gzip and zip

def write_zip(path, entries):
    """A zip archive of ENTRIES [(name, bytes or (path,)), ...], deflated."""
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in entries:
            if isinstance(data, tuple):
                z.write(data[0], name)
            else:
                z.writestr(name, data)


def case_zip_no_dump(opts, wd):
    """A zip of a crash uploader's side files and no dump: exit 4 with one
    line that says no entry is a dump; no report."""
    path = os.path.join(wd, "upload.zip")
    write_zip(path, [("report.xml", b"<report/>" * 100), ("notes.txt", b"hello\n"),
                     ("empty.dmp", b"")])
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", os.path.join(wd, "out")])
    line = one_line(err)
    print("zip without a dump: exit %d: %s" % (st, line))
    check(st == 4 and "zip" in line and "no entry" in line and "dump" in line,
          "exit %d, %r" % (st, line))


def case_zip_bomb(opts, wd):
    """A zip whose first entry inflates to 512 MiB of zeros, then a real
    core: the zeros are not a dump (skipped after their first bytes, never
    written), the core is read."""
    zeros = os.path.join(wd, "zeros")
    with open(zeros, "wb") as f:
        f.truncate(512 << 20)
    core = os.path.join(wd, "core")
    with open(core, "wb") as f:
        f.write(small_core(0x1000))
    path = os.path.join(wd, "crash.zip")
    write_zip(path, [("zeros.bin", (zeros,)), ("crash.core", (core,))])
    os.unlink(zeros)
    out = os.path.join(wd, "out")
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", out, "-f", "json", "-q"])
    print("zip of 512 MiB of zeros then a core, %d bytes: exit %d in %.2f s, max RSS %.0f MiB"
          % (os.path.getsize(path), st, secs, rss))
    check(st in (0, 1), "exit %d" % st, err[-2000:])
    import json
    rep = json.load(open(os.path.join(out, "crash.zip.coroner.json")))
    check("zip" in rep["dump"]["format"] and rep["crash"]["signal"] == "SIGSEGV",
          "the core in the zip was not read", rep["dump"], rep.get("crash"))
    check(rss < 256, "max RSS %.0f MiB" % rss)


def case_gzip_cut(opts, wd):
    """A gzip core cut in the middle: what was decoded is analyzed, and the
    report says the stream was cut off."""
    import gzip
    core = small_core(0x200000, seed=3)
    blob = gzip.compress(core, compresslevel=1)
    path = os.path.join(wd, "core.gz")
    with open(path, "wb") as f:
        f.write(blob[:len(blob) * 3 // 4])
    out = os.path.join(wd, "out")
    st, so, err, secs, rss = run(opts, wd, ["analyze", path, "-o", out, "-f", "json", "-q"])
    import json
    rep = json.load(open(os.path.join(out, "core.gz.coroner.json")))
    texts = [p["text"] for p in rep["problems"]]
    print("gzip cut at 3/4: exit %d, problems %s" % (st, texts[:2]))
    check(st == 1 and any("gzip" in t and "cut off" in t for t in texts),
          "a cut gzip stream is not said to be cut off (exit %d)" % st, texts)
    check(rep["crash"]["signal"] == "SIGSEGV", "the decoded part was not analyzed", rep.get("crash"))


CASES = {
    "xz-no-memory": case_xz_no_memory,
    "bomb-gzip": lambda o, w: case_bomb(o, w, "gzip"),
    "zip-no-dump": case_zip_no_dump,
    "zip-bomb": case_zip_bomb,
    "gzip-cut": case_gzip_cut,
    "bomb-zstd": lambda o, w: case_bomb(o, w, "zstd"),
    "bomb-xz": lambda o, w: case_bomb(o, w, "xz"),
    "bomb-lz4": lambda o, w: case_bomb(o, w, "lz4"),
    "bomb-behind-header": case_bomb_behind_header,
    "limit": case_limit,
    "tmpfs-full": case_tmpfs_full,
    "xz-dictionary": case_xz_dictionary,
    "compressed-minidump": case_compressed_minidump,
    "lz4-frames": case_lz4_frames,
    "shrink-read": lambda o, w: case_shrink(o, w, "mmap", 16 << 20),
    "shrink-analysis": lambda o, w: case_shrink(o, w, "dwfl_begin", 16 << 20),
    "shrink-all": lambda o, w: case_shrink(o, w, "mmap", 100),
}


if __name__ == "__main__":
    L.case_main(CASES, "io", [("--shrinklib", {})])
