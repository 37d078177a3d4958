#!/usr/bin/env bash
# actraft's kv_store against etcd 3.4 on this machine, one after the other,
# same load: a 3-member cluster of each on 127.0.0.1 (fsync on, data under one
# temp dir), closed-loop HTTP PUTs of 256-byte values from loadgen at 1 and 64
# clients, all sent to the leader; then actraft's mailbox path without HTTP
# (mailbox_bench). Then reads on the same clusters (READ_CLIENTS=64): GETs to
# the leader and spread over the members, linearizable (etcd's default range,
# actraft's query), etcd serializable and actraft stale, a 90/10 read/write
# mix, and actraft with --lease-reads. Then PUTs of larger values
# (SIZES="4096 16384", 64 clients) on the same clusters, with a timeline of
# each (loadgen --timeline). Writes the results between the
# compare:begin/compare:end markers of docs/benchmarks.md.
#
#   test/bench/compare.sh [BUILD_DIR]          # default: build
#
# Environment (all optional): RUN_SECONDS=10 WARMUP=2 PAYLOAD=256 KEYS=10000
# CLIENTS="1 64" READ_CLIENTS=64 (empty: no reads) SIZES="4096 16384" (empty: none)
# ENDPOINTS=leader|all DOC=docs/benchmarks.md (DOC=- prints the
# table instead of writing it) KEEP_WORK=1 (keep the temp dir and its logs).
# Security: etcd's members talk over mutual TLS (certificates made here with
# openssl) and actraft runs twice, as it starts by default (mutual TLS, its own
# CA) and with --insecure, to show what TLS costs. Clients use plain HTTP on both.
# etcd comes from Debian's etcd-server; it is installed with apt-get if missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_ARG=${1:-build}
case "$BUILD_ARG" in  # relative: to the current dir, else to the repository
  /*) BUILD=$BUILD_ARG ;;
  *) BUILD=$PWD/$BUILD_ARG; [ -d "$BUILD" ] || BUILD=$ROOT/$BUILD_ARG ;;
esac
RUN_SECONDS=${RUN_SECONDS:-10}
WARMUP=${WARMUP:-2}
PAYLOAD=${PAYLOAD:-256}
KEYS=${KEYS:-10000}
CLIENTS=${CLIENTS:-1 64}
READ_CLIENTS=${READ_CLIENTS-64}
SIZES=${SIZES-4096 16384}
ENDPOINTS=${ENDPOINTS:-leader}
DOC=${DOC:-$ROOT/docs/benchmarks.md}

LOADGEN=$BUILD/test/bench/loadgen
KV=$BUILD/examples/kv_store/kv_store
MAILBOX=$BUILD/test/bench/mailbox_bench

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'compare: %s\n' "$*" >&2; exit 1; }

# --- prerequisites --------------------------------------------------------------
if [ ! -x "$LOADGEN" ] || [ ! -x "$KV" ] || [ ! -x "$MAILBOX" ]; then
  [ -f "$BUILD/CMakeCache.txt" ] || die "$BUILD is not a CMake build dir (configure it first)"
  log "building loadgen kv_store mailbox_bench in $BUILD"
  cmake --build "$BUILD" -j"${JOBS:-1}" --target loadgen kv_store mailbox_bench
fi
if ! command -v etcd >/dev/null 2>&1; then
  log "installing etcd-server (Debian) for the comparison"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server >/dev/null ||
    die "cannot install etcd-server; install it (apt-get install etcd-server) and rerun"
fi
ETCD_VERSION=$(etcd --version | sed -n 's/^etcd Version: //p')
case "$ETCD_VERSION" in 3.4.*) ;; *) log "warning: etcd $ETCD_VERSION, the gateway paths assume 3.4" ;; esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/actraft-compare.XXXXXX")
BASE=${COMPARE_BASE_PORT:-$((20000 + RANDOM % 10000))}  # below the ephemeral range (32768+)
PIDS=()

stop_all() {  # TERM everything we started, then KILL what is left after 5 s
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  local rc=$?
  stop_all
  if [ "${KEEP_WORK:-0}" = 1 ] || [ $rc != 0 ]; then
    echo "compare: logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load1() { cut -d' ' -f1 /proc/loadavg; }
# field NAME LINE: the value of NAME=... in a RESULT line
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# run_loadgen LABEL TARGET CLIENTS URLS [LOADGEN ARGS] -> stores the RESULT line (or "") in
# R[LABEL,CLIENTS]; the load is PUTs unless the arguments say --op=...
declare -A R LOAD
run_loadgen() {
  local label=$1 target=$2 clients=$3 urls=$4 out
  shift 4
  local extra=("$@")
  [ ${#extra[@]} -gt 0 ] || extra=(--op=put)
  LOAD[$label,$clients]=$(load1)
  local cmd=("$LOADGEN" --target="$target" --urls="$urls" --clients="$clients" --payload="$PAYLOAD"
             --keys="$KEYS" --seconds="$RUN_SECONDS" --warmup="$WARMUP" "${extra[@]}")
  log "$label, $clients client(s): ${cmd[*]##*/}"
  out=$(timeout $((RUN_SECONDS + WARMUP + 60)) "${cmd[@]}" 2>&1) || true
  printf '%s\n' "$out" | grep -v '^RESULT' >&2 || true
  R[$label,$clients]=$(grep '^RESULT' <<<"$out" || true)
  printf '%s %s\n' "$label" "${R[$label,$clients]}" >>"$WORK/results.txt"
}

