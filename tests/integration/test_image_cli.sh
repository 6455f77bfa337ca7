#!/bin/bash
# labels:
# timeout: 120
# corral image and corral keygen end to end: make a host key, pack a tree
# plain, with a key file and sealed to the host, then info/ls/verify/extract
# through files and pipes; every corruption, a wrong key, a cut image and an
# unsafe target give exit 1 with a message and leave no half-extracted tree.
set -euo pipefail
corral="$CORRAL_BUILD_DIR/cli/corral"
[ -x "$corral" ] || { echo "SKIP: $corral not built"; exit 77; }
work=$(mktemp -d /tmp/corral-image-it.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CORRAL_ROOT="$work/root"
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_fail() { # expect_fail "message part" cmd...
	local want=$1; shift
	if "$@" >out.txt 2>err.txt; then fail "succeeded: $*"; fi
	grep -q -- "$want" err.txt || { cat err.txt >&2; fail "no '$want' from: $*"; }
}

# A tree like a checkpoint: CRIU images, a tmpfs copy, a spec.
mkdir -p src/criu src/tmpfs/sub
head -c 3000000 /dev/urandom >src/criu/pages-1.img
head -c 2000000 /dev/zero >>src/criu/pages-1.img
printf 'inventory' >src/criu/inventory.img
: >src/criu/empty.img
echo 'name = web' >src/spec
chmod 0640 src/spec
ln -s ../../spec src/tmpfs/sub/link-to-spec

# keygen: 0600 key, public key printed, refusal without --force.
pub=$("$corral" keygen 2>/dev/null)
[ "$(stat -c %a root/etc/corral/host.key)" = 600 ] || fail "host.key is not 0600"
[ "$pub" = "$(cat root/etc/corral/host.pub)" ] || fail "printed key differs from host.pub"
expect_fail "--force" "$corral" keygen
"$corral" keygen --force --hex >hex.txt 2>/dev/null
grep -Eq '^[0-9a-f]{64}$' hex.txt || fail "keygen --hex did not print 64 hex digits"

head -c 48 /dev/urandom >key && chmod 600 key
"$corral" image create plain.img src
"$corral" image create keyed.img src --key-file key
"$corral" image create - src --seal-to root/etc/corral/host.pub >sealed.img

"$corral" image info plain.img >info.txt
grep -q '^format: *1.1' info.txt || fail "info shows no format 1.1"
grep -q 'entries: *8 (4 files' info.txt || { cat info.txt; fail "info: wrong entry count"; }
"$corral" image ls keyed.img --key-file key >ls.txt
grep -q 'criu/pages-1.img' ls.txt && grep -q 'tmpfs/sub/link-to-spec -> ../../spec' ls.txt ||
	fail "ls misses entries"
"$corral" image verify plain.img | grep -q OK
"$corral" image verify sealed.img --host-key | grep -q OK
"$corral" image verify - --key-file key <keyed.img | grep -q OK

for img in plain keyed sealed; do
	opts=()
	[ $img = keyed ] && opts=(--key-file key)
	[ $img = sealed ] && opts=(--host-key)
	"$corral" image extract $img.img out-$img "${opts[@]}"
	diff -r src out-$img || fail "$img: extracted tree differs"
	[ "$(stat -c %a out-$img/spec)" = 640 ] || fail "$img: mode not kept"
	[ "$(readlink out-$img/tmpfs/sub/link-to-spec)" = ../../spec ] || fail "$img: symlink"
done

# Refusals.
expect_fail "--key-file" "$corral" image verify keyed.img
head -c 32 /dev/urandom >other && chmod 600 other
expect_fail "wrong key" "$corral" image verify keyed.img --key-file other
expect_fail "already exists" "$corral" image extract plain.img out-plain
expect_fail "not a Corral" "$corral" image info key
size=$(stat -c %s plain.img)
head -c $((size - 7)) plain.img >cut.img
expect_fail "truncated" "$corral" image extract cut.img out-cut
[ ! -e out-cut ] || fail "a cut image left a directory behind"
cp keyed.img flipped.img
# Invert the byte in the middle (writing a fixed value would be no change 1 time in 256).
byte=$(od -An -tu1 -j $((size / 2)) -N1 flipped.img | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 255)))" | dd of=flipped.img bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s keyed.img flipped.img && fail "the byte flip changed nothing"
expect_fail "authentication failed" "$corral" image extract flipped.img out-flip --key-file key
[ ! -e out-flip ] || fail "a corrupt image left a directory behind"
ls -a | grep -q partial && fail "a temporary extraction directory was left behind"
python3 - plain.img major.img <<'PY'
import struct, sys, zlib
d = bytearray(open(sys.argv[1], 'rb').read())
d[8:12] = struct.pack('<HH', 3, 0)
open(sys.argv[2], 'wb').write(d)
PY
expect_fail "version 3.0 is not supported" "$corral" image info major.img
expect_fail "usage" "$corral" image verify
echo "image CLI: all checks passed"
