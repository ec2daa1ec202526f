#!/usr/bin/env bash
# t_foundation: the district, one town and two villages as separate processes.
#  1. cases reported at both villages reach the town and the district, and `show --json` of each
#     is byte-identical at the origin village, the town and the district;
#  2. the district's status shows its child link;
#  3. gridctl's error contract: usage error -> exit 2, unreachable node -> exit 3 within its timeout;
#  4. kill -9 of the town while both villages keep reporting, restart: every acknowledged case
#     reaches the district exactly once, each case's history is versions 1..n without repeats;
#  5. every node stops cleanly on SIGTERM (exit 0).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

D=610403000000     # 杨陵区
T=610403001000     # 杨陵街道
V1=610403001001    # 凤岗路社区
V3=610403001003    # 姚安社区
PER_VILLAGE=20

CATEGORIES=(矛盾纠纷 环境卫生 治安隐患 市政设施)
TITLES=("邻里因楼道堆放杂物发生争执" "背街小巷生活垃圾堆积未清运" "小区东门监控探头损坏" "路灯不亮，夜间通行不便")

#  report VILLAGE N: report case number N at VILLAGE; prints the new case id.
report() {
  local v=$1 n=$2 k=$(($2 % 4))
  gn_ctl "$v" report --grid "$v-00$(($2 % 3 + 1))" --category "${CATEGORIES[$k]}" \
    --title "${TITLES[$k]}（$n）" --description "网格员巡查发现，现场拍照留存。" \
    --severity general --channel terminal --reporter-kind grid_worker \
    --reporter-id "gw-$v-01" --reporter-name "网格员" --actor "gw-$v-01" \
    --lat 34.27 --lon 108.07 --address "杨陵区杨陵街道"
}

#  lines FILE: number of lines, 0 if there is no file.
lines() { local n=0; if [ -f "$1" ]; then n=$(wc -l < "$1"); fi; echo "$n"; }

#  has_all CODE FILE: the node lists every id in FILE.
has_all() {
  local ids
  ids=$(gn_ids "$1" | sort) || return 1
  [ -z "$(comm -23 <(sort "$2") <(echo "$ids"))" ]
}

gn_start district $D
gn_start town $T $D
gn_start village $V1 $T
gn_start village $V3 $T
ok "district, town and two villages started"

# ---- 1. reports flow up; show is identical at every level ----
: > "$GN_TMP/ids0"
for v in $V1 $V3; do
  for i in $(seq 1 $PER_VILLAGE); do
    id=$(report "$v" "$i")
    [[ $id =~ ^$v-[0-9]+$ ]] || fail "report at $v printed '$id', expected a case id $v-<n>"
    echo "$id" >> "$GN_TMP/ids0"
  done
done
[ "$(sort -u "$GN_TMP/ids0" | wc -l)" -eq $((2 * PER_VILLAGE)) ] || fail "report returned duplicate ids"
ok "$((2 * PER_VILLAGE)) cases reported at $V1 and $V3"

wait_until 30 "has_all $T '$GN_TMP/ids0'"
ok "every case is at the town"
wait_until 30 "has_all $D '$GN_TMP/ids0'"
ok "every case is at the district"

while read -r id; do
  origin=${id%-*}
  gn_ctl "$origin" --json show "$id" > "$GN_TMP/show.v"
  for n in $T $D; do
    gn_ctl "$n" --json show "$id" > "$GN_TMP/show.n"
    diff -u "$GN_TMP/show.v" "$GN_TMP/show.n" > "$GN_TMP/show.diff" ||
      fail "show --json $id differs between $origin and $n: $(cat "$GN_TMP/show.diff")"
  done
done < "$GN_TMP/ids0"
ok "show --json of every case is identical at village, town and district"

# ---- 2. the district sees its child ----
link_up() {
  gn_ctl $D --json status |
    jq -e --argjson child "$T" '(.links // []) | any(.peer == $child and .role == "child" and .connected == true)' >/dev/null
}
wait_until 15 link_up
gn_ctl $D --json status | jq -e --argjson d "$D" '.node == $d and .level == 1' >/dev/null ||
  fail "district status: unexpected node/level: $(gn_ctl $D --json status)"
