/*  audit.c -- recompute the chains and compare (see audit.h).  */
#include "audit.h"
#include "apply.h"
#include "crypto.h"
#include "cases.h"
#include "codec.h"
#include "err.h"
#include "feed.h"
#include "ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBLEMS_MAX 20         // problems listed at most (the first ones)

typedef struct {
    gn_txn_t *txn;
    uint64_t self;
    gn_registry_t *registry;
    json_t *problems;
    uint8_t feed_chain[32];     // running feed chain
    json_int_t feed_records, ops_checked, seals_verified, cases_checked;
    gn_chain_t chain;           // the origin being walked
    bool origin_started;        // its first op was seen
    bool origin_broken;         // a problem found: stop checking this origin
} audit_t;

static void
s_problem(audit_t *a, const char *what, const char *where, const char *why)
{
    if (json_array_size(a->problems) < PROBLEMS_MAX)
        json_array_append_new(a->problems,
                              json_pack("{s:s, s:s, s:s}", "what", what, "where", where, "why", why));
}

static int
s_feed_visit(uint64_t seq, const gn_feed_rec_t *rec, void *arg)
{
    audit_t *a = arg;
    char where[96];
    snprintf(where, sizeof where, "feed %llu (op %012llu/%llu)", (unsigned long long) seq,
             (unsigned long long) rec->origin, (unsigned long long) rec->seq);
    a->feed_records++;
    const void *bytes;
    size_t len;
    int rc = gn_ops_raw(a->txn, rec->origin, rec->seq, &bytes, &len);
    if (rc == GN_ENOTFOUND) {
        s_problem(a, "feed", where, "its op is missing");
        memcpy(a->feed_chain, rec->chain, 32);
        return 0;
    }
    if (rc != 0)
        return rc;
    uint8_t want[32];
    if ((rc = gn_feed_chain(a->feed_chain, rec, bytes, len, want)) != 0)
        return rc;
    if (memcmp(want, rec->chain, 32) != 0)
        s_problem(a, "feed", where, "the record or its op was altered: the chain breaks here");
    memcpy(a->feed_chain, rec->chain, 32);   // go on from what is stored
    return json_array_size(a->problems) >= PROBLEMS_MAX ? 1 : 0;
}

static int
s_op_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    audit_t *a = arg;
    uint64_t origin, seq;
    if (klen != 16)
        return GN_ESTORE;
    gn_op_key_split(key, &origin, &seq);
    char where[64];
    snprintf(where, sizeof where, "op %012llu/%llu", (unsigned long long) origin,
             (unsigned long long) seq);
    if (origin != a->chain.origin) {   // a new origin: walk it if it is ours to check
        memset(&a->chain, 0, sizeof a->chain);
        a->chain.origin = origin;
        a->origin_started = false;
        a->origin_broken = !gn_node_in_subtree(origin, a->self);
    }
    if (a->origin_broken)
        return 0;
    int err;
    gn_op_t *op = gn_codec_unpack_op(val, vlen, &err);
    a->ops_checked++;
    if (!op) {
        s_problem(a, "op", where, "does not unpack: altered");
        a->origin_broken = true;
        return 0;
    }
    if (!a->origin_started && op->seq > 1 && op->prev.len == 32) {
        //  Restored from an old copy: the chain starts where we hold it.
        a->chain.seq = op->seq - 1;
        memcpy(a->chain.chain, op->prev.data, 32);
    }
    a->origin_started = true;
    if (op->origin != origin || op->seq != seq)
        s_problem(a, "op", where, "stored under another op's id");
    else if (gn_chain_follow(&a->chain, op, val, vlen) != 0) {
        s_problem(a, "op", where, "does not follow the origin's chain: it, or one before it, "
                                  "was altered or is missing");
        a->origin_broken = true;
    }
    else if (op->action == GRIDNET__ACTION__ACT_SEAL && a->registry) {
        if (gn_seal_verify(gn_registry_sigkey(a->registry, origin), op) == 0)
            a->seals_verified++;
        else {
            s_problem(a, "seal", where, "the signature does not verify");
            a->origin_broken = true;
        }
    }
    gn_codec_free_op(&op);
    return json_array_size(a->problems) >= PROBLEMS_MAX ? 1 : 0;
}

//  The last op of a case that set its state (not a supervision).
typedef struct {
    audit_t *a;
    uint64_t origin, seq;       // best so far
    uint32_t version;
} last_t;

static int
s_last_visit(uint64_t origin, uint64_t seq, void *arg)
{
    last_t *l = arg;
    gn_op_t *op = NULL;
    if (gn_ops_get(l->a->txn, origin, seq, &op) != 0)
        return 0;
    if (op->action != GRIDNET__ACTION__ACT_SUPERVISE && op->state
        && (op->state->epoch > 0) && (!l->seq || op->version >= l->version)) {
        l->origin = origin;
        l->seq = seq;
        l->version = op->version;
    }
    gn_codec_free_op(&op);
    return 0;
}

