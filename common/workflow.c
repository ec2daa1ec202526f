/*  workflow.c -- reports, transitions, transfers, supervision and the tick.

    Every action follows one shape: load the case, check the actor, the
    owner and the state, build the new state as an edited copy, then write
    one op through gn_apply_local. Nothing is written before every check has
    passed, so a refusal leaves the replica as it was.  */
#include "workflow.h"
#include "apply.h"
#include "cases.h"
#include "err.h"
#include "log.h"
#include "refdata.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(x)  GRIDNET__STATUS__ST_##x
#define ACT(x) GRIDNET__ACTION__ACT_##x
#define TICK_MAX 256            // cases the tick looks at per run

typedef struct {
    gn_txn_t *txn;              // the write transaction
    uint64_t self;              // this node
    int level;                  // its level
    int64_t now;                // ms
    char *err;                  // refusal reason out
    size_t errlen;
} wf_t;

//  A new state under construction: a shallow copy of the known state whose
//  arrays live here, so they can grow by one.
typedef struct {
    gn_case_t c;                            // the new state
    uint64_t trail[GN_TRAIL_MAX];           // c.trail
    uint64_t dispatchers[GN_TRAIL_MAX];     // c.dispatchers
    char *tasks[GN_TASKS_MAX];              // c.tasks
    Gridnet__Supervision *supervision[GN_SUPERVISION_MAX];  // c.supervision
} edit_t;

static int
s_refuse(wf_t *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
s_refuse(wf_t *w, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, w->errlen, fmt, ap);
    va_end(ap);
    return code;
}

static bool
s_blank(const char *s)
{
    return !s || !*s;
}

static const char *
s_status_name(int status)
{
    static const char *names[] = { "?", "reported", "accepted", "dispatched", "handled",
                                   "verified", "archived", "evaluated", "rejected" };
    return status >= 0 && status <= 8 ? names[status] : "?";
}

static bool
s_open(const gn_case_t *c)
{
    return c->status == ST(REPORTED) || c->status == ST(ACCEPTED) || c->status == ST(DISPATCHED);
}

static void
s_edit_init(edit_t *e, const gn_case_t *known)
{
    e->c = *known;
    for (size_t i = 0; i < known->n_trail; i++)
        e->trail[i] = known->trail[i];
    e->c.trail = e->trail;
    for (size_t i = 0; i < known->n_dispatchers; i++)
        e->dispatchers[i] = known->dispatchers[i];
    e->c.dispatchers = e->dispatchers;
    for (size_t i = 0; i < known->n_tasks; i++)
        e->tasks[i] = known->tasks[i];
    e->c.tasks = e->tasks;
    for (size_t i = 0; i < known->n_supervision; i++)
        e->supervision[i] = known->supervision[i];
    e->c.supervision = e->supervision;
}

static void
s_trail_push(edit_t *e, uint64_t node)
{
    if (e->c.n_trail > 0 && e->trail[e->c.n_trail - 1] == node)
        return;
    if (e->c.n_trail == GN_TRAIL_MAX) {   // keep the origin, drop the oldest hop after it
        memmove(e->trail + 1, e->trail + 2, (GN_TRAIL_MAX - 2) * sizeof *e->trail);
        e->c.n_trail--;
    }
    e->trail[e->c.n_trail++] = node;
}

//  A case going down to a child that never held it takes its history along.
static int
s_backfill(wf_t *w, const gn_case_t *known, uint64_t to)
{
    return gn_node_parent(to) == w->self ? gn_apply_backfill(w->txn, w->self, known, to) : GN_OK;
}

//  Hand the case to `to`: a new epoch, and `to` owns it once it applies it.
static void
s_transfer(edit_t *e, const gn_case_t *known, uint64_t to)
{
    e->c.owner = to;
    e->c.epoch = known->epoch + 1;
    e->c.level = (uint32_t) gn_node_level(to);
    s_trail_push(e, to);
}

