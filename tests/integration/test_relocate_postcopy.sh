#!/usr/bin/env bash
# labels: root criu net slow
# timeout: 1200
# Post-copy relocation (movewpar --mode post-copy) between two "hosts":
# network namespaces joined by a veth, as test_relocate.sh. The partition
# runs memhog (tests/helpers/memhog.c: half-random pages it checks byte by
# byte on SIGUSR1) and a shell counter. It moves A -> B post-copy: it runs on
# B before its memory is there, the pages come through the corralds'
# encrypted connection, and memhog verifies every page. --mode auto says why
# it picks what it picks. A second partition whose shells fork every 10 ms
# moves back and forth a dozen times. Then the faults of the lazy phase (the link slowed
# so that the phase lasts): B's criu lazy-pages killed, the link down for 2 s
# (the move completes), the link down for good, movewpar's connections
# reset (resumed: the move completes), its page connection dropped by a
# fault point (resumed), a reset that lasts past the 10 s bound, a reset with
# a destination of protocol 1.2 (no resume). After each that does not
# complete, exactly one running copy, on A, with every page intact (memhog
# checks them); B keeps nothing. Last, each corrald killed in the
# lazy phase: A's (the move completes), B's (the partition goes on on A).
# Needs a CRIU whose lazy dump works here (corral check: lazy-pages ok; the
# CRIU that scripts/deps.sh builds, or fs.pipe-max-size raised); else skips.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/hosts.sh"
need_root
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v tc >/dev/null || skip "no tc (iproute2)"
bin=$CORRAL_BUILD_DIR/cli
MIB=${POSTCOPY_TEST_MIB:-64}

