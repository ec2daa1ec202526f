/*  sync.c -- replication links (protocol: see sync.h).  */
#include "sync.h"
#include "apply.h"
#include "cases.h"
#include "err.h"
#include "feed.h"
#include "ids.h"
#include "log.h"
#include "snapshot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MAX   32          // batches in flight per link, at most
#define BATCH_BYTES  (1u << 20)  // a batch stops growing past this many op bytes
#define BUDGET_MIN   (8u << 10)  // bytes in flight per link, at the least
#define BUDGET_MAX   (8u << 20)  //                           at the most
#define BUDGET_START (256u << 10)
#define BUDGET_STEP  (64u << 10)
#define DRAIN_MAX    64          // messages handled per socket wake-up
#define SCAN_FACTOR  4           // feed records scanned per batch slot
#define REJECTS_MAX  64          // rejects reported per batch (the rest are logged)
#define HELD_WAIT_MAX 8          // heartbeats between retries of a batch we could not apply,
                                 //   at most (under the sender's own 10 without progress)

typedef struct {
    uint64_t peer;              // the peer's node id
    bool is_parent;             // our link up (else a child's link to us)
    bool live;                  // a session is established (HELLO/WELCOME)
    bool resync;                // child lost data: send it its own ops back too
    uint8_t rid[64];            // the child's routing id, as the ROUTER made it for the
                                //   connection its HELLO came on (never chosen by the child)
    size_t rid_len;             // bytes in rid, 0 before a HELLO
    //  Outbound: our feed to the peer.
    uint64_t sent;              // our feed seq sent through
    uint64_t acked;             // our feed seq the peer committed through
    uint64_t inflight[WINDOW_MAX];  // to_seq of unacknowledged batches, oldest first
    int64_t inflight_at[WINDOW_MAX];    // ms: when each was sent
    size_t inflight_bytes[WINDOW_MAX];  // op bytes in each
    unsigned ninflight;         // entries in inflight[]
    size_t budget;              // op bytes we let be in flight: grows while ACKs come
                                //   back within half a heartbeat, halves when they do not,
                                //   so a slow link never holds more than it carries between
                                //   two heartbeats, and PING/ACK never wait behind it
    unsigned window;            // batches the peer lets us have in flight
    int64_t last_progress;      // ms: last ACK that moved acked (or stream start)
    //  Inbound: the peer's feed to us.
    uint64_t applied;           // peer's feed seq we committed through (also on disk)
    int64_t applied_at;         // ms: when applied last moved
    int64_t held_at;            // ms: a batch could not be applied (our store failed, say
                                //   the disk is full): the rest of the stream is dropped
                                //   without a GAP, and the peer is asked to send again
                                //   after our cursor held_wait ms later; 0 = not held
    int64_t held_wait;          // ms: one heartbeat at first, doubling up to HELD_WAIT_MAX
    uint64_t peer_head;         // peer's feed head, last heard
    uint64_t peer_incarnation;  // peer's incarnation, last heard
    int64_t last_recv;          // ms: last message from the peer
    int64_t last_send;          // ms: last message to the peer
    int64_t hello_sent;         // ms: last HELLO (child side)
    int64_t hello_backoff;      // ms until the next HELLO while no WELCOME came
    int64_t down_since;         // ms: when the session was last lost (or the socket made)
    int64_t renew_after;        // ms without a session before the socket is replaced
    char last_error[128];       // last problem seen on this link
    //  Snapshot (snapshot.h): a child with nothing of our stream gets our
    //  state first. Parent side: what to send; child side: how far it came.
    bool snapping;              // a snapshot is under way on this link
    gn_snapshot_t snap;         // parent: the ops to send, and the cursor after them
    size_t snap_next;           // parent: next key in snap to send
    uint64_t snap_sent;         // parent: chunks sent
    uint64_t snap_got;          // chunks the child has applied (as last heard, parent side)
    uint64_t snap_cursor;       // child: the parent's feed head the snapshot was taken at
    size_t snap_ops;            // child: new ops it brought
    int64_t snap_progress;      // ms: the snapshot last moved
} link_t;

struct _gn_sync_t {
    gn_store_t *store;          // the replica
    const gn_config_t *cfg;     // settings (owned by the node)
    uint64_t self;              // this node
    int level;                  // its level
    uint64_t incarnation;       // this run of the daemon
    zsock_t *up;                // DEALER to the parent, or NULL
    zsock_t *down;              // ROUTER for children, or NULL
    gn_linksec_t *linksec;      // checks a child's key against its claimed id
    link_t *parent;             // link up, or NULL at the district
    uint64_t parent_store;      // the parent store our down cursor refers to (also on disk)
    uint64_t own_store;         // our store's id, said in HELLO
    bool welcomed;              // the parent has welcomed us since the start
    link_t **children;          // links down
    size_t nchildren;           // entries in children
    size_t children_cap;        // allocated entries
    Gridnet__Entry *entries;    // batch building space: cfg->batch_ops entries
    Gridnet__Entry **entry_ptrs;  // pointers into entries
    gn_metrics_t *metrics;      // counters (owned by the node), or NULL
};

static int64_t
s_now(void)
{
    return zclock_mono();
}

static int
s_head_txn(gn_txn_t *txn, void *arg)
{
    return gn_feed_head(txn, arg);
}

static link_t *
s_link_new(uint64_t peer, bool is_parent)
{
    link_t *link = calloc(1, sizeof *link);
    if (!link)
        return NULL;
    link->peer = peer;
    link->is_parent = is_parent;
    return link;
}

