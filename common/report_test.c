/*  report_test.c -- summary.c and report.c: months of China Standard Time,
    the summary index kept by the workflow, the monthly report and the
    evaluation on a real store, with times chosen by the test; the index path
    against a full scan of the cases, and a rebuilt index against the one kept
    as the cases changed.  */
#include "apply.h"
#include "cases.h"
#include "err.h"
#include "ids.h"
#include "report.h"
#include "store.h"
#include "workflow.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define D   610403000000ULL      // the district: the node under test
#define V1  610403001001ULL      // 凤岗路社区, in 杨陵街道 610403001000
#define V2  610403002102ULL      // 景苑社区, in 李台街道 610403002000
#define MIN 60000LL
#define HOUR (60 * MIN)

//  Times of the scenario (UTC+8 wall clock in the comments).
#define APR10_1000 1775786400000LL   // 2026-04-10 10:00
#define APR30_2330 1777563000000LL   // 2026-04-30 23:30
#define MAY01_0000 1777564800000LL   // 2026-05-01 00:00
#define MAY02_0900 1777683600000LL   // 2026-05-02 09:00
#define MAY03_0900 1777770000000LL   // 2026-05-03 09:00
#define APR01_0000 1774972800000LL   // 2026-04-01 00:00
#define JUN01_0000 1780243200000LL   // 2026-06-01 00:00

static char s_dir[64];
static gn_store_t *s_store;

static int
s_setup(void **state)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/gn_report_test.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    assert_int_equal(gn_store_open(&s_store, s_dir, 1 << 20), 0);
    uint64_t n;
    assert_int_equal(gn_summary_index_open(s_store, &n), 0);
    assert_int_equal(n, 0);
    return 0;
}

