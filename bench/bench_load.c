/*  bench_load.c -- the report driver: a pipelined client of the node API.

    gn_client (common/client.h) keeps one request in flight; a village's API
    group-commits every request waiting on its socket in one transaction, so
    one request at a time would measure the fsync, not the node. The driver
    speaks the same wire (one frame holding a packed ApiRequest on a DEALER,
    one frame holding an ApiReply back; common/client.c) through the codec,
    with `window` requests outstanding on each of `conns` connections per
    village, and matches every reply to its request by id. A report counts
    only when its reply has code 0 and a case id: the node sends that reply
    only after the transaction holding the case is on disk (api.h, I4).  */
#define _GNU_SOURCE
#include "bench.h"
#include "codec.h"
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_MS    60000       // outstanding replies must all come within this
#define CONNS_MAX   256

typedef struct {
    zsock_t *sock;              // DEALER connected to a village's API
    size_t target;              // index into cfg->targets
    uint64_t *ids;              // ids of the requests outstanding, window of them
    int n;                      // how many
} conn_t;

static const char *s_categories[] = { "矛盾纠纷", "环境卫生", "治安隐患", "市政设施" };
static const char *s_titles[] = { "邻里因楼道堆放杂物发生争执", "背街小巷生活垃圾堆积未清运",
                                  "小区东门监控探头损坏", "路灯不亮，夜间通行不便" };

//  Send report number id on c. true if sent, false if the socket's queue is
//  full (try another connection or later).
static bool
s_send(conn_t *c, const bn_drive_t *cfg, uint64_t id)
{
    const char *village = cfg->targets[c->target]->code;
    char grid[32], title[160], worker[48];
    snprintf(grid, sizeof grid, "%s-%03u", village, (unsigned) (id % 9 + 1));
    snprintf(title, sizeof title, "%s（%llu）", s_titles[id % 4], (unsigned long long) id);
    snprintf(worker, sizeof worker, "gw-%s-%02u", village, (unsigned) (id % 9 + 1));

    Gridnet__Reporter who = GRIDNET__REPORTER__INIT;
    who.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
    who.id = worker;
    who.name = (char *) "网格员";
    Gridnet__ReportReq rep = GRIDNET__REPORT_REQ__INIT;
    rep.grid = grid;
    rep.category = (char *) s_categories[id % 4];
    rep.title = title;
    rep.description = (char *) "网格员巡查发现，现场拍照留存。";
    rep.severity = GRIDNET__SEVERITY__SEV_GENERAL;
    rep.channel = GRIDNET__CHANNEL__CH_TERMINAL;
    rep.reporter = &who;
    rep.lat = 34.27;
    rep.lon = 108.07;
    rep.address = (char *) "杨陵区杨陵街道";
    rep.actor = worker;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.id = id;
    req.body_case = GRIDNET__API_REQUEST__BODY_REPORT;
    req.report = &rep;

    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = gn_codec_pack(&req.base, GN_API_MAX, &buf, &len);
    if (rc != 0)
        bn_die("pack a report: %s", gn_strerror(rc));
    int sent = zmq_send(zsock_resolve(c->sock), buf, len, ZMQ_DONTWAIT);
    int err = errno;
    free(buf);
    if (sent < 0 && err == EAGAIN)
        return false;
    if (sent != (int) len)
        bn_die("send a report to %s: %s", village, zmq_strerror(err));
    c->ids[c->n++] = id;
    return true;
}

//  Take every reply waiting on c.
static void
s_recv_all(conn_t *c, const bn_drive_t *cfg, bn_drive_stats_t *st)
{
    void *sock = zsock_resolve(c->sock);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) >= 0) {
        int64_t now = bn_now_ns();
        if (zmq_msg_more(&msg))
            bn_die("a reply of more than one frame from %s", cfg->targets[c->target]->code);
        int err = 0;
        gn_api_reply_t *reply = gn_codec_unpack_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), &err);
        if (!reply)
            bn_die("an unreadable reply from %s: %s", cfg->targets[c->target]->code,
                   gn_strerror(err));
        int i = 0;
        while (i < c->n && c->ids[i] != reply->id)
            i++;
        if (i == c->n)
            bn_die("a reply to no request of ours (id %llu)", (unsigned long long) reply->id);
        c->ids[i] = c->ids[--c->n];
        st->outstanding--;
        if (reply->code == 0 && reply->body_case == GRIDNET__API_REPLY__BODY_CASE_ID) {
            st->ok++;
            if (cfg->on_ok)
                cfg->on_ok(cfg->arg, c->target, reply->case_id, now);
        }
        else {
            if (st->failed++ == 0)
                snprintf(st->first_error, sizeof st->first_error, "code %d: %s", reply->code,
                         reply->error ? reply->error : "");
        }
        gn_codec_free_reply(&reply);
    }
    if (errno != EAGAIN)
        bn_die("receive from %s: %s", cfg->targets[c->target]->code, zmq_strerror(errno));
    zmq_msg_close(&msg);
}

