#!/usr/bin/env bash
# actraft's kv_store and etcd side by side over a matrix of loads, as plots: closed-loop
# HTTP PUTs to the leader (loadgen), each system on 127.0.0.1 with fsync on, with its
# members over mutual TLS and, on a fresh cluster, without:
#   - clients: 1 4 16 64 256 1024 (CLIENT_COUNTS), 256-byte values, 3 members;
#   - value size: 64 1024 4096 65536 bytes (VALUE_SIZES), 64 clients, 3 members;
#   - 5 members (TLS on): MEMBER_CLIENTS="1 64 256" clients, 256-byte values.
# Every case reports writes/s, p50/p99/p99.9 and the CPU time all members used per write
# (loadgen --cpu-pids). The rows go to docs/images/matrix.tsv, the plots (gnuplot) to
# docs/images/matrix-*.png, and a summary between the matrix:begin/matrix:end markers of
# docs/benchmarks.md.
#
#   test/bench/matrix.sh [BUILD_DIR]     # make bench-matrix; ~15 min; default: build
#   test/bench/matrix.sh --plot [TSV]    # only the plots and the summary, from a TSV
#
# Environment (all optional): RUN_SECONDS=10 WARMUP=2 KEYS=10000 CLIENT_COUNTS VALUE_SIZES
# MEMBER_CLIENTS (as above; empty: skip that axis) OUT=docs/images DOC=docs/benchmarks.md
# (DOC=- prints the summary) KEEP_WORK=1. The clusters are test/bench/systems.sh's;
# 1,024 clients get a warm-up of 3 s more (they connect one after the other).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUT:-$ROOT/docs/images}
DOC=${DOC:-$ROOT/docs/benchmarks.md}
CLIENT_COUNTS=${CLIENT_COUNTS-1 4 16 64 256 1024}
VALUE_SIZES=${VALUE_SIZES-64 1024 4096 65536}
MEMBER_CLIENTS=${MEMBER_CLIENTS-1 64 256}

if ! command -v gnuplot >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "matrix: installing gnuplot-nox (Debian) for the plots" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y gnuplot-nox >/dev/null ||
    { echo "matrix: cannot install gnuplot; apt-get install gnuplot-nox and rerun" >&2; exit 1; }
fi

