#!/usr/bin/env bash
# t_audit_live: an audit does not stop the node. `gridctl audit` reads the whole replica and
# verifies every seal (seconds on a big node); it runs on a thread of its own, so while it runs
# the node still answers its clients and its links.
#  1. a village takes some thousands of reports (each group commit sealed);
#  2. its audit starts; while that audit is still running, `gridctl status` at the village
#     answers, a new report is saved, and the town still sees the village linked;
#  3. the audit's report comes back clean, and two audits asked at once get one report each.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D=610403000000; T=610403001000; V1=610403001001
N=${GN_AUDIT_CASES:-6000}

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
"$GN_BIN/gn-loadgen" -d "$GN_TMP/$V1" --out "$GN_TMP/acked" --threads 4 --count "$N" \
  --tag audit > "$GN_TMP/loadgen.log" 2>&1 || fail "loadgen: $(tail -n 3 "$GN_TMP/loadgen.log")"
ok "$N reports at the village"

# Time one audit alone, for scale.
t0=$(date +%s%N)
gn_ctl $V1 --timeout 120000 --json audit > "$GN_TMP/audit0.json" || fail "audit: $(cat "$GN_TMP/audit0.json")"
alone=$(( ($(date +%s%N) - t0) / 1000000 ))
jq -e '.ok == true' "$GN_TMP/audit0.json" >/dev/null || fail "audit not clean: $(cat "$GN_TMP/audit0.json")"
[ "$alone" -ge 200 ] || echo "# the audit took only $alone ms here: the overlap below is short"

gn_ctl $V1 --timeout 120000 --json audit > "$GN_TMP/audit1.json" 2>&1 & a1=$!
gn_ctl $V1 --timeout 120000 --json audit > "$GN_TMP/audit2.json" 2>&1 & a2=$!
answered=0
while kill -0 $a1 2>/dev/null; do
  t0=$(date +%s%N)
  gn_ctl $V1 --timeout 2000 status > /dev/null || fail "status did not answer during the audit"
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if kill -0 $a1 2>/dev/null; then
    answered=$((answered + 1))
    [ "$ms" -lt 1000 ] || fail "status took $ms ms during the audit"
  fi
  [ "$answered" -lt 3 ] || break
done
[ "$answered" -ge 1 ] || [ "$alone" -lt 200 ] ||
  fail "no status answer came while the audit (alone $alone ms) was running"
if kill -0 $a1 2>/dev/null; then
  id=$(gn_ctl $V1 --timeout 2000 report --grid $V1-001 --category 环境卫生 --title "审计期间") ||
    fail "a report during the audit was not saved"
  kill -0 $a1 2>/dev/null && ok "during the audit the village answered status $answered time(s) and saved $id"
fi
wait $a1 || fail "audit 1: $(cat "$GN_TMP/audit1.json")"
wait $a2 || fail "audit 2: $(cat "$GN_TMP/audit2.json")"
for f in audit1 audit2; do
  jq -e '.ok == true and .seals_verified > 0' "$GN_TMP/$f.json" >/dev/null ||
    fail "$f: $(cat "$GN_TMP/$f.json")"
done
grep -q "silent for" "$GN_TMP/$T/daemon.log" && fail "the town found the village silent during audits"
ok "audits clean (alone $alone ms); two at once both answered; the town never found the village silent"
for code in $V1 $T $D; do gn_stop "$code"; done
gn_done
