#!/usr/bin/env bash
# t_workflow_village: cases solved where they arise, at the village (district, town, two villages).
#  1. a grid worker's report at 凤岗路社区 runs the whole six-step loop there: report → accept →
#     dispatch to a department → handle → verify → archive → evaluate; the village owns it
#     throughout and every op reaches the town and the district;
#  2. a second (major) case is handled on the spot, straight from REPORTED, then verified, archived
#     and evaluated;
#  3. a case at the other village, and a citizen's report verified at 凤岗路社区 (no reward);
#  4. the reward ledger: the village has its own workers' entries (500 fen for a quality report,
#     500 + 30000 for a major one), the other village its own, the town and the district all of
#     them, each entry byte-identical wherever it is;
#  5. each case's `show --json` is byte-identical at every node that holds it.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
gn_start village $V3 $T
wf_refdata $V1 $V3
ok "district, town and two villages started; reference data loaded at the district reached both villages"

# ---- 1. the full loop at the village ----
A=$(wf_report $V1 --reporter-id gw-fg-01 --reporter-name 网格员王敏)
[[ $A == $V1-* ]] || fail "a case reported at $V1 got the id $A"
wf_is $V1 "$A" ".state.status == \"reported\" and .state.owner == $V1 and .state.level == 3
               and .state.due_accept > 0" || fail "new case $A: $(wf_get $V1 "$A" .state)"
wf_act $V1 "$A" accept "accepted $V1" --note 受理
wf_act $V1 "$A" dispatch "dispatched $V1" --assignee mediation --note 派人民调解员
wf_act $V1 "$A" handle "handled $V1" --note 调解达成协议，杂物已清理 --evidence photo-001.jpg
wf_act $V1 "$A" verify "verified $V1" --pass --note 现场核查属实
wf_act $V1 "$A" archive "archived $V1"
wf_act $V1 "$A" evaluate "evaluated $V1" --rating 5 --comment 满意
wf_is $V1 "$A" '[.history[].action] == ["report","accept","dispatch","handle","verify","archive","evaluate"]
   and .state.status == "evaluated" and .state.owner == '$V1' and .state.epoch == 1
   and .state.version == 7 and .state.assignee == "mediation" and .state.handler == '$V1'
   and .state.feedback == "调解达成协议，杂物已清理" and .state.evidence == "photo-001.jpg"
   and .state.rating == 5 and .state.comment == "满意" and .state.reward == 500
   and .state.closed > 0 and .state.trail == ['$V1'] and (.state.escalations // 0) == 0' ||
  fail "case $A after the loop: $(wf_get $V1 "$A" '{state, actions: [.history[].action]}' )"
ok "$A: report → accept → dispatch(mediation) → handle → verify → archive → evaluate, all at $V1"

# ---- 2. handled on the spot ----
B=$(wf_report $V1 --severity major --reporter-id gw-fg-02 --reporter-name 网格员李强)
wf_act $V1 "$B" handle "handled $V1" --note 网格员当场劝离，恢复通行
wf_act $V1 "$B" verify "verified $V1" --pass
wf_act $V1 "$B" archive "archived $V1"
wf_act $V1 "$B" evaluate "evaluated $V1" --rating 4
wf_is $V1 "$B" '[.history[].action] == ["report","handle","verify","archive","evaluate"]
   and .state.severity == "major" and .state.reward == 30500 and .state.rating == 4' ||
  fail "case $B: $(wf_get $V1 "$B" '{state, actions: [.history[].action]}')"
ok "$B (major): handled on the spot from REPORTED, verified, archived, evaluated at $V1"

# ---- 3. the other village, and a citizen's report ----
C=$(wf_report $V3 --reporter-id gw-ya-01 --reporter-name 网格员赵丽)
[[ $C == $V3-* ]] || fail "a case reported at $V3 got the id $C"
wf_act $V3 "$C" accept "accepted $V3"
wf_act $V3 "$C" handle "handled $V3" --note 已处理
wf_act $V3 "$C" verify "verified $V3" --pass
E=$(wf_report $V1 --reporter-kind citizen --reporter-id "" --reporter-name 居民张某 --channel wechat)
wf_act $V1 "$E" accept "accepted $V1"
wf_act $V1 "$E" handle "handled $V1" --note 已处理
wf_act $V1 "$E" verify "verified $V1" --pass
wf_is $V1 "$E" '.state.reporter.kind == "citizen" and (.state.reward // 0) == 0' ||
  fail "citizen case $E: $(wf_get $V1 "$E" .state)"
ok "$C verified at $V3; citizen report $E verified at $V1 without reward"

# ---- 4. the ledger ----
#  ledger_is NODE 'CASE:FEN:RULE ...': NODE's ledger has exactly these entries and their total.
ledger_is() {
  local want total item doc
  want=$(for item in $2; do echo "${item//:/ }"; done | sort)
  total=$(awk '{ s += $2 } END { print s + 0 }' <<<"$want")
  doc=$(wf_ledger "$1") || return 1
  [ "$(jq -r '.entries[] | "\(.case) \(.fen) \(.rule)"' <<<"$doc" | sort)" = "$want" ] &&
    [ "$(jq -r '.total_fen' <<<"$doc")" = "$total" ]
}
V1_WANT="$A:500:quality $B:30500:quality+major"
V3_WANT="$C:500:quality"
ledger_is $V1 "$V1_WANT" || fail "ledger at $V1: $(wf_ledger $V1 | jq -c .)"
ledger_is $V3 "$V3_WANT" || fail "ledger at $V3: $(wf_ledger $V3 | jq -c .)"
wait_until 20 "ledger_is $T '$V1_WANT $V3_WANT'"
wait_until 20 "ledger_is $D '$V1_WANT $V3_WANT'"
wf_ledger $V1 | jq -e --arg a "$A" --arg b "$B" --argjson v "$V1" '
    (.entries | map(select(.case == $a))[0] | .worker == "gw-fg-01" and .name == "网格员王敏"
       and .node == $v and .time > 0)
    and (.entries | map(select(.case == $b))[0] | .worker == "gw-fg-02" and .name == "网格员李强")' \
  >/dev/null || fail "ledger entries at $V1 lack worker, name or node: $(wf_ledger $V1 | jq -c .)"
for c in "$A" "$B" "$C"; do
  origin=${c%-*}
  want=$(wf_ledger_case "$origin" "$c")
  for n in $T $D; do
    got=$(wf_ledger_case "$n" "$c")
    [ "$got" = "$want" ] || fail "ledger entry of $c differs at $n: $got vs $want at $origin"
  done
done
ok "ledgers: $V1 500 + 30500 fen, $V3 500 fen, town and district 31500 fen, entries identical"
gn_ctl $T ledger --worker gw-fg-02 | grep -q "total: 305.00 yuan in 1 entry" ||
  fail "ledger --worker gw-fg-02 at $T: $(gn_ctl $T ledger --worker gw-fg-02)"
ok "ledger --worker at the town: 305.00 yuan for gw-fg-02"

# ---- 5. the same case everywhere it is ----
for c in "$A" "$B" "$E"; do wf_converge "$c" $V1 $T $D; done
wf_converge "$C" $V3 $T $D
! gn_ctl $V3 --json show "$A" >/dev/null 2>&1 || fail "$V3 holds $A, a case of $V1 that never left it"
ok "show --json of $A $B $E identical at $V1 $T $D, of $C at $V3 $T $D"
gn_done
