#!/usr/bin/env bash
# labels: root criu
# timeout: 90
# corral check tells the truth about this host: every verdict is compared with
# evidence gathered here independently (criu itself, util-linux unshare,
# /proc/filesystems, the cgroup mounts, nft, criu's own lazy dump and restore),
# whatever this host is. Then the
# cache: a second run answers from it, --refresh and a changed criu binary
# probe again; a missing criu exits 1; an ordinary user's run does not crash.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_check needs root (criu check, TCP repair, nftables)"
	exit 77
fi
corral=$CORRAL_BUILD_DIR/cli/corral
work=$(mktemp -d /tmp/corral-test-check-XXXXXX)
victim=
cleanup() {
	[ -n "$victim" ] && kill -9 "$victim" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export CORRAL_ROOT=$work/root
mkdir -p "$CORRAL_ROOT"
# the lazy probe's round trips here, apart from other programs' at the same time
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
unset CORRAL_CRIU CRIU_FAULT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# flatten FILE.json: write FILE.flat with one "path=value" line per leaf
# ("probes.criu.status=ok", "criu.fault=None"), plus probes.len.
flatten() {
	python3 -c '
import json, sys
def walk(p, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(p + [k], x, out)
    else:
        out.append(".".join(p) + "=" + (",".join(v) if isinstance(v, list) else str(v)))
    return out
d = json.load(open(sys.argv[1]))
out = walk([], d, ["probes.len=%d" % len(d["probes"])])
open(sys.argv[1][:-5] + ".flat", "w").write("\n".join(out) + "\n")
' "$1"
}
# get FILE.flat PATH: the value at PATH.
get() {
	sed -n "s|^$2=||p" "$1"
}
status() {
	get "$work/first.flat" "probes.$1.status"
}
expect() { # expect NAME WANTED WHY
	local got
	got=$(status "$1")
	[ "$got" = "$2" ] || fail "probe $1 says $got, but $3 says $2"
	grep -Eq "^$2 +$1 " "$work/first.txt" || fail "text output has no '$2 $1' line"
	echo "ok: $1 = $2 ($3)"
}

# First run: nothing cached yet. Both forms must agree; --json must parse.
# It runs where a proc.crtools directory already is: CRIU's parasite makes
# one in its victim's working directory, so a probe whose victim kept the
# caller's (two probes at once, or one left behind) failed with EEXIST.
mkdir -p "$work/cwd/proc.crtools"
start=$(date +%s%N)
set +e
(cd "$work/cwd" && "$corral" check) >"$work/first.txt" 2>"$work/first.err"
rc=$?
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
cat "$work/first.txt"
[ "$rc" -le 1 ] || fail "corral check exited $rc"
# A guard against a probe without its timeout, not a speed measure.
[ "$elapsed_ms" -lt 30000 ] || fail "uncached check took ${elapsed_ms} ms: a probe hangs?"
grep -q '(cached facts' "$work/first.txt" && fail "the first run claims cached facts"
[ -s "$CORRAL_ROOT/var/cache/corral/host-facts" ] || fail "no cache file written"
"$corral" check --json >"$work/first.json" || [ $? -eq 1 ] || fail "check --json crashed"
python3 -c 'import json,sys; json.load(sys.stdin)' <"$work/first.json" || fail "--json is not JSON"
flatten "$work/first.json"
nprobes=$(get "$work/first.flat" probes.len)
[ "$(grep -cE '^(ok|missing|skipped) ' "$work/first.txt")" -eq "$nprobes" ] ||
	fail "text and JSON list different numbers of probes"

# CRIU: the same binary corral would pick, its version, and `criu check`.
criu=$(PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin command -v criu || true)
if [ -z "$criu" ]; then
	expect criu missing "no criu on PATH"
else
	version=$("$criu" --version | sed -n 's/^Version: *//p')
	major=${version%%.*} rest=${version#*.} minor=${rest%%.*}
	if [ "$major" -gt 4 ] || { [ "$major" -eq 4 ] && [ "$minor" -ge 1 ]; }; then
		expect criu ok "criu --version ($version)"
		[ "$(get "$work/first.flat" criu.path)" = "$criu" ] || fail "criu path differs from $criu"
		[ "$(get "$work/first.flat" criu.version)" = "$version" ] || fail "criu version differs"
		if CRIU_FAULT=130 timeout 20 "$criu" check >/dev/null 2>&1; then
			expect criu-check ok "criu check"
		else
			expect criu-check missing "criu check"
		fi
	else
		expect criu missing "criu --version ($version) is older than 4.1"
	fi
fi

# Hardware breakpoints: dump a sleeping process with criu and no CRIU_FAULT.
# Where breakpoints do not fire, criu waits forever for the trap.
bp=$(status hw-breakpoints)
fault=$(get "$work/first.flat" criu.fault)
if [ "$(uname -m)" != x86_64 ]; then
	[ "$bp" = skipped ] && [ "$fault" = None ] || fail "breakpoints probed off x86_64"
elif [ "$(status criu-check)" = ok ]; then
	setsid sleep 600 </dev/null >/dev/null 2>&1 &
	victim=$!
	sleep 0.2
	mkdir "$work/dump"
	if timeout 5 "$criu" dump -v4 -t "$victim" -D "$work/dump" -o dump.log >/dev/null 2>&1; then
		expect hw-breakpoints ok "criu dump without CRIU_FAULT finished"
		[ "$fault" = None ] || fail "CRIU_FAULT applied although breakpoints fire"
	else
		grep -q "Waiting for $victim to trap" "$work/dump/dump.log" || { tail "$work/dump/dump.log"; fail "dump failed otherwise"; }
		expect hw-breakpoints missing "criu dump without CRIU_FAULT hung waiting for a trap"
		[ "$fault" = 130 ] || fail "breakpoints do not fire but CRIU_FAULT=130 is not applied"
		grep -q 'CRIU_FAULT=130' "$work/first.txt" || fail "the text does not say CRIU_FAULT=130"
	fi
	{ kill -9 "$victim" && wait "$victim"; } 2>/dev/null || true
	victim=
fi

# Namespaces: util-linux unshare into each.
for ns in pid:pid mnt:mount net:net uts:uts ipc:ipc user:user cgroup:cgroup time:time; do
	name=${ns%%:*} opt=${ns#*:}
	if [ -e "/proc/self/ns/$name" ] && unshare "--$opt" --fork true 2>/dev/null; then
		expect "ns-$name" ok "unshare --$opt"
	else
		expect "ns-$name" missing "unshare --$opt"
	fi
done

# cgroups: the file system type at the root tells v2 from v1 and hybrid.
root_type=$(stat -fc %T /sys/fs/cgroup)
if [ "$root_type" = cgroup2fs ]; then
	mode=v2
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	mode=hybrid
else
	mode=v1
fi
[ "$(get "$work/first.flat" cgroups.mode)" = "$mode" ] || fail "cgroup layout is not $mode"
echo "ok: cgroups = $mode"
if awk '$3 == "cgroup" && $4 ~ /(^|,)freezer(,|$)/ {f=1} END {exit !f}' /proc/mounts; then
	expect freezer ok "a v1 freezer hierarchy is mounted"
fi

# File systems.
if grep -qwE 'nfs|nfs4' /proc/filesystems; then
	expect nfs-client ok "/proc/filesystems"
else
	expect nfs-client missing "/proc/filesystems"
fi
if [ -c /dev/fuse ] && grep -qw fuse /proc/filesystems; then
	expect fuse ok "/dev/fuse"
else
	expect fuse missing "/dev/fuse"
fi

# Memory tracking as criu sees it.
if [ "$(status criu)" = ok ]; then
	if "$criu" check --feature mem_dirty_track >/dev/null 2>&1; then
		expect soft-dirty ok "criu check --feature mem_dirty_track"
	else
		expect soft-dirty missing "criu check --feature mem_dirty_track"
	fi
	if "$criu" check --feature uffd >/dev/null 2>&1; then
		expect userfaultfd ok "criu check --feature uffd"
	fi
fi
if command -v nft >/dev/null && nft list tables >/dev/null 2>&1; then
	expect nftables ok "nft list tables"
fi

# Lazy (post-copy) restore: the probe's verdict must match what criu itself
# does here: a lazy dump of a process (init of its own pid namespace), served
# by criu lazy-pages and restored with --lazy-pages, each bounded.
lazy_round_trip() { # 0 when the restored copy runs
	local d=$work/lazy holder v port=$((20000 + RANDOM % 20000)) ok=1 restored
	local env=()
	[ "$(get "$work/first.flat" criu.fault)" = 130 ] && env=(env CRIU_FAULT=130)
	mkdir "$d"
	(exec unshare --pid --fork setsid sleep 600 </dev/null >/dev/null 2>&1) &
	holder=$!
	for _ in $(seq 50); do
		v=$(pgrep -P $holder | head -1 || true)
		[ -n "$v" ] && [ "$(cat /proc/$v/comm 2>/dev/null)" = sleep ] && break
		sleep 0.1
	done
	[ "$(cat /proc/$v/comm 2>/dev/null)" = sleep ] || fail "no test process for the lazy round trip"
	victim=$v
	"${env[@]}" timeout 20 "$criu" dump -t "$v" -D "$d" -o dump.log -v4 --lazy-pages \
		--address 127.0.0.1 --port $port >/dev/null 2>&1 &
	local dump=$!
	for _ in $(seq 100); do grep -q 'Starting lazy pages server' "$d/dump.log" 2>/dev/null && break; sleep 0.1; done
	"${env[@]}" timeout 20 "$criu" lazy-pages --page-server --address 127.0.0.1 --port $port \
		-D "$d" -o lazy.log -v4 >/dev/null 2>&1 &
	local pages=$!
	for _ in $(seq 100); do [ -S "$d/lazy-pages.socket" ] && break; sleep 0.1; done
	"${env[@]}" timeout 20 "$criu" restore -D "$d" --lazy-pages -o restore.log -v4 \
		--pidfile restored.pid >/dev/null 2>&1 &
	local restore=$!
	wait $dump && wait $pages && ok=0
	restored=$(cat "$d/restored.pid" 2>/dev/null || true)
	[ -n "$restored" ] && kill -0 "$restored" 2>/dev/null || ok=1
	[ -n "$restored" ] && kill -9 "$restored" 2>/dev/null
	kill -9 "$v" 2>/dev/null
	victim=
	wait $restore $holder 2>/dev/null
	[ $ok -eq 0 ] || grep -h 'Error (' "$d"/*.log | grep -v RLIMIT | head -2 >&2
	rm -rf "$d"
	return $ok
}
lazy=$(status lazy-pages)
lazy_detail=$(get "$work/first.flat" probes.lazy-pages.detail)
if [ "$(status userfaultfd)" = ok ] && [ "$(status criu-check)" = ok ]; then
	if lazy_round_trip; then
		expect lazy-pages ok "criu's own lazy dump, lazy-pages and restore"
	else
		expect lazy-pages missing "criu's own lazy dump, lazy-pages and restore failed"
		pipe_max=$(cat /proc/sys/fs/pipe-max-size)
		cap_res=$(( (0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24) & 1 ))
		if [ "$pipe_max" -lt 4194304 ] && [ "$cap_res" -eq 0 ]; then
			case "$lazy_detail" in
			*"sysctl fs.pipe-max-size=4194304"*"") ;;
			*) fail "lazy-pages does not say to raise fs.pipe-max-size: $lazy_detail" ;;
			esac
		fi
	fi
else
	[ "$lazy" != ok ] || fail "lazy-pages ok without userfaultfd or a working criu"
fi
[ -z "$(ls -d "$TMPDIR"/corral-lazy-probe-* 2>/dev/null)" ] || fail "the lazy-pages probe left its directory"
[ "$(status tcp-repair)" != skipped ] || fail "tcp-repair not probed as root"

# Exit status: 0 exactly when every required probe is ok.
ready=$(get "$work/first.flat" ready)
if [ "$ready" = True ]; then [ "$rc" -eq 0 ] || fail "ready but exit $rc"; else
	[ "$rc" -eq 1 ] || fail "not ready but exit $rc"
	[ -s "$work/first.err" ] || fail "not ready and no reason on stderr"
fi

# The cache: a second run answers from it, quickly; --refresh probes again.
cache=$CORRAL_ROOT/var/cache/corral/host-facts
before=$(date -r "$cache" +%s%N)
"$corral" check >"$work/second.txt" || true
grep -q '(cached facts' "$work/second.txt" || fail "second run did not use the cache"
[ "$(date -r "$cache" +%s%N)" = "$before" ] || fail "second run rewrote the cache"
"$corral" check --json >"$work/second.json" || true
flatten "$work/second.json"
[ "$(get "$work/second.flat" cached)" = True ] || fail "--json does not say cached"
"$corral" check --refresh >"$work/third.txt" || true
grep -q '(cached facts' "$work/third.txt" && fail "--refresh answered from the cache"
[ "$(date -r "$cache" +%s%N)" != "$before" ] || fail "--refresh did not rewrite the cache"
"$corral" check --json --refresh >"$work/third.json" || true
flatten "$work/third.json"
[ "$(get "$work/third.flat" cached)" = False ] || fail "--json --refresh says cached"
echo "ok: cache used, --refresh probes again"

# Another criu binary (a copy: new path and mtime) makes the cache stale.
if [ -n "$criu" ]; then
	cp "$criu" "$work/criu-copy"
	CORRAL_CRIU=$work/criu-copy "$corral" check >"$work/copy.txt" || true
	grep -q '(cached facts' "$work/copy.txt" && fail "a different criu binary used the old cache"
	grep -q "$work/criu-copy" "$work/copy.txt" || fail "CORRAL_CRIU not honoured"
	touch -d '2001-01-01' "$work/criu-copy"
	CORRAL_CRIU=$work/criu-copy "$corral" check >"$work/copy2.txt" || true
	grep -q '(cached facts' "$work/copy2.txt" && fail "a criu binary with a new mtime used the old cache"
	echo "ok: a changed criu binary is probed again"
fi

# No criu at all: exit 1 with the reason.
set +e
CORRAL_CRIU=$work/no-such-criu "$corral" check >"$work/nocriu.txt" 2>"$work/nocriu.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "check without criu exited $rc"
grep -Eq '^missing +criu ' "$work/nocriu.txt" || fail "no 'missing criu' line"
grep -q criu "$work/nocriu.err" || fail "stderr does not name criu"
echo "ok: no criu -> exit 1"

# Usage errors exit 2.
set +e
"$corral" check --bogus >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad option exited $rc"

# An ordinary user: no crash, every probe listed, exit 0 or 1.
user_root=$(mktemp -d /tmp/corral-test-check-user-XXXXXX)
chown 65534:65534 "$user_root"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups env CORRAL_ROOT="$user_root" \
	"$corral" check >"$work/user.txt" 2>"$work/user.err"
rc=$?
set -e
rm -rf "$user_root"
[ "$rc" -le 1 ] || { cat "$work/user.err"; fail "an ordinary user's check exited $rc"; }
[ "$(grep -cE '^(ok|missing|skipped) ' "$work/user.txt")" -eq "$nprobes" ] ||
	fail "an ordinary user's check lists fewer probes"
echo "ok: an ordinary user's check exits $rc"
echo PASS
