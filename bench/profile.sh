#!/usr/bin/env bash
# bench/profile.sh -- where the daemons' time goes during one phase of gn-bench.
#
#   bench/profile.sh [-t callgrind|perf] [-b BIN] [-l LEVEL] [-p PHASE] [-o OUTDIR] [-f]
#
#   -t TOOL   callgrind (default): valgrind --tool=callgrind on LEVEL's daemons, instrumentation
#             switched on only while PHASE runs; counts user-space instructions per function
#             exactly, sees no kernel time, and slows the daemon ~50x (so the figures gn-bench
#             prints then mean nothing, and batches grow).
#             perf: the daemons run at full speed; `perf record -e cpu-clock -g` samples LEVEL's
#             daemons during PHASE, user and kernel stacks (fsync, sockets) alike. Hardware
#             counters are not needed (cpu-clock is a software event).
#   -b BIN    the build's bin/ (gn-bench and the daemons); default ../build/bin beside this script
#   -l LEVEL  town (default), district, village (all five), or all (perf only)
#   -p PHASE  b, c (default) or d (d: from the town's restart to the end of the catch-up)
#   -o OUTDIR where the profiles and summaries go; default a new temp dir
#   -f        full-size gn-bench run instead of --quick
#
# Prints the top functions (callgrind: inclusive and exclusive per daemon; perf: by process, by
# library, by symbol, self time). Needs valgrind or perf (apt-get install valgrind linux-perf).
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$here/../build/bin
tool=callgrind
level=town
phase=c
out=""
size=--quick
while getopts "t:b:l:p:o:fh" opt; do
  case $opt in
    t) tool=$OPTARG ;;
    b) bin=$OPTARG ;;
    l) level=$OPTARG ;;
    p) phase=$OPTARG ;;
    o) out=$OPTARG ;;
    f) size="" ;;
    h) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "usage: $0 [-t callgrind|perf] [-b BIN] [-l town|district|village|all] [-p b|c|d] [-o OUTDIR] [-f]" >&2
       exit 2 ;;
  esac
done
case $tool in
  callgrind) need=(valgrind callgrind_control callgrind_annotate)
             case $level in town|district|village) ;; *) echo "profile.sh: bad level $level" >&2; exit 2 ;; esac ;;
  perf) need=(perf)
        case $level in town|district|village|all) ;; *) echo "profile.sh: bad level $level" >&2; exit 2 ;; esac ;;
  *) echo "profile.sh: bad tool $tool" >&2; exit 2 ;;
esac
case $phase in
  b) start='(b) sustained'; stop='(c) latency' ;;
  c) start='(c) latency'; stop='(d) catch-up' ;;
  d) start='(d) catch-up: town restarting'; stop='kept ' ;;
  *) echo "profile.sh: bad phase $phase" >&2; exit 2 ;;
esac
for t in "${need[@]}"; do
  command -v "$t" >/dev/null || { echo "profile.sh: $t not found (apt-get install valgrind linux-perf)" >&2; exit 1; }
done
[ -x "$bin/gn-bench" ] || { echo "profile.sh: $bin/gn-bench not found (build first)" >&2; exit 1; }
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/gn-profile.XXXXXX")
mkdir -p "$out"
log=$out/gn-bench.err

args=(--keep)
[ -z "$size" ] || args+=("$size")
if [ "$tool" = callgrind ]; then
  args+=(--wrap "$level=valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$out/callgrind.out.%p")
