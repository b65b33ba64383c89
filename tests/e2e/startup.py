#!/usr/bin/python3
"""End-to-end tests of the libraries coroner loads when a run needs them
(formats/dynlib.h): `coroner analyze` starts loading Capstone before it
reads the dump, speculatively, and libstdc++'s demangler when a dump
shows a C++ runtime.  A library that is not there must say so only where
it is really needed.  The library is hidden by a bind mount of an empty
file over it in a mount namespace of the test's own (unshare -m, as
root; the test is skipped elsewhere).

  missing-zydis: an x86_64 fault (idle_threads crash, SIGSEGV) names the
    missing Zydis once, in the instruction pass's problem, which says the
    instruction was decoded with Capstone instead, and it is; a core taken
    on demand (SIGQUIT) says nothing of it and exits 0.
  missing-capstone: the same x86_64 fault decodes its instruction (Zydis)
    and says nothing of Capstone; an aarch64 fault (a synthetic core,
    tests/hostile/corewriter.py) names the missing Capstone once.
  unresolved-zydis: Zydis replaced by a library whose functions call one
    that no library defines: dlopen() refuses it (RTLD_NOW), the report
    names the symbol once, instead of coroner dying at the first call.
  loads: what the dynamic loader opens (LD_DEBUG=files): an x86_64 fault
    analyzed to every format opens Zydis and libxml2, and never Capstone
    nor cmark-gfm (the recommendations' Markdown is compiled by the build),
    and opens libstdc++ on its own before libxml2 (bound lazily, not as
    ICU's dependency); the aarch64 fault opens Capstone (so that the check can see it).  Needs
    no root.
  missing-stdcxx: a C++ program's crash (elfutils' backtrace-demangle
    core of the shared corpus, cxxfunc(int) on its stack) keeps its
    mangled name and says why in one warning; a C program's core says
    nothing of it.

  startup.py CASE --coroner PATH --bindir DIR --corpus SHARED/elfutils
"""
import glob
import struct
import json
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402


