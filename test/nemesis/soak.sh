#!/usr/bin/env bash
# make soak MINUTES=30: back-to-back nemesis runs with random seeds and random
# fault schedules (3 and 5 nodes in turn, up to 2 minutes of faults each) for
# that long. A failing run keeps its history, events, node logs and output in
# the soak directory printed at the start; passing runs leave nothing.
#
#   test/nemesis/soak.sh BUILD_DIR MINUTES [extra nemesis flags...]
set -u
build=${1:-build}
minutes=${2:-30}
shift 2 2>/dev/null || true
bin="$build/test/nemesis/nemesis"
[ -x "$bin" ] || { echo "soak: $bin not built" >&2; exit 2; }
dir="${NEMESIS_SOAK_DIR:-$build/nemesis-soak/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
echo "soak: $minutes minute(s) of nemesis runs; failing runs are kept in $dir"

end=$(( $(date +%s) + minutes * 60 ))
runs=0
failed=0
ops=0
declare -A kinds  # fault kind -> how many ran, over every run
while [ "$(date +%s)" -lt "$end" ]; do
  runs=$((runs + 1))
  nodes=$(( runs % 2 == 1 ? 3 : 5 ))
  seed=$(( ((RANDOM << 15) | RANDOM) % 1000000 + 1 ))
  left=$(( end - $(date +%s) ))
  secs=$(( left < 120 ? left : 120 ))
  [ "$secs" -lt 20 ] && secs=20
  out="$dir/run$runs-${nodes}nodes-seed$seed"
  "$bin" --nodes="$nodes" --seed="$seed" --seconds="$secs" --out="$out" "$@" > "$out.txt" 2>&1
  rc=$?
  result=$(grep '^\[.*\] RESULT' "$out.txt" | tail -1 | sed 's/^\[[^]]*\] //')
  n=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<< "$result")
  ops=$(( ops + ${n:-0} ))
  for kv in $(grep '^\[.*\] faults:' "$out.txt" | tail -1 | sed 's/^.*faults://'); do
    kinds[${kv%%=*}]=$(( ${kinds[${kv%%=*}]:-0} + ${kv##*=} ))
  done
  if [ "$rc" -eq 0 ]; then
    rm -f "$out.txt"
    echo "soak: run $runs: $result"
  else
    failed=$((failed + 1))
    mkdir -p "$out" && mv "$out.txt" "$out/output.txt"
    echo "soak: run $runs FAILED (exit $rc): ${result:-no result line}"
    grep 'FAILED:\|rerun' "$out/output.txt" | head -5 | sed 's/^/      /'
    echo "      kept in $out"
  fi
done
tally=""
for k in $(printf '%s\n' "${!kinds[@]}" | sort); do tally+=" $k=${kinds[$k]}"; done
echo "soak: faults and operations run:${tally:- none}"
if [ "$failed" -gt 0 ]; then
  echo "soak: $runs run(s), $ops operations checked, $failed FAILED (kept in $dir)"
else
  echo "soak: $runs run(s), $ops operations checked, none failed"
fi
[ "$failed" -eq 0 ]