static void
s_link_error(link_t *link, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_link_error(link_t *link, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(link->last_error, sizeof link->last_error, fmt, ap);
    va_end(ap);
    gn_warn("sync: %s %012llu: %s", link->is_parent ? "parent" : "child",
            (unsigned long long) link->peer, link->last_error);
}

//  Start (or restart) our outbound stream to a link after `cursor`.
static size_t
s_inflight_bytes(const link_t *link)
{
    size_t n = 0;
    for (unsigned i = 0; i < link->ninflight; i++)
        n += link->inflight_bytes[i];
    return n;
}

//  The link lost its session with data in flight: perhaps a batch could not
//  cross it between two heartbeats. Send much less at a time from now on.
static void
s_budget_cut(link_t *link)
{
    if (link->ninflight > 0)
        link->budget = link->budget / 4 > BUDGET_MIN ? link->budget / 4 : BUDGET_MIN;
}

static void
s_stream_reset(gn_sync_t *self, link_t *link, uint64_t cursor, unsigned window)
{
    link->sent = link->acked = cursor;
    link->ninflight = 0;
    if (!link->budget)
        link->budget = BUDGET_START;
    link->window = window == 0 ? 1 : window > WINDOW_MAX ? WINDOW_MAX : window;
    link->last_progress = s_now();
}

//  A child resumes its parent's stream where its durable cursor says.
static int
s_resume_txn(gn_txn_t *txn, void *arg)
{
    gn_sync_t *self = arg;
    int rc = gn_peer_cursor_get(txn, self->parent->peer, &self->parent->applied);
    if (rc == 0)
        rc = gn_meta_get(txn, "store_id", &self->own_store);
    return rc ? rc : gn_meta_get(txn, "parent_store", &self->parent_store);
}

gn_sync_t *
gn_sync_new(gn_store_t *store, const gn_config_t *cfg, uint64_t incarnation,
            zsock_t *up, zsock_t *down, gn_linksec_t *linksec)
{
    gn_sync_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->cfg = cfg;
    self->self = cfg->node;
    self->level = gn_node_level(cfg->node);
    self->incarnation = incarnation;
    self->up = up;
    self->down = down;
    self->linksec = linksec;
    self->entries = calloc(GN_BATCH_ENTRIES, sizeof *self->entries);
    self->entry_ptrs = calloc(GN_BATCH_ENTRIES, sizeof *self->entry_ptrs);
    if (!self->entries || !self->entry_ptrs)
        goto fail;
    if (up && !(self->parent = s_link_new(gn_node_parent(cfg->node), true)))
        goto fail;
    if (self->parent && gn_store_read(store, s_resume_txn, self) != 0)
        goto fail;
    return self;
fail:
    gn_sync_destroy(&self);
    return NULL;
}

void
gn_sync_set_metrics(gn_sync_t *self, gn_metrics_t *metrics)
{
    self->metrics = metrics;
}

void
gn_sync_destroy(gn_sync_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_sync_t *self = *self_p;
    free(self->parent);
    for (size_t i = 0; i < self->nchildren; i++) {
        gn_snapshot_clear(&self->children[i]->snap);
        free(self->children[i]);
    }
    free(self->children);
    free(self->entries);
    free(self->entry_ptrs);
    free(self);
    *self_p = NULL;
}

//  Send one envelope on a link, never blocking: a full pipe or an
//  unreachable child is an error the link remembers (the data stays in the
//  feed and goes again after the next HELLO).
static int
s_send(gn_sync_t *self, link_t *link, Gridnet__Envelope *env)
{
    uint8_t *buf;
    size_t len;
    int rc = gn_codec_pack(&env->base, GN_ENVELOPE_MAX, &buf, &len);
    if (rc != 0) {
        s_link_error(link, "cannot pack message: %s", gn_strerror(rc));
        return rc;
    }
    void *sock = zsock_resolve(link->is_parent ? self->up : self->down);
    int zrc = 0;
    if (!link->is_parent)
        zrc = link->rid_len ? zmq_send(sock, link->rid, link->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT)
                            : -1;
    if (zrc >= 0)
        zrc = zmq_send(sock, buf, len, ZMQ_DONTWAIT);
    free(buf);
    if (zrc < 0) {
        if (errno == EHOSTUNREACH) {
            if (link->live)
                s_link_error(link, "not connected");
            link->live = false;
        }
        else if (errno != EAGAIN)
            s_link_error(link, "send: %s", zmq_strerror(errno));
        return GN_ENET;
    }
    link->last_send = s_now();
    return GN_OK;
}

static void
s_send_reject(gn_sync_t *self, link_t *link, uint64_t origin, uint64_t seq,
              Gridnet__RejectReason reason, const char *detail)
{
    Gridnet__Reject rj = GRIDNET__REJECT__INIT;
    rj.origin = origin;
    rj.seq = seq;
    rj.reason = reason;
    rj.detail = (char *) detail;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_REJECT;
    env.reject = &rj;
    s_send(self, link, &env);
    gn_metrics_reject(self->metrics, true, (int) reason);
}

static void
s_send_ack(gn_sync_t *self, link_t *link)
{
    Gridnet__Ack ack = GRIDNET__ACK__INIT;
    ack.cursor = link->applied;
    ack.credit = self->cfg->window;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_ACK;
    env.ack = &ack;
    s_send(self, link, &env);
}

static void
s_send_hello(gn_sync_t *self)
{
    link_t *link = self->parent;
    uint64_t head = 0;
    if (gn_store_read(self->store, s_head_txn, &head) != 0)
        return;
    Gridnet__Hello hello = GRIDNET__HELLO__INIT;
    hello.node = self->self;
    hello.level = (uint32_t) self->level;
    hello.incarnation = self->incarnation;
    hello.head = head;
    hello.down_cursor = link->applied;
    hello.credit = self->cfg->window;
    hello.parent_store = self->parent_store;
    hello.store = self->own_store;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    link->hello_sent = s_now();
    s_send(self, link, &env);
}

// ---------------------------------------------------------------------------
//  Outbound: build batches from the feed.

typedef struct {
    gn_sync_t *self;
    link_t *link;
    gn_txn_t *txn;
    uint64_t head;              // feed head when we started
    uint64_t to;                // last feed seq covered
    size_t n;                   // entries taken
    size_t bytes;               // op bytes taken
    size_t scanned;             // records looked at
    size_t max_bytes;           // op bytes this batch may carry (the link's budget left)
    int sent;                   // 1 if a batch went out
    bool sealed;                // up a secure link: send only runs that end in a seal
    struct {
        uint64_t origin;        // an origin whose run is not sealed yet in this batch
        size_t idx;             // its first entry in the batch
        uint64_t seq;           // that entry's feed seq
    } open[32];
    size_t nopen;               // entries in open[]
} build_t;

//  Track which origins have a run in the batch not yet closed by a seal.
static bool
s_track(build_t *b, const gn_feed_rec_t *rec, size_t idx, uint64_t seq)
{
    for (size_t i = 0; i < b->nopen; i++)
        if (b->open[i].origin == rec->origin) {
            if (rec->flags & GN_FEED_SEAL)
                b->open[i] = b->open[--b->nopen];
            return true;
        }
    if (rec->flags & GN_FEED_SEAL)
        return true;
    if (b->nopen == sizeof b->open / sizeof b->open[0])
        return false;
    b->open[b->nopen].origin = rec->origin;
    b->open[b->nopen].idx = idx;
    b->open[b->nopen++].seq = seq;
    return true;
}

static bool
s_wants(const link_t *link, const gn_feed_rec_t *rec)
{
    if (link->is_parent)
        return rec->from != link->peer && !(rec->flags & GN_FEED_BACKFILL);
    if (rec->flags & GN_FEED_CONFLICT)
        return false;
    //  A child back from an old copy gets its own subtree's ops back whole,
    //  seals included, so its chains and digests match ours again.
    if (link->resync && (rec->flags & GN_FEED_SEAL))
        return gn_node_in_subtree(rec->origin, link->peer);
    return (rec->from != link->peer || link->resync) && gn_feed_concerns(rec, link->peer);
}

static int
s_build_visit(uint64_t seq, const gn_feed_rec_t *rec, void *arg)
{
    build_t *b = arg;
    size_t max = b->self->cfg->batch_ops;
    b->scanned++;
    if (s_wants(b->link, rec)) {
        const void *bytes;
        size_t len;
        int rc = gn_ops_raw(b->txn, rec->origin, rec->seq, &bytes, &len);
        if (rc != 0)
            return rc;
        bool hard = b->n >= GN_BATCH_ENTRIES || b->bytes + len > GN_ENVELOPE_MAX / 2;
        if (b->n > 0 && (hard || (b->bytes + len > b->max_bytes && b->nopen == 0)))
            return 1;
        if (b->sealed && !s_track(b, rec, b->n, seq))
            return 1;
        Gridnet__Entry *e = &b->self->entries[b->n];
        gridnet__entry__init(e);
        e->seq = seq;
        e->op.data = (uint8_t *) bytes;
        e->op.len = len;
        e->conflict = (rec->flags & GN_FEED_CONFLICT) != 0;
        b->self->entry_ptrs[b->n++] = e;
        b->bytes += len;
    }
    b->to = seq;
    bool enough = b->n >= max || b->scanned >= SCAN_FACTOR * max;
    return (enough && b->nopen == 0) || b->n >= GN_BATCH_ENTRIES ? 1 : 0;
}

static int
s_build_txn(gn_txn_t *txn, void *arg)
{
    build_t *b = arg;
    link_t *link = b->link;
    b->txn = txn;
    b->sent = 0;
    int rc = gn_feed_head(txn, &b->head);
    if (rc != 0 || b->head <= link->sent)
        return rc;
    b->to = link->sent;
    b->n = b->bytes = b->scanned = 0;
    b->nopen = 0;
    b->sealed = link->is_parent && gn_linksec_registry(b->self->linksec) != NULL;
    if ((rc = gn_feed_scan(txn, link->sent, s_build_visit, b)) != 0)
        return rc;
    if (b->nopen > 0) {   // cut before the first run that has no seal yet
        size_t k = 0;
        for (size_t i = 1; i < b->nopen; i++)
            if (b->open[i].idx < b->open[k].idx)
                k = i;
        b->n = b->open[k].idx;
        b->to = b->open[k].seq - 1;
    }
    if (b->to == link->sent)
        return GN_OK;   // the head moved past records that are not there (I7 skip)
    Gridnet__Batch batch = GRIDNET__BATCH__INIT;
    batch.from_seq = link->sent;
    batch.to_seq = b->to;
    batch.n_entries = b->n;
    batch.entries = b->self->entry_ptrs;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_BATCH;
    env.batch = &batch;
    if (s_send(b->self, link, &env) == 0) {
        link->inflight_at[link->ninflight] = s_now();
        link->inflight_bytes[link->ninflight] = b->bytes;
        link->inflight[link->ninflight++] = b->to;
        link->sent = b->to;
        b->sent = 1;
    }
    return GN_OK;
}

static void s_snap_pump(gn_sync_t *self, link_t *link);

static void
s_pump_link(gn_sync_t *self, link_t *link)
{
    if (!link->is_parent && link->snapping) {
        s_snap_pump(self, link);
        return;
    }
    while (link->live && link->ninflight < link->window) {
        size_t used = s_inflight_bytes(link);
        if (link->ninflight > 0 && used >= link->budget)
            return;
        size_t left = link->budget > used ? link->budget - used : 0;
        build_t b = { .self = self, .link = link,
                      .max_bytes = left < BATCH_BYTES ? left : BATCH_BYTES };
        int rc = gn_store_read(self->store, s_build_txn, &b);
        if (rc != 0) {
            s_link_error(link, "reading the feed: %s", gn_strerror(rc));
            return;
        }
        if (!b.sent)
            return;
    }
}

void
gn_sync_pump(gn_sync_t *self)
{
    if (self->parent)
        s_pump_link(self, self->parent);
    for (size_t i = 0; i < self->nchildren; i++)
        s_pump_link(self, self->children[i]);
}

// ---------------------------------------------------------------------------
//  Inbound: apply a batch in one transaction, then ACK.

typedef struct {
    uint64_t origin;            // op id of the refused op (0 if unreadable)
    uint64_t seq;
    Gridnet__RejectReason reason;
} reject_t;

typedef struct {
    gn_sync_t *self;
    link_t *link;
    const Gridnet__Batch *batch;
    reject_t rejects[REJECTS_MAX];  // reset at every try of the transaction
    size_t nrejects;
    size_t applied;             // new ops applied
    uint64_t cursor;            // how far the batch was taken (to_seq unless held back)
    bool snapshot;              // a snapshot chunk from the parent: no feed seqs, no cursor
} apply_work_t;

static void
s_reject_note(apply_work_t *w, uint64_t origin, uint64_t seq, Gridnet__RejectReason reason)
{
    if (w->nrejects < REJECTS_MAX)
        w->rejects[w->nrejects++] = (reject_t) { origin, seq, reason };
}

//  What pass one decides for each entry of a batch from a child.
typedef enum {
    V_APPLY,                    // verified (or needs no verification)
    V_SKIP,                     // already applied before this batch
    V_MALFORMED,                // does not unpack
    V_CHAIN,                    // does not follow its origin's chain
    V_SIGNATURE,                // its origin's seal does not verify
    V_HOLD                      // not sealed within this batch: wait for the rest
} verdict_t;

typedef struct {
    gn_chain_t chain;           // the origin's chain, advanced over this batch
    int pending;                // index of the first op since its last seal, -1 if none
    bool broken;                // a bad op seen: the rest of this origin is refused
} origin_t;

//  The origin state for o, loading its chain on first use.
static origin_t *
s_origin(gn_txn_t *txn, origin_t *origins, size_t *n, uint64_t o, int *rc)
{
    for (size_t i = 0; i < *n; i++)
        if (origins[i].chain.origin == o)
            return &origins[i];
    origin_t *st = &origins[(*n)++];
    st->pending = -1;
    st->broken = false;
    *rc = gn_chain_load(txn, o, &st->chain);
    return st;
}

//  Mark every op of st's origin from its pending one up to `last` as v.
static void
s_settle(apply_work_t *w, gn_op_t **ops, verdict_t *v, origin_t *st, size_t last, verdict_t to)
{
    for (size_t j = (size_t) st->pending; st->pending >= 0 && j <= last; j++)
        if (ops[j] && ops[j]->origin == st->chain.origin && v[j] == V_HOLD)
            v[j] = to;
    st->pending = -1;
}

//  Pass one, before anything is written: every op from a child must follow
//  its origin's chain, and every run of them must end in a seal the origin
//  signed (unless the node runs insecure). Ops that came down from the
//  parent were checked on their way up; a child cannot check them (it holds
//  only the ops that concern it), and trusts its authenticated parent.
static int
s_verify(gn_txn_t *txn, apply_work_t *w, gn_op_t **ops, verdict_t *v, origin_t *origins)
{
    const Gridnet__Batch *batch = w->batch;
    link_t *link = w->link;
    gn_registry_t *registry = gn_linksec_registry(w->self->linksec);
    size_t norigins = 0;
    int rc = 0;
    for (size_t i = 0; i < batch->n_entries; i++) {
        const Gridnet__Entry *e = batch->entries[i];
        if (!w->snapshot && e->seq <= link->applied) {
            v[i] = V_SKIP;
            continue;
        }
        int err;
        ops[i] = gn_codec_unpack_op(e->op.data, e->op.len, &err);
        if (!ops[i]) {
            v[i] = V_MALFORMED;
            continue;
        }
        v[i] = V_APPLY;
        if (link->is_parent)
            continue;
        origin_t *st = s_origin(txn, origins, &norigins, ops[i]->origin, &rc);
        if (rc != 0)
            return rc;
        if (ops[i]->seq <= st->chain.seq)
            continue;   // a resend of what the chain already covers: apply dedups it
        if (st->broken || gn_chain_follow(&st->chain, ops[i], e->op.data, e->op.len) != 0) {
            v[i] = V_CHAIN;
            if (st->pending >= 0)
                s_settle(w, ops, v, st, i, V_CHAIN);
            st->broken = true;
            continue;
        }
        if (!registry)
            continue;   // insecure: chains, but no signatures
        if (st->pending < 0)
            st->pending = (int) i;
        v[i] = V_HOLD;
        if (ops[i]->action == GRIDNET__ACTION__ACT_SEAL) {
            bool good = gn_seal_verify(gn_registry_sigkey(registry, ops[i]->origin), ops[i]) == 0;
            s_settle(w, ops, v, st, i, good ? V_APPLY : V_SIGNATURE);
            if (!good)
                st->broken = true;
        }
    }
    return GN_OK;
}

static Gridnet__RejectReason
s_reason(verdict_t v)
{
    switch (v) {
    case V_MALFORMED: return GRIDNET__REJECT_REASON__RJ_MALFORMED;
    default: return GRIDNET__REJECT_REASON__RJ_BAD_SIGNATURE;
    }
}

static int
s_apply_txn(gn_txn_t *txn, void *arg)
{
    apply_work_t *w = arg;
    link_t *link = w->link;
    size_t n = w->batch->n_entries;
    w->nrejects = 0;
    w->applied = 0;
    w->cursor = w->batch->to_seq;
    gn_op_t **ops = calloc(n ? n : 1, sizeof *ops);
    verdict_t *v = calloc(n ? n : 1, sizeof *v);
    origin_t *origins = calloc(n ? n : 1, sizeof *origins);
    origin_t *chains = calloc(n ? n : 1, sizeof *chains);   // the chains as applied
    int rc = ops && v && origins && chains ? s_verify(txn, w, ops, v, origins) : GN_ENOMEM;
    //  An origin's run not sealed in this batch waits: the cursor stops
    //  before it, and the sender sends it again with its seal.
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (v[i] == V_HOLD) {
            w->cursor = w->batch->entries[i]->seq - 1;
            break;
        }
    size_t nchains = 0, nrefused = 0;
    uint64_t *refused = calloc(n ? n : 1, sizeof *refused);   // origins refused in this batch
    if (!refused && rc == 0)
        rc = GN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const Gridnet__Entry *e = w->batch->entries[i];
        if ((!w->snapshot && e->seq > w->cursor) || v[i] == V_SKIP)
            continue;
        if (v[i] != V_APPLY) {
            gn_warn("sync: refused op at seq %llu from %012llu (%s/%llu): %s",
                    (unsigned long long) e->seq, (unsigned long long) link->peer,
                    ops[i] ? "origin" : "?", ops[i] ? (unsigned long long) ops[i]->seq : 0ULL,
                    v[i] == V_MALFORMED ? "malformed" : v[i] == V_CHAIN
                    ? "does not follow its origin's chain" : "bad or missing signature");
            s_reject_note(w, ops[i] ? ops[i]->origin : 0, ops[i] ? ops[i]->seq : e->seq,
                          s_reason(v[i]));
            continue;
        }
        gn_op_t *op = ops[i];
        bool after_refusal = false;   // the origin's run broke earlier in this batch
        for (size_t j = 0; j < nrefused && !after_refusal; j++)
            after_refusal = refused[j] == op->origin;
        if (after_refusal) {
            v[i] = V_CHAIN;
            s_reject_note(w, op->origin, op->seq, GRIDNET__REJECT_REASON__RJ_BAD_SIGNATURE);
            continue;
        }
        gn_apply_ctx_t ctx = {
            .self = w->self->self, .peer = link->peer,
            .from = link->is_parent ? GN_FROM_PARENT : GN_FROM_CHILD,
            .conflict = e->conflict
        };
        gn_apply_result_t result;
        rc = gn_apply(txn, &ctx, op, e->op.data, e->op.len, &result);
        if (rc == GN_ESCOPE || rc == GN_EINVAL) {
            gn_warn("sync: refused op %012llu/%llu from %012llu: %s",
                    (unsigned long long) op->origin, (unsigned long long) op->seq,
                    (unsigned long long) link->peer, gn_strerror(rc));
            s_reject_note(w, op->origin, op->seq,
                          rc == GN_ESCOPE ? GRIDNET__REJECT_REASON__RJ_SCOPE
                                          : GRIDNET__REJECT_REASON__RJ_MALFORMED);
            //  Not stored, so the chain must not pass it either: a parent above
            //  could not follow it. The origin's later ops are refused with it.
            v[i] = V_CHAIN;
            if (!link->is_parent)
                refused[nrefused++] = op->origin;
            rc = 0;
            continue;
        }
        if (rc == 0 && result == GN_APPLY_CONFLICT && !e->conflict)
            s_reject_note(w, op->origin, op->seq, GRIDNET__REJECT_REASON__RJ_STALE);
        else if (rc == 0 && result == GN_APPLY_NEW)
            w->applied++;
    }
    //  Each origin's chain moves over the ops stored here, up to the cursor
    //  (new, duplicate or kept as a conflict), and stops at one refused: what
    //  we hold is exactly what our parent will be able to follow.
    bool *stopped = calloc(n ? n : 1, sizeof *stopped);
    if (!stopped && rc == 0)
        rc = GN_ENOMEM;
    for (size_t i = 0; rc == 0 && !link->is_parent && i < n; i++) {
        const Gridnet__Entry *e = w->batch->entries[i];
        if (e->seq > w->cursor || !ops[i])
            continue;
        origin_t *st = s_origin(txn, chains, &nchains, ops[i]->origin, &rc);
        if (rc != 0)
            break;
        size_t k = (size_t) (st - chains);
        if (v[i] != V_APPLY)
            stopped[k] = true;
        else if (!stopped[k] && ops[i]->seq == st->chain.seq + 1)
            rc = gn_chain_follow(&st->chain, ops[i], e->op.data, e->op.len);
    }
    free(stopped);
    free(refused);
    for (size_t i = 0; rc == 0 && i < nchains; i++)
        rc = gn_chain_store(txn, &chains[i].chain);
    for (size_t i = 0; ops && i < n; i++)
        gn_codec_free_op(&ops[i]);
    free(ops);
    free(v);
    free(origins);
    free(chains);
    if (rc != 0 || w->snapshot)
        return rc;
    return gn_peer_cursor_put(txn, link->peer, w->cursor);
}

