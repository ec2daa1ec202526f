/*  report.c -- the monthly report and the evaluation, from the case
    summaries (summary.h) alone.

    A report scans the R records of the months it covers, then the C and D
    records of its period (each leads to its R record by one lookup), and
    the O records; it never unpacks a Case (gn_report_monthly_scan does, as
    the benchmark's and the tests' reference).  */
#include "report.h"
#include "cases.h"
#include "err.h"
#include "ids.h"
#include "refdata.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(x)  GRIDNET__STATUS__ST_##x

#define R_KEY_LEN   GN_SUMMARY_KEY_LEN  // 'R' | ms | case key
#define O_KEY_LEN   GN_SUMMARY_OKEY_LEN // 'O' | case key
#define MONTHS_MAX  600                 // months one report may cover (trend included)
#define TREND_MAX   60                  // months of trend before the period
#define TOP_DEFAULT 10                  // hotspots listed unless asked
#define TOP_MAX     1000

static void
s_month_text(unsigned yyyymm, char buf[16])
{
    snprintf(buf, 16, "%04u-%02u", yyyymm / 100, yyyymm % 100);
}

// ---------------------------------------------------------------------------
//  Aggregation

typedef enum {
    STEP_ACCEPT, STEP_DISPATCH, STEP_HANDLE, STEP_VERIFY, STEP_ARCHIVE, STEP_EVALUATE,
    STEP_TOTAL, STEP_COUNT
} step_t;

static const char *const s_step_names[STEP_COUNT] = {
    "accept", "dispatch", "handle", "verify", "archive", "evaluate", "total"
};

typedef struct {
    int64_t *v;                 // durations, ms
    size_t n, cap;
    int64_t sum;                // their sum, ms
} durs_t;

typedef struct {
    char key[GN_FIELD_MAX + 32];    // group key
    bool steps;                 // keeps step durations
    uint64_t reported;          // reported in the period (tasks left out)
    uint64_t rejected;          //   of them rejected
    uint64_t closed;            //   closed by now
    uint64_t open;              //   still open
    uint64_t overdue_now;       //   open and overdue now
    uint64_t reworked;          //   sent back at least once
    uint64_t reworks;           //   failed verifications in all
    uint64_t supervised;        //   supervised at least once
    uint64_t supervisions;      //   supervisions in all
    uint64_t escalated;         //   escalated at least once
    uint64_t escalations;       //   escalations in all
    uint64_t rated;             //   rated by the reporter
    uint64_t rating_sum;        //   sum of the ratings
    uint64_t satisfied;         //   rated 4 or 5
    uint64_t closed_in_period;  // closed in the period (whenever reported)
    uint64_t due;               // due in the period
    uint64_t on_time;           //   of them closed and never overdue
    uint64_t overdue_all;       // open and overdue now, whenever reported
    uint64_t quality;           // ledger entries (verified quality reports)
    int64_t reward_fen;         // their sum
    durs_t d[STEP_COUNT];       // step durations when steps
} acc_t;

static acc_t *
s_acc_new(const char *key, bool steps)
{
    acc_t *a = calloc(1, sizeof *a);
    if (a) {
        snprintf(a->key, sizeof a->key, "%s", key);
        a->steps = steps;
    }
    return a;
}

static void
s_acc_free(acc_t *a)
{
    for (int i = 0; i < STEP_COUNT; i++)
        free(a->d[i].v);
}

static void
s_acc_destroy(void **item)
{
    acc_t *a = *item;
    if (a) {
        s_acc_free(a);
        free(a);
    }
    *item = NULL;
}

//  Add the duration end - start (ms) to d.
static int
s_durs_add(durs_t *d, int64_t end, int64_t start)
{
    int64_t v;
    if (__builtin_sub_overflow(end, start, &v))
        v = end > start ? INT64_MAX : 0;
    if (v < 0)
        v = 0;   // clocks of two nodes disagree: count no time, not negative time
    if (__builtin_add_overflow(d->sum, v, &d->sum))
        d->sum = INT64_MAX;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        int64_t *grown = realloc(d->v, cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        d->v = grown;
        d->cap = cap;
    }
    d->v[d->n++] = v;
    return GN_OK;
}

//  The step durations of s into a.
static int
s_acc_steps(acc_t *a, const gn_summary_t *s)
{
    const int64_t *ms = s->ms;
    int64_t t0 = s->created, acc = ms[GN_MS_ACCEPT], dis = ms[GN_MS_DISPATCH];
    int64_t han = ms[GN_MS_HANDLE], arc = ms[GN_MS_ARCHIVE], eva = ms[GN_MS_EVALUATE];
    int64_t clo = s->closed;
    int rc = 0;
    if (acc && (rc = s_durs_add(&a->d[STEP_ACCEPT], acc, t0)) != 0)
        return rc;
    if (acc && dis && (rc = s_durs_add(&a->d[STEP_DISPATCH], dis, acc)) != 0)
        return rc;
    if (han && (rc = s_durs_add(&a->d[STEP_HANDLE], han, dis ? dis : acc ? acc : t0)) != 0)
        return rc;
    if (han && clo && (rc = s_durs_add(&a->d[STEP_VERIFY], clo, han)) != 0)
        return rc;
    if (clo && arc && (rc = s_durs_add(&a->d[STEP_ARCHIVE], arc, clo)) != 0)
        return rc;
    if (arc && eva && (rc = s_durs_add(&a->d[STEP_EVALUATE], eva, arc)) != 0)
        return rc;
    if (clo && (rc = s_durs_add(&a->d[STEP_TOTAL], clo, t0)) != 0)
        return rc;
    return GN_OK;
}

