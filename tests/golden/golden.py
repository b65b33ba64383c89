#!/usr/bin/env python3
"""golden.py - the Markdown, HTML and JSON reports of deterministic synthetic
dumps, compared with the files in tests/golden/ (issue 8, item 4).

The dumps are made here at test time with tests/hostile/corewriter.py and
tests/hostile/mdwriter.py, so they hold no host path, time or build id; the
analysis runs with an empty --sysroot so that no file of this machine is
read for them.  What still varies is normalized before comparing: the
coroner version and the temporary directory.

    golden.py --coroner build/analyzer/coroner CASE
    CORONER_UPDATE_GOLDEN=1 ctest --test-dir build -R golden   # rewrite

A mismatch prints a unified diff of the expected and the produced report;
review a rewrite's diff like code: every change of output shows there.
"""

import argparse
import difflib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hostile"))
import corewriter  # noqa: E402
import mdwriter  # noqa: E402

FORMATS = ("md", "html", "json")

APP = "/opt/app/bin/app"
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
APP_BASE, LIBC_BASE = 0x400000, 0x7f0000000000
STACK = 0x7ffd0000


def app_text():
    """The app's code: call instructions (e8 rel32) at 0x401100 and
    0x401200, so that 0x401105 and 0x401205 are return addresses a stack
    scan accepts."""
    text = bytearray(0x2000)
    for off in (0x1100, 0x1200):
        text[off:off + 5] = b"\xe8\x00\x00\x00\x00"
    # The crashing instruction: mov dword ptr [rax], 0 (rax is 0).
    text[0x1010:0x1016] = b"\xc7\x00\x00\x00\x00\x00"
    return bytes(text)


def stacks(core, nthreads):
    """One stack page per thread; each holds a frame pointer chain (rbp at
    +0x200) of two frames returning to 0x401105 and 0x401205, except the
    last thread's: a recursion of 16 frames alternating between them (a
    fold in the reports)."""
    data = b""
    for i in range(nthreads):
        page = bytearray(0x1000)
        base = STACK + i * 0x1000
        n = 16 if i == nthreads - 1 else 2
        for k in range(n):
            nxt = base + 0x200 + (k + 1) * 0x10 if k + 1 < n else 0
            ret = APP_BASE + (0x1105 if k % 2 == 0 else 0x1205)
            struct.pack_into("<QQ", page, 0x200 + k * 0x10, nxt, ret)
        data += page
    core.load(STACK, data, flags="rw")


def linux_core(crash):
    c = corewriter.Core("x86_64")
    # (tid, rip, signo, syscall): the crashing thread in the app, two
    # threads in libc at one place (one group), one elsewhere in the app.
    threads = [(100, APP_BASE + 0x1010, 11 if crash else 0, -1),
               (101, LIBC_BASE + 0x100, 0, 202),
               (102, LIBC_BASE + 0x100, 0, 202),
               (103, APP_BASE + 0x1300, 0, 7)]
    for i, (tid, rip, signo, orig) in enumerate(threads):
        c.thread(tid=tid, regs={"rip": rip, "rsp": STACK + i * 0x1000 + 0x100,
                                "rbp": STACK + i * 0x1000 + 0x200,
                                "rax": 0 if i == 0 else 0x41},
                 signo=signo, utime_us=1500000 * (i + 1), stime_us=250000, orig=orig)
        if i == 0:
            c.psinfo(pid=100, fname="app", args="app --serve 8080", uid=1000, gid=1000)
            if crash:
                c.siginfo(signo=11, code=1, addr=0)
    c.nt_file([(APP_BASE, APP_BASE + 0x2000, 0, APP),
               (LIBC_BASE, LIBC_BASE + 0x1000, 0, LIBC)])
    c.load(APP_BASE, app_text(), flags="rx")
    c.load(LIBC_BASE, b"", size=0x1000, flags="rx")
    stacks(c, len(threads))
    return c.bytes()


def windows_minidump():
    m = mdwriter.Minidump()
    stack = bytearray(0x1000)
    struct.pack_into("<Q", stack, 0x100, 0x140001105)
    m.thread(tid=1, rip=0x140001010, rsp=0x7ffd0100, stack_addr=0x7ffd0000, stack=stack)
    m.thread(tid=2, rip=0x7ff800001000, rsp=0x7ffe0100, stack_addr=0x7ffe0000,
             stack=bytes(0x1000))
    m.exception(tid=1, code=0xc0000005, address=0x140001010, params=(1, 0x45))
    m.module(0x140000000, 0x10000, "C:\\app\\app.exe", version=(2, 1, 0, 7))
    m.module(0x7ff800000000, 0x100000, "C:\\Windows\\System32\\ntdll.dll",
             version=(10, 0, 19041, 1))
    m.unloaded(0x7ff700000000, 0x20000, "C:\\app\\plugin.dll")
    # Crashpad annotations of the process and of app.exe, one of each
    # kind; the last value is hostile: table and markup characters and a
    # line break must stay text in every report.
    m.report_id = bytes(range(1, 17))
    m.annotation("prod", "App")
    m.annotation("ver", "2.1.0.7")
    m.annotation(None, "Loading plugin.dll", module=0, kind="list")
    m.annotation("channel", "beta", module=0)
    m.annotation("last_url", "<b>x</b> | `y` [z](http://e)\n# not a heading",
                 module=0, kind="object")
    text = bytearray(0x2000)
    text[0x1100:0x1105] = b"\xe8\x00\x00\x00\x00"
    # The crashing instruction: mov byte ptr [rax + 0x45], 1 (rax is 0).
    text[0x1010:0x1014] = b"\xc6\x40\x45\x01"
    m.memory(0x140000000, bytes(text))
    return m.bytes()


