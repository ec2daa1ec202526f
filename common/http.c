/*  http.c -- the HTTP front (see http.h): libmicrohttpd, routing, bodies,
    api keys, and the calls to the node. The pages and their JSON API
    (webapi.c) are routed from here.

    Threads: libmicrohttpd runs one thread per connection (at most
    CONNECTIONS_MAX), which calls s_access. Handlers block on a node call at
    most CALL_MS. One thread per connection, rather than a small pool of
    event loops, because the pages' live stream (server-sent events, sse.c)
    is a response that lasts as long as the page is open: its thread sleeps
    on a condition variable until a change comes, and a pool thread doing
    so would stall every other connection it serves. The streams are
    bounded (SSE_MAX, webapi.c) below CONNECTIONS_MAX, so Open311 always has
    connections left. What handlers share sits behind mutexes: the idle API
    clients (gn_clientpool: a DEALER may be used by one thread at a time),
    the api keys, and the discovery changeset. Request counters are atomics.
    The node's own thread is never touched: it sees only API requests.

    A request's life: the first call of s_access checks the route, the
    method and, for a POST, Content-Type and Content-Length (415 and 413
    before any byte of the body is read); the next calls feed the body to a
    form parser (MHD's post processor) or a JSON buffer, counting bytes
    against max_body; the last call answers. An error found while the body
    streams in is answered once the body is in (MHD takes no response in
    between), the rest of the body dropped as it comes.  */
#include "http.h"
#include "client.h"
#include "crypto.h"
#include "err.h"
#include "ids.h"
#include "keys.h"
#include "log.h"
#include "open311.h"
#include "pbjson.h"
#include "webapi.h"

#include <czmq.h>
#include <libxml/parser.h>
#include <microhttpd.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLIENTS_KEPT 8          // idle API clients kept for the next request
#define CALL_MS 5000            // a node call's deadline
#define CONNECTIONS_MAX 64      // open connections (and their threads) at most
#define CONNECTION_IDLE_S 30    // an idle connection is closed after this
#define HEADERS_MAX (32u << 10) // bytes of a connection's request line and headers
#define KEYS_FILE_MAX (64u << 10)   // bytes of the api-key file
#define TLS_FILE_MAX (64u << 10)    // bytes of the TLS certificate chain, or of its key
#define KEY_MIN 16              // characters of an api key, at least
#define KEY_MAX 128             //                          at most
#define DISCARD_MAX (4u << 20)  // bytes of a refused body read and dropped, at most
#define BASE "/open311/v2/"

typedef struct {
    uint8_t hash[GN_SHA256_LEN];    // SHA-256 of the key
    int channel;                // Gridnet__Channel its cases get
    char name[64];              // who it stands for (logs only)
} apikey_t;

//  The statuses counted for /metrics; anything else counts as "other".
static const int s_codes[] = { 200, 302, 304, 400, 401, 403, 404, 405, 409, 413, 415, 429,
                               500, 503 };
#define NCODES (sizeof s_codes / sizeof s_codes[0])

struct _gn_http_t {
    struct MHD_Daemon *daemon;  // the server
    uint64_t node;              // this node (jurisdiction_id)
    size_t max_body;            // bytes of a body at most
    char url[128];              // the bound address: http(s)://host:port
    char *tls_cert;             // PEM certificate chain, NULL for plain HTTP
    char *tls_key;              // its private key (cleansed at the end)
    char api[256];              // the node's API endpoint
    char token[64];             // the front's token
    char contact[256];          // discovery's contact text
    char keys_path[512];        // the api-key file
    gn_clientpool_t *pool;      // API clients (open311 and the pages)
    gn_webapi_t *web;           // the pages and their JSON API
    pthread_mutex_t lock;       // guards everything below it
    apikey_t *keys;             // the keys read last
    size_t nkeys;               // entries in keys
    struct stat keys_st;        // the file as last seen (dev, ino, size, mode, mtime)
    bool keys_read;             // the file was looked at
    bool keys_exist;            // it existed then
    uint8_t ref_hash[GN_SHA256_LEN];    // digest of the services last served
    char changeset[32];         // when they last changed (w3c), "" before the first
    atomic_uint_fast64_t served[NCODES + 1];  // responses by status; last: other
};

typedef enum { R_NONE, R_DISCOVERY, R_SERVICES, R_SERVICE, R_REQUESTS, R_REQUEST, R_TOKEN,
               R_METRICS, R_WEB } route_t;

//  One request in progress (MHD's con_cls).
typedef struct {
    route_t route;              // what it asks for
    gn_o311_format_t fmt;       // the format of its answer
    char arg[GN_FIELD_MAX + 1]; // the resource's name in the path (code, id, token)
    bool post;                  // a POST (else GET or HEAD)
    bool json_body;             // the body is JSON (else a form)
    struct MHD_PostProcessor *pp;   // form parser, POST with a form body
    gn_params_t params;         // query string, then form fields
    char *body;                 // JSON body, NUL-terminated
    size_t body_len;            // bytes of the body seen
    unsigned status;            // an error met while reading the body (0: none)
    size_t discarded;           // bytes of body dropped after that error
    char err[256];              // its reason
    void *web;                  // R_WEB: the pages' own request state (webapi.c)
} req_t;

// ---- responses ----

static void
s_count(gn_http_t *self, unsigned status)
{
    size_t i = 0;
    while (i < NCODES && (unsigned) s_codes[i] != status)
        i++;
    atomic_fetch_add(&self->served[i], 1);
}

