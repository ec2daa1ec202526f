/*  gn-bench -- the machine's limits and gridnet side by side, in one run.

    gn-bench [--quick] [--bin DIR] [--tmp DIR] [--keep] [--dump-latency FILE]
             [--wrap LEVEL=COMMAND]... [--f-ops N] [--f-rounds N] [PHASES]

    1. limits: raw LMDB durable commit latency and batched commit rate, raw
       ZeroMQ loopback message rate and round trip, the RSS floor;
    (a) village ingest: reports through a lone village's API, pipelined;
    then district <- town <- 5 villages, real daemons on 127.0.0.1:
    (e) RSS of each daemon idle,
    (b) sustained end-to-end: reports at all 5 villages, ops/s committed at
        the district over a steady interval (and RSS under it),
    (c) end-to-end latency at a fixed moderate rate: village reply -> the
        district's PUB streaming the op,
    (d) catch-up: the town stops, one village piles up a backlog, the town
        comes back: ops/s until the district has it all;
    then a district with 5 towns (a village each) and a long history:
    (f) a wiped town catches up: the time until a town that lost its store
        holds its subtree again as the district does, by a SNAPSHOT of the
        district's state and by a replay of the district's whole feed.
    PHASES (default abcdef) picks some of them, e.g. `gn-bench f`; the limits
    are always measured.
    Prints a table: each figure, the limit it is bounded by, the ratio, the
    target and PASS/MISS. Progress goes to stderr, the report to stdout.

    Numbers are ratios to limits measured in the same run because the
    machine is shared and noisy: compare ratios across runs, not values.  */
#define _GNU_SOURCE
#include "bench.h"
#include "codec.h"
#include "ids.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define DISTRICT    "610403000000"  // 杨陵区
#define TOWN        "610403001000"  // 杨陵街道
#define NVILLAGES   5
static const char *s_village_codes[NVILLAGES] = {
    "610403001001", "610403001003", "610403001004", "610403001005", "610403001208"
};  // 凤岗路社区, 姚安社区, 公园路社区, 常乐路社区, 半个城村委会
#define DEAD_PARENT "tcp://127.0.0.1:1"  // (a): nothing listens there, the village stays alone
#define F_NTOWNS    5               // (f): towns under the district
#define F_ROUNDS_MAX 9              // (f): pairs of catch-ups at most
#define PHASES_ALL  "abcdef"

//  Targets from issue 6.
#define TARGET_A        20000.0     // cases/s
#define TARGET_B        10000.0     // ops/s
#define TARGET_C_X      25.0        // p99 <= 25 x raw single-commit p99
#define TARGET_D_OF_B   0.5         // (d) >= half of (b)
#define TARGET_E_MB     20.0        // village idle RSS, MB

typedef struct {
    bool quick;
    int singles, batches;           // LMDB: commits of 1 put, txns of 1000 puts
    int zmq_msgs, rtts;             // ZeroMQ: messages of the rate test, round trips
    int a_warm_ms, a_ms;            // (a) warm-up, measured interval
    int load_conns, load_window;    // (a), (d): connections x window at one village
    int b_warm_ms, b_ms;            // (b) warm-up, measured interval
    int b_conns, b_window;          // (b): per village
    uint64_t b_lag_max;             // (b): stop offering while the district lags this much
    double c_rate;                  // (c) reports/s over the 5 villages
    int c_ms;                       // (c) how long
    uint64_t d_backlog;             // (d) ops
    uint64_t f_ops;                 // (f) reports in the district's history, all towns
    int f_rounds;                   // (f) pairs of catch-ups (snapshot, replay)
    int f_timeout_s;                // (f) a catch-up that takes longer fails the run
} settings_t;

//  How busy the machine was over an interval, and how much of it was us.
enum { TIER_VILLAGES, TIER_TOWN, TIER_DISTRICT, TIER_BENCH, TIER_COUNT };

typedef struct {
    uint64_t busy, steal, total, ours;      // clock ticks, at one moment
    uint64_t tier[TIER_COUNT];              // ours by role (villages: all of them)
} cpu_t;

typedef struct {
    double busy;                // share of all CPUs' time that was busy
    double ours;                // share of that busy time used by this run's processes
    double steal;               // share of all CPUs' time stolen by the hypervisor
    double tier_s[TIER_COUNT];  // CPU seconds by role over the interval
} cpu_use_t;

//  (f): one catch-up of the wiped town.
typedef struct {
    double secs;                    // from the restart to cases and digest agreeing
    double ready_ms;                // from the restart to the daemon's endpoints file
    double cases_ms;                // ... to every case at the town
    double poll_max_ms;             // the slowest status call to the town meanwhile
    //  From the daemons' logs (wall clock, ms after the restart; -1: no such line):
    double link_ms;                 // the district takes the town's HELLO
    double collect_ms;              // the district has collected the snapshot
    double end_ms;                  // the district sent SNAPSHOT_END
    double took_ms;                 // the town recorded the snapshot's cursor
    uint64_t ops;                   // ops of the subtree's origins the town then holds
    uint64_t town_head;             // the town's feed head then
    double cpu_district, cpu_town;  // CPU seconds over the catch-up
    cpu_use_t cpu;                  // the machine over the catch-up
    bool snap_parent, snap_child;   // the logs say a snapshot was sent / taken
    char parent_line[200], child_line[200];
} f_turn_t;

typedef struct {
    bn_limits_t lim;
    cpu_use_t a_cpu, b_cpu;
    double a_rate;                  // cases/s
    uint64_t a_ok;                  // cases acknowledged in all
    uint64_t a_ops;                 // cases acknowledged over (a)'s interval
    uint64_t b_ops, b_acked;        // ops at the district, reports acknowledged, over (b)'s
    double b_rate;                  // ops/s committed at the district
    double b_offered;               // reports/s the villages acknowledged meanwhile
    uint64_t b_lag_end;             // ops acknowledged but not at the district at the end
    double b_drain_s;               // time to drain that
    uint64_t b_paused_ticks;        // ticks the driver held back for the lag bound
    double c_p50_ms, c_p99_ms, c_max_ms;
    double c_town_p50_ms, c_town_p99_ms;    // village reply -> town PUB
    double c_up_p50_ms, c_up_p99_ms;        // town PUB -> district PUB
    size_t c_n, c_missing;
    double c_offered;               // reports/s actually sent
    double d_rate;                  // ops/s from the town's restart to the last op at the district
    double d_fill_rate;             // cases/s the cut-off village took meanwhile
    double d_first_ms;              // from the town's restart to the first op at the district
    uint64_t d_ops;
    long idle_kb[3], load_kb[3];    // VmRSS: village (max of 5), town, district
    long idle_anon_kb[3], load_anon_kb[3];
    double f_fill_rate;             // (f) reports/s into the district's history
    double f_fill_drain_s;
    uint64_t f_fill_paused;
    uint64_t f_district_cases;      // (f) cases at the district before the wipe
    uint64_t f_district_head;       //     its feed head (what a replay reads)
    uint64_t f_sub_cases;           //     cases of the wiped town's subtree
    uint64_t f_sub_ops;             //     ops of its subtree's origins (digest)
    f_turn_t f_turn[2][F_ROUNDS_MAX];   // [0] snapshot, [1] feed replay; by round
    f_turn_t f_median[2];           // the turn of median time of each way
    double f_cpu_med[2][2];         // medians of each way's CPU s: district, town
    double f_sync_med[2];           // medians of each way's ms from HELLO to every case
} results_t;

static settings_t S;
static results_t R;
static bn_node_t *s_district, *s_town, *s_villages[NVILLAGES];
static bn_node_t *s_village_a;      // (a)'s lone village
static uint64_t s_acked;            // reports acknowledged in the topology so far
static const char *s_dump;          // --dump-latency FILE
static const char *s_phases = PHASES_ALL;

//  Was phase p ('a'..'f') asked for?
static bool
s_on(char p)
{
    return strchr(s_phases, p) != NULL;
}

// ---- helpers ----

static double
s_secs(int64_t ns)
{
    return (double) ns / 1e9;
}

//  Cases the district holds. Every report the bench makes is one op and makes
//  one case, and nothing else makes cases, so this counts the bench's ops
//  that arrived durably (the district replies after its commit). The feed
//  head would count more: nodes add ops of their own (SEAL checkpoints).
static uint64_t
s_district_cases(void)
{
    bn_status_t st;
    bn_node_status(s_district, &st);
    return st.cases;
}

