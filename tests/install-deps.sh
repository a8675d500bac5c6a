#!/usr/bin/env bash
# Installs what building, running and testing Zenith Provisioner needs on
# Debian 12 (as root). Safe to re-run: apt-get only adds what is missing.
set -euo pipefail

packages=(
  # build
  cmake make g++ pkg-config
  libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev libfmt-dev nlohmann-json3-dev
  libsqlite3-dev libcli11-dev libcrypt-dev libgtest-dev libgmock-dev
  # build: the host's links as rtnetlink tells them (ListBridges)
  libmnl-dev
  # build: the port forwards and NAT in the project's own nftables table
  libnftables-dev
  # build: the Proxmox API client (HTTPS, its certificate pinned in the
  # handshake through OpenSSL)
  libcurl4-openssl-dev libssl-dev
  # build: bench/ is part of the default build (ZENITH_BUILD_BENCH=ON)
  libbenchmark-dev
  # tests: the fuzzers (tests/fuzz/run.sh): clang with libFuzzer and its
  # sanitizer runtimes, llvm-symbolizer for readable reports
  clang-16 libclang-rt-16-dev llvm-16
  # run: the nspawn backend
  systemd-container debootstrap debian-archive-keyring btrfs-progs iproute2 util-linux
  # run: each machine's SSH host keys (ssh-keygen)
  openssh-client
  # tests: machines on a bridge reach each other (ping from inside their
  # network namespace)
  iputils-ping
  # tests: the nftables ruleset of the daemon's network namespace as nft(8)
  # lists it
  nftables
  # tests: a private bus with polkit, a client we did not write
  dbus-daemon dbus-bin polkitd pkexec python3 python3-dbus python3-gi sqlite3 libglib2.0-bin
  # tests: zenithctl's bash completion as bash runs it
  bash-completion
  # tests: zenithctl --host against a private sshd on 127.0.0.1 (see below)
  openssh-server
  # tests: a local HTTPS server with a certificate made for the test
  openssl
)
if [[ "${1:-}" == "--bench" ]]; then
  # bench/run.sh: the peers it measures against
  packages+=(lxc hyperfine)
fi

if [[ $EUID -ne 0 ]]; then
  echo "install-deps: run as root (apt-get install)" >&2
  exit 1
fi

# PIDs of running sshd processes (procps may not be installed yet).
sshd_pids() {
  local d
  for d in /proc/[0-9]*; do
    if [[ $(cat "$d/comm" 2>/dev/null) == sshd ]]; then echo "${d#/proc/}"; fi
  done | sort
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  others=() fresh_sshd=
  for p in "${missing[@]}"; do
    if [[ $p == openssh-server ]]; then fresh_sshd=1; else others+=("$p"); fi
  done
  if ((${#others[@]})); then
    apt-get install -y -qq --no-install-recommends "${others[@]}"
  fi
  if [[ -n $fresh_sshd ]]; then
    # openssh-server is here only for the bus tests' private sshd (127.0.0.1,
    # a high port, inside the sandbox). Its postinst would start the system
    # sshd (invoke-rc.d ssh start; on port 22 with Debian's config), and the
    # unit would start it again at boot. So: a policy-rc.d that forbids
    # starting services while this package installs - only if the host has
    # none (a host policy, e.g. Docker's "exit 101", stays as it is), removed
    # afterwards - and Debian's own switch /etc/ssh/sshd_not_to_be_run
    # (honoured by ssh.service and /etc/init.d/ssh), which keeps a host that
    # had no sshd without one. Remove that file to run a real sshd.
    own_policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      own_policy=/usr/sbin/policy-rc.d
      trap 'rm -f "$own_policy"' EXIT
      printf '#!/bin/sh\n# tests/install-deps.sh: no service starts while openssh-server installs\nexit 101\n' >"$own_policy"
      chmod 0755 "$own_policy"
    fi
    sshd_before=$(sshd_pids)
    touch /etc/ssh/sshd_not_to_be_run
    apt-get install -y -qq --no-install-recommends openssh-server
    if [[ -n $own_policy ]]; then
      rm -f "$own_policy"
      trap - EXIT
    fi
    sshd_after=$(sshd_pids)
    if [[ $sshd_after != "$sshd_before" ]]; then
      echo "install-deps: installing openssh-server started an sshd (pid $(comm -13 <(echo "$sshd_before") <(echo "$sshd_after") | tr '\n' ' ')); stop it: invoke-rc.d ssh stop" >&2
      exit 1
    fi
    echo "install-deps: openssh-server installed for the tests only; /etc/ssh/sshd_not_to_be_run keeps the system sshd from running"
  fi
else
  echo "install-deps: all ${#packages[@]} packages present"
fi
