/*  summary.c -- the case summaries behind the reports (see summary.h).

    Index records (GN_DB_IDX_TIME, big-endian):
      'R' | reported ms u64 | case key     -> summary record (below)
      'C' | closed ms u64   | case key     -> reported ms u64   (closed cases)
      'D' | due ms u64      | case key     -> reported ms u64   (cases with a deadline)
      'O' | case key                       -> reported ms u64   (open and overdue now)

    Summary record, layout GN_SUMMARY_VERSION 1 (96 fixed bytes, then the
    three strings, each at most 255 bytes, cut at a UTF-8 boundary):
       0 u8 layout   1 u8 status   2 u8 severity   3 u8 flags   4 u8 rating
       5 u8 0        6 u16 reworks 8 u16 supervisions 10 u16 escalations
      12 u16 grid serial  14 u64 village  22 u64 due  30 u64 closed
      38 u64 x 5 milestones (accept, dispatch, handle, archive, evaluate)
      78 u64 reward fen   86 u8 category length  87 u8 department length
      88 u8 worker length  89..95 zero   96 category | department | worker  */
#include "summary.h"
#include "cases.h"
#include "err.h"
#include "feed.h"
#include "ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(x)  GRIDNET__STATUS__ST_##x
#define ACT(x) GRIDNET__ACTION__ACT_##x

#define DAY_MS      86400000LL
#define CST_MS      (8 * 3600000LL)     // China Standard Time, UTC+8, no DST
#define SUM_FIXED   96                  // fixed part of a summary record
#define SUM_STR_MAX 255                 // bytes kept of each string
#define R_KEY_LEN   GN_SUMMARY_KEY_LEN  // 'R' | ms | case key
#define O_KEY_LEN   GN_SUMMARY_OKEY_LEN // 'O' | case key
#define REBUILD_BATCH 5000              // cases per write transaction when rebuilding
#define META_KEY    "report_index"      // GN_SUMMARY_VERSION of the index

// ---------------------------------------------------------------------------
//  Months

static int64_t
s_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

static void
s_civil_from_days(int64_t z, int64_t *y, unsigned *m)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

bool
gn_month_valid(unsigned yyyymm)
{
    unsigned y = yyyymm / 100, m = yyyymm % 100;
    return y >= 1970 && y <= 9999 && m >= 1 && m <= 12;
}

int64_t
gn_month_start(unsigned yyyymm)
{
    return s_days_from_civil(yyyymm / 100, yyyymm % 100, 1) * DAY_MS - CST_MS;
}

unsigned
gn_month_of(int64_t t)
{
    int64_t local = t + CST_MS;
    int64_t days = local / DAY_MS - (local % DAY_MS < 0);
    int64_t y;
    unsigned m;
    s_civil_from_days(days, &y, &m);
    if (y < 0)
        return 0;
    return (unsigned) y * 100 + m;
}

unsigned
gn_month_add(unsigned yyyymm, int n)
{
    int64_t i = (int64_t) (yyyymm / 100) * 12 + (yyyymm % 100) - 1 + n;
    if (i < 0)
        return 0;
    return (unsigned) (i / 12) * 100 + (unsigned) (i % 12) + 1;
}

int
gn_month_diff(unsigned a, unsigned b)
{
    return (int) ((int64_t) (b / 100) * 12 + b % 100 - (int64_t) (a / 100) * 12 - a % 100);
}

// ---------------------------------------------------------------------------
//  The summary record

static void
s_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}

static uint16_t
s_get16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static uint16_t
s_sat16(uint32_t v)
{
    return v > 65535 ? 65535 : (uint16_t) v;
}

