#!/usr/bin/env bash
# Prints one line per conformance report cell found under the given directories, and fails if any
# cell has a failed rule. The kit writes <provider>-jdk<N>-<GC>.md with one table row per rule; a
# container cell adds its directory (containers/target/fiberswitch-conformance/<cell>/). The
# "without-setting" runs of the hostile container cells are meant to fail, and ContainerMatrixTest
# asserts that they do and that the failure names the setting, so they are not cells here.
set -euo pipefail
status=0
printf '%-72s %7s %7s %8s\n' "cell" "passed" "FAILED" "skipped"
while IFS= read -r md; do
  cell=$(basename "$md" .md)
  parent=$(basename "$(dirname "$md")")
  if [ "$parent" != fiberswitch-conformance ]; then
    cell="containers: $parent/$cell"
  else
    cell="$(basename "$(dirname "$(dirname "$(dirname "$md")")")"): $cell"
  fi
  passed=$(grep -c '| passed |' "$md" || true)
  failed=$(grep -c '| FAILED |' "$md" || true)
  skipped=$(grep -c '| skipped |' "$md" || true)
  printf '%-72s %7s %7s %8s\n' "$cell" "$passed" "$failed" "$skipped"
  if [ "$failed" != 0 ]; then status=1; fi
done < <(find "$@" -path '*fiberswitch-conformance*' -not -path '*/without-setting/*' -name '*.md' 2>/dev/null | sort)
exit $status
