"""Conformance: coroner on the elfutils test cores in ../shared/corpus/elfutils
must find the frames elfutils' own tests expect (tests/backtrace.c and
tests/run-backtrace-core-*.sh, run-stack-i-test.sh in elfutils).

  conformance.py CASE --coroner PATH --corpus DIR

The cores and executables are bzip2-compressed; they are unpacked into a
temporary directory.  A core names its executable by the path it had on the
machine it came from (for instance /home/jkratoch/redhat/elfutils/tests/
backtrace.x86_64.exec); the executable is put at that path under a
temporary sysroot, found by its build id among the core's modules
(`eu-unstrip -n --core`), and coroner is run with --sysroot.

Exit 0 pass, 1 fail, 77 skip (corpus absent, or an architecture coroner
reports as unsupported).
"""

import argparse
import bz2
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

ABSOLUTE = re.compile(r"(?<![+\w])0x[0-9a-fA-F]+")
FULL_SIG = ["raise", "sigusr2", "stdarg", "backtracegen", "start", "start_thread", "__clone"]
FULL_MAIN = ["pthread_join", "main", "__libc_start_main", "_start"]

# backtrace.<arch>: (signalled tid, main tid, signalled thread's frames in
# order, main thread's frames in order).  The lists are what eu-stack 0.188
# finds too; where it stops earlier (frame-pointer builds, ppc, s390x) the
# list stops there as well.  Extra frames in between are allowed
# (__kernel_vsyscall on i386, the duplicate sigusr2 that elfutils' test
# allows for frame-pointer unwinders, generic_start_main on ppc).
BACKTRACE = {
    "x86_64": (23097, 23096, FULL_SIG, FULL_MAIN),
    "x86_64.fp": (28872, 28871, FULL_SIG, FULL_MAIN),
    "aarch64": (24044, 24043, FULL_SIG, FULL_MAIN[:3]),
    "aarch64.fp": (350, 349, FULL_SIG[:6], FULL_MAIN[:3]),
    "i386": (23101, 23100, FULL_SIG, FULL_MAIN),
    "ppc": (17198, 17197, FULL_SIG, FULL_MAIN[:3]),
    "ppc64le.fp": (23728, 23727, FULL_SIG[:6], FULL_MAIN[:3]),
    "s390x": (58546, 58545, FULL_SIG[:6], FULL_MAIN),
}


def unpack(src, dst):
    with bz2.open(src) as f, open(dst, "wb") as g:
        shutil.copyfileobj(f, g)
    return dst


def build_id(path):
    r = subprocess.run(["eu-readelf", "-n", path], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout.decode(errors="replace"))
    return m.group(1) if m else None


