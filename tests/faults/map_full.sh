# Scenario (g1): the town's LMDB map fills in the middle of applying batches, again and again;
# and a reader killed with its transaction open leaves a stale slot that the town reaps.
# Sourced by f_quick_map_full.sh and f_full_map_full.sh (FX_PROFILE quick|full).
#  1. district and town with the smallest map (`-s store/map=1`, 1 MiB), villages as usual, every
#     link through a proxy; a loadgen at every village;
#  2. the load goes on until the town's map has doubled GROWTHS times: each time MDB_MAP_FULL
#     came in the middle of applying a batch, the transaction was aborted (no partial batch, no
#     ACK), the map doubled and the batch ran again whole (the town's log says so for each);
#  3. while the load still runs, a reader of the town's environment (`mdb_dump`, as a backup
#     would) blocks with its read transaction open; `kill -9` it: its slot in the reader table
#     stays behind (it pins old pages, so the file can only grow) until the town reaps it on its
#     tick (store: cleared N stale reader slot(s)); `mdb_stat -r` no longer lists it;
#  4. the load stops; the links catch up; the checker (none lost, none doubled, converged).
# Each map growth in the town's log counts as a fault injected.
# Needs mdb_dump and mdb_stat (lmdb-utils; deploy/setup.sh installs it).
# shellcheck shell=bash source-path=SCRIPTDIR source=lib-faults.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

VILLAGES=$(fx_profile 3 4)
GROWTHS=$(fx_profile 4 6)            # 1 MiB -> 16 MiB (quick), -> 64 MiB (full)
for _t in mdb_dump mdb_stat; do
  command -v "$_t" > /dev/null || fail "$_t not found: install lmdb-utils (deploy/setup.sh does)"
done
TDB=$GN_TMP/$FX_T/db                 # the town's LMDB environment

#  town_log_count PATTERN: lines of the town's log matching PATTERN (extended regexp).
town_log_count() { grep -cE "$1" "$GN_TMP/$FX_T/daemon.log" || true; }

#  readers DIR: the pids in DIR's reader table (mdb_stat -r), one a line. (mdb_stat -r of
#  LMDB 0.9.24 exits 1 even when it printed the table.)
readers() { { mdb_stat -r "$1" || true; } | awk '$1 ~ /^[0-9]+$/ { print $1 }'; }

gn_start district $FX_D -s store/map=1
fx_node town $FX_T $FX_D -s store/map=1
FX_VILLAGE_CODES=("${FX_ALL_VILLAGES[@]:0:$VILLAGES}")
for v in "${FX_VILLAGE_CODES[@]}"; do fx_node village "$v" $FX_T; done
ok "district and town with a 1 MiB map, $VILLAGES villages, each link through its own proxy"
for v in "${FX_VILLAGE_CODES[@]}"; do fx_load_start "$v" 1000000 2; done
# ---- the map fills under batches, again and again ----
wait_until 300 "[ \$(town_log_count 'store: map full: grown') -ge $GROWTHS ]"
ok "the town's map grew $GROWTHS times under load"

# ---- a stale reader slot ----
# mdb_dump writes into a FIFO nobody reads: once the pipe is full it blocks, its read
# transaction open and its slot in the town's reader table taken.
mkfifo "$GN_TMP/dump.fifo"
mdb_dump -a "$TDB" > "$GN_TMP/dump.fifo" 2> "$GN_TMP/dump.err" &
dump=$!
GN_BG+=("$dump")
exec 7< "$GN_TMP/dump.fifo"          # open the read end, never read it
_gn_poll 30 "readers '$TDB' | grep -qx $dump" ||
  fail "mdb_dump ($dump) never showed in the town's reader table: $(cat "$GN_TMP/dump.err")"
reaped0=$(town_log_count 'store: cleared [0-9]+ stale reader slot')
kill -KILL "$dump"
wait "$dump" 2> /dev/null || true
exec 7<&-
# The dead process's slot is left behind: the town's tick (node/tick, 1 s) clears it.
stale=no
if readers "$TDB" | grep -qx "$dump"; then stale=yes; fi
wait_until 30 "[ \$(town_log_count 'store: cleared [0-9]+ stale reader slot') -gt $reaped0 ]"
! readers "$TDB" | grep -qx "$dump" || fail "mdb_stat -r still lists the killed reader $dump"
grep -E 'store: cleared [0-9]+ stale reader slot' "$GN_TMP/$FX_T/daemon.log" | tail -n 1
ok "a reader killed with its read transaction open (pid $dump; slot seen stale after the kill: $stale) was reaped by the town"

fx_load_stop
fx_wait_synced
ok "every link caught up"
while read -r line; do
  fx_fault "the town's map was full: ${line#*store: map full: }"
done < <(grep -E 'store: map full: grown' "$GN_TMP/$FX_T/daemon.log")
grown=$(town_log_count 'store: map full: grown')
under=$(town_log_count 'sync: batch \([0-9]+, [0-9]+\] from [0-9]+ applied after the map grew')
grep -E 'sync: batch .* applied after the map grew' "$GN_TMP/$FX_T/daemon.log" | head -n 3 | sed 's/^/# /'
[ "$under" -ge "$((GROWTHS - 1))" ] ||
  fail "the town's map grew $grown times, only $under of them while applying a batch"
ok "the town's map grew $grown times ($under of them in the middle of applying a batch, each batch retried whole); the district's $(grep -cE 'store: map full: grown' "$GN_TMP/$FX_D/daemon.log" || true) times"
fx_check
fx_sample_show "${FX_VILLAGE_CODES[0]}" 5
ok "a sample of cases shows a clean history at the district through gridctl"
for code in "${FX_VILLAGE_CODES[@]}" $FX_T $FX_D; do gn_stop "$code"; done
ok "every node exited 0 on SIGTERM"
gn_done
