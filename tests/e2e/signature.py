"""End-to-end test of crash signatures and buckets (issue 11, item 1): real
kernel cores of corpus/sigbug.c from two builds (-O0 PIE, -O2 -no-pie),
two bugs and a recursion that overflows the stack at two stack limits.

  signature.py --coroner PATH --bindir DIR

The same bug from the two builds must share its signature and bucket;
reading and writing at the same code site too (the crash class does not
make the bucket); the two bugs must not share a bucket; the two overflows,
cut at different depths, must be keyed on the recursion's cycle; no
signature may hold an absolute address.  Each build carries a package note
of its own version (tests/signature.cmake): the reports name it, and a
`coroner batch` of both builds' cores lists both versions in the one
bucket.  Exit 0 pass, 1 fail, 77 skip.
"""

import argparse
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as L  # noqa: E402
from e2elib import check  # noqa: E402

BUILDS = ("sigbug-O0", "sigbug-O2")
VERSIONS = {"sigbug-O0": "1.0-1", "sigbug-O2": "1.1-1"}	# their package notes
# "0x7ffd...": an address not tied to a module ("app+0x1010" is fine)
ABSOLUTE = re.compile(r"(?<![+\w])0x[0-9a-fA-F]+")


def crash_of(opts, wd, build, mode, stack_bytes=None, extra=()):
    name = "-".join([build, mode] + [str(x) for x in (stack_bytes,) + tuple(extra) if x])
    d = os.path.join(wd, name)
    os.makedirs(d)
    core, _ = L.kernel_core(os.path.join(opts.bindir, build), [mode], d,
                            stack_bytes=stack_bytes)
    rep, paths, _, _ = L.analyze(opts.coroner, core, os.path.join(d, "out"), extra)
    c = rep["crash"]
    check(not ABSOLUTE.search(c["signature"] or ""),
          "%s: signature %r holds an absolute address" % (name, c["signature"]))
    check(re.fullmatch(r"[0-9a-f]{12}", c["bucket"] or ""),
          "%s: bucket %r is not 12 hex digits" % (name, c["bucket"]))
    check(c["exit_code"] == "SIGSEGV", "%s: exit_code %r" % (name, c["exit_code"]))
    print("%-28s %-26s %s  %s" % (name, c["class"], c["bucket"], c["signature"]))
    c["_core"] = core	# for check_versions (got[] keeps the crash)
    c["_modules"] = rep["modules"]
    with open(paths["md"]) as f:
        c["_md"] = f.read()
    return rep


def check_versions(opts, wd, got):
    """The version of each build, from its package note, in its report and
    in the batch index's bucket of the read and write crashes."""
    dumps = os.path.join(wd, "batch-dumps")
    os.makedirs(dumps)
    for b in BUILDS:
        mains = [m for m in got[b, "read"]["_modules"] if m.get("main")]
        check(len(mains) == 1 and mains[0].get("version") == VERSIONS[b],
              "%s: the program's version is not its package note's %s" % (b, VERSIONS[b]),
              json.dumps(mains))
        check("\n| Version | %s |\n" % VERSIONS[b] in got[b, "read"]["_md"],
              "%s: the Markdown report's process table has no Version %s" % (b, VERSIONS[b]))
        for mode in ("read", "write"):
            shutil.copy(got[b, mode]["_core"], os.path.join(dumps, "%s-%s.core" % (b, mode)))
    out = os.path.join(wd, "batch-out")
    st, o, e = L.run_coroner(opts.coroner, ["batch", dumps, "-o", out, "-j", "2", "-q"])
    check(st == 0, "coroner batch: status %d" % st, o + e)
    with open(os.path.join(out, "index.json")) as f:
        ix = json.load(f)
    buckets = [bk for c in ix["crashes"] for bk in c["buckets"]]
    check(len(buckets) == 1 and buckets[0]["count"] == 4 and
          sorted(buckets[0]["versions"]) == sorted(VERSIONS.values()),
          "the index's bucket of both builds does not list both versions",
          json.dumps([(bk["count"], bk["versions"]) for bk in buckets]))
    # And both builds by their build ids, as the reports give them.
    ids = sorted([m["build_id"] for m in got[b, "read"]["_modules"] if m.get("main")][0]
                 for b in BUILDS)
    check(len(set(ids)) == 2 and all(re.fullmatch(r"[0-9a-f]{40}", i) for i in ids) and
          buckets[0]["builds"] == ids,
          "the bucket's builds are not the two programs' build ids %s" % ids,
          json.dumps(buckets[0]["builds"]))
    print("versions: %s in the reports and in the bucket's %s; builds %s"
          % (", ".join(VERSIONS.values()), buckets[0]["versions"], buckets[0]["builds"]))


