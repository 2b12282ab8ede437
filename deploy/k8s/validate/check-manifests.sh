#!/usr/bin/env bash
# make test (ctest K8sManifests): renders deploy/k8s/base and every overlay with
# `kubectl kustomize` and checks each rendering offline with check.mjs: Kubernetes schemas,
# no unknown fields, container args that the real zpipe binary accepts.
#
#   deploy/k8s/validate/check-manifests.sh ZPIPE_BINARY            the manifests as they are
#   deploy/k8s/validate/check-manifests.sh --self-test ZPIPE_BINARY  broken manifests must fail
#
# Exit 77 (ctest: skipped) when kubectl is not installed; node_modules comes from
# scripts/install-deps.sh (npm ci).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
k8s=$(dirname "$here")
self_test=0
[ "${1:-}" = "--self-test" ] && { self_test=1; shift; }
zpipe=${1:?usage: check-manifests.sh [--self-test] ZPIPE_BINARY}

if ! command -v kubectl >/dev/null; then
  echo "check-manifests: kubectl is not installed: the manifests are not checked (skipped)" >&2
  exit 77
fi
[ -d "$here/node_modules/kubernetes-models" ] ||
  { echo "check-manifests: $here/node_modules is missing: run scripts/install-deps.sh (npm ci)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zpipe-k8s-manifests.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ $self_test -eq 0 ]; then
  status=0
  for dir in "$k8s/base" "$k8s"/overlays/*/; do
    dir=${dir%/}
    name=${dir#"$k8s/"}
    if ! kubectl kustomize "$dir" >"$work/rendered.yaml" 2>"$work/error"; then
      echo "check-manifests: $name: kubectl kustomize failed: $(cat "$work/error")" >&2
      status=1
      continue
    fi
    if node "$here/check.mjs" --zpipe "$zpipe" "$work/rendered.yaml" 2>"$work/problems"; then
      echo "check-manifests: $name: $(grep -c '^kind:' "$work/rendered.yaml") objects ok"
    else
      sed "s|^|check-manifests: $name: |" "$work/problems" >&2
      status=1
    fi
  done
  exit $status
fi

# --self-test: each mutation of the dev overlay must be caught, with the expected message.
kubectl kustomize "$k8s/overlays/dev" >"$work/good.yaml"
node "$here/check.mjs" --zpipe "$zpipe" "$work/good.yaml"
failures=0
expect_caught() {  # expect_caught DESCRIPTION SED-SCRIPT MESSAGE
  sed "$2" "$work/good.yaml" >"$work/bad.yaml"
  if cmp -s "$work/good.yaml" "$work/bad.yaml"; then
    echo "check-manifests: self-test '$1': the mutation changed nothing" >&2
    failures=$((failures + 1))
  elif node "$here/check.mjs" --zpipe "$zpipe" "$work/bad.yaml" 2>"$work/problems"; then
    echo "check-manifests: self-test '$1': not caught" >&2
    failures=$((failures + 1))
  elif ! grep -qF -- "$3" "$work/problems"; then
    echo "check-manifests: self-test '$1': caught, but without '$3':" >&2
    cat "$work/problems" >&2
    failures=$((failures + 1))
  else
    echo "check-manifests: self-test '$1': caught ($(head -n 1 "$work/problems"))"
  fi
}
expect_caught "renamed flag" 's/- --keep-alive/- --keep-alive-renamed/' "has no option '--keep-alive-renamed'"
expect_caught "bad flag value" 's/^\( *\)- --keep-alive$/\1- --slots\n\1- "0"/' "zpipe refuses its args"
expect_caught "misspelt field" 's/^  replicas: 2/  replica: 2/' "unknown field /spec/replica"
expect_caught "wrong type" 's/containerPort: 5557/containerPort: five/' "must be integer"
expect_caught "unknown kind" 's/^kind: Service$/kind: Servic/' "no schema for apiVersion 'v1' kind 'Servic'"
expect_caught "bad pipeline" 's/retries: 2 }/retries: -2 }/' "zpipe check"
expect_caught "short grace" 's/terminationGracePeriodSeconds: 30/terminationGracePeriodSeconds: 10/' \
  "is not longer than workers.grace"
[ $failures -eq 0 ]