//  Wait until the district holds want cases; seconds it took.
static double
s_wait_district(uint64_t want, int timeout_s, const char *what)
{
    int64_t t0 = bn_now_ns(), deadline = t0 + (int64_t) timeout_s * 1000000000;
    uint64_t head;
    while ((head = s_district_cases()) < want) {
        if (bn_now_ns() > deadline)
            bn_die("%s: the district holds %llu cases after %d s, expected %llu", what,
                   (unsigned long long) head, timeout_s, (unsigned long long) want);
        bn_sleep_ms(20);
    }
    if (head != want)
        bn_die("%s: the district holds %llu cases, more than the %llu reports acknowledged", what,
               (unsigned long long) head, (unsigned long long) want);
    return s_secs(bn_now_ns() - t0);
}

static void
s_cpu_sample(cpu_t *c)
{
    if (bn_cpu_machine(&c->busy, &c->steal, &c->total) != 0)
        bn_die("cannot read /proc/stat");
    c->ours = bn_nodes_cpu();
    memset(c->tier, 0, sizeof c->tier);
    if (bn_cpu_proc(0, &c->tier[TIER_BENCH]) != 0)
        bn_die("cannot read this process's CPU time");
    if (s_village_a && s_village_a->pid > 0)
        c->tier[TIER_VILLAGES] += bn_node_cpu(s_village_a);
    for (int i = 0; i < NVILLAGES; i++)
        if (s_villages[i] && s_villages[i]->pid > 0)
            c->tier[TIER_VILLAGES] += bn_node_cpu(s_villages[i]);
    if (s_town && s_town->pid > 0)
        c->tier[TIER_TOWN] = bn_node_cpu(s_town);
    if (s_district && s_district->pid > 0)
        c->tier[TIER_DISTRICT] = bn_node_cpu(s_district);
}

static cpu_use_t
s_cpu_use(const cpu_t *a, const cpu_t *b)
{
    cpu_use_t u = { 0 };
    double total = (double) (b->total - a->total), busy = (double) (b->busy - a->busy);
    if (total > 0) {
        u.busy = busy / total;
        u.steal = (double) (b->steal - a->steal) / total;
    }
    if (busy > 0)
        u.ours = (double) (b->ours - a->ours) / busy;
    long hz = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < TIER_COUNT; i++)
        u.tier_s[i] = (double) (b->tier[i] - a->tier[i]) / (double) (hz > 0 ? hz : 100);
    return u;
}

// ---- limits ----

static void
s_phase_limits(const char *self_exe)
{
    char dir[PATH_MAX];
    bn_note("limits: LMDB, %d single-put commits and %d x 1000-put commits", S.singles, S.batches);
    bn_limits_lmdb(bn_path(dir, sizeof dir, "raw-lmdb"), S.singles, S.batches, &R.lim);
    bn_note("limits: ZeroMQ, %d messages and %d round trips", S.zmq_msgs, S.rtts);
    bn_limits_zmq(S.zmq_msgs, S.rtts, &R.lim);
    bn_limits_floor(self_exe, bn_path(dir, sizeof dir, "raw-floor"), &R.lim);
}

// ---- (a) village ingest ----

typedef struct {
    int64_t t_mark, t_end;          // ns: warm-up over, measurement over
    uint64_t ok_mark, ok_end;
    int64_t warm_ns, run_ns;
    cpu_t cpu_mark, cpu_end;
} interval_t;

static int
s_a_tick(void *arg, const bn_drive_stats_t *st, int64_t now)
{
    interval_t *iv = arg;
    if (!iv->t_mark && now - st->t_start >= iv->warm_ns) {
        iv->t_mark = now;
        iv->ok_mark = st->ok;
        s_cpu_sample(&iv->cpu_mark);
    }
    if (iv->t_mark && now - iv->t_mark >= iv->run_ns) {
        iv->t_end = now;
        iv->ok_end = st->ok;
        s_cpu_sample(&iv->cpu_end);
        return BN_STOP;
    }
    return BN_GO;
}

static void
s_phase_a(void)
{
    //  The village connects to a parent that is not there, so it takes reports
    //  and nothing else; the parent's certificate must exist all the same.
    bn_keygen("a", TOWN);
    bn_node_t *v = s_village_a = bn_node_new("a", "village", s_village_codes[0], DEAD_PARENT);
    bn_node_start(v, false);
    bn_status_t before, after;
    bn_node_status(v, &before);
    bn_note("(a) village ingest: %d x %d outstanding, %.1f s warm-up + %.1f s", S.load_conns,
            S.load_window, S.a_warm_ms / 1e3, S.a_ms / 1e3);
    interval_t iv = { .warm_ns = (int64_t) S.a_warm_ms * 1000000,
                      .run_ns = (int64_t) S.a_ms * 1000000 };
    bn_drive_t cfg = { .targets = &v, .ntargets = 1, .conns = S.load_conns,
                       .window = S.load_window, .on_tick = s_a_tick, .tick_ms = 10, .arg = &iv };
    bn_drive_stats_t st;
    bn_drive(&cfg, &st);
    if (st.failed)
        bn_die("(a): %llu reports refused, first: %s", (unsigned long long) st.failed,
               st.first_error);
    R.a_ok = st.ok;
    R.a_rate = (double) (iv.ok_end - iv.ok_mark) / s_secs(iv.t_end - iv.t_mark);
    R.a_cpu = s_cpu_use(&iv.cpu_mark, &iv.cpu_end);
    R.a_ops = iv.ok_end - iv.ok_mark;
    bn_node_status(v, &after);
    if (after.cases != before.cases + st.ok)
        bn_die("(a): the village holds %llu cases after %llu acknowledged reports",
               (unsigned long long) after.cases, (unsigned long long) st.ok);
    bn_node_stop(v);
}

// ---- the topology, (e) idle ----

static void
s_rss_sample(long kb[3], long anon[3])
{
    long a;
    for (int i = 0; i < NVILLAGES; i++) {
        long k = bn_node_rss(s_villages[i], &a);
        if (k > kb[0])
            kb[0] = k;
        if (a > anon[0])
            anon[0] = a;
    }
    long k = bn_node_rss(s_town, &a);
    if (k > kb[1])
        kb[1] = k;
    if (a > anon[1])
        anon[1] = a;
    k = bn_node_rss(s_district, &a);
    if (k > kb[2])
        kb[2] = k;
    if (a > anon[2])
        anon[2] = a;
}

static void
s_topology_up(void)
{
    bn_note("starting district %s, town %s and %d villages", DISTRICT, TOWN, NVILLAGES);
    s_district = bn_node_new("t", "district", DISTRICT, NULL);
    bn_node_start(s_district, false);
    s_town = bn_node_new("t", "town", TOWN, s_district->sync);
    bn_node_start(s_town, false);
    for (int i = 0; i < NVILLAGES; i++) {
        s_villages[i] = bn_node_new("t", "village", s_village_codes[i], s_town->sync);
        bn_node_start(s_villages[i], false);
    }
    int64_t deadline = bn_now_ns() + 15000000000LL;
    while (true) {
        bn_status_t d, t;
        bn_node_status(s_district, &d);
        bn_node_status(s_town, &t);
        if (d.links_connected == 1 && t.links_connected == NVILLAGES + 1)
            break;
        if (bn_now_ns() > deadline)
            bn_die("links not up after 15 s: district %zu/1, town %zu/%d", d.links_connected,
                   t.links_connected, NVILLAGES + 1);
        bn_sleep_ms(50);
    }
    bn_sleep_ms(2000);   // idle: let start-up settle
    s_rss_sample(R.idle_kb, R.idle_anon_kb);
}

// ---- (b) sustained end to end ----

typedef struct {
    interval_t iv;
    uint64_t head0;                 // district cases when (b) started
    uint64_t head;                  // last seen
    int64_t next_status, next_rss;  // ns
    uint64_t head_mark, head_end;
    uint64_t paused;
} b_state_t;

static int
s_b_tick(void *arg, const bn_drive_stats_t *st, int64_t now)
{
    b_state_t *b = arg;
    if (now >= b->next_status) {
        //  The interval's ends are taken right after a status call, so the
        //  head and the time go together.
        b->next_status = now + 100000000;   // 100 ms
        b->head = s_district_cases();
        now = bn_now_ns();
        if (!b->iv.t_mark && now - st->t_start >= b->iv.warm_ns) {
            b->iv.t_mark = now;
            b->iv.ok_mark = st->ok;
            b->head_mark = b->head;
            b->next_rss = now;
            s_cpu_sample(&b->iv.cpu_mark);
        }
        else if (b->iv.t_mark && now - b->iv.t_mark >= b->iv.run_ns) {
            b->iv.t_end = now;
            b->iv.ok_end = st->ok;
            b->head_end = b->head;
            s_cpu_sample(&b->iv.cpu_end);
            return BN_STOP;
        }
    }
    if (b->iv.t_mark && now >= b->next_rss) {
        s_rss_sample(R.load_kb, R.load_anon_kb);
        b->next_rss = now + 1000000000;
    }
    //  Acknowledged at the villages, not yet at the district (as of the last
    //  status: an overestimate, so the bound holds).
    uint64_t arrived = b->head - b->head0;
    uint64_t lag = st->ok > arrived ? st->ok - arrived : 0;
    if (lag > S.b_lag_max) {
        b->paused++;
        return BN_PAUSE;
    }
    return BN_GO;
}

