#!/usr/bin/env bash
# t_workflow_overdue: deadlines, supervision (督办), escalation by policy, and an emergency
# (district, town, one village; every node ticks every 100 ms).
#  1. with deadlines of seconds for 环境卫生 (deadline/环境卫生/general, set at the district, reaches
#     the village), a report left unaccepted is flagged overdue by the village's tick (op overdue,
#     actor system), and every level sees it so;
#  2. the town and the district supervise it (no ownership needed): supervisions 2, the highest
#     urgency, both entries byte-identical at all three nodes;
#  3. once policy/escalate says so, the tick escalates it (op escalate, actor system) to the town;
#     left there it goes overdue again and on to the district, where it stays overdue; the two
#     supervisions travel with it;
#  4. an emergency reported at the village goes straight to the district; it is worked there and
#     earns 500 + 50000 fen;
#  5. both cases' `show --json` is byte-identical at the village, the town and the district.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

TICK=(-s node/tick=100)
gn_start district $D "${TICK[@]}"
gn_start town $T $D "${TICK[@]}"
gn_start village $V1 $T "${TICK[@]}"
wf_refdata $V1
RULE='{"accept_h": 0.0005, "handle_h": 0.001}'     # 1.8 s to accept, 3.6 s to handle
gn_ctl $D ref set deadline/环境卫生/general "$RULE" >/dev/null
for n in $T $V1; do wf_ref_wait "$n" deadline/环境卫生/general "$RULE"; done
ok "district, town and village started with a 100 ms tick; deadline/环境卫生/general of seconds reached the village"

# ---- 1. overdue ----
O=$(wf_report $V1 --category 环境卫生 --title "背街小巷生活垃圾堆积未清运" --reporter-id gw-fg-01)
wf_is $V1 "$O" '.state.due_accept > 0 and .state.due_accept - .state.created == 1800' ||
  fail "$O: due_accept is not 1.8 s after its creation: $(wf_get $V1 "$O" '.state | {created, due_accept}')"
wf_wait 20 $V1 "$O" '.state.overdue == true and .state.status == "reported"
                     and .history[-1].action == "overdue" and .history[-1].actor == "system"
                     and .history[-1].origin == '$V1
for n in $T $D; do wf_wait 20 "$n" "$O" '.state.overdue == true'; done
gn_ctl $T --json list --overdue | jq -e --arg o "$O" 'any(.cases[]; .id == $o and .overdue == true)' >/dev/null ||
  fail "list --overdue at $T lacks $O: $(gn_ctl $T --json list --overdue | jq -c .)"
ok "$O unaccepted for 1.8 s: flagged overdue by $V1's tick (actor system), overdue at $T and $D too"

# ---- 2. supervised from above ----
out=$(gn_ctl $T supervise "$O" --note 街道督办：请立即受理 --due-in 2 --urgency 1) ||
  fail "supervise at $T refused"
[[ $out == "$O reported owner=$V1 v="* ]] || fail "supervise at $T printed '$out'"
wf_wait 20 $D "$O" '.state.supervisions == 1'
out=$(gn_ctl $D supervise "$O" --note 区级督办：限期办结 --due-in 4 --urgency 2) ||
  fail "supervise at $D refused"