static int
s_teardown(void **state)
{
    gn_store_destroy(&s_store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void
test_months(void **state)
{
    assert_int_equal(gn_month_start(202605), MAY01_0000);
    assert_int_equal(gn_month_start(202604), APR01_0000);
    assert_int_equal(gn_month_start(202606), JUN01_0000);
    assert_int_equal(gn_month_start(197001), -8 * HOUR);
    assert_int_equal(gn_month_of(MAY01_0000), 202605);
    assert_int_equal(gn_month_of(MAY01_0000 - 1), 202604);
    assert_int_equal(gn_month_of(APR30_2330), 202604);   // 15:30 UTC: still April at UTC+8
    assert_int_equal(gn_month_of(0), 197001);
    assert_int_equal(gn_month_of(-8 * HOUR - 1), 196912);
    assert_int_equal(gn_month_add(202601, -1), 202512);
    assert_int_equal(gn_month_add(202612, 1), 202701);
    assert_int_equal(gn_month_add(202605, -24), 202405);
    assert_int_equal(gn_month_diff(202511, 202602), 3);
    assert_int_equal(gn_month_diff(202602, 202511), -3);
    assert_true(gn_month_valid(202612));
    assert_false(gn_month_valid(202613));
    assert_false(gn_month_valid(202600));
    assert_false(gn_month_valid(196912));
    //  Every month start of four years maps back to its month, and the ms
    //  before it to the month before.
    for (unsigned m = 202401; m <= 202712; m = gn_month_add(m, 1)) {
        assert_int_equal(gn_month_of(gn_month_start(m)), m);
        assert_int_equal(gn_month_of(gn_month_start(m) - 1), gn_month_add(m, -1));
    }
}

// ---- the scenario, through the workflow with the test's clock ----

typedef struct {
    char ids[8][GN_CASE_ID_MAX];
    int n;
} scenario_t;

static int
s_ref(gn_txn_t *txn, const char *key, const char *value)
{
    gn_op_t op = GRIDNET__OP__INIT;
    op.action = GRIDNET__ACTION__ACT_REFDATA;
    op.time = APR01_0000;
    op.ref_key = (char *) key;
    op.ref_value.data = (uint8_t *) value;
    op.ref_value.len = strlen(value);
    return gn_apply_local(txn, D, &op);
}

static int
s_report(gn_txn_t *txn, scenario_t *sc, const char *grid, const char *category,
         const char *worker, int64_t now)
{
    Gridnet__Reporter rep = GRIDNET__REPORTER__INIT;
    rep.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
    rep.id = (char *) worker;
    Gridnet__ReportReq req = GRIDNET__REPORT_REQ__INIT;
    req.grid = (char *) grid;
    req.category = (char *) category;
    req.title = (char *) "测试事件";
    req.reporter = &rep;
    char err[256];
    int rc = gn_workflow_report(txn, D, &req, now, sc->ids[sc->n], err, sizeof err);
    if (rc != 0)
        print_error("report refused: %s\n", err);
    sc->n++;
    return rc;
}

static int
s_act(gn_txn_t *txn, const char *id, int action, int64_t now, bool ok, unsigned rating,
      const char *assignee)
{
    Gridnet__ActReq req = GRIDNET__ACT_REQ__INIT;
    req.case_id = (char *) id;
    req.action = action;
    req.ok = ok;
    req.rating = rating;
    req.assignee = (char *) assignee;
    req.note = (char *) "测试";
    char err[256];
    gn_case_t *state = NULL;
    int rc = gn_workflow_act(txn, D, &req, now, &state, err, sizeof err);
    if (rc != 0)
        print_error("action %d on %s refused: %s\n", action, id, err);
    gn_codec_free_case(&state);
    return rc;
}

#define A(x) GRIDNET__ACTION__ACT_##x

static int
s_scenario_txn(gn_txn_t *txn, void *arg)
{
    scenario_t *sc = arg;
    int rc, changed;
    sc->n = 0;
    if ((rc = s_ref(txn, "deadline/*/general", "{\"accept_h\": 1, \"handle_h\": 2}")) != 0)
        return rc;
    //  1: April, the whole loop on time, rated 4.
    int64_t t = APR10_1000;
    if ((rc = s_report(txn, sc, "610403001001-001", "矛盾纠纷", "gw-1", t)) != 0
        || (rc = s_act(txn, sc->ids[0], A(ACCEPT), t + 30 * MIN, false, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[0], A(DISPATCH), t + 40 * MIN, false, 0, "mediation")) != 0
        || (rc = s_act(txn, sc->ids[0], A(HANDLE), t + 90 * MIN, false, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[0], A(VERIFY), t + 110 * MIN, true, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[0], A(ARCHIVE), t + 115 * MIN, false, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[0], A(EVALUATE), t + 175 * MIN, false, 4, NULL)) != 0)
        return rc;
    //  2: April 23:30, not accepted within the hour (overdue), worked in May
    //  with one rework, closed at 03:00.
    t = APR30_2330;
    if ((rc = s_report(txn, sc, "610403001001-002", "环境卫生", "gw-1", t)) != 0
        || (rc = gn_workflow_tick(txn, D, t + 70 * MIN, &changed)) != 0
        || (rc = s_act(txn, sc->ids[1], A(ACCEPT), t + 80 * MIN, false, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[1], A(DISPATCH), t + 90 * MIN, false, 0, "environment")) != 0
        || (rc = s_act(txn, sc->ids[1], A(HANDLE), t + 120 * MIN, false, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[1], A(VERIFY), t + 130 * MIN, false, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[1], A(HANDLE), t + 150 * MIN, false, 0, NULL)) != 0
        || (rc = s_act(txn, sc->ids[1], A(VERIFY), t + 210 * MIN, true, 0, NULL)) != 0)
        return rc;
    if (changed != 1)
        return GN_EINVAL;
    //  3: May, rejected.
    if ((rc = s_report(txn, sc, "610403001001-001", "矛盾纠纷", "gw-1", MAY02_0900)) != 0
        || (rc = s_act(txn, sc->ids[2], A(REJECT), MAY02_0900 + MIN, false, 0, NULL)) != 0)
        return rc;
    //  4: May, in another town, left open past its deadline.
    if ((rc = s_report(txn, sc, "610403002102-001", "环境卫生", "gw-2", MAY03_0900)) != 0
        || (rc = gn_workflow_tick(txn, D, MAY03_0900 + 2 * HOUR, &changed)) != 0)
        return rc;
    return changed == 1 ? GN_OK : GN_EINVAL;
}

typedef struct {
    Gridnet__MonthlyReq *req;
    bool scan;
    json_t *doc;
} monthly_call_t;

static int
s_monthly_txn(gn_txn_t *txn, void *arg)
{
    monthly_call_t *m = arg;
    char err[256] = "";
    int rc = m->scan ? gn_report_monthly_scan(txn, D, m->req, 42, &m->doc, err, sizeof err)
                     : gn_report_monthly(txn, D, m->req, 42, &m->doc, err, sizeof err);
    if (rc != 0)
        print_error("monthly: %s (%s)\n", gn_strerror(rc), err);
    return rc;
}

static json_t *
s_monthly(unsigned from, unsigned to, const char *by, uint64_t area, unsigned trend, bool scan)
{
    Gridnet__MonthlyReq req = GRIDNET__MONTHLY_REQ__INIT;
    req.from_month = from;
    req.to_month = to;
    req.by = (char *) by;
    req.area = area;
    req.trend = trend;
    monthly_call_t m = { &req, scan, NULL };
    assert_int_equal(gn_store_read(s_store, s_monthly_txn, &m), 0);
    assert_non_null(m.doc);
    return m.doc;
}

static json_int_t
s_int(const json_t *doc, const char *path)
{
    //  path: dot-separated members; a number picks an array element
    const json_t *v = doc;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
        v = *p >= '0' && *p <= '9' ? json_array_get(v, (size_t) atoi(p)) : json_object_get(v, p);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

static double
s_real(const json_t *doc, const char *path)
{
    const json_t *v = doc;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
        v = *p >= '0' && *p <= '9' ? json_array_get(v, (size_t) atoi(p)) : json_object_get(v, p);
    if (!json_is_real(v))
        fail_msg("%s is not a real", path);
    return json_real_value(v);
}

static void
s_assert_same(json_t *a, json_t *b, const char *what)
{
    if (!json_equal(a, b)) {
        char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);
        print_error("%s differ:\n%s\n%s\n", what, x, y);
        free(x);
        free(y);
        fail();
    }
}

static void
test_monthly(void **state)
{
    scenario_t sc;
    assert_int_equal(gn_store_write(s_store, s_scenario_txn, &sc), 0);

    //  April at the district: cases 1 and 2.
    json_t *apr = s_monthly(202604, 0, "village", 0, 0, false);
    assert_int_equal(s_int(apr, "from_ms"), APR01_0000);
    assert_int_equal(s_int(apr, "to_ms"), MAY01_0000);
    assert_int_equal(s_int(apr, "totals.reported"), 2);
    assert_int_equal(s_int(apr, "totals.rejected"), 0);
    assert_int_equal(s_int(apr, "totals.closed"), 2);
    assert_true(s_real(apr, "totals.closure_rate") == 1.0);
    assert_int_equal(s_int(apr, "totals.closed_in_period"), 1);   // case 2 closed in May
    //  Due in April: case 1 (10:30 + 2 h); case 2's handling deadline is in May.
    assert_int_equal(s_int(apr, "totals.due"), 1);
    assert_int_equal(s_int(apr, "totals.on_time"), 1);
    assert_int_equal(s_int(apr, "totals.reworked"), 1);
    assert_true(s_real(apr, "totals.rework_rate") == 0.5);
    assert_int_equal(s_int(apr, "totals.rated"), 1);
    assert_true(s_real(apr, "totals.rating_avg") == 4.0);
    assert_int_equal(s_int(apr, "totals.satisfied"), 1);
    //  Steps: accept 30 and 80 min; dispatch 10 and 10; handle (from the
    //  dispatch to the last handling) 50 and 60; verify 20 and 60; total
    //  110 and 210 min; archive 5 and evaluate 60 (case 1 only).
    assert_int_equal(s_int(apr, "totals.steps.accept.n"), 2);
    assert_true(s_real(apr, "totals.steps.accept.avg_ms") == 55.0 * MIN);
    assert_int_equal(s_int(apr, "totals.steps.accept.p90_ms"), 80 * MIN);
    assert_true(s_real(apr, "totals.steps.dispatch.avg_ms") == 10.0 * MIN);
    assert_true(s_real(apr, "totals.steps.handle.avg_ms") == 55.0 * MIN);
    assert_int_equal(s_int(apr, "totals.steps.handle.p90_ms"), 60 * MIN);
    assert_true(s_real(apr, "totals.steps.verify.avg_ms") == 40.0 * MIN);
    assert_int_equal(s_int(apr, "totals.steps.archive.n"), 1);
    assert_int_equal(s_int(apr, "totals.steps.archive.p90_ms"), 5 * MIN);
    assert_int_equal(s_int(apr, "totals.steps.evaluate.p90_ms"), 60 * MIN);
    assert_true(s_real(apr, "totals.steps.total.avg_ms") == 160.0 * MIN);
    assert_int_equal(s_int(apr, "totals.steps.total.p90_ms"), 210 * MIN);
    //  Villages: 凤岗路社区 with both cases; 景苑社区 only for its case overdue
    //  now (reported in May: overdue_all counts whenever a case was reported).
    assert_int_equal(json_array_size(json_object_get(apr, "groups")), 2);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(json_object_get(apr, "groups"), 0), "key")), "610403001001");
    assert_int_equal(s_int(apr, "groups.0.reported"), 2);
    assert_int_equal(s_int(apr, "groups.1.reported"), 0);
    assert_int_equal(s_int(apr, "groups.1.overdue_all"), 1);
    assert_int_equal(s_int(apr, "totals.overdue_all"), 1);

    //  May: cases 3 (rejected) and 4 (open, overdue); case 2 closed and due here.
    json_t *may = s_monthly(202605, 0, "town", 0, 1, false);
    assert_int_equal(s_int(may, "totals.reported"), 2);
    assert_int_equal(s_int(may, "totals.rejected"), 1);
    assert_int_equal(s_int(may, "totals.closed"), 0);
    assert_true(s_real(may, "totals.closure_rate") == 0.0);
    assert_int_equal(s_int(may, "totals.closed_in_period"), 1);
    assert_int_equal(s_int(may, "totals.due"), 2);        // case 2 (late) and case 4 (open)
    assert_int_equal(s_int(may, "totals.on_time"), 0);
    assert_true(s_real(may, "totals.on_time_rate") == 0.0);
    assert_int_equal(s_int(may, "totals.overdue_now"), 1);
    assert_int_equal(s_int(may, "totals.overdue_all"), 1);
    assert_true(json_is_null(json_object_get(json_object_get(may, "totals"), "rating_avg")));
    assert_int_equal(s_int(may, "totals.steps.accept.n"), 0);
    //  The trend: April, then May.
    assert_int_equal(json_array_size(json_object_get(may, "months")), 2);
    assert_int_equal(s_int(may, "months.0.reported"), 2);
    assert_int_equal(s_int(may, "months.0.closed_in_period"), 1);
    assert_int_equal(s_int(may, "months.1.closed_in_period"), 1);
    //  Hotspots against April: 环境卫生 1 (1 before), 矛盾纠纷 1 (1 before).
    assert_int_equal(s_int(may, "hotspots.categories.0.reported"), 1);
    assert_int_equal(s_int(may, "hotspots.categories.0.previous"), 1);
    //  Towns: 杨陵街道 (case 3, and case 2 closed here), 李台街道 (case 4).
    assert_int_equal(json_array_size(json_object_get(may, "groups")), 2);

    //  The same documents without the index, and from a rebuilt index.
    static const char *const bys[] = { "category", "department", "town", "village", "grid" };
    json_t *docs[5];
    for (int i = 0; i < 5; i++) {
        json_t *idx = s_monthly(202604, 202605, bys[i], 0, 2, false);
        json_t *scan = s_monthly(202604, 202605, bys[i], 0, 2, true);
        s_assert_same(idx, scan, bys[i]);
        docs[i] = idx;
        json_decref(scan);
    }
    //  Area: 李台街道 holds case 4 only.
    json_t *lt = s_monthly(202605, 0, "grid", 610403002000ULL, 0, false);
    assert_int_equal(s_int(lt, "totals.reported"), 1);
    assert_int_equal(s_int(lt, "totals.overdue_now"), 1);
    json_decref(lt);

    json_decref(apr);
    json_decref(may);
    for (int i = 0; i < 5; i++)
        json_decref(docs[i]);
}

