#!/usr/bin/env bash
# zpipe benchmarks: every figure is the median of several runs, and every claim is a ratio
# against a baseline measured in this same run (the machine is noisy; absolute numbers from
# another day or machine mean little). See bench/README.md.
#
#   bench/run.sh           full run (5 runs per figure, sizes scaled to fit ~6-7 minutes)
#   bench/run.sh --quick   3 runs per figure, smaller sizes (~2 minutes)
#   bench/run.sh --smoke   two tiny scenarios, one run: checks the driver and the bench
#                          programs work (exit 1 if a figure cannot be measured)
#
# Environment: ZPIPE_BUILD (default build/), BENCH_BUDGET_SCALE (multiplies every time
# budget, e.g. 0.5 on a busy machine), BENCH_RESULTS (folder of the CSV, default
# bench/results). Exit status: 0 when every figure was measured (targets may still FAIL:
# that is a result, not an error), 1 when a figure could not be measured (ERROR), 2 usage.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ZPIPE_BUILD:-$ROOT/build}
Z=$BUILD/zpipe
BIN=$BUILD/bench
SCALE=${BENCH_BUDGET_SCALE:-1}

MODE=full
for arg in "$@"; do
  case $arg in
    --quick) MODE=quick ;;
    --smoke) MODE=smoke ;;
    -h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$arg' (expected --quick, --smoke or nothing)" >&2; exit 2 ;;
  esac
done

# Per mode: runs per figure, and the wall-time budget (seconds) of one run of each scenario.
# Counts are derived from a calibration run so that a run takes about that long. The e
# budget lets a machine doing ~2.3M noop tasks/s stream the nominal 100M tasks.
case $MODE in
  full)  RUNS=5; A_SECONDS=5; B_SECONDS=90; B_MIN=100; E_SECONDS=45; F_SECONDS=4; RAW_4K_COUNT=100000 ;;
  quick) RUNS=3; A_SECONDS=1.5; B_SECONDS=25; B_MIN=50; E_SECONDS=3; F_SECONDS=1.5; RAW_4K_COUNT=30000 ;;
  smoke) RUNS=1 ;;
esac

log() { printf 'bench [%3ds]: %s\n' "$SECONDS" "$*" >&2; }   # SECONDS: since the script started

# ---------------------------------------------------------------------------- setup ----
need_targets=()
[ -x "$Z" ] || need_targets+=(zpipe)
for p in raw_hop bare_pipeline measure; do [ -x "$BIN/$p" ] || need_targets+=("bench_$p"); done
if [ ${#need_targets[@]} -gt 0 ]; then
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    echo "bench/run.sh: $BUILD is not configured: run 'make build' first" >&2
    exit 1
  fi
  log "building ${need_targets[*]} in $BUILD"
  cmake --build "$BUILD" -j "$(nproc)" --target "${need_targets[@]}" || exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zpipe-bench.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

HOST=$(hostname -s 2>/dev/null || uname -n)
STAMP=$(date +%Y%m%d-%H%M%S)
if [ "$MODE" = smoke ]; then
  CSV=$WORK/results.csv
else
  RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}
  mkdir -p "$RESULTS"
  CSV=$RESULTS/$STAMP-$HOST.csv
fi
echo "date,host,mode,scenario,figure,zpipe,baseline,ratio,target,result,runs,count,note" >"$CSV"

ERRORS=0
ROWS=()   # table rows, fields separated by '|'
NOTES=()

# ---------------------------------------------------------------------------- helpers ----
awk_calc() { awk "BEGIN { printf $1 }" </dev/null; }   # awk_calc '"%.0f", 3 * 4' -> 12
# A number field from a JSON file ("key": value, pretty or compact); empty when absent.
jnum() { sed -n 's/.*"'"$2"'": *\([-0-9.eE+]*\).*/\1/p' "$1" 2>/dev/null | head -n 1; }
jbool() { sed -n 's/.*"'"$2"'": *\(true\|false\).*/\1/p' "$1" 2>/dev/null | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print a[(NR + 1) / 2]; else printf "%.9g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# Human-readable number: 1234567 -> 1.23M
human() { awk -v x="$1" 'BEGIN { if (x == "") { print "-"; exit } a = x < 0 ? -x : x;
  if (a >= 1e9) printf "%.2fG", x / 1e9; else if (a >= 1e6) printf "%.2fM", x / 1e6;
  else if (a >= 1e4) printf "%.1fk", x / 1e3; else if (a >= 100) printf "%.0f", x; else printf "%.3g", x }'; }
ms() { awk -v x="$1" 'BEGIN { printf "%.1f ms", x * 1000 }'; }
clamp_round() {  # clamp_round VALUE MIN MAX STEP -> integer multiple of STEP within [MIN, MAX]
  awk -v v="$1" -v lo="$2" -v hi="$3" -v s="$4" 'BEGIN { v = int(v / s) * s; if (v < lo) v = lo; if (v > hi) v = hi; printf "%.0f", v }'
}
scaled() { awk -v x="$1" -v k="$SCALE" 'BEGIN { printf "%.3f", x * k }'; }

# A free TCP port on 127.0.0.1 (not listening, per /proc/net/tcp*), outside the range the
# kernel gives outgoing connections (hundreds of workers' connections would take some).
free_port() {
  local p hex
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 12000))   # below the ephemeral range (32768-), where outgoing connections take ports
    hex=$(printf '%04X' "$p")
    if ! awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { found = 1 } END { exit !found }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo 0
  return 1
}

# Two distinct free ports into vport and sport (the caller's locals).
port_pair() {
  vport=$(free_port)
  sport=$(free_port)
  while [ "$sport" = "$vport" ]; do sport=$(free_port); done
}

