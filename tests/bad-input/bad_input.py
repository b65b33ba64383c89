"""Bad input: coroner must answer every damaged or wrong input with a
documented exit status and either a one-line error or a partial report that
lists what is missing; never a crash, a sanitizer report or a hang.

  bad_input.py CASE --coroner PATH --bindir DIR

Exit statuses (coroner(1)): 0 report written, 1 report written but the dump
is incomplete or damaged, 2 usage, 3 I/O error, 4 not a dump or empty,
5 too damaged for any report, 6 out of memory/limit, 70 internal error.
Exit 0 pass, 1 fail, 77 skip.
"""

import argparse
import os
import random
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402


def one_line(err, what):
    lines = L.stderr_lines(err)
    check(len(lines) == 1, "%s: stderr has %d lines, expected one" % (what, len(lines)), err[-2000:])
    return lines[0]


def expect_error(opts, wd, args, status, what):
    """coroner ARGS must exit with STATUS (one of), print one line on
    stderr and write no report."""
    out = os.path.join(wd, "out")
    os.makedirs(out, exist_ok=True)
    before = set(os.listdir(wd))
    st, so, err = L.run_coroner(opts.coroner, args, cwd=wd)
    check(st in status, "%s: exit %d, expected %s" % (what, st, " or ".join(map(str, status))),
          err[-2000:])
    line = one_line(err, what)
    check(not os.listdir(out), "%s: files written to -o dir: %s" % (what, os.listdir(out)))
    check(set(os.listdir(wd)) == before, "%s: stray files in the working directory: %s"
          % (what, sorted(set(os.listdir(wd)) - before)))
    print("%s: exit %d: %s" % (what, st, line))
    return st, line


def expect_partial(opts, wd, core, what, signal_name="SIGSEGV", allow_too_damaged=False):
    """coroner must write a report that lists problems (exit 1) and still
    names the signal; with ALLOW_TOO_DAMAGED exit 5 (one line, no report)
    is accepted too."""
    out = os.path.join(wd, "out-" + what)
    os.makedirs(out)
    st, so, err = L.run_coroner(opts.coroner, ["analyze", core, "-o", out,
                                               "--format", "md,html,json"], cwd=wd)
    ok = (1, 5) if allow_too_damaged else (1,)
    check(st in ok, "%s: exit %d, expected %s" % (what, st, " or ".join(map(str, ok))), err[-2000:])
    lines = L.stderr_lines(err)
    if st == 5:
        one_line(err, what)
        check(not os.listdir(out), "%s: exit 5 but reports written" % what)
        print("%s: exit 5: %s" % (what, lines[0]))
        return None
    check(len(lines) <= 1, "%s: stderr has %d lines, expected at most one" % (what, len(lines)),
          err[-2000:])
    paths = L.report_paths(out, core)
    for fmt in L.REPORT_FORMATS:
        check(paths[fmt], "%s: exit 1 but no .%s report" % (what, fmt), os.listdir(out))
    import json
    rep = json.load(open(paths["json"]))
    L.validate_reports(rep, paths, min_md_tables=0)
    check(rep.get("problems"), "%s: exit 1 but the report lists no problems" % what)
    if signal_name:
        check(rep["crash"].get("signal") == signal_name, "%s: crash.signal %r, expected %s"
              % (what, rep["crash"].get("signal"), signal_name), rep["crash"])
    print("%s: exit 1, problems: %s" % (what, rep["problems"][:5]))
    return rep


def null_core(opts, wd):
    core, pid = L.kernel_core(os.path.join(opts.bindir, "null_deref"), [], wd,
                              expect_signal=signal.SIGSEGV)
    with open(core, "rb") as f:
        return core, bytearray(f.read())


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def notes(data):
    """[(offset of the note header, namesz, descsz, type, name)] of the
    first PT_NOTE segment of the ELF64 little-endian core DATA."""
    check(data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1,
          "test core is not ELF64 little-endian")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p = phoff + i * phentsize
        ptype, = struct.unpack_from("<I", data, p)
        if ptype != 4:
            continue
        off, = struct.unpack_from("<Q", data, p + 8)
        size, = struct.unpack_from("<Q", data, p + 32)
        res, pos = [], off
        while pos + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = bytes(data[pos + 12:pos + 12 + namesz]).rstrip(b"\0")
            res.append((pos, namesz, descsz, ntype, name))
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
        return res
    raise L.Failure("FAIL: test core has no PT_NOTE")


