/*  gn-drive.c -- run batches of gridctl-style commands against the nodes of a
    deployment, fast: one process, one API connection per node and thread,
    no fork per command. Used by deploy/month.sh and deploy/replay.sh through
    deploy/drive-lib.sh (which falls back to gridctl when this is not built).

        gn-drive --dir DIR [-j THREADS] [--timeout MS] [--wait MS] < LINES > RESULTS

    LINES: KEY <TAB> NODE <TAB> COMMAND <TAB> ARG <TAB> ARG ...
      NODE is a data directory under DIR (DIR/NODE/endpoints names its API).
      COMMAND and its options are gridctl's, for the workflow subset:
        report --grid G --category C --title T [--description D]
               [--severity S] [--channel C] [--reporter-kind K] [--reporter-id X]
               [--reporter-name X] [--phone X] [--lat F] [--lon F] [--address X]
        accept|archive|escalate ID, dispatch ID [--to NODE] [--assignee DEPT],
        handle ID --note N [--evidence E], verify ID --pass|--fail,
        evaluate ID --rating R [--comment C], reject ID --note N
        [--duplicate-of ID], return ID --note N [--to NODE],
        supervise ID --note N [--due-in HOURS] [--urgency U]
      and on every one [--actor A] [--note N].
    RESULTS: KEY <TAB> EXIT <TAB> OUTPUT, one per line, in input order. EXIT
      as gridctl's (0 ok, 1 refused, 2 usage, 3 unreachable); OUTPUT is the
      new case id (report), "ID STATUS owner=NODE v=N" (actions) or the error.

    --wait MS: an action the node refuses because the case has not reached it
    yet (not found there, or owned elsewhere: a transfer still in flight) is
    tried again every 10-50 ms for up to MS, so a batch may follow a transfer
    at once; without it (0) it fails at once, like gridctl.

    The lines of one KEY run in input order on one thread (give every case
    its own key: its actions stay in order, while different cases, even at
    one node, run at once on several connections and share the node's group
    commits); the keys are dealt to the threads in order of first
    appearance.  */
#include "client.h"
#include "codec.h"
#include "err.h"

#include <czmq.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ARGS    64
#define OUT_MAX     512
#define THREADS_MAX 64

typedef struct {
    char *buf;                  // the line's text, cut into key, node and argv
    char *key, *node;
    int argc;
    char *argv[MAX_ARGS];       // the command and its arguments
    int worker;                 // thread that runs it
    int rc;
    char out[OUT_MAX];
} line_t;

typedef struct {
    const char *dir;
    int timeout_ms;
    int wait_ms;                // retry a case that has not arrived yet for this long
    line_t *lines;
    size_t n_lines;
    int id;                     // this worker
} worker_t;

static int
s_fail(line_t *l, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
s_fail(line_t *l, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->out, sizeof l->out, fmt, ap);
    va_end(ap);
    for (char *c = l->out; *c; c++)
        if (*c == '\t' || *c == '\n')
            *c = ' ';
    l->rc = rc;
    return rc;
}

//  Enum names as gridctl takes them.
static int
s_enum(const char *text, const char *const *names, int n)
{
    for (int i = 1; i < n; i++)
        if (names[i] && strcmp(names[i], text) == 0)
            return i;
    return -1;
}

static const char *const s_severities[] = { NULL, "general", "major", "emergency" };
static const char *const s_channels[] = { NULL, "terminal", "wechat", "app", "web", "hotline",
                                          "patrol", "sanguan" };
static const char *const s_kinds[] = { NULL, "grid_worker", "citizen", "department", "hotline" };
static const char *const s_status[] = { "?", "reported", "accepted", "dispatched", "handled",
                                        "verified", "archived", "evaluated", "rejected" };

static const struct {
    const char *name;
    int action;
} s_actions[] = {
    { "accept", GRIDNET__ACTION__ACT_ACCEPT }, { "dispatch", GRIDNET__ACTION__ACT_DISPATCH },
    { "handle", GRIDNET__ACTION__ACT_HANDLE }, { "verify", GRIDNET__ACTION__ACT_VERIFY },
    { "archive", GRIDNET__ACTION__ACT_ARCHIVE }, { "evaluate", GRIDNET__ACTION__ACT_EVALUATE },
    { "escalate", GRIDNET__ACTION__ACT_ESCALATE }, { "return", GRIDNET__ACTION__ACT_RETURN },
    { "reject", GRIDNET__ACTION__ACT_REJECT }, { "supervise", GRIDNET__ACTION__ACT_SUPERVISE },
};

