# Shared setup for integration tests: a temporary CORRAL_ROOT, the binaries,
# assertions, and a trap that stops and removes every partition made here.
set -euo pipefail

: "${CORRAL_BUILD_DIR:?run through ctest, or set CORRAL_BUILD_DIR}"
BIN=$CORRAL_BUILD_DIR/cli
export PATH="$BIN:$PATH"

skip() { echo "SKIP: $*"; exit 77; }
# When a test fails (corral_teardown), the CRIU logs Corral kept from failed
# dumps and restores (in any test root named by CORRAL_ROOT or KEPT_LOG_ROOTS)
# are shown: the roots go with the test's cleanup.
show_kept_criu_logs() {
	local root log
	for root in ${CORRAL_ROOT:-} ${KEPT_LOG_ROOTS:-}; do
		for log in "$root"/var/log/corral/*.dump.log "$root"/var/log/corral/*.restore.log; do
			[ -f "$log" ] || continue
			echo "--- last lines of $log" >&2
			grep -v "^$" "$log" | tail -n 40 >&2
		done
	done
}
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, cgroups, mounts)"; }

# read_whole FILE: the number a workload rewrites several times a second,
# read when the file is whole (an empty read is a rewrite in progress); 0
# when it never is.
read_whole() {
	local v i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		v=$(cat "$1" 2>/dev/null || true)
		[ -n "$v" ] && { echo "$v"; return; }
		sleep 0.02
	done
	echo 0
}

# corrald_ready ROOT PID: the corrald of host root ROOT (process PID) is up,
# its local socket made; fails at once when PID dies, after 10 s otherwise.
corrald_ready() {
	for _ in $(seq 100); do
		[ -S "$1/run/corral/corrald.sock" ] && return 0
		kill -0 "$2" 2>/dev/null || fail "corrald for $1 died"
		sleep 0.1
	done
	fail "corrald for $1 did not start"
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"; }
# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() { case "$1" in *"$2"*) ;; *) fail "$3: '$2' not in: $1" ;; esac; }
# assert_fails WHAT CMD... : the command must exit non-zero
assert_fails() { local what=$1; shift; if "$@" >/dev/null 2>&1; then fail "$what: succeeded but must fail"; fi; }

# state_of NAME: the state letter lswpar would show
state_of() { sed -n 's/^state=//p' "$CORRAL_ROOT/var/lib/corral/$1/state" 2>/dev/null || echo "?"; }
# monitor_running NAME: a live (not zombie) cor_NAME process exists
monitor_running() { ps -C "cor_$1" -o stat= 2>/dev/null | grep -qv '^Z'; }
init_pid_of() { sed -n 's/^init_pid=//p' "$CORRAL_ROOT/var/lib/corral/$1/state"; }

corral_setup() {
	CORRAL_ROOT=$(mktemp -d /tmp/corral-test.XXXXXX)
	export CORRAL_ROOT
	# Each test run gets its own cgroup parent so runs never collide.
	export CORRAL_CGROUP_PARENT="corral-test-$$"
	trap corral_teardown EXIT
}

corral_teardown() {
	local rc=$?
	set +e
	[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || show_kept_criu_logs
	for spec in "$CORRAL_ROOT"/etc/wpars/*.spec; do
		[ -e "$spec" ] || continue
		local name
		name=$(basename "$spec" .spec)
		stopwpar -F "$name" >/dev/null 2>&1
		rmwpar -F "$name" >/dev/null 2>&1
	done
	for d in /sys/fs/cgroup/*/"$CORRAL_CGROUP_PARENT" /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	# A test's own last step (e.g. unmounting what it mounted in the root),
	# once its partitions are gone: their locks and sockets live there.
	[ -z "${TEARDOWN_LAST:-}" ] || eval "$TEARDOWN_LAST"
	rm -rf "$CORRAL_ROOT"
	exit $rc
}
