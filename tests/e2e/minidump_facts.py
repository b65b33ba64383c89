"""Conformance of crash facts: coroner on every minidump of the external
corpus (../shared/corpus, see its MANIFEST.md) must report what Breakpad's
and rust-minidump's own tests expect.

  minidump_facts.py FAMILY --coroner PATH --corpus DIR

FAMILY is breakpad-windows, breakpad-linux or rust-minidump (or "all").
For each dump coroner runs once (`coroner analyze DUMP -f json -o -`) and
the JSON report (docs/report-schema.md) is checked against the table
EXPECT below: crash reason (signal or exception name, Mach "type / code"),
exception code, class, crash address, crashing thread id, thread count,
module count, main module, thread names, abort message, summary phrases,
exit status and problems.  Where the MANIFEST gives no crashing thread,
the thread id is taken from the dump's own exception stream, read here by
a minimal independent parser (read_exception_tid).

Every .dmp of a family's folders must have an EXPECT entry, so a dump added
to the corpus fails the test until its facts are written down.

All failures are listed, then the script exits 1; 0 when everything
matched; 77 (ctest's skip) when the corpus is absent.  Standard library
only; runs in well under a second per family.

Deliberate differences from Breakpad / rust-minidump (what they print, what
coroner reports, and why).  Everything else in EXPECT is what they print.

  dump(s)                     fact         Breakpad / rust-minidump       coroner        why
  --------------------------  -----------  -----------------------------  -------------  --------------------------------------------
  minidump_32bit_crash_addr   address      0x45 (both, after masking)     0x45           agreement, listed because the raw parameter
                                                                                         is 0xffffffff00000045: a 32-bit process's
                                                                                         address is its low 32 bits
  all crashes                 address      "0x45" / "0x00000045"          "0x45"         numbers are compared, not their spelling
  linux_* SIGSEGV/SIGILL      code         "SIGSEGV /0x00000000"          code null      Breakpad's old Linux writer left si_code 0 in
                                                                                         the flags; coroner reads 0 as "not recorded",
                                                                                         not as SI_USER
  linux_overflow (SIGABRT)    address      0x3e8000039be                  null           a raised SIGABRT has no fault address: that
                                                                                         word is si_pid 14782 | si_uid 1000 << 32
  linux_overflow              class        MANIFEST: stack protector,     abort          the dump does not say so: no libc symbols,
                                           "buffer overflow detected"                    no message in the captured memory (checked:
                                                                                         the text is nowhere in the file); coroner
                                                                                         names only what the dump shows
  linux_write_to_nonwritable_ class        (test name: non-writable       unmapped-      the dump's LinuxMaps have nothing at
  region_math                              region)                        memory-access  0x72eb80 (0x617000-0x618000 rw-, then heap)
  linux_jmp_to_0              class        (Breakpad: exploitability      null-function- pc == fault address == 0: a call through a
                                           HIGH, no class)                pointer-call   null function pointer, not a data access
  invalid-parameter           reason       "0xc000000d / 0x00000000"      STATUS_INVALID_ named from the NTSTATUS table; code_number
                                                                          PARAMETER      keeps the number
  invalid-parameter           address      0x0 (ExceptionAddress)         null           crash.address is the faulting *data* address;
                                                                                         this exception has none
  invalid-parameter           threads      5 (Breakpad skips the dump     6              coroner lists every thread of the dump, the
                                           thread 0x1350)                                handler's too (rust-minidump: 6 as well)
  simple-crashpad             reason       "0x00000000 / 0x00000000"      the same, then the file's code is 0, but Crashpad's parameters
                                                                          "from EXC_CRASH hold EXC_CRASH (0xa) with code 0x6000000:
                                                                          on SIGABRT"    signal 6, no Mach exception before it
  simple-crashpad             class        (no class)                     abort, message "abort() called" is libsystem_c's Crashpad
                                                                          "abort() called" list annotation
  simple-crashpad             address      0x7fff6f41333a (the pc)        null           not a memory fault (see invalid-parameter)
  pipeline-inlines-macos-     thread       "" for unnamed threads         null           unknown is null in coroner's JSON
  segv                        names
  invalid-range,              outcome      Breakpad: no thread list, no   exit 1, a      a damaged dump still gets a report, with
  invalid-record-count                     output, exit 1; rust-minidump: report and     what could not be read listed
                                           opens, the stream fails        problems
"""

