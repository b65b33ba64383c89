"""The HTML report as people see it: screenshots and layout facts measured
by headless Chromium, the printed report, and the style sheet's rules.

Cases:
  style    (no browser) the <style> of a report of corpus/sample holds the
           rules that keep addresses, numbers and trust words whole, let
           only path and source cells break anywhere, scroll wide tables,
           print closed <details>, and colour the summary by crash / no
           crash and for a dark scheme; and the writer sets those classes
  layout   reports of a crash (kernel core of corpus null_deref), a hang
           with 41 threads of distinct stacks (kernel core of
           corpus many_stacks killed with SIGQUIT) and a Windows hang
           (hang.exe under wine, skipped without wine): for each,
           a screenshot at 1280 px into --outdir (NAME.png, with every
           <details> open: the page measured), the layout measured
           in the browser (tests/screens/measure.js, injected into a copy
           of the report: no nowrap cell on two lines, no word broken
           outside path/source cells, no cell overflowing, the page not
           wider than the window), and the report printed to PDF
           (--print-to-pdf, read back with pdftotext): every function of
           a frame inside a <details> that was closed is in the PDF.
           The crash report also with prefers-color-scheme: dark
           (NAME-dark.png): light text on a dark page.

The figures measured are printed.  Exits 77 when chromium (layout) or the
dumps cannot be made.
"""

import argparse
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2elib as L  # noqa: E402

WIDTH = 1280
CHROMIUM_TIMEOUT = 120
HANG_THREADS = 40


# ---------------------------------------------------------------- browser

def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    L.skip("chromium not installed (Debian package chromium)")


def run_chromium(args, wd):
    """Headless Chromium with ARGS; its own profile in WD (no state shared
    with another run).  Returns stdout as text."""
    argv = [chromium(), "--headless", "--disable-gpu", "--no-sandbox",
            "--hide-scrollbars", "--no-first-run", "--disable-extensions",
            "--user-data-dir=" + os.path.join(wd, "chromium-profile")] + args
    t0 = time.time()
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=CHROMIUM_TIMEOUT)
        if os.environ.get("CORONER_SCREENS_TIMES"):
            print("  chromium %s: %.1f s" % (" ".join(args[:-1]), time.time() - t0))
    except subprocess.TimeoutExpired:
        raise L.Failure("FAIL: chromium %s did not finish within %ds"
                        % (args[-1], CHROMIUM_TIMEOUT))
    L.check(r.returncode == 0, "chromium failed (%d): %s" % (r.returncode, " ".join(args)),
            r.stderr.decode(errors="replace")[-2000:])
    return r.stdout.decode(errors="replace")


def url(path):
    return "file://" + os.path.abspath(path)


def with_script(report, out, script):
    """A copy of REPORT with SCRIPT run at the end of its body."""
    with open(report, encoding="utf-8") as f:
        text = f.read()
    L.check("</body>" in text, "%s has no </body>" % report)
    i = text.rindex("</body>")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text[:i] + "<script>\n" + script + "\n</script>\n" + text[i:])


def measure(report, wd, png, height):
    """The layout facts measure.js finds in REPORT at WIDTH px, and a
    screenshot PNG of the page it measured (every <details> open)."""
    with open(os.path.join(HERE, "measure.js"), encoding="utf-8") as f:
        js = f.read()
    page = os.path.join(wd, "measured.html")
    with_script(report, page, js)
    # One browser start for both (each start takes seconds).
    dom = run_chromium(["--window-size=%d,%d" % (WIDTH, height), "--screenshot=" + png,
                        "--dump-dom", url(page)], wd)
    L.check(os.path.exists(png) and os.path.getsize(png) > 0, "no screenshot %s" % png)
    # The last match: the script's own comment names the element too.
    found = re.findall(r'<pre id="cr-layout" hidden="">([^<]*)</pre>', dom)
    L.check(found, "measure.js wrote no result (a script error?)", dom[-2000:])
    return json.loads(html.unescape(found[-1]))