// ---- rebuilding ----

static int
s_forget_txn(gn_txn_t *txn, void *arg)
{
    int rc = gn_txn_clear(txn, GN_DB_IDX_TIME);
    return rc ? rc : gn_meta_put(txn, "report_index", 0);
}

static void
test_rebuild(void **state)
{
    scenario_t sc;
    assert_int_equal(gn_store_write(s_store, s_scenario_txn, &sc), 0);
    json_t *before = s_monthly(202604, 202605, "department", 0, 3, false);
    assert_int_equal(gn_store_write(s_store, s_forget_txn, NULL), 0);
    json_t *empty = s_monthly(202604, 202605, "department", 0, 3, false);
    assert_int_equal(s_int(empty, "totals.reported"), 0);
    uint64_t n;
    assert_int_equal(gn_summary_index_open(s_store, &n), 0);
    assert_int_equal(n, 4);
    json_t *after = s_monthly(202604, 202605, "department", 0, 3, false);
    s_assert_same(before, after, "kept and rebuilt index");
    assert_int_equal(gn_summary_index_open(s_store, &n), 0);
    assert_int_equal(n, 0);   // once only
    json_decref(before);
    json_decref(empty);
    json_decref(after);
}

// ---- the evaluation ----

typedef struct {
    Gridnet__EvalReq *req;
    json_t *doc;
    int rc;
} eval_call_t;

