#!/bin/bash
# sandbox.sh [--build DIR] [--no-daemon] [--state-dir DIR] [--config FILE]
#            [--logs DIR] [--debug]
#            [--proxmox-sim [--sim-speed F] [--sim-nodes LIST]] -- COMMAND...
#
# Runs COMMAND against a private system bus with a real polkitd that knows
# only the project's own polkit actions and rules (plus the test rule next to
# this script), test users, and - unless --no-daemon - the freshly built
# zenith-provisionerd. Everything lives in a private mount and PID namespace
# and a temp dir, so the host's users, polkit configuration, bus and
# /var/lib/machines are never touched. Exits with COMMAND's status.
#
# COMMAND sees:
#   DBUS_SYSTEM_BUS_ADDRESS   the private bus
#   ZENITH_SANDBOX            the temp dir (run/, logs/, state/, machines/)
#   ZENITH_SOURCE_DIR ZENITH_BUILD_DIR ZENITH_HARNESS_DIR
#   ZENITH_STATE_DIR ZENITH_MACHINES_DIR ZENITH_DAEMON_LOG ZENITH_DAEMON_PID
#   ZENITH_AUTO_UID ZENITH_AUTOMATION_GID   zenith-auto, in zenith-automation
#   ZENITH_OUTSIDER_UID ZENITH_OUTSIDER_GID zenith-outsider, in no group
#   ZENITH_DAEMON_ARGV        a file with the daemon's command line (binary
#                             first, then its arguments, each ended by a NUL)
# and may restart polkitd with "$ZENITH_HARNESS_DIR/polkitd.sh stop|start".
# A test that restarts the daemon runs that command line as this script does
# (umask 077, stdin /dev/null, output appended to ZENITH_DAEMON_LOG) and
# writes the new PID to $ZENITH_SANDBOX/run/daemon.pid, which teardown stops.
#
# --proxmox-sim: a simulated Proxmox VE cluster (tests/proxmox_sim/pve_sim.py,
# nodes LIST, default pve1,pve2,pve3; durations times F, default 0.1) runs
# next to the daemon, started before it and stopped after it. Its API token
# secret is random, in $ZENITH_SANDBOX/etc/pve-token (root, 0600). The daemon
# gets a copy of --config (if any) with a [Proxmox.sim] section appended that
# points at every node (CA-verified TLS), with Pool=cloud when that config
# has a [Pool.cloud] section. COMMAND then also sees:
#   ZENITH_PVE_INFO        the simulator's info file (node URLs, CA, control_url)
#   ZENITH_PVE_CONTROL     its control API (plain HTTP on 127.0.0.1)
#   ZENITH_PVE_TOKEN_FILE  the token secret file
#   ZENITH_PVE_LOG         the simulator's log
#
# Needs root, util-linux (unshare, setpriv), dbus-daemon, polkitd, busctl.
set -euo pipefail

harness_dir=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
source_dir=$(readlink -f "$harness_dir/../..")
. "$harness_dir/lib.sh"

usage() {
    echo "usage: sandbox.sh [--build DIR] [--no-daemon] [--state-dir DIR] [--config FILE] [--logs DIR] [--debug]" \
        "[--proxmox-sim [--sim-speed F] [--sim-nodes LIST]] -- COMMAND..." >&2
    exit 2
}

build_dir=$source_dir/build
start_daemon=1
state_dir=
config=
logs_out=
debug=
proxmox_sim=
sim_speed=0.1
sim_nodes=pve1,pve2,pve3
args=("$@")
while (($#)); do
    case $1 in
        --build) build_dir=$(readlink -f "${2:?--build needs a directory}"); shift 2 ;;
        --no-daemon) start_daemon=; shift ;;
        --state-dir) state_dir=$(readlink -f "${2:?--state-dir needs a directory}"); shift 2 ;;
        --config) config=$(readlink -f "${2:?--config needs a file}"); shift 2 ;;
        --logs) logs_out=$(readlink -f "${2:?--logs needs a directory}"); shift 2 ;;
        --debug) debug=--debug; shift ;;
        --proxmox-sim) proxmox_sim=1; shift ;;
        --sim-speed) sim_speed=${2:?--sim-speed needs a factor}; shift 2 ;;
        --sim-nodes) sim_nodes=${2:?--sim-nodes needs a list}; shift 2 ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
