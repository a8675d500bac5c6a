#!/usr/bin/env bash
# The README's test command: install, build, and pass every test tier
# (unit, bus with a real dbus-daemon and polkitd, e2e with real containers),
# then the unit and bus tiers again under ASan+UBSan, then the fuzzers.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/install-deps.sh"
bash "$top/tests/build.sh"
build=${ZENITH_BUILD_DIR:-$top/build}
# -j: the unit tests run two at a time; the bus and e2e tiers are RUN_SERIAL
# (each owns polkit's configuration and the test uids) and run alone.
ctest --test-dir "$build" --output-on-failure --timeout 1500 -j"$(nproc)" "$@"
# Each in a build dir of its own (build-asan, build-fuzz); extra arguments
# are for the ctest above only.
bash "$top/tests/sanitize.sh"
bash "$top/tests/fuzz/run.sh"
