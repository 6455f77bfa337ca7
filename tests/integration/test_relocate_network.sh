#!/usr/bin/env bash
# labels: root criu net slow
# timeout: 600
# A networked partition relocated between two hosts on one LAN
# (lib/lan_hosts.sh: hosts A and B with a bridge br-corral each, a switch,
# a client). A client keeps TCP connections (IPv4 and IPv6) to an echo
# server in the partition, sending numbered messages, while the partition
# moves A -> B -> A with movewpar: its address goes with it (its link is made
# again on the destination's bridge and announced), no connection is reset,
# no message lost or repeated; the client pings it after each move, and the
# source keeps no link of it. Prints the client's largest gap next to the
# downtime movewpar reports.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/lan_hosts.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/seq_client.sh"
need_root
command -v criu >/dev/null || skip "no criu"
command -v nft >/dev/null || skip "no nft (nftables)"
command -v ip >/dev/null || skip "no ip (iproute2)"
bin=$CORRAL_BUILD_DIR/cli
HELPERS=$CORRAL_BUILD_DIR/tests/helpers
x=$(( $$ % 200 + 20 ))
P=crl$$
NET=10.217.$x NET6=fd00:217:$x
A4=$NET.50 A6=${NET6}::50
PORT=7000
work=$(mktemp -d /tmp/corral-test-relocnet-XXXXXX)
ra=$work/a rb=$work/b
cga=corral-test-$$-a cgb=corral-test-$$-b
daemons=() clients=()
teardown() {
	local rc=$? h r n spec
	set +e
	for p in "${clients[@]}" "${daemons[@]}"; do kill "$p" 2>/dev/null; done
	for h in a b; do
		r=$work/$h
		for spec in "$r"/etc/wpars/*.spec; do
			[ -e "$spec" ] || continue
			n=$(basename "$spec" .spec)
			"on_$h" "$bin/stopwpar" -F "$n" >/dev/null 2>&1
			"on_$h" "$bin/rmwpar" -F "$n" >/dev/null 2>&1
		done
	done
	lan_hosts_teardown "$P"
	# The cgroup parents this run made, nested groups first.
	find /sys/fs/cgroup/*/"$cga" /sys/fs/cgroup/*/"$cgb" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$work"
	exit $rc
}
trap teardown EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log "$work"/*.status "$ra"/var/lib/corral/*/log "$rb"/var/lib/corral/*/log; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
	done
	KEPT_LOG_ROOTS="$ra $rb" show_kept_criu_logs
	exit 1
}
on_a() { nsenter --net=/run/netns/"${P}a" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" "$@"; }
on_b() { nsenter --net=/run/netns/"${P}b" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" "$@"; }
in_c() { nsenter --net=/run/netns/"${P}c" "$@"; }

lan_hosts "$P" "$NET" "$NET6"
mkdir -p "$ra" "$rb"
CORRAL_ROOT=$ra "$bin/corral" keygen >/dev/null 2>&1
CORRAL_ROOT=$rb "$bin/corral" keygen >/dev/null 2>&1
CORRAL_ROOT=$ra "$bin/corral" trust b "$NET.2" "$rb/etc/corral/host.pub"
CORRAL_ROOT=$rb "$bin/corral" trust a "$NET.1" "$ra/etc/corral/host.pub"
nsenter --net=/run/netns/"${P}a" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" \
	"$bin/corrald" --foreground --listen "$NET.1" 2>"$work/a.log" >/dev/null &
daemons+=("$!")
nsenter --net=/run/netns/"${P}b" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" \
	"$bin/corrald" --foreground --listen "$NET.2" 2>"$work/b.log" >/dev/null &
daemons+=("$!")
corrald_ready "$ra" "${daemons[0]}"
corrald_ready "$rb" "${daemons[1]}"

# The partition on A: an echo server at $A4 and $A6 on br-corral.
on_a "$bin/mkwpar" -n web -c -N interface=br-corral address="$A4" netmask=255.255.255.0 \
	address6="$A6" prefixlen=64 >/dev/null
install -m 0755 "$HELPERS/tcp_echo_server" "$ra/wpars/web/root/tcp_echo_server"
echo "/root/tcp_echo_server $PORT /tmp/echo.ready" >> "$ra/wpars/web/etc/corral/services"
on_a "$bin/startwpar" web >/dev/null
for _ in $(seq 100); do [ -f "$ra/wpars/web/tmp/echo.ready" ] && break; sleep 0.1; done
[ -f "$ra/wpars/web/tmp/echo.ready" ] || fail "the echo server does not listen"

s4=$work/web4.status s6=$work/web6.status
(exec nsenter --net=/run/netns/"${P}c" "$HELPERS/tcp_seq_client" "$A4" "$PORT" "$s4" 2>>"$work/client.log") &
clients+=("$!")
(exec nsenter --net=/run/netns/"${P}c" "$HELPERS/tcp_seq_client" "$A6" "$PORT" "$s6" 2>>"$work/client.log") &
clients+=("$!")

links_on() { ip -n "$1" -o link show | grep -F "alias corral:web" || true; }
# moved WHAT HOST-NS OTHER-NS: the connections go on, pings answer, the
# partition's link is a port of HOST-NS's bridge and gone from OTHER-NS.
moved() {
	flowing "$s4" "$1 (IPv4)"
	flowing "$s6" "$1 (IPv6)"
	in_c ping -c1 -W2 "$A4" >/dev/null || fail "$1: no answer to ping $A4"
	in_c ping -6 -c1 -W2 "$A6" >/dev/null || fail "$1: no answer to ping $A6"
	assert_contains "$(links_on "$2")" "master br-corral" "$1: the link on the destination"
	for _ in $(seq 30); do [ -z "$(links_on "$3")" ] && break; sleep 0.1; done
	[ -z "$(links_on "$3")" ] || fail "$1: a link is left on the source: $(links_on "$3")"
}
flowing "$s4" "IPv4 before"
flowing "$s6" "IPv6 before"
pass "echo over IPv4 and IPv6 to the partition on host A"

out=$(on_a "$bin/movewpar" -v web b 2>&1) || fail "move A -> B: $out"
[ "$(sed -n 's/^state=//p' "$rb/var/lib/corral/web/state")" = A ] || fail "web is not Active on B"
[ ! -e "$ra/etc/wpars/web.spec" ] || fail "web is still defined on A"
moved "A -> B" "${P}b" "${P}a"
down=$(echo "$out" | sed -n 's/^downtime \([0-9]*\) ms.*/\1/p')
echo "A -> B: movewpar downtime ${down} ms; the client's largest gap $(gap_of "$s4") ms (IPv4), $(gap_of "$s6") ms (IPv6)"
pass "A -> B: the address moved, the connections went on"

out=$(on_b "$bin/movewpar" -v web a 2>&1) || fail "move B -> A: $out"
[ "$(sed -n 's/^state=//p' "$ra/var/lib/corral/web/state")" = A ] || fail "web is not Active on A"
[ ! -e "$rb/etc/wpars/web.spec" ] || fail "web is still defined on B"
moved "B -> A" "${P}a" "${P}b"
down=$(echo "$out" | sed -n 's/^downtime \([0-9]*\) ms.*/\1/p')
echo "B -> A: movewpar downtime ${down} ms; the client's largest gap $(gap_of "$s4") ms (IPv4), $(gap_of "$s6") ms (IPv6)"

for p in "${clients[@]}"; do kill -USR1 "$p" 2>/dev/null || true; done
for p in "${clients[@]}"; do wait "$p" || fail "a client failed: $(cat "$s4" "$s6" "$work/client.log" 2>/dev/null)"; done
clients=()
assert_contains "$(cat "$s4")" "PASS" "IPv4 client"
assert_contains "$(cat "$s6")" "PASS" "IPv6 client"
echo "   clients: $(cat "$s4"); $(cat "$s6")"
pass "B -> A: no reset, no message lost or repeated over two relocations"
