#!/usr/bin/env bash
# Where a 3-member kv_store cluster spends its CPU under load: PUTs from loadgen to the
# leader, and while they run, for a window of PROFILE_SECONDS each:
#   1. the system calls of every member (perf trace -s), per write committed in the window;
#   2. a CPU profile of the leader (perf record): its samples by thread and by function.
# Writes are counted by the leader's commit index at both ends of each window.
#
#   test/bench/profile.sh [BUILD_DIR] [kv_store flags...]     # default: build
#
# Environment (all optional): CLIENTS=64 PAYLOAD=256 KEYS=10000 PROFILE_SECONDS=5
# KEEP_WORK=1 (keep perf.data and the members' logs). Needs perf (Debian linux-perf) and
# perf_event_paranoid <= 1 or root. The clusters are test/bench/systems.sh's.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-build}
shift || true
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
CLIENTS=${CLIENTS:-64}
WINDOW=${PROFILE_SECONDS:-5}
RUN_SECONDS=$((3 * WINDOW + 6))  # warm-up, the two windows, slack
# shellcheck source=systems.sh
source "$ROOT/test/bench/systems.sh"
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"

start_kv 3 "$@"
leader_pid=${PIDS[$((LEADER - 1))]}
log "loadgen: $CLIENTS clients, $PAYLOAD-byte PUTs to member $LEADER (pid $leader_pid)"
"$LOADGEN" --target=kv --urls="$(kv_http "$LEADER")" --clients="$CLIENTS" --payload="$PAYLOAD" \
  --keys="$KEYS" --seconds="$RUN_SECONDS" --warmup=2 --op=put >"$WORK/loadgen.txt" 2>&1 &
LOADGEN_PID=$!
sleep 4

# 1. system calls per write, per member
c0=$(kv_commit "$LEADER")
TRACERS=()
for i in $(seq 1 "$MEMBERS"); do
  perf trace -s -p "${PIDS[$((i - 1))]}" -o "$WORK/trace$i.txt" -- sleep "$WINDOW" 2>/dev/null &
  TRACERS+=($!)
done
for p in "${TRACERS[@]}"; do wait "$p" || true; done
c1=$(kv_commit "$LEADER")
writes=$((c1 - c0))
[ "$writes" -gt 0 ] || die "no write committed in the trace window"

# 2. the leader's CPU profile
c2=$(kv_commit "$LEADER")
perf record -q -F 999 -g -p "$leader_pid" -o "$WORK/perf.data" -- sleep "$WINDOW" 2>/dev/null
c3=$(kv_commit "$LEADER")
wait "$LOADGEN_PID" || true

echo "== $CLIENTS clients, $PAYLOAD B PUTs; kv_store $*"
grep '^RESULT' "$WORK/loadgen.txt" || true
echo
echo "== system calls per committed write ($writes writes in ${WINDOW} s, $((writes / WINDOW)) writes/s)"
printf '%-16s' syscall
for i in $(seq 1 "$MEMBERS"); do
  if [ "$i" = "$LEADER" ]; then printf '%10s' "leader"; else printf '%10s' "member $i"; fi
done
echo
# perf trace -s: per thread, rows "name calls errors total min avg max stddev"
for i in $(seq 1 "$MEMBERS"); do
  awk '$1 ~ /^[a-z_0-9]+$/ && $2 ~ /^[0-9]+$/ && NF >= 8 { n[$1] += $2 } END { for (s in n) print s, n[s] }' \
    "$WORK/trace$i.txt" >"$WORK/calls$i.txt"
done
cat "$WORK"/calls*.txt | awk '{ t[$1] += $2 } END { for (s in t) print t[s], s }' | sort -rn | head -n 12 |
  while read -r _ sys; do
    printf '%-16s' "$sys"
    for i in $(seq 1 "$MEMBERS"); do
      n=$(awk -v s="$sys" '$1 == s { print $2 }' "$WORK/calls$i.txt")
      awk -v n="${n:-0}" -v w="$writes" 'BEGIN { printf "%10.2f", n / w }'
    done
    echo
  done
echo
echo "== the leader's CPU samples ($((c3 - c2)) writes in ${WINDOW} s), by thread"
perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
  grep -E '^ +[0-9.]+%' | head -n 8
echo
echo "== by function (self), the top 25"
perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
  grep -E '^ +[0-9.]+%' | head -n 25
