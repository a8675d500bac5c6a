#!/usr/bin/env bash
# The README's test command: install, build, and pass every test tier
# (unit, bus with a real dbus-daemon and polkitd, e2e with real containers),
# then the unit and bus tiers again under ASan+UBSan, with the fuzzers
# beside them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/install-deps.sh"
bash "$top/tests/build.sh"
build=${ZENITH_BUILD_DIR:-$top/build}
# -j: the unit tests run two at a time; the bus and e2e tiers are RUN_SERIAL
# (each owns polkit's configuration and the test uids) and run alone.
ctest --test-dir "$build" --output-on-failure --timeout 1500 -j"$(nproc)" "$@"
# Each in a build dir of its own (build-asan, build-fuzz); extra arguments
# are for the ctest above only. The fuzzers (one core) run beside the
# sanitized tiers, which mostly wait on the bus: together they take about
# four minutes less than one after the other. Their output is shown after.
bash "$top/tests/sanitize.sh" build
fuzzLog=$(mktemp /tmp/zenith-fuzz-log.XXXXXX)
trap 'rm -f "$fuzzLog"' EXIT
bash "$top/tests/fuzz/run.sh" >"$fuzzLog" 2>&1 &
fuzzPid=$!
status=0
bash "$top/tests/sanitize.sh" run || status=$?
fuzzStatus=0
wait "$fuzzPid" || fuzzStatus=$?
cat "$fuzzLog"
((fuzzStatus == 0)) || echo "check: the fuzzers FAILED (exit $fuzzStatus)" >&2
((status == 0)) || echo "check: the sanitized tiers FAILED (exit $status)" >&2
((status == 0 && fuzzStatus == 0))
