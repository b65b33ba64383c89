"""End-to-end tests of the heap walk (pass "heap", issue 10 item 1).

  heap_walk.py CASE --heapwalk PATH --bindir DIR

corpus/heap_planted.c plants a heap of known shape, writes its plan
(heap_plan.txt: per chunk size the in-use and free counts, the mmapped
chunks, the arenas, the corrupted chunk) and dumps itself; the tool
tests/heapwalk.c prints the walk's counts per (state, chunk size), which
must match the plan EXACTLY for every planted size.

CASE is MODE-DUMPER: MODE one of heap_planted's modes (classes, arenas,
mmapped, corrupt, freeall), DUMPER "kernel" (abort(), the kernel's core),
"gcore" (gdb's gcore of the live process), "noarena" (the kernel's core
walked with glibc's main_arena symbol hidden: the arena found by its
shape) or "onearena" (the kernel's core of a run with MALLOC_ARENA_MAX=1:
the threads share the main arena, and the 7 chunks each freed into its
own tcache are free only if the walk finds every thread's tcache through
the TLS variable).  corrupt: a heap-corruption finding at the overwritten chunk; every
other case: none.  arenas-kernel also runs coroner analyze --heap: the
Markdown and HTML reports have the arena table, a row per arena of JSON's
heap.arenas with its in-use count.

python-gcore: the real program nobody here wrote, Debian's python3 holding
[bytearray(1000) for _ in range(530038)], dumped by gcore and walked with
and without the main_arena symbol: each buffer is PyObject_Malloc(1001),
above pymalloc's 512-byte limit, so malloc(1001), a chunk of
request2size(1001) = (1001 + 8 + 15) & ~15 = 1024 bytes: at least 530,038
in use (the interpreter has a few of its own), the largest class by count.
malloc may hand out a free chunk up to MINSIZE (32) bytes larger than
asked when the rest would be too small to split off (measured: 2 of
530,038 were 1,040 bytes), so the count is over [1024, 1056).

Exit 0 pass, 1 fail, 77 skip.
"""

import argparse
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402


def read_plan(wd):
    path = os.path.join(wd, "heap_plan.txt")
    check(os.path.exists(path), "heap_planted wrote no plan")
    plan = {"size": [], "mmapped": [], "arenas": 0, "corrupt": None}
    for line in open(path):
        w = line.split()
        if w[0] == "size":
            plan["size"].append((int(w[1]), int(w[3]), int(w[5])))
        elif w[0] == "mmapped":
            plan["mmapped"].append((int(w[1]), int(w[2])))
        elif w[0] == "arenas":
            plan["arenas"] = int(w[1])
        elif w[0] == "corrupt":
            plan["corrupt"] = int(w[1])
    return plan


def walk(tool, core, hide):
    argv = [tool] + (["--no-main-arena"] if hide else []) + [core]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    out = r.stdout.decode(errors="replace")
    check(r.returncode == 0, "heapwalk failed (%d)" % r.returncode,
          r.stderr.decode(errors="replace"))
    res = {"counts": {}, "findings": [], "lines": out}
    for line in out.splitlines():
        w = line.split(None, 3)
        if w[0] == "chunk":
            res["counts"][(w[1], int(w[2]))] = int(w[3])
        elif w[0] == "finding":
            res["findings"].append((w[1], int(w[2], 16), w[3]))
        elif len(w) >= 2:
            res[w[0]] = " ".join(w[1:])
    return res


PYTHON = "/usr/bin/python3"
PY_BUFFERS = 530038
PY_PROGRAM = r"""
import time
x = [bytearray(1000) for _ in range(%d)]
print("ready", flush=True)
time.sleep(1000)
""" % PY_BUFFERS


def request2size(n, word=8, align=16):
    return max((n + word + align - 1) & ~(align - 1), 4 * word)


def run_python(args):
    if not os.path.exists(PYTHON):
        L.skip("no " + PYTHON)
    wd = L.workdir("heap_walk-python")
    core, _ = L.gcore_dump(PYTHON, ["-c", PY_PROGRAM], wd)
    size = request2size(1001)
    for hide in (False, True):
        res = walk(args.heapwalk, core, hide)
        out = "\n".join(l for l in res["lines"].splitlines()
                        if not l.startswith("chunk in_use") or
                        int(l.split()[3]) > 100)
        check(res.get("corrupt") == "0", "corruption found in python's heap", out)
        got = sum(res["counts"].get(("in_use", size + d), 0)
                  for d in range(0, 32, 16))
        check(got >= PY_BUFFERS, "%d in-use chunks of %d bytes, python holds %d"
              % (got, size, PY_BUFFERS), out)
        top = max((n, k) for k, n in res["counts"].items() if k[0] == "in_use")
        check(top[1] == ("in_use", size), "top class by count is %r" % (top,), out)
        print("python%s: %d chunks of %d in use, walk %s ms, chunk array %s bytes"
              % (" (main_arena hidden)" if hide else "", got, size,
                 res.get("walk_ms"), res.get("chunk_bytes")))
    os.unlink(core)


