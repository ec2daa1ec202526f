/*  snapshot.h -- what a new or wiped child needs of its parent's replica.

    A child that holds nothing of its parent's stream (a new node, a wiped
    one, or one whose parent's store was replaced) is brought up to date from
    the parent's state instead of a replay of the parent's whole feed. The
    ops it needs are fixed in ONE read transaction, at the parent's feed head
    then (the snapshot's cursor), sent in chunks (SNAPSHOT_CHUNK), and the
    stream goes on after that cursor (SNAPSHOT_END). They are:
      - the op behind each current reference data value;
      - the whole history of every case that concerns the child's subtree
        (the case's origin, or a node in its trail, is in the subtree), in
        version order;
      - the seals of the origins in the subtree, so that a wiped child holds
        its own chains whole again and its digests match the parent's.
    Stored ops never change, so the chunks may be read from later
    transactions than the one the list was taken in.  */
#ifndef GN_SNAPSHOT_H
#define GN_SNAPSHOT_H
#include "store.h"

typedef struct {
    uint8_t (*keys)[16];        // op keys (origin, seq), in sending order
    size_t n;                   // keys held
    size_t cap;                 // keys allocated
    uint64_t cursor;            // the feed head when the list was taken
} gn_snapshot_t;

//  Fill snap (emptied first) with what child needs, as of this txn.
int gn_snapshot_collect(gn_txn_t *txn, uint64_t child, gn_snapshot_t *snap);
//  Release the list; snap is empty and reusable after.
void gn_snapshot_clear(gn_snapshot_t *snap);

#endif
