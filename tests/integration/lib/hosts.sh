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
