#!/bin/bash
# labels:
# timeout: 60
# lswpar end to end: spec and state files written by hand into a temporary
# CORRAL_ROOT, listed by the real binary in every form.
set -u

LSWPAR="$CORRAL_BUILD_DIR/cli/lswpar"
[ -x "$LSWPAR" ] || { echo "no $LSWPAR: build the corral target first"; exit 1; }
command -v python3 >/dev/null || { echo "skip: python3 is needed to parse --json"; exit 77; }

export CORRAL_ROOT=$(mktemp -d /tmp/corral-lswpar.XXXXXX)
trap 'rm -rf "$CORRAL_ROOT"' EXIT
export TZ=UTC
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	if [ "$2" != "$3" ]; then
		fail "$1"
		echo "--- expected:"; echo "$3"; echo "--- got:"; echo "$2"
	fi
}

# expect_line WHAT TEXT LINE: TEXT has LINE (blank runs squeezed) as a whole line.
expect_line() {
	if ! printf '%s\n' "$2" | tr -s ' ' | grep -qxF -- "$3"; then
		fail "$1: no line '$3' in:"
		printf '%s\n' "$2"
	fi
}

# Nothing defined yet: nothing printed, success.
out=$("$LSWPAR" 2>&1); rc=$?
expect_eq "empty listing" "$out|$rc" "|0"

mkdir -p "$CORRAL_ROOT/etc/wpars" "$CORRAL_ROOT/var/lib/corral/web" \
	"$CORRAL_ROOT/var/lib/corral/batch"
cat >"$CORRAL_ROOT/etc/wpars/web.spec" <<'EOF'
general:
	name = "web"
	hostname = "web.example"
	checkpointable = "yes"
	auto = "yes"
	script = "/etc/web:start"

network:
	interface = "eth0"
	address = "10.0.0.5"
	netmask = "255.255.255.0"
	broadcast = "10.0.0.255"

mount:
	directory = "/home"
	vfs = "nfs"
	host = "nfs1"
	dev = "/export/home"
	mountopts = "bg,intr"

resources:
	shares_CPU = "20"
	totalProcesses = "128"
EOF
cat >"$CORRAL_ROOT/etc/wpars/db.spec" <<'EOF'
general:
	name = "db"
	type = "application"
EOF
cat >"$CORRAL_ROOT/etc/wpars/batch.spec" <<'EOF'
general:
	name = "batch"
	privateusr = "yes"
EOF
cat >"$CORRAL_ROOT/var/lib/corral/web/state" <<'EOF'
state=B
init_pid=0
monitor_pid=0
start_time=0
operation=start
broken_reason=init exited with status "1"
EOF
cat >"$CORRAL_ROOT/var/lib/corral/batch/state" <<'EOF'
state=P
init_pid=0
monitor_pid=0
start_time=1700000000
operation=checkpoint
EOF
W="$CORRAL_ROOT/wpars"

# Default table: AIX's five columns, sorted by name, aligned under a dashed line.
out=$("$LSWPAR")
expect_eq "table header" "$(printf '%s\n' "$out" | head -1 | tr -s ' ')" "Name State Type Hostname Directory"
expect_eq "table rows" "$(printf '%s\n' "$out" | tail -n +3 | tr -s ' ')" \
"batch P S batch $W/batch
db D A db /
web B S web.example $W/web"
printf '%s\n' "$out" | python3 -c '
import sys
lines = sys.stdin.read().splitlines()
head, dash, rows = lines[0], lines[1], lines[2:]
assert set(dash) == {"-"} and len(dash) == max(len(l) for l in lines), "dashed line spans the table"
for col in ("State", "Type", "Hostname", "Directory"):
    at = head.index(col)
    for r in rows:
        assert r[at - 2:at] == "  " and r[at] != " ", f"{col} column misaligned in {r!r}"
' || fail "table alignment"

# -q: rows only.
expect_eq "quiet table" "$("$LSWPAR" -q db | tr -s ' ')" "db D A db /"

# -L: every section, the broken reason in OPERATION.
out=$("$LSWPAR" -L web)
expect_eq "long banner" "$(printf '%s\n' "$out" | head -3)" \
"=================================================================
web - Broken
================================================================="
for line in GENERAL "Type: S" "Owner: root" "Hostname: web.example" "Directory: $W/web" \
	"Start/Stop Script: /etc/web:start" "Auto: yes" "Private /usr: no" "Checkpointable: yes" \
	NETWORK "Interface Address(6) Mask/Prefix Broadcast" "eth0 10.0.0.5 255.255.255.0 10.0.0.255" \
	"FILE SYSTEMS" "MountPoint Device Vfs Nodename Options" "$W/web $W/web directory" \
	"$W/web/home /export/home nfs nfs1 bg,intr" "$W/web/usr /usr namefs ro" \
	"$W/web/proc proc proc rw" "RESOURCE CONTROLS" "Active: yes" "CPU Shares: 20" \
	"CPU Limits: 0%-100%,100%" "Total Processes: 128" "Total Threads: unlimited" \
	OPERATION "Operation: start" "Broken reason: init exited with status \"1\"" \
	"SECURITY SETTINGS" "DEVICE EXPORTS" "/dev/null pseudo" "/dev/ptmx clone"; do
	expect_line "-L web" "$out" "$line"
