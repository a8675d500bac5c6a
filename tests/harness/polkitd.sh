#!/bin/bash
# polkitd.sh start|stop - restart the sandbox's polkitd from inside a test
# (e.g. to check that an unreachable polkit means AccessDenied). Only valid in
# a command run by sandbox.sh.
set -euo pipefail
: "${ZENITH_SANDBOX:?polkitd.sh runs only inside tests/harness/sandbox.sh}"
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
case ${1:-} in
    start) zenith_start_polkitd ;;
    stop) zenith_stop_polkitd ;;
    *) echo "usage: polkitd.sh start|stop" >&2; exit 2 ;;
esac
