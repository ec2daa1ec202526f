# tests/faults/lib-faults.sh -- sourced by the fault scenarios tests/faults/f_*.sh (on ../lib.sh).
#
# Topology: the district, one town (杨陵街道) and FX_VILLAGES of its villages, every child linked to
# its parent through its own gn-faultproxy, so each link can be delayed, throttled, stalled, cut or
# reset on its own. Load: one gn-loadgen per village recording every acknowledged case. Check:
# gn-faultcheck over every node (none lost, none doubled, per-origin op seqs 1..max, each child's
# subtree identical at its parent).
#
#   fx_topology N            district + town + N villages (codes in FX_VILLAGE_CODES), all proxied
#   fx_node LEVEL CODE PARENT [-s k=v...]   start CODE behind a new proxy to PARENT's sync endpoint
#   fx_ctl CODE CMD [ARG]    send a command to the proxy in front of CODE (pass, delay MS, ...)
#   fx_load_start CODE COUNT [THREADS [RATE]]  gn-loadgen at CODE until COUNT acks (or fx_load_stop),
#                            at most RATE reports/s (default FX_RATE; 0 = as fast as it goes)
#   fx_acked CODE            acknowledged reports of CODE's loadgen so far
#   fx_wait_acked CODE N [SECONDS]          until CODE's loadgen has N more acks than now
#   fx_load_wait [CODE...]   wait for the loadgens (of CODEs, default all) to end; fail if one failed
#   fx_load_stop             ask every loadgen to stop, then fx_load_wait
#   fx_wait_synced [SECONDS] until every link has caught up both ways
#   fx_check                 run the checker; print "faults injected N, ops checked M, lost L,
#                            doubled D"; fail unless lost, doubled (and diverged) are 0
#   fx_fault WHAT            count one injected fault (and say what it was)
#   fx_parent_up CODE / fx_parent_down CODE   the node's link to its parent is (not) connected
#   fx_profile QUICK FULL    the value for the current profile ($FX_PROFILE: quick or full)
#
# Environment (besides ../lib.sh's): FX_PROFILE=quick|full (the f_quick_*/f_full_* wrappers set it).
# shellcheck shell=bash
# Helpers with optional arguments are called without them:
# shellcheck disable=SC2119,SC2120
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

FX_PROFILE=${FX_PROFILE:-quick}
fx_profile() { if [ "$FX_PROFILE" = full ]; then echo "$2"; else echo "$1"; fi; }
FX_PROXY=$GN_BIN/gn-faultproxy
FX_LOADGEN=$GN_BIN/gn-loadgen
FX_CHECK=$GN_BIN/gn-faultcheck
for _b in "$FX_PROXY" "$FX_LOADGEN" "$FX_CHECK"; do
  [ -x "$_b" ] || fail "$_b not found (build first: cmake --build <build dir>)"
done

FX_D=610403000000      # 杨陵区
FX_T=610403001000      # 杨陵街道
FX_ALL_VILLAGES=(610403001001 610403001003 610403001004 610403001005 610403001208 610403001209)
FX_VILLAGE_CODES=()
FX_FAULTS=0
FX_RATE=${FX_RATE:-$(fx_profile 500 400)}   # reports/s per loadgen: long runs pile up no more than needed
FX_LOADS=()            # codes with a loadgen, in start order
FX_LOAD_SECS=600       # how long fx_load_wait waits for a loadgen to reach its count
declare -A FX_CTL=() FX_LISTEN=() FX_LOAD_PID=() FX_LOAD_RUN=()


fx_fault() {
  FX_FAULTS=$((FX_FAULTS + 1))
  echo "# fault $FX_FAULTS: $*"
}

