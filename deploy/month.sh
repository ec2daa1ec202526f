#!/usr/bin/env bash
# deploy/month.sh -- a compressed month of Yangling's grid work, driven through gridctl against a
# running deployment (deploy/gridnet-local up). Called by deploy/quickstart.sh; can run again on
# the same deployment (each run adds a month).
#
#   deploy/month.sh [--dir DIR] [--cases N] [--seed S] [-j JOBS]
#
# Rates. The seed: 10,984 cases reported in 24 months, i.e. ~458 a month; N defaults to 460.
# Each case falls in a grid chosen in proportion to its households (urban grids report more).
# Category mix (share of cases; 矛盾纠纷 ~15% matches the seed's 837 disputes in a year):
#   环境卫生 24  市政设施 18  矛盾纠纷 15  治安隐患 10  民政服务 9  消防安全 6  安全生产 6
#   食品安全 5  劳动保障 4  信访维稳 2  禁毒 1
# Severity: ~6% major; a few emergencies (fire, work safety, public order), which the village
# node sends straight to the district. Channels: grid worker terminal ~75%, patrol 6%, WeChat
# 民声快报 (citizens) 10%, hotline 6%, 三官一律 3%.
# Each phase is one batch of commands (deploy/drive-lib.sh); an action on a case that is on its
# way to the node (escalated, dispatched down, handed back) is tried again until it has arrived.
# Routes (who settles the case), as shares of N:
#   village  ~75%  accepted, handled by the grid worker, verified, archived, evaluated there;
#                  3% of N need rework (verify --fail, handled again); 2% rejected as duplicates
#   town     ~19%  escalated by the village: 11% dispatched to the category's department
#                  (--assignee), 6% dispatched down to the village (--to) and verified by the
#                  town, 2% returned to the village to settle itself (Fengqiao: not upward)
#   district ~3.5% escalated by the town, or emergencies: dispatched to departments, handled by
#                  their handlers; the 2 hardest go to a joint meeting with a task to a
#                  department and one to the town, worked, verified, then the cases close
#   overdue  6 cases of 劳动保障 left open (3 at villages, 3 at towns). For this month the district
#            sets 劳动保障/general deadlines to 0.002 h to accept / 0.004 h to handle (7 s / 14 s,
#            compressed), so the tick flags them; towns and the district supervise them; one of
#            each is then settled, the rest stay overdue. The deadline is restored at the end.
# Ratings: 5 (60%), 4 (28%), 3 (9%), 2 (3%).
set -euo pipefail
shopt -s lastpipe

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GN_BIN=${GN_BIN:-$ROOT/build/bin}
DIR=/tmp/gridnet-local
CASES=460
SEED=2017
JOBS=8
while [ $# -gt 0 ]; do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --cases) [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -ge 100 ] || { echo "month: --cases N (N >= 100)" >&2; exit 2; }
             CASES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    -j) JOBS=$2; shift 2 ;;
    *) sed -n '5,6s/^# \{0,1\}/usage: /p' "$0" >&2; exit 2 ;;
  esac
done
# shellcheck source=deploy/drive-lib.sh
source "$ROOT/deploy/drive-lib.sh"
[ -f "$DIR/refdata.json" ] && [ -f "$DIR/topology" ] || { echo "month: no deployment in $DIR (deploy/gridnet-local up)" >&2; exit 1; }
D=$(awk '$1 == "district" { print $2 }' "$DIR/topology")
RUN=$(date +%H%M%S)
drive_init "$DIR" "$DIR/month.$RUN" "$JOBS"
W=$WORK
T00=$(now_ms)
PH=0
phase() { PH=$((PH + 1)); printf '[%2d/10] %s: ' "$PH" "$1"; PHT=$(now_ms); }
done_phase() { printf '%s  (%s)\n' "$1" "$(since "$PHT")"; }

# --------------------------------------------------------------------------------------------
# The plan: one line per case, made from the grids of the reference data.
jq -r 'to_entries[] | select(.key | startswith("grid/")) | .value as $g | (.key | sub("^grid/"; "")) as $code
       | [$code, ($g.village | tostring), ($g.town | tostring), ($g.households | tostring), $g.worker] | @tsv' \
  "$DIR/refdata.json" > "$W/grids.tsv"
