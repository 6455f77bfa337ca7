#!/usr/bin/env bash
# labels: root criu
# timeout: 300
# What root inside a partition may not do (issue 14, items 2 and 3): write
# host-wide sysctls, read masked kernel files, rename its partition, or make
# the system calls its filter refuses (the host's keyring above all), while
# its own network sysctls and ordinary work stay. Then `mkwpar -S
# syscalls+=...` relaxes exactly what it names; the filter of a process that
# lived through chkptwpar -k and restartwpar still holds; application
# partitions (wparexec) are confined the same way.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

probe_bin=$CORRAL_BUILD_DIR/tests/helpers/confine_probe
[ -x "$probe_bin" ] || fail "helper $probe_bin not built"
refused="add_key keyctl request_key bpf perf_event_open unshare_newuser clone_newuser kexec_load init_module open_by_handle_at personality"
desc=corral-confine-probe

# host_has_probe_key: the helper's key is in a keyring the host's root sees.
host_has_probe_key() {
	grep -q "$desc" /proc/keys 2>/dev/null && return 0
	command -v keyctl >/dev/null && keyctl show @u 2>/dev/null | grep -q "$desc"
}
# expect_refused OUTPUT WHERE: every refused call printed EPERM.
expect_refused() {
	local call line
	for call in $refused; do
		line=$(printf '%s\n' "$1" | grep "^$call " || true)
		assert_eq "$call EPERM" "$line" "$call from $2"
	done
	# The other ABIs of an x86-64 kernel, where it has them.
	for call in add_key_i386 add_key_x32; do
		line=$(printf '%s\n' "$1" | grep "^$call " || true)
		case "$line" in "" | "$call EPERM" | "$call ENOSYS") ;; *) fail "$call from $2: $line" ;; esac
	done
}

host_has_probe_key && skip "a key named $desc is already on the host: remove it first"
check=$(corral check 2>&1 || true)
printf '%s\n' "$check" | grep -Eq '^ok +seccomp ' || fail "corral check does not prove the seccomp filter: $check"
pass "corral check: the partition filter loads and refuses"
# A failed run must not leave the key it found on the host's keyring.
TEARDOWN_LAST="keyctl purge user $desc >/dev/null 2>&1 || true"
core_before=$(cat /proc/sys/kernel/core_pattern)
host_name=$(hostname)

mkwpar -n cf1 -c >/dev/null
base=$CORRAL_ROOT/wpars/cf1
cp "$probe_bin" "$base/tmp/confine_probe"
# A process that lives through the checkpoint: it probes when told to.
echo 'while [ ! -e /tmp/go ]; do sleep 0.1; done; /tmp/confine_probe > /tmp/after.txt' >>"$base/etc/corral/services"
startwpar cf1 >/dev/null
assert_eq "A" "$(state_of cf1)" "cf1 started"

# Host-wide sysctls: each gets its own current value back, so a write that
# wrongly succeeds changes nothing on the host.
for f in kernel/core_pattern vm/drop_caches kernel/panic kernel/randomize_va_space fs/file-max kernel/hostname; do
	out=$(clogin cf1 sh -c "v=\$(cat /proc/sys/$f 2>/dev/null || echo 3); echo \"\$v\" > /proc/sys/$f" 2>&1) &&
		fail "/proc/sys/$f is writable inside the partition"
	case "$out" in
	*"Read-only file system"* | *"Permission denied"* | *"Operation not permitted"*) ;;
	*) fail "/proc/sys/$f: unexpected refusal: $out" ;;
	esac
done
assert_eq "$core_before" "$(cat /proc/sys/kernel/core_pattern)" "host core_pattern"
clogin cf1 sh -c 'echo 1 > /proc/sysrq-trigger' 2>/dev/null && fail "/proc/sysrq-trigger is writable"
pass "host-wide sysctls and sysrq-trigger are read-only (EROFS)"

for f in kcore keys timer_list sched_debug kallsyms kmsg; do
	n=$(clogin cf1 sh -c "if [ -e /proc/$f ]; then head -c 64 /proc/$f 2>/dev/null | wc -c; else echo 0; fi")
	assert_eq "0" "$n" "bytes readable from /proc/$f"
done
assert_eq "0" "$(clogin cf1 sh -c 'ls -A /sys/firmware | wc -l')" "entries in /sys/firmware"
clogin cf1 sh -c 'touch /sys/firmware/x' 2>/dev/null && fail "the /sys/firmware mask is writable"
# The masked directories are binds of an empty directory of the partition's
# own /dev, not a tmpfs of their own (CRIU archives each tmpfs).
assert_eq "$(clogin cf1 stat -c %d /dev)" "$(clogin cf1 stat -c %d /sys/firmware)" \
	"the file system masking /sys/firmware"
assert_eq "$(clogin cf1 stat -c %d /dev)" "$(clogin cf1 stat -c %d /proc/acpi)" \
	"the file system masking /proc/acpi"
clogin cf1 sh -c 'touch /proc/acpi/x' 2>/dev/null && fail "the /proc/acpi mask is writable"
pass "/proc/kcore, keys, timer_list, sched_debug, kallsyms, kmsg and /sys/firmware are masked"

clogin cf1 sh -c 'hostname evil' 2>/dev/null && fail "sethostname succeeded inside"
assert_eq "cf1" "$(clogin cf1 hostname)" "the partition's hostname"
assert_eq "$host_name" "$(hostname)" "the host's hostname"
pass "the hostname changes through chwpar only"

