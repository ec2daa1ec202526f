/*  cases.c -- case records and their indexes.

    Keys (big-endian):
      cases       case key (origin u64, n u64)                 -> packed Case
      history     case key | version u32 | op key              -> ""
      conflicts   case key | op key                            -> packed Op
      idx_status  status u8 | case key                          -> ""
      idx_owner   owner u64 | case key                          -> ""
      idx_grid    grid text | NUL | case key                    -> ""
      idx_due     owner u64 | overdue u8 | due ms u64 | case key -> "" (open cases)
      idx_time    the case's summary for reports and its C/D/O entries (summary.h)  */
#include "cases.h"
#include "err.h"
#include "ids.h"
#include "summary.h"

#include <stdlib.h>
#include <string.h>

#define GRID_KEY_MAX (GN_FIELD_MAX + 1 + 16)

static int
s_key_of(const gn_case_t *c, uint8_t key[16])
{
    return gn_case_key_from_text(key, c->id);
}

int
gn_cases_get_key(gn_txn_t *txn, const uint8_t key[16], gn_case_t **c)
{
    const void *val;
    size_t vlen;
    int rc = gn_txn_get(txn, GN_DB_CASES, key, 16, &val, &vlen);
    if (rc != 0)
        return rc;
    *c = gn_codec_unpack_case(val, vlen, &rc);
    return *c ? GN_OK : GN_ESTORE;
}

int
gn_cases_get(gn_txn_t *txn, const char *id, gn_case_t **c)
{
    uint8_t key[16];
    if (gn_case_key_from_text(key, id) != 0)
        return GN_EINVAL;
    return gn_cases_get_key(txn, key, c);
}

static size_t
s_grid_key(uint8_t *out, const char *grid, const uint8_t key[16])
{
    size_t n = strlen(grid);
    if (n > GN_FIELD_MAX)
        n = GN_FIELD_MAX;
    memcpy(out, grid, n);
    out[n] = 0;
    memcpy(out + n + 1, key, 16);
    return n + 17;
}

int64_t
gn_case_due(const gn_case_t *c)
{
    switch (c->status) {
    case GRIDNET__STATUS__ST_REPORTED:
        return c->due_accept;
    case GRIDNET__STATUS__ST_ACCEPTED:
    case GRIDNET__STATUS__ST_DISPATCHED:
        return c->supervised_due ? c->supervised_due : c->due_handle;
    default:
        return 0;
    }
}

//  Add (put) or remove (!put) the index entries of c.
static int
s_index(gn_txn_t *txn, const gn_case_t *c, const uint8_t key[16], bool put)
{
    uint8_t k[GRID_KEY_MAX];
    int rc;
    int64_t due = gn_case_due(c);
    if (due > 0) {
        gn_put_be64(k, c->owner);
        k[8] = c->overdue ? 1 : 0;
        gn_put_be64(k + 9, (uint64_t) due);
        memcpy(k + 17, key, 16);
        rc = put ? gn_txn_put(txn, GN_DB_IDX_DUE, k, 33, "", 0)
                 : gn_txn_del(txn, GN_DB_IDX_DUE, k, 33);
        if (rc != 0 && rc != GN_ENOTFOUND)
            return rc;
    }
    k[0] = (uint8_t) c->status;
    memcpy(k + 1, key, 16);
    rc = put ? gn_txn_put(txn, GN_DB_IDX_STATUS, k, 17, "", 0)
             : gn_txn_del(txn, GN_DB_IDX_STATUS, k, 17);
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    gn_put_be64(k, c->owner);
    memcpy(k + 8, key, 16);
    rc = put ? gn_txn_put(txn, GN_DB_IDX_OWNER, k, 24, "", 0)
             : gn_txn_del(txn, GN_DB_IDX_OWNER, k, 24);
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    size_t n = s_grid_key(k, c->grid ? c->grid : "", key);
    rc = put ? gn_txn_put(txn, GN_DB_IDX_GRID, k, n, "", 0)
             : gn_txn_del(txn, GN_DB_IDX_GRID, k, n);
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    return GN_OK;
}

int
gn_cases_put(gn_txn_t *txn, const gn_case_t *c, const gn_case_t *old)
{
    uint8_t key[16];
    int rc;
    if (s_key_of(c, key) != 0)
        return GN_EINVAL;
    if (old) {
        bool same = old->status == c->status && old->owner == c->owner
                 && gn_case_due(old) == gn_case_due(c) && old->overdue == c->overdue
                 && strcmp(old->grid ? old->grid : "", c->grid ? c->grid : "") == 0;
        if (!same && ((rc = s_index(txn, old, key, false)) != 0
                      || (rc = s_index(txn, c, key, true)) != 0))
            return rc;
    }
    else if ((rc = s_index(txn, c, key, true)) != 0)
        return rc;
    if ((rc = gn_summary_index_case(txn, c, key)) != 0)
        return rc;
    size_t len = gn_codec_size(&c->base);
    void *dst;
    if ((rc = gn_txn_reserve(txn, GN_DB_CASES, key, 16, len, &dst)) != 0)
        return rc;
    gn_codec_pack_to(&c->base, len, dst);
    return GN_OK;
}

int
gn_cases_max_n(gn_txn_t *txn, uint64_t origin, uint64_t *n)
{
    uint8_t prefix[8];
    gn_put_be64(prefix, origin);
    const void *key;
    size_t klen;
    int rc = gn_txn_last(txn, GN_DB_CASES, prefix, 8, &key, &klen, NULL, NULL);
    *n = 0;
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc == 0 && klen == 16)
        *n = gn_get_be64((const uint8_t *) key + 8);
    return rc;
}

