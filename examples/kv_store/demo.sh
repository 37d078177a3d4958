#!/usr/bin/env bash
# A live three-node kv_store cluster on this machine, step by step: writes and
# reads through different members, kill -9 of the leader, a new leader with
# every acknowledged key still there, the old leader restarting from disk and
# catching up, leadership handed over on request. Everything runs on 127.0.0.1
# and is removed at the end. Run from a terminal, it waits for Enter between
# steps, so the live cluster page (printed below) can be watched meanwhile.
set -euo pipefail

BIN=${1:-build/examples/kv_store/kv_store}
[ -x "$BIN" ] || { echo "demo: $BIN not built (run: make build)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/actraft-demo.XXXXXX)
BASE=${DEMO_BASE_PORT:-$((20000 + RANDOM % 10000))}  # below the ephemeral range (32768+)
declare -A PID

step() {
  # Interactive: one step at a time, so the live page can show each.
  if [ -t 0 ] && [ -z "${DEMO_NO_PAUSE:-}" ] && [ -n "${PAUSE_READY:-}" ]; then
    read -r -p "   (Enter: next step) " _ || true
  fi
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
say() { printf '   %s\n' "$*"; }
raft_port() { echo $((BASE + $1)); }
http_port() { echo $((BASE + 100 + $1)); }
http() { echo "127.0.0.1:$(http_port "$1")"; }

start_node() {  # start_node N [peer-node]
  local n=$1 peer=${2:-}
  local args=(--raft-addr="127.0.0.1:$(raft_port "$n")" --http-addr="$(http "$n")"
              --data-dir="$WORK/node$n")
  [ -n "$peer" ] && args+=(--peer-addr="127.0.0.1:$(raft_port "$peer")"
                            --join-token-file="$WORK/node$peer/join-token")
  "$BIN" "${args[@]}" 2>>"$WORK/node$n.log" &
  PID[$n]=$!
  for _ in $(seq 1 100); do
    curl -sf "$(http "$n")/status" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "demo: node $n did not start; its log:" >&2; cat "$WORK/node$n.log" >&2; exit 1
}

cleanup() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The first "name":value of a JSON object (the node's own fields come first).
field() { grep -o "\"$2\":\"\{0,1\}[^,\"]*" <<<"$1" | head -n 1 | sed 's/.*[:"]//'; }
status_line() {
  local s; s=$(curl -sf "$(http "$1")/status" || true)
  [ -z "$s" ] && { echo "node $1: down"; return; }
  echo "node $1: id=$(field "$s" id) role=$(field "$s" role) term=$(field "$s" term) leader=$(field "$s" leader_id) commit=$(field "$s" commit_index) applied=$(field "$s" applied_index)"
}
leader_of() {  # prints the node number (1-3) that is leader, if any
  for n in 1 2 3; do
    curl -sf "$(http "$n")/status" 2>/dev/null | grep -q '"role":"leader"' && { echo "$n"; return 0; }
  done
  return 0
}

step "Starting a 3-node cluster in $WORK"
start_node 1;   say "node 1 leads a new cluster   (raft 127.0.0.1:$(raft_port 1), http $(http 1))"
say "it created the cluster's CA and a join token: $WORK/node1/join-token"
start_node 2 1; say "node 2 joins through node 1 with the token  (raft 127.0.0.1:$(raft_port 2), http $(http 2))"
start_node 3 2; say "node 3 joins through node 2 with the token  (raft 127.0.0.1:$(raft_port 3), http $(http 3))"
sleep 0.5
for n in 1 2 3; do say "$(status_line "$n")"; done
say ""
say "Watch it live: open http://$(http 1)/ in a browser (any member serves the page)"
PAUSE_READY=1

step "Strangers cannot join (members talk over mutual TLS)"
stranger() {  # stranger DESCRIPTION [extra flags...]
  local what=$1; shift
  local out
  out=$("$BIN" --raft-addr="127.0.0.1:$(raft_port 4)" --http-addr="$(http 4)" --data-dir="$WORK/stranger" \
        --peer-addr="127.0.0.1:$(raft_port 1)" --request-timeout-ms=1000 "$@" 2>&1 | grep 'kv_store:' | tail -n 1) || true
  rm -rf "$WORK/stranger"
  say "$what -> ${out:-no answer}"
}
stranger "a node without the join token"
stranger "a node with a forged token" \
  --join-token="actraft-join-1.$(cat "$WORK/node1/cluster-id").$(printf 'f%.0s' $(seq 64)).$(printf '0%.0s' $(seq 64))"
stranger "a node with the right CA but a wrong secret" \
  --join-token="$(cut -d. -f1-3 "$WORK/node1/join-token").$(printf '0%.0s' $(seq 64))"

step "Writing through different members (followers forward to the leader)"
declare -A acked
for i in 1 2 3 4 5 6; do
  n=$(( (i - 1) % 3 + 1 ))
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data "value-$i" "$(http "$n")/kv/key-$i")
  say "PUT key-$i=value-$i via node $n -> HTTP $code"
  [ "$code" = 204 ] && acked[key-$i]=value-$i
done

step "Reading through other members (linearizable, without a log write)"
for i in 1 2 3 4 5 6; do
  n=$(( i % 3 + 1 ))
  say "GET key-$i via node $n -> $(curl -s "$(http "$n")/kv/key-$i")"
done

L=$(leader_of); [ -n "$L" ] || { echo "demo: no leader" >&2; exit 1; }
step "kill -9 of the leader, node $L"
kill -9 "${PID[$L]}"; wait "${PID[$L]}" 2>/dev/null || true; unset "PID[$L]"
t0=$(date +%s%N)
NEW=""
for _ in $(seq 1 100); do NEW=$(leader_of); [ -n "$NEW" ] && break; sleep 0.05; done
t1=$(date +%s%N)
say "node $NEW became leader after $(( (t1 - t0) / 1000000 )) ms"
for n in 1 2 3; do say "$(status_line "$n")"; done

step "Writing after the failover, and checking every acknowledged key"
survivor=$(( L % 3 + 1 ))
for i in 7 8 9; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data "value-$i" "$(http "$survivor")/kv/key-$i")
  say "PUT key-$i=value-$i via node $survivor -> HTTP $code"
  [ "$code" = 204 ] && acked[key-$i]=value-$i
done
lost=0
for k in "${!acked[@]}"; do
  got=$(curl -s "$(http "$NEW")/kv/$k")
  [ "$got" = "${acked[$k]}" ] || { say "LOST $k: expected ${acked[$k]}, got '$got'"; lost=1; }
done
[ $lost = 0 ] && say "all ${#acked[@]} acknowledged keys are there"

step "Restarting node $L from its data directory"
start_node "$L"
for _ in $(seq 1 100); do
  [ "$(curl -s "$(http "$L")/kv/key-9?stale=true")" = value-9 ] && break; sleep 0.05
done
say "node $L reads key-9 locally: $(curl -s "$(http "$L")/kv/key-9?stale=true")"
for n in 1 2 3; do say "$(status_line "$n")"; done

step "Handing leadership over on request (an admin route, with the member's admin token)"
L=$(leader_of)
T=$(( L % 3 + 1 ))
TID=$(field "$(curl -sf "$(http "$T")/status")" id)
say "POST /admin/transfer-leader?to=$TID via node $T -> $(curl -s -X POST \
  -H "Authorization: Bearer $(cat "$WORK/node$T/admin-token")" "$(http "$T")/admin/transfer-leader?to=$TID")"
for n in 1 2 3; do say "$(status_line "$n")"; done
say "metrics (Prometheus text) of node $T:"
curl -s "$(http "$T")/metrics" | grep -E '^actraft_(term|leader_changes_total|elections_won_total|entries_committed_total) ' |
  while read -r line; do say "  $line"; done

step "Stopping the cluster"
for n in "${!PID[@]}"; do kill "${PID[$n]}"; done
wait 2>/dev/null || true
PID=()
say "done; removed $WORK"
[ $lost = 0 ]
