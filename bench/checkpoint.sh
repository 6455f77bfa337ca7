#!/usr/bin/env bash
# Checkpoint and restart (issue 5): a checkpointable partition whose service
# is tests/helpers/memhog with BENCH_MIB (512) MiB of half-random memory.
# Times chkptwpar (a snapshot, with its freeze/dump/write/frozen phases), the
# image size, then chkptwpar -k and restartwpar, and checks every page after
# the restart. Baseline in the same run: raw `criu dump` and `criu restore`
# of the same memhog in new pid+mnt+uts+ipc namespaces (unshare), also
# checked after the restore. Everything lives on tmpfs (/dev/shm), so the
# disk plays no part in either. Prints Corral/raw ratios and whether both
# stay within 1.10x of raw CRIU.
# Usage, as root: bench/checkpoint.sh   (CORRAL_BUILD_DIR defaults to ./build;
# BENCH_MIB=64 for a quick run; BENCH_ROUNDS (2) repeats both sides and
# reports medians; BENCH_RAW_NET=1 gives the raw tree a network namespace
# too, locked with nftables while dumped, as a system partition's is).
# Exits non-zero only when something fails.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
need_root
command -v criu >/dev/null || fail "needs criu"
command -v unshare >/dev/null || fail "needs unshare (util-linux)"
mib=${BENCH_MIB:-512}
rounds=${BENCH_ROUNDS:-2}
[[ $mib =~ ^[1-9][0-9]{0,4}$ ]] || fail "BENCH_MIB must be 1 to 99999"
[[ $rounds =~ ^[1-9]$ ]] || fail "BENCH_ROUNDS must be 1 to 9"
memhog=$CORRAL_BUILD_DIR/tests/helpers/memhog
[ -x "$memhog" ] || fail "no $memhog (build the tests' helpers)"
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
raw=$CORRAL_ROOT/raw
img=$CORRAL_ROOT/images
mkdir -p "$raw" "$img"
# A killed unshare leaves its memhog (pid 1 inside) running: end both.
# shellcheck disable=SC2016 # expanded by the trap, when it runs
bench_cleanups+=('[ -s "$raw/pid" ] && kill -9 "$(cat "$raw/pid")"'
	'[ -n "${outer:-}" ] && kill -9 $(pgrep -P "$outer") "$outer"')

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
	assert_eq PASS "$(head -1 "$1/result")" "$3: memory after the restore"
}

# criu_raw ACTION ARGS...: criu with the options a partition's tree needs
# (its mounts are a copy of the host's), the env decided above, a timeout.
criu_raw() {
	local action=$1
	shift
	env "${raw_env[@]}" timeout "$CRIU_TIMEOUT" criu "$action" -D "$raw/img" -o "$action.log" \
		--ext-mount-map auto --enable-external-sharing --enable-external-masters \
		--manage-cgroups=ignore "${raw_opts[@]}" "$@" || fail "criu $action failed, see $raw/img/$action.log: $(tail -2 "$raw/img/$action.log")"
}

raw_round() {
	rm -rf "$raw/img" "$raw/run" "$raw/pid"
	mkdir -p "$raw/img" "$raw/run"
	unshare --fork "${raw_ns[@]}" "$memhog" "$raw/run" "$mib" --private-mounts \
		</dev/null >/dev/null 2>&1 &
	outer=$!
	wait_file "$raw/run/ready" "raw memhog"
	local pid
	pid=$(pgrep -P "$outer")
	[ -n "$pid" ] || fail "unshare $outer started no memhog"
	timed raw_dump criu_raw dump -t "$pid"
	wait "$outer" 2>/dev/null || true
	outer=
	raw_kib=$(du -sk "$raw/img" | cut -f1)
	timed raw_restore criu_raw restore -d --root / --pidfile "$raw/pid"
	check_pages "$raw/run" "$(cat "$raw/pid")" "raw criu restore"
	rm -f "$raw/pid"
}

# phase NAME TEXT: "NAME X ms" from chkptwpar -v's timing line, in us.
phase() { sed -n "s/.*$1 \([0-9.]*\) ms.*/\1/p" <<<"$2" | awk '{printf "%d", $1 * 1000}'; }