static void
s_phase_b(void)
{
    bn_note("(b) sustained: %d villages x %d x %d outstanding, lag bound %llu ops, "
            "%.1f s warm-up + %.1f s", NVILLAGES, S.b_conns, S.b_window,
            (unsigned long long) S.b_lag_max, S.b_warm_ms / 1e3, S.b_ms / 1e3);
    b_state_t b = { .iv = { .warm_ns = (int64_t) S.b_warm_ms * 1000000,
                            .run_ns = (int64_t) S.b_ms * 1000000 } };
    b.head0 = s_district_cases();
    if (b.head0 != s_acked)
        bn_die("(b): the district holds %llu cases before the run, expected %llu",
               (unsigned long long) b.head0, (unsigned long long) s_acked);
    bn_drive_t cfg = { .targets = s_villages, .ntargets = NVILLAGES, .conns = S.b_conns,
                       .window = S.b_window, .on_tick = s_b_tick, .tick_ms = 10, .arg = &b };
    bn_drive_stats_t st;
    bn_drive(&cfg, &st);
    if (st.failed)
        bn_die("(b): %llu reports refused, first: %s", (unsigned long long) st.failed,
               st.first_error);
    s_acked += st.ok;
    double secs = s_secs(b.iv.t_end - b.iv.t_mark);
    R.b_rate = (double) (b.head_end - b.head_mark) / secs;
    R.b_offered = (double) (b.iv.ok_end - b.iv.ok_mark) / secs;
    R.b_paused_ticks = b.paused;
    R.b_cpu = s_cpu_use(&b.iv.cpu_mark, &b.iv.cpu_end);
    R.b_ops = b.head_end - b.head_mark;
    R.b_acked = b.iv.ok_end - b.iv.ok_mark;
    uint64_t head = s_district_cases();
    R.b_lag_end = s_acked > head ? s_acked - head : 0;
    R.b_drain_s = s_wait_district(s_acked, 600, "(b) drain");
}

// ---- (c) latency ----

//  Where an op was seen: the village's reply, the town's PUB, the district's PUB.
enum { AT_REPLY, AT_TOWN, AT_DISTRICT, AT_COUNT };

typedef struct {
    uint64_t base;                  // first case number of this phase at the village
    size_t cap;
    int64_t *t[AT_COUNT];           // ns, 0 = not yet; index n - base
} lat_map_t;

typedef struct {
    lat_map_t maps[NVILLAGES];
    size_t seen[AT_COUNT];          // ops seen at each point
    size_t stray;                   // ops on a PUB that are not ours
} c_state_t;

static lat_map_t *
s_c_slot(c_state_t *c, const char *case_id, uint64_t *index)
{
    uint64_t origin, n;
    if (gn_case_id_parse(case_id, &origin, &n) != 0)
        return NULL;
    for (int i = 0; i < NVILLAGES; i++) {
        lat_map_t *m = &c->maps[i];
        if (strtoull(s_village_codes[i], NULL, 10) == origin && n >= m->base
            && n - m->base < m->cap) {
            *index = n - m->base;
            return m;
        }
    }
    return NULL;
}

static void
s_c_ok(void *arg, size_t target, const char *case_id, int64_t t)
{
    c_state_t *c = arg;
    uint64_t i;
    lat_map_t *m = s_c_slot(c, case_id, &i);
    if (!m)
        bn_die("(c): case %s is not one this phase expected", case_id);
    m->t[AT_REPLY][i] = t;
    c->seen[AT_REPLY]++;
}

//  Ops streamed by the district (which == 0) or the town (which == 1).
static void
s_c_sub(void *arg, size_t which, zsock_t *sock, int64_t t)
{
    c_state_t *c = arg;
    int at = which == 0 ? AT_DISTRICT : AT_TOWN;
    void *s = zsock_resolve(sock);
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    while (zmq_msg_recv(&topic, s, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&topic) || zmq_msg_recv(&body, s, ZMQ_DONTWAIT) < 0
            || zmq_msg_more(&body))
            bn_die("(c): a PUB message that is not [topic][op]");
        int err = 0;
        gn_op_t *op = gn_codec_unpack_op(zmq_msg_data(&body), zmq_msg_size(&body), &err);
        if (!op)
            bn_die("(c): an unreadable op on a PUB: %d", err);
        uint64_t i;
        lat_map_t *m = s_c_slot(c, op->case_id, &i);
        if (m && !m->t[at][i]) {
            m->t[at][i] = t;
            c->seen[at]++;
        }
        else
            c->stray++;
        gn_codec_free_op(&op);
    }
    if (errno != EAGAIN)
        bn_die("(c): receive from a PUB: %s", zmq_strerror(errno));
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
}

static zsock_t *
s_sub_new(const char *endpoint)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (!sub)
        bn_die("cannot create a SUB socket");
    zsock_set_rcvhwm(sub, 100000);
    zsock_set_subscribe(sub, "op");
    if (zsock_connect(sub, "%s", endpoint) != 0)
        bn_die("connect to %s: %s", endpoint, zmq_strerror(errno));
    return sub;
}

//  p50 and p99 of to - from over the ops seen at both, in ms.
static void
s_c_quantiles(c_state_t *c, int from, int to, double *p50, double *p99, double *max, size_t *n)
{
    size_t cap = 0;
    for (int v = 0; v < NVILLAGES; v++)
        cap += c->maps[v].cap;
    double *lat = malloc(cap * sizeof *lat);
    if (!lat)
        bn_die("out of memory");
    *n = 0;
    for (int v = 0; v < NVILLAGES; v++) {
        lat_map_t *m = &c->maps[v];
        for (size_t i = 0; i < m->cap; i++)
            if (m->t[from][i] && m->t[to][i])
                lat[(*n)++] = (double) (m->t[to][i] - m->t[from][i]) / 1e6;
    }
    if (*n == 0)
        bn_die("(c): no op was seen both at its village and further up");
    *p50 = bn_quantile(lat, *n, 0.50);
    *p99 = bn_quantile(lat, *n, 0.99);
    if (max)
        *max = lat[*n - 1];
    free(lat);
}

