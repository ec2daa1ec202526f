/*  query.c -- cases by filters, newest first; case counts by status; the
    pages' summary of the open cases.

    A query without ids runs in two passes over the cases table: the first
    unpacks each case once to test the filters and keeps (created, key) of
    the matches, the second, after sorting those newest first, loads the
    first `limit` of them again. Only 24 bytes per match are held between
    the passes, whatever the size of the cases.  */
#include "query.h"
#include "cases.h"
#include "err.h"
#include "ids.h"
#include "pbjson.h"

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
    if (q->reporter && *q->reporter
        && !(c->reporter && c->reporter->id && strcmp(c->reporter->id, q->reporter) == 0))
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

// ---- the summary of the open cases (SummaryReq) ----

#define SUMMARY_LIMIT 50        // cases per list unless asked
#define SUMMARY_LIMIT_MAX 500   // cases per list at most

typedef struct {
    int64_t due;                // the deadline it works against (0: none, sorts last)
    json_t *brief;              // the case in short
} pressing_t;

typedef struct {
    pressing_t *items;          // growing array
    size_t n, cap;              // used, allocated
} pressing_list_t;

typedef struct {
    int64_t now;                // ms
    json_t *villages;           // "<village code>" -> {"open", "overdue"}
    pressing_list_t overdue;    // open and overdue
    pressing_list_t supervised; // open with a supervision
    uint64_t open, n_overdue, n_supervised;
    gn_txn_t *txn;
} summary_t;

static const char *
s_status_name(int status, char *buf, size_t len)
{
    return gn_pbjson_enum_name(&gridnet__status__descriptor, status, buf, len);
}

json_t *
gn_query_brief(const gn_case_t *c)
{
    char st[32], sev[32];
    json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:s, s:I, s:I, s:I, s:b, s:i, "
                          "s:i, s:I, s:s}",
                          "id", c->id ? c->id : "", "title", c->title ? c->title : "",
                          "category", c->category ? c->category : "",
                          "status", s_status_name((int) c->status, st, sizeof st),
                          "severity", gn_pbjson_enum_name(&gridnet__severity__descriptor,
                                                          (int) c->severity, sev, sizeof sev),
                          "owner", (json_int_t) c->owner, "level", (int) c->level,
                          "grid", c->grid ? c->grid : "", "created", (json_int_t) c->created,
                          "updated", (json_int_t) c->updated, "due", (json_int_t) gn_case_due(c),
                          "overdue", c->overdue ? 1 : 0, "supervisions", (int) c->supervisions,
                          "urgency", (int) c->urgency,
                          "supervised_due", (json_int_t) c->supervised_due,
                          "meeting_id", c->meeting_id ? c->meeting_id : "");
    return b;
}

static int
s_pressing_add(pressing_list_t *l, const gn_case_t *c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        pressing_t *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        l->items = grown;
        l->cap = cap;
    }
    json_t *b = gn_query_brief(c);
    if (!b)
        return GN_ENOMEM;
    l->items[l->n].due = gn_case_due(c);
    l->items[l->n].brief = b;
    l->n++;
    return GN_OK;
}

//  Earliest deadline first; cases without one last.
static int
s_earliest_first(const void *a, const void *b)
{
    const pressing_t *x = a, *y = b;
    int64_t dx = x->due ? x->due : INT64_MAX, dy = y->due ? y->due : INT64_MAX;
    return dx < dy ? -1 : dx > dy ? 1 : 0;
}

//  The first limit of the list as a JSON array (the list is emptied).
static json_t *
s_pressing_take(pressing_list_t *l, size_t limit)
{
    json_t *arr = json_array();
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, s_earliest_first);
    for (size_t i = 0; i < l->n; i++) {
        if (arr && i < limit && json_array_append(arr, l->items[i].brief) != 0) {
            json_decref(arr);
            arr = NULL;
        }
        json_decref(l->items[i].brief);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
    return arr;
}

