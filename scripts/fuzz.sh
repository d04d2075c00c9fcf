#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang in build-fuzz/ and runs them.
#   scripts/fuzz.sh TARGET SECONDS   one target for SECONDS (a longer run)
#   scripts/fuzz.sh all SECONDS      every target, one after the other, SECONDS each
#   scripts/fuzz.sh ci               every target for FUZZ_CI_SECONDS (default 20) each: the CI run,
#                                    from a fixed seed so a finding in CI replays the same search
#   scripts/fuzz.sh list             the targets
# Inputs found to add coverage go to build-fuzz/corpus/TARGET (the seeds in fuzz/corpus/TARGET
# are read, never written). A crash, sanitizer report, leak, timeout or broken property stops
# the run: the input is saved as build-fuzz/findings/TARGET-*, the script prints how to replay
# it and exits 1. Set FUZZ_JOBS to build with more than 2 jobs.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(report_json report_xml batch query downlink http1_server h1_client h2_client tls_pump admin_json config)

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in
  list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  ci) selected=("${targets[@]}"); seconds="${FUZZ_CI_SECONDS:-20}"; seed="${FUZZ_SEED:-1}" ;;
  all) [ $# -eq 2 ] || usage; selected=("${targets[@]}"); seconds="$2" ;;
  *)
    [ $# -eq 2 ] || usage
    [[ " ${targets[*]} " == *" $1 "* ]] || { echo "unknown target '$1' (scripts/fuzz.sh list)" >&2; exit 2; }
    selected=("$1"); seconds="$2" ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || usage
seed="${seed:-${FUZZ_SEED:-0}}"  # 0: libFuzzer picks one (printed in each log)

build=build-fuzz
if ! command -v clang++ >/dev/null || [ -z "$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null)" ]; then
  bash scripts/install-deps.sh
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
started=$(date +%s)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
    -DTR_FUZZ=ON -DTR_BUILD_TESTS=OFF -DTR_BUILD_BENCH=OFF >/dev/null
fi
build_targets=()
for t in "${selected[@]}"; do build_targets+=("fuzz_$t"); done
if ! cmake --build "$build" --target "${build_targets[@]}" -j "${FUZZ_JOBS:-2}" >"$build/build.log" 2>&1; then
  grep -v '^\[' "$build/build.log" >&2
  echo "fuzz build failed" >&2
  exit 1
fi
echo "fuzz build: $(( $(date +%s) - started )) s"

mkdir -p "$build/findings"
printf '%-13s %8s %12s %8s %7s  %s\n' target seconds executions exec/s corpus result
failed=0
for t in "${selected[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  log="$build/findings/$t.log"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  set +e
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -seed="$seed" -artifact_prefix="$build/findings/$t-" "${dict[@]}" \
    "$corpus" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  time_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FINDING (exit $rc): $(grep -m1 -E 'ERROR:|SUMMARY:|violated|runtime error|Timeout|leak' "$log" || echo see log)"
    failed=1
  fi
  printf '%-13s %8s %12s %8s %7s  %s\n' "$t" "$seconds" "${runs:-?}" "${time_s:-?}" "$size" "$result"
  if [ $rc -ne 0 ]; then
    echo "  log: $log"
    for a in "$build/findings/$t-"*; do
      [ -f "$a" ] && [[ "$a" != *.log ]] && echo "  replay: $build/fuzz/fuzz_$t $a"
    done
  fi
done
echo "fuzz total: $(( $(date +%s) - started )) s"
exit $failed
