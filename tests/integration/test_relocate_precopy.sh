#!/usr/bin/env bash
# labels: root criu net slow
# timeout: 600
# The file systems pre-copied (issue 19, protocol 1.4): a post-copy move
# sends a level-0 archive of the partition's private / with PrepareArrival,
# the destination unpacks it before the source freezes, and the image
# carries only what changed since. Between the pre-copy and the freeze (the
# fault point pause-before-freeze holds the source 4 s) a file is created,
# one changed, one deleted, a directory made and one removed, while the
# partition itself rewrites a file every 0.1 s: the tree that arrives is
# exactly the source's at the freeze. The old path (CORRAL_FS_PRECOPY=0,
# or a destination of 1.3: the whole archive in the image) still works
# both ways. A move whose source
# dies after the pre-copy leaves nothing on the destination and the
# partition running on the source.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/hosts.sh"
need_root
command -v ip >/dev/null || skip "no ip (iproute2)"
bin=$CORRAL_BUILD_DIR/cli

hosts_names q
pa= pb= mv=
teardown() {
	set +e
	[ -n "$mv" ] && kill -9 "$mv" 2>/dev/null
	hosts_partitions_remove "$ra" "$cga"
	hosts_partitions_remove "$rb" "$cgb"
	for p in $pa $pb; do kill -9 "$p" 2>/dev/null; done
	hosts_criu_kill "$work"
	two_hosts_del "$na" "$nb"
	hosts_cgroups_remove "$cga" "$cgb"
	[ -n "${PRECOPY_TEST_KEEP:-}" ] || rm -rf "$work"
}
trap teardown EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log "$work"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
	KEPT_LOG_ROOTS="$ra $rb" show_kept_criu_logs
	exit 1
}

two_hosts "$na" "$nb" "$va" "$vb" "10.217.$x"
two_hosts_trust "$ra" "$rb" "10.217.$x" || fail "keys and trust"
lazy=$(CORRAL_ROOT=$ra "$bin/corral" check 2>&1 | grep -E '^[a-z]+ +lazy-pages ' || true)
case "$lazy" in
ok*) ;;
*) skip "post-copy does not work with this CRIU: $lazy" ;;
esac
start_corrald() { # HOST (a or b) [VAR=VALUE...]: its corrald, with that environment
	local h=$1 ns ip r cg
	shift
	if [ "$h" = a ]; then ns=$na ip=1 r=$ra cg=$cga; else ns=$nb ip=2 r=$rb cg=$cgb; fi
	nsenter --net=/run/netns/"$ns" env CORRAL_ROOT="$r" CORRAL_CGROUP_PARENT="$cg" "$@" "$bin/corrald" \
		--foreground --listen "10.217.$x.$ip" --timeout 20 2>>"$work/$h.log" >/dev/null &
	if [ "$h" = a ]; then pa=$!; else pb=$!; fi
	corrald_ready "$r" "$!"
}
start_corrald a
start_corrald b

state_on() { sed -n 's/^state=//p' "$1/var/lib/corral/$2/state" 2>/dev/null || echo none; }
# What the test's files are: names, kinds, sizes, modes and contents.
tree() { (cd "$1/wpars/pp/srv" && find . -printf '%p %y %s %m\n' | sort && find . -type f -exec md5sum {} + | sort); }
wait_log() { # FILE TEXT: up to 60 s
	for _ in $(seq 600); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	fail "no '$2' in $1"
}
nothing_on() { # ROOT WHAT
	[ ! -e "$1/etc/wpars/pp.spec" ] || fail "$2: pp is still defined on $1"
	[ ! -e "$1/wpars/pp" ] || fail "$2: $1 kept $(ls "$1/wpars/pp" | head)"
	[ -z "$(ls -A "$1/var/lib/corral/incoming" 2>/dev/null)" ] || fail "$2: $1 kept $(ls -A "$1/var/lib/corral/incoming")"
}

on_a "$bin/mkwpar" -c -n pp -h pp-host >/dev/null
s=$ra/wpars/pp/srv
mkdir -p "$s/keep" "$s/gone-dir"
echo same >"$s/keep/same.txt"
echo before >"$s/changed.txt"
echo bye >"$s/gone.txt"
echo bye >"$s/gone-dir/inside.txt"
echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /srv/ticks; sleep 0.1; done' >>"$ra/wpars/pp/etc/corral/services"
on_a "$bin/startwpar" pp >/dev/null
sleep 0.5

# A -> B: files change between the pre-copy and the freeze.
on_a env CORRAL_TEST_FAULT=pause-before-freeze "$bin/movewpar" --mode post-copy pp b >"$work/move1.out" 2>&1 &
mv=$!
wait_log "$work/b.log" "file systems of pp unpacked ahead"
[ -e "$rb/wpars/pp/srv/gone.txt" ] || fail "the pre-copy did not unpack the tree on B"
echo new >"$s/new.txt"
echo after >"$s/changed.txt"
rm "$s/gone.txt"
rm -r "$s/gone-dir"
mkdir "$s/new-dir" && echo hi >"$s/new-dir/made.txt"
rm -f "$s/ticks" # the partition writes it again: its content at the freeze
expect=$(tree "$ra")
wait "$mv" || fail "A -> B: $(cat "$work/move1.out")"
mv=
[ "$(state_on "$rb" pp)" = A ] || fail "pp is $(state_on "$rb" pp) on B, not A"
nothing_on "$ra" "after A -> B"
got=$(tree "$rb")
# ticks changes until the freeze: compare everything else exactly.
diff <(grep -v ticks <<<"$expect") <(grep -v ticks <<<"$got") >&2 || fail "the tree on B differs from A's at the freeze"
[ -s "$rb/wpars/pp/srv/ticks" ] || fail "the partition's own file did not arrive"
grep -q "file systems of pp unpacked in" "$work/b.log" || fail "B did not apply the level-1"
t1=$(read_whole "$rb/wpars/pp/srv/ticks"); sleep 0.5; t2=$(read_whole "$rb/wpars/pp/srv/ticks")
[ "$t2" -gt "$t1" ] || fail "pp does not run on B ($t1 -> $t2)"
pass "pre-copy A -> B: created, changed and deleted files and directories arrive exactly"

