#!/usr/bin/env bash
# A real NFS server for tests: nfs-ganesha (VFS FSAL) + rpcbind, serving
# directories under a state directory, on 127.0.0.1 or an address of a
# network namespace (never any other address).
#
#   nfs_server.sh start STATEDIR [ADDR [NETNS]]
#       start; prints the settings as shell assignments (also in STATEDIR/env).
#       Without NETNS ganesha runs in the caller's network namespace and ADDR
#       (default 127.0.0.1) must be loopback or one of its addresses; with
#       NETNS (an `ip netns` name or the pid of a process in it) ganesha runs
#       in that namespace and ADDR must be one of that namespace's addresses.
#   nfs_server.sh stop STATEDIR
#       stop what start started, and remove what lan and attach made.
#   nfs_server.sh lan STATEDIR
#       make a network namespace for the server (STATEDIR/netns holds its
#       `ip netns` name) with a bridge nfsbr addressed $NFS_LAN_SERVER/24
#       (10.215.0.1); prints its name. Start the server there with
#       `start STATEDIR 10.215.0.1 "$(cat STATEDIR/netns)"`.
#   nfs_server.sh attach STATEDIR NETNS ADDR
#       cable the "host" NETNS (an `ip netns` name or a pid) to that bridge: a
#       veth pair, nfs0 in NETNS with ADDR/24 (10.215.0.2 to .254), its peer a
#       port of nfsbr. Several hosts attached so reach the one server.
#
# rpcbind is host-wide (ganesha registers through /run/rpcbind.sock from any
# network namespace); clients are given the ports, so no portmapper query
# crosses the namespaces.
#
# Exports (all NFSv3+v4 over TCP, sec=sys), under STATEDIR/exports:
#   rw      read-write, no root squash   (NFS_EXPORT_RW)
#   ro      read-only                    (NFS_EXPORT_RO)
#   squash  read-write, root squashed    (NFS_EXPORT_SQUASH)
# STATEDIR/env sets NFS_ADDR NFS_PORT MNT_PORT NFS_EXPORT_RW NFS_EXPORT_RO
# NFS_EXPORT_SQUASH NFS_MOUNTOPTS (the Corral mountopts for these ports).
#
# Only one such server runs at a time on a host (ganesha registers NFSv3
# with the one rpcbind): start waits up to 120 s for the host-wide lock,
# held by a small holder process until stop. rpcbind is stopped by stop only
# when start had to start it. Exit 77 when ganesha or rpcbind is missing.
set -euo pipefail

LOCK=/run/lock/corral-nfs-test-server.lock

die() { echo "nfs_server.sh: $*" >&2; exit 1; }

# The test LAN: the server's namespace holds the bridge and the server address.
NFS_LAN_SERVER=10.215.0.1
NFS_LAN_PREFIX=24
NFS_LAN_BRIDGE=nfsbr

# in_ns NETNS CMD...: run CMD in NETNS (empty: here; digits: a pid's
# namespace; else an `ip netns` name).
in_ns() {
	local ns=$1; shift
	case $ns in
	'') "$@" ;;
	*[!0-9]*) nsenter --net="/run/netns/$ns" -- "$@" ;;
	*) nsenter -t "$ns" -n -- "$@" ;;
	esac
}

NETNS=
port_free() { ! in_ns "$NETNS" ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .; }

pick_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 30000))
		if port_free "$p" && [ "$p" != "${1:-0}" ]; then echo "$p"; return 0; fi
	done
	die "no free port found"
}

write_config() {
	local dir=$1 addr=$2 nfs_port=$3 mnt_port=$4
	cat >"$dir/ganesha.conf" <<CONF
NFS_CORE_PARAM {
	Protocols = 3, 4;
	NFS_Port = $nfs_port;
	MNT_Port = $mnt_port;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Bind_addr = $addr;
}
NFSV4 { Graceless = true; RecoveryRoot = $dir/recovery; }
NFS_KRB5 { Active_krb5 = false; }
CONF
	local id=1 name access squash
	for spec in rw:RW:No_Root_Squash ro:RO:No_Root_Squash squash:RW:Root_Squash; do
		IFS=: read -r name access squash <<<"$spec"
		cat >>"$dir/ganesha.conf" <<CONF
EXPORT {
	Export_Id = $id; Path = $dir/exports/$name; Pseudo = $dir/exports/$name;
	Access_Type = $access; Squash = $squash; Protocols = 3, 4;
	Transports = TCP; SecType = sys; FSAL { Name = VFS; }
}
CONF
		id=$((id + 1))
	done
}

