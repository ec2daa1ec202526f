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
#                            doubled D, digests equal E/P"; fail unless lost, doubled (and
#                            diverged) are 0 and every child's subtree digest is its parent's
#   fx_fault WHAT            count one injected fault (and say what it was)
#   fx_parent_up CODE / fx_parent_down CODE   the node's link to its parent is (not) connected
#   fx_profile QUICK FULL    the value for the current profile ($FX_PROFILE: quick or full)
#
# A node in its own network namespace (village_netns.sh), joined to the root namespace by a veth pair
# with addresses from 198.18.0.0/15 (RFC 2544's range for such tests):
#   fx_netns_new             the namespace, the veth pair and a /30 (FX_NS, FX_VETH_HOST, FX_HOST_IP,
#                            FX_NS_IP); exit 77 (skip) if this machine cannot create them. Deleted
#                            on every exit (GN_ATEXIT), after the processes in it are gone
#   fx_netns_cut / fx_netns_heal   the host end of the veth down / up (no RST, no FIN: packets drop)
#   fx_netns_bridge CODE     a gn-faultproxy inside the namespace from FX_NS_IP to CODE's API there,
#                            so the checker (in the root namespace) reaches it while the link is up
#   (set GN_NETNS[CODE]=$FX_NS before gn_start: the daemon, gridctl and the loadgen run inside)
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
FX_RATE=${FX_RATE:-$(fx_profile 500 200)}   # reports/s per loadgen: long runs pile up no more than needed
FX_LOADS=()            # codes with a loadgen, in start order
FX_LOAD_SECS=600       # how long fx_load_wait waits for a loadgen to reach its count
declare -A FX_CTL=() FX_LISTEN=() FX_LOAD_PID=() FX_LOAD_RUN=()
declare -A FX_CHECK_DIR=()   # CODE -> the dir whose endpoints the checker reads (default its data dir)


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
  "$FX_PROXY" --listen "tcp://127.0.0.1:![$GN_PORTS]" --to "$to" --control "$GN_ANY_PORT" \
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
  local code=$1 count=$2 threads=${3:-4} rate=${4:-$FX_RATE} run pre=()
  run=$(( ${FX_LOAD_RUN[$code]:-0} + 1 ))
  FX_LOAD_RUN[$code]=$run
  [ -z "${FX_LOAD_PID[$code]:-}" ] || fail "fx_load_start: a loadgen already runs at $code"
  [ -z "${GN_NETNS[$code]:-}" ] || pre=(ip netns exec "${GN_NETNS[$code]}")   # exec'd: $! is the loadgen
  "${pre[@]}" "$FX_LOADGEN" -d "$GN_TMP/$code" --out "$GN_TMP/acked.$code" --threads "$threads" \
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
  for code in "${GN_NODES[@]}"; do echo "${FX_CHECK_DIR[$code]:-$GN_TMP/$code}"; done
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

# ---- a node in its own network namespace ----
#
# Names carry this run's pid, so that parallel runs never meet: the namespace gnfx-<pid>-<i>, the
# veth ends gnfxh<pid> (root namespace) and gnfxn<pid> (inside). The /30 is the i-th of
# 198.18.0.0/15, i = pid mod 32768 (the next free one if taken): host end .1, namespace end .2 of it.
# A route `unreachable <net>/30 metric 4242` in the root namespace claims the /30 (adding it is
# atomic: a parallel run that picked the same one gets EEXIST and moves on) and keeps traffic for it
# off the default route while the veth is down (the kernel drops the veth's own route then: anything
# sent to the namespace's address would otherwise leave through eth0). The namespace has no route
# but its /30, so nothing inside reaches anything but 127.0.0.1 and the host end.
# A run killed with SIGKILL leaves its namespace behind; the next run deletes it (its pid is gone
# and nothing runs in it).

FX_NS="" FX_NS_IDX="" FX_VETH_HOST="" FX_VETH_NS="" FX_HOST_IP="" FX_NS_IP=""
FX_NS_METRIC=4242

_fx_skip() {
  echo "SKIP [$GN_NAME]: $*"
  exit 77
}