//  A child that finds a hole in its parent's stream, or is told of one,
//  starts over with HELLO.
static void
s_parent_restart(gn_sync_t *self, const char *why)
{
    link_t *link = self->parent;
    if (link->live)
        s_link_error(link, "%s: saying HELLO again", why);
    s_budget_cut(link);
    link->live = false;
    link->snapping = false;
    link->hello_backoff = 25;
    s_send_hello(self);
}

//  Ask the peer to send its stream again after our cursor: a child gets a
//  GAP (it says HELLO and resumes where we committed), the parent a HELLO.
static void
s_ask_resend(gn_sync_t *self, link_t *link, const char *why)
{
    if (link->is_parent)
        s_parent_restart(self, why);
    else
        s_send_reject(self, link, 0, link->applied + 1, GRIDNET__REJECT_REASON__RJ_GAP, why);
}

//  A batch was applied: whatever kept the others from applying theirs (the
//  disk was full) may be over, so every held link retries at the next tick
//  rather than after its back-off (otherwise the links that are not held
//  could fill the space again first).
static void
s_retry_held(gn_sync_t *self, link_t *applied)
{
    int64_t hb = self->cfg->heartbeat_ms, now = s_now();
    for (size_t i = 0; i <= self->nchildren; i++) {
        link_t *link = i < self->nchildren ? self->children[i] : self->parent;
        if (link && link != applied && link->held_at && link->held_wait > hb) {
            link->held_wait = hb;
            link->held_at = now - hb;
        }
    }
}