CASES = {
    "crash-segv": ("crash-segv.core", lambda: linux_core(True)),
    "no-crash": ("no-crash.core", lambda: linux_core(False)),
    "minidump-exception": ("minidump-exception.dmp", windows_minidump),
}


def version(coroner):
    r = subprocess.run([coroner, "--version"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    m = re.search(rb"(\d+\.\d+\.\d+\S*)", r.stdout)
    return m.group(1).decode() if m else None


def normalize(text, tmp, ver):
    text = text.replace(tmp, "TMP")
    if ver:
        text = text.replace("coroner " + ver, "coroner VERSION")
        text = text.replace('"coroner_version": "%s"' % ver,
                            '"coroner_version": "VERSION"')
    return text


def schema_problem(text):
    """Why the JSON report TEXT breaks docs/report-schema.json; None when it
    follows it or python3-jsonschema is not installed."""
    try:
        import jsonschema
    except ImportError:
        return None
    with open(os.path.join(HERE, "..", "..", "docs", "report-schema.json"),
              encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.validate(json.loads(text), schema)
    except jsonschema.ValidationError as e:
        return "%s at %s" % (e.message[:300], "/".join(map(str, e.absolute_path)))
    return None


SECTION_ID = re.compile(r'(?:doc_section\([^,]+, *\d+|add_facts_section\(&bd), *"([a-z0-9-]+)"')


def check_sections():
    """Every section reports/doc_build.c (and doc_memory.c, the Memory
    section it adds) can make (by its literal id) appears in at least one
    golden HTML file: a new section comes with a golden case that shows
    it."""
    ids = set()
    for name in ("doc_build.c", "doc_memory.c"):
        src = os.path.join(HERE, "..", "..", "reports", name)
        with open(src, encoding="utf-8") as f:
            ids |= set(SECTION_ID.findall(f.read()))
    ids = sorted(ids)
    if len(ids) < 10:
        print("FAIL: found only %d section ids in %s: has the code changed shape?"
              % (len(ids), src))
        return 1
    shown = set()
    for case in CASES:
        with open(os.path.join(HERE, case + ".html"), encoding="utf-8") as f:
            shown |= set(re.findall(r'<section[^>]* id="([a-z0-9-]+)"', f.read()))
    missing = [i for i in ids if i not in shown]
    if missing:
        print("FAIL: sections in no golden file: %s" % ", ".join(missing))
        return 1
    print("all %d sections of doc_build.c are in a golden file: %s"
          % (len(ids), ", ".join(ids)))
    return 0


def main():
    if sys.argv[1:] == ["--sections"]:
        return check_sections()
    ap = argparse.ArgumentParser()
    ap.add_argument("--coroner", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    update = os.environ.get("CORONER_UPDATE_GOLDEN") == "1"
    name, make = CASES[args.case]
    ver = version(args.coroner)
    failed = []
    with tempfile.TemporaryDirectory(prefix="coroner-golden-") as tmp:
        tmp = os.path.realpath(tmp)
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(make())
        os.mkdir(os.path.join(tmp, "sysroot"))
        os.mkdir(os.path.join(tmp, "out"))
        r = subprocess.run([args.coroner, "analyze", name, "--sysroot", "sysroot",
                            "-o", "out", "--format", ",".join(FORMATS)],
                           cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode not in (0, 1):
            print("coroner failed (%d): %s" % (r.returncode, r.stderr.decode(errors="replace")))
            return 1
        for fmt in FORMATS:
            out = os.path.join(tmp, "out", "%s.coroner.%s" % (name, fmt))
            with open(out, encoding="utf-8") as f:
                got = normalize(f.read(), tmp, ver)
            if fmt == "json":
                problem = schema_problem(got)
                if problem:
                    print("FAIL: %s.json does not follow docs/report-schema.json: %s"
                          % (args.case, problem))
                    return 1
            golden = os.path.join(HERE, "%s.%s" % (args.case, fmt))
            if update:
                with open(golden, "w", encoding="utf-8") as f:
                    f.write(got)
                print("wrote %s" % golden)
                continue
            try:
                with open(golden, encoding="utf-8") as f:
                    want = f.read()
            except FileNotFoundError:
                want = ""
            if got != want:
                failed.append(fmt)
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True),
                    "tests/golden/%s.%s" % (args.case, fmt), "produced"))
    if failed:
        print("FAIL: %s: %s differ from tests/golden/; if the change is meant, "
              "run CORONER_UPDATE_GOLDEN=1 ctest -R golden and review the diff"
              % (args.case, ", ".join(failed)))
        return 1
    print("%s: md, html and json as in tests/golden/" % args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
