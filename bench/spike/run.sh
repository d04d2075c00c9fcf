#!/usr/bin/env bash
# Runtime spike: compares shape A (CAF brokers, spike_shape_caf), shape B (own epoll reactors,
# spike_shape_reactor) and nghttpx (h2c -> h2c proxy) forwarding ~1 KB POSTs to one nghttpd
# upstream, interleaved (every configuration once per repetition), and prints one row per run and
# a summary. Builds nothing: build the spike_* targets first. Loopback ports are picked free.
#
# usage: bench/spike/run.sh [BUILD_DIR]     (default build-spike)
# env:   REPS=2  SECS=3  MODES="closed open10k open30k open50k"  SHARDS="1 2"
set -euo pipefail

bin=${1:-build-spike}/bench/spike
reps=${REPS:-2}
secs=${SECS:-3}
modes=${MODES:-closed open10k open30k open50k}
shard_counts=${SHARDS:-1 2}
for b in spike_shape_caf spike_shape_reactor; do
  [[ -x $bin/$b ]] || { echo "missing $bin/$b: build the spike targets first" >&2; exit 2; }
done

work=$(mktemp -d)
upstream_pid=""
server_pid="" # the process under test; cleared once it has been reaped
cleanup() {
  for p in $server_pid $upstream_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $1 never opened" >&2; return 1
}
# utime+stime (clock ticks) of a process and its direct children (nghttpx forks its worker).
cpu_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [[ -r /proc/$p/stat ]] && total=$((total + $(awk '{print $14 + $15}' /proc/"$p"/stat)))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)

mkdir -p "$work/www"
echo ok > "$work/www/up"
printf '{"DevEUI_uplink":{"payload_hex":"%s"}}' "$(head -c 990 /dev/zero | tr '\0' a)" \
  > "$work/body.json"
upstream_port=$(free_port)
nghttpd --no-tls -m 1000 -d "$work/www" "$upstream_port" > /dev/null 2>&1 &
upstream_pid=$!
wait_port "$upstream_port"

printf '%-4s %-8s %-6s %-8s %9s %9s %7s %9s %9s %8s %8s\n' rep shape shards mode 'req/s' \
  'fwd_ok/s' 'drop%' 'cpu_us/rq' 'cpu_us/ok' 'p50_ms' 'p99_ms' | tee "$work/table"

run_one() { # rep shape shards mode
  local rep=$1 shape=$2 shards=$3 mode=$4 port pid
  port=$(free_port)
  if [[ $shape == nghttpx ]]; then
    nghttpx --conf=/dev/null -f"127.0.0.1,$port;no-tls" -b"127.0.0.1,$upstream_port;;proto=h2" \
      -n "$shards" --errorlog-file=/dev/null > /dev/null 2>&1 &
  else
    "$bin/spike_shape_$shape" --port "$port" --upstream-port "$upstream_port" \
      --shards "$shards" > "$work/out" 2>&1 &
  fi
  pid=$!
  server_pid=$pid
  wait_port "$port"
  sleep 0.3
  local load=(-D "$secs" -c 16 -m 16)
  case $mode in
    open10k) load=(-D "$secs" -c 10 -m 8 --rps 1000) ;;
    open30k) load=(-D "$secs" -c 10 -m 8 --rps 3000) ;;
    open50k) load=(-D "$secs" -c 10 -m 8 --rps 5000) ;;
  esac
  local t0 t1
  rm -f "$work/lat" # h2load appends to an existing log file
  t0=$(cpu_ticks "$pid")
  h2load "${load[@]}" -d "$work/body.json" --log-file="$work/lat" \
    "http://127.0.0.1:$port/up" > "$work/h2load" 2>&1 || true
  t1=$(cpu_ticks "$pid")
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  server_pid=""
  local done_n ok fwd_ok dropped
  done_n=$(awk '/^requests:/ {print $8}' "$work/h2load")
  ok=$(awk '/^status codes:/ {print $3}' "$work/h2load")
  if [[ $shape == nghttpx ]]; then
    fwd_ok=$ok; dropped=0
  else
    fwd_ok=$(sed -n 's/.*upstream_ok=\([0-9]*\).*/\1/p' "$work/out")
    dropped=$(sed -n 's/.*dropped=\([0-9]*\).*/\1/p' "$work/out")
  fi
  local p50 p99
  read -r p50 p99 < <(awk -F'\t' '$2 >= 200 {print $3}' "$work/lat" | sort -n \
    | awk '{v[NR]=$1} END {if (NR) printf "%.2f %.2f\n", v[int(NR*0.5)+1]/1000, v[int(NR*0.99)+1]/1000; else print "- -"}')
  awk -v rep="$rep" -v shape="$shape" -v sh="$shards" -v mode="$mode" -v secs="$secs" \
      -v n="${ok:-0}" -v fwd="${fwd_ok:-0}" -v drop="${dropped:-0}" -v ticks=$((t1 - t0)) \
      -v hz="$hz" -v p50="$p50" -v p99="$p99" 'BEGIN {
    cpu = ticks * 1e6 / hz
    printf "%-4s %-8s %-6s %-8s %9.0f %9.0f %7.1f %9.2f %9.2f %8s %8s\n", rep, shape, sh, mode,
      n / secs, fwd / secs, (n ? 100 * drop / n : 0), (n ? cpu / n : 0), (fwd ? cpu / fwd : 0),
      p50, p99 }' | tee -a "$work/table"
}

for rep in $(seq "$reps"); do
  for mode in $modes; do
    for shards in $shard_counts; do
      for shape in caf reactor nghttpx; do
        run_one "$rep" "$shape" "$shards" "$mode"
      done
    done
  done
done

echo
echo "summary: means over reps; ratio = cpu_us per forwarded request / nghttpx's (same mode, shards)"
printf '%-8s %-6s %-8s %9s %9s %9s %9s %8s %7s\n' shape shards mode 'req/s' 'fwd_ok/s' 'cpu_us/rq' \
  'cpu_us/ok' 'p99_ms' ratio
awk 'NR > 1 {k = $2 " " $3 " " $4; n[k]++; rq[k] += $5; ok[k] += $6; cpu[k] += $8; cok[k] += $9
             p99[k] += $11; keys[k] = 1}
     END {for (k in keys) { split(k, f, " "); b = "nghttpx " f[2] " " f[3]
            printf "%-8s %-6s %-8s %9.0f %9.0f %9.2f %9.2f %8.2f %7.2f\n", f[1], f[2], f[3],
              rq[k] / n[k], ok[k] / n[k], cpu[k] / n[k], cok[k] / n[k], p99[k] / n[k],
              (cok[b] ? (cok[k] / n[k]) / (cok[b] / n[b]) : 0) } }' "$work/table" \
  | sort -k3,3 -k2,2n -k1,1
