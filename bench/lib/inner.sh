#!/bin/bash
# The benchmark sequence of bench/run.sh, run inside tests/harness/sandbox.sh
# (private mount and PID namespace, private system bus and polkitd, no
# daemon): it starts the daemon itself, because each filesystem under test
# needs its own --state-dir and --machines-dir.
# Arguments: OUT_DIR CACHE_DIR RUNS CALLS ONLY
set -euo pipefail

out=$1 cache=$2 runs=$3 calls=$4 only=$5
. "$ZENITH_HARNESS_DIR/lib.sh"

build=$ZENITH_BUILD_DIR
driver=$build/bench/zenith-bench-provision
zenithctl=$build/libclient/zenithctl
work=$ZENITH_SANDBOX/bench
results=$out/results.jsonl
peer_log=$out/peers.log
image_id=debian-bookworm-$(dpkg --print-architecture)
cache_image=$cache/state/images/$image_id
mkdir -p "$work"
: >"$results"
: >"$peer_log"
rm -f "$out/gbench.json" "$out/hyperfine.json"
# An empty config: all defaults, whatever /etc/zenith holds on this host.
: >"$work/provisioner.conf"

wants() { [[ ,$only, == *,$1,* ]]; }
say() { printf '\n== %s\n' "$*"; }

daemon_pid=
loop_dev=
btrfs_mnt=
lxcpath=
made_run_lxc=

start_daemon() {
    local state=$1 machines=$2 daemon_log=$out/daemon-$3.log config=${4:-$work/provisioner.conf}
    mkdir -p "$state" "$machines"
    chmod 0700 "$state" "$machines"
    "$build/service/zenith-provisionerd" --config "$config" \
        --state-dir "$state" --machines-dir "$machines" >"$daemon_log" 2>&1 </dev/null &
    daemon_pid=$!
    zenith_wait_for_name org.zenith.Provisioner "$daemon_pid" 30 "$daemon_log"
}

stop_daemon() {
    [[ -n $daemon_pid ]] || return 0
    local i
    kill -TERM "$daemon_pid" 2>/dev/null || true
    # On SIGTERM the daemon powers off the containers it supervises.
    for ((i = 0; i < 900; i++)); do
        zenith_alive "$daemon_pid" || break
        sleep 0.1
    done
    zenith_alive "$daemon_pid" && kill -KILL "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
}

