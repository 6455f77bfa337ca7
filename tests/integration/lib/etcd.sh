# etcd for tests: a cluster of N members (default 3) on ETCD_HOST (default
# 127.0.0.1) with client ports from ETCD_BASE_PORT (default: 23000 + a
# number from this shell's pid, so concurrent runs do not collide), data in
# a temporary directory. ETCD_NETNS runs the members in that network
# namespace; ETCD_TLS_DIR (made by etcd_tls_certs) serves clients over https
# with client certificates required. etcd_start sets ETCD_ENDPOINTS (comma
# list of client URLs) and ETCD_MEMBER_PIDS; etcd_stop ends every member and
# removes the data. Source after common.sh; call etcd_stop from the teardown.

etcd_scheme() { [ -n "${ETCD_TLS_DIR:-}" ] && echo https || echo http; }
etcd_member_url() { echo "$(etcd_scheme)://${ETCD_HOST:-127.0.0.1}:$((ETCD_BASE_PORT + 2 * $1))"; }
etcd_peer_url() { echo "http://${ETCD_HOST:-127.0.0.1}:$((ETCD_BASE_PORT + 2 * $1 + 1))"; }
etcd_in() { if [ -n "${ETCD_NETNS:-}" ]; then ip netns exec "$ETCD_NETNS" "$@"; else "$@"; fi; }
etcd_tls_args() {
	[ -n "${ETCD_TLS_DIR:-}" ] || return 0
	echo "--cert-file $ETCD_TLS_DIR/server.crt --key-file $ETCD_TLS_DIR/server.key" \
		"--trusted-ca-file $ETCD_TLS_DIR/ca.crt --client-cert-auth"
}

# etcd_tls_certs DIR IP: a CA, a certificate for the members at IP (server
# and client use: etcd's gateway dials its own port with it) and a client
# certificate, with openssl, into DIR.
etcd_tls_certs() {
	local d=$1 ip=$2
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=corral-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || fail "openssl: CA"
	printf 'subjectAltName=IP:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' "$ip" >"$d/ext"
	openssl req -newkey rsa:2048 -nodes -subj /CN=etcd -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/ext" -out "$d/server.crt" 2>/dev/null || fail "openssl: server certificate"
	printf 'extendedKeyUsage=clientAuth\n' >"$d/cext"
	openssl req -newkey rsa:2048 -nodes -subj /CN=corral-host -keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/cext" -out "$d/client.crt" 2>/dev/null || fail "openssl: client certificate"
}

# etcd_start_member I: start member I (0-based) of the cluster described by
# ETCD_CLUSTER, in ETCD_DIR/mI; an existing data directory is reused (a
# member that comes back).
etcd_start_member() {
	local i=$1 pre=()
	[ -z "${ETCD_NETNS:-}" ] || pre=(ip netns exec "$ETCD_NETNS")
	# shellcheck disable=SC2046
	${pre[@]+"${pre[@]}"} etcd --name "m$i" --data-dir "$ETCD_DIR/m$i" $(etcd_tls_args) \
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
	local tls=()
	[ -z "${ETCD_TLS_DIR:-}" ] || tls=(--cacert "$ETCD_TLS_DIR/ca.crt" --cert "$ETCD_TLS_DIR/client.crt"
		--key "$ETCD_TLS_DIR/client.key")
	etcd_in curl -s -m 2 ${tls[@]+"${tls[@]}"} -X POST -d '{"key":"AA=="}' "$1/v3/kv/range" 2>/dev/null |
		grep -q '"header"'
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
