#!/usr/bin/env bash
# deploy/quickstart.sh -- the whole Yangling deployment on this machine, and a month of its work.
#
#   bash deploy/quickstart.sh [--cases N] [--seed S]
#
# 1. deploy/setup.sh: packages (Debian 12) and the build, in build/. With GN_BIN set, the
#    binaries there are used and only the packages are checked.
# 2. deploy/gridnet-local up --fresh: the district 杨陵区, its 5 towns and 76 villages, 82
#    daemons on 127.0.0.1, each with its own LMDB data directory in /tmp/gridnet-local; Yangling's
#    reference data (404 grids, their grid workers, operators, department handlers, categories,
#    deadlines, rewards) loaded into the district and synced down to every village.
# 3. deploy/month.sh: a compressed month (460 cases by default; rates, category mix and routes
#    are stated there), one progress line per phase.
# 4. deploy/district-view.sh: the district's view of it all, and every node's links and lag.
# The nodes keep running afterwards; the last line says how to explore and how to stop them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DIR=/tmp/gridnet-local
month_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --cases|--seed) [ $# -ge 2 ] || { echo "quickstart: $1 needs a value" >&2; exit 2; }
                    month_args+=("$1" "$2"); shift 2 ;;
    *) sed -n '4s/^# \{0,1\}/usage: /p' "$0" >&2; exit 2 ;;
  esac
done
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { local t=$(( $(now_ms) - $1 )); printf '%d.%01d s' $((t / 1000)) $((t % 1000 / 100)); }
T0=$(now_ms)

echo "== 1. packages and build"
if [ -n "${GN_BIN:-}" ]; then
  bash deploy/setup.sh --deps-only
  echo "setup: using the binaries in $GN_BIN (GN_BIN is set; not building)"
else
  bash deploy/setup.sh
  export GN_BIN=$ROOT/build/bin
fi
T_SETUP=$(secs "$T0")

echo
echo "== 2. the Yangling deployment: 1 district, 5 towns, 76 villages in $DIR"
T1=$(now_ms)
deploy/gridnet-local up --fresh --dir "$DIR"
T_UP=$(secs "$T1")
trap 'echo "quickstart: failed; the nodes are still running: deploy/gridnet-local status, deploy/gridnet-local down" >&2' ERR

echo
echo "== 3. a compressed month of Yangling's grid work (deploy/month.sh)"
T2=$(now_ms)
deploy/month.sh --dir "$DIR" "${month_args[@]}"
T_MONTH=$(secs "$T2")

echo
echo "== 4. the district's view (杨陵区 $(awk '$1 == "district" { print $2 }' "$DIR/topology"))"
deploy/district-view.sh --dir "$DIR"
echo
echo "quickstart: setup $T_SETUP, up $T_UP, month $T_MONTH, all $(secs "$T0")."
url=$(sed -n 's/^http *= *"\(.*\)"$/\1/p' "$DIR/610403000000/endpoints" 2>/dev/null || true)
[ -z "$url" ] || echo "The command center: $url/center (user op-610403000000, password in $DIR/password); a village's form: the http URL in $DIR/<code>/endpoints + /worker (user gw-<grid>)."
echo "The 82 nodes are still running. Explore: $GN_BIN/gridctl -d $DIR/610403000000 list --all (or status, show ID, meeting list, ledger; any node: -d $DIR/<code>); status of all: deploy/gridnet-local status; stop them all: deploy/gridnet-local down"
