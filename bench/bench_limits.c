/*  bench_limits.c -- what this machine can do at all, measured raw: LMDB and
    ZeroMQ used directly (the only place the bench does so), and the memory
    floor of a process that holds an LMDB environment and ZeroMQ sockets.

    LMDB: default flags (no MDB_NOSYNC / MDB_NOMETASYNC / MDB_WRITEMAP), so
    every commit is durable (fdatasync) exactly as the node's store commits.
    Keys are 16-byte big-endian sequence numbers, values 256 bytes: a case's
    feed, op and index records are appended in key order the same way.

    ZeroMQ: one DEALER -> one ROUTER over tcp://127.0.0.1, 300-byte messages,
    the receiver in its own thread (the node's I/O threads are separate too).  */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define KEY_BYTES   16
#define VAL_BYTES   256
#define BATCH_PUTS  1000
#define MSG_BYTES   300
#define WARMUP      50          // commits / round trips not counted

static void
s_mdb(int rc, const char *what)
{
    if (rc != 0)
        bn_die("lmdb %s: %s", what, mdb_strerror(rc));
}

static void
s_key(uint8_t key[KEY_BYTES], uint64_t n)
{
    memset(key, 0, KEY_BYTES);
    for (int i = 0; i < 8; i++)
        key[8 + i] = (uint8_t) (n >> (56 - 8 * i));
}

static void
s_put(MDB_txn *txn, MDB_dbi dbi, uint64_t n, uint8_t *val)
{
    uint8_t key[KEY_BYTES];
    s_key(key, n);
    memcpy(val, &n, sizeof n);
    MDB_val k = { .mv_size = KEY_BYTES, .mv_data = key };
    MDB_val v = { .mv_size = VAL_BYTES, .mv_data = val };
    s_mdb(mdb_put(txn, dbi, &k, &v, 0), "put");
}

void
bn_limits_lmdb(const char *dir, int singles, int batches, bn_limits_t *out)
{
    if (mkdir(dir, 0700) != 0)
        bn_die("mkdir %s: %s", dir, strerror(errno));
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    s_mdb(mdb_env_create(&env), "env_create");
    s_mdb(mdb_env_set_mapsize(env, (size_t) 1 << 30), "set_mapsize");
    s_mdb(mdb_env_open(env, dir, 0, 0600), "env_open");
    s_mdb(mdb_txn_begin(env, NULL, 0, &txn), "txn_begin");
    s_mdb(mdb_dbi_open(txn, NULL, 0, &dbi), "dbi_open");
    s_mdb(mdb_txn_commit(txn), "commit");

    uint8_t val[VAL_BYTES];
    memset(val, 0x5a, sizeof val);
    double *lat = malloc((size_t) singles * sizeof *lat);
    if (!lat)
        bn_die("out of memory");
    uint64_t n = 0;
    for (int i = -WARMUP; i < singles; i++) {
        bn_check_interrupt();
        int64_t t0 = bn_now_ns();
        s_mdb(mdb_txn_begin(env, NULL, 0, &txn), "txn_begin");
        s_put(txn, dbi, ++n, val);
        s_mdb(mdb_txn_commit(txn), "commit");
        if (i >= 0)
            lat[i] = (double) (bn_now_ns() - t0) / 1e3;
    }
    out->commit_p50_us = bn_quantile(lat, (size_t) singles, 0.50);
    out->commit_p99_us = bn_quantile(lat, (size_t) singles, 0.99);
    free(lat);

    int64_t t0 = bn_now_ns();
    for (int b = 0; b < batches; b++) {
        bn_check_interrupt();
        s_mdb(mdb_txn_begin(env, NULL, 0, &txn), "txn_begin");
        for (int i = 0; i < BATCH_PUTS; i++)
            s_put(txn, dbi, ++n, val);
        s_mdb(mdb_txn_commit(txn), "commit");
    }
    double secs = (double) (bn_now_ns() - t0) / 1e9;
    out->batch_puts_s = (double) batches * BATCH_PUTS / secs;
    mdb_env_close(env);
    if (bn_rmtree(dir) != 0)
        bn_die("cannot remove %s", dir);
}

// ---- ZeroMQ ----

typedef struct {
    void *router;               // bound by the main thread, used only here
    int msgs;                   // messages of the rate test
    int rtts;                   // round trips (warm-up included)
    char error[128];            // set if the thread failed
} echo_t;

