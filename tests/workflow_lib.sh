# tests/workflow_lib.sh -- shared helpers of the six-step loop scenarios tests/t_workflow_*.sh.
# Sources lib.sh (every helper there is available too).
#
#   D T V1 V3            the district, one town and two of its villages (Yangling's codes)
#   wf_refdata NODE...   load deploy/data/refdata.json at the district, wait until each NODE has it
#   wf_ref_has NODE KEY VALUE   NODE holds reference key KEY with the JSON value VALUE
#   wf_ref_wait NODE KEY VALUE  wait until it does
#   wf_report NODE [ARGS...]    report a general 矛盾纠纷 case by grid worker gw-NODE, ARGS
#                               override; prints the case id, checks its form
#   wf_act NODE ID ACTION "STATUS OWNER" [ARGS...]   a workflow action that must succeed and
#                               leave the case STATUS, owned by OWNER (as gridctl prints it);
#                               prints nothing, fails the test with gridctl's reason if refused
#   wf_is NODE ID JQ     `show --json ID` at NODE satisfies the jq condition JQ (false if absent)
#   wf_wait SECS NODE ID JQ     wait until it does (the failure shows the case as NODE has it)
#   wf_get NODE ID JQ    jq -r JQ over `show --json ID` at NODE
#   wf_same ID NODE...   the case's `show --json` is byte-identical at every NODE
#   wf_converge ID NODE...  wait until wf_same, then check it byte for byte (diff in the failure)
#                        and that the history is versions 1..n (supervisions, annotations, repeat
#                        the version before them), each op once, no conflicts
#   wf_refused WHAT REGEX ID "NODES" gn_ctl NODE ARGS...   the call exits 1 with one line
#                        'gridctl: <reason>' on stderr matching REGEX (grep -E), nothing on
#                        stdout, writes nothing at NODE (its op_seq stays), and the case ID's
#                        `show --json` is byte-identical before and after at every node of NODES
#                        (a space-separated list, converged first; the snapshot is reused until
#                        wf_act acts again, so act on a case through wf_act between refusals);
#                        then `ok WHAT (reason)`
#   wf_usage WHAT REGEX ID "NODES" gn_ctl NODE ARGS...  the same for a call gridctl itself refuses
#                        before sending anything: exit 2
#   wf_ledger NODE       `ledger --json` at NODE
#   wf_ledger_case NODE CASE   the ledger entries of CASE at NODE, compact JSON array
# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck disable=SC2034  # used by the scenarios
{
  D=610403000000     # 杨陵区
  T=610403001000     # 杨陵街道
  V1=610403001001    # 凤岗路社区
  V3=610403001003    # 姚安社区
}
WF_REFDATA=$GN_TESTS/../deploy/data/refdata.json
WF_SEQ=0
WF_SNAP=""         # case|nodes whose snapshot $GN_TMP/before.<node> holds (wf_refused)

_wf_has_categories() {
  local n
  n=$(gn_ctl "$1" --json ref get category/ 2>/dev/null | jq 'length' 2>/dev/null) || return 1
  [ -n "$n" ] && [ "$n" -gt 0 ]
}

wf_refdata() {
  local out node
  out=$(gn_ctl $D ref load "$WF_REFDATA") || fail "ref load $WF_REFDATA at the district failed"
  [[ $out == "loaded "* ]] || fail "ref load printed '$out'"
  for node in "$@"; do
    wait_until 20 "_wf_has_categories $node"
  done
}

wf_ref_has() {
  local got
  got=$(gn_ctl "$1" --json ref get "$2" 2>/dev/null) || return 1
  jq -e --arg k "$2" --argjson v "$3" '.[$k] == $v' <<<"$got" >/dev/null 2>&1
}

wf_ref_wait() {
  wait_until 20 "$(printf 'wf_ref_has %q %q %q' "$1" "$2" "$3")"
}

wf_report() {
  local node=$1 id; shift
  WF_SEQ=$((WF_SEQ + 1))
  id=$(gn_ctl "$node" report --grid "$node-001" --category 矛盾纠纷 \
         --title "邻里因楼道堆放杂物发生争执（$WF_SEQ）" --description "网格员巡查发现，现场拍照留存。" \
         --severity general --channel terminal --reporter-kind grid_worker \
         --reporter-id "gw-$node" --reporter-name "网格员$WF_SEQ" "$@") ||
    fail "report at $node failed"
  [[ $id =~ ^[0-9]{12}-[0-9]+$ ]] || fail "report at $node printed '$id', expected a case id"
  echo "$id"
}

wf_act() {
  local node=$1 id=$2 action=$3 want=$4 out rc=0 _wf_w; shift 4
  WF_SNAP=""
  out=$(gn_ctl "$node" "$action" "$id" "$@" 2>&1) || rc=$?
  [ "$rc" -eq 0 ] || fail "$action $id $* at $node was refused (exit $rc): $out"
  read -r -a _wf_w <<<"$want"
  [[ $out =~ ^$id\ ${_wf_w[0]}\ owner=${_wf_w[1]}\ v=[0-9]+$ ]] ||
    fail "$action $id at $node printed '$out', expected '$id ${_wf_w[0]} owner=${_wf_w[1]} v=N'"
}

wf_is() {
  local out
  out=$(gn_ctl "$1" --json show "$2" 2>/dev/null) || return 1
  jq -e "$3" <<<"$out" >/dev/null 2>&1
}

