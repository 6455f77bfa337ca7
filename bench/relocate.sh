#!/usr/bin/env bash
# Live relocation (issue 6): movewpar of a checkpointable partition whose
# service is tests/helpers/memhog with BENCH_MIB (512) MiB of half-random
# memory, between two "hosts" (network namespaces joined by a veth, each with
# its own CORRAL_ROOT, cgroup parent, keys, trust and corrald). Times the
# downtime (freeze to resumed on the destination) and the whole command, and
# checks every page on the destination.
# Baseline in the same run: the obvious pipeline for the same memhog in new
# pid+mnt+uts+ipc namespaces: `criu dump` to a directory on host A, then
# tar | lz4 -1 | socat over the veth, socat | lz4 -d | tar -x on host B, then
# `criu restore` there (the tree is stopped from the dump to the end of the
# restore: downtime = whole pipeline); also checked page by page.
# Everything lives on tmpfs (/dev/shm). Prints the ratios and whether the
# downtime is within 0.5x the baseline's (the goal of issue 6).
# Usage, as root: bench/relocate.sh   (CORRAL_BUILD_DIR defaults to ./build;
# BENCH_MIB=64 for a quick run; BENCH_ROUNDS (1) repeats both sides and
# reports medians; BENCH_RAW_NET=1 gives the raw tree a network namespace
# too, locked with nftables while dumped, as a partition's is).
# Exits non-zero only when something fails.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/hosts.sh"
need_root
for c in criu unshare nsenter ip socat lz4 tar; do
	command -v "$c" >/dev/null || fail "needs $c (scripts/deps.sh installs it)"
done
mib=${BENCH_MIB:-512}
rounds=${BENCH_ROUNDS:-1}
[[ $mib =~ ^[1-9][0-9]{0,4}$ ]] || fail "BENCH_MIB must be 1 to 99999"
[[ $rounds =~ ^[1-9]$ ]] || fail "BENCH_ROUNDS must be 1 to 9"
memhog=$CORRAL_BUILD_DIR/tests/helpers/memhog
[ -x "$memhog" ] || fail "no $memhog (build the tests' helpers)"
bin=$CORRAL_BUILD_DIR/cli
CRIU_TIMEOUT=${BENCH_CRIU_TIMEOUT:-300}

# Raw criu gets CRIU_FAULT=130 exactly when Corral's probe found that
# hardware breakpoints do not fire here (criu dump would hang otherwise).
check=$(corral check --json) || fail "corral check --json failed"
hw=$(awk '/"hw-breakpoints"/ {p = 1} p && /"status"/ {gsub(/[",]/, "", $2); print $2; exit}' <<<"$check")
[ -n "$hw" ] || fail "corral check --json has no hw-breakpoints probe"
raw_env=()
[ "$hw" = ok ] || raw_env=(CRIU_FAULT=130)
raw_ns=(--pid --mount-proc --uts --ipc) raw_opts=()
if [ "${BENCH_RAW_NET:-0}" = 1 ]; then
	raw_ns+=(--net) raw_opts=(--network-lock nftables)
fi

bench_setup /dev/shm
x=$(($$ % 200 + 20))
na=crbA$$ nb=crbB$$ va=crbvA$$ vb=crbvB$$ net=10.216.$x port=$((20000 + $$ % 10000))
ra=$CORRAL_ROOT/a rb=$CORRAL_ROOT/b raw=$CORRAL_ROOT/raw
cga=$CORRAL_CGROUP_PARENT-a cgb=$CORRAL_CGROUP_PARENT-b
pa='' pb='' outer=''
# shellcheck disable=SC2016 # expanded by the trap, when it runs
bench_cleanups+=('[ -s "$raw/pid" ] && kill -9 "$(cat "$raw/pid")"'
	'[ -n "$outer" ] && kill -9 $(pgrep -P "$outer") "$outer"'
	'host_teardown a; host_teardown b'
	'[ -n "$pa" ] && kill "$pa"; [ -n "$pb" ] && kill "$pb"'
	'ip netns del "$na"; ip netns del "$nb"'
	'rmdir /sys/fs/cgroup/*/"$cga" /sys/fs/cgroup/*/"$cgb"')

