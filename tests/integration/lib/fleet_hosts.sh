# A fleet of three hosts on one LAN, with its store: network namespaces
# ${FP}a ${FP}b ${FP}c (hosts a, b, c at $FNET.1 .2 .3) on a switch (bridge
# lan0 in ${FP}l at $FNET.254), a three-member etcd in the switch namespace
# at $FNET.254 over https with client certificates (the store is not on the
# hosts' loopback, so Corral reaches it only that way), and per host a
# Corral root, cgroup parent, key and corrald. Source after common.sh and
# etcd.sh; set FP (a short prefix) and FNET (a /24 prefix) first.

fleet_lan() {
	local h i=0
	ip netns add "${FP}l"
	ip -n "${FP}l" link set lo up
	ip -n "${FP}l" link add lan0 type bridge
	ip -n "${FP}l" addr add "$FNET.254/24" dev lan0
	ip -n "${FP}l" link set lan0 up
	for h in a b c; do
		i=$((i + 1))
		ip netns add "$FP$h"
		ip -n "$FP$h" link set lo up
		ip link add "${FP}u$h" type veth peer name "${FP}s$h"
		ip link set "${FP}u$h" netns "$FP$h"
		ip link set "${FP}s$h" netns "${FP}l"
		ip -n "${FP}l" link set "${FP}s$h" master lan0
		ip -n "${FP}l" link set "${FP}s$h" up
		ip -n "$FP$h" addr add "$FNET.$i/24" dev "${FP}u$h"
		ip -n "$FP$h" link set "${FP}u$h" up
	done
}

fleet_lan_teardown() {
	local h
	for h in a b c l; do ip netns del "$FP$h" 2>/dev/null; done
	return 0
}

fleet_addr() { case $1 in a) echo "$FNET.1" ;; b) echo "$FNET.2" ;; c) echo "$FNET.3" ;; esac; }

# on H CMD...: CMD as host H (its network namespace, root and cgroup parent).
on() {
	local h=$1
	shift
	nsenter --net=/run/netns/"$FP$h" env CORRAL_ROOT="$FTOP/$h" CORRAL_CGROUP_PARENT="corral-test-$$-$h" "$@"
}

# fleet_store: the store on the switch, with TLS.
fleet_store() {
	ETCD_NETNS=${FP}l ETCD_HOST=$FNET.254 ETCD_TLS_DIR=$FTOP/tls
	export ETCD_NETNS ETCD_HOST ETCD_TLS_DIR
	etcd_tls_certs "$ETCD_TLS_DIR" "$FNET.254"
	etcd_start 3
}

# fleet_member H: keys, and init (a) or join (others) with a token from a;
# FLEET_MEMBER_ARGS: more options for both (e.g. --load partitions).
fleet_member() {
	local h=$1 tls="--ca $FTOP/tls/ca.crt --cert $FTOP/tls/client.crt --key $FTOP/tls/client.key"
	tls="$tls ${FLEET_MEMBER_ARGS:-}"
	mkdir -p "$FTOP/$h"
	on "$h" corral keygen >/dev/null 2>&1 || fail "keygen on $h"
	if [ "$h" = a ]; then
		# shellcheck disable=SC2086
		on a corral fleet init tf --name a --store "$ETCD_ENDPOINTS" --address "$(fleet_addr a)" $tls \
			>/dev/null || fail "fleet init on a"
	else
		local token
		token=$(on a corral fleet token) || fail "fleet token"
		# shellcheck disable=SC2086
		on "$h" corral fleet join --name "$h" --store "$ETCD_ENDPOINTS" --address "$(fleet_addr "$h")" \
			$tls "$token" >/dev/null || fail "fleet join of $h"
	fi
}

# fleet_corrald H: start H's corrald (its pid in CORRALD_H); FLEET_CORRALD_ENV
# ("VAR=VALUE ..."): more of its environment (a benchmark's switches).
fleet_corrald() {
	local h=$1
	# shellcheck disable=SC2086
	nsenter --net=/run/netns/"$FP$h" env CORRAL_ROOT="$FTOP/$h" CORRAL_CGROUP_PARENT="corral-test-$$-$h" \
		${FLEET_CORRALD_ENV:-} "$CORRAL_BUILD_DIR/cli/corrald" --foreground --listen "$(fleet_addr "$h")" \
		>>"$FTOP/$h.corrald.log" 2>&1 &
	eval "CORRALD_$h=$!"
	corrald_ready "$FTOP/$h" "$!"
}

fleet_corrald_stop() {
	local v="CORRALD_$1"
	[ -n "${!v:-}" ] || return 0
	kill "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
	eval "CORRALD_$1="
	rm -f "$FTOP/$1/run/corral/corrald.sock"
	return 0
}

# fleet_teardown: partitions, corralds, store, namespaces, cgroup parents.
fleet_teardown() {
	local h spec n d
	for h in a b c; do fleet_corrald_stop "$h"; done
	for h in a b c; do
		for spec in "$FTOP/$h"/etc/wpars/*.spec; do
			[ -e "$spec" ] || continue
			n=$(basename "$spec" .spec)
			on "$h" stopwpar -F "$n" >/dev/null 2>&1
			on "$h" rmwpar -F "$n" >/dev/null 2>&1
		done
		for d in /sys/fs/cgroup/*/"corral-test-$$-$h" /sys/fs/cgroup/"corral-test-$$-$h"; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
	done
	etcd_stop
	fleet_lan_teardown
}

