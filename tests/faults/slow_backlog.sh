# Scenario (e2): a village comes back after an outage with a backlog, over a slow link.
# Sourced by f_full_slow_backlog.sh (FX_PROFILE full). Fails on the daemons of this writing: see
# README.md, known bugs ("a link slower than ~60 KB/s never drains a backlog").
#  1. district, town and one village, its link through a proxy; the village takes BACKLOG reports
#     while its link is cut;
#  2. the link comes back throttled to THROTTLE bytes/s each way (a slow rural uplink);
#  3. the town's cursor for the village must advance (some batch gets through) within 120 s, and
#     the whole backlog must arrive within the time the link needs for it, times four;
#  4. the checker.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

BACKLOG=${FX_BACKLOG:-2000}
THROTTLE=${FX_THROTTLE:-20000}    # bytes/s each way

town_applied() {
  gn_ctl $FX_T --json status | jq --argjson v "$1" '[(.links // [])[] | select(.peer == $v)][0].applied // 0'
}

fx_topology 1
V=${FX_VILLAGE_CODES[0]}
ok "district, town and village $V up, its link through a proxy"
fx_ctl "$V" cut > /dev/null
fx_fault "cut $V's link"
wait_until 60 "fx_parent_down $V"
fx_load_start "$V" "$BACKLOG" 4
fx_load_wait
head=$(gn_ctl "$V" --json status | jq '.feed_head')
before=$(town_applied "$V")
ok "$V took $BACKLOG reports while cut off (feed head $head, the town has $before)"

fx_ctl "$V" throttle "$THROTTLE" > /dev/null
fx_ctl "$V" resume > /dev/null
fx_fault "link back at $THROTTLE B/s"
wait_until 120 "[ \$(town_applied $V) -gt $before ]" 
ok "the first batch of the backlog got through the slow link"
bytes=$(( (head - before) * 400 ))       # about 330 bytes an op on the wire, with margin
secs=$(( 4 * bytes / THROTTLE + 60 ))
wait_until "$secs" "[ \$(town_applied $V) -ge $head ]"
ok "the whole backlog got through the slow link"
fx_ctl "$V" pass > /dev/null
fx_wait_synced
fx_check
gn_done
