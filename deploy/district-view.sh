#!/usr/bin/env bash
# deploy/district-view.sh -- what the district holds, from its own replica: cases by status, by
# town and by category, the overdue cases, the joint meetings, the rewards ledger, and the link
# health and lag of every node. Run by deploy/quickstart.sh at the end; any time after.
#
#   deploy/district-view.sh [--dir DIR] [--brief]      (--brief: no overdue/meeting/ledger details)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GN_BIN=${GN_BIN:-$ROOT/build/bin}
G=$GN_BIN/gridctl
DIR=/tmp/gridnet-local
BRIEF=
while [ $# -gt 0 ]; do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --brief) BRIEF=1; shift ;;
    *) sed -n '6s/^# \{0,1\}/usage: /p' "$0" >&2; exit 2 ;;
  esac
done
[ -f "$DIR/topology" ] || { echo "district-view: no deployment in $DIR" >&2; exit 1; }
D=$(awk '$1 == "district" { print $2 }' "$DIR/topology")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$G" -d "$DIR/$D" --timeout 30000 --json list --all --limit 2000 > "$tmp/cases.json"
awk -F, 'NR > 1 { printf "%s\t%s\n", $2, $4 }' "$ROOT/deploy/data/yangling/divisions.csv" |
  jq -R 'split("\t") | {(.[0]): .[1]}' | jq -s add > "$tmp/names.json"

# Tables in jq: display width counts a CJK character as two columns.
jq -r --slurpfile names "$tmp/names.json" --arg d "$D" '
  def w: explode | map(if . > 4351 then 2 else 1 end) | add // 0;
  def pad($n): tostring | . + (" " * ([$n - w, 0] | max));
  def lpad($n): tostring | (" " * ([$n - w, 0] | max)) + .;
  def closed: .status == "verified" or .status == "archived" or .status == "evaluated";
  def open: .status == "reported" or .status == "accepted" or .status == "dispatched" or .status == "handled";
  def town: (.origin | tostring) as $o
    | if $o == $d then "区级 (会议任务)" else ($o[0:9] + "000") as $t | $names[0][$t] // $t end;
  def row($k): [ ($k | pad(18)), (length | lpad(6)), (map(select(closed)) | length | lpad(7)),
                 (map(select(.status == "rejected")) | length | lpad(9)), (map(select(open)) | length | lpad(5)),
                 (map(select(.overdue)) | length | lpad(8)),
                 ((map(select(.rating)) | if length > 0 then (map(.rating) | add / length * 100 | round / 100) else "-" end) | lpad(7)) ]
               | join(" ");
  def header($k): [($k | pad(18)), ("cases" | lpad(6)), ("closed" | lpad(7)), ("rejected" | lpad(9)),
                   ("open" | lpad(5)), ("overdue" | lpad(8)), ("rating" | lpad(7))] | join(" ");
  (.cases // []) as $c
  | "cases held by the district: \($c | length)   closed (verified/archived/evaluated) \($c | map(select(closed)) | length), "
    + "rejected \($c | map(select(.status == "rejected")) | length), open \($c | map(select(open)) | length), "
    + "overdue \($c | map(select(.overdue)) | length) (\($c | map(select(.overdue and (.supervisions // 0) > 0)) | length) of them "
    + "supervised, \($c | map(select(.overdue) | .supervisions // 0) | add // 0) supervisions)",
    "closure rate: \(($c | map(select(closed)) | length) * 1000 / ([($c | length), 1] | max) | round / 10)% of all cases (rejected ones are not closed)",
    "",
    "by status:   " + ($c | group_by(.status) | map("\(.[0].status) \(length)") | join(", ")),
    "by severity: " + ($c | group_by(.severity) | map("\(.[0].severity) \(length)") | join(", ")),
    "by channel:  " + ($c | group_by(.channel) | map("\(.[0].channel) \(length)") | join(", ")),
    "by level where closed: " + ($c | map(select(closed)) | group_by(.level) | map("\(if .[0].level == 1 then "district" elif .[0].level == 2 then "town" else "village" end) \(length)") | join(", ")),
    "",
    header("by town"),
    ($c | group_by(town) | sort_by(-length) | .[] | row(.[0] | town)),
    "",
    header("by category"),
    ($c | group_by(.category) | sort_by(-length) | .[] | row(.[0].category))
' "$tmp/cases.json"

if [ -z "$BRIEF" ]; then
  echo
  echo "overdue cases (gridctl -d $DIR/$D list --overdue --all):"
  "$G" -d "$DIR/$D" list --overdue --all --limit 2000 | sed 's/^/  /'
  echo
  echo "joint meetings (gridctl -d $DIR/$D meeting list):"
  "$G" -d "$DIR/$D" meeting list | sed 's/^/  /'
  echo
  "$G" -d "$DIR/$D" --json ledger > "$tmp/ledger.json"
  jq -r '"rewards ledger (gridctl ledger): \(.entries | length) entries, total \(.total_fen / 100) yuan: "
         + (.entries | group_by(.rule) | map("\(.[0].rule) \(length) x \(.[0].fen / 100) yuan") | join(", "))' "$tmp/ledger.json"
fi
echo
echo "links and lag, every node (deploy/gridnet-local status; lag = ops not yet committed by the peer):"
"$ROOT/deploy/gridnet-local" health --dir "$DIR" | sed 's/^/  /' || true
"$ROOT/deploy/gridnet-local" status --dir "$DIR" | sed 's/^/  /'
