#!/usr/bin/env bash
# Installs the Debian 12 packages zpipe builds and tests with, only those missing.
# Checks with dpkg first so a machine that has everything never touches apt.
# python3-zmq and python3-yaml: the reference Python worker (examples/python-worker) and the
# tests that run it with /usr/bin/python3. iptables and iproute2: the fault-injection suite
# (make test-faults) loses packets between network namespaces. parallel: GNU parallel, which
# the compatibility tests (tests/test_parallel_compat.cpp) run beside zpipe.
# libcpp-httplib-dev: cpp-httplib, each role's HTTP face for probes (--http, docs/http.md);
# the Kubernetes issue names it, it is well kept and header-only. Node.js and npm (Debian's
# nodejs npm, unless a node is already there): the offline check of the Kubernetes manifests,
# whose npm packages (deploy/k8s/validate/package-lock.json) `npm ci` installs.
# prometheus-cpp-dev: the /metrics page of --http (Prometheus text format, histograms); the
# experiments issue names it. gnuplot-nox: `zpipe experiment` draws its PNG plots with it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libyaml-cpp-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libssl-dev libcpp-httplib-dev prometheus-cpp-dev
  gnuplot-nox
  procps
  python3-zmq python3-yaml
  iptables iproute2
  parallel
)
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
if [ "${ZPIPE_EXTRA_PACKAGES:-}" != "" ]; then
  read -r -a extra <<<"$ZPIPE_EXTRA_PACKAGES"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm ci when node_modules is missing or older than the lock file (npm ci rewrites it whole).
validate="$root/deploy/k8s/validate"
if [ ! -f "$validate/node_modules/.package-lock.json" ] ||
   [ "$validate/package-lock.json" -nt "$validate/node_modules/.package-lock.json" ]; then
  echo "install-deps: npm ci in deploy/k8s/validate" >&2
  (cd "$validate" && npm ci --no-audit --no-fund --loglevel=error)
fi
