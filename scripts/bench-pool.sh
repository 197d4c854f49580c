#!/usr/bin/env bash
# Benchmark of the pool through HAProxy: the manager on loopback, a pool of 1, 2 and
# 4 workers (or BENCH_SIZES) (0.25 CPU each, the default instance size), and /api/upload with a
# 640x480 JPEG through the load balancer's port (maskfleet loadgen, closed loop, two
# requests in flight per worker). Prints throughput and latency per pool size;
# docs/performance.md records them.
#
#   scripts/bench-pool.sh            BENCH_SECONDS (default 30) per pool size,
#                                    BENCH_SIZES (default "1 2 4") the pool sizes
#
# Needs a build (scripts/setup.sh) and ImageMagick (scripts/setup.sh --for-tests).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/build/maskfleet
seconds=${BENCH_SECONDS:-30}
shared=${MASKFLEET_SHARED_DIR:-$root/../shared}
work=$(mktemp -d)
manager_pid=
cleanup() {
  if [ -n "$manager_pid" ]; then kill "$manager_pid" 2>/dev/null; wait "$manager_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/photos"
convert "$shared/testdata/face-mask/images/maksssksksss119.png" -resize '640x480!' -quality 90 \
  "$work/photos/photo-640x480.jpg"
printf 'bench-password\n' | "$bin" user add bench --data-dir "$work/data" >/dev/null
printf 'admin-password\n' | "$bin" user add --admin admin --data-dir "$work/data" >/dev/null

"$bin" manager --port 0 --lb-port 0 --data-dir "$work/data" >"$work/manager.out" 2>"$work/manager.log" &
manager_pid=$!
for _ in $(seq 300); do grep -q 'manager listening' "$work/manager.out" 2>/dev/null && break; sleep 0.1; done
manager=$(sed -n 's/^manager listening on \([^ ]*\) .*/\1/p' "$work/manager.out")
entry=$(sed -n 's/.* load balancer \(.*\)$/\1/p' "$work/manager.out")
[ -n "$manager" ] || { echo "the manager did not start:" >&2; tail -20 "$work/manager.log" >&2; exit 1; }

jar=$work/cookies
csrf=$(curl -sf -c "$jar" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"admin-password"}' "${manager}api/v1/session" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
in_service() {
  curl -sf -b "$jar" "${manager}api/v1/pool" | python3 -c \
    'import json,sys; d=json.load(sys.stdin); print(sum(1 for w in d["workers"] if w["state"]=="in_service" and (w["balancer"] or {}).get("state")=="up"))'
}
echo "manager at $manager, load balancer at $entry; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

for size in ${BENCH_SIZES:-1 2 4}; do
  curl -sf -b "$jar" -X PUT -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    -d "{\"size\": $size}" "${manager}api/v1/pool/size" >/dev/null
  for _ in $(seq 600); do [ "$(in_service)" = "$size" ] && break; sleep 0.1; done
  [ "$(in_service)" = "$size" ] || { echo "the pool did not reach $size workers" >&2; exit 1; }
  concurrency=$((2 * size))
  echo "== $size worker(s), POST /api/upload through HAProxy, 640x480 JPEG, concurrency $concurrency, ${seconds} s"
  "$bin" loadgen --concurrency "$concurrency" --duration "$seconds" "${entry}api/upload" bench bench-password 0 \
    "$work/photos" 0 | grep -E '^(sent|succeeded|failed|rate|latency)'
done
echo "machine load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
