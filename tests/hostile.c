/*  gn-hostile -- a hostile child of a town, over the town's real sync socket
    (tests/t_hostile.sh).

        gn-hostile ATTACK --sync ENDPOINT --keys DIR --node CODE --registry DIR
                   [--sibling CODE] [--api ENDPOINT] [--case ID] [--head N]
                   [--wait MS]
        gn-hostile digest --api ENDPOINT --root CODE

    The program holds a village's real key set (--keys, for node --node, as
    gn_keys_load reads it) and the registry (for the town's CURVE public key
    and the nodes' Ed25519 keys). It connects a DEALER to the town's sync
    endpoint as a CURVE client (like common/node.c and linksec.c), with
    routing id --node unless the attack says otherwise, and sends what the
    attack word says as raw frames (Envelopes packed with gn_codec_pack,
    messages built by hand):

        truncated       a valid HELLO, cut in half
        garbage         a few frames of random bytes (the first byte 0xff, so
                        that none of them parses by chance)
        oversized       one frame past GN_ENVELOPE_MAX: the town's MAXMSGSIZE
                        should drop the connection
        unknown-key     a fresh CURVE key the town has never heard of
        impostor        village A's keys, routing id and HELLO of sibling B
                        (--sibling); then routing id A with a HELLO for B
        forged-sibling  HELLO as A, then a BATCH of ops whose origin is B:
                        one the chain of B covers already (so only the scope
                        check stands in the way) and one past it
        forged-parent   HELLO as A, then a sealed-looking run of ops whose
                        origin is the town, the seal made with A's key
        forged-chain    HELLO as A, then a run of A's ops whose prev does
                        not follow A's chain as the town holds it, sealed
                        with A's real key
        bad-seal        HELLO as A, then a run of A's ops that follows the
                        chain the WELCOME gives (Welcome.chain, op_seq),
                        closed by a seal made with a freshly generated key
        replay          HELLO as A; a case's first history op (from the API
                        `show` of --case at --api, packed again exactly as
                        returned) in a BATCH (0, 1], then again at a fresh
                        feed seq right after the town's cursor
        dup-hello       two HELLOs in a row: both WELCOMEs must say the same
        old-cursor      HELLO, then BATCHes with an old from_seq, an empty
                        (0, 0], a backward one (from > to) and one past the
                        town's cursor (a gap)
        control         the positive control of bad-seal: the same run sealed
                        with A's REAL key. It is accepted and adds a case.
        signed-refdata  (extra) a run of A's, sealed with A's real key, that
                        holds a reference-data op: refused for scope
        overflow        (extra) an empty BATCH whose to_seq is 2^64-1

    For each attack it prints, one line each, what came back (WELCOME, ACK,
    REJECT and its reason, the town's BATCHes and PONGs, socket events), or
    "nothing" when the deadline (--wait, default 1500 ms) passed quietly.
    Where nothing is expected back it then probes the town with PINGs (on a
    fresh socket as A where the attack socket is not A's), to show the town
    still answers. Last line on stdout:

        gn-hostile ATTACK: welcome=W ack=A last_ack=C reject=R1,R2|- pong=P
                           batch=B disconnects=D probe=PONG|RJ_NEED_HELLO|none

    Exit 0 when the attack could be run (the verdict is the caller's), 1 when
    it could not (no keys, no WELCOME to build on, the API did not answer),
    2 on a usage error.

    `digest` prints the node's digest of a subtree (DigestReq), one line per
    origin: "ORIGIN COUNT MAX_SEQ HASH(hex)", so a script can compare it
    before and after.  */
#include "client.h"
#include "codec.h"
#include "crypto.h"
#include "err.h"
#include "ids.h"
#include "keys.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRACE_MS    250         // after the reply we waited for: trailing REJECTs
#define PROBE_MS    250         // between two probe PINGs
#define REJECTS_MAX 16          // reasons kept for the summary
#define ENTRIES_MAX 4           // ops in one hand-made batch

typedef enum { UNTIL_QUIET, UNTIL_WELCOME, UNTIL_ACK, UNTIL_PONG, UNTIL_ANY } until_t;

typedef struct {
    //  Options.
    const char *attack;
    const char *sync_ep;
    const char *keys_dir;
    const char *registry_dir;
    const char *api_ep;
    const char *case_id;
    uint64_t node;              // whose keys we hold (village A)
    uint64_t sibling;           // village B
    uint64_t parent;            // the town
    uint64_t head;              // the feed head our HELLO claims
    int wait_ms;
    //  Keys.
    gn_keys_t *keys;
    gn_registry_t *registry;
    const char *parent_key;     // the town's CURVE public key, Z85
    //  The session.
    zsock_t *sock;
    zactor_t *mon;
    //  What came back (over the whole run).
    int welcomes, acks, pongs, batches, disconnects, messages;
    uint64_t last_ack;
    uint64_t up_cursor, op_seq, case_n, town_head, store;
    uint8_t chain[GN_SHA256_LEN];
    bool has_chain;
    const char *rejects[REJECTS_MAX];
    int nrejects;
    const char *probe;
} hostile_t;

