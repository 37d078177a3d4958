#!/usr/bin/env bash
# The live cluster page (examples/kv_store/page.html, served at GET / of every
# kv_store member) in a real browser against a real cluster: starts three
# members, writes a few keys, loads the page of member 1 in headless Chromium
# and checks the rendered DOM: one row per member, exactly one leader, the
# leader card naming that member, a positive term, a numeric lag everywhere.
#
#   live_page_test.sh <kv_store binary> [screenshot.png]
#
# With LIVE_PAGE_URL=http://host:port/ no cluster is started: the page at
# that URL is checked as it is (LIVE_PAGE_MEMBERS members expected, 3 by
# default). CHROMIUM names the browser (default: chromium). Exit status:
# 0 passed, 1 failed, 2 usage, 77 no browser (ctest counts it a failure).
set -euo pipefail

BIN=${1:-}
SHOT=${2:-}
CHROMIUM=${CHROMIUM:-chromium}
URL=${LIVE_PAGE_URL:-}
EXPECT=${LIVE_PAGE_MEMBERS:-3}

say() { printf 'live_page_test: %s\n' "$*"; }
fail() { printf 'live_page_test: FAIL: %s\n' "$*" >&2; exit 1; }

if [ -z "$URL" ] && { [ -z "$BIN" ] || [ ! -x "$BIN" ]; }; then
  echo "usage: $0 <path-to-kv_store-binary> [screenshot.png]  (or LIVE_PAGE_URL=... $0 - [png])" >&2
  exit 2
fi
command -v "$CHROMIUM" >/dev/null || { say "no '$CHROMIUM' browser (make test installs Debian's chromium)"; exit 77; }
for tool in curl perl timeout; do command -v "$tool" >/dev/null || fail "needs $tool"; done

WORK=$(mktemp -d /tmp/actraft-live-page.XXXXXX)
declare -A PID=()
BG=()        # other background processes of ours (the writer)

cleanup() {
  local rc=$?
  local p left
  for p in "${BG[@]}" "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 100); do  # members shut down cleanly; after 10 s, no longer asked
    left=""
    for p in "${BG[@]}" "${PID[@]}"; do kill -0 "$p" 2>/dev/null && left+=" $p"; done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for p in $left; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$rc" != 0 ]; then
    for log in "$WORK"/node*.log "$WORK/chromium.log"; do
      [ -s "$log" ] || continue
      echo "--- last lines of $(basename "$log"):" >&2
      grep -vE 'dbus|unexpected operator' "$log" | tail -n 15 >&2 || true
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---------------------------------------------------------------- the cluster

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
BASE=""
for _ in $(seq 1 20); do  # below the ephemeral range (32768+), all six ports free
  b=$((20000 + RANDOM % 10000)); free=1
  for p in $((b + 1)) $((b + 2)) $((b + 3)) $((b + 101)) $((b + 102)) $((b + 103)); do
    port_taken "$p" && { free=0; break; }
  done
  [ $free = 1 ] && { BASE=$b; break; }
done
http() { echo "127.0.0.1:$((BASE + 100 + $1))"; }
raft() { echo "127.0.0.1:$((BASE + $1))"; }

start_node() {  # start_node N [peer-node]
  local n=$1 peer=${2:-}
  local args=(--raft-addr="$(raft "$n")" --http-addr="$(http "$n")" --data-dir="$WORK/node$n")
  [ -n "$peer" ] && args+=(--peer-addr="$(raft "$peer")" --join-token-file="$WORK/node$peer/join-token")
  "$BIN" "${args[@]}" 2>>"$WORK/node$n.log" &
  PID[$n]=$!
  for _ in $(seq 1 600); do  # 60 s: CI runs us on slow shared cores
    curl -sf -m 2 "$(http "$n")/status" >/dev/null 2>&1 && return 0
    kill -0 "${PID[$n]}" 2>/dev/null || fail "member $n exited at startup (see its log below)"
    sleep 0.1
  done
  fail "member $n did not answer /status within 60 s"
}

members_of() { sed -n 's/.*"members":\[\([^]]*\)\].*/\1/p' <<<"$1" | grep -o '"id":[0-9]*' | cut -d: -f2; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -lt $end ] || fail "$what (waited $secs s)"
    sleep 0.2
  done
}

