/*  gn_report_bench.c -- gn-report-bench: the monthly report from the summary
    index against the same report from a full scan of the cases (issue 7).

        gn-report-bench [--cases N] [--months M] [--month YYYY-MM] [--runs R]
                        [--tmp DIR] [--keep]

    1. Fill a fresh store (in a temp dir under --tmp, default $TMPDIR or /tmp)
       with N cases (default 1,000,000) reported over M months (default 24:
       2024-01 to 2025-12), through the real write path of a node's store:
       gn_cases_put for each case's final state (the case record, its list
       indexes and its summary, in the same transaction) and, for each op of
       its history, the op stored by gn_ops_put_raw and gn_cases_history_add
       (which folds the op into the summary), 10,000 cases per transaction.
       The ops carry a trimmed state (see s_one_case). The cases
       are spread over 5 towns x 15 villages x 5 grids and 11 categories
       with the mix of deploy/README; outcomes: 3 % rejected, 2 % still open
       (half of them overdue), 5 % reworked, 10 % late, 3 % supervised, 15 %
       escalated, 60 % archived and 40 % of them rated.
    2. Time the monthly report of one month (default the 18th, 2025-06),
       broken down by category, with gn_report_monthly (the index) and with
       gn_report_monthly_scan (every case unpacked, the history of each one
       that counts), R times each (default 3), in read transactions, with the
       store in the page cache (warm; the fill put it there).
    3. Check both give the same document, and print the times and the ratio
       as Markdown lines (bench/RESULTS.md).

    Deterministic: the same N and M give the same store. Exits 1 if it could
    not measure or the two documents differ.  */
#include "cases.h"
#include "codec.h"
#include "err.h"
#include "feed.h"
#include "ids.h"
#include "report.h"
#include "store.h"

#include <jansson.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH       10000       // cases per write transaction
#define TOWNS       5
#define VILLAGES    15          // per town
#define GRIDS       5           // per village
#define FIRST_MONTH 202401
#define MIN_MS      60000LL
#define HOUR_MS     (60 * MIN_MS)
#define DAY_MS      (24 * HOUR_MS)

static const unsigned s_towns[TOWNS] = { 1, 2, 3, 100, 102 };   // 杨陵's town codes
static const struct {
    const char *name;           // category
    const char *dept;           // its department
    unsigned pct;               // share of cases, %
} s_cats[] = {
    { "环境卫生", "environment", 24 }, { "市政设施", "municipal", 18 },
    { "矛盾纠纷", "mediation", 15 }, { "治安隐患", "public_security", 10 },
    { "民政服务", "civil_affairs", 9 }, { "消防安全", "fire", 6 },
    { "安全生产", "work_safety", 6 }, { "食品安全", "food_safety", 5 },
    { "劳动保障", "hrss", 4 }, { "信访维稳", "petitions", 2 }, { "禁毒", "anti_drug", 1 },
};
#define CATS (sizeof s_cats / sizeof s_cats[0])

static void s_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static char s_tmp[512];
static bool s_keep;

static void
s_cleanup(void)
{
    if (!*s_tmp || s_keep)
        return;
    char path[600];
    snprintf(path, sizeof path, "%s/data.mdb", s_tmp);
    (void) unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", s_tmp);
    (void) unlink(path);
    (void) rmdir(s_tmp);
}

static void
s_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gn-report-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    s_cleanup();
    exit(1);
}

static double
s_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

//  Wall time, and the CPU time of this process (the figure a shared,
//  busy machine leaves least distorted).
static double
s_now(void)
{
    return s_clock(CLOCK_MONOTONIC);
}

static double
s_cpu(void)
{
    return s_clock(CLOCK_PROCESS_CPUTIME_ID);
}

//  xorshift64*: the same store for the same arguments.
static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
s_rand(void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545f4914f6cdd1dULL;
}

//  Uniform in [lo, hi).
static int64_t
s_between(int64_t lo, int64_t hi)
{
    return lo + (int64_t) (s_rand() % (uint64_t) (hi - lo));
}

static bool
s_chance(unsigned pct)
{
    return s_rand() % 100 < pct;
}

// ---- filling ----

