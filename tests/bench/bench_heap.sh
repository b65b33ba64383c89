#!/bin/sh
# bench_heap.sh - what the heap walk and the leak search cost on a big heap.
#
# Goal (issue 10): on a 2 GB heap of 10 million allocations, the walk
# (pass "heap") and the reachability mark (pass "leaks") each take at most
# 3x the time to read the core once from the page cache, and together need
# less than 10% of the heap's size in extra memory.
#
# The core is made at run time: tests/bench/heap_big.c makes COUNT
# allocations of 16 to 2 * MEAN - 16 bytes, drops DROP% of them and dies
# of SIGABRT (the kernel writes a core of about COUNT * MEAN bytes).  One
# hyperfine run times `coroner analyze -f json` with the heap passes
# skipped (--skip-pass), with the walk only, with the walk and the leak
# search, and with every pass, beside `cat core >/dev/null` after a warm
# read.  The walk's cost is (walk only) - (none), the mark's (walk +
# leaks) - (walk only), in wall time and in CPU time (user + system,
# the fair figure on a machine busy with other work; the verdict is on
# wall time, the CPU verdict is printed beside it).  Peak memory: the peak
# RSS of each configuration (VmRSS, polled); RSS includes the pages of the
# mapped core the analysis touched, so the extra memory of the walk and
# the leak search is the peak of the anonymous part (RssAnon, polled)
# minus the one without; with every pass it is the whole RSS's peak minus
# the one without (pages of the core a pass reads through the mapping
# count: the statistics' samples did, 54 MiB).
#
#   tests/bench/bench_heap.sh                  (builds into build/ first)
#   CORONER=path BUILD_DIR=dir tests/bench/bench_heap.sh
#
# Environment:
#   COUNT, MEAN, DROP  heap_big's arguments (default 10000000, 200, 10)
#   RUNS     hyperfine runs (default 3)
#   LIMIT    the largest ratio to the read time that meets the goal (3)
#   KEEP     a directory to keep the core in (default: a temporary one,
#            removed at exit); a core already there is reused
# Needs about COUNT * MEAN * 1.1 bytes free where the core goes.
set -eu
. "$(dirname "$0")/common.sh"
ensure_built bench_heap_big
check_core_pattern
need hyperfine hyperfine
count=${COUNT:-10000000}
mean=${MEAN:-200}
drop=${DROP:-10}
runs=${RUNS:-3}
limit=${LIMIT:-3}
heap_big=$build/corpus/heap_big

if [ -n "${KEEP:-}" ]; then
	work=$KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/coroner-bench-heap.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
core=$(ls "$work"/core* 2>/dev/null | head -1 || true)
if [ -z "$core" ]; then
	want_kb=$((count / 1000 * mean * 11 / 10))
	free_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
	if [ "$free_kb" -lt "$want_kb" ]; then
		echo "bench: $work has $free_kb KiB free, the core needs about $want_kb" >&2
		exit 1
	fi
	echo "bench: making a core of $count allocations (mean $mean bytes, $drop% dropped) in $work"
	(cd "$work" && ulimit -c unlimited && "$heap_big" "$count" "$mean" "$drop" >dropped.txt) || true
	core=$(find_core "$work")
fi
core_mb=$(( $(stat -c %s "$core") / 1048576 ))

# The heap passes this build has (the others are left out of --skip-pass).
all=$("$coroner" analyze --list-passes | awk '{ print $1 }')
present() {	# present NAME...: the names this build has, comma-separated
	out=
	for p in "$@"; do
		echo "$all" | grep -qx "$p" && out=${out:+$out,}$p
	done
	echo "$out"
}
echo "$all" | grep -qx heap || { echo "bench: this build has no pass \"heap\"" >&2; exit 1; }
skip_none=$(present address-space heap leaks heapstats)
skip_walk=$(present address-space leaks heapstats)
skip_leaks=$(present address-space heapstats)
out=$work/out
mkdir -p "$out"
run() {	# the analyze command line, skipping $1
	echo "$coroner analyze $core -o $out -f json -q --heap${1:+ --skip-pass $1}"
}

cat "$core" >/dev/null	# warm the page cache
hyperfine --runs "$runs" --warmup 1 --export-json "$work/times.json" \
	-n read "cat $core" \
	-n none "$(run "$skip_none")" \
	-n walk "$(run "$skip_walk")" \
	-n walk+leaks "$(run "$skip_leaks")" \
	-n all "$(run "")" >/dev/null