LEADER_STATUS=""
leader_has_all() {
  local n s
  for n in 1 2 3; do
    s=$(curl -sf -m 2 "$(http "$n")/status" 2>/dev/null) || continue
    if grep -q '"role":"leader"' <<<"$s" && [ "$(members_of "$s" | wc -l)" = 3 ]; then
      LEADER_STATUS=$s
      return 0
    fi
  done
  return 1
}
key_readable() { [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$(http 1)/kv/_actraft/http/$1?stale=true")" = 200 ]; }

start_cluster() {
  [ -n "$BASE" ] || fail "found no six free ports"
  say "starting 3 members in $WORK (raft $(raft 1)..3, http $(http 1)..3)"
  start_node 1
  start_node 2 1
  start_node 3 1
  wait_for 60 "the leader does not list all 3 members" leader_has_all
  IDS=$(members_of "$LEADER_STATUS" | tr '\n' ' ')
  say "leader's status lists members: $IDS"
  for id in $IDS; do
    wait_for 60 "GET /kv/_actraft/http/$id?stale=true on member 1 is not 200: each member must write its HTTP address under _actraft/http/<id> at startup" key_readable "$id"
  done
  say "every member's _actraft/http/<id> key is readable on member 1"
  local code via
  code=$(curl -s -m 5 -o "$WORK/index.html" -w '%{http_code} %{content_type}' "$(http 1)/")
  [ "${code%% *}" = 200 ] || fail "GET / on member 1 answered '$code', not 200 with the page"
  say "GET / on member 1: $code"
  grep -qi '^access-control-allow-origin: \*' < <(curl -s -m 5 -D - -o /dev/null "$(http 2)/status") ||
    fail "GET /status on member 2 has no 'Access-Control-Allow-Origin: *' header"
  grep -qi '^access-control-allow-origin: \*' < <(curl -s -m 5 -D - -o /dev/null "$(http 2)/metrics") ||
    say "note: GET /metrics on member 2 has no 'Access-Control-Allow-Origin: *' (the page shows no metrics extras)"
  say "GET /status on member 2 allows any origin (CORS)"
  for i in 1 2 3 4 5 6; do
    via=$(( (i - 1) % 3 + 1 ))
    code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X PUT --data "value-$i" "$(http "$via")/kv/k$i")
    [ "$code" = 204 ] || fail "PUT k$i via member $via answered $code"
  done
  say "wrote 6 keys through members 1, 2, 3"
  URL="http://$(http 1)/"
}

cluster_leader_id() { curl -sf -m 2 "$(http 1)/status" 2>/dev/null | grep -o '"leader_id":[0-9]*' | head -n 1 | cut -d: -f2; }

# ------------------------------------------------------------ the browser

BROWSER_FLAGS=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
               --no-default-browser-check --disable-extensions --mute-audio --hide-scrollbars)

# The DOM after 8 s of the page's virtual time: headless Chromium runs timers
# ahead as fast as it can and holds virtual time while fetches are in flight,
# so eight 1 s polls (cross-origin fetches included) finish in ~1-2 s of real time.
dump_dom() {  # dump_dom URL OUT
  rm -rf "$WORK/profile"
  timeout 120 "$CHROMIUM" "${BROWSER_FLAGS[@]}" --user-data-dir="$WORK/profile" \
    --virtual-time-budget=8000 --dump-dom "$1" >"$2" 2>>"$WORK/chromium.log"
}

