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