def run_auto(args):
    """coroner analyze with no heap option on a crash inside glibc's free()
    (the heap corrupted, then the chunk freed): the heap is walked for
    corruption without --heap, the statistics and leaks are not computed."""
    wd = L.workdir("heap_walk-corruptfree")
    prog = os.path.join(args.bindir, "heap_planted")
    core, _ = L.kernel_core(prog, ["corruptfree"], wd, expect_signal=signal.SIGABRT)
    plan = read_plan(wd)
    rep, paths, status, err = L.analyze(args.coroner, core, os.path.join(wd, "out"))
    L.validate_json(rep, paths["json"])
    heap = rep.get("heap") or {}
    check(heap.get("walked") is True and heap.get("skipped") is None,
          "a crash inside free() did not get the heap walk", heap)
    check(heap.get("corruptions", 0) >= 1 and any(
        f["id"] == "heap-corruption" and f.get("pass") == "heap" and
        any(e.get("address") == "0x%x" % plan["corrupt"] for e in f["evidence"])
        for f in rep["findings"]),
          "no heap-corruption finding of the walk at 0x%x" % plan["corrupt"],
          [f for f in rep["findings"] if f["id"] == "heap-corruption"])
    walk = [f for f in rep["findings"] if f["id"] == "heap-corruption" and f.get("pass") == "heap"]
    check(all(f["severity"] == "warning" for f in walk),
          "the walk's findings on a heap glibc itself found corrupt are not warnings"
          " (the crashing thread in free() is not a change caught half-way)",
          [(f["severity"], f["title"]) for f in walk])
    check(heap.get("totals") is None and heap.get("leaks") is None,
          "statistics or leaks computed for a crash without --heap", heap)
    print("corruptfree-auto: walked, %d corruption(s), no statistics"
          % heap["corruptions"])


