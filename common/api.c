/*  api.c -- client requests: group commit for writes, read txns for reads.  */
#include "api.h"
#include "apply.h"
#include "audit.h"
#include "auditor.h"
#include "cases.h"
#include "crypto.h"
#include "err.h"
#include "feed.h"
#include "ids.h"
#include "log.h"
#include "meeting.h"
#include "pii.h"
#include "query.h"
#include "refdata.h"
#include "report.h"
#include "workflow.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

#define GROUP_MAX   256         // requests taken in one group
#define LIST_DEFAULT 100        // cases per list reply unless asked
#define LIST_MAX    100000      // cases per list reply at most
#define LIST_BYTES  (12u << 20) // packed cases per list reply at most
#define SESSIONS_MAX 256        // sessions kept; the oldest goes first
#define AUDIT_WAITERS 16        // AUDIT requests waiting for the one audit under way
#define SESSION_MS  (12LL * 3600 * 1000)   // a session lasts a working day

typedef struct {
    char token[33];             // 128 random bits, hex; "" = free
    char user[128];             // staff id
    char role[32];              // staff role
    int64_t expires;            // ms (wall clock)
} session_t;

typedef struct {
    zmq_msg_t rid;              // client's routing id
    gn_api_request_t *req;      // unpacked request, NULL if unreadable
    int code;                   // reply code
    char error[256];            // reply error text
    char case_id[GN_CASE_ID_MAX];  // report: the new case's id
    gn_case_t *state;           // act: the resulting state
    char *json;                 // a JSON reply body (malloc'd), or NULL
    const session_t *session;   // who is asking, NULL for the console
    bool front;                 // the in-process HTTP front is asking
} slot_t;

struct _gn_api_t {
    gn_store_t *store;          // the replica
    uint64_t self;              // this node
    uint64_t incarnation;       // this run of the daemon
    gn_sigkey_t *signer;        // seals each group of writes, or NULL
    gn_linksec_t *linksec;      // the registry, for an audit (it may be reloaded)
    bool login_required;        // api/auth
    session_t sessions[SESSIONS_MAX];  // logged-in operators
    gn_status_fn *status;       // link status provider
    gn_status_free_fn *status_free;
    void *status_arg;
    slot_t slots[GROUP_MAX];    // the group being handled
    size_t nslots;              // slots in use
    gn_metrics_t *metrics;      // commit latencies, rendered for MetricsReq; or NULL
    char front_token[33];       // the HTTP front's token; "" = none
    gn_auditor_t *auditor;      // runs AUDIT requests off this thread
    struct {
        zmq_msg_t rid;          // the client's routing id
        uint64_t id;            // its request id
    } audit_waiting[AUDIT_WAITERS];  // clients waiting for the audit's report
    size_t naudit_waiting;      // entries in audit_waiting
};

gn_api_t *
gn_api_new(gn_store_t *store, uint64_t self, uint64_t incarnation,
           gn_sigkey_t *signer, gn_linksec_t *linksec, gn_status_fn *status,
           gn_status_free_fn *status_free, void *status_arg)
{
    gn_api_t *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    api->store = store;
    api->self = self;
    api->incarnation = incarnation;
    api->signer = signer;
    api->linksec = linksec;
    api->status = status;
    api->status_free = status_free;
    api->status_arg = status_arg;
    if (!(api->auditor = gn_auditor_new(store, self))) {
        free(api);
        return NULL;
    }
    return api;
}

static void s_fail(slot_t *s, int code, const char *text);
static int s_json_body(slot_t *s, json_t *doc);

void
gn_api_require_login(gn_api_t *self, bool on)
{
    self->login_required = on;
}

void
gn_api_set_metrics(gn_api_t *self, gn_metrics_t *metrics)
{
    self->metrics = metrics;
}

void
gn_api_set_front_token(gn_api_t *self, const char *token)
{
    snprintf(self->front_token, sizeof self->front_token, "%s", token ? token : "");
}

// ---- sessions ----

static bool
s_may_see_pii(const slot_t *s)
{
    if (s->front)
        return false;   // citizens' front ends never get personal data
    if (!s->session)
        return true;   // the node's console
    const char *role = s->session->role;
    return strstr(role, "operator") || strcmp(role, "administrator") == 0
        || strcmp(role, "supervisor") == 0;
}

//  Replace a string field of an unpacked request with the session's user.
static int
s_act_as(char **field, const char *user)
{
    char *copy = strdup(user);
    if (!copy)
        return GN_ENOMEM;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return GN_OK;
}

