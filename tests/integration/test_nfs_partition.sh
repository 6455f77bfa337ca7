#!/usr/bin/env bash
# labels: root nfs
# timeout: 300
# A system partition whose / lives on an NFS export (nfs-ganesha in user
# space), made with the AIX -M syntax: mkwpar checks the export and writes
# the root part onto it through libnfs; startwpar mounts it (FUSE over libnfs
# where the kernel has no NFS client); what the partition writes lands on the
# server; stopwpar unmounts; a bad export is refused with nothing changed.
. "$(dirname "$0")/lib/common.sh"
need_root
SERVER="bash $(dirname "$0")/lib/nfs_server.sh"
STATE=$(mktemp -d /tmp/corral-nfs-part.XXXXXX)
corral_setup
nfs_cleanup() {
	local rc=$?
	set +e
	for spec in "$CORRAL_ROOT"/etc/wpars/*.spec; do
		[ -e "$spec" ] || continue
		stopwpar -F "$(basename "$spec" .spec)" >/dev/null 2>&1
		rmwpar -F "$(basename "$spec" .spec)" >/dev/null 2>&1
	done
	$SERVER stop "$STATE" >/dev/null 2>&1
	rm -rf "$STATE"
	corral_teardown
	exit $rc
}
trap nfs_cleanup EXIT

rc=0
$SERVER start "$STATE" 127.0.0.1 >"$STATE/start.out" 2>&1 || rc=$?
[ $rc -eq 77 ] && skip "$(cat "$STATE/start.out")"
[ $rc -eq 0 ] || fail "the NFS server did not start: $(cat "$STATE/start.out")"
. "$STATE/env"

# A bad export is refused before anything changes.
before=$(ls -R "$CORRAL_ROOT/etc" 2>/dev/null | md5sum)
err=$(mkwpar -n nfsbad -M directory=/ vfs=nfs host=127.0.0.1 dev=/no/such/export mountopts="$NFS_MOUNTOPTS" 2>&1 >/dev/null) &&
	fail "mkwpar accepted a missing export"
assert_eq 1 "$(echo "$err" | grep -c .)" "one-line error for a missing export"
assert_fails "a squashed root" mkwpar -n nfsbad -M directory=/ vfs=nfs host=127.0.0.1 dev="$NFS_EXPORT_SQUASH" mountopts="$NFS_MOUNTOPTS"
assert_fails "an unreachable server" mkwpar -n nfsbad -M directory=/ vfs=nfs host=127.0.0.1 dev="$NFS_EXPORT_RW" mountopts=port=1,mountport=1
assert_eq "$before" "$(ls -R "$CORRAL_ROOT/etc" 2>/dev/null | md5sum)" "nothing changed by a bad export"
[ -e "$CORRAL_ROOT/wpars/nfsbad" ] && fail "a refused mkwpar left a base directory"
pass "bad exports refused: $err"

# The root part is written onto the export.
mkwpar -n nfs1 -M directory=/ vfs=nfs host=127.0.0.1 dev="$NFS_EXPORT_RW" mountopts="$NFS_MOUNTOPTS" >/dev/null
[ -f "$NFS_EXPORT_RW/etc/corral/services" ] || fail "the root part is not on the export"
assert_eq "nfs1" "$(cat "$NFS_EXPORT_RW/etc/hostname")" "hostname file on the export"
pass "mkwpar populated the export"

startwpar nfs1 >/dev/null
assert_eq "A" "$(state_of nfs1)" "started on NFS"
assert_contains "$(clogin nfs1 sh -c 'grep " / " /proc/mounts')" "fuse" "/ is the NFS mount inside"
clogin nfs1 sh -c 'echo from-the-partition > /home/hello'
assert_eq "from-the-partition" "$(cat "$NFS_EXPORT_RW/home/hello")" "a write inside lands on the server"
clogin nfs1 sh -c 'touch /usr/x' 2>/dev/null && fail "/usr is writable in an NFS partition"
pass "the partition runs on its export"

stopwpar nfs1 >/dev/null
assert_eq "D" "$(state_of nfs1)" "stopped"
grep -q " $CORRAL_ROOT/wpars/nfs1 " /proc/mounts && fail "the export is still mounted after stopwpar"
pgrep -x cor_nfs >/dev/null && [ -n "$(pgrep -f "cor_nfs.*nfs1" || true)" ] && fail "an NFS server process outlived the partition"
rmwpar nfs1 >/dev/null
[ -e "$NFS_EXPORT_RW/etc" ] && fail "rmwpar left the root part on the export"
[ -e "$CORRAL_ROOT/wpars/nfs1" ] && fail "rmwpar left the mount point"
pass "stopwpar unmounts, rmwpar clears the export"
echo "1 passed, 0 failed"
