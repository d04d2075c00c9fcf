#!/usr/bin/env bash
# Load scenarios of the router, each one command: bench/harness/scenario.sh NAME
#   throughput  router vs nghttpx: CPU µs per delivered uplink at ~10k/s and at peak (interleaved)
#   latency     uplink latency at 10/50/90 % of peak (202 at the NS; send → arrival at the AS)
#   noisy       several connections, one AS turns slow mid-run: the others before/after
#   dead        an AS dies and comes back: fuse open, probes, recovery, with timestamps
#   scale       10,000 connections created in bulk, router restarted: start-up time and RSS
#   downlink    signed downlinks POSTed with h2load to the public listener, an NS sink behind
#   cluster     PostgreSQL store: propagation p50/p99 over 1,000 writes between two stores; a
#               replica's start-up (time to listening, RSS) with 100,000 connections and
#               1,000,000 device routes
#   faults      attacks and misbehaving ASes, one at a time, while a healthy connection carries
#               1,000 uplinks/s: router RSS and CPU, the healthy rate and p99 per attack
#               (FAULTS_ROWS=REGEX runs only the rows whose names match, e.g. 'none|batches')
#   spread      CPU per delivered uplink at ~10k/s spread over CONNECTIONS (8) connections, one
#               shard and two alternated: what a second shard costs a many-tenant router
#   all         every scenario in turn (not cluster, faults or spread)
# Each prints a table and writes bench/results/NAME.json. Environment: TR_BUILD_DIR (binaries,
# default build/), SHARDS (router shards and nghttpx workers, default 1), TR_SCENARIO_SMOKE=1
# (seconds-long runs with small numbers, results in a temp folder unless TR_RESULTS_DIR is set).
source "$(dirname "${BASH_SOURCE[0]}")/scenarios/lib.sh"

smoke() { [[ $SMOKE == 1 ]] && echo "$1" || echo "$2"; }

# conn_metric TEXT ID NAME [OUTCOME]
conn_metric() {
  if [[ -n ${4:-} ]]; then metric_sum "$1" "$3" "connection=\"$2\",outcome=\"$4\""
  else metric_sum "$1" "$3" "connection=\"$2\""; fi
}

# router_settle: waits (≤ 12 s) until no uplink is in flight and every fuse is closed; prints the
# uplinks that were still in flight when it was called. Uplinks can stay in flight after a
# closed-loop overload run until the request timeout (see BENCHMARKS.md); their timeouts would
# open the fuse during the next run, so runs after a peak run wait for this.
router_settle() {
  local text first="" i
  for i in $(seq 120); do
    text=$(metrics)
    local inflight fuse
    inflight=$(metric_sum "$text" tunnel_router_uplinks_in_flight "connection=")
    fuse=$(metric_sum "$text" tunnel_router_fuse_state "connection=")
    [[ -z $first ]] && first=$inflight
    [[ $inflight == 0 && $fuse == 0 ]] && break
    sleep 0.1
  done
  echo "$first"
}

wait_tcp() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# turn_quantile METRICS_BEFORE METRICS_AFTER Q: the upper bound (µs) of the bucket of
# tunnel_router_shard_turn_seconds (all shards) holding quantile Q of what was added in between.
turn_quantile() {
  awk -v q="$3" '
    function take(line, into,   le, count) {
      if (index(line, "tunnel_router_shard_turn_seconds_bucket{") != 1) return
      match(line, /le="[^"]*"/); le = substr(line, RSTART + 4, RLENGTH - 5)
      count = $NF; into[le] += count; if (!(le in order)) { order[le] = ++n; names[n] = le }
    }
    FNR == NR { take($0, before); next }
    { take($0, after) }
    END {
      total = after["+Inf"] - before["+Inf"]
      if (total <= 0) { print "null"; exit }
      for (i = 1; i <= n; i++) {
        le = names[i]
        if (after[le] - before[le] >= q * total) { print (le == "+Inf" ? "null" : le * 1e6); exit }
      }
      print "null"
    }' <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# pin_to CPU PID: the process, its threads and its child processes (nghttpx's worker) on CPU.
pin_to() {
  local p
  for p in "$2" $(pgrep -P "$2" 2>/dev/null); do taskset -a -p -c "$1" "$p" > /dev/null; done
}

# start_nghttpx SIM_PORT: the baseline proxy, h2c in, TLS h2 out to the simulator (verbatim, no
# parse, encode or signing); sets NGHTTPX_PORT and NGHTTPX_PID.
start_nghttpx() {
  NGHTTPX_PORT=$(free_port)
  nghttpx --conf=/dev/null -f"127.0.0.1,$NGHTTPX_PORT;no-tls" -b"127.0.0.1,$1;;proto=h2;tls" -k \
    -n "${SHARDS:-1}" --errorlog-file=/dev/null > "$WORK/nghttpx.out" 2>&1 &
  NGHTTPX_PID=$!
  PIDS+=("$NGHTTPX_PID")
  wait_tcp "$NGHTTPX_PORT"
}

