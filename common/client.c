/*  client.c -- one DEALER to a node's API ROUTER, one request at a time.

    Wire: the request is one frame (a packed ApiRequest), sent without an empty
    delimiter; the node's ROUTER answers with one frame (a packed ApiReply)
    carrying the request's id. A reply whose id is not the one we wait for is
    a late answer to an earlier call that timed out, and is dropped.

    A signal other than czmq's interrupt does not cut a call short; once
    zsys_interrupted is set (czmq's SIGINT/SIGTERM handler) the call ends
    with GN_ENET.

    ZMQ_IMMEDIATE keeps a request from queueing on a connection that does not
    exist yet: the send waits at most until the deadline and then fails, so an
    unreachable node costs one timeout and leaves nothing behind to be
    delivered later. ZMQ_LINGER 0 lets destroy return at once.  */
#include "client.h"
#include "err.h"

#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define ENDPOINTS_FILE_MAX 4096     // bytes: an endpoints file is a few short lines

struct _gn_client_t {
    zsock_t *sock;          // DEALER connected to the node's API endpoint
    int timeout_ms;         // deadline of each call, ms after it starts
    uint64_t last_id;       // id of the last request sent; ids start at 1
};

gn_client_t *
gn_client_new(const char *endpoint, int timeout_ms)
{
    if (!endpoint || !*endpoint || timeout_ms <= 0)
        return NULL;
    gn_client_t *self = (gn_client_t *) zmalloc(sizeof(gn_client_t));
    if (!self)
        return NULL;
    self->timeout_ms = timeout_ms;
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->sock)
        goto fail;
    zsock_set_linger(self->sock, 0);
    zsock_set_immediate(self->sock, 1);
    //  A node may not answer with more than a reply's worth of bytes
    zsock_set_maxmsgsize(self->sock, (int) GN_REPLY_MAX);
    if (zsock_connect(self->sock, "%s", endpoint) != 0)
        goto fail;
    return self;
fail:
    gn_client_destroy(&self);
    return NULL;
}

void
gn_client_destroy(gn_client_t **self_p)
{
    assert(self_p);
    gn_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->sock);
    free(self);
    *self_p = NULL;
}

//  Milliseconds left until deadline, 0 once it has passed.
static int
s_remaining(int64_t deadline)
{
    int64_t left = deadline - zclock_mono();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int) left;
}

//  Translate the errno of a failed send or receive.
static int
s_net_error(int err)
{
    return err == EAGAIN ? GN_ETIMEOUT : GN_ENET;
}

//  Receive one whole message as a single frame before the deadline. Returns
//  0 with *frame_p owned by the caller, GN_EMALFORMED for a multi-frame
//  message (consumed and dropped), or GN_ETIMEOUT / GN_ENET.
static int
s_recv_frame(gn_client_t *self, int64_t deadline, zframe_t **frame_p)
{
    int rc;
    zframe_t *frame = NULL;
    while (true) {
        int left = s_remaining(deadline);
        if (left == 0) {
            rc = GN_ETIMEOUT;
            goto done;
        }
        zsock_set_rcvtimeo(self->sock, left);
        frame = zframe_recv(self->sock);
        if (frame)
            break;
        if (errno != EINTR || zsys_interrupted) {
            rc = s_net_error(errno);
            goto done;
        }
    }
    if (!zframe_more(frame)) {
        *frame_p = frame;
        return GN_OK;
    }
    //  Drain the rest of a message that is not ours to read
    rc = GN_EMALFORMED;
    while (zframe_more(frame)) {
        zframe_destroy(&frame);
        zsock_set_rcvtimeo(self->sock, 0);
        frame = zframe_recv(self->sock);
        if (!frame)
            break;
    }
done:
    zframe_destroy(&frame);
    return rc;
}

int
gn_client_call(gn_client_t *self, gn_api_request_t *req, gn_api_reply_t **reply)
{
    assert(self);
    assert(req);
    assert(reply);
    *reply = NULL;
    int64_t deadline = zclock_mono() + self->timeout_ms;
    uint8_t *buf = NULL;
    size_t len = 0;
    zframe_t *frame = NULL;

    req->id = ++self->last_id;
    int rc = gn_codec_pack(&req->base, GN_API_MAX, &buf, &len);
    if (rc != 0)
        goto done;
    frame = zframe_new(buf, len);
    if (!frame) {
        rc = GN_ENOMEM;
        goto done;
    }
    while (true) {
        int left = s_remaining(deadline);
        if (left == 0) {
            rc = GN_ETIMEOUT;
            goto done;
        }
        //  With ZMQ_IMMEDIATE this waits for a live connection, not a queue
        zsock_set_sndtimeo(self->sock, left);
        if (zframe_send(&frame, self->sock, 0) == 0)
            break;
        if (errno != EINTR || zsys_interrupted) {
            rc = s_net_error(errno);
            goto done;
        }
    }
    while (true) {
        zframe_t *in = NULL;
        rc = s_recv_frame(self, deadline, &in);
        if (rc != 0)
            goto done;
        int err = 0;
        gn_api_reply_t *r = gn_codec_unpack_reply(zframe_data(in), zframe_size(in), &err);
        zframe_destroy(&in);
        if (!r) {
            rc = GN_EMALFORMED;
            goto done;
        }
        if (r->id == req->id) {
            *reply = r;
            rc = GN_OK;
            goto done;
        }
        //  A late reply to an earlier call that timed out
        gn_codec_free_reply(&r);
    }
done:
    zframe_destroy(&frame);
    free(buf);
    return rc;
}

