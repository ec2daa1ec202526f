/*  webapi.c -- the pages and their JSON API (see webapi.h).

    Runs on the HTTP front's connection threads. What they share sits behind
    one mutex: the sessions, and the remembered reports (request ids). The
    node is reached only through its API socket, with the session's token;
    the live events come from sse.c.  */
#include "webapi.h"
#include "cases.h"
#include "codec.h"
#include "crypto.h"
#include "err.h"
#include "ids.h"
#include "log.h"
#include "pbjson.h"
#include "query.h"
#include "sse.h"
#include "webasset.h"

#include <czmq.h>
#include <jansson.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSIONS_MAX 128        // sessions of the front at most; the least recently used goes
#define SESSION_MS (12LL * 3600 * 1000)    // a session lasts a working day (as the node's)
#define IDEM_MAX 512            // reports remembered by request id at most
#define IDEM_MS (10LL * 60 * 1000)         // for this long
#define IDEM_WAIT_MS 8000       // a retry waits this long for the first attempt's answer
#define SSE_MAX 16              // live streams at most (below http.c's CONNECTIONS_MAX)
#define CASES_DEFAULT 100       // cases of GET /api/cases unless asked
#define COOKIE "gn_session"
#define TITLE_CHARS 40          // a title made from the description: its first characters
#define LOGIN_FIELD_MAX 128     // bytes of a user name or password
#define LOGIN_FAILS_MAX 30      // wrong logins a minute at most, then 429 for the rest of it:
                                //   each costs the node's thread an scrypt (~50 ms)

static const char s_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
static const char s_wrong_login[] = "用户名或密码错误 / Wrong user or password";

typedef struct {
    char id[65];                // the cookie's value: 256 random bits, hex; "" = free
    char token[33];             // the node's session token (never leaves the front)
    char user[LOGIN_FIELD_MAX + 1];    // staff id
    char name[GN_FIELD_MAX + 1];       // staff name
    char role[32];              // staff role
    char grid[GN_FIELD_MAX + 1];       // a grid worker's grid, else ""
    int64_t expires;            // ms, wall clock
    int64_t used;               // ms, last request (the least recently used is evicted)
} session_t;

typedef enum { IDEM_FREE, IDEM_PENDING, IDEM_DONE, IDEM_UNKNOWN } idem_state_t;

typedef struct {
    idem_state_t state;         // free, at the node, answered, or the node did not answer
    char user[LOGIN_FIELD_MAX + 1];    // whose
    char rid[65];               // the page's request id
    char case_id[GN_CASE_ID_MAX];      // DONE: the case it made
    int64_t created;            // ms, when the first attempt came
    uint8_t what[GN_SHA256_LEN];       // SHA-256 of grid, category and description
} idem_t;

struct _gn_webapi_t {
    uint64_t node;              // this node
    int level;                  // its level
    bool tls;                   // served over HTTPS
    gn_clientpool_t *pool;      // API clients (borrowed)
    size_t max_body;            // bytes of a body at most
    gn_webapi_count_fn *count;
    void *count_arg;
    gn_sse_t *sse;              // live events
    pthread_mutex_t lock;       // guards sessions and idem
    pthread_cond_t idem_done;   // a pending report was answered
    session_t sessions[SESSIONS_MAX];
    idem_t idem[IDEM_MAX];
    int64_t fails_since;        // ms: start of the minute the wrong logins are counted in
    unsigned fails;             // wrong logins in it
};

//  One request in progress.
typedef struct {
    bool post;                  // a POST (else GET or HEAD)
    char *body;                 // its body so far, NUL-terminated
    size_t len;                 // bytes of it
    unsigned status;            // an error met while the body came in (0: none)
    char err[160];              // its reason
} wreq_t;

// ---- responses ----

static enum MHD_Result
s_send(gn_webapi_t *self, struct MHD_Connection *conn, unsigned status, const char *type,
       const void *data, size_t len, enum MHD_ResponseMemoryMode mode, const char *cache,
       const char *cookie, const char *etag, const char *location)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *) data, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free((void *) data);
        return MHD_NO;
    }
    enum MHD_Result rc = MHD_YES;
    if ((type && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES)
        || MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES
        || MHD_add_response_header(resp, "Content-Security-Policy", s_csp) != MHD_YES
        || MHD_add_response_header(resp, "X-Frame-Options", "DENY") != MHD_YES
        || MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES
        || MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache) != MHD_YES
        || (cookie && MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie) != MHD_YES)
        || (etag && MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) != MHD_YES)
        || (location && MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location)
                        != MHD_YES)
        || (status == 405 && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                                     "GET, HEAD, POST") != MHD_YES))
        rc = MHD_NO;
    if (rc == MHD_YES)
        rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES && self->count)
        self->count(self->count_arg, status);
    return rc;
}

//  A JSON document (taken) with the status; cookie may be NULL.
static enum MHD_Result
s_json(gn_webapi_t *self, struct MHD_Connection *conn, unsigned status, json_t *doc,
       const char *cookie)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        static const char oops[] = "{\"error\":\"internal error: out of memory\"}";
        return s_send(self, conn, 500, "application/json; charset=utf-8", oops, strlen(oops),
                      MHD_RESPMEM_PERSISTENT, "no-store", NULL, NULL, NULL);
    }
    return s_send(self, conn, status, "application/json; charset=utf-8", text, strlen(text),
                  MHD_RESPMEM_MUST_FREE, "no-store", cookie, NULL, NULL);
}

//  A JSON text as the node wrote it (copied).
static enum MHD_Result
s_json_text(gn_webapi_t *self, struct MHD_Connection *conn, const char *text)
{
    return s_send(self, conn, 200, "application/json; charset=utf-8", text, strlen(text),
                  MHD_RESPMEM_MUST_COPY, "no-store", NULL, NULL, NULL);
}

static enum MHD_Result
s_fail(gn_webapi_t *self, struct MHD_Connection *conn, unsigned status, const char *text)
{
    gn_debug("http: %u %s", status, text);
    return s_json(self, conn, status, json_pack("{s:s}", "error", text), NULL);
}

// ---- sessions ----

static int64_t
s_now(void)
{
    return zclock_time();
}

static int
s_random_hex(char *out, size_t bytes)
{
    uint8_t raw[32];
    if (bytes > sizeof raw || gn_random(raw, bytes) != 0)
        return GN_ECRYPTO;
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    gn_cleanse(raw, sizeof raw);
    return GN_OK;
}

//  The session of id, under lock; NULL if none or expired.
static session_t *
s_session_find(gn_webapi_t *self, const char *id, int64_t now)
{
    size_t len = id ? strlen(id) : 0;
    if (len != 64)
        return NULL;
    for (size_t i = 0; i < SESSIONS_MAX; i++) {
        session_t *s = &self->sessions[i];
        if (s->id[0] && gn_memcmp_ct(s->id, id, 64) == 0) {
            if (s->expires > now)
                return s;
            memset(s, 0, sizeof *s);   // expired: forget it
            return NULL;
        }
    }
    return NULL;
}

