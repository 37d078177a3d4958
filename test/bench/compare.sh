#!/usr/bin/env bash
# actraft's kv_store against etcd 3.4 on this machine, one after the other,
# same load: a 3-member cluster of each on 127.0.0.1 (fsync on, data under one
# temp dir), closed-loop HTTP PUTs of 256-byte values from loadgen at 1, 64 and
# 256 clients, all sent to the leader; then actraft's mailbox path without HTTP
# (mailbox_bench). Then reads on the same clusters (READ_CLIENTS=64): GETs to
# the leader and spread over the members, linearizable (etcd's default range,
# actraft's query), etcd serializable and actraft stale, a 90/10 read/write
# mix, and actraft with --lease-reads. Then PUTs of larger values
# (SIZES="4096 16384", 64 clients) on the same clusters, with a timeline of
# each (loadgen --timeline). Every case also reports the CPU time (user + system) all
# members used per request that ended ok in the measured window (loadgen --cpu-pids).
# Writes the results between the compare:begin/compare:end markers of docs/benchmarks.md.
#
#   test/bench/compare.sh [BUILD_DIR]          # default: build
#
# Environment (all optional): RUN_SECONDS=10 WARMUP=2 PAYLOAD=256 KEYS=10000
# CLIENTS="1 64 256" READ_CLIENTS=64 (empty: no reads) SIZES="4096 16384" (empty: none)
# ENDPOINTS=leader|all DOC=docs/benchmarks.md (DOC=- prints the
# table instead of writing it) KEEP_WORK=1 (keep the temp dir and its logs).
# Security: etcd's members talk over mutual TLS (certificates made here with
# openssl) and actraft runs twice, as it starts by default (mutual TLS, its own
# CA) and with --insecure, to show what TLS costs. Clients use plain HTTP on both.
# etcd comes from Debian's etcd-server; it is installed with apt-get if missing.
# The clusters and the loadgen runs are test/bench/systems.sh's.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_ARG=${1:-build}
case "$BUILD_ARG" in  # relative: to the current dir, else to the repository
  /*) BUILD=$BUILD_ARG ;;
  *) BUILD=$PWD/$BUILD_ARG; [ -d "$BUILD" ] || BUILD=$ROOT/$BUILD_ARG ;;
esac
CLIENTS=${CLIENTS:-1 64 256}
READ_CLIENTS=${READ_CLIENTS-64}
SIZES=${SIZES-4096 16384}
ENDPOINTS=${ENDPOINTS:-leader}
DOC=${DOC:-$ROOT/docs/benchmarks.md}

# shellcheck source=systems.sh
source "$ROOT/test/bench/systems.sh"

urls_of() {  # urls_of ADDRESS_FN LEADER: where the load goes (ENDPOINTS)
  if [ "$ENDPOINTS" = all ]; then list "$1" "$MEMBERS"; else "$1" "$2"; fi
}
all_of() { list "$1" "$MEMBERS"; }

# run_reads PREFIX TARGET ADDRESS_FN LEADER: the read-only cases, on a cluster the PUT cases
# filled (READ_CLIENTS clients each); run_mix: 90 % reads, 10 % writes
run_reads() {
  local p=$1 target=$2 fn=$3 leader=$4 c=$READ_CLIENTS
  [ -n "$c" ] || return 0
  run_loadgen "$p-get-leader" "$target" "$c" "$($fn "$leader")" --op=get
  run_loadgen "$p-get-all" "$target" "$c" "$(all_of "$fn")" --op=get
  run_loadgen "$p-stale-all" "$target" "$c" "$(all_of "$fn")" --op=get --stale
}
# run_sizes PREFIX TARGET URLS: 64 clients of PUTs at each of SIZES, with a timeline
run_sizes() {
  local p=$1 target=$2 urls=$3 v
  for v in $SIZES; do
    run_loadgen "$p-v$v" "$target" 64 "$urls" --op=put --payload="$v" --timeline="$WORK/timeline-$p-$v.txt"
  done
}
run_mix() {
  local p=$1 target=$2 fn=$3 leader=$4 c=$READ_CLIENTS
  [ -n "$c" ] || return 0
  run_loadgen "$p-mix-leader" "$target" "$c" "$($fn "$leader")" --op=mixed --read-pct=90
}

# --- (a) etcd ---------------------------------------------------------------------
start_etcd 3
ETCD_URLS=$(urls_of etcd_client "$LEADER")
for c in $CLIENTS; do run_loadgen etcd etcd "$c" "$ETCD_URLS"; done
run_reads etcd etcd etcd_client "$LEADER"
run_mix etcd etcd etcd_client "$LEADER"
run_sizes etcd etcd "$ETCD_URLS"
stop_all

# --- (b) actraft kv_store ---------------------------------------------------------------
run_kv() {  # run_kv LABEL [flags...]: a fresh 3-member cluster, every client count
  local label=$1; shift
  start_kv 3 "$@"
  KV_URLS=$(urls_of kv_http "$LEADER")
  for c in $CLIENTS; do run_loadgen "$label" kv "$c" "$KV_URLS"; done
  if [ "$label" = kv ] || [ "$label" = kvl ]; then
    local leader=$LEADER commit_before commit_after
    commit_before=$(kv_commit "$leader")
    if [ "$label" = kvl ]; then
      [ -n "$READ_CLIENTS" ] && run_loadgen kvl-get-leader kv "$READ_CLIENTS" "$(kv_http "$leader")" --op=get
    else
      run_reads kv kv kv_http "$leader"
    fi
    commit_after=$(kv_commit "$leader")
    COMMITS[$label]="$commit_before -> $commit_after"
    [ "$label" = kv ] && run_mix kv kv kv_http "$leader"
  fi
  if [ "$label" = kv ]; then run_sizes kv kv "$KV_URLS"; fi
  stop_all
}
declare -A COMMITS
run_kv kv
run_kv kvi --insecure
if [ -n "$READ_CLIENTS" ]; then
  SAVED_CLIENTS=$CLIENTS
  CLIENTS=64  # fill the store, then read from the lease
  run_kv kvl --lease-reads
  CLIENTS=$SAVED_CLIENTS
fi

# --- (c) actraft mailbox path, no HTTP ------------------------------------------------
declare -A MB MBLOAD
for c in 64 1; do
  log "mailbox_bench --clients=$c"
  MBLOAD[$c]=$(load1)
  out=$(timeout $((RUN_SECONDS + 90)) "$MAILBOX" --clients="$c" --seconds="$RUN_SECONDS" \
        --payload="$PAYLOAD" --dir="$WORK/mailbox" 2>&1) || true
  printf '%s\n' "$out" >&2
  MB[$c]=$out
done

# --- the report ---------------------------------------------------------------------------
KV_SHA=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
# Changes other than this document (which the run rewrites) make the commit inexact.
DIRTY=$(git -C "$ROOT" status --porcelain -- . ":(exclude)${DOC#"$ROOT"/}" 2>/dev/null | sed -n 1p || true)
MODE=$([ "$ENDPOINTS" = all ] && echo "spread over the 3 members" || echo "all to the leader")
{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), actraft \`$KV_SHA\`${DIRTY:+ (+ working tree)}, etcd $ETCD_VERSION (Debian)."
  machine_line
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)."
  echo
  echo '```'
  echo "RUN_SECONDS=$RUN_SECONDS WARMUP=$WARMUP PAYLOAD=$PAYLOAD KEYS=$KEYS CLIENTS=\"$CLIENTS\" ENDPOINTS=$ENDPOINTS test/bench/compare.sh $BUILD_ARG"
  echo "# each case: loadgen --target=etcd|kv --urls=LEADER --clients=N --payload=$PAYLOAD --keys=$KEYS --seconds=$RUN_SECONDS --warmup=$WARMUP --op=put"
  echo '```'
  echo
  echo "3 members each on 127.0.0.1, fsync on, members talking over mutual TLS (etcd: '--peer-client-cert-auth'"
  echo "with certificates of one CA; actraft: its own CA and join token, and once more '--insecure' for comparison),"
  echo "PUTs of $PAYLOAD-byte values over HTTP/1.1 keep-alive,"
  echo "requests $MODE; etcd through its v3 JSON gateway (\`POST /v3/kv/put\`, base64 key and value),"
  echo "actraft through kv_store (\`PUT /kv/{key}\`). Latencies in µs. \"CPU/op\" is the CPU time"
  echo "(user + system) of all three members per request that ended ok, in µs. \"load\" is the"
  echo "1-minute load average just before the case started."
  echo
  echo "| case | system | ops/s | p50 | p90 | p99 | p99.9 | CPU/op | errors | load |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in $CLIENTS; do
    for t in etcd kv kvi; do
      r=${R[$t,$c]:-}
      case $t in
        kv) name="actraft kv_store" ;;
        kvi) name="actraft kv_store --insecure" ;;
        *) name="etcd $ETCD_VERSION" ;;
      esac
      if [ -z "$r" ]; then
        echo "| $c client(s) | $name | failed | | | | | | | ${LOAD[$t,$c]:-} |"
      else
        echo "| $c client(s) | $name | $(num "$(field ops_per_s "$r")") | $(num "$(field p50_us "$r")") | $(num "$(field p90_us "$r")") | $(num "$(field p99_us "$r")") | $(num "$(field p999_us "$r")") | $(field cpu_us_per_op "$r") | $(field errors "$r") | ${LOAD[$t,$c]} |"
      fi
    done
  done
  echo
  echo "| case | throughput actraft/etcd | p50 actraft/etcd | p99 actraft/etcd | CPU/op actraft/etcd | throughput TLS/insecure (actraft) | p50 TLS/insecure |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for c in $CLIENTS; do
    a=${R[kv,$c]:-}; e=${R[etcd,$c]:-}; i=${R[kvi,$c]:-}
    echo "| $c client(s) | $(ratio "$(field ops_per_s "$a")" "$(field ops_per_s "$e")") | $(ratio "$(field p50_us "$a")" "$(field p50_us "$e")") | $(ratio "$(field p99_us "$a")" "$(field p99_us "$e")") | $(ratio "$(field cpu_us_per_op "$a")" "$(field cpu_us_per_op "$e")") | $(ratio "$(field ops_per_s "$a")" "$(field ops_per_s "$i")") | $(ratio "$(field p50_us "$a")" "$(field p50_us "$i")") |"
  done
  if [ -n "$READ_CLIENTS" ]; then
    c=$READ_CLIENTS
    row() {  # row CASE NAME KEY
      local r=${R[$3,$c]:-}
      if [ -z "$r" ]; then
        echo "| $1 | $2 | failed | | | | | | ${LOAD[$3,$c]:-} |"
      else
        echo "| $1 | $2 | $(num "$(field ops_per_s "$r")") | $(num "$(field p50_us "$r")") | $(num "$(field p90_us "$r")") | $(num "$(field p99_us "$r")") | $(num "$(field p999_us "$r")") | $(field errors "$r") | ${LOAD[$3,$c]} |"
      fi
    }
    echo
    echo "Reads, $c clients, of the keys the PUT cases wrote (\`loadgen --op=get\`, \`--stale\`,"
    echo "\`--op=mixed --read-pct=90\`): actraft \`GET /kv/{key}\` (a query: no log write) and"
    echo "\`?stale=true\`, etcd \`POST /v3/kv/range\` (linearizable by default) and \`\"serializable\":true\`."
    echo
    echo "| case | system | ops/s | p50 | p90 | p99 | p99.9 | errors | load |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    row "linearizable, to the leader" "etcd $ETCD_VERSION" etcd-get-leader
    row "linearizable, to the leader" "actraft (ReadIndex)" kv-get-leader
    row "linearizable, to the leader" "actraft --lease-reads" kvl-get-leader
    row "linearizable, over 3 members" "etcd $ETCD_VERSION" etcd-get-all
    row "linearizable, over 3 members" "actraft (ReadIndex)" kv-get-all
    row "serializable / stale, over 3 members" "etcd $ETCD_VERSION" etcd-stale-all
    row "serializable / stale, over 3 members" "actraft" kv-stale-all
    row "90 % reads, 10 % writes, to the leader" "etcd $ETCD_VERSION" etcd-mix-leader
    row "90 % reads, 10 % writes, to the leader" "actraft (ReadIndex)" kv-mix-leader
    echo
    echo "| case | throughput actraft/etcd | p99 actraft/etcd |"
    echo "|---|---:|---:|"
    for k in get-leader get-all stale-all mix-leader; do
      a=${R[kv-$k,$c]:-}; e=${R[etcd-$k,$c]:-}
      echo "| $k | $(ratio "$(field ops_per_s "$a")" "$(field ops_per_s "$e")") | $(ratio "$(field p99_us "$a")" "$(field p99_us "$e")") |"
    done
    echo
    echo "actraft's commit index on the leader before and after its read-only cases (a log write would"
    echo "move it; no entry, no fsync): ReadIndex ${COMMITS[kv]:-—}, lease ${COMMITS[kvl]:-—}."
  fi
  if [ -n "$SIZES" ]; then
    size_row() {  # size_row VALUE NAME KEY
      local r=${R[$3,64]:-}
      if [ -z "$r" ]; then
        echo "| $1 | $2 | failed | | | | | | | | ${LOAD[$3,64]:-} |"
      else
        echo "| $1 | $2 | $(num "$(field ops_per_s "$r")") | $(num "$(field p50_us "$r")") | $(num "$(field p90_us "$r")") | $(num "$(field p99_us "$r")") | $(num "$(field p999_us "$r")") | $(num "$(field max_us "$r")") | $(field cpu_us_per_op "$r") | $(field errors "$r") | ${LOAD[$3,64]} |"
      fi
    }
    echo
    echo "Larger values: 64 clients of PUTs to the leader over the same $KEYS keys, after the cases"
    echo "above (so the stores hold $KEYS values of the size by the end). The $PAYLOAD-byte rows are the"
    echo "64-client rows of the first table."
    echo
    echo "| value | system | ops/s | p50 | p90 | p99 | p99.9 | max | CPU/op | errors | load |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if [[ " $CLIENTS " == *" 64 "* ]]; then
      size_row "$PAYLOAD B" "etcd $ETCD_VERSION" etcd
      size_row "$PAYLOAD B" "actraft" kv
    fi
    for v in $SIZES; do
      size_row "$v B" "etcd $ETCD_VERSION" "etcd-v$v"
      size_row "$v B" "actraft" "kv-v$v"
    done
    echo
    echo "| value | throughput actraft/etcd | p99 actraft/etcd | p99.9 actraft/etcd |"
    echo "|---|---:|---:|---:|"
    keys=()
    [[ " $CLIENTS " == *" 64 "* ]] && keys+=("$PAYLOAD:kv:etcd")
    for v in $SIZES; do keys+=("$v:kv-v$v:etcd-v$v"); done
    for k in "${keys[@]}"; do
      IFS=: read -r v ka ke <<<"$k"
      a=${R[$ka,64]:-}; e=${R[$ke,64]:-}
      echo "| $v B | $(ratio "$(field ops_per_s "$a")" "$(field ops_per_s "$e")") | $(ratio "$(field p99_us "$a")" "$(field p99_us "$e")") | $(ratio "$(field p999_us "$a")" "$(field p999_us "$e")") |"
    done
  fi
  echo
  echo "actraft's mailbox path without HTTP (\`mailbox_bench --clients=N --seconds=$RUN_SECONDS --payload=$PAYLOAD\`:"
  echo "3 members in one process, CAF actors proposing on the leader in a closed loop):"
  echo
  echo "| proposers | commits/s | p50 | p90 | p99 | p99.9 | errors | load |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for c in 64 1; do
    m=${MB[$c]:-}
    rate=$(sed -n 's/.*= \([0-9]*\) commits\/s, errors \([0-9]*\).*/\1/p' <<<"$m")
    errs=$(sed -n 's/.*commits\/s, errors \([0-9]*\).*/\1/p' <<<"$m")
    lat=$(sed -n 's/.*p50 \([0-9]*\)  p90 \([0-9]*\)  p99 \([0-9]*\)  p99.9 \([0-9]*\).*/\1 \2 \3 \4/p' <<<"$m")
    read -r l50 l90 l99 l999 <<<"${lat:-}" || true
    if [ -z "$rate" ]; then
      echo "| $c | failed | | | | | | ${MBLOAD[$c]} |"
    else
      echo "| $c | $(num "$rate") | $(num "${l50:-}") | $(num "${l90:-}") | $(num "${l99:-}") | $(num "${l999:-}") | $errs | ${MBLOAD[$c]} |"
    fi
  done
  echo
  echo "<details><summary>raw loadgen lines</summary>"
  echo
  echo '```'
  cat "$WORK/results.txt"
  echo '```'
  echo
  echo "</details>"
} >"$WORK/table.md"

write_block "$DOC" compare "$WORK/table.md"
[ "$DOC" = - ] || cat "$WORK/table.md"
