# Two "hosts" and a client on one LAN, for relocating networked partitions.
# lan_hosts P SUBNET SUBNET6: network namespaces ${P}a and ${P}b (hosts A and
# B), each with a bridge br-corral holding SUBNET.1 / SUBNET.2 (and
# SUBNET6::1 / ::2), whose uplink is a port of the LAN switch (bridge lan0 in
# namespace ${P}l); the client namespace ${P}c is on the switch too, at
# SUBNET.100 and SUBNET6::100. Partitions on A or B use interface=br-corral.
lan_hosts() {
	local p=$1 net=$2 net6=$3 h i=0
	ip netns add "${p}l"
	ip -n "${p}l" link add lan0 type bridge
	ip -n "${p}l" link set lan0 up
	for h in a b c; do
		i=$((i + 1))
		ip netns add "$p$h"
		ip -n "$p$h" link set lo up
		ip link add "${p}u$h" type veth peer name "${p}s$h"
		ip link set "${p}u$h" netns "$p$h"
		ip link set "${p}s$h" netns "${p}l"
		ip -n "${p}l" link set "${p}s$h" master lan0
		ip -n "${p}l" link set "${p}s$h" up
		ip -n "$p$h" link set "${p}u$h" up
		if [ "$h" = c ]; then
			ip -n "$p$h" addr add "$net.100/24" dev "${p}u$h"
			ip -n "$p$h" addr add "$net6::100/64" dev "${p}u$h" nodad
		else
			ip -n "$p$h" link add br-corral type bridge
			ip -n "$p$h" link set "${p}u$h" master br-corral
			ip -n "$p$h" link set br-corral up
			ip -n "$p$h" addr add "$net.$i/24" dev br-corral
			ip -n "$p$h" addr add "$net6::$i/64" dev br-corral nodad
		fi
	done
}

lan_hosts_teardown() {
	local h
	for h in a b c l; do ip netns del "$1$h" 2>/dev/null; done
	return 0
}