(($#)) || usage
command=("$@")
if [[ -n $proxmox_sim ]]; then
    [[ $sim_speed =~ ^[0-9]+(\.[0-9]+)?$ ]] || { zenith_log "--sim-speed: '$sim_speed' is not a number"; exit 2; }
    [[ $sim_nodes =~ ^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$ ]] ||
        { zenith_log "--sim-nodes: '$sim_nodes' is not a comma-separated list of node names"; exit 2; }
fi

if [[ ${ZENITH_SANDBOX_STAGE:-} != inner ]]; then
    ((EUID == 0)) || { zenith_log "must run as root (it bind-mounts over /etc and starts polkitd)"; exit 2; }
    # A private PID namespace with its own /proc: every process of the sandbox
    # dies with it even if this script is SIGKILLed, and nothing outside can
    # be signalled by PID by mistake. --kill-child: if unshare itself is
    # killed, the sandbox still gets SIGTERM and tears down.
    export ZENITH_SANDBOX_STAGE=inner
    unshare --mount --propagation private --pid --fork --mount-proc \
        --kill-child=SIGTERM -- "$(readlink -f "${BASH_SOURCE[0]}")" "${args[@]}" <&0 &
    unshare_pid=$!
    # unshare ignores SIGTERM while it waits, so hand it to the sandbox's
    # PID 1 (this script's inner stage), whose trap tears everything down.
    forward() { pkill -TERM -P "$unshare_pid" 2>/dev/null || true; }
    trap forward TERM INT HUP
    while :; do
        wait "$unshare_pid" && exit 0
        status=$?
        # wait returns >128 when a trapped signal interrupted it.
        kill -0 "$unshare_pid" 2>/dev/null || exit "$status"
    done
fi
unset ZENITH_SANDBOX_STAGE

readonly auto_uid=4201 automation_gid=4200 outsider_uid=4202 outsider_gid=4202

sandbox=$(mktemp -d /tmp/zenith-sandbox.XXXXXX)
# polkitd (as user polkitd) reads the rules and the test users reach the bus
# socket through this dir.
chmod 0755 "$sandbox"
export ZENITH_SANDBOX=$sandbox
mkdir -p "$sandbox"/{run,logs,etc,bus/system.d,polkit/actions,polkit/rules.d,polkit/etc-rules.d}
command_pid=

teardown() {
    local status=$?
    trap - EXIT TERM INT HUP
    set +e
    if zenith_alive "$command_pid"; then
        kill -TERM "$command_pid" 2>/dev/null
        wait "$command_pid" 2>/dev/null
    fi
    # The daemon first: on SIGTERM it stops the containers it supervises, and
    # the bus must still be there while it says goodbye on it.
    zenith_stop "$sandbox/run/daemon.pid" 90
    # The simulator after the daemon, which may be mid-call to it.
    zenith_stop "$sandbox/run/pve-sim.pid" 10
    zenith_stop_polkitd
    zenith_stop "$sandbox/run/dbus-daemon.pid" 10
    if [[ -n $logs_out ]]; then
        mkdir -p "$logs_out" && cp -a "$sandbox/logs/." "$logs_out/"
    fi
    # Whatever is still mounted below the sandbox (a debootstrap killed half
    # way leaves /proc and /sys mounted in its target) must go before rm, or
    # rm would walk into them.
    findmnt -rn -o TARGET | grep -F "$sandbox" | sort -r | while read -r m; do
        umount -l "$m"
    done
    for m in /etc/passwd /etc/group /usr/share/polkit-1/actions /usr/share/polkit-1/rules.d \
        /etc/polkit-1/rules.d /run/dbus; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf --one-file-system "$sandbox"
    exit "$status"
}
trap teardown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# Test users. Copies of the host's files bind-mounted over the originals:
# never useradd on the host.
for id in $automation_gid $auto_uid $outsider_uid; do
    if getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; then
        zenith_log "uid/gid $id already exists on this host; the test users need it free"
        exit 2
    fi
done
cp /etc/passwd "$sandbox/etc/passwd"
cp /etc/group "$sandbox/etc/group"
# Homes and a shell: the remote-host tests log them in over SSH (a private
# sshd on 127.0.0.1), the way a hosting panel logs in its automation user.
cat >>"$sandbox/etc/passwd" <<EOF
zenith-auto:x:$auto_uid:$automation_gid:Zenith automation (test):$sandbox/home/zenith-auto:/bin/sh
zenith-outsider:x:$outsider_uid:$outsider_gid:Zenith outsider (test):$sandbox/home/zenith-outsider:/bin/sh
EOF
cat >>"$sandbox/etc/group" <<EOF
zenith-automation:x:$automation_gid:zenith-auto
zenith-outsider:x:$outsider_gid:
EOF
chmod 0644 "$sandbox/etc/passwd" "$sandbox/etc/group"
mkdir -p "$sandbox/home"
install -d -m 0700 -o "$auto_uid" -g "$automation_gid" "$sandbox/home/zenith-auto"
install -d -m 0700 -o "$outsider_uid" -g "$outsider_gid" "$sandbox/home/zenith-outsider"
mount --bind "$sandbox/etc/passwd" /etc/passwd
mount --bind "$sandbox/etc/group" /etc/group

# A /run of the sandbox's own, in its mount namespace: the host's entries
# bound back in (through an fd to the host's /run, opened before the tmpfs
# hides it; --no-canonicalize keeps mount(8) from resolving that path to the
# tmpfs), except what the sandbox brings itself:
#   /run/systemd  systemd-nspawn's per-machine state (even with --register=no)
#   /run/dbus     the private bus (see below)
#   /run/sshd     sshd's compiled-in privilege-separation dir
#   /run/mount    mount(8)'s own table
# Nothing is made in the host's /run, so sandboxes that run at once (a
# sanitizer build's next to a normal one) cannot take each other's away.
exec {host_run}</run
mount -t tmpfs -o mode=0755 zenith-run /run
for entry in /proc/self/fd/"$host_run"/* /proc/self/fd/"$host_run"/.[!.]*; do
    [[ -e $entry || -L $entry ]] || continue
    name=${entry##*/}
    case $name in systemd | dbus | sshd | mount) continue ;; esac
    if [[ -L $entry ]]; then
        cp -P "$entry" "/run/$name"
    elif [[ -d $entry ]]; then
        mkdir -p "/run/$name" && mount --no-canonicalize --rbind "$entry" "/run/$name"
    else
        touch "/run/$name" && mount --no-canonicalize --bind "$entry" "/run/$name"
    fi
