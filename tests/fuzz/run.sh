#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DZENITH_BUILD_FUZZ=ON) into
# ./build-fuzz (or $ZENITH_FUZZ_BUILD_DIR) and runs each one for
# $ZENITH_FUZZ_SECONDS (default 20) on a temp copy of its seed corpus
# tests/fuzz/corpus/<target>: the committed corpus is never written.
# Prints the executions of each target; fails on any crash, sanitizer report,
# leak, timeout or out-of-memory, keeping the input under
# <build>/fuzz-artifacts/<target>/ and printing it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${ZENITH_FUZZ_BUILD_DIR:-$top/build-fuzz}
seconds=${ZENITH_FUZZ_SECONDS:-20}
cxx=${ZENITH_FUZZ_CXX:-clang++-16}

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZENITH_BUILD_FUZZ=ON \
    -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$build" -j"$(nproc)"

# Symbolized stacks in reports (clang's runtime needs llvm-symbolizer; the
# one on PATH may be of another LLVM version or missing).
symbolizer=$(dirname "$(readlink -f "$(command -v "$cxx")")")/llvm-symbolizer
[[ -x $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=$symbolizer
export UBSAN_OPTIONS=print_stacktrace=1

work=$(mktemp -d /tmp/zenith-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
logs=$build/fuzz-logs artifacts=$build/fuzz-artifacts
mkdir -p "$logs"
failed=() summary=()
for source in "$top"/tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$source" _fuzz.cpp)
    fuzzer=$build/tests/fuzz/${name}_fuzz
    if [[ ! -d $top/tests/fuzz/corpus/$name ]]; then
        echo "fuzz: $name has no seed corpus tests/fuzz/corpus/$name" >&2
        failed+=("$name")
        continue
    fi
    cp -r "$top/tests/fuzz/corpus/$name" "$work/$name"
    rm -rf "${artifacts:?}/$name"
    mkdir -p "$artifacts/$name"
    # -timeout: seconds for one input (a hang); -rss_limit_mb: an input that
    # makes a parser balloon is a finding, not a reason to swap.
    status=0
    "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$name/" "$work/$name" >"$logs/$name.log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$name.log" | tail -n 1)
    summary+=("$(printf '%-22s %10s executions' "$name" "${runs:-?}")")
    if ((status != 0)) || [[ -n $(ls -A "$artifacts/$name") ]]; then
        failed+=("$name")
        echo "fuzz: $name FAILED (exit $status); the end of $logs/$name.log:" >&2
        tail -n 60 "$logs/$name.log" >&2
        for input in "$artifacts/$name"/*; do
            [[ -e $input ]] || continue
            echo "fuzz: input kept in $input ($(stat -c %s "$input") bytes):" >&2
            od -A x -t x1z -v "$input" | head -n 64 >&2
            echo "fuzz: reproduce: ZENITH_FUZZ_PRINT=1 $fuzzer $input" >&2
        done
    fi
done

echo "fuzz: ${seconds}s per target:"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no findings"
