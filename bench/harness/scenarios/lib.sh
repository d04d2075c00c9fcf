# Shared helpers of the load scenarios (sourced by scenario.sh). Every process is started on
# loopback, recorded in PIDS and stopped by the EXIT trap; every run is bounded in time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD=${TR_BUILD_DIR:-$ROOT/build}
ROUTER_BIN=${TR_ROUTER:-$BUILD/tunnel-router}
SIM_BIN=$BUILD/tr-as-sim
LOAD_BIN=$BUILD/tr-ns-load
URLS_BIN=$BUILD/tr-downlink-urls
SMOKE=${TR_SCENARIO_SMOKE:-0}
if [[ $SMOKE == 1 ]]; then
  RESULTS=${TR_RESULTS_DIR:-$(mktemp -d)}
else
  RESULTS=${TR_RESULTS_DIR:-$ROOT/bench/results}
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tr-scenario.XXXXXX")
CLK_TCK=$(getconf CLK_TCK)
PIDS=()

for b in "$ROUTER_BIN" "$SIM_BIN" "$LOAD_BIN" "$URLS_BIN"; do
  [[ -x $b ]] || { echo "missing $b (build first, or set TR_BUILD_DIR)" >&2; exit 2; }
done

cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN{printf "%.2f", b - a}'; }