def core_modules(core):
    """[(build id or None, path)] from eu-unstrip -n --core."""
    r = subprocess.run(["eu-unstrip", "-n", "--core=" + core], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    mods = []
    for line in r.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 5:
            bid = parts[1].split("@")[0]
            mods.append((None if bid == "-" else bid, parts[4]))
    return mods


def make_sysroot(wd, core, files):
    """Put each of FILES at the path the core knows it by, under WD/sysroot."""
    if not shutil.which("eu-unstrip") or not shutil.which("eu-readelf"):
        L.skip("eu-unstrip/eu-readelf not installed (Debian package elfutils)")
    root = os.path.join(wd, "sysroot")
    # Made even when no file lands in it: coroner refuses a --sysroot
    # that is not a directory.
    os.makedirs(root, exist_ok=True)
    mods = core_modules(core)
    for f in files:
        bid = build_id(f)
        paths = [p for b, p in mods if b and b == bid]
        check(paths, "the core lists no module with the build id of %s (%s)"
              % (os.path.basename(f), bid), mods)
        if not paths[0].startswith("/"):
            continue	# "[exe]": given with -e (see run)
        dst = os.path.join(root, os.path.normpath(paths[0]).lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(f, dst)
        os.chmod(dst, 0o755)
    return root


def run(opts, wd, core, sysroot, expect=(0, 1), exe=None):
    # A core without NT_FILE (the s390x one) names its executable "[exe]":
    # no path to put under a sysroot, so it is given with -e as well.
    extra = ["--sysroot", sysroot] + (["-e", exe] if exe else [])
    rep, paths, status, err = L.analyze(opts.coroner, core, os.path.join(wd, "out"),
                                        extra=extra, expect_status=expect)
    L.validate_reports(rep, paths)
    # Issue 11: a signature groups dumps from other builds and machines, so
    # it never holds an absolute address (module+offset is fine).
    sig = (rep.get("crash") or {}).get("signature") or ""
    check(not ABSOLUTE.search(sig), "signature %r holds an absolute address" % sig)
    print("signature: %s" % (sig or "(none)"))
    return rep, status


def unsupported(rep):
    text = " ".join(L.problem_texts(rep)).lower()
    return re.search(r"unsupported|not supported|not decoded|architecture", text)


def names(thread):
    return [f.get("function") for f in L.frames(thread)]


def in_order(seq, want):
    """True when WANT is a subsequence of SEQ."""
    it = iter(seq)
    return all(any(x == w for x in it) for w in want)


def case_backtrace(opts, arch, wd):
    sig_tid, main_tid, sig_frames, main_frames = BACKTRACE[arch]
    base = os.path.join(opts.corpus, "backtrace.%s" % arch)
    core = unpack(base + ".core.bz2", os.path.join(wd, "backtrace.%s.core" % arch))
    exe = unpack(base + ".exec.bz2", os.path.join(wd, "backtrace.%s.exec" % arch))
    sysroot = make_sysroot(wd, core, [exe])
    try:
        rep, status = run(opts, wd, core, sysroot, exe=exe)
    except L.Failure as e:
        if "exit" in str(e) and re.search(r"unsupported|not supported|architecture", str(e), re.I):
            L.skip("coroner does not support %s cores: %s" % (arch, str(e).splitlines()[-1]))
        raise
    tids = sorted(t["tid"] for t in rep["threads"])
    check(tids == sorted([sig_tid, main_tid]), "thread ids %s, expected %s"
          % (tids, sorted([sig_tid, main_tid])))
    by_tid = {t["tid"]: t for t in rep["threads"]}
    sig, main = by_tid[sig_tid], by_tid[main_tid]
    if not L.frames(sig) and not L.frames(main) and unsupported(rep):
        L.skip("coroner does not unwind %s: %s" % (arch, L.problem_texts(rep)))
    check(rep["process"].get("pid") == main_tid, "process.pid %r, expected %d"
          % (rep["process"].get("pid"), main_tid))
    check(in_order(names(sig), sig_frames), "signalled thread %d: frames do not contain %s in order"
          % (sig_tid, " > ".join(sig_frames)), L.fmt_frames(sig))
    check(in_order(names(main), main_frames), "main thread %d: frames do not contain %s in order"
          % (main_tid, " > ".join(main_frames)), L.fmt_frames(main))
    for t in (sig, main):
        check("gsignal" not in names(t), "thread %d has a frame named gsignal" % t["tid"],
              L.fmt_frames(t))
    check(rep["crash"].get("signal") == "SIGABRT", "crash.signal %r, expected SIGABRT"
          % rep["crash"].get("signal"))
    check(rep["crash"].get("tid") == sig_tid, "crash.tid %r, expected %d"
          % (rep["crash"].get("tid"), sig_tid))
    if arch == "x86_64":
        for t in (sig, main):
            check(t["stack"].get("end_reason") is None,
                  "thread %d: unwinding did not end cleanly: %r (running out of CFI at "
                  "the outermost frame is not an error)" % (t["tid"], t["stack"].get("end_reason")))


def case_dwarfinlines(opts, wd):
    core = unpack(os.path.join(opts.corpus, "testfiledwarfinlines.core.bz2"),
                  os.path.join(wd, "testfiledwarfinlines.core"))
    exe = unpack(os.path.join(opts.corpus, "testfiledwarfinlines.bz2"),
                 os.path.join(wd, "testfiledwarfinlines"))
    rep, status = run(opts, wd, core, make_sysroot(wd, core, [exe]))
    check(len(rep["threads"]) == 1 and rep["threads"][0]["tid"] == 13654,
          "expected one thread 13654", [t["tid"] for t in rep["threads"]])
    t = rep["threads"][0]
    fr = L.frames(t)
    want = [("fubar", 6), ("foobar", 14), ("bar", 21), ("foo", 27), ("fu(int)", 33), ("main", 39)]
    check(len(fr) >= len(want), "only %d frames" % len(fr), L.fmt_frames(t))
    for i, (fn, line) in enumerate(want):
        f = fr[i]
        check(f.get("function") == fn and f.get("line") == line,
              "frame %d is %s:%s, expected %s:%d" % (i, f.get("function"), f.get("line"), fn, line),
              L.fmt_frames(t))
        check(os.path.basename(f.get("file") or "") == "dwarfinlines.cpp",
              "frame %d file %r, expected dwarfinlines.cpp" % (i, f.get("file")))
        pc = int(f["pc"], 16) if isinstance(f["pc"], str) else f["pc"]
        want_pc = 0x4004c5 if fn == "main" else 0x4006c8
        # Callers may be shown at the return address or return address - 1.
        check(pc in (want_pc, want_pc + 1), "frame %d (%s) pc %#x, expected %#x"
              % (i, fn, pc, want_pc))
    # fubar..foo are inlined into fu(int), the real frame at the registers.
    for i, trust in enumerate(["inline"] * 4 + ["context", "cfi"]):
        check(fr[i].get("trust") == trust, "frame %d (%s) trust %r, expected %s"
              % (i, fr[i].get("function"), fr[i].get("trust"), trust))
    missing = [m["path"] for m in rep["modules"] if not m.get("file_found")]
    check(any("libc-2.18.so" in (p or "") for p in missing),
          "libc-2.18.so (not supplied) is not listed as a module without file", rep["modules"])


def case_demangle(opts, wd):
    core = unpack(os.path.join(opts.corpus, "testfile-backtrace-demangle.core.bz2"),
                  os.path.join(wd, "demangle.core"))
    exe = unpack(os.path.join(opts.corpus, "testfile-backtrace-demangle.bz2"),
                 os.path.join(wd, "testfile-backtrace-demangle"))
    rep, status = run(opts, wd, core, make_sysroot(wd, core, [exe]))
    t = rep["threads"][0]
    check(names(t)[:3] == ["cxxfunc(int)", "f", "main"], "frames %s, expected cxxfunc(int), f, main"
          % names(t)[:3], L.fmt_frames(t))


def case_linkmap_cut(opts, wd):
    core = unpack(os.path.join(opts.corpus, "linkmap-cut.core.bz2"), os.path.join(wd, "lc.core"))
    empty = os.path.join(wd, "empty-sysroot")
    os.makedirs(empty)
    rep, status = run(opts, wd, core, empty)
    got = {os.path.basename(m.get("path") or ""): m for m in rep["modules"]}
    for name, bid in (("linkmap-cut", "b4e31b97a269c1ee95f7ded31b027b86395004fb"),
                      ("ld-2.18.so", "86ae21041b7e434b2474022de5030e1cfdb2a6c5"),
                      ("libc-2.18.so", "5ff6b36b2bb2a392db0f317a127b7a25b50216b1"),
                      ("linkmap-cut-lib.so", "2b4761c11bfe7f5a63082e2abd27919c43cd1979")):
        check(name in got, "module %s not found from the core's own data" % name, sorted(got))
        check(got[name].get("build_id") == bid, "module %s build id %r, expected %s"
              % (name, got[name].get("build_id"), bid))
        check(got[name].get("file_found") is False, "module %s: file_found should be false" % name)
    t = rep["threads"][0]
    check(L.frames(t) and L.frames(t)[0].get("module_offset") is not None,
          "frame 0 has no module+offset although no binary was found", L.fmt_frames(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--corpus", required=True, help="../shared/corpus/elfutils")
    opts = ap.parse_args()
    if not os.path.isdir(opts.corpus):
        L.skip("elfutils corpus %s is absent (it comes with ../shared beside the repository)"
               % opts.corpus)
    wd = L.workdir("conf-" + opts.case)
    if opts.case.startswith("backtrace."):
        arch = opts.case[len("backtrace."):]
        fn = lambda: case_backtrace(opts, arch, wd)  # noqa: E731
    else:
        fn = {"dwarfinlines": case_dwarfinlines, "demangle": case_demangle,
              "linkmap-cut": case_linkmap_cut}[opts.case]
        fn = (lambda f: lambda: f(opts, wd))(fn)
    L.main_wrapper(fn)


if __name__ == "__main__":
    main()
