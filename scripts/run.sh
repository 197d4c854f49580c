#!/usr/bin/env bash
# Sets everything up, then runs maskfleet's main job. Idempotent.
#
# Until the manager exists, the main job is the detector: it runs on the photos
# given as arguments (default: a few annotated samples from ../shared/testdata)
# and writes the annotated pictures to build/sample-output.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"

if [ $# -eq 0 ]; then
  samples=$root/../shared/testdata/face-mask/images
  set -- "$samples/maksssksksss21.png" "$samples/maksssksksss119.png" "$samples/maksssksksss522.png"
fi
out=$root/build/sample-output
"$root/build/maskfleet" detect --out "$out" "$@"
echo "annotated images: $out" >&2