on_a() { nsenter --net=/run/netns/"$na" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" "$@"; }
on_b() { nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" "$@"; }

# host_teardown a|b: stop and remove every partition of that host.
host_teardown() {
	local r=$CORRAL_ROOT/$1 spec n
	for spec in "$r"/etc/wpars/*.spec; do
		[ -e "$spec" ] || continue
		n=$(basename "$spec" .spec)
		CORRAL_ROOT=$r CORRAL_CGROUP_PARENT=$CORRAL_CGROUP_PARENT-$1 "$bin/stopwpar" -F "$n"
		CORRAL_ROOT=$r CORRAL_CGROUP_PARENT=$CORRAL_CGROUP_PARENT-$1 "$bin/rmwpar" -F "$n"
	done
}

# wait_file PATH WHAT: up to 120 s for a file to appear.
wait_file() {
	for _ in $(seq 1200); do [ -e "$1" ] && return 0; sleep 0.1; done
	fail "$2: no $1 after 120 s"
}

# check_pages DIR PID WHAT: memhog PID compares every page, then exits.
check_pages() {
	rm -f "$1/result"
	kill -USR1 "$2"
	wait_file "$1/result" "$3"
	assert_eq PASS "$(head -1 "$1/result")" "$3: memory after the move"
}

hosts_up() {
	two_hosts "$na" "$nb" "$va" "$vb" "$net"
	mkdir -p "$ra" "$rb" "$raw"
	CORRAL_ROOT=$ra "$bin/corral" keygen >/dev/null 2>&1 || fail "keygen on A"
	CORRAL_ROOT=$rb "$bin/corral" keygen >/dev/null 2>&1 || fail "keygen on B"
	CORRAL_ROOT=$ra "$bin/corral" trust b "$net.2" "$rb/etc/corral/host.pub" >/dev/null
	CORRAL_ROOT=$rb "$bin/corral" trust a "$net.1" "$ra/etc/corral/host.pub" >/dev/null
	on_a "$bin/corrald" --foreground --listen "$net.1" 2>>"$CORRAL_ROOT/a.log" >/dev/null &
	# shellcheck disable=SC2034 # pa and pb: for the EXIT trap
	pa=$!
	on_b "$bin/corrald" --foreground --listen "$net.2" 2>>"$CORRAL_ROOT/b.log" >/dev/null &
	# shellcheck disable=SC2034
	pb=$!
	for _ in $(seq 100); do
		[ -S "$ra/run/corral/corrald.sock" ] && [ -S "$rb/run/corral/corrald.sock" ] && return 0
		sleep 0.1
	done
	fail "the corralds did not start: $(tail -3 "$CORRAL_ROOT"/[ab].log)"
}

# criu_raw HOST ACTION DIR ARGS...: criu in HOST's network namespace with the
# options a partition's tree needs, the env decided above, a timeout.
criu_raw() {
	local ns=$1 action=$2 dir=$3
	shift 3
	nsenter --net=/run/netns/"$ns" env "${raw_env[@]}" timeout "$CRIU_TIMEOUT" criu "$action" -D "$dir" \
		-o "$action.log" --ext-mount-map auto --enable-external-sharing --enable-external-masters \
		--manage-cgroups=ignore "${raw_opts[@]}" "$@" ||
		fail "criu $action failed, see $dir/$action.log: $(tail -2 "$dir/$action.log")"
}

# The baseline: dump on A, tar | lz4 | socat to B, untar there, restore on B.
raw_round() {
	rm -rf "$raw/a" "$raw/b" "$raw/run" "$raw/pid"
	mkdir -p "$raw/a" "$raw/b" "$raw/run"
	nsenter --net=/run/netns/"$na" unshare --fork "${raw_ns[@]}" "$memhog" "$raw/run" "$mib" \
		--private-mounts </dev/null >/dev/null 2>&1 &
	outer=$!
	wait_file "$raw/run/ready" "raw memhog"
	local pid t0 t1 t2 t3 recv
	pid=$(pgrep -P "$outer")
	[ -n "$pid" ] || fail "unshare $outer started no memhog"
	nsenter --net=/run/netns/"$nb" sh -c \
		"socat -u TCP-LISTEN:$port,bind=$net.2,reuseaddr - | lz4 -d -c | tar -C '$raw/b' -xf -" &
	recv=$!
	for _ in $(seq 100); do
		ip netns exec "$nb" ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	t0=$(now_us)
	criu_raw "$na" dump "$raw/a" -t "$pid"
	t1=$(now_us)
	tar -C "$raw/a" -cf - . | lz4 -1 -c | nsenter --net=/run/netns/"$na" socat -u - "TCP:$net.2:$port" ||
		fail "baseline transfer failed"
	wait "$recv" || fail "baseline receiver failed"
	t2=$(now_us)
	criu_raw "$nb" restore "$raw/b" -d --root / --pidfile "$raw/pid"
	t3=$(now_us)
	wait "$outer" 2>/dev/null || true
	outer=
	raw_dump+=($((t1 - t0))) raw_xfer+=($((t2 - t1))) raw_restore+=($((t3 - t2))) raw_down+=($((t3 - t0)))
	raw_kib=$(du -sk "$raw/a" | cut -f1)
	check_pages "$raw/run" "$(cat "$raw/pid")" "baseline"
	rm -f "$raw/pid"
	rm -rf "$raw/a" "$raw/b"
}

# field NAME TEXT: "NAME X ms" from movewpar -v's lines, in us.
field() { sed -n "s/.*$1 \([0-9.]*\) ms.*/\1/p" <<<"$2" | head -1 | awk '{printf "%d", $1 * 1000}'; }

corral_round() {
	local name=hog root=$ra/wpars/hog out t0 total_s
	on_a "$bin/mkwpar" -n "$name" -c >/dev/null || fail "mkwpar on A"
	install -m 0755 "$memhog" "$root/root/memhog"
	mkdir -p "$root/tmp/memhog"
	echo "/root/memhog /tmp/memhog $mib" >>"$root/etc/corral/services"
	on_a "$bin/startwpar" "$name" >/dev/null || fail "startwpar on A"
	wait_file "$root/tmp/memhog/ready" "the partition's memhog"

	t0=$(now_us)
	out=$(on_a "$bin/movewpar" -v "$name" b 2>&1) || fail "movewpar failed: $out"
	wall+=($(($(now_us) - t0)))
	down+=("$(field downtime "$out")")
	total_s=$(sed -n 's/.*total \([0-9.]*\) s.*/\1/p' <<<"$out")
	total+=("$(awk -v s="$total_s" 'BEGIN {printf "%d", s * 1000000}')")
	m_freeze+=("$(field freeze "$out")") m_dump+=("$(field dump "$out")")
	m_archive+=("$(field archive "$out")") m_stream+=("$(field stream "$out")")
	m_restore+=("$(field restore "$out")") m_hand+=("$(field hand-over "$out")")
	sent=$(sed -n 's/.*sent \([0-9.]*\) MiB.*/\1/p' <<<"$out")
	[ -n "${down[-1]}" ] && [ -n "${m_hand[-1]}" ] || fail "no timing lines from movewpar -v: $out"
	[ "$(CORRAL_ROOT=$rb state_of "$name")" = A ] || fail "not Active on B after the move"
	[ ! -e "$ra/etc/wpars/$name.spec" ] || fail "still defined on A after the move"
	local p pid=
	for p in $(pgrep -f '^/root/memhog /tmp/memhog'); do
		grep -q "/$cgb/" "/proc/$p/cgroup" && pid=$p
	done
	[ -n "$pid" ] || fail "no memhog in B's partition after the move"
	check_pages "$rb/wpars/hog/tmp/memhog" "$pid" "movewpar"
	on_b "$bin/stopwpar" -F "$name" >/dev/null
	on_b "$bin/rmwpar" -F "$name" >/dev/null
}

raw_dump=() raw_xfer=() raw_restore=() raw_down=()
down=() total=() wall=() m_freeze=() m_dump=() m_archive=() m_stream=() m_restore=() m_hand=()
echo "Relocation of $mib MiB (half random) between two network namespaces, $rounds round(s), on tmpfs;" \
	"raw criu${raw_env[*]:+ with ${raw_env[*]}} on unshare ${raw_ns[*]}"
load_note
hosts_up
for _ in $(seq "$rounds"); do
	raw_round
	corral_round
done

m_rd=$(median "${raw_down[@]}") m_down=$(median "${down[@]}") m_total=$(median "${total[@]}")
echo
printf '  %-40s %11s   %s\n' "" "median" "/ baseline downtime"
printf '  %-40s %8s ms\n' "baseline: criu dump (to tmpfs)" "$(ms "$(median "${raw_dump[@]}")")"
printf '  %-40s %8s ms\n' "  tar | lz4 | socat | lz4 -d | tar -x" "$(ms "$(median "${raw_xfer[@]}")")"
printf '  %-40s %8s ms\n' "  criu restore -d" "$(ms "$(median "${raw_restore[@]}")")"
printf '  %-40s %8s ms   %5sx\n' "  downtime = total" "$(ms "$m_rd")" "1.00"
printf '  %-40s %8s ms   %5sx\n' "movewpar: downtime" "$(ms "$m_down")" "$(ratio "$m_down" "$m_rd")"
printf '  %-40s %8s ms\n' "  freeze" "$(ms "$(median "${m_freeze[@]}")")"
printf '  %-40s %8s ms\n' "  dump (CRIU, tree frozen)" "$(ms "$(median "${m_dump[@]}")")"
printf '  %-40s %8s ms\n' "  archive (private file systems)" "$(ms "$(median "${m_archive[@]}")")"
printf '  %-40s %8s ms\n' "  stream (pack, send, unpack there)" "$(ms "$(median "${m_stream[@]}")")"
printf '  %-40s %8s ms\n' "  restore there (Paused)" "$(ms "$(median "${m_restore[@]}")")"
printf '  %-40s %8s ms\n' "  hand-over" "$(ms "$(median "${m_hand[@]}")")"
printf '  %-40s %8s ms   %5sx\n' "movewpar: total (as it reports)" "$(ms "$m_total")" "$(ratio "$m_total" "$m_rd")"
printf '  %-40s %8s ms   %5sx\n' "movewpar: whole command" "$(ms "$(median "${wall[@]}")")" \
	"$(ratio "$(median "${wall[@]}")" "$m_rd")"
printf '  %-40s %8s MiB  (raw CRIU images: %s KiB)\n' "sent" "$sent" "$raw_kib"
echo
goal "movewpar downtime <= 0.5x the baseline's ($(ratio "$m_down" "$m_rd")x)" "$(ratio "$m_down" "$m_rd")" "<=" 0.50
