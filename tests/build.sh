#!/usr/bin/env bash
# Configures and builds into ./build (or $ZENITH_BUILD_DIR). Re-runs are
# incremental. Arguments name CMake targets to build (default: all).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ZENITH_BUILD_DIR:-$top/build}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
