#!/usr/bin/env bash
# Sets everything up, then runs every test: the main suite (CTest), then the unit tests
# again under AddressSanitizer and UndefinedBehaviorSanitizer with the fuzz corpora
# (scripts/sanitize.sh, build-asan/), then a short run of each fuzz target
# (scripts/fuzz.sh --smoke, build-fuzz/). Idempotent. Exits non-zero on any failure.
# The last lines printed say which of the three passed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MASKFLEET_WERROR=ON "$root/scripts/setup.sh" --for-tests

cd "$root/build"
# Real PostgreSQL and MariaDB servers on loopback, so that the storage and API
# tests run on them too. Stopped however the run ends; quietly, so that the
# summary line stays the last thing printed.
trap '"$root/scripts/test-services.sh" stop >/dev/null 2>&1' EXIT
services=$("$root/scripts/test-services.sh" start)
eval "$services"
main=ok sanitizers=ok fuzz=ok
ctest --output-on-failure --timeout 900 -j"$(nproc)" || main=FAILED
"$root/scripts/sanitize.sh" || sanitizers=FAILED
"$root/scripts/fuzz.sh" --smoke || fuzz=FAILED
echo "main suite: $main; sanitizer build: $sanitizers; fuzz smoke run: $fuzz"
[ "$main$sanitizers$fuzz" = okokok ]
