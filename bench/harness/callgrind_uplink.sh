#!/usr/bin/env bash
# Instructions per delivered uplink in the router process, counted by callgrind: RATE (100/s)
# offered for SECONDS (10) by tr-ns-load to one JSON connection on tr-as-sim (every token
# checked), counting only while the load runs, less an idle window of the same length. Instruction
# counts hardly move when other processes share the cores, so two builds can be compared on a
# busy machine: TR_ROUTER=path/to/other/tunnel-router bench/harness/callgrind_uplink.sh.
# Prints one JSON line: {router, rate, seconds, delivered, idle_instructions, instructions
# (under load, less idle), per_uplink}.
# valgrind hides SHA-NI, so signing counts more here than it costs natively.
source "$(dirname "${BASH_SOURCE[0]}")/scenarios/lib.sh"

RATE=${RATE:-100}
SECS=${SECONDS_PER_RUN:-10}
command -v valgrind > /dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }

REAL_ROUTER=$ROUTER_BIN
ROUTER_BIN=$WORK/router-under-callgrind
cat > "$ROUTER_BIN" <<WRAP
#!/usr/bin/env bash
exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$WORK/callgrind.out "$REAL_ROUTER" "\$@"
WRAP
chmod +x "$ROUTER_BIN"

# The admin listener answers slowly under valgrind: a longer timeout than metrics() has.
delivered_total() {
  metric_sum "$(curl -sS --max-time 60 "http://127.0.0.1:$R_ADMIN/metrics")" \
    tunnel_router_uplinks_total 'outcome="delivered"'
}

key=$(key_for 1)
start_sim sim --pki "$WORK/pki" --shards 1 --endpoint "/uplink,$key,fast"
start_router router "$WORK/data" "[as]
ca_file = $SIM_CA"
id=$(create_connection checked "https://localhost:$SIM_PORT/uplink" "$key")
route_devices 1000 70B3D5E750000000 "$id"
sleep 1
# Warm up (sessions open, buffers grow) before counting.
"$LOAD_BIN" --port "$R_INGRESS" --rate "$RATE" --connections 2 --streams 32 --seconds 2 \
  --devices 1000 --first-dev-eui 70B3D5E750000000 --quiet > /dev/null
sleep 1
# Two windows of SECS each, counted separately: idle (the loops, timers and control plane at
# rest), then under load; the idle count is subtracted, so the figure is what uplinks cost.
callgrind_control -i on "$R_PID" > /dev/null
sleep "$SECS"
dump_and_wait() { # N: asks for a dump and waits until file N is written
  callgrind_control -d "$R_PID" > /dev/null
  # valgrind takes the command when the router next runs: poke it until the dump is written.
  for _ in $(seq 120); do
    [[ -s $WORK/callgrind.out.$1 ]] && break
    curl -sS --max-time 5 "http://127.0.0.1:$R_ADMIN/healthz" > /dev/null || true
    sleep 0.5
  done
  sleep 1
}
total_of() { awk '/^totals:/ {t += $2} /^summary:/ {s += $2} END {print (t > 0 ? t : s) + 0}' "$WORK/callgrind.out.$1"; }
dump_and_wait 1
before=$(delivered_total)
dump_and_wait 2  # what the metrics read cost is left out of both windows
"$LOAD_BIN" --port "$R_INGRESS" --rate "$RATE" --connections 2 --streams 32 --seconds "$SECS" \
  --devices 1000 --first-dev-eui 70B3D5E750000000 --quiet > "$WORK/load.json"
sleep 1
dump_and_wait 3
callgrind_control -i off "$R_PID" > /dev/null
after=$(delivered_total)
# KEEP_CALLGRIND=DIR keeps the loaded window's profile for callgrind_annotate.
[[ -n ${KEEP_CALLGRIND:-} ]] && mkdir -p "$KEEP_CALLGRIND" && cp "$WORK/callgrind.out.3" "$KEEP_CALLGRIND/"
idle=$(total_of 1)
loaded=$(total_of 3)
instructions=$((loaded - idle))
delivered=$((after - before))
jq -cn --arg router "$REAL_ROUTER" --argjson rate "$RATE" --argjson seconds "$SECS" \
  --argjson delivered "$delivered" --argjson instructions "$instructions" --argjson idle "$idle" \
  '{router: $router, rate: $rate, seconds: $seconds, delivered: $delivered, idle_instructions: $idle,
    instructions: $instructions, per_uplink: (if $delivered > 0 then ($instructions / $delivered | floor) else null end)}'