typedef struct {
    uint64_t n;                 // cases to write
    uint64_t done;              // written so far (committed)
    int64_t from_ms, to_ms;     // reported between
    uint64_t case_n[TOWNS * VILLAGES];  // per village: case counter
    uint64_t op_seq[TOWNS * VILLAGES];  // per village: op counter
    uint64_t ops;               // ops written
    uint64_t rng;               // the generator's state after the last batch
} fill_t;

typedef struct {
    int action;
    int64_t time;
} step_op_t;

static int
s_one_case(gn_txn_t *txn, fill_t *f)
{
    unsigned v = (unsigned) (s_rand() % (TOWNS * VILLAGES));
    uint64_t village = 610403000000ULL + s_towns[v / VILLAGES] * 1000ULL + (v % VILLAGES) + 1;
    unsigned pick = (unsigned) (s_rand() % 100), acc = 0;
    size_t cat = 0;
    for (size_t i = 0; i < CATS; i++) {
        acc += s_cats[i].pct;
        if (pick < acc) {
            cat = i;
            break;
        }
    }
    char id[GN_CASE_ID_MAX], grid[32], worker[48], name[64];
    uint64_t n = ++f->case_n[v];
    gn_case_id_format(id, village, n);
    unsigned g = (unsigned) (s_rand() % GRIDS) + 1;
    snprintf(grid, sizeof grid, "%012llu-%03u", (unsigned long long) village, g);
    snprintf(worker, sizeof worker, "gw-%s", grid);
    snprintf(name, sizeof name, "网格员%u号", g);

    int64_t t0 = s_between(f->from_ms, f->to_ms);
    Gridnet__Reporter rep = GRIDNET__REPORTER__INIT;
    rep.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
    rep.id = worker;
    rep.name = name;
    uint64_t trail[2] = { village, village - village % 1000 };
    gn_case_t c = GRIDNET__CASE__INIT;
    c.id = id;
    c.origin = village;
    c.grid = grid;
    c.category = (char *) s_cats[cat].name;
    c.title = (char *) "网格员巡查发现问题，现场拍照上报";
    c.description = (char *) "网格员日常巡查中发现，已现场拍照留存，请相关部门及时处置。";
    c.address = (char *) "杨凌示范区某路某号附近";
    c.reporter = &rep;
    c.channel = GRIDNET__CHANNEL__CH_TERMINAL;
    c.severity = s_chance(5) ? GRIDNET__SEVERITY__SEV_MAJOR : GRIDNET__SEVERITY__SEV_GENERAL;
    c.owner = village;
    c.epoch = 1;
    c.created = t0;
    c.n_trail = 1;
    c.trail = trail;
    c.level = 3;
    c.due_accept = t0 + DAY_MS;

    //  The story, op by op.
    step_op_t ops[16];
    size_t nops = 0;
    ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_REPORT, t0 };
    bool late = s_chance(10);
    bool escalated = s_chance(15);
    int64_t t = t0;
    if (escalated) {
        t += s_between(10 * MIN_MS, 4 * HOUR_MS);
        ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_ESCALATE, t };
        c.escalations = 1;
        c.owner = trail[1];
        c.n_trail = 2;
        c.level = 2;
        c.epoch = 2;
    }
    unsigned fate = (unsigned) (s_rand() % 100);
    if (late)
        ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_OVERDUE, c.due_accept };
    if (s_chance(3)) {   // supervised
        c.supervisions = 1;
        ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_SUPERVISE, t + HOUR_MS };
    }
    if (fate < 3) {   // rejected
        t += s_between(MIN_MS, 6 * HOUR_MS);
        ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_REJECT, t };
        c.status = GRIDNET__STATUS__ST_REJECTED;
        c.reason = (char *) "重复上报";
    }
    else {
        t = (late ? c.due_accept : t) + s_between(5 * MIN_MS, 10 * HOUR_MS);
        ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_ACCEPT, t };
        c.due_handle = t + 5 * DAY_MS;
        if (fate < 5) {   // still open; half of them past their deadline
            c.status = GRIDNET__STATUS__ST_ACCEPTED;
            c.overdue = s_chance(50);
        }
        else {
            t += s_between(MIN_MS, 2 * HOUR_MS);
            ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_DISPATCH, t };
            c.assignee = (char *) s_cats[cat].dept;
            t += s_between(HOUR_MS, 4 * DAY_MS);
            ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_HANDLE, t };
            if (s_chance(5)) {
                t += s_between(10 * MIN_MS, DAY_MS);
                ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_VERIFY, t };
                t += s_between(HOUR_MS, 2 * DAY_MS);
                ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_HANDLE, t };
                c.reworks = 1;
            }
            t += s_between(10 * MIN_MS, DAY_MS);
            ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_VERIFY, t };
            c.status = GRIDNET__STATUS__ST_VERIFIED;
            c.closed = t;
            c.reward = 500;
            c.handler = c.owner;
            c.feedback = (char *) "已处置完毕，现场恢复正常";
            if (s_chance(60)) {
                t += s_between(HOUR_MS, 3 * DAY_MS);
                ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_ARCHIVE, t };
                c.status = GRIDNET__STATUS__ST_ARCHIVED;
                if (s_chance(40)) {
                    t += s_between(HOUR_MS, 7 * DAY_MS);
                    ops[nops++] = (step_op_t) { GRIDNET__ACTION__ACT_EVALUATE, t };
                    c.status = GRIDNET__STATUS__ST_EVALUATED;
                    c.rating = (uint32_t) (s_rand() % 5) + 1;
                }
            }
        }
    }
    c.version = (uint32_t) nops;
    c.updated = t;

    //  The case, then its history. A node's op carries the case's whole
    //  state; these carry a trimmed one (id, origin, created, version), which
    //  keeps the store small and the fill quick, and favours the full scan,
    //  the only one that reads ops (the index path never does).
    gn_case_t trimmed = GRIDNET__CASE__INIT;
    trimmed.id = id;
    trimmed.origin = c.origin;
    trimmed.created = c.created;
    int rc = gn_cases_put(txn, &c, NULL);
    for (size_t i = 0; rc == 0 && i < nops; i++) {
        gn_op_t op = GRIDNET__OP__INIT;
        op.origin = c.origin;
        op.seq = ++f->op_seq[v];
        op.case_id = id;
        op.version = (uint32_t) i + 1;
        op.epoch = 1;
        op.action = ops[i].action;
        op.time = ops[i].time;
        trimmed.version = op.version;
        op.state = &trimmed;
        uint8_t *buf;
        size_t len;
        if ((rc = gn_codec_pack(&op.base, GN_ENVELOPE_MAX, &buf, &len)) != 0)
            break;
        rc = gn_ops_put_raw(txn, op.origin, op.seq, buf, len);
        free(buf);
        if (rc == 0)
            rc = gn_cases_history_add(txn, &op);
        f->ops++;
    }
    return rc;
}

