"""End-to-end test of the structured thread state (issue 8, item 3): a
real core of corpus/deadlock.c, whose two lockers each hold one mutex and
wait in pthread_mutex_lock for the other's.

  state.py CASE --coroner PATH --bindir DIR

deadlock-kernel: the kernel's core (the program crashes once both lockers
are blocked); deadlock-gcore: gdb's core of the live process.  The program
writes, for each locker, its tid and the address of the mutex it waits for
(deadlock.txt).  The JSON's state_info must say blocked-on-lock with that
address as the wait object (glibc's mutex starts with its futex word), the
futex call decoded (FUTEX_WAIT, no timeout), and the sentence in every
report must name the mutex.  Exit 0 pass, 1 fail, 77 skip.
"""

import os
import platform
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

FUTEX_CMD_MASK = 0x7f
FUTEX_WAIT = 0
FUTEX_LOCK_PI = 6


def planted(wd):
    """{tid: mutex address} from the program's deadlock.txt."""
    path = os.path.join(wd, "deadlock.txt")
    check(os.path.exists(path), "deadlock did not write %s" % path)
    with open(path) as f:
        return {int(t): int(a, 16) for t, a in (ln.split() for ln in f if ln.strip())}


def case_deadlock(opts, dumper, wd):
    if platform.machine() != "x86_64":
        # The futex address is the call's first argument, which only
        # x86 keeps in the core (aarch64's x0 is the return value).
        L.skip("the futex address is decoded on x86_64 only; this is %s"
               % platform.machine())
    prog = os.path.join(opts.bindir, "deadlock")
    check(os.path.exists(prog), "%s not built" % prog)
    if dumper == "kernel":
        core, pid = L.kernel_core(prog, ["crash"], wd, expect_signal=signal.SIGSEGV)
    else:
        core, pid = L.gcore_dump(prog, ["wait"], wd)
    want = planted(wd)
    check(len(want) == 2, "deadlock.txt names %d lockers, expected 2" % len(want), want)
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"))
    L.validate_reports(rep, paths)
    by_tid = {t["tid"]: t for t in rep["threads"]}
    with open(paths["md"], encoding="utf-8") as f:
        md = f.read()
    with open(paths["html"], encoding="utf-8") as f:
        html = f.read()
    for tid, mutex in sorted(want.items()):
        check(tid in by_tid, "locker %d is not in the report" % tid, sorted(by_tid))
        t = by_tid[tid]
        si = t["state_info"]
        ctx = (t["state"], si, L.fmt_frames(t, 6))
        check(si["kind"] == "blocked-on-lock", "locker %d: kind %r, expected blocked-on-lock"
              % (tid, si["kind"]), *ctx)
        check(si["syscall"] and si["syscall"]["name"] == "futex",
              "locker %d: system call %r, expected futex" % (tid, si["syscall"]), *ctx)
        check(si["wait_object"] == "0x%x" % mutex,
              "locker %d: wait object %r, expected the mutex 0x%x" % (tid, si["wait_object"], mutex),
              *ctx)
        check(si["wait_object_type"] == "mutex", "locker %d: wait object type %r"
              % (tid, si["wait_object_type"]), *ctx)
        args = {a["name"]: a for a in si["args"]}
        check(args.get("uaddr", {}).get("value") == "0x%x" % mutex,
              "locker %d: uaddr %r" % (tid, args.get("uaddr")), *ctx)
        op = args.get("op", {}).get("value")
        check(isinstance(op, int) and (op & FUTEX_CMD_MASK) in (FUTEX_WAIT, FUTEX_LOCK_PI),
              "locker %d: futex op %r is not a lock wait" % (tid, op), *ctx)
        check(args.get("timeout", {}).get("value") == "0x0",
              "locker %d: timeout %r, expected none" % (tid, args.get("timeout")), *ctx)
        check(si["function"] and "lock" in si["function"],
              "locker %d: function %r" % (tid, si["function"]), *ctx)
        sentence = t["state"] or ""
        check(sentence.startswith("waiting on a lock (mutex 0x%x, FUTEX_WAIT" % mutex)
              and "no timeout" in sentence,
              "locker %d: state %r does not name the mutex and the wait" % (tid, sentence))
        # (Markdown escapes the underscores of the function name.)
        shown = "waiting on a lock (mutex 0x%x, FUTEX_WAIT" % mutex
        for name, text in (("md", md.replace("\\_", "_")), ("html", html)):
            check(shown in text, "%s report does not show %r" % (name, shown))
    if dumper == "kernel":
        main = by_tid[pid]
        check(main["state_info"]["kind"] == "crashed", "main thread kind %r"
              % main["state_info"]["kind"])
    check("2 waiting on a lock" in rep["summary"] or "were waiting on a lock" in rep["summary"],
          "summary does not count the two lockers as waiting on a lock", rep["summary"])
    print("%s | %s" % (" / ".join(by_tid[t]["state"] for t in sorted(want)), rep["summary"]))


def case_deadlock_kernel(opts, wd):
    case_deadlock(opts, "kernel", wd)


def case_deadlock_gcore(opts, wd):
    case_deadlock(opts, "gcore", wd)


if __name__ == "__main__":
    L.case_main({"deadlock-kernel": case_deadlock_kernel,
                 "deadlock-gcore": case_deadlock_gcore}, "state",
                [("--bindir", {"required": True,
                               "help": "where the corpus programs are built"})])
