/*  apply.c -- the one path every op takes into a replica.  */
#include "apply.h"
#include "cases.h"
#include "crypto.h"
#include "err.h"
#include "feed.h"
#include "ids.h"
#include "log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ACT(x) GRIDNET__ACTION__ACT_##x

//  Does (epoch, version) of a beat b?
static bool
s_newer(const gn_case_t *a, const gn_case_t *b)
{
    return a->epoch > b->epoch || (a->epoch == b->epoch && a->version > b->version);
}

//  I3: does an op from below follow the case as this node knows it?
//  A supervision needs no ownership, only a case to annotate.
static bool
s_follows(const gn_op_t *op, const gn_case_t *known)
{
    if (op->action == ACT(SUPERVISE))
        return known != NULL;
    if (!known)
        return op->action == GRIDNET__ACTION__ACT_REPORT && op->version == 1
            && op->state->origin == op->origin && op->state->owner == op->origin;
    return op->origin == known->owner && op->epoch == known->epoch
        && op->version == known->version + 1;
}

static int
s_feed(gn_txn_t *txn, const gn_apply_ctx_t *ctx, const gn_op_t *op, uint8_t flags,
       const void *bytes, size_t len)
{
    gn_feed_rec_t rec = { .origin = op->origin, .seq = op->seq, .from = ctx->peer,
                          .flags = flags };
    gn_feed_scope(&rec, op);
    uint64_t seq;
    return gn_feed_append(txn, &rec, bytes, len, &seq);
}

static int
s_conflict(gn_txn_t *txn, const gn_apply_ctx_t *ctx, const gn_op_t *op,
           const void *bytes, size_t len)
{
    uint8_t key[16];
    int rc;
    if (gn_case_key_from_text(key, op->case_id) != 0)
        return GN_EINVAL;
    if ((rc = gn_ops_put_raw(txn, op->origin, op->seq, bytes, len)) != 0
        || (rc = gn_cases_conflict_add(txn, key, op->origin, op->seq, bytes, len)) != 0
        || (rc = s_feed(txn, ctx, op, GN_FEED_CONFLICT, bytes, len)) != 0)
        return rc;
    uint64_t n;
    if ((rc = gn_meta_get(txn, "conflicts", &n)) != 0
        || (rc = gn_meta_put(txn, "conflicts", n + 1)) != 0)
        return rc;
    return GN_OK;
}

//  Reference data: key -> origin u64 | seq u64 | value; newest op wins.
static int
s_apply_ref(gn_txn_t *txn, const gn_op_t *op)
{
    const void *val;
    size_t vlen;
    size_t klen = strlen(op->ref_key);
    int rc = gn_txn_get(txn, GN_DB_REF, op->ref_key, klen, &val, &vlen);
    if (rc == 0 && vlen >= 16 && gn_get_be64((const uint8_t *) val + 8) >= op->seq
        && gn_get_be64(val) == op->origin)
        return GN_OK;   // an older op of the same origin: keep what we have
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    void *dst;
    size_t len = 16 + op->ref_value.len;
    if ((rc = gn_txn_reserve(txn, GN_DB_REF, op->ref_key, klen, len, &dst)) != 0)
        return rc;
    gn_put_be64(dst, op->origin);
    gn_put_be64((uint8_t *) dst + 8, op->seq);
    if (op->ref_value.len)
        memcpy((uint8_t *) dst + 16, op->ref_value.data, op->ref_value.len);
    return GN_OK;
}

static int
s_sv_cmp(const void *a, const void *b)
{
    const Gridnet__Supervision *x = *(Gridnet__Supervision *const *) a;
    const Gridnet__Supervision *y = *(Gridnet__Supervision *const *) b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->origin != y->origin)
        return x->origin < y->origin ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
gn_supervision_derive(gn_case_t *c)
{
    qsort(c->supervision, c->n_supervision, sizeof *c->supervision, s_sv_cmp);
    c->supervisions = (uint32_t) c->n_supervision;
    c->urgency = 0;
    c->supervised_due = 0;
    for (size_t i = 0; i < c->n_supervision; i++) {
        if (c->supervision[i]->urgency > c->urgency)
            c->urgency = c->supervision[i]->urgency;
        //  The latest deadline set for the current owner binds; a transfer
        //  (new epoch) leaves earlier ones behind.
        if (c->supervision[i]->due && c->supervision[i]->epoch == c->epoch)
            c->supervised_due = c->supervision[i]->due;
    }
}

