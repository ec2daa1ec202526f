# Scenario (c2): a village in its own network namespace, cut off for real (the veth link set down)
# while it keeps taking reports and the town dispatches cases to it; heal; converge.
# Sourced by f_quick_village_netns.sh and f_full_village_netns.sh (FX_PROFILE quick|full).
#  1. a network namespace and a veth pair with a /30 from 198.18.0.0/15 (lib-faults.sh,
#     fx_netns_new; exit 77 where the machine cannot make them); the district, the town with its
#     sync socket bound on the host end of the veth, village 2 behind its proxy as usual, and
#     village 1 run inside the namespace (`ip netns exec`), its sync/parent the town's address on
#     the veth. Its loadgen and every gridctl call for it run inside the namespace too, on its API
#     at 127.0.0.1 there. A loadgen at each village;
#  2. FX_CYCLES times:
#     - cases the town owns, accepted: reported at the town for village 1's grid (village 1 never
#       held them: the dispatch takes their history down), one reported at village 2 and one at
#       village 1, each escalated to the town;
#     - `ip link set <host end> down`: no FIN, no RST, the packets just drop. Both ends notice by
#       heartbeats only (sync/heartbeat; dead after 3 missed): the village declares its parent
#       silent, the town shows the link down; village 2's link stays up;
#     - while cut the town dispatches every one of those cases --to village 1 (its API takes them:
#       they wait in its feed), the village goes on acknowledging reports, and the town applies
#       none of them; the village owns none of the dispatched cases yet;
#     - `ip link set <host end> up`: the village links again (libzmq reconnects; the node renews its
#       DEALER if the old connect is stuck in SYN retries), the dispatched cases arrive (owner the
#       village, DISPATCHED, dispatchers [town]), its backlog reaches the town; the village handles
#       each one and it goes back up to the town, HANDLED;
#  3. the load stops; the links catch up; every dispatched case's `show --json` is byte-identical at
#     every node holding it; the checker (none lost, none doubled, converged).
# Traffic goes nowhere but 127.0.0.1 (in either namespace) and the /30 on the veth pair.
# Heartbeats stay at their default (1000 ms), no TCP keepalive: ZMTP and sync heartbeats declare the
# dead connection in about 3 s at both ends; after `up` the village's libzmq reconnect is stuck in
# a connect whose SYNs were dropped (retransmitted 1, 3, 7, 15... s later), but the node renews its
# DEALER after hb, 2 hb, 4 hb... up to 32 hb without a session (node.c, s_up_renew), and one of
# those connects' SYN gets through: linked again 0.6 to 6 s after `up` in these runs.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

CYCLES=$(fx_profile 2 4)
NDISPATCH=$(fx_profile 4 6)          # cases the town dispatches down during each cut (>= 3)
STEP=$(fx_profile 300 400)          # reports the village acknowledges before and during a cut
V=${FX_ALL_VILLAGES[0]}              # in the namespace
V2=${FX_ALL_VILLAGES[1]}             # in the root namespace, behind its proxy
CASES=()                             # every case dispatched to V
declare -A ORIGIN=()

#  town_link CODE JQ: jq JQ over the town's link to its child CODE (from `status --json`).
town_link() {
  local st
  st=$(gn_ctl $FX_T --json status 2>/dev/null) || return 1
  jq -e --argjson v "$1" "[(.links // [])[] | select(.peer == \$v)][0] // {} | $2" <<<"$st"
}
town_applied() { town_link "$1" '.applied // 0'; }
#  town_has CODE HEAD: the town applied CODE's feed up to HEAD.
town_has() { local a; a=$(town_applied "$1") && [ "$a" -ge "$2" ]; }

#  is NODE ID JQ: `show --json ID` at NODE satisfies JQ (false if the node lacks the case).
is() {
  local out
  out=$(gn_ctl "$1" --json show "$2" 2>/dev/null) || return 1
  jq -e "$3" <<<"$out" >/dev/null 2>&1
}