def run_busy(args):
    """A dump taken while a thread is inside malloc (gdb stops heap_planted
    in malloc after it overwrote a chunk's header, gcore dumps it): the
    inconsistency is reported as information naming that thread, not as
    corruption (the allocator may be half-way through a change)."""
    wd = L.workdir("heap_walk-corruptbusy")
    prog = os.path.join(args.bindir, "heap_planted")
    core = os.path.join(wd, "core.busy")
    r = subprocess.run(["gdb", "-nx", "-batch", "-ex", "break busy_alloc",
                        "-ex", "run", "-ex", "break malloc", "-ex", "continue",
                        "-ex", "gcore " + core, "-ex", "kill",
                        "--args", prog, "corruptbusy"], cwd=wd,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = r.stdout.decode(errors="replace")
    if not os.path.exists(core):
        L.skip("gdb could not stop heap_planted in malloc and dump it:\n" + out[-2000:])
    plan = read_plan(wd)
    rep, paths, status, err = L.analyze(args.coroner, core, os.path.join(wd, "out"))
    L.validate_json(rep, paths["json"])
    found = [f for f in rep["findings"] if f["id"] == "heap-corruption"]
    check(found, "the overwritten chunk header was not found", out[-2000:])
    at = [f for f in found if any(e.get("address") == "0x%x" % plan["corrupt"]
                                  for e in f["evidence"])]
    check(at, "no finding at the overwritten chunk 0x%x" % plan["corrupt"], found)
    check(all(f["severity"] == "information" for f in found),
          "an inconsistency seen while a thread was in malloc is not information",
          [(f["severity"], f["title"]) for f in found])
    frames = [e for e in at[0]["evidence"] if e["kind"] == "frame"]
    check(frames, "the finding does not name the thread inside the allocator", at[0])
    t = rep["threads"][frames[0]["thread"]]
    fn = [fr.get("function") for fr in t["stack"]["frames"]][:8]
    check(any(f in ("malloc", "__libc_malloc", "_int_malloc") for f in fn if f),
          "the thread named is not in malloc", fn)
    print("corruptbusy: %d finding(s), information, thread in %s" % (len(found), fn[:3]))


def run(case, args):
    if case == "corruptbusy-gdb":
        return run_busy(args)
    if case == "python-gcore":
        return run_python(args)
    if case == "corruptfree-auto":
        return run_auto(args)
    mode, dumper = case.split("-")
    wd = L.workdir("heap_walk-" + case)
    prog = os.path.join(args.bindir, "heap_planted")
    if dumper == "gcore":
        core, _ = L.gcore_dump(prog, [mode, "gcore"], wd)
    else:
        if dumper == "onearena":
            os.environ["MALLOC_ARENA_MAX"] = "1"
        core, _ = L.kernel_core(prog, [mode], wd, expect_signal=signal.SIGABRT)
    plan = read_plan(wd)
    res = walk(args.heapwalk, core, dumper == "noarena")
    out = res["lines"]
    check(res.get("allocator", "").startswith("glibc malloc"),
          "allocator not recognised as glibc malloc", out)
    check(res.get("walked") == "1", "heap not walked", out)
    # The version: this machine's glibc ("glibc 2.36"), read from libc's
    # banner (the dump's libc file, matched by build id).
    mine = os.confstr("CS_GNU_LIBC_VERSION").split()[-1]
    check(res.get("allocator") == "glibc malloc " + mine,
          "allocator %r, this machine runs glibc %s" % (res.get("allocator"), mine), out)
    c = res["counts"]
    # After the overwritten header the walk of that heap stops: the corrupt
    # case checks the finding, not the counts.
    for size, in_use, free in plan["size"] if plan["corrupt"] is None else []:
        got = c.get(("in_use", size), 0)
        check(got == in_use, "chunk size %d: %d in use, planted %d"
              % (size, got, in_use), out)
        if free >= 0:
            got = c.get(("free", size), 0)
            check(got == free, "chunk size %d: %d free, planted %d"
                  % (size, got, free), out)
    for size, n in plan["mmapped"]:
        got = c.get(("mmapped", size), 0)
        check(got == n, "mmapped chunks of %d: %d, planted %d" % (size, got, n), out)
    if not plan["mmapped"]:
        check(not any(k[0] == "mmapped" for k in c), "mmapped chunks invented", out)
    check(int(res.get("arenas", 0)) >= max(plan["arenas"], 1),
          "arenas: %s, planted at least %d" % (res.get("arenas"), plan["arenas"]), out)
    # Every thread's tcache (the arena's first chunk) is the allocator's.
    internal = sum(n for k, n in c.items() if k[0] == "internal")
    threads = 5 if mode == "arenas" else 1
    check(internal >= threads,
          "tcache_perthread_struct not found for every thread", out)
    corrupt = [f for f in res["findings"] if f[0] == "heap-corruption"]
    if plan["corrupt"] is not None:
        check(any(f[1] == plan["corrupt"] for f in corrupt),
              "no heap-corruption finding at the overwritten chunk 0x%x"
              % plan["corrupt"], out)
    else:
        check(not corrupt and res.get("corrupt") == "0",
              "heap-corruption finding on a sound heap", out)
    if mode == "arenas" and plan["arenas"] > 1:
        arena_table(args, core, wd)
    print("%s: %s chunks, walk %s ms" % (case, res.get("chunks"), res.get("walk_ms")))


def arena_table(args, core, wd):
    """The reports show each arena's totals (JSON's heap.arenas) as a
    table when there is more than one arena."""
    rep, paths, status, err = L.analyze(args.coroner, core, os.path.join(wd, "out"),
                                        ["--heap"])
    L.validate_json(rep, paths["json"])
    arenas = rep["heap"]["arenas"]
    check(len(arenas) > 1, "JSON: %d arenas" % len(arenas))
    with open(paths["md"], encoding="utf-8") as fh:
        md = fh.read()
    with open(paths["html"], encoding="utf-8") as fh:
        html = fh.read()
    check("Arenas" in md and "Arenas" in html, "no arena table in the reports")
    rows = [l for l in md.splitlines() if l.startswith("| 0x")]
    for a in arenas:
        row = [r for r in rows if r.split("|")[1].split()[0] == a["address"]]
        check(len(row) == 1, "arena %s: no row in the Markdown table" % a["address"],
              rows)
        cells = [c.strip() for c in row[0].strip("|").split("|")]
        check(cells[2] == format(a["in_use_count"], ","),
              "arena %s: %s in use in the table, %d in JSON"
              % (a["address"], cells[2], a["in_use_count"]), row[0])
        check(("(main)" in cells[0]) == a["main"], "arena %s: main %s" %
              (a["address"], a["main"]), row[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--heapwalk", required=True)
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--coroner", required=True)
    args = ap.parse_args()
    L.main_wrapper(lambda: run(args.case, args))


if __name__ == "__main__":
    main()