jq -r 'to_entries[] | select(.key | startswith("staff/gw-")) | [(.key | sub("^staff/"; "")), .value.name] | @tsv' \
  "$DIR/refdata.json" > "$W/workers.tsv"
jq -r 'to_entries[] | select(.key | startswith("category/")) | [(.key | sub("^category/"; "")), .value.department] | @tsv' \
  "$DIR/refdata.json" > "$W/categories.tsv"
awk -F, 'NR > 1 { print $2 "\t" $4 }' "$ROOT/deploy/data/yangling/divisions.csv" > "$W/names.tsv"

# plan.tsv: i route village town grid category severity channel rkind rid rname actor title desc address lat lon dept rating comment note
awk -F'\t' -v N="$CASES" -v seed="$SEED" -v OFS='\t' '
  FILENAME == ARGV[1] { ng++; GC[ng] = $1; GV[ng] = $2; GT[ng] = $3; GW[ng] = $5; cum += $4; CUM[ng] = cum; next }
  FILENAME == ARGV[2] { WN[$1] = $2; next }
  FILENAME == ARGV[3] { DEPT[$1] = $2; next }
  FILENAME == ARGV[4] { NAME[$1] = $2; next }
  function pick_grid(   r, lo, hi, mid) {
    r = rand() * cum; lo = 1; hi = ng
    while (lo < hi) { mid = int((lo + hi) / 2); if (CUM[mid] < r) lo = mid + 1; else hi = mid }
    return lo
  }
  function pick(list,   n, a, r, i, acc, p) {   # "name:weight name:weight ..."
    n = split(list, a, " "); r = rand() * 100; acc = 0
    for (i = 1; i <= n; i++) { split(a[i], p, ":"); acc += p[2]; if (r < acc) return p[1] }
    split(a[n], p, ":"); return p[1]
  }
  function one(list,   n, a) { n = split(list, a, "|"); return a[int(rand() * n) + 1] }
  BEGIN {
    srand(seed)
    MIX = "环境卫生:24 市政设施:18 矛盾纠纷:15 治安隐患:10 民政服务:9 消防安全:6 安全生产:6 食品安全:5 劳动保障:4 信访维稳:2 禁毒:1"
    T["环境卫生"] = "生活垃圾堆积未及时清运|河道漂浮垃圾影响环境|田间焚烧秸秆烟雾较大|养殖户粪污外溢至村道|建筑垃圾随意倾倒|小区绿化带杂草丛生蚊虫多"
    T["市政设施"] = "路灯夜间不亮|人行道窨井盖缺失|道路坑洼雨后积水严重|自来水管道破裂漏水|公交站亭玻璃破损|排水沟堵塞雨水倒灌"
    T["矛盾纠纷"] = "邻里因宅基地边界发生争执|楼上漏水引发邻里纠纷|子女赡养老人发生家庭纠纷|土地流转租金结算纠纷|装修噪音扰民引发争吵|相邻果园灌溉用水纠纷"
    T["治安隐患"] = "小区监控探头损坏|夜间有可疑人员在楼道徘徊|出租屋流动人口登记不全|村口路段缺少警示标志|废品收购站收购来历不明电缆"
    T["民政服务"] = "独居老人生活需要帮扶|困难家庭申请临时救助|残疾人两项补贴未按时到位|留守儿童无人照看|低保政策咨询"
    T["消防安全"] = "楼道堆放杂物堵塞消防通道|电动车在楼道内飞线充电|消防栓损坏无水|沿街门店住人存在隐患|村民院内堆放大量柴草"
    T["安全生产"] = "建筑工地临边未设防护|小作坊违规储存液化气瓶|农家乐燃气管道老化|企业特种设备无检验标志"
    T["食品安全"] = "无证流动摊贩售卖熟食|小餐馆后厨卫生条件差|学校周边售卖三无食品|农贸市场销售病死禽肉疑点"
    T["劳动保障"] = "农民工工资被拖欠|用工单位未签订劳动合同|务工人员工伤待遇纠纷|企业未按规定缴纳社保"
    T["信访维稳"] = "群众反映征地补偿款发放问题|拆迁安置房交付延期引发不满|多名村民反映村务公开不及时"
    T["禁毒"] = "出租屋内疑似有人吸食毒品|田间发现疑似罂粟植株"
    F["环境卫生"] = "已协调保洁员清运，现场清理完毕"; F["市政设施"] = "已报修，维修人员到场修复"
    F["矛盾纠纷"] = "网格员会同调解员上门调解，双方达成一致"; F["治安隐患"] = "已联系社区民警处置，隐患消除"
    F["民政服务"] = "已上门走访，按政策落实帮扶"; F["消防安全"] = "已督促清理整改，通道畅通"
    F["安全生产"] = "已责令整改，复查合格"; F["食品安全"] = "已劝离并登记，移交市场监管跟进"
    F["劳动保障"] = "已协调用工方，工资已结清"; F["信访维稳"] = "已做好解释疏导，群众情绪稳定"; F["禁毒"] = "已报告禁毒专干，民警核查处置"
    COMMENT[5] = "处理及时，群众满意"; COMMENT[4] = "处理较好，基本满意"; COMMENT[3] = "处理偏慢"; COMMENT[2] = "群众不太满意，需回访"
    SUR = "王|李|张|刘|陈|杨|赵|周|吴|孙"
  }
  END {
    # route counts
    nDE = int(N / 150); if (nDE < 2) nDE = 2
    nDM = 2; nVO = 3; nTO = 3
    nDD = int(N * 0.025 + 0.5); nTD = int(N * 0.11 + 0.5); nTV = int(N * 0.06 + 0.5); nTR = int(N * 0.02 + 0.5)
    nVR = int(N * 0.03 + 0.5); nVD = int(N * 0.02 + 0.5)
    nV = N - nDE - nDM - nVO - nTO - nDD - nTD - nTV - nTR - nVR - nVD
    k = 0
    for (i = 0; i < nV; i++) R[++k] = "V";   for (i = 0; i < nVR; i++) R[++k] = "VR"; for (i = 0; i < nVD; i++) R[++k] = "VD"
    for (i = 0; i < nTD; i++) R[++k] = "TD"; for (i = 0; i < nTV; i++) R[++k] = "TV"; for (i = 0; i < nTR; i++) R[++k] = "TR"
    for (i = 0; i < nDD; i++) R[++k] = "DD"; for (i = 0; i < nDE; i++) R[++k] = "DE"; for (i = 0; i < nDM; i++) R[++k] = "DM"
    for (i = 0; i < nVO; i++) R[++k] = "VO"; for (i = 0; i < nTO; i++) R[++k] = "TO"
    for (i = N; i > 1; i--) { j = int(rand() * i) + 1; t = R[i]; R[i] = R[j]; R[j] = t }
    dm = 0
    for (i = 1; i <= N; i++) {
      r = R[i]; g = pick_grid(); sev = "general"
      if (r == "VO" || r == "TO") cat = "劳动保障"
      else if (r == "DE") { cat = one("消防安全|安全生产|治安隐患"); sev = "emergency" }
      else if (r == "DM") cat = (dm++ == 0 ? "信访维稳" : "环境卫生")
      else { cat = pick(MIX); if (r == "VD" && cat == "劳动保障") cat = "环境卫生" }
      if (sev == "general" && (r == "DM" || rand() < 0.06) && r != "VO" && r != "TO") sev = "major"
      title = one(T[cat])
      if (r == "DM" && cat == "信访维稳") title = "多个村民小组集体反映征地补偿款未足额发放"
      if (r == "DM" && cat == "环境卫生") title = "养殖场粪污直排渭河支流，沿线多村群众反映强烈"
      if (r == "DE" && cat == "消防安全") title = "村民自建房起火，已拨打119"
      if (r == "DE" && cat == "安全生产") title = "在建厂房脚手架局部坍塌，有人员被困"
      if (r == "DE" && cat == "治安隐患") title = "集市发生聚集斗殴，有人受伤"
      ch = pick("terminal:75 patrol:6 wechat:10 hotline:6 sanguan:3")
      if (r == "DE") ch = "terminal"
      worker = GW[g]; vil = GV[g]
      if (ch == "terminal" || ch == "patrol") { rk = "grid_worker"; rid = worker; rn = "网格员" WN[worker]; actor = worker }
      else if (ch == "wechat") { rk = "citizen"; rid = "-"; rn = "居民" one(SUR) (rand() < 0.5 ? "先生" : "女士"); actor = "op-" vil }
      else if (ch == "hotline") { rk = "hotline"; rid = "-"; rn = "12345热线转办"; actor = "op-" vil }
      else { rk = "department"; rid = "-"; rn = "三官一律驻村民警"; actor = worker }
      desc = rn "反映：" NAME[vil] "网格" substr(GC[g], 14) "，" title "。"
      addr = NAME[vil] sprintf("%d组", int(rand() * 12) + 1)
      lat = sprintf("%.5f", 34.24 + rand() * 0.08); lon = sprintf("%.5f", 107.98 + rand() * 0.16)
      x = rand(); rating = x < 0.60 ? 5 : x < 0.88 ? 4 : x < 0.97 ? 3 : 2
      print i, r, vil, GT[g], GC[g], cat, sev, ch, rk, rid, rn, actor, title, desc, addr, lat, lon, DEPT[cat], rating, COMMENT[rating], F[cat]
    }
  }' "$W/grids.tsv" "$W/workers.tsv" "$W/categories.tsv" "$W/names.tsv" > "$W/plan.tsv"

