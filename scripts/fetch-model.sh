#!/usr/bin/env bash
# Puts the AIZOO face-mask model into models/aizoo-face-mask (not tracked by git).
# Idempotent. Takes the files, in this order, from:
#   1. models/aizoo-face-mask itself, when its files already check out;
#   2. $MASKFLEET_MODEL_SOURCE, or ../shared/models/aizoo-face-mask beside the
#      repository (linked, not copied);
#   3. the upstream repository at a pinned commit (needs internet).
# Every file is checked against its sha256 sum; a mismatch is an error, never used.
#
#   scripts/fetch-model.sh --verify DIR   only checks: exits 0 when DIR holds every
#                                         model file with its pinned sum, else 1
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$root/models/aizoo-face-mask
upstream=https://raw.githubusercontent.com/AIZOOTech/FaceMaskDetection/256dc65f726cb78d82936b2c61c55a5adc2cf05d/models

declare -A sha256=(
  [face_mask_detection.prototxt]=8de363802d3557f3d9ff7e72dd61eead60f5e9e145bb962d7979b99ff85d4212
  [face_mask_detection.caffemodel]=3c2e89cffdc9459a69dd5c2e4c1ca263e6488a56a5a37d81ca2ff32344fbf740
)

log() { printf '\033[1m[model]\033[0m %s\n' "$*" >&2; }

# True when `dir` holds every model file with the right checksum.
verified() {
  local dir=$1 name
  for name in "${!sha256[@]}"; do
    [ -f "$dir/$name" ] || return 1
    echo "${sha256[$name]}  $dir/$name" | sha256sum --check --status || return 1
  done
}

if [ "${1:-}" = --verify ]; then
  [ -n "${2:-}" ] || { log "usage: $0 --verify DIR"; exit 2; }
  verified "$2"
  exit
fi

if verified "$dest"; then
  log "present in $dest"
  exit 0
fi

mkdir -p "$dest"
for source in "${MASKFLEET_MODEL_SOURCE:-}" "$root/../shared/models/aizoo-face-mask"; do
  if [ -n "$source" ] && verified "$source"; then
    source=$(cd "$source" && pwd)
    for name in "${!sha256[@]}"; do ln -sfn "$source/$name" "$dest/$name"; done
    log "linked from $source"
    exit 0
  fi
done

log "downloading from the upstream repository"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in "${!sha256[@]}"; do
  if ! curl -fsSL --retry 3 --max-time 120 -o "$tmp/$name" "$upstream/$name"; then
    log "error: cannot download $name; put the model files into $dest by hand (see docs/model.md)"
    exit 1
  fi
done
if ! verified "$tmp"; then
  log "error: downloaded files fail their sha256 check; refusing to use them"
  exit 1
fi
for name in "${!sha256[@]}"; do mv -f "$tmp/$name" "$dest/$name"; done
log "downloaded and verified into $dest"
