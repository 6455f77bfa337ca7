#!/usr/bin/env bash
# labels: etcd
# timeout: 180
# The fleet's store client (fleet/etcd*.c) against a real three-member etcd
# on loopback: everything up, one member stopped (the client goes on with
# the others), every member stopped (each call fails within its bound); the
# ownership fencing of movewpar's hand-over (tests/fleet/test_owner_live.c);
# a new evacuation clearing what the last one left, and a cancel stopping
# what was let go (test_evac_live.c); a host's runner starting the moves
# let go ahead under their cap with no manager, and recording each outcome
# with its history and origin in one transaction (test_runner_live.c).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/etcd.sh"
PROG=$CORRAL_BUILD_DIR/tests/fleet/test_etcd_live
[ -x "$PROG" ] || fail "$PROG is not built"
trap 'rc=$?; etcd_stop; exit $rc' EXIT

etcd_start 3
"$PROG" all || fail "etcd client with every member up"
"$CORRAL_BUILD_DIR/tests/fleet/test_owner_live" || fail "ownership fencing"
pass "every member up; ownership fencing"
"$CORRAL_BUILD_DIR/tests/fleet/test_evac_live" || fail "evacuation records: clearing, cancelling"
pass "a new evacuation clears every final task of the last one; a cancel stops what was let go"
"$CORRAL_BUILD_DIR/tests/fleet/test_runner_live" || fail "a host's runner: moves let go ahead, their cap, the records"
pass "moves let go ahead start in order as earlier ones end, never over their cap, with no manager"

etcd_stop_member 0
"$PROG" degraded || fail "etcd client with member 0 stopped"
pass "one member of three stopped"

etcd_stop_member 1
etcd_stop_member 2
"$PROG" down || fail "etcd client with every member stopped"
pass "every member stopped: bounded failures"