# row SCENARIO FIGURE ZPIPE_TEXT BASELINE_TEXT RATIO_TEXT TARGET RESULT RUNS COUNT ZPIPE_RAW BASE_RAW RATIO_RAW [NOTE]
row() {
  ROWS+=("$1|$2|$3|$4|$5|$6|$7")
  local note=${13:-}
  if [ "$7" = ERROR ]; then
    ERRORS=$((ERRORS + 1))
    NOTES+=("$1, $2: ERROR: ${note:-no detail}")
  fi
  printf '%s,%s,%s,"%s","%s",%s,%s,%s,"%s",%s,%s,%s,"%s"\n' "$STAMP" "$HOST" "$MODE" "$1" "$2" "${10}" "${11}" \
    "${12}" "$6" "$7" "$8" "$9" "${note//\"/\'}" >>"$CSV"
}
note() { NOTES+=("$*"); log "$*"; }
verdict() { if awk "BEGIN { exit !($1) }" </dev/null; then echo PASS; else echo FAIL; fi; }   # verdict '0.3 >= 0.25'

# A pipeline file. write_yaml FILE SOURCE_YAML TASK_YAML WORKERS [VENT_PORT SINK_PORT]
write_yaml() {
  local file=$1 source=$2 task=$3 workers=$4 vport=${5:-} sport=${6:-}
  {
    echo "version: 1"
    echo "name: bench"
    echo "source: $source"
    echo "task: $task"
    if [ -n "$vport" ]; then
      echo "ventilator: { endpoint: \"tcp://127.0.0.1:$vport\" }"
      echo "sink: { endpoint: \"tcp://127.0.0.1:$sport\", output: /dev/null }"
    else
      echo "sink: { output: /dev/null }"
    fi
    echo "workers: { count: $workers }"
  } >"$file"
}

# Checks a sink summary: completed, every task ok. Prints a reason when not.
summary_ok() {
  local s=$1
  [ -s "$s" ] || { echo "no summary written"; return 1; }
  [ "$(jbool "$s" completed)" = true ] || { echo "summary says incomplete"; return 1; }
  local total ok
  total=$(jnum "$s" total)
  ok=$(jnum "$s" ok)
  [ -n "$total" ] && [ "$total" = "$ok" ] || { echo "only $ok of $total tasks ok"; return 1; }
}

# How a zpipe run ended: 0 when its summary says every task is ok, else 1 with RUN_ERROR
# set (a timeout, or the exit status and the summary's complaint, with the last log line).
# run_outcome WHO EXIT_STATUS TIMEOUT_S SUMMARY ERR_FILE
run_outcome() {
  local who=$1 rc=$2 limit=$3 summary=$4 err=$5 why
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    RUN_ERROR="$who timed out after ${limit}s ($(tail -n 1 "$err"))"
    return 1
  fi
  if ! why=$(summary_ok "$summary"); then
    RUN_ERROR="$who exit $rc: $why ($(tail -n 1 "$err"))"
    return 1
  fi
}

# zpipe in one process, under `measure` (wall time and peak RSS).
# zpipe_local YAML SUMMARY MEASURE_JSON TIMEOUT_S -> 0 when the batch completed
zpipe_local() {
  local yaml=$1 summary=$2 mjson=$3 limit=$4
  rm -f "$summary" "$mjson"
  timeout -k 5 "$limit" "$BIN/measure" -o "$mjson" -- "$Z" -q run "$yaml" --summary "$summary" \
    </dev/null >/dev/null 2>"$WORK/zpipe-run.err"
  run_outcome "zpipe run" $? "$limit" "$summary" "$WORK/zpipe-run.err"
}

# zpipe as separate processes over TCP: WORKERS x `zpipe worker`, `zpipe ventilator`,
# `zpipe sink` (started in that order, so the sink's clock starts with the workers up).
# zpipe_procs YAML SUMMARY WORKERS TIMEOUT_S -> 0 when the batch completed
zpipe_procs() {
  local yaml=$1 summary=$2 workers=$3 limit=$4 i
  local -a others=()
  rm -f "$summary"
  for i in $(seq "$workers"); do
    timeout -k 5 "$limit" "$Z" -q worker -c "$yaml" </dev/null >/dev/null 2>>"$WORK/zpipe-procs.err" &
    others+=($!)
  done
  timeout -k 5 "$limit" "$Z" -q ventilator -c "$yaml" </dev/null >/dev/null 2>>"$WORK/zpipe-procs.err" &
  others+=($!)
  timeout -k 5 "$limit" "$Z" -q sink -c "$yaml" --summary "$summary" </dev/null >/dev/null 2>>"$WORK/zpipe-procs.err" &
  local sink=$!
  PIDS+=("${others[@]}" "$sink")
  wait "$sink"
  local rc=$?
  # The sink is done: the others should exit promptly (they get `done`). Give them 10 s.
  local deadline=$((SECONDS + 10)) pid stuck=0
  for pid in "${others[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
      stuck=$((stuck + 1))
      kill "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  PIDS=()
  [ $stuck -gt 0 ] && STUCK_NOTE="$stuck of the ventilator/worker processes were still running 10 s after the sink finished (killed)"
  run_outcome "zpipe sink" "$rc" "$limit" "$summary" "$WORK/zpipe-procs.err"
}

