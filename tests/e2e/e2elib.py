"""Helpers for coroner's end-to-end tests: make real dumps, run coroner,
check its three reports.

Run by /usr/bin/python3 (Debian's Python, which has python3-jsonschema);
standard library only apart from jsonschema.  A test exits 0 when it passes,
77 (ctest's SKIP_RETURN_CODE) when the machine cannot make the dump it
needs, and 1 with a message on the first failed check.

Dumps are made in a fresh temporary directory per test:
  * kernel cores: RLIMIT_CORE raised in the child only, the program run with
    that directory as its working directory, and the core looked up there
    (core_pattern must be a plain file name such as "core" or "core.%p");
  * gcore: the program prints "ready" once it reached the state under test,
    then `gcore -o PREFIX PID` writes PREFIX.PID;
  * gdb at the crash: `gdb -batch -ex run -ex gcore`, a gcore-written core
    of a process stopped by its fault signal.
"""

import collections
import html.parser
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77

# HTML5 elements that libxml2 2.9's HTML parser does not know; it reports
# "Tag X invalid" for them but parses them fine.
HTML5_TAGS = {"details", "summary", "section", "nav", "header", "footer",
              "main", "article", "aside", "figure", "figcaption", "time",
              "mark", "wbr", "data", "output",
              # inline SVG (the Memory section's charts: HTML5 foreign
              # content, unknown to xmllint's HTML 4 parser)
              "svg", "rect", "text"}

REPORT_FORMATS = ("md", "html", "json")


class Failure(Exception):
    pass


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def problem_texts(rep):
    """The text of each problem of a JSON report (the problems are objects
    with severity, source, origin, offset or address, and text)."""
    return [p["text"] for p in rep.get("problems") or []]


def check(cond, msg, *context):
    """Fail the test with MSG (and CONTEXT, pretty-printed) unless COND."""
    if not cond:
        text = "FAIL: " + msg
        for c in context:
            if not isinstance(c, str):
                c = json.dumps(c, indent=1, default=str)
            if len(c) > 4000:
                c = c[:4000] + "\n... (cut)"
            text += "\n" + c
        raise Failure(text)


def main_wrapper(fn):
    """Run FN(); print PASS, or the failure, and exit accordingly."""
    try:
        fn()
    except Failure as e:
        print(str(e))
        sys.exit(1)
    print("PASS")
    sys.exit(0)


def workdir(name):
    """A fresh temporary directory for one test, removed at exit unless
    CORONER_KEEP_TEMP is set (then its path is printed)."""
    base = os.environ.get("CORONER_TEST_TMP") or None
    d = tempfile.mkdtemp(prefix="coroner-%s-" % name, dir=base)
    if os.environ.get("CORONER_KEEP_TEMP"):
        print("keeping " + d)
    else:
        import atexit
        atexit.register(shutil.rmtree, d, True)
    return d


def marker_line(src, marker):
    """Line number (1-based) of the comment /* LINE:MARKER */ in SRC."""
    tag = "/* LINE:%s */" % marker
    with open(src) as f:
        for n, line in enumerate(f, 1):
            if tag in line:
                return n
    raise Failure("FAIL: marker %s not found in %s" % (tag, src))


# ---------------------------------------------------------------- dumps

def core_pattern_problem():
    """None when the kernel writes cores into the working directory, else
    why not."""
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            pat = f.read().strip()
    except OSError as e:
        return "cannot read /proc/sys/kernel/core_pattern: %s" % e
    if pat.startswith("|"):
        return ("kernel core_pattern pipes cores to a program (%r), not to "
                "a file in the working directory" % pat)
    if "/" in pat or not pat:
        return ("kernel core_pattern %r does not name a file in the working "
                "directory" % pat)
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if hard != resource.RLIM_INFINITY and hard < 64 << 20:
        return "hard RLIMIT_CORE is %d bytes" % hard
    return None


def _raise_core_limit(stack_bytes=None):
    def fn():
        hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
        if stack_bytes:
            resource.setrlimit(resource.RLIMIT_STACK,
                               (stack_bytes, resource.getrlimit(resource.RLIMIT_STACK)[1]))
    return fn


