"""series_heap.py - the heap's growth across a series of dumps
(analyzer/series_heap.c, issue 10 item 5) on live processes collected by
`coroner collect PID -n 3 -s 1`.

  series_heap.py series --coroner PATH --bindir DIR

corpus/heap_growth.c keeps 3,000 blocks of 24 bytes and then, every
0.5 s, either adds 2,000 blocks of 1,000 bytes (grow) or replaces the
previous 2,000 (steady, the control), logging each step's start and end
time (CLOCK_REALTIME, ns) and the 1,000-byte blocks alive after it.  The
collector records each dump's time while the process is stopped, so the
blocks alive in a dump are those of the last step that ended before that
time: the expected count in every dump is exact.  A dump that stopped the
process in the middle of a step (a few ms of 500, tens on a loaded
machine) holds a count within that step's: the series is taken once more,
and the second is checked with that range where it happens again.

grow: the analysis of the three dumps has the series-heap-growth warning;
its first class is the 1,000-byte one (chunk 1,008, usable 1,000), with
each dump's count as logged, growing monotonically, none leaked,
its rate per minute the count growth over the dumps' span; the 24-byte
class (chunk 32) is not among the growing classes; the signature is
"heap-growth: 1000-byte blocks"; the process is not called hung (its heap
moved); the three reports are valid (JSON against the schema).
steady: the same program replacing its blocks one by one instead of
adding more: the finding is information ("did
not grow"), no heap warning (series-heap-growth, probable-leak,
high-memory).

Prints the rates (e2elib.print_rates): the growth found / planted and heap
warnings on the control.  Exit 0 pass, 1 fail, 77 skip.
"""

import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

BLOCK_CHUNK, BLOCK_USABLE = 1008, 1000      # malloc(1000) on 64-bit glibc
STABLE_CHUNK = 32                           # malloc(24)
HEAP_WARNINGS = ("series-heap-growth", "probable-leak", "high-memory")


def read_steps(path):
    """[(start_s, end_s, live)] of the program's log."""
    steps = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 4:
                steps.append((int(w[1]) / 1e9, int(w[2]) / 1e9, int(w[3])))
    return steps


def expected_live(steps, t, steady):
    """The 1,000-byte blocks alive at dump time T, as (lowest, highest):
    one number unless the dump stopped the process during a step."""
    live = 0
    for start, end, n in steps:
        if end < t:
            live = n
        elif start < t:
            return (n - 1, n) if steady else (live, n)
    return (live, live)


