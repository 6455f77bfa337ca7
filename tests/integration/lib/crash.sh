# Helpers of the crash-safety tests (test_crash_kill*.sh, issue 14 item 7):
# kill a command at a random moment of its run, and check that a partition
# is cleanly Defined, Active or absent. Sourced after lib/common.sh and
# corral_setup.

ROUNDS=${CRASH_ROUNDS:-20}
SPEC=$CORRAL_ROOT/etc/wpars
STATE=$CORRAL_ROOT/var/lib/corral
BASE=$CORRAL_ROOT/wpars
round=""
# A failure shows the logs of the partitions, to tell which moment it was.
fail() {
	echo "FAIL: $*" >&2
	local log
	for log in "$STATE"/*/log; do
		[ -f "$log" ] && { echo "--- $log" && tail -n 15 "$log"; } >&2
	done
	exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# seconds for sleep(1) from milliseconds
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# measure CMD...: how long an uninterrupted run takes (ms), at least 20
measure() {
	local t0
	t0=$(now_ms)
	"$@" >/dev/null 2>&1 || true
	local d=$(($(now_ms) - t0))
	[ "$d" -ge 20 ] || d=20
	echo "$d"
}

# kill_during MS CMD...: run CMD and SIGKILL it at a random moment of its
# first MS milliseconds (it may have ended by then)
kill_during() {
	local span=$1
	shift
	local at=$((RANDOM % (span + 1)))
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$(secs "$at")"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# again EXPECTED-FAILURE CMD...: the same command once more; it succeeds, or
# fails only saying that its work was already done
again() {
	local done_msg=$1 out
	shift
	if ! out=$("$@" 2>&1); then
		case "$out" in *"$done_msg"*) ;; *) fail "$round: '$*' again: $out" ;; esac
	fi
}

lswpar_state() { lswpar -c -q -a state "$1" 2>/dev/null || echo "-"; }
cgroup_dirs() { ls -d /sys/fs/cgroup/*/"$CORRAL_CGROUP_PARENT/$1" /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT/$1" 2>/dev/null || true; }

# no_temp_files NAME: no temporary file or intent record of NAME's left
no_temp_files() {
	local stray
	stray=$(find "$SPEC" "$STATE" -maxdepth 2 \( -name "$1.spec.tmp.*" -o -name "$1.intent" -o -path "$STATE/$1/*.tmp.*" \) 2>/dev/null)
	[ -z "$stray" ] || fail "$round: left behind: $stray"
}

# No monitor, no cgroup, no intent record: nothing runs for NAME.
nothing_runs() {
	! monitor_running "$1" || fail "$round: a monitor cor_$1 still runs"
	[ -z "$(cgroup_dirs "$1")" ] || fail "$round: cgroups left: $(cgroup_dirs "$1")"
}

clean_absent() {
	local st
	st=$(lswpar_state "$1")
	assert_eq "-" "$st" "$round: lswpar state of removed $1"
	[ ! -e "$SPEC/$1.spec" ] || fail "$round: spec of $1 left"
	[ ! -e "$STATE/$1" ] || fail "$round: state directory of $1 left"
	[ ! -e "$BASE/$1" ] || fail "$round: base directory of $1 left: $(ls -A "$BASE/$1" | head -5 | tr '\n' ' ')"
	nothing_runs "$1"
	no_temp_files "$1"
}

clean_defined() {
	assert_eq "D" "$(lswpar_state "$1")" "$round: lswpar state of $1"
	[ -f "$SPEC/$1.spec" ] || fail "$round: no spec for $1"
	[ -d "$BASE/$1/etc/corral" ] || fail "$round: base directory of $1 incomplete"
	nothing_runs "$1"
	no_temp_files "$1"
}

thawed() {
	local d f
	for d in $(cgroup_dirs "$1"); do
		f=$d/freezer.state
		[ -f "$f" ] && [ "$(cat "$f")" != THAWED ] && return 1
		f=$d/cgroup.freeze
		[ -f "$f" ] && [ "$(cat "$f")" != 0 ] && return 1
	done
	return 0
}

clean_active() {
	assert_eq "A" "$(lswpar_state "$1")" "$round: lswpar state of $1"
	monitor_running "$1" || fail "$round: $1 is Active with no monitor"
	local init
	init=$(init_pid_of "$1")
	[ -n "$init" ] && kill -0 "$init" 2>/dev/null || fail "$round: the init of $1 ($init) is gone"
	[ -n "$(cgroup_dirs "$1")" ] || fail "$round: $1 is Active with no cgroup"
	thawed "$1" || fail "$round: $1 is left frozen"
	no_temp_files "$1"
}

# untraced NAME: no task of NAME is held by a tracer (a CRIU left behind)
untraced() {
	local d p
	for d in $(cgroup_dirs "$1"); do
		[ -f "$d/cgroup.procs" ] || continue
		for p in $(cat "$d/cgroup.procs"); do
			[ "$(sed -n 's/^TracerPid:\t*//p' "/proc/$p/status" 2>/dev/null || echo 0)" = 0 ] || return 1
		done
	done
	return 0
}

# startable NAME: a Defined partition starts and stops
startable() {
	startwpar "$1" >/dev/null 2>&1 || fail "$round: $1 does not start: $(startwpar "$1" 2>&1)"
	clean_active "$1"
	stopwpar "$1" >/dev/null 2>&1 || fail "$round: $1 does not stop"
	clean_defined "$1"
}

# want SECTION: run it (CRASH_ONLY="rmwpar stopwpar" runs only those)
want() { [ -z "${CRASH_ONLY:-}" ] || [[ " $CRASH_ONLY " == *" $1 "* ]]; }
# running NAME: NAME exists and is Active
running() {
	[ -e "$SPEC/$1.spec" ] || mkwpar -n "$1" >/dev/null || fail "mkwpar $1"
	[ "$(lswpar_state "$1")" = A ] || startwpar "$1" >/dev/null || fail "startwpar $1"
}

t_start=$(now_ms)
