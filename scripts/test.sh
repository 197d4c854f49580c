#!/usr/bin/env bash
# Sets everything up, then runs every test. Idempotent. Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MASKFLEET_WERROR=ON "$root/scripts/setup.sh" --for-tests

cd "$root/build"
ctest --output-on-failure --timeout 600 -j"$(nproc)"
