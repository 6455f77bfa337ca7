#!/usr/bin/env bash
# The main demo, on an already built tree. Usage: scripts/demo-run.sh BUILD_DIR
# Runs in a temporary CORRAL_ROOT so it never touches the host's partitions.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
export PATH="$build/cli:$PATH"
export CORRAL_ROOT=$(mktemp -d /tmp/corral-demo.XXXXXX)
cleanup() {
	stopwpar -F demo >/dev/null 2>&1 || true
	rmwpar -F demo >/dev/null 2>&1 || true
	rm -rf "$CORRAL_ROOT"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '# %s\n' "$*"; "$@"; }

say "What this host can do"
run corral check || true

say "Create a system partition (AIX mkwpar)"
run mkwpar -n demo -h demo-host -c -R totalProcesses=64 memoryLimit=256M
echo "private disk: $(du -sh "$CORRAL_ROOT/wpars/demo" | cut -f1)"
run lswpar

say "Start it and look inside"
echo 'respawn: while true; do date +%s > /tmp/heartbeat; sleep 1; done' >> "$CORRAL_ROOT/wpars/demo/etc/corral/services"
run startwpar -v demo
run lswpar
run clogin demo sh -c 'echo "hostname: $(hostname)"; echo "processes I can see:"; ps -e -o pid,comm; touch /usr/x 2>&1 || true'
run lswpar -L demo

say "Change its limits while it runs"
run chwpar -R totalProcesses=32 demo
run lswpar -R demo

say "An application partition: one command, its exit status"
run wparexec -n job -- sh -c 'echo "in $(hostname) as pid $$"; exit 3' || echo "exit status: $?"

say "Stop and remove"
run stopwpar demo
run lswpar
run rmwpar demo
