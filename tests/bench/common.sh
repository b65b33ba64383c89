# common.sh - shared by the benchmarks: find coroner and the corpus
# programs, install what is missing, make kernel cores.  Sourced, not run.

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
coroner=${CORONER:-$build/coroner}
# Absolute, since the benchmarks cd into the directories cores are made in.
case $build in /*) ;; *) build=$PWD/$build ;; esac
case $coroner in /* | "") ;; */*) coroner=$PWD/$coroner ;; esac
[ -n "${CORONER:-}" ] || [ -x "$coroner" ] || ! [ -x "$build/analyzer/coroner" ] ||
	coroner=$build/analyzer/coroner

need() {	# need COMMAND DEBIAN-PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "bench: installing $2"
	[ "$(id -u)" -eq 0 ] || { echo "bench: need $1 (Debian package $2)" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null
}

ensure_built() {	# build coroner and the corpus programs unless CORONER is given
	if [ -z "${CORONER:-}" ]; then
		cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
		cmake --build "$build" -j "$(nproc)" --target coroner "$@" >/dev/null
	fi
	[ -x "$coroner" ] || ! [ -x "$build/analyzer/coroner" ] || coroner=$build/analyzer/coroner
	[ -x "$coroner" ] || { echo "bench: no coroner at $coroner" >&2; exit 1; }
}

check_core_pattern() {
	pat=$(cat /proc/sys/kernel/core_pattern)
	case "$pat" in
	"|"* | */* | "")
		echo "bench: kernel core_pattern is '$pat': cores do not land in the working directory" >&2
		exit 1 ;;
	esac
}

find_core() {	# find_core DIR: the core the kernel just wrote there
	for f in "$1"/core "$1"/core.*; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	echo "bench: no core in $1" >&2
	exit 1
}

# mean_of JSON: the mean time in seconds of hyperfine's first command
mean_of() {
	/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.4f" % r[int(sys.argv[2])]["mean"])' "$1" "$2"
}

# median_of JSON N: the median time in seconds of hyperfine's command N
median_of() {
	/usr/bin/python3 -c 'import json,sys,statistics; r=json.load(open(sys.argv[1]))["results"]; print("%.4f" % statistics.median(r[int(sys.argv[2])]["times"]))' "$1" "$2"
}

ratio() { /usr/bin/python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