hosts_names p
pa= pb=
teardown() {
	set +e
	hosts_partitions_remove "$ra" "$cga"
	hosts_partitions_remove "$rb" "$cgb"
	for p in $pa $pb; do kill -9 "$p" 2>/dev/null; done
	hosts_criu_kill "$work"
	umount -l "$rb/run/corral" 2>/dev/null
	two_hosts_del "$na" "$nb"
	hosts_cgroups_remove "$cga" "$cgb"
	[ -n "${POSTCOPY_TEST_KEEP:-}" ] || rm -rf "$work"
}
trap teardown EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log "$work"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
	for h in a b; do
		for l in "$work/$h"/var/lib/corral/*/log; do [ -f "$l" ] && { echo "--- $l" >&2; tail -20 "$l" >&2; }; done
	done
	KEPT_LOG_ROOTS="$ra $rb" show_kept_criu_logs
	exit 1
}

two_hosts "$na" "$nb" "$va" "$vb" "10.216.$x"
for r in "$ra" "$rb"; do
	mkdir -p "$r"
	CORRAL_ROOT=$r "$bin/corral" keygen >/dev/null 2>&1
done
CORRAL_ROOT=$ra "$bin/corral" trust b "10.216.$x.2" "$rb/etc/corral/host.pub"
CORRAL_ROOT=$rb "$bin/corral" trust a "10.216.$x.1" "$ra/etc/corral/host.pub"

# Post-copy must be proven on this machine (both "hosts" share its CRIU).
lazy=$(CORRAL_ROOT=$ra "$bin/corral" check 2>&1 | grep -E '^[a-z]+ +lazy-pages ' || true)
case "$lazy" in
ok*) ;;
*) skip "post-copy does not work with this CRIU: $lazy" ;;
esac

mkdir -p "$rb/run/corral"
mount -t tmpfs -o size=2g,mode=0755 corral-test-run "$rb/run/corral"
start_a() {
	nsenter --net=/run/netns/"$na" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" "$bin/corrald" --foreground \
		--listen "10.216.$x.1" --timeout 20 2>>"$work/a.log" >/dev/null &
	pa=$!
}
b_env=() # a fault point for B's corrald (CORRAL_TEST_FAULT=...)
start_b() {
	nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" "${b_env[@]}" \
		"$bin/corrald" --foreground --listen "10.216.$x.2" --timeout 5 2>>"$work/b.log" >/dev/null &
	pb=$!
}
# restart_b: B's corrald (ended) started again.
restart_b() {
	wait "$pb" 2>/dev/null || true
	rm -f "$rb/run/corral/corrald.sock"
	start_b
	corrald_ready "$rb" "$pb"
}
# restart_b_with [VAR=VALUE...]: B's corrald killed and started with that environment.
restart_b_with() {
	b_env=("$@")
	kill -9 "$pb"
	restart_b
	b_env=()
}
start_a
start_b
corrald_ready "$ra" "$pa"
corrald_ready "$rb" "$pb"

state_on() { sed -n 's/^state=//p' "$1/var/lib/corral/$2/state" 2>/dev/null || echo none; }
memhogs() {
	local n=0 p
	for p in $(pgrep -f '^/root/memhog /tmp/memhog' || true); do
		grep -q "corral-test-$$-" "/proc/$p/cgroup" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
memhog_pid() {
	local p
	for p in $(pgrep -f '^/root/memhog /tmp/memhog' || true); do
		grep -q "corral-test-$$-$1" "/proc/$p/cgroup" 2>/dev/null && { echo "$p"; return; }
	done
}
ticks() { read_whole "$1/wpars/pc/tmp/ticks"; }
ticks_go_on() {
	local a b
	a=$(ticks "$1")
	sleep 0.4
	b=$(ticks "$1")
	[ "$b" -gt "$a" ] || fail "$2: the partition does not run on $1 ($a -> $b)"
}
# Exactly one copy, Active, on host root $1 (letter $3); nothing under root $2.
only_on() {
	[ "$(state_on "$1" pc)" = A ] || fail "$4: pc is $(state_on "$1" pc) on $1, not A"
	[ ! -e "$2/etc/wpars/pc.spec" ] || fail "$4: pc is still defined on $2"
	[ -z "$(ls -A "$2/var/lib/corral/incoming" 2>/dev/null)" ] || fail "$4: $2 kept $(ls -A "$2/var/lib/corral/incoming")"
	[ "$(memhogs)" = 1 ] || fail "$4: memhog runs $(memhogs) times"
	[ -n "$(memhog_pid "$3")" ] || fail "$4: memhog does not run on $3"
	ticks_go_on "$1" "$4"
}
# memhog on host letter $1 (root $2) checks every page: PASS.
verify_pages() {
	local pid
	pid=$(memhog_pid "$1")
	rm -f "$2/wpars/pc/tmp/memhog/result"
	kill -USR1 "$pid"
	for _ in $(seq 300); do [ -s "$2/wpars/pc/tmp/memhog/result" ] && break; sleep 0.1; done
	assert_eq "PASS" "$(head -1 "$2/wpars/pc/tmp/memhog/result" 2>/dev/null)" "$3: memhog's page check"
}
# A fresh memhog (it exits after its check): restart the partition's service.
rearm_memhog() {
	for _ in $(seq 100); do [ -n "$(memhog_pid "$1")" ] && [ -f "$2/wpars/pc/tmp/memhog/ready" ] && return; sleep 0.1; done
	fail "memhog did not come back on $1"
}

on_a "$bin/mkwpar" -c -n pc -h pc-host >/dev/null
install -m 0755 "$CORRAL_BUILD_DIR/tests/helpers/memhog" "$ra/wpars/pc/root/memhog"
mkdir -p "$ra/wpars/pc/tmp/memhog"
echo "respawn: rm -f /tmp/memhog/ready; /root/memhog /tmp/memhog $MIB" >> "$ra/wpars/pc/etc/corral/services"
echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; sleep 0.1; done' >> "$ra/wpars/pc/etc/corral/services"
on_a "$bin/startwpar" pc >/dev/null
rearm_memhog a "$ra"
pass "partition with $MIB MiB of checked memory running on A"

# --mode auto, dry run: post-copy, and why.
out=$(on_a "$bin/movewpar" --dry-run pc b) || fail "dry run: $out"
assert_contains "$out" "mode post-copy (auto: this host and b proved lazy pages" "auto picks post-copy"
out=$(on_a "$bin/movewpar" --dry-run --mode stop-copy pc b) || fail "dry run: $out"
assert_contains "$out" "mode stop-copy (asked for" "stop-copy asked for"
pass "auto picks post-copy where both hosts proved it, and says why"

# A -> B post-copy: every page verified there. On a terminal (script(1)
# makes one) the progress shows the state sent, then the pages: count, on
# demand and pushed, rate, what is left.
if command -v script >/dev/null; then
	out=$(on_a script -qec "$bin/movewpar -v --mode post-copy pc b" /dev/null | tr '\r' '\n') ||
		fail "post-copy A -> B: $out"
	grep -qE '\[Kstate +' <<<"$out" || fail "A -> B: no progress of the state: $out"
	grep -qE '\[Kpages [0-9]+ \([0-9]+ on demand, [0-9]+ pushed\) +[0-9.]+ MiB +[0-9.]+ MiB/s, [0-9.]+ MiB left' \
		<<<"$out" || fail "A -> B: no progress of the pages: $out"
	out=$(sed 's/\x1b\[K//g' <<<"$out" | grep -v '^$')
else
	out=$(on_a "$bin/movewpar" -v --mode post-copy pc b 2>&1) || fail "post-copy A -> B: $out"
fi
echo "$out"
assert_contains "$out" "post-copy" "A -> B"
assert_contains "$out" "lazy window" "A -> B"
only_on "$rb" "$ra" b "after A -> B"
grep -q "every page of pc is here" "$work/b.log" || fail "B did not log the end of the lazy phase"
# The final line: pages on faults and pushed, as B counted them too; each
# push answer within the relay's cap (512 KiB: 128 pages; criu lazy-pages
# asks up to 1024), so that a fault never waits behind more.
demand=$(sed -n 's/.*pages \([0-9]*\) on demand + [0-9]* pushed.*/\1/p' <<<"$out")
pushed=$(sed -n 's/.*pages [0-9]* on demand + \([0-9]*\) pushed.*/\1/p' <<<"$out")
longest=$(sed -n 's/.*push answers [0-9]* (longest \([0-9]*\) pages).*/\1/p' <<<"$out")
[ -n "$demand" ] && [ -n "$pushed" ] && [ -n "$longest" ] || fail "no page counts in movewpar's report"
grep -q "pc is here: $demand pages on demand, $pushed pushed" "$work/b.log" ||
	fail "B counted other pages: $(grep 'pc is here' "$work/b.log")"
