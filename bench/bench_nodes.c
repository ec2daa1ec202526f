/*  bench_nodes.c -- the real daemons from the build's bin/, each with a
    generated config and its own data dir under the run's temp dir, like
    tests/lib.sh does. Every socket binds tcp://127.0.0.1:![LO-HI] (a random
    port below the kernel's ephemeral range, for the reason tests/lib.sh
    gives); a restart with pin binds the same ports again so the children
    and clients find the node where it was.

    Whatever is still running when the bench exits (a failure, ^C) is killed
    with SIGKILL by the exit handler.  */
#define _GNU_SOURCE
#include "bench.h"
#include "client.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODES_MAX   32
#define READY_MS    15000       // a daemon writes <data>/endpoints within this
#define STOP_MS     20000       // and exits within this after SIGTERM
#define CALL_MS     10000       // deadline of a status call

static bn_node_t s_nodes[NODES_MAX];
static gn_client_t *s_clients[NODES_MAX];   // status client of each node, lazily
static int s_nnodes;
static char s_bindir[PATH_MAX];
#define WRAP_ARGS   16
typedef struct {
    char level[16];
    char text[512];             // the command, split in place at spaces
    char *argv[WRAP_ARGS];
    int argc;
} wrap_t;
static wrap_t s_wraps[3];
static int s_nwraps;

//  tcp://127.0.0.1:![LO-HI] with LO-HI out of ip_local_port_range, as tests/lib.sh picks it.
static const char *
s_any_port(void)
{
    static char ep[64];
    if (ep[0])
        return ep;
    unsigned lo = 32768, hi = 60999, from = 10000, to = 32767;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2)
            lo = 32768, hi = 60999;
        fclose(f);
    }
    if (lo > 12000)
        to = lo - 1;
    else if (hi < 63000)
        from = hi + 1, to = 65535;
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:![%u-%u]", from, to);
    return ep;
}

static void
s_nodes_cleanup(void)
{
    for (int i = 0; i < s_nnodes; i++) {
        gn_client_destroy(&s_clients[i]);
        if (s_nodes[i].pid > 0) {
            kill(s_nodes[i].pid, SIGKILL);
            waitpid(s_nodes[i].pid, NULL, 0);
            s_nodes[i].pid = 0;
        }
    }
}

void
bn_nodes_init(const char *bindir)
{
    int n = snprintf(s_bindir, sizeof s_bindir, "%s", bindir);
    if (n < 0 || (size_t) n >= sizeof s_bindir)
        bn_die("bin dir too long");
    const char *levels[] = { "village", "town", "district" };
    for (int i = 0; i < 3; i++) {
        char exe[PATH_MAX + 32];
        snprintf(exe, sizeof exe, "%s/gridnet-%s", s_bindir, levels[i]);
        if (access(exe, X_OK) != 0)
            bn_die("%s: %s (build first, or pass --bin DIR)", exe, strerror(errno));
    }
    bn_at_cleanup(s_nodes_cleanup);
}

