#!/usr/bin/env bash
# labels: root
# timeout: 120
# What mkwpar (and chwpar) refuse at once, with a one-line error and nothing
# created: a spec file that is a FIFO (it used to block forever) or too
# large, a repeated key or stanza, limits that cannot run anything, CPUs
# this host lacks, network addresses no interface can hold, and the same
# network rules under -w (write the spec only).
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup
work=$(mktemp -d /tmp/corral-refusals.XXXXXX)
TEARDOWN_LAST='rm -rf "$work"'

# refused WHAT TEXT CMD...: exits non-zero within 10 s, one line on stderr holding TEXT.
refused() {
	local what=$1 text=$2 rc=0 err
	shift 2
	timeout 10 "$@" >/dev/null 2>"$work/err" </dev/null || rc=$?
	err=$(cat "$work/err")
	[ "$rc" -ne 0 ] || fail "$what: accepted"
	[ "$rc" -ne 124 ] || fail "$what: still running after 10 s"
	assert_eq 1 "$(printf '%s\n' "$err" | wc -l)" "$what: one-line error (got: ${err:0:300})"
	assert_contains "$err" "$text" "$what"
}

# Item 6: spec files are regular files (or standard input), bounded.
mkfifo "$work/fifo"
refused "mkwpar -f FIFO" "is not a regular file" mkwpar -f "$work/fifo"
refused "mkwpar -f directory" "is not a regular file" mkwpar -f "$work"
truncate -s 2M "$work/big.spec"
refused "mkwpar -f 2 MiB file" "is larger than 1048576 bytes" mkwpar -f "$work/big.spec"
printf 'general:\n\tname = fromstdin\n' | mkwpar -f - -o "$work/stdin.spec" -w >/dev/null
assert_contains "$(cat "$work/stdin.spec")" "fromstdin" "mkwpar -f - reads standard input"
pass "spec files: FIFO, directory and oversized file refused at once; -f - reads stdin"

# Item 12: a repeated key or stanza is refused with its line; long values are cut.
printf 'general:\n\tname = dup\n\thostname = h\n\tname = dup2\n' >"$work/dup.spec"
refused "repeated key" "dup.spec:4: 'name' is given twice in this stanza (first on line 2)" \
	mkwpar -f "$work/dup.spec"
printf 'general:\n\tname = dup\nresources:\n\tactive = yes\ngeneral:\n\thostname = x\n' >"$work/dup2.spec"
refused "second general stanza" "dup2.spec:5: a second general: stanza (the first is on line 1" \
	mkwpar -f "$work/dup2.spec"
{ printf 'general:\n\tname = big\n\tcheckpointable = '; head -c 100000 /dev/zero | tr '\0' y; printf '\n'; } >"$work/long.spec"
refused "100 KB value" "for checkpointable: expected yes or no" mkwpar -f "$work/long.spec"
[ "$(wc -c <"$work/err")" -lt 400 ] || fail "a 100 KB value was echoed whole ($(wc -c <"$work/err") bytes)"
pass "repeated key and stanza refused with their lines; a 100 KB value is cut"

# Item 8: limits that cannot run anything, and CPUs this host does not have.
refused "memoryLimit=4K" "memoryLimit 4096 is below 16777216 bytes" mkwpar -n lim1 -R memoryLimit=4K
refused "totalProcesses=1" "totalProcesses 1 is below 2" mkwpar -n lim1 -R totalProcesses=1
refused "CPU hardmax 0%" "hard maximum of 0% lets nothing run" mkwpar -n lim1 -R CPU=0%-0%,0%
refused "rset=0-999" "which this host does not have online" mkwpar -n lim1 -R rset=0-999
mkwpar -n lim2 -R memoryLimit=16M rset=0 >/dev/null
refused "chwpar rset=0-999" "which this host does not have online" chwpar -R rset=0-999 lim2
grep -q 'rset = "0"' "$CORRAL_ROOT/etc/wpars/lim2.spec" || fail "lim2 lost its rset after a refused chwpar"
pass "limits below the floors and an rset of missing CPUs refused by mkwpar and chwpar"

# Item 11: addresses no interface can hold, and -w checks them too.
refused "-N multicast" "is a multicast address" \
	mkwpar -n net1 -N interface=lo address=224.0.0.5 netmask=255.255.255.0
refused "-N limited broadcast" "is the limited broadcast address" \
	mkwpar -n net1 -N interface=lo address=255.255.255.255 netmask=255.255.255.255
refused "-N broadcast off the subnet" "is not the broadcast address of 10.9.0.5/24" \
	mkwpar -n net1 -N interface=lo address=10.9.0.5 netmask=255.255.255.0 broadcast=10.9.1.255
refused "-w broadcast off the subnet" "is not the broadcast address of 10.9.0.5/24" \
	mkwpar -n net1 -N interface=lo address=10.9.0.5 netmask=255.255.255.0 broadcast=10.9.1.255 \
	-o "$work/net.spec" -w
refused "-w network address" "is the network address of its subnet" \
	mkwpar -n net1 -N interface=lo address=10.9.0.0 netmask=255.255.255.0 -o "$work/net.spec" -w
[ ! -e "$work/net.spec" ] || fail "mkwpar -w wrote a spec with a refused network entry"
pass "multicast, limited broadcast and off-subnet broadcast refused, with -w too"

# Nothing was created for any refused command.
assert_eq "lim2.spec" "$(ls "$CORRAL_ROOT/etc/wpars")" "spec files after the refusals"