//  Queue body (malloc'd; taken) with status and content type.
static enum MHD_Result
s_respond(gn_http_t *self, struct MHD_Connection *conn, req_t *r, unsigned status,
          const char *type, char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    enum MHD_Result rc = MHD_YES;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES
        || MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES
        || (status == 405 && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                                     r->route == R_REQUESTS ? "GET, HEAD, POST"
                                                                            : "GET, HEAD")
                             != MHD_YES))
        rc = MHD_NO;
    if (rc == MHD_YES)
        rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES)
        s_count(self, status);
    return rc;
}

static const char *
s_type(gn_o311_format_t fmt)
{
    return fmt == GN_O311_JSON ? "application/json; charset=utf-8" : "text/xml; charset=utf-8";
}

//  A document (taken) in the request's format.
static enum MHD_Result
s_doc(gn_http_t *self, struct MHD_Connection *conn, req_t *r, unsigned status, json_t *doc,
      const char *root)
{
    char *body = NULL;
    size_t len = 0;
    int rc = doc ? gn_open311_render(doc, root, r->fmt, &body, &len) : GN_ENOMEM;
    json_decref(doc);
    if (rc != 0) {
        gn_error("http: cannot render %s: %s", root, gn_strerror(rc));
        static const char oops[] = "internal error: the response could not be written\n";
        char *text = strdup(oops);
        return text ? s_respond(self, conn, r, 500, "text/plain; charset=utf-8", text,
                                strlen(text)) : MHD_NO;
    }
    return s_respond(self, conn, r, status, s_type(r->fmt), body, len);
}

//  The spec's error body.
static enum MHD_Result
s_error(gn_http_t *self, struct MHD_Connection *conn, req_t *r, unsigned status,
        const char *text)
{
    gn_debug("http: %u %s", status, text);
    if (r->route == R_METRICS) {
        size_t size = strlen(text) + 16;
        char *body = malloc(size);
        if (!body)
            return MHD_NO;
        snprintf(body, size, "%u %s\n", status, text);
        return s_respond(self, conn, r, status, "text/plain; charset=utf-8", body, strlen(body));
    }
    return s_doc(self, conn, r, status, gn_open311_error((int) status, text), "errors");
}

// ---- the node ----

//  One API call. 0 with *reply (the caller's; its code is 0), or the HTTP
//  status to answer with and the reason in err.
static unsigned
s_call(gn_http_t *self, gn_api_request_t *req, gn_api_reply_t **reply, char *err,
       size_t errlen)
{
    *reply = NULL;
    req->token = self->token;
    gn_client_t *client = gn_clientpool_take(self->pool);
    if (!client) {
        snprintf(err, errlen, "internal error: no connection to the node");
        return 500;
    }
    int rc = gn_client_call(client, req, reply);
    gn_clientpool_give(self->pool, &client);
    if (rc != 0) {
        gn_warn("http: the node did not answer: %s", gn_strerror(rc));
        snprintf(err, errlen, "the case system did not answer (%s): try again later",
                 gn_strerror(rc));
        return 400;   // the spec's "general service error"
    }
    if ((*reply)->code != 0) {
        unsigned status = (*reply)->code == GN_ENOTFOUND ? 404
                        : (*reply)->code == GN_ENOMEM || (*reply)->code == GN_ESTORE ? 500 : 400;
        snprintf(err, errlen, "%s", (*reply)->error && *(*reply)->error ? (*reply)->error
                                                                        : gn_strerror((*reply)->code));
        gn_codec_free_reply(reply);
        return status;
    }
    return 0;
}

//  The reference data a document needs: category/ and department/ keys in
//  one object (the caller's). 0, or an HTTP status with the reason.
static unsigned
s_ref(gn_http_t *self, json_t **ref, char *err, size_t errlen)
{
    static const char *prefixes[] = { "category/", "department/" };
    *ref = json_object();
    if (!*ref) {
        snprintf(err, errlen, "internal error: out of memory");
        return 500;
    }
    for (size_t i = 0; i < 2; i++) {
        Gridnet__RefGetReq get = GRIDNET__REF_GET_REQ__INIT;
        get.prefix = (char *) prefixes[i];
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_REF_GET;
        req.ref_get = &get;
        gn_api_reply_t *reply;
        unsigned status = s_call(self, &req, &reply, err, errlen);
        if (status == 0 && reply->body_case != GRIDNET__API_REPLY__BODY_JSON) {
            snprintf(err, errlen, "internal error: unexpected reply");
            status = 500;
        }
        json_t *part = status == 0 ? json_loads(reply->json, 0, NULL) : NULL;
        gn_codec_free_reply(&reply);
        if (status == 0 && (!part || json_object_update(*ref, part) != 0)) {
            snprintf(err, errlen, "internal error: unreadable reference data");
            status = 500;
        }
        json_decref(part);
        if (status != 0) {
            json_decref(*ref);
            *ref = NULL;
            return status;
        }
    }
    return 0;
}

//  Discovery's changeset: when the services last changed, as this front saw.
static void
s_changeset(gn_http_t *self, const json_t *ref, char out[32])
{
    uint8_t hash[GN_SHA256_LEN] = { 0 };
    char *text = json_dumps(ref, JSON_COMPACT | JSON_SORT_KEYS);
    if (text)
        (void) gn_sha256(text, strlen(text), hash);
    free(text);
    pthread_mutex_lock(&self->lock);
    if (!self->changeset[0] || memcmp(hash, self->ref_hash, sizeof hash) != 0) {
        memcpy(self->ref_hash, hash, sizeof hash);
        gn_open311_time_format(zclock_time(), self->changeset);
    }
    memcpy(out, self->changeset, 32);
    pthread_mutex_unlock(&self->lock);
}

// ---- api keys ----

