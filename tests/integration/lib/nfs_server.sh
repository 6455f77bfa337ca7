#!/usr/bin/env bash
# A real NFS server for tests: nfs-ganesha (VFS FSAL) + rpcbind, serving
# directories under a state directory, on 127.0.0.1 or an address of a
# network namespace the caller made (never any other address).
#
#   nfs_server.sh start STATEDIR [ADDR]   start; prints the settings as
#                                         shell assignments (also in STATEDIR/env)
#   nfs_server.sh stop STATEDIR           stop what start started
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

port_free() { ! ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .; }

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
	command -v ganesha.nfsd >/dev/null || { echo "SKIP: nfs-ganesha is not installed"; exit 77; }
	command -v rpcbind >/dev/null || { echo "SKIP: rpcbind is not installed"; exit 77; }
	command -v nfs-ls >/dev/null || { echo "SKIP: nfs-ls (libnfs-utils) is not installed"; exit 77; }
	case $addr in
	127.*) ;;
	*) ip -o addr show | grep -qw "inet $addr" || die "$addr is neither loopback nor an address of this (network namespace's) host" ;;
	esac
	mkdir -p "$dir/exports/rw" "$dir/exports/ro" "$dir/exports/squash" "$dir/recovery"
	chmod 0777 "$dir/exports/squash"
	# The host-wide lock, held by a holder process until stop.
	rm -f "$dir/locked"
	setsid flock -w 120 "$LOCK" sh -c "echo \$\$ >'$dir/locked.tmp'; mv '$dir/locked.tmp' '$dir/locked'; exec sleep 100000" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$dir/lock-holder.pid"
	for _ in $(seq 1250); do [ -e "$dir/locked" ] && break; kill -0 "$(cat "$dir/lock-holder.pid")" 2>/dev/null || break; sleep 0.1; done
	[ -e "$dir/locked" ] || die "another test NFS server holds $LOCK"
	if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
		rpcbind -w
		for _ in $(seq 50); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
		pgrep -x rpcbind | head -n1 >"$dir/rpcbind.pid"
	fi
	local nfs_port mnt_port
	nfs_port=$(pick_port)
	mnt_port=$(pick_port "$nfs_port")
	write_config "$dir" "$addr" "$nfs_port" "$mnt_port"
	ganesha.nfsd -f "$dir/ganesha.conf" -L "$dir/ganesha.log" -p "$dir/ganesha.pid" -N NIV_EVENT
	cat >"$dir/env" <<ENV
NFS_ADDR=$addr
NFS_PORT=$nfs_port
MNT_PORT=$mnt_port
NFS_EXPORT_RW=$dir/exports/rw
NFS_EXPORT_RO=$dir/exports/ro
NFS_EXPORT_SQUASH=$dir/exports/squash
NFS_MOUNTOPTS=port=$nfs_port,mountport=$mnt_port
ENV
	for _ in $(seq 300); do
		if nfs-ls "nfs://$addr$dir/exports/rw?nfsport=$nfs_port&mountport=$mnt_port" >/dev/null 2>&1; then
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
}

case "${1:-}" in
start) [ $# -ge 2 ] || die "usage: nfs_server.sh start STATEDIR [ADDR]"; start "$2" "${3:-}" ;;
stop) [ $# -eq 2 ] || die "usage: nfs_server.sh stop STATEDIR"; stop "$2" ;;
*) die "usage: nfs_server.sh start STATEDIR [ADDR] | stop STATEDIR" ;;
esac