def kernel_core(prog, args, wd, expect_signal=None, argv0=None, timeout=120,
                stack_bytes=None):
    """Run PROG ARGS in WD with core dumps enabled; return (core path, pid).

    Skips the test when core_pattern sends cores elsewhere.  Fails when the
    program does not die of a signal or no core appears."""
    why = core_pattern_problem()
    if why:
        skip("kernel cores: " + why)
    argv = [argv0 or prog] + list(args)
    p = subprocess.Popen(argv, executable=prog, cwd=wd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=_raise_core_limit(stack_bytes))
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise Failure("FAIL: %s did not crash within %ds" % (prog, timeout))
    check(p.returncode < 0, "%s exited with %d instead of dying of a signal"
          % (prog, p.returncode), err.decode(errors="replace"))
    if expect_signal is not None:
        check(-p.returncode == expect_signal, "%s died of signal %d, expected %d"
              % (prog, -p.returncode, expect_signal))
    core = _find_core(wd, p.pid)
    if core is None:
        skip("kernel core: %s died of signal %d but no core file appeared in %s "
             "(core_pattern %r; a container runtime may drop cores)"
             % (os.path.basename(prog), -p.returncode, wd,
                open("/proc/sys/kernel/core_pattern").read().strip()))
    return core, p.pid


def _find_core(wd, pid):
    # The kernel may still be writing: wait until the size settles.
    deadline = time.time() + 30
    found = None
    while time.time() < deadline:
        for name in ("core", "core.%d" % pid):
            path = os.path.join(wd, name)
            if os.path.exists(path):
                found = path
                break
        else:
            cands = [n for n in os.listdir(wd) if n.startswith("core")]
            if cands:
                found = os.path.join(wd, cands[0])
        if found:
            break
        time.sleep(0.1)
    if not found:
        return None
    last = -1
    while time.time() < deadline:
        size = os.path.getsize(found)
        if size == last:
            break
        last = size
        time.sleep(0.1)
    return found


def _wait_ready(p, prog, timeout=60):
    """Read P's stdout until a line "ready"."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.time() + timeout
    while b"ready\n" not in buf:
        left = deadline - time.time()
        if left <= 0 or not sel.select(left):
            p.kill()
            raise Failure("FAIL: %s did not print 'ready' within %ds" % (prog, timeout))
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            p.wait()
            raise Failure("FAIL: %s exited (%s) before printing 'ready'" % (prog, p.returncode))
        buf += chunk


def gcore_dump(prog, args, wd, argv0=None, settle=False):
    """Start PROG, wait for "ready" (and with SETTLE for every thread to
    block), write a core with gcore; return (core path, pid).  The program
    is killed afterwards."""
    gcore_program()
    argv = [argv0 or prog] + list(args)
    p = subprocess.Popen(argv, executable=prog, cwd=wd, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        _wait_ready(p, prog)
        if settle:
            check(wait_tasks_blocked(p.pid), "%s: not every thread blocked" % prog)
        return gcore_pid(p.pid, os.path.join(wd, "gcore")), p.pid
    finally:
        p.kill()
        p.wait()


def gcore_program():
    """gcore's path; skips the test when it is not installed."""
    gcore = shutil.which("gcore")
    if not gcore:
        skip("gcore not installed (Debian package gdb)")
    return gcore