//  Read the key file into a new array. 0, or an error (logged).
static int
s_keys_load(const char *path, apikey_t **keys, size_t *nkeys, struct stat *st)
{
    *keys = NULL;
    *nkeys = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        gn_warn("http: cannot open the api-key file %s: %s: every POST gets 403", path,
                strerror(errno));
        return GN_ENOTFOUND;
    }
    int rc = GN_OK;
    char *text = NULL;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size > (off_t) KEYS_FILE_MAX) {
        gn_error("http: %s is not a regular file of at most %u bytes", path, KEYS_FILE_MAX);
        rc = GN_EINVAL;
        goto done;
    }
    if ((st->st_mode & 077) != 0) {
        gn_error("http: %s is accessible by group or others (mode %04o); refusing api keys "
                 "others can read: run chmod 600 %s", path, (unsigned) (st->st_mode & 07777),
                 path);
        rc = GN_EPERM;
        goto done;
    }
    text = malloc((size_t) st->st_size + 1);
    ssize_t got = text ? read(fd, text, (size_t) st->st_size) : -1;
    if (got != (ssize_t) st->st_size) {
        gn_error("http: cannot read %s", path);
        rc = GN_EIO;
        goto done;
    }
    text[got] = 0;
    size_t lineno = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *key = line + strspn(line, " \t\r");
        if (!*key || *key == '#')
            continue;
        size_t klen = strcspn(key, " \t\r");
        char *channel = key + klen + strspn(key + klen, " \t\r");
        size_t clen = strcspn(channel, " \t\r");
        char *name = channel + clen + strspn(channel + clen, " \t\r");
        char chan[32];
        int ch = 0;
        bool printable = true;
        for (size_t i = 0; i < klen; i++)
            printable = printable && key[i] > 0x20 && key[i] < 0x7F;
        snprintf(chan, sizeof chan, "%.*s", (int) (clen < 31 ? clen : 31), channel);
        if (klen < KEY_MIN || klen > KEY_MAX || !printable || clen == 0 || clen > 31
            || gn_pbjson_enum_parse(&gridnet__channel__descriptor, chan, &ch) != 0 || ch == 0) {
            gn_error("http: %s line %zu: expected KEY CHANNEL NAME with a key of %d to %d "
                     "printable characters and a channel such as wechat, app or web", path,
                     lineno, KEY_MIN, KEY_MAX);
            rc = GN_EINVAL;
            goto done;
        }
        apikey_t *grown = realloc(*keys, (*nkeys + 1) * sizeof *grown);
        if (!grown) {
            rc = GN_ENOMEM;
            goto done;
        }
        *keys = grown;
        apikey_t *k = &grown[(*nkeys)++];
        memset(k, 0, sizeof *k);
        if ((rc = gn_sha256(key, klen, k->hash)) != 0)
            goto done;
        k->channel = ch;
        size_t nlen = strcspn(name, "\r");
        snprintf(k->name, sizeof k->name, "%.*s", (int) (nlen < 63 ? nlen : 63), name);
    }
done:
    if (text)
        gn_cleanse(text, (size_t) st->st_size);
    free(text);
    close(fd);
    if (rc != 0) {
        free(*keys);
        *keys = NULL;
        *nkeys = 0;
    }
    return rc;
}

//  Read the key file again if it changed (or was never read). Under lock.
static void
s_keys_refresh(gn_http_t *self)
{
    struct stat st;
    bool exists = stat(self->keys_path, &st) == 0;
    bool changed = !self->keys_read || exists != self->keys_exist
                || (exists && (st.st_ino != self->keys_st.st_ino
                               || st.st_dev != self->keys_st.st_dev
                               || st.st_size != self->keys_st.st_size
                               || st.st_mode != self->keys_st.st_mode
                               || st.st_mtim.tv_sec != self->keys_st.st_mtim.tv_sec
                               || st.st_mtim.tv_nsec != self->keys_st.st_mtim.tv_nsec));
    if (!changed)
        return;
    free(self->keys);
    self->keys = NULL;
    self->nkeys = 0;
    self->keys_read = true;     // this version of the file, good or bad, is seen
    self->keys_exist = exists;
    self->keys_st = st;
    apikey_t *keys;
    size_t nkeys;
    struct stat loaded;
    if (s_keys_load(self->keys_path, &keys, &nkeys, &loaded) == 0) {
        self->keys = keys;
        self->nkeys = nkeys;
        gn_info("http: %zu api key(s) from %s", nkeys, self->keys_path);
    }
}

//  The key's channel (and its name into who), or 0 if it is no key of ours.
static int
s_key_check(gn_http_t *self, const char *key, char who[64])
{
    uint8_t hash[GN_SHA256_LEN];
    bool hashed = key && gn_sha256(key, strlen(key), hash) == 0;
    int channel = 0;
    pthread_mutex_lock(&self->lock);
    s_keys_refresh(self);
    for (size_t i = 0; hashed && i < self->nkeys; i++)
        if (gn_memcmp_ct(hash, self->keys[i].hash, sizeof hash) == 0 && !channel) {
            channel = self->keys[i].channel;
            snprintf(who, 64, "%s", self->keys[i].name);
        }
    pthread_mutex_unlock(&self->lock);
    return channel;
}

// ---- routing ----

//  "name.xml" / "name.json": the format, and name into arg. false otherwise.
static bool
s_format(const char *last, req_t *r)
{
    const char *dot = strrchr(last, '.');
    if (!dot)
        return false;
    if (strcmp(dot, ".json") == 0)
        r->fmt = GN_O311_JSON;
    else if (strcmp(dot, ".xml") == 0)
        r->fmt = GN_O311_XML;
    else
        return false;
    size_t len = (size_t) (dot - last);
    if (len >= sizeof r->arg)
        return false;
    memcpy(r->arg, last, len);
    r->arg[len] = 0;
    return true;
}