//  Build the request of one line. 0, or the exit code with l->out set.
static int
s_build(line_t *l, gn_api_request_t *req, Gridnet__ReportReq *rep, Gridnet__Reporter *who,
        Gridnet__ActReq *act)
{
    const char *cmd = l->argv[0];
    bool report = strcmp(cmd, "report") == 0;
    int first = 1;
    if (report) {
        req->body_case = GRIDNET__API_REQUEST__BODY_REPORT;
        req->report = rep;
        rep->reporter = who;
    }
    else {
        size_t i;
        for (i = 0; i < sizeof s_actions / sizeof s_actions[0]; i++)
            if (strcmp(s_actions[i].name, cmd) == 0)
                break;
        if (i == sizeof s_actions / sizeof s_actions[0])
            return s_fail(l, 2, "unknown command '%s'", cmd);
        if (l->argc < 2)
            return s_fail(l, 2, "%s needs a case id", cmd);
        req->body_case = GRIDNET__API_REQUEST__BODY_ACT;
        req->act = act;
        act->action = s_actions[i].action;
        act->case_id = l->argv[1];
        first = 2;
    }
    for (int i = first; i < l->argc; i++) {
        const char *o = l->argv[i];
        //  flags without a value
        if (strcmp(o, "--pass") == 0) { act->ok = true; continue; }
        if (strcmp(o, "--fail") == 0) { act->ok = false; continue; }
        if (i + 1 >= l->argc)
            return s_fail(l, 2, "%s: %s needs a value", cmd, o);
        char *v = l->argv[++i];
        int e;
        if (strcmp(o, "--actor") == 0) { rep->actor = v; act->actor = v; }
        else if (strcmp(o, "--note") == 0) act->note = v;
        else if (report && strcmp(o, "--grid") == 0) rep->grid = v;
        else if (report && strcmp(o, "--category") == 0) rep->category = v;
        else if (report && strcmp(o, "--title") == 0) rep->title = v;
        else if (report && strcmp(o, "--description") == 0) rep->description = v;
        else if (report && strcmp(o, "--address") == 0) rep->address = v;
        else if (report && strcmp(o, "--lat") == 0) rep->lat = strtod(v, NULL);
        else if (report && strcmp(o, "--lon") == 0) rep->lon = strtod(v, NULL);
        else if (report && strcmp(o, "--reporter-id") == 0) who->id = v;
        else if (report && strcmp(o, "--reporter-name") == 0) who->name = v;
        else if (report && strcmp(o, "--phone") == 0) who->phone = v;
        else if (report && strcmp(o, "--severity") == 0) {
            if ((e = s_enum(v, s_severities, 4)) < 0)
                return s_fail(l, 2, "bad --severity '%s'", v);
            rep->severity = e;
        }
        else if (report && strcmp(o, "--channel") == 0) {
            if ((e = s_enum(v, s_channels, 8)) < 0)
                return s_fail(l, 2, "bad --channel '%s'", v);
            rep->channel = e;
        }
        else if (report && strcmp(o, "--reporter-kind") == 0) {
            if ((e = s_enum(v, s_kinds, 5)) < 0)
                return s_fail(l, 2, "bad --reporter-kind '%s'", v);
            who->kind = e;
        }
        else if (!report && (strcmp(o, "--to") == 0)) act->to = strtoull(v, NULL, 10);
        else if (!report && strcmp(o, "--assignee") == 0) act->assignee = v;
        else if (!report && strcmp(o, "--evidence") == 0) act->evidence = v;
        else if (!report && strcmp(o, "--rating") == 0) act->rating = (uint32_t) atoi(v);
        else if (!report && strcmp(o, "--comment") == 0) act->comment = v;
        else if (!report && strcmp(o, "--duplicate-of") == 0) act->duplicate_of = v;
        else if (!report && strcmp(o, "--urgency") == 0) act->urgency = (uint32_t) atoi(v);
        else if (!report && strcmp(o, "--due-in") == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            act->due = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000
                     + (int64_t) (strtod(v, NULL) * 3600000.0);
        }
        else
            return s_fail(l, 2, "%s: unknown option '%s'", cmd, o);
    }
    return 0;
}

//  Run one line on the client of its node (made on first use).
static void
s_run(worker_t *w, line_t *l, zhashx_t *clients)
{
    gn_client_t *client = zhashx_lookup(clients, l->node);
    if (!client) {
        char dir[4096], endpoint[512];
        snprintf(dir, sizeof dir, "%s/%s", w->dir, l->node);
        if (gn_endpoints_read(dir, "api", endpoint, sizeof endpoint) != 0) {
            s_fail(l, 3, "no endpoints file in %s", dir);
            return;
        }
        client = gn_client_new(endpoint, w->timeout_ms);
        if (!client) {
            s_fail(l, 3, "cannot connect to %s", endpoint);
            return;
        }
        zhashx_insert(clients, l->node, client);
    }
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    Gridnet__ReportReq rep = GRIDNET__REPORT_REQ__INIT;
    Gridnet__Reporter who = GRIDNET__REPORTER__INIT;
    Gridnet__ActReq act = GRIDNET__ACT_REQ__INIT;
    if (s_build(l, &req, &rep, &who, &act) != 0)
        return;
    gn_api_reply_t *reply = NULL;
    int64_t until = zclock_mono() + w->wait_ms, pause = 10;
    int rc;
    while ((rc = gn_client_call(client, &req, &reply)) == 0
           && (reply->code == GN_ENOTOWNER || reply->code == GN_ENOTFOUND)
           && req.body_case == GRIDNET__API_REQUEST__BODY_ACT && zclock_mono() < until) {
        gn_codec_free_reply(&reply);
        zclock_sleep((int) pause);
        pause = pause < 50 ? pause + 10 : 50;
    }
    if (rc != 0) {
        s_fail(l, rc == GN_ETIMEOUT || rc == GN_ENET || rc == GN_EMALFORMED ? 3 : 1, "%s",
               gn_strerror(rc));
        return;
    }
    if (reply->code != 0)
        s_fail(l, 1, "%s", reply->error && *reply->error ? reply->error : gn_strerror(reply->code));
    else if (req.body_case == GRIDNET__API_REQUEST__BODY_REPORT
             && reply->body_case == GRIDNET__API_REPLY__BODY_CASE_ID)
        s_fail(l, 0, "%s", reply->case_id);
    else if (reply->body_case == GRIDNET__API_REPLY__BODY_STATE && reply->state) {
        const gn_case_t *c = reply->state;
        s_fail(l, 0, "%s %s owner=%012llu v=%u", c->id,
               c->status >= 0 && c->status <= 8 ? s_status[c->status] : "?",
               (unsigned long long) c->owner, c->version);
    }
    else
        s_fail(l, 3, "reply without the expected body");
    gn_codec_free_reply(&reply);
}