static uint64_t
s_dispatcher_top(const edit_t *e)
{
    return e->c.n_dispatchers ? e->dispatchers[e->c.n_dispatchers - 1] : 0;
}

static int
s_dispatcher_push(wf_t *w, edit_t *e, uint64_t node)
{
    if (e->c.n_dispatchers == GN_TRAIL_MAX)
        return s_refuse(w, GN_ESTATE, "the case has been dispatched down too many times");
    e->dispatchers[e->c.n_dispatchers++] = node;
    return GN_OK;
}

//  Write the edited state as the op for `action`. Annotations keep the
//  version; everything else is version + 1 under the epoch the owner held.
static int
s_write(wf_t *w, const gn_case_t *known, edit_t *e, int action, const char *actor,
        const char *note, uint64_t to, const char *evidence)
{
    bool annotation = action == ACT(SUPERVISE);
    e->c.version = annotation ? known->version : known->version + 1;
    e->c.updated = w->now;
    gn_op_t op = GRIDNET__OP__INIT;
    op.case_id = known->id;
    op.version = e->c.version;
    op.epoch = known->epoch;
    op.action = action;
    op.actor = (char *) actor;
    op.time = w->now;
    op.note = (char *) note;
    op.state = &e->c;
    op.to = to;
    op.evidence = (char *) evidence;
    int rc = gn_apply_local(w->txn, w->self, &op);
    if (rc == GN_EMALFORMED)
        return s_refuse(w, GN_EINVAL, "a field is too long or not valid UTF-8");
    return rc;
}

// ---------------------------------------------------------------------------
//  Roles.

typedef enum { ROLE_OPERATOR, ROLE_GRID_WORKER, ROLE_DEPT_HANDLER, ROLE_SUPERVISOR,
               ROLE_ADMIN } role_t;

static const struct {
    const char *name;
    role_t role;
} s_roles[] = {
    { "village_operator", ROLE_OPERATOR }, { "town_operator", ROLE_OPERATOR },
    { "district_operator", ROLE_OPERATOR }, { "operator", ROLE_OPERATOR },
    { "grid_worker", ROLE_GRID_WORKER }, { "department_handler", ROLE_DEPT_HANDLER },
    { "supervisor", ROLE_SUPERVISOR }, { "administrator", ROLE_ADMIN },
};

int
gn_workflow_may(gn_txn_t *txn, uint64_t self, const char *actor, int action,
                const gn_case_t *c, char *err, size_t errlen)
{
    wf_t w = { .txn = txn, .self = self, .err = err, .errlen = errlen };
    role_t role = ROLE_OPERATOR;     // the node's own console, when no staff are defined
    char dept[128] = "";
    if (!s_blank(actor)) {
        char key[300];
        json_t *staff = NULL;
        snprintf(key, sizeof key, "staff/%s", actor);
        int rc = gn_ref_get(txn, key, &staff);
        if (rc == GN_ENOTFOUND) {
            if (gn_ref_any(txn, "staff/"))
                return s_refuse(&w, GN_EPERM, "unknown staff member '%s'", actor);
        }
        else if (rc != 0)
            return rc;
        else {
            const char *rname = json_string_value(json_object_get(staff, "role"));
            json_t *node = json_object_get(staff, "node");
            const char *d = json_string_value(json_object_get(staff, "department"));
            snprintf(dept, sizeof dept, "%s", d ? d : "");
            bool found = false;
            for (size_t i = 0; rname && i < sizeof s_roles / sizeof s_roles[0]; i++)
                if (strcmp(s_roles[i].name, rname) == 0) {
                    role = s_roles[i].role;
                    found = true;
                }
            bool here = json_is_integer(node) && (uint64_t) json_integer_value(node) == self;
            json_decref(staff);
            if (!found)
                return s_refuse(&w, GN_EPERM, "staff member '%s' has no known role", actor);
            if (!here)
                return s_refuse(&w, GN_EPERM, "staff member '%s' does not work at %012llu",
                                actor, (unsigned long long) self);
        }
    }
    bool ok;
    switch (action) {
    case ACT(REPORT):
        ok = true;
        break;
    case ACT(HANDLE):
        ok = role == ROLE_OPERATOR || role == ROLE_ADMIN
          || (role == ROLE_GRID_WORKER && gn_node_level(self) == 3)
          || (role == ROLE_DEPT_HANDLER && c && c->assignee && strcmp(c->assignee, dept) == 0);
        break;
    case ACT(SUPERVISE):
        ok = role == ROLE_SUPERVISOR || role == ROLE_OPERATOR || role == ROLE_ADMIN;
        break;
    default:
        ok = role == ROLE_OPERATOR || role == ROLE_ADMIN;
        break;
    }
    if (!ok)
        return s_refuse(&w, GN_EPERM, "'%s' may not do this: the role does not allow it", actor);
    return GN_OK;
}

