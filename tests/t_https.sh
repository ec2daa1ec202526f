#!/usr/bin/env bash
# t_https: the HTTP front over TLS (http/tls_cert, http/tls_key), for a front reached beyond
# 127.0.0.1, with a certificate made here by openssl:
#  1. the district serves the pages, Open311 and /metrics over HTTPS: curl trusting only that
#     certificate gets them; its endpoints file says https; plain HTTP on the port gets nothing;
#  2. a login over HTTPS sets a Secure cookie, a POST from this https origin is served and one
#     claiming the http origin is refused; logout clears the cookie, Secure too;
#  3. a key others can read, a key without its certificate, a file that is not a certificate and
#     a key that is not the certificate's: the daemon refuses to start, saying which.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in curl openssl jq; do
  command -v $tool >/dev/null || fail "$tool is needed (bash deploy/setup.sh --deps-only installs it)"
done
D=610403000000
TLS=$GN_TMP/tls
mkdir -m 700 "$TLS"
#  cert NAME: a self-signed P-256 certificate for 127.0.0.1, NAME.crt and NAME.key (0600).
cert() {
  (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
     -subj "/CN=gridnet $1" -addext "subjectAltName=IP:127.0.0.1" -days 2 \
     -keyout "$TLS/$1.key" -out "$TLS/$1.crt" 2>"$TLS/$1.err") || fail "openssl: $(cat "$TLS/$1.err")"
}
cert district
cert other

# ---- 1. HTTPS only ----
gn_start district $D -s http/bind=127.0.0.1:0 -s "http/tls_cert=$TLS/district.crt" \
                     -s "http/tls_key=$TLS/district.key"
URL=$(gn_endpoint "$GN_TMP/$D" http)
[[ $URL =~ ^https://127\.0\.0\.1:[0-9]+$ ]] || fail "endpoint: $URL"
get() { curl -sS --cacert "$TLS/district.crt" -o "$GN_TMP/body" -w '%{http_code}' "$@"; }
[ "$(get "$URL/open311/discovery.json")" = 200 ] && jq -e '.endpoints | length > 0' "$GN_TMP/body" >/dev/null ||
  fail "discovery over HTTPS: $(cat "$GN_TMP/body")"
[ "$(get "$URL/metrics")" = 200 ] && grep -q '^gridnet_cases' "$GN_TMP/body" || fail "/metrics over HTTPS"
[ "$(get "$URL/center")" = 200 ] && grep -q '<html' "$GN_TMP/body" || fail "the center page over HTTPS"
rc=0; curl -sS --cacert "$TLS/other.crt" -o /dev/null "$URL/metrics" 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "curl trusting another certificate was served"
plain=${URL/https:/http:}
rc=0; out=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$plain/metrics" 2>/dev/null) || rc=$?
[ "$rc" -ne 0 ] || [ "$out" = 000 ] || fail "plain HTTP on the HTTPS port got HTTP $out"
ok "HTTPS at $URL: discovery, /metrics and the pages with its certificate; another CA and plain HTTP get nothing"

# ---- 2. a session over HTTPS ----
PASSWORD=tls-$RANDOM-$RANDOM
hash=$(GRIDNET_PASSWORD=$PASSWORD "$GN_BIN/gridctl" hash-password)
gn_ctl $D ref set staff/op-d "{\"role\":\"district_operator\",\"node\":$D,\"password\":\"$hash\"}" >/dev/null
post() {   # post ORIGIN PATH BODY: the status; headers in $GN_TMP/h
  get -D "$GN_TMP/h" -b "$GN_TMP/jar" -c "$GN_TMP/jar" -X POST -H 'X-Gridnet: 1' \
      -H "Origin: $1" -H 'Content-Type: application/json' --data "$3" "$URL$2"
}
st=$(post "$URL" /api/login "{\"user\":\"op-d\",\"password\":\"$PASSWORD\"}")
[ "$st" = 200 ] || fail "login over HTTPS: HTTP $st $(cat "$GN_TMP/body")"
grep -i '^set-cookie: gn_session=' "$GN_TMP/h" | grep -q -i '; Secure' || fail "cookie: $(grep -i set-cookie "$GN_TMP/h")"
[ "$(get -b "$GN_TMP/jar" "$URL/api/me")" = 200 ] && jq -e '.user == "op-d"' "$GN_TMP/body" >/dev/null ||
  fail "/api/me with the session: $(cat "$GN_TMP/body")"
st=$(post "$plain" /api/logout '{}')
[ "$st" = 403 ] || fail "a POST with the http origin was served over HTTPS (HTTP $st)"
st=$(post "$URL" /api/logout '{}')
[ "$st" = 200 ] && grep -i '^set-cookie: gn_session=;' "$GN_TMP/h" | grep -q -i '; Secure' ||
  fail "logout: HTTP $st, $(grep -i set-cookie "$GN_TMP/h")"
[ "$(get -b "$GN_TMP/jar" "$URL/api/me")" = 401 ] || fail "the session outlived its logout"
gn_stop $D
ok "over HTTPS the session cookie is Secure; an http origin is refused; logout ends it"

# ---- 3. what the daemon will not start with ----
#  refuses WHY KEY=VALUE...: the district exits non-zero at start and its output says WHY.
refuses() {
  local why=$1; shift
  local args=() kv
  for kv in "$@"; do args+=(-s "$kv"); done
  rc=0; "$GN_BIN/gridnet-district" -c "$GN_TMP/$D/node.cfg" "${args[@]}" >"$GN_TMP/start.log" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || fail "the district started with $*"
  grep -q -F -- "$why" "$GN_TMP/start.log" || fail "no '$why' when refusing $*: $(tail -3 "$GN_TMP/start.log")"
}
B=http/bind=127.0.0.1:0
chmod 640 "$TLS/district.key"
refuses "chmod 600" $B "http/tls_cert=$TLS/district.crt" "http/tls_key=$TLS/district.key"
chmod 600 "$TLS/district.key"
refuses "go together" $B "http/tls_cert=$TLS/district.crt"
refuses "no PEM certificate" $B "http/tls_cert=$TLS/district.key" "http/tls_key=$TLS/district.key"
refuses "does the key fit" $B "http/tls_cert=$TLS/district.crt" "http/tls_key=$TLS/other.key"
ok "a readable key, a key alone, a key as certificate, another certificate's key: refused at start, saying why"

gn_done