void
bn_drive(const bn_drive_t *cfg, bn_drive_stats_t *st)
{
    size_t nconns = cfg->ntargets * (size_t) cfg->conns;
    if (nconns == 0 || nconns > CONNS_MAX || cfg->window <= 0)
        bn_die("bad driver settings");
    conn_t *conns = calloc(nconns, sizeof *conns);
    if (cfg->nextra > BN_EXTRA_MAX)
        bn_die("bad driver settings");
    zmq_pollitem_t *items = calloc(nconns + cfg->nextra, sizeof *items);
    if (!conns || !items)
        bn_die("out of memory");
    for (size_t i = 0; i < nconns; i++) {
        conn_t *c = &conns[i];
        c->target = i % cfg->ntargets;
        c->ids = calloc((size_t) cfg->window, sizeof *c->ids);
        c->sock = zsock_new(ZMQ_DEALER);
        if (!c->ids || !c->sock)
            bn_die("out of memory");
        zsock_set_linger(c->sock, 0);
        zsock_set_sndhwm(c->sock, cfg->window * 2);
        zsock_set_rcvhwm(c->sock, cfg->window * 2);
        zsock_set_maxmsgsize(c->sock, (int) GN_REPLY_MAX);
        if (zsock_connect(c->sock, "%s", cfg->targets[c->target]->api) != 0)
            bn_die("connect to %s: %s", cfg->targets[c->target]->api, zmq_strerror(errno));
        items[i].socket = zsock_resolve(c->sock);
        items[i].events = ZMQ_POLLIN;
    }
    size_t nitems = nconns;
    for (size_t i = 0; i < cfg->nextra; i++) {
        items[nitems].socket = zsock_resolve(cfg->extra[i]);
        items[nitems].events = ZMQ_POLLIN;
        nitems++;
    }

    memset(st, 0, sizeof *st);
    int64_t tick_ns = (int64_t) (cfg->tick_ms > 0 ? cfg->tick_ms : 50) * 1000000;
    int64_t t_start = bn_now_ns(), next_tick = t_start, drain_deadline = 0;
    st->t_start = t_start;
    bool sending = true, paused = false;
    size_t rr = 0;              // next connection to try
    uint64_t next_id = 0;
    while (true) {
        bn_check_interrupt();
        int64_t now = bn_now_ns();
        if (sending && cfg->on_tick && now >= next_tick) {
            int r = cfg->on_tick(cfg->arg, st, now);
            paused = r == BN_PAUSE;
            if (r == BN_STOP)
                sending = false;
            next_tick = now + tick_ns;
        }
        if (sending && ((cfg->count && st->sent >= cfg->count)
                        || (cfg->duration_ns && now - t_start >= cfg->duration_ns)))
            sending = false;
        if (!sending) {
            if (st->outstanding == 0)
                break;
            if (drain_deadline == 0)
                drain_deadline = now + (int64_t) DRAIN_MS * 1000000;
            else if (now > drain_deadline)
                bn_die("%llu replies still missing %d ms after the last request",
                       (unsigned long long) st->outstanding, DRAIN_MS);
        }

        //  Send what the rate and the windows allow, round robin.
        int64_t wait_ns = tick_ns;
        if (sending && !paused) {
            uint64_t budget = UINT64_MAX;
            if (cfg->rate > 0) {
                uint64_t allowed = (uint64_t) (cfg->rate * (double) (now - t_start) / 1e9) + 1;
                budget = allowed > st->sent ? allowed - st->sent : 0;
            }
            if (cfg->count && cfg->count - st->sent < budget)
                budget = cfg->count - st->sent;
            size_t blocked = 0;  // connections in a row that could take nothing
            while (budget > 0 && blocked < nconns) {
                conn_t *c = &conns[rr];
                rr = (rr + 1) % nconns;
                if (c->n >= cfg->window || !s_send(c, cfg, ++next_id)) {
                    blocked++;
                    continue;
                }
                blocked = 0;
                budget--;
                st->sent++;
                st->outstanding++;
            }
            if (cfg->rate > 0 && budget == 0) {
                //  Next request is due at t_start + (sent / rate) s.
                int64_t due = t_start + (int64_t) ((double) st->sent / cfg->rate * 1e9);
                if (due - now < wait_ns)
                    wait_ns = due - now;
            }
        }
        if (sending && cfg->on_tick && next_tick - now < wait_ns)
            wait_ns = next_tick - now;
        long timeout_ms = wait_ns <= 0 ? 0 : (long) ((wait_ns + 999999) / 1000000);
        if (zmq_poll(items, (int) nitems, timeout_ms) < 0) {
            if (errno == EINTR)
                continue;
            bn_die("zmq_poll: %s", zmq_strerror(errno));
        }
        for (size_t i = 0; i < nconns; i++)
            if (items[i].revents & ZMQ_POLLIN)
                s_recv_all(&conns[i], cfg, st);
        for (size_t i = 0; i < cfg->nextra; i++)
            if (items[nconns + i].revents & ZMQ_POLLIN)
                cfg->on_extra(cfg->arg, i, cfg->extra[i], bn_now_ns());
    }
    for (size_t i = 0; i < nconns; i++) {
        zsock_destroy(&conns[i].sock);
        free(conns[i].ids);
    }
    free(conns);
    free(items);
}