static void
s_on_batch(gn_sync_t *self, link_t *link, const Gridnet__Batch *batch)
{
    if (batch->to_seq <= link->applied) {   // a replay or a resend: already have it
        s_send_ack(self, link);
        return;
    }
    if (batch->from_seq > link->applied) {
        if (link->held_at) {   // behind one we could not apply: the retry timer asks again
            gn_debug("sync: batch (%llu, %llu] from %012llu dropped: waiting to retry after %llu",
                     (unsigned long long) batch->from_seq, (unsigned long long) batch->to_seq,
                     (unsigned long long) link->peer, (unsigned long long) link->applied);
            return;
        }
        if (link->is_parent)
            s_parent_restart(self, "gap in the parent's stream");
        else
            s_send_reject(self, link, 0, batch->from_seq, GRIDNET__REJECT_REASON__RJ_GAP,
                          "batch starts past our cursor");
        return;
    }
    apply_work_t w = { .self = self, .link = link, .batch = batch };
    int64_t t0 = zclock_usecs();
    unsigned grown = gn_store_grown(self->store);
    int rc = gn_store_write(self->store, s_apply_txn, &w);
    gn_metrics_commit(self->metrics, GN_COMMIT_SYNC, zclock_usecs() - t0);
    if (rc == 0)
        gn_metrics_applied(self->metrics, link->peer, link->is_parent, w.applied);
    if (rc != 0) {
        //  Nothing of it was committed, so no ACK. The batches behind it are
        //  dropped, and a heartbeat later (then less often) the peer is asked
        //  to send again after our cursor (gn_sync_tick), until one can be
        //  applied. Said once; the store logs how its trouble goes on.
        char text[sizeof link->last_error];
        snprintf(text, sizeof text, "batch (%llu, %llu] not applied: %s; no ACK, retrying",
                 (unsigned long long) batch->from_seq, (unsigned long long) batch->to_seq,
                 gn_strerror(rc));
        int64_t hb = self->cfg->heartbeat_ms;
        if (!link->held_at) {
            s_link_error(link, "%s", text);
            link->held_wait = hb;
        }
        else {
            snprintf(link->last_error, sizeof link->last_error, "%s", text);
            gn_debug("sync: %012llu: %s", (unsigned long long) link->peer, text);
            link->held_wait = link->held_wait * 2 < HELD_WAIT_MAX * hb ? link->held_wait * 2
                                                                        : HELD_WAIT_MAX * hb;
        }
        link->held_at = s_now();
        return;
    }
    if (link->held_at) {
        gn_info("sync: %s %012llu: batches apply again (after %llu)",
                link->is_parent ? "parent" : "child", (unsigned long long) link->peer,
                (unsigned long long) link->applied);
        link->held_at = 0;
        link->last_error[0] = 0;
    }
    s_retry_held(self, link);
    if (gn_store_grown(self->store) != grown)
        gn_info("sync: batch (%llu, %llu] from %012llu applied after the map grew %u time(s) "
                "under it (now %.1f MiB): retried whole, ACK after the commit",
                (unsigned long long) batch->from_seq, (unsigned long long) batch->to_seq,
                (unsigned long long) link->peer, gn_store_grown(self->store) - grown,
                (double) gn_store_map_size(self->store) / (1 << 20));
    if (w.cursor > link->applied)
        link->applied_at = s_now();
    link->applied = w.cursor;
    if (batch->to_seq > link->peer_head)
        link->peer_head = batch->to_seq;
    s_send_ack(self, link);
    for (size_t i = 0; i < w.nrejects; i++)
        s_send_reject(self, link, w.rejects[i].origin, w.rejects[i].seq, w.rejects[i].reason,
                      "");
    gn_debug("sync: applied %zu new op(s) from %012llu through %llu", w.applied,
             (unsigned long long) link->peer, (unsigned long long) w.cursor);
}

static void
s_on_ack(gn_sync_t *self, link_t *link, const Gridnet__Ack *ack)
{
    if (ack->cursor > link->acked) {
        link->acked = ack->cursor;
        link->last_progress = s_now();
    }
    if (link->acked > link->sent)
        link->sent = link->acked;
    unsigned keep = 0;
    int64_t now = s_now(), half = self->cfg->heartbeat_ms / 2;
    for (unsigned i = 0; i < link->ninflight; i++) {
        if (link->inflight[i] > ack->cursor) {
            link->inflight_at[keep] = link->inflight_at[i];
            link->inflight_bytes[keep] = link->inflight_bytes[i];
            link->inflight[keep++] = link->inflight[i];
        }
        else if (now - link->inflight_at[i] > half)
            link->budget = link->budget / 2 > BUDGET_MIN ? link->budget / 2 : BUDGET_MIN;
        else if (link->inflight_bytes[i] && link->budget < BUDGET_MAX)
            link->budget += BUDGET_STEP;
    }
    link->ninflight = keep;
    if (ack->credit > 0)
        link->window = ack->credit > WINDOW_MAX ? WINDOW_MAX : ack->credit;
}

