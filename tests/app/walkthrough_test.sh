#!/usr/bin/env bash
# Runs the README's walkthrough ("Five minutes with it") as written: the lines between the
# walkthrough markers, against a router started as the README's first terminal starts it, in a
# scratch folder. Only the four loopback ports differ (free ones instead of 7080, 7090, 7443
# and 7070), so that the test can run beside anything else.
# usage: walkthrough_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
work=$(mktemp -d /tmp/tr_walkthrough_XXXXXX)
router_pid=""
cleanup() {
  [ -n "$router_pid" ] && kill "$router_pid" 2>/dev/null && wait "$router_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "walkthrough: $*" >&2; exit 1; }

readme="$src/README.md"
grep -qF 'rm -rf data/walkthrough && bash scripts/run.sh --config examples/walkthrough.ini' "$readme" ||
  fail "the README no longer starts the router as this test does"
sed -n '/<!-- walkthrough:begin -->/,/<!-- walkthrough:end -->/p' "$readme" |
  sed '1d;$d' | sed 's/^    //' > "$work/walkthrough.orig.sh"
[ "$(wc -l < "$work/walkthrough.orig.sh")" -gt 5 ] || fail "no walkthrough found in $readme"

read -r ingress admin public as < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
sed -e "s/7080/$ingress/g" -e "s/7090/$admin/g" -e "s/7443/$public/g" -e "s/7070/$as/g" \
  "$work/walkthrough.orig.sh" > "$work/walkthrough.sh"

ln -s "$src/examples" "$work/examples"
ln -s "$bin" "$work/build"
cd "$work"
# The first terminal, without the build (ctest runs on a built tree): run.sh execs this.
TUNNEL_ROUTER_INGRESS_LISTEN=127.0.0.1:$ingress TUNNEL_ROUTER_ADMIN_LISTEN=127.0.0.1:$admin \
  TUNNEL_ROUTER_PUBLIC_LISTEN=127.0.0.1:$public \
  TUNNEL_ROUTER_NS_DOWNLINK_URL=http://127.0.0.1:$as/ns/downlink TUNNEL_ROUTER_RUNTIME_SHARDS=1 \
  build/tunnel-router serve --config examples/walkthrough.ini > router.out 2>&1 &
router_pid=$!

# The second terminal: the walkthrough's lines, in one shell, stopping at the first failure.
timeout 120 bash -euo pipefail walkthrough.sh > walkthrough.out 2>&1 || {
  cat walkthrough.out router.out
  fail "the walkthrough failed (exit $?)"
}
cat walkthrough.out
expect() { grep -qE -- "$1" walkthrough.out || { cat router.out; fail "no line matching '$1'"; }; }
expect '"key":"[0-9a-f]{32}"'
expect '"routed":1'
expect 'tr-as-sim: POST /uplink\?LrnDevEui=20635F0108000496&'
expect 'token: verified'
expect '^match$'
expect 'Request queued by LRC'
expect 'tr-as-sim: POST /ns/downlink'
expect '"Payload":"0102"'
expect 'tunnel_router_uplinks_total\{connection="[^"]+",outcome="delivered"\} 1'
expect 'tunnel_router_downlinks_total\{outcome="accepted"\} 1'
! grep -q MISMATCH walkthrough.out || fail "a token did not verify"
echo "walkthrough: ok"