wf_get() {
  gn_ctl "$1" --json show "$2" | jq -r "$3"
}

wf_wait() {
  local secs=$1 node=$2 id=$3 cond=$4 now
  if ! _gn_poll "$secs" "$(printf 'wf_is %q %q %q' "$node" "$id" "$cond")"; then
    now=$(gn_ctl "$node" --json show "$id" 2>&1 | jq -c '.state | {status, owner, epoch, version,
            overdue, escalations, reworks, supervisions, handler, dispatchers}' 2>&1 || true)
    fail "timed out after $((secs * GN_SCALE))s waiting at $node for $id: $cond (it is: $now)"
  fi
}

wf_same() {
  local id=$1 first=$2 node; shift 2
  gn_ctl "$first" --json show "$id" > "$GN_TMP/same.0" 2>/dev/null || return 1
  for node in "$@"; do
    gn_ctl "$node" --json show "$id" > "$GN_TMP/same.1" 2>/dev/null || return 1
    cmp -s "$GN_TMP/same.0" "$GN_TMP/same.1" || return 1
  done
}

wf_converge() {
  local id=$1 first=$2 node; shift 2
  _gn_poll 20 "wf_same $id $first $*" || true
  gn_ctl "$first" --json show "$id" > "$GN_TMP/conv.$first" ||
    fail "show $id at $first failed"
  for node in "$@"; do
    gn_ctl "$node" --json show "$id" > "$GN_TMP/conv.$node" || fail "show $id at $node failed"
    diff -u "$GN_TMP/conv.$first" "$GN_TMP/conv.$node" > "$GN_TMP/conv.diff" ||
      fail "show --json $id never converged between $first and $node within $((20 * GN_SCALE))s: $(head -c 4000 "$GN_TMP/conv.diff")"
  done
  # A supervision is an annotation: it keeps the version of the op before it.
  jq -e '[.history[] | select(.action != "supervise")] as $ops
         | ($ops | length) >= 1
         and ([$ops[].version] == [range(1; ($ops | length) + 1)])
         and ([.history[].version] == ([.history[].version] | sort))
         and ([.history[] | [.origin, .seq]] | length == (unique | length))
         and ((.conflicts // []) | length == 0)
         and ($ops[-1].state.version == .state.version)' "$GN_TMP/conv.$first" >/dev/null ||
    fail "history of $id is not versions 1..n without conflicts: $(jq -c '[.history[] | {version, action, origin, seq}], .conflicts' "$GN_TMP/conv.$first")"
}

_wf_op_seq() { gn_ctl "$1" --json status | jq -r '.op_seq // 0'; }

_wf_refusal() {
  local want=$1 what=$2 regex=$3 id=$4 nodes=$5 node rc=0 seq0 seq1 at why; shift 5
  [ "$1" = gn_ctl ] || fail "wf_refused: the command must be a gn_ctl call"
  at=$2
  # The snapshot of the last refusal serves again while nothing acted on the case since then
  # (wf_act clears it): a refusal must leave it as it was anyway.
  if [ "$WF_SNAP" != "$id|$nodes" ]; then
    # shellcheck disable=SC2086  # nodes is a list
    wf_converge "$id" $nodes
    for node in $nodes; do gn_ctl "$node" --json show "$id" > "$GN_TMP/before.$node"; done
    WF_SNAP="$id|$nodes"
  fi
  seq0=$(_wf_op_seq "$at")
  "$@" > "$GN_TMP/ref.out" 2> "$GN_TMP/ref.err" || rc=$?
  [ "$rc" -eq "$want" ] ||
    fail "$what: '${*:2}' exited $rc, expected $want (out: $(cat "$GN_TMP/ref.out") err: $(cat "$GN_TMP/ref.err"))"
  if [ "$(wc -l < "$GN_TMP/ref.err")" -ne 1 ] || ! grep -q '^gridctl: .' "$GN_TMP/ref.err"; then
    fail "$what: expected one line 'gridctl: <reason>' on stderr, got: $(cat "$GN_TMP/ref.err")"
  fi
  why=$(sed 's/^gridctl: //' "$GN_TMP/ref.err")
  grep -Eq -- "$regex" <<<"$why" || fail "$what: the reason '$why' does not match /$regex/"
  [ ! -s "$GN_TMP/ref.out" ] || fail "$what: a refusal printed on stdout: $(cat "$GN_TMP/ref.out")"
  seq1=$(_wf_op_seq "$at")
  [ "$seq0" = "$seq1" ] || fail "$what: the refusal wrote at $at (op_seq $seq0 -> $seq1)"
  for node in $nodes; do
    gn_ctl "$node" --json show "$id" > "$GN_TMP/after.$node"
    cmp -s "$GN_TMP/before.$node" "$GN_TMP/after.$node" ||
      fail "$what: $id changed at $node: $(diff -u "$GN_TMP/before.$node" "$GN_TMP/after.$node" | head -c 3000)"
  done
  ok "$what: refused with exit $want ($why); $id unchanged at $(wc -w <<<"$nodes") nodes"
}

wf_refused() { _wf_refusal 1 "$@"; }
wf_usage() { _wf_refusal 2 "$@"; }

wf_ledger() { gn_ctl "$1" --json ledger; }

wf_ledger_case() {
  wf_ledger "$1" | jq -c --arg c "$2" '[.entries[] | select(.case == $c)]'
}
