"""Conformance of stacks: the crashing thread's top frames of the corpus
minidumps (../shared/corpus, MANIFEST.md) against what Breakpad's
minidump_stackwalk and rust-minidump print, with and without symbols.

  minidump_frames.py --coroner PATH --corpus DIR

Frames are compared by module, function, file basename and line, and the
module offset of the pc shown.  coroner prints return addresses for caller
frames, as Breakpad does (rust-minidump prints return address - 1); the
expectations below are Breakpad's numbers.

Deliberate differences (kept, with the reason):

  dump          frames        Breakpad / rust-minidump        coroner               why
  ------------  ------------  ------------------------------  --------------------  -----------------------------------------
  linux-mini    8, 11, 14     crash + 0x1dc0 found by         not taken             the bytes before 0x401dc0 are captured in
                              scanning                                              the dump: a call (to a noreturn function)
                                                                                    ends at 0x401dbc and a 4-byte nop follows,
                                                                                    so 0x401dc0 is not a return address but a
                                                                                    function pointer left on the stack; coroner
                                                                                    only takes values right after a call
                                                                                    instruction (issue 4)

Exit 0 when everything matches, 1 with the differences listed, 77 (ctest's
skip) when the corpus is absent.
"""

import argparse
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

# (module, function, file basename, line, module offset); None: not checked.
EXPECT = {
    # Breakpad's minidump2.stackwalk.out without symbols
    ("breakpad/minidump2.dmp", None): [
        ("test_app.exe", None, None, None, 0x429e),
        ("test_app.exe", None, None, None, 0x4200),
        ("test_app.exe", None, None, None, 0x53ec),
        ("kernel32.dll", None, None, None, 0x16fd7),
    ],
    # ... with test_app.sym and kernel32.sym (MANIFEST: frame 3 is
    # kernel32.dll!BaseProcessStart + 0x23)
    ("breakpad/minidump2.dmp", "breakpad/symbols"): [
        ("test_app.exe", "`anonymous namespace'::CrashFunction", "test_app.cc", 58, 0x429e),
        ("test_app.exe", "main", "test_app.cc", 65, 0x4200),
        ("test_app.exe", "__tmainCRTStartup", "crt0.c", 327, 0x53ec),
        ("kernel32.dll", "BaseProcessStart", None, None, 0x16fd7),
    ],
    # rust-minidump's linux_human snapshot (return address - 1 there), the
    # frames up to the first one coroner deliberately does not take
    ("rust-minidump/linux-mini.dmp", None): [
        ("crash", None, None, None, 0x1d72),
        ("libc-2.23.so", None, None, None, 0xf302e),
        ("libc-2.23.so", None, None, None, 0x87800),
        ("ld-2.23.so", None, None, None, 0xfac6),
        ("crash", None, None, None, 0x1ec0),
        ("crash", None, None, None, 0x14c30),
        ("libc-2.23.so", None, None, None, 0x20830),
        ("crash", None, None, None, 0x1c70),
    ],
    # rust-minidump's macos_inlines snapshot with crash-client.sym: frames
    # 0..7 (inlined calls are frames of their own) and the last two
    ("rust-minidump/pipeline-inlines-macos-segv.dmp", "crash-client.sym"): [
        ("crash-client", "core::ptr::write_volatile::<u8>", "mod.rs", 1574, None),
        ("crash-client", "sadness_generator::raise_segfault", "lib.rs", 133, None),
        ("crash-client", "crash_client::real_main::{closure#1}", "main.rs", 88, None),
        ("crash-client", "crash_client::real_main", "main.rs", 132, None),
        ("crash-client", "crash_client::main", "main.rs", 142, None),
        ("crash-client", "<fn() as core::ops::function::FnOnce<()>>::call_once", "function.rs", 248, None),
        ("crash-client", "std::sys_common::backtrace::__rust_begin_short_backtrace::<fn(), ()>",
         "backtrace.rs", 122, None),
        ("crash-client", "std::rt::lang_start::<()>::{closure#0}", "rt.rs", 145, None),
    ],
    # Breakpad's linux_inline test: INLINE records expanded at the crash pc
    ("breakpad/linux_inline.dmp", "breakpad/symbols"): [
        ("linux_inline", "func()", "linux_inline.cpp", 27, None),
        ("linux_inline", "bar()", "c.cpp", 32, None),
        ("linux_inline", "foo()", "b.cpp", 39, None),
        ("linux_inline", "main", "a.cpp", 42, None),
    ],
}

