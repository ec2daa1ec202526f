#!/usr/bin/env bash
# deploy/replay.sh -- replay two years of Yangling at the seed's rates through the live system,
# compressed in time (driven as fast as the nodes take it), then print what the district holds
# next to the seed's figures.
#
#   deploy/replay.sh [--dir DIR] [--reuse] [--keep] [-j JOBS] [--cases N] [--seed S]
#
#   --dir    the deployment (default /tmp/gridnet-replay), brought up fresh with all 82 nodes
#   --reuse  use the deployment running in DIR as it is (its earlier cases count in the totals)
#   --keep   leave the nodes running at the end (default: deploy/gridnet-local down)
#
# The seed: 10,984 grid events reported to the end of 2017 and 10,980 closed; 837 disputes in
# 2017, all mediated. The replay: 2016-01 .. 2017-12, N = 10,984 cases spread evenly over the 24
# months (457 or 458 a month), each month's cases in grids chosen in proportion to households.
# Category mix, fixed quotas per month (the month's remainder goes to the largest shares):
#   环境卫生 24  市政设施 18  矛盾纠纷 15 (837 in 2017, as the seed)  治安隐患 10  民政服务 9
#   消防安全 6  安全生产 6  食品安全 5  劳动保障 4  信访维稳 2  禁毒 1   (% of cases)
# Routes: ~80% settled in the village (1% of them after a failed verification); 11% escalated
# and dispatched by the town to the category's department; 4% sent back down to the village by
# the town (--to) and verified there; 1% returned by the town to the village; 2.5% escalated to
# the district and handled by its departments; 1% emergencies, straight to the district. Every
# closed case is verified, archived and evaluated. 4 cases of December 2017 stay open (accepted,
# in progress at year end), so the district ends with 10,984 reported, 10,980 closed.
# Each case's description starts with its replay month (回放 2016-01), so the district's
# replica can be counted by month and year. Driven in a pipeline of 25 batches: batch k reports
# month k and works month k-1's cases, each case's actions following it from node to node. Needs
# gn-drive (built by deploy/setup.sh) to be quick; with only gridctl it works, much slower.
set -euo pipefail
shopt -s lastpipe

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GN_BIN=${GN_BIN:-$ROOT/build/bin}
DIR=/tmp/gridnet-replay
REUSE=
KEEP=
JOBS=16
CASES=10984
SEED=2016
while [ $# -gt 0 ]; do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -j) JOBS=$2; shift 2 ;;
    --cases) [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -ge 240 ] || { echo "replay: --cases N (N >= 240)" >&2; exit 2; }
             CASES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    *) sed -n '6s/^# \{0,1\}/usage: /p' "$0" >&2; exit 2 ;;
  esac
done
export GN_BIN
# shellcheck source=deploy/drive-lib.sh
source "$ROOT/deploy/drive-lib.sh"
T0=$(now_ms)

echo "== replay: two years of Yangling, $CASES cases, through a live deployment in $DIR"
if [ -z "$REUSE" ]; then
  "$ROOT/deploy/gridnet-local" up --fresh --dir "$DIR"
else
  "$ROOT/deploy/gridnet-local" health --dir "$DIR" --wait 10
