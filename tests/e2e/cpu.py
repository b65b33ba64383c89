"""End-to-end tests of the "cpu" pass (issue 9, part 3): a thread that
burns the CPU is named, with its share of the process's CPU time.

  cpu.py CASE --coroner PATH --bindir DIR

spin-kernel / spin-gcore: corpus/spin.c's spinner (a loop in parse_row
among four idle workers) dumped by the kernel on SIGQUIT (times recorded:
the high-cpu-thread finding names the spinner with >= 80% of the CPU time)
and by gcore (no times: the finding names the only thread on a CPU and
says the times are not recorded).
spinlock-kernel / spinlock-gcore: the spinner spins in pthread_spin_lock on
a lock that a sleeping thread holds: the spin-lock finding names it.
python-kernel: Debian's /usr/bin/python3 with one thread in a pure-Python
loop among three sleeping ones, SIGQUIT: the busy thread and its share.
idle-controls: healthy controls (corpus/idle_threads.c by the kernel on
SIGQUIT and by gcore, python3 with sleeping threads only): no cpu finding,
no warning from the pass.
Each case prints its rates (e2elib.print_rates).  Exit 0 pass, 1 fail,
77 skip.
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

CPU_IDS = ("high-cpu-thread", "spin-lock")
PYTHON = "/usr/bin/python3"

# One busy thread (a pure-Python loop, no system call) among sleeping
# ones; once it used BUSY_MS of CPU, the main thread writes its tid to
# busy.txt, prints "ready" and sleeps.  SLEEPERS=0, BUSY=0: a control.
PY_PROGRAM = r"""
import sys, threading, time
busy, sleepers, busy_ms = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def sleeper():
    time.sleep(1000)

def parse_rows():
    n = 0
    while True:
        n = (n * 31 + 7) % 1000003

for _ in range(sleepers):
    threading.Thread(target=sleeper, daemon=True).start()
if busy:
    t = threading.Thread(target=parse_rows, name="busy", daemon=True)
    t.start()
    clock = time.pthread_getcpuclockid(t.ident)
    while time.clock_gettime(clock) * 1000 < busy_ms:
        time.sleep(0.01)
    with open("busy.txt", "w") as f:
        f.write("%d\n" % t.native_id)
else:
    time.sleep(0.3)
print("ready", flush=True)
time.sleep(1000)
"""


def cpu_findings(rep):
    return [f for f in rep["findings"] if f["id"] in CPU_IDS]


def planted(wd, name):
    """{"spinner": [tid], "holder": [tid, lock]} from the program's file."""
    path = os.path.join(wd, name)
    check(os.path.exists(path), "the program did not write %s" % path)
    res = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w:
                res[w[0]] = w[1:]
    return res


def number(finding, label):
    for e in finding["evidence"]:
        if e["label"] == label:
            return e.get("value")
    return None


def dump(prog, args, wd, dumper):
    if dumper == "kernel":
        return L.signal_core(prog, args, wd)
    return L.gcore_dump(prog, args, wd)


def check_spinner(rep, paths, fid, tid, recorded, min_share=80):
    """The one cpu finding is FID about thread TID, with its share (times
    RECORDED) or "not recorded"; returns the finding."""
    fs = cpu_findings(rep)
    titles = [f["title"] for f in fs]
    check(len(fs) == 1 and fs[0]["id"] == fid,
          "expected one %s finding, got %s" % (fid, titles), rep["summary"])
    f = fs[0]
    check(f["severity"] == "warning", "%s is a %s" % (fid, f["severity"]))
    idx = f["thread"]
    check(idx is not None and rep["threads"][idx]["tid"] == tid,
          "%s names thread index %r (tid %r), expected tid %d"
          % (fid, idx, idx is not None and rep["threads"][idx]["tid"], tid), f["title"])
    check(str(tid) in f["title"], "title does not name thread %d: %r" % (tid, f["title"]))
    share = number(f, "share of the process's CPU time")
    if recorded:
        check(share is not None and share >= min_share,
              "%s: share %r%%, expected >= %d%%" % (fid, share, min_share), f)
        check("%d." % share in f["title"], "title does not say the share: %r" % f["title"])
    else:
        check(share is None and "not recorded" in f["title"],
              "%s on a dump without times must say they are not recorded: %r"
              % (fid, f["title"]))
    with open(paths["md"], encoding="utf-8") as fh:
        md = fh.read().replace("\\_", "_")
    check(f["title"] in md, "the Markdown report does not show %r" % f["title"])
    print("%s | %s" % (f["title"], rep["summary"][:200]))
    return f


