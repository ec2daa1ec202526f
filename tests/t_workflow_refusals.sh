#!/usr/bin/env bash
# t_workflow_refusals: what may not be done is refused and changes nothing, at any level
# (district, town, one village).
#  1. invalid transitions: verify a reported case, a duplicate of a case that does not exist, accept twice,
#     archive before verify, evaluate before archive, escalate at the district, dispatch to an
#     unknown department or to a node that is not a child, reject a handled case;
#  2. non-owner ops: the town acting on a case its village owns (accept, handle), the district
#     acting on a case the town owns, the village acting on a case it escalated, a village
#     supervising (its own case, or its town's);
#  3. refusals of gridctl itself, before anything is sent (usage errors, exit 2, as
#     docs/interfaces.md says): evaluate without a rating (or out of 1..5), reject without a note,
#     reject as a duplicate of itself;
#  4. with staff defined (reference data staff/<id>): a grid worker may report and handle at the
#     village but not accept, verify or archive; an unknown actor and a staff member of another
#     node are refused; a department handler may not handle another department's case, and may
#     handle its own; the node's console (no --actor) still acts as an operator;
#  5. rejected and duplicate reports earn no ledger entry; verified ones do.
# Every refusal: exit 1 (2 for gridctl's own), one line 'gridctl: <reason>', no op written at
# the node asked, the case's `show --json` byte-identical before and after at every node.
# The scenario ends with every case's `show --json` byte-identical at every node.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
wf_refdata $V1
ok "district, town and village started; reference data reached the village"
ALL="$V1 $T $D"
OWNED_BY_V1="owned by $V1 \\(level 3\\), not this node"
OWNED_BY_T="owned by $T \\(level 2\\), not this node"
ABOVE="supervision comes from a level above the owner"

# ---- 1-2. a case the village owns ----
R=$(wf_report $V1 --reporter-id gw-fg-01)
wf_refused "verify a reported case" "only a handled case can be verified \\(it is reported\\)" \
  "$R" "$ALL" gn_ctl $V1 verify "$R" --pass
wf_usage "reject as a duplicate of itself (gridctl)" "a case cannot be a duplicate of itself" \
  "$R" "$ALL" gn_ctl $V1 reject "$R" --note 重复上报 --duplicate-of "$R"
wf_refused "reject as a duplicate of a case that does not exist" "no such case" \
  "$R" "$ALL" gn_ctl $V1 reject "$R" --note 重复上报 --duplicate-of $V1-999
wf_refused "the town accepts a case its village owns" "$OWNED_BY_V1" \
  "$R" "$ALL" gn_ctl $T accept "$R"
wf_refused "the town handles a case its village owns" "$OWNED_BY_V1" \
  "$R" "$ALL" gn_ctl $T handle "$R" --note 街道代为处置
wf_refused "the district dispatches a case a village owns" "$OWNED_BY_V1" \
  "$R" "$ALL" gn_ctl $D dispatch "$R" --assignee mediation
wf_refused "a village supervises its own case" "$ABOVE" \
  "$R" "$ALL" gn_ctl $V1 supervise "$R" --note 自己督办自己
wf_usage "reject without a note (gridctl)" "--note REASON is required" \
  "$R" "$ALL" gn_ctl $V1 reject "$R"
wf_act $V1 "$R" accept "accepted $V1"
wf_refused "accept twice" "only a reported case can be accepted \\(it is accepted\\)" \
  "$R" "$ALL" gn_ctl $V1 accept "$R"
wf_refused "archive before verify" "only a verified case can be archived \\(it is accepted\\)" \
  "$R" "$ALL" gn_ctl $V1 archive "$R"
wf_refused "evaluate before archive" "only an archived case can be evaluated \\(it is accepted\\)" \
  "$R" "$ALL" gn_ctl $V1 evaluate "$R" --rating 5
wf_refused "dispatch to an unknown department" "unknown department 'nosuch'" \
  "$R" "$ALL" gn_ctl $V1 dispatch "$R" --assignee nosuch
wf_refused "dispatch --to a node that is not a child" "610403002001 is not a child of this node" \
  "$R" "$ALL" gn_ctl $V1 dispatch "$R" --to 610403002001

