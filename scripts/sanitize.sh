#!/usr/bin/env bash
# Builds the unit tests under AddressSanitizer and UndefinedBehaviorSanitizer in their
# own folder and runs them, with the fuzz targets' corpora (cmake/MaskfleetSanitize.cmake
# says which tests). Exits non-zero when a test fails or a sanitizer reports.
#
# Environment:
#   MASKFLEET_SANITIZE_BUILD_DIR  build folder (default: build-asan)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MASKFLEET_SANITIZE_BUILD_DIR:-$root/build-asan}

cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMASKFLEET_SANITIZE=ON -DMASKFLEET_BUILD_BENCHMARKS=OFF -DMASKFLEET_WERROR=ON >/dev/null
cmake --build "$build_dir" --target maskfleet_sanitized_tests -- -j"$(nproc)"
# A leak report fails the test too (LeakSanitizer is on by default); the stack of
# every report is printed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
ctest --test-dir "$build_dir" -L sanitize --output-on-failure --timeout 600 -j"$(nproc)"