#  fx_proxy CODE PARENT: a proxy in front of PARENT's sync endpoint, for CODE's link up. Its ready
#  file is $GN_TMP/proxy.CODE/endpoints (keys listen, control, pid), read like a node's.
fx_proxy() {
  local code=$1 parent=$2 to dir=$GN_TMP/proxy.$1 pid
  to=$(gn_endpoint "$GN_TMP/$parent" sync)
  [ -n "$to" ] || fail "fx_proxy $code: $parent has no sync endpoint (start it first)"
  mkdir -p "$dir"
  "$FX_PROXY" --listen "tcp://127.0.0.1:*" --to "$to" --control "$GN_ANY_PORT" \
    --ready "$dir/endpoints" >> "$dir/proxy.log" 2>&1 &
  pid=$!
  GN_BG+=("$pid")
  _gn_poll 15 "[ -s '$dir/endpoints' ] || ! _gn_alive $pid" || true
  _gn_alive "$pid" || fail "gn-faultproxy for $code exited: $(cat "$dir/proxy.log")"
  FX_LISTEN[$code]=$(gn_endpoint "$dir" listen)
  FX_CTL[$code]=$(gn_endpoint "$dir" control)
  if [ -z "${FX_LISTEN[$code]}" ] || [ -z "${FX_CTL[$code]}" ]; then
    fail "gn-faultproxy for $code: no listen/control in $dir/endpoints"
  fi
}

fx_node() {
  local level=$1 code=$2 parent=$3
  shift 3
  fx_proxy "$code" "$parent"
  gn_start "$level" "$code" -s "sync/parent=${FX_LISTEN[$code]}" "$@"
}

fx_topology() {
  local n=$1 v
  [ "$n" -le "${#FX_ALL_VILLAGES[@]}" ] || fail "fx_topology: at most ${#FX_ALL_VILLAGES[@]} villages"
  FX_VILLAGE_CODES=("${FX_ALL_VILLAGES[@]:0:$n}")
  gn_start district $FX_D
  fx_node town $FX_T $FX_D
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_node village "$v" $FX_T; done
}

fx_ctl() {
  local code=$1 out; shift
  out=$("$FX_PROXY" ctl "${FX_CTL[$code]}" "$@") || fail "proxy of $code: '$*' failed: $out"
  echo "$out"
}

# ---- load ----

#  fx_load_start CODE COUNT [THREADS [RATE]]: report at CODE until COUNT reports were acknowledged.
fx_load_start() {
  local code=$1 count=$2 threads=${3:-4} rate=${4:-$FX_RATE} run
  run=$(( ${FX_LOAD_RUN[$code]:-0} + 1 ))
  FX_LOAD_RUN[$code]=$run
  [ -z "${FX_LOAD_PID[$code]:-}" ] || fail "fx_load_start: a loadgen already runs at $code"
  "$FX_LOADGEN" -d "$GN_TMP/$code" --out "$GN_TMP/acked.$code" --threads "$threads" \
    --count "$count" --stop "$GN_TMP/stop-load" --tag "fx-$code-r$run" \
    --timeout $((3000 * GN_SCALE)) --rate "$rate" >> "$GN_TMP/load.$code.log" 2>&1 &
  FX_LOAD_PID[$code]=$!
  GN_BG+=("$!")
  [[ " ${FX_LOADS[*]} " == *" $code "* ]] || FX_LOADS+=("$code")
}

fx_acked() {
  local n=0
  [ ! -f "$GN_TMP/acked.$1" ] || n=$(wc -l < "$GN_TMP/acked.$1")
  echo "$n"
}

#  fx_wait_acked CODE N [SECONDS]: until CODE's loadgen acknowledged N more reports than now
#  (or ended).
fx_wait_acked() {
  local code=$1 want secs=${3:-120}
  want=$(( $(fx_acked "$code") + $2 ))
  wait_until "$secs" "[ \$(fx_acked $code) -ge $want ] || ! _gn_alive ${FX_LOAD_PID[$code]}"
}