# Case ids by plan index, filled from the report batch.
declare -A ID=()
load_ids() { while IFS=$'\t' read -r key rc out; do [ "$rc" != 0 ] || ID[$key]=$out; done < "$W/report.out"; }
# plan fields: 1 i 2 route 3 village 4 town 5 grid 6 cat 7 sev 8 ch 9 rk 10 rid 11 rn 12 actor 13 title
#              14 desc 15 addr 16 lat 17 lon 18 dept 19 rating 20 comment 21 feedback
routes() { awk -F'\t' -v want=" $* " 'index(want, " " $2 " ")' "$W/plan.tsv"; }
count() { routes "$@" | wc -l; }

echo "month: $CASES cases (seed $SEED), $JOBS parallel drivers ($DRIVER), work files in $W"

# --------------------------------------------------------------------------------------------
phase "district sets deadlines"
LABOUR_OLD=$("$G" -d "$DIR/$D" ref get 'deadline/劳动保障/general' | jq -c '."deadline/劳动保障/general" // null')
[ "$LABOUR_OLD" != null ] || LABOUR_OLD='{"accept_h": 24, "handle_days": 5, "working_days": true}'
"$G" -d "$DIR/$D" ref set 'deadline/劳动保障/general' '{"accept_h": 0.002, "handle_h": 0.004, "note": "compressed month: 7.2 s / 14.4 s"}' \
  --actor "op-$D" >/dev/null
