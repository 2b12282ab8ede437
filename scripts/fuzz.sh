#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`, clang, ASan + UBSan) and runs each for
# SECONDS (default 60): fuzz_protocol (wire decoder, encode/decode round trip) and fuzz_config
# (pipeline-file loader). Exits non-zero when a target finds a crash, a hang (-timeout), or
# runaway memory (-rss_limit_mb); the input is left in build-fuzz/fuzz-artifacts/TARGET/.
#
# The fuzzers work on copies of the seed corpora (fuzz/corpus/*) in build-fuzz/fuzz-corpus/,
# which keep growing across runs; the repository's corpora are never written to. To turn a
# finding into a seed, minimise it (TARGET -minimize_crash=1 ...) and copy it by hand.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (seconds per target, default 60)" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

ZPIPE_EXTRA_PACKAGES="clang-14 libfuzzer-14-dev libclang-rt-14-dev" scripts/install-deps.sh

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${ZPIPE_FUZZ_JOBS:-2}"

build=build-fuzz
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# target  seed-corpus  max-len
targets=(
  "fuzz_protocol fuzz/corpus/protocol 4096"
  "fuzz_config fuzz/corpus/config 4096"
)

failed=()
summary=()
for entry in "${targets[@]}"; do
  read -r target seeds max_len <<<"$entry"
  corpus="$build/fuzz-corpus/$target"
  artifacts="$build/fuzz-artifacts/$target"
  log="$build/fuzz-logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*
  cp -f "$seeds"/* "$corpus"/

  dict=()
  [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")

  echo "== $target: ${seconds}s on $corpus (log $log)" >&2
  status=0
  # libFuzzer checks max_total_time between inputs and -timeout bounds each input, so the
  # outer timeout only guards against the fuzzer itself wedging.
  timeout -k 10 "$((seconds + 120))" "$build/fuzz/$target" "${dict[@]}" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
  if [ "$status" -ne 0 ]; then
    echo "== $target FAILED (exit $status); end of its log:" >&2
    tail -n 60 "$log" >&2
    echo "== inputs: $(ls "$artifacts" 2>/dev/null | tr '\n' ' ')(in $artifacts)" >&2
    failed+=("$target")
    summary+=("$target: FAILED (exit $status), ${execs:-?} execs")
  else
    summary+=("$target: ok, ${execs:-?} execs, ${rate:-?} execs/s, peak RSS ${rss:-?} MB, corpus $(ls "$corpus" | wc -l) files")
  fi
done

echo "== fuzz summary (${seconds}s per target)" >&2
printf '   %s\n' "${summary[@]}" >&2
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
