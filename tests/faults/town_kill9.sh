# Scenario (a): kill -9 the town again and again while several villages report many cases.
# Sourced by f_quick_town_kill9.sh and f_full_town_kill9.sh (FX_PROFILE quick|full).
#  1. district, town and villages, every link through a proxy; a loadgen at every village;
#  2. FX_KILLS times: once every village has acknowledged more reports, SIGKILL the town while
#     the villages keep taking reports, restart it on the same data and ports, wait for every
#     village to link to it again;
#  3. after the last restart the load goes on a little, then stops; the links catch up;
#  4. the checker: every acknowledged case at its village, the town and the district, none lost,
#     none doubled, op seqs 1..n per village, town and district agree on the town's subtree.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

VILLAGES=$(fx_profile 3 4)
KILLS=$(fx_profile 5 8)
STEP=$(fx_profile 300 400)        # reports per village between faults

fx_topology "$VILLAGES"
ok "district, town and $VILLAGES villages up, each link through its own proxy"
for v in "${FX_VILLAGE_CODES[@]}"; do fx_load_start "$v" 1000000 4; done

for k in $(seq 1 "$KILLS"); do
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" "$STEP"; done
  gn_kill9 $FX_T
  fx_fault "kill -9 the town ($k/$KILLS)"
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" $((STEP / 2)); done
  gn_restart $FX_T
  for v in "${FX_VILLAGE_CODES[@]}"; do wait_until 60 "fx_parent_up $v"; done
  wait_until 60 "fx_parent_up $FX_T"
done
ok "town killed $KILLS times under load; villages kept acknowledging reports"
for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" "$STEP"; done
fx_load_stop
fx_wait_synced
ok "every link caught up"
fx_check
fx_sample_show "${FX_VILLAGE_CODES[0]}" 5
ok "a sample of cases shows a clean history at the district through gridctl"
for code in "${FX_VILLAGE_CODES[@]}" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
