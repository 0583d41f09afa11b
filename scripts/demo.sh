#!/usr/bin/env bash
# The main job, end to end on this machine: build the standalone binary, start a real
# EC2 emulator (moto), seed volumes, then run opsctl cleanup-volumes the way an operator
# would: show-config, dry run saved to a plan (exit 10), apply that plan (exit 0), dry run
# again (exit 0), history.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

bun scripts/build.ts --host
bin="$PWD/dist/opsctl-$(node -p 'process.platform + "-" + process.arch')"

# The demo later leaves the repository and unsets the peers variables (opsctl reads every
# OPSCTL_* variable as config): the trap keeps absolute paths and its own copies, so it
# stops what it started on every exit path (end, error, Ctrl-C, kill).
peers_dir="${OPSCTL_PEERS_DIR:-$root/.peers}"
peers_offset="${OPSCTL_PEERS_PORT_OFFSET:-0}"
work=""
started=0
cleanup() {
  if [ "$started" = 1 ]; then
    OPSCTL_PEERS_DIR="$peers_dir" OPSCTL_PEERS_PORT_OFFSET="$peers_offset" bash "$root/scripts/peers.sh" stop moto || true
  fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! bash scripts/peers.sh status moto >/dev/null 2>&1; then
  bash scripts/peers.sh install moto
  # Set before starting: a start that fails half-way is stopped too.
  started=1
  bash scripts/peers.sh start moto
fi
# Only the two values the demo needs: opsctl treats every OPSCTL_* variable as config.
peers_env="$peers_dir/env"
MOTO_URL="$(sed -n 's/^MOTO_URL=//p' "$peers_env")"
MOTO_CLOCK_FILE="$(sed -n 's/^MOTO_CLOCK_FILE=//p' "$peers_env")"
MOTO_URL="$MOTO_URL" MOTO_CLOCK_FILE="$MOTO_CLOCK_FILE" bun scripts/demo-seed.ts
unset OPSCTL_PEERS_DIR OPSCTL_PEERS_PORT_OFFSET

work="$(mktemp -d)"
mkdir -p "$work/.git"
cat >"$work/opsctl.config.yaml" <<YAML
region: us-east-1
aws:
  endpoint: $MOTO_URL
guardrails:
  maxDeletions: 10
YAML
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true
# Locks and the audit log of this demo stay in its own folder.
export XDG_STATE_HOME="$work/state"
cd "$work"
run() {
  echo
  echo "\$ opsctl $*"
  set +e
  "$bin" "$@"
  local rc=$?
  set -e
  echo "(exit $rc)"
}
run cleanup-volumes --environment staging --show-config
run cleanup-volumes --environment staging --dry-run --out plan.json
run apply plan.json
run cleanup-volumes --environment staging --dry-run
run history
