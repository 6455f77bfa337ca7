#!/bin/bash
# labels: root
# timeout: 180
# lswpar on partitions made by the real commands: mkwpar's spec, a running
# partition's state (A, its init's pid, start time), a killed monitor shown
# as Broken with the reason, and Defined again after stopwpar.
set -u
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: starting a partition needs root (namespaces, cgroups)"
	exit 77
fi
BIN=$CORRAL_BUILD_DIR/cli
export CORRAL_ROOT=$(mktemp -d /tmp/corral-lswpar-live.XXXXXX)
# A cgroup parent of this run's own, removed at the end (not the host's
# default "corral", which the test would otherwise leave behind).
export CORRAL_CGROUP_PARENT=corral-test-$$
cleanup() {
	"$BIN"/stopwpar -F live >/dev/null 2>&1
	"$BIN"/rmwpar -F live >/dev/null 2>&1
	find /sys/fs/cgroup/*/"$CORRAL_CGROUP_PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$CORRAL_ROOT"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
field() { "$BIN"/lswpar -c -q -a "$2" "$1"; }

"$BIN"/mkwpar -n live -c -h live.example -N interface=lo address=127.0.0.9 netmask=255.0.0.0 \
	-R shares_CPU=30 >/dev/null || fail "mkwpar live"

[ "$(field live state,type,hostname,checkpointable)" = "D:S:live.example:yes" ] ||
	fail "after mkwpar: $(field live state,type,hostname,checkpointable)"
[ "$("$BIN"/lswpar -N -c -q live)" = "live:lo:127.0.0.9:255.0.0.0:" ] || fail "-N: $("$BIN"/lswpar -N -c -q live)"
[ "$("$BIN"/lswpar -R -c -q -a shares_CPU live)" = "30" ] || fail "-R shares_CPU"

if ! out=$("$BIN"/startwpar live 2>&1); then
	echo "SKIP: startwpar does not work on this host: $out"
	exit 77
fi
[ "$(field live state)" = A ] || fail "after startwpar: state $(field live state)"
[ "$("$BIN"/lswpar -s A -c -q -a name)" = live ] || fail "-s A does not list live"
pid=$("$BIN"/lswpar -T -c -q -a pid live)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || fail "-T pid '$pid' is not a running process"
start=$("$BIN"/lswpar -T live | sed -n 's/^Start Time: *//p')
[ -n "$start" ] || fail "-T shows no start time"
"$BIN"/lswpar --json live | python3 -c '
import json, sys
w = json.load(sys.stdin)[0]
assert w["state"] == "A" and w["pid"] > 1 and w["startTime"] > 0, w
' || fail "--json of a running partition"

# Its monitor killed behind Corral's back: Broken, with the reason, never Active.
monitor=$(sed -n 's/^monitor_pid=//p' "$CORRAL_ROOT/var/lib/corral/live/state")
if [ -n "$monitor" ] && [ "$monitor" != 0 ]; then
	kill -9 "$monitor"
	for _ in $(seq 50); do kill -0 "$monitor" 2>/dev/null || break; sleep 0.1; done
	[ "$(field live state)" = B ] || fail "monitor gone: state $(field live state)"
	"$BIN"/lswpar -L live | grep -q '^Broken reason: .' || fail "-L shows no broken reason"
fi

"$BIN"/stopwpar -F live >/dev/null 2>&1 || fail "stopwpar -F"
[ "$(field live state)" = D ] || fail "after stopwpar: state $(field live state)"
echo "lswpar live: all checks passed"
