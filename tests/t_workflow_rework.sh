#!/usr/bin/env bash
# t_workflow_rework: verification fails, the case goes back for rework, then passes
# (district, town, two villages).
#  1. a case escalated from 凤岗路社区 to 杨陵街道 is dispatched --to 姚安社区 and handled there; the
#     town's verify --fail sends it back down to 姚安社区 (DISPATCHED, reworks 1); handled a second
#     time it comes back up and the town's verify passes;
#  2. at a village, a case handled by the village itself fails verification twice: it stays there,
#     DISPATCHED, reworks 2, and passes on the third handling;
#  3. each case's `show --json` is byte-identical at every node that holds it.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
gn_start village $V3 $T
wf_refdata $V1 $V3
ok "district, town and two villages started; reference data reached both villages"

# ---- 1. rework down at the village that handled it ----
A=$(wf_report $V1 --category 环境卫生 --title "河道边建筑垃圾倾倒" --reporter-id gw-fg-01)
wf_act $V1 "$A" escalate "reported $T"
wf_wait 20 $T "$A" ".state.owner == $T"
wf_act $T "$A" accept "accepted $T"
wf_act $T "$A" dispatch "dispatched $V3" --to $V3
wf_wait 20 $V3 "$A" ".state.owner == $V3 and .state.status == \"dispatched\""
wf_act $V3 "$A" handle "handled $T" --note 已清理 --evidence before-after-1.jpg
wf_wait 20 $T "$A" ".state.owner == $T and .state.status == \"handled\" and .state.handler == $V3"
ok "$A dispatched by $T to $V3 and handled there: HANDLED at $T"

wf_act $T "$A" verify "dispatched $V3" --fail --note 现场仍有残留，需彻底清运
wf_is $T "$A" ".state.reworks == 1 and .state.dispatchers == [$T] and .history[-1].action == \"verify\"
               and .history[-1].to == $V3 and .history[-1].note == \"现场仍有残留，需彻底清运\"" ||
  fail "$A after verify --fail: $(wf_get $T "$A" '{s: .state, last: .history[-1]}')"
wf_wait 20 $V3 "$A" ".state.owner == $V3 and .state.status == \"dispatched\" and .state.reworks == 1"
ok "verify --fail at $T: $A back at $V3, the handler, DISPATCHED, reworks 1"

wf_act $V3 "$A" handle "handled $T" --note 已彻底清运并设置警示牌 --evidence after-2.jpg
wf_wait 20 $T "$A" ".state.owner == $T and .state.status == \"handled\" and .state.feedback == \"已彻底清运并设置警示牌\""
wf_act $T "$A" verify "verified $T" --pass --note 复核通过
wf_is $T "$A" "[.history[].action] == [\"report\",\"escalate\",\"accept\",\"dispatch\",\"handle\",\"verify\",\"handle\",\"verify\"]
   and [.history[].origin] == [$V1,$V1,$T,$T,$V3,$T,$V3,$T]
   and .state.status == \"verified\" and .state.reworks == 1 and .state.handler == $V3
   and .state.evidence == \"after-2.jpg\" and ((.state.dispatchers // []) == []) and .state.reward == 500" ||
  fail "$A at the end: $(wf_get $T "$A" '{s: .state, h: [.history[] | [.version, .action, .origin, .to]]}')"
ok "second handling at $V3, verify passes at $T: VERIFIED with reworks 1"
wf_converge "$A" $T $V1 $V3 $D
ok "$A identical at $V1 $T $V3 $D"

# ---- 2. rework at the village itself ----
B=$(wf_report $V1 --reporter-id gw-fg-02)
wf_act $V1 "$B" accept "accepted $V1"
wf_act $V1 "$B" dispatch "dispatched $V1" --assignee mediation
for round in 1 2; do
  wf_act $V1 "$B" handle "handled $V1" --note "第${round}次调解"
  wf_act $V1 "$B" verify "dispatched $V1" --fail
  wf_is $V1 "$B" ".state.reworks == $round and .state.owner == $V1 and .state.epoch == 1
                  and .history[-1].note == \"verification failed: rework\"" ||
    fail "$B after failed verification $round: $(wf_get $V1 "$B" '{s: .state, last: .history[-1]}')"
done
wf_act $V1 "$B" handle "handled $V1" --note 第3次调解，达成协议
wf_act $V1 "$B" verify "verified $V1" --pass
wf_is $V1 "$B" '[.history[].action] == ["report","accept","dispatch","handle","verify","handle","verify","handle","verify"]
               and .state.reworks == 2 and .state.status == "verified"' ||
  fail "$B at the end: $(wf_get $V1 "$B" '{s: .state, h: [.history[].action]}')"
ok "$B at $V1: two failed verifications (reworks 2), verified on the third handling"
wf_converge "$B" $V1 $T $D
ok "$B identical at $V1 $T $D"

wait_until 20 "[ \"\$(wf_ledger $D | jq '.entries | length')\" = 2 ]"
[ "$(wf_ledger $D | jq -c '[.entries[] | [.case, .fen]] | sort')" = "$(jq -nc --arg a "$A" --arg b "$B" '[[$a,500],[$b,500]] | sort')" ] ||
  fail "ledger at $D: $(wf_ledger $D | jq -c .)"
ok "one ledger entry per verified case, none for the failed verifications"
gn_done
