#!/usr/bin/env bash
# t_http: the HTTP front (Open311 GeoReport v2 and /metrics) of a district, a town and two villages,
# with real HTTP requests (curl) against the running daemons:
#  1. discovery, the service list and a service definition, in JSON and XML, have the spec's
#     shape (its examples' fields, in their order; XML well-formed per xmllint, JSON per jq);
#  2. a citizen's POST at the village creates a case through the node's normal path (channel of the
#     api key, reporter a citizen, media_url as evidence): it shows at the district with gridctl,
#     and its Open311 status follows the workflow (open through handled, closed once verified; the
#     finer status and the history as extensions), at the village and at the district;
#  3. a POST at the district with a grid as address_id, JSON bodies, a rejected case's notes;
#  4. GET requests with the spec's filters (service_request_id, service_code, status, start_date,
#     end_date, jurisdiction_id) and their errors;
#  5. hostile requests: oversized bodies (with Content-Length and chunked), wrong content types,
#     bad UTF-8, bad numbers, missing fields, wrong or missing api_key, wrong methods, a key file
#     others can read: each answered with its status and the spec's error body, nothing created;
#  6. /metrics parses as Prometheus text, its case counts by status equal gridctl's, links are up,
#     the histogram is consistent; SIGTERM stops every node cleanly (exit 0).
# shellcheck source-path=SCRIPTDIR source=workflow_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/workflow_lib.sh"

for tool in curl xmllint jq; do
  command -v $tool >/dev/null || fail "$tool is needed (bash deploy/setup.sh --deps-only installs it)"
done

