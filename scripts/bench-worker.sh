#!/usr/bin/env bash
# Benchmark of one worker on loopback: /api/upload with a 640x480 JPEG at
# concurrency 1, 2 and 8 (maskfleet loadgen, closed loop), then GET /healthz and a
# history list (wrk). Prints the figures; docs/performance.md records them.
#
#   scripts/bench-worker.sh          BENCH_SECONDS (default 20) per measurement
#
# Needs a build (scripts/setup.sh), wrk and ImageMagick (scripts/setup.sh --for-tests).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/build/maskfleet
seconds=${BENCH_SECONDS:-20}
shared=${MASKFLEET_SHARED_DIR:-$root/../shared}
work=$(mktemp -d)
worker_pid=
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/photos"
convert "$shared/testdata/face-mask/images/maksssksksss119.png" -resize '640x480!' -quality 90 \
  "$work/photos/photo-640x480.jpg"
printf 'bench-password\n' | "$bin" user add bench --data-dir "$work/data" >/dev/null

"$bin" worker --port 0 --data-dir "$work/data" >"$work/worker.out" 2>"$work/worker.log" &
worker_pid=$!
for _ in $(seq 100); do grep -q listening "$work/worker.out" 2>/dev/null && break; sleep 0.1; done
url=http://$(sed -n 's/^listening on //p' "$work/worker.out")
echo "worker at $url; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

for c in 1 2 8; do
  echo "== POST /api/upload, 640x480 JPEG, concurrency $c, ${seconds} s"
  "$bin" loadgen --concurrency "$c" --duration "$seconds" "$url/api/upload" bench bench-password 0 \
    "$work/photos" 0 | grep -E '^(succeeded|rate|latency)'
done

cookie=$(curl -s -i -H 'Content-Type: application/json' -d '{"username":"bench","password":"bench-password"}' \
  "$url/api/v1/session" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
echo "== GET /healthz, wrk 2 threads, 8 connections, ${seconds} s"
wrk -t2 -c8 -d"${seconds}s" --latency "$url/healthz" | grep -E 'Requests/sec|50%|99%'
echo "== GET /api/v1/images (a history list of 20), wrk 2 threads, 8 connections, ${seconds} s"
wrk -t2 -c8 -d"${seconds}s" --latency -H "Cookie: $cookie" \
  "$url/api/v1/images?category=some_masked&page=1&page_size=20" | grep -E 'Requests/sec|50%|99%'
echo "machine load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
