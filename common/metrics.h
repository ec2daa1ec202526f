/*  metrics.h -- the node's counters and histograms, and their rendering in
    the Prometheus text exposition format (version 0.0.4).

    A gn_metrics_t lives on the node's thread: the api, sync and the tick
    record into it, and the api renders it for a MetricsReq (the HTTP front
    serves that text at /metrics). No locks: only that thread touches it.
    Every recording function takes NULL for self and does nothing then, so
    modules run without metrics in unit tests.

    Families rendered (all prefixed gridnet_):
      node_info{node,level} 1                    gauge
      cases{status}                              gauge, from the status index
      feed_head, ops_originated, conflicts       gauges
      link_up{peer,role}                         gauge: 1 with a live session
      link_lag_ops{peer,role}                    gauge: records not yet confirmed
      link_lag_seconds{peer,role}                gauge: age of the oldest of them
      link_cursor{peer,role,cursor}              gauge: sent | acked | applied
      sync_applied_ops_total{peer,role}          counter: new ops applied from peer
      sync_batches_total{peer,role}              counter: batches committed from peer
      sync_rejects_total{direction,reason}       counter: sent | received, by reason
      commit_seconds{source}                     histogram: write transactions,
                                                 source api | sync | tick  */
#ifndef GN_METRICS_H
#define GN_METRICS_H
#include "codec.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    GN_COMMIT_API,              // a group of client writes
    GN_COMMIT_SYNC,             // a batch from a peer
    GN_COMMIT_TICK,             // the periodic duties
    GN_COMMIT_SOURCES
} gn_commit_source_t;

typedef struct _gn_metrics_t gn_metrics_t;

//  Caller owns the result; NULL if memory ran out.
gn_metrics_t *gn_metrics_new(uint64_t node);
void gn_metrics_destroy(gn_metrics_t **self_p);

//  A write transaction of source took usecs microseconds (run and commit).
void gn_metrics_commit(gn_metrics_t *self, gn_commit_source_t source, int64_t usecs);
//  A batch from peer (our parent if is_parent) was committed with ops new ops.
void gn_metrics_applied(gn_metrics_t *self, uint64_t peer, bool is_parent, uint64_t ops);
//  A REJECT with this reason (Gridnet__RejectReason) was sent or received.
void gn_metrics_reject(gn_metrics_t *self, bool sent, int reason);

//  The exposition text: the counters of self, the links and counters of st,
//  and counts[s] cases in status s. *text is malloc'd, NUL-terminated, and
//  the caller's. 0 or GN_ENOMEM.
int gn_metrics_render(const gn_metrics_t *self, const Gridnet__NodeStatus *st,
                      const uint64_t counts[9], char **text);

#endif
