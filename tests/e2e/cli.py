#!/usr/bin/env python3
"""The command line and the man page.

  cli.py cli --coroner PATH       options, commands, messages, exit statuses
  cli.py manpage --coroner PATH --man PATH
                                  the man page renders without warnings and
                                  documents every option --help lists
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hostile"))
import e2elib as L  # noqa: E402
from corewriter import Core  # noqa: E402
from e2elib import check  # noqa: E402


def run(coroner, args, cwd):
    st, out, err = L.run_coroner(coroner, args, cwd=cwd, timeout=60)
    return st, out, err


def expect(coroner, wd, args, status, *needles):
    """Run; check the exit status, one error line starting "coroner: " and
    holding each of NEEDLES; return the line."""
    st, out, err = run(coroner, args, wd)
    lines = L.stderr_lines(err)
    check(st == status, "%s: exit %d, expected %d" % (args, st, status), err)
    if status in (0,):
        return out
    check(len(lines) == 1, "%s: expected one error line" % (args,), err)
    line = lines[0]
    check(line.startswith("coroner: "), "%s: the line does not start 'coroner: '" % (args,), line)
    for n in needles:
        check(n in line, "%s: %r not in the error line" % (args, n), line)
    print("%-45s -> %d  %s" % (" ".join(args)[:45], st, line))
    return line


def case_cli(opts):
    wd = L.workdir("cli")
    # Called by a long path (as a build tree or a package runs it): the
    # messages name the program by its base name, not the path.
    deep = os.path.join(wd, "some", "deep", "bin")
    os.makedirs(deep)
    coroner = os.path.join(deep, "coroner")
    os.symlink(os.path.abspath(opts.coroner), coroner)
    for args in (["analyze", "x", "--bogus"], ["frobnicate"], ["analyze", "x", "-f", "pdf"]):
        line = expect(coroner, wd, args, 2)
        check(deep not in line, "%s: the program's path is printed" % args, line)
        check("try 'coroner --help'" in line, "%s: no pointer to --help" % args, line)

    # The option named is the one refused, as the user wrote it.
    refused = [
        (["analyze", "x", "--all-lines", "-zq"], "unknown option '-z'"),   # cluster after a long option
        (["--all-lines", "-zq", "analyze", "x"], "unknown option '-z'"),
        (["analyze", "x", "-qz"], "unknown option '-z'"),
        (["--output=out", "-zq", "analyze", "x"], "unknown option '-z'"),    # after a long option with =
        (["analyze", "x", "--bogus=4"], "unknown option '--bogus'"),
        (["analyze", "x", "--quiet=3"], "option takes no argument: '--quiet'"),
        (["analyze", "x", "-o"], "option wants an argument: '-o'"),
        (["analyze", "x", "-qo"], "option wants an argument: '-o'"),
        (["analyze", "x", "--out"], "option wants an argument: '--out'"),
    ]
    for args, want in refused:
        line = expect(coroner, wd, args, 2, want)
        check("--all-lines" not in line, "%s: names an option that was accepted" % args, line)

    # Directory options: a path that is not a directory is refused with one
    # line naming the option and the path; a directory is taken (the
    # missing dump then fails with 3).
    afile = os.path.join(wd, "a-file")
    with open(afile, "w") as f:
        f.write("not a directory\n")
    missing = os.path.join(wd, "no-such-dir")
    for opt in ("--image-dir", "--symbols", "--debug-dir", "--sysroot"):
        expect(coroner, wd, ["analyze", "no-dump", opt, missing], 2, opt, missing,
               "No such file or directory")
        expect(coroner, wd, ["analyze", "no-dump", opt, afile], 2, opt, afile,
               "not a directory")
        expect(coroner, wd, ["analyze", "no-dump", opt, wd], 3, "no-dump", "cannot open")

    # The command: anywhere among the options, never an option's argument.
    expect(coroner, wd, ["-q", "analyze", "no-dump"], 3, "no-dump")
    expect(coroner, wd, ["-o", "analyze", "analyze", "no-dump"], 3, "no-dump")
    expect(coroner, wd, ["no-dump"], 2, "unknown command 'no-dump'")
    st, out, err = run(coroner, [], wd)
    check(st == 2 and "usage:" in err, "no arguments: exit %d, expected 2 and the usage" % st, err)
    out = expect(coroner, wd, ["--help"], 0)
    check(out.startswith("usage: coroner analyze"), "--help", out)
    out = expect(coroner, wd, ["--version"], 0)
    check(re.fullmatch(r"coroner \d+\.\d+\.\d+\n", out), "--version", out)
    check_passes(coroner, wd)


def check_passes(coroner, wd):
    """--list-passes prints the registry; --skip-pass leaves passes out,
    says so in the problems (information: exit 0), and warns about a name
    the registry does not have without refusing it."""
    for args in (["--list-passes"], ["analyze", "--list-passes"]):
        out = expect(coroner, wd, args, 0)
        names = [line.split()[0] for line in out.splitlines() if line.strip()]
        check(names[:2] == ["crash", "state"] and names[-1] == "summary"
              and all(len(line.split()) > 2 for line in out.splitlines()),
              "%s: not the registry's names and lines in order" % args, out)
    # A crash in a core made here: a null read in thread 100.
    c = Core("x86_64")
    c.load(0x7ffd0000, b"\0" * 0x1000, flags="rw")
    c.thread(tid=100, regs={"rip": 0x401000, "rsp": 0x7ffd0100}, signo=11)
    c.psinfo(pid=100, fname="victim", args="victim")
    c.siginfo(signo=11, code=1, addr=0)
    core = os.path.join(wd, "victim.core")
    with open(core, "wb") as f:
        f.write(c.bytes())

    def analyze(*extra):
        st, out, err = run(coroner, ["analyze", core, "-f", "json", "-o", "-"] + list(extra), wd)
        check(st == 0, "analyze %s: exit %d, expected 0" % (extra, st), err)
        rep = json.loads(out)
        return rep, [p["text"] for p in rep["problems"] if p["source"] == "pass"], err

    rep, problems, err = analyze()
    check(rep["summary"] and not problems and not err.strip(), "all passes: problems", (problems, err))
    rep, problems, err = analyze("--skip-pass", "summary,no-such-pass", "--skip-pass", "signature")
    check(rep["summary"] is None and rep["crash"]["signature"] is None,
          "--skip-pass summary,signature: still run", rep["summary"])
    check(problems == ["pass signature not run (--skip-pass)", "pass summary not run (--skip-pass)"],
          "--skip-pass: the problems do not say which passes were left out", problems)
    lines = L.stderr_lines(err)
    check(len(lines) == 1 and "no pass named 'no-such-pass'" in lines[0]
          and lines[0].startswith("coroner: warning: "),
          "--skip-pass with an unknown name: not one warning", err)
    # The passes that need a skipped one's facts are left out too, as
    # information: the user asked for it.
    rep, problems, err = analyze("--skip-pass", "crash")
    check(rep["crash"]["class"] in (None, "none") and
          "pass state not run: it needs crash (from a pass skipped with --skip-pass)" in problems,
          "--skip-pass crash: its dependents not named", problems)
    check(all(p["severity"] == "information" for p in rep["problems"]),
          "--skip-pass crash: a problem above information", rep["problems"])
    print("--list-passes: %d passes; --skip-pass leaves them out with information problems"
          % len(names))


def help_options(coroner, wd):
    """Every option --help lists: '-o', '--output', ..."""
    st, out, err = run(coroner, ["--help"], wd)
    check(st == 0, "--help: exit %d" % st, err)
    found = []
    for line in out.splitlines():
        m = re.match(r"\s+((?:-\w, )?--[\w-]+)", line)
        if m:
            found += re.findall(r"--?[\w-]+", m.group(1))
    check(len(found) >= 15, "--help lists few options", out)
    return found


def case_manpage(opts):
    wd = L.workdir("manpage")
    if not shutil.which("man") or not shutil.which("groff"):
        L.skip("man or groff not installed")
    env = dict(os.environ, LC_ALL="C", MANWIDTH="80", MAN_KEEP_FORMATTING="")
    r = subprocess.run(["man", "-l", "--warnings=w", opts.man], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    text = r.stdout.decode()
    check(r.returncode == 0, "man -l: exit %d" % r.returncode, r.stderr.decode())
    check(not r.stderr.strip(), "man -l warns", r.stderr.decode())
    r = subprocess.run(["groff", "-man", "-ww", "-z", opts.man],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(r.returncode == 0 and not r.stderr.strip(), "groff -ww warns", r.stderr.decode())
    text = re.sub(r".\x08", "", text)   # overstrike (bold) if any
    sections = re.findall(r"^([A-Z][A-Z ]+)$", text, re.M)
    for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
              "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
        check(s in sections, "section %s missing" % s, sections)
    options = text[text.index("\nOPTIONS\n"):text.index("\nEXIT STATUS\n")]
    # A tagged paragraph: the option at the left margin of the section's
    # indent, its text below, further in.
    items = re.findall(r"^ {7}(-[^\n]*)\n {14}\S", options, re.M)
    documented = set()
    for item in items:
        documented.update(re.findall(r"--?[\w-]+", item))
    with open(opts.man) as f:
        roff = f.read()
    check(roff.count("\n.TP\n") >= len(items) > 0, "options are not .TP items", roff[:2000])
    missing = [o for o in help_options(opts.coroner, wd) if o not in documented]
    check(not missing, "options of --help without an item in the man page: %s" % missing, items)
    print("man page: %d option items, every option of --help among them, no warnings"
          % len(items))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=("cli", "manpage"))
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--man")
    opts = ap.parse_args()
    L.main_wrapper(lambda: case_cli(opts) if opts.case == "cli" else case_manpage(opts))


if __name__ == "__main__":
    main()
