#!/usr/bin/env bash
# labels: root net
# timeout: 240
# Two "hosts": network namespaces joined by a veth (10.214.X.1 and .2), each
# with its own CORRAL_ROOT, host key (corral keygen), trusted-peers (corral
# trust) and corrald --foreground. Proves: ping both ways; a key the daemon
# does not trust is refused before anything else, a server with the wrong key
# is refused by the client; another protocol major is refused with both
# versions named; plain and sealed images arrive verified (Commit, Abort);
# killing corrald or taking the link down mid-stream makes the client fail
# within its timeout with a clear error; SIGTERM stops corrald cleanly.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_corrald needs root (network namespaces)"
	exit 77
fi
command -v ip >/dev/null || { echo "SKIP: no ip (iproute2)"; exit 77; }

bin=$CORRAL_BUILD_DIR/cli
x=$(( $$ % 200 + 20 ))
na=crdA$$ nb=crdB$$ va=crvA$$ vb=crvB$$
work=$(mktemp -d /tmp/corral-test-corrald-XXXXXX)
ra=$work/a rb=$work/b rc=$work/c
pa= pb= bg=
cleanup() {
	for p in $bg $pa $pb; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$na" 2>/dev/null || true
	ip netns del "$nb" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/hosts.sh"
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do echo "--- $f" >&2; cat "$f" >&2 || true; done
	exit 1
}

two_hosts "$na" "$nb" "$va" "$vb" "10.214.$x"

in_a() { ip netns exec "$na" env CORRAL_ROOT="$ra" "$@"; }
in_b() { ip netns exec "$nb" env CORRAL_ROOT="$rb" "$@"; }
in_c() { ip netns exec "$na" env CORRAL_ROOT="$rc" "$@"; } # a third key, on host A

for r in "$ra" "$rb" "$rc"; do
	mkdir -p "$r"
	CORRAL_ROOT=$r "$bin/corral" keygen >/dev/null 2>&1
done
CORRAL_ROOT=$ra "$bin/corral" trust b "10.214.$x.2" "$rb/etc/corral/host.pub"
CORRAL_ROOT=$rb "$bin/corral" trust a "10.214.$x.1:7711" "$(cat "$ra/etc/corral/host.pub")"
CORRAL_ROOT=$ra "$bin/corral" trust --list | grep -q "^b  *10.214.$x.2 " || fail "trust --list"
CORRAL_ROOT=$ra "$bin/corral" trust old 10.9.9.9 "$rb/etc/corral/host.pub"
CORRAL_ROOT=$ra "$bin/corral" trust --remove old
! CORRAL_ROOT=$ra "$bin/corral" trust --list | grep -q "^old " || fail "trust --remove"
if CORRAL_ROOT=$ra "$bin/corral" trust b 10.9.9.9 "$rb/etc/corral/host.pub" 2>/dev/null; then
	fail "a second peer named b was accepted"
fi
# C trusts B, but B does not know C. A lists B's address under the name
# "fake" with C's key (a server that is not who A expects).
CORRAL_ROOT=$rc "$bin/corral" trust b "10.214.$x.2" "$rb/etc/corral/host.pub"
CORRAL_ROOT=$ra "$bin/corral" trust fake "10.214.$x.2" "$rc/etc/corral/host.pub"

# Not through in_a/in_b: $! must be corrald itself (ip netns exec and env exec).
start_a() {
	ip netns exec "$na" env CORRAL_ROOT="$ra" "$bin/corrald" --foreground \
		--listen "10.214.$x.1" --timeout 5 2>>"$work/a.log" >/dev/null &
	pa=$!
}
start_b() {
	ip netns exec "$nb" env CORRAL_ROOT="$rb" "$bin/corrald" --foreground \
		--listen "10.214.$x.2:7711" --timeout 5 2>>"$work/b.log" >/dev/null &
	pb=$!
}
start_a
start_b
corrald_ready "$ra" "$pa"
corrald_ready "$rb" "$pb"
[ "$(stat -c %a "$rb/run/corral/corrald.sock")" = 600 ] || fail "socket is not mode 0600"