//  out = base with the union of both states' supervisions (by op id).
//  Supervisions are a set, so every replica ends with the same one whatever
//  order the ops came in. Returns how many `other` added.
static size_t
s_sv_union(const gn_case_t *base, const gn_case_t *other, gn_case_t *out,
           Gridnet__Supervision **buf, size_t cap)
{
    *out = *base;
    size_t n = 0, added = 0;
    for (size_t i = 0; i < base->n_supervision && n < cap; i++)
        buf[n++] = base->supervision[i];
    for (size_t i = 0; other && i < other->n_supervision && n < cap; i++) {
        bool seen = false;
        for (size_t j = 0; j < base->n_supervision && !seen; j++)
            seen = base->supervision[j]->origin == other->supervision[i]->origin
                && base->supervision[j]->seq == other->supervision[i]->seq;
        if (!seen) {
            buf[n++] = other->supervision[i];
            added++;
        }
    }
    out->supervision = buf;
    out->n_supervision = n;
    gn_supervision_derive(out);   // sorts them, oldest first
    if (out->n_supervision > GN_SUPERVISION_MAX) {   // keep the newest: every replica alike
        out->supervision += out->n_supervision - GN_SUPERVISION_MAX;
        out->n_supervision = GN_SUPERVISION_MAX;
        gn_supervision_derive(out);
    }
    return added;
}

//  A verified grid worker's report earns its reward: one ledger entry per
//  verifying op, so applying the op again (or elsewhere) never pays twice.
static int
s_ledger(gn_txn_t *txn, const gn_op_t *op)
{
    const gn_case_t *c = op->state;
    if (op->action != ACT(VERIFY) || c->status != GRIDNET__STATUS__ST_VERIFIED || c->reward <= 0)
        return GN_OK;
    const char *rule = c->severity == GRIDNET__SEVERITY__SEV_MAJOR ? "quality+major"
                     : c->severity == GRIDNET__SEVERITY__SEV_EMERGENCY ? "quality+emergency"
                     : "quality";
    json_t *entry = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:s}",
        "worker", c->reporter && c->reporter->id ? c->reporter->id : "",
        "name", c->reporter && c->reporter->name ? c->reporter->name : "",
        "case", c->id, "fen", (json_int_t) c->reward, "rule", rule,
        "time", (json_int_t) op->time, "node", (json_int_t) c->origin, "grid", c->grid ? c->grid : "");
    char *text = entry ? json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(entry);
    if (!text)
        return GN_ENOMEM;
    uint8_t key[16];
    gn_op_key(key, op->origin, op->seq);
    int rc = gn_txn_put(txn, GN_DB_LEDGER, key, sizeof key, text, strlen(text));
    free(text);
    return rc;
}

static int
s_apply_case(gn_txn_t *txn, const gn_apply_ctx_t *ctx, const gn_op_t *op,
             const void *bytes, size_t len, gn_apply_result_t *result)
{
    gn_case_t *known = NULL;
    int rc = gn_cases_get(txn, op->case_id, &known);
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    if (ctx->from == GN_FROM_CHILD && !s_follows(op, known)) {
        gn_warn("apply: op %012llu/%llu on %s v%u e%u from %012llu is stale "
                "(known: owner %012llu e%u v%u): kept as a conflict",
                (unsigned long long) op->origin, (unsigned long long) op->seq, op->case_id,
                op->version, op->epoch, (unsigned long long) ctx->peer,
                (unsigned long long) (known ? known->owner : 0), known ? known->epoch : 0,
                known ? known->version : 0);
        gn_codec_free_case(&known);
        *result = GN_APPLY_CONFLICT;
        return s_conflict(txn, ctx, op, bytes, len);
    }
    rc = GN_OK;
    if (!known)
        rc = gn_cases_put(txn, op->state, NULL);
    else {
        Gridnet__Supervision *buf[2 * GN_SUPERVISION_MAX];
        gn_case_t merged;
        bool newer = s_newer(op->state, known);
        size_t added = newer ? s_sv_union(op->state, known, &merged, buf, 2 * GN_SUPERVISION_MAX)
                             : s_sv_union(known, op->state, &merged, buf, 2 * GN_SUPERVISION_MAX);
        if (newer || added)
            rc = gn_cases_put(txn, &merged, known);
    }
    gn_codec_free_case(&known);
    if (rc == 0)
        rc = gn_cases_history_add(txn, op);
    if (rc == 0)
        rc = s_ledger(txn, op);
    return rc;
}

