#!/usr/bin/env bash
# Sets everything up, then runs maskfleet on this machine: the manager's UI on
# http://127.0.0.1:5000/, HAProxy on http://127.0.0.1:8080/ in front of a pool of
# one worker, all state under data/ (or $MASKFLEET_DATA_DIR). Runs until Ctrl-C,
# which drains and stops every worker and HAProxy. Idempotent. Extra arguments go
# to `maskfleet manager` (for example --port 5001 --lb-port 8081).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
exec "$root/build/maskfleet" manager --data-dir "${MASKFLEET_DATA_DIR:-$root/data}" "$@"
