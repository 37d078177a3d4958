#!/usr/bin/env bash
# Failover time of a 3-node kv_store cluster: kill -9 the leader while a
# client writes, measure the time from the kill to the next acknowledged
# write through a survivor, restart the killed node, repeat.
#   test/bench/failover.sh [BUILD_DIR] [TRIALS]     (defaults: build 20)
# Default timeouts (heartbeat 50 ms, election 250 ms). Everything on 127.0.0.1.
set -euo pipefail

BUILD=${1:-build}
TRIALS=${2:-20}
BIN="$BUILD/examples/kv_store/kv_store"
[ -x "$BIN" ] || { echo "failover: $BIN not built (make build)" >&2; exit 1; }
NAME=failover
source "$(dirname "$0")/cluster.sh"
leader_of() {
  for n in 1 2 3; do
    [ -n "${PID[$n]:-}" ] || continue
    curl -sf -m 0.5 "$(http "$n")/status" 2>/dev/null | grep -q '"role":"leader"' && { echo "$n"; return 0; }
  done
  return 0
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_three

times=()
for t in $(seq 1 "$TRIALS"); do
  L=""; for _ in $(seq 1 100); do L=$(leader_of); [ -n "$L" ] && break; sleep 0.05; done
  [ -n "$L" ] || { echo "failover: no leader before trial $t" >&2; exit 1; }
  S=$(( L % 3 + 1 ))
  # The cluster must be writing before the kill (bounded retries).
  for _ in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 -X PUT --data warm "$(http "$S")/kv/warm")" = 204 ] && break
    sleep 0.1
  done
  kill -9 "${PID[$L]}"; wait "${PID[$L]}" 2>/dev/null || true; unset "PID[$L]"
  t0=$(now_ms)
  # Writes through a survivor until one is acknowledged (each bounded to 1 s).
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 -X PUT --data "v$t" "$(http "$S")/kv/failover")" = 204 ]; do
    [ $(( $(now_ms) - t0 )) -gt 20000 ] && { echo "failover: no write within 20 s" >&2; exit 1; }
  done
  dt=$(( $(now_ms) - t0 ))
  times+=("$dt")
  printf 'trial %2d: killed leader node %d, next acknowledged write after %4d ms\n' "$t" "$L" "$dt"
  start_node "$L"
  # Let the restarted node catch up before the next kill.
  for _ in $(seq 1 100); do
    [ "$(curl -s -m 0.5 "$(http "$L")/kv/failover?stale=true")" = "v$t" ] && break; sleep 0.05
  done
done

sorted=$(printf '%s\n' "${times[@]}" | sort -n)
pick() { sed -n "$1p" <<<"$sorted"; }
n=${#times[@]}
p50=$(pick $(( (n + 1) / 2 ))); p99=$(pick $(( (n * 99 + 99) / 100 )))
echo "RESULT failover trials=$n p50_ms=$p50 p99_ms=$p99 min_ms=$(pick 1) max_ms=$(pick "$n") load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
