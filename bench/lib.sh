# shellcheck shell=bash
# Shared by bench/*.sh: the build, a temporary CORRAL_ROOT and cgroup parent
# (removed with every partition by the EXIT trap), clocks and statistics, the
# raw-CRIU baseline, partitions running tests/helpers/memhog, and two "hosts"
# for movewpar. Sourced after `BENCH_SRC=...` (and `CORRAL_BUILD_DIR=DIR` in
# a script that takes the build directory as an argument); reuses the
# integration tests' helpers.
: "${CORRAL_BUILD_DIR:=$BENCH_SRC/build}"
[ -x "$CORRAL_BUILD_DIR/cli/corral" ] || {
	echo "$(basename "$0"): no corral in $CORRAL_BUILD_DIR (build first, or set CORRAL_BUILD_DIR)" >&2
	exit 1
}
CORRAL_BUILD_DIR=$(cd "$CORRAL_BUILD_DIR" && pwd)
export CORRAL_BUILD_DIR LC_ALL=C
. "$BENCH_SRC/tests/integration/lib/common.sh"

# Commands the script adds for its EXIT trap (run before the partitions go).
bench_cleanups=()
# The EXIT trap's last step: corral_teardown, or what bench_last_cleanup set.
bench_last=corral_teardown
bench_teardown() {
	local rc=$? c
	set +e
	for c in "${bench_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	(exit $rc)
	"$bench_last"
}

# bench_setup PARENT: a fresh CORRAL_ROOT under PARENT (a file system to measure on).
bench_setup() {
	CORRAL_ROOT=$(mktemp -d "$1/corral-bench.XXXXXX")
	export CORRAL_ROOT CORRAL_CGROUP_PARENT="corral-bench-$$"
	trap bench_teardown EXIT
	trap 'exit 130' INT TERM
}

# bench_last_cleanup FUNC: the EXIT trap ends with FUNC, which must call
# corral_teardown, instead; for after a helper that set a trap of its own
# (nfs_test.sh's nfs_test_cleanup).
bench_last_cleanup() {
	bench_last=$1
	trap bench_teardown EXIT
}

# need_commands CMD...: fail unless every CMD is installed.
need_commands() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || fail "needs $c (scripts/deps.sh installs it)"
	done
}

# bench_mib DEFAULT: mib, memhog's (and the data's) size in MiB, from BENCH_MIB.
bench_mib() {
	mib=${BENCH_MIB:-$1}
	[[ $mib =~ ^[1-9][0-9]{0,4}$ ]] || fail "BENCH_MIB must be 1 to 99999"
}

# bench_rounds DEFAULT: rounds, how often both sides run, from BENCH_ROUNDS.
bench_rounds() {
	rounds=${BENCH_ROUNDS:-$1}
	[[ $rounds =~ ^[1-9]$ ]] || fail "BENCH_ROUNDS must be 1 to 9"
}

# need_memhog: memhog, the build's tests/helpers/memhog.
need_memhog() {
	memhog=$CORRAL_BUILD_DIR/tests/helpers/memhog
	[ -x "$memhog" ] || fail "no $memhog (build the tests' helpers)"
}

# now_us: a wall clock in microseconds.
now_us() { echo "${EPOCHREALTIME/./}"; }

# timed VAR CMD...: run CMD (output discarded), add its wall time in us to array VAR.
timed() {
	local -n _acc=$1
	shift
	local t0
	t0=$(now_us)
	"$@" >/dev/null || fail "failed: $*"
	_acc+=($(($(now_us) - t0)))
}

# ms_field NAME TEXT: the first "NAME X ms" in TEXT (a -v timing line), in us.
# (awk reads to the end: head would end sed with SIGPIPE, a failure under pipefail)
ms_field() { sed -n "s/.*$1 \([0-9.]*\) ms.*/\1/p" <<<"$2" | awk 'NR == 1 {printf "%d", $1 * 1000}'; }

# median N...: the median of integers.
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# median_ms US...: the median of microsecond times, in milliseconds (ms).
median_ms() { ms "$(median "$@")"; }

# span US...: "min-max" of microsecond times, in milliseconds.
span() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 {a = $1} {b = $1} END {printf "%.1f-%.1f", a / 1000, b / 1000}'; }

# ms US: microseconds as milliseconds with one decimal.
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }

# ratio A B: A/B with two decimals ("-" when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "-"; else printf "%.2f", a / b}'; }

# goal WHAT A <= B: print "goal met" or "goal missed" (never fails the run).
goal() {
	local what=$1 a=$2 b=$4
	if awk -v a="$a" -v b="$b" 'BEGIN {exit !(a <= b)}'; then
		echo "goal met: $what"
	else
		echo "goal missed: $what"
	fi
}