done

# -M of a private /usr partition: /usr is its own directory.
out=$("$LSWPAR" -M batch)
expect_line "-M batch" "$out" "batch $W/batch/usr $W/batch/usr directory"

# -T paragraph: start time of the paused partition.
out=$("$LSWPAR" -T batch)
expect_line "-T batch" "$out" "Start Time: Tue Nov 14 22:13:20 2023"
expect_line "-T batch" "$out" "Operation: checkpoint"

# Delimited: '#' header, chosen fields, escaped delimiter.
out=$("$LSWPAR" -c -a name,state,type,script)
expect_eq "-c -a" "$out" '#name:state:type:script
batch:P:S:
db:D:A:
web:B:S:/etc/web\:start'
expect_eq "-d, -q -N" "$("$LSWPAR" -N -d, -q)" "web,eth0,10.0.0.5,255.255.255.0,10.0.0.255"
expect_eq "-c -R -a" "$("$LSWPAR" -c -R -a name,shares_CPU,totalprocesses web)" \
"#name:shares_CPU:totalProcesses
web:20:128"

# Filters.
expect_eq "-s P" "$("$LSWPAR" -s P -c -q -a name)" "batch"
expect_eq "-s DB" "$("$LSWPAR" -s DB -c -q -a name)" "db
web"
expect_eq "-t C" "$("$LSWPAR" -t C -c -q -a name)" "web"
expect_eq "-t A" "$("$LSWPAR" -t A -c -q -a name)" "db"
expect_eq "no match" "$("$LSWPAR" -s F)" ""

# An unknown name: one line on stderr, the others listed, exit 1.
out=$("$LSWPAR" -c -q -a name web nosuch db 2>"$CORRAL_ROOT/err"); rc=$?
expect_eq "unknown name stdout" "$out|$rc" "web
db|1"
expect_eq "unknown name stderr" "$(cat "$CORRAL_ROOT/err")" \
	"lswpar: 0960-419 Could not find a workload partition called nosuch."

# Usage errors: one line naming the culprit, exit 2.
check_usage() {
	local want=$1; shift
	local err rc
	err=$("$LSWPAR" "$@" 2>&1 >/dev/null); rc=$?
	[ "$rc" = 2 ] || fail "lswpar $* exited $rc, not 2"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "lswpar $*: more than one line: $err"
	case "$err" in *"$want"*) ;; *) fail "lswpar $*: '$err' does not name '$want'" ;; esac
}
check_usage "-X" -X
check_usage "'Q'" -s AQ
check_usage "'colour'" -c -a name,colour
check_usage "'Z'" -t Z
check_usage "-L and -M" -L -M
check_usage "--frobnicate" --frobnicate

# JSON: parses, every partition, typed values, escaped strings.
"$LSWPAR" --json >"$CORRAL_ROOT/out.json" || fail "--json exit status"
python3 - "$CORRAL_ROOT/out.json" "$W" <<'EOF' || fail "--json content"
import json, sys
data = json.load(open(sys.argv[1]))
w = sys.argv[2]
assert [p["name"] for p in data] == ["batch", "db", "web"], data
web = data[2]
assert web["state"] == "B" and web["stateName"] == "Broken"
assert web["checkpointable"] is True and web["auto"] is True
assert web["shares_CPU"] == 20 and web["totalThreads"] is None
assert web["brokenReason"] == 'init exited with status "1"'
assert web["network"] == [{"interface": "eth0", "address": "10.0.0.5",
                           "mask_prefix": "255.255.255.0", "broadcast": "10.0.0.255"}]
assert {"mountpoint": w + "/web/home", "device": "/export/home", "vfs": "nfs",
        "nodename": "nfs1", "options": "bg,intr"} in web["mounts"]
assert data[0]["startTime"] == 1700000000 and data[0]["pid"] is None
assert data[1]["type"] == "A" and data[1]["mounts"] == []
EOF
expect_eq "--json filtered" "$("$LSWPAR" --json -s F)" "[]"

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "lswpar: all checks passed"