static int
s_acc_reported(acc_t *a, const gn_summary_t *s)
{
    a->reported++;
    if (s->status == ST(REJECTED))
        a->rejected++;
    if (gn_summary_closed(s->status) && s->closed)
        a->closed++;
    if (gn_summary_open(s->status))
        a->open++;
    if (s->flags & GN_SUM_OVERDUE)
        a->overdue_now++;
    if (s->reworks) {
        a->reworked++;
        a->reworks += s->reworks;
    }
    if (s->supervisions) {
        a->supervised++;
        a->supervisions += s->supervisions;
    }
    if (s->escalations) {
        a->escalated++;
        a->escalations += s->escalations;
    }
    if (s->rating) {
        a->rated++;
        a->rating_sum += s->rating;
        if (s->rating >= 4)
            a->satisfied++;
    }
    return a->steps ? s_acc_steps(a, s) : GN_OK;
}

static bool
s_on_time(const gn_summary_t *s)
{
    return gn_summary_closed(s->status) && s->closed && !(s->flags & GN_SUM_WAS_OVERDUE);
}

static void
s_acc_due(acc_t *a, const gn_summary_t *s)
{
    a->due++;
    if (s_on_time(s))
        a->on_time++;
}

//  The k-th smallest of v[0..n) (0-based; reorders v): quickselect.
static int64_t
s_select(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                int64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

//  A rate as a real, or null when there is nothing to divide by.
static json_t *
s_rate(uint64_t num, uint64_t den)
{
    return den ? json_real((double) num / (double) den) : json_null();
}

static int
s_set(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0 ? GN_OK : GN_ENOMEM;
}

static int
s_set_u(json_t *obj, const char *key, uint64_t v)
{
    return s_set(obj, key, json_integer((json_int_t) v));
}

//  The step durations as {"accept": {"n", "avg_ms", "p90_ms"}, ...}.
static json_t *
s_steps_json(acc_t *a)
{
    json_t *steps = json_object();
    for (int i = 0; steps && i < STEP_COUNT; i++) {
        durs_t *d = &a->d[i];
        json_t *o = json_object();
        int rc = o ? s_set_u(o, "n", d->n) : GN_ENOMEM;
        if (rc == 0 && d->n) {
            size_t rank = (9 * d->n + 9) / 10;   // nearest rank: ceil(0.9 n)
            rc = s_set(o, "avg_ms", json_real((double) d->sum / (double) d->n));
            if (rc == 0)
                rc = s_set(o, "p90_ms", json_integer((json_int_t) s_select(d->v, d->n,
                                                                           rank - 1)));
        }
        if (rc != 0 || json_object_set_new(steps, s_step_names[i], o) != 0) {
            json_decref(steps);
            return NULL;
        }
    }
    return steps;
}

//  The figures of a as a JSON object. what: 'r' report figures, 'm' a month
//  of the trend (no backlog), 'e' an evaluation row.
static json_t *
s_acc_json(acc_t *a, char what)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    uint64_t live = a->reported - a->rejected;
    int rc = s_set_u(o, "reported", a->reported);
    if (!rc) rc = s_set_u(o, "rejected", a->rejected);
    if (!rc) rc = s_set_u(o, "closed", a->closed);
    if (!rc) rc = s_set(o, "closure_rate", s_rate(a->closed, live));
    if (!rc) rc = s_set_u(o, "due", a->due);
    if (!rc) rc = s_set_u(o, "on_time", a->on_time);
    if (!rc) rc = s_set(o, "on_time_rate", s_rate(a->on_time, a->due));
    if (!rc) rc = s_set_u(o, "rated", a->rated);
    if (!rc) rc = s_set(o, "rating_avg", a->rated ? json_real((double) a->rating_sum
                                                              / (double) a->rated)
                                                  : json_null());
    if (what == 'e') {
        if (!rc) rc = s_set_u(o, "quality_reports", a->quality);
        if (!rc) rc = s_set(o, "reward_fen", json_integer((json_int_t) a->reward_fen));
        if (rc) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    if (!rc) rc = s_set_u(o, "open", a->open);
    if (!rc) rc = s_set_u(o, "overdue_now", a->overdue_now);
    if (!rc) rc = s_set_u(o, "closed_in_period", a->closed_in_period);
    if (!rc) rc = s_set_u(o, "reworked", a->reworked);
    if (!rc) rc = s_set_u(o, "reworks", a->reworks);
    if (!rc) rc = s_set(o, "rework_rate", s_rate(a->reworked, live));
    if (!rc) rc = s_set_u(o, "supervised", a->supervised);
    if (!rc) rc = s_set_u(o, "supervisions", a->supervisions);
    if (!rc) rc = s_set_u(o, "escalated", a->escalated);
    if (!rc) rc = s_set_u(o, "escalations", a->escalations);
    if (!rc) rc = s_set_u(o, "satisfied", a->satisfied);
    if (!rc) rc = s_set(o, "satisfaction_rate", s_rate(a->satisfied, a->rated));
    if (what == 'r' && !rc)
        rc = s_set_u(o, "overdue_all", a->overdue_all);
    if (a->steps && !rc)
        rc = s_set(o, "steps", s_steps_json(a));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

// ---------------------------------------------------------------------------
//  Groups and areas

typedef enum { DIM_CATEGORY, DIM_DEPARTMENT, DIM_TOWN, DIM_VILLAGE, DIM_GRID, DIM_WORKER,
               DIM_COUNT } dim_t;

static const char *const s_dim_names[DIM_COUNT] = {
    "category", "department", "town", "village", "grid", "worker"
};

static int
s_dim_parse(const char *name, dim_t dflt, bool worker_ok, dim_t *dim)
{
    if (!name || !*name) {
        *dim = dflt;
        return GN_OK;
    }
    for (int i = 0; i < DIM_COUNT; i++)
        if (strcmp(name, s_dim_names[i]) == 0 && (i != DIM_WORKER || worker_ok)) {
            *dim = (dim_t) i;
            return GN_OK;
        }
    return GN_EINVAL;
}

//  The town of a location: the village's parent, or the location itself
//  when it is a town (a case without a grid, reported at a town).
static uint64_t
s_town_of(uint64_t where)
{
    int level = gn_node_level(where);
    return level == 3 ? gn_node_parent(where) : level == 2 ? where : 0;
}

//  A node code as 12 digits and a NUL into buf (no printf: reports make one
//  key per case).
static size_t
s_code12(char *buf, uint64_t code)
{
    for (int i = 11; i >= 0; i--, code /= 10)
        buf[i] = (char) ('0' + code % 10);
    buf[12] = 0;
    return 12;
}

static void
s_text_key(char *buf, size_t len, const char *text)
{
    size_t n = *text ? strlen(text) : 1;
    if (n >= len)
        n = len - 1;
    memcpy(buf, *text ? text : "-", n);
    buf[n] = 0;
}

//  s's group key along dim into buf (at least 32 bytes); false if s belongs
//  to no group there.
static bool
s_dim_key(dim_t dim, const gn_summary_t *s, char *buf, size_t len)
{
    switch (dim) {
    case DIM_CATEGORY:
        s_text_key(buf, len, s->category);
        return true;
    case DIM_DEPARTMENT:
        s_text_key(buf, len, s->department);
        return true;
    case DIM_TOWN: {
        uint64_t town = s_town_of(s->village);
        if (town)
            s_code12(buf, town);
        else
            s_text_key(buf, len, "");
        return true;
    }
    case DIM_VILLAGE:
        if (gn_node_level(s->village) == 3)
            s_code12(buf, s->village);
        else
            s_text_key(buf, len, "");
        return true;
    case DIM_GRID:
        if (s->grid_serial && s->grid_serial < 1000) {
            s_code12(buf, s->village);
            buf[12] = '-';
            buf[13] = (char) ('0' + s->grid_serial / 100);
            buf[14] = (char) ('0' + s->grid_serial / 10 % 10);
            buf[15] = (char) ('0' + s->grid_serial % 10);
            buf[16] = 0;
        }
        else
            s_text_key(buf, len, "");
        return true;
    default:
        if (!(s->flags & GN_SUM_WORKER) || !*s->worker)
            return false;
        s_text_key(buf, len, s->worker);
        return true;
    }
}

//  The group acc of key in groups, made if new. NULL if memory ran out.
static acc_t *
s_group(zhashx_t *groups, const char *key, bool steps)
{
    acc_t *a = zhashx_lookup(groups, key);
    if (!a && (a = s_acc_new(key, steps)) != NULL)
        zhashx_insert(groups, key, a);
    return a;
}

static zhashx_t *
s_groups_new(void)
{
    zhashx_t *h = zhashx_new();
    if (h)
        zhashx_set_destructor(h, s_acc_destroy);
    return h;
}

//  Groups by reported (descending), then key.
static int
s_group_cmp(const void *a, const void *b)
{
    const acc_t *x = *(acc_t *const *) a, *y = *(acc_t *const *) b;
    if (x->reported != y->reported)
        return x->reported > y->reported ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int
s_key_cmp(const void *a, const void *b)
{
    const acc_t *x = *(acc_t *const *) a, *y = *(acc_t *const *) b;
    return strcmp(x->key, y->key);
}

//  The groups as a sorted array (caller frees the array, not the accs).
static acc_t **
s_groups_sorted(zhashx_t *groups, int (*cmp)(const void *, const void *), size_t *n)
{
    *n = zhashx_size(groups);
    acc_t **v = calloc(*n ? *n : 1, sizeof *v);
    if (!v)
        return NULL;
    size_t i = 0;
    for (acc_t *a = zhashx_first(groups); a && i < *n; a = zhashx_next(groups))
        v[i++] = a;
    qsort(v, *n, sizeof *v, cmp);
    return v;
}

//  A department's name from reference data, if any (caller frees).
static char *
s_department_name(gn_txn_t *txn, const char *code)
{
    char key[300];
    json_t *d = NULL;
    snprintf(key, sizeof key, "department/%s", code);
    if (gn_ref_get(txn, key, &d) != 0)
        return NULL;
    const char *name = json_string_value(json_object_get(d, "name"));
    char *copy = name ? strdup(name) : NULL;
    json_decref(d);
    return copy;
}

static int
s_area(uint64_t self, uint64_t asked, uint64_t *area, char *err, size_t errlen)
{
    *area = asked ? asked : self;
    if (!gn_node_in_subtree(*area, self)) {
        snprintf(err, errlen, "area %012llu is not in this node's subtree",
                 (unsigned long long) *area);
        return GN_ESCOPE;
    }
    return GN_OK;
}

//  Does s count for a report of area? Tasks are not grid events.
static bool
s_counts(const gn_summary_t *s, uint64_t area)
{
    return !(s->flags & GN_SUM_TASK) && gn_node_in_subtree(s->village, area);
}

// ---------------------------------------------------------------------------
//  The monthly report

typedef struct {
    uint64_t now, before;       // reported in the period, in the period before it
} hot_t;

typedef struct {
    gn_txn_t *txn;
    uint64_t area;              // the cases located here
    dim_t dim;                  // breakdown
    unsigned from, to;          // the period's months (to included)
    unsigned trend_from;        // first month of the trend rows
    unsigned span_from;         // first month whose reports are read
    int len;                    // months in the period
    int64_t from_ms, to_ms;     // the period, [from_ms, to_ms)
    int64_t trend_ms;           // start of trend_from
    int64_t span_ms;            // start of span_from
    int64_t prev_ms;            // start of the period before (len months)
    acc_t total;                // the period's figures
    acc_t *months;              // one per month trend_from..to
    int nmonths;
    zhashx_t *groups;           // dim key -> acc_t
    zhashx_t *hot_cat;          // category -> hot_t
    zhashx_t *hot_grid;         // grid -> hot_t
    int rc;                     // first failure inside a visitor
} monthly_t;

static hot_t *
s_hot(zhashx_t *h, const char *key)
{
    hot_t *x = zhashx_lookup(h, key);
    if (!x && (x = calloc(1, sizeof *x)) != NULL)
        zhashx_insert(h, key, x);
    return x;
}

static void
s_hot_destroy(void **item)
{
    free(*item);
    *item = NULL;
}

//  The trend row of the month holding t, or NULL outside the trend.
static acc_t *
s_month_acc(monthly_t *m, int64_t t)
{
    if (t < m->trend_ms || t >= m->to_ms)
        return NULL;
    int i = gn_month_diff(m->trend_from, gn_month_of(t));
    return i >= 0 && i < m->nmonths ? &m->months[i] : NULL;
}

static acc_t *
s_group_of(monthly_t *m, const gn_summary_t *s)
{
    char key[GN_FIELD_MAX + 32];
    if (!s_dim_key(m->dim, s, key, sizeof key))
        return NULL;
    acc_t *g = s_group(m->groups, key, true);
    if (!g)
        m->rc = GN_ENOMEM;
    return g;
}

//  A case reported at s->created (in the span).
static int
s_monthly_reported(monthly_t *m, const gn_summary_t *s)
{
    int rc;
    acc_t *row = s_month_acc(m, s->created);
    if (row && (rc = s_acc_reported(row, s)) != 0)
        return rc;
    bool in_period = s->created >= m->from_ms && s->created < m->to_ms;
    bool in_prev = s->created >= m->prev_ms && s->created < m->from_ms;
    if (in_period) {
        acc_t *g = s_group_of(m, s);
        if ((rc = s_acc_reported(&m->total, s)) != 0 || (g && (rc = s_acc_reported(g, s)) != 0))
            return rc;
    }
    if (in_period || in_prev) {
        char grid[64];
        hot_t *c = s_hot(m->hot_cat, *s->category ? s->category : "-");
        hot_t *g = s_dim_key(DIM_GRID, s, grid, sizeof grid) ? s_hot(m->hot_grid, grid) : NULL;
        if (!c || !g)
            return GN_ENOMEM;
        if (in_period)
            c->now++, g->now++;
        else
            c->before++, g->before++;
    }
    return m->rc;
}

static int
s_monthly_closed(monthly_t *m, const gn_summary_t *s)
{
    acc_t *row = s_month_acc(m, s->closed);
    if (row)
        row->closed_in_period++;
    if (s->closed >= m->from_ms && s->closed < m->to_ms) {
        m->total.closed_in_period++;
        acc_t *g = s_group_of(m, s);
        if (g)
            g->closed_in_period++;
    }
    return m->rc;
}

static int
s_monthly_due(monthly_t *m, const gn_summary_t *s)
{
    if (s->status == ST(REJECTED))
        return GN_OK;
    acc_t *row = s_month_acc(m, s->due);
    if (row)
        s_acc_due(row, s);
    if (s->due >= m->from_ms && s->due < m->to_ms) {
        s_acc_due(&m->total, s);
        acc_t *g = s_group_of(m, s);
        if (g)
            s_acc_due(g, s);
    }
    return m->rc;
}

static int
s_monthly_overdue(monthly_t *m, const gn_summary_t *s)
{
    m->total.overdue_all++;
    acc_t *g = s_group_of(m, s);
    if (g)
        g->overdue_all++;
    return m->rc;
}

//  The index: R records of the span, in time order.
static int
s_r_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    monthly_t *m = arg;
    if (klen != R_KEY_LEN)
        return GN_ESTORE;
    gn_summary_t s;
    int64_t t = (int64_t) gn_get_be64((const uint8_t *) key + 1);
    if (t >= m->to_ms)
        return 1;
    int rc = gn_summary_decode(val, vlen, &s);
    if (rc != 0)
        return rc;
    s.created = t;
    memcpy(s.key, (const uint8_t *) key + 9, 16);
    return s_counts(&s, m->area) ? s_monthly_reported(m, &s) : 0;
}

//  C, D and O records: each leads to its R record.
typedef struct {
    monthly_t *m;
    int64_t until;              // stop at this time (C, D)
    char kind;
} entry_scan_t;

static int
s_entry_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    entry_scan_t *e = arg;
    const uint8_t *k = key;
    const uint8_t *ck;
    if (e->kind == 'O') {
        if (klen != O_KEY_LEN)
            return GN_ESTORE;
        ck = k + 1;
    }
    else {
        if (klen != R_KEY_LEN)
            return GN_ESTORE;
        if ((int64_t) gn_get_be64(k + 1) >= e->until)
            return 1;
        ck = k + 9;
    }
    if (vlen != 8)
        return GN_ESTORE;
    gn_summary_t s;
    int rc = gn_summary_get(e->m->txn, (int64_t) gn_get_be64(val), ck, &s);
    if (rc != 0)
        return rc == GN_ENOTFOUND ? GN_ESTORE : rc;
    if (!s_counts(&s, e->m->area))
        return 0;
    return e->kind == 'C' ? s_monthly_closed(e->m, &s)
         : e->kind == 'D' ? s_monthly_due(e->m, &s) : s_monthly_overdue(e->m, &s);
}

static int
s_scan_kind(monthly_t *m, char kind, int64_t from, int64_t until, gn_scan_fn *fn, void *arg)
{
    uint8_t k[9];
    k[0] = (uint8_t) kind;
    gn_put_be64(k + 1, (uint64_t) (from > 0 ? from : 0));
    return gn_txn_scan(m->txn, GN_DB_IDX_TIME, k, kind == 'O' ? 1 : 9, false, 1, fn, arg);
}

static int
s_monthly_from_index(monthly_t *m)
{
    int rc = s_scan_kind(m, 'R', m->span_ms, m->to_ms, s_r_visit, m);
    entry_scan_t c = { m, m->to_ms, 'C' }, d = { m, m->to_ms, 'D' }, o = { m, 0, 'O' };
    if (rc == 0)
        rc = s_scan_kind(m, 'C', m->trend_ms, m->to_ms, s_entry_visit, &c);
    if (rc == 0)
        rc = s_scan_kind(m, 'D', m->trend_ms, m->to_ms, s_entry_visit, &d);
    if (rc == 0)
        rc = s_scan_kind(m, 'O', 0, 0, s_entry_visit, &o);
    return rc;
}

//  Without the index: every case, and the history of each that counts.
static int
s_case_scan_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    monthly_t *m = arg;
    if (klen != 16)
        return GN_ESTORE;
    int err;
    gn_case_t *c = gn_codec_unpack_case(val, vlen, &err);
    if (!c)
        return GN_ESTORE;
    gn_summary_t s;
    gn_summary_of_case(c, key, &s);
    bool r = s.created >= m->span_ms && s.created < m->to_ms;
    bool cl = gn_summary_closed(s.status) && s.closed >= m->trend_ms && s.closed < m->to_ms;
    bool du = s.due > 0 && s.due >= m->trend_ms && s.due < m->to_ms;
    bool ov = (s.flags & GN_SUM_OVERDUE) != 0;
    int rc = 0;
    if (s_counts(&s, m->area) && (r || cl || du || ov)) {
        rc = gn_summary_fold_history(m->txn, key, &s);
        if (rc == 0 && r)
            rc = s_monthly_reported(m, &s);
        if (rc == 0 && cl)
            rc = s_monthly_closed(m, &s);
        if (rc == 0 && du)
            rc = s_monthly_due(m, &s);
        if (rc == 0 && ov)
            rc = s_monthly_overdue(m, &s);
    }
    gn_codec_free_case(&c);
    return rc;
}

