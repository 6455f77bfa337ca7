# shellcheck shell=bash
# An NFS server for one integration test, sourced after lib/common.sh:
# nfs_test_start [ADDR [NETNS]] starts lib/nfs_server.sh in a fresh state
# directory ($NFS_STATE), skips the test when the server cannot be had, loads
# its settings (NFS_ADDR, NFS_PORT, NFS_EXPORT_RW, NFS_MOUNTOPTS...: see
# nfs_server.sh) and, on exit, ends the partitions (their FUSE clients
# unmount) before it stops the server. Call after corral_setup.
NFS_SERVER="bash $(dirname "${BASH_SOURCE[0]}")/nfs_server.sh"
NFS_STATE=

nfs_test_cleanup() {
	local rc=$?
	( (exit $rc); corral_teardown )
	[ -z "$NFS_STATE" ] || $NFS_SERVER stop "$NFS_STATE" >/dev/null 2>&1
	rm -rf "$NFS_STATE"
	exit $rc
}

nfs_test_start() {
	local rc=0
	NFS_STATE=$(mktemp -d /tmp/corral-nfs-test.XXXXXX)
	trap nfs_test_cleanup EXIT
	$NFS_SERVER start "$NFS_STATE" "$@" >"$NFS_STATE/start.out" 2>&1 || rc=$?
	[ $rc -eq 77 ] && skip "$(cat "$NFS_STATE/start.out")"
	[ $rc -eq 0 ] || fail "the NFS server did not start: $(cat "$NFS_STATE/start.out")"
	. "$NFS_STATE/env"
}