static void
s_on_ping(gn_sync_t *self, link_t *link, const Gridnet__Ping *ping)
{
    Gridnet__Pong pong = GRIDNET__PONG__INIT;
    pong.time = ping->time;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_PONG;
    env.pong = &pong;
    if (ping->head > link->peer_head)
        link->peer_head = ping->head;
    s_send(self, link, &env);
}

// ---------------------------------------------------------------------------
//  Snapshots (snapshot.h). Parent side: a child that holds nothing of our
//  stream gets the ops of our state in chunks, at most `window` of them
//  unconfirmed, then SNAPSHOT_END with the feed seq the stream resumes
//  after. Child side: each chunk is applied in one transaction and
//  confirmed; only END moves the durable cursor, so a child killed half way
//  starts over (what it already applied comes again as duplicates).

static int
s_snap_collect_txn(gn_txn_t *txn, void *arg)
{
    link_t *link = arg;
    return gn_snapshot_collect(txn, link->peer, &link->snap);
}

//  (Re)start a snapshot for a child; false if it could not be taken (the
//  child then gets the feed from the start instead).
static bool
s_snap_start(gn_sync_t *self, link_t *link)
{
    int rc = gn_store_read(self->store, s_snap_collect_txn, link);
    if (rc != 0) {
        s_link_error(link, "cannot take a snapshot: %s; sending the feed instead",
                     gn_strerror(rc));
        gn_snapshot_clear(&link->snap);
        link->snapping = false;
        s_stream_reset(self, link, 0, link->window);
        return false;
    }
    link->snapping = true;
    link->snap_next = 0;
    link->snap_sent = link->snap_got = 0;
    link->snap_progress = s_now();
    gn_info("sync: child %012llu gets a snapshot: %zu ops as of our feed seq %llu",
            (unsigned long long) link->peer, link->snap.n,
            (unsigned long long) link->snap.cursor);
    return true;
}

typedef struct {
    gn_sync_t *self;
    link_t *link;
    size_t budget;              // op bytes this chunk may carry
    bool sent;                  // the chunk went out
} chunk_work_t;

static int
s_snap_chunk_txn(gn_txn_t *txn, void *arg)
{
    chunk_work_t *w = arg;
    link_t *link = w->link;
    size_t left = link->snap.n - link->snap_next;
    size_t n = left < GN_BATCH_ENTRIES ? left : GN_BATCH_ENTRIES;
    ProtobufCBinaryData *ops = calloc(n, sizeof *ops);
    if (!ops)
        return GN_ENOMEM;
    size_t taken = 0, bytes = 0;
    int rc = GN_OK;
    for (; taken < n; taken++) {
        uint64_t origin, seq;
        gn_op_key_split(link->snap.keys[link->snap_next + taken], &origin, &seq);
        const void *data;
        size_t len;
        if ((rc = gn_ops_raw(txn, origin, seq, &data, &len)) != 0)
            break;
        if (taken > 0 && bytes + len > w->budget)
            break;
        ops[taken].data = (uint8_t *) data;
        ops[taken].len = len;
        bytes += len;
    }
    if (rc == 0) {
        Gridnet__SnapshotChunk chunk = GRIDNET__SNAPSHOT_CHUNK__INIT;
        chunk.n = link->snap_sent + 1;
        chunk.cursor = link->snap.cursor;
        chunk.n_ops = taken;
        chunk.ops = ops;
        Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
        env.body_case = GRIDNET__ENVELOPE__BODY_SNAPSHOT_CHUNK;
        env.snapshot_chunk = &chunk;
        if (s_send(w->self, link, &env) == 0) {
            link->snap_next += taken;
            link->snap_sent++;
            w->sent = true;
        }
    }
    free(ops);
    return rc;
}

static void
s_snap_pump(gn_sync_t *self, link_t *link)
{
    while (link->live && link->snap_next < link->snap.n
           && link->snap_sent - link->snap_got < link->window) {
        chunk_work_t w = { .self = self, .link = link,
                           .budget = link->budget < BATCH_BYTES ? link->budget : BATCH_BYTES };
        int rc = gn_store_read(self->store, s_snap_chunk_txn, &w);
        if (rc != 0) {
            s_link_error(link, "reading the snapshot: %s", gn_strerror(rc));
            return;
        }
        if (!w.sent)
            return;
    }
    if (!link->live || link->snap_next < link->snap.n || link->snap_got < link->snap_sent)
        return;
    Gridnet__SnapshotEnd end = GRIDNET__SNAPSHOT_END__INIT;
    end.cursor = link->snap.cursor;
    end.chunks = link->snap_sent;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &end;
    if (s_send(self, link, &env) != 0)
        return;
    gn_info("sync: child %012llu has its snapshot (%zu ops in %llu chunks); streaming after %llu",
            (unsigned long long) link->peer, link->snap.n,
            (unsigned long long) link->snap_sent, (unsigned long long) link->snap.cursor);
    //  It holds the whole subtree now, its own ops and seals included.
    link->snapping = false;
    link->resync = false;
    s_stream_reset(self, link, link->snap.cursor, link->window);
    gn_snapshot_clear(&link->snap);
}

static void
s_on_snapshot_req(gn_sync_t *self, link_t *link, const Gridnet__SnapshotReq *req)
{
    if (req->node != link->peer) {
        s_link_error(link, "SNAPSHOT_REQ for another node (%012llu)",
                     (unsigned long long) req->node);
        return;
    }
    if (req->got == 0) {
        s_link_error(link, "asks for a snapshot again");
        s_snap_start(self, link);
        return;
    }
    if (link->snapping && req->got > link->snap_got && req->got <= link->snap_sent) {
        //  Chunks are cut to the link's byte budget, like batches; it grows
        //  while confirmations come back within half a heartbeat (doubling:
        //  a budget cut to its floor by a lost session must not leave a big
        //  snapshot crawling in 8 KB chunks) and halves when they do not.
        int64_t now = s_now(), half = self->cfg->heartbeat_ms / 2;
        if (now - link->snap_progress < half)
            link->budget = link->budget * 2 < BUDGET_MAX ? link->budget * 2 : BUDGET_MAX;
        else
            link->budget = link->budget / 2 > BUDGET_MIN ? link->budget / 2 : BUDGET_MIN;
        link->snap_got = req->got;
        link->snap_progress = link->last_progress = now;
    }
}

static void
s_snap_request(gn_sync_t *self, link_t *link, uint64_t got)
{
    Gridnet__SnapshotReq req = GRIDNET__SNAPSHOT_REQ__INIT;
    req.node = self->self;
    req.got = got;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_SNAPSHOT_REQ;
    env.snapshot_req = &req;
    s_send(self, link, &env);
}

static void
s_on_snapshot_chunk(gn_sync_t *self, link_t *link, const Gridnet__SnapshotChunk *chunk)
{
    if (chunk->n == 1) {
        if (link->snapping)
            gn_info("sync: the parent starts its snapshot over");
        link->snapping = true;
        link->snap_got = 0;
        link->snap_ops = 0;
        link->snap_cursor = chunk->cursor;
    }
    else if (!link->snapping || chunk->n != link->snap_got + 1
             || chunk->cursor != link->snap_cursor) {
        gn_debug("sync: snapshot chunk %llu out of turn: ignored",
                 (unsigned long long) chunk->n);
        return;
    }
    link->snap_progress = s_now();
    Gridnet__Entry *entries = calloc(chunk->n_ops, sizeof *entries);
    Gridnet__Entry **ptrs = calloc(chunk->n_ops, sizeof *ptrs);
    int rc = entries && ptrs ? GN_OK : GN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < chunk->n_ops; i++) {
        gridnet__entry__init(&entries[i]);
        entries[i].op = chunk->ops[i];
        ptrs[i] = &entries[i];
    }
    Gridnet__Batch batch = GRIDNET__BATCH__INIT;
    batch.n_entries = chunk->n_ops;
    batch.entries = ptrs;
    apply_work_t w = { .self = self, .link = link, .batch = &batch, .snapshot = true };
    if (rc == 0) {
        int64_t t0 = zclock_usecs();
        rc = gn_store_write(self->store, s_apply_txn, &w);
        gn_metrics_commit(self->metrics, GN_COMMIT_SYNC, zclock_usecs() - t0);
        if (rc == 0)
            gn_metrics_applied(self->metrics, link->peer, link->is_parent, w.applied);
    }
    free(entries);
    free(ptrs);
    if (rc != 0) {
        //  No confirmation: the snapshot stalls and we ask for it again.
        s_link_error(link, "snapshot chunk %llu not applied: %s",
                     (unsigned long long) chunk->n, gn_strerror(rc));
        return;
    }
    link->snap_got = chunk->n;
    link->snap_ops += w.applied;
    s_snap_request(self, link, link->snap_got);
}

