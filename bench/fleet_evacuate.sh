#!/usr/bin/env bash
# bench/fleet_evacuate.sh [BUILD_DIR]: an evacuation of 8 small checkpointable
# partitions on a real fleet (three hosts as network namespaces, a
# three-member etcd over TLS, a corrald per host), as root.
#   baseline 1: the same 8 moves one after another (--parallel 1), before,
#               between and after the parallel runs: each parallel run is
#               set against the mean of the two sequential runs around it
#               (the machine's load and the hosts' state drift over a run);
#   baseline 2: a lone movewpar of one of them (its downtime; median of 3,
#               before, between and after the evacuations);
#   measured:   the evacuation with --parallel 2, with a switch of the
#               corralds on and off, alternately: on, off, off, on (the
#               corralds restarted with SWITCH=1 or 0 before each; the
#               sequential runs and the lone moves with the defaults).
#               BENCH_SWITCH names it: CORRAL_WINDOW_BOOST (the default;
#               the window's boost, util/prio.h) or CORRAL_MOVE_SLOT (the
#               source's frozen-window slot and the preparation's yielding,
#               relocate/move_slot.h).
# Prints the total time of each evacuation, the parallel one's longest
# downtime, and the ratios against the issue's goals (total <= 0.6x the
# sequential one; longest downtime <= 1.3x a lone move's); per run the
# median pre-freeze time of its moves (start to freeze: pre-flight, level-0,
# the unpack ahead there, the window's wait) and of the unpack ahead (the
# destinations' corrald logs); then the placement of 1,000 partitions over
# 100 hosts recorded in etcd (bench_fleet_plan, goal under 100 ms).
# BENCH_DIR (default /tmp, this machine's disk) holds the hosts' roots:
# BENCH_DIR=/dev/shm measures them on a tmpfs, without the disk's
# own costs (on this VM an ext4 without a journal, whose inode allocator
# slows down after many files were deleted: bench/README.md, session 10).
set -euo pipefail
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] && CORRAL_BUILD_DIR=$1
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/etcd.sh"
. "$BENCH_SRC/tests/integration/lib/fleet_hosts.sh"
[ "$(id -u)" -eq 0 ] || { echo "fleet_evacuate.sh: run as root" >&2; exit 1; }
need_commands criu etcd openssl ip nsenter
export PATH="$CORRAL_BUILD_DIR/cli:$PATH"
N=${BENCH_PARTITIONS:-8}
SWITCH=${BENCH_SWITCH:-CORRAL_WINDOW_BOOST}
case $SWITCH in CORRAL_WINDOW_BOOST | CORRAL_MOVE_SLOT) ;; *) echo "fleet_evacuate.sh: BENCH_SWITCH=$SWITCH: not CORRAL_WINDOW_BOOST or CORRAL_MOVE_SLOT" >&2; exit 2 ;; esac

trap 'exit 130' INT TERM
load_note
echo "hosts' roots under ${BENCH_DIR:-/tmp}"
FLEET_TEST_DIR=${BENCH_DIR:-/tmp} fleet_test_up crb 219
# The bench's own processes (the etcd members, the corralds restarted
# before each run, the moves, CRIU; not the partitions, which corral places
# in their own cgroups) in a cgroup of their own, so that their CPU seconds
# are read apart from the rest of the machine's (cpuacct on cgroup v1,
# cpu.stat on v2).
own_cg=
for d in /sys/fs/cgroup/cpuacct /sys/fs/cgroup; do
	if [ -e "$d/cpuacct.usage" ] || [ -e "$d/cgroup.subtree_control" ]; then
		own_cg=$d/corral-bench-own-$$
		mkdir "$own_cg" && echo $$ >"$own_cg/cgroup.procs" || own_cg=
		break
	fi
done
if [ -n "$own_cg" ]; then
	for p in "${ETCD_MEMBER_PIDS[@]}"; do [ -z "$p" ] || echo "$p" >"$own_cg/cgroup.procs"; done
