#!/usr/bin/env bash
# labels: root net
# timeout: 180
# Partition networking on a bridge (mkwpar -N interface=BRIDGE ...): a client
# on the same LAN pings the partition and talks TCP to a server inside it,
# over IPv4 and IPv6; the partition sees eth0 with its addresses and its
# default route; its addresses are announced (gratuitous ARP); conflicts
# are refused before anything changes; stopwpar leaves no link behind.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/netlan.sh"
need_root
net_test_host "$@"

BR=br-corral # in the test's own namespace: no other bridge can have the name
ip link add "$BR" type bridge
ip link set "$BR" up
ip addr add 10.213.1.254/24 dev "$BR" # the host's own address on the LAN
net_client CLI
net_cable "$CLI" cv0 vp "$BR"
in_client "$CLI" ip addr add 10.213.1.1/24 dev vp
in_client "$CLI" ip addr add fd00:213:1::1/64 dev vp nodad
# The client learns neighbours from gratuitous ARP: proof of the announcement.
in_client "$CLI" sh -c 'echo 1 > /proc/sys/net/ipv4/conf/vp/arp_accept'
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)

mkwpar -n web -N interface="$BR" address=10.213.1.10 netmask=255.255.255.0 gateway=10.213.1.1 \
	address6=fd00:213:1::10 prefixlen=64 >/dev/null
assert_eq "web:$BR:10.213.1.10:255.255.255.0:|web:$BR:fd00\\:213\\:1\\:\\:10:64:" \
	"$(lswpar -N -c -q web | paste -sd'|')" "lswpar -N"
grep -q 'gateway = "10.213.1.1"' "$CORRAL_ROOT/etc/wpars/web.spec" || fail "gateway not recorded"
startwpar web >/dev/null
pass "a partition on bridge $BR starts"

# Inside: eth0 holds the addresses, the default route goes through the gateway.
assert_contains "$(clogin web cat /proc/net/fib_trie)" "10.213.1.10" "eth0's address inside"
assert_contains "$(clogin web cat /proc/net/if_inet6)" "fd000213000100000000000000000010" "IPv6 address inside"
assert_contains "$(clogin web cat /proc/net/route)" "eth0	00000000	0101D50A" "default route via 10.213.1.1"
mac=$(clogin web cat /sys/class/net/eth0/address)
assert_eq "1" "$(clogin web cat /proc/sys/net/ipv4/conf/eth0/arp_notify)" "arp_notify on eth0"
# One host end, a port of the bridge, marked for the partition.
[ "$(partition_links web | wc -l)" = 1 ] || fail "host ends: $(partition_links web)"
assert_contains "$(partition_links web)" "master $BR" "the host end is a port of $BR"

neigh=$(in_client "$CLI" ip neigh show 10.213.1.10 dev vp)
assert_contains "$neigh" "$mac" "the client learnt the partition's MAC before talking to it"
in_client "$CLI" ping -c1 -W2 10.213.1.10 >/dev/null || fail "ping 10.213.1.10 from the client"
in_client "$CLI" ping -c1 -W2 fd00:213:1::10 >/dev/null || fail "ping fd00:213:1::10 from the client"
pass "the client reaches the partition over IPv4 and IPv6"

# A TCP server inside the partition, on its own address.
clogin web sh -c 'cd /tmp && exec setsid /usr/bin/python3 -m http.server --bind :: 8080 >/dev/null 2>&1 &' \
	</dev/null >/dev/null 2>&1
for _ in $(seq 50); do
	out=$(tcp_get "$CLI" 10.213.1.10 8080 2>/dev/null) && break
	sleep 0.2
done
assert_contains "${out:-}" "200" "HTTP over TCP from the client to 10.213.1.10:8080"
assert_contains "$(tcp_get "$CLI" fd00:213:1::10 8080)" "200" "HTTP over TCP/IPv6"
pass "TCP from the client to a server inside the partition"

# Conflicts are refused before anything changes.
specs_before=$(ls "$CORRAL_ROOT/etc/wpars")
refused() { # WHAT EXPECTED-TEXT ARGS...
	local what=$1 text=$2 err
	shift 2
	if err=$(mkwpar -n other "$@" 2>&1 >/dev/null); then fail "$what: accepted"; fi
	assert_contains "$err" "$text" "$what"
	[ "$(echo "$err" | wc -l)" = 1 ] || fail "$what: not one line: $err"
}
refused "the host's own address" "address 10.213.1.254 is already an address of this host" \
	-N interface="$BR" address=10.213.1.254 netmask=255.255.255.0
refused "another partition's address" "address 10.213.1.10 is already used by partition web" \
	-N interface="$BR" address=10.213.1.10 netmask=255.255.255.0
refused "another partition's IPv6 address" "already used by partition web" \
	-N interface="$BR" address6=fd00:213:1::10 prefixlen=64
refused "a missing interface" "interface nosuch$$ (for 10.213.1.11) does not exist" \
	-N interface=nosuch$$ address=10.213.1.11 netmask=255.255.255.0
refused "a gateway off the subnet" "gateway 10.213.2.1 is not on the subnet" \
	-N interface="$BR" address=10.213.1.11 netmask=255.255.255.0 gateway=10.213.2.1
refused "a bad netmask" "invalid netmask" \
	-N interface="$BR" address=10.213.1.11 netmask=255.0.255.0
assert_eq "$specs_before" "$(ls "$CORRAL_ROOT/etc/wpars")" "spec files after the refusals"
[ ! -e "$CORRAL_ROOT/wpars/other" ] || fail "a refused mkwpar left its base directory"
pass "conflicts refused, nothing changed"

# A second partition on the same LAN, with an address of its own.
mkwpar -n late -N interface="$BR" address=10.213.1.11 netmask=255.255.255.0 >/dev/null
startwpar late >/dev/null
in_client "$CLI" ping -c1 -W2 10.213.1.11 >/dev/null || fail "ping the second partition"
stopwpar -F late >/dev/null

stopwpar web >/dev/null
for _ in $(seq 30); do [ -z "$(partition_links web)" ] && break; sleep 0.1; done
[ -z "$(partition_links web)" ] || fail "links left after stopwpar: $(partition_links web)"
assert_eq "$links_before" "$(ip -o link show | awk -F': ' '{print $2}' | sort)" "the host's links after stopwpar"
gone=0
for _ in $(seq 10); do
	in_client "$CLI" ping -c1 -W1 10.213.1.10 >/dev/null 2>&1 || { gone=1; break; }
	sleep 0.5
done
[ $gone -eq 1 ] || fail "10.213.1.10 still answers 5 s after stopwpar"
pass "stopwpar leaves no link behind"
