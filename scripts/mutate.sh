#!/usr/bin/env bash
# Mutation testing of the pure components: scripts/mutate.sh [--check] [COMPONENT...]
# (components: the lists in scripts/mutants/). See docs/development.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# mutate.py restores each file itself, also on Ctrl-C; this puts back any file whose
# backup from this run is still there, should it have been killed outright.
export MUTATE_RUN_ID=$$
restore_backups() {
  local backup
  while IFS= read -r -d '' backup; do
    mv -f -- "$backup" "${backup%.mutate-backup-"$MUTATE_RUN_ID"}"
    echo "mutate.sh: restored ${backup%.mutate-backup-"$MUTATE_RUN_ID"}" >&2
  done < <(find src -name "*.mutate-backup-$MUTATE_RUN_ID" -print0)
}
trap restore_backups EXIT
trap 'exit 130' INT TERM HUP

python3 scripts/mutate.py "$@"
