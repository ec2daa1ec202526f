/*  meeting.c -- joint meetings and their tasks (see meeting.h).  */
#include "meeting.h"
#include "apply.h"
#include "cases.h"
#include "err.h"
#include "ids.h"
#include "refdata.h"
#include "workflow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACT(x) GRIDNET__ACTION__ACT_##x
#define ST(x)  GRIDNET__STATUS__ST_##x

static int
s_refuse(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
s_refuse(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

static bool
s_open(const gn_case_t *c)
{
    return c->status == ST(REPORTED) || c->status == ST(ACCEPTED) || c->status == ST(DISPATCHED);
}

//  Write a meeting record as a reference data op.
static int
s_put_record(gn_txn_t *txn, uint64_t self, json_t *record, const char *actor, int64_t now)
{
    char key[128];
    snprintf(key, sizeof key, "meeting/%s", json_string_value(json_object_get(record, "id")));
    char *text = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return GN_ENOMEM;
    gn_op_t op = GRIDNET__OP__INIT;
    op.action = ACT(REFDATA);
    op.actor = (char *) actor;
    op.time = now;
    op.ref_key = key;
    op.ref_value.data = (uint8_t *) text;
    op.ref_value.len = strlen(text);
    int rc = gn_apply_local(txn, self, &op);
    free(text);
    return rc == GN_EMALFORMED ? GN_ETOOBIG : rc;
}

//  Write a state op on a case this node owns (version + 1, same epoch).
static int
s_case_op(gn_txn_t *txn, uint64_t self, const gn_case_t *known, gn_case_t *next, int action,
          const char *actor, const char *note, uint64_t to, int64_t now)
{
    next->version = known->version + 1;
    next->updated = now;
    gn_op_t op = GRIDNET__OP__INIT;
    op.case_id = known->id;
    op.version = next->version;
    op.epoch = known->epoch;
    op.action = action;
    op.actor = (char *) actor;
    op.time = now;
    op.note = (char *) note;
    op.state = next;
    op.to = to;
    return gn_apply_local(txn, self, &op);
}

int
gn_meeting_create(gn_txn_t *txn, uint64_t self, const Gridnet__MeetingReq *req,
                  int64_t now, json_t **reply, char *err, size_t errlen)
{
    *reply = NULL;
    if (gn_node_level(self) != 1)
        return s_refuse(err, errlen, GN_EPERM, "joint meetings are held at the district");
    if (!req->title || !*req->title || !req->date || !*req->date || req->n_cases == 0)
        return s_refuse(err, errlen, GN_EINVAL, "a meeting needs a title, a date and cases");
    int rc = gn_workflow_may(txn, self, req->actor, ACT(MEETING), NULL, err, errlen);
    if (rc != 0)
        return rc;
    //  Check every case before writing anything.
    for (size_t i = 0; i < req->n_cases; i++) {
        gn_case_t *c = NULL;
        rc = gn_cases_get(txn, req->cases[i], &c);
        if (rc != 0)
            return rc == GN_ENOTFOUND || rc == GN_EINVAL
                 ? s_refuse(err, errlen, GN_EINVAL, "no such case here: %s", req->cases[i]) : rc;
        bool ok = c->owner == self && s_open(c) && (!c->meeting_id || !*c->meeting_id);
        gn_codec_free_case(&c);
        if (!ok)
            return s_refuse(err, errlen, GN_ESTATE, "case %s must be open, owned by the "
                            "district and on no other meeting", req->cases[i]);
    }
    uint64_t n;
    if ((rc = gn_meta_get(txn, "meeting_n", &n)) != 0)
        return rc;
    char id[32];
    snprintf(id, sizeof id, "M%llu", (unsigned long long) n + 1);
    json_t *attendees = json_array(), *cases = json_array();
    for (size_t i = 0; i < req->n_attendees; i++)
        json_array_append_new(attendees, json_string(req->attendees[i]));
    for (size_t i = 0; i < req->n_cases; i++)
        json_array_append_new(cases, json_string(req->cases[i]));
    json_t *record = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:[], s:I}", "id", id,
                               "title", req->title, "date", req->date,
                               "chair", req->chair ? req->chair : "", "attendees", attendees,
                               "cases", cases, "resolutions", "created", (json_int_t) now);
    if (!record)
        return GN_ENOMEM;
    if ((rc = s_put_record(txn, self, record, req->actor, now)) != 0
        || (rc = gn_meta_put(txn, "meeting_n", n + 1)) != 0) {
        json_decref(record);
        return rc;
    }
    for (size_t i = 0; i < req->n_cases && rc == 0; i++) {
        gn_case_t *c = NULL;
        if ((rc = gn_cases_get(txn, req->cases[i], &c)) != 0)
            break;
        gn_case_t next = *c;
        next.meeting_id = id;
        if (next.status == ST(REPORTED))
            next.status = ST(ACCEPTED);
        char note[300];
        snprintf(note, sizeof note, "on joint meeting %s: %s", id, req->title);
        rc = s_case_op(txn, self, c, &next, ACT(MEETING), req->actor, note, 0, now);
        gn_codec_free_case(&c);
    }
    if (rc != 0) {
        json_decref(record);
        return rc;
    }
    *reply = record;
    return GN_OK;
}

