#!/usr/bin/env bash
# labels: root criu net
# timeout: 400
# Networked partitions across chkptwpar and restartwpar: a client on the
# LAN keeps a TCP connection to an echo server inside the partition, over
# IPv4 and IPv6, sending numbered messages; through a snapshot, a -p pause
# and resumewpar, and chkptwpar -k + restartwpar the connection is never
# reset and no message is lost or repeated (tests/helpers/tcp_seq_client).
# While Paused (after chkptwpar -p, or restored with restartwpar -p) the
# partition's network is locked: not even a ping gets an answer; after each
# step the client pings it. On a bridge (veth), restored on this host and on
# another one with its own bridge of the same name, and on a plain link
# (macvlan).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/netlan.sh"
. "$(dirname "$0")/lib/seq_client.sh"
need_root
command -v criu >/dev/null || skip "no criu"
command -v nft >/dev/null || skip "no nft (nftables)"
net_test_host "$@"
img=$CORRAL_ROOT/images
mkdir -p "$img"
HELPERS=$CORRAL_BUILD_DIR/tests/helpers
PORT=7000
CLIENT_PIDS=()
stop_clients() {
	local rc=$? p
	set +e # a client already gone must not cut the teardown short
	for p in "${CLIENT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	(exit $rc)
	net_teardown
}
trap stop_clients EXIT

BR=br-corral
ip link add "$BR" type bridge
ip link set "$BR" up
net_client CLI
net_cable "$CLI" cv0 vp "$BR"
in_client "$CLI" ip addr add 10.213.1.1/24 dev vp
in_client "$CLI" ip addr add fd00:213:1::1/64 dev vp nodad
net_cable "$CLI" mvp mvc
in_client "$CLI" ip addr add 10.213.2.1/24 dev mvc
in_client "$CLI" ip addr add fd00:213:2::1/64 dev mvc nodad

# echo_partition NAME IF ADDR ADDR6: a checkpointable partition on IF whose
# service is the echo server; returns once it listens.
echo_partition() {
	local name=$1 root=$CORRAL_ROOT/wpars/$1
	mkwpar -n "$name" -c -N interface="$2" address="$3" netmask=255.255.255.0 \
		address6="$4" prefixlen=64 >/dev/null
	install -m 0755 "$HELPERS/tcp_echo_server" "$root/root/tcp_echo_server"
	echo "/root/tcp_echo_server $PORT /tmp/echo.ready" >> "$root/etc/corral/services"
	startwpar "$name" >/dev/null
	for _ in $(seq 100); do [ -f "$root/tmp/echo.ready" ] && break; sleep 0.1; done
	[ -f "$root/tmp/echo.ready" ] || fail "the echo server of $name does not listen"
}

# start_client ADDR STATUS: a tcp_seq_client in the client namespace.
start_client() {
	(exec nsenter -t "$CLI" -n -- "$HELPERS/tcp_seq_client" "$1" "$PORT" "$2" 2>>"$CORRAL_ROOT/client.err") &
	CLIENT_PIDS+=("$!")
}

# finish_clients STATUS...: stop every client and require PASS from each.
finish_clients() {
	local p s
	for p in "${CLIENT_PIDS[@]}"; do kill -USR1 "$p" 2>/dev/null || true; done
	for p in "${CLIENT_PIDS[@]}"; do wait "$p" || fail "a client failed: $(cat "$CORRAL_ROOT/client.err")"; done
	CLIENT_PIDS=()
	for s in "$@"; do
		assert_contains "$(cat "$s")" "PASS" "client $(basename "$s")"
		echo "   $(basename "$s"): $(cat "$s")"
	done
}

pings() { # NAME ADDR...: the client reaches every address
	local name=$1 a
	shift
	for a in "$@"; do
		in_client "$CLI" ping -c1 -W2 "$a" >/dev/null || fail "$name: ping $a from the client"
	done
}

# still_talking WHAT NAME ADDR4 ADDR6 STATUS4 STATUS6: both clients get
# echoes again and the client pings both addresses.
still_talking() {
	flowing "$5" "$1 (IPv4)"
	flowing "$6" "$1 (IPv6)"
	pings "$2" "$3" "$4"
}

