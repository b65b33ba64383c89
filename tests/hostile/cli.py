"""Hostile-input tests of the command line: report names and the terminal.

  cli.py CASE --coroner PATH [--bindir DIR]

Cases (exit 0 pass, 1 fail, 77 skip):
  same-name     host-a/core and host-b/core in one run: two report sets, each
                naming its own dump; a second run (other order) loses neither
  long-names    dump file names of 232, 240 and 255 bytes, ASCII and
                multi-byte UTF-8: reports written, names <= 255 bytes, valid
                UTF-8, distinct for two long names with a long common prefix
  dump-like-report  dumps "y" and "y.coroner.md" in the output directory,
                and a directory named like a report: every dump analyzed,
                none overwritten, every report written
  escapes       terminal escapes in a dump's path (report list, not-a-dump
                error, nonexistent file, bad arguments) and in its thread and
                command line (-o - -f md): no control byte reaches the terminal
  killed-kernel a real process killed with SIGSEGV and with SIGQUIT by this
                test (kernel cores): the report says which thread received
                the signal from which process, not "crashed here"
  killed-crafted  crafted cores: SI_USER with a sender pid; no signal at all
                (a dump taken on demand: "Stack of thread N")
  commit        the system calls of writing three reports (strace -y): each
                is written to a temporary file and renamed over its name
                only after an fsync of that file, and the three are all
                written before the first fsync (one wait for the disk, not
                three: cmd_analyze.c's commit_reports); then SIGTERM while
                the first fsync is held (strace inject): no temporary file
                is left

The dumps are written at test time by corewriter.py (or by the kernel).
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402
from corewriter import Core  # noqa: E402

NAME_MAX = 255
FORMATS = ("md", "html", "json")


def small_core(pid, fname="victim", args="victim --run", sig=None):
    """A one-thread x86_64 core of process PID; SIG: None for a dump taken
    on demand, else (signo, si_code, sender pid)."""
    c = Core("x86_64")
    c.load(0x7ffd0000, b"\0" * 0x1000, flags="rw")
    c.thread(tid=pid, regs={"rip": 0x401000, "rsp": 0x7ffd0100},
             signo=sig[0] if sig else 0)
    c.psinfo(pid=pid, fname=fname, args=args)
    if sig:
        c.siginfo(signo=sig[0], code=sig[1], pid=sig[2], uid=1000)
    c.thread(tid=pid + 1, regs={"rip": 0x401000, "rsp": 0x7ffd0200})
    return c.bytes()


def write(path, data):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def run(coroner, args, cwd, env=None):
    """Run coroner with bytes arguments (in ENV, default the sanitizers'
    options); (status, stdout bytes, stderr bytes)."""
    r = subprocess.run([coroner.encode()] + args, cwd=cwd, env=env or L.sanitizer_env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    err = r.stderr.decode(errors="replace")
    check(r.returncode >= 0, "coroner killed by signal %d" % -r.returncode, err)
    check(r.returncode not in (70, 86, 87) and "runtime error:" not in err
          and "Sanitizer" not in err, "coroner: exit %d" % r.returncode, err)
    return r.returncode, r.stdout, r.stderr


def json_reports(outdir):
    """{report base name: JSON report} for every .json report in OUTDIR."""
    res = {}
    for n in os.listdir(outdir):
        if n.endswith(".coroner.json"):
            with open(os.path.join(outdir, n), encoding="utf-8") as f:
                res[n[:-len(".coroner.json")]] = json.load(f)
    return res


def check_sets(outdir):
    """Every report name in OUTDIR comes as a complete set of three, and no
    temporary file is left; returns the set of base names."""
    names = os.listdir(outdir)
    check(not [n for n in names if n.endswith(".tmp")], "temporary files left", names)
    bases = set()
    for n in names:
        m = re.match(rb"(.*)\.coroner\.(md|html|json)$" if isinstance(n, bytes)
                     else r"(.*)\.coroner\.(md|html|json)$", n)
        check(m, "unexpected file %r in the output directory" % n)
        bases.add(m.group(1))
    for b in bases:
        for fmt in FORMATS:
            check(b + ".coroner." + fmt in names, "report set %r lacks .%s" % (b, fmt), names)
    return bases


# ---------------------------------------------------------------- same-name

def case_same_name(opts, wd):
    write(os.path.join(wd, "host-a", "core"), small_core(1111))
    write(os.path.join(wd, "host-b", "core"), small_core(2222))
    out = os.path.join(wd, "out")
    want = {"host-a/core": 1111, "host-b/core": 2222}

    for order in (["host-a/core", "host-b/core"], ["host-b/core", "host-a/core"]):
        st, so, se = run(opts.coroner, [b"analyze"] + [p.encode() for p in order]
                         + [b"-o", b"out"], wd)
        check(st in (0, 1), "exit %d for %s" % (st, order), se.decode(errors="replace"))
        listed = so.decode().split()
        check(len(listed) == 6 and len(set(listed)) == 6,
              "run %s: expected 6 distinct report paths listed" % order, listed)
        for p in listed:
            check(os.path.exists(os.path.join(wd, p)), "listed report %s does not exist" % p)
        bases = check_sets(out)
        check(len(bases) == 2, "expected two report sets, found %s" % sorted(bases))
        reps = json_reports(out)
        by_dump = {r["dump"]["path"]: (b, r["process"]["pid"]) for b, r in reps.items()}
        check(set(by_dump) == set(want), "the reports name %s, expected both dumps"
              % sorted(by_dump), sorted(bases))
        for dump, pid in want.items():
            check(by_dump[dump][1] == pid, "the report of %s is of pid %s, expected %d"
                  % (dump, by_dump[dump][1], pid))
            base = by_dump[dump][0]
            with open(os.path.join(out, base + ".coroner.md"), encoding="utf-8") as f:
                md = f.read()
            check("(pid %d)" % pid in md, "%s.coroner.md is not the report of %s"
                  % (base, dump), md[:400])
        print("run %s -> %s" % (" ".join(order),
                                ", ".join("%s: %s" % (d, by_dump[d][0]) for d in sorted(by_dump))))
    # The rule is documented: the first dump keeps the plain name.
    check(by_dump["host-b/core"][0] == "core" and by_dump["host-a/core"][0] == "core-2",
          "second run: expected host-b/core -> core, host-a/core -> core-2", by_dump)


# ---------------------------------------------------------------- long-names

def case_long_names(opts, wd):
    names = []
    for n in (232, 240, 255):
        names.append(("x" * (n - 5) + ".core")[:n])
    names.append("é" * 116 + "xyz")                  # 235 bytes, 2-byte chars
    names.append("€" * 85)                           # 255 bytes, 3-byte chars
    names.append("😀" * 63 + "abc")                   # 255 bytes, 4-byte chars
    names.append("y" * 250 + "-0001")                 # long common prefix ...
    names.append("y" * 250 + "-0002")                 # ... differs at the end
    for i, n in enumerate(names):
        check(len(n.encode()) <= NAME_MAX, "test bug: %d bytes" % len(n.encode()))
        write(os.path.join(wd, "in", n), small_core(3000 + i))
    out = os.path.join(wd, "out")
    st, so, se = run(opts.coroner, [b"analyze"] + [os.path.join(b"in", n.encode()) for n in names]
                     + [b"-o", b"out"], wd)
    check(st in (0, 1), "exit %d" % st, se.decode(errors="replace"))
    files = os.listdir(out.encode())
    for f in files:
        check(len(f) <= NAME_MAX, "report name of %d bytes: %r" % (len(f), f))
        try:
            f.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise L.Failure("FAIL: report name is not valid UTF-8: %r" % f)
    bases = check_sets(out)
    check(len(bases) == len(names), "%d report sets for %d dumps" % (len(bases), len(names)),
          sorted(bases))
    reps = json_reports(out)
    by_dump = {os.path.basename(r["dump"]["path"]): b for b, r in reps.items()}
    for i, n in enumerate(names):
        check(n in by_dump, "no report names the dump %r..." % n[:20])
        b = by_dump[n]
        check(reps[b]["process"]["pid"] == 3000 + i, "report %r is not of dump %d" % (b[:20], i))
        print("%3d-byte name -> %3d-byte report base %s" % (len(n.encode()), len(b.encode()),
              "(cut)" if b != n else ""))
    longest = max(len(f) for f in files)
    print("longest report file name: %d bytes (limit %d; temporary names add 11)"
          % (longest, NAME_MAX))
    check(longest + len(".XXXXXX.tmp") <= NAME_MAX,
          "a temporary name would be %d bytes" % (longest + 11))


# ---------------------------------------------------------------- escapes

ESCAPES = b"\x1b]0;pwned\x07\x1b[2J\xc2\x9b31m"


# What reorders or breaks a line the user reads (term.c escapes them too).
BIDI = "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def terminal_unsafe(data):
    """What in DATA would act on a terminal: C0 controls other than newline,
    DEL, C1 controls (raw or UTF-8 encoded), bytes that are not UTF-8, and
    the bidi controls and line separators that reorder what is read."""
    bad = [hex(b) for b in data if (b < 0x20 and b != 0x0a) or b == 0x7f]
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        return bad + ["invalid UTF-8 at %d" % e.start]
    bad += ["U+%04X" % ord(c) for c in text if 0x80 <= ord(c) <= 0x9f or c in BIDI]
    return bad


def check_clean(what, *streams):
    for name, data in zip(("stdout", "stderr"), streams):
        bad = terminal_unsafe(data)
        check(not bad, "%s: %s carries terminal controls %s" % (what, name, bad[:8]),
              repr(data[:600]))


def case_escapes(opts, wd):
    evil = b"core" + ESCAPES
    write(os.path.join(wd.encode(), evil), small_core(4444))
    write(os.path.join(wd.encode(), b"notadump" + ESCAPES), b"hello, not a dump\n" * 10)
    os.makedirs(os.path.join(wd, "out"))

    # The report list.
    st, so, se = run(opts.coroner, [b"analyze", evil, b"-o", b"out"], wd)
    check(st in (0, 1), "exit %d" % st, se.decode(errors="replace"))
    check_clean("report list", so, se)
    check(len(so.splitlines()) == 3, "expected 3 reports listed", so)
    for line in so.splitlines():
        check(os.path.exists(os.path.join(wd.encode(), line)),
              "the listed %r is not the report's true name" % line, os.listdir(wd + "/out"))
    print("listed: %s" % so.splitlines()[0].decode())

    # Errors naming the file, and arguments echoed back.
    cases = [
        ("not a dump", [b"analyze", b"notadump" + ESCAPES, b"-o", b"out"], 4),
        ("nonexistent", [b"analyze", b"missing" + ESCAPES, b"-o", b"out"], 3),
        ("unknown option", [b"analyze", evil, b"--bad" + ESCAPES], 2),
        ("unknown short", [b"analyze", evil, b"-q\x1b"], 2),
        ("unknown format", [b"analyze", evil, b"-f", b"md" + ESCAPES], 2),
        ("unknown command", [b"analyse" + ESCAPES, evil], 2),
        ("output dir", [b"analyze", evil, b"-o", b"no/such/" + ESCAPES], 3),
    ]
    for what, args, want in cases:
        st, so, se = run(opts.coroner, args, wd)
        check(st == want, "%s: exit %d, expected %d" % (what, st, want), se)
        check(se.strip(), "%s: no error message" % what)
        check_clean(what, so, se)
        check(b"\\x1b" in se, "%s: the escape is not shown escaped" % what, se)
        print("%-15s %s" % (what + ":", se.decode().strip()))

    # Strings from the dump in a report written to the terminal.
    write(os.path.join(wd, "named"), small_core(
        5555, fname="vic\x1b]0;x\x07\x9b\u202e", args="victim \x1b[2J --x \x9b31m \x7f \u2066 end",
        sig=(11, 1, 0)))
    for fmt in FORMATS:
        st, so, se = run(opts.coroner, [b"analyze", b"named", b"-o", b"-", b"-f", fmt.encode()], wd)
        check(st in (0, 1), "-o - -f %s: exit %d" % (fmt, st), se)
        check_clean("-o - -f %s" % fmt, so, se)
        check(b"victim" in so and b"end" in so, "-o - -f %s: the command line is gone" % fmt)


# ---------------------------------------------------------------- killed

def check_killed(opts, wd, core, signame, sender_pid, tid=None):
    """The reports of CORE say that thread TID (default: the one the report
    picks) received SIGNAME from process SENDER_PID; nothing calls it a
    crash."""
    out = os.path.join(wd, "out-" + os.path.basename(core))
    rep, paths, status, err = L.analyze(opts.coroner, core, out, expect_status=(0, 1))
    L.validate_json(rep, paths["json"])
    c = rep["crash"]
    check(c["signal"] == signame, "signal %s, expected %s" % (c["signal"], signame), c)
    check(c["sent"] is True, "crash.sent is not true", c)
    check(c["sender"] and c["sender"].startswith("process %d" % sender_pid),
          "sender %r, expected process %d" % (c["sender"], sender_pid), c)
    t = rep["threads"][c["thread_index"]]
    if tid is not None:
        check(t["tid"] == tid, "receiving thread %s, expected %d" % (t["tid"], tid))
    want_state = "received %s from process %d" % (signame, sender_pid)
    check(t["state"] and t["state"].startswith(want_state),
          "state %r, expected %r" % (t["state"], want_state))
    with open(paths["md"], encoding="utf-8") as f:
        md = f.read()
    with open(paths["html"], encoding="utf-8") as f:
        html = f.read()
    for name, text in (("md", md), ("html", html)):
        check("Stack of the thread that received the signal" in text,
              "%s: no heading 'Stack of the thread that received the signal'" % name)
        for wrong in ("crashed here", "crashing thread", "Crashing thread", "crashed with"):
            check(wrong not in text, "%s report says %r of a killed process" % (name, wrong))
    check(want_state in md, "md: the state %r is not shown" % want_state)
    check(re.search(r"was killed by %s sent by process %d" % (signame, sender_pid), rep["summary"]),
          "summary does not say who killed it", rep["summary"])
    print("%s: %s | %s" % (signame, t["state"], rep["summary"][:120]))


def case_killed_kernel(opts, wd):
    why = L.core_pattern_problem()
    if why:
        L.skip("kernel cores: " + why)
    prog = os.path.join(opts.bindir, "idle_threads")
    check(os.path.exists(prog), "%s not built" % prog)
    for sig, name in ((signal.SIGSEGV, "SIGSEGV"), (signal.SIGQUIT, "SIGQUIT")):
        d = os.path.join(wd, name)
        os.makedirs(d)
        # Four idle workers: a pool by the hang pass's rule (two workers on
        # one condition variable with main waiting could be a hang, and a
        # probable hang would lead the report instead of the receiver).
        core, pid = L.kernel_core_on_demand(prog, ["4", "wait"], d, sig)
        check_killed(opts, d, core, name, os.getpid())


def case_killed_crafted(opts, wd):
    write(os.path.join(wd, "killed"), small_core(6000, sig=(15, 0, 4321)))
    check_killed(opts, wd, os.path.join(wd, "killed"), "SIGTERM", 4321, tid=6000)

    # No signal at all: a dump taken on demand names the thread it shows.
    write(os.path.join(wd, "ondemand"), small_core(7000))
    out = os.path.join(wd, "out-ondemand")
    rep, paths, status, err = L.analyze(opts.coroner, os.path.join(wd, "ondemand"), out,
                                        expect_status=(0, 1))
    check(rep["crash"]["class"] == "none" and rep["crash"]["sent"] is False,
          "on-demand dump classified %r" % rep["crash"]["class"], rep["crash"])
    with open(paths["md"], encoding="utf-8") as f:
        md = f.read()
    check("## Stack of thread 7000" in md, "md: no heading 'Stack of thread 7000'", md[:1500])
    check("crashed" not in md.lower().replace("no crash", ""),
          "md of an on-demand dump says 'crashed'", md[:1500])


def case_dump_like_report(opts, wd):
    out = os.path.join(wd, "out")
    write(os.path.join(out, "y"), small_core(5000))
    write(os.path.join(out, "y.coroner.md"), small_core(6000))
    os.makedirs(os.path.join(out, "z.coroner.html"))
    write(os.path.join(wd, "z"), small_core(7000))
    st, so, se = run(opts.coroner, [b"analyze", b"out/y", b"out/y.coroner.md", b"z", b"-o", b"out"],
                     wd)
    check(st in (0, 1), "exit %d: a dump was lost or a report refused" % st, se)
    listed = so.decode().split()
    check(len(listed) == 9, "expected 9 reports listed", listed)
    pids = {}
    for line in listed:
        if line.endswith(".json"):
            with open(os.path.join(wd, line)) as f:
                pids[json.load(f)["process"]["pid"]] = line
    check(sorted(pids) == [5000, 6000, 7000], "reports of pids %s" % sorted(pids), listed)
    with open(os.path.join(out, "y.coroner.md"), "rb") as f:
        check(f.read(4) == b"\x7fELF", "the dump y.coroner.md was overwritten by a report")
    print("reports: %s" % ", ".join(sorted(listed)))


# ---------------------------------------------------------------- commit

def case_commit(opts, wd):
    import shutil
    if not shutil.which("strace"):
        L.skip("no strace")
    write(os.path.join(wd, "core"), small_core(4242))
    os.makedirs(os.path.join(wd, "out"))
    trace = os.path.join(wd, "trace")
    env = L.sanitizer_env()
    # LeakSanitizer does not work under ptrace.
    env["ASAN_OPTIONS"] += ":detect_leaks=0"
    st, so, se = run("strace", [b"-f", b"-y", b"-qq", b"-o", trace.encode(),
                                b"-e", b"trace=openat,fsync,fdatasync,rename,renameat,renameat2",
                                opts.coroner.encode(), b"analyze", b"core", b"-o", b"out"], wd,
                     env)
    if st != 0 and b"ptrace" in se:
        L.skip("strace cannot trace here: %s" % se.decode(errors="replace")[-200:])
    check(st in (0, 1), "exit %d" % st, se)
    check_sets(os.path.join(wd, "out"))
    events = []	# (kind, path)
    held = {}	# pid: the first half of a call another thread interrupted
    with open(trace, errors="replace") as f:
        for line in f:
            pid, _, line = line.partition(" ")
            line = line.lstrip()
            if line.rstrip().endswith("<unfinished ...>"):
                held[pid] = line.rstrip()[:-len("<unfinished ...>")].rstrip()
                continue
            m = re.match(r"<\.\.\. \w+ resumed>", line)
            if m:
                line = held.pop(pid, "") + line[m.end():]
            m = re.search(r'openat\(.*"([^"]*\.tmp)", [^)]*O_CREAT', line)
            if m:
                events.append(("create", os.path.basename(m.group(1))))
            m = re.search(r'f(?:data)?sync\(\d+<([^>]*)>\)\s*= 0', line)
            if m:
                events.append(("sync", os.path.basename(m.group(1))))
            m = re.search(r'rename(?:at2?)?\(.*"([^"]*\.tmp)",.*"([^"]*)"', line)
            if m:
                events.append(("rename", os.path.basename(m.group(1)),
                               os.path.basename(m.group(2))))
    creates = [i for i, e in enumerate(events) if e[0] == "create"]
    syncs = [i for i, e in enumerate(events) if e[0] == "sync"]
    check(len(creates) == 3, "expected 3 temporary files", events)
    check(syncs and max(creates) < min(syncs),
          "a report was synced before the last one was written", events)
    renamed = set()
    for i, e in enumerate(events):
        if e[0] != "rename":
            continue
        check(("sync", e[1]) in events[:i], "%s renamed before its fsync" % e[1], events)
        renamed.add(e[2])
    check(renamed == {"core.coroner." + f for f in FORMATS}, "renamed: %s" % renamed, events)
    print("order: " + ", ".join(e[0] + " " + e[1] for e in events))

    # SIGTERM while the reports wait for their fsync: the temporary
    # files go with the process.
    out = os.path.join(wd, "out-term")
    os.makedirs(out)
    p = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync",
                          "-e", "inject=fsync:delay_enter=1500000", opts.coroner,
                          "analyze", "core", "-o", out], cwd=wd, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The three temporary files are there once the first fsync is held.
    deadline = time.time() + 60
    while time.time() < deadline and \
            len([n for n in os.listdir(out) if n.endswith(".tmp")]) < 3:
        time.sleep(0.02)
    # To coroner, strace's child (strace would only detach).
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        children = f.read().split()
    check(children, "coroner is not strace's child")
    os.kill(int(children[0]), signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    left = os.listdir(out)
    check(not [n for n in left if n.endswith(".tmp")],
          "SIGTERM during the commit left temporary files", left, err.decode(errors="replace"))
    print("after SIGTERM during the first fsync: %s" % sorted(left))


CASES = {
    "commit": case_commit,
    "dump-like-report": case_dump_like_report,
    "same-name": case_same_name,
    "long-names": case_long_names,
    "escapes": case_escapes,
    "killed-kernel": case_killed_kernel,
    "killed-crafted": case_killed_crafted,
}


if __name__ == "__main__":
    L.case_main(CASES, "cli", [("--bindir", {"type": os.path.abspath})])
