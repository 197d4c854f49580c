#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang and runs them.
#
#   scripts/fuzz.sh --smoke                  each target for a short while (CI)
#   scripts/fuzz.sh TARGET [SECONDS]         one target (probe, http_form, url, config,
#                                            scenario) for SECONDS (default 600)
#   scripts/fuzz.sh --all [SECONDS]          every target, SECONDS each
#
# Each run starts from the checked-in corpus (tests/fuzz/corpus/TARGET) and keeps what
# it finds in build-fuzz/corpus/TARGET, never in the repository. A crash stops the run
# with the input that caused it in build-fuzz/artifacts/; copy that file into
# tests/fuzz/corpus/TARGET so that the sanitizer build replays it from then on, and add
# a unit test named after what broke. Exits non-zero on a crash, a leak or a sanitizer
# report.
#
# Environment:
#   MASKFLEET_FUZZ_CXX         the clang to build with (default: clang++-19)
#   MASKFLEET_FUZZ_BUILD_DIR   build folder (default: build-fuzz)
#   MASKFLEET_FUZZ_SMOKE_SECONDS  seconds per target with --smoke (default 20)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MASKFLEET_FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${MASKFLEET_FUZZ_CXX:-clang++-19}
targets=(probe http_form url config scenario)

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

case ${1:-} in
  --smoke) selected=("${targets[@]}"); seconds=${MASKFLEET_FUZZ_SMOKE_SECONDS:-20} ;;
  --all) selected=("${targets[@]}"); seconds=${2:-600} ;;
  probe | http_form | url | config | scenario) selected=("$1"); seconds=${2:-600} ;;
  *) usage ;;
esac

command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (Debian package clang-19)" >&2; exit 1; }
CXX=$cxx cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMASKFLEET_FUZZ=ON -DMASKFLEET_BUILD_TESTS=OFF -DMASKFLEET_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build_dir" --target maskfleet_fuzzers -- -j"$(nproc)"

mkdir -p "$build_dir/artifacts"
failed=()
for target in "${selected[@]}"; do
  corpus=$build_dir/corpus/$target
  mkdir -p "$corpus"
  echo "== fuzz_$target: $seconds s"
  # -rss_limit_mb: a target that needs more is a bug; -timeout: one input may take 10 s.
  if ! "$build_dir/tests/fuzz/fuzz_$target" "$corpus" "$root/tests/fuzz/corpus/$target" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$build_dir/artifacts/$target-" 2>"$build_dir/fuzz_$target.log"; then
    failed+=("$target")
    tail -n 60 "$build_dir/fuzz_$target.log" >&2
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)' "$build_dir/fuzz_$target.log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashed: ${failed[*]} (inputs in $build_dir/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#selected[@]} target(s), $seconds s each, no crash"
