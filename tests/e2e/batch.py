"""End-to-end tests of `coroner batch` (issue 11 items 2 and 3) on kernel
cores made at test time from corpus/ programs.

  batch.py CASE --coroner PATH --bindir DIR

CASE:
  index   a directory of dumps: crashes at one site (null_deref, one in a
          subdirectory, one zipped), two at another (fpe, one
          zstd-compressed) and a gzip-compressed copy of one of them, a
          series of two (coroner collect), a hang (deadlock, taken on
          demand with SIGQUIT), a truncated core, a text file, and a copy
          of a crash under a hostile name (spaces, "<b>", "|", a newline):
          the copies are skipped as copies, each dump counts once.  Checks the index's counts and groups in
          JSON, that the Markdown and HTML index keep their structure, the
          store's rows (python's sqlite3), that a second run analyzes
          nothing, that touching one dump and adding one analyzes those
          two, and that a vanished dump leaves the store and the index.
  poison  a worker killed while it holds one dump (SIGKILL, as a crash of
          coroner would end it) and a --timeout that every worker exceeds:
          the dump is listed as failed with the reason, the others are
          analyzed, the exit status is 8; a second batch on the same OUT
          while the store is held is refused with status 9, and so is a
          damaged store; the one in use before it reads DIR (strace).
  memory  --max-memory: a core whose analysis needs more memory than the
          limit (deep_recursion: 600,000 frames) is listed as failed
          "exceeded --max-memory SIZE", the other (null_deref) is analyzed;
          the progress lines when stderr is not a terminal (one per dump,
          done/total, rate, the dump), and on a terminal (script -qc) the
          status line redrawn in place.
  shard   the index case's dumps (and a second "c.core" in another
          directory) as three shards run by GNU parallel
          (`batch --shard I/3`), then `coroner merge`: the shards are
          disjoint, their union is the whole set, a series is in one
          shard, a copy of the directory elsewhere with other times has
          the same shard 1; with --ticket, a ticket per bucket under
          60,000 characters with the signature and the counts, whose
          Markdown keeps its structure (cmark-gfm) with a crafted crash
          of a hostile program name and command line; the merged index.json equals the one of a single run over
          the directory (every field: none differs legitimately, the index
          records no run time), and so do the buckets table and the report
          links; a re-run of a shard analyzes nothing, and a batch over the
          merged OUT neither; merging into an OUT that is not empty, from a
          missing OUT_i or from a store of another schema version fails
          with its status and changes nothing; a bad --shard is refused.
  ticket  --ticket at its limits: a 1,500-thread crash whose report
          exceeds the budget and a bucket of 35 dumps (the list cut to
          30), under hostile names; a vanished bucket's ticket is removed.
  symbols analyze's symbol options reach the workers: a crash of a
          program moved away after it crashed is named (crash_null in
          its signature) with --sysroot, and not without it; --debug-dir
          naming no directory is refused (status 2).
  series  a new dump of a process whose earlier dumps are stored joins
          them: two crafted dumps of one pid are one series; a third,
          added later, makes the next run analyze the three as one series
          in the same report directory (one entry of 3 dumps, every row
          naming it, the report's series of 3, the run counting 1
          analyzed); a fourth whose joined job fails (a file in place of
          the report directory) leaves the three stored rows ok with their
          report; a 33rd dump of a stored series of 32 starts its own
          series, the stored report is not rewritten.
  copies  a kernel core, a gzip copy of it and a "dump" that differs from
          it in one byte in the middle only (the same length and first and
          last 64 KiB: the same content id): the two plain ones are both
          analyzed, the gzip one is skipped as a copy of the first.
  durable the group commit, under strace: 70 crafted crashes; no report
          file is fsync'ed one by one, and each dump's row reaches the
          store's WAL only after a syncfs() that began after its reports
          were renamed (a power cut cannot leave a row whose reports are
          lost); two groups (64 dumps, then the rest), not one per dump.
  syncwait the parent hands out jobs while a group's syncfs() runs: with
          every syncfs() held 3 s (strace's fault injection) and 160
          crafted crashes (groups of 64), more than two groups' dumps (and
          the four the workers hold) are renamed in place before the first
          syncfs() returns, where a parent that waited for the last
          group's sync when the next group closed stopped at 132; and the
          index is written while the last syncfs() runs (its rows are
          committed after it: durable); when that syncfs() fails (EIO
          injected) the rows are rolled back, the run ends with status 3
          and the next one analyzes those dumps, into the report
          directories they had (no directory is left that no row names).
  queue   a worker holds its next dump: with the parent stopped (SIGSTOP)
          while its one worker analyzes the first of four dumps, the
          worker goes on to the second without the parent (two report
          directories finished meanwhile, where a worker given one dump
          at a time waits for the parent after each); after SIGCONT the
          run ends with all four analyzed.
  late    --timeout judged by the worker's own clock: with the parent
          stopped (SIGSTOP) while its one worker analyzes two slow dumps
          it holds (deep_recursion, 600,000 frames: longer than the
          limit), both finish while the parent sleeps and their results
          are read at once after SIGCONT; both fail as timed out ("took"),
          and neither replaced the reports an earlier run stored for it
          (--force), nor left a temporary file.

  identity what a re-run trusts without reading a file (its device, inode,
          size, mtime and ctime as stored): a re-run with nothing new
          opens no dump; a dump rewritten in its first 64 KiB with its
          size and mtime put back (os.utime, as touch -d) is read and
          analyzed again (its ctime changed: trusting size and mtime alone
          would miss it); a touched dump (mtime changed, the same content)
          is analyzed again, as documented; a dump read in the second it
          changed is stored with no ctime (git's racy rule) and read again
          by the next run, which stores it; a store of schema version 1
          (no dev, inode, ctime) keeps its rows: every file is read once,
          none analyzed again.  A run with nothing new writes nothing
          into OUT (no index file, no page of the store, no fsync: strace)
          and does not even make the index (the store vouches for its files);
          one with a report file gone, or a dump gone, writes the index, and
          an index file edited by hand is written again.  A stored dump
          joined by a new dump of its process keeps its stat identity.

Exit 0 pass, 1 fail, 77 skip.
"""

import gzip
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

HOSTILE = "x <b>bold | y\nz.core"


def crash_core(bindir, prog, wd, name):
    os.makedirs(wd, exist_ok=True)
    core, _ = L.kernel_core(os.path.join(bindir, prog), [], wd)
    return core


def command(coroner, cmd, args, expect):
    st, out, err = L.run_coroner(coroner, [cmd] + args, timeout=300)
    check(st in expect, "coroner %s %s: status %d, expected %s"
          % (cmd, " ".join(args), st, expect), out + err)
    return out, err, st


def batch(coroner, args, expect=(0,)):
    return command(coroner, "batch", args, expect)


def merge(coroner, args, expect=(0,)):
    return command(coroner, "merge", args, expect)


def load_index(out):
    with open(os.path.join(out, "index.json")) as f:
        return json.load(f)


def past_racy_second(root):
    """Wait until the clock is past the second in which ROOT's newest file
    changed: only then may a run keep a file's stat identity to vouch for
    it next time (git's racy rule, docs/batch.md).  A batch takes well
    under a second, so a test that made its dumps just before cannot
    count on a run being a second later."""
    newest = max((max(st.st_mtime, st.st_ctime)
                  for d, _, names in os.walk(root)
                  for st in (os.stat(os.path.join(d, n)) for n in names)), default=0)
    # The batch reads the coarse clock, up to a tick behind.
    while time.time() < int(newest) + 1.05:
        time.sleep(0.05)


def rows(out):
    db = sqlite3.connect(os.path.join(out, "coroner.db"))
    try:
        cur = db.execute("SELECT path, status, kind, code, bucket, report_dir,"
                         " analyzed_at, error FROM dumps ORDER BY path")
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
    finally:
        db.close()


def bucket_paths(ix, code):
    """{bucket id: set of dump paths} of the crashes with CODE."""
    for c in ix["crashes"]:
        if c["code"] == code:
            return {b["id"]: {d["path"] for d in b["dumps"]} for b in c["buckets"]}
    return {}