for n in $V1 $T $D; do
  wf_wait 20 "$n" "$O" ".state.supervisions == 2 and .state.urgency == 2 and .state.owner == $V1
       and ([.state.supervision[] | [.origin, .urgency, .note]]
            == [[$T, 1, \"街道督办：请立即受理\"], [$D, 2, \"区级督办：限期办结\"]])
       and ([.history[] | select(.action == \"supervise\") | .origin] | sort == [$D, $T])"
done
wf_converge "$O" $V1 $T $D
for n in $V1 $T $D; do
  gn_ctl "$n" --json show "$O" | jq -c '.state.supervision' > "$GN_TMP/sv.$n"
done
{ cmp -s "$GN_TMP/sv.$V1" "$GN_TMP/sv.$T" && cmp -s "$GN_TMP/sv.$V1" "$GN_TMP/sv.$D"; } ||
  fail "supervisions differ: $V1 $(cat "$GN_TMP/sv.$V1") / $T $(cat "$GN_TMP/sv.$T") / $D $(cat "$GN_TMP/sv.$D")"
ok "supervised by $T (urgency 1) and $D (urgency 2): supervisions 2, identical at all three nodes"

# ---- 3. escalated by the policy ----
POLICY='{"after_h": 0.0005}'
gn_ctl $D ref set policy/escalate "$POLICY" >/dev/null
wf_ref_wait $V1 policy/escalate "$POLICY"
wf_wait 20 $T "$O" ".state.owner == $T and .state.status == \"reported\" and .state.escalations >= 1"
wf_is $T "$O" "[.history[] | select(.action == \"escalate\")][0] | .actor == \"system\" and .origin == $V1 and .to == $T" ||
  fail "first escalation of $O: $(wf_get $T "$O" '[.history[] | [.version, .action, .origin, .actor, .to]]')"
ok "policy/escalate after 1.8 s overdue: $V1's tick escalated $O to $T (actor system)"
wf_wait 30 $D "$O" ".state.owner == $D and .state.level == 1 and .state.escalations == 2 and .state.overdue == true
                    and .history[-1].action == \"overdue\" and .history[-1].origin == $D"
wf_is $D "$O" "[.history[] | select(.action != \"supervise\") | [.action, .origin, .actor]]
               == [[\"report\", $V1, null], [\"overdue\", $V1, \"system\"], [\"escalate\", $V1, \"system\"],
                   [\"overdue\", $T, \"system\"], [\"escalate\", $T, \"system\"], [\"overdue\", $D, \"system\"]]
               and .state.supervisions == 2 and .state.trail == [$V1, $T, $D]" ||
  fail "history of $O: $(wf_get $D "$O" '{h: [.history[] | [.version, .action, .origin, .actor, .to]], sv: .state.supervisions}')"
ok "$O overdue again at $T and escalated on to $D by policy; overdue at the district, supervisions kept"
wf_converge "$O" $D $T $V1
ok "$O identical at $V1 $T $D"

# ---- 4. an emergency goes straight to the district ----
X=$(wf_report $V1 --category 消防安全 --title "仓库电线老化冒烟" --severity emergency --reporter-id gw-fg-02)
wf_is $V1 "$X" ".state.owner == $D and .state.status == \"reported\" and .state.level == 1
                and .state.escalations == 1 and .history[-1].action == \"escalate\" and .history[-1].to == $D
                and .history[-1].note == \"emergency: straight to the district\"" ||
  fail "emergency $X at $V1: $(wf_get $V1 "$X" '{s: .state, h: .history[-1]}')"
wf_wait 20 $D "$X" ".state.owner == $D and .state.status == \"reported\""
wf_wait 20 $T "$X" ".state.owner == $D"
ok "emergency $X reported at $V1 went straight to $D"
wf_act $D "$X" accept "accepted $D"
wf_act $D "$X" dispatch "dispatched $D" --assignee fire --note 消防救援大队出警
wf_act $D "$X" handle "handled $D" --note 已断电处置，隐患排除
wf_act $D "$X" verify "verified $D" --pass
wf_is $D "$X" '.state.reward == 50500' || fail "reward of $X: $(wf_get $D "$X" .state.reward)"
wait_until 20 "[ \"\$(wf_ledger_case $V1 $X | jq length)\" = 1 ]"
for n in $V1 $T $D; do
  [ "$(wf_ledger_case "$n" "$X" | jq -c '[.[] | [.fen, .rule]]')" = '[[50500,"quality+emergency"]]' ] ||
    fail "ledger at $n for $X: $(wf_ledger_case "$n" "$X")"
done
ok "$X handled by the fire brigade and verified at $D: 50500 fen in the ledger at all three nodes"
wf_converge "$X" $D $T $V1
ok "$X identical at $V1 $T $D"
gn_done
