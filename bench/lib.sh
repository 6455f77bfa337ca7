# Shared by bench/*.sh: the build, a temporary CORRAL_ROOT and cgroup parent
# (removed with every partition by the EXIT trap), clocks and statistics.
# Sourced after `BENCH_SRC=...`; reuses the integration tests' helpers.
: "${CORRAL_BUILD_DIR:=$BENCH_SRC/build}"
export CORRAL_BUILD_DIR LC_ALL=C
[ -x "$CORRAL_BUILD_DIR/cli/corral" ] || {
	echo "$(basename "$0"): no corral in $CORRAL_BUILD_DIR (build first, or set CORRAL_BUILD_DIR)" >&2
	exit 1
}
. "$BENCH_SRC/tests/integration/lib/common.sh"

# Commands the script adds for its EXIT trap (run before the partitions go).
bench_cleanups=()
bench_teardown() {
	local rc=$? c
	set +e
	for c in "${bench_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	(exit $rc)
	corral_teardown
}

# bench_setup PARENT: a fresh CORRAL_ROOT under PARENT (a file system to measure on).
bench_setup() {
	CORRAL_ROOT=$(mktemp -d "$1/corral-bench.XXXXXX")
	export CORRAL_ROOT CORRAL_CGROUP_PARENT="corral-bench-$$"
	trap bench_teardown EXIT
	trap 'exit 130' INT TERM
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

# median N...: the median of integers.
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

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

# load_note: the load average, since a busy machine slows everything here.
load_note() { echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"; }
