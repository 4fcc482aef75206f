#!/usr/bin/env bash
# Prints one line per conformance report cell found under the given directories, and fails if any
# cell has a failed rule. The kit writes <provider>-jdk<N>-<GC>.md with one table row per rule.
set -euo pipefail
status=0
printf '%-52s %7s %7s %8s\n' "cell" "passed" "FAILED" "skipped"
while IFS= read -r md; do
  cell=$(basename "$md" .md)
  passed=$(grep -c '| passed |' "$md" || true)
  failed=$(grep -c '| FAILED |' "$md" || true)
  skipped=$(grep -c '| skipped |' "$md" || true)
  printf '%-52s %7s %7s %8s\n' "$cell" "$passed" "$failed" "$skipped"
  if [ "$failed" != 0 ]; then status=1; fi
done < <(find "$@" -path '*fiberswitch-conformance*' -name '*.md' 2>/dev/null | sort)
exit $status
