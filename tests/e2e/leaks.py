"""End-to-end tests of the "leaks" pass (issue 10, item 3): the heap
allocations nothing points to, on real cores.

  leaks.py CASE --coroner PATH --bindir DIR

leak-kernel / leak-gcore: corpus/heap_leak.c drops 1,000 allocations of
three sizes and keeps 701 reachable from a global array, main's stack, a
volatile local, a heap linked list and an anonymous mapping; dumped by the
kernel (abort) and by gcore.  The probable-leak finding counts exactly the
dropped ones, and its table gives each dropped class's count and bytes.
controls: heap_leak keepall (kernel) and freeall (gcore): no probable-leak
finding.
hidden: heap_leak hidden (kernel): the 150 allocations only a block left
out of the core (MADV_DONTDUMP) holds are counted as leaked, JSON's
heap.leaks.missing_roots gives the block's 64 KiB, the finding is
information and says the roots are missing, and so does the Markdown.
python-gcore: Debian's python3 holding 530,038 bytearrays of 600 bytes in a
list (their buffers are glibc chunks that only the objects in Python's
obmalloc arenas point to): none of them leaked.
Each case prints its rates (e2elib.print_rates).  The tests skip (77) when
this build has no heap walk (no pass "heap"): the leaks pass has nothing
to mark then.  Exit 0 pass, 1 fail, 77 skip.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

PYTHON = "/usr/bin/python3"
NBYTEARRAYS = 530038
BYTEARRAY_SIZE = 600
PY_PROGRAM = r"""
import sys
held = [bytearray(%d) for _ in range(%d)]
print("ready", flush=True)
import time
time.sleep(1000)
""" % (BYTEARRAY_SIZE, NBYTEARRAYS)


def read_plan(wd):
    path = os.path.join(wd, "plan.txt")
    check(os.path.exists(path), "heap_leak did not write %s" % path)
    plan = {"class": {}}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "class":
                plan["class"][int(w[1])] = int(w[2])
            elif w[0] == "dropped":
                plan["dropped"] = (int(w[1]), int(w[2]))
            elif w[0] == "kept":
                plan["kept"] = int(w[1])
            elif w[0] == "hidden":
                plan["hidden"] = tuple(int(x) for x in w[1:4])
    return plan


def leak_findings(rep):
    return [f for f in rep["findings"] if f["id"] == "probable-leak"]


def evidence(f, label):
    for e in f["evidence"]:
        if e["label"] == label:
            return e
    raise L.Failure("FAIL: probable-leak has no evidence %r: %s" % (label, f["title"]))


def class_rows(f):
    """{chunk size: (count, bytes text)} from the finding's table."""
    t = evidence(f, "leaked by chunk size")
    rows = {}
    for r in t["rows"]:
        if r[0].isdigit():
            rows[int(r[0])] = (int(r[1].replace(",", "")), r[2])
    return rows


def dump(prog, args, wd, dumper):
    if dumper == "kernel":
        return L.kernel_core(prog, args, wd)
    return L.gcore_dump(prog, args, wd)


def case_leak(opts, wd, dumper):
    L.need_heap_walk(opts.coroner, ("heap", "leaks"))
    prog = os.path.join(opts.bindir, "heap_leak")
    core, pid = dump(prog, ["leak", "abort" if dumper == "kernel" else "wait"],
                     wd, dumper)
    plan = read_plan(wd)
    # abort() is a crash: its leaks are searched on request (--heap).
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"),
                                        ["--heap"] if dumper == "kernel" else [])
    L.validate_json(rep, paths["json"])
    fs = leak_findings(rep)
    found = 0
    try:
        check(len(fs) == 1, "expected one probable-leak finding, got %d"
              % len(fs), [f["title"] for f in rep["findings"]])
        f = fs[0]
        n, nbytes = plan["dropped"]
        got = evidence(f, "leaked allocations")["value"]
        check(got == n, "%d allocations reported leaked, %d dropped" % (got, n),
              f["title"])
        got_bytes = evidence(f, "leaked bytes")["value"]
        check(got_bytes == nbytes, "%d bytes reported leaked, %d dropped"
              % (got_bytes, nbytes))
        check(f["severity"] == "warning", "probable-leak is a %s" % f["severity"])
        check("%s allocations" % format(n, ",") in f["title"],
              "the title does not say %d allocations: %r" % (n, f["title"]))
        rows = class_rows(f)
        for size, count in plan["class"].items():
            check(size in rows and rows[size][0] == count,
                  "class %d: %r leaked, %d dropped" % (size, rows.get(size), count),
                  rows)
        with open(paths["md"], encoding="utf-8") as fh:
            md = fh.read().replace("\\_", "_")
        check(f["title"] in md, "the Markdown report does not show %r" % f["title"])
        found = 1
    finally:
        L.print_rates("leaks.leak-%s" % dumper, found, 1, 0, 0)


