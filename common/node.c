/*  node.c -- the daemon loop: API, sync links, change stream, tick.

    One thread owns everything here, including every LMDB write, so there is
    never more than one writer (DESIGN section 7).  */
#include "node.h"
#include "api.h"
#include "apply.h"
#include "err.h"
#include "feed.h"
#include "http.h"
#include "ids.h"
#include "linksec.h"
#include "log.h"
#include "summary.h"
#include "store.h"
#include "sync.h"
#include "workflow.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUB_BATCH 1024          // ops published per wake-up at most

struct _gn_node_t {
    gn_config_t cfg;            // settings (a copy)
    int level;                  // 1 district, 2 town, 3 village
    uint64_t incarnation;       // this run (meta counter, +1 per start)
    gn_store_t *store;          // the replica
    zsock_t *api;               // ROUTER for clients
    zsock_t *pub;               // PUB change stream
    zsock_t *up;                // DEALER to the parent, or NULL
    zsock_t *down;              // ROUTER for children, or NULL
    gn_linksec_t *linksec;      // keys, registry, allowlist
    gn_sync_t *sync;            // replication links
    gn_api_t *handler;          // client requests
    zloop_t *loop;              // the reactor
    zsock_t *pipe;              // actor pipe, or NULL
    uint64_t published;         // feed seq published through
    int64_t duties_at;          // ms (monotonic): when the periodic duties run next
    int64_t started;            // ms (monotonic): when the loop started
    bool api_open;              // the API socket is being served
    gn_metrics_t *metrics;      // counters for /metrics (api, sync, tick record into it)
    gn_http_t *http;            // the HTTP front (http/bind), or NULL
    char api_endpoint[256];     // where the API socket is bound for clients (not inproc)
    char pub_endpoint[256];     // where the PUB socket is bound for clients (not inproc)
};

//  The node's signing key, NULL when it runs insecure.
static gn_sigkey_t *
s_signer(gn_node_t *self)
{
    gn_keys_t *keys = gn_linksec_keys(self->linksec);
    return keys ? gn_keys_sigkey(keys) : NULL;
}

static int
s_status(void *arg, Gridnet__NodeStatus *st)
{
    return gn_sync_status(((gn_node_t *) arg)->sync, st);
}

static void
s_status_free(void *arg, Gridnet__NodeStatus *st)
{
    gn_sync_status_free(st);
}

//  Bind a socket and make sure it worked; *endpoint gets the bound address.
static int
s_bind(zsock_t *sock, const char *where, const char *what, char *err, size_t errlen)
{
    if (zsock_bind(sock, "%s", where) < 0) {
        snprintf(err, errlen, "cannot bind %s to %s: %s", what, where, zmq_strerror(errno));
        return GN_ENET;
    }
    return GN_OK;
}

static int
s_write_endpoints(gn_node_t *self, char *err, size_t errlen)
{
    char path[600], tmp[620];
    snprintf(path, sizeof path, "%s/endpoints", self->cfg.data);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    zconfig_t *root = zconfig_new("root", NULL);
    if (!root)
        return GN_ENOMEM;
    zconfig_putf(root, "api", "%s", self->api_endpoint);
    zconfig_putf(root, "pub", "%s", self->pub_endpoint);
    if (self->down)
        zconfig_putf(root, "sync", "%s", zsock_endpoint(self->down));
    if (self->http)
        zconfig_putf(root, "http", "%s", gn_http_url(self->http));
    zconfig_putf(root, "pid", "%d", (int) getpid());
    int rc = zconfig_save(root, tmp);
    zconfig_destroy(&root);
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return GN_EIO;
    }
    return GN_OK;
}

