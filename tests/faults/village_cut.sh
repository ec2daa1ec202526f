# Scenario (c): a village cut off from its town while it keeps taking reports; heal; converge.
# Sourced by f_quick_village_cut.sh and f_full_village_cut.sh (FX_PROFILE quick|full).
#  1. district, town and villages, every link through a proxy; a loadgen at every village;
#  2. FX_CUTS times: `cut` the first village's proxy (connections closed, new ones refused); the
#     village notices its parent is gone and goes on acknowledging reports; meanwhile the town
#     does not get them; `pass`: the link comes back and the backlog flows;
#  3. FX_RESETS times: `reset` the proxy (every connection closed with RST) under load;
#  4. the load stops; the links catch up; the checker (none lost, none doubled, converged).
# The town dispatching cases down to the cut-off village is for when workflow actions exist.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

VILLAGES=$(fx_profile 3 4)
CUTS=$(fx_profile 3 5)
RESETS=$(fx_profile 3 5)
STEP=$(fx_profile 300 400)
V=${FX_ALL_VILLAGES[0]}

#  town_has_of V: how many cases of origin V the town lists (its link's applied cursor would do
#  as well; this is what an operator sees).
town_applied() {
  gn_ctl $FX_T --json status | jq --argjson v "$1" '[(.links // [])[] | select(.peer == $v)][0].applied // 0'
}

fx_topology "$VILLAGES"
ok "district, town and $VILLAGES villages up, each link through its own proxy"
fx_load_start "$V" 1000000 4
for v in "${FX_VILLAGE_CODES[@]:1}"; do fx_load_start "$v" 1000000 1; done

for k in $(seq 1 "$CUTS"); do
  fx_wait_acked "$V" "$STEP"
  fx_ctl "$V" cut > /dev/null
  fx_fault "cut village $V off ($k/$CUTS)"
  wait_until 60 "fx_parent_down $V"
  before=$(town_applied "$V")
  fx_wait_acked "$V" "$STEP"
  after=$(town_applied "$V")
  [ "$after" -eq "$before" ] || fail "the town applied $V's feed from $before to $after while the link was cut"
  fx_ctl "$V" pass > /dev/null
  wait_until 60 "fx_parent_up $V"
  head=$(gn_ctl "$V" --json status | jq '.feed_head')
  wait_until 120 "[ \$(town_applied $V) -ge $head ]"
done
ok "cut $CUTS times: the village kept acknowledging, the town got nothing while cut, all of it after"

for k in $(seq 1 "$RESETS"); do
  fx_wait_acked "$V" "$STEP"
  fx_ctl "$V" reset > /dev/null
  fx_fault "reset village $V's connection to the town ($k/$RESETS)"
  fx_wait_acked "$V" 50
  wait_until 60 "fx_parent_up $V"
done
ok "connection reset $RESETS times under load"
fx_wait_acked "$V" "$STEP"
fx_load_stop
fx_wait_synced
ok "every link caught up"
fx_ctl "$V" stats
fx_check
for code in "${FX_VILLAGE_CODES[@]}" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
