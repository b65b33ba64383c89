#!/bin/sh
# bench_collect.sh - `coroner collect` against gcore on a process with 1 GB
# resident.
#
# Goals (issue 12): collecting is at least 5x faster than gcore on the same
# process, and the process is stopped no longer than the copy takes; with
# --snapshot (the copy is of a forked child) it is paused less than 100 ms.  The
# process is tests/bench/resident.c (MB MiB of heap that is not zeros, a
# loop that records the longest gap in its own clock: the pause as the
# process saw it).  Each tool runs once untimed (the first core written
# into the tmpfs takes its pages from the page cache, which cost one run
# 15-20 s on the loaded machine), then hyperfine times RUNS runs, the cores
# removed before each; the longest pause is read after the timed runs
# alone and judged against the longest of them.
# Both tools write the mappings the process's coredump_filter selects
# (gdb's use-coredump-filter is on by default): the file sizes are printed.
# The cores go to OUT (default a directory in /dev/shm, a tmpfs) so that the
# tools are timed, not the disk: on a disk both wait for its write-back.
#
# Beside them, the floor (resident.c --floor, on a second process with the
# same memory, the first one stopped meanwhile): the kernel's own core of
# it (a fork child aborted in OUT: one copy of the memory, by the kernel),
# reading its memory out with process_vm_readv and writing nothing (what
# any collector pays before its first byte: 5x gcore below this cannot be
# met by one here), the process's own pwrite of its memory into OUT (one
# copy, the best a --snapshot child writing itself could do), and a plain
# `cat` of a core within OUT.
#
#   tests/bench/bench_collect.sh        (builds into build/ first)
#   MB=2048 RUNS=5 CORONER=path BUILD_DIR=dir tests/bench/bench_collect.sh
set -eu
. "$(dirname "$0")/common.sh"
need hyperfine hyperfine
need gcore gdb
ensure_built bench_resident
MB=${MB:-1024}
RUNS=${RUNS:-3}

work=$(mktemp -d "${OUT:-/dev/shm}/coroner-bench-collect.XXXXXX")
resident="$build/tests/bench/bench_resident"
"$resident" "$MB" "$work/gap" >"$work/out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
while ! grep -q ready "$work/out" 2>/dev/null; do sleep 0.2; done
echo "process $pid: $(awk '/VmRSS/ {print $2 / 1024 " MiB resident"}' /proc/$pid/status)"

pause() {	# the longest pause since the last reset, in seconds
	cat "$work/gap"
}
reset() { kill -USR1 $pid; sleep 0.3; }
# warm DIR COMMAND...: one untimed run (the first core written into the
# tmpfs takes its pages from the page cache, which made the warm-up run
# the longest pause of all: 1.79 s against runs of 0.68 s), its output
# removed, then the pause recorder reset, so that the pause read after
# the timed runs is theirs alone.
warm() {
	d=$1; shift
	"$@" >/dev/null 2>&1 || true
	find "$d" -mindepth 1 -delete
	reset
}
# longest_of JSON: the longest of hyperfine's timed runs, in seconds
longest_of() {
	/usr/bin/python3 -c 'import json,sys; print("%.4f" % max(json.load(open(sys.argv[1]))["results"][0]["times"]))' "$1"
}

mkdir -p "$work/c" "$work/g"
# The longest gap with no collector at all: what the scheduler alone costs
# the process on this machine (on the shared 2 cores, tens of ms).
reset
sleep 3
idle=$(pause)
warm "$work/c" "$coroner" collect "$pid" -o "$work/c" -q
hyperfine -N --runs "$RUNS" --prepare "find $work/c -mindepth 1 -delete" --export-json "$work/hc.json" \
	"$coroner collect $pid -o $work/c -q" >/dev/null
cp=$(pause)
mkdir -p "$work/s"
warm "$work/s" "$coroner" collect "$pid" -o "$work/s" -q --snapshot
hyperfine -N --runs "$RUNS" --prepare "find $work/s -mindepth 1 -delete" --export-json "$work/hs.json" \
	"$coroner collect $pid -o $work/s -q --snapshot" >/dev/null
