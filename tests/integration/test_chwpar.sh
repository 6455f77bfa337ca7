#!/bin/bash
# labels: root
# timeout: 180
# chwpar: bad input changes nothing, live hostname and resource controls on a
# running partition, refusals naming the attribute, -K, rename and -d moves.
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
need_root
corral_setup
spec() { echo "$CORRAL_ROOT/etc/wpars/$1.spec"; }
# Run shell command $2 inside partition $1: its namespaces and its pids cgroup
# (nsenter does not move a process into the partition's cgroups).
inside() {
	local pid cg dir
	pid=$(init_pid_of "$1")
	cg=$(awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}' /proc/"$pid"/cgroup)
	if [ -n "$cg" ]; then
		dir=/sys/fs/cgroup/pids$cg
	else
		dir=/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/"$pid"/cgroup)
	fi
	sh -c "echo \$\$ > $dir/cgroup.procs && exec nsenter -t $pid -a sh -c '$2'"
}

"$BIN"/mkwpar -n web >/dev/null || fail "mkwpar web"

# Bad input changes nothing, byte for byte.
cp "$(spec web)" "$CORRAL_ROOT/before"
"$BIN"/chwpar -R totalProcesses=lots web 2>"$CORRAL_ROOT/err" && fail "a bad -R value was accepted"
grep -q "totalProcesses" "$CORRAL_ROOT/err" || fail "the error does not name the attribute: $(cat "$CORRAL_ROOT/err")"
cmp -s "$CORRAL_ROOT/before" "$(spec web)" || fail "a bad -R value changed the spec"
"$BIN"/chwpar -h 'bad host!' web 2>/dev/null && fail "a bad hostname was accepted"
"$BIN"/chwpar -R totalProcesses=10 -M directory=relative web 2>/dev/null && fail "a relative mount was accepted"
cmp -s "$CORRAL_ROOT/before" "$(spec web)" || fail "a refused change altered the spec"
"$BIN"/chwpar -K -R nosuchattr web 2>/dev/null && fail "-K of an unknown attribute was accepted"

# Changes are silent and recorded; -K removes them again.
out=$("$BIN"/chwpar -A -R shares_CPU=50 totalThreads=100 web 2>&1) || fail "chwpar -A -R: $out"
[ -z "$out" ] || fail "chwpar printed on success: $out"
grep -q 'auto = "yes"' "$(spec web)" || fail "-A not recorded"
grep -q 'shares_CPU = "50"' "$(spec web)" || fail "shares_CPU not recorded"
"$BIN"/chwpar -K -A -K -R shares_CPU totalThreads web || fail "chwpar -K"
grep -q 'auto =' "$(spec web)" && fail "-K -A left auto"
grep -qi 'shares_CPU\|totalThreads' "$(spec web)" && fail "-K -R left the controls"

# Running partition: hostname and resource controls change live.
"$BIN"/startwpar web >/dev/null || fail "startwpar web"
host_before=$(hostname)
"$BIN"/chwpar -h webhost web || fail "chwpar -h on a running partition"
[ "$(inside web hostname)" = webhost ] || fail "hostname inside is $(inside web hostname)"
[ "$(inside web 'cat /etc/hostname')" = webhost ] || fail "/etc/hostname inside not rewritten"
[ "$(hostname)" = "$host_before" ] || fail "the host's hostname changed"
grep -q 'hostname = "webhost"' "$(spec web)" || fail "live hostname not saved"

inside web 'sleep 30 & sleep 30 & wait' >/dev/null 2>&1 &
holder=$!
sleep 0.5
"$BIN"/chwpar -R totalProcesses=3 web || fail "chwpar -R totalProcesses on a running partition"
if inside web 'sleep 1 & wait' >/dev/null 2>&1; then
	fail "a fork inside succeeded beyond totalProcesses=3"
fi
"$BIN"/chwpar -K -R totalProcesses web || fail "lifting totalProcesses"
inside web 'sleep 0.1 & wait' >/dev/null 2>&1 || fail "fork still fails after -K -R totalProcesses"
kill "$holder" 2>/dev/null || true

