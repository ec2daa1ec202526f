/*  workflow.c -- reports and transitions of a case.  */
#include "workflow.h"
#include "apply.h"
#include "cases.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_refuse(int code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
s_refuse(int code, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

static bool
s_blank(const char *s)
{
    return !s || !*s;
}

int
gn_workflow_report(gn_txn_t *txn, uint64_t self, const Gridnet__ReportReq *req,
                   int64_t now, char case_id[GN_CASE_ID_MAX], char *err, size_t errlen)
{
    uint64_t village;
    unsigned serial;
    if (s_blank(req->grid) || gn_grid_parse(req->grid, &village, &serial) != 0)
        return s_refuse(GN_EINVAL, err, errlen, "grid must look like <village code>-001");
    if (!gn_node_in_subtree(village, self))
        return s_refuse(GN_ESCOPE, err, errlen, "grid %s is not in this node's area", req->grid);
    if (s_blank(req->category))
        return s_refuse(GN_EINVAL, err, errlen, "a category is required");
    if (s_blank(req->title))
        return s_refuse(GN_EINVAL, err, errlen, "a title is required");

    uint64_t n;
    int rc = gn_meta_get(txn, "case_n", &n);
    if (rc != 0)
        return rc;
    gn_case_id_format(case_id, self, n + 1);

    Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
    if (req->reporter)
        reporter = *req->reporter;
    if (reporter.kind == GRIDNET__REPORTER_KIND__RK_UNSPECIFIED)
        reporter.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
    uint64_t trail[1] = { self };
    gn_case_t c = GRIDNET__CASE__INIT;
    c.id = case_id;
    c.origin = self;
    c.grid = req->grid;
    c.category = req->category;
    c.title = req->title;
    c.description = req->description;
    c.lat = req->lat;
    c.lon = req->lon;
    c.address = req->address;
    c.reporter = &reporter;
    c.channel = req->channel ? req->channel : GRIDNET__CHANNEL__CH_TERMINAL;
    c.severity = req->severity ? req->severity : GRIDNET__SEVERITY__SEV_GENERAL;
    c.status = GRIDNET__STATUS__ST_REPORTED;
    c.owner = self;
    c.epoch = 1;
    c.version = 1;
    c.created = now;
    c.updated = now;
    c.n_trail = 1;
    c.trail = trail;
    c.level = (uint32_t) gn_node_level(self);

    gn_op_t op = GRIDNET__OP__INIT;
    op.case_id = case_id;
    op.version = 1;
    op.epoch = 1;
    op.action = GRIDNET__ACTION__ACT_REPORT;
    op.actor = req->actor;
    op.time = now;
    op.state = &c;
    rc = gn_apply_local(txn, self, &op);
    if (rc == GN_EMALFORMED)
        return s_refuse(GN_EINVAL, err, errlen, "a field is too long or not valid UTF-8");
    if (rc != 0)
        return rc;
    return gn_meta_put(txn, "case_n", n + 1);
}

int
gn_workflow_act(gn_txn_t *txn, uint64_t self, const Gridnet__ActReq *req, int64_t now,
                gn_case_t **state, char *err, size_t errlen)
{
    return s_refuse(GN_EINVAL, err, errlen, "workflow actions are not available yet");
}
