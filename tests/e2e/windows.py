"""End-to-end tests on Windows minidumps made at test time under wine.

corpus/windows/crash.exe and hang.exe (cross-compiled with mingw-w64 by
tests/windows.cmake) write full-memory minidumps of themselves with
dbghelp's MiniDumpWriteDump; this script runs them under wine64 and checks
what coroner reports with no symbol files at all: the exception, and stacks
through wine's PE builds of ntdll.dll / kernelbase.dll / kernel32.dll found
with the .pdata unwind tables and export tables read from the dump, down to
RtlUserThreadStart.  The program's own frames have no names (the .exe has
no exports) and are checked by module offset against the addresses
x86_64-w64-mingw32-nm gives for its functions.

Cases:
  prefix   create the wine prefix (wineboot; the ctest fixture of the rest)
  crash    crash.exe: null write three calls deep, dump from the
           unhandled-exception filter
  crash-normal
           the same crash written as MiniDumpNormal (stacks, no module
           images, the common kind of dump): without --image-dir coroner
           still reports the crash and the program's own innermost frame;
           with --image-dir naming the directories of crash.exe and of
           wine's DLLs it reads .pdata and exports from those files and
           must find the same stack as from a full-memory dump; so with
           --sysroot naming the prefix's drive_c; a kernel32.dll of
           another build (TimeDateStamp) is refused and reported
  hang     hang.exe: three threads blocked (event, Sleep, critical section),
           dump on demand; and its address-space summary (kinds summing
           to the total, the PEB's process heaps as heap memory)
  locks    locks.exe: the wait-for graph (tests/lockgraph) names every
           planted wait with its lock and owner: an ABBA deadlock of two
           critical sections, an SRW lock, an event nobody sets, the
           loader lock; and the report's deadlock finding names both
           threads and both critical sections

Exits 77 (skip) when the cross compiler or wine64 is missing, or when wine
cannot start.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402

WINE_TIMEOUT = 300	# seconds; the first wineboot takes tens of seconds
IMAGE_BASE = 0x140000000	# mingw-w64's default for 64-bit executables


def wine_env(opts):
    env = dict(os.environ)
    env["WINEPREFIX"] = opts.prefix
    env["WINEDEBUG"] = "-all"
    env["WINEDLLOVERRIDES"] = "mscoree,mshtml="	# no Mono/Gecko prompts
    env.pop("DISPLAY", None)
    return env


def need_tools(opts):
    if not opts.wine or not os.path.exists(opts.wine):
        L.skip("wine64 not installed (apt-get install wine64)")
    if not opts.bindir or not os.path.exists(os.path.join(opts.bindir, "crash.exe")):
        L.skip("x86_64-w64-mingw32-gcc not installed (apt-get install "
               "gcc-mingw-w64-x86-64): corpus/windows not built")


def run_wine(opts, args, cwd, timeout=WINE_TIMEOUT):
    try:
        return subprocess.run([opts.wine] + args, cwd=cwd, env=wine_env(opts),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise L.Failure("FAIL: wine64 %s did not finish within %ds"
                        % (" ".join(args), timeout))


def make_prefix(opts):
    """wineboot once per build tree; later runs find the prefix ready."""
    need_tools(opts)
    if os.path.exists(os.path.join(opts.prefix, "system.reg")):
        return
    os.makedirs(opts.prefix, exist_ok=True)
    r = run_wine(opts, ["wineboot", "-i"], opts.prefix)
    if not os.path.exists(os.path.join(opts.prefix, "system.reg")):
        L.skip("wineboot could not create a prefix (exit %d): %s"
               % (r.returncode, r.stdout.decode(errors="replace")[-500:]))


def windows_path(path):
    """The Z: drive of a wine prefix is the Unix root."""
    return "Z:" + os.path.abspath(path).replace("/", "\\")


def make_dump(opts, prog, wd, extra=()):
    make_prefix(opts)
    dump = os.path.join(wd, prog + ".dmp")
    # Under load wine sometimes ends the program with status 5 before it
    # prints anything (seen on a 2-core machine with builds running beside
    # it): that is wine's start-up failing, not the dump or coroner, so the
    # program is run once more before the test fails.
    for attempt in range(2):
        r = run_wine(opts, [os.path.join(opts.bindir, prog + ".exe"),
                            windows_path(dump)] + list(extra), wd)
        out = r.stdout.decode(errors="replace")
        if os.path.exists(dump) and os.path.getsize(dump) > 0 and "dumped" in out:
            break
        print("%s.exe attempt %d wrote no dump (exit %d): %s"
              % (prog, attempt + 1, r.returncode, out[-500:].strip()))
    L.check(os.path.exists(dump) and os.path.getsize(dump) > 0 and "dumped" in out,
            "%s.exe wrote no dump (exit %d)" % (prog, r.returncode), out[-2000:])
    return dump


def functions_of(opts, exe):
    """{name: (start offset, end offset)} of the program's text symbols,
    from x86_64-w64-mingw32-nm (end: the next symbol)."""
    nm = opts.nm or shutil.which("x86_64-w64-mingw32-nm")
    L.check(nm is not None, "x86_64-w64-mingw32-nm not found")
    out = subprocess.run([nm, "-n", exe], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tT":
            syms.append((int(parts[0], 16) - IMAGE_BASE, parts[2]))
    res = {}
    for i, (addr, name) in enumerate(syms):
        end = syms[i + 1][0] if i + 1 < len(syms) else addr + 0x1000
        res.setdefault(name, (addr, end))
    return res


def frame_text(f):
    return "%s %s!%s+%s [%s]" % (f["pc"], f.get("module"), f.get("function"),
                                 f.get("function_offset"), f["trust"])


def stack_text(t):
    return "\n".join(frame_text(f) for f in t["stack"]["frames"])


def in_function(f, funcs, name, activation):
    """Is frame F (module offset; a return address is looked up at -1) in
    the program's function NAME?"""
    off = int(f["module_offset"], 16) - (0 if activation else 1)
    lo, hi = funcs[name]
    return lo <= off < hi