def collect_series(opts, wd, mode):
    """Run heap_growth MODE, collect three dumps 1 s apart, analyze them
    as one series; return (report, paths, expected counts per dump)."""
    os.makedirs(wd)
    log = os.path.join(wd, "steps.log")
    prog = os.path.join(opts.bindir, "heap_growth")
    p = subprocess.Popen([prog, mode, log], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        L._wait_ready(p, prog)
        out = os.path.join(wd, "dumps")
        st, _, err = L.run_coroner(opts.coroner, ["collect", str(p.pid), "-n", "3",
                                                  "-s", "1", "-o", out])
        check(st == 0, "coroner collect %d -n 3 -s 1: exit %d" % (p.pid, st), err[-3000:])
        # A step the last dump interrupted logs itself once it ends: wait
        # for a step that starts after the collection.
        done = time.time()
        deadline = done + 10
        while time.time() < deadline and not any(
                start > done for start, _, _ in read_steps(log)):
            time.sleep(0.1)
    finally:
        p.kill()
        p.wait()
    cores = sorted(glob.glob(os.path.join(out, "*.core")))
    check(len(cores) == 3, "three cores expected", os.listdir(out))
    rdir = os.path.join(wd, "out")
    st, _, err = L.run_coroner(opts.coroner, ["analyze"] + cores +
                               ["-o", rdir, "--format", "md,html,json"])
    check(st in (0, 1), "coroner analyze of the series: exit %d" % st, err[-3000:])
    paths = L.report_paths(rdir, cores[-1])
    with open(paths["json"]) as f:
        rep = json.load(f)
    s = rep.get("series")
    check(s and s["clock"] == "dump-time" and len(s["dumps"]) == 3,
          "the three dumps are a series ordered by their own times", s)
    steps = read_steps(log)
    want = [expected_live(steps, d["time"], mode == "steady") for d in s["dumps"]]
    return rep, paths, want


def heap_finding(rep):
    fs = [f for f in rep["findings"] if f["id"] == "series-heap-growth"]
    check(len(fs) == 1, "one series-heap-growth finding expected",
          [(f["id"], f["title"]) for f in rep["findings"]])
    return fs[0]


def check_grow(rep, paths, want):
    L.validate_reports(rep, paths)
    h = rep["series"]["heap"]
    f = heap_finding(rep)
    print("grow: %s\n  expected 1,000-byte blocks per dump: %s" % (f["title"], want))
    check(want[-1][0] > want[0][1], "the program did not grow between the dumps", want)
    check(f["severity"] == "warning" and h["grew"],
          "the heap growth is not a warning", f["title"], h)
    top = h["classes"][0]
    check(top["chunk_size"] == BLOCK_CHUNK and top["usable_size"] == BLOCK_USABLE,
          "the first growing class is not the 1,000-byte one", h["classes"])
    counts = top["counts"]
    check(all(lo <= c <= hi for c, (lo, hi) in zip(counts, want)) and
          top["count_growth"] == counts[-1] - counts[0],
          "the 1,000-byte class's counts are not what the program allocated",
          counts, want)
    grew = counts[-1] - counts[0]
    check(top["bytes_growth"] == grew * BLOCK_CHUNK, "bytes growth", top)
    check(top["monotonic"] and top["leaked_last"] == 0,
          "the growing blocks are reachable and grow monotonically", top)
    span = rep["series"]["dumps"][-1]["time"] - rep["series"]["dumps"][0]["time"]
    rate = grew / span * 60
    check(abs(top["count_per_minute"] - rate) <= rate * 0.001,
          "count per minute %.1f, expected %.1f" % (top["count_per_minute"], rate))
    check(all(c["chunk_size"] != STABLE_CHUNK for c in h["classes"]),
          "the stable 24-byte class is listed as growing", h["classes"])
    check("1,000-byte blocks" in f["title"] and
          f["signature"] == "heap-growth: 1000-byte blocks",
          "the finding does not name the 1,000-byte blocks", f["title"], f["signature"])
    check(h["monotonic"] and h["growth_bytes"] >= grew * BLOCK_CHUNK,
          "the heap totals do not grow with the blocks", h["dumps"])
    stuck = [x["title"] for x in rep["findings"] if x["id"] == "series-stuck-threads"]
    check(not any("probably hung" in t for t in stuck),
          "a process whose heap grew is called hung", stuck)
    with open(paths["md"], encoding="utf-8") as fh:
        md = fh.read()
    row = "| 1,000 bytes |  | %s → %s (+%s) |" % tuple(
        "{:,}".format(v) for v in (counts[0], counts[-1], grew))
    check(row in md, "the Markdown report has no row %r" % row)
    return 1


def check_steady(rep, paths, want):
    L.validate_json(rep, paths["json"])
    h = rep["series"]["heap"]
    f = heap_finding(rep)
    print("steady: %s" % f["title"])
    warned = [(x["id"], x["title"]) for x in rep["findings"]
              if x["id"] in HEAP_WARNINGS and x["severity"] in ("warning", "error")]
    others = [(x["id"], x["title"]) for x in rep["findings"]
              if x["severity"] in ("warning", "error") and x["id"] not in HEAP_WARNINGS]
    if others:
        print("steady: other warnings (not the heap's): %s" % others)
    check(all(lo >= want[0][0] - 1 and hi <= want[0][1] for lo, hi in want),
          "the control's blocks changed in number", want)
    return warned, f, h


def attempt(fn):
    """FN(); once more when a dump stopped the program mid-step (its count
    is then only known within the step), keeping the second either way."""
    first = fn("1")
    if all(lo == hi for lo, hi in first[2]):
        return first
    print("a dump stopped the program mid-step (%s): taking the series once more"
          % first[2])
    return fn("2")


def case_series(opts, wd):
    L.need_heap_walk(opts.coroner)
    grow = attempt(lambda n: collect_series(opts, os.path.join(wd, "grow" + n), "grow"))
    steady = attempt(lambda n: collect_series(opts, os.path.join(wd, "steady" + n), "steady"))
    # The checks after both series, so the rates print even on a failure.
    try:
        found = check_grow(*grow)
    except L.Failure as e:
        print(e)
        found = 0
    warned, f, h = check_steady(*steady)
    L.print_rates("series_heap", found, 1, 1 if warned else 0, 1)
    check(found == 1, "the growth was not found")
    check(not warned, "heap warnings on the control", warned)
    check(f["severity"] == "information" and not h["grew"] and "did not grow" in f["title"],
          "the control's finding does not say the heap did not grow", f["title"], h)


if __name__ == "__main__":
    L.case_main({"series": case_series}, "series_heap",
                options=(("--bindir", {"required": True}),))
