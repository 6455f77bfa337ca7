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
# A service that counts in its own memory and writes the count every half second.
echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.5; done' >> "$CORRAL_ROOT/wpars/demo/etc/corral/services"
run startwpar demo
run lswpar
run clogin demo sh -c 'echo "hostname: $(hostname)"; echo "processes I can see:"; ps -e -o pid,comm; touch /usr/x 2>&1 || true'
run lswpar -L demo

say "Change its limits while it runs"
run chwpar -R totalProcesses=32 demo
run lswpar -R demo

say "Checkpoint it to one image, stop it, and restart it from the image"
sleep 2
echo "counter before: $(cat "$CORRAL_ROOT/wpars/demo/tmp/counter")"
run chkptwpar -v -k -o "$CORRAL_ROOT/demo.wpar" demo
run lswpar demo
run corral image info "$CORRAL_ROOT/demo.wpar"
run restartwpar -i "$CORRAL_ROOT/demo.wpar" demo
sleep 1
echo "counter after restart: $(cat "$CORRAL_ROOT/wpars/demo/tmp/counter") (it went on from its memory, not from 1)"
run lswpar demo

say "An application partition: one command, its exit status"
run wparexec -n job -- sh -c 'echo "in $(hostname) as pid $$"; exit 3' || echo "exit status: $?"

say "Stop and remove"
run stopwpar demo
run lswpar
run rmwpar demo
