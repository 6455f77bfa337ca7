#!/usr/bin/env bash
# labels:
# timeout: 120
# Every verb answers --help and -? with its usage on stdout and exit 0, by its
# AIX link name and as "corral VERB" (corrald too); and the CLI's messages
# tell the truth: rebootwpar's usage is its own, restartwpar names its own -K
# flag, nothing is printed before an unknown name's error, chwpar with nothing
# to change and a -R without words are usage errors (exit 2), an error
# quoting a name with a newline stays on one line, and the hostname error for
# a name that is no hostname says -h sets another one. Nothing here needs a
# running partition: the CLI must refuse before it reaches one.
set -euo pipefail
: "${CORRAL_BUILD_DIR:?run through ctest, or set CORRAL_BUILD_DIR}"
bin=$CORRAL_BUILD_DIR/cli
corral=$bin/corral
[ -x "$corral" ] || { echo "SKIP: $corral not built"; exit 77; }
work=$(mktemp -d /tmp/corral-test-cli-help.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CORRAL_ROOT=$work/root
mkdir -p "$CORRAL_ROOT"
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
# run CMD...: sets rc, out (stdout) and err (stderr) of the command.
run() {
	set +e
	"$@" >out.txt 2>err.txt
	rc=$?
	set -e
	out=$(cat out.txt)
	err=$(cat err.txt)
}
# usage_ok WHAT WANT CMD...: exit 0, stdout starts with "usage: WANT", no stderr.
usage_ok() {
	local what=$1 want=$2
	shift 2
	run "$@"
	[ "$rc" -eq 0 ] || fail "$what exited $rc: $err"
	[ -n "$out" ] || fail "$what printed no usage"
	case "$out" in "usage: $want"*) ;; *) fail "$what: stdout does not start with 'usage: $want': $out" ;; esac
	[ -z "$err" ] || fail "$what wrote to stderr: $err"
}

aix_verbs="mkwpar lswpar startwpar stopwpar rebootwpar rmwpar chwpar resumewpar wparexec clogin
	syncwpar chkptwpar restartwpar movewpar"
# The links are the table's (corral --links), and the AIX names are among them.
links=$("$corral" --links)
for v in $aix_verbs; do
	[ -x "$bin/$v" ] || fail "no $v link next to corral"
	echo "$links" | grep -qx "$v" || fail "corral --links does not name $v"
done
for v in $links; do
	[ -L "$bin/$v" ] || fail "corral --links names $v, which the build did not link"