static int
s_monthly_from_cases(monthly_t *m)
{
    return gn_txn_scan(m->txn, GN_DB_CASES, NULL, 0, false, 0, s_case_scan_visit, m);
}

//  Hotspots: the top n keys of h by count in the period.
typedef struct {
    const char *key;
    hot_t *hot;
} hot_row_t;

static int
s_hot_cmp(const void *a, const void *b)
{
    const hot_row_t *x = a, *y = b;
    if (x->hot->now != y->hot->now)
        return x->hot->now > y->hot->now ? -1 : 1;
    return strcmp(x->key, y->key);
}

static json_t *
s_hot_json(zhashx_t *h, size_t top)
{
    size_t n = zhashx_size(h), k = 0;
    hot_row_t *rows = calloc(n ? n : 1, sizeof *rows);
    json_t *list = json_array();
    if (!rows || !list) {
        free(rows);
        json_decref(list);
        return NULL;
    }
    for (hot_t *x = zhashx_first(h); x; x = zhashx_next(h))
        if (x->now > 0 && k < n) {
            rows[k].key = zhashx_cursor(h);
            rows[k++].hot = x;
        }
    qsort(rows, k, sizeof *rows, s_hot_cmp);
    for (size_t i = 0; i < k && i < top; i++) {
        hot_t *x = rows[i].hot;
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:o}", "key", rows[i].key,
                              "reported", (json_int_t) x->now, "previous", (json_int_t) x->before,
                              "change", (json_int_t) x->now - (json_int_t) x->before,
                              "change_rate", x->before ? json_real(((double) x->now
                                                                   - (double) x->before)
                                                                  / (double) x->before)
                                                       : json_null());
        if (!o || json_array_append_new(list, o) != 0) {
            json_decref(list);
            list = NULL;
            break;
        }
    }
    free(rows);
    return list;
}