def case_controls(opts, wd):
    L.need_heap_walk(opts.coroner, ("heap", "leaks"))
    prog = os.path.join(opts.bindir, "heap_leak")
    false = 0
    controls = (("keepall", "kernel"), ("freeall", "gcore"))
    problems = []
    for mode, dumper in controls:
        d = os.path.join(wd, mode)
        os.makedirs(d)
        core, pid = dump(prog, [mode, "abort" if dumper == "kernel" else "wait"],
                         d, dumper)
        rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(d, "out"),
                                            ["--heap"] if dumper == "kernel" else [])
        # A control passes only when the leaks were searched: a broken
        # walk (no chunks, no mark) must not look healthy.
        heap = rep.get("heap")
        check(heap and heap["walked"], "%s-%s: the heap was not walked"
              % (mode, dumper), heap)
        check(heap.get("leaks") is not None, "%s-%s: no leak search in the "
              "report's heap" % (mode, dumper), heap)
        fs = leak_findings(rep)
        if fs:
            false += 1
            problems.append("%s-%s: %s" % (mode, dumper, fs[0]["title"]))
    L.print_rates("leaks.controls", 0, 0, false, len(controls))
    check(not problems, "probable-leak on healthy controls", problems)


def case_hidden(opts, wd):
    """A root left out of the core (MADV_DONTDUMP): what only it holds is
    counted as leaked, and the report says the root is missing."""
    L.need_heap_walk(opts.coroner, ("heap", "leaks"))
    prog = os.path.join(opts.bindir, "heap_leak")
    core, pid = dump(prog, ["hidden", "abort"], wd, "kernel")
    plan = read_plan(wd)
    n, nbytes, mapped = plan["hidden"]
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"),
                                        ["--heap"])
    L.validate_json(rep, paths["json"])
    leaks = rep["heap"]["leaks"]
    check(leaks["count"] == n and leaks["bytes"] == nbytes,
          "leaks: %d (%d bytes), the hidden block held %d (%d bytes)"
          % (leaks["count"], leaks["bytes"], n, nbytes))
    check(leaks["missing_roots"] == {"stacks": 0, "writable_bytes": mapped},
          "missing roots: %r, the block left out is %d bytes"
          % (leaks["missing_roots"], mapped))
    fs = leak_findings(rep)
    check(len(fs) == 1, "expected one probable-leak finding, got %d" % len(fs))
    f = fs[0]
    check(f["severity"] == "information",
          "a leak with roots missing is a %s" % f["severity"])
    e = evidence(f, "roots missing from the dump")
    check("64 KiB of writable memory" in str(e), "evidence: %r" % e)
    with open(paths["md"], encoding="utf-8") as fh:
        md = fh.read()
    check("Roots missing" in md and "64 KiB of writable memory" in md,
          "the Memory section does not say the roots are missing")
    print("hidden: %d leaked, missing roots %r" % (leaks["count"],
                                                    leaks["missing_roots"]))


def case_python(opts, wd):
    L.need_heap_walk(opts.coroner, ("heap", "leaks"))
    if not os.path.exists(PYTHON):
        L.skip("%s not installed" % PYTHON)
    core, pid = L.gcore_dump(PYTHON, ["-c", PY_PROGRAM], wd)
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"))
    fs = leak_findings(rep)
    leaked = 0
    if fs:
        # Chunks of the buffers' size: bytearray(600) asks malloc for 601.
        size = (BYTEARRAY_SIZE + 1 + 8 + 15) // 16 * 16
        leaked = class_rows(fs[0]).get(size, (0, ""))[0]
    L.print_rates("leaks.python-gcore", 1 if not leaked else 0, 1,
                  1 if fs and fs[0]["severity"] == "warning" else 0, 1)
    check(leaked == 0, "%d of the %d bytearray buffers reported leaked"
          % (leaked, NBYTEARRAYS), fs and fs[0]["title"])
    check(not fs or fs[0]["severity"] != "warning",
          "probable-leak warning on python3: %s" % (fs and fs[0]["title"]))


CASES = {
    "leak-kernel": lambda o, w: case_leak(o, w, "kernel"),
    "leak-gcore": lambda o, w: case_leak(o, w, "gcore"),
    "controls": case_controls,
    "hidden": case_hidden,
    "python-gcore": case_python,
}

if __name__ == "__main__":
    L.case_main(CASES, "leaks", options=(("--bindir", {"required": True}),))