static void
s_phase_c(void)
{
    uint64_t count = (uint64_t) (S.c_rate * S.c_ms / 1000);
    bn_note("(c) latency: %llu reports at %.0f/s over %d villages", (unsigned long long) count,
            S.c_rate, NVILLAGES);
    c_state_t c = { 0 };
    for (int i = 0; i < NVILLAGES; i++) {
        bn_status_t st;
        bn_node_status(s_villages[i], &st);
        c.maps[i].base = st.cases + 1;
        c.maps[i].cap = (size_t) count / NVILLAGES + 16;
        for (int at = 0; at < AT_COUNT; at++)
            if (!(c.maps[i].t[at] = calloc(c.maps[i].cap, sizeof(int64_t))))
                bn_die("out of memory");
    }
    zsock_t *subs[2] = { s_sub_new(s_district->pub), s_sub_new(s_town->pub) };
    bn_sleep_ms(500);   // the subscriptions reach the PUBs before the first op

    bn_drive_t cfg = { .targets = s_villages, .ntargets = NVILLAGES, .conns = 1, .window = 64,
                       .rate = S.c_rate, .count = count, .on_ok = s_c_ok,
                       .extra = { subs[0], subs[1] }, .nextra = 2, .on_extra = s_c_sub,
                       .arg = &c };
    bn_drive_stats_t st;
    bn_drive(&cfg, &st);
    if (st.failed)
        bn_die("(c): %llu reports refused, first: %s", (unsigned long long) st.failed,
               st.first_error);
    s_acked += st.ok;
    R.c_offered = (double) st.sent / s_secs(bn_now_ns() - st.t_start);
    //  The last ops are still on their way up.
    int64_t deadline = bn_now_ns() + 30000000000LL;
    while ((c.seen[AT_DISTRICT] < st.ok || c.seen[AT_TOWN] < st.ok) && bn_now_ns() < deadline) {
        zmq_pollitem_t items[2] = { { .socket = zsock_resolve(subs[0]), .events = ZMQ_POLLIN },
                                    { .socket = zsock_resolve(subs[1]), .events = ZMQ_POLLIN } };
        int rc = zmq_poll(items, 2, 100);
        if (rc < 0 && errno != EINTR)
            bn_die("zmq_poll: %s", zmq_strerror(errno));
        bn_check_interrupt();
        for (size_t k = 0; k < 2; k++)
            if (rc > 0 && (items[k].revents & ZMQ_POLLIN))
                s_c_sub(&c, k, subs[k], bn_now_ns());
    }
    zsock_destroy(&subs[0]);
    zsock_destroy(&subs[1]);

    if (s_dump) {
        FILE *dump = fopen(s_dump, "w");
        if (!dump)
            bn_die("cannot write %s: %s", s_dump, strerror(errno));
        fprintf(dump, "# reply_ms village case_n town_ms district_ms (after the reply)\n");
        for (int v = 0; v < NVILLAGES; v++) {
            lat_map_t *m = &c.maps[v];
            for (size_t i = 0; i < m->cap; i++)
                if (m->t[AT_REPLY][i])
                    fprintf(dump, "%.3f %s %llu %.3f %.3f\n",
                            (double) (m->t[AT_REPLY][i] - st.t_start) / 1e6, s_village_codes[v],
                            (unsigned long long) (m->base + i),
                            m->t[AT_TOWN][i] ? (double) (m->t[AT_TOWN][i] - m->t[AT_REPLY][i]) / 1e6 : -1,
                            m->t[AT_DISTRICT][i] ? (double) (m->t[AT_DISTRICT][i] - m->t[AT_REPLY][i]) / 1e6 : -1);
        }
        if (ferror(dump) | (fclose(dump) != 0))
            bn_die("cannot write %s", s_dump);
    }
    size_t n;
    s_c_quantiles(&c, AT_REPLY, AT_DISTRICT, &R.c_p50_ms, &R.c_p99_ms, &R.c_max_ms, &R.c_n);
    s_c_quantiles(&c, AT_REPLY, AT_TOWN, &R.c_town_p50_ms, &R.c_town_p99_ms, NULL, &n);
    s_c_quantiles(&c, AT_TOWN, AT_DISTRICT, &R.c_up_p50_ms, &R.c_up_p99_ms, NULL, &n);
    R.c_missing = (size_t) st.ok - R.c_n;
    for (int v = 0; v < NVILLAGES; v++)
        for (int at = 0; at < AT_COUNT; at++)
            free(c.maps[v].t[at]);
    s_wait_district(s_acked, 120, "(c) drain");
}

// ---- (d) catch-up ----

static void
s_phase_d(void)
{
    uint64_t head0 = s_district_cases();
    if (head0 != s_acked)
        bn_die("(d): the district holds %llu cases before the run, expected %llu",
               (unsigned long long) head0, (unsigned long long) s_acked);
    bn_note("(d) catch-up: town stopped; %llu reports at %s", (unsigned long long) S.d_backlog,
            s_villages[0]->code);
    bn_node_stop(s_town);
    bn_drive_t cfg = { .targets = s_villages, .ntargets = 1, .conns = S.load_conns,
                       .window = S.load_window, .count = S.d_backlog };
    bn_drive_stats_t st;
    bn_drive(&cfg, &st);
    if (st.failed)
        bn_die("(d): %llu reports refused, first: %s", (unsigned long long) st.failed,
               st.first_error);
    R.d_fill_rate = (double) st.ok / s_secs(bn_now_ns() - st.t_start);
    R.d_ops = st.ok;
    s_acked += st.ok;
    if (s_district_cases() != head0)
        bn_die("(d): ops reached the district while the town was down");

    bn_note("(d) catch-up: town restarting, %llu ops to carry up", (unsigned long long) st.ok);
    bn_node_start(s_town, true);
    int64_t t0 = bn_now_ns(), deadline = t0 + 900000000000LL, t_first = 0;
    uint64_t head;
    while ((head = s_district_cases()) < s_acked) {
        int64_t now = bn_now_ns();
        if (!t_first && head > head0)
            t_first = now;
        if (now > deadline)
            bn_die("(d): the district has %llu of %llu ops after 900 s",
                   (unsigned long long) (head - head0), (unsigned long long) st.ok);
        bn_sleep_ms(20);
    }
    int64_t t1 = bn_now_ns();
    if (head != s_acked)
        bn_die("(d): the district holds %llu cases, expected %llu", (unsigned long long) head,
               (unsigned long long) s_acked);
    if (!t_first)
        t_first = t1;
    R.d_rate = (double) st.ok / s_secs(t1 - t0);
    R.d_first_ms = (double) (t_first - t0) / 1e6;
}

// ---- (f) a wiped town catches up ----

//  The district's feed is long, and the town under test's subtree is a fifth
//  of it: five towns, one village each, take the same share of the reports.
//  Then the town (its village stopped, so that only the district brings its
//  subtree back) loses its store: SIGKILL, rm -rf <data>/db, start again.
//  The time from the start to its case count and its digest of its own
//  subtree agreeing with the district's, with the district at
//  sync/snapshot=1 (a SNAPSHOT of the district's state) and at 0 (a replay
//  of the district's whole feed, filtered), S.f_rounds times each, the two
//  ways back to back in each round. The district is restarted before each
//  turn, with the setting of that turn, so every turn starts alike.
static const char *s_f_towns[F_NTOWNS] = {
    "610403001000", "610403002000", "610403003000", "610403100000", "610403101000"
};  // five town codes under 杨陵区; the first is the one wiped
static bn_node_t *s_f_district, *s_f_town[F_NTOWNS], *s_f_village[F_NTOWNS];

typedef struct {
    uint64_t per_target[F_NTOWNS];  // reports acknowledged at each village
    uint64_t head0, head;           // district cases at the start, last seen
    int64_t next_status;
    uint64_t paused;
} f_fill_t;

static void
s_f_ok(void *arg, size_t target, const char *case_id, int64_t t)
{
    (void) case_id, (void) t;
    ((f_fill_t *) arg)->per_target[target]++;
}

static int
s_f_tick(void *arg, const bn_drive_stats_t *st, int64_t now)
{
    f_fill_t *f = arg;
    if (now >= f->next_status) {
        f->next_status = now + 100000000;
        bn_status_t ds;
        bn_node_status(s_f_district, &ds);
        f->head = ds.cases;
    }
    uint64_t arrived = f->head - f->head0;
    if (st->ok > arrived && st->ok - arrived > S.b_lag_max) {
        f->paused++;
        return BN_PAUSE;
    }
    return BN_GO;
}

static uint64_t
s_cases(bn_node_t *node)
{
    bn_status_t st;
    bn_node_status(node, &st);
    return st.cases;
}

//  Wait until the district's links to its towns that are running are up.
static void
s_f_links(size_t want, const char *what)
{
    int64_t deadline = bn_now_ns() + 30000000000LL;
    bn_status_t st;
    while (bn_node_status(s_f_district, &st), st.links_connected < want) {
        if (bn_now_ns() > deadline)
            bn_die("%s: the district has %zu of %zu links up after 30 s", what,
                   st.links_connected, want);
        bn_sleep_ms(50);
    }
}

static long
s_file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long) sb.st_size : 0;
}

//  Wall clock, ms since the epoch (the daemons' log lines carry it).
static int64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  The time at the head of a log line ("2026-11-28T05:13:02.639Z ..."), ms
//  since the epoch; -1 if it has none.
static int64_t
s_log_time(const char *line)
{
    struct tm tm = { 0 };
    int ms;
    if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t) timegm(&tm) * 1000 + ms;
}

