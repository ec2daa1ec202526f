/*  metrics.c -- counters, a commit-latency histogram, Prometheus text.

    Text format 0.0.4: per family a "# HELP" and a "# TYPE" line, then its
    samples `name{label="value",...} number`, one a line, families never
    repeated. Histogram buckets are cumulative and end with le="+Inf",
    followed by _sum (seconds) and _count. Label values here are node codes
    and names from the proto's enums, which need no escaping.  */
#include "metrics.h"
#include "err.h"
#include "ids.h"
#include "pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Upper bounds of the commit histogram's buckets, in microseconds.
static const int64_t s_bounds[] = { 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
                                    100000, 250000, 500000, 1000000, 2500000 };
#define BUCKETS (sizeof s_bounds / sizeof s_bounds[0])
#define REASONS 8               // Gridnet__RejectReason values 0..7

typedef struct {
    uint64_t buckets[BUCKETS + 1];  // observations per bucket (not cumulative); last: +Inf
    uint64_t count;             // observations
    int64_t sum_us;             // their sum, microseconds
} histogram_t;

typedef struct {
    uint64_t peer;              // the peer's node code
    bool is_parent;             // it is our parent
    uint64_t ops;               // new ops applied from it
    uint64_t batches;           // batches committed from it
} peer_t;

struct _gn_metrics_t {
    uint64_t node;              // this node
    histogram_t commit[GN_COMMIT_SOURCES];  // write transactions by source
    uint64_t rejects[2][REASONS];   // [0] received, [1] sent, by reason
    peer_t *peers;              // per peer applied counters
    size_t npeers, cap;         // entries used, allocated
};

static const char *s_sources[GN_COMMIT_SOURCES] = { "api", "sync", "tick" };

gn_metrics_t *
gn_metrics_new(uint64_t node)
{
    gn_metrics_t *self = calloc(1, sizeof *self);
    if (self)
        self->node = node;
    return self;
}

void
gn_metrics_destroy(gn_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->peers);
    free(*self_p);
    *self_p = NULL;
}

void
gn_metrics_commit(gn_metrics_t *self, gn_commit_source_t source, int64_t usecs)
{
    if (!self || source < 0 || source >= GN_COMMIT_SOURCES)
        return;
    if (usecs < 0)
        usecs = 0;
    histogram_t *h = &self->commit[source];
    size_t b = 0;
    while (b < BUCKETS && usecs > s_bounds[b])
        b++;
    h->buckets[b]++;
    h->count++;
    h->sum_us += usecs;
}

void
gn_metrics_applied(gn_metrics_t *self, uint64_t peer, bool is_parent, uint64_t ops)
{
    if (!self)
        return;
    peer_t *p = NULL;
    for (size_t i = 0; i < self->npeers && !p; i++)
        if (self->peers[i].peer == peer)
            p = &self->peers[i];
    if (!p) {
        if (self->npeers == self->cap) {
            size_t cap = self->cap ? self->cap * 2 : 8;
            peer_t *grown = realloc(self->peers, cap * sizeof *grown);
            if (!grown)
                return;   // a counter lost, nothing else
            self->peers = grown;
            self->cap = cap;
        }
        p = &self->peers[self->npeers++];
        *p = (peer_t) { .peer = peer, .is_parent = is_parent };
    }
    p->ops += ops;
    p->batches++;
}

void
gn_metrics_reject(gn_metrics_t *self, bool sent, int reason)
{
    if (self)
        self->rejects[sent ? 1 : 0][reason >= 0 && reason < REASONS ? reason : 0]++;
}

static void
s_family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP gridnet_%s %s\n# TYPE gridnet_%s %s\n", name, help, name, type);
}

static void
s_links(FILE *out, const Gridnet__NodeStatus *st)
{
    s_family(out, "link_up", "gauge", "1 while the link's session is established, else 0.");
    for (size_t i = 0; i < st->n_links; i++)
        fprintf(out, "gridnet_link_up{peer=\"%012llu\",role=\"%s\"} %d\n",
                (unsigned long long) st->links[i]->peer, st->links[i]->role,
                st->links[i]->connected ? 1 : 0);
    s_family(out, "link_lag_ops", "gauge",
             "Feed records not yet confirmed: ours by the parent, or a child's not yet applied "
             "here.");
    for (size_t i = 0; i < st->n_links; i++)
        fprintf(out, "gridnet_link_lag_ops{peer=\"%012llu\",role=\"%s\"} %llu\n",
                (unsigned long long) st->links[i]->peer, st->links[i]->role,
                (unsigned long long) st->links[i]->lag_ops);
    s_family(out, "link_lag_seconds", "gauge",
             "How long the oldest unconfirmed record of the link has waited.");
    for (size_t i = 0; i < st->n_links; i++)
        fprintf(out, "gridnet_link_lag_seconds{peer=\"%012llu\",role=\"%s\"} %.3f\n",
                (unsigned long long) st->links[i]->peer, st->links[i]->role,
                (double) (st->links[i]->lag_ms > 0 ? st->links[i]->lag_ms : 0) / 1000.0);
    s_family(out, "link_cursor", "gauge",
             "Feed cursors of the link: our feed sent and acked through, the peer's applied "
             "through.");
    for (size_t i = 0; i < st->n_links; i++) {
        const Gridnet__LinkStatus *l = st->links[i];
        const char *names[3] = { "sent", "acked", "applied" };
        uint64_t values[3] = { l->sent, l->acked, l->applied };
        for (int k = 0; k < 3; k++)
            fprintf(out, "gridnet_link_cursor{peer=\"%012llu\",role=\"%s\",cursor=\"%s\"} %llu\n",
                    (unsigned long long) l->peer, l->role, names[k],
                    (unsigned long long) values[k]);
    }
}