def library_file(prefix):
    """The file the dynamic loader opens for PREFIX ("libcapstone.so")."""
    out = subprocess.run(["ldconfig", "-p"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode(errors="replace")
    for line in out.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.startswith(prefix) and os.path.exists(path.strip()):
            return os.path.realpath(path.strip())
    L.skip("no %s in the loader's cache" % prefix)


def analyze_without(opts, wd, lib, core, tag, expect_status=(0, 1), extra=(),
                    over=None):
    """coroner analyze CORE (json) with LIB hidden (OVER, a file, put in
    its place; default an empty one); (report, status, stderr)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        L.skip("hiding a library needs unshare -m as root")
    empty = over or os.path.join(wd, "empty.so")
    if not over:
        open(empty, "w").close()
    out = os.path.join(wd, "out-" + tag)
    os.makedirs(out, exist_ok=True)
    script = 'mount --bind "$0" "$1" || exit 77; shift; exec "$@"'
    # A build whose start needs LIB (a sanitizer runtime needs libstdc++)
    # cannot run without it: nothing to test.
    r = subprocess.run(["unshare", "-m", "sh", "-c", script, empty, lib, opts.coroner,
                        "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        L.skip("this coroner needs %s to start: %s"
               % (lib, r.stderr.decode(errors="replace").strip()[-200:]))
    status, _, err = L.run_coroner("unshare", ["-m", "sh", "-c", script, empty, lib,
                                               opts.coroner, "analyze", core, "-o", out,
                                               "--format", "json"] + list(extra))
    if status == 77:
        L.skip("cannot bind-mount over %s here" % lib)
    L.check(status in expect_status, "%s: exit %d" % (tag, status), err)
    path = os.path.join(out, os.path.basename(core) + ".coroner.json")
    with open(path) as f:
        return json.load(f), status, err


def mentions(rep, err, needle):
    texts = L.problem_texts(rep) + [err]
    return sum(t.count(needle) for t in texts)


def x86_crash(opts, wd):
    """A kernel core of idle_threads crashing (SIGSEGV on x86_64)."""
    os.makedirs(os.path.join(wd, "crash"), exist_ok=True)
    crash, _ = L.kernel_core(os.path.join(opts.bindir, "idle_threads"), ["3", "crash"],
                             os.path.join(wd, "crash"), expect_signal=signal.SIGSEGV)
    return crash


def aarch64_crash(wd):
    """A synthetic aarch64 core faulting on `str w1, [x0]` with x0 = 0x10."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "hostile"))
    import corewriter
    base, stack = 0x400000, 0x7ff0000
    c = corewriter.Core("aarch64")
    c.thread(tid=300, regs={"pc": base + 0x10, "sp": stack + 0x800, "x0": 0x10, "x1": 7},
             signo=11)
    c.psinfo(pid=300, fname="armapp", args="armapp")
    c.siginfo(signo=11, code=1, addr=0x10)
    c.nt_file([(base, base + 0x1000, 0, "/opt/armapp")])
    text = bytearray(0x1000)
    text[0x10:0x14] = struct.pack("<I", 0xb9000001)     # str w1, [x0]
    c.load(base, bytes(text), flags="rx")
    c.load(stack, bytes(0x1000), flags="rw")
    path = os.path.join(wd, "arm.core")
    with open(path, "wb") as f:
        f.write(c.bytes())
    return path


def insn_texts(rep):
    return [e.get("text") for f in rep.get("findings", [])
            if f.get("id") == "faulting-instruction"
            for e in f.get("evidence", []) if e.get("label") == "instruction"]


def case_missing_zydis(opts, wd):
    lib = library_file("libZydis.so")
    soname = os.path.basename(lib)
    crash = x86_crash(opts, wd)
    rep, status, err = analyze_without(opts, wd, lib, crash, "crash")
    # The instruction pass names the loader's reason once.
    n = mentions(rep, err, "decoding the faulting instruction needs libZydis")
    L.check(n == 1, "the missing Zydis is said %d times, expected once" % n,
            L.problem_texts(rep), err)
    L.check(rep.get("threads"), "no threads in the crash's report")
    # Capstone decodes it instead, and the problem says so.
    L.check(insn_texts(rep), "the x86_64 crash's instruction is not decoded without Zydis",
            L.problem_texts(rep), err)
    n = mentions(rep, err, "decoded with libcapstone")
    L.check(n == 1, "the fallback to Capstone is said %d times, expected once" % n,
            L.problem_texts(rep), err)
    os.makedirs(os.path.join(wd, "quit"))
    quit_core, _ = L.signal_core(os.path.join(opts.bindir, "idle_threads"), ["3"],
                                 os.path.join(wd, "quit"))
    rep, status, err = analyze_without(opts, wd, lib, quit_core, "quit")
    L.check(mentions(rep, err, "libZydis") == 0 and mentions(rep, err, soname) == 0,
            "a dump that needs no Zydis mentions it", L.problem_texts(rep), err)
    L.check(status == 0, "the core taken on demand exits %d, expected 0" % status, err)


def case_missing_capstone(opts, wd):
    lib = library_file("libcapstone.so")
    soname = os.path.basename(lib)
    rep, status, err = analyze_without(opts, wd, lib, x86_crash(opts, wd), "crash")
    L.check(mentions(rep, err, "libcapstone") == 0 and mentions(rep, err, soname) == 0,
            "an x86_64 dump mentions Capstone", L.problem_texts(rep), err)
    L.check(insn_texts(rep), "the x86_64 crash's instruction is not decoded",
            L.problem_texts(rep), err)
    rep, status, err = analyze_without(opts, wd, lib, aarch64_crash(wd), "arm")
    # soname may be a shorter name of the same file (libcapstone.so.4 for
    # .so.4.0.2).
    n = mentions(rep, err, "decoding the faulting instruction needs libcapstone")
    L.check(n == 1, "the missing Capstone is said %d times, expected once" % n,
            L.problem_texts(rep), err)


def case_unresolved_zydis(opts, wd):
    lib = library_file("libZydis.so")
    cc = shutil.which("cc")
    if not cc:
        L.skip("no C compiler to build the stand-in library")
    # A stand-in with every function the decoder resolves, each calling a
    # function no library defines: dlopen() must refuse it (RTLD_NOW), not
    # leave the first call to kill coroner ("symbol lookup error").
    src_c = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                         "analyzer", "passes", "insn_zydis.c")
    with open(src_c) as f:
        text = f.read()
    macro = text[text.index("#define ZY_FUNCS"):]
    macro = macro[:macro.index("static struct")]
    funcs = re.findall(r"X\((\w+)\)", macro)
    L.check(funcs, "no ZY_FUNCS in %s" % src_c)
    src = os.path.join(wd, "standin.c")
    with open(src, "w") as f:
        f.write("int cr_test_no_such_function(void);\n")
        for fn in funcs:
            f.write("int %s(void) { return cr_test_no_such_function(); }\n" % fn)
    so = os.path.join(wd, "standin.so")
    r = subprocess.run([cc, "-shared", "-fPIC", "-o", so, src],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    L.check(r.returncode == 0, "cc failed", r.stdout.decode(errors="replace"))
    rep, status, err = analyze_without(opts, wd, lib, x86_crash(opts, wd), "unresolved",
                                       over=so)
    n = mentions(rep, err, "cr_test_no_such_function")
    L.check(n == 1, "the unresolved symbol is said %d times, expected once" % n,
            L.problem_texts(rep), err)
    L.check(rep.get("threads"), "no threads in the crash's report")


def opened_libraries(opts, wd, core, tag):
    """The files the dynamic loader opened while coroner analyzed CORE to
    every format (LD_DEBUG=files, written to files of their own)."""
    out = os.path.join(wd, "out-" + tag)
    log = os.path.join(wd, "ld-" + tag)
    os.makedirs(out, exist_ok=True)
    env = dict(L.sanitizer_env(), LD_DEBUG="files", LD_DEBUG_OUTPUT=log)
    r = subprocess.run([opts.coroner, "analyze", core, "-o", out,
                        "--format", "md,html,json"], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    L.check(r.returncode in (0, 1), "%s: exit %d" % (tag, r.returncode),
            r.stderr.decode(errors="replace")[-3000:])
    text = ""
    for path in glob.glob(log + ".*"):
        with open(path, errors="replace") as f:
            text += f.read()
    L.check("file=" in text, "%s: LD_DEBUG=files logged nothing" % tag)
    return text


def case_loads(opts, wd):
    text = opened_libraries(opts, wd, x86_crash(opts, wd), "x86")
    L.check("libZydis" in text, "the x86_64 crash did not open Zydis")
    L.check("libxml2" in text, "the HTML report did not open libxml2")
    # libstdc++ is opened by coroner itself, first, with lazy binding
    # (formats/dynlib.c), not as ICU's dependency bound at once.  (A
    # sanitizer runtime links it at start: then it is loaded already.)
    cxx = [l for l in text.splitlines() if re.search(r"file=libstdc\+\+\.so\S* \[0\]", l)]
    L.check(cxx and not re.search(r"needed by \S*libicu", cxx[0]),
            "libstdc++ was not opened on its own before libxml2", cxx[:3])
    for lib in ("libcapstone", "libcmark"):
        L.check(lib not in text, "the x86_64 crash opened %s" % lib,
                [l for l in text.splitlines() if lib in l][:5])
    text = opened_libraries(opts, wd, aarch64_crash(wd), "arm")
    L.check("libcapstone" in text, "the aarch64 crash did not open Capstone")


def case_missing_stdcxx(opts, wd):
    lib = library_file("libstdc++.so")
    os.makedirs(os.path.join(wd, "c"))
    core, _ = L.signal_core(os.path.join(opts.bindir, "idle_threads"), ["3"],
                            os.path.join(wd, "c"))
    rep, status, err = analyze_without(opts, wd, lib, core, "c")
    L.check(mentions(rep, err, "mangled") == 0,
            "a C program's dump says its C++ names are mangled", L.problem_texts(rep), err)
    L.check(status == 0, "the C core exits %d, expected 0" % status, err)
    core = os.path.join(opts.corpus, "testfile-backtrace-demangle.core.bz2")
    if not os.path.exists(core):
        L.skip("no %s (the shared corpus)" % core)
    import conformance as C
    os.makedirs(os.path.join(wd, "cxx"))
    core = C.unpack(core, os.path.join(wd, "cxx", "demangle.core"))
    exe = C.unpack(os.path.join(opts.corpus, "testfile-backtrace-demangle.bz2"),
                   os.path.join(wd, "cxx", "testfile-backtrace-demangle"))
    root = C.make_sysroot(os.path.join(wd, "cxx"), core, [exe])
    rep, status, err = analyze_without(opts, wd, lib, core, "cxx", extra=["--sysroot", root])
    n = mentions(rep, err, "C++ names are left mangled: demangling C++ names needs libstdc++")
    L.check(n == 1, "the missing demangler is said %d times, expected once" % n,
            L.problem_texts(rep), err)
    names = [f.get("function") or "" for t in rep.get("threads", []) for f in L.frames(t)]
    L.check("_Z7cxxfunci" in names, "cxxfunc(int) is not left mangled", names[:20])

if __name__ == "__main__":
    L.case_main({"missing-zydis": case_missing_zydis,
                 "missing-capstone": case_missing_capstone,
                 "unresolved-zydis": case_unresolved_zydis,
                 "loads": case_loads,
                 "missing-stdcxx": case_missing_stdcxx}, "startup",
                [("--bindir", {"required": True}), ("--corpus", {"default": ""})])