static int
s_monthly_doc(monthly_t *m, uint64_t self, size_t top, int64_t now, json_t **doc)
{
    char from[16], to[16], pf[16], pt[16];
    s_month_text(m->from, from);
    s_month_text(m->to, to);
    s_month_text(gn_month_add(m->from, -m->len), pf);
    s_month_text(gn_month_add(m->from, -1), pt);
    json_t *d = json_object(), *groups = json_array(), *months = json_array();
    json_t *hot = json_object();
    int rc = d && groups && months && hot ? GN_OK : GN_ENOMEM;
    size_t n = 0;
    acc_t **sorted = rc == 0 ? s_groups_sorted(m->groups, s_group_cmp, &n) : NULL;
    if (!sorted)
        rc = GN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *g = s_acc_json(sorted[i], 'r');
        rc = g && json_object_set_new(g, "key", json_string(sorted[i]->key)) == 0 ? 0 : GN_ENOMEM;
        if (rc == 0 && m->dim == DIM_DEPARTMENT) {
            char *name = s_department_name(m->txn, sorted[i]->key);
            if (name)
                rc = s_set(g, "name", json_string(name));
            free(name);
        }
        if (rc == 0 && json_array_append_new(groups, g) != 0)
            rc = GN_ENOMEM;
        else if (rc != 0)
            json_decref(g);
    }
    free(sorted);
    for (int i = 0; rc == 0 && i < m->nmonths; i++) {
        char month[16];
        s_month_text(gn_month_add(m->trend_from, i), month);
        json_t *row = s_acc_json(&m->months[i], 'm');
        rc = row && json_object_set_new(row, "month", json_string(month)) == 0
             && json_array_append_new(months, row) == 0 ? 0 : GN_ENOMEM;
    }
    if (rc == 0) {
        rc = s_set(hot, "categories", s_hot_json(m->hot_cat, top));
        if (rc == 0) rc = s_set(hot, "grids", s_hot_json(m->hot_grid, top));
        if (rc == 0) rc = s_set(hot, "previous_from", json_string(pf));
        if (rc == 0) rc = s_set(hot, "previous_to", json_string(pt));
    }
    if (rc == 0) rc = s_set(d, "report", json_string("monthly"));
    if (rc == 0) rc = s_set_u(d, "node", self);
    if (rc == 0) rc = s_set_u(d, "area", m->area);
    if (rc == 0) rc = s_set(d, "from", json_string(from));
    if (rc == 0) rc = s_set(d, "to", json_string(to));
    if (rc == 0) rc = s_set(d, "from_ms", json_integer(m->from_ms));
    if (rc == 0) rc = s_set(d, "to_ms", json_integer(m->to_ms));
    if (rc == 0) rc = s_set(d, "timezone", json_string("UTC+08:00 (China Standard Time, "
                                                       "Asia/Shanghai)"));
    if (rc == 0) rc = s_set(d, "generated", json_integer(now));
    if (rc == 0) rc = s_set(d, "by", json_string(s_dim_names[m->dim]));
    if (rc == 0) rc = s_set(d, "totals", s_acc_json(&m->total, 'r'));
    if (rc == 0) {
        rc = s_set(d, "groups", groups);
        groups = NULL;
    }
    if (rc == 0) {
        rc = s_set(d, "months", months);
        months = NULL;
    }
    if (rc == 0) {
        rc = s_set(d, "hotspots", hot);
        hot = NULL;
    }
    json_decref(groups);
    json_decref(months);
    json_decref(hot);
    if (rc != 0) {
        json_decref(d);
        return rc;
    }
    *doc = d;
    return GN_OK;
}

