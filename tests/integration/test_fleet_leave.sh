#!/usr/bin/env bash
# labels: root criu net etcd slow
# timeout: 600
# corral fleet leave on a real fleet (three hosts as network namespaces, a
# three-member etcd over TLS, a corrald per host). Bad input and a host
# that still runs a partition are refused with one line and nothing
# changes. c leaves: it is gone from the members' list and their trust
# (and they from its), its fleet.conf is gone, its agent stops acting (its
# liveness record does not come back), its CLI says it is in no fleet; a
# copy of its old fleet.conf put back acts for nothing; it works alone as
# a lone host (a partition made and started there), and a member refuses
# its move. It can join again with a new token (trusted again). corral
# fleet remove refuses an online host, this host and an unknown one; c,
# down, is removed from a: gone and untrusted, and its corrald, back, acts
# alone. b leaves with --force while it runs a partition: the partition
# stays Active there.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/etcd.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/fleet_hosts.sh"
fleet_test_up crl 222

on b mkwpar -c -n p1 >/dev/null || fail "mkwpar p1"
echo 'respawn: while true; do sleep 0.1; done' >>"$FTOP/b/wpars/p1/etc/corral/services"
on b startwpar p1 >/dev/null || fail "startwpar p1"
sleep 3 # every agent has published, and trusts the others
trusts() { on "$1" corral trust --list | awk '{print $1}' | sort | tr '\n' ' '; }
assert_eq "b c " "$(trusts a)" "a trusts the members"

for bad in "--forse" "--force now"; do
	rc=0; out=$(on b corral fleet leave $bad 2>&1) || rc=$?
	assert_eq 2 "$rc" "fleet leave $bad is a usage error: $out"
done
rc=0; out=$(on b corral fleet leave 2>&1) || rc=$?
assert_eq 1 "$rc" "leave with a partition: $out"
grep -q "still has 1 partition (p1)" <<<"$out" || fail "leave with a partition: $out"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "more than one line for a refusal: $out"
on b corral fleet status >/dev/null || fail "b's fleet.conf gone after a refused leave"
on a corral hosts | grep -q '^b ' || fail "b gone from the fleet after a refused leave"
pass "fleet leave: bad input and a host with a partition refused in one line, nothing changed"

cp "$FTOP/c/etc/corral/fleet.conf" "$FTOP/c-fleet.conf"
out=$(on c corral fleet leave) || fail "leave of c: $out"
echo "$out"
grep -q "^Left fleet tf: c works alone now" <<<"$out" || fail "leave's report: $out"
[ ! -e "$FTOP/c/etc/corral/fleet.conf" ] || fail "c's fleet.conf is still there"
rc=0; out=$(on c corral hosts 2>&1) || rc=$?
assert_eq 1 "$rc" "corral hosts on a host that left: $out"
grep -q "in no fleet" <<<"$out" || fail "corral hosts on c: $out"
on a corral hosts | grep -q '^c ' && fail "c still listed: $(on a corral hosts)"
assert_eq "" "$(trusts c)" "c trusts no member any more"
for _ in $(seq 30); do [ "$(trusts a)" = "b " ] && break; sleep 0.2; done
assert_eq "b " "$(trusts a)" "a no longer trusts c"
grep -q "no longer in fleet tf (its fleet.conf is gone)" "$FTOP/c.corrald.log" ||
	{ sleep 1; grep -q "no longer in fleet tf" "$FTOP/c.corrald.log"; } || fail "c's agent did not stop acting"
sleep 3
on a corral hosts | grep -q '^c ' && fail "c's agent published it again"
pass "c left: gone from the list and the trust both ways, its agent stopped, its CLI is in no fleet"

cp "$FTOP/c-fleet.conf" "$FTOP/c/etc/corral/fleet.conf"
rc=0; out=$(on c corral evacuate a --dry-run 2>&1) || rc=$?
assert_eq 1 "$rc" "a stale fleet.conf acts: $out"
grep -q "not a member of fleet tf" <<<"$out" || fail "stale fleet.conf: $out"
sleep 3
on a corral hosts | grep -q '^c ' && fail "c's agent acted on a stale fleet.conf"
rm -f "$FTOP/c/etc/corral/fleet.conf"
pass "a copy of its old fleet.conf put back acts for nothing"

