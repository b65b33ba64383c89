"""Hostile and unusual dumps, module side (issue 7, items 2 and 7):
coroner's own module enumeration and the safe opening of every path a
dump names.

  modules.py CASE --coroner PATH --bindir DIR

Cases:
  hostile-names   a crafted core whose link map and NT_FILE name a FIFO,
                  /dev/zero, /dev/tty, /proc/self/mem and a socket: a report
                  within 20 s, and none of them opened (strace: only O_PATH
                  looks, which call no driver and cannot block).
  sysroot-escape  names that climb out of --sysroot ("/../..", a symlink
                  lib -> /, relative and absolute symlinks to a planted ELF
                  outside): the planted file is never used or opened, a file
                  inside the sysroot is; with openat2 and with the userspace
                  walk (CORONER_NO_OPENAT2=1).
  altlink-escape  a sysroot whose copy of the program has a relative
                  .gnu_debugaltlink "../../../..<outside>" (a dwz name is a
                  string in a sysroot file): the file outside is not opened.
  host-fallback   a kernel core with --sysroot EMPTY uses no host file; without
                  --sysroot the report says the host's files were used.
  no-nt-file      a kernel core of abort_assert with its NT_FILE note removed
                  (as qemu-user writes cores), and a sysroot holding the
                  program and its libraries: the libc functions and main are
                  on the crashing stack, as eu-stack finds them.
  link-map-cycle  a link map that loops: ends, each module once, a problem.
  qemu-user       a core shaped like qemu-user's: producer "qemu-user", cpu
                  times not recorded; the same core with a kernel-only note
                  stays "Linux kernel".
  many-modules    8000 and 16000 libraries: the CPU time grows linearly.

Exit 0 pass, 1 fail, 77 skip.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import resource

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402
import corewriter as CW  # noqa: E402

EXE = 0x400000
LIB0 = 0x7f0000000000
STACK = 0x7ffd0000
TIMEOUT = 20


# ------------------------------------------------------------ crafted cores

def linked_core(names, nt_file=True, cycle=False, arch="x86_64"):
    """A core of a dynamically linked program: an executable at EXE whose
    PT_DYNAMIC has DT_DEBUG -> r_debug -> link map naming NAMES, one small
    ELF image per name at LIB0 + k MiB (and NT_FILE naming them too when
    NT_FILE).  CYCLE: the last link_map entry points back to the first
    library's."""
    c = CW.Core(arch)
    w = c.w
    exe = CW.elf_image(arch, [
        (CW.PT_PHDR, 0x40, 3 * 56, 3 * 56, "r", 0x40),
        (CW.PT_LOAD, 0, 0x2000, 0x2000, "rx", 0),
        (CW.PT_DYNAMIC, 0x1000, 4 * w, 4 * w, "rw", 0x1000),
    ], size=0x2000, etype=2)
    r_debug, lm0 = 0x1100, 0x1200
    strings = max(0x1800, lm0 + (len(names) + 1) * 0x28)
    CW.poke(exe, 0x1000, c.words(CW.DT_DEBUG, EXE + r_debug, CW.DT_NULL, 0))
    CW.poke(exe, r_debug, c.words(1, EXE + lm0))
    entries = [(0, b"")] + [(LIB0 + (k << 20), n.encode()) for k, n in enumerate(names)]
    s_at = strings
    for i, (base, name) in enumerate(entries):
        at = lm0 + i * 0x28
        nxt = EXE + lm0 + (i + 1) * 0x28 if i + 1 < len(entries) else 0
        if cycle and i + 1 == len(entries):
            nxt = EXE + lm0 + 0x28
        l_ld = base + 0x1000 if base else EXE + 0x1000
        CW.poke(exe, at, c.words(base, EXE + s_at, l_ld, nxt, 0))
        CW.poke(exe, s_at, name + b"\0")
        s_at += len(name) + 1
    c.load(EXE, bytes(exe[:s_at]), size=max(0x2000, (s_at + 0xfff) & ~0xfff), flags="rx")
    files = []
    for k, n in enumerate(names):
        base = LIB0 + (k << 20)
        img = CW.elf_image(arch, [
            (CW.PT_LOAD, 0, 0x1100, 0x2000, "rx", 0),
            (CW.PT_DYNAMIC, 0x1000, 2 * w, 2 * w, "rw", 0x1000),
        ], size=0x1100)
        c.load(base, bytes(img[:0xc0]), size=0x2000, flags="rx")
        files.append((base, base + 0x2000, 0, n))
    c.load(STACK, b"\0" * 0x100, size=0x1000, flags="rw")
    c.thread(tid=4242, regs={"rip": EXE + 0x100, "rsp": STACK + 0x80}, signo=11)
    c.psinfo(pid=4242, fname="victim", args="victim")
    c.siginfo(signo=11, code=1, addr=0)
    c.auxv([(CW.AT_PHDR, EXE + 0x40), (CW.AT_PHENT, 56), (CW.AT_PHNUM, 3),
            (CW.AT_PAGESZ, 0x1000), (CW.AT_ENTRY, EXE + 0x100), (CW.AT_BASE, 0)])
    if nt_file and files:
        c.nt_file(files)
    return c