// ---------------------------------------------------------------------------
//  Report.

static int s_escalate(wf_t *w, const gn_case_t *known, uint64_t to, const char *actor,
                      const char *note);

int
gn_workflow_report(gn_txn_t *txn, uint64_t self, const Gridnet__ReportReq *req,
                   int64_t now, char case_id[GN_CASE_ID_MAX], char *err, size_t errlen)
{
    wf_t w = { txn, self, gn_node_level(self), now, err, errlen };
    uint64_t village;
    unsigned serial;
    int rc;
    if (s_blank(req->grid) || gn_grid_parse(req->grid, &village, &serial) != 0)
        return s_refuse(&w, GN_EINVAL, "grid must look like <village code>-001");
    if (!gn_node_in_subtree(village, self))
        return s_refuse(&w, GN_ESCOPE, "grid %s is not in this node's area", req->grid);
    if (s_blank(req->category))
        return s_refuse(&w, GN_EINVAL, "a category is required");
    if (s_blank(req->title))
        return s_refuse(&w, GN_EINVAL, "a title is required");
    if ((rc = gn_workflow_may(txn, self, req->actor, ACT(REPORT), NULL, err, errlen)) != 0)
        return rc;
    char key[300];
    snprintf(key, sizeof key, "category/%s", req->category);
    json_t *cat = NULL;
    rc = gn_ref_get(txn, key, &cat);
    json_decref(cat);
    if (rc == GN_ENOTFOUND && gn_ref_any(txn, "category/"))
        return s_refuse(&w, GN_EINVAL, "unknown category '%s' (see: gridctl ref get category/)",
                        req->category);
    if (rc != 0 && rc != GN_ENOTFOUND)
        return rc;

    uint64_t n;
    if ((rc = gn_meta_get(txn, "case_n", &n)) != 0)
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
    c.evidence = req->evidence;
    c.reporter = &reporter;
    c.channel = req->channel ? req->channel : GRIDNET__CHANNEL__CH_TERMINAL;
    c.severity = req->severity ? req->severity : GRIDNET__SEVERITY__SEV_GENERAL;
    c.status = ST(REPORTED);
    c.owner = self;
    c.epoch = 1;
    c.version = 1;
    c.created = now;
    c.updated = now;
    c.n_trail = 1;
    c.trail = trail;
    c.level = (uint32_t) w.level;
    if ((rc = gn_ref_deadline(txn, c.category, c.severity, true, now, &c.due_accept)) != 0)
        return rc;

    gn_op_t op = GRIDNET__OP__INIT;
    op.case_id = case_id;
    op.version = 1;
    op.epoch = 1;
    op.action = ACT(REPORT);
    op.actor = req->actor;
    op.time = now;
    op.state = &c;
    op.evidence = req->evidence;
    rc = gn_apply_local(txn, self, &op);
    if (rc == GN_EMALFORMED)
        return s_refuse(&w, GN_EINVAL, "a field is too long or not valid UTF-8");
    if (rc != 0 || (rc = gn_meta_put(txn, "case_n", n + 1)) != 0)
        return rc;
    //  Emergencies go straight to the district.
    if (c.severity == GRIDNET__SEVERITY__SEV_EMERGENCY && w.level > 1) {
        uint64_t district = w.level == 3 ? gn_node_parent(gn_node_parent(self))
                                         : gn_node_parent(self);
        return s_escalate(&w, &c, district, req->actor, "emergency: straight to the district");
    }
    return GN_OK;
}