def check_reaches_thread_start(t, module):
    """Frames of thread T: found by context or unwind tables only (no
    scanning), with BaseThreadInitThunk in kernel32.dll and
    RtlUserThreadStart in ntdll.dll last, and MODULE's own frames without
    names but with offsets."""
    frames = t["stack"]["frames"]
    st = stack_text(t)
    L.check(len(frames) >= 3, "thread %s: stack too short" % t["tid"], st)
    last, before = frames[-1], frames[-2]
    L.check(last.get("function") == "RtlUserThreadStart"
            and (last.get("module") or "").lower() == "ntdll.dll",
            "thread %s: stack does not end in ntdll.dll!RtlUserThreadStart"
            % t["tid"], st, t["stack"].get("end_reason") or "")
    L.check(before.get("function") == "BaseThreadInitThunk"
            and (before.get("module") or "").lower() == "kernel32.dll",
            "thread %s: no kernel32.dll!BaseThreadInitThunk before "
            "RtlUserThreadStart" % t["tid"], st)
    for f in frames:
        L.check(f["trust"] in ("context", "cfi"),
                "thread %s: frame found by %s, not by the unwind tables"
                % (t["tid"], f["trust"]), st)
        if f.get("module") == module:
            L.check(f.get("module_offset") is not None,
                    "thread %s: own frame without a module offset" % t["tid"], st)
    L.check(t["stack"].get("end_reason") is None,
            "thread %s: unwinding stopped early" % t["tid"], st,
            t["stack"].get("end_reason") or "")


def check_crash_exception(rep):
    """The exception of crash.exe's report REP; returns the crashed thread."""
    c = rep["crash"]
    L.check(c["signal"] == "EXCEPTION_ACCESS_VIOLATION_WRITE",
            "exception is %r, not EXCEPTION_ACCESS_VIOLATION_WRITE" % c["signal"], c)
    L.check(c["address"] == "0x0", "faulting address %r, not 0x0" % c["address"], c)
    L.check(c["class"] == "null-pointer-dereference",
            "class %r, not null-pointer-dereference" % c["class"], c)
    crashed = [t for t in rep["threads"] if t["crashed"]]
    L.check(len(crashed) == 1, "%d crashed threads, expected 1" % len(crashed))
    t = crashed[0]
    L.check(c["tid"] == t["tid"], "crash tid %s is not the crashed thread %s"
            % (c["tid"], t["tid"]))
    L.check(rep["focus_thread"] == t["index"], "focus thread is not the crashed one")
    return t


