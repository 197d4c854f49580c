#!/usr/bin/env bash
# A live run of the auto-scaler on this machine (docs/results.md, "Live run"): starts a
# manager on a fresh data folder with short measuring intervals, plays a scenario's
# policy and load steps against it (scripts/live_run.py), records the pool every
# second, stops the manager, and draws and judges the recording with the simulator
# beside the simulation of the same scenario (`maskfleet simulate --replay`).
#
#   scripts/live-run.sh [--scenario FILE] [--out DIR] [--wait-for-load L]
#
#   --scenario   default scenarios/live/step.toml: its [policy] is PUT to the manager,
#                its [[load]] steps are what loadgen sends (through the balancer)
#   --out        default docs/results/live; what it writes is listed in live_run.py,
#                plus <name>-live.svg, <name>-ours.svg/.csv (the simulation), figures.md
#                (the figures table) and run.txt (when, where, the load average)
#   --wait-for-load L   first wait, up to 20 minutes, for the 1-minute load average to
#                drop below L (others' builds distort a run on a small machine)
#
# The binary is $MASKFLEET_BIN (default build/maskfleet); the photo is the test data's
# maksssksksss180.png; the model $MASKFLEET_MODEL_DIR (default the shared models).
# The manager gets MASKFLEET_MANAGER_COLLECT_SECONDS=1 and
# MASKFLEET_MANAGER_SCALER_SAMPLE_SECONDS=5, an administrator made beforehand with
# `maskfleet user add --admin`, and is stopped with SIGTERM at the end, which must end
# it with status 0 and leave no process behind. Exit status: 0 done, 1 otherwise.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${MASKFLEET_BIN:-$root/build/maskfleet}
shared=${MASKFLEET_SHARED_DIR:-$root/../shared}
scenario=$root/scenarios/live/step.toml
out=$root/docs/results/live
max_load=""
while [ $# -gt 0 ]; do
  case $1 in
    --scenario) scenario=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --wait-for-load) max_load=$2; shift 2 ;;
    *) echo "live-run.sh: unknown argument '$1' (see the comment at the top)" >&2; exit 2 ;;
  esac
done
photo=$shared/testdata/face-mask/images/maksssksksss180.png
export MASKFLEET_MODEL_DIR=${MASKFLEET_MODEL_DIR:-$shared/models/aizoo-face-mask}
export MASKFLEET_AUTH_PASSWORD_HASHING=minimum
export MASKFLEET_MANAGER_COLLECT_SECONDS=1
export MASKFLEET_MANAGER_SCALER_SAMPLE_SECONDS=5
for f in "$bin" "$photo" "$scenario"; do
  [ -e "$f" ] || { echo "live-run.sh: $f not found" >&2; exit 2; }
done
scenario=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")
mkdir -p "$out"
out=$(cd "$out" && pwd)

load1() { cut -d' ' -f1 /proc/loadavg; }
if [ -n "$max_load" ]; then
  for _ in $(seq 20); do
    awk -v l="$(load1)" -v m="$max_load" 'BEGIN { exit !(l < m) }' && break
    echo "live-run.sh: load average $(load1) is not below $max_load; waiting a minute" >&2
    sleep 60
  done
fi
load_before=$(cat /proc/loadavg)

# Short paths: HAProxy's runtime socket lives under the data folder.
tmp=$(mktemp -d /tmp/mf-live.XXXXXX)
manager_pid=""
driver_pid=""
# Every process whose command line names the temporary folder (the workers and
# HAProxy name the data folder).
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "$tmp/" && echo "${p#/proc/}"
  done
  return 0
}
stop_manager() {
  # SIGTERM: the manager drains and stops every worker and HAProxy, then exits 0.
  [ -n "$manager_pid" ] || return 0
  local pid=$manager_pid status=0
  manager_pid=""
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "live-run.sh: the manager did not exit within 60 s of SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" || status=$?
  return $status
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$driver_pid" ]; then kill -TERM "$driver_pid" 2>/dev/null || true; wait "$driver_pid" || true; fi
  stop_manager || true
  local left
  left=$(leftovers)
  if [ -n "$left" ]; then
    echo "live-run.sh: processes left behind, killed: $left" >&2
    kill -KILL $left 2>/dev/null || true
    status=1
  fi
  if [ $status -eq 0 ]; then rm -rf "$tmp"; else echo "live-run.sh: failed; the manager's log is in $tmp/manager.log" >&2; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$tmp/photos"
cp "$photo" "$tmp/photos/"
admin_password=live-run-admin-1
printf '%s\n' "$admin_password" | "$bin" user add --admin --data-dir "$tmp/data" admin >/dev/null

"$bin" manager --data-dir "$tmp/data" --port 0 --lb-port 0 >"$tmp/manager.out" 2>"$tmp/manager.log" </dev/null &
manager_pid=$!
line=""
for _ in $(seq 120); do
  line=$(head -n1 "$tmp/manager.out")
  [ -n "$line" ] && break
  kill -0 "$manager_pid" 2>/dev/null || break
  sleep 0.5
done
if [[ ! $line =~ ^manager\ listening\ on\ (http://[^ ]+)\ load\ balancer\ (http://[^ ]+)$ ]]; then
  echo "live-run.sh: the manager did not start: '$line'" >&2
  tail -20 "$tmp/manager.log" >&2
  exit 1
fi
manager_url=${BASH_REMATCH[1]}
lb_url=${BASH_REMATCH[2]}
echo "live-run.sh: $line" >&2

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$root" rev-parse --short HEAD)
python3 "$root/scripts/live_run.py" --scenario "$scenario" --manager "$manager_url" --lb "$lb_url" \
  --admin admin "$admin_password" --bin "$bin" --photos "$tmp/photos" --out "$out" &
driver_pid=$!
wait "$driver_pid"
driver_pid=""
load_after=$(cat /proc/loadavg)

manager_status=0
stop_manager || manager_status=$?
echo "live-run.sh: the manager exited with status $manager_status" >&2
[ "$manager_status" -eq 0 ] || exit 1

"$bin" simulate "$scenario" --replay "$out/live.csv" --out "$out" --markdown >"$out/figures.md"
cat >"$out/run.txt" <<EOF
scripts/live-run.sh --scenario ${scenario#"$root"/} --out ${out#"$root"/}
started      $started
binary       ${bin#"$root"/} (modified $(date -u -r "$bin" +%Y-%m-%dT%H:%M:%SZ))
commit       $commit (HEAD when the load began; the binary may be older)
machine      $(nproc) CPUs, $(uname -sr)
load before  $load_before
load after   $load_after
manager exit $manager_status
EOF
echo "live-run.sh: done; $out/figures.md:" >&2
cat "$out/figures.md"