fi
own_cg_down() {
	local rc=$? p
	if [ -n "$own_cg" ] && [ -d "$own_cg" ]; then
		while read -r p; do echo "$p" >"${own_cg%/*}/cgroup.procs"; done <"$own_cg/cgroup.procs" 2>/dev/null
		rmdir "$own_cg" 2>/dev/null
	fi
	return $rc
}
trap 'own_cg_down; fleet_test_down' EXIT
for i in $(seq "$N"); do
	on a mkwpar -c -n "s$i" >/dev/null
	echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; sleep 0.1; done' \
		>>"$FTOP/a/wpars/s$i/etc/corral/services"
	on a startwpar "s$i" >/dev/null
done
sleep 3

# move_row LABEL T0_S < LOG: one move's row of the per-move table from
# its movewpar -v output (with the runner's "started E:" line, or T0_S, the
# wall time it was started at): how long it waited for the host's frozen
# window (another move's), when it froze (seconds from the table's
# start), its downtime and where that went (freeze, dump, archive, stream,
# restore there), its whole length (movewpar's own, from after its exec),
# and when it ended (the runner's "ended" stamp: when the agent reaped it;
# else the start plus that length). The freeze is at movewpar's own wall
# stamp when it logs one (the runner's "started" is taken before its exec).
move_row() {
	awk -v label="$1" -v t0="$2" -v base="$table_base" '
		/^started [0-9.]+:/ {sub(":", "", $2); t0 = $2}
		/^ended [0-9.]+$/ {en = $2}
		/^phase freezing at/ {fz = $4; if ($NF ~ /\)$/) {ws = $NF; gsub(/\)/, "", ws); fzw = ws}}
		/^downtime / {dt = $2; for (i = 1; i <= NF; i++) if ($i == "total") tot = $(i + 1)}
		/^freeze .* ms, dump / {gsub(",", ""); f = $2; d = $5; a = $8; s = $11; r = $14}
		/^waited [0-9.]+ ms for this host/ {w = $2}
		END {printf "%-6s %7.3f %6.0f %7.2f %8.0f %6.0f %6.0f %7.0f %6.0f %7.0f %6.2f %7.3f\n",
			label, t0 - base, w, (fzw != "" ? fzw : t0 + fz) - base, dt, f, d, a, s, r, tot,
			(en != "" ? en : t0 + tot) - base}'
}
table_head() {
	printf '%-6s %7s %6s %7s %8s %6s %6s %7s %6s %7s %6s %7s\n' move start wait frozen downtime freeze dump \
		archive stream restore total ended
}
# evac_table: the rows of every move the last evacuation of a made, by
# when each one froze (its runner's logs, read before the next one).
evac_table() {
	local f
	table_head
	for f in "$FTOP/a/var/log/corral/fleet"/s*.log; do
		move_row "$(basename "$f" .log)" 0 <"$f"
	done | sort -k4,4n
}
wall_s() { awk -v u="$(now_us)" 'BEGIN {printf "%.3f", u / 1e6}'; }

# lone_move K: a lone movewpar of s1 to b (its downtime in lone, its row in
# lone_rows) and back. The three are spread over the run (before, between
# and after the evacuations): the machine's load drifts, and baselines
# taken only at the start compared a busy start with a quiet end.
lone=() lone_rows=()
table_base=$(wall_s)
lone_move() {
	local t0 out
	t0=$(wall_s)
	out=$(on a movewpar -v s1 b)
	lone+=("$(ms_field downtime "$out")")
	lone_rows+=("$(move_row "lone$1" "$t0" <<<"$out")")
	on b movewpar s1 a >/dev/null
	sleep 3
}

