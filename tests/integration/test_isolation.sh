#!/usr/bin/env bash
# labels: root
# timeout: 120
# What a partition's root can and cannot see and do.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

marker=$(mktemp /tmp/corral-host-secret.XXXXXX)
mkwpar -n iso1 -s >/dev/null
assert_eq "A" "$(state_of iso1)" "started"

procs=$(clogin iso1 sh -c 'ls /proc | grep -c "^[0-9]"')
[ "$procs" -le 4 ] || fail "the partition sees $procs processes: only its own may be visible"
assert_eq "1" "$(clogin iso1 sh -c 'cat /proc/1/comm' | grep -c corral-init)" "pid 1 is the partition's init"
pass "only the partition's processes are in /proc"

clogin iso1 sh -c 'touch /usr/corral-write-test' 2>/dev/null && fail "/usr is writable"
clogin iso1 sh -c 'touch /opt/corral-write-test' 2>/dev/null && fail "/opt is writable"
clogin iso1 sh -c 'touch /tmp/ok /var/tmp/ok /home/ok /ok' || fail "private file systems are not writable"
[ -f "$CORRAL_ROOT/wpars/iso1/home/ok" ] || fail "a write to /home did not land in the base directory"
pass "/usr and /opt read-only, /, /home, /tmp, /var writable"

clogin iso1 sh -c "test -e $marker" && fail "a host file is visible inside"
clogin iso1 sh -c "test -e /work" && fail "the host's /work is visible inside"
pass "host files invisible"

clogin iso1 sh -c 'mount -o remount,rw /usr' 2>/dev/null && fail "partition root remounted /usr"
clogin iso1 sh -c 'mount -t tmpfs none /mnt' 2>/dev/null && fail "partition root mounted a file system"
clogin iso1 sh -c 'mknod /tmp/sda b 8 0' 2>/dev/null && fail "partition root made a device node"
clogin iso1 sh -c 'date -s 2001-01-01' >/dev/null 2>&1 && fail "partition root set the clock"
host_name=$(hostname)
clogin iso1 sh -c 'hostname evil' 2>/dev/null && fail "partition root set the hostname (chwpar -h does that)"
assert_eq "$host_name" "$(hostname)" "host hostname unchanged"
assert_eq "iso1" "$(clogin iso1 hostname)" "the partition's hostname"
pass "remount, mount, mknod, clock and hostname changes refused"

host_links=$(ls /sys/class/net | wc -l)
assert_eq "lo" "$(clogin iso1 sh -c 'ls /sys/class/net')" "only loopback in the partition's network"
clogin iso1 sh -c 'cat /sys/class/net/lo/operstate' | grep -qE 'unknown|up' || fail "loopback is not up"
pass "own network namespace with loopback up ($host_links links on the host)"
rm -f "$marker"
echo "1 passed, 0 failed"
