#!/usr/bin/env bash
# labels: root criu net slow
# timeout: 600
# Live relocation between two "hosts": network namespaces joined by a veth,
# each with its own CORRAL_ROOT, cgroup parent, host key, trusted-peers and
# corrald. A checkpointable partition running the zdtm workloads moves A -> B
# -> A with movewpar; the workloads verify their state at the end, and the
# partition exists on exactly one host after every move. Then the faults:
# dry run, untrusted peer, unreachable peer, protocol version mismatch, name
# taken on the destination, restore failing there, destination corrald killed
# mid-stream. After each: one Active copy, on the source, its state intact,
# nothing left on the destination. Last, movewpar --static.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/zdtm.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/hosts.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/tmpfs_state.sh"
need_root
command -v ip >/dev/null || skip "no ip (iproute2)"
bin=$CORRAL_BUILD_DIR/cli
command -v criu >/dev/null || skip "no criu"

hosts_names m
rc=$work/c
pa= pb=
teardown() {
	set +e
	hosts_partitions_remove "$ra" "$cga"
	hosts_partitions_remove "$rb" "$cgb"
	for p in $pa $pb; do kill -9 "$p" 2>/dev/null; done
	# Whatever a corrald left running in its namespace (a lazy-pages guard).
	for p in $(ip netns pids "$na" 2>/dev/null) $(ip netns pids "$nb" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	umount -l "$rb/run/corral" 2>/dev/null
	two_hosts_del "$na" "$nb"
	hosts_cgroups_remove "$cga" "$cgb"
	rm -rf "$work"
}
trap teardown EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do echo "--- $f" >&2; tail -30 "$f" >&2; done
	for h in a b; do
		for l in "$work/$h"/var/lib/corral/*/log; do [ -f "$l" ] && { echo "--- $l" >&2; tail -20 "$l" >&2; }; done
	done
	KEPT_LOG_ROOTS="$ra $rb" show_kept_criu_logs
	exit 1
}

two_hosts "$na" "$nb" "$va" "$vb" "10.215.$x"

for r in "$ra" "$rb" "$rc"; do
	mkdir -p "$r"
	CORRAL_ROOT=$r "$bin/corral" keygen >/dev/null 2>&1
done
CORRAL_ROOT=$ra "$bin/corral" trust b "10.215.$x.2" "$rb/etc/corral/host.pub"
CORRAL_ROOT=$rb "$bin/corral" trust a "10.215.$x.1" "$ra/etc/corral/host.pub"
# "stranger" answers at B's address with a key B does not have.
CORRAL_ROOT=$ra "$bin/corral" trust stranger "10.215.$x.2" "$rc/etc/corral/host.pub"
# "nowhere" is trusted but nobody listens there.
CORRAL_ROOT=$ra "$bin/corral" trust nowhere "10.215.$x.9" "$rb/etc/corral/host.pub"

start_a() {
	nsenter --net=/run/netns/"$na" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" "$bin/corrald" --foreground \
		--listen "10.215.$x.1" --timeout 20 2>>"$work/a.log" >/dev/null &
	pa=$!
}
b_env=() b_args=() # extra environment and options for B's corrald
start_b() {
	nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" ${b_env[@]+"${b_env[@]}"} \
		"$bin/corrald" --foreground --listen "10.215.$x.2" --timeout 10 ${b_args[@]+"${b_args[@]}"} \
		2>>"$work/b.log" >/dev/null &
	pb=$!
}
restart_b() {
	kill "$pb" 2>/dev/null || true
	wait "$pb" 2>/dev/null || true
	rm -f "$rb/run/corral/corrald.sock"
	start_b
	corrald_ready "$rb" "$pb"
}
start_a
start_b
corrald_ready "$ra" "$pa"
corrald_ready "$rb" "$pb"

state_on() { sed -n 's/^state=//p' "$1/var/lib/corral/$2/state" 2>/dev/null || echo none; }
counter_on() { cat "$1/wpars/mv/tmp/zdtm_counter/count" 2>/dev/null || echo 0; }
# Exactly one copy, Active, on host root $1; nothing of it under root $2.
only_on() {
	[ "$(state_on "$1" mv)" = A ] || fail "$3: mv is $(state_on "$1" mv) on $1, not A"
	[ ! -e "$2/etc/wpars/mv.spec" ] || fail "$3: mv is still defined on $2"
	[ ! -e "$2/wpars/mv" ] || fail "$3: mv's file systems are left on $2"
	[ -z "$(ls -A "$2/var/lib/corral/incoming" 2>/dev/null)" ] || fail "$3: $2 kept $(ls -A "$2/var/lib/corral/incoming")"
	[ "$(counter_copies)" = "${4:-1}" ] || fail "$3: zdtm_counter runs $(counter_copies) times"
}
# Copies of the zdtm_counter in this test's partitions (other tests may run their own).
counter_copies() {
	local n=0 p
	for p in $(pgrep -f '^/root/zdtm_counter /tmp/zdtm_counter' || true); do
		grep -q "corral-test-$$-" "/proc/$p/cgroup" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
# The partition on host root $1 goes on running.
ticks() { read_whole "$1/wpars/mv/tmp/ticks"; }
ticks_go_on() {
	local a b
	a=$(ticks "$1")
	sleep 0.4
	b=$(ticks "$1")
	[ "$b" -gt "$a" ] || fail "$2: the partition does not run on $1 ($a -> $b)"
}
# refused WHAT TEXT MOVEWPAR-ARGS...: one clear line, and nothing changed.
refused() {
	local what=$1 text=$2 out
	shift 2
	if out=$(on_a "$bin/movewpar" --mode stop-copy "$@" 2>&1); then fail "$what: movewpar succeeded: $out"; fi
	assert_contains "$out" "$text" "$what"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$what: not a one-line error: $out"
	only_on "$ra" "$rb" "$what"
	ticks_go_on "$ra" "$what"
	pass "$what: refused ($out), still running on A"
}
# Start a move over a slowed link; once B is unpacking, run "$@".
interrupt_midstream() {
	ip netns exec "$na" tc qdisc add dev "$va" root tbf rate 4mbit burst 32kbit latency 400ms
	on_a "$bin/movewpar" --mode stop-copy -t 5 mv b >"$work/mid.out" 2>&1 &
	local mover=$! i
	for i in $(seq 1200); do
		[ -n "$(find "$rb/var/lib/corral/incoming" "$rb/run/corral" -mindepth 2 -type f 2>/dev/null | head -1)" ] &&
			break
		kill -0 "$mover" 2>/dev/null || fail "movewpar ended before the stream reached B: $(cat "$work/mid.out")"
		sleep 0.05
	done
	[ "$i" -lt 1200 ] || fail "the stream never reached B"
	"$@"
	if wait "$mover"; then fail "movewpar survived: $(cat "$work/mid.out")"; fi
	ip netns exec "$na" tc qdisc del dev "$va" root
	cat "$work/mid.out"
}

# The partition: zdtm workloads plus a process that keeps a shell counter.
ZDTM_PROGRAMS="zdtm_counter zdtm_file_offset zdtm_pipe zdtm_socketpair zdtm_timerfd zdtm_shm zdtm_tcp_listen zdtm_tree"
on_a "$bin/mkwpar" -c -n mv -h mv-host >/dev/null
CORRAL_ROOT=$ra zdtm_install mv
echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; sleep 0.1; done' >> "$ra/wpars/mv/etc/corral/services"
echo "data written before the move" > "$ra/wpars/mv/home/note"
on_a "$bin/startwpar" mv >/dev/null
CORRAL_ROOT=$ra zdtm_wait_ready mv
TMPFS_STATE_FILE=$work/tmpfs.state
counter_pid() { CORRAL_ROOT=$1 CORRAL_CGROUP_PARENT=$2 zdtm_host_pid mv zdtm_counter; }
tmpfs_plant "$(counter_pid "$ra" "$cga")"
pass "partition running on A"

# Pre-flight only.
out=$(on_a "$bin/movewpar" --mode stop-copy --dry-run mv b) || fail "dry run: $out"
assert_contains "$out" "pre-flight passed" "dry run"
only_on "$ra" "$rb" "dry run"

# The faults: each refused with one clear line, the partition untouched.
refused "unknown peer" "is not in" mv 10.215.$x.77
refused "wrong server key" "but trusted-peers lists" mv stranger
refused "unreachable peer" "nowhere" -t 3 mv nowhere
b_env=(CORRAL_TEST_PROTO_VERSION=2.0)
restart_b
refused "protocol mismatch" "protocol version" mv b
b_env=()
restart_b
on_b "$bin/mkwpar" -n mv >/dev/null
if out=$(on_a "$bin/movewpar" --mode stop-copy mv b 2>&1); then fail "name taken: moved"; fi
assert_contains "$out" "a partition named mv already exists here" "name taken"
on_b "$bin/rmwpar" mv >/dev/null
only_on "$ra" "$rb" "name taken"
pass "name taken on B: refused at pre-flight"
b_args=(--corral /bin/false)
restart_b
refused "restore failing on B" "cannot restore mv here" mv b

# Prepared ahead (issue 19): a post-copy move has B define mv and start its
# monitor before A freezes. A monitor that cannot run here never says it
# waits: the preparation is refused and undone, the Restore fails as above.
# No cgroup, no state of mv on B.
nothing_left_on_b() {
	local c
	for c in /sys/fs/cgroup/*/"$cgb"/mv /sys/fs/cgroup/"$cgb"/mv; do
		[ ! -d "$c" ] || fail "$1: B left the cgroup $c"
	done
	[ "$(state_on "$rb" mv)" = none ] || fail "$1: mv is $(state_on "$rb" mv) on B"
	# The page connection's process ends its daemon as the move fails (bounded).
	for _ in $(seq 100); do [ -z "$(lazy_daemons_on_b)" ] && break; sleep 0.1; done
	[ -z "$(lazy_daemons_on_b)" ] || fail "$1: B left criu lazy-pages running: $(lazy_daemons_on_b)"
}
# The criu lazy-pages processes in B's network namespace (pids).
lazy_daemons_on_b() {
	local p
	for p in $(ip netns pids "$nb" 2>/dev/null); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^criu lazy-pages "; then echo "$p"; fi
	done
}
# Whether this host's criu starts lazy-pages before its images are there
# (scripts/criu-patches/0008): B then prepares the daemon with the rest.
criu_lazy_early() {
	local c=${CORRAL_CRIU:-$(command -v criu || echo /usr/local/sbin/criu)} d p ok=1
	d=$(mktemp -d "$work/lazy-probe.XXXXXX")
	(cd "$d" && exec timeout 5 "$c" lazy-pages --no-default-config -D "$d" -W "$d" -o probe.log) >/dev/null 2>&1 &
	p=$!
	for _ in $(seq 50); do
		if [ -S "$d/lazy-pages.socket" ]; then ok=0; break; fi
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	rm -rf "$d"
	return $ok
}
# post_copy_fails WHAT TEXT: a post-copy move to B fails saying TEXT (or
# post-copy is not proven here: 1), and nothing of mv is left on B.
post_copy_fails() {
	local out
	if out=$(on_a "$bin/movewpar" --mode post-copy mv b 2>&1); then fail "$1: moved"; fi
	if printf '%s\n' "$out" | grep -q "post-copy cannot move"; then
		echo "skip: $1: post-copy not proven here"
		return 1
	fi
	assert_contains "$out" "$2" "$1"
	only_on "$ra" "$rb" "$1"
	nothing_left_on_b "$1"
	ticks_go_on "$ra" "$1"
}
if post_copy_fails "monitor failing, prepared ahead" "cannot restore mv here"; then
	grep -q "prepare_arrival refused: cannot prepare mv here: the monitor of mv did not get ready" "$work/b.log" ||
		fail "monitor failing, prepared ahead: B did not refuse the preparation"
	pass "prepared ahead with a monitor that cannot run: refused and undone, nothing left on B"