# corralds_with VALUE: the three corralds restarted with $SWITCH=VALUE
# (empty: the default), the agents back online and their partitions
# published before the next evacuation starts (a stopped agent revokes its
# lease: no leader is waited out).
corralds_with() {
	local h i
	for h in a b c; do fleet_corrald_stop "$h"; done
	FLEET_CORRALD_ENV=${1:+$SWITCH=$1}
	for h in a b c; do fleet_corrald "$h"; done
	FLEET_CORRALD_ENV=
	for i in $(seq 60); do
		[ "$(on a corral hosts 2>/dev/null | grep -cE '^[abc] +online')" = 3 ] && break
		sleep 0.5
	done
	sleep 3
}
# psi_totals: the machine's CPU and I/O pressure so far ("some" totals, us)
psi_totals() { for r in cpu io; do sed -n 's/^some .*total=//p' /proc/pressure/$r 2>/dev/null || echo 0; done | paste -sd' '; }
# psi_share BEFORE AFTER US: the share of US in which some task waited for a
# CPU, and for I/O ("cpu%/io%"): what else on the machine slowed a run
psi_share() { awk -v a="$1" -v b="$2" -v us="$3" 'BEGIN {split(a, x, " "); split(b, y, " ")
	printf "%.0f/%.0f", 100 * (y[1] - x[1]) / us, 100 * (y[2] - x[2]) / us}'; }
