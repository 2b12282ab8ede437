# Thin wrapper over CMake presets (see CMakePresets.json). Every target installs
# missing Debian packages first, so a fresh Debian 12 machine needs nothing else.
JOBS ?= $(shell nproc)
ZPIPE := build/zpipe

.PHONY: deps build run test test-asan test-faults bench fuzz k8s-e2e clean

deps:
	@scripts/install-deps.sh

build: deps
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)

run: build
	@echo "== zpipe run examples/squares.yaml (first 10 records of examples/squares.jsonl) ==" >&2
	$(ZPIPE) run examples/squares.yaml --fresh
	@head -n 10 examples/squares.jsonl

test: build
	ctest --preset dev

# The fault-injection suite (tests/faults/): frozen, killed and cut-off roles, full disks,
# lossy links between network namespaces, intruders, edited journals. Some of it needs root.
# ZPIPE_FAULTS_REPORT=FILE collects each scenario's row of figures (docs/reliability.md).
test-faults: build
	ctest --preset faults

test-asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

bench: build
	bench/run.sh

# The Kubernetes manifests run with podman in place of a cluster (tests/k8s-e2e.sh): builds
# the image localhost/zpipe:dev (deploy/container/build-image; installs podman, mmdebstrap
# and runc first), plays deploy/k8s/overlays/podman, scales workers mid-batch and checks that
# every id is written once. As root. Not part of `make test`.
k8s-e2e: build
	tests/k8s-e2e.sh

fuzz:
	scripts/fuzz.sh 60

clean:
	rm -rf build build-debug build-asan