static void
s_route(const char *url, req_t *r)
{
    r->route = R_NONE;
    const char *dot = strrchr(url, '.');
    r->fmt = dot && strcmp(dot, ".json") == 0 ? GN_O311_JSON : GN_O311_XML;
    if (strcmp(url, "/metrics") == 0) {
        r->route = R_METRICS;
        return;
    }
    if (strncmp(url, "/open311/discovery.", 19) == 0) {
        if (s_format(url + 9, r) && strcmp(r->arg, "discovery") == 0)
            r->route = R_DISCOVERY;
        return;
    }
    if (strncmp(url, BASE, strlen(BASE)) != 0)
        return;
    const char *rest = url + strlen(BASE);
    static const struct {
        const char *prefix;     // "services" for services.FMT, "services/" for services/X.FMT
        route_t route;
    } table[] = {
        { "services/", R_SERVICE }, { "requests/", R_REQUEST }, { "tokens/", R_TOKEN },
        { "services", R_SERVICES }, { "requests", R_REQUESTS },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        size_t n = strlen(table[i].prefix);
        if (strncmp(rest, table[i].prefix, n) != 0)
            continue;
        bool item = table[i].prefix[n - 1] == '/';
        if (item && (strchr(rest + n, '/') || !s_format(rest + n, r) || !r->arg[0]
                     || !gn_utf8_valid(r->arg, strlen(r->arg))))
            return;
        if (!item && (!s_format(rest, r) || strcmp(r->arg, table[i].prefix) != 0))
            return;
        r->route = table[i].route;
        return;
    }
}

// ---- request bodies ----

static enum MHD_Result
s_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen, const char *value,
      size_t vlen)
{
    return gn_params_add(cls, key ? key : "", value ? value : "", value ? vlen : 0) == 0
         ? MHD_YES : MHD_NO;
}

static enum MHD_Result
s_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
        const char *content_type, const char *transfer_encoding, const char *data,
        uint64_t off, size_t size)
{
    req_t *r = cls;
    int rc = off == 0 ? gn_params_add(&r->params, key ? key : "", data ? data : "", size)
                      : gn_params_append(&r->params, data ? data : "", size);
    return rc == 0 ? MHD_YES : MHD_NO;
}

//  The JSON body's members as parameters: strings as they are, numbers as
//  text, attribute as attribute[code] (a list: attribute[code][] each).
static unsigned
s_json_params(req_t *r)
{
    json_error_t jerr;
    json_t *doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        snprintf(r->err, sizeof r->err, "the body is not a JSON object%s%s",
                 doc ? "" : ": ", doc ? "" : jerr.text);
        json_decref(doc);
        return 400;
    }
    unsigned status = 0;
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value) {
        char *text = NULL;
        if (json_is_string(value))
            text = strdup(json_string_value(value));
        else if (json_is_number(value))
            text = json_dumps(value, JSON_ENCODE_ANY);
        else if (json_is_null(value))
            continue;
        else if (strcmp(key, "attribute") == 0 && json_is_object(value)) {
            const char *code;
            json_t *v;
            json_object_foreach(value, code, v) {
                char name[GN_FIELD_MAX + 16];
                snprintf(name, sizeof name, "attribute[%s]", code);
                if (json_is_string(v) && strlen(code) < GN_FIELD_MAX) {
                    if (gn_params_add(&r->params, name, json_string_value(v),
                                      strlen(json_string_value(v))) != 0)
                        status = 500;
                }
                else if (!status) {
                    snprintf(r->err, sizeof r->err, "attribute values must be strings");
                    status = 400;
                }
            }
            continue;
        }
        else {
            snprintf(r->err, sizeof r->err, "%.60s must be a string or a number", key);
            status = 400;
            break;
        }
        if (!text || gn_params_add(&r->params, key, text, strlen(text)) != 0)
            status = 500;
        free(text);
    }
    json_decref(doc);
    if (status == 500)
        snprintf(r->err, sizeof r->err, "internal error: out of memory");
    return status;
}

//  The media type of a Content-Type, lowercased, and whether its charset
//  (if any) is utf-8.
static void
s_media_type(const char *ct, char *type, size_t typelen, bool *utf8)
{
    size_t i = 0;
    for (; ct[i] && ct[i] != ';' && i + 1 < typelen; i++)
        type[i] = (char) tolower((unsigned char) ct[i]);
    while (i > 0 && isspace((unsigned char) type[i - 1]))
        i--;
    type[i] = 0;
    *utf8 = true;
    char lower[256];
    size_t n = 0;
    for (; ct[n] && n + 1 < sizeof lower; n++)
        lower[n] = (char) tolower((unsigned char) ct[n]);
    lower[n] = 0;
    const char *cs = strstr(lower, "charset=");
    if (cs) {
        cs += 8;
        if (*cs == '"')
            cs++;
        *utf8 = strncasecmp(cs, "utf-8", 5) == 0 && !isalnum((unsigned char) cs[5]);
    }
}