//  The first line of <dir>/daemon.log after offset from that holds what;
//  copied from what to the end of the line into out (may be NULL), and the
//  line's time into *when (may be NULL). false if none.
static bool
s_log_find(const bn_node_t *node, long from, const char *what, char *out, size_t len,
           int64_t *when)
{
    char path[600];
    snprintf(path, sizeof path, "%s/daemon.log", node->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool found = false;
    if (fseek(f, from, SEEK_SET) == 0) {
        char *line = NULL;
        size_t cap = 0;
        while (!found && getline(&line, &cap, f) > 0) {
            char *at = strstr(line, what);
            if (!at)
                continue;
            at[strcspn(at, "\n")] = 0;
            if (out)
                snprintf(out, len, "%s", at);
            if (when)
                *when = s_log_time(line);
            found = true;
        }
        free(line);
    }
    fclose(f);
    return found;
}

static void
s_phase_f_fill(void)
{
    bn_note("(f) starting district %s, %d towns and a village under each", DISTRICT, F_NTOWNS);
    s_f_district = bn_node_new("f", "district", DISTRICT, NULL);
    bn_node_start(s_f_district, false);
    for (int i = 0; i < F_NTOWNS; i++) {
        char vcode[16];
        snprintf(vcode, sizeof vcode, "%.9s001", s_f_towns[i]);
        s_f_town[i] = bn_node_new("f", "town", s_f_towns[i], s_f_district->sync);
        bn_node_start(s_f_town[i], false);
        s_f_village[i] = bn_node_new("f", "village", vcode, s_f_town[i]->sync);
        bn_node_start(s_f_village[i], false);
    }
    s_f_links(F_NTOWNS, "(f) start");

    bn_note("(f) history: %llu reports over %d villages (1 x 64 outstanding each)",
            (unsigned long long) S.f_ops, F_NTOWNS);
    f_fill_t f = { 0 };
    f.head0 = f.head = s_cases(s_f_district);
    bn_drive_t cfg = { .targets = s_f_village, .ntargets = F_NTOWNS, .conns = 1, .window = 64,
                       .count = S.f_ops, .on_ok = s_f_ok, .on_tick = s_f_tick, .tick_ms = 10,
                       .arg = &f };
    bn_drive_stats_t st;
    bn_drive(&cfg, &st);
    if (st.failed)
        bn_die("(f): %llu reports refused, first: %s", (unsigned long long) st.failed,
               st.first_error);
    int64_t t_sent = bn_now_ns();
    uint64_t want = f.head0 + st.ok, have;
    int64_t deadline = bn_now_ns() + 600000000000LL;
    while ((have = s_cases(s_f_district)) < want) {
        if (bn_now_ns() > deadline)
            bn_die("(f): the district holds %llu of %llu cases after 600 s",
                   (unsigned long long) have, (unsigned long long) want);
        bn_sleep_ms(50);
    }
    if (have != want)
        bn_die("(f): the district holds %llu cases, %llu reports were acknowledged",
               (unsigned long long) have, (unsigned long long) want);
    R.f_fill_rate = (double) st.ok / s_secs(bn_now_ns() - st.t_start);
    R.f_fill_drain_s = s_secs(bn_now_ns() - t_sent);
    R.f_fill_paused = f.paused;
    R.f_sub_cases = f.per_target[0];

    //  Before the wipe the town must agree with the district (the figure's
    //  end condition must be reachable), and nothing may still be moving.
    bn_node_t *town = s_f_town[0];
    uint64_t root = strtoull(town->code, NULL, 10), t_ops = 0, d_ops = 0;
    char diff[256] = "";
    deadline = bn_now_ns() + 120000000000LL;
    while (s_cases(town) != R.f_sub_cases
           || !bn_digests_agree(town, s_f_district, root, &t_ops, &d_ops, NULL, diff,
                                sizeof diff)) {
        if (bn_now_ns() > deadline)
            bn_die("(f): before the wipe, town %s holds %llu cases (expected %llu) and its "
                   "digest differs from the district's: %s", town->code,
                   (unsigned long long) s_cases(town), (unsigned long long) R.f_sub_cases,
                   diff);
        bn_sleep_ms(200);
    }
    R.f_sub_ops = d_ops;
    bn_status_t ds;
    bn_node_status(s_f_district, &ds);
    R.f_district_cases = ds.cases;
    R.f_district_head = ds.feed_head;
    //  Only the district brings the subtree back: the town's village stays down.
    bn_node_stop(s_f_village[0]);
}

static void
s_phase_f_turn(bool snapshot, f_turn_t *out)
{
    bn_node_t *town = s_f_town[0], *d = s_f_district;
    uint64_t root = strtoull(town->code, NULL, 10);
    bn_note("(f) %s: town %s killed and wiped; district restarted with sync/snapshot=%d",
            snapshot ? "snapshot" : "feed replay", town->code, snapshot ? 1 : 0);
    bn_node_kill(town);
    bn_node_stop(d);
    bn_node_set(d, "sync/snapshot", snapshot ? "1" : "0");
    bn_node_start(d, true);
    s_f_links(F_NTOWNS - 1, "(f) district restart");
    char db[600];
    snprintf(db, sizeof db, "%s/db", town->dir);
    if (bn_rmtree(db) != 0)
        bn_die("(f): cannot remove %s", db);
    char log[600];
    snprintf(log, sizeof log, "%s/daemon.log", d->dir);
    long d_log = s_file_size(log);
    snprintf(log, sizeof log, "%s/daemon.log", town->dir);
    long t_log = s_file_size(log);

    cpu_t c0, c1;
    s_cpu_sample(&c0);
    uint64_t d_cpu0 = bn_node_cpu(d);
    int64_t wall0 = s_wall_ms();
    int64_t t0 = bn_now_ns();
    bn_node_start(town, true);
    int64_t t_ready = bn_now_ns(), t_cases = 0, t_done = 0;
    int64_t deadline = t0 + (int64_t) S.f_timeout_s * 1000000000;
    uint64_t t_ops = 0, d_ops = 0, cases = 0;
    char diff[256] = "";
    while (true) {
        bn_sleep_ms(50);
        int64_t tq = bn_now_ns();
        cases = s_cases(town);
        int64_t now = bn_now_ns();
        if ((double) (now - tq) / 1e6 > out->poll_max_ms)
            out->poll_max_ms = (double) (now - tq) / 1e6;
        if (cases >= R.f_sub_cases) {
            if (!t_cases)
                t_cases = now;
            //  The district's digest does not move (nothing is written during
            //  (f)'s catch-ups), so the town converged by the time its own came.
            if (bn_digests_agree(town, d, root, &t_ops, &d_ops, &t_done, diff, sizeof diff))
                break;
        }
        if (now > deadline) {
            if (!diff[0])
                bn_digests_agree(town, d, root, &t_ops, &d_ops, NULL, diff, sizeof diff);
            bn_die("(f) %s: town %s has %llu of %llu cases and %llu of %llu ops %d s after "
                   "its restart; first difference: %s (logs: --keep)",
                   snapshot ? "snapshot" : "feed replay", town->code,
                   (unsigned long long) cases, (unsigned long long) R.f_sub_cases,
                   (unsigned long long) t_ops, (unsigned long long) d_ops, S.f_timeout_s,
                   diff[0] ? diff : "none");
        }
    }
    s_cpu_sample(&c1);
    if (cases != R.f_sub_cases)
        bn_die("(f): town %s holds %llu cases, the district %llu of its subtree", town->code,
               (unsigned long long) cases, (unsigned long long) R.f_sub_cases);
    out->secs = s_secs(t_done - t0);
    out->ready_ms = (double) (t_ready - t0) / 1e6;
    out->cases_ms = (double) (t_cases - t0) / 1e6;
    out->ops = t_ops;
    bn_status_t ts;
    bn_node_status(town, &ts);
    out->town_head = ts.feed_head;
    long hz = sysconf(_SC_CLK_TCK);
    hz = hz > 0 ? hz : 100;
    out->cpu_district = (double) (bn_node_cpu(d) - d_cpu0) / (double) hz;
    out->cpu_town = (double) bn_node_cpu(town) / (double) hz;
    out->cpu = s_cpu_use(&c0, &c1);
    int64_t at;
    char linked[64];
    snprintf(linked, sizeof linked, "child %s linked", town->code);
    out->link_ms = s_log_find(d, d_log, linked, NULL, 0, &at) && at >= 0
                   ? (double) (at - wall0) : -1;
    out->snap_parent = s_log_find(d, d_log, "gets a snapshot", out->parent_line,
                                  sizeof out->parent_line, &at);
    out->collect_ms = out->snap_parent && at >= 0 ? (double) (at - wall0) : -1;
    out->end_ms = s_log_find(d, d_log, "has its snapshot", NULL, 0, &at) && at >= 0
                  ? (double) (at - wall0) : -1;
    out->snap_child = s_log_find(town, t_log, "snapshot taken from the parent", out->child_line,
                                 sizeof out->child_line, &at);
    out->took_ms = out->snap_child && at >= 0 ? (double) (at - wall0) : -1;
    bn_note("(f) %s: converged in %.2f s (%llu ops, %llu cases)%s",
            snapshot ? "snapshot" : "feed replay", out->secs, (unsigned long long) out->ops,
            (unsigned long long) cases, out->snap_child ? "; the town took a snapshot" : "");
    if (snapshot != out->snap_child || snapshot != out->snap_parent)
        bn_note("(f) %s: unexpected: the district's log %s \"gets a snapshot\", the town's %s "
                "\"snapshot taken from the parent\"", snapshot ? "snapshot" : "feed replay",
                out->snap_parent ? "says" : "does not say",
                out->snap_child ? "says" : "does not say");
}

static int
s_cmp_turn(const void *a, const void *b)
{
    double x = ((const f_turn_t *) a)->secs, y = ((const f_turn_t *) b)->secs;
    return x < y ? -1 : x > y ? 1 : 0;
}

static void
s_phase_f(void)
{
    s_phase_f_fill();
    //  Alternate, so that neither way always comes first after the fill.
    for (int r = 0; r < S.f_rounds; r++) {
        bool first = r % 2 == 0;
        s_phase_f_turn(first, &R.f_turn[first ? 0 : 1][r]);
        s_phase_f_turn(!first, &R.f_turn[first ? 1 : 0][r]);
    }
    for (int m = 0; m < 2; m++) {
        f_turn_t sorted[F_ROUNDS_MAX];
        memcpy(sorted, R.f_turn[m], sizeof sorted[0] * (size_t) S.f_rounds);
        qsort(sorted, (size_t) S.f_rounds, sizeof sorted[0], s_cmp_turn);
        R.f_median[m] = sorted[(S.f_rounds - 1) / 2];
        double cd[F_ROUNDS_MAX], ct[F_ROUNDS_MAX];
        for (int i = 0; i < S.f_rounds; i++) {
            cd[i] = R.f_turn[m][i].cpu_district;
            ct[i] = R.f_turn[m][i].cpu_town;
        }
        R.f_cpu_med[m][0] = bn_quantile(cd, (size_t) S.f_rounds, 0.5);
        R.f_cpu_med[m][1] = bn_quantile(ct, (size_t) S.f_rounds, 0.5);
        //  Without the start and the HELLO's retries (their backoff grows while the
        //  connection completes): from the district taking the HELLO.
        size_t n = 0;
        for (int i = 0; i < S.f_rounds; i++)
            if (R.f_turn[m][i].link_ms >= 0)
                cd[n++] = R.f_turn[m][i].cases_ms - R.f_turn[m][i].link_ms;
        R.f_sync_med[m] = n ? bn_quantile(cd, n, 0.5) : -1;
    }
    for (int i = 1; i < F_NTOWNS; i++) {
        bn_node_stop(s_f_village[i]);
        bn_node_stop(s_f_town[i]);
    }
    bn_node_stop(s_f_town[0]);
    bn_node_stop(s_f_district);
}

// ---- the report ----

//  "12,345" into buf.
static const char *
s_num(char *buf, size_t len, double v)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && digits[i - 1] != '-')
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