# fleet_where NAME: the host that has partition NAME defined ("" if none;
# "a b" if more than one: never).
fleet_where() {
	local h out=""
	for h in a b c; do [ -e "$FTOP/$h/etc/wpars/$1.spec" ] && out="$out${out:+ }$h"; done
	echo "$out"
}

# fleet_test_up P NET: a whole test fleet: FP=P+pid, FNET=10.NET.x, a
# temporary FTOP (under FLEET_TEST_DIR, /tmp by default), the EXIT trap (corrald logs and kept CRIU logs shown on a
# failure, everything removed), the LAN, the store, hosts a b c joined
# (FLEET_MEMBER_ARGS for more options) and their corralds.
fleet_test_up() {
	need_root
	command -v criu >/dev/null || skip "no criu"
	command -v openssl >/dev/null || skip "no openssl"
	export PATH="$CORRAL_BUILD_DIR/cli:$PATH"
	FP=$1$(($$ % 10000)) FNET=10.$2.$(($$ % 200 + 20))
	FTOP=$(mktemp -d "${FLEET_TEST_DIR:-/tmp}/corral-test-fleet-XXXXXX")
	CORRALD_a= CORRALD_b= CORRALD_c=
	trap fleet_test_down EXIT
	fleet_lan
	fleet_store
	fleet_reaper_start
	local h
	for h in a b c; do fleet_member "$h"; done
	for h in a b c; do fleet_corrald "$h"; done
}

fleet_test_down() {
	local rc=$? f
	set +e
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		for f in "$FTOP"/*.corrald.log; do echo "--- $f" >&2; tail -n 25 "$f" >&2; done
		KEPT_LOG_ROOTS="$FTOP/a $FTOP/b $FTOP/c" show_kept_criu_logs
	fi
	fleet_teardown
	rm -rf "$FTOP"
	exit "$rc"
}

# fleet_reaper_start: a watcher outside the test's process tree (its parent
# exits at once; its own session) that tears the fleet down when the test
# dies without its EXIT trap (killed by a ctest timeout, SIGKILL, a parent
# interrupted): every process in the hosts' and the switch's namespaces
# (corralds, their agents and moves, criu lazy-pages, etcd), the partitions,
# the cgroup parents, the namespaces, FTOP and the store's directory. A
# test that ended through its trap removed FTOP: the watcher then only
# goes. It checks once a second.
fleet_reaper_start() {
	local script=$FTOP.reaper
	cat >"$script" <<EOF
# the reaper of fleet test $$ (tests/integration/lib/fleet_hosts.sh)
FP='$FP' FTOP='$FTOP' ETCD_DIR='${ETCD_DIR:-}' BIN='$CORRAL_BUILD_DIR/cli' TEST=$$
EOF
	cat >>"$script" <<'EOF'
while kill -0 "$TEST" 2>/dev/null; do sleep 1; done
[ -d "$FTOP" ] || { rm -f "$FTOP.reaper"; exit 0; }
for sig in TERM KILL; do
	for h in a b c l; do
		pids=$(ip netns pids "$FP$h" 2>/dev/null)
		# shellcheck disable=SC2086 # a list of pids
		[ -z "$pids" ] || kill -s "$sig" $pids 2>/dev/null
	done
	sleep 2
done
for h in a b c; do
	for spec in "$FTOP/$h"/etc/wpars/*.spec; do
		[ -e "$spec" ] || continue
		n=$(basename "$spec" .spec)
		for verb in stopwpar rmwpar; do
			nsenter --net=/run/netns/"$FP$h" env CORRAL_ROOT="$FTOP/$h" \
				CORRAL_CGROUP_PARENT="corral-test-$TEST-$h" "$BIN/$verb" -F "$n"
		done
	done
	for d in /sys/fs/cgroup/*/"corral-test-$TEST-$h" /sys/fs/cgroup/"corral-test-$TEST-$h"; do
		[ -d "$d" ] && rmdir "$d"
	done
done
for h in a b c l; do ip netns del "$FP$h"; done
rm -rf "$FTOP" "$ETCD_DIR" "$FTOP.reaper"
EOF
	(setsid bash "$script" </dev/null >/dev/null 2>&1 &)
}

# fleet_frozen_windows H: the frozen windows of the live moves H's runner
# started (their movewpar -v logs, $FTOP/H/var/log/corral/fleet/P.log), one
# line each, "FROZE_MS RUNNING_MS P" in wall time: from "freezing" to
# "pages" (its Restore answered there), by when it froze.
fleet_frozen_windows() {
	local f
	for f in "$FTOP/$1"/var/log/corral/fleet/*.log; do
		[ -e "$f" ] || continue
		awk -v n="$(basename "$f" .log)" 'function wall(  v) {v = $NF; gsub(/\)/, "", v); return int(v * 1000)}
			/^phase freezing at/ {f = wall()} /^phase pages at/ {e = wall()}
			END {if (f != "" && e != "") printf "%.0f %.0f %s\n", f, e, n}' "$f"
	done | sort -n
}
# fleet_frozen_overlaps H: a line for each of H's live moves that froze while
# an earlier one was still frozen (fleet_frozen_windows); nothing when none
# did: the source's frozen-window slot (relocate/move_slot.h) at work.
fleet_frozen_overlaps() {
	fleet_frozen_windows "$1" | awk '{if (NR > 1 && $1 < end) printf "%s froze at %.0f while %s was frozen (until %.0f)\n", $3, $1, who, end
		if ($2 > end) {end = $2; who = $3}}'
}