# cpu_ticks: the machine's CPU time so far, "BUSY IDLE FORKS" (USER_HZ
# ticks; idle counts iowait; the processes made since boot)
cpu_ticks() { awk '/^cpu / {c = $2 + $3 + $4 + $7 + $8 + $9 " " $5 + $6} /^processes / {p = $2}
	END {print c, p}' /proc/stat; }
# cpu_share BEFORE AFTER: the CPU seconds every task used between the two,
# their share of both CPUs' time, and the processes made ("2.1/67%/350"):
# how much of the machine a run used (a run that keeps both CPUs busy
# cannot be shortened by running more at once)
cpu_share() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {split(a, x, " "); split(b, y, " ")
	busy = y[1] - x[1]; all = busy + y[2] - x[2]
	printf "%.1f/%.0f%%/%d", busy / hz, (all > 0 ? 100 * busy / all : 0), y[3] - x[3]}'; }
# store_counts: the store's requests so far, summed over its members
# (etcd's /metrics): "RANGE TXN PUT OTHER" (gRPC calls handled by method;
# the JSON gateway turns each of our requests into one; OTHER: lease
# keep-alives, grants, deletes; watches are streams, not counted)
store_counts() {
	local i tls=()
	[ -z "${ETCD_TLS_DIR:-}" ] || tls=(--cacert "$ETCD_TLS_DIR/ca.crt" --cert "$ETCD_TLS_DIR/client.crt"
		--key "$ETCD_TLS_DIR/client.key")
	for ((i = 0; i < ETCD_N; i++)); do
		etcd_in curl -s -m 2 ${tls[@]+"${tls[@]}"} "$(etcd_member_url "$i")/metrics" 2>/dev/null || true
	done | awk '/^grpc_server_handled_total\{/ && /grpc_type="unary"/ {
			m = $0; sub(/.*grpc_method="/, "", m); sub(/".*/, "", m)
			if (m == "Range") r += $NF; else if (m == "Txn") t += $NF; else if (m == "Put") p += $NF; else o += $NF}
		END {printf "%d %d %d %d\n", r, t, p, o}'
}
# store_per_move BEFORE AFTER MOVES: the store's requests per move between
# the two, "range/txn/put/other"
store_per_move() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {split(a, x, " "); split(b, y, " ")
	printf "%.1f/%.1f/%.1f/%.1f", (y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n, (y[4] - x[4]) / n}'; }
# own_ticks: the CPU time the bench's own processes used so far, "OWN ETCD"
# (ns): its cgroup's (0 without one), and the etcd members' (user + system)
own_ticks() {
	local own=0 p etcd=0
	if [ -n "$own_cg" ]; then
		if [ -e "$own_cg/cpuacct.usage" ]; then
			own=$(cat "$own_cg/cpuacct.usage")
		else
			own=$(awk '$1 == "usage_usec" {print $2 * 1000}' "$own_cg/cpu.stat")
		fi
	fi
	for p in "${ETCD_MEMBER_PIDS[@]}"; do
		[ -n "$p" ] && [ -r "/proc/$p/stat" ] || continue
		etcd=$((etcd + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat")))
	done
	echo "$own $((etcd * 1000000000 / $(getconf CLK_TCK)))"
}
# own_share BEFORE AFTER: "OWN/ETCD" CPU seconds between the two
own_share() { awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " ")
	printf "%.2f/%.2f", (y[1] - x[1]) / 1e9, (y[2] - x[2]) / 1e9}'; }
# log_lines: the corralds' logs' line counts, "A B C"
log_lines() { local h; for h in a b c; do printf '%s ' "$(wc -l <"$FTOP/$h.corrald.log")"; done; }
# unpacked_ahead "A B C": the median "unpacked ahead" time (ms) the corralds
# logged since those line counts, "-" when none
unpacked_ahead() {
	local -a n
	read -ra n <<<"$1"
	local i=0 h
	for h in a b c; do
		tail -n +"$((n[i] + 1))" "$FTOP/$h.corrald.log"
		i=$((i + 1))
	done | sed -n 's/.* unpacked ahead in \([0-9]*\) ms.*/\1/p' |
		sort -n | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else print v[int((NR + 1) / 2)]}'
}

# evac P LABEL: evacuate a with --parallel P; prints "TOTAL_US MAX_DOWNTIME_US"
evac() {
	local t0 t1 out
	table_base=$(wall_s)
	local lines
	lines=$(log_lines)
	local p0 c0 s0 o0
	s0=$(store_counts)
	p0=$(psi_totals) c0=$(cpu_ticks) o0=$(own_ticks)
	t0=$(now_us)
	out=$(on b corral evacuate a --parallel "$1" --timeout 600)
	t1=$(now_us)
	cpu[$2]=$(cpu_share "$c0" "$(cpu_ticks)")
	store[$2]=$(store_per_move "$s0" "$(store_counts)" "$N")
	own[$2]=$(own_share "$o0" "$(own_ticks)")
	ahead[$2]=$(unpacked_ahead "$lines")
	psi[$2]=$(psi_share "$p0" "$(psi_totals)" $((t1 - t0)))
	local max
	max=$(awk '$5 == "done" && $7 == "ms" {if ($6 > m) m = $6} END {print m * 1000}' <<<"$out")
	evac_table >"$FTOP/table-$2"
	echo "$out" >"$FTOP/evac-$2"
	on c corral restore a --parallel 2 --timeout 600 >"$FTOP/restore-$2"
	if [ -n "${BENCH_KEEP:-}" ]; then
		mkdir -p "$BENCH_KEEP/$2"
		cp "$FTOP"/*.corrald.log "$FTOP/evac-$2" "$FTOP/restore-$2" "$BENCH_KEEP/$2/"
		for h in a b c; do cp -r "$FTOP/$h/var/log/corral" "$BENCH_KEEP/$2/log-$h" 2>/dev/null || true; done
	fi
	sleep 3
	echo "$((t1 - t0)) $max" >"$FTOP/result-$2"
}
# run_evac KIND: one evacuation, KIND seq (--parallel 1, the default
# corralds), on or off (--parallel 2, $SWITCH 1 or 0); its total in
# us_[KIND-K], its longest downtime in max_[KIND-K], its table in
# table-KIND-K.
declare -A us max load ahead psi cpu store own
runs=() run_k=0
run_evac() {
	local t m p=2 val=
	run_k=$((run_k + 1))
	[ "$1" = seq ] && p=1
	[ "$1" = on ] && val=1
	[ "$1" = off ] && val=0
	corralds_with "$val"
	evac "$p" "$1-$run_k"
	read -r t m <"$FTOP/result-$1-$run_k"
	us[$1-$run_k]=$t max[$1-$run_k]=$m load[$1-$run_k]=$(cut -d' ' -f1 /proc/loadavg)
	runs+=("$1-$run_k")
}
# BENCH_KEEP: hard links to every CRIU log the moves write (restore.log,
# lazy-pages.log, dump.log in the hosts' landings and work directories,
# which Corral removes after each move), taken every 20 ms, in
# $BENCH_KEEP/criu/HOST.INODE.PATH; the keeper ends with FTOP.
if [ -n "${BENCH_KEEP:-}" ]; then
	mkdir -p "$BENCH_KEEP/criu"
	(set +e
	while [ -d "$FTOP" ]; do
		find "$FTOP"/[abc]/var/lib/corral "$FTOP"/[abc]/run "$FTOP"/[abc]/tmp -name '*.log' -type f \
			-printf '%i %p\n' 2>/dev/null | while read -r i f; do
			r=${f#"$FTOP"/}
			k=$BENCH_KEEP/criu/${r%%/*}.$i.$(tr / _ <<<"${r#*/}")
			[ -e "$k" ] || ln "$f" "$k" 2>/dev/null || true
		done
		sleep 0.02
	done) &
