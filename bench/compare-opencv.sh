#!/usr/bin/env bash
# The pinned OpenCV against Debian's, side by side on the same photos, in one run:
#   1. detector_bench over the 40 dev photos (one OpenCV thread): inference alone per
#      pass, the whole path of an upload in each quality setting, its ratio to
#      inference alone; the builds alternate, ROUNDS times each, medians reported;
#   2. a worker of each build on loopback, /api/upload with a 640x480 JPEG at
#      concurrency 2 (two detections at once, one OpenCV thread each: the worker's
#      defaults) for BENCH_SECONDS in each quality setting, builds alternating.
# Prints a table of each with the ratio of the builds; docs/performance.md records it.
#
#   bench/compare-opencv.sh        ROUNDS (default 3), BENCH_SECONDS (default 15),
#                                  WORKERS=0 to run only part 1 (then the second build
#                                  needs only detector_bench, not the whole project)
#
# Needs scripts/setup.sh --for-tests (which makes build/opencv-system, against
# Debian's OpenCV); builds what it needs there, and ImageMagick's convert.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
new=$root/build
old=$root/build/opencv-system
rounds=${ROUNDS:-3}
workers=${WORKERS:-1}
seconds=${BENCH_SECONDS:-15}
shared=${MASKFLEET_SHARED_DIR:-$root/../shared}
export MASKFLEET_SHARED_DIR=$shared MASKFLEET_MODEL_DIR=$shared/models/aizoo-face-mask
work=$(mktemp -d)
worker_pid=
cleanup() {
  if [ -n "$worker_pid" ]; then kill "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

[ -d "$old" ] || { echo "no $old: run scripts/setup.sh --for-tests first" >&2; exit 1; }
targets=(detector_bench)
[ "$workers" = 0 ] || targets+=(maskfleet)
cmake --build "$new" --target "${targets[@]}" >/dev/null
cmake --build "$old" --target "${targets[@]}" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. The detector over the dev photos.
for round in $(seq "$rounds"); do
  for build in new old; do
    dir=$new
    [ $build = old ] && dir=$old
    "$dir/bench/detector_bench" --benchmark_filter='^BM_Dev' --benchmark_format=json \
      --benchmark_min_time=1 >"$work/bench-$build-$round.json" 2>/dev/null
  done
done
python3 - "$work" "$rounds" <<'EOF'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def per_photo(build):
    runs = {}
    for r in range(1, rounds + 1):
        with open(f"{work}/bench-{build}-{r}.json") as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            runs.setdefault(b["name"], []).append(b["per_photo"] * 1000)
    return {k: statistics.median(v) for k, v in runs.items()}, runs
new, new_runs = per_photo("new")
old, old_runs = per_photo("old")
print(f"\n== detector over the 40 dev photos, one OpenCV thread, median of {rounds} alternating runs (ms per photo)")
print(f"{'':34} {'OpenCV 4.6':>11} {'pinned':>11} {'pinned/4.6':>11}")
rows = [("inference alone (one pass)", "BM_DevInference"),
        ("whole path, fast", "BM_DevWholePath/0"),
        ("whole path, thorough", "BM_DevWholePath/1")]
for label, key in rows:
    print(f"{label:34} {old[key]:11.1f} {new[key]:11.1f} {new[key] / old[key]:11.2f}")
# Each round's two runs are next to each other in time, under about the same load.
paired = sorted(new_runs["BM_DevInference"][r] / old_runs["BM_DevInference"][r] for r in range(rounds))
print(f"{'inference, each round pinned/4.6':34} {'':11} {'':11} " + " ".join(f"{x:.2f}" for x in paired))
for label, key in rows[1:]:
    print(f"{label + ' / inference alone':34} {old[key] / old['BM_DevInference']:11.2f} "
          f"{new[key] / new['BM_DevInference']:11.2f}")
print(f"{'thorough / fast':34} {old['BM_DevWholePath/1'] / old['BM_DevWholePath/0']:11.2f} "
      f"{new['BM_DevWholePath/1'] / new['BM_DevWholePath/0']:11.2f}")
EOF

[ "$workers" = 0 ] && exit 0

# 2. The worker's uploads per second.
mkdir -p "$work/photos"
convert "$shared/testdata/face-mask/images/maksssksksss119.png" -resize '640x480!' -quality 90 \
  "$work/photos/photo-640x480.jpg"
upload_rate() {  # build folder, quality -> uploads/s
  local bin=$1/maskfleet data=$work/data-$RANDOM
  printf 'bench-password\n' | "$bin" user add bench --data-dir "$data" >/dev/null
  MASKFLEET_WORKER_DETECTION_QUALITY=$2 "$bin" worker --port 0 --data-dir "$data" \
    >"$work/worker.out" 2>"$work/worker.log" &
  worker_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/worker.out" 2>/dev/null && break; sleep 0.1; done
  local url
  url=http://$(sed -n 's/^listening on //p' "$work/worker.out")
  "$bin" loadgen --concurrency 2 --duration "$seconds" "$url/api/upload" bench bench-password 0 \
    "$work/photos" 0 2>/dev/null | sed -n 's/^rate.*, \([0-9.]*\) succeeded.*/\1/p'
  kill "$worker_pid"
  wait "$worker_pid" 2>/dev/null || true
  worker_pid=
  rm -rf "$data"
}
echo
echo "== worker POST /api/upload, 640x480 JPEG, concurrency 2, ${seconds} s each, builds alternating (uploads/s)"
printf '%-10s %11s %11s %11s\n' quality "OpenCV 4.6" pinned pinned/4.6
for quality in fast thorough; do
  old_rate=$(upload_rate "$old" "$quality")
  new_rate=$(upload_rate "$new" "$quality")
  printf '%-10s %11s %11s %11.2f\n' "$quality" "$old_rate" "$new_rate" "$(echo "$new_rate / $old_rate" | bc -l)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