# an archived case: evaluate without a rating never leaves gridctl
Z=$(wf_report $V1 --reporter-id gw-fg-01)
wf_act $V1 "$Z" handle "handled $V1" --note 当场处置
wf_refused "reject a handled case" "only a reported or accepted case can be rejected \\(it is handled\\)" \
  "$Z" "$ALL" gn_ctl $V1 reject "$Z" --note 不属实
wf_act $V1 "$Z" verify "verified $V1" --pass
wf_act $V1 "$Z" archive "archived $V1"
wf_usage "evaluate without a rating (gridctl)" "--rating 1..5 is required" \
  "$Z" "$ALL" gn_ctl $V1 evaluate "$Z" --comment 满意
wf_usage "evaluate with a rating out of 1..5 (gridctl)" "--rating must be 1..5" \
  "$Z" "$ALL" gn_ctl $V1 evaluate "$Z" --rating 6

# a case the town owns
W=$(wf_report $V1 --reporter-id gw-fg-01)
wf_act $V1 "$W" escalate "reported $T"
wf_wait 20 $T "$W" ".state.owner == $T"
wf_refused "the district accepts a case the town owns" "$OWNED_BY_T" \
  "$W" "$ALL" gn_ctl $D accept "$W"
wf_refused "the village accepts the case it escalated" "$OWNED_BY_T" \
  "$W" "$ALL" gn_ctl $V1 accept "$W"
wf_refused "a village supervises its town's case" "$ABOVE" \
  "$W" "$ALL" gn_ctl $V1 supervise "$W" --note 村里督办街道
wf_refused "the town supervises its own case" "$ABOVE" \
  "$W" "$ALL" gn_ctl $T supervise "$W" --note 自己督办自己

# a case the district owns
U=$(wf_report $V1 --reporter-id gw-fg-01)
wf_act $V1 "$U" escalate "reported $T"
wf_wait 20 $T "$U" ".state.owner == $T"
wf_act $T "$U" escalate "reported $D"
wf_wait 20 $D "$U" ".state.owner == $D"
wf_refused "escalate at the district" "the district is the top level" \
  "$U" "$ALL" gn_ctl $D escalate "$U"
wf_refused "the town acts on a case the district owns" "owned by $D \\(level 1\\)" \
  "$U" "$ALL" gn_ctl $T return "$U" --note 退回

# ---- 4. staff and roles ----
declare -A STAFF=(
  [gw-fg-01]='{"name": "网格员王敏", "role": "grid_worker", "node": 610403001001}'
  [op-fg]='{"name": "凤岗路社区值班员", "role": "village_operator", "node": 610403001001}'
  [op-yl]='{"name": "杨陵街道值班员", "role": "town_operator", "node": 610403001000}'
  [dh-med]='{"name": "司法所调解员", "role": "department_handler", "node": 610403001000, "department": "mediation"}'
)
for s in gw-fg-01 op-fg op-yl dh-med; do gn_ctl $D ref set "staff/$s" "${STAFF[$s]}" >/dev/null; done
for n in $V1 $T; do wf_ref_wait "$n" staff/dh-med "${STAFF[dh-med]}"; done
ok "staff defined at the district reached the town and the village"

S=$(wf_report $V1 --actor gw-fg-01 --reporter-id gw-fg-01 --reporter-name 网格员王敏)
ROLE="'gw-fg-01' may not do this: the role does not allow it"
wf_refused "a grid worker accepts" "$ROLE" "$S" "$ALL" gn_ctl $V1 accept "$S" --actor gw-fg-01
wf_refused "an unknown actor accepts" "unknown staff member 'nobody'" \
  "$S" "$ALL" gn_ctl $V1 accept "$S" --actor nobody
wf_refused "a town operator acts at the village" "staff member 'op-yl' does not work at $V1" \
  "$S" "$ALL" gn_ctl $V1 accept "$S" --actor op-yl