def check_crash_stacks(opts, rep, t):
    """crash.exe's crashed thread T: its own four frames, then system
    frames named by export down to RtlUserThreadStart; so for every other
    thread with a stack."""
    funcs = functions_of(opts, os.path.join(opts.bindir, "crash.exe"))
    frames = t["stack"]["frames"]
    st = stack_text(t)
    want = ["crash_level3", "crash_level2", "crash_level1", "main"]
    L.check(len(frames) > len(want), "crashing stack too short", st)
    for i, name in enumerate(want):
        f = frames[i]
        L.check(f.get("module") == "crash.exe" and in_function(f, funcs, name, i == 0),
                "crashing thread frame %d is not in crash.exe's %s (%s-%s)"
                % (i, name, hex(funcs[name][0]), hex(funcs[name][1])), st)
    L.check(frames[0]["trust"] == "context", "frame 0 is not the exception context", st)
    check_reaches_thread_start(t, "crash.exe")
    # Every other thread with a stack must get there too.
    for o in rep["threads"]:
        if o is not t and o["stack"]["frames"]:
            check_reaches_thread_start(o, "crash.exe")


def case_crash(opts):
    wd = L.workdir("windows-crash")
    dump = make_dump(opts, "crash", wd)
    rep, paths, _, _ = L.analyze(opts.coroner, dump, os.path.join(wd, "out"))
    L.validate_json(rep, paths["json"])
    check_crash_stacks(opts, rep, check_crash_exception(rep))


def system32(opts):
    """Where the prefix's DLLs are (wine copies its PE builds there)."""
    d = os.path.join(opts.prefix, "drive_c", "windows", "system32")
    L.check(os.path.exists(os.path.join(d, "ntdll.dll")),
            "no ntdll.dll in %s" % d)
    return d


def case_crash_normal(opts):
    wd = L.workdir("windows-crash-normal")
    dump = make_dump(opts, "crash", wd, ["normal"])
    funcs = functions_of(opts, os.path.join(opts.bindir, "crash.exe"))

    # Without the module files: the crash and the innermost frame, no
    # export names (the images are not in the dump), and no crash of ours.
    rep, paths, _, _ = L.analyze(opts.coroner, dump, os.path.join(wd, "bare"))
    L.validate_json(rep, paths["json"])
    t = check_crash_exception(rep)
    frames = t["stack"]["frames"]
    st = stack_text(t)
    L.check(frames and frames[0].get("module") == "crash.exe"
            and in_function(frames[0], funcs, "crash_level3", True),
            "without --image-dir: frame 0 is not crash.exe's crash_level3", st)
    named = [f for f in frames if f.get("function") in
             ("RtlUserThreadStart", "BaseThreadInitThunk")]
    L.check(not named, "without --image-dir: system frames are named, so "
            "the dump holds module images (not a MiniDumpNormal dump?)", st)

    # With them: the same stack as from a full-memory dump.
    rep, paths, _, _ = L.analyze(
        opts.coroner, dump, os.path.join(wd, "out"),
        ["--image-dir", opts.bindir, "--image-dir", system32(opts)])
    L.validate_json(rep, paths["json"])
    t = check_crash_exception(rep)
    check_crash_stacks(opts, rep, t)
    L.check(not [p for p in L.problem_texts(rep) if "another build" in p],
            "a module file was refused as another build", rep.get("problems"))
    k32 = [m for m in rep["modules"] if (m.get("path") or "").lower().endswith("kernel32.dll")]
    L.check(k32 and (k32[0].get("file") or "").lower().endswith("kernel32.dll")
            and k32[0].get("file_found") is True and k32[0].get("mismatch") is False,
            "kernel32.dll's file read from --image-dir is not in the module table", k32)

    # The DLLs by their Windows paths under --sysroot (C:\ is drive_c).
    rep, paths, _, _ = L.analyze(
        opts.coroner, dump, os.path.join(wd, "sysroot"),
        ["--sysroot", os.path.dirname(os.path.dirname(system32(opts))),
         "--image-dir", opts.bindir])
    check_crash_stacks(opts, rep, check_crash_exception(rep))

    # Another build of kernel32.dll (its TimeDateStamp changed): refused,
    # said so among the problems, and the report still made.
    bad = os.path.join(wd, "otherbuild")
    os.makedirs(bad)
    with open(os.path.join(system32(opts), "kernel32.dll"), "rb") as f:
        image = bytearray(f.read())
    lfanew = int.from_bytes(image[0x3c:0x40], "little")
    image[lfanew + 8] ^= 1	# COFF TimeDateStamp, low byte
    with open(os.path.join(bad, "KERNEL32.DLL"), "wb") as f:
        f.write(image)
    rep, paths, _, _ = L.analyze(
        opts.coroner, dump, os.path.join(wd, "otherbuild-out"),
        ["--image-dir", bad, "--image-dir", opts.bindir])
    t = check_crash_exception(rep)
    refused = [p for p in L.problem_texts(rep) if "another build" in p]
    L.check(len(refused) == 1 and "kernel32.dll" in refused[0].lower(),
            "the other build of kernel32.dll was not reported as refused",
            rep.get("problems"))
    k32 = [m for m in rep["modules"] if (m.get("path") or "").lower().endswith("kernel32.dll")]
    L.check(k32 and k32[0].get("mismatch") is True and k32[0].get("file_found") is False,
            "the refused kernel32.dll is not marked as a build id mismatch", k32)
    L.check(not [f for f in t["stack"]["frames"]
                 if f.get("function") == "BaseThreadInitThunk"],
            "a kernel32.dll export was named from another build",
            stack_text(t))


