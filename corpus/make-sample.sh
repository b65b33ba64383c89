#!/bin/sh
# make-sample.sh - remake corpus/sample/: the core of null_deref.c that the
# README's first command analyzes, and the executable it came from.
#
# The program runs in /tmp/coroner-sample with an empty environment (a core
# holds the process' stack, environment strings included), and the kernel
# must write cores as "core" in the working directory
# (/proc/sys/kernel/core_pattern).  The core still names libc and the
# dynamic loader of the machine that made it by build id; on another
# machine coroner reports them as mismatched or missing and still shows
# every frame of the program itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/coroner-sample
rm -rf "$work"
mkdir -p "$work"
cp "$here/null_deref.c" "$work/"
cd "$work"
cc -O1 -g -o null_deref null_deref.c
( ulimit -c unlimited; env -i PATH=/usr/bin:/bin ./null_deref ) || true
[ -f core ] || { echo "no core in $work: check /proc/sys/kernel/core_pattern" >&2; exit 1; }
mkdir -p "$here/sample"
cp null_deref "$here/sample/null_deref"
cp core "$here/sample/null_deref.core"
chmod 644 "$here/sample/null_deref.core"
ls -l "$here/sample"