static int
s_monthly(gn_txn_t *txn, uint64_t self, const Gridnet__MonthlyReq *req, int64_t now,
          bool use_index, json_t **doc, char *err, size_t errlen)
{
    *doc = NULL;
    monthly_t m = { .txn = txn };
    unsigned to = req->to_month ? req->to_month : req->from_month;
    if (!gn_month_valid(req->from_month) || !gn_month_valid(to)) {
        snprintf(err, errlen, "months are YYYYMM from 197001 to 999912");
        return GN_EINVAL;
    }
    if (to < req->from_month) {
        snprintf(err, errlen, "the period ends before it starts");
        return GN_EINVAL;
    }
    if (req->trend > TREND_MAX) {
        snprintf(err, errlen, "a trend goes back at most %d months", TREND_MAX);
        return GN_EINVAL;
    }
    m.from = req->from_month;
    m.to = to;
    m.len = gn_month_diff(m.from, m.to) + 1;
    if (m.len + (int) req->trend > MONTHS_MAX || gn_month_add(m.from, -m.len) < 197001
        || gn_month_add(m.from, -(int) req->trend) < 197001) {
        snprintf(err, errlen, "the period (with its trend) is too long");
        return GN_EINVAL;
    }
    if (s_dim_parse(req->by, DIM_CATEGORY, false, &m.dim) != 0) {
        snprintf(err, errlen, "by is one of category, department, town, village, grid");
        return GN_EINVAL;
    }
    int rc = s_area(self, req->area, &m.area, err, errlen);
    if (rc != 0)
        return rc;
    size_t top = req->top ? (req->top > TOP_MAX ? TOP_MAX : req->top) : TOP_DEFAULT;
    m.trend_from = gn_month_add(m.from, -(int) req->trend);
    m.span_from = gn_month_add(m.from, -(m.len > (int) req->trend ? m.len : (int) req->trend));
    m.from_ms = gn_month_start(m.from);
    m.to_ms = gn_month_start(gn_month_add(m.to, 1));
    m.trend_ms = gn_month_start(m.trend_from);
    m.span_ms = gn_month_start(m.span_from);
    m.prev_ms = gn_month_start(gn_month_add(m.from, -m.len));
    m.nmonths = gn_month_diff(m.trend_from, m.to) + 1;
    snprintf(m.total.key, sizeof m.total.key, "total");
    m.total.steps = true;
    m.months = calloc((size_t) m.nmonths, sizeof *m.months);
    m.groups = s_groups_new();
    m.hot_cat = zhashx_new();
    m.hot_grid = zhashx_new();
    if (!m.months || !m.groups || !m.hot_cat || !m.hot_grid)
        rc = GN_ENOMEM;
    else {
        zhashx_set_destructor(m.hot_cat, s_hot_destroy);
        zhashx_set_destructor(m.hot_grid, s_hot_destroy);
        rc = use_index ? s_monthly_from_index(&m) : s_monthly_from_cases(&m);
        if (rc == 0)
            rc = m.rc;
    }
    if (rc == 0)
        rc = s_monthly_doc(&m, self, top, now, doc);
    s_acc_free(&m.total);
    for (int i = 0; m.months && i < m.nmonths; i++)
        s_acc_free(&m.months[i]);
    free(m.months);
    zhashx_destroy(&m.groups);
    zhashx_destroy(&m.hot_cat);
    zhashx_destroy(&m.hot_grid);
    return rc;
}