static int
s_case_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    audit_t *a = arg;
    int err;
    gn_case_t *stored = gn_codec_unpack_case(val, vlen, &err);
    char where[64];
    snprintf(where, sizeof where, "case %012llu-%llu",
             (unsigned long long) (klen == 16 ? gn_get_be64(key) : 0),
             (unsigned long long) (klen == 16 ? gn_get_be64((const uint8_t *) key + 8) : 0));
    a->cases_checked++;
    if (!stored) {
        s_problem(a, "case", where, "does not unpack: altered");
        return 0;
    }
    last_t l = { .a = a };
    gn_op_t *op = NULL;
    int rc = gn_cases_history(a->txn, key, s_last_visit, &l);
    if (rc == 0 && l.seq && gn_ops_get(a->txn, l.origin, l.seq, &op) == 0 && op->state) {
        //  Compare with the op's state, supervisions taken from the stored one.
        gn_case_t mine = *op->state;
        mine.supervision = stored->supervision;
        mine.n_supervision = stored->n_supervision;
        mine.supervisions = stored->supervisions;
        mine.urgency = stored->urgency;
        mine.supervised_due = stored->supervised_due;
        uint8_t *x = NULL, *y = NULL;
        size_t xl = 0, yl = 0;
        if (gn_codec_pack(&mine.base, GN_ENVELOPE_MAX, &x, &xl) == 0
            && gn_codec_pack(&stored->base, GN_ENVELOPE_MAX, &y, &yl) == 0
            && (xl != yl || memcmp(x, y, xl) != 0))
            s_problem(a, "case", where, "its state is not the state its latest op carries");
        free(x);
        free(y);
    }
    else if (rc == 0)
        s_problem(a, "case", where, "has no op in its history");
    gn_codec_free_op(&op);
    gn_codec_free_case(&stored);
    return rc < 0 ? rc : json_array_size(a->problems) >= PROBLEMS_MAX ? 1 : 0;
}

int
gn_audit(gn_txn_t *txn, uint64_t self, gn_registry_t *registry, json_t **report)
{
    audit_t a = { .txn = txn, .self = self, .registry = registry, .problems = json_array() };
    *report = NULL;
    if (!a.problems)
        return GN_ENOMEM;
    int rc = gn_feed_scan(txn, 0, s_feed_visit, &a);
    if (rc == 0)
        rc = gn_txn_scan(txn, GN_DB_OPS, NULL, 0, false, 0, s_op_visit, &a);
    if (rc == 0)
        rc = gn_txn_scan(txn, GN_DB_CASES, NULL, 0, false, 0, s_case_visit, &a);
    if (rc != 0) {
        json_decref(a.problems);
        return rc;
    }
    *report = json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}",
                        "ok", json_array_size(a.problems) == 0, "feed_records", a.feed_records,
                        "ops_checked", a.ops_checked, "seals_verified", a.seals_verified,
                        "cases_checked", a.cases_checked, "problems", a.problems);
    return *report ? GN_OK : GN_ENOMEM;
}

// ---------------------------------------------------------------------------
//  Digests: what a node holds of each origin below a root.

typedef struct {
    uint64_t root;
    Gridnet__Digest *d;
    size_t cap;
    gn_sha256_t *hash;          // running hash of the current origin
    Gridnet__DigestItem *item;  // the current origin's item
} digest_t;

static int
s_digest_close(digest_t *g)
{
    if (!g->item)
        return GN_OK;
    g->item->hash.data = malloc(GN_SHA256_LEN);
    if (!g->item->hash.data)
        return GN_ENOMEM;
    g->item->hash.len = GN_SHA256_LEN;
    int rc = gn_sha256_final(g->hash, g->item->hash.data);
    g->item = NULL;
    return rc;
}

static int
s_digest_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    digest_t *g = arg;
    uint64_t origin, seq;
    if (klen != 16)
        return GN_ESTORE;
    gn_op_key_split(key, &origin, &seq);
    if (!gn_node_in_subtree(origin, g->root))
        return 0;
    int rc;
    if (!g->item || g->item->origin != origin) {
        if ((rc = s_digest_close(g)) != 0)
            return rc;
        if (g->d->n_items == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 16;
            Gridnet__DigestItem **grown = realloc(g->d->items, cap * sizeof *grown);
            if (!grown)
                return GN_ENOMEM;
            g->d->items = grown;
            g->cap = cap;
        }
        Gridnet__DigestItem *item = malloc(sizeof *item);
        if (!item)
            return GN_ENOMEM;
        gridnet__digest_item__init(item);
        item->origin = origin;
        g->d->items[g->d->n_items++] = item;
        g->item = item;
    }
    g->item->count++;
    g->item->max_seq = seq;
    return gn_sha256_update(g->hash, val, vlen);
}

int
gn_digest(gn_txn_t *txn, uint64_t root, Gridnet__Digest *d)
{
    digest_t g = { .root = root, .d = d };
    int rc = gn_sha256_new(&g.hash);
    if (rc != 0)
        return rc;
    rc = gn_txn_scan(txn, GN_DB_OPS, NULL, 0, false, 0, s_digest_visit, &g);
    if (rc == 0)
        rc = s_digest_close(&g);
    gn_sha256_destroy(&g.hash);
    return rc;
}

void
gn_digest_free(Gridnet__Digest *d)
{
    for (size_t i = 0; i < d->n_items; i++) {
        free(d->items[i]->hash.data);
        free(d->items[i]);
    }
    free(d->items);
    d->items = NULL;
    d->n_items = 0;
}