NT_PRSTATUS, NT_FILE = 1, 0x46494c45


def case_empty(opts, wd):
    expect_error(opts, wd, ["analyze", write(os.path.join(wd, "empty"), b""), "-o", "out"],
                 (4,), "empty file")


def case_random(opts, wd):
    rnd = random.Random(20240601)
    data = bytes(rnd.getrandbits(8) for _ in range(64 * 1024))
    expect_error(opts, wd, ["analyze", write(os.path.join(wd, "random.bin"), data), "-o", "out"],
                 (4,), "random bytes")


def case_elf_not_core(opts, wd):
    import shutil
    exe = os.path.join(wd, "prog")
    shutil.copy2(os.path.join(opts.bindir, "null_deref"), exe)
    expect_error(opts, wd, ["analyze", exe, "-o", "out"], (4,), "an executable, not a core")


def case_directory(opts, wd):
    d = os.path.join(wd, "somedir")
    os.makedirs(d)
    expect_error(opts, wd, ["analyze", d, "-o", "out"], (3, 4), "a directory")


def case_nonexistent(opts, wd):
    expect_error(opts, wd, ["analyze", os.path.join(wd, "no-such-core"), "-o", "out"],
                 (3,), "nonexistent path")


def case_usage(opts, wd):
    expect_error(opts, wd, ["analyze"], (2,), "no dump given")
    expect_error(opts, wd, ["analyze", "x", "--format", "pdf", "-o", "out"], (2,), "unknown format")
    expect_error(opts, wd, ["frobnicate"], (2,), "unknown command")


def case_unwritable_out(opts, wd):
    core, data = null_core(opts, wd)
    blocker = write(os.path.join(wd, "a-file"), b"not a directory\n")
    # -o names a path below a regular file: creating or writing there fails
    # with ENOTDIR even for root (whom permission bits do not stop).
    expect_error(opts, wd, ["analyze", core, "-o", os.path.join(blocker, "out")], (3,),
                 "-o below a regular file")
    with open(blocker, "rb") as f:
        check(f.read() == b"not a directory\n", "the file in the way was changed")


def case_stdout_full(opts, wd):
    core, data = null_core(opts, wd)
    out = os.path.join(wd, "out")
    os.makedirs(out)
    with open("/dev/full", "wb") as full:
        t0 = time.time()
        import subprocess
        r = subprocess.run([opts.coroner, "analyze", core, "-o", "-", "--format", "json"],
                           stdout=full, stderr=subprocess.PIPE, env=L.sanitizer_env(),
                           timeout=300, cwd=wd)
    err = r.stderr.decode(errors="replace")
    check(0 <= r.returncode < 128, "killed by signal %d" % -r.returncode, err)
    check(r.returncode == 3, "writing the report to a full stdout: exit %d, expected 3"
          % r.returncode, err)
    check("Sanitizer" not in err, "sanitizer report", err)
    print("stdout /dev/full: exit 3: %s (%.1fs)" % (one_line(err, "full stdout"), time.time() - t0))