fi
b_args=()
# The image is refused after B prepared mv: A aborts, B undoes it all.
b_env=(CORRAL_TEST_FAULT=refuse-image)
restart_b
if post_copy_fails "prepared, then the image refused" "test fault refuse-image"; then
	grep -q "mv prepared here" "$work/b.log" || fail "prepared, then the image refused: B did not prepare mv"
	# With a criu that starts early, B had its lazy-pages daemon waiting
	# (nothing_left_on_b: gone with the rest).
	if criu_lazy_early; then
		if grep -q "mv: no lazy-pages daemon ahead" "$work/b.log"; then
			fail "prepared, then the image refused: $(grep "no lazy-pages daemon ahead" "$work/b.log")"
		fi
		pass "prepared ahead (its lazy-pages daemon too), then the image refused: nothing left on B"
	fi
	pass "prepared ahead, then the image refused: nothing left on B, still running on A"
fi
b_env=()
restart_b
# The source goes away after B prepared mv (its monitor started, waiting),
# before any image: B removes it all when the connection ends.
out=$(on_a "$bin/corral-peer-probe" --spec "$ra/etc/wpars/mv.spec" prepare-arrival b mv 2>&1) ||
	fail "prepare-arrival: $out"
assert_contains "$out" "mv prepared" "prepared, then the connection ended"
for _ in $(seq 150); do
	[ ! -e "$rb/etc/wpars/mv.spec" ] && [ -z "$(ls -A "$rb/var/lib/corral/incoming")" ] && break
	sleep 0.1
