#!/usr/bin/env bash
# Install everything Corral needs on Debian 12 (as root), idempotently.
# Quiet when everything is present; a second run takes seconds.
#
# CRIU: Debian 12's criu 3.17 does not work on recent kernels. We keep the
# system's criu when it is >= 4.1 and `criu check` passes; otherwise we build
# CRIU 4.1.1 from Debian's trixie source tarball (sha256 verified) and install
# criu, libcriu and criu.h under /usr/local.
set -euo pipefail

CRIU_VERSION=4.1.1
CRIU_TARBALL=criu_${CRIU_VERSION}.orig.tar.xz
CRIU_SHA256=f80a66cb3726bb2116266d4759ce3bcbfab7abdb6b6d430bf20dd41911717afe
CRIU_CACHE=${CORRAL_CRIU_CACHE:-/var/cache/corral/criu}
# Corral's own fixes to CRIU 4.1.1 (see each file's header); a change to them
# rebuilds CRIU.
CRIU_PATCH_DIR=$(cd "$(dirname "$0")" && pwd)/criu-patches
CRIU_STAMP_FILE=/usr/local/share/corral/criu-build-stamp

PACKAGES=(
	build-essential cmake pkg-config git clang libclang-rt-14-dev
	libprotobuf-c-dev protobuf-c-compiler liblz4-dev lz4 libsodium-dev
	libnl-3-dev libnl-route-3-dev libnfs-dev libnfs-utils libcmocka-dev
	libfuse3-dev fuse3 libcap-dev libseccomp-dev libarchive-dev
	nfs-ganesha nfs-ganesha-vfs rpcbind iproute2 nftables util-linux procps
	psmisc tar xz-utils iputils-ping socat
	etcd-server etcd-client curl libcurl4-openssl-dev libjson-c-dev openssl python3
	libarchive13
)
CRIU_BUILD_PACKAGES=(
	libprotobuf-dev protobuf-compiler python3-protobuf libnet1-dev libbsd-dev
	uuid-dev libgnutls28-dev libnftables-dev libdrm-dev libaio-dev patch
	libarchive-dev
)

log() { echo "deps: $*" >&2; }
die() { echo "deps: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs Debian packages)"
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_update_once() {
	if [ $apt_updated -eq 0 ]; then
		apt-get update -qq >/dev/null || die "apt-get update failed"
		apt_updated=1
	fi
}

install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	apt_update_once
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
}


