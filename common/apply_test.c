/*  apply_test.c -- dedup, arbitration (I3), scope (I8), order tolerance and
    the workflow's report on a real LMDB environment.  */
#include "apply.h"
#include "cases.h"
#include "err.h"
#include "feed.h"
#include "ids.h"
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

#define DISTRICT 610403000000ULL
#define TOWN     610403001000ULL
#define VILLAGE  610403001001ULL
#define SIBLING  610403001003ULL

typedef struct {
    char dir[64];
    gn_store_t *store;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/gn_apply_test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(gn_store_open(&f->store, f->dir, 1 << 20), 0);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    gn_store_destroy(&f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

//  A case op as `author` would write it: the case <village>-1 at version v.
typedef struct {
    gn_case_t c;
    gn_op_t op;
    Gridnet__Reporter reporter;
    uint64_t trail[4];
    char id[GN_CASE_ID_MAX];
    uint8_t *bytes;
    size_t len;
} made_t;

static void
s_make(made_t *m, uint64_t author, uint64_t seq, uint32_t epoch, uint32_t version,
       uint64_t owner, Gridnet__Status status, Gridnet__Action action)
{
    memset(m, 0, sizeof *m);
    gridnet__case__init(&m->c);
    gridnet__op__init(&m->op);
    gridnet__reporter__init(&m->reporter);
    gn_case_id_format(m->id, VILLAGE, 1);
    m->c.id = m->id;
    m->c.origin = VILLAGE;
    m->c.grid = (char *) "610403001001-001";
    m->c.category = (char *) "环境卫生";
    m->c.title = (char *) "垃圾堆放";
    m->c.reporter = &m->reporter;
    m->c.status = status;
    m->c.owner = owner;
    m->c.epoch = owner == author || action == GRIDNET__ACTION__ACT_REPORT ? epoch : epoch + 1;
    m->c.version = version;
    m->trail[0] = VILLAGE;
    m->c.trail = m->trail;
    m->c.n_trail = 1;
    if (owner != VILLAGE)
        m->trail[m->c.n_trail++] = owner;
    m->op.origin = author;
    m->op.seq = seq;
    m->op.case_id = m->id;
    m->op.version = version;
    m->op.epoch = epoch;
    m->op.action = action;
    m->op.state = &m->c;
    assert_int_equal(gn_codec_pack(&m->op.base, 1 << 20, &m->bytes, &m->len), 0);
}

typedef struct {
    made_t *m;
    gn_apply_ctx_t ctx;
    gn_apply_result_t result;
    int rc;
} apply_arg_t;

static int
s_apply_txn(gn_txn_t *txn, void *arg)
{
    apply_arg_t *a = arg;
    a->rc = gn_apply(txn, &a->ctx, &a->m->op, a->m->bytes, a->m->len, &a->result);
    return a->rc == GN_ESCOPE ? 0 : a->rc;
}

static gn_apply_result_t
s_apply(fixture_t *f, made_t *m, uint64_t self, uint64_t peer, gn_from_t from, int *rc)
{
    apply_arg_t a = { .m = m, .ctx = { .self = self, .peer = peer, .from = from } };
    assert_int_equal(gn_store_write(f->store, s_apply_txn, &a), 0);
    *rc = a.rc;
    return a.result;
}

typedef struct {
    gn_case_t *c;
    uint64_t head;
    uint64_t conflicts;
    int history;
} look_t;

static int
s_count_op(uint64_t origin, uint64_t seq, void *arg)
{
    ((look_t *) arg)->history++;
    return 0;
}

static int
s_look_txn(gn_txn_t *txn, void *arg)
{
    look_t *l = arg;
    char id[GN_CASE_ID_MAX];
    uint8_t key[16];
    gn_case_id_format(id, VILLAGE, 1);
    gn_case_key(key, VILLAGE, 1);
    int rc = gn_cases_get(txn, id, &l->c);
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;
    if ((rc = gn_feed_head(txn, &l->head)) != 0
        || (rc = gn_meta_get(txn, "conflicts", &l->conflicts)) != 0)
        return rc;
    return gn_cases_history(txn, key, s_count_op, l);
}

static look_t
s_look(fixture_t *f)
{
    look_t l = { 0 };
    assert_int_equal(gn_store_read(f->store, s_look_txn, &l), 0);
    return l;
}

static void
test_dedup_and_arbitration(void **state)
{
    fixture_t *f = *state;
    int rc;
    made_t report, accept, stale;
    s_make(&report, VILLAGE, 1, 1, 1, VILLAGE, GRIDNET__STATUS__ST_REPORTED,
           GRIDNET__ACTION__ACT_REPORT);
    s_make(&accept, VILLAGE, 2, 1, 2, VILLAGE, GRIDNET__STATUS__ST_ACCEPTED,
           GRIDNET__ACTION__ACT_ACCEPT);
    //  Same version again from the owner under a new op id: does not follow.
    s_make(&stale, VILLAGE, 3, 1, 2, VILLAGE, GRIDNET__STATUS__ST_HANDLED,
           GRIDNET__ACTION__ACT_HANDLE);

    //  The town arbitrates its village's ops.
    assert_int_equal(s_apply(f, &report, TOWN, VILLAGE, GN_FROM_CHILD, &rc), GN_APPLY_NEW);
    assert_int_equal(rc, 0);
    assert_int_equal(s_apply(f, &report, TOWN, VILLAGE, GN_FROM_CHILD, &rc), GN_APPLY_DUP);
    assert_int_equal(s_apply(f, &accept, TOWN, VILLAGE, GN_FROM_CHILD, &rc), GN_APPLY_NEW);
    look_t l = s_look(f);
    assert_int_equal(l.c->status, GRIDNET__STATUS__ST_ACCEPTED);
    assert_int_equal(l.head, 2);
    assert_int_equal(l.history, 2);
    gn_codec_free_case(&l.c);

    assert_int_equal(s_apply(f, &stale, TOWN, VILLAGE, GN_FROM_CHILD, &rc), GN_APPLY_CONFLICT);
    assert_int_equal(rc, 0);
    l = s_look(f);
    assert_int_equal(l.c->status, GRIDNET__STATUS__ST_ACCEPTED);   // state unchanged
    assert_int_equal(l.conflicts, 1);                            // but kept visible
    assert_int_equal(l.history, 2);
    assert_int_equal(l.head, 3);                                 // and in the feed
    gn_codec_free_case(&l.c);
    //  A second copy of the conflicting op is a duplicate, not a new conflict.
    assert_int_equal(s_apply(f, &stale, TOWN, VILLAGE, GN_FROM_CHILD, &rc), GN_APPLY_DUP);
    l = s_look(f);
    assert_int_equal(l.conflicts, 1);
    gn_codec_free_case(&l.c);
    free(report.bytes);
    free(accept.bytes);
    free(stale.bytes);
}

static void
test_scope(void **state)
{
    fixture_t *f = *state;
    int rc;
    made_t forged;
    //  A village's op arriving from its sibling: refused, nothing stored.
    s_make(&forged, VILLAGE, 1, 1, 1, VILLAGE, GRIDNET__STATUS__ST_REPORTED,
           GRIDNET__ACTION__ACT_REPORT);
    s_apply(f, &forged, TOWN, SIBLING, GN_FROM_CHILD, &rc);
    assert_int_equal(rc, GN_ESCOPE);
    look_t l = s_look(f);
    assert_null(l.c);
    assert_int_equal(l.head, 0);
    free(forged.bytes);
}

static void
test_order_tolerant_from_parent(void **state)
{
    fixture_t *f = *state;
    int rc;
    made_t v1, v2, v3;
    s_make(&v1, VILLAGE, 1, 1, 1, VILLAGE, GRIDNET__STATUS__ST_REPORTED,
           GRIDNET__ACTION__ACT_REPORT);
    s_make(&v2, VILLAGE, 2, 1, 2, TOWN, GRIDNET__STATUS__ST_REPORTED,
           GRIDNET__ACTION__ACT_ESCALATE);
    s_make(&v3, TOWN, 1, 2, 3, TOWN, GRIDNET__STATUS__ST_ACCEPTED,
           GRIDNET__ACTION__ACT_ACCEPT);
    //  Newest first: the state is v3 and stays v3 as older ops arrive.
    assert_int_equal(s_apply(f, &v3, VILLAGE, TOWN, GN_FROM_PARENT, &rc), GN_APPLY_NEW);
    assert_int_equal(s_apply(f, &v1, VILLAGE, TOWN, GN_FROM_PARENT, &rc), GN_APPLY_NEW);
    assert_int_equal(s_apply(f, &v2, VILLAGE, TOWN, GN_FROM_PARENT, &rc), GN_APPLY_NEW);
    assert_int_equal(s_apply(f, &v2, VILLAGE, TOWN, GN_FROM_PARENT, &rc), GN_APPLY_DUP);
    look_t l = s_look(f);
    assert_int_equal(l.c->version, 3);
    assert_int_equal(l.c->owner, TOWN);
    assert_int_equal(l.c->status, GRIDNET__STATUS__ST_ACCEPTED);
    assert_int_equal(l.history, 3);
    gn_codec_free_case(&l.c);
    free(v1.bytes);
    free(v2.bytes);
    free(v3.bytes);
}

typedef struct {
    Gridnet__ReportReq *req;
    char id[GN_CASE_ID_MAX];
    char err[128];
    int rc;
} report_arg_t;

static int
s_report_txn(gn_txn_t *txn, void *arg)
{
    report_arg_t *a = arg;
    a->rc = gn_workflow_report(txn, VILLAGE, a->req, 1700000000000, a->id, a->err,
                               sizeof a->err);
    return 0;   // keep the txn: a refused report must have written nothing
}

static void
test_report(void **state)
{
    fixture_t *f = *state;
    Gridnet__ReportReq req = GRIDNET__REPORT_REQ__INIT;
    req.grid = (char *) "610403001001-002";
    req.category = (char *) "治安隐患";
    req.title = (char *) "路灯不亮";
    report_arg_t a = { .req = &req };
    assert_int_equal(gn_store_write(f->store, s_report_txn, &a), 0);
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.id, "610403001001-1");
    look_t l = s_look(f);
    assert_non_null(l.c);
    assert_int_equal(l.c->owner, VILLAGE);
    assert_int_equal(l.c->severity, GRIDNET__SEVERITY__SEV_GENERAL);
    assert_int_equal(l.head, 1);
    gn_codec_free_case(&l.c);

    //  A grid of another village, a missing title: refused, nothing written.
    req.grid = (char *) "610403001003-001";
    assert_int_equal(gn_store_write(f->store, s_report_txn, &a), 0);
    assert_int_equal(a.rc, GN_ESCOPE);
    req.grid = (char *) "610403001001-001";
    req.title = (char *) "";
    assert_int_equal(gn_store_write(f->store, s_report_txn, &a), 0);
    assert_int_equal(a.rc, GN_EINVAL);
    l = s_look(f);
    assert_int_equal(l.head, 1);
    gn_codec_free_case(&l.c);
    req.title = (char *) "第二件";
    assert_int_equal(gn_store_write(f->store, s_report_txn, &a), 0);
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.id, "610403001001-2");   // counters did not move on refusals
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dedup_and_arbitration, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_scope, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_order_tolerant_from_parent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_report, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