done
only_on "$ra" "$rb" "prepared, then the connection ended"
nothing_left_on_b "prepared, then the connection ended"
grep -q "the relocation prepared here went no further: removed" "$work/b.log" ||
	fail "prepared, then the connection ended: B did not say it removed mv"
pass "prepared ahead, then the source went away: nothing left on B"
mkdir -p "$rb/var/lib/corral/incoming"
mount -t tmpfs -o size=256k corral-test-full "$rb/var/lib/corral/incoming"
refused "B's disk full" "No space left" mv b
umount "$rb/var/lib/corral/incoming"

# From here B's /run/corral is a tmpfs, as on most hosts: a relocation's
# image is unpacked there (incoming/NAME.d links to it), not on a disk.
mount -t tmpfs -o size=1g,mode=0755 corral-test-run "$rb/run/corral"
restart_b
landed() { find "$rb/run/corral" -maxdepth 1 -name '*corral-incoming-*'; }
on_tmpfs_then() { [ -n "$(landed)" ] || fail "B does not unpack on its tmpfs"; "$@"; }

interrupt_midstream on_tmpfs_then kill -9 "$pb"
restart_b # sweeps what the dead connection left
[ -z "$(landed)" ] || fail "B's corrald killed mid-stream: left $(landed)"
only_on "$ra" "$rb" "B's corrald killed mid-stream"
ticks_go_on "$ra" "B's corrald killed mid-stream"
pass "B's corrald killed mid-stream: still running on A"
interrupt_midstream ip -n "$na" link set "$va" down
ip -n "$na" link set "$va" up
for _ in $(seq 250); do [ -z "$(ls -A "$rb/var/lib/corral/incoming")$(landed)" ] && break; sleep 0.1; done
[ -z "$(landed)" ] || fail "link down mid-stream: B left $(landed)"
only_on "$ra" "$rb" "link down mid-stream"
ticks_go_on "$ra" "link down mid-stream"
pass "link down mid-stream: still running on A, B cleaned up after its timeout"