//  The first call of a POST: its headers. 0 to go on, or an error status.
static unsigned
s_post_start(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_TYPE);
    char type[64];
    bool utf8;
    s_media_type(ct ? ct : "", type, sizeof type, &utf8);
    if (strcmp(type, "application/x-www-form-urlencoded") != 0
        && strcmp(type, "application/json") != 0) {
        snprintf(r->err, sizeof r->err, "the body must be application/x-www-form-urlencoded "
                 "(or application/json), not %.60s", ct && *ct ? ct : "missing");
        return 415;
    }
    if (!utf8) {
        snprintf(r->err, sizeof r->err, "the body must be UTF-8 (charset=utf-8)");
        return 415;
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > self->max_body) {
        snprintf(r->err, sizeof r->err, "the body is larger than %zu bytes", self->max_body);
        return 413;
    }
    r->json_body = strcmp(type, "application/json") == 0;
    if (!r->json_body && !(r->pp = MHD_create_post_processor(conn, 1024, s_field, r))) {
        snprintf(r->err, sizeof r->err, "the form body cannot be read");
        return 400;
    }
    return 0;
}

//  A piece of the body. 0, or an error status.
static unsigned
s_post_data(gn_http_t *self, req_t *r, const char *data, size_t size)
{
    if (size > self->max_body - r->body_len) {
        snprintf(r->err, sizeof r->err, "the body is larger than %zu bytes", self->max_body);
        return 413;
    }
    if (r->json_body) {
        char *grown = realloc(r->body, r->body_len + size + 1);
        if (!grown) {
            snprintf(r->err, sizeof r->err, "internal error: out of memory");
            return 500;
        }
        memcpy(grown + r->body_len, data, size);
        grown[r->body_len + size] = 0;
        r->body = grown;
    }
    else if (MHD_post_process(r->pp, data, size) != MHD_YES) {
        snprintf(r->err, sizeof r->err, "the form body cannot be read");
        return 400;
    }
    r->body_len += size;
    return 0;
}

//  The body is all in: its fields as parameters. 0, or an error status.
static unsigned
s_post_end(req_t *r)
{
    if (r->json_body)
        return s_json_params(r);
    enum MHD_Result done = MHD_destroy_post_processor(r->pp);   // delivers the last field
    r->pp = NULL;
    if (done != MHD_YES) {
        snprintf(r->err, sizeof r->err, "the form body cannot be read");
        return 400;
    }
    return 0;
}

// ---- resources ----

static enum MHD_Result
s_discovery(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    char err[256], changeset[32], url[400];
    json_t *ref;
    unsigned status = s_ref(self, &ref, err, sizeof err);
    if (status)
        return s_error(self, conn, r, status, err);
    s_changeset(self, ref, changeset);
    json_decref(ref);
    //  The Host the client used, if it looks like one; else the bound address.
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    bool good = host && *host && strlen(host) < 256;
    for (const char *c = host; good && *c; c++)
        good = isalnum((unsigned char) *c) || strchr(".-:[]", *c);
    if (good)
        snprintf(url, sizeof url, "http://%s/open311/v2", host);
    else
        snprintf(url, sizeof url, "%s/open311/v2", self->url);
    return s_doc(self, conn, r, 200, gn_open311_discovery(url, changeset, self->contact),
                 "discovery");
}

static enum MHD_Result
s_services(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    char err[256];
    json_t *ref;
    unsigned status = s_ref(self, &ref, err, sizeof err);
    if (status)
        return s_error(self, conn, r, status, err);
    json_t *doc;
    if (r->route == R_SERVICES)
        doc = gn_open311_services(ref);
    else {
        bool found;
        doc = gn_open311_definition(ref, r->arg, &found);
        if (!found) {
            json_decref(ref);
            return s_error(self, conn, r, 404, "service_code not found (see services.json)");
        }
    }
    json_decref(ref);
    return s_doc(self, conn, r, 200, doc, r->route == R_SERVICES ? "services"
                                                                 : "service_definition");
}

//  The case's view (state and history), or NULL with the status in *status.
static Gridnet__CaseView *
s_show(gn_http_t *self, const char *id, gn_api_reply_t **reply, unsigned *status, char *err,
       size_t errlen)
{
    Gridnet__ShowReq show = GRIDNET__SHOW_REQ__INIT;
    show.case_id = (char *) id;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_SHOW;
    req.show = &show;
    *status = s_call(self, &req, reply, err, errlen);
    if (*status == 0 && ((*reply)->body_case != GRIDNET__API_REPLY__BODY_VIEW
                         || !(*reply)->view->state)) {
        gn_codec_free_reply(reply);
        snprintf(err, errlen, "internal error: unexpected reply");
        *status = 500;
    }
    return *status == 0 ? (*reply)->view : NULL;
}

static enum MHD_Result
s_create(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    char err[256], who[64] = "";
    const char *key = gn_params_get(&r->params, "api_key", NULL);
    int channel = s_key_check(self, key, who);
    if (!channel)
        return s_error(self, conn, r, 403, key ? "invalid api_key: can't proceed with "
                       "create_request" : "api_key was not provided: can't proceed with "
                       "create_request");
    unsigned status;
    if ((status = (unsigned) gn_params_check(&r->params, err, sizeof err)) != 0
        || (status = (unsigned) gn_open311_jurisdiction(&r->params, self->node, err,
                                                        sizeof err)) != 0)
        return s_error(self, conn, r, status, err);
    json_t *ref;
    if ((status = s_ref(self, &ref, err, sizeof err)) != 0)
        return s_error(self, conn, r, status, err);
    gn_open311_report_t rep;
    status = (unsigned) gn_open311_report(&r->params, ref, self->node, channel, &rep, err,
                                          sizeof err);
    json_decref(ref);
    if (status)
        return s_error(self, conn, r, status, err);
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_REPORT;
    req.report = &rep.req;
    gn_api_reply_t *reply;
    if ((status = s_call(self, &req, &reply, err, sizeof err)) != 0)
        return s_error(self, conn, r, status == 404 ? 400 : status, err);
    if (reply->body_case != GRIDNET__API_REPLY__BODY_CASE_ID) {
        gn_codec_free_reply(&reply);
        return s_error(self, conn, r, 500, "internal error: unexpected reply");
    }
    char id[GN_FIELD_MAX + 1];
    snprintf(id, sizeof id, "%s", reply->case_id);
    gn_codec_free_reply(&reply);
    gn_info("http: case %s reported through the front (key of %s)", id, who);
    //  Read it back for the notice (its deadline, or that it went up).
    gn_api_reply_t *shown = NULL;
    Gridnet__CaseView *view = s_show(self, id, &shown, &status, err, sizeof err);
    json_t *doc = gn_open311_created(id, view ? view->state : NULL,
                                     gn_params_get(&r->params, "account_id", NULL));
    gn_codec_free_reply(&shown);
    return s_doc(self, conn, r, 200, doc, "service_requests");
}