# ---------------------------------------------------------------------------------------------
scenario_throughput() {
  local secs reps low key id nport npid rows="$WORK/rows.ndjson"
  secs=$(smoke 1 "${SECONDS_PER_RUN:-5}"); reps=$(smoke 1 "${REPS:-2}"); low=$(smoke 500 "${LOW_RATE:-10000}")
  key=$(key_for 1)
  # /uplink checks every token (the low-rate runs). At peak the machine's two cores are shared by
  # the generator, the proxy and the AS, so the AS does nearly the same work for both proxies
  # there: /uplink-sampled checks one token in 64, /v1/reports (nghttpx) checks nothing.
  start_sim sim --pki "$WORK/pki" --shards 1 --endpoint "/uplink,$key,fast" --endpoint "/uplink-sampled,$key/64,fast" \
    --endpoint "/v1/reports,-,fast"
  local sim_port=$SIM_PORT
  start_router router "$WORK/data" "[as]
ca_file = $SIM_CA"
  id=$(create_connection checked "https://localhost:$sim_port/uplink" "$key")
  route_devices 1000 70B3D5E750000000 "$id"
  id=$(create_connection sampled "https://localhost:$sim_port/uplink-sampled" "$key")
  route_devices 1000 70B3D5E760000000 "$id"
  start_nghttpx "$sim_port"
  nport=$NGHTTPX_PORT npid=$NGHTTPX_PID
  sleep 0.3
  : > "$rows"
  local rep load target port pids before after t0 t1 verified0 verified1 bad0 bad1 args
  for rep in $(seq "$reps"); do
    for load in low peak; do
      for target in router nghttpx; do
        if [[ $load == peak ]]; then args=(--max --connections 8 --streams 32 --first-dev-eui 70B3D5E760000000)
        else args=(--rate "$low" --connections 4 --streams 64 --first-dev-eui 70B3D5E750000000); fi
        local stats
        stats=$(sim_stats "$sim_port")
        local checked=/uplink
        [[ $load == peak ]] && checked=/uplink-sampled
        verified0=$(jq --arg p $checked '.endpoints[$p].verified' <<< "$stats"); bad0=$(jq --arg p $checked '.endpoints[$p].bad_token' <<< "$stats")
        if [[ $target == router ]]; then
          port=$R_INGRESS; pids=$R_PID; before=$(metric_sum "$(metrics)" tunnel_router_uplinks_total 'outcome="delivered"')
        else
          port=$nport; pids=$npid; before=$(jq '.endpoints["/v1/reports"].answered_ok' <<< "$stats")
        fi
        t0=$(cpu_ticks $pids)
        "$LOAD_BIN" --port "$port" "${args[@]}" --seconds "$secs" --devices 1000 --quiet > "$WORK/load.json"
        sleep 0.5
        t1=$(cpu_ticks $pids)
        stats=$(sim_stats "$sim_port")
        verified1=$(jq --arg p $checked '.endpoints[$p].verified' <<< "$stats"); bad1=$(jq --arg p $checked '.endpoints[$p].bad_token' <<< "$stats")
        local stuck=0
        if [[ $target == router ]]; then
          after=$(metric_sum "$(metrics)" tunnel_router_uplinks_total 'outcome="delivered"')
          stuck=$(router_settle)
        else after=$(jq '.endpoints["/v1/reports"].answered_ok' <<< "$stats"); fi
        local delivered=$((after - before)) cpu_us
        cpu_us=$(ticks_to_us $((t1 - t0)))
        jq -c --argjson rep "$rep" --arg target "$target" --arg load "$load" --argjson delivered "$delivered" \
          --argjson cpu_us "$cpu_us" --argjson stuck "$stuck" --argjson verified $((verified1 - verified0)) --argjson bad $((bad1 - bad0)) \
          '{rep: $rep, target: $target, load: $load, offered_per_s: .sent_per_s, accepted_per_s, delivered: $delivered,
            delivered_per_s: ($delivered / .seconds), cpu_us: $cpu_us,
            cpu_us_per_delivered: (if $delivered > 0 then $cpu_us / $delivered else null end),
            cpu_us_per_accepted: (if .accepted > 0 then $cpu_us / .accepted else null end),
            as_verified: $verified, as_bad_token: $bad, in_flight_after_run: $stuck, accepted_p50_us: .accepted_latency_us.p50,
            accepted_p99_us: .accepted_latency_us.p99, errors, skipped}' "$WORK/load.json" >> "$rows"
        log "$(tail -1 "$rows")"
      done
    done
  done
  local result
  result=$(jq -s --argjson shards "${SHARDS:-1}" --argjson secs "$secs" --argjson low "$low" '
    def pairs($l): [group_by(.rep)[] | {r: (map(select(.load == $l and .target == "router"))[0]),
                                        n: (map(select(.load == $l and .target == "nghttpx"))[0])}];
    def ratios($l): [pairs($l)[] | select(.r.cpu_us_per_delivered != null and .n.cpu_us_per_delivered != null)
                     | {cpu: (.r.cpu_us_per_delivered / .n.cpu_us_per_delivered), rate: (.r.delivered_per_s / .n.delivered_per_s)}];
    {scenario: "throughput", shards: $shards, seconds_per_run: $secs, low_rate: $low, runs: .,
     ratios: {low: ratios("low"), peak: ratios("peak")},
     note: "CPU = utime+stime of the router process (nghttpx: master + worker) over the run; delivered = the router metric (nghttpx: AS answers). Ratios are router / nghttpx within the same repetition; nghttpx forwards verbatim (no parse, encode or signing). At low rate the AS simulator checks every router token (as_verified); at peak it checks one router token in 64 and nothing of nghttpx (which sends none), so that it costs both nearly the same share of the shared cores."}' "$rows")
  printf '\n%-4s %-8s %-5s %10s %10s %12s %10s %8s %9s\n' rep target load offered/s accepted/s delivered/s cpu_us/up as_bad p99_202us
  jq -r '.runs[] | [.rep, .target, .load, (.offered_per_s|floor), (.accepted_per_s|floor), (.delivered_per_s|floor),
         ((.cpu_us_per_delivered // 0) * 100 | floor / 100), .as_bad_token, .accepted_p99_us] | @tsv' <<< "$result" |
    awk -F'\t' '{printf "%-4s %-8s %-5s %10s %10s %12s %10s %8s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
  echo "router/nghttpx CPU per delivered uplink (same rep): low $(jq -c '[.ratios.low[].cpu*100|floor/100]' <<< "$result")  peak $(jq -c '[.ratios.peak[].cpu*100|floor/100]' <<< "$result")"
  local per_accepted
  per_accepted=$(jq -c '[.runs | group_by(.rep)[] | (map(select(.load == "peak" and .target == "router"))[0].cpu_us_per_accepted) / (map(select(.load == "peak" and .target == "nghttpx"))[0].cpu_us_per_accepted) | . * 100 | floor / 100]' <<< "$result")
  echo "router/nghttpx CPU per accepted report at peak (the router sheds what its AS session cannot take): $per_accepted"
  echo "router/nghttpx delivered rate at peak: $(jq -c '[.ratios.peak[].rate*100|floor/100]' <<< "$result")"
  write_result throughput "$result"
}

# ---------------------------------------------------------------------------------------------
scenario_latency() {
  local secs key id before after peak rows="$WORK/rows.ndjson" nport npid
  secs=$(smoke 1 "${SECONDS_PER_RUN:-5}")
  # Each step's first half second is sent but not measured: new NS connections, the catch-up of
  # the generator's first ticks and cold caches of every process made the start of each step
  # hold about half of its late arrivals (of both proxies).
  local warmup
  warmup=$(smoke 0.2 "${WARMUP:-0.5}")
  key=$(key_for 2)
  # The AS checks one router token in 64: nearly the work it does for nghttpx (nothing), so the
  # two paths differ by the proxy alone.
  start_sim sim --pki "$WORK/pki" --endpoint "/uplink,$key/64,fast" --endpoint "/v1/reports,-,fast"
  local sim_port=$SIM_PORT sim_ca=$SIM_CA
  # The floor: the generator straight to an AS simulator (h2c, no proxy, no TLS), same rates.
  start_sim direct --plain --endpoint "/v1/reports,-,fast"
  local direct_port=$SIM_PORT
  SIM_CA=$sim_ca
  start_router router "$WORK/data" "[as]
ca_file = $SIM_CA"
  # PIN=1 (off by default; measured worse here): the proxy under test alone on CPU 0, the generator
  # and the AS simulator on CPU 1, so that the latency measured is the proxy's, not the time it
  # waited for the load tools to leave its core.
  local pin=${PIN:-0} gen=()
  # The open-loop steps pace from GEN_SHARDS generator threads (default 4), each on its own 1 ms
  # timer tick: arrivals spread over the millisecond as many gateways' would, instead of one
  # synchronised burst per tick (with one thread, ~75 reports at once at 75,000/s).
  local gen_shards=${GEN_SHARDS:-4}
  (( $(nproc) < 2 )) && pin=0
  if [[ $pin == 1 ]]; then
    pin_to 1 "$SIM_PID"
    pin_to 0 "$R_PID"
    gen=(taskset -c 1)
  fi
  id=$(create_connection lat "https://localhost:$sim_port/uplink" "$key")
  route_devices 1000 70B3D5E750000000 "$id"
  # The baseline: nghttpx proxying the same reports to the same AS at the same rates.
  start_nghttpx "$sim_port"
  nport=$NGHTTPX_PORT npid=$NGHTTPX_PID
  [[ $pin == 1 ]] && pin_to 0 "$npid"
  before=$(metric_sum "$(metrics)" tunnel_router_uplinks_total 'outcome="delivered"')
  "${gen[@]}" "$LOAD_BIN" --port "$R_INGRESS" --max --connections 8 --streams 32 --seconds "$secs" --quiet > "$WORK/peak.json"
  sleep 0.5
  after=$(metric_sum "$(metrics)" tunnel_router_uplinks_total 'outcome="delivered"')
  peak=$(jq --argjson d $((after - before)) '$d / .seconds | floor' "$WORK/peak.json")
  local stuck
  stuck=$(router_settle)
  log "peak delivered: $peak/s (in flight 0.5 s after the run: $stuck)"
  : > "$rows"
  local fraction rate stats target port path
  for fraction in 0.1 0.5 0.9; do
    rate=$(awk -v p="$peak" -v f="$fraction" 'BEGIN{printf "%d", p * f}')
    for target in router nghttpx direct; do
      case $target in
        router) port=$R_INGRESS path=/uplink ;;
        nghttpx) port=$nport path=/v1/reports ;;
        direct) port=$direct_port path=/v1/reports ;;
      esac
      sim_reset "$sim_port"
      sim_reset "$direct_port" plain
      local text0 text1 turn99=null
      text0=$(metrics)
      before=$(metric_sum "$text0" tunnel_router_uplinks_total 'outcome="delivered"')
      "${gen[@]}" "$LOAD_BIN" --port "$port" --rate "$rate" --connections 4 --streams 128 --shards "$gen_shards" \
        --seconds "$secs" --warmup "$warmup" --quiet > "$WORK/load.json"
      sleep 0.5
      if [[ $target == direct ]]; then stats=$(sim_stats "$direct_port" plain); else stats=$(sim_stats "$sim_port"); fi
      if [[ $target == router ]]; then
        text1=$(metrics)
        after=$(metric_sum "$text1" tunnel_router_uplinks_total 'outcome="delivered"')
        turn99=$(turn_quantile "$text0" "$text1" 0.99)
      else
        after=$((before + $(jq --arg p "$path" '.endpoints[$p].answered_ok' <<< "$stats")))
      fi
      jq -c --argjson f "$fraction" --arg target "$target" --argjson d $((after - before)) --argjson turn99 "$turn99" \
        --argjson endpoint "$(jq --arg p "$path" '.endpoints[$p]' <<< "$stats")" \
        '{fraction: $f, target: $target, offered_per_s: .sent_per_s, delivered_per_s: ($d / .seconds), skipped,
          ns_202_us: .accepted_latency_us, ns_to_as_us: $endpoint.transit_us, as_verified: $endpoint.verified, as_bad_token: $endpoint.bad_token,
          router_turn_p99_us: $turn99, late_windows: $endpoint.late_windows[0:5]}' \
        "$WORK/load.json" >> "$rows"
      log "$(tail -1 "$rows")"
    done
  done
  local result
  result=$(jq -s --argjson peak "$peak" --argjson stuck "$stuck" --argjson pinned "$pin" --argjson gen_shards "$gen_shards" --argjson warmup "$warmup" '{scenario: "latency", peak_delivered_per_s: $peak, in_flight_after_peak_run: $stuck, pinned: ($pinned == 1), generator_shards: $gen_shards, warmup_s: $warmup, runs: .,
    added_p99_us: [group_by(.fraction)[] | (map(select(.target == "direct"))[0].ns_to_as_us.p99) as $floor
      | {fraction: .[0].fraction, router: (map(select(.target == "router"))[0].ns_to_as_us.p99 - $floor),
         nghttpx: (map(select(.target == "nghttpx"))[0].ns_to_as_us.p99 - $floor)}],
    note: "Rates are fractions of the router peak (closed loop). Each step sends for its seconds, of which the first warmup_s are not measured. The direct rows are the floor: the generator straight to a second AS simulator over h2c (no proxy, no TLS), so they hold what the load tools and the kernel cost by themselves on these shared cores; added_p99_us is a proxy p99 minus the direct p99 at the same rate. late_windows: the 10 ms windows (ms from the step start, by send time) whose uplinks arrived more than 2 ms after they were sent: [start, how many, largest transit µs], the 5 busiest. ns_202_us: POST /v1/reports until its answer, at the generator (the router answers 202 at once; nghttpx answers when the AS has). ns_to_as_us: from the send time the generator puts in CustomerData.harness_ts to the arrival of the uplink at the AS simulator (monotonic clock, same machine): the whole uplink path. router_turn_p99_us: the p99 of the loop-turn durations of the router over the run (upper bound of its bucket in tunnel_router_shard_turn_seconds, weighted by the events each turn handled; wall clock, so time the router was preempted counts): an input waits inside the router at most the turn running when it arrived plus the turn that handles it. The nghttpx rows are the baseline: the same reports proxied verbatim to the same AS at the same rate, in the same run. pinned: the proxy alone on CPU 0, generator and AS simulator on CPU 1 (taskset). generator_shards: threads pacing the open-loop steps, each on its own 1 ms tick."}' "$rows")
  printf '\n%-5s %-8s %10s %11s %9s %9s %10s %10s %10s %11s\n' load target offered/s delivered/s 202_p50us 202_p99us ns-as_p50 ns-as_p90 ns-as_p99 turn_p99us
  jq -r '.runs[] | [.fraction, .target, (.offered_per_s|floor), (.delivered_per_s|floor), .ns_202_us.p50, .ns_202_us.p99,
         .ns_to_as_us.p50, .ns_to_as_us.p90, .ns_to_as_us.p99, (.router_turn_p99_us // "-")] | @tsv' <<< "$result" |
    awk -F'\t' '{printf "%-5s %-8s %10s %11s %9s %9s %10s %10s %10s %11s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
  echo "NS -> AS p99 added over the direct path (us): $(jq -c '[.added_p99_us[] | "\(.fraction): router \(.router), nghttpx \(.nghttpx)"]' <<< "$result")"
  write_result latency "$result"
}

