#!/usr/bin/env bash
# CPU per uplink of one or more router builds at one fixed rate, the builds alternated in each
# repetition so that a busy machine weighs on each alike:
#   bench/harness/cpu_at_rate.sh [ROUTER ...]     (default: this build's tunnel-router)
# RATE (40000/s) offered by tr-ns-load (4 connections x 64 streams) to one JSON connection on
# tr-as-sim (TLS, every token checked) for SECONDS_PER_RUN (5) after a 2 s warm-up, REPS (2)
# times; a fresh simulator and router for every run. Below the peak, so that every build
# carries the same work: user and system CPU per accepted uplink from /proc/<pid>/stat, minor
# page faults per uplink (a steady state allocates from memory it already has), p99 latency.
# Prints a JSON line per run, then each build's CPU per uplink over the first build's, per
# repetition.
source "$(dirname "${BASH_SOURCE[0]}")/scenarios/lib.sh"

RATE=${RATE:-40000}
SECS=${SECONDS_PER_RUN:-5}
REPS=${REPS:-2}
builds=("$@")
[[ ${#builds[@]} -gt 0 ]] || builds=("$ROUTER_BIN")
for b in "${builds[@]}"; do [[ -x $b ]] || { echo "not an executable: $b" >&2; exit 2; }; done

key=$(key_for 1)
lines=()
for rep in $(seq "$REPS"); do
  for i in "${!builds[@]}"; do
    ROUTER_BIN=${builds[$i]}
    start_sim "sim$rep-$i" --pki "$WORK/pki" --shards 1 --endpoint "/uplink,$key,fast"
    start_router "router$rep-$i" "$WORK/data$rep-$i" "[as]
ca_file = $SIM_CA"
    id=$(create_connection "c$rep-$i" "https://localhost:$SIM_PORT/uplink" "$key")
    route_devices 1000 70B3D5E750000000 "$id"
    load() {
      "$LOAD_BIN" --port "$R_INGRESS" --rate "$RATE" --connections 4 --streams 64 \
        --first-dev-eui 70B3D5E750000000 --devices 1000 --quiet --seconds "$1"
    }
    load 2 > /dev/null
    read -r f1 u1 s1 < <(awk '{print $10, $14, $15}' "/proc/$R_PID/stat")
    load "$SECS" > "$WORK/load.json"
    read -r f2 u2 s2 < <(awk '{print $10, $14, $15}' "/proc/$R_PID/stat")
    line=$(jq -c --arg router "$ROUTER_BIN" --argjson rep "$rep" --argjson rate "$RATE" \
      --argjson f "$((f2 - f1))" --argjson u "$((u2 - u1))" --argjson s "$((s2 - s1))" \
      --argjson tck "$CLK_TCK" \
      '{rep: $rep, router: $router, rate: $rate, accepted,
        user_us: ($u * 1e6 / $tck / .accepted), sys_us: ($s * 1e6 / $tck / .accepted),
        cpu_us: (($u + $s) * 1e6 / $tck / .accepted), minflt_per_uplink: ($f / .accepted),
        p99_us: .accepted_latency_us.p99}' "$WORK/load.json")
    echo "$line"
    lines+=("$line")
    stop_pid "$R_PID"
    stop_pid "$SIM_PID"
  done
done
printf '%s\n' "${lines[@]}" | jq -rs '
  group_by(.rep)[] | (.[0].cpu_us) as $base
  | "rep \(.[0].rep): " + ([.[] | "\(.router | split("/") | last) \(.cpu_us * 100 | round / 100) us (\(if $base > 0 then "\(.cpu_us / $base * 100 | round / 100)x" else "no CPU counted for the first" end))"] | join(", "))'