# --- the plots and the summary, from the TSV ------------------------------------------------
# TSV: lines starting with '#' say how the rows were taken; then a header and the rows, columns
# system tls members clients payload ops_per_s p50_us p99_us p999_us cpu_us errors load
# series TSV SYSTEM TLS MEMBERS CLIENTS PAYLOAD X: the rows that match (* matches all), as
# "x ops p99_ms cpu_us" sorted by x (column 4 = clients, 5 = payload)
series() {
  awk -F'\t' -v s="$2" -v t="$3" -v m="$4" -v c="$5" -v p="$6" -v x="$7" '
    $1 == s && $2 == t && (m == "*" || $3 == m) && (c == "*" || $4 == c) &&
    (p == "*" || $5 == p) && $6 > 0 { print $x, $6, $8 / 1000, $10 }' "$1" | sort -n
}
plot_all() {
  local tsv=$1 dir sys tls
  dir=$(mktemp -d "${TMPDIR:-/tmp}/actraft-matrix-plot.XXXXXX")
  for sys in etcd actraft; do
    for tls in tls plain; do
      series "$tsv" $sys $tls 3 '*' 256 4 >"$dir/clients-$sys-$tls.dat"
      series "$tsv" $sys $tls 3 64 '*' 5 >"$dir/sizes-$sys-$tls.dat"
    done
    series "$tsv" $sys tls 5 '*' 256 4 >"$dir/members5-$sys.dat"
    # the 3-member points at the 5-member client counts
    awk -v keep=" $MEMBER_CLIENTS " 'index(keep, " " $1 " ")' "$dir/clients-$sys-tls.dat" >"$dir/members3-$sys.dat"
  done
  # style per series: etcd red, actraft blue; TLS solid, plain dashed
  local e="lc rgb '#c0392b'" a="lc rgb '#1f5fa8'"
  four() {  # four AXIS USING: the four series of one axis
    echo "'$dir/$1-etcd-tls.dat' using $2 with linespoints $e lw 2 pt 7 title 'etcd, TLS', \
'$dir/$1-etcd-plain.dat' using $2 with linespoints $e lw 2 dt 2 pt 6 title 'etcd, plain', \
'$dir/$1-actraft-tls.dat' using $2 with linespoints $a lw 2 pt 7 title 'actraft, TLS', \
'$dir/$1-actraft-plain.dat' using $2 with linespoints $a lw 2 dt 2 pt 6 title 'actraft, plain'"
  }
  gnuplot <<GP
set terminal pngcairo size 1200,380 font 'sans,10' noenhanced
set grid
set key top left
set logscale x 2
set output '$OUT/matrix-clients.png'
set multiplot layout 1,3 title 'PUTs of 256 B to the leader, 3 members, fsync on: by clients'
set xlabel 'clients'
set ylabel 'writes/s'
set yrange [0:*]
plot $(four clients 1:2)
set ylabel 'p99 latency (ms)'
set logscale y
set yrange [*:*]
plot $(four clients 1:3)
set ylabel 'CPU per write, all members (µs)'
set key top right
plot $(four clients 1:4)
set key top left
unset multiplot
set output '$OUT/matrix-sizes.png'
set multiplot layout 1,3 title 'PUTs to the leader, 64 clients, 3 members, fsync on: by value size'
set xlabel 'value size (bytes)'
set ylabel 'writes/s'
set logscale y
set yrange [*:*]
plot $(four sizes 1:2)
set ylabel 'p99 latency (ms)'
plot $(four sizes 1:3)
set ylabel 'MB/s of values'
plot $(four sizes '1:($1*$2/1e6)')
unset multiplot
set terminal pngcairo size 900,380 font 'sans,10' noenhanced
set output '$OUT/matrix-members.png'
set multiplot layout 1,2 title 'PUTs of 256 B to the leader, TLS on: 3 and 5 members'
set xlabel 'clients'
set ylabel 'writes/s'
unset logscale y
set yrange [0:*]
plot '$dir/members3-etcd.dat' using 1:2 with linespoints $e lw 2 pt 7 title 'etcd, 3', \
     '$dir/members5-etcd.dat' using 1:2 with linespoints $e lw 2 dt 2 pt 4 title 'etcd, 5', \
     '$dir/members3-actraft.dat' using 1:2 with linespoints $a lw 2 pt 7 title 'actraft, 3', \
     '$dir/members5-actraft.dat' using 1:2 with linespoints $a lw 2 dt 2 pt 4 title 'actraft, 5'
set ylabel 'p99 latency (ms)'
set logscale y
set yrange [*:*]
plot '$dir/members3-etcd.dat' using 1:3 with linespoints $e lw 2 pt 7 title 'etcd, 3', \
     '$dir/members5-etcd.dat' using 1:3 with linespoints $e lw 2 dt 2 pt 4 title 'etcd, 5', \
     '$dir/members3-actraft.dat' using 1:3 with linespoints $a lw 2 pt 7 title 'actraft, 3', \
     '$dir/members5-actraft.dat' using 1:3 with linespoints $a lw 2 dt 2 pt 4 title 'actraft, 5'
unset multiplot
GP
  rm -rf "$dir"
}
# summary TSV: the markdown block (figures per case, actraft/etcd ratios, TLS on)
summary() {
  local tsv=$1
  sed -n 's/^# //p' "$tsv"
  echo
  echo '![by clients](images/matrix-clients.png)'
  echo '![by value size](images/matrix-sizes.png)'
  echo '![3 and 5 members](images/matrix-members.png)'
  echo
  echo "Each row: writes/s, p99 (ms) and CPU per write of all members (µs); ratio = actraft/etcd."
  echo "The rows of every case, with p50 and p99.9, are in [images/matrix.tsv](images/matrix.tsv)."
  echo
  echo "| members | clients | value | TLS | etcd w/s | etcd p99 | etcd CPU | actraft w/s | actraft p99 | actraft CPU | w/s ratio | p99 ratio | CPU ratio |"
  echo "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '
    $1 == "etcd" || $1 == "actraft" { k = $3 SUBSEP $4 SUBSEP $5 SUBSEP $2
             if (!(k in seen)) { seen[k] = 1; order[++n] = k }
             ops[k, $1] = $6; p99[k, $1] = $8; cpu[k, $1] = $10 }
    function r(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "—" : sprintf("%.2f", a / b) }
    function ms(v) { return v == "" ? "—" : sprintf("%.1f", v / 1000) }
    function or_dash(v) { return v == "" ? "—" : v }
    END {
      for (i = 1; i <= n; ++i) {
        k = order[i]; split(k, f, SUBSEP)
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4],
          or_dash(ops[k, "etcd"]), ms(p99[k, "etcd"]), or_dash(cpu[k, "etcd"]),
          or_dash(ops[k, "actraft"]), ms(p99[k, "actraft"]), or_dash(cpu[k, "actraft"]),
          r(ops[k, "actraft"], ops[k, "etcd"]), r(p99[k, "actraft"], p99[k, "etcd"]),
          r(cpu[k, "actraft"], cpu[k, "etcd"])
      }
    }' "$tsv"
}