# sample_metrics FILE INTERVAL IDS...: appends `t id delivered shed failed timeout fuse` lines.
sample_metrics() {
  local file=$1 interval=$2 start text t id
  shift 2
  start=$(now_s)
  while :; do
    text=$(metrics 2>/dev/null) || true
    t=$(since "$start")
    for id in "$@"; do
      echo "$t $id $(conn_metric "$text" "$id" tunnel_router_uplinks_total delivered) $(conn_metric "$text" "$id" tunnel_router_uplinks_total shed) $(conn_metric "$text" "$id" tunnel_router_uplinks_total failed) $(conn_metric "$text" "$id" tunnel_router_uplinks_total timeout) $(conn_metric "$text" "$id" tunnel_router_fuse_state)"
    done >> "$file"
    sleep "$interval"
  done
}

# ---------------------------------------------------------------------------------------------
scenario_noisy() {
  local duration half rate slow_ms count=4 i ids=() keys=() args=()
  duration=$(smoke 4 "${DURATION:-12}"); rate=$(smoke 400 "${RATE:-4000}"); slow_ms=${SLOW_MS:-2000}
  half=$(awk -v d="$duration" 'BEGIN{print d / 2}')
  for i in $(seq "$count"); do keys+=("$(key_for $((10 + i)))"); args+=(--endpoint "/as$i,${keys[$((i - 1))]},fast"); done
  start_sim sim --pki "$WORK/pki" "${args[@]}"
  local sim_port=$SIM_PORT
  start_router router "$WORK/data" "[as]
ca_file = $SIM_CA"
  for i in $(seq "$count"); do ids+=("$(create_connection "as$i" "https://localhost:$sim_port/as$i" "${keys[$((i - 1))]}")"); done
  route_devices 2000 70B3D5E750000000 "${ids[@]}"
  sample_metrics "$WORK/samples" 1 "${ids[@]}" &
  local sampler=$!
  PIDS+=("$sampler")
  "$LOAD_BIN" --port "$R_INGRESS" --rate "$rate" --connections 4 --streams 128 --devices 2000 --seconds "$duration" --quiet > "$WORK/load.json" &
  local load=$!
  sleep "$half"
  local m1 s1
  m1=$(metrics); s1=$(sim_stats "$sim_port")
  sim_reset "$sim_port"
  curl -sS --max-time 5 --cacert "$SIM_CA" -X POST "https://localhost:$sim_port/control?path=/as$count&schedule=delay%3D$slow_ms" > /dev/null
  log "as$count now answers after $slow_ms ms"
  wait "$load"
  sleep 1
  local m2 s2
  m2=$(metrics); s2=$(sim_stats "$sim_port")
  kill "$sampler" 2>/dev/null || true
  local rows="$WORK/rows.ndjson" id after_s
  after_s=$(awk -v d="$duration" -v h="$half" 'BEGIN{print d - h}')
  : > "$rows"
  for i in $(seq "$count"); do
    id=${ids[$((i - 1))]}
    local d1 d2
    d1=$(conn_metric "$m1" "$id" tunnel_router_uplinks_total delivered); d2=$(conn_metric "$m2" "$id" tunnel_router_uplinks_total delivered)
    jq -nc --arg name "as$i" --arg id "$id" --argjson slow "$([[ $i == "$count" ]] && echo true || echo false)" \
      --argjson before "$(awk -v a="$d1" -v h="$half" 'BEGIN{printf "%.1f", a / h}')" \
      --argjson after "$(awk -v a="$d1" -v b="$d2" -v h="$after_s" 'BEGIN{printf "%.1f", (b - a) / h}')" \
      --argjson lat_before "$(jq ".endpoints[\"/as$i\"].transit_us" <<< "$s1")" \
      --argjson lat_after "$(jq ".endpoints[\"/as$i\"].transit_us" <<< "$s2")" \
      --argjson shed "$(conn_metric "$m2" "$id" tunnel_router_uplinks_total shed)" \
      --argjson timeout "$(conn_metric "$m2" "$id" tunnel_router_uplinks_total timeout)" \
      --argjson fuse "$(conn_metric "$m2" "$id" tunnel_router_fuse_state)" \
      --argjson bad "$(jq "[.endpoints[\"/as$i\"].bad_token] | add" <<< "$s2")" \
      '{name: $name, connection: $id, slow: $slow, delivered_per_s_before: $before, delivered_per_s_after: $after,
        ns_to_as_us_before: $lat_before, ns_to_as_us_after: $lat_after, shed_total: $shed, timeout_total: $timeout,
        fuse_state_at_end: $fuse, as_bad_token: $bad}' >> "$rows"
  done
  local slow_id=${ids[$((count - 1))]} timeline
  timeline=$(awk -v id="$slow_id" '$2 == id {printf "{\"t\":%s,\"delivered\":%s,\"shed\":%s,\"failed\":%s,\"timeout\":%s,\"fuse\":%s}\n", $1, $3, $4, $5, $6, $7}' "$WORK/samples" | jq -s .)
  local result
  result=$(jq -s --argjson rate "$rate" --argjson duration "$duration" --argjson half "$half" --argjson slow_ms "$slow_ms" \
    --argjson timeline "$timeline" --argjson load "$(cat "$WORK/load.json")" \
    '{scenario: "noisy", offered_per_s: $rate, seconds: $duration, slow_from_s: $half, slow_delay_ms: $slow_ms,
      connections: ., slow_timeline: $timeline, generator: $load,
      note: "Devices are spread evenly over the connections. At the half-way point the last AS starts answering after slow_delay_ms; rates are deliveries per second per connection before and after (router metrics); latency is send → arrival at the AS."}' "$rows")
  printf '\n%-5s %5s %12s %12s %12s %12s %8s %8s %5s\n' conn slow before/s after/s p99_before p99_after shed timeout fuse
  jq -r '.connections[] | [.name, .slow, .delivered_per_s_before, .delivered_per_s_after, .ns_to_as_us_before.p99,
         .ns_to_as_us_after.p99, .shed_total, .timeout_total, .fuse_state_at_end] | @tsv' <<< "$result" |
    awk -F'\t' '{printf "%-5s %5s %12s %12s %12s %12s %8s %8s %5s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
  echo "fuse state of the slow connection, each second: $(jq -c '[.slow_timeline[].fuse]' <<< "$result")"
  write_result noisy "$result"
}