HTTP=(-s http/bind=127.0.0.1:0)
gn_start district $D "${HTTP[@]}"
gn_start town $T $D
gn_start village $V1 $T "${HTTP[@]}"
gn_start village $V3 $T
for n in $D $V1; do
  [[ $(gn_endpoint "$GN_TMP/$n" http) =~ ^http://127\.0\.0\.1:[0-9]+$ ]] ||
    fail "$n: no http endpoint in its endpoints file: $(cat "$GN_TMP/$n/endpoints")"
done
[ -z "$(gn_endpoint "$GN_TMP/$T" http)" ] || fail "$T has an http endpoint without http/bind"
wf_refdata $V1 $V3
ok "district, town and two villages up; the district and $V1 serve HTTP on 127.0.0.1"

# Api keys: <data>/http_keys, 0600, read again when it changes.
WECHAT=wechat-0123456789abcdef APP=app-0123456789abcdef0
printf '# the front ends of %s\n%s wechat 民声快报\n%s app 杨凌民声 app\n' $V1 $WECHAT $APP > "$GN_TMP/$V1/http_keys"
printf '%s web 区政府网站\n' web-0123456789abcdef0 > "$GN_TMP/$D/http_keys"
chmod 600 "$GN_TMP/$V1/http_keys" "$GN_TMP/$D/http_keys"

SPEC=http://wiki.open311.org/GeoReport_v2
BODY=$GN_TMP/body

#  http NODE METHOD PATH [CURL ARGS...]: the status on stdout; body in $BODY, headers in $BODY.h.
http() {
  local node=$1 method=$2 path=$3 base; shift 3
  base=$(gn_endpoint "$GN_TMP/$node" http)
  curl -sS -o "$BODY" -D "$BODY.h" -w '%{http_code}' -X "$method" "$@" "$base$path" 2>"$BODY.err" ||
    echo "curl-failed"
}

#  want STATUS NODE METHOD PATH [CURL ARGS...]: the request gets STATUS; a body in the format of
#  the path (.json: jq parses it, else xmllint), with the matching Content-Type; an error body is
#  the spec's, with STATUS as its code.
want() {
  local status=$1 node=$2 method=$3 path=$4 got ctype; shift 4
  got=$(http "$node" "$method" "$path" "$@")
  [ "$got" = "$status" ] ||
    fail "$method $path at $node: status $got, expected $status: $(head -c 600 "$BODY") $(cat "$BODY.err")"
  ctype=$(tr -d '\r' < "$BODY.h" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -n 1)
  local bare=${path%%\?*}
  if [[ $bare == *.json ]]; then
    [ "$ctype" = "application/json; charset=utf-8" ] || fail "$method $path: Content-Type '$ctype'"
    jq -e . "$BODY" >/dev/null || fail "$method $path: the body is not JSON: $(head -c 300 "$BODY")"
    if [ "$status" != 200 ]; then
      jq -e --argjson c "$status" 'length == 1 and (.[0] | keys_unsorted) == ["code", "description"]
            and .[0].code == $c and (.[0].description | length) > 0' "$BODY" >/dev/null ||
        fail "$method $path: not the spec's error body with code $status: $(cat "$BODY")"
    fi
  else
    [ "$ctype" = "text/xml; charset=utf-8" ] || fail "$method $path: Content-Type '$ctype'"
    xmllint --noout "$BODY" 2>"$BODY.xerr" ||
      fail "$method $path: the XML is not well-formed: $(cat "$BODY.xerr") $(head -c 300 "$BODY")"
    head -n 1 "$BODY" | grep -qi '^<?xml version="1.0" encoding="utf-8"?>$' ||
      fail "$method $path: no XML declaration with encoding UTF-8: $(head -n 1 "$BODY")"
    if [ "$status" != 200 ]; then
      [ "$(xmllint --xpath 'string(/errors/error/code)' "$BODY")" = "$status" ] &&
        [ -n "$(xmllint --xpath 'string(/errors/error/description)' "$BODY")" ] &&
        [ "$(xmllint --xpath 'count(/errors/error)' "$BODY")" = 1 ] ||
        fail "$method $path: not the spec's XML error body with code $status: $(cat "$BODY")"
    fi
  fi
}

#  desc: the error's description.
desc() { if jq -e . "$BODY" >/dev/null 2>&1; then jq -r '.[0].description' "$BODY"; else
         xmllint --xpath 'string(/errors/error/description)' "$BODY"; fi; }
jqb() { jq -e "$@" "$BODY" >/dev/null || fail "body does not satisfy $*: $(head -c 1500 "$BODY")"; }
xp() { xmllint --xpath "$1" "$BODY"; }

# ---- 1. discovery, services, service definitions ----
want 200 $D GET /open311/discovery.json
jqb --arg s "$SPEC" 'keys_unsorted == ["changeset", "contact", "key_service", "endpoints"]
     and (.endpoints | length) == 1
     and (.endpoints[0] | keys_unsorted == ["specification", "url", "changeset", "type", "formats"]
          and .specification == $s and .type == "production"
          and (.url | test("^http://127\\.0\\.0\\.1:[0-9]+/open311/v2$"))
          and .formats == ["text/xml", "application/json"])
     and (.changeset | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+08:00$"))'
want 200 $D GET /open311/discovery.xml
[ "$(xp 'string(/discovery/endpoints/endpoint/specification)')" = "$SPEC" ] &&
  [ "$(xp 'count(/discovery/endpoints/endpoint/formats/format)')" = 2 ] &&
  [ -n "$(xp 'string(/discovery/key_service)')" ] || fail "discovery.xml: $(cat "$BODY")"
ok "discovery in JSON and XML: the spec's fields, one GeoReport v2 endpoint, both formats"

NCAT=$(gn_ctl $V1 --json ref get category/ | jq length)
want 200 $V1 GET /open311/v2/services.json
jqb --argjson n "$NCAT" 'length == $n and all(.[]; keys_unsorted == ["service_code", "service_name",
       "description", "metadata", "type", "keywords", "group"] and .metadata == true
       and .type == "realtime" and (.service_code | type) == "string")
     and any(.[]; .service_code == "矛盾纠纷" and .group == "区司法局(人民调解)")'
want 200 $V1 GET /open311/v2/services.xml
[ "$(xp 'count(/services/service)')" = "$NCAT" ] &&
  [ "$(xp 'count(/services/service[metadata="true" and type="realtime" and service_code and
        service_name and description and keywords and group])')" = "$NCAT" ] ||
  fail "services.xml: $(head -c 800 "$BODY")"
ok "services: the $NCAT categories, each with the spec's seven fields, in JSON and XML"