# Refusals on a running partition name the attribute and change nothing.
cp "$(spec web)" "$CORRAL_ROOT/before"
for args in "-M directory=/data vfs=tmpfs:mounts" "-N interface=lo address=127.0.0.9 netmask=255.0.0.0:network" \
	"-d /tmp/elsewhere:base directory" "-n web2:name" "-S privs=CAP_NET_ADMIN:security privileges" \
	"-c:checkpointable attribute"; do
	flags=${args%%:*} what=${args#*:}
	# shellcheck disable=SC2086
	"$BIN"/chwpar $flags web 2>"$CORRAL_ROOT/err" && fail "chwpar $flags accepted while Active"
	expected="chwpar: cannot change the $what of web while it is Active: stop it first"
	[ "$(cat "$CORRAL_ROOT/err")" = "$expected" ] || fail "got '$(cat "$CORRAL_ROOT/err")', want '$expected'"
done
cmp -s "$CORRAL_ROOT/before" "$(spec web)" || fail "a refused change altered the spec"
"$BIN"/stopwpar -F web >/dev/null || fail "stopwpar web"

# Stopped: rename moves the spec, the runtime dir and the default base directory.
"$BIN"/mkwpar -n other >/dev/null || fail "mkwpar other"
"$BIN"/chwpar -n other web 2>/dev/null && fail "renamed onto an existing partition"
"$BIN"/chwpar -n 0bad web 2>/dev/null && fail "renamed to an invalid name"
"$BIN"/chwpar -n shop web || fail "chwpar -n shop web"
[ -e "$(spec web)" ] && fail "old spec still there"
[ -e "$(spec shop)" ] || fail "new spec missing"
[ -d "$CORRAL_ROOT/var/lib/corral/shop" ] || fail "runtime dir not moved"
[ -d "$CORRAL_ROOT/var/lib/corral/web" ] && fail "old runtime dir left"
[ -d "$CORRAL_ROOT/wpars/shop/etc/corral" ] || fail "base directory not moved"
[ -e "$CORRAL_ROOT/wpars/web" ] && fail "old base directory left"
grep -q "directory = \"$CORRAL_ROOT/wpars/shop\"" "$(spec shop)" || fail "directory not updated"
grep -q 'hostname = "webhost"' "$(spec shop)" || fail "an explicit hostname did not survive the rename"

# A hostname that was the name follows a rename; network entries come and go.
"$BIN"/chwpar -n other2 other || fail "chwpar -n other2 other"
grep -q 'hostname = "other2"' "$(spec other2)" || fail "the default hostname did not follow the rename"
cp "$(spec other2)" "$CORRAL_ROOT/before"
"$BIN"/chwpar -N interface=nosuch0 address=10.9.0.5 netmask=255.255.255.0 other2 2>"$CORRAL_ROOT/err" &&
	fail "-N on an interface this host lacks was accepted"
grep -q nosuch0 "$CORRAL_ROOT/err" || fail "the refusal does not name the interface: $(cat "$CORRAL_ROOT/err")"
cmp -s "$CORRAL_ROOT/before" "$(spec other2)" || fail "a refused -N changed the spec"
"$BIN"/chwpar -N interface=lo address=127.0.9.5 netmask=255.255.255.0 other2 || fail "chwpar -N"
grep -q 'address = "127.0.9.5"' "$(spec other2)" || fail "-N not recorded"
"$BIN"/chwpar -K -N address=127.0.9.6 other2 2>/dev/null && fail "-K -N of an absent address succeeded"
"$BIN"/chwpar -K -N address=127.0.9.5 other2 || fail "chwpar -K -N"
grep -q 'network:' "$(spec other2)" && fail "-K -N left the interface"

# -d moves the root part of a stopped partition.
mkdir "$CORRAL_ROOT/elsewhere"
"$BIN"/chwpar -d "$CORRAL_ROOT/elsewhere/shop" shop || fail "chwpar -d"
[ -d "$CORRAL_ROOT/elsewhere/shop/etc/corral" ] || fail "-d did not move the root part"
"$BIN"/chwpar -d "$CORRAL_ROOT/wpars/other2" shop 2>/dev/null && fail "-d onto another partition's directory"
"$BIN"/startwpar shop >/dev/null || fail "the renamed, moved partition does not start"
[ "$(inside shop hostname)" = webhost ] || fail "hostname after rename"
"$BIN"/stopwpar -F shop >/dev/null || fail "stopwpar shop"
# An application partition shares the host's files: a live hostname change
# reaches its UTS namespace only, never the host's /etc/hostname.
cp /etc/hostname "$CORRAL_ROOT/hostname.before"
"$BIN"/wparexec -n app1 -- sleep 20 >/dev/null 2>&1 &
for _ in $(seq 50); do
	[ "$(sed -n 's/^state=//p' "$CORRAL_ROOT/var/lib/corral/app1/state" 2>/dev/null)" = A ] && break
	sleep 0.1
done
"$BIN"/chwpar -h apphost app1 || fail "chwpar -h on a running application partition"
[ "$(nsenter -t "$(init_pid_of app1)" -u hostname)" = apphost ] || fail "application partition hostname"
cmp -s /etc/hostname "$CORRAL_ROOT/hostname.before" || fail "the host's /etc/hostname changed"
[ "$(hostname)" = "$host_before" ] || fail "the host's hostname changed"
"$BIN"/stopwpar -F app1 >/dev/null 2>&1 || true
wait || true
echo "PASS"