typedef struct {
    uint64_t parent;
    uint64_t cursor;
} snap_end_work_t;

static int
s_snap_end_txn(gn_txn_t *txn, void *arg)
{
    snap_end_work_t *w = arg;
    return gn_peer_cursor_put(txn, w->parent, w->cursor);
}

static void
s_on_snapshot_end(gn_sync_t *self, link_t *link, const Gridnet__SnapshotEnd *end)
{
    bool whole = link->snapping ? end->chunks == link->snap_got
                                    && (end->chunks == 0 || end->cursor == link->snap_cursor)
                                : end->chunks == 0 && link->applied == 0;
    if (!whole) {
        s_link_error(link, "snapshot ended after %llu chunks, we applied %llu: asking again",
                     (unsigned long long) end->chunks, (unsigned long long) link->snap_got);
        link->snapping = true;
        link->snap_got = 0;
        link->snap_progress = s_now();
        s_snap_request(self, link, 0);
        return;
    }
    snap_end_work_t w = { .parent = link->peer, .cursor = end->cursor };
    int rc = gn_store_write(self->store, s_snap_end_txn, &w);
    if (rc != 0) {
        s_link_error(link, "cannot record the snapshot's cursor: %s; asking again",
                     gn_strerror(rc));
        link->snap_got = 0;
        link->snap_progress = s_now();
        s_snap_request(self, link, 0);
        return;
    }
    gn_info("sync: snapshot taken from the parent: %zu new ops in %llu chunks; its stream "
            "resumes after %llu", link->snap_ops, (unsigned long long) end->chunks,
            (unsigned long long) end->cursor);
    link->snapping = false;
    link->applied = end->cursor;
    link->applied_at = s_now();
    if (end->cursor > link->peer_head)
        link->peer_head = end->cursor;
    s_send_ack(self, link);
}

// ---------------------------------------------------------------------------
//  Child side: messages from the parent.

typedef struct {
    const Gridnet__Welcome *welcome;
    uint64_t self;              // this node
    uint64_t head;              // our feed head before
    bool skipped;               // counters moved (I7)
    bool restart_down;          // the parent's store changed: our down cursor is void
} welcome_work_t;

static int
s_welcome_txn(gn_txn_t *txn, void *arg)
{
    welcome_work_t *w = arg;
    const Gridnet__Welcome *wl = w->welcome;
    uint64_t op_seq, case_n;
    int rc;
    w->skipped = false;
    if ((rc = gn_feed_head(txn, &w->head)) != 0
        || (rc = gn_meta_get(txn, "op_seq", &op_seq)) != 0
        || (rc = gn_meta_get(txn, "case_n", &case_n)) != 0)
        return rc;
    //  A parent with another store (wiped, replaced) starts our down stream
    //  over: its feed seqs are not the ones our cursor counted.
    uint64_t known;
    if ((rc = gn_meta_get(txn, "parent_store", &known)) != 0)
        return rc;
    w->restart_down = known && wl->store && known != wl->store;
    if (known != wl->store && (rc = gn_meta_put(txn, "parent_store", wl->store)) != 0)
        return rc;
    if (w->restart_down && (rc = gn_peer_cursor_put(txn, wl->node, 0)) != 0)
        return rc;
    if (wl->up_cursor > w->head) {
        if ((rc = gn_feed_skip_to(txn, wl->up_cursor)) != 0)
            return rc;
        w->skipped = true;
    }
    if (wl->op_seq > op_seq) {
        //  Our chain goes on from where the parent holds it.
        gn_chain_t c;
        if ((rc = gn_meta_put(txn, "op_seq", wl->op_seq)) != 0
            || (rc = gn_meta_put(txn, "sealed", wl->op_seq)) != 0)
            return rc;
        if (wl->chain.len == sizeof c.chain) {
            c.origin = w->self;
            c.seq = wl->op_seq;
            memcpy(c.chain, wl->chain.data, sizeof c.chain);
            if ((rc = gn_chain_store(txn, &c)) != 0)
                return rc;
        }
        w->skipped = true;
    }
    if (wl->case_n > case_n) {
        if ((rc = gn_meta_put(txn, "case_n", wl->case_n)) != 0)
            return rc;
        w->skipped = true;
    }
    return GN_OK;
}

static void
s_on_welcome(gn_sync_t *self, const Gridnet__Welcome *wl)
{
    link_t *link = self->parent;
    welcome_work_t w = { .welcome = wl, .self = self->self };
    int rc = gn_store_write(self->store, s_welcome_txn, &w);
    if (rc != 0) {
        s_link_error(link, "cannot take WELCOME: %s", gn_strerror(rc));
        return;
    }
    if (w.skipped)
        gn_warn("sync: the parent holds more of our history than we do (feed %llu > %llu, "
                "ops %llu, cases %llu): restored from an old copy? Counters skip past it and "
                "our own ops come back down",
                (unsigned long long) wl->up_cursor, (unsigned long long) w.head,
                (unsigned long long) wl->op_seq, (unsigned long long) wl->case_n);
    if (!link->live)
        gn_info("sync: linked to parent %012llu (we resume after %llu)",
                (unsigned long long) link->peer, (unsigned long long) wl->up_cursor);
    if (w.restart_down) {
        gn_warn("sync: the parent's store changed (wiped or replaced): taking its stream "
                "from the start");
        link->applied = 0;
    }
    self->parent_store = wl->store;
    self->welcomed = true;
    link->snapping = false;   // a snapshot, if one comes, starts with its chunk 1
    link->live = true;
    link->down_since = 0;
    link->renew_after = 0;
    link->hello_backoff = 0;
    link->last_error[0] = 0;
    link->peer_head = wl->head;
    link->peer_incarnation = wl->incarnation;
    s_stream_reset(self, link, wl->up_cursor, wl->credit);
}

bool
gn_sync_welcomed(gn_sync_t *self)
{
    return !self->parent || self->welcomed;
}

bool
gn_sync_parent_stuck(gn_sync_t *self, int64_t now, int64_t ms)
{
    link_t *link = self->parent;
    if (!link || link->live)
        return false;
    if (!link->down_since)
        link->down_since = now;
    //  Soon after a loss, then less and less often, up to ms.
    if (!link->renew_after)
        link->renew_after = self->cfg->heartbeat_ms;
    return now - link->down_since >= (link->renew_after < ms ? link->renew_after : ms);
}

void
gn_sync_set_up(gn_sync_t *self, zsock_t *up, int64_t now)
{
    self->up = up;
    self->parent->down_since = now;
    self->parent->renew_after *= 2;
    self->parent->hello_backoff = 0;
    self->parent->ninflight = 0;
}

static void
s_on_reject_from_parent(gn_sync_t *self, const Gridnet__Reject *rj)
{
    gn_metrics_reject(self->metrics, false, (int) rj->reason);
    switch (rj->reason) {
    case GRIDNET__REJECT_REASON__RJ_NEED_HELLO:
        s_parent_restart(self, "the parent has no session for us");
        break;
    case GRIDNET__REJECT_REASON__RJ_GAP: {
        char why[160];
        snprintf(why, sizeof why, "the parent saw a gap in our stream%s%.100s%s",
                 rj->detail && *rj->detail ? " (" : "", rj->detail ? rj->detail : "",
                 rj->detail && *rj->detail ? ")" : "");
        s_parent_restart(self, why);
        break;
    }
    default:
        s_link_error(self->parent, "the parent refused op %012llu/%llu: reason %d %s",
                     (unsigned long long) rj->origin, (unsigned long long) rj->seq,
                     (int) rj->reason, rj->detail ? rj->detail : "");
        break;
    }
}

//  Receive one frame without blocking; NULL if none is waiting.
static zmq_msg_t *
s_recv_frame(void *sock, zmq_msg_t *msg, bool *more)
{
    if (zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) < 0)
        return NULL;
    *more = zmq_msg_more(msg);
    return msg;
}

//  Read the rest of a multi-frame message and throw it away.
static void
s_discard_rest(void *sock, bool more)
{
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            return;
        }
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
}

