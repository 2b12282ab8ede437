#!/usr/bin/env bash
# make k8s-e2e: the Kubernetes manifests run for real, with podman standing in for a cluster.
#
#  1. installs podman, runc, mmdebstrap, netavark, aardvark-dns and catatonit if missing;
#  2. builds localhost/zpipe:dev with deploy/container/build-image (from build/zpipe);
#  3. renders deploy/k8s/overlays/podman with kubectl kustomize;
#  4. plays each Deployment as its own pod on a fresh podman network: the ventilator's and
#     the sink's pods get their Service's name as a network alias (podman has no Services;
#     the pipeline file's endpoints tcp://zpipe-ventilator:5557 and tcp://zpipe-sink:5558
#     then resolve as on a cluster), and the worker Deployment is played once per worker
#     under numbered names (podman plays one pod per Deployment, whatever `replicas` says);
#  5. starts with 2 workers, adds 2 more mid-batch, then stops one of the first with SIGTERM
#     (a scale-down: it drains and exits 143), then kills the sink (SIGKILL) and starts it
#     again on its volume (it continues its journal: --resume);
#  6. checks that every role's /healthz and /readyz answered 200 (as the kubelet would ask),
#     that the sink's output on its volume holds every id exactly once, prints the batch's
#     figures, and removes every pod, volume and the network, also when something failed.
#
#   tests/k8s-e2e.sh [--reuse-image]     (--reuse-image: keep an existing localhost/zpipe:dev)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reuse_image=0
[ "${1:-}" = "--reuse-image" ] && reuse_image=1
image=localhost/zpipe:dev
export CONTAINERS_CONF="$root/deploy/container/containers.conf"
python=/usr/bin/python3    # Debian's, with python3-yaml (scripts/install-deps.sh)

say() { echo "k8s-e2e: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# --- 1. tools -----------------------------------------------------------------------------
# The project's own installer (dpkg check, apt-get update, install) with the engine's packages.
ZPIPE_EXTRA_PACKAGES="podman runc mmdebstrap netavark aardvark-dns catatonit" "$root/scripts/install-deps.sh" ||
  fail "could not install the container engine's packages"
[ "$(id -u)" -eq 0 ] || fail "podman runs these pods as root (containers.conf: runc); run as root"

# --- 2. image -----------------------------------------------------------------------------
if [ $reuse_image -eq 1 ] && podman image exists "$image"; then
  say "reusing $image"
else
  "$root/deploy/container/build-image" --binary "$root/build/zpipe" --tag "$image"
fi

# --- 3. manifests -------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/zpipe-k8s-e2e.XXXXXX")
network="zpipe-e2e-$$"
played=()
# podman makes a named volume for the claim and one for each ConfigMap it mounts.
remove_volumes() {
  local v
  for v in $(podman volume ls --format '{{.Name}}' 2>/dev/null | grep -E '^(zpipe-data|zpipe-pipeline-.*)$'); do
    podman volume rm -f "$v" >/dev/null 2>&1 || true
  done
}
cleanup() {
  local status=$?
  if [ $status -ne 0 ]; then
    for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E '^zpipe-.*-pod-0-'); do
      say "--- last lines of $c ---"
      podman logs --tail 15 "$c" 2>&1 | sed 's/^/    /' >&2 || true
    done
  fi
  for f in "${played[@]}"; do podman kube down "$f" >/dev/null 2>&1 || true; done
  remove_volumes
  podman network rm -f "$network" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

kubectl kustomize "$root/deploy/k8s/overlays/podman" >"$work/all.yaml"
# One file per pod: the ConfigMap beside each Deployment (podman mounts it from the same
# file), the claim beside the sink; workers renamed zpipe-worker-1, -2, ...
"$python" - "$work" <<'EOF'
import sys, yaml
work = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(f"{work}/all.yaml")) if d]
by_kind = lambda kind: [d for d in docs if d["kind"] == kind]
config_maps = by_kind("ConfigMap")
deployments = {d["metadata"]["name"]: d for d in by_kind("Deployment")}
def write(name, objects):
    with open(f"{work}/{name}.yaml", "w") as f:
        yaml.safe_dump_all(config_maps + objects, f, sort_keys=False)