# The answer to Restore is lost: A goes on; B asks A, finds it running, and
# removes its Paused copy.
b_env=(CORRAL_TEST_FAULT=drop-after-restore)
restart_b
if out=$(on_a "$bin/movewpar" --mode stop-copy mv b 2>&1); then fail "lost answer: moved"; fi
b_env=()
for _ in $(seq 150); do
	[ ! -e "$rb/etc/wpars/mv.spec" ] && [ -z "$(ls -A "$rb/var/lib/corral/incoming")" ] && break
	sleep 0.1
done
only_on "$ra" "$rb" "answer to Restore lost"
ticks_go_on "$ra" "answer to Restore lost"
grep -q "mv goes on there (decided): the relocation is aborted here" "$work/b.log" || fail "B did not settle by asking A"
pass "answer to Restore lost: A went on, B asked A and removed its copy"

# B's corrald dies between Restore and Commit: A goes on; B's Paused copy
# waits, resumewpar refuses it without -F, and the next corrald on B asks A
# and removes it.
b_env=(CORRAL_TEST_FAULT=die-after-restore)
restart_b
if out=$(on_a "$bin/movewpar" --mode stop-copy mv b 2>&1); then fail "corrald died: moved"; fi
b_env=()
wait "$pb" 2>/dev/null || true
[ -e "$rb/var/lib/corral/incoming/mv.relocation" ] || fail "corrald died: no relocation record on B"
[ "$(state_on "$rb" mv)" = P ] || fail "corrald died: the copy on B is $(state_on "$rb" mv), not P"
if out=$(on_b "$bin/resumewpar" mv 2>&1); then fail "resumewpar resumed an unsettled relocation"; fi
assert_contains "$out" "mv was relocated here from a and the hand-over is not settled" "resumewpar refusal"
ticks_go_on "$ra" "corrald died"
restart_b
for _ in $(seq 150); do
	[ ! -e "$rb/etc/wpars/mv.spec" ] && [ -z "$(ls -A "$rb/var/lib/corral/incoming")" ] && break
	sleep 0.1
