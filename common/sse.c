/*  sse.c -- the node's change stream as server-sent events (see sse.h).

    The ring and the streams' positions sit behind one mutex; the actor
    appends and broadcasts the condition variable, each stream's reader
    (on its HTTP connection's thread) waits on it with a deadline, the next
    keep-alive. Nothing here touches the store or calls the node.  */
#include "sse.h"
#include "codec.h"
#include "crypto.h"
#include "log.h"
#include "pbjson.h"

#include <czmq.h>
#include <jansson.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SSE_RING 512            // events kept for streams that lag or reconnect
#define SSE_KEEPALIVE_MS 15000  // a comment at least this often: proxies and the page see life
#define SSE_FILL_MAX (64u << 10)    // bytes handed to one stream per wake-up at most
#define SSE_TITLE_MAX 120       // bytes of a title in an event (cut at a character)
#define SSE_RETRY_MS 3000       // the browser's reconnect delay

struct _gn_sse_t {
    char pub[256];              // the node's change stream
    zactor_t *actor;            // the subscriber thread
    gn_sse_alive_fn *alive;     // asked at keep-alives
    void *alive_arg;
    size_t max_streams;         // streams at most
    char run[16];               // this run's id, hex
    pthread_mutex_t lock;       // guards everything below
    pthread_cond_t changed;     // an event came, or stopping
    char *ring[SSE_RING];       // event records by seq % SSE_RING
    uint64_t head;              // seq of the next event (events are 1..head-1)
    size_t streams;             // open streams
    bool stopping;              // gn_sse_stop was called
};

typedef struct {
    gn_sse_t *hub;
    uint64_t next;              // seq of the next event to send
    bool greet;                 // the opening lines are still to be sent
    bool reset;                 // send "reset" before the next events
    char who[96];               // the session, for alive()
    char *out;                  // bytes being sent, or NULL
    size_t olen, ooff;          // their length, how many went out
} stream_t;

// ---- events ----

//  Bytes of s that fit in max without cutting a UTF-8 character.
static size_t
s_utf8_cut(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

char *
gn_sse_event_json(const void *bytes, size_t len, bool conflict)
{
    int err;
    gn_op_t *op = gn_codec_unpack_op(bytes, len, &err);
    if (!op)
        return NULL;
    char *text = NULL;
    const gn_case_t *c = op->state;
    if (op->case_id && *op->case_id && c) {
        char action[32], status[32], title[SSE_TITLE_MAX + 1];
        const char *t = c->title ? c->title : "";
        size_t tl = s_utf8_cut(t, SSE_TITLE_MAX);
        memcpy(title, t, tl);
        title[tl] = 0;
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:I, s:i, s:I, s:s, s:I, s:i, s:s, s:s, s:s, s:b, s:b}",
            "case", op->case_id,
            "action", gn_pbjson_enum_name(&gridnet__action__descriptor, (int) op->action,
                                          action, sizeof action),
            "status", gn_pbjson_enum_name(&gridnet__status__descriptor, (int) c->status,
                                          status, sizeof status),
            "owner", (json_int_t) c->owner, "level", (int) c->level,
            "node", (json_int_t) op->origin, "actor", op->actor ? op->actor : "",
            "time", (json_int_t) op->time, "version", (int) op->version,
            "category", c->category ? c->category : "", "title", title,
            "grid", c->grid ? c->grid : "", "overdue", c->overdue ? 1 : 0,
            "conflict", conflict ? 1 : 0);
        text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
    }
    gn_codec_free_op(&op);
    return text;
}

//  Append an event to the ring (under lock) and wake the streams.
static void
s_publish(gn_sse_t *self, const char *json)
{
    pthread_mutex_lock(&self->lock);
    uint64_t seq = self->head;
    size_t size = strlen(json) + 64;
    char *rec = malloc(size);
    if (rec) {
        snprintf(rec, size, "id: %s-%llu\nevent: change\ndata: %s\n\n", self->run,
                 (unsigned long long) seq, json);
        free(self->ring[seq % SSE_RING]);
        self->ring[seq % SSE_RING] = rec;
        self->head++;
        pthread_cond_broadcast(&self->changed);
    }
    pthread_mutex_unlock(&self->lock);
}