CODE_URL=$(jq -rn --arg c 矛盾纠纷 '$c | @uri')
want 200 $V1 GET "/open311/v2/services/$CODE_URL.json"
jqb 'keys_unsorted == ["service_code", "attributes"] and .service_code == "矛盾纠纷"
     and [.attributes[].code] == ["severity", "title"]
     and (.attributes[0] | keys_unsorted == ["variable", "code", "datatype", "required",
          "datatype_description", "order", "description", "values"]
          and .datatype == "singlevaluelist" and .variable == true and .required == false
          and .order == 1 and ([.values[].key] == ["general", "major", "emergency"]))
     and (.attributes[1] | .datatype == "string" and .order == 2 and (has("values") | not))'
want 200 $V1 GET "/open311/v2/services/$CODE_URL.xml"
[ "$(xp 'string(/service_definition/service_code)')" = 矛盾纠纷 ] &&
  [ "$(xp 'count(/service_definition/attributes/attribute/values/value[key and name])')" = 3 ] &&
  [ "$(xp 'string(/service_definition/attributes/attribute[1]/datatype_description)')" = "" ] ||
  fail "service definition XML: $(cat "$BODY")"
want 404 $V1 GET "/open311/v2/services/$(jq -rn '"没有这类" | @uri').json"
want 404 $V1 GET /open311/v2/services/nothing.xml
ok "service definition: severity (singlevaluelist) and title, as the spec's example; unknown codes 404"

# ---- 2. a citizen's POST at the village, followed through the loop ----
_cases() { gn_ctl "$1" --json status | jq -r '.cases // 0'; }
C0_V1=$(_cases $V1) SEQ0_V1=$(_wf_op_seq $V1)
want 200 $V1 POST /open311/v2/requests.json --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=34.2723 --data-urlencode long=108.0761 \
  --data-urlencode address_string="凤岗路社区 3 号楼" --data-urlencode $'description=楼道堆放杂物，邻里争执\n已拍照' \
  --data-urlencode first_name=敏 --data-urlencode last_name=王 --data-urlencode phone=13800000001 \
  --data-urlencode email=wm@example.org --data-urlencode device_id=dev-1 \
  --data-urlencode media_url=https://img.example.org/a.jpg --data-urlencode 'attribute[severity]=general'
jqb --arg v "$V1" 'length == 1 and (.[0] | keys_unsorted == ["service_request_id", "service_notice",
     "account_id"] and (.service_request_id | test("^" + $v + "-[0-9]+$")) and .account_id == null
     and (.service_notice | length) > 0)'
A=$(jq -r '.[0].service_request_id' "$BODY")
[ "$(_cases $V1)" = $((C0_V1 + 1)) ] || fail "POST did not create exactly one case at $V1"
wf_wait 20 $D "$A" '.state.channel == "wechat" and .state.reporter.kind == "citizen"
   and .state.reporter.name == "王敏" and .state.reporter.id == "wm@example.org"
   and .state.grid == "'$V1'-001" and .state.category == "矛盾纠纷" and .state.status == "reported"
   and .state.evidence == "https://img.example.org/a.jpg" and .state.title == "楼道堆放杂物，邻里争执"
   and .state.lat == 34.2723 and .state.lon == 108.0761 and .state.address == "凤岗路社区 3 号楼"
   and .history[0].action == "report" and .history[0].evidence == "https://img.example.org/a.jpg"'
ok "POST at $V1 created $A (channel wechat, citizen 王敏, media_url as evidence); the district has it"

#  o311_is NODE ID JQ: GET requests/ID.json?extensions=true at NODE satisfies JQ on its one request.
o311_is() {
  [ "$(http "$1" GET "/open311/v2/requests/$2.json?extensions=true")" = 200 ] &&
    jq -e "length == 1 and (.[0] | $3)" "$BODY" >/dev/null 2>&1
}
o311_wait() { wait_until 20 "$(printf 'o311_is %q %q %q' "$1" "$2" "$3")"; }

o311_is $V1 "$A" '.status == "open" and .extended_attributes.status == "reported"
   and .extended_attributes.channel == "wechat" and .address_id == "'$V1'-001"
   and .agency_responsible == "区司法局(人民调解)" and .media_url == "https://img.example.org/a.jpg"
   and (.expected_datetime | test("\\+08:00$")) and .lat == 34.2723 and .long == 108.0761
   and [.notes[].type] == ["report"]' || fail "GET $A at $V1: $(cat "$BODY")"