wf_act $V1 "$S" accept "accepted $V1" --actor op-fg
wf_act $V1 "$S" handle "handled $V1" --actor gw-fg-01 --note 网格员现场处置
wf_refused "a grid worker verifies" "$ROLE" "$S" "$ALL" gn_ctl $V1 verify "$S" --pass --actor gw-fg-01
wf_act $V1 "$S" verify "verified $V1" --pass --actor op-fg
wf_refused "a grid worker archives" "$ROLE" "$S" "$ALL" gn_ctl $V1 archive "$S" --actor gw-fg-01
wf_refused "an unknown actor archives" "unknown staff member 'ghost'" \
  "$S" "$ALL" gn_ctl $V1 archive "$S" --actor ghost
wf_act $V1 "$S" archive "archived $V1"
wf_act $V1 "$S" evaluate "evaluated $V1" --rating 4 --actor op-fg
wf_is $V1 "$S" '[.history[] | [.action, .actor]] == [["report","gw-fg-01"],["accept","op-fg"],
        ["handle","gw-fg-01"],["verify","op-fg"],["archive",null],["evaluate","op-fg"]]' ||
  fail "actors of $S: $(wf_get $V1 "$S" '[.history[] | [.action, .actor]]')"
ok "$S: reported and handled by the grid worker, accepted/verified by the operator, archived at the console"

P=$(wf_report $V1 --reporter-id gw-fg-01)
wf_act $V1 "$P" escalate "reported $T" --actor op-fg
wf_wait 20 $T "$P" ".state.owner == $T"
wf_act $T "$P" accept "accepted $T" --actor op-yl
wf_act $T "$P" dispatch "dispatched $T" --assignee municipal --actor op-yl
wf_refused "a mediation handler handles a municipal case" "'dh-med' may not do this" \
  "$P" "$ALL" gn_ctl $T handle "$P" --note 调解 --actor dh-med
wf_refused "a department handler dispatches" "'dh-med' may not do this" \
  "$P" "$ALL" gn_ctl $T dispatch "$P" --assignee mediation --actor dh-med
wf_act $T "$P" dispatch "dispatched $T" --assignee mediation --actor op-yl
wf_act $T "$P" handle "handled $T" --note 调解成功 --actor dh-med
wf_act $T "$P" verify "verified $T" --pass --actor op-yl
ok "$P: the mediation handler handled it once it was mediation's, the town operator verified it"

# ---- 5. rejections and the ledger ----
wf_act $V1 "$R" reject "rejected $V1" --note 经核实不属实
wf_refused "verify a rejected case" "only a handled case can be verified \\(it is rejected\\)" \
  "$R" "$ALL" gn_ctl $V1 verify "$R" --pass
Q=$(wf_report $V1 --reporter-id gw-fg-02)
wf_act $V1 "$Q" reject "rejected $V1" --note 与已办结事件重复 --duplicate-of "$Z"
wf_is $V1 "$Q" ".state.status == \"rejected\" and .state.duplicate_of == \"$Z\" and .state.reason == \"与已办结事件重复\"" ||
  fail "duplicate $Q: $(wf_get $V1 "$Q" .state)"
wf_refused "handle a rejected duplicate" "cannot be handled now \\(it is rejected\\)" \
  "$Q" "$ALL" gn_ctl $V1 handle "$Q" --note 再处理
WANT=$(printf '%s\n' "$Z" "$S" "$P" | sort | jq -R . | jq -sc .)
ledger_cases() { wf_ledger "$1" | jq -c '[.entries[].case] | sort'; }
for n in $V1 $T $D; do wait_until 20 "[ \"\$(ledger_cases $n)\" = '$WANT' ]"; done
for n in $V1 $T $D; do
  [ "$(wf_ledger "$n" | jq '.total_fen')" = 1500 ] || fail "ledger total at $n: $(wf_ledger "$n" | jq -c .)"
done
ok "ledger at $V1 $T $D: 500 fen each for the verified $Z $S $P; nothing for rejected $R or duplicate $Q"

# ---- the same everywhere ----
for c in "$R" "$Z" "$W" "$U" "$S" "$P" "$Q"; do wf_converge "$c" $V1 $T $D; done
ok "show --json of all 7 cases identical at $V1 $T $D"
gn_done
