#!/usr/bin/env bash
# Usage: scripts/test-summary.sh LOGFILE
# Reads bun test output (` N pass` / ` N fail` summary lines, possibly from several
# runs: they are summed) and prints one line "N passed, N failed".
# Exit 0 when a summary was found and at least one test ran, 1 otherwise.
set -euo pipefail
log="${1:?usage: $0 LOGFILE}"
[ -r "$log" ] || { echo "test-summary: cannot read $log" >&2; exit 1; }
# strip ANSI colours and CRs, then sum the summary lines
read -r found passed failed < <(
  sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/\r$//' "$log" | awk '
    /^[[:space:]]*[0-9]+ pass[[:space:]]*$/ { p += $1; f_found = 1 }
    /^[[:space:]]*[0-9]+ fail[[:space:]]*$/ { f += $1; f_found = 1 }
    END { printf "%d %d %d\n", f_found, p, f }'
)
if [ "$found" -ne 1 ]; then
  echo "test-summary: no bun test summary (' N pass' / ' N fail') found in $log" >&2
  exit 1
fi
echo "$passed passed, $failed failed"
if [ $((passed + failed)) -eq 0 ]; then
  echo "test-summary: no test ran" >&2
  exit 1
fi
