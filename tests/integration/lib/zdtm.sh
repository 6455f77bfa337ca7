# zdtm-style workloads inside a partition: each tests/helpers/zdtm_* program
# runs as a service of the partition, builds its state, writes ready, waits
# for SIGUSR1, then verifies its state and writes PASS or FAIL.
ZDTM_PROGRAMS=${ZDTM_PROGRAMS:-"zdtm_counter zdtm_file_offset zdtm_pipe zdtm_socketpair zdtm_timerfd zdtm_timer_loop zdtm_shm zdtm_tcp_listen zdtm_tcp_established zdtm_tree"}

# zdtm_install NAME: copy the programs into the partition and list them as services.
zdtm_install() {
	local root=$CORRAL_ROOT/wpars/$1
	for p in $ZDTM_PROGRAMS; do
		install -m 0755 "$CORRAL_BUILD_DIR/tests/helpers/$p" "$root/root/$p"
		echo "/root/$p /tmp/$p" >> "$root/etc/corral/services"
		mkdir -p "$root/tmp/$p"
	done
}

# zdtm_wait_ready NAME: every program has built its state.
zdtm_wait_ready() {
	local root=$CORRAL_ROOT/wpars/$1 p
	for p in $ZDTM_PROGRAMS; do
		for _ in $(seq 100); do [ -f "$root/tmp/$p/ready" ] && break; sleep 0.1; done
		[ -f "$root/tmp/$p/ready" ] || fail "$p did not get ready"
	done
}

# zdtm_host_pid NAME PROG: the host pid of PROG in partition NAME (the
# program itself, not one of the children it forked, which share its command
# line; and not a copy in another partition: the cgroup must be
# $CORRAL_CGROUP_PARENT/NAME when that is set, else end in /NAME)
zdtm_host_pid() {
	local all="" p parent
	for p in $(pgrep -f "^/root/$2 /tmp/$2" || true); do
		grep -q "${CORRAL_CGROUP_PARENT:+:/$CORRAL_CGROUP_PARENT}/$1\$" "/proc/$p/cgroup" 2>/dev/null && all="$all $p"
	done
	all=$(echo $all | tr ' ' '\n')
	for p in $all; do
		parent=$(ps -o ppid= -p "$p" | tr -d ' ')
		echo "$all" | grep -qx "$parent" || { echo "$p"; return; }
	done
}

# zdtm_verify NAME: signal every program and require PASS from each.
zdtm_verify() {
	local root=$CORRAL_ROOT/wpars/$1 p pid
	for p in $ZDTM_PROGRAMS; do
		pid=$(zdtm_host_pid "$1" "$p")
		[ -n "$pid" ] || fail "$p is not running"
		kill -USR1 "$pid"
	done
	for p in $ZDTM_PROGRAMS; do
		for _ in $(seq 100); do [ -f "$root/tmp/$p/result" ] && break; sleep 0.1; done
		[ -f "$root/tmp/$p/result" ] || fail "$p gave no result"
		assert_eq "PASS" "$(head -1 "$root/tmp/$p/result")" "$p after restart"
	done
}