#  _fx_net I N: address N (0 = the network) of the I-th /30 of 198.18.0.0/15 (I in 0..32767).
_fx_net() {
  local off=$(( $1 * 4 + $2 ))
  echo "198.$(( 18 + off / 65536 )).$(( off / 256 % 256 )).$(( off % 256 ))"
}

#  _fx_netns_remove NS HOST_VETH I: whatever of them exists goes (processes in NS first).
_fx_netns_remove() {
  local ns=$1 veth=$2 idx=$3 pid
  if [ -n "$ns" ]; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  fi
  [ -z "$veth" ] || ! ip link show dev "$veth" >/dev/null 2>&1 || ip link del dev "$veth" 2>/dev/null
  [ -z "$ns" ] || ip netns del "$ns" 2>/dev/null
  [ -z "$idx" ] || ip route del unreachable "$(_fx_net "$idx" 0)/30" metric $FX_NS_METRIC 2>/dev/null
  return 0
}

_fx_netns_cleanup() {
  _fx_netns_remove "$FX_NS" "$FX_VETH_HOST" "$FX_NS_IDX"
  if [ -n "$FX_NS" ] && ip netns list 2>/dev/null | grep -q "^$FX_NS\b"; then
    echo "WARNING [$GN_NAME]: network namespace $FX_NS is still there" >&2
  fi
}

