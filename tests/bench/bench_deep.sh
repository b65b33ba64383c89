#!/bin/sh
# bench_deep.sh - coroner vs eu-stack on a stack overflow of more than
# 100,000 frames, and coroner's memory against the size of the core.
#
# The core: Debian's /usr/bin/python3 computing repr() of a list nested 3
# million deep with sys.setrecursionlimit raised, so that C recursion
# (list_repr -> PyObject_Repr -> ...) runs into the stack guard and the
# kernel writes a core.  STACK_MB (default 32) is the stack limit it runs
# with: more stack, more frames.
#
# Goals (issue 3): the whole stack unwound and folded into all three
# reports in less than half the time `eu-stack -n 8000` needs for its first
# 8,000 frames; coroner's memory does not grow with the core's memory
# segments.  For the second goal a second core is made with BALLAST_MB
# (default 1024) more memory in it (a filled bytearray); coroner's peak RSS
# (/usr/bin/time -v) must stay about the same on both cores.
#
#   tests/bench/bench_deep.sh
#   CORONER=path/to/coroner STACK_MB=32 BALLAST_MB=2048 tests/bench/bench_deep.sh
set -eu
. "$(dirname "$0")/common.sh"
need eu-stack elfutils
[ -x /usr/bin/time ] || need /usr/bin/time time
[ -x /usr/bin/python3 ] || need /usr/bin/python3 python3
ensure_built
check_core_pattern
stack_mb=${STACK_MB:-32}
ballast_mb=${BALLAST_MB:-1024}
eu_timeout=${EU_TIMEOUT:-600}

work=$(mktemp -d /tmp/coroner-bench-deep.XXXXXX)
trap 'rm -rf "$work"' EXIT

make_core() {	# make_core DIR BALLAST_MB
	mkdir -p "$1"
	( cd "$1" && ulimit -c unlimited && ulimit -s $((stack_mb * 1024)) &&
	  /usr/bin/python3 -c '
import sys
ballast = bytearray(b"\x5a") * (int(sys.argv[1]) << 20)
sys.setrecursionlimit(10**8)
l = []
for _ in range(3_000_000):
    l = [l]
repr(l)
' "$2" >/dev/null 2>&1 || true ) 2>/dev/null || true
	find_core "$1"
}

# seconds and peak RSS (KiB) of a command, from /usr/bin/time -v
timed() {	# timed LOG COMMAND...
	log=$1; shift
	st=0
	/usr/bin/time -v -o "$log" "$@" >/dev/null 2>&1 || st=$?
	/usr/bin/python3 - "$log" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", t)
h, mnt, s = m.groups()
secs = int(h or 0) * 3600 + int(mnt) * 60 + float(s)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
print("%.3f %d" % (secs, rss))
PY
	return $st
}

core=$(make_core "$work/a" 0)
size_mb=$(( $(stat -c %s "$core") >> 20 ))
echo "core 1: python3 repr() stack overflow, ulimit -s ${stack_mb} MiB, core ${size_mb} MiB"

mkdir -p "$work/out"
set -- $(timed "$work/c.log" "$coroner" analyze "$core" -o "$work/out" --format md,html,json -q) || true
c_secs=$1 c_rss=$2
frames=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = r["threads"][r["crash"]["thread_index"] or 0]
s = t["stack"]
folds = ", ".join("frames %d-%d: %s x %d" % (f["first"], f["last"], f["cycle"], f["repeats"]) for f in s["folds"][:3])
print("%d frames (%s), class %s, end: %s" % (s["frame_count"], folds, r["crash"]["class"], s["end_reason"]))
' "$work/out/$(basename "$core").coroner.json")
echo "coroner: $frames"

set -- $(timed "$work/e.log" timeout "$eu_timeout" eu-stack -n 8000 --core="$core" -e /usr/bin/python3) || true
e_secs=$1 e_rss=$2

echo
echo "coroner analyze, whole stack, md+html+json: ${c_secs}s, peak RSS $((c_rss / 1024)) MiB"
echo "eu-stack -n 8000 (first 8,000 frames):      ${e_secs}s, peak RSS $((e_rss / 1024)) MiB"
r=$(ratio "$c_secs" "$e_secs")
echo "ratio coroner / eu-stack: ${r} (goal < 0.5)"
ok=$(/usr/bin/python3 -c 'import sys; print(int(float(sys.argv[1]) < 0.5))' "$r")

if [ "$ballast_mb" -gt 0 ]; then
	rm -rf "$work/a" "$work/out"/*
	core2=$(make_core "$work/b" "$ballast_mb")
	size2_mb=$(( $(stat -c %s "$core2") >> 20 ))
	set -- $(timed "$work/c2.log" "$coroner" analyze "$core2" -o "$work/out" --format md,html,json -q) || true
	echo
	echo "memory against core size (coroner peak RSS):"
	echo "  core ${size_mb} MiB:  $((c_rss / 1024)) MiB RSS, $c_secs s"
	echo "  core ${size2_mb} MiB: $(($2 / 1024)) MiB RSS, $1 s"
	grow=$(( ($2 - c_rss) / 1024 ))
	echo "  growth: ${grow} MiB of RSS for $((size2_mb - size_mb)) MiB more core (goal: about 0)"
	[ "$grow" -lt $(( (size2_mb - size_mb) / 10 )) ] || ok=0
fi
[ "$ok" = 1 ] && echo "goals met" || { echo "goal NOT met"; exit 1; }