static enum MHD_Result
s_requests(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    char err[256];
    unsigned status;
    bool none = false;
    Gridnet__CaseQueryReq q;
    gridnet__case_query_req__init(&q);
    if ((status = (unsigned) gn_params_check(&r->params, err, sizeof err)) != 0
        || (status = (unsigned) gn_open311_jurisdiction(&r->params, self->node, err,
                                                        sizeof err)) != 0
        || (status = (unsigned) gn_open311_query(&r->params, zclock_time(), &q, &none, err,
                                                 sizeof err)) != 0) {
        gn_open311_query_free(&q);
        return s_error(self, conn, r, status == (unsigned) GN_ENOMEM ? 500 : status,
                       status == (unsigned) GN_ENOMEM ? "internal error: out of memory" : err);
    }
    bool ext = gn_open311_extensions(&r->params);
    gn_api_reply_t *reply = NULL;
    json_t *ref = NULL, *list = json_array();
    if (!none) {
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_CASE_QUERY;
        req.case_query = &q;
        status = s_call(self, &req, &reply, err, sizeof err);
        if (status == 0 && reply->body_case != GRIDNET__API_REPLY__BODY_LIST) {
            snprintf(err, sizeof err, "internal error: unexpected reply");
            status = 500;
        }
    }
    gn_open311_query_free(&q);
    if (status == 0)
        status = s_ref(self, &ref, err, sizeof err);
    for (size_t i = 0; status == 0 && reply && i < reply->list->n_cases; i++) {
        const gn_case_t *c = reply->list->cases[i];
        gn_api_reply_t *shown = NULL;
        Gridnet__CaseView *view = NULL;
        if (ext && !(view = s_show(self, c->id, &shown, &status, err, sizeof err)))
            break;
        json_t *one = gn_open311_request(view ? view->state : c, ref, view, ext);
        gn_codec_free_reply(&shown);
        if (json_array_append_new(list, one) != 0) {
            snprintf(err, sizeof err, "internal error: out of memory");
            status = 500;
        }
    }
    gn_codec_free_reply(&reply);
    json_decref(ref);
    if (status) {
        json_decref(list);
        return s_error(self, conn, r, status, err);
    }
    return s_doc(self, conn, r, 200, list, "service_requests");
}

static enum MHD_Result
s_request(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    char err[256];
    unsigned status;
    if ((status = (unsigned) gn_params_check(&r->params, err, sizeof err)) != 0
        || (status = (unsigned) gn_open311_jurisdiction(&r->params, self->node, err,
                                                        sizeof err)) != 0)
        return s_error(self, conn, r, status, err);
    uint64_t origin, n;
    if (gn_case_id_parse(r->arg, &origin, &n) != 0)
        return s_error(self, conn, r, 404, "service_request_id not found");
    gn_api_reply_t *shown = NULL;
    Gridnet__CaseView *view = s_show(self, r->arg, &shown, &status, err, sizeof err);
    if (!view)
        return s_error(self, conn, r, status, status == 404 ? "service_request_id not found"
                                                            : err);
    json_t *ref = NULL;
    if ((status = s_ref(self, &ref, err, sizeof err)) != 0) {
        gn_codec_free_reply(&shown);
        return s_error(self, conn, r, status, err);
    }
    json_t *list = json_array();
    if (json_array_append_new(list, gn_open311_request(view->state, ref, view,
                                                       gn_open311_extensions(&r->params))) != 0) {
        json_decref(list);
        list = NULL;
    }
    gn_codec_free_reply(&shown);
    json_decref(ref);
    return s_doc(self, conn, r, 200, list, "service_requests");
}

