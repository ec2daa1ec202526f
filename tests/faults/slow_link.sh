# Scenario (e): slow, stalling links (through the proxies) while the villages take reports.
# Sourced by f_quick_slow_link.sh and f_full_slow_link.sh (FX_PROFILE quick|full).
#  1. district, town and three villages, every link through a proxy; a loadgen at every village;
#  2. village 1's link delayed (every chunk held DELAY ms each way) and village 2's throttled (at
#     most THROTTLE bytes/s each way, above what the load needs): both links keep making progress
#     (the town's cursor for them advances) while the load runs;
#  3. village 3's link stalled (the proxy stops reading and writing, connections stay open) until
#     the village declares its parent silent; it keeps acknowledging reports, the town gets none
#     of them, and the village's anonymous memory stays bounded (the backlog waits on disk, I6);
#     `resume`;
#  4. the town's own link to the district delayed and throttled at once for a while;
#  5. every proxy back to `pass`; the load stops; the links catch up; the checker.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

STEP=$(fx_profile 500 800)
ROUNDS=$(fx_profile 1 2)
DELAY=$(fx_profile 300 800)            # ms each way
THROTTLE=$(fx_profile 400000 300000)   # bytes/s each way; the load needs about 170 KB/s
RSS_GROWTH_MAX=$((64 * 1024))          # KiB of anonymous memory a stalled village may add

town_applied() {
  gn_ctl $FX_T --json status | jq --argjson v "$1" '[(.links // [])[] | select(.peer == $v)][0].applied // 0'
}
district_applied() {
  gn_ctl $FX_D --json status | jq --argjson v $FX_T '[(.links // [])[] | select(.peer == $v)][0].applied // 0'
}
rss_anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }

#  progress CODE WHAT: the parent's cursor for CODE (WHAT: town_applied or district_applied)
#  advances by at least 100 feed records.
progress() {
  local code=$1 what=$2 before
  before=$($what "$code")
  wait_until 120 "[ \$($what $code) -ge $((before + 100)) ]"
}

fx_topology 3
V1=${FX_VILLAGE_CODES[0]} V2=${FX_VILLAGE_CODES[1]} V3=${FX_VILLAGE_CODES[2]}
ok "district, town and 3 villages up, each link through its own proxy"
for v in "${FX_VILLAGE_CODES[@]}"; do fx_load_start "$v" 1000000 2; done

for r in $(seq 1 "$ROUNDS"); do
  fx_ctl "$V1" delay "$DELAY" > /dev/null
  fx_fault "delay ${DELAY} ms on $V1's link"
  fx_ctl "$V2" throttle "$THROTTLE" > /dev/null
  fx_fault "throttle $THROTTLE B/s on $V2's link"
  for v in "$V1" "$V2"; do fx_wait_acked "$v" "$STEP"; done
  progress "$V1" town_applied
  progress "$V2" town_applied
  ok "round $r: delayed and throttled links make progress under load"

  fx_ctl "$V3" stall > /dev/null
  fx_fault "stall $V3's link"
  rss0=$(rss_anon "${GN_PID[$V3]}")
  wait_until 60 "fx_parent_down $V3"
  before=$(town_applied "$V3")
  fx_wait_acked "$V3" "$STEP"
  fx_wait_acked "$V3" "$STEP"
  after=$(town_applied "$V3")
  rss1=$(rss_anon "${GN_PID[$V3]}")
  [ "$after" -eq "$before" ] || fail "the town applied $V3's feed from $before to $after through a stalled link"
  [ $((rss1 - rss0)) -le $RSS_GROWTH_MAX ] ||
    fail "$V3's anonymous memory grew from ${rss0} KiB to ${rss1} KiB while its link stalled"
  echo "# $V3 anonymous memory while stalled: ${rss0} KiB -> ${rss1} KiB"
  fx_ctl "$V3" resume > /dev/null
  wait_until 60 "fx_parent_up $V3"
  progress "$V3" town_applied
  ok "round $r: the stalled village kept taking reports with bounded memory, resumed after"

  fx_ctl $FX_T delay $((DELAY / 2)) > /dev/null
  fx_ctl $FX_T throttle $((THROTTLE * 2)) > /dev/null
  fx_fault "delay $((DELAY / 2)) ms and throttle $((THROTTLE * 2)) B/s on the town's link"
  progress $FX_T district_applied
  for code in "$V1" "$V2" $FX_T; do fx_ctl "$code" pass > /dev/null; done
  ok "round $r: the town's slow link to the district makes progress"
done

fx_load_stop
fx_wait_synced
ok "every link caught up"
for v in "${FX_VILLAGE_CODES[@]}" $FX_T; do echo "# proxy of $v: $(fx_ctl "$v" stats)"; done
fx_check
for code in "${FX_VILLAGE_CODES[@]}" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
