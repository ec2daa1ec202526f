#!/usr/bin/env bash
# t_hostile: a hostile child of a town, on the town's real sync socket (tests/hostile.c, DESIGN §6).
# District, town, villages A and B; a few cases everywhere. A is stopped and gn-hostile takes its
# real keys to attack the town: truncated, garbage and oversized frames, an unknown key, an impostor
# of B, ops forged for B and for the town, a broken chain, a seal made with the wrong key, a replay,
# duplicate HELLOs and old cursors. After each one the town is alive and answers, its cases, its
# digests of A's and B's subtrees and its and the district's counters are as before, and its log
# names the refusal. A control (A's ops sealed with A's real key) is accepted. Then A comes back:
# it links again, its next case reaches the district, trees verify and audits are clean.
#
# Three attacks here found bugs, all fixed and now failed on (GN_HOSTILE_STRICT=0 only prints them):
#  - impostor: a connection with A's key and B's routing id took B's routing id over (the town's
#    ROUTER handed routing ids over): the town's messages for B went to it. Now the ROUTER makes
#    every routing id and a child is known by its key;
#  - signed-refdata: an op of A refused for scope inside a sealed run moved the town's chain of A
#    without going up: the district refused every later op of A. Now a chain stops at a refusal;
#  - overflow: an empty BATCH up to 2^64-1 became the town's cursor of A and wrapped A's feed.
#    Now every seq and cursor on the wire stays below 2^48.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D=610403000000; T=610403001000; A=610403001001; B=610403001002
HOSTILE=$GN_BIN/gn-hostile
[ -x "$HOSTILE" ] || fail "$HOSTILE not found (build first)"
STRICT=${GN_HOSTILE_STRICT:-1}
EXTRA=${GN_HOSTILE_EXTRA:-$STRICT}
WAIT=$((1000 * GN_SCALE))
BUGS=0

#  bug MSG: a known bug seen; fails only with GN_HOSTILE_STRICT=1.
bug() {
  BUGS=$((BUGS + 1))
  if [ "$STRICT" = 1 ]; then fail "BUG: $*"; fi
  echo "# BUG: $*"
}

gn_start district $D
gn_start town $T $D
gn_start village $A $T
gn_start village $B $T

a1=$(gn_ctl $A report --grid $A-001 --category 治安隐患 --title "A 一号" --reporter-id gw-a)
gn_ctl $A accept "$a1" >/dev/null
a2=$(gn_ctl $A report --grid $A-002 --category 环境卫生 --title "A 二号" --reporter-id gw-a)
b1=$(gn_ctl $B report --grid $B-001 --category 治安隐患 --title "B 一号" --reporter-id gw-b)
gn_ctl $B accept "$b1" >/dev/null
for id in "$a1" "$a2" "$b1"; do
  wait_until 30 "gn_ctl $D --json show $id 2>/dev/null | jq -e '.state.version >= 1' >/dev/null"
done
wait_until 30 "gn_ctl $D --json show $a1 | jq -e '.state.status == \"accepted\"' >/dev/null"
wait_until 30 "gn_ctl $D --json show $b1 | jq -e '.state.status == \"accepted\"' >/dev/null"
wait_until 30 "gn_ctl $T verify-tree --child '$GN_TMP/$A' --child '$GN_TMP/$B' >/dev/null 2>&1"
wait_until 30 "gn_ctl $D verify-tree --child '$GN_TMP/$T' >/dev/null 2>&1"
ok "district, town, villages $A and $B; 3 cases at the district, trees verify"

T_API=$(gn_endpoint "$GN_TMP/$T" api)
D_API=$(gn_endpoint "$GN_TMP/$D" api)
SYNC=$(gn_endpoint "$GN_TMP/$T" sync)