int
gn_endpoints_read(const char *dir, const char *key, char *out, size_t outlen)
{
    assert(out && outlen > 0);
    if (!dir || !*dir || !key || !*key || strchr(key, '/'))
        return GN_EINVAL;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/endpoints", dir);
    if (n < 0 || (size_t) n >= sizeof path)
        return GN_EINVAL;

    //  Read the file ourselves: zconfig_load leaks when the text is bad
    int rc;
    char *text = NULL;
    zconfig_t *root = NULL;
    FILE *file = fopen(path, "r");
    if (!file)
        return errno == ENOENT || errno == ENOTDIR ? GN_ENOTFOUND : GN_EIO;
    struct stat st;
    if (fstat(fileno(file), &st) != 0) {
        rc = GN_EIO;
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > ENDPOINTS_FILE_MAX) {
        rc = GN_ECONFIG;
        goto done;
    }
    text = malloc(ENDPOINTS_FILE_MAX + 1);
    if (!text) {
        rc = GN_ENOMEM;
        goto done;
    }
    size_t len = fread(text, 1, ENDPOINTS_FILE_MAX + 1, file);
    if (ferror(file)) {
        rc = GN_EIO;
        goto done;
    }
    if (len > ENDPOINTS_FILE_MAX || memchr(text, '\0', len)) {
        rc = GN_ECONFIG;
        goto done;
    }
    text[len] = '\0';
    root = zconfig_str_load(text);
    if (!root) {
        rc = GN_ECONFIG;
        goto done;
    }
    zconfig_t *item = zconfig_locate(root, key);
    const char *value = item ? zconfig_value(item) : NULL;
    if (!value || !*value) {
        rc = GN_ENOTFOUND;
        goto done;
    }
    if (strlen(value) >= outlen) {
        rc = GN_ETOOBIG;
        goto done;
    }
    strcpy(out, value);
    rc = GN_OK;
done:
    zconfig_destroy(&root);
    free(text);
    if (fclose(file) != 0 && rc == GN_OK)
        rc = GN_EIO;
    return rc;
}

// ---- a pool of clients ----

struct _gn_clientpool_t {
    char *endpoint;             // the node's API endpoint
    int timeout_ms;             // each client's call deadline
    pthread_mutex_t lock;       // guards idle
    gn_client_t **idle;         // clients not in use
    size_t nidle, keep;         // entries used, at most
};

gn_clientpool_t *
gn_clientpool_new(const char *endpoint, int timeout_ms, size_t keep)
{
    gn_clientpool_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->endpoint = strdup(endpoint ? endpoint : "");
    self->idle = calloc(keep ? keep : 1, sizeof *self->idle);
    if (!self->endpoint || !self->idle || pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self->endpoint);
        free(self->idle);
        free(self);
        return NULL;
    }
    self->timeout_ms = timeout_ms;
    self->keep = keep ? keep : 1;
    return self;
}

void
gn_clientpool_destroy(gn_clientpool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_clientpool_t *self = *self_p;
    for (size_t i = 0; i < self->nidle; i++)
        gn_client_destroy(&self->idle[i]);
    pthread_mutex_destroy(&self->lock);
    free(self->idle);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

gn_client_t *
gn_clientpool_take(gn_clientpool_t *self)
{
    gn_client_t *client = NULL;
    pthread_mutex_lock(&self->lock);
    if (self->nidle > 0)
        client = self->idle[--self->nidle];
    pthread_mutex_unlock(&self->lock);
    return client ? client : gn_client_new(self->endpoint, self->timeout_ms);
}

void
gn_clientpool_give(gn_clientpool_t *self, gn_client_t **client_p)
{
    if (!client_p || !*client_p)
        return;
    pthread_mutex_lock(&self->lock);
    if (self->nidle < self->keep) {
        self->idle[self->nidle++] = *client_p;
        *client_p = NULL;
    }
    pthread_mutex_unlock(&self->lock);
    gn_client_destroy(client_p);   // no room: let it go (NULL stays NULL)
}
