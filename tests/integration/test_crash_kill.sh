#!/usr/bin/env bash
# labels: root slow
# timeout: 600
# Crash safety (issue 14, item 7): each of mkwpar, rmwpar, chwpar, startwpar
# and stopwpar is killed with SIGKILL at a random moment of its
# run (spread over its measured duration), then run again; every round must
# end in a clean Defined or Active partition, or a clean absence: what lswpar
# shows, the spec and state files, the base directory, the cgroups and the
# monitor processes all agree, nothing is left half made, and a Defined
# partition starts. chkptwpar's rounds: test_crash_kill_chkptwpar.sh.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

. "$(dirname "$0")/lib/crash.sh"

t_start=$(now_ms)

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

echo "all rounds in $((($(now_ms) - t_start) / 1000)) s"
