#!/usr/bin/env bash
# One kv_store binary under 64 clients of PUTs to the leader (a fresh 3-member
# cluster on 127.0.0.1, fsync on, TLS on), with loadgen's timeline: what the
# tail-latency figures in docs/benchmarks.md were measured with, two binaries
# at a time in alternation (A/B).
#
#   test/bench/put_timeline.sh KV_STORE_BIN PAYLOAD OUT_PREFIX [SECONDS] [LOADGEN_BIN]
#
# Writes OUT_PREFIX.result (loadgen's output), OUT_PREFIX.timeline (per 100 ms:
# requests ok, the slowest, how many over 10 ms) and OUT_PREFIX.n1.log (the
# first member's log at info: "took a snapshot at index ..." lines). Plot with
# test/bench/plot_timeline.sh. BENCH_TMP=/dev/shm puts the data on tmpfs.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
BIN=$1 PAYLOAD=$2 OUT=$3 SECONDS_=${4:-10}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOADGEN=${5:-$ROOT/build/test/bench/loadgen}
NAME=put-timeline
export ACTRAFT_LOG=info
# shellcheck source=cluster.sh
source "$ROOT/test/bench/cluster.sh"
start_three
"$LOADGEN" --target=kv --urls="$(http 1)" --clients=64 --payload="$PAYLOAD" --keys=10000 \
  --seconds="$SECONDS_" --warmup=2 --timeline="$OUT.timeline" | tee "$OUT.result"
cp "$WORK/n1.log" "$OUT.n1.log"
