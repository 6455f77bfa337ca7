#!/usr/bin/env bash
# labels: root net
# timeout: 180
# Partition networking on a plain link (mkwpar -N interface=LINK ...): a
# macvlan in bridge mode on a veth of the test host, reached by a client on
# the other end over IPv4 and IPv6, an IPv6 default route through gateway=,
# two partitions on the same link reaching each other, nothing of theirs on
# the host; and application partitions (wparexec -N) networked the same way.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/netlan.sh"
need_root
net_test_host "$@"

net_client CLI
net_cable "$CLI" mvp mvc
in_client "$CLI" ip addr add 10.213.2.1/24 dev mvc
in_client "$CLI" ip addr add fd00:213:2::1/64 dev mvc nodad
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)

mkwpar -n mv -N interface=mvp address=10.213.2.10 netmask=255.255.255.0 \
	address6=fd00:213:2::10 prefixlen=64 gateway=fd00:213:2::1 >/dev/null
startwpar mv >/dev/null
assert_contains "$(clogin mv cat /sys/class/net/eth0/uevent)" "INTERFACE=eth0" "eth0 inside"
assert_contains "$(clogin mv cat /proc/net/fib_trie)" "10.213.2.10" "IPv4 address inside"
assert_contains "$(clogin mv cat /proc/net/ipv6_route)" \
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000213000200000000000000000001" \
	"IPv6 default route via fd00:213:2::1"
in_client "$CLI" ping -c1 -W2 10.213.2.10 >/dev/null || fail "ping 10.213.2.10 through the macvlan"
in_client "$CLI" ping -c1 -W2 fd00:213:2::10 >/dev/null || fail "ping fd00:213:2::10 through the macvlan"
assert_eq "$links_before" "$(ip -o link show | awk -F': ' '{print $2}' | sort)" \
	"the host's links while a macvlan partition runs"
pass "a macvlan partition on mvp is reachable and leaves the host's links alone"

mkwpar -n mv2 -N interface=mvp address=10.213.2.11 netmask=255.255.255.0 >/dev/null
startwpar mv2 >/dev/null
clogin mv2 ping -c1 -W2 10.213.2.10 >/dev/null || fail "partition mv2 cannot reach mv on the same link"
pass "two partitions on one link reach each other"
stopwpar mv2 >/dev/null
stopwpar mv >/dev/null
# The kernel dismantles a dead network namespace in the background: give it a moment.
gone=0
for _ in $(seq 10); do
	in_client "$CLI" ping -c1 -W1 10.213.2.10 >/dev/null 2>&1 || { gone=1; break; }
	sleep 0.5
done
[ $gone -eq 1 ] || fail "10.213.2.10 still answers 5 s after stopwpar"
assert_eq "$links_before" "$(ip -o link show | awk -F': ' '{print $2}' | sort)" "the host's links after stopwpar"

# Application partitions: the command sees its interface and is reachable.
out=$(wparexec -n app -N interface=mvp address=10.213.2.20 netmask=255.255.255.0 -- cat /proc/net/fib_trie)
assert_contains "$out" "10.213.2.20" "wparexec -N: the command's address"
wparexec -n app2 -N interface=mvp address=10.213.2.21 netmask=255.255.255.0 -- sleep 30 >/dev/null 2>&1 &
app_pid=$!
for _ in $(seq 50); do [ "$(state_of app2)" = A ] && break; sleep 0.1; done
in_client "$CLI" ping -c1 -W2 10.213.2.21 >/dev/null || fail "ping the application partition"
stopwpar app2 >/dev/null 2>&1 || true
wait "$app_pid" 2>/dev/null || true
rc=0
err=$(wparexec -n app3 -N interface=nosuch$$ address=10.213.2.22 netmask=255.255.255.0 -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "wparexec on a missing interface"
assert_contains "$err" "interface nosuch$$ (for 10.213.2.22) does not exist" "its message"
pass "application partitions get their network too"
