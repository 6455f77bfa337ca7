#!/usr/bin/env bash
# labels: root criu nfs net slow
# timeout: 600
# movewpar of a system partition whose / is on an NFS export, between two
# "hosts": network namespaces on the NFS test LAN of lib/nfs_server.sh (the
# server in a namespace of its own at 10.215.0.1, host A at .2, host B at
# .3), each with its own CORRAL_ROOT, cgroup parent, keys and corrald. The
# export is not carried in the image: each host mounts it (FUSE over libnfs)
# itself. A program appending numbered lines through descriptors kept open
# moves A -> B -> A; then no line is lost or repeated, its offsets and the
# file it unlinked while open are intact, and the partition is on one host.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/nfs_test.sh"
need_root
command -v criu >/dev/null || skip "no criu"
command -v ip >/dev/null || skip "no ip (iproute2)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$CORRAL_BUILD_DIR/tests/helpers/zdtm_nfs_append" ] || fail "zdtm_nfs_append is not built"
bin=$CORRAL_BUILD_DIR/cli
[ -x "$bin/movewpar" ] || skip "this build has no movewpar"
export CORRAL_NFS_CLIENT=fuse
corral_setup
na=crnA$$ nb=crnB$$
ra=$CORRAL_ROOT/a rb=$CORRAL_ROOT/b
cga=corral-test-$$-a cgb=corral-test-$$-b
ha='' hb='' pa='' pb='' server_ns=''
# A host is a network namespace and a mount namespace of its own (so that
# each mounts the export with its own client, as separate machines do), both
# held by a sleeping process: $ha, $hb.
on_a() { nsenter -t "$ha" -m -n env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" "$@"; }
on_b() { nsenter -t "$hb" -m -n env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" "$@"; }
relocate_cleanup() {
	local rc=$? r n spec
	set +e
	for r in a b; do
		for spec in "$CORRAL_ROOT/$r"/etc/wpars/*.spec; do
			[ -e "$spec" ] || continue
			n=$(basename "$spec" .spec)
			"on_$r" "$bin/stopwpar" -F "$n" >/dev/null 2>&1
			"on_$r" "$bin/rmwpar" -F "$n" >/dev/null 2>&1
		done
	done
	for p in $pa $pb $ha $hb; do kill "$p" 2>/dev/null; done
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
	for d in /sys/fs/cgroup/*/"$cga" /sys/fs/cgroup/*/"$cgb"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	(exit $rc)
	nfs_test_cleanup
}
diagnose() {
	local l
	for l in "$CORRAL_ROOT"/*.log "$ra"/var/lib/corral/*/log "$rb"/var/lib/corral/*/log; do
		[ -f "$l" ] && { echo "--- $l" >&2; tail -20 "$l" >&2; }
	done
	echo "--- NFS mounts on A, then B" >&2
	on_a grep fuse.nfs /proc/self/mounts >&2 || true
	on_b grep fuse.nfs /proc/self/mounts >&2 || true
	fail "$@"
}

nfs_test_lan server_ns
trap relocate_cleanup EXIT
ip netns add "$na"
ip netns add "$nb"
$NFS_SERVER attach "$NFS_STATE" "$na" 10.215.0.2
$NFS_SERVER attach "$NFS_STATE" "$nb" 10.215.0.3
nfs_test_start 10.215.0.1 "$server_ns"
nsenter --net=/run/netns/"$na" unshare --mount --propagation private sleep 3600 &
ha=$!
nsenter --net=/run/netns/"$nb" unshare --mount --propagation private sleep 3600 &
hb=$!
for h in $ha $hb; do
	for _ in $(seq 50); do [ "$(stat -L -c %i "/proc/$h/ns/mnt")" != "$(stat -L -c %i /proc/self/ns/mnt)" ] && break; sleep 0.1; done
done

for r in "$ra" "$rb"; do
	mkdir -p "$r"
	CORRAL_ROOT=$r "$bin/corral" keygen >/dev/null 2>&1
done
CORRAL_ROOT=$ra "$bin/corral" trust b 10.215.0.3 "$rb/etc/corral/host.pub"
CORRAL_ROOT=$rb "$bin/corral" trust a 10.215.0.2 "$ra/etc/corral/host.pub"
# Not through on_a/on_b: $! must be corrald itself (nsenter and env exec it).
nsenter -t "$ha" -m -n env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" CORRAL_NFS_CLIENT=fuse \
	"$bin/corrald" --foreground --listen 10.215.0.2 --timeout 20 2>>"$CORRAL_ROOT/corrald-a.log" >/dev/null &
pa=$!
nsenter -t "$hb" -m -n env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" CORRAL_NFS_CLIENT=fuse \
	"$bin/corrald" --foreground --listen 10.215.0.3 --timeout 20 2>>"$CORRAL_ROOT/corrald-b.log" >/dev/null &
pb=$!
for r in "$ra" "$rb"; do
	for _ in $(seq 100); do [ -S "$r/run/corral/corrald.sock" ] && break; sleep 0.1; done
	[ -S "$r/run/corral/corrald.sock" ] || diagnose "corrald for $r did not start"
done

# The partition on A, its workload written through A's mount of the export.
ZD=$NFS_EXPORT_RW/srv/zdtm
on_a "$bin/mkwpar" -c -n mvn -h mvn-host -M directory=/ vfs=nfs host=10.215.0.1 dev="$NFS_EXPORT_RW" \
	mountopts="$NFS_MOUNTOPTS,timeout=5" >/dev/null
on_a "$bin/startwpar" mvn >/dev/null
lib=$(cd "$(dirname "$0")/lib" && pwd)
on_a bash -c ". '$lib/nfs_test.sh'; nfs_zdtm_install '$ra/wpars/mvn'"
on_a "$bin/stopwpar" mvn >/dev/null
on_a "$bin/startwpar" mvn >/dev/null
nfs_zdtm_wait_ready
pass "an NFS-rooted partition appends on A"

# mounts_on X: where host X has the export mounted (its mount namespace).
mounts_on() { "on_$1" awk -v src="10.215.0.1:$NFS_EXPORT_RW" '$1 == src && $3 == "fuse.nfs" { print $2 }' /proc/self/mounts; }
# mounted_on X: the same, when a cor_nfs in X's network namespace serves it
# (the host's own client, not the other host's).
mounted_on() {
	local h=$hb p
	[ "$1" = a ] && h=$ha
	for p in $(pgrep -x cor_nfs); do
		[ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/proc/$h/ns/net")" ] || continue
		mounts_on "$1"
		return 0
	done
}
# only_on X Y WHAT: Active on host X with its own client of the export;
# not defined on Y, nothing mounted or left there; one copy of the program,
# appending.
only_on() {
	local rx=$CORRAL_ROOT/$1 ry=$CORRAL_ROOT/$2 m before
	assert_eq A "$(sed -n 's/^state=//p' "$rx/var/lib/corral/mvn/state" 2>/dev/null)" "$3: state on $1"
	m=$(mounted_on "$1")
	[ -n "$m" ] || diagnose "$3: the export is not mounted on $1 by a client of its own"
	[ ! -e "$ry/etc/wpars/mvn.spec" ] || diagnose "$3: mvn is still defined on $2"
	[ -z "$(mounts_on "$2")" ] || diagnose "$3: the export is still mounted on $2"
	[ ! -e "$ry/wpars/mvn" ] || diagnose "$3: $2 keeps its mount point $ry/wpars/mvn (a move back would find it in the way)"
	assert_eq 1 "$(pgrep -fc "^$NFS_ZDTM_CMD")" "$3: copies of the program"
	before=$(wc -l <"$ZD/seq")
	sleep 0.5
	[ "$(wc -l <"$ZD/seq")" -gt "$before" ] || diagnose "$3: the program does not append after the move"
}

sleep 0.5
out=$(on_a "$bin/movewpar" mvn b 2>&1) || diagnose "move A -> B: $out"
assert_contains "$out" "relocated to b" "move A -> B"
only_on b a "after A -> B"
pass "A -> B: $out"

out=$(on_b "$bin/movewpar" mvn a 2>&1) || diagnose "move B -> A: $out"
only_on a b "after B -> A"
pass "B -> A"

# The server goes away for B (its packets to the server are dropped): the
# move is refused before anything stops, the partition goes on on A.
nsenter --net=/run/netns/"$nb" nft -f - <<NFT
table inet corral_test_cut {
	chain out {
		type filter hook output priority 0;
		ip daddr 10.215.0.1 drop
	}
}
NFT
if out=$(on_a "$bin/movewpar" mvn b 2>&1); then diagnose "moved to a host that cannot reach the NFS server"; fi
nsenter --net=/run/netns/"$nb" nft delete table inet corral_test_cut
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "one line for an unreachable server"
assert_contains "$out" "10.215.0.1" "the error names the server"
only_on a b "after the refused move"
pass "NFS server unreachable from B: refused, still running on A ($out)"

nfs_zdtm_verify
pass "after A -> B -> A: lines 1..$NFS_ZDTM_LAST on the server, offsets and the unlinked file intact"
echo "1 passed, 0 failed"