# Many worker processes: `zpipe ventilator` first, then WORKERS x `zpipe worker` (1 slot
# each), and the sink only once every worker has joined (the ventilator's log says so), so
# that the sink's clock runs over the batch, not over starting hundreds of processes; the
# bare floor's processes are likewise all started before its clock.
# zpipe_procs_joined YAML SUMMARY WORKERS TIMEOUT_S -> 0 when the batch completed
zpipe_procs_joined() {
  local yaml=$1 summary=$2 workers=$3 limit=$4 i
  local -a others=()
  local vlog=$WORK/many-vent.log
  rm -f "$summary" "$vlog"
  timeout -k 5 "$limit" "$Z" -v ventilator -c "$yaml" </dev/null >/dev/null 2>"$vlog" &
  others+=($!)
  for i in $(seq "$workers"); do
    timeout -k 5 "$limit" "$Z" -q worker -c "$yaml" </dev/null >/dev/null 2>>"$WORK/zpipe-procs.err" &
    others+=($!)
  done
  PIDS+=("${others[@]}")
  local deadline=$((SECONDS + limit / 2))
  while [ "$(grep -c 'joined with credit' "$vlog" 2>/dev/null)" -lt "$workers" ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.05
  done
  JOIN_SECONDS=$((SECONDS + limit / 2 - deadline))
  timeout -k 5 "$limit" "$Z" -q sink -c "$yaml" --summary "$summary" </dev/null >/dev/null 2>>"$WORK/zpipe-procs.err"
  local rc=$?
  local pid
  deadline=$((SECONDS + 10))
  for pid in "${others[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  PIDS=()
  run_outcome "zpipe sink" "$rc" "$limit" "$summary" "$WORK/zpipe-procs.err"
}

# A baseline program's JSON line into FILE. baseline FILE TIMEOUT_S PROGRAM ARGS...
baseline() {
  local out=$1 limit=$2
  shift 2
  timeout -k 5 "$limit" "$@" </dev/null >"$out" 2>"$WORK/baseline.err"
  local rc=$?
  [ $rc -eq 0 ] && return 0
  RUN_ERROR="$(basename "$1") exit $rc ($(tail -n 1 "$WORK/baseline.err"))"
  return 1
}

# `measure` around a command reading FILE on stdin. measured_stdin FILE MJSON TIMEOUT_S CMD...
measured_stdin() {
  local in=$1 mjson=$2 limit=$3
  shift 3
  rm -f "$mjson"
  timeout -k 5 "$limit" "$BIN/measure" -o "$mjson" -- "$@" <"$in" >/dev/null 2>"$WORK/cmd.err"
  local rc=$?
  [ $rc -eq 0 ] && [ -s "$mjson" ] && return 0
  RUN_ERROR="$1 exit $rc ($(tail -n 1 "$WORK/cmd.err"))"
  return 1
}

# ------------------------------------------------------------------ a. noop throughput ----
# Returns the in-process rate of a calibration run in CAL_RATE (tasks/s).
scenario_noop() {
  local count runs=$RUNS limit
  if [ "$MODE" = smoke ]; then
    count=20000
    limit=60
  else
    local cal=1000000
    [ "$MODE" = quick ] && cal=200000
    write_yaml "$WORK/cal.yaml" "{ range: { count: $cal } }" "{ builtin: noop }" 2
    log "a: calibration run, $cal noop tasks in-process"
    RUN_ERROR=""
    if ! zpipe_local "$WORK/cal.yaml" "$WORK/cal.json" "$WORK/cal.m.json" 120; then
      row "a. noop, 2 workers" "calibration" "-" "-" "-" "-" ERROR 1 "$cal" "" "" "" "$RUN_ERROR"
      CAL_RATE=""
      return
    fi
    CAL_RATE=$(jnum "$WORK/cal.json" tasks_per_second)
    count=$(clamp_round "$(awk_calc "\"%.0f\", $CAL_RATE * $(scaled $A_SECONDS)")" 100000 10000000 100000)
    limit=$(awk_calc "\"%.0f\", 60 + 20 * $count / $CAL_RATE")
    note "a: noop count $count per run (10M target scaled to ~${A_SECONDS}s per run; calibration: $(human "$CAL_RATE") tasks/s in-process)"
  fi
  write_yaml "$WORK/a-local.yaml" "{ range: { count: $count } }" "{ builtin: noop }" 2

  local -a procs=() bare=() localr=() rss=()
  local err_procs="" err_bare="" err_local="" i vport sport
  for i in $(seq "$runs"); do
    log "a: round $i/$runs ($count tasks): zpipe 4 processes, bare_pipeline, zpipe run"
    if [ -z "$err_procs" ]; then
      port_pair
      write_yaml "$WORK/a-procs.yaml" "{ range: { count: $count } }" "{ builtin: noop }" 2 "$vport" "$sport"
      STUCK_NOTE=""; RUN_ERROR=""
      if zpipe_procs "$WORK/a-procs.yaml" "$WORK/a-procs.json" 2 "$limit"; then
        procs+=("$(jnum "$WORK/a-procs.json" tasks_per_second)")
      else
        err_procs=$RUN_ERROR
      fi
      [ -n "$STUCK_NOTE" ] && note "a: $STUCK_NOTE"
    fi
    if [ -z "$err_bare" ]; then
      RUN_ERROR=""
      if baseline "$WORK/a-bare.json" "$limit" "$BIN/bare_pipeline" --workers 2 --count "$count"; then
        bare+=("$(jnum "$WORK/a-bare.json" tasks_per_second)")
      else
        err_bare=$RUN_ERROR
      fi
    fi
    if [ -z "$err_local" ]; then
      RUN_ERROR=""
      if zpipe_local "$WORK/a-local.yaml" "$WORK/a-local.json" "$WORK/a-local.m.json" "$limit"; then
        localr+=("$(jnum "$WORK/a-local.json" tasks_per_second)")
        rss+=("$(jnum "$WORK/a-local.m.json" max_rss_kb)")
      else
        err_local=$RUN_ERROR
      fi
    fi
  done

  local mp mb ml ratio
  mb=$( [ -z "$err_bare" ] && median "${bare[@]}")
  mp=$( [ -z "$err_procs" ] && median "${procs[@]}")
  ml=$( [ -z "$err_local" ] && median "${localr[@]}")
  local bare_txt="bare $(human "$mb")/s"
  [ -n "$err_bare" ] && bare_txt="bare: ERROR"
  if [ -n "$err_procs" ] || [ -n "$err_bare" ]; then
    row "a. noop, 2 workers, 4 processes, tcp" "tasks/s vs bare" "$(human "$mp")" "$bare_txt" "-" ">= 0.25x bare" ERROR "$runs" "$count" "$mp" "$mb" "" "$err_procs $err_bare"
  else
    ratio=$(awk_calc "\"%.3f\", $mp / $mb")
    row "a. noop, 2 workers, 4 processes, tcp" "tasks/s vs bare" "$(human "$mp")/s" "$bare_txt" "${ratio}x" ">= 0.25x bare" "$(verdict "$ratio >= 0.25")" "$runs" "$count" "$mp" "$mb" "$ratio"
  fi
  if [ -n "$err_procs" ]; then
    row "a. noop, 2 workers, 4 processes, tcp" "tasks/s" "-" "-" "-" ">= 1.5M tasks/s" ERROR "$runs" "$count" "" "" "" "$err_procs"
  else
    ratio=$( [ -n "$mb" ] && awk_calc "\"%.3f\", $mp / $mb")
    row "a. noop, 2 workers, 4 processes, tcp" "tasks/s" "$(human "$mp")/s" "$bare_txt" "${ratio:--}x" ">= 1.5M tasks/s" "$(verdict "$mp >= 1500000")" "$runs" "$count" "$mp" "$mb" "$ratio"
  fi
  if [ -n "$err_local" ]; then
    row "a. noop, 2 workers, zpipe run (1 process)" "tasks/s" "-" "-" "-" ">= 2M tasks/s" ERROR "$runs" "$count" "" "" "" "$err_local"
  else
    ratio=$( [ -n "$mb" ] && awk_calc "\"%.3f\", $ml / $mb")
    row "a. noop, 2 workers, zpipe run (1 process)" "tasks/s" "$(human "$ml")/s" "$bare_txt" "${ratio:--}x" ">= 2M tasks/s" "$(verdict "$ml >= 2000000")" "$runs" "$count" "$ml" "$mb" "$ratio"
    A_RSS_KB=$(median "${rss[@]}")
    A_COUNT=$count
  fi
}

# --------------------------------------------------------------- b. `true` shell jobs ----
ensure_parallel() {
  if command -v parallel >/dev/null && parallel --version 2>/dev/null | grep -q 'GNU parallel'; then return 0; fi
  local status
  status=$(dpkg-query -W -f='${Status}' parallel 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      PARALLEL_WHY="GNU parallel not installed and not root"
      return 1
    fi
    log "b: installing GNU parallel (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -q && apt-get install -y -q --no-install-recommends parallel; } >"$WORK/apt.log" 2>&1; then
      PARALLEL_WHY="apt-get install parallel failed: $(tail -n 1 "$WORK/apt.log")"
      return 1
    fi
  fi
  if ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
    PARALLEL_WHY="'parallel' is not GNU parallel"
    return 1
  fi
}

scenario_true() {
  local have_parallel=1 PARALLEL_WHY=""
  ensure_parallel || have_parallel=0
  [ $have_parallel -eq 0 ] && note "b: GNU parallel unavailable: $PARALLEL_WHY"

  # Calibration: a few jobs with each tool, then size the batch to fit the budget.
  local n0=$((B_MIN / 2)) per_job=0 t
  seq $n0 >"$WORK/b-cal.txt"
  log "b: calibration, $n0 jobs with each tool"
  RUN_ERROR=""
  measured_stdin "$WORK/b-cal.txt" "$WORK/b.m.json" 120 "$Z" -q run -j 2 -- true || true
  t=$(jnum "$WORK/b.m.json" wall_seconds); per_job=$(awk_calc "\"%.6f\", $per_job + ${t:-1} / $n0")
  measured_stdin "$WORK/b-cal.txt" "$WORK/b.m.json" 120 xargs -P2 -n1 true || true
  t=$(jnum "$WORK/b.m.json" wall_seconds); per_job=$(awk_calc "\"%.6f\", $per_job + ${t:-1} / $n0")
  if [ $have_parallel -eq 1 ]; then
    measured_stdin "$WORK/b-cal.txt" "$WORK/b.m.json" 120 parallel --will-cite -j2 true || true
    t=$(jnum "$WORK/b.m.json" wall_seconds); per_job=$(awk_calc "\"%.6f\", $per_job + ${t:-1} / $n0")
  fi
  local n
  n=$(clamp_round "$(awk_calc "\"%.0f\", $(scaled $B_SECONDS) / ($RUNS * $per_job)")" "$B_MIN" 5000 50)
  note "b: $n jobs per run (5000 target scaled to a ~${B_SECONDS}s budget; calibration: $(awk_calc "\"%.1f\", $per_job * 1000") ms per job summed over the tools)"
  seq "$n" >"$WORK/b.txt"
  local limit
  limit=$(awk_calc "\"%.0f\", 60 + 10 * $n * $per_job")

  local -a zr=() xr=() pr=()
  local ez="" ex="" ep="" i
  for i in $(seq "$RUNS"); do
    log "b: round $i/$RUNS ($n jobs): zpipe run -j 2, xargs -P2, parallel -j2"
    if [ -z "$ez" ]; then
      RUN_ERROR=""
      if measured_stdin "$WORK/b.txt" "$WORK/b.m.json" "$limit" "$Z" -q run -j 2 -- true; then
        zr+=("$(awk_calc "\"%.3f\", $n / $(jnum "$WORK/b.m.json" wall_seconds)")")
      else ez=$RUN_ERROR; fi
    fi
    if [ -z "$ex" ]; then
      RUN_ERROR=""
      if measured_stdin "$WORK/b.txt" "$WORK/b.m.json" "$limit" xargs -P2 -n1 true; then
        xr+=("$(awk_calc "\"%.3f\", $n / $(jnum "$WORK/b.m.json" wall_seconds)")")
      else ex=$RUN_ERROR; fi
    fi
    if [ $have_parallel -eq 1 ] && [ -z "$ep" ]; then
      RUN_ERROR=""
      if measured_stdin "$WORK/b.txt" "$WORK/b.m.json" "$limit" parallel --will-cite -j2 true; then
        pr+=("$(awk_calc "\"%.3f\", $n / $(jnum "$WORK/b.m.json" wall_seconds)")")
      else ep=$RUN_ERROR; fi
    fi
  done
  local mz mx mp ratio
  mz=$( [ -z "$ez" ] && median "${zr[@]}")
  mx=$( [ -z "$ex" ] && median "${xr[@]}")
  if [ -n "$ez" ] || [ -n "$ex" ]; then
    row "b. true x $n, 2 slots" "jobs/s vs xargs -P2" "$(human "$mz")" "xargs $(human "$mx")" "-" ">= 0.9x xargs" ERROR "$RUNS" "$n" "$mz" "$mx" "" "$ez $ex"
  else
    ratio=$(awk_calc "\"%.3f\", $mz / $mx")
    row "b. true x $n, 2 slots" "jobs/s vs xargs -P2" "$(human "$mz")/s" "xargs $(human "$mx")/s" "${ratio}x" ">= 0.9x xargs" "$(verdict "$ratio >= 0.9")" "$RUNS" "$n" "$mz" "$mx" "$ratio"
  fi
  if [ $have_parallel -eq 0 ]; then
    row "b. true x $n, 2 slots" "jobs/s vs parallel -j2" "$(human "$mz")/s" "-" "-" ">= 4x parallel" SKIP "$RUNS" "$n" "$mz" "" "" "$PARALLEL_WHY"
  elif [ -n "$ez" ] || [ -n "$ep" ]; then
    mp=$( [ -z "$ep" ] && median "${pr[@]}")
    row "b. true x $n, 2 slots" "jobs/s vs parallel -j2" "$(human "$mz")" "parallel $(human "$mp")" "-" ">= 4x parallel" ERROR "$RUNS" "$n" "$mz" "$mp" "" "$ez $ep"
  else
    mp=$(median "${pr[@]}")
    ratio=$(awk_calc "\"%.3f\", $mz / $mp")
    row "b. true x $n, 2 slots" "jobs/s vs parallel -j2" "$(human "$mz")/s" "parallel $(human "$mp")/s" "${ratio}x" ">= 4x parallel" "$(verdict "$ratio >= 4")" "$RUNS" "$n" "$mz" "$mp" "$ratio"
  fi
}