fi
T_UP=$(since "$T0")
T1=$(now_ms)
# CPU seconds the daemons of DIR have used (utime + stime of each, from /proc).
daemon_cpu() {
  local f pid sum=0 t
  for f in "$DIR"/*.pid; do
    pid=$(cat "$f" 2>/dev/null) || continue
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null) || continue
    sum=$((sum + ${t:-0}))
  done
  echo $((sum * 1000 / $(getconf CLK_TCK)))
}
CPU0=$(daemon_cpu)
D=$(awk '$1 == "district" { print $2 }' "$DIR/topology")
drive_init "$DIR" "$DIR/replay.$(date +%H%M%S)" "$JOBS"
W=$WORK
[ "$DRIVER" = gn-drive ] || echo "replay: $GN_BIN/gn-drive not built (bash deploy/setup.sh builds it); driving with gridctl, much slower" >&2

jq -r 'to_entries[] | select(.key | startswith("grid/")) | .value as $g | (.key | sub("^grid/"; ""))
       | [., ($g.village | tostring), ($g.town | tostring), ($g.households | tostring), $g.worker] | @tsv' \
  "$DIR/refdata.json" > "$W/grids.tsv"
jq -r 'to_entries[] | select(.key | startswith("category/")) | [(.key | sub("^category/"; "")), .value.department] | @tsv' \
  "$DIR/refdata.json" > "$W/categories.tsv"

# plan.tsv: month route village town grid category severity worker dept title rating
awk -F'\t' -v N="$CASES" -v seed="$SEED" -v OFS='\t' '
  FILENAME == ARGV[1] { ng++; GC[ng] = $1; GV[ng] = $2; GT[ng] = $3; GW[ng] = $5; cum += $4; CUM[ng] = cum; next }
  FILENAME == ARGV[2] { DEPT[$1] = $2; next }
  function pick_grid(   r, lo, hi, mid) {
    r = rand() * cum; lo = 1; hi = ng
    while (lo < hi) { mid = int((lo + hi) / 2); if (CUM[mid] < r) lo = mid + 1; else hi = mid }
    return lo
  }
  END {
    srand(seed)
    nc = split("环境卫生 市政设施 矛盾纠纷 治安隐患 民政服务 消防安全 安全生产 食品安全 劳动保障 信访维稳 禁毒", CAT, " ")
    split("24 18 15 10 9 6 6 5 4 2 1", SHARE, " ")
    split("生活垃圾堆积未及时清运 路灯夜间不亮 邻里纠纷需调解 小区监控探头损坏 困难家庭申请临时救助 楼道堆放杂物堵塞消防通道 建筑工地临边未设防护 无证流动摊贩售卖熟食 农民工工资被拖欠 群众反映征地补偿问题 出租屋疑似有人吸毒", TITLE, " ")
    disputes2 = int(837 * N / 10984 + 0.5)   # 矛盾纠纷 in the second year, as the seed for 2017
    for (m = 0; m < 24; m++) {
      n = int((m + 1) * N / 24) - int(m * N / 24)
      ym = sprintf("%d-%02d", 2016 + int(m / 12), m % 12 + 1)
      # category quotas for this month
      k = 0; used = 0
      for (c = 1; c <= nc; c++) {
        q = int(n * SHARE[c] / 100)
        if (CAT[c] == "矛盾纠纷" && m >= 12) q = int((m - 11) * disputes2 / 12) - int((m - 12) * disputes2 / 12)
        Q[c] = q; used += q
      }
      for (c = 1; used < n; c = c % 2 + 1) { if (CAT[c] != "矛盾纠纷") { Q[c]++; used++ } }
      for (c = 1; c <= nc; c++) for (j = 0; j < Q[c]; j++) C[++k] = c
      for (i = n; i > 1; i--) { j = int(rand() * i) + 1; t = C[i]; C[i] = C[j]; C[j] = t }
      for (i = 1; i <= n; i++) {
        c = C[i]; g = pick_grid(); x = rand()
        r = x < 0.010 ? "DE" : x < 0.035 ? "DD" : x < 0.145 ? "TD" : x < 0.185 ? "TV" : x < 0.195 ? "TR" : x < 0.205 ? "VR" : "V"
        if (m == 23 && i <= 4) r = "OPEN"
        if (r == "DE" && CAT[c] != "消防安全" && CAT[c] != "安全生产" && CAT[c] != "治安隐患") r = "DD"
        if (CAT[c] == "矛盾纠纷" && (r == "TD" || r == "DD" || r == "DE")) r = "V"   # disputes: mediated below
        sev = r == "DE" ? "emergency" : rand() < 0.05 ? "major" : "general"
        y = rand(); rating = y < 0.6 ? 5 : y < 0.88 ? 4 : y < 0.97 ? 3 : 2
        print ym, r, GV[g], GT[g], GC[g], CAT[c], sev, GW[g], DEPT[CAT[c]], TITLE[c], rating
      }
    }
  }' "$W/grids.tsv" "$W/categories.tsv" > "$W/plan.tsv"
echo "replay: plan of $(wc -l < "$W/plan.tsv") cases in $W/plan.tsv; routes: $(cut -f2 "$W/plan.tsv" | sort | uniq -c | awk '{ printf "%s %d  ", $2, $1 }')"

declare -A ID=()
total_cmds=0
# The lines of one month: its reports, and every case's life after its report, as one key per
# case: a case's actions run in order and follow it from node to node (the driver tries an
# action again until its case has reached the node), different cases run at once.
# plan fields: 1 month 2 route 3 village 4 town 5 grid 6 category 7 severity 8 worker 9 dept
#              10 title 11 rating; in m.tsv the plan's line number comes first.
report_lines() {
  awk -F'\t' -v OFS='\t' '{ print $1, $4, "report", "--grid", $6, "--category", $7, "--title", $11,
      "--description", "回放 " $2 "：" $11, "--severity", $8, "--channel", "terminal",
      "--reporter-kind", "grid_worker", "--reporter-id", $9, "--reporter-name", "网格员", "--actor", $9 }' "$1"
}
# act NODE COMMAND ARGS...: one line of case $i (of life_lines); close NODE: verify, archive,
# evaluate there.
act() { local node=$1; shift; local IFS=$'\t'; printf '%s\t%s\t%s\n' "$i" "$node" "$*"; }
close() { act "$1" verify "$id" --pass --actor "op-$1"; act "$1" archive "$id" --actor "op-$1"
          act "$1" evaluate "$id" --rating "$rating" --actor "op-$1"; }
life_lines() {
  local i ym_ r v t grid cat sev worker dept title rating id
  while IFS=$'\t' read -r i ym_ r v t grid cat sev worker dept title rating; do
    id=${ID[$i]:-}; [ -n "$id" ] || continue
    case $r in
      V|VR) act "$v" accept "$id" --actor "op-$v"
            act "$v" handle "$id" --note 已处置 --actor "$worker"
            if [ "$r" = VR ]; then
              act "$v" verify "$id" --fail --note 未整改到位 --actor "op-$v"
              act "$v" handle "$id" --note 二次处置 --actor "$worker"
            fi
            close "$v" ;;
      OPEN) act "$v" accept "$id" --actor "op-$v" ;;
      DE) act "$D" accept "$id" --actor "op-$D"
          act "$D" dispatch "$id" --assignee "$dept" --actor "op-$D"
          act "$D" handle "$id" --note 部门已处置 --actor "dh-$dept"
          close "$D" ;;
      TD|TV|TR|DD)
          act "$v" accept "$id" --actor "op-$v"
          act "$v" escalate "$id" --note "提请镇(街道)协调" --actor "op-$v"
          case $r in
            TD) act "$t" accept "$id" --actor "op-$t"
                act "$t" dispatch "$id" --assignee "$dept" --actor "op-$t"
                act "$t" handle "$id" --note 部门已处置 --actor "op-$t"
                close "$t" ;;
            TV) act "$t" accept "$id" --actor "op-$t"
                act "$t" dispatch "$id" --to "$v" --actor "op-$t"
                act "$v" handle "$id" --note 已处置 --actor "$worker"
                close "$t" ;;
            TR) act "$t" return "$id" --note 退回就地化解 --actor "op-$t"
                act "$v" handle "$id" --note 已处置 --actor "$worker"
                close "$v" ;;
            DD) act "$t" accept "$id" --actor "op-$t"
                act "$t" escalate "$id" --note 提请区级协调 --actor "op-$t"
                act "$D" accept "$id" --actor "op-$D"
                act "$D" dispatch "$id" --assignee "$dept" --actor "op-$D"
                act "$D" handle "$id" --note 部门已处置 --actor "dh-$dept"
                close "$D" ;;
          esac ;;
    esac
  done < "$1"
}
# A pipeline: batch k reports month k and works month k-1's cases through their whole life.
mapfile -t months < <(cut -f1 "$W/plan.tsv" | uniq)
for ((k = 0; k <= ${#months[@]}; k++)); do
  TM=$(now_ms)
  {
    if [ "$k" -lt "${#months[@]}" ]; then
      awk -F'\t' -v ym="${months[$k]}" '$1 == ym { print NR "\t" $0 }' "$W/plan.tsv" > "$W/m$k.tsv"
      report_lines "$W/m$k.tsv"
    fi
    [ "$k" -eq 0 ] || life_lines "$W/m$((k - 1)).tsv"
  } | run_batch "batch$k"
  total_cmds=$((total_cmds + BATCH_OK + BATCH_FAILED))
  while IFS=$'\t' read -r key rc out; do
    [ "$rc" = 0 ] && [[ $out != *" "* ]] && ID[$key]=$out
  done < "$W/batch$k.out"
  printf '  batch %2d: %-28s %4d commands (%6d in all)  (%s)\n' "$k" \
    "$([ "$k" -lt "${#months[@]}" ] && echo "report ${months[$k]}")$([ "$k" -gt 0 ] && [ "$k" -lt "${#months[@]}" ] && echo ", ")$([ "$k" -gt 0 ] && echo "work ${months[$((k - 1))]}")" \
    "$((BATCH_OK + BATCH_FAILED))" "$total_cmds" "$(since "$TM")"
done
T_DRIVE=$(since "$T1")
"$ROOT/deploy/gridnet-local" wait-sync --dir "$DIR" --wait 300
T_ALL_MS=$(( $(now_ms) - T1 ))
CPU_MS=$(( $(daemon_cpu) - CPU0 ))

# --------------------------------------------------------------------------------------------
"$G" -d "$DIR/$D" --timeout 60000 --json list --all --limit 5000 > "$W/district.json"
"$G" -d "$DIR/$D" --json ledger > "$W/ledger.json"
nfail=$(wc -l < "$W/failed")
echo
echo "== what the district (杨陵区 $D) holds, next to the seed"
jq -r --slurpfile ledger "$W/ledger.json" --argjson n "$CASES" '
  def closed: .status == "verified" or .status == "archived" or .status == "evaluated";
  def month: (.description // "") | capture("^回放 (?<m>[0-9]{4}-[0-9]{2})") | .m;
  def pct: . * 10000 | round / 100;
  def w: explode | map(if . > 4351 then 2 else 1 end) | add // 0;
  def pad($n): . + (" " * ([$n - w, 1] | max));
  def row($a; $b; $c): "  \($a | pad(38))\($b | pad(28))\($c)";
  [ .cases[] | select((.description // "") | startswith("回放 ")) ] as $c
  | ($c | map(select(closed)) | length) as $closed
  | ($c | map(select(month | startswith("2017")) | select(.category == "矛盾纠纷"))) as $d17
  | row("";                          "seed (to end of 2017)";  "district replica"),
    row("cases reported";            "10984";                  "\($c | length)"),
    row("cases closed";              "10980";                  "\($closed)"),
    row("closure rate";              "\(10980 / 10984 | pct)%"; "\($closed / ([$c | length, 1] | max) | pct)%"),
    row("still open";                "4";                      "\($c | map(select(closed | not)) | length)"),
    row("disputes (矛盾纠纷) in 2017"; "837, all mediated";     "\($d17 | length), \($d17 | map(select(closed)) | length) closed"),
    row("reported in 2016 / 2017";   "-";                      "\($c | map(select(month | startswith("2016"))) | length) / \($c | map(select(month | startswith("2017"))) | length)"),
    row("per month (min / avg / max)"; "~458";                 "\($c | group_by(month) | map(length) | "\(min) / \(add / length | round) / \(max)")"),
    row("closed at village/town/district"; "most at the lowest level"; "\($c | map(select(closed)) | group_by(.level) | map(length) | map(tostring) | reverse | join(" / "))"),
    row("rewards (5 yuan per quality report)"; "5 yuan; 300-500 major"; "\($ledger[0].total_fen / 100) yuan in \($ledger[0].entries | length) entries"),
    "",
    "  by category: " + ($c | group_by(.category) | sort_by(-length) | map("\(.[0].category) \(length)") | join(", "))
' "$W/district.json"
echo
echo "replay: up $T_UP; drive $T_DRIVE, until the district had everything $((T_ALL_MS / 1000)).$((T_ALL_MS % 1000 / 100)) s:" \
     "$total_cmds commands ($DRIVER, $JOBS threads), $((total_cmds * 1000 / (T_ALL_MS > 0 ? T_ALL_MS : 1))) per second;" \
     "the 82 daemons used $((CPU_MS / 1000)).$((CPU_MS % 1000 / 100)) CPU s ($((CPU_MS * 1000 / (total_cmds > 0 ? total_cmds : 1))) us per command); $nfail failed"
if [ -n "$KEEP" ]; then
  echo "The nodes are still running: $GN_BIN/gridctl -d $DIR/$D list --all; deploy/gridnet-local down --dir $DIR stops them."
else
  "$ROOT/deploy/gridnet-local" down --dir "$DIR" | tail -n 1
fi
[ "$nfail" -eq 0 ]