//  The request's session, copied into *out. false if it has none.
static bool
s_session(gn_webapi_t *self, struct MHD_Connection *conn, session_t *out)
{
    const char *id = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, COOKIE);
    int64_t now = s_now();
    pthread_mutex_lock(&self->lock);
    session_t *s = s_session_find(self, id, now);
    if (s) {
        s->used = now;
        *out = *s;
    }
    pthread_mutex_unlock(&self->lock);
    return s != NULL;
}

static void
s_session_drop(gn_webapi_t *self, const char *id)
{
    pthread_mutex_lock(&self->lock);
    session_t *s = s_session_find(self, id, s_now());
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&self->lock);
}

static bool
s_alive(void *arg, const char *who)
{
    gn_webapi_t *self = arg;
    pthread_mutex_lock(&self->lock);
    bool alive = s_session_find(self, who, s_now()) != NULL;
    pthread_mutex_unlock(&self->lock);
    return alive;
}

// ---- the node ----

//  One call, as token (NULL: none). 0 with *reply (its code 0), or the HTTP
//  status to answer with and the reason in err.
static unsigned
s_call(gn_webapi_t *self, const char *token, gn_api_request_t *req, gn_api_reply_t **reply,
       char *err, size_t errlen)
{
    *reply = NULL;
    req->token = (char *) (token ? token : "");
    gn_client_t *client = gn_clientpool_take(self->pool);
    if (!client) {
        snprintf(err, errlen, "internal error: no connection to the node");
        return 500;
    }
    int rc = gn_client_call(client, req, reply);
    gn_clientpool_give(self->pool, &client);
    req->token = NULL;
    if (rc != 0) {
        gn_warn("http: the node did not answer: %s", gn_strerror(rc));
        snprintf(err, errlen, "节点未响应 / the node did not answer (%s): try again",
                 gn_strerror(rc));
        return 503;
    }
    int code = (*reply)->code;
    if (code != 0) {
        snprintf(err, errlen, "%s", (*reply)->error && *(*reply)->error ? (*reply)->error
                                                                        : gn_strerror(code));
        gn_codec_free_reply(reply);
        return code == GN_ESESSION ? 401 : code == GN_EPERM ? 403 : code == GN_ENOTFOUND ? 404
             : code == GN_ENOMEM || code == GN_ESTORE || code == GN_EIO ? 500 : 400;
    }
    return 0;
}

//  A call as the session: a 401 from the node ends the front's session too.
static unsigned
s_call_as(gn_webapi_t *self, const session_t *ses, gn_api_request_t *req,
          gn_api_reply_t **reply, char *err, size_t errlen)
{
    unsigned status = s_call(self, ses->token, req, reply, err, errlen);
    if (status == 401)
        s_session_drop(self, ses->id);
    return status;
}

//  Answer the HTTP request with the node's JSON reply to req, as it is.
static enum MHD_Result
s_relay_json(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses,
             gn_api_request_t *req)
{
    char err[256];
    gn_api_reply_t *reply;
    unsigned status = s_call_as(self, ses, req, &reply, err, sizeof err);
    if (status)
        return s_fail(self, conn, status, err);
    enum MHD_Result rc = reply->body_case == GRIDNET__API_REPLY__BODY_JSON
                       ? s_json_text(self, conn, reply->json)
                       : s_fail(self, conn, 500, "internal error: unexpected reply");
    gn_codec_free_reply(&reply);
    return rc;
}

//  A JSON reply's document (caller owns), or NULL with the status.
static json_t *
s_call_json(gn_webapi_t *self, const session_t *ses, gn_api_request_t *req, unsigned *status,
            char *err, size_t errlen)
{
    gn_api_reply_t *reply;
    *status = s_call_as(self, ses, req, &reply, err, errlen);
    if (*status)
        return NULL;
    json_t *doc = reply->body_case == GRIDNET__API_REPLY__BODY_JSON
                ? json_loads(reply->json, 0, NULL) : NULL;
    gn_codec_free_reply(&reply);
    if (!doc) {
        snprintf(err, errlen, "internal error: unexpected reply");
        *status = 500;
    }
    return doc;
}

//  Reference data under prefix (an object key -> value), caller owns.
static json_t *
s_ref(gn_webapi_t *self, const session_t *ses, const char *prefix, unsigned *status, char *err,
      size_t errlen)
{
    Gridnet__RefGetReq get = GRIDNET__REF_GET_REQ__INIT;
    get.prefix = (char *) prefix;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_REF_GET;
    req.ref_get = &get;
    return s_call_json(self, ses, &req, status, err, errlen);
}

// ---- checks of what comes in ----

//  A string of at most max bytes without control characters (newlines and
//  tabs allowed in free text). jansson has checked it is UTF-8.
static bool
s_clean(const char *s, size_t max, bool text)
{
    size_t len = strlen(s);
    if (len > max)
        return false;
    for (const unsigned char *c = (const unsigned char *) s; *c; c++)
        if ((*c < 0x20 && !(text && (*c == '\n' || *c == '\t' || *c == '\r'))) || *c == 0x7F)
            return false;
    return true;
}

//  Member key of doc as a clean string into *out (NULL if absent or null).
//  0, or 400 with the reason.
static unsigned
s_member(const json_t *doc, const char *key, size_t max, bool text, bool required,
         const char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(doc, key);
    *out = NULL;
    if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
        if (required) {
            snprintf(err, errlen, "%s is required", key);
            return 400;
        }
        return 0;
    }
    if (!json_is_string(v) || !s_clean(json_string_value(v), max, text)) {
        snprintf(err, errlen, "%s must be text of at most %zu bytes%s", key, max,
                 text ? "" : " without control characters");
        return 400;
    }
    *out = json_string_value(v);
    return 0;
}

//  The body as a JSON object (caller owns), or NULL with 400 and the reason.
static json_t *
s_body(const wreq_t *r, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = r->body ? json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "the body must be a JSON object%s%s", doc || !r->body ? "" : ": ",
                 doc || !r->body ? "" : jerr.text);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

//  A query parameter, checked: NULL if absent; *bad if not clean UTF-8.
static const char *
s_arg(struct MHD_Connection *conn, const char *key, bool *bad)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
    if (v && (!gn_utf8_valid(v, strlen(v)) || !s_clean(v, GN_FIELD_MAX, false)))
        *bad = true;
    return v && *v ? v : NULL;
}

