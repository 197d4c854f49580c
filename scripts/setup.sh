#!/usr/bin/env bash
# Sets up everything maskfleet needs, then builds it. Idempotent: a second run on a
# ready machine only checks, and rebuilds what changed.
#
#   scripts/setup.sh               Debian packages, model, build (build/maskfleet)
#   scripts/setup.sh --for-tests   also the packages only tests need
#                                  (scripts/debian-test-packages.txt, tests/requirements.txt)
#
# Environment:
#   MASKFLEET_BUILD_DIR   build folder (default: build)
#   MASKFLEET_BUILD_TYPE  CMake build type (default: what the build folder has, else Release)
#   MASKFLEET_WERROR      ON to treat warnings as errors (the test script sets it;
#                         default: what the build folder has, else OFF)
#   MASKFLEET_OPENCV      which OpenCV to build against: "pinned" (default) is the
#                         release scripts/build-opencv.sh builds once per machine
#                         (20-75 minutes the first time, then cached); "system" is
#                         Debian's libopencv-dev (4.6, inference about 1.6 times as slow)
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

for_tests=0
[ "${1:-}" = --for-tests ] && for_tests=1

install_debian_packages() {
  local wanted missing=() lists=("$root/scripts/debian-packages.txt")
  [ $for_tests -eq 1 ] && lists+=("$root/scripts/debian-test-packages.txt")
  wanted=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${lists[@]}")
  for p in $wanted; do
    # A Node.js already on PATH (NodeSource, nvm, a newer release) is kept: Debian's
    # nodejs and npm would clash with it or shadow it.
    case $p in nodejs | npm) command -v "${p/nodejs/node}" >/dev/null && continue ;; esac
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

# The CMake package folder of the OpenCV to build against (see MASKFLEET_OPENCV). The
# binaries find the pinned libraries through the run path CMake gives them, from
# whatever folder they are started.
opencv_dir() {
  case ${MASKFLEET_OPENCV:-pinned} in
    pinned)
      local prefix
      prefix=$("$root/scripts/build-opencv.sh") || return 1
      echo "$prefix/lib/cmake/opencv4"
      ;;
    system) echo "/usr/lib/$(gcc -print-multiarch)/cmake/opencv4" ;;
    *) log "MASKFLEET_OPENCV must be pinned or system, not ${MASKFLEET_OPENCV}"; return 1 ;;
  esac
}

# With the pinned OpenCV, the tests compare its outputs with Debian's: a second build
# folder against Debian's OpenCV, of which setup builds only the comparison tool (the
# OpenCV benchmark, bench/compare-opencv.sh, builds what else it needs there).
baseline_dir=$build_dir/opencv-system
build_baseline() {
  log "building the OpenCV comparison tool against Debian's OpenCV in $baseline_dir"
  cmake -S "$root" -B "$baseline_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DOpenCV_DIR="$(MASKFLEET_OPENCV=system opencv_dir)" -DMASKFLEET_BASELINE_BUILD_DIR= \
    ${MASKFLEET_WERROR:+-DMASKFLEET_WERROR=$MASKFLEET_WERROR} >/dev/null
  cmake --build "$baseline_dir" --target detect_network_outputs -- -j"$(nproc)"
}

build() {
  log "building in $build_dir"
  # Settings not given keep what the build folder has, so that a plain setup after
  # a test run does not flip flags and rebuild everything.
  local args=()
  if [ -n "${MASKFLEET_BUILD_TYPE:-}" ] || [ ! -f "$build_dir/CMakeCache.txt" ]; then
    args+=("-DCMAKE_BUILD_TYPE=${MASKFLEET_BUILD_TYPE:-Release}")
  fi
  [ -n "${MASKFLEET_WERROR:-}" ] && args+=("-DMASKFLEET_WERROR=$MASKFLEET_WERROR")
  args+=("-DOpenCV_DIR=$opencv_cmake_dir")
  if [ $for_tests -eq 1 ] && [ "${MASKFLEET_OPENCV:-pinned}" = pinned ]; then
    args+=("-DMASKFLEET_BASELINE_BUILD_DIR=$baseline_dir")
  elif [ "${MASKFLEET_OPENCV:-pinned}" = system ]; then
    args+=("-DMASKFLEET_BASELINE_BUILD_DIR=")
  fi
  cmake -S "$root" -B "$build_dir" -G Ninja "${args[@]}" >/dev/null
  # Through ccache (see CMakeLists.txt): a fresh clone compiles only what differs.
  cmake --build "$build_dir" -- -j"$(nproc)"
}

# The web pages (TypeScript bundled by esbuild, from npm) into $build_dir/web, which
# the worker serves. npm ci runs again only when package-lock.json changed.
build_web() {
  local web=$root/web stamp=$root/web/node_modules/.package-lock.sha256
  if [ -f "$stamp" ] && sha256sum --check --status "$stamp" 2>/dev/null; then
    log "npm packages: all present"
  else
    log "npm packages: installing into $web/node_modules"
    (cd "$web" && npm ci --no-audit --no-fund)
    sha256sum "$web/package-lock.json" > "$stamp"
  fi
  log "building the web pages in $build_dir/web"
  (cd "$web" && node build.mjs "$build_dir/web")
}

# Python packages for the black-box tests, in a virtual environment in the build folder.
install_python_test_packages() {
  local venv=$build_dir/venv req=$root/tests/requirements.txt stamp
  [ -f "$req" ] || return 0
  stamp=$venv/.requirements.sha256
  if [ -f "$stamp" ] && sha256sum --check --status "$stamp" 2>/dev/null; then
    log "Python test packages: all present"
    return
  fi
  log "Python test packages: installing into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  sha256sum "$req" > "$stamp"
}

install_debian_packages
[ $for_tests -eq 1 ] && install_python_test_packages
"$root/scripts/fetch-model.sh"
opencv_cmake_dir=$(opencv_dir)
[ $for_tests -eq 1 ] && [ "${MASKFLEET_OPENCV:-pinned}" = pinned ] && build_baseline
build
build_web
log "ready: $build_dir/maskfleet"
