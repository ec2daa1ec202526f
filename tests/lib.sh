# tests/lib.sh -- sourced by every multi-process scenario tests/t_*.sh.
#
# Real daemons on 127.0.0.1 with ephemeral ports, each with its own data dir under one temp dir.
# Everything a test starts is killed and the temp dir removed when the test exits, pass or fail
# (GN_KEEP=1 keeps the temp dir of a failed test for a look).
#
#   gn_start LEVEL CODE [PARENT_CODE] [-s key=value ...]   start a node, wait for <data>/endpoints
#   gn_stop CODE        SIGTERM, wait, require exit status 0
#   gn_kill9 CODE       SIGKILL
#   gn_restart CODE     start again on the same data dir and the same endpoints (children reconnect)
#   gn_ctl CODE ARGS    gridctl -d <data of CODE> ARGS (inside CODE's network namespace, if any)
#   gn_ids CODE         the case ids the node lists, one a line, in list order
#   wait_until SECONDS 'shell condition'   poll every 0.05 s; fail at the deadline
#   ok MSG / fail MSG / gn_done
#
# A node may run in a network namespace of its own (tests/faults/village_netns.sh): GN_NETNS[CODE]
# names it; its daemon, and gridctl for it, then run under `ip netns exec`. GN_ATEXIT: functions the
# exit trap calls once every process is gone (before the temp dir goes), e.g. to delete the namespace.
#
# Environment: GN_BIN (binaries; default ../build/bin), GN_TIMEOUT_SCALE (integer factor on every
# deadline, e.g. 3 under sanitizers), GN_LOG (daemon log level, default info), GN_KEEP.
#
# Ports: every socket binds $GN_ANY_PORT, tcp://127.0.0.1:![LO-HI] -- a port chosen at random by
# czmq in GN_PORTS, a range below (or above) the kernel's ephemeral range (ip_local_port_range).
# gn_restart binds a node to its old ports again. Inside the ephemeral range, the port a stopped
# node just freed can meanwhile be the local end of any outgoing connection on the machine -- even
# of its own children reconnecting to it (a TCP self-connect, 127.0.0.1:P to 127.0.0.1:P) -- and
# the restart fails with "Address already in use" (seen in CI). Outside it, only another listener
# can take the port, and a random choice among some 20000 makes that all but impossible.
# shellcheck shell=bash

set -Eeuo pipefail

GN_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GN_BIN=${GN_BIN:-$GN_TESTS/../build/bin}
GN_SCALE=${GN_TIMEOUT_SCALE:-1}
GN_NAME=$(basename "$0" .sh)
GRIDCTL=$GN_BIN/gridctl
GN_PASSED=0
GN_PORTS=10000-32767
if read -r _lo _hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null; then
  if [ "$_lo" -gt 12000 ]; then GN_PORTS=10000-$((_lo - 1))
  elif [ "$_hi" -lt 63000 ]; then GN_PORTS=$((_hi + 1))-65535
  fi
fi
GN_ANY_PORT="tcp://127.0.0.1:![$GN_PORTS]"
declare -A GN_PID=() GN_LEVEL=() GN_EXTRA=() GN_NETNS=()
GN_NODES=()     # node codes in start order
GN_BG=()        # other background processes of the test (load generators)
GN_ATEXIT=()    # cleanup functions, called by the exit trap after the processes are gone

for _b in gridctl gridnet-village gridnet-town gridnet-district; do
  if [ ! -x "$GN_BIN/$_b" ]; then
    echo "FAIL [$GN_NAME]: $GN_BIN/$_b not found (build first: bash deploy/setup.sh)" >&2
    exit 1
  fi
done
GN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gn-$GN_NAME.XXXXXX")

_gn_now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

#  _gn_alive PID: the process exists and is not a zombie.
_gn_alive() {
  local stat
  read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

#  _gn_poll SECONDS CONDITION: 0 as soon as CONDITION holds, 1 at the deadline (scaled).
_gn_poll() {
  local limit=$(( $(_gn_now_us) + $1 * GN_SCALE * 1000000 ))
  while :; do
    if eval "$2"; then return 0; fi
    [ "$(_gn_now_us)" -lt "$limit" ] || return 1
    sleep 0.05
  done
}

fail() {
  echo "FAIL [$GN_NAME]: $*" >&2
  if [ "$BASHPID" = "$$" ]; then   # not from a subshell: the main test prints the logs once
    local code
    for code in "${GN_NODES[@]}"; do
      echo "---- $code: last lines of $GN_TMP/$code/daemon.log ----" >&2
      tail -n 40 "$GN_TMP/$code/daemon.log" >&2 2>/dev/null || true
    done
    echo "$GN_PASSED passed, 1 failed"
  fi
  exit 1
}

ok() { GN_PASSED=$((GN_PASSED + 1)); echo "ok $GN_PASSED - $*"; }
gn_done() { echo "$GN_PASSED passed, 0 failed"; }

wait_until() {
  local secs=$1; shift
  _gn_poll "$secs" "$*" || fail "timed out after $((secs * GN_SCALE))s waiting for: $*"
}

_gn_cleanup() {
  local rc=$? pid code fn
  set +e
  trap - ERR
  for pid in "${GN_BG[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for code in "${GN_NODES[@]}"; do
    pid=${GN_PID[$code]:-}
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  done
  for pid in "${GN_BG[@]}" "${GN_PID[@]}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null
  done
  for fn in "${GN_ATEXIT[@]}"; do "$fn"; done
  if [ "$rc" -ne 0 ] && [ -n "${GN_KEEP:-}" ]; then
    echo "kept $GN_TMP" >&2
  else
    rm -rf "$GN_TMP"
  fi
  exit "$rc"
}
trap _gn_cleanup EXIT
trap 'fail "command failed (exit $?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

#  gn_endpoint DATADIR KEY: the value of KEY in DATADIR/endpoints (ZPL), or nothing.
gn_endpoint() {
  local line re="^$2[[:space:]]*=[[:space:]]*(\"([^\"]*)\"|'([^']*)'|([^[:space:]#]*))"
  [ -f "$1/endpoints" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line =~ $re ]]; then
      echo "${BASH_REMATCH[2]}${BASH_REMATCH[3]}${BASH_REMATCH[4]}"
      return 0
    fi
  done < "$1/endpoints"
}


