#!/usr/bin/env bash
# Turns a fresh Debian 12 instance into maskfleet's machine image, which the
# workers and the manager both boot from. Run it as root on the instance, from a
# copy of the repository; then make an image of the instance (docs/aws.md).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/aws/build-worker-image.sh [--from-build DIR] [--model-dir DIR] [--root DIR] [--dry-run]

Turns a fresh Debian 12 instance into maskfleet's image (workers and manager):
  1. the Debian packages maskfleet needs (scripts/debian-packages.txt)
  2. builds maskfleet and its web pages with scripts/setup.sh
  3. installs /opt/maskfleet: bin/maskfleet, bin/web/, models/aizoo-face-mask/
     (every model file checked against its pinned sha256 first), doc/aws.md
  4. the system user maskfleet, and /etc/maskfleet, where the instance's user
     data puts the configuration at boot (worker.toml or manager.toml)
  5. the systemd units; enables maskfleet-worker.path, which starts the worker
     once /etc/maskfleet/worker.toml exists
  6. start.sh, which starts the manager, into /home/admin/Desktop

Options:
  --from-build DIR  take maskfleet and web/ from this build folder (built on
                    Debian 12 x86_64) instead of building (step 2)
  --model-dir DIR   the model's files (default: what scripts/fetch-model.sh puts
                    into models/aizoo-face-mask)
  --root DIR        install under DIR instead of /: no packages, no user, no
                    ownership changes (to look at the result)
  --dry-run         print the commands, change nothing
  -h, --help        this text
EOF
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
from_build=""
model_dir=""
root=/
dry_run=0
while [ $# -gt 0 ]; do
  case $1 in
    --from-build) from_build=${2:?--from-build needs a folder}; shift 2 ;;
    --model-dir) model_dir=${2:?--model-dir needs a folder}; shift 2 ;;
    --root) root=${2:?--root needs a folder}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-worker-image.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1m[image]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# Runs a command, or only prints it with --dry-run.
run() {
  if [ $dry_run -eq 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi
}

root=${root%/}
on_system=0
[ -z "$root" ] && on_system=1
if [ $on_system -eq 1 ] && [ $dry_run -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run it as root (sudo $0), or with --root DIR or --dry-run"
fi
opt=$root/opt/maskfleet

# 1. Debian packages (the build's and the run's: the libraries come with them).
if [ $on_system -eq 1 ]; then
  log "Debian packages"
  mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$repo/scripts/debian-packages.txt")
  run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" cloud-init curl
fi

# 2. maskfleet and its web pages.
if [ -n "$from_build" ]; then
  build=$(cd "$from_build" && pwd)
else
  log "building with scripts/setup.sh"
  run env MASKFLEET_BUILD_TYPE=Release "$repo/scripts/setup.sh"
  build=$repo/build
fi
if [ $dry_run -eq 0 ]; then
  [ -x "$build/maskfleet" ] || die "no maskfleet program in $build"
  [ -d "$build/web" ] || die "no web pages in $build/web"
fi

# The model, checked before anything is installed.
if [ -z "$model_dir" ]; then
  run "$repo/scripts/fetch-model.sh"
  model_dir=$repo/models/aizoo-face-mask
fi
if [ $dry_run -eq 0 ] && ! "$repo/scripts/fetch-model.sh" --verify "$model_dir"; then
  die "the model files in $model_dir fail their sha256 check (docs/model.md); nothing installed"
fi

# 3. /opt/maskfleet: the layout maskfleet finds by itself (web/ beside the
# program, models/ in the folder above it), as in the build folder.
log "installing into $opt"
run install -d -m 0755 "$opt/bin" "$opt/models/aizoo-face-mask" "$opt/doc"
run install -m 0755 "$build/maskfleet" "$opt/bin/maskfleet"
run rm -rf "$opt/bin/web"
run cp -R "$build/web" "$opt/bin/web"
for file in face_mask_detection.prototxt face_mask_detection.caffemodel; do
  run install -m 0644 "$model_dir/$file" "$opt/models/aizoo-face-mask/$file"
done
# The copies are checked again: what is installed is what was verified.
if [ $dry_run -eq 0 ] && ! "$repo/scripts/fetch-model.sh" --verify "$opt/models/aizoo-face-mask"; then
  die "the installed model files in $opt/models/aizoo-face-mask fail their sha256 check"
fi
run install -m 0644 "$repo/docs/aws.md" "$opt/doc/aws.md"

# 4. The service user and the configuration folder (no secret is ever in it).
run install -d -m 0755 "$root/etc/maskfleet"
if [ $on_system -eq 1 ]; then
  if ! id maskfleet >/dev/null 2>&1; then
    run useradd --system --user-group --home-dir /var/lib/maskfleet --no-create-home \
      --shell /usr/sbin/nologin maskfleet
  fi
fi

# 5. The units: a worker starts as soon as its configuration exists; the manager
# starts from start.sh.
log "installing the systemd units"
run install -d -m 0755 "$root/etc/systemd/system"
for unit in maskfleet-worker.service maskfleet-worker.path maskfleet-manager.service; do
  run install -m 0644 "$repo/deploy/aws/systemd/$unit" "$root/etc/systemd/system/$unit"
done
if [ $on_system -eq 1 ]; then
  run systemctl daemon-reload
  run systemctl enable maskfleet-worker.path
else
  run systemctl --root="$root" enable maskfleet-worker.path
fi

# 6. start.sh for the manager, in the Desktop folder of Debian's default user.
desktop=$root/home/admin/Desktop
run install -d -m 0755 "$desktop"
run install -m 0755 "$repo/deploy/aws/start.sh" "$desktop/start.sh"
if [ $on_system -eq 1 ] && id admin >/dev/null 2>&1; then
  run chown admin:admin "$desktop" "$desktop/start.sh"
fi

log "done: $opt/bin/maskfleet"
if [ $on_system -eq 1 ]; then
  log "next: make an image of this instance (docs/aws.md)"
fi