[ "$demand" -gt 0 ] || fail "no page was served on demand"
[ $((pushed + demand)) -ge $((MIB * 256)) ] || fail "only $((pushed + demand)) pages for $MIB MiB"
[ "$longest" -gt 16 ] && [ "$longest" -le 128 ] || fail "the longest push answer had $longest pages, not 17 to 128"
assert_contains "$out" " at " "A -> B: throughput"
verify_pages b "$rb" "after A -> B"
rearm_memhog b "$rb"
pass "post-copy A -> B: runs on B, every page verified"
# A criu lazy-pages that takes answers in any order (scripts/criu-patches/0010)
# has its faults served ahead of the push; the pages above were verified so.
if "${CORRAL_CRIU:-$(command -v criu)}" check --feature lazy_any_order >/dev/null 2>&1; then
	grep -q "serving the memory of pc on demand.*, faults ahead of the push" "$work/b.log" ||
		fail "B's criu takes page answers in any order, yet B did not serve faults ahead of the push"
	pass "faults served ahead of the push (criu has lazy_any_order), every page verified"
fi

# B -> A, auto.
out=$(on_b "$bin/movewpar" pc a 2>&1) || fail "auto B -> A: $out"
assert_contains "$out" "post-copy" "B -> A"
only_on "$ra" "$rb" a "after B -> A"
pass "auto B -> A: post-copy"
rearm_memhog a "$ra"