// ---------------------------------------------------------------------------
//  Transitions.

static int
s_escalate(wf_t *w, const gn_case_t *known, uint64_t to, const char *actor, const char *note)
{
    edit_t e;
    int rc;
    s_edit_init(&e, known);
    s_transfer(&e, known, to);
    //  Going back up to the node that sent it down ends that dispatch.
    if (s_dispatcher_top(&e) == to)
        e.c.n_dispatchers--;
    e.c.status = ST(REPORTED);
    e.c.escalations = known->escalations + 1;
    e.c.overdue = false;
    e.c.assignee = (char *) "";
    e.c.due_handle = 0;
    e.c.supervised_due = 0;
    if ((rc = gn_ref_deadline(w->txn, known->category, known->severity, true, w->now,
                              &e.c.due_accept)) != 0)
        return rc;
    return s_write(w, known, &e, ACT(ESCALATE), actor, note, to, NULL);
}

static int
s_handle_due(wf_t *w, edit_t *e, const gn_case_t *known)
{
    e->c.overdue = false;
    return gn_ref_deadline(w->txn, known->category, known->severity, false, w->now,
                           &e->c.due_handle);
}

//  A joint-meeting task was verified: once every task of its case is, the
//  case itself is handled.
static int
s_task_verified(wf_t *w, const gn_case_t *task)
{
    gn_case_t *parent = NULL, *t = NULL;
    int rc = gn_cases_get(w->txn, task->parent_case, &parent);
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    bool all = parent->owner == w->self && parent->status == ST(DISPATCHED)
            && parent->n_tasks > 0;
    for (size_t i = 0; all && i < parent->n_tasks; i++) {
        if (strcmp(parent->tasks[i], task->id) == 0)
            continue;
        if ((rc = gn_cases_get(w->txn, parent->tasks[i], &t)) != 0) {
            gn_codec_free_case(&parent);
            return rc == GN_ENOTFOUND ? GN_OK : rc;
        }
        all = t->status == ST(VERIFIED) || t->status == ST(ARCHIVED)
           || t->status == ST(EVALUATED);
        gn_codec_free_case(&t);
    }
    if (all) {
        edit_t e;
        s_edit_init(&e, parent);
        e.c.status = ST(HANDLED);
        e.c.handler = w->self;
        e.c.feedback = (char *) "all joint-meeting tasks done and verified";
        rc = s_write(w, parent, &e, ACT(HANDLE), "system", e.c.feedback, 0, NULL);
    }
    gn_codec_free_case(&parent);
    return rc;
}

