"""End-to-end tests of the hang pass (issue 9, part 1's ownerless waits and
probable hang, part 6's healthy controls) on real dumps of processes at
rest, taken on demand as a hang detector would: the kernel's core after
SIGQUIT, or gcore.

  hang.py CASE --coroner PATH --bindir DIR

CASE is DUMPER-SET with DUMPER kernel or gcore and SET:
  c      corpus/waits.c: planted "condvar" (a consumer waits on queue_cv
         nobody signals; main joins it) and the healthy controls "pool"
         (four idle workers on one condition variable), "epoll" (a server
         in epoll_wait and accept) and "sleep" (three sleeping threads);
  python corpus/py_lock_abba.py run by Debian's /usr/bin/python3: two
         threads take two threading.Locks in opposite order.

A planted situation is found when a probable-hang warning names its
threads (and, for the condition variable, its address); a control is
clean when no pass reports an error or a warning on it.  Prints the
rates (e2elib.print_rates).  Exit 0 pass, 1 fail, 77 skip.
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

CONTROLS = ("pool", "epoll", "sleep")
PYTHON = "/usr/bin/python3"


def dump(dumper, prog, args, wd):
    if dumper == "kernel":
        return L.kernel_core_on_demand(prog, args, wd)
    return L.gcore_dump(prog, args, wd, settle=True)


def analyze(opts, core, wd):
    # Exit 1 is allowed: it says a problem was recorded, which is not what
    # these tests are about (the findings are).
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"),
                                        expect_status=(0, 1))
    L.validate_json(rep, paths["json"])
    return rep


def loud(rep):
    """Findings of any pass that are errors or warnings."""
    return [f for f in rep["findings"] if f["severity"] in ("error", "warning")]


def hang_of(rep):
    hs = [f for f in rep["findings"] if f["id"] == "probable-hang"]
    check(len(hs) <= 1, "%d probable-hang findings" % len(hs), hs)
    return hs[0] if hs else None


def table_rows(finding, label="blocked threads"):
    for e in finding["evidence"]:
        if e["kind"] == "table" and e["label"] == label:
            return e["rows"]
    return []


def tid_of(rep, index):
    return rep["threads"][index]["tid"] if index is not None else None


def planted_lines(wd, name):
    with open(os.path.join(wd, name)) as f:
        return [ln.split() for ln in f if ln.strip()]


def case_condvar(opts, dumper, wd):
    """The consumer's hang: [] when found, else what is wrong."""
    prog = os.path.join(opts.bindir, "waits")
    core, pid = dump(dumper, prog, ["condvar"], wd)
    (tid, cv), = planted_lines(wd, "waits.txt")
    tid, cv = int(tid), int(cv, 16)
    rep = analyze(opts, core, wd)
    h = hang_of(rep)
    if not h:
        return ["condvar: no probable-hang finding", rep["findings"]]
    wrong = []
    if h["severity"] != "warning":
        wrong.append("condvar: severity %s" % h["severity"])
    if tid_of(rep, h["thread"]) != tid:
        wrong.append("condvar: finding's thread is tid %s, expected the consumer %d"
                     % (tid_of(rep, h["thread"]), tid))
    rows = {r[0]: r for r in table_rows(h)}
    row = rows.get("thread %d" % tid)
    if not row or not row[2] or not row[2].startswith("0x%x" % cv):
        wrong.append("condvar: the consumer's row does not name queue_cv 0x%x: %r"
                     % (cv, row))
    if row and "queue_cv" not in (row[2] or ""):
        wrong.append("condvar: queue_cv not named by its symbol: %r" % row)
    if "consume" not in h["title"] or "pthread_cond_wait" not in h["title"]:
        wrong.append("condvar: title does not say pthread_cond_wait in consume: %s"
                     % h["title"])
    waits = [f for f in rep["findings"] if f["id"] == "ownerless-wait"
             and any(e["kind"] == "address" and int(e["address"], 16) == cv
                     for e in f["evidence"])]
    if not waits:
        wrong.append("condvar: no ownerless-wait finding at queue_cv 0x%x" % cv)
    return wrong and wrong + [h]


def case_control(opts, dumper, wd, mode):
    prog = os.path.join(opts.bindir, "waits")
    sub = os.path.join(wd, mode)
    os.makedirs(sub)
    core, pid = dump(dumper, prog, [mode], sub)
    rep = analyze(opts, core, sub)
    return loud(rep)


def case_python(opts, dumper, wd):
    if not os.path.exists(PYTHON):
        L.skip("%s not installed" % PYTHON)
    script = os.path.join(L.source_dir(), "corpus", "py_lock_abba.py")
    core, pid = dump(dumper, PYTHON, [script], wd)
    tids = [int(ln[0]) for ln in planted_lines(wd, "py_lock_abba.txt")]
    rep = analyze(opts, core, wd)
    h = hang_of(rep)
    if not h:
        return ["python: no probable-hang finding", rep["findings"]]
    rows = {r[0]: r for r in table_rows(h)}
    wrong = []
    for tid in tids:
        row = rows.get("thread %d" % tid)
        if not row or "Python lock" not in (row[1] or ""):
            wrong.append("python: taker %d's wait is not named a Python lock: %r"
                         % (tid, row))
    if "Python lock" not in h["title"]:
        wrong.append("python: title does not say Python lock: %s" % h["title"])
    return wrong and wrong + [h]


def run(opts, wd):
    if platform.machine() != "x86_64":
        # The futex address is a system call argument only x86 keeps.
        L.skip("wait objects are decoded on x86_64 only; this is %s"
               % platform.machine())
    dumper, kind = opts.case.split("-")
    failures = []
    if kind == "c":
        wrong = case_condvar(opts, dumper, os.path.join(wd))
        found, planted = (0 if wrong else 1), 1
        failures += wrong or []
        false_found = 0
        for mode in CONTROLS:
            bad = case_control(opts, dumper, wd, mode)
            false_found += bool(bad)
            if bad:
                failures += ["control %s: errors or warnings" % mode, bad]
        L.print_rates("hang-%s" % opts.case, found, planted, false_found,
                      len(CONTROLS))
    else:
        wrong = case_python(opts, dumper, wd)
        failures += wrong or []
        L.print_rates("hang-%s" % opts.case, 0 if wrong else 1, 1, 0, 0)
    check(not failures, "%d failures" % sum(isinstance(f, str) for f in failures),
          *failures)


if __name__ == "__main__":
    L.case_main({c: run for c in ("kernel-c", "gcore-c", "kernel-python",
                                  "gcore-python")}, "hang",
                options=[("--bindir", {"required": True})])
