#!/usr/bin/env bash
# t_report: analysis for decisions (issue 7) on real daemons: the monthly report, the
# evaluation (考核) and live monitoring (district, two towns, three villages; 100 ms ticks).
#  1. a fixture with known outcomes, through the daemons and gridctl: at 凤岗路社区 a case
#     closed on time (rated 5), one reworked once (rated 3), one rejected and one left open
#     past its deadline (supervised by the district); at 姚安社区 one that went overdue before
#     it was accepted (supervised by the town, then closed) and one escalated to the town and
#     closed there; at 景苑社区 (another town) one closed on time;
#  2. the town's monthly report: every figure against the values worked out by hand below,
#     the step times against the histories (jq computes them from `show --json`);
#  3. the district's report of the town's area (--area) is the town's report, figure for
#     figure; the district's own adds the other town's case;
#  4. breakdowns by category, department, village and town; hotspots; the table, CSV and SVG;
#  5. the evaluation per grid worker with the allowance, per village and per department;
#     rewards from the ledger;
#  6. `gridctl watch --count 1` at the district prints a case reported at a village; --town
#     keeps only that town's cases; SIGINT ends a watch with status 0.
# Deadlines are set to hours (seconds for 环境卫生), so every deadline falls within hours of
# the test: the reports ask for the months from now to three hours from now (China Standard
# Time), one month unless the test runs at a month's end.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

T2=610403002000    # 李台街道
V2=610403002102    # 景苑社区
M0=$(TZ=CST-8 date +%Y-%m)
M1=$(TZ=CST-8 date -d '+3 hours' +%Y-%m)
TICK=(-s node/tick=100)
gn_start district $D "${TICK[@]}"
gn_start town $T $D "${TICK[@]}"
gn_start town $T2 $D "${TICK[@]}"
gn_start village $V1 $T "${TICK[@]}"
gn_start village $V3 $T "${TICK[@]}"
gn_start village $V2 $T2 "${TICK[@]}"
wf_refdata $V1 $V3 $V2
HOURS='{"accept_h": 1, "handle_h": 2}'
SECS='{"accept_h": 0.0005, "handle_h": 0.001}'     # 1.8 s to accept, 3.6 s to handle
for k in 'deadline/*/general' deadline/矛盾纠纷/general deadline/治安隐患/general; do
  gn_ctl $D ref set "$k" "$HOURS" >/dev/null
done
gn_ctl $D ref set deadline/环境卫生/general "$SECS" >/dev/null
for n in $V1 $V3 $V2; do
  for k in 'deadline/*/general' deadline/矛盾纠纷/general deadline/治安隐患/general; do
    wf_ref_wait "$n" "$k" "$HOURS"
  done
  wf_ref_wait "$n" deadline/环境卫生/general "$SECS"
done
ok "district, 2 towns, 3 villages; deadlines of hours (环境卫生: seconds) at every village"

# ---- 1. the fixture ----
A=$(wf_report $V1 --reporter-id gw-fg-01)
wf_act $V1 "$A" accept "accepted $V1"
wf_act $V1 "$A" dispatch "dispatched $V1" --assignee mediation
wf_act $V1 "$A" handle "handled $V1" --note 调解成功
wf_act $V1 "$A" verify "verified $V1" --pass
wf_act $V1 "$A" archive "archived $V1"
wf_act $V1 "$A" evaluate "evaluated $V1" --rating 5

B=$(wf_report $V1 --reporter-id gw-fg-01)
wf_act $V1 "$B" accept "accepted $V1"
wf_act $V1 "$B" dispatch "dispatched $V1" --assignee mediation
wf_act $V1 "$B" handle "handled $V1" --note 第一次调解
wf_act $V1 "$B" verify "dispatched $V1" --fail
wf_act $V1 "$B" handle "handled $V1" --note 第二次调解，达成协议
wf_act $V1 "$B" verify "verified $V1" --pass
wf_act $V1 "$B" archive "archived $V1"
wf_act $V1 "$B" evaluate "evaluated $V1" --rating 3

R=$(wf_report $V1 --reporter-id gw-fg-01)
wf_act $V1 "$R" reject "rejected $V1" --note 重复上报

O=$(wf_report $V1 --category 环境卫生 --title 背街小巷垃圾堆积 --reporter-id gw-fg-01)
wf_wait 20 $D "$O" '.state.overdue == true'
gn_ctl $D supervise "$O" --note 区级督办 >/dev/null

