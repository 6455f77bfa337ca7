# Shared by the partition integration tests (sourced, not run): skip unless
# root, a fresh CORRAL_ROOT removed on exit with every partition in it
# stopped and removed, and helpers to look inside a running partition.
# Usage: . "$CORRAL_SOURCE_DIR/tests/integration/lib_partition.sh" TOPIC
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: ${1:-partition} tests need root (namespaces, cgroups)"
	exit 77
fi
BIN=$CORRAL_BUILD_DIR/cli
CORRAL_ROOT=$(mktemp -d "/tmp/corral-${1:-test}.XXXXXX")
export CORRAL_ROOT
partition_cleanup() {
	local spec n
	for spec in "$CORRAL_ROOT"/etc/wpars/*.spec; do
		[ -e "$spec" ] || continue
		n=$(basename "$spec" .spec)
		"$BIN"/stopwpar -F "$n" >/dev/null 2>&1
		"$BIN"/rmwpar -F "$n" >/dev/null 2>&1
	done
	rm -rf "$CORRAL_ROOT"
}
trap partition_cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
spec() { echo "$CORRAL_ROOT/etc/wpars/$1.spec"; }
init_pid() { sed -n 's/^init_pid=//p' "$CORRAL_ROOT/var/lib/corral/$1/state"; }
# Run shell command $2 inside partition $1: its namespaces and its pids cgroup.
inside() {
	local pid cg dir
	pid=$(init_pid "$1")
	cg=$(awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}' /proc/"$pid"/cgroup)
	if [ -n "$cg" ]; then
		dir=/sys/fs/cgroup/pids$cg
	else
		dir=/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/"$pid"/cgroup)
	fi
	sh -c "echo \$\$ > $dir/cgroup.procs && exec nsenter -t $pid -a sh -c '$2'"
}
