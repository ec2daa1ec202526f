# Scenario (d): the town frozen (SIGSTOP) under load, then resumed (SIGCONT).
# Sourced by f_quick_town_sigstop.sh and f_full_town_sigstop.sh (FX_PROFILE quick|full).
#  1. district, town and villages, every link through a proxy; a loadgen at every village;
#  2. FX_STOPS times: SIGSTOP the town; wait until every village and the district have declared
#     it silent (their links down) while the villages keep acknowledging reports; SIGCONT; wait
#     until every link is up again;
#  3. the load stops; the links catch up; the checker (none lost, none doubled, converged).
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

VILLAGES=$(fx_profile 3 4)
STOPS=$(fx_profile 3 5)
STEP=$(fx_profile 300 400)

#  district_sees_town UP|DOWN
district_link() {
  gn_ctl $FX_D --json --timeout 2000 status |
    jq -e --argjson t $FX_T --argjson want "$1" \
      '[(.links // [])[] | select(.peer == $t and .role == "child")][0].connected // false | . == $want' >/dev/null
}

fx_topology "$VILLAGES"
ok "district, town and $VILLAGES villages up, each link through its own proxy"
for v in "${FX_VILLAGE_CODES[@]}"; do fx_load_start "$v" 1000000 2; done

for k in $(seq 1 "$STOPS"); do
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" "$STEP"; done
  kill -STOP "${GN_PID[$FX_T]}"
  fx_fault "SIGSTOP the town ($k/$STOPS)"
  for v in "${FX_VILLAGE_CODES[@]}"; do wait_until 60 "fx_parent_down $v"; done
  wait_until 60 "district_link false"
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" "$STEP"; done
  kill -CONT "${GN_PID[$FX_T]}"
  for v in "${FX_VILLAGE_CODES[@]}"; do wait_until 60 "fx_parent_up $v"; done
  wait_until 60 "fx_parent_up $FX_T"
  wait_until 60 "district_link true"
done
ok "town frozen $STOPS times until every peer declared it silent, then resumed"
for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" "$STEP"; done
fx_load_stop
fx_wait_synced
ok "every link caught up"
fx_check
for code in "${FX_VILLAGE_CODES[@]}" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