# ---------------------------------------------------------------------------------------------
scenario_dead() {
  local duration kill_at back_at rate key_ok key_dead id_ok id_dead
  # The fuse probes ~2 s after it opens, then ~4 s later (each ±20 %): the second probe falls
  # around 9 s, when the AS comes back. Missed by a moment, the next comes ~8 s later, which
  # the run lasts long enough to see (at 16 s, recovery was sometimes not seen at all).
  duration=$(smoke 8 "${DURATION:-20}"); rate=$(smoke 200 "${RATE:-1000}")
  kill_at=$(smoke 1.5 3); back_at=$(smoke 4 9)
  key_ok=$(key_for 21); key_dead=$(key_for 22)
  start_sim ok --pki "$WORK/pki" --endpoint "/ok,$key_ok,fast"
  local ok_port=$SIM_PORT
  start_sim dead --pki "$WORK/pki" --endpoint "/dead,$key_dead,fast"
  local dead_port=$SIM_PORT dead_pid=$SIM_PID
  start_router router "$WORK/data" "[as]
ca_file = $SIM_CA"
  id_ok=$(create_connection ok "https://localhost:$ok_port/ok" "$key_ok")
  id_dead=$(create_connection dead "https://localhost:$dead_port/dead" "$key_dead")
  route_devices 1000 70B3D5E750000000 "$id_ok" "$id_dead"
  sample_metrics "$WORK/samples" 0.25 "$id_dead" "$id_ok" &
  local sampler=$!
  PIDS+=("$sampler")
  local start
  start=$(now_s)
  "$LOAD_BIN" --port "$R_INGRESS" --rate "$rate" --connections 2 --streams 64 --seconds "$duration" --quiet > "$WORK/load.json" &
  local load=$!
  sleep "$kill_at"
  kill -KILL "$dead_pid"
  local t_kill t_back
  t_kill=$(since "$start")
  log "AS killed at ${t_kill}s"
  sleep "$(awk -v a="$back_at" -v b="$kill_at" 'BEGIN{print a - b}')"
  start_sim dead2 --pki "$WORK/pki" --port "$dead_port" --endpoint "/dead,$key_dead,fast"
  t_back=$(since "$start")
  log "AS back at ${t_back}s"
  wait "$load"
  sleep 0.5
  kill "$sampler" 2>/dev/null || true
  # The sampler's clock starts a moment before the generator's: close enough at 0.25 s sampling.
  local timeline result
  timeline=$(awk -v id="$id_dead" '$2 == id {printf "{\"t\":%s,\"delivered\":%s,\"shed\":%s,\"failed\":%s,\"timeout\":%s,\"fuse\":%s}\n", $1, $3, $4, $5, $6, $7}' "$WORK/samples" | jq -s .)
  local ok_timeline
  ok_timeline=$(awk -v id="$id_ok" '$2 == id {printf "{\"t\":%s,\"delivered\":%s,\"fuse\":%s}\n", $1, $3, $7}' "$WORK/samples" | jq -s .)
  result=$(jq -n --argjson tl "$timeline" --argjson ok "$ok_timeline" --argjson kill "$t_kill" --argjson back "$t_back" \
    --argjson rate "$rate" --argjson stats "$(sim_stats "$dead_port")" '
    ($tl | map(select(.t >= $kill and .fuse == 2)) | first) as $open |
    ($tl | map(select(.t >= $back)) ) as $after |
    ([range(1; $after | length) | select($after[.].fuse < 2 and $after[.].delivered > $after[. - 1].delivered) | $after[.]] | first) as $rec |
    ($tl | map(select(.t <= $kill)) | last) as $k |
    {scenario: "dead", offered_per_s: $rate, killed_at_s: $kill, back_at_s: $back,
     fuse_open_at_s: $open.t, blacklisted_after_s: (if $open then $open.t - $kill else null end),
     recovered_at_s: $rec.t, recovered_after_s: (if $rec then $rec.t - $back else null end),
     attempts_while_down: (if $open and $k then (($tl | map(select(.t <= $back)) | last) as $b | ($b.failed + $b.timeout) - ($k.failed + $k.timeout)) else null end),
     shed_while_down: (if $k then (($tl | map(select(.t <= $back)) | last).shed - $k.shed) else null end),
     restarted_as_verified: $stats.endpoints["/dead"].verified,
     healthy_delivered_per_s: (($ok | last).delivered / ($ok | last).t),
     healthy_fuse_max: ($ok | map(.fuse) | max),
     dead_timeline: $tl,
     note: "Times in seconds from the start of the load. attempts_while_down = failed + timeout uplinks from the kill to the restart: the requests the fuse let through (before it opened, then its probes)."}')
  echo
  printf '%-26s %s\n' "AS killed at (s)" "$t_kill" "fuse open at (s)" "$(jq .fuse_open_at_s <<< "$result")" \
    "blacklisted after (s)" "$(jq .blacklisted_after_s <<< "$result")" "attempts while down" "$(jq .attempts_while_down <<< "$result")" \
    "shed while down" "$(jq .shed_while_down <<< "$result")" "AS back at (s)" "$t_back" \
    "recovered at (s)" "$(jq .recovered_at_s <<< "$result")" "recovered after (s)" "$(jq .recovered_after_s <<< "$result")" \
    "healthy AS delivered/s" "$(jq '.healthy_delivered_per_s | floor' <<< "$result")" "healthy AS fuse max" "$(jq .healthy_fuse_max <<< "$result")"
  echo "fuse state of the dead AS's connection every 0.25 s: $(jq -c '[.dead_timeline[].fuse]' <<< "$result")"
  write_result dead "$result"
}

# ---------------------------------------------------------------------------------------------
scenario_scale() {
  local count created_s rss_created listed t0
  count=$(smoke 200 "${CONNECTIONS:-10000}")
  start_router router "$WORK/data" ""
  # Each connection its own AS_ID (the API refuses a second connection with one in use), so
  # one body per request: curl, 8 in parallel.
  seq "$count" > "$WORK/conn.ids"
  t0=$(now_s)
  xargs -P 8 -I @ID@ curl -s -o /dev/null -w '%{http_code}\n' -H "authorization: Bearer $R_TOKEN" \
    -d '{"name":"scale @ID@","url":"https://localhost:9/uplink","contentType":"JSON","asId":"scale-@ID@.as"}' \
    "http://127.0.0.1:$R_ADMIN/api/v1/connections" < "$WORK/conn.ids" > "$WORK/create.out" 2>&1 || true
  created_s=$(since "$t0")
  local status_2xx
  status_2xx=$(grep -c '^201$' "$WORK/create.out" || true)
  sleep 1
  listed=$(admin GET /api/v1/connections | jq 'if type == "array" then length else (.connections // .items // []) | length end')
  local owners_before
  owners_before=$(metrics | grep -c '^tunnel_router_fuse_state{' || true)
  rss_created=$(rss_kib "$R_PID")
  log "$status_2xx created in ${created_s}s, $listed listed, RSS $rss_created KiB"
  stop_pid "$R_PID"
  start_router router2 "$WORK/data" ""
  local startup=$R_STARTUP_S ready_s t1 i
  t1=$(now_s)
  for i in $(seq 200); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$R_ADMIN/readyz") == 200 ]] && break; sleep 0.05; done
  ready_s=$(awk -v a="$startup" -v b="$(since "$t1")" 'BEGIN{printf "%.2f", a + b}')
  # The connection owners come up after /readyz: wait (≤ 30 s) until /metrics lists them all.
  local owners=0 loaded_s="null"
  for i in $(seq 150); do
    owners=$(metrics | grep -c '^tunnel_router_fuse_state{' || true)
    if [[ $owners -ge $count ]]; then loaded_s=$(since "$t1"); loaded_s=$(awk -v a="$startup" -v b="$loaded_s" 'BEGIN{printf "%.2f", a + b}'); break; fi
    sleep 0.2
  done
  sleep 1
  local rss hwm
  rss=$(rss_kib "$R_PID"); hwm=$(hwm_kib "$R_PID")
  local result
  result=$(jq -n --argjson count "$count" --argjson created "${status_2xx:-0}" --argjson created_s "$created_s" \
    --argjson listed "${listed:-0}" --argjson rss_created "$rss_created" --argjson startup "$startup" --argjson ready "$ready_s" \
    --argjson rss "$rss" --argjson hwm "$hwm" --argjson owners "$owners" --argjson owners_before "$owners_before" --argjson loaded "$loaded_s" \
    '{scenario: "scale", connections_requested: $count, created_2xx: $created, create_seconds: $created_s,
      create_per_s: ($created / $created_s), listed: $listed, connections_in_metrics_before_restart: $owners_before,
      rss_mib_after_creation: ($rss_created / 1024), startup_to_listening_s: $startup, startup_to_ready_s: $ready,
      startup_to_all_connections_s: $loaded,
      rss_mib_before_traffic: ($rss / 1024), peak_rss_mib: ($hwm / 1024), connections_in_metrics_after_restart: $owners,
      rss_target_mib: 256, rss_within_target: ($rss / 1024 < 256),
      note: "Connections created with curl (8 in parallel, each its own AS_ID) POSTing to the admin API; the router then stopped with SIGTERM and started again on the same store."}')
  echo
  printf '%-36s %s\n' "connections created (2xx)" "$status_2xx" "create time (s)" "$created_s" "listed by the API" "$listed" \
    "RSS after creation (MiB)" "$(jq '.rss_mib_after_creation|floor' <<< "$result")" \
    "restart: spawn to listening (s)" "$startup" "restart: spawn to /readyz 200 (s)" "$ready_s" "restart: spawn to all in /metrics (s)" "$loaded_s" \
    "RSS before traffic (MiB)" "$(jq '.rss_mib_before_traffic*10|floor/10' <<< "$result")" \
    "peak RSS (MiB)" "$(jq '.peak_rss_mib*10|floor/10' <<< "$result")" "connections in /metrics" "$owners"
  write_result scale "$result"
}

# ---------------------------------------------------------------------------------------------
scenario_downlink() {
  local count key id t0 t1
  count=$(smoke 300 "${COUNT:-20000}")
  key=$(key_for 31)
  start_sim sink --plain --endpoint "/ns,-,fast"
  local sink_port=$SIM_PORT
  start_router router "$WORK/data" "[ns]
downlink_url = http://127.0.0.1:$sink_port/ns
[downlink]
rate_per_s = 1000000
burst = 1000000"
  id=$(create_connection dl "https://localhost:9/uplink" "$key")
  route_devices 1000 70B3D5E750000000 "$id"
  "$URLS_BIN" --key "$key" --as-id dl.as --base "http://127.0.0.1:$R_PUBLIC" --count "$count" --devices 1000 > "$WORK/urls.txt"
  printf "{}" > "$WORK/empty"  # the body is ignored; h2load cannot map an empty file
  t0=$(cpu_ticks "$R_PID")
  h2load -i "$WORK/urls.txt" -n "$count" -c 1 -m 32 -d "$WORK/empty" > "$WORK/h2load.out" 2>&1 || true
  sleep 0.5
  t1=$(cpu_ticks "$R_PID")
  local rps ok text sink
  rps=$(awk '/^finished in/ {print $4}' "$WORK/h2load.out")
  ok=$(awk '/status codes:/ {print $3}' "$WORK/h2load.out")
  text=$(metrics)
  sink=$(sim_stats "$sink_port" plain | jq '.endpoints["/ns"].arrived')
  local outcomes
  outcomes=$(awk '/^tunnel_router_downlinks_total\{/ {match($0, /outcome="[^"]*"/); o = substr($0, RSTART + 9, RLENGTH - 10); printf "%s\"%s\":%s", (n++ ? "," : ""), o, $NF}' <<< "$text")
  local result cpu_us
  cpu_us=$(ticks_to_us $((t1 - t0)))
  result=$(jq -n --argjson count "$count" --argjson rps "${rps:-0}" --argjson ok "${ok:-0}" --argjson sink "${sink:-0}" \
    --argjson outcomes "{$outcomes}" --argjson cpu "$cpu_us" \
    '{scenario: "downlink", requests: $count, h2load_req_per_s: $rps, answered_2xx: $ok, ns_sink_arrivals: $sink,
      router_downlinks: $outcomes, router_cpu_us_per_downlink: (if $ok > 0 then $cpu / $ok else null end),
      note: "Distinct pre-signed downlink URLs (tr-downlink-urls), each sent once by h2load over one h2c connection with 32 streams; a 2xx means verified and delivered to the NS sink (the AS answer waits for the NS)."}')
  echo
  printf '%-34s %s\n' "downlinks sent" "$count" "answered 2xx" "$ok" "h2load req/s (verified+delivered)" "$rps" \
    "NS sink arrivals" "$sink" "router CPU µs per downlink" "$(jq '.router_cpu_us_per_downlink' <<< "$result")" \
    "router outcomes" "{$outcomes}"
  write_result downlink "$result"
}

# A throwaway PostgreSQL (scripts/test-postgres.sh), the replicas' shared store.
scenario_cluster() {
  local bench=$BUILD/tr-cluster-bench writes connections routes
  CLUSTER_STATE=$WORK/postgres
  [[ -x $bench ]] || { echo "missing $bench" >&2; exit 2; }
  writes=$(smoke 50 1000)
  connections=$(smoke 1000 100000)
  routes=$(smoke 10000 1000000)
  "$ROOT/scripts/test-postgres.sh" start "$CLUSTER_STATE" >&2
  trap '"$ROOT/scripts/test-postgres.sh" stop "$CLUSTER_STATE"; cleanup' EXIT
  local url
  url=$(cat "$CLUSTER_STATE/url")
  export TUNNEL_ROUTER_DATA_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
  psql -q "$url" -c "CREATE SCHEMA propagation; CREATE SCHEMA startup" >/dev/null
  log "propagation: $writes writes"
  local propagation
  propagation=$("$bench" propagation --url "$url?options=-csearch_path%3Dpropagation" --writes "$writes")
  log "populating: $connections connections, $routes routes"
  local filled started
  started=$(now_s)
  "$bench" populate --url "$url?options=-csearch_path%3Dstartup" --connections "$connections" --routes "$routes" >/dev/null
  filled=$(since "$started")
  log "start-up of a replica"
  mkdir -p "$WORK/replica"
  printf '[store]\nurl = %s\n[ingress]\nlisten = 127.0.0.1:0\n[public]\nlisten = 127.0.0.1:0\n[admin]\nlisten = 127.0.0.1:0\ntoken = bench-admin-token-0123456789abcdef\n[runtime]\nshards = %s\n' \
    "$url?options=-csearch_path%3Dstartup" "${SHARDS:-1}" > "$WORK/replica.ini"
  started=$(now_s)
  "$ROUTER_BIN" serve --config "$WORK/replica.ini" > "$WORK/replica.out" 2> "$WORK/replica.err" &
  local pid=$!
  PIDS+=("$pid")
  wait_line "$WORK/replica.out" "tunnel-router listening" 120
  local startup rss
  startup=$(since "$started")
  rss=$(hwm_kib "$pid")
  stop_pid "$pid"
  log "downlinks: single node, then two replicas"
  cluster_downlinks "$url"
  local downlinks=$DOWNLINKS_JSON
  local result
  result=$(jq -n --argjson p "$propagation" --argjson c "$connections" --argjson r "$routes" \
    --argjson s "$startup" --argjson rss "$rss" --argjson fill "$filled" --argjson d "$downlinks" \
    '{scenario: "cluster", propagation: $p, downlinks: $d,
      startup: {connections: $c, device_routes: $r, seconds_to_listening: $s, peak_rss_kib: $rss,
                populate_seconds: $fill},
      note: "Throwaway PostgreSQL 15 on loopback (fsync=off). Propagation: a device-route write on one store until a second store on the same database published it. Start-up: tunnel-router serve until its listening line (the snapshot is loaded before), peak RSS (VmHWM)."}')
  echo
  printf '%-34s %s\n' "propagation p50 ms" "$(jq '.propagation.propagation_ms.p50' <<< "$result")" \
    "propagation p99 ms" "$(jq '.propagation.propagation_ms.p99' <<< "$result")" \
    "start-up s ($connections conn, $routes routes)" "$startup" "peak RSS KiB" "$rss" \
    "downlinks/s single node (SQLite)" "$(jq '.downlinks.single.per_s' <<< "$result")" \
    "downlinks/s 2 replicas (PostgreSQL)" "$(jq '.downlinks.two_replicas.per_s' <<< "$result")"
  write_result cluster "$result"
}

# cluster_downlinks URL: verified downlinks per second into one NS sink, through a single node on
# SQLite, then through two replicas sharing PostgreSQL (each gets half), in the same run: two
# h2load clients (32 streams each) over distinct pre-signed URLs. Sets DOWNLINKS_JSON.
cluster_downlinks() {
  local url=$1 count key
  count=$(smoke 400 "${COUNT:-20000}")
  key=$(key_for 41)
  start_sim sink --plain --endpoint "/ns,-,fast" >&2
  local sink_port=$SIM_PORT sink_pid=$SIM_PID
  local common="[ns]
downlink_url = http://127.0.0.1:$sink_port/ns
[downlink]
rate_per_s = 1000000
burst = 1000000"
  # two_clients BASE_A BASE_B: sends the URL list split in two, one h2load per half at once;
  # prints "answered_2xx seconds".
  two_clients() {
    "$URLS_BIN" --key "$key" --as-id dl.as --base "$1" --count "$count" --devices 1000 > "$WORK/urls.txt"
    awk -v a="$1" -v b="$2" 'NR % 2 { print > "'"$WORK"'/urls-a.txt"; next }
      { sub(a, b); print > "'"$WORK"'/urls-b.txt" }' "$WORK/urls.txt"
    printf "{}" > "$WORK/empty"
    local t0 ok_a ok_b
    t0=$(now_s)
    h2load -i "$WORK/urls-a.txt" -n $((count / 2)) -c 1 -m 32 -d "$WORK/empty" > "$WORK/h2load-a.out" 2>&1 &
    local first=$!
    h2load -i "$WORK/urls-b.txt" -n $((count / 2)) -c 1 -m 32 -d "$WORK/empty" > "$WORK/h2load-b.out" 2>&1 || true
    wait "$first" || true
    local took
    took=$(since "$t0")
    ok_a=$(awk '/status codes:/ {print $3}' "$WORK/h2load-a.out")
    ok_b=$(awk '/status codes:/ {print $3}' "$WORK/h2load-b.out")
    echo "$(( ${ok_a:-0} + ${ok_b:-0} )) $took"
  }
  # The single node on SQLite.
  start_router single "$WORK/single" "$common" >&2
  local id single_pid=$R_PID
  id=$(create_connection dl "https://localhost:9/uplink" "$key")
  route_devices 1000 70B3D5E750000000 "$id" >&2
  local single
  single=$(two_clients "http://127.0.0.1:$R_PUBLIC" "http://127.0.0.1:$R_PUBLIC")
  stop_pid "$single_pid"
  # Two replicas on PostgreSQL (a schema of their own), the same connection key and devices.
  psql -q "$url" -c "CREATE SCHEMA downlinks" > /dev/null
  local replica ports=() pids=()
  for replica in a b; do
    printf '[store]\nurl = %s\n[ingress]\nlisten = 127.0.0.1:0\n[public]\nlisten = 127.0.0.1:0\n[admin]\nlisten = 127.0.0.1:0\ntoken = bench-admin-token-0123456789abcdef\n[runtime]\nshards = %s\n%s\n' \
      "$url?options=-csearch_path%3Ddownlinks" "${SHARDS:-1}" "$common" > "$WORK/replica-$replica.ini"
    "$ROUTER_BIN" serve --config "$WORK/replica-$replica.ini" > "$WORK/replica-$replica.out" 2> "$WORK/replica-$replica.err" &
    pids+=($!)
    PIDS+=($!)
    wait_line "$WORK/replica-$replica.out" "tunnel-router listening" 60
    ports+=("$(sed -E 's/.*public [^:]*:([0-9]+),.*/\1/' <<< "$(grep "tunnel-router listening" "$WORK/replica-$replica.out")")")
    [[ $replica == a ]] && R_ADMIN=$(sed -E 's/.*admin [^:]*:([0-9]+).*/\1/' <<< "$(grep "tunnel-router listening" "$WORK/replica-a.out")")
  done
  R_TOKEN=bench-admin-token-0123456789abcdef
  id=$(create_connection dl "https://localhost:9/uplink" "$key")
  route_devices 1000 70B3D5E750000000 "$id" >&2
  sleep 2  # propagation to the second replica (milliseconds) and both heartbeats
  local pair
  pair=$(two_clients "http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}")
  for replica in "${pids[@]}"; do stop_pid "$replica"; done
  stop_pid "$sink_pid"
  DOWNLINKS_JSON=$(jq -n --argjson count "$count" --arg single "$single" --arg pair "$pair" \
    '($single | split(" ")) as $s | ($pair | split(" ")) as $p |
     {requests: $count,
      single: {answered_2xx: ($s[0] | tonumber), seconds: ($s[1] | tonumber),
               per_s: (($s[0] | tonumber) / ($s[1] | tonumber) | floor)},
      two_replicas: {answered_2xx: ($p[0] | tonumber), seconds: ($p[1] | tonumber),
                     per_s: (($p[0] | tonumber) / ($p[1] | tonumber) | floor)},
      note: "Same NS sink (tr-as-sim, plain HTTP), same run; two h2load clients at once (1 connection, 32 streams each) over distinct pre-signed URLs, split between the replicas. A 2xx means verified (cluster: replay record and token bucket in PostgreSQL) and delivered to the sink."}')
}

# ---------------------------------------------------------------------------------------------
# faults: one router, a healthy connection at RATE uplinks/s, and one attack (or misbehaving AS)
# at a time for ROW_SECONDS each (bench/harness/faults.py for the raw-socket ones). Per row: the
# router's peak RSS and CPU, the healthy connection's delivered rate and NS → AS p99.
FAULTS_PY=$ROOT/bench/harness/faults.py

# faults_bad_as MODE SECONDS: a misbehaving AS on BAD_PORT and a fresh connection to it (whose
# fuse is closed, so the router tries it); sets BAD_ID. Then faults_bad_load sends it 200 uplinks/s.
faults_bad_as() {
  local mode=$1 secs=$2 id n
  n=$((++BAD_N))
  python3 "$FAULTS_PY" as "$mode" --port "$BAD_PORT" --seconds "$secs" --cert "$WORK/pki/as-cert.pem" \
    --key "$WORK/pki/as-key.pem" > "$WORK/bad-$n.out" 2>&1 &
  BAD_PID=$!
  PIDS+=("$BAD_PID")
  wait_tcp "$BAD_PORT"
  id=$(create_connection "bad$n" "https://localhost:$BAD_PORT/bad" "$(key_for $((100 + n)))")
  BAD_ID=$id
  route_devices 100 70B3D5E760000000 "$id"
}
faults_bad_load() {
  "$LOAD_BIN" --port "$R_INGRESS" --rate 200 --connections 1 --streams 64 --devices 100 \
    --first-dev-eui 70B3D5E760000000 --seconds "$1" --quiet > /dev/null
}

faults_loop() {  # reports routed to the connection whose URL is the router's own ingress
  "$LOAD_BIN" --port "$R_INGRESS" --rate 200 --connections 1 --streams 64 --devices 100 \
    --first-dev-eui 70B3D5E770000000 --seconds "$1" --quiet > /dev/null
  echo "router log lines naming its own listener: $(cat "$WORK"/router.out "$WORK"/router.err | grep -c "one of the router's own listeners" || true)"
}

# faults_admin_bodies SECONDS: unauthenticated 8 MiB POSTs over h2, 4 connections x 64 streams;
# h2load starts again whenever the router has ended its connections, until SECONDS are up.
faults_admin_bodies() {
  local end runs=0
  head -c $((8 << 20)) /dev/zero > "$WORK/big.body"
  end=$(awk -v a="$(now_s)" -v s="$1" 'BEGIN{printf "%.3f", a + s}')
  while awk -v e="$end" -v n="$(now_s)" 'BEGIN{exit !(n < e)}'; do
    timeout "$(awk -v e="$end" -v n="$(now_s)" 'BEGIN{printf "%.3f", e - n}')" \
      h2load -n 1000000 -c 4 -m 64 -d "$WORK/big.body" "http://127.0.0.1:$R_ADMIN/api/v1/connections" \
      > "$WORK/h2load-admin.out" 2>&1 || true
    runs=$((runs + 1))
  done
  echo "h2load runs (each ended by the router or the row's end): $runs"
}

# faults_bad_batch SECONDS RATE: batches of 10,000 bad lines (the most a batch may hold, each line
# parsed and rejected; ~3 MB), two senders over HTTP/1.1 keep-alive, RATE batches/s each (0: back
# to back). One attacker process: a loop starting curl per batch spent more CPU starting
# processes than the router spent on the batches, and on two cores that alone delayed the healthy
# uplinks as much when the batches went to another process (see BENCHMARKS.md).
faults_bad_batch() {
  python3 "$FAULTS_PY" attack bad-batch --port "$R_INGRESS" --count 2 --rate "$2" --seconds "$1"
}

scenario_faults() {
  local secs rate key id
  secs=$(smoke 1 "${ROW_SECONDS:-4}"); rate=$(smoke 200 "${RATE:-1000}")
  key=$(key_for 41)
  start_sim healthy --pki "$WORK/pki" --endpoint "/ok,$key,fast"
  local sim_port=$SIM_PORT
  # allow_http: the loop row's URL is http:// (the ingress speaks cleartext), as in the endless
  # report loop it reproduces; only the destination policy stops it.
  start_router router "$WORK/data" "[as]
ca_file = $SIM_CA
allow_http = true"
  id=$(create_connection healthy "https://localhost:$sim_port/ok" "$key")
  route_devices 1000 70B3D5E750000000 "$id"
  BAD_PORT=$(free_port) BAD_N=0 BAD_ID=""
  # The router's own ingress as an AS: by address literal it is refused at creation (the status is
  # recorded), by name at connect time.
  local literal loop_id
  literal=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $R_TOKEN" -H "Content-Type: application/json" \
    --data-binary "{\"name\":\"loop0\",\"url\":\"http://127.0.0.1:$R_INGRESS/v1/reports\",\"contentType\":\"JSON\",\"asId\":\"loop0.as\",\"key\":\"$(key_for 98)\"}" \
    "http://127.0.0.1:$R_ADMIN/api/v1/connections")
  loop_id=$(create_connection loop "http://localhost:$R_INGRESS/v1/reports" "$(key_for 99)")
  route_devices 100 70B3D5E770000000 "$loop_id"
  log "own ingress by address literal: HTTP $literal at creation"
  local run=$((secs + 1)) rows="$WORK/rows.ndjson"
  : > "$rows"
  local rowdefs=(
    "none|:"
    "admin: unauthenticated 8 MiB bodies over h2 (4 conn x 64 streams)|faults_admin_bodies $run"
    "public: 2,000 idle TCP connections|python3 $FAULTS_PY attack idle --port \$R_PUBLIC --count 2000 --seconds $run"
    "public: 500 slowloris connections|python3 $FAULTS_PY attack slowloris --port \$R_PUBLIC --count 500 --seconds $run"
    "ingress: HPACK bomb (4 KB entry x 4,000 refs)|python3 $FAULTS_PY attack hpack-bomb --port \$R_INGRESS --seconds $run"
    "ingress: batches of 10,000 bad lines, 3 MB (2 x 10/s)|faults_bad_batch $run 10"
    "ingress: batches of 10,000 bad lines, 3 MB (2 x max)|faults_bad_batch $run 0"
    "connection URL = router's own ingress|faults_loop $run"
    "AS: TLS handshake never completes|faults_bad_as silent $run"
    "AS: garbage instead of TLS|faults_bad_as garbage $run"
    "AS: reset mid-answer|faults_bad_as reset $run"
    "AS: floods DATA (endless body)|faults_bad_as endless-body $run"
    "AS: CONTINUATION flood (endless headers)|faults_bad_as continuation $run"
    "AS: h2 garbage|faults_bad_as h2-garbage $run"
    "AS: http/1.1 chunk garbage|faults_bad_as chunk-garbage $run"
    "AS: http/1.1 endless headers|faults_bad_as endless-h1-headers $run"
  )
  [[ $SMOKE == 1 ]] && rowdefs=("${rowdefs[0]}" "${rowdefs[4]}" "${rowdefs[8]}")
  if [[ -n ${FAULTS_ROWS:-} ]]; then  # a regular expression: only the rows whose names match
    local picked=() def
    for def in "${rowdefs[@]}"; do
      if [[ ${def%%|*} =~ $FAULTS_ROWS ]]; then picked+=("$def"); fi
    done
    rowdefs=("${picked[@]}")
  fi
  local def name cmd
  for def in "${rowdefs[@]}"; do
    name=${def%%|*} cmd=${def#*|}
    BAD_ID=""
    log "row: $name"
    if [[ $cmd == faults_bad_as* ]]; then
      $cmd
      cmd="faults_bad_load $run"
    fi
    eval "$cmd" > "$WORK/attack.out" 2>&1 &
    local attacker=$!
    PIDS+=("$attacker")
    sleep 0.5
    sim_reset "$sim_port"
    local m0 m1 t0 t1 stats sampler
    m0=$(metrics); t0=$(cpu_ticks "$R_PID")
    (while :; do rss_kib "$R_PID"; sleep 0.2; done) > "$WORK/rss" 2>/dev/null &
    sampler=$!
    "$LOAD_BIN" --port "$R_INGRESS" --rate "$rate" --connections 2 --streams 64 --devices 1000 \
      --first-dev-eui 70B3D5E750000000 --seconds "$secs" --quiet > "$WORK/load.json"
    sleep 0.3
    t1=$(cpu_ticks "$R_PID"); m1=$(metrics); stats=$(sim_stats "$sim_port")
    kill "$sampler" 2>/dev/null || true
    wait "$attacker" 2>/dev/null || true
    [[ -n $BAD_ID ]] && stop_pid "$BAD_PID"
    local delivered rss_max cpu_pct other="{}"
    delivered=$(( $(conn_metric "$m1" "$id" tunnel_router_uplinks_total delivered) - $(conn_metric "$m0" "$id" tunnel_router_uplinks_total delivered) ))
    rss_max=$(sort -n "$WORK/rss" | tail -1)
    cpu_pct=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v s="$secs" 'BEGIN{printf "%.1f", t * 100 / hz / (s + 0.3)}')
    local other_id=$BAD_ID
    [[ $cmd == faults_loop* ]] && other_id=$loop_id
    if [[ -n $other_id ]]; then
      other=$(jq -nc --argjson d "$(conn_metric "$m1" "$other_id" tunnel_router_uplinks_total delivered)" \
        --argjson f "$(conn_metric "$m1" "$other_id" tunnel_router_uplinks_total failed)" \
        --argjson t "$(conn_metric "$m1" "$other_id" tunnel_router_uplinks_total timeout)" \
        --argjson s "$(conn_metric "$m1" "$other_id" tunnel_router_uplinks_total shed)" \
        '{delivered: $d, failed: $f, timeout: $t, shed: $s}')
    fi
    jq -c --arg attack "$name" --argjson rate "$rate" --argjson secs "$secs" --argjson delivered "$delivered" \
      --argjson rss "${rss_max:-0}" --argjson cpu "$cpu_pct" --argjson transit "$(jq '.endpoints["/ok"].transit_us' <<< "$stats")" \
      --argjson bad "$(jq '.endpoints["/ok"].bad_token' <<< "$stats")" --argjson other "$other" --arg attacker "$(tr '\n' ' ' < "$WORK/attack.out" | cut -c1-300)" \
      '{attack: $attack, router_rss_mib: ($rss / 1024 * 10 | floor / 10), router_cpu_pct: $cpu,
        healthy_offered_per_s: .sent_per_s, healthy_delivered_per_s: ($delivered / $secs),
        healthy_rate_ratio: ($delivered / $secs / $rate), healthy_p99_us: $transit.p99, healthy_transit_us: $transit,
        healthy_as_bad_token: $bad, generator_errors: .errors, attacked_connection: $other, attacker_output: $attacker,
        within_target: (($delivered / $secs / $rate) >= 0.95 and ($transit.p99 // 1e9) < 5000 and $rss < 524288)}' \
      "$WORK/load.json" >> "$rows"
    log "$(tail -1 "$rows")"
  done
  local result
  result=$(jq -s --argjson rate "$rate" --argjson secs "$secs" --arg literal "$literal" --argjson hwm "$(hwm_kib "$R_PID")" \
    '{scenario: "faults", healthy_rate_per_s: $rate, row_seconds: $secs, own_ingress_literal_status: $literal,
      router_peak_rss_mib: ($hwm / 1024 * 10 | floor / 10), rows: .,
      targets: {healthy_rate_ratio_min: 0.95, healthy_p99_us_max: 5000, rss_mib_max: 512},
      note: "One router (1 shard), a healthy connection to tr-as-sim at the given rate (tr-ns-load, open loop, 2 connections), and one attack at a time: it starts 0.5 s before the healthy load and runs until the row ends. RSS: the largest of samples every 0.2 s during the row; CPU: utime+stime of the router over the row. Delivered: the router metric of the healthy connection over the row; p99: send time at the generator to arrival at the AS. attacked_connection: cumulative outcomes of the connection the row sends its own 200 uplinks/s to (a fresh one per misbehaving-AS row)."}' "$rows")
  printf '\n%-58s %8s %6s %11s %7s %9s %4s\n' attack rss_MiB cpu_% delivered/s ratio p99_us ok
  jq -r '.rows[] | [.attack, .router_rss_mib, .router_cpu_pct, (.healthy_delivered_per_s|floor), (.healthy_rate_ratio*100|floor/100),
         .healthy_p99_us, (if .within_target then "yes" else "NO" end)] | @tsv' <<< "$result" |
    awk -F'\t' '{printf "%-58s %8s %6s %11s %7s %9s %4s\n", $1, $2, $3, $4, $5, $6, $7}'
  write_result faults "$result"
}

# ---------------------------------------------------------------------------------------------
# busy_of METRICS SHARD: tunnel_router_shard_busy_seconds_total of one shard, as printed.
busy_of() { awk -v shard="tunnel_router_shard_busy_seconds_total{shard=\"$2\"}" '$1 == shard {print $2}' <<< "$1"; }

scenario_spread() {
  local secs reps rate count warm key rows="$WORK/rows.ndjson" rep shards
  secs=$(smoke 1 "${SECONDS_PER_RUN:-5}"); reps=$(smoke 1 "${REPS:-2}"); rate=$(smoke 500 "${LOW_RATE:-10000}")
  warm=$(smoke 1 3)
  count=${CONNECTIONS:-8}
  key=$(key_for 1)
  local endpoints=() i
  for i in $(seq "$count"); do endpoints+=(--endpoint "/uplink$i,$key,fast"); done
  start_sim sim --pki "$WORK/pki" --shards 1 "${endpoints[@]}"
  : > "$rows"
  for rep in $(seq "$reps"); do
    for shards in 1 2; do
      # A fresh router each run: connections created in order are placed by count (half on each
      # shard with two), devices routed round robin over them.
      SHARDS=$shards start_router "router-$rep-$shards" "$WORK/data-$rep-$shards" "[as]
ca_file = $SIM_CA"
      local ids=()
      for i in $(seq "$count"); do ids+=("$(create_connection "c$i" "https://localhost:$SIM_PORT/uplink$i" "$key")"); done
      route_devices 1000 70B3D5E750000000 "${ids[@]}"
      # Warm-up: sessions open, and the supervisor's samples see the load (placement and moves).
      "$LOAD_BIN" --port "$R_INGRESS" --rate "$rate" --connections 4 --streams 64 --seconds "$warm" \
        --devices 1000 --first-dev-eui 70B3D5E750000000 --quiet > /dev/null
      sleep 0.5
      local m0 m1 t0 t1 before after
      m0=$(metrics); before=$(metric_sum "$m0" tunnel_router_uplinks_total 'outcome="delivered"')
      t0=$(cpu_ticks "$R_PID")
      "$LOAD_BIN" --port "$R_INGRESS" --rate "$rate" --connections 4 --streams 64 --seconds "$secs" \
        --devices 1000 --first-dev-eui 70B3D5E750000000 --quiet > "$WORK/load.json"
      sleep 0.5
      t1=$(cpu_ticks "$R_PID")
      m1=$(metrics); after=$(metric_sum "$m1" tunnel_router_uplinks_total 'outcome="delivered"')
      local busy=()
      for i in $(seq 0 $((shards - 1))); do
        busy+=("$(awk -v a="$(busy_of "$m0" "$i")" -v b="$(busy_of "$m1" "$i")" -v s="$secs" 'BEGIN{printf "%.3f", (b - a) / s}')")
      done
      jq -c --argjson rep "$rep" --argjson shards "$shards" --argjson delivered $((after - before)) \
        --argjson cpu_us "$(ticks_to_us $((t1 - t0)))" --argjson busy "[$(IFS=,; echo "${busy[*]}")]" \
        '{rep: $rep, shards: $shards, offered_per_s: .sent_per_s, delivered: $delivered, cpu_us: $cpu_us,
          cpu_us_per_delivered: (if $delivered > 0 then $cpu_us / $delivered else null end),
          busy_per_shard: $busy, accepted_p99_us: .accepted_latency_us.p99}' "$WORK/load.json" >> "$rows"
      log "$(tail -1 "$rows")"
      stop_pid "$R_PID"
    done
  done
  local result
  result=$(jq -s --argjson count "$count" --argjson secs "$secs" --argjson rate "$rate" '
    {scenario: "spread", connections: $count, seconds_per_run: $secs, rate: $rate, runs: .,
     two_over_one: [group_by(.rep)[] | [map(select(.shards == 2))[0].cpu_us_per_delivered, map(select(.shards == 1))[0].cpu_us_per_delivered]
                    | if .[0] != null and .[1] != null and .[1] > 0 then .[0] / .[1] else null end],
     note: "A fresh router per run (runtime.shards 1, then 2), CONNECTIONS connections to tr-as-sim, each its own path, 1,000 devices routed round robin over them; tr-ns-load at the rate over 4 NS connections, 3 s of warm-up, then the measured run. CPU = utime+stime of the router over the run; busy_per_shard = tunnel_router_shard_busy_seconds_total per second of the run."}' "$rows")
  printf '\n%-4s %-7s %12s %10s %s\n' rep shards delivered/s cpu_us/up busy/shard
  jq -r '.runs[] | [.rep, .shards, (.delivered / $secs | floor), ((.cpu_us_per_delivered // 0) * 100 | floor / 100), (.busy_per_shard | map(tostring) | join(" "))] | @tsv' \
    --argjson secs "$secs" <<< "$result" | awk -F'\t' '{printf "%-4s %-7s %12s %10s %s\n", $1, $2, $3, $4, $5}'
  echo "2 shards / 1 shard, CPU per delivered uplink (same rep): $(jq -c '[.two_over_one[] | if . == null then null else . * 100 | floor / 100 end]' <<< "$result")"
  write_result spread "$result"
}

name=${1:-}
case $name in
  throughput|latency|noisy|dead|scale|downlink|cluster|faults|spread) "scenario_$name" ;;
  all)
    for s in throughput latency noisy dead scale downlink; do "$0" "$s"; done ;;
  *)
    sed -n '2,15p' "$0" >&2
    exit 2 ;;
esac