# A mixed pair: B's criu without lazy-any-order (a wrapper that fails `criu
# check --feature lazy_any_order`, as a CRIU without patch 0010 does). A -> B:
# B's Hello lacks it, so neither relay puts faults first (an unpatched criu
# lazy-pages would take a fault's answer for the push answer it awaits);
# B -> A: A has it, so both do. Every page verified each way.
if "${CORRAL_CRIU:-$(command -v criu)}" check --feature lazy_any_order >/dev/null 2>&1; then
	printf '#!/bin/sh\n[ "$*" = "check --feature lazy_any_order" ] && { echo unsupported >&2; exit 1; }\nexec %s "$@"\n' \
		"${CORRAL_CRIU:-$(command -v criu)}" >"$work/criu-in-order"
	chmod 0755 "$work/criu-in-order"
	restart_b_with CORRAL_CRIU="$work/criu-in-order"
	# mixed_move FROM TO ORDER: pc moved post-copy from FROM to TO, whose
	# corrald must log and whose Hello must make movewpar report ORDER
	# ("faults in the order asked" or "faults ahead of the push").
	mixed_move() {
		local on=on_$1 from_root=$ra to_root=$rb
		[ "$1" = b ] && from_root=$rb to_root=$ra
		out=$($on "$bin/movewpar" -v --mode post-copy pc "$2" 2>&1) || fail "mixed pair, $1 -> $2: $out"
		assert_contains "$out" "$2: $3" "mixed pair, $1 -> $2"
		if [ "$3" = "faults ahead of the push" ]; then want=-q; else want=-vq; fi
		grep "serving the memory of pc on demand" "$work/$2.log" | tail -1 | grep $want "faults ahead" ||
			fail "mixed pair, $1 -> $2: $2's corrald did not serve $3"
		only_on "$to_root" "$from_root" "$2" "mixed pair, $1 -> $2"
		verify_pages "$2" "$to_root" "mixed pair, $1 -> $2"
		rearm_memhog "$2" "$to_root"
	}
	mixed_move a b "faults in the order asked"
	mixed_move b a "faults ahead of the push"
	restart_b_with
	pass "a mixed pair (B's criu lacks lazy-any-order): faults in the order asked to B, ahead to A, every page verified"
fi

# A partition whose shells fork every 10 ms, moved back and forth: a task
# caught mid-fork (a sleep, a date) has a few pages, gets them first and
# ends while the others' still come. CRIU 4.1.1's lazy-pages then spun on
# the closed userfaultfd of that task (our guard keeps a copy of it) and
# asked no page more: the move hung until the dump's deadline
# (scripts/criu-patches/0004). It struck once every few moves; a move of
# this partition takes about a second here.
FORK_MOVES=${POSTCOPY_TEST_FORK_MOVES:-12}
on_a "$bin/mkwpar" -c -n fk -h fk-host >/dev/null
for i in 1 2 3; do
	echo "respawn: while :; do date +%s%N >> /tmp/hb$i; sleep 0.01; done" >>"$ra/wpars/fk/etc/corral/services"
done
on_a "$bin/startwpar" fk >/dev/null
sleep 0.5
from=a to=b
for i in $(seq "$FORK_MOVES"); do
	if [ "$from" = a ]; then on=on_a; fr=$ra tr=$rb; else on=on_b; fr=$rb tr=$ra; fi
	out=$($on timeout 120 "$bin/movewpar" --mode post-copy fk "$to" 2>&1) ||
		fail "forking partition, move $i ($from -> $to): $out"
	[ "$(state_on "$tr" fk)" = A ] || fail "forking partition, move $i: fk is $(state_on "$tr" fk) on $to"
	[ ! -e "$fr/etc/wpars/fk.spec" ] || fail "forking partition, move $i: fk is still defined on $from"
	beats=$(wc -l <"$tr/wpars/fk/tmp/hb1")
	sleep 0.3
	[ "$(wc -l <"$tr/wpars/fk/tmp/hb1")" -gt "$beats" ] || fail "forking partition, move $i: no heartbeat on $to"
	tmp=$from from=$to to=$tmp