def case_spin(opts, wd, dumper, mode):
    prog = os.path.join(opts.bindir, "spin")
    check(os.path.exists(prog), "%s not built" % prog)
    core, pid = dump(prog, [mode, "600"], wd, dumper)
    want = planted(wd, "spin.txt")
    tid = int(want["spinner"][0])
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"))
    L.validate_reports(rep, paths)
    fid = "spin-lock" if mode == "spinlock" else "high-cpu-thread"
    found = 0
    try:
        f = check_spinner(rep, paths, fid, tid, dumper == "kernel")
        if mode == "spinlock":
            check("pthread_spin_lock" in f["title"] and "take_table_lock" in f["title"],
                  "spin-lock title names neither the lock function nor its caller: %r"
                  % f["title"])
            if platform.machine() == "x86_64":
                lock = [e for e in f["evidence"] if e["label"] == "lock"]
                check(lock and int(lock[0]["address"], 16) == int(want["holder"][1], 16),
                      "spin-lock names lock %r, expected %s" % (lock, want["holder"][1]))
                check(lock[0]["where"] == "table_lock in spin",
                      "the lock is not named as the global table_lock: %r" % lock[0])
        else:
            check("parse_row" in f["title"], "title does not name parse_row: %r" % f["title"])
        if dumper == "kernel":
            check_leader_time(paths, pid)
        found = 1
    finally:
        L.print_rates("cpu.%s-%s" % (mode, dumper), found, 1, 0, 0)


def check_leader_time(paths, pid):
    """The thread tables show the leader's own time (the core's total
    minus the other threads'), not "not recorded"."""
    import re
    with open(paths["md"], encoding="utf-8") as fh:
        rows = [ln for ln in fh if re.match(r"\| %d \(received the signal\) \|" % pid, ln)]
    check(rows, "no thread-table row for the leader %d in the Markdown report" % pid)
    cells = [c.strip() for c in rows[0].split("|")]
    check(re.match(r"\d+\.\d{6} s$", cells[-3]) and re.match(r"\d+\.\d{6} s$", cells[-2]),
          "the leader's user and system times are %r, expected numbers" % cells[-3:-1],
          rows[0])


def case_python(opts, wd):
    if not os.path.exists(PYTHON):
        L.skip("%s not installed" % PYTHON)
    script = os.path.join(wd, "busy.py")
    with open(script, "w") as f:
        f.write(PY_PROGRAM)
    # The main thread gives the GIL back when it goes to sleep after
    # "ready": the busy thread runs again a moment later.
    core, pid = L.signal_core(PYTHON, [script, "1", "3", "600"], wd, settle=0.3)
    tid = int(list(planted(wd, "busy.txt"))[0])
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"))
    check(len(rep["threads"]) >= 5, "python3 core has %d threads, expected 5"
          % len(rep["threads"]))
    found = 0
    try:
        check_spinner(rep, paths, "high-cpu-thread", tid, True)
        found = 1
    finally:
        L.print_rates("cpu.python-kernel", found, 1, 0, 0)


def control_python(opts, wd):
    script = os.path.join(wd, "idle.py")
    with open(script, "w") as f:
        f.write(PY_PROGRAM)
    return L.signal_core(PYTHON, [script, "0", "3", "0"], wd)


def case_controls(opts, wd):
    prog = os.path.join(opts.bindir, "idle_threads")
    check(os.path.exists(prog), "%s not built" % prog)
    controls = [("idle_threads-kernel", lambda d: L.signal_core(prog, ["8"], d)),
                ("idle_threads-gcore", lambda d: L.gcore_dump(prog, ["8"], d)),
                ("python-sleepers-kernel", lambda d: control_python(opts, d))]
    false = 0
    bad = []
    for name, make in controls:
        d = os.path.join(wd, name)
        os.makedirs(d)
        core, pid = make(d)
        rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(d, "out"))
        # No pass may warn about a healthy process.
        fs = [f for f in rep["findings"]
              if f["pass"] == "cpu" or f["severity"] in ("error", "warning")]
        if fs:
            false += 1
            bad.append((name, [f["title"] for f in fs]))
    L.print_rates("cpu.idle-controls", 0, 0, false, len(controls))
    check(not bad, "healthy controls got findings", bad)


if __name__ == "__main__":
    L.case_main({"spin-kernel": lambda o, w: case_spin(o, w, "kernel", "busy"),
                 "spin-gcore": lambda o, w: case_spin(o, w, "gcore", "busy"),
                 "spinlock-kernel": lambda o, w: case_spin(o, w, "kernel", "spinlock"),
                 "spinlock-gcore": lambda o, w: case_spin(o, w, "gcore", "spinlock"),
                 "python-kernel": case_python,
                 "idle-controls": case_controls}, "cpu",
                [("--bindir", {"required": True,
                               "help": "where the corpus programs are built"})])
