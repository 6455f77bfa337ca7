#!/usr/bin/env bash
# Run every fuzz target for a few seconds from its seed corpus (fuzz/corpus/NAME).
# Usage: scripts/fuzz-smoke.sh BUILD_DIR SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 secs=$2
shopt -s nullglob
n=0
for f in "$dir"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	work=$(mktemp -d)
	[ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/"
	echo "fuzz: $name for ${secs}s"
	"$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 "$work" >"$work.log" 2>&1 || {
		tail -40 "$work.log"; echo "fuzz: $name FAILED"; exit 1; }
	rm -rf "$work" "$work.log"
	n=$((n + 1))
done
echo "fuzz: $n targets ran clean"
