#!/usr/bin/env bash
# Builds the container image of deploy/Dockerfile with podman and runs it, as CI does:
#   1. installs podman, buildah, runc and debootstrap (Debian packages) when missing;
#   2. makes the base image with `debootstrap --variant=minbase bookworm` + `podman import`, cached
#      per ISO week under /var/cache/tunnel-router (and in podman's store);
#   3. builds the image (only the tunnel-router target; a compiler cache survives between builds)
#      and checks its size (< 150 MiB);
#   4. runs it with the image's own settings: listeners on 0.0.0.0, non-root user, then SIGTERM
#      (`podman stop`) → exit code 0;
#   5. single node: a container on loopback ports with a read-only root and a data volume; ready,
#      a connection created through the admin API, an uplink routed through the container to
#      the AS simulator (tr-as-sim, TLS, checks the token) arrives signed; `podman stop` → 0;
#   6. cluster mode: a throwaway PostgreSQL, two containers (read-only root, no volume) on it; both
#      ready, a connection created through the first is listed by the second, an uplink through
#      the second arrives signed; both stop with exit code 0.
# Runs as root (podman, apt). Environment: TR_BUILD_DIR (host build with tr-as-sim, default
# build/), TR_IMAGE (tag, default localhost/tunnel-router:test), TR_IMAGE_KEEP=1 (keep the image).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TR_BUILD_DIR:-$ROOT/build}
IMAGE=${TR_IMAGE:-localhost/tunnel-router:test}
CACHE=/var/cache/tunnel-router
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tr-image.XXXXXX")
chmod 755 "$WORK"
CONTAINERS=()
PIDS=()
PG_STATE=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }

