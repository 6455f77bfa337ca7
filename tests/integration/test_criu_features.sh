#!/usr/bin/env bash
# labels: root criu net slow
# timeout: 1200
# Hosts upgraded one at a time (scripts/criu-patches/0009, tmpfs-plain-tar):
# host A runs the installed CRIU (with 0009), host B and the restarting host C
# a CRIU without it ($CORRAL_CRIU, built by scripts/criu-without-0009.sh). A
# snapshot taken on A records that its restore needs tmpfs-plain-tar, and
# restartwpar with the old CRIU refuses it in one line before anything
# changes; the same image restarts with the installed CRIU, tmpfs contents
# intact. A move A -> B is dumped as CRIU's tar.gz (the dry run says so): B's
# old CRIU restores it, tmpfs contents intact.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/hosts.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/zdtm.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/tmpfs_state.sh"
need_root
for c in ip criu; do command -v "$c" >/dev/null || skip "no $c"; done
bin=$CORRAL_BUILD_DIR/cli
old=${CORRAL_CRIU_WITHOUT_0009:-$CORRAL_BUILD_DIR/criu-without-0009/criu-4.1.1/criu/criu}
# Built once per build directory (about a minute) from the tarball scripts/deps.sh keeps.
if [ ! -x "$old" ] && [ -z "${CORRAL_CRIU_WITHOUT_0009:-}" ]; then
	"$CORRAL_SOURCE_DIR/scripts/criu-without-0009.sh" "$CORRAL_BUILD_DIR/criu-without-0009" >/dev/null ||
		skip "cannot build a CRIU without 0009 (scripts/criu-without-0009.sh)"
fi
[ -x "$old" ] || skip "no CRIU without 0009 at $old"

x=$(($$ % 200 + 20))
na=crfA$$ nb=crfB$$ va=crfvA$$ vb=crfvB$$
work=$(mktemp -d /tmp/corral-test-criufeat-XXXXXX)
ra=$work/a rb=$work/b rc=$work/c
pb=
teardown() {
	set +e
	for h in a b c; do
		hosts_partitions_remove "$work/$h" "corral-test-$$-$h"
		hosts_cgroups_remove "corral-test-$$-$h"
	done
	[ -z "$pb" ] || { kill "$pb" 2>/dev/null; wait "$pb" 2>/dev/null; }
	two_hosts_del "$na" "$nb"
	rm -rf "$work"
}
trap teardown EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.out "$work"/b.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
	KEPT_LOG_ROOTS="$ra $rb $rc" show_kept_criu_logs
	exit 1
}
on_a() { nsenter --net=/run/netns/"$na" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="corral-test-$$-a" "$@"; }
on_c() { env CORRAL_ROOT="$rc" CORRAL_CGROUP_PARENT="corral-test-$$-c" "$@"; }

mkdir -p "$ra" "$rc"
CORRAL_ROOT=$ra "$bin/corral" check >/dev/null 2>&1 || true
CORRAL_ROOT=$ra "$bin/corral" check 2>/dev/null | grep -q '^ok *criu-tmpfs-tar' ||
	skip "the installed CRIU lacks tmpfs-plain-tar: run scripts/deps.sh"
out=$(CORRAL_CRIU=$old CORRAL_ROOT=$rc "$bin/corral" check 2>&1 || true)
printf '%s\n' "$out" | grep -q '^ok *criu-check' || fail "the CRIU without 0009 does not work here: $out"
printf '%s\n' "$out" | grep -q '^ok *criu-tmpfs-tar' && fail "a CRIU without 0009 claims tmpfs-plain-tar"
pass "corral check: the installed CRIU has tmpfs-plain-tar, $old has not"

two_hosts "$na" "$nb" "$va" "$vb" "10.213.$x"
two_hosts_trust "$ra" "$rb" "10.213.$x" || fail "host keys and trust"
nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="corral-test-$$-b" CORRAL_CRIU="$old" \
	"$bin/corrald" --foreground --listen "10.213.$x.2" 2>>"$work/b.log" >/dev/null &
