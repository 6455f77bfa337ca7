# Reading the status file of tests/helpers/tcp_seq_client, sourced after
# lib/common.sh. The client rewrites its status ("count=N maxgap=MS ...", or
# a line starting FAIL) as it goes.

# count_of STATUS / gap_of STATUS: echoes answered so far, largest gap in ms.
count_of() { sed -n 's/.*count=\([0-9]*\).*/\1/p' "$1" 2>/dev/null || echo 0; }
gap_of() { sed -n 's/.*maxgap=\([0-9]*\).*/\1/p' "$1" 2>/dev/null || echo 0; }

# flowing STATUS WHAT: the client is alive and its count grows by 20 within 20 s.
flowing() {
	local before now
	before=$(count_of "$1")
	for _ in $(seq 200); do
		grep -q '^FAIL' "$1" 2>/dev/null && fail "$2: $(cat "$1")"
		now=$(count_of "$1")
		[ "${now:-0}" -ge $((${before:-0} + 20)) ] && return 0
		sleep 0.1
	done
	fail "$2: no echoes for 20 s ($(cat "$1" 2>/dev/null))"
}
