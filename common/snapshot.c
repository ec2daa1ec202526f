/*  snapshot.c -- the ops a new or wiped child needs (see snapshot.h).  */
#include "snapshot.h"
#include "cases.h"
#include "codec.h"
#include "err.h"
#include "feed.h"
#include "ids.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    gn_snapshot_t *snap;
    gn_txn_t *txn;
    uint64_t child;             // root of the subtree the snapshot is for
    uint64_t lo;                // first origin of the subtree, for the ops scan
} collect_t;

static int
s_add(gn_snapshot_t *snap, uint64_t origin, uint64_t seq)
{
    if (snap->n == snap->cap) {
        size_t cap = snap->cap ? snap->cap * 2 : 1024;
        void *grown = realloc(snap->keys, cap * sizeof *snap->keys);
        if (!grown)
            return GN_ENOMEM;
        snap->keys = grown;
        snap->cap = cap;
    }
    gn_op_key(snap->keys[snap->n++], origin, seq);
    return GN_OK;
}

//  Reference data: key -> origin u64 | seq u64 | value (apply.c).
static int
s_ref_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    (void) key, (void) klen;
    collect_t *c = arg;
    if (vlen < 16)
        return GN_ESTORE;
    return s_add(c->snap, gn_get_be64(val), gn_get_be64((const uint8_t *) val + 8));
}

static int
s_history_visit(uint64_t origin, uint64_t seq, void *arg)
{
    collect_t *c = arg;
    return s_add(c->snap, origin, seq);
}

static bool
s_concerns(const gn_case_t *cs, uint64_t child)
{
    if (gn_node_in_subtree(cs->origin, child))
        return true;
    for (size_t i = 0; i < cs->n_trail; i++)
        if (gn_node_in_subtree(cs->trail[i], child))
            return true;
    return false;
}

static int
s_case_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    collect_t *c = arg;
    if (klen != 16)
        return GN_ESTORE;
    int err;
    gn_case_t *cs = gn_codec_unpack_case(val, vlen, &err);
    if (!cs)
        return GN_ESTORE;
    bool wanted = s_concerns(cs, c->child);
    gn_codec_free_case(&cs);
    return wanted ? gn_cases_history(c->txn, key, s_history_visit, c) : 0;
}

//  The subtree's codes are one run of numbers starting at its root, so its
//  origins' ops are one run of op keys.
static int
s_seal_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    collect_t *c = arg;
    if (klen != 16)
        return GN_ESTORE;
    uint64_t origin, seq;
    gn_op_key_split(key, &origin, &seq);
    if (!gn_node_in_subtree(origin, c->child))
        return 1;
    int err;
    gn_op_t *op = gn_codec_unpack_op(val, vlen, &err);
    if (!op)
        return GN_ESTORE;
    bool seal = op->action == GRIDNET__ACTION__ACT_SEAL;
    gn_codec_free_op(&op);
    return seal ? s_add(c->snap, origin, seq) : 0;
}

int
gn_snapshot_collect(gn_txn_t *txn, uint64_t child, gn_snapshot_t *snap)
{
    snap->n = 0;
    collect_t c = { .snap = snap, .txn = txn, .child = child };
    uint8_t from[16];
    gn_op_key(from, child, 0);
    int rc;
    if ((rc = gn_feed_head(txn, &snap->cursor)) != 0
        || (rc = gn_txn_scan(txn, GN_DB_REF, NULL, 0, false, 0, s_ref_visit, &c)) != 0
        || (rc = gn_txn_scan(txn, GN_DB_CASES, NULL, 0, false, 0, s_case_visit, &c)) != 0
        || (rc = gn_txn_scan(txn, GN_DB_OPS, from, sizeof from, false, 0, s_seal_visit, &c)) != 0)
        return rc;
    return GN_OK;
}

void
gn_snapshot_clear(gn_snapshot_t *snap)
{
    free(snap->keys);
    memset(snap, 0, sizeof *snap);
}
