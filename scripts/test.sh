#!/usr/bin/env bash
# Sets everything up, then runs every test. Idempotent. Exits non-zero on any failure.
# The last lines printed are CTest's summary.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MASKFLEET_WERROR=ON "$root/scripts/setup.sh" --for-tests

cd "$root/build"
# Real PostgreSQL and MariaDB servers on loopback, so that the storage and API
# tests run on them too. Stopped however the run ends; quietly after CTest, so
# that its summary stays the last thing printed.
trap '"$root/scripts/test-services.sh" stop >/dev/null 2>&1' EXIT
services=$("$root/scripts/test-services.sh" start)
eval "$services"
ctest --output-on-failure --timeout 900 -j"$(nproc)"