#  act NODE ID ACTION "STATUS OWNER" [ARGS...]: a workflow action that must succeed and leave the
#  case STATUS, owned by OWNER.
act() {
  local node=$1 id=$2 action=$3 want=$4 out rc=0 w; shift 4
  out=$(gn_ctl "$node" "$action" "$id" "$@" 2>&1) || rc=$?
  [ "$rc" -eq 0 ] || fail "$action $id at $node was refused (exit $rc): $out"
  read -r -a w <<<"$want"
  [[ $out =~ ^$id\ ${w[0]}\ owner=${w[1]}\ v=[0-9]+$ ]] ||
    fail "$action $id at $node printed '$out', expected '$id ${w[0]} owner=${w[1]} v=N'"
}

#  report NODE TITLE: a case reported at NODE for a grid of village 1 (or of NODE, a village);
#  prints its id.
report() {
  local node=$1 grid=$V-001 id
  [ "$node" = $FX_T ] || grid=$node-001
  id=$(gn_ctl "$node" report --grid "$grid" --category 矛盾纠纷 --title "$2" \
         --description "村民反映邻里纠纷，请求调处。" --reporter-id "gw-$node") ||
    fail "report at $node failed"
  [[ $id =~ ^[0-9]{12}-[0-9]+$ ]] || fail "report at $node printed '$id', expected a case id"
  echo "$id"
}

#  same ID NODE...: the case's `show --json` is byte-identical at every NODE.
same() {
  local id=$1 first=$2 node; shift 2
  gn_ctl "$first" --json show "$id" > "$GN_TMP/same.0" 2>/dev/null || return 1
  for node in "$@"; do
    gn_ctl "$node" --json show "$id" > "$GN_TMP/same.1" 2>/dev/null || return 1
    cmp -s "$GN_TMP/same.0" "$GN_TMP/same.1" || return 1
  done
}

ms_since() { echo $(( ($(_gn_now_us) - $1) / 1000 )); }

