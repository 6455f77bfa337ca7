#!/usr/bin/env bash
# Where a lazy dump's frozen time goes (issue 16): raw `criu dump
# --lazy-pages` of a memhog of each of BENCH_SIZES (64 1024) MiB in new
# namespaces, by two criu binaries alternately, BENCH_ROUNDS (3) each:
# BENCH_CRIU_COMPARE="OLD NEW" (default: the installed criu against itself).
# The phases come from CRIU's own log (info level, as Corral's dumps; its
# timestamps count from CRIU's start): from the seize to "Dumping pages"
# (mappings, read from smaps; the parasite; files), to the last "Pagemap
# generated" (the scan of the pages), to "Starting lazy pages server" (the
# parasite's draining of pages, the rest of the dump). The tasks are frozen
# from the seize on; a post-copy move's downtime holds all of it. The page
# server then goes unused: criu is killed, which releases memhog, ended too.
# Usage, as root: bench/criu_lazy_dump.sh   (CORRAL_BUILD_DIR: ./build).
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
need_root
sizes=${BENCH_SIZES:-64 1024}
need_memhog
bench_rounds 3
installed=$(command -v criu) || fail "no criu on PATH"
# shellcheck disable=SC2206 # two paths
compare=(${BENCH_CRIU_COMPARE:-$installed $installed})
if [ ${#compare[@]} -ne 2 ] || [ ! -x "${compare[0]}" ] || [ ! -x "${compare[1]}" ]; then
	fail "BENCH_CRIU_COMPARE: two executable criu binaries, please"
fi
declare -A bin=([old]=${compare[0]} [new]=${compare[1]})

bench_setup /dev/shm
raw_criu_options
raw_baseline_dir
port=$((20000 + $$ % 10000))

# log_time LOG PATTERN [last]: the timestamp, in microseconds, of the first
# (or last) line of LOG matching PATTERN.
log_time() {
	local pick=1
	[ "${3:-}" = last ] && pick='$'
	local t
	t=$(grep "$2" "$1" | sed -n "${pick}s/^(\([0-9]*\)\.\([0-9]*\)).*/\1\2/p")
	[ -n "$t" ] || fail "no \"$2\" in $1"
	echo $((10#$t))
}

# lazy_dump WHICH: one lazy dump by bin[WHICH]; sets seize scan pages server
# (microseconds from CRIU's start).
lazy_dump() {
	local dir=$raw/img log cpid
	rm -rf "$dir"
	mkdir -p "$dir"
	raw_memhog
	sleep 0.3
	env "${raw_env[@]}" "${bin[$1]}" dump -t "$raw_pid" -D "$dir" -o dump.log -v3 --lazy-pages \
		--address 127.0.0.1 --port "$port" --ext-mount-map auto --enable-external-sharing \
		--enable-external-masters --manage-cgroups=ignore "${raw_opts[@]}" </dev/null >/dev/null 2>&1 &
	cpid=$!
	log=$dir/dump.log
	for _ in $(seq 600); do
		grep -q "Starting lazy pages server" "$log" 2>/dev/null && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null || true
	grep -q "Starting lazy pages server" "$log" || fail "criu ${bin[$1]} did not get to its lazy page server: $(grep Error "$log" | tail -2)"
	raw_baseline_down
	raw_dumped
	seize=$(log_time "$log" "Seized task")
	pages=$(log_time "$log" "Dumping pages")
	scan=$(log_time "$log" "Pagemap generated" last)
	server=$(log_time "$log" "Starting lazy pages server")
}

echo "Raw lazy dumps of memhog, $(raw_criu_note), OLD=${bin[old]} NEW=${bin[new]} alternately"
load_note
declare -A before scanned drained frozen
for mib in $sizes; do
	for r in $(seq "$rounds"); do
		for w in old new; do
			lazy_dump "$w"
			before[$mib,$w]+="$((pages - seize)) " scanned[$mib,$w]+="$((scan - pages)) "
			drained[$mib,$w]+="$((server - scan)) " frozen[$mib,$w]+="$((server - seize)) "
			echo "  $mib MiB $w round $r: seize to pages $(ms $((pages - seize))) ms, page scan $(ms $((scan - pages))) ms, to the page server $(ms $((server - scan))) ms; frozen $(ms $((server - seize))) ms (load $(cut -d' ' -f1 /proc/loadavg))"
		done
	done
done
echo
printf '  %-9s %-4s %14s %12s %16s %14s\n' memory criu "seize->pages" "page scan" "->page server" "frozen"
for mib in $sizes; do
	for w in old new; do
		# shellcheck disable=SC2086 # one word per round
		printf '  %5s MiB %-4s %11s ms %9s ms %13s ms %11s ms\n' "$mib" "$w" "$(median_ms ${before[$mib,$w]})" \
			"$(median_ms ${scanned[$mib,$w]})" "$(median_ms ${drained[$mib,$w]})" "$(median_ms ${frozen[$mib,$w]})"
	done
	# shellcheck disable=SC2086
	printf '  %5s MiB: frozen new / old = %s (medians)\n' "$mib" \
		"$(ratio "$(median ${frozen[$mib,new]})" "$(median ${frozen[$mib,old]})")"
done