//  The subscriber: [topic][packed op] from the node's PUB socket.
static void
s_actor(zsock_t *pipe, void *arg)
{
    gn_sse_t *self = arg;
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (sub) {
        zsock_set_rcvhwm(sub, 100000);     // a burst of ops (a snapshot) is not dropped
        zsock_set_subscribe(sub, "op");
        zsock_set_subscribe(sub, "conflict");
        zsock_set_linger(sub, 0);
        if (zsock_connect(sub, "%s", self->pub) != 0)
            zsock_destroy(&sub);
    }
    if (!sub)
        gn_error("http: cannot subscribe to the change stream at %s: the pages get no live "
                 "events", self->pub);
    //  Whatever happened, the actor answers $TERM (zactor_destroy waits for it).
    zpoller_t *poller = zpoller_new(pipe, NULL);
    if (!poller || (sub && zpoller_add(poller, sub) != 0)) {
        zsock_signal(pipe, 0);
        char *cmd;
        while ((cmd = zstr_recv(pipe)) && strcmp(cmd, "$TERM") != 0)
            zstr_free(&cmd);
        zstr_free(&cmd);
        zpoller_destroy(&poller);
        zsock_destroy(&sub);
        return;
    }
    zpoller_set_nonstop(poller, true);     // the node's SIGTERM is not ours: wait for $TERM
    zsock_signal(pipe, 0);
    while (true) {
        void *which = zpoller_wait(poller, 1000);
        if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            bool term = !cmd || strcmp(cmd, "$TERM") == 0;
            zstr_free(&cmd);
            if (term)
                break;
        }
        else if (sub && which == sub) {
            zmsg_t *msg = zmsg_recv(sub);
            zframe_t *topic = msg ? zmsg_first(msg) : NULL;
            zframe_t *body = msg ? zmsg_next(msg) : NULL;
            if (topic && body) {
                bool conflict = zframe_streq(topic, "conflict");
                char *json = gn_sse_event_json(zframe_data(body), zframe_size(body), conflict);
                if (json)
                    s_publish(self, json);
                free(json);
            }
            zmsg_destroy(&msg);
        }
    }
    zpoller_destroy(&poller);
    zsock_destroy(&sub);
}

// ---- streams ----

//  Append text to the stream's out buffer. 0 or -1 (memory).
static int
s_out(stream_t *st, const char *text, size_t len)
{
    char *grown = realloc(st->out, st->olen + len + 1);
    if (!grown)
        return -1;
    memcpy(grown + st->olen, text, len);
    st->olen += len;
    grown[st->olen] = 0;
    st->out = grown;
    return 0;
}