import argparse
import glob
import json
import os
import re
import struct
import subprocess
import sys

SKIP = 77

WIN_AV = dict(threads=2, modules=26)
LINUX_APP = dict(threads=1, modules=8)
ACCESS = {"read": "EXCEPTION_ACCESS_VIOLATION_READ",
          "write": "EXCEPTION_ACCESS_VIOLATION_WRITE",
          "exec": "EXCEPTION_ACCESS_VIOLATION_EXEC"}


def win_av(kind, address, cls, **kw):
    d = dict(WIN_AV, reason=ACCESS[kind], code_number=0xC0000005,
             address=address, cls=cls)
    d.update(kw)
    return d


def linux(signal, address, cls, **kw):
    d = dict(LINUX_APP, reason=signal, address=address, cls=cls)
    d.update(kw)
    return d


def linux_segv0(**kw):
    return linux("SIGSEGV", 0x0, "null-pointer-dereference", **kw)


# Keys: reason (signal/exception name; Mach "EXC_... / KERN_..."; None:
# no name), code_number, cls (crash.class), address (None: null), tid
# (crashing thread; default: the exception stream's), threads, modules,
# main (main module's file name), thread_names ([(tid, name or None)] in
# order), abort_message, summary (phrases it must contain), status (allowed
# exit codes, default {0}), problems (True: must list some), annotations
# ([(module, key, value)] that must be among the report's annotations),
# unread_streams ([type] each listed among dump.facts as a stream that was
# not read, and named in no problem).
EXPECT = {
    "breakpad-windows": {
        "minidump2.dmp": dict(
            reason="EXCEPTION_ACCESS_VIOLATION_WRITE", code_number=0xC0000005,
            cls="null-pointer-dereference", address=0x45, tid=3060,
            threads=2, modules=13, main="test_app.exe",
            summary=["crashed with EXCEPTION_ACCESS_VIOLATION_WRITE: a null-pointer dereference, writing to address 0x45"]),
        "minidump_32bit_crash_addr.dmp": dict(
            reason="EXCEPTION_ACCESS_VIOLATION_WRITE", code_number=0xC0000005,
            cls="null-pointer-dereference", address=0x45, tid=3060,
            threads=2, modules=13, main="test_app.exe"),
        "thread_name_list.dmp": dict(
            reason="EXCEPTION_ACCESS_VIOLATION_READ", code_number=0xC0000005,
            cls="read-access-violation", address=0xF1004, threads=6,
            modules=17,
            thread_names=[(6564, "main thread"), (3296, None), (3164, None),
                          (11960, None), (8820, "sleep thread"),
                          (10976, "overflow thread")]),
        "tiny-exe-with-cet-xsave.dmp": dict(
            reason=None, cls="none", address=None, tid=None, threads=1,
            modules=25, summary=["no crash"]),
        "tiny-exe-with-cet-xsave-x86.dmp": dict(
            reason=None, cls="none", address=None, tid=None, threads=3,
            summary=["no crash"]),
        "null_read_av.dmp": win_av("read", 0x0, "null-pointer-dereference"),
        "null_write_av.dmp": win_av("write", 0x0, "null-pointer-dereference"),
        "read_av_non_null.dmp": win_av("read", 0x4E3C9, "read-access-violation"),
        "read_av_conditional.dmp": win_av("read", 0x4E3C9, "read-access-violation"),
        "read_av_clobber_write.dmp": win_av("read", 0x4E3C9, "read-access-violation"),
        "write_av_non_null.dmp": win_av("write", 0x4E3C9, "write-access-violation"),
        "exec_av_on_stack.dmp": win_av(
            "exec", 0x3DF944, "execute-non-executable-memory",
            summary=["in the stack of thread"]),
        **{name: win_av("read", 0x41414141, "read-access-violation",
                        summary=['ASCII text "AAAA"'])
           for name in ("ascii_read_av.dmp", "ascii_read_av_block_write.dmp",
                        "ascii_read_av_clobber_write.dmp",
                        "ascii_read_av_conditional.dmp",
                        "ascii_read_av_then_jmp.dmp",
                        "ascii_read_av_xchg_write.dmp")},
        **{name: win_av("write", 0x41414141, "write-access-violation",
                        summary=['ASCII text "AAAA"'])
           for name in ("ascii_write_av.dmp", "ascii_write_av_arg_to_call.dmp")},
    },
    "breakpad-linux": {
        # Its LinuxMaps stream ends in a cut-off line: a problem, exit 1.
        "linux_executable_stack.dmp": linux_segv0(status={1}, problems=True),
        **{name: linux_segv0()
           for name in ("linux_null_dereference.dmp", "linux_null_read_av.dmp",
                        "linux_stacksmash.dmp",
                        "linux_executable_heap.dmp",
                        "linux_stack_pointer_in_stack.dmp",
                        "linux_stack_pointer_in_stack_alt_name.dmp",
                        "linux_stack_pointer_in_module.dmp",
                        "linux_inside_module_exe_region1.dmp",
                        "linux_inside_module_exe_region2.dmp")},
        "linux_jmp_to_0.dmp": linux("SIGSEGV", 0x0, "null-function-pointer-call"),
        "linux_write_to_under_4k.dmp": linux("SIGSEGV", 0xF93, "null-pointer-dereference"),
        "linux_write_to_nonwritable_module.dmp": linux(
            "SIGSEGV", 0x410000, "write-to-read-only-memory"),
        "linux_write_to_outside_module.dmp": linux(
            "SIGSEGV", 0x390000, "unmapped-memory-access"),
        "linux_write_to_outside_module_via_math.dmp": linux(
            "SIGSEGV", 0x732B80, "unmapped-memory-access"),
        "linux_write_to_nonwritable_region_math.dmp": linux(
            "SIGSEGV", 0x72EB80, "unmapped-memory-access"),
        "linux_jmp_to_module_not_exe_region.dmp": linux(
            "SIGSEGV", 0x616500, "execute-non-executable-memory"),
        "linux_outside_module.dmp": linux(
            "SIGSEGV", 0x29CD74, "execute-unmapped-memory"),
        "linux_overflow.dmp": linux("SIGABRT", None, "abort",
                                    abort_message=None,
                                    summary=["aborted (SIGABRT)"]),
        "linux_inline.dmp": linux("SIGILL", 0x2161B6, "illegal-instruction"),
    },
    "rust-minidump": {
        "linux-mini.dmp": dict(
            reason="SIGSEGV", cls="null-pointer-dereference", address=0x45,
            tid=1304, threads=1, modules=8, main="crash",
            # MANIFEST: a Mozilla soft-errors stream 0x4d7a0004.
            unread_streams=[0x4d7a0004]),
        "pipeline-inlines-macos-segv.dmp": dict(
            reason="EXC_BAD_ACCESS / KERN_INVALID_ADDRESS", code_number=1,
            cls="unmapped-memory-access", address=0xFFFFFFFF80000042,
            tid=4611, threads=11, modules=47, main="crash-client",
            thread_names=[(4611, "main"), (5379, None), (5635, None),
                          (10499, None), (10243, None), (9987, None),
                          (9731, None), (5891, None), (9475, None),
                          (9219, None), (8963, None)],
            summary=["crashed with EXC_BAD_ACCESS / KERN_INVALID_ADDRESS",
                     'thread 4611 (main)']),
        "simple-crashpad.dmp": dict(
            reason=None, code_number=0, cls="abort", address=None,
            threads=1, modules=40, main="crashy",
            abort_message="abort() called",
            summary=["0x00000000 / 0x00000000, from EXC_CRASH on SIGABRT",
                     'with the message "abort() called"'],
            # MANIFEST: simple annotations {"hello": "world"}; module 16
            # (libsystem_c.dylib) lists "abort() called".
            annotations=[(None, "hello", "world"),
                         ("libsystem_c.dylib", None, "abort() called")]),
        "invalid-parameter.dmp": dict(
            reason="STATUS_INVALID_PARAMETER", code_number=0xC000000D,
            cls="invalid-parameter", address=None, threads=6, modules=31,
            main="CrashTest.exe",
            abort_message="Invalid parameter passed to library function "
                          "format != nullptr in function common_vfprintf, in "
                          "file minkernel\\crts\\ucrt\\src\\appcrt\\stdio\\"
                          "output.cpp at line 32",
            summary=["aborted (STATUS_INVALID_PARAMETER)"]),
        "invalid-range.dmp": dict(status={0, 1}, problems=True),
        "invalid-record-count.dmp": dict(status={0, 1}, problems=True),
    },
}

