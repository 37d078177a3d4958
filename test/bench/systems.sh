# Shared by compare.sh and matrix.sh (sourced, not run): etcd (Debian's etcd-server) and
# actraft's kv_store as clusters of N members on 127.0.0.1, fsync on, data under one temp
# dir; loadgen runs that also measure the servers' CPU time; everything started is stopped
# on exit, failure included (KEEP_WORK=1 keeps the temp dir and the members' logs).
#
# Members talk over mutual TLS unless told otherwise: etcd with certificates of a CA made
# here with openssl ('--peer-client-cert-auth'), kv_store as it starts by default (its own
# CA and join token). start_etcd N plain and kv_store's --insecure turn it off. Clients
# use plain HTTP on both.
#
# The sourcing script sets BUILD (a CMake build dir) and may set RUN_SECONDS WARMUP PAYLOAD
# KEYS; this file sets LOADGEN KV MAILBOX WORK BASE and the arrays below. The helpers for
# reports (field, num, ratio, write_block) are report.sh's.
LOADGEN=$BUILD/test/bench/loadgen
KV=$BUILD/examples/kv_store/kv_store
MAILBOX=$BUILD/test/bench/mailbox_bench
RUN_SECONDS=${RUN_SECONDS:-10}
WARMUP=${WARMUP:-2}
PAYLOAD=${PAYLOAD:-256}
KEYS=${KEYS:-10000}

# shellcheck source=report.sh
source "${BASH_SOURCE[0]%/*}/report.sh"

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

WORK=$(mktemp -d "${TMPDIR:-/tmp}/actraft-bench.XXXXXX")
BASE=${COMPARE_BASE_PORT:-$((20000 + RANDOM % 10000))}  # below the ephemeral range (32768+)
PIDS=()  # the members of the cluster that runs now

