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
# Wall time (hyperfine) is only meaningful on a quiet machine; with
# INSTR=1 (the default) each build is also run once under valgrind's
# callgrind and the verdict is on the instructions executed, which do not
# depend on what else the machine is doing.  INSTR=0 judges by time.
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
runs=${RUNS:-10}
size_mb=${SIZE_MB:-512}
limit=${LIMIT:-1.05}
instr=${INSTR:-1}
[ "$instr" = 0 ] || need valgrind valgrind

# instructions DUMP BINARY OUTDIR: user-space instructions of one analysis
instructions() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$2" analyze "$1" \
		-o "$3" --format md,html,json -q 2>&1 >/dev/null |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}

work=$(mktemp -d /tmp/coroner-bench-regress.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/threads" "$work/deep" "$work/out-a" "$work/out-b"

( cd "$work/threads" && ulimit -c unlimited && "$build/corpus/idle_threads" 9 crash >/dev/null 2>&1 || true ) 2>/dev/null || true
threads_core=$(find_core "$work/threads")
( cd "$work/deep" && ulimit -c unlimited && ulimit -s 32768 &&
  /usr/bin/python3 -c '
import sys
sys.setrecursionlimit(10**8)
l = []
for _ in range(3_000_000):
    l = [l]
repr(l)
' >/dev/null 2>&1 || true ) 2>/dev/null || true
deep_core=$(find_core "$work/deep")
"$build/tests/make_big_minidump" "$work/big.dmp" "$size_mb" 200 >/dev/null

status=0
for input in threads:"$threads_core" deep:"$deep_core" minidump:"$work/big.dmp"; do
	name=${input%%:*} dump=${input#*:}
	hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/$name.json" \
		"$BASELINE analyze $dump -o $work/out-a --format md,html,json -q" \
		"$coroner analyze $dump -o $work/out-b --format md,html,json -q" >/dev/null 2>&1 || true
	old=$(mean_of "$work/$name.json" 0)
	new=$(mean_of "$work/$name.json" 1)
	r=$(ratio "$new" "$old")
	judged=$r
	line=$(printf 'baseline %ss  new %ss  ratio %sx' "$old" "$new" "$r")
	if [ "$instr" != 0 ]; then
		io=$(instructions "$dump" "$BASELINE" "$work/out-a")
		in=$(instructions "$dump" "$coroner" "$work/out-b")
		judged=$(ratio "$in" "$io")
		line="$line; instructions baseline $io  new $in  ratio ${judged}x"
	fi
	verdict=ok
	/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$judged" "$limit" ||
		{ verdict="SLOWER than ${limit}x"; status=1; }
	printf '%-9s %s  %s\n' "$name" "$line" "$verdict"
done
exit $status
