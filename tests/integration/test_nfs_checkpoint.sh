#!/usr/bin/env bash
# labels: root criu nfs
# timeout: 400
# chkptwpar -k and restartwpar of a system partition whose / is on an NFS
# export (nfs-ganesha in user space, FUSE over libnfs): the NFS file system is
# external to the image and mounted again at restart; a program that appends
# numbered lines to files on the export through descriptors kept open loses
# and repeats no line, its offsets continue, and a file it unlinked while
# open comes back with its contents (on the FUSE mount its link count is 0:
# CRIU keeps it in the image as a ghost file and remaps it at restore).
# An NFS /home below a local root is external as well.
# An export that is unreachable at restart fails cleanly: one-line error,
# image untouched, partition Defined, nothing left mounted.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/nfs_test.sh"
need_root
command -v criu >/dev/null || skip "no criu"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$CORRAL_BUILD_DIR/tests/helpers/zdtm_nfs_append" ] || fail "zdtm_nfs_append is not built"
export CORRAL_NFS_CLIENT=fuse
corral_setup
nfs_test_start 127.0.0.1
opts="$NFS_MOUNTOPTS,timeout=5"
img=$CORRAL_ROOT/images
mkdir -p "$img"
W=$CORRAL_ROOT/wpars/nfsck # the export, mounted here while the partition runs
ZD=$NFS_EXPORT_RW/srv/zdtm # the program's directory, seen on the server's side

# mkwpar -c on a squashed export: one line, nothing made.
err=$(mkwpar -c -n nfsbad -M directory=/ vfs=nfs host=127.0.0.1 dev="$NFS_EXPORT_SQUASH" mountopts="$opts" 2>&1 >/dev/null) &&
	fail "mkwpar -c accepted an export that squashes root"
assert_eq 1 "$(echo "$err" | grep -c .)" "one-line error for a squashed root"
assert_contains "$err" "squash" "the error says root is squashed"
[ -e "$CORRAL_ROOT/etc/wpars/nfsbad.spec" ] && fail "a refused mkwpar -c left a spec"
pass "squashed root refused: $err"

# The partition, and its workload written through the mounted export.
mkwpar -c -n nfsck -M directory=/ vfs=nfs host=127.0.0.1 dev="$NFS_EXPORT_RW" mountopts="$opts" >/dev/null
startwpar nfsck >/dev/null
nfs_zdtm_install "$W"
stopwpar nfsck >/dev/null
startwpar nfsck >/dev/null
nfs_zdtm_wait_ready
sleep 1
[ "$(wc -l <"$ZD/seq")" -gt 10 ] || fail "the program does not append"
pass "an NFS-rooted partition appends to files on its export"

out=$(chkptwpar -k -o "$img/nfsck.wpar" nfsck) || fail "chkptwpar -k: $out"
assert_eq "D" "$(state_of nfsck)" "state after chkptwpar -k"
grep -q " $W " /proc/mounts && fail "the export is still mounted after chkptwpar -k"
at_dump=$(nfs_seq_ok "$ZD/seq")
case $at_dump in *reads*) fail "seq at the dump: $at_dump" ;; esac
sleep 0.5
assert_eq "$at_dump" "$(wc -l <"$ZD/seq")" "nothing appends while the partition is checkpointed"
corral image ls "$img/nfsck.wpar" | grep -q 'criu/remap-fpath.img' ||
	fail "the image does not remap the files unlinked while open"
pass "chkptwpar -k: $at_dump lines, the unlinked file in the image"

sum=$(md5sum <"$img/nfsck.wpar")
out=$(restartwpar -i "$img/nfsck.wpar" nfsck 2>&1) || fail "restartwpar: $out"
assert_eq "A" "$(state_of nfsck)" "state after restartwpar"
grep -q " $W fuse" /proc/mounts || fail "restartwpar did not mount the export"
for _ in $(seq 50); do [ "$(wc -l <"$ZD/seq")" -gt "$((at_dump + 20))" ] && break; sleep 0.1; done
[ "$(wc -l <"$ZD/seq")" -gt "$((at_dump + 20))" ] || fail "the program does not append after restartwpar"
nfs_zdtm_verify
last=$NFS_ZDTM_LAST
# What the restore made for the unlinked file is gone once the program ended.
strays() { find "$ZD" -mindepth 1 -not -name data -not -name seq -not -name seq.pos -not -name ready -not -name last -not -name result; }
for _ in $(seq 50); do [ -z "$(strays)" ] && break; sleep 0.1; done
[ -z "$(strays)" ] || fail "files left by the restore once the program ended: $(strays)"
assert_eq "$sum" "$(md5sum <"$img/nfsck.wpar")" "the image is untouched by a restart"
pass "restartwpar: lines 1..$last on the server, offsets and the unlinked file intact"

# The export is unreachable at restart: a clean failure, nothing changed.
chkptwpar -k -o "$img/again.wpar" nfsck >/dev/null
assert_eq "D" "$(state_of nfsck)" "state after the second chkptwpar -k"
sum=$(md5sum <"$img/again.wpar")

# An NFS stanza below a local root (/home) is external to the image too.
mkwpar -c -n nfshome -M directory=/home vfs=nfs host=127.0.0.1 dev="$NFS_EXPORT_RW" mountopts="$opts" >/dev/null
echo 'exec 3>>/home/home.seq; i=0; while true; do i=$((i+1)); echo $i >&3; sleep 0.05; done' \
	>>"$CORRAL_ROOT/wpars/nfshome/etc/corral/services"
startwpar nfshome >/dev/null
sleep 1
chkptwpar -k -o "$img/nfshome.wpar" nfshome >/dev/null
at_dump=$(nfs_seq_ok "$NFS_EXPORT_RW/home.seq")
restartwpar -i "$img/nfshome.wpar" nfshome >/dev/null
grep -q " $CORRAL_ROOT/wpars/nfshome/home fuse" /proc/mounts || fail "restartwpar did not mount /home of nfshome"
for _ in $(seq 50); do [ "$(wc -l <"$NFS_EXPORT_RW/home.seq")" -gt "$((at_dump + 10))" ] && break; sleep 0.1; done
stopwpar nfshome >/dev/null
n=$(nfs_seq_ok "$NFS_EXPORT_RW/home.seq")
[ "$n" -gt "$((at_dump + 10))" ] 2>/dev/null || fail "/home of nfshome after restartwpar: $n (at the dump: $at_dump)"
pass "an NFS /home below a local root: lines 1..$n, $at_dump at the dump"

$NFS_SERVER stop "$NFS_STATE" >/dev/null
started=$(date +%s)
err=$(restartwpar -i "$img/again.wpar" nfsck 2>&1 >/dev/null) && fail "restartwpar succeeded with the NFS server stopped"
assert_eq 1 "$(echo "$err" | grep -c .)" "one-line error for an unreachable export"
assert_contains "$err" "unreachable" "the error says the server is unreachable"
[ $(($(date +%s) - started)) -lt 60 ] || fail "restartwpar took more than 60 s to fail"
assert_eq "D" "$(state_of nfsck)" "state after a refused restart"
assert_eq "$sum" "$(md5sum <"$img/again.wpar")" "the image is untouched by a failed restart"
grep -q " $W " /proc/mounts && fail "a failed restart left the export mounted"
pass "unreachable export at restart: $err"
echo "1 passed, 0 failed"
