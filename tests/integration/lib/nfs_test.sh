# shellcheck shell=bash
# An NFS server for one integration test, sourced after lib/common.sh:
# nfs_test_start [ADDR [NETNS]] starts lib/nfs_server.sh in a fresh state
# directory ($NFS_STATE; nfs_test_lan makes it first for a LAN), skips the test when the server cannot be had, loads
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

nfs_test_state() {
	[ -n "$NFS_STATE" ] || NFS_STATE=$(mktemp -d /tmp/corral-nfs-test.XXXXXX)
}

# nfs_test_lan VAR: the server's network namespace on a fresh test LAN
# (nfs_server.sh lan); its name goes to VAR. Attach hosts with
# `$NFS_SERVER attach "$NFS_STATE" NETNS 10.215.0.N`, then nfs_test_start
# 10.215.0.1 "$VAR".
nfs_test_lan() {
	local ns
	nfs_test_state
	ns=$($NFS_SERVER lan "$NFS_STATE") || fail "cannot make the NFS test LAN"
	printf -v "$1" '%s' "$ns"
}

nfs_test_start() {
	local rc=0
	nfs_test_state
	trap nfs_test_cleanup EXIT
	$NFS_SERVER start "$NFS_STATE" "$@" >"$NFS_STATE/start.out" 2>&1 || rc=$?
	[ $rc -eq 77 ] && skip "$(cat "$NFS_STATE/start.out")"
	[ $rc -eq 0 ] || fail "the NFS server did not start: $(cat "$NFS_STATE/start.out")"
	. "$NFS_STATE/env"
}
