#!/usr/bin/env bash
# The whole suite, from a fresh machine with Node and npm (after `npm ci`):
# installs and starts the real test servers unless they are already up, builds the
# binary for this host (the e2e tests run it; on linux-x64 also linux-arm64, run under qemu), runs every test with bun, and ends with
# one line "N passed, N failed". Servers it started are stopped again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p .tmp

started=0
if ! bash scripts/peers.sh status >/dev/null 2>&1; then
  bash scripts/peers.sh install
  bash scripts/peers.sh start
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then bash scripts/peers.sh stop || true; fi; }
trap cleanup EXIT

# On linux-x64 also the linux-arm64 binary: the suite runs it under qemu-user.
if [ "$(uname -sm)" = "Linux x86_64" ]; then
  bun scripts/build.ts --target linux-x64 --target linux-arm64
else
  bun scripts/build.ts --host
fi
# The example team binary: the built-in commands plus examples/commands (the SDK's proof).
bun scripts/build.ts --host --commands examples/commands --name opsctl-example

log=.tmp/test.log
set +e
bun test --timeout 60000 "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
bash scripts/test-summary.sh "$log" || rc=1
exit "$rc"
