#!/bin/sh
# bench_passes.sh - what the lock and CPU passes add to an analysis.
#
# Goal (issue 9): the lock and CPU passes add less than 10% to the analysis
# time of a 200-thread core.  The core is made at run time: corpus/
# lock_crowd.c starts 200 threads (4 holding mutexes while blocked in read,
# 98 queued behind them, 49 on condition variables, 49 asleep) and is
# killed with SIGQUIT, so the kernel writes a core of 201 threads.  One
# hyperfine run times `coroner analyze` (md+html+json) with every pass and
# with `--skip-pass` naming the passes under test; the script prints both
# means and their ratio, and fails when the ratio is above LIMIT.
#
#   tests/bench/bench_passes.sh                  (builds into build/ first)
#   CORONER=path BUILD_DIR=dir tests/bench/bench_passes.sh
#
# Environment:
#   PASSES   the passes under test (default locks,hang,cpu); only the names
#            `coroner --list-passes` prints are skipped, the others are
#            reported as absent (a build before they exist measures 1.00x)
#   THREADS  threads of lock_crowd (default 200)
#   RUNS     hyperfine runs (default 10)
#   LIMIT    the largest ratio that meets the goal (default 1.10)
#   INSTR    1 (default): also count the instructions of one analysis of
#            each kind under valgrind's callgrind and judge by their ratio,
#            which does not depend on what else the machine is doing (it
#            is shared); 0: judge by wall time
#   KEEP     a directory to keep the core in (default: a temporary one)
#
# Without hyperfine, each command is timed RUNS times in a loop (the mean
# of the wall times, from python's monotonic clock).
set -eu
. "$(dirname "$0")/common.sh"
ensure_built corpus_lock_crowd
check_core_pattern
passes=${PASSES:-locks,hang,cpu}
nthreads=${THREADS:-200}
runs=${RUNS:-10}
limit=${LIMIT:-1.10}
instr=${INSTR:-1}
[ "$instr" = 0 ] || need valgrind valgrind

if [ -n "${KEEP:-}" ]; then
	work=$KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/coroner-bench-passes.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/core" "$work/out-all" "$work/out-skip"

# The passes under test that this build has; the others are named.
known=$("$coroner" --list-passes | cut -d' ' -f1)
skip="" absent=""
for p in $(echo "$passes" | tr ',' ' '); do
	if echo "$known" | grep -qx "$p"; then
		skip="${skip:+$skip,}$p"
	else
		absent="${absent:+$absent, }$p"
	fi
done
echo "passes under test: ${skip:-none}${absent:+ (not in this build: $absent)}"

# The core: lock_crowd blocked, then SIGQUIT (it restores the default
# action a shell's background job starts without).
rm -f "$work/core/core" "$work/core/core".*
exec 3>&2	# the subshell's stderr is muted: the shell's "Quit (core dumped)"
(
	cd "$work/core"
	ulimit -c unlimited
	"$build/corpus/lock_crowd" "$nthreads" >ready.txt 2>&1 &
	pid=$!
	i=0
	until grep -q ready ready.txt 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "bench: lock_crowd not ready" >&3; kill -KILL $pid; exit 1; }
		sleep 0.1
	done
	kill -QUIT $pid
	wait $pid || true
) 2>/dev/null
core=$(find_core "$work/core")
threads=$("$coroner" analyze "$core" -o - --format json 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["threads"]))')
echo "core: $core, $(du -k "$core" | cut -f1) KiB on disk, $threads threads"

all="$coroner analyze $core -o $work/out-all --format md,html,json -q"
without="$coroner analyze $core -o $work/out-skip --format md,html,json -q${skip:+ --skip-pass $skip}"

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/h.json" \
		"$all" "$without" >/dev/null
	t_all=$(mean_of "$work/h.json" 0)
	t_skip=$(mean_of "$work/h.json" 1)
else
	# mean_loop CMD: the mean wall time of RUNS runs, after one warm-up
	mean_loop() {
		/usr/bin/python3 - "$runs" "$@" <<'EOF'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2].split()
subprocess.run(cmd, check=False)
t = []
for _ in range(runs):
    t0 = time.monotonic()
    subprocess.run(cmd, check=False)
    t.append(time.monotonic() - t0)
print("%.4f" % (sum(t) / len(t)))
EOF
	}
	t_all=$(mean_loop "$all")
	t_skip=$(mean_loop "$without")
fi
r=$(ratio "$t_all" "$t_skip")
echo
echo "all passes:                      ${t_all}s"
echo "without ${skip:-(nothing to skip)}: ${t_skip}s"
echo "ratio all / without: ${r}x (goal < ${limit}x)"
judged=$r
if [ "$instr" != 0 ]; then
	# instructions OUTDIR ARGS...: user-space instructions of one analysis
	instructions() {
		out=$1
		shift
		valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$coroner" analyze "$core" -o "$out" --format md,html,json -q "$@" 2>&1 >/dev/null |
			sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
	}
	i_all=$(instructions "$work/out-all")
	if [ -n "$skip" ]; then
		i_skip=$(instructions "$work/out-skip" --skip-pass "$skip")
	else
		i_skip=$(instructions "$work/out-skip")
	fi
	judged=$(ratio "$i_all" "$i_skip")
	echo "instructions: all passes $i_all, without $i_skip, ratio ${judged}x"
fi
/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$judged" "$limit" &&
	echo "goal met" || { echo "goal NOT met"; exit 1; }