//  Who is asking: a session named by the request's token (its user is then
//  the actor of whatever it writes), or the console. 0 or a refusal.
static int
s_authenticate(gn_api_t *api, slot_t *s)
{
    gn_api_request_t *req = s->req;
    if (req->body_case == GRIDNET__API_REQUEST__BODY_LOGIN)
        return GN_OK;
    if (!req->token || !*req->token) {
        if (api->login_required) {
            s_fail(s, GN_ESESSION, "log in first (gridctl login --user ID)");
            return GN_ESESSION;
        }
        return GN_OK;
    }
    size_t tlen = strlen(req->token);
    if (api->front_token[0] && tlen == strlen(api->front_token)
        && gn_memcmp_ct(req->token, api->front_token, tlen) == 0) {
        switch (req->body_case) {   // the front's requests only
        case GRIDNET__API_REQUEST__BODY_REPORT:
        case GRIDNET__API_REQUEST__BODY_SHOW:
        case GRIDNET__API_REQUEST__BODY_REF_GET:
        case GRIDNET__API_REQUEST__BODY_STATUS:
        case GRIDNET__API_REQUEST__BODY_METRICS:
        case GRIDNET__API_REQUEST__BODY_CASE_QUERY:
            s->front = true;
            return GN_OK;
        default:
            s_fail(s, GN_EPERM, "not a request of the HTTP front");
            return GN_EPERM;
        }
    }
    int64_t now = zclock_time();
    for (size_t i = 0; i < SESSIONS_MAX; i++) {
        session_t *ses = &api->sessions[i];
        if (ses->token[0] && ses->expires > now && strcmp(ses->token, req->token) == 0) {
            s->session = ses;
            char **actor = req->body_case == GRIDNET__API_REQUEST__BODY_REPORT ? &req->report->actor
                         : req->body_case == GRIDNET__API_REQUEST__BODY_ACT ? &req->act->actor
                         : req->body_case == GRIDNET__API_REQUEST__BODY_REF_SET ? &req->ref_set->actor
                         : req->body_case == GRIDNET__API_REQUEST__BODY_MEETING ? &req->meeting->actor
                         : req->body_case == GRIDNET__API_REQUEST__BODY_RESOLVE ? &req->resolve->actor
                         : NULL;
            return actor ? s_act_as(actor, ses->user) : GN_OK;
        }
    }
    s_fail(s, GN_ESESSION, "the session is unknown or has expired: log in again");
    return GN_ESESSION;
}

typedef struct {
    gn_api_t *api;
    const Gridnet__LoginReq *req;
    char role[32];              // the staff member's role, out
    int rc;                     // 0 if the password is right
} login_t;

static int
s_login_txn(gn_txn_t *txn, void *arg)
{
    login_t *l = arg;
    char key[300];
    json_t *staff = NULL;
    snprintf(key, sizeof key, "staff/%s", l->req->user ? l->req->user : "");
    l->rc = GN_EPERM;
    int rc = gn_ref_get(txn, key, &staff);
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    const char *hash = json_string_value(json_object_get(staff, "password"));
    const char *role = json_string_value(json_object_get(staff, "role"));
    json_t *node = json_object_get(staff, "node");
    if (hash && role && json_is_integer(node)
        && (uint64_t) json_integer_value(node) == l->api->self
        && gn_pw_verify(l->req->password ? l->req->password : "", hash) == 0) {
        snprintf(l->role, sizeof l->role, "%s", role);
        l->rc = GN_OK;
    }
    json_decref(staff);
    return GN_OK;
}

//  Check a staff member's password (scrypt: ~50 ms, by design) and open a
//  session. The same answer for an unknown user and a wrong password.
static void
s_login(gn_api_t *api, slot_t *s)
{
    login_t l = { .api = api, .req = s->req->login };
    int rc = gn_store_read(api->store, s_login_txn, &l);
    if (rc != 0) {
        s_fail(s, rc, NULL);
        return;
    }
    if (l.rc != 0) {
        gn_warn("api: login refused for '%s'", l.req->user ? l.req->user : "");
        s_fail(s, GN_EPERM, "unknown user or wrong password (or the user works at another node)");
        return;
    }
    int64_t now = zclock_time();
    session_t *slot = &api->sessions[0];
    for (size_t i = 0; i < SESSIONS_MAX; i++)   // a free or expired one, else the oldest
        if (!api->sessions[i].token[0] || api->sessions[i].expires < slot->expires)
            slot = &api->sessions[i];
    uint8_t raw[16];
    if (gn_random(raw, sizeof raw) != 0) {
        s_fail(s, GN_ECRYPTO, NULL);
        return;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(slot->token + 2 * i, 3, "%02x", raw[i]);
    snprintf(slot->user, sizeof slot->user, "%s", l.req->user);
    snprintf(slot->role, sizeof slot->role, "%s", l.role);
    slot->expires = now + SESSION_MS;
    gn_info("api: %s (%s) logged in", slot->user, slot->role);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:I}", "token", slot->token, "user", slot->user,
                            "role", slot->role, "expires", (json_int_t) slot->expires);
    if (s_json_body(s, doc) != 0)
        s_fail(s, GN_ENOMEM, NULL);
}

