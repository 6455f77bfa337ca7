# etcd for tests: a cluster of N members (default 3) on 127.0.0.1 with
# client ports from ETCD_BASE_PORT (default: 23000 + a number from this
# shell's pid, so concurrent runs do not collide), data in a temporary
# directory. etcd_start sets ETCD_ENDPOINTS (comma list of client URLs) and
# ETCD_MEMBER_PIDS; etcd_stop ends every member and removes the data.
# Source after common.sh; call etcd_stop from the test's teardown.

etcd_member_url() { echo "http://127.0.0.1:$((ETCD_BASE_PORT + 2 * $1))"; }
etcd_peer_url() { echo "http://127.0.0.1:$((ETCD_BASE_PORT + 2 * $1 + 1))"; }

# etcd_start_member I: start member I (0-based) of the cluster described by
# ETCD_CLUSTER, in ETCD_DIR/mI; an existing data directory is reused (a
# member that comes back).
etcd_start_member() {
	local i=$1
	etcd --name "m$i" --data-dir "$ETCD_DIR/m$i" \
		--listen-client-urls "$(etcd_member_url "$i")" \
		--advertise-client-urls "$(etcd_member_url "$i")" \
		--listen-peer-urls "$(etcd_peer_url "$i")" \
		--initial-advertise-peer-urls "$(etcd_peer_url "$i")" \
		--initial-cluster "$ETCD_CLUSTER" --initial-cluster-state new \
		--initial-cluster-token "corral-test-$$" \
		--heartbeat-interval 100 --election-timeout 1000 \
		>"$ETCD_DIR/m$i.log" 2>&1 &
	ETCD_MEMBER_PIDS[$i]=$!
}

etcd_stop_member() {
	local pid=${ETCD_MEMBER_PIDS[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	ETCD_MEMBER_PIDS[$1]=
}

# etcd_healthy URL: the member at URL answers a linearizable read.
etcd_healthy() {
	curl -s -m 2 -X POST -d '{"key":"AA=="}' "$1/v3/kv/range" 2>/dev/null | grep -q '"header"'
}

etcd_start() {
	local n=${1:-3} i
	command -v etcd >/dev/null || skip "etcd is not installed (scripts/deps.sh installs etcd-server)"
	command -v curl >/dev/null || skip "curl is not installed"
	: "${ETCD_BASE_PORT:=$((23000 + ($$ % 500) * 8))}"
	ETCD_DIR=$(mktemp -d /tmp/corral-etcd.XXXXXX)
	ETCD_CLUSTER=
	ETCD_ENDPOINTS=
	ETCD_MEMBER_PIDS=()
	ETCD_N=$n
	for ((i = 0; i < n; i++)); do
		ETCD_CLUSTER+="${ETCD_CLUSTER:+,}m$i=$(etcd_peer_url "$i")"
		ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}$(etcd_member_url "$i")"
	done
	for ((i = 0; i < n; i++)); do etcd_start_member "$i"; done
	for _ in $(seq 150); do
		etcd_healthy "$(etcd_member_url 0)" && { export ETCD_ENDPOINTS; return 0; }
		sleep 0.1
	done
	tail -n 20 "$ETCD_DIR"/m*.log >&2
	fail "etcd cluster of $n did not become healthy in 15 s"
}

etcd_stop() {
	local i
	[ -n "${ETCD_DIR:-}" ] || return 0
	for ((i = 0; i < ${ETCD_N:-0}; i++)); do etcd_stop_member "$i"; done
	rm -rf "$ETCD_DIR"
	ETCD_DIR=
}
