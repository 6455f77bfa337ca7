#!/usr/bin/env bash
# labels: root nfs
# timeout: 240
# A real NFS server (nfs-ganesha + rpcbind, tests/integration/lib/nfs_server.sh)
# on 127.0.0.1: libnfs reaches it, the nfs/ module's probes, FUSE client and
# populate work against it and a system partition runs with its / on the
# export (test_nfs_live, driven here with the server this script runs and the
# CLI of this build), and stopping leaves no server, client or lock process behind.
. "$(dirname "$0")/lib/common.sh"
need_root
[ -c /dev/fuse ] || skip "no /dev/fuse"
LIVE=$CORRAL_BUILD_DIR/tests/test_nfs_live
[ -x "$LIVE" ] || fail "$LIVE is not built"
SERVER="bash $(dirname "$0")/lib/nfs_server.sh"

STATE=$(mktemp -d /tmp/corral-nfs-it.XXXXXX)
cleanup() {
	local rc=$?
	$SERVER stop "$STATE" >/dev/null 2>&1 || true
	rm -rf "$STATE"
	exit $rc
}
trap cleanup EXIT

rpcbind_before=$(pgrep -x rpcbind | head -n1 || true)
rc=0
$SERVER start "$STATE" 127.0.0.1 >"$STATE/start.out" 2>&1 || rc=$?
[ $rc -eq 77 ] && skip "$(cat "$STATE/start.out")"
[ $rc -eq 0 ] || fail "the NFS server did not start: $(cat "$STATE/start.out")"
. "$STATE/env"
assert_eq 127.0.0.1 "$NFS_ADDR" "server address"
ganesha=$(cat "$STATE/ganesha.pid")
kill -0 "$ganesha" || fail "ganesha is not running"
url="nfs://$NFS_ADDR$NFS_EXPORT_RW?nfsport=$NFS_PORT&mountport=$MNT_PORT"
echo served >"$NFS_EXPORT_RW/seen-by-libnfs"
assert_contains "$(nfs-ls "$url")" "seen-by-libnfs" "nfs-ls lists the export"
rm "$NFS_EXPORT_RW/seen-by-libnfs"
assert_fails "a port nobody serves" nfs-ls "nfs://$NFS_ADDR$NFS_EXPORT_RW?nfsport=1&mountport=1"
pass "ganesha serves $NFS_EXPORT_RW on $NFS_ADDR:$NFS_PORT (mount port $MNT_PORT)"

out=$(NFS_TEST_ENV=$STATE/env "$LIVE" 2>&1) || fail "test_nfs_live against this server: $out"
assert_contains "$out" "PASSED  ] 9 test(s)" "every live test ran (none skipped)"
pass "probes, FUSE client from a shell, populate, a system partition running on the export"

pgrep -x cor_nfs >/dev/null && fail "a cor_nfs server outlived its unmount"
grep -q fuse.nfs /proc/mounts && fail "a FUSE NFS mount is left: $(grep fuse.nfs /proc/mounts)"

# Another run may take the server lock as soon as we stop: check our own pids.
holder=$(cat "$STATE/lock-holder.pid")
started_rpcbind=$(cat "$STATE/rpcbind.pid" 2>/dev/null || true)
$SERVER stop "$STATE"
kill -0 "$ganesha" 2>/dev/null && fail "ganesha $ganesha still runs after stop"
kill -0 "$holder" 2>/dev/null && fail "the server lock holder $holder still runs"
[ -e "$STATE/locked" ] && fail "the server lock holder is left"
if [ -n "$started_rpcbind" ]; then
	kill -0 "$started_rpcbind" 2>/dev/null && fail "rpcbind $started_rpcbind, started for the test, still runs"
elif [ -n "$rpcbind_before" ]; then
	kill -0 "$rpcbind_before" 2>/dev/null || fail "the rpcbind that was running before was stopped"
fi
pass "stop leaves no server processes"