static int
s_verify(wf_t *w, const gn_case_t *known, const Gridnet__ActReq *req)
{
    edit_t e;
    int rc;
    s_edit_init(&e, known);
    if (!req->ok) {   // rework: back to whoever handled it
        e.c.status = ST(DISPATCHED);
        e.c.reworks = known->reworks + 1;
        uint64_t to = 0;
        if (known->handler && known->handler != w->self
            && gn_node_parent(known->handler) == w->self) {
            to = known->handler;
            if ((rc = s_dispatcher_push(w, &e, w->self)) != 0
                || (rc = s_backfill(w, known, to)) != 0)
                return rc;
            s_transfer(&e, known, to);
        }
        if ((rc = s_handle_due(w, &e, known)) != 0)
            return rc;
        return s_write(w, known, &e, ACT(VERIFY), req->actor,
                       s_blank(req->note) ? "verification failed: rework" : req->note, to,
                       req->evidence);
    }
    uint64_t up = s_dispatcher_top(&e);
    if (up) {   // verified here; the node that sent it down verifies next
        e.c.n_dispatchers--;
        s_transfer(&e, known, up);
        return s_write(w, known, &e, ACT(VERIFY), req->actor, req->note, up, req->evidence);
    }
    e.c.status = ST(VERIFIED);
    e.c.closed = w->now;
    e.c.overdue = false;
    int64_t reward = 0;
    if (known->reporter && known->reporter->kind == GRIDNET__REPORTER_KIND__RK_GRID_WORKER
        && s_blank(known->duplicate_of) && s_blank(known->parent_case)) {
        reward = gn_ref_reward(w->txn, "quality");
        if (known->severity == GRIDNET__SEVERITY__SEV_MAJOR)
            reward += gn_ref_reward(w->txn, "major");
        if (known->severity == GRIDNET__SEVERITY__SEV_EMERGENCY)
            reward += gn_ref_reward(w->txn, "emergency");
    }
    e.c.reward = reward;
    if ((rc = s_write(w, known, &e, ACT(VERIFY), req->actor, req->note, 0, req->evidence)) != 0)
        return rc;
    return s_blank(known->parent_case) ? GN_OK : s_task_verified(w, &e.c);
}

static int
s_dispatch(wf_t *w, const gn_case_t *known, const Gridnet__ActReq *req)
{
    edit_t e;
    int rc;
    s_edit_init(&e, known);
    e.c.status = ST(DISPATCHED);
    char dept[256] = "";
    if (!s_blank(req->assignee))
        snprintf(dept, sizeof dept, "%s", req->assignee);
    else if (!req->to) {   // the category's department by default
        char key[300];
        json_t *cat = NULL;
        snprintf(key, sizeof key, "category/%s", known->category);
        if (gn_ref_get(w->txn, key, &cat) == 0) {
            const char *d = json_string_value(json_object_get(cat, "department"));
            snprintf(dept, sizeof dept, "%s", d ? d : "");
        }
        json_decref(cat);
        if (!*dept)
            return s_refuse(w, GN_EINVAL, "name a department (--assignee) or a child node "
                                          "(--to): category '%s' has no default department",
                            known->category);
    }
    if (*dept && gn_ref_any(w->txn, "department/")) {
        char key[300];
        json_t *d = NULL;
        snprintf(key, sizeof key, "department/%s", dept);
        rc = gn_ref_get(w->txn, key, &d);
        json_decref(d);
        if (rc == GN_ENOTFOUND)
            return s_refuse(w, GN_EINVAL, "unknown department '%s' (see: gridctl ref get "
                                          "department/)", dept);
        if (rc != 0)
            return rc;
    }
    e.c.assignee = dept;
    if (req->to) {
        if (gn_node_parent(req->to) != w->self)
            return s_refuse(w, GN_ESCOPE, "%012llu is not a child of this node",
                            (unsigned long long) req->to);
        if ((rc = s_dispatcher_push(w, &e, w->self)) != 0
            || (rc = s_backfill(w, known, req->to)) != 0)
            return rc;
        s_transfer(&e, known, req->to);
    }
    if (!known->due_handle || known->overdue)
        if ((rc = s_handle_due(w, &e, known)) != 0)
            return rc;
    return s_write(w, known, &e, ACT(DISPATCH), req->actor, req->note, req->to, req->evidence);
}

