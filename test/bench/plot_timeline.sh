#!/usr/bin/env bash
# Draws loadgen --timeline files as one PNG: the slowest request that ended in
# each 100 ms of the measured window, one line per file.
#
#   test/bench/plot_timeline.sh OUT.png "TITLE" LABEL=FILE [LABEL=FILE ...]
#
# LOGSCALE=1 draws the latency axis on a log scale. Needs gnuplot (Debian:
# apt-get install gnuplot-nox).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OUT.png TITLE LABEL=FILE..." >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "plot_timeline: gnuplot is not installed" >&2; exit 1; }
out=$1 title=$2
shift 2
plots=()
for spec in "$@"; do
  label=${spec%%=*} file=${spec#*=}
  [ -r "$file" ] || { echo "plot_timeline: cannot read $file" >&2; exit 1; }
  plots+=("'$file' using 1:(\$3/1000) with steps lw 2 title '$label'")
done
joined=$(IFS=,; echo "${plots[*]}")
gnuplot <<GP
set terminal pngcairo size 900,420 font 'sans,10' noenhanced
set output '$out'
set title '$title'
set xlabel 'seconds into the measured window'
set ylabel 'slowest request ended in each 100 ms (ms)'
set grid
set key top right
$( [ "${LOGSCALE:-0}" = 1 ] && echo 'set logscale y' || echo 'set yrange [0:*]' )
plot $joined
GP
