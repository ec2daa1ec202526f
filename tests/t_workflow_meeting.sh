#!/usr/bin/env bash
# t_workflow_meeting: a hard case escalated to the district and worked by a joint meeting (联席会议)
# (district, town, two villages).
#  1. a case of 凤岗路社区 is escalated to 杨陵街道, accepted, escalated on to the district;
#  2. the district puts it on a joint meeting and resolves it with two tasks: one for a department
#     (mediation), one for the town; each task is a case of its own (<district>-n);
#  3. the department task is handled and verified at the district; the town task is handled at the
#     town, goes back up HANDLED and is verified at the district; once both are verified the hard
#     case is HANDLED by itself (op handle, actor system); it is then verified, archived and
#     evaluated at the district; `meeting list --json` shows the tasks' statuses along the way;
#  4. the meeting (reference data) is visible at the town too, identical to the district's;
#  5. the reporter's reward is in the ledger; the tasks earn none;
#  6. the hard case's `show --json` is byte-identical at the village, the town and the district,
#     the town task's at the town and the district.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
gn_start village $V3 $T
wf_refdata $V1 $V3
ok "district, town and two villages started; reference data reached both villages"

# ---- 1. up to the district ----
H=$(wf_report $V1 --title "宅基地边界纠纷，双方多次冲突" --reporter-id gw-fg-01 --reporter-name 网格员王敏)
wf_act $V1 "$H" escalate "reported $T" --note 村里调解不成
wf_wait 20 $T "$H" ".state.owner == $T"
wf_act $T "$H" accept "accepted $T"
wf_act $T "$H" escalate "reported $D" --note 涉及多部门，报区里
wf_wait 20 $D "$H" ".state.owner == $D and .state.status == \"reported\" and .state.level == 1
                    and .state.escalations == 2 and .state.trail == [$V1,$T,$D]"
ok "$H escalated $V1 → $T → $D: REPORTED at the district, escalations 2"

# ---- 2. the joint meeting ----
M=$(gn_ctl $D meeting create --title "宅基地纠纷联席会议" --date 2026-05-12 --chair 区委政法委 \
      --attend mediation --attend municipal --attend $T --case "$H")
[[ $M =~ ^M[0-9]+$ ]] || fail "meeting create printed '$M', expected a meeting id"
wf_is $D "$H" ".state.meeting_id == \"$M\" and .state.status == \"accepted\" and .history[-1].action == \"meeting\"" ||
  fail "$H after meeting create: $(wf_get $D "$H" '{state, last: .history[-1]}')"
ok "meeting $M created on $H; the case is ACCEPTED on it"

gn_ctl $D meeting resolve "$M" --case "$H" --text "司法所组织调解，街道实地勘界" \
  --task 'dept=mediation,due-in=48,title=组织双方人民调解, 形成协议' \
  --task "to=$T,due-in=72,title=街道实地勘界并立界桩" > "$GN_TMP/tasks" ||
  fail "meeting resolve failed"
mapfile -t TASKS < "$GN_TMP/tasks"
[ "${#TASKS[@]}" -eq 2 ] || fail "meeting resolve printed '$(cat "$GN_TMP/tasks")', expected two task ids"
K1=${TASKS[0]} K2=${TASKS[1]}
[[ $K1 == $D-* && $K2 == $D-* && $K1 != "$K2" ]] || fail "task ids $K1 $K2 are not <district>-n"
wf_is $D "$H" ".state.status == \"dispatched\" and .state.tasks == [\"$K1\",\"$K2\"]" ||
  fail "$H after resolve: $(wf_get $D "$H" .state)"
wf_is $D "$K1" ".state.status == \"dispatched\" and .state.owner == $D and .state.assignee == \"mediation\"
               and .state.parent_case == \"$H\" and .state.meeting_id == \"$M\" and .state.due_handle > 0
               and .state.title == \"组织双方人民调解, 形成协议\"" ||
  fail "department task $K1: $(wf_get $D "$K1" .state)"
wf_wait 20 $T "$K2" ".state.status == \"dispatched\" and .state.owner == $T and .state.dispatchers == [$D]
                     and .state.parent_case == \"$H\" and .state.due_handle > 0"
ok "$M resolved: department task $K1 (mediation) at $D, town task $K2 owned by $T"