//  Count this start; give a new store its random id (a parent's children
//  tell from it that their cursors point into another copy).
static int
s_incarnation_txn(gn_txn_t *txn, void *arg)
{
    uint64_t *inc = arg, id;
    int rc = gn_meta_get(txn, "incarnation", inc);
    if (rc == 0)
        rc = gn_meta_put(txn, "incarnation", ++*inc);
    if (rc == 0)
        rc = gn_meta_get(txn, "store_id", &id);
    if (rc == 0 && id == 0) {
        while (id == 0 && (rc = gn_random(&id, sizeof id)) == 0)
            ;
        if (rc == 0)
            rc = gn_meta_put(txn, "store_id", id);
    }
    return rc;
}

static int
s_head_txn(gn_txn_t *txn, void *arg)
{
    return gn_feed_head(txn, arg);
}

//  The DEALER up to the parent: CURVE client, bounded queues, heartbeats.
static zsock_t *
s_up_new(gn_node_t *self, char *err, size_t errlen)
{
    int hb = (int) self->cfg.heartbeat_ms;
    //  No routing id of our choosing: the parent's ROUTER makes one per
    //  connection and knows us by our key, so no one can take our place.
    zsock_t *up = zsock_new(ZMQ_DEALER);
    if (!up) {
        snprintf(err, errlen, "cannot create sockets");
        return NULL;
    }
    zsock_set_linger(up, 0);
    zsock_set_immediate(up, 1);
    zsock_set_maxmsgsize(up, GN_ENVELOPE_MAX);
    zsock_set_sndhwm(up, 100);
    zsock_set_rcvhwm(up, 1000);
    zsock_set_heartbeat_ivl(up, hb);
    zsock_set_heartbeat_timeout(up, 3 * hb);
    zsock_set_reconnect_ivl(up, 100);
    zsock_set_reconnect_ivl_max(up, 500);
    //  A connect whose SYNs vanish (a link that is down, not refused) gives
    //  up after two heartbeats and is tried again, instead of waiting out the
    //  kernel's SYN retries: the link is back about as soon as the wire is.
    zsock_set_connect_timeout(up, 2 * hb);
    if (gn_linksec_client(self->linksec, up, err, errlen) != 0) {
        zsock_destroy(&up);
        return NULL;
    }
    if (zsock_connect(up, "%s", self->cfg.parent) < 0) {
        snprintf(err, errlen, "cannot connect to parent at %s: %s", self->cfg.parent,
                 zmq_strerror(errno));
        zsock_destroy(&up);
    }
    return up;
}

