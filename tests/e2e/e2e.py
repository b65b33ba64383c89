"""End-to-end tests: build-tree programs from corpus/ crash or block in a
known way, the kernel or gdb writes a core, coroner analyzes it, and the
facts the program planted must be in the JSON report; all three reports
must be valid.

  e2e.py CASE --coroner PATH --bindir DIR

CASE is PROGRAM-DUMPER, e.g. null_deref-kernel or idle_threads-gcore (see
CASES).  Exit 0 pass, 1 fail, 77 skip.
"""

import argparse
import os
import platform
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

CORPUS = os.path.join(L.source_dir(), "corpus")
# crash.class of a dump taken on demand (docs/report-schema.md).
NO_CRASH = ("none",)
X86 = platform.machine() in ("x86_64", "i686", "i386")


def src(name):
    return os.path.join(CORPUS, name + ".c")


def make_dump(dumper, prog, args, wd, **kw):
    if dumper == "kernel":
        return L.kernel_core(prog, args, wd, **kw)
    if dumper == "xz":
        # A kernel core compressed as systemd-coredump can store it
        # (COMPRESS=xz); Python's lzma writes the same .xz container.
        import lzma
        core, pid = L.kernel_core(prog, args, wd, **kw)
        with open(core, "rb") as f, lzma.open(core + ".xz", "wb", preset=1) as g:
            shutil.copyfileobj(f, g)
        os.unlink(core)
        return core + ".xz", pid
    if dumper in ("gz", "zip"):
        # A core passed around as a .gz file, or in a .zip beside the
        # uploader's other files (the dump not first).
        import gzip
        import zipfile
        core, pid = L.kernel_core(prog, args, wd, **kw)
        if dumper == "gz":
            with open(core, "rb") as f, gzip.open(core + ".gz", "wb", compresslevel=1) as g:
                shutil.copyfileobj(f, g)
        else:
            with zipfile.ZipFile(core + ".zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
                z.writestr("crash-report.xml", "<crash/>")
                z.write(core, "core")
        os.unlink(core)
        return core + "." + dumper, pid
    if dumper == "gcore":
        return L.gcore_dump(prog, args, wd)
    if dumper == "gdb":
        return L.gdb_crash_core(prog, args, wd)
    raise SystemExit("unknown dumper " + dumper)


def analyze(opts, core, wd, **kw):
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"), **kw)
    L.validate_reports(rep, paths)
    check(rep.get("schema_version") is not None, "schema_version missing")
    return rep, paths


DEFERRED = []


def common_process(rep, pid, exe, recorded_cpu):
    p = rep["process"]
    if pid is not None:
        check(p.get("pid") == pid, "process.pid is %r, expected %d" % (p.get("pid"), pid), p)
    check(os.path.basename(p.get("executable") or "") == exe,
          "process.executable is %r, expected .../%s" % (p.get("executable"), exe), p)
    check(p.get("os") and "linux" in p["os"].lower(), "process.os is %r" % p.get("os"))
    check(p.get("arch"), "process.arch is empty")
    # Checked after the case's other facts, so that a failure here does
    # not hide them.
    DEFERRED.append(lambda: L.check_cpu_times(rep, recorded_cpu))
    check(rep["dump"].get("file_size") and rep["dump"]["file_size"] > 0,
          "dump.file_size is %r" % rep["dump"].get("file_size"))
    L.check_main_module(rep, exe)


# ------------------------------------------------------------------ cases

def case_null_deref(opts, dumper, wd):
    prog = os.path.join(opts.bindir, "null_deref")
    core, pid = make_dump(dumper, prog, [], wd, expect_signal=signal.SIGSEGV) \
        if dumper in ("kernel", "xz", "gz", "zip") else make_dump(dumper, prog, [], wd)
    rep, _ = analyze(opts, core, wd)
    L.check_crash(rep, "null-pointer-dereference", "SIGSEGV", "SEGV_MAPERR", "0x0")
    common_process(rep, pid, "null_deref", dumper != "gdb")
    check(len(rep["threads"]) == 1, "%d threads, expected 1" % len(rep["threads"]))
    t = L.crashed_thread(rep)
    if pid is not None:
        check(t["tid"] == pid and rep["crash"].get("tid") == pid,
              "crashed tid %r / crash.tid %r, expected %d" % (t["tid"], rep["crash"].get("tid"), pid))
    fr = L.frames(t)
    check(len(fr) >= 2, "crashed thread has %d frames" % len(fr), L.fmt_frames(t))
    L.check_frame(fr[0], "crash_null", src("null_deref"), L.marker_line(src("null_deref"), "crash"), t)
    check(fr[0].get("trust") == "context", "frame 0 trust is %r" % fr[0].get("trust"))
    L.check_frame(fr[1], "main", src("null_deref"), L.marker_line(src("null_deref"), "call"), t)
    check(t["stack"].get("unwound") is True, "stack not unwound")
    check("crash_null" in rep["summary"], "summary does not name crash_null", rep["summary"])
    check(rep.get("focus_thread") == t["index"], "focus_thread %r is not the crashed thread %d"
          % (rep.get("focus_thread"), t["index"]))


def case_abort_assert(opts, dumper, wd):
    prog = os.path.join(opts.bindir, "abort_assert")
    core, pid = make_dump(dumper, prog, [], wd, expect_signal=signal.SIGABRT)
    rep, _ = analyze(opts, core, wd)
    L.check_crash(rep, "assertion-failure", "SIGABRT", "SI_TKILL")
    common_process(rep, pid, "abort_assert", True)
    msg = rep["crash"].get("abort_message") or ""
    check("x > 0" in msg, "crash.abort_message %r does not contain the assertion 'x > 0'" % msg)
    t = L.crashed_thread(rep)
    f = L.first_frame_in(t, "abort_assert")
    L.check_frame(f, "check_positive", src("abort_assert"), L.marker_line(src("abort_assert"), "crash"), t)
    names = [fr.get("function") for fr in L.frames(t)]
    check(any(n and "abort" in n for n in names), "no abort frame on the crashed stack", L.fmt_frames(t))
    check(any(n and n.startswith("__assert_fail") for n in names),
          "no __assert_fail frame on the crashed stack", L.fmt_frames(t))


def case_stack_overflow(opts, dumper, wd):
    prog = os.path.join(opts.bindir, "stack_overflow")
    core, pid = make_dump(dumper, prog, [], wd, expect_signal=signal.SIGSEGV)
    rep, _ = analyze(opts, core, wd)
    L.check_crash(rep, "stack-overflow", "SIGSEGV")
    common_process(rep, pid, "stack_overflow", True)
    t = L.crashed_thread(rep)
    fr = L.frames(t)
    check(fr and fr[0].get("function") == "recurse", "top frame is not recurse", L.fmt_frames(t))
    st = t["stack"]
    check(st["frame_count"] > 10000, "only %d frames unwound" % st["frame_count"])
    big = [f for f in st.get("folds", []) if f["repeats"] > 1000]
    check(big, "no fold with more than 1000 repeats", st.get("folds"))
    check("recurse" in big[0]["cycle"], "fold cycle %r does not name recurse" % big[0]["cycle"])
    check(fr[-1].get("function") == "main" or any(f.get("function") == "main" for f in fr[-5:]),
          "the outermost frames do not reach main", L.fmt_frames({"stack": {"frames": fr[-8:]}}))


def case_fpe(opts, dumper, wd):
    if not X86:
        L.skip("integer division by zero traps only on x86 (this is %s)" % platform.machine())
    prog = os.path.join(opts.bindir, "fpe")
    core, pid = make_dump(dumper, prog, [], wd, expect_signal=signal.SIGFPE)
    rep, _ = analyze(opts, core, wd)
    L.check_crash(rep, "arithmetic-error", "SIGFPE", "FPE_INTDIV")
    common_process(rep, pid, "fpe", True)
    t = L.crashed_thread(rep)
    L.check_frame(L.frames(t)[0], "divide", src("fpe"), L.marker_line(src("fpe"), "crash"), t)


def _idle_group(rep, nidle):
    idle = [t for t in rep["threads"]
            if any(f.get("function") == "idle_worker" for f in L.frames(t))]
    check(len(idle) == nidle, "%d threads have idle_worker on their stack, expected %d"
          % (len(idle), nidle))
    for t in idle:
        check(any(f.get("function") == "wait_for_work" for f in L.frames(t)),
              "idle thread %d has no wait_for_work frame" % t["tid"], L.fmt_frames(t))
    groups = {t["group"] for t in idle}
    check(len(groups) == 1, "the %d idle threads are in %d groups, expected one"
          % (nidle, len(groups)), [t["group"] for t in idle])
    g = rep["groups"][groups.pop()]
    check(g["count"] == nidle and sorted(g["tids"]) == sorted(t["tid"] for t in idle)
          and sorted(g["threads"]) == sorted(t["index"] for t in idle),
          "group of the idle threads does not list exactly them", g)
    return idle


def case_idle_threads(opts, dumper, wd):
    prog = os.path.join(opts.bindir, "idle_threads")
    if dumper == "kernel":
        core, pid = make_dump(dumper, prog, ["8", "crash"], wd, expect_signal=signal.SIGSEGV)
    else:
        core, pid = make_dump(dumper, prog, ["8", "wait"], wd)
    rep, _ = analyze(opts, core, wd)
    common_process(rep, pid, "idle_threads", dumper == "kernel")
    check(len(rep["threads"]) == 9, "%d threads, expected 9" % len(rep["threads"]),
          [(t["tid"], t.get("name")) for t in rep["threads"]])
    tids = [t["tid"] for t in rep["threads"]]
    check(pid in tids, "the main thread (tid %d) is missing" % pid, tids)
    check(len(set(tids)) == 9, "thread ids are not distinct", tids)
    idle = _idle_group(rep, 8)
    for t in idle:
        check(t.get("crashed") is False, "idle thread %d marked crashed" % t["tid"])
        check(t.get("in_syscall") is True, "idle thread %d: in_syscall is %r"
              % (t["tid"], t.get("in_syscall")))
        check(t.get("state") and "futex" in t["state"].lower(),
              "idle thread %d: state %r does not mention futex" % (t["tid"], t.get("state")))
    if dumper == "kernel":
        L.check_crash(rep, "null-pointer-dereference", "SIGSEGV", "SEGV_MAPERR", "0x0")
        t = L.crashed_thread(rep)
        check(t["tid"] == pid, "crashed thread is %d, expected the main thread %d" % (t["tid"], pid))
        L.check_frame(L.frames(t)[0], "crash_main", src("idle_threads"),
                      L.marker_line(src("idle_threads"), "crash"), t)
        # main spun for 50 ms of CPU before crashing; the process total
        # (the leader's entry) is recorded and not below any thread's.  Its
        # value is the kernel's tick sampling: on a loaded virtual machine
        # cores of this very program were seen to record 0 to 68 ms, so no
        # lower bound is asserted.
        pu = rep["process"]["user_cpu_usec"] + rep["process"]["system_cpu_usec"]
        check(pu >= 0, "process CPU time %d us" % pu)
        # The kernel splits each total into user and system by tick
        # ratios, so only the sums compare: the process's run time is at
        # least any thread's.
        for th in rep["threads"]:
            if th["user_cpu_usec"] is None:
                continue
            tu = th["user_cpu_usec"] + th["system_cpu_usec"]
            check(pu >= tu, "process CPU time %d us below thread %d's %d us"
                  % (pu, th["tid"], tu))
    else:
        c = rep["crash"]
        check(c.get("class") in NO_CRASH, "crash.class is %r for a gcore dump of a live process"
              % c.get("class"), c)
        check(c.get("signal") is None and c.get("thread_index") is None,
              "a signal or crashing thread for a live process", c)
        check(not any(t.get("crashed") for t in rep["threads"]), "a thread is marked crashed")
        main = [t for t in rep["threads"] if t["tid"] == pid][0]
        check(any(f.get("function") in ("pause", "__libc_pause") for f in L.frames(main)),
              "main thread is not in pause()", L.fmt_frames(main))
        check(rep["summary"], "empty summary")


def case_pipe_block(opts, dumper, wd):
    prog = os.path.join(opts.bindir, "pipe_block")
    if dumper == "kernel":
        core, pid = make_dump(dumper, prog, ["crash"], wd, expect_signal=signal.SIGABRT)
    else:
        core, pid = make_dump(dumper, prog, ["wait"], wd)
    rep, _ = analyze(opts, core, wd)
    common_process(rep, pid, "pipe_block", dumper == "kernel")
    check(len(rep["threads"]) == 2, "%d threads, expected 2" % len(rep["threads"]))
    readers = [t for t in rep["threads"]
               if any(f.get("function") == "block_on_pipe" for f in L.frames(t))]
    check(len(readers) == 1, "%d threads have block_on_pipe on their stack" % len(readers),
          [L.fmt_frames(t) for t in rep["threads"]])
    r = readers[0]
    check(r["tid"] != pid, "the reader is the main thread")
    check(r.get("state") and "read" in r["state"], "reader state %r does not mention read"
          % r.get("state"))
    check(r.get("in_syscall") is True, "reader in_syscall is %r" % r.get("in_syscall"))
    L.check_frame(L.first_frame_in(r, "pipe_block"), "block_on_pipe", src("pipe_block"),
                  L.marker_line(src("pipe_block"), "read"), r)
    if dumper == "kernel":
        L.check_crash(rep, "abort", "SIGABRT")
        check(L.crashed_thread(rep)["tid"] == pid, "crashed thread is not main")
    else:
        check(rep["crash"].get("class") in NO_CRASH, "crash.class %r for a live process"
              % rep["crash"].get("class"))


HOSTILE_EXE = "<script>|`x`"
BENIGN_EXE = "script-x-y"
HOSTILE_ARGS = ["a|b", "`id`", "<script>alert(1)</script>", "x\n|y"]
BENIGN_ARGS = ["a-b", "id", "scriptalert1script", "x-y"]


def _hostile_run(opts, wd, mode, exe, args):
    d = os.path.join(wd, mode)
    os.makedirs(d)
    prog = os.path.join(d, exe)
    shutil.copy2(os.path.join(opts.bindir, "hostile_names"), prog)
    core, pid = L.kernel_core(prog, [mode] + args, d, expect_signal=signal.SIGSEGV,
                              argv0="./" + exe)
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(d, "out"))
    htags, mtags = L.validate_reports(rep, paths)
    return rep, paths, htags, mtags, pid