done
if [ "$from" = a ]; then on=on_a; else on=on_b; fi
$on "$bin/stopwpar" -F fk >/dev/null
$on "$bin/rmwpar" -F fk >/dev/null
pass "a partition forking every 10 ms moved $FORK_MOVES times post-copy"

# The faults of the lazy phase. The link is slowed so that the pages take
# seconds; once B runs the partition, FAULT ("$@") strikes.
mover_env=() # a fault point for movewpar (CORRAL_TEST_FAULT=...)
restored_on_b() { grep -c "restored pc, running (post-copy" "$work/b.log" || true; }
lazy_fault() {
	local before i
	before=$(restored_on_b)
	ip netns exec "$na" tc qdisc add dev "$va" root tbf rate 100mbit burst 64kbit latency 400ms
	on_a env "${mover_env[@]}" "$bin/movewpar" -t 15 --mode post-copy pc b >"$work/fault.out" 2>&1 &
	mover=$!
	for i in $(seq 600); do
		[ "$(restored_on_b)" -gt "$before" ] && break
		kill -0 "$mover" 2>/dev/null || fail "movewpar ended before the lazy phase: $(cat "$work/fault.out")"
		sleep 0.05
	done
	[ "$i" -lt 600 ] || fail "the partition never ran on B"
	sleep 0.5
	kill -0 "$mover" 2>/dev/null || fail "the lazy phase was over before the fault: $(cat "$work/fault.out")"
	"$@"
}
lazy_fault_end() {
	mover_rc=0
	wait "$mover" || mover_rc=$?
	ip netns exec "$na" tc qdisc del dev "$va" root 2>/dev/null || true
	cat "$work/fault.out"
}
# Wait until B has removed what the failed relocation made.
b_cleaned() {
	for _ in $(seq 200); do
		[ ! -e "$rb/etc/wpars/pc.spec" ] && [ -z "$(ls -A "$rb/var/lib/corral/incoming" 2>/dev/null)" ] && return
		sleep 0.1
	done
}
# criu lazy-pages of B's copy (its images are under B's root).
lazy_daemon() { pgrep -f "criu lazy-pages .*$rb/" || true; }

# B's criu lazy-pages killed: B ends its copy before it reads a missing page;
# A thaws its own, every page intact.
kill_lazy_daemon() {
	local p
	p=$(lazy_daemon)
	[ -n "$p" ] || fail "no lazy-pages daemon on B to kill"
	kill -9 $p
}
lazy_fault kill_lazy_daemon
lazy_fault_end
[ "$mover_rc" -ne 0 ] || fail "lazy-pages killed: movewpar succeeded"
assert_contains "$(cat "$work/fault.out")" "goes on here" "lazy-pages killed"
assert_contains "$(cat "$work/fault.out")" "lazy-pages ended before every page arrived" "lazy-pages killed"
b_cleaned
only_on "$ra" "$rb" a "lazy-pages killed"
[ -z "$(lazy_daemon)" ] || fail "lazy-pages killed: a lazy-pages daemon is left on B"
verify_pages a "$ra" "lazy-pages killed"
rearm_memhog a "$ra"
pass "B's lazy-pages killed in the lazy phase: one copy, on A, every page intact"

# The link down for 2 s (B's idle timeout is 5 s): the pages resume, the
# move completes, every page verified on B.
lazy_fault sh -c "ip -n $na link set $va down; sleep 2; ip -n $na link set $va up"
lazy_fault_end
# The Commit's answer may be lost with the link while B commits: B answers
# the retried Commit of the same relocation as committed.
[ "$mover_rc" -eq 0 ] || fail "link down 2 s: movewpar failed"
only_on "$rb" "$ra" b "link down 2 s"
verify_pages b "$rb" "link down 2 s"
rearm_memhog b "$rb"
out=$(on_b "$bin/movewpar" --mode stop-copy pc a 2>&1) || fail "back to A: $out"
rearm_memhog a "$ra"
pass "link down for 2 s in the lazy phase: the move completed, every page verified on B"

