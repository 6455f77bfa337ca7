#!/usr/bin/env bash
# labels: root criu
# timeout: 300
# A file the partition unlinked while it keeps it open (a temporary file, a
# rotated log) travels in the image, up to 256 MiB: an 8 MiB one comes back
# after chkptwpar -k + restartwpar with every byte, and so does its offset.
. "$(dirname "$0")/lib/common.sh"
need_root
command -v criu >/dev/null || skip "no criu"
corral_setup
img=$CORRAL_ROOT/images
mkdir -p "$img"
mkwpar -n gh -c >/dev/null
root=$CORRAL_ROOT/wpars/gh
# The service writes 8 MiB through fd 3, reads 1 MiB back through fd 4 (an
# offset to keep), records their checksum and unlinks the file.
cat >> "$root/etc/corral/services" <<'SVC'
sh -c 'exec 3<>/tmp/ghost 4</tmp/ghost; head -c 8388608 /dev/urandom >&3; md5sum </tmp/ghost >/tmp/ghost.md5; head -c 1048576 <&4 >/dev/null; rm /tmp/ghost; touch /tmp/ghost.ready; exec sleep 100000 3<&3 4<&4'
SVC
startwpar gh >/dev/null
for _ in $(seq 100); do [ -f "$root/tmp/ghost.ready" ] && break; sleep 0.1; done
[ -f "$root/tmp/ghost.ready" ] || fail "the service did not get ready"

holder() { # the host pid of the process holding the unlinked file
	local p
	for p in $(cat /sys/fs/cgroup/pids/"$CORRAL_CGROUP_PARENT"/gh/cgroup.procs 2>/dev/null ||
		cat /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT"/gh/cgroup.procs); do
		readlink "/proc/$p/fd/3" 2>/dev/null | grep -q '/tmp/ghost (deleted)' && { echo "$p"; return; }
	done
}
p=$(holder)
[ -n "$p" ] || fail "no process holds the unlinked file"

out=$(chkptwpar -k -o "$img/gh.wpar" gh 2>&1) || fail "checkpoint with an 8 MiB unlinked file: $out"
restartwpar -i "$img/gh.wpar" gh >/dev/null || fail "restart"
p=$(holder)
[ -n "$p" ] || fail "after restart, no process holds the unlinked file"
assert_eq "$(cat "$root/tmp/ghost.md5")" "$(md5sum < "/proc/$p/fd/3")" "the unlinked file's contents"
assert_eq "1048576" "$(awk '/^pos:/ {print $2}' "/proc/$p/fdinfo/4")" "the offset of the second descriptor"
stopwpar gh >/dev/null
pass "an 8 MiB file unlinked while open survives chkptwpar -k + restartwpar, offset included"