static int
s_village_add(json_t *villages, uint64_t village, bool overdue)
{
    char code[24];
    snprintf(code, sizeof code, "%012llu", (unsigned long long) village);
    json_t *v = json_object_get(villages, code);
    if (!v) {
        v = json_pack("{s:I, s:I}", "open", (json_int_t) 0, "overdue", (json_int_t) 0);
        if (!v || json_object_set_new(villages, code, v) != 0)
            return GN_ENOMEM;
    }
    json_t *open = json_object_get(v, "open"), *late = json_object_get(v, "overdue");
    json_integer_set(open, json_integer_value(open) + 1);
    if (overdue)
        json_integer_set(late, json_integer_value(late) + 1);
    return GN_OK;
}

static int
s_summary_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    summary_t *s = arg;
    if (klen != 17)
        return GN_ESTORE;
    gn_case_t *c = NULL;
    int rc = gn_cases_get_key(s->txn, (const uint8_t *) key + 1, &c);
    if (rc == GN_ENOTFOUND)
        return 0;   // an index entry without its case: nothing to show
    if (rc != 0)
        return rc;
    s->open++;
    uint64_t village = 0;
    unsigned serial;
    if (!c->grid || gn_grid_parse(c->grid, &village, &serial) != 0)
        village = gn_node_level(c->origin) == 3 ? c->origin : 0;
    if (village)
        rc = s_village_add(s->villages, village, c->overdue);
    if (rc == 0 && c->overdue) {
        s->n_overdue++;
        rc = s_pressing_add(&s->overdue, c);
    }
    if (rc == 0 && c->supervisions > 0) {
        s->n_supervised++;
        rc = s_pressing_add(&s->supervised, c);
    }
    gn_codec_free_case(&c);
    return rc;
}

int
gn_query_summary(gn_txn_t *txn, uint64_t self, int64_t now, uint32_t limit, json_t **doc)
{
    static const int open[] = { GRIDNET__STATUS__ST_REPORTED, GRIDNET__STATUS__ST_ACCEPTED,
                                GRIDNET__STATUS__ST_DISPATCHED, GRIDNET__STATUS__ST_HANDLED };
    *doc = NULL;
    size_t max = limit == 0 ? SUMMARY_LIMIT : limit > SUMMARY_LIMIT_MAX ? SUMMARY_LIMIT_MAX : limit;
    uint64_t counts[GN_QUERY_STATUSES];
    int rc = gn_query_count_status(txn, counts);
    if (rc != 0)
        return rc;
    summary_t s = { .now = now, .villages = json_object(), .txn = txn };
    if (!s.villages)
        return GN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < sizeof open / sizeof open[0]; i++) {
        uint8_t prefix = (uint8_t) open[i];
        rc = gn_txn_scan(txn, GN_DB_IDX_STATUS, &prefix, 1, false, 1, s_summary_visit, &s);
    }
    json_t *overdue = s_pressing_take(&s.overdue, max);
    json_t *supervised = s_pressing_take(&s.supervised, max);
    json_t *byst = json_object();
    for (int st = 1; byst && st < GN_QUERY_STATUSES; st++) {
        char name[32];
        if (json_object_set_new(byst, s_status_name(st, name, sizeof name),
                                json_integer((json_int_t) counts[st])) != 0) {
            json_decref(byst);
            byst = NULL;
        }
    }
    if (rc == 0 && (!overdue || !supervised || !byst))
        rc = GN_ENOMEM;
    if (rc == 0) {
        *doc = json_pack("{s:I, s:i, s:I, s:o, s:I, s:I, s:I, s:o, s:o, s:o}",
                         "node", (json_int_t) self, "level", gn_node_level(self),
                         "time", (json_int_t) now, "counts", byst, "open", (json_int_t) s.open,
                         "overdue", (json_int_t) s.n_overdue,
                         "supervised", (json_int_t) s.n_supervised,
                         "overdue_cases", overdue, "supervised_cases", supervised,
                         "villages", s.villages);
        byst = overdue = supervised = s.villages = NULL;   // taken by the pack, even on failure
        if (!*doc)
            rc = GN_ENOMEM;
    }
    json_decref(byst);
    json_decref(overdue);
    json_decref(supervised);
    json_decref(s.villages);
    return rc;
}