# Checks a dumped DOM; prints what it checked, fails on the first miss.
check_dom() {  # check_dom FILE EXPECTED_MEMBERS
  local dom=$1 expect=$2
  # The page's own script (its template strings) is not part of what it rendered.
  perl -0pi -e 's/<script\b.*?<\/script>//gs' "$dom"
  grep -q '<body[^>]*data-ready="1"' "$dom" || fail "body has no data-ready=\"1\": the first poll never rendered"
  say "  body data-ready=\"1\""
  # One line per member row: "<id> <role> <lag>".
  local rows
  rows=$(perl -0ne 'while (/<tr\b([^>]*\bclass="member"[^>]*)>(.*?)<\/tr>/gs) {
      my ($a, $b) = ($1, $2);
      my ($id) = $a =~ /data-member-id="([^"]*)"/; my ($role) = $a =~ /data-role="([^"]*)"/;
      my ($lag) = $b =~ /<td\b[^>]*\bclass="lag"[^>]*\bdata-lag="([^"]*)"/;
      printf "%s %s %s\n", $id // "?", $role // "?", (defined $lag && $lag ne "") ? $lag : "none"; }' "$dom")
  local n; n=$(grep -c . <<<"$rows" || true)
  [ "$n" = "$expect" ] || fail "$n member rows (tr.member), expected $expect: $(tr '\n' ';' <<<"$rows")"
  say "  $n member rows: $(tr '\n' ';' <<<"$rows" | sed 's/;$//; s/;/; /g')  (id role lag)"
  local leaders; leaders=$(awk '$2 == "leader" {print $1}' <<<"$rows")
  [ "$(grep -c . <<<"$leaders" || true)" = 1 ] || fail "expected exactly one row with data-role=\"leader\", got: ${leaders:-none}"
  local id role lag
  while read -r id role lag; do
    [[ $id =~ ^[0-9]+$ ]] || fail "a member row has data-member-id '$id'"
    [[ $lag =~ ^[0-9]+$ ]] || fail "member $id ($role) has no numeric data-lag ('$lag')"
  done <<<"$rows"
  say "  exactly one leader row (member $leaders); every row has a numeric data-lag"
  local tag lid text
  tag=$(grep -o '<[a-z0-9]*\b[^>]*\bid="leader"[^>]*>[^<]*' "$dom" | head -n 1)
  [ -n "$tag" ] || fail "no element with id=\"leader\""
  lid=$(sed -n 's/.*data-leader-id="\([^"]*\)".*/\1/p' <<<"$tag")
  text=${tag##*>}
  [ "$lid" = "$leaders" ] || fail "#leader has data-leader-id='$lid', the leader row is member $leaders"
  [[ $text =~ (^|[^0-9])$leaders([^0-9]|$) ]] || fail "#leader reads '$text', which does not name member $leaders"
  say "  #leader data-leader-id=\"$lid\", reads '$text'"
  local term; term=$(grep -o '\bid="term"[^>]*>[^<]*' "$dom" | head -n 1 | sed 's/.*>//')
  [[ $term =~ ^[1-9][0-9]*$ ]] || fail "#term reads '$term', not a positive number"
  say "  #term $term"
  local writes; writes=$(grep -o '\bid="writes"[^>]*>[^<]*' "$dom" | head -n 1 | sed 's/.*>//')
  grep -q '\bid="writes"' "$dom" || fail "no element with id=\"writes\""
  say "  #writes '$writes' (virtual time: not checked)"
  grep -q '<[a-z]*\b[^>]*\bid="changes"' "$dom" || fail "no element with id=\"changes\""
  say "  #changes lists $(grep -o '<li\b[^>]*data-leader-id=' "$dom" | wc -l) leader change(s)"
  PAGE_LEADER=$leaders
}

# Loads the page until its first poll has rendered (a slow machine may not
# get there within the budget), then checks it.
check_page() {  # check_page URL EXPECTED_MEMBERS
  local t0=$SECONDS ms0 ms1 attempt
  ms0=$(date +%s%3N)
  for attempt in 1 2 3 4 5; do
    dump_dom "$1" "$WORK/dom.html" || say "  chromium exited with $? (attempt $attempt)"
    grep -q '<body[^>]*data-ready="1"' "$WORK/dom.html" 2>/dev/null && break
    if [ "$attempt" = 5 ] || [ $((SECONDS - t0)) -ge 300 ]; then break; fi
    say "  attempt $attempt: page not ready yet; loading it again"
    sleep 2
  done
  [ -s "$WORK/dom.html" ] || { tail -n 20 "$WORK/chromium.log" >&2 || true; fail "chromium dumped no DOM"; }
  check_dom "$WORK/dom.html" "$2"
  ms1=$(date +%s%3N)
  say "DOM checks passed in $((ms1 - ms0)) ms ($attempt page load(s))"
}

