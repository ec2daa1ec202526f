# Scenario (b): kill -9 a village again and again while it takes reports.
# Sourced by f_quick_village_kill9.sh and f_full_village_kill9.sh (FX_PROFILE quick|full).
#  1. district, town and villages, every link through a proxy; a loadgen at every village;
#  2. FX_KILLS times: once the first village has acknowledged more reports, SIGKILL it (its
#     loadgen's reports in flight time out), restart it on the same data and ports, wait until it
#     takes reports again and has linked to the town;
#  3. the load stops; the links catch up;
#  4. the checker: every case acknowledged to a reporter reaches the district with the title it
#     was reported with, no case id acknowledged twice (none reused across the crashes), the
#     village's op seqs at the town and district are 1..its op counter with no gap or repeat.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

VILLAGES=$(fx_profile 3 4)
KILLS=$(fx_profile 5 8)
STEP=$(fx_profile 300 400)
V=${FX_ALL_VILLAGES[0]}

fx_topology "$VILLAGES"
ok "district, town and $VILLAGES villages up, each link through its own proxy"
fx_load_start "$V" 1000000 4
for v in "${FX_VILLAGE_CODES[@]:1}"; do fx_load_start "$v" 1000000 1; done

for k in $(seq 1 "$KILLS"); do
  fx_wait_acked "$V" "$STEP"
  gn_kill9 "$V"
  fx_fault "kill -9 village $V while it takes reports ($k/$KILLS)"
  gn_restart "$V"
  fx_wait_acked "$V" 20
  wait_until 60 "fx_parent_up $V"
done
ok "village $V killed $KILLS times while taking reports"
fx_wait_acked "$V" "$STEP"
fx_load_stop
grep -q "timeouts [1-9]" "$GN_TMP/load.$V.log" ||
  echo "# note: no report at $V timed out (every kill fell between two reports)"
fx_wait_synced
ok "every link caught up"
fx_check
fx_sample_show "$V" 5
for code in "${FX_VILLAGE_CODES[@]}" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
