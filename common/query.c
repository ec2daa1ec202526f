/*  query.c -- cases by filters, newest first; case counts by status.

    A query without ids runs in two passes over the cases table: the first
    unpacks each case once to test the filters and keeps (created, key) of
    the matches, the second, after sorting those newest first, loads the
    first `limit` of them again. Only 24 bytes per match are held between
    the passes, whatever the size of the cases.  */
#include "query.h"
#include "cases.h"
#include "err.h"
#include "ids.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t created;            // ms: the case's creation time
    uint8_t key[16];            // its key in the cases table
} match_t;

typedef struct {
    const Gridnet__CaseQueryReq *q;
    match_t *matches;           // growing array of matches
    size_t n, cap;              // entries used, allocated
} scan_t;

static bool
s_wanted(const Gridnet__CaseQueryReq *q, const gn_case_t *c)
{
    if (q->created_from && c->created < q->created_from)
        return false;
    if (q->created_to && c->created > q->created_to)
        return false;
    bool ok = q->n_statuses == 0;
    for (size_t i = 0; !ok && i < q->n_statuses; i++)
        ok = (int) q->statuses[i] == (int) c->status;
    if (!ok || q->n_categories == 0)
        return ok;
    for (size_t i = 0; i < q->n_categories; i++)
        if (c->category && q->categories[i] && strcmp(c->category, q->categories[i]) == 0)
            return true;
    return false;
}

static int
s_scan_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    scan_t *s = arg;
    if (klen != 16)
        return GN_ESTORE;
    int err;
    gn_case_t *c = gn_codec_unpack_case(val, vlen, &err);
    if (!c)
        return GN_ESTORE;
    bool wanted = s_wanted(s->q, c);
    int64_t created = c->created;
    gn_codec_free_case(&c);
    if (!wanted)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        match_t *grown = realloc(s->matches, cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        s->matches = grown;
        s->cap = cap;
    }
    s->matches[s->n].created = created;
    memcpy(s->matches[s->n].key, key, 16);
    s->n++;
    return 0;
}

//  Newest first; among cases created in the same millisecond, the higher key.
static int
s_newest_first(const void *a, const void *b)
{
    const match_t *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? 1 : -1;
    return -memcmp(x->key, y->key, 16);
}

//  Append c to the list (which takes it).
static int
s_append(Gridnet__CaseList *out, size_t *cap, gn_case_t **c)
{
    if (out->n_cases == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        Gridnet__Case **grown = realloc(out->cases, grown_cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        out->cases = grown;
        *cap = grown_cap;
    }
    out->cases[out->n_cases++] = *c;
    *c = NULL;
    return GN_OK;
}

static int
s_by_ids(gn_txn_t *txn, const Gridnet__CaseQueryReq *q, Gridnet__CaseList *out)
{
    size_t cap = 0;
    for (size_t i = 0; i < q->n_ids; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(q->ids[i], q->ids[j]) == 0;
        if (seen)
            continue;
        gn_case_t *c = NULL;
        int rc = gn_cases_get(txn, q->ids[i], &c);
        if (rc == GN_ENOTFOUND || rc == GN_EINVAL)
            continue;
        if (rc == 0)
            rc = s_append(out, &cap, &c);
        gn_codec_free_case(&c);
        if (rc != 0)
            return rc;
    }
    return GN_OK;
}

int
gn_query_cases(gn_txn_t *txn, const Gridnet__CaseQueryReq *q, Gridnet__CaseList *out)
{
    if (q->n_ids > 0)
        return s_by_ids(txn, q, out);
    scan_t s = { .q = q };
    int rc = gn_txn_scan(txn, GN_DB_CASES, NULL, 0, false, 0, s_scan_visit, &s);
    if (rc == 0 && s.n > 1)
        qsort(s.matches, s.n, sizeof *s.matches, s_newest_first);
    size_t limit = q->limit && q->limit < GN_QUERY_MAX ? q->limit : GN_QUERY_MAX;
    size_t cap = 0;
    for (size_t i = 0; rc == 0 && i < s.n && i < limit; i++) {
        gn_case_t *c = NULL;
        rc = gn_cases_get_key(txn, s.matches[i].key, &c);
        if (rc == 0)
            rc = s_append(out, &cap, &c);
        gn_codec_free_case(&c);
    }
    free(s.matches);
    return rc;
}

static int
s_count_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    (*(uint64_t *) arg)++;
    return 0;
}

int
gn_query_count_status(gn_txn_t *txn, uint64_t counts[GN_QUERY_STATUSES])
{
    for (int st = 0; st < GN_QUERY_STATUSES; st++) {
        uint8_t prefix = (uint8_t) st;
        counts[st] = 0;
        int rc = gn_txn_scan(txn, GN_DB_IDX_STATUS, &prefix, 1, false, 1, s_count_visit,
                             &counts[st]);
        if (rc != 0)
            return rc;
    }
    return GN_OK;
}
