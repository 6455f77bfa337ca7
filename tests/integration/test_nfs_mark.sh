#!/usr/bin/env bash
# labels: root nfs net
# timeout: 240
# Two hosts see the same NFS file system: nfs-ganesha runs in a network
# namespace of its own on a test LAN (lib/nfs_server.sh lan/attach), two
# more namespaces are the hosts, and the NFS marks of nfs/mark.c written
# from one are verified from the other through libnfs (test_nfs_mark).
# A host that is not on the LAN cannot reach the server at all.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/nfs_test.sh"
need_root
command -v ip >/dev/null || skip "needs ip (iproute2)"
command -v nsenter >/dev/null || skip "needs nsenter (util-linux)"
MARK=$CORRAL_BUILD_DIR/tests/test_nfs_mark
[ -x "$MARK" ] || fail "$MARK is not built"
corral_setup
HOSTS=() server_ns=
mark_cleanup() {
	local rc=$? h
	set +e
	for h in "${HOSTS[@]}"; do ip netns del "$h" 2>/dev/null; done
	(exit $rc)
	nfs_test_cleanup
}

nfs_test_lan server_ns
trap mark_cleanup EXIT
for i in 1 2; do
	h=corral-nfsmark-$$-$i
	ip netns add "$h"
	HOSTS+=("$h")
	$NFS_SERVER attach "$NFS_STATE" "$h" "10.215.0.$((i + 1))"
done
nfs_test_start 10.215.0.1 "$server_ns"
assert_eq "$server_ns" "$NFS_NETNS" "the server's namespace"
url="nfs://$NFS_ADDR$NFS_EXPORT_RW?nfsport=$NFS_PORT&mountport=$MNT_PORT"
for h in "${HOSTS[@]}"; do
	ip netns exec "$h" nfs-ls "$url" >/dev/null || fail "host $h does not reach the server"
done
assert_fails "the server is reached from outside the LAN" timeout 20 nfs-ls "$url"
pass "ganesha on $NFS_ADDR in $server_ns, reached by ${HOSTS[*]} only"

out=$(NFS_ADDR=$NFS_ADDR NFS_EXPORT_RW=$NFS_EXPORT_RW NFS_EXPORT_RO=$NFS_EXPORT_RO NFS_MOUNTOPTS=$NFS_MOUNTOPTS \
	NFS_TEST_NETNS_A=/run/netns/${HOSTS[0]} NFS_TEST_NETNS_B=/run/netns/${HOSTS[1]} "$MARK" 2>&1) ||
	fail "test_nfs_mark: $out"
assert_contains "$out" "PASSED  ] 4 test(s)" "every mark test ran (none skipped)"
pass "a mark written from ${HOSTS[0]} is verified from ${HOSTS[1]}; another export, token or an unreachable server is refused"
echo "1 passed, 0 failed"
