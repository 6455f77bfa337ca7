#!/usr/bin/env bash
# labels: root
# timeout: 120
# Names that would leave the directory they are joined to ("." and ".."),
# a '/', AIX's forbidden '.', and a newline: every command refuses them with
# a one-line error and a non-zero exit, and nothing is created or removed
# (before the fix, "rmwpar .." removed $ROOT/var/lib and "rmwpar ." every
# partition's state).
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

mkwpar -n keep -h keep >/dev/null
mkdir -p "$CORRAL_ROOT/var/lib/sentinel"
touch "$CORRAL_ROOT/var/lib/sentinel/file"
work=$(mktemp -d /tmp/corral-names.XXXXXX)
TEARDOWN_LAST='rm -rf "$work"'
before=$(cd "$CORRAL_ROOT" && find . | sort)

# refused WHAT CMD...: fails (exit 1 or 2), one line on stderr, nothing on stdout.
refused() {
	local what=$1 out err rc=0
	shift
	out=$("$@" 2>"$work/err") || rc=$?
	err=$(cat "$work/err")
	[ "$rc" -ne 0 ] || fail "$what: accepted (exit 0)"
	[ -n "$err" ] || fail "$what: no error message"
	assert_eq 1 "$(printf '%s\n' "$err" | wc -l)" "$what: one-line error (got: $err)"
	case "$out" in *Stopping*|*Starting*|*Removing*|*created*) fail "$what: printed '$out'" ;; esac
}

nl_name=$'a\nb'
for bad in . .. a/b q1.x ../x "$nl_name"; do
	shown=$(printf '%q' "$bad")
	refused "mkwpar -n $shown" mkwpar -n "$bad" -h x -d "$work/base"
	refused "mkwpar -w -n $shown" mkwpar -n "$bad" -h x -d "$work/base" -o "$work/out.spec" -w
	refused "rmwpar $shown" rmwpar "$bad"
	refused "rmwpar -F $shown" rmwpar -F "$bad"
	refused "startwpar $shown" startwpar "$bad"
	refused "stopwpar -F $shown" stopwpar -F "$bad"
	refused "lswpar $shown" lswpar "$bad"
	refused "chkptwpar $shown" chkptwpar -d "$work" "$bad"
	refused "chwpar -n $shown" chwpar -n "$bad" keep
done
[ ! -e "$work/base" ] || fail "a base directory was made for a refused name"
[ ! -e "$work/out.spec" ] || fail "a spec file was written for a refused name"
[ -f "$CORRAL_ROOT/var/lib/sentinel/file" ] || fail "the sentinel under var/lib was removed"
[ -f "$CORRAL_ROOT/var/lib/corral/keep/state" ] || fail "another partition's state was removed"
after=$(cd "$CORRAL_ROOT" && find . | sort)
[ "$before" = "$after" ] || fail "files under the root changed: $(diff <(echo "$before") <(echo "$after") | tr "\n" " ")"
assert_eq "D" "$(state_of keep)" "the other partition"
pass "., .., a/b, q1.x, ../x and a newline refused by every command, nothing touched"

# The spec file route: a name in a spec file goes through the same rules.
printf 'general:\n\tname = ".."\n\thostname = x\n\tdirectory = "%s/base"\n' "$work" >"$work/dots.spec"
refused "mkwpar -f (name ..)" mkwpar -f "$work/dots.spec"
[ ! -e "$work/base" ] || fail "a base directory was made for a spec naming '..'"
pass "a spec file naming '..' is refused"