int
gn_apply(gn_txn_t *txn, const gn_apply_ctx_t *ctx, const gn_op_t *op,
         const void *bytes, size_t len, gn_apply_result_t *result)
{
    bool is_ref = op->action == ACT(REFDATA);
    bool is_seal = op->action == ACT(SEAL);
    *result = GN_APPLY_NEW;
    if (ctx->from == GN_FROM_CHILD
        && (is_ref || !gn_node_in_subtree(op->origin, ctx->peer)))
        return GN_ESCOPE;   // I8: a child speaks only for its own subtree
    if (is_seal ? op->sig.len != GN_ED25519_SIGLEN || op->prev.len != GN_SHA256_LEN
        : is_ref ? !op->ref_key || !*op->ref_key
        : !op->state || !op->case_id || strcmp(op->case_id, op->state->id ? op->state->id : "") != 0
          || op->state->version != op->version)
        return GN_EINVAL;
    int rc = gn_ops_exists(txn, op->origin, op->seq);
    if (rc == 0) {
        *result = GN_APPLY_DUP;
        return GN_OK;
    }
    if (rc != GN_ENOTFOUND)
        return rc;
    if (ctx->conflict) {
        *result = GN_APPLY_CONFLICT;
        return is_ref || is_seal ? GN_EINVAL : s_conflict(txn, ctx, op, bytes, len);
    }
    rc = is_seal ? GN_OK
       : is_ref ? s_apply_ref(txn, op) : s_apply_case(txn, ctx, op, bytes, len, result);
    if (rc != 0 || *result == GN_APPLY_CONFLICT)
        return rc;
    if ((rc = gn_ops_put_raw(txn, op->origin, op->seq, bytes, len)) != 0)
        return rc;
    return s_feed(txn, ctx, op, 0, bytes, len);
}

// ---------------------------------------------------------------------------
//  Per-origin op chains and seals.

static void
s_chain_key(char key[16], uint64_t origin)
{
    memcpy(key, "chain/", 6);
    gn_put_be64((uint8_t *) key + 6, origin);
}

int
gn_chain_load(gn_txn_t *txn, uint64_t origin, gn_chain_t *c)
{
    char key[16];
    const void *val;
    size_t vlen;
    memset(c, 0, sizeof *c);
    c->origin = origin;
    s_chain_key(key, origin);
    int rc = gn_txn_get(txn, GN_DB_META, key, 14, &val, &vlen);
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    if (vlen != 8 + GN_SHA256_LEN)
        return GN_ESTORE;
    c->seq = gn_get_be64(val);
    memcpy(c->chain, (const uint8_t *) val + 8, GN_SHA256_LEN);
    return GN_OK;
}

int
gn_chain_store(gn_txn_t *txn, const gn_chain_t *c)
{
    char key[16];
    uint8_t val[8 + GN_SHA256_LEN];
    s_chain_key(key, c->origin);
    gn_put_be64(val, c->seq);
    memcpy(val + 8, c->chain, GN_SHA256_LEN);
    return gn_txn_put(txn, GN_DB_META, key, 14, val, sizeof val);
}

int
gn_chain_follow(gn_chain_t *c, const gn_op_t *op, const void *bytes, size_t len)
{
    if (op->origin != c->origin || op->seq != c->seq + 1 || op->prev.len != GN_SHA256_LEN
        || memcmp(op->prev.data, c->chain, GN_SHA256_LEN) != 0)
        return GN_ESTALE;
    int rc = gn_chain_next(c->chain, bytes, len, c->chain);
    if (rc == 0)
        c->seq = op->seq;
    return rc;
}

//  What a seal signs: "gridnet-seal" || origin || seq || prev.
static void
s_seal_msg(uint8_t msg[12 + 16 + GN_SHA256_LEN], uint64_t origin, uint64_t seq,
           const uint8_t prev[GN_SHA256_LEN])
{
    memcpy(msg, "gridnet-seal", 12);
    gn_put_be64(msg + 12, origin);
    gn_put_be64(msg + 20, seq);
    memcpy(msg + 28, prev, GN_SHA256_LEN);
}

int
gn_seal_verify(gn_sigkey_t *key, const gn_op_t *seal)
{
    if (!key || seal->action != ACT(SEAL) || seal->sig.len != GN_ED25519_SIGLEN
        || seal->prev.len != GN_SHA256_LEN)
        return GN_ECRYPTO;
    uint8_t msg[12 + 16 + GN_SHA256_LEN];
    s_seal_msg(msg, seal->origin, seal->seq, seal->prev.data);
    return gn_verify(key, msg, sizeof msg, seal->sig.data);
}