sp=$(pause)
warm "$work/g" gcore -o "$work/g/core" "$pid"
hyperfine -N --runs "$RUNS" --prepare "find $work/g -mindepth 1 -delete" --export-json "$work/hg.json" \
	"gcore -o $work/g/core $pid" >/dev/null 2>&1
gp=$(pause)
c=$(mean_of "$work/hc.json" 0)
cl=$(longest_of "$work/hc.json")
g=$(mean_of "$work/hg.json" 0)
# CPU time (user + system) as well: on a loaded machine the wall time is
# mostly waiting for a CPU, for both tools.
cpu_of() {
	/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f" % (r["user"] + r["system"]))' "$1"
}
cc=$(cpu_of "$work/hc.json")
gc=$(cpu_of "$work/hg.json")
find "$work/c" -mindepth 1 -delete
"$coroner" collect $pid -o "$work/c" -q
core=$(ls "$work"/c/*.core)
echo "coroner core: $(du -k "$core" | cut -f1) KiB on disk, $(stat -c %s "$core") bytes"
find "$work/g" -mindepth 1 -delete
gcore -o "$work/g/core" $pid >/dev/null 2>&1
gcore_file=$(ls "$work"/g/core*)
echo "gcore core:   $(du -k "$gcore_file" | cut -f1) KiB on disk, $(stat -c %s "$gcore_file") bytes"
# The floor.  The kernel: RUNS aborted children of a second resident
# process (its own memory, filled the same way).  The first one is stopped
# meanwhile, as it is under a collector: its clock loop takes a core.
check_core_pattern
mkdir -p "$work/k"
"$resident" "$MB" "$work/gap.k" --floor "$work/k" "$RUNS" >"$work/kernel.out" &
kpid=$!
while ! grep -q ready "$work/kernel.out" 2>/dev/null; do sleep 0.2; done
kill -STOP $pid
wait $kpid
floor() {	# floor WHAT: the mean of resident --floor's WHAT lines
	/usr/bin/python3 -c 'import sys; t=[float(l.split()[1]) for l in open(sys.argv[1]) if l.split()[0] == sys.argv[2]]; print("%.4f" % (sum(t) / len(t)))' "$work/kernel.out" "$1"
}
k=$(floor kernel)
rd=$(floor read)
pw=$(floor pwrite)
set -- $(grep '^size' "$work/kernel.out")
echo "kernel core:  $(($4 / 1024)) KiB on disk, $2 bytes"
# cat: one core read from the page cache and written again in OUT.
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "rm -f $work/cat.out" --export-json "$work/hk.json" \
	"sh -c 'cat $core >$work/cat.out'" >/dev/null
cat_t=$(mean_of "$work/hk.json" 0)
rm -f "$work/cat.out"
kill -CONT $pid
echo
echo "coroner collect: ${c}s (CPU ${cc}s), longest pause ${cp}s (goal: no longer than the copy, its longest run ${cl}s)"
s=$(mean_of "$work/hs.json" 0)
echo "with --snapshot: ${s}s, longest pause ${sp}s (goal < 0.1 s)"
echo "gcore:           ${g}s (CPU ${gc}s), longest pause ${gp}s"
echo "no collection:   longest pause ${idle}s in 3 s (the scheduler's share)"
echo "the floor: the kernel's own core ${k}s, reading the memory only ${rd}s,"
echo "           the process's pwrite of its memory ${pw}s, cat of a core ${cat_t}s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
r=$(ratio "$g" "$c")
echo "gcore / coroner: ${r}x (goal >= 5x); gcore / the kernel's core: $(ratio "$g" "$k")x;"
echo "gcore / reading the memory only: $(ratio "$g" "$rd")x (more is out of reach for a collector here)"
/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 5 else 1)' "$r" ||
	{ echo "bench: goal missed: coroner collect is not 5x faster than gcore" >&2; exit 1; }
/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 0.1 else 1)' "$sp" ||
	{ echo "bench: goal missed: --snapshot paused the process ${sp}s, not < 0.1 s" >&2; exit 1; }
