#!/usr/bin/env bash
# Partition lifecycle (issue 3): median wall time of mkwpar, startwpar,
# stopwpar and rmwpar over BENCH_RUNS (10) fresh partitions, and a new
# partition's private disk use, beside AIX's published figures and beside
# baselines measured in the same run, interleaved with the runs so machine
# load hits both alike:
#   unshare --fork --pid --mount --uts --ipc --net true  (the kernel's own
#     cost of a partition's namespaces; for startwpar and stopwpar),
#   cp -a /etc and rm -rf of the copy  (a private /etc, the smallest thing a
#     partition could copy; for mkwpar, rmwpar and the disk use).
# Usage, as root: bench/lifecycle.sh   (CORRAL_BUILD_DIR defaults to ./build;
# BENCH_DIR picks the file system, default /var/tmp). Exits non-zero only
# when something fails; a missed goal is printed, not fatal.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
need_root
need_commands unshare
runs=${BENCH_RUNS:-10}
[[ $runs =~ ^[1-9][0-9]?$ ]] || fail "BENCH_RUNS must be 1 to 99"
bench_setup "${BENCH_DIR:-/var/tmp}"

mk=() start=() stop=() rm_=() disk=() ns=() cp_=() rmcp=() etc_kib=0
for i in $(seq "$runs"); do
	name=bench$i
	timed mk mkwpar -n "$name"
	disk+=("$(du -sk "$CORRAL_ROOT/wpars/$name" | cut -f1)")
	timed start startwpar "$name"
	[ "$(state_of "$name")" = A ] || fail "$name is not Active after startwpar"
	timed stop stopwpar "$name"
	timed rm_ rmwpar "$name"
	[ -e "$CORRAL_ROOT/wpars/$name" ] && fail "rmwpar left $CORRAL_ROOT/wpars/$name"

	timed ns unshare --fork --pid --mount --uts --ipc --net true
	timed cp_ cp -a /etc "$CORRAL_ROOT/etc-copy"
	etc_kib=$(du -sk "$CORRAL_ROOT/etc-copy" | cut -f1)
	timed rmcp rm -rf "$CORRAL_ROOT/etc-copy"
done

m_mk=$(median "${mk[@]}") m_start=$(median "${start[@]}") m_stop=$(median "${stop[@]}")
m_rm=$(median "${rm_[@]}") m_disk=$(median "${disk[@]}")
m_ns=$(median "${ns[@]}") m_cp=$(median "${cp_[@]}") m_rmcp=$(median "${rmcp[@]}")
aix_mk_us=180000000 aix_disk_kib=25600 # "3 to 4 minutes", "around 25MB"

echo "Partition lifecycle: median of $runs runs on $(df --output=fstype "$CORRAL_ROOT" | tail -1) ($CORRAL_ROOT)"
load_note
echo
printf '  %-12s %10s   %-34s %8s   %s\n' "" "Corral" "baseline, same run" "ratio" "AIX, published"
printf '  %-12s %7s ms   %-28s %5s ms %7sx   %s\n' \
	mkwpar "$(ms "$m_mk")" "cp -a /etc" "$(ms "$m_cp")" "$(ratio "$m_mk" "$m_cp")" \
	"3-4 minutes ($(ratio "$aix_mk_us" "$m_mk")x slower)"
printf '  %-12s %7s ms   %-28s %5s ms %7sx   %s\n' \
	startwpar "$(ms "$m_start")" "unshare pid,mnt,uts,ipc,net" "$(ms "$m_ns")" \
	"$(ratio "$m_start" "$m_ns")" "a few seconds"
printf '  %-12s %7s ms   %-28s %5s ms %7sx\n' \
	stopwpar "$(ms "$m_stop")" "unshare pid,mnt,uts,ipc,net" "$(ms "$m_ns")" "$(ratio "$m_stop" "$m_ns")"
printf '  %-12s %7s ms   %-28s %5s ms %7sx\n' \
	rmwpar "$(ms "$m_rm")" "rm -rf of the /etc copy" "$(ms "$m_rmcp")" "$(ratio "$m_rm" "$m_rmcp")"
printf '  %-12s %6s KiB   %-27s %6s KiB %7sx   %s\n' \
	"private disk" "$m_disk" "cp -a /etc" "$etc_kib" "$(ratio "$m_disk" "$etc_kib")" \
	"about 25 MB ($(ratio "$aix_disk_kib" "$m_disk")x more)"
echo
echo "range (ms): mkwpar $(span "${mk[@]}"), startwpar $(span "${start[@]}"), stopwpar $(span "${stop[@]}"), rmwpar $(span "${rm_[@]}")"
goal "mkwpar in a fraction of a second (median $(ms "$m_mk") ms <= 1000 ms)" "$m_mk" "<=" 1000000
goal "under 1 MiB of private disk (median $m_disk KiB <= 1024 KiB)" "$m_disk" "<=" 1024
goal "startwpar within 1 s (median $(ms "$m_start") ms)" "$m_start" "<=" 1000000
