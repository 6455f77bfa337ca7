#!/usr/bin/env bash
# labels: root criu
# timeout: 400
# chkptwpar / restartwpar / resumewpar on a real partition with zdtm-style
# workloads: state survives; failures leave the partition Active; a clogin
# session blocks a checkpoint without -F; a corrupted image is refused.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/zdtm.sh"
. "$(dirname "$0")/lib/tmpfs_state.sh"
need_root
command -v criu >/dev/null || skip "no criu"
corral_setup
img=$CORRAL_ROOT/images
mkdir -p "$img"
# The service's counter.
beat() { read_whole "$CORRAL_ROOT/wpars/ck1/tmp/beat"; }

mkwpar -n plain -s >/dev/null
assert_fails "checkpoint of a partition made without -c" chkptwpar -o "$img/x.wpar" plain
assert_contains "$(chkptwpar -o "$img/x.wpar" plain 2>&1 || true)" "not checkpointable" "refusal names the reason"
[ -e "$img/x.wpar" ] && fail "a refused checkpoint wrote an image"
assert_eq "A" "$(state_of plain)" "refused checkpoint leaves it Active"
stopwpar plain >/dev/null

mkwpar -n ck1 -c >/dev/null
zdtm_install ck1
echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/beat; sleep 0.1; done' >> "$CORRAL_ROOT/wpars/ck1/etc/corral/services"
startwpar ck1 >/dev/null
zdtm_wait_ready ck1
pid_counter=$(zdtm_host_pid ck1 zdtm_counter)
nspid_before=$(awk '/^NSpid/ {print $3}' /proc/"$pid_counter"/status)
TMPFS_STATE_FILE=$CORRAL_ROOT/tmpfs.state
tmpfs_plant "$pid_counter"

# A snapshot: the partition goes on.
out=$(chkptwpar -v -o "$img/snap.wpar" ck1)
assert_contains "$out" "is active" "chkptwpar reports the snapshot"
assert_eq "A" "$(state_of ck1)" "state after a snapshot"
corral image verify "$img/snap.wpar" >/dev/null || fail "the image does not verify"
assert_contains "$(corral image info "$img/snap.wpar")" "ck1" "the manifest names the partition"
# The criu that dumped it (known from the host's cached facts, not asked).
criu_v=$(criu --version | sed -n 's/^Version: *//p')
assert_contains "$(corral image info "$img/snap.wpar")" "criu:         $criu_v" "the manifest names criu's version"
b1=$(beat); sleep 0.5; b2=$(beat)
[ "$b2" -gt "$b1" ] || fail "the partition does not run after a snapshot"
pass "snapshot: image written, partition still running"

# Where criu streams its images (issue 18), the image is the streamed format
# and nothing but criu's socket and log ever sat in the work directory.
streams=0
corral check 2>/dev/null | grep -q '^ok *criu-stream' && streams=1
if [ $streams = 1 ]; then
	assert_contains "$(corral image info "$img/snap.wpar")" "2.1 (streamed" "a snapshot is a streamed image"
	out=$(CORRAL_CHECKPOINT_STREAM=0 chkptwpar -o "$img/staged.wpar" ck1)
	assert_contains "$(corral image info "$img/staged.wpar")" "format:       1.1" "CORRAL_CHECKPOINT_STREAM=0 stages"
	assert_eq "A" "$(state_of ck1)" "state after a staged snapshot"
	rm -f "$img/staged.wpar"
	pass "snapshots are streamed (format 2.1); CORRAL_CHECKPOINT_STREAM=0 writes 1.1"
fi

# A clogin session blocks a checkpoint without -F.
clogin ck1 sleep 60 &
clogin_pid=$!
for _ in $(seq 50); do ls "$CORRAL_ROOT/var/lib/corral/ck1/clogin" 2>/dev/null | grep -q . && break; sleep 0.1; done
err=$(chkptwpar -o "$img/blocked.wpar" ck1 2>&1 >/dev/null) && fail "checkpoint with a clogin session succeeded without -F"
assert_contains "$err" "clogin session" "the refusal names the clogin session"
assert_eq "A" "$(state_of ck1)" "still Active after the refusal"
pass "clogin blocks a checkpoint without -F"

# A CRIU with scripts/criu-patches/0012 writes and reads the tmpfs archives
# in its own process: the dump and the restart that carry the planted tmpfs
# run it with a `tar` that fails first in its PATH, so a tar exec fails them.
criu_bin=${CORRAL_CRIU:-$(command -v criu)}
ck_criu=$criu_bin notar=
if "$criu_bin" check --feature tmpfs_tar_in_process >/dev/null 2>&1; then
	notar=$CORRAL_ROOT/notar
	mkdir -p "$notar"
	printf '#!/bin/sh\necho "tar $*" >>%s/ran\nexit 2\n' "$notar" >"$notar/tar"
	printf '#!/bin/sh\nPATH=%s:$PATH exec %s "$@"\n' "$notar" "$criu_bin" >"$notar/criu"
	chmod 0755 "$notar/tar" "$notar/criu"
	ck_criu=$notar/criu
fi

# -k with -F: the clogin session is ended and named; the partition stops.
out=$(CORRAL_CRIU=$ck_criu chkptwpar -k -F -o "$img/ck1.wpar" ck1)
assert_contains "$out" "clogin session" "-F names what it ended"
wait $clogin_pid 2>/dev/null || true
assert_eq "D" "$(state_of ck1)" "state after chkptwpar -k"
[ -z "$(zdtm_host_pid ck1 zdtm_counter)" ] || fail "processes left after chkptwpar -k"
pass "chkptwpar -k -F"