#  counters NODE: the op/feed/case counters of a node's status, as one line.
counters() {
  gn_ctl "$1" --json status |
    jq -c '{feed_head: (.feed_head // 0), op_seq: (.op_seq // 0), cases: (.cases // 0),
            conflicts: (.conflicts // 0)}'
}
#  state: everything an attack must not change, one block of text.
state() {
  echo "town $(counters $T)"
  echo "district $(counters $D)"
  gn_ctl $T --json list --all | jq -S -c '[(.cases // [])[] | {id, version, epoch, status, owner}]'
  gn_ctl $D --json list --all | jq -S -c '[(.cases // [])[] | {id, version, epoch, status, owner}]'
  echo "town digest of $A:"; "$HOSTILE" digest --api "$T_API" --root $A
  echo "town digest of $B:"; "$HOSTILE" digest --api "$T_API" --root $B
  echo "district digest of $T:"; "$HOSTILE" digest --api "$D_API" --root $T
}
#  applied CHILD: the town's cursor in CHILD's feed.
applied() {
  gn_ctl $T --json status | jq --argjson c "$1" '[.links[]? | select(.peer == $c) | .applied // 0][0] // 0'
}
child_up() {
  gn_ctl $T --json status | jq -e --argjson c "$1" '[.links[]? | select(.peer == $c and .connected)] | length == 1' >/dev/null
}

gn_ctl $T verify-tree --child "$GN_TMP/$A" --child "$GN_TMP/$B" > "$GN_TMP/verify.town"
gn_ctl $D verify-tree --child "$GN_TMP/$T" > "$GN_TMP/verify.district"
gn_ctl $T --json list --all > "$GN_TMP/list.before"
gn_stop $A
BEFORE=$(state)
grep -q "^$A " <<<"$BEFORE" || fail "the town's digest names no op of $A: $BEFORE"
ok "village $A stopped; recorded the town's and district's counters, case lists and digests"

#  attack NAME [ARGS...]: run gn-hostile, leave its output in OUT (last line in SUMMARY) and the
#  town's log lines written meanwhile in LOG; then the town must be alive, answer, and hold the
#  state it held before.
attack() {
  local name=$1 n0 rc=0 changes=0; shift
  if [ "${1:-}" = --changes ]; then changes=1; shift; fi
  n0=$(wc -l < "$GN_TMP/$T/daemon.log")
  "$HOSTILE" "$name" --sync "$SYNC" --keys "$GN_TMP/$A/keys" --node $A --registry "$GN_TMP/registry" \
    --head "$(applied $A)" --wait "$WAIT" "$@" > "$GN_TMP/hostile.$name" 2>&1 || rc=$?
  OUT=$(cat "$GN_TMP/hostile.$name")
  [ "$rc" -eq 0 ] || fail "gn-hostile $name could not run (exit $rc): $OUT"
  SUMMARY=$(tail -n 1 <<<"$OUT")
  LOG=$(tail -n +$((n0 + 1)) "$GN_TMP/$T/daemon.log")
  _gn_alive "${GN_PID[$T]}" || fail "$name: the town died. $OUT"
  gn_ctl $T status >/dev/null || fail "$name: the town does not answer status"
  [ "$changes" = 0 ] || return 0
  local now; now=$(state)
  [ "$now" = "$BEFORE" ] || fail "$name changed the state. $OUT
--- before:
$BEFORE
--- after:
$now"
}
has() { grep -q -- "$1" <<<"$2"; }
expect_out() { has "$1" "$OUT" || fail "$2: gn-hostile saw no '$1'. $OUT"; }
expect_log() { has "$1" "$LOG" || fail "$2: the town's log does not say '$1'. Log: $LOG. $OUT"; }
probed() { has "probe=PONG\|probe=RJ_NEED_HELLO" "$SUMMARY" || fail "$1: the town did not answer a probe after it. $OUT"; }

# ---- frames that are not messages ----
attack truncated
expect_out "welcome=0 ack=0" truncated
expect_log "unreadable message from child $A: malformed message" truncated
probed truncated
ok "truncated HELLO: dropped as malformed, the town answers the next PING; nothing changed"

attack garbage
expect_out "welcome=0 ack=0" garbage
[ "$(grep -c "unreadable message from child $A" <<<"$LOG")" -ge 5 ] ||
  fail "garbage: not every random frame was logged: $LOG"
probed garbage
ok "random frames: each logged as unreadable, the town answers; nothing changed"

attack oversized
expect_out "event DISCONNECTED" oversized
expect_out "ack=0" oversized
probed oversized
ok "a frame past GN_ENVELOPE_MAX: the town's socket dropped the connection, it answers the next"

attack unknown-key
expect_out "event HANDSHAKE_FAILED_AUTH" unknown-key
expect_out "welcome=0 ack=0" unknown-key
probed unknown-key
ok "a CURVE key the town does not know: the handshake is refused; nothing changed"

# ---- who a child says it is ----
attack impostor --sibling $B
expect_out "welcome=0 ack=0" impostor
expect_log "HELLO claiming $B (level 3) refused: its key belongs to another node" impostor
ok "$A's key with $B's routing id, and $A claiming to be $B: refused, logged; nothing changed"
# The impostor's connection took $B's routing id over (the ROUTER hands it over), so the town's
# messages for $B went to it: $B's link falls silent until $B renews its connection.
wait_until 20 "child_up $B"

# ---- forged ops ----
attack forged-sibling --sibling $B
expect_out "ack=1" forged-sibling
expect_out "RJ_SCOPE" forged-sibling
expect_log "refused op $B/1 from $A: outside this node's subtree" forged-sibling
expect_log "does not follow its origin's chain" forged-sibling
ok "ops claiming origin $B: refused (RJ_SCOPE, and off $B's chain); nothing applied"

attack forged-parent
expect_out "ack=1" forged-parent
expect_out "reject=RJ_BAD_SIGNATURE,RJ_BAD_SIGNATURE" forged-parent
expect_log "bad or missing signature\|does not follow its origin's chain" forged-parent
ok "a run claiming origin $T, sealed with $A's key: refused (RJ_BAD_SIGNATURE); nothing applied"

attack forged-chain
expect_out "reject=RJ_BAD_SIGNATURE,RJ_BAD_SIGNATURE" forged-chain
expect_log "from $A (origin/[0-9]*): does not follow its origin's chain" forged-chain
ok "$A's ops off $A's chain, sealed with $A's key: refused; nothing applied"

attack bad-seal
expect_out "chain yes" bad-seal
expect_out "reject=RJ_BAD_SIGNATURE,RJ_BAD_SIGNATURE" bad-seal
expect_log "from $A (origin/[0-9]*): bad or missing signature" bad-seal
ok "$A's ops on $A's chain, sealed with a fresh key: refused (RJ_BAD_SIGNATURE); nothing applied"

# ---- replays and cursors ----
attack replay --api "$T_API" --case "$a1"
expect_out "replaying op $A/1 " replay
expect_out "ack=2" replay
expect_out "reject=-" replay
ok "an applied op of $A replayed, at (0, 1] and at a fresh feed seq: ACKed as a duplicate, no change"

attack dup-hello
expect_out "the two WELCOMEs are the same" dup-hello
expect_out "welcome=2" dup-hello
ok "two HELLOs in a row: two identical WELCOMEs, no change"

up=$(applied $A)
attack old-cursor
expect_out "ack=2 last_ack=$up " old-cursor
expect_out "reject=RJ_GAP" old-cursor
has "no PONG after the backward batch" "$OUT" && fail "old-cursor: the town stopped answering after a backward batch. $OUT"
expect_log "unreadable message from child $A" old-cursor
[ "$(applied $A)" = "$up" ] || fail "old-cursor moved the town's cursor of $A from $up to $(applied $A)"
ok "old from_seq, an empty (0, 0], a backward batch and a gap: re-ACKs at $up, RJ_GAP, no change"

# The whole of what was recorded before the attacks, once more.
gn_ctl $T --json list --all | cmp -s - "$GN_TMP/list.before" ||
  fail "the town's case list differs from before the attacks: $(gn_ctl $T --json list --all | diff "$GN_TMP/list.before" - | head -20)"
[ "$(gn_ctl $D verify-tree --child "$GN_TMP/$T")" = "$(cat "$GN_TMP/verify.district")" ] ||
  fail "the district's verify-tree of the town differs from before the attacks"
ok "after every attack: the town's full case list and the district's verify-tree are as before"

# ---- the control: the same run as bad-seal, sealed with A's real key, is taken ----
attack control --changes
expect_out "ack=1" control
expect_out "reject=-" control
ctl=$(sed -n 's/.* case_n \([0-9]*\) .*/\1/p' <<<"$OUT" | head -n 1)
ctl="$A-$((ctl + 1))"
gn_ctl $T --json show "$ctl" | jq -e '.state.title == "HOSTILE control"' >/dev/null ||
  fail "control: the town does not hold $ctl. $OUT"
wait_until 30 "gn_ctl $D show $ctl >/dev/null 2>&1"
ok "control: the same run sealed with $A's real key is taken ($ctl reaches the district)"

# ---- known bugs ----
# The impostor again, this time while the town has something to send to B: does it reach us?
n0=$(wc -l < "$GN_TMP/$T/daemon.log")
"$HOSTILE" impostor --sync "$SYNC" --keys "$GN_TMP/$A/keys" --node $A --registry "$GN_TMP/registry" \
  --sibling $B --wait $((3 * WAIT)) > "$GN_TMP/hostile.leak" 2>&1 &
leak=$!
GN_BG+=("$leak")
wait_until 10 "tail -n +$((n0 + 1)) '$GN_TMP/$T/daemon.log' | grep -q 'HELLO claiming $B (level 3) refused'"
t1=$(gn_ctl $T report --grid $B-002 --category 治安隐患 --title "FOR-B-ONLY 给村B的案件")
gn_ctl $T accept "$t1" >/dev/null
gn_ctl $T dispatch "$t1" --to $B >/dev/null
wait "$leak" || fail "gn-hostile impostor (second run) failed: $(cat "$GN_TMP/hostile.leak")"
wait_until 30 "gn_ctl $B show $t1 >/dev/null 2>&1"
LOG=$(tail -n +$((n0 + 1)) "$GN_TMP/$T/daemon.log")
if grep -q "FOR-B-ONLY" "$GN_TMP/hostile.leak"; then
  bug "impostor: a connection with $A's key and $B's routing id took $B's routing id over, and the" \
      "town's BATCH for $B (case $t1) reached it: $(grep -m1 'FOR-B-ONLY' "$GN_TMP/hostile.leak" | sed 's/^ *//')"
fi
if has "child $B: silent" "$LOG"; then
  bug "impostor: $B's link fell silent while the impostor held its routing id:" \
      "$(grep -m1 "child $B: silent" <<<"$LOG")"
fi
wait_until 30 "gn_ctl $T verify-tree --child '$GN_TMP/$B' >/dev/null 2>&1"
ok "after a second impostor run $B still gets its case $t1 and its subtree verifies at the town"

# ---- A comes back ----
gn_restart $A
wait_until 30 "child_up $A"
a3=$(gn_ctl $A report --grid $A-003 --category 治安隐患 --title "A 三号, after the attacks")
wait_until 30 "gn_ctl $D show $a3 >/dev/null 2>&1"
wait_until 30 "gn_ctl $A show $ctl >/dev/null 2>&1"
wait_until 30 "gn_ctl $T verify-tree --child '$GN_TMP/$A' --child '$GN_TMP/$B' >/dev/null 2>&1"
wait_until 30 "gn_ctl $D verify-tree --child '$GN_TMP/$T' >/dev/null 2>&1"
for n in $T $D; do
  out=$(gn_ctl "$n" --json audit) || fail "audit at $n failed: $out"
  jq -e '.ok == true' <<<"$out" >/dev/null || fail "audit at $n: $out"
done
ok "$A links again, its new case $a3 reaches the district, trees verify, audits clean at town and district"

# ---- extras (GN_HOSTILE_EXTRA=1): each leaves lasting damage, so they come last ----
if [ "$EXTRA" = 1 ]; then
  # A run of A's, sealed with A's real key, holding a reference-data op: the town refuses the op for
  # scope but moves its chain of A over it; the op never goes up, so the district's chain of A no
  # longer matches what follows.
  gn_stop $A
  d0=$(wc -l < "$GN_TMP/$D/daemon.log")
  attack signed-refdata --changes
  expect_out "reject=RJ_SCOPE" signed-refdata
  expect_log "refused op $A/[0-9]* from $A: outside this node's subtree" signed-refdata
  gn_restart $A
  wait_until 30 "child_up $A"
  a4=$(gn_ctl $A report --grid $A-004 --category 治安隐患 --title "A 四号, after signed-refdata")
  wait_until 30 "gn_ctl $T show $a4 >/dev/null 2>&1"
  if ! _gn_poll 10 "gn_ctl $D show $a4 >/dev/null 2>&1"; then
    bug "signed-refdata: after one refused (RJ_SCOPE) op in a sealed run, $A's later ops never reach" \
        "the district: $(tail -n +$((d0 + 1)) "$GN_TMP/$D/daemon.log" | grep -m1 "does not follow")"
  fi
  ok "extra signed-refdata: a sealed refdata op of $A refused for scope; $A's next case reaches the town"

  # An empty BATCH from the town's cursor up to 2^64-1.
  gn_stop $A
  attack overflow --changes
  if has "last_ack=18446744073709551615" "$SUMMARY"; then
    bug "overflow: an empty BATCH (cursor, 2^64-1] was ACKed: the town's cursor of $A is now 2^64-1"
  fi
  gn_restart $A
  wait_until 30 "child_up $A"
  a5=$(gn_ctl $A report --grid $A-005 --category 治安隐患 --title "A 五号, after overflow")
  if ! _gn_poll 10 "gn_ctl $T show $a5 >/dev/null 2>&1"; then
    bug "overflow: $A's new case $a5 never reaches the town" \
        "($A's status: $(gn_ctl $A --json status | jq -c '{feed_head, links: [.links[] | {sent, acked}]}'))"
  fi
  if ! out=$(gn_ctl $A --json audit 2>/dev/null); then
    bug "overflow: $A's own audit fails after its restart: $(jq -c '.problems[0]' <<<"$out")"
  fi
  ok "extra overflow: run; the town still answers"
fi

[ "$BUGS" -eq 0 ] || echo "# $BUGS known bug(s) seen (GN_HOSTILE_STRICT=1 fails on them)"
for code in $A $B $T $D; do gn_stop "$code"; done
gn_done