pb=$!
corrald_ready "$rb" "$pb"

ZDTM_PROGRAMS="zdtm_counter"
on_a "$bin/mkwpar" -c -n mv >/dev/null || fail "mkwpar"
CORRAL_ROOT=$ra zdtm_install mv
on_a "$bin/startwpar" mv >/dev/null || fail "startwpar"
CORRAL_ROOT=$ra zdtm_wait_ready mv
TMPFS_STATE_FILE=$work/tmpfs.state
counter_pid() { CORRAL_ROOT=$1 CORRAL_CGROUP_PARENT=corral-test-$$-$2 zdtm_host_pid mv zdtm_counter; }
tmpfs_plant "$(counter_pid "$ra" a)"

# A snapshot on A, restored by this host's CRIU: the plain tar, recorded.
on_a "$bin/chkptwpar" -o "$work/snap.wpar" mv >"$work/chkpt.out" 2>&1 || fail "chkptwpar: $(cat "$work/chkpt.out")"
assert_contains "$(on_a "$bin/corral" image info "$work/snap.wpar")" "criu needs:   tmpfs-plain-tar" \
	"the image records what its restore needs"
entries=$(on_a "$bin/corral" image ls "$work/snap.wpar")
# (a streamed image names CRIU's files as its streamer heard them: ".img" added)
printf '%s\n' "$entries" | grep -q 'tmpfs-dev-[0-9]*\.tar\(\.img\)\?$' || fail "no plain tmpfs tar in the snapshot: $entries"
printf '%s\n' "$entries" | grep -q 'tmpfs-dev-[0-9]*\.tar\.gz' && fail "a tmpfs tar.gz in the snapshot: $entries"
pass "a snapshot dumped with the plain tmpfs tar says so in its manifest"

# C's CRIU lacks it: refused in one line, naming the feature and the fix; nothing changed.
if err=$(CORRAL_CRIU=$old on_c "$bin/restartwpar" -i "$work/snap.wpar" mv 2>&1); then
	fail "restartwpar with a CRIU without 0009 succeeded: $err"
fi
assert_contains "$err" "tmpfs-plain-tar" "the refusal names the CRIU feature"
assert_contains "$err" "scripts/deps.sh" "the refusal says how to get it"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "not a one-line error: $err"
[ ! -e "$rc/etc/wpars/mv.spec" ] || fail "the refused restart defined mv on C"
[ -z "$(ls -A "$rc/wpars" 2>/dev/null)" ] || fail "the refused restart left $(ls -A "$rc/wpars") on C"
pass "restartwpar with a CRIU without 0009 refuses: $err"

# The same image with the installed CRIU.
on_c "$bin/restartwpar" -i "$work/snap.wpar" mv >"$work/restart.out" 2>&1 || fail "restartwpar: $(cat "$work/restart.out")"
assert_eq "A" "$(CORRAL_ROOT=$rc state_of mv)" "restarted on C"
tmpfs_check "$(counter_pid "$rc" c)" "restart of the plain-tar image"
on_c "$bin/stopwpar" -F mv >/dev/null 2>&1 || true

# A -> B: B's CRIU lacks it, so the dump is CRIU's tar.gz.
out=$(on_a "$bin/movewpar" --dry-run mv b 2>&1) || fail "dry run: $out"
assert_contains "$out" "tmpfs as CRIU's tar.gz" "the dry run says how the tmpfs goes"
out=$(on_a "$bin/movewpar" -v mv b 2>&1) || fail "movewpar to the host without 0009: $out"
assert_contains "$out" "tmpfs as CRIU's tar.gz" "movewpar -v says how the tmpfs went"
assert_eq "A" "$(CORRAL_ROOT=$rb state_of mv)" "moved to B"
tmpfs_check "$(counter_pid "$rb" b)" "A -> B (B's CRIU without 0009)"
pass "a move to a host whose CRIU lacks tmpfs-plain-tar restores there"