def analyze(opts, core, wd, extra=(), env=None, strace=None, tag="out"):
    """coroner analyze CORE (json to a file) within TIMEOUT s, under strace
    when STRACE names a log file.  Returns (report, seconds): the CPU time
    (user + system) of the run, not its wall time, which on a shared
    machine is mostly waiting for a CPU."""
    out = os.path.join(wd, tag)
    os.makedirs(out, exist_ok=True)
    cmd = [opts.coroner, "analyze", core, "-o", out, "-f", "json,md", "-q"] + list(extra)
    if strace:
        cmd = ["strace", "-f", "-qq", "-e", "trace=open,openat,openat2,connect", "-o", strace] + cmd
    e = dict(L.sanitizer_env())
    e.update(env or {})
    if strace:    # LeakSanitizer cannot run under ptrace; the run without strace checks leaks
        e["ASAN_OPTIONS"] = e.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        r = subprocess.run(cmd, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise L.Failure("FAIL: coroner did not finish within %d s on %s (blocked?)"
                        % (TIMEOUT, os.path.basename(core)))
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    secs = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    err = r.stderr.decode(errors="replace")
    check(r.returncode in (0, 1), "coroner exit %d on %s" % (r.returncode, core), err[-3000:])
    check("Sanitizer" not in err and "runtime error:" not in err, "sanitizer report", err[-4000:])
    import json
    with open(os.path.join(out, os.path.basename(core) + ".coroner.json")) as f:
        return json.load(f), secs


def strace_works(wd):
    if not shutil.which("strace"):
        return False
    r = subprocess.run(["strace", "-f", "-o", os.path.join(wd, "probe.log"), "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def real_opens(log, needles):
    """Lines of the strace LOG that open (not O_PATH) a path containing one
    of NEEDLES."""
    bad = []
    with open(log, errors="replace") as f:
        for line in f:
            if any(n in line for n in needles) and "O_PATH" not in line:
                bad.append(line.strip())
    return bad


def module(rep, path):
    ms = [m for m in rep["modules"] if m.get("path") == path]
    check(ms, "no module named %s" % path, [m.get("path") for m in rep["modules"]])
    return ms[0]


# ------------------------------------------------------------------- cases

def case_hostile_names(opts, wd):
    fifo = os.path.join(wd, "fifo.so")
    os.mkfifo(fifo)
    sock = os.path.join(wd, "sock.so")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)
    names = [fifo, "/dev/zero", "/dev/tty", "/proc/self/mem", sock]
    for nt in (True, False):
        core = os.path.join(wd, "names-%s.core" % ("ntfile" if nt else "linkmap"))
        with open(core, "wb") as f:
            f.write(linked_core(names, nt_file=nt).bytes())
        log = os.path.join(wd, "strace-%d.log" % nt) if strace_works(wd) else None
        rep, secs = analyze(opts, core, wd, tag="out-%d" % nt)
        if log:
            analyze(opts, core, wd, strace=log, tag="strace-%d" % nt)
        print("%s: %.2f s of CPU" % (os.path.basename(core), secs))
        for n in names:
            m = module(rep, n)
            check(not m.get("file"), "module %s: file %r used" % (n, m.get("file")))
        if log:
            bad = real_opens(log, names)
            check(not bad, "coroner opened dump-named special files", *bad)
            print("strace: no open of %s beyond O_PATH checks" % ", ".join(names))
    s.close()


def planted_elf(opts):
    return os.path.join(opts.bindir, "null_deref")


def case_sysroot_escape(opts, wd):
    root = os.path.join(wd, "sysroot")
    outside = os.path.join(wd, "outside")
    os.makedirs(os.path.join(root, "usr", "lib"))
    os.makedirs(outside)
    planted = os.path.join(outside, "planted.so")
    shutil.copy(planted_elf(opts), planted)
    shutil.copy(planted_elf(opts), os.path.join(root, "ok.so"))
    os.symlink("/", os.path.join(root, "lib"))
    depth = root.count("/") + 2
    os.symlink("../" * depth + planted.lstrip("/"), os.path.join(root, "usr", "lib", "x.so"))
    os.symlink(planted, os.path.join(root, "abs.so"))
    os.symlink("loop.so", os.path.join(root, "loop.so"))       # ELOOP, not a hang
    escapes = ["/lib" + planted, "/usr/lib/x.so", "/abs.so", "/.." * depth + planted,
               "/usr/../../.." + planted, "/loop.so"]
    core = os.path.join(wd, "escape.core")
    with open(core, "wb") as f:
        f.write(linked_core(escapes + ["/ok.so"]).bytes())
    use_strace = strace_works(wd)
    for env in ({}, {"CORONER_NO_OPENAT2": "1"}):
        tag = "walk" if env else "openat2"
        log = os.path.join(wd, "strace-%s.log" % tag) if use_strace else None
        rep, secs = analyze(opts, core, wd, extra=["--sysroot", root], env=env, tag=tag)
        if log:
            analyze(opts, core, wd, extra=["--sysroot", root], env=env, strace=log,
                    tag=tag + "-strace")
        print("%s: %.2f s of CPU" % (tag, secs))
        ok = module(rep, "/ok.so")
        check(ok.get("file") == os.path.join(root, "ok.so"),
              "%s: the file inside the sysroot was not used: %r" % (tag, ok.get("file")))
        for n in escapes:
            m = module(rep, n)
            check(not m.get("file"), "%s: module %s resolved outside the sysroot to %r"
                  % (tag, n, m.get("file")))
        if log:
            bad = real_opens(log, ["planted"])
            check(not bad, "%s: the ELF outside the sysroot was opened" % tag, *bad)
    print("no name left the sysroot (openat2 and the userspace walk)")


def kernel_core(opts, wd, prog, signo):
    core, pid = L.kernel_core(os.path.join(opts.bindir, prog), [], wd, expect_signal=signo)
    return core


def case_host_fallback(opts, wd):
    core = kernel_core(opts, wd, "null_deref", 11)
    empty = os.path.join(wd, "empty")
    os.makedirs(empty)
    rep, _ = analyze(opts, core, wd, extra=["--sysroot", empty], tag="sysroot")
    for m in rep["modules"]:
        f = m.get("file")
        check(not f or f == "(image in dump memory)",
              "with --sysroot EMPTY, module %s used the host file %s" % (m["path"], f))
        check(not m.get("host_file"), "module %s: host_file with --sysroot" % m["path"])
    rep, _ = analyze(opts, core, wd, tag="host")
    libc = [m for m in rep["modules"] if "libc.so" in (m.get("path") or "")]
    check(libc, "no libc module", [m.get("path") for m in rep["modules"]])
    check(libc[0].get("host_file") is True and libc[0].get("file"),
          "without --sysroot, libc's host file is not marked as such", libc[0])
    md = open(os.path.join(wd, "host", os.path.basename(core) + ".coroner.md")).read()
    check("this machine's file" in md, "the Markdown report does not say a host file was used")


def strace_calls(lines):
    """strace -f's lines with each call that another thread interrupted
    ("... <unfinished ...>", later "<... openat resumed>) = -1 ENOENT")
    joined into one line, so that a call's result is on its line."""
    calls, pending = [], {}
    for line in lines:
        pid = line.split(" ", 1)[0]
        if line.endswith("<unfinished ...>"):
            pending[pid] = len(calls)
            calls.append(line[:-len("<unfinished ...>")])
        elif "resumed>" in line and pid in pending:
            i = pending.pop(pid)
            calls[i] += line.split("resumed>", 1)[1]
        else:
            calls.append(line)
    return calls


def case_debuginfod(opts, wd):
    """With DEBUGINFOD_URLS set, a module without debug information is
    looked up through the debuginfod client (a connection to the URL), and
    libdwfl opens none of the debug trees itself: its own search would
    open(2) them plainly, blocking on a FIFO planted there."""
    if not shutil.which("strace") or not shutil.which("strip"):
        L.skip("strace or strip not installed")
    core = kernel_core(opts, wd, "null_deref", 11)
    exe = os.path.join(wd, "null_deref.stripped")
    subprocess.run(["strip", "--strip-debug", "-o", exe, os.path.join(opts.bindir, "null_deref")],
                   check=True)
    log = os.path.join(wd, "strace.log")
    env = {"DEBUGINFOD_URLS": "http://127.0.0.1:9", "DEBUGINFOD_TIMEOUT": "5",
           "DEBUGINFOD_CACHE_PATH": os.path.join(wd, "cache")}
    analyze(opts, core, wd, extra=["-e", exe], env=env, strace=log)
    lines = strace_calls(open(log).read().splitlines())
    asked = [l for l in lines if "connect(" in l and "127.0.0.1" in l]
    plain = [l for l in lines if ("openat(" in l or "open(" in l) and "/.build-id/" in l
             and "O_PATH" not in l and "O_NONBLOCK" not in l and "ENOENT" not in l]
    print("debuginfod connections: %d; plain opens in build-id trees: %d" % (len(asked), len(plain)))
    check(asked, "DEBUGINFOD_URLS set, but no connection to the debuginfod server was tried")
    check(not plain, "libdwfl opened debug trees itself", "\n".join(plain[:5]))


def strip_nt_file(src, dst):
    """Copy the ELF core SRC to DST with its NT_FILE note's type changed to
    an unknown one (so the core has no NT_FILE, as qemu-user's)."""
    data = bytearray(open(src, "rb").read())
    check(data[4] == 2, "64-bit core expected")
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    found = False
    for i in range(phnum):
        p = phoff + i * phentsize
        ptype, = struct.unpack_from("<I", data, p)
        if ptype != CW.PT_NOTE:
            continue
        off, = struct.unpack_from("<Q", data, p + 8)
        size, = struct.unpack_from("<Q", data, p + 32)
        at = off
        while at + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", data, at)
            if ntype == CW.NT_FILE:
                struct.pack_into("<I", data, at + 8, 0x4e4f4e45)
                found = True
            at += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    check(found, "the kernel core has no NT_FILE note to remove")
    open(dst, "wb").write(data)


def ldd_paths(exe):
    r = subprocess.run(["ldd", exe], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    paths = []
    for line in r.stdout.decode(errors="replace").splitlines():
        for tok in line.split():
            if tok.startswith("/"):
                paths.append(tok)
    return paths


def case_no_nt_file(opts, wd):
    exe = os.path.join(opts.bindir, "abort_assert")
    core0 = kernel_core(opts, wd, "abort_assert", 6)
    core = os.path.join(wd, "no-nt-file.core")
    strip_nt_file(core0, core)
    root = os.path.join(wd, "sysroot")
    libs = ldd_paths(exe)
    check(libs, "ldd found no libraries of %s" % exe)
    for p in [exe] + libs:
        dst = os.path.join(root, p.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(p, dst)
    want_libc = ("raise", "abort", "__pthread_kill_implementation")
    for extra, tag in ((["--sysroot", root], "sysroot"),
                       (["--sysroot", root, "-e", exe], "sysroot-e")):
        rep, secs = analyze(opts, core, wd, extra=extra, tag=tag)
        t = L.crashed_thread(rep)
        names = [f.get("function") for f in L.frames(t)]
        print("%s (%.2f s of CPU): %s" % (tag, secs, " < ".join(str(n) for n in names[:10])))
        check(any(n in want_libc for n in names),
              "%s: no libc function (%s) on the crashing stack" % (tag, "/".join(want_libc)),
              L.fmt_frames(t))
        check("main" in names, "%s: main is not on the crashing stack" % tag, L.fmt_frames(t))
        libc = [m for m in rep["modules"] if "libc.so" in (m.get("path") or "")]
        check(libc and (libc[0].get("file") or "").startswith(root),
              "%s: libc not taken from the sysroot" % tag, libc)
    if shutil.which("eu-stack"):
        # eu-stack has --sysroot since elfutils 0.189; before, it finds the
        # same files on this machine by the link map's names.
        cmd = ["eu-stack", "--core", core, "--sysroot", root, "-e", exe]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        text = r.stdout.decode(errors="replace")
        if "unrecognized option" in text:
            cmd = ["eu-stack", "--core", core, "-e", exe]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            text = r.stdout.decode(errors="replace")
        # Both use this machine's build-id tree for debug files (libc6-dbg
        # names __pthread_kill_implementation).
        eu = [n for n in want_libc + ("main",) if " %s\n" % n in text]
        print("eu-stack%s names: %s" % (" --sysroot" if "--sysroot" in cmd else
                                        " (without --sysroot: older elfutils)", ", ".join(eu)))
        ours = set(names)
        missing = [n for n in eu if n not in ours]
        check(not missing, "eu-stack names %s on the stack, coroner does not" % missing, text[-3000:])


def case_link_map_cycle(opts, wd):
    names = ["/lib/a.so", "/lib/b.so", "/lib/c.so"]
    core = os.path.join(wd, "cycle.core")
    with open(core, "wb") as f:
        f.write(linked_core(names, nt_file=False, cycle=True).bytes(align=1))
    rep, secs = analyze(opts, core, wd)
    print("link map cycle: %.2f s of CPU" % secs)
    paths = [m.get("path") for m in rep["modules"]]
    for n in names:
        check(paths.count(n) == 1, "module %s listed %d times" % (n, paths.count(n)), paths)
    check(any("loops" in p for p in L.problem_texts(rep)),
          "no problem says the link map loops", rep.get("problems"))
    check(any(m.get("main") for m in rep["modules"]), "no main module", paths)


def case_many_modules(opts, wd):
    """Module enumeration and symbolization grow linearly: a link map of
    N and then 2N libraries (each with NT_FILE entries and an ELF header
    in memory).  libdwfl's module table is quadratic, so modules beyond
    CR_MAX_DWFL_MODULES (8192) are not symbolized and a problem says so."""
    secs = {}
    for n in (8000, 16000):
        # (link-map entries and names spill past the executable's image:
        # the core's PT_LOAD there is grown to hold them)
        core = os.path.join(wd, "many-%d.core" % n)
        with open(core, "wb") as f:
            f.write(linked_core(["/nonexistent/lib%05d.so" % i for i in range(n)]).bytes(align=1))
        best = None
        for _ in range(2):      # the better of two runs: the machine is shared
            rep, t = analyze(opts, core, wd, tag="out-%d" % n)
            best = t if best is None else min(best, t)
        secs[n] = best
        check(len(rep["modules"]) == n + 1, "%d modules listed, expected %d"
              % (len(rep["modules"]), n + 1))
        check(not any("link map" in p for p in L.problem_texts(rep)),
              "the link map was not read whole", rep.get("problems"))
        print("%d libraries: %.2f s of CPU" % (n, best))
    check(any("not symbolized" in p for p in L.problem_texts(rep)),
          "no problem says modules were left out", rep.get("problems"))
    check(secs[16000] < 2.5 * secs[8000] + 0.2,
          "twice the modules took %.2f s of CPU against %.2f s: not linear" % (secs[16000], secs[8000]))


def qemu_core(kernel_note=False):
    c = CW.Core("x86_64")
    c.load(STACK, b"\0" * 0x100, size=0x1000, flags="rw")
    c.thread(tid=700, regs={"rip": 0x401000, "rsp": STACK + 0x80}, signo=11)
    c.psinfo(pid=700, fname="victim", args="victim")
    c.auxv([(CW.AT_PAGESZ, 0x1000), (CW.AT_ENTRY, 0x401000)])
    c.thread(tid=701, regs={"rip": 0x401010, "rsp": STACK + 0x40})
    if kernel_note:
        c.raw_note("CORE", 2, b"\0" * 512)   # NT_PRFPREG: the kernel's
    return c


def case_qemu_user(opts, wd):
    for kernel_note, want in ((False, "qemu-user"), (True, "Linux kernel")):
        core = os.path.join(wd, "qemu-%d.core" % kernel_note)
        with open(core, "wb") as f:
            f.write(qemu_core(kernel_note).bytes())
        rep, _ = analyze(opts, core, wd, tag="out-%d" % kernel_note)
        prod = rep["dump"].get("producer")
        check(prod == want, "producer %r, expected %r" % (prod, want))
        times = [(t.get("user_cpu_usec"), t.get("system_cpu_usec")) for t in rep["threads"]]
        if want == "qemu-user":
            check(all(u is None and s is None for u, s in times),
                  "qemu-user's zero cpu times shown as recorded", times)
            check(rep["process"].get("user_cpu_usec") is None,
                  "qemu-user: process cpu time shown as recorded")
        else:
            check(times[1] == (0, 0), "kernel zeros not shown as recorded", times)


def case_altlink_escape(opts, wd):
    if not shutil.which("objcopy") or not strace_works(wd):
        L.skip("objcopy or strace missing")
    prog = os.path.join(opts.bindir, "null_deref")
    core = kernel_core(opts, wd, "null_deref", 11)
    root = os.path.join(wd, "sysroot")
    outside = os.path.join(wd, "outside")
    os.makedirs(os.path.dirname(root + prog))
    os.makedirs(outside)
    shutil.copy(prog, os.path.join(outside, "planted.debug"))
    climb = "../" * (prog.count("/") + 2) + outside.lstrip("/") + "/planted.debug"
    sec = os.path.join(wd, "altlink")
    with open(sec, "wb") as f:
        f.write(climb.encode() + b"\0" + b"\x11" * 20)
    subprocess.run(["objcopy", "--add-section", ".gnu_debugaltlink=" + sec, prog, root + prog],
                   check=True)
    log = os.path.join(wd, "strace.log")
    for env in ({}, {"CORONER_NO_OPENAT2": "1"}):
        analyze(opts, core, wd, extra=["--sysroot", root], env=env, strace=log)
        bad = real_opens(log, ["planted"])
        check(not bad, "the dwz name left the sysroot %s" % env, *bad)
    print("the relative .gnu_debugaltlink stayed inside the sysroot")


CASES = {
    "altlink-escape": case_altlink_escape,
    "debuginfod": case_debuginfod,
    "hostile-names": case_hostile_names,
    "sysroot-escape": case_sysroot_escape,
    "host-fallback": case_host_fallback,
    "no-nt-file": case_no_nt_file,
    "link-map-cycle": case_link_map_cycle,
    "qemu-user": case_qemu_user,
    "many-modules": case_many_modules,
}


if __name__ == "__main__":
    L.case_main(CASES, "modules", [("--bindir", {"required": True, "type": os.path.abspath})])