static int
s_eval_txn(gn_txn_t *txn, void *arg)
{
    eval_call_t *e = arg;
    char err[256] = "";
    e->rc = gn_report_eval(txn, D, e->req, 42, &e->doc, err, sizeof err);
    return GN_OK;
}

static void
test_eval(void **state)
{
    scenario_t sc;
    assert_int_equal(gn_store_write(s_store, s_scenario_txn, &sc), 0);
    Gridnet__EvalReq req = GRIDNET__EVAL_REQ__INIT;
    req.month = 202605;
    req.allowance = true;
    eval_call_t e = { &req, NULL, 0 };
    assert_int_equal(gn_store_read(s_store, s_eval_txn, &e), 0);
    assert_int_equal(e.rc, 0);
    //  gw-1: case 3 reported (rejected); case 2 due in May, late: score 0.
    //  gw-2: case 4, due, open: score 0. (No reward rule: no ledger entries.)
    json_t *units = json_object_get(e.doc, "units");
    assert_int_equal(json_array_size(units), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(units, 0), "key")),
                        "gw-1");
    assert_int_equal(s_int(e.doc, "units.0.reported"), 1);
    assert_int_equal(s_int(e.doc, "units.0.rejected"), 1);
    assert_int_equal(s_int(e.doc, "units.0.due"), 1);
    assert_int_equal(s_int(e.doc, "units.0.on_time"), 0);
    assert_int_equal(s_int(e.doc, "units.0.allowance_fen"), GN_ALLOWANCE_BASE_FEN);
    assert_int_equal(s_int(e.doc, "units.1.due"), 1);
    //  April: gw-1's case 1 was due and on time; case 2 (reported in April)
    //  is due in May. Score 1, the whole allowance.
    req.month = 202604;
    json_decref(e.doc);
    e.doc = NULL;
    assert_int_equal(gn_store_read(s_store, s_eval_txn, &e), 0);
    assert_int_equal(e.rc, 0);
    assert_int_equal(s_int(e.doc, "units.0.reported"), 2);
    assert_int_equal(s_int(e.doc, "units.0.due"), 1);
    assert_int_equal(s_int(e.doc, "units.0.on_time"), 1);
    assert_int_equal(s_int(e.doc, "units.0.allowance_fen"), GN_ALLOWANCE_FEN);
    json_decref(e.doc);
    //  Refusals: a bad unit, an area outside the node.
    req.unit = (char *) "grid";
    e.doc = NULL;
    assert_int_equal(gn_store_read(s_store, s_eval_txn, &e), 0);
    assert_int_equal(e.rc, GN_EINVAL);
    assert_null(e.doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_months),
        cmocka_unit_test_setup_teardown(test_monthly, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rebuild, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_eval, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