int
gn_report_monthly(gn_txn_t *txn, uint64_t self, const Gridnet__MonthlyReq *req, int64_t now,
                  json_t **doc, char *err, size_t errlen)
{
    return s_monthly(txn, self, req, now, true, doc, err, errlen);
}

int
gn_report_monthly_scan(gn_txn_t *txn, uint64_t self, const Gridnet__MonthlyReq *req,
                       int64_t now, json_t **doc, char *err, size_t errlen)
{
    return s_monthly(txn, self, req, now, false, doc, err, errlen);
}

// ---------------------------------------------------------------------------
//  The evaluation (考核)

typedef struct {
    gn_txn_t *txn;
    uint64_t area;
    dim_t dim;                  // unit
    int64_t from_ms, to_ms;     // the month
    zhashx_t *units;            // unit key -> acc_t
    int rc;
} eval_t;

static acc_t *
s_unit_of(eval_t *e, const gn_summary_t *s)
{
    char key[GN_FIELD_MAX + 32];
    if (!s_dim_key(e->dim, s, key, sizeof key))
        return NULL;
    acc_t *a = s_group(e->units, key, false);
    if (!a)
        e->rc = GN_ENOMEM;
    return a;
}

static int
s_eval_r_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    eval_t *e = arg;
    if (klen != R_KEY_LEN)
        return GN_ESTORE;
    int64_t t = (int64_t) gn_get_be64((const uint8_t *) key + 1);
    if (t >= e->to_ms)
        return 1;
    gn_summary_t s;
    int rc = gn_summary_decode(val, vlen, &s);
    if (rc != 0)
        return rc;
    s.created = t;
    if (!s_counts(&s, e->area))
        return 0;
    acc_t *a = s_unit_of(e, &s);
    if (a && (rc = s_acc_reported(a, &s)) != 0)
        return rc;
    return e->rc;
}