# Ping both ways, and through the local socket.
in_a "$bin/corral-peer-probe" ping b | grep -q "b: pong" || fail "ping A -> B"
in_b "$bin/corral-peer-probe" ping "10.214.$x.1" | grep -q "a: pong" || fail "ping B -> A"
in_b "$bin/corral-peer-probe" ping "$rb/run/corral/corrald.sock" | grep -q pong ||
	fail "ping over the local socket"
in_a "$bin/corral-peer-probe" hello b | grep -q "protocol 1.4" || fail "hello"
grep -q "a: hello from" "$work/b.log" || fail "B did not log A's hello"

# An untrusted key: refused before anything else, on both sides.
before=$(grep -c "authenticated" "$work/b.log" || true)
if out=$(in_c "$bin/corral-peer-probe" ping b 2>&1); then fail "untrusted key accepted"; fi
echo "$out" | grep -q "b refused the connection: key .* is not in this host's trusted-peers" ||
	fail "untrusted: unclear client error: $out"
grep -q "client refused: key .* is not in this host's trusted-peers" "$work/b.log" ||
	fail "untrusted: no log line on B"
[ "$(grep -c "authenticated" "$work/b.log" || true)" = "$before" ] ||
	fail "untrusted client got past the handshake"
# A server that does not have the key the client expects.
if out=$(in_a "$bin/corral-peer-probe" ping fake 2>&1); then fail "wrong server key accepted"; fi
echo "$out" | grep -q "fake answered with key .*, but trusted-peers lists" ||
	fail "wrong server key: unclear error: $out"
for _ in $(seq 20); do
	grep -q "does not trust this server's key" "$work/b.log" && break
	sleep 0.1
done
grep -q "a refused the connection: the client does not trust this server's key" "$work/b.log" ||
	fail "wrong server key: no log line on B"

# Another protocol major: refused, both versions named.
if out=$(in_a env CORRAL_TEST_PROTO_VERSION=2.0 "$bin/corral-peer-probe" ping b 2>&1); then
	fail "protocol 2.0 accepted"
fi
echo "$out" | grep -q "protocol version 2.0 is not supported by this corrald, which speaks 1.x (up to 1.4)" ||
	fail "version mismatch: unclear error: $out"

# Images arrive verified: plain, then sealed to B.
mkdir -p "$work/tree/sub"
head -c 3000000 /dev/urandom >"$work/tree/sub/data"
echo hello >"$work/tree/note"
"$bin/corral" image create "$work/plain.img" "$work/tree" >/dev/null
"$bin/corral" image create "$work/sealed.img" "$work/tree" --seal-to "$rb/etc/corral/host.pub" >/dev/null
incoming=$rb/var/lib/corral/incoming
in_a "$bin/corral-peer-probe" send-image b web "$work/plain.img" | grep -q verified ||
	fail "plain image not sent"
cmp "$work/plain.img" "$incoming/web.img" || fail "plain image differs on B"
in_a "$bin/corral-peer-probe" commit b web || fail "commit"
in_a "$bin/corral-peer-probe" send-image b db "$work/sealed.img" >/dev/null || fail "sealed image"
cmp "$work/sealed.img" "$incoming/db.img" || fail "sealed image differs on B"
in_a "$bin/corral-peer-probe" abort b db || fail "abort"
[ ! -e "$incoming/db.img" ] || fail "abort left the image"
# An image sealed to another host cannot be verified by B: refused.
"$bin/corral" image create "$work/other.img" "$work/tree" --seal-to "$ra/etc/corral/host.pub" >/dev/null
if in_a "$bin/corral-peer-probe" send-image b other "$work/other.img" 2>"$work/err"; then
	fail "image sealed to another host accepted"
fi
grep -q "image not accepted" "$work/err" || fail "foreign sealed image: $(cat "$work/err")"
[ ! -e "$incoming/other.img" ] || fail "a refused image was kept"

