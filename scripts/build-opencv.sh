#!/usr/bin/env bash
# Builds the pinned OpenCV release that maskfleet links (only the modules it uses:
# core, imgproc, imgcodecs, dnn) from its official source, once per machine, and
# prints the folder it is installed in. Idempotent: a second run with the same
# version and build flags finds the finished build in the cache and only prints it.
#
#   scripts/build-opencv.sh            build if missing, print the install prefix
#   scripts/build-opencv.sh --prefix   print the install prefix without building
#
# The source comes from the package registry: the source distribution of PyPI's
# opencv-python-headless holds the whole OpenCV tree (checked by sha256 below).
# Its download needs scikit-build in the virtual environment that pip runs in, so
# the script makes one for it.
#
# Environment:
#   MASKFLEET_CACHE_DIR   where builds are kept (default: /var/cache/maskfleet when
#                         writable, else ~/.cache/maskfleet)
#   MASKFLEET_OPENCV_JOBS parallel compile jobs (default: nproc)
set -euo pipefail

opencv_version=4.10.0
pypi_package=opencv-python-headless
pypi_version=4.10.0.84
pypi_sha256=f2017c6101d7c2ef8d7bc3b414c37ff7f54d64413a1847d89970b6b7069b4e1a
scikit_build_version=0.18.1

log() { printf '\033[1m[opencv]\033[0m %s\n' "$*" >&2; }

# Every flag that changes the result is part of the cache key.
cmake_flags=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_LIST=core,imgproc,imgcodecs,dnn
  -DBUILD_SHARED_LIBS=ON
  -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOCS=OFF
  -DBUILD_opencv_apps=OFF -DBUILD_JAVA=OFF -DBUILD_opencv_python3=OFF
  -DBUILD_opencv_python2=OFF
  # The codecs maskfleet reads come from Debian's libraries; nothing else is built.
  -DWITH_JPEG=ON -DBUILD_JPEG=OFF -DWITH_PNG=ON -DBUILD_PNG=OFF -DWITH_WEBP=ON -DBUILD_WEBP=OFF
  -DBUILD_ZLIB=OFF -DWITH_TIFF=OFF -DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF -DWITH_OPENEXR=OFF
  -DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF -DWITH_IMGCODEC_PXM=OFF
  -DWITH_IMGCODEC_PFM=OFF -DWITH_AVIF=OFF -DWITH_SPNG=OFF
  # No GUI, video, GPU or downloads at configure time (IPP would fetch a binary).
  -DWITH_GTK=OFF -DWITH_QT=OFF -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF
  -DWITH_OPENCL=OFF -DWITH_CUDA=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF -DWITH_IPP=OFF
  -DWITH_ITT=OFF -DWITH_LAPACK=OFF -DWITH_EIGEN=OFF -DWITH_OPENVINO=OFF -DWITH_VULKAN=OFF
  -DWITH_TBB=OFF -DWITH_OPENMP=OFF -DWITH_PTHREADS_PF=ON
  # The DNN module's model importers need protobuf: OpenCV's own copy, as upstream ships it.
  -DWITH_PROTOBUF=ON -DBUILD_PROTOBUF=ON -DOPENCV_DNN_OPENCL=OFF -DWITH_FLATBUFFERS=ON
  # x86-64: SSE3 always; the faster kernels (AVX2 and FMA: Winograd convolution) are
  # chosen at run time by the processor.
  -DCPU_BASELINE=SSE3 "-DCPU_DISPATCH=SSE4_1;SSE4_2;AVX;FP16;AVX2"
  -DOPENCV_GENERATE_PKGCONFIG=OFF -DINSTALL_C_EXAMPLES=OFF
  # The libraries find each other beside themselves wherever the cache is.
  '-DCMAKE_INSTALL_RPATH=$ORIGIN'
)

cache_root=${MASKFLEET_CACHE_DIR:-}
if [ -z "$cache_root" ]; then
  if mkdir -p /var/cache/maskfleet 2>/dev/null && [ -w /var/cache/maskfleet ]; then
    cache_root=/var/cache/maskfleet
  else
    cache_root=$HOME/.cache/maskfleet
  fi
fi
key=$(printf '%s\n' "$pypi_sha256" "${cmake_flags[@]}" | sha256sum | cut -c1-12)
prefix=$cache_root/opencv-$opencv_version-$key

if [ "${1:-}" = --prefix ]; then
  echo "$prefix"
  exit 0
fi
if [ -f "$prefix/.complete" ]; then
  log "OpenCV $opencv_version: built already in $prefix"
  echo "$prefix"
  exit 0
fi

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/opencv-work.XXXXXX")
trap 'rm -rf "$work"' EXIT

sdist=$cache_root/$pypi_package-$pypi_version.tar.gz
if [ -f "$sdist" ] && echo "$pypi_sha256  $sdist" | sha256sum --check --status; then
  log "source: $sdist (checked)"
else
  log "source: downloading $pypi_package $pypi_version (95 MB)"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q --disable-pip-version-check "scikit-build==$scikit_build_version"
  "$work/venv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: \
    --no-build-isolation "$pypi_package==$pypi_version" -d "$work/download"
  if ! echo "$pypi_sha256  $work/download/$pypi_package-$pypi_version.tar.gz" | sha256sum --check --status; then
    log "the downloaded source does not have the expected sha256 sum: refused"
    exit 1
  fi
  mv "$work/download/$pypi_package-$pypi_version.tar.gz" "$sdist"
fi

log "unpacking"
tar -xzf "$sdist" -C "$work" "$pypi_package-$pypi_version/opencv"
source_dir=$work/$pypi_package-$pypi_version/opencv

log "configuring OpenCV $opencv_version (core, imgproc, imgcodecs, dnn) for $prefix"
started=$(date +%s)
cmake -S "$source_dir" -B "$work/build" -G Ninja "${cmake_flags[@]}" \
  -DCMAKE_INSTALL_PREFIX="$prefix.partial" >"$work/configure.log" 2>&1 || {
  tail -40 "$work/configure.log" >&2
  exit 1
}
log "building with ${MASKFLEET_OPENCV_JOBS:-$(nproc)} jobs (20-40 minutes on 2 cores; once per machine)"
cmake --build "$work/build" -- -j"${MASKFLEET_OPENCV_JOBS:-$(nproc)}" >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2
  exit 1
}
rm -rf "$prefix.partial"
cmake --install "$work/build" >/dev/null
# The install is taken as done only whole: a build cut short leaves no prefix behind.
rm -rf "$prefix"
mv "$prefix.partial" "$prefix"
# The prefix was renamed after installing: CMake's package files name it relatively,
# but the shared libraries are found through the run path the build gives them.
printf 'opencv %s from %s %s, built in %s s\n' "$opencv_version" "$pypi_package" "$pypi_version" \
  "$(($(date +%s) - started))" >"$prefix/.complete"
log "OpenCV $opencv_version installed in $prefix in $(($(date +%s) - started)) s"
echo "$prefix"
