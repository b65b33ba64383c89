"""Counts from the file must cost linear time: for each dimension a dump
can make large (NT_FILE ranges, PT_LOADs, threads, overlapping ranges,
minidump memory ranges and modules), a crafted dump with N and one with 2N
of it are analyzed, and the time must grow about linearly: t(2N)/t(N) <
3 (a quadratic loop gives about 4, less what the linear parts dilute: the
old NT_FILE annotation measured 3.65 here).  Times are CPU seconds of coroner, the
best of three runs.  N is chosen so that t(N) is well above
the noise of process start-up.

  scaling.py CASE --coroner PATH

Exit 0 pass, 1 fail, 77 skip.
"""

import argparse
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
sys.path.insert(0, HERE)
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402
import corewriter as CW  # noqa: E402
import mdwriter as MW  # noqa: E402

STACK = 0x7ffd0000
MAX_RATIO = 3.0


def base_core(arch="x86_64"):
    c = CW.Core(arch)
    c.thread(tid=100, regs={"rip": 0x401000, "rsp": STACK + 0x800}, signo=11)
    c.psinfo(pid=100, fname="victim", args="victim")
    c.siginfo(signo=11, code=1, addr=0)
    return c


def nt_file(c, entries, page_size=0x1000):
    """NT_FILE as Core.nt_file writes it, joined once (its byte-string
    appends are quadratic in Python for 100,000 entries)."""
    parts = [c.words(len(entries), page_size)]
    parts += [c.words(s, e, off // page_size) for s, e, off, _ in entries]
    parts += [p.encode() + b"\0" for _, _, _, p in entries]
    c.raw_note("CORE", CW.NT_FILE, b"".join(parts))


def core_nt_file_spanning(n):
    """N NT_FILE ranges of one page each over N/8 mappings (PT_LOADs
    without data) of 8 pages, and one more range that spans them all: the
    case that made annotating regions quadratic (each mapping walked every
    range that starts before its end).  Fewer mappings than ranges keep
    libdwfl's own per-PT_LOAD costs small."""
    c = base_core()
    c.load(STACK, b"\0" * 0x1000)
    base = 0x10000000
    for i in range(n // 8):
        c.load(base + i * 0x10000, b"", size=0x8000, flags="r")
    ents = [(base, base + (n // 8) * 0x10000, 0, "/span")]
    ents += [(base + (i // 8) * 0x10000 + (i % 8) * 0x1000,
              base + (i // 8) * 0x10000 + (i % 8) * 0x1000 + 0x1000, 0, "/f%d" % i)
             for i in range(n)]
    nt_file(c, ents)
    return c.bytes()


def core_pt_loads(n):
    """N PT_LOADs, each a mapping with one captured page of its own."""
    c = base_core()
    c.load(STACK, b"\0" * 0x1000)
    base = 0x10000000
    for i in range(n):
        c.load(base + i * 0x2000, b"", size=0x1000, flags="r")
    return c.bytes()


def core_overlapping(n):
    """N PT_LOADs that all overlap one another (a few with data, so that
    memory segments overlap too)."""
    c = base_core()
    c.load(STACK, b"\0" * 0x1000)
    base = 0x10000000
    for i in range(n):
        c.load(base + i * 0x1000, b"\1" * 0x10 if i % 1000 == 0 else b"",
               size=0x10000000, flags="r")
    return c.bytes()


def core_threads(n):
    """N threads (NT_PRSTATUS), all with the same registers."""
    c = CW.Core("x86_64")
    for i in range(n):
        c.thread(tid=100 + i, regs={"rip": 0x401000, "rsp": STACK + 0x800},
                 signo=11 if i == 0 else 0, orig=7)
    c.psinfo(pid=100, fname="victim", args="victim")
    c.load(STACK, b"\0" * 0x1000)
    return c.bytes()


def md_memory(n):
    """A minidump with N memory ranges (MemoryListStream)."""
    m = MW.Minidump()
    m.thread(tid=1, rip=0x401000, rsp=STACK + 0x800, stack_addr=STACK, stack=b"\0" * 0x1000)
    for i in range(n):
        m.memory(0x10000000 + i * 0x2000, b"\1" * 16)
    return m.bytes()


def md_repeated_range(n):
    """A minidump listing one range of N KiB N times (the copies' bytes all
    zeros, at different RVAs): comparing every copy in full is quadratic."""
    m = MW.Minidump()
    m.thread(tid=1, rip=0x401000, rsp=STACK + 0x800, stack_addr=STACK, stack=b"\0" * 0x1000)
    m.memory_repeated(0x10000000, n * 1024, n)
    return m.bytes()


def md_modules(n):
    """A minidump with N modules."""
    m = MW.Minidump()
    m.thread(tid=1, rip=0x401000, rsp=STACK + 0x800, stack_addr=STACK, stack=b"\0" * 0x1000)
    for i in range(n):
        m.module(0x10000000 + i * 0x10000, 0x8000, "C:\\mods\\m%d.dll" % i)
    return m.bytes()


def md_threads(n):
    """A minidump with N threads sharing one stack."""
    m = MW.Minidump()
    for i in range(n):
        m.thread(tid=1 + i, rip=0x401000, rsp=STACK + 0x800, stack_addr=STACK,
                 stack=b"\0" * 0x1000)
    return m.bytes()


# case: (generator, N, extension)
CASES = {
    "nt-file-spanning": (core_nt_file_spanning, 150000, "core"),
    "pt-loads": (core_pt_loads, 30000, "core"),
    "overlapping-loads": (core_overlapping, 30000, "core"),
    "threads": (core_threads, 4000, "core"),
    "md-memory": (md_memory, 400000, "dmp"),
    "md-modules": (md_modules, 10000, "dmp"),
    "md-repeated-range": (md_repeated_range, 3000, "dmp"),
    "md-threads": (md_threads, 4000, "dmp"),
}


def timed_run(coroner, path, wd):
    """Run coroner on PATH (JSON report only); return (seconds, exit)."""
    out = os.path.join(wd, "out")
    os.makedirs(out, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    st, so, err = L.run_coroner(coroner, ["analyze", path, "-o", out, "-f", "json", "-q"],
                                timeout=120)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    check(st in (0, 1), "%s: exit %d" % (path, st), err[-2000:])
    return cpu, wall


def case(opts, wd, name):
    gen, n, ext = CASES[name]
    times = {}
    for k in (n, 2 * n):
        path = os.path.join(wd, "%s-%d.%s" % (name, k, ext))
        with open(path, "wb") as f:
            f.write(gen(k))
        # Best of three: the machine is shared; the smallest figure is the
        # one least disturbed by other processes.
        runs = [timed_run(opts.coroner, path, wd) for _ in range(3)]
        cpu = min(r[0] for r in runs)
        wall = min(r[1] for r in runs)
        times[k] = cpu
        print("%s: N=%d: %.3f s CPU (%.3f s wall), file %d bytes"
              % (name, k, cpu, wall, os.path.getsize(path)))
    ratio = times[2 * n] / max(times[n], 0.05)
    print("%s: t(2N)/t(N) = %.2f (linear 2, quadratic 4; limit %.1f)" % (name, ratio, MAX_RATIO))
    check(ratio < MAX_RATIO, "%s: time grows faster than linearly: %.3f s for N=%d, %.3f s for N=%d"
          % (name, times[n], n, times[2 * n], 2 * n))
    check(times[2 * n] < 20, "%s: %.1f s for N=%d" % (name, times[2 * n], 2 * n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--coroner", required=True)
    opts = ap.parse_args()
    wd = L.workdir("scaling-" + opts.case)
    L.main_wrapper(lambda: case(opts, wd, opts.case))


if __name__ == "__main__":
    main()