def run(opts):
    wd = L.workdir("signature")
    got = {}
    for b in BUILDS:
        for mode in ("read", "write", "other"):
            got[b, mode] = crash_of(opts, wd, b, mode)["crash"]

    want = "SIGSEGV parse_record | load_records | main"
    for b in BUILDS:
        check(got[b, "read"]["signature"] == want,
              "%s read: signature %r, want %r" % (b, got[b, "read"]["signature"], want))
        check(got[b, "read"]["signature_frames"] == ["parse_record", "load_records", "main"],
              "%s read: frames %r" % (b, got[b, "read"]["signature_frames"]))
    for mode in ("read", "write", "other"):
        a, b = got[BUILDS[0], mode], got[BUILDS[1], mode]
        check(a["bucket"] == b["bucket"],
              "%s: the two builds do not share a bucket: %s %r / %s %r"
              % (mode, a["bucket"], a["signature"], b["bucket"], b["signature"]))
    for b in BUILDS:
        r, w, o = got[b, "read"], got[b, "write"], got[b, "other"]
        check(r["bucket"] == w["bucket"],
              "%s: read (%s) and write (%s) at one site differ: %s / %s"
              % (b, r["class"], w["class"], r["bucket"], w["bucket"]))
        check(o["bucket"] != r["bucket"],
              "%s: two bugs share bucket %s (%r, %r)"
              % (b, r["bucket"], r["signature"], o["signature"]))
        check(o["signature"] == "SIGSEGV checksum | verify_records | main",
              "%s other: signature %r" % (b, o["signature"]))

    check_versions(opts, wd, got)

    # Overflows of one recursion, 1 MiB and 4 MiB stacks, two builds.
    deep = {}
    for b, stack in ((BUILDS[0], 1 << 20), (BUILDS[1], 4 << 20)):
        rep = crash_of(opts, wd, b, "recurse", stack_bytes=stack)
        t = L.crashed_thread(rep)
        deep[b] = (rep["crash"], t["stack"]["frame_count"])
    (a, na), (b, nb) = deep[BUILDS[0]], deep[BUILDS[1]]
    check(na != nb, "the two overflows have the same depth (%d frames)" % na)
    check(a["signature"] == "SIGSEGV recursion(visit | walk) | main",
          "overflow: signature %r" % a["signature"])
    check(a["bucket"] == b["bucket"] and a["signature"] == b["signature"],
          "overflows at depths %d and %d differ: %r / %r" % (na, nb, a["signature"], b["signature"]))
    check(a["bucket"] != got[BUILDS[0], "read"]["bucket"], "overflow shares the bug's bucket")

    # --signature-frames: fewer frames, another bucket.
    short = crash_of(opts, wd, BUILDS[0], "read", extra=("--signature-frames", "2"))["crash"]
    check(short["signature_frames"] == ["parse_record", "load_records"],
          "--signature-frames 2: %r" % short["signature_frames"])
    print("read/write/other x 2 builds, overflows of %d and %d frames: buckets as expected" % (na, nb))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coroner", required=True)
    ap.add_argument("--bindir", required=True)
    opts = ap.parse_args()
    L.main_wrapper(lambda: run(opts))


if __name__ == "__main__":
    main()
