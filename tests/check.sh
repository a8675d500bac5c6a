#!/usr/bin/env bash
# The README's test command: install, build, and pass every test tier
# (unit, bus with a real dbus-daemon and polkitd, e2e with real containers).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/install-deps.sh"
bash "$top/tests/build.sh"
build=${ZENITH_BUILD_DIR:-$top/build}
ctest --test-dir "$build" --output-on-failure --timeout 1500 "$@"
