"""The Markdown report fits a ticket: GitHub refuses a comment over 65,536
characters, and a core of a process with many threads of distinct stacks
used to give several times that.

A kernel core of corpus/many_stacks (100 blocked threads, each with a
stack of its own, then main aborts) is analyzed:

  default   the Markdown is under 60,000 characters, cmark-gfm -e table
            renders every table in it, it has the summary, the crash facts
            and the crashing thread's stack, then thread groups in order;
            the groups left out are counted in a note that names the HTML
            report, and the HTML report still has all 101 groups
  budget    --md-budget 20000 keeps it under 20,000 characters, with fewer
            groups; --md-budget 0 keeps everything (the 101 groups)
  brief     --brief: the crashing thread only (no thread groups, modules
            or process facts), with a note of what was left out

Exits 77 when the kernel does not write cores where the test can find them.
"""

import argparse
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402

THREADS = 100
LIMIT = 60000


def chars(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def rendered_tables(path):
    """(tables in the Markdown, <table> elements cmark-gfm renders)."""
    _, _, html = L.render_markdown(path)
    md = chars(path)
    delims = len(re.findall(r"^\|( :?-{3,}:? \|)+$", md, re.M))
    return delims, len(re.findall(r"<table>", html))


def groups_shown(md):
    return [int(n) for n in re.findall(r"^### Group (\d+):", md, re.M)]


def make_core(opts):
    wd = L.workdir("md-budget")
    core, _ = L.kernel_core(os.path.join(opts.bindir, "many_stacks"),
                            [str(THREADS), "abort"], wd, expect_signal=signal.SIGABRT)
    return core, wd


def analyze_md(opts, core, wd, name, extra=()):
    out = os.path.join(wd, name)
    rep, paths, _, _ = L.analyze(opts.coroner, core, out, extra=extra)
    md = chars(paths["md"])
    return rep, paths, md


def check_head(md):
    """What a ticket reader needs first is always there."""
    L.check(md.startswith("# coroner report: many_stacks"), "no title", md[:300])
    L.check("## What happened" in md and "| Signal | SIGABRT (6) |" in md,
            "no crash facts", md[:2000])
    L.check(re.search(r"^## Stack of the crashing thread", md, re.M),
            "no crashing thread's stack", md[:3000])
    L.check(re.search(r"abort\+0x[0-9a-f]+ ", md), "no abort frame in the focus stack", md[:3000])


def case_default(opts):
    core, wd = make_core(opts)
    rep, paths, md = analyze_md(opts, core, wd, "default")
    ngroups = len(rep["groups"])
    n = len(md)
    tables, rendered = rendered_tables(paths["md"])
    shown = groups_shown(md)
    print("Markdown: %d characters (%d bytes) of a %d-thread core; %d of %d thread groups "
          "shown; %d tables, %d rendered by cmark-gfm"
          % (n, len(md.encode()), THREADS + 1, len(shown), ngroups, tables, rendered))
    L.check(ngroups == THREADS + 1, "%d thread groups, not %d" % (ngroups, THREADS + 1))
    L.validate_markdown(paths["md"])
    L.check(n < LIMIT, "the Markdown report has %d characters (limit %d)" % (n, LIMIT))
    L.check(tables > 0 and rendered == tables, "cmark-gfm renders %d of the %d tables"
            % (rendered, tables))
    check_head(md)
    L.check(shown and shown == list(range(1, len(shown) + 1)),
            "thread groups not shown in order from the first", shown[:20])
    html = chars(paths["html"])
    in_html = len(re.findall(r"<summary>(?:<span>)?Group \d+:", html))
    L.check(in_html == THREADS + 1, "the HTML report has %d groups, not %d" % (in_html, THREADS + 1))
    L.check(len(shown) < THREADS + 1, "every group fits: the test no longer tests the budget")
    m = re.search(r"(\d+) more thread groups? \(([\d,]+) threads?\)[^\n]*"
                  + re.escape(os.path.basename(paths["html"])), md)
    L.check(m, "no note counting the groups left out and naming the HTML report",
            md[-1500:])
    L.check(int(m.group(1)) + len(shown) == THREADS + 1,
            "the note counts %s groups left out, %d shown, of %d"
            % (m.group(1), len(shown), THREADS + 1))


def case_budget(opts):
    core, wd = make_core(opts)
    _, paths, md = analyze_md(opts, core, wd, "small", ["--md-budget", "20000"])
    small = groups_shown(md)
    print("--md-budget 20000: %d characters, %d groups" % (len(md), len(small)))
    L.check(len(md) < 20000, "--md-budget 20000 gave %d characters" % len(md))
    check_head(md)
    tables, rendered = rendered_tables(paths["md"])
    L.check(rendered == tables, "cmark-gfm renders %d of the %d tables" % (rendered, tables))
    _, _, md = analyze_md(opts, core, wd, "all", ["--md-budget", "0"])
    print("--md-budget 0: %d characters, %d groups" % (len(md), len(groups_shown(md))))
    L.check(len(groups_shown(md)) == THREADS + 1, "--md-budget 0 left groups out")
    L.check(len(small) < len(groups_shown(md)), "the smaller budget shows as many groups")
    status, _, err = L.run_coroner(opts.coroner, ["analyze", core, "-o", wd, "--md-budget", "x"])
    L.check(status == 2, "--md-budget x: exit %d, not 2 (usage)" % status, err)


def case_brief(opts):
    core, wd = make_core(opts)
    _, paths, md = analyze_md(opts, core, wd, "brief", ["--brief"])
    print("--brief: %d characters" % len(md))
    check_head(md)
    L.check(not groups_shown(md), "--brief shows thread groups")
    L.check("## Modules" not in md and "## Process" not in md,
            "--brief shows the module table or the process facts")
    L.check(re.search(r"--brief", md), "--brief does not say what it left out", md[-800:])
    tables, rendered = rendered_tables(paths["md"])
    L.check(rendered == tables, "cmark-gfm renders %d of the %d tables" % (rendered, tables))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["default", "budget", "brief"])
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--bindir", required=True)
    opts = ap.parse_args()
    L.main_wrapper(lambda: {"default": case_default, "budget": case_budget,
                            "brief": case_brief}[opts.case](opts))


if __name__ == "__main__":
    main()
