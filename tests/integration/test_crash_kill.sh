#!/usr/bin/env bash
# labels: root criu slow
# timeout: 600
# Crash safety (issue 14, item 7): each of mkwpar, rmwpar, chwpar, startwpar,
# stopwpar and chkptwpar is killed with SIGKILL at a random moment of its
# run (spread over its measured duration), then run again; every round must
# end in a clean Defined or Active partition, or a clean absence: what lswpar
# shows, the spec and state files, the base directory, the cgroups and the
# monitor processes all agree, nothing is left half made, and a Defined
# partition starts.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

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

# chkptwpar: a killed checkpoint leaves the partition Active and thawed, and
# the next one succeeds. Its guardian (ckpt/guardian.c) recovers the
# partition for up to 10 s after chkptwpar is killed, holding its lock: these
# rounds run beside the others, and wait for that lock before running again.
chkptwpar_rounds() {
	IMG=$CORRAL_ROOT/ck.wpar
	running cck
	span=$(measure chkptwpar -o "$IMG" cck)
	for i in $(seq "$ROUNDS"); do
		round="chkptwpar round $i"
		kill_during "$span" chkptwpar -o "$IMG" cck
		flock -w 60 "$CORRAL_ROOT/run/corral/cck.lock" true || fail "$round: cck stays locked"
		out=$(chkptwpar -o "$IMG" cck 2>&1) || fail "$round: chkptwpar again: $out"
		clean_active cck
		corral image verify "$IMG" >/dev/null 2>&1 || fail "$round: the image does not verify"
		untraced cck || fail "$round: a CRIU still holds a task of cck"
	done
	pass "chkptwpar killed $ROUNDS times: always Active, thawed, and checkpointed by the next one (${span} ms a run)"
}
ck_pid=""
if ! want chkptwpar; then
	:
elif command -v criu >/dev/null && criu check >/dev/null 2>&1; then
	mkwpar -c -n cck >/dev/null
	chkptwpar_rounds &
	ck_pid=$!
else
	echo "chkptwpar rounds skipped: no working CRIU here"
fi


# mkwpar: a killed one leaves nothing that blocks the name; the next makes it.
if want mkwpar; then
span=$(measure mkwpar -n cmk)
rmwpar cmk >/dev/null
for i in $(seq "$ROUNDS"); do
	round="mkwpar round $i"
	kill_during "$span" mkwpar -n cmk
	# lswpar never shows a half-made partition, whatever moment it was killed at
	case "$(lswpar_state cmk)" in -|D) ;; *) fail "$round: lswpar shows cmk as $(lswpar_state cmk)" ;; esac
	again "already exists" mkwpar -n cmk
	clean_defined cmk
	[ $((i % 4)) -ne 0 ] || startable cmk
	rmwpar cmk >/dev/null || fail "$round: rmwpar cmk"
	clean_absent cmk
done
pass "mkwpar killed $ROUNDS times: always rolled back or whole (${span} ms a run)"
fi

# rmwpar: a killed one is carried through; never a Defined partition without its root.
if want rmwpar; then
mkwpar -n crm >/dev/null
span=$(measure rmwpar crm)
for i in $(seq "$ROUNDS"); do
	round="rmwpar round $i"
	mkwpar -n crm >/dev/null || fail "$round: mkwpar crm"
	kill_during "$span" rmwpar crm
	case "$(lswpar_state crm)" in
	-) ;;
	D) [ -d "$BASE/crm/etc/corral" ] || [ -e "$STATE/crm.intent" ] || fail "$round: crm Defined without its root" ;;
	*) fail "$round: lswpar shows crm as $(lswpar_state crm)" ;;
	esac
	again "no partition named" rmwpar crm
	clean_absent crm
done
pass "rmwpar killed $ROUNDS times: always carried through (${span} ms a run)"
fi

# chwpar: spec writes are atomic; a live change is made again.
if want chwpar; then
running cch
span=$(measure chwpar -R totalProcesses=300 cch)
for i in $(seq "$ROUNDS"); do
	round="chwpar round $i"
	n=$((300 + i))
	kill_during "$span" chwpar -R totalProcesses=$n -h "cch$i" cch
	again "@@" chwpar -R totalProcesses=$n -h "cch$i" cch
	clean_active cch
	assert_contains "$(cat "$SPEC/cch.spec")" "$n" "$round: the spec has the new totalProcesses"
	assert_eq "cch$i" "$(lswpar -c -q -a hostname cch)" "$round: hostname"
done
pass "chwpar killed $ROUNDS times: spec whole, change made (${span} ms a run)"
fi

# stopwpar: a killed stop is carried through by the next one.
if want stopwpar; then
running cch
span=$(measure stopwpar cch)
for i in $(seq "$ROUNDS"); do
	round="stopwpar round $i"
	startwpar cch >/dev/null || fail "$round: startwpar cch: $(lswpar -L cch | grep -i reason)"
	kill_during "$span" stopwpar cch
	again "is not active" stopwpar cch
	clean_defined cch
done
pass "stopwpar killed $ROUNDS times: always Defined after the next one (${span} ms a run)"
fi

# startwpar: a killed start is finished by its monitor or undone; the next
# one starts it or finds it Active.
if want startwpar; then
[ -e "$SPEC/cch.spec" ] || mkwpar -n cch >/dev/null
[ "$(lswpar_state cch)" = D ] || stopwpar cch >/dev/null
span=$(measure startwpar cch)
stopwpar cch >/dev/null
for i in $(seq "$ROUNDS"); do
	round="startwpar round $i"
	kill_during "$span" startwpar cch
	again "is already Active" startwpar cch
	clean_active cch
	stopwpar cch >/dev/null || fail "$round: stopwpar cch"
	clean_defined cch
done
pass "startwpar killed $ROUNDS times: always Active after the next one (${span} ms a run)"
fi

[ -z "$ck_pid" ] || wait "$ck_pid" || fail "the chkptwpar rounds failed"
echo "all rounds in $((($(now_ms) - t_start) / 1000)) s"
