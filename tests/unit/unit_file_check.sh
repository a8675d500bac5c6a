#!/bin/bash
# The systemd unit as systemd itself reads it (offline: PID 1 need not be
# systemd): no unknown directive or bad value, and no loss of hardening.
# Usage: unit_file_check.sh UNIT_FILE DAEMON_BINARY MAX_EXPOSURE(0-100)
set -euo pipefail
# systemd-analyze leaves a timestamp file in /run/systemd: as root, run in a
# private mount namespace with a tmpfs there, so the host keeps its own.
if ((EUID == 0)) && [[ -z ${ZENITH_UNIT_CHECK_INNER:-} ]]; then
    export ZENITH_UNIT_CHECK_INNER=1
    exec unshare --mount --propagation private -- bash -c \
        'if [ -d /run/systemd ]; then mount -t tmpfs -o mode=0755 zenith-unit-check /run/systemd || exit 1; fi
         exec bash "$0" "$@"' "$0" "$@"
fi
unit=$1 daemon=$2 max=$3
work=$(mktemp -d /tmp/zenith-unit-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
# verify wants the ExecStart binary to exist: point it at the built one.
sed "s|^ExecStart=.*|ExecStart=$daemon|" "$unit" >"$work/zenith-provisionerd.service"
out=$(systemd-analyze verify "$work/zenith-provisionerd.service" 2>&1) || { echo "$out"; exit 1; }
if [[ -n $out ]]; then
    echo "systemd-analyze verify complained:"
    echo "$out"
    exit 1
fi
systemd-analyze security --offline=yes --threshold="$max" "$work/zenith-provisionerd.service" | tail -n 1
echo "unit file: verified, exposure within $max/100"