//  One batch. gn_store_write runs it again from the start after a map
//  growth, so it starts from a copy of the counters and the generator taken
//  before the first attempt.
typedef struct {
    fill_t *f;                  // the counters, advanced once the batch is done
    fill_t before;              // as they were before the batch
} attempt_t;

static int
s_fill_txn(gn_txn_t *txn, void *arg)
{
    attempt_t *a = arg;
    fill_t *f = a->f;
    *f = a->before;
    s_rng = f->rng;
    uint64_t end = f->done + BATCH < f->n ? f->done + BATCH : f->n;
    int rc = 0;
    for (uint64_t i = f->done; i < end && rc == 0; i++)
        rc = s_one_case(txn, f);
    if (rc != 0)
        return rc;
    f->done = end;
    f->rng = s_rng;
    return GN_OK;
}

// ---- the reports ----

typedef struct {
    Gridnet__MonthlyReq *req;
    bool scan;
    json_t *doc;
    char err[256];
} call_t;

static int
s_report_txn(gn_txn_t *txn, void *arg)
{
    call_t *c = arg;
    int64_t now = 0;   // "generated": the same in both documents
    return c->scan ? gn_report_monthly_scan(txn, 610403000000ULL, c->req, now, &c->doc,
                                            c->err, sizeof c->err)
                   : gn_report_monthly(txn, 610403000000ULL, c->req, now, &c->doc,
                                       c->err, sizeof c->err);
}