ok "district status --json shows its connected child link to $T"

# ---- 3. gridctl error contract ----
#  expect_rc RC CMD...: CMD exits with RC and writes exactly one line on stderr.
expect_rc() {
  local want=$1 rc=0; shift
  "$@" > "$GN_TMP/out" 2> "$GN_TMP/err" || rc=$?
  [ "$rc" -eq "$want" ] || fail "$* exited $rc, expected $want (stderr: $(cat "$GN_TMP/err"))"
  [ "$(wc -l < "$GN_TMP/err")" -eq 1 ] || fail "$* wrote $(wc -l < "$GN_TMP/err") lines on stderr, expected 1: $(cat "$GN_TMP/err")"
}
expect_rc 2 gn_ctl $V1 frobnicate
expect_rc 2 gn_ctl $V1 show
ok "usage errors exit 2 with one line on stderr"
t0=$(_gn_now_us)
expect_rc 3 "$GRIDCTL" -n tcp://127.0.0.1:1 --timeout 1000 status
took=$(( ($(_gn_now_us) - t0) / 1000 ))
[ "$took" -lt $((1000 + 2000 * GN_SCALE)) ] || fail "gridctl at a dead endpoint took ${took} ms with --timeout 1000"
ok "gridctl at a dead endpoint exits 3 after ${took} ms (--timeout 1000)"

# ---- 4. kill -9 the town while both villages keep reporting ----
#  reporter VILLAGE: report until the stop file exists; every id the node acknowledged goes to
#  ids.VILLAGE, every failure to errors.VILLAGE.
reporter() {
  local v=$1 i=0 id rc
  while [ ! -e "$GN_TMP/stop" ] && [ $i -lt 5000 ]; do
    i=$((i + 1))
    rc=0; id=$(report "$v" $((1000 + i)) 2>>"$GN_TMP/errors.$v") || rc=$?
    if [ $rc -ne 0 ]; then
      echo "report $i at $v: exit $rc" >> "$GN_TMP/errors.$v"
    elif [[ $id =~ ^$v-[0-9]+$ ]]; then
      echo "$id" >> "$GN_TMP/ids.$v"
    else
      echo "report $i at $v: printed '$id'" >> "$GN_TMP/errors.$v"
    fi
  done
}
: > "$GN_TMP/errors.$V1"; : > "$GN_TMP/errors.$V3"
reporter $V1 & R1=$!; GN_BG+=("$R1")
reporter $V3 & R3=$!; GN_BG+=("$R3")

#  grown N: both villages have acknowledged at least N reports each since the loops started.
grown() { [ "$(lines "$GN_TMP/ids.$V1")" -ge "$1" ] && [ "$(lines "$GN_TMP/ids.$V3")" -ge "$1" ]; }
wait_until 60 "grown 20"
gn_kill9 $T
ok "town killed with SIGKILL after $(lines "$GN_TMP/ids.$V1") + $(lines "$GN_TMP/ids.$V3") reports"
expect_rc 3 gn_ctl $T --timeout 1000 status
ok "gridctl at the dead town exits 3"
n=$(lines "$GN_TMP/ids.$V1"); m=$(lines "$GN_TMP/ids.$V3")
wait_until 60 "grown $(( (n > m ? n : m) + 20 ))"
ok "villages kept acknowledging reports while the town was down"
gn_restart $T
n=$(lines "$GN_TMP/ids.$V1"); m=$(lines "$GN_TMP/ids.$V3")
wait_until 60 "grown $(( (n > m ? n : m) + 20 ))"
touch "$GN_TMP/stop"
wait_until 30 "! _gn_alive $R1 && ! _gn_alive $R3"
wait "$R1" "$R3"
for v in $V1 $V3; do
  [ ! -s "$GN_TMP/errors.$v" ] || fail "reports at $v failed while the village was up: $(head -n 5 "$GN_TMP/errors.$v")"
