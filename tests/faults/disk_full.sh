# Scenario (g2): the town's disk fills up under load, then space returns.
# Sourced by f_quick_disk_full.sh and f_full_disk_full.sh (FX_PROFILE quick|full).
#  1. district, town and villages, every link through a proxy; the town's LMDB directory
#     (<data>/db) on a small tmpfs this test mounts (`mount -t tmpfs -o size=...`), with the
#     smallest map (1 MiB), so the map grows on the small disk before it fills;
#  2. FILLS times: loadgens at every village until the town logs "store: disk full"; then, while
#     it is full: the town is alive, the villages go on acknowledging reports (their backlog
#     waits on their own disks), and their parent links are not acknowledged past what the
#     town committed; a report at the town itself is refused with exit 1 and "disk full" and
#     leaves nothing behind; `mount -o remount,size=<bigger>`: the town resumes by itself (same
#     process, "store: space is back") and applies the villages' batches again; after the last
#     fill there is room for all, and the town catches up with every village under load;
#  3. the load stops; the checker (none lost, none doubled, converged) and `gridctl audit` at
#     the town; none of the refused reports exists.
# Needs mount(2) (root or CAP_SYS_ADMIN): exit 77 (skipped) without it. The tmpfs is unmounted on
# every exit path, after every process the test started is killed.
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

VILLAGES=$(fx_profile 3 4)
FILLS=$(fx_profile 2 4)
DISK_KB=$(fx_profile 3072 3072)      # the town's first disk; each refill adds GROW_KB
GROW_KB=$(fx_profile 3072 4096)
RATE=$(fx_profile 150 200)          # reports/s per village
FINAL_KB=262144                     # space returns for good
DK_DIR=$GN_TMP/$FX_T/db             # the mount point: the town's LMDB directory
DK_MOUNTED=""

