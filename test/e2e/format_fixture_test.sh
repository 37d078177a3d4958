#!/usr/bin/env bash
# kv_store on a copy of every committed fixture data directory
# (test/fixtures/data-v*, docs/storage.md "Format version and compatibility"):
#  - it starts as member 1 on another port than the one it was made with (a
#    one-member cluster elects itself; its configuration keeps the old
#    address), serves what the fixture's generator wrote (the snapshot's keys
#    and the later ones, the deleted key absent), takes a new write, and a
#    restart keeps it;
#  - with one binary file's header rewritten to the next format version
#    (header checksum valid), it exits non-zero with a message naming both
#    versions and the file, and the directory is left byte for byte as it was.
#
#   format_fixture_test.sh KV_STORE-BINARY FIXTURES-DIR FORMAT-VERSION
#
# FORMAT-VERSION is this build's (src/storage/file_header.hpp; CMake passes it).
set -euo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 KV_STORE-BINARY FIXTURES-DIR FORMAT-VERSION" >&2
  exit 2
fi
bin=$1 fixtures=$2 ours=$3
newer=$(( ours + 1 ))
work=$(mktemp -d "${TMPDIR:-/tmp}/actraft-format.XXXXXX")
pid=
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "$*"; }
fail() {
  echo "FAIL: $*"
  [[ -f $work/log ]] && { echo "--- kv_store's log:"; cat "$work/log"; }
  trap - EXIT
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  echo "(kept $work)"
  exit 1
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {  # below the ephemeral range, where the Raft port (0) comes from
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 12000 ))
    port_taken "$p" || { echo "$p"; return; }
  done
  fail "found no free port"
}

# CRC-32C (Castagnoli, reflected) of the decimal byte values given.
crc32c() {
  local crc=$(( 0xFFFFFFFF )) b i
  for b in "$@"; do
    crc=$(( crc ^ b ))
    for i in 1 2 3 4 5 6 7 8; do crc=$(( (crc >> 1) ^ (0x82F63B78 & -(crc & 1)) )); done
  done
  echo $(( crc ^ 0xFFFFFFFF ))
}
[[ $(crc32c 49 50 51 52 53 54 55 56 57) == $(( 0xE3069283 )) ]] || fail "crc32c is wrong"

le32() {  # a u32 as four little-endian bytes, for printf %b
  local v=$1 s='' i
  for i in 0 1 2 3; do s+=$(printf '\\%03o' $(( (v >> (8 * i)) & 255 ))); done
  printf '%b' "$s"
}

# Rewrites the header's version (offset 8) and its checksum (offset 28, over 0-27).
set_version() {
  local file=$1 version=$2 bytes
  le32 "$version" | dd of="$file" bs=1 seek=8 conv=notrunc status=none
  read -r -a bytes <<<"$(od -An -v -tu1 -N28 "$file" | tr '\n' ' ')"
  le32 "$(crc32c "${bytes[@]}")" | dd of="$file" bs=1 seek=28 conv=notrunc status=none
}

digest() { (cd "$1" && find . -type f | sort | xargs sha256sum); }

start() {  # data-dir http-port
  "$bin" --raft-addr=127.0.0.1:0 --http-addr="127.0.0.1:$2" --data-dir="$1" \
    --segment-bytes=65536 2>>"$work/log" &
  pid=$!
}
stop() {
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  pid=
  [[ $rc == 0 ]] || fail "kv_store exited with $rc on SIGTERM"
}
get() {  # http-port key -> "code body"
  local body code
  body=$(curl -s -m 5 -w '\n%{http_code}' "http://127.0.0.1:$1/kv/$2") || true
  code=${body##*$'\n'}
  echo "$code ${body%$'\n'*}"
}
wait_serving() {  # http-port
  for _ in $(seq 1 200); do
    [[ $(get "$1" alpha) == 200\ * ]] && return 0
    kill -0 "$pid" 2>/dev/null || fail "kv_store exited"
    sleep 0.1
  done
  fail "kv_store did not serve within 20 s"
}
expect() {  # http-port key value-or-404
  local got
  got=$(get "$1" "$2")
  if [[ $3 == 404 ]]; then
    [[ $got == 404\ * ]] || fail "GET $2: expected 404, got '$got'"
  else
    [[ $got == "200 $3" ]] || fail "GET $2: expected '200 $3', got '$got'"
  fi
}
# What every make-data-vN.sh writes (test/fixtures/make-data-v1.sh).
expect_fixture_keys() {  # http-port
  expect "$1" alpha one-again
  expect "$1" gamma three
  expect "$1" delta four
  expect "$1" epsilon five
  expect "$1" zeta 'ζήτα, UTF-8'
  expect "$1" beta 404
}

found=0
for fixture in "$fixtures"/data-v*/; do
  fixture=${fixture%/}
  name=$(basename "$fixture")
  found=$(( found + 1 ))
  say "== $name"

  # Served, written to, restarted.
  dir=$work/$name
  cp -r "$fixture" "$dir"
  port=$(free_port)
  : >"$work/log"
  start "$dir" "$port"
  wait_serving "$port"
  status=$(curl -s -m 5 "http://127.0.0.1:$port/status")
  [[ $status == *'"id":1,"role":"leader"'* ]] || fail "not member 1 leading: $status"
  expect_fixture_keys "$port"
  say "  serves its keys as member 1 (leader) on another port; beta deleted"
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X PUT --data-binary seven "http://127.0.0.1:$port/kv/eta")
  [[ $code == 204 ]] || fail "PUT eta answered $code"
  expect "$port" eta seven
  stop
  port=$(free_port)
  start "$dir" "$port"
  wait_serving "$port"
  expect_fixture_keys "$port"
  expect "$port" eta seven
  stop
  say "  a new write survives a restart"

  # A newer version in any binary file: refused, nothing changed.
  for file in "$fixture"/wal-*.log "$fixture"/snap-*.snap "$fixture"/identity; do
    [[ -f $file ]] || fail "$name has no $(basename "$file")"
    base=$(basename "$file")
    dir=$work/$name-$base
    cp -r "$fixture" "$dir"
    set_version "$dir/$base" "$newer"
    before=$(digest "$dir")
    : >"$work/log"
    rc=0
    "$bin" --raft-addr=127.0.0.1:0 --http-addr="127.0.0.1:$(free_port)" --data-dir="$dir" \
      --segment-bytes=65536 >/dev/null 2>"$work/log" || rc=$?
    [[ $rc != 0 ]] || fail "kv_store started on $base at version $newer"
    grep -q "unsupported_version: file has format version $newer, this build reads version $ours (file $dir/$base" "$work/log" ||
      fail "no message naming both versions and $base"
    [[ $(digest "$dir") == "$before" ]] || fail "the refused directory was changed ($base)"
    say "  $base at version $newer: exit $rc, both versions named, nothing changed"
  done
done
(( found > 0 )) || fail "no fixture in $fixtures"
say "PASS: $found fixture(s)"