#  gn_in CODE CMD [ARGS...]: run CMD where CODE runs (in its network namespace, if it has one).
gn_in() {
  local ns=${GN_NETNS[$1]:-}; shift
  if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

#  _gn_launch CODE [ARGS...]: run the daemon of CODE on its config, wait until it is ready.
#  In a namespace, `ip netns exec` execs the daemon in place: $! is the daemon's pid either way.
_gn_launch() {
  local code=$1; shift
  local dir=$GN_TMP/$code level=${GN_LEVEL[$code]} pid rc pre=()
  [ -z "${GN_NETNS[$code]:-}" ] || pre=(ip netns exec "${GN_NETNS[$code]}")
  rm -f "$dir/endpoints"
  "${pre[@]}" "$GN_BIN/gridnet-$level" -c "$dir/node.cfg" "$@" >>"$dir/daemon.log" 2>&1 &
  pid=$!
  GN_PID[$code]=$pid
  _gn_poll 15 "[ -n \"\$(gn_endpoint '$dir' api)\" ] || ! _gn_alive $pid" || true
  if ! _gn_alive "$pid"; then
    rc=0; wait "$pid" || rc=$?
    GN_PID[$code]=""
    fail "gridnet-$level $code exited with status $rc before it was ready"
  fi
  [ -n "$(gn_endpoint "$dir" api)" ] ||
    fail "gridnet-$level $code wrote no $dir/endpoints within $((15 * GN_SCALE))s"
  local epid; epid=$(gn_endpoint "$dir" pid)
  [ -z "$epid" ] || [ "$epid" = "$pid" ] ||
    fail "$dir/endpoints says pid $epid, but the daemon started is $pid"
}

gn_start() {
  [ $# -ge 2 ] || fail "usage: gn_start LEVEL CODE [PARENT_CODE] [-s key=value ...]"
  local level=$1 code=$2 parent="" parent_ep="" dir
  shift 2
  if [ $# -gt 0 ] && [ "$1" != -s ]; then parent=$1; shift; fi
  [ -z "${GN_LEVEL[$code]:-}" ] || fail "gn_start: $code already started"
  dir=$GN_TMP/$code
  if [ -n "$parent" ]; then
    parent_ep=$(gn_endpoint "$GN_TMP/$parent" sync)
    [ -n "$parent_ep" ] || fail "gn_start $code: parent $parent has no sync endpoint (start it first)"
  fi
  mkdir -m 700 "$dir"
  {
    echo "node"
    echo "    id = $code"
    echo "    data = \"$dir\""
    echo "    log = ${GN_LOG:-info}"
    echo "api"
    echo "    bind = \"$GN_ANY_PORT\""
    echo "pub"
    echo "    bind = \"$GN_ANY_PORT\""
    if [ "$level" != village ] || [ -n "$parent_ep" ]; then
      echo "sync"
      [ "$level" = village ] || echo "    bind = \"$GN_ANY_PORT\""
      [ -z "$parent_ep" ] || echo "    parent = \"$parent_ep\""
    fi
  } > "$dir/node.cfg"
  GN_LEVEL[$code]=$level
  GN_EXTRA[$code]=""
  [ $# -eq 0 ] || GN_EXTRA[$code]=$(printf '%q ' "$@")
  GN_NODES+=("$code")
  _gn_launch "$code" "$@"
}

gn_kill9() {
  local code=$1 pid=${GN_PID[$1]:-}
  [ -n "$pid" ] || fail "gn_kill9: $code is not running"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  GN_PID[$code]=""
}

gn_stop() {
  local code=$1 pid=${GN_PID[$1]:-} rc=0
  [ -n "$pid" ] || fail "gn_stop: $code is not running"
  kill -TERM "$pid"
  _gn_poll 20 "! _gn_alive $pid" || fail "$code (pid $pid) still running $((20 * GN_SCALE))s after SIGTERM"
  wait "$pid" || rc=$?
  GN_PID[$code]=""
  [ "$rc" -eq 0 ] || fail "$code exited with status $rc after SIGTERM (expected 0)"
}

#  gn_restart CODE: stop it if it runs, then start it again on the same data dir with the same
#  config, bound to the same endpoints as before so that its children and clients find it again.
gn_restart() {
  local code=$1 dir=$GN_TMP/$1 k v pins=() extra=()
  [ -n "${GN_LEVEL[$code]:-}" ] || fail "gn_restart: $code was never started"
  [ -z "${GN_PID[$code]:-}" ] || gn_stop "$code"
  for k in api pub sync http; do
    v=$(gn_endpoint "$dir" "$k")
    v=${v#http://}   # the endpoints file has http's URL, http/bind takes host:port
    [ -z "$v" ] || pins+=(-s "$k/bind=$v")
  done
  eval "extra=(${GN_EXTRA[$code]})"
  _gn_launch "$code" "${extra[@]}" "${pins[@]}"
}

gn_ctl() {
  local code=$1; shift
  gn_in "$code" "$GRIDCTL" -d "$GN_TMP/$code" "$@"
}

gn_ids() {
  gn_ctl "$1" --json list --limit 100000 | jq -r '(.cases // [])[].id'
}