static int
s_return(wf_t *w, const gn_case_t *known, const Gridnet__ActReq *req)
{
    uint64_t to = req->to;
    if (!to)   // the child it came up from: the last trail node below us
        for (size_t i = known->n_trail; i-- > 0;)
            if (gn_node_parent(known->trail[i]) == w->self) {
                to = known->trail[i];
                break;
            }
    if (!to)
        return s_refuse(w, GN_ESTATE, "the case did not come from a child of this node; "
                                      "name one with --to");
    if (gn_node_parent(to) != w->self)
        return s_refuse(w, GN_ESCOPE, "%012llu is not a child of this node",
                        (unsigned long long) to);
    edit_t e;
    int rc = s_backfill(w, known, to);
    if (rc != 0)
        return rc;
    s_edit_init(&e, known);
    s_transfer(&e, known, to);
    e.c.status = ST(ACCEPTED);
    e.c.reason = req->note;
    if ((rc = s_handle_due(w, &e, known)) != 0)
        return rc;
    return s_write(w, known, &e, ACT(RETURN), req->actor, req->note, to, req->evidence);
}

static int
s_supervise(wf_t *w, const gn_case_t *known, const Gridnet__ActReq *req)
{
    if (!s_open(known))
        return s_refuse(w, GN_ESTATE, "only an open case can be supervised (it is %s)",
                        s_status_name(known->status));
    if (!known->owner || known->owner == w->self || !gn_node_in_subtree(known->owner, w->self))
        return s_refuse(w, GN_ESCOPE, "supervision comes from a level above the owner "
                                      "(%012llu)", (unsigned long long) known->owner);
    if (req->due && req->due <= w->now)
        return s_refuse(w, GN_EINVAL, "the new deadline must be in the future");
    if (known->n_supervision >= GN_SUPERVISION_MAX)
        return s_refuse(w, GN_ESTATE, "the case has too many supervisions");
    uint64_t seq;
    int rc = gn_apply_next_seq(w->txn, &seq);
    if (rc != 0)
        return rc;
    Gridnet__Supervision sv = GRIDNET__SUPERVISION__INIT;
    sv.origin = w->self;
    sv.seq = seq;
    sv.time = w->now;
    sv.actor = req->actor;
    sv.note = req->note;
    sv.due = req->due;
    sv.urgency = req->urgency;
    sv.epoch = known->epoch;
    edit_t e;
    s_edit_init(&e, known);
    e.supervision[e.c.n_supervision++] = &sv;
    gn_supervision_derive(&e.c);
    return s_write(w, known, &e, ACT(SUPERVISE), req->actor, req->note, 0, req->evidence);
}

