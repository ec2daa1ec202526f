/*  auditor.c -- an audit off the node's thread (see auditor.h).  */
#include "auditor.h"
#include "audit.h"
#include "err.h"
#include "keys.h"
#include "log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct _gn_auditor_t {
    gn_store_t *store;          // the replica (read only here)
    uint64_t self;              // the node audited
    pthread_t thread;           // the audit's thread, while started
    bool started;               // thread is running or not yet joined
    atomic_bool done;           // the thread has set json and rc
    char *registry_dir;         // the certificates for this run, or NULL
    char *json;                 // the report (malloc'd), or NULL
    int rc;                     // the audit's result
};

typedef struct {
    gn_auditor_t *self;
    gn_registry_t *registry;
    json_t *doc;
} run_t;

static int
s_audit_txn(gn_txn_t *txn, void *arg)
{
    run_t *r = arg;
    return gn_audit(txn, r->self->self, r->registry, &r->doc);
}

static void *
s_run(void *arg)
{
    gn_auditor_t *self = arg;
    run_t r = { .self = self };
    int rc = GN_OK;
    if (self->registry_dir)
        rc = gn_registry_load(&r.registry, self->registry_dir);
    if (rc == 0)
        rc = gn_store_read_shared(self->store, s_audit_txn, &r);
    if (rc == 0) {
        self->json = json_dumps(r.doc, JSON_COMPACT);
        if (!self->json)
            rc = GN_ENOMEM;
    }
    json_decref(r.doc);
    gn_registry_destroy(&r.registry);
    self->rc = rc;
    atomic_store(&self->done, true);
    return NULL;
}

gn_auditor_t *
gn_auditor_new(gn_store_t *store, uint64_t self)
{
    gn_auditor_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->store = store;
    a->self = self;
    atomic_init(&a->done, false);
    return a;
}

static void
s_join(gn_auditor_t *self)
{
    if (self->started) {
        int prc = pthread_join(self->thread, NULL);
        if (prc != 0)
            gn_error("auditor: cannot join the audit thread: %s", strerror(prc));
        self->started = false;
    }
    free(self->registry_dir);
    self->registry_dir = NULL;
}

void
gn_auditor_destroy(gn_auditor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_auditor_t *self = *self_p;
    s_join(self);
    free(self->json);
    free(self);
    *self_p = NULL;
}

int
gn_auditor_start(gn_auditor_t *self, const char *registry_dir)
{
    if (self->started)
        return GN_OK;
    free(self->json);
    self->json = NULL;
    self->rc = 0;
    atomic_store(&self->done, false);
    if (registry_dir && !(self->registry_dir = strdup(registry_dir)))
        return GN_ENOMEM;
    int prc = pthread_create(&self->thread, NULL, s_run, self);
    if (prc != 0) {
        gn_error("auditor: cannot start a thread: %s", strerror(prc));
        free(self->registry_dir);
        self->registry_dir = NULL;
        return GN_ENOMEM;
    }
    self->started = true;
    return GN_OK;
}

bool
gn_auditor_busy(gn_auditor_t *self)
{
    return self->started;
}

bool
gn_auditor_take(gn_auditor_t *self, char **json, int *rc)
{
    if (!self->started || !atomic_load(&self->done))
        return false;
    s_join(self);
    *json = self->json;
    *rc = self->rc;
    self->json = NULL;
    return true;
}
