#!/usr/bin/env bash
# Sets up everything maskfleet needs, then builds it. Idempotent: a second run on a
# ready machine only checks, and rebuilds what changed.
#
#   scripts/setup.sh            Debian packages, model, build (build/maskfleet)
#
# Environment:
#   MASKFLEET_BUILD_DIR   build folder (default: build)
#   MASKFLEET_BUILD_TYPE  CMake build type (default: Release)
#   MASKFLEET_WERROR      ON to treat warnings as errors (the test script sets it)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MASKFLEET_BUILD_DIR:-$root/build}

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else log "need root to run: $*"; exit 1
  fi
}

install_debian_packages() {
  local wanted missing=()
  wanted=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$root/scripts/debian-packages.txt")
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all present"
    return
  fi
  log "Debian packages: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  log "building in $build_dir"
  cmake -S "$root" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${MASKFLEET_BUILD_TYPE:-Release}" \
    -DMASKFLEET_WERROR="${MASKFLEET_WERROR:-OFF}" >/dev/null
  cmake --build "$build_dir" -- -j"$(nproc)"
}

install_debian_packages
"$root/scripts/fetch-model.sh"
build
log "ready: $build_dir/maskfleet"