C=$(wf_report $V3 --category 环境卫生 --title 河道边垃圾倾倒 --reporter-id gw-ya-01)
wf_wait 20 $T "$C" '.state.overdue == true'
gn_ctl $T supervise "$C" --note 街道督办 >/dev/null
wf_wait 20 $V3 "$C" '.state.supervisions == 1'
wf_act $V3 "$C" accept "accepted $V3"
wf_act $V3 "$C" dispatch "dispatched $V3" --assignee environment
wf_act $V3 "$C" handle "handled $V3" --note 已清运
wf_act $V3 "$C" verify "verified $V3" --pass

E=$(wf_report $V3 --category 治安隐患 --title 路口监控损坏 --reporter-id gw-ya-01)
wf_act $V3 "$E" escalate "reported $T"
wf_wait 20 $T "$E" ".state.owner == $T"
wf_act $T "$E" accept "accepted $T"
wf_act $T "$E" dispatch "dispatched $T" --assignee public_security
wf_act $T "$E" handle "handled $T" --note 已修复
wf_act $T "$E" verify "verified $T" --pass

X=$(wf_report $V2 --category 市政设施 --title 井盖缺失 --reporter-id gw-jy-01)
wf_act $V2 "$X" accept "accepted $V2"
wf_act $V2 "$X" dispatch "dispatched $V2" --assignee municipal
wf_act $V2 "$X" handle "handled $V2" --note 已补装
wf_act $V2 "$X" verify "verified $V2" --pass

for id in "$A" "$B" "$R" "$O"; do wf_converge "$id" $V1 $T $D; done
for id in "$C" "$E"; do wf_converge "$id" $V3 $T $D; done
wf_converge "$X" $V2 $T2 $D
wf_is $V1 "$O" '.state.status == "reported" and .state.overdue and .state.supervisions == 1' ||
  fail "$O: $(wf_get $V1 "$O" .state)"
wf_is $T "$C" '[.history[].action] | index("overdue") != null' || fail "$C never went overdue"
for id in "$A" "$B" "$E" "$X"; do
  wf_is $D "$id" '[.history[].action] | index("overdue") == null' || fail "$id went overdue"
done
wait_until 20 "[ \"\$(wf_ledger $D | jq '.entries | length')\" = 5 ]"
ok "fixture: 7 cases (on time, reworked, rejected, open and overdue, late, escalated, elsewhere), identical at every level"

# ---- 2. the town's monthly report, figure by figure ----
monthly() { local node=$1; shift; gn_ctl "$node" --json monthly --from "$M0" --to "$M1" "$@"; }
monthly $T > "$GN_TMP/t.json" || fail "monthly at $T failed"
# Worked out by hand from the outcomes above (area of 杨陵街道: A B R O C E):
want_t='{
  "reported": 6, "rejected": 1, "closed": 4, "closure_rate": 0.8, "closed_in_period": 4,
  "due": 5, "on_time": 3, "on_time_rate": 0.6,
  "reworked": 1, "reworks": 1, "rework_rate": 0.2,
  "supervised": 2, "supervisions": 2, "escalated": 1, "escalations": 1,
  "open": 1, "overdue_now": 1, "overdue_all": 1,
  "rated": 2, "rating_avg": 4, "satisfied": 1, "satisfaction_rate": 0.5 }'
jq -e --argjson w "$want_t" '.totals | del(.steps) == $w' "$GN_TMP/t.json" >/dev/null ||
  fail "totals at $T: $(jq -c '.totals | del(.steps)' "$GN_TMP/t.json"), expected $(jq -c . <<<"$want_t")"
jq -e --arg m0 "$M0" --arg m1 "$M1" ".node == $T and .area == $T and .by == \"category\"
       and .from == \$m0 and .to == \$m1 and (.months | length) >= 1
       and ([.months[].reported] | add) == 6" "$GN_TMP/t.json" >/dev/null ||
  fail "report header at $T: $(jq -c 'del(.groups, .hotspots, .totals)' "$GN_TMP/t.json")"
ok "monthly at $T: 6 reported, 1 rejected, 4 closed (结案率 80%), 3 of 5 due on time (按期 60%), rework 20%, 2 supervised, 1 escalated, 1 overdue, satisfaction 50%"