static int
s_eval_d_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    eval_t *e = arg;
    if (klen != R_KEY_LEN || vlen != 8)
        return GN_ESTORE;
    const uint8_t *k = key;
    if ((int64_t) gn_get_be64(k + 1) >= e->to_ms)
        return 1;
    gn_summary_t s;
    int rc = gn_summary_get(e->txn, (int64_t) gn_get_be64(val), k + 9, &s);
    if (rc != 0)
        return rc == GN_ENOTFOUND ? GN_ESTORE : rc;
    if (!s_counts(&s, e->area) || s.status == ST(REJECTED))
        return 0;
    acc_t *a = s_unit_of(e, &s);
    if (a)
        s_acc_due(a, &s);
    return e->rc;
}

//  Ledger entries of the month: quality reports and rewards per unit.
static int
s_eval_ledger_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    eval_t *e = arg;
    json_error_t jerr;
    json_t *entry = json_loadb(val, vlen, 0, &jerr);
    if (!entry)
        return GN_ESTORE;
    json_int_t t = json_integer_value(json_object_get(entry, "time"));
    const char *grid = json_string_value(json_object_get(entry, "grid"));
    const char *worker = json_string_value(json_object_get(entry, "worker"));
    uint64_t where = (uint64_t) json_integer_value(json_object_get(entry, "node"));
    uint64_t village;
    unsigned serial;
    if (grid && *grid && gn_grid_parse(grid, &village, &serial) == 0)
        where = village;
    char k[GN_FIELD_MAX + 32] = "";
    if (e->dim == DIM_WORKER && worker && *worker)
        snprintf(k, sizeof k, "%s", worker);
    else if (e->dim == DIM_VILLAGE && gn_node_level(where) == 3)
        snprintf(k, sizeof k, "%012llu", (unsigned long long) where);
    else if (e->dim == DIM_TOWN && s_town_of(where))
        snprintf(k, sizeof k, "%012llu", (unsigned long long) s_town_of(where));
    if (t >= e->from_ms && t < e->to_ms && *k && gn_node_in_subtree(where, e->area)) {
        acc_t *a = s_group(e->units, k, false);
        if (!a)
            e->rc = GN_ENOMEM;
        else {
            a->quality++;
            json_int_t fen = json_integer_value(json_object_get(entry, "fen"));
            if (__builtin_add_overflow(a->reward_fen, (int64_t) fen, &a->reward_fen))
                a->reward_fen = fen < 0 ? INT64_MIN : INT64_MAX;
        }
    }
    json_decref(entry);
    return e->rc;
}

//  Grid workers of the area from reference data (staff/<id> with role
//  grid_worker), so that a worker with nothing in the month has a row too.
static int
s_eval_roster(eval_t *e, json_t *staff)
{
    const char *key;
    json_t *v;
    json_object_foreach(staff, key, v) {
        const char *role = json_string_value(json_object_get(v, "role"));
        json_t *node = json_object_get(v, "node");
        if (!role || strcmp(role, "grid_worker") != 0 || !json_is_integer(node)
            || !gn_node_in_subtree((uint64_t) json_integer_value(node), e->area))
            continue;
        if (!s_group(e->units, key + strlen("staff/"), false))
            return GN_ENOMEM;
    }
    return GN_OK;
}