fi
lone_move 1
run_evac seq
run_evac on
run_evac off
run_evac seq
lone_move 2
run_evac off
run_evac on
run_evac seq
lone_move 3
lone_ms=$(median_ms "${lone[@]}")

# the runs of KIND: "K1 K2 ..."
runs_of() { local k; for k in "${runs[@]}"; do [ "${k%-*}" = "$1" ] && printf '%s ' "$k"; done; }
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.0f", s / NR}'; }
downtimes() { local k; for k in "$@"; do awk 'NR > 1 {print $5 * 1000}' "$FTOP/table-$k"; done; }
read -ra seq_runs <<<"$(runs_of seq)"
seq_us=$(mean "$(for k in "${seq_runs[@]}"; do echo "${us[$k]}"; done)")
seq_max=$(mean "$(for k in "${seq_runs[@]}"; do echo "${max[$k]}"; done)")
mapfile -t seq_dt < <(downtimes "${seq_runs[@]}")
# around K: the sequential runs just before and just after run K ("K1 K2";
# one of them at either end)
around() {
	local i prev= next= found=
	for i in "${runs[@]}"; do
		if [ "$i" = "$1" ]; then found=1; continue; fi
		[ "${i%-*}" = seq ] || continue
		if [ -z "$found" ]; then prev=$i; elif [ -z "$next" ]; then next=$i; fi
	done
	echo "$prev $next"
}
# overlaps K: how many pairs of run K's moves were frozen at once (from the
# freeze to the end of the downtime: the Restore answered there)
overlaps() { awk 'NR > 1 {f[++n] = $4; e[n] = $4 + $5 / 1000}
	END {for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (f[i] < e[j] && f[j] < e[i]) c++; print c + 0}' \
	"$FTOP/table-$1"; }
# prep_ms K: the median of run K's moves' pre-freeze time (start to freeze)
prep_ms() { awk 'NR > 1 {print int(($4 - $2) * 1000)}' "$FTOP/table-$1" | sort -n |
	awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# gap_ms K: the median, over run K's moves but the first, of the time from
# the latest end of another move before its start to its start (the
# runner's stamps: "started" before its fork, "ended" when it reaped the
# move): what the fleet itself takes between a move's end and the next
# one's start
gap_ms() { awk 'NR > 1 {s[++n] = $2; e[n] = $12}
	END {for (j = 1; j <= n; j++) {b = -1; for (i = 1; i <= n; i++) if (i != j && e[i] <= s[j] && (b < 0 || s[j] - e[i] < b)) b = s[j] - e[i]
		if (b >= 0) print int(b * 1000)}}' "$FTOP/table-$1" | sort -n |
	awk '{v[NR] = $1} END {if (NR == 0) print "-"; else print v[int((NR + 1) / 2)]}'; }
echo
echo "evacuation of $N small partitions (3 hosts, etcd over TLS), in the order run:"
printf '  %-6s %5s %9s %11s %9s %9s %10s %9s %9s %7s %7s %5s %7s %12s %9s %6s %s\n' run load total_ms worst_dt_ms total/seq tot/near \
	worst/lone worst/seq med/seq prep_ms ahead both psi cpu own/etcd gap_ms store/move
declare -A sum_t sum_w n_w sum_n
for k in "${runs[@]}"; do
	w=${k%-*}
	mapfile -t dt < <(downtimes "$k")
	read -ra near <<<"$(around "$k")"
	near_us=$(mean "$(for j in "${near[@]}"; do echo "${us[$j]}"; done)")
	rt=$(ratio "${us[$k]}" "$seq_us") rn=$(ratio "${us[$k]}" "$near_us") rw=$(ratio "$(ms "${max[$k]}")" "$lone_ms")
	printf '  %-6s %5s %9s %11s %8sx %8sx %9sx %8sx %8sx %7s %7s %5s %7s %12s %9s %6s %s\n' "$k" "${load[$k]}" "$(ms "${us[$k]}")" \
		"$(ms "${max[$k]}")" "$rt" "$rn" "$rw" "$(ratio "${max[$k]}" "$seq_max")" \
		"$(ratio "$(median "${dt[@]}")" "$(median "${seq_dt[@]}")")" "$(prep_ms "$k")" "${ahead[$k]}" \
		"$(overlaps "$k")" "${psi[$k]}" "${cpu[$k]}" "${own[$k]:--}" "$(gap_ms "$k")" "${store[$k]}"
	sum_t[$w]=$(awk -v a="${sum_t[$w]:-0}" -v b="$rt" 'BEGIN {print a + b}')
	sum_n[$w]=$(awk -v a="${sum_n[$w]:-0}" -v b="$rn" 'BEGIN {print a + b}')
	sum_w[$w]=$(awk -v a="${sum_w[$w]:-0}" -v b="$rw" 'BEGIN {print a + b}')
	n_w[$w]=$((${n_w[$w]:-0} + 1))
done
echo "  seq: --parallel 1, the baseline (the mean of its runs: $(ms "$seq_us") ms, longest downtime $(ms "$seq_max") ms);"
echo "  on/off: --parallel 2 with the corralds' $SWITCH=1 or 0;"
echo "  tot/near: against the mean of the sequential runs just before and after it;"
echo "  prep_ms: median start-to-freeze of the run's moves; ahead: median unpack ahead (ms) there;"
echo "  both: pairs of its moves frozen at once (freeze to the Restore's answer);"
echo "  psi: % of the run some task waited for a CPU / for I/O (/proc/pressure: the machine's contention);"
echo "  cpu: CPU seconds every task used during the run / their share of both CPUs' time / processes made;"
echo "  own/etcd: CPU seconds the bench's own processes used (its cgroup: etcd, corralds, moves, CRIU;"
echo "           not the partitions' workloads nor the rest of the machine) / the etcd members' part of it;"
echo "  gap_ms: median time from a move's end to the next start (the closest end before each start);"
echo "  store/move: the store's requests during the run per move, range/txn/put/other (etcd's /metrics)"
echo "  a lone movewpar: downtime $lone_ms ms (median of 3: start, middle, end)"
# The goal's ratio sets the worst of 8 moves against the median of 3; on a
# busy machine a single move varies by 2x or more, so this ratio misses by
# the spread alone. The moves of --parallel 1 are 8 lone moves of the same
# partitions in the same run: like against like, worst against worst and
# median against median, says what the parallelism itself costs.
echo
echo "every move, by when it froze (seconds from the start of its run; ms unless named):"
echo "lone moves of s1 to b:"
table_head
printf '%s\n' "${lone_rows[@]}"
for k in "${runs[@]}"; do
	echo "evacuation $k:"
	cat "$FTOP/table-$k"
	[ -z "${BENCH_VERBOSE:-}" ] || cat "$FTOP/evac-$k" "$FTOP/restore-$k"
done
echo
for w in on off; do
	echo "$SWITCH $w, mean of ${n_w[$w]} runs:"
	goal "--parallel 2 total <= 0.6x sequential (the runs around it)" \
		"$(awk -v a="${sum_n[$w]}" -v n="${n_w[$w]}" 'BEGIN {printf "%.2f", a / n}')" "<=" 0.6
	goal "longest parallel downtime <= 1.3x a lone move" "$(awk -v a="${sum_w[$w]}" -v n="${n_w[$w]}" 'BEGIN {printf "%.2f", a / n}')" "<=" 1.3
done
echo
ETCD_TLS_DIR= ETCD_NETNS= ETCD_HOST= etcd_stop
ETCD_TLS_DIR= ETCD_NETNS= ETCD_HOST=127.0.0.1 etcd_start 1
"$CORRAL_BUILD_DIR/bench/bench_fleet_plan" "$ETCD_ENDPOINTS" 7