# Step times from the histories: first accept, first dispatch, last handling, closed,
# archived, evaluated; average and nearest-rank p90.
for id in "$A" "$B" "$R" "$O" "$C" "$E"; do gn_ctl $T --json show "$id"; done | jq -s '
  def first(a): [.history[] | select(.action == a) | .time] | min;
  def last(a): [.history[] | select(.action == a) | .time] | max;
  def ifboth(a; b): if a != null and b != null then a - b else null end;
  def agg: map(select(. != null)) | sort | length as $n
    | if $n == 0 then {n: 0}
      else {n: $n, avg_ms: (add / $n), p90_ms: .[((9 * $n + 9) / 10 | floor) - 1]} end;
  [ .[] | .state.created as $t0 | first("accept") as $acc | first("dispatch") as $dis
    | last("handle") as $han | first("archive") as $arc | first("evaluate") as $eva
    | (if (.state.status | IN("verified", "archived", "evaluated")) then .state.closed
       else null end) as $clo
    | {accept: ifboth($acc; $t0), dispatch: ifboth($dis; $acc),
       handle: (if $han != null then $han - ($dis // $acc // $t0) else null end),
       verify: ifboth($clo; $han), archive: ifboth($arc; $clo), evaluate: ifboth($eva; $arc),
       total: ifboth($clo; $t0)} ] as $cases
  | reduce ("accept", "dispatch", "handle", "verify", "archive", "evaluate", "total") as $s
      ({}; .[$s] = ([$cases[][$s]] | agg))' > "$GN_TMP/steps.json"
# gridctl prints reals with 15 significant digits: averages are compared to 1e-12 of their value.
jq -e --slurpfile w "$GN_TMP/steps.json" '.totals.steps as $g | $w[0] | to_entries
    | all(.key as $k | .value as $v | $g[$k] as $x
          | $x.n == $v.n and $x.p90_ms == $v.p90_ms
          and (($x.avg_ms // 0) - ($v.avg_ms // 0) | fabs) <= 1e-12 * ($v.avg_ms // 0))' \
    "$GN_TMP/t.json" >/dev/null ||
  fail "step times at $T: $(jq -c .totals.steps "$GN_TMP/t.json"), from the histories $(jq -c . "$GN_TMP/steps.json")"
jq -e '.accept.n == 4 and .dispatch.n == 4 and .handle.n == 4 and .verify.n == 4
       and .archive.n == 2 and .evaluate.n == 2 and .total.n == 4' "$GN_TMP/steps.json" >/dev/null ||
  fail "steps from the histories: $(jq -c . "$GN_TMP/steps.json")"
ok "step times at $T (avg and p90 of accept, dispatch, handle, verify, archive, evaluate, total) match the histories"

# ---- 3. the district agrees for the town's area ----
monthly $D --area $T > "$GN_TMP/dt.json" || fail "monthly --area $T at $D failed"
diff <(jq -S 'del(.node, .generated)' "$GN_TMP/t.json") <(jq -S 'del(.node, .generated)' "$GN_TMP/dt.json") \
  > "$GN_TMP/agree.diff" || fail "the district's report of $T differs from $T's own: $(head -c 3000 "$GN_TMP/agree.diff")"
for by in department village grid; do
  diff <(monthly $T --by $by | jq -S 'del(.node, .generated)') \
       <(monthly $D --by $by --area $T | jq -S 'del(.node, .generated)') > "$GN_TMP/agree.diff" ||
    fail "--by $by: the district's report of $T differs: $(head -c 3000 "$GN_TMP/agree.diff")"
done
monthly $D --by town > "$GN_TMP/d.json" || fail "monthly at $D failed"
want_d='{"reported": 7, "rejected": 1, "closed": 5, "closed_in_period": 5, "due": 6, "on_time": 4,
         "reworked": 1, "supervised": 2, "escalated": 1, "overdue_now": 1, "rated": 2, "satisfied": 1}'
jq -e --argjson w "$want_d" '.totals as $t | all($w | to_entries[]; $t[.key] == .value)
       and (.totals.closure_rate - 5 / 6 | fabs) < 1e-12 and (.totals.on_time_rate - 4 / 6 | fabs) < 1e-12
       and (.totals.rework_rate - 1 / 6 | fabs) < 1e-12' "$GN_TMP/d.json" >/dev/null ||
  fail "totals at $D: $(jq -c '.totals | del(.steps)' "$GN_TMP/d.json")"
jq -e "[.groups[] | [.key, .reported, .closed, .due, .on_time]]
       == [[\"$T\", 6, 4, 5, 3], [\"$T2\", 1, 1, 1, 1]]" "$GN_TMP/d.json" >/dev/null ||
  fail "by town at $D: $(jq -c '[.groups[] | [.key, .reported, .closed, .due, .on_time]]' "$GN_TMP/d.json")"
ok "the district's report of $T's area equals $T's (by category, department, village, grid); the district's own: 7 cases, 2 towns"

# ---- 4. breakdowns, hotspots, table, CSV, SVG ----
jq -e '[.groups[] | [.key, .reported, .rejected, .closed, .due, .on_time, .reworked, .supervised,
                     .escalated, .overdue_now, .rated, .satisfied]]
       == [["矛盾纠纷", 3, 1, 2, 2, 2, 1, 0, 0, 0, 2, 1],
           ["环境卫生", 2, 0, 1, 2, 0, 0, 2, 0, 1, 0, 0],
           ["治安隐患", 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0]]
       and .groups[0].closure_rate == 1 and .groups[0].rework_rate == 0.5
       and .groups[1].closure_rate == 0.5 and .groups[1].on_time_rate == 0' "$GN_TMP/t.json" >/dev/null ||
  fail "by category at $T: $(jq -c '.groups' "$GN_TMP/t.json")"
monthly $T --by department | jq -e '[.groups[] | [.key, .reported, .closed, .due, .on_time, .name]]
    == [["-", 2, 0, 1, 0, null], ["mediation", 2, 2, 2, 2, "区司法局(人民调解)"],
        ["environment", 1, 1, 1, 0, "区生态环境分局"], ["public_security", 1, 1, 1, 1, "区公安分局"]]' >/dev/null ||
  fail "by department at $T: $(monthly $T --by department | jq -c '[.groups[] | [.key, .reported, .closed, .due, .on_time, .name]]')"
monthly $T --by village | jq -e "[.groups[] | [.key, .reported, .closed, .overdue_all]]
    == [[\"$V1\", 4, 2, 1], [\"$V3\", 2, 2, 0]]" >/dev/null ||
  fail "by village at $T: $(monthly $T --by village | jq -c '.groups')"
jq -e "(.hotspots.grids | map([.key, .reported, .previous, .change, .change_rate]))
         == [[\"$V1-001\", 4, 0, 4, null], [\"$V3-001\", 2, 0, 2, null]]
       and (.hotspots.categories | map([.key, .reported])) == [[\"矛盾纠纷\", 3], [\"环境卫生\", 2], [\"治安隐患\", 1]]" \
  "$GN_TMP/t.json" >/dev/null || fail "hotspots at $T: $(jq -c .hotspots "$GN_TMP/t.json")"
ok "by category, department (with names), village; hotspot grids and categories against the month before"

gn_ctl $T monthly --from "$M0" --to "$M1" > "$GN_TMP/t.txt" || fail "monthly table at $T failed"
grep -q '结案率 80.0%' "$GN_TMP/t.txt" && grep -q '按期结案率 60.0%' "$GN_TMP/t.txt" &&
  grep -q '^矛盾纠纷 ' "$GN_TMP/t.txt" && grep -q "^$V1-001 " "$GN_TMP/t.txt" ||
  fail "monthly table at $T: $(cat "$GN_TMP/t.txt")"
gn_ctl $T monthly --from "$M0" --to "$M1" --format csv > "$GN_TMP/t.csv" || fail "monthly --format csv failed"
head -n 1 "$GN_TMP/t.csv" | grep -q '^section,key,reported,rejected,closed,closure_rate,' ||
  fail "CSV header: $(head -n 1 "$GN_TMP/t.csv")"
[ "$(awk -F, '$1 == "total" { print $3, $4, $5, $6 }' "$GN_TMP/t.csv" | tr -d '\r')" = "6 1 4 0.800000" ] ||
  fail "CSV total row: $(grep '^total' "$GN_TMP/t.csv")"
[ "$(awk -F, '$1 == "category" { n++ } END { print n }' "$GN_TMP/t.csv")" = 3 ] ||
  fail "CSV category rows: $(cat "$GN_TMP/t.csv")"
gn_ctl $T monthly --from "$M0" --to "$M1" --by village --svg "$GN_TMP/svg" > /dev/null ||
  fail "monthly --svg failed"
for f in categories trend; do
  [ -s "$GN_TMP/svg/$f.svg" ] && head -n 2 "$GN_TMP/svg/$f.svg" | grep -q '<svg ' &&
    tail -n 1 "$GN_TMP/svg/$f.svg" | grep -q '</svg>' || fail "$f.svg: $(head -c 500 "$GN_TMP/svg/$f.svg")"
done
grep -q '>矛盾纠纷</text>' "$GN_TMP/svg/categories.svg" && grep -q '>2 / 3 ' "$GN_TMP/svg/categories.svg" ||
  fail "categories.svg lacks 矛盾纠纷 2 / 3"
grep -q ">$M1</text>" "$GN_TMP/svg/trend.svg" || fail "trend.svg lacks the month $M1"
months=12; [ "$M0" = "$M1" ] || months=13
[ "$(grep -c '<title>reported' "$GN_TMP/svg/trend.svg")" = $months ] ||
  fail "trend.svg should chart $months months (--svg asks for 11 before the period)"
ok "the table, CSV (total 6 1 4 0.8; 3 category rows) and the SVG charts (categories, 12-month trend)"

# ---- 5. the evaluation ----
evalj() { local node=$1; shift; gn_ctl "$node" --json eval --month "$M0" "$@"; }
# (the month of the cases; M1 differs from M0 only at a month's end)
if [ "$M0" = "$M1" ]; then
  evalj $T --allowance > "$GN_TMP/e.json" || fail "eval at $T failed"
  jq -e '[.units[] | [.key, .reported, .rejected, .closed, .due, .on_time,
                      (.timeliness * 1e12 | round), .quality_reports, .reward_fen, .rated,
                      (.score * 1e12 | round), .allowance_fen]]
         == [["gw-fg-01", 4, 1, 2, 3, 2, (2 / 3 * 1e12 | round), 2, 1000, 2, (2 / 3 * 1e12 | round), 40000],
             ["gw-ya-01", 2, 0, 2, 2, 1, 5e11, 2, 1000, 0, 5e11, 35000]]
         and .allowance.monthly_fen == 50000 and .totals.reward_fen == 2000' "$GN_TMP/e.json" >/dev/null ||
    fail "eval per worker at $T: $(jq -c '.units, .totals' "$GN_TMP/e.json")"
  [ "$(wf_ledger $T | jq '[.entries[] | select(.worker | startswith("gw-")) | .fen] | add')" = 2000 ] ||
    fail "ledger at $T: $(wf_ledger $T | jq -c .)"
  evalj $T --unit village | jq -e "[.units[] | [.key, .reported, .due, .on_time, .quality_reports, .reward_fen]]
      == [[\"$V1\", 4, 3, 2, 2, 1000], [\"$V3\", 2, 2, 1, 2, 1000]]" >/dev/null ||
    fail "eval per village at $T: $(evalj $T --unit village | jq -c .units)"
  evalj $T --unit department | jq -e '[.units[] | [.key, .reported, .due, .on_time, .timeliness]]
      == [["-", 2, 1, 0, 0], ["environment", 1, 1, 0, 0], ["mediation", 2, 2, 2, 1],
          ["public_security", 1, 1, 1, 1]]' >/dev/null ||
    fail "eval per department at $T: $(evalj $T --unit department | jq -c .units)"
  evalj $D --unit town | jq -e "[.units[] | [.key, .reported, .quality_reports, .reward_fen]]
      == [[\"$T\", 6, 4, 2000], [\"$T2\", 1, 1, 500]]" >/dev/null ||
    fail "eval per town at $D: $(evalj $D --unit town | jq -c .units)"
  gn_ctl $T eval --month "$M0" --allowance > "$GN_TMP/e.txt" && grep -q '^gw-fg-01 .* 400.00$' "$GN_TMP/e.txt" ||
    fail "eval table at $T: $(cat "$GN_TMP/e.txt")"
  gn_ctl $T eval --month "$M0" --allowance --format csv | tr -d '\r' > "$GN_TMP/e.csv"
  [ "$(head -n 1 "$GN_TMP/e.csv")" = unit,key,name,reported,rejected,closed,closure_rate,due,on_time,timeliness,quality_reports,reward_fen,rated,rating_avg,score,allowance_fen ] &&
    grep -q '^worker,gw-ya-01,,2,0,2,1.000000,2,1,0.500000,2,1000,0,,0.500000,35000$' "$GN_TMP/e.csv" ||
    fail "eval CSV at $T: $(cat "$GN_TMP/e.csv")"
  ok "eval: per worker (timeliness 2/3 and 1/2, rewards 10 yuan each from the ledger, allowance 400 and 350 yuan), per village, department, town"
else
  ok "eval skipped: the test straddles a month's end ($M0 / $M1)"
fi
wf_usage "eval --allowance wants workers" 'grid workers' "$A" "$V1 $T $D" gn_ctl $T eval --unit town --allowance
out=$(gn_ctl $T monthly --area $T2 2>&1) && fail "monthly --area $T2 at $T succeeded: $out"
[[ $out == "gridctl: area $T2 is not in this node's subtree" ]] || fail "monthly --area $T2 at $T: $out"
ok "monthly --area outside the node: refused"

# ---- 6. live monitoring ----
W1=$GN_TMP/watch1.out W2=$GN_TMP/watch2.out
"$GRIDCTL" -d "$GN_TMP/$D" watch --count 1 --category 食品安全 > "$W1" 2> "$GN_TMP/watch1.err" &
P1=$!; GN_BG+=("$P1")
"$GRIDCTL" -d "$GN_TMP/$D" --json watch --count 1 --town $T2 > "$W2" 2> "$GN_TMP/watch2.err" &
P2=$!; GN_BG+=("$P2")
ids=()
for try in 1 2 3 4 5; do   # a subscription takes a moment to reach the PUB: report until it is seen
  ids+=("$(wf_report $V3 --category 食品安全 --title "小作坊无证经营（$try）" --reporter-id gw-ya-01)")
  if _gn_poll 3 "[ -s '$W1' ]"; then break; fi
done
wait_until 10 "! _gn_alive $P1"
rc=0; wait "$P1" || rc=$?
[ "$rc" -eq 0 ] || fail "watch --count 1 exited $rc: $(cat "$GN_TMP/watch1.err")"
[ "$(wc -l < "$W1")" -eq 1 ] || fail "watch --count 1 printed: $(cat "$W1")"
line=$(cat "$W1")
seen=""
for id in "${ids[@]}"; do
  re="^[0-9-]+ [0-9:]+ report $id reported owner=$V3 grid=$V3-001 category=食品安全 severity=general by $V3\$"
  [[ $line =~ $re ]] && seen=$id
done
[ -n "$seen" ] || fail "watch at $D printed '$line', expected the report of one of ${ids[*]}"
ok "watch --count 1 at $D printed the report made at $V3: $line"
G=$(wf_report $V2 --category 食品安全 --title 流动摊贩 --reporter-id gw-jy-01)
wait_until 10 "! _gn_alive $P2"
wait "$P2" || fail "watch --town $T2 failed: $(cat "$GN_TMP/watch2.err")"
jq -e --arg g "$G" '.topic == "op" and .op.case_id == $g and .op.action == "report"
                    and .op.state.grid == "'$V2'-001"' "$W2" >/dev/null ||
  fail "watch --town $T2 --json printed: $(cat "$W2") (expected $G only)"
ok "watch --town $T2 --json kept only the case in $T2 ($G), not those of $T"
"$GRIDCTL" -d "$GN_TMP/$T" watch --overdue > "$GN_TMP/watch3.out" 2>&1 &
P3=$!; GN_BG+=("$P3")
# A background job of a script starts with SIGINT ignored: wait until watch catches it.
_catches_int() { local m; m=$(awk '/^SigCgt/ { print $2 }' "/proc/$1/status" 2>/dev/null) &&
                 [ -n "$m" ] && (( (16#$m & 2) != 0 )); }
wait_until 10 "_catches_int $P3"
kill -INT "$P3"
wait_until 10 "! _gn_alive $P3"
rc=0; wait "$P3" || rc=$?
[ "$rc" -eq 0 ] || fail "watch after SIGINT exited $rc: $(cat "$GN_TMP/watch3.out")"
ok "SIGINT ends a watch with status 0"
gn_done