# Reference data goes down in feed order: once every feed is committed everywhere, every village has it.
"$ROOT/deploy/gridnet-local" wait-sync --dir "$DIR" --wait 60 >/dev/null || { echo "month: the new deadline did not reach every node" >&2; exit 1; }
done_phase "劳动保障/general: 0.002 h to accept, 0.004 h to handle; at all $(awk '$1 == "village"' "$DIR/topology" | wc -l) villages"

# --------------------------------------------------------------------------------------------
phase "grid workers report"
awk -F'\t' -v OFS='\t' '{
  line = $1 OFS $3 OFS "report" OFS "--grid" OFS $5 OFS "--category" OFS $6 OFS "--title" OFS $13 \
    OFS "--description" OFS $14 OFS "--severity" OFS $7 OFS "--channel" OFS $8 OFS "--reporter-kind" OFS $9 \
    OFS "--reporter-name" OFS $11 OFS "--address" OFS $15 OFS "--lat" OFS $16 OFS "--lon" OFS $17 OFS "--actor" OFS $12
  if ($10 != "-") line = line OFS "--reporter-id" OFS $10
  print line }' "$W/plan.tsv" | run_batch report
load_ids
done_phase "$BATCH_OK reported at $(cut -f3 "$W/plan.tsv" | sort -u | wc -l) villages: $(awk -F'\t' '{ n[$8]++ } END { printf "terminal %d, patrol %d, WeChat %d, hotline %d, 三官一律 %d", n["terminal"], n["patrol"], n["wechat"], n["hotline"], n["sanguan"] }' "$W/plan.tsv"); $(count DE) emergencies straight to the district"