if [ "${1:-}" = --plot ]; then
  TSV=${2:-$OUT/matrix.tsv}
  [ -r "$TSV" ] || { echo "matrix: cannot read $TSV" >&2; exit 1; }
  # shellcheck source=report.sh
  source "$ROOT/test/bench/report.sh"
  plot_all "$TSV"
  BLOCK=$(mktemp); trap 'rm -f "$BLOCK"' EXIT
  summary "$TSV" >"$BLOCK"
  write_block "$DOC" matrix "$BLOCK"
  exit 0
fi

# --- the runs ---------------------------------------------------------------------------
BUILD_ARG=${1:-build}
case "$BUILD_ARG" in
  /*) BUILD=$BUILD_ARG ;;
  *) BUILD=$PWD/$BUILD_ARG; [ -d "$BUILD" ] || BUILD=$ROOT/$BUILD_ARG ;;
esac
# shellcheck source=systems.sh
source "$ROOT/test/bench/systems.sh"
TSV=$WORK/matrix.tsv
SHA=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  echo "# Run $(date -u '+%Y-%m-%d %H:%M UTC'), actraft \`$SHA\`, etcd $ETCD_VERSION (Debian): \`RUN_SECONDS=$RUN_SECONDS WARMUP=$WARMUP KEYS=$KEYS test/bench/matrix.sh\`."
  echo "# $(machine_line)"
} >"$TSV"
printf 'system\ttls\tmembers\tclients\tpayload\tops_per_s\tp50_us\tp99_us\tp999_us\tcpu_us\terrors\tload\n' >>"$TSV"

# case SYSTEM TLS CLIENTS PAYLOAD: one loadgen run on the cluster that runs now -> a TSV row
case_() {
  local sys=$1 tls=$2 clients=$3 payload=$4 target=kv urls r warm=$WARMUP
  [ "$sys" = etcd ] && target=etcd
  [ "$clients" -ge 1024 ] && warm=$((WARMUP + 3))
  if [ "$sys" = etcd ]; then urls=$(etcd_client "$LEADER"); else urls=$(kv_http "$LEADER"); fi
  local label="$sys-$tls-m$MEMBERS-v$payload"
  run_loadgen "$label" "$target" "$clients" "$urls" --op=put --payload="$payload" --warmup="$warm"
  r=${R[$label,$clients]}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$tls" "$MEMBERS" "$clients" "$payload" \
    "$(field ops_per_s "$r")" "$(field p50_us "$r")" "$(field p99_us "$r")" "$(field p999_us "$r")" \
    "$(field cpu_us_per_op "$r")" "$(field errors "$r")" "${LOAD[$label,$clients]}" >>"$TSV"
}
start_() {  # start_ SYSTEM TLS MEMBERS
  case "$1,$2" in
    etcd,tls) start_etcd "$3" ;;
    etcd,plain) start_etcd "$3" plain ;;
    actraft,tls) start_kv "$3" ;;
    actraft,plain) start_kv "$3" --insecure ;;
  esac
}
for sys in etcd actraft; do
  for tls in tls plain; do
    start_ $sys $tls 3
    for c in $CLIENT_COUNTS; do case_ $sys $tls "$c" 256; done
    for v in $VALUE_SIZES; do case_ $sys $tls 64 "$v"; done
    stop_all
  done
  if [ -n "$MEMBER_CLIENTS" ]; then
    start_ $sys tls 5
    for c in $MEMBER_CLIENTS; do case_ $sys tls "$c" 256; done
    stop_all
  fi
done

echo "# Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)." >>"$TSV"
mkdir -p "$OUT"
cp "$TSV" "$OUT/matrix.tsv"
plot_all "$OUT/matrix.tsv"
summary "$OUT/matrix.tsv" >"$WORK/block.md"
write_block "$DOC" matrix "$WORK/block.md"
[ "$DOC" = - ] || cat "$WORK/block.md"