# ---- 1. the namespace, the nodes, the load ----
fx_netns_new
gn_start district $FX_D
fx_node town $FX_T $FX_D -s "sync/bind=tcp://$FX_HOST_IP:![$GN_PORTS]"
sync_ep=$(gn_endpoint "$GN_TMP/$FX_T" sync)
[[ $sync_ep =~ ^tcp://${FX_HOST_IP//./\\.}:[0-9]+$ ]] ||
  fail "the town's endpoints file says sync = '$sync_ep', expected tcp://$FX_HOST_IP:<port>"
fx_node village "$V2" $FX_T
GN_NETNS[$V]=$FX_NS
gn_start village "$V" $FX_T          # sync/parent = the town's endpoint, across the veth
FX_VILLAGE_CODES=("$V" "$V2")
[ "$(ip netns identify "${GN_PID[$V]}")" = "$FX_NS" ] ||
  fail "$V (pid ${GN_PID[$V]}) does not run in $FX_NS"
wait_until 60 "fx_parent_up $V && fx_parent_up $V2"
fx_netns_bridge "$V"
ok "district, town (sync on $sync_ep), $V2 behind its proxy, $V in namespace $FX_NS linked across the veth"
fx_load_start "$V" 1000000 4
fx_load_start "$V2" 1000000 1

for k in $(seq 1 "$CYCLES"); do
  # ---- cases the town owns, for village 1 ----
  cut_cases=()
  for i in $(seq 1 $((NDISPATCH - 2))); do
    id=$(report $FX_T "nx-c$k-town-$i")
    act $FX_T "$id" accept "accepted $FX_T"
    cut_cases+=("$id")
  done
  for n in "$V2" "$V"; do
    id=$(report "$n" "nx-c$k-from-$n")
    act "$n" "$id" escalate "reported $FX_T"
    wait_until 60 "is $FX_T $id '.state.owner == $FX_T'"
    act $FX_T "$id" accept "accepted $FX_T"
    cut_cases+=("$id")
  done
  for id in "${cut_cases[@]}"; do ORIGIN[$id]=${id%-*}; done
  CASES+=("${cut_cases[@]}")
  fx_wait_acked "$V" "$STEP"

  # ---- cut ----
  t0=$(_gn_now_us)
  fx_netns_cut
  fx_fault "veth $FX_VETH_HOST down: $V cut off ($k/$CYCLES)"
  wait_until 60 "fx_parent_down $V"
  t_village=$(ms_since "$t0")
  wait_until 60 "town_link $V '.connected | not' >/dev/null"
  t_town=$(ms_since "$t0")
  fx_parent_up "$V2" || fail "$V2's link went down with $V's veth"
  echo "# cut $k: $V declared its parent silent after $t_village ms, the town its child after $t_town ms"
  gn_ctl $FX_T status | awk -v v="$V" '$1 == v' | sed 's/^/#   town: /'
  before=$(town_applied "$V")
  for id in "${cut_cases[@]}"; do
    act $FX_T "$id" dispatch "dispatched $V" --to "$V" --note "请${V}社区调处（断网期间派发）"
  done
  fx_wait_acked "$V" "$STEP"
  after=$(town_applied "$V")
  [ "$after" -eq "$before" ] ||
    fail "the town applied $V's feed from $before to $after while the veth was down"
  town_link "$V" '.connected | not' >/dev/null || fail "the town's link to $V came up while cut"
  for id in "${cut_cases[@]}"; do
    ! is "$V" "$id" ".state.owner == $V" || fail "$id reached $V while the veth was down"
  done

  # ---- heal ----
  t0=$(_gn_now_us)
  fx_netns_heal
  wait_until 120 "fx_parent_up $V"
  t_link=$(ms_since "$t0")
  for id in "${cut_cases[@]}"; do
    wait_until 60 "is $V $id '.state.owner == $V and .state.status == \"dispatched\"
                              and .state.dispatchers == [$FX_T]'"
  done
  t_cases=$(ms_since "$t0")
  head=$(gn_ctl "$V" --json status | jq '.feed_head')
  wait_until 120 "town_has $V $head"
  t_backlog=$(ms_since "$t0")
  echo "# heal $k: $V linked after $t_link ms, the $NDISPATCH dispatched cases there after" \
       "$t_cases ms, its backlog (feed head $head) at the town after $t_backlog ms"
  for id in "${cut_cases[@]}"; do
    act "$V" "$id" handle "handled $FX_T" --note "已调处，双方达成协议（第${k}轮）"
  done
  for id in "${cut_cases[@]}"; do
    wait_until 60 "is $FX_T $id '.state.owner == $FX_T and .state.status == \"handled\"
                                  and .state.handler == $V'"
  done
done
ok "cut $CYCLES times: the village kept acknowledging, the town got nothing while cut and" \
   "dispatched $NDISPATCH cases each time; after each heal they arrived, were handled, went back up"

# ---- 3. converge, check ----
fx_wait_acked "$V" "$STEP"
fx_load_stop
fx_wait_synced
ok "every link caught up"
for id in "${CASES[@]}"; do
  nodes=("$V" "$FX_T" "$FX_D")
  [ "${ORIGIN[$id]}" != "$V2" ] || nodes+=("$V2")
  if ! _gn_poll 30 "same $id ${nodes[*]}"; then
    for n in "${nodes[@]:1}"; do
      gn_ctl "$n" --json show "$id" > "$GN_TMP/conv.$n" 2>&1 || true
    done
    gn_ctl "$V" --json show "$id" > "$GN_TMP/conv.$V" 2>&1 || true
    diffs=$(for n in "${nodes[@]:1}"; do
              diff -u "$GN_TMP/conv.$V" "$GN_TMP/conv.$n" | head -c 2000 || true
            done)
    fail "show --json $id never converged between $V and ${nodes[*]:1} within $((30 * GN_SCALE))s: $diffs"
  fi
  is "$V" "$id" "[.history[].action][-2:] == [\"dispatch\",\"handle\"] and .state.status == \"handled\"
                 and .state.owner == $FX_T" ||
    fail "history of $id at $V: $(gn_ctl "$V" --json show "$id" | jq -c '[.history[] | [.version, .action, .origin, .to]]')"
done
ok "${#CASES[@]} dispatched cases: show --json byte-identical at $V, the town, the district (and $V2 for its own)"
fx_check
fx_sample_show "$V" 5
for code in "$V" "$V2" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