static int
s_usage(FILE *out)
{
    fprintf(out,
        "usage: gn-hostile ATTACK --sync ENDPOINT --keys DIR --node CODE --registry DIR\n"
        "                  [--sibling CODE] [--api ENDPOINT] [--case ID] [--head N] [--wait MS]\n"
        "       gn-hostile digest --api ENDPOINT --root CODE\n"
        "ATTACK: truncated garbage oversized unknown-key impostor forged-sibling forged-parent\n"
        "        forged-chain bad-seal replay dup-hello old-cursor control signed-refdata\n"
        "        overflow\n");
    return out == stdout ? 0 : 2;
}

static const char *
s_reason_name(int reason)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&gridnet__reject_reason__descriptor, reason);
    return v ? v->name : "RJ_?";
}

// ---------------------------------------------------------------------------
//  The socket.

static zsock_t *
s_socket(hostile_t *self, const char *rid, zcert_t *cert, zactor_t **mon)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock)
        return NULL;
    zsock_set_identity(sock, rid);
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 100);
    zsock_set_rcvhwm(sock, 1000);
    zsock_set_reconnect_ivl(sock, 100);
    zsock_set_reconnect_ivl_max(sock, 500);
    zcert_apply(cert, sock);
    zsock_set_curve_serverkey(sock, self->parent_key);
    *mon = zactor_new(zmonitor, sock);
    if (*mon) {
        zstr_sendx(*mon, "LISTEN", "ALL", NULL);
        zstr_sendx(*mon, "START", NULL);
        zsock_wait(*mon);
    }
    if (zsock_connect(sock, "%s", self->sync_ep) < 0) {
        fprintf(stderr, "gn-hostile: cannot connect to %s: %s\n", self->sync_ep,
                zmq_strerror(errno));
        zactor_destroy(mon);
        zsock_destroy(&sock);
    }
    return sock;
}

static int
s_open(hostile_t *self, uint64_t as, zcert_t *cert)
{
    char rid[GN_NODE_ID_MAX];
    snprintf(rid, sizeof rid, "%012llu", (unsigned long long) as);
    self->sock = s_socket(self, rid, cert ? cert : gn_keys_curve(self->keys), &self->mon);
    printf("  connect %s as routing id %s with the key of %s\n", self->sync_ep, rid,
           cert ? "nobody (fresh)" : "our village");
    return self->sock ? 0 : -1;
}

static void
s_close(hostile_t *self)
{
    zactor_destroy(&self->mon);
    zsock_destroy(&self->sock);
}

static int
s_send_raw(hostile_t *self, const void *buf, size_t len, const char *what)
{
    int rc = zmq_send(zsock_resolve(self->sock), buf, len, ZMQ_DONTWAIT);
    if (rc < 0)
        printf("  send %s (%zu bytes) failed: %s\n", what, len, zmq_strerror(errno));
    else
        printf("  sent %s (%zu bytes)\n", what, len);
    return rc < 0 ? -1 : 0;
}

static int
s_pack(Gridnet__Envelope *env, uint8_t **buf, size_t *len)
{
    int rc = gn_codec_pack(&env->base, GN_ENVELOPE_MAX, buf, len);
    if (rc != 0)
        fprintf(stderr, "gn-hostile: cannot pack: %s\n", gn_strerror(rc));
    return rc;
}

static int
s_send_env(hostile_t *self, Gridnet__Envelope *env, const char *what)
{
    uint8_t *buf;
    size_t len;
    if (s_pack(env, &buf, &len) != 0)
        return -1;
    int rc = s_send_raw(self, buf, len, what);
    free(buf);
    return rc;
}

static void
s_hello_init(hostile_t *self, Gridnet__Hello *hello, uint64_t node)
{
    gridnet__hello__init(hello);
    hello->node = node;
    hello->level = (uint32_t) gn_node_level(node);
    hello->incarnation = (uint64_t) zclock_time();
    hello->head = self->head;
    hello->down_cursor = 0;
    hello->credit = 8;
}

static int
s_send_hello(hostile_t *self, uint64_t node)
{
    Gridnet__Hello hello;
    s_hello_init(self, &hello, node);
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    char what[64];
    snprintf(what, sizeof what, "HELLO node %012llu head %llu", (unsigned long long) node,
             (unsigned long long) self->head);
    return s_send_env(self, &env, what);
}

static int
s_send_ping(hostile_t *self)
{
    Gridnet__Ping ping = GRIDNET__PING__INIT;
    ping.time = zclock_time();
    ping.head = self->head;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_PING;
    env.ping = &ping;
    return s_send_env(self, &env, "PING");
}

// ---------------------------------------------------------------------------
//  What comes back.

static void
s_on_event(hostile_t *self)
{
    zmsg_t *msg = zmsg_recv(self->mon);
    if (!msg)
        return;
    char *name = zmsg_popstr(msg);
    if (name && strcmp(name, "CONNECT_DELAYED") != 0 && strcmp(name, "CONNECT_RETRIED") != 0
        && strcmp(name, "CONNECTED") != 0)
        printf("  event %s\n", name);
    if (name && strcmp(name, "DISCONNECTED") == 0)
        self->disconnects++;
    free(name);
    zmsg_destroy(&msg);
}