//  End the request's session: its token is refused from now on.
static void
s_logout(gn_api_t *api, slot_t *s)
{
    if (!s->session) {
        s_fail(s, GN_EINVAL, "no session to end: the request came without a token");
        return;
    }
    session_t *ses = &api->sessions[s->session - api->sessions];
    gn_info("api: %s (%s) logged out", ses->user, ses->role);
    json_t *doc = json_pack("{s:s}", "logged_out", ses->user);
    gn_cleanse(ses, sizeof *ses);
    s->session = NULL;
    if (s_json_body(s, doc) != 0)
        s_fail(s, GN_ENOMEM, NULL);
}

void
gn_api_destroy(gn_api_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_api_t *api = *self_p;
    gn_auditor_destroy(&api->auditor);   // waits for an audit under way
    for (size_t i = 0; i < api->naudit_waiting; i++)
        zmq_msg_close(&api->audit_waiting[i].rid);
    free(api);
    *self_p = NULL;
}

static bool
s_is_write(const gn_api_request_t *req)
{
    switch (req->body_case) {
    case GRIDNET__API_REQUEST__BODY_REPORT:
    case GRIDNET__API_REQUEST__BODY_ACT:
    case GRIDNET__API_REQUEST__BODY_REF_SET:
    case GRIDNET__API_REQUEST__BODY_MEETING:
    case GRIDNET__API_REQUEST__BODY_RESOLVE:
        return true;
    default:
        return false;
    }
}

//  Staff records replicate with their password hashes (every node checks its
//  own logins), but no client reads them back: scrypt slows a guess, it does
//  not make a leaked hash safe to hand out.
static void
s_hide_secrets(json_t *refs)
{
    const char *key;
    json_t *value;
    json_object_foreach(refs, key, value) {
        if (strncmp(key, "staff/", 6) == 0 && json_is_object(value))
            json_object_del(value, "password");
    }
}

//  Take a JSON document as the slot's reply body.
static int
s_json_body(slot_t *s, json_t *doc)
{
    free(s->json);
    s->json = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    return s->json ? GN_OK : GN_ENOMEM;
}

//  Reference data comes from the district only (I8); the value must be JSON.
static int
s_ref_set(gn_txn_t *txn, gn_api_t *api, slot_t *s, int64_t now)
{
    const Gridnet__RefSetReq *req = s->req->ref_set;
    if (gn_node_level(api->self) != 1) {
        snprintf(s->error, sizeof s->error, "reference data is defined at the district");
        return GN_EPERM;
    }
    if (!req->key || !*req->key || strchr(req->key, '/') == NULL) {
        snprintf(s->error, sizeof s->error, "a key looks like kind/name, e.g. category/矛盾纠纷");
        return GN_EINVAL;
    }
    json_error_t jerr;
    json_t *value = json_loads(req->value ? req->value : "", JSON_DECODE_ANY, &jerr);
    if (!value) {
        snprintf(s->error, sizeof s->error, "value of %s is not JSON: %s", req->key, jerr.text);
        return GN_EINVAL;
    }
    json_decref(value);
    int rc = gn_workflow_may(txn, api->self, req->actor, GRIDNET__ACTION__ACT_REFDATA, NULL,
                             s->error, sizeof s->error);
    if (rc != 0)
        return rc;
    gn_op_t op = GRIDNET__OP__INIT;
    op.action = GRIDNET__ACTION__ACT_REFDATA;
    op.actor = req->actor;
    op.time = now;
    op.ref_key = req->key;
    op.ref_value.data = (uint8_t *) req->value;
    op.ref_value.len = strlen(req->value);
    rc = gn_apply_local(txn, api->self, &op);
    if (rc == GN_EMALFORMED) {
        snprintf(s->error, sizeof s->error, "key or value too long");
        return GN_EINVAL;
    }
    return rc;
}