# Duplicates: the original is an earlier case of the same village that the village closes.
declare -A DUP=()
while IFS=$'\t' read -r i r v rest; do
  if [ "$r" = VD ]; then
    orig=$(awk -F'\t' -v v="$v" -v i="$i" '$3 == v && $2 == "V" && $1 != i { print $1; exit }' "$W/plan.tsv")
    [ -n "$orig" ] && DUP[$i]=${ID[$orig]:-}
  fi
done < "$W/plan.tsv"

# --------------------------------------------------------------------------------------------
phase "villages work their cases"
{
  while IFS=$'\t' read -r i r v t grid cat sev ch rk rid rn actor title desc addr lat lon dept rating comment feedback; do
    id=${ID[$i]:-}; [ -n "$id" ] || continue
    op=op-$v
    case $r in
      V|VR)
        printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$op"
        printf '%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$feedback" "gw-$grid"
        if [ "$r" = VR ]; then
          printf '%s\t%s\tverify\t%s\t--fail\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "复查未整改到位，退回重办" "$op"
          printf '%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "二次处置：$feedback" "gw-$grid"
        fi
        printf '%s\t%s\tverify\t%s\t--pass\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "现场核查属实，已办结" "$op"
        printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$op"
        printf '%s\t%s\tevaluate\t%s\t--rating\t%s\t--comment\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$rating" "$comment" "$op" ;;
      VD)
        if [ -n "${DUP[$i]:-}" ]; then
          printf '%s\t%s\treject\t%s\t--note\t%s\t--duplicate-of\t%s\t--actor\t%s\n' "$i" "$v" "$id" "与${DUP[$i]}为同一事件，重复上报" "${DUP[$i]}" "$op"
        else
          printf '%s\t%s\treject\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "核实不属实" "$op"
        fi ;;
      VO)  # left: the first accepted and not handled, the others not even accepted
        [ -n "${vo_seen:-}" ] || printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$op"
        vo_seen=1 ;;
      TD|TV|TR|TO|DD|DM)
        printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$op"
        printf '%s\t%s\tescalate\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "超出村(社区)处置能力，提请镇(街道)协调" "$op" ;;
    esac
  done < "$W/plan.tsv"
} | run_batch village
done_phase "$BATCH_OK commands: closed $(count V VR) ($(count VR) after rework), rejected $(count VD) duplicates, escalated $(count TD TV TR TO DD DM) to towns, left $(count VO) open"

# --------------------------------------------------------------------------------------------
phase "towns triage escalations"
{
  while IFS=$'\t' read -r i r v t grid cat sev ch rk rid rn actor title desc addr lat lon dept rating comment feedback; do
    id=${ID[$i]:-}; [ -n "$id" ] || continue; op=op-$t
    case $r in
      TD)
        printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$op"
        printf '%s\t%s\tdispatch\t%s\t--assignee\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$dept" "转区职能部门办理" "$op"
        printf '%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" "部门反馈（$dept）：$feedback" "$op"
        printf '%s\t%s\tverify\t%s\t--pass\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" "镇(街道)复核通过" "$op"
        printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$op"
        printf '%s\t%s\tevaluate\t%s\t--rating\t%s\t--comment\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$rating" "$comment" "$op" ;;
      TV)
        printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$op"
        printf '%s\t%s\tdispatch\t%s\t--to\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$v" "请村(社区)牵头处置，镇(街道)跟踪核查" "$op" ;;
      TR)
        printf '%s\t%s\treturn\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" "属村(社区)自治事项，退回就地化解" "$op" ;;
      TO)
        printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$op" ;;
      DD|DM)
        printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$t" "$id" "$op"
        printf '%s\t%s\tescalate\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" "涉及多部门，提请区级协调" "$op" ;;
    esac
  done < <(routes TD TV TR TO DD DM)
} | run_batch town
done_phase "$BATCH_OK commands: $(count TD) to departments and closed, $(count TV) down to villages, $(count TR) returned, $(count DD DM) escalated to the district, $(count TO) left"

