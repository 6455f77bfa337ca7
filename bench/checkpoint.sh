#!/usr/bin/env bash
# Checkpoint and restart (issues 5, 18): a checkpointable partition whose
# service is tests/helpers/memhog with BENCH_MIB (512) MiB of half-random
# memory. Times chkptwpar (a snapshot, with its freeze/dump/write/frozen
# phases), the image size, then chkptwpar -k and restartwpar, and checks
# every page after the restart.
# Baseline in the same run, alternating with it: raw `criu dump` and
# `criu restore` of a partition's own tree (a second partition, made and
# started the same way): its init with its pid, mount, uts, ipc and network
# namespaces, dumped with the options Corral passes (its root, external
# mounts, --empty-ns net, the nftables lock, the freezer cgroup, TCP, file
# locks, link remaps; --leave-running, as Corral's dump leaves it frozen) to a
# tmpfs directory, then restored from it (-d, into new namespaces, while the
# dumped tree runs on) and checked page by page. Everything lives on tmpfs
# (/dev/shm), so the disk plays no part in either. Prints Corral/raw ratios
# and issue 18's goals: a snapshot's frozen time <= 1.10x the raw dump, the
# whole chkptwpar <= 1.25x, restartwpar <= 1.10x the raw restore, the extra
# memory of chkptwpar and restartwpar (peak tmpfs use besides the image file,
# plus the command's own peak RSS, sampled every 20 ms in a second, untimed run) <= 64 MiB, and the
# image about 0.5x CRIU's raw images.
# CORRAL_CHECKPOINT_STREAM=0 CORRAL_RESTART_STREAM=0 measures the staged path.
# Usage, as root: bench/checkpoint.sh   (CORRAL_BUILD_DIR defaults to ./build;
# BENCH_MIB=64 for a quick run; BENCH_FILL=dna for memory as slow to compress
# as real heaps (memhog --fill=dna); BENCH_ROUNDS (2) repeats both sides and
# reports medians); BENCH_KEEP_IMAGE=FILE keeps the last restarted image
# there (for build/bench/bench_serve). Exits non-zero only when something fails.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
need_root
need_commands criu
bench_mib 512
bench_rounds 2
need_memhog
raw_criu_options

bench_setup /dev/shm
raw_baseline_dir
# The host's facts (criu's features, the probes) are cached once per host:
# made now, not inside the first chkptwpar measured.
corral check >/dev/null || fail "corral check failed"
img=$CORRAL_ROOT/images
mkdir -p "$img"

# A partition's init, and the freezer cgroup it is in.
partition_init() { sed -n 's/^init_pid=//p' "$CORRAL_ROOT/var/lib/corral/$1/state"; }
freezer_of() { sed -n 's/^[0-9]*:freezer:\(.*\)/\1/p' "/proc/$1/cgroup"; }
# The memhog of the tree whose init is $1 (in its pid namespace).
memhog_of() {
	local p ns
	ns=$(readlink "/proc/$1/ns/pid")
	for p in $(pgrep -f '^/root/memhog /tmp/memhog'); do
		[ "$(readlink "/proc/$p/ns/pid")" = "$ns" ] && echo "$p" && return
	done
}
raw_down() {
	[ -s "$raw/pid" ] && kill -9 "$(cat "$raw/pid")"
	rm -f "$raw/pid"
	stopwpar -F rawhog && rmwpar -F rawhog
}
bench_cleanups+=(raw_down)

# end_tree INIT: kill the tree whose init is INIT and wait (10 s at most)
# until its processes are gone.
end_tree() {
	local hog i
	hog=$(memhog_of "$1")
	kill -9 "$1"
	for i in $(seq 100); do
		if [ ! -e "/proc/$1" ] && { [ -z "$hog" ] || [ ! -e "/proc/$hog" ]; }; then return 0; fi
		sleep 0.1
	done
	fail "tree of init $1 did not end"
}

