#!/bin/sh
# setup.sh - the README's set-up commands, for a fresh Debian 12 as root.
#
#   tests/setup.sh sample         install what is missing, build coroner into
#                                 build/, analyze corpus/sample/null_deref.core
#   tests/setup.sh test           install what is missing, build everything into
#                                 build/, run the whole test suite with ctest
#   tests/setup.sh test-sanitize  the same in build-sanitize/ with
#                                 AddressSanitizer + UndefinedBehaviorSanitizer
#
# Packages are installed only when missing (after one apt-get update).
# BUILD_DIR overrides the build directory; JOBS the parallelism.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# To build: compiler, CMake, the libraries coroner links.
BUILD_PKGS="build-essential cmake pkg-config libdw-dev libelf-dev libxml2-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev cmark-gfm libjansson-dev
  libcmocka-dev libzstd-dev liblzma-dev liblz4-dev libcapstone-dev libzydis-dev
  libsqlite3-dev libarchive-dev"
# To run the tests: dumps from gdb, elfutils for the conformance tests, the
# report validators (xmllint, cmark-gfm, jsonschema), bunzip2 and xz, and the
# mingw-w64 cross compiler and wine64 that make real Windows minidumps,
# chromium and pdftotext (poppler-utils) that lay out and print the HTML
# report (tests/screens/); man-db and groff-base to check the man page as
# man renders it; GNU parallel runs the shards of `coroner batch --shard`
# (e2e.batch.shard); strace counts what a batch syncs and opens
# (e2e.batch.durable, syncwait, debugfiles).
TEST_PKGS="elfutils gdb libxml2-utils python3 python3-jsonschema bzip2 xz-utils zstd lz4
  gcc-mingw-w64-x86-64 wine64 chromium poppler-utils man-db groff-base parallel strace"

install_missing() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "setup: installing$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages:$missing (run as root, or install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

build() {	# build DIR [cmake options...] -- [targets...]
	dir=$1; shift
	opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts="$opts $1"; shift; done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo $opts >/dev/null
	if [ $# -gt 0 ]; then
		for t in "$@"; do cmake --build "$dir" -j "$jobs" --target "$t"; done
	else
		cmake --build "$dir" -j "$jobs"
	fi
}

case "${1:-}" in
sample)
	# shellcheck disable=SC2086
	install_missing $BUILD_PKGS
	dir=${BUILD_DIR:-build}
	build "$dir" -- coroner
	exe=$dir/coroner
	[ -x "$exe" ] || exe=$dir/analyzer/coroner
	out="$dir/sample-report"
	rm -rf "$out"
	mkdir -p "$out"
	status=0
	"$exe" analyze corpus/sample/null_deref.core --image-dir corpus/sample -o "$out" || status=$?
	if [ "$status" -gt 1 ]; then
		echo "setup: coroner analyze failed (exit $status)" >&2
		exit "$status"
	fi
	echo "The reports on corpus/sample/null_deref.core are in $out/ (listed above)."
	;;
test | test-sanitize)
	# shellcheck disable=SC2086
	install_missing $BUILD_PKGS $TEST_PKGS
	if [ "$1" = test ]; then
		dir=${BUILD_DIR:-build}
		build "$dir"
	else
		dir=${BUILD_DIR:-build-sanitize}
		build "$dir" -DCORONER_SANITIZE=ON
	fi
	ctest --test-dir "$dir" --output-on-failure -j "$jobs"
	;;
*)
	echo "usage: tests/setup.sh sample|test|test-sanitize" >&2
	exit 2
	;;
esac