static enum MHD_Result
s_metrics(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    char err[256];
    Gridnet__MetricsReq m = GRIDNET__METRICS_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_METRICS;
    req.metrics = &m;
    gn_api_reply_t *reply;
    unsigned status = s_call(self, &req, &reply, err, sizeof err);
    if (status == 0 && reply->body_case != GRIDNET__API_REPLY__BODY_METRICS) {
        gn_codec_free_reply(&reply);
        status = 500;
        snprintf(err, sizeof err, "internal error: unexpected reply");
    }
    if (status)
        return s_error(self, conn, r, status == 400 ? 503 : status, err);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (out) {
        fputs(reply->metrics, out);
        fputs("# HELP gridnet_http_responses_total HTTP responses of the front since the start, "
              "by status.\n# TYPE gridnet_http_responses_total counter\n", out);
        for (size_t i = 0; i <= NCODES; i++) {
            char code[16];
            snprintf(code, sizeof code, i < NCODES ? "%d" : "other", i < NCODES ? s_codes[i] : 0);
            fprintf(out, "gridnet_http_responses_total{code=\"%s\"} %llu\n", code,
                    (unsigned long long) atomic_load(&self->served[i]));
        }
    }
    gn_codec_free_reply(&reply);
    if (!out || fclose(out) != 0) {
        free(buf);
        return s_error(self, conn, r, 500, "internal error: out of memory");
    }
    return s_respond(self, conn, r, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}

// ---- libmicrohttpd callbacks ----

static enum MHD_Result
s_answer(gn_http_t *self, struct MHD_Connection *conn, req_t *r)
{
    switch (r->route) {
    case R_DISCOVERY:
        return s_discovery(self, conn, r);
    case R_SERVICES:
    case R_SERVICE:
        return s_services(self, conn, r);
    case R_REQUESTS:
        return r->post ? s_create(self, conn, r) : s_requests(self, conn, r);
    case R_REQUEST:
        return s_request(self, conn, r);
    case R_TOKEN:
        return s_error(self, conn, r, 404, "token not found: requests here are realtime, "
                       "the POST answers with the service_request_id");
    case R_METRICS:
        return s_metrics(self, conn, r);
    default:
        return s_error(self, conn, r, 404, "no such resource (see /open311/discovery.xml)");
    }
}

static enum MHD_Result
s_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
         const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    gn_http_t *self = cls;
    req_t *r = *con_cls;
    if (r && r->route == R_WEB)
        return gn_webapi_access(self->web, conn, url, method, upload_data, upload_data_size,
                                &r->web);
    if (!r) {   //  the headers are in: route, method, body headers
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        if (gn_webapi_owns(url)) {
            r->route = R_WEB;
            return gn_webapi_access(self->web, conn, url, method, upload_data,
                                    upload_data_size, &r->web);
        }
        s_route(url, r);
        bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0
                || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        r->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        if (r->route == R_NONE)
            return s_error(self, conn, r, 404, "no such resource (see /open311/discovery.xml)");
        if (!get && !(r->post && r->route == R_REQUESTS))
            return s_error(self, conn, r, 405, "method not allowed on this resource");
        if (!gn_utf8_valid(url, strlen(url)))
            return s_error(self, conn, r, 400, "the path is not valid UTF-8");
        if (MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, s_arg, &r->params) < 0) {
            snprintf(r->err, sizeof r->err, "internal error: out of memory");
            return s_error(self, conn, r, 500, r->err);
        }
        unsigned status = r->post ? s_post_start(self, conn, r) : 0;
        if (status)
            return s_error(self, conn, r, status, r->err);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        //  MHD takes a response only before the body or after all of it: an
        //  error met on the way is answered at the end, the rest of the body
        //  read and dropped, up to DISCARD_MAX bytes (then the connection is
        //  closed without an answer).
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        if (r->status) {
            r->discarded += size;
            return r->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        r->status = r->post ? s_post_data(self, r, upload_data, size) : 0;
        return MHD_YES;
    }
    if (!r->status && r->post)
        r->status = s_post_end(r);
    if (r->status)
        return s_error(self, conn, r, r->status, r->err);
    return s_answer(self, conn, r);
}

static void
s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
            enum MHD_RequestTerminationCode toe)
{
    req_t *r = *con_cls;
    if (!r)
        return;
    gn_webapi_completed(&r->web);
    if (r->pp)
        (void) MHD_destroy_post_processor(r->pp);
    gn_params_free(&r->params);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    gn_info("http: %s", line);
}

// ---- life ----

static void
s_count_hook(void *arg, unsigned status)
{
    s_count(arg, status);
}

//  "host:port" into an address. 0, or GN_ECONFIG with the reason.
static int
s_address(const char *bind, struct sockaddr_storage *addr, socklen_t *len, bool *v6,
          char *err, size_t errlen)
{
    char host[256], port[16];
    const char *colon = strrchr(bind, ':');
    if (!colon || (size_t) (colon - bind) >= sizeof host || strlen(colon + 1) >= sizeof port
        || colon == bind) {
        snprintf(err, errlen, "http/bind '%.60s' is not host:port (e.g. 127.0.0.1:8080)", bind);
        return GN_ECONFIG;
    }
    memcpy(host, bind, (size_t) (colon - bind));
    host[colon - bind] = 0;
    snprintf(port, sizeof port, "%s", strcmp(colon + 1, "*") == 0 ? "0" : colon + 1);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host) - 2);
        host[strlen(host) - 2] = 0;
    }
    if (strcmp(host, "*") == 0)
        snprintf(host, sizeof host, "0.0.0.0");
    struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                              .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || !ai || ai->ai_addrlen > sizeof *addr) {
        snprintf(err, errlen, "http/bind '%.60s': %s (a numeric address and port)", bind,
                 rc ? gai_strerror(rc) : "no address");
        if (ai)
            freeaddrinfo(ai);
        return GN_ECONFIG;
    }
    memcpy(addr, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    return GN_OK;
}

//  The certificate and key for HTTPS, read once at start (a bad one stops
//  the node there, not at a client's first request).
static int
s_tls_load(gn_http_t *self, const gn_http_opts_t *opts, char *err, size_t errlen)
{
    bool cert = opts->tls_cert && *opts->tls_cert, key = opts->tls_key && *opts->tls_key;
    if (!cert && !key)
        return GN_OK;
    if (!cert || !key) {
        snprintf(err, errlen, "http/tls_cert and http/tls_key go together: set both or neither");
        return GN_EINVAL;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "this libmicrohttpd was built without TLS: cannot serve HTTPS");
        return GN_EINVAL;
    }
    size_t len;
    int rc;
    if (!(self->tls_cert = malloc(TLS_FILE_MAX)) || !(self->tls_key = malloc(TLS_FILE_MAX))) {
        snprintf(err, errlen, "out of memory");
        return GN_ENOMEM;
    }
    if ((rc = gn_keys_read_file(opts->tls_cert, false, self->tls_cert, TLS_FILE_MAX, &len)) != 0
        || !strstr(self->tls_cert, "-----BEGIN CERTIFICATE-----")) {
        snprintf(err, errlen, "http/tls_cert %s: %s", opts->tls_cert,
                 rc ? gn_strerror(rc) : "no PEM certificate in it");
        return rc ? rc : GN_EINVAL;
    }
    if ((rc = gn_keys_read_file(opts->tls_key, true, self->tls_key, TLS_FILE_MAX, &len)) != 0
        || !strstr(self->tls_key, "PRIVATE KEY-----")) {
        snprintf(err, errlen, "http/tls_key %s: %s", opts->tls_key,
                 rc == GN_EPERM ? "group or others may read it (chmod 600)"
                 : rc ? gn_strerror(rc) : "no PEM private key in it");
        return rc ? rc : GN_EINVAL;
    }
    return GN_OK;
}