def check_address_space(rep, exe):
    """The address-space summary of a full-memory dump (issue 10, item 4):
    the kinds sum to the total, the executable is image memory, every
    thread's stack is a stack region, and the process heaps the PEB lists
    are heap memory."""
    a = rep["address_space"]
    L.check(a is not None, "no address_space in a dump with MemoryInfoList")
    kinds = {k["kind"]: k for k in a["kinds"]}
    L.check(sum(k["bytes"] for k in a["kinds"]) == a["bytes"] and
            sum(k["regions"] for k in a["kinds"]) == a["regions"],
            "the kinds do not sum to the address space", a["kinds"], a["bytes"])
    L.check(sum(p["bytes"] for p in a["protections"]) == a["bytes"],
            "the protections do not sum to the address space", a["protections"])
    L.check(kinds["image"]["bytes"] > 0, "no image memory", kinds)
    with_regs = [t for t in rep["threads"] if t["stack"]["frames"]]
    L.check(kinds["stack"]["regions"] >= len(with_regs),
            "%d stack regions for %d threads with registers"
            % (kinds["stack"]["regions"], len(with_regs)), kinds)
    L.check(a["process_heaps"], "the PEB's process heaps were not read",
            a["process_heaps"])
    L.check(kinds["heap"]["bytes"] > 0 and kinds["heap"]["regions"] >= 1,
            "the process heaps are not heap memory", kinds)
    sizes = [r["bytes"] for r in a["largest"]]
    L.check(sizes == sorted(sizes, reverse=True), "largest regions not sorted",
            sizes)
    print("address space of %s: %d regions, %d bytes; %s; %d process heaps"
          % (exe, a["regions"], a["bytes"],
             ", ".join("%s %d" % (k["kind"], k["bytes"]) for k in a["kinds"]),
             len(a["process_heaps"])))