//  A cross-site POST is refused: the page sends X-Gridnet: 1 (which a form
//  of another site cannot, and a script of another site cannot without a
//  preflight we never answer), and browsers say where a request comes from.
static bool
s_same_site(const gn_webapi_t *self, struct MHD_Connection *conn)
{
    const char *scheme = self->tls ? "https://" : "http://";
    const char *x = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Gridnet");
    const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!x || strcmp(x, "1") != 0)
        return false;
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return false;
    if (origin && strcmp(origin, "null") != 0) {
        size_t n = strlen(scheme);
        if (!host || strncmp(origin, scheme, n) != 0 || strcmp(origin + n, host) != 0)
            return false;
    }
    else if (origin)
        return false;
    return true;
}

// ---- pages ----

static enum MHD_Result
s_page(gn_webapi_t *self, struct MHD_Connection *conn, const char *url)
{
    if (strcmp(url, "/") == 0) {
        const char *to = self->level == 3 ? "/worker" : "/center";
        static const char moved[] = "see the page\n";
        return s_send(self, conn, 302, "text/plain; charset=utf-8", moved, strlen(moved),
                      MHD_RESPMEM_PERSISTENT, "no-cache", NULL, NULL, to);
    }
    const gn_web_asset_t *a = gn_web_asset(strcmp(url, "/favicon.ico") == 0
                                           ? "/static/icon.svg" : url);
    if (!a)
        return s_fail(self, conn, 404, "no such page");
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm && strstr(inm, a->etag))
        return s_send(self, conn, 304, NULL, "", 0, MHD_RESPMEM_PERSISTENT, "no-cache", NULL,
                      a->etag, NULL);
    return s_send(self, conn, 200, a->type, a->data, a->len, MHD_RESPMEM_PERSISTENT, "no-cache",
                  NULL, a->etag, NULL);
}

// ---- /api: sessions ----

//  Staff record fields a page may see (never the password hash).
static void
s_staff_fields(const json_t *staff, session_t *s)
{
    const char *name = json_string_value(json_object_get(staff, "name"));
    const char *grid = json_string_value(json_object_get(staff, "grid"));
    snprintf(s->name, sizeof s->name, "%s", name ? name : s->user);
    snprintf(s->grid, sizeof s->grid, "%s", grid ? grid : "");
}

static json_t *
s_me(const gn_webapi_t *self, const session_t *s)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:I}", "user", s->user, "name", s->name,
                     "role", s->role, "grid", s->grid, "node", (json_int_t) self->node,
                     "level", self->level, "expires", (json_int_t) s->expires);
}

static enum MHD_Result
s_login(gn_webapi_t *self, struct MHD_Connection *conn, const wreq_t *r)
{
    char err[256];
    unsigned status;
    json_t *doc = s_body(r, err, sizeof err);
    if (!doc)
        return s_fail(self, conn, 400, err);
    const char *user, *password;
    if ((status = s_member(doc, "user", LOGIN_FIELD_MAX, false, true, &user, err, sizeof err))
        || (status = s_member(doc, "password", LOGIN_FIELD_MAX, true, true, &password, err,
                              sizeof err))) {
        json_decref(doc);
        return s_fail(self, conn, 400, err);
    }
    int64_t t = s_now();
    pthread_mutex_lock(&self->lock);
    if (t - self->fails_since > 60000) {
        self->fails_since = t;
        self->fails = 0;
    }
    bool throttled = self->fails >= LOGIN_FAILS_MAX;
    pthread_mutex_unlock(&self->lock);
    if (throttled) {
        json_decref(doc);
        return s_fail(self, conn, 429, "登录失败次数过多，请稍后再试 / too many wrong logins: "
                      "wait a minute");
    }
    Gridnet__LoginReq login = GRIDNET__LOGIN_REQ__INIT;
    login.user = (char *) user;
    login.password = (char *) password;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_LOGIN;
    req.login = &login;
    gn_api_reply_t *reply;
    status = s_call(self, NULL, &req, &reply, err, sizeof err);
    session_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.user, sizeof s.user, "%s", user);
    json_decref(doc);
    if (status == 403 || status == 401) {
        pthread_mutex_lock(&self->lock);
        self->fails++;
        pthread_mutex_unlock(&self->lock);
        gn_info("http: a login as '%s' was refused", s.user);
        return s_fail(self, conn, 401, s_wrong_login);
    }
    if (status)
        return s_fail(self, conn, status, err);
    json_t *granted = reply->body_case == GRIDNET__API_REPLY__BODY_JSON
                    ? json_loads(reply->json, 0, NULL) : NULL;
    gn_codec_free_reply(&reply);
    const char *token = json_string_value(json_object_get(granted, "token"));
    const char *role = json_string_value(json_object_get(granted, "role"));
    json_int_t expires = json_integer_value(json_object_get(granted, "expires"));
    if (!token || strlen(token) != 32 || !role) {
        json_decref(granted);
        return s_fail(self, conn, 500, "internal error: unexpected reply to the login");
    }
    snprintf(s.token, sizeof s.token, "%s", token);
    snprintf(s.role, sizeof s.role, "%s", role);
    json_decref(granted);
    int64_t now = s_now();
    s.expires = expires > 0 && expires < now + SESSION_MS ? expires : now + SESSION_MS;
    s.used = now;
    //  Name and grid from the staff record, read as the new session.
    char key[LOGIN_FIELD_MAX + 16];
    snprintf(key, sizeof key, "staff/%s", s.user);
    json_t *staff = s_ref(self, &s, key, &status, err, sizeof err);
    s_staff_fields(json_object_get(staff, key), &s);
    json_decref(staff);
    if (s_random_hex(s.id, 32) != 0)
        return s_fail(self, conn, 500, "internal error: no randomness");
    pthread_mutex_lock(&self->lock);
    session_t *slot = &self->sessions[0];
    for (size_t i = 0; i < SESSIONS_MAX; i++)   // a free or expired one, else the least used
        if (!self->sessions[i].id[0] || self->sessions[i].expires <= now
            || self->sessions[i].used < slot->used) {
            slot = &self->sessions[i];
            if (!slot->id[0] || slot->expires <= now)
                break;
        }
    *slot = s;
    pthread_mutex_unlock(&self->lock);
    gn_info("http: %s (%s) logged in to the pages", s.user, s.role);
    char cookie[160];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=%lld",
             COOKIE, s.id, self->tls ? "; Secure" : "", (long long) ((s.expires - now) / 1000));
    enum MHD_Result rc = s_json(self, conn, 200, s_me(self, &s), cookie);
    gn_cleanse(&s, sizeof s);
    return rc;
}