# A screenshot in real time (so that writes/s is true), over the DevTools
# protocol on a pipe: fd 3 of the browser takes commands, fd 4 gives replies,
# each a JSON text ending in NUL. Runs in a subshell: the pipe's descriptors
# and a browser that dies (SIGPIPE) stay in there.
cdp() {  # cdp ID METHOD PARAMS [SESSION]: prints the reply to command ID
  local session=${4:+\"sessionId\":\"$4\",} m
  printf '{"id":%d,%s"method":"%s","params":%s}\0' "$1" "$session" "$2" "$3" >&5
  while IFS= read -r -d '' -t 60 m <&6; do
    [[ $m == "{\"id\":$1,"* ]] && { printf '%s' "$m"; return 0; }
  done
  return 1
}
screenshot_cdp() (  # screenshot_cdp URL PNG
  dir=$WORK/cdp; rm -rf "$dir"; mkdir -p "$dir"; mkfifo "$dir/in" "$dir/out"
  "$CHROMIUM" "${BROWSER_FLAGS[@]}" --user-data-dir="$dir/profile" --remote-debugging-pipe \
    about:blank 3<"$dir/in" 4>"$dir/out" 2>>"$WORK/chromium.log" &
  browser=$!
  trap 'kill $browser 2>/dev/null || true; wait $browser 2>/dev/null || true' EXIT
  exec 5>"$dir/in" 6<"$dir/out"
  r=$(cdp 1 Target.createTarget '{"url":"about:blank"}') || exit 1
  target=$(sed -n 's/.*"targetId":"\([^"]*\)".*/\1/p' <<<"$r")
  r=$(cdp 2 Target.attachToTarget '{"targetId":"'"$target"'","flatten":true}') || exit 1
  session=$(sed -n 's/.*"sessionId":"\([^"]*\)".*/\1/p' <<<"$r")
  r=$(cdp 3 Emulation.setDeviceMetricsOverride '{"width":1280,"height":800,"deviceScaleFactor":1,"mobile":false}' "$session") || exit 1
  r=$(cdp 4 Page.navigate '{"url":"'"$1"'"}' "$session") || exit 1
  for i in $(seq 1 90); do
    r=$(cdp $((10 + i)) Runtime.evaluate '{"expression":"document.body && document.body.dataset.ready"}' "$session") || exit 1
    [[ $r == *'"value":"1"'* ]] && break
    [ "$i" -lt 90 ] || exit 1
    sleep 1
  done
  sleep 5  # a few more polls: writes/s needs samples
  r=$(cdp 200 Page.captureScreenshot '{"format":"png"}' "$session") || exit 1
  sed -n 's/.*"data":"\([^"]*\)".*/\1/p' <<<"$r" | base64 -d >"$2" || exit 1
  r=$(cdp 201 Browser.close '{}') || true
  [ -s "$2" ]
)
# The fallback: --screenshot after 8 s of virtual time (writes/s then counts
# real writes per virtual second, which is too low).
screenshot_virtual() {  # screenshot_virtual URL PNG
  rm -rf "$WORK/profile"
  timeout 120 "$CHROMIUM" "${BROWSER_FLAGS[@]}" --user-data-dir="$WORK/profile" --virtual-time-budget=8000 \
    --run-all-compositor-stages-before-draw --window-size=1280,800 --screenshot="$2" "$1" 2>>"$WORK/chromium.log" &&
    [ -s "$2" ]
}
screenshot() {  # screenshot URL PNG [URL to write through]
  local writer=""
  if [ -n "${3:-}" ]; then  # some write activity while the page watches
    ( i=0; while :; do i=$((i + 1))
        curl -s -m 5 -o /dev/null -X PUT --data "v$i" "${3}kv/load-$((i % 50))" || true
        sleep 0.02; done ) &
    writer=$!; BG+=("$writer")
    sleep 2
  fi
  rm -f "$2"
  if screenshot_cdp "$1" "$2"; then
    say "screenshot (real time, DevTools pipe): $2"
  elif say "the DevTools screenshot failed; taking one in virtual time" && screenshot_virtual "$1" "$2"; then
    say "screenshot (virtual time: writes/s is not real): $2"
  else
    fail "chromium could not take a screenshot"
  fi
  if [ -n "$writer" ]; then kill "$writer" 2>/dev/null || true; fi
}

# ------------------------------------------------------------------- main

if [ -z "$URL" ]; then
  start_cluster
  EXPECT=3
else
  say "checking the page at $URL (no cluster started)"
fi
say "loading $URL in headless $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
check_page "$URL" "$EXPECT"
if [ -n "${PID[1]:-}" ]; then
  now=$(cluster_leader_id)
  [ "$now" = "$PAGE_LEADER" ] || fail "the page shows leader $PAGE_LEADER, member 1 says leader $now"
  say "  the page's leader is the cluster's leader (member 1's /status: leader_id $now)"
fi
if [ -n "$SHOT" ]; then
  case $SHOT in /*) ;; *) SHOT=$PWD/$SHOT ;; esac
  if [ -n "${PID[1]:-}" ]; then screenshot "$URL" "$SHOT" "$URL"; else screenshot "$URL" "$SHOT"; fi
fi
say "PASS"
