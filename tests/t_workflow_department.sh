#!/usr/bin/env bash
# t_workflow_department: escalated to the town and worked there (district, town, two villages).
#  1. a case of 凤岗路社区 is escalated to 杨陵街道, accepted there, dispatched to a department
#     (--assignee municipal), handled, verified, archived and evaluated at the town; the village
#     that reported it follows every step and its ledger has the reporter's reward;
#  2. a case the town dispatches --to 姚安社区, which never held it: the village receives the whole
#     history, handles it, the case goes back up to the town HANDLED and the town verifies it;
#     姚安社区's `show --json` is versions 1..n and byte-identical to the town's;
#  3. a case escalated to the town is returned (--note) to the village it came from: ACCEPTED
#     there with the reason, handled and verified by the village;
#  4. every case's `show --json` is byte-identical at every node that holds it.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
gn_start village $V3 $T
wf_refdata $V1 $V3
ok "district, town and two villages started; reference data reached both villages"

# ---- 1. escalated to the town, dispatched to a department ----
A=$(wf_report $V1 --category 市政设施 --title "路灯不亮，夜间通行不便" --reporter-id gw-fg-01)
wf_act $V1 "$A" escalate "reported $T" --note 需街道协调城管
wf_wait 20 $T "$A" ".state.owner == $T and .state.status == \"reported\" and .state.level == 2
                    and .state.escalations == 1 and .state.epoch == 2"
wf_wait 20 $V1 "$A" ".state.owner == $T and .state.version == 2"
ok "$A escalated from $V1: owned by $T, REPORTED there, escalations 1, the village knows"
wf_act $T "$A" accept "accepted $T" --note 街道受理
wf_act $T "$A" dispatch "dispatched $T" --assignee municipal --note 派区住建和城市管理局
wf_act $T "$A" handle "handled $T" --note 已更换灯泡，恢复照明 --evidence repair-7781
wf_act $T "$A" verify "verified $T" --pass --note 夜间回访，路灯正常
wf_act $T "$A" archive "archived $T"
wf_act $T "$A" evaluate "evaluated $T" --rating 5 --comment 处理及时
wf_is $T "$A" "[.history[].action] == [\"report\",\"escalate\",\"accept\",\"dispatch\",\"handle\",\"verify\",\"archive\",\"evaluate\"]
   and [.history[].origin] == [$V1,$V1,$T,$T,$T,$T,$T,$T]
   and .history[1].to == $T and .state.owner == $T and .state.level == 2 and .state.epoch == 2
   and .state.trail == [$V1,$T] and .state.assignee == \"municipal\" and .state.handler == $T
   and .state.status == \"evaluated\" and .state.rating == 5 and .state.reward == 500
   and ((.state.dispatchers // []) == [])" ||
  fail "case $A at $T: $(wf_get $T "$A" '{state, h: [.history[] | [.version, .action, .origin]]}')"
ok "$A: accepted, dispatched to municipal, handled, verified, archived, evaluated at $T"

wf_converge "$A" $T $V1 $D
wait_until 20 "[ \"\$(wf_ledger_case $V1 $A | jq length)\" = 1 ]"
for n in $V1 $T $D; do
  [ "$(wf_ledger_case "$n" "$A" | jq -c '[.[] | [.fen, .rule, .worker]]')" = '[[500,"quality","gw-fg-01"]]' ] ||
    fail "ledger at $n for $A: $(wf_ledger_case "$n" "$A")"
done
! gn_ctl $V3 --json show "$A" >/dev/null 2>&1 || fail "$V3 holds $A, which never went there"
ok "$A identical at $V1 $T $D; its 5-yuan reward is in the ledger at all three"

# ---- 2. dispatched down to the other village ----
B=$(wf_report $V1 --category 环境卫生 --title "背街小巷生活垃圾堆积未清运" --reporter-id gw-fg-02)
wf_act $V1 "$B" escalate "reported $T"
wf_wait 20 $T "$B" ".state.owner == $T"
wf_act $T "$B" accept "accepted $T"
! gn_ctl $V3 --json show "$B" >/dev/null 2>&1 || fail "$V3 holds $B before it was dispatched there"
wf_act $T "$B" dispatch "dispatched $V3" --to $V3 --note 垃圾点位于姚安社区辖区
wf_wait 20 $V3 "$B" ".state.owner == $V3 and .state.status == \"dispatched\" and .state.dispatchers == [$T]
                     and .state.epoch == 3 and .state.version == 4"
wf_converge "$B" $T $V3
wf_is $V3 "$B" "[.history[].action] == [\"report\",\"escalate\",\"accept\",\"dispatch\"]
                and .history[0].origin == $V1 and .history[3].to == $V3" ||
  fail "history of $B at $V3: $(wf_get $V3 "$B" '[.history[] | [.version, .action, .origin, .to]]')"
ok "$B dispatched by $T --to $V3, which never held it: $V3 owns it with the full history (report at $V1 on)"

wf_act $V3 "$B" handle "handled $T" --note 已组织保洁清运 --evidence clean-0412.jpg
wf_wait 20 $T "$B" ".state.owner == $T and .state.status == \"handled\" and .state.handler == $V3
                    and ((.state.dispatchers // []) == []) and .state.epoch == 4"
ok "$B handled at $V3: back at $T, HANDLED, handler $V3"
wf_act $T "$B" verify "verified $T" --pass --note 已核查
wf_wait 20 $V3 "$B" '.state.status == "verified"'
wf_converge "$B" $V3 $T
wf_is $V3 "$B" "[.history[].action] == [\"report\",\"escalate\",\"accept\",\"dispatch\",\"handle\",\"verify\"]
   and [.history[].version] == [1,2,3,4,5,6] and .state.trail == [$V1,$T,$V3,$T] and .state.reward == 500" ||
  fail "history of $B at $V3: $(wf_get $V3 "$B" '{s: .state, h: [.history[] | [.version, .action, .origin, .to]]}')"
ok "$B verified at $T; $V3's show --json has versions 1..6 and is byte-identical to the town's"
wf_converge "$B" $T $V1 $V3 $D
ok "$B identical at $V1 $T $V3 $D"

# ---- 3. returned to the village ----
C=$(wf_report $V1 --title "楼道杂物堆放" --reporter-id gw-fg-03)
wf_act $V1 "$C" escalate "reported $T"
wf_wait 20 $T "$C" ".state.owner == $T"
wf_act $T "$C" return "accepted $V1" --note 属社区职责范围，请社区自行处置
wf_wait 20 $V1 "$C" ".state.owner == $V1 and .state.status == \"accepted\" and .state.epoch == 3
                     and .state.reason == \"属社区职责范围，请社区自行处置\" and .state.level == 3
                     and .history[-1].action == \"return\" and .history[-1].to == $V1"
ok "$C escalated to $T and returned to $V1 with the reason: ACCEPTED there"
wf_act $V1 "$C" handle "handled $V1" --note 社区已清理
wf_act $V1 "$C" verify "verified $V1" --pass
wf_converge "$C" $V1 $T $D
ok "$C handled and verified at $V1; identical at $V1 $T $D"
gn_done
