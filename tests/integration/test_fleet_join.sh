#!/usr/bin/env bash
# labels: etcd
# timeout: 240
# A fleet on a real three-member etcd: fleet init on host a, a one-time join
# token for host b (a used, revoked, forged or foreign token cannot join; a
# taken name cannot either), trust that follows from membership (both
# ways, through the fleet agent corrald runs), corral hosts with liveness
# (online while corrald lives; offline at once when it stops, and within the
# lease time when its agent is killed), and a store that is gone: bounded
# errors, nothing changed. Hosts are Corral roots on this machine.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/etcd.sh"

TOP=$(mktemp -d /tmp/corral-fleet.XXXXXX)
CORRALD_PIDS=()
cleanup() {
	local rc=$?
	set +e
	for p in "${CORRALD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${CORRALD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	etcd_stop
	rm -rf "$TOP"
	exit $rc
}
trap cleanup EXIT
etcd_start 3
STORE=$ETCD_ENDPOINTS

on() { local h=$1; shift; CORRAL_ROOT=$TOP/$h "$@"; }
for h in a b c d; do mkdir -p "$TOP/$h"; on "$h" corral keygen >/dev/null 2>&1 || fail "keygen on $h"; done

# corrald_on HOST: corrald of HOST in the foreground, no TCP, its agent on.
corrald_on() {
	CORRAL_ROOT=$TOP/$1 corrald --foreground --listen none >"$TOP/$1.corrald.log" 2>&1 &
	CORRALD_PIDS+=($!)
	corrald_ready "$TOP/$1" $!
	eval "CORRALD_$1=$!"
}
# wait_hosts HOST PATTERN SECONDS: corral hosts on HOST matches PATTERN in time
wait_hosts() {
	local out
	for _ in $(seq $(($3 * 5))); do
		out=$(on "$1" corral hosts 2>&1) && grep -Eq "$2" <<<"$out" && return 0
		sleep 0.2
	done
	echo "$out" >&2
	fail "corral hosts on $1 never showed /$2/ in $3 s"
}