want 200 $V1 GET "/open311/v2/requests/$A.json"
jqb '.[0] | keys_unsorted == ["service_request_id", "status", "status_notes", "service_name",
     "service_code", "description", "agency_responsible", "service_notice", "requested_datetime",
     "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
     "media_url"]'
wf_act $V1 "$A" accept "accepted $V1" --note 受理
o311_wait $V1 "$A" '.status == "open" and .extended_attributes.status == "accepted"'
wf_act $V1 "$A" dispatch "dispatched $V1" --assignee mediation --note 派人民调解员
wf_act $V1 "$A" handle "handled $V1" --note 调解达成协议，杂物已清理 --evidence photo-2.jpg
o311_wait $V1 "$A" '.status == "open" and .extended_attributes.status == "handled"
   and .status_notes == "调解达成协议，杂物已清理"'
o311_wait $D "$A" '.status == "open" and .extended_attributes.status == "handled"'
wf_act $V1 "$A" verify "verified $V1" --pass --note 现场核查属实
o311_wait $V1 "$A" '.status == "closed" and .extended_attributes.status == "verified"
   and .status_notes == "调解达成协议，杂物已清理" and .updated_datetime == .extended_attributes.closed_datetime
   and [.notes[].type] == ["report", "accept", "dispatch", "handle", "verify"]
   and .notes[1].description == "受理" and .media_url == "photo-2.jpg"'
o311_wait $D "$A" '.status == "closed" and .extended_attributes.status == "verified"
   and [.notes[].type] == ["report", "accept", "dispatch", "handle", "verify"]'
want 200 $D GET "/open311/v2/requests/$A.xml?extensions=true"
[ "$(xp 'string(/service_requests/request/status)')" = closed ] &&
  [ "$(xp 'string(/service_requests/request/extended_attributes/status)')" = verified ] &&
  [ "$(xp 'count(/service_requests/request/notes/note[datetime and description and type])')" = 5 ] &&
  [ "$(xp 'count(/service_requests/request/zipcode/node())')" = 0 ] ||
  fail "request XML at $D: $(cat "$BODY")"
ok "$A follows the loop over HTTP: open (reported, accepted, handled) → closed (verified), at $V1 and $D, JSON and XML"

# ---- 3. the district, JSON bodies, a rejection ----
want 400 $D POST /open311/v2/requests.xml --data-urlencode api_key=web-0123456789abcdef0 \
  --data-urlencode service_code=环境卫生 --data-urlencode lat=34.27 --data-urlencode long=108.07
[[ $(desc) == *address_id* ]] || fail "a POST at the district without address_id: $(desc)"
want 200 $D POST /open311/v2/requests.xml --data-urlencode api_key=web-0123456789abcdef0 \
  --data-urlencode service_code=环境卫生 --data-urlencode address_id=$V3-002 \
  --data-urlencode description=垃圾未清运 --data-urlencode account_id=acct-9 \
  --data-urlencode 'attribute[title]=姚安社区垃圾'
B=$(xp 'string(/service_requests/request/service_request_id)')
[[ $B == $D-* ]] && [ "$(xp 'string(/service_requests/request/account_id)')" = acct-9 ] ||
  fail "POST at the district: $(cat "$BODY")"
wf_is $D "$B" '.state.channel == "web" and .state.grid == "'$V3'-002" and .state.title == "姚安社区垃圾"
   and .state.reporter.id == "acct-9"' || fail "$B at the district: $(wf_get $D "$B" .state)"
want 200 $V1 POST /open311/v2/requests.json -H 'Content-Type: application/json; charset=utf-8' \
  --data-binary '{"api_key": "'$APP'", "service_code": "市政设施", "lat": 34.28, "long": 108.06,
                  "description": "路灯不亮", "attribute": {"severity": "major"}, "account_id": "u-7"}'
C=$(jq -r '.[0].service_request_id' "$BODY")
wf_is $V1 "$C" '.state.channel == "app" and .state.severity == "major" and .state.lat == 34.28' ||
  fail "JSON POST $C: $(wf_get $V1 "$C" .state)"