# B -> A the old way: the whole archive in the image.
n=$(grep -c "unpacked ahead" "$work/a.log" || true)
out=$(on_b env CORRAL_FS_PRECOPY=0 "$bin/movewpar" --mode post-copy pp a 2>&1) || fail "B -> A without pre-copy: $out"
[ "$(grep -c "unpacked ahead" "$work/a.log" || true)" = "$n" ] || fail "CORRAL_FS_PRECOPY=0 pre-copied"
[ "$(state_on "$ra" pp)" = A ] || fail "pp is $(state_on "$ra" pp) on A, not A"
nothing_on "$rb" "after B -> A"
diff <(grep -v ticks <<<"$expect") <(tree "$ra" | grep -v ticks) >&2 || fail "the tree back on A differs"
pass "without pre-copy B -> A: the whole archive in the image, tree intact"

# A -> B to a destination of 1.3 (no pre-copy announced): the old path.
kill "$pb"; wait "$pb" 2>/dev/null || true
start_corrald b CORRAL_TEST_PROTO_VERSION=1.3
n=$(grep -c "unpacked ahead" "$work/b.log")
out=$(on_a "$bin/movewpar" --mode post-copy pp b 2>&1) || fail "A -> B (1.3): $out"
[ "$(grep -c "unpacked ahead" "$work/b.log")" = "$n" ] || fail "a destination of 1.3 was sent a pre-copy"
[ "$(state_on "$rb" pp)" = A ] || fail "pp is $(state_on "$rb" pp) on B (1.3), not A"
nothing_on "$ra" "after A -> B (1.3)"
diff <(grep -v ticks <<<"$expect") <(tree "$rb" | grep -v ticks) >&2 || fail "the tree on B (1.3) differs"
out=$(on_b "$bin/movewpar" --mode post-copy pp a 2>&1) || fail "B (1.3) -> A: $out"
[ "$(state_on "$ra" pp)" = A ] || fail "pp is $(state_on "$ra" pp) back on A, not A"
kill "$pb"; wait "$pb" 2>/dev/null || true
start_corrald b
pass "a destination of 1.3 gets the whole archive in the image"

# A -> B, the source dies after the pre-copy: B removes all it made.
on_a env CORRAL_TEST_FAULT=pause-before-freeze "$bin/movewpar" --mode post-copy pp b >"$work/move3.out" 2>&1 &
mv=$!
n=$(grep -c "unpacked ahead" "$work/b.log")
for _ in $(seq 600); do [ "$(grep -c "unpacked ahead" "$work/b.log")" -gt "$n" ] && break; sleep 0.1; done
[ "$(grep -c "unpacked ahead" "$work/b.log")" -gt "$n" ] || fail "the third move did not pre-copy"
pkill -9 -P "$mv" 2>/dev/null || true
kill -9 "$mv" 2>/dev/null || true
wait "$mv" 2>/dev/null || true
mv=
for _ in $(seq 100); do [ ! -e "$rb/wpars/pp" ] && [ ! -e "$rb/etc/wpars/pp.spec" ] && break; sleep 0.1; done
nothing_on "$rb" "after the source died"
[ "$(state_on "$ra" pp)" = A ] || fail "pp is $(state_on "$ra" pp) on A after its move died, not A"
pass "a move whose source died after the pre-copy leaves nothing on B"


# A -> B, B's corrald and everything in its namespace killed as soon as the
# file systems are unpacked ahead (while pp is being defined, before the
# record says so), and started again at once: the new corrald removes the
# definition all the same (it was left Defined on B before).
on_a env CORRAL_TEST_FAULT=pause-before-freeze "$bin/movewpar" --mode post-copy pp b >"$work/move4.out" 2>&1 &
mv=$!
n=$(grep -c "unpacked ahead" "$work/b.log")
for _ in $(seq 600); do [ "$(grep -c "unpacked ahead" "$work/b.log")" -gt "$n" ] && break; sleep 0.01; done
[ "$(grep -c "unpacked ahead" "$work/b.log")" -gt "$n" ] || fail "the fourth move did not pre-copy to B"
for p in $(ip netns pids "$nb") $pb; do kill -9 "$p" 2>/dev/null || true; done
wait "$pb" 2>/dev/null || true
for p in $(cat /sys/fs/cgroup/pids/"$cgb"/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
start_corrald b
wait "$mv" 2>/dev/null || true
mv=
for _ in $(seq 100); do [ ! -e "$rb/wpars/pp" ] && [ ! -e "$rb/etc/wpars/pp.spec" ] && break; sleep 0.1; done
sleep 6 # a monitor that survived gives up 5 s after its corrald (EARLY_END_MS)
nothing_on "$rb" "after B's corrald was killed and restarted at once"
[ "$(state_on "$ra" pp)" = A ] || fail "pp is $(state_on "$ra" pp) on A after B's corrald died, not A"
pass "B's corrald killed after the preparation and restarted at once: nothing left on B"
