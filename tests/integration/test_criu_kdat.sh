#!/usr/bin/env bash
# labels: root criu
# timeout: 120
# CRIU's kernel-probe cache where /run is not a tmpfs (criu/kdat.c): the
# first criu run of a checkpoint makes /run/criu.kdat as CRIU would on a
# tmpfs, criu then loads it, and a copy older than this boot is replaced.
# Skipped where /run is a tmpfs (CRIU keeps its cache by itself there).
. "$(dirname "$0")/lib/common.sh"
need_root
command -v criu >/dev/null || skip "no criu"
[ "$(stat -f -c %T /run)" != tmpfs ] || skip "/run is a tmpfs: CRIU caches its probes itself"
corral_setup
kdat=/run/criu.kdat
boot=$(($(date +%s) - $(cut -d. -f1 /proc/uptime)))

mkwpar -n kd -c -s >/dev/null
img=$CORRAL_ROOT/images
mkdir -p "$img"

# No cache: the snapshot's criu run makes one, and criu loads it.
rm -f "$kdat"
chkptwpar -o "$img/kd.img" kd >/dev/null || fail "chkptwpar failed"
[ -s "$kdat" ] || fail "no $kdat after a checkpoint"
log=$CORRAL_ROOT/check.log
(cd "$CORRAL_ROOT" && timeout 60 criu check -v4 -o "$log" >/dev/null 2>&1) || true
grep -q "Loaded kdat cache from $kdat" "$log" || fail "criu does not load $kdat: $(head -5 "$log")"
pass "a checkpoint made $kdat and criu loads it"

# A cache from before this boot (the kernel may have changed): replaced.
touch -d "@$((boot - 3600))" "$kdat"
chkptwpar -o "$img/kd.img" kd >/dev/null || fail "chkptwpar failed"
[ -s "$kdat" ] || fail "no $kdat after a checkpoint with a stale one"
[ "$(stat -c %Y "$kdat")" -ge "$boot" ] || fail "$kdat from before this boot was kept"
pass "a cache from an earlier boot is made anew"
