"""End-to-end tests of the locks pass (issue 9, part 1): real cores of
programs whose threads are stuck on owned locks, and the finding that must
name them.

  locks.py SITUATION-DUMPER --coroner PATH --bindir DIR

SITUATION: abba (corpus/deadlock.c: two threads, two mutexes in opposite
order), cycle, convoy, rwlock, dead-owner (corpus/lock_situations.c, whose
header says what each plants); the healthy controls idle (an idle pool of
eight workers waiting on a condition variable, corpus/idle_threads.c) and
pipe (a thread blocked reading a pipe, corpus/pipe_block.c).  DUMPER: kernel (the program sends itself
SIGQUIT, a dump taken on demand; deadlock.c crashes instead) or gcore (of
the live process).  The programs write the ground truth (roles, tids, lock
addresses) to a file; the JSON report must hold exactly one finding of the
locks pass, of the situation's id, naming those threads and locks.  Any
other finding of the pass is a false one.  Prints the rates (situations
found / planted, false findings / runs).  Exit 0 pass, 1 fail, 77 skip.
"""

import collections
import os
import platform
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

# situation -> (program, args before the dump mode, finding id; None: a
# healthy control, on which the pass must conclude nothing)
SITUATIONS = {
    "abba": ("deadlock", [], "deadlock"),
    "idle": ("idle_threads", ["8"], None),
    "pipe": ("pipe_block", [], None),
    "cycle": ("lock_situations", ["cycle"], "deadlock"),
    "convoy": ("lock_situations", ["convoy"], "lock-convoy"),
    "rwlock": ("lock_situations", ["rwlock"], "rwlock-writer-starved"),
    "dead-owner": ("lock_situations", ["dead-owner"], "lock-owner-gone"),
}


def planted(wd, prog):
    """{role: [(tid, lock address)]} from the program's facts file."""
    facts = collections.defaultdict(list)
    if prog == "deadlock":
        path = os.path.join(wd, "deadlock.txt")
        check(os.path.exists(path), "deadlock did not write %s" % path)
        with open(path) as f:
            for ln in f:
                if ln.strip():
                    tid, addr = ln.split()
                    facts["member"].append((int(tid), int(addr, 16)))
        return facts
    path = os.path.join(wd, "locks.txt")
    check(os.path.exists(path), "%s did not write %s" % (prog, path))
    with open(path) as f:
        for ln in f:
            if ln.strip():
                role, tid, addr = ln.split()
                facts[role].append((int(tid), int(addr, 16)))
    return facts


def evidence(finding, kind, label=None):
    return [e for e in finding["evidence"]
            if e["kind"] == kind and (label is None or e["label"] == label)]


def evidence_tids(rep, finding, label):
    """Tids of the threads F's thread and frame evidence labelled LABEL
    name."""
    return sorted(rep["threads"][e["thread"]]["tid"]
                  for e in finding["evidence"]
                  if e["kind"] in ("thread", "frame") and e["label"] == label)


def addr(a):
    return "0x%x" % a


def check_deadlock(rep, f, facts):
    members = facts["member"]
    tids = sorted(t for t, _ in members)
    check(evidence_tids(rep, f, "deadlocked thread") == tids,
          "deadlock names threads %s, planted %s"
          % (evidence_tids(rep, f, "deadlocked thread"), tids), f)
    locks = sorted(addr(a) for _, a in members)
    named = sorted(e["address"] for e in evidence(f, "address", "waits for"))
    check(named == locks, "deadlock names locks %s, planted %s" % (named, locks), f)
    # each member is named with the lock it waits for, in the title too
    for tid, a in members:
        check("thread %d waits for mutex %s" % (tid, addr(a)) in f["title"]
              or "which waits for mutex %s" % addr(a) in f["title"],
              "title does not say that %d waits for %s" % (tid, addr(a)), f["title"])
    rows = evidence(f, "table")[0]["rows"]
    check(sorted(int(r[0].split()[1]) for r in rows) == tids,
          "the cycle's table lists %s" % [r[0] for r in rows], rows)
    check(f["severity"] == "error", "deadlock severity %s" % f["severity"])


def check_convoy(rep, f, facts):
    (owner, lock), = facts["owner"]
    waiters = sorted(t for t, _ in facts["waiter"])
    check(rep["threads"][f["thread"]]["tid"] == owner,
          "convoy is about thread %s, the owner is %d"
          % (rep["threads"][f["thread"]]["tid"], owner), f)
    check(f["title"].startswith("%d threads wait for mutex %s" % (len(waiters), addr(lock)))
          and "held by thread %d, which is blocked reading" % owner in f["title"],
          "convoy title does not name the queue, lock, owner and its read", f["title"])
    rows = evidence(f, "table")[0]["rows"]
    check(sorted(int(r[0].split()[1]) for r in rows) == waiters,
          "the queue lists %s, planted %s" % ([r[0] for r in rows], waiters), rows)
    check(evidence(f, "address", "lock")[0]["address"] == addr(lock), "convoy lock", f)
    check(f["severity"] == "error", "a convoy of eight is an error, got %s" % f["severity"])


