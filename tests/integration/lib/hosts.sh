# Two "hosts" on this machine: network namespaces joined by a veth pair.
# two_hosts NS_A NS_B VETH_A VETH_B SUBNET: NS_A gets SUBNET.1/24 on VETH_A,
# NS_B gets SUBNET.2/24 on VETH_B; loopback and both ends up.
two_hosts() {
	ip netns add "$1"
	ip netns add "$2"
	ip link add "$3" type veth peer name "$4"
	ip link set "$3" netns "$1"
	ip link set "$4" netns "$2"
	ip -n "$1" addr add "$5.1/24" dev "$3"
	ip -n "$2" addr add "$5.2/24" dev "$4"
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
	ip -n "$1" link set "$3" up
	ip -n "$2" link set "$4" up
}

# hosts_names TAG: the names of a two-host test's parts, unique to this
# shell: x (the third number of the test's subnet), network namespaces na nb
# with veth ends va vb, a work directory (made; the test removes it), the
# hosts' roots ra rb in it and their cgroup parents cga cgb; and on_a /
# on_b CMD..., CMD on host a / b (its network namespace, root and cgroup
# parent). Defined here, not when this file is sourced: the benchmarks
# source it too and have on_a / on_b of their own.
hosts_names() {
	x=$(($$ % 200 + 20))
	na=cr${1}A$$ nb=cr${1}B$$ va=cr${1}vA$$ vb=cr${1}vB$$
	work=$(mktemp -d "/tmp/corral-test-$1-XXXXXX")
	ra=$work/a rb=$work/b
	cga=corral-test-$$-a cgb=corral-test-$$-b
	on_a() { nsenter --net=/run/netns/"$na" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" "$@"; }
	on_b() { nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" "$@"; }
}

# two_hosts_del NS...: remove the hosts' namespaces (their veth ends go too).
two_hosts_del() {
	local ns
	for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
	return 0
}

# two_hosts_trust ROOT_A ROOT_B SUBNET: a host key in each root, and each
# trusting the other (a at SUBNET.1, b at SUBNET.2, as two_hosts puts them).
two_hosts_trust() {
	local r
	for r in "$1" "$2"; do
		mkdir -p "$r"
		CORRAL_ROOT=$r "$CORRAL_BUILD_DIR/cli/corral" keygen >/dev/null 2>&1 || return 1
	done
	CORRAL_ROOT=$1 "$CORRAL_BUILD_DIR/cli/corral" trust b "$3.2" "$2/etc/corral/host.pub" >/dev/null &&
		CORRAL_ROOT=$2 "$CORRAL_BUILD_DIR/cli/corral" trust a "$3.1" "$1/etc/corral/host.pub" >/dev/null
}

# hosts_partitions_remove ROOT CGROUP_PARENT: stop and remove every
# partition defined under ROOT (a test's teardown), then thaw and kill what
# a move cut short left in CGROUP_PARENT.
hosts_partitions_remove() {
	local spec n f p
	for spec in "$1"/etc/wpars/*.spec; do
		[ -e "$spec" ] || continue
		n=$(basename "$spec" .spec)
		CORRAL_ROOT=$1 CORRAL_CGROUP_PARENT=$2 "$CORRAL_BUILD_DIR/cli/stopwpar" -F "$n" >/dev/null 2>&1
		CORRAL_ROOT=$1 CORRAL_CGROUP_PARENT=$2 "$CORRAL_BUILD_DIR/cli/rmwpar" -F "$n" >/dev/null 2>&1
	done
	for f in /sys/fs/cgroup/freezer/"$2"/*/freezer.state; do
		[ -e "$f" ] && echo THAWED >"$f"
	done
	for p in $(cat /sys/fs/cgroup/pids/"$2"/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	return 0
}

# hosts_cgroups_remove CGROUP_PARENT...: remove the cgroup parents a test
# made, in every hierarchy, nested groups first.
hosts_cgroups_remove() {
	local cg
	for cg in "$@"; do
		find /sys/fs/cgroup/*/"$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}

# hosts_criu_kill DIR: kill every criu process whose command line names
# DIR (what a move cut short by its timeout left running).
hosts_criu_kill() {
	local p
	for p in $(pgrep -f "criu .*$1/"); do kill -9 "$p" 2>/dev/null; done
	return 0
}

# nice_kept ROOT NAME: fails unless partition NAME of the host at ROOT (its
# monitor and every live process in its pid namespace, at least three) runs at
# this shell's nice value: a relocation's window boost (util/prio.h) must
# not outlive the window.
nice_kept() {
	local st=$1/var/lib/corral/$2/state mine init monitor pidns p ni stat seen=0
	mine=$(ps -o ni= -p $$ | tr -d ' ')
	init=$(sed -n 's/^init_pid=//p' "$st") monitor=$(sed -n 's/^monitor_pid=//p' "$st")
	pidns=$(readlink "/proc/$init/ns/pid") || fail "$2: no init process $init"
	for p in "$monitor" /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$monitor" ] || [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$pidns" ] || continue
		read -r ni stat < <(ps -o ni=,stat= -p "$p") || continue
		[ "${stat#Z}" = "$stat" ] || continue # a zombie (restored as one) never runs again
		[ "$ni" = "$mine" ] ||
			fail "$2's process $p ($(cat "/proc/$p/comm" 2>/dev/null)) runs at nice $ni, not $mine: a window's boost stayed"
		seen=$((seen + 1))
	done
	[ "$seen" -ge 3 ] || fail "$2: only $seen processes (monitor, init, service) found to check"
}