int
gn_cases_history_add(gn_txn_t *txn, const gn_op_t *op)
{
    uint8_t k[16 + 4 + 16];
    if (gn_case_key_from_text(k, op->case_id) != 0)
        return GN_EINVAL;
    k[16] = (uint8_t) (op->version >> 24);
    k[17] = (uint8_t) (op->version >> 16);
    k[18] = (uint8_t) (op->version >> 8);
    k[19] = (uint8_t) op->version;
    gn_op_key(k + 20, op->origin, op->seq);
    int rc = gn_txn_put(txn, GN_DB_HISTORY, k, sizeof k, "", 0);
    return rc != 0 ? rc : gn_summary_index_op(txn, op, k);
}

typedef struct {
    gn_opid_fn *fn;             // caller's visitor
    void *arg;                  // its argument
} hist_scan_t;

static int
s_hist_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    hist_scan_t *scan = arg;
    if (klen != 36)
        return GN_ESTORE;
    uint64_t origin, seq;
    gn_op_key_split((const uint8_t *) key + 20, &origin, &seq);
    return scan->fn(origin, seq, scan->arg);
}

int
gn_cases_history(gn_txn_t *txn, const uint8_t key[16], gn_opid_fn *fn, void *arg)
{
    hist_scan_t scan = { fn, arg };
    return gn_txn_scan(txn, GN_DB_HISTORY, key, 16, false, 16, s_hist_visit, &scan);
}

int
gn_cases_conflict_add(gn_txn_t *txn, const uint8_t key[16], uint64_t origin, uint64_t seq,
                      const void *bytes, size_t len)
{
    uint8_t k[32];
    memcpy(k, key, 16);
    gn_op_key(k + 16, origin, seq);
    return gn_txn_put(txn, GN_DB_CONFLICTS, k, sizeof k, bytes, len);
}

typedef struct {
    gn_bytes_fn *fn;            // caller's visitor
    void *arg;                  // its argument
} bytes_scan_t;

static int
s_bytes_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    bytes_scan_t *scan = arg;
    return scan->fn(val, vlen, scan->arg);
}

int
gn_cases_conflicts(gn_txn_t *txn, const uint8_t key[16], gn_bytes_fn *fn, void *arg)
{
    bytes_scan_t scan = { fn, arg };
    return gn_txn_scan(txn, GN_DB_CONFLICTS, key, 16, false, 16, s_bytes_visit, &scan);
}

//  Listing through an index: load each case and check the other filters.
typedef struct {
    gn_txn_t *txn;
    const gn_case_filter_t *filter;
    size_t key_off;             // where the case key starts in an index key
    gn_bytes_fn *fn;
    void *arg;
} list_scan_t;

static bool
s_match(const gn_case_filter_t *f, const gn_case_t *c)
{
    return (f->status == 0 || (int) c->status == f->status)
        && (f->owner == 0 || c->owner == f->owner)
        && (!f->grid || !*f->grid || strcmp(c->grid ? c->grid : "", f->grid) == 0);
}

static int
s_list_case(list_scan_t *scan, const void *val, size_t vlen)
{
    int err;
    gn_case_t *c = gn_codec_unpack_case(val, vlen, &err);
    if (!c)
        return GN_ESTORE;
    bool match = s_match(scan->filter, c);
    gn_codec_free_case(&c);
    return match ? scan->fn(val, vlen, scan->arg) : 0;
}

static int
s_list_index_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    list_scan_t *scan = arg;
    if (klen != scan->key_off + 16)
        return GN_ESTORE;
    const void *cval;
    size_t clen;
    int rc = gn_txn_get(scan->txn, GN_DB_CASES, (const uint8_t *) key + scan->key_off, 16,
                        &cval, &clen);
    if (rc != 0)
        return rc == GN_ENOTFOUND ? GN_ESTORE : rc;
    return s_list_case(scan, cval, clen);
}

static int
s_list_cases_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    return s_list_case(arg, val, vlen);
}

int
gn_cases_list(gn_txn_t *txn, const gn_case_filter_t *f, gn_bytes_fn *fn, void *arg)
{
    list_scan_t scan = { txn, f, 0, fn, arg };
    uint8_t k[GRID_KEY_MAX];
    size_t prefix, klen;
    gn_db_t db;
    static const uint8_t zero[16];
    const uint8_t *after = f->after ? f->after : zero;
    if (f->grid && *f->grid) {
        db = GN_DB_IDX_GRID;
        klen = s_grid_key(k, f->grid, after);
        prefix = klen - 16;
    }
    else if (f->owner) {
        db = GN_DB_IDX_OWNER;
        gn_put_be64(k, f->owner);
        memcpy(k + 8, after, 16);
        prefix = 8;
        klen = 24;
    }
    else if (f->status) {
        db = GN_DB_IDX_STATUS;
        k[0] = (uint8_t) f->status;
        memcpy(k + 1, after, 16);
        prefix = 1;
        klen = 17;
    }
    else {
        memcpy(k, after, 16);
        return gn_txn_scan(txn, GN_DB_CASES, k, 16, f->after != NULL, 0, s_list_cases_visit,
                           &scan);
    }
    scan.key_off = prefix;
    return gn_txn_scan(txn, db, k, klen, f->after != NULL, prefix, s_list_index_visit, &scan);
}