done
only_on "$ra" "$rb" "corrald died after Restore"
grep -q "mv: a relocation from a was left unsettled by an earlier corrald" "$work/b.log" ||
	fail "B's new corrald did not find the record"
grep -q "mv goes on there (decided): the relocation is aborted here" "$work/b.log" || fail "B did not settle by asking A"
pass "corrald died after Restore: A went on, B's next corrald asked A and removed its copy"
restart_b

# A -> B.
t0=$(ticks "$ra")
out=$(on_a "$bin/movewpar" --mode stop-copy -v mv b 2>&1) || fail "move A -> B: $out"
echo "$out"
assert_contains "$out" "relocated to b" "move A -> B"
assert_contains "$out" "downtime" "move A -> B"
# CRIU's images went to B as CRIU wrote them (format 2.1), none staged on A.
assert_contains "$out" "(streamed to the peer)" "move A -> B"
only_on "$rb" "$ra" "after A -> B"
[ -z "$(landed)" ] || fail "after A -> B: the unpacked image is left: $(landed)"
[ "$(cat "$rb/wpars/mv/home/note")" = "data written before the move" ] || fail "file systems did not move"
nice_kept "$rb" mv # restored by a stop-copy arrival: its monitor started inside the window
on_b "$bin/lswpar" mv | grep -q "^mv  *A  *S" || fail "lswpar on B: $(on_b "$bin/lswpar" mv)"
sleep 0.5
t1=$(ticks "$rb")
[ "$t1" -gt "$t0" ] || fail "the shell's counter did not go on ($t0 -> $t1)"
[ "$t1" -lt $((t0 + 200)) ] || fail "the shell's counter restarted? ($t0 -> $t1)"
on_b "$bin/clogin" mv hostname | grep -qx mv-host || fail "hostname after the move"
# The system-call filter and the read-only /proc/sys moved with it (issue 14).
on_b "$bin/clogin" mv sh -c 'grep -q "^Seccomp:[[:space:]]*2" /proc/1/status && ! (echo 0 > /proc/sys/kernel/panic) 2>/dev/null' ||
	fail "the partition's seccomp filter or read-only /proc/sys did not survive the move"
tmpfs_check "$(counter_pid "$rb" "$cgb")" "A -> B"
pass "A -> B"
# A Commit repeated after B committed (its answer lost with the link) is
# answered as done, for that relocation only.
id=$(cat "$rb/var/lib/corral/mv/arrival" 2>/dev/null) || fail "B did not record the relocation's id"
on_a "$bin/corral-peer-probe" commit b mv "$id" || fail "a repeated Commit was refused"
if on_a "$bin/corral-peer-probe" commit b mv 00ff 2>/dev/null; then fail "a Commit of an unknown relocation was accepted"; fi
pass "a repeated Commit is answered as committed"

# B -> A: back where it came from, post-copy where both hosts proved it
# (the faults above are the stop-copy's; test_relocate_postcopy has its own).
# B's copy cannot be stopped once A's runs (fault end-copy-fails): the move
# succeeds all the same, the user is warned in one line naming the partition
# and the host, and removing the partition on B ends that copy.
out=$(on_b env CORRAL_TEST_FAULT=end-copy-fails "$bin/movewpar" --mode auto mv a 2>&1) || fail "move B -> A: $out"
echo "$out"
assert_contains "$out" "movewpar: warning: mv runs on a now, but its old copy on $(hostname) was not ended" \
	"copy on B not ended"
