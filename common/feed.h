/*  feed.h -- the change feed, the op log and the peers' cursors.

    The feed is the node's append-only log: local seq (1, 2, ...) -> the id of
    an op this node originated or applied, the node it came from, and the
    nodes whose subtrees the op concerns (the case's origin and trail), so a
    parent can pick each child's ops without unpacking them. It is written in
    the same transaction as the op and the case state (I5).

    Peers: for each peer, the last seq of the peer's feed this node has
    committed (a parent keeps one per child = the child's up-cursor; a child
    keeps one for its parent = its down-cursor).  */
#ifndef GN_FEED_H
#define GN_FEED_H
#include "codec.h"
#include "store.h"

#define GN_FEED_CONFLICT 0x01   // the op was rejected as stale; kept visible
#define GN_FEED_REF      0x02   // a reference data op: concerns every child
#define GN_FEED_BACKFILL 0x04   // an older op again, for a child new to its case:
                                // goes down only (not up, not to the change stream)
#define GN_FEED_SEAL     0x08   // an origin's seal: goes up only
#define GN_SCOPE_MAX     16     // nodes kept in a feed record's scope

typedef struct {
    uint64_t origin;            // op id: origin node
    uint64_t seq;               //        origin's op seq
    uint64_t from;              // node it reached us from (ourselves if local)
    uint8_t flags;              // GN_FEED_*
    uint8_t nscope;             // nodes in scope[]
    uint64_t scope[GN_SCOPE_MAX];  // case origin and trail: whose subtrees it concerns
    uint8_t chain[32];          // SHA-256(previous record's chain || this record || op bytes)
} gn_feed_rec_t;

//  Append rec at head + 1, chained over the op's packed bytes (tamper
//  evidence: gridctl audit recomputes the chain); *seq gets its feed seq.
int gn_feed_append(gn_txn_t *txn, const gn_feed_rec_t *rec, const void *op, size_t oplen,
                   uint64_t *seq);
//  The chain value a record must hold, given the previous record's.
int gn_feed_chain(const uint8_t prev[32], const gn_feed_rec_t *rec, const void *op, size_t oplen,
                  uint8_t out[32]);
//  Last seq written (0 for an empty feed).
int gn_feed_head(gn_txn_t *txn, uint64_t *head);
//  Move the head forward to at least seq (I7: skip seqs a parent has seen).
int gn_feed_skip_to(gn_txn_t *txn, uint64_t seq);
//  Visit records with seq > after in order; fn returns 0 go on, 1 stop, <0 fail.
typedef int (gn_feed_fn)(uint64_t seq, const gn_feed_rec_t *rec, void *arg);
int gn_feed_scan(gn_txn_t *txn, uint64_t after, gn_feed_fn *fn, void *arg);
//  True if the record concerns the subtree rooted at node.
bool gn_feed_concerns(const gn_feed_rec_t *rec, uint64_t node);
//  Fill rec's scope from an op (its case's origin and trail; ref ops: flag).
void gn_feed_scope(gn_feed_rec_t *rec, const gn_op_t *op);

//  Ops by id, stored as the packed bytes their origin wrote. raw returns
//  them (valid until the txn ends); get unpacks them (caller frees with
//  gn_codec_free_op). exists: 0 if present, GN_ENOTFOUND if not.
int gn_ops_put_raw(gn_txn_t *txn, uint64_t origin, uint64_t seq, const void *bytes, size_t len);
int gn_ops_raw(gn_txn_t *txn, uint64_t origin, uint64_t seq, const void **bytes, size_t *len);
int gn_ops_get(gn_txn_t *txn, uint64_t origin, uint64_t seq, gn_op_t **op);
int gn_ops_exists(gn_txn_t *txn, uint64_t origin, uint64_t seq);
//  Highest seq stored for ops of this origin (0 if none).
int gn_ops_max_seq(gn_txn_t *txn, uint64_t origin, uint64_t *seq);

//  Cursor of a peer's feed we have committed through (0 if never).
int gn_peer_cursor_get(gn_txn_t *txn, uint64_t peer, uint64_t *cursor);
int gn_peer_cursor_put(gn_txn_t *txn, uint64_t peer, uint64_t cursor);

#endif
