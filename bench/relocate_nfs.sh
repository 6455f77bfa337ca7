#!/usr/bin/env bash
# movewpar of the same partition twice, NFS-rooted and local (issue #7): the
# bytes sent and the downtime. Both partitions hold BENCH_MIB MiB of
# incompressible data in their file systems and run memhog with BENCH_MIB MiB
# of half-random memory. The local one carries its file systems in the
# stream; the NFS-rooted one carries memory only, its destination mounting
# the same export. Two hosts as in tests/integration/test_nfs_relocate.sh
# (network and mount namespaces of their own on the NFS test LAN, nfs-ganesha
# serving the export from a third).
# Usage: sudo [BENCH_MIB=64] bench/relocate_nfs.sh [BUILD_DIR]   (about a minute)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
export CORRAL_BUILD_DIR=$(cd "${1:-$src/build}" && pwd) CORRAL_SOURCE_DIR=$src CORRAL_NFS_CLIENT=fuse
. "$src/tests/integration/lib/common.sh"
. "$src/tests/integration/lib/nfs_test.sh"
need_root
MIB=${BENCH_MIB:-64}
bin=$CORRAL_BUILD_DIR/cli
corral_setup
na=cbnA$$ nb=cbnB$$
ra=$CORRAL_ROOT/a rb=$CORRAL_ROOT/b
cga=corral-bench-$$-a cgb=corral-bench-$$-b
ha='' hb='' daemons=''
on_a() { nsenter -t "$ha" -m -n env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" "$@"; }
on_b() { nsenter -t "$hb" -m -n env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" "$@"; }
bench_cleanup() {
	local rc=$? n
	set +e
	for n in bl bn; do
		on_a "$bin/stopwpar" -F $n >/dev/null 2>&1; on_a "$bin/rmwpar" -F -p $n >/dev/null 2>&1
		on_b "$bin/stopwpar" -F $n >/dev/null 2>&1; on_b "$bin/rmwpar" -F -p $n >/dev/null 2>&1
	done
	for p in $daemons $ha $hb; do kill "$p" 2>/dev/null; done
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
	(exit $rc)
	nfs_test_cleanup
}

nfs_test_lan server_ns
trap bench_cleanup EXIT
ip netns add "$na"
ip netns add "$nb"
$NFS_SERVER attach "$NFS_STATE" "$na" 10.215.0.2
$NFS_SERVER attach "$NFS_STATE" "$nb" 10.215.0.3
nfs_test_start 10.215.0.1 "$server_ns"
for ns in "$na" "$nb"; do
	nsenter --net=/run/netns/"$ns" unshare --mount --propagation private sleep 3600 &
	[ "$ns" = "$na" ] && ha=$! || hb=$!
done
sleep 0.5
for h in a b; do
	r=$CORRAL_ROOT/$h
	mkdir -p "$r"
	CORRAL_ROOT=$r "$bin/corral" keygen >/dev/null 2>&1
done
CORRAL_ROOT=$ra "$bin/corral" trust b 10.215.0.3 "$rb/etc/corral/host.pub"
CORRAL_ROOT=$rb "$bin/corral" trust a 10.215.0.2 "$ra/etc/corral/host.pub"
# Not through on_a/on_b: $! must be corrald itself (nsenter and env exec it).
nsenter -t "$ha" -m -n env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" \
	"$bin/corrald" --foreground --listen 10.215.0.2 2>"$CORRAL_ROOT/corrald-a.log" >/dev/null &
daemons="$daemons $!"
nsenter -t "$hb" -m -n env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" \
	"$bin/corrald" --foreground --listen 10.215.0.3 2>"$CORRAL_ROOT/corrald-b.log" >/dev/null &
daemons="$daemons $!"
for r in "$ra" "$rb"; do
	for _ in $(seq 100); do [ -S "$r/run/corral/corrald.sock" ] && break; sleep 0.1; done
done

# fill NAME: the data file and memhog, written through A's view of its root
# (an NFS root is mounted while the partition runs), then started again.
fill() {
	local root=$ra/wpars/$1
	on_a "$bin/startwpar" "$1" >/dev/null
	on_a mkdir -p "$root/srv/hog"
	on_a dd if=/dev/urandom of="$root/srv/data" bs=1M count="$MIB" status=none
	on_a install -m 0755 "$CORRAL_BUILD_DIR/tests/helpers/memhog" "$root/root/memhog"
	echo "/root/memhog /srv/hog $MIB" | on_a tee -a "$root/etc/corral/services" >/dev/null
	on_a "$bin/stopwpar" "$1" >/dev/null
	on_a "$bin/startwpar" "$1" >/dev/null
	for _ in $(seq 300); do on_a test -f "$root/srv/hog/ready" && return 0; sleep 0.1; done
	fail "memhog in $1 did not get ready"
}
# move NAME: movewpar A -> B; prints "SENT_MIB DOWNTIME_MS".
move() {
	local out
	out=$(on_a "$bin/movewpar" "$1" b 2>&1) || fail "movewpar $1: $out"
	echo "$out" | sed -n 's/^downtime \([0-9]*\) ms, sent \([0-9.]*\) MiB.*/\2 \1/p'
}

on_a "$bin/mkwpar" -c -n bl >/dev/null
fill bl
read -r local_mib local_ms < <(move bl)
on_a "$bin/mkwpar" -c -n bn -M directory=/ vfs=nfs host=10.215.0.1 dev="$NFS_EXPORT_RW" \
	mountopts="$NFS_MOUNTOPTS,timeout=5" >/dev/null
fill bn
read -r nfs_mib nfs_ms < <(move bn)

printf '\nmovewpar of a partition with %s MiB of data in its file systems and %s MiB of memory\n' "$MIB" "$MIB"
printf '                         sent (MiB)   downtime (ms)\n'
printf '  local (fs streamed)   %10s   %13s\n' "$local_mib" "$local_ms"
printf '  NFS-rooted            %10s   %13s\n' "$nfs_mib" "$nfs_ms"
awk -v a="$nfs_mib" -v b="$local_mib" -v c="$nfs_ms" -v d="$local_ms" \
	'BEGIN { printf "  NFS / local           %10.2f   %13.2f\n", a / b, c / d }'