wf_act $V1 "$C" reject "rejected $V1" --note "重复上报，已合并"
o311_wait $V1 "$C" '.status == "closed" and .status_notes == "重复上报，已合并"
   and .extended_attributes.status == "rejected"'
ok "district POST with a grid as address_id ($B, channel web); JSON body at $V1 ($C, app, major), rejected: closed with its reason"

# ---- 4. GET requests with filters ----
wf_wait 20 $D "$C" '.state.status == "rejected"'
want 200 $V1 GET "/open311/v2/requests.json?service_request_id=$A,$C,$V1-999999,garbage"
jqb --arg a "$A" --arg c "$C" '[.[].service_request_id] == [$a, $c]'
want 200 $V1 GET "/open311/v2/requests.json?service_request_id=$V1-999999"
jqb 'length == 0'
want 200 $V1 GET "/open311/v2/requests.json?service_code=$(jq -rn '"市政设施" | @uri')"
jqb --arg c "$C" '[.[].service_request_id] == [$c]'
want 200 $V1 GET "/open311/v2/requests.json?status=closed"
jqb --arg a "$A" --arg c "$C" '([.[].service_request_id] | sort) == ([$a, $c] | sort) and all(.[]; .status == "closed")'
want 200 $D GET "/open311/v2/requests.json?status=open"
jqb --arg b "$B" '[.[].service_request_id] == [$b] and .[0].status == "open"'
want 200 $D GET "/open311/v2/requests.json"
jqb --arg a "$A" --arg b "$B" --arg c "$C" '([.[].service_request_id] | sort) == ([$a, $b, $c] | sort)
     and ([.[].requested_datetime] == ([.[].requested_datetime] | sort | reverse))'
want 200 $D GET "/open311/v2/requests.xml?status=open,closed&jurisdiction_id=$D"
[ "$(xp 'count(/service_requests/request)')" = 3 ] || fail "requests.xml at $D: $(cat "$BODY")"
want 200 $D GET "/open311/v2/requests.json?start_date=2001-01-01T00:00:00Z&end_date=2001-03-01T00:00:00%2B08:00"
jqb 'length == 0'
now_s=$(date +%s)
since=$(date -u -d "@$((now_s - 3600))" +%Y-%m-%dT%H:%M:%SZ)
until=$(date -u -d "@$((now_s + 3600 + 8 * 3600))" +%Y-%m-%dT%H:%M:%S+08:00)   # CST
want 200 $D GET "/open311/v2/requests.json?start_date=$since&end_date=$until"
jqb 'length == 3'
want 200 $D GET "/open311/v2/requests.json?end_date=$since"
jqb 'length == 0'
want 400 $D GET "/open311/v2/requests.json?start_date=yesterday"
want 400 $D GET "/open311/v2/requests.json?start_date=2026-02-30T00:00:00Z"
want 400 $D GET "/open311/v2/requests.xml?start_date=2026-01-01T00:00:00"
want 400 $D GET "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"
[[ $(desc) == *"90 days"* ]] || fail "a span over 90 days: $(desc)"
want 400 $D GET "/open311/v2/requests.json?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"
want 400 $D GET "/open311/v2/requests.json?status=pending"
want 404 $D GET "/open311/v2/requests.json?jurisdiction_id=sfgov.org"
want 404 $D GET "/open311/v2/requests/$D-424242.json"
want 404 $D GET "/open311/v2/requests/not-a-case.xml"
want 404 $D GET "/open311/v2/tokens/123456.json"
ok "GET requests: ids (unknown ones left out), service_code, status, date windows, jurisdiction_id; bad filters 400, unknown 404"