//  Create one task case for a resolution; its id goes to task_id.
static int
s_task(gn_txn_t *txn, uint64_t self, const gn_case_t *parent, const Gridnet__TaskSpec *spec,
       const char *text, const char *actor, int64_t now, char task_id[GN_CASE_ID_MAX])
{
    uint64_t n;
    int rc = gn_meta_get(txn, "case_n", &n);
    if (rc != 0)
        return rc;
    gn_case_id_format(task_id, self, n + 1);
    uint64_t trail[2] = { self, spec->to };
    uint64_t dispatchers[1] = { self };
    Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
    reporter.kind = GRIDNET__REPORTER_KIND__RK_DEPARTMENT;
    reporter.name = (char *) "联席会议";
    gn_case_t c = GRIDNET__CASE__INIT;
    c.id = task_id;
    c.origin = self;
    c.grid = parent->grid;
    c.category = parent->category;
    c.title = spec->title && *spec->title ? spec->title : (char *) text;
    c.description = (char *) text;
    c.reporter = &reporter;
    c.channel = parent->channel;
    c.severity = parent->severity;
    c.status = ST(REPORTED);
    c.owner = self;
    c.epoch = 1;
    c.version = 1;
    c.created = now;
    c.updated = now;
    c.trail = trail;
    c.n_trail = 1;
    c.level = 1;
    c.parent_case = parent->id;
    c.meeting_id = parent->meeting_id;
    gn_op_t op = GRIDNET__OP__INIT;
    op.case_id = task_id;
    op.version = 1;
    op.epoch = 1;
    op.action = ACT(REPORT);
    op.actor = (char *) actor;
    op.time = now;
    op.note = (char *) "joint-meeting task";
    op.state = &c;
    if ((rc = gn_apply_local(txn, self, &op)) != 0 || (rc = gn_meta_put(txn, "case_n", n + 1)) != 0)
        return rc;
    //  Assigned at once: to a department here, or down to a town.
    if (spec->to && (rc = gn_apply_backfill(txn, self, &c, spec->to)) != 0)
        return rc;
    gn_case_t next = c;
    next.status = ST(DISPATCHED);
    next.due_handle = spec->due;
    next.assignee = spec->assignee;
    if (spec->to) {
        next.owner = spec->to;
        next.epoch = 2;
        next.level = 2;
        next.n_trail = 2;
        next.dispatchers = dispatchers;
        next.n_dispatchers = 1;
    }
    return s_case_op(txn, self, &c, &next, ACT(DISPATCH), actor, text, spec->to, now);
}