fx_load_wait() {
  local code pid rc codes=("$@") left=()
  [ $# -gt 0 ] || codes=("${FX_LOADS[@]}")
  for code in "${codes[@]}"; do
    pid=${FX_LOAD_PID[$code]:-}
    [ -n "$pid" ] || continue
    wait_until "$FX_LOAD_SECS" "! _gn_alive $pid"
    rc=0; wait "$pid" || rc=$?
    FX_LOAD_PID[$code]=""
    [ "$rc" -eq 0 ] || fail "gn-loadgen at $code exited $rc: $(tail -n 5 "$GN_TMP/load.$code.log")"
    tail -n 1 "$GN_TMP/load.$code.log"
  done
  for code in "${FX_LOADS[@]}"; do [ -z "${FX_LOAD_PID[$code]:-}" ] || left+=("$code"); done
  FX_LOADS=("${left[@]}")
}

fx_load_stop() {
  touch "$GN_TMP/stop-load"
  FX_LOAD_SECS=60 fx_load_wait
  rm -f "$GN_TMP/stop-load"
}

# ---- links ----

#  _fx_parent_link CODE: the node's link to its parent as "connected acked head".
_fx_parent_link() {
  gn_ctl "$1" --json --timeout 2000 status 2>/dev/null |
    jq -r '[((.links // []) | map(select(.role == "parent")) | .[0] // {}) as $l
            | ($l.connected // false), ($l.acked // 0), (.feed_head // 0)] | @tsv'
}
fx_parent_up() { local s; s=$(_fx_parent_link "$1") && [[ $s == true* ]]; }
fx_parent_down() { local s; s=$(_fx_parent_link "$1") && [[ $s == false* ]]; }

fx_nodes_dirs() {
  local code
  for code in "${GN_NODES[@]}"; do echo "$GN_TMP/$code"; done
}

fx_synced() {
  local dirs; mapfile -t dirs < <(fx_nodes_dirs)
  "$FX_CHECK" --synced --timeout 3000 "${dirs[@]}" > "$GN_TMP/synced.out" 2>&1
}

fx_wait_synced() {
  local secs=${1:-180} dirs
  if ! _gn_poll "$secs" fx_synced; then
    mapfile -t dirs < <(fx_nodes_dirs)
    "$FX_CHECK" --synced --verbose --timeout 3000 "${dirs[@]}" >&2 || true
    fail "links did not catch up within $((secs * GN_SCALE))s"
  fi
}

# ---- check ----

fx_check() {
  local dirs acked=() f out rc=0 line
  mapfile -t dirs < <(fx_nodes_dirs)
  for f in "$GN_TMP"/acked.*; do [ -f "$f" ] && acked+=(--acked "$f"); done
  out=$("$FX_CHECK" --timeout $((10000 * GN_SCALE)) "${acked[@]}" "${dirs[@]}" 2> "$GN_TMP/check.err") || rc=$?
  line=$(printf '%s\n' "$out" | tail -n 1)
  [[ $line =~ ops\ checked\ ([0-9]+),\ acked\ ([0-9]+),\ lost\ ([0-9]+),\ doubled\ ([0-9]+),\ diverged\ ([0-9]+) ]] ||
    fail "checker failed (exit $rc): $out $(head -n 20 "$GN_TMP/check.err")"
  echo "$line"
  echo "faults injected $FX_FAULTS, ops checked ${BASH_REMATCH[1]}, lost ${BASH_REMATCH[3]}, doubled ${BASH_REMATCH[4]}"
  [ "$rc" -eq 0 ] || fail "checker found problems: $(head -n 30 "$GN_TMP/check.err")"
  [ "${BASH_REMATCH[2]}" -gt 0 ] || fail "checker saw no acknowledged case"
  ok "checked: ${BASH_REMATCH[2]} acknowledged cases, lost 0, doubled 0, diverged 0"
}

#  fx_sample_show CODE N: N acknowledged cases of CODE, as gridctl --json show prints them at the
#  district: history versions 1..n, each op id once (a cross-check of the checker's own reading).
fx_sample_show() {
  local code=$1 n=$2 id out
  while read -r id _; do
    out=$(gn_ctl $FX_D --json show "$id") || fail "show $id at the district failed"
    jq -e '(.history | length) >= 1
           and ([.history[].version] == [range(1; (.history | length) + 1)])
           and ([.history[] | [.origin, .seq]] | length == (unique | length))' <<<"$out" >/dev/null ||
      fail "bad history of $id at the district: $(jq -c '[.history[]? | {version, origin, seq}]' <<<"$out")"
  done < <(awk -v n="$n" 'NR % 97 == 1 && c++ < n' "$GN_TMP/acked.$code")
}