void
bn_nodes_wrap(const char *level, const char *cmd)
{
    if (s_nwraps == 3)
        bn_die("--wrap: at most one wrapper per level");
    if (strcmp(level, "village") != 0 && strcmp(level, "town") != 0
        && strcmp(level, "district") != 0)
        bn_die("--wrap: no level '%s' (village, town, district)", level);
    wrap_t *w = &s_wraps[s_nwraps++];
    snprintf(w->level, sizeof w->level, "%s", level);
    if (snprintf(w->text, sizeof w->text, "%s", cmd) >= (int) sizeof w->text)
        bn_die("--wrap: command too long");
    char *save = NULL;
    for (char *tok = strtok_r(w->text, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (w->argc == WRAP_ARGS)
            bn_die("--wrap: too many words");
        w->argv[w->argc++] = tok;
    }
    if (w->argc == 0)
        bn_die("--wrap: empty command");
}

static const wrap_t *
s_wrap_for(const char *level)
{
    for (int i = 0; i < s_nwraps && i < 3; i++)
        if (strcmp(s_wraps[i].level, level) == 0)
            return &s_wraps[i];
    return NULL;
}

static int
s_index(const bn_node_t *node)
{
    return (int) (node - s_nodes);
}

//  Make <tmp>/<tag> if it is not there yet.
static void
s_tag_dir(const char *tag)
{
    char dir[600];
    bn_path(dir, sizeof dir, tag);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        bn_die("mkdir %s: %s", dir, strerror(errno));
}

bn_node_t *
bn_node_new(const char *tag, const char *level, const char *code, const char *parent_sync)
{
    if (s_nnodes == NODES_MAX)
        bn_die("too many nodes");
    bn_node_t *node = &s_nodes[s_nnodes++];
    memset(node, 0, sizeof *node);
    snprintf(node->code, sizeof node->code, "%s", code);
    node->level = level;
    char name[64];
    s_tag_dir(tag);
    snprintf(name, sizeof name, "%s/%s", tag, code);
    bn_path(node->dir, sizeof node->dir, name);
    if (parent_sync)
        snprintf(node->parent, sizeof node->parent, "%s", parent_sync);
    if (mkdir(node->dir, 0700) != 0)
        bn_die("mkdir %s: %s", node->dir, strerror(errno));

    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/node.cfg", node->dir);
    FILE *f = fopen(cfg, "w");
    if (!f)
        bn_die("cannot write %s: %s", cfg, strerror(errno));
    fprintf(f, "node\n    id = %s\n    data = \"%s\"\n    log = info\n", code, node->dir);
    fprintf(f, "api\n    bind = \"%s\"\npub\n    bind = \"%s\"\n", s_any_port(), s_any_port());
    bool village = strcmp(level, "village") == 0;
    if (!village || node->parent[0]) {
        fprintf(f, "sync\n");
        if (!village)
            fprintf(f, "    bind = \"%s\"\n", s_any_port());
        if (node->parent[0])
            fprintf(f, "    parent = \"%s\"\n", node->parent);
    }
    if (ferror(f) | (fclose(f) != 0))
        bn_die("cannot write %s", cfg);
    return node;
}

//  Copy the last lines of a daemon's log to stderr (before dying: the log
//  goes with the temp dir).
static void
s_log_tail(const bn_node_t *node)
{
    char path[600], buf[4096];
    snprintf(path, sizeof path, "%s/daemon.log", node->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    long from = 0;
    if (fseek(f, 0, SEEK_END) == 0 && (from = ftell(f)) > (long) sizeof buf - 1)
        from -= (long) sizeof buf - 1;
    else
        from = 0;
    size_t n = 0;
    if (fseek(f, from, SEEK_SET) == 0)
        n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *start = buf;
    int lines = 0;
    for (const char *p = buf + n; p > buf; p--)
        if (p[-1] == '\n' && p != buf + n && ++lines == 12) {
            start = p;
            break;
        }
    fprintf(stderr, "---- last lines of %s ----\n%s", path, start);
}

//  Read one key of <dir>/endpoints into out; dies if it is missing.
static void
s_endpoint(bn_node_t *node, const char *key, char *out, size_t len)
{
    int rc = gn_endpoints_read(node->dir, key, out, len);
    if (rc != 0)
        bn_die("%s: %s/endpoints has no %s: %s", node->code, node->dir, key, gn_strerror(rc));
}

void
bn_node_start(bn_node_t *node, bool pin)
{
    if (node->pid > 0)
        bn_die("%s is already running", node->code);
    char exe[PATH_MAX + 32], cfg[600], logf[600], ends[600];
    char pins[3][300];
    snprintf(exe, sizeof exe, "%s/gridnet-%s", s_bindir, node->level);
    snprintf(cfg, sizeof cfg, "%s/node.cfg", node->dir);
    snprintf(logf, sizeof logf, "%s/daemon.log", node->dir);
    snprintf(ends, sizeof ends, "%s/endpoints", node->dir);
    char *argv[WRAP_ARGS + 12 + 2 * (int) (sizeof node->sets / sizeof node->sets[0])];
    int argc = 0, ready_ms = READY_MS;
    const wrap_t *wrap = s_wrap_for(node->level);
    if (wrap) {
        for (int j = 0; j < wrap->argc && j < WRAP_ARGS; j++)
            argv[argc++] = wrap->argv[j];
        ready_ms = 8 * READY_MS;        // a profiler is slow to start
    }
    argv[argc++] = exe;
    argv[argc++] = "-c";
    argv[argc++] = cfg;
    if (pin) {
        snprintf(pins[0], sizeof pins[0], "api/bind=%s", node->api);
        snprintf(pins[1], sizeof pins[1], "pub/bind=%s", node->pub);
        snprintf(pins[2], sizeof pins[2], "sync/bind=%s", node->sync);
        for (int i = 0; i < (node->sync[0] ? 3 : 2); i++) {
            argv[argc++] = "-s";
            argv[argc++] = pins[i];
        }
    }
    for (int i = 0; i < node->nsets; i++) {
        argv[argc++] = "-s";
        argv[argc++] = node->sets[i];
    }
    argv[argc] = NULL;
    if (unlink(ends) != 0 && errno != ENOENT)
        bn_die("unlink %s: %s", ends, strerror(errno));

    int log = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || null < 0)
        bn_die("open %s: %s", logf, strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        bn_die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(null, STDIN_FILENO) < 0 || dup2(log, STDOUT_FILENO) < 0
            || dup2(log, STDERR_FILENO) < 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(log);
    close(null);
    node->pid = pid;

    int64_t deadline = bn_now_ns() + (int64_t) ready_ms * 1000000;
    char buf[256];
    while (gn_endpoints_read(node->dir, "api", buf, sizeof buf) != 0) {
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            node->pid = 0;
            s_log_tail(node);
            bn_die("gridnet-%s %s exited (status %d) before it was ready; see %s",
                   node->level, node->code, status, logf);
        }
        if (w < 0)
            bn_die("waitpid: %s", strerror(errno));
        if (bn_now_ns() > deadline) {
            s_log_tail(node);
            bn_die("gridnet-%s %s wrote no %s within %d ms", node->level, node->code, ends,
                   ready_ms);
        }
        bn_sleep_ms(10);
    }
    s_endpoint(node, "api", node->api, sizeof node->api);
    s_endpoint(node, "pub", node->pub, sizeof node->pub);
    if (strcmp(node->level, "village") != 0)
        s_endpoint(node, "sync", node->sync, sizeof node->sync);
    s_endpoint(node, "pid", buf, sizeof buf);
    if (strtol(buf, NULL, 10) != (long) pid)
        bn_die("%s/endpoints says pid %s, but the daemon started is %d", node->dir, buf,
               (int) pid);
}

void
bn_node_stop(bn_node_t *node)
{
    if (node->pid <= 0)
        bn_die("%s is not running", node->code);
    gn_client_destroy(&s_clients[s_index(node)]);
    if (kill(node->pid, SIGTERM) != 0)
        bn_die("kill %d: %s", (int) node->pid, strerror(errno));
    int64_t deadline = bn_now_ns() + (int64_t) STOP_MS * 1000000;
    int status;
    while (true) {
        pid_t w = waitpid(node->pid, &status, WNOHANG);
        if (w == node->pid)
            break;
        if (w < 0)
            bn_die("waitpid: %s", strerror(errno));
        if (bn_now_ns() > deadline)
            bn_die("%s (pid %d) still running %d ms after SIGTERM", node->code,
                   (int) node->pid, STOP_MS);
        bn_sleep_ms(10);
    }
    node->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bn_die("%s exited with status %d after SIGTERM (expected exit 0); see %s/daemon.log",
               node->code, status, node->dir);
}

void
bn_node_kill(bn_node_t *node)
{
    if (node->pid <= 0)
        bn_die("%s is not running", node->code);
    gn_client_destroy(&s_clients[s_index(node)]);
    if (kill(node->pid, SIGKILL) != 0)
        bn_die("kill %d: %s", (int) node->pid, strerror(errno));
    while (waitpid(node->pid, NULL, 0) < 0)
        if (errno != EINTR)
            bn_die("waitpid: %s", strerror(errno));
    node->pid = 0;
}

void
bn_node_set(bn_node_t *node, const char *key, const char *value)
{
    size_t klen = strlen(key);
    int i = 0;
    while (i < node->nsets
           && !(strncmp(node->sets[i], key, klen) == 0 && node->sets[i][klen] == '='))
        i++;
    if (i == (int) (sizeof node->sets / sizeof node->sets[0]))
        bn_die("%s: too many settings", node->code);
    if (snprintf(node->sets[i], sizeof node->sets[i], "%s=%s", key, value)
        >= (int) sizeof node->sets[i])
        bn_die("%s: setting %s too long", node->code, key);
    if (i == node->nsets)
        node->nsets++;
}

long
bn_node_rss(bn_node_t *node, long *anon)
{
    long rss;
    if (node->pid <= 0 || bn_rss_kb(node->pid, &rss, anon) != 0)
        bn_die("cannot read the RSS of %s (pid %d)", node->code, (int) node->pid);
    return rss;
}

//  One API call to a node; dies unless it replies code 0 with body want.
static gn_api_reply_t *
s_call(bn_node_t *node, gn_api_request_t *req, Gridnet__ApiReply__BodyCase want,
       const char *what)
{
    gn_client_t **client = &s_clients[s_index(node)];
    if (!*client && !(*client = gn_client_new(node->api, CALL_MS)))
        bn_die("cannot create a client for %s", node->api);
    gn_api_reply_t *reply = NULL;
    int rc = gn_client_call(*client, req, &reply);
    if (rc != 0)
        bn_die("%s of %s: %s", what, node->code, gn_strerror(rc));
    if (reply->code != 0 || reply->body_case != want) {
        int code = reply->code;
        gn_codec_free_reply(&reply);
        bn_die("%s of %s: refused (%d)", what, node->code, code);
    }
    return reply;
}

void
bn_node_status(bn_node_t *node, bn_status_t *st)
{
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    Gridnet__StatusReq status = GRIDNET__STATUS_REQ__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_STATUS;
    req.status = &status;
    gn_api_reply_t *reply = s_call(node, &req, GRIDNET__API_REPLY__BODY_STATUS, "status");
    if (!reply->status) {
        gn_codec_free_reply(&reply);
        bn_die("status of %s: an empty reply", node->code);
    }
    st->feed_head = reply->status->feed_head;
    st->cases = reply->status->cases;
    st->links_connected = 0;
    for (size_t i = 0; i < reply->status->n_links; i++)
        if (reply->status->links[i]->connected)
            st->links_connected++;
    gn_codec_free_reply(&reply);
}

static gn_api_reply_t *
s_digest(bn_node_t *node, uint64_t root)
{
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    Gridnet__DigestReq dr = GRIDNET__DIGEST_REQ__INIT;
    dr.root = root;
    req.body_case = GRIDNET__API_REQUEST__BODY_DIGEST;
    req.digest = &dr;
    gn_api_reply_t *reply = s_call(node, &req, GRIDNET__API_REPLY__BODY_DIGEST, "digest");
    if (!reply->digest) {
        gn_codec_free_reply(&reply);
        bn_die("digest of %s: an empty reply", node->code);
    }
    return reply;
}

static const Gridnet__DigestItem *
s_digest_find(const Gridnet__Digest *d, uint64_t origin)
{
    for (size_t i = 0; i < d->n_items; i++)
        if (d->items[i]->origin == origin)
            return d->items[i];
    return NULL;
}

static uint64_t
s_digest_ops(const Gridnet__Digest *d)
{
    uint64_t n = 0;
    for (size_t i = 0; i < d->n_items; i++)
        n += d->items[i]->count;
    return n;
}

bool
bn_digests_agree(bn_node_t *a, bn_node_t *b, uint64_t root, uint64_t *a_ops, uint64_t *b_ops,
                 int64_t *a_at, char *diff, size_t difflen)
{
    gn_api_reply_t *ra = s_digest(a, root);
    if (a_at)
        *a_at = bn_now_ns();
    gn_api_reply_t *rb = s_digest(b, root);
    const Gridnet__Digest *da = ra->digest, *db = rb->digest;
    *a_ops = s_digest_ops(da);
    *b_ops = s_digest_ops(db);
    bool agree = true;
    if (diff && difflen)
        diff[0] = 0;
    for (int side = 0; side < 2 && agree; side++) {
        const Gridnet__Digest *x = side ? db : da, *y = side ? da : db;
        for (size_t i = 0; i < x->n_items && agree; i++) {
            const Gridnet__DigestItem *p = x->items[i], *q = s_digest_find(y, p->origin);
            if (q && q->count == p->count && q->max_seq == p->max_seq
                && q->hash.len == p->hash.len
                && memcmp(q->hash.data, p->hash.data, p->hash.len) == 0)
                continue;
            agree = false;
            if (!diff || !difflen)
                break;
            const Gridnet__DigestItem *ia = side ? q : p, *ib = side ? p : q;
            snprintf(diff, difflen, "origin %012llu: %s %llu ops (max seq %llu), %s %llu ops "
                     "(max seq %llu)%s", (unsigned long long) p->origin, a->code,
                     (unsigned long long) (ia ? ia->count : 0),
                     (unsigned long long) (ia ? ia->max_seq : 0), b->code,
                     (unsigned long long) (ib ? ib->count : 0),
                     (unsigned long long) (ib ? ib->max_seq : 0),
                     ia && ib && ia->count == ib->count ? ": same count, other bytes" : "");
        }
    }
    gn_codec_free_reply(&ra);
    gn_codec_free_reply(&rb);
    return agree;
}

uint64_t
bn_nodes_cpu(void)
{
    uint64_t sum = 0, t;
    if (bn_cpu_proc(0, &t) != 0)
        bn_die("cannot read this process's CPU time");
    sum += t;
    for (int i = 0; i < s_nnodes; i++) {
        if (s_nodes[i].pid <= 0)
            continue;
        if (bn_cpu_proc(s_nodes[i].pid, &t) != 0)
            bn_die("cannot read the CPU time of %s (pid %d)", s_nodes[i].code,
                   (int) s_nodes[i].pid);
        sum += t;
    }
    return sum;
}

uint64_t
bn_node_cpu(bn_node_t *node)
{
    uint64_t t;
    if (node->pid <= 0 || bn_cpu_proc(node->pid, &t) != 0)
        bn_die("cannot read the CPU time of %s (pid %d)", node->code, (int) node->pid);
    return t;
}

void
bn_keygen(const char *tag, const char *code)
{
    char gridctl[PATH_MAX + 16], keys[600], registry[600], name[64];
    snprintf(gridctl, sizeof gridctl, "%s/gridctl", s_bindir);
    s_tag_dir(tag);
    snprintf(name, sizeof name, "%s/keys-%s", tag, code);
    bn_path(keys, sizeof keys, name);
    snprintf(name, sizeof name, "%s/registry", tag);
    bn_path(registry, sizeof registry, name);
    char pii[620];
    snprintf(pii, sizeof pii, "%s/pii_secret", registry);
    pii[strlen(pii) - strlen("registry/pii_secret")] = 0;
    strncat(pii, "pii_secret", sizeof pii - strlen(pii) - 1);
    char *argv[] = { gridctl, "keygen", "--dir", keys, "--node", (char *) code,
                     "--registry", registry, "--pii", pii, NULL };
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0)
        bn_die("open /dev/null: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        bn_die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
            _exit(126);
        execv(gridctl, argv);
        _exit(127);
    }
    close(null);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            bn_die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bn_die("%s keygen --node %s failed (status %d)", gridctl, code, status);
}
