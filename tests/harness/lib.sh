# shellcheck shell=bash
# Shared by sandbox.sh and polkitd.sh: starting, waiting for and stopping the
# sandbox's processes. Everything is tracked by PID files under
# $ZENITH_SANDBOX/run, so a test that restarts polkitd leaves the teardown
# with the right PID.

zenith_log() { printf 'sandbox: %s\n' "$*" >&2; }

# A process that exited but was not reaped yet is gone for our purposes.
zenith_alive() {
    local pid=$1 state
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z && $state != X ]]
}

zenith_name_owned() {
    busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        NameHasOwner s "$1" 2>/dev/null | grep -qx 'b true'
}

# zenith_wait_for_name NAME PID SECONDS LOG: until NAME is on the bus; fails
# early when PID died, and shows the end of its LOG.
zenith_wait_for_name() {
    local name=$1 pid=$2 seconds=$3 log=$4 i
    for ((i = 0; i < seconds * 10; i++)); do
        zenith_name_owned "$name" && return 0
        if ! zenith_alive "$pid"; then
            zenith_log "process $pid exited before $name appeared; its log:"
            tail -n 40 "$log" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    zenith_log "$name did not appear within ${seconds}s; log of $pid:"
    tail -n 40 "$log" >&2 || true
    return 1
}

# zenith_stop PIDFILE SECONDS: SIGTERM, then SIGKILL after SECONDS.
zenith_stop() {
    local pidfile=$1 seconds=$2 pid i
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    rm -f "$pidfile"
    zenith_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < seconds * 10; i++)); do
        zenith_alive "$pid" || return 0
        sleep 0.1
    done
    zenith_log "pid $pid ignored SIGTERM for ${seconds}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        zenith_alive "$pid" || return 0
        sleep 0.1
    done
}

# polkitd starts as root and drops to the polkitd user itself; it finds the
# bus through DBUS_SYSTEM_BUS_ADDRESS.
zenith_start_polkitd() {
    local run=$ZENITH_SANDBOX/run log=$ZENITH_SANDBOX/logs/polkitd.log pid
    # setsid: a test that restarts polkitd must not take it down when it exits.
    setsid /usr/lib/polkit-1/polkitd --no-debug >>"$log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$run/polkitd.pid"
    zenith_wait_for_name org.freedesktop.PolicyKit1 "$pid" 20 "$log"
}

zenith_stop_polkitd() {
    zenith_stop "$ZENITH_SANDBOX/run/polkitd.pid" 10
}
