#!/usr/bin/env bash
# Sets everything up, then runs every test. Idempotent. Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MASKFLEET_WERROR=ON "$root/scripts/setup.sh" --for-tests

cd "$root/build"
# Real PostgreSQL and MariaDB servers on loopback, so that the storage tests run on them too.
trap '"$root/scripts/test-services.sh" stop' EXIT
services=$("$root/scripts/test-services.sh" start)
eval "$services"
ctest --output-on-failure --timeout 600 -j"$(nproc)"