# A corrupted image is refused with a clear error and nothing runs.
cp "$img/ck1.wpar" "$img/bad.wpar"
size=$(stat -c %s "$img/bad.wpar")
# The middle byte inverted (not set: it may already hold the value written).
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$img/bad.wpar" | tr -d ' ')
printf "\\$(printf '%03o' $((255 - byte)))" | dd of="$img/bad.wpar" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$img/ck1.wpar" "$img/bad.wpar" && fail "the copy of the image was not changed"
err=$(restartwpar -i "$img/bad.wpar" ck1 2>&1 >/dev/null) && fail "a corrupted image restarted"
assert_eq 1 "$(echo "$err" | grep -c .)" "one-line error for a corrupted image"
assert_eq "D" "$(state_of ck1)" "state after a refused restart"
pass "corrupted image refused: $err"

# A served image: what criu did not read is checked once every task is
# restored, before any runs; damage there kills the restored tree.
if [ $streams = 1 ]; then
	sum=$(md5sum < "$img/ck1.wpar")
	err=$(CORRAL_TEST_FAULT=unread-damaged restartwpar -i "$img/ck1.wpar" ck1 2>&1 >/dev/null) &&
		fail "a restart with a damaged unread file went on"
	assert_eq 1 "$(echo "$err" | grep -c .)" "one-line error for damage criu did not read"
	assert_contains "$err" "did not read is damaged" "the error names the damage"
	assert_eq "D" "$(state_of ck1)" "state after a restart refused late"
	[ -z "$(zdtm_host_pid ck1 zdtm_counter)" ] || fail "a restored process runs after a refused restart"
	assert_eq "$sum" "$(md5sum < "$img/ck1.wpar")" "the image is untouched by a refused restart"
	pass "damage criu did not read refuses the restart: $err"
fi

# Restart: same pids inside, every workload's state intact. A streamed
# image is served to criu from the file, inventory.img first.
sum=$(md5sum < "$img/ck1.wpar")
CORRAL_DEBUG=1 CORRAL_CRIU=$ck_criu restartwpar -i "$img/ck1.wpar" ck1 >/dev/null 2>"$CORRAL_ROOT/restart.err" ||
	fail "restartwpar: $(grep -v '^debug' "$CORRAL_ROOT/restart.err" | tail -n 3)"
[ $streams = 1 ] && { grep -q "criu asks for inventory.img" "$CORRAL_ROOT/restart.err" ||
	fail "restartwpar did not serve the streamed image to criu"; }
# A criu with scripts/criu-patches/0011 reads the pages over two pipes in
# turns (zdtm_counter's 8 MiB pattern spans several), any other over one.
if [ $streams = 1 ]; then
	pipes=1
	"${CORRAL_CRIU:-$(command -v criu)}" check --feature stream_pipes >/dev/null 2>&1 && pipes=2
	grep -q "criu asks for pages-[0-9]*.img over $pipes pipe(s)" "$CORRAL_ROOT/restart.err" ||
		fail "restartwpar did not serve the pages over $pipes pipe(s): $(grep 'asks for pages' "$CORRAL_ROOT/restart.err")"
fi
assert_eq "A" "$(state_of ck1)" "state after restartwpar"
assert_eq "$sum" "$(md5sum < "$img/ck1.wpar")" "the image is untouched by a restart"
pid_after=$(zdtm_host_pid ck1 zdtm_counter)
assert_eq "$nspid_before" "$(awk '/^NSpid/ {print $3}' /proc/"$pid_after"/status)" "the pid inside the partition"
assert_eq "ck1" "$(clogin ck1 hostname)" "hostname after restart"
assert_fails "restarting a running partition" restartwpar -i "$img/ck1.wpar" ck1
b1=$(beat); sleep 0.5; b2=$(beat)
[ "$b2" -gt "$b1" ] || fail "services do not run after restart"
tmpfs_check "$pid_after" "restart"
if [ -n "$notar" ]; then
	[ ! -e "$notar/ran" ] || fail "criu ran tar for the tmpfs: $(tr '\n' ';' <"$notar/ran")"
	pass "criu (0012) dumped and restored the tmpfs without a tar process"
fi
zdtm_verify ck1
pass "restart: pids, hostname, memory, file offsets, pipes, socketpairs, timers intact"

# -p: Paused, then resumewpar.
chkptwpar -p -o "$img/paused.wpar" ck1 >/dev/null
assert_eq "P" "$(state_of ck1)" "state after chkptwpar -p"
b1=$(beat); sleep 0.5; b2=$(beat)
assert_eq "$b1" "$b2" "a Paused partition does not run"
resumewpar ck1 >/dev/null
assert_eq "A" "$(state_of ck1)" "state after resumewpar"
pass "pause and resume"

# Killing chkptwpar midway leaves the partition Active and thawed.
chkptwpar -o "$img/killed.wpar" ck1 >/dev/null 2>&1 &
victim=$!
for _ in $(seq 200); do [ "$(state_of ck1)" = F ] || [ "$(state_of ck1)" = P ] && break; sleep 0.01; done
kill -9 $victim
wait $victim 2>/dev/null || true
for _ in $(seq 150); do [ "$(state_of ck1)" = A ] && break; sleep 0.1; done
assert_eq "A" "$(state_of ck1)" "state after chkptwpar was killed"
sleep 0.5
b1=$(beat); sleep 0.5; b2=$(beat)
[ "$b2" -gt "$b1" ] || fail "the partition is still frozen after chkptwpar was killed"
pass "killed chkptwpar leaves it running"
stopwpar ck1 >/dev/null
echo "1 passed, 0 failed"
