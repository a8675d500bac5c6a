#!/usr/bin/env bash
# The README's run command: install, build, then on a private bus (with the
# project's own bus policy and polkit files) start the daemon and drive a
# real container through zenithctl: create with live progress, list,
# show it is alive, stop and destroy. Nothing is left behind.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/install-deps.sh"
# Only what the demo runs: the daemon (with its console-log helper) and
# zenithctl; the tests are check.sh's to build.
bash "$top/tests/build.sh" zenith-provisionerd zenith-console-log zenithctl
build=${ZENITH_BUILD_DIR:-$top/build}
# The base image is cached in the build tree, so re-runs skip debootstrap.
mkdir -p "$build/demo-state"
exec bash "$top/tests/harness/sandbox.sh" --build "$build" --state-dir "$build/demo-state" \
    -- bash "$top/tests/e2e/demo-steps.sh" "$build"
