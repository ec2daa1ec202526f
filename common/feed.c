/*  feed.c -- feed records, ops and peer cursors in the store.

    Feed record layout (big-endian): origin u64 | seq u64 | from u64 |
    flags u8 | nscope u8 | scope u64 * nscope | chain 32 bytes.  */
#include "feed.h"
#include "crypto.h"
#include "err.h"
#include "ids.h"

#include <string.h>

#define REC_FIXED 26

static size_t
s_rec_encode(const gn_feed_rec_t *rec, uint8_t *buf)
{
    gn_put_be64(buf, rec->origin);
    gn_put_be64(buf + 8, rec->seq);
    gn_put_be64(buf + 16, rec->from);
    buf[24] = rec->flags;
    buf[25] = rec->nscope;
    for (unsigned i = 0; i < rec->nscope; i++)
        gn_put_be64(buf + REC_FIXED + 8 * i, rec->scope[i]);
    return REC_FIXED + 8 * (size_t) rec->nscope;
}

static int
s_rec_decode(const uint8_t *buf, size_t len, gn_feed_rec_t *rec)
{
    if (len < REC_FIXED || buf[25] > GN_SCOPE_MAX || len != REC_FIXED + 8 * (size_t) buf[25] + 32)
        return GN_ESTORE;
    memcpy(rec->chain, buf + len - 32, 32);
    rec->origin = gn_get_be64(buf);
    rec->seq = gn_get_be64(buf + 8);
    rec->from = gn_get_be64(buf + 16);
    rec->flags = buf[24];
    rec->nscope = buf[25];
    for (unsigned i = 0; i < rec->nscope; i++)
        rec->scope[i] = gn_get_be64(buf + REC_FIXED + 8 * i);
    return GN_OK;
}

int
gn_feed_head(gn_txn_t *txn, uint64_t *head)
{
    return gn_meta_get(txn, "feed_head", head);
}

int
gn_feed_skip_to(gn_txn_t *txn, uint64_t seq)
{
    uint64_t head;
    int rc = gn_feed_head(txn, &head);
    if (rc == 0 && seq > head)
        rc = gn_meta_put(txn, "feed_head", seq);
    return rc;
}

int
gn_feed_chain(const uint8_t prev[32], const gn_feed_rec_t *rec, const void *op, size_t oplen,
              uint8_t out[32])
{
    uint8_t val[REC_FIXED + 8 * GN_SCOPE_MAX];
    size_t len = s_rec_encode(rec, val);
    gn_sha256_t *h = NULL;
    int rc = gn_sha256_new(&h);
    if (rc != 0)
        return rc;
    rc = gn_sha256_update(h, prev, 32);
    if (rc == 0)
        rc = gn_sha256_update(h, val, len);
    if (rc == 0)
        rc = gn_sha256_update(h, op, oplen);
    if (rc == 0)
        rc = gn_sha256_final(h, out);
    gn_sha256_destroy(&h);
    return rc;
}

int
gn_feed_append(gn_txn_t *txn, const gn_feed_rec_t *rec, const void *op, size_t oplen,
               uint64_t *seq)
{
    uint64_t head;
    int rc = gn_feed_head(txn, &head);
    if (rc != 0)
        return rc;
    uint8_t prev[32] = { 0 };
    const void *pv;
    size_t plen;
    rc = gn_txn_get(txn, GN_DB_META, "feed_chain", 10, &pv, &plen);
    if (rc == 0 && plen == 32)
        memcpy(prev, pv, 32);
    else if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    uint8_t key[8], val[REC_FIXED + 8 * GN_SCOPE_MAX + 32];
    gn_put_be64(key, head + 1);
    size_t len = s_rec_encode(rec, val);
    if ((rc = gn_feed_chain(prev, rec, op, oplen, val + len)) != 0)
        return rc;
    if ((rc = gn_txn_put(txn, GN_DB_FEED, key, sizeof key, val, len + 32)) != 0
        || (rc = gn_txn_put(txn, GN_DB_META, "feed_chain", 10, val + len, 32)) != 0
        || (rc = gn_meta_put(txn, "feed_head", head + 1)) != 0)
        return rc;
    *seq = head + 1;
    return GN_OK;
}

typedef struct {
    gn_feed_fn *fn;             // caller's visitor
    void *arg;                  // its argument
} feed_scan_t;

static int
s_feed_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    feed_scan_t *scan = arg;
    gn_feed_rec_t rec;
    if (klen != 8 || s_rec_decode(val, vlen, &rec) != 0)
        return GN_ESTORE;
    return scan->fn(gn_get_be64(key), &rec, scan->arg);
}