static double
s_mb(long kb)
{
    return (double) kb * 1024 / 1e6;
}

static void
s_row(const char *figure, const char *value, const char *limit, const char *ratio,
      const char *target, const char *verdict)
{
    printf("| %s | %s | %s | %s | %s | %s |\n", figure, value, limit, ratio, target, verdict);
}

static void
s_report(const char *cmdline)
{
    const bn_limits_t *L = &R.lim;
    char v[96], l[96], r[128], t[64], a[32], b2[32];
    struct utsname u;
    if (uname(&u) != 0)
        bn_die("uname: %s", strerror(errno));
    printf("\n## gn-bench%s\n\n", S.quick ? " (quick: scaled down, not a result)" : "");
    printf("command: `%s`; kernel %s; %ld CPUs online\n\n", cmdline, u.release,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("| figure | value | bounded by (limit, same run) | ratio | target | verdict |\n");
    printf("|---|---|---|---|---|---|\n");

    snprintf(v, sizeof v, "p50 %.0f µs, p99 %.0f µs", L->commit_p50_us, L->commit_p99_us);
    s_row("limit: LMDB durable commit, 1 put/txn", v, "—", "—", "—", "");
    snprintf(v, sizeof v, "%s puts/s", s_num(a, sizeof a, L->batch_puts_s));
    s_row("limit: LMDB batched commit, 1000 puts/txn", v, "—", "—", "—", "");
    snprintf(v, sizeof v, "%s msgs/s", s_num(a, sizeof a, L->zmq_msgs_s));
    s_row("limit: ZeroMQ DEALER→ROUTER, tcp loopback, 300 B", v, "—", "—", "—", "");
    snprintf(v, sizeof v, "p50 %.0f µs, p99 %.0f µs", L->rtt_p50_us, L->rtt_p99_us);
    s_row("limit: ZeroMQ round trip, 300 B", v, "—", "—", "—", "");
    snprintf(v, sizeof v, "%.1f MB", s_mb(L->floor_rss_kb));
    s_row("limit: RSS floor (LMDB env + ZeroMQ sockets)", v, "—", "—", "—", "");

    snprintf(l, sizeof l, "LMDB batched %s puts/s", s_num(a, sizeof a, L->batch_puts_s));
    if (s_on('a')) {
        snprintf(v, sizeof v, "%s cases/s", s_num(a, sizeof a, R.a_rate));
        snprintf(r, sizeof r, "%.4f", R.a_rate / L->batch_puts_s);
        snprintf(t, sizeof t, "≥ %s cases/s", s_num(a, sizeof a, TARGET_A));
        s_row("(a) village ingest", v, l, r, t, R.a_rate >= TARGET_A ? "PASS" : "MISS");
    }

    if (s_on('b')) {
        snprintf(v, sizeof v, "%s ops/s", s_num(a, sizeof a, R.b_rate));
        snprintf(r, sizeof r, "%.4f", R.b_rate / L->batch_puts_s);
        snprintf(t, sizeof t, "≥ %s ops/s", s_num(a, sizeof a, TARGET_B));
        s_row("(b) sustained end-to-end, 5 villages → town → district", v, l, r, t,
              R.b_rate >= TARGET_B ? "PASS" : "MISS");
    }

    if (s_on('c')) {
        snprintf(v, sizeof v, "%.2f ms", R.c_p50_ms);
        snprintf(l, sizeof l, "LMDB commit p50 %.0f µs", L->commit_p50_us);
        snprintf(r, sizeof r, "%.1f×", R.c_p50_ms * 1e3 / L->commit_p50_us);
        s_row("(c) latency village → district, p50", v, l, r, "—", "");
        snprintf(v, sizeof v, "%.2f ms", R.c_p99_ms);
        snprintf(l, sizeof l, "LMDB commit p99 %.0f µs", L->commit_p99_us);
        snprintf(r, sizeof r, "%.1f×", R.c_p99_ms * 1e3 / L->commit_p99_us);
        snprintf(t, sizeof t, "≤ %.0f× = %.2f ms", TARGET_C_X,
                 TARGET_C_X * L->commit_p99_us / 1e3);
        s_row("(c) latency village → district, p99", v, l, r, t,
              R.c_p99_ms * 1e3 <= TARGET_C_X * L->commit_p99_us ? "PASS" : "MISS");
    }

    char fig[96];
    snprintf(l, sizeof l, "LMDB batched %s puts/s", s_num(b2, sizeof b2, L->batch_puts_s));
    if (s_on('d')) {
        snprintf(v, sizeof v, "%s ops/s", s_num(a, sizeof a, R.d_rate));
        snprintf(fig, sizeof fig, "(d) catch-up of a %s-op backlog",
                 s_num(b2, sizeof b2, (double) R.d_ops));
        if (s_on('b')) {
            snprintf(r, sizeof r, "%.4f; %.2f of (b)", R.d_rate / L->batch_puts_s,
                     R.b_rate > 0 ? R.d_rate / R.b_rate : 0);
            snprintf(t, sizeof t, "≥ ½ (b) = %s ops/s",
                     s_num(a, sizeof a, TARGET_D_OF_B * R.b_rate));
            s_row(fig, v, l, r, t, R.d_rate >= TARGET_D_OF_B * R.b_rate ? "PASS" : "MISS");
        }
        else {
            snprintf(r, sizeof r, "%.4f", R.d_rate / L->batch_puts_s);
            s_row(fig, v, l, r, "≥ ½ (b) (no (b) in this run)", "");
        }
    }

    const char *names[3] = { "village (max of 5)", "town", "district" };
    snprintf(l, sizeof l, "RSS floor %.1f MB", s_mb(L->floor_rss_kb));
    for (int i = 0; s_on('e') && i < 3; i++) {
        snprintf(fig, sizeof fig, "(e) RSS %s, idle", names[i]);
        snprintf(v, sizeof v, "%.1f MB (anon %.1f)", s_mb(R.idle_kb[i]), s_mb(R.idle_anon_kb[i]));
        snprintf(r, sizeof r, "%.2f×", (double) R.idle_kb[i] / (double) L->floor_rss_kb);
        if (i == 0) {
            snprintf(t, sizeof t, "≤ %.0f MB", TARGET_E_MB);
            s_row(fig, v, l, r, t, s_mb(R.idle_kb[i]) <= TARGET_E_MB ? "PASS" : "MISS");
        }
        else
            s_row(fig, v, l, r, "—", "");
        if (!s_on('b'))
            continue;
        snprintf(fig, sizeof fig, "(e) RSS %s, under (b)", names[i]);
        snprintf(v, sizeof v, "%.1f MB (anon %.1f)", s_mb(R.load_kb[i]), s_mb(R.load_anon_kb[i]));
        snprintf(r, sizeof r, "%.2f×", (double) R.load_kb[i] / (double) L->floor_rss_kb);
        s_row(fig, v, l, r, "—", "");
    }

    const f_turn_t *fs = &R.f_median[0], *fr = &R.f_median[1];
    if (s_on('f')) {
        snprintf(l, sizeof l, "LMDB batched %s puts/s", s_num(b2, sizeof b2, L->batch_puts_s));
        const char *how[2] = { "snapshot (sync/snapshot=1)", "feed replay (sync/snapshot=0)" };
        for (int m = 0; m < 2; m++) {
            const f_turn_t *f = &R.f_median[m];
            double rate = (double) f->ops / f->secs;
            snprintf(fig, sizeof fig, "(f) wiped town catches up, %s", how[m]);
            snprintf(v, sizeof v, "%.2f s, %s ops/s", f->secs, s_num(a, sizeof a, rate));
            snprintf(r, sizeof r, "%.4f", rate / L->batch_puts_s);
            s_row(fig, v, l, r, "—", "");
        }
        snprintf(v, sizeof v, "%.2f s / %.2f s", fs->secs, fr->secs);
        //  Each round's pair ran back to back, under about the same load.
        int o = snprintf(r, sizeof r, "%.2f", fs->secs / fr->secs);
        for (int i = 0; i < S.f_rounds && o > 0 && (size_t) o < sizeof r; i++)
            o += snprintf(r + o, sizeof r - (size_t) o, "%s%.2f", i ? ", " : "; by round: ",
                          R.f_turn[0][i].secs / R.f_turn[1][i].secs);
        s_row("(f) snapshot time / feed replay time", v, "each other, same run", r, "—", "");
        snprintf(v, sizeof v, "%.0f ms / %.0f ms", R.f_sync_med[0], R.f_sync_med[1]);
        snprintf(r, sizeof r, "%.2f", R.f_sync_med[0] / R.f_sync_med[1]);
        s_row("(f) from the HELLO (district's log) to every case at the town (medians), "
              "snapshot / feed replay", v, "each other, same run", r, "—", "");
        //  CPU time does not depend on how much of the machine others left us.
        const double *cs = R.f_cpu_med[0], *cr = R.f_cpu_med[1];
        snprintf(v, sizeof v, "%.2f s (%.2f + %.2f) / %.2f s (%.2f + %.2f)", cs[0] + cs[1],
                 cs[0], cs[1], cr[0] + cr[1], cr[0], cr[1]);
        snprintf(r, sizeof r, "%.2f", (cs[0] + cs[1]) / (cr[0] + cr[1]));
        s_row("(f) CPU s per catch-up, district + town (medians), snapshot / feed replay", v,
              "each other, same run", r, "—", "");
    }

    printf("\nDetails:\n");
    if (s_on('a'))
        printf("- (a) %d connections x %d outstanding at one village whose parent is absent; %s "
               "reports acknowledged in all (code 0), the village's status counts every one.\n",
               S.load_conns, S.load_window, s_num(a, sizeof a, (double) R.a_ok));
    if (s_on('a') || s_on('b')) {
        printf("- Noise:");
        if (s_on('a'))
            printf(" over (a)'s interval the CPUs were %.0f%% busy (%.0f%% of it this run's "
                   "processes, steal %.0f%%)%s", 100 * R.a_cpu.busy, 100 * R.a_cpu.ours,
                   100 * R.a_cpu.steal, s_on('b') ? ";" : ".");
        if (s_on('b'))
            printf(" over (b)'s, %.0f%% busy (%.0f%% ours, steal %.0f%%).", 100 * R.b_cpu.busy,
                   100 * R.b_cpu.ours, 100 * R.b_cpu.steal);
        printf(" Less than ~95%% ours means other work on the machine took CPU from the "
               "figures.\n");
    }
    const double *ta = R.a_cpu.tier_s, *tb = R.b_cpu.tier_s;
    double a_ops = R.a_ops ? (double) R.a_ops : 1, b_ops = R.b_ops ? (double) R.b_ops : 1;
    double b_acked = R.b_acked ? (double) R.b_acked : 1;
    if (s_on('a') && s_on('b'))
        printf("- CPU per op (process CPU time over the interval / ops): (a) village %.1f µs, "
               "gn-bench %.1f µs per case; (b) villages %.1f µs per acknowledged report (all "
               "five together), town %.1f µs and district %.1f µs per op arriving at the "
               "district, gn-bench %.1f µs per report. CPU seconds used in (b): villages %.1f, "
               "town %.1f, district %.1f, gn-bench %.1f of %.0f s × %ld CPUs.\n",
               1e6 * ta[TIER_VILLAGES] / a_ops, 1e6 * ta[TIER_BENCH] / a_ops,
               1e6 * tb[TIER_VILLAGES] / b_acked, 1e6 * tb[TIER_TOWN] / b_ops,
               1e6 * tb[TIER_DISTRICT] / b_ops, 1e6 * tb[TIER_BENCH] / b_acked,
               tb[TIER_VILLAGES], tb[TIER_TOWN], tb[TIER_DISTRICT], tb[TIER_BENCH],
               S.b_ms / 1e3, sysconf(_SC_NPROCESSORS_ONLN));
    if (s_on('b'))
        printf("- (b) %d x %d outstanding per village; offering paused while the district "
               "lagged by more than %s ops (%llu ticks of 10 ms held back); villages "
               "acknowledged %s reports/s over the interval; lag at the end %s ops, drained "
               "in %.1f s.\n", S.b_conns, S.b_window, s_num(a, sizeof a, (double) S.b_lag_max),
               (unsigned long long) R.b_paused_ticks, s_num(b2, sizeof b2, R.b_offered),
               s_num(t, sizeof t, (double) R.b_lag_end), R.b_drain_s);
    if (s_on('c'))
        printf("- (c) %zu ops matched (%zu never seen on the district's PUB) at %.0f reports/s "
               "offered; max %.2f ms. Stages: village reply → town PUB p50 %.2f / p99 %.2f ms; "
               "town PUB → district PUB p50 %.2f / p99 %.2f ms. p50 over the raw round trip "
               "p50: %.0f×.\n", R.c_n, R.c_missing, R.c_offered, R.c_max_ms, R.c_town_p50_ms,
               R.c_town_p99_ms, R.c_up_p50_ms, R.c_up_p99_ms, R.c_p50_ms * 1e3 / L->rtt_p50_us);
    if (s_on('d'))
        printf("- (d) the cut-off village took the backlog at %s cases/s; the first op reached "
               "the district %.0f ms after the town was ready again; the rate counts from "
               "then-ready to the last op.\n", s_num(a, sizeof a, R.d_fill_rate), R.d_first_ms);
    if (s_on('e'))
        printf("- (e) VmRSS from /proc/PID/status, the largest seen; it counts the LMDB map's "
               "file pages the process touched (page cache, reclaimable), RssAnon (in "
               "brackets) is the heap and stacks alone. Idle: 2 s after the links came up, "
               "empty stores.\n");
    if (!s_on('f'))
        return;
    printf("- (f) history: district %s ← %d towns ← one village each; %s reports at %s "
           "reports/s (1 x 64 outstanding per village, paused %llu ticks for the %s-op lag "
           "bound, drained %.1f s after the last reply). The district then holds %s cases "
           "and a feed of %s records; town %s's subtree is %s cases (%.1f%%) and %s ops of "
           "its origins (reports and seals: %.1f%% of the feed). Its village is stopped "
           "first, so only the district brings the subtree back.\n",
           DISTRICT, F_NTOWNS, s_num(a, sizeof a, (double) S.f_ops),
           s_num(b2, sizeof b2, R.f_fill_rate), (unsigned long long) R.f_fill_paused,
           s_num(t, sizeof t, (double) S.b_lag_max), R.f_fill_drain_s,
           s_num(r, sizeof r, (double) R.f_district_cases),
           s_num(v, sizeof v, (double) R.f_district_head), s_f_towns[0],
           s_num(l, sizeof l, (double) R.f_sub_cases),
           100.0 * (double) R.f_sub_cases / (double) (R.f_district_cases ? R.f_district_cases : 1),
           s_num(fig, sizeof fig, (double) R.f_sub_ops),
           100.0 * (double) R.f_sub_ops / (double) (R.f_district_head ? R.f_district_head : 1));
    printf("- (f) each catch-up: the town is SIGKILLed, the district restarted with "
           "sync/snapshot=1 or 0 (its other towns relinked), `rm -rf <town>/db`, the town "
           "started; the time runs from the start until its status counts every case of the "
           "subtree and its DIGEST of the subtree equals the district's (status polled every "
           "50 ms, then the digests: the time is when the town's digest came; the district's "
           "does not move meanwhile). "
           "%d round(s), snapshot and replay alternating which goes first; the table shows "
           "the median of each.\n", S.f_rounds);
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < S.f_rounds; i++) {
            const f_turn_t *f = &R.f_turn[m][i];
            char when[160] = "";
            if (f->collect_ms >= 0)
                snprintf(when, sizeof when, ", snapshot collected %.0f ms, END sent %.0f ms, "
                         "taken by the town %.0f ms", f->collect_ms, f->end_ms, f->took_ms);
            printf("- (f) %s, round %d: %.2f s. After the start: daemon ready %.0f ms, the "
                   "district takes its HELLO %.0f ms%s, every case at the town %.0f ms "
                   "(status polls; the slowest took %.0f ms), digests equal %.0f ms. %s ops, "
                   "town feed head %s; CPU s: district %.2f, town %.2f; machine %.0f%% busy "
                   "(%.0f%% ours). Logs: district \"%s\"; town \"%s\".\n",
                   m == 0 ? "snapshot" : "feed replay", i + 1, f->secs, f->ready_ms,
                   f->link_ms, when, f->cases_ms, f->poll_max_ms, f->secs * 1e3,
                   s_num(a, sizeof a, (double) f->ops), s_num(b2, sizeof b2, (double) f->town_head),
                   f->cpu_district, f->cpu_town, 100 * f->cpu.busy, 100 * f->cpu.ours,
                   f->snap_parent ? f->parent_line : "(no snapshot)",
                   f->snap_child ? f->child_line : "(no snapshot)");
        }
    printf("- (f) snapshot / replay (medians): %.2f of the time; CPU district %.2f / %.2f s, "
           "town %.2f / %.2f s. The CPU seconds do not depend on how busy the machine was; "
           "the times do (see each round's \"machine\" figures).\n", fs->secs / fr->secs,
           R.f_cpu_med[0][0], R.f_cpu_med[1][0], R.f_cpu_med[0][1], R.f_cpu_med[1][1]);
}

