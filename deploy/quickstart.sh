#!/usr/bin/env bash
# deploy/quickstart.sh -- build gridnet, start a small Yangling topology on this machine (district,
# 杨陵街道, 凤岗路社区, 姚安社区), report a few cases at the two villages as grid workers would, and
# follow them up to the district. The nodes keep running afterwards: stop them with
# `deploy/gridnet-local down`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
DIR=/tmp/gridnet-local
D=610403000000; T=610403001000; V1=610403001001; V3=610403001003
G=build/bin/gridctl

bash deploy/setup.sh
echo
echo "== starting the district, the town and two villages in $DIR"
GN_BIN=$root/build/bin deploy/gridnet-local up --fresh --dir "$DIR"
trap 'echo "quickstart: failed; the nodes may still be running: deploy/gridnet-local down" >&2' ERR

ids=()
#  report VILLAGE GRID CATEGORY TITLE [gridctl report options...]: report one case at VILLAGE.
report() {
  local v=$1 grid=$2 cat=$3 title=$4 id; shift 4
  id=$("$G" -d "$DIR/$v" report --grid "$grid" --category "$cat" --title "$title" "$@")
  ids+=("$id")
  printf '  %s  %-4s %s\n' "$id" "$cat" "$title"
}

echo
echo "== reporting cases at 凤岗路社区 ($V1) and 姚安社区 ($V3)"
report $V1 $V1-001 矛盾纠纷 "楼上住户夜间装修噪音扰民，邻里发生争执" \
  --description "3号楼住户反映楼上装修连续一周施工至夜间23时，双方多次争吵，请社区组织调解。" \
  --severity general --channel terminal --reporter-kind grid_worker --reporter-id gw-001001-01 \
  --reporter-name 网格员王敏 --address "凤岗路社区3号楼2单元" --lat 34.2731 --lon 108.0742 --actor gw-001001-01
report $V1 $V1-002 环境卫生 "小区北门生活垃圾堆积未及时清运" \
  --description "北门垃圾收集点已两天未清运，气味较大，居民通过微信反映。" \
  --severity general --channel wechat --reporter-kind citizen --reporter-name 居民李女士 \
  --address "凤岗路社区北门垃圾收集点" --lat 34.2745 --lon 108.0738 --actor gw-001001-01
report $V1 $V1-003 市政设施 "凤岗路与西农路交叉口路灯不亮" \
  --description "交叉口东北角两盏路灯夜间不亮，行人和电动车通行存在安全隐患。" \
  --severity general --channel patrol --reporter-kind grid_worker --reporter-id gw-001001-02 \
  --reporter-name 网格员赵磊 --address "凤岗路与西农路交叉口" --actor gw-001001-02
report $V3 $V3-001 治安隐患 "小区东门监控探头损坏，夜间有陌生人员出入" \
  --description "东门两个监控探头无画面，近一周夜间多次发现陌生人员进出，请尽快维修。" \
  --severity major --channel terminal --reporter-kind grid_worker --reporter-id gw-001003-01 \
  --reporter-name 网格员陈静 --address "姚安社区东门" --lat 34.2702 --lon 108.0811 --actor gw-001003-01
report $V3 $V3-002 矛盾纠纷 "临街餐馆油烟直排，与楼上居民产生纠纷" \
  --description "居民拨打热线反映一楼餐馆油烟未经净化直排，双方协商未果。" \
  --severity general --channel hotline --reporter-kind hotline --reporter-name 热线转办 \
  --address "姚安社区临街商铺" --actor gw-001003-01
report $V3 $V3-001 市政设施 "人行道窨井盖缺失，存在行人跌落隐患" \
  --description "小区东侧人行道一处窨井盖缺失，已临时摆放警示锥，需市政部门补装。" \
  --severity major --channel app --reporter-kind grid_worker --reporter-id gw-001003-01 \
  --reporter-name 网格员陈静 --address "姚安社区东侧人行道" --actor gw-001003-01

echo
echo "== waiting until every case is at the district (sync: village -> town -> district)"
at_district() {
  local id
  for id in "${ids[@]}"; do "$G" -d "$DIR/$D" show "$id" >/dev/null 2>&1 || return 1; done
}
t0=${EPOCHREALTIME/[.,]/}
limit=$((t0 + 30000000))
until at_district; do
  [ "${EPOCHREALTIME/[.,]/}" -lt "$limit" ] || { echo "quickstart: cases did not reach the district within 30 s" >&2; exit 1; }
  sleep 0.05
done
echo "  all ${#ids[@]} cases at the district after $(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 )) ms"

for n in "$V1 凤岗路社区 (village)" "$V3 姚安社区 (village)" "$T 杨陵街道 (town)" "$D 杨陵区 (district)"; do
  echo
  echo "== ${n#* }: gridctl -d $DIR/${n%% *} list"
  "$G" -d "$DIR/${n%% *}" list
done
echo
echo "== 杨陵区 (district): gridctl -d $DIR/$D show ${ids[3]}"
"$G" -d "$DIR/$D" show "${ids[3]}"
echo
echo "The nodes are still running: explore with build/bin/gridctl -d $DIR/$D list (or status, show ID); stop them with deploy/gridnet-local down"