# The link down for good: B ends its copy after its idle timeout; A, which
# cannot reach B, waits that out and thaws its own, every page intact.
lazy_fault ip -n "$na" link set "$va" down
lazy_fault_end
ip -n "$na" link set "$va" up
[ "$mover_rc" -ne 0 ] || fail "link down: movewpar succeeded"
b_cleaned
only_on "$ra" "$rb" a "link down"
verify_pages a "$ra" "link down"
rearm_memhog a "$ra"
pass "link down for good in the lazy phase: one copy, on A, every page intact"

# movewpar's connections to B killed in the lazy phase (ss -K: each end sees
# its connection reset, the link stays up). B keeps its criu lazy-pages and
# its copy (whose tasks wait on their missing pages) for 10 s; movewpar
# connects again and resumes the page transfer where each side's stream
# broke off: the move completes, every page verified on B.
lazy_fault ip netns exec "$na" ss -K dst "10.216.$x.2"
lazy_fault_end
[ "$mover_rc" -eq 0 ] || fail "connections reset: movewpar failed"
assert_contains "$(cat "$work/fault.out")" "the page connection broke and the transfer resumed" "connections reset"
grep -q "the page transfer of pc resumed" "$work/b.log" || fail "connections reset: B did not resume the transfer"
only_on "$rb" "$ra" b "connections reset"
verify_pages b "$rb" "connections reset"
rearm_memhog b "$rb"
out=$(on_b "$bin/movewpar" --mode stop-copy pc a 2>&1) || fail "back to A: $out"
rearm_memhog a "$ra"
pass "movewpar's connections reset in the lazy phase: the transfer resumed, every page verified on B"

# A fault point: movewpar's page relay gives up its connection 4 MiB into
# the transfer without a word (its socket stays open: B hears nothing). The
# resume that knocks at B is proof enough that the old connection is gone:
# B takes it at once, without waiting for its idle timeout.
broke_before=$(grep -c "page connection of pc broke" "$work/b.log" || true)
mover_env=(CORRAL_TEST_FAULT=drop-page-connection)
lazy_fault true
lazy_fault_end
mover_env=()
[ "$mover_rc" -eq 0 ] || fail "page connection dropped: movewpar failed"
assert_contains "$(cat "$work/fault.out")" "resumed 1 time(s)" "page connection dropped"
[ "$(grep -c "page connection of pc broke" "$work/b.log" || true)" = "$broke_before" ] ||
	fail "page connection dropped: B waited for its idle timeout instead of taking the resume at once"
only_on "$rb" "$ra" b "page connection dropped"
verify_pages b "$rb" "page connection dropped"
rearm_memhog b "$rb"
out=$(on_b "$bin/movewpar" --mode stop-copy pc a 2>&1) || fail "back to A: $out"
rearm_memhog a "$ra"
pass "page connection dropped by a fault point: resumed, every page verified on B"

# A reset that lasts past the bound (the link down, the connections reset,
# the link up again after 16 s): movewpar cannot connect within its 10 s;
# B, which sees the link silent for its idle timeout (5 s), gives up 10 s
# later and ends its copy; movewpar thaws its own: one copy, on A, every
# page intact.
lazy_fault sh -c "ip -n $na link set $va down; ip netns exec $na ss -K dst 10.216.$x.2; sleep 16; ip -n $na link set $va up"
lazy_fault_end
[ "$mover_rc" -ne 0 ] || fail "reset past the bound: movewpar succeeded"
b_cleaned
only_on "$ra" "$rb" a "reset past the bound"
verify_pages a "$ra" "reset past the bound"
rearm_memhog a "$ra"
pass "a reset lasting past the bound: one copy, on A, every page intact"

