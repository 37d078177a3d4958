# Shared by the benchmark scripts (sourced, not run): a kv_store cluster on
# 127.0.0.1 with node N's Raft port at BASE+N and its HTTP port at
# BASE+100+N, logs and data under WORK, removed on exit (KEEP_WORK=1 keeps
# them). Needs BIN (the kv_store binary) and NAME (for messages).
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/actraft-$NAME.XXXXXX")
BASE=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768+)
declare -A PID

http() { echo "127.0.0.1:$((BASE + 100 + $1))"; }
start_node() {  # start_node N [peer]
  local n=$1 peer=${2:-}
  local args=(--raft-addr="127.0.0.1:$((BASE + n))" --http-addr="$(http "$n")" --data-dir="$WORK/n$n")
  [ -n "$peer" ] && args+=(--peer-addr="127.0.0.1:$((BASE + peer))" --join-token-file="$WORK/n$peer/join-token")
  # KV_ARGS: extra kv_store flags for every node (experiments).
  # shellcheck disable=SC2086
  ACTRAFT_LOG=${ACTRAFT_LOG:-warn} "$BIN" "${args[@]}" ${KV_ARGS:-} 2>>"$WORK/n$n.log" &
  PID[$n]=$!
  for _ in $(seq 1 200); do curl -sf "$(http "$n")/status" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "$NAME: node $n did not start" >&2; exit 1
}
cleanup() { for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] && echo "logs kept in $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
# Starts nodes 1..3 (2 and 3 join through 1) and waits until all three vote.
start_three() {
  start_node 1; start_node 2 1; start_node 3 1
  for _ in $(seq 1 100); do
    s=$(curl -sf "$(http 1)/status" || true)
    [ "$(grep -o '"voter":true' <<<"$s" | wc -l)" = 3 ] && return 0; sleep 0.1
  done
  echo "$NAME: the cluster did not form" >&2; exit 1
}