done
cat "$GN_TMP/ids0" "$GN_TMP/ids.$V1" "$GN_TMP/ids.$V3" | sort > "$GN_TMP/acked"
total=$(wc -l < "$GN_TMP/acked")
[ -z "$(uniq -d "$GN_TMP/acked")" ] || fail "villages acknowledged the same id twice: $(uniq -d "$GN_TMP/acked" | head -n 5)"
ok "town restarted; $total cases acknowledged in all"

wait_until 120 "has_all $D '$GN_TMP/acked'"
ok "every acknowledged case reached the district"
gn_ids $D > "$GN_TMP/at_district"
dups=$(sort "$GN_TMP/at_district" | uniq -d)
[ -z "$dups" ] || fail "district lists some cases more than once: $(echo "$dups" | head -n 5)"
missing=$(comm -23 "$GN_TMP/acked" <(sort "$GN_TMP/at_district"))
[ -z "$missing" ] || fail "district lacks acknowledged cases: $(echo "$missing" | head -n 5)"
ok "district lists $(wc -l < "$GN_TMP/at_district") cases, no duplicates, every acknowledged one"

# Every case's history at the district: versions exactly 1..n, every op id once.
# shellcheck disable=SC2016  # the inner script is for bash -c
xargs -P 4 -n 100 bash -c '
  gridctl=$1 data=$2; shift 2
  for id; do
    if ! out=$("$gridctl" -d "$data" --json show "$id" 2>&1); then echo "$id: show failed: $out"; continue; fi
    jq -e "(.history | length) >= 1
           and ([.history[].version] == [range(1; (.history | length) + 1)])
           and ([.history[] | [.origin, .seq]] | length == (unique | length))" <<<"$out" >/dev/null ||
      echo "$id: history $(jq -c "[.history[]? | {version, origin, seq}]" <<<"$out")"
  done' _ "$GRIDCTL" "$GN_TMP/$D" < "$GN_TMP/at_district" > "$GN_TMP/bad_history" ||
  fail "history check did not run to the end: $(tail -n 3 "$GN_TMP/bad_history")"
[ ! -s "$GN_TMP/bad_history" ] || fail "bad histories at the district: $(head -n 5 "$GN_TMP/bad_history")"
ok "every case's history at the district has versions 1..n, each op once"

wait_until 60 "has_all $T '$GN_TMP/acked'"
gn_ids $T | sort | uniq -d > "$GN_TMP/town_dups"
[ ! -s "$GN_TMP/town_dups" ] || fail "town lists some cases more than once: $(head -n 5 "$GN_TMP/town_dups")"
ok "the restarted town has every case once"

# A sample of the cases reported around the crash is identical at origin and district.
for v in $V1 $V3; do
  awk 'NR % 10 == 0' "$GN_TMP/ids.$v" | while read -r id; do
    gn_ctl "$v" --json show "$id" > "$GN_TMP/show.v"
    gn_ctl $D --json show "$id" > "$GN_TMP/show.n"
    diff -u "$GN_TMP/show.v" "$GN_TMP/show.n" > "$GN_TMP/show.diff" ||
      fail "show --json $id differs between $v and $D: $(cat "$GN_TMP/show.diff")"
  done
done
ok "a sample of the crash-time cases is identical at origin and district"

# ---- digests: each child's subtree is the same at the child and at its parent (I5) ----
wait_until 60 "gn_ctl $T verify-tree --child '$GN_TMP/$V1' --child '$GN_TMP/$V3' >/dev/null 2>&1"
wait_until 60 "gn_ctl $D verify-tree --child '$GN_TMP/$T' >/dev/null 2>&1"
gn_ctl $T --json status | jq -e '[.links[] | select(.role == "parent")][0].lag_ops // 0 | . == 0' >/dev/null ||
  fail "the town reports a lag to the district after convergence: $(gn_ctl $T --json status | jq -c .links)"
ok "digests of every subtree equal at child and parent; no lag left"

# ---- 5. clean stop ----
for code in $V1 $V3 $T $D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