# ---- 5. hostile requests: status, error body, nothing created ----
SNAP_C=$(_cases $V1) SNAP_S=$(_wf_op_seq $V1)
nothing_new() {
  [ "$(_cases $V1)" = "$SNAP_C" ] && [ "$(_wf_op_seq $V1)" = "$SNAP_S" ] ||
    fail "$1: something was written at $V1 (cases $SNAP_C -> $(_cases $V1), op_seq $SNAP_S -> $(_wf_op_seq $V1))"
}
#  hostile STATUS WHAT DESC_REGEX PATH [CURL ARGS...]: a POST at V1 refused as it should be.
hostile() {
  local status=$1 what=$2 regex=$3 path=$4; shift 4
  want "$status" $V1 POST "$path" "$@"
  grep -Eq -- "$regex" <<<"$(desc)" || fail "$what: the description '$(desc)' does not match /$regex/"
  nothing_new "$what"
  ok "$what: $status ($(desc))"
}
REQ=/open311/v2/requests.json
GOOD=(--data-urlencode api_key=$WECHAT --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=34.27 --data-urlencode long=108.07)
head -c 70000 /dev/zero | tr '\0' x | sed 's/^/description=/' > "$GN_TMP/big.form"
hostile 413 "oversized body (Content-Length)" "larger than 65536" $REQ \
  -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$GN_TMP/big.form"
hostile 413 "oversized body (chunked)" "larger than 65536" /open311/v2/requests.xml \
  -H 'Content-Type: application/x-www-form-urlencoded' -H 'Transfer-Encoding: chunked' --data-binary @"$GN_TMP/big.form"
hostile 415 "text/plain body" "x-www-form-urlencoded" $REQ -H 'Content-Type: text/plain' --data-binary "api_key=$WECHAT"
hostile 415 "multipart body" "x-www-form-urlencoded" /open311/v2/requests.xml -F api_key=$WECHAT -F service_code=x
hostile 415 "latin-1 form" "UTF-8" $REQ -H 'Content-Type: application/x-www-form-urlencoded; charset=iso-8859-1' --data-binary "api_key=$WECHAT"
hostile 415 "no Content-Type" "missing" $REQ -H 'Content-Type:' --data-binary "api_key=$WECHAT"
hostile 400 "bad UTF-8 in a form field" "description.*UTF-8" $REQ "${GOOD[@]}" --data-binary 'description=%FF%FEabc'
hostile 400 "overlong UTF-8 in a form field" "address_string.*UTF-8" $REQ "${GOOD[@]}" --data-binary 'address_string=%C0%AF'
hostile 400 "a NUL in a form field" "description" $REQ "${GOOD[@]}" --data-binary 'description=a%00b'
hostile 400 "a control character" "description" $REQ "${GOOD[@]}" --data-binary 'description=a%07b'
hostile 400 "bad UTF-8 in a JSON body" "JSON" $REQ -H 'Content-Type: application/json' \
  --data-binary $'{"api_key": "'$WECHAT$'", "description": "\xff\xfe"}'
hostile 400 "a JSON body that is not an object" "JSON object" $REQ -H 'Content-Type: application/json' --data-binary '[1, 2]'
hostile 400 "a JSON field of the wrong type" "string or a number" $REQ -H 'Content-Type: application/json' \
  --data-binary '{"api_key": "'$WECHAT'", "service_code": ["矛盾纠纷"]}'
hostile 400 "lat not a number" "lat must be a decimal number" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=abc --data-urlencode long=108
hostile 400 "lat out of range" "lat must be" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=91 --data-urlencode long=108
hostile 400 "long overflowing" "long must be" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=34 --data-urlencode long=1e999
hostile 400 "lat as nan" "lat must be" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=nan --data-urlencode long=108
hostile 400 "lat in hex" "lat must be" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=0x22 --data-urlencode long=108
hostile 400 "lat without long" "together" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=34
hostile 400 "missing service_code" "service_code was not provided" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode lat=34 --data-urlencode long=108
hostile 404 "unknown service_code" "service_code not found" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=potholes --data-urlencode lat=34 --data-urlencode long=108
hostile 400 "no location" "location is required" $REQ --data-urlencode api_key=$WECHAT \
  --data-urlencode service_code=矛盾纠纷
