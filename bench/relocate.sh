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
# BENCH_MIB=64 for a quick run; BENCH_MODE (stop-copy; auto, post-copy: see
# relocate_postcopy.sh); BENCH_ROUNDS (1) repeats both sides and
# reports medians; BENCH_RAW_NET=1 gives the raw tree a network namespace
# too, locked with nftables while dumped, as a partition's is).
# Exits non-zero only when something fails.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/hosts.sh"
need_root
need_commands criu unshare nsenter ip socat lz4 tar
bench_mib 512
bench_rounds 1
need_memhog
raw_criu_options

bench_setup /dev/shm
raw_baseline_dir
bench_hosts
bench_netns_hosts crb 10.216

# The baseline: dump on A, tar | lz4 | socat to B, untar there, restore on B.
raw_round() {
	rm -rf "$raw/a" "$raw/b"
	mkdir -p "$raw/a" "$raw/b"
	raw_memhog -n "$na"
	local t0 t1 t2 t3 recv
	nsenter --net=/run/netns/"$nb" sh -c \
		"socat -u TCP-LISTEN:$port,bind=$net.2,reuseaddr - | lz4 -d -c | tar -C '$raw/b' -xf -" &
	recv=$!
	for _ in $(seq 100); do
		ip netns exec "$nb" ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	t0=$(now_us)
	criu_raw -n "$na" dump "$raw/a" -t "$raw_pid"
	t1=$(now_us)
	tar -C "$raw/a" -cf - . | lz4 -1 -c | nsenter --net=/run/netns/"$na" socat -u - "TCP:$net.2:$port" ||
		fail "baseline transfer failed"
	wait "$recv" || fail "baseline receiver failed"
	t2=$(now_us)
	criu_raw -n "$nb" restore "$raw/b" -d --root / --pidfile "$raw/pid"
	t3=$(now_us)
	raw_dumped
	raw_dump+=($((t1 - t0))) raw_xfer+=($((t2 - t1))) raw_restore+=($((t3 - t2))) raw_down+=($((t3 - t0)))
	raw_kib=$(du -sk "$raw/a" | cut -f1)
	raw_check_pages "baseline" "the move"
	rm -rf "$raw/a" "$raw/b"
}

corral_round() {
	local name=hog out t0 total_s pid
	memhog_partition "$name" "$ra/wpars/$name" on_a

	t0=$(now_us)
	out=$(on_a "$BIN/movewpar" -v --mode "${BENCH_MODE:-stop-copy}" "$name" b 2>&1) || fail "movewpar failed: $out"
	wall+=($(($(now_us) - t0)))
	down+=("$(ms_field downtime "$out")")
	total_s=$(sed -n 's/.*total \([0-9.]*\) s.*/\1/p' <<<"$out")
	total+=("$(awk -v s="$total_s" 'BEGIN {printf "%d", s * 1000000}')")
	m_freeze+=("$(ms_field freeze "$out")") m_dump+=("$(ms_field dump "$out")")
	m_archive+=("$(ms_field archive "$out")") m_stream+=("$(ms_field stream "$out")")
	m_restore+=("$(ms_field restore "$out")") m_hand+=("$(ms_field hand-over "$out")")
	sent=$(sed -n 's/.*sent \([0-9.]*\) MiB.*/\1/p' <<<"$out")
	[ -n "${down[-1]}" ] && [ -n "${m_hand[-1]}" ] || fail "no timing lines from movewpar -v: $out"
	[ "$(CORRAL_ROOT=$rb state_of "$name")" = A ] || fail "not Active on B after the move"
	[ ! -e "$ra/etc/wpars/$name.spec" ] || fail "still defined on A after the move"
	pid=$(partition_memhog "$CORRAL_CGROUP_PARENT-b") || fail "no memhog in B's partition after the move"
	check_pages "$rb/wpars/hog/tmp/memhog" "$pid" "movewpar" "the move"
	on_b "$BIN/stopwpar" -F "$name" >/dev/null
	on_b "$BIN/rmwpar" -F "$name" >/dev/null
}

raw_dump=() raw_xfer=() raw_restore=() raw_down=()
down=() total=() wall=() m_freeze=() m_dump=() m_archive=() m_stream=() m_restore=() m_hand=()
echo "Relocation of $mib MiB (half random) between two network namespaces, $rounds round(s), on tmpfs;" \
	"$(raw_criu_note)"
load_note
two_hosts "$na" "$nb" "$va" "$vb" "$net"
hosts_up "$net.1" "$net.2"
for _ in $(seq "$rounds"); do
	raw_round
	corral_round
done

m_rd=$(median "${raw_down[@]}") m_down=$(median "${down[@]}") m_total=$(median "${total[@]}")
echo
printf '  %-40s %11s   %s\n' "" "median" "/ baseline downtime"
printf '  %-40s %8s ms\n' "baseline: criu dump (to tmpfs)" "$(median_ms "${raw_dump[@]}")"
printf '  %-40s %8s ms\n' "  tar | lz4 | socat | lz4 -d | tar -x" "$(median_ms "${raw_xfer[@]}")"
printf '  %-40s %8s ms\n' "  criu restore -d" "$(median_ms "${raw_restore[@]}")"
printf '  %-40s %8s ms   %5sx\n' "  downtime = total" "$(ms "$m_rd")" "1.00"
printf '  %-40s %8s ms   %5sx\n' "movewpar: downtime" "$(ms "$m_down")" "$(ratio "$m_down" "$m_rd")"
printf '  %-40s %8s ms\n' "  freeze" "$(median_ms "${m_freeze[@]}")"
printf '  %-40s %8s ms\n' "  dump (CRIU, tree frozen)" "$(median_ms "${m_dump[@]}")"
printf '  %-40s %8s ms\n' "  archive (private file systems)" "$(median_ms "${m_archive[@]}")"
printf '  %-40s %8s ms\n' "  stream (pack, send, unpack there)" "$(median_ms "${m_stream[@]}")"
printf '  %-40s %8s ms\n' "  restore there (Paused)" "$(median_ms "${m_restore[@]}")"
printf '  %-40s %8s ms\n' "  hand-over" "$(median_ms "${m_hand[@]}")"
printf '  %-40s %8s ms   %5sx\n' "movewpar: total (as it reports)" "$(ms "$m_total")" "$(ratio "$m_total" "$m_rd")"
printf '  %-40s %8s ms   %5sx\n' "movewpar: whole command" "$(median_ms "${wall[@]}")" \
	"$(ratio "$(median "${wall[@]}")" "$m_rd")"
printf '  %-40s %8s MiB  (raw CRIU images: %s KiB)\n' "sent" "$sent" "$raw_kib"
echo
goal "movewpar downtime <= 0.5x the baseline's ($(ratio "$m_down" "$m_rd")x)" "$(ratio "$m_down" "$m_rd")" "<=" 0.50
