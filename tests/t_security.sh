#!/usr/bin/env bash
# t_security: the security rules of DESIGN §6, each tried for real.
#  1. every link is CURVE with keys; seals and chains verify: `gridctl audit` is clean everywhere;
#  2. a village whose certificate the town does not hold is never admitted: its case never
#     reaches the town, while a registered village's case does;
#  3. a node that would claim another node's keys refuses to start;
#  4. a secret key file readable by others makes the daemon refuse to start;
#  5. a byte flipped in a node's LMDB file is named by `gridctl audit`, which exits 1.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D=610403000000; T=610403001000; V1=610403001001; V3=610403001003; V4=610403001004

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
ok "district, town and a village started with CURVE links (keys made at first start)"

# ---- 1. signed, chained, audited ----
id=$(gn_ctl $V1 report --grid $V1-001 --category 环境卫生 --title "TAMPERME 垃圾堆放" \
       --description "TAMPERME 东门外" --reporter-id gw-1)
gn_ctl $V1 accept "$id" >/dev/null
gn_ctl $V1 handle "$id" --note "已清运" >/dev/null
wait_until 30 "gn_ctl $D --json show $id 2>/dev/null | jq -e '.state.status == \"handled\"' >/dev/null"
for n in $V1 $T $D; do
  out=$(gn_ctl "$n" --json audit) || fail "audit at $n failed: $out"
  jq -e '.ok == true and .feed_records > 0' <<<"$out" >/dev/null || fail "audit at $n: $out"
done
gn_ctl $T --json audit | jq -e '.seals_verified > 0' >/dev/null ||
  fail "the town verified no seal of its village: $(gn_ctl $T --json audit)"
gn_ctl $D --json audit | jq -e '.seals_verified > 0' >/dev/null || fail "the district verified no seal"
for n in $V1 $T $D; do
  [ "$(stat -c %a "$GN_TMP/$n/keys/sign_secret")" = 600 ] || fail "$n: sign_secret is not 0600"
done
ok "audits are clean at village, town and district; seals verified above the village; secrets 0600"

# ---- 2. a village the town does not know ----
mkdir -p "$GN_TMP/rogue-registry"
cp "$GN_TMP/registry/$T" "$GN_TMP/rogue-registry/$T"
gn_start village $V3 $T -s "security/registry=$GN_TMP/rogue-registry" -s sync/startup=300
rogue=$(gn_ctl $V3 report --grid $V3-001 --category 治安隐患 --title "不应到达街道")
good=$(gn_ctl $V1 report --grid $V1-002 --category 治安隐患 --title "应到达街道")
wait_until 30 "gn_ctl $T --json show $good >/dev/null 2>&1"
# The rogue village has tried for five heartbeats and given up on that connection.
wait_until 30 "grep -q 'no session with the parent for a while' '$GN_TMP/$V3/daemon.log'"
if gn_ctl $T show "$rogue" >/dev/null 2>&1; then fail "the unregistered village's case reached the town"; fi
gn_ctl $T --json status | jq -e --argjson v "$V3" '[.links[]? | select(.peer == $v and .connected)] | length == 0' >/dev/null ||
  fail "the town shows a live link to the unregistered village"
ok "a village whose certificate the town does not hold is never admitted"

# ---- 3. keys of another node ----
mkdir -m 700 "$GN_TMP/impostor"
cp -r "$GN_TMP/$V3/keys" "$GN_TMP/impostor/keys"
cat > "$GN_TMP/impostor/node.cfg" <<CFG
node
    id = $V4
    data = "$GN_TMP/impostor"
sync
    parent = "$(gn_endpoint "$GN_TMP/$T" sync)"
security
    autokeys = 0
CFG
rc=0; "$GN_BIN/gridnet-village" -c "$GN_TMP/impostor/node.cfg" > "$GN_TMP/impostor.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a village started with another node's keys"
grep -q "cannot load the keys" "$GN_TMP/impostor.log" || fail "no clear reason: $(tail -3 "$GN_TMP/impostor.log")"
ok "a node given another node's keys refuses to start (exit $rc)"

# ---- 4. a secret key others can read ----
gn_stop $V1
chmod 644 "$GN_TMP/$V1/keys/sign_secret"
rc=0; "$GN_BIN/gridnet-village" -c "$GN_TMP/$V1/node.cfg" > "$GN_TMP/perm.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "the village started with a world-readable secret key"
grep -q "chmod 600" "$GN_TMP/perm.log" || fail "no fix named: $(tail -3 "$GN_TMP/perm.log")"
chmod 600 "$GN_TMP/$V1/keys/sign_secret"
ok "a secret key file readable by others is refused, naming the fix (exit $rc)"