write("ventilator", [deployments["zpipe-ventilator"]])
write("sink", by_kind("PersistentVolumeClaim") + [deployments["zpipe-sink"]])
for i in range(1, 9):
    worker = yaml.safe_load(yaml.safe_dump(deployments["zpipe-worker"]))
    worker["metadata"]["name"] = f"zpipe-worker-{i}"
    worker["spec"]["replicas"] = 1
    write(f"worker-{i}", [worker])
total = yaml.safe_load(config_maps[0]["data"]["pipeline.yaml"])["source"]["range"]["count"]
open(f"{work}/total", "w").write(str(total))
EOF
total=$(cat "$work/total")

# --- 4. pods ------------------------------------------------------------------------------
# Leftovers of an interrupted run would be resumed by the sink: remove them first.
for f in "$work"/*.yaml; do podman kube down "$f" >/dev/null 2>&1 || true; done
remove_volumes
podman network create "$network" >/dev/null

play() {  # play FILE [ALIAS]
  local net="$network"
  [ -n "${2:-}" ] && net="$network:alias=$2"
  podman kube play --network "$net" "$work/$1.yaml" >/dev/null
  played+=("$work/$1.yaml")
}
container() { echo "$1-pod-0-$2"; }   # podman's names: DEPLOYMENT-pod-0-CONTAINER
ip_of() { podman inspect --format "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" "$1"; }

started=$(date +%s.%N)
play sink zpipe-sink
play ventilator zpipe-ventilator
play worker-1
play worker-2
workers=2
say "playing: sink, ventilator, 2 workers (network $network)"

output=$(podman volume inspect --format '{{.Mountpoint}}' zpipe-data)/squares.jsonl
records() { if [ -f "$output" ]; then wc -l <"$output"; else echo 0; fi; }
wait_records() {  # wait_records N SECONDS
  local deadline=$((SECONDS + $2))
  while [ "$(records)" -lt "$1" ]; do
    [ $SECONDS -lt $deadline ] || fail "only $(records) of $1 records after $2 s"
    sleep 0.2
  done
}

# Probes, as the kubelet would ask them (podman itself does not; see overlays/podman).
probe() {  # probe CONTAINER PATH -> HTTP status
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$(ip_of "$1"):8080$2" || true
}
probes=""
check_probes() {
  local c
  for c in "$(container zpipe-sink sink)" "$(container zpipe-ventilator ventilator)" "$(container zpipe-worker-1 worker)"; do
    local deadline=$((SECONDS + 20)) ready health
    while :; do
      ready=$(probe "$c" /readyz)
      health=$(probe "$c" /healthz)
      [ "$ready" = 200 ] && [ "$health" = 200 ] && break
      [ $SECONDS -lt $deadline ] || fail "$c: /readyz $ready, /healthz $health (expected 200)"
      sleep 0.2
    done
    probes+="${c%%-pod-0-*} /readyz and /healthz 200; "
  done
}
check_probes

# --- 5. scale up, then down, mid-batch ----------------------------------------------------
wait_records $((total / 4)) 120
scaled_up=$(date +%s.%N) at_scale_up=$(records)
play worker-3
play worker-4
workers=4
say "$at_scale_up of $total records: added workers 3 and 4"
wait_records $((total / 2)) 120
leaving=$(container zpipe-worker-1 worker)
scaled_down=$(date +%s.%N) at_scale_down=$(records)
podman stop -t 30 "$leaving" >/dev/null
left_with=$(podman inspect --format '{{.State.ExitCode}}' "$leaving")
say "$at_scale_down of $total records: stopped worker 1 (SIGTERM), exit $left_with"
[ "$left_with" = 143 ] || fail "a worker stopped with SIGTERM exited $left_with (expected 143)"

# A sink pod lost mid-batch (SIGKILL) and started again on its volume: --resume continues
# its journal, and every record must still be there once.
sink=$(container zpipe-sink sink)
ventilator=$(container zpipe-ventilator ventilator)
wait_records $((total * 3 / 4)) 120
podman kill --signal KILL "$sink" >/dev/null
killed_with=$(timeout 30 podman wait "$sink") || fail "the killed sink did not stop"
at_sink_kill=$(records)
podman start "$sink" >/dev/null
say "$at_sink_kill of $total records: killed the sink (exit $killed_with) and started it again"
sink_exit=$(timeout 300 podman wait "$sink") || fail "the sink did not finish within 300 s"
vent_exit=$(timeout 60 podman wait "$ventilator") || fail "the ventilator did not finish within 60 s"
finished=$(date +%s.%N)
[ "$sink_exit" = 0 ] || fail "sink exited $sink_exit"
[ "$vent_exit" = 0 ] || fail "ventilator exited $vent_exit"

# --- 6. the output ------------------------------------------------------------------------
summary=$(dirname "$output")/summary.json
"$python" - "$output" "$summary" "$total" "$workers" "$probes" \
  "$started" "$scaled_up" "$at_scale_up" "$scaled_down" "$at_scale_down" "$finished" <<'EOF'
import json, sys
output, summary_file, total, workers, probes = sys.argv[1:6]
started, scaled_up, at_scale_up, scaled_down, at_scale_down, finished = map(float, sys.argv[6:])
total, workers = int(total), int(workers)
records = [json.loads(line) for line in open(output)]
ids = [r["id"] for r in records]
problems = []
if len(records) != total: problems.append(f"{len(records)} records for {total} tasks")
if len(set(ids)) != len(ids): problems.append(f"{len(ids) - len(set(ids))} ids written twice")
if set(ids) != set(range(1, total + 1)): problems.append(f"{len(set(range(1, total + 1)) - set(ids))} ids missing")
bad = [r for r in records if r["status"] != "ok" or r["output"] != f"{r['id'] * r['id']}\n"]
if bad: problems.append(f"{len(bad)} records not ok, e.g. {bad[0]}")
summary = json.load(open(summary_file))
names = {r["worker"].split("#")[0] for r in records}
print(f"k8s-e2e: {total} tasks, {len(records)} records, {len(set(ids))} distinct ids (1..{total}), all ok: {not bad}")
print(f"k8s-e2e: workers: {workers} pods played (2 at start, +2 mid-batch, 1 stopped mid-batch), "
      f"{len(names)} wrote records")
# summary.json is the restarted sink's: its own run, and the batch as a whole from its journal.
print(f"k8s-e2e: summary.json: batch {summary['batch_seconds']:.2f} s, {summary['batch_tasks_per_second']:.1f} tasks/s; "
      f"the restarted sink found {summary['resumed']} records in its journal and wrote "
      f"{summary['ok'] + summary['failed'] + summary['timeout'] - summary['resumed']} more; "
      f"duplicates {summary['duplicates']} (redelivered results it already had), "
      f"dropped {summary['dropped']}; records with attempts > 1: {sum(1 for r in records if r['attempts'] > 1)}")
print(f"k8s-e2e: wall clock from first play to sink exit: {finished - started:.1f} s; records/s with "
      f"2 workers (from pod start) {at_scale_up / (scaled_up - started):.1f}, "
      f"with 4 {(at_scale_down - at_scale_up) / (scaled_down - scaled_up):.1f}, "
      f"with 3 (and a sink restart) {(total - at_scale_down) / (finished - scaled_down):.1f}")
print(f"k8s-e2e: probes: {probes}")
if problems:
    print("k8s-e2e: FAILED: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
EOF
say "ok"