done
# Every verb the table lists (corral --help), by its link name when it has
# one (the AIX names) and as corral VERB; the internal monitor too.
usage_ok "corral --help" "corral VERB" "$corral" --help
listed=$(sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' out.txt)
for v in $aix_verbs check image keygen trust autostart; do
	echo "$listed" | grep -qx "$v" || fail "corral --help does not list $v"
done
for v in $listed monitor; do
	want="corral $v"
	if [ -L "$bin/$v" ]; then
		want="$v "
		for flag in --help '-?'; do
			usage_ok "$v $flag" "$v " "$bin/$v" "$flag"
		done
	fi
	for flag in --help '-?'; do
		usage_ok "corral $v $flag" "$want" "$corral" "$v" "$flag"
	done
done

# --help among other flags is still help, not a usage error.
usage_ok "lswpar -L --help" "lswpar " "$bin/lswpar" -L --help
usage_ok "mkwpar -n x --help" "mkwpar " "$bin/mkwpar" -n x --help
[ ! -e "$CORRAL_ROOT/etc/wpars/x.spec" ] || fail "mkwpar -n x --help made a partition"
usage_ok "corral help chwpar" "chwpar " "$corral" help chwpar
corrald=$bin/corrald
[ -x "$corrald" ] || corrald=$CORRAL_BUILD_DIR/corrald/corrald
usage_ok "corrald --help" "corrald " "$corrald" --help
usage_ok "corrald -?" "corrald " "$corrald" '-?'
echo "ok: --help and -? on every verb"

# rebootwpar's usage error shows rebootwpar's usage.
run "$bin/rebootwpar"
[ "$rc" -eq 2 ] || fail "rebootwpar without a name exited $rc"
grep -q '^usage: rebootwpar ' err.txt || fail "rebootwpar shows another usage: $err"
grep -q stopwpar err.txt && fail "rebootwpar's usage names stopwpar: $err"
echo "ok: rebootwpar has its own usage"

# Unknown names: an error alone on stderr, nothing on stdout, exit 1.
for cmd in startwpar stopwpar rebootwpar syncwpar resumewpar; do
	run "$bin/$cmd" ghost
	[ "$rc" -eq 1 ] || fail "$cmd ghost exited $rc"
	[ -z "$out" ] || fail "$cmd ghost printed before its error: $out"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "$cmd ghost: not one line of error: $err"
	grep -q ghost err.txt || fail "$cmd ghost: the error does not name ghost: $err"
done
run "$bin/restartwpar" -d "$work" ghost
[ "$rc" -eq 1 ] || fail "restartwpar of a missing image exited $rc"
[ -z "$out" ] || fail "restartwpar printed before its error: $out"
echo "ok: nothing is printed before an unknown name's error"

# restartwpar of an image encrypted with a key file: it names its own -K.
mkdir src && echo data >src/file
head -c 48 /dev/urandom >key && chmod 600 key
"$corral" image create keyed.img src --key-file key
run "$bin/restartwpar" -i keyed.img ghost
[ "$rc" -eq 1 ] || fail "restartwpar without -K exited $rc"
[ -z "$out" ] || fail "restartwpar printed before its error: $out"
grep -q -- '--key-file' err.txt && fail "restartwpar names a flag it does not have: $err"
grep -q -- 'give it with -K' err.txt || fail "restartwpar does not name -K: $err"
run "$corral" image ls keyed.img
grep -q -- 'give it with --key-file' err.txt || fail "corral image does not name --key-file: $err"
echo "ok: the missing key is asked for with the verb's own flag"

# chwpar with nothing to change, -R without words: usage errors.
run "$bin/chwpar" ghost
[ "$rc" -eq 2 ] || fail "chwpar NAME with nothing to change exited $rc"
grep -q 'nothing to change' err.txt || fail "chwpar does not say there is nothing to change: $err"
run "$bin/chwpar" -v ghost
[ "$rc" -eq 2 ] || fail "chwpar -v NAME exited $rc"
run "$bin/mkwpar" -n x -R
[ "$rc" -eq 2 ] || fail "mkwpar -n x -R exited $rc"
grep -q '^usage: mkwpar' err.txt || fail "mkwpar -R without words shows no usage: $err"
[ ! -e "$CORRAL_ROOT/etc/wpars/x.spec" ] || fail "mkwpar -n x -R made a partition"
echo "ok: chwpar with nothing and -R without words exit 2"

# A name with a newline: every error about it is one line.
nl_name=$'evil\nstopwpar: forged'
for cmd in "stopwpar" "startwpar" "lswpar" "rmwpar" "mkwpar -n" "chwpar -A"; do
	# shellcheck disable=SC2086
	run "$bin"/$cmd "$nl_name"
	[ "$rc" -ne 0 ] || fail "$cmd accepted a name with a newline"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "$cmd: the error about a name with a newline is not one line: $err"
	grep -q forged err.txt || fail "$cmd: the error does not show the name: $err"
	grep -q '^stopwpar: forged' err.txt && fail "$cmd: the name forged a line"
done
echo "ok: errors quoting a name with a newline stay on one line"

# A name that is no hostname: the error says -h sets another one.
run "$bin/mkwpar" -n q1_x
[ "$rc" -eq 1 ] || fail "mkwpar -n q1_x exited $rc"
grep -q "invalid hostname 'q1_x'" err.txt || fail "mkwpar -n q1_x: $err"
grep -q -- '-h' err.txt || fail "the hostname error does not say -h sets another: $err"
echo "ok: the hostname error names -h"
echo PASS
