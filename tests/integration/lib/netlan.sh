# A test LAN for the network tests, sourced after lib/common.sh.
#
# net_test_host re-runs the test in a network namespace of its own: that is
# the "host" its partitions see, so the machine's real interfaces, addresses
# and routes are never touched, and whatever the test builds there goes when
# the test ends. Clients are more namespaces, each held by a sleeping
# process, joined to the test host by veth pairs. Addresses: 10.213.0.0/16
# and fd00:213::/32, inside these namespaces only.

# Call instead of corral_setup, with the script's arguments.
net_test_host() {
	if [ -z "${CORRAL_NET_TEST_HOST:-}" ]; then
		command -v unshare >/dev/null && command -v nsenter >/dev/null ||
			skip "needs unshare and nsenter (util-linux)"
		command -v ip >/dev/null || skip "needs ip (iproute2)"
		CORRAL_NET_TEST_HOST=1 exec unshare --net -- bash "$0" "$@"
	fi
	command -v ping >/dev/null || skip "needs ping (iputils-ping)"
	[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3 for a TCP server and client"
	ip link set lo up
	NET_CLIENTS=()
	corral_setup
	trap net_teardown EXIT
}

net_teardown() {
	local rc=$?
	set +e
	local p
	for p in "${NET_CLIENTS[@]}"; do kill "$p" 2>/dev/null; done
	(exit $rc)
	corral_teardown
}

# net_client VAR: a new client namespace; VAR gets the pid that holds it.
net_client() {
	local pid self
	unshare --net -- sleep 600 &
	pid=$!
	NET_CLIENTS+=("$pid")
	self=$(readlink /proc/self/ns/net)
	for _ in $(seq 100); do
		[ "$(readlink /proc/"$pid"/ns/net 2>/dev/null)" != "$self" ] && break
		sleep 0.05
	done
	nsenter -t "$pid" -n ip link set lo up
	printf -v "$1" '%s' "$pid"
}

# in_client PID CMD...: run CMD in the client's network namespace.
in_client() { local pid=$1; shift; nsenter -t "$pid" -n -- "$@"; }

# net_cable PID HOST_IF CLIENT_IF [BRIDGE]: a veth pair, HOST_IF on the test
# host (a port of BRIDGE when given), CLIENT_IF in the client, both up.
net_cable() {
	ip link add "$2" type veth peer name "$3" netns "$1"
	[ -z "${4:-}" ] || ip link set "$2" master "$4"
	ip link set "$2" up
	in_client "$1" ip link set "$3" up
}

# The host's links that belong to partition $1 (Corral marks them).
partition_links() { ip -o link show | grep -F "alias corral:$1" || true; }

# tcp_get PID ADDR PORT: from client PID, fetch / over HTTP (3 s); prints
# the status line.
tcp_get() {
	in_client "$1" /usr/bin/python3 - "$2" "$3" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.settimeout(3)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
print(s.recv(64).decode(errors="replace").splitlines()[0])
PY
}
