#!/bin/bash
# labels: root
# timeout: 120
# corral autostart starts only the partitions made with -A (or given -A by
# chwpar), skips those already active, clears those a host crash left Broken,
# and -s stops them again.
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
need_root
corral_setup
assert_lacks() { case "$1" in *"$2"*) fail "$3: '$2' in: $1" ;; esac; }

"$BIN"/mkwpar -A -n boot1 >/dev/null || fail "mkwpar -A boot1"
"$BIN"/mkwpar -n manual >/dev/null || fail "mkwpar manual"
out=$("$BIN"/corral autostart) || fail "corral autostart: $out"
assert_contains "$out" "Workload partition boot1 is active." "boot1 not reported"
assert_lacks "$out" manual "manual was started"
[ "$(state_of boot1)" = A ] || fail "boot1 is not Active"
[ "$(state_of manual)" = D ] || fail "manual is not Defined"

# Already active: skipped, not an error. chwpar -A adds a partition.
"$BIN"/chwpar -A manual || fail "chwpar -A manual"
out=$("$BIN"/corral autostart) || fail "second autostart: $out"
assert_contains "$out" "boot1 is already Active" "boot1 not skipped"
[ "$(state_of manual)" = A ] || fail "chwpar -A did not make manual start"

# A partition that cannot start makes autostart fail, the others still start.
"$BIN"/stopwpar -F manual >/dev/null
"$BIN"/mkwpar -A -n broken >/dev/null || fail "mkwpar broken"
rm -rf "$CORRAL_ROOT/wpars/broken/etc/corral" # its init cannot be installed
"$BIN"/corral autostart >/dev/null 2>&1 && fail "autostart succeeded with a partition that cannot start"
[ "$(state_of manual)" = A ] || fail "one failure stopped the others"
"$BIN"/stopwpar -F broken >/dev/null 2>&1 || true

# After a crash of the host the state says Active with a monitor long gone:
# the partition is Broken, and autostart clears and starts it.
"$BIN"/stopwpar -F broken >/dev/null 2>&1 || true
"$BIN"/rmwpar -F broken >/dev/null 2>&1 || true
"$BIN"/stopwpar -F manual >/dev/null || fail "stopwpar manual"
printf 'state=A\ninit_pid=999999\nmonitor_pid=999998\nowner_pid=0\nstart_time=1\noperation=none\n' \
	>"$CORRAL_ROOT/var/lib/corral/manual/state"
out=$("$BIN"/corral autostart) || fail "autostart after a crash: $out"
assert_contains "$out" "manual was Broken" "the stale partition was not cleared"
[ "$(state_of manual)" = A ] || fail "the stale partition did not start"

out=$("$BIN"/corral autostart -s) || fail "corral autostart -s: $out"
[ "$(state_of boot1)" = D ] || fail "-s did not stop boot1"
[ "$(state_of manual)" = D ] || fail "-s did not stop manual"
echo "PASS"