int
gn_workflow_act(gn_txn_t *txn, uint64_t self, const Gridnet__ActReq *req, int64_t now,
                gn_case_t **state, char *err, size_t errlen)
{
    wf_t w = { txn, self, gn_node_level(self), now, err, errlen };
    gn_case_t *known = NULL;
    int rc = gn_cases_get(txn, req->case_id, &known);
    if (rc == GN_EINVAL || rc == GN_ENOTFOUND)
        return s_refuse(&w, rc, rc == GN_ENOTFOUND ? "no such case here: %s"
                                                   : "not a case id: %s", req->case_id);
    if (rc != 0)
        return rc;
    int action = req->action;
    edit_t e;
    s_edit_init(&e, known);
    if ((rc = gn_workflow_may(txn, self, req->actor, action, known, err, errlen)) != 0)
        goto done;
    if (action != ACT(SUPERVISE) && known->owner != self) {
        rc = known->owner
           ? s_refuse(&w, GN_ENOTOWNER, "case %s is owned by %012llu (level %d), not this node",
                      known->id, (unsigned long long) known->owner, gn_node_level(known->owner))
           : s_refuse(&w, GN_ENOTOWNER, "case %s is being transferred", known->id);
        goto done;
    }
    int st = known->status;
#define REQUIRE(cond, ...) do { if (!(cond)) { rc = s_refuse(&w, GN_ESTATE, __VA_ARGS__); goto done; } } while (0)
#define NOTE_REQUIRED(what) do { if (s_blank(req->note)) { rc = s_refuse(&w, GN_EINVAL, "%s needs --note", what); goto done; } } while (0)
    switch (action) {
    case ACT(ACCEPT):
        REQUIRE(st == ST(REPORTED), "only a reported case can be accepted (it is %s)",
                s_status_name(st));
        e.c.status = ST(ACCEPTED);
        if ((rc = s_handle_due(&w, &e, known)) == 0)
            rc = s_write(&w, known, &e, action, req->actor, req->note, 0, req->evidence);
        break;
    case ACT(REJECT):
        REQUIRE(st == ST(REPORTED) || st == ST(ACCEPTED),
                "only a reported or accepted case can be rejected (it is %s)", s_status_name(st));
        NOTE_REQUIRED("reject");
        if (!s_blank(req->duplicate_of)) {
            gn_case_t *orig = NULL;
            if (strcmp(req->duplicate_of, known->id) == 0) {
                rc = s_refuse(&w, GN_EINVAL, "a case cannot duplicate itself");
                goto done;
            }
            rc = gn_cases_get(txn, req->duplicate_of, &orig);
            gn_codec_free_case(&orig);
            if (rc != 0) {
                rc = s_refuse(&w, GN_EINVAL, "duplicate of %s: no such case here",
                              req->duplicate_of);
                goto done;
            }
        }
        e.c.status = ST(REJECTED);
        e.c.reason = req->note;
        e.c.duplicate_of = req->duplicate_of;
        e.c.overdue = false;
        rc = s_write(&w, known, &e, action, req->actor, req->note, 0, req->evidence);
        break;
    case ACT(DISPATCH):
        REQUIRE(st == ST(ACCEPTED) || st == ST(DISPATCHED),
                "accept the case before dispatching it (it is %s)", s_status_name(st));
        rc = s_dispatch(&w, known, req);
        break;
    case ACT(HANDLE):
        REQUIRE(st == ST(ACCEPTED) || st == ST(DISPATCHED) || (st == ST(REPORTED) && w.level == 3),
                "the case cannot be handled now (it is %s)", s_status_name(st));
        NOTE_REQUIRED("handle (the result)");
        e.c.status = ST(HANDLED);
        e.c.handler = self;
        e.c.feedback = req->note;
        e.c.overdue = false;
        if (req->evidence && *req->evidence)
            e.c.evidence = req->evidence;
        {
            uint64_t back = s_dispatcher_top(&e);
            if (back) {   // sent down to us: back to the dispatcher for verification
                e.c.n_dispatchers--;
                s_transfer(&e, known, back);
            }
            rc = s_write(&w, known, &e, action, req->actor, req->note, back, req->evidence);
        }
        break;
    case ACT(VERIFY):
        REQUIRE(st == ST(HANDLED), "only a handled case can be verified (it is %s)",
                s_status_name(st));
        rc = s_verify(&w, known, req);
        break;
    case ACT(ARCHIVE):
        REQUIRE(st == ST(VERIFIED), "only a verified case can be archived (it is %s)",
                s_status_name(st));
        e.c.status = ST(ARCHIVED);
        rc = s_write(&w, known, &e, action, req->actor, req->note, 0, req->evidence);
        break;
    case ACT(EVALUATE):
        REQUIRE(st == ST(ARCHIVED), "only an archived case can be evaluated (it is %s)",
                s_status_name(st));
        if (req->rating < 1 || req->rating > 5) {
            rc = s_refuse(&w, GN_EINVAL, "evaluate needs a rating from 1 to 5");
            goto done;
        }
        e.c.status = ST(EVALUATED);
        e.c.rating = req->rating;
        e.c.comment = req->comment;
        rc = s_write(&w, known, &e, action, req->actor, req->note, 0, req->evidence);
        break;
    case ACT(ESCALATE):
        REQUIRE(s_open(known), "only an open case can be escalated (it is %s)",
                s_status_name(st));
        if (w.level == 1) {
            rc = s_refuse(&w, GN_ESTATE, "the district is the top level: nothing to escalate to");
            goto done;
        }
        rc = s_escalate(&w, known, gn_node_parent(self), req->actor, req->note);
        break;
    case ACT(RETURN):
        REQUIRE(s_open(known), "only an open case can be returned (it is %s)",
                s_status_name(st));
        NOTE_REQUIRED("return (the reason)");
        rc = s_return(&w, known, req);
        break;
    case ACT(SUPERVISE):
        NOTE_REQUIRED("supervise");
        rc = s_supervise(&w, known, req);
        break;
    default:
        rc = s_refuse(&w, GN_EINVAL, "not an action a client can ask for");
        break;
    }
#undef REQUIRE
#undef NOTE_REQUIRED
done:
    gn_codec_free_case(&known);
    if (rc == 0)
        rc = gn_cases_get(txn, req->case_id, state);
    return rc;
}