//  One frame from the town. Returns the body case, 0 if unreadable.
static int
s_on_frame(hostile_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, zsock_resolve(self->sock), ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return 0;
    }
    int err;
    gn_envelope_t *env = gn_codec_unpack_envelope(zmq_msg_data(&msg), zmq_msg_size(&msg), &err);
    size_t size = zmq_msg_size(&msg);
    zmq_msg_close(&msg);
    self->messages++;
    if (!env) {
        printf("  recv unreadable frame (%zu bytes): %s\n", size, gn_strerror(err));
        return 0;
    }
    int body = (int) env->body_case;
    switch (env->body_case) {
    case GRIDNET__ENVELOPE__BODY_WELCOME: {
        const Gridnet__Welcome *wl = env->welcome;
        self->welcomes++;
        self->up_cursor = wl->up_cursor;
        self->op_seq = wl->op_seq;
        self->case_n = wl->case_n;
        self->town_head = wl->head;
        self->store = wl->store;
        self->has_chain = wl->chain.len == GN_SHA256_LEN;
        if (self->has_chain)
            memcpy(self->chain, wl->chain.data, GN_SHA256_LEN);
        printf("  recv WELCOME node %012llu up_cursor %llu op_seq %llu case_n %llu head %llu "
               "chain %s\n", (unsigned long long) wl->node, (unsigned long long) wl->up_cursor,
               (unsigned long long) wl->op_seq, (unsigned long long) wl->case_n,
               (unsigned long long) wl->head, self->has_chain ? "yes" : "no");
        break;
    }
    case GRIDNET__ENVELOPE__BODY_ACK:
        self->acks++;
        self->last_ack = env->ack->cursor;
        printf("  recv ACK cursor %llu\n", (unsigned long long) env->ack->cursor);
        break;
    case GRIDNET__ENVELOPE__BODY_REJECT: {
        const Gridnet__Reject *rj = env->reject;
        const char *name = s_reason_name((int) rj->reason);
        if (self->nrejects < REJECTS_MAX)
            self->rejects[self->nrejects++] = name;
        printf("  recv REJECT %s op %012llu/%llu%s%s\n", name, (unsigned long long) rj->origin,
               (unsigned long long) rj->seq, rj->detail && *rj->detail ? ": " : "",
               rj->detail ? rj->detail : "");
        break;
    }
    case GRIDNET__ENVELOPE__BODY_BATCH:
        self->batches++;
        printf("  recv BATCH (%llu, %llu] with %zu op(s)\n",
               (unsigned long long) env->batch->from_seq, (unsigned long long) env->batch->to_seq,
               env->batch->n_entries);
        for (size_t i = 0; i < env->batch->n_entries; i++) {
            const Gridnet__Entry *e = env->batch->entries[i];
            gn_op_t *op = gn_codec_unpack_op(e->op.data, e->op.len, &err);
            if (!op)
                continue;
            const ProtobufCEnumValue *act =
                protobuf_c_enum_descriptor_get_value(&gridnet__action__descriptor,
                                                     (int) op->action);
            printf("    op %012llu/%llu %s %s%s%s\n", (unsigned long long) op->origin,
                   (unsigned long long) op->seq, act ? act->name : "?",
                   op->case_id ? op->case_id : "", op->state && op->state->title ? " " : "",
                   op->state && op->state->title ? op->state->title : "");
            gn_codec_free_op(&op);
        }
        break;
    case GRIDNET__ENVELOPE__BODY_PONG:
        self->pongs++;
        printf("  recv PONG\n");
        break;
    default:
        printf("  recv message %d\n", body);
        break;
    }
    gn_codec_free_envelope(&env);
    return body;
}

//  Take what comes back for up to ms; with until other than UNTIL_QUIET
//  stop GRACE_MS after the first message of that kind. True if it came.
static bool
s_collect(hostile_t *self, until_t until, int ms)
{
    zpoller_t *poller = zpoller_new(self->sock, self->mon, NULL);
    if (!poller)
        return false;
    int64_t deadline = zclock_mono() + ms;
    int before = self->messages;
    bool got = false;
    for (;;) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            break;
        void *which = zpoller_wait(poller, (int) left);
        if (!which)
            break;
        if (which == self->mon) {
            s_on_event(self);
            continue;
        }
        int body;
        while ((body = s_on_frame(self)) != 0 || (zsock_events(self->sock) & ZMQ_POLLIN)) {
            bool hit = until == UNTIL_ANY
                    || (until == UNTIL_WELCOME && body == GRIDNET__ENVELOPE__BODY_WELCOME)
                    || (until == UNTIL_ACK && body == GRIDNET__ENVELOPE__BODY_ACK)
                    || (until == UNTIL_PONG && body == GRIDNET__ENVELOPE__BODY_PONG);
            if (hit && !got) {
                got = true;
                int64_t grace = zclock_mono() + GRACE_MS;
                if (grace < deadline)
                    deadline = grace;
            }
        }
    }
    zpoller_destroy(&poller);
    if (self->messages == before)
        printf("  nothing within %d ms\n", ms);
    return got;
}

//  PING until the town answers (PONG, or REJECT NEED_HELLO without a session).
static void
s_probe(hostile_t *self)
{
    int64_t deadline = zclock_mono() + 3 * self->wait_ms;
    int pongs = self->pongs, rejects = self->nrejects;
    self->probe = "none";
    printf("  probe: is the town still there?\n");
    while (zclock_mono() < deadline) {
        s_send_ping(self);
        s_collect(self, UNTIL_ANY, PROBE_MS);
        if (self->pongs > pongs) {
            self->probe = "PONG";
            break;
        }
        if (self->nrejects > rejects) {
            self->probe = self->rejects[self->nrejects - 1];
            self->nrejects = rejects;   // a probe's answer is not the attack's
            break;
        }
    }
    printf("  probe answered: %s\n", self->probe);
}

