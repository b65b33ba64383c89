#!/bin/sh
# bench_minidump.sh - coroner on a 2 GB, 200-thread Windows full-memory
# minidump, against one read of the file and against Breakpad's
# minidump_stackwalk.
#
# Goals (issue 4):
#   1. `coroner analyze` writing all three reports takes at most twice the
#      time of one read of the dump from the page cache (`cat DUMP`);
#   2. coroner's peak RSS (/usr/bin/time -v) stays under 64 MB;
#   3. coroner is faster than minidump_stackwalk on the same dumps with the
#      same symbols: breakpad/minidump2.dmp with breakpad/symbols,
#      rust-minidump/pipeline-inlines-macos-segv.dmp with crash-client.sym,
#      and the big synthesized dump without symbols.
# The big dump is written by make_big_minidump (tests/bench/
# make_big_minidump.c); it is read once before timing so that it is in the
# page cache (nothing is dropped from the cache).  Every pair is timed by
# hyperfine in the same run.
#
# minidump_stackwalk comes from MINIDUMP_STACKWALK, or from the npm package
# `minidump` (installed with --ignore-scripts into NPM_DIR, default
# /tmp/coroner-bench-npm: its install script needs yarn, the prebuilt
# binary is in the package).  Without npm the Breakpad part is skipped;
# without ../shared/corpus (CR_SHARED_CORPUS) its first two dumps are.
#
#   tests/bench/bench_minidump.sh            (builds into build/ first)
#   CORONER=path/to/coroner BUILD_DIR=dir tests/bench/bench_minidump.sh
#   BIG_DUMP=/tmp/big.dmp ...   reuse that dump (made there if missing)
#   SIZE_MB=2048 THREADS=200 RUNS=5   the dump's size and threads, runs
set -eu
. "$(dirname "$0")/common.sh"
need hyperfine hyperfine
[ -x /usr/bin/time ] || need /usr/bin/time time
[ -x /usr/bin/python3 ] || need /usr/bin/python3 python3
ensure_built make_big_minidump
runs=${RUNS:-5}
size_mb=${SIZE_MB:-2048}
nthreads=${THREADS:-200}
corpus=${CR_SHARED_CORPUS:-$top/../shared/corpus}
gen=${MAKE_BIG_MINIDUMP:-$build/tests/make_big_minidump}
if ! [ -x "$gen" ]; then	# CORONER given: build the generator alone
	cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" --target make_big_minidump >/dev/null
fi

work=$(mktemp -d /tmp/coroner-bench-minidump.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out"
dump=${BIG_DUMP:-$work/big.dmp}
[ -s "$dump" ] || "$gen" "$dump" "$size_mb" "$nthreads"
cat "$dump" >/dev/null	# into the page cache

threads=$("$coroner" analyze "$dump" -f json -o - 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(len(j["threads"]), sum(t["stack"]["frame_count"] for t in j["threads"]))')
echo "dump: $dump, $(($(wc -c <"$dump") >> 20)) MiB, threads and frames found: $threads"
fail=0

# --- 1 and 2: coroner against one read of the file ------------------------
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/h.json" \
	"cat $dump" \
	"$coroner analyze $dump -o $work/out --format md,html,json -q" >/dev/null
c=$(mean_of "$work/h.json" 0)
k=$(mean_of "$work/h.json" 1)
r=$(ratio "$k" "$c")
/usr/bin/time -v "$coroner" analyze "$dump" -o "$work/out" --format md,html,json -q 2>"$work/time.txt"
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
echo
echo "cat DUMP >/dev/null (page cache):  ${c}s"
echo "coroner analyze (md+html+json):    ${k}s"
if /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 2 else 1)' "$r"; then
	echo "ratio coroner / cat: ${r}x (goal <= 2x): met"
else
	echo "ratio coroner / cat: ${r}x (goal <= 2x): NOT met"; fail=1
fi
if [ "$rss" -lt 65536 ]; then
	echo "coroner peak RSS: $((rss / 1024)) MiB ($rss KiB) (goal < 64 MiB): met"
else
	echo "coroner peak RSS: $((rss / 1024)) MiB ($rss KiB) (goal < 64 MiB): NOT met"; fail=1
fi

# --- 3: against Breakpad's minidump_stackwalk -------------------------------
sw=${MINIDUMP_STACKWALK:-}
if [ -z "$sw" ] && command -v npm >/dev/null 2>&1; then
	npmdir=${NPM_DIR:-/tmp/coroner-bench-npm}
	mkdir -p "$npmdir"
	[ -d "$npmdir/node_modules/minidump" ] ||
		npm install --ignore-scripts --no-audit --no-fund --prefix "$npmdir" minidump \
			>"$work/npm.log" 2>&1 || true
	sw=$(find "$npmdir/node_modules/minidump/bin" -path '*linux-x64*' -name minidump_stackwalk \
		-type f 2>/dev/null | head -n 1)
	[ -z "$sw" ] || chmod +x "$sw"
fi
echo
if [ -z "$sw" ] || ! [ -x "$sw" ]; then
	echo "Breakpad comparison skipped: no minidump_stackwalk (npm or its package 'minidump' unavailable)"
	exit "$fail"
fi
echo "minidump_stackwalk: $sw"

# compare NAME DUMP SYMDIR (SYMDIR empty: no symbols)
compare() {
	if [ -n "$3" ]; then
		swcmd="$sw $2 $3"
		crcmd="$coroner analyze $2 --symbols $3 -f json -o -"
	else
		swcmd="$sw $2"
		crcmd="$coroner analyze $2 -f json -o -"
	fi
	hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/p.json" \
		"$crcmd" "$swcmd" >/dev/null
	ck=$(mean_of "$work/p.json" 0)
	bk=$(mean_of "$work/p.json" 1)
	/usr/bin/time -f %M -o "$work/m1" $crcmd >/dev/null 2>&1 || true
	/usr/bin/time -f %M -o "$work/m2" $swcmd >/dev/null 2>&1 || true
	echo "$1:"
	echo "  coroner analyze -f json:  ${ck}s  (peak RSS $(tail -n 1 "$work/m1") KiB)"
	echo "  minidump_stackwalk:       ${bk}s  (peak RSS $(tail -n 1 "$work/m2") KiB)"
	if /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$ck" "$bk"; then
		echo "  coroner faster: yes ($(ratio "$bk" "$ck")x)"
	else
		echo "  coroner faster: NO (coroner takes $(ratio "$ck" "$bk")x Breakpad's time)"; fail=1
	fi
}

if [ -d "$corpus" ]; then
	compare "breakpad/minidump2.dmp with breakpad/symbols" \
		"$corpus/breakpad/minidump2.dmp" "$corpus/breakpad/symbols"
	xzsym=$corpus/rust-minidump/symbols/crash-client/509C0610949836F7B70BD88BCF03E5400/crash-client.sym.xz
	if command -v xz >/dev/null 2>&1 && [ -f "$xzsym" ]; then
		mkdir -p "$work/sym/crash-client/509C0610949836F7B70BD88BCF03E5400"
		xz -dc "$xzsym" >"$work/sym/crash-client/509C0610949836F7B70BD88BCF03E5400/crash-client.sym"
		compare "rust-minidump/pipeline-inlines-macos-segv.dmp with crash-client.sym" \
			"$corpus/rust-minidump/pipeline-inlines-macos-segv.dmp" "$work/sym"
	else
		echo "pipeline-inlines-macos-segv.dmp skipped: no xz or no crash-client.sym.xz"
	fi
else
	echo "corpus dumps skipped: $corpus is absent"
fi
compare "big synthesized dump, no symbols" "$dump" ""
exit "$fail"