def case_truncated(opts, wd, percent):
    core, data = null_core(opts, wd)
    cut = write(os.path.join(wd, "core-cut%d" % percent), data[:len(data) * percent // 100])
    expect_partial(opts, wd, cut, "truncated at %d%%" % percent)


def case_truncated_notes(opts, wd):
    core, data = null_core(opts, wd)
    ns = notes(data)
    # Cut in the middle of the note segment, after the first NT_PRSTATUS.
    cut_at = ns[len(ns) // 2][0] + 6
    cut = write(os.path.join(wd, "core-cutnotes"), data[:cut_at])
    expect_partial(opts, wd, cut, "cut inside the notes", signal_name=None, allow_too_damaged=True)


def case_notes_lie(opts, wd):
    core, data = null_core(opts, wd)
    ns = notes(data)
    # 1. The first note (NT_PRSTATUS) claims 4 GiB of descriptor.
    d = bytearray(data)
    struct.pack_into("<I", d, ns[0][0] + 4, 0xfffffff0)
    expect_partial(opts, wd, write(os.path.join(wd, "core-huge-descsz"), d), "huge descsz",
                   signal_name=None, allow_too_damaged=True)
    # 2. The first NT_PRSTATUS's descsz is 4 bytes too long: every later
    # note (NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, ...) is misread, so
    # the process, the signal and the file list are lost and must be
    # reported missing.
    d = bytearray(data)
    struct.pack_into("<I", d, ns[0][0] + 4, ns[0][2] + 4)
    expect_partial(opts, wd, write(os.path.join(wd, "core-misaligned"), d), "misaligned notes",
                   signal_name=None, allow_too_damaged=True)
    # 2b. NT_FILE's descsz 4 bytes too long: only the notes after it (the
    # FP/vector state, which coroner does not use) are misread, so a full
    # report is fine too; it must just not crash.
    nf = [n for n in ns if n[3] == NT_FILE]
    check(nf, "test core has no NT_FILE note")
    d = bytearray(data)
    struct.pack_into("<I", d, nf[0][0] + 4, nf[0][2] + 4)
    p = write(os.path.join(wd, "core-misaligned-late"), d)
    out = os.path.join(wd, "out-late")
    os.makedirs(out)
    st, so, err = L.run_coroner(opts.coroner, ["analyze", p, "-o", out], cwd=wd)
    check(st in (0, 1), "NT_FILE descsz + 4: exit %d, expected 0 or 1" % st, err[-2000:])
    # 3. NT_FILE's count says 2^64-1 entries (its descriptor starts with
    # count and page size, each a long).
    d = bytearray(data)
    desc = nf[0][0] + 12 + ((nf[0][1] + 3) & ~3)
    struct.pack_into("<Q", d, desc, 0xffffffffffffffff)
    rep = expect_partial(opts, wd, write(os.path.join(wd, "core-file-count"), d),
                         "NT_FILE count 2^64-1", signal_name="SIGSEGV")
    # 4. Every descsz and namesz zeroed: no notes readable at all.
    d = bytearray(data)
    for n in ns:
        struct.pack_into("<II", d, n[0], 0, 0)
    expect_partial(opts, wd, write(os.path.join(wd, "core-zero-notes"), d), "zeroed note sizes",
                   signal_name=None, allow_too_damaged=True)
    return rep


def case_threads_10000(opts, wd):
    core, pid = L.kernel_core(os.path.join(opts.bindir, "idle_threads"), ["10000", "crash"], wd,
                              expect_signal=signal.SIGSEGV, timeout=300)
    t0 = time.time()
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"),
                                        expect_status=(0, 1))
    took = time.time() - t0
    check(len(rep["threads"]) == 10001 or rep.get("problems"),
          "%d threads and no problem listed, expected 10001" % len(rep["threads"]))
    L.validate_json(rep, paths["json"])
    L.validate_html(paths["html"])
    L.validate_markdown(paths["md"])
    big = max(rep["groups"], key=lambda g: g["count"])
    print("10,001 threads: exit %d in %.1fs, %d threads, %d groups, largest %d, core %d MB"
          % (status, took, len(rep["threads"]), len(rep["groups"]), big["count"],
             os.path.getsize(core) >> 20))
    if len(rep["threads"]) == 10001:
        check(big["count"] == 10000, "the 10,000 idle threads are not one group (largest %d)"
              % big["count"])


CASES = {
    "empty": case_empty,
    "random": case_random,
    "elf-not-core": case_elf_not_core,
    "directory": case_directory,
    "nonexistent": case_nonexistent,
    "usage": case_usage,
    "unwritable-out": case_unwritable_out,
    "stdout-full": case_stdout_full,
    "truncated-50": lambda o, w: case_truncated(o, w, 50),
    "truncated-99": lambda o, w: case_truncated(o, w, 99),
    "truncated-notes": case_truncated_notes,
    "notes-lie": case_notes_lie,
    "threads-10000": case_threads_10000,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--bindir", required=True)
    opts = ap.parse_args()
    wd = L.workdir("bad-" + opts.case)
    L.main_wrapper(lambda: CASES[opts.case](opts, wd))


if __name__ == "__main__":
    main()
