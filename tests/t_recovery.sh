#!/usr/bin/env bash
# t_recovery: nodes that lose their disk, or come back from an old copy of it (I5, I7).
#  1. the town's store is wiped and it restarts: it gets its whole subtree back from the district
#     (SNAPSHOT_REQ/CHUNK/END, then the stream) and its villages, every digest agrees, and what it writes afterwards still reaches a village
#     whose cursor pointed into the old store;
#  2. a village restored from an old copy of its data directory: it reuses no case id or op seq,
#     pulls its own newer cases back down, and every digest and audit agrees.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D=610403000000; T=610403001000; V1=610403001001; V3=610403001003

report() { gn_ctl "$1" report --grid "$1-001" --category 环境卫生 --title "$2" --reporter-id gw-1; }
has_all() { local ids; ids=$(gn_ids "$1" | sort); [ -z "$(comm -23 <(sort "$2") <(echo "$ids"))" ]; }
trees_agree() {
  gn_ctl $D verify-tree --child "$GN_TMP/$T" >/dev/null 2>&1 &&
    gn_ctl $T verify-tree --child "$GN_TMP/$V1" --child "$GN_TMP/$V3" >/dev/null 2>&1
}

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
gn_start village $V3 $T
: > "$GN_TMP/ids"
for i in $(seq 1 15); do report $V1 "一号$i" >> "$GN_TMP/ids"; report $V3 "三号$i" >> "$GN_TMP/ids"; done
x=$(report $V3 "上报到街道的案件")
echo "$x" >> "$GN_TMP/ids"
gn_ctl $V3 escalate "$x" >/dev/null
wait_until 60 "has_all $D '$GN_TMP/ids'"
wait_until 60 trees_agree
ok "$(wc -l < "$GN_TMP/ids") cases at every level, digests equal"

# ---- 1. the town loses its store ----
gn_kill9 $T
rm -rf "$GN_TMP/$T/db"
gn_restart $T
wait_until 90 "has_all $T '$GN_TMP/ids'"
wait_until 90 trees_agree
grep -q 'snapshot taken from the parent' "$GN_TMP/$T/daemon.log" ||
  fail "the wiped town was not brought up by a snapshot"
grep -q "child $T has its snapshot" "$GN_TMP/$D/daemon.log" ||
  fail "the district did not finish a snapshot for the wiped town"
ok "the wiped town got its whole subtree back (a snapshot, then the stream); digests equal at district, town and villages"
wait_until 30 "gn_ctl $T --json show $x 2>/dev/null | jq -e '.state.owner == $T' >/dev/null"
gn_ctl $T accept "$x" >/dev/null
wait_until 30 "gn_ctl $V3 --json show $x | jq -e '.state.status == \"accepted\"' >/dev/null"
ok "what the new town writes reaches a village whose cursor pointed into the old store"

# ---- 2. a village back from an old copy ----
gn_stop $V1
cp -a "$GN_TMP/$V1" "$GN_TMP/v1-old"
gn_restart $V1
: > "$GN_TMP/newer"
for i in $(seq 1 10); do report $V1 "备份之后$i" >> "$GN_TMP/newer"; done
cat "$GN_TMP/newer" >> "$GN_TMP/ids"
wait_until 60 "has_all $D '$GN_TMP/newer'"
gn_stop $V1
rm -rf "$GN_TMP/$V1/db"
cp -a "$GN_TMP/v1-old/db" "$GN_TMP/$V1/db"
gn_restart $V1
: > "$GN_TMP/after"
for i in $(seq 1 5); do report $V1 "恢复之后$i" >> "$GN_TMP/after"; done
dups=$(cat "$GN_TMP/ids" "$GN_TMP/after" | sort | uniq -d)
[ -z "$dups" ] || fail "the restored village reused case ids: $dups"
cat "$GN_TMP/after" >> "$GN_TMP/ids"
wait_until 60 "has_all $V1 '$GN_TMP/newer'"
wait_until 60 "has_all $D '$GN_TMP/ids'"
wait_until 60 trees_agree
for n in $V1 $T $D; do
  out=$(gn_ctl "$n" --json audit) || fail "audit at $n after the restore: $out"
done
ok "the restored village reused no id, pulled its newer cases back, digests and audits agree"

for code in $V1 $V3 $T $D; do gn_stop "$code"; done
gn_done