# ---- 5. a flipped byte in the LMDB file ----
db=$GN_TMP/$V1/db/data.mdb
n=$(grep -c -a TAMPERME "$db" || true)
[ "$n" -gt 0 ] || fail "marker not found in $db"
# Every copy of the marker: TAMPERME -> XAMPERME (still valid UTF-8, same length).
LC_ALL=C sed -i 's/TAMPERME/XAMPERME/g' "$db"
gn_restart $V1
rc=0; out=$(gn_ctl $V1 audit 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "audit of the altered file exited $rc: $out"
grep -q "feed .*op $V1/\|op $V1/" <<<"$out" || fail "audit did not name the altered op: $out"
ok "a byte flipped in the LMDB file is found by the audit: $(grep -m1 'op ' <<<"$out" | sed 's/^ *//')"

# ---- 6. personal data sealed at rest, shown only to roles that may see it ----
pid=$(gn_ctl $V1 report --grid $V1-003 --category 矛盾纠纷 --title "邻里纠纷" --reporter-kind citizen \
        --reporter-name 张女士 --phone 13912345678)
wait_until 30 "gn_ctl $D --json show $pid >/dev/null 2>&1"
gn_ctl $D --json show "$pid" | jq -e '.state.reporter.phone == "13912345678"' >/dev/null ||
  fail "the district console does not show the phone: $(gn_ctl $D --json show "$pid" | jq -c .state.reporter)"
for n in $V1 $T $D; do
  ! grep -q -a 13912345678 "$GN_TMP/$n/db/data.mdb" || fail "the phone number is in clear in $n's LMDB file"
done
ok "a reporter's phone is sealed in every LMDB file and opened for the console"

# ---- 7. operators log in; roles hold ----
T2=610403002000
hash_op=$(GRIDNET_PASSWORD=s3cret-op "$GRIDCTL" hash-password)
hash_gw=$(GRIDNET_PASSWORD=s3cret-gw "$GRIDCTL" hash-password)
gn_ctl $D ref set staff/op-t2 "{\"role\":\"town_operator\",\"node\":$T2,\"password\":\"$hash_op\"}" >/dev/null
gn_ctl $D ref set staff/gw-t2 "{\"role\":\"grid_worker\",\"node\":$T2,\"password\":\"$hash_gw\"}" >/dev/null
gn_start town $T2 $D -s api/auth=1
rc=0; gn_ctl $T2 status >/dev/null 2>"$GN_TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "log in first" "$GN_TMP/err" || fail "a request without a session was served (exit $rc)"
wait_until 30 "GRIDNET_PASSWORD=s3cret-op gn_ctl $T2 login --user op-t2 >/dev/null 2>&1"
rc=0; GRIDNET_PASSWORD=wrong gn_ctl $T2 login --user op-t2 >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a wrong password logged in (exit $rc)"
op_token=$(GRIDNET_PASSWORD=s3cret-op gn_ctl $T2 --json login --user op-t2 | jq -r .token)
gw_token=$(GRIDNET_PASSWORD=s3cret-gw gn_ctl $T2 --json login --user gw-t2 | jq -r .token)
cid=$(GRIDNET_TOKEN=$op_token gn_ctl $T2 report --grid 610403002101-001 --category 矛盾纠纷 \
        --title "漏水纠纷" --phone 13800001111 --actor someone-else)
GRIDNET_TOKEN=$op_token gn_ctl $T2 --json show "$cid" > "$GN_TMP/op.json"
jq -e '.state.reporter.phone == "13800001111" and .history[0].actor == "op-t2"' "$GN_TMP/op.json" >/dev/null ||
  fail "operator view: $(jq -c '[.state.reporter, .history[0].actor]' "$GN_TMP/op.json")"
GRIDNET_TOKEN=$gw_token gn_ctl $T2 --json show "$cid" | jq -e '.state.reporter.phone == "***"' >/dev/null ||
  fail "a grid worker sees the phone"
before=$(GRIDNET_TOKEN=$op_token gn_ctl $T2 --json show "$cid")
rc=0; GRIDNET_TOKEN=$gw_token gn_ctl $T2 accept "$cid" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a grid worker accepted a case (exit $rc)"
[ "$before" = "$(GRIDNET_TOKEN=$op_token gn_ctl $T2 --json show "$cid")" ] || fail "the refused accept changed the case"
rc=0; GRIDNET_TOKEN=bogus gn_ctl $T2 status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a made-up token was accepted (exit $rc)"
ok "login required: sessions act as their user, a grid worker sees *** and may not accept"
GRIDNET_TOKEN=$gw_token gn_ctl $T2 --json ref get staff/ > "$GN_TMP/staff.json"
jq -e '."staff/op-t2".role == "town_operator" and ([.[] | has("password")] | any | not)' \
  "$GN_TMP/staff.json" >/dev/null || fail "staff as read through the API: $(cat "$GN_TMP/staff.json")"
! gn_ctl $D --json ref get staff/ | grep -q -F "$hash_op" || fail "the district's console hands out a hash"
ok "password hashes replicate but no client reads them back"
out=$(GRIDNET_TOKEN=$gw_token gn_ctl $T2 logout) && [ "$out" = "logged out gw-t2; unset GRIDNET_TOKEN" ] ||
  fail "logout: $out"
rc=0; GRIDNET_TOKEN=$gw_token gn_ctl $T2 status >/dev/null 2>"$GN_TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "session is unknown" "$GN_TMP/err" || fail "a token was served after its logout (exit $rc)"
GRIDNET_TOKEN=$op_token gn_ctl $T2 status >/dev/null || fail "one logout ended another session"
rc=0; gn_ctl $D logout >/dev/null 2>"$GN_TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no session to end" "$GN_TMP/err" || fail "a logout without a session (exit $rc)"
ok "logout ends that session at the node and no other"

for code in $V1 $V3 $T2 $T $D; do gn_stop "$code"; done
gn_done
