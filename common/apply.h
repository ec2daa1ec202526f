/*  apply.h -- applying an op to the replica: dedup, ownership, versions.

    Applying is idempotent and order-tolerant (DESIGN section 5): an op whose
    id is known is a duplicate and changes nothing; a new op is stored, added
    to the feed and to its case's history, and replaces the case state if its
    (epoch, version) is higher than the stored one.

    Ops that come up from a child are arbitrated (I3): a case op must follow
    the case as this node knows it (author = owner, same epoch, version + 1;
    or a first report), else it is stored as a visible conflict and the caller
    returns REJECT(STALE). Ops that come down from the parent are
    authoritative. Scope (I8): a child may only send ops that originated in
    its subtree, and never reference data.  */
#ifndef GN_APPLY_H
#define GN_APPLY_H
#include "codec.h"
#include "crypto.h"
#include "store.h"

typedef enum {
    GN_APPLY_NEW = 0,           // stored and applied
    GN_APPLY_DUP,               // already known: nothing changed
    GN_APPLY_CONFLICT           // stored as a conflict; state unchanged
} gn_apply_result_t;

typedef enum {
    GN_FROM_LOCAL = 0,          // written here by the workflow
    GN_FROM_CHILD,              // came up from a child: arbitrate
    GN_FROM_PARENT              // came down from the parent: authoritative
} gn_from_t;

typedef struct {
    uint64_t self;              // this node
    uint64_t peer;              // node it came from (self if local)
    gn_from_t from;             // direction it came from
    bool conflict;              // arrived already marked as a conflict
} gn_apply_ctx_t;

//  Apply op (unpacked and checked by the codec) whose packed form is
//  bytes/len. *result says what happened. Returns 0, GN_ESCOPE for an op the
//  peer may not send (nothing stored), or a store error (abort the txn).
int gn_apply(gn_txn_t *txn, const gn_apply_ctx_t *ctx, const gn_op_t *op,
             const void *bytes, size_t len, gn_apply_result_t *result);

//  Before a case moves down to a child that has never held it, queue the
//  case's history for that child, so it holds the whole story and not only
//  the ops from the transfer on. Nothing is queued if the child's subtree
//  already saw the case.
int gn_apply_backfill(gn_txn_t *txn, uint64_t self, const gn_case_t *c, uint64_t child);

//  Each origin chains its ops: op.prev is the chain before it, and the chain
//  after it is SHA-256(prev || packed op). A seal (ACT_SEAL) signs the chain
//  head, once per local write transaction rather than per op. A parent,
//  which receives every op of every origin below it, checks both.
typedef struct {
    uint64_t origin;            // whose chain
    uint64_t seq;               // last op seq it covers (0: none yet)
    uint8_t chain[GN_SHA256_LEN];  // the chain value after that op
} gn_chain_t;

//  The chain of origin as this node holds it (zeros if none).
int gn_chain_load(gn_txn_t *txn, uint64_t origin, gn_chain_t *c);
int gn_chain_store(gn_txn_t *txn, const gn_chain_t *c);
//  Does op (packed as bytes) follow c? Then advance c. GN_ESTALE if not.
int gn_chain_follow(gn_chain_t *c, const gn_op_t *op, const void *bytes, size_t len);
//  Is seal signed by key over its origin, seq and prev? 0 or GN_ECRYPTO.
int gn_seal_verify(gn_sigkey_t *key, const gn_op_t *seal);
//  Seal what this node wrote since its last seal (call at the end of every
//  write transaction that wrote local ops). key NULL: insecure mode, no-op.
int gn_apply_seal(gn_txn_t *txn, uint64_t self, gn_sigkey_t *key);

//  The seq the next locally written op will get (for ops that name
//  themselves, like a supervision).
int gn_apply_next_seq(gn_txn_t *txn, uint64_t *seq);

//  Recompute a case's fields derived from its supervisions: the count, the
//  highest urgency and the latest supervision's deadline.
void gn_supervision_derive(gn_case_t *c);

//  Give a locally written op its id (origin = self, next op seq), check it,
//  pack it and apply it. op->origin and op->seq are set by the call.
//  GN_EMALFORMED if the op fails the codec's checks (nothing written).
int gn_apply_local(gn_txn_t *txn, uint64_t self, gn_op_t *op);

#endif