# --------------------------------------------------------------------------------------------
phase "villages work what came down"
{
  while IFS=$'\t' read -r i r v t grid cat sev ch rk rid rn actor title desc addr lat lon dept rating comment feedback; do
    id=${ID[$i]:-}; [ -n "$id" ] || continue; op=op-$v
    printf '%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$feedback" "gw-$grid"
    if [ "$r" = TR ]; then
      printf '%s\t%s\tverify\t%s\t--pass\t--actor\t%s\n' "$i" "$v" "$id" "$op"
      printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$op"
      printf '%s\t%s\tevaluate\t%s\t--rating\t%s\t--comment\t%s\t--actor\t%s\n' "$i" "$v" "$id" "$rating" "$comment" "$op"
    fi
  done < <(routes TV TR)
} | run_batch village2
done_phase "$BATCH_OK commands: $(count TV) handled and sent back up for the town to verify, $(count TR) returned ones closed"

# --------------------------------------------------------------------------------------------
phase "district: departments"
{
  while IFS=$'\t' read -r i r v t grid cat sev ch rk rid rn actor title desc addr lat lon dept rating comment feedback; do
    id=${ID[$i]:-}; [ -n "$id" ] || continue; op=op-$D
    printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$D" "$id" "$op"
    [ "$r" != DM ] || continue
    printf '%s\t%s\tdispatch\t%s\t--assignee\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$D" "$id" "$dept" "区中心派遣，限时办理" "$op"
    printf '%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$D" "$id" "$feedback" "dh-$dept"
    printf '%s\t%s\tverify\t%s\t--pass\t--actor\t%s\n' "$i" "$D" "$id" "$op"
    printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$D" "$id" "$op"
    printf '%s\t%s\tevaluate\t%s\t--rating\t%s\t--comment\t%s\t--actor\t%s\n' "$i" "$D" "$id" "$rating" "$comment" "$op"
  done < <(routes DE DD DM)
} | run_batch district
done_phase "$BATCH_OK commands: $(count DE DD) dispatched to departments, handled by their handlers, closed; $(count DM) held for the joint meeting"

# --------------------------------------------------------------------------------------------
phase "joint meeting (联席会议)"
mapfile -t HARD < <(routes DM | cut -f1)
args=()
for i in "${HARD[@]}"; do args+=(--case "${ID[$i]}"); done
MID=$("$G" -d "$DIR/$D" meeting create --title "区级联席会议：征地补偿与养殖污染" --date "$(date +%F)" \
      --chair 区委政法委副书记 --attend 区信访局 --attend 区生态环境分局 --attend 区住建和城市管理局 \
      --attend 区司法局 --attend "相关镇(街道)" "${args[@]}" --actor "op-$D")
