#!/bin/bash
# Each outside library is included by one folder only, the one whose CMake
# library links it (CMakeLists.txt, corral_folder ... OUTSIDE): a header found
# on the default include path (sodium.h, lz4.h...) would otherwise build from
# any folder and quietly make a second owner.
# Usage: test_outside_owners.sh [SOURCE_DIR]   (default $CORRAL_SOURCE_DIR or .)
set -u
cd "${1:-${CORRAL_SOURCE_DIR:-.}}" || exit 1

# the include's opening delimiter and target (an extended regex) -> its owner
owners='
<(criu\.h|criu/) criu
<(sodium\.h|sodium/) crypto
<netlink/ net
<(nfsc/|fuse3/|fuse\.h|fuse_) nfs
<lz4 formats
<seccomp\.h seccomp
<sys/capability\.h partition
<archive(\.h|_entry\.h) partition
<(curl/|json-c/) fleet
"image\.pb-c\.h formats
"streamer\.pb-c\.h stream
"transport_wire\.pb-c\.h transport
'

bad=0
checked=0
while read -r pattern owner; do
	[ -n "$pattern" ] || continue
	checked=$((checked + 1))
	hits=$(grep -rnE --include='*.c' --include='*.h' \
		"^[[:space:]]*#[[:space:]]*include[[:space:]]*$pattern" . |
		grep -vE "^\./($owner|tests|fuzz|bench|docs|scripts|build[^/]*)/")
	if [ -n "$hits" ]; then
		echo "FAIL: only $owner/ may include $pattern:"
		echo "$hits"
		bad=1
	fi
done <<<"$owners"
[ "$bad" = 0 ] || exit 1
echo "ok: $checked outside libraries, each included by its own folder only"