raw_round() {
	local name=rawhog root=$CORRAL_ROOT/wpars/rawhog init pid
	# What cr_partition_criu_common (ckpt/partition_criu.c) asks of CRIU for
	# a system partition, besides criu_raw's external mounts and cgroups.
	local opts=(--root "$root" --tcp-established --file-locks --link-remap --ghost-limit $((256 << 20))
		--empty-ns net --network-lock nftables)
	memhog_partition "$name" "$root"
	init=$(partition_init "$name")
	[ -n "$init" ] || fail "no init pid for $name"
	rm -rf "$raw/img"
	mkdir -p "$raw/img"
	timed raw_dump criu_raw dump "$raw/img" -t "$init" --leave-running \
		--freeze-cgroup "/sys/fs/cgroup/freezer$(freezer_of "$init")" "${opts[@]}"
	raw_kib=$(du -sk "$raw/img" | cut -f1)
	# The dumped tree ends before the restore, as chkptwpar -k's does before
	# restartwpar: both restores then find its memory just freed. (With the
	# tree still running, the raw restore took 0.6-1.9 s on this VM, quiet,
	# against 0.35-0.45 s after it ended.)
	end_tree "$init"
	timed raw_restore criu_raw restore "$raw/img" -d --pidfile "$raw/pid" "${opts[@]}"
	pid=$(memhog_of "$(cat "$raw/pid")")
	[ -n "$pid" ] || fail "no memhog in the restored tree"
	check_pages "$root/tmp/memhog" "$pid" "raw criu restore" "the restore"
	raw_down >/dev/null
}

corral_round() {
	local name=hog root=$CORRAL_ROOT/wpars/hog out t0 pid
	memhog_partition "$name" "$root"

	t0=$(now_us)
	chkptwpar -v -o "$img/snap.wpar" "$name" >"$CORRAL_ROOT/snap.out" || fail "chkptwpar (snapshot) failed"
	snap+=($(($(now_us) - t0)))
	out=$(cat "$CORRAL_ROOT/snap.out")
	[ "$(state_of "$name")" = A ] || fail "not Active after a snapshot"
	freeze+=("$(ms_field freeze "$out")") dump+=("$(ms_field dump "$out")")
	write+=("$(ms_field write "$out")") frozen+=("$(ms_field frozen "$out")")
	[ -n "${frozen[-1]}" ] || fail "no timing line from chkptwpar -v: $out"
	image_kib=$(($(stat -c %s "$img/snap.wpar") / 1024))
	rm -f "$img/snap.wpar"
	# The memory, from a second snapshot: the sampler's forks (df, awk,
	# sleep every 20 ms) would slow the timed one, and not the raw dump.
	mem_run chkptwpar -o "$img/snap.wpar" "$name" >/dev/null || fail "chkptwpar (snapshot) failed"
	snap_mem+=($((mem_fs_kib - $(stat -c %s "$img/snap.wpar") / 1024 + mem_rss_kib)))
	snap_rss+=("$mem_rss_kib")
	rm -f "$img/snap.wpar"

	timed kill_ chkptwpar -k -o "$img/hog.wpar" "$name"
	[ "$(state_of "$name")" = D ] || fail "not Defined after chkptwpar -k"
	t0=$(now_us)
	restartwpar -i "$img/hog.wpar" "$name" >/dev/null || fail "restartwpar failed"
	restart+=($(($(now_us) - t0)))
	[ "$(state_of "$name")" = A ] || fail "not Active after restartwpar"
	pid=$(partition_memhog "$CORRAL_CGROUP_PARENT") || fail "no memhog in the partition after restartwpar"
	check_pages "$root/tmp/memhog" "$pid" "restartwpar" "the restore"
	stopwpar -F "$name" >/dev/null
	# The memory, from a second restart of the same image (not timed).
	mem_run restartwpar -i "$img/hog.wpar" "$name" >/dev/null || fail "restartwpar (again) failed"
	restart_mem+=($((mem_fs_kib + mem_rss_kib)))
	restart_rss+=("$mem_rss_kib")
	stopwpar -F "$name" >/dev/null
	rmwpar -F "$name" >/dev/null
	if [ -n "${BENCH_KEEP_IMAGE:-}" ]; then mv "$img/hog.wpar" "$BENCH_KEEP_IMAGE"; else rm -f "$img/hog.wpar"; fi
}

raw_dump=() raw_restore=() snap=() freeze=() dump=() write=() frozen=() kill_=() restart=()
snap_mem=() snap_rss=() restart_mem=() restart_rss=()
echo "Checkpoint and restart of $mib MiB (${BENCH_FILL:-half random}), $rounds round(s), on tmpfs; raw criu${raw_env[*]:+ with ${raw_env[*]}} on a partition's tree"
load_note
for _ in $(seq "$rounds"); do
	raw_round
	corral_round