ntask=0
: > "$W/tasks.tsv"
for i in "${HARD[@]}"; do
  IFS=$'\t' read -r _ r v t grid cat rest < <(awk -F'\t' -v i="$i" '$1 == i' "$W/plan.tsv")
  dept=$(awk -F'\t' -v c="$cat" '$1 == c { print $2 }' "$W/categories.tsv")
  if [ "$cat" = 信访维稳 ]; then
    text="由区信访局牵头核实补偿款发放明细，镇(街道)逐户入户解释、兑付到位"
    t1="dept=$dept,due-in=72,title=核实征地补偿款发放明细并公示"; t2="to=$t,due-in=48,title=逐户入户解释并兑付补偿款"
  else
    text="由区生态环境分局立案查处，镇(街道)督促养殖场建设粪污处理设施"
    t1="dept=$dept,due-in=72,title=现场取证并依法查处直排行为"; t2="to=$t,due-in=48,title=督促养殖场建设粪污储存处理设施"
  fi
  "$G" -d "$DIR/$D" meeting resolve "$MID" --case "${ID[$i]}" --text "$text" --task "$t1" --task "$t2" --actor "op-$D" > "$W/resolve.$i"
  mapfile -t tk < "$W/resolve.$i"
  printf '%s\t%s\t%s\t%s\n' "${tk[0]}" dept "$dept" "$i" >> "$W/tasks.tsv"
  printf '%s\t%s\t%s\t%s\n' "${tk[1]}" town "$t" "$i" >> "$W/tasks.tsv"
  ntask=$((ntask + 2))
done
# Tasks: the departments' at the district, the towns' once they have them.
{
  while IFS=$'\t' read -r tid kind who i; do
    if [ "$kind" = dept ]; then
      printf 't%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$D" "$tid" "已按会议决定完成，材料已报区中心" "dh-$who"
      printf 't%s\t%s\tverify\t%s\t--pass\t--actor\t%s\n' "$i" "$D" "$tid" "op-$D"
    else
      printf 't%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$who" "$tid" "已按会议决定完成，逐户签字确认" "op-$who"
    fi
  done < "$W/tasks.tsv"
} | run_batch tasks
{
  while IFS=$'\t' read -r tid kind who i; do
    [ "$kind" = town ] && printf 't%s\t%s\tverify\t%s\t--pass\t--note\t%s\t--actor\t%s\n' "$i" "$D" "$tid" "区中心核查通过" "op-$D"
    printf 't%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$D" "$tid" "op-$D"
    printf 't%s\t%s\tevaluate\t%s\t--rating\t5\t--actor\t%s\n' "$i" "$D" "$tid" "op-$D"
  done < "$W/tasks.tsv"
} | run_batch tasks-close
# With every task verified, the node marks the hard case handled; the district verifies it.
{
  for i in "${HARD[@]}"; do
    id=${ID[$i]:-}; [ -n "$id" ] || continue
    printf '%s\t%s\tverify\t%s\t--pass\t--note\t%s\t--actor\t%s\n' "$i" "$D" "$id" "联席会议交办事项全部办结，区中心核查通过" "op-$D"
    printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$D" "$id" "op-$D"
    printf '%s\t%s\tevaluate\t%s\t--rating\t4\t--comment\t%s\t--actor\t%s\n' "$i" "$D" "$id" "多部门联动解决，群众认可" "op-$D"
  done
} | run_batch meeting-close
done_phase "$MID on ${#HARD[@]} cases, $ntask tasks (department + town each), done, verified; cases closed"

# --------------------------------------------------------------------------------------------
phase "towns verify what villages did"
{
  while IFS=$'\t' read -r i r v t grid cat sev ch rk rid rn actor title desc addr lat lon dept rating comment feedback; do
    op=op-$t
    printf '%s\t%s\tverify\t%s\t--pass\t--note\t%s\t--actor\t%s\n' "$i" "$t" "${ID[$i]}" "镇(街道)核查通过" "$op"
    printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$t" "${ID[$i]}" "$op"
    printf '%s\t%s\tevaluate\t%s\t--rating\t%s\t--comment\t%s\t--actor\t%s\n' "$i" "$t" "${ID[$i]}" "$rating" "$comment" "$op"
  done < <(routes TV)
} | run_batch town2
done_phase "$BATCH_OK commands: $(count TV) verified, archived, evaluated"