stop_all() {  # TERM every member, then KILL what is left after 5 s
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
    echo "${0##*/}: logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {  # wait_for SECONDS CMD...: retry CMD every 0.1 s
  local limit=$(( $1 * 10 )); shift
  for _ in $(seq 1 "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
# list FN N: FN 1, FN 2 ... FN N joined by commas (the members' addresses)
list() { local i out=""; for i in $(seq 1 "$2"); do out+="${out:+,}$($1 "$i")"; done; echo "$out"; }

# run_loadgen LABEL TARGET CLIENTS URLS [LOADGEN ARGS] -> the RESULT line (or "") in
# R[LABEL,CLIENTS], with the members' CPU time per request; the load is PUTs unless the
# arguments say --op=...; a later --payload, --warmup or --seconds overrides the defaults.
declare -A R LOAD
run_loadgen() {
  local label=$1 target=$2 clients=$3 urls=$4 out pids
  shift 4
  local extra=("$@")
  [ ${#extra[@]} -gt 0 ] || extra=(--op=put)
  pids=$(IFS=,; echo "${PIDS[*]}")
  LOAD[$label,$clients]=$(load1)
  local cmd=("$LOADGEN" --target="$target" --urls="$urls" --clients="$clients" --payload="$PAYLOAD"
             --keys="$KEYS" --seconds="$RUN_SECONDS" --warmup="$WARMUP" --cpu-pids="$pids" "${extra[@]}")
  log "$label, $clients client(s): ${cmd[*]##*/}"
  out=$(timeout $((RUN_SECONDS + WARMUP + 90)) "${cmd[@]}" 2>&1) || true
  printf '%s\n' "$out" | grep -v '^RESULT' >&2 || true
  R[$label,$clients]=$(grep '^RESULT' <<<"$out" || true)
  printf '%s %s\n' "$label" "${R[$label,$clients]}" >>"$WORK/results.txt"
}

# --- etcd -------------------------------------------------------------------------------
etcd_client() { echo "127.0.0.1:$((BASE + $1))"; }
etcd_peer() { echo "127.0.0.1:$((BASE + 10 + $1))"; }
etcd_pki() {  # a CA and one certificate per member (EC P-256, SAN 127.0.0.1, both auths)
  local pki=$WORK/etcd-pki i
  [ -f "$pki/ca.crt" ] && return 0
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=etcd-ca \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$pki/ext.cnf"
  for i in 1 2 3 4 5; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=e$i" \
      -keyout "$pki/e$i.key" -out "$pki/e$i.csr" 2>/dev/null
    openssl x509 -req -in "$pki/e$i.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
      -extfile "$pki/ext.cnf" -out "$pki/e$i.crt" 2>/dev/null
  done
}
etcd_healthy() { curl -sf "http://$(etcd_client "$1")/health" | grep -q '"health":"true"'; }
etcd_leader() {  # the member whose own id equals the leader id it reports
  local i s
  for i in $(seq 1 "$MEMBERS"); do
    s=$(curl -sf -X POST -d '{}' "http://$(etcd_client "$i")/v3/maintenance/status") || continue
    [ "$(sed -n 's/.*"member_id":"\([0-9]*\)".*/\1/p' <<<"$s")" = \
      "$(sed -n 's/.*"leader":"\([0-9]*\)".*/\1/p' <<<"$s")" ] && { echo "$i"; return 0; }
  done
  return 1
}
start_etcd() {  # start_etcd MEMBERS [plain]: a fresh cluster; sets MEMBERS and LEADER
  MEMBERS=$1
  local mode=${2:-tls} scheme=https i cluster="" tls=()
  [ "$mode" = plain ] && scheme=http
  [ "$mode" = plain ] || etcd_pki
  rm -rf "$WORK"/etcd[0-9]
  log "etcd $ETCD_VERSION: $MEMBERS members (client ports $((BASE + 1))-$((BASE + MEMBERS))), peers over $scheme"
  for i in $(seq 1 "$MEMBERS"); do cluster+="${cluster:+,}e$i=$scheme://$(etcd_peer "$i")"; done
  for i in $(seq 1 "$MEMBERS"); do
    tls=()
    [ "$mode" = plain ] || tls=(--peer-cert-file "$WORK/etcd-pki/e$i.crt" --peer-key-file "$WORK/etcd-pki/e$i.key"
                                --peer-trusted-ca-file "$WORK/etcd-pki/ca.crt" --peer-client-cert-auth)
    etcd --name "e$i" --data-dir "$WORK/etcd$i" \
      --listen-client-urls "http://$(etcd_client "$i")" --advertise-client-urls "http://$(etcd_client "$i")" \
      --listen-peer-urls "$scheme://$(etcd_peer "$i")" --initial-advertise-peer-urls "$scheme://$(etcd_peer "$i")" \
      ${tls[@]+"${tls[@]}"} \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token actraft-compare \
      --quota-backend-bytes=$((8 * 1024 * 1024 * 1024)) --logger=zap --log-outputs=stderr --log-level=warn \
      2>"$WORK/etcd$i.log" &
    PIDS+=($!)
  done
  for i in $(seq 1 "$MEMBERS"); do
    wait_for 30 etcd_healthy "$i" || { tail -n 20 "$WORK/etcd$i.log" >&2; die "etcd member $i not healthy"; }
  done
  wait_for 10 etcd_leader || die "etcd has no leader"
  LEADER=$(etcd_leader)
}

# --- actraft kv_store -------------------------------------------------------------------
kv_raft() { echo "127.0.0.1:$((BASE + 20 + $1))"; }
kv_http() { echo "127.0.0.1:$((BASE + 30 + $1))"; }
kv_status() { curl -sf "http://$(kv_http "$1")/status"; }
kv_voters() {  # all MEMBERS members vote, as member 1 sees it
  local s; s=$(kv_status 1) || return 1
  [ "$(grep -o '"voter":true' <<<"$s" | wc -l)" = "$MEMBERS" ] && ! grep -q '"voter":false' <<<"$s"
}
kv_leader() {
  local i
  for i in $(seq 1 "$MEMBERS"); do
    kv_status "$i" | grep -q '"role":"leader"' && { echo "$i"; return 0; }
  done
  return 1
}
kv_commit() { kv_status "$1" | sed -n 's/.*"commit_index":\([0-9]*\).*/\1/p'; }
start_kv() {  # start_kv MEMBERS [kv_store flags...]: a fresh cluster; sets MEMBERS and LEADER
  MEMBERS=$1; shift
  local i args
  rm -rf "$WORK"/kv[0-9]
  log "actraft kv_store: $MEMBERS members (http ports $((BASE + 31))-$((BASE + 30 + MEMBERS))) $*"
  for i in $(seq 1 "$MEMBERS"); do
    args=(--raft-addr="$(kv_raft "$i")" --http-addr="$(kv_http "$i")" --data-dir="$WORK/kv$i" "$@")
    if [ "$i" -gt 1 ]; then
      args+=(--peer-addr="$(kv_raft 1)")
      [ -f "$WORK/kv1/join-token" ] && args+=(--join-token-file="$WORK/kv1/join-token")
    fi
    "$KV" "${args[@]}" 2>"$WORK/kv$i.log" &
    PIDS+=($!)
    wait_for 30 kv_status "$i" || { tail -n 20 "$WORK/kv$i.log" >&2; die "kv_store member $i did not start"; }
  done
  wait_for 30 kv_voters || die "kv_store cluster did not reach $MEMBERS voters"
  wait_for 10 kv_leader || die "kv_store has no leader"
  LEADER=$(kv_leader)
}

# machine_line: what the figures were taken on
machine_line() {
  local cpu mem fs
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  fs=$(findmnt -n -o SOURCE,FSTYPE,OPTIONS --target "$WORK" 2>/dev/null | awk '{ print "`" $1 "`, " $2 " (`" $3 "`)" }')
  echo "Machine: \`nproc\` = $(nproc), $cpu, $mem; data dirs under \`${WORK%/*}\` on $fs."
}