static void
s_fail(slot_t *s, int code, const char *text)
{
    s->code = code;
    if (text != s->error)   // the reason may already be in place
        snprintf(s->error, sizeof s->error, "%s", text ? text : gn_strerror(code));
}

//  All writes of the group in one transaction. Runs again from the start if
//  the map had to grow, so it resets what it produces.
static int
s_writes_txn(gn_txn_t *txn, void *arg)
{
    gn_api_t *api = arg;
    int64_t now = zclock_time();
    for (size_t i = 0; i < api->nslots; i++) {
        slot_t *s = &api->slots[i];
        if (!s->req || !s_is_write(s->req))
            continue;
        s->code = 0;
        s->error[0] = 0;
        gn_codec_free_case(&s->state);
        free(s->json);
        s->json = NULL;
        int rc;
        json_t *doc = NULL;
        switch (s->req->body_case) {
        case GRIDNET__API_REQUEST__BODY_REPORT: {
            const uint8_t *key = gn_linksec_pii(api->linksec);
            rc = key ? gn_pii_seal(key, s->req->report->reporter) : GN_OK;
            if (rc == 0)
                rc = gn_workflow_report(txn, api->self, s->req->report, now, s->case_id,
                                        s->error, sizeof s->error);
            break;
        }
        case GRIDNET__API_REQUEST__BODY_ACT:
            rc = gn_workflow_act(txn, api->self, s->req->act, now, &s->state,
                                 s->error, sizeof s->error);
            break;
        case GRIDNET__API_REQUEST__BODY_REF_SET:
            rc = s_ref_set(txn, api, s, now);
            break;
        case GRIDNET__API_REQUEST__BODY_MEETING:
            rc = gn_meeting_create(txn, api->self, s->req->meeting, now, &doc,
                                   s->error, sizeof s->error);
            if (rc == 0)
                rc = s_json_body(s, doc);
            break;
        default:
            rc = gn_meeting_resolve(txn, api->self, s->req->resolve, now, &doc,
                                    s->error, sizeof s->error);
            if (rc == 0)
                rc = s_json_body(s, doc);
            break;
        }
        if (rc == GN_EMAPFULL || rc == GN_EDISKFULL || rc == GN_ESTORE || rc == GN_EIO
            || rc == GN_ENOMEM)
            return rc;   // the store failed: the whole group fails
        if (rc != 0)
            s_fail(s, rc, s->error[0] ? s->error : NULL);
    }
    return gn_apply_seal(txn, api->self, api->signer);   // one signature for the group
}

// ---- reads ----

typedef struct {
    gn_txn_t *txn;
    Gridnet__CaseView *view;
    size_t cap_history, cap_conflicts;
} show_t;