//  The HTTP front: it reaches the API socket in-process, with a token of
//  this run that only it knows (see gn_api_set_front_token).
static int
s_http_start(gn_node_t *self, char *err, size_t errlen)
{
    char inproc[64], pub[64], token[33], keys[600];
    uint8_t raw[16];
    snprintf(inproc, sizeof inproc, "inproc://gridnet-api-%012llu",
             (unsigned long long) self->cfg.node);
    snprintf(pub, sizeof pub, "inproc://gridnet-pub-%012llu", (unsigned long long) self->cfg.node);
    if (s_bind(self->api, inproc, "api", err, errlen) != 0
        || s_bind(self->pub, pub, "pub", err, errlen) != 0)   // the pages' live events
        return GN_ENET;
    if (gn_random(raw, sizeof raw) != 0) {
        snprintf(err, errlen, "cannot make the HTTP front's token");
        return GN_ECRYPTO;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(token + 2 * i, 3, "%02x", raw[i]);
    gn_api_set_front_token(self->handler, token);
    if (self->cfg.http_keys[0])
        snprintf(keys, sizeof keys, "%s", self->cfg.http_keys);
    else
        snprintf(keys, sizeof keys, "%s/http_keys", self->cfg.data);
    gn_http_opts_t opts = { .node = self->cfg.node, .bind = self->cfg.http_bind, .keys = keys,
                            .max_body = self->cfg.http_max_body,
                            .contact = self->cfg.http_contact, .api = inproc, .token = token,
                            .pub = pub, .tls_cert = self->cfg.http_tls_cert,
                            .tls_key = self->cfg.http_tls_key };
    self->http = gn_http_new(&opts, err, errlen);
    return self->http ? GN_OK : GN_ENET;
}

gn_node_t *
gn_node_new(const gn_config_t *cfg, char *err, size_t errlen)
{
    gn_node_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    self->level = gn_node_level(cfg->node);
    int hb = (int) cfg->heartbeat_ms;
    char dbdir[600];
    snprintf(dbdir, sizeof dbdir, "%s/db", cfg->data);
    if (mkdir(cfg->data, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", cfg->data, strerror(errno));
        goto fail;
    }
    int rc = gn_store_open(&self->store, dbdir, (size_t) cfg->map_mb << 20);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open the store in %s: %s", dbdir, gn_strerror(rc));
        goto fail;
    }
    uint64_t summarised = 0;   // case summaries of a store older than the report index
    if ((rc = gn_summary_index_open(self->store, &summarised)) != 0) {
        snprintf(err, errlen, "cannot build the report index: %s", gn_strerror(rc));
        goto fail;
    }
    if (summarised)
        gn_info("node: report index built for %llu case(s)", (unsigned long long) summarised);
    if ((rc = gn_store_write(self->store, s_incarnation_txn, &self->incarnation)) != 0
        || (rc = gn_store_read(self->store, s_head_txn, &self->published)) != 0) {
        snprintf(err, errlen, "cannot read the store: %s", gn_strerror(rc));
        goto fail;
    }

    self->api = zsock_new(ZMQ_ROUTER);
    self->pub = zsock_new(ZMQ_PUB);
    if (!self->api || !self->pub) {
        snprintf(err, errlen, "cannot create sockets");
        goto fail;
    }
    zsock_set_linger(self->api, 0);
    zsock_set_maxmsgsize(self->api, GN_API_MAX);
    zsock_set_sndtimeo(self->api, 0);
    zsock_set_linger(self->pub, 0);
    zsock_set_sndhwm(self->pub, 10000);
    if (s_bind(self->api, cfg->api_bind, "api", err, errlen) != 0
        || s_bind(self->pub, cfg->pub_bind, "pub", err, errlen) != 0)
        goto fail;
    snprintf(self->api_endpoint, sizeof self->api_endpoint, "%s", zsock_endpoint(self->api));
    snprintf(self->pub_endpoint, sizeof self->pub_endpoint, "%s", zsock_endpoint(self->pub));

    if (!(self->linksec = gn_linksec_new(cfg, err, errlen)))
        goto fail;
    if (self->level < 3) {   // towns and the district take children
        self->down = zsock_new(ZMQ_ROUTER);
        if (!self->down) {
            snprintf(err, errlen, "cannot create sockets");
            goto fail;
        }
        zsock_set_linger(self->down, 0);
        zsock_set_router_mandatory(self->down, 1);
        zsock_set_maxmsgsize(self->down, GN_ENVELOPE_MAX);
        zsock_set_sndhwm(self->down, 1000);
        zsock_set_rcvhwm(self->down, 1000);
        zsock_set_heartbeat_ivl(self->down, hb);
        zsock_set_heartbeat_timeout(self->down, 3 * hb);
        if (gn_linksec_server(self->linksec, self->down, err, errlen) != 0
            || s_bind(self->down, cfg->child_bind, "sync", err, errlen) != 0)
            goto fail;
    }
    if (self->level > 1 && !(self->up = s_up_new(self, err, errlen)))
        goto fail;
    self->sync = gn_sync_new(self->store, &self->cfg, self->incarnation, self->up, self->down,
                             self->linksec);
    self->handler = gn_api_new(self->store, cfg->node, self->incarnation, s_signer(self),
                               self->linksec, s_status, s_status_free,
                               self);
    if (self->handler)
        gn_api_require_login(self->handler, cfg->auth != 0);
    self->metrics = gn_metrics_new(cfg->node);
    if (!self->sync || !self->handler || !self->metrics) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    gn_sync_set_metrics(self->sync, self->metrics);
    gn_api_set_metrics(self->handler, self->metrics);
    if (cfg->http_bind[0] && s_http_start(self, err, errlen) != 0)
        goto fail;
    if (s_write_endpoints(self, err, errlen) != 0)
        goto fail;
    return self;
fail:
    gn_node_destroy(&self);
    return NULL;
}

void
gn_node_destroy(gn_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_node_t *self = *self_p;
    gn_http_destroy(&self->http);   // first: its requests go to the API socket
    zloop_destroy(&self->loop);
    gn_api_destroy(&self->handler);
    gn_sync_destroy(&self->sync);
    gn_metrics_destroy(&self->metrics);
    zsock_destroy(&self->api);
    zsock_destroy(&self->pub);
    zsock_destroy(&self->up);
    zsock_destroy(&self->down);
    gn_linksec_destroy(&self->linksec);
    gn_store_destroy(&self->store);
    free(self);
    *self_p = NULL;
}

// ---- the change stream ----

typedef struct {
    gn_node_t *node;
    gn_txn_t *txn;
    size_t n;                   // published this round
} pub_t;

static int
s_pub_visit(uint64_t seq, const gn_feed_rec_t *rec, void *arg)
{
    pub_t *p = arg;
    const void *bytes;
    size_t len;
    if (rec->flags & GN_FEED_BACKFILL) {   // nothing new: an old op resent below
        p->node->published = seq;
        return 0;
    }
    int rc = gn_ops_raw(p->txn, rec->origin, rec->seq, &bytes, &len);
    if (rc != 0)
        return rc;
    void *sock = zsock_resolve(p->node->pub);
    const char *topic = rec->flags & GN_FEED_CONFLICT ? "conflict" : "op";
    if (zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send(sock, bytes, len, ZMQ_DONTWAIT);
    p->node->published = seq;
    return ++p->n >= PUB_BATCH ? 1 : 0;
}

static int
s_pub_txn(gn_txn_t *txn, void *arg)
{
    pub_t *p = arg;
    p->txn = txn;
    uint64_t head;
    int rc = gn_feed_head(txn, &head);
    if (rc != 0 || head <= p->node->published)
        return rc;
    rc = gn_feed_scan(txn, p->node->published, s_pub_visit, p);
    if (rc == 0 && p->n < PUB_BATCH)
        p->node->published = head;
    return rc;
}

//  After anything that may have written: stream the changes and the feed.
static void
s_after(gn_node_t *self)
{
    pub_t p = { .node = self };
    int rc = gn_store_read(self->store, s_pub_txn, &p);
    if (rc != 0)
        gn_warn("node: change stream: %s", gn_strerror(rc));
    gn_sync_pump(self->sync);
}

// ---- reactor handlers ----

static int
s_on_api(zloop_t *loop, zsock_t *sock, void *arg)
{
    gn_node_t *self = arg;
    gn_api_on_requests(self->handler, sock);
    s_after(self);
    return 0;
}


//  Serve the API once the parent confirmed our counters, or once the
//  startup wait is over (then the parent is away and we work offline).
//  Requests that came meanwhile waited in the socket, not lost.
static void
s_api_open(gn_node_t *self, int64_t now)
{
    if (self->api_open)
        return;
    bool welcomed = gn_sync_welcomed(self->sync);
    if (!welcomed && now - self->started < (int64_t) self->cfg.startup_ms)
        return;
    if (zloop_reader(self->loop, self->api, s_on_api, self) != 0) {
        gn_error("node: cannot serve the API");
        return;
    }
    self->api_open = true;
    if (!welcomed)
        gn_warn("node: no word from the parent in %u ms: taking requests offline",
                self->cfg.startup_ms);
}

static int
s_on_parent(zloop_t *loop, zsock_t *sock, void *arg)
{
    gn_node_t *self = arg;
    gn_sync_on_parent(self->sync);
    s_api_open(self, zclock_mono());
    s_after(self);
    return 0;
}

static int
s_on_children(zloop_t *loop, zsock_t *sock, void *arg)
{
    gn_node_t *self = arg;
    gn_sync_on_children(self->sync);
    s_after(self);
    return 0;
}

typedef struct {
    uint64_t self;
    gn_sigkey_t *signer;        // seals what the duties wrote
    int changed;                // ops the duties wrote
} duties_t;

static int
s_duties_txn(gn_txn_t *txn, void *arg)
{
    duties_t *d = arg;
    int rc = gn_workflow_tick(txn, d->self, zclock_time(), &d->changed);
    return rc ? rc : gn_apply_seal(txn, d->self, d->signer);
}

//  The fast sub-jobs run every time (links); the workflow's duties
//  (deadlines, escalation policy) at node/tick, and the stale-reader reaping
//  with them.
static int s_on_parent(zloop_t *loop, zsock_t *sock, void *arg);

//  A parent link with no session for long gets a fresh socket: libzmq may
//  stop retrying a handshake the parent refused once (say, before the
//  parent knew this node's certificate).
static void
s_up_renew(gn_node_t *self, int64_t now)
{
    if (!self->up || !gn_sync_parent_stuck(self->sync, now, 32 * (int64_t) self->cfg.heartbeat_ms))
        return;
    char err[256];
    zsock_t *fresh = s_up_new(self, err, sizeof err);
    if (!fresh) {
        gn_warn("node: cannot renew the parent link: %s", err);
        gn_sync_set_up(self->sync, self->up, now);   // try again later
        return;
    }
    gn_info("node: no session with the parent for a while: new connection");
    zloop_reader_end(self->loop, self->up);
    zsock_destroy(&self->up);
    self->up = fresh;
    gn_sync_set_up(self->sync, fresh, now);
    if (zloop_reader(self->loop, self->up, s_on_parent, self) != 0)
        gn_error("node: cannot watch the new parent link");
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    gn_node_t *self = arg;
    int64_t now = zclock_mono();
    s_up_renew(self, now);
    gn_sync_tick(self->sync, now);
    s_api_open(self, now);
    if (now >= self->duties_at) {
        self->duties_at = now + self->cfg.tick_ms;
        duties_t d = { .self = self->cfg.node, .signer = s_signer(self) };
        int64_t t0 = zclock_usecs();
        int rc = gn_store_write(self->store, s_duties_txn, &d);
        gn_metrics_commit(self->metrics, GN_COMMIT_TICK, zclock_usecs() - t0);
        if (rc != 0)
            gn_warn("node: periodic duties failed: %s", gn_strerror(rc));
        else if (d.changed)
            gn_info("node: periodic duties wrote %d op(s)", d.changed);
        gn_store_reap(self->store);
    }
    gn_linksec_refresh(self->linksec);   // one stat(); a new child is admitted at once
    gn_api_poll(self->handler, self->api);   // an audit's report, once it is done
    s_after(self);
    return 0;
}

static int
s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *cmd = zstr_recv(pipe);
    int rc = cmd && strcmp(cmd, "$TERM") == 0 ? -1 : 0;
    zstr_free(&cmd);
    return rc;
}

int
gn_node_run(gn_node_t *self)
{
    self->loop = zloop_new();
    if (!self->loop)
        return GN_ENOMEM;
    //  The reactor's timer runs the fast sub-jobs (link liveness, HELLO
    //  retries); slower jobs run from it at their own pace (node/tick).
    size_t tick = self->cfg.heartbeat_ms / 10;
    if (tick < 10)
        tick = 10;
    if (tick > 100)
        tick = 100;
    self->started = zclock_mono();
    if ((self->up && zloop_reader(self->loop, self->up, s_on_parent, self) != 0)
        || (self->down && zloop_reader(self->loop, self->down, s_on_children, self) != 0)
        || (self->pipe && zloop_reader(self->loop, self->pipe, s_on_pipe, self) != 0)
        || zloop_timer(self->loop, tick, 0, s_on_tick, self) < 0)
        return GN_ENOMEM;
    if (self->pipe)
        zloop_set_nonstop(self->loop, true);   // an actor stops on $TERM only
    gn_sync_tick(self->sync, zclock_mono());   // say HELLO right away
    s_api_open(self, zclock_mono());           // at once at the district
    gn_info("node: ready (level %d, incarnation %llu)", self->level,
            (unsigned long long) self->incarnation);
    zloop_start(self->loop);
    gn_info("node: stopping");
    return GN_OK;
}

void
gn_node_actor(zsock_t *pipe, void *args)
{
    char err[256];
    gn_node_t *self = gn_node_new(args, err, sizeof err);
    if (!self) {
        gn_error("node: %s", err);
        zsock_signal(pipe, 1);
        return;
    }
    self->pipe = pipe;
    zsock_signal(pipe, 0);
    gn_node_run(self);
    gn_node_destroy(&self);
}

static void
s_usage(const char *prog)
{
    fprintf(stderr, "usage: %s -c FILE [-s key=value]... [-e]\n"
                    "  -c FILE        node config (zconfig); see -e\n"
                    "  -s key=value   override one setting, e.g. -s sync/parent=tcp://host:port\n"
                    "  -e             print an example config with every key explained\n", prog);
}

int
gn_node_main(int argc, char **argv, int level)
{
    const char *path = NULL;
    const char *sets[64];
    int nsets = 0, opt;
    while ((opt = getopt(argc, argv, "c:s:eh")) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 's':
            if (nsets == 64) {
                fprintf(stderr, "%s: too many -s options\n", argv[0]);
                return 2;
            }
            sets[nsets++] = optarg;
            break;
        case 'e': gn_config_print_example(stdout); return 0;
        case 'h': s_usage(argv[0]); return 0;
        default: s_usage(argv[0]); return 2;
        }
    }
    if (!path || optind != argc) {
        s_usage(argv[0]);
        return 2;
    }
    gn_config_t cfg;
    char err[256];
    if (gn_config_load(&cfg, path, 0, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], path, err);
        return 1;
    }
    for (int i = 0; i < nsets; i++) {
        char key[128];
        const char *eq = strchr(sets[i], '=');
        if (!eq || (size_t) (eq - sets[i]) >= sizeof key) {
            fprintf(stderr, "%s: -s wants key=value, got '%s'\n", argv[0], sets[i]);
            return 2;
        }
        memcpy(key, sets[i], (size_t) (eq - sets[i]));
        key[eq - sets[i]] = 0;
        if (gn_config_set(&cfg, key, eq + 1, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", argv[0], err);
            return 2;
        }
    }
    //  Checked after the overrides, so -s can supply what the file lacks.
    if (gn_node_level(cfg.node) != level) {
        fprintf(stderr, "%s: node/id %012llu is not a level-%d node code\n", argv[0],
                (unsigned long long) cfg.node, level);
        return 1;
    }
    if (level > 1 && !cfg.parent[0]) {
        fprintf(stderr, "%s: sync/parent is required for a level-%d node\n", argv[0], level);
        return 1;
    }
    gn_log_init((gn_log_level_t) gn_log_level_parse(cfg.log_level), cfg.node);
    zsys_init();
    zsys_set_logstream(NULL);
    gn_node_t *node = gn_node_new(&cfg, err, sizeof err);
    if (!node) {
        gn_error("node: %s", err);
        return 1;
    }
    int rc = gn_node_run(node);
    gn_node_destroy(&node);
    return rc == 0 ? 0 : 1;
}