# A destination of protocol 1.2 resumes nothing: the reset rolls the move
# back as before (A asks B to end its copy on a fresh connection and thaws).
restart_b_with CORRAL_TEST_PROTO_VERSION=1.2
lazy_fault ip netns exec "$na" ss -K dst "10.216.$x.2"
lazy_fault_end
[ "$mover_rc" -ne 0 ] || fail "connections reset, B of 1.2: movewpar succeeded"
assert_contains "$(cat "$work/fault.out")" "page data" "connections reset, B of 1.2: the report names the page transfer"
b_cleaned
only_on "$ra" "$rb" a "connections reset, B of 1.2"
verify_pages a "$ra" "connections reset, B of 1.2"
rearm_memhog a "$ra"
restart_b_with
pass "movewpar's connections reset, B of protocol 1.2: one copy, on A, every page intact"

# A's corrald killed in the lazy phase: movewpar is the client, A's corrald
# only answers B's questions; the move completes, every page verified on B.
restart_a() {
	wait "$pa" 2>/dev/null || true
	rm -f "$ra/run/corral/corrald.sock"
	start_a
	corrald_ready "$ra" "$pa"
}
lazy_fault kill -9 "$pa"
lazy_fault_end
restart_a
[ "$mover_rc" -eq 0 ] || fail "A's corrald killed: movewpar failed"
only_on "$rb" "$ra" b "A's corrald killed"
verify_pages b "$rb" "A's corrald killed"
rearm_memhog b "$rb"
out=$(on_b "$bin/movewpar" --mode stop-copy pc a 2>&1) || fail "back to A: $out"
rearm_memhog a "$ra"
pass "A's corrald killed in the lazy phase: the move completed, every page verified on B"

# B's corrald killed in the lazy phase (its connections die with it): B's
# guard ends the copy there when its lazy-pages loses the pages; A cannot
# reach B, waits out B's idle timeout and thaws its copy, every page intact;
# B's next corrald finds the relocation record, asks A and removes what is
# left there.
lazy_fault kill -9 "$pb"
lazy_fault_end
[ "$mover_rc" -ne 0 ] || fail "B's corrald killed: movewpar succeeded"
[ "$(memhogs)" = 1 ] || fail "B's corrald killed: memhog runs $(memhogs) times"
restart_b
b_cleaned
only_on "$ra" "$rb" a "B's corrald killed"
[ -z "$(lazy_daemon)" ] || fail "B's corrald killed: a lazy-pages daemon is left on B"
verify_pages a "$ra" "B's corrald killed"
pass "B's corrald killed in the lazy phase: one copy, on A, every page intact; B cleaned up"

# B answers the Restore, then hangs up that connection (the Commit comes on
# a fresh one). B settles a relocation whose connection ended by asking A
# what it decided (A records its decision before it acts on it: pending
# through the lazy phase, committed before its copy ends). Before, B judged
# by the partition's state on A and, seeing it neither Frozen nor gone while
# A ended it, removed its own copy: the partition ended on both hosts. The
# move completes, every page verified on B.
rearm_memhog a "$ra"
restart_b_with CORRAL_TEST_FAULT=hangup-after-restore
lazy_fault true
lazy_fault_end
[ "$mover_rc" -eq 0 ] || fail "Restore's connection hung up: movewpar failed"
grep -q "pc is in its hand-over there (its decision pending)" "$work/b.log" || fail "B did not wait for A's decision"
only_on "$rb" "$ra" b "Restore's connection hung up"
verify_pages b "$rb" "Restore's connection hung up"
[ -z "$(ls -A "$ra/var/lib/corral/outgoing" 2>/dev/null | grep relocation)" ] || fail "A kept the record of a confirmed relocation"
pass "Restore's connection hung up in the lazy phase: B waited for A's decision, the move completed, every page verified"