//  One report in a read transaction: *wall and *cpu get its times, s.
static void
s_time_report(gn_store_t *store, Gridnet__MonthlyReq *req, bool scan, json_t **doc,
              double *wall, double *cpu)
{
    call_t c = { .req = req, .scan = scan };
    double t = s_now(), u = s_cpu();
    int rc = gn_store_read(store, s_report_txn, &c);
    *cpu = s_cpu() - u;
    *wall = s_now() - t;
    if (rc != 0)
        s_die("report%s: %s %s", scan ? " (scan)" : "", gn_strerror(rc), c.err);
    json_decref(*doc);
    *doc = c.doc;
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static int64_t
s_int(const json_t *doc, const char *a, const char *b)
{
    return json_integer_value(json_object_get(json_object_get(doc, a), b));
}

int
main(int argc, char **argv)
{
    uint64_t n = 1000000;
    unsigned months = 24, month = 0, runs = 3;
    const char *parent = getenv("TMPDIR"), *reuse = NULL;
    static const struct option opts[] = {
        { "cases", required_argument, NULL, 'n' }, { "months", required_argument, NULL, 'm' },
        { "month", required_argument, NULL, 'M' }, { "runs", required_argument, NULL, 'r' },
        { "tmp", required_argument, NULL, 't' }, { "keep", no_argument, NULL, 'k' },
        { "reuse", required_argument, NULL, 'R' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        unsigned y, mm;
        switch (c) {
        case 'n': n = strtoull(optarg, NULL, 10); break;
        case 'm': months = (unsigned) strtoul(optarg, NULL, 10); break;
        case 'r': runs = (unsigned) strtoul(optarg, NULL, 10); break;
        case 't': parent = optarg; break;
        case 'k': s_keep = true; break;
        case 'R': reuse = optarg; break;
        case 'M':
            if (sscanf(optarg, "%4u-%2u", &y, &mm) != 2 || !gn_month_valid(y * 100 + mm))
                s_die("--month wants YYYY-MM, not '%s'", optarg);
            month = y * 100 + mm;
            break;
        default:
            printf("usage: gn-report-bench [--cases N] [--months M] [--month YYYY-MM] "
                   "[--runs R] [--tmp DIR] [--keep] [--reuse DIR]\n");
            return c == 'h' ? 0 : 1;
        }
    }
    if (n == 0 || months == 0 || months > 240 || runs == 0 || runs > 100)
        s_die("--cases > 0, --months 1..240, --runs 1..100");
    unsigned last = gn_month_add(FIRST_MONTH, (int) months - 1);
    if (!month)
        month = gn_month_add(FIRST_MONTH, months >= 18 ? 17 : (int) months - 1);
    if (month < FIRST_MONTH || month > last)
        s_die("--month must be one of the %u months filled", months);

    if (reuse) {   // a store kept by an earlier run with the same --cases and --months
        snprintf(s_tmp, sizeof s_tmp, "%s", reuse);
        s_keep = true;
    }
    else
        snprintf(s_tmp, sizeof s_tmp, "%s/gn-report-bench.XXXXXX",
                 parent && *parent ? parent : "/tmp");
    if (!reuse && !mkdtemp(s_tmp)) {
        *s_tmp = 0;
        s_die("cannot make a temp dir: %s", strerror(errno));
    }
    gn_store_t *store = NULL;
    size_t map = (size_t) 64 << 20;
    while (map < n * 6144 && map < ((size_t) 1 << 38))   // about what the cases will take
        map *= 2;
    int rc = gn_store_open(&store, s_tmp, map);
    uint64_t built;
    if (rc != 0 || (rc = gn_summary_index_open(store, &built)) != 0)
        s_die("store in %s: %s", s_tmp, gn_strerror(rc));

    //  1. Fill.
    fill_t f = { .n = n, .from_ms = gn_month_start(FIRST_MONTH),
                 .to_ms = gn_month_start(gn_month_add(last, 1)), .rng = s_rng };
    fprintf(stderr, "gn-report-bench: filling %s with %llu cases over %u months ...\n", s_tmp,
            (unsigned long long) n, months);
    double t_fill = s_now(), c_fill = s_cpu();
    if (reuse)
        f.done = f.n;
    while (f.done < f.n) {
        attempt_t a = { &f, f };
        if ((rc = gn_store_write(store, s_fill_txn, &a)) != 0)
            s_die("fill: %s", gn_strerror(rc));
        if (f.done % 100000 == 0 || f.done == f.n)
            fprintf(stderr, "  %llu cases, %.0f s\n", (unsigned long long) f.done,
                    s_now() - t_fill);
    }
    t_fill = s_now() - t_fill;
    c_fill = s_cpu() - c_fill;
    char path[600];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", s_tmp);
    double mib = stat(path, &st) == 0 ? (double) st.st_size / (1 << 20) : 0;

    //  2. Time both, alternately.
    Gridnet__MonthlyReq req = GRIDNET__MONTHLY_REQ__INIT;
    req.from_month = month;
    req.by = (char *) "category";
    json_t *d_index = NULL, *d_scan = NULL;
    //  wall and CPU times, index and scan: t[0..runs) wall index, then cpu
    //  index, wall scan, cpu scan
    double *t = calloc(4 * (size_t) runs, sizeof *t);
    if (!t)
        s_die("out of memory");
    double *wi = t, *ci = t + runs, *ws = t + 2 * runs, *cs = t + 3 * runs;
    for (unsigned i = 0; i < runs; i++) {
        s_time_report(store, &req, false, &d_index, &wi[i], &ci[i]);
        s_time_report(store, &req, true, &d_scan, &ws[i], &cs[i]);
        fprintf(stderr, "  run %u: index %.1f ms (cpu %.1f), full scan %.0f ms (cpu %.0f)\n",
                i + 1, 1000 * wi[i], 1000 * ci[i], 1000 * ws[i], 1000 * cs[i]);
    }
    for (int k = 0; k < 4; k++)
        qsort(t + k * runs, runs, sizeof *t, s_cmp_double);
    double mwi = wi[runs / 2], mci = ci[runs / 2], mws = ws[runs / 2], mcs = cs[runs / 2];

    //  3. The same figures?
    bool same = json_equal(d_index, d_scan);
    char mtext[16];
    snprintf(mtext, sizeof mtext, "%04u-%02u", month / 100, month % 100);
    printf("| cases in the store | %llu over %u months (%u-%02u to %u-%02u), %llu ops, "
           "%.0f MiB |\n", (unsigned long long) n, months, FIRST_MONTH / 100, FIRST_MONTH % 100,
           last / 100, last % 100, (unsigned long long) f.ops, mib);
    if (reuse)
        printf("| fill | (store reused from %s) |\n", reuse);
    else
        printf("| fill (real write path, %d cases/txn) | %.1f s wall (%.1f s CPU), %.0f "
               "cases/s |\n", BATCH, t_fill, c_fill, (double) n / t_fill);
    printf("| monthly report %s by category, from the index | %.2f ms wall, %.2f ms CPU "
           "(medians of %u runs) |\n", mtext, 1000 * mwi, 1000 * mci, runs);
    printf("| the same, full scan of the cases | %.1f ms wall, %.1f ms CPU (medians of %u "
           "runs) |\n", 1000 * mws, 1000 * mcs, runs);
    printf("| ratio full scan / index | %.0fx CPU, %.0fx wall |\n", mcs / mci, mws / mwi);
    printf("| figures of the month | %lld reported, %lld closed, %lld due, %lld on time, "
           "%lld closed in the month; identical in both: %s |\n",
           (long long) s_int(d_index, "totals", "reported"),
           (long long) s_int(d_index, "totals", "closed"),
           (long long) s_int(d_index, "totals", "due"),
           (long long) s_int(d_index, "totals", "on_time"),
           (long long) s_int(d_index, "totals", "closed_in_period"), same ? "yes" : "NO");
    if (!same) {
        char *a = json_dumps(d_index, JSON_SORT_KEYS), *b = json_dumps(d_scan, JSON_SORT_KEYS);
        fprintf(stderr, "index: %s\nscan:  %s\n", a ? a : "?", b ? b : "?");
        free(a);
        free(b);
    }
    json_decref(d_index);
    json_decref(d_scan);
    free(t);
    gn_store_destroy(&store);
    if (s_keep)
        fprintf(stderr, "gn-report-bench: kept %s\n", s_tmp);
    s_cleanup();
    return same ? 0 : 1;
}