# mem_run CMD...: run CMD (a program, not a function) while sampling, every
# 20 ms, the use of the file system holding $CORRAL_ROOT (a tmpfs here) and
# CMD's own peak RSS (VmHWM). Sets mem_fs_kib (peak use above the use at the
# start) and mem_rss_kib; returns CMD's status. Sampling costs a little CPU.
mem_run() {
	local base peak used h pid rc=0
	base=$(df -k --output=used "$CORRAL_ROOT" | tail -n 1)
	peak=$base
	mem_rss_kib=0
	"$@" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		used=$(df -k --output=used "$CORRAL_ROOT" | tail -n 1)
		[ "$used" -gt "$peak" ] && peak=$used
		h=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$h" ] && mem_rss_kib=$h
		sleep 0.02
	done
	wait "$pid" || rc=$?
	mem_fs_kib=$((peak - base))
	return $rc
}

# load_note: the load average, since a busy machine slows everything here.
load_note() { echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"; }

# wait_file PATH WHAT [ON...]: up to 120 s for a file to appear, looked for
# by ON (e.g. on_a, for a path mounted only in a host's namespace).
wait_file() {
	local path=$1 what=$2
	shift 2
	for _ in $(seq 1200); do "$@" test -e "$path" && return 0; sleep 0.1; done
	fail "$what: no $path after 120 s"
}

# --- Partitions running memhog -------------------------------------------

# memhog_service ROOT DIR [ON...]: memhog with $mib MiB of half-random memory
# (BENCH_FILL=dna: slow-to-compress memory instead, memhog's --fill=dna)
# as a service of the partition whose root is ROOT on the host, keeping its
# files in DIR (a path inside the partition); ON writes (e.g. on_a, for a
# root mounted only in a host's namespace).
memhog_service() {
	local root=$1 dir=$2
	shift 2
	"$@" mkdir -p "$root$dir"
	"$@" install -m 0755 "$memhog" "$root/root/memhog"
	echo "/root/memhog $dir $mib${BENCH_FILL:+ --fill=$BENCH_FILL}" | "$@" tee -a "$root/etc/corral/services" >/dev/null
}

# memhog_partition NAME ROOT [ON...]: a new checkpointable partition NAME
# (its root at ROOT) whose service is memhog in /tmp/memhog, made and started
# by ON (e.g. on_a); returns once memhog is ready.
memhog_partition() {
	local name=$1 root=$2
	shift 2
	"$@" "$BIN/mkwpar" -n "$name" -c >/dev/null || fail "mkwpar -n $name -c failed"
	memhog_service "$root" /tmp/memhog
	"$@" "$BIN/startwpar" "$name" >/dev/null || fail "startwpar $name failed"
	wait_file "$root/tmp/memhog/ready" "the partition's memhog"
}

# partition_memhog CGROUP_PARENT: the pid of the memhog that memhog_partition
# started, in a partition under that cgroup parent (fails when there is none).
partition_memhog() {
	local p pid=
	for p in $(pgrep -f '^/root/memhog /tmp/memhog'); do
		grep -q "/$1/" "/proc/$p/cgroup" && pid=$p
	done
	[ -n "$pid" ] && echo "$pid"
}

# check_pages DIR PID WHAT AFTER: memhog PID (its files in DIR) compares every
# page, then exits; WHAT names the run, AFTER what the memory came through.
check_pages() {
	rm -f "$1/result"
	kill -USR1 "$2"
	wait_file "$1/result" "$3"
	assert_eq PASS "$(head -1 "$1/result")" "$3: memory after $4"
}

# --- The raw-CRIU baseline --------------------------------------------------

# raw_criu_options: how the baseline runs criu. raw_env gets CRIU_FAULT=130
# exactly when Corral's probe found that hardware breakpoints do not fire
# here (criu dump would hang otherwise); raw_ns are memhog's new namespaces,
# with BENCH_RAW_NET=1 a network namespace too, locked with nftables while
# dumped (raw_opts), as a partition's is; CRIU_TIMEOUT is BENCH_CRIU_TIMEOUT
# (300) seconds.
raw_criu_options() {
	local check hw
	CRIU_TIMEOUT=${BENCH_CRIU_TIMEOUT:-300}
	check=$(corral check --json) || fail "corral check --json failed"
	hw=$(awk '/"hw-breakpoints"/ {p = 1} p && /"status"/ {gsub(/[",]/, "", $2); print $2; exit}' <<<"$check")
	[ -n "$hw" ] || fail "corral check --json has no hw-breakpoints probe"
	raw_env=()
	[ "$hw" = ok ] || raw_env=(CRIU_FAULT=130)
	raw_ns=(--pid --mount-proc --uts --ipc) raw_opts=()
	if [ "${BENCH_RAW_NET:-0}" = 1 ]; then
		raw_ns+=(--net) raw_opts=(--network-lock nftables)
	fi
}

# raw_criu_note: how raw criu runs, for a bench's first line.
raw_criu_note() { echo "raw criu${raw_env[*]:+ with ${raw_env[*]}} on unshare ${raw_ns[*]}"; }

# raw_baseline_dir: raw, the baseline's directory in CORRAL_ROOT (call after
# bench_setup), and the cleanup of its processes.
raw_baseline_dir() {
	raw=$CORRAL_ROOT/raw outer=''
	mkdir -p "$raw"
	bench_cleanups+=(raw_baseline_down)
}

# A killed unshare leaves its memhog (pid 1 inside) running: end both, and a
# restored memhog.
raw_baseline_down() {
	[ -s "$raw/pid" ] && kill -9 "$(cat "$raw/pid")"
	# shellcheck disable=SC2046 # the unshare's children, one word each
	[ -n "$outer" ] && kill -9 $(pgrep -P "$outer") "$outer"
}

# raw_memhog [-n NETNS]: memhog with $mib MiB in new namespaces (raw_ns),
# keeping its files in $raw/run, started in network namespace NETNS; sets
# outer (the unshare) and raw_pid (memhog) once memhog is ready.
# shellcheck disable=SC2120 # the option is for a script with hosts
raw_memhog() {
	local enter=()
	[ "${1:-}" != -n ] || enter=(nsenter --net=/run/netns/"$2")
	rm -rf "$raw/run" "$raw/pid"
	mkdir -p "$raw/run"
	"${enter[@]}" unshare --fork "${raw_ns[@]}" "$memhog" "$raw/run" "$mib" --private-mounts \
		</dev/null >/dev/null 2>&1 &
	outer=$!
	wait_file "$raw/run/ready" "raw memhog"
	raw_pid=$(pgrep -P "$outer")
	[ -n "$raw_pid" ] || fail "unshare $outer started no memhog"
}

# raw_dumped: the unshare whose memhog criu dump ended has ended too.
raw_dumped() {
	wait "$outer" 2>/dev/null || true
	outer=
}

# raw_check_pages WHAT AFTER: check_pages of the memhog criu restored.
raw_check_pages() {
	check_pages "$raw/run" "$(cat "$raw/pid")" "$1" "$2"
	rm -f "$raw/pid"
}

# criu_raw [-n NETNS] ACTION DIR ARGS...: criu ACTION with its images in DIR
# (in network namespace NETNS), with the options a partition's tree needs
# (its mounts are a copy of the host's), raw_env, raw_opts and a timeout.
criu_raw() {
	local enter=()
	if [ "$1" = -n ]; then
		enter=(nsenter --net=/run/netns/"$2")
		shift 2
	fi
	local action=$1 dir=$2
	shift 2
	"${enter[@]}" env "${raw_env[@]}" timeout "$CRIU_TIMEOUT" criu "$action" -D "$dir" \
		-o "$action.log" --ext-mount-map auto --enable-external-sharing --enable-external-masters \
		--manage-cgroups=ignore "${raw_opts[@]}" "$@" ||
		fail "criu $action failed, see $dir/$action.log: $(tail -2 "$dir/$action.log")"
}

# --- Two hosts for movewpar --------------------------------------------------

# Hosts a and b: the script sets host_a and host_b to the commands that enter
# each one's namespaces; each has its own CORRAL_ROOT (ra, rb: $CORRAL_ROOT/a
# and /b), cgroup parent ($CORRAL_CGROUP_PARENT-a and -b), keys and corrald.
# shellcheck disable=SC2034 # read through host_prefix's nameref
host_a=() host_b=() corralds=()

# bench_hosts: the hosts' roots and their cleanup; call after bench_setup and
# before adding the cleanup of the hosts' namespaces.
bench_hosts() {
	ra=$CORRAL_ROOT/a rb=$CORRAL_ROOT/b
	mkdir -p "$ra" "$rb"
	bench_cleanups+=(hosts_down)
}

# bench_netns_hosts PREFIX SUBNET_BASE: hosts a and b as network namespaces
# (na, nb, with veths va, vb, on subnet net=SUBNET_BASE.x, port a TCP port
# for the script's own use), removed on exit; call after bench_hosts.
bench_netns_hosts() {
	local x=$(($$ % 200 + 20))
	# shellcheck disable=SC2034 # va, vb, port: for the script
	na=${1}A$$ nb=${1}B$$ va=${1}vA$$ vb=${1}vB$$ net=$2.$x port=$((20000 + $$ % 10000))
	# shellcheck disable=SC2034 # for on_a and on_b
	host_a=(nsenter --net=/run/netns/"$na") host_b=(nsenter --net=/run/netns/"$nb")
	# shellcheck disable=SC2016 # expanded by the trap, when it runs
	bench_cleanups+=('ip netns del "$na"; ip netns del "$nb"')
}

# host_prefix HOST: the command prefix that runs on HOST (a or b), in the
# caller's array _on.
host_prefix() {
	local -n _enter=host_$1
	_on=("${_enter[@]}" env CORRAL_ROOT="$CORRAL_ROOT/$1" CORRAL_CGROUP_PARENT="$CORRAL_CGROUP_PARENT-$1")
}

# on_host HOST CMD..., on_a CMD..., on_b CMD...: CMD on that host.
on_host() {
	local _on
	host_prefix "$1"
	"${_on[@]}" "${@:2}"
}
on_a() { on_host a "$@"; }
on_b() { on_host b "$@"; }

# hosts_up ADDR_A ADDR_B: each host's key, each trusting the other at its
# address, and each one's corrald listening there (up to 10 s to start).
hosts_up() {
	local -A addr=([a]=$1 [b]=$2) peer=([a]=b [b]=a)
	local h p root=$CORRAL_ROOT
	for h in a b; do
		CORRAL_ROOT=$root/$h "$BIN/corral" keygen >/dev/null 2>&1 || fail "keygen on $h"
	done
	for h in a b; do
		p=${peer[$h]}
		CORRAL_ROOT=$root/$h "$BIN/corral" trust "$p" "${addr[$p]}" "$root/$p/etc/corral/host.pub" >/dev/null
	done
	corralds_up "$1" "$2"
}

# corralds_up ADDR_A ADDR_B: each host's corrald listening at its address
# (up to 10 s to start), with this environment (CORRAL_CRIU, say).
corralds_up() {
	local -A addr=([a]=$1 [b]=$2)
	local h _on
	for h in a b; do
		# Not through on_host: $! must be corrald itself (nsenter and env exec it).
		host_prefix "$h"
		"${_on[@]}" "$BIN/corrald" --foreground --listen "${addr[$h]}" 2>>"$CORRAL_ROOT/$h.log" >/dev/null &
		corralds+=($!)
	done
	for _ in $(seq 100); do
		[ -S "$ra/run/corral/corrald.sock" ] && [ -S "$rb/run/corral/corrald.sock" ] && return 0
		sleep 0.1
	done
	fail "the corralds did not start: $(tail -3 "$CORRAL_ROOT"/[ab].log)"
}

# corralds_down: both corralds stopped (each waited for).
corralds_down() {
	local p
	[ ${#corralds[@]} -eq 0 ] || kill "${corralds[@]}" 2>/dev/null
	for p in "${corralds[@]}"; do
		wait "$p" 2>/dev/null
	done
	corralds=()
	rm -f "$ra/run/corral/corrald.sock" "$rb/run/corral/corrald.sock"
}

# shaped_hosts RATE: hosts a and b joined by a veth shaped to RATE on a's
# side (tc tbf, 50 ms of queue), each one's corrald up; after
# bench_netns_hosts (and two_hosts from tests/integration/lib/hosts.sh).
shaped_hosts() {
	two_hosts "$na" "$nb" "$va" "$vb" "$net"
	ip netns exec "$na" tc qdisc add dev "$va" root tbf rate "$1" burst 64kbit latency 50ms
	hosts_up "$net.1" "$net.2"
}

# hosts_down: every partition on both hosts stopped and removed (an NFS
# root's files kept), the corralds stopped, the hosts' cgroup parents gone.
hosts_down() {
	local h spec n
	for h in a b; do
		for spec in "$CORRAL_ROOT/$h"/etc/wpars/*.spec; do
			[ -e "$spec" ] || continue
			n=$(basename "$spec" .spec)
			on_host "$h" "$BIN/stopwpar" -F "$n"
			on_host "$h" "$BIN/rmwpar" -F -p "$n"
		done
	done
	[ ${#corralds[@]} -eq 0 ] || kill "${corralds[@]}"
	rmdir /sys/fs/cgroup/*/"$CORRAL_CGROUP_PARENT"-[ab]
}

# need_lazy_pages: fail unless corral check proved post-copy with this CRIU.
need_lazy_pages() {
	local lazy
	lazy=$(CORRAL_ROOT=$CORRAL_ROOT/a "$BIN/corral" check 2>&1 | grep -E '^[a-z]+ +lazy-pages ' || true)
	case "$lazy" in
	ok*) ;;
	*) fail "post-copy does not work with this CRIU: $lazy" ;;
	esac
}
