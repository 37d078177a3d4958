# Shared by the benchmark scripts (sourced, not run): reading loadgen's RESULT lines and
# writing the figures into a document. No side effects.
log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# field NAME LINE: the value of NAME=... in a RESULT line
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"; }
num() {  # 12345 -> 12,345; empty -> —
  if [ -n "$1" ]; then sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; else printf '—'; fi
}
ratio() {  # ratio A B: A/B with two decimals, or — if either is missing/zero
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "—"; else printf "%.2f", a / b }'
}
# write_block DOC NAME FILE: FILE between the NAME:begin/NAME:end markers of DOC, appended
# with the markers if DOC has none; DOC=- prints FILE.
write_block() {
  local doc=$1 name=$2 file=$3
  if [ "$doc" = - ]; then
    cat "$file"
  elif grep -q "<!-- $name:begin -->" "$doc" && grep -q "<!-- $name:end -->" "$doc"; then
    awk -v table="$file" -v b="<!-- $name:begin -->" -v e="<!-- $name:end -->" '
      $0 == b { print; while ((getline line < table) > 0) print line; skip = 1; next }
      $0 == e { skip = 0 }
      !skip { print }' "$doc" >"$doc.new"
    cat "$doc.new" >"$doc"
    rm -f "$doc.new"
    log "wrote the $name block into $doc"
  else
    { echo; echo "<!-- $name:begin -->"; cat "$file"; echo "<!-- $name:end -->"; } >>"$doc"
    log "appended the $name block to $doc (no markers found)"
  fi
}