int
gn_meeting_resolve(gn_txn_t *txn, uint64_t self, const Gridnet__ResolveReq *req,
                   int64_t now, json_t **reply, char *err, size_t errlen)
{
    *reply = NULL;
    if (gn_node_level(self) != 1)
        return s_refuse(err, errlen, GN_EPERM, "joint meetings are held at the district");
    if (!req->text || !*req->text || req->n_tasks == 0)
        return s_refuse(err, errlen, GN_EINVAL, "a resolution needs its text and at least one task");
    int rc = gn_workflow_may(txn, self, req->actor, ACT(MEETING), NULL, err, errlen);
    if (rc != 0)
        return rc;
    char key[128];
    json_t *record = NULL;
    snprintf(key, sizeof key, "meeting/%s", req->meeting_id ? req->meeting_id : "");
    rc = gn_ref_get(txn, key, &record);
    if (rc == GN_ENOTFOUND)
        return s_refuse(err, errlen, GN_EINVAL, "no such meeting: %s", req->meeting_id);
    if (rc != 0)
        return rc;
    gn_case_t *parent = NULL;
    bool listed = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(record, "cases"), i, v)
        listed = listed || (json_is_string(v) && strcmp(json_string_value(v), req->case_id) == 0);
    if (!listed) {
        rc = s_refuse(err, errlen, GN_EINVAL, "case %s is not on meeting %s", req->case_id,
                      req->meeting_id);
        goto done;
    }
    if ((rc = gn_cases_get(txn, req->case_id, &parent)) != 0)
        goto done;
    if (parent->owner != self || !s_open(parent)) {
        rc = s_refuse(err, errlen, GN_ESTATE, "case %s must be open and owned by the district",
                      req->case_id);
        goto done;
    }
    if (parent->n_tasks + req->n_tasks > GN_TASKS_MAX) {
        rc = s_refuse(err, errlen, GN_EINVAL, "too many tasks for one case");
        goto done;
    }
    for (size_t t = 0; t < req->n_tasks; t++) {
        const Gridnet__TaskSpec *spec = req->tasks[t];
        if (spec->to ? gn_node_parent(spec->to) != self : !spec->assignee || !*spec->assignee) {
            rc = s_refuse(err, errlen, GN_EINVAL, "task %zu: assign it to a department or to "
                          "a town of this district", t + 1);
            goto done;
        }
        if (spec->due && spec->due <= now) {
            rc = s_refuse(err, errlen, GN_EINVAL, "task %zu: the deadline has passed", t + 1);
            goto done;
        }
    }
    char ids[GN_TASKS_MAX][GN_CASE_ID_MAX];
    char *all[GN_TASKS_MAX];
    json_t *task_ids = json_array();
    for (size_t t = 0; t < parent->n_tasks; t++)
        all[t] = parent->tasks[t];
    for (size_t t = 0; t < req->n_tasks && rc == 0; t++) {
        rc = s_task(txn, self, parent, req->tasks[t], req->text, req->actor, now, ids[t]);
        all[parent->n_tasks + t] = ids[t];
        json_array_append_new(task_ids, json_string(ids[t]));
    }
    if (rc == 0) {
        gn_case_t next = *parent;
        char assignee[64];
        snprintf(assignee, sizeof assignee, "联席会议 %s", req->meeting_id);
        next.status = ST(DISPATCHED);
        next.assignee = assignee;
        next.tasks = all;
        next.n_tasks = parent->n_tasks + req->n_tasks;
        rc = s_case_op(txn, self, parent, &next, ACT(MEETING), req->actor, req->text, 0, now);
    }
    if (rc == 0) {
        json_t *res = json_pack("{s:s, s:s, s:O, s:I}", "case", req->case_id, "text", req->text,
                                "tasks", task_ids, "time", (json_int_t) now);
        json_array_append_new(json_object_get(record, "resolutions"), res);
        rc = s_put_record(txn, self, record, req->actor, now);
    }
    if (rc == 0)
        *reply = json_pack("{s:s, s:s, s:O}", "meeting", req->meeting_id, "case", req->case_id,
                           "tasks", task_ids);
    json_decref(task_ids);
done:
    gn_codec_free_case(&parent);
    json_decref(record);
    return rc;
}

static json_t *
s_task_view(gn_txn_t *txn, const char *id, int64_t now)
{
    gn_case_t *c = NULL;
    if (gn_cases_get(txn, id, &c) != 0)
        return json_pack("{s:s, s:s}", "id", id, "status", "unknown");
    static const char *names[] = { "?", "reported", "accepted", "dispatched", "handled",
                                   "verified", "archived", "evaluated", "rejected" };
    int64_t due = gn_case_due(c);
    json_t *v = json_pack("{s:s, s:s, s:I, s:s, s:I, s:b}", "id", id,
                          "status", c->status <= 8 ? names[c->status] : "?",
                          "owner", (json_int_t) c->owner, "assignee", c->assignee ? c->assignee : "",
                          "due", (json_int_t) (due ? due : c->due_handle),
                          "overdue", c->overdue || (due && due < now));
    gn_codec_free_case(&c);
    return v;
}

int
gn_meeting_list(gn_txn_t *txn, int64_t now, json_t **reply)
{
    json_t *all = NULL;
    int rc = gn_ref_collect(txn, "meeting/", &all);
    if (rc != 0)
        return rc;
    json_t *list = json_array();
    const char *key;
    json_t *m;
    json_object_foreach(all, key, m) {
        size_t i, j;
        json_t *res, *tid;
        json_array_foreach(json_object_get(m, "resolutions"), i, res) {
            json_t *views = json_array();
            json_array_foreach(json_object_get(res, "tasks"), j, tid)
                json_array_append_new(views, s_task_view(txn, json_string_value(tid), now));
            json_object_set_new(res, "tasks", views);
        }
        json_array_append(list, m);
    }
    json_decref(all);
    *reply = json_pack("{s:o}", "meetings", list);
    return *reply ? GN_OK : GN_ENOMEM;
}