def case_hostile_names(opts, dumper, wd):
    hrep, hpaths, hhtml, hmd, hpid = _hostile_run(opts, wd, "hostile", HOSTILE_EXE, HOSTILE_ARGS)
    brep, bpaths, bhtml, bmd, bpid = _hostile_run(opts, wd, "benign", BENIGN_EXE, BENIGN_ARGS)
    # The facts survive, byte for byte, in the JSON.
    exe = hrep["process"].get("executable") or ""
    check(exe.endswith(HOSTILE_EXE), "process.executable %r lost the hostile name" % exe)
    cmd = hrep["process"].get("command_line") or ""
    want = " ".join(["./" + HOSTILE_EXE, "hostile"] + HOSTILE_ARGS)
    check(cmd.strip() == want, "process.command_line %r, expected %r" % (cmd, want))
    L.check_crash(hrep, "null-pointer-dereference", "SIGSEGV", "SEGV_MAPERR", "0x0")
    t = L.crashed_thread(hrep)
    L.check_frame(L.frames(t)[0], "crash_hostile", src("hostile_names"),
                  L.marker_line(src("hostile_names"), "crash"), t)
    check(len(hrep["threads"]) == len(brep["threads"]) == 7, "thread counts %d / %d, expected 7"
          % (len(hrep["threads"]), len(brep["threads"])))
    # Structure: the same elements in the same numbers as the benign run.
    diff = {k: (hhtml[k], bhtml[k]) for k in set(hhtml) | set(bhtml) if hhtml[k] != bhtml[k]}
    check(not diff, "HTML report structure differs from the benign run (tag: hostile, benign)", diff)
    diff = {k: (hmd[k], bmd[k]) for k in set(hmd) | set(bmd) if hmd[k] != bmd[k]}
    check(not diff, "Markdown report renders to a different structure than the benign run "
          "(tag: hostile, benign)", diff)
    # The hostile strings are shown as text.
    _, htext = L.html_structure(open(hpaths["html"], encoding="utf-8").read())
    check("<script>alert(1)</script>" in htext, "HTML report does not show the command line as text")
    check(HOSTILE_EXE in htext, "HTML report does not show the executable name as text")
    _, mtext, _ = L.render_markdown(hpaths["md"])
    check("<script>alert(1)</script>" in mtext,
          "rendered Markdown report does not show the command line as text")
    check("`id`" in mtext and "a|b" in mtext, "rendered Markdown lost `id` or a|b from the command line")


