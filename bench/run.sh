#!/bin/bash
# bench/run.sh BUILD_DIR [--runs N] [--calls N] [--out DIR] [--cache DIR] [--only LIST]
#
# Runs every benchmark of bench/README.md against an already built tree
# (it builds nothing: `make -C BUILD zenith-provisionerd zenithctl
# zenith-bench` first), prints the table and leaves the raw results in
# --out (default BUILD/bench-results). Everything runs inside
# tests/harness/sandbox.sh: a private mount and PID namespace, a private
# system bus and polkitd; the btrfs filesystem is a loop device made here
# and detached again, LXC uses a private lxcpath on it. The debootstrapped
# base image is kept in --cache (default BUILD/bench-cache) between runs.
#
# --only: comma-separated subset of
#   bus,btrfs-create,btrfs-run,btrfs-clone,btrfs-list,btrfs-chown,ext4   (default: all)
set -euo pipefail

bench_dir=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source_dir=$(readlink -f "$bench_dir/..")

usage() {
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

(($#)) || usage
[[ $1 == -h || $1 == --help ]] && usage
build_dir=$(readlink -f "$1")
shift
runs=10
calls=300
out_dir=$build_dir/bench-results
cache_dir=$build_dir/bench-cache
only=bus,btrfs-create,btrfs-run,btrfs-clone,btrfs-list,btrfs-chown,ext4
while (($#)); do
    case $1 in
        --runs) runs=${2:?}; shift 2 ;;
        --calls) calls=${2:?}; shift 2 ;;
        --out) out_dir=${2:?}; shift 2 ;;
        --cache) cache_dir=${2:?}; shift 2 ;;
        --only) only=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done

((EUID == 0)) || { echo "bench/run.sh: must run as root (loop devices, containers)" >&2; exit 2; }
missing=()
for tool in unshare losetup mkfs.btrfs btrfs lxc-copy lxc-start lxc-destroy lxc-wait hyperfine busctl \
    dbus-daemon systemd-nspawn debootstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || { echo "bench/run.sh: missing: ${missing[*]} (apt-get install lxc hyperfine btrfs-progs ...)" >&2; exit 2; }
for bin in service/zenith-provisionerd libclient/zenithctl bench/zenith-bench-client-call bench/zenith-bench-provision; do
    [[ -x $build_dir/$bin ]] || {
        echo "bench/run.sh: $build_dir/$bin is not built (make -C $build_dir zenith-provisionerd zenithctl zenith-bench)" >&2
        exit 2
    }
done

mkdir -p "$out_dir" "$cache_dir"
out_dir=$(readlink -f "$out_dir")
cache_dir=$(readlink -f "$cache_dir")

exec "$source_dir/tests/harness/sandbox.sh" --build "$build_dir" --no-daemon -- \
    "$bench_dir/lib/inner.sh" "$out_dir" "$cache_dir" "$runs" "$calls" "$only"