// ---- main ----

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: gn-bench [--quick] [--bin DIR] [--tmp DIR] [--keep] [--dump-latency FILE]\n"
            "                [--wrap LEVEL=COMMAND]... [--f-ops N] [--f-rounds N] [PHASES]\n"
            "  PHASES      which figures to measure, letters of abcdef (default: all), e.g.\n"
            "              `gn-bench f`; the limits are always measured\n"
            "  --quick     scaled-down smoke run (under a minute)\n"
            "  --bin DIR   where gridnet-village/-town/-district are (default: beside gn-bench)\n"
            "  --tmp DIR   parent of the run's temp dir (default $TMPDIR or /tmp); LMDB wants a\n"
            "              local filesystem, and the limits are measured there too\n"
            "  --keep      keep the temp dir (daemon logs, data) at the end\n"
            "  --dump-latency FILE  write every (c) sample: reply time, village, case, and when\n"
            "              the town and the district streamed it\n"
            "  --wrap LEVEL=COMMAND run that level's daemons under COMMAND (split at spaces),\n"
            "              e.g. --wrap 'town=valgrind --tool=callgrind' (figures then mean\n"
            "              nothing: it is for profiling)\n"
            "  --f-ops N   (f): reports in the district's history, over 5 towns (default\n"
            "              100000, --quick 10000); the wiped town's subtree is a fifth of them\n"
            "  --f-rounds N  (f): catch-ups of each kind, alternating which goes first\n"
            "              (default 5, --quick 1, at most 9); the table shows the medians\n");
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--floor") == 0)
        return bn_floor_main(argv[2]);

    static const struct option opts[] = {
        { "quick", no_argument, NULL, 'q' }, { "bin", required_argument, NULL, 'b' },
        { "tmp", required_argument, NULL, 't' }, { "keep", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { "dump-latency", required_argument, NULL, 'd' },
        { "wrap", required_argument, NULL, 'w' },
        { "f-ops", required_argument, NULL, 'F' }, { "f-rounds", required_argument, NULL, 'R' },
        { NULL, 0, NULL, 0 }
    };
    char self_exe[PATH_MAX], bindir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n < 0)
        bn_die("readlink /proc/self/exe: %s", strerror(errno));
    self_exe[n] = 0;
    char exe_copy[PATH_MAX];
    snprintf(exe_copy, sizeof exe_copy, "%s", self_exe);
    snprintf(bindir, sizeof bindir, "%s", dirname(exe_copy));
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    bool keep = false;
    char *wraps[3];
    int nwraps = 0, opt, f_rounds = 0;
    uint64_t f_ops = 0;
    char *end;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'q': S.quick = true; break;
        case 'b':
            if (snprintf(bindir, sizeof bindir, "%s", optarg) >= (int) sizeof bindir)
                bn_die("--bin: path too long");
            break;
        case 't': tmp = optarg; break;
        case 'k': keep = true; break;
        case 'd': s_dump = optarg; break;
        case 'w':
            if (nwraps == 3 || !strchr(optarg, '='))
                bn_die("--wrap LEVEL=COMMAND, at most one per level");
            wraps[nwraps++] = optarg;
            break;
        case 'F':
            errno = 0;
            f_ops = strtoull(optarg, &end, 10);
            if (errno || *end || f_ops < 100 || f_ops > 100000000)
                bn_die("--f-ops: a number of reports, 100 to 100000000");
            break;
        case 'R':
            f_rounds = (int) strtol(optarg, &end, 10);
            if (*end || f_rounds < 1 || f_rounds > F_ROUNDS_MAX)
                bn_die("--f-rounds: 1 to %d", F_ROUNDS_MAX);
            break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (optind + 1 == argc) {
        s_phases = argv[optind++];
        if (!*s_phases || strspn(s_phases, PHASES_ALL) != strlen(s_phases))
            bn_die("PHASES: letters of %s, e.g. `gn-bench f`", PHASES_ALL);
    }
    if (optind != argc) {
        s_usage(stderr);
        return 2;
    }
    char cmdline[1024] = "";
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(cmdline);
        snprintf(cmdline + used, sizeof cmdline - used, "%s%s", i ? " " : "", argv[i]);
    }

    if (S.quick)
        S = (settings_t) { .quick = true, .singles = 300, .batches = 30, .zmq_msgs = 100000,
                           .rtts = 2000, .a_warm_ms = 500, .a_ms = 2000, .load_conns = 4,
                           .load_window = 64, .b_warm_ms = 1000, .b_ms = 3000, .b_conns = 1,
                           .b_window = 64, .b_lag_max = 20000, .c_rate = 200, .c_ms = 3000,
                           .d_backlog = 10000, .f_ops = 10000, .f_rounds = 1,
                           .f_timeout_s = 300 };
    else
        S = (settings_t) { .singles = 2000, .batches = 200, .zmq_msgs = 1000000,
                           .rtts = 20000, .a_warm_ms = 2000, .a_ms = 10000, .load_conns = 4,
                           .load_window = 64, .b_warm_ms = 5000, .b_ms = 20000, .b_conns = 1,
                           .b_window = 64, .b_lag_max = 20000, .c_rate = 200, .c_ms = 15000,
                           .d_backlog = 100000, .f_ops = 100000, .f_rounds = 5,
                           .f_timeout_s = 600 };
    if (f_ops)
        S.f_ops = f_ops;
    if (f_rounds)
        S.f_rounds = f_rounds;

    zsys_init();            // czmq's SIGINT/SIGTERM handler sets zsys_interrupted
    zsys_set_logstream(NULL);
    bn_tmp_init(tmp, keep);
    bn_nodes_init(bindir);
    for (int i = 0; i < nwraps; i++) {
        char *eq = strchr(wraps[i], '=');
        *eq = 0;
        bn_nodes_wrap(wraps[i], eq + 1);
    }
    bn_note("run dir %s", bn_tmp());

    s_phase_limits(self_exe);
    if (s_on('a'))
        s_phase_a();
    if (s_on('b') || s_on('c') || s_on('d') || s_on('e')) {
        s_topology_up();
        if (s_on('b'))
            s_phase_b();
        if (s_on('c'))
            s_phase_c();
        if (s_on('d'))
            s_phase_d();
        for (int i = 0; i < NVILLAGES; i++)
            bn_node_stop(s_villages[i]);
        bn_node_stop(s_town);
        bn_node_stop(s_district);
    }
    if (s_on('f'))
        s_phase_f();
    s_report(cmdline);
    return 0;
}