void
gn_sync_on_parent(gn_sync_t *self)
{
    void *sock = zsock_resolve(self->up);
    link_t *link = self->parent;
    for (int i = 0; i < DRAIN_MAX; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        bool more;
        if (!s_recv_frame(sock, &msg, &more)) {
            zmq_msg_close(&msg);
            return;
        }
        s_discard_rest(sock, more);
        int err;
        gn_envelope_t *env = gn_codec_unpack_envelope(zmq_msg_data(&msg), zmq_msg_size(&msg), &err);
        zmq_msg_close(&msg);
        if (!env) {
            s_link_error(link, "unreadable message from the parent: %s", gn_strerror(err));
            continue;
        }
        link->last_recv = s_now();
        switch (env->body_case) {
        case GRIDNET__ENVELOPE__BODY_WELCOME:
            s_on_welcome(self, env->welcome);
            break;
        case GRIDNET__ENVELOPE__BODY_BATCH:
            if (link->live)
                s_on_batch(self, link, env->batch);
            break;
        case GRIDNET__ENVELOPE__BODY_ACK:
            if (link->live)
                s_on_ack(self, link, env->ack);
            break;
        case GRIDNET__ENVELOPE__BODY_REJECT:
            s_on_reject_from_parent(self, env->reject);
            break;
        case GRIDNET__ENVELOPE__BODY_PING:
            s_on_ping(self, link, env->ping);
            break;
        case GRIDNET__ENVELOPE__BODY_PONG:
            break;
        case GRIDNET__ENVELOPE__BODY_SNAPSHOT_CHUNK:
            if (link->live)
                s_on_snapshot_chunk(self, link, env->snapshot_chunk);
            break;
        case GRIDNET__ENVELOPE__BODY_SNAPSHOT_END:
            if (link->live)
                s_on_snapshot_end(self, link, env->snapshot_end);
            break;
        default:
            s_link_error(link, "unexpected message %d from the parent", (int) env->body_case);
            break;
        }
        gn_codec_free_envelope(&env);
    }
}

// ---------------------------------------------------------------------------
//  Parent side: messages from children.

static link_t *
s_child_find(gn_sync_t *self, uint64_t node)
{
    for (size_t i = 0; i < self->nchildren; i++)
        if (self->children[i]->peer == node)
            return self->children[i];
    return NULL;
}

static link_t *
s_child_add(gn_sync_t *self, uint64_t node)
{
    if (self->nchildren == self->children_cap) {
        size_t cap = self->children_cap ? self->children_cap * 2 : 8;
        link_t **grown = realloc(self->children, cap * sizeof *grown);
        if (!grown)
            return NULL;
        self->children = grown;
        self->children_cap = cap;
    }
    link_t *link = s_link_new(node, false);
    if (link)
        self->children[self->nchildren++] = link;
    return link;
}

typedef struct {
    uint64_t child;
    uint64_t applied;           // child's feed we committed through
    uint64_t op_seq;            // highest op seq of the child's origin we hold
    uint64_t case_n;            // highest case counter of the child we hold
    uint64_t head;              // our feed head
    gn_chain_t chain;           // the child's op chain as we hold it
    uint64_t store;             // our store id
    uint64_t child_store;       // the child's store our cursor counts in (0: not known)
    uint64_t said_store;        // the store the child's HELLO says it has
} hello_work_t;

static void
s_child_store_key(char key[32], uint64_t child)
{
    snprintf(key, 32, "child_store.%012llu", (unsigned long long) child);
}

static int
s_hello_txn(gn_txn_t *txn, void *arg)
{
    hello_work_t *w = arg;
    char key[32];
    s_child_store_key(key, w->child);
    int rc;
    if ((rc = gn_meta_get(txn, key, &w->child_store)) != 0
        || (rc = gn_peer_cursor_get(txn, w->child, &w->applied)) != 0
        || (rc = gn_ops_max_seq(txn, w->child, &w->op_seq)) != 0
        || (rc = gn_cases_max_n(txn, w->child, &w->case_n)) != 0
        || (rc = gn_chain_load(txn, w->child, &w->chain)) != 0
        || (rc = gn_meta_get(txn, "store_id", &w->store)) != 0)
        return rc;
    return gn_feed_head(txn, &w->head);
}

//  The child has another store than the one our cursor counts in (it was
//  wiped, or replaced): its feed seqs are not those, so it is taken from the
//  start. Its counters still skip past what we hold (WELCOME, I7).
static int
s_child_store_txn(gn_txn_t *txn, void *arg)
{
    hello_work_t *w = arg;
    char key[32];
    s_child_store_key(key, w->child);
    int rc = w->child_store ? gn_peer_cursor_put(txn, w->child, 0) : GN_OK;
    return rc ? rc : gn_meta_put(txn, key, w->said_store);
}

static void
s_on_hello(gn_sync_t *self, uint64_t keyed, zmq_msg_t *rid, const Gridnet__Hello *hello)
{
    //  The child must be exactly one level below us, in our subtree, and be
    //  who its CURVE key says (keyed is 0 only when running insecure).
    if ((keyed && hello->node != keyed) || gn_node_parent(hello->node) != self->self
        || hello->level != (uint32_t) self->level + 1) {
        gn_warn("sync: HELLO claiming %012llu (level %u) refused: %s",
                (unsigned long long) hello->node, hello->level,
                keyed && hello->node != keyed ? "its key belongs to another node"
                                              : "not our child");
        return;
    }
    link_t *link = s_child_find(self, hello->node);
    if (!link && !(link = s_child_add(self, hello->node)))
        return;
    //  Replies go to the connection this HELLO came on, and only to it.
    size_t rlen = zmq_msg_size(rid);
    if (rlen == 0 || rlen > sizeof link->rid)
        return;
    memcpy(link->rid, zmq_msg_data(rid), rlen);
    link->rid_len = rlen;
    hello_work_t w = { .child = hello->node, .said_store = hello->store };
    int rc = gn_store_read(self->store, s_hello_txn, &w);
    if (rc == 0 && hello->store && hello->store != w.child_store) {
        if (w.child_store)
            s_link_error(link, "its store is not the one our cursor %llu counts in (wiped or "
                         "replaced): taking its feed from the start",
                         (unsigned long long) w.applied);
        if ((rc = gn_store_write(self->store, s_child_store_txn, &w)) == 0)
            rc = gn_store_read(self->store, s_hello_txn, &w);
    }
    if (rc != 0) {
        s_link_error(link, "cannot read cursors: %s", gn_strerror(rc));
        return;
    }
    link->applied = w.applied;
    link->peer_head = hello->head;
    link->peer_incarnation = hello->incarnation;
    link->resync = hello->head < w.applied;
    if (link->resync)
        s_link_error(link, "its feed head %llu is behind what we applied (%llu): restored "
                     "from an old copy; sending its own ops back",
                     (unsigned long long) hello->head, (unsigned long long) w.applied);
    if (!link->live)
        gn_info("sync: child %012llu linked (incarnation %llu, head %llu, we applied %llu)",
                (unsigned long long) hello->node, (unsigned long long) hello->incarnation,
                (unsigned long long) hello->head, (unsigned long long) w.applied);
    link->live = true;
    link->last_recv = s_now();
    //  A cursor into another copy of our store (we were wiped or restored)
    //  means nothing here: send the child everything that concerns it.
    uint64_t down = hello->down_cursor;
    if (hello->parent_store && hello->parent_store != w.store) {
        s_link_error(link, "its cursor %llu refers to an older copy of this node: sending "
                     "everything that concerns it again", (unsigned long long) down);
        down = 0;
    }
    s_stream_reset(self, link, down, hello->credit);
    link->snapping = false;
    gn_snapshot_clear(&link->snap);
    Gridnet__Welcome wl = GRIDNET__WELCOME__INIT;
    wl.node = self->self;
    wl.up_cursor = w.applied;
    wl.credit = self->cfg->window;
    wl.incarnation = self->incarnation;
    wl.head = w.head;
    wl.op_seq = w.op_seq;
    wl.case_n = w.case_n;
    wl.store = w.store;
    if (w.chain.seq == w.op_seq && w.op_seq > 0) {
        wl.chain.data = w.chain.chain;
        wl.chain.len = sizeof w.chain.chain;
    }
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_WELCOME;
    env.welcome = &wl;
    if (s_send(self, link, &env) == 0 && down == 0 && w.head > 0 && self->cfg->snapshot)
        s_snap_start(self, link);   // it holds nothing of our stream: our state first
}

//  Who sent a message: the node its CURVE key belongs to; running insecure,
//  the link whose connection it came on (or, for a HELLO, the node it names).
static link_t *
s_child_of(gn_sync_t *self, uint64_t keyed, zmq_msg_t *rid)
{
    if (keyed)
        return s_child_find(self, keyed);
    for (size_t i = 0; i < self->nchildren; i++) {
        link_t *link = self->children[i];
        if (link->rid_len == zmq_msg_size(rid)
            && memcmp(link->rid, zmq_msg_data(rid), link->rid_len) == 0)
            return link;
    }
    return NULL;
}