def pdf_text(report, wd):
    """The text of REPORT printed by Chromium to PDF, without whitespace
    (a line break in a narrow column must not hide a name)."""
    pdftotext = shutil.which("pdftotext")
    L.check(pdftotext, "pdftotext not installed (Debian package poppler-utils)")
    pdf = os.path.join(wd, "printed.pdf")
    run_chromium(["--no-pdf-header-footer", "--print-to-pdf=" + pdf, url(report)], wd)
    L.check(os.path.exists(pdf), "chromium wrote no PDF")
    r = subprocess.run([pdftotext, pdf, "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    L.check(r.returncode == 0, "pdftotext failed", r.stderr.decode(errors="replace"))
    return re.sub(r"\s+", "", r.stdout.decode(errors="replace"))


DARK_JS = """(function () {
	var b = getComputedStyle(document.body), s = document.querySelector(".summary");
	var pre = document.createElement("pre");
	pre.id = "cr-colors";
	pre.hidden = true;
	pre.textContent = JSON.stringify({ bg: b.backgroundColor, fg: b.color,
		summary: s ? getComputedStyle(s).borderLeftColor : null });
	document.body.appendChild(pre);
})();"""


def luminance(css_color):
    """Relative luminance 0..1 of "rgb(r, g, b)"."""
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_color)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def check_dark(name, report, outdir):
    """The report with prefers-color-scheme: dark: light text on a dark
    page; a screenshot NAME-dark.png."""
    wd = L.workdir("screens-dark-" + name)
    page = os.path.join(wd, "dark.html")
    with_script(report, page, DARK_JS)
    png = os.path.join(outdir, name + "-dark.png")
    dom = run_chromium(["--blink-settings=preferredColorScheme=0",
                        "--window-size=%d,1400" % WIDTH, "--screenshot=" + png,
                        "--dump-dom", url(page)], wd)
    found = re.findall(r'<pre id="cr-colors" hidden="">([^<]*)</pre>', dom)
    L.check(found, "the colour script wrote no result", dom[-2000:])
    c = json.loads(html.unescape(found[-1]))
    print("%s, dark: background %s, text %s, summary border %s"
          % (name, c["bg"], c["fg"], c["summary"]))
    L.check(luminance(c["bg"]) < 0.2 and luminance(c["fg"]) > 0.7,
            "%s: prefers-color-scheme: dark does not give light text on a dark page" % name, c)


def check_report(name, report, outdir, tall):
    """Screenshots of REPORT, its layout measured and its print checked."""
    wd = L.workdir("screens-" + name)
    os.makedirs(outdir, exist_ok=True)
    res = measure(report, wd, os.path.join(outdir, name + ".png"), tall)

    scrolling = [t for t in res["tables"] if t["scrolls"]]
    print("%s: %d px window; %d one-line cells' texts, %d words checked; "
          "%d tables (%d wider than their box, scrolling: %s); page %d/%d px; "
          "%d functions in closed <details>"
          % (name, res["viewport"], res["nowrap"]["checked"], res["words"]["checked"],
             len(res["tables"]), len(scrolling),
             ", ".join("%s %d>%d px" % (t["cls"], t["width"], t["box"]) for t in scrolling)
             or "none", res["page"]["scrollWidth"], res["page"]["clientWidth"],
             len(res["closed"])))
    L.check(res["nowrap"]["checked"] > 0 and res["words"]["checked"] > 0,
            "%s: nothing measured" % name, res)
    L.check(not res["nowrap"]["bad"], "%s: cells that must stay on one line wrap" % name,
            res["nowrap"]["bad"])
    L.check(not res["words"]["bad"], "%s: words broken across lines" % name,
            res["words"]["bad"])
    L.check(not res["overflow"], "%s: cell contents stick out of their cells" % name,
            res["overflow"])
    L.check(res["page"]["scrollWidth"] <= res["page"]["clientWidth"],
            "%s: the page scrolls sideways (%d px > %d px)"
            % (name, res["page"]["scrollWidth"], res["page"]["clientWidth"]))
    L.check(all(t["wrapped"] for t in res["tables"]),
            "%s: a table outside a .table-wrap" % name, res["tables"])

    text = pdf_text(report, wd)
    missing = sorted({f for f in res["closed"] if re.sub(r"\s+", "", f) not in text})
    print("%s: printed: %d of %d functions of closed <details> in the PDF text"
          % (name, len(set(res["closed"])) - len(missing), len(set(res["closed"]))))
    L.check(not missing, "%s: the printed report lacks frames of closed groups" % name,
            missing[:20])
    return res


# ---------------------------------------------------------------- dumps

def analyze(opts, core, wd, expect_status=(0,)):
    rep, paths, _, _ = L.analyze(opts.coroner, core, os.path.join(wd, "out"),
                                 expect_status=expect_status)
    return rep, paths["html"]


def crash_report(opts):
    wd = L.workdir("screens-crash")
    core, _ = L.kernel_core(os.path.join(opts.bindir, "null_deref"), [], wd,
                            expect_signal=signal.SIGSEGV)
    return analyze(opts, core, wd)


def hang_core(prog, args, wd):
    """A kernel core of PROG ARGS, a program that hangs: started, waited
    for until it prints "ready", then ended with SIGQUIT (core dumped), as
    a user ends a hung program from the terminal with Ctrl-\\."""
    return L.kernel_core_on_demand(prog, args, wd)[0]


def hang_report(opts):
    wd = L.workdir("screens-hang")
    core = hang_core(os.path.join(opts.bindir, "many_stacks"), [str(HANG_THREADS)], wd)
    rep, page = analyze(opts, core, wd)
    L.check(len(rep["threads"]) == HANG_THREADS + 1, "the hang core has %d threads, not %d"
            % (len(rep["threads"]), HANG_THREADS + 1))
    return rep, page


def windows_report(opts):
    """hang.exe's minidump of itself under wine; None when wine is not
    there (that case is then skipped, with a message)."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
    import windows as W
    wopts = argparse.Namespace(wine=opts.wine, bindir=opts.winbin, prefix=opts.prefix,
                               coroner=opts.coroner, nm=None)
    if not wopts.wine or not os.path.exists(wopts.wine) or not wopts.bindir or \
            not os.path.exists(os.path.join(wopts.bindir, "hang.exe")):
        print("SKIP windows: wine64 or the mingw-w64 build of corpus/windows is missing")
        return None
    wd = L.workdir("screens-windows")
    dump = W.make_dump(wopts, "hang", wd)
    # Wine writes no context for the thread calling MiniDumpWriteDump (exit 1).
    return analyze(opts, dump, wd, expect_status=(0, 1))


def case_layout(opts):
    chromium()
    t0 = time.time()
    rep, page = crash_report(opts)
    check_report("crash", page, opts.outdir, 2000)
    check_dark("crash", page, opts.outdir)
    rep, page = hang_report(opts)
    res = check_report("hang", page, opts.outdir, 6000)
    # Thread K goes through stepL_right when bit L of K is set.
    steps = {"step%d_%s" % (n, side) for n in range(7) for side in ("left", "right")
             if side == "left" or (1 << n) < HANG_THREADS}
    seen = {f.split("+")[0] for f in res["closed"]}
    L.check(steps <= seen, "the hang report's closed groups lack %s" % sorted(steps - seen))
    win = windows_report(opts)
    if win:
        res = check_report("windows", win[1], opts.outdir, 3000)
        L.check(any(f.startswith("RtlEnterCriticalSection") for f in res["closed"]),
                "the Windows hang report has no RtlEnterCriticalSection frame in a "
                "closed group", sorted(set(res["closed"])))
    print("screenshots in %s (%.1f s)" % (opts.outdir, time.time() - t0))


# ---------------------------------------------------------------- style

def css_rules(css):
    """[(media, selector, {property: value})] of CSS text; MEDIA is the
    enclosing at-rule ("@media print"), None at the top level."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules, stack, last = [], [], 0
    for m in re.finditer(r"[{}]", css):
        text = css[last:m.start()]
        last = m.end()
        if m.group(0) == "{":
            stack.append(text.strip())
            continue
        head = stack.pop() if stack else ""
        if head.startswith("@"):
            continue
        decls = {}
        for d in text.split(";"):
            if ":" in d:
                k, v = d.split(":", 1)
                decls[k.strip()] = v.strip()
        media = stack[-1] if stack else None
        for sel in head.split(","):
            rules.append((media, sel.strip(), decls))
    return rules


def case_style(opts):
    sample = os.path.join(L.source_dir(), "corpus", "sample")
    wd = L.workdir("screens-style")
    rep, paths, _, _ = L.analyze(opts.coroner, os.path.join(sample, "null_deref.core"),
                                 os.path.join(wd, "out"), extra=["--image-dir", sample])
    with open(paths["html"], encoding="utf-8") as f:
        page = f.read()
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    L.check(len(styles) == 1, "%d <style> elements" % len(styles))
    rules = css_rules(html.unescape(styles[0]))
    screen = [(s, d) for m, s, d in rules if m is None]

    def decl(selector, prop, media=None):
        return [d.get(prop) for m, s, d in rules
                if s == selector and m == media and prop in d]

    # The stack's cells have no class: the rules name its columns by
    # position (checked against its header row below).
    def col(n):
        return "table.stack tr:not(.fold)>td:nth-child(%d)" % n
    for sel in (".addr", ".num", ".mono", "code", "th", col(1), col(2), col(4), col(6)):
        L.check("nowrap" in decl(sel, "white-space"),
                "no white-space: nowrap for %s" % sel, rules)
    for sel in (".path", col(5)):
        L.check("anywhere" in decl(sel, "overflow-wrap"),
                "no overflow-wrap: anywhere for %s" % sel)
    # The defect: one rule breaking every cell anywhere.
    anywhere = {s for s, d in screen if d.get("overflow-wrap") == "anywhere"
                or d.get("word-break") in ("break-all", "break-word")}
    L.check(anywhere <= {".path", col(5), "h1", ".summary", "summary", "p.finding-title"},
            "overflow-wrap: anywhere on more than paths and titles: %s" % sorted(anywhere))
    L.check("auto" in decl(".table-wrap", "overflow-x"), "tables do not scroll in .table-wrap")
    crash, ok = decl(".summary.crash", "border-left-color"), decl(".summary.no-crash", "border-left-color")
    L.check(crash and ok and crash != ok, "the summary box has no crash / no-crash colours")
    L.check(any(m and "prefers-color-scheme:dark" in m.replace(" ", "") for m, s, d in rules),
            "no prefers-color-scheme: dark colours")
    L.check(any(m == "@media print" and s == "details::details-content"
                and d.get("content-visibility") == "visible" for m, s, d in rules),
            "printing does not show the content of closed <details>")
    L.check(re.search(r'<script>[^<]*beforeprint[^<]*\.open\s*=\s*true', page),
            "no beforeprint handler opening <details>")

    # The writer sets the classes the rules style.
    L.check('<p class="summary crash">' in page, "a crash's summary is not .summary.crash")
    stacks = re.findall(r'<table class="stack">\s*<tr>(.*?)</tr>', page, re.S)
    L.check(stacks, "no stack table")
    for heads in stacks:
        L.check(re.findall(r"<th>([^<]*)</th>", heads) ==
                ["#", "Address", "Function", "Module", "Source", "Trust"],
                "the stack's columns are not those its rules style by position", heads)
    tables = len(re.findall(r"<table", page))
    wrapped = len(re.findall(r'<div class="table-wrap">\s*<table', page))
    L.check(tables == wrapped, "%d of %d tables in a .table-wrap" % (wrapped, tables))
    print("style: %d rules; %d tables, all in .table-wrap" % (len(rules), tables))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["style", "layout"])
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--bindir", help="the corpus programs")
    ap.add_argument("--outdir", help="where the screenshots go")
    ap.add_argument("--wine", default="", help="wine64 (empty: not installed)")
    ap.add_argument("--winbin", default="", help="where hang.exe was built")
    ap.add_argument("--prefix", default="", help="WINEPREFIX")
    opts = ap.parse_args()
    L.main_wrapper(lambda: {"style": case_style, "layout": case_layout}[opts.case](opts))


if __name__ == "__main__":
    main()
