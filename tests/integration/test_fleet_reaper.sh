#!/usr/bin/env bash
# labels: root criu net etcd slow
# timeout: 300
# A fleet test killed without its EXIT trap (SIGKILL, as a ctest timeout
# does) leaves nothing behind: the watcher that fleet_test_up starts
# (lib/fleet_hosts.sh, fleet_reaper_start) ends the corralds, their agents,
# the store and the partition, and removes the namespaces, the cgroup
# parents and the directories within seconds. Interrupted fleet tests had
# left corralds and criu lazy-pages running in their namespaces.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
need_root
for c in criu etcd openssl ip nsenter; do command -v "$c" >/dev/null || skip "no $c"; done

work=$(mktemp -d /tmp/corral-test-reaper-XXXXXX)
inner=
teardown() {
	set +e
	# the inner test killed: its watcher cleans up what it made
	[ -z "$inner" ] || { kill -9 "$inner" 2>/dev/null; wait "$inner" 2>/dev/null; }
	rm -rf "$work"
}
trap teardown EXIT

cat >"$work/inner.sh" <<'EOF'
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/etcd.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/fleet_hosts.sh"
fleet_test_up crr 223
on a mkwpar -c -n r1 >/dev/null
echo 'respawn: while true; do sleep 0.1; done' >>"$FTOP/a/wpars/r1/etc/corral/services"
on a startwpar r1 >/dev/null
echo "$FP $FTOP $ETCD_DIR" >"$1.tmp"
mv "$1.tmp" "$1"
sleep 600
EOF
bash "$work/inner.sh" "$work/ready" >"$work/inner.out" 2>&1 &
inner=$!
for _ in $(seq 240); do [ -e "$work/ready" ] && break; kill -0 "$inner" 2>/dev/null || break; sleep 0.5; done
[ -e "$work/ready" ] || fail "the inner fleet test did not come up: $(tail -20 "$work/inner.out")"
read -r fp ftop etcd_dir <"$work/ready"
[ -n "$(ip netns pids "${fp}a")" ] || fail "no process in host a's namespace"
[ -n "$(ip netns pids "${fp}l")" ] || fail "no etcd in the switch's namespace"
cg=$(ls -d /sys/fs/cgroup/*/"corral-test-$inner-a" 2>/dev/null | head -1)
[ -n "$cg" ] || fail "no cgroup parent of host a"

pid=$inner
kill -9 "$inner"
wait "$inner" 2>/dev/null || true
inner=
gone() {
	! ip netns list | grep -q "^$fp" && [ ! -e "$ftop" ] && [ ! -e "$etcd_dir" ] && [ ! -e "$ftop.reaper" ] &&
		! ls -d /sys/fs/cgroup/*/"corral-test-$1-"* >/dev/null 2>&1
}
for _ in $(seq 60); do gone "$pid" && break; sleep 0.5; done
ip netns list | grep "^$fp" && fail "namespaces left: $(ip netns list | grep "^$fp" | tr '\n' ' ')"
[ ! -e "$ftop" ] || fail "$ftop left"
[ ! -e "$etcd_dir" ] || fail "the store's directory $etcd_dir left"
ls -d /sys/fs/cgroup/*/"corral-test-$pid-"* 2>/dev/null && fail "cgroup parents left"
[ ! -e "$ftop.reaper" ] || fail "the watcher's script left"
pass "a fleet test killed with SIGKILL: its corralds, store and partition ended, namespaces, cgroups and files removed"
