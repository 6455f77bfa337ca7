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
	set +e # a failing step must not end the cleanup
	( (exit $rc); corral_teardown )
	[ -z "$NFS_STATE" ] || $NFS_SERVER stop "$NFS_STATE" >/dev/null 2>&1
	rm -rf "$NFS_STATE"
	exit $rc
}

# The state directory, made once; the EXIT trap is set with it (a test
# that needs more cleaning sets its own afterwards and calls
# nfs_test_cleanup last).
nfs_test_state() {
	[ -z "$NFS_STATE" ] || return 0
	NFS_STATE=$(mktemp -d /tmp/corral-nfs-test.XXXXXX)
	trap nfs_test_cleanup EXIT
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
	$NFS_SERVER start "$NFS_STATE" "$@" >"$NFS_STATE/start.out" 2>&1 || rc=$?
	[ $rc -eq 77 ] && skip "$(cat "$NFS_STATE/start.out")"
	[ $rc -eq 0 ] || fail "the NFS server did not start: $(cat "$NFS_STATE/start.out")"
	. "$NFS_STATE/env"
}

# The zdtm_nfs_append program (tests/helpers) as a service of a partition
# whose / is the export: it runs as "/root/zdtm_nfs_append /srv/zdtm", and
# its files are seen on the server's side in $NFS_EXPORT_RW/srv/zdtm.
NFS_ZDTM_CMD="/root/zdtm_nfs_append /srv/zdtm"

# nfs_zdtm_install MOUNTED: copy the program into the partition whose root is
# mounted on the host at MOUNTED (through the mount: the server caches what
# it serves, never write behind its back) and list it as a service.
nfs_zdtm_install() {
	install -m 0755 "$CORRAL_BUILD_DIR/tests/helpers/zdtm_nfs_append" "$1/root/zdtm_nfs_append"
	mkdir -p "$1/srv/zdtm"
	echo "$NFS_ZDTM_CMD" >>"$1/etc/corral/services"
}

# nfs_zdtm_wait_ready: the program has built its state.
nfs_zdtm_wait_ready() {
	local zd=$NFS_EXPORT_RW/srv/zdtm
	for _ in $(seq 100); do [ -f "$zd/ready" ] && break; sleep 0.1; done
	[ -f "$zd/ready" ] || fail "zdtm_nfs_append did not get ready: $(cat "$zd/result" 2>/dev/null)"
}

# nfs_seq_ok FILE: prints N when FILE reads 1..N, one a line; else which
# line is wrong.
nfs_seq_ok() { awk '$0 != NR { print "line " NR " reads " $0; bad = 1; exit } END { if (!bad) print NR }' "$1"; }

# nfs_zdtm_verify: signal the program, require its PASS, and check on the
# server's side that both sequence files read 1..N for the N it wrote last.
nfs_zdtm_verify() {
	local zd=$NFS_EXPORT_RW/srv/zdtm pid last
	pid=$(pgrep -f "^$NFS_ZDTM_CMD" | head -n1)
	[ -n "$pid" ] || fail "zdtm_nfs_append is not running"
	kill -USR1 "$pid"
	for _ in $(seq 100); do [ -f "$zd/result" ] && break; sleep 0.1; done
	[ -f "$zd/result" ] || fail "zdtm_nfs_append gave no result"
	assert_eq "PASS" "$(head -n1 "$zd/result")" "zdtm_nfs_append's own check"
	last=$(cat "$zd/last")
	assert_eq "$last" "$(nfs_seq_ok "$zd/seq")" "seq on the server: 1..$last, no line lost or repeated"
	assert_eq "$last" "$(nfs_seq_ok "$zd/seq.pos")" "seq.pos on the server: 1..$last"
	NFS_ZDTM_LAST=$last
}