gn_http_t *
gn_http_new(const gn_http_opts_t *opts, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t addrlen;
    bool v6;
    if (s_address(opts->bind, &addr, &addrlen, &v6, err, errlen) != 0)
        return NULL;
    gn_http_t *self = calloc(1, sizeof *self);
    if (!self || pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->node = opts->node;
    self->max_body = opts->max_body;
    if (s_tls_load(self, opts, err, errlen) != 0) {
        gn_http_destroy(&self);
        return NULL;
    }
    if (!(self->pool = gn_clientpool_new(opts->api, CALL_MS, CLIENTS_KEPT))) {
        snprintf(err, errlen, "out of memory");
        gn_http_destroy(&self);
        return NULL;
    }
    snprintf(self->api, sizeof self->api, "%s", opts->api);
    snprintf(self->token, sizeof self->token, "%s", opts->token ? opts->token : "");
    snprintf(self->keys_path, sizeof self->keys_path, "%s", opts->keys);
    if (opts->contact && *opts->contact)
        snprintf(self->contact, sizeof self->contact, "%s", opts->contact);
    else
        snprintf(self->contact, sizeof self->contact, "the operators of gridnet node %012llu",
                 (unsigned long long) opts->node);
    for (size_t i = 0; i <= NCODES; i++)
        atomic_init(&self->served[i], 0);
    //  Libraries with global state set up here, on one thread, first.
    xmlInitParser();
    json_object_seed(0);
    pthread_mutex_lock(&self->lock);
    s_keys_refresh(self);       // read the key file now: its problems show at start
    pthread_mutex_unlock(&self->lock);

    //  MHD's threads must not take the signals meant for the node's loop.
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    //  The pages' live events have a thread of their own (sse.c): started
    //  here, with the signals blocked like MHD's.
    gn_webapi_opts_t wopts = { .node = opts->node, .pool = self->pool, .pub = opts->pub,
                               .max_body = opts->max_body, .count = s_count_hook,
                               .count_arg = self, .tls = self->tls_cert != NULL };
    if (!(self->web = gn_webapi_new(&wopts, err, errlen))) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        gn_http_destroy(&self);
        return NULL;
    }
    struct MHD_OptionItem tls[] = {
        { MHD_OPTION_HTTPS_MEM_CERT, 0, self->tls_cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, self->tls_key },
        { MHD_OPTION_END, 0, NULL },
    };
    self->daemon = MHD_start_daemon(
        MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION
            | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) | (self->tls_cert ? MHD_USE_TLS : 0),
        0, NULL, NULL, s_access, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) CONNECTIONS_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) CONNECTION_IDLE_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HEADERS_MAX,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_STRICT_FOR_CLIENT, (int) 1,
        MHD_OPTION_ARRAY, self->tls_cert ? tls : &tls[2],
        MHD_OPTION_END);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!self->daemon) {
        bool bind_failed = saved == EADDRINUSE || saved == EADDRNOTAVAIL || saved == EACCES;
        snprintf(err, errlen, "cannot serve HTTP%s on %s: %s", self->tls_cert ? "S" : "",
                 opts->bind, self->tls_cert && !bind_failed
                 ? "TLS did not start (does the key fit the certificate? see the lines above)"
                 : saved ? strerror(saved) : "libmicrohttpd refused to start");
        gn_http_destroy(&self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
    if (getnameinfo((struct sockaddr *) &addr, addrlen, host + (v6 ? 1 : 0),
                    sizeof host - 2, NULL, 0, NI_NUMERICHOST) == 0) {
        if (v6) {
            host[0] = '[';
            strcat(host, "]");
        }
        if (strcmp(host, "0.0.0.0") == 0)
            snprintf(host, sizeof host, "127.0.0.1");
        else if (strcmp(host, "[::]") == 0)
            snprintf(host, sizeof host, "[::1]");
    }
    snprintf(self->url, sizeof self->url, "%s://%s:%u", self->tls_cert ? "https" : "http", host,
             info ? (unsigned) info->port : 0);
    gn_info("http: serving Open311 GeoReport v2 at %s/open311/v2, %s/metrics and the pages at "
            "%s/", self->url, self->url, self->url);
    return self;
}

void
gn_http_destroy(gn_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_http_t *self = *self_p;
    gn_webapi_stop(self->web);          // live streams end, so their threads can be joined
    if (self->daemon)
        MHD_stop_daemon(self->daemon);   // joins its threads
    gn_webapi_destroy(&self->web);
    gn_clientpool_destroy(&self->pool);
    free(self->keys);
    free(self->tls_cert);
    if (self->tls_key)
        gn_cleanse(self->tls_key, TLS_FILE_MAX);
    free(self->tls_key);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

const char *
gn_http_url(const gn_http_t *self)
{
    return self->url;
}