#  Namespaces left by runs that were killed (SIGKILL: no trap): their pid is gone, nothing runs.
_fx_netns_sweep() {
  local ns pid
  while read -r ns _; do
    [[ $ns =~ ^gnfx-([0-9]+)-([0-9]+)$ ]] || continue
    pid=${BASH_REMATCH[1]}
    [ "$pid" != "$$" ] || continue
    ! kill -0 "$pid" 2>/dev/null || continue
    [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
    echo "# deleting $ns, left behind by a run that was killed"
    _fx_netns_remove "$ns" "gnfxh$pid" "${BASH_REMATCH[2]}"
  done < <(ip netns list 2>/dev/null)
}

fx_netns_carrier() {
  local s
  s=$(ip -n "$FX_NS" link show dev "$FX_VETH_NS" 2>/dev/null) && [[ $s == *LOWER_UP* ]]
}

fx_netns_new() {
  local idx try err=$GN_TMP/netns.err
  command -v ip >/dev/null 2>&1 || _fx_skip "no 'ip' command (package iproute2)"
  GN_ATEXIT+=(_fx_netns_cleanup)
  # A signal ends the run through the exit trap, with a failing status: the namespace goes too.
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  _fx_netns_sweep
  idx=$(( $$ % 32768 ))
  for try in $(seq 1 64); do
    if ip route add unreachable "$(_fx_net "$idx" 0)/30" metric $FX_NS_METRIC 2>"$err"; then
      FX_NS_IDX=$idx
      break
    fi
    grep -q 'File exists' "$err" ||
      _fx_skip "cannot add a route (root or CAP_NET_ADMIN needed): $(cat "$err")"
    idx=$(( (idx + 1) % 32768 ))
  done
  [ -n "$FX_NS_IDX" ] || fail "no free /30 in 198.18.0.0/15 after $try tries"
  FX_HOST_IP=$(_fx_net "$idx" 1)
  FX_NS_IP=$(_fx_net "$idx" 2)
  ip netns add "gnfx-$$-$idx" 2>"$err" ||
    _fx_skip "cannot create a network namespace (root, or CAP_SYS_ADMIN and CAP_NET_ADMIN, needed): $(cat "$err")"
  FX_NS=gnfx-$$-$idx
  ip netns exec "$FX_NS" true 2>"$err" || _fx_skip "cannot enter a network namespace: $(cat "$err")"
  ip link add "gnfxh$$" type veth peer name "gnfxn$$" netns "$FX_NS" 2>"$err" ||
    _fx_skip "cannot create a veth pair: $(cat "$err")"
  FX_VETH_HOST=gnfxh$$ FX_VETH_NS=gnfxn$$
  # No IPv6 link-local addresses: nothing but our IPv4 traffic on the pair.
  ip link set dev "$FX_VETH_HOST" addrgenmode none 2>/dev/null || true
  ip -n "$FX_NS" link set dev "$FX_VETH_NS" addrgenmode none 2>/dev/null || true
  ip addr add "$FX_HOST_IP/30" dev "$FX_VETH_HOST"
  ip -n "$FX_NS" addr add "$FX_NS_IP/30" dev "$FX_VETH_NS"
  ip -n "$FX_NS" link set dev lo up
  ip -n "$FX_NS" link set dev "$FX_VETH_NS" up
  ip link set dev "$FX_VETH_HOST" up
  wait_until 10 fx_netns_carrier
  echo "# namespace $FX_NS: $FX_VETH_HOST $FX_HOST_IP/30 <-> $FX_VETH_NS $FX_NS_IP/30"
}

fx_netns_cut() {
  ip link set dev "$FX_VETH_HOST" down
  wait_until 10 "! fx_netns_carrier"
}

fx_netns_heal() {
  ip link set dev "$FX_VETH_HOST" up
  wait_until 10 fx_netns_carrier
}

#  fx_netns_bridge CODE: the checker runs in the root namespace and CODE's API listens on
#  127.0.0.1 inside FX_NS: a gn-faultproxy in FX_NS forwards FX_NS_IP:<port> to it, and the
#  checker reads $GN_TMP/bridge.CODE/endpoints (api = the proxy). Usable while the link is up.
fx_netns_bridge() {
  local code=$1 dir=$GN_TMP/bridge.$1 api pid listen
  api=$(gn_endpoint "$GN_TMP/$code" api)
  [ -n "$api" ] || fail "fx_netns_bridge: $code has no api endpoint"
  mkdir -p "$dir/proxy"
  ip netns exec "${GN_NETNS[$code]}" "$FX_PROXY" --listen "tcp://$FX_NS_IP:![$GN_PORTS]" --to "$api" \
    --control "$GN_ANY_PORT" --ready "$dir/proxy/endpoints" >> "$dir/proxy.log" 2>&1 &
  pid=$!
  GN_BG+=("$pid")
  _gn_poll 15 "[ -s '$dir/proxy/endpoints' ] || ! _gn_alive $pid" || true
  _gn_alive "$pid" || fail "the bridge to $code's API exited: $(cat "$dir/proxy.log")"
  listen=$(gn_endpoint "$dir/proxy" listen)
  [ -n "$listen" ] || fail "the bridge to $code's API wrote no listen endpoint"
  echo "api = \"$listen\"" > "$dir/endpoints"
  FX_CHECK_DIR[$code]=$dir
}

# ---- check ----

fx_check() {
  local dirs acked=() f out rc=0 line
  mapfile -t dirs < <(fx_nodes_dirs)
  for f in "$GN_TMP"/acked.*; do [ -f "$f" ] && acked+=(--acked "$f"); done
  out=$("$FX_CHECK" --timeout $((10000 * GN_SCALE)) "${acked[@]}" "${dirs[@]}" 2> "$GN_TMP/check.err") || rc=$?
  line=$(printf '%s\n' "$out" | tail -n 1)
  [[ $line =~ ops\ checked\ ([0-9]+),\ acked\ ([0-9]+),\ lost\ ([0-9]+),\ doubled\ ([0-9]+),\ diverged\ ([0-9]+).*digests\ equal\ ([0-9]+/[0-9]+) ]] ||
    fail "checker failed (exit $rc): $out $(head -n 20 "$GN_TMP/check.err")"
  echo "$line"
  echo "faults injected $FX_FAULTS, ops checked ${BASH_REMATCH[1]}, lost ${BASH_REMATCH[3]}, doubled ${BASH_REMATCH[4]}, digests equal ${BASH_REMATCH[6]}"
  [ "$rc" -eq 0 ] || fail "checker found problems: $(head -n 30 "$GN_TMP/check.err")"
  [ "${BASH_REMATCH[2]}" -gt 0 ] || fail "checker saw no acknowledged case"
  local acked_n=${BASH_REMATCH[2]} digests=${BASH_REMATCH[6]}
  [ "${digests%/*}" = "${digests#*/}" ] && [ "${digests#*/}" -gt 0 ] ||
    fail "subtree digests: $digests pairs equal"
  ok "checked: $acked_n acknowledged cases, lost 0, doubled 0, diverged 0, subtree digests equal in $digests child-parent pairs"
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