# ----------------------------------------------------- c. granular sleeps, 64 workers ----
scenario_granular() {
  local tasks=200 workers=64 ms=10
  local bound name="c. $tasks x ${ms} ms sleep, $workers workers"
  bound=$(awk_calc "\"%.6f\", int(($tasks + $workers - 1) / $workers) * $ms / 1000")
  write_yaml "$WORK/c.yaml" "{ range: { count: $tasks } }" "{ builtin: sleep, ms: $ms }" "$workers"
  # The same with one task of prefetch per worker (a documented knob; see the note).
  sed "s/^workers: { count: $workers }/workers: { count: $workers, prefetch: 1 }/" "$WORK/c.yaml" >"$WORK/c1.yaml"
  local -a mk=() mk1=() fl=()
  local err="" i
  for i in $(seq "$RUNS"); do
    log "c: run $i/$RUNS: $tasks x ${ms} ms sleeps on $workers workers (default, prefetch 1, bare threads)"
    RUN_ERROR=""
    if zpipe_local "$WORK/c.yaml" "$WORK/c.json" "$WORK/c.m.json" 60; then
      mk+=("$(jnum "$WORK/c.json" wall_seconds)")
    else err=$RUN_ERROR; break; fi
    if zpipe_local "$WORK/c1.yaml" "$WORK/c.json" "$WORK/c.m.json" 60; then
      mk1+=("$(jnum "$WORK/c.json" wall_seconds)")
    else err=$RUN_ERROR; break; fi
    if baseline "$WORK/c-floor.json" 60 "$BIN/sleep_floor" --tasks $tasks --threads $workers --ms $ms; then
      fl+=("$(jnum "$WORK/c-floor.json" seconds)")
    else err=$RUN_ERROR; break; fi
  done
  if [ -n "$err" ]; then
    row "$name" "makespan vs ceil(n/w) bound" "-" "bound $(ms "$bound")" "-" "bound/makespan >= 0.95" ERROR "$RUNS" "$tasks" "" "$bound" "" "$err"
    return
  fi
  local m m1 f ratio ratio1 ratiof
  m=$(median "${mk[@]}")
  m1=$(median "${mk1[@]}")
  f=$(median "${fl[@]}")
  ratio=$(awk_calc "\"%.3f\", $bound / $m")
  ratio1=$(awk_calc "\"%.3f\", $bound / $m1")
  ratiof=$(awk_calc "\"%.3f\", $f / $m")
  row "$name" "makespan vs ceil(n/w) bound" "$(ms "$m")" "bound $(ms "$bound")" "$ratio" "bound/makespan >= 0.95" "$(verdict "$ratio >= 0.95")" "$RUNS" "$tasks" "$m" "$bound" "$ratio"
  row "$name" "makespan vs $workers bare threads" "$(ms "$m")" "threads $(ms "$f")" "$ratiof" "(reference)" "-" "$RUNS" "$tasks" "$m" "$f" "$ratiof"
  row "$name, prefetch 1" "makespan vs ceil(n/w) bound" "$(ms "$m1")" "bound $(ms "$bound")" "$ratio1" "(reference)" "-" "$RUNS" "$tasks" "$m1" "$bound" "$ratio1"
  note "c: bare threads = bench/sleep_floor: $workers threads sleep the same $tasks x ${ms} ms, taking tasks from an atomic counter (no messages): the machine's own floor; ratio = threads / zpipe. the default prefetch (auto) holds a next task only once a worker has seen its tasks take under 100 ms, so each worker's first task here waits a round trip; prefetch 1 holds one from the start. The ventilator fills prefetch only while more tasks wait than workers hold, so neither makes uneven batches worse (scenario d)"
}

