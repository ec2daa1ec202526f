/*  fuzz_seed.c -- real ops for the fuzz targets (see fuzz_seed.h).  */
#include "fuzz_seed.h"
#include "apply.h"
#include "err.h"
#include "feed.h"
#include "store.h"
#include "workflow.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACT(x) GRIDNET__ACTION__ACT_##x

void
fz_blobs_add(fz_blobs_t *b, const void *data, size_t len)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->v = realloc(b->v, b->cap * sizeof *b->v);
        if (!b->v)
            abort();
    }
    fz_blob_t *x = &b->v[b->n++];
    x->data = malloc(len ? len : 1);
    if (!x->data)
        abort();
    if (len)
        memcpy(x->data, data, len);
    x->len = len;
}

void
fz_blobs_free(fz_blobs_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].data);
    free(b->v);
    memset(b, 0, sizeof *b);
}

void
fz_ops_free(fz_ops_t *ops)
{
    fz_blobs_free(&ops->seed);
    fz_blobs_free(&ops->child);
    fz_blobs_free(&ops->parent);
}

void
fz_record(fz_blob_t *buf, uint8_t hdr, const fz_blob_t *op)
{
    if (op->len > 0xFFFF)
        abort();
    uint8_t *p = realloc(buf->data, buf->len + 3 + op->len);
    if (!p)
        abort();
    buf->data = p;
    p += buf->len;
    p[0] = hdr;
    p[1] = (uint8_t) (op->len & 0xFF);
    p[2] = (uint8_t) (op->len >> 8);
    memcpy(p + 3, op->data, op->len);
    buf->len += 3 + op->len;
}

int
fz_mkdtemp(char *dir, size_t size, const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, size, "%s/gn-fuzz-%s.XXXXXX", base, tag);
    return mkdtemp(dir) ? 0 : -1;
}

void
fz_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

//  ---------------------------------------------------------------------------
//  One scratch node: its store and a step to run in a write transaction.

typedef struct {
    uint64_t self;
    int step;               // which scripted step to run
    char err[256];
    const fz_blobs_t *apply;    // step APPLY: these ops, from `peer` below
    uint64_t peer;
} node_t;

enum { STEP_VILLAGE_SEED, STEP_VILLAGE_MORE, STEP_APPLY, STEP_DISTRICT };

static int
s_report(gn_txn_t *txn, node_t *n, const char *grid, const char *category, const char *title,
         Gridnet__Severity severity, bool full)
{
    Gridnet__ReportReq req = GRIDNET__REPORT_REQ__INIT;
    Gridnet__Reporter rep = GRIDNET__REPORTER__INIT;
    req.grid = (char *) grid;
    req.category = (char *) category;
    req.title = (char *) title;
    req.severity = severity;
    if (full) {
        req.description = (char *) "村东头路灯连续三晚不亮，夜间行人多，存在安全隐患。";
        req.channel = GRIDNET__CHANNEL__CH_WECHAT;
        req.lat = 34.2778;
        req.lon = 108.0712;
        req.address = (char *) "杨陵区五泉镇王上村东组";
        rep.kind = GRIDNET__REPORTER_KIND__RK_CITIZEN;
        rep.id = (char *) "wx-7731";
        rep.name = (char *) "王建国";
        rep.phone = (char *) "13800000000";
        rep.id_number = (char *) "610403199001011234";
        req.reporter = &rep;
    }
    char id[GN_CASE_ID_MAX];
    return gn_workflow_report(txn, n->self, &req, FZ_NOW, id, n->err, sizeof n->err);
}

static int
s_act(gn_txn_t *txn, node_t *n, const char *case_id, Gridnet__Action action, const char *note,
      uint64_t to, uint32_t urgency, int64_t due)
{
    Gridnet__ActReq req = GRIDNET__ACT_REQ__INIT;
    req.case_id = (char *) case_id;
    req.action = action;
    req.note = (char *) note;
    req.to = to;
    req.urgency = urgency;
    req.due = due;
    gn_case_t *state = NULL;
    int rc = gn_workflow_act(txn, n->self, &req, FZ_NOW, &state, n->err, sizeof n->err);
    gn_codec_free_case(&state);
    return rc;
}