static enum MHD_Result
s_logout(gn_webapi_t *self, struct MHD_Connection *conn)
{
    session_t ses;
    if (s_session(self, conn, &ses)) {   // the node's session ends with the page's
        Gridnet__LogoutReq logout = GRIDNET__LOGOUT_REQ__INIT;
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_LOGOUT;
        req.logout = &logout;
        gn_api_reply_t *reply;
        char err[256];
        if (s_call(self, ses.token, &req, &reply, err, sizeof err) == 0)
            gn_codec_free_reply(&reply);
        else
            gn_warn("http: %s's session at the node: %s", ses.user, err);
        s_session_drop(self, ses.id);
        gn_cleanse(&ses, sizeof ses);
    }
    return s_json(self, conn, 200, json_pack("{s:b}", "ok", 1),
                  self->tls ? COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0"
                            : COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

// ---- /api: reads ----

static enum MHD_Result
s_summary(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    Gridnet__SummaryReq sum = GRIDNET__SUMMARY_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_SUMMARY;
    req.summary = &sum;
    return s_relay_json(self, conn, ses, &req);
}

static enum MHD_Result
s_meetings(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    char err[256];
    Gridnet__MeetingListReq ml = GRIDNET__MEETING_LIST_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_MEETINGS;
    req.meetings = &ml;
    unsigned status;
    json_t *doc = s_call_json(self, ses, &req, &status, err, sizeof err);
    if (!doc)
        return s_fail(self, conn, status, err);
    json_object_set_new(doc, "time", json_integer((json_int_t) s_now()));
    return s_json(self, conn, 200, doc, NULL);
}

//  Parse a comma list of status names into q (at most 16).
static int
s_statuses(const char *list, Gridnet__CaseQueryReq *q, int *buf)
{
    char copy[GN_FIELD_MAX + 1];
    snprintf(copy, sizeof copy, "%s", list);
    q->statuses = (Gridnet__Status *) buf;
    q->n_statuses = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int v;
        if (q->n_statuses == 16
            || gn_pbjson_enum_parse(&gridnet__status__descriptor, tok, &v) != 0 || v == 0)
            return GN_EINVAL;
        buf[q->n_statuses++] = v;
    }
    return GN_OK;
}

//  A number of milliseconds (or a count) in [0, max]; false if it is not one.
static bool
s_uint(const char *text, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

static enum MHD_Result
s_cases(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    char err[256];
    bool bad = false;
    const char *status_s = s_arg(conn, "status", &bad), *cat = s_arg(conn, "category", &bad);
    const char *mine = s_arg(conn, "mine", &bad), *from = s_arg(conn, "from", &bad);
    const char *to = s_arg(conn, "to", &bad), *limit = s_arg(conn, "limit", &bad);
    if (bad)
        return s_fail(self, conn, 400, "a parameter is not clean UTF-8 text");
    Gridnet__CaseQueryReq q = GRIDNET__CASE_QUERY_REQ__INIT;
    int statuses[16];
    char *cats[1] = { (char *) cat };
    long long v;
    q.limit = CASES_DEFAULT;
    if (status_s && s_statuses(status_s, &q, statuses) != 0)
        return s_fail(self, conn, 400, "status: a comma list of reported, accepted, dispatched, "
                      "handled, verified, archived, evaluated, rejected");
    if (cat) {
        q.categories = cats;
        q.n_categories = 1;
    }
    if (mine && strcmp(mine, "1") == 0)
        q.reporter = (char *) ses->user;
    if (from) {
        if (!s_uint(from, INT64_MAX / 2, &v))
            return s_fail(self, conn, 400, "from: unix milliseconds");
        q.created_from = v;
    }
    if (to) {
        if (!s_uint(to, INT64_MAX / 2, &v))
            return s_fail(self, conn, 400, "to: unix milliseconds");
        q.created_to = v;
    }
    if (limit) {
        if (!s_uint(limit, GN_QUERY_MAX, &v) || v == 0)
            return s_fail(self, conn, 400, "limit: 1 to 1000");
        q.limit = (uint32_t) v;
    }
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_CASE_QUERY;
    req.case_query = &q;
    gn_api_reply_t *reply;
    unsigned status = s_call_as(self, ses, &req, &reply, err, sizeof err);
    if (status)
        return s_fail(self, conn, status, err);
    json_t *list = json_array();
    for (size_t i = 0; list && reply->body_case == GRIDNET__API_REPLY__BODY_LIST
                       && i < reply->list->n_cases; i++)
        if (json_array_append_new(list, gn_query_brief(reply->list->cases[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    gn_codec_free_reply(&reply);
    return s_json(self, conn, 200, list ? json_pack("{s:o, s:I}", "cases", list, "time",
                                                    (json_int_t) s_now()) : NULL, NULL);
}

//  One op of a case's history, as the case page lists it.
static json_t *
s_op(const gn_op_t *op)
{
    char action[32], st[32];
    const gn_case_t *c = op->state;
    return json_pack("{s:i, s:i, s:I, s:s, s:I, s:i, s:s, s:I, s:s, s:s, s:s, s:I}",
                     "version", (int) op->version, "epoch", (int) op->epoch,
                     "time", (json_int_t) op->time,
                     "action", gn_pbjson_enum_name(&gridnet__action__descriptor, (int) op->action,
                                                   action, sizeof action),
                     "node", (json_int_t) op->origin, "level", gn_node_level(op->origin),
                     "actor", op->actor ? op->actor : "", "to", (json_int_t) op->to,
                     "note", op->note ? op->note : "", "evidence", op->evidence ? op->evidence : "",
                     "status", c ? gn_pbjson_enum_name(&gridnet__status__descriptor,
                                                       (int) c->status, st, sizeof st) : "",
                     "owner", (json_int_t) (c ? c->owner : 0));
}

static enum MHD_Result
s_case(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses, const char *id)
{
    char err[256];
    uint64_t origin, n;
    if (!gn_utf8_valid(id, strlen(id)) || gn_case_id_parse(id, &origin, &n) != 0)
        return s_fail(self, conn, 404, "no such case (a case id is <node code>-<n>)");
    Gridnet__ShowReq show = GRIDNET__SHOW_REQ__INIT;
    show.case_id = (char *) id;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_SHOW;
    req.show = &show;
    gn_api_reply_t *reply;
    unsigned status = s_call_as(self, ses, &req, &reply, err, sizeof err);
    if (status)
        return s_fail(self, conn, status, status == 404 ? "no such case here" : err);
    if (reply->body_case != GRIDNET__API_REPLY__BODY_VIEW || !reply->view->state) {
        gn_codec_free_reply(&reply);
        return s_fail(self, conn, 500, "internal error: unexpected reply");
    }
    Gridnet__CaseView *v = reply->view;
    if (v->state->reporter) {   // sealed bytes mean nothing to a page
        v->state->reporter->sealed.len = 0;
    }
    json_t *state = gn_pbjson_from_message(&v->state->base);
    json_t *history = json_array(), *conflicts = json_array();
    bool ok = state && history && conflicts
           && json_object_set_new(state, "due", json_integer(gn_case_due(v->state))) == 0;
    for (size_t i = 0; ok && i < v->n_history; i++)
        ok = json_array_append_new(history, s_op(v->history[i])) == 0;
    for (size_t i = 0; ok && i < v->n_conflicts; i++)
        ok = json_array_append_new(conflicts, s_op(v->conflicts[i])) == 0;
    gn_codec_free_reply(&reply);
    if (!ok) {
        json_decref(state);
        json_decref(history);
        json_decref(conflicts);
        return s_json(self, conn, 500, NULL, NULL);
    }
    return s_json(self, conn, 200, json_pack("{s:o, s:o, s:o}", "case", state, "history",
                                             history, "conflicts", conflicts), NULL);
}

static enum MHD_Result
s_categories(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    char err[256];
    unsigned status;
    json_t *cats = s_ref(self, ses, "category/", &status, err, sizeof err);
    json_t *depts = cats ? s_ref(self, ses, "department/", &status, err, sizeof err) : NULL;
    if (!cats || !depts) {
        json_decref(cats);
        return s_fail(self, conn, status, err);
    }
    json_t *list = json_array();
    const char *key;
    json_t *value;
    json_object_foreach(cats, key, value) {
        const char *dept = json_string_value(json_object_get(value, "department"));
        char dkey[GN_FIELD_MAX + 16];
        snprintf(dkey, sizeof dkey, "department/%s", dept ? dept : "");
        json_t *d = json_object_get(depts, dkey);
        const char *en = json_string_value(json_object_get(value, "name_en"));
        const char *dname = json_string_value(json_object_get(d, "name"));
        if (list && json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}",
                                                          "name", key + strlen("category/"),
                                                          "name_en", en ? en : "",
                                                          "department", dept ? dept : "",
                                                          "department_name",
                                                          dname ? dname : "")) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    json_decref(cats);
    json_t *dlist = json_object();
    json_object_foreach(depts, key, value) {
        const char *name = json_string_value(json_object_get(value, "name"));
        if (dlist)
            json_object_set_new(dlist, key + strlen("department/"),
                                json_string(name ? name : key + strlen("department/")));
    }
    json_decref(depts);
    return s_json(self, conn, 200, list && dlist ? json_pack("{s:o, s:o}", "categories", list,
                                                             "departments", dlist) : NULL, NULL);
}

//  The town or village object of code in parent's list (made if missing).
static json_t *
s_division(json_t *list, uint64_t code, const json_t *divisions, const char *members)
{
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
        if ((uint64_t) json_integer_value(json_object_get(d, "code")) == code)
            return d;
    char key[48], name[24];
    snprintf(key, sizeof key, "division/%012llu", (unsigned long long) code);
    snprintf(name, sizeof name, "%012llu", (unsigned long long) code);
    json_t *ref = json_object_get(divisions, key);
    const char *n = json_string_value(json_object_get(ref, "name"));
    json_t *urban = json_object_get(ref, "urban");
    d = json_pack("{s:I, s:s, s:o}", "code", (json_int_t) code, "name", n ? n : name,
                  members, json_array());
    if (d && json_is_boolean(urban))
        json_object_set(d, "urban", urban);
    if (!d || json_array_append_new(list, d) != 0)
        return NULL;
    return d;
}

static enum MHD_Result
s_divisions(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    char err[256];
    unsigned status;
    json_t *divs = s_ref(self, ses, "division/", &status, err, sizeof err);
    json_t *grids = divs ? s_ref(self, ses, "grid/", &status, err, sizeof err) : NULL;
    if (!divs || !grids) {
        json_decref(divs);
        return s_fail(self, conn, status, err);
    }
    json_t *towns = json_array();
    bool ok = towns != NULL;
    const char *key;
    json_t *value;
    //  Towns and villages of the area from the divisions (with the empty
    //  ones), then the grids into them; a village only the grids name
    //  appears too (reference data without divisions: names are the codes).
    json_object_foreach(divs, key, value) {
        uint64_t code;
        if (!ok || gn_node_parse(key + strlen("division/"), &code) != 0)
            continue;
        int level = gn_node_level(code);
        if (level == 2 && (gn_node_in_subtree(code, self->node)
                           || gn_node_in_subtree(self->node, code)))
            ok = s_division(towns, code, divs, "villages") != NULL;
        else if (level == 3 && gn_node_in_subtree(code, self->node)) {
            json_t *t = s_division(towns, gn_node_parent(code), divs, "villages");
            ok = t && s_division(json_object_get(t, "villages"), code, divs, "grids");
        }
    }
    json_object_foreach(grids, key, value) {
        uint64_t village;
        unsigned serial;
        const char *code = key + strlen("grid/");
        if (!ok || gn_grid_parse(code, &village, &serial) != 0
            || !gn_node_in_subtree(village, self->node))
            continue;
        json_t *t = s_division(towns, gn_node_parent(village), divs, "villages");
        json_t *v = t ? s_division(json_object_get(t, "villages"), village, divs, "grids") : NULL;
        const char *worker = json_string_value(json_object_get(value, "worker"));
        ok = v && json_array_append_new(json_object_get(v, "grids"),
                                        json_pack("{s:s, s:s, s:I}", "code", code,
                                                  "worker", worker ? worker : "",
                                                  "households", json_integer_value(
                                                      json_object_get(value, "households"))))
                  == 0;
    }
    char self_key[48], self_code[24];
    snprintf(self_key, sizeof self_key, "division/%012llu", (unsigned long long) self->node);
    snprintf(self_code, sizeof self_code, "%012llu", (unsigned long long) self->node);
    const char *name = json_string_value(json_object_get(json_object_get(divs, self_key), "name"));
    json_t *doc = ok ? json_pack("{s:I, s:i, s:s, s:O}", "node", (json_int_t) self->node,
                                 "level", self->level, "name", name ? name : self_code,
                                 "towns", towns) : NULL;
    json_decref(towns);
    json_decref(divs);
    json_decref(grids);
    return s_json(self, conn, 200, doc, NULL);
}

//  "YYYY-MM" as YYYYMM, or 0.
static unsigned
s_month(const char *text)
{
    unsigned y, m;
    char end;
    if (!text || strlen(text) != 7 || sscanf(text, "%4u-%2u%c", &y, &m, &end) != 2
        || text[4] != '-' || y < 1970 || m < 1 || m > 12)
        return 0;
    return y * 100 + m;
}

//  The monthly report (analytics, MonthlyReq) for the trends: the node's
//  document as it is.
static enum MHD_Result
s_report_get(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    bool bad = false;
    const char *from = s_arg(conn, "from", &bad), *to = s_arg(conn, "to", &bad);
    const char *by = s_arg(conn, "by", &bad);
    unsigned f = s_month(from), t = to ? s_month(to) : f;
    if (bad || !f || !t || t < f)
        return s_fail(self, conn, 400, "from and to: months YYYY-MM, from not after to");
    if (by && strcmp(by, "category") != 0 && strcmp(by, "department") != 0
        && strcmp(by, "town") != 0 && strcmp(by, "village") != 0 && strcmp(by, "grid") != 0)
        return s_fail(self, conn, 400, "by: category, department, town, village or grid");
    Gridnet__MonthlyReq m = GRIDNET__MONTHLY_REQ__INIT;
    m.from_month = f;
    m.to_month = t;
    m.by = (char *) (by ? by : "category");
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_MONTHLY;
    req.monthly = &m;
    return s_relay_json(self, conn, ses, &req);
}

static enum MHD_Result
s_me_get(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    char err[256], key[48];
    unsigned status;
    snprintf(key, sizeof key, "division/%012llu", (unsigned long long) self->node);
    //  This asks the node, so a session it no longer knows shows here (401).
    json_t *div = s_ref(self, ses, key, &status, err, sizeof err);
    if (!div)
        return s_fail(self, conn, status, err);
    const char *name = json_string_value(json_object_get(json_object_get(div, key), "name"));
    json_t *me = s_me(self, ses);
    if (me)
        json_object_set_new(me, "node_name", json_string(name ? name : key + strlen("division/")));
    json_decref(div);
    return s_json(self, conn, 200, me, NULL);
}

static enum MHD_Result
s_events(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses)
{
    bool full;
    const char *last = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (last && (strlen(last) > 64 || !s_clean(last, 64, false)))
        last = NULL;
    struct MHD_Response *resp = gn_sse_response(self->sse, ses->id, last, &full);
    if (!resp)
        return s_fail(self, conn, 503, full ? "too many live pages open: try again later"
                                            : "the front is stopping");
    enum MHD_Result rc = MHD_YES;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "text/event-stream; charset=utf-8") != MHD_YES
        || MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES
        || MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES
        || MHD_add_response_header(resp, "X-Accel-Buffering", "no") != MHD_YES)
        rc = MHD_NO;
    if (rc == MHD_YES)
        rc = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES && self->count)
        self->count(self->count_arg, 200);
    return rc;
}

// ---- /api: a report ----

//  The idempotency entry of (user, rid), under lock; NULL if none.
static idem_t *
s_idem_find(gn_webapi_t *self, const char *user, const char *rid, int64_t now)
{
    for (size_t i = 0; i < IDEM_MAX; i++) {
        idem_t *e = &self->idem[i];
        if (e->state == IDEM_FREE)
            continue;
        if (e->state != IDEM_PENDING && now - e->created > IDEM_MS) {
            e->state = IDEM_FREE;
            continue;
        }
        if (strcmp(e->user, user) == 0 && strcmp(e->rid, rid) == 0)
            return e;
    }
    return NULL;
}

//  A free entry (the oldest answered one if none is free), under lock.
static idem_t *
s_idem_slot(gn_webapi_t *self)
{
    idem_t *oldest = NULL;
    for (size_t i = 0; i < IDEM_MAX; i++) {
        idem_t *e = &self->idem[i];
        if (e->state == IDEM_FREE)
            return e;
        if (e->state != IDEM_PENDING && (!oldest || e->created < oldest->created))
            oldest = e;
    }
    return oldest;
}

static bool
s_rid_ok(const char *rid)
{
    size_t len = strlen(rid);
    if (len < 8 || len > 64)
        return false;
    for (const char *c = rid; *c; c++)
        if (!isalnum((unsigned char) *c) && *c != '-' && *c != '_')
            return false;
    return true;
}

//  The first TITLE_CHARS characters of the description's first line.
static void
s_title(const char *description, char *out, size_t outlen)
{
    size_t line = strcspn(description, "\r\n"), i = 0, chars = 0;
    while (i < line && chars < TITLE_CHARS) {
        i++;
        while (i < line && ((unsigned char) description[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    if (i >= outlen)
        i = 0;
    memcpy(out, description, i);
    out[i] = 0;
}

//  A case the user reported since `since` with this grid, category and
//  description (a first attempt the node took after all), into id.
static bool
s_already(gn_webapi_t *self, const session_t *ses, int64_t since, const char *grid,
          const char *category, const char *description, char id[GN_CASE_ID_MAX])
{
    char err[256];
    char *cats[1] = { (char *) category };
    Gridnet__CaseQueryReq q = GRIDNET__CASE_QUERY_REQ__INIT;
    q.reporter = (char *) ses->user;
    q.created_from = since;
    q.categories = cats;
    q.n_categories = 1;
    q.limit = 50;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_CASE_QUERY;
    req.case_query = &q;
    gn_api_reply_t *reply;
    if (s_call_as(self, ses, &req, &reply, err, sizeof err) != 0)
        return false;
    bool found = false;
    for (size_t i = 0; !found && reply->body_case == GRIDNET__API_REPLY__BODY_LIST
                       && i < reply->list->n_cases; i++) {
        const gn_case_t *c = reply->list->cases[i];
        if (c->grid && strcmp(c->grid, grid) == 0 && c->description
            && strcmp(c->description, description) == 0) {
            snprintf(id, GN_CASE_ID_MAX, "%s", c->id);
            found = true;
        }
    }
    gn_codec_free_reply(&reply);
    return found;
}

//  The answer to a saved report: the case as the node holds it now.
static enum MHD_Result
s_reported(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses,
           const char *id, bool replayed)
{
    char err[256];
    Gridnet__ShowReq show = GRIDNET__SHOW_REQ__INIT;
    show.case_id = (char *) id;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_SHOW;
    req.show = &show;
    gn_api_reply_t *reply;
    unsigned status = s_call_as(self, ses, &req, &reply, err, sizeof err);
    json_t *doc = json_pack("{s:s, s:b}", "case_id", id, "replayed", replayed ? 1 : 0);
    if (doc && status == 0 && reply->body_case == GRIDNET__API_REPLY__BODY_VIEW
        && reply->view->state) {
        json_t *brief = gn_query_brief(reply->view->state);
        if (brief) {
            json_object_update(doc, brief);
            json_object_set_new(doc, "saved", json_integer(reply->view->state->created));
            json_decref(brief);
        }
    }
    gn_codec_free_reply(&reply);
    return s_json(self, conn, 200, doc, NULL);
}

static enum MHD_Result
s_report(gn_webapi_t *self, struct MHD_Connection *conn, const session_t *ses, const wreq_t *r)
{
    char err[256];
    unsigned status;
    json_t *doc = s_body(r, err, sizeof err);
    if (!doc)
        return s_fail(self, conn, 400, err);
    const char *grid, *category, *title, *description, *severity, *address, *rid;
    if ((status = s_member(doc, "grid", GN_FIELD_MAX, false, true, &grid, err, sizeof err))
        || (status = s_member(doc, "category", GN_FIELD_MAX, false, true, &category, err,
                              sizeof err))
        || (status = s_member(doc, "title", GN_FIELD_MAX, false, false, &title, err, sizeof err))
        || (status = s_member(doc, "description", GN_TEXT_MAX, true, true, &description, err,
                              sizeof err))
        || (status = s_member(doc, "severity", 32, false, false, &severity, err, sizeof err))
        || (status = s_member(doc, "address", GN_FIELD_MAX, false, false, &address, err,
                              sizeof err))
        || (status = s_member(doc, "request_id", 64, false, false, &rid, err, sizeof err))) {
        json_decref(doc);
        return s_fail(self, conn, status, err);
    }
    uint64_t village;
    unsigned serial;
    int sev = GRIDNET__SEVERITY__SEV_GENERAL;
    json_t *lat = json_object_get(doc, "lat"), *lon = json_object_get(doc, "lon");
    bool place = (lat && !json_is_null(lat)) || (lon && !json_is_null(lon));
    const char *why = NULL;
    if (gn_grid_parse(grid, &village, &serial) != 0)
        why = "grid must look like <village code>-001";
    else if (!gn_node_in_subtree(village, self->node))
        why = "this grid is not in this node's area";
    else if (severity && (gn_pbjson_enum_parse(&gridnet__severity__descriptor, severity, &sev) != 0
                          || sev == 0))
        why = "severity: general, major or emergency";
    else if (place && (!json_is_number(lat) || !json_is_number(lon)
                       || fabs(json_number_value(lat)) > 90 || fabs(json_number_value(lon)) > 180
                       || !isfinite(json_number_value(lat)) || !isfinite(json_number_value(lon))))
        why = "lat and lon: decimal degrees (WGS84), both or neither";
    else if (rid && !s_rid_ok(rid))
        why = "request_id: 8 to 64 letters, digits, - or _";
    if (why) {
        json_decref(doc);
        return s_fail(self, conn, 400, why);
    }
    char made[GN_FIELD_MAX + 1];
    if (!title) {
        s_title(description, made, sizeof made);
        title = made[0] ? made : category;
    }
    //  The same request again: answer as the first time.
    uint8_t what[GN_SHA256_LEN];
    char *joined = NULL;
    size_t jlen = 0;
    FILE *mem = open_memstream(&joined, &jlen);
    if (mem) {
        fprintf(mem, "%s%c%s%c%s", grid, 0, category, 0, description);
        fclose(mem);
    }
    if (!joined || gn_sha256(joined, jlen, what) != 0) {
        free(joined);
        json_decref(doc);
        return s_fail(self, conn, 500, "internal error: out of memory");
    }
    free(joined);
    int64_t now = s_now(), first = now;
    idem_t *e = NULL;
    bool unknown = false;
    if (rid) {
        pthread_mutex_lock(&self->lock);
        e = s_idem_find(self, ses->user, rid, now);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += IDEM_WAIT_MS / 1000;
        while (e && e->state == IDEM_PENDING)
            if (pthread_cond_timedwait(&self->idem_done, &self->lock, &until) == ETIMEDOUT)
                break;
        if (e && e->state == IDEM_PENDING) {
            pthread_mutex_unlock(&self->lock);
            json_decref(doc);
            return s_fail(self, conn, 409, "正在保存… / still being saved: try again shortly");
        }
        if (e && e->state == IDEM_DONE && memcmp(e->what, what, sizeof what) == 0) {
            char id[GN_CASE_ID_MAX];
            snprintf(id, sizeof id, "%s", e->case_id);
            pthread_mutex_unlock(&self->lock);
            gn_info("http: report %s by %s again: it is %s", rid, ses->user, id);
            json_decref(doc);   // rid and the other strings point into it
            return s_reported(self, conn, ses, id, true);
        }
        if (e && (e->state == IDEM_DONE || memcmp(e->what, what, sizeof what) != 0)) {
            pthread_mutex_unlock(&self->lock);
            json_decref(doc);
            return s_fail(self, conn, 409, "request_id was used for another report");
        }
        unknown = e && e->state == IDEM_UNKNOWN;
        if (unknown)
            first = e->created;
        if (!e)
            e = s_idem_slot(self);
        if (e) {
            memset(e, 0, sizeof *e);
            e->state = IDEM_PENDING;
            snprintf(e->user, sizeof e->user, "%s", ses->user);
            snprintf(e->rid, sizeof e->rid, "%s", rid);
            memcpy(e->what, what, sizeof what);
            e->created = first;
        }
        pthread_mutex_unlock(&self->lock);
    }
    char id[GN_CASE_ID_MAX] = "";
    bool again = unknown && s_already(self, ses, first - 1000, grid, category, description, id);
    if (!again) {
        Gridnet__Reporter rep = GRIDNET__REPORTER__INIT;
        bool worker = strcmp(ses->role, "grid_worker") == 0;
        rep.kind = worker ? GRIDNET__REPORTER_KIND__RK_GRID_WORKER
                          : GRIDNET__REPORTER_KIND__RK_HOTLINE;
        rep.id = (char *) ses->user;
        rep.name = (char *) ses->name;
        Gridnet__ReportReq rr = GRIDNET__REPORT_REQ__INIT;
        rr.grid = (char *) grid;
        rr.category = (char *) category;
        rr.title = (char *) title;
        rr.description = (char *) description;
        rr.severity = sev;
        rr.channel = worker ? GRIDNET__CHANNEL__CH_TERMINAL : GRIDNET__CHANNEL__CH_WEB;
        rr.reporter = &rep;
        rr.address = (char *) address;
        rr.actor = (char *) ses->user;
        if (place) {
            rr.lat = json_number_value(lat);
            rr.lon = json_number_value(lon);
        }
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_REPORT;
        req.report = &rr;
        gn_api_reply_t *reply;
        status = s_call_as(self, ses, &req, &reply, err, sizeof err);
        if (status == 0 && reply->body_case == GRIDNET__API_REPLY__BODY_CASE_ID)
            snprintf(id, sizeof id, "%s", reply->case_id);
        else if (status == 0) {
            status = 500;
            snprintf(err, sizeof err, "internal error: unexpected reply");
        }
        gn_codec_free_reply(&reply);
    }
    json_decref(doc);
    if (e) {
        pthread_mutex_lock(&self->lock);
        if (status == 0) {
            e->state = IDEM_DONE;
            snprintf(e->case_id, sizeof e->case_id, "%s", id);
        }
        else   // no answer: the node may have it; otherwise it refused it, and may again
            e->state = status == 503 ? IDEM_UNKNOWN : IDEM_FREE;
        pthread_cond_broadcast(&self->idem_done);
        pthread_mutex_unlock(&self->lock);
    }
    if (status)
        return s_fail(self, conn, status, err);
    gn_info("http: case %s reported by %s through the pages%s", id, ses->user,
            again ? " (found after a retry)" : "");
    return s_reported(self, conn, ses, id, again);
}

// ---- routing ----

bool
gn_webapi_owns(const char *url)
{
    return strcmp(url, "/") == 0 || strcmp(url, "/center") == 0 || strcmp(url, "/worker") == 0
        || strcmp(url, "/favicon.ico") == 0 || strncmp(url, "/static/", 8) == 0
        || strcmp(url, "/api") == 0 || strncmp(url, "/api/", 5) == 0;
}

static enum MHD_Result
s_api_get(gn_webapi_t *self, struct MHD_Connection *conn, const char *url, bool head)
{
    session_t ses;
    if (!s_session(self, conn, &ses))
        return s_fail(self, conn, 401, "请先登录 / please log in");
    if (strcmp(url, "/api/me") == 0)
        return s_me_get(self, conn, &ses);
    if (strcmp(url, "/api/summary") == 0)
        return s_summary(self, conn, &ses);
    if (strcmp(url, "/api/cases") == 0)
        return s_cases(self, conn, &ses);
    if (strncmp(url, "/api/cases/", 11) == 0 && url[11] && !strchr(url + 11, '/'))
        return s_case(self, conn, &ses, url + 11);
    if (strcmp(url, "/api/meetings") == 0)
        return s_meetings(self, conn, &ses);
    if (strcmp(url, "/api/ref/categories") == 0)
        return s_categories(self, conn, &ses);
    if (strcmp(url, "/api/divisions") == 0)
        return s_divisions(self, conn, &ses);
    if (strcmp(url, "/api/report") == 0)
        return s_report_get(self, conn, &ses);
    if (strcmp(url, "/api/events") == 0)
        return head ? s_fail(self, conn, 405, "GET the event stream")
                    : s_events(self, conn, &ses);
    return s_fail(self, conn, 404, "no such resource");
}

static enum MHD_Result
s_api_post(gn_webapi_t *self, struct MHD_Connection *conn, const char *url, const wreq_t *r)
{
    if (strcmp(url, "/api/login") == 0)
        return s_login(self, conn, r);
    if (strcmp(url, "/api/logout") == 0)
        return s_logout(self, conn);
    session_t ses;
    if (!s_session(self, conn, &ses))
        return s_fail(self, conn, 401, "请先登录 / please log in");
    return s_report(self, conn, &ses, r);
}

static bool
s_post_route(const char *url)
{
    return strcmp(url, "/api/login") == 0 || strcmp(url, "/api/logout") == 0
        || strcmp(url, "/api/cases") == 0;
}

enum MHD_Result
gn_webapi_access(gn_webapi_t *self, struct MHD_Connection *conn, const char *url,
                 const char *method, const char *upload_data, size_t *upload_data_size,
                 void **state)
{
    wreq_t *r = *state;
    if (!r) {   // the headers are in
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *state = r;
        bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
        bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        r->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        if (!gn_utf8_valid(url, strlen(url)))
            return s_fail(self, conn, 400, "the path is not valid UTF-8");
        bool api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
        if (get || head)
            return api ? s_api_get(self, conn, url, head) : s_page(self, conn, url);
        if (!r->post || !s_post_route(url))
            return s_fail(self, conn, 405, "method not allowed on this resource");
        if (!s_same_site(self, conn))
            return s_fail(self, conn, 403, "cross-site request refused (send X-Gridnet: 1 "
                          "from this site's pages)");
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_TYPE);
        char lower[128] = "";
        for (size_t i = 0; ct && ct[i] && i + 1 < sizeof lower; i++) {
            lower[i] = (char) tolower((unsigned char) ct[i]);
            lower[i + 1] = 0;
        }
        if (strncmp(lower, "application/json", 16) != 0
            || (lower[16] && lower[16] != ';' && lower[16] != ' ')
            || (strchr(lower, '=') && !strstr(lower, "charset=utf-8")))
            return s_fail(self, conn, 415, "the body must be application/json (UTF-8)");
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > self->max_body)
            return s_fail(self, conn, 413, "the body is too large");
        return MHD_YES;
    }
    if (*upload_data_size > 0) {   // the body comes in; an error is answered at its end
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        if (r->status)
            return r->len + size > 4 * self->max_body ? MHD_NO : MHD_YES;
        if (size > self->max_body - r->len) {
            r->status = 413;
            snprintf(r->err, sizeof r->err, "the body is larger than %zu bytes", self->max_body);
            free(r->body);
            r->body = NULL;
            return MHD_YES;
        }
        char *grown = realloc(r->body, r->len + size + 1);
        if (!grown)
            return MHD_NO;
        memcpy(grown + r->len, upload_data, size);
        r->len += size;
        grown[r->len] = 0;
        r->body = grown;
        return MHD_YES;
    }
    if (r->status)
        return s_fail(self, conn, r->status, r->err);
    return s_api_post(self, conn, url, r);
}

void
gn_webapi_completed(void **state)
{
    wreq_t *r = *state;
    if (!r)
        return;
    if (r->body)
        gn_cleanse(r->body, r->len);   // it may hold a password
    free(r->body);
    free(r);
    *state = NULL;
}

// ---- life ----

gn_webapi_t *
gn_webapi_new(const gn_webapi_opts_t *opts, char *err, size_t errlen)
{
    gn_webapi_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) {
        free(self);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int crc = pthread_cond_init(&self->idem_done, &attr);
    pthread_condattr_destroy(&attr);
    if (crc != 0 || pthread_mutex_init(&self->lock, NULL) != 0) {
        if (crc == 0)
            pthread_cond_destroy(&self->idem_done);
        free(self);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->node = opts->node;
    self->level = gn_node_level(opts->node);
    self->tls = opts->tls;
    self->pool = opts->pool;
    self->max_body = opts->max_body;
    self->count = opts->count;
    self->count_arg = opts->count_arg;
    if (!(self->sse = gn_sse_new(opts->pub, SSE_MAX, s_alive, self, err, errlen))) {
        gn_webapi_destroy(&self);
        return NULL;
    }
    return self;
}

void
gn_webapi_stop(gn_webapi_t *self)
{
    if (self)
        gn_sse_stop(self->sse);
}

void
gn_webapi_destroy(gn_webapi_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_webapi_t *self = *self_p;
    gn_sse_destroy(&self->sse);
    gn_cleanse(self->sessions, sizeof self->sessions);
    pthread_cond_destroy(&self->idem_done);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
