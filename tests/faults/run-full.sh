#!/usr/bin/env bash
# tests/faults/run-full.sh -- build gridnet and run every fault scenario, quick and full, one after
# another, and print each one's summary line.
#
#   bash tests/faults/run-full.sh [--repeat N] [--only PATTERN] [--asan] [BUILD_DIR]
#
#   --repeat N     run the whole set N times in a row (default 1); no further run after a failure
#   --only PAT     only the scenarios whose file name matches the glob PAT (e.g. 'f_quick_*')
#   --asan         build with ASan+UBSan (GN_SANITIZE=ON) and stretch every deadline 3 times
#   BUILD_DIR      default build-faults/ (build-faults-asan/ with --asan) in the source tree
#
# Logs: BUILD_DIR/faults-logs/<run>/<scenario>.log (a failed scenario's temp dir is kept there
# too, GN_KEEP). Exit 0 if every scenario passed (or was skipped: exit 77, e.g. village_netns
# without root) every time. The last lines are the summaries:
#   f_full_town_kill9: faults injected 12, ops checked ..., lost 0, doubled 0
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
repeat=1 only='f_*' asan=0 build=""
while [ $# -gt 0 ]; do
  case $1 in
    --repeat) repeat=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --asan) asan=1; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "run-full.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "run-full.sh: --repeat wants a positive number" >&2; exit 2; }
if [ -z "$build" ]; then
  build=$root/build-faults
  [ "$asan" -eq 0 ] || build=$root/build-faults-asan
fi

sanitize=OFF scale=1
if [ "$asan" -eq 1 ]; then
  sanitize=ON scale=3
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
cmake -S "$root" -B "$build" -DGN_FAULTS_FULL=ON -DGN_SANITIZE=$sanitize > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; echo "run-full.sh: configure failed" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)" > "$build.build.log" 2>&1 ||
  { tail -n 40 "$build.build.log" >&2; echo "run-full.sh: build failed" >&2; exit 1; }

scenarios=()
for f in "$here"/$only.sh; do   # unquoted: PAT is a glob
  f=${f##*/}
  [[ -f $here/$f && $f =~ ^f_(quick|full)_ ]] && scenarios+=("$f")
done
[ "${#scenarios[@]}" -gt 0 ] || { echo "run-full.sh: no scenario matches $only" >&2; exit 2; }
# Replayed batches, duplicate HELLOs and old cursors come on the wire, from a hostile child.
case $only in 'f_*'|'f_full_*') scenarios+=(../t_hostile.sh) ;; esac

summaries=() failed=0 t_all=$SECONDS
for run in $(seq 1 "$repeat"); do
  logs=$build/faults-logs/$run
  mkdir -p "$logs"
  for s in "${scenarios[@]}"; do
    name=${s##*/} name=${name%.sh} t0=$SECONDS rc=0
    echo "== run $run/$repeat: $name"
    GN_BIN=$build/bin GN_TIMEOUT_SCALE=$scale GN_KEEP=1 TMPDIR=$logs \
      bash "$here/$s" > "$logs/$name.log" 2>&1 || rc=$?
    line=$(grep -E '^faults injected [0-9]+, ops checked|^[0-9]+ passed, [0-9]+ failed' \
           "$logs/$name.log" | head -n 1)
    if [ "$rc" -eq 0 ]; then
      summaries+=("run $run: $name ($((SECONDS - t0)) s): ${line:-no summary}")
      echo "   passed in $((SECONDS - t0)) s: $line"
    elif [ "$rc" -eq 77 ]; then   # cannot run here (village_netns, disk_full without root)
      line=$(grep -E '^SKIP' "$logs/$name.log" | head -n 1)
      summaries+=("run $run: $name: skipped: ${line:-exit 77}")
      echo "   skipped: $line"
    else
      failed=1
      summaries+=("run $run: $name ($((SECONDS - t0)) s): FAILED (exit $rc), log $logs/$name.log")
      echo "   FAILED (exit $rc) after $((SECONDS - t0)) s; log: $logs/$name.log"
      grep -E '^FAIL' "$logs/$name.log" | head -n 3 | sed 's/^/   /'
    fi
  done
  [ "$failed" -eq 0 ] || break
done

echo "== summary ($((SECONDS - t_all)) s)"
printf '%s\n' "${summaries[@]}"
[ "$failed" -eq 0 ] && echo "all passed" || echo "some scenario failed"
exit "$failed"