done

# Each round's raw and Corral times side by side: a raw restore that is slow
# in one round (it varies more than restartwpar on this VM) shows here.
for i in $(seq 0 $((rounds - 1))); do
	printf '  round %d: raw dump %s, snapshot frozen %s, raw restore %s, restartwpar %s ms (%sx)\n' $((i + 1)) \
		"$(ms "${raw_dump[i]}")" "$(ms "${frozen[i]}")" "$(ms "${raw_restore[i]}")" "$(ms "${restart[i]}")" \
		"$(ratio "${restart[i]}" "${raw_restore[i]}")"
done
m_rd=$(median "${raw_dump[@]}") m_rr=$(median "${raw_restore[@]}")
m_snap=$(median "${snap[@]}") m_dump=$(median "${dump[@]}") m_kill=$(median "${kill_[@]}")
m_restart=$(median "${restart[@]}")
echo
printf '  %-36s %11s   %s\n' "" "median" "/ raw criu"
printf '  %-36s %8s ms\n' "raw criu dump (to tmpfs)" "$(ms "$m_rd")"
printf '  %-36s %8s ms\n' "raw criu restore -d" "$(ms "$m_rr")"
printf '  %-36s %8s ms   %5sx dump\n' "chkptwpar (snapshot, whole command)" "$(ms "$m_snap")" "$(ratio "$m_snap" "$m_rd")"
printf '  %-36s %8s ms\n' "  freeze" "$(median_ms "${freeze[@]}")"
printf '  %-36s %8s ms   %5sx dump\n' "  dump (CRIU, tree frozen)" "$(ms "$m_dump")" "$(ratio "$m_dump" "$m_rd")"
printf '  %-36s %8s ms\n' "  write (pack the image)" "$(median_ms "${write[@]}")"
printf '  %-36s %8s ms\n' "  frozen (freeze to thaw)" "$(median_ms "${frozen[@]}")"
printf '  %-36s %8s ms   %5sx dump\n' "chkptwpar -k" "$(ms "$m_kill")" "$(ratio "$m_kill" "$m_rd")"
printf '  %-36s %8s ms   %5sx restore\n' "restartwpar" "$(ms "$m_restart")" "$(ratio "$m_restart" "$m_rr")"
printf '  %-36s %8s KiB  %5sx (raw CRIU images: %s KiB)\n' "image file" "$image_kib" \
	"$(ratio "$image_kib" "$raw_kib")" "$raw_kib"
m_frozen=$(median "${frozen[@]}")
m_snap_mem=$(median "${snap_mem[@]}" | cut -d. -f1) m_restart_mem=$(median "${restart_mem[@]}" | cut -d. -f1)
printf '  %-36s %8s MiB  (its own peak RSS %s MiB)\n' "extra memory, chkptwpar snapshot" \
	"$((m_snap_mem / 1024))" "$(($(median "${snap_rss[@]}" | cut -d. -f1) / 1024))"
printf '  %-36s %8s MiB  (its own peak RSS %s MiB)\n' "extra memory, restartwpar" \
	"$((m_restart_mem / 1024))" "$(($(median "${restart_rss[@]}" | cut -d. -f1) / 1024))"
echo "  (extra memory: peak tmpfs use besides the image file, plus the command's peak RSS)"
echo
goal "snapshot frozen <= 1.10x raw criu dump ($(ratio "$m_frozen" "$m_rd")x)" "$(ratio "$m_frozen" "$m_rd")" "<=" 1.10
goal "chkptwpar <= 1.25x raw criu dump ($(ratio "$m_snap" "$m_rd")x)" "$(ratio "$m_snap" "$m_rd")" "<=" 1.25
goal "restartwpar <= 1.10x raw criu restore ($(ratio "$m_restart" "$m_rr")x)" "$(ratio "$m_restart" "$m_rr")" "<=" 1.10
goal "extra memory <= 64 MiB (chkptwpar $((m_snap_mem / 1024)), restartwpar $((m_restart_mem / 1024)))" \
	"$(( m_snap_mem > m_restart_mem ? m_snap_mem : m_restart_mem ))" "<=" 65536
goal "image about 0.5x CRIU's raw images (<= 0.6x: $(ratio "$image_kib" "$raw_kib")x)" "$(ratio "$image_kib" "$raw_kib")" "<=" 0.6