#  tasks_are STATUS1 STATUS2: meeting list --json at the district shows the two tasks so.
tasks_are() {
  gn_ctl $D --json meeting list | jq -e --arg m "$M" --arg h "$H" --arg k1 "$K1" --arg k2 "$K2" \
      --arg s1 "$1" --arg s2 "$2" --argjson t "$T" --argjson d "$D" '
    [.meetings[] | select(.id == $m)] | length == 1 and (.[0]
    | .cases == [$h] and .chair == "区委政法委" and .attendees == ["mediation","municipal",($t|tostring)]
      and (.resolutions | length == 1) and .resolutions[0].case == $h
      and ([.resolutions[0].tasks[] | [.id, .status]] == [[$k1, $s1], [$k2, $s2]])
      and .resolutions[0].tasks[0].assignee == "mediation" and .resolutions[0].tasks[0].owner == $d
      and .resolutions[0].tasks[0].due > 0 and .resolutions[0].tasks[1].due > 0)' >/dev/null
}
tasks_are dispatched dispatched || fail "meeting list at $D: $(gn_ctl $D --json meeting list | jq -c .)"
ok "meeting list --json at $D: both tasks dispatched"

# ---- 3. the tasks, then the hard case ----
wf_act $D "$K1" handle "handled $D" --note 双方签订调解协议
wf_act $D "$K1" verify "verified $D" --pass
wf_is $D "$H" '.state.status == "dispatched"' || fail "$H is no longer dispatched with a task open: $(wf_get $D "$H" .state.status)"
tasks_are verified dispatched || fail "meeting list at $D: $(gn_ctl $D --json meeting list | jq -c .)"
ok "department task $K1 handled and verified at $D; $H still waits for $K2"

wf_act $T "$K2" handle "handled $D" --note 已实地勘界，界桩已立
wf_wait 20 $D "$K2" ".state.status == \"handled\" and .state.owner == $D and .state.handler == $T"
tasks_are verified handled ||
  fail "meeting list at $D: $(gn_ctl $D --json meeting list | jq -c .)"
wf_act $D "$K2" verify "verified $D" --pass --note 现场核验
tasks_are verified verified || fail "meeting list at $D: $(gn_ctl $D --json meeting list | jq -c .)"
wf_is $D "$H" '.state.status == "handled" and .history[-1].action == "handle" and .history[-1].actor == "system"
               and .state.handler == '$D ||
  fail "$H after both tasks were verified: $(wf_get $D "$H" '{s: .state, last: .history[-1]}')"
ok "town task $K2 handled at $T, verified at $D; $H became HANDLED by itself (handle by system)"

wf_act $D "$H" verify "verified $D" --pass --note 矛盾化解
wf_act $D "$H" archive "archived $D"
wf_act $D "$H" evaluate "evaluated $D" --rating 5 --comment 多部门联动，问题彻底解决
wf_is $D "$H" "[.history[].action] == [\"report\",\"escalate\",\"accept\",\"escalate\",\"meeting\",\"meeting\",\"handle\",\"verify\",\"archive\",\"evaluate\"]
               and .state.status == \"evaluated\" and .state.reward == 500" ||
  fail "$H history: $(wf_get $D "$H" '[.history[] | [.version, .action, .origin, .actor]]')"
ok "$H verified, archived and evaluated at $D"

# ---- 4. the meeting at the town ----
meeting_same() {
  [ "$(gn_ctl $T --json ref get meeting/)" = "$(gn_ctl $D --json ref get meeting/)" ]
}
wait_until 20 meeting_same
gn_ctl $T --json ref get meeting/ | jq -e --arg m "$M" --arg k1 "$K1" --arg k2 "$K2" '
    .["meeting/" + $m].resolutions[0].tasks == [$k1, $k2]' >/dev/null ||
  fail "meeting at $T: $(gn_ctl $T --json ref get meeting/)"
gn_ctl $T --json meeting list | jq -e --arg m "$M" --arg k2 "$K2" '
    .meetings[] | select(.id == $m) | .resolutions[0].tasks[] | select(.id == $k2) | .status == "verified"' \
  >/dev/null || fail "meeting list at $T: $(gn_ctl $T --json meeting list | jq -c .)"
ok "meeting $M (reference data) identical at $T and $D; the town sees its task $K2 verified"

# ---- 5. the ledger ----
wait_until 20 "[ \"\$(wf_ledger_case $V1 $H | jq length)\" = 1 ]"
for n in $V1 $T $D; do
  [ "$(wf_ledger_case "$n" "$H" | jq -c '[.[] | [.fen, .worker]]')" = '[[500,"gw-fg-01"]]' ] ||
    fail "ledger at $n for $H: $(wf_ledger_case "$n" "$H")"
done
[ "$(wf_ledger $D | jq '.entries | length')" = 1 ] || fail "ledger at $D: $(wf_ledger $D | jq -c .)"
ok "ledger: 500 fen for $H at $V1 $T $D, nothing for the tasks"

# ---- 6. every replica ----
wf_converge "$H" $D $T $V1
wf_converge "$K2" $D $T
wf_converge "$K1" $D
! gn_ctl $T --json show "$K1" >/dev/null 2>&1 || fail "$T holds the department task $K1"
ok "$H identical at $V1 $T $D, $K2 at $T $D"
gn_done