int
gn_apply_seal(gn_txn_t *txn, uint64_t self, gn_sigkey_t *key)
{
    if (!key)
        return GN_OK;   // insecure development mode: nothing to sign with
    uint64_t seq, sealed;
    int rc = gn_meta_get(txn, "op_seq", &seq);
    if (rc != 0 || (rc = gn_meta_get(txn, "sealed", &sealed)) != 0)
        return rc;
    if (sealed >= seq)
        return GN_OK;   // nothing written since the last seal
    gn_chain_t c;
    if ((rc = gn_chain_load(txn, self, &c)) != 0)
        return rc;
    uint8_t msg[12 + 16 + GN_SHA256_LEN], sig[GN_ED25519_SIGLEN];
    s_seal_msg(msg, self, seq + 1, c.chain);
    if ((rc = gn_sign(key, msg, sizeof msg, sig)) != 0)
        return rc;
    gn_op_t op = GRIDNET__OP__INIT;
    op.action = ACT(SEAL);
    op.sig.data = sig;
    op.sig.len = sizeof sig;
    if ((rc = gn_apply_local(txn, self, &op)) != 0)
        return rc;
    return gn_meta_put(txn, "sealed", op.seq);
}

typedef struct {
    gn_txn_t *txn;
    uint64_t self;
    uint64_t child;
} backfill_t;

static int
s_backfill_op(uint64_t origin, uint64_t seq, void *arg)
{
    backfill_t *b = arg;
    gn_feed_rec_t rec = { .origin = origin, .seq = seq, .from = b->self,
                          .flags = GN_FEED_BACKFILL, .nscope = 1, .scope = { b->child } };
    const void *bytes;
    size_t len;
    uint64_t fseq;
    int rc = gn_ops_raw(b->txn, origin, seq, &bytes, &len);
    return rc ? rc : gn_feed_append(b->txn, &rec, bytes, len, &fseq);
}

int
gn_apply_backfill(gn_txn_t *txn, uint64_t self, const gn_case_t *c, uint64_t child)
{
    if (gn_node_in_subtree(c->origin, child))
        return GN_OK;
    for (size_t i = 0; i < c->n_trail; i++)
        if (gn_node_in_subtree(c->trail[i], child))
            return GN_OK;
    uint8_t key[16];
    if (gn_case_key_from_text(key, c->id) != 0)
        return GN_EINVAL;
    backfill_t b = { txn, self, child };
    return gn_cases_history(txn, key, s_backfill_op, &b);
}

int
gn_apply_next_seq(gn_txn_t *txn, uint64_t *seq)
{
    int rc = gn_meta_get(txn, "op_seq", seq);
    if (rc == 0)
        ++*seq;
    return rc;
}

int
gn_apply_local(gn_txn_t *txn, uint64_t self, gn_op_t *op)
{
    uint64_t seq;
    int rc = gn_meta_get(txn, "op_seq", &seq);
    if (rc != 0)
        return rc;
    gn_chain_t c;
    if ((rc = gn_chain_load(txn, self, &c)) != 0)
        return rc;
    op->origin = self;
    op->seq = seq + 1;
    op->prev.data = c.chain;
    op->prev.len = GN_SHA256_LEN;
    if (gn_codec_check_op(op) != 0)
        return GN_EMALFORMED;   // checked before any write: nothing to undo
    if ((rc = gn_meta_put(txn, "op_seq", seq + 1)) != 0)
        return rc;
    uint8_t *buf;
    size_t len;
    if ((rc = gn_codec_pack(&op->base, GN_ENVELOPE_MAX / 2, &buf, &len)) != 0)
        return rc;
    gn_apply_ctx_t ctx = { .self = self, .peer = self, .from = GN_FROM_LOCAL };
    gn_apply_result_t result;
    rc = gn_apply(txn, &ctx, op, buf, len, &result);
    if (rc == 0 && (rc = gn_chain_follow(&c, op, buf, len)) == 0)
        rc = gn_chain_store(txn, &c);
    free(buf);
    op->prev.data = NULL;   // pointed at our stack
    op->prev.len = 0;
    if (rc == 0 && result != GN_APPLY_NEW)
        rc = GN_ESTORE;   // a fresh local id can be neither a duplicate nor stale
    return rc;
}