# --- refusals that change nothing
out=$(on a corral fleet init f1 --store http://10.9.9.9:2379 --address 127.0.0.1 2>&1) && fail "plain http store off loopback accepted"
assert_contains "$out" "https" "store off loopback"
[ ! -e "$TOP/a/etc/corral/fleet.conf" ] || fail "a refused init wrote fleet.conf"
rc=0; out=$(on a corral fleet init f1 --store "$STORE" 2>&1) || rc=$?
assert_eq 2 "$rc" "init without --address is a usage error"
out=$(on a corral fleet init 'f/1' --store "$STORE" --address 127.0.0.1 2>&1) && fail "fleet name with / accepted"
assert_contains "$out" "fleet name" "bad fleet name"
out=$(on a corral hosts 2>&1) && fail "corral hosts outside a fleet succeeded"
assert_contains "$out" "in no fleet" "hosts outside a fleet"

# --- a fleet with host a
on a corral fleet init f1 --name a --store "$STORE" --address 127.0.0.1:7711 >/dev/null || fail "fleet init"
pass "fleet init"
out=$(on d corral fleet init f1 --name d --store "$STORE" --address 127.0.0.1:7714 2>&1) && fail "second init of f1 accepted"
assert_contains "$out" "already exists" "second init"
corrald_on a
wait_hosts a '^a +online' 10
pass "host a online through its corrald's agent"

# --- tokens
TOKEN=$(on a corral fleet token) || fail "fleet token"
REVOKED=$(on a corral fleet token) || fail "second token"
on a corral fleet token --list | grep -c . | grep -qx 2 || fail "token --list does not show two tokens"
on a corral fleet token --revoke "$REVOKED" || fail "revoke"
out=$(on c corral fleet join --name c --store "$STORE" --address 127.0.0.1:7713 "$REVOKED" 2>&1) && fail "revoked token joined"
assert_contains "$out" "not valid" "revoked token"
out=$(on c corral fleet join --name c --store "$STORE" --address 127.0.0.1:7713 "f1.forgedforgedforgedforged" 2>&1) && fail "forged token joined"
assert_contains "$out" "not valid" "forged token"
out=$(on c corral fleet join --name a --store "$STORE" --address 127.0.0.1:7713 "$TOKEN" 2>&1) && fail "a taken name joined"
assert_contains "$out" "already in it" "taken name"
[ ! -e "$TOP/c/etc/corral/fleet.conf" ] || fail "a refused join wrote fleet.conf"
pass "revoked, forged and name-taking joins refused"

on b corral fleet join --name b --store "$STORE" --address 127.0.0.1:7712 "$TOKEN" >/dev/null || fail "join b"
out=$(on c corral fleet join --name c --store "$STORE" --address 127.0.0.1:7713 "$TOKEN" 2>&1) && fail "a used token joined again"
assert_contains "$out" "not valid" "used token"
pass "b joined with a one-time token; the token is then used up"

# --- trust follows membership: b trusts a at once, a trusts b through its agent
on b corral trust --list | grep -q "^a .*127.0.0.1:7711" || fail "b does not trust a after joining"
for _ in $(seq 50); do on a corral trust --list | grep -q "^b .*127.0.0.1:7712" && break; sleep 0.2; done
on a corral trust --list | grep -q "^b .*127.0.0.1:7712" || fail "a's agent did not trust b"
pass "trust both ways"

# --- liveness and inventory
on b mkwpar -n web1 >/dev/null 2>&1 || fail "mkwpar on b"
wait_hosts a '^b +offline' 5
corrald_on b
wait_hosts a '^b +online .*1 \(web1:D\)' 10
json=$(on a corral hosts --json) || fail "hosts --json"
python3 -c 'import json,sys; h={x["name"]:x for x in json.load(sys.stdin)}; assert h["b"]["online"] and h["b"]["record"]["caps"]["arch"]; assert h["b"]["alive"]["mem_total"] > 0' <<<"$json" || fail "hosts --json: $json"
pass "corral hosts: b online with its partition, --json holds caps and load"
out=$(on a lswpar --fleet) || fail "lswpar --fleet: $out"
grep -Eq '^web1 +D +b +online' <<<"$out" || fail "lswpar --fleet: $out"
on a lswpar --fleet --json web1 | python3 -c 'import json,sys; l=json.load(sys.stdin); assert l[0]["host"]=="b" and l[0]["state"]=="D"' ||
	fail "lswpar --fleet --json"
if on a lswpar --fleet nosuch >/dev/null 2>&1; then fail "lswpar --fleet of an unknown name succeeded"; fi
rc=0; on a lswpar --fleet -L >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "lswpar --fleet -L is a usage error"
if on c lswpar --fleet >/dev/null 2>&1; then fail "lswpar --fleet outside a fleet succeeded"; fi
pass "lswpar --fleet: which host runs what"

kill "$CORRALD_b"; wait "$CORRALD_b" 2>/dev/null || true
wait_hosts a '^b +offline' 3
pass "b offline at once when its corrald stops"
corrald_on b
wait_hosts a '^b +online' 10
agent=$(pgrep -P "$CORRALD_b" | head -n 1)
[ -n "$agent" ] || fail "no agent child of b's corrald"
kill -9 "$agent"
wait_hosts a '^b +offline' 20
pass "b offline within the lease time when its agent dies"

# --- the store gone: bounded errors, nothing changed
cp "$TOP/a/etc/corral/fleet.conf" "$TOP/fleet.conf.before"
for i in 0 1 2; do etcd_stop_member "$i"; done
start=$(date +%s)
out=$(on a corral hosts 2>&1) && fail "hosts with the store gone succeeded"
out2=$(on a corral fleet token 2>&1) && fail "token with the store gone succeeded"
took=$(($(date +%s) - start))
[ "$took" -le 40 ] || fail "two calls with the store gone took $took s"
assert_contains "$out" "127.0.0.1" "store-gone error names the store"
cmp -s "$TOP/a/etc/corral/fleet.conf" "$TOP/fleet.conf.before" || fail "fleet.conf changed"
kill -0 "$CORRALD_a" || fail "a's corrald died with the store gone"
pass "store gone: bounded errors ($took s), corrald lives on"