static void
s_sync(FILE *out, const gn_metrics_t *self)
{
    s_family(out, "sync_applied_ops_total", "counter",
             "New ops applied from a peer's batches since the start.");
    for (size_t i = 0; i < self->npeers; i++)
        fprintf(out, "gridnet_sync_applied_ops_total{peer=\"%012llu\",role=\"%s\"} %llu\n",
                (unsigned long long) self->peers[i].peer,
                self->peers[i].is_parent ? "parent" : "child",
                (unsigned long long) self->peers[i].ops);
    s_family(out, "sync_batches_total", "counter", "Batches from a peer committed since the start.");
    for (size_t i = 0; i < self->npeers; i++)
        fprintf(out, "gridnet_sync_batches_total{peer=\"%012llu\",role=\"%s\"} %llu\n",
                (unsigned long long) self->peers[i].peer,
                self->peers[i].is_parent ? "parent" : "child",
                (unsigned long long) self->peers[i].batches);
    s_family(out, "sync_rejects_total", "counter",
             "REJECT messages sent to or received from peers since the start, by reason.");
    for (int dir = 1; dir >= 0; dir--)
        for (int r = 0; r < REASONS; r++) {
            char name[32];
            gn_pbjson_enum_name(&gridnet__reject_reason__descriptor, r, name, sizeof name);
            fprintf(out, "gridnet_sync_rejects_total{direction=\"%s\",reason=\"%s\"} %llu\n",
                    dir ? "sent" : "received", name,
                    (unsigned long long) self->rejects[dir][r]);
        }
}

static void
s_commits(FILE *out, const gn_metrics_t *self)
{
    s_family(out, "commit_seconds", "histogram",
             "Write transactions (run and commit to disk) by source.");
    for (int s = 0; s < GN_COMMIT_SOURCES; s++) {
        const histogram_t *h = &self->commit[s];
        uint64_t cumulative = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            cumulative += h->buckets[b];
            fprintf(out, "gridnet_commit_seconds_bucket{source=\"%s\",le=\"%g\"} %llu\n",
                    s_sources[s], (double) s_bounds[b] / 1e6, (unsigned long long) cumulative);
        }
        fprintf(out, "gridnet_commit_seconds_bucket{source=\"%s\",le=\"+Inf\"} %llu\n",
                s_sources[s], (unsigned long long) h->count);
        fprintf(out, "gridnet_commit_seconds_sum{source=\"%s\"} %.6f\n", s_sources[s],
                (double) h->sum_us / 1e6);
        fprintf(out, "gridnet_commit_seconds_count{source=\"%s\"} %llu\n", s_sources[s],
                (unsigned long long) h->count);
    }
}

int
gn_metrics_render(const gn_metrics_t *self, const Gridnet__NodeStatus *st,
                  const uint64_t counts[9], char **text)
{
    static const gn_metrics_t none;     // a node without metrics renders zeros
    if (!self)
        self = &none;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return GN_ENOMEM;
    s_family(out, "node_info", "gauge", "This node: its division code and platform level.");
    fprintf(out, "gridnet_node_info{node=\"%012llu\",level=\"%u\"} 1\n",
            (unsigned long long) st->node, (unsigned) st->level);
    s_family(out, "cases", "gauge", "Cases held by this node, by status.");
    for (int s = 1; s < 9; s++) {
        char name[32];
        gn_pbjson_enum_name(&gridnet__status__descriptor, s, name, sizeof name);
        fprintf(out, "gridnet_cases{status=\"%s\"} %llu\n", name, (unsigned long long) counts[s]);
    }
    s_family(out, "feed_head", "gauge", "Sequence number of the last record in the change feed.");
    fprintf(out, "gridnet_feed_head %llu\n", (unsigned long long) st->feed_head);
    s_family(out, "ops_originated", "gauge", "Ops written at this node (its op counter).");
    fprintf(out, "gridnet_ops_originated %llu\n", (unsigned long long) st->op_seq);
    s_family(out, "conflicts", "gauge", "Ops kept as conflicts (refused as stale).");
    fprintf(out, "gridnet_conflicts %llu\n", (unsigned long long) st->conflicts);
    s_links(out, st);
    s_sync(out, self);
    s_commits(out, self);
    if (fclose(out) != 0 || !buf) {
        free(buf);
        return GN_ENOMEM;
    }
    *text = buf;
    return GN_OK;
}