// ---------------------------------------------------------------------------
//  The tick: overdue and the escalation policy.

typedef struct {
    int64_t until;              // deadlines up to this time
    uint8_t keys[TICK_MAX][16]; // cases whose deadline has passed
    size_t n;
} due_scan_t;

static int
s_due_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    due_scan_t *s = arg;
    if (klen != 33 || (int64_t) gn_get_be64((const uint8_t *) key + 9) > s->until
        || s->n == TICK_MAX)
        return 1;
    memcpy(s->keys[s->n++], (const uint8_t *) key + 17, 16);
    return 0;
}

//  The cases this node owns, overdue or not yet, whose deadline is <= until.
static int
s_due_scan(gn_txn_t *txn, uint64_t self, bool overdue, int64_t until, due_scan_t *scan)
{
    uint8_t prefix[9];
    gn_put_be64(prefix, self);
    prefix[8] = overdue ? 1 : 0;
    scan->until = until;
    scan->n = 0;
    return gn_txn_scan(txn, GN_DB_IDX_DUE, prefix, sizeof prefix, false, sizeof prefix,
                       s_due_visit, scan);
}

static int
s_tick_cases(wf_t *w, due_scan_t *scan, int64_t now, int64_t after, int *changed)
{
    int rc = 0;
    gn_txn_t *txn = w->txn;
    uint64_t self = w->self;
    for (size_t i = 0; i < scan->n && rc == 0; i++) {
        gn_case_t *known = NULL;
        if ((rc = gn_cases_get_key(txn, scan->keys[i], &known)) != 0)
            return rc == GN_ENOTFOUND ? GN_OK : rc;
        int64_t due = gn_case_due(known);
        if (known->owner == self && s_open(known) && due && due <= now) {
            if (!known->overdue) {
                edit_t e;
                s_edit_init(&e, known);
                e.c.overdue = true;
                rc = s_write(w, known, &e, ACT(OVERDUE), "system", "deadline passed", 0, NULL);
                ++*changed;
            }
            else if (after > 0 && w->level > 1 && now >= due + after) {
                rc = s_escalate(w, known, gn_node_parent(self), "system",
                                "overdue past the policy's limit: escalated");
                ++*changed;
            }
        }
        gn_codec_free_case(&known);
    }
    return rc;
}

int
gn_workflow_tick(gn_txn_t *txn, uint64_t self, int64_t now, int *changed)
{
    char err[256];
    wf_t w = { txn, self, gn_node_level(self), now, err, sizeof err };
    *changed = 0;
    int64_t after;
    int rc = gn_ref_escalate_after(txn, &after);
    if (rc != 0)
        return rc;
    //  Not yet flagged and past their deadline; then flagged long enough
    //  for the policy (never at the district: there is no level above).
    due_scan_t scan;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        if (pass == 1 && (after <= 0 || w.level == 1))
            break;
        if ((rc = s_due_scan(txn, self, pass == 1, pass == 0 ? now : now - after, &scan)) != 0)
            return rc;
        rc = s_tick_cases(&w, &scan, now, after, changed);
    }
    return rc;
}