# ---------------------------------------- i. many worker processes, granular sleeps ----
# scenario_many_processes WORKERS TARGET: 6400 x 10 ms sleeps on WORKERS `zpipe worker`
# processes of 1 slot over TCP, against WORKERS bare processes sleeping the same schedule
# (bench/sleep_floor --processes). TARGET "-" makes the row a reference.
scenario_many_processes() {
  local workers=$1 target=$2 tasks=6400 ms=10
  local name="i. $tasks x ${ms} ms sleep, $workers worker processes x 1 slot, tcp"
  local vport sport
  port_pair
  write_yaml "$WORK/i.yaml" "{ range: { count: $tasks } }" "{ builtin: sleep, ms: $ms }" "$workers" "$vport" "$sport"
  local -a mk=() fl=()
  local err="" i
  for i in $(seq "$RUNS"); do
    log "i: run $i/$RUNS: $tasks x ${ms} ms on $workers zpipe worker processes, then $workers bare processes"
    RUN_ERROR=""
    if zpipe_procs_joined "$WORK/i.yaml" "$WORK/i.json" "$workers" 120; then
      mk+=("$(jnum "$WORK/i.json" wall_seconds)")
    else err=$RUN_ERROR; break; fi
    if baseline "$WORK/i-floor.json" 60 "$BIN/sleep_floor" --tasks $tasks --processes "$workers" --ms $ms; then
      fl+=("$(jnum "$WORK/i-floor.json" seconds)")
    else err=$RUN_ERROR; break; fi
  done
  local shown_target=">= 0.9x bare processes"
  [ "$target" = "-" ] && shown_target="(reference)"
  if [ -n "$err" ]; then
    row "$name" "makespan vs bare processes" "-" "-" "-" "$shown_target" ERROR "$RUNS" "$tasks" "" "" "" "$err"
    return
  fi
  local m f ratio result=-
  m=$(median "${mk[@]}")
  f=$(median "${fl[@]}")
  ratio=$(awk_calc "\"%.3f\", $f / $m")
  [ "$target" = "-" ] || result=$(verdict "$ratio >= $target")
  row "$name" "makespan vs bare processes" "$(ms "$m")" "processes $(ms "$f")" "$ratio" "$shown_target" "$result" "$RUNS" "$tasks" "$m" "$f" "$ratio"
  note "i ($workers): bare processes = bench/sleep_floor --processes $workers: processes started and waiting before the clock, taking tasks from a counter in shared memory; zpipe's sink starts once all $workers workers joined (the last joined ${JOIN_SECONDS}s after the first start), so both clocks run over the batch alone; ratio = bare / zpipe"
}