//  Receive one [routing id][body] message into rid/body. 0 or -1.
static int
s_recv2(void *sock, zmq_msg_t *rid, zmq_msg_t *body)
{
    if (zmq_msg_recv(rid, sock, 0) < 0 || !zmq_msg_more(rid))
        return -1;
    if (zmq_msg_recv(body, sock, 0) < 0 || zmq_msg_more(body))
        return -1;
    return 0;
}

//  Send [rid][data] back. 0 or -1.
static int
s_send2(void *sock, zmq_msg_t *rid, const void *data, size_t len)
{
    if (zmq_send(sock, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE) < 0)
        return -1;
    return zmq_send(sock, data, len, 0) == (int) len ? 0 : -1;
}

static void *
s_echo_thread(void *arg)
{
    echo_t *e = arg;
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    //  Rate: "hi" -> "ok", then msgs messages, then "done".
    if (s_recv2(e->router, &rid, &body) != 0 || s_send2(e->router, &rid, "ok", 2) != 0) {
        snprintf(e->error, sizeof e->error, "handshake: %s", zmq_strerror(errno));
        goto done;
    }
    for (int i = 0; i < e->msgs; i++) {
        if (s_recv2(e->router, &rid, &body) != 0 || zmq_msg_size(&body) != MSG_BYTES) {
            snprintf(e->error, sizeof e->error, "rate message %d: %s", i, zmq_strerror(errno));
            goto done;
        }
    }
    if (s_send2(e->router, &rid, "done", 4) != 0) {
        snprintf(e->error, sizeof e->error, "done: %s", zmq_strerror(errno));
        goto done;
    }
    //  Round trips: echo each message.
    for (int i = 0; i < e->rtts; i++) {
        if (s_recv2(e->router, &rid, &body) != 0
            || s_send2(e->router, &rid, zmq_msg_data(&body), zmq_msg_size(&body)) != 0) {
            snprintf(e->error, sizeof e->error, "echo %d: %s", i, zmq_strerror(errno));
            goto done;
        }
    }
done:
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
    return NULL;
}

//  Receive one frame of at most len bytes on the DEALER; dies on timeout.
static int
s_recv_dealer(void *dealer, void *buf, size_t len, const echo_t *e, const char *what)
{
    int n;
    while ((n = zmq_recv(dealer, buf, len, 0)) < 0 && errno == EINTR)
        bn_check_interrupt();
    if (n < 0)
        bn_die("zmq %s: %s%s%s", what, zmq_strerror(errno), e->error[0] ? "; echo thread: " : "",
               e->error);
    return n;
}

void
bn_limits_zmq(int msgs, int rtts, bn_limits_t *out)
{
    void *ctx = zmq_ctx_new();
    if (!ctx)
        bn_die("zmq_ctx_new: %s", zmq_strerror(errno));
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    if (!router || !dealer)
        bn_die("zmq_socket: %s", zmq_strerror(errno));
    int zero = 0, timeout = 10000;
    char ep[256];
    size_t eplen = sizeof ep;
    if (zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero) != 0
        || zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero) != 0
        || zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0
        || zmq_setsockopt(dealer, ZMQ_SNDTIMEO, &timeout, sizeof timeout) != 0
        || zmq_bind(router, "tcp://127.0.0.1:*") != 0
        || zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &eplen) != 0
        || zmq_connect(dealer, ep) != 0)
        bn_die("zmq setup: %s", zmq_strerror(errno));

    echo_t e = { .router = router, .msgs = msgs, .rtts = rtts + WARMUP };
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, s_echo_thread, &e);
    if (rc != 0)
        bn_die("pthread_create: %s", strerror(rc));

    char buf[MSG_BYTES], in[MSG_BYTES];
    memset(buf, 0x33, sizeof buf);
    if (zmq_send(dealer, "hi", 2, 0) != 2)
        bn_die("zmq send: %s", zmq_strerror(errno));
    s_recv_dealer(dealer, in, sizeof in, &e, "handshake");
    int64_t t0 = bn_now_ns();
    for (int i = 0; i < msgs; i++)
        if (zmq_send(dealer, buf, MSG_BYTES, 0) != MSG_BYTES)
            bn_die("zmq send %d: %s", i, zmq_strerror(errno));
    if (s_recv_dealer(dealer, in, sizeof in, &e, "rate end") != 4)
        bn_die("zmq rate: unexpected end message");
    out->zmq_msgs_s = (double) msgs / ((double) (bn_now_ns() - t0) / 1e9);

    double *lat = malloc((size_t) rtts * sizeof *lat);
    if (!lat)
        bn_die("out of memory");
    for (int i = -WARMUP; i < rtts; i++) {
        int64_t t1 = bn_now_ns();
        if (zmq_send(dealer, buf, MSG_BYTES, 0) != MSG_BYTES)
            bn_die("zmq send: %s", zmq_strerror(errno));
        if (s_recv_dealer(dealer, in, sizeof in, &e, "round trip") != MSG_BYTES)
            bn_die("zmq round trip: short echo");
        if (i >= 0)
            lat[i] = (double) (bn_now_ns() - t1) / 1e3;
    }
    out->rtt_p50_us = bn_quantile(lat, (size_t) rtts, 0.50);
    out->rtt_p99_us = bn_quantile(lat, (size_t) rtts, 0.99);
    free(lat);

    rc = pthread_join(thread, NULL);
    if (rc != 0)
        bn_die("pthread_join: %s", strerror(rc));
    if (e.error[0])
        bn_die("zmq echo thread: %s", e.error);
    if (zmq_close(dealer) != 0 || zmq_close(router) != 0 || zmq_ctx_term(ctx) != 0)
        bn_die("zmq teardown: %s", zmq_strerror(errno));
}