# kill_restart NAME [HOST [-p]]: chkptwpar -k, then restartwpar (-p: Paused)
# on this host, or in the network namespace of pid HOST (another host).
kill_restart() {
	chkptwpar -k -o "$img/$1-k.wpar" "$1" >/dev/null
	assert_eq "D" "$(state_of "$1")" "$1: state after chkptwpar -k"
	sleep 1
	if grep -q '^FAIL' "$CORRAL_ROOT"/*.status; then
		fail "a connection broke when $1 ended: $(cat "$CORRAL_ROOT"/*.status)"
	fi
	if [ -n "${2:-}" ]; then
		in_client "$2" "$BIN/restartwpar" ${3:+"$3"} -i "$img/$1-k.wpar" "$1" >/dev/null
	else
		restartwpar ${3:+"$3"} -i "$img/$1-k.wpar" "$1" >/dev/null
	fi
	rm -f "$img/$1-k.wpar"
}

# paused_silent NAME ADDR: a Paused partition neither echoes nor answers ping.
paused_silent() {
	assert_eq "P" "$(state_of "$1")" "$1: state"
	local c1 c2
	sleep 0.5
	c1=$(count_of "$s4"); sleep 1; c2=$(count_of "$s4")
	assert_eq "$c1" "$c2" "echoes while $1 is Paused"
	# A frozen partition's kernel would still answer: the lock must drop it.
	if in_client "$CLI" ping -c1 -W1 "$2" >/dev/null 2>&1; then
		fail "the Paused $1 answers ping: its network is not locked"
	fi
}

# ---- A partition on a bridge: veth, the host end a port of the bridge.
A4=10.213.1.10 A6=fd00:213:1::10
echo_partition web "$BR" $A4 $A6
s4=$CORRAL_ROOT/web4.status s6=$CORRAL_ROOT/web6.status
start_client $A4 "$s4"
start_client $A6 "$s6"
flowing "$s4" "IPv4 before"
flowing "$s6" "IPv6 before"
pass "echo over IPv4 and IPv6 to the partition on $BR"

chkptwpar -o "$img/snap.wpar" web >/dev/null
assert_eq "A" "$(state_of web)" "state after a snapshot"
still_talking "after a snapshot" web $A4 $A6 "$s4" "$s6"
pass "snapshot: the connections go on"

chkptwpar -p -o "$img/paused.wpar" web >/dev/null
paused_silent web $A4
resumewpar web >/dev/null
still_talking "after resumewpar" web $A4 $A6 "$s4" "$s6"
pass "Paused: the network is locked; resumewpar: the connections go on"

kill_restart web
assert_eq "A" "$(state_of web)" "state after restartwpar"
assert_contains "$(partition_links web)" "master $BR" "the restored host end is a port of $BR"
still_talking "after chkptwpar -k + restartwpar" web $A4 $A6 "$s4" "$s6"
pass "chkptwpar -k + restartwpar: no reset, nothing lost or repeated"

# Restored Paused (as a relocation's destination does), then resumed.
kill_restart web "" -p
paused_silent web $A4
resumewpar web >/dev/null
still_talking "after restartwpar -p + resumewpar" web $A4 $A6 "$s4" "$s6"
pass "restartwpar -p: silent while Paused; resumewpar: the connections go on"

# Another host: a namespace of its own with its own bridge of the same
# name, cabled to this host's LAN; the partition ends here and is restored
# there, Paused, then resumed (a relocation by hand). The client stays on
# this host's side of the cable.
net_client HB
in_client "$HB" ip link add "$BR" type bridge
in_client "$HB" ip link set "$BR" up
ip link add lanA type veth peer name lanB netns "$HB"
ip link set lanA master "$BR"
ip link set lanA up
in_client "$HB" ip link set lanB master "$BR"
in_client "$HB" ip link set lanB up
links_b() { in_client "$HB" ip -o link show | grep -F "alias corral:$1" || true; }
kill_restart web "$HB" -p
paused_silent web $A4
resumewpar web >/dev/null
[ -z "$(partition_links web)" ] || fail "links of web left on the first host: $(partition_links web)"
assert_contains "$(links_b web)" "master $BR" "the host end on the other host is a port of its $BR"
still_talking "on another host" web $A4 $A6 "$s4" "$s6"
finish_clients "$s4" "$s6"
rm -f "$s4" "$s6"
pass "restored on another host with its own $BR: the connections go on"
stopwpar web >/dev/null
for _ in $(seq 30); do [ -z "$(links_b web)" ] && break; sleep 0.1; done
[ -z "$(links_b web)" ] || fail "links left after stopwpar: $(links_b web)"
pass "stopwpar leaves no link behind"

# ---- A partition on a plain link: a macvlan.
M4=10.213.2.10 M6=fd00:213:2::10
echo_partition mv mvp $M4 $M6
m4=$CORRAL_ROOT/mv4.status m6=$CORRAL_ROOT/mv6.status
start_client $M4 "$m4"
start_client $M6 "$m6"
flowing "$m4" "macvlan IPv4 before"
flowing "$m6" "macvlan IPv6 before"
chkptwpar -o "$img/mvsnap.wpar" mv >/dev/null
still_talking "macvlan after a snapshot" mv $M4 $M6 "$m4" "$m6"
# Each restart makes the macvlan again with its stable hardware address, at
# once after the copy ended: the ended copy's links must be gone by then, not
# whenever the kernel gets round to its namespace (EADDRINUSE otherwise).
for round in 1 2 3 4; do
	kill_restart mv
	assert_eq "A" "$(state_of mv)" "macvlan: state after restartwpar (round $round)"
done
still_talking "macvlan after chkptwpar -k + restartwpar" mv $M4 $M6 "$m4" "$m6"
finish_clients "$m4" "$m6"
stopwpar mv >/dev/null
pass "macvlan: snapshot, chkptwpar -k + restartwpar keep the connections"
