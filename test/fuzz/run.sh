#!/usr/bin/env bash
# Runs every fuzzer for SECONDS each, from its seed corpus (test/fuzz/corpus/<target>,
# copied: the repository is not written to), under ASan and UBSan with a memory
# cap. Exits non-zero on the first crash, leak, timeout or out-of-memory; the
# reproducer is kept in the directory printed.
#   test/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_ARG=${1:-build-fuzz}
case "$BUILD_ARG" in /*) BUILD=$BUILD_ARG ;; *) BUILD=$PWD/$BUILD_ARG ;; esac
SECONDS_EACH=${2:-20}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/actraft-fuzz.XXXXXX")
status=0
for target in fuzz_wire fuzz_decode fuzz_records fuzz_snapshot fuzz_core fuzz_http; do
  corpus="$WORK/$target"
  mkdir -p "$corpus"
  [ -d "$ROOT/test/fuzz/corpus/$target" ] && cp "$ROOT/test/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  echo "== $target: ${SECONDS_EACH} s"
  if ! (cd "$WORK" && "$BUILD/test/fuzz/$target" -max_total_time="$SECONDS_EACH" -timeout=10 \
          -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1 "$corpus" \
          >"$WORK/$target.log" 2>&1); then
    echo "fuzz: $target failed; its log and reproducer are in $WORK" >&2
    if [ -f "$WORK/$target.log" ]; then tail -n 40 "$WORK/$target.log" >&2; fi
    status=1
    continue
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$WORK/$target.log" | tr '\n' ' '
  echo
done
[ $status = 0 ] && rm -rf "$WORK"
exit $status
