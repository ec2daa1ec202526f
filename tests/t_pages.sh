#!/usr/bin/env bash
# t_pages: the pages people look at, in a real browser: headless Chromium (Debian's chromium,
# driven by playwright-core from tests/browser) against a district, a town and a village serving
# their pages on the HTTP front, with Yangling's reference data and staff who have passwords.
# tests/browser/pages.test.mjs does the browser's part (its header lists the steps): a wrong login
# refused; the district's command center; a grid worker's report through the village's form, shown
# live at the district without a reload; the case escalated and put on a joint meeting, shown on
# the meeting list with its late task; the case page's history; screenshots of both pages at
# 1920x1080 and 390x844 into $GN_SCREENSHOTS (default build/screenshots). Then, with both pages
# still open on their live streams, SIGTERM stops every node cleanly (exit 0, no hang), and the
# pages see their streams end.
# Needs node, tests/browser/node_modules (npm ci) and /usr/bin/chromium: bash deploy/setup.sh.
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

BROWSER=$GN_TESTS/browser
command -v node >/dev/null ||
  fail "node is not installed: run bash deploy/setup.sh (it installs nodejs, chromium and the test's packages)"
[ -x /usr/bin/chromium ] ||
  fail "/usr/bin/chromium is not installed: run bash deploy/setup.sh (it installs chromium and fonts-wqy-microhei)"
[ -f "$BROWSER/node_modules/playwright-core/package.json" ] ||
  fail "$BROWSER/node_modules is missing: run bash deploy/setup.sh (npm ci --prefix tests/browser)"
command -v jq >/dev/null || fail "jq is needed (bash deploy/setup.sh installs it)"
SHOTS=${GN_SCREENSHOTS:-$GN_BIN/../screenshots}
mkdir -p "$SHOTS"
SHOTS=$(cd "$SHOTS" && pwd)
rm -f "$SHOTS"/center-*.png "$SHOTS"/worker-*.png "$SHOTS"/case-*.png

HTTP=(-s http/bind=127.0.0.1:0)
gn_start district $D "${HTTP[@]}"
gn_start town $T $D "${HTTP[@]}"
gn_start village $V1 $T "${HTTP[@]}"
for n in $D $T $V1; do
  [[ $(gn_endpoint "$GN_TMP/$n" http) =~ ^http://127\.0\.0\.1:[0-9]+$ ]] ||
    fail "$n: no http endpoint in its endpoints file: $(cat "$GN_TMP/$n/endpoints")"
done
ok "district, town and village up, each serving its pages on 127.0.0.1"

# Yangling's reference data (divisions, grids, staff), every staff member with one password.
PASSWORD=pages-$RANDOM-$RANDOM
hash=$(GRIDNET_PASSWORD=$PASSWORD "$GRIDCTL" hash-password)
GN_STAFF_PASSWORD_HASH=$hash "$GN_TESTS/../deploy/yangling-refdata" "$GN_TMP/ref.json"
out=$(gn_ctl $D --timeout 30000 ref load "$GN_TMP/ref.json") || fail "ref load failed: $out"
digest=$(jq -r '."deploy/refdata".digest' "$GN_TMP/ref.json")
has_ref() { [ "$(gn_ctl "$1" --json ref get deploy/refdata 2>/dev/null | jq -r '."deploy/refdata".digest')" = "$digest" ]; }
wait_until 30 "has_ref $T && has_ref $V1"
ok "reference data with divisions, grids and staff ($out) at every node"

jq -n --arg gridctl "$GRIDCTL" --arg password "$PASSWORD" --arg shots "$SHOTS" --arg tmp "$GN_TMP" \
      --arg scale "$GN_SCALE" --arg worker "gw-$V1-001" --arg grid "$V1-001" \
      --arg d $D --arg du "$(gn_endpoint "$GN_TMP/$D" http)" --arg dd "$GN_TMP/$D" \
      --arg t $T --arg tu "$(gn_endpoint "$GN_TMP/$T" http)" --arg td "$GN_TMP/$T" \
      --arg v $V1 --arg vu "$(gn_endpoint "$GN_TMP/$V1" http)" --arg vd "$GN_TMP/$V1" '
  {gridctl: $gridctl, password: $password, shots: $shots, tmp: $tmp, scale: $scale,
   worker: $worker, worker_grid: $grid,
   district: {code: $d, url: $du, dir: $dd}, town: {code: $t, url: $tu, dir: $td},
   village: {code: $v, url: $vu, dir: $vd}}' > "$GN_TMP/pages.json"

# The browser's part, in the background: it writes stage-stop when the nodes are to be stopped
# with its pages open, and waits for stopped.
node "$BROWSER/pages.test.mjs" "$GN_TMP/pages.json" > "$GN_TMP/browser.log" 2>&1 &
browser=$!
GN_BG+=("$browser")
_gn_poll 90 "[ -f '$GN_TMP/stage-stop' ] || ! _gn_alive $browser" || true
if [ ! -f "$GN_TMP/stage-stop" ]; then
  rc=0; wait "$browser" || rc=$?
  cat "$GN_TMP/browser.log" >&2
  fail "the browser test ended (exit $rc) before its last step"
fi
# Every "ok" of the browser so far counts here too.
while read -r line; do ok "browser: ${line#ok [0-9]* - }"; done < <(grep '^ok ' "$GN_TMP/browser.log")
n0=$(grep -c '^ok ' "$GN_TMP/browser.log")

# SIGTERM with the pages' live streams open: every node exits 0 in time (gn_stop checks both).
for n in $V1 $T $D; do gn_stop "$n"; done
touch "$GN_TMP/stopped"
rc=0; wait "$browser" || rc=$?
[ "$rc" -eq 0 ] || { cat "$GN_TMP/browser.log" >&2; fail "the browser test failed after the stop (exit $rc)"; }
tail -n +"$((n0 + 1))" "$GN_TMP/browser.log" | grep '^ok ' | while read -r line; do echo "   browser: $line"; done
ok "SIGTERM stopped village, town and district cleanly with both pages live; the pages saw their streams end"
for f in center-1920x1080 center-390x844 worker-390x844 worker-1920x1080 case-1920x1080; do
  [ "$(stat -c %s "$SHOTS/$f.png" 2>/dev/null || echo 0)" -gt 20000 ] || fail "$SHOTS/$f.png is missing or too small"
done
ok "screenshots: $(cd "$SHOTS" && ls center-*.png worker-*.png case-*.png | tr '\n' ' ')in $SHOTS"
gn_done
