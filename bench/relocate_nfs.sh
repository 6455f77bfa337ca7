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
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 0 ] || CORRAL_BUILD_DIR=$1
export CORRAL_SOURCE_DIR=$BENCH_SRC CORRAL_NFS_CLIENT=fuse
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/nfs_test.sh"
need_root
bench_mib 64
need_memhog
bench_setup /tmp
bench_hosts
na=cbnA$$ nb=cbnB$$ holders=()
# shellcheck disable=SC2016 # expanded by the trap, when it runs
bench_cleanups+=('kill "${holders[@]}"' 'ip netns del "$na"; ip netns del "$nb"')

nfs_test_lan server_ns
bench_last_cleanup nfs_test_cleanup
ip netns add "$na"
ip netns add "$nb"
$NFS_SERVER attach "$NFS_STATE" "$na" 10.215.0.2
$NFS_SERVER attach "$NFS_STATE" "$nb" 10.215.0.3
# shellcheck disable=SC2154 # server_ns: set by nfs_test_lan
nfs_test_start 10.215.0.1 "$server_ns"
# Each host holds its mount namespace with a process to enter.
for ns in "$na" "$nb"; do
	nsenter --net=/run/netns/"$ns" unshare --mount --propagation private sleep 3600 &
	holders+=($!)
done
# shellcheck disable=SC2034 # for on_a and on_b (bench/lib.sh)
host_a=(nsenter -t "${holders[0]}" -m -n) host_b=(nsenter -t "${holders[1]}" -m -n)
sleep 0.5
hosts_up 10.215.0.2 10.215.0.3

# fill NAME: the data file and memhog, written through A's view of its root
# (an NFS root is mounted while the partition runs), then started again.
fill() {
	local root=$ra/wpars/$1
	on_a "$BIN/startwpar" "$1" >/dev/null
	memhog_service "$root" /srv/hog on_a
	on_a dd if=/dev/urandom of="$root/srv/data" bs=1M count="$mib" status=none
	on_a "$BIN/stopwpar" "$1" >/dev/null
	on_a "$BIN/startwpar" "$1" >/dev/null
	wait_file "$root/srv/hog/ready" "memhog in $1" on_a
}
# move NAME: movewpar A -> B; prints "SENT_MIB DOWNTIME_MS".
move() {
	local out
	out=$(on_a "$BIN/movewpar" "$1" b 2>&1) || fail "movewpar $1: $out"
	echo "$out" | sed -n 's/^downtime \([0-9]*\) ms, sent \([0-9.]*\) MiB.*/\2 \1/p'
}

on_a "$BIN/mkwpar" -c -n bl >/dev/null
fill bl
read -r local_mib local_ms < <(move bl)
on_a "$BIN/mkwpar" -c -n bn -M directory=/ vfs=nfs host=10.215.0.1 dev="$NFS_EXPORT_RW" \
	mountopts="$NFS_MOUNTOPTS,timeout=5" >/dev/null
fill bn
read -r nfs_mib nfs_ms < <(move bn)

printf '\nmovewpar of a partition with %s MiB of data in its file systems and %s MiB of memory\n' "$mib" "$mib"
printf '                         sent (MiB)   downtime (ms)\n'
printf '  local (fs streamed)   %10s   %13s\n' "$local_mib" "$local_ms"
printf '  NFS-rooted            %10s   %13s\n' "$nfs_mib" "$nfs_ms"
printf '  NFS / local           %10s   %13s\n' "$(ratio "$nfs_mib" "$local_mib")" "$(ratio "$nfs_ms" "$local_ms")"
