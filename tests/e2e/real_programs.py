"""End-to-end tests on programs nobody here wrote (issue 3, "Done when"):
a real interpreter crashing inside a C library it loaded.

  real_programs.py python-ctypes --coroner PATH

python3 -c 'import ctypes; ctypes.string_at(0)' makes ctypes call strlen()
on a null pointer: glibc's strlen faults at address 0, called from the
_ctypes extension module through libffi.  The report must name the signal,
the class of the faulting address, the top frames, and say in its summary
paragraph what happened and where.
"""

import argparse
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402

PYTHON = "/usr/bin/python3"


def case_python_ctypes(opts, wd):
    if not os.path.exists(PYTHON):
        L.skip("no %s" % PYTHON)
    core, pid = L.kernel_core(PYTHON, ["-c", "import ctypes; ctypes.string_at(0)"], wd,
                              expect_signal=signal.SIGSEGV)
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"))
    L.validate_reports(rep, paths)
    L.check_crash(rep, "null-pointer-dereference", "SIGSEGV", code="SEGV_MAPERR",
                  address="0x0")
    t = L.crashed_thread(rep)
    L.check(t["tid"] == pid, "crashed thread is %r, expected the main thread %d"
            % (t["tid"], pid))
    fr = L.frames(t)
    top = fr[0]
    L.check(top.get("module") == "libc.so.6" and "strlen" in (top.get("function") or ""),
            "top frame is not strlen in libc.so.6", L.fmt_frames(t))
    mods = [f.get("module") or "" for f in fr]
    ctypes_at = [i for i, m in enumerate(mods) if m.startswith("_ctypes")]
    L.check(ctypes_at and ctypes_at[0] == 1,
            "frame 1 is not in the _ctypes extension module", L.fmt_frames(t))
    funcs = [f.get("function") for f in fr]
    for want in ("ffi_call", "_PyEval_EvalFrameDefault", "Py_BytesMain", "_start"):
        L.check(want in funcs, "no frame %s in the crashing stack" % want, L.fmt_frames(t))
    L.check(funcs.index("ffi_call") < funcs.index("_PyEval_EvalFrameDefault")
            < funcs.index("Py_BytesMain") < funcs.index("_start"),
            "frames out of order", L.fmt_frames(t))
    L.check(t["stack"]["end_reason"] is None, "unwinding stopped early: %r"
            % t["stack"]["end_reason"])
    s = rep["summary"]
    for want in ("python3", "SIGSEGV", "null-pointer dereference", "_ctypes", "strlen"):
        L.check(want in s, "summary does not mention %r" % want, s)
    # The signature starts at the first frame with a name outside the C
    # runtime: strlen (libc) and _ctypes' unsymbolized frames (a system
    # module) are dropped (docs/signatures.md).
    L.check(rep["crash"]["signature"].startswith("SIGSEGV ffi_call | "),
            "signature %r does not start at ffi_call" % rep["crash"]["signature"])


def case_missing_executable(opts, wd):
    """A core analyzed where its executable is not (downloaded alone): the
    stack still comes out through libc's CFI and scanning, the frames of
    the missing file show module+offset, and the report names the module
    whose file is missing."""
    exe = os.path.join(wd, "idle_threads")
    shutil.copy(os.path.join(opts.bindir, "idle_threads"), exe)
    core, pid = L.kernel_core(exe, ["3", "crash"], wd, expect_signal=signal.SIGSEGV)
    os.unlink(exe)
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"))
    L.validate_reports(rep, paths)
    L.check_crash(rep, "null-pointer-dereference", "SIGSEGV", code="SEGV_MAPERR", address="0x0")
    main = [m for m in rep["modules"] if m.get("main")]
    L.check(main and main[0]["path"] == exe and main[0]["file_found"] is False,
            "the missing executable is not reported as without a file", main)
    t = L.crashed_thread(rep)
    fr = L.frames(t)
    L.check(fr[0].get("module") == "idle_threads" and fr[0].get("function") is None
            and fr[0].get("module_offset"), "frame 0 is not idle_threads+offset", L.fmt_frames(t))
    funcs = [f.get("function") for f in fr]
    L.check("__libc_start_main" in funcs, "the walk did not reach __libc_start_main", L.fmt_frames(t))
    # The workers: from the futex wait in libc (CFI) through the missing
    # executable's frames (scan) to start_thread and clone.
    for th in rep["threads"]:
        if th["crashed"]:
            continue
        wf = [f.get("function") for f in L.frames(th)]
        L.check("start_thread" in wf and any(w and w.startswith("__clone") for w in wf),
                "thread %d does not reach start_thread/__clone" % th["tid"], L.fmt_frames(th))


CASES = {"python-ctypes": case_python_ctypes, "missing-executable": case_missing_executable}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--bindir", help="where the corpus programs are built")
    opts = ap.parse_args()
    wd = L.workdir(opts.case)
    L.main_wrapper(lambda: CASES[opts.case](opts, wd))


if __name__ == "__main__":
    main()
