/*  query_test.c -- the pages' summary of the open cases (gn_query_summary)
    and the reporter filter of a case query, on a real store.  */
#include "query.h"
#include "cases.h"
#include "err.h"
#include "store.h"

#include <jansson.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define D  610403000000ULL
#define T  610403001000ULL
#define V1 610403001001ULL
#define V3 610403001003ULL

typedef struct {
    const char *id, *grid, *reporter;
    int status;
    bool overdue;
    uint32_t supervisions;
    int64_t due;                // due_accept (reported) or due_handle
} spec_t;

static const spec_t s_cases[] = {
    { "610403001001-1", "610403001001-001", "gw-a", GRIDNET__STATUS__ST_REPORTED, true, 0, 5000 },
    { "610403001001-2", "610403001001-002", "gw-b", GRIDNET__STATUS__ST_ACCEPTED, false, 1, 9000 },
    { "610403001001-3", "610403001001-001", "gw-a", GRIDNET__STATUS__ST_VERIFIED, false, 2, 0 },
    { "610403001003-1", "610403001003-001", "gw-c", GRIDNET__STATUS__ST_DISPATCHED, true, 1, 3000 },
};
#define NCASES (sizeof s_cases / sizeof s_cases[0])

static int
s_put_txn(gn_txn_t *txn, void *arg)
{
    for (size_t i = 0; i < NCASES; i++) {
        const spec_t *sp = &s_cases[i];
        Gridnet__Reporter rep = GRIDNET__REPORTER__INIT;
        rep.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
        rep.id = (char *) sp->reporter;
        uint64_t trail[1] = { V1 };
        gn_case_t c = GRIDNET__CASE__INIT;
        c.id = (char *) sp->id;
        c.origin = strncmp(sp->id, "610403001003", 12) == 0 ? V3 : V1;
        c.grid = (char *) sp->grid;
        c.category = (char *) "矛盾纠纷";
        c.title = (char *) "邻里纠纷";
        c.reporter = &rep;
        c.status = sp->status;
        c.severity = GRIDNET__SEVERITY__SEV_GENERAL;
        c.owner = T;
        c.level = 2;
        c.epoch = 1;
        c.version = 1;
        c.created = 1000 + (int64_t) i;
        c.updated = c.created;
        c.overdue = sp->overdue;
        c.supervisions = sp->supervisions;
        c.n_trail = 1;
        c.trail = trail;
        if (sp->status == GRIDNET__STATUS__ST_REPORTED)
            c.due_accept = sp->due;
        else
            c.due_handle = sp->due;
        int rc = gn_cases_put(txn, &c, NULL);
        if (rc != 0)
            return rc;
    }
    return GN_OK;
}

typedef struct {
    json_t *doc;
    Gridnet__CaseList list;
    const char *reporter;
} read_t;

static int
s_summary_txn(gn_txn_t *txn, void *arg)
{
    read_t *r = arg;
    return gn_query_summary(txn, T, 12345, 0, &r->doc);
}

static int
s_query_txn(gn_txn_t *txn, void *arg)
{
    read_t *r = arg;
    Gridnet__CaseQueryReq q = GRIDNET__CASE_QUERY_REQ__INIT;
    q.reporter = (char *) r->reporter;
    return gn_query_cases(txn, &q, &r->list);
}

static gn_store_t *
s_store(char *dir)
{
    assert_non_null(mkdtemp(dir));
    gn_store_t *store = NULL;
    assert_int_equal(gn_store_open(&store, dir, 1 << 20), 0);
    assert_int_equal(gn_store_write(store, s_put_txn, NULL), 0);
    return store;
}

static void
s_rm(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static json_int_t
s_int(json_t *doc, const char *path1, const char *path2)
{
    json_t *v = json_object_get(doc, path1);
    if (path2)
        v = json_object_get(v, path2);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

//  Counts from the status index; overdue, supervised and the villages over
//  the open cases only (the verified one, supervised twice, counts nowhere).
static void
test_summary(void **state)
{
    char dir[] = "/tmp/gn-query-test.XXXXXX";
    gn_store_t *store = s_store(dir);
    read_t r = { 0 };
    assert_int_equal(gn_store_read(store, s_summary_txn, &r), 0);
    assert_non_null(r.doc);
    assert_int_equal(s_int(r.doc, "counts", "reported"), 1);
    assert_int_equal(s_int(r.doc, "counts", "accepted"), 1);
    assert_int_equal(s_int(r.doc, "counts", "dispatched"), 1);
    assert_int_equal(s_int(r.doc, "counts", "verified"), 1);
    assert_int_equal(s_int(r.doc, "counts", "rejected"), 0);
    assert_int_equal(s_int(r.doc, "open", NULL), 3);
    assert_int_equal(s_int(r.doc, "overdue", NULL), 2);
    assert_int_equal(s_int(r.doc, "supervised", NULL), 2);
    assert_int_equal(s_int(r.doc, "node", NULL), (json_int_t) T);
    json_t *v = json_object_get(r.doc, "villages");
    assert_int_equal(json_object_size(v), 2);
    assert_int_equal(s_int(json_object_get(v, "610403001001"), "open", NULL), 2);
    assert_int_equal(s_int(json_object_get(v, "610403001001"), "overdue", NULL), 1);
    assert_int_equal(s_int(json_object_get(v, "610403001003"), "open", NULL), 1);
    assert_int_equal(s_int(json_object_get(v, "610403001003"), "overdue", NULL), 1);
    //  The most pressing first: the earliest deadline.
    json_t *od = json_object_get(r.doc, "overdue_cases");
    assert_int_equal(json_array_size(od), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(od, 0), "id")),
                        "610403001003-1");
    assert_int_equal(s_int(json_array_get(od, 0), "due", NULL), 3000);
    assert_string_equal(json_string_value(json_object_get(json_array_get(od, 0), "status")),
                        "dispatched");
    json_t *sv = json_object_get(r.doc, "supervised_cases");
    assert_int_equal(json_array_size(sv), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sv, 0), "id")),
                        "610403001003-1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(sv, 1), "id")),
                        "610403001001-2");
    json_decref(r.doc);
    gn_store_destroy(&store);
    s_rm(dir);
}

//  A case query with a reporter: that reporter's cases only, newest first.
static void
test_reporter(void **state)
{
    char dir[] = "/tmp/gn-query-test.XXXXXX";
    gn_store_t *store = s_store(dir);
    read_t r = { .reporter = "gw-a" };
    assert_int_equal(gn_store_read(store, s_query_txn, &r), 0);
    assert_int_equal(r.list.n_cases, 2);
    assert_string_equal(r.list.cases[0]->id, "610403001001-3");
    assert_string_equal(r.list.cases[1]->id, "610403001001-1");
    for (size_t i = 0; i < r.list.n_cases; i++)
        gn_codec_free_case(&r.list.cases[i]);
    free(r.list.cases);
    memset(&r.list, 0, sizeof r.list);
    r.reporter = "nobody";
    assert_int_equal(gn_store_read(store, s_query_txn, &r), 0);
    assert_int_equal(r.list.n_cases, 0);
    free(r.list.cases);
    gn_store_destroy(&store);
    s_rm(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_reporter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