static void
s_client_free(void **item)
{
    gn_client_destroy((gn_client_t **) item);
}

static void *
s_worker(void *arg)
{
    worker_t *w = arg;
    zhashx_t *clients = zhashx_new();
    zhashx_set_destructor(clients, s_client_free);
    for (size_t i = 0; i < w->n_lines; i++)
        if (w->lines[i].worker == w->id)
            s_run(w, &w->lines[i], clients);
    zhashx_destroy(&clients);
    return NULL;
}

int
main(int argc, char **argv)
{
    const char *dir = NULL;
    int threads = 4, timeout_ms = 10000, wait_ms = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
            wait_ms = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: gn-drive --dir DIR [-j THREADS] [--timeout MS] [--wait MS] < LINES\n");
            return 2;
        }
    }
    if (!dir || threads < 1 || threads > THREADS_MAX || timeout_ms <= 0 || wait_ms < 0) {
        fprintf(stderr, "usage: gn-drive --dir DIR [-j THREADS 1..%d] [--timeout MS] [--wait MS] < LINES\n",
                THREADS_MAX);
        return 2;
    }
    zsys_init();
    size_t cap = 1024, n = 0;
    line_t *lines = calloc(cap, sizeof *lines);
    zhashx_t *owner = zhashx_new();     // key -> worker + 1
    int next = 0;
    char *text = NULL;
    size_t len = 0;
    ssize_t got;
    while (lines && (got = getline(&text, &len, stdin)) >= 0) {
        if (got > 0 && text[got - 1] == '\n')
            text[--got] = '\0';
        if (got == 0)
            continue;
        if (n == cap) {
            line_t *more = realloc(lines, 2 * cap * sizeof *lines);
            if (!more)
                break;
            memset(more + cap, 0, cap * sizeof *lines);
            lines = more;
            cap *= 2;
        }
        line_t *l = &lines[n++];
        char *copy = l->buf = strdup(text), *save = NULL;
        l->key = strtok_r(copy, "\t", &save);
        l->node = strtok_r(NULL, "\t", &save);
        char *a;
        while (l->argc < MAX_ARGS && (a = strtok_r(NULL, "\t", &save)))
            l->argv[l->argc++] = a;
        if (!l->key || !l->node || l->argc == 0) {
            l->key = l->key ? l->key : copy;
            l->node = NULL;
            s_fail(l, 2, "line %zu: want KEY<TAB>NODE<TAB>COMMAND...", n);
            l->worker = -1;
            continue;
        }
        uintptr_t wk = (uintptr_t) zhashx_lookup(owner, l->key);
        if (!wk) {
            wk = (uintptr_t) (next++ % threads) + 1;
            zhashx_insert(owner, l->key, (void *) wk);
        }
        l->worker = (int) wk - 1;
    }
    free(text);
    zhashx_destroy(&owner);
    if (!lines) {
        fprintf(stderr, "gn-drive: out of memory\n");
        return 1;
    }
    pthread_t tid[THREADS_MAX];
    worker_t w[THREADS_MAX];
    int used = next < threads ? next : threads;
    for (int t = 0; t < used; t++) {
        w[t] = (worker_t) { .dir = dir, .timeout_ms = timeout_ms, .wait_ms = wait_ms, .lines = lines,
                            .n_lines = n, .id = t };
        pthread_create(&tid[t], NULL, s_worker, &w[t]);
    }
    for (int t = 0; t < used; t++)
        pthread_join(tid[t], NULL);
    for (size_t i = 0; i < n; i++) {
        printf("%s\t%d\t%s\n", lines[i].key, lines[i].rc, lines[i].out);
        free(lines[i].buf);
    }
    free(lines);
    return 0;
}