static bool
s_same_connection(const link_t *link, zmq_msg_t *rid)
{
    return link->rid_len == zmq_msg_size(rid)
        && memcmp(link->rid, zmq_msg_data(rid), link->rid_len) == 0;
}

void
gn_sync_on_children(gn_sync_t *self)
{
    void *sock = zsock_resolve(self->down);
    for (int i = 0; i < DRAIN_MAX; i++) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        bool more;
        if (!s_recv_frame(sock, &rid, &more)) {
            zmq_msg_close(&rid);
            zmq_msg_close(&body);
            return;
        }
        bool ok = more && zmq_msg_recv(&body, sock, ZMQ_DONTWAIT) >= 0;
        if (ok)
            s_discard_rest(sock, zmq_msg_more(&body));
        //  The key a child authenticated with says who it is.
        uint64_t keyed = ok ? gn_linksec_node_of(self->linksec, zmq_msg_gets(&body, "User-Id"))
                            : 0;
        gn_envelope_t *env = NULL;
        int err = GN_EMALFORMED;
        if (ok && (keyed || gn_linksec_insecure(self->linksec)))
            env = gn_codec_unpack_envelope(zmq_msg_data(&body), zmq_msg_size(&body), &err);
        else if (ok)
            err = GN_EPERM;
        zmq_msg_close(&body);
        if (!env) {
            gn_warn("sync: unreadable message from child %012llu: %s",
                    (unsigned long long) keyed, gn_strerror(err));
            zmq_msg_close(&rid);
            continue;
        }
        if (env->body_case == GRIDNET__ENVELOPE__BODY_HELLO) {
            s_on_hello(self, keyed, &rid, env->hello);
            zmq_msg_close(&rid);
            gn_codec_free_envelope(&env);
            continue;
        }
        link_t *link = s_child_of(self, keyed, &rid);
        if (!link || !link->live || !s_same_connection(link, &rid)) {
            //  No session on this connection (we restarted, timed it out, or
            //  the child reconnected): ask for HELLO, on this connection only.
            link_t tmp = { .peer = keyed, .is_parent = false };
            size_t rlen = zmq_msg_size(&rid);
            if (rlen > 0 && rlen <= sizeof tmp.rid) {
                memcpy(tmp.rid, zmq_msg_data(&rid), rlen);
                tmp.rid_len = rlen;
                s_send_reject(self, &tmp, 0, 0, GRIDNET__REJECT_REASON__RJ_NEED_HELLO,
                              "say HELLO first");
            }
        }
        else {
            link->last_recv = s_now();
            switch (env->body_case) {
            case GRIDNET__ENVELOPE__BODY_BATCH:
                s_on_batch(self, link, env->batch);
                break;
            case GRIDNET__ENVELOPE__BODY_ACK:
                s_on_ack(self, link, env->ack);
                break;
            case GRIDNET__ENVELOPE__BODY_PING:
                s_on_ping(self, link, env->ping);
                break;
            case GRIDNET__ENVELOPE__BODY_SNAPSHOT_REQ:
                s_on_snapshot_req(self, link, env->snapshot_req);
                break;
            case GRIDNET__ENVELOPE__BODY_REJECT:
                gn_metrics_reject(self->metrics, false, (int) env->reject->reason);
                s_link_error(link, "child refused op %012llu/%llu: reason %d",
                             (unsigned long long) env->reject->origin,
                             (unsigned long long) env->reject->seq, (int) env->reject->reason);
                break;
            default:
                s_link_error(link, "unexpected message %d", (int) env->body_case);
                break;
            }
        }
        zmq_msg_close(&rid);
        gn_codec_free_envelope(&env);
    }
}

// ---------------------------------------------------------------------------

void
gn_sync_tick(gn_sync_t *self, int64_t now)
{
    int64_t hb = self->cfg->heartbeat_ms;
    link_t *up = self->parent;
    if (up) {
        if (up->live && now - up->last_recv > 3 * hb) {
            s_link_error(up, "silent for %lld ms", (long long) (now - up->last_recv));
            s_budget_cut(up);
            up->live = false;
            up->hello_backoff = 0;
        }
        if (!up->live) {
            //  Retry fast at first (the connection may just be completing),
            //  then back off to one HELLO per heartbeat.
            if (now - up->hello_sent >= up->hello_backoff) {
                s_send_hello(self);
                up->hello_backoff = up->hello_backoff * 2 > hb ? hb
                                  : up->hello_backoff < 25 ? 25 : up->hello_backoff * 2;
            }
        }
        else if (up->held_at && now - up->held_at >= up->held_wait) {
            up->held_at = now;
            s_ask_resend(self, up, "retrying the parent's batch we could not apply");
        }
        else if (up->ninflight > 0 && now - up->last_progress > 10 * hb)
            s_parent_restart(self, "no ACK progress");   // a busy parent is not a lost one
        else if (up->snapping && now - up->snap_progress > 10 * hb) {
            s_link_error(up, "snapshot stalled after %llu chunks: asking again",
                         (unsigned long long) up->snap_got);
            up->snap_got = 0;
            up->snap_progress = now;
            s_snap_request(self, up, 0);
        }
        else if (now - up->last_send >= hb) {
            uint64_t head = 0;
            (void) gn_store_read(self->store, s_head_txn, &head);
            Gridnet__Ping ping = GRIDNET__PING__INIT;
            ping.time = zclock_time();
            ping.head = head;
            Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
            env.body_case = GRIDNET__ENVELOPE__BODY_PING;
            env.ping = &ping;
            s_send(self, up, &env);
        }
    }
    for (size_t i = 0; i < self->nchildren; i++) {
        link_t *link = self->children[i];
        if (link->live && now - link->last_recv > 3 * hb) {
            s_link_error(link, "silent for %lld ms", (long long) (now - link->last_recv));
            s_budget_cut(link);
            link->live = false;
        }
        if (link->live && link->held_at && now - link->held_at >= link->held_wait) {
            link->held_at = now;
            s_ask_resend(self, link, "send again after our cursor: we could not apply it");
        }
        if (link->live && link->ninflight > 0 && now - link->last_progress > 10 * hb) {
            s_link_error(link, "no ACK progress: resending after %llu",
                         (unsigned long long) link->acked);
            s_stream_reset(self, link, link->acked, link->window);
        }
    }
}

static Gridnet__LinkStatus *
s_link_status(const link_t *link, uint64_t head)
{
    Gridnet__LinkStatus *ls = malloc(sizeof *ls);
    if (!ls)
        return NULL;
    gridnet__link_status__init(ls);
    ls->peer = link->peer;
    ls->role = (char *) (link->is_parent ? "parent" : "child");
    ls->connected = link->live;
    ls->sent = link->sent;
    ls->acked = link->acked;
    ls->applied = link->applied;
    ls->peer_head = link->peer_head;
    ls->last_seen = link->last_recv ? zclock_time() - (s_now() - link->last_recv) : 0;
    //  Up: our backlog the parent has not confirmed. Down: the child's
    //  backlog we have not applied (as far as its last word tells).
    if (link->is_parent) {
        ls->lag_ops = head > link->acked ? head - link->acked : 0;
        ls->lag_ms = ls->lag_ops ? s_now() - link->last_progress : 0;
    }
    else {
        ls->lag_ops = link->peer_head > link->applied ? link->peer_head - link->applied : 0;
        ls->lag_ms = ls->lag_ops && link->applied_at ? s_now() - link->applied_at : 0;
    }
    ls->last_error = strdup(link->last_error);
    if (!ls->last_error) {
        free(ls);
        return NULL;
    }
    return ls;
}

int
gn_sync_status(gn_sync_t *self, Gridnet__NodeStatus *st)
{
    size_t n = (self->parent ? 1 : 0) + self->nchildren;
    st->links = calloc(n ? n : 1, sizeof *st->links);
    st->n_links = 0;
    if (!st->links)
        return GN_ENOMEM;
    if (self->parent) {
        st->parent = self->parent->peer;
        if (!(st->links[st->n_links++] = s_link_status(self->parent, st->feed_head)))
            return GN_ENOMEM;
    }
    for (size_t i = 0; i < self->nchildren; i++)
        if (!(st->links[st->n_links++] = s_link_status(self->children[i], st->feed_head)))
            return GN_ENOMEM;
    return GN_OK;
}

void
gn_sync_status_free(Gridnet__NodeStatus *st)
{
    for (size_t i = 0; i < st->n_links; i++) {
        if (st->links[i])
            free(st->links[i]->last_error);
        free(st->links[i]);
    }
    free(st->links);
    st->links = NULL;
    st->n_links = 0;
}