hostile 400 "service_code twice" "once" $REQ "${GOOD[@]}" --data-urlencode service_code=环境卫生
hostile 400 "an address_id not a grid" "grid code" $REQ "${GOOD[@]}" --data-urlencode address_id=12345
hostile 400 "an address_id in another village" "not a grid of" $REQ "${GOOD[@]}" --data-urlencode address_id=$V3-001
hostile 400 "an unknown attribute" "not an attribute" $REQ "${GOOD[@]}" --data-urlencode 'attribute[colour]=red'
hostile 400 "a bad severity" "severity" $REQ "${GOOD[@]}" --data-urlencode 'attribute[severity]=huge'
hostile 400 "a media_url that is not http" "media_url" $REQ "${GOOD[@]}" --data-urlencode 'media_url=javascript:alert(1)'
hostile 400 "a description over 4000 bytes" "description is longer" $REQ "${GOOD[@]}" \
  --data-urlencode "description=$(head -c 4001 /dev/zero | tr '\0' y)"
hostile 404 "another jurisdiction" "jurisdiction_id" $REQ "${GOOD[@]}" --data-urlencode jurisdiction_id=city.gov
hostile 403 "missing api_key" "api_key was not provided" $REQ --data-urlencode service_code=矛盾纠纷 \
  --data-urlencode lat=34 --data-urlencode long=108
hostile 403 "wrong api_key" "invalid api_key" /open311/v2/requests.xml --data-urlencode api_key=wrong-0123456789abcdef \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=34 --data-urlencode long=108
hostile 403 "a key of another node" "invalid api_key" $REQ --data-urlencode api_key=web-0123456789abcdef0 \
  --data-urlencode service_code=矛盾纠纷 --data-urlencode lat=34 --data-urlencode long=108
hostile 403 "a wrong api_key with bad UTF-8 too" "invalid api_key" $REQ --data-binary 'api_key=%FF&description=%FF'
chmod 644 "$GN_TMP/$V1/http_keys"
hostile 403 "a key from a key file others can read" "invalid api_key" $REQ "${GOOD[@]}"
grep -q "http_keys is accessible by group or others" "$GN_TMP/$V1/daemon.log" ||
  fail "no log line for the world-readable key file"
chmod 600 "$GN_TMP/$V1/http_keys"
want 405 $V1 DELETE $REQ
tr -d '\r' < "$BODY.h" | grep -qx 'Allow: GET, HEAD, POST' || fail "405 without Allow: $(cat "$BODY.h")"
want 405 $V1 PUT /open311/v2/services.xml --data-binary x
tr -d '\r' < "$BODY.h" | grep -qx 'Allow: GET, HEAD' || fail "405 without Allow: $(cat "$BODY.h")"
want 405 $V1 POST "/open311/v2/requests/$A.json" "${GOOD[@]}"
want 404 $V1 GET /open311/v2/nothing.json
want 404 $V1 GET /open311/v2/services.html
want 404 $V1 GET "/open311/v2/../../etc/passwd.xml" --path-as-is
nothing_new "wrong methods and paths"
ok "wrong methods 405 (with Allow), unknown paths 404; nothing written"
want 200 $V1 POST $REQ "${GOOD[@]}"
D2=$(jq -r '.[0].service_request_id' "$BODY")
[ "$(_cases $V1)" = $((SNAP_C + 1)) ] || fail "the good POST after the hostile ones did not create one case"
ok "the same key works again once the file is 0600: $D2 created"