//  Copy at most SUM_STR_MAX bytes of src, not splitting a UTF-8 sequence.
static void
s_copy_str(char dst[256], const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n > SUM_STR_MAX) {
        n = SUM_STR_MAX;
        while (n > 0 && ((unsigned char) src[n] & 0xc0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}

bool
gn_summary_closed(int status)
{
    return status == ST(VERIFIED) || status == ST(ARCHIVED) || status == ST(EVALUATED);
}

bool
gn_summary_open(int status)
{
    return status == ST(REPORTED) || status == ST(ACCEPTED) || status == ST(DISPATCHED);
}

void
gn_summary_of_case(const gn_case_t *c, const uint8_t key[16], gn_summary_t *s)
{
    memset(s, 0, sizeof *s);
    s->created = c->created;
    memcpy(s->key, key, 16);
    s->status = (uint8_t) c->status;
    s->severity = (uint8_t) c->severity;
    s->rating = (uint8_t) (c->rating <= 5 ? c->rating : 0);
    s->reworks = s_sat16(c->reworks);
    s->supervisions = s_sat16(c->supervisions);
    s->escalations = s_sat16(c->escalations);
    uint64_t village = 0;
    unsigned serial = 0;
    if (c->grid && *c->grid && gn_grid_parse(c->grid, &village, &serial) == 0) {
        s->village = village;
        s->grid_serial = (uint16_t) serial;
    }
    else
        s->village = c->origin;
    s->due = c->due_handle ? c->due_handle : c->due_accept;
    s->closed = gn_summary_closed(c->status) ? c->closed : 0;
    s->reward = c->reward;
    if (c->overdue && gn_summary_open(c->status))
        s->flags |= GN_SUM_OVERDUE;
    if (c->parent_case && *c->parent_case)
        s->flags |= GN_SUM_TASK;
    if (c->reporter && c->reporter->kind == GRIDNET__REPORTER_KIND__RK_GRID_WORKER) {
        s->flags |= GN_SUM_WORKER;
        s_copy_str(s->worker, c->reporter->id);
    }
    s_copy_str(s->category, c->category);
    s_copy_str(s->department, c->assignee);
}

void
gn_summary_fold(gn_summary_t *s, int action, int64_t time)
{
    int64_t *ms = s->ms;
    switch (action) {
    case ACT(ACCEPT):
        if (!ms[GN_MS_ACCEPT] || time < ms[GN_MS_ACCEPT])
            ms[GN_MS_ACCEPT] = time;
        break;
    case ACT(DISPATCH):
        if (!ms[GN_MS_DISPATCH] || time < ms[GN_MS_DISPATCH])
            ms[GN_MS_DISPATCH] = time;
        break;
    case ACT(HANDLE):
        if (time > ms[GN_MS_HANDLE])
            ms[GN_MS_HANDLE] = time;
        break;
    case ACT(ARCHIVE):
        if (!ms[GN_MS_ARCHIVE] || time < ms[GN_MS_ARCHIVE])
            ms[GN_MS_ARCHIVE] = time;
        break;
    case ACT(EVALUATE):
        if (!ms[GN_MS_EVALUATE] || time < ms[GN_MS_EVALUATE])
            ms[GN_MS_EVALUATE] = time;
        break;
    case ACT(OVERDUE):
        s->flags |= GN_SUM_WAS_OVERDUE;
        break;
    default:
        break;
    }
}

static bool
s_folds(int action)
{
    return action == ACT(ACCEPT) || action == ACT(DISPATCH) || action == ACT(HANDLE)
        || action == ACT(ARCHIVE) || action == ACT(EVALUATE) || action == ACT(OVERDUE);
}

static size_t
s_summary_size(const gn_summary_t *s)
{
    return SUM_FIXED + strlen(s->category) + strlen(s->department) + strlen(s->worker);
}

static void
s_summary_encode(const gn_summary_t *s, uint8_t *p)
{
    memset(p, 0, SUM_FIXED);
    p[0] = GN_SUMMARY_VERSION;
    p[1] = s->status;
    p[2] = s->severity;
    p[3] = s->flags;
    p[4] = s->rating;
    s_put16(p + 6, s->reworks);
    s_put16(p + 8, s->supervisions);
    s_put16(p + 10, s->escalations);
    s_put16(p + 12, s->grid_serial);
    gn_put_be64(p + 14, s->village);
    gn_put_be64(p + 22, (uint64_t) s->due);
    gn_put_be64(p + 30, (uint64_t) s->closed);
    for (int i = 0; i < GN_MS_COUNT; i++)
        gn_put_be64(p + 38 + 8 * i, (uint64_t) s->ms[i]);
    gn_put_be64(p + 78, (uint64_t) s->reward);
    size_t lc = strlen(s->category), ld = strlen(s->department), lw = strlen(s->worker);
    p[86] = (uint8_t) lc;
    p[87] = (uint8_t) ld;
    p[88] = (uint8_t) lw;
    memcpy(p + SUM_FIXED, s->category, lc);
    memcpy(p + SUM_FIXED + lc, s->department, ld);
    memcpy(p + SUM_FIXED + lc + ld, s->worker, lw);
}

int
gn_summary_decode(const void *val, size_t len, gn_summary_t *s)
{
    const uint8_t *p = val;
    if (len < SUM_FIXED || p[0] != GN_SUMMARY_VERSION)
        return GN_ESTORE;
    size_t lc = p[86], ld = p[87], lw = p[88];
    if (len != SUM_FIXED + lc + ld + lw)
        return GN_ESTORE;
    s->status = p[1];
    s->severity = p[2];
    s->flags = p[3];
    s->rating = p[4];
    s->reworks = s_get16(p + 6);
    s->supervisions = s_get16(p + 8);
    s->escalations = s_get16(p + 10);
    s->grid_serial = s_get16(p + 12);
    s->village = gn_get_be64(p + 14);
    s->due = (int64_t) gn_get_be64(p + 22);
    s->closed = (int64_t) gn_get_be64(p + 30);
    for (int i = 0; i < GN_MS_COUNT; i++)
        s->ms[i] = (int64_t) gn_get_be64(p + 38 + 8 * i);
    s->reward = (int64_t) gn_get_be64(p + 78);
    memcpy(s->category, p + SUM_FIXED, lc);
    s->category[lc] = 0;
    memcpy(s->department, p + SUM_FIXED + lc, ld);
    s->department[ld] = 0;
    memcpy(s->worker, p + SUM_FIXED + lc + ld, lw);
    s->worker[lw] = 0;
    return GN_OK;
}

static void
s_r_key(uint8_t k[R_KEY_LEN], int64_t created, const uint8_t key[16])
{
    k[0] = 'R';
    gn_put_be64(k + 1, (uint64_t) created);
    memcpy(k + 9, key, 16);
}

int
gn_summary_get(gn_txn_t *txn, int64_t created, const uint8_t key[16], gn_summary_t *s)
{
    uint8_t k[R_KEY_LEN];
    s_r_key(k, created, key);
    const void *val;
    size_t vlen;
    int rc = gn_txn_get(txn, GN_DB_IDX_TIME, k, sizeof k, &val, &vlen);
    if (rc != 0)
        return rc;
    if ((rc = gn_summary_decode(val, vlen, s)) != 0)
        return rc;
    s->created = created;
    memcpy(s->key, key, 16);
    return GN_OK;
}

static int
s_summary_put(gn_txn_t *txn, const gn_summary_t *s)
{
    uint8_t k[R_KEY_LEN];
    s_r_key(k, s->created, s->key);
    void *dst;
    size_t len = s_summary_size(s);
    int rc = gn_txn_reserve(txn, GN_DB_IDX_TIME, k, sizeof k, len, &dst);
    if (rc == 0)
        s_summary_encode(s, dst);
    return rc;
}

//  The key of s's entry of kind 'C', 'D' or 'O'; 0 if s has none.
static size_t
s_entry_key(char kind, const gn_summary_t *s, uint8_t k[R_KEY_LEN])
{
    k[0] = (uint8_t) kind;
    int64_t t;
    switch (kind) {
    case 'C':
        t = gn_summary_closed(s->status) ? s->closed : 0;
        break;
    case 'D':
        t = s->due;
        break;
    default:
        if (!(s->flags & GN_SUM_OVERDUE))
            return 0;
        memcpy(k + 1, s->key, 16);
        return O_KEY_LEN;
    }
    if (t <= 0)
        return 0;
    gn_put_be64(k + 1, (uint64_t) t);
    memcpy(k + 9, s->key, 16);
    return R_KEY_LEN;
}

//  Move the C, D and O entries from old (NULL: none) to s.
static int
s_entries(gn_txn_t *txn, const gn_summary_t *old, const gn_summary_t *s)
{
    static const char kinds[] = { 'C', 'D', 'O' };
    uint8_t created[8];
    gn_put_be64(created, (uint64_t) s->created);
    for (size_t i = 0; i < sizeof kinds; i++) {
        uint8_t ko[R_KEY_LEN], kn[R_KEY_LEN];
        size_t lo = old ? s_entry_key(kinds[i], old, ko) : 0;
        size_t ln = s_entry_key(kinds[i], s, kn);
        if (lo == ln && memcmp(ko, kn, lo) == 0)
            continue;
        int rc;
        if (lo && (rc = gn_txn_del(txn, GN_DB_IDX_TIME, ko, lo)) != 0 && rc != GN_ENOTFOUND)
            return rc;
        if (ln && (rc = gn_txn_put(txn, GN_DB_IDX_TIME, kn, ln, created, 8)) != 0)
            return rc;
    }
    return GN_OK;
}

int
gn_summary_index_case(gn_txn_t *txn, const gn_case_t *c, const uint8_t key[16])
{
    gn_summary_t s, old;
    gn_summary_of_case(c, key, &s);
    int rc = gn_summary_get(txn, s.created, key, &old);
    bool had = rc == 0;
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    if (had) {   // what the history taught stays
        memcpy(s.ms, old.ms, sizeof s.ms);
        s.flags |= old.flags & GN_SUM_WAS_OVERDUE;
    }
    if ((rc = s_entries(txn, had ? &old : NULL, &s)) != 0)
        return rc;
    return s_summary_put(txn, &s);
}

int
gn_summary_index_op(gn_txn_t *txn, const gn_op_t *op, const uint8_t key[16])
{
    if (!op->state || !s_folds((int) op->action))
        return GN_OK;
    gn_summary_t s;
    int rc = gn_summary_get(txn, op->state->created, key, &s);
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    gn_summary_t before = s;
    gn_summary_fold(&s, (int) op->action, op->time);
    if (memcmp(before.ms, s.ms, sizeof s.ms) == 0 && before.flags == s.flags)
        return GN_OK;
    return s_summary_put(txn, &s);
}

// ---------------------------------------------------------------------------
//  Rebuilding the index from the cases and their histories

typedef struct {
    gn_txn_t *txn;
    gn_summary_t *s;
} fold_t;

static int
s_fold_op(uint64_t origin, uint64_t seq, void *arg)
{
    fold_t *f = arg;
    gn_op_t *op = NULL;
    int rc = gn_ops_get(f->txn, origin, seq, &op);
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    gn_summary_fold(f->s, (int) op->action, op->time);
    gn_codec_free_op(&op);
    return GN_OK;
}

int
gn_summary_fold_history(gn_txn_t *txn, const uint8_t key[16], gn_summary_t *s)
{
    fold_t f = { txn, s };
    return gn_cases_history(txn, key, s_fold_op, &f);
}

typedef struct {
    gn_txn_t *txn;
    uint8_t after[16];          // resume after this case key
    bool started;               // after is set
    size_t n;                   // cases done in this transaction
    uint8_t last[16];           // last case key done
} rebuild_t;

static int
s_rebuild_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    rebuild_t *r = arg;
    if (klen != 16)
        return GN_ESTORE;
    if (r->n == REBUILD_BATCH)
        return 1;
    int err;
    gn_case_t *c = gn_codec_unpack_case(val, vlen, &err);
    if (!c)
        return GN_ESTORE;
    gn_summary_t s;
    gn_summary_of_case(c, key, &s);
    int rc = gn_summary_fold_history(r->txn, key, &s);
    gn_codec_free_case(&c);
    if (rc == 0 && (rc = s_entries(r->txn, NULL, &s)) == 0)
        rc = s_summary_put(r->txn, &s);
    if (rc != 0)
        return rc;
    memcpy(r->last, key, 16);
    r->n++;
    return 0;
}

static int
s_rebuild_txn(gn_txn_t *txn, void *arg)
{
    rebuild_t *r = arg;
    r->txn = txn;
    r->n = 0;
    int rc;
    if (!r->started && (rc = gn_txn_clear(txn, GN_DB_IDX_TIME)) != 0)
        return rc;
    rc = gn_txn_scan(txn, GN_DB_CASES, r->started ? r->after : NULL, r->started ? 16 : 0,
                     r->started, 0, s_rebuild_visit, r);
    if (rc == 0 && r->n < REBUILD_BATCH)
        rc = gn_meta_put(txn, META_KEY, GN_SUMMARY_VERSION);
    return rc;
}

static int
s_version_txn(gn_txn_t *txn, void *arg)
{
    return gn_meta_get(txn, META_KEY, arg);
}

int
gn_summary_index_open(gn_store_t *store, uint64_t *cases)
{
    uint64_t version = 0;
    *cases = 0;
    int rc = gn_store_read(store, s_version_txn, &version);
    if (rc != 0 || version == GN_SUMMARY_VERSION)
        return rc;
    rebuild_t r = { 0 };
    do {
        if ((rc = gn_store_write(store, s_rebuild_txn, &r)) != 0)
            return rc;
        *cases += r.n;
        if (r.n > 0) {
            memcpy(r.after, r.last, 16);
            r.started = true;
        }
    } while (r.n == REBUILD_BATCH);
    return GN_OK;
}