def gcore_pid(pid, prefix):
    """Write a core of the live process PID with gcore; return its path
    (PREFIX.PID).  Skips the test when gcore cannot attach."""
    r = subprocess.run([gcore_program(), "-o", prefix, str(pid)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=180)
    core = "%s.%d" % (prefix, pid)
    if r.returncode != 0 or not os.path.exists(core):
        out = r.stdout.decode(errors="replace")
        if "ptrace" in out and ("not permitted" in out or "Operation not" in out):
            skip("gcore cannot attach (ptrace not permitted): " + out.strip()[-300:])
        raise Failure("FAIL: gcore failed (%d):\n%s" % (r.returncode, out[-2000:]))
    return core


def wait_tasks_blocked(pid, timeout=10):
    """Wait until every thread of process PID is blocked in a system call
    (/proc/PID/task/TID/syscall names a number, not "running"), twice in a
    row 50 ms apart; False when they were not within TIMEOUT seconds."""
    deadline = time.time() + timeout
    settled = 0
    while time.time() < deadline:
        try:
            states = []
            for tid in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                    states.append(f.read().split()[0])
        except OSError:
            return False
        settled = settled + 1 if all(s.isdigit() for s in states) else 0
        if settled >= 2:
            return True
        time.sleep(0.05)
    return False


def kernel_core_on_demand(prog, args, wd, sig=signal.SIGQUIT, argv0=None):
    """Start PROG ARGS in WD with core dumps enabled, wait for "ready" and
    for every thread to block, then send SIG (a signal whose default action
    dumps core) as a hang detector would; return (core path, pid)."""
    return signal_core(prog, args, wd, signo=sig, argv0=argv0, blocked=True)


def gdb_crash_core(prog, args, wd):
    """Run PROG under gdb until its fault signal, and write a core there with
    gdb's gcore.  Returns (core path, pid)."""
    gdb = shutil.which("gdb")
    if not gdb:
        skip("gdb not installed")
    core = os.path.join(wd, "gdbcore")
    r = subprocess.run([gdb, "-nx", "-batch", "-ex", "set startup-with-shell off",
                        "-ex", "run", "-ex", "info inferiors",
                        "-ex", "gcore " + core, "-ex", "kill",
                        "--args", prog] + list(args),
                       cwd=wd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=180)
    out = r.stdout.decode(errors="replace")
    if not os.path.exists(core):
        if "ptrace" in out:
            skip("gdb cannot run the program under ptrace: " + out.strip()[-300:])
        raise Failure("FAIL: gdb did not write a core:\n" + out[-2000:])
    m = re.search(r"process (\d+)", out)
    return core, int(m.group(1)) if m else None


# ---------------------------------------------------------------- coroner

def sanitizer_env():
    """Environment for coroner: sanitizer reports get exit codes of their
    own, so they are never mistaken for coroner's exit 1."""
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "exitcode=86:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "exitcode=87:print_stacktrace=1:halt_on_error=1")
    env.pop("DEBUGINFOD_URLS", None)	# no network
    return env


def run_coroner(coroner, args, cwd=None, timeout=600, stdin=subprocess.DEVNULL):
    """Run coroner ARGS; return (exit status, stdout, stderr) as text.
    Fails on a signal, a sanitizer report or a hang."""
    t0 = time.time()
    try:
        r = subprocess.run([coroner] + list(args), cwd=cwd, env=sanitizer_env(),
                           stdin=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure("FAIL: coroner %s did not finish within %ds (hang?)"
                      % (" ".join(args), timeout))
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    check(r.returncode >= 0, "coroner %s was killed by signal %d (%.1fs)"
          % (" ".join(args), -r.returncode, time.time() - t0), err[-3000:])
    check(r.returncode not in (86, 87) and "Sanitizer" not in err
          and "runtime error:" not in err,
          "coroner %s: sanitizer report (exit %d)" % (" ".join(args), r.returncode),
          err[-6000:])
    check(r.returncode != 70, "coroner %s: internal error (exit 70)" % " ".join(args),
          err[-3000:])
    return r.returncode, out, err


def stderr_lines(err):
    return [l for l in err.splitlines() if l.strip()]


def analyze(coroner, core, outdir, extra=(), expect_status=(0,)):
    """coroner analyze CORE -o OUTDIR --format md,html,json; check the exit
    status and that the three reports exist; return (report dict, paths,
    status, stderr)."""
    os.makedirs(outdir, exist_ok=True)
    status, out, err = run_coroner(coroner, ["analyze", core, "-o", outdir,
                                             "--format", "md,html,json"] + list(extra))
    check(status in expect_status, "coroner analyze %s: exit %d, expected %s"
          % (os.path.basename(core), status, " or ".join(map(str, expect_status))),
          "stderr:\n" + err[-3000:])
    paths = report_paths(outdir, core)
    for fmt in REPORT_FORMATS:
        check(paths[fmt] is not None, "no .%s report in %s (files: %s)"
              % (fmt, outdir, os.listdir(outdir)))
    with open(paths["json"]) as f:
        try:
            rep = json.load(f)
        except ValueError as e:
            raise Failure("FAIL: %s is not JSON: %s" % (paths["json"], e))
    return rep, paths, status, err


def report_paths(outdir, core):
    """The report files coroner wrote into OUTDIR: {fmt: path or None}.
    Expected name: BASENAME(CORE).coroner.FMT."""
    res = {}
    names = os.listdir(outdir)
    for fmt in REPORT_FORMATS:
        want = os.path.basename(core) + ".coroner." + fmt
        if want in names:
            res[fmt] = os.path.join(outdir, want)
        else:
            other = [n for n in names if n.endswith("." + fmt)]
            res[fmt] = os.path.join(outdir, other[0]) if len(other) == 1 else None
    return res


# ---------------------------------------------------------------- validation

def source_dir():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def validate_json(rep, path, schema_path=None):
    schema_path = schema_path or os.path.join(source_dir(), "docs", "report-schema.json")
    check(os.path.exists(schema_path), "JSON schema %s is missing" % schema_path)
    try:
        import jsonschema
    except ImportError:
        raise Failure("FAIL: python3-jsonschema is not installed (run with "
                      "/usr/bin/python3; apt-get install python3-jsonschema)")
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(rep), key=lambda e: list(e.path))
    check(not errors, "%s does not match %s: %d errors" % (path, schema_path, len(errors)),
          "\n".join("%s: %s" % ("/".join(map(str, e.path)), e.message[:300])
                    for e in errors[:15]))


class TagCounter(html.parser.HTMLParser):
    """Counts start tags (the element structure of a page)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = collections.Counter()
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1

    def handle_data(self, data):
        self.text.append(data)


def html_structure(text):
    p = TagCounter()
    p.feed(text)
    p.close()
    return p.tags, "".join(p.text)


def validate_html(path):
    """The HTML report parses (xmllint --html), is self-contained and has no
    script but the inline print handler; returns its tag counts and text."""
    xmllint = shutil.which("xmllint")
    check(xmllint, "xmllint not installed (Debian package libxml2-utils)")
    r = subprocess.run([xmllint, "--html", "--noout", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    msgs = r.stdout.decode(errors="replace")
    bad = []
    for line in msgs.splitlines():
        m = re.search(r"HTML parser error : Tag (\w+) invalid", line)
        if m and m.group(1) in HTML5_TAGS:
            continue
        if "HTML parser error" in line or "parser error" in line:
            bad.append(line)
    check(r.returncode == 0 and not bad, "%s does not parse as HTML" % path, msgs[-3000:])
    with open(path, encoding="utf-8") as f:
        text = f.read()
    tags, plain = html_structure(text)
    # One inline script: the print handler of reports/html_style.c, which
    # opens every <details> before printing.  Nothing is loaded.
    check(tags["script"] <= 1, "%s contains %d <script> elements" % (path, tags["script"]))
    check(not re.search(r"<script[^>]*\bsrc\s*=", text), "%s loads a script" % path)
    for m in re.finditer(r'(?:src|href)\s*=\s*"(https?:)?//', text):
        raise Failure("FAIL: %s loads something from the network: %s"
                      % (path, text[m.start():m.start() + 100]))
    check(tags["html"] == 1 and tags["body"] == 1, "%s: not one html/body element" % path)
    return tags, plain


def render_markdown(path):
    """Render PATH with cmark-gfm and its table extension (raw HTML let
    through, so markup that the writer failed to escape shows up as
    elements); returns (tag counts, text, rendered HTML)."""
    cmark = shutil.which("cmark-gfm")
    check(cmark, "cmark-gfm not installed (Debian package cmark-gfm)")
    r = subprocess.run([cmark, "--unsafe", "-e", "table", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    check(r.returncode == 0, "cmark-gfm failed on %s" % path, r.stderr.decode(errors="replace"))
    out = r.stdout.decode("utf-8", errors="replace")
    tags, plain = html_structure(out)
    return tags, plain, out


def validate_markdown(path, min_tables=1):
    tags, plain, out = render_markdown(path)
    check(tags["table"] >= min_tables, "%s renders with %d tables, expected at least %d"
          % (path, tags["table"], min_tables), out[:3000])
    check(tags["script"] == 0, "%s renders to HTML with a <script> element" % path)
    # Every table row has as many cells as its header: a '|' from the dump
    # would add a cell.
    for tbl in re.findall(r"<table>.*?</table>", out, re.S):
        head = re.search(r"<thead>(.*?)</thead>", tbl, re.S)
        if not head:
            continue
        ncols = len(re.findall(r"<th\b", head.group(1)))
        for row in re.findall(r"<tr>(.*?)</tr>", tbl, re.S)[1:]:
            n = len(re.findall(r"<td\b", row))
            check(n == ncols, "%s: a table row has %d cells, its header %d"
                  % (path, n, ncols), row[:500])
    return tags, plain


def validate_reports(rep, paths, min_md_tables=1):
    validate_json(rep, paths["json"])
    htags, _ = validate_html(paths["html"])
    mtags, _ = validate_markdown(paths["md"], min_md_tables)
    return htags, mtags


# ---------------------------------------------------------------- report facts

def crashed_thread(rep):
    c = rep["crash"]
    idx = c.get("thread_index")
    check(idx is not None, "crash.thread_index is null", c)
    check(0 <= idx < len(rep["threads"]), "crash.thread_index %r out of range" % idx)
    t = rep["threads"][idx]
    check(t.get("crashed") is True, "threads[%d] (the crash thread) is not marked crashed" % idx,
          {k: t.get(k) for k in ("index", "tid", "name", "crashed")})
    return t


def frames(thread):
    return thread["stack"]["frames"]


def first_frame_in(thread, module):
    """The innermost frame whose module is MODULE (basename)."""
    for f in frames(thread):
        if f.get("module") and os.path.basename(f["module"]) == module:
            return f
    raise Failure("FAIL: no frame in module %s in thread %s; frames:\n%s"
                  % (module, thread.get("tid"), fmt_frames(thread)))


def fmt_frames(thread, n=25):
    lines = []
    for f in frames(thread)[:n]:
        lines.append("  #%s %s %s %s:%s (%s)" % (f.get("index"), f.get("pc"),
                     f.get("function"), f.get("file"), f.get("line"), f.get("module")))
    return "\n".join(lines)


def check_frame(f, function, src=None, line=None, thread=None):
    ctx = fmt_frames(thread) if thread else f
    check(f.get("function") == function, "frame %s is %r, expected %r"
          % (f.get("index"), f.get("function"), function), ctx)
    if src is not None:
        check(f.get("file") and os.path.basename(f["file"]) == os.path.basename(src),
              "frame %s (%s) is in file %r, expected %s"
              % (f.get("index"), function, f.get("file"), os.path.basename(src)), ctx)
    if line is not None:
        check(f.get("line") == line, "frame %s (%s) is at line %r, expected %d"
              % (f.get("index"), function, f.get("line"), line), ctx)


def check_crash(rep, cls, signal_name, code=None, address=None):
    c = rep["crash"]
    check(c.get("signal") == signal_name, "crash.signal is %r, expected %s"
          % (c.get("signal"), signal_name), c)
    check(c.get("signo") == getattr(signal, signal_name), "crash.signo is %r, expected %d"
          % (c.get("signo"), getattr(signal, signal_name)), c)
    if code is not None:
        check(c.get("code") == code, "crash.code is %r, expected %s" % (c.get("code"), code), c)
    if address is not None:
        check(c.get("address") == address, "crash.address is %r, expected %s"
              % (c.get("address"), address), c)
    check(c.get("class") == cls, "crash.class is %r, expected %s" % (c.get("class"), cls), c)
    check(isinstance(rep.get("summary"), str) and len(rep["summary"]) > 20,
          "summary is missing or too short", rep.get("summary"))


def check_cpu_times(rep, recorded):
    """Kernel cores record CPU times: numbers (0 included: a short-lived
    process really used less than a tick).  In a kernel core the leader's
    entry (tid == pid) holds the whole process' totals, so with more than
    one thread the leader's own share may be null.  gcore writes zeros,
    which the report must show as null ("not recorded")."""
    def is_num(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0
    pid = rep["process"].get("pid")
    multi = len(rep["threads"]) > 1
    items = [("process", rep["process"], False)] + [
        ("threads[%d] (tid %s)" % (t["index"], t["tid"]), t, multi and t["tid"] == pid)
        for t in rep["threads"]]
    for what, obj, may_be_null in items:
        for key in ("user_cpu_usec", "system_cpu_usec"):
            check(key in obj, "%s has no %s" % (what, key))
            v = obj[key]
            if recorded:
                check(is_num(v) or (may_be_null and v is None),
                      "%s.%s is %r, expected a number (a kernel core records CPU "
                      "times, zero included)" % (what, key, v))
            else:
                check(v is None, "%s.%s is %r, expected null (gcore records no CPU time)"
                      % (what, key, v))


def check_main_module(rep, exe_name):
    mains = [m for m in rep["modules"] if m.get("main")]
    check(len(mains) == 1, "%d modules marked main, expected 1" % len(mains), rep["modules"])
    m = mains[0]
    check(os.path.basename(m.get("path") or "") == exe_name,
          "main module is %r, expected %s" % (m.get("path"), exe_name), m)
    check(m.get("file_found") is True, "main module %s: file_found is not true" % exe_name, m)
    check(m.get("has_debug_info") is True, "main module %s: has_debug_info is not true"
          % exe_name, m)
    check(m.get("mismatch") is False, "main module %s: mismatch is not false" % exe_name, m)


def case_main(cases, name, options=()):
    """The main() of a test script of CASES ({name: fn(opts, wd)}): parse
    CASE --coroner PATH and OPTIONS ((flag, argparse kwargs) pairs), run
    the case in a fresh workdir NAME-CASE."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(cases))
    ap.add_argument("--coroner", required=True, type=os.path.abspath)
    for flag, kw in options:
        ap.add_argument(flag, **kw)
    opts = ap.parse_args()
    wd = workdir(name + "-" + opts.case)
    main_wrapper(lambda: cases[opts.case](opts, wd))


# ---------------------------------------------------------------- on demand

def signal_core(prog, args, wd, signo=signal.SIGQUIT, argv0=None, timeout=60,
                settle=0, blocked=False):
    """Start PROG ARGS in WD with core dumps enabled, wait for "ready"
    (and SETTLE seconds more; with BLOCKED until every thread is blocked
    in a system call), send SIGNO (default SIGQUIT, whose default action dumps core) and
    return (core path, pid): a kernel core of a live process taken on
    demand.  SIGNO's default action is restored in the child (a shell
    that started the test in the background may have ignored SIGQUIT)."""
    why = core_pattern_problem()
    if why:
        skip("kernel cores: " + why)

    def child():
        _raise_core_limit()()
        signal.signal(signo, signal.SIG_DFL)

    argv = [argv0 or prog] + list(args)
    p = subprocess.Popen(argv, executable=prog, cwd=wd, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, preexec_fn=child)
    try:
        _wait_ready(p, prog, timeout)
        time.sleep(settle)
        if blocked:
            check(wait_tasks_blocked(p.pid), "%s: not every thread blocked" % prog)
        p.send_signal(signo)
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure("FAIL: %s did not die of signal %d within %ds" % (prog, signo, timeout))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(p.returncode == -signo, "%s exited with %d, expected to die of signal %d"
          % (prog, p.returncode, signo))
    core = _find_core(wd, p.pid)
    if core is None:
        skip("kernel core: %s died of signal %d but no core file appeared in %s"
             % (os.path.basename(prog), signo, wd))
    return core, p.pid


def small_tmpfs(path, size):
    """Mount a tmpfs of SIZE ("1m", "256k") on the new directory PATH (a
    full disk for tests, as root); skips the test when mount is refused.
    The caller unmounts it."""
    os.makedirs(path)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        skip("cannot mount a small tmpfs here: %s" % r.stdout.decode(errors="replace").strip())


def need_heap_walk(coroner, passes=("heap", "heapstats")):
    """Fail unless coroner registers the heap passes PASSES (issue 10: a
    build without them is broken, not a reason to skip)."""
    status, out, err = run_coroner(coroner, ["analyze", "--list-passes"])
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    check(all(p in names for p in passes),
          "the heap passes are not registered", names)


def print_rates(name, found, planted, false_found, controls):
    """Print what a diagnosis test measured: situations found / planted and
    false findings / healthy controls (a control with any error or warning
    finding counts once)."""
    line = ("RATES %s: found %d/%d planted situations, false findings on %d/%d "
            "healthy controls" % (name, found, planted, false_found, controls))
    print(line)
    return line