static int
s_step(gn_txn_t *txn, void *arg)
{
    node_t *n = arg;
    int rc = 0;
    switch (n->step) {
    case STEP_VILLAGE_SEED:
        //  610403001001-1 reported; -2 reported and accepted; -3 an
        //  emergency, escalated straight to the district.
        if ((rc = s_report(txn, n, "610403001001-001", "环境卫生", "垃圾堆放",
                           GRIDNET__SEVERITY__SEV_GENERAL, false)) != 0
            || (rc = s_report(txn, n, "610403001001-002", "治安隐患", "路灯不亮",
                              GRIDNET__SEVERITY__SEV_MAJOR, true)) != 0
            || (rc = s_report(txn, n, "610403001001-003", "安全生产", "厂房冒烟",
                              GRIDNET__SEVERITY__SEV_EMERGENCY, false)) != 0
            || (rc = s_act(txn, n, "610403001001-2", ACT(ACCEPT), NULL, 0, 0, 0)) != 0)
            return rc;
        break;
    case STEP_VILLAGE_MORE:
        if ((rc = s_act(txn, n, "610403001001-1", ACT(ACCEPT), NULL, 0, 0, 0)) != 0
            || (rc = s_act(txn, n, "610403001001-2", ACT(HANDLE), "已更换灯泡", 0, 0, 0)) != 0
            || (rc = s_report(txn, n, "610403001001-004", "矛盾纠纷", "邻里纠纷",
                              GRIDNET__SEVERITY__SEV_GENERAL, true)) != 0)
            return rc;
        break;
    case STEP_APPLY:
        for (size_t i = 0; i < n->apply->n; i++) {
            int err;
            const fz_blob_t *b = &n->apply->v[i];
            gn_op_t *op = gn_codec_unpack_op(b->data, b->len, &err);
            if (!op)
                return err;
            gn_apply_ctx_t ctx = { .self = n->self, .peer = n->peer, .from = GN_FROM_CHILD };
            gn_apply_result_t result;
            rc = gn_apply(txn, &ctx, op, b->data, b->len, &result);
            gn_codec_free_op(&op);
            if (rc == 0 && result != GN_APPLY_NEW)
                rc = GN_ESTATE;
            if (rc != 0)
                return rc;
        }
        break;
    case STEP_DISTRICT: {
        //  The district takes the escalated emergency, sends it down to the
        //  town, supervises the village's first case twice and its second
        //  once, and sets reference data.
        if ((rc = s_act(txn, n, "610403001001-3", ACT(ACCEPT), NULL, 0, 0, 0)) != 0
            || (rc = s_act(txn, n, "610403001001-3", ACT(DISPATCH), "请五泉镇核查",
                           FZ_TOWN, 0, 0)) != 0
            || (rc = s_act(txn, n, "610403001001-1", ACT(SUPERVISE), "限期清理",
                           0, 1, FZ_NOW + 86400000)) != 0
            || (rc = s_act(txn, n, "610403001001-1", ACT(SUPERVISE), "再次督办：今日办结",
                           0, 2, FZ_NOW + 3600000)) != 0
            || (rc = s_act(txn, n, "610403001001-2", ACT(SUPERVISE), "关注处理进度",
                           0, 0, 0)) != 0)
            return rc;
        gn_op_t op = GRIDNET__OP__INIT;
        op.action = ACT(REFDATA);
        op.actor = (char *) "admin";
        op.time = FZ_NOW;
        op.ref_key = (char *) "category/环境卫生";
        static const char value[] = "{\"department\":\"住建局\",\"accept_hours\":24}";
        op.ref_value.data = (uint8_t *) value;
        op.ref_value.len = sizeof value - 1;
        return gn_apply_local(txn, n->self, &op);
    }
    }
    return 0;
}

typedef struct {
    uint64_t origin;
    uint64_t from;          // collect ops with seq > from
    fz_blobs_t *out;
} collect_t;

static int
s_collect(gn_txn_t *txn, void *arg)
{
    collect_t *c = arg;
    uint64_t max;
    int rc = gn_ops_max_seq(txn, c->origin, &max);
    for (uint64_t seq = c->from + 1; rc == 0 && seq <= max; seq++) {
        const void *bytes;
        size_t len;
        if ((rc = gn_ops_raw(txn, c->origin, seq, &bytes, &len)) == 0)
            fz_blobs_add(c->out, bytes, len);
    }
    return rc;
}

static int
s_run(gn_store_t *store, node_t *n, int step)
{
    n->step = step;
    n->err[0] = 0;
    int rc = gn_store_write(store, s_step, n);
    if (rc != 0)
        fprintf(stderr, "fuzz_seed: step %d at %012llu: %s%s%s\n", step,
                (unsigned long long) n->self, gn_strerror(rc), n->err[0] ? ": " : "", n->err);
    return rc;
}

int
fz_make_ops(const char *tmpdir, fz_ops_t *ops)
{
    char vdir[512], ddir[512];
    snprintf(vdir, sizeof vdir, "%s/village", tmpdir);
    snprintf(ddir, sizeof ddir, "%s/district", tmpdir);
    gn_store_t *village = NULL, *district = NULL;
    memset(ops, 0, sizeof *ops);
    int rc;
    if (mkdir(vdir, 0700) != 0 || mkdir(ddir, 0700) != 0) {
        fprintf(stderr, "fuzz_seed: cannot make %s/{village,district}\n", tmpdir);
        return GN_EIO;
    }
    if ((rc = gn_store_open(&village, vdir, 1 << 20)) != 0
        || (rc = gn_store_open(&district, ddir, 1 << 20)) != 0)
        goto done;

    node_t v = { .self = FZ_VILLAGE };
    if ((rc = s_run(village, &v, STEP_VILLAGE_SEED)) != 0)
        goto done;
    collect_t c = { FZ_VILLAGE, 0, &ops->seed };
    if ((rc = gn_store_read(village, s_collect, &c)) != 0)
        goto done;
    if ((rc = s_run(village, &v, STEP_VILLAGE_MORE)) != 0)
        goto done;
    c = (collect_t) { FZ_VILLAGE, ops->seed.n, &ops->child };
    if ((rc = gn_store_read(village, s_collect, &c)) != 0)
        goto done;

    //  The district hears the village's seed ops through the town.
    node_t d = { .self = FZ_DISTRICT, .apply = &ops->seed, .peer = FZ_TOWN };
    if ((rc = s_run(district, &d, STEP_APPLY)) != 0 || (rc = s_run(district, &d, STEP_DISTRICT)) != 0)
        goto done;
    c = (collect_t) { FZ_DISTRICT, 0, &ops->parent };
    rc = gn_store_read(district, s_collect, &c);
done:
    gn_store_destroy(&village);
    gn_store_destroy(&district);
    fz_rmdir(vdir);
    fz_rmdir(ddir);
    if (rc != 0)
        fz_ops_free(ops);
    return rc;
}
