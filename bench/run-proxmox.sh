#!/bin/bash
# bench/run-proxmox.sh BUILD_DIR [--sim-speed F] [--runs N] [--burst N] [--out DIR] [--only LIST]
#
# The Proxmox rows of bench/README.md: CloudPod clones through the daemon
# against the Proxmox API simulator (tests/proxmox_sim), inside
# tests/harness/sandbox.sh --proxmox-sim (private bus, polkitd, daemon with
# bench/provisioner-proxmox.conf + the simulated three-node cluster).
# Builds nothing: `cmake --build BUILD --target zenith-provisionerd
# zenith-bench-proxmox` first. About a minute at --sim-speed 1.
#
#   --sim-speed F  simulated task durations times F (default 1: Proxmox's
#                  own durations; 0.1 runs the tasks ten times faster)
#   --runs N       one-at-a-time clones (default 10)
#   --burst N      clones submitted at once (default 20)
#   --out DIR      results (default BUILD/bench-results): proxmox.jsonl,
#                  proxmox.md, proxmox-requests.json, proxmox-logs/
#   --only LIST    sequential,burst (default both)
set -euo pipefail

bench_dir=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source_dir=$(readlink -f "$bench_dir/..")

usage() {
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

(($#)) || usage
[[ $1 == -h || $1 == --help ]] && usage
build_dir=$(readlink -f "$1")
shift
speed=1
runs=10
burst=20
out_dir=$build_dir/bench-results
only=sequential,burst
while (($#)); do
    case $1 in
        --sim-speed) speed=${2:?}; shift 2 ;;
        --runs) runs=${2:?}; shift 2 ;;
        --burst) burst=${2:?}; shift 2 ;;
        --out) out_dir=${2:?}; shift 2 ;;
        --only) only=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done

((EUID == 0)) || { echo "bench/run-proxmox.sh: must run as root (the sandbox)" >&2; exit 2; }
for bin in service/zenith-provisionerd bench/zenith-bench-proxmox; do
    [[ -x $build_dir/$bin ]] || {
        echo "bench/run-proxmox.sh: $build_dir/$bin is not built" \
            "(cmake --build $build_dir --target zenith-provisionerd zenith-bench-proxmox)" >&2
        exit 2
    }
done
# Sandboxes share the polkit configuration and the test uids: one at a time.
if pgrep -f 'harness/sandbox\.sh' >/dev/null; then
    echo "bench/run-proxmox.sh: another tests/harness/sandbox.sh is running; wait for it" >&2
    exit 2
fi

mkdir -p "$out_dir"
out_dir=$(readlink -f "$out_dir")
rm -rf "$out_dir/proxmox-logs"

exec "$source_dir/tests/harness/sandbox.sh" --build "$build_dir" --config "$bench_dir/provisioner-proxmox.conf" \
    --logs "$out_dir/proxmox-logs" --proxmox-sim --sim-speed "$speed" -- \
    "$build_dir/bench/zenith-bench-proxmox" --out "$out_dir" --runs "$runs" --burst "$burst" --only "$only" \
    --seed "$bench_dir/proxmox-seed.json"
