#!/usr/bin/env bash
# A state of MIB MiB in two processes: the leader grows it and snapshots it,
# a joining member receives and restores it (file_store, a streaming store).
# Fails unless the restored state matches and each process's peak resident
# memory stays under LIMIT MiB.
#   large_state_test.sh FILE_STORE-BINARY MIB LIMIT-MIB
set -euo pipefail
bin=$1 mib=$2 limit=$3
# About four times the state is written (two states, two snapshot files):
# on a disk, not a tmpfs, whose pages would be memory the RSS does not show.
work=$(mktemp -d "${TMPDIR:-/tmp}/actraft-large-state.XXXXXX")
need_kib=$(( mib * 1024 * 4 + 65536 ))
free_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if (( free_kib < need_kib )); then
  echo "FAIL: $work has $(( free_kib / 1024 )) MiB free; a $mib MiB state needs $(( need_kib / 1024 )) MiB"
  exit 1
fi
leader_pid=
cleanup() {
  [[ -n $leader_pid ]] && kill "$leader_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/leader.in"
"$bin" lead "$work/a" "$mib" "$work/ready" <"$work/leader.in" >"$work/leader.out" 2>"$work/leader.err" &
leader_pid=$!
exec 3>"$work/leader.in"  # the leader serves until this closes
for _ in $(seq 1 1200); do
  [[ -f $work/ready ]] && break
  kill -0 "$leader_pid" 2>/dev/null || { cat "$work/leader.out" "$work/leader.err"; echo "FAIL: the leader exited"; exit 1; }
  sleep 0.5
done
[[ -f $work/ready ]] || { echo "FAIL: the leader did not get ready"; exit 1; }
read -r addr token index size hash <"$work/ready"

start=$(date +%s%N)
if ! "$bin" join "$work/b" "$addr" "$token" "$index" "$size" "$hash" >"$work/joiner.out" 2>"$work/joiner.err"; then
  cat "$work/joiner.out" "$work/joiner.err"
  echo "FAIL: the joiner did not catch up"
  exit 1
fi
end=$(date +%s%N)
exec 3>&-
if ! wait "$leader_pid"; then
  leader_pid=
  cat "$work/leader.out" "$work/leader.err"
  echo "FAIL: the leader did not end cleanly"
  exit 1
fi
leader_pid=

cat "$work/leader.out" "$work/joiner.out"
echo "join to restored state: $(( (end - start) / 1000000 )) ms"
status=0
for who in leader joiner; do
  rss=$(sed -n "s/^$who peak RSS \([0-9]*\) MiB$/\1/p" "$work/$who.out")
  if [[ -z $rss ]]; then
    echo "FAIL: the $who did not report its peak RSS"; status=1
  elif (( rss >= limit )); then
    echo "FAIL: the $who's peak RSS is $rss MiB, over $limit MiB for a $mib MiB state"; status=1
  fi
done
[[ $status == 0 ]] && echo "PASS: $mib MiB state, every process under $limit MiB"
exit $status
