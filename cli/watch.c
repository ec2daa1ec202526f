/*  watch.c -- subscribe to a node's change stream and print what passes.  */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "watch.h"
#include "codec.h"
#include "ids.h"
#include "pbjson.h"

#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define POLL_MS 200             // how often a quiet watch looks at the signal flag

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void) sig;
    s_stop = 1;
}

//  Where a case is: its grid's village, else its origin.
static uint64_t
s_location(const gn_case_t *c)
{
    uint64_t village;
    unsigned serial;
    if (c->grid && *c->grid && gn_grid_parse(c->grid, &village, &serial) == 0)
        return village;
    return c->origin;
}

static bool
s_passes(const gn_op_t *op, const gn_watch_opts_t *o)
{
    const gn_case_t *c = op->state;
    if (!c || !op->case_id || !*op->case_id)
        return false;   // reference data and seals are not changes of a case
    if (o->town && !gn_node_in_subtree(s_location(c), o->town))
        return false;
    if (o->category && strcmp(c->category ? c->category : "", o->category) != 0)
        return false;
    if (o->severity && (int) c->severity != o->severity)
        return false;
    if (o->overdue && !c->overdue)
        return false;
    return true;
}

static const char *
s_time(int64_t ms, char buf[32])
{
    time_t t = (time_t) (ms / 1000 - (ms % 1000 < 0));
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, 32, "%lld", (long long) ms);
    return buf;
}

//  One line: TIME ACTION CASE STATUS owner= grid= category= severity=
//  [OVERDUE] by ORIGIN [ACTOR] [-> TO] [: NOTE]; conflicts start CONFLICT.
static void
s_print_line(const gn_op_t *op, bool conflict)
{
    const gn_case_t *c = op->state;
    char when[32], action[32], status[32], severity[32];
    gn_pbjson_enum_name(&gridnet__action__descriptor, (int) op->action, action, sizeof action);
    gn_pbjson_enum_name(&gridnet__status__descriptor, (int) c->status, status, sizeof status);
    gn_pbjson_enum_name(&gridnet__severity__descriptor, (int) c->severity, severity,
                        sizeof severity);
    printf("%s%s %s %s %s owner=%012llu grid=%s category=%s severity=%s%s by %012llu",
           conflict ? "CONFLICT " : "", s_time(op->time, when), action, op->case_id, status,
           (unsigned long long) c->owner, c->grid && *c->grid ? c->grid : "-",
           c->category && *c->category ? c->category : "-", severity,
           c->overdue ? " OVERDUE" : "", (unsigned long long) op->origin);
    if (op->actor && *op->actor)
        printf(" %s", op->actor);
    if (op->to)
        printf(" -> %012llu", (unsigned long long) op->to);
    if (op->note && *op->note) {
        fputs(": ", stdout);
        for (const char *p = op->note; *p; p++)   // one line, whatever the note holds
            putchar((unsigned char) *p < 0x20 ? ' ' : *p);
    }
    putchar('\n');
}

static int
s_print_json(const gn_op_t *op, bool conflict)
{
    json_t *o = gn_pbjson_from_message(&op->base);
    json_t *line = o ? json_pack("{s:s, s:o}", "topic", conflict ? "conflict" : "op", "op", o)
                     : NULL;
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(line);
    if (!text)
        return -1;
    puts(text);
    free(text);
    return 0;
}

int
gn_watch_run(const char *endpoint, const gn_watch_opts_t *opts)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (!sub) {
        fprintf(stderr, "gridctl: watch: cannot create a socket\n");
        return -1;
    }
    zsock_set_linger(sub, 0);
    zsock_set_rcvhwm(sub, 100000);
    zsock_set_subscribe(sub, "op");
    zsock_set_subscribe(sub, "conflict");
    if (zsock_connect(sub, "%s", endpoint) != 0) {
        fprintf(stderr, "gridctl: watch: cannot connect to %s\n", endpoint);
        zsock_destroy(&sub);
        return -1;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);   // no SA_RESTART: the poll returns at once
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    s_stop = 0;

    int rc = 0;
    uint64_t printed = 0;
    void *sock = zsock_resolve(sub);
    while (!s_stop && (!opts->count || printed < opts->count)) {
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        int n = zmq_poll(&item, 1, POLL_MS);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "gridctl: watch: %s\n", zmq_strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            continue;
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        bool got = zmq_msg_recv(&topic, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&topic)
                && zmq_msg_recv(&body, sock, ZMQ_DONTWAIT) >= 0;
        if (got && zmq_msg_more(&body)) {   // not a message of ours: drain it
            got = false;
            for (bool more = true; more;) {
                zmq_msg_t part;
                zmq_msg_init(&part);
                more = zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&part);
                zmq_msg_close(&part);
            }
        }
        if (got) {
            bool conflict = zmq_msg_size(&topic) == 8
                         && memcmp(zmq_msg_data(&topic), "conflict", 8) == 0;
            int err;
            gn_op_t *op = gn_codec_unpack_op(zmq_msg_data(&body), zmq_msg_size(&body), &err);
            if (op && s_passes(op, opts)) {
                if (opts->json)
                    rc = s_print_json(op, conflict);
                else
                    s_print_line(op, conflict);
                printed++;
                if (fflush(stdout) != 0)
                    rc = -1;
                if (rc != 0)
                    fprintf(stderr, "gridctl: watch: cannot write output\n");
            }
            gn_codec_free_op(&op);
        }
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        if (rc != 0)
            break;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    zsock_destroy(&sub);
    return rc;
}
