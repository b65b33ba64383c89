#!/bin/sh
# bench_regress.sh - has coroner become slower?  Times two builds of
# coroner on the inputs of the other benchmarks, in one hyperfine run each,
# and fails when the new one is more than 5% slower on any of them.
#
# Inputs, made at run time as the other benchmarks make them:
#   threads  a kernel core of corpus/idle_threads (10 threads)
#   deep     a python3 repr() stack overflow core (> 100,000 frames)
#   minidump the synthesized full-memory Windows minidump (SIZE_MB, default
#            512, 200 threads) of bench_minidump.sh
#
#   BASELINE=/path/to/old/coroner tests/bench/bench_regress.sh
#   BASELINE=old CORONER=new BUILD_DIR=dir tests/bench/bench_regress.sh
#
# Each input gets two verdicts, each against LIMIT (default 1.05): wall
# time, the median of RUNS (default 30) hyperfine runs of each build, run
# under `chrt -f 50` when root (the real-time class keeps the machine's
# other processes off the CPUs while coroner runs; wall time is still only
# meaningful on a quiet machine: see the load average printed); and with
# INSTR=1 (the default) the instructions executed, each build run once
# under valgrind's callgrind, which do not depend on the machine's load
# but count none of the page faults and library loading that dominate a
# small core's wall time (tests/bench/README.md).  FORMATS (default
# "md,html,json") is a space-separated list of --format values, each
# timed on every input.  The exit status is 1 when any verdict misses.
#
# ROUNDS (default RUNS: one run of each build per round) splits each
# input's RUNS into that many hyperfine runs that alternate which build
# goes first, and the medians are taken over all of them: a load that
# drifts during the minute (another process starting, the page cache
# filling) then falls on both builds alike, where one hyperfine run times
# every run of the first before the second.  The builds warm up (2 runs
# each) in the first round only.  On this VM the machine's speed changes
# from one second to the next (the same build's deep core: 208 ms, then
# 298 ms): rounds of 6 runs once made a 0.98x input read 1.10x.
# KEEP=dir keeps the three inputs there and reuses them on the next run.
#
# A baseline is any older build: `git worktree add /tmp/old REV` and build
# it there, or keep a copy of build/coroner before a change.
set -eu
. "$(dirname "$0")/common.sh"
need hyperfine hyperfine
[ -n "${BASELINE:-}" ] && [ -x "$BASELINE" ] ||
	{ echo "bench: set BASELINE to the older coroner binary" >&2; exit 2; }
ensure_built corpus_idle_threads make_big_minidump
check_core_pattern
runs=${RUNS:-30}
size_mb=${SIZE_MB:-512}
limit=${LIMIT:-1.05}
instr=${INSTR:-1}
[ "$instr" = 0 ] || need valgrind valgrind

# instructions DUMP BINARY OUTDIR FORMAT: user-space instructions of one analysis
instructions() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$2" analyze "$1" \
		-o "$3" --format "$4" -q 2>&1 >/dev/null |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}

# verdict RATIO: ok, or SLOWER (and the run fails)
verdict() {
	if /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$limit"; then
		echo ok
	else
		echo "SLOWER than ${limit}x"
	fi
}

rt=
[ "$(id -u)" -eq 0 ] && command -v chrt >/dev/null 2>&1 && rt="chrt -f 50"
formats=${FORMATS:-md,html,json}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)${rt:+; hyperfine under $rt}"

rounds=${ROUNDS:-$runs}
[ "$rounds" -ge 1 ] && [ "$rounds" -le "$runs" ] || rounds=1
work=$(mktemp -d /tmp/coroner-bench-regress.XXXXXX)
trap 'rm -rf "$work"' EXIT
inputs=${KEEP:-$work}
mkdir -p "$inputs/threads" "$inputs/deep" "$work/out-a" "$work/out-b"

[ -n "$(find_core "$inputs/threads" 2>/dev/null)" ] ||
( cd "$inputs/threads" && ulimit -c unlimited && "$build/corpus/idle_threads" 9 crash >/dev/null 2>&1 || true ) 2>/dev/null || true
threads_core=$(find_core "$inputs/threads")
[ -n "$(find_core "$inputs/deep" 2>/dev/null)" ] ||
( cd "$inputs/deep" && ulimit -c unlimited && ulimit -s 32768 &&
  /usr/bin/python3 -c '
import sys
sys.setrecursionlimit(10**8)
l = []
for _ in range(3_000_000):
    l = [l]
repr(l)
' >/dev/null 2>&1 || true ) 2>/dev/null || true
deep_core=$(find_core "$inputs/deep")
[ -s "$inputs/big.dmp" ] ||
	"$build/tests/make_big_minidump" "$inputs/big.dmp" "$size_mb" 200 >/dev/null
[ -n "$threads_core" ] && [ -n "$deep_core" ] ||
	{ echo "bench: no core was written (core_pattern?)" >&2; exit 2; }

# pooled_median NAME JSON...: the median of command NAME's times in all
pooled_median() {
	/usr/bin/python3 -c 'import json,sys,statistics
t = [x for f in sys.argv[2:] for r in json.load(open(f))["results"]
     if r["command"] == sys.argv[1] for x in r["times"]]
print("%.4f" % statistics.median(t))' "$@"
}

status=0
for input in threads:"$threads_core" deep:"$deep_core" minidump:"$inputs/big.dmp"; do
	name=${input%%:*} dump=${input#*:}
	for fmt in $formats; do
		a="$BASELINE analyze $dump -o $work/out-a --format $fmt -q"
		b="$coroner analyze $dump -o $work/out-b --format $fmt -q"
		r=1
		while [ "$r" -le "$rounds" ]; do
			if [ $((r % 2)) -eq 1 ]; then
				set -- -n baseline "$a" -n new "$b"
			else
				set -- -n new "$b" -n baseline "$a"
			fi
			warm=0
			[ "$r" -gt 1 ] || warm=2
			$rt hyperfine -N --warmup $warm --runs $((runs / rounds)) \
				--export-json "$work/$name.$r.json" "$@" >/dev/null 2>&1 || true
			r=$((r + 1))
		done
		old=$(pooled_median baseline "$work/$name".*.json)
		new=$(pooled_median new "$work/$name".*.json)
		rm -f "$work/$name".*.json
		r=$(ratio "$new" "$old")
		v=$(verdict "$r")
		[ "$v" = ok ] || status=1
		printf '%-9s %-13s wall median baseline %ss  new %ss  ratio %sx  %s\n' \
			"$name" "$fmt" "$old" "$new" "$r" "$v"
		[ "$instr" != 0 ] || continue
		io=$(instructions "$dump" "$BASELINE" "$work/out-a" "$fmt")
		in=$(instructions "$dump" "$coroner" "$work/out-b" "$fmt")
		r=$(ratio "$in" "$io")
		v=$(verdict "$r")
		[ "$v" = ok ] || status=1
		printf '%-9s %-13s instructions baseline %s  new %s  ratio %sx  %s\n' \
			"$name" "$fmt" "$io" "$in" "$r" "$v"
	done
done
exit $status