def check_rwlock(rep, f, facts):
    (writer, lock), = facts["writer"]
    readers = len(facts["reader"])
    check(rep["threads"][f["thread"]]["tid"] == writer,
          "finding is about thread %s, the writer is %d"
          % (rep["threads"][f["thread"]]["tid"], writer), f)
    check(evidence(f, "address", "lock")[0]["address"] == addr(lock), "rwlock address", f)
    check(evidence_tids(rep, f, "waiting writer") == [writer], "waiting writer", f)
    n = [e["value"] for e in evidence(f, "number", "readers holding it")]
    check(n == [readers], "readers holding it: %s, planted %d" % (n, readers), f)


def check_gone(rep, f, facts):
    (gone, lock), = facts["gone"]
    waiters = sorted(t for t, _ in facts["waiter"])
    check(f["title"].startswith("Thread %d owns mutex %s" % (gone, addr(lock)))
          and "%d threads wait for it" % len(waiters) in f["title"],
          "owner-gone title does not name the owner, the lock and the waiters", f["title"])
    check(not any(t["tid"] == gone for t in rep["threads"]),
          "the exited owner %d is in the dump" % gone)
    check(evidence_tids(rep, f, "waiting thread") == waiters,
          "waiting threads %s, planted %s" % (evidence_tids(rep, f, "waiting thread"), waiters), f)
    check(evidence(f, "address", "lock")[0]["address"] == addr(lock), "lock address", f)


CHECKS = {"deadlock": check_deadlock, "lock-convoy": check_convoy,
          "rwlock-writer-starved": check_rwlock, "lock-owner-gone": check_gone}


def run_case(opts, situation, dumper, wd):
    if platform.machine() not in ("x86_64", "i686", "i386"):
        # The futex address is the call's first argument, which only x86
        # keeps in the core (aarch64's x0 is the return value).
        L.skip("the futex address is decoded on x86 only; this is %s" % platform.machine())
    prog_name, args, want_id = SITUATIONS[situation]
    prog = os.path.join(opts.bindir, prog_name)
    check(os.path.exists(prog), "%s not built" % prog)
    if dumper == "gcore":
        core, _ = L.gcore_dump(prog, args + ["wait"], wd)
    elif prog_name == "lock_situations":
        core, _ = L.kernel_core(prog, args + ["quit"], wd, expect_signal=signal.SIGQUIT)
    else:	# the older corpus programs crash (pipe_block aborts)
        core, _ = L.kernel_core(prog, args + ["crash"], wd)
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"))
    L.validate_reports(rep, paths)
    mine = [f for f in rep["findings"] if f["pass"] == "locks"]
    # Errors and warnings of the other passes (the crash pass aside: the
    # older programs crash on purpose to be dumped): on a control any is
    # false, and so is one beside the planted situation.
    loud = [f for f in rep["findings"] if f["severity"] in ("error", "warning")
            and f["pass"] not in ("locks", "crash")]
    if want_id is None:
        wrong = mine + loud
        L.print_rates("locks.%s-%s" % (situation, dumper), 0, 0, min(len(wrong), 1), 1)
        check(not wrong, "findings on a healthy control",
              [(f["pass"], f["id"], f["title"]) for f in wrong])
        return
    facts = planted(wd, prog_name)
    right = [f for f in mine if f["id"] == want_id]
    false = len(mine) - min(len(right), 1) + len(loud)
    L.print_rates("locks.%s-%s" % (situation, dumper), min(len(right), 1), 1, false, 1)
    check(len(right) == 1, "%d %s findings, expected 1" % (len(right), want_id),
          [(f["id"], f["title"]) for f in rep["findings"]], L.fmt_frames(rep["threads"][0], 8))
    check(false == 0, "false findings beside the planted situation",
          [(f["pass"], f["id"], f["title"]) for f in mine + loud if f not in right[:1]])
    f = right[0]
    CHECKS[want_id](rep, f, facts)
    # every report shows the finding
    with open(paths["md"], encoding="utf-8") as fh:
        md = fh.read().replace("\\_", "_")
    with open(paths["html"], encoding="utf-8") as fh:
        html = fh.read()
    lock = addr(next(iter(facts.values()))[0][1])
    for name, text in (("md", md), ("html", html)):
        check(lock in text, "%s report does not show the lock %s" % (name, lock))
    print(f["title"])


def make_case(situation, dumper):
    return lambda opts, wd: run_case(opts, situation, dumper, wd)


if __name__ == "__main__":
    L.case_main({"%s-%s" % (s, d): make_case(s, d)
                 for s in SITUATIONS for d in ("kernel", "gcore")}, "locks",
                [("--bindir", {"required": True,
                               "help": "where the corpus programs are built"})])