# rss SKIP: coroner's peak RSS and peak anonymous RSS in KiB ("RSS ANON"),
# polling /proc/PID/status every 20 ms (the kernel keeps no peak of the
# anonymous part; RSS also counts the core's mapped pages).
rss() {
	/usr/bin/python3 - $(run "$1") <<'PY'
import subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = {"VmRSS": 0, "RssAnon": 0}
while p.poll() is None:
    try:
        for line in open("/proc/%d/status" % p.pid):
            k = line.split(":")[0]
            if k in peak:
                peak[k] = max(peak[k], int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.02)
print(peak["VmRSS"], peak["RssAnon"])
PY
}
set -- $(rss "$skip_none"); rss_none=$1 anon_none=$2
set -- $(rss "$skip_walk"); rss_walk=$1 anon_walk=$2
set -- $(rss "$skip_leaks"); rss_leaks=$1 anon_leaks=$2
set -- $(rss ""); rss_all=$1 anon_all=$2

/usr/bin/python3 - "$work/times.json" "$core_mb" "$count" "$mean" "$limit" \
	"$rss_none" "$rss_walk" "$rss_leaks" "$anon_none" "$anon_walk" "$anon_leaks" \
	"$rss_all" "$anon_all" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
r = {x["command"]: x["mean"] for x in res}
# CPU time (user + system): on a machine shared with other work the wall
# time also counts the waits for a CPU; a single-threaded run's CPU time
# is what its wall time is on a quiet machine.
cpu = {x["command"]: x["user"] + x["system"] for x in res}
core_mb, count, mean, limit = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rss_none, rss_walk, rss_leaks, anon_none, anon_walk, anon_leaks, rss_all, anon_all = (
    int(x) for x in sys.argv[6:14])
heap_mb = count * mean / 1048576
read = r["read"]
walk = r["walk"] - r["none"]
mark = r["walk+leaks"] - r["walk"]
cpu_read = cpu["read"]
cpu_walk = cpu["walk"] - cpu["none"]
cpu_mark = cpu["walk+leaks"] - cpu["walk"]
extra_mb = (anon_leaks - anon_none) / 1024
extra_all_mb = (rss_all - rss_none) / 1024
rows = [
    ("core", "%d MiB (heap about %d MiB, %d allocations)" % (core_mb, heap_mb, count)),
    ("cat core (page cache)", "%.3f s" % read),
    ("analyze, heap passes skipped", "%.3f s, peak RSS %d MiB, anonymous %d MiB"
     % (r["none"], rss_none // 1024, anon_none // 1024)),
    ("analyze, walk", "%.3f s, peak RSS %d MiB, anonymous %d MiB"
     % (r["walk"], rss_walk // 1024, anon_walk // 1024)),
    ("analyze, walk + leaks", "%.3f s, peak RSS %d MiB, anonymous %d MiB"
     % (r["walk+leaks"], rss_leaks // 1024, anon_leaks // 1024)),
    ("analyze, every pass", "%.3f s, peak RSS %d MiB, anonymous %d MiB"
     % (r["all"], rss_all // 1024, anon_all // 1024)),
    ("walk", "%.3f s = %.2fx the read (goal <= %gx)" % (walk, walk / read, limit)),
    ("leaks (reachability)", "%.3f s = %.2fx the read (goal <= %gx)" % (mark, mark / read, limit)),
    ("CPU time: read, walk, leaks", "%.3f s, %.3f s = %.2fx, %.3f s = %.2fx"
     % (cpu_read, cpu_walk, cpu_walk / cpu_read, cpu_mark, cpu_mark / cpu_read)),
    ("extra memory, walk", "%.0f MiB anonymous" % ((anon_walk - anon_none) / 1024)),
    ("extra memory, leaks", "%.0f MiB anonymous" % ((anon_leaks - anon_walk) / 1024)),
    ("extra memory, walk + leaks", "%.0f MiB anonymous = %.1f%% of the heap (goal < 10%%)"
     % (extra_mb, 100 * extra_mb / heap_mb)),
    ("extra memory, every pass", "%.0f MiB of peak RSS = %.1f%% of the heap (goal < 10%%)"
     % (extra_all_mb, 100 * extra_all_mb / heap_mb)),
]
w = max(len(a) for a, _ in rows)
for a, b in rows:
    print("%-*s  %s" % (w, a, b))
ok = (walk <= limit * read and mark <= limit * read and extra_mb < heap_mb / 10
      and extra_all_mb < heap_mb / 10)
print("goal in CPU time %s" % ("met" if cpu_walk <= limit * cpu_read and
      cpu_mark <= limit * cpu_read else "MISSED"))
print("goal %s" % ("met" if ok else "MISSED"))
sys.exit(0 if ok else 1)
EOF
