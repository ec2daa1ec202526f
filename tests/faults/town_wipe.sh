# Scenario (h): the town loses its disk again and again while its villages report.
# Sourced by f_quick_town_wipe.sh and f_full_town_wipe.sh (FX_PROFILE quick|full).
#  1. district, town and villages, every link through a proxy; a loadgen at every village;
#  2. FX_WIPES times: once every village has acknowledged more reports, SIGKILL the town, delete
#     its LMDB files and restart it empty on the same ports while the villages keep taking reports:
#     the district brings it up by SNAPSHOT (its subtree as the district holds it), the villages
#     see a new parent store and send their whole streams again, and the town snapshots them;
#  3. the load stops; the links catch up;
#  4. the checker: every acknowledged case at its village, the town and the district, none lost,
#     none doubled, op seqs 1..n per village, town and district agree on the town's subtree.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

VILLAGES=$(fx_profile 3 4)
WIPES=$(fx_profile 3 5)
STEP=$(fx_profile 300 400)        # reports per village between faults

fx_topology "$VILLAGES"
ok "district, town and $VILLAGES villages up, each link through its own proxy"
for v in "${FX_VILLAGE_CODES[@]}"; do fx_load_start "$v" 1000000 4; done

for k in $(seq 1 "$WIPES"); do
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" "$STEP"; done
  gn_kill9 $FX_T
  rm -rf "${GN_TMP:?}/$FX_T/db"
  fx_fault "kill -9 the town and wipe its store ($k/$WIPES)"
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" $((STEP / 2)); done
  gn_restart $FX_T
  wait_until 60 "fx_parent_up $FX_T"
  for v in "${FX_VILLAGE_CODES[@]}"; do wait_until 60 "fx_parent_up $v"; done
  wait_until 120 "[ \$(grep -c 'snapshot taken from the parent' '$GN_TMP/$FX_T/daemon.log') -ge $k ]"
done
ok "town wiped $WIPES times under load; each time the district brought it up by snapshot"
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
