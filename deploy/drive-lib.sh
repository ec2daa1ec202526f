# deploy/drive-lib.sh -- sourced by deploy/month.sh and deploy/replay.sh: run batches of gridctl
# commands against a deployment made by deploy/gridnet-local, in parallel.
# shellcheck shell=bash
#
#   drive_init DIR WORKDIR JOBS    set up (GN_BIN gives the binaries)
#   run_batch NAME < LINES         LINES: "KEY<TAB>NODE<TAB>gridctl args, tab-separated" (no empty
#                                  fields). The lines of one KEY (one case) run in order on one
#                                  worker, JOBS workers at once, so lines of different keys must
#                                  not depend on each other. An action refused because its case
#                                  has not reached the node yet (not there, or still owned by the
#                                  node that is handing it over) is tried again for up to 60 s:
#                                  a case's lines may follow it from node to node in one batch.
#                                  With $GN_BIN/gn-drive: one process, a connection per node and
#                                  worker thread, no fork per command; else gridctl, forked.
#                                  Results in $WORK/NAME.out: "KEY<TAB>EXIT<TAB>first output line".
#                                  Sets BATCH_OK, BATCH_FAILED; failures also go to $WORK/failed.
#   now_ms, since T0

G=${GN_BIN:?}/gridctl
RETRY_MS=60000
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
since() { local t=$(( $(now_ms) - $1 )); printf '%d.%01d s' $((t / 1000)) $((t % 1000 / 100)); }

drive_init() {
  DDIR=$1; WORK=$2; JOBS=$3
  mkdir -p "$WORK"
  : > "$WORK/failed"
  DRIVER=gridctl
  if [ -x "$GN_BIN/gn-drive" ] && [ -z "${GN_NO_DRIVE:-}" ]; then DRIVER=gn-drive; fi
}

# One gridctl command, tried again while the node says the case has not arrived.
_gridctl_retry() {  # _gridctl_retry NODE ARGS...
  local node=$1 res rc limit=$(( $(now_ms) + RETRY_MS )); shift
  while :; do
    if res=$("$G" -d "$DDIR/$node" "$@" 2>&1); then rc=0; else rc=$?; fi
    if [ "$rc" = 1 ] && [[ $res == *"owned by"* || $res == *"being transferred"* || $res == *"no such case here"* ]] &&
       [ "$1" != report ] && [ "$(now_ms)" -lt "$limit" ]; then
      sleep 0.05; continue
    fi
    printf '%s\t%s\n' "$rc" "${res%%$'\n'*}"
    return 0
  done
}

run_batch() {
  local name=$1 part
  cat > "$WORK/$name.in"
  rm -f "$WORK/$name".part.* "$WORK/$name.out"
  if [ "$DRIVER" = gn-drive ]; then
    "$GN_BIN/gn-drive" --dir "$DDIR" -j "$JOBS" --wait "$RETRY_MS" < "$WORK/$name.in" > "$WORK/$name.out"
  else
    # Spread the keys over JOBS parts, each key whole in one part, in file order.
    awk -F'\t' -v jobs="$JOBS" -v out="$WORK/$name.part." '
      { if (!($1 in w)) w[$1] = k++ % jobs; print > (out w[$1]) }' "$WORK/$name.in"
    for part in "$WORK/$name".part.*; do
      [ -e "$part" ] || continue
      (
        local -a a
        while IFS=$'\t' read -r -a a; do
          printf '%s\t%s\n' "${a[0]}" "$(_gridctl_retry "${a[1]}" "${a[@]:2}")"
        done < "$part" > "$part.out"
      ) &
    done
    wait
    for part in "$WORK/$name".part.*.out; do [ -e "$part" ] && cat "$part"; done > "$WORK/$name.out"
    rm -f "$WORK/$name".part.*
  fi
  BATCH_OK=$(awk -F'\t' '$2 == 0' "$WORK/$name.out" | wc -l)
  BATCH_FAILED=$(awk -F'\t' '$2 != 0' "$WORK/$name.out" | wc -l)
  awk -F'\t' -v b="$name" '$2 != 0 { print b "\t" $0 }' "$WORK/$name.out" >> "$WORK/failed"
  if [ "$BATCH_FAILED" -gt 0 ]; then
    echo "    ! $BATCH_FAILED of $((BATCH_OK + BATCH_FAILED)) commands in '$name' failed, e.g.:" >&2
    awk -F'\t' '$2 != 0' "$WORK/$name.out" | head -n 3 | sed 's/^/      /' >&2
  fi
}
