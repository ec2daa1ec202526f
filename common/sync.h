/*  sync.h -- replication links: a child's one link up, a parent's links down.

    Protocol (DESIGN section 5), one Envelope per ZeroMQ frame:

    child -> parent (DEALER -> ROUTER; the DEALER's routing id is the child's
    12-digit code as text):
        HELLO  node, level, incarnation, head, down_cursor, credit, store
                           sent at start and every heartbeat until WELCOME;
                           a store other than the one the parent's cursor
                           counts in (we were wiped) restarts our stream at 0
        BATCH  from, to, entries      the child's feed, minus what came from
                                      the parent
        ACK    cursor, credit         parent feed committed through cursor
        SNAPSHOT_REQ node, got        chunks of a snapshot applied (got 0:
                                      start it over)
        PING                          every heartbeat when otherwise idle
    parent -> child:
        WELCOME up_cursor, credit, op_seq, case_n
                           the child (re)starts its stream after up_cursor,
                           and skips its counters past op_seq/case_n (I7)
        BATCH  from, to, entries      the parent's feed ops that concern the
                                      child's subtree
        ACK    cursor, credit         child feed committed through cursor
        SNAPSHOT_CHUNK n, cursor, ops  to a child that holds nothing of our
                                      stream (down cursor 0): our state as of
                                      feed seq `cursor` (snapshot.h), at most
                                      `window` chunks unconfirmed
        SNAPSHOT_END cursor, chunks   the child records cursor; the stream
                                      goes on after it
        REJECT op id, reason          STALE: kept as a conflict; NEED_HELLO:
                                      no session; GAP: batch past our cursor
        PONG

    A receiver applies a whole batch in one transaction together with its
    cursor for the sender, commits, and only then ACKs (I4). If the commit
    fails (the disk is full), there is no ACK; the batches behind it are
    dropped, and a heartbeat later (then at doubling intervals, up to 8) the
    receiver asks for the stream again after its cursor (GAP to a child,
    HELLO to the parent), until a batch applies. Each side has
    at most `window` unacknowledged batches in flight (I6); the backlog waits
    in the feed on disk. A peer silent for three heartbeats is down; a child
    then says HELLO again, which restarts both streams from durable cursors.  */
#ifndef GN_SYNC_H
#define GN_SYNC_H
#include "codec.h"
#include "config.h"
#include "linksec.h"
#include "metrics.h"
#include "store.h"

#include <czmq.h>

typedef struct _gn_sync_t gn_sync_t;

//  Links for this node. up: DEALER connected to the parent (NULL at the
//  district); down: ROUTER children connect to (NULL at a village);
//  linksec: who a child's key says it is. All stay owned by the caller.
//  Caller owns the result.
gn_sync_t *gn_sync_new(gn_store_t *store, const gn_config_t *cfg, uint64_t incarnation,
                       zsock_t *up, zsock_t *down, gn_linksec_t *linksec);
void gn_sync_destroy(gn_sync_t **self_p);
//  Count batches, applied ops, rejects and commit latencies in metrics
//  (stays the caller's; NULL: none).
void gn_sync_set_metrics(gn_sync_t *self, gn_metrics_t *metrics);

//  Handle every message waiting on the parent's / children's socket.
void gn_sync_on_parent(gn_sync_t *self);
void gn_sync_on_children(gn_sync_t *self);
//  Send what the feed holds to every live link, as far as credit allows.
void gn_sync_pump(gn_sync_t *self);
//  Heartbeats, HELLO retries and liveness; now in ms.
void gn_sync_tick(gn_sync_t *self, int64_t now);

//  True once the parent has welcomed us since the start (always at the
//  district): our counters are then past anything the parent holds (I7).
bool gn_sync_welcomed(gn_sync_t *self);

//  True if the parent link has had no session for `ms` since it last had one
//  (or since the socket was last replaced): time to replace the socket.
bool gn_sync_parent_stuck(gn_sync_t *self, int64_t now, int64_t ms);
//  Use a new DEALER for the parent link (the caller destroyed the old one).
void gn_sync_set_up(gn_sync_t *self, zsock_t *up, int64_t now);

//  Append a LinkStatus per link to st (allocated with malloc; release with
//  gn_sync_status_free).
int gn_sync_status(gn_sync_t *self, Gridnet__NodeStatus *st);
void gn_sync_status_free(Gridnet__NodeStatus *st);

#endif