int
gn_feed_scan(gn_txn_t *txn, uint64_t after, gn_feed_fn *fn, void *arg)
{
    uint8_t from[8];
    gn_put_be64(from, after);
    feed_scan_t scan = { fn, arg };
    return gn_txn_scan(txn, GN_DB_FEED, from, sizeof from, true, 0, s_feed_visit, &scan);
}

bool
gn_feed_concerns(const gn_feed_rec_t *rec, uint64_t node)
{
    if (rec->flags & GN_FEED_SEAL)
        return false;   // a seal proves a whole origin stream: only parents get those
    if (rec->flags & GN_FEED_REF)
        return true;
    for (unsigned i = 0; i < rec->nscope; i++)
        if (gn_node_in_subtree(rec->scope[i], node))
            return true;
    return false;
}

static void
s_scope_add(gn_feed_rec_t *rec, uint64_t node)
{
    if (node == 0)
        return;
    for (unsigned i = 0; i < rec->nscope; i++)
        if (rec->scope[i] == node)
            return;
    if (rec->nscope < GN_SCOPE_MAX)
        rec->scope[rec->nscope++] = node;
}

void
gn_feed_scope(gn_feed_rec_t *rec, const gn_op_t *op)
{
    rec->nscope = 0;
    if (op->action == GRIDNET__ACTION__ACT_REFDATA)
        rec->flags |= GN_FEED_REF;
    if (op->action == GRIDNET__ACTION__ACT_SEAL)
        rec->flags |= GN_FEED_SEAL;
    if (!op->state)
        return;
    s_scope_add(rec, op->state->origin);
    //  Newest owners first: if a long trail overflows, the recent ones count.
    for (size_t i = op->state->n_trail; i-- > 0;)
        s_scope_add(rec, op->state->trail[i]);
}

int
gn_ops_put_raw(gn_txn_t *txn, uint64_t origin, uint64_t seq, const void *bytes, size_t len)
{
    uint8_t key[16];
    gn_op_key(key, origin, seq);
    return gn_txn_put(txn, GN_DB_OPS, key, sizeof key, bytes, len);
}

int
gn_ops_raw(gn_txn_t *txn, uint64_t origin, uint64_t seq, const void **bytes, size_t *len)
{
    uint8_t key[16];
    gn_op_key(key, origin, seq);
    return gn_txn_get(txn, GN_DB_OPS, key, sizeof key, bytes, len);
}

int
gn_ops_get(gn_txn_t *txn, uint64_t origin, uint64_t seq, gn_op_t **op)
{
    const void *bytes;
    size_t len;
    int rc = gn_ops_raw(txn, origin, seq, &bytes, &len);
    if (rc != 0)
        return rc;
    *op = gn_codec_unpack_op(bytes, len, &rc);
    return *op ? GN_OK : GN_ESTORE;
}

int
gn_ops_exists(gn_txn_t *txn, uint64_t origin, uint64_t seq)
{
    const void *bytes;
    size_t len;
    return gn_ops_raw(txn, origin, seq, &bytes, &len);
}

int
gn_ops_max_seq(gn_txn_t *txn, uint64_t origin, uint64_t *seq)
{
    uint8_t prefix[8];
    gn_put_be64(prefix, origin);
    const void *key;
    size_t klen;
    int rc = gn_txn_last(txn, GN_DB_OPS, prefix, sizeof prefix, &key, &klen, NULL, NULL);
    *seq = 0;
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc == 0 && klen == 16)
        *seq = gn_get_be64((const uint8_t *) key + 8);
    return rc;
}

int
gn_peer_cursor_get(gn_txn_t *txn, uint64_t peer, uint64_t *cursor)
{
    uint8_t key[8];
    gn_put_be64(key, peer);
    const void *val;
    size_t vlen;
    int rc = gn_txn_get(txn, GN_DB_PEERS, key, sizeof key, &val, &vlen);
    *cursor = 0;
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    if (vlen != 8)
        return GN_ESTORE;
    *cursor = gn_get_be64(val);
    return GN_OK;
}

int
gn_peer_cursor_put(gn_txn_t *txn, uint64_t peer, uint64_t cursor)
{
    uint8_t key[8], val[8];
    gn_put_be64(key, peer);
    gn_put_be64(val, cursor);
    return gn_txn_put(txn, GN_DB_PEERS, key, sizeof key, val, sizeof val);
}
