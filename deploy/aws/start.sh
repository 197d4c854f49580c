#!/usr/bin/env bash
# Starts maskfleet's manager on the manager instance: its UI on port 5000, the
# pool's controller and the auto-scaler, all in the maskfleet-manager systemd
# service. The image keeps this script in /home/admin/Desktop/start.sh; the
# stack's user data runs it at first boot. Once started, the manager resizes the
# pool to one worker. Safe to run again: it restarts the manager.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: start.sh [--config FILE] [--timeout SECONDS] [--dry-run]

Starts the maskfleet manager (UI, pool controller, auto-scaler) as the systemd
service maskfleet-manager, waits until it answers, and says where it is.

  --config FILE      install FILE as the manager's configuration first
                     (default: the one the stack wrote, /etc/maskfleet/manager.toml)
  --timeout SECONDS  how long to wait for the manager to answer (default 120)
  --dry-run          print the commands, change nothing
  -h, --help         this text

Environment: MASKFLEET_CONFIG_DIR (default /etc/maskfleet) and
MASKFLEET_DATA_DIR (default /var/lib/maskfleet) move those folders, for tests.
EOF
}

config_dir=${MASKFLEET_CONFIG_DIR:-/etc/maskfleet}
data_dir=${MASKFLEET_DATA_DIR:-/var/lib/maskfleet}
config=$config_dir/manager.toml
new_config=""
timeout=120
dry_run=0
while [ $# -gt 0 ]; do
  case $1 in
    --config) new_config=${2:?--config needs a file}; shift 2 ;;
    --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "start.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $timeout in '' | *[!0-9]*) echo "start.sh: --timeout takes whole seconds, not '$timeout'" >&2; exit 2 ;; esac

say() { printf '[start] %s\n' "$*" >&2; }
run() {
  if [ $dry_run -eq 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi
}

# systemctl and /etc/maskfleet need root (the tests' folders do not).
if [ $dry_run -eq 0 ] && [ "$(id -u)" -ne 0 ] && [ -z "${MASKFLEET_CONFIG_DIR:-}" ]; then
  exec sudo "$0" "$@"
fi

if [ -n "$new_config" ]; then
  [ -f "$new_config" ] || { say "error: no file $new_config"; exit 1; }
  run install -m 0644 "$new_config" "$config"
  [ $dry_run -eq 1 ] && config=$new_config
fi
if [ ! -f "$config" ]; then
  say "error: no configuration at $config (the stack's user data writes it; or give --config FILE)"
  exit 1
fi

# The manager's port: [manager] port in the file, 5000 when not set.
port=$(awk '
  /^[[:space:]]*\[/ { section = $0; gsub(/[][[:space:]]/, "", section); next }
  section == "manager" && /^[[:space:]]*port[[:space:]]*=/ {
    value = $0; sub(/^[^=]*=[[:space:]]*/, "", value); sub(/[[:space:]#].*$/, "", value); print value; exit
  }' "$config")
port=${port:-5000}

run systemctl enable maskfleet-manager.service
run systemctl restart maskfleet-manager.service
if [ $dry_run -eq 1 ]; then
  printf '+ wait until http://127.0.0.1:%s/healthz answers\n' "$port"
  exit 0
fi

say "waiting for the manager on port $port"
deadline=$((SECONDS + timeout))
until curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/healthz"; do
  if [ $SECONDS -ge $deadline ]; then
    say "error: the manager does not answer after ${timeout} s; see: journalctl -u maskfleet-manager -n 50"
    exit 1
  fi
  sleep 1
done

# The public address, from the instance metadata (IMDSv2), when there is one.
address=127.0.0.1
if [ "${AWS_EC2_METADATA_DISABLED:-false}" != true ]; then
  token=$(curl -fsS --max-time 1 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    http://169.254.169.254/latest/api/token 2>/dev/null || true)
  if [ -n "$token" ]; then
    address=$(curl -fsS --max-time 1 -H "X-aws-ec2-metadata-token: $token" \
      http://169.254.169.254/latest/meta-data/public-ipv4 2>/dev/null || echo 127.0.0.1)
  fi
fi
echo "manager http://$address:$port/"
if [ -f "$data_dir/initial-admin-password" ]; then
  echo "first login: user admin, password: sudo cat $data_dir/initial-admin-password"
fi