def case_hang(opts):
    wd = L.workdir("windows-hang")
    dump = make_dump(opts, "hang", wd)
    # Wine's MiniDumpWriteDump records no context for the thread that calls
    # it on demand: a fact about that thread (its stack says so), not
    # damage: no problem, exit status 0, and that thread is not the focus.
    rep, paths, status, _ = L.analyze(opts.coroner, dump, os.path.join(wd, "out"),
                                      expect_status=(0,))
    L.validate_json(rep, paths["json"])
    L.check(not L.problem_texts(rep), "unexpected problems in the hang dump",
            L.problem_texts(rep))
    check_address_space(rep, "hang.exe")
    L.check(not [t for t in rep["threads"] if t["crashed"]],
            "a thread is marked crashed in a dump taken on demand")
    bare = [t for t in rep["threads"] if not t["stack"]["frames"]]
    L.check(len(bare) == 1 and "no registers" in (bare[0]["stack"].get("end_reason") or ""),
            "the dump writer's thread does not say it has no registers",
            [t["stack"] for t in bare])
    focus = rep["threads"][rep["focus_thread"]]
    L.check(focus["stack"]["frames"], "the focus thread has no stack",
            focus["stack"])
    L.check(focus["state_info"]["kind"] in ("waiting-on-event", "blocked-on-lock"),
            "the focus thread is not a blocked thread", focus["state_info"])
    funcs = functions_of(opts, os.path.join(opts.bindir, "hang.exe"))
    # thread function -> (system frames expected, innermost first)
    wanted = {
        "waiter": [("ntdll.dll", ("NtWaitForSingleObject", "NtWaitForMultipleObjects")),
                   ("kernelbase.dll", ("WaitForSingleObject",))],
        "sleeper": [("ntdll.dll", ("NtDelayExecution",)),
                    ("kernelbase.dll", ("Sleep", "SleepEx"))],
        "locker": [("ntdll.dll", ("RtlEnterCriticalSection",))],
    }
    found = {}
    with_stacks = [t for t in rep["threads"] if t["stack"]["frames"]]
    L.check(len(with_stacks) >= 3, "only %d threads have stacks" % len(with_stacks))
    for t in with_stacks:
        check_reaches_thread_start(t, "hang.exe")
        frames = t["stack"]["frames"]
        own = [(i, f) for i, f in enumerate(frames) if f.get("module") == "hang.exe"]
        for name in wanted:
            if own and in_function(own[0][1], funcs, name, own[0][0] == 0):
                found[name] = t
    for name, system in wanted.items():
        L.check(name in found, "no thread stopped in hang.exe's %s" % name,
                "\n\n".join(stack_text(t) for t in with_stacks))
        t = found[name]
        names = [((f.get("module") or "").lower(), f.get("function"))
                 for f in t["stack"]["frames"]]
        for module, fns in system:
            L.check(any(m == module and fn in fns for m, fn in names),
                    "thread %s (%s): no %s!%s frame" % (t["tid"], name, module,
                                                       "/".join(fns)),
                    stack_text(t))
    top = found["waiter"]["stack"]["frames"][0]
    L.check((top.get("function") or "").startswith("NtWaitFor"),
            "waiter thread does not stop in an NtWaitFor* system call stub",
            stack_text(found["waiter"]))


def read_expect(path):
    """locks.exe's planted facts: {name: int value}."""
    res = {}
    with open(path) as f:
        for line in f:
            name, value = line.split()
            res[name] = int(value, 0) if name != "event_name" else value
    return res