static void
s_deadline(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

//  Wait for something to send and put it in st->out. 0, 1 to end the
//  stream (stopping, or its session ended), -1 when memory ran out.
static int
s_fill(stream_t *st)
{
    gn_sse_t *h = st->hub;
    struct timespec deadline;
    s_deadline(&deadline, SSE_KEEPALIVE_MS);
    pthread_mutex_lock(&h->lock);
    while (!h->stopping && !st->greet && !st->reset && st->next >= h->head)
        if (pthread_cond_timedwait(&h->changed, &h->lock, &deadline) == ETIMEDOUT)
            break;
    if (h->stopping) {
        pthread_mutex_unlock(&h->lock);
        return 1;
    }
    int rc = 0;
    char line[64];
    if (st->greet) {
        snprintf(line, sizeof line, "retry: %d\n: gridnet live events\n\n", SSE_RETRY_MS);
        rc = s_out(st, line, strlen(line));
        st->greet = false;
    }
    if (h->head - st->next > SSE_RING) {   // fell behind the ring: start again from its oldest
        st->next = h->head - SSE_RING;
        st->reset = true;
    }
    if (rc == 0 && st->reset) {
        static const char reset[] = "event: reset\ndata: {}\n\n";
        rc = s_out(st, reset, strlen(reset));
        st->reset = false;
    }
    while (rc == 0 && st->next < h->head && st->olen < SSE_FILL_MAX) {
        const char *rec = h->ring[st->next % SSE_RING];
        rc = rec ? s_out(st, rec, strlen(rec)) : 0;
        st->next++;
    }
    pthread_mutex_unlock(&h->lock);
    if (rc == 0 && st->olen == 0) {   // nothing came: a keep-alive, if the session lives
        if (h->alive && !h->alive(h->alive_arg, st->who))
            return 1;
        static const char ka[] = ": keep-alive\n\n";
        rc = s_out(st, ka, strlen(ka));
    }
    return rc;
}

static ssize_t
s_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_t *st = cls;
    if (st->ooff >= st->olen) {
        free(st->out);
        st->out = NULL;
        st->olen = st->ooff = 0;
        int rc = s_fill(st);
        if (rc > 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (rc < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = st->olen - st->ooff;
    if (n > max)
        n = max;
    memcpy(buf, st->out + st->ooff, n);
    st->ooff += n;
    return (ssize_t) n;
}

static void
s_free(void *cls)
{
    stream_t *st = cls;
    gn_sse_t *h = st->hub;
    pthread_mutex_lock(&h->lock);
    h->streams--;
    pthread_mutex_unlock(&h->lock);
    free(st->out);
    free(st);
}

struct MHD_Response *
gn_sse_response(gn_sse_t *self, const char *who, const char *last_id, bool *full)
{
    *full = false;
    stream_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->hub = self;
    st->greet = true;
    snprintf(st->who, sizeof st->who, "%s", who ? who : "");
    pthread_mutex_lock(&self->lock);
    if (self->stopping || self->streams >= self->max_streams) {
        *full = !self->stopping;
        pthread_mutex_unlock(&self->lock);
        free(st);
        return NULL;
    }
    st->next = self->head;
    if (last_id && *last_id) {   // "<run>-<seq>": resume after it if it is ours and kept
        size_t rl = strlen(self->run);
        char *end = NULL;
        unsigned long long seq = 0;
        bool ours = strncmp(last_id, self->run, rl) == 0 && last_id[rl] == '-';
        if (ours) {
            errno = 0;
            seq = strtoull(last_id + rl + 1, &end, 10);
            ours = errno == 0 && end && !*end && seq < self->head;
        }
        if (ours && self->head - (seq + 1) <= SSE_RING)
            st->next = seq + 1;
        else
            st->reset = true;   // missed events the ring no longer has: reload
    }
    self->streams++;
    pthread_mutex_unlock(&self->lock);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_read,
                                                                  st, s_free);
    if (!resp) {
        s_free(st);
        return NULL;
    }
    return resp;
}

size_t
gn_sse_streams(gn_sse_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->streams;
    pthread_mutex_unlock(&self->lock);
    return n;
}

// ---- life ----

gn_sse_t *
gn_sse_new(const char *pub, size_t max_streams, gn_sse_alive_fn *alive, void *arg, char *err,
           size_t errlen)
{
    if (!pub || !*pub) {
        snprintf(err, errlen, "the pages need the node's change stream (no pub endpoint)");
        return NULL;
    }
    gn_sse_t *self = calloc(1, sizeof *self);
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
    int crc = pthread_cond_init(&self->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (crc != 0 || pthread_mutex_init(&self->lock, NULL) != 0) {
        if (crc == 0)
            pthread_cond_destroy(&self->changed);
        free(self);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(self->pub, sizeof self->pub, "%s", pub);
    self->max_streams = max_streams;
    self->alive = alive;
    self->alive_arg = arg;
    self->head = 1;
    uint8_t raw[4];
    if (gn_random(raw, sizeof raw) != 0)
        memset(raw, 0, sizeof raw);
    snprintf(self->run, sizeof self->run, "%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3]);
    self->actor = zactor_new(s_actor, self);
    if (!self->actor) {
        snprintf(err, errlen, "cannot start the live events' thread");
        gn_sse_destroy(&self);
        return NULL;
    }
    return self;
}

void
gn_sse_stop(gn_sse_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
}

void
gn_sse_destroy(gn_sse_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_sse_t *self = *self_p;
    zactor_destroy(&self->actor);
    for (size_t i = 0; i < SSE_RING; i++)
        free(self->ring[i]);
    pthread_cond_destroy(&self->changed);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