urls_of() {  # urls_of ADDRESS_FN LEADER: where the load goes (ENDPOINTS)
  if [ "$ENDPOINTS" = all ]; then echo "$($1 1),$($1 2),$($1 3)"; else "$1" "$2"; fi
}
all_of() { echo "$($1 1),$($1 2),$($1 3)"; }

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

wait_for() {  # wait_for SECONDS CMD...: retry CMD every 0.1 s
  local limit=$(( $1 * 10 )); shift
  for _ in $(seq 1 "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# --- (a) etcd ---------------------------------------------------------------------
etcd_client() { echo "127.0.0.1:$((BASE + $1))"; }
etcd_peer() { echo "127.0.0.1:$((BASE + 10 + $1))"; }
log "etcd $ETCD_VERSION: 3 members in $WORK (client ports $((BASE + 1))-$((BASE + 3))), peers over mutual TLS"
# A CA and one certificate per member (EC P-256, SAN 127.0.0.1, server and client auth).
PKI=$WORK/etcd-pki
mkdir -p "$PKI"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=etcd-ca \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$PKI/ext.cnf"
for i in 1 2 3; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=e$i" \
    -keyout "$PKI/e$i.key" -out "$PKI/e$i.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/e$i.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
    -extfile "$PKI/ext.cnf" -out "$PKI/e$i.crt" 2>/dev/null
done
CLUSTER="e1=https://$(etcd_peer 1),e2=https://$(etcd_peer 2),e3=https://$(etcd_peer 3)"
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$WORK/etcd$i" \
    --listen-client-urls "http://$(etcd_client "$i")" --advertise-client-urls "http://$(etcd_client "$i")" \
    --listen-peer-urls "https://$(etcd_peer "$i")" --initial-advertise-peer-urls "https://$(etcd_peer "$i")" \
    --peer-cert-file "$PKI/e$i.crt" --peer-key-file "$PKI/e$i.key" --peer-trusted-ca-file "$PKI/ca.crt" \
    --peer-client-cert-auth \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token actraft-compare \
    --quota-backend-bytes=$((8 * 1024 * 1024 * 1024)) --logger=zap --log-outputs=stderr --log-level=warn \
    2>"$WORK/etcd$i.log" &
  PIDS+=($!)
done
etcd_healthy() { curl -sf "http://$(etcd_client "$1")/health" | grep -q '"health":"true"'; }
for i in 1 2 3; do
  wait_for 30 etcd_healthy "$i" || { tail -n 20 "$WORK/etcd$i.log" >&2; die "etcd member $i not healthy"; }
done
etcd_leader() {  # the member (1-3) whose own id equals the leader id it reports
  local i s
  for i in 1 2 3; do
    s=$(curl -sf -X POST -d '{}' "http://$(etcd_client "$i")/v3/maintenance/status") || continue
    [ "$(sed -n 's/.*"member_id":"\([0-9]*\)".*/\1/p' <<<"$s")" = \
      "$(sed -n 's/.*"leader":"\([0-9]*\)".*/\1/p' <<<"$s")" ] && { echo "$i"; return 0; }
  done
  return 1
}
wait_for 10 etcd_leader || die "etcd has no leader"
ETCD_URLS=$(urls_of etcd_client "$(etcd_leader)")
for c in $CLIENTS; do run_loadgen etcd etcd "$c" "$ETCD_URLS"; done
run_reads etcd etcd etcd_client "$(etcd_leader)"
run_mix etcd etcd etcd_client "$(etcd_leader)"
run_sizes etcd etcd "$ETCD_URLS"
stop_all

# --- (b) actraft kv_store ---------------------------------------------------------------
kv_raft() { echo "127.0.0.1:$((BASE + 20 + $1))"; }
kv_http() { echo "127.0.0.1:$((BASE + 30 + $1))"; }
log "actraft kv_store: 3 members in $WORK (http ports $((BASE + 31))-$((BASE + 33))), twice"
KV_FLAGS=()  # kv_store's defaults: heartbeat 50 ms, election 250 ms, mutual TLS
start_kv() {  # start_kv N [peer-node]
  local n=$1 peer=${2:-}
  local args=(--raft-addr="$(kv_raft "$n")" --http-addr="$(kv_http "$n")" --data-dir="$WORK/kv$n" ${KV_FLAGS[@]+"${KV_FLAGS[@]}"})
  [ -n "$peer" ] && args+=(--peer-addr="$(kv_raft "$peer")")
  [ -n "$peer" ] && [ -f "$WORK/kv$peer/join-token" ] && args+=(--join-token-file="$WORK/kv$peer/join-token")
  "$KV" "${args[@]}" 2>"$WORK/kv$n.log" &
  PIDS+=($!)
  wait_for 30 curl -sf "http://$(kv_http "$n")/status" ||
    { tail -n 20 "$WORK/kv$n.log" >&2; die "kv_store node $n did not start"; }
}
kv_three_voters() {
  local s; s=$(curl -sf "http://$(kv_http 1)/status") || return 1
  [ "$(grep -o '"voter":true' <<<"$s" | wc -l)" = 3 ] && ! grep -q '"voter":false' <<<"$s"
}
kv_leader() {
  local i
  for i in 1 2 3; do
    curl -sf "http://$(kv_http "$i")/status" | grep -q '"role":"leader"' && { echo "$i"; return 0; }
  done
  return 1
}
run_kv() {  # run_kv LABEL [flags...]: a fresh 3-member cluster, every client count
  local label=$1; shift
  KV_FLAGS=("$@")
  rm -rf "$WORK"/kv[123]
  log "actraft kv_store ($label): 3 members"
  start_kv 1
  start_kv 2 1
  start_kv 3 1
  wait_for 30 kv_three_voters || die "kv_store cluster did not reach 3 voters"
  wait_for 10 kv_leader || die "kv_store has no leader"
  KV_URLS=$(urls_of kv_http "$(kv_leader)")
  for c in $CLIENTS; do run_loadgen "$label" kv "$c" "$KV_URLS"; done
  if [ "$label" = kv ] || [ "$label" = kvl ]; then
    local leader commit_before commit_after
    leader=$(kv_leader)
    commit_before=$(curl -sf "http://$(kv_http "$leader")/status" | sed -n 's/.*"commit_index":\([0-9]*\).*/\1/p')
    if [ "$label" = kvl ]; then
      [ -n "$READ_CLIENTS" ] && run_loadgen kvl-get-leader kv "$READ_CLIENTS" "$(kv_http "$leader")" --op=get
    else
      run_reads kv kv kv_http "$leader"
    fi
    commit_after=$(curl -sf "http://$(kv_http "$leader")/status" | sed -n 's/.*"commit_index":\([0-9]*\).*/\1/p')
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
num() {  # 12345 -> 12,345; empty -> —
  if [ -n "$1" ]; then sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; else printf '—'; fi
}
ratio() {  # ratio A B: A/B with two decimals, or — if either is missing/zero
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "—"; else printf "%.2f", a / b }'
}
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
FS=$(findmnt -n -o SOURCE,FSTYPE,OPTIONS --target "$WORK" 2>/dev/null | awk '{ print "`" $1 "`, " $2 " (`" $3 "`)" }')
KV_SHA=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
# Changes other than this document (which the run rewrites) make the commit inexact.
DIRTY=$(git -C "$ROOT" status --porcelain -- . ":(exclude)${DOC#"$ROOT"/}" 2>/dev/null | sed -n 1p || true)
MODE=$([ "$ENDPOINTS" = all ] && echo "spread over the 3 members" || echo "all to the leader")
{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), actraft \`$KV_SHA\`${DIRTY:+ (+ working tree)}, etcd $ETCD_VERSION (Debian)."
  echo "Machine: \`nproc\` = $(nproc), $CPU, $MEM; data dirs under \`${WORK%/*}\` on $FS."
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
  echo "actraft through kv_store (\`PUT /kv/{key}\`). Latencies in µs. \"load\" is the 1-minute load"
  echo "average just before the case started."
  echo
  echo "| case | system | ops/s | p50 | p90 | p99 | p99.9 | errors | load |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for c in $CLIENTS; do
    for t in etcd kv kvi; do
      r=${R[$t,$c]:-}
      case $t in
        kv) name="actraft kv_store" ;;
        kvi) name="actraft kv_store --insecure" ;;
        *) name="etcd $ETCD_VERSION" ;;
      esac
      if [ -z "$r" ]; then
        echo "| $c client(s) | $name | failed | | | | | | ${LOAD[$t,$c]:-} |"
      else
        echo "| $c client(s) | $name | $(num "$(field ops_per_s "$r")") | $(num "$(field p50_us "$r")") | $(num "$(field p90_us "$r")") | $(num "$(field p99_us "$r")") | $(num "$(field p999_us "$r")") | $(field errors "$r") | ${LOAD[$t,$c]} |"
      fi
    done
  done
  echo
  echo "| case | throughput actraft/etcd | p50 actraft/etcd | p99 actraft/etcd | throughput TLS/insecure (actraft) | p50 TLS/insecure |"
  echo "|---|---:|---:|---:|---:|---:|"
  for c in $CLIENTS; do
    a=${R[kv,$c]:-}; e=${R[etcd,$c]:-}; i=${R[kvi,$c]:-}
    echo "| $c client(s) | $(ratio "$(field ops_per_s "$a")" "$(field ops_per_s "$e")") | $(ratio "$(field p50_us "$a")" "$(field p50_us "$e")") | $(ratio "$(field p99_us "$a")" "$(field p99_us "$e")") | $(ratio "$(field ops_per_s "$a")" "$(field ops_per_s "$i")") | $(ratio "$(field p50_us "$a")" "$(field p50_us "$i")") |"
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
        echo "| $1 | $2 | failed | | | | | | | ${LOAD[$3,64]:-} |"
      else
        echo "| $1 | $2 | $(num "$(field ops_per_s "$r")") | $(num "$(field p50_us "$r")") | $(num "$(field p90_us "$r")") | $(num "$(field p99_us "$r")") | $(num "$(field p999_us "$r")") | $(num "$(field max_us "$r")") | $(field errors "$r") | ${LOAD[$3,64]} |"
      fi
    }
    echo
    echo "Larger values: 64 clients of PUTs to the leader over the same $KEYS keys, after the cases"
    echo "above (so the stores hold $KEYS values of the size by the end). The $PAYLOAD-byte rows are the"
    echo "64-client rows of the first table."
    echo
    echo "| value | system | ops/s | p50 | p90 | p99 | p99.9 | max | errors | load |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
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

if [ "$DOC" = - ]; then
  cat "$WORK/table.md"
elif grep -q '<!-- compare:begin -->' "$DOC" && grep -q '<!-- compare:end -->' "$DOC"; then
  awk -v table="$WORK/table.md" '
    /<!-- compare:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /<!-- compare:end -->/ { skip = 0 }
    !skip { print }' "$DOC" >"$WORK/doc.md"
  cat "$WORK/doc.md" >"$DOC"
  log "wrote the table into $DOC"
else
  { echo; echo "<!-- compare:begin -->"; cat "$WORK/table.md"; echo "<!-- compare:end -->"; } >>"$DOC"
  log "appended the table to $DOC (no markers found)"
fi
[ "$DOC" = - ] || cat "$WORK/table.md"