start() {
	local dir=$1 addr=${2:-127.0.0.1}
	NETNS=${3:-}
	command -v ganesha.nfsd >/dev/null || { echo "SKIP: nfs-ganesha is not installed"; exit 77; }
	command -v rpcbind >/dev/null || { echo "SKIP: rpcbind is not installed"; exit 77; }
	command -v nfs-ls >/dev/null || { echo "SKIP: nfs-ls (libnfs-utils) is not installed"; exit 77; }
	if [ -n "$NETNS" ]; then
		in_ns "$NETNS" true 2>/dev/null || die "no network namespace $NETNS"
		in_ns "$NETNS" ip link set lo up
		# (no grep -q in a pipeline: under pipefail ip's SIGPIPE would fail it)
		in_ns "$NETNS" ip -o addr show | grep -w "inet $addr" >/dev/null || die "$addr is not an address of network namespace $NETNS"
	else
		case $addr in
		127.*) ;;
		*) ip -o addr show | grep -w "inet $addr" >/dev/null || die "$addr is neither loopback nor an address of this (network namespace's) host" ;;
		esac
	fi
	mkdir -p "$dir/exports/rw" "$dir/exports/ro" "$dir/exports/squash" "$dir/recovery"
	chmod 0777 "$dir/exports/squash"
	# The host-wide lock, held by a holder process until stop.
	rm -f "$dir/locked"
	setsid flock -w 120 "$LOCK" sh -c "echo \$\$ >'$dir/locked.tmp'; mv '$dir/locked.tmp' '$dir/locked'; exec sleep 100000" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$dir/lock-holder.pid"
	for _ in $(seq 1250); do [ -e "$dir/locked" ] && break; kill -0 "$(cat "$dir/lock-holder.pid")" 2>/dev/null || break; sleep 0.1; done
	[ -e "$dir/locked" ] || die "another test NFS server holds $LOCK"
	# rpcinfo without a host asks through /run/rpcbind.sock: the one rpcbind
	# of the machine, whichever network namespace it listens in.
	if ! rpcinfo -p >/dev/null 2>&1; then
		rpcbind -w
		for _ in $(seq 50); do rpcinfo -p >/dev/null 2>&1 && break; sleep 0.1; done
		pgrep -x rpcbind | head -n1 >"$dir/rpcbind.pid"
	fi
	local nfs_port mnt_port
	nfs_port=$(pick_port)
	mnt_port=$(pick_port "$nfs_port")
	write_config "$dir" "$addr" "$nfs_port" "$mnt_port"
	in_ns "$NETNS" ganesha.nfsd -f "$dir/ganesha.conf" -L "$dir/ganesha.log" -p "$dir/ganesha.pid" -N NIV_EVENT
	cat >"$dir/env" <<ENV
NFS_NETNS=$NETNS
NFS_ADDR=$addr
NFS_PORT=$nfs_port
MNT_PORT=$mnt_port
NFS_EXPORT_RW=$dir/exports/rw
NFS_EXPORT_RO=$dir/exports/ro
NFS_EXPORT_SQUASH=$dir/exports/squash
NFS_MOUNTOPTS=port=$nfs_port,mountport=$mnt_port
ENV
	for _ in $(seq 300); do
		if in_ns "$NETNS" nfs-ls "nfs://$addr$dir/exports/rw?nfsport=$nfs_port&mountport=$mnt_port" >/dev/null 2>&1; then
			cat "$dir/env"
			return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$dir/ganesha.log" >&2 || true
	stop "$dir"
	die "ganesha did not answer on $addr:$nfs_port within 30 s"
}

# Send TERM to the pid in FILE, wait up to 10 s, then KILL.
stop_pidfile() {
	local file=$1 pid
	[ -s "$file" ] || return 0
	pid=$(cat "$file")
	if kill "$pid" 2>/dev/null; then
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
}

stop() {
	local dir=$1
	stop_pidfile "$dir/ganesha.pid"
	stop_pidfile "$dir/rpcbind.pid"
	# The lock is held by flock and by its child (the sleep in "locked"):
	# end the child, then flock itself.
	stop_pidfile "$dir/locked"
	stop_pidfile "$dir/lock-holder.pid"
	# The LAN: cables go with the server's namespace (and a host's ends
	# with their peers).
	if [ -s "$dir/netns" ]; then
		ip netns del "$(cat "$dir/netns")" 2>/dev/null || true
		rm -f "$dir/netns"
	fi
}

lan() {
	local dir=$1 ns
	mkdir -p "$dir"
	[ -s "$dir/netns" ] && die "$dir has a LAN already ($(cat "$dir/netns"))"
	ns=corral-nfs-$$-$RANDOM
	ip netns add "$ns"
	echo "$ns" >"$dir/netns"
	in_ns "$ns" ip link set lo up
	in_ns "$ns" ip link add "$NFS_LAN_BRIDGE" type bridge
	in_ns "$ns" ip addr add "$NFS_LAN_SERVER/$NFS_LAN_PREFIX" dev "$NFS_LAN_BRIDGE"
	in_ns "$ns" ip link set "$NFS_LAN_BRIDGE" up
	echo "$ns"
}

attach() {
	local dir=$1 host=$2 addr=$3 ns port
	[ -s "$dir/netns" ] || die "no LAN in $dir: run nfs_server.sh lan first"
	ns=$(cat "$dir/netns")
	case $addr in 10.215.0.*) ;; *) die "$addr is not on the test LAN 10.215.0.0/24" ;; esac
	port=h$(printf '%s' "$host" | md5sum | cut -c1-8)
	in_ns "$host" true 2>/dev/null || die "no network namespace $host"
	in_ns "$ns" ip link add "$port" type veth peer name nfs0 netns "$host"
	in_ns "$ns" ip link set "$port" master "$NFS_LAN_BRIDGE"
	in_ns "$ns" ip link set "$port" up
	in_ns "$host" ip link set lo up
	in_ns "$host" ip addr add "$addr/$NFS_LAN_PREFIX" dev nfs0
	in_ns "$host" ip link set nfs0 up
	for _ in $(seq 50); do in_ns "$host" ping -c1 -W1 "$NFS_LAN_SERVER" >/dev/null 2>&1 && return 0; sleep 0.1; done
	die "$addr in $host does not reach $NFS_LAN_SERVER"
}

USAGE="usage: nfs_server.sh start STATEDIR [ADDR [NETNS]] | stop STATEDIR | lan STATEDIR | attach STATEDIR NETNS ADDR"
case "${1:-}" in
start) [ $# -ge 2 ] || die "$USAGE"; start "$2" "${3:-}" "${4:-}" ;;
stop) [ $# -eq 2 ] || die "$USAGE"; stop "$2" ;;
lan) [ $# -eq 2 ] || die "$USAGE"; lan "$2" ;;
attach) [ $# -eq 4 ] || die "$USAGE"; attach "$2" "$3" "$4" ;;
*) die "$USAGE" ;;
esac