# --------------------------------------------------------------------------------------------
phase "overdue and supervision"
awk -F'\t' '$2 == "VO" || $2 == "TO" { print $1 }' "$W/plan.tsv" > "$W/late.idx"
late_ids() { while read -r i; do echo "${ID[$i]}"; done < "$W/late.idx"; }
nlate=$(wc -l < "$W/late.idx")
limit=$(( $(now_ms) + 120000 ))
while :; do   # the tick flags them once 7 s (reported) / 14 s (accepted) have passed
  flagged=$("$G" -d "$DIR/$D" --json list --overdue --all --limit 1000 | jq -r '.cases[]?.id' | grep -cxFf <(late_ids) || true)
  [ "$flagged" -lt "$nlate" ] || break
  [ "$(now_ms)" -lt "$limit" ] || { echo "    ! only $flagged of $nlate flagged overdue after 120 s" >&2; break; }
  sleep 1
done
{
  while IFS=$'\t' read -r i r v t grid cat sev ch rk rid rn actor title desc addr lat lon dept rating comment feedback; do
    id=${ID[$i]:-}; [ -n "$id" ] || continue
    if [ "$r" = VO ]; then
      printf '%s\t%s\tsupervise\t%s\t--note\t%s\t--urgency\t1\t--actor\t%s\n' "$i" "$t" "$id" "欠薪问题请村(社区)当日受理，三日内办结" "op-$t"
    fi
    printf '%s\t%s\tsupervise\t%s\t--note\t%s\t--due-in\t72\t--urgency\t2\t--actor\t%s\n' "$i" "$D" "$id" "区委督查室督办：限期办结并报结果" "sv-$D"
  done < <(routes VO TO)
} | run_batch supervise
nsup=$BATCH_OK
# After supervision, one at a village and one at a town are settled; the rest stay overdue.
vo=$(routes VO | head -n 1); to=$(routes TO | head -n 1)
{
  IFS=$'\t' read -r i r v t grid rest <<<"$vo"; id=${ID[$i]}
  st=$("$G" -d "$DIR/$v" --json show "$id" | jq -r .state.status)
  [ "$st" != reported ] || printf '%s\t%s\taccept\t%s\t--actor\t%s\n' "$i" "$v" "$id" "op-$v"
  printf '%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$v" "$id" "督办后已协调用工方结清工资" "gw-$grid"
  printf '%s\t%s\tverify\t%s\t--pass\t--actor\t%s\n' "$i" "$v" "$id" "op-$v"
  printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$v" "$id" "op-$v"
  printf '%s\t%s\tevaluate\t%s\t--rating\t3\t--comment\t%s\t--actor\t%s\n' "$i" "$v" "$id" "督办后办结，时效偏慢" "op-$v"
  IFS=$'\t' read -r i r v t grid rest <<<"$to"; id=${ID[$i]}
  printf '%s\t%s\tdispatch\t%s\t--assignee\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" hrss "督办件，转区人社局劳动监察" "op-$t"
  printf '%s\t%s\thandle\t%s\t--note\t%s\t--actor\t%s\n' "$i" "$t" "$id" "区人社局劳动监察大队已责令支付，工资到账" "op-$t"
  printf '%s\t%s\tverify\t%s\t--pass\t--actor\t%s\n' "$i" "$t" "$id" "op-$t"
  printf '%s\t%s\tarchive\t%s\t--actor\t%s\n' "$i" "$t" "$id" "op-$t"
  printf '%s\t%s\tevaluate\t%s\t--rating\t3\t--comment\t%s\t--actor\t%s\n' "$i" "$t" "$id" "督办后办结" "op-$t"
} | run_batch settle-late
done_phase "$flagged flagged overdue by the tick, $nsup supervisions (towns + 督查室), 2 settled after supervision, $((nlate - 2)) still overdue"

# --------------------------------------------------------------------------------------------
phase "month end"
"$G" -d "$DIR/$D" ref set 'deadline/劳动保障/general' "$LABOUR_OLD" --actor "op-$D" >/dev/null
sync_line=$("$ROOT/deploy/gridnet-local" wait-sync --dir "$DIR" --wait 120) || true
nfail=$(wc -l < "$W/failed")
done_phase "劳动保障 deadline restored; $sync_line"
echo "month: done in $(since "$T00"): $(cat "$W"/*.out | wc -l) commands, $nfail failed$([ "$nfail" -eq 0 ] || echo " (see $W/failed)")"
[ "$nfail" -eq 0 ]