// ---- the RSS floor ----

//  The child: an LMDB environment opened like the node's store (11 named
//  databases, MDB_NOTLS, 64 MiB map), a ZeroMQ context with a ROUTER and a PUB
//  bound and a DEALER, nothing else. Says "ready" on stdout, then waits for
//  stdin to close.
int
bn_floor_main(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return 1;
    if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 11) != 0
        || mdb_env_set_mapsize(env, (size_t) 64 << 20) != 0
        || mdb_env_open(env, dir, MDB_NOTLS, 0600) != 0
        || mdb_txn_begin(env, NULL, 0, &txn) != 0)
        return 1;
    char name[16];
    for (int i = 0; i < 11; i++) {
        snprintf(name, sizeof name, "db%d", i);
        if (mdb_dbi_open(txn, name, MDB_CREATE, &dbi) != 0)
            return 1;
    }
    if (mdb_txn_commit(txn) != 0)
        return 1;
    void *ctx = zmq_ctx_new();
    void *router = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    void *pub = ctx ? zmq_socket(ctx, ZMQ_PUB) : NULL;
    void *dealer = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    if (!router || !pub || !dealer || zmq_bind(router, "tcp://127.0.0.1:*") != 0
        || zmq_bind(pub, "tcp://127.0.0.1:*") != 0)
        return 1;
    if (write(STDOUT_FILENO, "ready\n", 6) != 6)
        return 1;
    char c;
    while (read(STDIN_FILENO, &c, 1) > 0)
        ;
    int zero = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_close(dealer) != 0 || zmq_close(router) != 0 || zmq_close(pub) != 0
        || zmq_ctx_term(ctx) != 0)
        return 1;
    mdb_env_close(env);
    return 0;
}

void
bn_limits_floor(const char *self_exe, const char *dir, bn_limits_t *out)
{
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0)
        bn_die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        bn_die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(to_child[0], STDIN_FILENO) < 0 || dup2(from_child[1], STDOUT_FILENO) < 0)
            _exit(126);
        execl(self_exe, "gn-bench", "--floor", dir, (char *) NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    char buf[8] = "";
    ssize_t n;
    while ((n = read(from_child[0], buf, 6)) < 0 && errno == EINTR)
        ;
    if (n != 6 || memcmp(buf, "ready\n", 6) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        bn_die("the RSS floor process did not start");
    }
    bn_sleep_ms(200);
    if (bn_rss_kb(pid, &out->floor_rss_kb, NULL) != 0)
        bn_die("cannot read the RSS of pid %d", (int) pid);
    close(to_child[1]);
    close(from_child[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            bn_die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bn_die("the RSS floor process failed (status %d)", status);
    if (bn_rmtree(dir) != 0)
        bn_die("cannot remove %s", dir);
}