fi
args+=(abcde)   # (f) is not profiled here: its own topology, after the phases above
"$bin/gn-bench" "${args[@]}" > "$out/gn-bench.out" 2> "$log" &
bench=$!
recorder=""
cleanup() {
  [ -z "$recorder" ] || kill -INT "$recorder" 2>/dev/null || true
  kill -INT "$bench" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

#  wait_for TEXT: until gn-bench's stderr has TEXT (or it ended).
wait_for() {
  while ! grep -qF -- "$1" "$log"; do
    kill -0 "$bench" 2>/dev/null || return 1
    sleep 0.05
  done
}

#  pids: the running daemons of $level in the run dir.
pids() {
  local run dir code
  run=$(sed -n 's/^gn-bench: run dir //p' "$log")
  for dir in "$run"/t/[0-9]*; do
    code=${dir##*/}
    case $level in
      district) [ "$code" = 610403000000 ] || continue ;;
      town) [[ $code =~ 000$ && $code != 610403000000 ]] || continue ;;
      village) [[ ! $code =~ 000$ ]] || continue ;;
    esac
    sed -n 's/^pid *= *"\{0,1\}\([0-9]*\).*/\1/p' "$dir/endpoints" 2>/dev/null
  done
}

wait_for "$start" || { echo "profile.sh: gn-bench ended before phase $phase" >&2; cat "$log" >&2; exit 1; }
[ "$phase" != d ] || sleep 0.2   # the restarted town is up once the line is out
mapfile -t profiled < <(pids)
[ "${#profiled[@]}" -gt 0 ] || { echo "profile.sh: no $level daemon found" >&2; exit 1; }
echo "profile.sh: $tool on $level (pids ${profiled[*]}) during phase $phase" >&2
if [ "$tool" = callgrind ]; then
  for p in "${profiled[@]}"; do callgrind_control -i on "$p" >/dev/null; done
else
  perf record -e cpu-clock -F 1999 -g -p "$(IFS=,; echo "${profiled[*]}")" -o "$out/perf.data" \
    > "$out/perf-record.log" 2>&1 &
  recorder=$!
fi
wait_for "$stop" || true
if [ "$tool" = callgrind ]; then
  for p in "${profiled[@]}"; do callgrind_control -i off "$p" >/dev/null 2>&1 || true; done
else
  kill -INT "$recorder"
  wait "$recorder" || true
  recorder=""
fi
trap - EXIT
wait "$bench" || { echo "profile.sh: gn-bench failed" >&2; tail -5 "$log" >&2; exit 1; }
run=$(sed -n 's/^gn-bench: run dir //p' "$log")
rm -rf "$run"

#  top FILE N: the first N lines of a report from its header on.
top() { awk '/^Ir|^# Overhead|^ *Overhead/ { on = 1 } on && n++ < '"$2" "$1"; }

if [ "$tool" = callgrind ]; then
  for p in "${profiled[@]}"; do
    f=$out/callgrind.out.$p
    [ -s "$f" ] || { echo "profile.sh: no profile $f" >&2; continue; }
    callgrind_annotate --inclusive=yes "$f" > "$out/inclusive.$p.txt"
    callgrind_annotate "$f" > "$out/exclusive.$p.txt"
    echo "==== $level pid $p, phase $phase: inclusive (top 30) ===="
    top "$out/inclusive.$p.txt" 36
    echo "==== $level pid $p, phase $phase: exclusive (top 25) ===="
    top "$out/exclusive.$p.txt" 31
  done
else
  rep=(perf report -i "$out/perf.data" --stdio --no-children -g none --percent-limit 0.7)
  "${rep[@]}" --sort comm > "$out/by-process.txt" 2>/dev/null
  "${rep[@]}" --sort comm,dso > "$out/by-library.txt" 2>/dev/null
  "${rep[@]}" --sort comm,sym > "$out/by-symbol.txt" 2>/dev/null
  perf report -i "$out/perf.data" --stdio --children -g none --percent-limit 2 --sort comm,sym \
    > "$out/inclusive.txt" 2>/dev/null
  for f in by-process by-library by-symbol inclusive; do
    echo "==== perf, $level, phase $phase: $f ===="
    grep -v '^#' "$out/$f.txt" | grep -v '^$' | head -n 40
  done
fi
echo "profile.sh: files in $out" >&2