def case_deep_recursion(opts, dumper, wd):
    prog = os.path.join(opts.bindir, "deep_recursion")
    core, pid = make_dump(dumper, prog, ["200000"], wd, expect_signal=signal.SIGSEGV)
    rep, _ = analyze(opts, core, wd)
    L.check_crash(rep, "null-pointer-dereference", "SIGSEGV", "SEGV_MAPERR", "0x0")
    common_process(rep, pid, "deep_recursion", True)
    t = L.crashed_thread(rep)
    check(t["tid"] != pid, "the crash is on the main thread, expected the thread 'deep'")
    fr = L.frames(t)
    L.check_frame(fr[0], "crash_bottom", src("deep_recursion"),
                  L.marker_line(src("deep_recursion"), "crash"), t)
    check(fr[1].get("function") in ("ping", "pong"), "frame 1 is %r" % fr[1].get("function"))
    st = t["stack"]
    check(st["frame_count"] >= 200000, "%d frames unwound, expected more than 200,000"
          % st["frame_count"], st.get("end_reason"))
    big = [f for f in st.get("folds", []) if f["repeats"] >= 90000]
    check(big, "no fold of about 100,000 repeats", st.get("folds"))
    check(big[0]["period"] == 2 and "ping" in big[0]["cycle"] and "pong" in big[0]["cycle"],
          "fold is not the ping/pong cycle", big[0])
    check(st.get("end_reason") is None or "limit" not in (st.get("end_reason") or ""),
          "unwinding stopped at a limit: %r" % st.get("end_reason"))
    # Frame 1 calls crash_bottom; above it ping and pong call each other.
    f1 = fr[1]["function"]
    L.check_frame(fr[1], f1, src("deep_recursion"),
                  L.marker_line(src("deep_recursion"), f1 + "_bottom"), t)
    lines = {fn: L.marker_line(src("deep_recursion"), fn) for fn in ("ping", "pong")}
    # (The JSON lists the frames of a fold's first cycle and those after it.)
    inner = [f for f in fr[2:8] if f["function"] in lines]
    check(len(inner) >= 2, "no ping/pong frames above frame 1", L.fmt_frames(t, 10))
    for f in inner:
        L.check_frame(f, f["function"], src("deep_recursion"), lines[f["function"]], t)
    check(fr[-3]["function"] == "deep", "the outermost frames are not deep, start_thread, clone",
          L.fmt_frames({"stack": {"frames": fr[-4:]}}))


CASES = {
    "null_deref-kernel": case_null_deref,
    "null_deref-gdb": case_null_deref,
    "null_deref-xz": case_null_deref,
    "null_deref-gz": case_null_deref,
    "null_deref-zip": case_null_deref,
    "abort_assert-kernel": case_abort_assert,
    "stack_overflow-kernel": case_stack_overflow,
    "fpe-kernel": case_fpe,
    "idle_threads-kernel": case_idle_threads,
    "idle_threads-gcore": case_idle_threads,
    "pipe_block-kernel": case_pipe_block,
    "pipe_block-gcore": case_pipe_block,
    "hostile_names-kernel": case_hostile_names,
    "deep_recursion-kernel": case_deep_recursion,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--bindir", required=True, help="where the corpus programs are built")
    opts = ap.parse_args()
    dumper = opts.case.rsplit("-", 1)[1]
    wd = L.workdir(opts.case)
    def run():
        CASES[opts.case](opts, dumper, wd)
        for fn in DEFERRED:
            fn()
    L.main_wrapper(run)


if __name__ == "__main__":
    main()