cleanup() {
  local c p
  for c in "${CONTAINERS[@]}"; do podman rm -f -t 2 "$c" > /dev/null 2>&1 || true; done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  [[ -n $PG_STATE ]] && bash "$ROOT/scripts/test-postgres.sh" stop "$PG_STATE" > /dev/null 2>&1
  [[ ${TR_IMAGE_KEEP:-0} == 1 ]] || podman rmi -f "$IMAGE" > /dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || fail "run as root (podman and apt)"

# --- 1. tools -------------------------------------------------------------------------------------
need=()
for p in podman buildah runc debootstrap postgresql curl jq; do
  dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
# crun (podman's default) refuses this kind of host's hybrid cgroups; the default ulimits exceed
# the hard limits of a CI machine.
cat > "$WORK/containers.conf" << 'EOF'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
EOF
export CONTAINERS_CONF=$WORK/containers.conf

# slim_rootfs DIR: what debian:12-slim leaves out (downloaded packages, package lists, manuals,
# translations), and the dpkg rule that keeps later installs without them.
slim_rootfs() {
  rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/* \
    "$1"/usr/share/info/* "$1"/usr/share/locale/* "$1"/var/log/*.log
  cat > "$1/etc/dpkg/dpkg.cfg.d/slim" << 'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
}

# --- 2. base image ----------------------------------------------------------------------------------
week=$(date +%G-w%V)
BASE=localhost/tunnel-router-base:bookworm-$week
if ! podman image exists "$BASE"; then
  mkdir -p "$CACHE"
  tarball=$CACHE/debian-bookworm-minbase-$week.tar
  if [[ ! -s $tarball ]]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2> /dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    log "debootstrap bookworm from $mirror (cached in $tarball)"
    started=$(date +%s)
    rootfs=$(mktemp -d /var/tmp/tr-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$WORK/debootstrap.log" 2>&1 ||
      { tail -20 "$WORK/debootstrap.log" >&2; rm -rf "$rootfs"; fail "debootstrap"; }
    slim_rootfs "$rootfs"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
    rm -rf "$rootfs"
    mv "$tarball.part" "$tarball"
    find "$CACHE" -name 'debian-bookworm-minbase-*.tar' ! -name "${tarball##*/}" -delete
    log "base made in $(($(date +%s) - started)) s"
  fi
  podman import --quiet --change 'CMD ["/bin/bash"]' "$tarball" "$BASE" > /dev/null
fi

# --- 3. image ---------------------------------------------------------------------------------------
log "building $IMAGE on $BASE"
started=$(date +%s)
podman build --network=host --build-arg BASE_IMAGE="$BASE" -f "$ROOT/deploy/Dockerfile" \
  -t "$IMAGE" "$ROOT" > "$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; fail "podman build"; }
# Keep this build's layers as the cache of the next build (its build stage tagged), and drop
# what earlier builds left (each source change leaves a build stage of ~800 MB) and older bases.
podman build --network=host --build-arg BASE_IMAGE="$BASE" -f "$ROOT/deploy/Dockerfile" --target build \
  -t localhost/tunnel-router-build:cache "$ROOT" > "$WORK/build-stage.log" 2>&1 ||
  { tail -20 "$WORK/build-stage.log" >&2; fail "podman build --target build"; }
podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/tunnel-router-base:' | grep -vxF "$BASE" |
  xargs -r podman rmi -f > /dev/null 2>&1 || true
podman image prune -f > /dev/null
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
log "image built in $(($(date +%s) - started)) s, $((size / 1048576)) MiB"
((size < 150 * 1048576)) || fail "image is $((size / 1048576)) MiB (limit 150)"

# --- host side: the AS simulator ---------------------------------------------------------------------
SIM_BIN=$BUILD/tr-as-sim
if [[ ! -x $SIM_BIN ]]; then
  log "building tr-as-sim in $BUILD"
  [[ -f $BUILD/build.ninja ]] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$BUILD" --target tr-as-sim > /dev/null
fi
AS_KEY=0123456789abcdef0123456789abcdef
"$SIM_BIN" --host 127.0.0.1 --port 0 --pki "$WORK/pki" --endpoint "/uplink,$AS_KEY,fast" \
  > "$WORK/sim.out" 2> "$WORK/sim.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "tr-as-sim listening" "$WORK/sim.out" && break; sleep 0.1; done
line=$(grep "tr-as-sim listening" "$WORK/sim.out") || fail "tr-as-sim did not start: $(cat "$WORK/sim.err")"
SIM_PORT=$(sed -E 's/.*:([0-9]+) ca_file.*/\1/' <<< "$line")
SIM_CA=$(sed -E 's/.*ca_file=([^ ]*) .*/\1/' <<< "$line")
chmod -R a+rX "$WORK/pki"
sim_verified() {
  curl -sS --max-time 5 --cacert "$SIM_CA" "https://localhost:$SIM_PORT/stats" | jq '.endpoints["/uplink"].verified'
}
sim_bad() {
  curl -sS --max-time 5 --cacert "$SIM_CA" "https://localhost:$SIM_PORT/stats" | jq '.endpoints["/uplink"].bad_token'
}

# --- helpers -----------------------------------------------------------------------------------------
TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
DATA_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
DEV_EUI=20635F0108000496

# run_router NAME PODMAN_ARGS...: starts a container of the image on loopback ports 0 and waits
# for its start-up line; sets PORT_INGRESS_<NAME>, PORT_ADMIN_<NAME>.
run_router() {
  local name=$1 line
  shift
  podman run -d --name "tr-test-$name-$$" --network=host --read-only --image-volume=ignore --cap-drop=ALL \
    --security-opt=no-new-privileges \
    -e TUNNEL_ROUTER_INGRESS_LISTEN=127.0.0.1:0 -e TUNNEL_ROUTER_PUBLIC_LISTEN=127.0.0.1:0 \
    -e TUNNEL_ROUTER_ADMIN_LISTEN=127.0.0.1:0 -e TUNNEL_ROUTER_RUNTIME_SHARDS=1 \
    -e TUNNEL_ROUTER_ADMIN_TOKEN="$TOKEN" -e TUNNEL_ROUTER_AS_CA_FILE=/etc/tunnel-router/as-ca.pem \
    -v "$SIM_CA:/etc/tunnel-router/as-ca.pem:ro" "$@" "$IMAGE" > /dev/null
  CONTAINERS+=("tr-test-$name-$$")
  for _ in $(seq 300); do
    line=$(podman logs "tr-test-$name-$$" 2>&1 | grep "tunnel-router listening" || true)
    [[ -n $line ]] && break
    [[ $(podman inspect --format '{{.State.Running}}' "tr-test-$name-$$") == true ]] ||
      { podman logs "tr-test-$name-$$" >&2; fail "container $name exited"; }
    sleep 0.1
  done
  [[ -n $line ]] || { podman logs "tr-test-$name-$$" >&2; fail "container $name did not start"; }
  printf -v "PORT_INGRESS_$name" '%s' "$(sed -E 's/.*ingress [^,]*:([0-9]+),.*/\1/' <<< "$line")"
  printf -v "PORT_ADMIN_$name" '%s' "$(sed -E 's/.*admin .*:([0-9]+)$/\1/' <<< "$line")"
}

# stop_router NAME: `podman stop` (SIGTERM) and the exit code must be 0.
stop_router() {
  podman stop -t 30 "tr-test-$1-$$" > /dev/null
  local code
  code=$(podman inspect --format '{{.State.ExitCode}}' "tr-test-$1-$$")
  local seen=no
  for _ in $(seq 30); do # the log can trail the exit a little
    podman logs "tr-test-$1-$$" 2>&1 | grep -q "tunnel-router: stopped" && { seen=yes; break; }
    sleep 0.1
  done
  [[ $seen == yes ]] || { podman logs "tr-test-$1-$$" >&2; fail "$1: no drain and stop in the log"; }
  [[ $code == 0 ]] || { podman logs "tr-test-$1-$$" >&2; fail "$1: exit code $code after podman stop"; }
  log "$1: podman stop → exit code 0"
}

admin() { # PORT METHOD PATH [BODY]
  local args=(-sS --max-time 10 -X "$2" -H "Authorization: Bearer $TOKEN")
  [[ $# -ge 4 ]] && args+=(-H "Content-Type: application/json" --data-binary "$4")
  curl "${args[@]}" "http://127.0.0.1:$1$3"
}

wait_ready() { # PORT NAME
  for _ in $(seq 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz") == 200 ]] && return 0
    sleep 0.1
  done
  fail "$2: /readyz never answered 200"
}

create_connection() { # ADMIN_PORT NAME: prints the id
  admin "$1" POST /api/v1/connections \
    "{\"name\":\"$2\",\"url\":\"https://localhost:$SIM_PORT/uplink\",\"contentType\":\"JSON\",\"asId\":\"$2.as\",\"key\":\"$AS_KEY\"}" |
    jq -er .id
}

# send_uplink INGRESS_PORT CONNECTION_ID: one uplink, must be accepted (202).
uplink_body() {
  echo "{\"DevEUI_uplink\":{\"Time\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000+00:00)\",\"DevEUI\":\"$DEV_EUI\",\"FPort\":17,\"FCntUp\":18,\"payload_hex\":\"032ce485\",\"CustomerID\":\"100002167\",\"CustomerData\":{\"alr\":{\"pro\":\"LORA/Generic\",\"ver\":\"1\"}}}}"
}
send_uplink() {
  local code
  code=$(curl -sS -o "$WORK/uplink.out" -w '%{http_code}' --max-time 10 -H "Content-Type: application/json" \
    --data-binary "$(uplink_body)" "http://127.0.0.1:$1/v1/reports?connection=$2")
  [[ $code == 202 ]] || fail "uplink: HTTP $code $(cat "$WORK/uplink.out")"
}

wait_verified() { # COUNT
  for _ in $(seq 100); do
    (($(sim_verified) >= $1)) && return 0
    sleep 0.1
  done
  fail "the AS saw $(sim_verified) signed uplinks (bad tokens: $(sim_bad)), expected $1"
}

# --- 4. the image's own settings --------------------------------------------------------------------
# In a network namespace of its own, so that the default 0.0.0.0:7080/7443/7090 collide with nothing.
mkdir -p "$WORK/data-defaults"
chown 10001:10001 "$WORK/data-defaults"
podman run -d --name "tr-test-defaults-$$" --network=none --read-only \
  -v "$WORK/data-defaults:/var/lib/tunnel-router" "$IMAGE" > /dev/null
CONTAINERS+=("tr-test-defaults-$$")
for _ in $(seq 300); do
  podman logs "tr-test-defaults-$$" 2>&1 | grep -q "tunnel-router listening" && break
  sleep 0.1
done
line=$(podman logs "tr-test-defaults-$$" 2>&1 | grep "tunnel-router listening") ||
  { podman logs "tr-test-defaults-$$" >&2; fail "defaults: no start-up line"; }
[[ $line == *"ingress 0.0.0.0:7080, public 0.0.0.0:7443, admin 0.0.0.0:7090"* ]] || fail "defaults: $line"
user=$(podman exec "tr-test-defaults-$$" id -u)
[[ $user == 10001 ]] || fail "defaults: runs as uid $user"
log "defaults: $line (uid $user)"
stop_router defaults

# --- 5. single node -------------------------------------------------------------------------------------
mkdir -p "$WORK/data-single"
chown 10001:10001 "$WORK/data-single"
run_router single -v "$WORK/data-single:/var/lib/tunnel-router"
wait_ready "$PORT_ADMIN_single" single
id=$(create_connection "$PORT_ADMIN_single" single) || fail "single: connection not created"
send_uplink "$PORT_INGRESS_single" "$id"
wait_verified 1
log "single: uplink routed through the container arrived signed at the AS"
stop_router single

# --- 6. cluster mode -------------------------------------------------------------------------------------
# The throwaway PostgreSQL of the cluster-mode tests (scripts/test-postgres.sh).
PG_STATE=$WORK/pg
bash "$ROOT/scripts/test-postgres.sh" start "$PG_STATE" > /dev/null || fail "PostgreSQL did not start"
STORE_URL=$(cat "$PG_STATE/url")
cluster_env=(-e TUNNEL_ROUTER_STORE_URL="$STORE_URL" -e TUNNEL_ROUTER_DATA_KEY="$DATA_KEY")
run_router one "${cluster_env[@]}"
run_router two "${cluster_env[@]}"
wait_ready "$PORT_ADMIN_one" one
wait_ready "$PORT_ADMIN_two" two
id=$(create_connection "$PORT_ADMIN_one" cluster) || fail "cluster: connection not created through one"
listed=""
for _ in $(seq 30); do
  listed=$(admin "$PORT_ADMIN_two" GET /api/v1/connections | jq -r --arg id "$id" '.. | objects | select(.id? == $id) | .id' | head -1)
  [[ $listed == "$id" ]] && break
  sleep 0.1
done
[[ $listed == "$id" ]] || fail "cluster: the connection created through one is not listed by two"
log "cluster: connection $id created through one, listed by two"
before=$(sim_verified)
# Two routes the new connection within 1 s of the write (contract): until then the uplink is 404.
for _ in $(seq 30); do
  code=$(curl -s -o "$WORK/uplink.out" -w '%{http_code}' --max-time 10 -H "Content-Type: application/json" \
    --data-binary "$(uplink_body)" "http://127.0.0.1:$PORT_INGRESS_two/v1/reports?connection=$id")
  [[ $code != 404 ]] && break
  sleep 0.1
done
[[ $code == 202 ]] || fail "cluster: uplink through two: HTTP $code $(cat "$WORK/uplink.out")"
wait_verified $((before + 1))
log "cluster: uplink routed through two arrived signed at the AS"
stop_router one
stop_router two
log "image test passed"