# ------------------------------------------------------------ d. uneven task lengths ----
scenario_uneven() {
  local workers=8
  # 180 x 1 ms + 20 x 100 ms, shuffled with a fixed seed (the same order every run).
  { for _ in $(seq 180); do echo 1; done; for _ in $(seq 20); do echo 100; done; } |
    awk 'BEGIN { srand(42) } { printf "%.12f %s\n", rand(), $1 }' | sort -n | cut -d' ' -f2 >"$WORK/d.list"
  local items
  items=$(paste -sd, "$WORK/d.list")
  write_yaml "$WORK/d.yaml" "{ items: [$items] }" "{ builtin: sleep }" "$workers"
  # LPT bound: longest first, each task to the least-loaded worker.
  local lpt inorder
  lpt=$(sort -rn "$WORK/d.list" | awk -v w=$workers '{ m = 1; for (i = 2; i <= w; i++) if (load[i] < load[m]) m = i; load[m] += $1 }
    END { x = 0; for (i = 1; i <= w; i++) if (load[i] > x) x = load[i]; printf "%.6f", x / 1000 }')
  # For reference: greedy list scheduling in the shuffled order zpipe receives.
  inorder=$(awk -v w=$workers '{ m = 1; for (i = 2; i <= w; i++) if (load[i] < load[m]) m = i; load[m] += $1 }
    END { x = 0; for (i = 1; i <= w; i++) if (load[i] > x) x = load[i]; printf "%.6f", x / 1000 }' "$WORK/d.list")
  local -a mk=()
  local err="" i
  for i in $(seq "$RUNS"); do
    log "d: run $i/$RUNS: 180 x 1 ms + 20 x 100 ms shuffled on $workers workers"
    RUN_ERROR=""
    if zpipe_local "$WORK/d.yaml" "$WORK/d.json" "$WORK/d.m.json" 60; then
      mk+=("$(jnum "$WORK/d.json" wall_seconds)")
    else err=$RUN_ERROR; break; fi
  done
  note "d: LPT bound $(ms "$lpt"); greedy list scheduling in the shuffled input order gives $(ms "$inorder")"
  if [ -n "$err" ]; then
    row "d. 180x1ms + 20x100ms, $workers workers" "makespan vs LPT bound" "-" "LPT $(ms "$lpt")" "-" "<= 1.15x LPT" ERROR "$RUNS" 200 "" "$lpt" "" "$err"
    return
  fi
  local m ratio
  m=$(median "${mk[@]}")
  ratio=$(awk_calc "\"%.3f\", $m / $lpt")
  row "d. 180x1ms + 20x100ms, $workers workers" "makespan vs LPT bound" "$(ms "$m")" "LPT $(ms "$lpt")" "${ratio}x" "<= 1.15x LPT" "$(verdict "$ratio <= 1.15")" "$RUNS" 200 "$m" "$lpt" "$ratio"
}

# --------------------------------------------------------------- e. streaming memory ----
scenario_memory() {
  local rate=${CAL_RATE:-}
  [ -n "$rate" ] || rate=300000
  local big small
  big=$(clamp_round "$(awk_calc "\"%.0f\", $rate * $(scaled $E_SECONDS)")" 1000000 100000000 1000000)
  small=$((big / 10))
  note "e: peak RSS at $small and $big noop tasks (the 10M/100M targets scaled to ~${E_SECONDS}s per run)"
  local n label
  local -a res=()
  for n in "$small" "$big"; do
    write_yaml "$WORK/e.yaml" "{ range: { count: $n } }" "{ builtin: noop }" 2
    local limit
    limit=$(awk_calc "\"%.0f\", 60 + 10 * $n / $rate")
    local -a rss=()
    local err="" i
    for i in $(seq "$RUNS"); do
      log "e: run $i/$RUNS: $n noop tasks in-process, peak RSS"
      RUN_ERROR=""
      if zpipe_local "$WORK/e.yaml" "$WORK/e.json" "$WORK/e.m.json" "$limit"; then
        rss+=("$(jnum "$WORK/e.m.json" max_rss_kb)")
      else err=$RUN_ERROR; break; fi
    done
    label="e. $(human "$n") noop streamed, zpipe run"
    if [ -n "$err" ]; then
      row "$label" "peak RSS" "-" "-" "-" "< 64 MB" ERROR "$RUNS" "$n" "" "" "" "$err"
      res+=("")
      continue
    fi
    local kb mb
    kb=$(median "${rss[@]}")
    mb=$(awk_calc "\"%.1f\", $kb / 1024")
    res+=("$kb")
    if [ ${#res[@]} -eq 1 ]; then
      row "$label" "peak RSS" "$mb MB" "-" "-" "< 64 MB" "$(verdict "$mb < 64")" "$RUNS" "$n" "$kb" "" ""
    else
      local base=${res[0]} ratio="-" btxt="-"
      if [ -n "$base" ]; then
        ratio=$(awk_calc "\"%.2f\", $kb / $base")
        btxt="$(awk_calc "\"%.1f\", $base / 1024") MB at $(human "$small")"
      fi
      row "$label" "peak RSS (ratio: growth over 10x tasks)" "$mb MB" "$btxt" "${ratio}x" "< 64 MB" "$(verdict "$mb < 64")" "$RUNS" "$n" "$kb" "$base" "$ratio"
    fi
  done
}

# ------------------------------------------------------------------ f. 4 KiB payloads ----
scenario_payload() {
  local size=4096
  # One 4 KiB line per task (size - 0 bytes of 'x'; the newline is not part of the input).
  make_lines() { awk -v n="$1" -v s="$size" 'BEGIN { l = sprintf("%" s "s", ""); gsub(/ /, "x", l); for (i = 0; i < n; i++) print l }' >"$2"; }
  local cal=2000 vport sport
  make_lines $cal "$WORK/f.txt"
  port_pair
  write_yaml "$WORK/f.yaml" "{ lines: \"$WORK/f.txt\" }" "{ builtin: echo }" 2 "$vport" "$sport"
  log "f: calibration, $cal x 4 KiB echo tasks, 4 processes"
  RUN_ERROR=""; STUCK_NOTE=""
  if ! zpipe_procs "$WORK/f.yaml" "$WORK/f.json" 2 120; then
    row "f. 4 KiB echo, 2 workers, 4 processes, tcp" "bytes/s vs raw hop" "-" "-" "-" ">= 0.5x raw hop" ERROR 1 "$cal" "" "" "" "calibration: $RUN_ERROR"
    return
  fi
  local rate n
  rate=$(jnum "$WORK/f.json" tasks_per_second)
  n=$(clamp_round "$(awk_calc "\"%.0f\", $rate * $(scaled $F_SECONDS)")" 1000 50000 1000)
  note "f: $n x 4 KiB tasks per zpipe run (~${F_SECONDS}s), raw hop $RAW_4K_COUNT x 4 KiB messages; zpipe bytes/s = tasks/s x 4096 (input bytes delivered; records also carry the echoed output)"
  make_lines "$n" "$WORK/f.txt"
  local limit
  limit=$(awk_calc "\"%.0f\", 60 + 10 * $n / $rate")
  local -a zr=() rr=()
  local ez="" er="" i
  for i in $(seq "$RUNS"); do
    log "f: round $i/$RUNS: zpipe 4 KiB echo ($n tasks), raw_hop --size 4096"
    if [ -z "$ez" ]; then
      port_pair
      write_yaml "$WORK/f.yaml" "{ lines: \"$WORK/f.txt\" }" "{ builtin: echo }" 2 "$vport" "$sport"
      RUN_ERROR=""; STUCK_NOTE=""
      if zpipe_procs "$WORK/f.yaml" "$WORK/f.json" 2 "$limit"; then
        zr+=("$(awk_calc "\"%.1f\", $(jnum "$WORK/f.json" tasks_per_second) * $size")")
      else ez=$RUN_ERROR; fi
      [ -n "$STUCK_NOTE" ] && note "f: $STUCK_NOTE"
    fi
    if [ -z "$er" ]; then
      RUN_ERROR=""
      if baseline "$WORK/f-raw.json" 120 "$BIN/raw_hop" --size $size --count "$RAW_4K_COUNT"; then
        rr+=("$(jnum "$WORK/f-raw.json" bytes_per_second)")
      else er=$RUN_ERROR; fi
    fi
  done
  local mz mr ratio
  mz=$( [ -z "$ez" ] && median "${zr[@]}")
  mr=$( [ -z "$er" ] && median "${rr[@]}")
  if [ -n "$ez" ] || [ -n "$er" ]; then
    row "f. 4 KiB echo, 2 workers, 4 processes, tcp" "bytes/s vs raw hop" "$(human "$mz")" "raw hop $(human "$mr")" "-" ">= 0.5x raw hop" ERROR "$RUNS" "$n" "$mz" "$mr" "" "$ez $er"
    return
  fi
  ratio=$(awk_calc "\"%.3f\", $mz / $mr")
  row "f. 4 KiB echo, 2 workers, 4 processes, tcp" "bytes/s vs raw hop" "$(human "$mz")B/s" "raw hop $(human "$mr")B/s" "${ratio}x" ">= 0.5x raw hop" "$(verdict "$ratio >= 0.5")" "$RUNS" "$n" "$mz" "$mr" "$ratio"
}

# ------------------------------- g/h. shell-free commands at -j 8 against xargs -P 8 ----
# zpipe runs `-- PROGRAM` (a plain command: exec'd directly, no /bin/sh in between) and, for
# reference, the same with REF_FLAG; xargs -P 8 -n1 runs the same N jobs. Runs interleave
# round by round; ratio = xargs wall / zpipe wall (jobs/s, higher is better).
# versus_xargs NAME N RUNS REF_FLAG PROGRAM...
versus_xargs() {
  local name=$1 n=$2 runs=$3 ref=$4
  shift 4
  seq "$n" >"$WORK/gh.txt"
  local -a zr=() rr=() xr=()
  local err="" i limit=$((60 + n / 10))
  for i in $(seq "$runs"); do
    log "$name: round $i/$runs: zpipe run -j 8, zpipe run -j 8 $ref, xargs -P 8"
    RUN_ERROR=""
    measured_stdin "$WORK/gh.txt" "$WORK/gh.m.json" "$limit" "$Z" -q run -j 8 -- "$@" || { err=$RUN_ERROR; break; }
    zr+=("$(jnum "$WORK/gh.m.json" wall_seconds)")
    measured_stdin "$WORK/gh.txt" "$WORK/gh.m.json" "$limit" "$Z" -q run -j 8 "$ref" -- "$@" || { err=$RUN_ERROR; break; }
    rr+=("$(jnum "$WORK/gh.m.json" wall_seconds)")
    measured_stdin "$WORK/gh.txt" "$WORK/gh.m.json" "$limit" xargs -P 8 -n1 "$@" || { err=$RUN_ERROR; break; }
    xr+=("$(jnum "$WORK/gh.m.json" wall_seconds)")
  done
  if [ -n "$err" ]; then
    row "$name" "jobs/s vs xargs -P8" "-" "-" "-" ">= 1.0x xargs" ERROR "$runs" "$n" "" "" "" "$err"
    return
  fi
  local mz mr mx rz rr_ rx ratio ratio_ref
  mz=$(median "${zr[@]}"); mr=$(median "${rr[@]}"); mx=$(median "${xr[@]}")
  rz=$(awk_calc "\"%.1f\", $n / $mz"); rr_=$(awk_calc "\"%.1f\", $n / $mr"); rx=$(awk_calc "\"%.1f\", $n / $mx")
  ratio=$(awk_calc "\"%.3f\", $mx / $mz")
  ratio_ref=$(awk_calc "\"%.3f\", $mx / $mr")
  row "$name" "jobs/s vs xargs -P8" "$(human "$rz")/s" "xargs $(human "$rx")/s" "${ratio}x" ">= 1.0x xargs" "$(verdict "$ratio >= 1.0")" "$runs" "$n" "$rz" "$rx" "$ratio"
  row "$name, $ref" "jobs/s vs xargs -P8" "$(human "$rr_")/s" "xargs $(human "$rx")/s" "${ratio_ref}x" "(reference)" "-" "$runs" "$n" "$rr_" "$rx" "$ratio_ref"
}

scenario_direct_exec() {
  local scripts=${1:-400} trues=${2:-2000}
  printf '#!/bin/sh\nsleep 0.05\n' >"$WORK/script.sh"
  chmod +x "$WORK/script.sh"
  versus_xargs "g. $scripts x 50 ms script, -j 8" "$scripts" "$RUNS" --shell "$WORK/script.sh"
  [ "$trues" -gt 0 ] || return 0
  versus_xargs "h. $trues x true, -j 8" "$trues" "$RUNS" --no-shell true
  note "g/h: zpipe run -j 8 -- CMD against xargs -P 8 -n1 CMD on the same inputs; g's script execs directly (reference: --shell, every job through /bin/sh -c); 'true' is a shell builtin, so zpipe runs it through /bin/sh -c as the shell would (reference: --no-shell execs /usr/bin/true, as xargs does)"
}

# ------------------------------------------------------------------------------ main ----
START=$SECONDS
log "mode $MODE: $RUNS run(s) per figure; zpipe $Z; load average $(cut -d' ' -f1-3 /proc/loadavg)"
CAL_RATE=""
A_RSS_KB=""
scenario_noop
if [ "$MODE" = smoke ]; then
  # The smoke run also checks raw_hop and the RSS figure end to end.
  RUN_ERROR=""
  if baseline "$WORK/raw.json" 30 "$BIN/raw_hop" --size 16 --count 10000 && [ -n "$(jnum "$WORK/raw.json" msgs_per_second)" ]; then
    row "smoke: raw_hop 16 B" "msg/s" "-" "$(human "$(jnum "$WORK/raw.json" msgs_per_second)")/s" "-" "-" PASS 1 10000 "" "$(jnum "$WORK/raw.json" msgs_per_second)" ""
  else
    row "smoke: raw_hop 16 B" "msg/s" "-" "-" "-" "-" ERROR 1 10000 "" "" "" "$RUN_ERROR"
  fi
  if [ -z "$A_RSS_KB" ]; then
    row "smoke: peak RSS via measure" "KB" "-" "-" "-" "-" ERROR 1 20000 "" "" "" "no max_rss_kb"
  fi
  scenario_direct_exec 40 0   # ~1 s: the direct-exec path and the xargs baseline work
else
  scenario_true
  scenario_direct_exec
  scenario_granular
  scenario_many_processes 100 0.9
  [ "$MODE" = full ] && scenario_many_processes 500 -
  scenario_uneven
  scenario_memory
  scenario_payload
fi
ELAPSED=$((SECONDS - START))

# ------------------------------------------------------------------------------ table ----
{
  echo
  echo "zpipe benchmarks, mode $MODE ($RUNS run(s) per figure, medians), $HOST, $(date '+%Y-%m-%d %H:%M'), ${ELAPSED}s"
  printf '%s\n' "${ROWS[@]}" | awk -F'|' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
    END {
      split("scenario|figure|zpipe|baseline|ratio|target|result", h, "|")
      for (i = 1; i <= 7; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
      line = ""; for (i = 1; i <= 7; i++) line = line sprintf("%-" w[i] "s  ", h[i]); print line
      line = ""; for (i = 1; i <= 7; i++) { d = sprintf("%" w[i] "s", ""); gsub(/ /, "-", d); line = line d "  " } print line
      for (r = 1; r <= n; r++) { line = ""; for (i = 1; i <= 7; i++) line = line sprintf("%-" w[i] "s  ", cell[r, i]); print line }
    }'
  echo
  echo "notes:"
  [ ${#NOTES[@]} -gt 0 ] && printf '  - %s\n' "${NOTES[@]}"
  echo "  - ratio = zpipe / baseline (c: bound / makespan; d: makespan / bound; e: RSS growth over 10x tasks)"
  if [ "$MODE" = smoke ]; then
    echo "  - smoke run: CSV not kept"
  else
    echo "  - CSV: ${CSV#"$ROOT"/}"
  fi
} | sed 's/ *$//'

if [ $ERRORS -gt 0 ]; then
  echo "bench: $ERRORS figure(s) could not be measured (ERROR); see the notes" >&2
  exit 1
fi
exit 0