patch_stamp() {
	{ echo "$CRIU_VERSION"; cat "$CRIU_PATCH_DIR"/*.patch 2>/dev/null; } | sha256sum | cut -d' ' -f1
}

criu_is_usable() {
	local bin=$1 ver
	[ -x "$bin" ] || return 1
	ver=$("$bin" --version 2>/dev/null | sed -n 's/^Version: *//p')
	[ -n "$ver" ] || return 1
	# Version must be >= 4.1
	[ "$(printf '%s\n4.1\n' "$ver" | sort -V | head -n1)" = "4.1" ] || return 1
	timeout 60 "$bin" check >/dev/null 2>&1 || return 1
	[ -f /usr/local/include/criu/rpc.pb-c.h ] || [ -f /usr/include/criu/rpc.pb-c.h ] || return 1
	compgen -G "/usr/local/lib/libcriu.so.2" >/dev/null || compgen -G "/usr/lib/*/libcriu.so.2" >/dev/null || return 1
}

trixie_source_list() {
	# Reuse the mirror this machine is already configured with.
	local uri keyring
	uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1=="deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "cannot find the Debian mirror in /etc/apt sources"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >/etc/apt/sources.list.d/corral-trixie-src.sources <<SRC
Types: deb-src
URIs: $uri
Suites: trixie
Components: main
Signed-By: $keyring
SRC
	apt-get update -qq >/dev/null || die "apt-get update (trixie sources) failed"
}

build_criu() {
	install_missing "${CRIU_BUILD_PACKAGES[@]}"
	mkdir -p "$CRIU_CACHE"
	cd "$CRIU_CACHE"
	if ! echo "$CRIU_SHA256  $CRIU_TARBALL" | sha256sum -c --quiet - 2>/dev/null; then
		log "fetching CRIU $CRIU_VERSION source from Debian trixie"
		trixie_source_list
		rm -f "$CRIU_TARBALL"
		apt-get source --download-only "criu/trixie" >/dev/null 2>&1 || true
		[ -f "$CRIU_TARBALL" ] || die "could not download $CRIU_TARBALL"
		echo "$CRIU_SHA256  $CRIU_TARBALL" | sha256sum -c --quiet - ||
			die "$CRIU_TARBALL: sha256 mismatch"
	fi
	local stamp
	stamp=$(patch_stamp)
	if [ ! -x "criu-$CRIU_VERSION/criu/criu" ] || [ ! -f "criu-$CRIU_VERSION/lib/c/libcriu.so" ] ||
		[ "$(cat "criu-$CRIU_VERSION/.corral-stamp" 2>/dev/null)" != "$stamp" ]; then
		log "building CRIU $CRIU_VERSION (about a minute)"
		rm -rf "criu-$CRIU_VERSION"
		tar xf "$CRIU_TARBALL"
		local p
		for p in "$CRIU_PATCH_DIR"/*.patch; do
			[ -f "$p" ] || continue
			patch -d "criu-$CRIU_VERSION" -p1 --quiet <"$p" || die "cannot apply $(basename "$p") to CRIU"
		done
		make -C "criu-$CRIU_VERSION" -j"$(nproc)" criu lib >build.log 2>&1 ||
			die "CRIU build failed, see $CRIU_CACHE/build.log"
		echo "$stamp" >"criu-$CRIU_VERSION/.corral-stamp"
	fi
	local src=$CRIU_CACHE/criu-$CRIU_VERSION
	install -m 0755 "$src/criu/criu" /usr/local/sbin/criu
	install -d /usr/local/include/criu /usr/local/lib
	install -m 0644 "$src/lib/c/criu.h" /usr/local/include/criu/criu.h
	install -m 0644 "$src/images/rpc.pb-c.h" /usr/local/include/criu/rpc.pb-c.h
	install -m 0644 "$src/criu/include/version.h" /usr/local/include/criu/version.h
	install -m 0755 "$src/lib/c/libcriu.so" /usr/local/lib/libcriu.so.2
	ln -sf libcriu.so.2 /usr/local/lib/libcriu.so
	install -d "$(dirname "$CRIU_STAMP_FILE")"
	echo "$stamp" >"$CRIU_STAMP_FILE"
	cat >/usr/local/lib/pkgconfig-criu.pc.tmp <<PC
prefix=/usr/local
libdir=\${prefix}/lib
includedir=\${prefix}/include/criu
Name: CRIU
Description: CRIU RPC library
Version: $CRIU_VERSION
Libs: -L\${libdir} -lcriu
Cflags: -I\${includedir}
PC
	install -d /usr/local/lib/pkgconfig
	mv /usr/local/lib/pkgconfig-criu.pc.tmp /usr/local/lib/pkgconfig/criu.pc
	ldconfig
}

install_missing "${PACKAGES[@]}"

# Debian's criu 3.17 shadows nothing under /usr/local, but remove confusion:
# prefer /usr/local/sbin/criu, which is first in root's PATH.
# Our build is kept while it carries the current patches; a system CRIU
# from 4.2 on has the socket fix (Linux 6.16+) and is kept as it is.
if criu_is_usable /usr/local/sbin/criu && [ "$(cat "$CRIU_STAMP_FILE" 2>/dev/null)" = "$(patch_stamp)" ]; then
	:
elif criu_is_usable /usr/sbin/criu &&
	[ "$(printf '%s\n4.2\n' "$(/usr/sbin/criu --version | sed -n 's/^Version: *//p')" | sort -V | head -n1)" = "4.2" ]; then
	:
else
	build_criu
	# criu check can fail here only for reasons a build cannot fix; report it.
	timeout 60 /usr/local/sbin/criu check >/dev/null 2>&1 ||
		log "warning: 'criu check' fails on this host; run 'corral check' for details"
fi
