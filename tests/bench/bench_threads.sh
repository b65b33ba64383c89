#!/bin/sh
# bench_threads.sh - coroner vs eu-stack on a 10-thread kernel core.
#
# Goal (issue 3): `coroner analyze` writing all three reports takes at most
# twice the time of `eu-stack` on the same core.  The core is made at run
# time from corpus/idle_threads.c (main + 9 idle workers, main crashes).
# Both tools are timed by hyperfine in the same run; eu-stack with -i -l
# (inlines and source lines, closer to what coroner does) is shown too.
#
#   tests/bench/bench_threads.sh        (builds into build/ first)
#   CORONER=path/to/coroner BUILD_DIR=dir tests/bench/bench_threads.sh
set -eu
. "$(dirname "$0")/common.sh"
need hyperfine hyperfine
need eu-stack elfutils
ensure_built corpus_idle_threads
check_core_pattern

work=$(mktemp -d /tmp/coroner-bench-threads.XXXXXX)
trap 'rm -rf "$work"' EXIT
exe="$build/corpus/idle_threads"
( cd "$work" && ulimit -c unlimited && "$exe" 9 crash >/dev/null 2>&1 || true ) 2>/dev/null || true
core=$(find_core "$work")
mkdir -p "$work/out"

threads=$("$coroner" analyze "$core" -o - --format json 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["threads"]))')
echo "core: $core, $(du -k "$core" | cut -f1) KiB on disk, $threads threads"

hyperfine -N --warmup 3 --runs 20 --export-json "$work/h.json" \
	"$coroner analyze $core -o $work/out --format md,html,json -q" \
	"eu-stack --core=$core -e $exe" \
	"eu-stack -i -l --core=$core -e $exe" >/dev/null
c=$(mean_of "$work/h.json" 0)
e=$(mean_of "$work/h.json" 1)
el=$(mean_of "$work/h.json" 2)
echo
echo "coroner analyze (md+html+json): ${c}s"
echo "eu-stack:                       ${e}s"
echo "eu-stack -i -l:                 ${el}s"
r=$(ratio "$c" "$e")
echo "ratio coroner / eu-stack: ${r}x (goal <= 2x)"
/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 2 else 1)' "$r" &&
	echo "goal met" || { echo "goal NOT met"; exit 1; }
