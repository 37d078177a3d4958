#!/usr/bin/env bash
# Memory of a 3-node kv_store cluster under a long write load: 64 clients
# PUT 256-byte values over 10,000 keys until WRITES writes were acknowledged;
# after every round the RSS of each member and the size of its data
# directory are printed. With compaction both stay flat: the log is cut
# behind each snapshot, the store holds at most 10,000 keys.
#   test/bench/memory.sh [BUILD_DIR] [WRITES]     (defaults: build 1000000)
set -euo pipefail

BUILD=${1:-build}
WRITES=${2:-1000000}
BIN="$BUILD/examples/kv_store/kv_store"
LOADGEN="$BUILD/test/bench/loadgen"
for b in "$BIN" "$LOADGEN"; do [ -x "$b" ] || { echo "memory: $b not built (make build)" >&2; exit 1; }; done
NAME=memory
source "$(dirname "$0")/cluster.sh"
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
dir_mb() { du -sm "$1" | cut -f1; }

start_three
URLS="$(http 1),$(http 2),$(http 3)"

report() {  # report WRITES_SO_FAR
  local line="writes $1:"
  for n in 1 2 3; do line+=$(printf '  n%d rss %6s MB dir %4s MB' "$n" "$(rss_mb "${PID[$n]}")" "$(dir_mb "$WORK/n$n")"); done
  echo "$line"
}
report 0
done_writes=0
first=""; peak=0
while [ "$done_writes" -lt "$WRITES" ]; do
  out=$("$LOADGEN" --target=kv --urls="$URLS" --clients=64 --payload=256 --keys=10000 --seconds=15 --warmup=0 --op=put)
  ops=$(grep -o 'ops=[0-9]*' <<<"$out" | head -1 | cut -d= -f2)
  done_writes=$((done_writes + ops))
  report "$done_writes"
  for n in 1 2 3; do
    r=$(rss_mb "${PID[$n]}"); r=${r%.*}
    [ -z "$first" ] && first=$r
    [ "$r" -gt "$peak" ] && peak=$r
  done
done
last=0; for n in 1 2 3; do r=$(rss_mb "${PID[$n]}"); r=${r%.*}; [ "$r" -gt "$last" ] && last=$r; done
echo "RESULT memory writes=$done_writes rss_first_round_mb=$first rss_peak_mb=$peak rss_last_max_mb=$last load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