# wait_line FILE PATTERN SECONDS: waits until FILE holds a line matching PATTERN.
wait_line() {
  local file=$1 pattern=$2 limit=$3 i
  for i in $(seq $((limit * 20))); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out waiting for '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

# start_sim NAME ARGS...: starts tr-as-sim; sets SIM_PORT, SIM_CA, SIM_REFUSED, SIM_PID.
start_sim() {
  local name=$1
  shift
  "$SIM_BIN" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  wait_line "$WORK/$name.out" "tr-as-sim listening" 10
  local line
  line=$(grep "tr-as-sim listening" "$WORK/$name.out")
  SIM_PORT=$(sed -E 's/.*:([0-9]+) ca_file.*/\1/' <<< "$line")
  SIM_CA=$(sed -E 's/.*ca_file=([^ ]*) .*/\1/' <<< "$line")
  SIM_REFUSED=$(sed -E 's/.*refused_port=([0-9]+).*/\1/' <<< "$line")
}

# sim_stats PORT [plain]: the simulator's /stats JSON.
sim_stats() {
  if [[ ${2:-} == plain ]]; then curl -sS --max-time 5 "http://127.0.0.1:$1/stats"
  else curl -sS --max-time 5 --cacert "$SIM_CA" "https://localhost:$1/stats"; fi
}
# sim_reset PORT [plain]: forgets the simulator's counts and transit times.
sim_reset() {
  if [[ ${2:-} == plain ]]; then curl -sS --max-time 5 -X POST "http://127.0.0.1:$1/reset" > /dev/null
  else curl -sS --max-time 5 --cacert "$SIM_CA" -X POST "https://localhost:$1/reset" > /dev/null; fi
}

# start_router NAME DATA_DIR EXTRA_INI: starts the router; sets R_INGRESS, R_PUBLIC, R_ADMIN,
# R_TOKEN, R_PID, R_STARTUP_S (spawn to listening line).
start_router() {
  local name=$1 data=$2 extra=$3 started
  mkdir -p "$data"
  printf '[store]\npath = %s/router.db\n[ingress]\nlisten = 127.0.0.1:0\n[public]\nlisten = 127.0.0.1:0\n[admin]\nlisten = 127.0.0.1:0\n[runtime]\nshards = %s\n%s\n' \
    "$data" "${SHARDS:-1}" "$extra" > "$WORK/$name.ini"
  started=$(now_s)
  "$ROUTER_BIN" serve --config "$WORK/$name.ini" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  R_PID=$!
  PIDS+=("$R_PID")
  wait_line "$WORK/$name.out" "tunnel-router listening" 120
  R_STARTUP_S=$(since "$started")
  local line
  line=$(grep "tunnel-router listening" "$WORK/$name.out")
  R_INGRESS=$(sed -E 's/.*ingress [^:]*:([0-9]+),.*/\1/' <<< "$line")
  R_PUBLIC=$(sed -E 's/.*public [^:]*:([0-9]+),.*/\1/' <<< "$line")
  R_ADMIN=$(sed -E 's/.*admin [^:]*:([0-9]+).*/\1/' <<< "$line")
  R_TOKEN=$(tr -d '\n' < "$data/admin.token")
}

stop_pid() { # SIGTERM, wait up to 15 s
  local p=$1
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
}

admin() { # METHOD PATH [BODY]
  local args=(-sS --max-time 30 -X "$1" -H "Authorization: Bearer $R_TOKEN")
  [[ $# -ge 3 ]] && args+=(-H "Content-Type: application/json" --data-binary "$3")
  curl "${args[@]}" "http://127.0.0.1:$R_ADMIN$2"
}

# create_connection NAME URL KEY [CONTENT_TYPE]: prints the new connection's id.
create_connection() {
  admin POST /api/v1/connections \
    "{\"name\":\"$1\",\"url\":\"$2\",\"contentType\":\"${4:-JSON}\",\"asId\":\"$1.as\",\"key\":\"$3\"}" | jq -r .id
}

# route_devices DEVICES FIRST_HEX ID...: device i goes to connection i mod n (one NDJSON import).
route_devices() {
  local devices=$1 first=$2
  shift 2
  local ids=("$@")
  "$LOAD_BIN" --print-devices --devices "$devices" --first-dev-eui "$first" |
    awk -v ids="${ids[*]}" 'BEGIN{n = split(ids, a, " ")} {printf "{\"devEUI\":\"%s\",\"connections\":[\"%s\"]}\n", $1, a[(NR - 1) % n + 1]}' \
      > "$WORK/devices.ndjson"
  curl -sS --max-time 60 -X POST -H "Authorization: Bearer $R_TOKEN" -H "Content-Type: application/x-ndjson" \
    --data-binary @"$WORK/devices.ndjson" "http://127.0.0.1:$R_ADMIN/api/v1/devices:import" > "$WORK/import.out"
}

metrics() { curl -sS --max-time 5 "http://127.0.0.1:$R_ADMIN/metrics"; }

# metric_sum TEXT NAME FILTER: sum of the samples of NAME whose labels contain FILTER.
metric_sum() {
  awk -v name="$2" -v filter="$3" 'index($0, name "{") == 1 && index($0, filter) {s += $NF} END {printf "%.0f\n", s}' <<< "$1"
}

# cpu_ticks PID...: utime+stime of the processes and their direct children, in clock ticks.
cpu_ticks() {
  local total=0 p c
  for p in "$@"; do
    for c in $p $(ps -o pid= --ppid "$p" 2>/dev/null); do
      [[ -r /proc/$c/stat ]] && total=$((total + $(sed 's/.*) //' /proc/"$c"/stat | awk '{print $12 + $13}')))
    done
  done
  echo "$total"
}
ticks_to_us() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN{printf "%.0f", t * 1e6 / hz}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.2f", a / b; else print "null"}'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.2f", a / b; else print "null"}'; }

rss_kib() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }
hwm_kib() { awk '/^VmHWM/ {print $2}' /proc/"$1"/status; }

key_for() { printf '%032x' "$1"; }  # a deterministic 32-hex key per index

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

machine_json() {
  jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
    --argjson nproc "$(nproc)" --arg mem "$(free -m | awk '/Mem:/ {print $2 " MiB"}')" --argjson smoke "$SMOKE" \
    '{date: $date, cpu: $cpu, nproc: $nproc, memory: $mem, smoke: ($smoke == 1)}'
}

write_result() { # NAME JSON
  mkdir -p "$RESULTS"
  jq --argjson machine "$(machine_json)" '. + {machine: $machine}' <<< "$2" > "$RESULTS/$1.json"
  log "wrote $RESULTS/$1.json"
}