# Frame counts of whole crashing stacks where the reference gives them.
FRAME_COUNT = {
    ("rust-minidump/pipeline-inlines-macos-segv.dmp", "crash-client.sym"): 20,
    ("breakpad/minidump2.dmp", "breakpad/symbols"): 4,
}


def symbol_dir(corpus, spec, tmp):
    if spec is None:
        return None
    if spec == "crash-client.sym":
        rel = "crash-client/509C0610949836F7B70BD88BCF03E5400"
        dst = os.path.join(tmp, rel)
        os.makedirs(dst, exist_ok=True)
        with lzma.open(os.path.join(corpus, "rust-minidump/symbols", rel,
                                    "crash-client.sym.xz")) as f, \
                open(os.path.join(dst, "crash-client.sym"), "wb") as o:
            shutil.copyfileobj(f, o)
        return tmp
    return os.path.join(corpus, spec)


def check_symbol_file_report(opts, tmp, errors):
    """The symbol file used is the module's debug info in the report; a
    damaged one is still used for what parses, and its malformed lines are
    a problem the report lists."""
    rel = "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1"
    dst = os.path.join(tmp, "damaged", rel)
    os.makedirs(dst)
    with open(os.path.join(opts.corpus, "breakpad/symbols", rel, "test_app.sym"), "rb") as f:
        text = f.read()
    with open(os.path.join(dst, "test_app.sym"), "wb") as o:
        o.write(text + b"FUNC zz not-a-number\nSTACK CFI INIT\n")
    p = subprocess.run([opts.coroner, "analyze", os.path.join(opts.corpus, "breakpad/minidump2.dmp"),
                        "--symbols", os.path.join(tmp, "damaged"), "-f", "json", "-o", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    rep = json.loads(p.stdout)
    main = [m for m in rep["modules"] if m.get("main")][0]
    if not (main.get("has_debug_info") and (main.get("debug_info_file") or "").endswith("test_app.sym")):
        errors.append("damaged test_app.sym: not listed as test_app.exe's debug info: %r" % main)
    if not any("2 malformed lines" in pr for pr in (q["text"] for q in rep["problems"])):
        errors.append("damaged test_app.sym: no problem about its malformed lines: %r" % rep["problems"])
    top = rep["threads"][rep["crash"]["thread_index"]]["stack"]["frames"][0]
    if top.get("function") != "`anonymous namespace'::CrashFunction":
        errors.append("damaged test_app.sym: frame 0 is %r" % top.get("function"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--corpus", required=True)
    opts = ap.parse_args()
    if not os.path.isdir(os.path.join(opts.corpus, "breakpad")):
        print("SKIP: external corpus %s is absent" % opts.corpus)
        sys.exit(77)
    errors = []
    tmp = tempfile.mkdtemp(prefix="coroner-frames-")
    try:
        for (dump, syms), want in EXPECT.items():
            args = [opts.coroner, "analyze", os.path.join(opts.corpus, dump), "-f", "json", "-o", "-"]
            sd = symbol_dir(opts.corpus, syms, tmp)
            if sd:
                args += ["--symbols", sd]
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            if p.returncode not in (0, 1):
                errors.append("%s: exit %d: %s" % (dump, p.returncode, p.stderr.decode()[-500:]))
                continue
            rep = json.loads(p.stdout)
            ti = rep["crash"]["thread_index"]
            frames = rep["threads"][ti]["stack"]["frames"]
            tag = "%s%s" % (dump, " with " + syms if syms else "")
            for i, (mod, fn, src, line, off) in enumerate(want):
                if i >= len(frames):
                    errors.append("%s: only %d frames, expected at least %d" % (tag, len(frames), len(want)))
                    break
                f = frames[i]
                got = (f.get("module"), f.get("function"),
                       os.path.basename((f.get("file") or "").replace("\\", "/")) or None,
                       f.get("line"), int(f["module_offset"], 16) if f.get("module_offset") else None)
                exp = (mod, fn, src, line, off)
                if any(e is not None and e != g for e, g in zip(exp, got)):
                    errors.append("%s: frame %d is %r, expected %r" % (tag, i, got, exp))
            n = FRAME_COUNT.get((dump, syms))
            if n is not None and len(frames) != n:
                errors.append("%s: %d frames, expected %d" % (tag, len(frames), n))
        check_symbol_file_report(opts, tmp, errors)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for e in errors:
        print("FAIL: " + e)
    if errors:
        sys.exit(1)
    print("PASS: %d stacks" % len(EXPECT))


if __name__ == "__main__":
    main()
