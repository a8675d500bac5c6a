#!/usr/bin/env bash
# Installs what building, running and testing Zenith Provisioner needs on
# Debian 12 (as root). Safe to re-run: apt-get only adds what is missing.
set -euo pipefail

packages=(
  # build
  cmake make g++ pkg-config
  libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev libfmt-dev nlohmann-json3-dev
  libsqlite3-dev libcli11-dev libcrypt-dev libgtest-dev libgmock-dev
  # run: the nspawn backend
  systemd-container debootstrap btrfs-progs iproute2 util-linux
  # tests: a private bus with polkit, a client we did not write
  dbus-daemon dbus-bin polkitd pkexec python3 python3-dbus python3-gi sqlite3 libglib2.0-bin
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(lxc hyperfine libbenchmark-dev)
fi

if [[ $EUID -ne 0 ]]; then
  echo "install-deps: run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi
