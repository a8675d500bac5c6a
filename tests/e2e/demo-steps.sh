#!/usr/bin/env bash
# The demo's steps, run by tests/demo.sh inside tests/harness/sandbox.sh
# (private bus, polkitd and the daemon are up; DBUS_SYSTEM_BUS_ADDRESS points
# at that bus). Drives one real container through its whole life with
# zenithctl and shows that it is alive from inside.
set -euo pipefail
build=${1:?usage: demo-steps.sh BUILD_DIR}
zenithctl=$build/libclient/zenithctl
name=demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Create a Debian bookworm container (the first run debootstraps the base image, ~30-60 s)"
# A throwaway root password goes in on stdin: never on the command line.
head -c 12 /dev/urandom | base64 | run "$zenithctl" create "$name" --release bookworm --memory 512M --cpu 100 --password-stdin

step "List machines"
run "$zenithctl" list

step "Show it"
run "$zenithctl" show "$name"

step "Prove it is alive from inside: its own hostname and its PID 1"
nspawn=$(pgrep -f -- "--machine=$name" | head -n1)
leader=$(pgrep -P "$nspawn" | head -n1)
printf 'hostname inside: %s\n' "$(nsenter -t "$leader" -u hostname)"
printf 'PID 1 inside:    %s\n' "$(nsenter -t "$leader" -m -p cat /proc/1/comm)"

step "Jobs so far"
run "$zenithctl" jobs

step "Stop, then destroy"
run "$zenithctl" stop "$name"
run "$zenithctl" destroy "$name"

step "List machines (empty again)"
run "$zenithctl" list
step "Done: nothing is left but the cached base image in the sandbox state dir"