#  Kill what the test started (the town holds files on the tmpfs), unmount, then the usual
#  cleanup of ../lib.sh (which removes the temp dir).
_dk_cleanup() {
  local rc=$? pid
  set +e
  trap - ERR
  for pid in "${GN_BG[@]}" "${GN_PID[@]}"; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; done
  for pid in "${GN_BG[@]}" "${GN_PID[@]}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null; done
  if [ -n "$DK_MOUNTED" ] && mountpoint -q "$DK_MOUNTED"; then
    if [ "$rc" -ne 0 ] && [ -n "${GN_KEEP:-}" ]; then cp -a "$DK_MOUNTED" "$DK_MOUNTED.kept"; fi
    umount "$DK_MOUNTED" || umount -l "$DK_MOUNTED" || echo "cannot unmount $DK_MOUNTED" >&2
  fi
  (exit "$rc")
  _gn_cleanup
}
trap _dk_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# ---- can this test mount at all? ----
probe=$GN_TMP/mount-probe
mkdir "$probe"
if ! out=$(mount -t tmpfs -o size=64k tmpfs "$probe" 2>&1); then
  out=${out//$'\n'/ }
  echo "SKIP [$GN_NAME]: cannot mount a tmpfs (needs root or CAP_SYS_ADMIN; uid $(id -u)): ${out//  / }"
  exit 77
fi
DK_MOUNTED=$probe
umount "$probe"
DK_MOUNTED=""
rmdir "$probe"

#  town_log_count PATTERN: lines of the town's log matching PATTERN (extended regexp).
town_log_count() { grep -cE "$1" "$GN_TMP/$FX_T/daemon.log" || true; }

#  status CODE: the node's status (JSON); {} if it does not answer (said on stderr), so that a
#  condition polled with it is just not met yet.
status() {
  gn_ctl "$1" --json --timeout $((10000 * GN_SCALE)) status || { echo "# no status from $1" >&2; echo '{}'; }
}

#  parent_acked CODE: the node's parent link's acked cursor and its feed head, "acked head".
parent_acked() {
  status "$1" |
    jq -r '[((.links // []) | map(select(.role == "parent")) | .[0].acked // 0), (.feed_head // 0)] | @tsv'
}

#  town_op_seq: the town's own op counter (it moves with every op the town itself writes).
town_op_seq() { status $FX_T | jq '.op_seq // 0'; }

#  town_applied V: the town's cursor of child V's feed (what it committed).
town_applied() {
  status $FX_T | jq --argjson v "$1" '[(.links // [])[] | select(.peer == $v)][0].applied // 0'
}

#  town_progressed: the town applied more of some village's feed than when its disk was full
#  (HELD). (Every village's backlog is checked once there is room for all: with each round's
#  bit of space, the villages whose batches came first may fill it again.)
declare -A HELD=()
town_progressed() {
  local v
  for v in "${!HELD[@]}"; do [ "$(town_applied "$v")" -le "${HELD[$v]}" ] || return 0; done
  return 1
}

# ---- topology: the town's db moved onto the tmpfs before the villages come ----
gn_start district $FX_D -s store/map=1
fx_node town $FX_T $FX_D -s store/map=1
gn_stop $FX_T
mv "$DK_DIR" "$DK_DIR.disk"
mkdir -m 700 "$DK_DIR"
mount -t tmpfs -o "size=${DISK_KB}k,mode=0700" tmpfs "$DK_DIR"
DK_MOUNTED=$DK_DIR
cp -a "$DK_DIR.disk/." "$DK_DIR/"
rm -rf "$DK_DIR.disk"
gn_restart $FX_T
TOWN_PID=${GN_PID[$FX_T]}
FX_VILLAGE_CODES=("${FX_ALL_VILLAGES[@]:0:$VILLAGES}")
for v in "${FX_VILLAGE_CODES[@]}"; do fx_node village "$v" $FX_T; done
wait_until 60 "fx_parent_up $FX_T"
for v in "${FX_VILLAGE_CODES[@]}"; do wait_until 60 "fx_parent_up $v"; done
ok "district, town (LMDB on a ${DISK_KB} KiB tmpfs, 1 MiB map) and $VILLAGES villages up"

for v in "${FX_VILLAGE_CODES[@]}"; do fx_load_start "$v" 1000000 2 "$RATE"; done
size_kb=$DISK_KB
REFUSED=()
probes_saved=0
PROBE_TRIES=200
PROBE_GRID=${FX_VILLAGE_CODES[0]}-999         # no loadgen reports there
PROBE_TEXT=$(printf 'x%.0s' $(seq 1 3000))   # an overflow page or two of its own
for k in $(seq 1 "$FILLS"); do
  # (the town says "disk full" once, then "space is back" once there is room again: the k-th
  # "disk full" is this round's, whether it came before this line or comes after)
  wait_until 180 "[ \$(town_log_count 'store: disk full:') -ge $k ]"
  fx_fault "the town's disk is full at ${size_kb} KiB ($k/$FILLS)"
  df -k "$DK_DIR" | tail -n 1

  # While full: the villages keep acknowledging reports; what they were told the town holds,
  # the town holds (acked <= the town's applied cursor, read after).
  for v in "${FX_VILLAGE_CODES[@]}"; do fx_wait_acked "$v" 100 60; done
  HELD=()
  for v in "${FX_VILLAGE_CODES[@]}"; do
    read -r acked head < <(parent_acked "$v")
    applied=$(town_applied "$v")
    [ "$acked" -le "$applied" ] ||
      fail "$v was acknowledged through $acked, but the town committed its feed only through $applied"
    HELD[$v]=$applied
    echo "# $v: feed head $head, acknowledged by the town through $acked (backlog $((head - acked)))"
  done
  _gn_alive "$TOWN_PID" || fail "the town died on a full disk"

  # A report at the town itself. A small write may still fit in pages LMDB already has (its
  # free list, the tail a failed commit left in the file): such a report is saved and
  # acknowledged like any other (recorded for the checker). The one the town refuses must say
  # "disk full", exit 1, and leave nothing behind (the town's own op counter stands still).
  for try in $(seq 1 "$PROBE_TRIES"); do
    title="disk-full-probe-$k-$try"
    seq0=$(town_op_seq)
    rc=0
    out=$(gn_ctl $FX_T report --grid "$PROBE_GRID" --category 矛盾纠纷 \
          --title "$title" --description "$PROBE_TEXT" 2>&1) || rc=$?
    [ "$rc" -eq 0 ] || break
    printf '%s\t%s\n' "$out" "$title" >> "$GN_TMP/acked.town-probes"
    probes_saved=$((probes_saved + 1))
  done
  [ "$rc" -eq 1 ] || fail "a report at the town on a full disk: exit $rc (expected 1): $out"
  [[ $out == *"disk full"* ]] || fail "a report at the town on a full disk said: $out"
  [ "$(town_op_seq)" -eq "$seq0" ] || fail "the refused report moved the town's op counter"
  REFUSED+=("$title")
  echo "# gridctl report at the town (try $try): exit $rc: $out"

  # Space returns: a bigger tmpfs; the same process applies batches again, with no restart.
  if [ "$k" -lt "$FILLS" ]; then size_kb=$((size_kb + GROW_KB)); else size_kb=$FINAL_KB; fi
  mount -o "remount,size=${size_kb}k" "$DK_DIR"
  wait_until 60 "[ \$(town_log_count 'store: space is back') -ge $k ]"
  wait_until 60 "town_progressed"
  if [ "${GN_PID[$FX_T]}" != "$TOWN_PID" ] || ! _gn_alive "$TOWN_PID"; then
    fail "the town is not the process that filled its disk"
  fi
  echo "# space back (${size_kb} KiB): the town applies the villages' batches again"
done
for v in "${FX_VILLAGE_CODES[@]}"; do
  read -r acked head < <(parent_acked "$v")
  wait_until 120 "[ \$(town_applied $v) -ge $head ]"
done
echo "# the town caught up with every village, the load still running"
ok "the town's disk filled $FILLS times under load: no crash, no ACK past its commits, a report at the town refused with 'disk full'; it resumed by itself each time space returned"

fx_load_stop
fx_wait_synced
ok "every link caught up"
fx_check
audit=$(gn_ctl $FX_T --json --timeout $((60000 * GN_SCALE)) audit)
jq -e '.ok == true' <<<"$audit" > /dev/null || fail "gridctl audit at the town: $audit"
ok "gridctl audit at the town is clean"
titles=$(gn_ctl $FX_T --json list --grid "$PROBE_GRID" --limit 100000 | jq -r '(.cases // [])[].title')
[ "$(grep -c . <<<"$titles" || true)" -eq "$probes_saved" ] ||
  fail "the town lists $(grep -c . <<<"$titles" || true) probe reports, $probes_saved were saved"
for title in "${REFUSED[@]}"; do
  ! grep -qxF "$title" <<<"$titles" || fail "report '$title' was refused at the town, but exists"
done
ok "none of the ${#REFUSED[@]} reports refused at the town exists ($probes_saved squeezed in and were saved: checked like every acknowledged case)"
for code in "${FX_VILLAGE_CODES[@]}" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