# A bigger image, sent slowly (256 KiB every 100 ms), for cutting mid-stream.
head -c 24000000 /dev/urandom >"$work/tree/sub/big"
"$bin/corral" image create "$work/big.img" "$work/tree" >/dev/null
wait_partial() {
	for _ in $(seq 100); do
		if compgen -G "$incoming/.big.img.*" >/dev/null; then
			[ "$(stat -c %s "$incoming"/.big.img.* | head -1)" -gt 1000000 ] && return 0
		fi
		sleep 0.1
	done
	fail "the slow transfer did not start: $(cat "$work/err")"
}

# 1. corrald is killed mid-stream.
start=$(date +%s)
in_a "$bin/corral-peer-probe" --timeout-ms 5000 --chunk-delay-ms 100 send-image b big "$work/big.img" \
	2>"$work/err" >/dev/null &
bg=$!
wait_partial
kill -9 "$pb"
wait "$pb" 2>/dev/null || true
pb=
if wait "$bg"; then fail "send survived corrald's death"; fi
bg=
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -le 30 ] || fail "client took ${elapsed}s to notice corrald's death"
grep -Eq "sending the image to b: .*(reset|Broken pipe|closed)" "$work/err" ||
	fail "killed corrald: unclear error: $(cat "$work/err")"
echo "killed corrald: client failed after ${elapsed}s: $(cat "$work/err")"
rm -f "$rb/run/corral/corrald.sock" # left by SIGKILL; corrald_ready watches for the new one

# 2. The link goes down mid-stream. (The restarted daemon first removes the
# partial image the killed one left.)
start_b
corrald_ready "$rb" "$pb"
grep -q "removed 1 partial incoming image" "$work/b.log" || fail "partial image not swept"
! compgen -G "$incoming/.big.img.*" >/dev/null || fail "partial image left behind"
start=$(date +%s)
in_a "$bin/corral-peer-probe" --timeout-ms 3000 --chunk-delay-ms 100 send-image b big "$work/big.img" \
	2>"$work/err" >/dev/null &
bg=$!
wait_partial
ip -n "$na" link set "$va" down
if wait "$bg"; then fail "send survived the link going down"; fi
bg=
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -le 40 ] || fail "client took ${elapsed}s to notice the dead link"
grep -Eq "no progress for 3000 ms|unreachable|timed out" "$work/err" ||
	fail "link down: unclear error: $(cat "$work/err")"
echo "link down: client failed after ${elapsed}s: $(cat "$work/err")"
# B's side gives up on its own idle timeout (5 s) and says so.
for _ in $(seq 100); do
	grep -q "connection from 10.214.$x.1:.*no progress for 5000 ms" "$work/b.log" && break
	sleep 0.1
done
grep -q "connection from 10.214.$x.1:.*no progress for 5000 ms" "$work/b.log" ||
	fail "B did not time the dead connection out"
# While the link is down a new connection times out too, with its own message.
if out=$(in_a "$bin/corral-peer-probe" --timeout-ms 1000 ping b 2>&1); then
	fail "ping over a dead link"
fi
echo "$out" | grep -Eq "no answer within 1000 ms|unreachable" || fail "dead link connect: $out"
ip -n "$na" link set "$va" up
for _ in $(seq 50); do
	in_a "$bin/corral-peer-probe" --timeout-ms 2000 ping b >/dev/null 2>&1 && break
	sleep 0.2
done
in_a "$bin/corral-peer-probe" ping b >/dev/null || fail "no ping after the link came back"

# SIGTERM: a clean stop, the socket file removed.
kill -TERM "$pb"
wait "$pb" || fail "corrald exited $? on SIGTERM"
pb=
[ ! -e "$rb/run/corral/corrald.sock" ] || fail "socket file left behind"
grep -q "stopped" "$work/b.log" || fail "no 'stopped' log line"
echo "PASS: test_corrald"