static int
s_show_op(uint64_t origin, uint64_t seq, void *arg)
{
    show_t *sh = arg;
    Gridnet__CaseView *v = sh->view;
    if (v->n_history == sh->cap_history) {
        size_t cap = sh->cap_history ? sh->cap_history * 2 : 16;
        Gridnet__Op **grown = realloc(v->history, cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        v->history = grown;
        sh->cap_history = cap;
    }
    int rc = gn_ops_get(sh->txn, origin, seq, &v->history[v->n_history]);
    if (rc == 0)
        v->n_history++;
    return rc;
}

static int
s_show_conflict(const void *bytes, size_t len, void *arg)
{
    show_t *sh = arg;
    Gridnet__CaseView *v = sh->view;
    if (v->n_conflicts == sh->cap_conflicts) {
        size_t cap = sh->cap_conflicts ? sh->cap_conflicts * 2 : 4;
        Gridnet__Op **grown = realloc(v->conflicts, cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        v->conflicts = grown;
        sh->cap_conflicts = cap;
    }
    int err;
    gn_op_t *op = gn_codec_unpack_op(bytes, len, &err);
    if (!op)
        return GN_ESTORE;
    v->conflicts[v->n_conflicts++] = op;
    return GN_OK;
}

static void
s_view_free(Gridnet__CaseView *v)
{
    gn_codec_free_case(&v->state);
    for (size_t i = 0; i < v->n_history; i++)
        gn_codec_free_op(&v->history[i]);
    for (size_t i = 0; i < v->n_conflicts; i++)
        gn_codec_free_op(&v->conflicts[i]);
    free(v->history);
    free(v->conflicts);
}

typedef struct {
    Gridnet__CaseList *list;
    size_t cap;                 // allocated entries in list->cases
    size_t limit;               // cases wanted
    size_t bytes;               // packed bytes so far
    bool more;                  // stopped with cases left
} list_t;

static int
s_list_visit(const void *bytes, size_t len, void *arg)
{
    list_t *l = arg;
    Gridnet__CaseList *cl = l->list;
    if (cl->n_cases >= l->limit || l->bytes + len > LIST_BYTES) {
        l->more = true;   // stop and say where to continue
        return 1;
    }
    if (cl->n_cases == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        Gridnet__Case **grown = realloc(cl->cases, cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        cl->cases = grown;
        l->cap = cap;
    }
    int err;
    gn_case_t *c = gn_codec_unpack_case(bytes, len, &err);
    if (!c)
        return GN_ESTORE;
    cl->cases[cl->n_cases++] = c;
    l->bytes += len;
    return 0;
}

typedef struct {
    const Gridnet__LedgerReq *req;
    json_t *entries;            // matching entries
    json_int_t total;           // their sum, fen
} ledger_t;

static int
s_ledger_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    ledger_t *l = arg;
    json_error_t jerr;
    json_t *e = json_loadb(val, vlen, 0, &jerr);
    if (!e)
        return GN_ESTORE;
    const char *worker = json_string_value(json_object_get(e, "worker"));
    json_int_t t = json_integer_value(json_object_get(e, "time"));
    bool match = (!l->req->worker || !*l->req->worker
                  || (worker && strcmp(worker, l->req->worker) == 0))
              && (!l->req->from || t >= l->req->from) && (!l->req->to || t < l->req->to);
    if (match) {
        l->total += json_integer_value(json_object_get(e, "fen"));
        json_array_append(l->entries, e);
    }
    json_decref(e);
    return 0;
}

//  The reward ledger (append-only: one entry per verifying op).
static int
s_ledger(gn_txn_t *txn, const Gridnet__LedgerReq *req, json_t **doc)
{
    ledger_t l = { req, json_array(), 0 };
    int rc = gn_txn_scan(txn, GN_DB_LEDGER, NULL, 0, false, 0, s_ledger_visit, &l);
    if (rc != 0) {
        json_decref(l.entries);
        return rc;
    }
    *doc = json_pack("{s:o, s:I}", "entries", l.entries, "total_fen", l.total);
    return *doc ? GN_OK : GN_ENOMEM;
}

typedef struct {
    gn_api_t *api;
    slot_t *slot;
    gn_api_reply_t *reply;      // filled here, packed by the caller
    Gridnet__CaseView view;     // show
    Gridnet__CaseList list;     // list
    Gridnet__NodeStatus status; // status
    Gridnet__Digest digest;     // digest
    char next[GN_CASE_ID_MAX];  // list continuation
} read_t;

//  The node's status: store counters here, links from the node.
static int
s_node_status(gn_txn_t *txn, read_t *r)
{
    Gridnet__NodeStatus *st = &r->status;
    int rc;
    st->node = r->api->self;
    st->level = (uint32_t) gn_node_level(r->api->self);
    st->parent = gn_node_parent(r->api->self);
    st->incarnation = r->api->incarnation;
    if ((rc = gn_feed_head(txn, &st->feed_head)) != 0
        || (rc = gn_meta_get(txn, "op_seq", &st->op_seq)) != 0
        || (rc = gn_meta_get(txn, "conflicts", &st->conflicts)) != 0
        || (rc = gn_txn_count(txn, GN_DB_CASES, &st->cases)) != 0)
        return rc;
    return r->api->status ? r->api->status(r->api->status_arg, st) : GN_OK;
}

static int
s_read_txn(gn_txn_t *txn, void *arg)
{
    read_t *r = arg;
    gn_api_request_t *req = r->slot->req;
    gn_api_reply_t *reply = r->reply;
    int rc;
    switch (req->body_case) {
    case GRIDNET__API_REQUEST__BODY_SHOW: {
        uint8_t key[16];
        if (gn_case_key_from_text(key, req->show->case_id) != 0) {
            s_fail(r->slot, GN_EINVAL, "not a case id (expected <node code>-<n>)");
            return GN_OK;
        }
        rc = gn_cases_get_key(txn, key, &r->view.state);
        if (rc == GN_ENOTFOUND) {
            s_fail(r->slot, rc, "no such case here");
            return GN_OK;
        }
        show_t sh = { .txn = txn, .view = &r->view };
        if (rc != 0 || (rc = gn_cases_history(txn, key, s_show_op, &sh)) != 0
            || (rc = gn_cases_conflicts(txn, key, s_show_conflict, &sh)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_VIEW;
        reply->view = &r->view;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_LIST: {
        Gridnet__ListReq *lr = req->list;
        uint8_t after[16];
        if (lr->after && *lr->after && gn_case_key_from_text(after, lr->after) != 0) {
            s_fail(r->slot, GN_EINVAL, "list: 'after' is not a case id");
            return GN_OK;
        }
        gn_case_filter_t f = { .status = lr->status, .grid = lr->grid, .owner = lr->owner,
                               .after = lr->after && *lr->after ? after : NULL };
        list_t l = { .list = &r->list,
                     .limit = lr->limit == 0 ? LIST_DEFAULT
                            : lr->limit > LIST_MAX ? LIST_MAX : lr->limit };
        if ((rc = gn_cases_list(txn, &f, s_list_visit, &l)) != 0)
            return rc;
        if (l.more && r->list.n_cases > 0) {
            snprintf(r->next, sizeof r->next, "%s", r->list.cases[r->list.n_cases - 1]->id);
            r->list.next = r->next;
        }
        reply->body_case = GRIDNET__API_REPLY__BODY_LIST;
        reply->list = &r->list;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_STATUS:
        if ((rc = s_node_status(txn, r)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_STATUS;
        reply->status = &r->status;
        return GN_OK;
    case GRIDNET__API_REQUEST__BODY_METRICS: {
        uint64_t counts[GN_QUERY_STATUSES];
        free(r->slot->json);
        r->slot->json = NULL;
        if ((rc = s_node_status(txn, r)) != 0 || (rc = gn_query_count_status(txn, counts)) != 0
            || (rc = gn_metrics_render(r->api->metrics, &r->status, counts, &r->slot->json)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_METRICS;
        reply->metrics = r->slot->json;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_CASE_QUERY:
        if ((rc = gn_query_cases(txn, req->case_query, &r->list)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_LIST;
        reply->list = &r->list;
        return GN_OK;
    case GRIDNET__API_REQUEST__BODY_SUMMARY: {
        json_t *doc = NULL;
        if ((rc = gn_query_summary(txn, r->api->self, zclock_time(), req->summary->limit,
                                   &doc)) != 0
            || (rc = s_json_body(r->slot, doc)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_JSON;
        reply->json = r->slot->json;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_REF_GET: {
        json_t *doc = NULL;
        if ((rc = gn_ref_collect(txn, req->ref_get->prefix ? req->ref_get->prefix : "", &doc)) != 0
            || (s_hide_secrets(doc), rc = s_json_body(r->slot, doc)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_JSON;
        reply->json = r->slot->json;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_DIGEST: {
        uint64_t root = req->digest->root ? req->digest->root : r->api->self;
        if ((rc = gn_digest(txn, root, &r->digest)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_DIGEST;
        reply->digest = &r->digest;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_MEETINGS: {
        json_t *doc = NULL;
        if ((rc = gn_meeting_list(txn, zclock_time(), &doc)) != 0
            || (rc = s_json_body(r->slot, doc)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_JSON;
        reply->json = r->slot->json;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_LEDGER: {
        json_t *doc = NULL;
        if ((rc = s_ledger(txn, req->ledger, &doc)) != 0 || (rc = s_json_body(r->slot, doc)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_JSON;
        reply->json = r->slot->json;
        return GN_OK;
    }
    case GRIDNET__API_REQUEST__BODY_MONTHLY:
    case GRIDNET__API_REQUEST__BODY_EVAL: {
        json_t *doc = NULL;
        char *why = r->slot->error;
        size_t whylen = sizeof r->slot->error;
        why[0] = 0;
        rc = req->body_case == GRIDNET__API_REQUEST__BODY_MONTHLY
           ? gn_report_monthly(txn, r->api->self, req->monthly, zclock_time(), &doc, why, whylen)
           : gn_report_eval(txn, r->api->self, req->eval, zclock_time(), &doc, why, whylen);
        if (rc == GN_EINVAL || rc == GN_ESCOPE) {   // the request, not the store
            s_fail(r->slot, rc, why);
            return GN_OK;
        }
        if (rc != 0 || (rc = s_json_body(r->slot, doc)) != 0)
            return rc;
        reply->body_case = GRIDNET__API_REPLY__BODY_JSON;
        reply->json = r->slot->json;
        return GN_OK;
    }
    default:
        s_fail(r->slot, GN_EINVAL, "unknown request");
        return GN_OK;
    }
}

//  Send reply for request id to the client rid (consumed).
static void
s_send_to(void *sock, zmq_msg_t *rid, uint64_t id, int code, const char *error,
          gn_api_reply_t *reply)
{
    uint8_t *buf;
    size_t len;
    reply->id = id;
    reply->code = code;
    reply->error = (char *) (code ? error : "");
    if (code)
        reply->body_case = GRIDNET__API_REPLY__BODY__NOT_SET;
    int rc = gn_codec_pack(&reply->base, GN_REPLY_MAX, &buf, &len);
    if (rc != 0) {
        gn_api_reply_t small = GRIDNET__API_REPLY__INIT;
        small.id = reply->id;
        small.code = rc;
        small.error = (char *) "reply too large: narrow the request";
        if (gn_codec_pack(&small.base, GN_REPLY_MAX, &buf, &len) != 0)
            return;
    }
    if (zmq_msg_send(rid, sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send(sock, buf, len, ZMQ_DONTWAIT);
    free(buf);
}

static void
s_send_reply(void *sock, slot_t *s, gn_api_reply_t *reply)
{
    s_send_to(sock, &s->rid, s->req ? s->req->id : 0, s->code, s->error, reply);
}

//  An AUDIT reads the whole replica and checks every seal: seconds on a big
//  node, so it runs on the auditor's thread and its reply goes out from
//  gn_api_poll once it is done (one audit answers every request that came
//  while it ran).
static void
s_audit_defer(gn_api_t *api, void *sock, slot_t *s)
{
    if (api->naudit_waiting == AUDIT_WAITERS)
        s_fail(s, GN_ENOMEM, "too many audit requests waiting: try again later");
    else {
        gn_linksec_t *ls = api->linksec;
        int rc = gn_auditor_start(api->auditor,
                                  gn_linksec_registry(ls) ? gn_linksec_registry_dir(ls) : NULL);
        if (rc != 0)
            s_fail(s, rc, "cannot start an audit");
    }
    if (s->code != 0) {
        gn_api_reply_t reply = GRIDNET__API_REPLY__INIT;
        s_send_reply(sock, s, &reply);
        return;
    }
    zmq_msg_t *rid = &api->audit_waiting[api->naudit_waiting].rid;
    zmq_msg_init(rid);
    if (zmq_msg_copy(rid, &s->rid) != 0) {
        zmq_msg_close(rid);
        return;
    }
    api->audit_waiting[api->naudit_waiting++].id = s->req->id;
}

void
gn_api_poll(gn_api_t *api, zsock_t *router)
{
    char *json = NULL;
    int rc;
    if (api->naudit_waiting == 0 || !gn_auditor_take(api->auditor, &json, &rc))
        return;
    if (rc != 0)
        gn_warn("api: audit failed: %s", gn_strerror(rc));
    for (size_t i = 0; i < api->naudit_waiting; i++) {
        gn_api_reply_t reply = GRIDNET__API_REPLY__INIT;
        reply.body_case = GRIDNET__API_REPLY__BODY_JSON;
        reply.json = json;
        s_send_to(zsock_resolve(router), &api->audit_waiting[i].rid, api->audit_waiting[i].id,
                  rc, gn_strerror(rc), &reply);
        zmq_msg_close(&api->audit_waiting[i].rid);
    }
    api->naudit_waiting = 0;
    free(json);
}

static void
s_reply_read(gn_api_t *api, void *sock, slot_t *s)
{
    gn_api_reply_t reply = GRIDNET__API_REPLY__INIT;
    read_t r = { .api = api, .slot = s, .reply = &reply };
    gridnet__case_view__init(&r.view);
    gridnet__case_list__init(&r.list);
    gridnet__node_status__init(&r.status);
    gridnet__digest__init(&r.digest);
    int rc = gn_store_read(api->store, s_read_txn, &r);
    if (rc != 0 && s->code == 0)
        s_fail(s, rc, NULL);
    //  Personal data leaves sealed, opened only for those who may see it.
    const uint8_t *key = gn_linksec_pii(api->linksec);
    bool may = s_may_see_pii(s);
    if (rc == 0 && r.view.state)
        rc = gn_pii_show(key, r.view.state->reporter, may);
    for (size_t i = 0; rc == 0 && i < r.view.n_history; i++)
        if (r.view.history[i]->state)
            rc = gn_pii_show(key, r.view.history[i]->state->reporter, may);
    for (size_t i = 0; rc == 0 && i < r.list.n_cases; i++)
        rc = gn_pii_show(key, r.list.cases[i]->reporter, may);
    if (rc != 0 && s->code == 0)
        s_fail(s, rc, NULL);
    s_send_reply(sock, s, &reply);
    s_view_free(&r.view);
    for (size_t i = 0; i < r.list.n_cases; i++)
        gn_codec_free_case(&r.list.cases[i]);
    free(r.list.cases);
    if (api->status_free)
        api->status_free(api->status_arg, &r.status);
    gn_digest_free(&r.digest);
}

int
gn_api_on_requests(gn_api_t *api, zsock_t *router)
{
    void *sock = zsock_resolve(router);
    api->nslots = 0;
    bool writes = false;
    while (api->nslots < GROUP_MAX) {
        slot_t *s = &api->slots[api->nslots];
        memset(s, 0, sizeof *s);
        zmq_msg_init(&s->rid);
        if (zmq_msg_recv(&s->rid, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&s->rid);
            break;
        }
        api->nslots++;
        zmq_msg_t body;
        zmq_msg_init(&body);
        int err = GN_EMALFORMED;
        if (zmq_msg_more(&s->rid) && zmq_msg_recv(&body, sock, ZMQ_DONTWAIT) >= 0) {
            bool more = zmq_msg_more(&body);
            if (!more)
                s->req = gn_codec_unpack_request(zmq_msg_data(&body), zmq_msg_size(&body), &err);
            while (more) {   // one frame per request: drop the rest
                zmq_msg_t part;
                zmq_msg_init(&part);
                more = zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&part);
                zmq_msg_close(&part);
            }
        }
        zmq_msg_close(&body);
        if (!s->req)
            s_fail(s, err, "request unreadable: expected one frame holding an ApiRequest");
        else if (s_authenticate(api, s) == 0 && s_is_write(s->req))
            writes = true;
    }
    if (writes) {
        int64_t t0 = zclock_usecs();
        int rc = gn_store_write(api->store, s_writes_txn, api);
        gn_metrics_commit(api->metrics, GN_COMMIT_API, zclock_usecs() - t0);
        if (rc != 0) {
            //  Nothing of the group was committed: every write in it is refused.
            char why[160];
            if (rc == GN_EDISKFULL)
                snprintf(why, sizeof why, "not saved: disk full at this node; "
                         "try again once space is freed");
            else
                snprintf(why, sizeof why, "not saved: the node's storage failed (%s); try again",
                         gn_strerror(rc));
            gn_error("api: group of %zu request(s) not saved: %s", api->nslots, gn_strerror(rc));
            for (size_t i = 0; i < api->nslots; i++)
                if (api->slots[i].req && s_is_write(api->slots[i].req))
                    s_fail(&api->slots[i], rc, why);
        }
    }
    for (size_t i = 0; i < api->nslots; i++) {
        slot_t *s = &api->slots[i];
        bool login = s->req && s->req->body_case == GRIDNET__API_REQUEST__BODY_LOGIN;
        if (s->req && s->code == 0
            && (login || s->req->body_case == GRIDNET__API_REQUEST__BODY_LOGOUT)) {
            if (login)
                s_login(api, s);
            else
                s_logout(api, s);
            gn_api_reply_t reply = GRIDNET__API_REPLY__INIT;
            if (s->code == 0) {
                reply.body_case = GRIDNET__API_REPLY__BODY_JSON;
                reply.json = s->json;
            }
            s_send_reply(sock, s, &reply);
        }
        else if (s->req && s->code == 0 && s->req->body_case == GRIDNET__API_REQUEST__BODY_AUDIT)
            s_audit_defer(api, sock, s);
        else if (s->req && !s_is_write(s->req) && s->code == 0)
            s_reply_read(api, sock, s);
        else {
            gn_api_reply_t reply = GRIDNET__API_REPLY__INIT;
            if (s->code == 0 && s->req->body_case == GRIDNET__API_REQUEST__BODY_REPORT) {
                reply.body_case = GRIDNET__API_REPLY__BODY_CASE_ID;
                reply.case_id = s->case_id;
            }
            else if (s->code == 0 && s->json) {
                reply.body_case = GRIDNET__API_REPLY__BODY_JSON;
                reply.json = s->json;
            }
            else if (s->code == 0 && s->state) {
                reply.body_case = GRIDNET__API_REPLY__BODY_STATE;
                reply.state = s->state;
            }
            s_send_reply(sock, s, &reply);
        }
        gn_codec_free_case(&s->state);
        gn_codec_free_request(&s->req);
        free(s->json);
        s->json = NULL;
        zmq_msg_close(&s->rid);
    }
    return (int) api->nslots;
}
