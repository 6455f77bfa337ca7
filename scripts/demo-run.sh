#!/usr/bin/env bash
# The main demo, on an already built tree. Usage: scripts/demo-run.sh BUILD_DIR
# Runs in a temporary CORRAL_ROOT so it never touches the host's partitions.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
export PATH="$build/cli:$PATH"
export CORRAL_ROOT=$(mktemp -d /tmp/corral-demo.XXXXXX)
# The second host of the relocation: a network namespace joined to this one
# by a veth, with its own CORRAL_ROOT and corrald.
host_b_root=$(mktemp -d /tmp/corral-demo-b.XXXXXX)
host_b_ns=corral-demo-b$$
daemons=""
on_b() { nsenter --net=/run/netns/"$host_b_ns" env CORRAL_ROOT="$host_b_root" CORRAL_CGROUP_PARENT=corral-demo-b "$@"; }
cleanup() {
	on_b stopwpar -F demo >/dev/null 2>&1 || true
	on_b rmwpar -F demo >/dev/null 2>&1 || true
	stopwpar -F demo >/dev/null 2>&1 || true
	rmwpar -F demo >/dev/null 2>&1 || true
	for p in $daemons; do kill "$p" 2>/dev/null || true; done
	ip netns del "$host_b_ns" 2>/dev/null || true
	ip link del cdemo$$ 2>/dev/null || true
	rm -rf "$CORRAL_ROOT" "$host_b_root"
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

say "Two hosts: this one (hosta, 10.213.7.1) and hostb (10.213.7.2, a network namespace), each with corrald"
ip netns add "$host_b_ns"
ip link add cdemo$$ type veth peer name cdemob$$
ip link set cdemob$$ netns "$host_b_ns"
ip addr add 10.213.7.1/24 dev cdemo$$
ip link set cdemo$$ up
ip -n "$host_b_ns" addr add 10.213.7.2/24 dev cdemob$$
ip -n "$host_b_ns" link set cdemob$$ up
ip -n "$host_b_ns" link set lo up
run corral keygen
on_b corral keygen
run corral trust hostb 10.213.7.2 "$host_b_root/etc/corral/host.pub"
on_b corral trust hosta 10.213.7.1 "$CORRAL_ROOT/etc/corral/host.pub"
corrald --foreground --listen 10.213.7.1 >/dev/null 2>"$CORRAL_ROOT/corrald-a.log" &
daemons="$daemons $!"
nsenter --net=/run/netns/"$host_b_ns" env CORRAL_ROOT="$host_b_root" CORRAL_CGROUP_PARENT=corral-demo-b \
	corrald --foreground --listen 10.213.7.2 >/dev/null 2>"$host_b_root/corrald-b.log" &
daemons="$daemons $!"
for _ in $(seq 50); do
	[ -S "$CORRAL_ROOT/run/corral/corrald.sock" ] && [ -S "$host_b_root/run/corral/corrald.sock" ] && break
	sleep 0.1
done

say "Relocate it live to hostb (AIX Live Application Mobility): its file systems travel in the stream"
run movewpar --dry-run demo hostb
echo "counter here before the move: $(cat "$CORRAL_ROOT/wpars/demo/tmp/counter")"
run movewpar -v demo hostb
sleep 1
echo "# on hostb:"
on_b lswpar
echo "counter on hostb: $(cat "$host_b_root/wpars/demo/tmp/counter") (it went on)"
echo "# here:"
run lswpar demo || true

say "And back to hosta"
echo "# on hostb:"
printf '# %s\n' "movewpar -v demo hosta"
on_b movewpar -v demo hosta
sleep 1
run lswpar demo
echo "counter back home: $(cat "$CORRAL_ROOT/wpars/demo/tmp/counter")"

say "A fleet: both hosts keep their shared state in etcd (one member here, reached over TLS)"
tls=$CORRAL_ROOT/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=corral-demo-ca -keyout "$tls/ca.key" \
	-out "$tls/ca.crt" 2>/dev/null
printf 'subjectAltName=IP:10.213.7.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$tls/ext"
openssl req -newkey rsa:2048 -nodes -subj /CN=etcd -keyout "$tls/etcd.key" -out "$tls/etcd.csr" 2>/dev/null
openssl x509 -req -in "$tls/etcd.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 1 \
	-extfile "$tls/ext" -out "$tls/etcd.crt" 2>/dev/null
etcd --name demo --data-dir "$CORRAL_ROOT/etcd" --listen-client-urls https://10.213.7.1:23790 \
	--advertise-client-urls https://10.213.7.1:23790 --listen-peer-urls http://127.0.0.1:23791 \
	--initial-advertise-peer-urls http://127.0.0.1:23791 --initial-cluster demo=http://127.0.0.1:23791 \
	--cert-file "$tls/etcd.crt" --key-file "$tls/etcd.key" --trusted-ca-file "$tls/ca.crt" \
	--client-cert-auth >"$CORRAL_ROOT/etcd.log" 2>&1 &
daemons="$daemons $!"
store=https://10.213.7.1:23790
creds=(--ca "$tls/ca.crt" --cert "$tls/etcd.crt" --key "$tls/etcd.key")
for _ in $(seq 100); do
	corral fleet init demo --name hosta --store "$store" --address 10.213.7.1 "${creds[@]}" \
		>"$CORRAL_ROOT/init.out" 2>&1 && break
	sleep 0.2
done
cat "$CORRAL_ROOT/init.out"
printf '# %s\n' "token=\$(corral fleet token)"
token=$(corral fleet token)
printf '# on hostb: %s\n' "corral fleet join --name hostb --store $store --address 10.213.7.2 ... TOKEN"
on_b corral fleet join --name hostb --store "$store" --address 10.213.7.2 "${creds[@]}" "$token"
sleep 3
run corral hosts
run lswpar --fleet

say "Evacuate hosta before its maintenance: its partitions move to hostb while they run"
run corral evacuate hosta --dry-run
echo "counter before: $(cat "$CORRAL_ROOT/wpars/demo/tmp/counter")"
run corral evacuate hosta
sleep 1
echo "counter on hostb: $(cat "$host_b_root/wpars/demo/tmp/counter") (it went on)"
run corral hosts

say "Maintenance over: bring back what left hosta"
run corral restore hosta
run corral history
run lswpar --fleet

say "An application partition: one command, its exit status"
run wparexec -n job -- sh -c 'echo "in $(hostname) as pid $$"; exit 3' || echo "exit status: $?"

say "Stop and remove"
run stopwpar demo
run lswpar
run rmwpar demo
