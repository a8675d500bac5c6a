#!/bin/bash
# The installed bash completion of zenithctl, driven the way bash drives it:
# commands, options per command, option values, spec keys after --set, and
# nothing offered that zenithctl would refuse (--password-hash in argv).
# Usage: zenithctl_completion_check.sh COMPLETION_FILE
set -uo pipefail
. /usr/share/bash-completion/bash_completion
. "$1"
fail=0

# complete WORDS...: COMPREPLY for the last word of the line.
complete_line() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _zenithctl zenithctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

expect() {  # expect WHAT GOT WANT-SUBSTRING
    if [[ " $2" != *" $3 "* ]]; then
        echo "FAIL: $1: '$3' not offered (got: $2)"
        fail=1
    fi
}
refuse() {
    if [[ " $2" == *" $3 "* ]]; then
        echo "FAIL: $1: '$3' offered (got: $2)"
        fail=1
    fi
}

got=$(complete_line zenithctl cr)
expect "command" "$got" create
got=$(complete_line zenithctl "")
for c in create clone destroy start stop template list show jobs cancel images; do expect "commands" "$got" "$c"; done
got=$(complete_line zenithctl create web1 --pass)
expect "create options" "$got" --password-stdin
expect "create options" "$got" --password-hash-file
refuse "create options" "$got" --password-hash
got=$(complete_line zenithctl destroy web1 --f)
expect "destroy options" "$got" --force
got=$(complete_line zenithctl create web1 --backend "")
expect "backend values" "$got" proxmox-lxc
# The Proxmox cluster commands (extension).
got=$(complete_line zenithctl "")
for c in backup nodes storages isos templates health backups; do expect "commands" "$got" "$c"; done
got=$(complete_line zenithctl destroy web1 --b)
expect "destroy options" "$got" --backup-first
got=$(complete_line zenithctl backup web1 --)
expect "backup options" "$got" --storage
expect "backup options" "$got" --mode
expect "backup options" "$got" --dry-run
refuse "backup options" "$got" --force
got=$(complete_line zenithctl backup web1 --mode "")
expect "backup modes" "$got" snapshot
expect "backup modes" "$got" stop
got=$(complete_line zenithctl nodes --b)
expect "nodes options" "$got" --backend
got=$(complete_line zenithctl stop web1 --b)
refuse "stop options" "$got" --backup-first
got=$(complete_line zenithctl --js)
expect "global options" "$got" --json

if ((fail)); then
    echo "zenithctl completion: FAILED"
    exit 1
fi
echo "zenithctl completion: all checks passed"
