/*  watch.h -- gridctl watch: live monitoring (实时监控) of a node's changes.

    A node publishes every op it writes or applies on its PUB socket as
    [topic "op"|"conflict"][packed Op] (docs/interfaces.md); at a town or the
    district that is everything that happens in its subtree. watch subscribes,
    unpacks each op through the codec, keeps the case ops that pass the
    filters and prints one line per change (or one JSON object per line).  */
#ifndef GN_WATCH_H
#define GN_WATCH_H
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t town;              // only cases located in this town's subtree (0 = any)
    const char *category;       // only this category (NULL = any)
    int severity;               // only this Gridnet__Severity (0 = any)
    bool overdue;               // only cases overdue after the change
    bool json;                  // one JSON object per line instead of text
    uint64_t count;             // stop after this many lines (0 = until interrupted)
} gn_watch_opts_t;

//  Subscribe to the PUB endpoint and print until count lines were printed,
//  SIGINT or SIGTERM (then returns 0: a clean end), or a failure (prints the
//  reason after "gridctl: " on stderr and returns -1).
int gn_watch_run(const char *endpoint, const gn_watch_opts_t *opts);

#endif