# B's unpack ahead outlasts B's idle timeout (5 s here; a fault point adds
# 7 s to it, as a loaded host's took 8 s): the pages' connection is made only
# once B has answered PrepareArrival. Before, it was made first and idled
# through the unpack, B dropped it, and the move failed after the freeze.
# back_to_a_b_faulted WHAT FAULT: pc from B back to A (stop-copy), then B's
# corrald restarted with the fault point FAULT.
back_to_a_b_faulted() {
	rearm_memhog b "$rb"
	out=$(on_b "$bin/movewpar" --mode stop-copy pc a 2>&1) || fail "back to A before $1: $out"
	rearm_memhog a "$ra"
	restart_b_with CORRAL_TEST_FAULT="$2"
}
back_to_a_b_faulted "the slow unpack" slow-unpack-ahead
out=$(on_a timeout 120 "$bin/movewpar" -t 15 --mode post-copy pc b 2>&1) || fail "slow unpack ahead on B: $out"
grep -q "file systems of pc unpacked ahead" "$work/b.log" || fail "slow unpack ahead: no unpack ahead on B"
only_on "$rb" "$ra" b "slow unpack ahead"
verify_pages b "$rb" "slow unpack ahead"
pass "B's unpack ahead outlasted its idle timeout: the move completed, every page verified on B"

# B's criu lazy-pages stops asking once the background push began (a fault
# point: B's relay hears it no more), as the lazy-pages of CRIU 4.1.1 did
# when it spun (scripts/criu-patches/0004). Before, only keepalives flowed
# until the dump's deadline (300 s + 1 s per MiB); now B's relay calls it a
# stall after 5 s without a page while A is heard, ends its copy and says
# so; A thaws its own: one copy, on A, every page intact. Meanwhile B's
# lazy-pages, whose requests wait for answers, waits with them (patch 0013,
# `criu check --feature lazy_idle_wait`): a CPU tenth at most over a second
# of the stall, where CRIU 4.1.1 polled without a timeout (a whole CPU).
back_to_a_b_faulted "the stall" lazy-pages-stall
t0=$(date +%s) n0=$(wc -l <"$work/b.log")
on_a timeout 200 "$bin/movewpar" --mode post-copy pc b >"$work/stall.out" 2>&1 &
mover=$!
if "${CORRAL_CRIU:-$(command -v criu)}" check --feature lazy_idle_wait >/dev/null 2>&1; then
	# the daemon's CPU ticks (user + system) over a second, once the stall began
	cpu_ticks_of() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null; }
	# restored there (the push begins): B's relay hears its daemon no more
	for _ in $(seq 100); do tail -n +"$((n0 + 1))" "$work/b.log" | grep -q "restored pc" && break; sleep 0.1; done
	sleep 1
	d=$(lazy_daemon | head -n 1)
	[ -n "$d" ] || fail "lazy-pages stalled: no lazy-pages daemon on B to watch"
	c0=$(cpu_ticks_of "$d") && sleep 1 && c1=$(cpu_ticks_of "$d") ||
		fail "lazy-pages stalled: B's daemon ended within 2 s of the stall"
	echo "B's lazy-pages used $((c1 - c0)) of $(getconf CLK_TCK) CPU ticks in a second of the stall"
	[ $((c1 - c0)) -le $(($(getconf CLK_TCK) / 10)) ] ||
		fail "lazy-pages stalled: B's daemon spun ($((c1 - c0)) ticks in a second) while its requests waited"
fi
wait "$mover" && fail "lazy-pages stalled: movewpar succeeded"
out=$(cat "$work/stall.out")
took=$(($(date +%s) - t0))
echo "$out"
[ "$took" -lt 60 ] || fail "lazy-pages stalled: the move took $took s to end"
assert_contains "$out" "goes on here" "lazy-pages stalled"
assert_contains "$out" "criu lazy-pages asked no page for 5000 ms while pages were still missing" "lazy-pages stalled"
b_cleaned
only_on "$ra" "$rb" a "lazy-pages stalled"
[ -z "$(lazy_daemon)" ] || fail "lazy-pages stalled: a lazy-pages daemon is left on B"
verify_pages a "$ra" "lazy-pages stalled"
pass "B's lazy-pages stalled in the lazy phase: ended in $took s, one copy, on A, every page intact"