//  Probe from a fresh socket as our own village.
static void
s_probe_fresh(hostile_t *self)
{
    s_close(self);
    if (s_open(self, self->node, NULL) == 0)
        s_probe(self);
}

//  HELLO as our village and wait for the WELCOME. 0 if it came.
static int
s_welcome(hostile_t *self)
{
    int before = self->welcomes;
    s_send_hello(self, self->node);
    s_collect(self, UNTIL_WELCOME, 3 * self->wait_ms);
    if (self->welcomes == before) {
        fprintf(stderr, "gn-hostile: no WELCOME from the town: cannot go on\n");
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
//  Ops and batches, by hand.

typedef struct {
    uint64_t seq;               // our feed seq for it
    uint8_t *op;                // packed op (malloc'd)
    size_t len;
} entry_t;

typedef struct {
    entry_t e[ENTRIES_MAX];
    size_t n;
} run_t;

static void
s_run_free(run_t *run)
{
    for (size_t i = 0; i < run->n; i++)
        free(run->e[i].op);
    run->n = 0;
}

//  Pack op into the run (with the next feed seq) and, if chain is given,
//  advance it over the packed op.
static int
s_run_add(run_t *run, gn_op_t *op, uint64_t seq, uint8_t chain[GN_SHA256_LEN])
{
    if (run->n == ENTRIES_MAX)
        return GN_ETOOBIG;
    if (gn_codec_check_op(op) != 0) {
        fprintf(stderr, "gn-hostile: the op %012llu/%llu we built does not pass the codec\n",
                (unsigned long long) op->origin, (unsigned long long) op->seq);
        return GN_EMALFORMED;
    }
    entry_t *e = &run->e[run->n];
    int rc = gn_codec_pack(&op->base, GN_ENVELOPE_MAX / 2, &e->op, &e->len);
    if (rc != 0)
        return rc;
    e->seq = seq;
    run->n++;
    return chain ? gn_chain_next(chain, e->op, e->len, chain) : GN_OK;
}

//  A first report of case <origin>-<n>, as a village's workflow writes it.
static int
s_add_report(run_t *run, uint64_t feed_seq, uint64_t origin, uint64_t seq, uint64_t n,
             uint64_t village, const uint8_t prev[GN_SHA256_LEN], uint8_t chain[GN_SHA256_LEN],
             const char *title)
{
    char case_id[GN_CASE_ID_MAX], grid[GN_CASE_ID_MAX];
    gn_case_id_format(case_id, origin, n);
    snprintf(grid, sizeof grid, "%012llu-001", (unsigned long long) village);
    int64_t now = zclock_time();
    Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
    reporter.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
    reporter.id = (char *) "hostile";
    uint64_t trail[1] = { origin };
    gn_case_t c = GRIDNET__CASE__INIT;
    c.id = case_id;
    c.origin = origin;
    c.grid = grid;
    c.category = (char *) "治安隐患";
    c.title = (char *) title;
    c.description = (char *) "gn-hostile";
    c.reporter = &reporter;
    c.channel = GRIDNET__CHANNEL__CH_TERMINAL;
    c.severity = GRIDNET__SEVERITY__SEV_GENERAL;
    c.status = GRIDNET__STATUS__ST_REPORTED;
    c.owner = origin;
    c.epoch = 1;
    c.version = 1;
    c.created = now;
    c.updated = now;
    c.due_accept = now + 3600 * 1000;
    c.n_trail = 1;
    c.trail = trail;
    c.level = (uint32_t) gn_node_level(origin);
    gn_op_t op = GRIDNET__OP__INIT;
    op.origin = origin;
    op.seq = seq;
    op.case_id = case_id;
    op.version = 1;
    op.epoch = 1;
    op.action = GRIDNET__ACTION__ACT_REPORT;
    op.actor = (char *) "hostile";
    op.time = now;
    op.state = &c;
    op.prev.data = (uint8_t *) prev;
    op.prev.len = GN_SHA256_LEN;
    return s_run_add(run, &op, feed_seq, chain);
}

//  A reference-data op (only the district may write those).
static int
s_add_refdata(run_t *run, uint64_t feed_seq, uint64_t origin, uint64_t seq,
              const uint8_t prev[GN_SHA256_LEN], uint8_t chain[GN_SHA256_LEN])
{
    static const char value[] = "{\"role\":\"administrator\",\"node\":0}";
    gn_op_t op = GRIDNET__OP__INIT;
    op.origin = origin;
    op.seq = seq;
    op.action = GRIDNET__ACTION__ACT_REFDATA;
    op.actor = (char *) "hostile";
    op.time = zclock_time();
    op.ref_key = (char *) "staff/hostile";
    op.ref_value.data = (uint8_t *) value;
    op.ref_value.len = sizeof value - 1;
    op.prev.data = (uint8_t *) prev;
    op.prev.len = GN_SHA256_LEN;
    return s_run_add(run, &op, feed_seq, chain);
}

//  A seal of origin at seq over prev (the chain before it), signed by key.
static int
s_add_seal(run_t *run, uint64_t feed_seq, uint64_t origin, uint64_t seq,
           const uint8_t prev[GN_SHA256_LEN], uint8_t chain[GN_SHA256_LEN], gn_sigkey_t *key)
{
    uint8_t msg[12 + 16 + GN_SHA256_LEN], sig[GN_ED25519_SIGLEN];
    memcpy(msg, "gridnet-seal", 12);
    gn_put_be64(msg + 12, origin);
    gn_put_be64(msg + 20, seq);
    memcpy(msg + 28, prev, GN_SHA256_LEN);
    int rc = gn_sign(key, msg, sizeof msg, sig);
    if (rc != 0)
        return rc;
    gn_op_t op = GRIDNET__OP__INIT;
    op.origin = origin;
    op.seq = seq;
    op.action = GRIDNET__ACTION__ACT_SEAL;
    op.prev.data = (uint8_t *) prev;
    op.prev.len = GN_SHA256_LEN;
    op.sig.data = sig;
    op.sig.len = sizeof sig;
    return s_run_add(run, &op, feed_seq, chain);
}

static int
s_send_batch(hostile_t *self, uint64_t from, uint64_t to, const run_t *run, const char *what)
{
    Gridnet__Entry entries[ENTRIES_MAX], *ptrs[ENTRIES_MAX];
    for (size_t i = 0; i < run->n; i++) {
        gridnet__entry__init(&entries[i]);
        entries[i].seq = run->e[i].seq;
        entries[i].op.data = run->e[i].op;
        entries[i].op.len = run->e[i].len;
        ptrs[i] = &entries[i];
    }
    Gridnet__Batch batch = GRIDNET__BATCH__INIT;
    batch.from_seq = from;
    batch.to_seq = to;
    batch.n_entries = run->n;
    batch.entries = ptrs;
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_BATCH;
    env.batch = &batch;
    char label[160];
    snprintf(label, sizeof label, "BATCH (%llu, %llu] with %zu op(s): %s",
             (unsigned long long) from, (unsigned long long) to, run->n, what);
    return s_send_env(self, &env, label);
}

//  Send a batch right after the town's cursor and wait for its ACK.
static int
s_batch_at_cursor(hostile_t *self, run_t *run, const char *what)
{
    uint64_t from = self->up_cursor;
    uint64_t to = run->n ? run->e[run->n - 1].seq : from + 1;
    int rc = s_send_batch(self, from, to, run, what);
    s_collect(self, UNTIL_ACK, 3 * self->wait_ms);
    s_run_free(run);
    return rc;
}

// ---------------------------------------------------------------------------
//  The attacks.

static int
s_truncated(hostile_t *self)
{
    Gridnet__Hello hello;
    s_hello_init(self, &hello, self->node);
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    uint8_t *buf;
    size_t len;
    if (s_pack(&env, &buf, &len) != 0)
        return -1;
    s_send_raw(self, buf, len / 2, "a HELLO cut in half");
    free(buf);
    s_collect(self, UNTIL_QUIET, self->wait_ms);
    s_probe(self);
    return 0;
}

static int
s_garbage(hostile_t *self)
{
    for (int i = 0; i < 5; i++) {
        uint8_t buf[512];
        size_t len = 16 + (size_t) (i * 97);
        if (gn_random(buf, len) != 0)
            return -1;
        buf[0] = 0xff;      // wire type 7 does not exist: never a valid message by chance
        s_send_raw(self, buf, len, "random bytes");
    }
    s_collect(self, UNTIL_QUIET, self->wait_ms);
    s_probe(self);
    return 0;
}

static int
s_oversized(hostile_t *self)
{
    //  A HELLO first, so the connection is up and known before the big one.
    s_welcome(self);
    size_t len = GN_ENVELOPE_MAX + (64u << 10);
    uint8_t *buf = calloc(1, len);
    if (!buf)
        return -1;
    //  A Batch envelope header, then filler: it would unpack as far as it got.
    buf[0] = 0x1a;
    s_send_raw(self, buf, len, "a frame past GN_ENVELOPE_MAX");
    free(buf);
    s_collect(self, UNTIL_QUIET, self->wait_ms);
    s_probe(self);
    return 0;
}

static int
s_unknown_key(hostile_t *self)
{
    zcert_t *stranger = zcert_new();
    if (!stranger)
        return -1;
    s_close(self);
    int rc = s_open(self, self->node, stranger);
    if (rc == 0) {
        s_send_hello(self, self->node);
        s_collect(self, UNTIL_QUIET, self->wait_ms);
        s_probe_fresh(self);
    }
    zcert_destroy(&stranger);
    return rc;
}

static int
s_impostor(hostile_t *self)
{
    if (!self->sibling) {
        fprintf(stderr, "gn-hostile: impostor needs --sibling\n");
        return -1;
    }
    printf("  step 1: routing id and HELLO of the sibling, with our key\n");
    s_close(self);
    if (s_open(self, self->sibling, NULL) != 0)
        return -1;
    int messages = self->messages;
    s_send_hello(self, self->sibling);
    s_send_ping(self);
    s_collect(self, UNTIL_QUIET, self->wait_ms);
    if (self->messages > messages)
        printf("  NOTE: %d message(s) addressed to the sibling reached us\n",
               self->messages - messages);
    printf("  step 2: our own routing id, a HELLO for the sibling\n");
    s_close(self);
    if (s_open(self, self->node, NULL) != 0)
        return -1;
    s_send_hello(self, self->sibling);
    s_collect(self, UNTIL_QUIET, self->wait_ms);
    s_probe(self);
    return 0;
}

static int
s_forged_sibling(hostile_t *self)
{
    if (!self->sibling) {
        fprintf(stderr, "gn-hostile: forged-sibling needs --sibling\n");
        return -1;
    }
    if (s_welcome(self) != 0)
        return -1;
    uint8_t zeros[GN_SHA256_LEN] = { 0 }, junk[GN_SHA256_LEN];
    if (gn_random(junk, sizeof junk) != 0)
        return -1;
    run_t run = { .n = 0 };
    uint64_t f = self->up_cursor;
    //  Seq 1: the town's chain of the sibling covers it, so only the scope
    //  check stands between it and the store. Then one far past its chain.
    int rc = s_add_report(&run, f + 1, self->sibling, 1, 900001, self->sibling, zeros, NULL,
                          "HOSTILE forged sibling op")
          || s_add_report(&run, f + 2, self->sibling, 1000000, 900002, self->sibling, junk, NULL,
                          "HOSTILE forged sibling op");
    if (rc != 0) {
        s_run_free(&run);
        return -1;
    }
    s_batch_at_cursor(self, &run, "ops of the sibling's origin");
    return 0;
}

static int
s_forged_parent(hostile_t *self)
{
    if (s_welcome(self) != 0)
        return -1;
    //  A town with no ops of its own has a zero chain: this run follows it.
    uint8_t prev[GN_SHA256_LEN] = { 0 }, chain[GN_SHA256_LEN] = { 0 };
    run_t run = { .n = 0 };
    uint64_t f = self->up_cursor;
    int rc = s_add_report(&run, f + 1, self->parent, 1, 900001, self->node, prev, chain,
                          "HOSTILE forged town op");
    memcpy(prev, chain, sizeof prev);
    rc = rc || s_add_seal(&run, f + 2, self->parent, 2, prev, chain, gn_keys_sigkey(self->keys));
    if (rc != 0) {
        s_run_free(&run);
        return -1;
    }
    s_batch_at_cursor(self, &run, "a run of the town's origin, sealed with our key");
    return 0;
}

//  A run of our own origin after the WELCOME's op_seq: a first report of the
//  case after case_n (or, with refdata, a reference-data op), then a seal
//  signed by key. With bad_prev the first op does not follow the town's
//  chain.
static int
s_own_run(hostile_t *self, bool refdata, bool bad_prev, gn_sigkey_t *key, const char *title,
          const char *what)
{
    if (s_welcome(self) != 0)
        return -1;
    if (self->op_seq > 0 && !self->has_chain) {
        fprintf(stderr, "gn-hostile: the WELCOME carries no chain: cannot follow it\n");
        return -1;
    }
    uint8_t prev[GN_SHA256_LEN] = { 0 }, chain[GN_SHA256_LEN];
    if (self->has_chain)
        memcpy(prev, self->chain, sizeof prev);
    if (bad_prev && gn_random(prev, sizeof prev) != 0)
        return -1;
    memcpy(chain, prev, sizeof chain);
    run_t run = { .n = 0 };
    uint64_t f = self->up_cursor, s = self->op_seq;
    int rc = refdata ? s_add_refdata(&run, f + 1, self->node, s + 1, prev, chain)
                     : s_add_report(&run, f + 1, self->node, s + 1, self->case_n + 1,
                                    self->node, prev, chain, title);
    memcpy(prev, chain, sizeof prev);
    rc = rc || s_add_seal(&run, f + 2, self->node, s + 2, prev, chain, key);
    if (rc != 0) {
        s_run_free(&run);
        return -1;
    }
    printf("  our run: op %012llu/%llu then seal %012llu/%llu, after op_seq %llu\n",
           (unsigned long long) self->node, (unsigned long long) (s + 1),
           (unsigned long long) self->node, (unsigned long long) (s + 2),
           (unsigned long long) s);
    s_batch_at_cursor(self, &run, what);
    return 0;
}

static int
s_bad_seal(hostile_t *self)
{
    gn_sigkey_t *wrong = NULL;
    if (gn_sigkey_generate(&wrong) != 0)
        return -1;
    int rc = s_own_run(self, false, false, wrong, "HOSTILE bad seal",
                       "our ops, sealed with a fresh key");
    gn_sigkey_destroy(&wrong);
    return rc;
}

//  The first history op of --case, as the API returns it, packed again.
static int
s_fetch_op(hostile_t *self, uint8_t **buf, size_t *len)
{
    if (!self->api_ep || !self->case_id) {
        fprintf(stderr, "gn-hostile: replay needs --api and --case\n");
        return -1;
    }
    gn_client_t *client = gn_client_new(self->api_ep, 5000);
    if (!client)
        return -1;
    Gridnet__ShowReq show = GRIDNET__SHOW_REQ__INIT;
    show.case_id = (char *) self->case_id;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_SHOW;
    req.show = &show;
    gn_api_reply_t *reply = NULL;
    int rc = gn_client_call(client, &req, &reply);
    if (rc == 0 && (reply->code != 0 || reply->body_case != GRIDNET__API_REPLY__BODY_VIEW
                    || reply->view->n_history == 0))
        rc = reply->code ? reply->code : GN_ENOTFOUND;
    if (rc == 0) {
        gn_op_t *op = reply->view->history[0];
        printf("  replaying op %012llu/%llu (%s of %s)\n", (unsigned long long) op->origin,
               (unsigned long long) op->seq,
               protobuf_c_enum_descriptor_get_value(&gridnet__action__descriptor,
                                                    (int) op->action)->name,
               op->case_id ? op->case_id : "");
        rc = gn_codec_pack(&op->base, GN_ENVELOPE_MAX / 2, buf, len);
    }
    if (rc != 0)
        fprintf(stderr, "gn-hostile: show %s at %s: %s\n", self->case_id, self->api_ep,
                gn_strerror(rc));
    gn_codec_free_reply(&reply);
    gn_client_destroy(&client);
    return rc ? -1 : 0;
}

static int
s_replay(hostile_t *self)
{
    uint8_t *op;
    size_t len;
    if (s_fetch_op(self, &op, &len) != 0)
        return -1;
    if (s_welcome(self) != 0) {
        free(op);
        return -1;
    }
    run_t run = { .n = 1 };
    run.e[0] = (entry_t) { .seq = 1, .op = op, .len = len };
    //  As the brief has it: (0, 1], long since applied.
    s_send_batch(self, 0, 1, &run, "an applied op, at the start of our stream");
    s_collect(self, UNTIL_ACK, 3 * self->wait_ms);
    //  At a fresh feed seq: it passes the cursor and must be found a duplicate.
    run.e[0].seq = self->up_cursor + 1;
    s_batch_at_cursor(self, &run, "the same op at a fresh feed seq");
    return 0;
}

static int
s_dup_hello(hostile_t *self)
{
    if (s_welcome(self) != 0)
        return -1;
    uint64_t up = self->up_cursor, seq = self->op_seq, n = self->case_n;
    uint8_t chain[GN_SHA256_LEN];
    memcpy(chain, self->chain, sizeof chain);
    if (s_welcome(self) != 0)
        return -1;
    bool same = up == self->up_cursor && seq == self->op_seq && n == self->case_n
             && memcmp(chain, self->chain, sizeof chain) == 0;
    printf("  the two WELCOMEs %s\n", same ? "are the same" : "DIFFER");
    return 0;
}

static int
s_old_cursor(hostile_t *self)
{
    if (s_welcome(self) != 0)
        return -1;
    uint64_t up = self->up_cursor;
    run_t none = { .n = 0 };
    s_send_batch(self, up > 2 ? up - 2 : 0, up, &none, "an old from_seq");
    s_collect(self, UNTIL_ACK, 3 * self->wait_ms);
    s_send_batch(self, 0, 0, &none, "an empty (0, 0]");
    s_collect(self, UNTIL_ACK, 3 * self->wait_ms);
    s_send_batch(self, up + 1, up > 0 ? up - 1 : 0, &none, "from_seq past to_seq");
    //  Nothing comes back for that one: a PING behind it shows the town took
    //  it (in order) and keeps the session alive for the next.
    int pongs = self->pongs;
    s_send_ping(self);
    s_collect(self, UNTIL_PONG, 3 * self->wait_ms);
    if (self->pongs == pongs)
        printf("  no PONG after the backward batch\n");
    s_send_batch(self, up + 5, up + 6, &none, "past the town's cursor (a gap)");
    s_collect(self, UNTIL_ANY, 3 * self->wait_ms);
    return 0;
}

static int
s_overflow(hostile_t *self)
{
    if (s_welcome(self) != 0)
        return -1;
    run_t none = { .n = 0 };
    s_send_batch(self, self->up_cursor, UINT64_MAX, &none, "to_seq 2^64-1");
    s_collect(self, UNTIL_ACK, 3 * self->wait_ms);
    return 0;
}

// ---------------------------------------------------------------------------

static int
s_digest(const char *api, uint64_t root)
{
    gn_client_t *client = gn_client_new(api, 5000);
    if (!client)
        return 1;
    Gridnet__DigestReq dreq = GRIDNET__DIGEST_REQ__INIT;
    dreq.root = root;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_DIGEST;
    req.digest = &dreq;
    gn_api_reply_t *reply = NULL;
    int rc = gn_client_call(client, &req, &reply);
    if (rc == 0 && (reply->code != 0 || reply->body_case != GRIDNET__API_REPLY__BODY_DIGEST))
        rc = reply->code ? reply->code : GN_EMALFORMED;
    if (rc == 0)
        for (size_t i = 0; i < reply->digest->n_items; i++) {
            const Gridnet__DigestItem *it = reply->digest->items[i];
            printf("%012llu %llu %llu ", (unsigned long long) it->origin,
                   (unsigned long long) it->count, (unsigned long long) it->max_seq);
            for (size_t j = 0; j < it->hash.len; j++)
                printf("%02x", it->hash.data[j]);
            printf("\n");
        }
    else
        fprintf(stderr, "gn-hostile: digest at %s: %s\n", api, gn_strerror(rc));
    gn_codec_free_reply(&reply);
    gn_client_destroy(&client);
    return rc ? 1 : 0;
}

static int
s_node_opt(const char *text, uint64_t *node)
{
    if (gn_node_parse(text, node) != 0) {
        fprintf(stderr, "gn-hostile: '%s' is not a node code\n", text);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "sync", required_argument, NULL, 's' },
        { "keys", required_argument, NULL, 'k' },
        { "node", required_argument, NULL, 'n' },
        { "registry", required_argument, NULL, 'r' },
        { "sibling", required_argument, NULL, 'b' },
        { "api", required_argument, NULL, 'a' },
        { "case", required_argument, NULL, 'c' },
        { "head", required_argument, NULL, 'H' },
        { "wait", required_argument, NULL, 'w' },
        { "root", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    hostile_t self = { .wait_ms = 1500, .probe = "-" };
    uint64_t root = 0;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 's': self.sync_ep = optarg; break;
        case 'k': self.keys_dir = optarg; break;
        case 'n': if (s_node_opt(optarg, &self.node) != 0) return 2; break;
        case 'r': self.registry_dir = optarg; break;
        case 'b': if (s_node_opt(optarg, &self.sibling) != 0) return 2; break;
        case 'a': self.api_ep = optarg; break;
        case 'c': self.case_id = optarg; break;
        case 'H': self.head = strtoull(optarg, NULL, 10); break;
        case 'w': self.wait_ms = atoi(optarg); break;
        case 'R': if (s_node_opt(optarg, &root) != 0) return 2; break;
        case 'h': return s_usage(stdout);
        default: return s_usage(stderr);
        }
    }
    if (optind != argc - 1 || self.wait_ms < 10)
        return s_usage(stderr);
    self.attack = argv[optind];
    zsys_init();
    zsys_set_logstream(NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(self.attack, "digest") == 0)
        return self.api_ep && root ? s_digest(self.api_ep, root) : s_usage(stderr);

    static const struct {
        const char *name;
        int (*fn)(hostile_t *);
    } attacks[] = {
        { "truncated", s_truncated }, { "garbage", s_garbage }, { "oversized", s_oversized },
        { "unknown-key", s_unknown_key }, { "impostor", s_impostor },
        { "forged-sibling", s_forged_sibling }, { "forged-parent", s_forged_parent },
        { "forged-chain", NULL }, { "bad-seal", s_bad_seal }, { "replay", s_replay },
        { "dup-hello", s_dup_hello }, { "old-cursor", s_old_cursor }, { "control", NULL },
        { "signed-refdata", NULL }, { "overflow", s_overflow },
    };
    size_t which = sizeof attacks / sizeof attacks[0];
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
        if (strcmp(attacks[i].name, self.attack) == 0)
            which = i;
    if (which == sizeof attacks / sizeof attacks[0] || !self.sync_ep || !self.keys_dir
        || !self.node || !self.registry_dir)
        return s_usage(stderr);
    self.parent = gn_node_parent(self.node);
    int rc = gn_keys_load(&self.keys, self.keys_dir, self.node);
    if (rc != 0) {
        fprintf(stderr, "gn-hostile: keys of %012llu in %s: %s\n",
                (unsigned long long) self.node, self.keys_dir, gn_strerror(rc));
        return 1;
    }
    rc = gn_registry_load(&self.registry, self.registry_dir);
    if (rc == 0 && !(self.parent_key = gn_registry_curve_txt(self.registry, self.parent)))
        rc = GN_ENOTFOUND;
    if (rc != 0) {
        fprintf(stderr, "gn-hostile: the town %012llu in the registry %s: %s\n",
                (unsigned long long) self.parent, self.registry_dir, gn_strerror(rc));
        gn_keys_destroy(&self.keys);
        gn_registry_destroy(&self.registry);
        return 1;
    }
    printf("gn-hostile %s: village %012llu, town %012llu at %s\n", self.attack,
           (unsigned long long) self.node, (unsigned long long) self.parent, self.sync_ep);
    if (s_open(&self, self.node, NULL) != 0)
        rc = -1;
    else if (strcmp(self.attack, "forged-chain") == 0)
        rc = s_own_run(&self, false, true, gn_keys_sigkey(self.keys), "HOSTILE forged chain",
                       "our ops off the town's chain, sealed with our key");
    else if (strcmp(self.attack, "control") == 0)
        rc = s_own_run(&self, false, false, gn_keys_sigkey(self.keys), "HOSTILE control",
                       "our ops on the town's chain, sealed with our key");
    else if (strcmp(self.attack, "signed-refdata") == 0)
        rc = s_own_run(&self, true, false, gn_keys_sigkey(self.keys), NULL,
                       "a refdata op of ours, sealed with our key");
    else
        rc = attacks[which].fn(&self);
    s_close(&self);

    char rejects[REJECTS_MAX * 24] = "";
    for (int i = 0; i < self.nrejects; i++) {
        if (i)
            strcat(rejects, ",");
        strcat(rejects, self.rejects[i]);
    }
    printf("gn-hostile %s: welcome=%d ack=%d last_ack=%llu reject=%s pong=%d batch=%d "
           "disconnects=%d probe=%s\n", self.attack, self.welcomes, self.acks,
           (unsigned long long) self.last_ack, self.nrejects ? rejects : "-", self.pongs,
           self.batches, self.disconnects, self.probe);
    gn_registry_destroy(&self.registry);
    gn_keys_destroy(&self.keys);
    return rc == 0 ? 0 : 1;
}
