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
WORK=$(mktemp -d /tmp/actraft-memory.XXXXXX)
BASE=$((20000 + RANDOM % 10000))
declare -A PID

http() { echo "127.0.0.1:$((BASE + 100 + $1))"; }
start_node() {  # start_node N [peer]
  local n=$1 peer=${2:-}
  local args=(--raft-addr="127.0.0.1:$((BASE + n))" --http-addr="$(http "$n")" --data-dir="$WORK/n$n")
  [ -n "$peer" ] && args+=(--peer-addr="127.0.0.1:$((BASE + peer))")
  ACTRAFT_LOG=${ACTRAFT_LOG:-warn} "$BIN" "${args[@]}" 2>>"$WORK/n$n.log" &
  PID[$n]=$!
  for _ in $(seq 1 200); do curl -sf "$(http "$n")/status" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "memory: node $n did not start" >&2; exit 1
}
cleanup() { for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] && echo "logs kept in $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
dir_mb() { du -sm "$1" | cut -f1; }

start_node 1; start_node 2 1; start_node 3 1
for _ in $(seq 1 100); do
  s=$(curl -sf "$(http 1)/status" || true)
  [ "$(grep -o '"voter":true' <<<"$s" | wc -l)" = 3 ] && break; sleep 0.1
done
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