int
gn_report_eval(gn_txn_t *txn, uint64_t self, const Gridnet__EvalReq *req, int64_t now,
               json_t **doc, char *err, size_t errlen)
{
    *doc = NULL;
    eval_t e = { .txn = txn };
    if (!gn_month_valid(req->month) || req->month >= 999912) {
        snprintf(err, errlen, "the month is YYYYMM from 197001 to 999911");
        return GN_EINVAL;
    }
    if (s_dim_parse(req->unit, DIM_WORKER, true, &e.dim) != 0 || e.dim == DIM_CATEGORY
        || e.dim == DIM_GRID) {
        snprintf(err, errlen, "unit is one of worker, village, town, department");
        return GN_EINVAL;
    }
    int rc = s_area(self, req->area, &e.area, err, errlen);
    if (rc != 0)
        return rc;
    e.from_ms = gn_month_start(req->month);
    e.to_ms = gn_month_start(gn_month_add(req->month, 1));
    e.units = s_groups_new();
    json_t *staff = NULL, *rows = json_array(), *d = json_object();
    if (!e.units || !rows || !d)
        rc = GN_ENOMEM;
    uint8_t k[9];
    k[0] = 'R';
    gn_put_be64(k + 1, (uint64_t) e.from_ms);
    if (rc == 0)
        rc = gn_txn_scan(txn, GN_DB_IDX_TIME, k, 9, false, 1, s_eval_r_visit, &e);
    k[0] = 'D';
    if (rc == 0)
        rc = gn_txn_scan(txn, GN_DB_IDX_TIME, k, 9, false, 1, s_eval_d_visit, &e);
    if (rc == 0 && e.dim != DIM_DEPARTMENT)
        rc = gn_txn_scan(txn, GN_DB_LEDGER, NULL, 0, false, 0, s_eval_ledger_visit, &e);
    if (rc == 0)
        rc = e.rc;
    if (rc == 0 && e.dim == DIM_WORKER && (rc = gn_ref_collect(txn, "staff/", &staff)) == 0)
        rc = s_eval_roster(&e, staff);
    acc_t total = { .key = "total" };
    size_t n = 0;
    acc_t **sorted = rc == 0 ? s_groups_sorted(e.units, s_key_cmp, &n) : NULL;
    if (rc == 0 && !sorted)
        rc = GN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        acc_t *a = sorted[i];
        total.reported += a->reported;
        total.rejected += a->rejected;
        total.closed += a->closed;
        total.due += a->due;
        total.on_time += a->on_time;
        total.rated += a->rated;
        total.rating_sum += a->rating_sum;
        total.quality += a->quality;
        if (__builtin_add_overflow(total.reward_fen, a->reward_fen, &total.reward_fen))
            total.reward_fen = a->reward_fen < 0 ? INT64_MIN : INT64_MAX;
        json_t *row = s_acc_json(a, 'e');
        double score = a->due ? (double) a->on_time / (double) a->due : 1.0;
        rc = row ? s_set(row, "key", json_string(a->key)) : GN_ENOMEM;
        if (rc == 0) rc = s_set(row, "timeliness", s_rate(a->on_time, a->due));
        if (rc == 0) rc = s_set(row, "score", json_real(score));
        if (rc == 0 && req->allowance && e.dim == DIM_WORKER)
            rc = s_set(row, "allowance_fen",
                       json_integer(GN_ALLOWANCE_BASE_FEN
                                    + (json_int_t) (GN_ALLOWANCE_SCORE_FEN * score + 0.5)));
        const char *name = NULL;
        char *dept = NULL;
        if (e.dim == DIM_WORKER && staff) {
            char sk[GN_FIELD_MAX + 40];
            snprintf(sk, sizeof sk, "staff/%s", a->key);
            name = json_string_value(json_object_get(json_object_get(staff, sk), "name"));
        }
        else if (e.dim == DIM_DEPARTMENT)
            name = dept = s_department_name(txn, a->key);
        if (rc == 0 && name)
            rc = s_set(row, "name", json_string(name));
        free(dept);
        if (rc == 0 && json_array_append_new(rows, row) != 0)
            rc = GN_ENOMEM;
        else if (rc != 0)
            json_decref(row);
    }
    free(sorted);
    char month[16];
    s_month_text(req->month, month);
    if (rc == 0) rc = s_set(d, "report", json_string("eval"));
    if (rc == 0) rc = s_set_u(d, "node", self);
    if (rc == 0) rc = s_set_u(d, "area", e.area);
    if (rc == 0) rc = s_set(d, "month", json_string(month));
    if (rc == 0) rc = s_set(d, "from_ms", json_integer(e.from_ms));
    if (rc == 0) rc = s_set(d, "to_ms", json_integer(e.to_ms));
    if (rc == 0) rc = s_set(d, "timezone", json_string("UTC+08:00 (China Standard Time, "
                                                       "Asia/Shanghai)"));
    if (rc == 0) rc = s_set(d, "generated", json_integer(now));
    if (rc == 0) rc = s_set(d, "unit", json_string(s_dim_names[e.dim]));
    if (rc == 0) {
        json_t *t = s_acc_json(&total, 'e');
        rc = s_set(d, "totals", t);
        if (rc == 0) rc = s_set(t, "timeliness", s_rate(total.on_time, total.due));
    }
    if (rc == 0 && req->allowance && e.dim == DIM_WORKER)
        rc = s_set(d, "allowance", json_pack("{s:i, s:i, s:i, s:s}",
            "monthly_fen", GN_ALLOWANCE_FEN, "base_fen", GN_ALLOWANCE_BASE_FEN,
            "by_score_fen", GN_ALLOWANCE_SCORE_FEN,
            "rule", "base 200 yuan + 300 yuan x score; score = on time / due of the "
                    "worker's reports due in the month (1 when none was due)"));
    if (rc == 0) {
        rc = s_set(d, "units", rows);
        rows = NULL;
    }
    json_decref(rows);
    json_decref(staff);
    zhashx_destroy(&e.units);
    if (rc != 0) {
        json_decref(d);
        return rc;
    }
    *doc = d;
    return GN_OK;
}