done
exec {host_run}<&-
mkdir -m 0755 /run/systemd /run/sshd /run/dbus

# polkit sees the project's own actions and rules, and nothing of the host's,
# so a default that is too loose or a rule that grants too much shows here.
cp "$source_dir"/polkit/*.policy "$sandbox/polkit/actions/"
cp "$source_dir"/polkit/*.rules "$sandbox/polkit/rules.d/"
cp "$harness_dir"/*.rules "$sandbox/polkit/etc-rules.d/"
chmod -R a+rX "$sandbox/polkit"
mount --bind "$sandbox/polkit/actions" /usr/share/polkit-1/actions
mount --bind "$sandbox/polkit/rules.d" /usr/share/polkit-1/rules.d
mount --bind "$sandbox/polkit/etc-rules.d" /etc/polkit-1/rules.d

# The private system bus, with the project's bus policy file and polkit's.
sed "s|@SOCKET@|$sandbox/bus/system_bus_socket|" "$harness_dir/system-bus.conf" >"$sandbox/bus/system-bus.conf"
cp "$source_dir/dbus-policy/org.zenith.Provisioner.conf" "$sandbox/bus/system.d/"
cp /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf "$sandbox/bus/system.d/"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$sandbox/bus/system_bus_socket
unset DBUS_SESSION_BUS_ADDRESS
dbus-daemon --config-file="$sandbox/bus/system-bus.conf" --nofork --nopidfile --nosyslog >"$sandbox/logs/dbus-daemon.log" 2>&1 </dev/null &
echo $! >"$sandbox/run/dbus-daemon.pid"
zenith_wait_for_name org.freedesktop.DBus "$(<"$sandbox/run/dbus-daemon.pid")" 10 "$sandbox/logs/dbus-daemon.log"
# Programs that know only the standard socket path (systemd-stdio-bridge,
# which `zenithctl --host` runs on the far side of SSH) must find this bus
# there too, never the host's: the private bus's dir over the sandbox's
# /run/dbus.
mount --bind "$sandbox/bus" /run/dbus

zenith_start_polkitd

export ZENITH_SOURCE_DIR=$source_dir ZENITH_BUILD_DIR=$build_dir ZENITH_HARNESS_DIR=$harness_dir
export ZENITH_STATE_DIR=${state_dir:-$sandbox/state}
export ZENITH_MACHINES_DIR=$sandbox/machines
export ZENITH_DAEMON_LOG=$sandbox/logs/daemon.log
export ZENITH_AUTO_UID=$auto_uid ZENITH_AUTOMATION_GID=$automation_gid
export ZENITH_OUTSIDER_UID=$outsider_uid ZENITH_OUTSIDER_GID=$outsider_gid
mkdir -p "$ZENITH_STATE_DIR" "$ZENITH_MACHINES_DIR"
chmod 0700 "$ZENITH_STATE_DIR" "$ZENITH_MACHINES_DIR"

if [[ -n $proxmox_sim ]]; then
    # The API token's secret: random, root-only, never on a command line
    # (the simulator and the daemon read it from the file).
    (umask 077 && cat /proc/sys/kernel/random/uuid >"$sandbox/etc/pve-token")
    chown 0:0 "$sandbox/etc/pve-token"
    chmod 0600 "$sandbox/etc/pve-token"
    export ZENITH_PVE_TOKEN_FILE=$sandbox/etc/pve-token
    export ZENITH_PVE_INFO=$sandbox/run/pve-info.json
    export ZENITH_PVE_LOG=$sandbox/logs/pve-sim.log
    python3 -B "$source_dir/tests/proxmox_sim/pve_sim.py" --state-dir "$sandbox/pve" \
        --info-file "$ZENITH_PVE_INFO" --nodes "$sim_nodes" --token-id 'root@pam!zenith' \
        --token-secret-file "$ZENITH_PVE_TOKEN_FILE" --speed "$sim_speed" --auth-fail-delay 0.2 \
        >"$ZENITH_PVE_LOG" 2>&1 </dev/null &
    echo $! >"$sandbox/run/pve-sim.pid"
    sim_pid=$!
    for ((i = 0; i < 300; i++)); do
        [[ -s $ZENITH_PVE_INFO ]] && break
        if ! zenith_alive "$sim_pid"; then
            zenith_log "the Proxmox simulator exited before it wrote its info file; its log:"
            tail -n 40 "$ZENITH_PVE_LOG" >&2 || true
            exit 2
        fi
        sleep 0.1
    done
    if [[ ! -s $ZENITH_PVE_INFO ]]; then
        zenith_log "the Proxmox simulator wrote no info file within 30s; its log:"
        tail -n 40 "$ZENITH_PVE_LOG" >&2 || true
        exit 2
    fi
    # The daemon's config: the given one, plus the simulated cluster.
    sim_config=$sandbox/etc/provisioner.conf
    if [[ -n $config ]]; then
        cat "$config" >"$sim_config"
        echo >>"$sim_config"
    else
        : >"$sim_config"
    fi
    python3 -c '
import json, sys
info = json.load(open(sys.argv[1]))
print("# appended by sandbox.sh --proxmox-sim: the simulated cluster")
print("[Proxmox.sim]")
for node in sys.argv[2].split(","):
    print("URL=" + info["nodes"][node]["url"])
print("TokenID=" + info["token_id"])
print("TokenSecretFile=" + sys.argv[3])
print("CAFile=" + info["ca_file"])
print("TaskTimeoutSec=120")
' "$ZENITH_PVE_INFO" "$sim_nodes" "$ZENITH_PVE_TOKEN_FILE" >>"$sim_config"
    if grep -qx '\[Pool\.cloud\]' "$sim_config"; then
        echo "Pool=cloud" >>"$sim_config"
    fi
    chmod 0644 "$sim_config"
    config=$sim_config
    export ZENITH_PVE_CONTROL
    ZENITH_PVE_CONTROL=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["control_url"])' "$ZENITH_PVE_INFO")
fi

if [[ -n $start_daemon ]]; then
    daemon=$build_dir/service/zenith-provisionerd
    [[ -x $daemon ]] || { zenith_log "$daemon not built"; exit 2; }
    daemon_args=(--state-dir "$ZENITH_STATE_DIR" --machines-dir "$ZENITH_MACHINES_DIR")
    [[ -n $config ]] && daemon_args+=(--config "$config")
    [[ -n $debug ]] && daemon_args+=("$debug")
    # For tests that kill the daemon and start it again the same way.
    printf '%s\0' "$daemon" "${daemon_args[@]}" >"$sandbox/run/daemon.argv"
    export ZENITH_DAEMON_ARGV=$sandbox/run/daemon.argv
    # umask 077, as its unit runs it (UMask=0077): whatever a machine needs
    # must get its mode explicitly.
    (umask 077 && exec "$daemon" "${daemon_args[@]}") >"$ZENITH_DAEMON_LOG" 2>&1 </dev/null &
    echo $! >"$sandbox/run/daemon.pid"
    export ZENITH_DAEMON_PID=$!
    zenith_wait_for_name org.zenith.Provisioner "$ZENITH_DAEMON_PID" 30 "$ZENITH_DAEMON_LOG"
fi

# In the background and waited for, so a SIGTERM reaches the trap at once;
# <&0 keeps stdin (bash would give a background command /dev/null).
"${command[@]}" <&0 &
command_pid=$!
set +e
wait "$command_pid"
status=$?
set -e
command_pid=
exit "$status"