# ---- 6. /metrics ----
wf_wait 20 $D "$D2" '.state.status == "reported"'   # every case of $V1 is at the district: it settles
M=$GN_TMP/metrics
metrics() {  # metrics NODE: /metrics into $M, checked against the exposition format
  [ "$(http "$1" GET /metrics)" = 200 ] || fail "/metrics at $1: $(cat "$BODY")"
  cp "$BODY" "$M"
  tr -d '\r' < "$BODY.h" | grep -qi '^Content-Type: text/plain; version=0.0.4' ||
    fail "/metrics Content-Type: $(cat "$BODY.h")"
  local name='[a-zA-Z_:][a-zA-Z0-9_:]*' label='[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"'
  local number='(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)'
  local bad
  bad=$(grep -Ev "^(# HELP $name .+|# TYPE $name (counter|gauge|histogram|summary|untyped)|$name(\{$label(,$label)*\})? $number)$" "$M" || true)
  [ -z "$bad" ] || fail "/metrics at $1: lines outside the exposition format: $(head -n 5 <<<"$bad")"
  # Every sample's family has one TYPE line, before its first sample; families are not split.
  awk '
    /^# TYPE / { if ($3 in typed) { print "TYPE twice: " $3; exit 1 } typed[$3] = $4; last = $3; next }
    /^#/ { next }
    { n = $0; sub(/[{ ].*/, "", n); f = n
      if (!(f in typed)) { sub(/_(bucket|sum|count)$/, "", f) }
      if (!(f in typed)) { print "no TYPE before " n; exit 1 }
      if (f != last) { print "family " f " split"; exit 1 } }' "$M" ||
    fail "/metrics at $1: families out of order"
  # Histograms: buckets nondecreasing, +Inf == _count.
  awk '
    /^gridnet_commit_seconds_bucket/ { match($0, /source="[a-z]+"/); s = substr($0, RSTART, RLENGTH)
      if ((s in prev) && $2 < prev[s]) { print "bucket decreases " $0; exit 1 } prev[s] = $2
      if ($0 ~ /le="\+Inf"/) inf[s] = $2 }
    /^gridnet_commit_seconds_count/ { match($0, /source="[a-z]+"/); s = substr($0, RSTART, RLENGTH)
      if (inf[s] != $2) { print "+Inf " inf[s] " != count " $2; exit 1 } }' "$M" ||
    fail "/metrics at $1: histogram inconsistent"
}
sample() { awk -v k="$1" '$1 == k { print $2 }' "$M"; }
for node in $V1 $D; do
  metrics $node
  want_counts=$(gn_ctl $node --json list --all --limit 1000 | jq -r '[.cases[].status] | group_by(.) | map("\(.[0]) \(length)") | .[]' | sort)
  got_counts=$(grep '^gridnet_cases{' "$M" | sed 's/^gridnet_cases{status="\([a-z]*\)"} \([0-9]*\)$/\1 \2/' | awk '$2 > 0' | sort)
  [ "$want_counts" = "$got_counts" ] ||
    fail "/metrics at $node: cases by status '$got_counts', gridctl lists '$want_counts'"
  [[ $(sample gridnet_feed_head) =~ ^[1-9][0-9]*$ ]] || fail "/metrics at $node: feed_head"
  [ "$(grep -c '^gridnet_sync_rejects_total{' "$M")" = 16 ] || fail "/metrics at $node: rejects by reason"
  [ "$(sample 'gridnet_commit_seconds_count{source="api"}')" -ge 1 ] || fail "/metrics at $node: no api commits"
done
metrics $V1
[ "$(sample "gridnet_link_up{peer=\"$T\",role=\"parent\"}")" = 1 ] &&
  [ -n "$(sample "gridnet_link_lag_ops{peer=\"$T\",role=\"parent\"}")" ] &&
  [ -n "$(sample "gridnet_link_lag_seconds{peer=\"$T\",role=\"parent\"}")" ] &&
  [ "$(sample "gridnet_sync_applied_ops_total{peer=\"$T\",role=\"parent\"}")" -ge 1 ] &&
  [ "$(sample 'gridnet_http_responses_total{code="413"}')" -ge 2 ] &&
  [ "$(sample 'gridnet_http_responses_total{code="415"}')" -ge 4 ] &&
  [ "$(sample 'gridnet_http_responses_total{code="403"}')" -ge 5 ] ||
  fail "/metrics at $V1: link, apply or http counters: $(grep -E 'link_|applied|http_' "$M")"
metrics $D
[ "$(sample "gridnet_link_up{peer=\"$T\",role=\"child\"}")" = 1 ] &&
  [ "$(sample "gridnet_sync_applied_ops_total{peer=\"$T\",role=\"child\"}")" -ge 1 ] &&
  [ "$(sample "gridnet_commit_seconds_count{source=\"sync\"}")" -ge 1 ] ||
  fail "/metrics at $D: $(grep -E 'link_|applied|commit_seconds_count' "$M")"
ok "/metrics: Prometheus text format, cases by status = gridctl's at $V1 and $D, links up, lag, applies, commits, rejects, HTTP codes"

# ---- clean stop ----
for n in $V1 $V3 $T $D; do gn_stop $n; done
ok "SIGTERM stops every node, HTTP fronts included, with exit status 0"
gn_done
