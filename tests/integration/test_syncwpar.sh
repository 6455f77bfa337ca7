#!/bin/bash
# labels: root
# timeout: 180
# syncwpar against a stand-in global environment (CORRAL_SYNC_SOURCE): host
# changes reach unmodified files, partition changes are kept and reported,
# -p changes nothing, files gone from the host go, the package database is
# copied (dpkg -l inside works), a running partition syncs, planted links
# cannot redirect writes, application partitions are refused, -A does all.
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
need_root
corral_setup
assert_lacks() { case "$1" in *"$2"*) fail "$3: '$2' in: $1" ;; esac; }

H=$CORRAL_ROOT/host
export CORRAL_SYNC_SOURCE=$H
mkdir -p "$H/etc/pam.d" "$H/var/lib/dpkg/alternatives"
for f in issue.net profile shells passwd; do cp -a "/etc/$f" "$H/etc/"; done
cp -a /etc/pam.d/login "$H/etc/pam.d/"
cp -a /var/lib/dpkg/status "$H/var/lib/dpkg/"
"$BIN"/mkwpar -n s1 >/dev/null || fail "mkwpar s1"
D=$CORRAL_ROOT/wpars/s1
MANIFEST=$CORRAL_ROOT/var/lib/corral/s1/sync-manifest

# The host changes two files and adds one; the partition edits one of them.
echo "host change 1" >>"$H/etc/issue.net"
echo "# host change" >>"$H/etc/profile"
echo "# new host file" >"$H/etc/pam.d/corral-test"
sleep 1.1
echo "# partition change" >>"$D/etc/profile"
cp -a "$D/etc/profile" "$CORRAL_ROOT/profile.partition"
cp -a "$D/etc/issue.net" "$CORRAL_ROOT/issue.before"

out=$("$BIN"/syncwpar -p s1) || fail "syncwpar -p: $out"
assert_contains "$out" "would update /etc/issue.net" "preview"
assert_contains "$out" "would add /etc/pam.d/corral-test" "preview misses the new file"
assert_contains "$out" "would keep /etc/profile: modified in the partition" "preview keep"
cmp -s "$D/etc/issue.net" "$CORRAL_ROOT/issue.before" || fail "-p changed /etc/issue.net"
[ -e "$D/etc/pam.d/corral-test" ] && fail "-p added a file"
[ -e "$D/var/lib/dpkg/status" ] && fail "-p copied the package database"
[ -e "$MANIFEST" ] && fail "-p wrote a manifest"

out=$("$BIN"/syncwpar s1) || fail "syncwpar: $out"
assert_contains "$out" "kept /etc/profile: modified in the partition" "keep not reported"
assert_lacks "$out" "updated /etc/issue.net" "without -v a replaced file was listed"
cmp -s "$D/etc/issue.net" "$H/etc/issue.net" || fail "issue.net not updated"
cmp -s "$D/etc/profile" "$CORRAL_ROOT/profile.partition" || fail "the partition's profile was overwritten"
cmp -s "$D/etc/pam.d/corral-test" "$H/etc/pam.d/corral-test" || fail "new host file not added"
cmp -s "$D/var/lib/dpkg/status" "$H/var/lib/dpkg/status" || fail "dpkg status not copied"
[ -s "$MANIFEST" ] || fail "no manifest written"
[ "$(stat -c %a "$D/etc/passwd")" = "$(stat -c %a /etc/passwd)" ] || fail "mode not kept"

# Second round: the manifest tells synced files from edited ones.
echo "host change 2" >>"$H/etc/issue.net"
echo "/bin/corral-test-shell" >>"$H/etc/shells"
echo "/bin/partition-shell" >>"$D/etc/shells"
rm "$H/etc/pam.d/corral-test"
out=$("$BIN"/syncwpar -v s1) || fail "second syncwpar: $out"
assert_contains "$out" "updated /etc/issue.net" "-v does not list the update"
assert_contains "$out" "kept /etc/shells: modified in the partition" "shells"
assert_contains "$out" "removed /etc/pam.d/corral-test" "removal not reported"
cmp -s "$D/etc/issue.net" "$H/etc/issue.net" || fail "issue.net not updated the second time"
grep -q partition-shell "$D/etc/shells" || fail "partition's shells overwritten"
[ -e "$D/etc/pam.d/corral-test" ] && fail "file gone from the host was kept"

# A link the partition planted resolves inside it: nothing is written on the host.
mkdir "$CORRAL_ROOT/hostside"
rm -rf "$D/etc/pam.d"
ln -s "$CORRAL_ROOT/hostside" "$D/etc/pam.d"
out=$("$BIN"/syncwpar s1) || fail "syncwpar with a planted link: $out"
assert_contains "$out" "kept /etc/pam.d: not a directory in the partition" "planted link"
[ -z "$(ls -A "$CORRAL_ROOT/hostside")" ] || fail "syncwpar wrote through a planted link"

# A running partition syncs, and dpkg inside sees the global packages.
"$BIN"/startwpar s1 >/dev/null || fail "startwpar s1"
pid=$(init_pid_of s1)
echo "host change 3" >>"$H/etc/issue.net"
"$BIN"/syncwpar s1 >/dev/null || fail "syncwpar of a running partition"
nsenter -t "$pid" -a grep -q "host change 3" /etc/issue.net || fail "running partition not updated"
nsenter -t "$pid" -a dpkg-query -W dpkg >/dev/null || fail "dpkg inside does not know the packages"
"$BIN"/stopwpar -F s1 >/dev/null

# Application partitions share the global file systems: refused.
printf 'general:\n\tname = "app1"\n\ttype = "A"\n' >"$CORRAL_ROOT/etc/wpars/app1.spec"
"$BIN"/syncwpar app1 2>"$CORRAL_ROOT/err" && fail "an application partition was synced"
grep -qx "syncwpar: app1 is an application partition: it shares the global file systems" "$CORRAL_ROOT/err" ||
	fail "refusal: $(cat "$CORRAL_ROOT/err")"
rm "$CORRAL_ROOT/etc/wpars/app1.spec"

# -A: every system partition; one made with -r also follows resolv.conf.
"$BIN"/mkwpar -n s2 >/dev/null || fail "mkwpar s2"
"$BIN"/mkwpar -r -n s3 >/dev/null || fail "mkwpar -r s3"
cp -a /etc/resolv.conf "$H/etc/resolv.conf"
echo "# host resolver change" >>"$H/etc/resolv.conf"
out=$("$BIN"/syncwpar -A) || fail "syncwpar -A: $out"
assert_contains "$out" "Workload partition s1 synchronized" "-A skipped s1"
assert_contains "$out" "Workload partition s2 synchronized" "-A skipped s2"
cmp -s "$CORRAL_ROOT/wpars/s2/etc/issue.net" "$H/etc/issue.net" || fail "-A did not update s2"
cmp -s "$CORRAL_ROOT/wpars/s3/etc/resolv.conf" "$H/etc/resolv.conf" || fail "-r partition's resolv.conf not updated"
grep -q "host resolver change" "$D/etc/resolv.conf" 2>/dev/null && fail "resolv.conf synced into a partition made without -r"
rc=0
"$BIN"/syncwpar -A s1 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "-A with a name is not a usage error"
echo "PASS"
