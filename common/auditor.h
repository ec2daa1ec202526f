/*  auditor.h -- an audit (audit.h) off the node's thread.

    An audit reads the whole replica and verifies every seal: seconds on a
    big node. Run on the node's thread it would stop the node answering its
    links and its clients for that long (peers declare it silent after three
    heartbeats). The auditor runs it on a thread of its own, in a read
    transaction of its own (gn_store_read_shared); the node's thread asks
    now and then whether it is done and sends the reply then.  */
#ifndef GN_AUDITOR_H
#define GN_AUDITOR_H
#include "store.h"

#include <stdbool.h>

typedef struct _gn_auditor_t gn_auditor_t;

//  Caller owns the result; store stays owned by the caller and must outlive it.
gn_auditor_t *gn_auditor_new(gn_store_t *store, uint64_t self);
//  Waits for an audit under way to end, then frees everything.
void gn_auditor_destroy(gn_auditor_t **self_p);

//  Start an audit unless one is under way (then this one's result will do).
//  registry_dir: the nodes' certificates to verify seals with (copied; NULL:
//  seals are not checked). 0, or an error if the thread cannot start.
int gn_auditor_start(gn_auditor_t *self, const char *registry_dir);
//  True while an audit started and its result has not been taken.
bool gn_auditor_busy(gn_auditor_t *self);
//  If the audit has ended: true, *json gets its report (caller frees; NULL
//  on failure) and *rc its result; the auditor is then free for another.
bool gn_auditor_take(gn_auditor_t *self, char **json, int *rc);

#endif