def lock_graph(opts, dump):
    r = subprocess.run([opts.lockgraph, dump], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    L.check(r.returncode == 0, "lockgraph failed (exit %d)" % r.returncode,
            r.stderr.decode(errors="replace"))
    return json.loads(r.stdout)


def check_lock_graph(graph, want):
    """The waits locks.exe planted, each with its lock and owner; returns
    (situations found, planted)."""
    locks, waits = graph["locks"], graph["waits"]
    text = json.dumps(graph, indent=1)
    by_tid = {w["tid"]: (w, locks[w["lock"]]) for w in waits}
    planted = [
        # waiter, lock address (None: a handle), kind, owner tid (None: no owner)
        ("abba_1", want["cs_b"], "critical-section", want["abba_2"]),
        ("abba_2", want["cs_a"], "critical-section", want["abba_1"]),
        ("srw_waiter", want["srw"], "srwlock", None),
        ("loader_waiter", None, "critical-section", want["loader_holder"]),
        ("event_waiter", want["event"], None, None),
    ]
    found = 0
    for waiter, addr, kind, owner in planted:
        L.check(want[waiter] in by_tid, "thread %d (%s) has no wait in the graph"
                % (want[waiter], waiter), text)
        w, lock = by_tid[want[waiter]]
        if addr is not None:
            L.check(int(lock["addr"], 16) == addr,
                    "%s waits for %s, not %#x" % (waiter, lock["addr"], addr), text)
        if kind is not None:
            L.check(lock["kind"] == kind, "%s's lock is a %s, not a %s"
                    % (waiter, lock["kind"], kind), text)
        if owner is not None:
            L.check(lock["owner_known"] and lock["owner_tid"] == owner,
                    "%s's lock is not owned by thread %d" % (waiter, owner), text)
        else:
            L.check(not lock["owner_known"], "%s's lock has an owner" % waiter, text)
        found += 1
    w, lock = by_tid[want["abba_1"]]
    L.check(w["how"] == "RtlEnterCriticalSection",
            "abba_1 waits in %s, not RtlEnterCriticalSection" % w["how"], text)
    L.check(lock["name"] == "locks.exe+%#x" % (want["cs_b"] - IMAGE_BASE),
            "cs_b is named %r" % lock["name"], text)
    w, lock = by_tid[want["loader_waiter"]]
    L.check(lock["what"] == "loader lock" and lock["name"]
            and lock["name"].lower().startswith("ntdll.dll+"),
            "the loader lock is not named so (what %r, name %r)"
            % (lock["what"], lock["name"]), text)
    w, lock = by_tid[want["event_waiter"]]
    L.check(lock["is_handle"] and w["how"] == "WaitForSingleObject",
            "the event wait is not a WaitForSingleObject on a handle", text)
    L.check(w["mode"] == "exclusive", "event wait mode %s" % w["mode"], text)
    # Nothing invented: one wait per planted waiter, and every lock held
    # is one of the planted ones.
    L.check(len(waits) == len(planted), "%d waits in the graph, %d planted"
            % (len(waits), len(planted)), text)
    held = sorted(l["owner_tid"] for l in locks if l["owner_known"] and l["owner_tid"])
    L.check(held == sorted([want["abba_1"], want["abba_2"], want["loader_holder"]]),
            "locks held by %s" % held, text)
    return found, len(planted)


def check_deadlock_finding(rep, want):
    """The report's deadlock finding names both threads and both critical
    sections (the locks pass's analysis of the graph)."""
    dl = [f for f in rep.get("findings", []) if f["id"] == "deadlock"]
    text = json.dumps(rep.get("findings"), indent=1)[:6000]
    L.check(len(dl) == 1, "%d deadlock findings, expected 1" % len(dl), text)
    blob = json.dumps(dl[0])
    tids = {rep["threads"][e["thread"]]["tid"] for e in dl[0]["evidence"]
            if e.get("thread") is not None}
    L.check(tids == {want["abba_1"], want["abba_2"]},
            "the deadlock's threads are %s, not abba_1 %d and abba_2 %d"
            % (sorted(tids), want["abba_1"], want["abba_2"]), blob)
    addrs = {int(e["address"], 16) for e in dl[0]["evidence"] if e["kind"] == "address"}
    L.check(addrs == {want["cs_a"], want["cs_b"]},
            "the deadlock's locks are %s, not cs_a %#x and cs_b %#x"
            % (sorted(hex(a) for a in addrs), want["cs_a"], want["cs_b"]), blob)
    for name, held in (("abba_1", "cs_a"), ("abba_2", "cs_b")):
        L.check("thread %d" % want[name] in dl[0]["title"]
                and "%#x" % want[held] in dl[0]["title"],
                "the deadlock's title does not name thread %d and %s"
                % (want[name], held), dl[0]["title"])


def case_locks(opts):
    """locks.exe: an ABBA deadlock of two critical sections, an SRW lock
    held by the main thread, an event nobody sets, the loader lock held
    by the main thread; one dump for every check."""
    wd = L.workdir("windows-locks")
    expect = os.path.join(wd, "expect.txt")
    dump = make_dump(opts, "locks", wd, [windows_path(expect)])
    want = read_expect(expect)
    found, planted = check_lock_graph(lock_graph(opts, dump), want)
    print("situations found / planted: %d / %d" % (found, planted))
    rep, paths, _, _ = L.analyze(opts.coroner, dump, os.path.join(wd, "out"),
                                 expect_status=(0, 1))
    L.validate_json(rep, paths["json"])
    check_deadlock_finding(rep, want)
    print("deadlock finding: both threads and critical sections named")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["prefix", "crash", "crash-normal", "hang", "locks"])
    ap.add_argument("--coroner")
    ap.add_argument("--bindir", help="where crash.exe and hang.exe were built")
    ap.add_argument("--wine", help="wine64 (empty: not installed)")
    ap.add_argument("--prefix", help="WINEPREFIX (created by the prefix case)")
    ap.add_argument("--nm", help="x86_64-w64-mingw32-nm")
    ap.add_argument("--lockgraph", help="tests/lockgraph (the wait-for graph as JSON)")
    opts = ap.parse_args()
    if opts.case == "prefix":
        L.main_wrapper(lambda: make_prefix(opts))
    else:
        need_tools(opts)
        L.main_wrapper(lambda: {"crash": case_crash, "crash-normal": case_crash_normal,
                                "hang": case_hang, "locks": case_locks}[opts.case](opts))


if __name__ == "__main__":
    main()