teardown_btrfs() {
    if [[ -n $lxcpath && -d $lxcpath ]]; then
        for c in "$lxcpath"/*/; do
            if [[ -f $c/config ]]; then
                # A stopped container (the base) answers with an error: fine.
                lxc-stop -P "$lxcpath" -n "$(basename "$c")" -k >/dev/null 2>&1 || true
            fi
        done
    fi
    lxcpath=
    if [[ -n $btrfs_mnt ]] && mountpoint -q "$btrfs_mnt"; then
        umount "$btrfs_mnt" || umount -l "$btrfs_mnt"
    fi
    btrfs_mnt=
    # Only the device this run attached.
    if [[ -n $loop_dev ]]; then
        losetup -d "$loop_dev"
    fi
    loop_dev=
    rm -f "$work/btrfs.img"
}

cleanup() {
    local status=$?
    set +e
    stop_daemon
    teardown_btrfs
    if mountpoint -q /run/lxc; then
        umount /run/lxc
        [[ -n $made_run_lxc ]] && rmdir /run/lxc
    fi
    exit "$status"
}
trap cleanup EXIT

machine_description() {
    local cpu
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    echo "cpu: $(nproc) cores ($cpu)"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "tools: $(lxc-start --version | head -1 | sed 's/^/lxc /'), $(btrfs --version), $(hyperfine --version), $(systemd-nspawn --version | head -1)"
}

{
    echo "started: $(date -u +%FT%TZ)"
    machine_description
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

# LXC keeps its locks below /run/lxc: a tmpfs there keeps them in this namespace.
if [[ ! -d /run/lxc ]]; then
    mkdir /run/lxc
    made_run_lxc=1
fi
mount -t tmpfs -o mode=0755 zenith-bench /run/lxc

if [[ ! -d $cache_image ]]; then
    say "base image: built once by the daemon (debootstrap) into $cache/state"
    start_daemon "$cache/state" "$work/seed-machines" seed
    "$driver" seed --out "$work/seed.jsonl"
    stop_daemon
fi
echo "base image: $cache_image ($(du -sh "$cache_image" | cut -f1))"

if wants bus || wants btrfs-create || wants btrfs-run || wants btrfs-clone || wants btrfs-list ||
    wants btrfs-chown; then
    say "btrfs: a loop device of its own"
    truncate -s 8G "$work/btrfs.img"
    mkfs.btrfs -q -f "$work/btrfs.img" >/dev/null
    loop_dev=$(losetup -f --show "$work/btrfs.img")
    btrfs_mnt=$work/btrfs
    mkdir -p "$btrfs_mnt"
    mount "$loop_dev" "$btrfs_mnt"
    echo "$loop_dev on $btrfs_mnt"
    # The daemon's cached image, as a subvolume, as the daemon makes it on btrfs.
    mkdir -p "$btrfs_mnt/state/images"
    chmod 0700 "$btrfs_mnt/state" "$btrfs_mnt/state/images"
    btrfs_image=$btrfs_mnt/state/images/$image_id
    btrfs -q subvolume create "$btrfs_image"
    cp -a "$cache_image/." "$btrfs_image/"
    mkdir -p "$btrfs_mnt/snapshots"

    # LXC's base container: a snapshot of the same image on the same device,
    # and a config written by hand. Its systemd reports READY=1 to
    # NOTIFY_SOCKET (as under nspawn), reached through a bind mount.
    lxcpath=$btrfs_mnt/lxc
    notify_dir=$work/notify
    mkdir -p "$lxcpath/bench-base" "$notify_dir"
    btrfs -q subvolume snapshot "$btrfs_image" "$lxcpath/bench-base/rootfs"
    cat >"$lxcpath/bench-base/config" <<CONFIG
lxc.include = /usr/share/lxc/config/common.conf
lxc.uts.name = bench-base
lxc.rootfs.path = btrfs:$lxcpath/bench-base/rootfs
lxc.net.0.type = empty
lxc.init.cmd = /lib/systemd/systemd
lxc.apparmor.profile = unconfined
lxc.environment = NOTIFY_SOCKET=/mnt/notify
lxc.mount.entry = $notify_dir mnt none bind 0 0
lxc.log.file = $out/lxc.log
lxc.log.level = WARN
CONFIG

    start_daemon "$btrfs_mnt/state" "$btrfs_mnt/machines" btrfs
    sleep 1
    "$driver" rss --out "$results" --pid "$daemon_pid" --label startup

    if wants bus; then
        say "bus: one call through libclient vs raw sd-bus; zenithctl list vs busctl call"
        for i in 0 1 2; do "$zenithctl" -q create "bench-p$i" --no-start; done
        "$build/bench/zenith-bench-client-call" --benchmark_min_time=1 --benchmark_repetitions=5 \
            --benchmark_out="$out/gbench.json" --benchmark_out_format=json
        hyperfine -N --style basic --warmup 10 --runs 200 \
            -n "zenithctl list" "$zenithctl list" \
            -n "busctl call ListMachines" "busctl --system call org.zenith.Provisioner /org/zenith/Provisioner org.zenith.Provisioner.Manager ListMachines" \
            --export-json "$out/hyperfine.json"
        for i in 0 1 2; do "$zenithctl" -q destroy "bench-p$i"; done
    fi
    if wants btrfs-create; then
        say "btrfs: configured rootfs from the cached image"
        "$driver" create --group btrfs --runs "$runs" --out "$results"
        "$driver" lxc-create --group btrfs --runs "$runs" --out "$results" --log "$peer_log" \
            --lxcpath "$lxcpath" --base bench-base
        "$driver" snapshot --group btrfs --runs "$runs" --out "$results" --log "$peer_log" \
            --source "$btrfs_image" --dir "$btrfs_mnt/snapshots" --op create-cached
    fi
    if wants btrfs-run; then
        say "btrfs: create to running, destroy while running"
        "$driver" run --group btrfs --runs "$runs" --out "$results"
        "$driver" lxc-run --group btrfs --runs "$runs" --out "$results" --log "$peer_log" \
            --lxcpath "$lxcpath" --base bench-base --notify "$notify_dir/notify"
        "$driver" nspawn-run --group btrfs --runs "$runs" --out "$results" --log "$peer_log" \
            --source "$btrfs_image" --dir "$btrfs_mnt/snapshots" --notify "$work/nspawn.notify"
    fi
    if wants btrfs-clone; then
        say "btrfs: clone of a stopped machine"
        "$driver" clone --group btrfs --runs "$runs" --out "$results"
        "$driver" lxc-clone --group btrfs --runs "$runs" --out "$results" --log "$peer_log" \
            --lxcpath "$lxcpath" --base bench-base
        "$driver" snapshot --group btrfs --runs "$runs" --out "$results" --log "$peer_log" \
            --source "$btrfs_image" --dir "$btrfs_mnt/snapshots" --op clone
    fi
    if wants btrfs-list; then
        say "btrfs: ListMachines latency, idle and while two creates run"
        "$driver" list-latency --group btrfs --calls "$calls" --out "$results"
    fi
    "$driver" rss --out "$results" --pid "$daemon_pid" --label after-jobs
    stop_daemon
    if wants btrfs-chown; then
        # The same runs where the kernel or file system has no idmapped
        # mounts: systemd-nspawn chowns the whole tree to the machine's uid
        # range at its first boot (a second daemon, forced to do that, on
        # the same image and device).
        say "btrfs: create to running with ownership by chown (no idmapped mount)"
        printf '[Nspawn]\nPrivateUsersOwnership=chown\n' >"$work/provisioner-chown.conf"
        start_daemon "$btrfs_mnt/state" "$btrfs_mnt/machines-chown" btrfs-chown "$work/provisioner-chown.conf"
        "$driver" run --group btrfs-chown --runs "$runs" --out "$results"
        stop_daemon
    fi
    # Gone before the copy path is measured: btrfs's cleaner deleting the
    # snapshots would otherwise write to the same disk meanwhile.
    teardown_btrfs
    sync
fi

if wants ext4; then
    fs_type=$(findmnt -n -o FSTYPE -T "$work")
    say "copy path ($fs_type under $work): create from the cached image vs cp -a"
    ext_state=$work/ext4/state
    mkdir -p "$ext_state/images" "$work/ext4/copies"
    chmod 0700 "$ext_state" "$ext_state/images"
    cp -a "$cache_image" "$ext_state/images/"
    start_daemon "$ext_state" "$work/ext4/machines" ext4
    "$driver" create --group ext4 --runs "$runs" --out "$results"
    "$driver" copy --group ext4 --runs "$runs" --out "$results" --log "$peer_log" \
        --source "$ext_state/images/$image_id" --dir "$work/ext4/copies"
    stop_daemon
fi

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"
say "results (raw samples: $results)"
report_args=(--results "$results")
[[ -f $out/gbench.json ]] && report_args+=(--gbench "$out/gbench.json")
[[ -f $out/hyperfine.json ]] && report_args+=(--hyperfine "$out/hyperfine.json")
"$driver" report "${report_args[@]}" | tee "$out/report.md"