corral_round() {
	local name=hog root=$CORRAL_ROOT/wpars/hog out t0
	mkwpar -n "$name" -c >/dev/null
	install -m 0755 "$memhog" "$root/root/memhog"
	mkdir -p "$root/tmp/memhog"
	echo "/root/memhog /tmp/memhog $mib" >>"$root/etc/corral/services"
	startwpar "$name" >/dev/null
	wait_file "$root/tmp/memhog/ready" "the partition's memhog"

	t0=$(now_us)
	out=$(chkptwpar -v -o "$img/snap.wpar" "$name") || fail "chkptwpar (snapshot) failed"
	snap+=($(($(now_us) - t0)))
	[ "$(state_of "$name")" = A ] || fail "not Active after a snapshot"
	freeze+=("$(phase freeze "$out")") dump+=("$(phase dump "$out")")
	write+=("$(phase write "$out")") frozen+=("$(phase frozen "$out")")
	[ -n "${frozen[-1]}" ] || fail "no timing line from chkptwpar -v: $out"
	image_kib=$(($(stat -c %s "$img/snap.wpar") / 1024))
	rm -f "$img/snap.wpar"

	timed kill_ chkptwpar -k -o "$img/hog.wpar" "$name"
	[ "$(state_of "$name")" = D ] || fail "not Defined after chkptwpar -k"
	timed restart restartwpar -i "$img/hog.wpar" "$name"
	[ "$(state_of "$name")" = A ] || fail "not Active after restartwpar"
	check_pages "$root/tmp/memhog" "$(pgrep -f '^/root/memhog /tmp/memhog' | head -1)" "restartwpar"
	stopwpar -F "$name" >/dev/null
	rmwpar -F "$name" >/dev/null
	rm -f "$img/hog.wpar"
}

raw_dump=() raw_restore=() snap=() freeze=() dump=() write=() frozen=() kill_=() restart=()
echo "Checkpoint and restart of $mib MiB (half random), $rounds round(s), on tmpfs; raw criu${raw_env[*]:+ with ${raw_env[*]}} on unshare ${raw_ns[*]}"
load_note
for _ in $(seq "$rounds"); do
	raw_round
	corral_round
done

m_rd=$(median "${raw_dump[@]}") m_rr=$(median "${raw_restore[@]}")
m_snap=$(median "${snap[@]}") m_dump=$(median "${dump[@]}") m_kill=$(median "${kill_[@]}")
m_restart=$(median "${restart[@]}")
echo
printf '  %-36s %11s   %s\n' "" "median" "/ raw criu"
printf '  %-36s %8s ms\n' "raw criu dump (to tmpfs)" "$(ms "$m_rd")"
printf '  %-36s %8s ms\n' "raw criu restore -d" "$(ms "$m_rr")"
printf '  %-36s %8s ms   %5sx dump\n' "chkptwpar (snapshot, whole command)" "$(ms "$m_snap")" "$(ratio "$m_snap" "$m_rd")"
printf '  %-36s %8s ms\n' "  freeze" "$(ms "$(median "${freeze[@]}")")"
printf '  %-36s %8s ms   %5sx dump\n' "  dump (CRIU, tree frozen)" "$(ms "$m_dump")" "$(ratio "$m_dump" "$m_rd")"
printf '  %-36s %8s ms\n' "  write (pack the image)" "$(ms "$(median "${write[@]}")")"
printf '  %-36s %8s ms\n' "  frozen (freeze to thaw)" "$(ms "$(median "${frozen[@]}")")"
printf '  %-36s %8s ms   %5sx dump\n' "chkptwpar -k" "$(ms "$m_kill")" "$(ratio "$m_kill" "$m_rd")"
printf '  %-36s %8s ms   %5sx restore\n' "restartwpar" "$(ms "$m_restart")" "$(ratio "$m_restart" "$m_rr")"
printf '  %-36s %8s KiB  %5sx (raw CRIU images: %s KiB)\n' "image file" "$image_kib" \
	"$(ratio "$image_kib" "$raw_kib")" "$raw_kib"
echo
goal "chkptwpar <= 1.10x raw criu dump ($(ratio "$m_snap" "$m_rd")x)" "$(ratio "$m_snap" "$m_rd")" "<=" 1.10
goal "restartwpar <= 1.10x raw criu restore ($(ratio "$m_restart" "$m_rr")x)" "$(ratio "$m_restart" "$m_rr")" "<=" 1.10
if awk -v a="$(ratio "$m_snap" "$m_rd")" -v b="$(ratio "$m_restart" "$m_rr")" 'BEGIN {exit !(a <= 1.10 && b <= 1.10)}'; then
	echo "goal: both <= 1.10x raw CRIU: met"
else
	echo "goal: both <= 1.10x raw CRIU: missed"
fi