[ "$(printf '%s\n' "$out" | grep -c warning)" = 1 ] || fail "copy on B not ended: not one warning line: $out"
only_on "$ra" "$rb" "after B -> A"
tmpfs_check "$(counter_pid "$ra" "$cga")" "B -> A"
CORRAL_ROOT=$ra CORRAL_CGROUP_PARENT=$cga zdtm_verify mv
pass "B -> A, every workload verified its state; B's copy that did not stop was reported and removed"

# The Commit is lost: A has ended its copy; B asks A, finds it gone, and
# resumes its own.
if out=$(on_a env CORRAL_TEST_FAULT=lose-commit "$bin/movewpar" --mode stop-copy mv b 2>&1); then fail "lost commit: no error"; fi
assert_contains "$out" "hand-over was not confirmed" "lost commit"
for _ in $(seq 150); do [ "$(state_on "$rb" mv)" = A ] && break; sleep 0.1; done
only_on "$rb" "$ra" "Commit lost" 0
ticks_go_on "$rb" "Commit lost"
grep -q "mv has ended there (decided): the relocation is committed here" "$work/b.log" || fail "B did not settle by asking A"
pass "Commit lost: B asked A, found it ended there, and resumed its copy"

# --static: stopped there, started here from its file systems.
out=$(on_b "$bin/movewpar" --static mv a 2>&1) || fail "static move: $out"
assert_contains "$out" "stopped and started again" "static move"
only_on "$ra" "$rb" "static move"
ticks_go_on "$ra" "static move"
[ "$(cat "$ra/wpars/mv/home/note")" = "data written before the move" ] || fail "static move lost the file systems"
nice_kept "$ra" mv # started afresh inside the window
pass "movewpar --static"

# Where CRIU's images cannot stream (CORRAL_CHECKPOINT_STREAM=0 stands in for
# a CRIU without the stream option): dumped to a work directory, then sent
# as a format 1.1 image; the partition arrives all the same.
out=$(on_a env CORRAL_CHECKPOINT_STREAM=0 "$bin/movewpar" --mode stop-copy -v mv b 2>&1) || fail "staged move: $out"
assert_contains "$out" "relocated to b" "staged move"
case $out in *"streamed to the peer"*) fail "staged move: it streamed: $out" ;; esac
only_on "$rb" "$ra" "staged move"
ticks_go_on "$rb" "staged move"
[ "$(cat "$rb/wpars/mv/home/note")" = "data written before the move" ] || fail "staged move lost the file systems"
pass "a stop-copy move without streaming sends the staged image"

# A peer of protocol 1.1 (A advertises it): no PrepareArrival, no pipelined
# image or Restore; a post-copy move B -> A goes the old way all the same.
prepared_before=$(grep -c "prepare_arrival\|prepared here" "$work/a.log" || true)
kill "$pa" 2>/dev/null || true
wait "$pa" 2>/dev/null || true
rm -f "$ra/run/corral/corrald.sock"
nsenter --net=/run/netns/"$na" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" CORRAL_TEST_PROTO_VERSION=1.1 \
	"$bin/corrald" --foreground --listen "10.215.$x.1" --timeout 20 2>>"$work/a.log" >/dev/null &
pa=$!
corrald_ready "$ra" "$pa"
if out=$(on_b "$bin/movewpar" --mode post-copy mv a 2>&1); then
	only_on "$ra" "$rb" "post-copy to a 1.1 peer"
	ticks_go_on "$ra" "post-copy to a 1.1 peer"
	[ "$(grep -c "prepare_arrival\|prepared here" "$work/a.log" || true)" = "$prepared_before" ] ||
		fail "post-copy to a 1.1 peer: it was sent a PrepareArrival"
	pass "post-copy to a peer of protocol 1.1: neither prepared nor pipelined, moved all the same"
elif printf '%s\n' "$out" | grep -q "post-copy cannot move"; then
	echo "skip: post-copy to a 1.1 peer: post-copy not proven here"
else
	fail "post-copy to a 1.1 peer: $out"
fi