# Signatures (issue 11): never an absolute address ("crashme.exe+0xa6cd" is
# a module offset, "0x7fffda9ce3b0" alone is not); and crashme's one code
# site, read or written, null or not, is one bucket (the class refines the
# title, not the bucket).
ABSOLUTE = re.compile(r"(?<![+\w])0x[0-9a-fA-F]+")
SAME_SITE = ("ascii_read_av.dmp", "ascii_write_av.dmp", "null_read_av.dmp",
             "null_write_av.dmp")
BUCKETS = {}

FOLDERS = {"breakpad-windows": "breakpad", "breakpad-linux": "breakpad",
           "rust-minidump": "rust-minidump"}


def basename(path):
    return path.replace("\\", "/").rsplit("/", 1)[-1] if path else path


def read_exception_tid(path):
    """ThreadId of the dump's exception stream (type 6), or None.  A small
    bounds-checked reader of MINIDUMP_HEADER and the directory, independent
    of coroner's."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 32 or b[:4] != b"MDMP":
        return None
    count, rva = struct.unpack_from("<II", b, 8)
    for i in range(min(count, 4096)):
        off = rva + 12 * i
        if off + 12 > len(b):
            return None
        stype, size, srva = struct.unpack_from("<III", b, off)
        if stype == 6 and size >= 4 and srva + 4 <= len(b):
            return struct.unpack_from("<I", b, srva)[0]
    return None


def hexnum(s):
    return None if s is None else int(s, 16)


def reason_of(crash):
    """The crash reason as Breakpad spells it: the name, with the code for
    Mach exceptions ("EXC_BAD_ACCESS / KERN_INVALID_ADDRESS")."""
    sig = crash.get("signal")
    if sig and sig.startswith("EXC_") and crash.get("code"):
        return "%s / %s" % (sig, crash["code"])
    return sig


def check_dump(coroner, path, exp, errors):
    name = os.path.basename(path)

    def fail(msg):
        errors.append("%s: %s" % (name, msg))

    def eq(what, got, want):
        if got != want:
            fail("%s: got %r, expected %r" % (what, got, want))

    try:
        r = subprocess.run([coroner, "analyze", path, "-f", "json", "-o", "-"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
    except subprocess.TimeoutExpired:
        fail("coroner did not finish in 60 s")
        return
    status = exp.get("status", {0})
    if r.returncode not in status:
        fail("exit status %d, expected one of %s; stderr: %s"
             % (r.returncode, sorted(status), r.stderr.decode(errors="replace")[-500:]))
        return
    try:
        rep = json.loads(r.stdout)
    except ValueError as e:
        fail("JSON report does not parse: %s" % e)
        return
    crash = rep["crash"]
    threads = rep["threads"]
    if ABSOLUTE.search(crash["signature"] or ""):
        fail("signature %r holds an absolute address" % crash["signature"])
    BUCKETS[name] = crash["bucket"]

    if exp.get("problems"):
        if not rep["problems"]:
            fail("a damaged dump must list problems")
    if "reason" in exp:
        eq("crash reason", reason_of(crash), exp["reason"])
    if "code_number" in exp:
        eq("code_number", crash["code_number"], exp["code_number"])
    if "cls" in exp:
        eq("class", crash["class"], exp["cls"])
    if "address" in exp:
        got = hexnum(crash["address"])
        if got != exp["address"]:
            fail("address: got %s, expected %s" % (
                crash["address"],
                None if exp["address"] is None else hex(exp["address"])))
    if "cls" in exp:
        want_tid = exp["tid"] if "tid" in exp else read_exception_tid(path)
        eq("crashing thread tid", crash["tid"], want_tid)
        if crash["thread_index"] is not None:
            t = threads[crash["thread_index"]]
            eq("crashed thread's tid", t["tid"], crash["tid"])
            if not t["crashed"]:
                fail("thread %s is the crash's but not marked crashed" % t["tid"])
    if "threads" in exp:
        eq("thread count", len(threads), exp["threads"])
    if "modules" in exp:
        eq("module count", len(rep["modules"]), exp["modules"])
    if "main" in exp:
        mains = [basename(m["path"]) for m in rep["modules"] if m["main"]]
        eq("main module", mains, [exp["main"]])
    if "thread_names" in exp:
        eq("thread names", [(t["tid"], t["name"]) for t in threads],
           exp["thread_names"])
    if "abort_message" in exp:
        eq("abort message", crash["abort_message"], exp["abort_message"])
    for phrase in exp.get("summary", []):
        if not rep["summary"] or phrase not in rep["summary"]:
            fail("summary lacks %r: %s" % (phrase, rep["summary"]))
    got_notes = [(a["module"], a["key"], a["value"])
                 for a in rep.get("annotations", [])]
    for note in exp.get("annotations", []):
        if note not in got_notes:
            fail("annotation %r missing: %r" % (note, got_notes))
    facts = rep["dump"].get("facts", [])
    for stype in exp.get("unread_streams", []):
        tag = "stream 0x%x" % stype
        hits = [f for f in facts if tag in f["name"]]
        if len(hits) != 1 or not hits[0]["value"].endswith(" bytes, not read"):
            fail("%s: expected once among dump.facts as \"N bytes, not read\", "
                 "got %r" % (tag, hits))
        if any("0x%x" % stype in p for p in (q["text"] for q in rep["problems"])):
            fail("%s: an unknown stream must not be a problem" % tag)


def run_family(family, coroner, corpus, errors):
    folder = os.path.join(corpus, FOLDERS[family])
    table = EXPECT[family]
    # Every dump of the folder belongs to exactly one family's table.
    others = set()
    for fam, fol in FOLDERS.items():
        if fol == FOLDERS[family] and fam != family:
            others |= set(EXPECT[fam])
    for path in sorted(glob.glob(os.path.join(folder, "*.dmp"))):
        name = os.path.basename(path)
        if name in table:
            check_dump(coroner, path, table[name], errors)
        elif name not in others:
            errors.append("%s: in the corpus but not in EXPECT "
                          "(write its facts down from MANIFEST.md)" % name)
    for name in table:
        if not os.path.exists(os.path.join(folder, name)):
            errors.append("%s: expected in %s, missing" % (name, folder))
    site = {BUCKETS[n] for n in SAME_SITE if n in table and n in BUCKETS}
    if len(site) > 1:
        errors.append("crashme's one code site read and written gets buckets %s"
                      % sorted(site))
    return len(table)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("family", choices=sorted(EXPECT) + ["all"])
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--corpus", required=True)
    args = ap.parse_args()

    if not os.path.isfile(os.path.join(args.corpus, "MANIFEST.md")):
        print("SKIP: external corpus %s is absent (set CR_SHARED_CORPUS)"
              % args.corpus)
        return SKIP
    families = sorted(EXPECT) if args.family == "all" else [args.family]
    errors = []
    n = 0
    for fam in families:
        n += run_family(fam, args.coroner, args.corpus, errors)
    for e in errors:
        print("FAIL: " + e)
    print("%d dumps checked, %d failures" % (n, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