out=$(clogin cf1 /tmp/confine_probe)
expect_refused "$out" "a clogin session"
host_has_probe_key && fail "a key added inside the partition is on the host's keyring"
assert_eq "2" "$(clogin cf1 sh -c 'sed -n "s/^Seccomp:[[:space:]]*//p" /proc/1/status')" "seccomp mode of the partition's init"
# Loaded while CAP_SYS_ADMIN was still held: no no_new_privs, so setuid
# programs inside keep working.
assert_eq "0" "$(clogin cf1 sh -c 'sed -n "s/^NoNewPrivs:[[:space:]]*//p" /proc/self/status')" "no_new_privs of a session"
pass "every refused call gets EPERM; the host's keyring is untouched"

host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
want=$((1 - host_fwd))
clogin cf1 sh -c "echo $want > /proc/sys/net/ipv4/ip_forward" || fail "net.* sysctls are not writable inside"
assert_eq "$want" "$(clogin cf1 cat /proc/sys/net/ipv4/ip_forward)" "the partition's ip_forward"
assert_eq "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)" "the host's ip_forward"
clogin cf1 sh -c 'ps ax >/dev/null && ls / >/dev/null && echo hi > /tmp/w && cat /tmp/w >/dev/null' ||
	fail "ordinary work fails inside"
clogin cf1 sh -c 'ping -c 1 -W 2 127.0.0.1 >/dev/null' || fail "ping over loopback fails inside"
pass "the partition's own net.* sysctls stay writable; sh, ps, files and ping work"

# -S relaxes exactly the calls it names.
mkwpar -n cf2 -S syscalls+=keyctl,add_key >/dev/null
cp "$probe_bin" "$CORRAL_ROOT/wpars/cf2/tmp/confine_probe"
assert_contains "$(lswpar -S cf2)" "keyctl,add_key" "lswpar -S shows the relaxation"
assert_contains "$(lswpar -S cf1)" "default" "lswpar -S of a default partition"
startwpar cf2 >/dev/null
out=$(clogin cf2 /tmp/confine_probe relaxed)
assert_eq "add_key OK" "$(printf '%s\n' "$out" | grep '^add_key ')" "add_key once relaxed"
assert_eq "keyctl OK" "$(printf '%s\n' "$out" | grep '^keyctl ')" "keyctl once relaxed"
for call in $refused; do
	case $call in add_key | keyctl) continue ;; esac
	assert_eq "$call EPERM" "$(printf '%s\n' "$out" | grep "^$call ")" "$call in the relaxed partition"
done
assert_fails "an unknown system call in -S" mkwpar -n cf3 -S syscalls+=nosuchcall
assert_fails "a call the filter does not refuse in -S" mkwpar -n cf3 -S syscalls+=read
stopwpar cf2 >/dev/null
chwpar -S syscalls-=keyctl cf2
assert_contains "$(lswpar -S cf2)" "add_key" "syscalls-= keeps the other call"
case "$(lswpar -S cf2)" in *keyctl*) fail "syscalls-=keyctl left keyctl" ;; esac
pass "mkwpar -S syscalls+=keyctl,add_key relaxes exactly those; chwpar -S syscalls-= takes one back"

# The filter lives through checkpoint and restart: the waiting service
# was filtered before the dump and probes only after the restore.
img=$CORRAL_ROOT/cf1.wpar
chkptwpar -k -o "$img" cf1 >/dev/null
assert_eq "D" "$(state_of cf1)" "state after chkptwpar -k"
restartwpar -i "$img" cf1 >/dev/null
assert_eq "A" "$(state_of cf1)" "state after restartwpar"
touch "$base/tmp/go"
for _ in $(seq 100); do [ -s "$base/tmp/after.txt" ] && grep -q '^personality ' "$base/tmp/after.txt" && break; sleep 0.1; done
expect_refused "$(cat "$base/tmp/after.txt")" "a process restored by restartwpar"
assert_eq "2" "$(clogin cf1 sh -c 'sed -n "s/^Seccomp:[[:space:]]*//p" /proc/1/status')" "seccomp mode of the restored init"
clogin cf1 sh -c 'echo x > /proc/sys/kernel/panic' 2>/dev/null && fail "/proc/sys is writable after restartwpar"
assert_eq "0" "$(clogin cf1 sh -c 'head -c 64 /proc/keys | wc -c')" "/proc/keys after restartwpar"
clogin cf1 sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward' || fail "net.* sysctls not writable after restartwpar"
host_has_probe_key && fail "a key reached the host's keyring"
pass "after chkptwpar -k and restartwpar the filter and the /proc masks still hold"

# Application partitions: the same filter and /proc.
out=$(wparexec -n cfapp -- "$probe_bin")
expect_refused "$out" "wparexec"
wparexec -n cfapp -- sh -c 'echo "$(cat /proc/sys/kernel/panic)" > /proc/sys/kernel/panic' 2>/dev/null &&
	fail "/proc/sys is writable in an application partition"
assert_eq "0" "$(wparexec -n cfapp -- sh -c 'head -c 64 /proc/keys | wc -c')" "/proc/keys in wparexec"
out=$(wparexec -c -n cfjob -- "$probe_bin")
expect_refused "$out" "wparexec -c"
wparexec -c -n cfjob -- sh -c 'echo "$(cat /proc/sys/kernel/panic)" > /proc/sys/kernel/panic' 2>/dev/null &&
	fail "/proc/sys is writable in a checkpointable application partition"
pass "wparexec and wparexec -c: refused calls get EPERM, /proc/sys is read-only, /proc/keys masked"
host_has_probe_key && fail "a key reached the host's keyring"
assert_eq "$core_before" "$(cat /proc/sys/kernel/core_pattern)" "host core_pattern at the end"
echo "8 passed, 0 failed"