on c mkwpar -c -n alone >/dev/null || fail "mkwpar on c after it left"
echo 'respawn: while true; do sleep 0.1; done' >>"$FTOP/c/wpars/alone/etc/corral/services"
on c startwpar alone >/dev/null || fail "startwpar on c after it left"
# c trusts a by hand again: a, a member, no longer trusts c
on c corral trust a "$(fleet_addr a)" "$FTOP/a/etc/corral/host.pub" >/dev/null || fail "trust a on c"
rc=0; out=$(on c movewpar alone a 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "a member took a move from a host that left: $out"
grep -q "a refused the connection" <<<"$out" || fail "a did not refuse c's move: $out"
assert_eq A "$(sed -n 's/^state=//p' "$FTOP/c/var/lib/corral/alone/state")" "alone still runs on c"
pass "c works alone: a partition made and started there; a member refuses its move ($(tail -1 <<<"$out"))"

token=$(on a corral fleet token) || fail "fleet token"
tls="--ca $FTOP/tls/ca.crt --cert $FTOP/tls/client.crt --key $FTOP/tls/client.key"
# shellcheck disable=SC2086
on c corral fleet join --name c --store "$ETCD_ENDPOINTS" --address "$(fleet_addr c)" $tls "$token" >/dev/null ||
	fail "c joins again"
for _ in $(seq 30); do [ "$(trusts a)" = "b c " ] && break; sleep 0.2; done
assert_eq "b c " "$(trusts a)" "a trusts c again"
for _ in $(seq 30); do on a corral hosts | grep -Eq '^c +online' && break; sleep 0.2; done
on a corral hosts | grep -Eq '^c +online' || fail "c not online after joining again: $(on a corral hosts)"
pass "c joined again with a new token: listed, online, trusted"

# --- fleet remove: a member takes out a host that is down
for bad in "c" "a" "nosuch"; do
	rc=0; out=$(on a corral fleet remove "$bad" 2>&1) || rc=$?
	assert_eq 1 "$rc" "fleet remove $bad is refused: $out"
done
rc=0; out=$(on a corral fleet remove 2>&1) || rc=$?
assert_eq 2 "$rc" "fleet remove without a host is a usage error: $out"
on a corral hosts | grep -Eq '^c +online' || fail "c changed by a refused remove"
fleet_corrald_stop c
# its agent revokes its lease on the way out (or the lease expires)
for _ in $(seq 60); do on a corral hosts | grep -Eq '^c +offline' && break; sleep 0.2; done
out=$(on a corral fleet remove c 2>&1) || fail "remove of c, down: $out"
echo "$out"
on a corral hosts | grep -q '^c ' && fail "c still listed after its removal"
for _ in $(seq 30); do [ "$(trusts a)" = "b " ] && break; sleep 0.2; done
assert_eq "b " "$(trusts a)" "a no longer trusts c, removed"
fleet_corrald c
for _ in $(seq 30); do grep -q "no longer in fleet tf (the store has no record of it)" "$FTOP/c.corrald.log" && break; sleep 0.2; done
grep -q "no longer in fleet tf (the store has no record of it)" "$FTOP/c.corrald.log" || fail "c's agent acted on"
sleep 2
on a corral hosts | grep -q '^c ' && fail "c, removed, published itself again"
rc=0; out=$(on c corral hosts 2>&1) || rc=$?
assert_eq 1 "$rc" "a removed host's CLI: $out"
pass "fleet remove: refused for an online host, itself, an unknown one; c removed while down acts alone when back"

out=$(on b corral fleet leave --force) || fail "leave --force of b: $out"
echo "$out"
grep -q "its 1 partition (p1) stays here" <<<"$out" || fail "leave --force does not say what stays: $out"
assert_eq A "$(sed -n 's/^state=//p' "$FTOP/b/var/lib/corral/p1/state")" "p1 still Active on b"
on a corral hosts | grep -q '^b ' && fail "b still listed after leave --force"
pass "leave --force with a partition: it stays Active on b, b is gone from the fleet"