def collect_series(coroner, bindir, out):
    """Two dumps of corpus/spin_series 0.3 s apart with coroner collect."""
    p = subprocess.Popen([os.path.join(bindir, "spin_series")], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        L._wait_ready(p, "spin_series")
        st, o, e = L.run_coroner(coroner, ["collect", str(p.pid), "-n", "2", "-s", "0.3",
                                           "-o", out, "-q"])
        if st == 7:
            L.skip("coroner collect cannot trace here: " + e)
        check(st == 0, "coroner collect: status %d" % st, o + e)
    finally:
        p.kill()
        p.wait()
    return sorted(os.listdir(out))


def build_id_of(path):
    """The GNU build id of the ELF file PATH, by readelf."""
    out = subprocess.run(["readelf", "-n", path], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    check(m, "readelf finds no build id in " + path, out)
    return m.group(1)


def make_dumps(coroner, bindir, wd):
    src = os.path.join(wd, "dumps")
    os.makedirs(os.path.join(src, "sub"))
    a = crash_core(bindir, "null_deref", os.path.join(wd, "m1"), "a")
    b = crash_core(bindir, "null_deref", os.path.join(wd, "m2"), "b")
    c = crash_core(bindir, "fpe", os.path.join(wd, "m3"), "c")
    d = crash_core(bindir, "fpe", os.path.join(wd, "m4"), "d")
    t = crash_core(bindir, "null_deref", os.path.join(wd, "m5"), "t")
    zc = crash_core(bindir, "null_deref", os.path.join(wd, "m7"), "zc")
    os.makedirs(os.path.join(wd, "m6"))
    h, _ = L.kernel_core_on_demand(os.path.join(bindir, "deadlock"), [],
                                   os.path.join(wd, "m6"))
    shutil.copy(a, os.path.join(src, "a.core"))
    shutil.copy(b, os.path.join(src, "sub", "b.core"))
    shutil.copy(c, os.path.join(src, "c.core"))
    subprocess.run(["zstd", "-q", "-1", d, "-o", os.path.join(src, "d.core.zst")],
                   check=True)
    shutil.copy(h, os.path.join(src, "hang.core"))
    # gzip and zip (libarchive); the gzip is of c: a compressed copy of a
    # dump is that dump again, not a series with it, and counts once.
    with open(c, "rb") as f, gzip.open(os.path.join(src, "e.core.gz"), "wb") as g:
        g.write(f.read())
    with zipfile.ZipFile(os.path.join(src, "f.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.write(zc, "core")
    with open(t, "rb") as f:
        data = f.read()
    with open(os.path.join(src, "trunc.core"), "wb") as f:
        f.write(data[:len(data) // 3])
    with open(os.path.join(src, "notes.txt"), "w") as f:
        f.write("not a dump\n")
    shutil.copy(a, os.path.join(src, HOSTILE))
    series = collect_series(coroner, bindir, os.path.join(src, "series"))
    check(len(series) == 2, "collect wrote %s" % series)
    return src, ["series/" + n for n in series]


def case_index(opts, wd):
    if not shutil.which("zstd"):
        L.skip("zstd not installed")
    src, series = make_dumps(opts.coroner, opts.bindir, wd)
    out = os.path.join(wd, "out")
    t0 = time.time()
    o1, e1, st = batch(opts.coroner, [src, "-o", out, "-j", "2"], expect=(0, 8))
    first = time.time() - t0
    ix = load_index(out)
    L.validate_json(ix, os.path.join(out, "index.json"),
                    os.path.join(L.source_dir(), "docs", "batch-index.schema.json"))
    n = ix["counts"]
    # Twelve files: nine dumps (the truncated one analyzed or failed), a
    # series of two (one entry), two copies and the text file.
    check(n["files"] == 12 and n["dumps"] == 8,
          "index counts %d files and %d dumps, expected 12 and 8" % (n["files"], n["dumps"]),
          json.dumps(n))
    entries = [d for k in ("hang", "high-cpu", "high-memory", "unknown") for d in ix[k]]
    ser = [d for d in entries if d["path"].startswith("series/")]
    check(len(ser) == 1 and ser[0]["dumps"] == 2 and ser[0]["path"] == series[-1],
          "the two dumps of one process are not one entry named after the last", ser)
    with open(os.path.join(out, ser[0]["reports"]["json"])) as f:
        srep = json.load(f)
    check(len(srep.get("series", {}).get("dumps", [])) == 2,
          "the series' report is not the analysis of both dumps", srep.get("series"))
    skipped = {d["path"]: d.get("error") for d in ix["skipped"]}
    check(set(skipped) == {"notes.txt", "e.core.gz", HOSTILE.replace("\n", " ")},
          "the skipped files are not the text file and the two copies", skipped)
    check(skipped["e.core.gz"] == "a copy of c.core (the same dump, compressed)" and
          skipped[HOSTILE.replace("\n", " ")] == "a copy of a.core (the same dump)",
          "the index does not say of which dump the copies are", skipped)
    check("2 copies of others skipped" in o1, "the run does not count the copies", o1)
    check(n["hang"] == 1 and ix["hang"][0]["path"] == "hang.core",
          "the deadlock's core is not the one hang", json.dumps(ix["hang"]))
    segv = bucket_paths(ix, "SIGSEGV")
    fpe = bucket_paths(ix, "SIGFPE")
    same = {"a.core", "sub/b.core", "f.zip"}
    check(any(same <= p for p in segv.values()),
          "the three dumps of null_deref's crash site are not one bucket", repr(segv))
    check(len(fpe) == 1 and list(fpe.values())[0] == {"c.core", "d.core.zst"},
          "the fpe dumps (zstd; the gzip a copy) are not one SIGFPE bucket", repr(fpe))
    segv_bucket = [k for k, p in segv.items() if same <= p][0]
    check(segv_bucket not in fpe, "two crash sites share a bucket")
    # One program, one build: the bucket names its build id, as readelf does.
    bk = [b for c in ix["crashes"] for b in c["buckets"] if b["id"] == segv_bucket][0]
    want = build_id_of(os.path.join(opts.bindir, "null_deref"))
    check(bk["builds"] == [want] and all(d["build_id"] == want for d in bk["dumps"]),
          "the null_deref bucket's builds are not its build id %s" % want,
          json.dumps(bk["builds"]))
    with open(os.path.join(out, "index.md"), encoding="utf-8") as f:
        check("\n- Builds: %s\n" % want in f.read(),
              "the Markdown index does not list the bucket's build %s" % want)
    with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
        check("<th>Builds</th>\n<td>%s</td>" % want in f.read(),
              "the HTML index does not list the bucket's build %s" % want)
    trunc_failed = any(d["path"] == "trunc.core" for d in ix["failed"])
    trunc_crash = any("trunc.core" in p for p in segv.values())
    check(trunc_failed != trunc_crash, "the truncated core is neither a crash nor failed",
          json.dumps(ix["failed"]))
    check((st == 8) == trunc_failed, "exit status %d with %d failed" % (st, n["failed"]))
    check(ix["summary"].startswith("%d dumps: " % n["dumps"]), "summary: " + ix["summary"])
    print("summary:", ix["summary"])
    print("first run: %.2f s" % first)

    # The store: one row per file, the buckets table agreeing.
    r = rows(out)
    check(len(r) == 12, "the store has %d rows, expected 12" % len(r), list(r))
    check(r[series[0]]["report_dir"] == r[series[1]]["report_dir"],
          "the series' rows do not share their report")
    check(r["notes.txt"]["status"] == "skipped" and r["hang.core"]["kind"] == "hang",
          "store rows of the text file or the hang are wrong", r["notes.txt"], r["hang.core"])
    check(r["a.core"]["bucket"] == r["sub/b.core"]["bucket"] == segv_bucket and
          r["c.core"]["bucket"] != segv_bucket, "store buckets disagree with the index")
    db = sqlite3.connect(os.path.join(out, "coroner.db"))
    bcount = dict(db.execute("SELECT id, count FROM buckets").fetchall())
    db.close()
    check(bcount.get(segv_bucket) == len(segv[segv_bucket]) and
          bcount.get(list(fpe)[0]) == 2, "buckets table counts wrong", bcount)
    for item in [ix["hang"][0]] + [d for b in ix["crashes"] for bk in b["buckets"]
                                   for d in bk["dumps"]]:
        check(os.path.exists(os.path.join(out, item["reports"]["html"])),
              "the link to %r's report leads nowhere" % item["path"], item["reports"])

    # -f md: no HTML is written, so no index links to HTML; every link of
    # the Markdown index leads to a file.
    mdout = os.path.join(wd, "mdonly")
    batch(opts.coroner, [src, "-o", mdout, "-f", "md", "-q"], expect=(0, 8))
    mdix = open(os.path.join(mdout, "index.md"), encoding="utf-8").read()
    targets = re.findall(r"\]\(<([^>]*)>\)", mdix)
    check(targets and all(os.path.exists(os.path.join(mdout, t)) for t in targets) and
          not any(t.endswith(".html") for t in targets),
          "-f md: the index links to reports that do not exist", targets[:5])

    # Hostile names do not change the index's structure.
    tags, _ = L.validate_markdown(os.path.join(out, "index.md"), min_tables=3)
    check(tags["b"] == 0, "a file name became <b> in the Markdown index")
    tags, text = L.validate_html(os.path.join(out, "index.html"))
    check(tags["b"] == 0 and "<b>bold" in text,
          "a file name became <b> in the HTML index, or is not shown as text")

    screenshot(out, opts.outdir, wd)

    # Nothing new: nothing analyzed, same rows.
    t0 = time.time()
    o2, _, _ = batch(opts.coroner, [src, "-o", out], expect=(st,))
    again = time.time() - t0
    check("0 new, 0 changed, 12 unchanged, 0 vanished; 0 analyzed" in o2,
          "the second run did not say it analyzed nothing", o2)
    check(rows(out) == r, "the second run changed the store")
    print("second run: %.2f s (first %.2f s)" % (again, first))

    # One touched, one added, one removed: exactly those.
    os.utime(os.path.join(src, "c.core"), (time.time() + 5, time.time() + 5))
    shutil.copy(os.path.join(src, "sub", "b.core"), os.path.join(src, "sub", "e.core"))
    os.unlink(os.path.join(src, "hang.core"))
    o3, _, _ = batch(opts.coroner, [src, "-o", out], expect=(st,))
    check("1 new, 1 changed, 10 unchanged, 1 vanished; 2 analyzed" in o3,
          "touching one dump, adding one and removing one did not analyze exactly two", o3)
    r3 = rows(out)
    changed = sorted(p for p in r3 if p not in r or r3[p]["analyzed_at"] != r[p]["analyzed_at"]
                     or r3[p]["report_dir"] != r[p]["report_dir"])
    check(changed == ["c.core", "sub/e.core"], "rows re-analyzed: %s" % changed)
    check("hang.core" not in r3 and not os.path.exists(os.path.join(out, r["hang.core"]["report_dir"])),
          "the vanished dump's row or reports remain")
    ix3 = load_index(out)
    check(ix3["counts"]["hang"] == 0 and "sub/e.core" in bucket_paths(ix3, "SIGSEGV")[segv_bucket],
          "the index was not rebuilt from the store", ix3["summary"])
    # --force: everything again.
    o4, _, _ = batch(opts.coroner, [src, "-o", out, "--force", "-q"], expect=(st,))
    check(o4 == "", "-q printed something", o4)
    r4 = rows(out)
    dirs = {x["report_dir"] for x in r4.values() if x["report_dir"]}
    on_disk = {"reports/" + d for d in os.listdir(os.path.join(out, "reports"))}
    check(on_disk == dirs, "--force left report directories no row names: %s"
          % sorted(on_disk - dirs))
    # One dump of the series gone: the series' report stays for the other.
    os.unlink(os.path.join(src, series[0]))
    batch(opts.coroner, [src, "-o", out, "-q"], expect=(st,))
    kept = rows(out)[series[1]]["report_dir"]
    check(kept and os.path.isdir(os.path.join(out, kept)),
          "removing one dump of a series removed the report of the other")


def screenshot(out, outdir, wd):
    """The HTML index as headless Chromium lays it out: a screenshot into
    OUTDIR/batch-index.png and the groups' sections in its DOM."""
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser")
                if shutil.which(n)), None)
    if not exe or not outdir:
        print("no screenshot: %s" % ("no --outdir" if exe else "chromium not installed"))
        return
    os.makedirs(outdir, exist_ok=True)
    png = os.path.join(outdir, "batch-index.png")
    base = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
            "--user-data-dir=" + os.path.join(wd, "chromium-profile")]
    page = "file://" + os.path.join(out, "index.html")
    r = subprocess.run(base + ["--window-size=1280,1600", "--screenshot=" + png, page],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    check(r.returncode == 0 and os.path.getsize(png) > 10000,
          "chromium made no screenshot of the index", r.stderr.decode(errors="replace")[-2000:])
    r = subprocess.run(base + ["--dump-dom", page], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    dom = r.stdout.decode(errors="replace")
    for sec in ('id="crash"', 'id="hang"', 'id="skipped"', "Bucket "):
        check(sec in dom, "the index as Chromium reads it lacks %s" % sec)
    print("screenshot of the index: %s" % png)


def worker_holding(batch_pid, name):
    """The pid of a worker of BATCH_PID that has NAME open, or None."""
    try:
        with open("/proc/%d/task/%d/children" % (batch_pid, batch_pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return None
    for k in kids:
        try:
            for fd in os.listdir("/proc/%d/fd" % k):
                if os.readlink("/proc/%d/fd/%s" % (k, fd)).endswith(name):
                    return k
        except OSError:
            continue
    return None


def finished(run_out, name):
    """Whether the report of dump NAME is in place under RUN_OUT (renamed
    from its temporary name, which a worker does before it sends the
    result)."""
    for _, _, files in os.walk(os.path.join(run_out, "reports")):
        if any(f.startswith(name) and f.endswith(".coroner.json") for f in files):
            return True
    return False


def kill_worker_on(opts, src, out, victim):
    """Run batch -j 1 over SRC and SIGKILL the worker once it holds VICTIM
    (up to five runs, OUT0..OUT4): (process, stdout, stderr, the run's OUT,
    the killed pid or None).  A kill that came after VICTIM's reports were
    in place does not count: a worker sends a result and begins its next
    job before it has closed the dump before, so it can still hold VICTIM
    while it analyzes the next dump (then that one is killed)."""
    killed = None
    for attempt in range(5):
        run_out = "%s%d" % (out, attempt)
        p = subprocess.Popen([opts.coroner, "batch", src, "-o", run_out, "-j", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        reports = os.path.join(run_out, "reports")
        while p.poll() is None and time.time() < deadline and killed is None:
            # In the analysis (its report directory is made), not the
            # probe: a worker that dies in a probe after other probes has
            # done other jobs, and its dump is tried again by design.
            k = os.path.isdir(reports) and os.listdir(reports) and \
                worker_holding(p.pid, victim)
            if k:
                os.kill(k, signal.SIGKILL)
                if finished(run_out, victim):
                    print("attempt %d: the kill came after %s was done" % (attempt, victim))
                    break
                killed = k
            time.sleep(0.001)
        o, e = p.communicate(timeout=120)
        if killed:
            break
    return p, o, e, run_out, killed


def case_poison(opts, wd):
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    for i, prog in enumerate(["null_deref", "fpe", "deep_recursion"]):
        core = crash_core(opts.bindir, prog, os.path.join(wd, "m%d" % i), prog)
        shutil.copy(core, os.path.join(src, "%s.core" % prog))
    victim = "deep_recursion.core"
    p, o, e, out, killed = kill_worker_on(opts, src, os.path.join(wd, "out"), victim)
    if not killed:
        L.skip("never caught the worker holding %s (the analysis was too fast)" % victim)
    check(p.returncode == 8, "status %d after a worker was killed, expected 8"
          % p.returncode, o.decode(errors="replace") + e.decode(errors="replace"))
    ix = load_index(out)
    failed = {d["path"]: d["error"] for d in ix["failed"]}
    check(list(failed) == [victim] and "signal 9" in failed[victim],
          "the killed worker's dump is not the one failure, with the signal", failed)
    check(ix["counts"]["crash"] == 2, "the other dumps were not analyzed", ix["summary"])
    print("killed worker %d: %s" % (killed, failed[victim]))

    # The same, on a worker's second dump: the dump is tried once more in
    # a new worker (the first may have left the worker in a bad state),
    # and this time it is analyzed.
    src2 = os.path.join(wd, "second")
    os.makedirs(src2)
    for i, prog in enumerate(["fpe", "deep_recursion", "null_deref"]):
        shutil.copy(os.path.join(src, "%s.core" % prog),
                    os.path.join(src2, "%d-%s.core" % (i + 1, prog)))
    victim2 = "2-deep_recursion.core"
    p, o, e, out, killed = kill_worker_on(opts, src2, os.path.join(wd, "second-out"), victim2)
    if not killed:
        print("retry: NOT EXERCISED (never caught the worker holding %s)" % victim2)
    else:
        ix = load_index(out)
        check(p.returncode == 0 and not ix["failed"] and ix["counts"]["crash"] == 3,
              "a worker killed on its second dump: that dump was not tried again "
              "(status %d)" % p.returncode, ix["failed"], ix["summary"])
        print("killed worker %d on its second dump: tried again, all 3 analyzed" % killed)

    # SIGTERM to the batch while a worker holds the slow dump: status 130,
    # no temporary file left, and the next run does what was left.
    out = os.path.join(wd, "stopped")
    p = subprocess.Popen([opts.coroner, "batch", src, "-o", out, "-j", "1", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    sent = False
    reports = os.path.join(out, "reports")
    while p.poll() is None and time.time() < deadline and not sent:
        # In the analysis (its report directory is made), not the probe.
        if os.path.isdir(reports) and os.listdir(reports) and worker_holding(p.pid, victim):
            p.send_signal(signal.SIGTERM)
            sent = True
        time.sleep(0.001)
    o, e = p.communicate(timeout=120)
    if sent:
        check(p.returncode == 130, "status %d after SIGTERM, expected 130" % p.returncode,
              e.decode(errors="replace"))
        left = [n for d, _, fs in os.walk(out) for n in fs if n.endswith(".tmp")]
        check(not left, "temporary files left after SIGTERM: %s" % left)
        o2, _, _ = batch(opts.coroner, [src, "-o", out], expect=(0,))
        check("0 failed" in o2 and " 0 analyzed" not in o2 and
              load_index(out)["counts"]["crash"] == 3,
              "the run after SIGTERM did not complete the batch", o2)
        print("SIGTERM: status 130, no temporary file; the next run: %s"
              % [l for l in o2.splitlines() if l.startswith("coroner batch:")])
    else:
        print("SIGTERM: NOT EXERCISED (the slow dump's analysis ended before "
              "the signal could be sent)")

    # A time limit no analysis meets.
    out = os.path.join(wd, "timeout")
    batch(opts.coroner, [src, "-o", out, "--timeout", "0.0001"], expect=(8,))
    ix = load_index(out)
    check(len(ix["failed"]) == 3 and all("timed out" in d["error"] for d in ix["failed"]),
          "--timeout did not fail every dump as timed out", ix["failed"])

    # The store held by another run, then damaged.
    db = sqlite3.connect(os.path.join(out, "coroner.db"), timeout=0)
    db.execute("BEGIN EXCLUSIVE")
    _, err, _ = batch(opts.coroner, [src, "-o", out], expect=(9,))
    check("in use" in err, "a locked store is not reported as in use", err)
    # Refused before DIR is read (the store in use is opened first).
    if shutil.which("strace"):
        log = os.path.join(wd, "locked.strace")
        r = subprocess.run(["strace", "-f", "-qq", "-o", log, "-e", "trace=open,openat",
                            opts.coroner, "batch", src, "-o", out], env=L.sanitizer_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if r.returncode == 9:
            with open(log) as f:
                opened = [l for l in f if '"%s"' % src in l or '"%s/' % src in l]
            check(not opened, "a batch on a store in use read DIR before it was refused",
                  opened)
        else:
            print("store in use before the scan: NOT EXERCISED (strace: status %d)"
                  % r.returncode)
    db.rollback()
    db.close()
    with open(os.path.join(out, "coroner.db"), "r+b") as f:
        f.write(b"this is not a database" * 10)
    _, err, _ = batch(opts.coroner, [src, "-o", out], expect=(9,))
    check("damaged" in err, "a damaged store is not reported as damaged", err)


def case_memory(opts, wd):
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    for i, (prog, args) in enumerate([("null_deref", []), ("deep_recursion", ["600000"])]):
        os.makedirs(os.path.join(wd, "m%d" % i))
        core, _ = L.kernel_core(os.path.join(opts.bindir, prog), args,
                                os.path.join(wd, "m%d" % i))
        shutil.copy(core, os.path.join(src, "%s.core" % prog))
    # The limit: what a whole `coroner analyze` of the small core holds at
    # its peak (its binaries and mapped core included), at least 8 MiB; the
    # deep core's analysis (600,000 frames) needs 48 to 64 MiB.
    p = subprocess.Popen([opts.coroner, "analyze", os.path.join(src, "null_deref.core"),
                          "-o", os.path.join(wd, "single"), "-q"], env=L.sanitizer_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, ws, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    check(os.WIFEXITED(ws) and os.WEXITSTATUS(ws) == 0,
          "coroner analyze of the small core failed (%#x)" % ws)
    peak = ru.ru_maxrss   # KiB
    limit = "%dM" % max(8, (peak + 1023) // 1024)
    out = os.path.join(wd, "out")
    o, e, _ = batch(opts.coroner, [src, "-o", out, "-j", "1", "--max-memory", limit],
                    expect=(8,))
    ix = load_index(out)
    failed = {d["path"]: d["error"] for d in ix["failed"]}
    check(list(failed) == ["deep_recursion.core"] and
          failed["deep_recursion.core"] == "exceeded --max-memory %s (killed)" % limit,
          "the deep core is not the one failure, for --max-memory %s" % limit, failed)
    check(ix["counts"]["crash"] == 1, "the small core was not analyzed", ix["summary"])
    # Not a terminal: a plain line per dump, the failure's reason on it.
    lines = [l for l in e.splitlines() if l.startswith("coroner batch: analyzed ")]
    check(len(lines) == 2 and all(re.match(r"coroner batch: analyzed [12]/2 \([0-9.]+/s"
                                           r"(, about [0-9]+ s left)?\): ", l) for l in lines),
          "not one progress line per dump (done/total, rate)", e)
    check(sum("failed: exceeded --max-memory" in l for l in lines) == 1,
          "the progress lines do not say which dump exceeded --max-memory", e)
    print("--max-memory %s: %s; progress: %s" % (limit, failed, lines))

    # On a terminal: the status line redrawn in place ("\r", erase line).
    script = shutil.which("script")
    if not script:
        print("terminal progress: NOT EXERCISED (no script(1))")
        return
    cmd = " ".join("'%s'" % a for a in [opts.coroner, "batch", src, "-o",
                                         os.path.join(wd, "tty"), "-j", "1"])
    r = subprocess.run([script, "-qec", cmd, "/dev/null"], env=L.sanitizer_env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    tty = r.stdout.decode(errors="replace")
    check("\r\x1b[Kcoroner batch: analyzed 2/2" in tty,
          "no status line redrawn in place on a terminal", tty[-2000:])
    print("terminal progress: the status line is redrawn in place")


def buckets_table(out):
    db = sqlite3.connect(os.path.join(out, "coroner.db"))
    try:
        return db.execute("SELECT id, kind, code, signature, count, first_seen, last_seen,"
                          " example FROM buckets ORDER BY id").fetchall()
    finally:
        db.close()


def tree(d):
    return sorted(os.path.relpath(os.path.join(p, n), d) for p, _, fs in os.walk(d) for n in fs)


def hostile_core(signo=11, threads=1, pid=4242):
    """A crash (SIGNO) whose program name and command line hold Markdown
    and HTML: a pipe, backticks, a <script>, emphasis, a link; THREADS
    threads, each at its own pc (as many thread groups).  Cores of one PID
    and different contents are a series."""
    sys.path.insert(0, os.path.join(L.source_dir(), "tests", "hostile"))
    from corewriter import Core
    c = Core("x86_64")
    c.load(0x7ffd0000, b"\0" * 0x1000, flags="rw")
    c.thread(tid=pid, regs={"rip": 0x401000, "rsp": 0x7ffd0100}, signo=signo)
    c.psinfo(pid=pid, fname="a|b`<script>", args="run | `x` <img src=x> **b** [l](j:x)")
    c.siginfo(signo=signo, code=1, addr=0x10)
    for i in range(1, threads):
        c.thread(tid=pid + i, regs={"rip": 0x500000 + 16 * i, "rsp": 0x7ffd0200})
    return c.bytes()


def check_tickets(out):
    """--ticket: a ticket per bucket, under 60,000 characters, whose
    Markdown (cmark-gfm) keeps its structure and says the signature and the
    counts; the HTML report to attach is the example's."""
    ix = load_index(out)
    buckets = [bk for c in ix["crashes"] for bk in c["buckets"]]
    check(buckets, "no buckets")
    names = set()
    for bk in buckets:
        t = bk["ticket"]
        check(t and t["md"] == "tickets/%s.md" % bk["id"] and t["html"],
              "bucket %s has no ticket" % bk["id"], bk)
        md = os.path.join(out, t["md"])
        with open(md, encoding="utf-8") as f:
            text = f.read()
        check(len(text) < 60000, "ticket %s has %d characters" % (t["md"], len(text)))
        L.validate_markdown(md, min_tables=1)
        tags, plain, html = L.render_markdown(md)
        check(not re.search(r"<(script|img)\b|href=\"j:x\"", html),
              "a string from a dump became markup in %s" % t["md"], html[:3000])
        check(bk["signature"] in plain, "ticket %s lacks the signature %r"
              % (t["md"], bk["signature"]), plain[:2000])
        check(re.search(r"Dumps\s*\|?\s*%d\b" % bk["count"], plain) and
              "Crash bucket %s: %d dump" % (bk["id"], bk["count"]) in plain,
              "ticket %s lacks the count %d" % (t["md"], bk["count"]), plain[:2000])
        # The representative's brief report: its crashing stack (top
        # frames) and its process (the environment).
        check("Stack of the crashing thread" in plain and "\nProcess\n" in plain,
              "ticket %s lacks the representative dump's stack or process" % t["md"],
              plain[:3000])
        for when in (bk["first_seen"], bk["last_seen"]):
            check(when is None or when in plain, "ticket %s lacks the time %s" % (t["md"], when))
        with open(os.path.join(out, t["html"]), "rb") as a, \
                open(os.path.join(out, bk["example"]["reports"]["html"]), "rb") as b:
            check(a.read() == b.read(), "ticket %s's attachment is not the example's report"
                  % t["md"])
        names |= {t["md"], t["html"]}
    # The Markdown and HTML indexes link every ticket.
    with open(os.path.join(out, "index.md"), encoding="utf-8") as f:
        mdix = f.read()
    _, htext = L.validate_html(os.path.join(out, "index.html"))
    for bk in buckets:
        check("(<%s>)" % bk["ticket"]["md"] in mdix and bk["ticket"]["md"] in htext,
              "the index does not link the ticket of bucket %s" % bk["id"])
    check(sorted(names) == ["tickets/" + n for n in tree(os.path.join(out, "tickets"))],
          "OUT/tickets holds other files", tree(os.path.join(out, "tickets")))
    hostile = [bk for bk in buckets if "a|b" in " ".join(bk["executables"])]
    check(hostile, "the hostile core is in no bucket", [bk["executables"] for bk in buckets])
    _, plain = L.validate_markdown(os.path.join(out, hostile[0]["ticket"]["md"]))
    check("a|b`<script>" in plain, "the hostile program name is not shown as text", plain[:3000])
    print("tickets: %d, the longest %d characters" % (
        len(buckets), max(len(open(os.path.join(out, bk["ticket"]["md"]),
                                   encoding="utf-8").read()) for bk in buckets)))


def case_shard(opts, wd):
    if not shutil.which("parallel"):
        L.skip("GNU parallel is not installed (Debian package parallel)")
    if not shutil.which("zstd"):
        L.skip("zstd not installed")
    src, series = make_dumps(opts.coroner, opts.bindir, wd)
    # Another dump named c.core: one run calls its reports c.core-2 or
    # the other's, the merge must too (the shards each have a "c.core").
    os.makedirs(os.path.join(src, "sub2"))
    shutil.copy(os.path.join(src, "sub", "b.core"), os.path.join(src, "sub2", "c.core"))
    # A crash whose program name and command line are hostile Markdown.
    with open(os.path.join(src, "hostile.core"), "wb") as f:
        f.write(hostile_core())
    one = os.path.join(wd, "one")
    t0 = time.time()
    _, _, st = batch(opts.coroner, [src, "-o", one, "-j", "2", "-q", "--ticket"],
                     expect=(0, 8))
    print("one run, -j 2: %.2f s" % (time.time() - t0))
    check_tickets(one)

    shards = [os.path.join(wd, "shard%d" % i) for i in (1, 2, 3)]
    t0 = time.time()
    r = subprocess.run(["parallel", "--will-cite", "-j", "3",
                        "%s batch %s -o %s/shard{} --shard {}/3 -j 1 -q --ticket; "
                        "echo $? > %s/status{}"
                        % (opts.coroner, src, wd, wd), ":::", "1", "2", "3"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    check(r.returncode == 0, "parallel failed", r.stderr.decode(errors="replace"))
    print("3 shards under GNU parallel: %.2f s" % (time.time() - t0))
    for i in (1, 2, 3):
        with open(os.path.join(wd, "status%d" % i)) as f:
            s = int(f.read())
        check(s in (0, 8), "shard %d: status %d" % (i, s))
    parts = [rows(d) for d in shards]
    whole = rows(one)
    for i in range(3):
        for k in range(i + 1, 3):
            both = set(parts[i]) & set(parts[k])
            check(not both, "shards %d and %d share %s" % (i + 1, k + 1, sorted(both)))
    union = set().union(*parts)
    check(union == set(whole), "the shards' union is not the whole set",
          sorted(union ^ set(whole)))
    check(any(set(series) <= set(p) for p in parts), "the series is split between shards")
    print("shard sizes: %s of %d files" % ([len(p) for p in parts], len(whole)))

    # Another machine: the same files under another root, with other
    # modification times (a copy): the same shard.
    elsewhere = os.path.join(wd, "machine2", "crash")
    shutil.copytree(src, elsewhere, copy_function=shutil.copyfile)
    batch(opts.coroner, [elsewhere, "-o", os.path.join(wd, "m2shard1"), "--shard", "1/3",
                         "-j", "2", "-q"], expect=(0, 8))
    check(set(rows(os.path.join(wd, "m2shard1"))) == set(parts[0]),
          "shard 1/3 of a copy of the directory is not shard 1/3 of the original")

    # A re-run of a shard analyzes nothing and opens no other shard's file.
    past_racy_second(src)
    o, _, _ = batch(opts.coroner, [src, "-o", shards[0], "--shard", "1/3"], expect=(0, 8))
    check(re.search(r"0 new, 0 changed, %d unchanged, 0 vanished; 0 analyzed, 0 failed; "
                    r"%d in other shards" % (len(parts[0]), len(whole) - len(parts[0])), o),
          "the re-run of shard 1 did not say it analyzed nothing", o)
    check(rows(shards[0]) == parts[0], "the re-run of shard 1 changed its store")
    # The next opens none: the stat identity that the re-run (past the
    # second the files were written in, git's racy rule) kept beside each
    # file's shard key vouches for it.
    if shutil.which("strace"):
        log = os.path.join(wd, "shard-rerun.log")
        strace_batch(opts, log, ["-e", "trace=open,openat"],
                     [src, "-o", shards[0], "--shard", "1/3", "-q"], expect=(0, 8))
        with open(log, errors="replace") as f:
            opened = {os.path.relpath(p, src)
                      for p in re.findall(r'"(%s/[^"]*)"' % re.escape(src), f.read())}
        others = set(whole) - set(parts[0])
        check(others and not (opened & others),
              "the third run of shard 1 opened other shards' files", sorted(opened & others))
        print("third run of shard 1: opened %d of the %d other shards' files"
              % (len(opened & others), len(others)))

    merged = os.path.join(wd, "merged")
    t0 = time.time()
    _, _, mst = merge(opts.coroner, shards + ["-o", merged, "-q", "--ticket"], expect=(0, 8))
    print("merge: %.2f s" % (time.time() - t0))
    check(mst == st, "merge: status %d, the single run %d" % (mst, st))
    a, b = load_index(one), load_index(merged)
    if a != b:
        for key in a:
            check(a[key] == b.get(key), "the merged index differs from one run's in %r" % key,
                  json.dumps(a[key], indent=1)[:3000], json.dumps(b.get(key), indent=1)[:3000])
    check(a == b, "the merged index has other fields", sorted(set(b) - set(a)))
    check(buckets_table(one) == buckets_table(merged),
          "the merged buckets table differs from one run's")
    check(tree(os.path.join(one, "reports")) == tree(os.path.join(merged, "reports")),
          "the merged report files are not named as one run names them",
          tree(os.path.join(one, "reports")), tree(os.path.join(merged, "reports")))
    check(tree(os.path.join(one, "tickets")) == tree(os.path.join(merged, "tickets")),
          "the merge's tickets are not one run's")
    print("merged index == single-run index (%d crashes in %d buckets)"
          % (b["counts"]["crash"], b["counts"]["buckets"]))
    # The merged OUT is an ordinary batch OUT: nothing to do in it.
    o, _, _ = batch(opts.coroner, [src, "-o", merged], expect=(st,))
    check(" 0 analyzed" in o and " 0 new" in o, "a batch over the merged OUT analyzed again", o)

    # Refusals: nothing is changed.
    before = tree(merged)
    _, err, _ = merge(opts.coroner, shards + ["-o", merged], expect=(2,))
    check("not empty" in err and tree(merged) == before,
          "merging into an existing OUT was not refused cleanly", err)
    _, err, _ = merge(opts.coroner, [shards[0], os.path.join(wd, "nowhere"), "-o",
                                     os.path.join(wd, "merge-missing")], expect=(2,))
    check("nowhere" in err and not os.path.exists(os.path.join(wd, "merge-missing")),
          "a missing OUT_i was not refused cleanly", err)
    old = os.path.join(wd, "old")
    shutil.copytree(shards[1], old)
    db = sqlite3.connect(os.path.join(old, "coroner.db"))
    db.execute("PRAGMA user_version=99")
    db.commit()
    db.close()
    _, err, _ = merge(opts.coroner, [shards[0], old, "-o", os.path.join(wd, "merge-old")],
                      expect=(9,))
    check("schema version 99" in err and not os.path.exists(os.path.join(wd, "merge-old")),
          "a store of another schema version was not refused cleanly", err)
    db = sqlite3.connect(os.path.join(old, "coroner.db"))
    kept = db.execute("SELECT count(*) FROM dumps").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    check(kept == len(parts[1]) and version == 99, "merge changed an input store")
    # The inputs are only read: SQLite made no -wal or -shm beside them.
    for sh in shards:
        extra = [n for n in os.listdir(sh) if n.startswith("coroner.db-")]
        check(not extra, "merge wrote %s into its input %s" % (extra, sh))
    # A store whose row names reports outside its directory is refused.
    evil = os.path.join(wd, "evil")
    shutil.copytree(shards[1], evil)
    db = sqlite3.connect(os.path.join(evil, "coroner.db"))
    db.execute("UPDATE dumps SET report_dir = '../../outside', report_name = 'x'"
               " WHERE rowid = (SELECT min(rowid) FROM dumps WHERE report_dir IS NOT NULL)")
    db.commit()
    db.close()
    _, err, _ = merge(opts.coroner, [shards[0], evil, "-o", os.path.join(wd, "merge-evil")],
                      expect=(9,))
    check("not where coroner batch writes them" in err and
          not os.path.exists(os.path.join(wd, "merge-evil")),
          "a store naming reports outside its directory was not refused", err)
    left = [n for n in os.listdir(wd) if ".merge-" in n]
    check(not left, "a failed merge left %s" % left)
    # The single run's OUT made a shard: it keeps shard 2's files alone.
    batch(opts.coroner, [src, "-o", one, "--shard", "2/3", "-q"], expect=(0, 8))
    now = rows(one)
    check(set(now) == set(parts[1]), "an OUT made without --shard, run with --shard 2/3, "
          "does not hold shard 2's files", sorted(set(now) ^ set(parts[1])))
    dirs = {x["report_dir"] for x in now.values() if x["report_dir"]}
    check({"reports/" + d for d in os.listdir(os.path.join(one, "reports"))} == dirs,
          "reports of other shards' files were left in the OUT of shard 2")
    for bad in ("0/3", "4/3", "1/0", "x", "1/3/4", "-1/3"):
        _, err, _ = batch(opts.coroner, [src, "-o", os.path.join(wd, "bad"), "--shard", bad],
                          expect=(2,))
        check("--shard" in err, "--shard %s: no message naming the option" % bad, err)


def case_ticket(opts, wd):
    """--ticket at its limits: a crash of 1,500 threads (a Markdown report
    over the budget) and a bucket of 35 dumps, all of a hostile program
    name and command line; a bucket that is gone takes its ticket along."""
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    with open(os.path.join(src, "big.core"), "wb") as f:
        f.write(hostile_core(threads=1500, pid=7000))
    # 35 crashes of one bug (each its own process: copies of one core
    # would count once).
    for i in range(35):
        with open(os.path.join(src, "h|`<i>%02d.core" % i), "wb") as f:
            f.write(hostile_core(signo=7, pid=6000 + 10 * i))
    out = os.path.join(wd, "out")
    batch(opts.coroner, [src, "-o", out, "--ticket", "-q"], expect=(0, 8))
    check_tickets(out)
    ix = load_index(out)
    by_code = {c["code"]: c["buckets"][0] for c in ix["crashes"]}
    check(set(by_code) == {"SIGSEGV", "SIGBUS"}, "buckets: %s" % sorted(by_code))
    with open(os.path.join(out, by_code["SIGSEGV"]["ticket"]["md"]), encoding="utf-8") as f:
        big = f.read()
    check("left out to keep this report under 40,000 characters" in big and len(big) < 60000,
          "the 1,500-thread crash's ticket does not keep to its budget (%d characters)"
          % len(big))
    with open(os.path.join(out, by_code["SIGBUS"]["ticket"]["md"]), encoding="utf-8") as f:
        many = f.read()
    listed = re.findall(r"^- h\\\|", many, re.M)
    check(len(listed) == 30 and "and 5 more" in many,
          "the ticket of 35 dumps lists %d of them" % len(listed), many[:3000])
    # The 1,500-thread crash is gone: so is its ticket.
    os.unlink(os.path.join(src, "big.core"))
    batch(opts.coroner, [src, "-o", out, "--ticket", "-q"], expect=(0, 8))
    left = sorted(os.listdir(os.path.join(out, "tickets")))
    bus = by_code["SIGBUS"]["id"]
    check(left == [bus + ".html", bus + ".md"], "tickets left: %s" % left)


def case_symbols(opts, wd):
    bindir = os.path.join(wd, "bin")
    os.makedirs(bindir)
    exe = os.path.join(bindir, "nd")
    shutil.copy(os.path.join(opts.bindir, "null_deref"), exe)
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    core, _ = L.kernel_core(exe, [], src)
    root = os.path.join(wd, "root")
    os.makedirs(root + bindir)
    os.rename(exe, root + exe)

    def signature(args):
        out = os.path.join(wd, "out%d" % len(args))
        batch(opts.coroner, [src, "-o", out, "-q"] + args)
        return [r for r in rows_signature(out) if r]

    without = signature([])
    check(without and not any("crash_null" in s for s in without),
          "without --sysroot the moved program's frames are named", without)
    named = signature(["--sysroot", root, "--debug-dir", wd])
    check(len(named) == 1 and "crash_null | main" in named[0],
          "--sysroot did not reach the workers: signature %s" % named)
    _, err, _ = batch(opts.coroner, [src, "-o", os.path.join(wd, "o3"), "--debug-dir",
                                     os.path.join(wd, "none")], expect=(2,))
    check("--debug-dir" in err, "a --debug-dir naming nothing is not refused", err)


def opened(calls, suffix):
    """How many times the `strace` CALLS opened a file whose name ends with
    SUFFIX for reading (O_PATH opens, which only resolve a name, aside)."""
    n = 0
    for _, _, name, text in calls:
        m = re.search(r'"([^"]*)"', text)
        if (name in ("open", "openat", "openat2") and m and m.group(1).endswith(suffix)
                and "O_PATH" not in text and "= -1" not in text):
            n += 1
    return n


def case_debugfiles(opts, wd):
    """A worker opens a module's debug file once, not once per dump (issue
    11, item 7): abort cores of a program whose DWARF is in a separate file
    beside it (.gnu_debuglink), so that every dump asks it for source
    lines; libc's debug file (when libc6-dbg is installed) serves the
    symbol table, the lines of the frames inside abort() and, for cores
    of a deadlock, the layout of pthread_mutex_t the locks pass reads."""
    if not shutil.which("strace") or not shutil.which("objcopy"):
        L.skip("strace or objcopy not installed")
    bindir = os.path.join(wd, "bin")
    os.makedirs(bindir)
    exe = os.path.join(bindir, "aa")
    shutil.copy(os.path.join(opts.bindir, "abort_assert"), exe)
    for args in (["--only-keep-debug", "aa", "aa.debug"], ["--strip-debug", "aa"],
                 ["--add-gnu-debuglink=aa.debug", "aa"]):
        subprocess.run(["objcopy"] + args, cwd=bindir, check=True)
    src = os.path.join(wd, "dumps")
    n = 4
    for i in range(n):
        run = os.path.join(wd, "run%d" % i)
        os.makedirs(run)
        core, _ = L.kernel_core(exe, [], run)
        os.renames(core, os.path.join(src, "aa.%d.core" % i))
    for i in range(2):
        run = os.path.join(wd, "dl%d" % i)
        os.makedirs(run)
        core, _ = L.kernel_core_on_demand(os.path.join(opts.bindir, "deadlock"), [], run)
        os.renames(core, os.path.join(src, "dl.%d.core" % i))
    out = os.path.join(wd, "out")
    log = os.path.join(wd, "strace.log")
    strace_batch(opts, log, ["-e", "trace=open,openat,openat2"],
                 [src, "-o", out, "-j", "1", "-q", "-f", "md"])
    for i in range(n):
        md = os.path.join(out, "reports", "aa.%d.core" % i, "aa.%d.core.coroner.md" % i)
        with open(md) as f:
            check("abort_assert.c:" in f.read(),
                  "aa.%d.core: no source line from the debug file in its report" % i)
    with open(log, errors="replace") as f:
        calls = syscalls(f.read())
    own = opened(calls, "/aa.debug")
    print("%d dumps on one worker: the program's debug file opened %d time(s)" % (n, own))
    for i in range(2):
        md = os.path.join(out, "reports", "dl.%d.core" % i, "dl.%d.core.coroner.md" % i)
        with open(md) as f:
            check("deadlock" in f.read().lower(), "dl.%d.core: no deadlock in its report" % i)
    check(own == 1, "the program's debug file was opened %d times for %d dumps on one "
          "worker, expected once" % (own, n))
    debug = {}
    for _, _, name, text in calls:
        m = re.search(r'"(/usr/lib/debug/[^"]*\.debug)"', text)
        if m:
            debug[m.group(1)] = opened(calls, m.group(1))
    debug = {k: v for k, v in debug.items() if v}
    print("system debug files opened: %s" % (debug or "none (libc6-dbg is not installed)"))
    # Libc's: once for its symbol table, once for the DWARF kept open.
    check(all(c <= 2 for c in debug.values()),
          "a system debug file was opened more than twice for %d dumps" % (n + 2), debug)


def case_series(opts, wd):
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    for i in (1, 2):
        with open(os.path.join(src, "s%d.core" % i), "wb") as f:
            f.write(hostile_core(threads=i, pid=4242))
    out = os.path.join(wd, "out")

    def entries():
        ix = load_index(out)
        return [d for k in ("crashes", "hang", "high-cpu", "high-memory", "unknown")
                for d in (ix[k] if k != "crashes" else
                          [x for c in ix[k] for bk in c["buckets"] for x in bk["dumps"]])]

    batch(opts.coroner, [src, "-o", out, "-q"], expect=(0, 8))
    first = entries()
    check(len(first) == 1 and first[0]["dumps"] == 2, "two dumps of one pid are not one series",
          first)
    with open(os.path.join(src, "s3.core"), "wb") as f:
        f.write(hostile_core(threads=3, pid=4242))
    o, _, _ = batch(opts.coroner, [src, "-o", out], expect=(0, 8))
    check("1 new, 0 changed, 2 unchanged, 0 vanished; 1 analyzed" in o,
          "the new dump of a stored series did not make the series analyzed again", o)
    now = entries()
    check(len(now) == 1 and now[0]["dumps"] == 3 and now[0]["path"] == "s3.core",
          "the new dump did not join its process's stored series", now)
    r = rows(out)
    check(len({x["report_dir"] for x in r.values()}) == 1 and
          r["s1.core"]["report_dir"] == first[0]["reports"]["json"].rsplit("/", 1)[0],
          "the series' rows do not share the stored series' report directory", r)
    with open(os.path.join(out, now[0]["reports"]["json"])) as f:
        rep = json.load(f)
    check(len(rep.get("series", {}).get("dumps", [])) == 3,
          "the report is not the series of three", rep.get("series"))

    # A new dump joins the stored series and the joined job fails (its
    # report directory cannot be written: a file stands in its place):
    # the stored dumps keep their ok rows and report directory, only the
    # new dump is failed and counted.
    rdir = os.path.join(out, r["s1.core"]["report_dir"])
    shutil.move(rdir, rdir + ".aside")
    with open(rdir, "w") as f:
        f.write("in the way\n")
    with open(os.path.join(src, "s4.core"), "wb") as f:
        f.write(hostile_core(threads=4, pid=4242))
    o, _, _ = batch(opts.coroner, [src, "-o", out], expect=(8,))
    os.unlink(rdir)
    shutil.move(rdir + ".aside", rdir)
    check("1 analyzed" in o and "1 failed" in o,
          "the run counts the stored dumps of a failed joined job", o)
    r2 = rows(out)
    check(r2["s4.core"]["status"] == "failed" and
          all(r2["s%d.core" % i]["status"] == r["s%d.core" % i]["status"] and
              r2["s%d.core" % i]["report_dir"] == r["s1.core"]["report_dir"]
              for i in (1, 2, 3)),
          "a failed joined job changed the stored dumps' rows", r2)
    batch(opts.coroner, [src, "-o", out, "-q"], expect=(0, 8))  # the index again
    now = entries()
    check(len(now) == 1 and now[0]["dumps"] == 3 and now[0]["reports"]["json"] and
          os.path.exists(os.path.join(out, now[0]["reports"]["json"])),
          "the stored series left the index after a failed joined job", now)

    # A full stored series (CR_SERIES_MAX_DUMPS, 32) is not analyzed again
    # for a new dump of its process: that dump starts its own series.
    full = os.path.join(wd, "full")
    os.makedirs(full)
    for i in range(1, 33):
        with open(os.path.join(full, "f%02d.core" % i), "wb") as f:
            f.write(hostile_core(threads=i, pid=4343))
    fout = os.path.join(wd, "full-out")
    batch(opts.coroner, [full, "-o", fout, "-q"], expect=(0, 8))
    stored = rows(fout)
    rep = os.path.join(fout, stored["f01.core"]["report_dir"])
    before = {n: os.stat(os.path.join(rep, n)).st_mtime_ns for n in os.listdir(rep)}
    with open(os.path.join(full, "f33.core"), "wb") as f:
        f.write(hostile_core(threads=33, pid=4343))
    o, _, _ = batch(opts.coroner, [full, "-o", fout], expect=(0, 8))
    after = {n: os.stat(os.path.join(rep, n)).st_mtime_ns for n in os.listdir(rep)}
    r3 = rows(fout)
    check(before == after and r3["f33.core"]["report_dir"] != stored["f01.core"]["report_dir"],
          "a new dump made a full stored series be analyzed again", o, before, after)


def case_copies(opts, wd):
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    a = crash_core(opts.bindir, "null_deref", os.path.join(wd, "m1"), "a")
    with open(a, "rb") as f:
        data = bytearray(f.read())
    check(len(data) > 4 * 65536, "the core is too small to differ in its middle only",
          len(data))
    with open(os.path.join(src, "a.core"), "wb") as f:
        f.write(data)
    with gzip.open(os.path.join(src, "c.core.gz"), "wb") as g:
        g.write(data)
    # Another "dump" of the same length, first and last 64 KiB: its content
    # id is a's (as two dumps of an idle process can be), its bytes are not.
    data[len(data) // 2] ^= 0xff
    with open(os.path.join(src, "b.core"), "wb") as f:
        f.write(data)
    out = os.path.join(wd, "out")
    o, _, _ = batch(opts.coroner, [src, "-o", out], expect=(0, 8))
    r = rows(out)
    check(r["a.core"]["status"] != "skipped" and r["b.core"]["status"] != "skipped",
          "a dump whose content id equals another's but whose bytes differ was "
          "skipped as a copy", r)
    check(r["c.core.gz"]["status"] == "skipped" and "a copy of a.core" in
          (r["c.core.gz"]["error"] or ""),
          "the compressed copy of a dump is not skipped as its copy", r["c.core.gz"])
    print(o.strip().splitlines()[0])


def rows_signature(out):
    db = sqlite3.connect(os.path.join(out, "coroner.db"))
    try:
        return [r[0] for r in db.execute("SELECT signature FROM dumps")]
    finally:
        db.close()


def syscalls(log):
    """[(start line, end line, name, text)] of an `strace -f` log: a
    call cut by another process's (<unfinished ...>, <... resumed>) is
    joined, so that the order of two calls is that of their lines."""
    calls, open_ = [], {}
    for i, line in enumerate(log.splitlines()):
        m = re.match(r"(\d+) +(.*)$", line)
        if not m:
            continue
        pid, rest = m.groups()
        r = re.match(r"<\.\.\. (\w+) resumed>(.*)$", rest)
        if r and pid in open_:
            start, name, text = open_.pop(pid)
            calls.append((start, i, name, text + r.group(2)))
            continue
        c = re.match(r"(\w+)\((.*)$", rest)
        if not c:
            continue
        if rest.endswith("<unfinished ...>"):
            # Without the marker: a call cut after its last argument
            # ('rename("a", "b" <unfinished ...>', then '<... rename
            # resumed>) = 0') reads as one whose text ends in '"b") = 0'.
            open_[pid] = (i, c.group(1),
                          c.group(2)[:-len("<unfinished ...>")].rstrip() + " ")
        else:
            calls.append((i, i, c.group(1), c.group(2)))
    return calls


def strace_batch(opts, log, strace_args, args, expect=(0,)):
    """coroner batch ARGS under strace STRACE_ARGS into LOG (skipped
    where strace cannot trace); its completed process, checked to end
    with a status of EXPECT."""
    p = subprocess.run(["strace", "-f", "-qq", "-o", log] + strace_args +
                       [opts.coroner, "batch"] + args,
                       capture_output=True, text=True, timeout=300,
                       # LeakSanitizer cannot run under ptrace (a sanitizer
                       # build still checks everything else).
                       env=dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                                ":detect_leaks=0"))
    if p.returncode != 0 and "ptrace" in p.stderr:
        L.skip("strace cannot trace here: " + p.stderr)
    check(p.returncode in expect, "batch under strace: status %d" % p.returncode, p.stderr)
    return p


def case_durable(opts, wd):
    if not shutil.which("strace"):
        L.skip("strace not installed")
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    n = 70
    for i in range(n):
        with open(os.path.join(src, "d%02d.core" % i), "wb") as f:
            f.write(hostile_core(pid=5000 + 10 * i))
    out = os.path.join(wd, "out")
    log = os.path.join(wd, "strace.log")
    strace_batch(opts, log, ["-y", "-s", "8192", "-e",
                             "trace=fsync,fdatasync,syncfs,rename,renameat,renameat2,pwrite64"],
                 [src, "-o", out, "-j", "2", "-q", "-f", "md,json"])
    with open(log, errors="replace") as f:
        calls = syscalls(f.read())
    synced = [c for c in calls if c[2] in ("fsync", "fdatasync") and ".coroner." in c[3]]
    check(not synced, "report files are still fsync'ed one by one", synced[:3])
    syncs = [c for c in calls if c[2] == "syncfs"]
    # At least the two groups of 64 dumps; more when groups close on
    # their 5 s (a slow sanitizer build): the order below is the test.
    check(len(syncs) >= 2, "%d syncfs() calls for %d dumps, expected a group commit"
          % (len(syncs), n))
    for i in range(n):
        d = "reports/d%02d.core" % i
        renamed = [c[1] for c in calls if c[2].startswith("rename") and d + "/" in c[3]]
        stored = [c[0] for c in calls if c[2] == "pwrite64" and "-wal>" in c[3] and d in c[3]]
        check(len(renamed) == 2 and stored, "%s: %d reports renamed, %d writes of its row"
              % (d, len(renamed), len(stored)))
        check(any(max(renamed) < s[0] and s[1] < min(stored) for s in syncs),
              "%s: its row reached the store without a syncfs() after its reports" % d)
    ix = load_index(out)
    check(ix["counts"]["dumps"] == n and ix["counts"]["failed"] == 0,
          "the index counts %s" % json.dumps(ix["counts"]))


def case_syncwait(opts, wd):
    if not shutil.which("strace"):
        L.skip("strace not installed")
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    n, group, held = 160, 64, 2 * 2
    for i in range(n):
        with open(os.path.join(src, "d%03d.core" % i), "wb") as f:
            f.write(hostile_core(pid=5000 + 10 * i))
    out = os.path.join(wd, "out")
    log = os.path.join(wd, "strace.log")
    strace_batch(opts, log, ["--seccomp-bpf", "-e", "trace=syncfs,rename,renameat,renameat2",
                             "-e", "inject=syncfs:delay_enter=3000000"],
                 [src, "-o", out, "-j", "2", "-q", "-f", "json"])
    with open(log, errors="replace") as f:
        calls = syscalls(f.read())
    syncs = [c for c in calls if c[2] == "syncfs"]
    check(syncs, "no syncfs() under strace")
    first_end = syncs[0][1]
    renamed = [c for c in calls if c[2].startswith("rename") and c[1] < first_end and
               ".coroner.json" in c[3] and "/reports/" in c[3]]
    # The rename lines are those of the workers; before a result reaches
    # the parent the worker has renamed it.
    check(len(renamed) > 2 * group + held,
          "%d dumps renamed in place while the first syncfs() ran: the parent "
          "waited for it before handing out more (at most %d)"
          % (len(renamed), 2 * group + held))
    # The index is made from the last rows before they are committed,
    # while their sync runs (e2e.batch.durable checks they are committed
    # after it).
    index = [c[0] for c in calls if c[2].startswith("rename") and
             c[3].rstrip(") =0").endswith('/index.json"')]
    check(index and index[0] < syncs[-1][1],
          "the index was written after the last syncfs() returned: it waited for the disk",
          # (log line of the call, log line of its end, name) of the
          # syncfs calls and the index's renames, to tell what happened
          ["%d-%d %s" % c[:3] for c in calls
           if c[2] == "syncfs" or (c[2].startswith("rename") and "/index." in c[3])])
    ix = load_index(out)
    check(ix["counts"]["dumps"] == n and ix["counts"]["failed"] == 0,
          "the index counts %s" % json.dumps(ix["counts"]))
    print("%d of %d dumps renamed during the first syncfs() (%d syncfs calls); "
          "the index written during the last" % (len(renamed), n, len(syncs)))
    # A last sync that fails: the rows stored for the index are rolled
    # back, the run ends with an I/O error, the next analyzes them again.
    for i in range(n, n + 5):
        with open(os.path.join(src, "d%03d.core" % i), "wb") as f:
            f.write(hostile_core(pid=5000 + 10 * i))
    p = subprocess.run(["strace", "-f", "-qq", "-o", log, "--seccomp-bpf", "-e", "trace=syncfs",
                        "-e", "inject=syncfs:error=EIO", opts.coroner, "batch", src,
                        "-o", out, "-j", "2", "-q", "-f", "json"],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                                ":detect_leaks=0"))
    check(p.returncode == 3 and "cannot make the reports durable" in p.stderr,
          "a failed syncfs(): status %d" % p.returncode, p.stderr)
    stored = rows(out)
    check(len(stored) == n and not any(("d%03d.core" % i) in stored for i in range(n, n + 5)),
          "%d rows stored after a failed syncfs(), expected the %d before" % (len(stored), n))
    # The index, made from those rows before the sync failed, is made
    # again from the store: it lists no dump the store does not.
    check(load_index(out)["counts"]["dumps"] == n,
          "after a failed syncfs() the index counts %d dumps, the store %d"
          % (load_index(out)["counts"]["dumps"], n))
    p = subprocess.run([opts.coroner, "batch", src, "-o", out, "-j", "2", "-q", "-f", "json"],
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0 and len(rows(out)) == n + 5 and
          load_index(out)["counts"]["dumps"] == n + 5,
          "the run after a failed syncfs(): status %d, %d rows" % (p.returncode, len(rows(out))),
          p.stderr)
    # The rolled-back dumps' reports were in place: the run after reuses
    # their directories' names, and leaves no directory that no row names.
    check(not orphan_dirs(out), "report directories that no row names: %s" % orphan_dirs(out))
    again = sorted(os.path.basename(r["report_dir"]) for path, r in rows(out).items()
                   if any(("d%03d.core" % i) in path for i in range(n, n + 5)))
    check(again == ["d%03d.core" % i for i in range(n, n + 5)],
          "the rolled-back dumps' reports are not under their names", again)


def case_forkwait(opts, wd):
    """A worker started again mid-run (the one before passed --timeout)
    is forked only once no sync thread of the parent is running: a
    thread ending at fork() time leaves gcc 12's AddressSanitizer
    allocator locked in the child, which then hangs on its first malloc
    (cr_batch_commit_before_fork).  Under strace every syncfs() takes
    3 s: 70 fast dumps close the first group (64) and start its sync, the
    slow dump after them passes its 0.25 s, and the worker that takes the
    dumps left must not be forked before that sync returned."""
    if not shutil.which("strace"):
        L.skip("strace not installed")
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    core, _ = L.kernel_core(os.path.join(opts.bindir, "deep_recursion"), ["600000"], wd)
    t = time.time() - 1000
    names = ["a%03d.core" % i for i in range(70)] + ["b-deep.core"] + \
            ["c%03d.core" % i for i in range(3)]
    for k, name in enumerate(names):
        path = os.path.join(src, name)
        if name == "b-deep.core":
            shutil.copy(core, path)
        else:
            with open(path, "wb") as f:
                f.write(hostile_core(pid=7000 + 10 * k))
        os.utime(path, (t + k, t + k))
    out = os.path.join(wd, "out")
    log = os.path.join(wd, "strace.log")
    strace_batch(opts, log, ["--seccomp-bpf", "-e", "trace=syncfs,clone,clone3,fork,vfork",
                             "-e", "inject=syncfs:delay_enter=3000000"],
                 [src, "-o", out, "-j", "1", "-q", "-f", "json", "--timeout", "0.25"],
                 expect=(0, 8))
    with open(log, errors="replace") as f:
        calls = syscalls(f.read())
    syncs = [c for c in calls if c[2] == "syncfs"]
    check(syncs, "no syncfs() under strace")
    first = min(syncs)
    # Processes, not threads: fork() is clone() with SIGCHLD.
    forks = [c for c in calls if c[2] in ("clone", "fork", "vfork") and
             "CLONE_THREAD" not in c[3] and (c[2] != "clone" or "SIGCHLD" in c[3])]
    during = [c for c in forks if c[0] > first[0]]
    ix = load_index(out)
    failed = {d["path"]: d["error"] for d in ix["failed"]}
    if "b-deep.core" not in failed or not during:
        L.skip("not exercised: the slow dump %s, %d worker(s) forked after the "
               "first syncfs() began" % ("failed" if "b-deep.core" in failed else
                                         "did not time out", len(during)))
    early = [c for c in during if c[0] < first[1]]
    check(not early, "a worker was forked while the first syncfs() ran "
          "(log lines %d-%d)" % first[:2],
          ["%d-%d %s" % c[:3] for c in calls if c in forks or c[2] == "syncfs"])
    check(ix["counts"]["dumps"] == len(names) and list(failed) == ["b-deep.core"],
          "the index counts %s, failed %s" % (json.dumps(ix["counts"]), failed))
    print("%d worker(s) forked after the first syncfs() began, none before it "
          "returned; %s" % (len(during), failed["b-deep.core"]))


def orphan_dirs(out):
    """The directories of OUT/reports that no row of the store names."""
    named = {os.path.basename(r["report_dir"]) for r in rows(out).values() if r["report_dir"]}
    return sorted(set(os.listdir(os.path.join(out, "reports"))) - named)


def finished_reports(out):
    """The report directories of OUT whose JSON report is renamed in place."""
    reports = os.path.join(out, "reports")
    try:
        return sum(any(n.endswith(".coroner.json") for n in os.listdir(os.path.join(reports, d)))
                   for d in os.listdir(reports))
    except OSError:
        return 0


def case_queue(opts, wd):
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    # In time order (a dump's time, then its path): the slow one first.
    for i, prog in enumerate(["deep_recursion", "null_deref", "fpe", "null_deref"]):
        core = crash_core(opts.bindir, prog, os.path.join(wd, "m%d" % i), prog)
        shutil.copy(core, os.path.join(src, "%d-%s.core" % (i, prog)))
    out = os.path.join(wd, "out")
    reports = os.path.join(out, "reports")
    p = subprocess.Popen([opts.coroner, "batch", src, "-o", out, "-j", "1", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stopped = False
    deadline = time.time() + 60
    # No sleep: the parent is stopped while the worker still holds the
    # first dump (its report directory is made before its reports).
    while p.poll() is None and time.time() < deadline:
        if os.path.isdir(reports) and os.listdir(reports):
            os.kill(p.pid, signal.SIGSTOP)
            stopped = True
            break
    if not stopped:
        p.communicate(timeout=120)
        L.skip("the batch ended before its first report directory was seen")
    done = finished_reports(out)
    deadline = time.time() + 20
    while done < 2 and time.time() < deadline:
        time.sleep(0.01)
        done = finished_reports(out)
    os.kill(p.pid, signal.SIGCONT)
    o, e = p.communicate(timeout=120)
    check(done >= 2, "with the parent stopped, its worker finished %d dump(s): "
          "it did not go on to the next one it holds" % done)
    check(p.returncode == 0, "status %d after SIGSTOP/SIGCONT" % p.returncode,
          o.decode(errors="replace") + e.decode(errors="replace"))
    ix = load_index(out)
    check(ix["counts"]["crash"] == 4 and not ix["failed"],
          "not all four dumps analyzed", ix["summary"])
    print("parent stopped: its worker finished %d dumps meanwhile; then: %s"
          % (done, ix["summary"]))


def opened_dumps(opts, src, out, wd, expect_line):
    """Run batch SRC -o OUT under strace; the dumps it opened (by name),
    checking that its summary line has EXPECT_LINE."""
    log = os.path.join(wd, "open.log")
    p = strace_batch(opts, log, ["-e", "trace=open,openat"],
                     [src, "-o", out, "-j", "1", "-f", "md,json"])
    check(expect_line in p.stdout, "the run did not say %r" % expect_line, p.stdout)
    with open(log, errors="replace") as f:
        return sorted(set(re.findall(re.escape(src) + r'/([^"]+)"', f.read())))


def stat_rows(out):
    db = sqlite3.connect(os.path.join(out, "coroner.db"))
    try:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT path, dev, inode, ctime, analyzed_at, header_hash FROM dumps")}
    finally:
        db.close()


def case_identity(opts, wd):
    if not shutil.which("strace"):
        L.skip("strace not installed")
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    names = ["a.core", "b.core", "c.core"]
    for i, n in enumerate(names):
        with open(os.path.join(src, n), "wb") as f:
            f.write(hostile_core(pid=6000 + i))
    # Times of an earlier second than the run: their stat identity is
    # stored (no racy case yet).
    past = time.time() - 100
    for n in names:
        os.utime(os.path.join(src, n), (past, past))
    time.sleep(1.1)
    out = os.path.join(wd, "out")
    batch(opts.coroner, [src, "-o", out, "-q"])
    r1 = stat_rows(out)
    check(all(r1[n][2] is not None for n in names),
          "the stat identity of settled files is not stored", r1)
    opened = opened_dumps(opts, src, out, wd, "0 new, 0 changed, 3 unchanged")
    check(not opened, "a re-run with nothing new read %s" % opened)

    # Rewritten in its header, the same size, mtime put back: only the
    # ctime tells.
    a = os.path.join(src, "a.core")
    st = os.stat(a)
    with open(a, "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 0xff]))
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    st2 = os.stat(a)
    check(st2.st_size == st.st_size and st2.st_mtime_ns == st.st_mtime_ns and
          st2.st_ctime_ns != st.st_ctime_ns, "the rewrite did not keep size and mtime")
    # Touched: a new mtime, the same content.
    t = time.time() - 50
    os.utime(os.path.join(src, "b.core"), (t, t))
    time.sleep(1.1)
    opened = opened_dumps(opts, src, out, wd, "0 new, 2 changed, 1 unchanged, 0 vanished; 2 analyzed")
    check("a.core" in opened and "b.core" in opened and "c.core" not in opened,
          "the rewritten and the touched dump were not read again, or the other was: %s"
          % opened)
    r2 = stat_rows(out)
    check(r2["a.core"][4] != r1["a.core"][4] or r2["a.core"][5] != r1["a.core"][5],
          "the rewritten dump's row was not replaced", r1["a.core"], r2["a.core"])

    # Racy: changed in the second it is read.  Rewritten just after a
    # second began, then the run at once; checked when the run began and
    # ended within the second of the file's ctime.
    c = os.path.join(src, "c.core")
    for _ in range(20):
        while time.time() % 1 > 0.1:
            time.sleep(0.01)
        with open(c, "r+b") as f:
            f.seek(200)
            b = f.read(1)
            f.seek(200)
            f.write(bytes([b[0] ^ 0xff]))
        t0 = time.time()
        batch(opts.coroner, [src, "-o", out, "-q", "-f", "json"])
        t1 = time.time()
        ct = os.stat(c).st_ctime
        if int(ct) == int(t0) == int(t1):
            break
    else:
        L.skip("no run began and ended within the second of a change")
    check(stat_rows(out)["c.core"][2] is None,
          "a dump read in the second it changed was stored with its ctime")
    time.sleep(1.1)
    opened = opened_dumps(opts, src, out, wd, "0 new, 0 changed, 3 unchanged")
    check(opened == ["c.core"], "the racy dump was not read again (or others were): %s"
          % opened)
    check(stat_rows(out)["c.core"][2] is not None,
          "the racy dump, read again and unchanged, did not get its ctime stored")
    opened = opened_dumps(opts, src, out, wd, "0 new, 0 changed, 3 unchanged")
    check(not opened, "a settled dump was read again: %s" % opened)

    # A store of schema version 1: its rows stay; every file is read once.
    # (Version 2 added the stat identity to dumps, 3 to shard_keys, 4 the
    # executable's build id to dumps.)
    db = sqlite3.connect(os.path.join(out, "coroner.db"))
    for col in ("dev", "inode", "ctime"):
        db.execute("ALTER TABLE dumps DROP COLUMN " + col)
        db.execute("ALTER TABLE shard_keys DROP COLUMN " + col)
    db.execute("ALTER TABLE dumps DROP COLUMN build_id")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    opened = opened_dumps(opts, src, out, wd, "0 new, 0 changed, 3 unchanged, 0 vanished; 0 analyzed")
    check(opened == names, "after the schema step, the files read were %s" % opened)
    r3 = stat_rows(out)
    check(all(r3[n][2] is not None for n in names), "the schema step stored no ctime", r3)
    opened = opened_dumps(opts, src, out, wd, "0 new, 0 changed, 3 unchanged")
    check(not opened, "after the schema step, a re-run read %s" % opened)

    # The index is written only when it changes: a run with nothing new
    # leaves the files as they are (the same inode, no rename); one whose
    # index differs (a file edited by hand, a dump gone) writes it.
    ixs = {e: os.path.join(out, "index." + e) for e in ("md", "json")}
    # The store remembers the index files once their times are of an
    # earlier second than a run that finds them holding the index.
    time.sleep(1.1)
    batch(opts.coroner, [src, "-o", out, "-q", "-f", "md,json"])
    before = {e: os.stat(p) for e, p in ixs.items()}
    log = os.path.join(wd, "write.log")
    strace_batch(opts, log, ["-y", "-e", "trace=write,pwrite64,fsync,fdatasync,rename,openat"],
                 [src, "-o", out, "-q", "-f", "md,json"])
    after = {e: os.stat(p) for e, p in ixs.items()}
    check(all((before[e].st_ino, before[e].st_mtime_ns) == (after[e].st_ino, after[e].st_mtime_ns)
              for e in ixs), "a run with nothing new wrote the index again")
    with open(log, errors="replace") as f:
        calls = syscalls(f.read())
    wrote = [c for c in calls if out in c[3] and c[2] != "openat"]
    check(not wrote, "a run with nothing new wrote into OUT (the store's WAL, a sync, "
          "an index file)", wrote[:4])
    # Nor made the index again: the store vouched for its files.
    made = [c for c in calls if c[2] == "openat" and "/index." in c[3]]
    check(not made, "a run with nothing new read or made the index again", made[:2])
    # A report file gone: the index, which the store vouched for, is made
    # again and no longer links it.
    rep = [d for d in load_index(out)["crashes"][0]["buckets"][0]["dumps"]
           if d["path"] == "c.core"][0]["reports"]["json"]
    os.unlink(os.path.join(out, rep))
    batch(opts.coroner, [src, "-o", out, "-q", "-f", "md,json"])
    item = [d for d in load_index(out)["crashes"][0]["buckets"][0]["dumps"]
            if d["path"] == "c.core"][0]
    check(item["reports"]["json"] is None and item["reports"]["md"],
          "the index still links a report file that is gone", item)
    good = open(ixs["md"], "rb").read()
    with open(ixs["md"], "wb") as f:
        f.write(good[:-1] + b"X")
    # (Compared with the file just before the run: the inode of the one
    # two writes ago may be free and given again.)
    old = os.stat(ixs["json"])
    os.unlink(os.path.join(src, "b.core"))
    batch(opts.coroner, [src, "-o", out, "-q", "-f", "md,json"])
    counts = load_index(out)["counts"]
    check(counts["dumps"] == 2, "the index counts %d dumps after one of 3 vanished"
          % counts["dumps"], counts)
    check(os.stat(ixs["json"]).st_ino != old.st_ino,
          "the index was not written again when a dump vanished")
    md = open(ixs["md"], "rb").read()
    check(md != good[:-1] + b"X" and b"b.core" not in md,
          "an index edited by hand was not written again")

    # A stored dump that a new one of its process joins is stored again
    # with the series; its row keeps the stat identity that vouched for it.
    src2, out2 = os.path.join(wd, "dumps2"), os.path.join(wd, "out2")
    os.makedirs(src2)
    s1 = os.path.join(src2, "s1.core")
    with open(s1, "wb") as f:
        f.write(hostile_core(pid=7000))
    os.utime(s1, (past, past))
    time.sleep(1.1)
    batch(opts.coroner, [src2, "-o", out2, "-q"])
    with open(os.path.join(src2, "s2.core"), "wb") as f:
        f.write(hostile_core(pid=7000, threads=2))
    o, _, _ = batch(opts.coroner, [src2, "-o", out2])
    check("1 new, 0 changed, 1 unchanged, 0 vanished; 1 analyzed" in o,
          "the second dump of a process was not analyzed with the first", o)
    r = rows(out2)
    check(r["s1.core"]["report_dir"] == r["s2.core"]["report_dir"],
          "the two dumps of one process are not one series", r)
    check(stat_rows(out2)["s1.core"][2] is not None,
          "a stored dump joined by a new one lost the stat identity that vouched for it")


def proc_state(pid):
    """The state letter of PID ("R", "S", "T", "Z"...), None when gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def waits_on_pipe(pid):
    """Whether PID is blocked in read(2) on a pipe (a worker waiting for
    its next job)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            sc = f.read().split()
        return sc[0] == "0" and os.readlink("/proc/%d/fd/%d"
                                            % (pid, int(sc[1], 16))).startswith("pipe:")
    except (OSError, IndexError, ValueError):
        return False


def report_files(out):
    """Every file under OUT/reports: (inode, mtime_ns, size)."""
    reports = os.path.join(out, "reports")
    return {os.path.relpath(os.path.join(d, n), reports):
            (os.stat(os.path.join(d, n)).st_ino, os.stat(os.path.join(d, n)).st_mtime_ns,
             os.stat(os.path.join(d, n)).st_size)
            for d, _, fs in os.walk(reports) for n in fs}


def case_late(opts, wd):
    src = os.path.join(wd, "dumps")
    os.makedirs(src)
    for i in range(2):
        os.makedirs(os.path.join(wd, "m%d" % i))
        core, _ = L.kernel_core(os.path.join(opts.bindir, "deep_recursion"), ["600000"],
                                os.path.join(wd, "m%d" % i))
        shutil.copy(core, os.path.join(src, "%d-deep.core" % i))
    out = os.path.join(wd, "out")
    batch(opts.coroner, [src, "-o", out, "-j", "1", "-q"])
    stored = report_files(out)
    check(len(stored) == 6, "the first run did not store two dumps' reports", stored)
    limit = "0.25"   # a probe takes a few ms, each analysis 0.5 s or more
    for attempt in range(3):
        p = subprocess.Popen([opts.coroner, "batch", src, "-o", out, "-j", "1", "-q",
                              "--force", "--timeout", limit],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Stopped in the first analysis (a worker holding a dump for
        # 50 ms: a probe takes a few), before its limit, so that the
        # parent kills nothing: the worker does both dumps it holds.
        worker, since, deadline = None, None, time.time() + 60
        while p.poll() is None and time.time() < deadline:
            k = worker_holding(p.pid, "-deep.core")
            if k != worker:
                worker, since = k, time.time()
            elif k and time.time() - since >= 0.05:
                os.kill(p.pid, signal.SIGSTOP)
                break
            time.sleep(0.002)
        while p.poll() is None and proc_state(p.pid) not in ("T", None):
            time.sleep(0.001)
        if p.poll() is None and proc_state(worker) in ("R", "S", "D"):
            break
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
        p.communicate(timeout=120)
        print("attempt %d: the parent was not stopped in time" % attempt)
    else:
        L.skip("never stopped the batch within its first analysis' time limit")
    deadline = time.time() + 120
    while not waits_on_pipe(worker) and time.time() < deadline:
        time.sleep(0.01)
    done = waits_on_pipe(worker)
    os.kill(p.pid, signal.SIGCONT)
    o, e = p.communicate(timeout=120)
    check(done, "the worker did not finish the two dumps it held with its parent stopped")
    check(p.returncode == 8, "status %d, expected 8" % p.returncode,
          o.decode(errors="replace") + e.decode(errors="replace"))
    ix = load_index(out)
    failed = {d["path"]: d["error"] for d in ix["failed"]}
    check(sorted(failed) == ["0-deep.core", "1-deep.core"] and
          all(v.startswith("timed out after %s s (took " % limit) for v in failed.values()),
          "both results, read together after the limit, are not failed as timed out "
          "by their own time", failed)
    now = report_files(out)
    check(now == stored, "a dump that ran past --timeout replaced its stored reports "
          "or left a temporary file", sorted(set(now.items()) ^ set(stored.items())))
    print("parent stopped while its worker did two slow dumps: %s; stored reports kept"
          % failed)


CASES = {"index": case_index, "poison": case_poison, "memory": case_memory, "shard": case_shard,
         "ticket": case_ticket, "durable": case_durable, "syncwait": case_syncwait,
         "symbols": case_symbols, "debugfiles": case_debugfiles,
         "forkwait": case_forkwait,
         "series": case_series, "copies": case_copies, "queue": case_queue,
         "identity": case_identity, "late": case_late}


if __name__ == "__main__":
    L.case_main(CASES, "batch", options=[("--bindir", {"required": True,
                                                     "type": os.path.abspath}),
                                         ("--outdir", {"type": os.path.abspath})])
